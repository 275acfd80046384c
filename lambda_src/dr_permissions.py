"""The AWS actions each function calls, by purpose: the one list its IAM statements and the readiness check's
IAM simulation are both built from.

Each ``Grant`` is one IAM statement: its Sid, its actions and the resources it is scoped to, named (``on``), not
written as ARNs. The stack (``dr_stack.permissions`` loads this file by path, as ``dr_stack.contract`` loads
``dr_contract``) turns the names into the ARNs of the resources it creates; the orchestrator's readiness check
(``dr_failover.checks.failover_readiness.failover_permissions``) turns them into the ARNs the calls name at run
time and simulates every grant marked ``simulated`` with ``iam:SimulatePrincipalPolicy``. A grant dropped or
narrowed here changes both sides at once; a resource the stack stops granting fails the simulation.

Resource names (``on``):

- ``global_cluster``, ``own_cluster``, ``peer_cluster``: the global cluster and the two member clusters
  (``own``: the function's region).
- ``own_instances``: instances of the own cluster (``<cluster>-<n>``, as Terraform and re-protect name them);
  ``all_instances``: every instance of the account in the two regions (DescribeDBInstances filtered by cluster
  names none).
- ``subnet_group``, ``cluster_parameter_group``, ``instance_parameter_group``: the own cluster's.
- ``default_option_group``: the default option groups of the region (``default:<engine>-<major>``). Aurora
  clusters and instances get the engine's default option group, and RDS authorizes CreateDBCluster and
  CreateDBInstance on it (Service Authorization Reference, Amazon RDS: resource type ``og`` of both actions; the
  RDS User Guide's example policy for CreateDBInstance lists ``og:default*``).
- ``own_key``, ``monitoring_role``: the region's KMS key and the Enhanced Monitoring role.
- ``own_asg``, ``peer_asg``; ``own_table``, ``peer_table``, ``switch_table`` (the traffic-switch region's replica);
  ``topic``; ``peer_health_check``; ``own_alarms`` (the stack's alarms of the region, by name prefix);
  ``probe_alarm``; ``log_streams``, ``dead_letter_queue``; ``own_role`` (the function's own role, which the
  readiness check simulates); ``any`` (``*``: actions without resource-level
  permissions, as the Service Authorization Reference lists them).

Condition values are templates filled from ``{region}``, ``{metric_namespace}`` and ``{readiness_namespace}``.

Stdlib only: the Lambda zip holds ``lambda_src/`` and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Grant:
    """One Allow statement: ``actions`` on the resources named by ``on``, under ``conditions``."""

    sid: str
    actions: tuple[str, ...]
    on: tuple[str, ...]
    conditions: tuple[tuple[str, str, str], ...] = ()
    """(test, condition key, value template) each."""
    simulated: bool = False
    """The readiness check simulates it: a failover or recovery makes this call, and a refusal must show before."""

    def condition_values(self, values: dict[str, str]) -> tuple[tuple[str, str, str], ...]:
        """The conditions with their templates filled."""
        return tuple((test, key, template.format(**values)) for test, key, template in self.conditions)


NAMESPACE_CONDITION: Final = (("StringEquals", "cloudwatch:namespace", "{metric_namespace}"),)
VIA_RDS: Final = (("StringEquals", "kms:ViaService", "rds.{region}.amazonaws.com"),)

# ----- every Lambda: what the Lambda service does with the execution role ------------------------------------
# Lambda writes the function's logs and traces and sends failed asynchronous events to the DLQ with the
# execution role, and decrypts the environment with it (Lambda Developer Guide: execution role; "Securing
# environment variables"; dead-letter queues). The key also encrypts the queue (sending needs GenerateDataKey).
# The services through which every function's role may use its region's key (``LAMBDA_BASE`` "RegionalKey").
KEY_SERVICES: Final = ("lambda", "sqs", "sns")
LAMBDA_BASE: Final = (
    Grant("Logs", ("logs:CreateLogStream", "logs:PutLogEvents"), ("log_streams",)),
    Grant("Tracing", ("xray:PutTraceSegments", "xray:PutTelemetryRecords"), ("any",)),
    Grant("DeadLetters", ("sqs:SendMessage",), ("dead_letter_queue",)),
    # The region's key only through the services that use it for the function: Lambda decrypts the environment,
    # SQS encrypts the dead letters, SNS the notifications (the key policy names the role for the same services).
    Grant(
        "RegionalKey",
        ("kms:Decrypt", "kms:GenerateDataKey"),
        ("own_key",),
        tuple(("StringEquals", "kms:ViaService", f"{service}.{{region}}.amazonaws.com") for service in KEY_SERVICES),
    ),
)

# ----- the orchestrator: failover, switchover, fencing, the lock (dr_failover.actions.steps, .app_capacity,
# dr_failover.records) -------------------------------------------------------------------------------------------
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

# ----- the orchestrator: re-protect, capacity matching, recovery time, the report (dr_failover.actions.reprotect,
# .database_capacity, .serving, dr_failover.run.run_report) ------------------------------------------------------
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

# ----- the orchestrator: the readiness checks' own reads (dr_failover.checks.failover_readiness) ------------------
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

# ----- the switch keeper (dr_failover.keeper) and the probe (dr_probe) ---------------------------------------
SWITCH_KEEPER: Final = (
    Grant("ReadSwitchState", ("dynamodb:GetItem",), ("switch_table",)),
    Grant("ReadWriter", ("rds:DescribeGlobalClusters",), ("global_cluster",)),
    Grant("PublishSwitch", ("cloudwatch:PutMetricData",), ("any",), NAMESPACE_CONDITION),
)
PROBE: Final = (Grant("PublishProbe", ("cloudwatch:PutMetricData",), ("any",), NAMESPACE_CONDITION),)


def orchestrator_grants(*, automatic_recheck: bool, match_serverless_capacity: bool) -> tuple[Grant, ...]:
    """Every grant of one orchestrator beyond LAMBDA_BASE (the run report's bucket grant lives with the bucket)."""
    return (
        *FAILOVER,
        *((READ_PROBE_ALARM,) if automatic_recheck else ()),
        *RECOVERY,
        *((MATCH_SERVERLESS_CAPACITY,) if match_serverless_capacity else ()),
        *READINESS,
    )
