"""Run records and leases under redelivery, refusal, crashes and long waits.

Lambda's asynchronous invocation delivers an event at least once ("even if your function doesn't return an error,
it's possible for the function to receive the same event multiple times"), and keeps an event queued and retried
up to MaximumEventAgeInSeconds (60 s to 6 h) with MaximumRetryAttempts (0-2) retries (Lambda Developer Guide,
"Asynchronous invocation", "Configuring error handling for asynchronous invocation"). A DynamoDB PutItem with
``attribute_not_exists(pk)`` is atomic in one replica and, with ReturnValuesOnConditionCheckFailure=ALL_OLD, returns
the item that was there (DynamoDB API Reference, PutItem); TTL deletes an expired item typically within a few days
(DynamoDB Developer Guide, "Time to Live"), so a retention is a lower bound. The lock is one item of a global table
(MREC: last writer wins across replicas, conditions atomic within a replica; see ``dr_failover.records.lock``).
"""

from __future__ import annotations

import time

import dr_contract as contract
import pytest
from dr_failover.records.lock import LOCK_SETTLE_SECONDS, LeaseLock
from support.drill import (
    FULL_CAPACITY,
    GLOBAL_CLUSTER_ID,
    PRIMARY_REGION,
    SECONDARY_REGION,
    STATE_TABLE_NAME,
    WARM_CAPACITY,
    RdsScript,
    route53_observations,
    shared_client,
)
from support.harness import event, invoke, step, subjects
from test_automatic_lambda import (
    AUTOMATIC,
    FAILING,
    PRIMARY_RDS_UNREACHABLE,
    PROBE_ALARM,
    RECHECK,
    _probe_alarm,
)
from test_failover_faults import _asg_with_pending_instances


class SimulatedCrash(BaseException):
    """Stands for the Lambda being killed: not an Exception, so the orchestrator cannot catch it."""


def _lock(region: str, clock) -> LeaseLock:
    return LeaseLock(
        shared_client("dynamodb", region),
        table_name=STATE_TABLE_NAME,
        global_cluster_id=GLOBAL_CLUSTER_ID,
        clock=clock,
        lease_seconds=900,
    )


def _run_item(run_id: str) -> dict | None:
    """The run record of ``run_id`` in the secondary region's replica."""
    return (
        shared_client("dynamodb", SECONDARY_REGION)
        .get_item(TableName=STATE_TABLE_NAME, Key={"pk": {"S": f"run#{GLOBAL_CLUSTER_ID}#{run_id}"}})
        .get("Item")
    )


def _status(world, aws, clock, run_id: str) -> dict:
    return invoke(world, aws, clock, {"mode": "status", "target_region": SECONDARY_REGION, "run_id": run_id})


def test_an_old_failovers_event_delivered_after_a_later_failback_starts_nothing(world, aws, clock):
    """Lambda may deliver the failover's asynchronous event again, up to its maximum event age (the stack sets
    ASYNC_MAXIMUM_EVENT_AGE_SECONDS). Meanwhile a failback ran: its lock item (written by the primary's function and
    replicated into this replica, last writer wins) replaced the failover's. The redelivered event finds its run
    record and answers the recorded outcome; no RDS call is queued, so any promotion would fail the Stubber. The run
    record's TTL lies beyond the whole redelivery window (TTL only deletes after it: a lower bound)."""
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").promotion("failover")
    request = event("failover", run_id="fo-1")
    first = invoke(world, aws, clock, request)
    assert first["status"] == "succeeded", first["message"]
    script.assert_all_used()

    clock.advance(1800)
    failback = _lock(SECONDARY_REGION, clock)  # the failback's lock item as replication brings it here
    failback.acquire(
        run_id="fb-1",
        mode="switchover",
        target_region=PRIMARY_REGION,
        reason="failback",
        started_at=clock(),
        lag_seconds=0.0,
    )
    failback.release("fb-1", "succeeded")
    clock.advance(600)
    calls_before = len(aws.calls)

    again = invoke(world, aws, clock, request, run_id="lambda-request-again")

    assert again["status"] == "succeeded" and "started nothing" in again["message"], again["message"]
    assert {operation for _service, _region, operation in aws.calls[calls_before:]} == {"GetItem"}  # reads only
    assert world.lock_item(SECONDARY_REGION)["run_id"]["S"] == "fb-1"
    record = _run_item("fo-1")
    assert record["state"]["S"] == "succeeded"
    assert int(record["expires_at"]["N"]) >= float(record["started_at"]["N"]) + contract.REDELIVERY_WINDOW_SECONDS
    assert (
        contract.REDELIVERY_WINDOW_SECONDS
        >= contract.ASYNC_MAXIMUM_EVENT_AGE_SECONDS
        + (contract.ASYNC_MAXIMUM_RETRY_ATTEMPTS + 1) * contract.LAMBDA_MAXIMUM_TIMEOUT_SECONDS
    )


