"""Global database: global cluster, primary and secondary clusters, instances, parameter groups, alarms."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from cdktf import Testing
from cdktf_cdktf_provider_aws.rds_global_cluster import RdsGlobalCluster
from conftest import Synthesized, new_testing_app
from dr_stack.config.settings import SettingsError, load_settings

ROLES = ("primary", "secondary")


@pytest.fixture(scope="module")
def postgres() -> Synthesized:
    """aurora-postgresql pinned to an older major version (15.8) on provisioned instances, Enhanced Monitoring off,
    with a client allowed in and an IAM connect grant."""
    import json as json_module

    from cdktf_cdktf_provider_aws.iam_role import IamRole
    from dr_stack.stacks import DrStack

    settings = load_settings(
        {
            "db_engine": "aurora-postgresql",
            "db_engine_version": "15.8",
            "db_instance_class": "db.r6g.large",
            "db_password_source": "variable",
            "db_monitoring_interval_seconds": 0,
        },
        environ={},
    )
    stack = DrStack(new_testing_app(), "dr", settings=settings)
    client = IamRole(
        stack,
        "test_client_role",
        provider=stack.providers.secondary,
        name="test-client",
        assume_role_policy=json_module.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}
                ],
            }
        ),
    )
    stack.database.grant_connect(client, dr_role="secondary", db_user="app")
    return Synthesized(Testing.synth(stack))


def _cluster(synth: Synthesized, role: str) -> dict[str, Any]:
    return synth.only("aws_rds_cluster", f"database_{role}_cluster")


def _instances(synth: Synthesized, role: str) -> list[dict[str, Any]]:
    return [
        body
        for key, body in synth.resources("aws_rds_cluster_instance").items()
        if key.startswith(f"database_{role}_instance_")
    ]


def _alarm(synth: Synthesized, metric: str) -> dict[str, Any]:
    matches = [a for a in synth.resources("aws_cloudwatch_metric_alarm").values() if a.get("metric_name") == metric]
    assert len(matches) == 1, f"expected one alarm on {metric}, got {len(matches)}"
    return matches[0]


# ----- settings -----


def test_rejects_burstable_instance_class() -> None:
    with pytest.raises(SettingsError, match=r"db_instance_class .*burstable.*got 'db\.t4g\.medium'"):
        load_settings({"db_instance_class": "db.t4g.medium"}, environ={})


def test_rejects_general_purpose_instance_class() -> None:
    with pytest.raises(SettingsError, match=r"db_instance_class must be db.serverless or a memory-optimized class"):
        load_settings({"db_instance_class": "db.m5.large"}, environ={})


def test_rejects_serverless_min_capacity_below_half_an_acu() -> None:
    with pytest.raises(SettingsError, match="db_serverless_min_capacity"):
        load_settings({"db_serverless_min_capacity": 0}, environ={})


def test_rejects_master_password_version_zero() -> None:
    with pytest.raises(SettingsError, match=r"db_master_password_version must be an integer from 1"):
        load_settings({"db_master_password_version": 0}, environ={})


def test_dev_profile_uses_serverless_with_at_least_half_an_acu(dev: Synthesized) -> None:
    settings = load_settings(environ={})
    assert settings.db_instance_class == "db.serverless"
    assert settings.db_serverless_min_capacity >= 0.5
    for role in ROLES:
        scaling = _cluster(dev, role)["serverlessv2_scaling_configuration"]
        assert scaling["min_capacity"] >= 0.5
        assert scaling["max_capacity"] >= scaling["min_capacity"]
        assert {i["instance_class"] for i in _instances(dev, role)} == {"db.serverless"}


def test_prod_uses_memory_optimized_instances_without_serverless_scaling(prod: Synthesized) -> None:
    for role in ROLES:
        assert "serverlessv2_scaling_configuration" not in _cluster(prod, role)
        assert {i["instance_class"] for i in _instances(prod, role)} == {"db.r6g.large"}


# ----- global cluster -----


def test_global_cluster_is_encrypted_and_pins_the_engine(dev: Synthesized, prod: Synthesized) -> None:
    for synth, protected in ((dev, False), (prod, True)):
        body = synth.only("aws_rds_global_cluster")
        assert body["provider"] == "aws.primary"
        assert body["engine"] == "aurora-mysql"
        assert body["engine_version"] == "8.0.mysql_aurora.3.08.2"
        assert body["storage_encrypted"] is True
        assert body["deletion_protection"] is protected
    assert Testing.to_have_resource_with_properties(
        dev.text, RdsGlobalCluster.TF_RESOURCE_TYPE, {"global_cluster_identifier": "drapp-dev-global"}
    )


@pytest.mark.parametrize("role", ROLES)
def test_both_clusters_join_the_global_cluster(dev: Synthesized, role: str) -> None:
    cluster = _cluster(dev, role)
    assert cluster["global_cluster_identifier"] == dev.ref("aws_rds_global_cluster", "global_cluster", "id")
    assert cluster["engine"] == dev.ref("aws_rds_global_cluster", "global_cluster", "engine")
    assert cluster["cluster_identifier"] == f"drapp-dev-{role}"
    assert cluster["provider"] == f"aws.{role}"


# ----- credentials on the clusters -----


def test_primary_cluster_takes_the_password_write_only(dev: Synthesized, prod: Synthesized) -> None:
    for synth, source in ((dev, "${local.db_credentials_master_password}"), (prod, "${var.db_master_password}")):
        cluster = _cluster(synth, "primary")
        assert cluster["master_username"] == "dbadmin"
        assert cluster["database_name"] == "appdb"
        assert "master_password" not in cluster
        assert cluster["master_password_wo"].startswith(source)
        assert cluster["master_password_wo_version"] == 1


def test_secondary_cluster_has_no_credentials(dev: Synthesized, prod: Synthesized) -> None:
    for synth in (dev, prod):
        cluster = _cluster(synth, "secondary")
        forbidden = {
            "master_username",
            "master_password",
            "master_password_wo",
            "master_password_wo_version",
            "database_name",
            "manage_master_user_password",
            "snapshot_identifier",
        }
        assert not forbidden & set(cluster)


# ----- encryption, dependencies, drift -----


@pytest.mark.parametrize("role", ROLES)
def test_each_cluster_is_encrypted_with_its_regions_key(dev: Synthesized, role: str) -> None:
    cluster = _cluster(dev, role)
    assert cluster["storage_encrypted"] is True
    assert cluster["kms_key_id"] == dev.key_arn(role)


def test_secondary_cluster_waits_for_the_primary_instances(dev: Synthesized) -> None:
    expected = sorted(
        f"aws_rds_cluster_instance.{key}"
        for key in dev.resources("aws_rds_cluster_instance")
        if key.startswith("database_primary_instance_")
    )
    assert len(expected) == 2
    waits_for = _cluster(dev, "secondary")["depends_on"]
    # Besides its own log groups (test_database_logs), made before RDS would make them unencrypted.
    assert sorted(entry for entry in waits_for if not entry.startswith("aws_cloudwatch_log_group.")) == expected


def test_secondary_cluster_ignores_replication_drift(dev: Synthesized) -> None:
    ignored = _cluster(dev, "secondary")["lifecycle"]["ignore_changes"]
    assert {"replication_source_identifier", "global_cluster_identifier"} <= set(ignored)


def test_primary_cluster_ignores_drift_a_switchover_causes(dev: Synthesized) -> None:
    ignored = _cluster(dev, "primary")["lifecycle"]["ignore_changes"]
    assert {"replication_source_identifier", "engine_version"} <= set(ignored)


def test_write_forwarding_follows_the_setting_on_the_secondary(dev: Synthesized) -> None:
    assert _cluster(dev, "secondary")["enable_global_write_forwarding"] is False
    assert "enable_global_write_forwarding" not in _cluster(dev, "primary")


# ----- backups, snapshots, logs -----


def test_final_snapshot_identifier_is_stable(dev: Synthesized, prod: Synthesized) -> None:
    for synth, env in ((dev, "dev"), (prod, "prod")):
        for role in ROLES:
            cluster = _cluster(synth, role)
            assert cluster["skip_final_snapshot"] is False
            assert cluster["final_snapshot_identifier"] == f"drapp-{env}-{role}-final"
        assert "timestamp(" not in synth.text


@pytest.mark.parametrize("role", ROLES)
def test_backups_windows_and_protection_follow_settings(prod: Synthesized, role: str) -> None:
    cluster = _cluster(prod, role)
    assert cluster["backup_retention_period"] == 35
    assert cluster["preferred_backup_window"] == "03:00-04:00"
    assert cluster["preferred_maintenance_window"] == "sun:05:00-sun:06:00"
    assert cluster["deletion_protection"] is True
    assert cluster["copy_tags_to_snapshot"] is True
    assert cluster["iam_database_authentication_enabled"] is True


def test_log_exports_follow_the_engine_and_audit_setting(
    dev: Synthesized, prod: Synthesized, postgres: Synthesized
) -> None:
    assert _cluster(dev, "secondary")["enabled_cloudwatch_logs_exports"] == ["error", "general", "slowquery"]
    assert _cluster(prod, "primary")["enabled_cloudwatch_logs_exports"] == ["error", "general", "slowquery", "audit"]
    assert _cluster(postgres, "primary")["enabled_cloudwatch_logs_exports"] == ["postgresql"]


# ----- instances -----


@pytest.mark.parametrize(("role", "count"), [("primary", 2), ("secondary", 2)])
def test_instance_count_per_region_follows_settings(prod: Synthesized, role: str, count: int) -> None:
    instances = _instances(prod, role)
    assert len(instances) == count
    assert all(i["provider"] == f"aws.{role}" for i in instances)
    assert all(
        i["cluster_identifier"] == prod.ref("aws_rds_cluster", f"database_{role}_cluster", "id") for i in instances
    )


def test_dev_secondary_has_one_instance(dev: Synthesized) -> None:
    assert len(_instances(dev, "secondary")) == 1


@pytest.mark.parametrize("role", ROLES)
def test_instances_are_pinned_to_different_availability_zones(prod: Synthesized, role: str) -> None:
    zones = [i["availability_zone"] for i in _instances(prod, role)]
    assert all(f"data.aws_availability_zones.{role}_network_zones" in zone for zone in zones)
    assert len(set(zones)) == len(zones)


def test_every_instance_has_enhanced_monitoring_and_performance_insights(dev: Synthesized, prod: Synthesized) -> None:
    for synth, retention in ((dev, 7), (prod, 731)):
        for role in ROLES:
            for instance in _instances(synth, role):
                assert instance["monitoring_interval"] == 60
                assert instance["monitoring_role_arn"] == synth.ref(
                    "aws_iam_role", f"database_{role}_monitoring_role", "arn"
                )
                assert instance["performance_insights_enabled"] is True
                assert instance["performance_insights_kms_key_id"] == synth.key_arn(role)
                assert instance["performance_insights_retention_period"] == retention


@pytest.mark.parametrize("role", ROLES)
def test_monitoring_interval_zero_turns_enhanced_monitoring_off_without_a_role(
    postgres: Synthesized, role: str
) -> None:
    """CreateDBInstance MonitoringInterval: "To disable collection of Enhanced Monitoring metrics, specify 0. If
    MonitoringRoleArn is specified, then you must set MonitoringInterval to a value other than 0" (botocore rds
    model); so interval 0 goes with no role."""
    instances = _instances(postgres, role)
    assert instances and all(instance["monitoring_interval"] == 0 for instance in instances)
    assert all("monitoring_role_arn" not in instance for instance in instances)


def test_instances_are_private_and_patched(dev: Synthesized) -> None:
    for role in ROLES:
        for instance in _instances(dev, role):
            assert instance["publicly_accessible"] is False
            assert instance["auto_minor_version_upgrade"] is True
            assert instance["ca_cert_identifier"] == "rds-ca-rsa2048-g1"
            assert instance["db_parameter_group_name"] == dev.ref(
                "aws_db_parameter_group", f"database_{role}_instance_parameter_group", "name"
            )


def test_first_instance_is_the_preferred_writer(dev: Synthesized) -> None:
    tiers = {i["identifier"]: i["promotion_tier"] for i in _instances(dev, "primary")}
    assert tiers == {"drapp-dev-primary-1": 0, "drapp-dev-primary-2": 1}


@pytest.mark.parametrize("role", ROLES)
def test_monitoring_role_trusts_rds_monitoring_with_the_managed_policy(dev: Synthesized, role: str) -> None:
    role_body = dev.only("aws_iam_role", f"database_{role}_monitoring_role")
    trust_id = role_body["assume_role_policy"].split(".")[2]
    trust = dev.data_sources("aws_iam_policy_document")[trust_id]
    assert trust["provider"] == f"aws.{role}"
    assert trust["statement"][0]["principals"] == [{"identifiers": ["monitoring.rds.amazonaws.com"], "type": "Service"}]
    conditions = {c["variable"]: c for c in trust["statement"][0]["condition"]}
    assert conditions["aws:SourceAccount"]["values"][0].startswith("${data.aws_caller_identity.")
    # RDS User Guide, Enhanced Monitoring, "Protecting against the confused deputy problem": RDS assumes the role
    # with the monitored DB instance as aws:SourceArn; only DB instances of this region and account qualify.
    source = conditions["aws:SourceArn"]
    assert source["test"] == "ArnLike"
    (pattern,) = source["values"]
    region = {"primary": "us-east-1", "secondary": "us-west-2"}[role]
    assert pattern.startswith("arn:${data.aws_partition.") and pattern.endswith(":db:*")
    assert f":rds:{region}:${{data.aws_caller_identity." in pattern
    attachment = dev.only("aws_iam_role_policy_attachment", f"database_{role}_monitoring_policy")
    assert attachment["policy_arn"].endswith(":iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole")
    assert attachment["role"] == dev.ref("aws_iam_role", f"database_{role}_monitoring_role", "name")


# ----- network placement -----


@pytest.mark.parametrize("role", ROLES)
def test_subnet_group_uses_the_database_subnets(dev: Synthesized, role: str) -> None:
    group = dev.only("aws_db_subnet_group", f"database_{role}_subnet_group")
    assert len(group["subnet_ids"]) == 3
    assert all(f"{role}_network_database_subnet_" in subnet for subnet in group["subnet_ids"])
    assert _cluster(dev, role)["db_subnet_group_name"] == dev.ref(
        "aws_db_subnet_group", f"database_{role}_subnet_group", "name"
    )


@pytest.mark.parametrize("role", ROLES)
def test_security_group_has_no_default_ingress_and_no_egress(dev: Synthesized, role: str) -> None:
    group = dev.only("aws_security_group", f"database_{role}_security_group")
    assert group["egress"] == []
    assert "ingress" not in group
    assert _cluster(dev, role)["vpc_security_group_ids"] == [
        dev.ref("aws_security_group", f"database_{role}_security_group", "id")
    ]
    rules = [
        r
        for r in dev.resources("aws_vpc_security_group_ingress_rule").values()
        if r["security_group_id"] == dev.ref("aws_security_group", f"database_{role}_security_group", "id")
    ]
    assert all(r.get("referenced_security_group_id") for r in rules), "database ingress only from security groups"
    assert all(r["from_port"] == r["to_port"] == 3306 for r in rules)


@pytest.mark.parametrize("role", ROLES)
def test_connect_opens_both_sides_of_the_app_to_database_path(postgres: Synthesized, role: str) -> None:
    """One connect(app_tier, database) call: ingress on the database group, egress on the app group, each
    naming the other group on the engine's port (5432 for aurora-postgresql), no CIDR on either side."""
    database_group = postgres.ref("aws_security_group", f"database_{role}_security_group", "id")
    app_group = postgres.ref("aws_security_group", f"{role}_app_tier_app_security_group", "id")
    ingress = postgres.only("aws_vpc_security_group_ingress_rule", f"database_{role}_ingress_app")
    egress = postgres.only("aws_vpc_security_group_egress_rule", f"{role}_app_tier_app_egress_database")
    for rule in (ingress, egress):
        assert rule["provider"] == f"aws.{role}"
        assert (rule["ip_protocol"], rule["from_port"], rule["to_port"]) == ("tcp", 5432, 5432)
        assert "cidr_ipv4" not in rule
    assert (ingress["security_group_id"], ingress["referenced_security_group_id"]) == (database_group, app_group)
    assert (egress["security_group_id"], egress["referenced_security_group_id"]) == (app_group, database_group)


