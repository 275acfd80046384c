"""Deployment of the orchestrator: a function per region, least-privilege IAM, reserved concurrency, DLQ, tracing."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
from cdktf import Testing
from cdktf_cdktf_provider_aws.lambda_function import LambdaFunction
from conftest import Synthesized, new_testing_app


def _orchestrators(stack: Synthesized) -> dict[str, dict[str, Any]]:
    return {key: body for key, body in stack.resources("aws_lambda_function").items() if "orchestrator" in key}


def _policy(stack: Synthesized, role: str) -> list[dict[str, Any]]:
    """The orchestrator's inline policy statements, read from its aws_iam_policy_document."""
    return stack.statements(stack.only("aws_iam_role_policy", f"failover_{role}_orchestrator_policy")["policy"])


def test_one_orchestrator_per_region_promoting_its_own_region(prod: Synthesized) -> None:
    functions = _orchestrators(prod)
    assert sorted(f["provider"] for f in functions.values()) == ["aws.primary", "aws.secondary"]
    for function in functions.values():
        variables = function["environment"]["variables"]
        expected = "us-east-1" if function["provider"] == "aws.primary" else "us-west-2"
        assert variables["TARGET_REGION"] == expected
        assert variables["PEER_REGION"] != expected


def test_orchestrator_runtime_concurrency_tracing_and_dead_letters(prod: Synthesized) -> None:
    assert Testing.to_have_resource_with_properties(
        prod.text,
        LambdaFunction.TF_RESOURCE_TYPE,
        {
            "runtime": "python3.13",
            "handler": "dr_failover.handler.handler",
            "timeout": 900,
            "tracing_config": {"mode": "Active"},
        },
    )
    for function in _orchestrators(prod).values():
        assert function["dead_letter_config"]["target_arn"].startswith("${aws_sqs_queue.")
        assert function["kms_key_arn"].startswith("${aws_kms_key.")
        assert function["filename"].startswith("assets/")
        assert function["source_code_hash"]


def test_status_and_readiness_are_not_throttled_while_a_run_holds_a_slot(prod: Synthesized) -> None:
    """Reserved concurrency is the most instances of a function that run at once (Lambda Developer Guide,
    "Configuring reserved concurrency"); beyond it a synchronous Invoke fails with HTTP 429
    TooManyRequestsException, Reason ReservedFunctionConcurrentInvocationLimitExceeded (botocore lambda model),
    and an asynchronous event waits in the queue with backoff up to 5 minutes. During a run (up to 900 s) an
    operator's `status` or `preflight`, and the scheduled readiness run or re-evaluation, each need a slot of
    their own; runs are serialized by the lease lock instead
    (test_failover_lambda.py::test_two_concurrent_runs_in_one_region_cannot_both_take_the_lease)."""
    functions = _orchestrators(prod)
    assert functions
    for key, function in functions.items():
        reserved = int(function.get("reserved_concurrent_executions", -1))
        # One run + one person's status/preflight + one scheduled readiness/re-evaluation at the same time.
        assert reserved >= 3, f"{key}: reserved concurrency {reserved} throttles status while a run goes"


def test_orchestrator_configuration_comes_from_the_stack(prod: Synthesized) -> None:
    variables = next(f for f in _orchestrators(prod).values() if f["provider"] == "aws.secondary")["environment"][
        "variables"
    ]
    assert variables["GLOBAL_CLUSTER_ID"] == "drapp-prod-global"
    assert variables["TARGET_CLUSTER_ARN"] == prod.ref("aws_rds_cluster", "secondary_cluster", "arn")
    assert variables["PEER_CLUSTER_ID"] == "drapp-prod-primary"
    assert variables["TARGET_ASG_NAME"].startswith("${aws_autoscaling_group.")
    assert (variables["FAILOVER_CAPACITY_MIN"], variables["FAILOVER_CAPACITY_DESIRED"]) == ("3", "3")
    assert variables["RPO_MINUTES"] == "5" and variables["RTO_MINUTES"] == "15"
    assert int(variables["LOCK_LEASE_SECONDS"]) > int(variables["PROMOTION_TIMEOUT_SECONDS"])
    assert variables["TRAFFIC_SWITCH_REGION"] == "us-west-2"
    # Left out (Lambda's 4 KB): the function derives the state table's name from GLOBAL_CLUSTER_ID.
    import dr_contract

    assert "STATE_TABLE_NAME" not in variables
    tables = {body["name"] for body in prod.resources("aws_dynamodb_table").values()}
    assert dr_contract.state_table_name_of(variables["GLOBAL_CLUSTER_ID"]) == "drapp-prod-failover-state" in tables


