"""Read-only checks of live state, run before any change and on every re-invocation.

Every check runs and is reported (a preflight shows all problems at once); which failures block a
run depends on the mode, see ``PreflightReport.refusal``. Checks that only matter while a promotion
call is still needed (lag, member synchronization, peer availability) are skipped once live state
shows the target is the writer or a promotion to it is in progress, so a re-invoked run can always
finish the remaining steps.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import dr_contract as contract

from dr_failover.aws.calls import error_code
from dr_failover.aws.clients import RunClients
from dr_failover.config import Config
from dr_failover.records.switch import SwitchState, read_switch

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
    failover_capacity: tuple[int, int] = (0, 0)

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
            >= self.failover_capacity
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


def run_preflight(config: Config, clients: RunClients, *, mode: str, now: float) -> PreflightReport:
    """Run every read-only check for ``mode`` (``preflight`` also checks what switchover needs); an automatic run
    adds the confirmation that the primary is down (``dr_failover.automatic.confirmation``)."""
    report = PreflightReport(
        target_region=config.target_region,
        failover_capacity=(config.failover_capacity_min, config.failover_capacity_desired),
    )
    report.global_cluster = _global_cluster_state(config, clients, report)
    _target_cluster(config, clients, report)
    _target_asg(config, clients, report)
    _switch_state(config, clients, report)
    _replication_lag(config, clients, report, now=now)
    if mode in ("switchover", "preflight"):
        _peer_cluster(config, clients, report, now=now)
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
        f"MaxSize {max_size} permits {config.failover_capacity_max}"
        if max_size >= config.failover_capacity_max
        else f"MaxSize {max_size} will be raised to {config.failover_capacity_max}"
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
