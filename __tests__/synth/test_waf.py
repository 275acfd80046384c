"""WAF: managed rule groups, rate limit, encrypted logs with redaction, one web ACL per region's ALB."""

from __future__ import annotations

import pytest
from conftest import Synthesized

MANAGED_GROUPS = {
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
}
ROLES = ("primary", "secondary")


def _acl(stack: Synthesized, role: str) -> dict:
    return stack.only("aws_wafv2_web_acl", f"{role}_web_acl")


@pytest.mark.parametrize("role", ROLES)
def test_web_acl_is_regional_and_allows_by_default(dev: Synthesized, role: str) -> None:
    acl = _acl(dev, role)
    assert acl["scope"] == "REGIONAL" and acl["default_action"] == {"allow": {}}
    assert acl["provider"] == f"aws.{role}"
    assert acl["visibility_config"]["cloudwatch_metrics_enabled"] is True


def test_managed_rule_groups_enforce_their_own_actions(dev: Synthesized) -> None:
    rules = _acl(dev, "primary")["rule"]
    managed = {
        rule["statement"]["managed_rule_group_statement"]["name"]: rule
        for rule in rules
        if "managed_rule_group_statement" in rule["statement"]
    }
    assert set(managed) == MANAGED_GROUPS
    for rule in managed.values():
        assert rule["statement"]["managed_rule_group_statement"]["vendor_name"] == "AWS"
        assert rule["override_action"] == {"none": {}}  # "count" would only observe
        assert rule["visibility_config"]["cloudwatch_metrics_enabled"] is True
    assert len({rule["priority"] for rule in rules}) == len(rules)


def test_rate_rule_blocks_per_ip_at_the_setting(dev: Synthesized) -> None:
    rate = [rule for rule in _acl(dev, "secondary")["rule"] if "rate_based_statement" in rule["statement"]]
    assert len(rate) == 1
    assert rate[0]["statement"]["rate_based_statement"] == {"limit": 2000, "aggregate_key_type": "IP"}
    assert rate[0]["action"] == {"block": {}}


@pytest.mark.parametrize("role", ROLES)
def test_waf_logs_go_to_an_encrypted_aws_waf_logs_group(prod: Synthesized, role: str) -> None:
    group = prod.only("aws_cloudwatch_log_group", f"{role}_web_acl")
    assert group["name"].startswith("aws-waf-logs-")
    assert f"aws_kms_key.{role}_key" in group["kms_key_id"]
    assert group["retention_in_days"] == 365  # prod profile's log_retention_days
    logging = prod.only("aws_wafv2_web_acl_logging_configuration", f"{role}_web_acl")
    assert f"{role}_web_acl_log_group" in logging["log_destination_configs"][0]
    assert f"aws_wafv2_web_acl.{role}_web_acl" in logging["resource_arn"]
    redacted = {field["single_header"]["name"] for field in logging["redacted_fields"]}
    assert "authorization" in redacted


@pytest.mark.parametrize("role", ROLES)
def test_web_acl_protects_its_regions_alb(dev: Synthesized, role: str) -> None:
    association = dev.only("aws_wafv2_web_acl_association", f"{role}_web_acl")
    assert f"aws_lb.{role}_app_tier_load_balancer" in association["resource_arn"]
    assert f"aws_wafv2_web_acl.{role}_web_acl" in association["web_acl_arn"]
    assert association["provider"] == f"aws.{role}"


# ----- unit: WebAcl in an empty stack -----


@pytest.fixture(scope="module")
def lone_acl() -> Synthesized:
    """A web ACL with a 500-request limit and 7-day log retention on one app tier."""
    from construct_support import app_tier, empty_stack, networks_and_topics, provider_pair, regional_keys, synth
    from dr_stack.naming.names import RegionNames
    from dr_stack.traffic.waf import WebAcl

    stack = empty_stack("waf")
    providers = provider_pair(stack)
    keys = regional_keys(stack, providers)
    networks, topics = networks_and_topics(stack, providers, keys)
    tier = app_tier(stack, providers, keys, networks, topics, role="secondary")
    WebAcl(
        stack,
        "acl",
        provider=providers.secondary,
        names=RegionNames("unit", "secondary"),
        key=keys["secondary"],
        app_tier=tier,
        rate_limit=500,
        log_retention_days=7,
    )
    return synth(stack)


def test_unit_acl_rate_limit_and_log_retention_are_the_given_ones(lone_acl: Synthesized) -> None:
    from cdktf import Testing
    from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup

    rate = next(rule for rule in lone_acl.only("aws_wafv2_web_acl")["rule"] if rule["name"] == "rate-limit-per-ip")
    assert rate["statement"]["rate_based_statement"]["limit"] == 500
    assert Testing.to_have_resource_with_properties(
        lone_acl.text,
        CloudwatchLogGroup.TF_RESOURCE_TYPE,
        {"name": "aws-waf-logs-unit-secondary", "retention_in_days": 7},
    )


def test_unit_acl_is_associated_with_the_app_tier_load_balancer(lone_acl: Synthesized) -> None:
    association = lone_acl.only("aws_wafv2_web_acl_association")
    assert association["provider"] == "aws.secondary"
    assert association["resource_arn"] == lone_acl.ref("aws_lb", "secondary_app_tier", "arn")
    assert association["web_acl_arn"] == lone_acl.ref("aws_wafv2_web_acl", "acl", "arn")
