"""Building blocks for construct unit tests: an empty stack, the provider pair, keys and a grantee."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cdktf import TerraformStack, Testing
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.provider import AwsProvider
from conftest import Synthesized, new_testing_app
from dr_stack.application.app_tier import AppTier, Capacity
from dr_stack.config.settings import load_settings
from dr_stack.control_plane.iam import trust_policy
from dr_stack.data_tier.credentials import DatabaseCredentials
from dr_stack.data_tier.database import GlobalDatabase
from dr_stack.data_tier.state_table import GlobalTable
from dr_stack.foundation.keys import RegionalKey
from dr_stack.foundation.network import Network
from dr_stack.foundation.providers import ROLES, DrRole, RegionalProviders, make_aws_providers
from dr_stack.naming.names import RegionNames, StackNames
from dr_stack.observability.monitoring import AlarmTopic
from dr_stack.traffic.dns import DnsFailover

REGIONS: dict[DrRole, str] = {"primary": "us-east-1", "secondary": "us-west-2"}
# The settings' defaults (dev profile): the constructs have none of their own, the stack passes every value.
DEFAULTS = load_settings(environ={})


def empty_stack(name: str = "stack") -> TerraformStack:
    """An empty stack in a fresh testing app (as the cdktf Python template's main-test.py does)."""
    return TerraformStack(new_testing_app(), name)


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
            alias_name=f"alias/unit-{role}",
            description=f"unit {role}",
        )
        for role in ROLES
    }


def grantee(stack: TerraformStack, id_: str, *, provider: AwsProvider, service: str) -> IamRole:
    """An IAM role a service can assume, to receive grants."""
    trust = trust_policy(stack, f"{id_}_trust", provider=provider, service=service)
    return IamRole(stack, id_, provider=provider, name=id_.replace("_", "-"), assume_role_policy=trust)


def synth(stack: TerraformStack) -> Synthesized:
    """The stack's JSON, parsed."""
    return Synthesized(Testing.synth(stack))


def networks_and_topics(
    stack: TerraformStack, providers: RegionalProviders, keys: dict[DrRole, RegionalKey]
) -> tuple[dict[DrRole, Network], dict[DrRole, AlarmTopic]]:
    """A two-AZ network and an alarm topic per DR role (ids ``<role>_network``, ``<role>_alarm_topic``)."""
    networks = {
        role: Network(
            stack,
            f"{role}_network",
            provider=providers.for_role(role),
            region=providers.region_of(role),
            names=RegionNames("unit", role),
            cidr="10.10.0.0/16" if role == "primary" else "10.20.0.0/16",
            key=keys[role],
            availability_zone_count=2,
            nat_gateway_per_az=DEFAULTS.nat_gateway_per_az,
            flow_log_retention_days=DEFAULTS.log_retention_days,
        )
        for role in ROLES
    }
    topics = {
        role: AlarmTopic(
            stack, f"{role}_alarm_topic", provider=providers.for_role(role), name=f"unit-{role}-alarms", key=keys[role]
        )
        for role in ROLES
    }
    return networks, topics


def app_tier(
    stack: TerraformStack,
    providers: RegionalProviders,
    keys: dict[DrRole, RegionalKey],
    networks: dict[DrRole, Network],
    topics: dict[DrRole, AlarmTopic],
    *,
    role: DrRole = "primary",
    certificate_arn: str | None = None,
    capacity: Capacity | None = None,
    alarm_period_seconds: int = 60,
) -> AppTier:
    """An app tier in ``role``'s region with the settings' defaults (id ``<role>_app_tier``)."""
    return AppTier(
        stack,
        f"{role}_app_tier",
        provider=providers.for_role(role),
        dr_role=role,
        region=providers.region_of(role),
        names=RegionNames("unit", role),
        network=networks[role],
        key=keys[role],
        alarm_topic=topics[role],
        capacity=capacity or Capacity(minimum=2, maximum=4, desired=2),
        app_name="unit",
        certificate_arn=certificate_arn,
        app_port=DEFAULTS.app_port,
        health_check_path=DEFAULTS.health_check_path,
        instance_type=DEFAULTS.app_instance_type,
        ami_ssm_parameter=DEFAULTS.app_ami_ssm_parameter,
        cpu_target_percent=DEFAULTS.app_cpu_target_percent,
        health_check_grace_seconds=DEFAULTS.app_health_check_grace_seconds,
        access_log_retention_days=DEFAULTS.alb_access_log_retention_days,
        keep_access_logs_on_destroy=True,
        deletion_protection=True,
        alarm_period_seconds=alarm_period_seconds,
        alarm_evaluation_periods=DEFAULTS.alarm_evaluation_periods,
        alb_5xx_alarm_threshold=DEFAULTS.alb_5xx_alarm_threshold,
        response_time_alarm_seconds=DEFAULTS.alb_response_time_alarm_seconds,
    )


