"""One contract between constructs and Lambda: every synthesized function's environment loads on the Lambda side.

The constructs and the functions share ``lambda_src/dr_contract.py`` (environment variable names, metric
namespace, dimension and metric names). These tests take the environment of every synthesized orchestrator,
probe and switch keeper in both profiles, resolve the Terraform references the way AWS would fill them in
(ARNs in the documented ``arn:aws:<service>:<region>:<account>:...`` formats, names from the referenced
resource), and load it with the Lambda's own parser. A name spelled differently on one side fails here.
"""

from __future__ import annotations

import re
from typing import Any

import dr_contract as contract
import pytest
from conftest import Synthesized
from dr_failover.config import VARIABLES, load_config
from dr_failover.keeper import KEEPER_VARIABLES, read_keeper_config
from dr_probe.handler import read_config as read_probe_config

ACCOUNT = "123456789012"
REFERENCE = re.compile(r"\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)\}")
DATA_REFERENCE = re.compile(r"\$\{data\.(aws_caller_identity|aws_partition)\.[A-Za-z0-9_-]+\.(account_id|partition)\}")


def _region(stack: Synthesized, provider: str) -> str:
    alias = provider.split(".", 1)[1]
    return next(p["region"] for p in stack.data["provider"]["aws"] if p.get("alias") == alias)


def _resolve(stack: Synthesized, value: str) -> str:
    """Replace each ${type.name.attribute} with the value AWS would give it."""

    value = DATA_REFERENCE.sub(lambda m: ACCOUNT if m.group(2) == "account_id" else "aws", value)

    def replace(match: re.Match[str]) -> str:
        resource_type, name, attribute = match.groups()
        body = stack.resources(resource_type)[name]
        region = _region(stack, body["provider"])
        literal = body.get(attribute)
        if isinstance(literal, str):
            return _resolve(stack, literal)
        if resource_type == "aws_rds_cluster" and attribute == "arn":
            return f"arn:aws:rds:{region}:{ACCOUNT}:cluster:{_resolve(stack, body['cluster_identifier'])}"
        if resource_type == "aws_sns_topic" and attribute == "arn":
            return f"arn:aws:sns:{region}:{ACCOUNT}:{_resolve(stack, body['name'])}"
        if resource_type == "aws_route53_health_check" and attribute == "id":
            return "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
        if resource_type == "aws_kms_key" and attribute == "arn":
            return f"arn:aws:kms:{region}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        if resource_type == "aws_lb_target_group" and attribute == "arn":
            return f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT}:targetgroup/app-tg/0123456789abcdef"
        if resource_type == "aws_security_group" and attribute == "id":
            return "sg-0123456789abcdef0"
        if resource_type == "aws_iam_role" and attribute == "arn":
            return f"arn:aws:iam::{ACCOUNT}:role/{_resolve(stack, body['name'])}"
        if resource_type == "aws_lb" and attribute == "dns_name":
            return f"{name.replace('_', '-')[:20]}-1234567890.{region}.elb.amazonaws.com"
        raise AssertionError(f"no resolution for {match.group(0)}")

    return REFERENCE.sub(replace, value)


def _environments(stack: Synthesized, handler: str) -> list[dict[str, str]]:
    functions = [f for f in stack.resources("aws_lambda_function").values() if f["handler"] == handler]
    assert functions, handler
    return [{k: _resolve(stack, v) for k, v in f["environment"]["variables"].items()} for f in functions]


@pytest.mark.parametrize("profile", ["dev", "prod"])
def test_every_orchestrator_environment_loads_as_the_lambda_config(
    profile: str, request: pytest.FixtureRequest
) -> None:
    stack: Synthesized = request.getfixturevalue(profile)
    environments = _environments(stack, contract.ORCHESTRATOR_HANDLER)
    assert len(environments) == 2
    known = {variable for variable, *_ in VARIABLES}
    for environment in environments:
        assert set(environment) <= known, set(environment) - known
        config = load_config(environment)
        assert config.metric_namespace == contract.METRIC_NAMESPACE
        assert config.traffic_switch_metric == contract.TRAFFIC_SWITCH_METRIC
        assert config.probe_metric == contract.PROBE_METRIC
        # Recovery operations: the report target, the target group and the reprotect spec arrive and parse.
        assert config.report_bucket and config.report_kms_key_arn and config.target_group_arn
        assert config.match_database_capacity is True
        from dr_failover.actions.reprotect import ReprotectSpec

        spec = ReprotectSpec.from_environment(
            environment, cluster_id=config.target_cluster_id, region=config.target_region, global_cluster_id="g"
        )
        assert spec.cluster.kms_key_id == config.report_kms_key_arn
    assert {load_config(e).target_region for e in environments} == {"us-east-1", "us-west-2"}


@pytest.mark.parametrize("profile", ["dev", "prod"])
def test_every_switch_keeper_environment_loads(profile: str, request: pytest.FixtureRequest) -> None:
    stack: Synthesized = request.getfixturevalue(profile)
    for environment in _environments(stack, contract.SWITCH_KEEPER_HANDLER):
        assert set(environment) == set(KEEPER_VARIABLES)
        config = read_keeper_config(environment)
        assert config[contract.TRAFFIC_SWITCH_METRIC_VARIABLE] == contract.TRAFFIC_SWITCH_METRIC


def test_the_probe_environment_loads_and_writes_what_the_trigger_alarm_reads(prod: Synthesized) -> None:
    (environment,) = _environments(prod, contract.PROBE_HANDLER)
    config: dict[str, Any] = read_probe_config(environment)
    alarm = prod.only("aws_cloudwatch_metric_alarm", "primary_down_alarm")
    assert (config["METRIC_NAMESPACE"], config["METRIC_NAME"]) == (alarm["namespace"], alarm["metric_name"])
    assert list(alarm["dimensions"]) == [contract.GLOBAL_CLUSTER_DIMENSION]
    assert alarm["dimensions"][contract.GLOBAL_CLUSTER_DIMENSION] == config["GLOBAL_CLUSTER_ID"]


def test_dev_has_no_probe_and_the_constructs_share_the_lambda_module() -> None:
    from dr_stack.contract import contract as construct_side

    assert construct_side is contract  # one module object, not a copy


@pytest.mark.parametrize(
    ("setting", "variable"),
    [
        ("primary_app_min_capacity", contract.FAILOVER_CAPACITY_MIN),
        ("primary_app_desired_capacity", contract.FAILOVER_CAPACITY_DESIRED),
        ("primary_app_max_capacity", contract.FAILOVER_CAPACITY_MAX),
        ("secondary_app_min_capacity", contract.STANDBY_MIN),
        ("secondary_app_desired_capacity", contract.STANDBY_DESIRED),
        ("secondary_app_max_capacity", contract.FAILOVER_CAPACITY_MAX),
    ],
)
def test_capacity_settings_take_the_bounds_the_orchestrator_accepts(setting: str, variable: str) -> None:
    """A capacity setting accepts exactly the values the orchestrator's variable it feeds accepts at cold start."""
    from dr_stack.config.settings import FIELD_RULES

    parser = next(parse for name, _field, parse, _default in VARIABLES if name == variable)

    def lambda_accepts(value: int) -> bool:
        try:
            parser(str(value))
        except ValueError:
            return False
        return True

    for value in (-1, 0, 1, contract.CAPACITY_RANGE[1], contract.CAPACITY_RANGE[1] + 1):
        assert (FIELD_RULES[setting](value) is None) == lambda_accepts(value), (setting, value)
