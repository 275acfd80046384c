"""Continuous readiness (lambda_src/dr_failover/checks/failover_readiness.py): IAM dry-run simulation,
scaling-activity check, and the ReadyForFailover / ReadinessCheck metrics.

IAM and STS go through botocore's Stubber (moto does not implement SimulatePrincipalPolicy; the Stubber
checks each request against the IAM service model); CloudWatch and Auto Scaling are moto.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import boto3
import dr_contract as contract
import pytest
from botocore.stub import Stubber
from dr_failover.checks.failover_readiness import (
    CHECK_METRIC,
    READY_METRIC,
    Permission,
    is_ready,
    publish_readiness,
    readiness_metric_data,
    role_arn_of_caller,
    scaling_activity_check,
    simulate_permissions,
)
from dr_failover.checks.preflight import Check
from moto import mock_aws

REGION = "us-west-2"
ROLE_ARN = "arn:aws:iam::123456789012:role/drapp-dev-secondary-failover-role"
GLOBAL_ARN = "arn:aws:rds::123456789012:global-cluster:app-global"


def evaluation(action, resource, decision):
    return {"EvalActionName": action, "EvalResourceName": resource, "EvalDecision": decision}


def test_role_arn_is_derived_from_the_assumed_role_session():
    """GetCallerIdentity of a Lambda returns arn:aws:sts::<account>:assumed-role/<role>/<session> (STS API
    reference, GetCallerIdentity); the role ARN is arn:aws:iam::<account>:role/<role>."""
    sts = boto3.client("sts", region_name=REGION)
    stubber = Stubber(sts)
    stubber.add_response(
        "get_caller_identity",
        {
            "Arn": "arn:aws:sts::123456789012:assumed-role/drapp-dev-secondary-failover-role/fn",
            "Account": "123456789012",
            "UserId": "AROA:fn",
        },
    )
    with stubber:
        assert role_arn_of_caller(sts) == ROLE_ARN


def test_simulation_passes_when_every_action_is_allowed_and_sends_the_condition_context():
    """SimulatePrincipalPolicy takes PolicySourceArn, ActionNames, ResourceArns and ContextEntries
    (ContextKeyType 'string'); without the context a condition on cloudwatch:namespace is not met."""
    iam = boto3.client("iam", region_name="us-east-1")
    stubber = Stubber(iam)
    stubber.add_response(
        "simulate_principal_policy",
        {"EvaluationResults": [evaluation("rds:FailoverGlobalCluster", GLOBAL_ARN, "allowed")], "IsTruncated": False},
        {"PolicySourceArn": ROLE_ARN, "ActionNames": ["rds:FailoverGlobalCluster"], "ResourceArns": [GLOBAL_ARN]},
    )
    stubber.add_response(
        "simulate_principal_policy",
        {"EvaluationResults": [evaluation("cloudwatch:PutMetricData", "*", "allowed")], "IsTruncated": False},
        {
            "PolicySourceArn": ROLE_ARN,
            "ActionNames": ["cloudwatch:PutMetricData"],
            "ResourceArns": ["*"],
            "ContextEntries": [
                {
                    "ContextKeyName": "cloudwatch:namespace",
                    "ContextKeyValues": ["DR/Failover"],
                    "ContextKeyType": "string",
                }
            ],
        },
    )
    with stubber:
        check = simulate_permissions(
            iam,
            ROLE_ARN,
            [
                Permission("rds:FailoverGlobalCluster", (GLOBAL_ARN,)),
                Permission("cloudwatch:PutMetricData", context=(("cloudwatch:namespace", "DR/Failover"),)),
            ],
        )
    assert check.ok, check.detail
    stubber.assert_no_pending_responses()


def test_one_aggregate_result_per_action_names_each_denied_resource():
    """IAM API Reference, EvaluationResult: "The simulator now returns a single EvaluationResult per action,
    regardless of how many resource ARNs are provided"; the top-level EvalDecision is the most restrictive one
    and ResourceSpecificResults gives each resource's. The check names the denied resource, not the action alone,
    and counts every resource it checked."""
    iam = boto3.client("iam", region_name="us-east-1")
    stubber = Stubber(iam)
    option_group = "arn:aws:rds:us-west-2:123456789012:og:default:aurora-mysql-8-0"
    instance = "arn:aws:rds:us-west-2:123456789012:db:app-secondary-1"
    stubber.add_response(
        "simulate_principal_policy",
        {
            "EvaluationResults": [
                {
                    "EvalActionName": "rds:CreateDBInstance",
                    "EvalDecision": "implicitDeny",
                    "ResourceSpecificResults": [
                        {"EvalResourceName": instance, "EvalResourceDecision": "allowed"},
                        {"EvalResourceName": option_group, "EvalResourceDecision": "implicitDeny"},
                    ],
                }
            ],
            "IsTruncated": False,
        },
        {
            "PolicySourceArn": ROLE_ARN,
            "ActionNames": ["rds:CreateDBInstance"],
            "ResourceArns": [instance, option_group],
        },
    )
    with stubber:
        check = simulate_permissions(iam, ROLE_ARN, [Permission("rds:CreateDBInstance", (instance, option_group))])
    assert not check.ok
    assert check.detail == f"denied: rds:CreateDBInstance on {option_group} (implicitDeny)"
    stubber.assert_no_pending_responses()


def test_simulation_names_every_denied_action_across_pages():
    """EvalDecision is allowed | explicitDeny | implicitDeny; results page with IsTruncated + Marker."""
    iam = boto3.client("iam", region_name="us-east-1")
    stubber = Stubber(iam)
    base = {
        "PolicySourceArn": ROLE_ARN,
        "ActionNames": ["autoscaling:UpdateAutoScalingGroup"],
        "ResourceArns": ["a", "b"],
    }
    stubber.add_response(
        "simulate_principal_policy",
        {
            "EvaluationResults": [evaluation("autoscaling:UpdateAutoScalingGroup", "a", "allowed")],
            "IsTruncated": True,
            "Marker": "m1",
        },
        base,
    )
    stubber.add_response(
        "simulate_principal_policy",
        {
            "EvaluationResults": [evaluation("autoscaling:UpdateAutoScalingGroup", "b", "implicitDeny")],
            "IsTruncated": False,
        },
        {**base, "Marker": "m1"},
    )
    stubber.add_response(
        "simulate_principal_policy",
        {"EvaluationResults": [evaluation("sns:Publish", "t", "explicitDeny")], "IsTruncated": False},
        {"PolicySourceArn": ROLE_ARN, "ActionNames": ["sns:Publish"], "ResourceArns": ["t"]},
    )
    with stubber:
        check = simulate_permissions(
            iam,
            ROLE_ARN,
            [Permission("autoscaling:UpdateAutoScalingGroup", ("a", "b")), Permission("sns:Publish", ("t",))],
        )
    assert not check.ok
    assert check.detail == (
        "denied: autoscaling:UpdateAutoScalingGroup on b (implicitDeny); sns:Publish on t (explicitDeny)"
    )


@pytest.mark.parametrize("code", ["AccessDenied", "Throttling", "ServiceUnavailable"])
def test_a_simulation_that_cannot_run_is_a_failed_check_never_a_pass(code):
    """An IAM endpoint that refuses, throttles or does not answer gives no evidence of permission."""
    iam = boto3.client("iam", region_name="us-east-1")
    stubber = Stubber(iam)
    stubber.add_client_error("simulate_principal_policy", service_error_code=code, http_status_code=400)
    with stubber:
        check = simulate_permissions(iam, ROLE_ARN, [Permission("sns:Publish", ("t",))])
    assert not check.ok
    assert code in check.detail


def test_last_failed_scaling_activity_fails_the_capacity_check():
    """DescribeScalingActivities returns the newest first; StatusCode Failed with a StatusMessage such as
    InsufficientInstanceCapacity (EC2 Auto Scaling API reference, Activity)."""
    autoscaling = boto3.client("autoscaling", region_name=REGION)
    stubber = Stubber(autoscaling)
    now = datetime.now(tz=UTC)
    stubber.add_response(
        "describe_scaling_activities",
        {
            "Activities": [
                {
                    "ActivityId": "a1",
                    "AutoScalingGroupName": "app",
                    "Cause": "capacity change",
                    "StartTime": now - timedelta(minutes=5),
                    "StatusCode": "Failed",
                    "StatusMessage": "We currently do not have sufficient m6i.large capacity in us-west-2a",
                }
            ]
        },
        {"AutoScalingGroupName": "app", "MaxRecords": 1},
    )
    with stubber:
        check = scaling_activity_check(autoscaling, "app")
    assert not check.ok
    assert "sufficient m6i.large capacity" in check.detail


def test_a_group_without_failed_activity_passes():
    with mock_aws():
        autoscaling = boto3.client("autoscaling", region_name=REGION)
        boto3.client("ec2", region_name=REGION).create_launch_template(
            LaunchTemplateName="app-lt", LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t3.micro"}
        )
        autoscaling.create_auto_scaling_group(
            AutoScalingGroupName="app",
            LaunchTemplate={"LaunchTemplateName": "app-lt", "Version": "$Latest"},
            MinSize=1,
            MaxSize=2,
            DesiredCapacity=1,
            AvailabilityZones=[f"{REGION}a"],
        )
        assert scaling_activity_check(autoscaling, "app").ok


def test_ready_only_when_every_check_passed():
    assert is_ready([Check("a", True, ""), Check("b", True, "")])
    assert not is_ready([Check("a", True, ""), Check("b", False, "")])
    assert not is_ready([])


def test_metrics_publish_ready_flag_and_one_datapoint_per_check():
    """Metrics written with PutMetricData are listed by ListMetrics with their dimensions (CloudWatch API)."""
    checks = [Check("replication_lag", False, "lag 400 s > RPO 300 s"), Check("iam_permissions", True, "")]
    data = readiness_metric_data(
        checks, global_cluster_dimension="GlobalCluster", global_cluster_id="app-global", region=REGION
    )
    with mock_aws():
        cloudwatch = boto3.client("cloudwatch", region_name=REGION)
        publish_readiness(cloudwatch, namespace="DR/Failover", data=data)
        listed = cloudwatch.list_metrics(Namespace="DR/Failover")["Metrics"]
    by_name = {}
    for metric in listed:
        dims = {d["Name"]: d["Value"] for d in metric["Dimensions"]}
        by_name.setdefault(metric["MetricName"], []).append(dims)
    assert by_name[READY_METRIC] == [{"GlobalCluster": "app-global", "Region": REGION}]
    assert sorted(d["Check"] for d in by_name[CHECK_METRIC]) == ["iam_permissions", "replication_lag"]
    assert data[0]["Value"] == 0.0
    assert [d["Value"] for d in data[1:]] == [0.0, 1.0]


# ----- the scheduled readiness run through the handler (moto world + Stubber RDS/STS/IAM) ----------------------

from support.drill import GLOBAL_CLUSTER_ID, PRIMARY_REGION, SECONDARY_REGION, RdsScript  # noqa: E402
from support.harness import invoke  # noqa: E402

READINESS_EVENT = {"mode": "readiness", "target_region": SECONDARY_REGION}
SECONDARY_ROLE = "arn:aws:iam::123456789012:role/app-secondary-failover-role"


class IdentityAndSimulator:
    """Wraps the SimulatedAws factory: STS answers an assumed-role identity and IAM's policy simulator answers
    from a decision table (moto lacks the simulator). Requests are still serialized, hence validated against
    the IAM service model, before the answer is short-circuited (botocore's before-call hook, as Stubber does)."""

    def __init__(self, inner, *, decision="allowed"):
        self.inner = inner
        self.sts = boto3.client("sts", region_name=SECONDARY_REGION)
        self.iam = boto3.client("iam", region_name=SECONDARY_REGION)
        self.sts_stub = Stubber(self.sts)
        self.sts_stub.add_response(
            "get_caller_identity",
            {"Arn": "arn:aws:sts::123456789012:assumed-role/app-secondary-failover-role/fn", "Account": "123456789012"},
        )
        self.sts_stub.activate()
        self.decision = decision
        self.simulated_actions: list[str] = []
        self.iam.meta.events.register("before-call.iam.SimulatePrincipalPolicy", self._answer)

    def _answer(self, params, **_kwargs):
        from botocore.awsrequest import AWSResponse

        body = params["body"]
        assert body["PolicySourceArn"] == SECONDARY_ROLE
        action = body["ActionNames.member.1"]
        self.simulated_actions.append(action)
        http = AWSResponse("https://iam.amazonaws.com/", 200, {}, None)
        decision = self.decision if action == "rds:FailoverGlobalCluster" else "allowed"
        resources = [v for k, v in sorted(body.items()) if k.startswith("ResourceArns.member.")]
        # One EvaluationResult per action, the most restrictive decision on top, each resource's in
        # ResourceSpecificResults (IAM API Reference, EvaluationResult).
        results = [
            {
                "EvalActionName": action,
                "EvalDecision": decision,
                "ResourceSpecificResults": [
                    {"EvalResourceName": resource, "EvalResourceDecision": decision} for resource in resources
                ],
            }
        ]
        return http, {"EvaluationResults": results, "IsTruncated": False, "ResponseMetadata": {}}

    def __call__(self, service, region, *, timeout_seconds=None):
        if service == "sts":
            return self.sts
        if service == "iam":
            return self.iam
        return self.inner(service, region, timeout_seconds=timeout_seconds)


def ready_values(world_, region=SECONDARY_REGION):
    return world_.metric_values(
        region,
        READY_METRIC,
        {"GlobalCluster": GLOBAL_CLUSTER_ID, "Region": region},
        namespace=contract.READINESS_NAMESPACE,
    )


def check_named(result, name):
    return next(c for c in result["checks"] if c["name"] == name)


def test_scheduled_readiness_of_a_healthy_standby_publishes_ready_and_changes_nothing(world, aws, clock):
    """Readiness only reads: every call but PutMetricData is Describe*/Get*/List*/Simulate* (the run's clients
    refuse any other call before it is sent); ReadyForFailover=1 and one ReadinessCheck per check."""
    script = RdsScript(aws, SECONDARY_REGION).preflight("preflight")
    factory = IdentityAndSimulator(aws)
    result = invoke(world, factory, clock, READINESS_EVENT)
    script.assert_all_used()
    assert result["status"] == "ready", result["message"]
    assert [call for call in aws.changing_calls()] == [("cloudwatch", SECONDARY_REGION, "PutMetricData")]
    assert ready_values(world) == [1.0]
    assert "rds:FailoverGlobalCluster" in factory.simulated_actions
    names = {c["name"] for c in result["checks"]}
    assert {"iam_permissions", "traffic_switch_consistent", "target_asg_scaling", "replication_lag"} <= names


def test_missing_permission_found_by_the_simulation_makes_the_standby_not_ready(world, aws, clock):
    """EvalDecision implicitDeny for rds:FailoverGlobalCluster: a failover would be refused by IAM."""
    RdsScript(aws, SECONDARY_REGION).preflight("preflight")
    result = invoke(world, IdentityAndSimulator(aws, decision="implicitDeny"), clock, READINESS_EVENT)
    assert result["status"] == "not_ready"
    check = check_named(result, "iam_permissions")
    assert not check["ok"] and "rds:FailoverGlobalCluster" in check["detail"] and "implicitDeny" in check["detail"]
    assert ready_values(world) == [0.0]


@pytest.mark.parametrize("world", [900_000.0], indirect=True)
def test_lag_over_the_rpo_makes_the_standby_not_ready(world, aws, clock):
    """AuroraGlobalDBReplicationLag is in milliseconds (Aurora User Guide, global database metrics): 900 s > RPO."""
    RdsScript(aws, SECONDARY_REGION).preflight("preflight")
    result = invoke(world, IdentityAndSimulator(aws), clock, READINESS_EVENT)
    assert result["status"] == "not_ready"
    assert not check_named(result, "replication_lag")["ok"]
    assert ready_values(world) == [0.0]


def test_unreachable_primary_region_is_reported_and_readiness_still_published(world, aws, clock):
    """A region that does not answer: the peer read fails within its short bound; the result still publishes."""
    from botocore.exceptions import EndpointConnectionError

    script = RdsScript(aws, SECONDARY_REGION)
    script.describe_global()
    script.describe_cluster(SECONDARY_REGION)
    error = EndpointConnectionError(endpoint_url=f"https://rds.{PRIMARY_REGION}.amazonaws.com")
    aws.fail("rds", PRIMARY_REGION, "DescribeDBClusters", *([error] * 10))
    result = invoke(world, IdentityAndSimulator(aws), clock, READINESS_EVENT)
    assert result["status"] == "not_ready"
    assert ready_values(world) == [0.0]
    assert aws.changing_calls() == [("cloudwatch", SECONDARY_REGION, "PutMetricData")]


def test_switch_sending_users_to_the_read_only_standby_is_not_ready(world, aws, clock):
    """The writer is in the primary region but the switch item says the secondary serves."""
    from dr_failover.records.switch import write_switch
    from support.drill import STATE_TABLE_NAME, shared_client

    write_switch(
        shared_client("dynamodb", SECONDARY_REGION),
        table_name=STATE_TABLE_NAME,
        global_cluster_id=GLOBAL_CLUSTER_ID,
        primary_fenced=True,
        serving_region=SECONDARY_REGION,
        run_id="old",
        now=clock(),
    )
    RdsScript(aws, SECONDARY_REGION).preflight("preflight")
    result = invoke(world, IdentityAndSimulator(aws), clock, READINESS_EVENT)
    check = check_named(result, "traffic_switch_consistent")
    assert not check["ok"]
    assert f"serves {SECONDARY_REGION}, writer is in {PRIMARY_REGION}" in check["detail"]


def test_readiness_run_that_cannot_publish_says_so(world, aws, clock):
    """PutMetricData refused (AccessDenied is not retried): the result says NOT published; the alarm then
    sees missing data, which it treats as not ready."""
    from botocore.exceptions import ClientError

    RdsScript(aws, SECONDARY_REGION).preflight("preflight")
    denied = ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "PutMetricData")
    aws.fail("cloudwatch", SECONDARY_REGION, "PutMetricData", denied)
    result = invoke(world, IdentityAndSimulator(aws), clock, READINESS_EVENT)
    assert "NOT published (AccessDenied)" in result["message"]


