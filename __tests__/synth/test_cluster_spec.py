"""One cluster and instance spec: re-protect's CreateDBCluster/CreateDBInstance parameters equal what the stack's
``aws_rds_cluster`` and ``aws_rds_cluster_instance`` resources make Terraform send, for both profiles and regions.

After a re-protect the next ``terraform plan`` must find the resources it expects: an argument the construct sets
and re-protect does not pass shows as a change (``availability_zone`` of an instance forces its replacement).
Each parameter dict is also validated against botocore's RDS service model, so a misspelt key fails here.
"""

from __future__ import annotations

import json
import re
from typing import Any

import botocore.session
import dr_contract as contract
import pytest
from botocore.exceptions import ParamValidationError
from botocore.validate import validate_parameters
from conftest import Synthesized
from dr_cluster_spec import ClusterSpec, ClusterSpecError
from dr_failover.actions.reprotect import Assessment, ReprotectSpec, create_cluster_params, create_instance_params

RDS_MODEL = botocore.session.get_session().get_service_model("rds")

# Each Terraform argument of aws_rds_cluster and the CreateDBCluster parameter the AWS provider sends it as
# (hashicorp/aws resource_rds_cluster: the CreateDBClusterInput it builds; RDS API reference, CreateDBCluster).
CLUSTER_PARAMETERS = {
    "cluster_identifier": "DBClusterIdentifier",
    "global_cluster_identifier": "GlobalClusterIdentifier",
    "engine": "Engine",
    "engine_version": "EngineVersion",
    "port": "Port",
    "db_subnet_group_name": "DBSubnetGroupName",
    "vpc_security_group_ids": "VpcSecurityGroupIds",
    "db_cluster_parameter_group_name": "DBClusterParameterGroupName",
    "storage_encrypted": "StorageEncrypted",
    "kms_key_id": "KmsKeyId",
    "backup_retention_period": "BackupRetentionPeriod",
    "preferred_backup_window": "PreferredBackupWindow",
    "preferred_maintenance_window": "PreferredMaintenanceWindow",
    "copy_tags_to_snapshot": "CopyTagsToSnapshot",
    "deletion_protection": "DeletionProtection",
    "enabled_cloudwatch_logs_exports": "EnableCloudwatchLogsExports",
    "iam_database_authentication_enabled": "EnableIAMDatabaseAuthentication",
    "serverlessv2_scaling_configuration": "ServerlessV2ScalingConfiguration",
    "enable_global_write_forwarding": "EnableGlobalWriteForwarding",
}
# aws_rds_cluster_instance arguments and their CreateDBInstance parameters (RDS API reference, CreateDBInstance).
INSTANCE_PARAMETERS = {
    "identifier": "DBInstanceIdentifier",
    "cluster_identifier": "DBClusterIdentifier",
    "engine": "Engine",
    "instance_class": "DBInstanceClass",
    "availability_zone": "AvailabilityZone",
    "promotion_tier": "PromotionTier",
    "db_subnet_group_name": "DBSubnetGroupName",
    "db_parameter_group_name": "DBParameterGroupName",
    "publicly_accessible": "PubliclyAccessible",
    "auto_minor_version_upgrade": "AutoMinorVersionUpgrade",
    "ca_cert_identifier": "CACertificateIdentifier",
    "copy_tags_to_snapshot": "CopyTagsToSnapshot",
    "monitoring_interval": "MonitoringInterval",
    "monitoring_role_arn": "MonitoringRoleArn",
    "performance_insights_enabled": "EnablePerformanceInsights",
    "performance_insights_kms_key_id": "PerformanceInsightsKMSKeyId",
    "performance_insights_retention_period": "PerformanceInsightsRetentionPeriod",
}
# Arguments with no CreateDBCluster parameter: they configure how Terraform destroys the cluster and are
# parameters of DeleteDBCluster (checked against the service model below).
CLUSTER_DELETE_TIME = {
    "skip_final_snapshot": "SkipFinalSnapshot",
    "final_snapshot_identifier": "FinalDBSnapshotIdentifier",
    "delete_automated_backups": "DeleteAutomatedBackups",
}
# The primary-role cluster's credentials and database: re-protect creates a secondary, which takes its users and
# data from the global cluster's writer (Aurora User Guide, "Adding an AWS Region to an Amazon Aurora global
# database"); RDS refuses a master user name for it ("InvalidParameterCombination: Cannot specify user name for
# cross region replication cluster", quoted in cloudposse/terraform-aws-rds-cluster#89).
# master_password_wo_version is Terraform's own trigger for re-sending the write-only password: no API parameter.
PRIMARY_CREDENTIALS = {"master_username", "master_password_wo", "master_password_wo_version", "database_name"}
# Not arguments of the resource: Terraform meta-arguments; tags are compared with the provider's default tags.
META = {"provider", "depends_on", "lifecycle", "tags", "//"}

