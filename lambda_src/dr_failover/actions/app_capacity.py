"""The app tier's capacity, all of it: the target ASG sized from the serving region's use, raised, waited for; the
old primary's ASG set to warm standby; every changed ASG put back when the promotion is refused.

Pure decisions (``asg_capacity_plan``, ``capacity_reached``) are separate from the reads and writes that feed
them, so each rule is tested on its own:

- Size: desired = max(configured failover desired, ceil(pct% x the serving region's maximum
  ``GroupInServiceInstances`` over the last 24 h)), never above the group's max. When the serving
  region's metrics cannot be read (it may be the region that is down), the configured capacity is used
  and the plan says so. No read in the peer region waits longer than SOURCE_READ_SECONDS.
- Success: a planned switchover needs the whole desired capacity in service; an ungraceful failover
  accepts ``min_success_percent`` of it (rounded up, at least one instance).
- The failover capacity is FAILOVER_CAPACITY_MIN/DESIRED/MAX, the standby capacity STANDBY_MIN/STANDBY_DESIRED
  (``dr_contract``); each ASG's size is a ``dr_contract.Capacity``.

The database's capacity is matched in ``dr_failover.actions.database_capacity``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import dr_contract as contract

from dr_failover.actions.steps import RunContext, StepWarning
from dr_failover.aws.calls import error_code
from dr_failover.checks.preflight import describe_global_cluster
from dr_failover.records.lock import LeaseLock, LockRecord

# An ASG's size: the one type the stack builds the ASGs from too.
Capacity = contract.Capacity

ASG_NAMESPACE = "AWS/AutoScaling"
IN_SERVICE_METRIC = "GroupInServiceInstances"
LOOKBACK_SECONDS = 24 * 3600
# 288 datapoints per 24 h: under GetMetricStatistics' 1,440-datapoint limit per call.
LOOKBACK_PERIOD_SECONDS = 300
# Longest wait for a read in the peer region (its 24 h in-service peak, its cluster's shape): it may be down.
SOURCE_READ_SECONDS = 5.0


@dataclass(frozen=True)
class AsgCapacityPlan:
    """Min/desired/max the target ASG is set to, and why."""

    min_size: int
    desired: int
    max_size: int
    source_max_in_service: float | None
    reason: str


def asg_capacity_plan(
    *,
    failover_min: int,
    failover_desired: int,
    failover_max: int,
    current_max: int,
    percent: int,
    source_max_in_service: float | None,
) -> AsgCapacityPlan:
    """The target's capacity: the larger of the configured failover desired and pct% of the source's 24 h max."""
    if not 1 <= percent <= 1000:
        raise ValueError(f"capacity percent must be 1-1000, got {percent}")
    max_size = max(current_max, failover_max)
    if source_max_in_service is None:
        desired = failover_desired
        reason = f"serving region's {IN_SERVICE_METRIC} unavailable: configured failover desired {failover_desired}"
    else:
        measured = math.ceil(source_max_in_service * percent / 100)
        desired = max(failover_desired, measured)
        reason = (
            f"max(configured {failover_desired}, ceil({percent}% x 24 h max {source_max_in_service:g} in service) = "
            f"{measured}) = {desired}"
        )
    if desired > max_size:
        reason += f", capped at max {max_size}"
        desired = max_size
    return AsgCapacityPlan(
        min_size=min(failover_min, desired),
        desired=desired,
        max_size=max_size,
        source_max_in_service=source_max_in_service,
        reason=reason,
    )


def required_in_service(desired: int, *, mode: str, min_success_percent: int) -> int:
    """Instances that must be in service for the scale-up to count as done (switchover: all of them)."""
    if mode == "switchover" or desired == 0:
        return desired
    return max(1, math.ceil(desired * min_success_percent / 100))


def capacity_reached(in_service: int, desired: int, *, mode: str, min_success_percent: int) -> bool:
    """True when ``in_service`` meets what ``mode`` requires of ``desired``."""
    return in_service >= required_in_service(desired, mode=mode, min_success_percent=min_success_percent)


def read_max_in_service(cloudwatch: Any, asg_name: str, *, now: float) -> float | None:
    """Maximum GroupInServiceInstances of ``asg_name`` over the last 24 h (None when there is no datapoint)."""
    end = datetime.fromtimestamp(now, tz=UTC)
    response = cloudwatch.get_metric_statistics(
        Namespace=ASG_NAMESPACE,
        MetricName=IN_SERVICE_METRIC,
        Dimensions=[{"Name": "AutoScalingGroupName", "Value": asg_name}],
        StartTime=end - timedelta(seconds=LOOKBACK_SECONDS),
        EndTime=end,
        Period=LOOKBACK_PERIOD_SECONDS,
        Statistics=["Maximum"],
    )
    values = [point["Maximum"] for point in response.get("Datapoints", []) if "Maximum" in point]
    return max(values) if values else None


def source_max_in_service(ctx: RunContext) -> tuple[float | None, str]:
    """The serving (peer) region's 24 h max GroupInServiceInstances, or None and why not."""
    config = ctx.config
    try:
        cloudwatch = ctx.clients.peer("cloudwatch", deadline=ctx.clock() + SOURCE_READ_SECONDS)
        value = read_max_in_service(cloudwatch, config.peer_asg_name, now=ctx.clock())
    except Exception as error:  # noqa: BLE001 - the source region may be down: configured capacity is used
        return None, f"{config.peer_region} metrics unreadable ({error_code(error)})"
    return value, "" if value is not None else f"no {config.peer_asg_name} datapoints in 24 h"


