"""Read-only checks of live state, run before any change and on every re-invocation.

Every check runs and is reported (a preflight shows all problems at once); which failures block a
run depends on the mode, see ``PreflightReport.refusal``. Checks that only matter while a promotion
call is still needed (lag, member synchronization, peer availability) are skipped once live state
shows the target is the writer or a promotion to it is in progress, so a re-invoked run can always
finish the remaining steps.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import dr_contract as contract

from dr_failover.aws import error_code
from dr_failover.clients import RunClients
from dr_failover.config import Config
from dr_failover.switch import SwitchState, read_switch

LAG_NAMESPACE = contract.AURORA_NAMESPACE
LAG_METRIC = contract.GLOBAL_LAG_METRIC
LAG_WINDOW_SECONDS = 300
# Suspending any of these stops the target ASG from launching, replacing or registering instances
# (Amazon EC2 Auto Scaling User Guide, "How suspended processes affect other processes").
BLOCKING_PROCESSES = ("Launch", "Terminate", "HealthCheck", "AddToLoadBalancer")
# GlobalClusterMember.SynchronizationStatus values (botocore rds service model): only "connected" members
# can take part in a switchover without data loss.
SYNCHRONIZED = "connected"
LOG = logging.getLogger(__name__)


@dataclass
class Check:
    """One readiness check: ``ok`` True/False, ``blocks`` names the modes a failure refuses."""

    name: str
    ok: bool
    detail: str
    blocks: tuple[str, ...] = ()

    def summary(self) -> str:
        """``name: OK|FAIL detail`` for messages."""
        return f"{self.name}: {'OK' if self.ok else 'FAIL'} {self.detail}"


@dataclass(frozen=True)
class Member:
    """One GlobalClusterMembers entry."""

    arn: str
    is_writer: bool
    synchronization: str | None


@dataclass
class GlobalClusterState:
    """What DescribeGlobalClusters says: members, writer and the FailoverState of a promotion in progress."""

    status: str
    members: tuple[Member, ...]
    target_arn: str
    failover_status: str | None = None
    failover_from: str | None = None
    failover_to: str | None = None
    data_loss_allowed: bool | None = None
    engine: str = ""
    engine_version: str = ""

    @property
    def target_is_member(self) -> bool:
        """True when the target cluster is a member of the global cluster."""
        return any(m.arn == self.target_arn for m in self.members)

    @property
    def target_is_writer(self) -> bool:
        """True when the target cluster is the writer (GlobalClusterMembers[].IsWriter)."""
        return any(m.arn == self.target_arn and m.is_writer for m in self.members)

    @property
    def writer_arn(self) -> str | None:
        """ARN of the writer member, if any."""
        return next((m.arn for m in self.members if m.is_writer), None)

    @property
    def promotion_in_progress(self) -> bool:
        """True while FailoverState is present (pending, failing-over, switching-over or cancelling)."""
        return self.failover_status is not None

    def promotion_to(self, cluster_arn: str) -> bool:
        """True while a switchover/failover towards ``cluster_arn`` is in progress."""
        return self.failover_status is not None and self.failover_to == cluster_arn

    def data_loss_failover_to(self, cluster_arn: str) -> bool:
        """True while a failover that allows data loss is promoting ``cluster_arn`` (FailoverState Status
        ``failing-over`` with IsDataLossAllowed): past ``pending`` (requests still being verified, the old writer
        still writes) and not ``cancelling`` (both clusters returning to their previous roles); RDS API Reference,
        FailoverState."""
        failing_over = self.failover_status == "failing-over"
        return self.promotion_to(cluster_arn) and failing_over and bool(self.data_loss_allowed)

    def promotion_taking_effect(self) -> bool:
        """While FailoverState is present ("a switchover or failover operation is scheduled or is in progress";
        RDS API Reference, FailoverState), only a promotion towards the target that is pending or failing-over is
        taking effect: one towards another cluster is moving the writer away from the target, and a cancelling one
        returns both clusters to their previous roles, whatever IsWriter shows meanwhile. Without FailoverState,
        the target taking effect means the target writes."""
        if self.promotion_in_progress:
            return self.promotion_to(self.target_arn) and self.failover_status in ("pending", "failing-over")
        return self.target_is_writer

    @property
    def needs_promotion(self) -> bool:
        """The target is not the writer and no promotion is in progress: a promotion call is needed."""
        return not self.target_is_writer and not self.promotion_in_progress

    def describe(self) -> str:
        """One line for messages."""
        promotion = (
            f"{self.failover_status} {self.failover_from} -> {self.failover_to}" if self.failover_status else "none"
        )
        return f"global status {self.status!r}, writer {self.writer_arn}, promotion {promotion}"


@dataclass
class PreflightReport:
    """Outcome of all checks, plus the live state later steps use."""

    checks: list[Check] = field(default_factory=list)
    lag_seconds: float | None = None
    global_cluster: GlobalClusterState | None = None
    target_asg: dict[str, Any] | None = None
    switch: SwitchState | None = None
    target_region: str = ""
    target_failover_capacity: tuple[int, int] = (0, 0)

    @property
    def target_is_writer(self) -> bool:
        """True when the target cluster already is the global cluster's writer."""
        return bool(self.global_cluster and self.global_cluster.target_is_writer)

    @property
    def needs_promotion(self) -> bool:
        """True when a promotion call is still needed (or the global cluster could not be read)."""
        return self.global_cluster is None or self.global_cluster.needs_promotion

    @property
    def nothing_to_do(self) -> bool:
        """Live state already is the end state: target writer, nothing in progress, scaled, traffic switched."""
        if not self.target_is_writer or self.global_cluster is None or self.global_cluster.promotion_in_progress:
            return False
        scaled = (
            self.target_asg is not None
            and (
                int(self.target_asg["MinSize"]),
                int(self.target_asg["DesiredCapacity"]),
            )
            >= self.target_failover_capacity
        )
        switched = self.switch is not None and self.switch.serving_region == self.target_region
        return scaled and switched

    def blockers(self, mode: str) -> list[Check]:
        """Failed checks that refuse ``mode``."""
        return [check for check in self.checks if not check.ok and mode in check.blocks]

    def refusal(self, mode: str) -> str | None:
        """Why ``mode`` must be refused, or None when it may proceed."""
        blockers = self.blockers(mode)
        if not blockers:
            return None
        text = "; ".join(check.summary() for check in blockers)
        if mode == "switchover" and not self.blockers("failover"):
            return f"switchover refused: {text}. If the primary region is impaired, use mode 'failover' instead"
        return f"{mode} refused: {text}"

    def detail(self) -> str:
        """All checks on one line."""
        return "; ".join(check.summary() for check in self.checks)