@pytest.mark.parametrize("world", [400_000.0], indirect=True)  # lag 400 s, above the RPO of 300 s
def test_a_switchover_refused_by_preflight_is_recorded_notified_and_answered_by_status(world, aws, clock):
    """An operator invokes asynchronously (InvocationType Event: Lambda answers 202 at once, the caller never sees the
    function's result). A switchover refused by preflight (lag above the RPO) writes its run record (refused) and
    notifies the topic; ``status`` for its run id answers refused with the reason; a redelivery changes nothing."""
    RdsScript(aws, SECONDARY_REGION).preflight("switchover")
    refused = invoke(world, aws, clock, event("switchover", run_id="sw-1"))
    assert refused["status"] == "refused", refused["message"]

    status = _status(world, aws, clock, "sw-1")
    again = invoke(world, aws, clock, event("switchover", run_id="sw-1"), run_id="lambda-request-again")

    assert status["status"] == "refused" and "replication_lag" in status["message"], status["message"]
    assert again["status"] == "refused" and "started nothing" in again["message"]
    assert [n["body"]["status"] for n in world.notifications(SECONDARY_REGION)] == ["refused"]
    assert world.lock_item(SECONDARY_REGION) is None
    assert aws.changing_calls() == []  # beyond the run record and the refusal notice


def test_a_run_that_crashed_after_the_traffic_switch_is_finished_recorded_and_released(world, aws, clock):
    """A killed Lambda runs no code (Lambda Developer Guide, "Lambda execution environment"): the run that wrote the
    traffic switch and was killed in publish_metrics leaves its lease ``running``. Live state is already the end
    state; the next run (after the lease expired) still takes the lock, records the end, notifies and releases,
    and ``status`` of the crashed run id answers succeeded, not crashed."""
    aws.fail("cloudwatch", SECONDARY_REGION, "PutMetricData", None, SimulatedCrash())
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").promotion("failover")
    with pytest.raises(SimulatedCrash):
        invoke(world, aws, clock, event("failover", run_id="run-A"))
    script.assert_all_used()
    crashed = world.lock_item(SECONDARY_REGION)
    assert crashed["state"]["S"] == "running"
    assert "switch_traffic" in [s["M"]["name"]["S"] for s in crashed["steps"]["L"]]

    clock.advance(901)
    script.describe_global(writer_region=SECONDARY_REGION).describe_cluster(SECONDARY_REGION)  # preflight
    script.describe_global(writer_region=SECONDARY_REGION)  # promote: already the writer
    script.wait(0)
    result = invoke(world, aws, clock, event("failover", run_id="run-B"))

    assert result["status"] == "succeeded", result["message"]
    script.assert_all_used()
    assert aws.operations("rds").count("FailoverGlobalCluster") == 1
    lock = world.lock_item(SECONDARY_REGION)
    assert (lock["run_id"]["S"], lock["state"]["S"], lock["resumed_from"]["S"]) == ("run-B", "succeeded", "run-A")
    assert [s.split(": ")[0] for s in subjects(world)][-1] == "DR failover to us-west-2 succeeded"
    assert _status(world, aws, clock, "run-A")["status"] == "succeeded"
    assert _status(world, aws, clock, "run-B")["status"] == "succeeded"


