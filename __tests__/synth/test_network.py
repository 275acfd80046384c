"""Network: three subnet tiers per region, NAT per profile, flow logs, gateway endpoints."""

from __future__ import annotations

import pytest
from cdktf import Testing
from cdktf_cdktf_provider_aws.flow_log import FlowLog
from cdktf_cdktf_provider_aws.vpc import Vpc
from conftest import Synthesized
from dr_stack.foundation.network import subnet_cidrs


def test_subnet_cidrs_split_the_vpc_without_overlap() -> None:
    cidrs = subnet_cidrs("10.10.0.0/16", 3)
    assert cidrs["public"] == ["10.10.0.0/20", "10.10.16.0/20", "10.10.32.0/20"]
    assert cidrs["database"][0] == "10.10.128.0/20"
    flat = [block for tier in cidrs.values() for block in tier]
    assert len(set(flat)) == 9


def test_one_vpc_per_region_with_its_own_cidr(dev: Synthesized) -> None:
    vpcs = {body["provider"]: body["cidr_block"] for body in dev.resources("aws_vpc").values()}
    assert vpcs == {"aws.primary": "10.10.0.0/16", "aws.secondary": "10.20.0.0/16"}
    assert Testing.to_have_resource_with_properties(dev.text, Vpc.TF_RESOURCE_TYPE, {"enable_dns_hostnames": True})


def test_three_tiers_over_three_azs_in_each_region(dev: Synthesized) -> None:
    subnets = dev.resources("aws_subnet").values()
    for provider in ("aws.primary", "aws.secondary"):
        tiers = [s["tags"]["tier"] for s in subnets if s["provider"] == provider]
        assert sorted(tiers) == ["database"] * 3 + ["private"] * 3 + ["public"] * 3
    assert all(s["map_public_ip_on_launch"] is False for s in subnets)


def test_dev_shares_one_nat_gateway_per_region(dev: Synthesized) -> None:
    assert len(dev.resources("aws_nat_gateway")) == 2


def test_prod_has_a_nat_gateway_per_az(prod: Synthesized) -> None:
    assert len(prod.resources("aws_nat_gateway")) == 6


def test_database_subnets_have_no_internet_route(dev: Synthesized) -> None:
    routes = dev.resources("aws_route")
    assert not [key for key in routes if "database" in key]
    database_tables = [key for key in dev.resources("aws_route_table") if "database" in key]
    assert len(database_tables) == 2


def test_flow_logs_capture_all_traffic_to_encrypted_log_groups(dev: Synthesized) -> None:
    assert Testing.to_have_resource_with_properties(dev.text, FlowLog.TF_RESOURCE_TYPE, {"traffic_type": "ALL"})
    groups = [g for key, g in dev.resources("aws_cloudwatch_log_group").items() if "flow_log" in key]
    assert len(groups) == 2
    assert all(g["kms_key_id"].startswith("${aws_kms_key.") for g in groups)


@pytest.mark.parametrize("role", ["primary", "secondary"])
def test_flow_log_role_trusts_only_this_accounts_flow_logs_of_its_region(dev: Synthesized, role: str) -> None:
    """VPC User Guide, "IAM role for publishing flow logs to CloudWatch Logs": use aws:SourceAccount (the flow log's
    owner) and aws:SourceArn (the flow log's ARN, its id a wildcard when the role comes first) in the trust policy
    against the confused deputy. Another account's flow log naming this role then cannot have it assumed."""
    role_body = dev.only("aws_iam_role", f"{role}_network_flow_log_role")
    trust_id = role_body["assume_role_policy"].split(".")[2]
    trust = dev.data_sources("aws_iam_policy_document")[trust_id]
    (statement,) = trust["statement"]
    assert statement["principals"] == [{"identifiers": ["vpc-flow-logs.amazonaws.com"], "type": "Service"}]
    conditions = {c["variable"]: c for c in statement["condition"]}
    assert conditions["aws:SourceAccount"]["test"] == "StringEquals"
    assert conditions["aws:SourceAccount"]["values"][0].startswith("${data.aws_caller_identity.")
    source = conditions["aws:SourceArn"]
    assert source["test"] == "ArnLike"
    (pattern,) = source["values"]
    region = {"primary": "us-east-1", "secondary": "us-west-2"}[role]
    assert f":ec2:{region}:${{data.aws_caller_identity." in pattern and pattern.endswith(":vpc-flow-log/*")


def test_s3_and_dynamodb_gateway_endpoints_in_each_region(dev: Synthesized) -> None:
    endpoints = sorted(e["service_name"] for e in dev.resources("aws_vpc_endpoint").values())
    assert endpoints == [
        "com.amazonaws.us-east-1.dynamodb",
        "com.amazonaws.us-east-1.s3",
        "com.amazonaws.us-west-2.dynamodb",
        "com.amazonaws.us-west-2.s3",
    ]


def test_default_security_group_is_closed(dev: Synthesized) -> None:
    for group in dev.resources("aws_default_security_group").values():
        assert not group.get("ingress") and not group.get("egress")


# ----- unit: one Network in an empty stack -----


def _network(*, nat_gateway_per_az: bool) -> Synthesized:
    from construct_support import empty_stack, provider_pair, regional_keys, synth
    from dr_stack.foundation.network import Network
    from dr_stack.naming.names import RegionNames

    stack = empty_stack("network")
    providers = provider_pair(stack, {"primary": "eu-west-1", "secondary": "eu-central-1"})
    keys = regional_keys(stack, providers)
    Network(
        stack,
        "net",
        provider=providers.primary,
        region="eu-west-1",
        names=RegionNames("unit", "primary"),
        cidr="10.30.0.0/16",
        key=keys["primary"],
        availability_zone_count=2,
        nat_gateway_per_az=nat_gateway_per_az,
        flow_log_retention_days=14,
    )
    return synth(stack)


def test_unit_network_has_two_azs_of_each_tier_in_its_cidr() -> None:
    synth = _network(nat_gateway_per_az=False)
    assert Testing.to_have_resource_with_properties(synth.text, Vpc.TF_RESOURCE_TYPE, {"cidr_block": "10.30.0.0/16"})
    blocks = sorted(subnet["cidr_block"] for subnet in synth.resources("aws_subnet").values())
    assert blocks == [
        "10.30.0.0/20",
        "10.30.128.0/20",
        "10.30.144.0/20",
        "10.30.16.0/20",
        "10.30.64.0/20",
        "10.30.80.0/20",
    ]
    assert len(synth.resources("aws_nat_gateway")) == 1


def test_unit_network_nat_per_az_when_asked() -> None:
    assert len(_network(nat_gateway_per_az=True).resources("aws_nat_gateway")) == 2


def test_unit_network_endpoints_and_flow_logs_use_the_given_region_and_retention() -> None:
    synth = _network(nat_gateway_per_az=False)
    services = sorted(endpoint["service_name"] for endpoint in synth.resources("aws_vpc_endpoint").values())
    assert services == ["com.amazonaws.eu-west-1.dynamodb", "com.amazonaws.eu-west-1.s3"]
    log_group = synth.only("aws_cloudwatch_log_group", "flow_log_group")
    assert (log_group["retention_in_days"], log_group["kms_key_id"]) == (14, synth.key_arn("primary"))
    assert Testing.to_have_resource_with_properties(synth.text, FlowLog.TF_RESOURCE_TYPE, {"traffic_type": "ALL"})
