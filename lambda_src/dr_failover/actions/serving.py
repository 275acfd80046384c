"""Steps of a promotion run for recovery operations: the first failed signal, the wait until the target serves
(end-to-end recovery time), and the resource states the run report starts from.

The target ASG's sizing lives in ``dr_failover.actions.app_capacity``, the database's in
``dr_failover.actions.database_capacity``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import dr_contract as contract

from dr_failover.actions.app_capacity import required_in_service
from dr_failover.actions.steps import RunContext, StepWarning
from dr_failover.aws.calls import error_code
from dr_failover.checks.preflight import PreflightReport
from dr_failover.records.switch import read_switch

# How far back the first failed probe datapoint is looked for.
SIGNAL_LOOKBACK_SECONDS = 3600


def first_failure_signal(ctx: RunContext, *, fallback: float) -> tuple[float, str]:
    """Epoch of the first failed primary signal of the current outage, when known, else ``fallback``.

    The signal is the probe's ``PrimaryEndpointHealthy`` (written in the secondary region, read here only when
    this is that region): the first datapoint of the trailing run of datapoints below 1.
    """
    config = ctx.config
    if not config.traffic_switch_is_local or ctx.request.mode != "failover":
        return fallback, "run start (no probe of the other region applies to this run)"
    end = datetime.fromtimestamp(ctx.clock(), tz=UTC)
    try:
        response = ctx.clients.target("cloudwatch").get_metric_statistics(
            Namespace=config.probe_namespace,
            MetricName=config.probe_metric,
            Dimensions=[{"Name": contract.GLOBAL_CLUSTER_DIMENSION, "Value": config.global_cluster_id}],
            StartTime=end - timedelta(seconds=SIGNAL_LOOKBACK_SECONDS),
            EndTime=end,
            Period=60,
            Statistics=["Minimum"],
        )
    except Exception as error:  # noqa: BLE001 - unknown: the run start is used
        return fallback, f"run start (probe metric unreadable: {error_code(error)})"
    points = sorted(response.get("Datapoints", []), key=lambda p: p["Timestamp"])
    first: datetime | None = None
    for point in reversed(points):
        if point.get("Minimum", 1.0) >= 1.0:
            break
        first = point["Timestamp"]
    if first is None:
        return fallback, "run start (no failed probe datapoint before it)"
    started = min(first.timestamp(), fallback)
    return started, f"first failed {config.probe_metric} datapoint at {first.astimezone(UTC):%H:%M:%S}Z"


@dataclass
class Serving:
    """When the target started to serve (end-to-end recovery point), and the capacity reached."""

    served_at: float | None = None
    healthy: int = 0
    required: int = 0


def healthy_targets(ctx: RunContext) -> int:
    """Targets in state ``healthy`` in the target region's target group (DescribeTargetHealth)."""
    response = ctx.clients.target("elbv2").describe_target_health(TargetGroupArn=ctx.config.target_group_arn)
    return sum(1 for t in response.get("TargetHealthDescriptions", []) if t["TargetHealth"]["State"] == "healthy")


def switch_holds(ctx: RunContext) -> bool:
    """The traffic-switch item (this region's replica of the global table) says this region serves."""
    config = ctx.config
    state = read_switch(
        ctx.clients.target("dynamodb"), table_name=config.state_table_name, global_cluster_id=config.global_cluster_id
    )
    if state is None:  # never switched: the primary serves
        return not config.traffic_switch_is_local
    return state.serving_region == config.target_region


def wait_for_serving(ctx: RunContext, *, desired: int, deadline: float, serving: Serving) -> str:
    """Poll until the target serves (>= the failover minimum healthy and the switch holds) and the run's capacity
    rule is met (switchover: all of ``desired`` healthy; failover: MIN_SUCCESS_PERCENT of it)."""
    config = ctx.config
    if not config.target_group_arn:
        raise StepWarning("TARGET_GROUP_ARN not set: end-to-end recovery time not measured")
    serving.required = max(
        config.failover_capacity_min,
        required_in_service(desired, mode=ctx.request.mode, min_success_percent=config.min_success_percent),
    )
    polls = 0
    while True:
        polls += 1
        serving.healthy = healthy_targets(ctx)
        if serving.served_at is None and serving.healthy >= config.failover_capacity_min and switch_holds(ctx):
            serving.served_at = ctx.clock()
        if serving.served_at is not None and serving.healthy >= serving.required:
            return (
                f"{serving.healthy} healthy target(s) >= {serving.required} required "
                f"(failover min {config.failover_capacity_min}; {ctx.request.mode} needs "
                f"{'all' if ctx.request.mode == 'switchover' else f'{config.min_success_percent}%'} of {desired}); "
                f"traffic switch holds; {polls} poll(s)"
            )
        now = ctx.clock()
        if now >= deadline:
            state = "serving" if serving.served_at is not None else "NOT serving"
            raise StepWarning(
                f"{state} after SERVING_TIMEOUT_SECONDS={config.serving_timeout_seconds}: {serving.healthy} healthy "
                f"target(s), {serving.required} required"
            )
        ctx.keep_lease()
        ctx.sleep(min(config.poll_interval_seconds, deadline - now))


def preflight_states(report: PreflightReport) -> dict[str, Any]:
    """Resource states as the preflight read them (the report's 'before'), with no extra call."""
    states: dict[str, Any] = {}
    cluster = report.global_cluster
    if cluster is not None:
        states["global_cluster"] = {
            "status": cluster.status,
            "members": [
                {"cluster": m.arn, "writer": m.is_writer, "synchronization": m.synchronization} for m in cluster.members
            ],
            "failover_state": cluster.failover_status,
        }
    if report.target_asg is not None:
        group = report.target_asg
        states[f"asg {group.get('AutoScalingGroupName')}"] = {
            "min": group.get("MinSize"),
            "desired": group.get("DesiredCapacity"),
            "max": group.get("MaxSize"),
        }
    if report.switch is not None:
        states["traffic_switch"] = {"serving_region": report.switch.serving_region, "run_id": report.switch.run_id}
    return states
