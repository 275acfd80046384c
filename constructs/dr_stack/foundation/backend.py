"""Terraform state backends: S3 with DynamoDB locking (default), HCP Terraform (`cloud`), Terraform Enterprise's
older `remote` backend, or local state."""

from __future__ import annotations

from typing import Literal

from cdktf import (
    CloudBackend,
    LocalBackend,
    NamedCloudWorkspace,
    NamedRemoteWorkspace,
    RemoteBackend,
    S3Backend,
    TerraformStack,
)

from dr_stack.config.settings import Settings
from dr_stack.naming import names

StateKeyRole = Literal["primary", "secondary"]


def backend_state_key_alias(settings: Settings) -> str:
    """The ``alias/...`` of the key the S3 backend encrypts state with: the replica's key when the backend is
    pointed at the replica bucket (``state_bucket`` ending in ``-replica``; docs/deploy.md, the state region's
    outage)."""
    replica = settings.state_bucket_name.endswith(names.state_replica_bucket_name(""))
    return settings.state_names.key_alias("secondary" if replica else "primary")


# Local state lives beside the output directory, never inside it: cdktf rewrites <outdir> (`make synth` starts
# with `rm -rf cdktf.out`) and deletes the folder of every stack it no longer synthesizes, so a state file in
# <outdir>/stacks/<stack>/ is lost by a synth of another environment. Terraform resolves the path from the stack's
# folder (<outdir>/stacks/<stack>), so three levels up is the folder that holds <outdir>: the project root for
# `make synth`, a scratch folder for the emulator run.
LOCAL_STATE_DIR = "state"


def local_state_path(stack_name: str) -> str:
    """The local backend's path for a stack, relative to its synthesized folder: <outdir>/../state/<file>."""
    return f"../../../{LOCAL_STATE_DIR}/terraform.{stack_name}.tfstate"


def configure_backend(stack: TerraformStack, settings: Settings, stack_name: str) -> None:
    """Attach the backend chosen by `state_backend` to a stack; state is separate per stack (own key or workspace)."""
    if settings.state_backend == "s3":
        S3Backend(
            stack,
            bucket=settings.state_bucket_name,
            key=f"{settings.state_key_prefix}/{settings.environment}/{stack_name}.tfstate",
            region=settings.state_region_name,
            encrypt=True,
            # Without kms_key_id the backend sends an explicit SSE-S3 header on every upload (state and .tflock),
            # which wins over the bucket's KMS default; the state bucket's policy refuses such uploads. An alias
            # name: the backend accepts one (no account id is known at synth) and S3 resolves it in the bucket's
            # region.
            kms_key_id=backend_state_key_alias(settings),
            dynamodb_table=settings.state_lock_table_name,
        )
        # S3-native locking (Terraform >= 1.10) beside the DynamoDB table; cdktf 0.21 has no property for it.
        stack.add_override("terraform.backend.s3.use_lockfile", True)
    elif settings.state_backend == "cloud":
        # The `cloud` block (Terraform >= 1.1), which HashiCorp recommends over the `remote` backend: one named
        # workspace per stack, so each stack has its own state, runs and variables. No token here: Terraform
        # reads it from `terraform login` or TF_TOKEN_<host> (docs/deploy.md, "HCP Terraform").
        CloudBackend(
            stack,
            hostname=settings.tfc_hostname,
            organization=settings.tfc_organization,
            workspaces=NamedCloudWorkspace(
                names.workspace_name(settings.tfc_workspace_prefix, stack_name), settings.tfc_project or None
            ),
        )
    elif settings.state_backend == "remote":
        RemoteBackend(
            stack,
            hostname=settings.tfc_hostname,
            organization=settings.tfc_organization,
            workspaces=NamedRemoteWorkspace(names.workspace_name(settings.tfc_workspace_prefix, stack_name)),
        )
    else:
        LocalBackend(stack, path=local_state_path(stack_name))