def test_a_second_invocation_during_a_long_capacity_wait_is_refused_by_the_renewed_lease(world, aws, clock):
    """UpdateAutoScalingGroup returns before instances launch (Auto Scaling User Guide); the switchover waits up to
    TARGET_CAPACITY_WAIT_SECONDS (300 s), longer than LOCK_LEASE_SECONDS=120 here. The run renews its lease on every
    poll (UpdateItem conditional on its run_id and attempt), so a second invocation 200 s into the wait finds a live
    lease and is refused; before, the lease ran out and the second run took the lock and resumed the live run."""
    script = RdsScript(aws, SECONDARY_REGION).preflight("switchover")
    script.preflight("failover")  # the second invocation's preflight, during the wait
    script.describe_global()  # restore_capacity's read: nothing in progress
    pending = _asg_with_pending_instances(FULL_CAPACITY.desired, 1)
    aws.answer("autoscaling", SECONDARY_REGION, "DescribeAutoScalingGroups", None, None, None, *[pending] * 60)
    env = {"LOCK_LEASE_SECONDS": "120", "PROMOTION_TIMEOUT_SECONDS": "100"}
    start = clock()
    second: list[dict] = []

    def second_invocation(_seconds):
        if not second and clock() - start > 200:
            clock.on_sleep = None
            second.append(invoke(world, aws, clock, event("failover", run_id="run-2"), **env))

    clock.on_sleep = second_invocation
    first = invoke(world, aws, clock, event("switchover", run_id="run-1"), **env)

    assert second and second[0]["status"] == "refused", second
    assert "run-1" in second[0]["message"]
    assert first["status"] == "failed" and step(first, "wait_for_target_capacity")["status"] == "failed"
    script.assert_all_used()
    assert world.lock_item(SECONDARY_REGION)["run_id"]["S"] == "run-1"


def test_a_run_whose_lease_was_taken_stops_without_restoring_or_releasing(world, aws, clock):
    """When the lease is no longer this invocation's (another invocation holds it: the renewal's condition on run_id
    and attempt fails, ConditionalCheckFailedException), the run stops at its next poll: it neither restores the
    capacity the other run may now rely on nor releases the other run's lock."""
    script = RdsScript(aws, SECONDARY_REGION).preflight("switchover")
    pending = _asg_with_pending_instances(FULL_CAPACITY.desired, 1)
    aws.answer("autoscaling", SECONDARY_REGION, "DescribeAutoScalingGroups", None, None, None, *[pending] * 60)
    start = clock()

    def take_the_lease(_seconds):
        if clock() - start > 60:
            clock.on_sleep = None
            shared_client("dynamodb", SECONDARY_REGION).update_item(
                TableName=STATE_TABLE_NAME,
                Key={"pk": {"S": f"lock#{GLOBAL_CLUSTER_ID}"}},
                UpdateExpression="SET run_id = :other, attempt = :other",
                ExpressionAttributeValues={":other": {"S": "other"}},
            )

    clock.on_sleep = take_the_lease
    result = invoke(world, aws, clock, event("switchover", run_id="run-1"))

    assert result["status"] == "failed", result["message"]
    assert "lease" in step(result, "wait_for_target_capacity")["detail"]
    assert "restore_capacity" not in [s["name"] for s in result["steps"]]
    script.assert_all_used()
    lock = world.lock_item(SECONDARY_REGION)
    assert (lock["run_id"]["S"], lock["state"]["S"]) == ("other", "running")
    aws.close()
    assert world.capacity(SECONDARY_REGION) == FULL_CAPACITY  # scaled up by run-1, left for the lease holder


