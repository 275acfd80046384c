"""Settings: precedence, profiles, and one clear refusal per bad value (no synthesis needed)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from dr_stack.settings import (
    SETTING_DOCS,
    SETTING_NAMES,
    Settings,
    SettingsError,
    load_settings,
    settings_table,
)

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_are_the_dev_profile() -> None:
    settings = load_settings(environ={})
    assert settings.environment == "dev"
    assert settings.db_instance_class == "db.serverless"
    assert settings.nat_gateway_per_az is False
    assert settings.db_engine_version == "8.0.mysql_aurora.3.08.2"


def test_prod_profile_changes_cost_and_safety_settings() -> None:
    settings = load_settings({"environment": "prod"}, environ={})
    assert settings.nat_gateway_per_az is True
    assert settings.db_deletion_protection is True
    assert settings.db_instance_class.startswith("db.r")
    assert settings.secondary_db_instance_count >= 2


def test_environment_variables_override_the_profile() -> None:
    settings = load_settings(
        environ={"DR_ENVIRONMENT": "prod", "DR_DB_DELETION_PROTECTION": "false", "DR_PRIMARY_APP_MAX_CAPACITY": "20"}
    )
    assert settings.db_deletion_protection is False
    assert settings.primary_app_max_capacity == 20


def test_overrides_win_over_environment_variables() -> None:
    settings = load_settings({"project_name": "shop"}, environ={"DR_PROJECT_NAME": "other"})
    assert settings.project_name == "shop"


def test_engine_version_follows_the_engine_when_unset() -> None:
    settings = load_settings({"db_engine": "aurora-postgresql"}, environ={})
    assert settings.db_engine_version == "16.6"
    assert settings.db_port == 5432
    assert settings.db_log_exports == ["postgresql"]


def test_audit_log_export_is_a_setting() -> None:
    assert "audit" not in load_settings(environ={}).db_log_exports
    exports = load_settings({"db_audit_log_export": True}, environ={}).db_log_exports
    assert exports == ["error", "general", "slowquery", "audit"]


def test_replication_lag_threshold_derives_from_rpo() -> None:
    assert load_settings({"rpo_minutes": 10}, environ={}).replication_lag_threshold_seconds == 120
    assert load_settings({"replication_lag_alarm_seconds": 30}, environ={}).replication_lag_threshold_seconds == 30


def test_every_setting_is_documented() -> None:
    assert set(SETTING_DOCS) == set(SETTING_NAMES)


def test_readme_settings_table_is_current() -> None:
    readme = (ROOT / "README.md").read_text()
    assert settings_table() in readme, "README settings table is stale: python scripts/readme_tables.py --write"


def test_rejects_promotion_deadline_below_allowance() -> None:
    with pytest.raises(SettingsError, match=r"failover_promotion_timeout_seconds must be >= db_promotion_allowance"):
        load_settings({"failover_promotion_timeout_seconds": 120, "db_promotion_allowance_seconds": 200}, environ={})


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"secondary_region": "us-east-1"}, r"secondary_region must differ from primary_region, got 'us-east-1'"),
        ({"primary_region": "us-central-9"}, r"primary_region must be one of .*got 'us-central-9'"),
        ({"primary_vpc_cidr": "10.10.0.0/33"}, r"primary_vpc_cidr must be an IPv4 network.*got '10.10.0.0/33'"),
        ({"primary_vpc_cidr": "10.10.0.1/16"}, r"primary_vpc_cidr must be an IPv4 network"),
        ({"secondary_vpc_cidr": "8.8.0.0/16"}, r"secondary_vpc_cidr must be a private .* got '8.8.0.0/16'"),
        ({"secondary_vpc_cidr": "10.10.128.0/17"}, r"secondary_vpc_cidr must not overlap primary_vpc_cidr"),
        ({"resource_suffix": "Blue_1"}, r"resource_suffix must be empty or up to 8 lowercase .* got 'Blue_1'"),
        ({"resource_suffix": "abcdefghij"}, r"resource_suffix must be empty or up to 8"),
        ({"environment": "staging"}, r"environment must be one of dev, prod, got 'staging'"),
        ({"primary_app_min_capacity": -1}, r"primary_app_min_capacity must be an integer from 0 to 1000, got -1"),
        (
            {"secondary_app_min_capacity": 5, "secondary_app_max_capacity": 2},
            r"secondary_app_min_capacity must be <= secondary_app_max_capacity \(2\), got 5",
        ),
        ({"primary_app_desired_capacity": 9}, r"primary_app_desired_capacity must be between"),
        ({"db_instance_class": "db.t3.medium"}, r"db_instance_class must be a memory-optimized class .*db.t3.medium"),
        ({"db_instance_class": "db.m5.large"}, r"db_instance_class must be a memory-optimized class"),
        ({"db_serverless_min_capacity": 0}, r"db_serverless_min_capacity must be a number from 0.5"),
        ({"db_backup_retention_days": 3}, r"db_backup_retention_days must be an integer from 7 to 35, got 3"),
        ({"db_monitoring_interval_seconds": 7}, r"db_monitoring_interval_seconds must be one of"),
        ({"db_performance_insights_retention_days": 8}, r"db_performance_insights_retention_days must be 7"),
        ({"db_engine": "mysql"}, r"db_engine must be one of aurora-mysql, aurora-postgresql, got 'mysql'"),
        (
            {"db_engine": "aurora-postgresql", "db_engine_version": "8.0.mysql_aurora.3.08.2"},
            r"db_engine_version must be a version of aurora-postgresql",
        ),
        ({"health_check_interval_seconds": 15}, r"health_check_interval_seconds must be one of 10, 30, got 15"),
        ({"health_check_path": "health"}, r"health_check_path must be a URL path"),
        ({"domain_name": "app.example.com"}, r"hosted_zone_name must be set when domain_name is set"),
        (
            {"domain_name": "app.example.com", "hosted_zone_name": "example.org"},
            r"domain_name must be inside hosted_zone_name",
        ),
        ({"alarm_email": "not-an-address"}, r"alarm_email must be empty or an e-mail address"),
        ({"state_backend": "remote"}, r"tfc_organization and tfc_workspace_prefix must be set"),
        ({"state_backend": "gcs"}, r"state_backend must be one of local, remote, s3, got 'gcs'"),
        ({"project_name": "My App"}, r"project_name must be 3-20 lowercase"),
        ({"failover_promotion_timeout_seconds": 900}, r"failover_promotion_timeout_seconds must be an integer"),
    ],
)
def test_rejects_bad_setting(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(overrides, environ={})


def test_rejects_unknown_setting_from_environment() -> None:
    with pytest.raises(SettingsError, match=r"unknown setting 'primary_regoin'.*did you mean 'primary_region'"):
        load_settings(environ={"DR_PRIMARY_REGOIN": "eu-west-1"})


def test_rejects_unknown_setting_override() -> None:
    with pytest.raises(SettingsError, match=r"unknown setting 'asg_min_size'"):
        load_settings({"asg_min_size": 1}, environ={})


def test_rejects_non_numeric_environment_value() -> None:
    with pytest.raises(SettingsError, match=r"primary_app_max_capacity must be an integer, got 'lots'"):
        load_settings(environ={"DR_PRIMARY_APP_MAX_CAPACITY": "lots"})


def test_rejects_non_boolean_environment_value() -> None:
    with pytest.raises(SettingsError, match=r"nat_gateway_per_az must be true or false, got 'maybe'"):
        load_settings(environ={"DR_NAT_GATEWAY_PER_AZ": "maybe"})


def test_settings_are_immutable() -> None:
    settings = load_settings(environ={})
    with pytest.raises(AttributeError):
        settings.project_name = "other"  # type: ignore[misc]
    assert isinstance(settings, Settings)


def test_bad_setting_exits_nonzero_without_partial_output(tmp_path: Path) -> None:
    outdir = tmp_path / "cdktf.out"
    env = {key: value for key, value in os.environ.items() if not key.startswith("DR_")}
    env.update({"DR_ENVIRONMENT": "staging", "CDKTF_OUTDIR": str(outdir), "PYTHONPATH": str(ROOT / "constructs")})
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.count("error:") == 1
    assert "setting environment must be one of dev, prod, got 'staging'" in result.stderr
    assert not outdir.exists()
    assert not (tmp_path / "cdktf.out").exists()
