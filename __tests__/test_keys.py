"""Keys: one customer KMS key per region, rotation on, an alias, a policy scoped to this account's services."""

from __future__ import annotations

from typing import Any

import pytest
from cdktf import Testing
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from conftest import Synthesized

REGIONS = {"primary": "us-east-1", "secondary": "us-west-2"}


def _key_id(synth: Synthesized, role: str) -> str:
    matches = [key for key in synth.resources("aws_kms_key") if key.startswith(f"{role}_key")]
    assert len(matches) == 1
    return matches[0]


def _policy(synth: Synthesized, role: str) -> dict[str, Any]:
    key = synth.resources("aws_kms_key")[_key_id(synth, role)]
    reference = key["policy"]
    assert reference.startswith("${data.aws_iam_policy_document.") and reference.endswith(".json}")
    document_id = reference[len("${data.aws_iam_policy_document.") : -len(".json}")]
    return synth.data_sources("aws_iam_policy_document")[document_id]


def _statement(policy: dict[str, Any], sid: str) -> dict[str, Any]:
    matches = [statement for statement in policy["statement"] if statement.get("sid") == sid]
    assert len(matches) == 1, f"no single statement {sid!r}"
    return matches[0]


def test_one_key_per_region(dev: Synthesized) -> None:
    providers = sorted(key["provider"] for key in dev.resources("aws_kms_key").values())
    assert providers == ["aws.primary", "aws.secondary"]


def test_every_key_rotates(dev: Synthesized, prod: Synthesized) -> None:
    for synth in (dev, prod):
        assert all(key["enable_key_rotation"] is True for key in synth.resources("aws_kms_key").values())
        assert Testing.to_have_resource_with_properties(
            synth.text, KmsKey.TF_RESOURCE_TYPE, {"enable_key_rotation": True, "deletion_window_in_days": 30}
        )


@pytest.mark.parametrize("role", ["primary", "secondary"])
def test_alias_names_the_key_of_its_region(dev: Synthesized, role: str) -> None:
    aliases = [alias for alias in dev.resources("aws_kms_alias").values() if alias["name"] == f"alias/drapp-dev-{role}"]
    assert len(aliases) == 1
    assert aliases[0]["provider"] == f"aws.{role}"
    assert aliases[0]["target_key_id"] == f"${{aws_kms_key.{_key_id(dev, role)}.key_id}}"


@pytest.mark.parametrize("role", ["primary", "secondary"])
def test_key_policy_is_read_in_the_keys_region(dev: Synthesized, role: str) -> None:
    assert _policy(dev, role)["provider"] == f"aws.{role}"


@pytest.mark.parametrize("role", ["primary", "secondary"])
def test_account_root_administers_the_key(dev: Synthesized, role: str) -> None:
    statement = _statement(_policy(dev, role), "AccountAdministers")
    assert statement["actions"] == ["kms:*"]
    (principal,) = statement["principals"]
    assert principal["type"] == "AWS"
    assert principal["identifiers"][0].endswith(":root")
    assert "caller_identity" in principal["identifiers"][0]


@pytest.mark.parametrize("role", ["primary", "secondary"])
def test_services_use_the_key_only_through_this_region_and_account(dev: Synthesized, role: str) -> None:
    statement = _statement(_policy(dev, role), "ServicesOfThisAccount")
    assert "kms:*" not in statement["actions"]
    assert {"kms:Decrypt*", "kms:GenerateDataKey*"} <= set(statement["actions"])
    assert not any("Grant" in action for action in statement["actions"])
    conditions = {condition["variable"]: condition for condition in statement["condition"]}
    assert conditions["kms:CallerAccount"]["values"][0].startswith("${data.aws_caller_identity.")
    via = set(conditions["kms:ViaService"]["values"])
    region = REGIONS[role]
    for service in ("rds", "secretsmanager", "dynamodb", "sns", "backup"):
        assert f"{service}.{region}.amazonaws.com" in via
    assert all(value.endswith(f".{region}.amazonaws.com") for value in via)


@pytest.mark.parametrize("role", ["primary", "secondary"])
def test_cloudwatch_logs_may_encrypt_only_this_accounts_log_groups(dev: Synthesized, role: str) -> None:
    statement = _statement(_policy(dev, role), "CloudWatchLogs")
    region = REGIONS[role]
    assert statement["principals"] == [{"identifiers": [f"logs.{region}.amazonaws.com"], "type": "Service"}]
    (condition,) = statement["condition"]
    assert condition["variable"] == "kms:EncryptionContext:aws:logs:arn"
    assert f":logs:{region}:" in condition["values"][0]