def failover_capacity(ctx: RunContext, *, current_max: int) -> tuple[int, int, int, str]:
    """(min, desired, max) for the target ASG: configured failover capacity or pct% of the source's 24 h peak."""
    config = ctx.config
    peak, why = source_max_in_service(ctx)
    plan = asg_capacity_plan(
        failover_min=config.failover_capacity_min,
        failover_desired=config.failover_capacity_desired,
        failover_max=config.failover_capacity_max,
        current_max=current_max,
        percent=config.failover_capacity_percent,
        source_max_in_service=peak,
    )
    return plan.min_size, plan.desired, plan.max_size, plan.reason + (f" ({why})" if why else "")


def size_target(ctx: RunContext) -> str:
    """Size the target ASG from the serving region's 24 h peak (FAILOVER_CAPACITY_PERCENT), floor the failover
    capacity."""
    config = ctx.config
    _min, desired, _max, reason = failover_capacity(ctx, current_max=config.failover_capacity_max)
    ctx.target_desired = desired
    return f"{config.target_asg_name} desired {desired}: {reason}"


def _describe_asg(autoscaling: Any, name: str) -> Capacity:
    group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]
    return Capacity(int(group["MinSize"]), int(group["DesiredCapacity"]), int(group["MaxSize"]))


def _set_asg(ctx: RunContext, autoscaling: Any, region: str, name: str, before: Capacity, after: Capacity) -> None:
    """Update an ASG, having noted (durably, before the change) its capacity before the run's first change."""
    if (region, name) not in ctx.changed_asgs:
        if ctx.remember_capacity is not None:
            ctx.remember_capacity(region, name, before)  # raises: the ASG is not changed
        ctx.changed_asgs[(region, name)] = before
    autoscaling.update_auto_scaling_group(
        AutoScalingGroupName=name, MinSize=after.minimum, MaxSize=after.maximum, DesiredCapacity=after.desired
    )


