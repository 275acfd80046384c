"""AWS Backup of each region's Aurora cluster: a daily snapshot kept in that region's vault and copied to the other.

Aurora's own automated backups stay in their region; this plan adds snapshots that survive the loss of the
primary region and of the global cluster itself (a logical corruption replicates; a snapshot does not).
"""

from __future__ import annotations

from collections.abc import Mapping

from cdktf_cdktf_provider_aws.backup_plan import (
    BackupPlan,
    BackupPlanRule,
    BackupPlanRuleCopyAction,
    BackupPlanRuleCopyActionLifecycle,
    BackupPlanRuleLifecycle,
)
from cdktf_cdktf_provider_aws.backup_selection import BackupSelection
from cdktf_cdktf_provider_aws.backup_vault import BackupVault
from cdktf_cdktf_provider_aws.backup_vault_lock_configuration import BackupVaultLockConfiguration
from cdktf_cdktf_provider_aws.backup_vault_policy import BackupVaultPolicy
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)

from constructs import Construct
from dr_stack.control_plane.iam import service_role
from dr_stack.data_tier.database import GlobalDatabase
from dr_stack.foundation.keys import RegionalKey
from dr_stack.foundation.providers import ROLES, DrRole, RegionalProviders, peer_of
from dr_stack.naming.names import StackNames

# Daily at 05:00 UTC, after the default Aurora backup window (03:00-04:00) and before the maintenance window.
DAILY_SCHEDULE = "cron(0 5 * * ? *)"
START_WINDOW_MINUTES = 60
COMPLETION_WINDOW_MINUTES = 360
# The plans' role backs up and copies; nothing in the stack restores with it (a restore names its own role in
# StartRestoreJob: AWS Backup's default role, or one with AWSBackupServiceRolePolicyForRestores; AWS Backup
# Developer Guide, "Restoring a backup"), so the restore policy is not attached.
_MANAGED_POLICIES = ("AWSBackupServiceRolePolicyForBackup",)
# What the vaults' access policies refuse to every principal but the break-glass role: deleting a recovery point
# or shortening its lifecycle (AWS Backup Developer Guide, "Access policies", "Deny access to delete recovery
# points"). AWS Backup's own lifecycle expiry is not a principal's request and still deletes expired points.
GUARDED_RECOVERY_POINT_ACTIONS = ("backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle")


