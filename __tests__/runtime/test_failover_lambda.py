"""Failover orchestrator Lambda (lambda_src/dr_failover) against moto and a Stubber-wrapped RDS client.

moto serves DynamoDB, Auto Scaling, CloudWatch, SNS (+ an SQS tap), KMS and Route53; RDS goes through
botocore's Stubber, which checks each request against the real service model and raises on any call
that was not queued, so "not called" is enforced, not just asserted. Time is simulated: nothing sleeps.
"""

from __future__ import annotations

import dataclasses
import io
import re

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from botocore.stub import Stubber
from dr_failover import handler as handler_module
from dr_failover.aws.calls import GuardedClient, ReadOnlyViolation, RetryPolicy
from dr_failover.config import ConfigError, load_config
from dr_failover.handler import handle_event
from dr_failover.records.lock import LeaseLock
from dr_failover.records.switch import write_switch
from dr_failover.run.plan import step_names
from support.drill import (
    ASG_NAMES,
    CLUSTER_IDS,
    FULL_CAPACITY,
    GLOBAL_CLUSTER_ID,
    HANG,
    PRIMARY_REGION,
    SECONDARY_REGION,
    STATE_TABLE_NAME,
    SWITCH_METRIC,
    WARM_CAPACITY,
    RdsScript,
    SimulatedAws,
    cluster_arn,
    main,
    shared_client,
)

SWITCHOVER_STEPS = list(step_names("switchover"))
FAILOVER_STEPS = list(step_names("failover"))


from support.harness import (  # noqa: E402
    REASON,
    TOP_OF_RANGE,
    event,
    invoke,
    static_env,
    step,
    subjects,
    throttling,
)


class SimulatedCrash(BaseException):
    """Stands for the Lambda being killed: not an Exception, so the orchestrator cannot catch it."""


def assert_nothing_changed(world, aws):
    """No changing call was made beyond the run's own trace (run record, refusal notice) and moto's state is as
    built."""
    assert aws.changing_calls() == []
    assert world.capacity(SECONDARY_REGION) == WARM_CAPACITY
    assert world.capacity(PRIMARY_REGION) == FULL_CAPACITY
    # At most the refusal notice of an operator's run (an asynchronous caller sees no result otherwise).
    assert [n["body"]["status"] for n in world.notifications(SECONDARY_REGION)] in ([], ["refused"])
    assert world.lock_item(SECONDARY_REGION) is None
    assert world.metric_values(SECONDARY_REGION, SWITCH_METRIC, {"GlobalCluster": GLOBAL_CLUSTER_ID}) == []


# ----- successful runs ----------------------------------------------------------------------------------


def test_switchover_succeeds_scales_switches_traffic_then_sets_old_primary_to_standby(world, aws, clock):
    script = RdsScript(aws, SECONDARY_REGION).preflight("switchover").promotion("switchover", polls_before_writer=2)

    result = invoke(world, aws, clock, event("switchover"))

    assert result["status"] == "succeeded", result["message"]
    script.assert_all_used()
    assert [s["name"] for s in result["steps"]] == SWITCHOVER_STEPS
    assert all(s["status"] == "ok" for s in result["steps"]), result["steps"]
    assert aws.operations("rds").count("SwitchoverGlobalCluster") == 1
    assert "FailoverGlobalCluster" not in aws.operations("rds")
    # target scaled to failover capacity; the old primary keeps warm-standby capacity (never 0)
    assert world.capacity(SECONDARY_REGION) == FULL_CAPACITY
    assert world.capacity(PRIMARY_REGION) == dataclasses.replace(WARM_CAPACITY, maximum=FULL_CAPACITY.maximum)
    # data-plane traffic switch: 1 = primary fenced, in the secondary region
    assert world.metric_values(SECONDARY_REGION, SWITCH_METRIC, {"GlobalCluster": GLOBAL_CLUSTER_ID}) == [1.0]
    notifications = world.notifications(SECONDARY_REGION)
    assert [n["subject"] for n in notifications] == [
        f"DR switchover to {SECONDARY_REGION} started: {GLOBAL_CLUSTER_ID}",
        f"DR switchover to {SECONDARY_REGION} succeeded: {GLOBAL_CLUSTER_ID}",
    ]
    assert [s["name"] for s in notifications[1]["body"]["steps"]][:3] == ["preflight", "acquire_lock", "notify_start"]
    # metrics: recovery time, data-loss window (0: switchover is lossless), step durations
    dims = {"GlobalCluster": GLOBAL_CLUSTER_ID, "Mode": "switchover"}
    assert world.metric_values(SECONDARY_REGION, "RecoveryTimeSeconds", dims) == [result["recovery_time_seconds"]]
    assert world.metric_values(SECONDARY_REGION, "DataLossWindowSeconds", dims) == [0.0]
    assert world.metric_values(SECONDARY_REGION, "StepDurationSeconds", {**dims, "Step": "wait_for_promotion"}) == [
        step(result, "wait_for_promotion")["seconds"]
    ]
    # two polls of 15 s before the target became writer
    assert step(result, "wait_for_promotion")["seconds"] == 30.0
    assert result["recovery_time_seconds"] >= 30.0
    assert result["replication_lag_seconds"] == 1.8
    assert result["data_loss_window_seconds"] == 0.0
    lock = world.lock_item(SECONDARY_REGION)
    assert lock["state"]["S"] == "succeeded" and lock["lease_expires_at"]["N"] == "0"
    assert lock["run_id"]["S"] == "run-1"


