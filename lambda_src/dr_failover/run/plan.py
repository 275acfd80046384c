"""The orchestrator's step plan, written once: the order of each mode, what each step does, what a dry run says it
would do. The run (``dr_failover.run.orchestrator``), its dry run, the tests' expected step lists and the docs' steps
table (``scripts/docs_tables.py``) all read it from here.

Every step decides from live state, so a re-invoked run (after a crash, a timeout, a lost journal write) runs the
same plan and finishes what is left. The orders encode the difference between the two modes:

- ``switchover`` (planned): scale the target up, switch over, move traffic, and only then put the old primary at
  warm-standby capacity: the serving region is never reduced before the new writer serves.
- ``failover`` (regional outage): scale the target up, set the old primary to standby (best effort, within
  FENCE_TIMEOUT_SECONDS in total), fail over, move traffic.

Stdlib only (it is read by the docs generator too, outside the Lambda).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

Mode = Literal["switchover", "failover"]
# A switchover waits at most this long (and never past the Lambda's budget) for the target's instances to be
# InService before SwitchoverGlobalCluster; instances launched from a warm AMI pass their checks well within it.
TARGET_CAPACITY_WAIT_SECONDS: Final = 300.0

# A step that runs only when the stack configured it: TARGET_GROUP_ARN set ("serving"), MATCH_DATABASE_CAPACITY on
# ("database"), REPORT_BUCKET set ("report").
Condition = Literal["serving", "database", "report"]


@dataclass(frozen=True)
class Step:
    """One step of a promoting run: its name (as recorded in the result and the journal) and what it does."""

    name: str
    does: str
    """What the step does, for the docs."""
    would: str | None = None
    """What a dry run says it would do: a ``str.format`` template over ``config`` (the function's ``Config``) and
    the values the dry run passes; None: the dry run does not list it."""
    when: Condition | None = None
    """None: every run has it; otherwise the setting that adds it."""
    best_effort: bool = False
    """Its failure is a warning, not a failed run."""


STEPS: Final = {
    step.name: step
    for step in (
        Step(
            "preflight",
            "read-only checks of live state: the global cluster, its members' SynchronizationStatus, the target "
            "cluster, the target ASG (suspended Launch/Terminate/HealthCheck/AddToLoadBalancer), the lag, the peer",
        ),
        Step(
            "acquire_lock",
            "write the run record, take the lease lock (or resume an unfinished run of the same mode and target)",
            would="would take lock#{config.global_cluster_id} in {config.state_table_name} for "
            "{config.lock_lease_seconds} s{resume}",
        ),
        Step(
            "notify_start", "publish 'started' to the SNS topic", would="would publish 'started' to {config.topic_arn}"
        ),
        Step(
            "size_target",
            "size the target ASG's desired capacity: the larger of the configured desired and "
            "FAILOVER_CAPACITY_PERCENT of the serving region's 24 h peak in service",
            would="would size {config.target_asg_name} to the larger of desired {config.failover_capacity_desired} "
            "and {config.failover_capacity_percent}% of {config.peer_asg_name}'s 24 h peak in service",
        ),
        Step(
            "scale_target",
            "raise the target ASG to the failover capacity (min/desired/max)",
            would="would raise {config.target_asg_name} to min/desired/max {config.failover_capacity_min}/"
            "{config.failover_capacity_desired}/>={config.failover_capacity_max}",
        ),
        Step(
            "wait_for_target_capacity",
            "wait until every desired instance of the target is InService and Healthy (at most "
            "{target_capacity_wait:g} s), else refuse before the switchover and restore the target",
            would="would wait up to {target_capacity_wait:g} s for every desired instance of "
            "{config.target_asg_name} to be InService, else refuse before the switchover",
        ),
        Step(
            "standby_peer",
            "set the other region's ASG to warm-standby capacity (a failover: best effort, within "
            "FENCE_TIMEOUT_SECONDS, that region may not answer)",
            would="would set {config.peer_asg_name} in {config.peer_region} to standby min/desired "
            "{config.standby_min}/{config.standby_desired} (best effort, {config.fence_timeout_seconds} s at most)",
        ),
        Step(
            "promote",
            "call the promotion chosen from live state (SwitchoverGlobalCluster when it loses no data, else "
            "FailoverGlobalCluster with AllowDataLoss), unless live state shows it done or under way",
            would="would call {promotion_call} unless live state shows it done or under way{promotion_choice}",
        ),
        Step(
            "wait_for_promotion",
            "poll until the target cluster is the writer (at most PROMOTION_TIMEOUT_SECONDS)",
            would="would poll every {config.poll_interval_seconds} s for up to {config.promotion_timeout_seconds} s",
        ),
        Step(
            "switch_traffic",
            "write the traffic-switch item and the PrimaryFenced datapoint in the traffic-switch region",
            would="would write the switch item and {switch} in {config.traffic_switch_region}",
        ),
        Step(
            "wait_for_serving",
            "wait until the target group has enough healthy targets and the switch holds (end-to-end recovery time)",
            when="serving",
            best_effort=True,
        ),
        Step("check_peer_health", "read the other region's Route53 health check status", best_effort=True),
        Step(
            "match_database_capacity",
            "match the promoted cluster's capacity to the old writer's (Serverless v2 max ACUs, or readers)",
            when="database",
            best_effort=True,
        ),
        Step(
            "publish_metrics",
            "publish RecoveryTimeSeconds, DataLossWindowSeconds and per-step durations",
            would="would publish run metrics to {config.metric_namespace}",
            best_effort=True,
        ),
        Step(
            "write_report",
            "write the run report (JSON and Markdown) to the report bucket",
            when="report",
            best_effort=True,
        ),
        Step(
            "notify_result",
            "publish the outcome to the SNS topic",
            would="would publish the outcome to {config.topic_arn}",
            best_effort=True,
        ),
        Step("release_lock", "end the lease, keeping the journal", would="would release the lock", best_effort=True),
    )
}

# The mode-specific part of each plan, run after size_target.
PLANS: Final[dict[str, tuple[str, ...]]] = {
    "switchover": (
        "scale_target",
        "wait_for_target_capacity",
        "promote",
        "wait_for_promotion",
        "switch_traffic",
        "standby_peer",
    ),
    "failover": ("scale_target", "standby_peer", "promote", "wait_for_promotion", "switch_traffic"),
}
BEFORE: Final = ("preflight", "acquire_lock", "notify_start")
# The changing steps, in order: the run stops at the first that fails and restores the capacity it changed.
CHANGING_PREFIX: Final = ("size_target",)
AFTER: Final = (
    "wait_for_serving",
    "check_peer_health",
    "match_database_capacity",
    "publish_metrics",
    "write_report",
    "notify_result",
    "release_lock",
)
# A failed run puts back every ASG it changed (not a step of a successful run).
# When a conditional step runs, for the docs: the stack always sets TARGET_GROUP_ARN and REPORT_BUCKET.
CONDITION_TEXT: Final[dict[Condition | None, str]] = {
    "serving": "always (the stack sets TARGET_GROUP_ARN)",
    "database": "when `failover_match_database_capacity` is on",
    "report": "always (the stack sets REPORT_BUCKET)",
}
RESTORE_STEP: Final = Step(
    "restore_capacity",
    "on a refused or failed promotion, put back every ASG the run changed (after reading live state)",
    best_effort=True,
)


def changing_steps(mode: str) -> tuple[str, ...]:
    """The steps of ``mode`` that change state, in order (the run stops at the first that fails)."""
    return (*CHANGING_PREFIX, *PLANS[mode])


def step_names(mode: str, *, serving: bool = False, database: bool = False, report: bool = False) -> tuple[str, ...]:
    """Every step a successful run of ``mode`` records, in order; ``serving``: TARGET_GROUP_ARN is set,
    ``database``: MATCH_DATABASE_CAPACITY is on, ``report``: REPORT_BUCKET is set."""
    configured: dict[Condition | None, bool] = {None: True, "serving": serving, "database": database, "report": report}
    return tuple(name for name in (*BEFORE, *changing_steps(mode), *AFTER) if configured[STEPS[name].when])


def dry_run_plan(mode: str, config: Any, **values: Any) -> list[tuple[str, str]]:
    """(step, what it would do) for every step a dry run of ``mode`` lists, from ``config`` and ``values``."""
    listed = [STEPS[name] for name in step_names(mode) if STEPS[name].would is not None]
    return [(step.name, str(step.would).format(config=config, **values)) for step in listed]


def steps_table() -> str:
    """The docs' markdown table of both modes' steps: each mode's order, when a step runs, what it does."""
    switchover = step_names("switchover", serving=True, database=True, report=True)
    failover = step_names("failover", serving=True, database=True, report=True)
    rows = [*switchover, *(name for name in failover if name not in switchover), RESTORE_STEP.name]
    lines = ["| step | switchover | failover | runs | does |", "|---|---:|---:|---|---|"]
    for name in rows:
        step = STEPS.get(name, RESTORE_STEP)
        numbers = [str(plan.index(name) + 1) if name in plan else "" for plan in (switchover, failover)]
        runs = "when a promotion fails" if step is RESTORE_STEP else CONDITION_TEXT.get(step.when, "always")
        kind = " (best effort: a failure is a warning)" if step.best_effort else ""
        does = step.does.format(target_capacity_wait=TARGET_CAPACITY_WAIT_SECONDS)
        lines.append(f"| `{name}` | {numbers[0]} | {numbers[1]} | {runs} | {does}{kind} |")
    return "\n".join(lines)
