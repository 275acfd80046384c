"""Automatic failover needs two independent signals that the primary is down, never missing data alone.

The trigger (``"trigger": "automatic"``) comes from a CloudWatch alarm on the probe metric; CloudWatch can treat
missing data as breaching ("Configuring how CloudWatch alarms treat missing data", CloudWatch User Guide), so a
silent probe alone must never fail over a healthy primary with ``AllowDataLoss``. The second signal is read from
outside the probe: the Route53 checkers' observations of the primary ALB (GetHealthCheckStatus,
HealthCheckObservations[].StatusReport.Status) or the primary region's RDS API (DescribeDBClusters). ARC Region
switch triggers likewise enforce a minimum delay between automatic runs.

The probe and the primary's RDS API are both read from the secondary region, so "cannot reach the primary from
here" is one network path, not a second signal: only an answer counts as DOWN. Route53's checkers observe from
several AWS regions (GetHealthCheckStatus returns one observation per checker), and Route53 considers an endpoint
healthy while more than 18% of them report it healthy: that is a veto, and only 18% or fewer counts as DOWN.
"""

from __future__ import annotations

import threading

import pytest
from botocore.exceptions import EndpointConnectionError
from dr_failover.automatic.confirmation import DOWN, UNKNOWN, UP, route53_verdict
from dr_failover.records.lock import LOCK_SETTLE_SECONDS, LeaseLock
from support.drill import (
    GLOBAL_CLUSTER_ID,
    HANG,
    PRIMARY_REGION,
    SECONDARY_REGION,
    STATE_TABLE_NAME,
    WARM_CAPACITY,
    RdsScript,
    SimulatedClock,
    route53_observations,
    shared_client,
)
from support.harness import event, invoke, step

FAILING = "Failure: HTTP Status Code 503, Service Unavailable"
SUCCESS = "Success: HTTP Status Code 200, OK"
AUTOMATIC = {"trigger": "automatic", "reason": "automatic: primary endpoint probe failed from the secondary region"}


def _confirmation(result) -> str:
    return step(result, "preflight")["detail"].split("automatic_confirmation: ")[1]


def test_silent_probe_with_a_healthy_primary_is_not_failed_over(world, aws, clock):
    """No probe datapoints at all (the probe is broken), Route53 checkers and RDS say the primary is fine."""
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").describe_cluster(PRIMARY_REGION, "available")

    result = invoke(world, aws, clock, event("failover", **AUTOMATIC))

    assert result["status"] == "refused"
    assert "automatic_confirmation: FAIL" in result["message"]
    assert "0 failing of 0 datapoint(s)" in _confirmation(result)
    script.assert_all_used()
    assert aws.changing_calls() == []
    assert world.capacity(SECONDARY_REGION) == WARM_CAPACITY


def test_failing_probe_alone_is_not_enough(world, aws, clock):
    """The probe fails (its own network path may be the problem) but Route53's checkers and RDS see a healthy
    primary: one signal, refused."""
    world.put_probe(SECONDARY_REGION, [0.0, 0.0, 0.0])
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").describe_cluster(PRIMARY_REGION, "available")

    result = invoke(world, aws, clock, event("failover", **AUTOMATIC))

    assert result["status"] == "refused"
    assert "probe: DOWN" in _confirmation(result) and "RDS: up" in _confirmation(result)
    script.assert_all_used()
    assert aws.changing_calls() == []


def test_failing_probe_and_an_unreachable_primary_region_are_refused_while_route53_sees_it_healthy(world, aws, clock):
    """Corrected rule (this test used to expect a failover): the probe fails and the primary region's RDS API does
    not answer from us-west-2, but Route53's checkers (moto answers one 'Success' observation) see the primary
    healthy from outside. Both failing signals share the secondary region's network path; an unanswered request
    says nothing about the primary, so it is 'unknown', and the healthy Route53 majority vetoes AllowDataLoss."""
    world.put_probe(SECONDARY_REGION, [0.0, 0.0, 0.0])
    endpoint = EndpointConnectionError(endpoint_url="https://rds.us-east-1.amazonaws.com/")
    aws.fail("rds", PRIMARY_REGION, "DescribeDBClusters", HANG, endpoint, endpoint)
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover")

    result = invoke(world, aws, clock, event("failover", **AUTOMATIC))

    assert result["status"] == "refused", result["message"]
    assert "Route53 checkers: up (0/1 failing, 1/1 healthy" in _confirmation(result)
    assert "RDS: unknown" in _confirmation(result)
    script.assert_all_used()
    assert aws.changing_calls() == []
    assert "FailoverGlobalCluster" not in aws.operations("rds")


def test_failing_probe_and_route53_considering_the_primary_unhealthy_fail_over(world, aws, clock):
    """Two independent signals that answered: the probe's datapoints are all failures and 7 of 8 Route53 checkers
    report Failure (GetHealthCheckStatus): 12.5% healthy, so Route53 itself considers the primary unhealthy
    ("18% or fewer", Route53 Developer Guide); the primary's RDS API does not answer (unknown, not counted)."""
    world.put_probe(SECONDARY_REGION, [0.0, 0.0, 0.0])
    aws.answer("route53", SECONDARY_REGION, "GetHealthCheckStatus", route53_observations(SUCCESS, *[FAILING] * 7))
    aws.fail("rds", PRIMARY_REGION, "DescribeDBClusters", HANG, HANG, HANG)
    aws.fail("autoscaling", PRIMARY_REGION, "DescribeAutoScalingGroups", HANG, HANG, HANG)
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").promotion("failover")

    result = invoke(world, aws, clock, event("failover", **AUTOMATIC))

    assert result["status"] == "succeeded", result["message"]
    script.assert_all_used()
    assert "Route53 checkers: DOWN (7/8 failing, 1/8 healthy" in _confirmation(result)
    assert "RDS: unknown" in _confirmation(result)