def test_failover_calls_failover_global_cluster_with_allow_data_loss(world, aws, clock):
    # The Stubber checks expected_params exactly: AllowDataLoss=True must be in the request.
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").promotion("failover")

    result = invoke(world, aws, clock, event("failover"))

    assert result["status"] == "succeeded", result["message"]
    script.assert_all_used()
    assert aws.operations("rds").count("FailoverGlobalCluster") == 1
    assert "SwitchoverGlobalCluster" not in aws.operations("rds")
    assert "AllowDataLoss=True" in step(result, "promote")["detail"]
    assert result["data_loss_window_seconds"] == 1.8  # lag at start: what a failover may lose
    dims = {"GlobalCluster": GLOBAL_CLUSTER_ID, "Mode": "failover"}
    assert world.metric_values(SECONDARY_REGION, "DataLossWindowSeconds", dims) == [1.8]


def test_failback_to_primary_writes_switch_metric_zero_into_secondary_region(world, aws, clock):
    world.put_lag(PRIMARY_REGION, 900.0)  # after a failover, the old primary is the secondary
    script = RdsScript(aws, PRIMARY_REGION).preflight("switchover").promotion("switchover")

    result = invoke(world, aws, clock, event("switchover", target=PRIMARY_REGION), target=PRIMARY_REGION)

    assert result["status"] == "succeeded", result["message"]
    script.assert_all_used()
    switch = {"GlobalCluster": GLOBAL_CLUSTER_ID}
    assert world.metric_values(SECONDARY_REGION, SWITCH_METRIC, switch) == [0.0]
    assert world.metric_values(PRIMARY_REGION, SWITCH_METRIC, switch) == []
    assert world.capacity(SECONDARY_REGION) == WARM_CAPACITY
    assert subjects(world, PRIMARY_REGION)[-1].endswith("succeeded: app-global")


def test_fresh_run_does_not_call_promotion_again_when_one_to_the_target_is_in_progress(world, aws, clock):
    # Someone already started a failover to this region (console, earlier run that failed).
    script = RdsScript(aws, SECONDARY_REGION)
    script.preflight("failover", target_status="failing-over", status="failing-over", promoting_to=SECONDARY_REGION)
    script.describe_global(status="failing-over", promoting_to=SECONDARY_REGION).wait(1)

    result = invoke(world, aws, clock, event("failover"))

    assert result["status"] == "succeeded", result["message"]
    script.assert_all_used()
    assert "FailoverGlobalCluster" not in aws.operations("rds")
    assert step(result, "promote")["detail"].startswith("not called: a failing-over promotion")


def test_lost_promotion_answer_is_not_retried_when_rds_shows_the_promotion_started(world, aws, clock):
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").describe_global()
    aws.fail(
        "rds",
        SECONDARY_REGION,
        "FailoverGlobalCluster",
        ReadTimeoutError(endpoint_url="https://rds.us-west-2.amazonaws.com/"),
    )
    script.describe_global(status="failing-over", promoting_to=SECONDARY_REGION).wait(1)

    result = invoke(world, aws, clock, event("failover"))

    assert result["status"] == "succeeded", result["message"]
    script.assert_all_used()
    assert aws.operations("rds").count("FailoverGlobalCluster") == 1
    assert "answer lost" in step(result, "promote")["detail"]


def finished_world(world):
    """Live state after a finished failover to the secondary: scaled, switch item written, metric published."""
    shared_client("autoscaling", SECONDARY_REGION).update_auto_scaling_group(
        AutoScalingGroupName=ASG_NAMES[SECONDARY_REGION],
        MinSize=FULL_CAPACITY.minimum,
        MaxSize=FULL_CAPACITY.maximum,
        DesiredCapacity=FULL_CAPACITY.desired,
    )
    write_switch(
        shared_client("dynamodb", SECONDARY_REGION),
        table_name=STATE_TABLE_NAME,
        global_cluster_id=GLOBAL_CLUSTER_ID,
        primary_fenced=True,
        serving_region=SECONDARY_REGION,
        run_id="earlier",
        now=world.clock(),
    )


def test_target_already_writer_scaled_and_switched_succeeds_without_any_change(world, aws, clock):
    finished_world(world)
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover", writer_region=SECONDARY_REGION)

    result = invoke(world, aws, clock, event("failover"))

    assert result["status"] == "succeeded"
    assert "nothing to do" in result["message"]
    script.assert_all_used()
    assert aws.changing_calls() == []
    assert world.lock_item(SECONDARY_REGION) is None


# ----- refusals -----------------------------------------------------------------------------------------


def test_target_cluster_not_available_is_refused_without_changing_call(world, aws, clock):
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover", target_status="modifying")

    result = invoke(world, aws, clock, event("failover"))

    assert result["status"] == "refused"
    assert "target_cluster_available" in result["message"] and "'modifying'" in result["message"]
    script.assert_all_used()
    assert_nothing_changed(world, aws)


@pytest.mark.parametrize(
    ("world", "peer_status", "expected"),
    [
        (400_000.0, "available", "max lag 400.000 s > RPO 300 s"),
        (None, "available", "replication lag unknown"),
        (1800.0, "inaccessible-encryption-credentials", "current primary app-primary in us-east-1 status"),
    ],
    indirect=["world"],
    ids=["lag_above_rpo", "lag_unknown", "primary_not_available"],
)
def test_switchover_refused_with_message_pointing_to_failover(world, aws, clock, peer_status, expected):
    script = RdsScript(aws, SECONDARY_REGION).preflight("switchover", peer_status=peer_status)

    result = invoke(world, aws, clock, event("switchover"))

    assert result["status"] == "refused"
    assert expected in result["message"]
    assert "use mode 'failover' instead" in result["message"]
    script.assert_all_used()
    assert_nothing_changed(world, aws)