_ALL = ("preflight", "switchover", "failover")


def run_preflight(
    config: Config, clients: RunClients, *, mode: str, now: float, automatic: bool = False
) -> PreflightReport:
    """Run every read-only check for ``mode`` (``preflight`` also checks what switchover needs)."""
    report = PreflightReport(
        target_region=config.target_region,
        target_failover_capacity=(config.target_failover_min, config.target_failover_desired),
    )
    report.global_cluster = _global_cluster_state(config, clients, report)
    _target_cluster(config, clients, report)
    _target_asg(config, clients, report)
    _switch_state(config, clients, report)
    _replication_lag(config, clients, report, now=now)
    if mode in ("switchover", "preflight"):
        _peer_cluster(config, clients, report, now=now)
    if automatic:
        automatic_confirmation(config, clients, report, now=now)
    return report


def describe_global_cluster(config: Config, clients: RunClients) -> GlobalClusterState:
    """Read the global cluster (in the target region) and the target's role in it."""
    response = clients.target("rds").describe_global_clusters(GlobalClusterIdentifier=config.global_cluster_id)
    clusters = response.get("GlobalClusters", [])
    if not clusters:
        raise LookupError(f"global cluster {config.global_cluster_id} not found")
    return parse_global_cluster(clusters[0], config.target_cluster_arn)