# ----- parameter groups -----


def _parameters(body: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p["value"] for p in body.get("parameter", [])}


@pytest.mark.parametrize("role", ROLES)
def test_mysql_parameter_groups_require_tls_and_log_slow_queries(dev: Synthesized, role: str) -> None:
    cluster_group = dev.only("aws_rds_cluster_parameter_group", f"database_{role}_cluster_parameter_group")
    instance_group = dev.only("aws_db_parameter_group", f"database_{role}_instance_parameter_group")
    assert cluster_group["family"] == instance_group["family"] == "aurora-mysql8.0"
    assert cluster_group["provider"] == instance_group["provider"] == f"aws.{role}"
    assert _parameters(cluster_group)["require_secure_transport"] == "ON"
    assert _parameters(instance_group)["slow_query_log"] == "1"
    assert _cluster(dev, role)["db_cluster_parameter_group_name"] == dev.ref(
        "aws_rds_cluster_parameter_group", f"database_{role}_cluster_parameter_group", "name"
    )


def test_audit_log_is_switched_on_when_exported(dev: Synthesized, prod: Synthesized) -> None:
    dev_group = dev.only("aws_rds_cluster_parameter_group", "database_primary_cluster_parameter_group")
    prod_group = prod.only("aws_rds_cluster_parameter_group", "database_primary_cluster_parameter_group")
    assert "server_audit_logging" not in _parameters(dev_group)
    assert _parameters(prod_group)["server_audit_logging"] == "1"


