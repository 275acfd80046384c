"""The changing steps of a run. Each decides from live state, so a re-invoked run finishes the job.

Each step returns a one-line detail. ``StepWarning`` marks a best-effort step that did not complete
(the run goes on); any other exception fails the run. Every step reads what it is about to change
first and does nothing when live state already is what it wants: running a step twice is harmless.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import dr_contract as contract
from botocore.exceptions import ClientError

from dr_failover.aws.calls import DeadlineExceeded, error_code, is_ambiguous, is_throttling
from dr_failover.aws.clients import RunClients
from dr_failover.checks.preflight import (
    SYNCHRONIZED,
    GlobalClusterState,
    describe_global_cluster,
    read_peer_cluster_status,
    read_target_cluster_status,
)
from dr_failover.config import Config
from dr_failover.records.switch import put_switch_metric, write_switch
from dr_failover.run.events import FailoverRequest

SNS_SUBJECT_LIMIT = 100
# Promotion calls one run may make: the first, and one re-issue after RDS cancelled it or it never took.
MAX_PROMOTION_CALLS = 2
# After a promotion call whose answer was lost (read timeout, 5xx), RDS may still be accepting it while
# FailoverState is not there yet (it is "empty unless a switchover or failover operation is scheduled or is in
# progress", RDS API Reference, FailoverState), and the calls carry no idempotency token. So the call is re-issued
# only once FailoverState has been seen absent on AMBIGUOUS_GRACE_POLLS polls after the lost call and at least
# max(AMBIGUOUS_GRACE_MIN_SECONDS, AMBIGUOUS_GRACE_POLLS x POLL_INTERVAL_SECONDS) have passed since it; never past
# the promotion deadline.
AMBIGUOUS_GRACE_POLLS = 2
AMBIGUOUS_GRACE_MIN_SECONDS = 30.0
# The documented refusals of Switchover/FailoverGlobalCluster (botocore rds service model, "errors").
PROMOTION_REFUSALS = frozenset(
    {
        "InvalidGlobalClusterStateFault",
        "InvalidDBClusterStateFault",
        "GlobalClusterNotFoundFault",
        "DBClusterNotFoundFault",
    }
)


class StepWarning(Exception):
    """A best-effort step did not complete; recorded as a warning, the run continues."""


class PromotionTimeout(RuntimeError):
    """The target did not become the writer before the deadline."""


def is_transient(error: BaseException) -> bool:
    """A read that failed without saying anything about live state: throttled, 5xx, network, or out of time."""
    return is_throttling(error) or is_ambiguous(error) or isinstance(error, DeadlineExceeded)


class PromotionRefused(RuntimeError):
    """RDS refused the promotion call, or cancelled it and re-issuing is not possible: nothing was promoted."""


SWITCHOVER, FAILOVER = "switchover", "failover"


@dataclass(frozen=True)
class PromotionChoice:
    """Which promotion API a run calls and why: a switchover loses no write, a failover with AllowDataLoss can."""

    kind: str  # SWITCHOVER or FAILOVER
    why: str

    @property
    def api(self) -> str:
        """The RDS operation's name."""
        return "SwitchoverGlobalCluster" if self.kind == SWITCHOVER else "FailoverGlobalCluster"

    @property
    def allow_data_loss(self) -> bool:
        """FailoverGlobalCluster is called with AllowDataLoss=True; a switchover never loses data."""
        return self.kind == FAILOVER

    def as_dict(self) -> dict[str, Any]:
        """For the result, the notification and the report."""
        return {"api": self.api, "allow_data_loss": self.allow_data_loss, "why": self.why}

    def describe(self) -> str:
        """One line for messages."""
        return f"{self.api}{' (AllowDataLoss)' if self.allow_data_loss else ''}: {self.why}"


