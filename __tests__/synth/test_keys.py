"""Keys: one customer KMS key per region, rotation on, an alias, a policy naming the roles that use it and the
services they use it through."""

from __future__ import annotations

import json
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


def _role_principals(statement: dict[str, Any]) -> list[str]:
    (principal,) = statement["principals"]
    assert principal["type"] == "AWS"
    identifiers: list[str] = principal["identifiers"]
    return identifiers


def _role_ids(identifiers: list[str], synth: Synthesized | None = None) -> set[str]:
    """The logical ids of the roles a statement names: by their ``arn`` attribute (a role of the key's provider) or
    by an ARN built from the role's name (a role of the other provider, given ``synth`` to look the name up)."""
    names = {body["name"]: key for key, body in (synth.resources("aws_iam_role") if synth else {}).items()}
    found = set()
    for identifier in identifiers:
        if identifier.startswith("${aws_iam_role.") and identifier.endswith(".arn}"):
            found.add(identifier[len("${aws_iam_role.") : -len(".arn}")])
        else:
            assert ":iam::${data.aws_caller_identity." in identifier and ":role/" in identifier, identifier
            found.add(names[identifier.rsplit(":role/", 1)[1]])
    return found


@pytest.mark.parametrize("role", ["primary", "secondary"])
def test_no_statement_lets_every_principal_of_the_account_use_a_data_key(dev: Synthesized, role: str) -> None:
    """AWS KMS Developer Guide, "Key policies in AWS KMS": a statement with Principal ``*`` allows every principal
    its conditions admit. Apart from the account root (which delegates to IAM) and the service principals of
    CloudWatch Logs and the alarms, each statement of a data key names roles, by their ARN attribute (so Terraform
    creates them first: KMS refuses a policy naming a principal that does not exist), and holds them to services of
    the key's region (kms:ViaService). Only Auto Scaling's service-linked role, which may not exist yet, is
    admitted under ``*``, by an aws:PrincipalArn condition naming that one role."""
    region = REGIONS[role]
    for statement in _policy(dev, role)["statement"]:
        sid = statement["sid"]
        if sid in {"AccountAdministers", "CloudWatchLogs", "AlarmsPublishToEncryptedTopics"}:
            continue
        identifiers = _role_principals(statement)
        conditions = {condition["variable"]: condition for condition in statement["condition"]}
        if identifiers == ["*"]:
            assert sid.startswith("AutoScaling"), sid
            (arn,) = conditions["aws:PrincipalArn"]["values"]
            assert arn.endswith(":role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling")
            assert conditions["aws:PrincipalArn"]["test"] == "ArnEquals"
            continue
        assert _role_ids(identifiers, dev), sid
        via = conditions["kms:ViaService"]
        assert via["test"] == "StringEquals"
        assert via["values"] and all(value.endswith(f".{region}.amazonaws.com") for value in via["values"]), sid


@pytest.mark.parametrize("role", ["primary", "secondary"])
def test_both_orchestrators_use_each_regions_table_key_through_dynamodb(dev: Synthesized, role: str) -> None:
    """DynamoDB calls KMS with the caller's permissions for a table encrypted with a customer key (DynamoDB
    Developer Guide, "How Amazon DynamoDB uses AWS KMS"): an orchestrator reads the peer region's replica of the
    lock (and the primary's writes the traffic switch in the secondary's), so both orchestrators are named in both
    keys, with the app role of the key's region (the app-state table), and only through DynamoDB."""
    statement = _statement(_policy(dev, role), "TablesThroughDynamoDb")
    names = _role_ids(_role_principals(statement), dev)
    assert {n for n in names if "orchestrator" in n} == {
        dev.logical_id("aws_iam_role", "primary_orchestrator"),
        dev.logical_id("aws_iam_role", "secondary_orchestrator"),
    }
    assert dev.logical_id("aws_iam_role", f"{role}_app_tier_instance_role") in names
    other = "secondary" if role == "primary" else "primary"
    assert not any(f"{other}_app_tier" in name for name in names)
    assert statement["condition"] == [
        {"test": "StringEquals", "variable": "kms:ViaService", "values": [f"dynamodb.{REGIONS[role]}.amazonaws.com"]}
    ]
    assert "kms:CreateGrant" not in statement["actions"]