def test_route53_still_healthy_by_its_18_percent_rule_refuses_an_allowdataloss_failover(world, aws, clock):
    """Route53 Developer Guide, "How Amazon Route 53 determines whether a health check is healthy": "If more than
    18% of health checkers report that an endpoint is healthy, Route 53 considers it healthy", a rule that
    "prevents an endpoint from being considered unhealthy only because network conditions have isolated the
    endpoint from some health-checking locations". 5 of 8 checkers fail, 3 succeed (37.5% healthy): Route53 keeps
    answering the PRIMARY record, users keep writing there, so the checkers are a veto, not a second DOWN signal,
    although the probe (the secondary region's network path) fails and the primary's RDS API does not answer."""
    world.put_probe(SECONDARY_REGION, [0.0, 0.0, 0.0])
    aws.answer(
        "route53",
        SECONDARY_REGION,
        "GetHealthCheckStatus",
        route53_observations(FAILING, FAILING, SUCCESS, FAILING, FAILING, SUCCESS, FAILING, SUCCESS),
    )
    endpoint = EndpointConnectionError(endpoint_url="https://rds.us-east-1.amazonaws.com/")
    aws.fail("rds", PRIMARY_REGION, "DescribeDBClusters", endpoint, endpoint, endpoint)
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover")

    result = invoke(world, aws, clock, event("failover", **AUTOMATIC))

    assert result["status"] == "refused", result["message"]
    assert "Route53 checkers: up (5/8 failing, 3/8 healthy" in _confirmation(result)
    assert "FailoverGlobalCluster" not in aws.operations("rds")
    assert aws.changing_calls() == []
    script.assert_all_used()


@pytest.mark.parametrize(
    ("healthy", "total", "verdict"),
    [
        (9, 50, DOWN),  # exactly 18%: "18% or fewer ... Route 53 considers it unhealthy"
        (2, 11, UP),  # 18.2%: "more than 18% ... Route 53 considers it healthy"
        (1, 8, DOWN),  # 12.5%
        (2, 8, UP),  # 25%
        (3, 8, UP),  # 37.5%: a majority failing is not Route53's "unhealthy"
        (0, 8, DOWN),
        (1, 1, UP),
    ],
)
def test_route53_verdict_is_route53s_own_18_percent_rule(healthy, total, verdict):
    """Route53 Developer Guide, "How Amazon Route 53 determines whether a health check is healthy": healthy when
    more than 18% of health checkers report healthy, unhealthy when 18% or fewer do (the boundary is exact)."""
    observations = route53_observations(*[SUCCESS] * healthy, *[FAILING] * (total - healthy))

    assert route53_verdict(observations["HealthCheckObservations"])[0] == verdict


def test_route53_verdict_without_observations_is_unknown():
    """GetHealthCheckStatus with no HealthCheckObservations says nothing either way."""
    assert route53_verdict([])[0] == UNKNOWN


# Aurora User Guide, "Viewing DB cluster status" (Aurora.Status), the DB cluster status table: the statuses of a
# running, billed cluster (it serves while it is backed up, modified, maintained, upgraded ...) ...
RUNNING_CLUSTER_STATUSES = (
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
)
# ... and those of a cluster that cannot serve: not billed (being created: "inaccessible while it is being created";
# deleting; stopped; its KMS key inaccessible; a failed clone or migration), or on its way down or up.
NOT_SERVING_CLUSTER_STATUSES = (
    "cloning-failed",
    "creating",
    "deleting",
    "inaccessible-encryption-credentials",
    "inaccessible-encryption-credentials-recoverable",
    "migration-failed",
    "starting",
    "stopped",
    "stopping",
)


def _probe_down_route53_unreachable(world, aws):
    world.put_probe(SECONDARY_REGION, [0.0, 0.0, 0.0])
    aws.fail("route53", SECONDARY_REGION, "GetHealthCheckStatus", HANG)


@pytest.mark.parametrize("status", RUNNING_CLUSTER_STATUSES)
def test_a_running_primary_cluster_is_not_a_down_signal(world, aws, clock, status):
    """Aurora User Guide, DB cluster status table: ``status`` is a state of a running cluster (billed; it serves
    while being backed up, modified, maintained ...). With the probe failing and Route53's control plane not
    answering, the primary region's RDS API answering ``status`` says the primary's database is up: one signal,
    refused, no FailoverGlobalCluster (AllowDataLoss) and nothing changed."""
    _probe_down_route53_unreachable(world, aws)
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").describe_cluster(PRIMARY_REGION, status)

    result = invoke(world, aws, clock, event("failover", **AUTOMATIC))

    assert result["status"] == "refused", result["message"]
    assert f"RDS: up (primary cluster status {status!r})" in _confirmation(result)
    assert "FailoverGlobalCluster" not in aws.operations("rds")
    assert aws.changing_calls() == []
    script.assert_all_used()


@pytest.mark.parametrize("status", NOT_SERVING_CLUSTER_STATUSES)
def test_a_primary_cluster_that_cannot_serve_is_a_second_signal(world, aws, clock, status):
    """Aurora User Guide, DB cluster status table: ``status`` is a state in which the cluster cannot serve
    (inaccessible, stopped, deleted, its key unusable). The primary region's RDS API answering it is a second
    signal beside the failing probe; Route53's control plane does not answer (unknown, no veto): failed over."""
    _probe_down_route53_unreachable(world, aws)
    aws.fail("autoscaling", PRIMARY_REGION, "DescribeAutoScalingGroups", HANG, HANG, HANG)
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").describe_cluster(PRIMARY_REGION, status)
    script.promotion("failover")

    result = invoke(world, aws, clock, event("failover", **AUTOMATIC))

    assert result["status"] == "succeeded", result["message"]
    assert "Route53 checkers: unknown" in _confirmation(result)
    assert f"RDS: DOWN (primary cluster status {status!r})" in _confirmation(result)
    script.assert_all_used()


