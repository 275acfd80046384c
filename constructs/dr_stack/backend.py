"""Terraform state backends: S3 with DynamoDB locking (default), Terraform Cloud, or local."""

from __future__ import annotations

from cdktf import LocalBackend, NamedRemoteWorkspace, RemoteBackend, S3Backend, TerraformStack

from dr_stack.settings import Settings


def configure_backend(stack: TerraformStack, settings: Settings, stack_name: str) -> None:
    """Attach the backend chosen by `state_backend` to a stack; the state key is unique per stack."""
    if settings.state_backend == "s3":
        S3Backend(
            stack,
            bucket=settings.state_bucket_name,
            key=f"{settings.state_key_prefix}/{settings.environment}/{stack_name}.tfstate",
            region=settings.state_region_name,
            encrypt=True,
            dynamodb_table=settings.state_lock_table_name,
        )
        # S3-native locking (Terraform >= 1.10) beside the DynamoDB table; cdktf 0.21 has no property for it.
        stack.add_override("terraform.backend.s3.use_lockfile", True)
    elif settings.state_backend == "remote":
        RemoteBackend(
            stack,
            hostname=settings.tfc_hostname,
            organization=settings.tfc_organization,
            workspaces=NamedRemoteWorkspace(f"{settings.tfc_workspace_prefix}-{stack_name}"),
        )
    else:
        LocalBackend(stack, path=f"terraform.{stack_name}.tfstate")
