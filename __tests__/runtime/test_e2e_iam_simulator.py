"""The emulator's policy simulator against the IAM User Guide's evaluation logic and the IAM API Reference."""

from __future__ import annotations

from typing import Any

import pytest

from scripts.e2e.iam_simulator import Policy, Unsupported, simulate

DB = "arn:aws:rds:us-west-2:123456789012:db:app-secondary-1"
OPTION_GROUP = "arn:aws:rds:us-west-2:123456789012:og:default:aurora-mysql-8-0"


def _policy(*statements: dict[str, Any], name: str = "inline") -> Policy:
    return Policy(name, "role", {"Version": "2012-10-17", "Statement": list(statements)})


def _decision(policies: list[Policy], action: str, resource: str = "*", **context: str) -> str:
    keys = {k.replace("__", ":"): [v] for k, v in context.items()}
    return str(simulate(policies, [action], [resource], keys)[0]["EvalDecision"])


def test_a_request_is_implicitly_denied_unless_a_statement_allows_it() -> None:
    """IAM User Guide, policy evaluation logic: "By default, all requests are implicitly denied"; an Allow
    whose Action and Resource match allows it. Actions match case-insensitively with wildcards."""
    allow = _policy({"Effect": "Allow", "Action": "rds:Create*", "Resource": "arn:aws:rds:us-west-2:*:db:app-*"})
    assert _decision([allow], "rds:CreateDBInstance", DB) == "allowed"
    assert _decision([allow], "RDS:createdbinstance", DB) == "allowed"
    assert _decision([allow], "rds:CreateDBInstance", OPTION_GROUP) == "implicitDeny"
    assert _decision([allow], "rds:DeleteDBInstance", DB) == "implicitDeny"
    assert _decision([], "rds:CreateDBInstance", DB) == "implicitDeny"


def test_an_explicit_deny_in_any_policy_overrides_every_allow() -> None:
    """IAM User Guide: "An explicit deny in any policy overrides any allows"; the deny statement is the only
    matched statement reported (EvaluationResult.MatchedStatements)."""
    allow = _policy({"Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*"}, name="allow")
    deny = _policy(
        {
            "Effect": "Deny",
            "Action": "cloudwatch:PutMetricData",
            "Resource": "*",
            "Condition": {"StringEquals": {"cloudwatch:namespace": "DR/Failover"}},
        },
        name="deny",
    )
    result = simulate([allow, deny], ["cloudwatch:PutMetricData"], ["*"], {"cloudwatch:namespace": ["DR/Failover"]})
    assert result[0]["EvalDecision"] == "explicitDeny"
    assert result[0]["MatchedStatements"] == [{"SourcePolicyId": "deny", "SourcePolicyType": "role"}]
    assert _decision([allow, deny], "cloudwatch:PutMetricData", cloudwatch__namespace="DR/Probe") == "allowed"


def test_not_action_and_not_resource_match_everything_they_do_not_list() -> None:
    """IAM JSON policy elements: NotAction "matches everything except the specified list of actions";
    NotResource likewise for resources."""
    policy = _policy(
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "rds:*", "NotResource": DB},
    )
    assert _decision([policy], "rds:DescribeDBClusters", DB) == "allowed"
    assert _decision([policy], "rds:DescribeDBClusters", OPTION_GROUP) == "explicitDeny"
    assert _decision([policy], "iam:PassRole", "*") == "implicitDeny"