_REFERENCE = re.compile(r"^\$\{(aws_[a-z0-9_]+)\.([A-Za-z0-9_]+)\.([a-z_]+)\}$")
# Attributes of a resource whose value is one of its own arguments (the provider's id of these is the identifier).
_ATTRIBUTE_ARGUMENT = {
    ("aws_rds_global_cluster", "id"): "global_cluster_identifier",
    ("aws_rds_cluster", "id"): "cluster_identifier",
    ("aws_rds_global_cluster", "engine"): "engine",
    ("aws_rds_global_cluster", "engine_version"): "engine_version",
    ("aws_rds_cluster", "engine"): "engine",
    ("aws_rds_cluster", "engine_version"): "engine_version",
}


def _resolve(synth: Synthesized, value: Any) -> Any:
    """A reference the AWS provider knows at plan time from another resource's argument, as that argument."""
    match = _REFERENCE.match(value) if isinstance(value, str) else None
    if match is None or (match[1], match[3]) not in _ATTRIBUTE_ARGUMENT:
        return value
    body = synth.resources(match[1])[match[2]]
    return _resolve(synth, body[_ATTRIBUTE_ARGUMENT[(match[1], match[3])]])


def _expected(synth: Synthesized, body: dict[str, Any], mapping: dict[str, str], skip: set[str]) -> dict[str, Any]:
    """The CreateDB* parameters Terraform sends for a resource body; an unmapped argument fails the test."""
    unmapped = set(body) - set(mapping) - skip - META
    assert not unmapped, f"arguments with no known API parameter (map them or give a reason): {sorted(unmapped)}"
    expected: dict[str, Any] = {}
    for argument, parameter in mapping.items():
        if argument not in body:
            continue
        value = _resolve(synth, body[argument])
        if argument == "serverlessv2_scaling_configuration":
            value = {"MinCapacity": value["min_capacity"], "MaxCapacity": value["max_capacity"]}
        expected[parameter] = value
    provider = synth.data["provider"]["aws"]
    alias = body["provider"].removeprefix("aws.")
    (block,) = [p for p in provider if p.get("alias") == alias]
    tags = {**block.get("default_tags", [{}])[0].get("tags", {}), **body.get("tags", {})}
    expected["Tags"] = [{"Key": key, "Value": value} for key, value in sorted(tags.items())]
    return expected


def _function_environment(synth: Synthesized, role: str) -> dict[str, str]:
    """The orchestrator's environment in a role's region."""
    (function,) = [
        body
        for body in synth.resources("aws_lambda_function").values()
        if body["provider"] == f"aws.{role}" and contract.REPROTECT_CLUSTER_SPEC in body["environment"]["variables"]
    ]
    variables: dict[str, str] = function["environment"]["variables"]
    return variables


def _cases(synth: Synthesized, role: str) -> tuple[ReprotectSpec, Assessment, dict[str, Any], list[dict[str, Any]]]:
    environment = _function_environment(synth, role)
    spec = ReprotectSpec.from_environment(
        environment,
        # The cluster the function's TARGET_CLUSTER_ARN names (a reference at synth).
        cluster_id=synth.only("aws_rds_cluster", f"{role}_cluster")["cluster_identifier"],
        region=environment[contract.TARGET_REGION],
        global_cluster_id=environment[contract.GLOBAL_CLUSTER_ID],
    )
    global_cluster = synth.only("aws_rds_global_cluster")
    assessment = Assessment(
        "can_readd", engine=global_cluster["engine"], engine_version=global_cluster["engine_version"]
    )
    cluster = synth.only("aws_rds_cluster", f"{role}_cluster")
    instances = [
        body for key, body in sorted(synth.resources("aws_rds_cluster_instance").items()) if f"_{role}_instance_" in key
    ]
    return spec, assessment, cluster, instances


@pytest.mark.parametrize("profile", ["dev", "prod"])
@pytest.mark.parametrize("role", ["primary", "secondary"])
def test_reprotect_creates_the_cluster_terraform_describes(
    profile: str, role: str, request: pytest.FixtureRequest
) -> None:
    """CreateDBCluster of re-protect passes every argument of the synthesized aws_rds_cluster as its API
    parameter with the same value, the provider's default tags included (Terraform sends default_tags merged
    with the resource's tags as Tags, hashicorp/aws provider docs "default_tags"), and nothing else. The dict
    is valid input of CreateDBCluster in botocore's RDS service model."""
    synth: Synthesized = request.getfixturevalue(profile)
    spec, assessment, cluster, _ = _cases(synth, role)
    skip = set(CLUSTER_DELETE_TIME) | (PRIMARY_CREDENTIALS if role == "primary" else set())
    params = create_cluster_params(spec, assessment)
    assert params == _expected(synth, cluster, CLUSTER_PARAMETERS, skip)
    validate_parameters(params, RDS_MODEL.operation_model("CreateDBCluster").input_shape)