def test_an_automatic_run_that_crashed_before_its_promotion_is_finished_within_the_minimum_interval(world, aws, clock):
    """An automatic failover accepted (two signals confirmed, the interval claimed) and killed before its promotion
    call leaves a crashed lease. EventBridge sends an alarm event only on a state change (EventBridge User Guide,
    "Alarm events and EventBridge"), so the minute's re-evaluation is the only thing left: once the lease expired it
    finishes the run (confirming the outage again), although an automatic run started less than
    AUTOMATIC_MIN_INTERVAL_SECONDS (3600 s) ago. Before, it answered not_triggered for the rest of the hour."""
    _probe_alarm("ALARM")
    world.put_probe(SECONDARY_REGION, [0.0, 0.0, 0.0])
    aws.answer("route53", SECONDARY_REGION, "GetHealthCheckStatus", route53_observations(*[FAILING] * 8))
    aws.fail("rds", PRIMARY_REGION, "DescribeDBClusters", *[PRIMARY_RDS_UNREACHABLE] * 3)
    aws.fail("autoscaling", PRIMARY_REGION, "DescribeAutoScalingGroups", *[PRIMARY_RDS_UNREACHABLE] * 3)
    aws.fail("rds", SECONDARY_REGION, "DescribeGlobalClusters", None, SimulatedCrash())  # killed in promote
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover")
    with pytest.raises(SimulatedCrash):
        invoke(world, aws, clock, event("failover", **AUTOMATIC), run_id="run-1", PROBE_ALARM_NAME=PROBE_ALARM)
    script.assert_all_used()
    assert world.lock_item(SECONDARY_REGION)["state"]["S"] == "running"

    clock.advance(901)  # the lease expired; 901 s < AUTOMATIC_MIN_INTERVAL_SECONDS
    world.put_probe(SECONDARY_REGION, [0.0, 0.0, 0.0])
    aws.answer("route53", SECONDARY_REGION, "GetHealthCheckStatus", route53_observations(*[FAILING] * 8))
    aws.fail("rds", PRIMARY_REGION, "DescribeDBClusters", *[PRIMARY_RDS_UNREACHABLE] * 3)
    aws.fail("autoscaling", PRIMARY_REGION, "DescribeAutoScalingGroups", *[PRIMARY_RDS_UNREACHABLE] * 3)
    script.preflight("failover").promotion("failover")

    second = invoke(world, aws, clock, event("failover", **RECHECK), run_id="run-2", PROBE_ALARM_NAME=PROBE_ALARM)

    assert second["status"] == "succeeded", second["message"]
    assert "resumed unfinished run run-1" in second["message"]
    script.assert_all_used()
    assert aws.operations("rds").count("FailoverGlobalCluster") == 1
    assert world.switch_item(SECONDARY_REGION)["primary_fenced"]["N"] == "1"


def test_a_reprotect_run_is_recorded_and_its_run_id_stays_spent(world, aws, clock):
    """Re-protect goes through the same entry point as every changing mode, so its run id gets a run record too: a
    redelivered event (Lambda's at-least-once asynchronous queue) answers the recorded outcome without running the
    re-protect again, and ``status`` with its run id answers it. A re-protect refused for its configuration is
    recorded as refused: it changed nothing."""
    first = invoke(world, aws, clock, event("reprotect", run_id="rp-1"))
    calls_before = len(aws.calls)

    again = invoke(world, aws, clock, event("reprotect", run_id="rp-1"), run_id="lambda-request-again")
    status = _status(world, aws, clock, "rp-1")

    assert first["status"] == "invalid", first["message"]  # the drill's function has no REPROTECT_CLUSTER_SPEC
    recorded = "refused"  # nothing was changed
    assert again["status"] == recorded and "started nothing" in again["message"], again["message"]
    assert first["message"] in again["message"]
    assert status["status"] == recorded and first["message"] in status["message"]
    assert {operation for _service, _region, operation in aws.calls[calls_before:]} == {"GetItem"}  # reads only


def test_the_promotion_wait_renews_the_lease_on_every_poll(world, aws, clock):
    """RDS reports a promotion in progress through FailoverState until it completes (RDS API Reference,
    FailoverState); the run polls it. Each poll renews the lease to LOCK_LEASE_SECONDS from now (an UpdateItem
    conditional on the run id and attempt), so the lease always outlives the wait however long RDS takes."""
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").describe_global().promotion_call("failover")
    script.wait(6)
    leases: list[tuple[float, float]] = []

    def note_the_lease(_seconds):
        item = world.lock_item(SECONDARY_REGION)
        if item is not None and item["state"]["S"] == "running":
            leases.append((clock(), float(item["lease_expires_at"]["N"])))

    clock.on_sleep = note_the_lease
    result = invoke(world, aws, clock, event("failover", run_id="run-1"))
    clock.on_sleep = None

    assert result["status"] == "succeeded", result["message"]
    script.assert_all_used()
    assert len(leases) >= 6
    lease = int(world.env(SECONDARY_REGION)["LOCK_LEASE_SECONDS"])
    assert all(expires == pytest.approx(now + lease, abs=0.01) for now, expires in leases[-6:])  # renewed at each poll


def _run_items() -> list[dict]:
    """Every run record of the global cluster in the secondary region's replica."""
    items = shared_client("dynamodb", SECONDARY_REGION).scan(TableName=STATE_TABLE_NAME)["Items"]
    return [item for item in items if item["pk"]["S"].startswith(f"run#{GLOBAL_CLUSTER_ID}#")]


