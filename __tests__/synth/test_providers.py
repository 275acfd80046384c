"""Providers: two aliased AWS providers, no default; every AWS resource and data source names one."""

from __future__ import annotations

import pytest
from conftest import Synthesized, new_testing_app

ALIASES = {"aws.primary", "aws.secondary", "aws.us_east_1"}


def test_two_aliased_aws_providers_and_no_default(dev: Synthesized) -> None:
    providers = dev.data["provider"]["aws"]
    assert sorted(p["alias"] for p in providers) == ["primary", "secondary"]
    assert {p["region"] for p in providers} == {"us-east-1", "us-west-2"}


def test_default_tags_name_project_environment_and_role(dev: Synthesized) -> None:
    for provider in dev.data["provider"]["aws"]:
        tags = provider["default_tags"][0]["tags"]
        assert tags == {"project": "drapp", "environment": "dev", "managed-by": "cdktf", "dr-role": provider["alias"]}


@pytest.mark.parametrize("fixture", ["dev", "prod", "bootstrap"])
def test_every_aws_resource_and_data_source_names_an_alias(fixture: str, request: pytest.FixtureRequest) -> None:
    stack: Synthesized = request.getfixturevalue(fixture)
    unnamed = []
    for block in ("resource", "data"):
        for resource_type, items in stack.data.get(block, {}).items():
            if not resource_type.startswith("aws_"):
                continue
            for logical_id, body in items.items():
                if body.get("provider") not in ALIASES:
                    unnamed.append(f"{block}.{resource_type}.{logical_id}")
    assert not unnamed, unnamed


def test_required_versions_are_pinned(dev: Synthesized) -> None:
    terraform = dev.data["terraform"]
    assert terraform["required_version"] == ">= 1.11.0"
    assert terraform["required_providers"]["aws"]["version"] == "5.100.0"
    # The master password is an ephemeral resource of hashicorp/aws: no other provider is needed.
    assert set(terraform["required_providers"]) == {"aws"}


def test_route53_metrics_provider_added_when_neither_region_is_us_east_1() -> None:
    from cdktf import Testing
    from dr_stack.config.settings import load_settings
    from dr_stack.stacks import DrStack

    settings = load_settings({"primary_region": "eu-west-1", "secondary_region": "eu-central-1"}, environ={})
    stack = Synthesized(Testing.synth(DrStack(new_testing_app(), "eu", settings=settings)))
    providers = {p["alias"]: p["region"] for p in stack.data["provider"]["aws"]}
    assert providers == {"primary": "eu-west-1", "secondary": "eu-central-1", "us_east_1": "us-east-1"}
