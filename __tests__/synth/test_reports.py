"""Run-report buckets (constructs/dr_stack/observability/reports.py): private, versioned, customer-managed-key
encrypted; the orchestrator's write grant (``dr_permissions.orchestrator.RUN_REPORTS``, attached by
``control_plane.recovery.grant_run_reports``) scoped to the bucket's ``runs/`` prefix and the key (through S3 only)."""

from __future__ import annotations

import pytest
from cdktf import Testing
from conftest import Synthesized, new_testing_app
from dr_stack.control_plane.iam import trust_policy

REGION = "eu-west-1"
KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.fixture(scope="module")
def small() -> Synthesized:
    """One RunReportBucket and one role granted to write to it, in an empty stack with one provider."""
    from cdktf import TerraformStack
    from cdktf_cdktf_provider_aws.iam_role import IamRole
    from cdktf_cdktf_provider_aws.provider import AwsProvider
    from dr_stack.control_plane.iam import GrantResources
    from dr_stack.control_plane.recovery import grant_run_reports
    from dr_stack.observability.reports import RunReportBucket

    stack = TerraformStack(new_testing_app(), "reports")
    provider = AwsProvider(stack, "aws", region=REGION, alias="eu")
    role = IamRole(
        stack,
        "writer",
        provider=provider,
        name="writer",
        assume_role_policy=trust_policy(stack, "writer_trust", provider=provider, service="lambda.amazonaws.com"),
    )
    reports = RunReportBucket(
        stack,
        "run_reports",
        provider=provider,
        name="acme-reports",
        kms_key_arn=KEY_ARN,
        retention_days=90,
        noncurrent_days=30,
        force_destroy=False,
    )
    grant_run_reports(
        stack,
        "write_run_reports",
        provider=provider,
        role=role,
        policy_name="write-run-reports",
        resources=GrantResources(region=REGION, report_bucket_arn=reports.bucket_arn, report_key_arn=KEY_ARN),
    )
    return Synthesized(Testing.synth(stack))


def test_bucket_is_encrypted_with_the_customer_managed_key(small: Synthesized) -> None:
    """SSE-KMS with a named key (S3 User Guide, "Using server-side encryption with AWS KMS keys")."""
    assert Testing.to_have_resource_with_properties(
        small.text,
        "aws_s3_bucket_server_side_encryption_configuration",
        {
            "rule": [
                {"apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms", "kms_master_key_id": KEY_ARN}}
            ]
        },
    )


def test_bucket_is_versioned_private_and_expires_reports_after_the_retention(small: Synthesized) -> None:
    assert small.only("aws_s3_bucket_versioning")["versioning_configuration"]["status"] == "Enabled"
    block = small.only("aws_s3_bucket_public_access_block")
    assert all(
        block[k] is True
        for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )
    rule = small.only("aws_s3_bucket_lifecycle_configuration")["rule"][0]
    assert rule["expiration"] == [{"days": 90}]
    assert small.only("aws_s3_bucket")["force_destroy"] is False


def test_every_resource_names_the_provider(small: Synthesized) -> None:
    for resource_type, resources in small.data["resource"].items():
        for name, body in resources.items():
            assert body.get("provider") == "aws.eu", (resource_type, name)


def test_write_grant_is_scoped_to_the_runs_prefix_and_the_key_through_s3(small: Synthesized) -> None:
    """PutObject with SSE-KMS needs kms:GenerateDataKey on the key; kms:ViaService limits its use to S3 in
    the bucket's region (AWS KMS Developer Guide, "kms:ViaService")."""
    grant = next(body for body in small.resources("aws_iam_role_policy").values())
    statements = small.statements(grant["policy"])
    by_sid = {s["sid"]: s for s in statements}
    bucket_arn = small.ref("aws_s3_bucket", "run_reports", "arn")
    assert by_sid["PutRunReports"]["actions"] == ["s3:PutObject"]
    assert by_sid["PutRunReports"]["resources"] == [f"{bucket_arn}/runs/*"]
    kms = by_sid["EncryptRunReports"]
    assert kms["actions"] == ["kms:GenerateDataKey"]
    assert kms["resources"] == [KEY_ARN]
    assert kms["condition"] == [
        {"test": "StringEquals", "variable": "kms:ViaService", "values": [f"s3.{REGION}.amazonaws.com"]}
    ]
    assert len(statements) == 2


@pytest.mark.parametrize("fixture", ["dev", "prod"])
def test_each_region_has_its_report_bucket_under_its_own_key_and_its_orchestrator_may_write(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    stack: Synthesized = request.getfixturevalue(fixture)
    for role in ("primary", "secondary"):
        encryption = stack.only("aws_s3_bucket_server_side_encryption_configuration", f"{role}_run_reports")
        assert encryption["rule"][0]["apply_server_side_encryption_by_default"]["kms_master_key_id"] == stack.key_arn(
            role
        )
        assert stack.only("aws_s3_bucket", f"{role}_run_reports")["provider"] == f"aws.{role}"
        policy = stack.only("aws_iam_role_policy", f"{role}_run_reports")
        assert policy["role"] == stack.ref("aws_iam_role", f"{role}_orchestrator", "id")
        assert stack.outputs()[f"{role}_run_report_bucket"]["value"] == stack.ref(
            "aws_s3_bucket", f"{role}_run_reports", "bucket"
        )
    assert stack.only("aws_s3_bucket", "primary_run_reports")["force_destroy"] is (fixture == "dev")