def test_orchestrator_iam_is_scoped_to_resource_arns(prod: Synthesized) -> None:
    for role in ("primary", "secondary"):
        statements = {statement["sid"]: statement for statement in _policy(prod, role)}
        promote = statements["PromoteThisRegion"]
        assert "rds:FailoverGlobalCluster" in promote["actions"]
        assert promote["resources"][0] == prod.ref("aws_rds_global_cluster", "database_global_cluster", "arn")
        # Wildcards only where the API has no resource-level permissions.
        wildcard_actions = {
            "xray:PutTraceSegments",
            "xray:PutTelemetryRecords",
            "autoscaling:DescribeAutoScalingGroups",
            "cloudwatch:GetMetricStatistics",
            "cloudwatch:PutMetricData",
        }
        for statement in statements.values():
            assert all(not action.endswith("*") for action in statement["actions"]), statement
            if "*" in statement["resources"]:
                assert set(statement["actions"]) <= wildcard_actions, statement
        assert all(arn.startswith("${aws_autoscaling_group.") for arn in statements["ScaleAppTiers"]["resources"])
        assert statements["Notify"]["resources"] == [prod.ref("aws_sns_topic", f"{role}_alarm_topic", "arn")]
        # Writes to CloudWatch are held to the orchestrator's namespace.
        (namespace,) = statements["PublishMetrics"]["condition"]
        assert (namespace["variable"], namespace["values"]) == ("cloudwatch:namespace", ["DR/Failover"])
        # The peer health check's ARN carries the partition of the account, not a literal "aws".
        (peer_check,) = statements["ReadPeerHealth"]["resources"]
        assert peer_check.startswith("arn:${data.aws_partition.") and ":route53:::healthcheck/" in peer_check


def test_orchestrator_environment_has_no_secret(prod: Synthesized) -> None:
    for function in _orchestrators(prod).values():
        text = json.dumps(function["environment"]).lower()
        assert "password" not in text and "secret" not in text


def test_automatic_trigger_lives_in_the_secondary_region(prod: Synthesized) -> None:
    alarm = prod.only("aws_cloudwatch_metric_alarm", "primary_down_alarm")
    assert alarm["provider"] == "aws.secondary"
    rule = prod.only("aws_cloudwatch_event_rule", "automatic_failover_rule")
    assert rule["provider"] == "aws.secondary"
    target = prod.only("aws_cloudwatch_event_target", "automatic_failover_target")
    event = json.loads(target["input"])
    assert event == {
        "mode": "failover",
        "target_region": "us-west-2",
        "dry_run": False,
        "reason": "automatic: primary endpoint probe failed from the secondary region",
        "trigger": "automatic",
    }


