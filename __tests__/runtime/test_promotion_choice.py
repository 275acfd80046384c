"""A failover run calls the least-lossy promotion live state allows.

RDS API Reference: SwitchoverGlobalCluster synchronizes "all secondary clusters ... with the primary at the
beginning of the process so the new primary continues operations ... without losing any data"; FailoverGlobalCluster
with AllowDataLoss ("Allowing data loss triggers a global failover operation") "can result in a loss of write
transaction data". DescribeGlobalClusters: GlobalClusterMembers[].SynchronizationStatus ('connected' or
'pending-resync') and FailoverState ("empty unless a switchover or failover operation is scheduled or is in
progress"; IsDataLossAllowed tells a failover from a switchover). Aurora User Guide, "Viewing DB cluster status":
the DB cluster status table. ARC Region switch keeps the two as distinct Aurora execution blocks.

So a failover run whose writer region can take part (its RDS API answers 'available', every member is 'connected',
the lag is within the RPO) switches the database over and fails the app tier over as planned; AllowDataLoss is
only for a writer region that cannot take part. RDS goes through botocore's Stubber, which raises on any call that
was not queued: "FailoverGlobalCluster was not called" is enforced.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from support.drill import (
    FULL_CAPACITY,
    HANG,
    PRIMARY_REGION,
    SECONDARY_REGION,
    WARM_CAPACITY,
    RdsScript,
    route53_observations,
)
from support.harness import event, invoke, step

FAILING = "Failure: HTTP Status Code 503, Service Unavailable"
AUTOMATIC = {"trigger": "automatic", "reason": "automatic: primary endpoint probe failed from the secondary region"}
PRIMARY_RDS_URL = "https://rds.us-east-1.amazonaws.com/"
# Aurora User Guide, DB cluster status table: every documented status but 'available'. SwitchoverGlobalCluster needs
# the writer cluster 'available'; with any other, its region cannot take part.
NOT_AVAILABLE_STATUSES = (
    "backing-up",
    "backtracking",
    "cloning-failed",
    "creating",
    "deleting",
    "failing-over",
    "inaccessible-encryption-credentials",
    "inaccessible-encryption-credentials-recoverable",
    "maintenance",
    "migrating",
    "migration-failed",
    "modifying",
    "promoting",
    "renaming",
    "resetting-master-credentials",
    "starting",
    "stopped",
    "stopping",
    "storage-optimization",
    "update-iam-db-auth",
    "upgrading",
)


def _switchover_wait(script: RdsScript, polls: int = 2) -> RdsScript:
    """Switchover polls: FailoverState present (IsDataLossAllowed false: a switchover), then the target writes."""
    for _ in range(polls):
        script.describe_global(status="switching-over", promoting_to=SECONDARY_REGION, promotion_status="pending")
    return script.describe_global(writer_region=SECONDARY_REGION)


def _app_tier_outage(world, aws):
    """The probe fails and 7 of 8 Route53 checkers report Failure: the primary's app is down."""
    world.put_probe(SECONDARY_REGION, [0.0, 0.0, 0.0])
    aws.answer("route53", SECONDARY_REGION, "GetHealthCheckStatus", route53_observations(*[FAILING] * 7, "Success"))