def parse_global_cluster(cluster: dict[str, Any], target_arn: str) -> GlobalClusterState:
    """One DescribeGlobalClusters entry as seen by ``target_arn``'s region."""
    failover = cluster.get("FailoverState") or {}
    return GlobalClusterState(
        status=cluster.get("Status", "unknown"),
        members=tuple(
            Member(m.get("DBClusterArn", ""), bool(m.get("IsWriter")), m.get("SynchronizationStatus"))
            for m in cluster.get("GlobalClusterMembers", [])
        ),
        target_arn=target_arn,
        failover_status=failover.get("Status"),
        failover_from=failover.get("FromDbClusterArn"),
        failover_to=failover.get("ToDbClusterArn"),
        data_loss_allowed=failover.get("IsDataLossAllowed"),
        engine=str(cluster.get("Engine") or ""),
        engine_version=str(cluster.get("EngineVersion") or ""),
    )


def _global_cluster_state(config: Config, clients: RunClients, report: PreflightReport) -> GlobalClusterState | None:
    """Describe the global cluster: membership, writer, promotion in progress, member synchronization."""
    try:
        state = describe_global_cluster(config, clients)
    except Exception as error:  # noqa: BLE001 - reported as a failed check
        report.checks.append(
            Check(
                "global_cluster",
                False,
                f"cannot describe {config.global_cluster_id}: {error_code(error)}: {error}",
                _ALL,
            )
        )
        return None
    report.checks.append(
        Check(
            "target_in_global_cluster",
            state.target_is_member,
            f"{config.target_cluster_arn} {'is' if state.target_is_member else 'is not'} a member of "
            f"{config.global_cluster_id} (writer: {state.writer_arn or 'none'})",
            _ALL,
        )
    )
    busy_elsewhere = state.failover_status is not None and state.failover_to != config.target_cluster_arn
    report.checks.append(
        Check(
            "no_other_promotion",
            not busy_elsewhere,
            f"a {state.failover_status} promotion to {state.failover_to} is in progress"
            if busy_elsewhere
            else "no promotion to another cluster in progress",
            _ALL,
        )
    )
    if state.needs_promotion:
        report.checks.append(
            Check(
                "global_cluster_available",
                state.status == "available",
                f"global cluster status {state.status!r}",
                ("switchover",),
            )
        )
        unsynchronized = [
            f"{m.arn} is {m.synchronization!r}"
            for m in state.members
            if m.synchronization is not None and m.synchronization != SYNCHRONIZED
        ]
        report.checks.append(
            Check(
                "members_synchronized",
                not unsynchronized,
                "; ".join(unsynchronized) + " (SwitchoverGlobalCluster needs every member 'connected')"
                if unsynchronized
                else "every member reports SynchronizationStatus 'connected' (or none)",
                ("switchover",),
            )
        )
    return state


def read_target_cluster_status(config: Config, clients: RunClients) -> str:
    """Status of the target cluster (DescribeDBClusters in the target region)."""
    response = clients.target("rds").describe_db_clusters(DBClusterIdentifier=config.target_cluster_id)
    return str(response["DBClusters"][0].get("Status", "unknown"))


def _target_cluster(config: Config, clients: RunClients, report: PreflightReport) -> None:
    """The target cluster must be ``available`` (unless it is already being promoted or is the writer)."""
    try:
        status = read_target_cluster_status(config, clients)
    except Exception as error:  # noqa: BLE001 - reported as a failed check
        report.checks.append(
            Check(
                "target_cluster_available",
                False,
                f"cannot describe {config.target_cluster_id}: {error_code(error)}",
                _ALL,
            )
        )
        return
    ok = status == "available" or not report.needs_promotion
    detail = f"{config.target_cluster_id} status {status!r}"
    if status != "available" and ok:
        detail += " (promotion to it already under way or done)"
    report.checks.append(Check("target_cluster_available", ok, detail, _ALL))


