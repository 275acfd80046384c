"""The one contract between the constructs (dr_stack) and the Lambda functions (dr_failover, dr_probe).

Environment variable names, the CloudWatch namespace, metric names and dimension names that both sides
must spell the same way live here and nowhere else.

Why this file lives in ``lambda_src/`` and is a single stdlib-only module: the Lambda zip is built from
``lambda_src/`` only, so the functions can import it at run time (``import dr_contract``). The synth side
(``python main.py`` / ``cdktf synth``, with no PYTHONPATH and the project installed editable from
``constructs/`` only) cannot import ``lambda_src`` by name, so ``dr_stack.contract`` loads this file by its
path (resolved from ``__file__``, the same path the Lambda asset is packaged from) and registers it as
``dr_contract`` in ``sys.modules``: both sides then share one module object, never a copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# ----- CloudWatch: the namespace of the traffic switch and the runs' metrics (the orchestrators, the keeper) ---
METRIC_NAMESPACE: Final = "DR/Failover"
# Every metric in the namespace carries this dimension, valued with the global cluster identifier.
GLOBAL_CLUSTER_DIMENSION: Final = "GlobalCluster"
# Extra dimensions of the orchestrator's run metrics.
MODE_DIMENSION: Final = "Mode"
STEP_DIMENSION: Final = "Step"
# 1 = primary fenced (Route53 sends users to the secondary), 0 = primary in service. Written in the
# traffic-switch region (the secondary) by the orchestrator and re-asserted every minute by the keeper.
TRAFFIC_SWITCH_METRIC: Final = "PrimaryFenced"
# 1 = the primary endpoint answered the probe run from the secondary region, 0 = it did not.
PROBE_METRIC: Final = "PrimaryEndpointHealthy"
STEP_DURATION_METRIC: Final = "StepDurationSeconds"
RECOVERY_TIME_METRIC: Final = "RecoveryTimeSeconds"
DATA_LOSS_WINDOW_METRIC: Final = "DataLossWindowSeconds"

# ----- Orchestrator environment (dr_failover.config) -----------------------------------------------------
GLOBAL_CLUSTER_ID: Final = "GLOBAL_CLUSTER_ID"
TARGET_REGION: Final = "TARGET_REGION"
TARGET_CLUSTER_ID: Final = "TARGET_CLUSTER_ID"
TARGET_CLUSTER_ARN: Final = "TARGET_CLUSTER_ARN"
PEER_REGION: Final = "PEER_REGION"
PEER_CLUSTER_ID: Final = "PEER_CLUSTER_ID"
PEER_CLUSTER_ARN: Final = "PEER_CLUSTER_ARN"
TARGET_ASG_NAME: Final = "TARGET_ASG_NAME"
PEER_ASG_NAME: Final = "PEER_ASG_NAME"
# The failover capacity: what a run raises the target region's ASG to (the settings primary_app_min_capacity,
# primary_app_max_capacity, primary_app_desired_capacity: the serving region's normal size). The code and the docs
# call it the failover capacity (min, desired, max), as these variables do.
FAILOVER_CAPACITY_MIN: Final = "FAILOVER_CAPACITY_MIN"
FAILOVER_CAPACITY_MAX: Final = "FAILOVER_CAPACITY_MAX"
FAILOVER_CAPACITY_DESIRED: Final = "FAILOVER_CAPACITY_DESIRED"
# The standby capacity: what the region that stops serving keeps (secondary_app_min_capacity,
# secondary_app_desired_capacity): warm standby, never 0.
STANDBY_MIN: Final = "STANDBY_MIN"
STANDBY_DESIRED: Final = "STANDBY_DESIRED"
TOPIC_ARN: Final = "TOPIC_ARN"
STATE_TABLE_NAME: Final = "STATE_TABLE_NAME"
RPO_MINUTES: Final = "RPO_MINUTES"
RTO_MINUTES: Final = "RTO_MINUTES"
PROMOTION_TIMEOUT_SECONDS: Final = "PROMOTION_TIMEOUT_SECONDS"
POLL_INTERVAL_SECONDS: Final = "POLL_INTERVAL_SECONDS"
FENCE_TIMEOUT_SECONDS: Final = "FENCE_TIMEOUT_SECONDS"
# Automatic failover: one deadline for all confirmation reads (probe metric, Route53 checkers, the primary's RDS,
# the secondary's global-database lag).
CONFIRMATION_TIMEOUT_SECONDS: Final = "CONFIRMATION_TIMEOUT_SECONDS"
# Automatic failover: the surviving region's replication lag is a DOWN signal at this percentage of the RPO.
CONFIRMATION_LAG_PERCENT_OF_RPO: Final = "CONFIRMATION_LAG_PERCENT_OF_RPO"
LOCK_LEASE_SECONDS: Final = "LOCK_LEASE_SECONDS"
METRIC_NAMESPACE_VARIABLE: Final = "METRIC_NAMESPACE"
TRAFFIC_SWITCH_REGION: Final = "TRAFFIC_SWITCH_REGION"
TRAFFIC_SWITCH_METRIC_VARIABLE: Final = "TRAFFIC_SWITCH_METRIC"
HEALTH_CHECK_ID: Final = "HEALTH_CHECK_ID"
PROBE_METRIC_VARIABLE: Final = "PROBE_METRIC"
PROBE_FAILURE_PERIODS: Final = "PROBE_FAILURE_PERIODS"
AUTOMATIC_MIN_INTERVAL_SECONDS: Final = "AUTOMATIC_MIN_INTERVAL_SECONDS"
# Name of the probe's trigger alarm (in the orchestrator's own region); a scheduled re-evaluation reads its state.
PROBE_ALARM_NAME: Final = "PROBE_ALARM_NAME"


@dataclass(frozen=True)
class Capacity:
    """An Auto Scaling group's size (MinSize, DesiredCapacity, MaxSize): a region's in its DR role as the stack
    creates it, and what the orchestrator reads and sets at failover."""

    minimum: int
    desired: int
    maximum: int

    def __str__(self) -> str:
        return f"{self.minimum}/{self.desired}/{self.maximum}"


# ----- Names the stack makes from its name prefix, which the orchestrator derives back from GLOBAL_CLUSTER_ID -------
# The global cluster is <name prefix>-global, the state table <name prefix>-failover-state, and every alarm name
# starts with <name prefix>- (dr_stack.naming.names): the orchestrator's environment leaves out STATE_TABLE_NAME and
# ALARM_NAME_PREFIX (Lambda allows 4 KB for all variables).
GLOBAL_CLUSTER_NAME_SUFFIX: Final = "-global"
STATE_TABLE_NAME_SUFFIX: Final = "-failover-state"


def alarm_name_prefix(name_prefix: str) -> str:
    """What every alarm name of the stack starts with."""
    return f"{name_prefix}-"


def name_prefix_of(global_cluster_id: str) -> str | None:
    """The name prefix in a global cluster identifier the stack made; None when it is not one (no suffix)."""
    prefix = global_cluster_id.removesuffix(GLOBAL_CLUSTER_NAME_SUFFIX)
    return prefix if prefix and prefix != global_cluster_id else None


def state_table_name_of(global_cluster_id: str) -> str | None:
    """The state table the stack made beside the global cluster ``global_cluster_id``; None: not the stack's."""
    prefix = name_prefix_of(global_cluster_id)
    return None if prefix is None else f"{prefix}{STATE_TABLE_NAME_SUFFIX}"