class DatabaseBackup(Construct):
    """Backup vault per region (regional KMS key); per region a daily plan with a cross-region copy and a selection
    of that region's cluster."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        providers: RegionalProviders,
        keys: Mapping[DrRole, RegionalKey],
        database: GlobalDatabase,
        names: StackNames,
        retention_days: int,
    ) -> None:
        """Back up each of ``database``'s clusters into its region's vault and copy each recovery point across.
        Each region's vault is encrypted with its key of ``keys``; every name comes from ``names``;
        ``retention_days``: how long a recovery point (and its copy) is kept."""
        super().__init__(scope, id_)
        self.vaults: dict[DrRole, BackupVault] = {
            role: BackupVault(
                self,
                f"{role}_vault",
                provider=providers.for_role(role),
                name=names.region(role).backup_vault,
                kms_key_arn=keys[role].key_arn,
            )
            for role in ROLES
        }

        self._lock_vaults(providers, retention_days)
        self._guard_recovery_points(providers, keys, names)

        key = keys["primary"]
        role_name = names.backup_role
        self.service_role = service_role(
            self,
            "service_role",
            provider=providers.primary,
            name=role_name,
            description="AWS Backup: snapshot and copy the Aurora cluster",
            service="backup.amazonaws.com",
            account_id=key.account_id,
            partition=key.partition,
            trust_id="service_trust",
            managed_policies={
                policy.removeprefix("AWSBackupServiceRolePolicyFor").lower() + "_policy": policy
                for policy in _MANAGED_POLICIES
            },
        )

        # AWS Backup copies each region's snapshots into the other region's vault, re-encrypted with that vault's
        # key (AWS Backup Developer Guide, "Encryption for backups in AWS Backup"; "Creating backup copies across
        # AWS Regions"): the role uses both keys through AWS Backup and RDS, and RDS creates grants for the copies.
        # The role lives on the primary provider: the secondary key names it by its ARN built from its name, so
        # the secondary region's plans never need the primary's provider (RegionalKey.role_arn).
        for role in ROLES:
            backup_role = self.service_role.arn if role == "primary" else keys[role].role_arn(role_name)
            keys[role].allow_use(
                backup_role,
                sid="BackupThroughBackupAndRds",
                services=("backup", "rds"),
                actions=("kms:Decrypt", "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"),
            )
            keys[role].allow_use(
                backup_role,
                sid="BackupGrantsThroughBackupAndRds",
                services=("backup", "rds"),
                actions=("kms:CreateGrant",),
                grants=True,
            )
        retention = retention_days
        # One plan and selection per region, each backing up its own cluster into its own vault with a copy to
        # the other: whichever cluster writes after a failover is backed up in its region, with no change to the
        # stack. The primary's construct ids and names predate the per-region plans and are kept.
        self.plans: dict[DrRole, BackupPlan] = {}
        self.selections: dict[DrRole, BackupSelection] = {}
        for role in ROLES:
            peer = peer_of(role)
            prefix = "" if role == "primary" else f"{role}_"
            # AWS Backup plan and selection names are at most 50 characters: the secondary's fit the longest prefix.
            plan_name = names.region(role).backup_plan
            provider = providers.for_role(role)
            self.plans[role] = BackupPlan(
                self,
                f"{prefix}plan",
                provider=provider,
                name=plan_name,
                rule=[
                    BackupPlanRule(
                        rule_name="daily-with-cross-region-copy",
                        target_vault_name=self.vaults[role].name,
                        schedule=DAILY_SCHEDULE,
                        start_window=START_WINDOW_MINUTES,
                        completion_window=COMPLETION_WINDOW_MINUTES,
                        lifecycle=BackupPlanRuleLifecycle(delete_after=retention),
                        copy_action=[
                            BackupPlanRuleCopyAction(
                                destination_vault_arn=self.vaults[peer].arn,
                                lifecycle=BackupPlanRuleCopyActionLifecycle(delete_after=retention),
                            )
                        ],
                        recovery_point_tags={"backup-plan": plan_name},
                    )
                ],
            )
            self.selections[role] = BackupSelection(
                self,
                f"{prefix}selection",
                provider=provider,
                name=names.region(role).backup_selection,
                plan_id=self.plans[role].id,
                iam_role_arn=self.service_role.arn,
                resources=[database.cluster_arn(role)],
            )
        self.plan = self.plans["primary"]
        self.selection = self.selections["primary"]

    def _lock_vaults(self, providers: RegionalProviders, retention_days: int) -> None:
        """AWS Backup Vault Lock in governance mode on each vault: no recovery point may be kept shorter than the
        plan's retention, nor be deleted before it, except by a principal allowed to remove the lock
        (backup:DeleteBackupVaultLockConfiguration); compliance mode (ChangeableForDays) is left out because it
        can never be undone, and the dev profile is torn down often (AWS Backup Developer Guide, "AWS Backup
        Vault Lock")."""
        self.vault_locks: dict[DrRole, BackupVaultLockConfiguration] = {
            role: BackupVaultLockConfiguration(
                self,
                f"{role}_vault_lock",
                provider=providers.for_role(role),
                backup_vault_name=self.vaults[role].name,
                min_retention_days=retention_days,
            )
            for role in ROLES
        }

    def _guard_recovery_points(
        self, providers: RegionalProviders, keys: Mapping[DrRole, RegionalKey], names: StackNames
    ) -> None:
        """A vault access policy on each vault: only the break-glass role (by aws:PrincipalArn, so it need not
        exist) may delete a recovery point or change its lifecycle; an explicit Deny in a resource policy wins over
        any Allow of an identity policy (IAM User Guide, "Policy evaluation logic")."""
        self.vault_policies: dict[DrRole, BackupVaultPolicy] = {}
        for role in ROLES:
            provider, key = providers.for_role(role), keys[role]
            break_glass = f"arn:{key.partition}:iam::{key.account_id}:role/{names.backup_break_glass_role}"
            document = DataAwsIamPolicyDocument(
                self,
                f"{role}_vault_policy_document",
                provider=provider,
                statement=[
                    DataAwsIamPolicyDocumentStatement(
                        sid="OnlyBreakGlassDeletesRecoveryPoints",
                        effect="Deny",
                        principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="AWS", identifiers=["*"])],
                        actions=list(GUARDED_RECOVERY_POINT_ACTIONS),
                        resources=["*"],
                        condition=[
                            DataAwsIamPolicyDocumentStatementCondition(
                                test="ArnNotLike", variable="aws:PrincipalArn", values=[break_glass]
                            )
                        ],
                    )
                ],
            )
            self.vault_policies[role] = BackupVaultPolicy(
                self,
                f"{role}_vault_policy",
                provider=provider,
                backup_vault_name=self.vaults[role].name,
                policy=document.json,
            )

    def vault_arn(self, role: DrRole) -> str:
        """ARN of a region's backup vault."""
        return self.vaults[role].arn

    def vault_name(self, role: DrRole) -> str:
        """Name of a region's backup vault."""
        return self.vaults[role].name

    @property
    def plan_id(self) -> str:
        """Id of the primary region's backup plan (``plans`` holds each region's)."""
        return self.plan.id

    @property
    def plan_arn(self) -> str:
        """ARN of the primary region's backup plan."""
        return self.plan.arn

    @property
    def service_role_arn(self) -> str:
        """ARN of the role AWS Backup assumes."""
        return self.service_role.arn