def test_writer_region_without_the_fence_in_the_switch_is_not_ready(world, aws, clock):
    """us-west-2's cluster is the writer (DescribeGlobalClusters
    GlobalClusterMembers[].IsWriter, RDS API Reference) but no run wrote the switch (an automatic failover that
    failed after its promotion call). Route53 then still answers the PRIMARY record whenever us-east-1's ALB
    check passes (Route53 API Reference, ResourceRecordSet.Failover), i.e. users reach a cluster that rejoins
    as a read-only secondary. Readiness in the writer's region is the one that still answers, so it reports it."""
    RdsScript(aws, SECONDARY_REGION).preflight("preflight", writer_region=SECONDARY_REGION)
    result = invoke(world, IdentityAndSimulator(aws), clock, READINESS_EVENT)
    check = check_named(result, "traffic_switch_consistent")
    assert not check["ok"], check
    assert f"serves {PRIMARY_REGION}, writer is in {SECONDARY_REGION}" in check["detail"]
    assert result["status"] == "not_ready"
    assert ready_values(world) == [0.0]


# ----- the secondary's instances against its spec, and the function's remaining time -----------------------

from support.cluster_spec import make_cluster_spec  # noqa: E402
from support.drill import CLUSTER_IDS, HANG  # noqa: E402