def _new_alarm_episode() -> None:
    """The probe alarm returns to OK and changes to ALARM again: a new episode (a new StateValue change)."""
    time.sleep(0.01)  # moto stamps StateUpdatedTimestamp with the wall clock, to the millisecond
    _probe_alarm("OK")
    time.sleep(0.01)
    shared_client("cloudwatch", SECONDARY_REGION).set_alarm_state(
        AlarmName=PROBE_ALARM, StateValue="ALARM", StateReason="test"
    )


def _one_signal_only(aws, script: RdsScript) -> None:
    """The next automatic evaluation finds the probe failing but the primary cluster available and Route53's checkers
    (moto: one Success observation) seeing it healthy: one signal, the confirmation is not met."""
    script.preflight("failover").describe_cluster(PRIMARY_REGION, "available")


def test_a_manual_switchover_refused_at_the_lock_by_another_regions_run_is_notified(world, aws, clock):
    """The lock is an item of a global table: a conditional write is atomic in one replica only, and replication
    makes the last writer win (DynamoDB Developer Guide, "Global tables: how it works"). The primary's function
    writes its own lock item while this run waits LOCK_SETTLE_SECONDS, so this run, accepted and recorded, backs off:
    refused. Invoked asynchronously the operator sees no result, so the refusal is notified once and ``status``
    answers refused with the reason."""
    RdsScript(aws, SECONDARY_REGION).preflight("switchover")

    def other_region_wins(seconds):
        if seconds == LOCK_SETTLE_SECONDS:
            clock.on_sleep = None
            shared_client("dynamodb", SECONDARY_REGION).update_item(
                TableName=STATE_TABLE_NAME,
                Key={"pk": {"S": f"lock#{GLOBAL_CLUSTER_ID}"}},
                UpdateExpression="SET run_id = :other, attempt = :other, target_region = :primary",
                ExpressionAttributeValues={":other": {"S": "fb-east"}, ":primary": {"S": PRIMARY_REGION}},
            )

    clock.on_sleep = other_region_wins
    refused = invoke(world, aws, clock, event("switchover", run_id="sw-race"))

    assert refused["status"] == "refused", refused["message"]
    status = _status(world, aws, clock, "sw-race")
    assert status["status"] == "refused" and "fb-east" in status["message"], status["message"]
    notified = world.notifications(SECONDARY_REGION)
    assert [n["body"]["status"] for n in notified] == ["refused"], notified
    assert "fb-east" in notified[0]["body"]["message"]


def test_automatic_refusals_of_one_alarm_episode_are_one_run_record_and_one_notification(world, aws, clock):
    """Lambda invokes the function asynchronously for the alarm's EventBridge event and for the schedule (Lambda
    Developer Guide, "Asynchronous invocation": the caller does not wait for the function's response), so a refusal
    must be recorded to be seen. While the probe alarm stays in ALARM the schedule re-evaluates every minute
    (EventBridge sends an alarm event only on a state change; the alarm's StateTransitionedTimestamp /
    StateUpdatedTimestamp, CloudWatch API Reference MetricAlarm, stays that of its change to ALARM). Every refusal of
    one episode is one run record, updated (a conditional UpdateItem, DynamoDB API Reference), and one notification;
    ``status`` answers refused, with the reason, for each of its run ids. A new episode (the alarm goes OK, then
    ALARM again) gets its own record and notification; an id never invoked is still unknown."""
    _probe_alarm("ALARM")
    script = RdsScript(aws, SECONDARY_REGION)
    run_ids = ["auto-1", "re-1", "re-2", "re-3"]
    for index, run_id in enumerate(run_ids):
        world.put_probe(SECONDARY_REGION, [0.0, 0.0, 0.0])
        _one_signal_only(aws, script)
        trigger = AUTOMATIC if index == 0 else RECHECK
        result = invoke(world, aws, clock, event("failover", **trigger), run_id=run_id, PROBE_ALARM_NAME=PROBE_ALARM)
        assert result["status"] == "refused", result["message"]
        clock.sleep(60)
    script.assert_all_used()

    assert len(_run_items()) == 1, [item["pk"]["S"] for item in _run_items()]
    record = _run_items()[0]
    assert int(record["evaluations"]["N"]) == 4
    notified = world.notifications(SECONDARY_REGION)
    assert [n["body"]["status"] for n in notified] == ["refused"], notified
    assert notified[0]["body"]["run_id"] == "auto-1"
    for run_id in run_ids:
        status = _status(world, aws, clock, run_id)
        assert status["status"] == "refused", (run_id, status["message"])
        assert "automatic_confirmation: FAIL" in status["message"], status["message"]
    # the run trace only (beside the test's own probe datapoints and scans): no lock, no scaling, no promotion
    assert {operation for _service, _region, operation in aws.changing_calls()} <= {"PutMetricData", "Scan"}
    assert world.lock_item(SECONDARY_REGION) is None
    assert world.capacity(SECONDARY_REGION) == WARM_CAPACITY

    _new_alarm_episode()
    world.put_probe(SECONDARY_REGION, [0.0, 0.0, 0.0])
    _one_signal_only(aws, script)
    result = invoke(world, aws, clock, event("failover", **RECHECK), run_id="re-4", PROBE_ALARM_NAME=PROBE_ALARM)

    assert result["status"] == "refused", result["message"]
    assert len(_run_items()) == 2
    assert [n["body"]["run_id"] for n in world.notifications(SECONDARY_REGION)] == ["re-4"]
    assert _status(world, aws, clock, "re-4")["status"] == "refused"
    assert _status(world, aws, clock, "re-2")["status"] == "refused"  # the earlier episode still answers
    assert _status(world, aws, clock, "never-invoked")["status"] in ("no_run", "unknown_run")