def _primary_region_lost(world, aws):
    """Every us-east-1 endpoint the confirmation reads is gone: the Route53 API (homed in us-east-1, whatever
    region signs it) and the primary's RDS API hang; the probe from the secondary has failed three times."""
    world.put_probe(SECONDARY_REGION, [0.0, 0.0, 0.0])
    aws.fail("route53", SECONDARY_REGION, "GetHealthCheckStatus", HANG)
    aws.fail("rds", PRIMARY_REGION, "DescribeDBClusters", HANG, HANG, HANG)
    aws.fail("autoscaling", PRIMARY_REGION, "DescribeAutoScalingGroups", HANG, HANG, HANG)


def test_the_surviving_regions_stalled_replication_confirms_when_the_whole_primary_region_is_lost(world, aws, clock):
    """The outage the automatic mode exists for, with the primary in us-east-1: Route53's API and the primary's
    RDS API are both us-east-1 endpoints and answer nothing (unknown). The secondary cluster's own
    AuroraGlobalDBReplicationLag, published in the secondary region ("the amount of lag when replicating updates
    from the primary AWS Region", Aurora User Guide, CloudWatch metrics for Aurora), says nothing has replicated
    for 90 s, above a fifth of the 5-minute RPO: the second signal, read without the lost region. Failed over."""
    _primary_region_lost(world, aws)
    world.put_lag(SECONDARY_REGION, 90_000.0)
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").promotion("failover")

    result = invoke(world, aws, clock, event("failover", **AUTOMATIC))

    assert result["status"] == "succeeded", result["message"]
    script.assert_all_used()
    confirmation = _confirmation(result)
    assert "Route53 checkers: unknown" in confirmation and "RDS: unknown" in confirmation
    assert "replication from the primary: DOWN (newest AuroraGlobalDBReplicationLag 90.0 s >= 60 s)" in confirmation


def test_replication_still_flowing_is_no_second_signal(world, aws, clock):
    """Same lost control planes, but the secondary still reports 1.8 s of lag: storage replication from the
    primary is flowing, so the primary's database is not shown down; the failing probe alone is refused."""
    _primary_region_lost(world, aws)
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover")

    result = invoke(world, aws, clock, event("failover", **AUTOMATIC))

    assert result["status"] == "refused", result["message"]
    assert "replication from the primary: up (newest AuroraGlobalDBReplicationLag 1.8 s < 60 s)" in _confirmation(
        result
    )
    assert "FailoverGlobalCluster" not in aws.operations("rds")
    assert aws.changing_calls() == []
    script.assert_all_used()


def test_no_lag_datapoint_is_unknown_not_down(world, aws, clock):
    """Aurora publishes the lag from the secondary; a secondary that published nothing for five minutes says
    nothing about the primary (missing data is no signal): unknown, refused."""
    clock.sleep(600)  # the world's one lag datapoint is now ten minutes old, outside the five-minute window
    _primary_region_lost(world, aws)
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover")

    result = invoke(world, aws, clock, event("failover", **AUTOMATIC))

    assert result["status"] == "refused", result["message"]
    assert "replication from the primary: unknown (no AuroraGlobalDBReplicationLag datapoint" in _confirmation(result)
    assert aws.changing_calls() == []
    script.assert_all_used()


def test_route53_seeing_the_primary_healthy_vetoes_a_stalled_replication(world, aws, clock):
    """Route53's checkers (more than 18% Success) still see the primary's app serving: its users still write
    there, so a stalled replication (a replication problem, not a lost region) cannot fail over with
    AllowDataLoss."""
    world.put_probe(SECONDARY_REGION, [0.0, 0.0, 0.0])
    world.put_lag(SECONDARY_REGION, 90_000.0)
    aws.answer("route53", SECONDARY_REGION, "GetHealthCheckStatus", route53_observations(SUCCESS, SUCCESS, FAILING))
    aws.fail("rds", PRIMARY_REGION, "DescribeDBClusters", HANG, HANG, HANG)
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover")

    result = invoke(world, aws, clock, event("failover", **AUTOMATIC))

    assert result["status"] == "refused", result["message"]
    assert "replication from the primary: DOWN" in _confirmation(result)
    assert "Route53 checkers see the primary healthy: refused" in _confirmation(result)
    assert "FailoverGlobalCluster" not in aws.operations("rds")
    script.assert_all_used()


def test_an_undocumented_primary_cluster_status_is_unknown(world, aws, clock):
    """A status the DB cluster status table does not list says nothing either way: unknown, not DOWN; with only the
    probe failing the run is refused."""
    _probe_down_route53_unreachable(world, aws)
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").describe_cluster(PRIMARY_REGION, "inaccessible")

    result = invoke(world, aws, clock, event("failover", **AUTOMATIC))

    assert result["status"] == "refused", result["message"]
    assert "RDS: unknown (primary cluster status 'inaccessible')" in _confirmation(result)
    assert aws.changing_calls() == []
    script.assert_all_used()


def test_a_slow_route53_answer_does_not_use_up_the_rds_signals_time(world, aws, clock):
    """Route53's control plane hangs for its whole timeout; the primary's RDS API, asked afterwards with its own
    deadline, answers 'available'. Nothing says DOWN except the probe: refused, and RDS was actually asked."""
    world.put_probe(SECONDARY_REGION, [0.0, 0.0, 0.0])
    aws.fail("route53", SECONDARY_REGION, "GetHealthCheckStatus", HANG)
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").describe_cluster(PRIMARY_REGION, "available")

    result = invoke(world, aws, clock, event("failover", **AUTOMATIC))

    assert result["status"] == "refused", result["message"]
    assert ("rds", PRIMARY_REGION, "DescribeDBClusters") in aws.calls
    assert "RDS: up" in _confirmation(result)
    script.assert_all_used()


