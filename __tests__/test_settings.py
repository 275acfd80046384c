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
        ({"state_backend": "gcs"}, r"state_backend must be one of cloud, local, remote, s3, got 'gcs'"),
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


# ----- every value AWS would refuse is refused at synth, all problems in one message (issue 10) -----
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        # S3 bucket naming rules, https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
        ({"state_bucket": "My_State_Bucket"}, r"state_bucket must be a valid S3 bucket name .*got 'My_State_Bucket'"),
        ({"state_bucket": "a" * 56}, r"state_bucket must give names AWS accepts.*'a{56}-replica' must be 3 to 63"),
        ({"state_bucket": "xn--state"}, r"state_bucket must be a valid S3 bucket name .*'xn--'"),
        ({"state_bucket": "sthree-state"}, r"state_bucket .*must not start with 'sthree-'"),
        ({"state_bucket": "state-s3alias"}, r"state_bucket .*must not end with '-s3alias'"),
        ({"state_bucket": "state--ol-s3"}, r"state_bucket .*must not end with '--ol-s3'"),
        ({"state_bucket": "state--x-s3"}, r"state_bucket .*must not end with '--x-s3'"),
        ({"state_bucket": "192.168.5.4"}, r"state_bucket .*must not be formatted as an IP address"),
        ({"state_bucket": "my..state"}, r"state_bucket .*two adjacent periods"),
        # DynamoDB: 3-255 of [a-zA-Z0-9_.-],
        # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html
        ({"state_lock_table": "bad name!"}, r"state_lock_table must be a valid DynamoDB table name .*got 'bad name!'"),
        ({"state_lock_table": "ab"}, r"state_lock_table .*must be 3 to 255 characters"),
        # RDS identifiers refuse two hyphens in a row (CHAP_Limits.html#RDS_Limits.Constraints)
        ({"project_name": "ab--cd"}, r"project_name must give names AWS accepts, got 'ab--cd'.*two consecutive hyph"),
        ({"project_name": "sthree-app"}, r"project_name .*got 'sthree-app'.*must not start with 'sthree-'"),
        ({"project_name": "amzn-s3-demo-app"}, r"project_name .*must not start with 'amzn-s3-demo-'"),
        # ALB names must not start with internal- (API_CreateLoadBalancer, Name)
        (
            {"project_name": "internal-app"},
            r"project_name .*load balancer name 'internal-app-dev-primary'.*internal-",
        ),
        # MasterUsername "MasterUsername admin cannot be used as it is a reserved word used by the engine"
        (
            {"db_master_username": "rdsadmin"},
            r"db_master_username must not be a name aurora-mysql reserves",
        ),
        (
            {"db_engine": "aurora-postgresql", "db_master_username": "rdsadmin"},
            r"db_master_username must not be a name aurora-postgresql reserves, got 'rdsadmin'",
        ),
        (
            {"db_engine": "aurora-postgresql", "db_master_username": "admin"},
            r"db_master_username must not be a name aurora-postgresql reserves, got 'admin'",
        ),
        (
            {"db_engine": "aurora-postgresql", "db_master_username": "select"},
            r"db_master_username must not be a name aurora-postgresql reserves, got 'select'",
        ),
        ({"db_engine": "aurora-postgresql", "db_master_username": "pg_owner"}, r"reserves, got 'pg_owner'.*pg_"),
        ({"state_backend": "cloud"}, r"tfc_organization must be set when state_backend is 'cloud'"),
        ({"tfc_project": "dr"}, r"tfc_project must be empty unless state_backend is 'cloud'"),
        (
            {"state_backend": "cloud", "tfc_organization": "acme", "tfc_workspace_prefix": "w" * 80},
            r"tfc_workspace_prefix must leave workspace names within 90 characters",
        ),
        ({"tfc_organization": "acme corp"}, r"tfc_organization must be letters, digits, '-' or '_', got 'acme corp'"),
    ],
)
def test_refuses_values_aws_refuses(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError, match=message) as refused:
        load_settings(overrides, environ={})
    assert len(refused.value.problems) == 1, refused.value.problems


