"""Bootstrap stack: the S3 bucket and DynamoDB table that hold and lock the DR stack's Terraform state,
replicated to the other region so that Terraform still works when the state region is the one that failed.
"""

from __future__ import annotations

from cdktf import LocalBackend, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.dynamodb_table import (
    DynamodbTable,
    DynamodbTableAttribute,
    DynamodbTablePointInTimeRecovery,
    DynamodbTableReplica,
    DynamodbTableServerSideEncryption,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags
from cdktf_cdktf_provider_aws.s3_bucket_replication_configuration import (
    S3BucketReplicationConfigurationA,
    S3BucketReplicationConfigurationRule,
    S3BucketReplicationConfigurationRuleDeleteMarkerReplication,
    S3BucketReplicationConfigurationRuleDestination,
    S3BucketReplicationConfigurationRuleDestinationEncryptionConfiguration,
    S3BucketReplicationConfigurationRuleFilter,
    S3BucketReplicationConfigurationRuleSourceSelectionCriteria,
    S3BucketReplicationConfigurationRuleSourceSelectionCriteriaSseKmsEncryptedObjects,
)

from constructs import Construct
from dr_stack.config.settings import Settings
from dr_stack.control_plane.iam import allow, attach_inline_policy, trust_policy
from dr_stack.foundation.backend import StateKeyRole, local_state_path
from dr_stack.foundation.keys import RegionalKey
from dr_stack.foundation.providers import account_guard, default_tags
from dr_stack.foundation.storage import INCOMPLETE_UPLOAD_DAYS, PrivateBucket
from dr_stack.stacks import TERRAFORM_VERSION

# Old state revisions are kept this long: enough to roll back a bad apply, without growing forever.
NONCURRENT_STATE_DAYS = 90


class BootstrapStack(TerraformStack):
    """State bucket and lock table in the state region, replicated to the other DR region; local state."""

    def __init__(self, scope: Construct, id_: str, *, settings: Settings) -> None:
        super().__init__(scope, id_)
        # The backend cannot store state in the bucket this stack creates: bootstrap keeps local state, outside
        # the output directory that a synth rewrites (backend.local_state_path).
        LocalBackend(self, path=local_state_path(id_))
        self.add_override("terraform.required_version", TERRAFORM_VERSION)
        regions: dict[StateKeyRole, str] = {
            "primary": settings.state_region_name,
            "secondary": settings.state_replica_region,
        }
        providers = {
            role: AwsProvider(
                self,
                f"aws_{role}",
                alias=role,
                region=region,
                allowed_account_ids=account_guard(settings.allowed_account_ids),
                default_tags=[
                    AwsProviderDefaultTags(
                        tags=default_tags(
                            project=settings.project_name, environment=settings.environment, role=f"state-{role}"
                        )
                    )
                ],
            )
            for role, region in regions.items()
        }
        keys = {
            role: RegionalKey(
                self,
                f"{role}_state_key",
                provider=providers[role],
                region=regions[role],
                alias_name=settings.state_names.key_alias(role),
                description=f"{settings.name_prefix} state-{role} region: data at rest",
                for_state=True,
            )
            for role in regions
        }
        buckets: tuple[tuple[StateKeyRole, str, str], ...] = (
            ("primary", "state_bucket", settings.state_bucket_name),
            ("secondary", "state_replica_bucket", settings.state_replica_bucket_name),
        )
        source, replica = (
            PrivateBucket(
                self,
                bucket_id,
                provider=providers[role],
                name=name,
                kms_key_arn=keys[role].key_arn,
                noncurrent_days=NONCURRENT_STATE_DAYS,
                abort_upload_days=INCOMPLETE_UPLOAD_DAYS,
                # The Terraform state outlives any destroy of the bootstrap stack, in every profile.
                force_destroy=False,
                # Terraform's backend names the key by its alias (backend.py): every form S3 accepts for it.
                upload_key_ids=[keys[role].key_arn, keys[role].alias_arn, keys[role].alias_name],
            )
            for role, bucket_id, name in buckets
        )
        self._replicate(settings, providers["primary"], source, replica, keys)

        # A global table: the same lock table answers in the replica region when the state region is down.
        table = DynamodbTable(
            self,
            "state_lock_table",
            provider=providers["primary"],
            name=settings.state_lock_table_name,
            billing_mode="PAY_PER_REQUEST",
            hash_key="LockID",
            attribute=[DynamodbTableAttribute(name="LockID", type="S")],
            server_side_encryption=DynamodbTableServerSideEncryption(enabled=True, kms_key_arn=keys["primary"].key_arn),
            point_in_time_recovery=DynamodbTablePointInTimeRecovery(enabled=True),
            stream_enabled=True,
            stream_view_type="NEW_AND_OLD_IMAGES",
            replica=[
                DynamodbTableReplica(
                    region_name=regions["secondary"],
                    kms_key_arn=keys["secondary"].key_arn,
                    point_in_time_recovery=True,
                )
            ],
            deletion_protection_enabled=True,
        )
        outputs = {
            "state_bucket_name": (source.bucket_name, "S3 bucket holding the DR stack's Terraform state"),
            "state_replica_bucket_name": (
                replica.bucket_name,
                "Replica of the state bucket in the other region: point the backend at it if the state region is down",
            ),
            "state_lock_table_name": (table.name, "DynamoDB global table locking the DR stack's Terraform state"),
        }
        for name, (value, description) in outputs.items():
            TerraformOutput(self, name, value=value, description=description)

    def _replicate(
        self,
        settings: Settings,
        provider: AwsProvider,
        source: PrivateBucket,
        replica: PrivateBucket,
        keys: dict[StateKeyRole, RegionalKey],
    ) -> None:
        """Cross-region replication of every state revision (and delete markers), re-encrypted with the replica key."""
        role = IamRole(
            self,
            "state_replication_role",
            provider=provider,
            name=settings.state_names.replication_role,
            assume_role_policy=trust_policy(
                self, "state_replication_trust", provider=provider, service="s3.amazonaws.com"
            ),
        )
        policy = attach_inline_policy(
            self,
            "state_replication_policy",
            provider=provider,
            grantee=role,
            statements=[
                allow("ReadSource", ["s3:GetReplicationConfiguration", "s3:ListBucket"], [source.bucket_arn]),
                allow(
                    "ReadSourceVersions",
                    ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
                    [f"{source.bucket_arn}/*"],
                ),
                allow(
                    "WriteReplica",
                    ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
                    [f"{replica.bucket_arn}/*"],
                ),
                allow("DecryptSource", ["kms:Decrypt"], [keys["primary"].key_arn]),
                allow("EncryptReplica", ["kms:Encrypt", "kms:GenerateDataKey"], [keys["secondary"].key_arn]),
            ],
        )
        S3BucketReplicationConfigurationA(
            self,
            "state_replication",
            provider=provider,
            bucket=source.bucket_id,
            role=role.arn,
            rule=[
                S3BucketReplicationConfigurationRule(
                    id="state-to-replica-region",
                    status="Enabled",
                    filter=S3BucketReplicationConfigurationRuleFilter(prefix=""),
                    delete_marker_replication=S3BucketReplicationConfigurationRuleDeleteMarkerReplication(
                        status="Enabled"
                    ),
                    source_selection_criteria=S3BucketReplicationConfigurationRuleSourceSelectionCriteria(
                        sse_kms_encrypted_objects=(
                            S3BucketReplicationConfigurationRuleSourceSelectionCriteriaSseKmsEncryptedObjects(
                                status="Enabled"
                            )
                        )
                    ),
                    destination=S3BucketReplicationConfigurationRuleDestination(
                        bucket=replica.bucket_arn,
                        storage_class="STANDARD",
                        encryption_configuration=(
                            S3BucketReplicationConfigurationRuleDestinationEncryptionConfiguration(
                                replica_kms_key_id=keys["secondary"].key_arn
                            )
                        ),
                    ),
                )
            ],
            depends_on=[source.versioning, replica.versioning, policy],
        )
