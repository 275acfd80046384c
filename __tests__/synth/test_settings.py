"""Settings: precedence, profiles, and one clear refusal per bad value (no synthesis needed)."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from dr_stack.config.settings import (
    SETTING_DOCS,
    SETTING_NAMES,
    Settings,
    SettingsError,
    load_settings,
    settings_table,
)

ROOT = Path(__file__).resolve().parents[2]


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


def test_protection_from_destroy_is_a_setting_on_in_prod_only() -> None:
    """What a teardown may delete follows the profile through settings (dev is torn down often), never through
    the environment's name in a construct, so a dev stack can keep its logs and a prod one can opt out."""
    protection = (
        "db_deletion_protection",
        "alb_deletion_protection",
        "alb_access_log_keep_on_destroy",
        "run_report_keep_on_destroy",
    )
    dev, prod = load_settings(environ={}), load_settings({"environment": "prod"}, environ={})
    assert [getattr(dev, name) for name in protection] == [False] * len(protection)
    assert [getattr(prod, name) for name in protection] == [True] * len(protection)
    kept = load_settings(environ={"DR_RUN_REPORT_KEEP_ON_DESTROY": "true", "DR_ALB_ACCESS_LOG_KEEP_ON_DESTROY": "1"})
    assert kept.run_report_keep_on_destroy is kept.alb_access_log_keep_on_destroy is True


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


