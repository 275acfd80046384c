"""Credentials: generated (ephemeral) or supplied master password, replicated KMS secret, write-only values."""

from __future__ import annotations

import string
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import Synthesized
from dr_stack.config.settings import SettingsError, load_settings
from dr_stack.data_tier.credentials import PASSWORD_SPECIALS

# RDS refuses these in master passwords.
RDS_INVALID = {"/", "@", '"', " "}


@pytest.fixture(scope="module")
def granted() -> Synthesized:
    """A small stack: both keys, the credentials in `variable` mode, read grants for one grantee per region."""
    from construct_support import DEFAULTS, empty_stack, grantee, provider_pair, regional_keys, synth
    from dr_stack.data_tier.credentials import DatabaseCredentials
    from dr_stack.foundation.providers import ROLES
    from dr_stack.naming.names import StackNames

    stack = empty_stack("credentials")
    providers = provider_pair(stack)
    keys = regional_keys(stack, providers)
    credentials = DatabaseCredentials(
        stack,
        "db_credentials",
        providers=providers,
        keys=keys,
        names=StackNames("drapp-dev"),
        description="unit",
        master_username="dbadmin",
        password_source="variable",  # noqa: S106 (the mode, not a password)
        password_version=DEFAULTS.db_master_password_version,
        recovery_window_days=DEFAULTS.secret_recovery_window_days,
    )
    for role in ROLES:
        reader = grantee(stack, f"{role}_reader", provider=providers.for_role(role), service="lambda.amazonaws.com")
        credentials.grant_read(reader, dr_role=role)
    return synth(stack)


def _walk(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{path}[{index}]")
    else:
        yield path, node


# ----- the password -----


# GetRandomPassword draws from letters, digits and this punctuation unless excluded (AWS Secrets Manager API
# Reference, GetRandomPassword: "By default, Secrets Manager uses uppercase and lowercase letters, numbers, and the
# following characters in passwords: !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~").
GET_RANDOM_PASSWORD_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
# Write-only arguments (Terraform >= 1.11) that may take the password: Terraform sends them and stores nothing.
WRITE_ONLY_PASSWORD_ARGUMENTS = {"master_password_wo", "secret_string_wo"}


def _generated_password(synth: Synthesized) -> tuple[str, dict[str, Any]]:
    (blocks,) = [synth.data["ephemeral"]["aws_secretsmanager_random_password"]]
    ((name, block),) = blocks.items()
    return name, block


def test_generated_password_is_an_ephemeral_secrets_manager_password_valid_for_rds(dev: Synthesized) -> None:
    """RDS master passwords: "Can include any printable ASCII character except "/", \"\"\", or "@". Can't contain
    spaces"; Aurora MySQL allows at most 41 characters (RDS API Reference, CreateDBCluster, MasterUserPassword).
    GetRandomPassword uses letters, digits and its punctuation set minus ExcludeCharacters, plus a space only with
    IncludeSpace (Secrets Manager API Reference, GetRandomPassword)."""
    name, block = _generated_password(dev)
    assert block["provider"] == "aws.primary"
    assert 32 <= block["password_length"] <= 41
    assert block["include_space"] is False
    assert block["require_each_included_type"] is True
    possible_specials = set(GET_RANDOM_PASSWORD_PUNCTUATION) - set(block["exclude_characters"])
    assert possible_specials == set(PASSWORD_SPECIALS)
    assert not RDS_INVALID & possible_specials
    assert not dev.resources("random_password")
    assert "random" not in dev.data["provider"]
    assert dev.data["locals"][name] == f"${{ephemeral.aws_secretsmanager_random_password.{name}.random_password}}"


def test_generated_password_arguments_are_accepted_by_get_random_password(dev: Synthesized) -> None:
    """The block's arguments are GetRandomPassword's parameters (PasswordLength, ExcludeCharacters, IncludeSpace,
    RequireEachIncludedType, botocore model secretsmanager GetRandomPasswordRequest); moto implements the call as
    documented. Every password it returns for them is one RDS accepts."""
    import boto3
    from moto import mock_aws

    _, block = _generated_password(dev)
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="us-east-1")
        for _ in range(50):
            password = client.get_random_password(
                PasswordLength=block["password_length"],
                ExcludeCharacters=block["exclude_characters"],
                IncludeSpace=block["include_space"],
                RequireEachIncludedType=block["require_each_included_type"],
            )["RandomPassword"]
            assert len(password) == block["password_length"]
            assert not RDS_INVALID & set(password), password
            assert set(password) <= set(string.ascii_letters + string.digits + PASSWORD_SPECIALS), password


