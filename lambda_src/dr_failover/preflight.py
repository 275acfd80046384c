"""Read-only readiness checks run before any change: cluster, membership, ASG, replication lag, peer.

Every check runs and is reported (a preflight shows all problems at once); which failures block a
run depends on the mode, see ``PreflightReport.refusal``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from dr_failover.aws import error_code
from dr_failover.clients import RunClients
from dr_failover.config import Config

LAG_NAMESPACE = "AWS/RDS"
LAG_METRIC = "AuroraGlobalDBReplicationLag"
LAG_WINDOW_SECONDS = 300


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


@dataclass
class GlobalClusterState:
    """What describe_global_clusters says about the target's role."""

    status: str
    target_is_member: bool
    target_is_writer: bool
    writer_arn: str | None
    failover_status: str | None
    failover_to: str | None

    def promotion_to(self, cluster_arn: str) -> bool:
        """True while a switchover/failover towards ``cluster_arn`` is in progress."""
        return self.failover_status is not None and self.failover_to == cluster_arn


@dataclass
class PreflightReport:
    """Outcome of all checks, plus facts later steps use (lag, writer, promotion in progress)."""

    checks: list[Check] = field(default_factory=list)
    lag_seconds: float | None = None
    global_cluster: GlobalClusterState | None = None
    target_cluster_arn: str = ""

    @property
    def target_is_writer(self) -> bool:
        """True when the target cluster already is the global cluster's writer."""
        return bool(self.global_cluster and self.global_cluster.target_is_writer)

    @property
    def promotion_in_progress(self) -> bool:
        """True when the global cluster already shows a promotion towards the target."""
        return bool(self.global_cluster and self.global_cluster.promotion_to(self.target_cluster_arn))

    @property
    def nothing_to_do(self) -> bool:
        """The target is the writer and no promotion is still running: a promotion would be a no-op."""
        return self.target_is_writer and not self.promotion_in_progress

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


def run_preflight(config: Config, clients: RunClients, *, mode: str, now: float) -> PreflightReport:
    """Run every read-only check for ``mode`` (``preflight`` also checks what switchover needs)."""
    report = PreflightReport(target_cluster_arn=config.target_cluster_arn)
    report.global_cluster = _global_cluster_state(config, clients, report)
    _target_cluster(config, clients, report)
    _target_asg(config, clients, report)
    _replication_lag(config, clients, report, now=now)
    if mode in ("switchover", "preflight"):
        _peer_cluster(config, clients, report)
    return report


_PROMOTING = ("switchover", "failover")
_ALL = ("preflight", "switchover", "failover")


def _global_cluster_state(config: Config, clients: RunClients, report: PreflightReport) -> GlobalClusterState | None:
    """Describe the global cluster: membership, writer, promotion in progress."""
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
    if not state.target_is_writer:
        healthy = state.status == "available" or state.promotion_to(config.target_cluster_arn)
        report.checks.append(
            Check("global_cluster_available", healthy, f"global cluster status {state.status!r}", ("switchover",))
        )
    return state


def describe_global_cluster(config: Config, clients: RunClients) -> GlobalClusterState:
    """Read the global cluster (in the target region) and the target's role in it."""
    response = clients.target("rds").describe_global_clusters(GlobalClusterIdentifier=config.global_cluster_id)
    clusters = response.get("GlobalClusters", [])
    if not clusters:
        raise LookupError(f"global cluster {config.global_cluster_id} not found")
    cluster = clusters[0]
    members = cluster.get("GlobalClusterMembers", [])
    target = next((m for m in members if m.get("DBClusterArn") == config.target_cluster_arn), None)
    writer = next((m.get("DBClusterArn") for m in members if m.get("IsWriter")), None)
    failover = cluster.get("FailoverState") or {}
    return GlobalClusterState(
        status=cluster.get("Status", "unknown"),
        target_is_member=target is not None,
        target_is_writer=bool(target and target.get("IsWriter")),
        writer_arn=writer,
        failover_status=failover.get("Status"),
        failover_to=failover.get("ToDbClusterArn"),
    )


def _target_cluster(config: Config, clients: RunClients, report: PreflightReport) -> None:
    """The target cluster must be ``available`` (unless it is already being promoted or is the writer)."""
    try:
        response = clients.target("rds").describe_db_clusters(DBClusterIdentifier=config.target_cluster_id)
        status = response["DBClusters"][0].get("Status", "unknown")
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
    ok = status == "available" or report.promotion_in_progress or report.target_is_writer
    detail = f"{config.target_cluster_id} status {status!r}"
    if status != "available" and ok:
        detail += " (promotion to it already under way)"
    report.checks.append(Check("target_cluster_available", ok, detail, _ALL))


def _target_asg(config: Config, clients: RunClients, report: PreflightReport) -> None:
    """The target ASG must exist; its MaxSize is raised to TARGET_FAILOVER_MAX when lower."""
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


def read_replication_lag(config: Config, clients: RunClients, *, now: float) -> float | None:
    """Max AuroraGlobalDBReplicationLag (ms) of the target over the last 5 minutes, in seconds; None if no data."""
    end = datetime.fromtimestamp(now, tz=UTC)
    response = clients.target("cloudwatch").get_metric_statistics(
        Namespace=LAG_NAMESPACE,
        MetricName=LAG_METRIC,
        Dimensions=[{"Name": "DBClusterIdentifier", "Value": config.target_cluster_id}],
        StartTime=end - timedelta(seconds=LAG_WINDOW_SECONDS),
        EndTime=end,
        Period=60,
        Statistics=["Maximum"],
    )
    values = [point["Maximum"] for point in response.get("Datapoints", []) if "Maximum" in point]
    return max(values) / 1000.0 if values else None


def _replication_lag(config: Config, clients: RunClients, report: PreflightReport, *, now: float) -> None:
    """Switchover needs a known lag within the RPO; failover only reports it (the data-loss window)."""
    if report.nothing_to_do:
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


def _peer_cluster(config: Config, clients: RunClients, report: PreflightReport) -> None:
    """Switchover needs the current primary (peer) to be ``available``; read with a short timeout."""
    if report.nothing_to_do or report.promotion_in_progress:
        return
    try:
        response = clients.peer("rds").describe_db_clusters(DBClusterIdentifier=config.peer_cluster_id)
        status = response["DBClusters"][0].get("Status", "unknown")
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