def cluster_identifier_of(cluster_arn: str) -> str:
    """The DB cluster identifier in a cluster ARN (``arn:<partition>:rds:<region>:<account>:cluster:<id>``): the
    orchestrator's TARGET_CLUSTER_ID, which the stack leaves out of the environment (Lambda allows 4 KB)."""
    return cluster_arn.rsplit(":", 1)[-1]


# ----- Probe environment (dr_probe.handler) ----------------------------------------------------------------
PROBE_URL: Final = "PROBE_URL"
PROBE_ATTEMPTS: Final = "PROBE_ATTEMPTS"
PROBE_TIMEOUT_SECONDS: Final = "PROBE_TIMEOUT_SECONDS"
# Seconds between probes within one scheduled (one-minute) run: 10, 20, 30 or 60. The orchestrator reads the
# probe metric with this period, from the same variable (the setting probe_interval_seconds).
PROBE_INTERVAL_SECONDS: Final = "PROBE_INTERVAL_SECONDS"
PROBE_METRIC_NAME_VARIABLE: Final = "METRIC_NAME"

# ----- State table items ------------------------------------------------------------------------------------
# The run lease and journal, the traffic-switch state the keeper re-asserts, the last automatic run.
LOCK_ITEM_PREFIX: Final = "lock#"
SWITCH_ITEM_PREFIX: Final = "switch#"
AUTOMATIC_ITEM_PREFIX: Final = "automatic#"
# One run record per changing run: ``run#<global cluster id>#<run id>``, written when the run is accepted or
# refused and kept (TTL) for longer than any redelivery of its event can arrive, so a run id stays spent.
RUN_ITEM_PREFIX: Final = "run#"
# The automatic trigger's current refusal episode (``refusals#<global cluster id>``): the run id whose run record holds
# every refused automatic evaluation while the probe alarm stays in ALARM (one record and one notification per
# episode, not one a minute).
REFUSAL_EPISODE_ITEM_PREFIX: Final = "refusals#"
# The state table's TTL attribute (epoch seconds): DynamoDB deletes an item some time after it (typically within a
# few days), so a retention is a lower bound.
STATE_TTL_ATTRIBUTE: Final = "expires_at"