@pytest.mark.parametrize(
    "overrides",
    [
        {"db_master_username": "admin"},  # reserved on aurora-postgresql only (cfn-lint #4425, tried on AWS)
        {"db_engine": "aurora-postgresql", "db_master_username": "postgres"},  # the RDS console's default
        {"state_bucket": "acme.terraform-state", "state_lock_table": "Acme_Locks.v1"},
        {"state_bucket": "a" * 55},  # its replica is exactly 63 characters
        {"project_name": "a1-b2", "resource_suffix": "blue2"},
        {"state_backend": "cloud", "tfc_organization": "acme", "tfc_project": "dr"},
    ],
)
def test_accepts_values_aws_accepts(overrides: dict[str, object]) -> None:
    assert load_settings(overrides, environ={})


def test_reserved_s3_prefix_in_project_name_is_named_with_every_rule_it_breaks() -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({"project_name": "xn--app"}, environ={})
    problems = refused.value.problems
    assert len(problems) == 2
    assert any("S3 bucket name 'xn--app-dev-primary-alb-" in p and "must not start with 'xn--'" in p for p in problems)
    assert any("two consecutive hyphens" in p for p in problems)


def test_every_problem_is_named_in_one_refusal() -> None:
    """Three bad settings (and a bad environment variable, and a budget over its objective) take one run."""
    with pytest.raises(SettingsError) as refused:
        load_settings(
            {
                "state_bucket": "My_State_Bucket",
                "project_name": "ab--cd",
                "db_master_username": "rdsadmin",
                "primary_region": "mars-1",
                "rto_minutes": 1,
            },
            environ={"DR_PRIMARY_APP_MAX_CAPACITY": "lots", "DR_ALARM_PERIDO_SECONDS": "60"},
        )
    problems = refused.value.problems
    named = " ".join(problems)
    for expected in (
        "state_bucket must be a valid S3 bucket name",
        "project_name must give names AWS accepts, got 'ab--cd'",
        "db_master_username must not be a name aurora-mysql reserves",
        "primary_region must be one of",
        "primary_app_max_capacity must be an integer, got 'lots'",
        "unknown setting 'alarm_perido_seconds'",
    ):
        assert expected in named, expected
    assert str(refused.value).startswith(f"{len(problems)} settings problems:")
    assert all(f"  - {problem}" in str(refused.value) for problem in problems)


def test_recovery_budget_refusal_is_part_of_the_same_pass() -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({"rto_minutes": 1, "rpo_minutes": 1, "db_engine": "mysql"}, environ={})
    problems = refused.value.problems
    assert any(p.startswith("settings cannot meet rto_minutes=1") for p in problems)
    assert any(p.startswith("settings cannot meet rpo_minutes=1") for p in problems)
    assert any("db_engine must be one of" in p for p in problems)


def test_lowercase_variables_are_refused_naming_the_upper_case_one() -> None:
    """Environment variables are case-sensitive on Linux: `dr_project_name` is not DR_PROJECT_NAME, and a value
    the user believes applied must not be silently ignored."""
    with pytest.raises(SettingsError, match=r"dr_project_name is not read.*rename it to DR_PROJECT_NAME"):
        load_settings(environ={"dr_project_name": "shop"})
    with pytest.raises(SettingsError, match=r"Dr_Environment is not read.*DR_ENVIRONMENT"):
        load_settings(environ={"Dr_Environment": "prod"})


def test_several_bad_settings_exit_2_naming_each_without_output(tmp_path: Path) -> None:
    outdir = tmp_path / "cdktf.out"
    env = {key: value for key, value in os.environ.items() if not key.upper().startswith("DR_")}
    env.update(
        {
            "DR_STATE_BUCKET": "My_State_Bucket",
            "DR_PROJECT_NAME": "internal-app",
            "DR_DB_MASTER_USERNAME": "rdsadmin",
            "CDKTF_OUTDIR": str(outdir),
            "PYTHONPATH": str(ROOT / "constructs"),
        }
    )
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
    assert result.stderr.startswith("error: 3 settings problems:")
    for setting in ("state_bucket", "project_name", "db_master_username"):
        assert f"setting {setting} must" in result.stderr
    assert not outdir.exists() and list(tmp_path.iterdir()) == []
