# ruff: noqa: F811 - the shared fixtures (support.harness) are imported by name and requested as arguments
"""Automatic failover needs two independent signals that the primary is down, never missing data alone.

The trigger (``"trigger": "automatic"``) comes from a CloudWatch alarm on the probe metric; CloudWatch can treat
missing data as breaching ("Configuring how CloudWatch alarms treat missing data", CloudWatch User Guide), so a
silent probe alone must never fail over a healthy primary with ``AllowDataLoss``. The second signal is read from
outside the probe: the Route53 checkers' observations of the primary ALB (GetHealthCheckStatus,
HealthCheckObservations[].StatusReport.Status) or the primary region's RDS API (DescribeDBClusters). ARC Region
switch triggers likewise enforce a minimum delay between automatic runs.
"""

from __future__ import annotations

from support.drill import HANG, PRIMARY_REGION, SECONDARY_REGION, WARM_CAPACITY, RdsScript
from support.harness import aws, clock, event, fake_aws_credentials, invoke, step, world  # noqa: F401

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
    assert "probe: DOWN" in _confirmation(result) and "RDS: no" in _confirmation(result)
    script.assert_all_used()
    assert aws.changing_calls() == []


def test_failing_probe_and_an_unreachable_primary_region_fail_over(world, aws, clock):
    """Two independent signals: the probe's datapoints are all failures, and the primary region's RDS API does
    not answer within FENCE_TIMEOUT_SECONDS."""
    world.put_probe(SECONDARY_REGION, [0.0, 0.0, 0.0])
    aws.fail("rds", PRIMARY_REGION, "DescribeDBClusters", HANG, HANG, HANG)
    aws.fail("autoscaling", PRIMARY_REGION, "DescribeAutoScalingGroups", HANG, HANG, HANG)
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").promotion("failover")

    result = invoke(world, aws, clock, event("failover", **AUTOMATIC))

    assert result["status"] == "succeeded", result["message"]
    script.assert_all_used()
    assert "RDS: DOWN" in _confirmation(result)


def test_a_second_automatic_run_within_the_minimum_interval_starts_nothing(world, aws, clock):
    world.put_probe(SECONDARY_REGION, [0.0, 0.0, 0.0])
    aws.fail("rds", PRIMARY_REGION, "DescribeDBClusters", *[HANG] * 6)
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").describe_global()
    script.promotion_refused("failover").describe_global()
    first = invoke(world, aws, clock, event("failover", **AUTOMATIC), run_id="auto-1")
    assert first["status"] == "failed"

    clock.advance(600)  # the alarm fires again ten minutes later (AUTOMATIC_MIN_INTERVAL_SECONDS: 3600)
    world.put_probe(SECONDARY_REGION, [0.0, 0.0, 0.0])
    script.preflight("failover")
    second = invoke(world, aws, clock, event("failover", **AUTOMATIC), run_id="auto-2")

    assert second["status"] == "refused"
    assert "AUTOMATIC_MIN_INTERVAL_SECONDS=3600" in second["message"]
    script.assert_all_used()
    assert aws.operations("rds").count("FailoverGlobalCluster") == 1
    assert world.lock_item(SECONDARY_REGION)["state"]["S"] == "failed"  # released, not held


def test_automatic_trigger_is_only_for_failover(world, aws, clock):
    result = invoke(world, aws, clock, event("switchover", **AUTOMATIC))

    assert result["status"] == "invalid" and result["field"] == "trigger"
    assert aws.calls == []
