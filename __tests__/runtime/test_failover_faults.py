"""The orchestrator under AWS's documented behaviour: refusals, cancellations, lost writes, retries, operators.

Each test states the AWS fact it encodes (RDS API Reference / botocore rds, autoscaling and dynamodb service
models, Auto Scaling User Guide, Lambda invoke documentation). RDS goes through botocore's Stubber, which
validates every request against the service model and raises on any call that was not queued, so "the
promotion API was not called again" is enforced, not only asserted. These are the tests of docs/fault-model.md.
"""

from __future__ import annotations

import dataclasses

import boto3
import dr_contract as contract
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from botocore.stub import Stubber
from dr_contract import Capacity
from dr_failover import keeper
from dr_failover.config import load_config
from dr_failover.handler import handle_event
from dr_failover.records.lock import LeaseLock
from dr_failover.records.switch import write_switch
from support.drill import (
    ASG_NAMES,
    FULL_CAPACITY,
    GLOBAL_CLUSTER_ID,
    HANG,
    PRIMARY_REGION,
    SECONDARY_REGION,
    STATE_TABLE_NAME,
    SWITCH_METRIC,
    WARM_CAPACITY,
    RdsScript,
    global_cluster_response,
    shared_client,
)
from support.harness import event, invoke, step, throttling

SWITCH = {"GlobalCluster": GLOBAL_CLUSTER_ID}
RDS_URL = "https://rds.us-west-2.amazonaws.com/"


