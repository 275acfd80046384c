"""Outputs: every operator-facing value, each described; cost and security summaries follow the settings."""

from __future__ import annotations

import json

import pytest
from conftest import Synthesized

REQUIRED = (
    "app_dns_name", "primary_alb_dns_name", "secondary_alb_dns_name", "global_cluster_id",
    "primary_cluster_writer_endpoint", "primary_cluster_reader_endpoint", "secondary_cluster_writer_endpoint",
    "secondary_cluster_reader_endpoint", "db_secret_arn", "app_state_table_name", "primary_alarm_topic_arn",
    "secondary_alarm_topic_arn", "cost_optimization_notes", "security_configuration", "failover_state_table_name",
    "db_name", "db_port", "db_app_username",
)  # fmt: skip


@pytest.mark.parametrize("fixture", ["dev", "prod"])
def test_required_outputs_exist(fixture: str, request: pytest.FixtureRequest) -> None:
    stack: Synthesized = request.getfixturevalue(fixture)
    missing = set(REQUIRED) - set(stack.outputs())
    assert not missing, missing


@pytest.mark.parametrize("fixture", ["dev", "prod"])
def test_outputs_have_descriptions(fixture: str, request: pytest.FixtureRequest) -> None:
    stack: Synthesized = request.getfixturevalue(fixture)
    for name, output in stack.outputs().items():
        assert output.get("description"), name


@pytest.mark.parametrize("fixture", ["dev", "prod"])
def test_outputs_that_carry_credentials_are_sensitive(fixture: str, request: pytest.FixtureRequest) -> None:
    stack: Synthesized = request.getfixturevalue(fixture)
    for name, output in stack.outputs().items():
        text = json.dumps(output["value"])
        if "${ephemeral." in text or "${local." in text or "${var." in text or "password" in name:
            assert output.get("sensitive") is True, name


def test_app_dns_name_is_the_domain_when_set(prod: Synthesized) -> None:
    assert prod.outputs()["app_dns_name"]["value"] == "app.example.com"


def test_app_dns_name_is_the_primary_alb_without_domain(dev: Synthesized) -> None:
    assert "aws_lb.primary_app_tier_load_balancer" in dev.outputs()["app_dns_name"]["value"]
    assert dev.outputs()["app_url"]["value"].startswith("http://")


def test_database_outputs_point_at_each_regions_cluster(dev: Synthesized) -> None:
    outputs = dev.outputs()
    for role in ("primary", "secondary"):
        assert f"aws_rds_cluster.database_{role}" in outputs[f"{role}_cluster_writer_endpoint"]["value"]
        assert outputs[f"{role}_cluster_reader_endpoint"]["value"].endswith(".reader_endpoint}")
    assert "aws_rds_global_cluster" in outputs["global_cluster_id"]["value"]


def test_cost_notes_follow_the_profile(dev: Synthesized, prod: Synthesized) -> None:
    dev_notes = dev.outputs()["cost_optimization_notes"]["value"]
    prod_notes = prod.outputs()["cost_optimization_notes"]["value"]
    assert "1 NAT gateway per region" in dev_notes["network"]
    assert "3 NAT gateways per region" in prod_notes["network"]
    assert "Serverless v2" in dev_notes["database"] and "db.r6g.large" in prod_notes["database"]
    assert "t3.small" in dev_notes["app"] and "m6i.large" in prod_notes["app"]
    assert "min 3 / desired 3 / max 12" in prod_notes["app"]


def test_security_configuration_says_whether_tls_is_on(dev: Synthesized, prod: Synthesized) -> None:
    assert dev.outputs()["security_configuration"]["value"]["tls"].startswith("OFF")
    prod_security = prod.outputs()["security_configuration"]["value"]
    assert "ELBSecurityPolicy-TLS13-1-2-2021-06" in prod_security["tls"]
    assert "IMDSv2" in prod_security["instances"]
    # prod fixture: db_password_source=variable; the text names the variable users actually set.
    assert "TF_VAR_db_master_password" in prod_security["database_password"]
    assert "SSE-KMS with the state key (alias/drapp-prod-state-primary)" in prod_security["terraform_state"]
    assert "refuses an upload with any other encryption" in prod_security["terraform_state"]
    dev_password = dev.outputs()["security_configuration"]["value"]["database_password"]
    assert "aws_secretsmanager_random_password" in dev_password
    for text in (dev_password, prod_security["database_password"]):
        assert "neither the Terraform state nor a plan file" in text
        assert "also in the Terraform state" not in text


