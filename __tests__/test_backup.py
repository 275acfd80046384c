"""AWS Backup: a KMS-encrypted vault per region, a daily plan copying across regions, the primary cluster selected."""

from __future__ import annotations

from typing import Any

import pytest
from cdktf import Testing
from cdktf_cdktf_provider_aws.backup_vault import BackupVault
from conftest import Synthesized

ROLES = ("primary", "secondary")


def _rule(synth: Synthesized) -> dict[str, Any]:
    (rule,) = synth.only("aws_backup_plan", "backup_plan")["rule"]
    return rule


@pytest.mark.parametrize("role", ROLES)
def test_each_region_has_a_vault_encrypted_with_its_key(dev: Synthesized, role: str) -> None:
    vault = dev.only("aws_backup_vault", f"backup_{role}_vault")
    assert vault["provider"] == f"aws.{role}"
    assert vault["name"] == f"drapp-dev-{role}"
    assert vault["kms_key_arn"] == dev.ref("aws_kms_key", f"{role}_key", "arn")
    assert Testing.to_have_resource_with_properties(
        dev.text, BackupVault.TF_RESOURCE_TYPE, {"name": f"drapp-dev-{role}"}
    )


def test_plan_runs_daily_in_the_primary_region_into_the_primary_vault(dev: Synthesized) -> None:
    plan = dev.only("aws_backup_plan", "backup_plan")
    assert plan["provider"] == "aws.primary"
    rule = _rule(dev)
    assert rule["schedule"] == "cron(0 5 * * ? *)"
    assert rule["target_vault_name"] == dev.ref("aws_backup_vault", "backup_primary_vault", "name")
    assert rule["lifecycle"] == {"delete_after": 35}


def test_every_recovery_point_is_copied_to_the_secondary_vault(dev: Synthesized) -> None:
    (copy,) = _rule(dev)["copy_action"]
    assert copy["destination_vault_arn"] == dev.ref("aws_backup_vault", "backup_secondary_vault", "arn")
    assert copy["lifecycle"] == {"delete_after": 35}


def test_selection_is_the_primary_cluster_only(dev: Synthesized) -> None:
    selection = dev.only("aws_backup_selection", "backup_selection")
    assert selection["provider"] == "aws.primary"
    assert selection["resources"] == [dev.ref("aws_rds_cluster", "database_primary_cluster", "arn")]
    assert selection["plan_id"] == dev.ref("aws_backup_plan", "backup_plan", "id")
    assert selection["iam_role_arn"] == dev.ref("aws_iam_role", "backup_service_role", "arn")


def test_service_role_trusts_aws_backup_with_its_managed_policies(dev: Synthesized) -> None:
    role = dev.only("aws_iam_role", "backup_service_role")
    trust_id = role["assume_role_policy"].split(".")[2]
    (statement,) = dev.data_sources("aws_iam_policy_document")[trust_id]["statement"]
    assert statement["principals"] == [{"identifiers": ["backup.amazonaws.com"], "type": "Service"}]
    assert statement["condition"][0]["variable"] == "aws:SourceAccount"
    attached = sorted(
        a["policy_arn"].rsplit("/", 1)[-1]
        for key, a in dev.resources("aws_iam_role_policy_attachment").items()
        if key.startswith("backup_")
    )
    assert attached == ["AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForRestores"]


# ----- unit: DatabaseBackup in an empty stack -----


@pytest.fixture(scope="module")
def lone_backup() -> Synthesized:
    """A backup of a small global database, recovery points kept 10 days."""
    from construct_support import (
        empty_stack,
        global_database,
        networks_and_topics,
        provider_pair,
        regional_keys,
        synth,
    )
    from dr_stack.backup import DatabaseBackup

    stack = empty_stack("backup")
    providers = provider_pair(stack)
    keys = regional_keys(stack, providers)
    networks, topics = networks_and_topics(stack, providers, keys)
    database = global_database(stack, providers, keys, networks, topics)
    DatabaseBackup(
        stack, "backup", providers=providers, keys=keys, database=database, name_prefix="unit", retention_days=10
    )
    return synth(stack)


def test_unit_backup_keeps_points_and_copies_for_the_given_days(lone_backup: Synthesized) -> None:
    rule = _rule(lone_backup)
    assert rule["lifecycle"] == {"delete_after": 10}
    (copy,) = rule["copy_action"]
    assert copy["lifecycle"] == {"delete_after": 10}
    assert copy["destination_vault_arn"] == lone_backup.ref("aws_backup_vault", "backup_secondary_vault", "arn")


def test_unit_backup_selects_the_primary_cluster(lone_backup: Synthesized) -> None:
    selection = lone_backup.only("aws_backup_selection")
    assert selection["resources"] == [lone_backup.ref("aws_rds_cluster", "database_primary_cluster", "arn")]
    assert Testing.to_have_resource_with_properties(
        lone_backup.text, BackupVault.TF_RESOURCE_TYPE, {"name": "unit-secondary"}
    )


@pytest.mark.parametrize("role", ["primary", "secondary"])
def test_each_vault_is_locked_to_the_plans_retention(dev: Synthesized, role: str) -> None:
    """AWS Backup Vault Lock: MinRetentionDays refuses a recovery point kept shorter, and its deletion before that
    age; without ChangeableForDays the lock is in governance mode (AWS Backup API Reference,
    PutBackupVaultLockConfiguration)."""
    lock = dev.only("aws_backup_vault_lock_configuration", f"backup_{role}_vault_lock")
    vault = dev.logical_id("aws_backup_vault", f"backup_{role}_vault")
    assert lock["provider"] == f"aws.{role}"
    assert lock["backup_vault_name"] == f"${{aws_backup_vault.{vault}.name}}"
    rule = dev.only("aws_backup_plan")["rule"][0]
    assert lock["min_retention_days"] == rule["lifecycle"]["delete_after"]
    assert "changeable_for_days" not in lock