@dataclass
class RunContext:
    """Everything a step needs: settings, request, clients, time, and what this run changed."""

    config: Config
    request: FailoverRequest
    clients: RunClients
    clock: Callable[[], float]
    sleep: Callable[[float], None]
    run_id: str
    # ASGs the logical run changed: (region, name) -> capacity before its first change (for restore on a refused
    # promotion); a resumed run starts from the crashed attempt's durable notes (lock item ``asg_before``).
    changed_asgs: dict[tuple[str, str], contract.Capacity] = field(default_factory=dict)
    # Durably notes (region, name, capacity before) ahead of the first change to an ASG; None: nothing to note.
    remember_capacity: Callable[[str, str, contract.Capacity], None] | None = None
    promotion_calls: int = 0
    # When the answer of the last promotion call was lost (epoch s); None: no call is in doubt.
    ambiguous_call_at: float | None = None
    # Desired capacity sized from the serving region's use (size_target); None: FAILOVER_CAPACITY_DESIRED.
    target_desired: int | None = None
    # The target ASG's desired capacity scale_target set or found (journaled in its step detail): the bar
    # wait_for_target_capacity holds the instances to, whatever the group's DesiredCapacity reads later.
    target_capacity_bar: int | None = None
    # The crashed or failed run this one resumes: its lease is this logical run's, not another run's.
    resumed_from: str | None = None
    # The promotion this run chose from live state (``choose_promotion``); None: not chosen yet.
    promotion: PromotionChoice | None = None
    # The end of the time a failover gives the old primary's region (standby_peer sets it; the promotion choice's
    # read of that region shares it): FENCE_TIMEOUT_SECONDS in total before promoting without it.
    fence_deadline: float | None = None
    # Renews the run's lease; called on every poll of a long wait, it raises LeaseLost once the lease is another's.
    heartbeat: Callable[[], None] | None = None

    def keep_lease(self) -> None:
        """Renew the lease between two polls of a wait (none held: nothing to renew)."""
        if self.heartbeat is not None:
            self.heartbeat()


def promotion_call(config: Config, mode: str) -> tuple[str, dict[str, Any]]:
    """The RDS method and parameters that promote the target for ``mode``."""
    params: dict[str, Any] = {
        "GlobalClusterIdentifier": config.global_cluster_id,
        "TargetDbClusterIdentifier": config.target_cluster_arn,
    }
    if mode == "failover":
        return "failover_global_cluster", {**params, "AllowDataLoss": True}
    return "switchover_global_cluster", params


def _call_promotion(ctx: RunContext, *, reissue: bool = False) -> str:
    """Call the promotion API once; an ambiguous failure is resolved by reading live state, never by a blind retry.

    ``reissue``: a later call of the same run. Its InvalidGlobalClusterStateFault (a documented error of both
    operations) can mean that an earlier call, whose answer was lost, is now in progress: the caller looks again.
    """
    config = ctx.config
    method, params = promotion_call(config, promotion_kind(ctx))
    ctx.promotion_calls += 1
    ctx.ambiguous_call_at = None
    try:
        getattr(ctx.clients.target("rds"), method)(**params)
    except ClientError as error:
        if reissue and error_code(error) == "InvalidGlobalClusterStateFault":
            # Likely the lost call now in progress: in doubt again, so the grace applies before any further call.
            ctx.ambiguous_call_at = ctx.clock()
            return f"re-issued {method} refused ({error_code(error)}): looking at live state again"
        if error_code(error) in PROMOTION_REFUSALS:
            raise PromotionRefused(f"{method} refused by RDS: {error_code(error)}: {error}") from error
        if not is_ambiguous(error):
            raise
        return _after_ambiguous(ctx, method, error)
    except Exception as error:
        if not is_ambiguous(error):
            raise
        return _after_ambiguous(ctx, method, error)
    return f"{method} called for {config.target_cluster_arn}" + (
        " with AllowDataLoss=True" if params.get("AllowDataLoss") else ""
    )


def _after_ambiguous(ctx: RunContext, method: str, error: BaseException) -> str:
    """The answer was lost or a 5xx: look; if nothing shows up within the grace, the wait step re-issues the call."""
    ctx.ambiguous_call_at = ctx.clock()
    lost = f"{method} answer lost ({error_code(error)})"
    try:
        state = describe_global_cluster(ctx.config, ctx.clients)
    except Exception as read_error:
        if not is_transient(read_error):
            raise
        return f"{lost}; live state unknown ({error_code(read_error)}): the wait step looks again"
    grace = ambiguous_grace_seconds(ctx.config)
    return f"{lost}; live state: {state.describe()}" + (
        "" if not state.needs_promotion else f"; re-issued while waiting only if FailoverState stays absent {grace:g} s"
    )


def ambiguous_grace_seconds(config: Config) -> float:
    """How long FailoverState must stay absent after a lost promotion answer before the call is re-issued."""
    return max(AMBIGUOUS_GRACE_MIN_SECONDS, AMBIGUOUS_GRACE_POLLS * config.poll_interval_seconds)