def test_an_alarm_event_refused_by_the_minimum_interval_is_recorded_and_notified(world, aws, clock):
    """A flapping alarm sends a new event on each change to ALARM (EventBridge User Guide, "Alarm events and
    EventBridge"); one within AUTOMATIC_MIN_INTERVAL_SECONDS of the last automatic run is refused, changing nothing,
    but an asynchronous caller sees no result: its refusal is recorded (``status`` answers refused with the interval)
    and notified once."""
    LeaseLock(
        shared_client("dynamodb", SECONDARY_REGION),
        table_name=STATE_TABLE_NAME,
        global_cluster_id=GLOBAL_CLUSTER_ID,
        clock=clock,
        lease_seconds=900,
    ).claim_automatic("auto-0", min_interval_seconds=3600)
    clock.advance(600)
    _probe_alarm("ALARM")

    refused = invoke(world, aws, clock, event("failover", **AUTOMATIC), run_id="auto-1", PROBE_ALARM_NAME=PROBE_ALARM)

    assert refused["status"] == "refused" and "AUTOMATIC_MIN_INTERVAL_SECONDS" in refused["message"]
    status = _status(world, aws, clock, "auto-1")
    assert status["status"] == "refused" and "AUTOMATIC_MIN_INTERVAL_SECONDS" in status["message"], status
    assert [n["body"]["run_id"] for n in world.notifications(SECONDARY_REGION)] == ["auto-1"]
    assert aws.changing_calls() == []
    assert world.lock_item(SECONDARY_REGION) is None


def _items_of_table() -> list[dict]:
    return shared_client("dynamodb", SECONDARY_REGION).scan(TableName=STATE_TABLE_NAME)["Items"]


def test_a_re_evaluation_refused_by_the_minimum_interval_is_answered_by_status(world, aws, clock):
    """The schedule invokes the orchestrator asynchronously every minute while the probe alarm stays in ALARM (Lambda
    Developer Guide, "Asynchronous invocation": the caller gets no result), so an evaluation the minimum interval
    stopped is known only from its record. ``status`` for its run id answers ``not_triggered`` with the interval
    (not "no such run"); nothing is notified (the accepted run that set the interval notified), the lock is not
    written, and a second such re-evaluation of the episode updates the same record."""
    _lock(SECONDARY_REGION, clock).claim_automatic("auto-0", min_interval_seconds=3600)
    clock.advance(600)
    _probe_alarm("ALARM")

    first = invoke(world, aws, clock, event("failover", **RECHECK), run_id="re-1", PROBE_ALARM_NAME=PROBE_ALARM)
    clock.sleep(60)
    second = invoke(world, aws, clock, event("failover", **RECHECK), run_id="re-2", PROBE_ALARM_NAME=PROBE_ALARM)

    for result in (first, second):
        assert result["status"] == "not_triggered", result["message"]
        assert "AUTOMATIC_MIN_INTERVAL_SECONDS" in result["message"]
    for run_id in ("re-1", "re-2"):
        status = _status(world, aws, clock, run_id)
        assert status["status"] == "not_triggered", (run_id, status["message"])
        assert "AUTOMATIC_MIN_INTERVAL_SECONDS" in status["message"] and "no change made" in status["message"]
    assert len(_run_items()) == 1 and int(_run_items()[0]["evaluations"]["N"]) == 2
    assert world.notifications(SECONDARY_REGION) == []
    assert {operation for _service, _region, operation in aws.changing_calls()} <= {"Scan"}  # the test's own reads
    assert world.lock_item(SECONDARY_REGION) is None