def _target_asg(config: Config, clients: RunClients, report: PreflightReport) -> None:
    """The target ASG must exist and have none of BLOCKING_PROCESSES suspended; MaxSize is raised if low."""
    try:
        response = clients.target("autoscaling").describe_auto_scaling_groups(
            AutoScalingGroupNames=[config.target_asg_name]
        )
        groups = response.get("AutoScalingGroups", [])
    except Exception as error:  # noqa: BLE001 - reported as a failed check
        report.checks.append(
            Check("target_asg", False, f"cannot describe {config.target_asg_name}: {error_code(error)}", _ALL)
        )
        return
    if not groups:
        report.checks.append(
            Check(
                "target_asg",
                False,
                f"Auto Scaling group {config.target_asg_name!r} not found in {config.target_region}",
                _ALL,
            )
        )
        return
    group = groups[0]
    report.target_asg = group
    max_size = int(group["MaxSize"])
    plan = (
        f"MaxSize {max_size} permits {config.target_failover_max}"
        if max_size >= config.target_failover_max
        else f"MaxSize {max_size} will be raised to {config.target_failover_max}"
    )
    report.checks.append(
        Check(
            "target_asg",
            True,
            f"{config.target_asg_name} min/desired/max {group['MinSize']}/{group['DesiredCapacity']}/{max_size}; "
            f"{plan}",
            _ALL,
        )
    )
    suspended = sorted(
        p["ProcessName"] for p in group.get("SuspendedProcesses", []) if p.get("ProcessName") in BLOCKING_PROCESSES
    )
    report.checks.append(
        Check(
            "target_asg_processes",
            not suspended,
            f"{config.target_asg_name} has {suspended} suspended: it cannot launch or register instances; "
            f"resume them (aws autoscaling resume-processes)"
            if suspended
            else f"none of {list(BLOCKING_PROCESSES)} suspended",
            _ALL,
        )
    )


def _switch_state(config: Config, clients: RunClients, report: PreflightReport) -> None:
    """Informational: the traffic-switch item in this region's replica (never blocks)."""
    try:
        report.switch = read_switch(
            clients.target("dynamodb"), table_name=config.state_table_name, global_cluster_id=config.global_cluster_id
        )
    except Exception as error:  # noqa: BLE001 - informational; the switch step writes it anyway
        report.checks.append(Check("traffic_switch", True, f"state unknown ({error_code(error)})"))
        return
    detail = (
        f"serving {report.switch.serving_region} (primary fenced={report.switch.primary_fenced}, run "
        f"{report.switch.run_id})"
        if report.switch
        else "never switched (primary in service)"
    )
    report.checks.append(Check("traffic_switch", True, detail))


def read_replication_lag(config: Config, clients: RunClients, *, now: float) -> float | None:
    """Max AuroraGlobalDBReplicationLag (ms) of the target over the last 5 minutes, in seconds; None if no data."""
    end = datetime.fromtimestamp(now, tz=UTC)
    response = clients.target("cloudwatch").get_metric_statistics(
        Namespace=LAG_NAMESPACE,
        MetricName=LAG_METRIC,
        Dimensions=[{"Name": contract.GLOBAL_LAG_DIMENSION, "Value": config.target_cluster_id}],
        StartTime=end - timedelta(seconds=LAG_WINDOW_SECONDS),
        EndTime=end,
        Period=60,
        Statistics=["Maximum"],
    )
    values = [point["Maximum"] for point in response.get("Datapoints", []) if "Maximum" in point]
    return max(values) * contract.GLOBAL_LAG_UNIT_SECONDS if values else None