def secondary_spec_env(instance_count=2):
    """REPROTECT_CLUSTER_SPEC of the secondary region's function (the spec the stack built its cluster from)."""
    spec = make_cluster_spec(
        CLUSTER_IDS[SECONDARY_REGION],
        SECONDARY_REGION,
        group="sg-0123456789abcdef0",
        key_arn=f"arn:aws:kms:{SECONDARY_REGION}:123456789012:key/secondary",
        instance_count=instance_count,
    )
    return {"REPROTECT_CLUSTER_SPEC": spec.to_json()}


def expect_secondary_instances(aws, statuses):
    """DescribeDBInstances of the secondary cluster (filter db-cluster-id) answering ``statuses``."""
    cluster_id = CLUSTER_IDS[SECONDARY_REGION]
    aws.rds_stubber(SECONDARY_REGION).add_response(
        "describe_db_instances",
        {
            "DBInstances": [
                {"DBInstanceIdentifier": i, "DBInstanceStatus": status, "DBClusterIdentifier": cluster_id}
                for i, status in statuses.items()
            ]
        },
        {"Filters": [{"Name": "db-cluster-id", "Values": [cluster_id]}]},
    )


@pytest.mark.parametrize(
    ("statuses", "ready"),
    [
        ({"app-secondary-1": "available"}, False),
        ({"app-secondary-1": "available", "app-secondary-2": "creating"}, False),
        ({"app-secondary-1": "available", "app-secondary-2": "available"}, True),
        # An instance made by hand does not stand in for a spec instance that cannot serve.
        (
            {
                "app-secondary-1": "available",
                "app-secondary-2": "incompatible-parameters",
                "manual-reader": "available",
            },
            False,
        ),
        ({"app-secondary-1": "available", "manual-reader": "available"}, False),
    ],
)
def test_secondary_with_fewer_serving_instances_than_its_spec_is_not_ready(world, aws, clock, statuses, ready):
    """A secondary cluster is promoted with the instances it has: one without its instances (a re-protect that
    stopped halfway: CreateDBCluster creates an empty cluster, each instance is its own CreateDBInstance, Aurora
    User Guide "Adding an AWS Region to an Amazon Aurora global database") cannot take over at full capacity.
    DescribeDBInstances (filter db-cluster-id) lists them with DBInstanceStatus; 'creating' does not serve yet."""
    RdsScript(aws, SECONDARY_REGION).preflight("preflight")
    expect_secondary_instances(aws, statuses)
    result = invoke(world, IdentityAndSimulator(aws), clock, READINESS_EVENT, **secondary_spec_env())
    check = check_named(result, "cluster_instances")
    assert check["ok"] is ready, check
    assert result["status"] == ("ready" if ready else "not_ready"), result["message"]
    assert ready_values(world) == [1.0 if ready else 0.0]