def test_probe_alarm_is_re_evaluated_every_minute_while_it_stays_in_alarm(prod: Synthesized) -> None:
    """EventBridge emits "CloudWatch Alarm State Change" only on a state change (EventBridge User Guide, "Alarm
    events and EventBridge"), so a second EventBridge rule on a one-minute schedule (the finest rate(...) accepts)
    invokes the secondary orchestrator with the re-evaluation trigger; EventBridge may invoke it only with a Lambda
    permission for that rule. The orchestrator reads the probe alarm's state through DescribeAlarms, whose resource
    is the alarm ARN (Service Authorization Reference, Amazon CloudWatch), granted on that alarm only."""
    alarm = prod.only("aws_cloudwatch_metric_alarm", "primary_down_alarm")
    rule = prod.only("aws_cloudwatch_event_rule", "automatic_recheck_rule")
    assert rule["provider"] == "aws.secondary" and rule["schedule_expression"] == "rate(1 minute)"
    target = prod.only("aws_cloudwatch_event_target", "automatic_recheck_target")
    assert target["provider"] == "aws.secondary" and "automatic_recheck_rule" in target["rule"]
    assert "failover_secondary_orchestrator_function" in target["arn"]
    assert json.loads(target["input"]) == {
        "mode": "failover",
        "target_region": "us-west-2",
        "dry_run": False,
        "reason": "automatic: primary endpoint probe alarm still in ALARM (scheduled re-evaluation)",
        "trigger": "automatic_recheck",
    }
    permission = prod.only("aws_lambda_permission", "automatic_recheck_permission")
    assert permission["principal"] == "events.amazonaws.com" and "automatic_recheck_rule" in permission["source_arn"]
    assert "failover_secondary_orchestrator_function" in permission["function_name"]
    (environment,) = [f["environment"] for key, f in _orchestrators(prod).items() if "secondary_orchestrator" in key]
    assert environment["variables"]["PROBE_ALARM_NAME"] == alarm["alarm_name"]
    (grant,) = [s for s in _policy(prod, "secondary") if "cloudwatch:DescribeAlarms" in s["actions"]]
    assert grant["actions"] == ["cloudwatch:DescribeAlarms"]
    (resource,) = grant["resources"]
    assert re.fullmatch(r"arn:\$\{.+\}:cloudwatch:us-west-2:\$\{.+\}:alarm:" + alarm["alarm_name"], resource)
    assert not [s for s in _policy(prod, "primary") if "cloudwatch:DescribeAlarms" in s["actions"]]


def test_missing_probe_data_never_triggers_a_failover(prod: Synthesized) -> None:
    """CloudWatch treat_missing_data 'breaching' turns a silent probe into ALARM (CloudWatch User Guide,
    "Configuring how CloudWatch alarms treat missing data"); the old trigger alarm did exactly that and started
    a data-losing failover of a healthy primary. Only failing datapoints may fire it; a silent probe raises a
    separate alarm that only notifies people (no EventBridge rule matches it)."""
    trigger = prod.only("aws_cloudwatch_metric_alarm", "primary_down_alarm")
    assert trigger["treat_missing_data"] == "notBreaching"
    silent = prod.only("aws_cloudwatch_metric_alarm", "probe_silent_alarm")
    assert silent["treat_missing_data"] == "breaching" and silent["statistic"] == "SampleCount"
    rule = json.loads(prod.only("aws_cloudwatch_event_rule", "automatic_failover_rule")["event_pattern"])
    assert rule["detail"]["alarmName"] == [trigger["alarm_name"]]
    assert silent["alarm_name"] not in rule["detail"]["alarmName"]


@pytest.mark.parametrize("profile", ["dev", "prod"])
def test_switch_keeper_republishes_the_switch_every_minute_in_the_secondary_region(
    profile: str, request: pytest.FixtureRequest
) -> None:
    """The keeper keeps the switch metric's data stream alive (Route53 reads the stream, not the alarm state),
    from the secondary region only, reading that region's state-table replica."""
    stack: Synthesized = request.getfixturevalue(profile)
    keeper = next(
        f for f in stack.resources("aws_lambda_function").values() if f["handler"] == "dr_failover.keeper.handler"
    )
    assert keeper["provider"] == "aws.secondary"
    schedule = stack.only("aws_cloudwatch_event_rule", "switch_keeper_schedule")
    assert schedule["provider"] == "aws.secondary" and schedule["schedule_expression"] == "rate(1 minute)"
    target = stack.only("aws_cloudwatch_event_target", "switch_keeper_schedule_target")
    assert "switch_keeper_function" in target["arn"]


