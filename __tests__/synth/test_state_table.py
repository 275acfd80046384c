"""Global tables: app state and failover journal, encrypted per region, recoverable, replicated, with grants."""

from __future__ import annotations

from typing import Any

import pytest
from cdktf import Testing
from cdktf_cdktf_provider_aws.dynamodb_table import DynamodbTable
from conftest import Synthesized

TABLES = ("app_state_table", "failover_state_table")


@pytest.fixture(scope="module")
def granted() -> Synthesized:
    """A small stack: both keys, a hash-key-only table, read-write grants for one grantee per region."""
    from construct_support import empty_stack, grantee, provider_pair, regional_keys, synth
    from dr_stack.data_tier.state_table import GlobalTable
    from dr_stack.foundation.providers import ROLES

    stack = empty_stack("tables")
    providers = provider_pair(stack)
    keys = regional_keys(stack, providers)
    table = GlobalTable(
        stack,
        "sessions",
        providers=providers,
        keys=keys,
        name="drapp-dev-sessions",
        hash_key="id",
        deletion_protection=True,
    )
    for role in ROLES:
        app = grantee(stack, f"{role}_app", provider=providers.for_role(role), service="ec2.amazonaws.com")
        table.grant_read_write(app, dr_role=role)
    return synth(stack)


def _table(synth: Synthesized, name: str) -> dict[str, Any]:
    return synth.only("aws_dynamodb_table", name)


def test_stack_has_the_app_state_and_failover_state_tables(dev: Synthesized) -> None:
    names = sorted(t["name"] for t in dev.resources("aws_dynamodb_table").values())
    assert names == ["drapp-dev-app-state", "drapp-dev-failover-state"]


def test_app_state_table_keys_sessions_by_pk_and_sk_with_ttl(dev: Synthesized) -> None:
    table = _table(dev, "app_state_table")
    assert (table["hash_key"], table["range_key"]) == ("pk", "sk")
    assert table["attribute"] == [{"name": "pk", "type": "S"}, {"name": "sk", "type": "S"}]
    assert table["ttl"] == {"attribute_name": "expires_at", "enabled": True}


def test_failover_state_table_has_a_hash_key_only(dev: Synthesized) -> None:
    table = _table(dev, "failover_state_table")
    assert table["hash_key"] == "pk"
    assert "range_key" not in table
    assert table["attribute"] == [{"name": "pk", "type": "S"}]
    assert table["ttl"] == {"attribute_name": "expires_at", "enabled": True}


def test_run_records_expire_only_after_every_redelivery_of_an_asynchronous_event(dev: Synthesized) -> None:
    """Lambda retries an asynchronous event until it is MaximumEventAgeInSeconds old, MaximumRetryAttempts times
    after a failure, and a delivery may run up to the function's timeout (Lambda Developer Guide, "Configuring error
    handling for asynchronous invocation"; Lambda API Reference, PutFunctionEventInvokeConfig). DynamoDB TTL deletes
    an item only after its TTL attribute's time (typically within a few days: a lower bound, Developer Guide "Time to
    Live"). So the failover table expires items on the contract's attribute, and every function's event invoke
    config and timeout fit within the window the run records' retention is derived from."""
    import dr_contract as contract

    table = _table(dev, "failover_state_table")
    assert table["ttl"] == {"attribute_name": contract.STATE_TTL_ATTRIBUTE, "enabled": True}
    functions = {
        f"${{aws_lambda_function.{key}.function_name}}": value
        for key, value in dev.resources("aws_lambda_function").items()
    }
    configs = dev.resources("aws_lambda_function_event_invoke_config").values()
    assert configs
    for config in configs:
        function = functions[config["function_name"]]
        window = config["maximum_event_age_in_seconds"] + (config["maximum_retry_attempts"] + 1) * function["timeout"]
        assert window <= contract.REDELIVERY_WINDOW_SECONDS < contract.RUN_RECORD_RETENTION_SECONDS


@pytest.mark.parametrize("name", TABLES)
def test_table_is_on_demand_streamed_and_recoverable_in_the_primary_region(dev: Synthesized, name: str) -> None:
    table = _table(dev, name)
    assert table["provider"] == "aws.primary"
    assert table["billing_mode"] == "PAY_PER_REQUEST"
    assert table["stream_enabled"] is True
    assert table["stream_view_type"] == "NEW_AND_OLD_IMAGES"
    assert table["point_in_time_recovery"] == {"enabled": True}
    assert Testing.to_have_resource_with_properties(
        dev.text, DynamodbTable.TF_RESOURCE_TYPE, {"billing_mode": "PAY_PER_REQUEST"}
    )


@pytest.mark.parametrize("name", TABLES)
def test_table_is_encrypted_with_the_primary_key(dev: Synthesized, name: str) -> None:
    assert _table(dev, name)["server_side_encryption"] == {"enabled": True, "kms_key_arn": dev.key_arn("primary")}


@pytest.mark.parametrize("name", TABLES)
def test_replica_is_encrypted_with_the_secondary_key_and_recoverable(dev: Synthesized, name: str) -> None:
    (replica,) = _table(dev, name)["replica"]
    assert replica["region_name"] == "us-west-2"
    assert replica["kms_key_arn"] == dev.key_arn("secondary")
    assert replica["kms_key_arn"] != dev.key_arn("primary")
    assert replica["point_in_time_recovery"] is True


def test_deletion_protection_is_on_in_prod_only(dev: Synthesized, prod: Synthesized) -> None:
    for name in TABLES:
        assert _table(dev, name)["deletion_protection_enabled"] is False
        assert _table(prod, name)["deletion_protection_enabled"] is True


def _grant(synth: Synthesized, role: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    policy = synth.only("aws_iam_role_policy", f"sessions_rw_{role}_{role}_app")
    document_id = policy["policy"].split(".")[2]
    return policy, synth.data_sources("aws_iam_policy_document")[document_id]["statement"]


def test_grant_read_write_in_primary_names_the_table_and_its_indexes(granted: Synthesized) -> None:
    policy, (use, key) = _grant(granted, "primary")
    table = f"${{aws_dynamodb_table.{granted.logical_id('aws_dynamodb_table', 'sessions')}.arn}}"
    assert policy["provider"] == "aws.primary"
    assert use["resources"] == [table, f"{table}/index/*"]
    assert {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:DeleteItem"} <= set(use["actions"])
    assert all("*" not in action for action in use["actions"])
    assert not {"dynamodb:DeleteTable", "dynamodb:UpdateTable", "dynamodb:CreateTable"} & set(use["actions"])
    assert key["resources"] == [granted.key_arn("primary")]
    assert key["condition"][0]["values"] == ["dynamodb.us-east-1.amazonaws.com"]


def test_grant_read_write_in_secondary_names_the_replica(granted: Synthesized) -> None:
    policy, (use, key) = _grant(granted, "secondary")
    table_id = granted.logical_id("aws_dynamodb_table", "sessions")
    replica = f'${{replace(aws_dynamodb_table.{table_id}.arn, ":us-east-1:", ":us-west-2:")}}'
    assert policy["provider"] == "aws.secondary"
    assert use["resources"][0] == replica
    assert key["resources"] == [granted.key_arn("secondary")]
    assert key["condition"][0]["values"] == ["dynamodb.us-west-2.amazonaws.com"]
