"""The orchestrator: failover, recovery, run-report and readiness grants, and what RDS authorizes the recovery
creates on.

``orchestrator_grants`` is one orchestrator's complete list beyond ``dr_permissions.base.LAMBDA_BASE``; the stack
attaches it in parts (``dr_stack.control_plane.failover``, ``.recovery``, ``.readiness``), the readiness check
simulates it whole.
"""

from __future__ import annotations

from typing import Final

from dr_permissions import NAMESPACE_CONDITION, Grant

VIA_RDS: Final = (("StringEquals", "kms:ViaService", "rds.{region}.amazonaws.com"),)

# ----- failover, switchover, fencing, the lock (dr_failover.actions.steps, .app_capacity, dr_failover.records) ----
FAILOVER: Final = (
    Grant(
        "ReadGlobalDatabase",
        ("rds:DescribeGlobalClusters", "rds:DescribeDBClusters"),
        ("global_cluster", "own_cluster", "peer_cluster"),
        simulated=True,
    ),
    # Promotion names the global cluster and the target cluster.
    Grant(
        "PromoteThisRegion",
        ("rds:FailoverGlobalCluster", "rds:SwitchoverGlobalCluster"),
        ("global_cluster", "own_cluster", "peer_cluster"),
        simulated=True,
    ),
    Grant("DescribeScaling", ("autoscaling:DescribeAutoScalingGroups",), ("any",), simulated=True),
    Grant("ScaleAppTiers", ("autoscaling:UpdateAutoScalingGroup",), ("own_asg", "peer_asg"), simulated=True),
    Grant("ReadLag", ("cloudwatch:GetMetricStatistics",), ("any",), simulated=True),
    Grant("PublishMetrics", ("cloudwatch:PutMetricData",), ("any",), NAMESPACE_CONDITION, simulated=True),
    Grant("Notify", ("sns:Publish",), ("topic",), simulated=True),
    Grant(
        "LockAndJournal",
        ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"),
        ("own_table",),
        simulated=True,
    ),
    # The traffic-switch item is written in the traffic-switch (secondary) region's replica, where the keeper
    # reads it.
    Grant("TrafficSwitchState", ("dynamodb:PutItem",), ("switch_table",), simulated=True),
    # Before reducing the peer region its replica of the lock is read (global tables replicate asynchronously).
    Grant("ReadPeerLock", ("dynamodb:GetItem",), ("peer_table",), simulated=True),
    Grant("ReadPeerHealth", ("route53:GetHealthCheckStatus",), ("peer_health_check",), simulated=True),
)
# Automatic failover's re-evaluation reads the probe alarm (the secondary's orchestrator, when it is on).
READ_PROBE_ALARM: Final = Grant("ReadProbeAlarm", ("cloudwatch:DescribeAlarms",), ("probe_alarm",))

