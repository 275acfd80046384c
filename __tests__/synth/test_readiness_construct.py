"""Readiness schedule (constructs/dr_stack/control_plane/readiness.py): the EventBridge schedule, its invoke permission,
the not-ready alarm and the checks' grants, in a one-provider stack."""

from __future__ import annotations

import json

import pytest
from cdktf import Testing
from conftest import Synthesized, new_testing_app
from dr_stack.control_plane.iam import trust_policy

REGION = "us-west-2"
TOPIC = "arn:aws:sns:us-west-2:123456789012:drapp-dev-secondary-alarms"
EVENT = {"mode": "readiness", "target_region": REGION}


def _synth(interval: int) -> Synthesized:
    from cdktf import TerraformStack
    from cdktf_cdktf_provider_aws.iam_role import IamRole
    from cdktf_cdktf_provider_aws.provider import AwsProvider
    from dr_stack.control_plane.readiness import ReadinessSchedule
    from dr_stack.naming.names import RegionNames

    stack = TerraformStack(new_testing_app(), "readiness")
    provider = AwsProvider(stack, "aws", region=REGION, alias="secondary")
    role = IamRole(
        stack,
        "fn_role",
        provider=provider,
        name="fn",
        assume_role_policy=trust_policy(stack, "fn_trust", provider=provider, service="lambda.amazonaws.com"),
    )
    schedule = ReadinessSchedule(
        stack,
        "secondary_readiness",
        provider=provider,
        names=RegionNames("drapp-dev", "secondary"),
        region=REGION,
        function_name="drapp-dev-secondary-failover",
        function_arn="arn:aws:lambda:us-west-2:123456789012:function:drapp-dev-secondary-failover",
        interval_minutes=interval,
        alarm_topic_arn=TOPIC,
        metric_namespace="DR/Failover",
        ready_metric="ReadyForFailover",
        dimensions={"GlobalCluster": "drapp-dev-global", "Region": REGION},
        event=EVENT,
    )
    schedule.grant_checks(role, role_arn=role.arn)
    return Synthesized(Testing.synth(stack))


@pytest.fixture(scope="module")
def small() -> Synthesized:
    """The schedule at the default 15-minute interval."""
    return _synth(15)


def test_schedule_invokes_the_orchestrator_with_the_readiness_event(small: Synthesized) -> None:
    """EventBridge rate expressions take a positive integer and minute|minutes (singular for 1)."""
    assert small.only("aws_cloudwatch_event_rule")["schedule_expression"] == "rate(15 minutes)"
    target = small.only("aws_cloudwatch_event_target")
    assert json.loads(target["input"]) == EVENT
    assert target["rule"] == small.ref("aws_cloudwatch_event_rule", "readiness", "name")
    permission = small.only("aws_lambda_permission")
    assert permission["principal"] == "events.amazonaws.com"
    assert permission["source_arn"] == small.ref("aws_cloudwatch_event_rule", "readiness", "arn")


def test_one_minute_interval_uses_the_singular_unit() -> None:
    """A rate of 1 must say 'minute' (EventBridge User Guide, "Rate expressions")."""
    assert _synth(1).only("aws_cloudwatch_event_rule")["schedule_expression"] == "rate(1 minute)"


def test_not_ready_alarm_notifies_after_two_intervals_without_a_ready_datapoint(small: Synthesized) -> None:
    alarm = small.only("aws_cloudwatch_metric_alarm")
    assert Testing.to_have_resource_with_properties(
        small.text,
        "aws_cloudwatch_metric_alarm",
        {
            "alarm_name": "drapp-dev-secondary-not-ready",
            "namespace": "DR/Failover",
            "metric_name": "ReadyForFailover",
            "dimensions": {"GlobalCluster": "drapp-dev-global", "Region": REGION},
            "statistic": "Minimum",
            "period": 900,
            "evaluation_periods": 2,
            "datapoints_to_alarm": 2,
            "threshold": 1,
            "comparison_operator": "LessThanThreshold",
            "treat_missing_data": "breaching",
            "alarm_actions": [TOPIC],
            "ok_actions": [TOPIC],
        },
    )
    assert alarm["provider"] == "aws.secondary"