def test_postgresql_parameter_groups_force_tls(postgres: Synthesized) -> None:
    for role in ROLES:
        group = postgres.only("aws_rds_cluster_parameter_group", f"database_{role}_cluster_parameter_group")
        assert _parameters(group) == {"rds.force_ssl": "1"}


def test_parameter_groups_follow_the_pinned_major_version(postgres: Synthesized) -> None:
    """RDS refuses a parameter group whose family is not the engine version's ("DBParameterGroupFamily
    aurora-postgresql16 can't be used for this instance. Use a parameter group with DBParameterGroupFamily
    aurora-postgresql15", mattermost/mattermost-load-test-ng#707): 15.8 was synthesized with family 16 before."""
    assert postgres.only("aws_rds_global_cluster", "global_cluster")["engine_version"] == "15.8"
    for role in ROLES:
        for kind, suffix in (("aws_rds_cluster_parameter_group", "cluster"), ("aws_db_parameter_group", "instance")):
            group = postgres.only(kind, f"database_{role}_{suffix}_parameter_group")
            assert group["family"] == "aurora-postgresql15"


# ----- alarms -----


def test_replication_lag_alarm_watches_secondary_cluster(dev: Synthesized) -> None:
    alarm = _alarm(dev, "AuroraGlobalDBReplicationLag")
    assert alarm["provider"] == "aws.secondary"
    assert alarm["namespace"] == "AWS/RDS"
    assert alarm["dimensions"] == {"DBClusterIdentifier": "drapp-dev-secondary"}
    assert alarm["dimensions"]["DBClusterIdentifier"] == _cluster(dev, "secondary")["cluster_identifier"]
    assert alarm["comparison_operator"] == "GreaterThanThreshold"
    # rpo_minutes=5 -> a fifth of the RPO, 60 s, in milliseconds.
    assert alarm["threshold"] == 60_000
    assert alarm["evaluation_periods"] == 3
    assert alarm["period"] == 60
    assert alarm["treat_missing_data"] == "breaching"
    topic = dev.ref("aws_sns_topic", "secondary_alarm_topic", "arn")
    assert alarm["alarm_actions"] == alarm["ok_actions"] == [topic]


