"""Deployment of the orchestrator: a function per region, least-privilege IAM, concurrency 1, DLQ, tracing."""

from __future__ import annotations

import json
from typing import Any

from cdktf import Testing
from cdktf_cdktf_provider_aws.lambda_function import LambdaFunction
from conftest import Synthesized


def _orchestrators(stack: Synthesized) -> dict[str, dict[str, Any]]:
    return {key: body for key, body in stack.resources("aws_lambda_function").items() if "orchestrator" in key}


def _policy(stack: Synthesized, role: str) -> list[dict[str, Any]]:
    body = stack.only("aws_iam_role_policy", f"failover_{role}_orchestrator_policy")["policy"]
    # Fn.jsonencode renders as ${jsonencode({...})}: read the statements back from the synthesized expression.
    assert body.startswith("${jsonencode(")
    return body


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
            "reserved_concurrent_executions": 1,
            "tracing_config": {"mode": "Active"},
        },
    )
    for function in _orchestrators(prod).values():
        assert function["dead_letter_config"]["target_arn"].startswith("${aws_sqs_queue.")
        assert function["kms_key_arn"].startswith("${aws_kms_key.")
        assert function["filename"].startswith("assets/")
        assert function["source_code_hash"]


def test_orchestrator_configuration_comes_from_the_stack(prod: Synthesized) -> None:
    variables = next(f for f in _orchestrators(prod).values() if f["provider"] == "aws.secondary")["environment"][
        "variables"
    ]
    assert variables["GLOBAL_CLUSTER_ID"] == "drapp-prod-global"
    assert variables["TARGET_CLUSTER_ID"] == "drapp-prod-secondary"
    assert variables["TARGET_CLUSTER_ARN"].startswith("${aws_rds_cluster.")
    assert variables["TARGET_ASG_NAME"].startswith("${aws_autoscaling_group.")
    assert (variables["TARGET_FAILOVER_MIN"], variables["TARGET_FAILOVER_DESIRED"]) == ("3", "3")
    assert variables["RPO_MINUTES"] == "5" and variables["RTO_MINUTES"] == "15"
    assert int(variables["LOCK_LEASE_SECONDS"]) > int(variables["PROMOTION_TIMEOUT_SECONDS"])
    assert variables["TRAFFIC_SWITCH_REGION"] == "us-west-2"
    assert variables["STATE_TABLE_NAME"] == "drapp-prod-failover-state"


def test_orchestrator_iam_is_scoped_to_resource_arns(prod: Synthesized) -> None:
    for role in ("primary", "secondary"):
        policy = _policy(prod, role)
        assert "rds:FailoverGlobalCluster" in policy
        assert "aws_rds_global_cluster." in policy
        # Wildcards only where the API has no resource-level permissions.
        wildcard_actions = {
            "xray:PutTraceSegments",
            "autoscaling:DescribeAutoScalingGroups",
            "cloudwatch:GetMetricStatistics",
            "cloudwatch:PutMetricData",
        }
        assert all(action in policy for action in wildcard_actions)
        assert '"rds:*"' not in policy and '"*:*"' not in policy and '"autoscaling:*"' not in policy
        assert "aws_autoscaling_group." in policy and "aws_sns_topic." in policy


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
    }


def test_automatic_trigger_is_off_by_default(dev: Synthesized) -> None:
    assert not dev.resources("aws_cloudwatch_event_rule")
    assert len(_orchestrators(dev)) == 2


def test_lambda_asset_excludes_caches_and_the_drill() -> None:
    from dr_stack.failover import lambda_source_dir

    staged = lambda_source_dir()
    names = {path.name for path in staged.rglob("*")}
    assert "handler.py" in names and "__pycache__" not in names and "drill.py" not in names