def _already_promoting(state: GlobalClusterState, config: Config) -> str | None:
    """Why no promotion call is needed (target writer, or a promotion to it in progress), else None."""
    if state.promotion_to(config.target_cluster_arn):
        return f"a {state.failover_status} promotion to {config.target_cluster_id} is already in progress"
    if state.target_is_writer:
        return f"{config.target_cluster_id} is already the writer"
    if state.promotion_in_progress:
        raise PromotionRefused(f"another promotion is in progress ({state.describe()}); not calling")
    return None


def promotion_kind(ctx: RunContext) -> str:
    """The promotion this run calls or waits for: the choice made from live state, else the mode's own."""
    return ctx.promotion.kind if ctx.promotion is not None else ctx.request.mode


def writer_region_answer(ctx: RunContext, *, deadline: float) -> tuple[str | None, str]:
    """The old writer's (peer) cluster status as its region's RDS API answers it by ``deadline``; None: no answer."""
    config = ctx.config
    try:
        status = read_peer_cluster_status(config, ctx.clients, now=ctx.clock(), deadline=deadline)
    except Exception as error:  # noqa: BLE001 - a region that does not answer cannot take part in a switchover
        return None, f"{config.peer_region}'s RDS API did not answer ({error_code(error)})"
    return status, f"{config.peer_cluster_id} in {config.peer_region} is {status!r}"


def choose_promotion(ctx: RunContext, state: GlobalClusterState, *, lag_seconds: float | None) -> PromotionChoice:
    """The least-lossy promotion live state allows.

    Mode ``switchover`` always switches over. Mode ``failover`` switches over too when the writer's region can take
    part: SwitchoverGlobalCluster synchronizes every secondary with the primary first, so "the new primary continues
    operations ... without losing any data", while a failover with AllowDataLoss "can result in a loss of write
    transaction data" (RDS API Reference). An outage of the app tier alone (an ALB, a bad deploy) with a healthy,
    connected database is no reason to lose writes; the app tier fails over as the failover plan says either way.
    AllowDataLoss only when the writer's region cannot take part: the global cluster is not ``available``, a member
    is not ``connected`` (GlobalClusterMembers[].SynchronizationStatus), the replication lag is unknown or above the
    RPO (the bar mode switchover has), or the writer's RDS API does not answer by the fence deadline (the read
    shares FENCE_TIMEOUT_SECONDS with standby_peer) or answers a status other than ``available``.
    """
    config = ctx.config
    if ctx.request.mode != FAILOVER:
        return PromotionChoice(SWITCHOVER, "mode switchover: a planned move without data loss")
    reasons = []
    if state.status != "available":
        reasons.append(f"global cluster status {state.status!r}")
    reasons += [
        f"{m.arn} is {m.synchronization!r}"
        for m in state.members
        if m.synchronization is not None and m.synchronization != SYNCHRONIZED
    ]
    if lag_seconds is None:
        reasons.append("replication lag unknown")
    elif lag_seconds > config.rpo_seconds:
        reasons.append(f"replication lag {lag_seconds:.3f} s above the RPO {config.rpo_seconds} s")
    if reasons:  # the writer's region is not asked: its answer could not make a switchover possible
        return PromotionChoice(FAILOVER, "; ".join(reasons) + ": a switchover cannot synchronize the members")
    deadline = ctx.fence_deadline if ctx.fence_deadline is not None else ctx.clock() + config.fence_timeout_seconds
    status, detail = writer_region_answer(ctx, deadline=deadline)
    if status != "available":
        return PromotionChoice(FAILOVER, f"{detail}: the writer's region cannot take part in a switchover")
    return PromotionChoice(
        SWITCHOVER,
        f"{detail}, every member 'connected', replication lag {lag_seconds:.3f} s within the RPO: the database can "
        "be switched over without losing a write (the app tier fails over as planned)",
    )