def test_rpo_lag_alarm_only_for_postgresql_on_the_secondary(dev: Synthesized, postgres: Synthesized) -> None:
    assert not [
        a
        for a in dev.resources("aws_cloudwatch_metric_alarm").values()
        if a.get("metric_name") == "AuroraGlobalDBRPOLag"
    ]
    alarm = _alarm(postgres, "AuroraGlobalDBRPOLag")
    assert alarm["provider"] == "aws.secondary"
    assert alarm["dimensions"] == {"DBClusterIdentifier": "drapp-dev-secondary"}
    assert alarm["alarm_actions"] == [postgres.ref("aws_sns_topic", "secondary_alarm_topic", "arn")]


@pytest.mark.parametrize("profile", ["dev", "prod"])
@pytest.mark.parametrize("role", ["primary", "secondary"])
@pytest.mark.parametrize(
    ("metric", "operator", "threshold"),
    [
        ("CPUUtilization", "GreaterThanThreshold", 80),
        ("FreeableMemory", "LessThanThreshold", 256 * 1024 * 1024),
    ],
)
def test_writer_resource_alarms_watch_each_regions_writer(
    profile: str, role: str, metric: str, operator: str, threshold: int, request: pytest.FixtureRequest
) -> None:
    """After a failover the secondary cluster writes: a writer alarm only on the primary cluster leaves the new
    writer unwatched. Each cluster has its writer alarms in its own region (CloudWatch alarms watch metrics of
    their region), notifying that region's topic, on the cluster's WRITER-role series: the Aurora User Guide
    ("Creating CloudWatch alarms to monitor Amazon Aurora") says to alarm on WRITER or READER role metrics
    because instances change roles, with the dimension set (DBClusterIdentifier, Role) ("Amazon CloudWatch
    dimensions for Aurora"). A reader-only secondary publishes no WRITER series; missing data is not breaching,
    so its alarm stays OK and pages nobody until its cluster writes."""
    stack: Synthesized = request.getfixturevalue(profile)
    matches = [
        alarm
        for alarm in stack.resources("aws_cloudwatch_metric_alarm").values()
        if alarm.get("metric_name") == metric and alarm.get("provider") == f"aws.{role}"
    ]
    assert len(matches) == 1, matches
    (alarm,) = matches
    prefix = f"drapp-{'dev' if profile == 'dev' else 'prod'}"
    assert alarm["namespace"] == "AWS/RDS"
    assert alarm["dimensions"] == {"DBClusterIdentifier": f"{prefix}-{role}", "Role": "WRITER"}
    assert alarm["comparison_operator"] == operator
    if profile == "dev":
        assert alarm["threshold"] == threshold
    assert alarm["treat_missing_data"] == "notBreaching"
    topic = stack.ref("aws_sns_topic", f"{role}_alarm_topic", "arn")
    assert alarm["alarm_actions"] == alarm["ok_actions"] == [topic]


