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
