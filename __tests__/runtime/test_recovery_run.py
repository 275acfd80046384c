"""A failover run with the recovery operations on: capacity sized from the serving region's 24 h peak,
end-to-end recovery time from the first failed probe datapoint until the target serves, database capacity
matched, and the run report written and linked from the SNS result.

moto serves the regions (CloudWatch, Auto Scaling, DynamoDB, SNS, S3, KMS); RDS and ELBv2 go through
botocore's Stubber (requests validated against the service models, unqueued calls refused).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import Stubber
from dr_failover.run.plan import step_names
from support.drill import (
    ASG_NAMES,
    CLUSTER_IDS,
    GLOBAL_CLUSTER_ID,
    METRIC_NAMESPACE,
    PRIMARY_REGION,
    SECONDARY_REGION,
    RdsScript,
    shared_client,
)
from support.harness import event, invoke, step

TARGET_GROUP_ARN = "arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/app-secondary/0123456789abcdef"
BUCKET = "app-secondary-runs-123456789012"


class WithTargetGroup:
    """The SimulatedAws factory plus a Stubber-wrapped ELBv2 client answering DescribeTargetHealth in turn."""

    def __init__(self, inner, healthy_per_poll):
        self.inner = inner
        self.elbv2 = boto3.client("elbv2", region_name=SECONDARY_REGION)
        self.stubber = Stubber(self.elbv2)
        for healthy in healthy_per_poll:
            self.stubber.add_response(
                "describe_target_health",
                {
                    "TargetHealthDescriptions": [
                        {
                            "Target": {"Id": f"i-{n:017x}"},
                            "TargetHealth": {"State": "healthy" if n < healthy else "initial"},
                        }
                        for n in range(4)
                    ]
                },
                {"TargetGroupArn": TARGET_GROUP_ARN},
            )
        self.stubber.activate()

    def __call__(self, service, region, *, timeout_seconds=None):
        if service == "elbv2":
            return self.elbv2
        return self.inner(service, region, timeout_seconds=timeout_seconds)


def _shape_reads(stubber, cluster_id, classes):
    stubber.add_response(
        "describe_db_clusters",
        {
            "DBClusters": [
                {
                    "DBClusterIdentifier": cluster_id,
                    "DBClusterMembers": [
                        {"DBInstanceIdentifier": f"{cluster_id}-{i + 1}", "IsClusterWriter": i == 0}
                        for i in range(len(classes))
                    ],
                }
            ]
        },
        {"DBClusterIdentifier": cluster_id},
    )
    stubber.add_response(
        "describe_db_instances",
        {
            "DBInstances": [
                {"DBInstanceIdentifier": f"{cluster_id}-{i + 1}", "DBInstanceClass": c} for i, c in enumerate(classes)
            ]
        },
        {"Filters": [{"Name": "db-cluster-id", "Values": [cluster_id]}]},
    )


def _put_peak(clock, value):
    """The primary ASG's GroupInServiceInstances two hours ago (AWS/AutoScaling, 1-minute group metrics)."""
    shared_client("cloudwatch", PRIMARY_REGION).put_metric_data(
        Namespace="AWS/AutoScaling",
        MetricData=[
            {
                "MetricName": "GroupInServiceInstances",
                "Dimensions": [{"Name": "AutoScalingGroupName", "Value": ASG_NAMES[PRIMARY_REGION]}],
                "Timestamp": datetime.fromtimestamp(clock(), tz=UTC) - timedelta(hours=2),
                "Value": value,
            }
        ],
    )


@pytest.fixture
def report_target(world):
    """The secondary region's report bucket and its customer-managed key."""
    key_arn = shared_client("kms", SECONDARY_REGION).create_key(Description="reports")["KeyMetadata"]["Arn"]
    shared_client("s3", SECONDARY_REGION).create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": SECONDARY_REGION}
    )
    return key_arn