def test_automatic_trigger_is_off_by_default(dev: Synthesized) -> None:
    assert not [key for key in dev.resources("aws_cloudwatch_event_rule") if "automatic_failover" in key]
    assert not [key for key in dev.resources("aws_cloudwatch_metric_alarm") if "primary_down" in key]
    assert len(_orchestrators(dev)) == 2


def test_lambda_asset_holds_only_what_runs_in_lambda(tmp_path: Path) -> None:
    """The zip is built from lambda_src: the functions, their contract, cluster spec and permission list (each
    module of the package), no caches, no test doubles."""
    from dr_stack.control_plane.failover import lambda_source_dir

    staged = lambda_source_dir(tmp_path)
    names = {path.name for path in staged.rglob("*")}
    assert {"handler.py", "keeper.py", "dr_contract.py", "dr_cluster_spec.py"} <= names
    permission_modules = {"__init__.py", "base.py", "orchestrator.py", "keeper.py", "probe.py"}
    assert {path.name for path in (staged / "dr_permissions").glob("*.py")} == permission_modules
    assert "__pycache__" not in names and "drill.py" not in names and "harness.py" not in names
    assert not any(re.search(r"^\s*(import|from) moto", path.read_text(), re.M) for path in staged.rglob("*.py"))


def test_synth_leaves_no_staging_directory_in_the_temp_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The old packaging left one dr-lambda-* directory in the system temp directory per process. Python's
    temp directory is pointed at an empty folder for this synth (other processes cannot interfere)."""
    from cdktf import Testing
    from dr_stack.config.settings import load_settings
    from dr_stack.stacks import DrStack

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    app = new_testing_app()
    Testing.synth(DrStack(app, "dr", settings=load_settings({}, environ={})))
    assert list(tmp_path.iterdir()) == []
    assert (Path(app.outdir) / ".lambda-staging" / "lambda_src" / "dr_contract.py").is_file()


# ----- unit: the failover constructs in an empty stack -----


def _orchestrators_stack(*, automatic: bool) -> Synthesized:
    from construct_support import synth, wired
    from dr_stack.application.app_tier import Capacity
    from dr_stack.control_plane.failover import FailoverOrchestrators, FailoverProps
    from dr_stack.naming.names import StackNames

    parts = wired(f"failover_{automatic}")
    FailoverOrchestrators(
        parts.stack,
        "failover",
        providers=parts.providers,
        keys=parts.keys,
        topics=parts.topics,
        database=parts.database,
        app_tiers=parts.app_tiers,
        state_table=parts.state_table,
        dns=parts.dns,
        props=FailoverProps(
            names=StackNames("unit"),
            failover_capacity=Capacity(minimum=3, maximum=9, desired=4),
            standby_capacity=Capacity(minimum=1, maximum=9, desired=1),
            rpo_minutes=5,
            rto_minutes=15,
            promotion_timeout_seconds=500,
            fence_timeout_seconds=60,
            confirmation_timeout_seconds=7,
            confirmation_lag_percent_of_rpo=20,
            automatic_min_interval_seconds=3600,
            probe_failure_periods=4,
            probe_interval_seconds=60,
            health_check_path="/health",
            automatic=automatic,
            probe_over_https=False,
            log_retention_days=14,
            failover_capacity_percent=100,
            min_success_percent=50,
            serving_timeout_seconds=300,
            match_database_capacity=True,
        ),
    )
    return synth(parts.stack)


@pytest.fixture(scope="module")
def manual_failover() -> Synthesized:
    return _orchestrators_stack(automatic=False)


def test_unit_orchestrators_are_told_the_given_capacities_and_deadlines(manual_failover: Synthesized) -> None:
    functions = {body["function_name"]: body for body in manual_failover.resources("aws_lambda_function").values()}
    variables = functions["unit-secondary-failover"]["environment"]["variables"]
    assert (
        variables["FAILOVER_CAPACITY_MIN"],
        variables["FAILOVER_CAPACITY_MAX"],
        variables["FAILOVER_CAPACITY_DESIRED"],
    ) == (
        "3",
        "9",
        "4",
    )
    assert (variables["STANDBY_MIN"], variables["STANDBY_DESIRED"]) == ("1", "1")
    # The lease outlives the promotion deadline by LEASE_MARGIN_SECONDS (120).
    assert (variables["PROMOTION_TIMEOUT_SECONDS"], variables["LOCK_LEASE_SECONDS"]) == ("500", "620")
    assert (variables["FENCE_TIMEOUT_SECONDS"], variables["CONFIRMATION_TIMEOUT_SECONDS"]) == ("60", "7")
    assert (variables["TARGET_REGION"], variables["PEER_REGION"]) == ("us-west-2", "us-east-1")
    assert functions["unit-secondary-failover"]["provider"] == "aws.secondary"


def test_unit_log_groups_keep_the_given_days(manual_failover: Synthesized) -> None:
    from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup

    assert Testing.to_have_resource_with_properties(
        manual_failover.text,
        CloudwatchLogGroup.TF_RESOURCE_TYPE,
        {"name": "/aws/lambda/unit-primary-failover", "retention_in_days": 14},
    )


def test_unit_manual_failover_has_no_probe_and_no_trigger(manual_failover: Synthesized) -> None:
    names = {body["function_name"] for body in manual_failover.resources("aws_lambda_function").values()}
    assert names == {"unit-primary-failover", "unit-secondary-failover", "unit-switch-keeper"}
    rules = {body["name"] for body in manual_failover.resources("aws_cloudwatch_event_rule").values()}
    assert rules == {"unit-switch-keeper-schedule"}


def test_unit_automatic_failover_adds_the_probe_and_its_trigger() -> None:
    synthesized = _orchestrators_stack(automatic=True)
    probe = next(
        body
        for body in synthesized.resources("aws_lambda_function").values()
        if body["function_name"] == "unit-primary-probe"
    )
    assert probe["provider"] == "aws.secondary"
    assert probe["environment"]["variables"]["PROBE_URL"].startswith("http://")
    alarm = synthesized.only("aws_cloudwatch_metric_alarm", "primary_down_alarm")
    assert (alarm["evaluation_periods"], alarm["datapoints_to_alarm"]) == (4, 4)
    assert "unit-automatic-failover" in {
        body["name"] for body in synthesized.resources("aws_cloudwatch_event_rule").values()
    }


# AWS managed policies the stack attaches; none grants cloudwatch:PutMetricData (AWS Managed Policy Reference:
# AmazonSSMManagedInstanceCore allows ssm, ssmmessages and ec2messages actions; AWSBackupServiceRolePolicyForBackup
# and ...ForRestores backup, snapshot and tag actions; AmazonRDSEnhancedMonitoringRole only CloudWatch Logs
# actions on the RDSOSMetrics log group).
_ATTACHED_WITHOUT_PUT_METRIC_DATA = {
    "AmazonSSMManagedInstanceCore",
    "service-role/AWSBackupServiceRolePolicyForBackup",
    "service-role/AWSBackupServiceRolePolicyForRestores",
    "service-role/AmazonRDSEnhancedMonitoringRole",
}


def _publishers(synth: Synthesized) -> dict[str, set[str | None]]:
    """Role name -> the namespaces its inline policies let it PutMetricData to (None: any namespace)."""
    roles = {key: body["name"] for key, body in synth.resources("aws_iam_role").items()}
    found: dict[str, set[str | None]] = {}
    for policy in synth.resources("aws_iam_role_policy").values():
        role = roles[policy["role"].split(".")[1]]
        for statement in synth.statements(policy["policy"]):
            if statement.get("effect", "Allow") != "Allow":
                continue
            if not any(action in ("cloudwatch:PutMetricData", "cloudwatch:*", "*") for action in statement["actions"]):
                continue
            conditions = [c for c in statement.get("condition", []) if c["variable"] == "cloudwatch:namespace"]
            namespaces: set[str | None] = {v for c in conditions for v in c["values"]} if conditions else {None}
            found.setdefault(role, set()).update(namespaces)
    return found


@pytest.mark.parametrize("fixture", ["dev", "prod"])
def test_only_the_keeper_and_the_orchestrators_may_publish_the_traffic_switch(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    """CloudWatch PutMetricData has no resource-level permission; the cloudwatch:namespace condition key limits it
    to namespaces (Service Authorization Reference, Amazon CloudWatch). Route53 moves traffic on PrimaryFenced in
    DR/Failover, so only the orchestrators and the switch keeper may write there; the probe, which fetches the
    app's URL, writes its metric to DR/Probe only. No role may publish to any namespace."""
    synth: Synthesized = request.getfixturevalue(fixture)
    prefix = "drapp-dev" if fixture == "dev" else "drapp-prod"
    publishers = _publishers(synth)
    assert all(None not in namespaces for namespaces in publishers.values()), publishers
    switch_writers = {role for role, namespaces in publishers.items() if "DR/Failover" in namespaces}
    expected = {f"{prefix}-primary-failover-role", f"{prefix}-secondary-failover-role", f"{prefix}-switch-keeper-role"}
    if fixture == "prod":  # the probe comes with automatic failover
        assert publishers[f"{prefix}-primary-probe-role"] == {"DR/Probe"}
    assert switch_writers == expected
    attached = {
        body["policy_arn"].split(":policy/")[-1] for body in synth.resources("aws_iam_role_policy_attachment").values()
    }
    assert attached <= _ATTACHED_WITHOUT_PUT_METRIC_DATA


