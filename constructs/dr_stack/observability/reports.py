"""Per-region bucket for the orchestrator's run reports (JSON + Markdown timeline). The orchestrator's grant to
write them is in its permission list (``dr_permissions.orchestrator.RUN_REPORTS``), attached by
``dr_stack.control_plane.recovery.grant_run_reports``."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.provider import AwsProvider

from constructs import Construct
from dr_stack.foundation.storage import INCOMPLETE_UPLOAD_DAYS, PrivateBucket


class RunReportBucket(Construct):
    """A private, versioned bucket encrypted with the region's customer-managed key; reports expire after a while."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        provider: AwsProvider,
        name: str,
        kms_key_arn: str,
        retention_days: int,
        noncurrent_days: int,
        force_destroy: bool,
    ) -> None:
        """`retention_days`: current reports are deleted after that many days (old versions `noncurrent_days`
        later). `force_destroy` False: `terraform destroy` keeps a bucket that still holds reports."""
        super().__init__(scope, id_)
        self.bucket = PrivateBucket(
            self,
            "bucket",
            provider=provider,
            name=name,
            kms_key_arn=kms_key_arn,
            noncurrent_days=noncurrent_days,
            abort_upload_days=INCOMPLETE_UPLOAD_DAYS,
            expiration_days=retention_days,
            force_destroy=force_destroy,
        )

    @property
    def bucket_name(self) -> str:
        """Name of the bucket."""
        return self.bucket.bucket_name

    @property
    def bucket_arn(self) -> str:
        """ARN of the bucket."""
        return self.bucket.bucket_arn