def server_fault(code: str, status: int = 500) -> ClientError:
    """A ClientError as botocore raises it for a server-side fault."""
    return ClientError(
        {"Error": {"Code": code, "Message": "try again"}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Operation"
    )


def switch_values(world) -> list[float]:
    """Values of the traffic-switch metric in the secondary (traffic-switch) region."""
    return world.metric_values(SECONDARY_REGION, SWITCH_METRIC, SWITCH)


# ----- item 2: a refused planned switchover never leaves the serving region without capacity ------------------


def test_refused_switchover_never_reduces_the_serving_region_and_restores_the_target(world, aws, clock):
    """SwitchoverGlobalCluster can fail with InvalidGlobalClusterStateFault or InvalidDBClusterStateFault
    (botocore rds service model, SwitchoverGlobalCluster "errors"). A planned switchover must not touch the
    serving (primary) region before the new writer serves, and a refused promotion restores every ASG the run
    changed. The old code set the primary ASG to 0 before the call and never restored it."""
    script = RdsScript(aws, SECONDARY_REGION).preflight("switchover").describe_global()
    script.promotion_refused("switchover", "InvalidGlobalClusterStateFault")
    script.describe_global()  # restore_capacity reads live state: nothing in progress, target not writer

    result = invoke(world, aws, clock, event("switchover"))

    assert result["status"] == "failed"
    assert "InvalidGlobalClusterStateFault" in result["message"]
    script.assert_all_used()
    assert world.capacity(PRIMARY_REGION) == FULL_CAPACITY  # the serving region was never reduced
    assert world.capacity(SECONDARY_REGION) == WARM_CAPACITY  # the target is back where it was
    assert step(result, "restore_capacity")["status"] == "ok"
    assert switch_values(world) == []
    assert world.lock_item(SECONDARY_REGION)["state"]["S"] == "failed"


def _asg_with_pending_instances(desired: int, in_service: int) -> dict:
    """A DescribeAutoScalingGroups answer: ``desired`` instances, only ``in_service`` of them InService."""
    states = ["InService"] * in_service + ["Pending"] * (desired - in_service)
    return {
        "AutoScalingGroups": [
            {
                "AutoScalingGroupName": ASG_NAMES[SECONDARY_REGION],
                "MinSize": FULL_CAPACITY.minimum,
                "MaxSize": FULL_CAPACITY.maximum,
                "DesiredCapacity": desired,
                "DefaultCooldown": 300,
                "AvailabilityZones": [f"{SECONDARY_REGION}a"],
                "HealthCheckType": "EC2",
                "CreatedTime": "2026-01-01T00:00:00Z",
                "Instances": [
                    {
                        "InstanceId": f"i-0000000000000000{index}",
                        "AvailabilityZone": f"{SECONDARY_REGION}a",
                        "LifecycleState": state,
                        "HealthStatus": "Healthy",
                        "ProtectedFromScaleIn": False,
                    }
                    for index, state in enumerate(states)
                ],
            }
        ]
    }


def test_switchover_waits_for_the_target_to_serve_and_refuses_when_it_does_not(world, aws, clock):
    """UpdateAutoScalingGroup returns before instances launch, and a launch can then fail (insufficient instance
    capacity, a broken launch template; the group's scaling activities say so, Auto Scaling User Guide). Here the
    target's new instances stay Pending (DescribeAutoScalingGroups Instances[].LifecycleState). A planned
    switchover must not move the writer and the traffic to a target that does not serve: SwitchoverGlobalCluster
    is never called (the Stubber has none queued), and the target goes back to warm standby."""
    script = RdsScript(aws, SECONDARY_REGION).preflight("switchover").describe_global()
    pending = _asg_with_pending_instances(FULL_CAPACITY.desired, 1)
    # preflight, scale_target's read before and after its update go to moto; then the waits see Pending.
    aws.answer("autoscaling", SECONDARY_REGION, "DescribeAutoScalingGroups", None, None, None, *[pending] * 40)

    result = invoke(world, aws, clock, event("switchover"))

    assert result["status"] == "failed", result["message"]
    assert step(result, "scale_target")["status"] == "ok"
    assert step(result, "wait_for_target_capacity")["status"] == "failed"
    assert "1 of the 4" in step(result, "wait_for_target_capacity")["detail"]
    assert "SwitchoverGlobalCluster" not in aws.operations("rds")
    script.assert_all_used()
    assert step(result, "restore_capacity")["status"] == "ok"
    aws.close()  # the remaining scripted answers no longer apply: read moto's state
    assert world.capacity(PRIMARY_REGION) == FULL_CAPACITY
    assert world.capacity(SECONDARY_REGION) == WARM_CAPACITY


def test_refused_failover_restores_both_regions(world, aws, clock):
    """An unplanned failover may reduce the old primary first, but when RDS refuses the promotion
    (InvalidDBClusterStateFault, a documented error of FailoverGlobalCluster) both ASGs go back."""
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").describe_global()
    script.promotion_refused("failover", "InvalidDBClusterStateFault").describe_global()

    result = invoke(world, aws, clock, event("failover"))

    assert result["status"] == "failed"
    script.assert_all_used()
    assert world.capacity(PRIMARY_REGION) == FULL_CAPACITY
    assert world.capacity(SECONDARY_REGION) == WARM_CAPACITY


class SimulatedCrash(BaseException):
    """Stands for the Lambda being killed (timeout, out of memory): not an Exception, so no handler runs."""


def test_a_resumed_run_whose_promotion_is_refused_restores_the_asgs_the_crashed_attempt_changed(world, aws, clock):
    """Attempt 1 of run 'run-A' scales the target up and sets the old primary to standby, then is killed before
    the promotion call (a killed Lambda runs no code: nothing is restored). Attempt 2, the same run_id after the
    lease expired, finds both ASGs already where the plan wants them and changes nothing itself; RDS then refuses
    FailoverGlobalCluster (InvalidGlobalClusterStateFault, a documented error of the operation, botocore rds
    service model). Every ASG the logical run changed goes back to its capacity before attempt 1, from the prior
    sizes attempt 1 wrote to the lock item before each change (the old code restored only what attempt 2 changed:
    nothing)."""
    aws.fail("rds", SECONDARY_REGION, "DescribeGlobalClusters", None, SimulatedCrash())  # preflight ok, promote: killed
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover")

    with pytest.raises(SimulatedCrash):
        invoke(world, aws, clock, event("failover", run_id="run-A"))
    script.assert_all_used()
    crashed = world.lock_item(SECONDARY_REGION)
    assert crashed["state"]["S"] == "running"
    assert world.capacity(SECONDARY_REGION) == Capacity(minimum=2, desired=4, maximum=6)  # scaled up by attempt 1
    assert world.capacity(PRIMARY_REGION) == Capacity(minimum=1, desired=1, maximum=6)  # set to standby by attempt 1
    assert world.noted_capacities(SECONDARY_REGION) == {
        f"{SECONDARY_REGION}/{ASG_NAMES[SECONDARY_REGION]}": WARM_CAPACITY,
        f"{PRIMARY_REGION}/{ASG_NAMES[PRIMARY_REGION]}": FULL_CAPACITY,
    }

    clock.advance(901)  # LOCK_LEASE_SECONDS 900: the crashed attempt's lease expired
    script.preflight("failover").describe_global().promotion_refused("failover").describe_global()
    result = invoke(world, aws, clock, event("failover", run_id="run-A"))

    assert result["status"] == "failed", result["message"]
    script.assert_all_used()
    assert "no change" in step(result, "scale_target")["detail"]
    assert "no change" in step(result, "standby_peer")["detail"]
    assert step(result, "restore_capacity")["status"] == "ok"
    assert world.capacity(SECONDARY_REGION) == WARM_CAPACITY
    assert world.capacity(PRIMARY_REGION) == FULL_CAPACITY
    assert world.lock_item(SECONDARY_REGION)["state"]["S"] == "failed"


def test_a_resumed_run_keeps_the_first_attempts_prior_sizes(world, aws, clock):
    """A resumed attempt carries the crashed attempt's notes into its own lock item (PutItem replaces the item) and
    never notes an ASG the logical run already changed (the UpdateItem also keeps an existing note, if_not_exists,
    DynamoDB Developer Guide "Update expressions"). Between the attempts someone moves the old primary's ASG to
    3/3/6; attempt 2 sets it to standby again, and the note still holds its size before attempt 1 (2/4/6)."""
    aws.fail("rds", SECONDARY_REGION, "DescribeGlobalClusters", None, SimulatedCrash())
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover")
    with pytest.raises(SimulatedCrash):
        invoke(world, aws, clock, event("failover", run_id="run-A"))
    clock.advance(901)
    shared_client("autoscaling", PRIMARY_REGION).update_auto_scaling_group(
        AutoScalingGroupName=ASG_NAMES[PRIMARY_REGION], MinSize=3, DesiredCapacity=3
    )
    aws.fail("rds", SECONDARY_REGION, "DescribeGlobalClusters", None, SimulatedCrash())
    script.preflight("failover")
    with pytest.raises(SimulatedCrash):
        invoke(world, aws, clock, event("failover", run_id="run-A"))
    script.assert_all_used()

    assert world.capacity(PRIMARY_REGION) == Capacity(minimum=1, desired=1, maximum=6)  # attempt 2 changed it again
    primary = world.noted_capacities(SECONDARY_REGION)[f"{PRIMARY_REGION}/{ASG_NAMES[PRIMARY_REGION]}"]
    assert primary == FULL_CAPACITY
    assert world.lock_item(SECONDARY_REGION)["resumed_from"]["S"] == "run-A"


# ----- item 3: resume from live state ------------------------------------------------------------------------


def test_promotion_cancelled_by_rds_is_reissued_once_nothing_is_in_progress(world, aws, clock):
    """FailoverState.Status 'cancelling': "the request ... was cancelled and the primary Aurora DB cluster and
    the selected secondary ... are returning to their previous states"; FailoverState "is empty unless a
    switchover or failover operation is scheduled or is in progress" (RDS API Reference, FailoverState). The
    orchestrator never calls while any promotion is in progress, and calls again once none is and the target
    is not the writer. The old code stopped at 'cancelling' and a resumed run skipped the promotion forever."""
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").describe_global().promotion_call("failover")
    script.describe_global(promoting_to=SECONDARY_REGION, promotion_status="cancelling")
    script.describe_global()  # cancelled: no FailoverState, the primary is still the writer
    script.promotion_call("failover").wait(1)

    result = invoke(world, aws, clock, event("failover"))

    assert result["status"] == "succeeded", result["message"]
    script.assert_all_used()
    assert aws.operations("rds").count("FailoverGlobalCluster") == 2
    assert "re-issued 1 time(s)" in step(result, "wait_for_promotion")["detail"]
    assert switch_values(world) == [1.0]


def test_failover_state_that_lingers_after_the_target_writes_does_not_hold_the_run(world, aws, clock):
    """FailoverState is "empty unless a switchover or failover operation is scheduled or is in progress" (RDS API
    Reference, FailoverState); FailoverGlobalCluster(AllowDataLoss) is the answer to a Regional disaster and the old
    primary rejoins only when its Region is back (botocore rds documentation, FailoverGlobalCluster). The AWS
    documentation does not say whether the operation stays "in progress" until then, so here it does: the target
    is already the writer member (GlobalClusterMembers[].IsWriter) and its own cluster answers 'available'
    (DescribeDBClusters in the target region), while the global cluster keeps Status 'failing-over' and a
    FailoverState from the unreachable old primary. The run completes on that poll and moves traffic, far before
    PROMOTION_TIMEOUT_SECONDS (600 s); the old code waited for FailoverState to clear and timed out."""
    lingering = {"writer_region": SECONDARY_REGION, "status": "failing-over", "promoting_to": SECONDARY_REGION}
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").describe_global().promotion_call("failover")
    script.describe_global(status="failing-over", promoting_to=SECONDARY_REGION)  # poll 1: still promoting
    script.describe_global(**lingering).describe_cluster(SECONDARY_REGION, "available")  # poll 2: target writes
    for _ in range(3):
        aws.fail("autoscaling", PRIMARY_REGION, "DescribeAutoScalingGroups", HANG)  # the old primary's region is down
    started = clock()

    result = invoke(world, aws, clock, event("failover"))

    assert result["status"] == "succeeded", result["message"]
    script.assert_all_used()
    detail = step(result, "wait_for_promotion")["detail"]
    assert "after 2 poll(s)" in detail and "FailoverState 'failing-over'" in detail
    assert switch_values(world) == [1.0]
    assert clock() - started < 120  # one poll interval (15 s) and the fence (20 s), not the 600 s deadline
    assert aws.operations("rds").count("FailoverGlobalCluster") == 1


def test_a_writer_whose_cluster_is_not_yet_available_is_waited_for(world, aws, clock):
    """The writer flag alone is not completion: while the target's own cluster is not 'available'
    (DescribeDBClusters Status, e.g. 'failing-over') the run keeps polling, and the lingering FailoverState (a
    promotion to this target) never makes it call FailoverGlobalCluster again."""
    lingering = {"writer_region": SECONDARY_REGION, "status": "failing-over", "promoting_to": SECONDARY_REGION}
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").describe_global().promotion_call("failover")
    script.describe_global(**lingering).describe_cluster(SECONDARY_REGION, "failing-over")
    script.describe_global(**lingering).describe_cluster(SECONDARY_REGION, "available")

    result = invoke(world, aws, clock, event("failover"))

    assert result["status"] == "succeeded", result["message"]
    script.assert_all_used()
    assert "after 2 poll(s)" in step(result, "wait_for_promotion")["detail"]
    assert aws.operations("rds").count("FailoverGlobalCluster") == 1


def test_a_writer_while_a_promotion_to_another_cluster_is_in_progress_is_not_complete(world, aws, clock):
    """A FailoverState towards another cluster (ToDbClusterArn is the old primary: someone switches back) means
    this target is about to stop writing: not complete, whatever its own status, and the target's cluster is not
    even read for it (the Stubber would refuse an unqueued DescribeDBClusters). The run times out and says so."""
    away = {"writer_region": SECONDARY_REGION, "status": "switching-over", "promoting_to": PRIMARY_REGION}
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").describe_global().promotion_call("failover")
    for _ in range(41 + 1):  # PROMOTION_TIMEOUT_SECONDS 600 / POLL_INTERVAL_SECONDS 15 + the first poll; restore
        script.describe_global(**away, promotion_status="switching-over")

    result = invoke(world, aws, clock, event("failover"))

    assert result["status"] == "failed", result["message"]
    assert "not complete after 600 s" in result["message"]
    script.assert_all_used()


def test_lost_journal_write_after_the_promotion_call_is_finished_by_the_next_run(world, aws, clock):
    """A journal write (DynamoDB UpdateItem) can fail after the promotion call reached RDS. The next run must
    decide from live state (GlobalClusterMembers[].IsWriter, the switch item), not answer "already the writer:
    nothing to do" while DNS still points at the old region (what the old code did)."""
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").describe_global().promotion_call("failover")
    script.describe_global(status="failing-over", promoting_to=SECONDARY_REGION)  # restore: under way, kept
    down = EndpointConnectionError(endpoint_url="https://dynamodb.us-west-2.amazonaws.com/")
    # journal writes: preflight, acquire_lock, notify_start, size_target, the target's prior size, scale_target,
    # the old primary's prior size, standby_peer go through; promote fails
    aws.fail("dynamodb", SECONDARY_REGION, "UpdateItem", *[None] * 8, *[down] * 5)

    first = invoke(world, aws, clock, event("failover"), run_id="run-A")

    assert first["status"] == "failed" and "journal" in first["message"]
    assert world.lock_item(SECONDARY_REGION)["state"]["S"] == "failed"  # released although the journal failed
    clock.advance(120)  # RDS finished the promotion meanwhile
    script.describe_global(writer_region=SECONDARY_REGION).describe_cluster(SECONDARY_REGION)
    script.describe_global(writer_region=SECONDARY_REGION).wait(0)

    result = invoke(world, aws, clock, event("failover"), run_id="run-B")

    assert result["status"] == "succeeded", result["message"]
    script.assert_all_used()
    assert aws.operations("rds").count("FailoverGlobalCluster") == 1
    assert switch_values(world) == [1.0]
    assert world.switch_item(SECONDARY_REGION)["serving_region"]["S"] == SECONDARY_REGION


# ----- item 5: retries and time bounds -------------------------------------------------------------------------


def test_internal_failure_on_a_read_is_retried_not_a_failed_run(world, aws, clock):
    """InternalFailure (HTTP 500) is a common error of every AWS API and is retryable (AWS API Reference,
    Common Errors). One InternalFailure on DescribeGlobalClusters failed the old preflight."""
    aws.fail("rds", SECONDARY_REGION, "DescribeGlobalClusters", server_fault("InternalFailure"))
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").promotion("failover")

    result = invoke(world, aws, clock, event("failover"))

    assert result["status"] == "succeeded", result["message"]
    script.assert_all_used()


def test_resource_contention_on_scaling_is_retried_until_the_target_is_scaled(world, aws, clock):
    """UpdateAutoScalingGroup's ResourceContention: "You already have a pending update to an Amazon EC2 Auto
    Scaling resource", HTTP 500 (botocore autoscaling model, ResourceContentionFault). It is retried; the old
    code reported success with the target still at warm capacity."""
    contention = server_fault("ResourceContention")
    aws.fail("autoscaling", SECONDARY_REGION, "UpdateAutoScalingGroup", contention, contention)
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").promotion("failover")

    result = invoke(world, aws, clock, event("failover"))

    assert result["status"] == "succeeded", result["message"]
    script.assert_all_used()
    assert world.capacity(SECONDARY_REGION) == FULL_CAPACITY


def test_scaling_activity_in_progress_on_scaling_is_retried_until_the_target_is_scaled(world, aws, clock):
    """UpdateAutoScalingGroup's documented ScalingActivityInProgressFault (code ScalingActivityInProgress, HTTP 400:
    "The operation can't be performed because there are scaling activities in progress"; botocore autoscaling
    model). A warm group replacing an instance is in a scaling activity. The update sets absolute sizes, so it is
    repeated; the old code failed the whole regional failover on one such answer."""
    busy = server_fault("ScalingActivityInProgress", 400)
    aws.fail("autoscaling", SECONDARY_REGION, "UpdateAutoScalingGroup", busy, busy)
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").promotion("failover")

    result = invoke(world, aws, clock, event("failover"))

    assert result["status"] == "succeeded", result["message"]
    script.assert_all_used()
    assert world.capacity(SECONDARY_REGION) == FULL_CAPACITY


def test_persistent_scaling_failure_fails_the_run_before_any_promotion(world, aws, clock):
    """If the target cannot be scaled the run does not report success with a small target: it fails before
    calling the promotion API (the Stubber has no promotion queued: a call would raise)."""
    aws.fail("autoscaling", SECONDARY_REGION, "UpdateAutoScalingGroup", *[server_fault("ResourceContention")] * 5)
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover")

    result = invoke(world, aws, clock, event("failover"))

    assert result["status"] == "failed"
    assert step(result, "scale_target")["status"] == "failed"
    script.assert_all_used()
    assert "FailoverGlobalCluster" not in aws.operations("rds")


def test_no_call_outlives_the_lambda_time_budget(world, aws, clock):
    """Lambda ends an invocation at its timeout (context.get_remaining_time_in_millis). Here the target region's
    RDS API stops answering mid-wait: each attempt would hang for its whole read timeout (60 s by default) and
    the old code retried network errors five times (~300 s) with 100 s left. Every attempt's timeout is now
    capped by the time left, the run reports, and the lock is still released before the Lambda's end."""
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").describe_global().promotion_call("failover")
    aws.fail("rds", SECONDARY_REGION, "DescribeGlobalClusters", None, None, *[HANG] * 8)
    started = clock()

    result = handle_event(
        event("failover"),
        config=load_config(world.env(SECONDARY_REGION)),
        clients_factory=aws,
        clock=clock,
        sleep=clock.sleep,
        run_id="run-budget",
        time_budget_seconds=100,
    )

    assert result["status"] == "failed"
    script.assert_all_used()
    assert clock() - started <= 100
    lock = world.lock_item(SECONDARY_REGION)
    assert lock["state"]["S"] == "failed" and lock["lease_expires_at"]["N"] == "0"
    assert step(result, "notify_result")["status"] == "ok"  # the outcome is still reported


# ----- item 6: preflight gaps -----------------------------------------------------------------------------------


def test_switchover_refused_while_a_member_is_pending_resync(world, aws, clock):
    """GlobalClusterMembers[].SynchronizationStatus is 'connected' or 'pending-resync' (botocore rds model,
    GlobalClusterMemberSynchronizationStatus); a switchover loses no data only when every member is in sync,
    and RDS refuses it otherwise. The preflight refuses first, changing nothing (old code: scaled and called)."""
    script = RdsScript(aws, SECONDARY_REGION).preflight(
        "switchover", synchronization={PRIMARY_REGION: "connected", SECONDARY_REGION: "pending-resync"}
    )

    result = invoke(world, aws, clock, event("switchover"))

    assert result["status"] == "refused"
    assert "members_synchronized" in result["message"] and "pending-resync" in result["message"]
    script.assert_all_used()
    assert aws.changing_calls() == []


@pytest.mark.parametrize("process", ["Launch", "Terminate", "HealthCheck", "AddToLoadBalancer"])
def test_failover_refused_when_target_asg_has_a_blocking_process_suspended(world, aws, clock, process):
    """With Launch suspended the group "can't initiate scale-out activities"; HealthCheck, Terminate and
    AddToLoadBalancer suspended stop replacing or registering instances (Amazon EC2 Auto Scaling User Guide,
    "How suspended processes affect other processes"; DescribeAutoScalingGroups SuspendedProcesses)."""
    shared_client("autoscaling", SECONDARY_REGION).suspend_processes(
        AutoScalingGroupName=ASG_NAMES[SECONDARY_REGION], ScalingProcesses=[process]
    )
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover")

    result = invoke(world, aws, clock, event("failover"))

    assert result["status"] == "refused"
    assert "target_asg_processes" in result["message"] and process in result["message"]
    script.assert_all_used()
    assert aws.changing_calls() == []


def test_lock_is_released_when_the_run_fails_right_after_writing_it(world, aws, clock):
    """A failure right after the lock's PutItem (here: the first journal UpdateItem is refused) must not leave
    the lease held for LOCK_LEASE_SECONDS (the old code left it ~700 s and the next run skipped preflight)."""
    refused = ClientError({"Error": {"Code": "ValidationException", "Message": "bad"}}, "UpdateItem")
    aws.fail("dynamodb", SECONDARY_REGION, "UpdateItem", refused)
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover")

    result = invoke(world, aws, clock, event("failover"))

    assert result["status"] == "failed"
    script.assert_all_used()
    lock = world.lock_item(SECONDARY_REGION)
    assert lock["state"]["S"] == "failed" and lock["lease_expires_at"]["N"] == "0"


# ----- item 7: the region that stops serving keeps a warm standby ---------------------------------------------


def test_failover_leaves_the_old_primary_at_warm_standby_not_zero(world, aws, clock):
    """After a promotion the region that stops serving keeps the warm-standby capacity (STANDBY_MIN /
    STANDBY_DESIRED), so the next disaster has a standby. The old code set it to 0/0."""
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").promotion("failover")

    result = invoke(world, aws, clock, event("failover"))

    assert result["status"] == "succeeded", result["message"]
    script.assert_all_used()
    assert world.capacity(PRIMARY_REGION) == dataclasses.replace(WARM_CAPACITY, maximum=FULL_CAPACITY.maximum)


# ----- item 10: operators ---------------------------------------------------------------------------------------


def test_repeated_invocation_with_the_same_run_id_starts_nothing_and_status_reads_the_journal(world, aws, clock):
    """Lambda's asynchronous invocation (InvocationType Event) returns at once, and a CLI read timeout makes
    the CLI send the request again (AWS CLI retries). The caller's run_id is the idempotency key: the second
    invocation returns the first run's outcome and makes no promotion call (the Stubber has none queued)."""
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").promotion("failover")
    request = event("failover", run_id="ops-2026-11-28-1")

    first = invoke(world, aws, clock, request, run_id="lambda-request-1")
    again = invoke(world, aws, clock, request, run_id="lambda-request-2")
    status = invoke(
        world, aws, clock, {"mode": "status", "target_region": SECONDARY_REGION, "run_id": "ops-2026-11-28-1"}
    )

    assert first["status"] == "succeeded" and first["run_id"] == "ops-2026-11-28-1"
    assert again["status"] == "succeeded" and "started nothing" in again["message"]
    script.assert_all_used()
    assert aws.operations("rds").count("FailoverGlobalCluster") == 1
    assert status["status"] == "succeeded"
    assert [s["name"] for s in status["steps"]] == [s["name"] for s in first["steps"] if s["name"] != "release_lock"]


def test_status_of_a_run_in_progress_is_in_progress(world, aws, clock):
    """``status`` reads the journal (lock item) only: a live lease answers in_progress."""
    holder = LeaseLock(
        shared_client("dynamodb", SECONDARY_REGION),
        table_name=STATE_TABLE_NAME,
        global_cluster_id=GLOBAL_CLUSTER_ID,
        clock=clock,
        lease_seconds=900,
    )
    holder.acquire(
        run_id="ops-1", mode="failover", target_region=SECONDARY_REGION, reason="r", started_at=clock(), lag_seconds=1
    )

    status = invoke(world, aws, clock, {"mode": "status", "target_region": SECONDARY_REGION})
    duplicate = invoke(world, aws, clock, event("failover", run_id="ops-1"))

    assert status["status"] == "in_progress" and status["run_id"] == "ops-1"
    assert duplicate["status"] == "in_progress"
    assert aws.changing_calls() == []


def test_dry_run_against_a_target_that_is_already_the_writer_reports_dry_run(world, aws, clock):
    """A dry run never reports a real outcome: with the target already the writer it says dry_run."""
    shared_client("autoscaling", SECONDARY_REGION).update_auto_scaling_group(
        AutoScalingGroupName=ASG_NAMES[SECONDARY_REGION], MinSize=2, MaxSize=6, DesiredCapacity=4
    )
    write_switch(
        shared_client("dynamodb", SECONDARY_REGION),
        table_name=STATE_TABLE_NAME,
        global_cluster_id=GLOBAL_CLUSTER_ID,
        primary_fenced=True,
        serving_region=SECONDARY_REGION,
        run_id="earlier",
        now=clock(),
    )
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover", writer_region=SECONDARY_REGION)

    result = invoke(world, aws, clock, event("failover", dry_run=True))

    assert result["status"] == "dry_run"
    script.assert_all_used()
    assert aws.changing_calls() == []


def test_failback_during_a_secondary_outage_records_the_unfence_where_it_can_be_written(world, aws, clock):
    """FailoverGlobalCluster with AllowDataLoss is the documented response to a Regional disaster
    (botocore rds): here us-west-2 (writer, serving, the traffic-switch region) is lost and the operator fails
    back with us-east-1's function. us-west-2's DynamoDB and CloudWatch do not answer, so the switch there cannot
    be written; the run records primary_fenced=0 in its own replica (global-table replication carries it over
    when us-west-2 returns), its message names an action that works while us-west-2 is down (disabling the
    switch health check: Route53 treats a disabled check as healthy), and when us-west-2 returns half-alive its
    keeper, seeing us-east-1 as the writer in its own DescribeGlobalClusters, publishes 0, not the stale 1."""
    write_switch(
        shared_client("dynamodb", SECONDARY_REGION),
        table_name=STATE_TABLE_NAME,
        global_cluster_id=GLOBAL_CLUSTER_ID,
        primary_fenced=True,
        serving_region=SECONDARY_REGION,
        run_id="earlier-failover",
        now=clock() - 86400,
    )
    for service, operation in (
        ("autoscaling", "DescribeAutoScalingGroups"),
        ("dynamodb", "PutItem"),
        ("cloudwatch", "PutMetricData"),
    ):
        aws.fail(service, SECONDARY_REGION, operation, *[HANG] * 10)
    script = RdsScript(aws, PRIMARY_REGION).preflight("failover").promotion("failover")

    result = invoke(world, aws, clock, event("failover", target=PRIMARY_REGION), target=PRIMARY_REGION)
    script.assert_all_used()
    aws.close()  # us-west-2 comes back

    assert result["status"] == "failed"
    message = step(result, "switch_traffic")["detail"]
    assert "--region us-west-2" not in message and "update-health-check" in message
    local = world.switch_item(PRIMARY_REGION)
    assert local["primary_fenced"]["N"] == "0" and local["serving_region"]["S"] == PRIMARY_REGION
    assert float(local["updated_at"]["N"]) > float(world.switch_item(SECONDARY_REGION)["updated_at"]["N"])

    rds = boto3.client("rds", region_name=SECONDARY_REGION)
    stubber = Stubber(rds)
    stubber.add_response(
        "describe_global_clusters",
        global_cluster_response(writer_region=PRIMARY_REGION),
        {"GlobalClusterIdentifier": GLOBAL_CLUSTER_ID},
    )
    stubber.activate()
    keeper_env = {
        contract.STATE_TABLE_NAME: STATE_TABLE_NAME,
        contract.GLOBAL_CLUSTER_ID: GLOBAL_CLUSTER_ID,
        contract.METRIC_NAMESPACE_VARIABLE: contract.METRIC_NAMESPACE,
        contract.TRAFFIC_SWITCH_METRIC_VARIABLE: contract.TRAFFIC_SWITCH_METRIC,
    }
    with pytest.raises(keeper.StaleFence):
        keeper.handler(
            {},
            None,
            dynamodb=shared_client("dynamodb", SECONDARY_REGION),
            cloudwatch=shared_client("cloudwatch", SECONDARY_REGION),
            rds=rds,
            environ=keeper_env,
        )
    published = world.metric_values(SECONDARY_REGION, SWITCH_METRIC, SWITCH)
    assert published and max(published) == 0.0


# ----- a failed poll after the promotion was accepted, a lost promotion answer, a switchover's end ------


def test_throttled_polls_after_the_promotion_was_accepted_are_unknown_and_polled_again(world, aws, clock):
    """RDS throttles API requests per account and Region (a throttled request was not executed, botocore's
    "Throttling" error); during a regional event the surviving region's API is busy. FailoverGlobalCluster was
    accepted, so a DescribeGlobalClusters poll that fails on every one of its attempts says nothing about the
    promotion: the wait polls again, the promotion completes, and traffic moves. The old code failed the run after
    the accepted promotion, restored nothing and never wrote the switch."""
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").describe_global().promotion_call("failover")
    # preflight's and promote's reads go through; the first poll is throttled on each of its 5 attempts
    aws.fail("rds", SECONDARY_REGION, "DescribeGlobalClusters", None, None, *[throttling()] * 5)
    script.wait(1)

    result = invoke(world, aws, clock, event("failover"))

    assert result["status"] == "succeeded", result["message"]
    script.assert_all_used()
    assert "1 poll(s) without an answer" in step(result, "wait_for_promotion")["detail"]
    assert aws.operations("rds").count("FailoverGlobalCluster") == 1
    assert switch_values(world) == [1.0]


def test_lost_promotion_answer_whose_failoverstate_appears_only_on_the_second_read_is_not_sent_twice(world, aws, clock):
    """A read timeout means the request was sent and no answer came back: RDS may still be accepting it.
    FailoverGlobalCluster has no idempotency token (RDS API Reference: GlobalClusterIdentifier,
    TargetDbClusterIdentifier, AllowDataLoss, Switchover), and FailoverState is "empty unless a switchover or
    failover operation is scheduled or is in progress", so an empty FailoverState right after the lost call does
    not prove nothing is in flight. Here it shows on the second poll: the call is not sent again (the Stubber
    would refuse an unqueued second FailoverGlobalCluster). The old code re-issued at the first poll."""
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").describe_global()
    aws.fail("rds", SECONDARY_REGION, "FailoverGlobalCluster", ReadTimeoutError(endpoint_url=RDS_URL))
    script.describe_global()  # promote's read after the lost answer: FailoverState not there yet
    script.describe_global()  # first poll, same instant: still not there
    script.describe_global(status="failing-over", promoting_to=SECONDARY_REGION)  # second poll: it took
    script.describe_global(writer_region=SECONDARY_REGION)

    result = invoke(world, aws, clock, event("failover"))

    assert result["status"] == "succeeded", result["message"]
    script.assert_all_used()
    assert aws.operations("rds").count("FailoverGlobalCluster") == 1
    assert switch_values(world) == [1.0]


def test_a_re_issue_refused_because_the_lost_call_is_now_in_progress_looks_again(world, aws, clock):
    """FailoverGlobalCluster refuses a call while another is in progress with InvalidGlobalClusterStateFault (a
    documented error of the operation, botocore rds model). After a lost answer and FailoverState absent for the
    grace (2 polls, 30 s), the re-issue meets the first call now in progress: that refusal means "look again",
    not "refused"; the next poll shows the promotion and the run finishes. The old code re-issued in the same
    second and failed the run on that refusal, leaving the promotion running and the traffic switch unwritten."""
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").describe_global()
    aws.fail("rds", SECONDARY_REGION, "FailoverGlobalCluster", ReadTimeoutError(endpoint_url=RDS_URL))
    for _ in range(4):  # promote's read, then polls at +0, +15, +30 s: FailoverState absent
        script.describe_global()
    script.promotion_refused("failover")  # the re-issue at +30 s: the first call is in progress by now
    script.describe_global(status="failing-over", promoting_to=SECONDARY_REGION)
    script.describe_global(writer_region=SECONDARY_REGION)

    result = invoke(world, aws, clock, event("failover"))

    assert result["status"] == "succeeded", result["message"]
    script.assert_all_used()
    assert aws.operations("rds").count("FailoverGlobalCluster") == 2
    detail = step(result, "wait_for_promotion")["detail"]
    assert "after 5 poll(s); promotion re-issued 1 time(s)" in detail
    assert step(result, "wait_for_promotion")["seconds"] >= 30.0 + 2 * 15  # grace, then two more polls
    assert switch_values(world) == [1.0]


def test_a_lost_call_that_never_reached_rds_is_re_issued_after_the_grace_within_the_deadline(world, aws, clock):
    """The other side of a lost answer: the request never reached RDS (FailoverState stays empty, "empty unless a
    switchover or failover operation is scheduled or is in progress"). After the grace (FailoverState absent on 2
    polls and for 30 s after the lost call) the call is sent again, once, well before PROMOTION_TIMEOUT_SECONDS,
    and the run finishes. The old code re-issued at the first poll, in the same second as the lost call."""
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").describe_global()
    aws.fail("rds", SECONDARY_REGION, "FailoverGlobalCluster", ReadTimeoutError(endpoint_url=RDS_URL))
    script.describe_global()  # promote's read after the lost answer
    script.describe_global()  # poll at +0 s: absent, within the grace
    script.describe_global()  # poll at +15 s: absent, within the grace
    script.describe_global().promotion_call("failover")  # poll at +30 s: grace over, re-issued
    script.wait(1)

    result = invoke(world, aws, clock, event("failover"))

    assert result["status"] == "succeeded", result["message"]
    script.assert_all_used()
    assert aws.operations("rds").count("FailoverGlobalCluster") == 2
    wait = step(result, "wait_for_promotion")
    assert "after 5 poll(s); promotion re-issued 1 time(s)" in wait["detail"]
    assert 30.0 <= wait["seconds"] < 600.0
    assert switch_values(world) == [1.0]


def test_a_switchover_waits_for_failoverstate_to_clear_even_when_the_target_already_writes(world, aws, clock):
    """The early completion (target IsWriter and its own cluster 'available' while FailoverState lingers) exists
    for a failover whose old primary's region is down. A switchover's old primary is reachable, and RDS documents
    FailoverState 'cancelling' as "the primary ... and the selected secondary ... are returning to their previous
    states" (RDS API Reference, FailoverState); whether IsWriter can flip before the point of no return is not
    documented. So a switchover is complete only once FailoverState is gone: the target's cluster is not even read
    for it (the Stubber refuses an unqueued DescribeDBClusters), and traffic moves after the next poll. The old
    code completed on the first poll and moved traffic while the switchover could still be cancelled."""
    switching = {"writer_region": SECONDARY_REGION, "status": "switching-over", "promoting_to": SECONDARY_REGION}
    script = RdsScript(aws, SECONDARY_REGION).preflight("switchover").describe_global().promotion_call("switchover")
    script.describe_global(**switching, promotion_status="switching-over")  # poll 1: target writes, not finished
    script.describe_global(writer_region=SECONDARY_REGION)  # poll 2: FailoverState gone, global cluster available

    result = invoke(world, aws, clock, event("switchover"))

    assert result["status"] == "succeeded", result["message"]
    script.assert_all_used()
    assert "after 2 poll(s)" in step(result, "wait_for_promotion")["detail"]
    assert step(result, "wait_for_promotion")["seconds"] == 15.0
    assert aws.operations("rds").count("SwitchoverGlobalCluster") == 1


# ----- two runs in two regions at once (the lock is a global table, MREC) --------------


def test_switchover_holds_the_instances_to_the_capacity_it_set_not_the_groups_current_desired(world, aws, clock):
    """DesiredCapacity is whatever the group was last set to (DescribeAutoScalingGroups, botocore autoscaling
    model): a scale-in policy or another caller's UpdateAutoScalingGroup lowers it after scale_target raised it
    (Auto Scaling User Guide, dynamic scaling). Here it reads 1 with that 1 instance InService. A planned
    switchover must still wait for the 4 instances it set, and refuse before SwitchoverGlobalCluster (the
    Stubber has none queued) when they do not come; the old code passed with 1 of 1."""
    script = RdsScript(aws, SECONDARY_REGION).preflight("switchover").describe_global()
    lowered = _asg_with_pending_instances(1, 1)
    aws.answer("autoscaling", SECONDARY_REGION, "DescribeAutoScalingGroups", None, None, None, *[lowered] * 40)

    result = invoke(world, aws, clock, event("switchover"))

    wait = step(result, "wait_for_target_capacity")
    assert wait["status"] == "failed", result["message"]
    assert "1 of the 4" in wait["detail"] and "DesiredCapacity now reads 1, below the 4 this run set" in wait["detail"]
    assert "SwitchoverGlobalCluster" not in aws.operations("rds")
    assert result["status"] == "failed"
    script.assert_all_used()


def _lease_in(region: str, *, run_id: str, expires_at: float, now: float) -> None:
    """A run's lock item written in ``region``'s replica only (not replicated yet)."""
    shared_client("dynamodb", region).put_item(
        TableName=STATE_TABLE_NAME,
        Item={
            "pk": {"S": f"{contract.LOCK_ITEM_PREFIX}{GLOBAL_CLUSTER_ID}"},
            "run_id": {"S": run_id},
            "mode": {"S": "switchover"},
            "target_region": {"S": region},
            "reason": {"S": "planned region move"},
            "state": {"S": "running"},
            "started_at": {"N": str(now - 30)},
            "lease_expires_at": {"N": str(expires_at)},
            "updated_at": {"N": str(now - 1)},
            "steps": {"L": []},
            "asg_before": {"M": {}},
        },
    )


@pytest.mark.parametrize("lease_live", [True, False], ids=["live-lease", "expired-lease"])
def test_a_failover_does_not_reduce_a_region_whose_lock_replica_holds_another_runs_live_lease(
    world, aws, clock, lease_live
):
    """The state table is a 2019.11.21 global table in multi-Region eventual consistency: a condition
    expression is evaluated in the local replica only, replication is asynchronous with no documented bound,
    and concurrent writes resolve last-writer-wins (DynamoDB Developer Guide, "Global tables: How it works",
    consistency modes). So run A (a switchover to us-west-2 that raised app-us-west-2 to 2/4/6 and holds the
    lease in us-west-2's replica) may be invisible to us-east-1's replica, and run B there (failover to
    us-east-1) acquires. Before standby_peer reduces us-west-2, B reads us-west-2's replica (GetItem,
    ConsistentRead, bounded by the fence) and stops before any promotion call when it holds another run's live
    lease; an expired lease (a crashed run) does not stop it. The old code set app-us-west-2 to 1/1."""
    now = clock()
    _lease_in(SECONDARY_REGION, run_id="switchover-A", expires_at=now + (870 if lease_live else -5), now=now)
    shared_client("autoscaling", SECONDARY_REGION).update_auto_scaling_group(
        AutoScalingGroupName=ASG_NAMES[SECONDARY_REGION], MinSize=2, MaxSize=6, DesiredCapacity=4
    )
    script = RdsScript(aws, PRIMARY_REGION).preflight("failover", writer_region=PRIMARY_REGION)
    if not lease_live:  # promote and wait find us-east-1 already the writer
        script.describe_global(writer_region=PRIMARY_REGION).describe_global(writer_region=PRIMARY_REGION)

    result = invoke(world, aws, clock, event("failover", target=PRIMARY_REGION), target=PRIMARY_REGION, run_id="B")

    west = world.capacity(SECONDARY_REGION)
    if lease_live:
        assert result["status"] == "failed", result["message"]
        standby = step(result, "standby_peer")
        assert standby["status"] == "failed" and "switchover-A" in standby["detail"]
        assert "refused before the promotion call" in standby["detail"]
        assert "FailoverGlobalCluster" not in aws.operations("rds")
        assert (west.minimum, west.desired) == (2, 4), f"run A's target app-us-west-2 reduced to {west}"
        assert world.switch_item(SECONDARY_REGION) is None
    else:
        assert result["status"] == "succeeded", result["message"]
        assert (west.minimum, west.desired) == (WARM_CAPACITY.minimum, WARM_CAPACITY.desired)
    script.assert_all_used()