@pytest.mark.parametrize("profile", ["dev", "prod"])
@pytest.mark.parametrize("role", ["primary", "secondary"])
def test_reprotect_creates_the_instances_terraform_describes(
    profile: str, role: str, request: pytest.FixtureRequest
) -> None:
    """CreateDBInstance of re-protect, once per synthesized aws_rds_cluster_instance and in the same order,
    passes every argument (availability zone, Performance Insights retention and key, CopyTagsToSnapshot, ...) as
    its API parameter with the same value, and nothing else; each dict is valid CreateDBInstance input."""
    synth: Synthesized = request.getfixturevalue(profile)
    spec, assessment, _, instances = _cases(synth, role)
    assert [placement.identifier for placement in spec.cluster.instances] == [body["identifier"] for body in instances]
    for placement, body in zip(spec.cluster.instances, instances, strict=True):
        params = create_instance_params(spec, assessment, placement)
        assert params == _expected(synth, body, INSTANCE_PARAMETERS, set())
        validate_parameters(params, RDS_MODEL.operation_model("CreateDBInstance").input_shape)


def test_prod_instances_keep_performance_insights_for_two_years(prod: Synthesized) -> None:
    """The prod profile's 731-day Performance Insights retention reaches re-protect (a value RDS accepts:
    CreateDBInstance PerformanceInsightsRetentionPeriod 7, a multiple of 31 or 731)."""
    spec, assessment, _, _ = _cases(prod, "secondary")
    params = create_instance_params(spec, assessment, spec.cluster.instances[0])
    assert params["PerformanceInsightsRetentionPeriod"] == 731


def test_arguments_without_a_create_parameter_are_delete_parameters() -> None:
    """The reason given for not passing an argument holds in the service model: it is a DeleteDBCluster
    parameter and no CreateDBCluster parameter."""
    create = set(RDS_MODEL.operation_model("CreateDBCluster").input_shape.members)
    delete = set(RDS_MODEL.operation_model("DeleteDBCluster").input_shape.members)
    for parameter in CLUSTER_DELETE_TIME.values():
        assert parameter in delete and parameter not in create, parameter


def test_a_misspelt_parameter_fails_the_service_model() -> None:
    """The validation can fail: a key CreateDBInstance does not know is refused by botocore before sending."""
    with pytest.raises(ParamValidationError, match="PerformanceInsightRetentionPeriod"):
        validate_parameters(
            {"DBInstanceIdentifier": "x", "DBInstanceClass": "db.r6g.large", "Engine": "aurora-mysql"}
            | {"PerformanceInsightRetentionPeriod": 7},
            RDS_MODEL.operation_model("CreateDBInstance").input_shape,
        )


def test_spec_round_trips_through_the_functions_environment(dev: Synthesized) -> None:
    """What the stack writes is what the function parses: the JSON loads back to an equal spec."""
    raw = _function_environment(dev, "secondary")[contract.REPROTECT_CLUSTER_SPEC]
    spec = ClusterSpec.from_json(raw)
    assert spec.to_json() == json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":"))
    with pytest.raises(ClusterSpecError, match="lacks 'availability_zones'"):
        ClusterSpec.from_json(json.dumps({k: v for k, v in json.loads(raw).items() if k != "availability_zones"}))


# Every reference in an orchestrator's environment resolves to an ARN, a name, an id or an AZ: an IAM role ARN is
# at most 31 + 64 characters, the others are shorter. 100 characters each is an upper bound.
RESOLVED_REFERENCE_LENGTH = 100
LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4096


def test_spec_keeps_the_environment_within_lambdas_4_kb_at_the_largest_instance_counts() -> None:
    """Lambda refuses a function whose environment variables exceed 4 KB in total, keys and values (Lambda
    Developer Guide, "Lambda quotas": environment variables 4 KB). The spec travels in that environment, so it must
    fit with the largest clusters the settings allow (15 primary, 16 secondary instances) and every reference
    resolved to its longest value."""
    from conftest import PROD_OVERRIDES, _synth

    synth = _synth({**PROD_OVERRIDES, "primary_db_instance_count": 15, "secondary_db_instance_count": 16})["dr"]
    for role in ("primary", "secondary"):
        environment = _function_environment(synth, role)
        resolved = {
            key: re.sub(r"\$\{[^}]*\}", "x" * RESOLVED_REFERENCE_LENGTH, value) for key, value in environment.items()
        }
        size = sum(len(key.encode()) + len(value.encode()) for key, value in resolved.items())
        assert size < LAMBDA_ENVIRONMENT_LIMIT_BYTES, (role, size)
        assert len(ClusterSpec.from_json(environment[contract.REPROTECT_CLUSTER_SPEC]).instances) == (
            15 if role == "primary" else 16
        )
