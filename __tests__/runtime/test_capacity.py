"""Capacity matched on promotion (lambda_src/dr_failover/actions/app_capacity.py, database_capacity.py): ASG
sizing from the serving region's 24 h use, the ungraceful minimum-success rule, and database capacity matching.

CloudWatch runs in moto (real GetMetricStatistics semantics over datapoints we put); RDS goes through
botocore's Stubber, which validates every request against the RDS service model.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from dr_failover.actions.app_capacity import (
    ASG_NAMESPACE,
    IN_SERVICE_METRIC,
    asg_capacity_plan,
    capacity_reached,
    read_max_in_service,
    required_in_service,
)
from dr_failover.actions.database_capacity import (
    ClusterShape,
    apply_database_plan,
    database_capacity_plan,
    read_cluster_shape,
)
from dr_failover.aws.calls import GuardedClient, RetryPolicy
from moto import mock_aws

REGION = "us-east-1"
ASG = "app-us-east-1"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC).timestamp()


def plan(**overrides):
    values = {
        "failover_min": 2,
        "failover_desired": 2,
        "failover_max": 6,
        "current_max": 4,
        "percent": 100,
        "source_max_in_service": None,
    }
    values.update(overrides)
    return asg_capacity_plan(**values)


# ----- ASG sizing ------------------------------------------------------------------------------------------


def test_target_gets_the_serving_regions_24h_peak_when_larger_than_configured():
    result = plan(source_max_in_service=5)
    assert (result.min_size, result.desired, result.max_size) == (2, 5, 6)


def test_configured_failover_capacity_is_the_floor():
    assert plan(source_max_in_service=1).desired == 2


def test_percentage_is_rounded_up_so_capacity_is_never_short():
    # 50% of 5 instances is 2.5: a target of 2 would be short of half the peak.
    assert plan(source_max_in_service=5, percent=50, failover_desired=1, failover_min=1).desired == 3


def test_desired_is_capped_at_the_groups_max_and_the_plan_says_so():
    result = plan(source_max_in_service=40)
    assert result.desired == 6
    assert "capped at max 6" in result.reason


def test_missing_source_metrics_fall_back_to_configured_capacity():
    result = plan(source_max_in_service=None)
    assert result.desired == 2
    assert "unavailable" in result.reason


def test_invalid_percentage_is_refused():
    with pytest.raises(ValueError, match="1-1000"):
        plan(percent=0)


@pytest.mark.parametrize(
    ("in_service", "desired", "mode", "percent", "reached"),
    [
        (3, 4, "switchover", 50, False),  # planned: everything must be in service
        (4, 4, "switchover", 50, True),
        (2, 4, "failover", 50, True),  # ungraceful: the minimum-success share is enough
        (1, 4, "failover", 50, False),
        (1, 3, "failover", 50, False),  # ceil(1.5) = 2
        (1, 1, "failover", 1, True),  # at least one instance, never zero
    ],
)
def test_minimum_success_percentage_applies_to_ungraceful_runs_only(in_service, desired, mode, percent, reached):
    assert capacity_reached(in_service, desired, mode=mode, min_success_percent=percent) is reached


def test_required_in_service_is_never_zero_for_a_non_empty_group():
    assert required_in_service(5, mode="failover", min_success_percent=1) == 1


# ----- reading the serving region's use ------------------------------------------------------------------------


def _put_in_service(cloudwatch, values_by_hours_ago):
    for hours_ago, value in values_by_hours_ago.items():
        cloudwatch.put_metric_data(
            Namespace=ASG_NAMESPACE,
            MetricData=[
                {
                    "MetricName": IN_SERVICE_METRIC,
                    "Dimensions": [{"Name": "AutoScalingGroupName", "Value": ASG}],
                    "Timestamp": datetime.fromtimestamp(NOW, tz=UTC) - timedelta(hours=hours_ago),
                    "Value": value,
                }
            ],
        )


def test_reads_the_maximum_in_service_of_the_last_24_hours_only():
    """AWS/AutoScaling GroupInServiceInstances, dimension AutoScalingGroupName (EC2 Auto Scaling User
    Guide, "Amazon CloudWatch metrics for Amazon EC2 Auto Scaling"); older datapoints are outside the window."""
    with mock_aws():
        cloudwatch = boto3.client("cloudwatch", region_name=REGION)
        _put_in_service(cloudwatch, {1: 3, 10: 7, 30: 12})
        assert read_max_in_service(cloudwatch, ASG, now=NOW) == 7


def test_no_datapoints_reads_as_none_not_zero():
    """A group whose metrics collection is off publishes nothing: that is unknown, not an idle group."""
    with mock_aws():
        assert read_max_in_service(boto3.client("cloudwatch", region_name=REGION), ASG, now=NOW) is None


def test_read_of_the_window_is_retried_when_throttled():
    """GetMetricStatistics answers Throttling when over its TPS quota (CloudWatch API reference, Common Errors)."""
    stubbed = boto3.client("cloudwatch", region_name=REGION)
    stubber = Stubber(stubbed)
    stubber.add_client_error("get_metric_statistics", service_error_code="Throttling", http_status_code=400)
    stubber.add_response(
        "get_metric_statistics", {"Label": IN_SERVICE_METRIC, "Datapoints": [{"Maximum": 4.0, "Unit": "None"}]}
    )
    sleeps: list[float] = []
    with stubber:
        guarded = GuardedClient(
            lambda _timeout: stubbed, sleep=sleeps.append, clock=lambda: NOW, policy=RetryPolicy(max_attempts=3)
        )
        assert read_max_in_service(guarded, ASG, now=NOW) == 4.0
    assert len(sleeps) == 1


# ----- database ------------------------------------------------------------------------------------------


def shape(cluster_id, classes, *, serverless=None):
    instances = tuple((f"{cluster_id}-{i + 1}", c) for i, c in enumerate(classes))
    lo, hi = serverless or (None, None)
    return ClusterShape(cluster_id, instances, classes[0] if classes else None, lo, hi)


def test_provisioned_target_gets_readers_of_the_source_class_up_to_the_source_count():
    source = shape("app-primary", ["db.r6g.large", "db.r6g.large"])
    target = shape("app-secondary", ["db.r6g.large"])
    result = database_capacity_plan(source, target)
    assert result.new_instances == [("app-secondary-2", "db.r6g.large")]


def test_smaller_target_instances_do_not_count_towards_the_source_class():
    source = shape("app-primary", ["db.r6g.xlarge", "db.r6g.xlarge"])
    target = shape("app-secondary", ["db.r6g.large"])
    assert [c for _, c in database_capacity_plan(source, target).new_instances] == ["db.r6g.xlarge"] * 2


def test_new_instance_ids_skip_identifiers_already_taken():
    source = shape("app-primary", ["db.r6g.large"] * 3)
    target = ClusterShape("app-secondary", (("app-secondary-2", "db.r6g.large"),), "db.r6g.large")
    ids = [i for i, _ in database_capacity_plan(source, target).new_instances]
    assert ids == ["app-secondary-1", "app-secondary-3"]


def test_matched_provisioned_target_needs_no_change():
    source = shape("app-primary", ["db.r6g.large"] * 2)
    assert not database_capacity_plan(source, shape("app-secondary", ["db.r6g.large"] * 2)).changes


def test_serverless_target_gets_the_sources_max_acus():
    source = shape("app-primary", ["db.serverless"] * 2, serverless=(1.0, 16.0))
    target = shape("app-secondary", ["db.serverless"], serverless=(1.0, 8.0))
    result = database_capacity_plan(source, target)
    assert result.serverless_max == 16.0
    assert result.new_instances == []


def test_unreadable_source_keeps_configured_capacity():
    assert not database_capacity_plan(None, shape("app-secondary", ["db.r6g.large"])).changes


def _cluster(cluster_id, members, *, scaling=None):
    body = {
        "DBClusterIdentifier": cluster_id,
        "DBClusterMembers": [{"DBInstanceIdentifier": i, "IsClusterWriter": w, "PromotionTier": 1} for i, w in members],
    }
    if scaling:
        body["ServerlessV2ScalingConfiguration"] = {"MinCapacity": scaling[0], "MaxCapacity": scaling[1]}
    return {"DBClusters": [body]}


def test_reads_shapes_and_creates_the_missing_reader_with_the_target_instances_settings():
    """CreateDBInstance for an Aurora cluster takes DBClusterIdentifier, Engine and DBInstanceClass; the
    Stubber checks every parameter against the RDS service model (CreateDBInstanceMessage)."""
    rds = boto3.client("rds", region_name=REGION)
    stubber = Stubber(rds)
    stubber.add_response(
        "describe_db_clusters", _cluster("app-primary", [("app-primary-1", True), ("app-primary-2", False)])
    )
    stubber.add_response(
        "describe_db_instances",
        {
            "DBInstances": [
                {"DBInstanceIdentifier": "app-primary-1", "DBInstanceClass": "db.r6g.large"},
                {"DBInstanceIdentifier": "app-primary-2", "DBInstanceClass": "db.r6g.large"},
            ]
        },
        {"Filters": [{"Name": "db-cluster-id", "Values": ["app-primary"]}]},
    )
    stubber.add_response("describe_db_clusters", _cluster("app-secondary", [("app-secondary-1", True)]))
    stubber.add_response(
        "describe_db_instances",
        {"DBInstances": [{"DBInstanceIdentifier": "app-secondary-1", "DBInstanceClass": "db.r6g.large"}]},
        {"Filters": [{"Name": "db-cluster-id", "Values": ["app-secondary"]}]},
    )
    template = {
        "DBInstanceIdentifier": "app-secondary-1",
        "DBInstanceClass": "db.r6g.large",
        "Engine": "aurora-mysql",
        "DBClusterIdentifier": "app-secondary",
        "AutoMinorVersionUpgrade": True,
        "DBParameterGroups": [{"DBParameterGroupName": "app-secondary-instance"}],
        "MonitoringInterval": 60,
        "MonitoringRoleArn": "arn:aws:iam::123456789012:role/app-secondary-rds-monitoring",
        "PerformanceInsightsEnabled": True,
        "PerformanceInsightsKMSKeyId": "arn:aws:kms:us-east-1:123456789012:key/k",
        "PerformanceInsightsRetentionPeriod": 7,
        "CACertificateIdentifier": "rds-ca-rsa2048-g1",
    }
    stubber.add_response(
        "describe_db_instances", {"DBInstances": [template]}, {"DBInstanceIdentifier": "app-secondary-1"}
    )
    stubber.add_response(
        "create_db_instance",
        {"DBInstance": {"DBInstanceIdentifier": "app-secondary-2"}},
        {
            "DBInstanceIdentifier": "app-secondary-2",
            "DBInstanceClass": "db.r6g.large",
            "Engine": "aurora-mysql",
            "DBClusterIdentifier": "app-secondary",
            "PubliclyAccessible": False,
            "PromotionTier": 1,
            "AutoMinorVersionUpgrade": True,
            "DBParameterGroupName": "app-secondary-instance",
            "MonitoringInterval": 60,
            "MonitoringRoleArn": "arn:aws:iam::123456789012:role/app-secondary-rds-monitoring",
            "EnablePerformanceInsights": True,
            "PerformanceInsightsKMSKeyId": "arn:aws:kms:us-east-1:123456789012:key/k",
            "PerformanceInsightsRetentionPeriod": 7,
            "CACertificateIdentifier": "rds-ca-rsa2048-g1",
        },
    )
    with stubber:
        source = read_cluster_shape(rds, "app-primary")
        target = read_cluster_shape(rds, "app-secondary")
        done = apply_database_plan(rds, database_capacity_plan(source, target), target=target)
    assert done == ["created app-secondary-2 (db.r6g.large)"]
    stubber.assert_no_pending_responses()


def test_serverless_max_is_raised_with_modify_db_cluster_apply_immediately():
    """ServerlessV2ScalingConfiguration {MinCapacity, MaxCapacity} on ModifyDBCluster (RDS service model);
    ApplyImmediately so the capacity is there now, not in the maintenance window."""
    rds = boto3.client("rds", region_name=REGION)
    stubber = Stubber(rds)
    stubber.add_response(
        "modify_db_cluster",
        {"DBCluster": {"DBClusterIdentifier": "app-secondary"}},
        {
            "DBClusterIdentifier": "app-secondary",
            "ServerlessV2ScalingConfiguration": {"MinCapacity": 1.0, "MaxCapacity": 16.0},
            "ApplyImmediately": True,
        },
    )
    source = shape("app-primary", ["db.serverless"], serverless=(1.0, 16.0))
    target = shape("app-secondary", ["db.serverless"], serverless=(1.0, 8.0))
    with stubber:
        done = apply_database_plan(rds, database_capacity_plan(source, target), target=target)
    assert done == ["app-secondary max ACUs set to 16"]


def test_unreachable_source_region_raises_so_the_caller_can_fall_back():
    rds = boto3.client("rds", region_name=REGION)
    stubber = Stubber(rds)
    stubber.add_client_error("describe_db_clusters", service_error_code="InternalFailure", http_status_code=500)
    with stubber, pytest.raises(ClientError):
        read_cluster_shape(rds, "app-primary")