def test_second_invocation_while_lock_is_held_is_refused(world, aws, clock):
    dynamodb = shared_client("dynamodb", SECONDARY_REGION)
    holder = LeaseLock(
        dynamodb, table_name=STATE_TABLE_NAME, global_cluster_id=GLOBAL_CLUSTER_ID, clock=clock, lease_seconds=900
    )
    holder.acquire(
        run_id="run-A",
        mode="failover",
        target_region=SECONDARY_REGION,
        reason="first",
        started_at=clock(),
        lag_seconds=1.8,
    )
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover")

    result = invoke(world, aws, clock, event("failover"), run_id="run-B")

    assert result["status"] == "refused"
    assert "run run-A" in result["message"] and "holds the lock" in result["message"]
    script.assert_all_used()
    assert aws.changing_calls() == []
    assert world.lock_item(SECONDARY_REGION)["run_id"]["S"] == "run-A"
    assert world.capacity(SECONDARY_REGION) == WARM_CAPACITY


def test_lock_is_exclusive_until_lease_expires_then_reacquirable(world, clock):
    dynamodb = shared_client("dynamodb", SECONDARY_REGION)
    lock = LeaseLock(
        dynamodb, table_name=STATE_TABLE_NAME, global_cluster_id=GLOBAL_CLUSTER_ID, clock=clock, lease_seconds=900
    )
    common = {"mode": "failover", "target_region": SECONDARY_REGION, "reason": "r", "lag_seconds": None}
    lock.acquire(run_id="a", started_at=clock(), **common)
    with pytest.raises(RuntimeError, match="run a"):
        lock.acquire(run_id="b", started_at=clock(), **common)
    lock.acquire(run_id="a", started_at=clock(), **common)  # a retried PutItem of the holder is idempotent
    clock.advance(901)
    lock.acquire(run_id="b", started_at=clock(), **common)
    assert lock.read().run_id == "b"


@pytest.mark.parametrize("other_run_id", ["run-A", "run-B"], ids=["same-run-id", "other-run-id"])
def test_two_concurrent_runs_in_one_region_cannot_both_take_the_lease(world, aws, clock, other_run_id):
    """The orchestrator's reserved concurrency is above 1 (status and readiness stay readable during a run), so
    two invocations can be between their read of the lock and their PutItem at the same time: two operators, or
    one event delivered twice by Lambda's asynchronous queue (same run_id; Lambda Developer Guide, asynchronous
    invocation: the queue is eventually consistent, so a function can receive the same event more than once).
    Within one replica a ConditionExpression is
    evaluated atomically with the write and a failed one raises ConditionalCheckFailedException (DynamoDB API
    Reference, PutItem), so exactly one takes the lease. Here the other invocation's PutItem lands between this
    one's read and write: this one starts nothing (in_progress for its own run_id, refused for another)."""
    import dr_contract as contract

    now = clock()
    competitor = {
        "pk": {"S": f"{contract.LOCK_ITEM_PREFIX}{GLOBAL_CLUSTER_ID}"},
        "run_id": {"S": other_run_id},
        "attempt": {"S": "the-other-invocation"},
        "mode": {"S": "failover"},
        "target_region": {"S": SECONDARY_REGION},
        "reason": {"S": "concurrent"},
        "state": {"S": "running"},
        "started_at": {"N": str(now)},
        "lease_expires_at": {"N": str(now + 900)},
        "updated_at": {"N": str(now)},
        "steps": {"L": []},
        "asg_before": {"M": {}},
    }
    raced = []

    def other_invocation_wins(params, **_kwargs):
        if not raced and params.get("Item", {}).get("pk") == competitor["pk"]:
            raced.append(True)
            shared_client("dynamodb", SECONDARY_REGION).put_item(TableName=STATE_TABLE_NAME, Item=competitor)

    aws.client("dynamodb", SECONDARY_REGION).meta.events.register(
        "before-parameter-build.dynamodb.PutItem", other_invocation_wins
    )
    RdsScript(aws, SECONDARY_REGION).preflight("failover")

    result = invoke(world, aws, clock, event("failover"), run_id="run-A")

    assert raced, "the lock PutItem was never sent"
    expected = "in_progress" if other_run_id == "run-A" else "refused"
    assert result["status"] == expected, result["message"]
    assert world.lock_item(SECONDARY_REGION)["attempt"]["S"] == "the-other-invocation"
    assert not [call for call in aws.changing_calls() if call[0] in ("autoscaling", "rds")]
    assert world.capacity(SECONDARY_REGION) == WARM_CAPACITY


# ----- faults -------------------------------------------------------------------------------------------