def _replication_lag(config: Config, clients: RunClients, report: PreflightReport, *, now: float) -> None:
    """Switchover needs a known lag within the RPO; failover only reports it (the data-loss window)."""
    if not report.needs_promotion:
        return
    try:
        lag = read_replication_lag(config, clients, now=now)
        problem = None
    except Exception as error:  # noqa: BLE001 - unknown lag, reported
        lag, problem = None, f"{error_code(error)}: {error}"
    report.lag_seconds = lag
    if lag is None:
        detail = (
            f"replication lag unknown (no {LAG_METRIC} datapoints for {config.target_cluster_id} in the "
            f"last {LAG_WINDOW_SECONDS // 60} minutes{'; ' + problem if problem else ''})"
        )
        report.checks.append(Check("replication_lag", False, detail, ("switchover",)))
        return
    ok = lag <= config.rpo_seconds
    report.checks.append(
        Check(
            "replication_lag",
            ok,
            f"max lag {lag:.3f} s {'<=' if ok else '>'} RPO {config.rpo_seconds} s ({config.rpo_minutes} min)",
            ("switchover",),
        )
    )


def read_peer_cluster_status(config: Config, clients: RunClients, *, now: float, deadline: float | None = None) -> str:
    """Status of the peer (current primary) cluster, read by ``deadline`` (default: within FENCE_TIMEOUT_SECONDS
    of ``now``); raises if unreachable."""
    rds = clients.peer("rds", deadline=now + config.fence_timeout_seconds if deadline is None else deadline)
    response = rds.describe_db_clusters(DBClusterIdentifier=config.peer_cluster_id)
    return str(response["DBClusters"][0].get("Status", "unknown"))


def _peer_cluster(config: Config, clients: RunClients, report: PreflightReport, *, now: float) -> None:
    """Switchover needs the current primary (peer) to be ``available``; read with a bounded time."""
    if not report.needs_promotion:
        return
    try:
        status = read_peer_cluster_status(config, clients, now=now)
    except Exception as error:  # noqa: BLE001 - unreachable peer region is a finding, not a crash
        report.checks.append(
            Check(
                "peer_cluster_available",
                False,
                f"current primary {config.peer_cluster_id} in {config.peer_region} unreachable: {error_code(error)}",
                ("switchover",),
            )
        )
        return
    report.checks.append(
        Check(
            "peer_cluster_available",
            status == "available",
            f"current primary {config.peer_cluster_id} in {config.peer_region} status {status!r}",
            ("switchover",),
        )
    )


# What one automatic-trigger signal says about the primary: only an answer can say DOWN or UP.
DOWN, UP, UNKNOWN = "DOWN", "up", "unknown"