def test_variable_mode_uses_an_ephemeral_sensitive_variable_without_default(prod: Synthesized) -> None:
    """An ephemeral input variable (Terraform >= 1.10, `ephemeral = true`) is kept out of plan files and state;
    it may be referenced only in ephemeral contexts such as write-only arguments (Terraform docs, "Ephemeral values
    in resources")."""
    assert "ephemeral" not in prod.data
    assert "random" not in prod.data["provider"]
    variable = prod.data["variable"]["db_master_password"]
    assert variable["ephemeral"] is True
    assert variable["sensitive"] is True
    assert variable["nullable"] is False
    assert variable["type"] == "string"
    assert "default" not in variable
    (validation,) = variable["validation"]
    assert "length(var.db_master_password) >= 16" in validation["condition"]


def _password_references(synth: Synthesized) -> list[str]:
    """The Terraform references that carry the master password in this stack (local or variable, and the
    ephemeral block behind a local)."""
    if "ephemeral" in synth.data:
        name, _ = _generated_password(synth)
        return [f"local.{name}", f"ephemeral.aws_secretsmanager_random_password.{name}"]
    return ["var.db_master_password"]


@pytest.mark.parametrize("fixture", ["dev", "prod"])
def test_the_password_reaches_only_write_only_arguments(fixture: str, request: pytest.FixtureRequest) -> None:
    """Terraform records every resource argument in the plan and the state except write-only ones (Terraform
    docs, "Use temporary write-only arguments"; hashicorp/aws 5.100.0: master_password_wo of aws_rds_cluster,
    secret_string_wo of aws_secretsmanager_secret_version). So no resource, data source or output may hold the
    password, no resource type that stores a generated value (random_password keeps `result` in the state) may
    exist, and the password reference may appear in write-only arguments only."""
    synth: Synthesized = request.getfixturevalue(fixture)
    references = _password_references(synth)
    assert not synth.resources("random_password")
    assert "random" not in synth.data["terraform"]["required_providers"]
    holders: list[str] = []
    for section in ("resource", "data", "output"):
        blocks = synth.data.get(section, {})
        items = blocks.items() if section != "output" else [("output", blocks)]
        for resource_type, bodies in items:
            for key, body in bodies.items():
                for path, value in _walk(body):
                    if isinstance(value, str) and any(reference in value for reference in references):
                        holders.append(f"{section}.{resource_type}.{key}{path}")
    written = sorted(holder.rsplit(".", 1)[-1] for holder in holders)
    assert written == sorted(WRITE_ONLY_PASSWORD_ARGUMENTS), holders
    assert all(holder.startswith("resource.") for holder in holders), holders


def test_no_literal_password_in_synthesized_json(dev: Synthesized, prod: Synthesized) -> None:
    for synth in (dev, prod):
        for resource_type, bodies in synth.data["resource"].items():
            for key, body in bodies.items():
                for path, value in _walk(body):
                    leaf = path.rsplit(".", 1)[-1]
                    if "password" in leaf and not leaf.endswith("_version"):
                        assert isinstance(value, str) and value.startswith("${"), f"{resource_type}.{key}{path}"
        assert "master_password" not in _cluster_body(synth, "primary")
        for variable in synth.data.get("variable", {}).values():
            assert "default" not in variable or not variable.get("sensitive")