def test_an_automatic_evaluation_that_finds_nothing_to_do_is_answered_succeeded(world, aws, clock):
    """After a finished failover the probe alarm stays in ALARM while the old primary is down (its endpoint is what
    the probe requests), so past the minimum interval the minute's re-evaluation proceeds and finds live state
    already the end state: the target is writer (DescribeGlobalClusters IsWriter, RDS API Reference), scaled and
    switched. It changes nothing; ``status`` for its run id answers ``succeeded`` with "nothing to do", and no
    notification is sent for it."""
    from test_failover_lambda import finished_world

    finished_world(world)
    _probe_alarm("ALARM")
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover", writer_region=SECONDARY_REGION)

    result = invoke(world, aws, clock, event("failover", **RECHECK), run_id="re-done", PROBE_ALARM_NAME=PROBE_ALARM)

    assert result["status"] == "succeeded" and "nothing to do" in result["message"], result["message"]
    script.assert_all_used()
    status = _status(world, aws, clock, "re-done")
    assert status["status"] == "succeeded" and "nothing to do" in status["message"], status["message"]
    assert aws.changing_calls() == []
    assert world.notifications(SECONDARY_REGION) == []


def test_outcomes_of_one_alarm_episode_keep_their_own_records(world, aws, clock):
    """One alarm episode (one StateTransitionedTimestamp, CloudWatch API Reference MetricAlarm) can hold evaluations
    of different outcomes: refused by preflight, then stopped by the interval after a run elsewhere claimed it. Each
    outcome has its own record, chained: ``status`` answers each run id with its own outcome, never another's, and
    only the refusal was notified."""
    _probe_alarm("ALARM")
    script = RdsScript(aws, SECONDARY_REGION)
    world.put_probe(SECONDARY_REGION, [0.0, 0.0, 0.0])
    _one_signal_only(aws, script)
    refused = invoke(world, aws, clock, event("failover", **AUTOMATIC), run_id="auto-1", PROBE_ALARM_NAME=PROBE_ALARM)
    assert refused["status"] == "refused", refused["message"]
    script.assert_all_used()

    clock.sleep(60)
    _lock(SECONDARY_REGION, clock).claim_automatic("auto-elsewhere", min_interval_seconds=3600)
    quiet = invoke(world, aws, clock, event("failover", **RECHECK), run_id="re-1", PROBE_ALARM_NAME=PROBE_ALARM)
    assert quiet["status"] == "not_triggered", quiet["message"]

    assert _status(world, aws, clock, "auto-1")["status"] == "refused"
    assert _status(world, aws, clock, "re-1")["status"] == "not_triggered"
    assert len(_run_items()) == 2
    assert [n["body"]["run_id"] for n in world.notifications(SECONDARY_REGION)] == ["auto-1"]


def test_a_re_evaluation_with_the_alarm_not_in_alarm_only_reads_and_status_says_so(world, aws, clock):
    """On a quiet day the schedule still invokes the orchestrator every minute (EventBridge schedule, rate(1 minute));
    with the probe alarm OK it reads the alarm (DescribeAlarms) and nothing else: no table item is written (a write
    to a global table every minute would be billed in both regions for nothing). ``status`` for that run id cannot
    find it and says exactly what that means: it changed nothing, and which invocations leave no record."""
    _probe_alarm("OK")
    before = _items_of_table()

    result = invoke(world, aws, clock, event("failover", **RECHECK), run_id="re-quiet", PROBE_ALARM_NAME=PROBE_ALARM)

    assert result["status"] == "not_triggered", result["message"]
    assert aws.operations() == ["DescribeAlarms"]
    assert _items_of_table() == before
    status = _status(world, aws, clock, "re-quiet")
    assert status["status"] in ("no_run", "unknown_run"), status
    assert "no record lists run re-quiet" in status["message"]
    assert "changed nothing" in status["message"] and "not in ALARM" in status["message"]