@pytest.mark.parametrize("interval", [1, 59, 60, 1440])
def test_alarm_window_stays_within_put_metric_alarm_limits_over_the_settings_range(interval: int) -> None:
    """PutMetricAlarm: Period is 10, 20, 30 or a multiple of 60; Period x EvaluationPeriods <= 604,800 s,
    and <= 86,400 s when Period < 3,600 s (CloudWatch API reference, PutMetricAlarm Period)."""
    from dr_stack.config.settings import FIELD_RULES

    rule = FIELD_RULES["readiness_check_interval_minutes"]
    assert rule(1441) is not None and rule(0) is not None  # the setting's range ends where this test ends
    alarm = _synth(interval).only("aws_cloudwatch_metric_alarm")
    period, periods = alarm["period"], alarm["evaluation_periods"]
    assert period % 60 == 0
    assert period * periods <= (86_400 if period < 3_600 else 604_800)


def test_check_grants_name_the_own_role_only(small: Synthesized) -> None:
    """iam:SimulatePrincipalPolicy takes the principal as its resource (Service Authorization Reference, IAM);
    DescribeScalingActivities has no resource-level permissions."""
    grant = small.only("aws_iam_role_policy")["policy"]
    statements = {s["sid"]: s for s in small.statements(grant)}
    assert statements["SimulateOwnPolicies"]["resources"] == [small.ref("aws_iam_role", "fn_role", "arn")]
    assert statements["ReadScalingActivities"]["actions"] == ["autoscaling:DescribeScalingActivities"]
    assert small.only("aws_iam_role_policy")["role"] == small.ref("aws_iam_role", "fn_role", "id")


# ----- the stack's wiring (whole synthesized stacks) -----------------------------------------------------------


def _orchestrator_env(stack: Synthesized, role: str) -> dict[str, str]:
    return stack.only("aws_lambda_function", f"{role}_orchestrator_function")["environment"]["variables"]