# ----- re-protect, capacity matching, recovery time, the report (dr_failover.actions.reprotect, .database_capacity,
# .serving, dr_failover.run.run_report) ---------------------------------------------------------------------------
RECOVERY: Final = (
    # DescribeDBInstances filtered by db-cluster-id names no instance: it is authorized on db:* (read only).
    Grant("ReadInstances", ("rds:DescribeDBInstances",), ("all_instances",)),
    Grant(
        "ReadReprotectPrerequisites",
        ("rds:DescribeDBSubnetGroups", "rds:DescribeDBClusterParameterGroups", "rds:DescribeDBParameterGroups"),
        ("subnet_group", "cluster_parameter_group", "instance_parameter_group"),
    ),
    # Re-add this region's cluster to the global cluster (re-protect), named as the stack names it.
    Grant(
        "ReaddSecondaryCluster",
        ("rds:CreateDBCluster",),
        ("own_cluster", "global_cluster", "subnet_group", "cluster_parameter_group", "default_option_group"),
        simulated=True,
    ),
    # Instances of this region's cluster only: re-protect's instances and readers added to match capacity.
    Grant(
        "AddOwnInstances",
        ("rds:CreateDBInstance",),
        ("own_instances", "own_cluster", "subnet_group", "instance_parameter_group", "default_option_group"),
        simulated=True,
    ),
    # DescribeSecurityGroups and DescribeTargetHealth have no resource-level permissions.
    Grant(
        "ReadWithoutResourceLevelPermissions",
        ("ec2:DescribeSecurityGroups", "elasticloadbalancing:DescribeTargetHealth"),
        ("any",),
    ),
    # The report's alarm states: the stack's alarms of this region only.
    Grant("ReadOwnAlarms", ("cloudwatch:DescribeAlarms",), ("own_alarms",)),
    # An encrypted cluster and Performance Insights use the region's key through RDS only: RDS creates a grant
    # for the caller (Service Authorization Reference, CreateDBCluster/CreateDBInstance dependent actions).
    Grant("EncryptThroughRds", ("kms:CreateGrant",), ("own_key",), VIA_RDS, simulated=True),
    # Re-protect checks the key is enabled before it re-adds the cluster.
    Grant("DescribeOwnKey", ("kms:DescribeKey",), ("own_key",)),
    # Enhanced Monitoring: CreateDBInstance with MonitoringRoleArn passes the role to RDS (dependent action).
    Grant(
        "PassMonitoringRole",
        ("iam:PassRole",),
        ("monitoring_role",),
        (("StringEquals", "iam:PassedToService", "monitoring.rds.amazonaws.com"),),
        simulated=True,
    ),
)
# What RDS authorizes each recovery create on, as the request names them: the Service Authorization Reference
# (Amazon RDS) lists for CreateDBCluster the resource types cluster, cluster-pg, global-cluster, og and subgrp,
# and for CreateDBInstance cluster, db, og, pg and subgrp; a request is authorized on every one it names or
# implies (a new Aurora cluster or instance gets the engine's default option group). This is AWS's fact, kept
# apart from the grants above on purpose: the readiness check simulates each call on these, so a grant that
# misses one (the option group, a parameter group) fails the simulation before a recovery is refused.
AUTHORIZED_ON: Final = {
    "rds:CreateDBCluster": (
        "own_cluster",
        "global_cluster",
        "subnet_group",
        "cluster_parameter_group",
        "default_option_group",
    ),
    "rds:CreateDBInstance": (
        "own_instances",
        "own_cluster",
        "subnet_group",
        "instance_parameter_group",
        "default_option_group",
    ),
}
# Capacity matching of a Serverless v2 cluster raises its maximum ACUs (dr_failover.actions.database_capacity);
# granted only where the cluster is Serverless v2 and matching is on: ModifyDBCluster can also reset the master
# password or lift deletion protection.
MATCH_SERVERLESS_CAPACITY: Final = Grant(
    "MatchServerlessCapacity", ("rds:ModifyDBCluster",), ("own_cluster",), simulated=True
)

# ----- the run report (dr_failover.run.run_report.write_report) ---------------------------------------------------
# Every switchover and failover run ends by writing its report to the region's bucket (REPORT_BUCKET, SSE-KMS with
# REPORT_KMS_KEY_ARN); a refused write loses the report, so the readiness check simulates both calls.
RUN_REPORTS: Final = (
    # PutObject is authorized on the object (Service Authorization Reference, Amazon S3: PutObject, resource type
    # ``object``, arn:${Partition}:s3:::${BucketName}/${ObjectName}): the objects under the report prefix only.
    Grant("PutRunReports", ("s3:PutObject",), ("report_objects",), simulated=True),
    # PutObject with SSE-KMS: S3 asks KMS for a data key with the caller's permissions (S3 User Guide, "Using
    # server-side encryption with AWS KMS keys", permissions), authorized on the key (Service Authorization
    # Reference, AWS KMS: GenerateDataKey, resource type ``key``; condition key kms:ViaService): through S3 only.
    Grant(
        "EncryptRunReports",
        ("kms:GenerateDataKey",),
        ("report_key",),
        (("StringEquals", "kms:ViaService", "s3.{region}.amazonaws.com"),),
        simulated=True,
    ),
)

# ----- the readiness checks' own reads (dr_failover.checks.failover_readiness) ------------------------------------
READINESS: Final = (
    Grant("SimulateOwnPolicies", ("iam:SimulatePrincipalPolicy",), ("own_role",)),
    Grant(
        "PublishReadiness",
        ("cloudwatch:PutMetricData",),
        ("any",),
        (("StringEquals", "cloudwatch:namespace", "{readiness_namespace}"),),
    ),
    # DescribeScalingActivities has no resource-level permissions (Service Authorization Reference).
    Grant("ReadScalingActivities", ("autoscaling:DescribeScalingActivities",), ("any",)),
)


def orchestrator_grants(
    *, automatic_recheck: bool, match_serverless_capacity: bool, run_reports: bool
) -> tuple[Grant, ...]:
    """Every grant of one orchestrator beyond LAMBDA_BASE. ``run_reports``: the orchestrator writes run reports (it
    is given a report bucket)."""
    return (
        *FAILOVER,
        *((READ_PROBE_ALARM,) if automatic_recheck else ()),
        *RECOVERY,
        *((MATCH_SERVERLESS_CAPACITY,) if match_serverless_capacity else ()),
        *(RUN_REPORTS if run_reports else ()),
        *READINESS,
    )