def test_an_app_tier_outage_with_a_healthy_connected_database_is_switched_over(world, aws, clock):
    """An ALB-only outage: probe and Route53 checkers say the primary's app is down (confirmed), but the primary
    cluster answers 'available' with every member 'connected' and 1.8 s of lag. SwitchoverGlobalCluster is called
    (no AllowDataLoss, no FailoverGlobalCluster), the app tier fails over as planned, and the result, the
    notification and the data-loss window say which promotion was chosen and why."""
    _app_tier_outage(world, aws)
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").describe_cluster(PRIMARY_REGION, "available")
    script.describe_global().describe_cluster(PRIMARY_REGION, "available").promotion_call("switchover")
    _switchover_wait(script)

    result = invoke(world, aws, clock, event("failover", **AUTOMATIC))

    assert result["status"] == "succeeded", result["message"]
    script.assert_all_used()
    assert "FailoverGlobalCluster" not in aws.operations("rds")
    assert aws.operations("rds").count("SwitchoverGlobalCluster") == 1
    assert result["promotion"]["api"] == "SwitchoverGlobalCluster"
    assert result["promotion"]["allow_data_loss"] is False
    assert "'available', every member 'connected'" in result["promotion"]["why"]
    assert result["data_loss_window_seconds"] == 0.0
    assert "promotion SwitchoverGlobalCluster" in result["message"]
    serving = world.capacity(PRIMARY_REGION)
    assert (serving.minimum, serving.desired) == (WARM_CAPACITY.minimum, WARM_CAPACITY.desired)  # app tier failed over
    outcome = [n["body"] for n in world.notifications(SECONDARY_REGION) if n["body"]["event"] == "succeeded"]
    assert [body["promotion"]["api"] for body in outcome] == ["SwitchoverGlobalCluster"]


def test_an_operator_failover_of_a_healthy_database_is_switched_over(world, aws, clock):
    """The same rule for an operator's failover: the writer region takes part, so nothing is lost."""
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").describe_global()
    script.describe_cluster(PRIMARY_REGION, "available").promotion_call("switchover")
    _switchover_wait(script)

    result = invoke(world, aws, clock, event("failover"))

    assert result["status"] == "succeeded", result["message"]
    script.assert_all_used()
    assert result["promotion"]["api"] == "SwitchoverGlobalCluster"
    assert "FailoverGlobalCluster" not in aws.operations("rds")


@pytest.mark.parametrize("status", NOT_AVAILABLE_STATUSES)
def test_a_writer_cluster_that_is_not_available_is_failed_over_with_data_loss(world, aws, clock, status):
    """The writer cluster answers a documented status other than 'available': its region cannot take part in a
    switchover, so FailoverGlobalCluster(AllowDataLoss=True), and the result says why."""
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").describe_global()
    script.describe_cluster(PRIMARY_REGION, status).promotion_call("failover").wait(1)

    result = invoke(world, aws, clock, event("failover"))

    assert result["status"] == "succeeded", result["message"]
    script.assert_all_used()
    assert result["promotion"]["api"] == "FailoverGlobalCluster" and result["promotion"]["allow_data_loss"]
    assert f"is {status!r}: the writer's region cannot take part" in result["promotion"]["why"]
    assert result["data_loss_window_seconds"] == 1.8


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param([HANG, HANG, HANG], id="timeouts"),
        pytest.param([EndpointConnectionError(endpoint_url=PRIMARY_RDS_URL)] * 3, id="unreachable"),
        pytest.param([ReadTimeoutError(endpoint_url=PRIMARY_RDS_URL)] * 3, id="lost-responses"),
    ],
)
def test_a_writer_region_whose_rds_does_not_answer_is_failed_over_within_the_fence(world, aws, clock, fault):
    """The writer region's RDS API does not answer (connect timeouts, no route, answers lost): its region cannot take
    part, FailoverGlobalCluster(AllowDataLoss). The read shares FENCE_TIMEOUT_SECONDS (20 s) with standby_peer: from
    the start of standby_peer to the promotion call, at most the fence term of the budget."""
    aws.fail("rds", PRIMARY_REGION, "DescribeDBClusters", *fault)
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").promotion("failover", polls_before_writer=1)

    result = invoke(world, aws, clock, event("failover"))

    assert result["status"] == "succeeded", result["message"]
    script.assert_all_used()
    assert result["promotion"]["api"] == "FailoverGlobalCluster"
    assert "RDS API did not answer" in result["promotion"]["why"]
    assert step(result, "standby_peer")["seconds"] + step(result, "promote")["seconds"] <= 20