def test_throttled_calls_are_retried_with_backoff_and_succeed(world, aws, clock):
    script = RdsScript(aws, SECONDARY_REGION).preflight("switchover").describe_global()
    script.target.add_client_error("switchover_global_cluster", service_error_code="Throttling", http_status_code=400)
    script.promotion_call("switchover").wait(1)
    aws.fail(
        "autoscaling",
        SECONDARY_REGION,
        "UpdateAutoScalingGroup",
        throttling("Throttling"),
        throttling("TooManyRequestsException"),
    )

    result = invoke(world, aws, clock, event("switchover"))

    assert result["status"] == "succeeded", result["message"]
    script.assert_all_used()
    assert aws.operations("rds").count("SwitchoverGlobalCluster") == 2
    # fence (1 call) + target scaling (2 throttled + 1 success)
    assert aws.operations("autoscaling").count("UpdateAutoScalingGroup") == 4
    assert world.capacity(SECONDARY_REGION) == FULL_CAPACITY
    backoffs = [s for s in clock.sleeps if s < 2.0]
    assert backoffs == [0.5, 1.0, 0.5]  # two retries for the ASG, one for the promotion call


def test_throttling_backoff_is_capped_and_gives_up_after_max_attempts(clock):
    rds = boto3.client("rds", region_name=SECONDARY_REGION)
    stubber = Stubber(rds)
    for _ in range(7):
        stubber.add_client_error(
            "describe_global_clusters", service_error_code="ThrottlingException", http_status_code=400
        )
    policy = RetryPolicy(max_attempts=7, base_delay=0.5, max_delay=4, jitter=TOP_OF_RANGE)
    guarded = GuardedClient(lambda _timeout: rds, sleep=clock.sleep, clock=clock, policy=policy)
    with stubber, pytest.raises(ClientError, match="ThrottlingException"):
        guarded.describe_global_clusters()
    assert clock.sleeps == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    stubber.assert_no_pending_responses()


def test_promotion_not_finished_by_deadline_fails_releases_lock_and_notifies(world, aws, clock):
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").describe_global().promotion_call("failover")
    for _ in range(5):  # polls at +0, +15, +30, +45, +60 s; the deadline is +60 s
        script.describe_global(status="failing-over", promoting_to=SECONDARY_REGION)
    # restore_capacity reads live state: the promotion is still under way, so nothing is put back
    script.describe_global(status="failing-over", promoting_to=SECONDARY_REGION)

    result = invoke(world, aws, clock, event("failover"), PROMOTION_TIMEOUT_SECONDS="60")

    assert result["status"] == "failed"
    assert "PROMOTION_TIMEOUT_SECONDS=60" in result["message"]
    script.assert_all_used()
    assert step(result, "wait_for_promotion")["status"] == "failed"
    assert step(result, "release_lock")["status"] == "ok"
    assert "switch_traffic" not in [s["name"] for s in result["steps"]]
    assert result["recovery_time_seconds"] is None
    lock = world.lock_item(SECONDARY_REGION)
    assert lock["state"]["S"] == "failed" and lock["lease_expires_at"]["N"] == "0"
    notifications = world.notifications(SECONDARY_REGION)
    assert notifications[-1]["subject"] == f"DR failover to {SECONDARY_REGION} failed: {GLOBAL_CLUSTER_ID}"
    assert notifications[-1]["body"]["status"] == "failed"
    assert world.metric_values(SECONDARY_REGION, SWITCH_METRIC, {"GlobalCluster": GLOBAL_CLUSTER_ID}) == []


def test_rerun_after_crash_after_promote_call_resumes_without_calling_failover_again(world, aws, clock):
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").describe_global().promotion_call("failover")
    script.describe_global(status="failing-over", promoting_to=SECONDARY_REGION)

    def crash_while_waiting(seconds):
        if seconds == 15:  # the first poll interval, right after the promotion call
            raise SimulatedCrash()

    clock.on_sleep = crash_while_waiting
    with pytest.raises(SimulatedCrash):
        invoke(world, aws, clock, event("failover"), run_id="run-A")
    script.assert_all_used()
    crashed = world.lock_item(SECONDARY_REGION)
    assert crashed["state"]["S"] == "running"
    assert "promote" in [s["M"]["name"]["S"] for s in crashed["steps"]["L"]]

    # Lambda retried after the lease expired. Only reads are queued: a second FailoverGlobalCluster
    # would hit the Stubber's "operation mismatch" and fail the run. Every step reads live state.
    clock.on_sleep = None
    clock.advance(901)
    in_progress = {"status": "failing-over", "promoting_to": SECONDARY_REGION}
    script.describe_global(**in_progress).describe_cluster(SECONDARY_REGION, "failing-over")  # preflight
    script.describe_global(**in_progress)  # promote: in progress, not called
    script.wait(1)
    result = invoke(world, aws, clock, event("failover"), run_id="run-B")

    assert result["status"] == "succeeded", result["message"]
    script.assert_all_used()
    assert aws.operations("rds").count("FailoverGlobalCluster") == 1
    assert step(result, "promote")["detail"].startswith("not called: a failing-over promotion")
    assert "no change" in step(result, "scale_target")["detail"]
    assert step(result, "wait_for_promotion")["status"] == "ok"
    assert "resumed unfinished run run-A" in result["message"]
    assert result["recovery_time_seconds"] >= 901  # measured from the crashed run's start
    assert result["data_loss_window_seconds"] == 1.8  # from the crashed run's journal
    assert world.capacity(SECONDARY_REGION) == FULL_CAPACITY
    assert world.metric_values(SECONDARY_REGION, SWITCH_METRIC, {"GlobalCluster": GLOBAL_CLUSTER_ID}) == [1.0]
    lock = world.lock_item(SECONDARY_REGION)
    assert lock["state"]["S"] == "succeeded" and lock["resumed_from"]["S"] == "run-A"
    assert [s.split(": ")[0] for s in subjects(world)] == [
        "DR failover to us-west-2 started",
        "DR failover to us-west-2 resumed (from run run-A)",
        "DR failover to us-west-2 succeeded",
    ]


