"""A region's ``dr_cluster_spec.ClusterSpec`` as the stack would build it, for the orchestrator's tests."""

from __future__ import annotations

from dr_cluster_spec import ClusterSpec, InstanceSettings

ACCOUNT_ID = "123456789012"


def make_cluster_spec(
    cluster_id: str, region: str, *, group: str, key_arn: str, instance_count: int = 2
) -> ClusterSpec:
    """Serverless v2 (1-8 ACU), ``instance_count`` instances spread over ``<region>a``/``b``/``c``."""
    return ClusterSpec(
        cluster_identifier=cluster_id,
        port=3306,
        db_subnet_group_name=cluster_id,
        vpc_security_group_ids=(group,),
        db_cluster_parameter_group_name=f"{cluster_id}-cluster",
        storage_encrypted=True,
        kms_key_id=key_arn,
        backup_retention_period=7,
        preferred_backup_window="03:00-04:00",
        preferred_maintenance_window="sun:05:00-sun:06:00",
        copy_tags_to_snapshot=True,
        deletion_protection=False,
        enabled_cloudwatch_logs_exports=("error", "slowquery"),
        iam_database_authentication_enabled=True,
        serverless_capacity=(1.0, 8.0),
        enable_global_write_forwarding=None,
        provider_default_tags={"project": "app", "dr-role": "primary"},
        tags={},
        instance=InstanceSettings(
            instance_class="db.serverless",
            db_parameter_group_name=f"{cluster_id}-instance",
            publicly_accessible=False,
            auto_minor_version_upgrade=True,
            ca_cert_identifier="rds-ca-rsa2048-g1",
            copy_tags_to_snapshot=True,
            monitoring_interval=60,
            monitoring_role_arn=f"arn:aws:iam::{ACCOUNT_ID}:role/{cluster_id}-rds-monitoring",
            performance_insights_enabled=True,
            performance_insights_retention_period=7,
        ),
        availability_zones=tuple(f"{region}{zone}" for zone in "abc"),
        instance_count=instance_count,
    )
