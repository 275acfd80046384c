"""Building blocks for construct unit tests: an empty stack, the provider pair, keys and a grantee."""

from __future__ import annotations

import json

from cdktf import TerraformStack, Testing
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.provider import AwsProvider
from conftest import Synthesized
from dr_stack.keys import RegionalKey
from dr_stack.providers import ROLES, DrRole, RegionalProviders, make_aws_providers

REGIONS: dict[DrRole, str] = {"primary": "us-east-1", "secondary": "us-west-2"}


def empty_stack(name: str = "stack") -> TerraformStack:
    """An empty stack in a fresh testing app (as the cdktf Python template's main-test.py does)."""
    return TerraformStack(Testing.app(), name)


def provider_pair(stack: TerraformStack, regions: dict[DrRole, str] | None = None) -> RegionalProviders:
    """The aliased primary/secondary providers in ``regions`` (us-east-1 and us-west-2 by default)."""
    return make_aws_providers(stack, regions=regions or REGIONS, project="unit", environment="test")


def regional_keys(stack: TerraformStack, providers: RegionalProviders) -> dict[DrRole, RegionalKey]:
    """One KMS key per DR role, ids ``<role>_key``."""
    return {
        role: RegionalKey(
            stack,
            f"{role}_key",
            provider=providers.for_role(role),
            region=providers.region_of(role),
            alias=f"unit-{role}",
            description=f"unit {role}",
        )
        for role in ROLES
    }


def grantee(stack: TerraformStack, id_: str, *, provider: AwsProvider, service: str) -> IamRole:
    """An IAM role a service can assume, to receive grants."""
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": service}}],
    }
    return IamRole(stack, id_, provider=provider, name=id_.replace("_", "-"), assume_role_policy=json.dumps(trust))


def synth(stack: TerraformStack) -> Synthesized:
    """The stack's JSON, parsed."""
    return Synthesized(Testing.synth(stack))
