"""The changing steps of a run: fence, scale, promote, wait, switch traffic, health check, metrics, notify.

Each step returns a one-line detail. ``StepWarning`` marks a best-effort step that did not complete
(the run goes on); any other exception fails the run.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dr_failover.aws import TRANSIENT_NETWORK_ERRORS, error_code
from dr_failover.clients import RunClients
from dr_failover.config import Config
from dr_failover.events import FailoverRequest
from dr_failover.preflight import GlobalClusterState, describe_global_cluster

SNS_SUBJECT_LIMIT = 100
ROUTE53_ATTEMPTS = 1


class StepWarning(Exception):
    """A best-effort step did not complete; recorded as a warning, the run continues."""


class PromotionTimeout(RuntimeError):
    """The target did not become the writer before the deadline."""


@dataclass
class RunContext:
    """Everything a step needs: settings, request, clients, time."""

    config: Config
    request: FailoverRequest
    clients: RunClients
    clock: Callable[[], float]
    sleep: Callable[[float], None]
    run_id: str


def fence_peer(ctx: RunContext) -> str:
    """Best effort: scale the old primary's ASG to min 0 / desired 0 (its region may be down)."""
    config = ctx.config
    try:
        ctx.clients.peer("autoscaling").update_auto_scaling_group(
            AutoScalingGroupName=config.peer_asg_name, MinSize=0, DesiredCapacity=0
        )
    except Exception as error:  # noqa: BLE001 - fencing is best effort by design
        raise StepWarning(
            f"could not fence {config.peer_asg_name} in {config.peer_region} "
            f"({error_code(error)}: {error}); scale it to 0 when the region is reachable"
        ) from error
    return f"{config.peer_asg_name} in {config.peer_region} set to min 0 / desired 0"


def scale_target(ctx: RunContext) -> str:
    """Start scaling the target ASG to the failover capacity (asynchronous; not waited for)."""
    config = ctx.config
    autoscaling = ctx.clients.target("autoscaling")
    groups = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[config.target_asg_name])
    current = groups["AutoScalingGroups"][0]
    max_size = max(int(current["MaxSize"]), config.target_failover_max)
    autoscaling.update_auto_scaling_group(
        AutoScalingGroupName=config.target_asg_name,
        MinSize=config.target_failover_min,
        MaxSize=max_size,
        DesiredCapacity=config.target_failover_desired,
    )
    return (
        f"{config.target_asg_name} min/desired/max {current['MinSize']}/{current['DesiredCapacity']}/"
        f"{current['MaxSize']} -> {config.target_failover_min}/{config.target_failover_desired}/{max_size}"
    )


def promotion_call(config: Config, mode: str) -> tuple[str, dict[str, Any]]:
    """The RDS method and parameters that promote the target for ``mode``."""
    params: dict[str, Any] = {
        "GlobalClusterIdentifier": config.global_cluster_id,
        "TargetDbClusterIdentifier": config.target_cluster_arn,
    }
    if mode == "failover":
        return "failover_global_cluster", {**params, "AllowDataLoss": True}
    return "switchover_global_cluster", params


def promote(ctx: RunContext) -> str:
    """Call Switchover/FailoverGlobalCluster once, unless live state shows it is done or under way."""
    config = ctx.config
    state = describe_global_cluster(config, ctx.clients)
    skip = _already_promoting(state, config)
    if skip:
        return f"not called: {skip}"
    method, params = promotion_call(config, ctx.request.mode)
    try:
        getattr(ctx.clients.target("rds"), method)(**params)
    except TRANSIENT_NETWORK_ERRORS as error:
        # The request may have reached RDS: look before deciding, never send it twice.
        state = describe_global_cluster(config, ctx.clients)
        skip = _already_promoting(state, config)
        if not skip:
            raise
        return f"{method} answer lost ({error_code(error)}), but {skip}"
    return f"{method} called for {config.target_cluster_arn}" + (
        " with AllowDataLoss=True" if params.get("AllowDataLoss") else ""
    )


def _already_promoting(state: GlobalClusterState, config: Config) -> str | None:
    """Why no promotion call is needed (target writer, or promotion to it in progress), else None."""
    if state.promotion_to(config.target_cluster_arn):
        return f"a {state.failover_status} promotion to {config.target_cluster_id} is already in progress"
    if state.target_is_writer:
        return f"{config.target_cluster_id} is already the writer"
    return None


def wait_for_promotion(ctx: RunContext, *, deadline: float) -> str:
    """Poll every POLL_INTERVAL_SECONDS until the target is writer and the global cluster available."""
    config = ctx.config
    started = ctx.clock()
    polls = 0
    while True:
        polls += 1
        state = describe_global_cluster(config, ctx.clients)
        if state.target_is_writer and state.status == "available":
            return f"{config.target_cluster_id} is writer, global cluster available after {polls} poll(s)"
        if state.failover_status == "cancelling":
            raise PromotionTimeout(f"the promotion to {config.target_cluster_id} is being cancelled by RDS")
        now = ctx.clock()
        if now >= deadline:
            raise PromotionTimeout(
                f"{config.target_cluster_id} not writer after {now - started:.0f} s (deadline "
                f"PROMOTION_TIMEOUT_SECONDS={config.promotion_timeout_seconds}); last seen: global status "
                f"{state.status!r}, writer {state.writer_arn}, promotion {state.failover_status or 'none'}. "
                "RDS may still finish it: re-invoke to resume waiting (the promotion API is not called again "
                "while it is in progress)"
            )
        ctx.sleep(min(config.poll_interval_seconds, deadline - now))