def test_members_not_connected_are_failed_over_without_asking_the_writer_region(world, aws, clock):
    """A member is 'pending-resync' (GlobalClusterMembers[].SynchronizationStatus): a switchover cannot synchronize
    it; FailoverGlobalCluster(AllowDataLoss), and the writer region is not asked (no time spent on it)."""
    pending = {"synchronization": {SECONDARY_REGION: "pending-resync"}}
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover", **pending).describe_global(**pending)
    script.promotion_call("failover").wait(1)

    result = invoke(world, aws, clock, event("failover"))

    assert result["status"] == "succeeded", result["message"]
    script.assert_all_used()
    assert "'pending-resync'" in result["promotion"]["why"]
    assert ("rds", PRIMARY_REGION, "DescribeDBClusters") not in aws.calls


@pytest.mark.parametrize("world", [400_000.0], indirect=True)
def test_lag_above_the_rpo_is_failed_over(world, aws, clock):
    """AuroraGlobalDBReplicationLag 400 s, above the 300 s RPO: the bar a switchover mode run refuses at; a failover
    run fails over with AllowDataLoss rather than waiting for the members to synchronize."""
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").promotion("failover", polls_before_writer=1)

    result = invoke(world, aws, clock, event("failover"))

    assert result["status"] == "succeeded", result["message"]
    script.assert_all_used()
    assert "replication lag 400.000 s above the RPO 300 s" in result["promotion"]["why"]


def test_a_refused_switchover_with_the_writer_region_answering_fails_without_data_loss(world, aws, clock):
    """RDS refuses the chosen SwitchoverGlobalCluster (InvalidDBClusterStateFault, a documented error); FailoverState
    is absent and the writer region still answers, so no failover with AllowDataLoss follows: the run fails, every
    ASG it changed is restored, and the result names the switchover and why it was chosen."""
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").describe_global()
    script.describe_cluster(PRIMARY_REGION, "available").promotion_refused("switchover", "InvalidDBClusterStateFault")
    script.describe_global().describe_cluster(PRIMARY_REGION, "available")  # the fall-back's look
    script.describe_global()  # restore_capacity: nothing in progress

    result = invoke(world, aws, clock, event("failover"))

    assert result["status"] == "failed", result["message"]
    script.assert_all_used()
    assert "FailoverGlobalCluster" not in aws.operations("rds")
    assert result["promotion"]["api"] == "SwitchoverGlobalCluster"
    assert world.capacity(PRIMARY_REGION) == FULL_CAPACITY
    assert world.capacity(SECONDARY_REGION) == WARM_CAPACITY


def test_a_refused_switchover_falls_back_to_one_failover_once_the_writer_region_stops_answering(world, aws, clock):
    """The writer region answered 'available' when the switchover was chosen, RDS refused it, FailoverState is
    absent, and the writer region now does not answer: one FailoverGlobalCluster(AllowDataLoss); the result says it
    fell back and why."""
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").describe_global()
    script.describe_cluster(PRIMARY_REGION, "available").promotion_refused("switchover", "InvalidDBClusterStateFault")
    script.describe_global().promotion_call("failover").wait(1)
    endpoint = EndpointConnectionError(endpoint_url=PRIMARY_RDS_URL)
    aws.fail("rds", PRIMARY_REGION, "DescribeDBClusters", None, endpoint, endpoint, endpoint)

    result = invoke(world, aws, clock, event("failover"))

    assert result["status"] == "succeeded", result["message"]
    script.assert_all_used()
    assert aws.operations("rds").count("FailoverGlobalCluster") == 1
    assert result["promotion"]["api"] == "FailoverGlobalCluster"
    assert "SwitchoverGlobalCluster refused" in result["promotion"]["why"]
    assert "fell back to a failover" in result["promotion"]["why"]