def promote(ctx: RunContext, *, lag_seconds: float | None = None) -> str:
    """Call the promotion ``choose_promotion`` picks from live state, unless live state shows one done or under way.

    A switchover a failover run chose that RDS refuses falls back to FailoverGlobalCluster(AllowDataLoss) only when
    FailoverState shows nothing in progress and the writer's region no longer answers (``_fall_back``).
    """
    state = describe_global_cluster(ctx.config, ctx.clients)
    skip = _already_promoting(state, ctx.config)
    if skip:
        if ctx.promotion is None and state.promotion_in_progress:
            kind = FAILOVER if state.data_loss_allowed else SWITCHOVER
            ctx.promotion = PromotionChoice(kind, f"a {state.failover_status} {kind} was already in progress")
        return f"not called: {skip}"
    ctx.promotion = choose_promotion(ctx, state, lag_seconds=lag_seconds)
    try:
        return f"{_call_promotion(ctx)}; chosen: {ctx.promotion.describe()}"
    except PromotionRefused as refusal:
        fallback = _fall_back(ctx, cause=f"SwitchoverGlobalCluster refused ({refusal})")
        if fallback is None:
            raise
        return fallback


def _fall_back(ctx: RunContext, *, cause: str) -> str | None:
    """After a failover run's switchover was refused or cancelled: call FailoverGlobalCluster(AllowDataLoss) once,
    only when FailoverState is absent (nothing scheduled or in progress: RDS API Reference, FailoverState) and the
    writer's region does not answer within FENCE_TIMEOUT_SECONDS. None: no fall-back (the writer's region answers,
    so the refusal stands and nothing loses data; or a promotion is in progress, which is never doubled)."""
    config = ctx.config
    if ctx.request.mode != FAILOVER or promotion_kind(ctx) != SWITCHOVER:
        return None
    if ctx.promotion_calls >= MAX_PROMOTION_CALLS:
        return None
    state = describe_global_cluster(config, ctx.clients)
    if not state.needs_promotion:
        return None
    status, detail = writer_region_answer(ctx, deadline=ctx.clock() + config.fence_timeout_seconds)
    if status is not None:
        return None
    ctx.promotion = PromotionChoice(FAILOVER, f"{cause}; then {detail}: fell back to a failover")
    return f"{_call_promotion(ctx, reissue=True)}; chosen: {ctx.promotion.describe()}"


def promotion_complete(ctx: RunContext, state: GlobalClusterState) -> str | None:
    """Why the promotion is complete (the target writes), or None while it is not.

    Complete when the target is the writer member (GlobalClusterMembers[].IsWriter) and either the global
    cluster is ``available`` with no FailoverState, or the target's own cluster (DescribeDBClusters, read in
    the target region) is ``available`` (with FailoverState still present: a failover only). The second form
    matters after FailoverGlobalCluster(AllowDataLoss)
    while the old primary's region is down: FailoverState is documented as "empty unless a switchover or
    failover operation is scheduled or is in progress" (RDS API Reference, FailoverState) and the old primary
    only rejoins "when it becomes available"; whether RDS keeps the operation "in progress" (FailoverState and
    a non-``available`` global status) until then is not documented, so completion is never made to depend on
    the failed region. A promotion towards another cluster is never complete for this target.
    """
    config = ctx.config
    if not state.target_is_writer:
        return None
    if state.status == "available" and not state.promotion_in_progress:
        return "global cluster available"
    if state.promotion_in_progress and not state.promotion_to(config.target_cluster_arn):
        return None
    if state.promotion_in_progress and promotion_kind(ctx) != FAILOVER:
        # A switchover's old primary is reachable by definition, and RDS documents ``cancelling`` as "the primary
        # ... and the selected secondary ... are returning to their previous states"; whether IsWriter can show the
        # target before the point of no return is not documented: a switchover waits for FailoverState to clear.
        return None
    status = read_target_cluster_status(config, ctx.clients)
    if status != "available":
        return None
    return (
        f"{config.target_cluster_id} is 'available'; the global cluster still shows status {state.status!r}"
        + (f" and FailoverState {state.failover_status!r}" if state.failover_status else "")
        + " (the old primary has not rejoined)"
    )