def test_readiness_in_a_hanging_region_ends_within_the_remaining_time_and_publishes(world, aws, clock):
    """Lambda stops a function at its timeout (context.get_remaining_time_in_millis, Lambda Developer Guide): with
    the region's RDS endpoint hanging on every call, readiness must stop its reads in time and still publish
    ReadyForFailover=0 before the time it was given ends."""
    from dr_failover.config import load_config
    from dr_failover.handler import handle_event

    for operation in ("DescribeGlobalClusters", "DescribeDBClusters", "DescribeDBInstances"):
        aws.fail("rds", SECONDARY_REGION, operation, *([HANG] * 20))
    budget = 60.0
    config = load_config(world.env(SECONDARY_REGION, **secondary_spec_env()))
    started = clock()
    result = handle_event(
        READINESS_EVENT,
        config=config,
        clients_factory=IdentityAndSimulator(aws),
        clock=clock,
        sleep=clock.sleep,
        run_id="readiness-1",
        time_budget_seconds=budget,
    )
    assert clock() - started <= budget - 2.0, clock() - started
    assert result["status"] == "not_ready"
    assert ready_values(world) == [0.0]


# ----- the permission list simulated (lambda_src/dr_permissions/orchestrator.py) ------------------------------


def _recovery_spec(instance_class: str):
    """The secondary's spec with the names the assertions below expect."""
    import dataclasses

    from support.cluster_spec import make_cluster_spec

    base = make_cluster_spec(
        "app-secondary",
        "us-west-2",
        group="sg-0123456789abcdef0",
        key_arn="arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    )
    return dataclasses.replace(
        base,
        db_subnet_group_name="app-secondary",
        db_cluster_parameter_group_name="app-secondary-cluster",
        serverless_capacity=(1.0, 8.0) if instance_class == "db.serverless" else None,
        instance=dataclasses.replace(
            base.instance,
            instance_class=instance_class,
            db_parameter_group_name="app-secondary-instance",
            monitoring_role_arn="arn:aws:iam::123456789012:role/app-secondary-rds-monitoring",
        ),
    )


def _recovery_config(instance_class: str, *, match_database_capacity: bool = True, spec: bool = True):
    import dr_contract as contract
    from dr_failover.config import Config

    rds = "arn:aws:rds:us-west-2:123456789012"
    return Config(
        global_cluster_id="app-global",
        target_region="us-west-2",
        target_cluster_id="app-secondary",
        target_cluster_arn=f"{rds}:cluster:app-secondary",
        peer_region="us-east-1",
        peer_cluster_id="app-primary",
        peer_cluster_arn="arn:aws:rds:us-east-1:123456789012:cluster:app-primary",
        target_asg_name="app-secondary",
        peer_asg_name="app-primary",
        failover_capacity_min=2,
        failover_capacity_max=4,
        failover_capacity_desired=2,
        standby_min=1,
        standby_desired=1,
        topic_arn="arn:aws:sns:us-west-2:123456789012:app-alarms",
        state_table_name="app-failover-state",
        rpo_minutes=5,
        rto_minutes=15,
        traffic_switch_region="us-west-2",
        traffic_switch_metric="PrimaryFenced",
        promotion_timeout_seconds=600,
        poll_interval_seconds=contract.DEFAULT_POLL_INTERVAL_SECONDS,
        fence_timeout_seconds=20,
        confirmation_timeout_seconds=10,
        confirmation_lag_percent_of_rpo=20,
        lock_lease_seconds=720,
        metric_namespace=contract.METRIC_NAMESPACE,
        health_check_id=None,
        probe_metric=contract.PROBE_METRIC,
        probe_namespace=contract.PROBE_NAMESPACE,
        probe_failure_periods=3,
        probe_interval_seconds=60,
        automatic_min_interval_seconds=3600,
        probe_alarm_name=None,
        report_bucket=None,
        report_kms_key_arn=None,
        alarm_name_prefix=None,
        failover_capacity_percent=100,
        min_success_percent=50,
        target_group_arn=None,
        serving_timeout_seconds=300,
        match_database_capacity=match_database_capacity,
        reprotect_cluster_spec=_recovery_spec(instance_class).to_json() if spec else None,
    )


def _simulated(config):
    from dr_failover.checks.failover_readiness import failover_permissions
    from dr_failover.checks.preflight import PreflightReport

    return {p.action: p for p in failover_permissions(config, PreflightReport(target_region=config.target_region))}


def test_simulation_covers_reprotect_creates_on_every_resource_rds_authorizes_them_on():
    """CreateDBCluster and CreateDBInstance are authorized on the new cluster or instance and on the option group,
    subnet group and parameter group it gets (Service Authorization Reference, Amazon RDS: resource types of
    both actions; the RDS User Guide's example CreateDBInstance policy lists og:default*, pg:default*,
    subgrp:default); CreateDBInstance with MonitoringRoleArn also needs iam:PassRole, and an encrypted create
    kms:CreateGrant through RDS (dependent actions). The readiness check simulates each on those ARNs."""
    simulated = _simulated(_recovery_config("db.r6g.large"))
    rds = "arn:aws:rds:us-west-2:123456789012"
    assert set(simulated["rds:CreateDBInstance"].resources) == {
        f"{rds}:db:app-secondary-1",
        f"{rds}:cluster:app-secondary",
        f"{rds}:subgrp:app-secondary",
        f"{rds}:pg:app-secondary-instance",
        f"{rds}:og:default:aurora",
    }
    assert {f"{rds}:cluster-pg:app-secondary-cluster", f"{rds}:og:default:aurora"} <= set(
        simulated["rds:CreateDBCluster"].resources
    )
    assert "arn:aws:rds::123456789012:global-cluster:app-global" in simulated["rds:CreateDBCluster"].resources
    assert simulated["iam:PassRole"].context == (("iam:PassedToService", "monitoring.rds.amazonaws.com"),)
    assert simulated["kms:CreateGrant"].context == (("kms:ViaService", "rds.us-west-2.amazonaws.com"),)


def test_a_grant_narrowed_below_what_rds_authorizes_is_still_simulated_on_it(monkeypatch):
    """The simulated resources are what RDS authorizes the call on (Service Authorization Reference), not what
    the grant names: a grant that loses the default option group (one list feeds both the IAM statement and the
    simulation) must still be simulated on og:default:*, where the narrowed role is refused."""
    from dr_permissions import orchestrator

    narrowed = [
        dataclasses.replace(g, on=tuple(n for n in g.on if n != "default_option_group"))
        for g in orchestrator.orchestrator_grants(
            automatic_recheck=False, match_serverless_capacity=False, run_reports=False
        )
    ]
    monkeypatch.setattr(orchestrator, "orchestrator_grants", lambda **_kwargs: narrowed)
    simulated = _simulated(_recovery_config("db.r6g.large"))
    for action in ("rds:CreateDBInstance", "rds:CreateDBCluster"):
        assert "arn:aws:rds:us-west-2:123456789012:og:default:aurora" in simulated[action].resources, action


def test_the_simulated_option_group_is_the_one_rds_gives_the_engine():
    """RDS User Guide, working with option groups: a new Aurora cluster or instance gets the engine's default
    option group, ``default:<engine>-<major>`` (``default:aurora-mysql-8-0``, ``default:aurora-postgresql-16``);
    the simulation names that group, read from the global cluster's engine and version."""
    from dr_failover.checks.failover_readiness import default_option_group, failover_permissions
    from dr_failover.checks.preflight import PreflightReport, parse_global_cluster

    assert default_option_group("aurora-mysql", "8.0.mysql_aurora.3.08.2") == "default:aurora-mysql-8-0"
    assert default_option_group("aurora-postgresql", "16.4") == "default:aurora-postgresql-16"
    config = _recovery_config("db.r6g.large")
    report = PreflightReport(target_region=config.target_region)
    report.global_cluster = parse_global_cluster(
        {"Status": "available", "Engine": "aurora-mysql", "EngineVersion": "8.0.mysql_aurora.3.08.2"},
        config.target_cluster_arn,
    )
    simulated = {p.action: p for p in failover_permissions(config, report)}
    assert "arn:aws:rds:us-west-2:123456789012:og:default:aurora-mysql-8-0" in (
        simulated["rds:CreateDBInstance"].resources
    )


def test_every_recovery_grant_names_what_rds_authorizes_its_call_on():
    """Each grant of CreateDBCluster/CreateDBInstance names every resource RDS authorizes the call on."""
    from dr_permissions import orchestrator

    grants = orchestrator.orchestrator_grants(automatic_recheck=True, match_serverless_capacity=True, run_reports=True)
    for action, needed in orchestrator.AUTHORIZED_ON.items():
        granting = [g for g in grants if action in g.actions]
        assert granting, action
        assert all(set(needed) <= set(g.on) for g in granting), (action, needed, [g.on for g in granting])


@pytest.mark.parametrize(
    ("instance_class", "matching", "simulated"),
    [("db.serverless", True, True), ("db.serverless", False, False), ("db.r6g.large", True, False)],
)
def test_modify_db_cluster_is_simulated_only_where_capacity_matching_calls_it(instance_class, matching, simulated):
    """Capacity matching calls ModifyDBCluster only to raise a Serverless v2 target's maximum ACUs: the stack
    grants it there only, and the simulation asks for it there only (elsewhere it would report a denial of a
    call that is never made)."""
    config = _recovery_config(instance_class, match_database_capacity=matching)
    assert ("rds:ModifyDBCluster" in _simulated(config)) is simulated


def test_without_a_spec_the_creates_are_simulated_on_what_the_function_can_name():
    """A function deployed without REPROTECT_CLUSTER_SPEC still has its creates simulated on the cluster, the
    instance and the default option group (the spec only adds the subnet and parameter groups)."""
    simulated = _simulated(_recovery_config("db.r6g.large", spec=False))
    assert any(":og:default:" in arn for arn in simulated["rds:CreateDBInstance"].resources)
    assert "iam:PassRole" not in simulated


def test_the_run_report_put_and_its_data_key_are_simulated_where_the_function_writes_reports():
    """Every failover or recovery run ends by putting its report (PutObject, authorized on the object: Service
    Authorization Reference, Amazon S3, resource type ``object``) SSE-KMS with the report key, for which S3 asks
    KMS for a data key with the caller's permissions (GenerateDataKey on the key, through S3: S3 User Guide, "Using
    server-side encryption with AWS KMS keys"). The simulation asks for both, as the calls name them, only where
    the function is given a report bucket."""
    key = "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    config = dataclasses.replace(
        _recovery_config("db.r6g.large"), report_bucket="app-secondary-runs", report_kms_key_arn=key
    )
    simulated = _simulated(config)
    (report_object,) = simulated["s3:PutObject"].resources
    assert report_object.startswith(f"arn:aws:s3:::app-secondary-runs/{contract.REPORT_PREFIX}/")
    assert report_object.endswith(".json")
    data_key = simulated["kms:GenerateDataKey"]
    assert data_key.resources == (key,)
    assert data_key.context == (("kms:ViaService", "s3.us-west-2.amazonaws.com"),)
    without_reports = _simulated(_recovery_config("db.r6g.large"))
    assert "s3:PutObject" not in without_reports and "kms:GenerateDataKey" not in without_reports