def test_a_missing_condition_key_fails_a_positive_operator_and_passes_a_negated_one() -> None:
    """IAM User Guide, condition operators: "If the key that you specify in a policy condition is not present in
    the request context, the values do not match and the condition is false. If the policy condition requires
    that the key is not matched, such as StringNotLike or ArnNotLike, and the right key is not present, the
    condition is true." ...IfExists holds when the key is absent; Null tests presence. The key is reported in
    MissingContextValues."""
    positive = _policy(
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "true"}}}
    )
    negated = _policy(
        {
            "Effect": "Allow",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:SourceAccount": "999999999999"}},
        }
    )
    if_exists = _policy(
        {
            "Effect": "Allow",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {"StringEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}},
        }
    )
    null = _policy(
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"Null": {"aws:TokenIssueTime": "true"}}}
    )
    assert _decision([positive], "s3:GetObject") == "implicitDeny"
    assert simulate([positive], ["s3:GetObject"], ["*"], {})[0]["MissingContextValues"] == ["aws:SecureTransport"]
    assert _decision([positive], "s3:GetObject", aws__SecureTransport="TRUE") == "allowed"
    assert _decision([negated], "s3:GetObject") == "allowed"
    assert _decision([negated], "s3:GetObject", aws__SourceAccount="999999999999") == "implicitDeny"
    assert _decision([if_exists], "s3:PutObject") == "allowed"
    assert _decision([if_exists], "s3:PutObject", **{"s3:x-amz-server-side-encryption": "AES256"}) == "implicitDeny"
    assert _decision([null], "s3:GetObject") == "allowed"
    assert _decision([null], "s3:GetObject", aws__TokenIssueTime="2026-12-03T00:00:00Z") == "implicitDeny"


def test_condition_key_names_are_case_insensitive_and_arn_like_matches_each_component() -> None:
    """IAM User Guide: "Condition key names are not case-sensitive"; ArnLike matches each of the ARN's six
    colon-delimited components separately, each may hold wildcards."""
    policy = _policy(
        {
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": "*",
            "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:lambda:*:123456789012:function:app-*"}},
        }
    )
    assert (
        _decision([policy], "iam:PassRole", **{"aws:sourcearn": "arn:aws:lambda:us-west-2:123456789012:function:app-x"})
        == "allowed"
    )
    assert (
        _decision([policy], "iam:PassRole", **{"aws:SourceArn": "arn:aws:lambda:us-west-2:111111111111:function:app-x"})
        == "implicitDeny"
    )


def test_one_result_per_action_with_the_most_restrictive_decision_on_top() -> None:
    """IAM API Reference, EvaluationResult: a single EvaluationResult per action whatever the number of resource
    ARNs; the top-level EvalDecision is the most restrictive across them; ResourceSpecificResults gives each."""
    allow = _policy({"Effect": "Allow", "Action": "rds:CreateDBInstance", "Resource": DB})
    results = simulate([allow], ["rds:CreateDBInstance"], [DB, OPTION_GROUP], {})
    assert len(results) == 1
    assert results[0]["EvalDecision"] == "implicitDeny"
    assert [(r["EvalResourceName"], r["EvalResourceDecision"]) for r in results[0]["ResourceSpecificResults"]] == [
        (DB, "allowed"),
        (OPTION_GROUP, "implicitDeny"),
    ]


def test_a_permissions_boundary_must_allow_the_request_too() -> None:
    """IAM User Guide, permissions boundaries: the effective permissions are the intersection of the identity
    policies and the boundary; an action the boundary does not allow is denied."""
    allow = _policy({"Effect": "Allow", "Action": "*", "Resource": "*"})
    boundary = [_policy({"Effect": "Allow", "Action": "rds:*", "Resource": "*"}, name="boundary")]
    assert simulate([allow], ["rds:CreateDBInstance"], [DB], {}, boundary=boundary)[0]["EvalDecision"] == "allowed"
    assert simulate([allow], ["s3:GetObject"], ["*"], {}, boundary=boundary)[0]["EvalDecision"] == "implicitDeny"


def test_what_it_does_not_evaluate_is_refused_not_guessed() -> None:
    policy = _policy(
        {
            "Effect": "Allow",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
        }
    )
    with pytest.raises(Unsupported):
        simulate([policy], ["s3:GetObject"], ["*"], {"aws:SourceIp": ["10.1.2.3"]})
    variable = _policy({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/${aws:username}/*"})
    with pytest.raises(Unsupported):
        simulate([variable], ["s3:GetObject"], ["arn:aws:s3:::b/x/y"], {})