# ----- Asynchronous invocation (the functions' event invoke config) -------------------------------------------
# Lambda delivers an asynchronous event at least once, and keeps retrying it until it is this old (60-21600 s).
ASYNC_MAXIMUM_EVENT_AGE_SECONDS: Final = 3600
# Lambda's own retries of a failed asynchronous invocation (0-2): none, the orchestrator resumes from its journal.
ASYNC_MAXIMUM_RETRY_ATTEMPTS: Final = 0
# Lambda's largest function timeout: a delivery accepted at the end of the event's age may still run this long.
LAMBDA_MAXIMUM_TIMEOUT_SECONDS: Final = 900
# The latest a delivery of an event can still be running, counted from its first delivery.
REDELIVERY_WINDOW_SECONDS: Final = (
    ASYNC_MAXIMUM_EVENT_AGE_SECONDS + (ASYNC_MAXIMUM_RETRY_ATTEMPTS + 1) * LAMBDA_MAXIMUM_TIMEOUT_SECONDS
)
# A run record outlives the redelivery window many times over (an operator's re-send of an old command too).
RUN_RECORD_RETENTION_SECONDS: Final = 24 * REDELIVERY_WINDOW_SECONDS

# ----- The surviving region's confirmation signal: Aurora's global database lag, read in the secondary region ---
# Amazon Aurora User Guide, "Amazon CloudWatch metrics for Amazon Aurora", cluster-level metrics: Aurora publishes
# AuroraGlobalDBReplicationLag in namespace AWS/RDS, for an Aurora global database "the amount of lag when
# replicating updates from the primary AWS Region", in milliseconds, for Aurora MySQL and Aurora PostgreSQL, with
# the dimension DBClusterIdentifier = the secondary cluster (read in that cluster's region). It is the one signal
# of the automatic confirmation whose endpoint (that region's CloudWatch) is not in the primary region, so it can
# be read while every us-east-1 endpoint (the Route53 API among them) is gone. A game-day harness that plays an
# outage publishes this metric under exactly these names, and imports them from here.
AURORA_NAMESPACE: Final = "AWS/RDS"
GLOBAL_LAG_METRIC: Final = "AuroraGlobalDBReplicationLag"
GLOBAL_LAG_DIMENSION: Final = "DBClusterIdentifier"
# The metric is in milliseconds.
GLOBAL_LAG_UNIT_SECONDS: Final = 0.001


# ----- Handlers -----------------------------------------------------------------------------------------------
ORCHESTRATOR_HANDLER: Final = "dr_failover.handler.handler"
SWITCH_KEEPER_HANDLER: Final = "dr_failover.keeper.handler"
PROBE_HANDLER: Final = "dr_probe.handler.handler"