def test_confirmation_reads_run_at_the_same_time_under_one_deadline(world, aws, clock):
    """Route53's control plane and the primary region's RDS API both hang (a connect that never completes costs
    its whole timeout, botocore Config connect_timeout/read_timeout). The reads run at the same time under one
    deadline, CONFIRMATION_TIMEOUT_SECONDS (10 s here): the confirmation costs 10 s, the budget's confirmation
    term, not one fence timeout per signal (20 s + 20 s before). Both were asked; neither answered, so neither
    says DOWN: refused, nothing changed."""
    world.put_probe(SECONDARY_REGION, [0.0, 0.0, 0.0])
    aws.fail("route53", SECONDARY_REGION, "GetHealthCheckStatus", HANG)
    aws.fail("rds", PRIMARY_REGION, "DescribeDBClusters", HANG, HANG, HANG)
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover")
    started = clock()

    result = invoke(world, aws, clock, event("failover", **AUTOMATIC), CONFIRMATION_TIMEOUT_SECONDS="10")

    assert result["status"] == "refused", result["message"]
    assert clock() - started == 10
    assert step(result, "preflight")["seconds"] == 10
    assert ("route53", SECONDARY_REGION, "GetHealthCheckStatus") in aws.calls
    assert ("rds", PRIMARY_REGION, "DescribeDBClusters") in aws.calls
    assert "Route53 checkers: unknown" in _confirmation(result) and "RDS: unknown" in _confirmation(result)
    script.assert_all_used()
    assert aws.changing_calls() == []