def test_notes_are_computed_from_settings_without_synthesis() -> None:
    from dr_stack.config.settings import load_settings
    from dr_stack.observability.outputs import cost_optimization_notes, security_configuration

    settings = load_settings({"nat_gateway_per_az": True, "availability_zone_count": 2}, environ={})
    assert "2 NAT gateways per region (4 in all" in cost_optimization_notes(settings)["network"]
    assert "redirect" in security_configuration(settings, https_enabled=True)["tls"]


def _runbook_snippets() -> list[str]:
    """The runbook's shell blocks (docs/runbook.md)."""
    from pathlib import Path

    runbook = (Path(__file__).resolve().parents[2] / "docs" / "runbook.md").read_text()
    return [block.split("\n", 1)[1] for block in runbook.split("```")[1::2] if block.startswith("sh\n")]


@pytest.mark.parametrize("fixture", ["dev", "prod"])
def test_runbook_reads_function_names_and_regions_from_terraform_output(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    """The incident runbook names the orchestrators through `terraform output`: every output it reads is an output
    of the synthesized stack (a renamed output breaks the runbook here, not during an incident), and no
    invocation names a hard-coded function or region."""
    import re

    stack: Synthesized = request.getfixturevalue(fixture)
    snippets = _runbook_snippets()
    read = {name for snippet in snippets for name in re.findall(r"terraform output -(?:raw|json) (\w+)", snippet)}
    assert {"primary_failover_function_name", "secondary_failover_function_name"} <= read, read
    assert not read - set(stack.outputs()), read - set(stack.outputs())
    invocations = [line for snippet in snippets for line in snippet.splitlines() if "aws lambda invoke" in line]
    assert invocations, "the runbook invokes no orchestrator"
    for line in invocations:
        assert "--function-name $" in line and "--region $" in line, line


def test_failover_state_table_output_is_the_table_the_orchestrators_derive(prod: Synthesized) -> None:
    """The orchestrators are not told their state table's name (they derive it from GLOBAL_CLUSTER_ID: dr_contract),
    so the runbook reads it from this output to break a crashed run's lease."""
    import dr_contract

    outputs = prod.outputs()
    name = outputs["failover_state_table_name"]["value"]
    global_cluster = prod.only("aws_rds_global_cluster")["global_cluster_identifier"]
    assert name == dr_contract.state_table_name_of(global_cluster)
    assert name in {body["name"] for body in prod.resources("aws_dynamodb_table").values()}
    assert name != outputs["app_state_table_name"]["value"]


def test_database_outputs_are_what_the_cluster_and_the_app_roles_use(dev: Synthesized) -> None:
    """The runbook creates the app's IAM database user from db_app_username and db_name: the user the app roles may
    connect as (``rds-db:connect`` on ``dbuser:<cluster resource id>/<user>``, Aurora User Guide, "Creating and using
    an IAM policy for IAM database access") in the database the primary cluster creates, on the clusters' port."""
    outputs = dev.outputs()
    primary = dev.only("aws_rds_cluster", "primary")
    assert outputs["db_name"]["value"] == primary["database_name"]
    assert outputs["db_port"]["value"] == primary["port"]
    connect = [
        resource
        for document in dev.data_sources("aws_iam_policy_document").values()
        for statement in document.get("statement", [])
        if "rds-db:connect" in statement.get("actions", [])
        for resource in statement["resources"]
    ]
    assert len(connect) == 2, connect
    assert all(resource.endswith(f"/{outputs['db_app_username']['value']}") for resource in connect), connect
