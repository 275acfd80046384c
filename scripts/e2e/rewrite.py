"""Post-synth rewrite of a synthesized stack so that it talks to the local emulator, never to AWS.

Only the e2e harness calls this, on a copy of cdktf.out in a scratch folder: the deployable output
(`make synth`, `cdktf deploy`) never has an endpoint, a fake credential or a skip flag in it.

What changes, and why:
- every ``aws`` provider block gets an ``endpoints`` block naming every service the stack's resources
  and data sources use (the emulator answers all of them on one port), path-style S3 (no bucket
  sub-domains on 127.0.0.1), and the skip flags that stop the provider from validating the fake
  credentials and asking IMDS. skip_requesting_account_id stays off: the emulator answers
  sts:GetCallerIdentity with its account, and without an account the provider writes security-group
  references as "<account>/sg-..." (a perpetual diff on every security group rule);
- the state backend is ``local`` (chosen at synth with DR_STATE_BACKEND=local, checked here): the
  S3 backend would need the bootstrap stack's bucket first and adds nothing the e2e run checks;
- resources whose provider waiter has a configurable timeout get a short one, so a resource the
  emulator leaves in a pending state fails the run in seconds instead of the provider's 30-120 min.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# Endpoint keys of hashicorp/aws 5.100.0 (the provider's `endpoints` block) for every service the two
# stacks use. RESOURCE_SERVICES maps resource/data-source type prefixes to these keys; a type that
# maps to none stops the rewrite, so a new service cannot silently go to real AWS.
SERVICES = (
    "acm",
    "autoscaling",
    "backup",
    "cloudwatch",
    "dynamodb",
    "ec2",
    "elbv2",
    "events",
    "iam",
    "kms",
    "lambda",
    "logs",
    "rds",
    "route53",
    "s3",
    "secretsmanager",
    "sns",
    "sqs",
    "ssm",
    "sts",
    "wafv2",
)
RESOURCE_SERVICES = (
    ("aws_acm_", "acm"),
    ("aws_autoscaling_", "autoscaling"),
    ("aws_backup_", "backup"),
    ("aws_cloudwatch_event_", "events"),
    ("aws_cloudwatch_log_", "logs"),
    ("aws_cloudwatch_", "cloudwatch"),
    ("aws_dynamodb_", "dynamodb"),
    ("aws_lb", "elbv2"),
    ("aws_elb_service_account", "elbv2"),
    ("aws_iam_policy_document", "iam"),
    ("aws_iam_", "iam"),
    ("aws_kms_", "kms"),
    ("aws_lambda_", "lambda"),
    ("aws_db_", "rds"),
    ("aws_rds_", "rds"),
    ("aws_route53_", "route53"),
    ("aws_s3_", "s3"),
    ("aws_secretsmanager_", "secretsmanager"),
    ("aws_sns_", "sns"),
    ("aws_sqs_", "sqs"),
    ("aws_ssm_", "ssm"),
    ("aws_caller_identity", "sts"),
    ("aws_partition", "sts"),
    ("aws_availability_zones", "ec2"),
    ("aws_wafv2_", "wafv2"),
    # EC2 and VPC resources have no common prefix.
    ("aws_vpc", "ec2"),
    ("aws_subnet", "ec2"),
    ("aws_route", "ec2"),
    ("aws_internet_gateway", "ec2"),
    ("aws_nat_gateway", "ec2"),
    ("aws_eip", "ec2"),
    ("aws_security_group", "ec2"),
    ("aws_default_security_group", "ec2"),
    ("aws_flow_log", "ec2"),
    ("aws_launch_template", "ec2"),
    ("aws_ec2_", "ec2"),
)

# Fake credentials for the emulator (it accepts any); set in the environment of terraform and boto3.
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "e2e-emulator",
    "AWS_SECRET_ACCESS_KEY": "e2e-emulator",  # noqa: S105 - not a credential: the emulator accepts anything
    "AWS_SESSION_TOKEN": "e2e-emulator",
}

# Short create/update/delete timeouts, only for resource types whose schema has a `timeouts` block and
# whose waiter has to see a state change the emulator makes at once.
SHORT_TIMEOUT = "3m"
TIMEOUT_BLOCKS: dict[str, tuple[str, ...]] = {
    "aws_rds_global_cluster": ("create", "update", "delete"),
    "aws_rds_cluster": ("create", "update", "delete"),
    "aws_rds_cluster_instance": ("create", "update", "delete"),
    "aws_dynamodb_table": ("create", "update", "delete"),
    "aws_nat_gateway": ("create", "update", "delete"),
    "aws_lb": ("create", "update", "delete"),
    "aws_autoscaling_group": ("delete", "update"),
    "aws_route": ("create", "update", "delete"),
    "aws_route_table": ("create", "update", "delete"),
    "aws_subnet": ("create", "delete"),
    "aws_vpc_endpoint": ("create", "update", "delete"),
    "aws_security_group": ("create", "delete"),
    "aws_lambda_function": ("create", "update", "delete"),
    "aws_wafv2_web_acl_association": ("create",),
    "aws_secretsmanager_secret": (),
}


class RewriteError(RuntimeError):
    """The synthesized stack cannot be pointed at the emulator safely."""


def service_of(resource_type: str) -> str:
    """The endpoint key serving a resource or data-source type; RewriteError when none is known."""
    for prefix, service in RESOURCE_SERVICES:
        if resource_type.startswith(prefix):
            return service
    raise RewriteError(f"no emulator endpoint known for {resource_type}: add it to RESOURCE_SERVICES")


def services_used(document: dict[str, Any]) -> set[str]:
    """Endpoint keys of every resource and data source of a synthesized stack."""
    types = list(document.get("resource", {})) + list(document.get("data", {}))
    return {service_of(t) for t in types if t.startswith("aws_")}


def rewrite(document: dict[str, Any], endpoint: str) -> dict[str, Any]:
    """Return the stack pointed at ``endpoint`` (a loopback URL); the input is not modified."""
    if not endpoint.startswith(("http://127.0.0.1:", "http://localhost:")):
        raise RewriteError(f"refusing a non-loopback emulator endpoint {endpoint!r}")
    backend = document.get("terraform", {}).get("backend", {})
    if set(backend) - {"local"}:
        raise RewriteError(f"the e2e run needs the local state backend (DR_STATE_BACKEND=local), got {sorted(backend)}")
    out = json.loads(json.dumps(document))
    missing = services_used(out) - set(SERVICES)
    if missing:
        raise RewriteError(f"services without an emulator endpoint: {sorted(missing)}")
    providers = out.get("provider", {}).get("aws", [])
    if not providers:
        raise RewriteError("stack has no aws provider block")
    for provider in providers:
        provider["endpoints"] = [{service: endpoint for service in SERVICES}]
        provider["s3_use_path_style"] = True
        provider["skip_credentials_validation"] = True
        provider["skip_metadata_api_check"] = "true"
        provider["skip_region_validation"] = True
        provider["max_retries"] = 2
    for resource_type, operations in TIMEOUT_BLOCKS.items():
        for resource in out.get("resource", {}).get(resource_type, {}).values():
            if operations:
                resource["timeouts"] = {operation: SHORT_TIMEOUT for operation in operations}
    return out


def rewrite_stack_dir(stack_dir: Path, endpoint: str) -> None:
    """Rewrite ``stack_dir/cdk.tf.json`` in place (a scratch copy, never cdktf.out of the work tree)."""
    path = stack_dir / "cdk.tf.json"
    path.write_text(json.dumps(rewrite(json.loads(path.read_text()), endpoint), indent=2))