def test_an_operator_who_breaks_a_crashed_runs_lease_resumes_it_minutes_after_the_crash(world, aws, clock):
    """A runtime crash (out-of-memory, Runtime.ExitError) runs no except/finally code, and with
    maximum_retry_attempts = 0 Lambda does not re-run the event (Lambda Developer Guide, asynchronous
    invocation), so the lease stays live for up to LOCK_LEASE_SECONDS and a new run id is refused. The runbook's
    operator path (docs/runbook.md, "Break a crashed run's lease") sets lease_expires_at to 0 with an
    UpdateItem conditioned on that run_id and state running (DynamoDB API Reference, UpdateItem
    ConditionExpression: a run that finished or another run's lease is not touched). Two minutes after the
    crash the next run resumes it without a second FailoverGlobalCluster."""
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").describe_global().promotion_call("failover")
    script.describe_global(status="failing-over", promoting_to=SECONDARY_REGION)

    def crash_while_waiting(seconds):
        if seconds == 15:
            raise SimulatedCrash()

    clock.on_sleep = crash_while_waiting
    with pytest.raises(SimulatedCrash):
        invoke(world, aws, clock, event("failover"), run_id="run-A")
    clock.on_sleep = None
    clock.advance(120)
    in_progress = {"status": "failing-over", "promoting_to": SECONDARY_REGION}
    script.describe_global(**in_progress).describe_cluster(SECONDARY_REGION, "failing-over")  # preflight
    refused = invoke(world, aws, clock, event("failover"), run_id="run-B")
    assert refused["status"] == "refused" and "run run-A" in refused["message"]

    def break_lease(run_id):
        """The runbook's command (aws dynamodb update-item ...), in the target region's replica."""
        shared_client("dynamodb", SECONDARY_REGION).update_item(
            TableName=STATE_TABLE_NAME,
            Key={"pk": {"S": f"lock#{GLOBAL_CLUSTER_ID}"}},
            UpdateExpression="SET lease_expires_at = :zero",
            ConditionExpression="run_id = :run AND #s = :running",
            ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues={":zero": {"N": "0"}, ":run": {"S": run_id}, ":running": {"S": "running"}},
        )

    with pytest.raises(ClientError, match="ConditionalCheckFailedException"):
        break_lease("run-B")  # the wrong run id breaks nothing
    break_lease("run-A")
    script.describe_global(**in_progress).describe_cluster(SECONDARY_REGION, "failing-over")  # preflight
    script.describe_global(**in_progress)  # promote: in progress, not called
    script.wait(1)

    result = invoke(world, aws, clock, event("failover"), run_id="run-C")

    assert result["status"] == "succeeded", result["message"]
    script.assert_all_used()
    assert aws.operations("rds").count("FailoverGlobalCluster") == 1
    assert "resumed unfinished run run-A" in result["message"]
    assert world.switch_item(SECONDARY_REGION)["primary_fenced"]["N"] == "1"


def test_rerun_after_promotion_timeout_finishes_the_job_instead_of_reporting_nothing_to_do(world, aws, clock):
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").describe_global().promotion_call("failover")
    for _ in range(5):
        script.describe_global(status="failing-over", promoting_to=SECONDARY_REGION)
    script.describe_global(status="failing-over", promoting_to=SECONDARY_REGION)  # restore: under way, kept
    first = invoke(world, aws, clock, event("failover"), run_id="run-A", PROMOTION_TIMEOUT_SECONDS="60")
    assert first["status"] == "failed"

    # RDS finished later: the target is now writer but DNS was never switched. The re-run must not
    # answer "already writer, nothing to do"; live state shows the switch missing, so it switches traffic.
    clock.advance(300)
    script.describe_global(writer_region=SECONDARY_REGION).describe_cluster(SECONDARY_REGION)  # preflight
    script.describe_global(writer_region=SECONDARY_REGION)  # promote: already writer
    script.wait(0)
    result = invoke(world, aws, clock, event("failover"), run_id="run-B", PROMOTION_TIMEOUT_SECONDS="60")

    assert result["status"] == "succeeded", result["message"]
    script.assert_all_used()
    assert aws.operations("rds").count("FailoverGlobalCluster") == 1
    assert step(result, "promote")["detail"] == "not called: app-secondary is already the writer"
    assert step(result, "switch_traffic")["status"] == "ok"
    assert world.metric_values(SECONDARY_REGION, SWITCH_METRIC, {"GlobalCluster": GLOBAL_CLUSTER_ID}) == [1.0]