def test_a_switchover_in_progress_is_never_doubled_by_a_failover(world, aws, clock):
    """The chosen switchover is in progress (FailoverState present) when the writer region stops answering and the
    promotion deadline passes: no FailoverGlobalCluster while FailoverState shows a promotion; the run fails with
    the timeout (re-invoke to resume), nothing else is called."""
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").describe_global()
    script.describe_cluster(PRIMARY_REGION, "available").promotion_call("switchover")
    polls = 600 // 15 + 1
    for _ in range(polls):
        script.describe_global(status="switching-over", promoting_to=SECONDARY_REGION, promotion_status="pending")
    aws.fail("rds", PRIMARY_REGION, "DescribeDBClusters", None, *[HANG] * 9)
    script.describe_global(status="switching-over", promoting_to=SECONDARY_REGION, promotion_status="pending")

    result = invoke(world, aws, clock, event("failover"))

    assert result["status"] == "failed", result["message"]
    assert "not complete after" in step(result, "wait_for_promotion")["detail"]
    assert "FailoverGlobalCluster" not in aws.operations("rds")
    assert aws.operations("rds").count("SwitchoverGlobalCluster") == 1


def test_a_switchover_that_vanished_falls_back_to_a_failover_only_without_the_writer_region(world, aws, clock):
    """RDS accepted the switchover, then FailoverState cleared with the target not the writer (cancelled). The
    writer region no longer answers: one FailoverGlobalCluster(AllowDataLoss), never while FailoverState is
    present."""
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").describe_global()
    script.describe_cluster(PRIMARY_REGION, "available").promotion_call("switchover")
    script.describe_global()  # poll 1: FailoverState absent, the peer still writes
    script.describe_global()  # the fall-back's look: still absent
    script.promotion_call("failover").wait(1)
    endpoint = EndpointConnectionError(endpoint_url=PRIMARY_RDS_URL)
    aws.fail("rds", PRIMARY_REGION, "DescribeDBClusters", None, endpoint, endpoint, endpoint)

    result = invoke(world, aws, clock, event("failover"))

    assert result["status"] == "succeeded", result["message"]
    script.assert_all_used()
    assert aws.operations("rds").count("SwitchoverGlobalCluster") == 1
    assert aws.operations("rds").count("FailoverGlobalCluster") == 1
    assert "the switchover vanished" in result["promotion"]["why"]


def test_a_run_that_finds_a_switchover_in_progress_waits_for_it_as_a_switchover(world, aws, clock):
    """A failover run (re-invoked after a crash, say) finds a promotion towards its target already in progress whose
    FailoverState.IsDataLossAllowed is false: "If data loss is allowed, then the operation is a global failover.
    Otherwise, it's a switchover" (RDS API Reference, FailoverState). No promotion call; it is waited for as a
    switchover: not complete while FailoverState is present, even with the target shown as the writer; the result
    names the switchover and a data-loss window of 0."""
    in_progress = {"promoting_to": SECONDARY_REGION, "promotion_status": "pending", "status": "switching-over"}
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover", **in_progress).describe_global(**in_progress)
    script.describe_global(writer_region=SECONDARY_REGION, **in_progress)  # IsWriter, FailoverState still there
    script.describe_global(writer_region=SECONDARY_REGION)

    result = invoke(world, aws, clock, event("failover"))

    assert result["status"] == "succeeded", result["message"]
    script.assert_all_used()
    assert "SwitchoverGlobalCluster" not in aws.operations("rds")
    assert "FailoverGlobalCluster" not in aws.operations("rds")
    assert "after 2 poll(s)" in step(result, "wait_for_promotion")["detail"]
    assert result["promotion"]["api"] == "SwitchoverGlobalCluster"
    assert "already in progress" in result["promotion"]["why"]
    assert result["data_loss_window_seconds"] == 0.0


def test_a_dry_run_failover_says_a_switchover_is_chosen_when_the_writer_region_takes_part(world, aws, clock):
    """A dry run changes nothing and its plan says how the promotion will be chosen."""
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover")

    result = invoke(world, aws, clock, event("failover", dry_run=True))

    assert result["status"] == "dry_run", result["message"]
    script.assert_all_used()
    assert aws.changing_calls() == []
    assert "SwitchoverGlobalCluster instead (no data loss)" in step(result, "promote")["detail"]