def scale_target(ctx: RunContext) -> str:
    """Raise the target ASG to the failover capacity (never lowers it), then read it back to confirm."""
    config = ctx.config
    autoscaling = ctx.clients.target("autoscaling")
    before = _describe_asg(autoscaling, config.target_asg_name)
    desired = config.failover_capacity_desired if ctx.target_desired is None else ctx.target_desired
    wanted = Capacity(
        max(before.minimum, config.failover_capacity_min),
        max(before.desired, desired),
        max(before.maximum, config.failover_capacity_max, desired),
    )
    ctx.target_capacity_bar = wanted.desired
    if (before.minimum, before.desired, before.maximum) == (wanted.minimum, wanted.desired, wanted.maximum):
        return f"{config.target_asg_name} already at {before} (min/desired/max): no change"
    _set_asg(ctx, autoscaling, config.target_region, config.target_asg_name, before, wanted)
    after = _describe_asg(autoscaling, config.target_asg_name)
    if after.minimum < wanted.minimum or after.desired < wanted.desired:
        raise RuntimeError(f"{config.target_asg_name} reads {after} after the update to {wanted}")
    return f"{config.target_asg_name} min/desired/max {before} -> {after}"


def wait_for_target_capacity(ctx: RunContext, *, deadline: float) -> str:
    """Switchover only: wait until the target ASG's InService, Healthy instances reach its desired capacity.

    UpdateAutoScalingGroup returns before any instance is launched; a launch can then fail (insufficient
    instance capacity, a broken launch template) without the preflight seeing it. The serving region is
    never left for a target that does not serve: if the capacity is not there by ``deadline`` the step
    fails before SwitchoverGlobalCluster, and the run restores what it changed.

    The bar is the desired capacity scale_target set (``ctx.target_capacity_bar``), not the group's current
    DesiredCapacity: a scale-in policy, or another region's run reducing this group to standby, lowers that
    value, and the switchover would then leave the new writer's region with fewer instances than planned.
    """
    config = ctx.config
    autoscaling = ctx.clients.target("autoscaling")
    bar = ctx.target_capacity_bar
    if bar is None:
        bar = config.failover_capacity_desired if ctx.target_desired is None else ctx.target_desired
    polls = 0
    while True:
        groups = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[config.target_asg_name])
        group = groups["AutoScalingGroups"][0]
        desired = bar
        lowered = int(group["DesiredCapacity"])
        in_service = sum(
            1
            for instance in group.get("Instances", [])
            if instance.get("LifecycleState") == "InService" and instance.get("HealthStatus") == "Healthy"
        )
        polls += 1
        needed = required_in_service(desired, mode="switchover", min_success_percent=config.min_success_percent)
        if capacity_reached(in_service, desired, mode="switchover", min_success_percent=config.min_success_percent):
            return f"{config.target_asg_name}: {in_service}/{desired} instances InService after {polls} poll(s)"
        if ctx.clock() + config.poll_interval_seconds > deadline:
            raise RuntimeError(
                f"switchover refused: {config.target_asg_name} has {in_service} of the {needed} InService, "
                f"Healthy instances a switchover needs after {polls} poll(s); SwitchoverGlobalCluster was not "
                "called (check the group's scaling activities: capacity, launch template)"
                + (
                    f"; its DesiredCapacity now reads {lowered}, below the {bar} this run set (a scaling policy "
                    "or another run lowered it)"
                    if lowered < bar
                    else ""
                )
            )
        ctx.keep_lease()
        ctx.sleep(config.poll_interval_seconds)


class PeerRunActive(RuntimeError):
    """The peer region's replica of the lock shows a live lease of another run: its region is not reduced."""


def peer_lock_holder(ctx: RunContext, *, deadline: float) -> LockRecord | None:
    """The live lease of another run in the peer region's replica of the lock item; None when there is none.

    The lock is a global table in multi-Region eventual consistency: a condition is evaluated in the local
    replica only and replication has no documented bound (DynamoDB Developer Guide, global tables), so a run in
    the other region may hold a lease this region's replica does not show yet. A strongly consistent read of
    the peer's replica sees a lease written there.
    """
    config = ctx.config
    lock = LeaseLock(
        ctx.clients.peer("dynamodb", deadline=deadline),
        table_name=config.state_table_name,
        global_cluster_id=config.global_cluster_id,
        clock=ctx.clock,
        lease_seconds=config.lock_lease_seconds,
    )
    holder = lock.read()
    ours = {ctx.run_id, ctx.resumed_from}
    if holder is None or holder.run_id in ours or not holder.is_live(ctx.clock()):
        return None
    return holder