def test_unreachable_peer_region_costs_at_most_the_fence_timeout_in_total(world, aws, clock):
    """A region that does not answer: each call hangs for its whole connect timeout (botocore
    connect_timeout/read_timeout, Config reference). The fence gets FENCE_TIMEOUT_SECONDS in total, not per
    attempt: the old code spent 3 x 20 s. The run goes on without it (a warning)."""
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").promotion("failover")
    aws.fail("autoscaling", PRIMARY_REGION, "DescribeAutoScalingGroups", HANG, HANG, HANG)
    aws.fail("autoscaling", PRIMARY_REGION, "UpdateAutoScalingGroup", HANG, HANG, HANG)

    result = invoke(world, aws, clock, event("failover"))

    assert result["status"] == "succeeded", result["message"]
    script.assert_all_used()
    fence = step(result, "standby_peer")
    assert fence["status"] == "warning"
    assert fence["seconds"] <= 20.0  # FENCE_TIMEOUT_SECONDS, all attempts together
    assert "warnings in: standby_peer" in result["message"]
    assert len(aws.faults[("autoscaling", PRIMARY_REGION, "DescribeAutoScalingGroups")]) == 2  # no 2nd attempt
    assert len(aws.faults[("autoscaling", PRIMARY_REGION, "UpdateAutoScalingGroup")]) == 3  # never reached
    aws.faults.clear()
    assert world.capacity(PRIMARY_REGION) == FULL_CAPACITY


def test_remote_traffic_switch_failure_fails_the_run_with_the_manual_command(world, aws, clock):
    world.put_lag(PRIMARY_REGION, 900.0)
    script = RdsScript(aws, PRIMARY_REGION).preflight("switchover").promotion("switchover")
    down = EndpointConnectionError(endpoint_url="https://monitoring.us-west-2.amazonaws.com/")
    aws.fail("cloudwatch", SECONDARY_REGION, "PutMetricData", *[down] * 5)

    result = invoke(world, aws, clock, event("switchover", target=PRIMARY_REGION), target=PRIMARY_REGION)

    assert result["status"] == "failed"
    assert "DNS will NOT move" in result["message"]
    # us-west-2 does not answer: the operator is told an action that works without it, not a write there.
    assert "--region us-west-2" not in result["message"]
    assert "aws route53 update-health-check" in result["message"]
    assert world.switch_item(PRIMARY_REGION)["primary_fenced"]["N"] == "0"
    script.assert_all_used()
    assert world.lock_item(PRIMARY_REGION)["state"]["S"] == "failed"
    assert subjects(world, PRIMARY_REGION)[-1].endswith("failed: app-global")


def test_route53_control_plane_error_never_fails_the_run(world, aws, clock):
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").promotion("failover")

    result = invoke(world, aws, clock, event("failover"), HEALTH_CHECK_ID="00000000-0000-0000-0000-000000000000")

    assert result["status"] == "succeeded", result["message"]
    script.assert_all_used()
    assert step(result, "check_peer_health")["status"] == "warning"
    assert "informational only" in step(result, "check_peer_health")["detail"]


# ----- dry run and preflight ----------------------------------------------------------------------------


def test_dry_run_makes_no_changing_call_and_reports_the_plan(world, aws, clock):
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover")

    result = invoke(world, aws, clock, event("failover", dry_run=True))

    assert result["status"] == "dry_run", result["message"]
    script.assert_all_used()  # only reads were queued; any other RDS call raises
    assert_nothing_changed(world, aws)
    assert "GetItem" in aws.operations("dynamodb")  # it did look at the lock
    planned = {s["name"]: s for s in result["steps"] if s["status"] == "planned"}
    assert set(planned) == set(FAILOVER_STEPS) - {"preflight", "check_peer_health"}
    assert "failover_global_cluster(" in planned["promote"]["detail"]
    assert (
        "'AllowDataLoss': True" in planned["promote"]["detail"] or "AllowDataLoss=True" in planned["promote"]["detail"]
    )


def test_dry_run_guard_refuses_a_changing_call_before_it_is_sent(world, aws, clock):
    autoscaling = aws("autoscaling", SECONDARY_REGION)
    guarded = GuardedClient(lambda _timeout: autoscaling, sleep=clock.sleep, clock=clock, read_only=True)
    guarded.describe_auto_scaling_groups(AutoScalingGroupNames=[ASG_NAMES[SECONDARY_REGION]])
    with pytest.raises(ReadOnlyViolation, match="UpdateAutoScalingGroup"):
        guarded.update_auto_scaling_group(AutoScalingGroupName=ASG_NAMES[SECONDARY_REGION], MinSize=9)
    assert aws.operations() == ["DescribeAutoScalingGroups"]


def test_preflight_mode_passes_and_says_whether_switchover_is_possible(world, aws, clock):
    script = RdsScript(aws, SECONDARY_REGION).preflight("preflight")

    result = invoke(world, aws, clock, {"mode": "preflight", "target_region": SECONDARY_REGION})

    assert result["status"] == "preflight_passed", result["message"]
    assert "switchover possible" in result["message"] and "lock free" in result["message"]
    assert [s["name"] for s in result["steps"]] == ["preflight"]
    assert "replication_lag: OK max lag 1.800 s <= RPO 300 s" in step(result, "preflight")["detail"]
    script.assert_all_used()
    assert_nothing_changed(world, aws)


def test_preflight_mode_fails_when_target_cluster_not_available(world, aws, clock):
    script = RdsScript(aws, SECONDARY_REGION).preflight("preflight", target_status="creating")

    result = invoke(world, aws, clock, {"mode": "preflight", "target_region": SECONDARY_REGION})

    assert result["status"] == "preflight_failed"
    assert "target_cluster_available: FAIL" in result["message"]
    script.assert_all_used()
    assert_nothing_changed(world, aws)


