"""A private S3 bucket as every bucket of the stack needs it: no public access, versioned, encrypted, TLS-only."""

from __future__ import annotations

from collections.abc import Sequence

from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
)
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import (
    S3BucketOwnershipControls,
    S3BucketOwnershipControlsRule,
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

# Days before S3 aborts a multipart upload left incomplete (its parts are stored, and billed, until then): the
# state and run-report buckets (the ALB access-log bucket keeps nothing old beyond a day, uploads included).
INCOMPLETE_UPLOAD_DAYS = 7


class PrivateBucket(Construct):
    """S3 bucket: public access blocked, ACLs off, versioned, encrypted, TLS-only policy, old versions expired."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        provider: AwsProvider,
        name: str,
        kms_key_arn: str | None,
        noncurrent_days: int,
        abort_upload_days: int,
        force_destroy: bool,
        expiration_days: int | None = None,
        policy_statements: Sequence[DataAwsIamPolicyDocumentStatement] = (),
        upload_key_ids: Sequence[str] = (),
    ) -> None:
        """`kms_key_arn` None: SSE-S3 (AES256), for writers that cannot use KMS (ALB log delivery).
        `noncurrent_days`: old versions are deleted that long after they stop being current; `abort_upload_days`:
        S3 aborts a multipart upload still incomplete after that many days.
        `force_destroy` True: `terraform destroy` empties the bucket and deletes it; False: destroy fails on a
        bucket that still holds objects (or versions), which are kept.
        `expiration_days` None: current objects are kept. `policy_statements` are added to the TLS-only deny.
        `upload_key_ids` empty: uploads may rely on the default encryption; otherwise the policy refuses a
        PutObject that does not ask for aws:kms with one of these identifiers of the key (ARN, alias ARN or
        alias name: S3 takes any of them in the request)."""
        super().__init__(scope, id_)
        self.bucket = S3Bucket(self, "bucket", provider=provider, bucket=name, force_destroy=force_destroy)
        S3BucketPublicAccessBlock(
            self,
            "public_access_block",
            provider=provider,
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )
        S3BucketOwnershipControls(
            self,
            "ownership",
            provider=provider,
            bucket=self.bucket.id,
            rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"),
        )
        self.versioning = S3BucketVersioningA(
            self,
            "versioning",
            provider=provider,
            bucket=self.bucket.id,
            versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled"),
        )
        by_default = S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
            sse_algorithm="aws:kms" if kms_key_arn else "AES256", kms_master_key_id=kms_key_arn
        )
        S3BucketServerSideEncryptionConfigurationA(
            self,
            "encryption",
            provider=provider,
            bucket=self.bucket.id,
            rule=[
                S3BucketServerSideEncryptionConfigurationRuleA(
                    apply_server_side_encryption_by_default=by_default, bucket_key_enabled=bool(kms_key_arn) or None
                )
            ],
        )
        S3BucketLifecycleConfiguration(
            self,
            "lifecycle",
            provider=provider,
            bucket=self.bucket.id,
            rule=[
                S3BucketLifecycleConfigurationRule(
                    id="expire-old-versions",
                    status="Enabled",
                    filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                    expiration=(
                        [S3BucketLifecycleConfigurationRuleExpiration(days=expiration_days)]
                        if expiration_days
                        else None
                    ),
                    noncurrent_version_expiration=[
                        S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(noncurrent_days=noncurrent_days)
                    ],
                    abort_incomplete_multipart_upload=[
                        S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(
                            days_after_initiation=abort_upload_days
                        )
                    ],
                )
            ],
            depends_on=[self.versioning],
        )
        self.policy = S3BucketPolicy(
            self,
            "policy",
            provider=provider,
            bucket=self.bucket.id,
            policy=DataAwsIamPolicyDocument(
                self,
                "policy_document",
                provider=provider,
                statement=[
                    *policy_statements,
                    *_kms_upload_denials(f"{self.bucket.arn}/*", upload_key_ids),
                    DataAwsIamPolicyDocumentStatement(
                        sid="DenyInsecureTransport",
                        effect="Deny",
                        principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="*", identifiers=["*"])],
                        actions=["s3:*"],
                        resources=[self.bucket.arn, f"{self.bucket.arn}/*"],
                        condition=[
                            DataAwsIamPolicyDocumentStatementCondition(
                                test="Bool", variable="aws:SecureTransport", values=["false"]
                            )
                        ],
                    ),
                ],
            ).json,
        )

    @property
    def bucket_arn(self) -> str:
        """ARN of the bucket."""
        return self.bucket.arn

    @property
    def bucket_name(self) -> str:
        """Name of the bucket."""
        return self.bucket.bucket

    @property
    def bucket_id(self) -> str:
        """Id of the bucket (its name, once created)."""
        return self.bucket.id


def _kms_upload_denials(objects_arn: str, key_ids: Sequence[str]) -> list[DataAwsIamPolicyDocumentStatement]:
    """Deny a PutObject that does not name aws:kms and one of ``key_ids`` (none when ``key_ids`` is empty).

    As the S3 User Guide shows ("Requiring SSE-KMS for all objects written to a bucket", condition keys
    s3:x-amz-server-side-encryption and s3:x-amz-server-side-encryption-aws-kms-key-id). StringNotEquals is true when
    the header is absent, so an upload relying on the bucket default (or asking for SSE-S3, which Terraform's S3
    backend does when ``kms_key_id`` is unset) is refused. Replication writes with s3:ReplicateObject, not
    PutObject, so it is not affected.
    """
    if not key_ids:
        return []
    everyone = [DataAwsIamPolicyDocumentStatementPrincipals(type="*", identifiers=["*"])]
    return [
        DataAwsIamPolicyDocumentStatement(
            sid="DenyUploadsWithoutKms",
            effect="Deny",
            principals=everyone,
            actions=["s3:PutObject"],
            resources=[objects_arn],
            condition=[
                DataAwsIamPolicyDocumentStatementCondition(
                    test="StringNotEquals", variable="s3:x-amz-server-side-encryption", values=["aws:kms"]
                )
            ],
        ),
        DataAwsIamPolicyDocumentStatement(
            sid="DenyUploadsWithAnotherKey",
            effect="Deny",
            principals=everyone,
            actions=["s3:PutObject"],
            resources=[objects_arn],
            condition=[
                DataAwsIamPolicyDocumentStatementCondition(
                    test="StringNotEquals",
                    variable="s3:x-amz-server-side-encryption-aws-kms-key-id",
                    values=list(key_ids),
                )
            ],
        ),
    ]
