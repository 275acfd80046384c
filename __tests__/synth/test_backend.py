"""State backends: S3 with DynamoDB and lockfile locking, Terraform Cloud, local; the bootstrap stack."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cdktf import TerraformStack, Testing
from conftest import Synthesized, new_testing_app


def _terraform_block(overrides: dict[str, Any]) -> dict[str, Any]:
    from dr_stack.config.settings import load_settings
    from dr_stack.stacks import DrStack

    settings = load_settings(overrides, environ={})
    return Synthesized(Testing.synth(DrStack(new_testing_app(), "backend", settings=settings))).data["terraform"]


def test_s3_backend_encrypts_with_the_state_key_and_locks(dev: Synthesized, dev_bootstrap: Synthesized) -> None:
    """Terraform's S3 backend: `encrypt` without `kms_key_id` uploads the state (and the .tflock file) with
    SSE-S3, whatever the bucket's default; `kms_key_id` makes it SSE-KMS with that key (Terraform docs, backend
    "s3": encrypt, kms_key_id). The alias is the one the bootstrap stack gives the state bucket's key."""
    assert dev.data["terraform"]["backend"]["s3"] == {
        "bucket": "drapp-dev-tfstate",
        "key": "dr-stack/dev/dr.tfstate",
        "region": "us-east-1",
        "encrypt": True,
        "kms_key_id": "alias/drapp-dev-state-primary",
        "dynamodb_table": "drapp-dev-tflock",
        "use_lockfile": True,
    }
    alias = dev_bootstrap.only("aws_kms_alias", "primary_state_key")
    assert alias["name"] == "alias/drapp-dev-state-primary"
    assert alias["provider"] == "aws.primary"


def test_s3_backend_pointed_at_the_replica_encrypts_with_the_replica_key(dev_bootstrap: Synthesized) -> None:
    """The outage runbook points the backend at `<state_bucket>-replica` in the replica region; objects there are
    encrypted with that region's key (a KMS key is regional), whose alias the bootstrap stack creates there."""
    s3 = _terraform_block({"state_region": "us-west-2", "state_bucket": "drapp-dev-tfstate-replica"})["backend"]["s3"]
    assert (s3["bucket"], s3["region"]) == ("drapp-dev-tfstate-replica", "us-west-2")
    assert s3["kms_key_id"] == "alias/drapp-dev-state-secondary"
    alias = dev_bootstrap.only("aws_kms_alias", "secondary_state_key")
    assert (alias["name"], alias["provider"]) == ("alias/drapp-dev-state-secondary", "aws.secondary")
    assert dev_bootstrap.only("aws_s3_bucket", "state_replica_bucket")["bucket"] == "drapp-dev-tfstate-replica"