def _record(lock: LeaseLock, run_id: str, state: str, episode: str = "E1") -> bool:
    return lock.record_automatic_evaluation(
        run_id,
        state=state,
        episode=episode,
        mode="failover",
        target_region=SECONDARY_REGION,
        reason="automatic",
        message=f"{state}: {run_id}",
    )


def test_the_first_refusal_of_an_alarm_episode_is_notified_once_whatever_comes_between(world, aws, clock):
    """One alarm episode (one StateTransitionedTimestamp, CloudWatch API Reference MetricAlarm) is one notification
    of refusal, whatever other outcomes interleave (refused while the confirmation is unmet, not_triggered in the
    minimum interval after a failed run, refused again) and however often Lambda redelivers an event (asynchronous
    invocation delivers at least once, Lambda Developer Guide). The claim is one conditional UpdateItem (DynamoDB
    API Reference, UpdateItem ConditionExpression); a new episode is notified again."""
    lock = _lock(SECONDARY_REGION, clock)
    claims = []
    for run_id, state in [("a", "refused"), ("b", "not_triggered"), ("c", "refused"), ("d", "not_triggered")]:
        _record(lock, run_id, state)
        if state == "refused":
            claims.append(lock.claim_refusal_notice("E1"))
    _record(lock, "a", "refused")  # the first event, delivered again
    claims.append(lock.claim_refusal_notice("E1"))
    assert claims == [True, False, False]
    _record(lock, "e", "refused", episode="E2")
    assert lock.claim_refusal_notice("E2") is True
    for run_id, state in [("a", "refused"), ("b", "not_triggered"), ("c", "refused"), ("e", "refused")]:
        assert lock.find_automatic_evaluation(run_id).state == state, run_id


def test_a_refusal_that_loses_the_episode_item_to_another_outcome_is_still_notified(world, aws, clock, monkeypatch):
    """The alarm's own event X (refused by the minimum interval) and the minute's re-evaluation Y (not_triggered)
    of the same new episode both read the episode item; Y moves it first, so X's conditional write of it fails
    (optimistic locking, DynamoDB API Reference, ConditionExpression). X keeps its own record, and its refusal, the
    episode's first, is still the one notified: the notice does not depend on who won the episode item."""
    lock = _lock(SECONDARY_REGION, clock)
    _record(lock, "old", "refused", episode="E0")
    dynamodb = shared_client("dynamodb", SECONDARY_REGION)
    real_get = dynamodb.get_item
    raced = []

    def racing_get(**kwargs):
        answer = real_get(**kwargs)
        if kwargs["Key"]["pk"]["S"].startswith(contract.REFUSAL_EPISODE_ITEM_PREFIX) and not raced:
            raced.append(True)
            _record(_lock(SECONDARY_REGION, clock), "Y", "not_triggered")
        return answer

    monkeypatch.setattr(dynamodb, "get_item", racing_get)
    assert _record(lock, "X", "refused") is False  # lost the episode item
    monkeypatch.setattr(dynamodb, "get_item", real_get)
    assert raced and lock.read_run("X").state == "refused"
    assert lock.claim_refusal_notice("E1") is True


def test_status_reaches_a_refusal_behind_many_alarm_flaps_and_says_when_it_stops(world, aws, clock, monkeypatch):
    """After a finished failover the probe alarm can flap for hours (each change to ALARM a new episode, EventBridge
    User Guide, "Alarm events and EventBridge"); each leaves a record per outcome within the run records' retention.
    A refusal listed in an old record is still found behind 150 of them; where the search does stop, ``status``
    says it could not search further, never that no record lists the id."""
    import dr_failover.records.lock as lock_module

    lock = _lock(SECONDARY_REGION, clock)
    _record(lock, "opened", "refused", episode="E")
    _record(lock, "listed", "refused", episode="E")  # listed in the record of "opened", no record of its own
    for index in range(150):
        clock.advance(60)
        _record(lock, f"s{index}", "succeeded" if index % 2 else "not_triggered", episode=f"E{index // 2}")
    assert lock.read_run("listed") is None
    assert lock.find_automatic_evaluation("listed").state == "refused"

    monkeypatch.setattr(lock_module, "REFUSAL_RECORDS_SEARCHED", 20)
    status = _status(world, aws, clock, "listed")
    assert status["status"] == "status_unknown", status
    assert "newest 20" in status["message"] and "not searched" in status["message"]
