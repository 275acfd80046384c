"""Per-region bucket for the orchestrator's run reports (JSON + Markdown timeline), and the grant to write them."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import DataAwsIamPolicyDocumentStatement
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.provider import AwsProvider

from constructs import Construct
from dr_stack.control_plane.iam import attach_inline_policy, construct_slug, kms_via_service
from dr_stack.foundation.storage import PrivateBucket

# The Lambda writes under this prefix only (lambda_src/dr_failover/run/run_report.py REPORT_PREFIX).
REPORT_PREFIX = "runs"


class RunReportBucket(Construct):
    """A private, versioned bucket encrypted with the region's customer-managed key; reports expire after a while."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        provider: AwsProvider,
        name: str,
        region: str,
        kms_key_arn: str,
        retention_days: int,
        noncurrent_days: int = 30,
        force_destroy: bool = False,
    ) -> None:
        """`retention_days`: current reports are deleted after that many days (old versions `noncurrent_days`
        later). `force_destroy` False: `terraform destroy` keeps a bucket that still holds reports."""
        super().__init__(scope, id_)
        self._provider = provider
        self._region = region
        self._kms_key_arn = kms_key_arn
        self.bucket = PrivateBucket(
            self,
            "bucket",
            provider=provider,
            name=name,
            kms_key_arn=kms_key_arn,
            noncurrent_days=noncurrent_days,
            expiration_days=retention_days,
            force_destroy=force_destroy,
        )

    def grant_write(self, grantee: IamRole, *, policy_name: str) -> IamRolePolicy:
        """Let ``grantee`` put report objects under ``runs/`` with this bucket's key (used through S3 only), in the
        inline policy ``policy_name``."""
        slug = construct_slug(grantee)
        return attach_inline_policy(
            self,
            f"write_{slug}",
            provider=self._provider,
            grantee=grantee,
            name=policy_name,
            statements=[
                DataAwsIamPolicyDocumentStatement(
                    sid="PutRunReports",
                    actions=["s3:PutObject"],
                    resources=[f"{self.bucket.bucket_arn}/{REPORT_PREFIX}/*"],
                ),
                # PutObject with SSE-KMS needs GenerateDataKey on the key (S3 User Guide, "Using server-side
                # encryption with AWS KMS keys", required permissions).
                kms_via_service(
                    self._kms_key_arn,
                    service="s3",
                    region=self._region,
                    actions=("kms:GenerateDataKey",),
                    sid="EncryptRunReports",
                ),
            ],
        )

    @property
    def bucket_name(self) -> str:
        """Name of the bucket."""
        return self.bucket.bucket_name

    @property
    def bucket_arn(self) -> str:
        """ARN of the bucket."""
        return self.bucket.bucket_arn