def test_terraform_accepts_an_alias_name_as_the_backends_kms_key_id(dev: Synthesized, tmp_path: Path) -> None:
    """Terraform 1.11 validates kms_key_id when it reads the backend block ("Invalid KMS Key ID" for a value that
    is no key id, key ARN or alias): the alias form passes, an invalid value is refused, before any network call
    (the endpoint here is a closed loopback port)."""

    def init(kms_key_id: str) -> str:
        backend = {
            **dev.data["terraform"]["backend"]["s3"],
            "kms_key_id": kms_key_id,
            "access_key": "test",
            "secret_key": "test",  # noqa: S105 (a fake key for a closed local port)
            "skip_credentials_validation": True,
            "skip_requesting_account_id": True,
            "skip_metadata_api_check": True,
            "use_path_style": True,
            "max_retries": 1,
            "endpoints": {"s3": "http://127.0.0.1:9", "dynamodb": "http://127.0.0.1:9"},
        }
        folder = tmp_path / kms_key_id.replace("/", "_")
        folder.mkdir()
        (folder / "main.tf.json").write_text(json.dumps({"terraform": {"backend": {"s3": backend}}}))
        done = subprocess.run(
            ["terraform", "init", "-input=false", "-no-color"],
            cwd=folder,
            env={**os.environ, "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        return done.stdout + done.stderr

    assert "Invalid KMS Key" in init("not-a-key")
    accepted = init(dev.data["terraform"]["backend"]["s3"]["kms_key_id"])
    assert "Invalid KMS Key" not in accepted
    assert "127.0.0.1:9" in accepted  # it got as far as calling S3


@pytest.mark.parametrize("bucket", ["state_bucket", "state_replica_bucket"])
def test_state_buckets_are_never_emptied_by_destroy_even_in_dev(dev_bootstrap: Synthesized, bucket: str) -> None:
    """Terraform AWS provider, aws_s3_bucket: with force_destroy false, destroying a bucket that still holds
    objects fails instead of deleting them; the state and its versions outlive a teardown in every profile."""
    assert dev_bootstrap.only("aws_s3_bucket", f"{bucket}_")["force_destroy"] is False


@pytest.mark.parametrize(("bucket", "role"), [("state_bucket", "primary"), ("state_replica_bucket", "secondary")])
def test_state_buckets_refuse_uploads_not_encrypted_with_their_key(
    bootstrap: Synthesized, bucket: str, role: str
) -> None:
    """S3 User Guide, "Requiring SSE-KMS for all objects written to a bucket": deny s3:PutObject when
    s3:x-amz-server-side-encryption is not aws:kms, and when s3:x-amz-server-side-encryption-aws-kms-key-id is not
    the key (StringNotEquals also matches a request without the header, so a default-encrypted or SSE-S3 upload is
    refused). Terraform's backend sends the same headers on the .tflock file as on the state, so both pass."""
    statements = bootstrap.statements(bootstrap.only("aws_s3_bucket_policy", f"{bucket}_")["policy"])
    by_sid = {statement.get("sid"): statement for statement in statements}
    objects = f"${{aws_s3_bucket.{bootstrap.logical_id('aws_s3_bucket', f'{bucket}_')}.arn}}/*"
    key = bootstrap.logical_id("aws_kms_key", f"{role}_state_key")
    alias = bootstrap.logical_id("aws_kms_alias", f"{role}_state_key")
    expected = {
        "DenyUploadsWithoutKms": ("s3:x-amz-server-side-encryption", ["aws:kms"]),
        "DenyUploadsWithAnotherKey": (
            "s3:x-amz-server-side-encryption-aws-kms-key-id",
            [f"${{aws_kms_key.{key}.arn}}", f"${{aws_kms_alias.{alias}.arn}}", f"${{aws_kms_alias.{alias}.name}}"],
        ),
    }
    for sid, (variable, values) in expected.items():
        statement = by_sid[sid]
        assert statement["effect"] == "Deny"
        assert statement["principals"] == [{"type": "*", "identifiers": ["*"]}]
        assert statement["actions"] == ["s3:PutObject"]
        assert statement["resources"] == [objects]
        assert statement["condition"] == [{"test": "StringNotEquals", "variable": variable, "values": values}]


def test_s3_backend_takes_bucket_table_and_region_from_settings() -> None:
    s3 = _terraform_block({"state_bucket": "acme-tf", "state_lock_table": "acme-lock", "state_region": "eu-west-1"})[
        "backend"
    ]["s3"]
    assert (s3["bucket"], s3["dynamodb_table"], s3["region"]) == ("acme-tf", "acme-lock", "eu-west-1")


def test_terraform_cloud_backend() -> None:
    remote = _terraform_block({"state_backend": "remote", "tfc_organization": "acme", "tfc_workspace_prefix": "dr"})[
        "backend"
    ]["remote"]
    assert remote["organization"] == "acme"
    assert remote["workspaces"] == {"name": "dr-backend"}


def test_local_backend_for_offline_work() -> None:
    assert "local" in _terraform_block({"state_backend": "local"})["backend"]


@pytest.mark.parametrize("bucket", ["state_bucket", "state_replica_bucket"])
def test_bootstrap_state_buckets_are_versioned_encrypted_private_and_tls_only(
    bootstrap: Synthesized, bucket: str
) -> None:
    assert bootstrap.only("aws_s3_bucket_versioning", f"{bucket}_")["versioning_configuration"]["status"] == "Enabled"
    rule = bootstrap.only("aws_s3_bucket_server_side_encryption_configuration", f"{bucket}_")["rule"][0]
    assert rule["apply_server_side_encryption_by_default"]["sse_algorithm"] == "aws:kms"
    block = bootstrap.only("aws_s3_bucket_public_access_block", f"{bucket}_")
    assert all(
        block[k] is True
        for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )
    *_, deny = bootstrap.statements(bootstrap.only("aws_s3_bucket_policy", f"{bucket}_")["policy"])
    assert (deny["effect"], deny["actions"]) == ("Deny", ["s3:*"])
    assert deny["condition"] == [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}]
    lifecycle = bootstrap.only("aws_s3_bucket_lifecycle_configuration", f"{bucket}_")["rule"][0]
    assert lifecycle["noncurrent_version_expiration"][0]["noncurrent_days"] == 90


def test_state_replica_lives_in_the_other_region(bootstrap: Synthesized) -> None:
    providers = {p["alias"]: p["region"] for p in bootstrap.data["provider"]["aws"]}
    assert providers == {"primary": "us-east-1", "secondary": "us-west-2"}
    assert bootstrap.only("aws_s3_bucket", "state_replica_bucket")["provider"] == "aws.secondary"
    assert bootstrap.only("aws_s3_bucket", "state_replica_bucket")["bucket"] == "drapp-prod-tfstate-replica"


def test_state_is_replicated_with_the_replica_regions_key(bootstrap: Synthesized) -> None:
    rule = bootstrap.only("aws_s3_bucket_replication_configuration")["rule"][0]
    assert rule["status"] == "Enabled"
    assert rule["delete_marker_replication"]["status"] == "Enabled"
    assert rule["source_selection_criteria"]["sse_kms_encrypted_objects"]["status"] == "Enabled"
    assert "aws_s3_bucket.state_replica_bucket" in rule["destination"]["bucket"]
    assert "aws_kms_key.secondary_state_key" in rule["destination"]["encryption_configuration"]["replica_kms_key_id"]


def test_bootstrap_lock_table_is_an_encrypted_global_table(bootstrap: Synthesized) -> None:
    table = bootstrap.only("aws_dynamodb_table")
    assert table["hash_key"] == "LockID"
    assert table["server_side_encryption"]["enabled"] is True
    assert table["point_in_time_recovery"]["enabled"] is True
    replica = table["replica"][0]
    assert replica["region_name"] == "us-west-2" and "secondary_state_key" in replica["kms_key_arn"]


def test_state_replica_region_follows_the_state_region() -> None:
    from dr_stack.config.settings import load_settings

    assert load_settings({"state_region": "us-west-2"}, environ={}).state_replica_region == "us-east-1"
    assert load_settings(environ={}).state_replica_region == "us-west-2"


def test_bootstrap_keeps_local_state(bootstrap: Synthesized) -> None:
    assert "local" in bootstrap.data["terraform"]["backend"]


def test_state_locations_are_unique_per_stack(prod: Synthesized, bootstrap: Synthesized) -> None:
    assert prod.data["terraform"]["backend"]["s3"]["key"] == "dr-stack/prod/dr.tfstate"
    assert bootstrap.data["terraform"]["backend"]["local"]["path"] == "../../../state/terraform.bootstrap.tfstate"


def test_hcp_terraform_cloud_block_has_one_named_workspace_per_stack() -> None:
    """The `cloud` block (Terraform >= 1.1; HashiCorp recommends it over the `remote` backend): organization,
    hostname and `workspaces { name, project }`, https://developer.hashicorp.com/terraform/cli/cloud/settings."""
    block = _terraform_block(
        {"state_backend": "cloud", "tfc_organization": "acme", "tfc_workspace_prefix": "dr", "tfc_project": "dr-prod"}
    )
    assert "backend" not in block
    assert block["cloud"] == {
        "organization": "acme",
        "hostname": "app.terraform.io",
        "workspaces": {"name": "dr-backend", "project": "dr-prod"},
    }


def test_hcp_terraform_workspace_is_the_stack_name_without_a_prefix() -> None:
    from dr_stack.app import build_app
    from dr_stack.config.settings import load_settings

    settings = load_settings({"state_backend": "cloud", "tfc_organization": "acme"}, environ={})
    app = build_app(settings)
    dr_stack = next(child for child in app.node.children if child.node.id == "drapp-dev-dr")
    assert isinstance(dr_stack, TerraformStack)
    cloud = Synthesized(Testing.synth(dr_stack)).data["terraform"]["cloud"]
    assert cloud["workspaces"] == {"name": "drapp-dev-dr"}
