"""The DR role type and the aliased AWS providers (no default AWS provider), made once per stack."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypeGuard, get_args

from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags

from constructs import Construct

# The DR role of a region: a closed set. IAM roles are called grantees, never "role", in this package.
DrRole = Literal["primary", "secondary"]
ROLES: tuple[DrRole, ...] = get_args(DrRole)
# The region Route53 lives in: Route53 publishes its health-check metrics (AWS/Route53 HealthCheckStatus) in
# us-east-1 only, and its API (GetHealthCheckStatus among the calls) is served from us-east-1 (Route53 Developer
# Guide, "Monitoring health check status and getting notifications"; "Amazon Route 53 endpoints and quotas").
ROUTE53_REGION = "us-east-1"


def is_dr_role(value: object) -> TypeGuard[DrRole]:
    """True for 'primary' and 'secondary', the only DR roles."""
    return value in ROLES


def dr_role(value: object) -> DrRole:
    """`value` as a DR role; anything but 'primary' or 'secondary' is an error, never a silent default."""
    if not is_dr_role(value):
        raise ValueError(f"DR role must be one of {', '.join(ROLES)}, got {value!r}")
    return value


def peer_of(role: DrRole) -> DrRole:
    """The other region's DR role."""
    return "secondary" if dr_role(role) == "primary" else "primary"


@dataclass(frozen=True)
class RegionalProviders:
    """The pair handed to cross-region constructs (providers and their regions); regional ones get one provider.

    ``us_east_1`` is where Route53 publishes health-check metrics (and where their alarms must live): the
    primary or secondary provider when one of them is in us-east-1, else a third provider aliased us_east_1.
    """

    primary: AwsProvider
    secondary: AwsProvider
    us_east_1: AwsProvider
    primary_region: str
    secondary_region: str

    def for_role(self, role: DrRole) -> AwsProvider:
        """The provider of a DR role; an unknown role is an error."""
        return self.primary if dr_role(role) == "primary" else self.secondary

    def region_of(self, role: DrRole) -> str:
        """The region of a DR role; an unknown role is an error."""
        return self.primary_region if dr_role(role) == "primary" else self.secondary_region

    @property
    def regions(self) -> Mapping[DrRole, str]:
        """Region of each DR role."""
        return {"primary": self.primary_region, "secondary": self.secondary_region}


def default_tags(*, project: str, environment: str, role: str) -> dict[str, str]:
    """Tags every resource of a region carries; ``role`` is the region's DR role or another purpose."""
    return {"project": project, "environment": environment, "managed-by": "cdktf", "dr-role": role}


def account_guard(allowed_account_ids: Sequence[str]) -> list[str] | None:
    """The AWS provider's ``allowed_account_ids``: Terraform stops before any change when the credentials
    belong to another account. None (no guard, nothing in the JSON) when the list is empty."""
    return list(allowed_account_ids) or None


def make_aws_providers(
    scope: Construct,
    *,
    regions: Mapping[DrRole, str],
    project: str,
    environment: str,
    allowed_account_ids: Sequence[str] = (),
) -> RegionalProviders:
    """Create the `primary` and `secondary` aliased AWS providers with default tags (and us_east_1 if needed).

    ``allowed_account_ids``: every provider made refuses other accounts; empty: any account."""
    made = {
        role: AwsProvider(
            scope,
            f"aws_{role}",
            alias=role,
            region=regions[role],
            allowed_account_ids=account_guard(allowed_account_ids),
            default_tags=[
                AwsProviderDefaultTags(tags=default_tags(project=project, environment=environment, role=role))
            ],
        )
        for role in ROLES
    }
    by_region = {regions[role]: made[role] for role in ROLES}
    us_east_1 = by_region.get(ROUTE53_REGION) or AwsProvider(
        scope,
        "aws_us_east_1",
        alias="us_east_1",
        region=ROUTE53_REGION,
        allowed_account_ids=account_guard(allowed_account_ids),
        default_tags=[
            AwsProviderDefaultTags(tags=default_tags(project=project, environment=environment, role="route53-metrics"))
        ],
    )
    return RegionalProviders(
        primary=made["primary"],
        secondary=made["secondary"],
        us_east_1=us_east_1,
        primary_region=regions["primary"],
        secondary_region=regions["secondary"],
    )