# ----- event and configuration validation ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad_event", "field", "fragment"),
    [
        ({"target_region": SECONDARY_REGION, "reason": REASON}, "mode", "mode is required"),
        ({"mode": "promote", "target_region": SECONDARY_REGION, "reason": REASON}, "mode", "got 'promote'"),
        (
            {"mode": "failover", "target_region": PRIMARY_REGION, "reason": REASON},
            "target_region",
            "invoke the function in that region",
        ),
        (
            {"mode": "failover", "target_region": SECONDARY_REGION, "reason": REASON, "dryrun": True},
            "dryrun",
            "unknown event key(s) ['dryrun']",
        ),
        (
            {"mode": "failover", "target_region": SECONDARY_REGION, "reason": REASON, "dry_run": "false"},
            "dry_run",
            "JSON boolean (true or false), got 'false'",
        ),
        ({"mode": "failover", "target_region": SECONDARY_REGION}, "reason", "reason is required"),
        (
            {"mode": "failover", "target_region": SECONDARY_REGION, "reason": "x" * 257},
            "reason",
            "at most 256 characters, got 257",
        ),
        (["failover"], "event", "must be a JSON object"),
    ],
    ids=[
        "missing_mode",
        "unknown_mode",
        "wrong_region",
        "unknown_key",
        "dry_run_not_bool",
        "missing_reason",
        "reason_too_long",
        "not_an_object",
    ],
)
def test_malformed_event_is_invalid_and_makes_no_aws_call(bad_event, field, fragment):
    aws = SimulatedAws()  # no client is ever made here, nothing to close
    config = load_config(static_env())

    result = handle_event(bad_event, config=config, clients_factory=aws, run_id="run-x")

    assert result["status"] == "invalid"
    assert result["field"] == field
    assert field in result["message"] and fragment in result["message"]
    assert aws.calls == [] and aws.timeouts == {}  # not even a client was made


def test_lambda_handler_entry_point_validates_the_event(monkeypatch):
    for name, value in static_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(handler_module, "_CONFIG", None)

    result = handler_module.handler({"mode": "failover", "target_region": "eu-west-1", "reason": "x"}, None)

    assert result["status"] == "invalid"
    assert "must be 'us-west-2', got 'eu-west-1'" in result["message"]


def test_lambda_handler_raises_the_config_error_naming_the_variable(monkeypatch):
    env = static_env()
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("TOPIC_ARN")
    monkeypatch.setattr(handler_module, "_CONFIG", None)

    with pytest.raises(ConfigError, match="TOPIC_ARN is required"):
        handler_module.handler({"mode": "preflight", "target_region": SECONDARY_REGION}, None)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"GLOBAL_CLUSTER_ID": None}, "GLOBAL_CLUSTER_ID is required and is not set"),
        ({"POLL_INTERVAL_SECONDS": "fast"}, "POLL_INTERVAL_SECONDS must be a whole number from 1 to 300, got 'fast'"),
        ({"TARGET_REGION": "west"}, "TARGET_REGION must be an AWS region name such as us-west-2, got 'west'"),
        ({"TARGET_CLUSTER_ARN": cluster_arn(PRIMARY_REGION)}, "TARGET_CLUSTER_ARN must be in TARGET_REGION"),
        ({"TRAFFIC_SWITCH_REGION": "eu-west-1"}, "TRAFFIC_SWITCH_REGION must be TARGET_REGION"),
        ({"FAILOVER_CAPACITY_MIN": "9"}, "FAILOVER_CAPACITY_MIN <= FAILOVER_CAPACITY_DESIRED <= FAILOVER_CAPACITY_MAX"),
        ({"LOCK_LEASE_SECONDS": "600"}, "LOCK_LEASE_SECONDS must exceed PROMOTION_TIMEOUT_SECONDS (600)"),
        ({"TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:dr-alerts"}, "TOPIC_ARN must be a topic in TARGET_REGION"),
        ({"RTO_MINUTES": "10"}, "PROMOTION_TIMEOUT_SECONDS must be less than RTO_MINUTES * 60 (600)"),
    ],
    ids=[
        "missing",
        "not_a_number",
        "bad_region",
        "arn_wrong_region",
        "switch_region",
        "capacity_order",
        "lease_too_short",
        "topic_wrong_region",
        "timeout_beyond_rto",
    ],
)
def test_config_error_names_the_variable_value_and_what_is_allowed(overrides, message):
    env = static_env()
    for name, value in overrides.items():
        if value is None:
            env.pop(name)
        else:
            env[name] = value

    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(env)


def test_config_defaults_apply_when_optional_variables_are_unset():
    env = static_env()
    for name in (
        "PROMOTION_TIMEOUT_SECONDS",
        "POLL_INTERVAL_SECONDS",
        "FENCE_TIMEOUT_SECONDS",
        "METRIC_NAMESPACE",
        "HEALTH_CHECK_ID",
    ):
        env.pop(name, None)  # the stack sets no POLL_INTERVAL_SECONDS or METRIC_NAMESPACE

    config = load_config(env)

    assert (
        config.promotion_timeout_seconds,
        config.poll_interval_seconds,
        config.fence_timeout_seconds,
        config.metric_namespace,
        config.health_check_id,
    ) == (600, 15, 20, "DR/Failover", None)
    assert config.target_cluster_id == CLUSTER_IDS[SECONDARY_REGION]


@pytest.mark.parametrize("name", ["LOCK_LEASE_SECONDS", "MIN_SUCCESS_PERCENT", "MATCH_DATABASE_CAPACITY"])
def test_variables_the_stack_always_sets_have_no_function_default(name):
    """The stack's and the function's defaults disagreed (lease 720 vs 900 s, 50 vs 100 %, capacity matching on vs
    off): a variable the stack always sets is required, so no second default can drift."""
    env = static_env()
    env.pop(name)
    with pytest.raises(ConfigError, match=f"{name} is required and is not set"):
        load_config(env)


