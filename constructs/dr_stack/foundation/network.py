"""One region's network: VPC, public/private/database subnets over the AZs, NAT, flow logs, gateway endpoints."""

from __future__ import annotations

import ipaddress

from cdktf import Fn
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.data_aws_availability_zones import DataAwsAvailabilityZones
from cdktf_cdktf_provider_aws.default_security_group import DefaultSecurityGroup
from cdktf_cdktf_provider_aws.eip import Eip
from cdktf_cdktf_provider_aws.flow_log import FlowLog
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.internet_gateway import InternetGateway
from cdktf_cdktf_provider_aws.nat_gateway import NatGateway
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc
from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint

from constructs import Construct
from dr_stack.control_plane.iam import allow, attach_inline_policy, trust_policy
from dr_stack.foundation.keys import RegionalKey
from dr_stack.naming.names import RegionNames

SUBNET_TIERS = ("public", "private", "database")


def subnet_cidrs(vpc_cidr: str, az_count: int) -> dict[str, list[str]]:
    """Split the VPC into 16 equal blocks: public 0.., private 4.., database 8.. (12-15 left for growth)."""
    network = ipaddress.IPv4Network(vpc_cidr)
    blocks = list(network.subnets(new_prefix=network.prefixlen + 4))
    return {tier: [str(blocks[4 * index + az]) for az in range(az_count)] for index, tier in enumerate(SUBNET_TIERS)}