def _cluster_body(synth: Synthesized, role: str) -> dict[str, Any]:
    return synth.only("aws_rds_cluster", f"database_{role}_cluster")


def test_rejects_secret_recovery_window_outside_7_to_30_days() -> None:
    with pytest.raises(SettingsError, match=r"secret_recovery_window_days must be 0 .*or 7 to 30 days .*got 3"):
        load_settings({"secret_recovery_window_days": 3}, environ={})


# ----- the secret -----


def test_secret_is_encrypted_and_replicated_with_the_secondary_key(dev: Synthesized) -> None:
    secret = dev.only("aws_secretsmanager_secret", "db_credentials_secret")
    assert secret["provider"] == "aws.primary"
    assert secret["name"] == "drapp-dev-db-master"
    assert secret["kms_key_id"] == dev.key_arn("primary")
    assert secret["replica"] == [{"kms_key_id": dev.key_arn("secondary"), "region": "us-west-2"}]


def test_secret_recovery_window_follows_the_profile(dev: Synthesized, prod: Synthesized) -> None:
    assert dev.only("aws_secretsmanager_secret", "db_credentials_secret")["recovery_window_in_days"] == 7
    assert prod.only("aws_secretsmanager_secret", "db_credentials_secret")["recovery_window_in_days"] == 30


def test_connection_document_is_written_once_and_never_stored(dev: Synthesized, prod: Synthesized) -> None:
    for synth, password in ((dev, "local.db_credentials_master_password"), (prod, "var.db_master_password")):
        version = synth.only("aws_secretsmanager_secret_version", "db_credentials_connection")
        assert version["provider"] == "aws.primary"
        assert "secret_string" not in version
        assert version["secret_string_wo_version"] == 1
        document = version["secret_string_wo"]
        assert document.startswith("${jsonencode(")
        assert f'"password" = {password}' in document
        global_cluster = synth.logical_id("aws_rds_global_cluster", "global_cluster")
        assert f'"host" = aws_rds_global_cluster.{global_cluster}.endpoint' in document
        for key in (
            '"username" = "dbadmin"',
            '"dbname" = "appdb"',
            '"port" = 3306',
            '"engine" = "aurora-mysql"',
            '"readerHosts"',
        ):
            assert key in document
        secret_id = synth.logical_id("aws_secretsmanager_secret", "db_credentials_secret")
        assert version["secret_id"] == f"${{aws_secretsmanager_secret.{secret_id}.id}}"


def test_connection_document_is_written_again_when_the_primary_cluster_is_replaced(dev: Synthesized) -> None:
    """An ephemeral password differs on every run, and a write-only argument is sent only on create or when its
    version changes (hashicorp/aws docs, aws_rds_cluster master_password_wo_version). A replaced cluster is created
    with this run's value, so the document must be written in the same run: `replace_triggered_by` on the cluster's
    id replaces the version whenever the cluster is replaced (Terraform docs, lifecycle meta-argument)."""
    version = dev.only("aws_secretsmanager_secret_version", "db_credentials_connection")
    cluster = dev.logical_id("aws_rds_cluster", "database_primary_cluster")
    assert version["lifecycle"]["replace_triggered_by"] == [f"aws_rds_cluster.{cluster}.id"]


# ----- grants -----


