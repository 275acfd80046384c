"""Credentials: generated or supplied master password, replicated KMS secret, write-only values, read grants."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import Synthesized
from dr_stack.credentials import PASSWORD_SPECIALS
from dr_stack.settings import SettingsError, load_settings

# RDS refuses these in master passwords.
RDS_INVALID = {"/", "@", '"', " "}


@pytest.fixture(scope="module")
def granted() -> Synthesized:
    """A small stack: both keys, the credentials in `variable` mode, read grants for one grantee per region."""
    from construct_support import empty_stack, grantee, provider_pair, regional_keys, synth
    from dr_stack.credentials import DatabaseCredentials
    from dr_stack.providers import ROLES

    stack = empty_stack("credentials")
    providers = provider_pair(stack)
    keys = regional_keys(stack, providers)
    credentials = DatabaseCredentials(
        stack,
        "db_credentials",
        providers=providers,
        keys=keys,
        name_prefix="drapp-dev",
        description="unit",
        master_username="dbadmin",
        password_source="variable",  # noqa: S106 (the mode, not a password)
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


def test_random_password_is_long_and_uses_only_rds_valid_specials(dev: Synthesized) -> None:
    password = dev.only("random_password")
    assert password["length"] >= 32
    assert password["special"] is True
    assert not RDS_INVALID & set(password["override_special"])
    assert not RDS_INVALID & set(PASSWORD_SPECIALS)
    assert password["keepers"] == {"version": "1"}
    assert password["provider"] == "random"
    assert "random" in dev.data["provider"]


def test_variable_mode_uses_a_sensitive_variable_without_default(prod: Synthesized) -> None:
    assert not prod.resources("random_password")
    assert "random" not in prod.data["provider"]
    variable = prod.data["variable"]["db_master_password"]
    assert variable["sensitive"] is True
    assert variable["nullable"] is False
    assert variable["type"] == "string"
    assert "default" not in variable
    (validation,) = variable["validation"]
    assert "length(var.db_master_password) >= 16" in validation["condition"]


def test_no_literal_password_in_synthesized_json(dev: Synthesized, prod: Synthesized) -> None:
    for synth in (dev, prod):
        for resource_type, bodies in synth.data["resource"].items():
            if resource_type == "random_password":
                assert all("result" not in body for body in bodies.values())
                continue
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
    for synth, password in ((dev, "random_password."), (prod, "var.db_master_password")):
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