def global_database(
    stack: TerraformStack,
    providers: RegionalProviders,
    keys: dict[DrRole, RegionalKey],
    networks: dict[DrRole, Network],
    topics: dict[DrRole, AlarmTopic],
    **options: Any,
) -> GlobalDatabase:
    """Credentials (variable mode) and a global database (id ``database``) with the settings' defaults; ``options``
    override its keyword arguments."""
    credentials = DatabaseCredentials(
        stack,
        "db_credentials",
        providers=providers,
        keys=keys,
        names=StackNames("unit"),
        description="unit",
        master_username="admin_user",
        password_source="variable",  # noqa: S106 (the mode, not a password)
        password_version=DEFAULTS.db_master_password_version,
        recovery_window_days=DEFAULTS.secret_recovery_window_days,
    )
    settings: dict[str, Any] = {
        "names": StackNames("unit"),
        "engine": "aurora-mysql",
        "engine_version": "8.0.mysql_aurora.3.08.2",
        "parameter_group_family": "aurora-mysql8.0",
        "port": 3306,
        "database_name": "unitdb",
        "instance_class": "db.serverless",
        "instance_counts": {"primary": 1, "secondary": 1},
        "log_exports": DEFAULTS.db_log_exports,
        "serverless_capacity": (DEFAULTS.db_serverless_min_capacity, DEFAULTS.db_serverless_max_capacity),
        "deletion_protection": DEFAULTS.db_deletion_protection,
        "write_forwarding": DEFAULTS.db_write_forwarding,
        "backup_retention_days": DEFAULTS.db_backup_retention_days,
        "backup_window": DEFAULTS.db_backup_window,
        "maintenance_window": DEFAULTS.db_maintenance_window,
        "monitoring_interval_seconds": DEFAULTS.db_monitoring_interval_seconds,
        "performance_insights_retention_days": DEFAULTS.db_performance_insights_retention_days,
        "replication_lag_threshold_seconds": DEFAULTS.replication_lag_threshold_seconds,
        "rpo_minutes": DEFAULTS.rpo_minutes,
        "alarm_period_seconds": DEFAULTS.alarm_period_seconds,
        "alarm_evaluation_periods": DEFAULTS.alarm_evaluation_periods,
        "replication_lag_alarm_evaluation_periods": DEFAULTS.replication_lag_alarm_evaluation_periods,
        "cpu_alarm_percent": DEFAULTS.db_cpu_alarm_percent,
        "freeable_memory_alarm_mib": DEFAULTS.db_freeable_memory_alarm_mib,
    }
    settings.update(options)
    database = GlobalDatabase(
        stack,
        "database",
        providers=providers,
        networks=networks,
        keys=keys,
        alarm_topics=topics,
        credentials=credentials,
        **settings,
    )
    credentials.store_connection(database)
    return database


@dataclass
class Wired:
    """The constructs a dashboard or the orchestrators read, built in one empty stack."""

    stack: TerraformStack
    providers: RegionalProviders
    keys: dict[DrRole, RegionalKey]
    topics: dict[DrRole, AlarmTopic]
    database: GlobalDatabase
    app_tiers: dict[DrRole, AppTier]
    state_table: GlobalTable
    dns: DnsFailover


def wired(name: str = "wired") -> Wired:
    """Keys, networks, topics, a database, an app tier per region, a state table and DNS failover without a domain."""
    stack = empty_stack(name)
    providers = provider_pair(stack)
    keys = regional_keys(stack, providers)
    networks, topics = networks_and_topics(stack, providers, keys)
    database = global_database(stack, providers, keys, networks, topics)
    tiers = {role: app_tier(stack, providers, keys, networks, topics, role=role) for role in ROLES}
    table = GlobalTable(
        stack, "state", providers=providers, keys=keys, name="unit-state", hash_key="pk", deletion_protection=True
    )
    dns = DnsFailover(
        stack,
        "dns_failover",
        providers=providers,
        app_tiers=tiers,
        alarm_topics=topics,
        us_east_1_topic_arn=topics["primary"].topic_arn,
        names=StackNames("unit"),
        global_cluster_identifier=database.global_cluster_identifier,
        health_check_path=DEFAULTS.health_check_path,
        health_check_interval_seconds=DEFAULTS.health_check_interval_seconds,
        health_check_failure_threshold=DEFAULTS.health_check_failure_threshold,
        alarm_evaluation_periods=DEFAULTS.alarm_evaluation_periods,
    )
    return Wired(stack, providers, keys, topics, database, tiers, table, dns)