@pytest.mark.parametrize("role", ["primary", "secondary"])
def test_each_role_is_named_for_the_services_it_uses_the_key_through(dev: Synthesized, role: str) -> None:
    """What each role does with its region's key: the app reads the secret (Secrets Manager decrypts with the
    caller's permissions), every function's environment and dead-letter queue are encrypted with it (Lambda, SQS),
    the orchestrator publishes to the encrypted topic (SNS), writes reports (S3) and, re-protecting, creates an
    encrypted cluster (RDS creates grants); AWS Backup copies recovery points into both regions' vaults."""
    policy = _policy(dev, role)
    app = dev.logical_id("aws_iam_role", f"{role}_app_tier_instance_role")
    orchestrator = dev.logical_id("aws_iam_role", f"{role}_orchestrator")
    expected = {
        "SecretReadersThroughSecretsManager": ({app}, ["secretsmanager"]),
        "PublishersThroughSns": ({orchestrator}, ["sns"]),
        "ReportsThroughS3": ({orchestrator}, ["s3"]),
        "RecoveryGrantsThroughRds": ({orchestrator}, ["rds"]),
        "BackupThroughBackupAndRds": ({dev.logical_id("aws_iam_role", "backup_service_role")}, ["backup", "rds"]),
    }
    for sid, (roles, services) in expected.items():
        statement = _statement(policy, sid)
        assert _role_ids(_role_principals(statement), dev) == roles, sid
        (via,) = [c for c in statement["condition"] if c["variable"] == "kms:ViaService"]
        assert via["values"] == [f"{service}.{REGIONS[role]}.amazonaws.com" for service in services], sid
    functions = {dev.logical_id("aws_iam_role", f"{role}_orchestrator")}
    if role == "secondary":
        functions.add(dev.logical_id("aws_iam_role", "switch_keeper"))
    for sid in ("FunctionEnvironmentThroughLambda", "DeadLettersThroughSqs"):
        assert _role_ids(_role_principals(_statement(policy, sid)), dev) == functions, sid
    assert _statement(policy, "SecretReadersThroughSecretsManager")["actions"] == ["kms:Decrypt"]


def test_the_probe_is_named_in_the_secondary_key_only_for_its_own_function(prod: Synthesized) -> None:
    """The probe (automatic failover, secondary region) uses the key for its environment and DLQ, and nothing
    else: it reads no table and publishes to no topic."""
    probe = prod.logical_id("aws_iam_role", "primary_probe")
    for statement in _policy(prod, "secondary")["statement"]:
        if statement["sid"] in {"FunctionEnvironmentThroughLambda", "DeadLettersThroughSqs"}:
            assert probe in _role_ids(_role_principals(statement), prod)
        elif statement.get("principals", [{}])[0].get("type") == "AWS" and statement["sid"] != "AccountAdministers":
            identifiers = _role_principals(statement)
            assert identifiers == ["*"] or probe not in _role_ids(identifiers, prod), statement["sid"]
    assert not any(probe in str(statement) for statement in _policy(prod, "primary")["statement"]), (
        "the probe has no use of the primary key"
    )