def automatic_confirmation(config: Config, clients: RunClients, report: PreflightReport, *, now: float) -> None:
    """An automatic failover needs two independent signals that the primary is down; missing data is none.

    1. The probe from this (secondary) region: PROBE_FAILURE_PERIODS one-minute datapoints, all 0. Missing
       datapoints are not failures (a silent probe says nothing about the primary).
    2. At least one more, from an answer: the Route53 health checkers (Route53's own rule: 18% or fewer of the
       observations of the primary ALB's health check report it healthy, ``route53_verdict``), or the primary
       region's RDS API answering a status of a cluster that cannot serve (``cluster_status_signal``: stopped,
       deleting, its key inaccessible; not ``backing-up``, ``modifying`` or ``maintenance``, which a running
       cluster shows), or this region's own CloudWatch answering the secondary cluster's newest
       AuroraGlobalDBReplicationLag datapoint above CONFIRMATION_LAG_PERCENT_OF_RPO of the RPO (``_lag_signal``).
       The first two are us-east-1 endpoints when us-east-1 is the primary (Route53's control plane is homed
       there): with that region gone, the lag read in the surviving region is the signal that can still answer.
       A signal that cannot be read (no answer, no datapoint, or no time left before the request was sent) is
       UNKNOWN, never DOWN: "unreachable from this region" shares the probe's network path.
    3. Route53 checkers (they observe from several AWS regions) seeing the primary healthy by Route53's rule
       (more than 18% report Success) is a veto, whatever the other signals say.

    The four reads run at the same time under one deadline, CONFIRMATION_TIMEOUT_SECONDS from the start: a slow
    Route53 answer cannot use up the RDS read's time, and the confirmation costs at most that one total (the
    budget's ``confirmation`` term), whatever does not answer. A read still running then is UNKNOWN.
    """
    deadline = clients.now() + config.confirmation_timeout_seconds
    signals = run_concurrently(
        {
            "probe": lambda: _probe_signal(config, clients, now=now, deadline=deadline),
            "route53": lambda: _route53_signal(config, clients, deadline=deadline),
            "rds": lambda: _rds_signal(config, clients, deadline=deadline),
            "lag": lambda: _lag_signal(config, clients, now=now, deadline=deadline),
        },
        wall_seconds=config.confirmation_timeout_seconds,
    )
    probe_down, probe_detail = signals.get("probe", (False, "no answer within the confirmation deadline"))
    route53, route53_detail = signals.get("route53", (UNKNOWN, "no answer within the confirmation deadline"))
    rds, rds_detail = signals.get("rds", (UNKNOWN, "no answer within the confirmation deadline"))
    lag, lag_detail = signals.get("lag", (UNKNOWN, "no answer within the confirmation deadline"))
    confirmed = probe_down and route53 != UP and DOWN in (route53, rds, lag)
    veto = " (Route53 checkers see the primary healthy: refused)" if route53 == UP else ""
    report.checks.append(
        Check(
            "automatic_confirmation",
            confirmed,
            f"probe: {'DOWN' if probe_down else 'no'} ({probe_detail}); Route53 checkers: {route53} "
            f"({route53_detail}); RDS: {rds} ({rds_detail}); replication from the primary: {lag} ({lag_detail}); "
            f"automatic failover needs the probe and one other "
            f"signal answering DOWN, and Route53 not considering it healthy (more than 18% of checkers){veto}",
            ("failover",),
        )
    )


def run_concurrently(calls: dict[str, Callable[[], Any]], *, wall_seconds: float) -> dict[str, Any]:
    """Run each call in its own thread and return the results of those that returned within ``wall_seconds``.

    Each call bounds its AWS requests by the shared deadline itself; the join bound (the same length, in real time)
    is a backstop for what botocore's connect/read timeouts do not cover (a DNS lookup), so the whole confirmation
    never outlasts it. A call that raised or is still running is missing from the result: no answer.
    """
    results: dict[str, Any] = {}

    def run(name: str, call: Callable[[], Any]) -> None:
        try:
            results[name] = call()
        except Exception as error:  # noqa: BLE001 - a signal that failed is a signal without an answer
            LOG.warning("confirmation read %s failed: %s", name, error_code(error))

    threads = [
        threading.Thread(target=run, args=item, name=f"confirm-{item[0]}", daemon=True) for item in calls.items()
    ]
    for thread in threads:
        thread.start()
    end = time.monotonic() + wall_seconds
    for thread in threads:
        thread.join(max(0.0, end - time.monotonic()))
    return {name: results[name] for name in calls if name in results}


# DescribeDBClusters Status values, Aurora User Guide, "Viewing DB cluster status" (Aurora.Status): the statuses
# of a cluster that serves, or is changing while it keeps running (its table marks each of them "Billed": backed
# up, modified, maintained, upgraded, renamed, its master password reset, in-region failover to a replica) ...
SERVING_CLUSTER_STATUSES = frozenset(
    {
        "available",
        "backing-up",
        "backtracking",
        "failing-over",
        "maintenance",
        "migrating",
        "modifying",
        "promoting",
        "renaming",
        "resetting-master-credentials",
        "storage-optimization",
        "update-iam-db-auth",
        "upgrading",
    }
)
# ... and those of a cluster that cannot serve: being created ("inaccessible while it is being created"), deleted,
# stopped, stopping or starting, its KMS key inaccessible, or a clone or migration failed.
NOT_SERVING_CLUSTER_STATUSES = frozenset(
    {
        "cloning-failed",
        "creating",
        "deleting",
        "inaccessible-encryption-credentials",
        "inaccessible-encryption-credentials-recoverable",
        "migration-failed",
        "starting",
        "stopped",
        "stopping",
    }
)


