"""Bootstrap stack: the S3 bucket and DynamoDB table that hold and lock the DR stack's Terraform state."""

from __future__ import annotations

import json

from cdktf import LocalBackend, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.dynamodb_table import (
    DynamodbTable,
    DynamodbTableAttribute,
    DynamodbTablePointInTimeRecovery,
    DynamodbTableServerSideEncryption,
)
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
)
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import (
    S3BucketVersioningA,
    S3BucketVersioningVersioningConfiguration,
)

from constructs import Construct
from dr_stack.keys import RegionalKey
from dr_stack.providers import make_aws_providers
from dr_stack.settings import Settings
from dr_stack.stacks import TERRAFORM_VERSION


class BootstrapStack(TerraformStack):
    """State bucket (versioned, KMS, private, TLS-only) and lock table; applied once with local state."""

    def __init__(self, scope: Construct, id_: str, *, settings: Settings) -> None:
        super().__init__(scope, id_)
        # The backend cannot store state in the bucket this stack creates: bootstrap keeps local state.
        LocalBackend(self, path=f"terraform.{id_}.tfstate")
        self.add_override("terraform.required_version", TERRAFORM_VERSION)
        provider = make_aws_providers(self, settings).primary
        key = RegionalKey(self, "state_key", provider=provider, settings=settings, role="primary")

        bucket = S3Bucket(
            self, "state_bucket", provider=provider, bucket=settings.state_bucket_name, force_destroy=False
        )
        S3BucketVersioningA(
            self,
            "state_bucket_versioning",
            provider=provider,
            bucket=bucket.id,
            versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled"),
        )
        S3BucketServerSideEncryptionConfigurationA(
            self,
            "state_bucket_encryption",
            provider=provider,
            bucket=bucket.id,
            rule=[
                S3BucketServerSideEncryptionConfigurationRuleA(
                    apply_server_side_encryption_by_default=(
                        S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                            sse_algorithm="aws:kms", kms_master_key_id=key.key_arn
                        )
                    ),
                    bucket_key_enabled=True,
                )
            ],
        )
        # Old state revisions are kept 90 days: enough to roll back a bad apply, without growing forever.
        S3BucketLifecycleConfiguration(
            self,
            "state_bucket_lifecycle",
            provider=provider,
            bucket=bucket.id,
            rule=[
                S3BucketLifecycleConfigurationRule(
                    id="expire-old-state-revisions",
                    status="Enabled",
                    filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                    noncurrent_version_expiration=[
                        S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(noncurrent_days=90)
                    ],
                    abort_incomplete_multipart_upload=[
                        S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(days_after_initiation=7)
                    ],
                )
            ],
        )
        S3BucketPublicAccessBlock(
            self,
            "state_bucket_public_access_block",
            provider=provider,
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )
        S3BucketPolicy(
            self,
            "state_bucket_tls_only",
            provider=provider,
            bucket=bucket.id,
            policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "DenyInsecureTransport",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "s3:*",
                            "Resource": [
                                f"arn:aws:s3:::{settings.state_bucket_name}",
                                f"arn:aws:s3:::{settings.state_bucket_name}/*",
                            ],
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        }
                    ],
                }
            ),
        )
        table = DynamodbTable(
            self,
            "state_lock_table",
            provider=provider,
            name=settings.state_lock_table_name,
            billing_mode="PAY_PER_REQUEST",
            hash_key="LockID",
            attribute=[DynamodbTableAttribute(name="LockID", type="S")],
            server_side_encryption=DynamodbTableServerSideEncryption(enabled=True, kms_key_arn=key.key_arn),
            point_in_time_recovery=DynamodbTablePointInTimeRecovery(enabled=True),
            deletion_protection_enabled=True,
        )
        TerraformOutput(
            self,
            "state_bucket_name",
            value=bucket.bucket,
            description="S3 bucket holding the DR stack's Terraform state",
        )
        TerraformOutput(
            self,
            "state_lock_table_name",
            value=table.name,
            description="DynamoDB table locking the DR stack's Terraform state",
        )