# ----- local drill --------------------------------------------------------------------------------------


def test_drill_prints_a_timeline_with_every_step_and_the_recovery_time(capsys):
    assert main([]) == 0

    out = capsys.readouterr().out
    for name in FAILOVER_STEPS:
        assert re.search(rf"^{name}\s+\d+\.\d\s+\d+\.\d\s+ok\b", out, re.MULTILINE), name
    recovery = re.search(r"^recovery time: (\d+\.\d) s \(orchestration\)$", out, re.MULTILINE)
    assert recovery and 90.0 <= float(recovery.group(1)) < 900.0
    # The probe failed 3 minutes before the run: end to end is the orchestration plus those minutes and more.
    end_to_end = re.search(r"^end-to-end recovery time: (\d+\.\d) s \(from the first failed", out, re.MULTILINE)
    assert end_to_end and float(end_to_end.group(1)) > float(recovery.group(1)) + 120
    assert re.search(r"^data-loss window: 1\.8 s$", out, re.MULTILINE)
    assert "status: succeeded" in out


def test_drill_output_stream_is_injectable():
    buffer = io.StringIO()
    from support.drill import run_drill

    result = run_drill("switchover", out=buffer)

    assert result["status"] == "succeeded"
    assert "switchover_global_cluster called" in buffer.getvalue()


def test_boto_clients_honour_the_standard_endpoint_variables(monkeypatch):
    """boto3 >= 1.28 reads AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> (AWS SDKs and Tools Reference Guide,
    "Service-specific endpoints"): the production factory sets no endpoint of its own, so an emulator can stand
    in for AWS without code changes."""
    from dr_failover.aws.calls import BotoClients

    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
    monkeypatch.setenv("AWS_ENDPOINT_URL_RDS", "http://127.0.0.1:5001")
    clients = BotoClients(boto3.session.Session())

    assert clients("autoscaling", SECONDARY_REGION, timeout_seconds=5).meta.endpoint_url == "http://127.0.0.1:5000"
    assert clients("rds", SECONDARY_REGION).meta.endpoint_url == "http://127.0.0.1:5001"


@pytest.mark.parametrize("budget", [1, 5, 10, 20, 60])
def test_one_attempt_cannot_outlast_the_time_it_was_given(budget):
    """botocore's Config reference: ``connect_timeout`` is the time to make a connection and
    ``read_timeout`` the time to wait for the answer once connected; they apply one after the other, so an
    attempt can last up to their sum. An attempt bounded by the run's remaining time must therefore split
    that time between them, not give each the whole of it (which let a fence attempt take twice its budget)."""
    from dr_failover.aws.calls import BotoClients

    config = BotoClients(boto3.session.Session())("rds", SECONDARY_REGION, timeout_seconds=budget).meta.config

    assert config.connect_timeout + config.read_timeout <= budget
    assert config.connect_timeout > 0 and config.read_timeout >= budget / 2


LEFT_OUT_BY_THE_STACK = (
    "TARGET_CLUSTER_ID",
    "PEER_CLUSTER_ARN",
    "STATE_TABLE_NAME",
    "ALARM_NAME_PREFIX",
    "METRIC_NAMESPACE",
    "TRAFFIC_SWITCH_METRIC",
    "PROBE_METRIC",
    "PROBE_NAMESPACE",
)


def test_variables_the_stack_leaves_out_are_derived_as_the_stack_names_them():
    """Lambda allows 4 KB for all of a function's environment variables (Lambda Developer Guide, "Lambda quotas"), so
    the stack leaves out what the function can compute. An RDS cluster ARN is arn:<partition>:rds:<region>:<account>:
    cluster:<identifier> (RDS User Guide, "Amazon Resource Names (ARNs) in Amazon RDS"): TARGET_CLUSTER_ID is its
    last part and PEER_CLUSTER_ARN the same partition and account (the stack's one account), PEER_REGION and
    PEER_CLUSTER_ID; the state table and the alarm prefix follow the name prefix in GLOBAL_CLUSTER_ID; the metric
    names are the contract's. The configuration without them equals the one with them."""
    full = static_env(
        GLOBAL_CLUSTER_ID="drapp-prod-global",
        STATE_TABLE_NAME="drapp-prod-failover-state",
        ALARM_NAME_PREFIX="drapp-prod-",
        PROBE_METRIC="PrimaryEndpointHealthy",
        PROBE_NAMESPACE="DR/Probe",
    )
    lean = {name: value for name, value in full.items() if name not in LEFT_OUT_BY_THE_STACK}

    assert load_config(lean) == load_config(full)
    assert load_config(lean).peer_cluster_arn == cluster_arn(PRIMARY_REGION)


def test_a_state_table_that_cannot_be_derived_must_be_set():
    """Only a global cluster identifier the stack made (<name prefix>-global) names its state table: another one
    without STATE_TABLE_NAME is one error naming the variable and the identifier, not a guessed table."""
    env = {
        name: value for name, value in static_env(GLOBAL_CLUSTER_ID="other-db").items() if name != "STATE_TABLE_NAME"
    }

    with pytest.raises(ConfigError, match=r"STATE_TABLE_NAME is required .* ending with '-global', got 'other-db'"):
        load_config(env)
