"""One region's WAFv2 web ACL in front of the ALB: AWS managed rule groups, a rate limit, encrypted logs."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.wafv2_web_acl import (
    Wafv2WebAcl,
    Wafv2WebAclDefaultAction,
    Wafv2WebAclDefaultActionAllow,
    Wafv2WebAclRule,
    Wafv2WebAclRuleAction,
    Wafv2WebAclRuleActionBlock,
    Wafv2WebAclRuleOverrideAction,
    Wafv2WebAclRuleOverrideActionNone,
    Wafv2WebAclRuleVisibilityConfig,
    Wafv2WebAclVisibilityConfig,
)
from cdktf_cdktf_provider_aws.wafv2_web_acl_association import Wafv2WebAclAssociation
from cdktf_cdktf_provider_aws.wafv2_web_acl_logging_configuration import (
    Wafv2WebAclLoggingConfiguration,
    Wafv2WebAclLoggingConfigurationRedactedFields,
    Wafv2WebAclLoggingConfigurationRedactedFieldsSingleHeader,
)

from constructs import Construct
from dr_stack.application.app_tier import AppTier
from dr_stack.foundation.keys import RegionalKey
from dr_stack.naming.names import RegionNames

# AWS managed rule groups, in evaluation order (priority = position * 10, after the rate limit).
MANAGED_RULE_GROUPS = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
)
RATE_LIMIT_RULE = "rate-limit-per-ip"
# Credentials and session cookies never reach the logs.
REDACTED_HEADERS = ("authorization", "cookie")


def _visibility(metric_name: str) -> Wafv2WebAclRuleVisibilityConfig:
    return Wafv2WebAclRuleVisibilityConfig(
        cloudwatch_metrics_enabled=True, metric_name=metric_name, sampled_requests_enabled=True
    )


class WebAcl(Construct):
    """REGIONAL web ACL associated with one region's ALB, logging to a KMS-encrypted log group."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        provider: AwsProvider,
        names: RegionNames,
        key: RegionalKey,
        app_tier: AppTier,
        rate_limit: int,
        log_retention_days: int,
    ) -> None:
        """A web ACL called ``names.web_acl`` on the load balancer of ``app_tier`` (of the provider's region), logging
        to the log group ``names.waf_log_group`` encrypted with ``key``. ``rate_limit``: requests per IP per 5
        minutes before WAF blocks that IP. ``log_retention_days``: how long CloudWatch Logs keeps the WAF logs."""
        super().__init__(scope, id_)
        name = names.web_acl
        rules = [
            Wafv2WebAclRule(
                name=RATE_LIMIT_RULE,
                priority=0,
                action=Wafv2WebAclRuleAction(block=Wafv2WebAclRuleActionBlock()),
                statement={"rate_based_statement": {"limit": rate_limit, "aggregate_key_type": "IP"}},
                visibility_config=_visibility(f"{name}-{RATE_LIMIT_RULE}"),
            )
        ]
        for position, group in enumerate(MANAGED_RULE_GROUPS, start=1):
            rules.append(
                Wafv2WebAclRule(
                    name=group,
                    priority=position * 10,
                    # "none": the group's own rule actions (block) apply; "count" would only observe.
                    override_action=Wafv2WebAclRuleOverrideAction(none=Wafv2WebAclRuleOverrideActionNone()),
                    statement={"managed_rule_group_statement": {"name": group, "vendor_name": "AWS"}},
                    visibility_config=_visibility(f"{name}-{group}"),
                )
            )
        self.web_acl = Wafv2WebAcl(
            self,
            "web_acl",
            provider=provider,
            name=name,
            scope="REGIONAL",
            description=f"{name} load balancer: AWS managed rules and a per-IP rate limit",
            default_action=Wafv2WebAclDefaultAction(allow=Wafv2WebAclDefaultActionAllow()),
            visibility_config=Wafv2WebAclVisibilityConfig(
                cloudwatch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
            ),
            rule=rules,
        )
        self.log_group = CloudwatchLogGroup(
            self,
            "log_group",
            provider=provider,
            name=names.waf_log_group,
            retention_in_days=log_retention_days,
            kms_key_id=key.key_arn,
        )
        Wafv2WebAclLoggingConfiguration(
            self,
            "logging",
            provider=provider,
            resource_arn=self.web_acl.arn,
            log_destination_configs=[self.log_group.arn],
            redacted_fields=[
                Wafv2WebAclLoggingConfigurationRedactedFields(
                    single_header=Wafv2WebAclLoggingConfigurationRedactedFieldsSingleHeader(name=header)
                )
                for header in REDACTED_HEADERS
            ],
        )
        Wafv2WebAclAssociation(
            self, "association", provider=provider, resource_arn=app_tier.alb_arn, web_acl_arn=self.web_acl.arn
        )

    @property
    def web_acl_arn(self) -> str:
        """ARN of the web ACL."""
        return self.web_acl.arn

    @property
    def web_acl_name(self) -> str:
        """Name of the web ACL (the WebACL dimension of AWS/WAFV2 metrics)."""
        return self.web_acl.name

    @property
    def log_group_name(self) -> str:
        """Name of the log group receiving the WAF logs."""
        return self.log_group.name