def wait_for_promotion(ctx: RunContext, *, deadline: float) -> str:
    """Poll until the promotion is complete (``promotion_complete``); re-issue a promotion that vanished.

    FailoverState is "empty unless a switchover or failover operation is scheduled or is in progress"
    (RDS API Reference, FailoverState). So when it is absent and the target is not the writer, no promotion
    is running (RDS cancelled it, or the call never took): call again, at most MAX_PROMOTION_CALLS per run,
    and never while any promotion (including ``cancelling``) is still in progress. After a lost answer the call
    is re-issued only once FailoverState stayed absent for ``ambiguous_grace_seconds`` (a request RDS is still
    accepting does not show yet). A poll that fails without an answer (throttling, 5xx, network) says nothing
    about the promotion, which RDS already accepted: it is "unknown", and the next poll looks again, until the
    deadline.
    """
    config = ctx.config
    started = ctx.clock()
    polls, reissued, unknown = 0, 0, 0
    absent_after_lost = 0
    last_seen = "nothing yet"
    while True:
        polls += 1
        state: GlobalClusterState | None = None
        try:
            state = describe_global_cluster(config, ctx.clients)
            complete = promotion_complete(ctx, state)
        except Exception as error:
            if not is_transient(error):
                raise
            unknown += 1
            complete = None
            last_seen = f"unknown ({error_code(error)} on poll {polls})"
        if complete is not None:
            note = f"; promotion re-issued {reissued} time(s)" if reissued else ""
            note += f"; {unknown} poll(s) without an answer" if unknown else ""
            return f"{config.target_cluster_id} is writer, {complete} after {polls} poll(s){note}"
        if state is not None:
            last_seen = state.describe()
            if state.promotion_in_progress:
                ctx.ambiguous_call_at = None  # the lost call (or a later one) took: absence now means cancelled
                absent_after_lost = 0
            if state.needs_promotion and _may_reissue(ctx, absent_after_lost := absent_after_lost + 1):
                if ctx.promotion_calls >= MAX_PROMOTION_CALLS:
                    raise PromotionRefused(
                        f"no promotion in progress and {config.target_cluster_id} is not the writer after "
                        f"{ctx.promotion_calls} call(s): RDS cancelled or rejected it ({state.describe()})"
                    )
                # A failover run's switchover that vanished falls back to a failover only when the writer's region
                # stopped answering; otherwise the same promotion is re-issued.
                if _fall_back(ctx, cause="the switchover vanished (no FailoverState, target not writer)") is None:
                    _call_promotion(ctx, reissue=True)
                absent_after_lost = 0
                reissued += 1
        now = ctx.clock()
        if now >= deadline:
            raise PromotionTimeout(
                f"promotion of {config.target_cluster_id} not complete after {now - started:.0f} s (deadline "
                f"PROMOTION_TIMEOUT_SECONDS={config.promotion_timeout_seconds} or the Lambda's remaining time); "
                f"last seen: {last_seen}. RDS may still finish it: re-invoke to resume (the promotion API "
                "is not called while one is in progress)"
            )
        ctx.keep_lease()
        ctx.sleep(min(config.poll_interval_seconds, deadline - now))


def _may_reissue(ctx: RunContext, absent_polls: int) -> bool:
    """True unless the last call's answer was lost and FailoverState has not yet stayed absent for the grace
    (AMBIGUOUS_GRACE_POLLS polls after it, and ``ambiguous_grace_seconds`` since it)."""
    if ctx.ambiguous_call_at is None:
        return True
    waited = ctx.clock() - ctx.ambiguous_call_at
    return absent_polls >= AMBIGUOUS_GRACE_POLLS and waited >= ambiguous_grace_seconds(ctx.config)