def test_writer_alarm_names_are_distinct_per_region(dev: Synthesized) -> None:
    """The primary keeps its names (a rename replaces the alarm); the secondary's carry the role."""
    names = {
        alarm["alarm_name"]
        for alarm in dev.resources("aws_cloudwatch_metric_alarm").values()
        if alarm.get("dimensions", {}).get("Role") == "WRITER"
    }
    assert names == {
        "drapp-dev-db-writer-CPUUtilization",
        "drapp-dev-db-writer-FreeableMemory",
        "drapp-dev-secondary-db-writer-CPUUtilization",
        "drapp-dev-secondary-db-writer-FreeableMemory",
    }


# ----- IAM database authentication -----


def test_grant_connect_is_scoped_to_one_cluster_and_user(postgres: Synthesized) -> None:
    policy = postgres.only("aws_iam_role_policy", "database_connect_secondary_test_client_role")
    assert policy["provider"] == "aws.secondary"
    assert policy["role"] == postgres.ref("aws_iam_role", "test_client_role", "id")
    document_id = policy["policy"].split(".")[2]
    (statement,) = postgres.data_sources("aws_iam_policy_document")[document_id]["statement"]
    assert statement["actions"] == ["rds-db:connect"]
    (resource,) = statement["resources"]
    assert ":rds-db:us-west-2:" in resource
    assert resource.endswith(
        ":dbuser:" + postgres.ref("aws_rds_cluster", "database_secondary_cluster", "cluster_resource_id") + "/app"
    )


