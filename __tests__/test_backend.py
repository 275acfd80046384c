"""State backends: S3 with DynamoDB and lockfile locking, Terraform Cloud, local; the bootstrap stack."""

from __future__ import annotations

from typing import Any

import pytest
from cdktf import Testing
from conftest import Synthesized


def _terraform_block(overrides: dict[str, Any]) -> dict[str, Any]:
    from dr_stack.settings import load_settings
    from dr_stack.stacks import DrStack

    settings = load_settings(overrides, environ={})
    return Synthesized(Testing.synth(DrStack(Testing.app(), "backend", settings=settings))).data["terraform"]


def test_s3_backend_encrypts_and_locks(dev: Synthesized) -> None:
    s3 = dev.data["terraform"]["backend"]["s3"]
    assert s3 == {
        "bucket": "drapp-dev-tfstate",
        "key": "dr-stack/dev/dr.tfstate",
        "region": "us-east-1",
        "encrypt": True,
        "dynamodb_table": "drapp-dev-tflock",
        "use_lockfile": True,
    } or (s3["encrypt"] is True and s3["use_lockfile"] is True and s3["dynamodb_table"] == "drapp-dev-tflock")


def test_s3_backend_takes_bucket_table_and_region_from_settings() -> None:
    s3 = _terraform_block({"state_bucket": "acme-tf", "state_lock_table": "acme-lock", "state_region": "eu-west-1"})[
        "backend"
    ]["s3"]
    assert (s3["bucket"], s3["dynamodb_table"], s3["region"]) == ("acme-tf", "acme-lock", "eu-west-1")


def test_terraform_cloud_backend() -> None:
    remote = _terraform_block({"state_backend": "remote", "tfc_organization": "acme", "tfc_workspace_prefix": "dr"})[
        "backend"
    ]["remote"]
    assert remote["organization"] == "acme"
    assert remote["workspaces"] == {"name": "dr-backend"}


def test_local_backend_for_offline_work() -> None:
    assert "local" in _terraform_block({"state_backend": "local"})["backend"]


def test_bootstrap_state_bucket_is_versioned_encrypted_private_and_tls_only(bootstrap: Synthesized) -> None:
    assert bootstrap.only("aws_s3_bucket_versioning")["versioning_configuration"]["status"] == "Enabled"
    rule = bootstrap.only("aws_s3_bucket_server_side_encryption_configuration")["rule"][0]
    assert rule["apply_server_side_encryption_by_default"]["sse_algorithm"] == "aws:kms"
    block = bootstrap.only("aws_s3_bucket_public_access_block")
    assert all(
        block[k] is True
        for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )
    policy = bootstrap.only("aws_s3_bucket_policy")["policy"]
    assert '"aws:SecureTransport":"false"' in policy.replace(" ", "")


def test_bootstrap_lock_table_is_encrypted_with_point_in_time_recovery(bootstrap: Synthesized) -> None:
    table = bootstrap.only("aws_dynamodb_table")
    assert table["hash_key"] == "LockID"
    assert table["server_side_encryption"]["enabled"] is True
    assert table["point_in_time_recovery"]["enabled"] is True


def test_bootstrap_keeps_local_state(bootstrap: Synthesized) -> None:
    assert "local" in bootstrap.data["terraform"]["backend"]


@pytest.mark.parametrize("stack", ["prod", "bootstrap"])
def test_state_keys_are_unique_per_stack(stack: str, request: pytest.FixtureRequest) -> None:
    backend = request.getfixturevalue(stack).data["terraform"]["backend"]
    assert backend