# The event the automatic trigger sends (EventBridge rule input) carries this trigger value.
AUTOMATIC_TRIGGER: Final = "automatic"
# The once-a-minute re-evaluation sends this trigger: EventBridge emits a CloudWatch alarm event only when the
# alarm changes state, so while the probe alarm stays in ALARM the schedule asks again; it is automatic too.
AUTOMATIC_RECHECK_TRIGGER: Final = "automatic_recheck"

# ----- Recovery operations: readiness, end-to-end recovery time, run reports, capacity, reprotect -------------
READINESS_MODE: Final = "readiness"
REPROTECT_MODE: Final = "reprotect"
# The readiness metrics' own namespace: only the orchestrators publish there (the keeper's and the probe's grants
# name other namespaces), so no other role can fake ReadyForFailover; the traffic switch's namespace is apart.
READINESS_NAMESPACE: Final = "DR/Readiness"
# 1 = every readiness check of this region passed (published by the scheduled readiness run), 0 = not ready.
READY_METRIC: Final = "ReadyForFailover"
# One datapoint per check (1 pass / 0 fail), dimension CHECK_DIMENSION = the check's name.
READINESS_CHECK_METRIC: Final = "ReadinessCheck"
CHECK_DIMENSION: Final = "Check"
REGION_DIMENSION: Final = "Region"
# From the first failed primary signal (else the run start) until the target region serves.
END_TO_END_RECOVERY_METRIC: Final = "EndToEndRecoveryTimeSeconds"
# Object key prefix of the run reports in the region's report bucket.
REPORT_PREFIX: Final = "runs"
REPORT_BUCKET: Final = "REPORT_BUCKET"
REPORT_KMS_KEY_ARN: Final = "REPORT_KMS_KEY_ARN"
ALARM_NAME_PREFIX: Final = "ALARM_NAME_PREFIX"
FAILOVER_CAPACITY_PERCENT: Final = "FAILOVER_CAPACITY_PERCENT"
MIN_SUCCESS_PERCENT: Final = "MIN_SUCCESS_PERCENT"
TARGET_GROUP_ARN: Final = "TARGET_GROUP_ARN"
SERVING_TIMEOUT_SECONDS: Final = "SERVING_TIMEOUT_SECONDS"
REPROTECT_CLUSTER_SPEC: Final = "REPROTECT_CLUSTER_SPEC"
MATCH_DATABASE_CAPACITY: Final = "MATCH_DATABASE_CAPACITY"


# ----- Who may move the traffic switch: the probe writes to a namespace of its own ----------------------------
# PutMetricData is held to a namespace by the cloudwatch:namespace condition key (no resource-level permission).
# METRIC_NAMESPACE holds the traffic switch, so only the orchestrators and the switch keeper may publish there;
# the probe (which fetches the app's URL) publishes PROBE_METRIC here and can never write PrimaryFenced.
PROBE_NAMESPACE: Final = "DR/Probe"
# The orchestrator's variable naming the namespace it reads the probe's metric from.
PROBE_NAMESPACE_VARIABLE: Final = "PROBE_NAMESPACE"