def test_failover_sizes_from_the_peak_measures_end_to_end_recovery_and_writes_the_report(
    world, aws, clock, report_target
):
    """Recovery counted from the first failed probe datapoint (PrimaryEndpointHealthy < 1) until the target group
    has the failover minimum of targets in state 'healthy' (ELBv2 DescribeTargetHealth TargetHealth.State) and the
    traffic switch names this region; the orchestration time is reported beside it."""
    world.put_probe(SECONDARY_REGION, [1.0, 1.0, 0.0, 0.0, 0.0])  # first failure 3 minutes before the run
    _put_peak(clock, 5)
    run_started = clock()
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").promotion("failover", polls_before_writer=1)
    # The promotion choice reads the writer's cluster: it cannot serve (its KMS key is inaccessible), so a failover.
    script.describe_cluster(PRIMARY_REGION, "inaccessible-encryption-credentials")
    _shape_reads(script.target, CLUSTER_IDS[SECONDARY_REGION], ["db.r6g.large", "db.r6g.large"])
    _shape_reads(script.peer, CLUSTER_IDS[PRIMARY_REGION], ["db.r6g.large", "db.r6g.large"])
    script.describe_global(writer_region=SECONDARY_REGION)  # the report's "after" state
    factory = WithTargetGroup(aws, healthy_per_poll=[0, 1, 2, 2, 3])

    result = invoke(
        world,
        factory,
        clock,
        event("failover"),
        TARGET_GROUP_ARN=TARGET_GROUP_ARN,
        MATCH_DATABASE_CAPACITY="true",
        MIN_SUCCESS_PERCENT="50",
        REPORT_BUCKET=BUCKET,
        REPORT_KMS_KEY_ARN=report_target,
        ALARM_NAME_PREFIX="app-",
    )

    assert result["status"] == "succeeded", result["message"]
    script.assert_all_used()
    assert [s["name"] for s in result["steps"]] == list(
        step_names("failover", serving=True, database=True, report=True)
    )
    # 5 in service at the primary's peak, 100%: desired 5 (configured 4, max 6).
    assert "desired 5" in step(result, "size_target")["detail"]
    assert world.capacity(SECONDARY_REGION).desired == 5
    # Healthy 2 (the failover minimum) at the 3rd poll; min-success 50% of 5 = 3 at the 5th.
    serving = step(result, "wait_for_serving")
    assert serving["status"] == "ok" and "3 healthy target(s) >= 3 required" in serving["detail"]
    served_at = run_started + serving["offset_seconds"] + 2 * 15  # two poll intervals after the step began
    first_failure = run_started - 180
    assert result["end_to_end_recovery_time_seconds"] == pytest.approx(served_at - first_failure, abs=60)
    assert result["end_to_end_recovery_time_seconds"] > result["orchestration_time_seconds"]
    assert result["recovery_measured_from"].startswith("first failed PrimaryEndpointHealthy datapoint")
    assert step(result, "match_database_capacity")["detail"].endswith("no change")
    e2e = world.metric_values(
        SECONDARY_REGION, "EndToEndRecoveryTimeSeconds", {"GlobalCluster": GLOBAL_CLUSTER_ID, "Mode": "failover"}
    )
    assert e2e == [result["end_to_end_recovery_time_seconds"]]

    links = result["report"]
    assert links["json"].startswith(f"s3://{BUCKET}/runs/")
    s3 = shared_client("s3", SECONDARY_REGION)
    json_key = links["json"].split(f"s3://{BUCKET}/", 1)[1]
    head = s3.head_object(Bucket=BUCKET, Key=json_key)
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", report_target)
    stored = json.loads(s3.get_object(Bucket=BUCKET, Key=json_key)["Body"].read())
    assert stored["resources"]["before"][f"asg {ASG_NAMES[SECONDARY_REGION]}"]["desired"] == 1
    assert stored["resources"]["after"][f"asg {ASG_NAMES[SECONDARY_REGION]}"]["desired"] == 5
    # The report says which promotion was chosen from live state and why.
    assert stored["result"]["promotion"]["api"] == "FailoverGlobalCluster"
    markdown_key = links["markdown"].split(f"s3://{BUCKET}/", 1)[1]
    markdown = s3.get_object(Bucket=BUCKET, Key=markdown_key)["Body"].read().decode()
    assert "- Promotion: FailoverGlobalCluster with AllowDataLoss: app-primary in us-east-1 is " in markdown
    result_note = [n for n in world.notifications(SECONDARY_REGION) if n["body"]["event"] == "succeeded"][0]
    assert result_note["body"]["report"] == links