def test_alarms_may_publish_to_encrypted_topics(dev: Synthesized) -> None:
    statement = _statement(_policy(dev, "primary"), "AlarmsPublishToEncryptedTopics")
    assert statement["principals"][0]["identifiers"] == ["cloudwatch.amazonaws.com", "events.amazonaws.com"]
    assert statement["actions"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert statement["condition"][0]["variable"] == "aws:SourceAccount"


# ----- unit: one RegionalKey in an empty stack -----


@pytest.fixture(scope="module")
def lone_key() -> Synthesized:
    """One key in eu-central-1, alias and description as given."""
    from construct_support import empty_stack, provider_pair, synth
    from dr_stack.keys import RegionalKey

    stack = empty_stack("key")
    providers = provider_pair(stack, {"primary": "eu-central-1", "secondary": "eu-west-1"})
    RegionalKey(
        stack, "unit_key", provider=providers.primary, region="eu-central-1", alias="team-a", description="team A data"
    )
    return synth(stack)


def test_unit_key_rotates_and_waits_thirty_days_before_deletion(lone_key: Synthesized) -> None:
    assert Testing.to_have_resource_with_properties(
        lone_key.text,
        KmsKey.TF_RESOURCE_TYPE,
        {"description": "team A data", "enable_key_rotation": True, "deletion_window_in_days": 30},
    )
    assert lone_key.only("aws_kms_alias")["name"] == "alias/team-a"


def test_unit_key_policy_names_the_services_of_its_own_region(lone_key: Synthesized) -> None:
    (document,) = lone_key.data_sources("aws_iam_policy_document").values()
    statements = {statement["sid"]: statement for statement in document["statement"]}
    logs = statements["CloudWatchLogs"]
    assert logs["principals"] == [{"type": "Service", "identifiers": ["logs.eu-central-1.amazonaws.com"]}]
    via = statements["ServicesOfThisAccount"]["condition"][1]
    assert via["variable"] == "kms:ViaService"
    assert all(value.endswith(".eu-central-1.amazonaws.com") for value in via["values"])


@pytest.mark.parametrize("role", ["primary", "secondary"])
def test_grants_are_only_for_aws_resources_of_the_services(dev: Synthesized, role: str) -> None:
    """kms:GrantIsForAWSResource is true only when an integrated AWS service calls CreateGrant, ListGrants or
    RevokeGrant on the caller's behalf (AWS KMS Developer Guide, "AWS KMS condition keys"): without it any
    principal of the account could grant itself the key's use."""
    policy = _policy(dev, role)
    grants = [s for s in policy["statement"] if any("Grant" in a or a == "kms:*" for a in s["actions"])]
    administers = _statement(policy, "AccountAdministers")
    assert [s.get("sid") for s in grants] == ["AccountAdministers", "GrantsForAwsResources"]
    assert "caller_identity" in administers["principals"][0]["identifiers"][0]
    statement = _statement(policy, "GrantsForAwsResources")
    assert set(statement["actions"]) == {"kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"}
    conditions = {condition["variable"]: condition for condition in statement["condition"]}
    assert conditions["kms:GrantIsForAWSResource"] == {
        "test": "Bool",
        "variable": "kms:GrantIsForAWSResource",
        "values": ["true"],
    }
    assert set(conditions) == {"kms:GrantIsForAWSResource", "kms:CallerAccount", "kms:ViaService"}


@pytest.mark.parametrize("role", ["primary", "secondary"])
def test_state_keys_serve_only_s3_and_dynamodb(bootstrap: Synthesized, role: str) -> None:
    """The state bucket (SSE-KMS through S3) and the lock table (DynamoDB) are all a state key encrypts; no log
    group or topic uses it, so no other service is named."""
    region = {"primary": "us-east-1", "secondary": "us-west-2"}[role]
    key = bootstrap.only("aws_kms_key", f"{role}_state_key")
    reference = key["policy"]
    document = bootstrap.data_sources("aws_iam_policy_document")[reference.split(".")[2]]
    sids = [statement.get("sid") for statement in document["statement"]]
    assert sids == ["AccountAdministers", "ServicesOfThisAccount", "GrantsForAwsResources"]
    for statement in document["statement"][1:]:
        (via,) = [c for c in statement["condition"] if c["variable"] == "kms:ViaService"]
        assert via["values"] == [f"s3.{region}.amazonaws.com", f"dynamodb.{region}.amazonaws.com"]