# ----- providers -----

_DATA_TIER = re.compile(r"^(database|db_credentials|app_state_table|failover_state_table|backup)_")
# Resources in the secondary region whose logical id does not say so.
_SECONDARY_BY_NAME = ("replication_lag_alarm", "rpo_lag_alarm")


def test_every_data_tier_resource_names_its_regional_provider(dev: Synthesized, postgres: Synthesized) -> None:
    checked = 0
    for synth in (dev, postgres):
        for section in ("resource", "data"):
            for resource_type, bodies in synth.data.get(section, {}).items():
                for key, body in bodies.items():
                    if not _DATA_TIER.match(key):
                        continue
                    checked += 1
                    secondary = "_secondary_" in key or any(name in key for name in _SECONDARY_BY_NAME)
                    expected = "aws.secondary" if secondary else "aws.primary"
                    assert body.get("provider") == expected, f"{resource_type}.{key}"
    assert checked > 60


def test_no_resource_outside_the_two_regions(dev: Synthesized) -> None:
    providers = {
        json.dumps(body.get("provider"))
        for bodies in dev.data["resource"].values()
        for key, body in bodies.items()
        if _DATA_TIER.match(key)
    }
    assert providers <= {'"aws.primary"', '"aws.secondary"'}


# ----- unit: GlobalDatabase in an empty stack -----