# ----- Bounds and defaults of the orchestrator's setting-fed variables ----------------------------------------
# One rule set: dr_failover.config refuses at cold start, and dr_stack.config.settings refuses at synth, a value
# outside these (inclusive) bounds; each default here is the only one written. A variable the stack always sets
# (LOCK_LEASE_SECONDS, MIN_SUCCESS_PERCENT, MATCH_DATABASE_CAPACITY) has no default on the function's side.
# The promotion wait ends within Lambda's 900 s function timeout, leaving a minute for the steps after it.
PROMOTION_TIMEOUT_RANGE: Final = (60, 840)
DEFAULT_PROMOTION_TIMEOUT_SECONDS: Final = 600
# Seconds between the orchestrator's polls while it waits (promotion, serving, capacity); no setting feeds it
# (the stack leaves it out; the end-to-end run sets 1), so only the function checks it.
POLL_INTERVAL_RANGE: Final = (1, 300)
DEFAULT_POLL_INTERVAL_SECONDS: Final = 15
FENCE_TIMEOUT_RANGE: Final = (5, 120)
DEFAULT_FENCE_TIMEOUT_SECONDS: Final = 20
CONFIRMATION_TIMEOUT_RANGE: Final = (1, 60)
DEFAULT_CONFIRMATION_TIMEOUT_SECONDS: Final = 10
# A lag above the whole RPO is too late a signal (the RPO is spent by then); 20% is the replication-lag alarm's
# own default threshold (rpo_minutes x 60 / 5), a lag Aurora's typical sub-second replication does not reach.
CONFIRMATION_LAG_PERCENT_RANGE: Final = (1, 100)
DEFAULT_CONFIRMATION_LAG_PERCENT_OF_RPO: Final = 20
# The lock lease outlives the promotion wait by this margin (LOCK_LEASE_SECONDS = promotion timeout + margin).
LEASE_MARGIN_SECONDS: Final = 120
# The once-a-minute EventBridge schedules (the probe, the switch keeper, the automatic re-evaluation): one minute is
# EventBridge's finest rate ("rate(1 minute)"). One probe run covers one such period.
SCHEDULE_SECONDS: Final = 60
# Probe datapoints per minute's run: 10, 20, 30 or 60 s apart (the probe's high-resolution periods, or one a minute).
PROBE_INTERVALS: Final = (10, 20, 30, 60)
DEFAULT_PROBE_INTERVAL_SECONDS: Final = 60
# Each probe's requests (PROBE_ATTEMPTS, PROBE_TIMEOUT_SECONDS): the probe's defaults; a sub-minute interval takes
# FAST_PROBE_ATTEMPTS request(s) of the default timeout, so all of them fit the interval.
PROBE_ATTEMPTS_RANGE: Final = (1, 5)
DEFAULT_PROBE_ATTEMPTS: Final = 3
FAST_PROBE_ATTEMPTS: Final = 1
PROBE_TIMEOUT_RANGE: Final = (1, 20)
DEFAULT_PROBE_TIMEOUT_SECONDS: Final = 5
PROBE_FAILURE_PERIODS_RANGE: Final = (1, 10)
DEFAULT_PROBE_FAILURE_PERIODS: Final = 3
AUTOMATIC_MIN_INTERVAL_RANGE: Final = (0, 604_800)
DEFAULT_AUTOMATIC_MIN_INTERVAL_SECONDS: Final = 3600
FAILOVER_CAPACITY_PERCENT_RANGE: Final = (1, 1000)
DEFAULT_FAILOVER_CAPACITY_PERCENT: Final = 100
MIN_SUCCESS_PERCENT_RANGE: Final = (1, 100)
DEFAULT_MIN_SUCCESS_PERCENT: Final = 50
DEFAULT_MATCH_DATABASE_CAPACITY: Final = True
# ASG capacities the orchestrator sets (min, desired; the max within MAX_CAPACITY_RANGE): the stack's ASG settings
# (primary_app_*_capacity, secondary_app_*_capacity) take the same bounds.
CAPACITY_RANGE: Final = (0, 1000)
MAX_CAPACITY_RANGE: Final = (1, CAPACITY_RANGE[1])
SERVING_TIMEOUT_RANGE: Final = (0, 3600)
OBJECTIVE_MINUTES_RANGE: Final = (1, 1440)


def stalled_replication_seconds(rpo_seconds: int, percent_of_rpo: int = DEFAULT_CONFIRMATION_LAG_PERCENT_OF_RPO) -> int:
    """Replication lag at which the surviving secondary's own view counts as "nothing replicates from the
    primary" for the automatic confirmation: ``percent_of_rpo`` of the RPO (the setting
    failover_confirmation_lag_percent_of_rpo, CONFIRMATION_LAG_PERCENT_OF_RPO; by default a fifth, the
    replication-lag alarm's default threshold), at least 1 s. A stall of a fifth leaves four fifths of the RPO for
    the failover to complete. A game-day harness compares its published GLOBAL_LAG_METRIC with this."""
    return max(1, rpo_seconds * percent_of_rpo // 100)
