"""PrivateBucket: no public access, ACLs off, versioned, encrypted, TLS-only, old versions expired (unit tests)."""

from __future__ import annotations

from typing import Any

import pytest
from cdktf import Testing
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from conftest import Synthesized

KMS_KEY = "arn:aws:kms:us-east-1:111122223333:key/unit"


def _bucket(**options: Any) -> Synthesized:
    from construct_support import empty_stack, provider_pair, synth
    from dr_stack.foundation.storage import PrivateBucket

    stack = empty_stack("bucket")
    providers = provider_pair(stack)
    settings: dict[str, Any] = {
        "name": "unit-bucket",
        "kms_key_arn": KMS_KEY,
        "noncurrent_days": 30,
        "abort_upload_days": 7,
        "force_destroy": False,
    }
    settings.update(options)
    PrivateBucket(stack, "private", provider=providers.primary, **settings)
    return synth(stack)


@pytest.fixture(scope="module")
def kms_bucket() -> Synthesized:
    return _bucket()


def test_public_access_is_blocked_and_acls_are_off(kms_bucket: Synthesized) -> None:
    assert Testing.to_have_resource_with_properties(
        kms_bucket.text,
        S3BucketPublicAccessBlock.TF_RESOURCE_TYPE,
        {
            "block_public_acls": True,
            "block_public_policy": True,
            "ignore_public_acls": True,
            "restrict_public_buckets": True,
        },
    )
    assert kms_bucket.only("aws_s3_bucket_ownership_controls")["rule"]["object_ownership"] == "BucketOwnerEnforced"


def test_kms_key_encrypts_with_a_bucket_key(kms_bucket: Synthesized) -> None:
    (rule,) = kms_bucket.only("aws_s3_bucket_server_side_encryption_configuration")["rule"]
    assert rule["apply_server_side_encryption_by_default"] == {"sse_algorithm": "aws:kms", "kms_master_key_id": KMS_KEY}
    assert rule["bucket_key_enabled"] is True


def test_no_key_means_sse_s3() -> None:
    (rule,) = _bucket(kms_key_arn=None).only("aws_s3_bucket_server_side_encryption_configuration")["rule"]
    assert rule["apply_server_side_encryption_by_default"]["sse_algorithm"] == "AES256"


def test_policy_denies_every_request_without_tls(kms_bucket: Synthesized) -> None:
    (deny,) = kms_bucket.statements(kms_bucket.only("aws_s3_bucket_policy")["policy"])
    bucket_arn = kms_bucket.ref("aws_s3_bucket", "private", "arn")
    assert (deny["sid"], deny["effect"], deny["actions"]) == ("DenyInsecureTransport", "Deny", ["s3:*"])
    assert deny["principals"] == [{"type": "*", "identifiers": ["*"]}]
    assert deny["resources"] == [bucket_arn, f"{bucket_arn}/*"]
    assert deny["condition"] == [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}]


def test_lifecycle_expires_old_versions_and_current_ones_only_when_asked(kms_bucket: Synthesized) -> None:
    (rule,) = kms_bucket.only("aws_s3_bucket_lifecycle_configuration")["rule"]
    assert rule["noncurrent_version_expiration"] == [{"noncurrent_days": 30}]
    assert "expiration" not in rule
    (expiring,) = _bucket(expiration_days=90).only("aws_s3_bucket_lifecycle_configuration")["rule"]
    assert expiring["expiration"] == [{"days": 90}]


def test_bucket_is_kept_on_destroy_by_default(kms_bucket: Synthesized) -> None:
    assert Testing.to_have_resource_with_properties(
        kms_bucket.text, S3Bucket.TF_RESOURCE_TYPE, {"bucket": "unit-bucket", "force_destroy": False}
    )