@pytest.mark.parametrize("fixture", ["dev", "prod"])
def test_each_region_checks_its_own_readiness_and_alarms_to_its_own_topic(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    stack: Synthesized = request.getfixturevalue(fixture)
    prefix = "drapp-dev" if fixture == "dev" else "drapp-prod"
    for role, region in (("primary", "us-east-1"), ("secondary", "us-west-2")):
        target = stack.only("aws_cloudwatch_event_target", f"{role}_readiness")
        assert target["arn"] == stack.ref("aws_lambda_function", f"{role}_orchestrator_function", "arn")
        assert json.loads(target["input"]) == {"mode": "readiness", "target_region": region}
        assert target["provider"] == f"aws.{role}"
        alarm = stack.only("aws_cloudwatch_metric_alarm", f"{role}_readiness")
        assert alarm["alarm_actions"] == [stack.ref("aws_sns_topic", f"{role}_alarm_topic", "arn")]
        assert alarm["dimensions"] == {"GlobalCluster": f"{prefix}-global", "Region": region}
        assert stack.only("aws_cloudwatch_event_rule", f"{role}_readiness")["schedule_expression"] == "rate(15 minutes)"


def test_dashboard_shows_readiness_of_both_regions(dev: Synthesized) -> None:
    body = json.loads(dev.only("aws_cloudwatch_dashboard")["dashboard_body"])
    readiness = [w for w in body["widgets"] if w.get("properties", {}).get("title", "").startswith("Readiness")]
    assert len(readiness) == 1
    metrics = readiness[0]["properties"]["metrics"]
    assert [(m[1], m[-1]["region"]) for m in metrics] == [
        ("ReadyForFailover", "us-east-1"),
        ("ReadyForFailover", "us-west-2"),
    ]


@pytest.mark.parametrize("fixture", ["dev", "prod"])
def test_reprotect_spec_of_the_stack_is_what_the_lambda_reads(fixture: str, request: pytest.FixtureRequest) -> None:
    """One contract: the JSON the stack writes parses with the Lambda's own reader (tokens stand in as text)."""
    from dr_failover.actions.reprotect import ReprotectSpec

    stack: Synthesized = request.getfixturevalue(fixture)
    for role in ("primary", "secondary"):
        env = _orchestrator_env(stack, role)
        spec = ReprotectSpec.from_environment(
            env, cluster_id=f"drapp-{fixture}-{role}", region="r", global_cluster_id="g"
        ).cluster
        assert spec.kms_key_id == stack.key_arn(role)
        assert spec.db_subnet_group_name == stack.ref("aws_db_subnet_group", f"{role}_subnet_group", "name")
        expected_count = {"dev": {"primary": 2, "secondary": 1}, "prod": {"primary": 2, "secondary": 2}}[fixture][role]
        assert len(spec.instances) == expected_count


@pytest.mark.parametrize("fixture", ["dev", "prod"])
def test_recovery_variables_are_the_ones_the_lambda_config_reads(fixture: str, request: pytest.FixtureRequest) -> None:
    """Every variable the stack sets is one the Lambda's configuration table knows (no silent typo)."""
    from dr_failover.config import VARIABLES

    known = {variable for variable, *_ in VARIABLES}
    stack: Synthesized = request.getfixturevalue(fixture)
    for role in ("primary", "secondary"):
        env = _orchestrator_env(stack, role)
        assert set(env) <= known, set(env) - known
        assert env["REPORT_BUCKET"] == stack.ref("aws_s3_bucket", f"{role}_run_reports", "bucket")
        assert env["TARGET_GROUP_ARN"] == stack.ref("aws_lb_target_group", f"{role}_app_tier", "arn")
        assert env["SERVING_TIMEOUT_SECONDS"] == "300"  # app_scale_up_allowance 120 + health-check grace 180
        assert env["MATCH_DATABASE_CAPACITY"] == "true"
        assert env["FAILOVER_CAPACITY_PERCENT"] == "100" and env["MIN_SUCCESS_PERCENT"] == "50"


def test_recovery_grants_name_this_regions_cluster_instances_and_pass_only_the_monitoring_role(
    dev: Synthesized,
) -> None:
    """CreateDBInstance/CreateDBCluster are authorized on the db/cluster ARNs they create (Service Authorization
    Reference, Amazon RDS); iam:PassRole is limited to the monitoring role passed to RDS monitoring."""
    documents = {
        key: body for key, body in dev.data_sources("aws_iam_policy_document").items() if "recovery_operations" in key
    }
    assert len(documents) == 2
    primary = next(body for key, body in documents.items() if key.startswith("primary"))
    statements = {s["sid"]: s for s in primary["statement"]}
    instances = [r for r in statements["AddOwnInstances"]["resources"] if ":db:" in r]
    assert len(instances) == 1 and instances[0].endswith(
        ":rds:us-east-1:" + instances[0].split(":")[-3] + ":db:drapp-dev-primary-*"
    )
    assert statements["ReaddSecondaryCluster"]["resources"][0] == dev.ref("aws_rds_cluster", "primary_cluster", "arn")
    assert statements["PassMonitoringRole"]["resources"] == [dev.ref("aws_iam_role", "primary_monitoring_role", "arn")]
    assert statements["PassMonitoringRole"]["condition"][0]["values"] == ["monitoring.rds.amazonaws.com"]


def test_instance_reads_are_held_to_the_two_regions(dev: Synthesized) -> None:
    """DescribeDBInstances filtered by cluster names no instance and is authorized on db:* (Service Authorization
    Reference, Amazon RDS); capacity matching reads the peer cluster's instances too, so each orchestrator may read
    instances of its own and its peer's region, and of no other region (the ARN's region field)."""
    documents = {
        key: body for key, body in dev.data_sources("aws_iam_policy_document").items() if "recovery_operations" in key
    }
    for key, body in documents.items():
        (statement,) = [s for s in body["statement"] if s["sid"] == "ReadInstances"]
        regions = [resource.split(":")[3] for resource in statement["resources"]]
        own = "us-east-1" if key.startswith("primary") else "us-west-2"
        assert regions == [own, "us-west-2" if own == "us-east-1" else "us-east-1"], key
        assert all(resource.endswith(":db:*") for resource in statement["resources"])