def test_settings_reference_table_is_current() -> None:
    reference = (ROOT / "docs" / "settings.md").read_text()
    assert settings_table() in reference, "docs/settings.md is stale: python scripts/docs_tables.py --write"


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
        (
            {"db_instance_class": "db.t3.medium"},
            r"db_instance_class must be db.serverless or a memory-optimized .*db.t3",
        ),
        ({"db_instance_class": "db.m5.large"}, r"db_instance_class must be db.serverless or a memory-optimized class"),
        ({"db_serverless_min_capacity": 0}, r"db_serverless_min_capacity must be a number from 0.5"),
        ({"db_backup_retention_days": 0}, r"db_backup_retention_days must be an integer from 1 to 35, got 0"),
        ({"db_monitoring_interval_seconds": 7}, r"db_monitoring_interval_seconds must be one of"),
        ({"db_performance_insights_retention_days": 8}, r"db_performance_insights_retention_days must be 7"),
        ({"db_engine": "mysql"}, r"db_engine must be one of aurora-mysql, aurora-postgresql, got 'mysql'"),
        (
            {"db_engine": "aurora-postgresql", "db_engine_version": "8.0.mysql_aurora.3.08.2"},
            r"db_engine_version must be an Aurora PostgreSQL release .* for db_engine aurora-postgresql",
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


def run_main(tmp_path: Path, settings: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Run ``main.py`` as a user would, with only ``settings`` as DR_* variables; the result and its outdir."""
    outdir = tmp_path / "cdktf.out"
    env = {key: value for key, value in os.environ.items() if not key.upper().startswith("DR_")}
    env.update({**settings, "CDKTF_OUTDIR": str(outdir), "PYTHONPATH": str(ROOT / "constructs")})
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return result, outdir


def test_bad_setting_exits_nonzero_without_partial_output(tmp_path: Path) -> None:
    result, outdir = run_main(tmp_path, {"DR_ENVIRONMENT": "staging"})
    assert result.returncode == 2
    assert result.stderr.count("error:") == 1
    assert "setting environment must be one of dev, prod, got 'staging'" in result.stderr
    assert not outdir.exists()
    assert not (tmp_path / "cdktf.out").exists()


# ----- every value AWS would refuse is refused at synth, all problems in one message -----
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
        # The app's IAM-authenticated user is a database user like the master: the same reserved names apply
        # (RDS User Guide, "Creating a database account using IAM authentication"), and it is not the master.
        ({"db_app_username": "DBAdmin"}, r"db_app_username must differ from db_master_username, got 'DBAdmin'"),
        (
            {"db_engine": "aurora-postgresql", "db_app_username": "rds_app"},
            r"db_app_username must not be a name aurora-postgresql reserves, got 'rds_app'",
        ),
        ({"db_app_username": "1app"}, r"db_app_username must be a letter then up to 15"),
        ({"state_backend": "cloud"}, r"tfc_organization must be set when state_backend is 'cloud'"),
        ({"tfc_project": "dr-ops"}, r"tfc_project must be empty unless state_backend is 'cloud'"),
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
        {"state_backend": "cloud", "tfc_organization": "acme", "tfc_project": "dr-ops"},
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
    result, outdir = run_main(
        tmp_path,
        {"DR_STATE_BUCKET": "My_State_Bucket", "DR_PROJECT_NAME": "internal-app", "DR_DB_MASTER_USERNAME": "rdsadmin"},
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: 3 settings problems:")
    for setting in ("state_bucket", "project_name", "db_master_username"):
        assert f"setting {setting} must" in result.stderr
    assert not outdir.exists() and list(tmp_path.iterdir()) == []


# ----- values that used to pass synth and that AWS refuses at deploy -----
X86_AMI = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
ARM_AMI = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"


@pytest.mark.parametrize("instance_type", ["t4g.small", "m7g.large", "c7gn.xlarge", "r8g.large", "a1.medium"])
def test_rejects_graviton_instance_type_with_the_default_x86_ami(instance_type: str) -> None:
    """EC2 refuses an instance whose type's architecture is not the AMI's ("The architecture 'arm64' of the
    specified instance type does not match the architecture 'x86_64' of the specified AMI"); attribute `g` in an
    instance type name means AWS Graviton (https://docs.aws.amazon.com/ec2/latest/instancetypes/instance-type-names.html)."""
    with pytest.raises(
        SettingsError,
        match=rf"settings app_instance_type and app_ami_ssm_parameter must name the same CPU architecture, got "
        rf"'{instance_type}' \(arm64, AWS Graviton\) with '{X86_AMI}' \(x86_64\): set app_ami_ssm_parameter to "
        rf"'{ARM_AMI}'",
    ):
        load_settings({"app_instance_type": instance_type}, environ={})


def test_rejects_x86_instance_type_with_an_arm64_ami() -> None:
    with pytest.raises(SettingsError, match=r"got 'm6i.large' \(x86_64\) with .*arm64.*\(arm64\)"):
        load_settings({"app_instance_type": "m6i.large", "app_ami_ssm_parameter": ARM_AMI}, environ={})


@pytest.mark.parametrize(
    "overrides",
    [
        {"app_instance_type": "t4g.small", "app_ami_ssm_parameter": ARM_AMI},
        {"app_instance_type": "m7i-flex.large"},
        {"app_instance_type": "g4dn.xlarge"},  # `g` is the series here (GPU, x86_64), not the Graviton attribute
        {"app_instance_type": "c5.metal"},
    ],
)
def test_accepts_instance_types_matching_the_ami(overrides: dict[str, object]) -> None:
    assert load_settings(overrides, environ={}).app_instance_type == overrides["app_instance_type"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"app_instance_type": "banana"}, r"app_instance_type must be an EC2 instance type <family>.<size>.*'banana'"),
        ({"app_instance_type": ""}, r"app_instance_type must be an EC2 instance type .*got ''"),
        ({"app_instance_type": "t3.huge"}, r"app_instance_type must be an EC2 instance type .*got 't3.huge'"),
        # SSM parameter names: letters, digits, _.- in up to 15 levels (sysman-paramstore-su-create.html)
        ({"app_ami_ssm_parameter": "ami-123"}, r"app_ami_ssm_parameter must be an SSM parameter path .*'ami-123'"),
        ({"app_ami_ssm_parameter": ""}, r"app_ami_ssm_parameter must be an SSM parameter path .*got ''"),
        ({"app_ami_ssm_parameter": "/a" * 16}, r"app_ami_ssm_parameter must be an SSM parameter path .*15"),
        ({"app_ami_ssm_parameter": "/aws/service//x"}, r"app_ami_ssm_parameter must be an SSM parameter path"),
    ],
)
def test_rejects_malformed_app_instance_settings(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(overrides, environ={})


@pytest.mark.parametrize(
    ("engine", "version", "family"),
    [
        ("aurora-postgresql", "15.8", "aurora-postgresql15"),
        ("aurora-postgresql", "13.12", "aurora-postgresql13"),
        ("aurora-postgresql", "16.6", "aurora-postgresql16"),
        ("aurora-mysql", "8.0.mysql_aurora.3.05.2", "aurora-mysql8.0"),
    ],
)
def test_parameter_group_family_follows_the_pinned_version(engine: str, version: str, family: str) -> None:
    """RDS refuses a parameter group of another family than the cluster's engine version ("DBParameterGroupFamily
    aurora-postgresql16 can't be used for this instance. Use a parameter group with DBParameterGroupFamily
    aurora-postgresql15"); Aurora PostgreSQL families are aurora-postgresql<major>."""
    settings = load_settings({"db_engine": engine, "db_engine_version": version}, environ={})
    assert settings.db_parameter_group_family == family


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        # Aurora MySQL version 2 (5.7): end of standard support 31 October 2024 (Aurora.MySQL57.EOL.html)
        ({"db_engine_version": "5.7.mysql_aurora.2.12.3"}, r"db_engine_version must be an Aurora MySQL version 3"),
        ({"db_engine_version": "banana"}, r"db_engine_version must be an Aurora MySQL version 3 .*got 'banana'"),
        (
            {"db_engine": "aurora-postgresql", "db_engine_version": "banana"},
            r"db_engine_version must be an Aurora PostgreSQL release .*got 'banana'",
        ),
        ({"db_engine": "aurora-postgresql", "db_engine_version": "10.21"}, r"major 11 or newer.*got '10.21'"),
        ({"db_engine": "aurora-postgresql", "db_engine_version": "16"}, r"Aurora PostgreSQL release .*got '16'"),
    ],
)
def test_rejects_engine_versions_rds_does_not_have(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(overrides, environ={})


@pytest.mark.parametrize("prefix", ["", "tf/", "/tf", "a//b", "a b", "a/../b"])
def test_rejects_state_key_prefix_the_s3_backend_refuses(prefix: str) -> None:
    """Terraform's S3 backend refuses a key starting or ending with '/' or containing '//' (hashicorp/terraform
    #15738, #23965, #33869); the key is <prefix>/<environment>/<stack>.tfstate."""
    with pytest.raises(
        SettingsError, match=rf"setting state_key_prefix must be a non-empty S3 key prefix.*got '{re.escape(prefix)}'"
    ):
        load_settings({"state_key_prefix": prefix}, environ={})


def test_rejects_state_key_prefix_from_an_empty_variable() -> None:
    with pytest.raises(SettingsError, match=r"state_key_prefix must be a non-empty"):
        load_settings(environ={"DR_STATE_KEY_PREFIX": ""})


def test_accepts_nested_state_key_prefix() -> None:
    assert load_settings({"state_key_prefix": "teams/dr-stack"}, environ={}).state_key_prefix == "teams/dr-stack"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        # CreateDBCluster PreferredBackupWindow: "Must be at least 30 minutes." "Must not conflict with the
        # preferred maintenance window." PreferredMaintenanceWindow: "Minimum 30-minute window."
        ({"db_backup_window": "03:00-03:10"}, r"db_backup_window must be .*at least 30 minutes.*'03:00-03:10'"),
        (
            {"db_maintenance_window": "sun:05:00-sun:05:05"},
            r"db_maintenance_window must be .*at least 30 minutes.*'sun:05:00-sun:05:05'",
        ),
        (
            {"db_backup_window": "05:00-06:00"},
            r"db_backup_window must not overlap db_maintenance_window \(sun:05:00-sun:06:00\), got '05:00-06:00'",
        ),
        (
            {"db_backup_window": "04:30-05:30"},
            r"db_backup_window must not overlap db_maintenance_window",
        ),
        (  # crosses midnight into Monday's backup window
            {"db_maintenance_window": "sun:23:30-mon:03:15"},
            r"db_backup_window must not overlap db_maintenance_window \(sun:23:30-mon:03:15\)",
        ),
    ],
)
def test_rejects_windows_rds_refuses(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(overrides, environ={})


def test_accepts_adjacent_and_midnight_crossing_windows() -> None:
    settings = load_settings(
        {"db_backup_window": "23:45-00:15", "db_maintenance_window": "sun:00:15-sun:01:00"}, environ={}
    )
    assert settings.db_backup_window == "23:45-00:15"
    assert load_settings({"db_backup_window": "04:00-05:00"}, environ={})  # ends as the maintenance window starts


@pytest.mark.parametrize(
    "instance_class",
    [
        "db.r6g.medium",  # no medium, small or metal memory-optimized Aurora classes
        "db.r7g.metal",
        "db.r5b.large",  # RDS-only families (RDS for MySQL/Oracle), absent from Aurora's table
        "db.r5d.large",
        "db.x1e.xlarge",
        "db.x2iedn.xlarge",
        "db.r5.banana",
        "db.r4.large",  # not in Aurora MySQL 3; global databases recommend db.r5 or higher
        "db.t4g.medium",  # burstable: not memory-optimized
        "db.m6g.large",  # general-purpose
        "db.r6g",
    ],
)
def test_rejects_instance_classes_aurora_global_databases_cannot_use(instance_class: str) -> None:
    """Aurora's memory-optimized classes (Concepts.DBInstanceClass.SupportAurora.html); an Aurora global database
    requires memory-optimized classes (aurora-global-database.configuration.requirements.html)."""
    with pytest.raises(SettingsError, match=rf"setting db_instance_class must be .*got '{re.escape(instance_class)}'"):
        load_settings({"environment": "prod", "db_instance_class": instance_class}, environ={})


@pytest.mark.parametrize(
    "instance_class",
    [
        "db.serverless",
        "db.r5.large",
        "db.r5.24xlarge",
        "db.r6g.16xlarge",
        "db.r6gd.xlarge",
        "db.r6i.32xlarge",
        "db.r6id.32xlarge",
        "db.r7g.large",
        "db.r7i.48xlarge",
        "db.r8g.48xlarge",
        "db.r8gd.large",  # was refused (Optimized Reads "from xlarge"), though RDS lists db.r8gd.large
        "db.r8gd.48xlarge",
        "db.x2g.12xlarge",  # listed for Aurora MySQL and PostgreSQL in Aurora's table
        "db.x2g.16xlarge",
    ],
)
def test_accepts_every_class_of_the_documented_families(instance_class: str) -> None:
    """Families from Aurora's "Supported DB engines for DB instance classes" table (db.serverless, x2g, r8gd, r8g,
    r7i, r7g, r6id, r6i, r6gd, r6g, r5); sizes differ by engine version and region and AWS adds them, so every
    large/xlarge/<n>xlarge size of a listed family is accepted and RDS has the last word on a size."""
    settings = load_settings({"environment": "prod", "db_instance_class": instance_class}, environ={})
    assert settings.db_instance_class == instance_class


def test_primary_cluster_is_limited_to_fifteen_instances() -> None:
    """A global database's primary cluster has one writer and at most 15 - s Aurora Replicas (s secondary regions,
    here 1); a secondary cluster up to 16 (aurora-global-database.configuration.requirements.html)."""
    assert load_settings({"primary_db_instance_count": 15, "secondary_db_instance_count": 16}, environ={})
    with pytest.raises(SettingsError, match=r"primary_db_instance_count must be an integer from 2 to 15, got 16"):
        load_settings({"primary_db_instance_count": 16}, environ={})


@pytest.mark.parametrize("raw", ["nan", "inf", "-inf", "NaN"])
def test_rejects_non_finite_numbers(raw: str) -> None:
    with pytest.raises(SettingsError, match=rf"alb_response_time_alarm_seconds must be a finite number, got '{raw}'"):
        load_settings(environ={"DR_ALB_RESPONSE_TIME_ALARM_SECONDS": raw})
    with pytest.raises(SettingsError, match=r"db_serverless_max_capacity must be a finite number"):
        load_settings({"db_serverless_max_capacity": float(raw)}, environ={})


def test_rejects_negative_response_time_threshold() -> None:
    with pytest.raises(SettingsError, match=r"alb_response_time_alarm_seconds must be a number of seconds greater"):
        load_settings({"alb_response_time_alarm_seconds": -1}, environ={})


def test_nan_setting_exits_2_without_traceback_or_output(tmp_path: Path) -> None:
    """JSON cannot carry NaN: before the rule, synth died inside jsii with a Node SyntaxError and exit 1."""
    result, _ = run_main(tmp_path, {"DR_ALB_RESPONSE_TIME_ALARM_SECONDS": "nan"})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "setting alb_response_time_alarm_seconds must be a finite number, got 'nan'" in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        # DBName: "Can't be a word reserved by the database engine" (API_CreateDBInstance.html)
        ({"db_name": "select"}, r"db_name must not be a name aurora-mysql reserves, got 'select'"),
        ({"db_name": "mysql"}, r"db_name must not be a name aurora-mysql reserves, got 'mysql'"),
        ({"db_engine": "aurora-postgresql", "db_name": "template0"}, r"aurora-postgresql reserves, got 'template0'"),
        ({"db_engine": "aurora-postgresql", "db_name": "select"}, r"aurora-postgresql reserves, got 'select'"),
        # Aurora PostgreSQL: 1 to 63 characters; Aurora MySQL: 1 to 64
        ({"db_engine": "aurora-postgresql", "db_name": "a" * 64}, r"db_name must be at most 63 characters"),
        ({"db_name": "a" * 65}, r"db_name must be a letter then up to 63"),
        ({"db_name": "1db"}, r"db_name must be a letter"),
    ],
)
def test_rejects_database_names_rds_refuses(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(overrides, environ={})


def test_accepts_long_database_names_within_each_engine_limit() -> None:
    assert load_settings({"db_name": "a" * 64}, environ={})
    assert load_settings({"db_engine": "aurora-postgresql", "db_name": "a" * 63}, environ={})


@pytest.mark.parametrize("project", ["x", "my/proj!", "a" * 41, " lead", "trail ", "ab"])
def test_rejects_tfc_project_names_hcp_terraform_refuses(project: str) -> None:
    """HCP Terraform project names: letters, numbers, inner spaces, hyphens and underscores, 3 to 40 characters."""
    with pytest.raises(
        SettingsError, match=rf"tfc_project must be 3-40 letters, digits, inner spaces.*got '{re.escape(project)}'"
    ):
        load_settings({"state_backend": "cloud", "tfc_organization": "acme", "tfc_project": project}, environ={})


def test_accepts_tfc_project_with_inner_spaces() -> None:
    overrides = {"state_backend": "cloud", "tfc_organization": "acme", "tfc_project": "Disaster Recovery_2"}
    assert load_settings(overrides, environ={}).tfc_project == "Disaster Recovery_2"


@pytest.mark.parametrize(
    "cidr", ["127.0.0.0/16", "169.254.0.0/16", "0.0.0.0/16", "240.0.0.0/16", "198.18.0.0/16", "100.64.0.0/16"]
)
def test_rejects_vpc_ranges_outside_rfc1918(cidr: str) -> None:
    """RFC 1918 private ranges are 10/8, 172.16/12 and 192.168/16 (RFC 1918 section 3, vpc-cidr-blocks.html)."""
    with pytest.raises(SettingsError, match=rf"primary_vpc_cidr must be a private \(RFC 1918.*got '{cidr}'"):
        load_settings({"primary_vpc_cidr": cidr}, environ={})


def test_accepts_each_rfc1918_range() -> None:
    for primary, secondary in (("172.16.0.0/16", "192.168.0.0/16"), ("10.0.0.0/16", "172.31.0.0/16")):
        assert load_settings({"primary_vpc_cidr": primary, "secondary_vpc_cidr": secondary}, environ={})


def test_rejects_three_zones_in_a_two_zone_region() -> None:
    with pytest.raises(SettingsError, match=r"availability_zone_count must be 2 when .*\(us-west-1\), got 3"):
        load_settings({"secondary_region": "us-west-1"}, environ={})
    assert load_settings({"secondary_region": "us-west-1", "availability_zone_count": 2}, environ={})


@pytest.mark.parametrize("suffix", ["dev", "prod"])
def test_rejects_suffix_named_like_an_environment(suffix: str) -> None:
    """project `shop-prod` in dev and project `shop` in prod with suffix `dev` both made `shop-prod-dev`: every
    derived name (state bucket, lock table, clusters) would be shared by two copies."""
    with pytest.raises(SettingsError, match=rf"resource_suffix must be .*not an environment name.*got '{suffix}'"):
        load_settings({"project_name": "shop", "environment": "prod", "resource_suffix": suffix}, environ={})


def test_two_accepted_configurations_never_share_a_name_prefix() -> None:
    projects = ["shop", "shop-dev", "shop-prod", "shop-prod-dev", "shop-x", "shop-x-dev"]
    suffixes = ["", "x", "dev", "prod", "blue2"]
    seen: dict[str, tuple[str, str, str]] = {}
    for project in projects:
        for environment in ("dev", "prod"):
            for suffix in suffixes:
                config = {"project_name": project, "environment": environment, "resource_suffix": suffix}
                try:
                    prefix = load_settings(config, environ={}).name_prefix
                except SettingsError:
                    continue
                assert prefix not in seen, (config, seen.get(prefix))
                seen[prefix] = (project, environment, suffix)
    assert len(seen) == len(projects) * 2 * 3  # the three suffixes that are not environment names


@pytest.mark.parametrize("period", [60, 120, 180, 900])
def test_accepts_every_alarm_period_of_a_standard_resolution_metric(period: int) -> None:
    """PutMetricAlarm Period: "Valid values are 10, 20, 30, and any multiple of 60"; the alarms this setting
    drives read one-minute AWS/RDS metrics, so the multiples of 60; the RPO budget still holds."""
    settings = load_settings({"alarm_period_seconds": period, "rpo_minutes": 60}, environ={})
    assert settings.alarm_period_seconds == period


@pytest.mark.parametrize("period", [0, 10, 15, 20, 30, 45, 90, 604_860])
def test_rejects_alarm_periods_cloudwatch_refuses_or_the_metric_cannot_fill(period: int) -> None:
    """10, 20 and 30 are valid only "for metrics that are stored by a PutMetricData call with a StorageResolution
    of 1"; on a one-minute metric the alarm "might often lapse into INSUFFICIENT_DATA" (API_PutMetricAlarm)."""
    with pytest.raises(SettingsError, match=rf"alarm_period_seconds must be a multiple of 60 .*got {period}"):
        load_settings({"alarm_period_seconds": period, "rpo_minutes": 1440}, environ={})


def test_rejects_alarm_range_longer_than_a_week() -> None:
    """PutMetricAlarm: "Period multiplied by EvaluationPeriods can't be more than 604,800 seconds"."""
    overrides = {"alarm_period_seconds": 86_400, "alarm_evaluation_periods": 8, "rpo_minutes": 1440}
    with pytest.raises(SettingsError) as refused:
        load_settings(overrides, environ={})
    assert any(
        "alarm_evaluation_periods must keep alarm_period_seconds (86400) x periods within 604800 seconds" in problem
        and problem.endswith("got 8")
        for problem in refused.value.problems
    ), refused.value.problems


def test_longer_alarm_period_still_has_to_fit_the_recovery_point_budget() -> None:
    with pytest.raises(SettingsError, match=r"settings cannot meet rpo_minutes=5"):
        load_settings({"alarm_period_seconds": 120}, environ={})


def test_accepts_short_backup_retention() -> None:
    """BackupRetentionPeriod: "Must be a value from 1 to 35" (API_CreateDBCluster.html)."""
    assert load_settings({"db_backup_retention_days": 1}, environ={}).db_backup_retention_days == 1


# ----- the settings a rule or budget term reads: recorded, never listed by hand -----
def _perturbed(settings: Settings, name: str) -> list[Settings]:
    """Other values of one setting (unvalidated: the rules and terms only compute with them)."""
    value = getattr(settings, name)
    if isinstance(value, bool):
        candidates: list[Any] = [not value]
    elif isinstance(value, int | float):
        candidates = [value + 1, value * 2 + 7]
    elif name.endswith("_region"):
        candidates = [region for region in ("us-east-1", "eu-west-1", "us-west-1") if region != value]
    else:
        return []
    return [dataclasses.replace(settings, **{name: candidate}) for candidate in candidates]


_BASES: tuple[dict[str, Any], ...] = (
    {},
    {"environment": "prod"},
    {"environment": "prod", "failover_automatic": True, "failover_decision_allowance_seconds": 0},
    {"failover_automatic": True, "primary_region": "eu-west-1", "secondary_region": "eu-central-1"},
    {"replication_lag_alarm_seconds": 30, "secondary_app_min_capacity": 2, "secondary_app_desired_capacity": 2},
)


def test_a_budget_term_names_every_setting_that_changes_it() -> None:
    """A budget term's settings are those its computation reads: changing any other setting leaves its seconds
    as they were, so a refusal's "change X or Y" never leaves out the setting that would help."""
    from dr_stack.config.budget import data_loss_budget, recovery_time_budget

    def terms(settings: Settings) -> dict[str, tuple[int, tuple[str, ...]]]:
        budgets = (recovery_time_budget(settings), data_loss_budget(settings))
        return {term.name: (term.seconds, term.settings) for budget in budgets for term in budget.terms}

    for base in _BASES:
        settings = load_settings(base, environ={})
        before = terms(settings)
        for name in SETTING_NAMES:
            for other in _perturbed(settings, name):
                for term, seconds in ((term, terms(other)[term][0]) for term in before):
                    if name not in before[term][1]:
                        assert seconds == before[term][0], (base, term, name)


def test_a_rule_reading_a_setting_changes_only_with_the_settings_it_reads() -> None:
    """Each cross-setting rule's verdict changes only with a setting recorded as read: the record that decides
    whether the verdict counts (every setting read passed its own rule) is complete."""
    from dr_stack.config.setting_reads import SettingsReads
    from dr_stack.config.settings import CROSS_FIELD_RULES

    def verdict(rule: Any, settings: Settings) -> tuple[object, tuple[str, ...]]:
        reads = SettingsReads(settings)
        try:
            found: object = rule(reads)
        except Exception as error:  # an unvalidated value the rule cannot parse: a verdict too
            found = type(error)
        return found, reads.names

    for base in _BASES:
        settings = load_settings(base, environ={})
        for rule in CROSS_FIELD_RULES:
            found, read = verdict(rule, settings)
            for name in (n for n in SETTING_NAMES if n not in read):
                for other in _perturbed(settings, name):
                    assert verdict(rule, other)[0] == found, (base, rule, name)


def test_reads_through_properties_and_methods_are_recorded() -> None:
    from dr_stack.config.setting_reads import recorded

    settings = load_settings(environ={})
    assert recorded(lambda s: s.replication_lag_threshold_seconds, settings) == (
        60,
        ("replication_lag_alarm_seconds", "rpo_minutes"),
    )
    assert recorded(lambda s: s.app_capacity("primary"), settings)[1] == (
        "primary_app_min_capacity",
        "primary_app_desired_capacity",
        "primary_app_max_capacity",
    )


def test_a_rule_is_not_judged_on_a_value_its_setting_refused() -> None:
    """probe_interval_seconds outside the probe's periods is refused by its own rule; the recovery budget, which
    reads it with automatic failover on, is not computed from the refused value (one problem, not two)."""
    with pytest.raises(SettingsError) as refused:
        load_settings({"failover_automatic": True, "probe_interval_seconds": 3000}, environ={})
    assert len(refused.value.problems) == 1
    assert refused.value.problems[0].startswith("setting probe_interval_seconds must be one of")