def switch_traffic(ctx: RunContext) -> str:
    """Write the traffic-switch metric that drives the PRIMARY record's health check (data plane only)."""
    config = ctx.config
    region = config.traffic_switch_region
    value = config.traffic_switch_value
    cloudwatch = (
        ctx.clients.target("cloudwatch")
        if config.traffic_switch_is_local
        else ctx.clients.get("cloudwatch", region, short=True)
    )
    try:
        cloudwatch.put_metric_data(
            Namespace=config.metric_namespace,
            MetricData=[
                {
                    "MetricName": config.traffic_switch_metric,
                    "Dimensions": [{"Name": "GlobalCluster", "Value": config.global_cluster_id}],
                    "Value": value,
                    "Unit": "None",
                }
            ],
        )
    except Exception as error:
        raise RuntimeError(
            f"could not write {config.metric_namespace}/{config.traffic_switch_metric}={value:g} in {region} "
            f"({error_code(error)}: {error}); DNS will NOT move to {config.target_region}. Write it by hand: "
            f"aws cloudwatch put-metric-data --region {region} --namespace {config.metric_namespace} "
            f"--metric-name {config.traffic_switch_metric} --dimensions GlobalCluster={config.global_cluster_id} "
            f"--value {value:g}"
        ) from error
    meaning = "primary fenced, users sent to secondary" if value else "primary active, users sent to primary"
    return f"{config.traffic_switch_metric}={value:g} written in {region} ({meaning})"


def check_peer_health(ctx: RunContext) -> str:
    """Informational: Route53 status of the old primary's health check; never fails the run."""
    config = ctx.config
    if not config.health_check_id:
        return "skipped: HEALTH_CHECK_ID not set"
    try:
        route53 = ctx.clients.get("route53", config.target_region, short=True, attempts=ROUTE53_ATTEMPTS)
        response = route53.get_health_check_status(HealthCheckId=config.health_check_id)
    except Exception as error:  # noqa: BLE001 - Route53 control plane is informational only
        raise StepWarning(
            f"Route53 health check {config.health_check_id} status unavailable "
            f"({error_code(error)}); informational only"
        ) from error
    observations = response.get("HealthCheckObservations", [])
    healthy = sum(1 for o in observations if o.get("StatusReport", {}).get("Status", "").startswith("Success"))
    return f"health check {config.health_check_id}: {healthy}/{len(observations)} checkers report healthy"


def publish_metrics(
    ctx: RunContext,
    *,
    steps: list[dict[str, Any]],
    recovery_time_seconds: float | None,
    data_loss_window_seconds: float | None,
) -> str:
    """Publish step durations, recovery time and data-loss window to METRIC_NAMESPACE in TARGET_REGION."""
    config = ctx.config
    base = [{"Name": "GlobalCluster", "Value": config.global_cluster_id}, {"Name": "Mode", "Value": ctx.request.mode}]
    data: list[dict[str, Any]] = [
        {
            "MetricName": "StepDurationSeconds",
            "Dimensions": [*base, {"Name": "Step", "Value": step["name"]}],
            "Value": float(step["seconds"]),
            "Unit": "Seconds",
        }
        for step in steps
        if step["status"] in ("ok", "warning", "failed")
    ]
    if recovery_time_seconds is not None:
        data.append(
            {
                "MetricName": "RecoveryTimeSeconds",
                "Dimensions": base,
                "Value": float(recovery_time_seconds),
                "Unit": "Seconds",
            }
        )
    if data_loss_window_seconds is not None:
        data.append(
            {
                "MetricName": "DataLossWindowSeconds",
                "Dimensions": base,
                "Value": float(data_loss_window_seconds),
                "Unit": "Seconds",
            }
        )
    try:
        ctx.clients.target("cloudwatch").put_metric_data(Namespace=config.metric_namespace, MetricData=data)
    except Exception as error:  # noqa: BLE001 - metrics must not fail a finished failover
        raise StepWarning(f"metrics not published ({error_code(error)}: {error})") from error
    return f"{len(data)} metric(s) published to {config.metric_namespace} in {config.target_region}"


def notify(ctx: RunContext, *, event: str, body: dict[str, Any]) -> str:
    """Best effort: publish a notification (subject + JSON timeline) to TOPIC_ARN."""
    config = ctx.config
    subject = f"DR {ctx.request.mode} to {config.target_region} {event}: {config.global_cluster_id}"
    try:
        ctx.clients.target("sns").publish(
            TopicArn=config.topic_arn,
            Subject=_subject(subject),
            Message=json.dumps({"event": event, **body}, indent=2, default=str),
        )
    except Exception as error:  # noqa: BLE001 - a lost notification must not stop a failover
        raise StepWarning(f"notification '{event}' not sent ({error_code(error)}: {error})") from error
    return f"'{event}' notification sent to {config.topic_arn}"


def _subject(text: str) -> str:
    """An SNS subject: ASCII printable, one line, at most 100 characters."""
    clean = "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in text)
    return clean[:SNS_SUBJECT_LIMIT]