def switch_traffic(ctx: RunContext) -> str:
    """Record and publish the traffic switch in TRAFFIC_SWITCH_REGION (data plane only, no Route53 call).

    The switch item (state table, that region's replica) is what the keeper re-publishes every minute;
    the metric datapoint written here makes the change take effect without waiting for the keeper.
    Failing back to the primary writes 0 there: the explicit unfence. That region may be down during a
    failback, so the item is first written in this run's own replica too (newer ``updated_at`` wins in
    each replica, and global-table replication carries it over when that region returns); the keeper
    there never publishes a fence while its own cluster is not the writer.
    """
    config = ctx.config
    region = config.traffic_switch_region
    fenced = config.traffic_switch_value == 1.0

    def record(dynamodb: Any) -> bool:
        return write_switch(
            dynamodb,
            table_name=config.state_table_name,
            global_cluster_id=config.global_cluster_id,
            primary_fenced=fenced,
            serving_region=config.target_region,
            run_id=ctx.run_id,
            now=ctx.clock(),
        )

    local_note = ""
    if config.traffic_switch_is_local:
        dynamodb, cloudwatch = ctx.clients.target("dynamodb"), ctx.clients.target("cloudwatch")
    else:
        if record(ctx.clients.target("dynamodb")):
            local_note = f"; recorded in {config.target_region}'s replica too"
        deadline = ctx.clock() + config.fence_timeout_seconds
        dynamodb = ctx.clients.get("dynamodb", region, deadline=deadline, call_timeout=config.fence_timeout_seconds)
        cloudwatch = ctx.clients.get("cloudwatch", region, deadline=deadline, call_timeout=config.fence_timeout_seconds)
    value = 1 if fenced else 0
    try:
        if not record(dynamodb):
            raise RuntimeError(f"a newer switch item in {region} was kept (written by a later run)")
        put_switch_metric(
            cloudwatch,
            namespace=config.metric_namespace,
            metric_name=config.traffic_switch_metric,
            global_cluster_id=config.global_cluster_id,
            primary_fenced=fenced,
        )
    except Exception as error:
        if local_note:
            raise RuntimeError(
                f"could not write the traffic switch (primary_fenced={value}) in {region} ({error_code(error)}: "
                f"{error}); DNS will NOT move to {config.target_region} yet. The switch is recorded in "
                f"{config.target_region}'s replica, which global-table replication "
                f"carries to {region} when that region answers, and the keeper there publishes no fence while "
                f"its cluster is not the writer. Until then Route53 keeps the switch's last status: to move DNS "
                f"to {config.target_region} now, disable the traffic-switch health check (reference name "
                f"'traffic-switch'; Route53 considers a disabled health check healthy): aws route53 "
                f"update-health-check --health-check-id <id> --disabled, and enable it again once {region} is back"
            ) from error
        raise RuntimeError(
            f"could not write the traffic switch (primary_fenced={value}) in {region} ({error_code(error)}: "
            f"{error}); DNS will NOT move to {config.target_region}. Write it by hand: aws dynamodb put-item "
            f"--region {region} --table-name {config.state_table_name} --item "
            f'\'{{"pk":{{"S":"{contract.SWITCH_ITEM_PREFIX}{config.global_cluster_id}"}},"primary_fenced":'
            f'{{"N":"{value}"}},"serving_region":{{"S":"{config.target_region}"}}}}\' and '
            f"aws cloudwatch put-metric-data --region {region} --namespace {config.metric_namespace} "
            f"--metric-name {config.traffic_switch_metric} --dimensions "
            f"{contract.GLOBAL_CLUSTER_DIMENSION}={config.global_cluster_id} --value {value}"
        ) from error
    meaning = "primary fenced, users sent to secondary" if fenced else "primary in service (unfenced)"
    return f"switch item and {config.traffic_switch_metric}={value} written in {region} ({meaning}){local_note}"


def check_peer_health(ctx: RunContext) -> str:
    """Informational: Route53 status of the old primary's health check; never fails the run."""
    config = ctx.config
    if not config.health_check_id:
        return "skipped: HEALTH_CHECK_ID not set"
    try:
        route53 = ctx.clients.get(
            "route53", config.target_region, attempts=1, call_timeout=config.fence_timeout_seconds
        )
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
    end_to_end_recovery_seconds: float | None = None,
) -> str:
    """Publish step durations, recovery time and data-loss window to METRIC_NAMESPACE in TARGET_REGION."""
    config = ctx.config
    base = [
        {"Name": contract.GLOBAL_CLUSTER_DIMENSION, "Value": config.global_cluster_id},
        {"Name": contract.MODE_DIMENSION, "Value": ctx.request.mode},
    ]
    data: list[dict[str, Any]] = [
        {
            "MetricName": contract.STEP_DURATION_METRIC,
            "Dimensions": [*base, {"Name": contract.STEP_DIMENSION, "Value": step["name"]}],
            "Value": float(step["seconds"]),
            "Unit": "Seconds",
        }
        for step in steps
        if step["status"] in ("ok", "warning", "failed")
    ]
    for name, value in (
        (contract.RECOVERY_TIME_METRIC, recovery_time_seconds),
        (contract.DATA_LOSS_WINDOW_METRIC, data_loss_window_seconds),
        (contract.END_TO_END_RECOVERY_METRIC, end_to_end_recovery_seconds),
    ):
        if value is not None:
            data.append({"MetricName": name, "Dimensions": base, "Value": float(value), "Unit": "Seconds"})
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
        # The closing deadline: the outcome is reported even when a step used all of the run's time.
        ctx.clients.get("sns", config.target_region, final=True).publish(
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
