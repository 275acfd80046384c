"""The automatic decision: whether an automatic failover may go on, from independent signals that the primary
is down. Its verdict is one check of the run's preflight (``automatic_confirmation``); missing data is no signal.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import dr_contract as contract

from dr_failover.aws.calls import error_code
from dr_failover.aws.clients import RunClients
from dr_failover.checks.preflight import (
    LAG_METRIC,
    LAG_WINDOW_SECONDS,
    Check,
    PreflightReport,
    read_peer_cluster_status,
)
from dr_failover.config import Config

LOG = logging.getLogger(__name__)

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
    """True when the last PROBE_FAILURE_PERIODS probe periods (PROBE_INTERVAL_SECONDS each) each hold a probe
    datapoint and all are 0."""
    periods = config.probe_failure_periods
    period = config.probe_interval_seconds
    end = datetime.fromtimestamp(now, tz=UTC)
    try:
        response = clients.get("cloudwatch", config.target_region, deadline=deadline).get_metric_statistics(
            Namespace=config.probe_namespace,
            MetricName=config.probe_metric,
            Dimensions=[{"Name": contract.GLOBAL_CLUSTER_DIMENSION, "Value": config.global_cluster_id}],
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
