"""The two aliased AWS providers (no default AWS provider) and the random provider, made once per stack."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags

from constructs import Construct
from dr_stack.settings import Settings

ROLES = ("primary", "secondary")
# Route53 health-check metrics exist only in us-east-1.
ROUTE53_METRICS_REGION = "us-east-1"


@dataclass(frozen=True)
class RegionalProviders:
    """The pair handed to cross-region constructs; regional constructs get one of them.

    ``us_east_1`` is where Route53 publishes health-check metrics (and where their alarms must live): the
    primary or secondary provider when one of them is in us-east-1, else a third provider aliased us_east_1.
    """

    primary: AwsProvider
    secondary: AwsProvider
    us_east_1: AwsProvider

    def for_role(self, role: str) -> AwsProvider:
        """The provider of a DR role, 'primary' or 'secondary'."""
        return self.primary if role == "primary" else self.secondary


def default_tags(settings: Settings, role: str) -> dict[str, str]:
    """Tags every resource of a region carries."""
    return {
        "project": settings.project_name,
        "environment": settings.environment,
        "managed-by": "cdktf",
        "dr-role": role,
    }


def make_aws_providers(scope: Construct, settings: Settings) -> RegionalProviders:
    """Create the `primary` and `secondary` aliased AWS providers with default tags."""
    made = {
        role: AwsProvider(
            scope,
            f"aws_{role}",
            alias=role,
            region=settings.region_of(role),
            default_tags=[AwsProviderDefaultTags(tags=default_tags(settings, role))],
        )
        for role in ROLES
    }
    by_region = {settings.region_of(role): made[role] for role in ROLES}
    us_east_1 = by_region.get(ROUTE53_METRICS_REGION) or AwsProvider(
        scope,
        "aws_us_east_1",
        alias="us_east_1",
        region=ROUTE53_METRICS_REGION,
        default_tags=[AwsProviderDefaultTags(tags=default_tags(settings, "route53-metrics"))],
    )
    return RegionalProviders(primary=made["primary"], secondary=made["secondary"], us_east_1=us_east_1)