def standby_peer(ctx: RunContext) -> str:
    """Best effort, within FENCE_TIMEOUT_SECONDS in total: set the old primary's ASG to warm-standby capacity.

    The region that stops serving keeps STANDBY_MIN/STANDBY_DESIRED (the warm standby), never 0, so the next
    disaster has a standby. Its region may be down: every attempt shares one deadline, the read of its lock
    replica included. When that replica shows another run's live lease (a run there is moving the database to
    that region, e.g. scaling it up for a switchover), the region is not reduced: a failover stops here, before
    its promotion call; a switchover (already promoted) records a warning. When the replica cannot be read
    the region is not reduced either.
    """
    config = ctx.config
    deadline = ctx.clock() + config.fence_timeout_seconds
    ctx.fence_deadline = deadline
    try:
        holder = peer_lock_holder(ctx, deadline=deadline)
    except Exception as error:  # noqa: BLE001 - the peer region may be down: best effort by design
        raise StepWarning(
            f"{config.peer_asg_name} in {config.peer_region} not set to standby: its lock replica could not be read "
            f"within FENCE_TIMEOUT_SECONDS={config.fence_timeout_seconds} ({error_code(error)}: {error}); set it "
            "when the region is reachable and no other run holds the lock"
        ) from error
    if holder is not None:
        message = (
            f"{config.peer_region}'s lock replica shows another live run, {holder.describe()}: {config.peer_asg_name} "
            "not reduced"
        )
        if ctx.request.mode == "failover":
            raise PeerRunActive(f"{message}; refused before the promotion call (two runs at once)")
        raise StepWarning(message)
    try:
        autoscaling = ctx.clients.peer("autoscaling", deadline=deadline)
        before = _describe_asg(autoscaling, config.peer_asg_name)
        wanted = Capacity(config.standby_min, config.standby_desired, before.maximum)
        if (before.minimum, before.desired) == (wanted.minimum, wanted.desired):
            return f"{config.peer_asg_name} in {config.peer_region} already at standby {before}: no change"
        _set_asg(ctx, autoscaling, config.peer_region, config.peer_asg_name, before, wanted)
    except Exception as error:  # noqa: BLE001 - the peer region may be down: best effort by design
        raise StepWarning(
            f"could not set {config.peer_asg_name} in {config.peer_region} to standby "
            f"{config.standby_min}/{config.standby_desired} within FENCE_TIMEOUT_SECONDS="
            f"{config.fence_timeout_seconds} ({error_code(error)}: {error}); set it when the region is reachable"
        ) from error
    return (
        f"{config.peer_asg_name} in {config.peer_region} min/desired {before.minimum}/{before.desired} -> standby "
        + (f"{wanted.minimum}/{wanted.desired}")
    )


def restore_capacity(ctx: RunContext) -> str:
    """Put back every ASG this run changed, unless live state shows the promotion took or is under way."""
    if not ctx.changed_asgs:
        return "no ASG was changed"
    state = describe_global_cluster(ctx.config, ctx.clients)
    if not state.needs_promotion:
        return f"not restored: {state.describe()} (the promotion took or is under way)"
    restored, problems = [], []
    for (region, name), before in ctx.changed_asgs.items():
        peer = region != ctx.config.target_region
        deadline = ctx.clock() + ctx.config.fence_timeout_seconds if peer else None
        client = ctx.clients.peer("autoscaling", deadline=deadline) if peer else ctx.clients.target("autoscaling")
        try:
            client.update_auto_scaling_group(
                AutoScalingGroupName=name,
                MinSize=before.minimum,
                MaxSize=before.maximum,
                DesiredCapacity=before.desired,
            )
            restored.append(f"{name} in {region} back to {before}")
        except Exception as error:  # noqa: BLE001 - report every ASG that could not be restored
            problems.append(f"{name} in {region} NOT restored to {before} ({error_code(error)})")
    if problems:
        raise StepWarning("; ".join(restored + problems))
    return "; ".join(restored)
