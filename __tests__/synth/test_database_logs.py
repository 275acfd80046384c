"""RDS log export groups: made by the stack, per cluster and log type, with the region's key and retention."""

from __future__ import annotations

import pytest
from conftest import Synthesized


@pytest.mark.parametrize("fixture", ["dev", "prod"])
def test_every_exported_log_has_a_group_with_the_regions_key_and_retention(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    """Aurora publishes an exported log to /aws/rds/cluster/<cluster-name>/<log_type> and creates that group when
    it is missing, without a KMS key and with logs kept forever (Amazon Aurora User Guide, "Publishing Aurora
    MySQL logs to Amazon CloudWatch Logs"): every export of each cluster needs its group made beforehand."""
    synth: Synthesized = request.getfixturevalue(fixture)
    groups = {body["name"]: body for body in synth.resources("aws_cloudwatch_log_group").values()}
    retention = 30 if fixture == "dev" else 365
    for role in ("primary", "secondary"):
        cluster_key = synth.logical_id("aws_rds_cluster", f"database_{role}_cluster")
        cluster = synth.resources("aws_rds_cluster")[cluster_key]
        exports = cluster["enabled_cloudwatch_logs_exports"]
        assert exports, "the profile exports logs"
        for log_type in exports:
            group = groups[f"/aws/rds/cluster/{cluster['cluster_identifier']}/{log_type}"]
            assert group["provider"] == f"aws.{role}"
            assert group["kms_key_id"] == synth.key_arn(role)
            assert group["retention_in_days"] == retention
            group_id = synth.logical_id("aws_cloudwatch_log_group", f"database_logs_{role}_{log_type}")
            assert f"aws_cloudwatch_log_group.{group_id}" in cluster["depends_on"]


def test_secondary_cluster_keeps_waiting_for_the_primary_instances(dev: Synthesized) -> None:
    cluster = dev.only("aws_rds_cluster", "database_secondary_cluster")
    assert any(
        entry.startswith("aws_rds_cluster_instance.database_primary_instance") for entry in cluster["depends_on"]
    )
