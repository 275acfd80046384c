"""AWS Backup: a KMS-encrypted vault per region, and per region a daily plan copying across regions with a selection
of that region's cluster, so whichever cluster writes after a failover is backed up."""

from __future__ import annotations

from typing import Any

import pytest
from cdktf import Testing
from cdktf_cdktf_provider_aws.backup_vault import BackupVault
from conftest import Synthesized

ROLES = ("primary", "secondary")


PEER = {"primary": "secondary", "secondary": "primary"}


def _plan_id(role: str) -> str:
    """Logical id part of a region's plan (the primary's id predates the per-region plans)."""
    return "backup_plan" if role == "primary" else f"backup_{role}_plan"


def _rule(synth: Synthesized, role: str = "primary") -> dict[str, Any]:
    (rule,) = synth.only("aws_backup_plan", _plan_id(role))["rule"]
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


@pytest.mark.parametrize("profile", ["dev", "prod"])
@pytest.mark.parametrize("role", ROLES)
def test_each_region_backs_up_its_own_cluster_daily_into_its_vault(
    profile: str, role: str, request: pytest.FixtureRequest
) -> None:
    """After a failover the secondary cluster writes: a selection naming only the primary cluster would leave the
    new writer without AWS Backup recovery points. AWS Backup is regional (a plan and its selection back up
    resources of the plan's region: AWS Backup Developer Guide, "Assigning resources to a backup plan"), so each
    region has its own plan, on its own provider, selecting its own cluster."""
    stack: Synthesized = request.getfixturevalue(profile)
    plan = stack.only("aws_backup_plan", _plan_id(role))
    assert plan["provider"] == f"aws.{role}"
    rule = _rule(stack, role)
    assert rule["schedule"] == "cron(0 5 * * ? *)"
    assert rule["target_vault_name"] == stack.ref("aws_backup_vault", f"backup_{role}_vault", "name")
    selection_id = "backup_selection" if role == "primary" else f"backup_{role}_selection"
    selection = stack.only("aws_backup_selection", selection_id)
    assert selection["provider"] == f"aws.{role}"
    assert selection["resources"] == [stack.ref("aws_rds_cluster", f"database_{role}_cluster", "arn")]
    assert selection["plan_id"] == stack.ref("aws_backup_plan", _plan_id(role), "id")
    assert selection["iam_role_arn"] == stack.ref("aws_iam_role", "backup_service_role", "arn")


def test_every_cluster_is_selected_exactly_once(dev: Synthesized, prod: Synthesized) -> None:
    """Both clusters, each in one selection of its own region (no cluster left out, none backed up twice)."""
    for stack in (dev, prod):
        selected = sorted(r for s in stack.resources("aws_backup_selection").values() for r in s["resources"])
        clusters = sorted(stack.ref("aws_rds_cluster", f"database_{role}_cluster", "arn") for role in ROLES)
        assert selected == clusters
        assert len(stack.resources("aws_backup_plan")) == 2


@pytest.mark.parametrize("role", ROLES)
def test_every_recovery_point_is_copied_to_the_other_regions_vault(dev: Synthesized, role: str) -> None:
    (copy,) = _rule(dev, role)["copy_action"]
    assert copy["destination_vault_arn"] == dev.ref("aws_backup_vault", f"backup_{PEER[role]}_vault", "arn")
    assert copy["lifecycle"] == {"delete_after": 35}
    assert _rule(dev, role)["lifecycle"] == {"delete_after": 35}


def test_service_role_trusts_aws_backup_with_its_managed_policies(dev: Synthesized) -> None:
    """The plans' role only backs up and copies (AWSBackupServiceRolePolicyForBackup): a restore names its own role
    in StartRestoreJob (AWS Backup API Reference, StartRestoreJob IamRoleArn), and nothing here restores."""
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
    assert attached == ["AWSBackupServiceRolePolicyForBackup"]


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
    from dr_stack.data_tier.backup import DatabaseBackup
    from dr_stack.naming.names import StackNames

    stack = empty_stack("backup")
    providers = provider_pair(stack)
    keys = regional_keys(stack, providers)
    networks, topics = networks_and_topics(stack, providers, keys)
    database = global_database(stack, providers, keys, networks, topics)
    DatabaseBackup(
        stack, "backup", providers=providers, keys=keys, database=database, names=StackNames("unit"), retention_days=10
    )
    return synth(stack)


def test_unit_backup_keeps_points_and_copies_for_the_given_days(lone_backup: Synthesized) -> None:
    rule = _rule(lone_backup)
    assert rule["lifecycle"] == {"delete_after": 10}
    (copy,) = rule["copy_action"]
    assert copy["lifecycle"] == {"delete_after": 10}
    assert copy["destination_vault_arn"] == lone_backup.ref("aws_backup_vault", "backup_secondary_vault", "arn")


def test_unit_backup_selects_each_cluster_in_its_region(lone_backup: Synthesized) -> None:
    for role in ROLES:
        selection_id = "backup_selection" if role == "primary" else f"backup_{role}_selection"
        selection = lone_backup.only("aws_backup_selection", selection_id)
        assert selection["provider"] == f"aws.{role}"
        assert selection["resources"] == [lone_backup.ref("aws_rds_cluster", f"database_{role}_cluster", "arn")]
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
    rule = dev.only("aws_backup_plan", _plan_id(role))["rule"][0]
    assert lock["min_retention_days"] == rule["lifecycle"]["delete_after"]
    assert "changeable_for_days" not in lock


@pytest.mark.parametrize("role", ROLES)
def test_only_the_break_glass_role_deletes_recovery_points(dev: Synthesized, role: str) -> None:
    """A vault access policy is a resource policy on the vault (AWS Backup Developer Guide, "Access policies",
    example "Deny access to delete recovery points"): its explicit Deny of DeleteRecoveryPoint and
    UpdateRecoveryPointLifecycle wins over any identity policy's Allow (IAM User Guide, "Policy evaluation logic"),
    so only the break-glass role, named by aws:PrincipalArn (it need not exist), may delete a recovery point or
    shorten its retention. Each region's vault has its own."""
    policy = dev.only("aws_backup_vault_policy", f"backup_{role}_vault_policy")
    assert policy["provider"] == f"aws.{role}"
    assert policy["backup_vault_name"] == dev.ref("aws_backup_vault", f"backup_{role}_vault", "name")
    document = dev.data_sources("aws_iam_policy_document")[policy["policy"].split(".")[2]]
    (statement,) = document["statement"]
    assert statement["effect"] == "Deny"
    assert statement["principals"] == [{"identifiers": ["*"], "type": "AWS"}]
    assert set(statement["actions"]) == {"backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle"}
    (condition,) = statement["condition"]
    assert (condition["test"], condition["variable"]) == ("ArnNotLike", "aws:PrincipalArn")
    (arn,) = condition["values"]
    assert arn.endswith(":role/drapp-dev-backup-break-glass") and "caller_identity" in arn