def test_report_write_failure_is_a_warning_and_the_failover_still_succeeds(world, aws, clock):
    """PutObject to a bucket that does not exist answers NoSuchBucket: the finished failover is not failed."""
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").promotion("failover")
    script.describe_global(writer_region=SECONDARY_REGION)
    result = invoke(
        world,
        aws,
        clock,
        event("failover"),
        REPORT_BUCKET="absent-bucket",
        REPORT_KMS_KEY_ARN="arn:aws:kms:us-west-2:123456789012:key/abc",
    )
    assert result["status"] == "succeeded"
    assert step(result, "write_report")["status"] == "warning"
    assert "NoSuchBucket" in step(result, "write_report")["detail"]
    assert result["report"] is None


def test_target_that_never_serves_is_a_warning_without_an_end_to_end_time(world, aws, clock):
    """No healthy target before SERVING_TIMEOUT_SECONDS: the run says so and publishes no end-to-end time."""
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").promotion("failover")
    factory = WithTargetGroup(aws, healthy_per_poll=[0] * 5)
    result = invoke(
        world, factory, clock, event("failover"), TARGET_GROUP_ARN=TARGET_GROUP_ARN, SERVING_TIMEOUT_SECONDS="60"
    )
    script.assert_all_used()
    assert result["status"] == "succeeded"
    serving = step(result, "wait_for_serving")
    assert serving["status"] == "warning" and "NOT serving after SERVING_TIMEOUT_SECONDS=60" in serving["detail"]
    assert result["end_to_end_recovery_time_seconds"] is None


def test_unreadable_source_region_keeps_configured_capacity(world, aws, clock):
    """The serving region is down: its metrics cannot be read within the short bound; configured capacity."""
    from botocore.exceptions import EndpointConnectionError

    down = EndpointConnectionError(endpoint_url=f"https://monitoring.{PRIMARY_REGION}.amazonaws.com")
    aws.fail("cloudwatch", PRIMARY_REGION, "GetMetricStatistics", *([down] * 10))
    script = RdsScript(aws, SECONDARY_REGION).preflight("failover").promotion("failover")
    result = invoke(world, aws, clock, event("failover"))
    script.assert_all_used()
    assert result["status"] == "succeeded"
    assert "unavailable" in step(result, "size_target")["detail"]
    assert world.capacity(SECONDARY_REGION).desired == 4
    assert step(result, "size_target")["seconds"] <= 5.0  # SOURCE_READ_SECONDS bounds the wait
    assert METRIC_NAMESPACE == "DR/Failover"


def _put_fast_probe(clock, seconds_ago_and_values):
    for seconds_ago, value in seconds_ago_and_values:
        shared_client("cloudwatch", SECONDARY_REGION).put_metric_data(
            Namespace="DR/Probe",
            MetricData=[
                {
                    "MetricName": "PrimaryEndpointHealthy",
                    "Dimensions": [{"Name": "GlobalCluster", "Value": GLOBAL_CLUSTER_ID}],
                    "Timestamp": datetime.fromtimestamp(clock() - seconds_ago, tz=UTC),
                    "Value": value,
                    "StorageResolution": 1,
                }
            ],
        )


@pytest.mark.parametrize(
    ("datapoints", "down"),
    [
        ([(35, 1.0), (25, 0.0), (15, 0.0), (5, 0.0)], True),  # three failing 10 s datapoints in a row
        ([(25, 0.0), (5, 0.0)], False),  # a silent 10 s period in between: missing data is no failure
        ([(25, 0.0), (15, 1.0), (5, 0.0)], False),
    ],
)
def test_fast_probe_confirmation_reads_the_probe_at_its_own_period(world, aws, clock, datapoints, down):
    """With PROBE_INTERVAL_SECONDS=10 the orchestrator's first signal is three failing 10 s datapoints; GetMetric
    Statistics returns high-resolution data at periods under 60 s for data younger than 3 hours (CloudWatch
    API reference, GetMetricStatistics Period)."""
    from dr_failover.automatic.confirmation import _probe_signal
    from dr_failover.aws.clients import RunClients
    from dr_failover.config import load_config

    _put_fast_probe(clock, datapoints)
    config = load_config(world.env(SECONDARY_REGION, PROBE_INTERVAL_SECONDS="10"))
    clients = RunClients(config, aws, sleep=clock.sleep, clock=clock, read_only=True)
    signal, detail = _probe_signal(config, clients, now=clock())
    assert signal is down, detail