def cluster_status_signal(status: str) -> str:
    """What a primary cluster status answered by its region's RDS API says: DOWN only for a status of a cluster
    that cannot serve (NOT_SERVING_CLUSTER_STATUSES), UP for a running cluster, UNKNOWN for an undocumented one."""
    if status in NOT_SERVING_CLUSTER_STATUSES:
        return DOWN
    return UP if status in SERVING_CLUSTER_STATUSES else UNKNOWN


def _rds_signal(config: Config, clients: RunClients, *, deadline: float) -> tuple[str, str]:
    """DOWN when the primary region's RDS API answers a status of a cluster that cannot serve
    (``cluster_status_signal``); UNKNOWN without an answer or for an undocumented status."""
    try:
        status = read_peer_cluster_status(config, clients, now=clients.now(), deadline=deadline)
    except Exception as error:  # noqa: BLE001 - no answer says nothing about the primary
        return UNKNOWN, f"primary region RDS API did not answer ({error_code(error)})"
    return cluster_status_signal(status), f"primary cluster status {status!r}"


def _lag_signal(config: Config, clients: RunClients, *, now: float, deadline: float) -> tuple[str, str]:
    """DOWN when the newest AuroraGlobalDBReplicationLag of this region's (secondary) cluster, read from this
    region's CloudWatch, is at or above ``stalled_replication_seconds`` of the RPO
    (CONFIRMATION_LAG_PERCENT_OF_RPO of it): nothing has replicated from the primary for that long
    ("AuroraGlobalDBReplicationLag: for an Aurora global database, the amount of lag when replicating updates from
    the primary AWS Region", Aurora User Guide, Amazon CloudWatch metrics for Aurora; milliseconds, dimension
    DBClusterIdentifier, all three in dr_contract). The read goes to the target region, not the primary's, so it
    answers while every primary-region endpoint is gone. Below the bar UP says nothing against the failover and
    is no veto (an app-only outage keeps replicating: the promotion is then chosen as a switchover); no datapoint
    or no answer is UNKNOWN, never DOWN."""
    threshold = config.confirmation_lag_seconds
    end = datetime.fromtimestamp(now, tz=UTC)
    try:
        response = clients.get("cloudwatch", config.target_region, deadline=deadline).get_metric_statistics(
            Namespace=contract.AURORA_NAMESPACE,
            MetricName=contract.GLOBAL_LAG_METRIC,
            Dimensions=[{"Name": contract.GLOBAL_LAG_DIMENSION, "Value": config.target_cluster_id}],
            StartTime=end - timedelta(seconds=LAG_WINDOW_SECONDS),
            EndTime=end,
            Period=60,
            Statistics=["Maximum"],
        )
    except Exception as error:  # noqa: BLE001 - no data is no signal
        return UNKNOWN, f"unreadable ({error_code(error)})"
    points = sorted(response.get("Datapoints", []), key=lambda p: p["Timestamp"])
    if not points or "Maximum" not in points[-1]:
        return UNKNOWN, f"no {LAG_METRIC} datapoint of {config.target_cluster_id} in {LAG_WINDOW_SECONDS // 60} minutes"
    lag = float(points[-1]["Maximum"]) * contract.GLOBAL_LAG_UNIT_SECONDS
    verdict = DOWN if lag >= threshold else UP
    return verdict, f"newest {LAG_METRIC} {lag:.1f} s {'>=' if verdict == DOWN else '<'} {threshold} s"