def test_probe_and_its_alarms_use_the_probe_namespace(prod: Synthesized) -> None:
    """The probe function publishes to the namespace in its METRIC_NAMESPACE variable; the trigger alarms and the
    orchestrator's second-signal read must name the same one: the orchestrator's environment leaves PROBE_NAMESPACE
    out (Lambda's 4 KB), so its configuration takes dr_contract's."""
    from dr_failover.config import load_config
    from support.harness import static_env

    probe = prod.only("aws_lambda_function", "primary_probe")
    assert probe["environment"]["variables"]["METRIC_NAMESPACE"] == "DR/Probe"
    for alarm in ("primary_down_alarm", "probe_silent_alarm"):
        assert prod.only("aws_cloudwatch_metric_alarm", alarm)["namespace"] == "DR/Probe"
    for role in ("primary", "secondary"):
        orchestrator = prod.only("aws_lambda_function", f"failover_{role}_orchestrator_function")
        assert "PROBE_NAMESPACE" not in orchestrator["environment"]["variables"]
    assert "PROBE_NAMESPACE" not in static_env()  # the drill's environment is the stack's
    assert load_config(static_env()).probe_namespace == "DR/Probe"


@pytest.mark.parametrize("fixture", ["dev", "prod"])
def test_every_failover_path_function_alarms_on_errors_and_dead_letters(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    """A failed asynchronous failover ends in the function's dead-letter queue (Lambda Developer Guide,
    "Asynchronous invocation": Lambda sends an event it gives up on to the DLQ) and shows as Errors (AWS/Lambda,
    per FunctionName); each function (orchestrators, keeper, probe) alarms on both to its own region's topic, so a
    crashed run is seen. A dead letter waits in the queue until handled: missing SQS data (an idle queue) keeps the
    alarm's state."""
    synth: Synthesized = request.getfixturevalue(fixture)
    alarms = synth.resources("aws_cloudwatch_metric_alarm")
    functions = synth.resources("aws_lambda_function")
    queues = synth.resources("aws_sqs_queue")
    expected = {"failover_primary_orchestrator", "failover_secondary_orchestrator", "failover_switch_keeper"}
    if fixture == "prod":
        expected.add("failover_primary_probe")
    assert {key.rsplit("_function", 1)[0] for key in functions} == expected
    topics = {
        body["provider"]: f"${{aws_sns_topic.{key}.arn}}"
        for key, body in synth.resources("aws_sns_topic").items()
        if "route53" not in key
    }
    for key, function in functions.items():
        construct = key.rsplit("_function", 1)[0]
        (errors,) = [a for k, a in alarms.items() if k.startswith(f"{construct}_errors_alarm")]
        assert errors["dimensions"] == {"FunctionName": f"${{aws_lambda_function.{key}.function_name}}"}
        assert (errors["namespace"], errors["metric_name"], errors["statistic"]) == ("AWS/Lambda", "Errors", "Sum")
        assert (errors["threshold"], errors["comparison_operator"]) == (1, "GreaterThanOrEqualToThreshold")
        assert errors["treat_missing_data"] == "notBreaching"
        (letters,) = [a for k, a in alarms.items() if k.startswith(f"{construct}_dead_letter_alarm")]
        (queue_key,) = [k for k in queues if k.startswith(f"{construct}_dead_letter_queue")]
        assert letters["dimensions"] == {"QueueName": f"${{aws_sqs_queue.{queue_key}.name}}"}
        assert (letters["namespace"], letters["metric_name"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
        assert (letters["statistic"], letters["threshold"]) == ("Maximum", 1)
        assert letters["treat_missing_data"] == "ignore"
        for alarm in (errors, letters):
            assert alarm["provider"] == function["provider"]
            assert alarm["alarm_actions"] == [topics[function["provider"]]] == alarm["ok_actions"]


# Lambda Developer Guide, "Lambda quotas": a function's environment variables take at most 4 KB in aggregate; Lambda
# refuses more at deploy with InvalidParameterValueException "... exceeded the 4KB limit. String measured: {...}",
# the variables shown as one JSON object (the size is that object's).
LAMBDA_4_KB = 4096
_DOMAIN = "a" * 48 + ".example.com"  # app.<this>: 64 characters, the longest domain_name (ACM's limit)
# The longest values the settings allow wherever they feed an environment: a 20-character project name, an
# 8-character suffix, the longest region names, Serverless v2 capacities printed longest, 15 and 16 instances, the
# automatic trigger (its alarm name), the longest domain.
LONGEST_SETTINGS: dict[str, Any] = {
    "project_name": "p" + "x" * 19,
    "resource_suffix": "s1234567",
    "domain_name": f"app.{_DOMAIN}",
    "hosted_zone_name": _DOMAIN,
    "primary_region": "ap-southeast-2",
    "secondary_region": "ap-northeast-1",
    "db_instance_class": "db.serverless",
    "db_serverless_min_capacity": 128.5,
    "db_serverless_max_capacity": 255.5,
    "primary_db_instance_count": 15,
    "secondary_db_instance_count": 16,
}


def test_an_environment_over_4_kb_is_refused_naming_the_function_its_size_and_the_limit() -> None:
    """Exactly 4096 bytes (as one JSON object, each reference at its longest) passes; one more is refused at synth,
    before Lambda refuses it at deploy, naming the function, the size and the limit."""
    from dr_stack.control_plane.failover import RESOLVED_REFERENCE_BOUND, check_environment_size, environment_size_bound

    reference = "${aws_iam_role.x.arn}"
    room = LAMBDA_4_KB - len('{"A":""}') - RESOLVED_REFERENCE_BOUND
    fits = {"A": "x" * room + reference}
    assert environment_size_bound(fits) == LAMBDA_4_KB
    check_environment_size("fits", fits)
    with pytest.raises(ValueError, match=r"Lambda function big-orchestrator: .* 4097 bytes .* 4096-byte \(4 KB\)"):
        check_environment_size("big-orchestrator", {"A": "x" * (room + 1) + reference})


def test_the_environment_is_counted_as_the_json_object_lambda_measures() -> None:
    """Keys, values, quotes, separators and escapes all count: a JSON value inside a variable (the cluster spec) is
    counted with its escaped quotes."""
    from dr_stack.control_plane.failover import environment_size_bound

    variables = {"SPEC": json.dumps({"a": "b"}), "N": "1"}
    assert environment_size_bound(variables) == len(json.dumps(variables, separators=(",", ":")))
    assert environment_size_bound(variables) > sum(len(key) + len(value) for key, value in variables.items())


def test_every_function_environment_fits_4_kb_at_the_longest_settings() -> None:
    """The stack at the longest settings: synth passes its own check, and every function's synthesized environment,
    references at their longest, is under Lambda's 4 KB."""
    from conftest import PROD_OVERRIDES, _synth
    from dr_stack.control_plane.failover import environment_size_bound

    functions = _synth({**PROD_OVERRIDES, **LONGEST_SETTINGS})["dr"].resources("aws_lambda_function")
    sizes = {name: environment_size_bound(body["environment"]["variables"]) for name, body in functions.items()}
    assert len(sizes) == 4 and max(sizes.values()) < LAMBDA_4_KB, sizes


def test_the_stack_refuses_an_orchestrator_environment_that_could_exceed_4_kb(monkeypatch: pytest.MonkeyPatch) -> None:
    """Were each reference able to resolve to 300 characters, the orchestrators' environments could pass 4 KB at
    deploy: synth refuses, naming the function."""
    import dr_stack.control_plane.failover
    from conftest import PROD_OVERRIDES, _synth

    monkeypatch.setattr(dr_stack.control_plane.failover, "RESOLVED_REFERENCE_BOUND", 300)
    with pytest.raises(ValueError, match=r"Lambda function drapp-prod-primary-failover: .* bytes .* 4096-byte"):
        _synth(PROD_OVERRIDES)


@pytest.fixture(scope="module")
def drill_stack() -> Synthesized:
    """The DR stack synthesized with the drill's settings (support.drill.DRILL_SETTINGS)."""
    from dr_stack.config.settings import load_settings
    from dr_stack.stacks import DrStack
    from support.drill import DRILL_SETTINGS

    settings = load_settings(DRILL_SETTINGS, environ={})
    return Synthesized(Testing.synth(DrStack(new_testing_app(), "drill", settings=settings)))


@pytest.mark.parametrize("role", ["primary", "secondary"])
def test_drill_environment_has_the_deployed_orchestrators_variables(drill_stack: Synthesized, role: str) -> None:
    """The drill runs the function with the environment the stack deploys for the same settings: the same variables,
    so what the function derives when the stack leaves a variable out (STATE_TABLE_NAME from GLOBAL_CLUSTER_ID,
    Lambda's 4 KB for all variables, Lambda Developer Guide "Lambda quotas") is what the drill exercises. The only
    variables missing are those the drill removes by name: its world has no target group, builds no cluster from a
    spec and has no report bucket."""
    from support.drill import PRIMARY_REGION, SECONDARY_REGION, STATE_TABLE_NAME
    from support.harness import static_env

    deployed = drill_stack.only("aws_lambda_function", f"failover_{role}_orchestrator_function")["environment"][
        "variables"
    ]
    drill = static_env(target=PRIMARY_REGION if role == "primary" else SECONDARY_REGION)

    assert "STATE_TABLE_NAME" not in deployed and "STATE_TABLE_NAME" not in drill
    removed_by_the_drill = {"TARGET_GROUP_ARN", "REPROTECT_CLUSTER_SPEC", "REPORT_BUCKET", "REPORT_KMS_KEY_ARN"}
    assert removed_by_the_drill <= set(deployed)
    assert sorted(drill) == sorted(set(deployed) - removed_by_the_drill)
    import dr_contract

    assert dr_contract.state_table_name_of(drill["GLOBAL_CLUSTER_ID"]) == STATE_TABLE_NAME