def _grant(synth: Synthesized, role: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    policy = synth.only("aws_iam_role_policy", f"db_credentials_read_{role}_{role}_reader")
    document_id = policy["policy"].split(".")[2]
    return policy, synth.data_sources("aws_iam_policy_document")[document_id]["statement"]


def test_grant_read_in_primary_names_the_secret_and_the_primary_key(granted: Synthesized) -> None:
    policy, (read, decrypt) = _grant(granted, "primary")
    secret = granted.logical_id("aws_secretsmanager_secret", "db_credentials_secret")
    assert policy["provider"] == "aws.primary"
    assert policy["role"] == f"${{aws_iam_role.{granted.logical_id('aws_iam_role', 'primary_reader')}.id}}"
    assert read["actions"] == ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    assert read["resources"] == [f"${{aws_secretsmanager_secret.{secret}.arn}}"]
    assert decrypt["actions"] == ["kms:Decrypt"]
    assert decrypt["resources"] == [granted.key_arn("primary")]
    assert decrypt["condition"] == [
        {"test": "StringEquals", "variable": "kms:ViaService", "values": ["secretsmanager.us-east-1.amazonaws.com"]}
    ]


def test_grant_read_in_secondary_names_the_replica_and_the_secondary_key(granted: Synthesized) -> None:
    policy, (read, decrypt) = _grant(granted, "secondary")
    secret = granted.logical_id("aws_secretsmanager_secret", "db_credentials_secret")
    assert policy["provider"] == "aws.secondary"
    assert read["resources"] == [f'${{replace(aws_secretsmanager_secret.{secret}.arn, ":us-east-1:", ":us-west-2:")}}']
    assert decrypt["resources"] == [granted.key_arn("secondary")]
    assert decrypt["condition"][0]["values"] == ["secretsmanager.us-west-2.amazonaws.com"]


def test_grants_use_no_wildcard_resources(granted: Synthesized) -> None:
    for role in ("primary", "secondary"):
        _, statements = _grant(granted, role)
        assert all("*" not in resource for statement in statements for resource in statement["resources"])


def test_secret_policy_refuses_the_value_to_all_but_the_app_roles(dev: Synthesized) -> None:
    """A secret's resource policy is evaluated with the caller's IAM policies and an explicit Deny wins (Secrets
    Manager User Guide, "Resource-based policies"; IAM policy evaluation logic): GetSecretValue is refused to
    every principal whose aws:PrincipalArn (the role, for an assumed-role session) is not an app role."""
    policy = dev.only("aws_secretsmanager_secret_policy", "db_credentials_resource_policy")
    secret = dev.logical_id("aws_secretsmanager_secret", "db_credentials_secret")
    assert policy["secret_arn"] == f"${{aws_secretsmanager_secret.{secret}.arn}}"
    assert policy["block_public_policy"] is True
    (deny,) = dev.statements(policy["policy"])
    assert (deny["effect"], deny["actions"]) == ("Deny", ["secretsmanager:GetSecretValue"])
    assert deny["principals"] == [{"type": "*", "identifiers": ["*"]}]
    (condition,) = deny["condition"]
    assert (condition["test"], condition["variable"]) == ("ArnNotEquals", "aws:PrincipalArn")
    app_roles = {dev.ref("aws_iam_role", f"{role}_app_tier_instance_role", "arn") for role in ("primary", "secondary")}
    assert set(condition["values"]) == app_roles


def test_secret_policy_is_made_after_every_grant() -> None:
    from construct_support import DEFAULTS, empty_stack, grantee, provider_pair, regional_keys
    from dr_stack.data_tier.credentials import DatabaseCredentials
    from dr_stack.naming.names import StackNames

    stack = empty_stack("credentials_policy")
    providers = provider_pair(stack)
    credentials = DatabaseCredentials(
        stack,
        "db_credentials",
        providers=providers,
        keys=regional_keys(stack, providers),
        names=StackNames("unit"),
        description="unit",
        master_username="dbadmin",
        password_source="random",  # noqa: S106 (the mode, not a password)
        password_version=DEFAULTS.db_master_password_version,
        recovery_window_days=DEFAULTS.secret_recovery_window_days,
    )
    with pytest.raises(ValueError, match="needs at least one grant_read"):
        credentials.restrict_reads_to_grantees()
    reader = grantee(stack, "reader", provider=providers.primary, service="ec2.amazonaws.com")
    credentials.grant_read(reader, dr_role="primary")
    credentials.restrict_reads_to_grantees()
    with pytest.raises(ValueError, match="after restrict_reads_to_grantees"):
        credentials.grant_read(reader, dr_role="secondary")