def _database_stack(**options: Any) -> Synthesized:
    from construct_support import (
        empty_stack,
        global_database,
        networks_and_topics,
        provider_pair,
        regional_keys,
        synth,
    )

    stack = empty_stack("database")
    providers = provider_pair(stack)
    keys = regional_keys(stack, providers)
    networks, topics = networks_and_topics(stack, providers, keys)
    global_database(stack, providers, keys, networks, topics, **options)
    return synth(stack)


@pytest.fixture(scope="module")
def lone_database() -> Synthesized:
    """Serverless v2 within 2-16 ACU, 2 + 1 instances, protection off, 45 s lag threshold."""
    return _database_stack(
        serverless_capacity=(2.0, 16.0),
        instance_counts={"primary": 2, "secondary": 1},
        deletion_protection=False,
        replication_lag_threshold_seconds=45,
    )


def test_unit_database_clusters_follow_the_given_props(lone_database: Synthesized) -> None:
    primary = _cluster(lone_database, "primary")
    assert primary["serverlessv2_scaling_configuration"] == {"min_capacity": 2, "max_capacity": 16}
    assert (primary["cluster_identifier"], primary["database_name"], primary["port"]) == (
        "unit-primary",
        "unitdb",
        3306,
    )
    assert primary["deletion_protection"] is False
    assert Testing.to_have_resource_with_properties(
        lone_database.text,
        RdsGlobalCluster.TF_RESOURCE_TYPE,
        {"global_cluster_identifier": "unit-global", "deletion_protection": False, "storage_encrypted": True},
    )


def test_unit_database_credentials_come_from_the_credentials_construct(lone_database: Synthesized) -> None:
    primary, secondary = _cluster(lone_database, "primary"), _cluster(lone_database, "secondary")
    assert primary["master_username"] == "admin_user"
    assert primary["master_password_wo"] == "${var.db_master_password}"
    assert primary["master_password_wo_version"] == 1
    assert "master_username" not in secondary and "master_password_wo" not in secondary


def test_unit_database_instance_counts_per_region(lone_database: Synthesized) -> None:
    assert len(_instances(lone_database, "primary")) == 2
    assert len(_instances(lone_database, "secondary")) == 1
    assert {body["instance_class"] for body in lone_database.resources("aws_rds_cluster_instance").values()} == {
        "db.serverless"
    }


def test_unit_database_lag_alarm_uses_the_threshold_in_milliseconds(lone_database: Synthesized) -> None:
    alarm = lone_database.only("aws_cloudwatch_metric_alarm", "replication_lag_alarm")
    assert (alarm["threshold"], alarm["provider"]) == (45_000, "aws.secondary")
    assert alarm["dimensions"] == {"DBClusterIdentifier": "unit-secondary"}


def test_unit_provisioned_class_has_no_serverless_scaling() -> None:
    synth = _database_stack(instance_class="db.r6g.large")
    assert "serverlessv2_scaling_configuration" not in _cluster(synth, "primary")


def test_unit_database_has_no_ingress_until_connected(lone_database: Synthesized) -> None:
    assert lone_database.resources("aws_vpc_security_group_ingress_rule") == {}


@pytest.mark.parametrize("profile", ["dev", "prod"])
def test_each_app_role_may_connect_to_its_regions_cluster_as_the_app_user(
    profile: str, request: pytest.FixtureRequest
) -> None:
    """IAM database authentication is on for both clusters; an IAM policy allows it with rds-db:connect on
    ``arn:aws:rds-db:<region>:<account>:dbuser:<DbClusterResourceId>/<db user>`` (Aurora User Guide, "Creating and
    using an IAM policy for IAM database access"). Each region's app role gets exactly its own cluster, as the
    app user (setting db_app_username), never the master user."""
    synth: Synthesized = request.getfixturevalue(profile)
    regions = {"primary": "us-east-1", "secondary": "us-west-2"}
    for role in ROLES:
        policy = synth.only("aws_iam_role_policy", f"database_connect_{role}_{role}_app_tier_instance_role")
        assert policy["role"] == synth.ref("aws_iam_role", f"{role}_app_tier_instance_role", "id")
        (statement,) = synth.data_sources("aws_iam_policy_document")[policy["policy"].split(".")[2]]["statement"]
        assert statement["actions"] == ["rds-db:connect"]
        (resource,) = statement["resources"]
        assert f":rds-db:{regions[role]}:" in resource
        assert resource.endswith(
            ":dbuser:" + synth.ref("aws_rds_cluster", f"database_{role}_cluster", "cluster_resource_id") + "/app"
        )