def _probe_signal(
    config: Config, clients: RunClients, *, now: float, deadline: float | None = None
) -> tuple[bool, str]:
    """True when the last PROBE_FAILURE_PERIODS probe periods (PROBE_PERIOD_SECONDS each) each hold a probe
    datapoint and all are 0."""
    periods = config.probe_failure_periods
    period = config.probe_period_seconds
    end = datetime.fromtimestamp(now, tz=UTC)
    try:
        response = clients.get("cloudwatch", config.target_region, deadline=deadline).get_metric_statistics(
            Namespace=config.probe_namespace,
            MetricName=config.probe_metric,
            Dimensions=[{"Name": "GlobalCluster", "Value": config.global_cluster_id}],
            StartTime=end - timedelta(seconds=period * (periods + 1)),
            EndTime=end,
            Period=period,
            Statistics=["Maximum", "SampleCount"],
        )
    except Exception as error:  # noqa: BLE001 - no data is no signal
        return False, f"unreadable ({error_code(error)})"
    points = sorted(response.get("Datapoints", []), key=lambda p: p["Timestamp"])[-periods:]
    failing = [p for p in points if p.get("SampleCount", 0) > 0 and p.get("Maximum", 1) < 1]
    down = len(points) >= periods and len(failing) == len(points)
    return down, f"{len(failing)} failing of {len(points)} datapoint(s) in the last {periods} x {period} s"


def _route53_signal(config: Config, clients: RunClients, *, deadline: float) -> tuple[str, str]:
    """Route53's own verdict on the primary ALB's health check, from its checkers' observations
    (``route53_verdict``); UNKNOWN when the control plane does not answer by ``deadline``."""
    if not config.health_check_id:
        return UNKNOWN, "HEALTH_CHECK_ID not set"
    try:
        route53 = clients.get(
            "route53",
            config.target_region,
            deadline=deadline,
            attempts=1,
            call_timeout=config.confirmation_timeout_seconds,
        )
        observations = route53.get_health_check_status(HealthCheckId=config.health_check_id).get(
            "HealthCheckObservations", []
        )
    except Exception as error:  # noqa: BLE001 - the Route53 control plane may be unreachable: no signal
        return UNKNOWN, f"unavailable ({error_code(error)})"
    return route53_verdict(observations)


# Route53 Developer Guide, "How Amazon Route 53 determines whether a health check is healthy": "If more than 18%
# of health checkers report that an endpoint is healthy, Route 53 considers it healthy. If 18% or fewer ...
# report that an endpoint is healthy, Route 53 considers it unhealthy."
ROUTE53_HEALTHY_PERCENT = 18


def route53_verdict(observations: list[dict[str, Any]]) -> tuple[str, str]:
    """DOWN only when Route53 itself considers the endpoint unhealthy, UP (the veto) when it considers it healthy.

    One observation per health checker (Route53 API Reference, GetHealthCheckStatus,
    HealthCheckObservations[].StatusReport.Status, "Success: ..." or "Failure: ..."). Route53 keeps answering
    the PRIMARY record while more than ROUTE53_HEALTHY_PERCENT of them report Success: the rule exists so that a
    network path isolating the endpoint from some checker locations (the probe's path too) does not mark it
    unhealthy, so a simple majority failing is not "down". No observation is UNKNOWN.
    """
    total = len(observations)
    healthy = sum(1 for o in observations if o.get("StatusReport", {}).get("Status", "").startswith("Success"))
    detail = f"{total - healthy}/{total} failing, {healthy}/{total} healthy; Route53 rule: healthy above " + (
        f"{ROUTE53_HEALTHY_PERCENT}%"
    )
    if total == 0:
        return UNKNOWN, "no observation"
    return (UP if healthy * 100 > ROUTE53_HEALTHY_PERCENT * total else DOWN), detail