class Network(Construct):
    """VPC with three subnet tiers over `availability_zone_count` AZs, one construct per region."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        provider: AwsProvider,
        region: str,
        names: RegionNames,
        cidr: str,
        key: RegionalKey,
        availability_zone_count: int,
        nat_gateway_per_az: bool,
        flow_log_retention_days: int,
    ) -> None:
        """A VPC called ``names.regional`` (the prefix of every child's Name tag) with ``cidr`` in ``region`` (the
        region of ``provider``, for the gateway endpoints' service names); flow logs, named from ``names``, are
        encrypted with ``key``.
        ``nat_gateway_per_az`` False: one NAT gateway for the region (cheaper; one AZ's loss cuts private egress),
        True: one per AZ. ``flow_log_retention_days``: how long CloudWatch Logs keeps the flow logs."""
        super().__init__(scope, id_)
        name = names.regional
        az_count = availability_zone_count
        zones = DataAwsAvailabilityZones(self, "zones", provider=provider, state="available")
        self.availability_zones = [Fn.element(zones.names, index) for index in range(az_count)]

        self.vpc = Vpc(
            self,
            "vpc",
            provider=provider,
            cidr_block=cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": name},
        )
        # The default security group allows all traffic between its members: strip it.
        DefaultSecurityGroup(
            self,
            "default_security_group",
            provider=provider,
            vpc_id=self.vpc.id,
            tags={"Name": f"{name}-default-closed"},
        )
        gateway = InternetGateway(self, "internet_gateway", provider=provider, vpc_id=self.vpc.id, tags={"Name": name})

        cidrs = subnet_cidrs(cidr, az_count)
        self.subnets: dict[str, list[Subnet]] = {
            tier: [
                Subnet(
                    self,
                    f"{tier}_subnet_{az}",
                    provider=provider,
                    vpc_id=self.vpc.id,
                    cidr_block=block,
                    availability_zone=self.availability_zones[az],
                    map_public_ip_on_launch=False,
                    tags={"Name": f"{name}-{tier}-{az}", "tier": tier},
                )
                for az, block in enumerate(cidrs[tier])
            ]
            for tier in SUBNET_TIERS
        }

        public_routes = RouteTable(
            self, "public_route_table", provider=provider, vpc_id=self.vpc.id, tags={"Name": f"{name}-public"}
        )
        Route(
            self,
            "public_default_route",
            provider=provider,
            route_table_id=public_routes.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=gateway.id,
        )
        for az, subnet in enumerate(self.subnets["public"]):
            RouteTableAssociation(
                self,
                f"public_route_association_{az}",
                provider=provider,
                subnet_id=subnet.id,
                route_table_id=public_routes.id,
            )

        nat_count = az_count if nat_gateway_per_az else 1
        nat_gateways = []
        for az in range(nat_count):
            address = Eip(self, f"nat_eip_{az}", provider=provider, domain="vpc", tags={"Name": f"{name}-nat-{az}"})
            nat_gateways.append(
                NatGateway(
                    self,
                    f"nat_gateway_{az}",
                    provider=provider,
                    allocation_id=address.id,
                    subnet_id=self.subnets["public"][az].id,
                    tags={"Name": f"{name}-nat-{az}"},
                    depends_on=[gateway],
                )
            )

        private_tables = []
        for az, subnet in enumerate(self.subnets["private"]):
            table = RouteTable(
                self,
                f"private_route_table_{az}",
                provider=provider,
                vpc_id=self.vpc.id,
                tags={"Name": f"{name}-private-{az}"},
            )
            Route(
                self,
                f"private_default_route_{az}",
                provider=provider,
                route_table_id=table.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=nat_gateways[az % nat_count].id,
            )
            RouteTableAssociation(
                self, f"private_route_association_{az}", provider=provider, subnet_id=subnet.id, route_table_id=table.id
            )
            private_tables.append(table)

        # Database subnets have no route to the internet at all.
        database_table = RouteTable(
            self, "database_route_table", provider=provider, vpc_id=self.vpc.id, tags={"Name": f"{name}-database"}
        )
        for az, subnet in enumerate(self.subnets["database"]):
            RouteTableAssociation(
                self,
                f"database_route_association_{az}",
                provider=provider,
                subnet_id=subnet.id,
                route_table_id=database_table.id,
            )

        route_table_ids = [table.id for table in private_tables] + [database_table.id]
        for service in ("s3", "dynamodb"):
            VpcEndpoint(
                self,
                f"{service}_gateway_endpoint",
                provider=provider,
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{region}.{service}",
                vpc_endpoint_type="Gateway",
                route_table_ids=route_table_ids,
                tags={"Name": f"{name}-{service}"},
            )

        self.flow_log_group = CloudwatchLogGroup(
            self,
            "flow_log_group",
            provider=provider,
            name=names.flow_log_group,
            retention_in_days=flow_log_retention_days,
            kms_key_id=key.key_arn,
        )
        flow_log_role = IamRole(
            self,
            "flow_log_role",
            provider=provider,
            name=names.flow_log_role,
            # The VPC User Guide ("IAM role for publishing flow logs to CloudWatch Logs") recommends both keys
            # against the confused deputy: the flow log's owner, and its ARN (the id is not known before the role).
            assume_role_policy=trust_policy(
                self,
                "flow_log_trust",
                provider=provider,
                service="vpc-flow-logs.amazonaws.com",
                source_account=key.account_id,
                source_arn=f"arn:{key.partition}:ec2:{region}:{key.account_id}:vpc-flow-log/*",
            ),
        )
        attach_inline_policy(
            self,
            "flow_log_policy",
            provider=provider,
            grantee=flow_log_role,
            statements=[
                allow(
                    "WriteFlowLogs",
                    ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    [self.flow_log_group.arn, f"{self.flow_log_group.arn}:*"],
                )
            ],
        )
        FlowLog(
            self,
            "flow_log",
            provider=provider,
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=self.flow_log_group.arn,
            iam_role_arn=flow_log_role.arn,
            max_aggregation_interval=60,
        )

    @property
    def vpc_id(self) -> str:
        """Id of the VPC."""
        return self.vpc.id

    @property
    def vpc_cidr(self) -> str:
        """CIDR block of the VPC."""
        return self.vpc.cidr_block

    def subnet_ids(self, tier: str) -> list[str]:
        """Ids of one tier's subnets: 'public', 'private' or 'database'."""
        return [subnet.id for subnet in self.subnets[tier]]