def test_the_simulated_clock_charges_concurrent_waits_once_and_sequential_waits_in_full():
    """The double behind the test above: two threads that each wait 10 s from the same moment end 10 s later for
    the thread that joined them; the same waits one after the other take 20 s."""
    clock = SimulatedClock(start=1000.0)
    threads = [threading.Thread(target=clock.sleep, args=(10.0,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert clock() == 1010.0
    clock.sleep(10.0)
    clock.sleep(10.0)
    assert clock() == 1030.0


def test_an_unanswering_primary_region_costs_at_most_confirmation_plus_fence_before_the_promotion_call(
    world, aws, clock
):
    """The recovery budget's confirmation and fence terms, against a primary region that does not answer at all:
    every Route53 checker reports Failure (GetHealthCheckStatus), the primary's RDS API and Auto Scaling API hang.
    From the run's start to the promotion call: the confirmation (CONFIRMATION_TIMEOUT_SECONDS=5), the lock's
    replication settle (LOCK_SETTLE_SECONDS, 2 s, local) and the fence (FENCE_TIMEOUT_SECONDS=5, all attempts
    together), and nothing else (the prod profile's values)."""
    world.put_probe(SECONDARY_REGION, [0.0, 0.0, 0.0])
    aws.answer("route53", SECONDARY_REGION, "GetHealthCheckStatus", route53_observations(FAILING, FAILING, FAILING))
    aws.fail("rds", PRIMARY_REGION, "DescribeDBClusters", *[HANG] * 3)
    aws.fail("autoscaling", PRIMARY_REGION, "DescribeAutoScalingGroups", *[HANG] * 3)
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").promotion("failover")

    result = invoke(
        world,
        aws,
        clock,
        event("failover", **AUTOMATIC),
        CONFIRMATION_TIMEOUT_SECONDS="5",
        FENCE_TIMEOUT_SECONDS="5",
    )

    assert result["status"] == "succeeded", result["message"]
    script.assert_all_used()
    assert step(result, "preflight")["seconds"] <= 5
    assert step(result, "standby_peer")["status"] == "warning" and step(result, "standby_peer")["seconds"] <= 5
    assert step(result, "promote")["offset_seconds"] <= 5 + LOCK_SETTLE_SECONDS + 5


def test_a_second_automatic_run_within_the_minimum_interval_starts_nothing(world, aws, clock):
    """An alarm that flaps sends a new "CloudWatch Alarm State Change" event on every change to ALARM (EventBridge
    User Guide, "Alarm events and EventBridge"). One arriving within AUTOMATIC_MIN_INTERVAL_SECONDS of the last
    automatic run is refused after reads only: no preflight call into either region, no write but its run trace (the
    lock item is the first run's, untouched). Invoked asynchronously, nobody sees the result, so the refusal is
    recorded for ``status`` and notified once (test_run_records.py covers the episode)."""
    world.put_probe(SECONDARY_REGION, [0.0, 0.0, 0.0])
    aws.answer("route53", SECONDARY_REGION, "GetHealthCheckStatus", *[route53_observations(FAILING)] * 2)
    aws.fail("rds", PRIMARY_REGION, "DescribeDBClusters", *[HANG] * 6)
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").describe_global()
    script.promotion_refused("failover").describe_global()
    first = invoke(world, aws, clock, event("failover", **AUTOMATIC), run_id="auto-1")
    assert first["status"] == "failed"

    clock.advance(600)  # the alarm fires again ten minutes later (AUTOMATIC_MIN_INTERVAL_SECONDS: 3600)
    world.put_probe(SECONDARY_REGION, [0.0, 0.0, 0.0])
    lock_before = world.lock_item(SECONDARY_REGION)
    world.notifications(SECONDARY_REGION)  # drain the first run's
    calls_before, changes_before = len(aws.calls), len(aws.changing_calls())
    second = invoke(world, aws, clock, event("failover", **AUTOMATIC), run_id="auto-2")

    assert second["status"] == "refused"
    assert "AUTOMATIC_MIN_INTERVAL_SECONDS=3600" in second["message"]
    # the interval runs from the first run's claim, before its promotion step (whose writer read hung)
    assert f"run (auto-1) started {600 + step(first, 'promote')['seconds']:.0f} s ago" in second["message"]
    script.assert_all_used()
    assert aws.operations("rds").count("FailoverGlobalCluster") == 1
    # reads only: the last automatic start, then the lock (is there an unfinished run to finish? no: it was refused
    # before any promotion); then only the refusal's run record and notice
    assert aws.calls[calls_before : calls_before + 2] == [("dynamodb", SECONDARY_REGION, "GetItem")] * 2
    assert len(aws.changing_calls()) == changes_before
    assert set(aws.operations()[calls_before:]) == {"GetItem", "PutItem", "UpdateItem", "Publish"}
    assert world.lock_item(SECONDARY_REGION) == lock_before  # the first run's journal, released, untouched
    assert world.lock_item(SECONDARY_REGION)["state"]["S"] == "failed"
    assert [n["body"]["run_id"] for n in world.notifications(SECONDARY_REGION)] == ["auto-2"]


def test_an_automatic_event_after_the_minimum_interval_is_not_refused_by_it(world, aws, clock):
    """The interval gate counts from the last automatic start: one second past AUTOMATIC_MIN_INTERVAL_SECONDS the
    alarm's event goes on to the two-signal confirmation (here it fails over)."""
    LeaseLock(
        shared_client("dynamodb", SECONDARY_REGION),
        table_name=STATE_TABLE_NAME,
        global_cluster_id=GLOBAL_CLUSTER_ID,
        clock=clock,
        lease_seconds=900,
    ).claim_automatic("auto-0", min_interval_seconds=3600)
    clock.advance(3601)
    world.put_probe(SECONDARY_REGION, [0.0, 0.0, 0.0])
    aws.answer("route53", SECONDARY_REGION, "GetHealthCheckStatus", route53_observations(FAILING, FAILING, FAILING))
    aws.fail("rds", PRIMARY_REGION, "DescribeDBClusters", HANG, HANG, HANG)
    aws.fail("autoscaling", PRIMARY_REGION, "DescribeAutoScalingGroups", HANG, HANG, HANG)
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").promotion("failover")

    result = invoke(world, aws, clock, event("failover", **AUTOMATIC), run_id="auto-1")

    assert result["status"] == "succeeded", result["message"]
    script.assert_all_used()


def test_automatic_trigger_is_only_for_failover(world, aws, clock):
    result = invoke(world, aws, clock, event("switchover", **AUTOMATIC))

    assert result["status"] == "invalid" and result["field"] == "trigger"
    assert aws.calls == []


# ----- Scheduled re-evaluation while the probe alarm stays in ALARM ----------------------------------------------

PROBE_ALARM = "dr-primary-region-down"
RECHECK = {"trigger": "automatic_recheck", "reason": "automatic: probe alarm still in ALARM (scheduled re-evaluation)"}


def _probe_alarm(state: str) -> None:
    """The probe's trigger alarm in the secondary region, set to ``state`` (PutMetricAlarm, SetAlarmState)."""
    cloudwatch = shared_client("cloudwatch", SECONDARY_REGION)
    cloudwatch.put_metric_alarm(
        AlarmName=PROBE_ALARM,
        Namespace="DR/Probe",
        MetricName="PrimaryEndpointHealthy",
        Statistic="Maximum",
        Period=60,
        EvaluationPeriods=3,
        Threshold=1,
        ComparisonOperator="LessThanThreshold",
    )
    cloudwatch.set_alarm_state(AlarmName=PROBE_ALARM, StateValue=state, StateReason="test")


def test_second_signal_a_minute_after_the_alarm_fails_over_on_the_scheduled_re_evaluation(world, aws, clock):
    """EventBridge sends "CloudWatch Alarm State Change" only when an alarm changes state (EventBridge User Guide,
    "Alarm events and EventBridge"): the alarm's one event is refused because Route53's checkers still see the
    primary (the second signal lags), the alarm stays in ALARM and sends nothing more. A minute later 3 of 3
    checkers report Failure (GetHealthCheckStatus); the scheduled re-evaluation reads the alarm (DescribeAlarms:
    StateValue ALARM) and fails over. The refusal wrote only its run record, not an automatic start, so it did not
    start the minimum interval."""
    _probe_alarm("ALARM")
    world.put_probe(SECONDARY_REGION, [0.0, 0.0, 0.0])
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").describe_cluster(PRIMARY_REGION, "available")

    first = invoke(world, aws, clock, event("failover", **AUTOMATIC), PROBE_ALARM_NAME=PROBE_ALARM)

    assert first["status"] == "refused", first["message"]
    assert aws.changing_calls() == []
    assert world.lock_item(SECONDARY_REGION) is None

    clock.sleep(60)
    world.put_probe(SECONDARY_REGION, [0.0, 0.0, 0.0])
    aws.answer("route53", SECONDARY_REGION, "GetHealthCheckStatus", route53_observations(FAILING, FAILING, FAILING))
    aws.fail("rds", PRIMARY_REGION, "DescribeDBClusters", HANG, HANG, HANG)
    aws.fail("autoscaling", PRIMARY_REGION, "DescribeAutoScalingGroups", HANG, HANG, HANG)
    script.preflight("failover").promotion("failover")

    second = invoke(world, aws, clock, event("failover", **RECHECK), run_id="run-2", PROBE_ALARM_NAME=PROBE_ALARM)

    assert second["status"] == "succeeded", second["message"]
    assert "Route53 checkers: DOWN (3/3 failing" in _confirmation(second)
    assert "FailoverGlobalCluster" in aws.operations("rds")
    script.assert_all_used()


def test_scheduled_re_evaluation_with_the_alarm_ok_changes_nothing(world, aws, clock):
    """The alarm is OK (DescribeAlarms StateValue): the once-a-minute invocation reads the alarm and nothing else,
    writes no lock and publishes no notification, even though the probe metric still shows failures."""
    _probe_alarm("OK")
    world.put_probe(SECONDARY_REGION, [0.0, 0.0, 0.0])

    result = invoke(world, aws, clock, event("failover", **RECHECK), PROBE_ALARM_NAME=PROBE_ALARM)

    assert result["status"] == "not_triggered", result["message"]
    assert f"alarm {PROBE_ALARM} is OK" in result["message"]
    assert aws.operations() == ["DescribeAlarms"]
    assert world.lock_item(SECONDARY_REGION) is None
    assert world.notifications(SECONDARY_REGION) == []


def test_scheduled_re_evaluation_during_a_live_run_is_quick_and_quiet(world, aws, clock):
    """Reserved concurrency 1 makes Lambda hold the minute's asynchronous invocation while a run is going (throttled
    asynchronous events are retried until their maximum age, Lambda Developer Guide "Asynchronous invocation");
    when one reaches the function while another run's lease is live, it reads the alarm and the lock and starts
    nothing: no lock write, no notification, only its own trace (the alarm episode's record, so that ``status``
    answers for its run id: the invocation was asynchronous, its caller never saw the result)."""
    _probe_alarm("ALARM")
    LeaseLock(
        shared_client("dynamodb", SECONDARY_REGION),
        table_name=STATE_TABLE_NAME,
        global_cluster_id=GLOBAL_CLUSTER_ID,
        clock=clock,
        lease_seconds=900,
    ).acquire(
        run_id="other",
        mode="failover",
        target_region=SECONDARY_REGION,
        reason="r",
        started_at=clock(),
        lag_seconds=None,
    )

    lock_before = world.lock_item(SECONDARY_REGION)
    result = invoke(world, aws, clock, event("failover", **RECHECK), PROBE_ALARM_NAME=PROBE_ALARM)

    assert result["status"] == "not_triggered", result["message"]
    assert "run other" in result["message"] and "started nothing" in result["message"]
    assert aws.changing_calls() == []
    assert set(aws.operations()) <= {"DescribeAlarms", "GetItem", "PutItem", "UpdateItem"}
    assert world.lock_item(SECONDARY_REGION) == lock_before
    assert world.notifications(SECONDARY_REGION) == []
    status = invoke(
        world, aws, clock, {"mode": "status", "target_region": SECONDARY_REGION, "run_id": result["run_id"]}
    )
    assert status["status"] == "not_triggered" and "run other" in status["message"], status["message"]


PRIMARY_RDS_UNREACHABLE = EndpointConnectionError(endpoint_url="https://rds.us-east-1.amazonaws.com/")


def _automatic_failover_fails_after_its_promotion(world, aws, clock) -> RdsScript:
    """Run-1: an automatic failover to us-west-2 (us-east-1's RDS and Auto Scaling unreachable) whose promotion RDS
    accepted but did not complete within PROMOTION_TIMEOUT_SECONDS=60: it fails with the promotion still
    failing-over and the traffic switch unwritten, which the lock journal marks resumable ('promote' done, no
    'switch_traffic'). Returns the RDS script, every queued response used, for the next invocation's."""
    _probe_alarm("ALARM")
    world.put_probe(SECONDARY_REGION, [0.0, 0.0, 0.0])
    aws.answer("route53", SECONDARY_REGION, "GetHealthCheckStatus", route53_observations(*[FAILING] * 8))
    unreachable = [PRIMARY_RDS_UNREACHABLE] * 3
    aws.fail("rds", PRIMARY_REGION, "DescribeDBClusters", *unreachable)
    aws.fail("autoscaling", PRIMARY_REGION, "DescribeAutoScalingGroups", *unreachable)
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").describe_global().promotion_call("failover")
    for _ in range(5 + 1):  # polls at +0 ... +60 s (deadline 60 s), then restore_capacity's read: under way
        script.describe_global(status="failing-over", promoting_to=SECONDARY_REGION)
    first = invoke(
        world, aws, clock, event("failover", **AUTOMATIC), PROBE_ALARM_NAME=PROBE_ALARM, PROMOTION_TIMEOUT_SECONDS="60"
    )
    assert first["status"] == "failed", first["message"]
    assert world.switch_item(SECONDARY_REGION) is None
    script.assert_all_used()
    return script


@pytest.mark.parametrize("gate_state", [{}, {"promoting_to": SECONDARY_REGION}], ids=["done", "failover_state_lingers"])
@pytest.mark.parametrize("trigger", [AUTOMATIC, RECHECK], ids=["alarm_event", "scheduled_re_evaluation"])
def test_an_automatic_run_that_failed_after_the_promotion_call_is_finished_within_the_minimum_interval(
    world, aws, clock, trigger, gate_state
):
    """The minimum interval between automatic runs gates new runs, not finishing one. An automatic failover whose
    promotion was accepted but did not complete by PROMOTION_TIMEOUT_SECONDS fails with the promotion running and
    the traffic switch unwritten; the lock journal marks it resumable ('promote' done, no 'switch_traffic').
    EventBridge sends "CloudWatch Alarm State Change" only when the alarm changes state (EventBridge User Guide,
    "Alarm events and EventBridge"), so the probe alarm staying in ALARM sends nothing more: the minute's
    re-evaluation (or a later alarm event) a minute after must finish it, although an automatic run started less
    than AUTOMATIC_MIN_INTERVAL_SECONDS (3600 s) ago. The old code answered not_triggered/refused for an hour."""
    script = _automatic_failover_fails_after_its_promotion(world, aws, clock)

    clock.sleep(60)  # RDS finished the promotion meanwhile; the probe alarm is still in ALARM
    world.put_probe(SECONDARY_REGION, [0.0, 0.0, 0.0])
    aws.answer("route53", SECONDARY_REGION, "GetHealthCheckStatus", route53_observations(*[FAILING] * 8))
    aws.fail("rds", PRIMARY_REGION, "DescribeDBClusters", *[PRIMARY_RDS_UNREACHABLE] * 3)
    # the gate: the promotion took effect (FailoverState towards us-west-2 may still show, failing-over), finish it
    script.describe_global(writer_region=SECONDARY_REGION, **gate_state)
    script.describe_global(writer_region=SECONDARY_REGION).describe_cluster(SECONDARY_REGION)  # preflight
    script.describe_global(writer_region=SECONDARY_REGION)  # promote: already the writer, not called
    script.describe_global(writer_region=SECONDARY_REGION)  # wait: complete

    second = invoke(
        world,
        aws,
        clock,
        event("failover", **trigger),
        run_id="run-2",
        PROBE_ALARM_NAME=PROBE_ALARM,
        PROMOTION_TIMEOUT_SECONDS="60",
    )

    assert second["status"] == "succeeded", second["message"]
    assert "resumed unfinished run run-1" in second["message"]
    script.assert_all_used()
    assert aws.operations("rds").count("FailoverGlobalCluster") == 1
    assert world.switch_item(SECONDARY_REGION)["primary_fenced"]["N"] == "1"
    # finishing is not a new automatic start: the interval still counts from run-1
    last = LeaseLock(
        shared_client("dynamodb", SECONDARY_REGION),
        table_name=STATE_TABLE_NAME,
        global_cluster_id=GLOBAL_CLUSTER_ID,
        clock=clock,
        lease_seconds=900,
    ).last_automatic_run()
    assert last is not None and last[0] == "run-1"


@pytest.mark.parametrize(
    ("promoting_to", "promotion_status"),
    [
        (PRIMARY_REGION, "pending"),
        (PRIMARY_REGION, "failing-over"),
        (PRIMARY_REGION, "cancelling"),
        (SECONDARY_REGION, "cancelling"),
    ],
    ids=["away_pending", "away_failing_over", "away_cancelling", "towards_target_cancelling"],
)
def test_an_unfinished_automatic_run_is_not_finished_while_the_writer_is_moving_away_from_its_target(
    world, aws, clock, promoting_to, promotion_status
):
    """An automatic failover to us-west-2 fails after RDS accepted its promotion (resumable: 'promote' done, no
    'switch_traffic'); then us-west-2 shows IsWriter while FailoverState ("a switchover or failover operation is
    scheduled or is in progress", Status pending | failing-over | cancelling; RDS API Reference, FailoverState and
    the botocore rds model) either points to us-east-1 (an operator's failback started from the console or CLI,
    which takes no lock) or is cancelling a promotion ("returning to their previous states"). Nothing of run-1's
    promotion is taking effect: the minute's re-evaluation within AUTOMATIC_MIN_INTERVAL_SECONDS is refused by
    the interval after reads only. (Before this, a promotion away was refused one step later, by preflight's
    no_other_promotion check, also before any write; a cancelling one towards the target was finished.)"""
    script = _automatic_failover_fails_after_its_promotion(world, aws, clock)

    clock.sleep(60)
    world.put_probe(SECONDARY_REGION, [0.0, 0.0, 0.0])
    script.describe_global(
        writer_region=SECONDARY_REGION, promoting_to=promoting_to, promotion_status=promotion_status
    )  # the gate's read
    changed_before = len(aws.changing_calls())

    second = invoke(world, aws, clock, event("failover", **RECHECK), run_id="run-2", PROBE_ALARM_NAME=PROBE_ALARM)

    assert second["status"] in ("not_triggered", "refused"), second["message"]
    assert "AUTOMATIC_MIN_INTERVAL_SECONDS" in second["message"]
    script.assert_all_used()
    assert aws.operations("rds").count("FailoverGlobalCluster") == 1
    assert world.switch_item(SECONDARY_REGION) is None
    assert [call for call in aws.changing_calls()[changed_before:] if call[0] in ("rds", "autoscaling")] == []


@pytest.mark.parametrize("trigger", [AUTOMATIC, RECHECK], ids=["alarm_event", "scheduled_re_evaluation"])
def test_an_automatic_failover_whose_promotion_rds_cancelled_is_not_repeated_within_the_minimum_interval(
    world, aws, clock, trigger
):
    """FailoverState is "empty unless a switchover or failover operation is scheduled or is in
    progress", and Status "cancelling" means the request "was cancelled and the primary ... and the selected
    secondary ... are returning to their previous states" (RDS API Reference, FailoverState): an accepted
    FailoverGlobalCluster can end with nothing promoted. A run whose promotion RDS cancelled (twice, the most one
    invocation sends) fails with 'promote' done and no 'switch_traffic', which the journal marks resumable; but
    with the old writer still writing and no promotion under way there is nothing to finish, and resuming it would
    send FailoverGlobalCluster(AllowDataLoss) again. So the minimum interval applies: the alarm's next event or the
    minute's re-evaluation within it sends no promotion (the old code sent two more every minute)."""
    _probe_alarm("ALARM")
    world.put_probe(SECONDARY_REGION, [0.0, 0.0, 0.0])
    aws.answer("route53", SECONDARY_REGION, "GetHealthCheckStatus", route53_observations(*[FAILING] * 8))
    endpoint = EndpointConnectionError(endpoint_url="https://rds.us-east-1.amazonaws.com/")
    aws.fail("rds", PRIMARY_REGION, "DescribeDBClusters", endpoint, endpoint, endpoint)
    aws.fail("autoscaling", PRIMARY_REGION, "DescribeAutoScalingGroups", endpoint, endpoint, endpoint)
    # promote: live read, call accepted; RDS cancels it (FailoverState gone, us-east-1 still the writer): re-issued,
    # accepted, cancelled again; then restore_capacity's read.
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").describe_global().promotion_call("failover")
    script.describe_global().promotion_call("failover").describe_global().describe_global()
    first = invoke(world, aws, clock, event("failover", **AUTOMATIC), PROBE_ALARM_NAME=PROBE_ALARM)
    assert first["status"] == "failed", first["message"]
    script.assert_all_used()
    assert aws.operations("rds").count("FailoverGlobalCluster") == 2

    clock.sleep(60)  # the probe alarm stays in ALARM
    world.put_probe(SECONDARY_REGION, [0.0, 0.0, 0.0])
    script.describe_global()  # the gate's read: us-east-1 writes, no FailoverState

    second = invoke(world, aws, clock, event("failover", **trigger), run_id="run-2", PROBE_ALARM_NAME=PROBE_ALARM)

    assert second["status"] in ("not_triggered", "refused"), second["message"]
    assert "AUTOMATIC_MIN_INTERVAL_SECONDS" in second["message"]
    script.assert_all_used()
    assert aws.operations("rds").count("FailoverGlobalCluster") == 2


# ----- The surviving region's signal, with the whole primary region lost ------------------------------------------
# Amazon Aurora User Guide, "Amazon CloudWatch metrics for Amazon Aurora" (cluster-level metrics): Aurora publishes
# AuroraGlobalDBReplicationLag (AWS/RDS, milliseconds, dimension DBClusterIdentifier) for a global database's
# secondary cluster, in the secondary's region. The Route53 and IAM control planes are homed in us-east-1 (AWS
# Fault Isolation Boundaries, "Global services"), so with us-east-1 the primary and lost, this read from the
# surviving region's CloudWatch is the second signal left.


def _whole_primary_region_lost(world, aws, *, lag_milliseconds: float | None) -> None:
    """us-east-1 (the primary) is gone for every service: each request to its endpoints, and to Route53's and
    IAM's control planes, times out (``SimulatedAws.lose_region``); the probe from the secondary fails."""
    assert PRIMARY_REGION == "us-east-1"
    world.put_probe(SECONDARY_REGION, [0.0, 0.0, 0.0])
    if lag_milliseconds is not None:
        world.put_lag(SECONDARY_REGION, lag_milliseconds)
    aws.lose_region(PRIMARY_REGION)


def test_every_us_east_1_endpoint_timing_out_with_the_secondarys_lag_at_its_bar_fails_over(world, aws, clock):
    """Not one call into us-east-1 answers (unlike a few faulted operations): Route53 and the primary's RDS API are
    unknown, the secondary's newest lag is 90 s, at or above 20% of the 5-minute RPO (60 s): confirmed, failed
    over with AllowDataLoss, and the calls into the lost region were made and timed out, none of them fatal."""
    _whole_primary_region_lost(world, aws, lag_milliseconds=90_000.0)
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").promotion("failover")

    result = invoke(world, aws, clock, event("failover", **AUTOMATIC), CONFIRMATION_LAG_PERCENT_OF_RPO="20")

    assert result["status"] == "succeeded", result["message"]
    confirmation = _confirmation(result)
    assert "Route53 checkers: unknown" in confirmation and "RDS: unknown" in confirmation
    assert "replication from the primary: DOWN (newest AuroraGlobalDBReplicationLag 90.0 s >= 60 s)" in confirmation
    assert ("route53", SECONDARY_REGION, "GetHealthCheckStatus") in aws.lost_calls
    assert ("rds", PRIMARY_REGION, "DescribeDBClusters") in aws.lost_calls
    script.assert_all_used()


def test_the_lag_bar_is_the_setting_share_of_the_rpo(world, aws, clock):
    """failover_confirmation_lag_percent_of_rpo = 50 (CONFIRMATION_LAG_PERCENT_OF_RPO): the bar is 150 s of the
    5-minute RPO, so the same 90 s lag is no second signal and the outage is refused, nothing changed."""
    _whole_primary_region_lost(world, aws, lag_milliseconds=90_000.0)
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover")

    result = invoke(world, aws, clock, event("failover", **AUTOMATIC), CONFIRMATION_LAG_PERCENT_OF_RPO="50")

    assert result["status"] == "refused", result["message"]
    assert "replication from the primary: up (newest AuroraGlobalDBReplicationLag 90.0 s < 150 s)" in _confirmation(
        result
    )
    assert aws.changing_calls() == []
    assert "FailoverGlobalCluster" not in aws.operations("rds")
    script.assert_all_used()


@pytest.mark.parametrize("world", [None], indirect=True)
def test_the_lag_signal_is_read_from_the_secondary_regions_own_cloudwatch(world, aws, clock):
    """The read is AWS/RDS AuroraGlobalDBReplicationLag with DBClusterIdentifier = the secondary cluster, in the
    secondary region: a lag far above the bar published in the primary region (for its own cluster) is not this
    signal, and the secondary has none: unknown, refused."""
    _whole_primary_region_lost(world, aws, lag_milliseconds=None)
    world.put_lag(PRIMARY_REGION, 900_000.0)
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover")

    result = invoke(world, aws, clock, event("failover", **AUTOMATIC))

    assert result["status"] == "refused", result["message"]
    assert "replication from the primary: unknown (no AuroraGlobalDBReplicationLag datapoint of app-secondary" in (
        _confirmation(result)
    )
    script.assert_all_used()