def test_auto_scaling_encrypts_volumes_with_the_key_of_its_region(dev: Synthesized) -> None:
    """Amazon EC2 Auto Scaling User Guide, "Required AWS KMS key policy for use with encrypted volumes": Auto
    Scaling's service-linked role launches instances whose volumes use a customer key only if the key policy lets
    it use the key (Encrypt, Decrypt, ReEncrypt*, GenerateDataKey*, DescribeKey) and create grants for AWS
    resources (CreateGrant with kms:GrantIsForAWSResource true)."""
    for role in ("primary", "secondary"):
        policy = _policy(dev, role)
        uses = _statement(policy, "AutoScalingUsesKeyForVolumes")
        assert set(uses["actions"]) == {
            "kms:Encrypt",
            "kms:Decrypt",
            "kms:ReEncrypt*",
            "kms:GenerateDataKey*",
            "kms:DescribeKey",
        }
        grants = _statement(policy, "AutoScalingAttachesVolumes")
        assert grants["actions"] == ["kms:CreateGrant"]
        conditions = {c["variable"]: c for c in grants["condition"]}
        assert conditions["kms:GrantIsForAWSResource"]["values"] == ["true"]
        assert "caller_identity" in conditions["aws:PrincipalArn"]["values"][0]


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
    from dr_stack.foundation.keys import RegionalKey

    stack = empty_stack("key")
    providers = provider_pair(stack, {"primary": "eu-central-1", "secondary": "eu-west-1"})
    RegionalKey(
        stack,
        "unit_key",
        provider=providers.primary,
        region="eu-central-1",
        alias_name="alias/team-a",
        description="team A data",
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
    """A key nobody is named on is used by the account root (through IAM), CloudWatch Logs of its own region and
    the alarms only: no statement for every principal of the account."""
    (document,) = lone_key.data_sources("aws_iam_policy_document").values()
    statements = {statement["sid"]: statement for statement in document["statement"]}
    assert list(statements) == ["AccountAdministers", "CloudWatchLogs", "AlarmsPublishToEncryptedTopics"]
    logs = statements["CloudWatchLogs"]
    assert logs["principals"] == [{"type": "Service", "identifiers": ["logs.eu-central-1.amazonaws.com"]}]


def _unit_key(region: str = "eu-central-1", *, for_state: bool = False) -> Any:
    from construct_support import empty_stack, provider_pair
    from dr_stack.foundation.keys import RegionalKey

    stack = empty_stack("key")
    providers = provider_pair(stack, {"primary": region, "secondary": "eu-west-1"})
    key = RegionalKey(
        stack,
        "unit_key",
        provider=providers.primary,
        region=region,
        alias_name="alias/a",
        description="d",
        for_state=for_state,
    )
    return stack, key


def test_unit_allow_use_names_each_role_once_through_the_services_of_the_keys_region() -> None:
    from construct_support import synth

    stack, key = _unit_key()
    for arn in (
        "arn:aws:iam::111122223333:role/a",
        "arn:aws:iam::111122223333:role/b",
        "arn:aws:iam::111122223333:role/a",
    ):
        key.allow_use(arn, sid="ThroughSqs", services=("sqs",), actions=("kms:Decrypt", "kms:GenerateDataKey"))
    key.allow_use(
        "arn:aws:iam::111122223333:role/a", sid="Grants", services=("rds",), actions=("kms:CreateGrant",), grants=True
    )
    (document,) = synth(stack).data_sources("aws_iam_policy_document").values()
    statements = {statement["sid"]: statement for statement in document["statement"]}
    assert statements["ThroughSqs"]["principals"] == [
        {"type": "AWS", "identifiers": ["arn:aws:iam::111122223333:role/a", "arn:aws:iam::111122223333:role/b"]}
    ]
    assert statements["ThroughSqs"]["condition"] == [
        {"test": "StringEquals", "variable": "kms:ViaService", "values": ["sqs.eu-central-1.amazonaws.com"]}
    ]
    assert {"test": "Bool", "variable": "kms:GrantIsForAWSResource", "values": ["true"]} in statements["Grants"][
        "condition"
    ]


def test_unit_allow_use_refuses_a_second_meaning_for_a_statement_and_grants_of_other_actions() -> None:
    stack, key = _unit_key()
    key.allow_use("arn:aws:iam::1:role/a", sid="Same", services=("sqs",), actions=("kms:Decrypt",))
    with pytest.raises(ValueError, match=r"Same: already names \('kms:Decrypt',\) through \('sqs',\)"):
        key.allow_use("arn:aws:iam::1:role/b", sid="Same", services=("sns",), actions=("kms:Decrypt",))
    with pytest.raises(ValueError, match="grants=True takes grant actions only"):
        key.allow_use("arn:aws:iam::1:role/b", sid="G", services=("rds",), actions=("kms:Decrypt",), grants=True)
    _stack, state_key = _unit_key(for_state=True)
    with pytest.raises(ValueError, match="a state key serves the deployer"):
        state_key.allow_use("arn:aws:iam::1:role/b", sid="S", services=("s3",), actions=("kms:Decrypt",))


@pytest.mark.parametrize("role", ["primary", "secondary"])
def test_grants_are_only_for_aws_resources_of_the_services(dev: Synthesized, role: str) -> None:
    """kms:GrantIsForAWSResource is true only when an integrated AWS service calls CreateGrant, ListGrants or
    RevokeGrant on the caller's behalf (AWS KMS Developer Guide, "AWS KMS condition keys"): without it any
    principal of the account could grant itself the key's use."""
    policy = _policy(dev, role)
    grants = [s for s in policy["statement"] if any("Grant" in a or a == "kms:*" for a in s["actions"])]
    assert [s.get("sid") for s in grants] == [
        "AccountAdministers",
        "BackupGrantsThroughBackupAndRds",
        "RecoveryGrantsThroughRds",
        "AutoScalingAttachesVolumes",
    ]
    administers = _statement(policy, "AccountAdministers")
    assert "caller_identity" in administers["principals"][0]["identifiers"][0]
    for statement in grants[1:]:
        assert statement["actions"] == ["kms:CreateGrant"], statement["sid"]
        conditions = {condition["variable"]: condition for condition in statement["condition"]}
        assert conditions["kms:GrantIsForAWSResource"] == {
            "test": "Bool",
            "variable": "kms:GrantIsForAWSResource",
            "values": ["true"],
        }


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


@pytest.mark.parametrize("profile", ["dev", "prod"])
def test_a_key_policy_refers_to_nothing_of_the_other_regions_provider(
    profile: str, request: pytest.FixtureRequest
) -> None:
    """Terraform configures the provider of every resource a targeted plan depends on: a key policy referring to a
    role of the other region's provider would make each plan of this region's encrypted resources (the outage
    procedure's targeted apply of the surviving app tier) configure the lost region's provider, which fails. Roles
    of the other provider are named by ARNs built from their names."""
    import re

    synth: Synthesized = request.getfixturevalue(profile)
    documents = synth.data_sources("aws_iam_policy_document")
    for key_id, key in synth.resources("aws_kms_key").items():
        document = documents[key["policy"].split(".")[2]]
        references = re.findall(r"\$\{(aws_[a-z0-9_]+)\.([A-Za-z0-9_]+)\.", json.dumps(document))
        assert references, key_id
        for kind, logical_id in references:
            assert synth.resources(kind)[logical_id]["provider"] == key["provider"], (key_id, kind, logical_id)
    assert any(
        ":role/" in identifier and "caller_identity" in identifier
        for key in synth.resources("aws_kms_key").values()
        for statement in documents[key["policy"].split(".")[2]]["statement"]
        for principal in statement.get("principals", [])
        for identifier in principal["identifiers"]
    ), "the peer orchestrators are named by built ARNs"
