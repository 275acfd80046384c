"""The CloudWatch log groups Aurora exports to, made by the stack so that they use the region's key and retention.

RDS publishes a cluster's exported logs to ``/aws/rds/cluster/<cluster identifier>/<log type>`` and creates that
group itself when it is missing, with no KMS key and no retention (Amazon Aurora User Guide, "Publishing Aurora
MySQL logs to Amazon CloudWatch Logs" and "... Aurora PostgreSQL logs ..."). The groups are made first here (each
cluster depends on its groups), so RDS finds them and writes into them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup

from constructs import Construct
from dr_stack.data_tier.database import GlobalDatabase
from dr_stack.foundation.keys import RegionalKey
from dr_stack.foundation.providers import ROLES, DrRole


class DatabaseLogGroups(Construct):
    """One log group per exported log type and regional cluster, encrypted with that region's key."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        database: GlobalDatabase,
        keys: Mapping[DrRole, RegionalKey],
        log_exports: Sequence[str],
        retention_days: int,
    ) -> None:
        """Groups for ``log_exports`` of both of ``database``'s clusters, each in its cluster's region, encrypted
        with its key of ``keys`` and kept ``retention_days``. An empty ``log_exports`` makes none."""
        super().__init__(scope, id_)
        self.log_groups: dict[tuple[DrRole, str], CloudwatchLogGroup] = {}
        for role in ROLES:
            cluster = database.cluster(role)
            groups = [
                CloudwatchLogGroup(
                    self,
                    f"{role}_{log_type}",
                    provider=database.provider_of(role),
                    name=database.log_group_name(role, log_type),
                    retention_in_days=retention_days,
                    kms_key_id=keys[role].key_arn,
                )
                for log_type in log_exports
            ]
            for log_type, group in zip(log_exports, groups, strict=True):
                self.log_groups[(role, log_type)] = group
            if groups:
                # Appended to the cluster's own dependencies (the secondary waits for the primary's instances).
                cluster.depends_on = [
                    *(cluster.depends_on or []),
                    *(f"{group.terraform_resource_type}.{group.friendly_unique_id}" for group in groups),
                ]

    def log_group_name(self, role: DrRole, log_type: str) -> str:
        """Name of the log group of one exported log of a region's cluster."""
        return self.log_groups[(role, log_type)].name
