"""Bad-input families: engine versions and their features, alarm periods, instance and image architecture,
certificate and domain names, maintenance windows. Each rule is checked with a value AWS accepts and one it
refuses (or that would make a stack AWS accepts but that cannot work), citing the AWS source."""

from __future__ import annotations

from typing import Any

import pytest
from dr_stack.config.settings import Settings, SettingsError, load_settings

PROVISIONED = {"db_instance_class": "db.r6g.large"}
PG = {"db_engine": "aurora-postgresql"}


def _load(overrides: dict[str, Any]) -> Settings:
    return load_settings(overrides, environ={})


# ----- engine versions: global databases, Serverless v2, write forwarding -----
@pytest.mark.parametrize(
    "overrides",
    [
        {**PG, **PROVISIONED, "db_engine_version": "11.9"},
        {**PG, **PROVISIONED, "db_engine_version": "12.7"},
        {**PG, **PROVISIONED, "db_engine_version": "13.3"},
        {**PROVISIONED, "db_engine_version": "8.0.mysql_aurora.3.01.0"},
    ],
)
def test_accepts_the_oldest_releases_aurora_global_databases_support(overrides: dict[str, Any]) -> None:
    """ "Supported Regions and DB engines for Aurora global databases": Aurora MySQL 3.01.0 and higher; Aurora
    PostgreSQL 11.9 and 11.12, 12.7, 13.3 and higher (AuroraUserGuide, Concepts.Aurora_Fea_Regions_DB-eng)."""
    assert _load(overrides).db_engine_version == overrides["db_engine_version"]


@pytest.mark.parametrize(
    ("overrides", "version"),
    [
        ({**PG, **PROVISIONED, "db_engine_version": "11.10"}, "11.10"),
        ({**PG, **PROVISIONED, "db_engine_version": "12.6"}, "12.6"),
        ({**PROVISIONED, "db_engine_version": "8.0.mysql_aurora.3.00.0"}, "8.0.mysql_aurora.3.00.0"),
    ],
)
def test_refuses_releases_without_global_databases(overrides: dict[str, Any], version: str) -> None:
    with pytest.raises(
        SettingsError, match=rf"db_engine_version must be a release of .* that Aurora global .*{version}"
    ):
        _load(overrides)


@pytest.mark.parametrize(
    "overrides",
    [
        {**PG, "db_engine_version": "13.6"},
        {**PG, "db_engine_version": "17.4"},
        {"db_engine_version": "8.0.mysql_aurora.3.02.0"},
        # A provisioned class needs no Serverless v2 support: 12.9 is a global-database release.
        {**PG, **PROVISIONED, "db_engine_version": "12.9"},
    ],
)
def test_accepts_releases_with_serverless_v2(overrides: dict[str, Any]) -> None:
    """ "Supported Regions and Aurora DB engines for Aurora Serverless v2": Aurora MySQL 3.02.0 and higher; Aurora
    PostgreSQL 13.6, 14.3, 15.2, 16.1, 17.4 and higher (AuroraUserGuide, Concepts.Aurora_Fea_Regions_DB-eng)."""
    assert _load(overrides).db_engine_version == overrides["db_engine_version"]


@pytest.mark.parametrize(
    "overrides",
    [
        {**PG, "db_engine_version": "12.9"},  # no Aurora PostgreSQL 12 release has Serverless v2
        {**PG, "db_engine_version": "13.5"},
        {"db_engine_version": "8.0.mysql_aurora.3.01.1"},
    ],
)
def test_refuses_serverless_on_releases_without_serverless_v2(overrides: dict[str, Any]) -> None:
    with pytest.raises(SettingsError, match=r"db_engine_version must be a release of .* with Aurora Serverless v2"):
        _load(overrides)


def test_write_forwarding_follows_the_release() -> None:
    """Aurora PostgreSQL global write forwarding: "version 16 and higher major versions ... all minor versions",
    "15.4 and higher ... 14.9 and higher"; Aurora MySQL "2.08.1 and higher" (AuroraUserGuide,
    aurora-global-database-write-forwarding-apg.html and -ams.html)."""
    assert _load({**PG, "db_engine_version": "14.9", "db_write_forwarding": True}).db_write_forwarding
    assert _load({"db_engine_version": "8.0.mysql_aurora.3.02.0", "db_write_forwarding": True}).db_write_forwarding
    with pytest.raises(SettingsError, match=r"db_write_forwarding must be false for aurora-postgresql '14.6'"):
        _load({**PG, "db_engine_version": "14.6", "db_write_forwarding": True})


# ----- alarm periods -----
def test_alarm_period_of_a_minute_is_accepted_and_ten_seconds_refused() -> None:
    """PutMetricAlarm: 10, 20 or 30 only for metrics stored with a StorageResolution of 1; the AWS/RDS metrics these
    alarms read are one-minute metrics."""
    assert _load({"alarm_period_seconds": 60}).alarm_period_seconds == 60
    with pytest.raises(SettingsError, match=r"alarm_period_seconds must be a multiple of 60 .*high-resolution"):
        _load({"alarm_period_seconds": 10})


# ----- instance type and image architecture -----
ARM_UBUNTU = "/aws/service/canonical/ubuntu/server/24.04/stable/current/arm64/hvm/ebs-gp3/ami-id"
AMD_UBUNTU = "/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id"
WINDOWS = "/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base"


@pytest.mark.parametrize(
    ("instance_type", "parameter"),
    [
        ("m7g.large", ARM_UBUNTU),
        ("t3.small", AMD_UBUNTU),
        ("c7g.large", "/aws/service/bottlerocket/aws-ecs-2/arm64/latest/image_id"),
        ("m6i.large", WINDOWS),
        ("r7g.large", "/aws/service/debian/release/12/latest/arm64"),
    ],
)
def test_accepts_images_of_the_instance_types_architecture(instance_type: str, parameter: str) -> None:
    """Canonical and Debian name x86_64 images amd64; EC2 has no arm64 Windows Server AMI."""
    settings = _load({"app_instance_type": instance_type, "app_ami_ssm_parameter": parameter})
    assert settings.app_ami_ssm_parameter == parameter


@pytest.mark.parametrize(
    ("instance_type", "parameter", "fix"),
    [
        ("m7g.large", AMD_UBUNTU, ARM_UBUNTU),
        ("t4g.small", "/aws/service/debian/release/12/latest/amd64", "/aws/service/debian/release/12/latest/arm64"),
        ("c7g.large", WINDOWS, "Windows Server AMIs are x86_64 only"),
        ("t3.small", ARM_UBUNTU, AMD_UBUNTU),
    ],
)
def test_refuses_an_image_of_the_other_architecture(instance_type: str, parameter: str, fix: str) -> None:
    """EC2: "The architecture 'arm64' of the specified instance type does not match the architecture 'x86_64' of
    the specified AMI"; the message names the same image for the instance's architecture."""
    with pytest.raises(SettingsError, match=r"must name the same CPU architecture") as refused:
        _load({"app_instance_type": instance_type, "app_ami_ssm_parameter": parameter})
    assert fix in str(refused.value)


def test_refuses_mac_instance_types() -> None:
    """EC2 Mac instances run only on Dedicated Hosts (EC2 User Guide, "Amazon EC2 Mac instances")."""
    with pytest.raises(SettingsError, match=r"app_instance_type must be .*Dedicated Hosts.*got 'mac2.metal'"):
        _load({"app_instance_type": "mac2.metal"})


# ----- certificate and domain names -----
def _dns(domain: str, zone: str) -> Settings:
    return _load({"domain_name": domain, "hosted_zone_name": zone})


@pytest.mark.parametrize(
    ("domain", "zone", "stored"),
    [
        ("App.Example.COM.", "Example.com.", ("app.example.com", "example.com")),  # case and trailing dot
        ("*.example.com", "example.com", ("*.example.com", "example.com")),  # one leading wildcard label
        ("shop.xn--p1ai", "shop.xn--p1ai", ("shop.xn--p1ai", "shop.xn--p1ai")),  # Punycode top-level domain
        ("xn--bcher-kva.example.com", "example.com", ("xn--bcher-kva.example.com", "example.com")),
        ("app.example.com", "example.com", ("app.example.com", "example.com")),
        (("a" * 52) + ".example.com", "example.com", (("a" * 52) + ".example.com", "example.com")),  # 64 exactly
    ],
)
def test_accepts_every_form_route53_and_acm_accept(domain: str, zone: str, stored: tuple[str, str]) -> None:
    """Route53 treats a name with and without its trailing dot as identical and stores letters in lower case
    ("DNS domain name format"); ACM's DomainName allows one leading *. label and at most 64 octets."""
    settings = _dns(domain, zone)
    assert (settings.domain_name, settings.hosted_zone_name) == stored


def test_accepts_underscores_in_a_route53_zone_name() -> None:
    """Route53 hosted zone names may hold '_' ("DNS domain name format"); the zone rule alone accepts one."""
    from dr_stack.config.settings import FIELD_RULES

    assert FIELD_RULES["hosted_zone_name"]("_internal.example.com") is None
    assert FIELD_RULES["hosted_zone_name"]("-bad.example.com") is not None


@pytest.mark.parametrize(
    ("domain", "message"),
    [
        (("a" * 53) + ".example.com", r"at most 64 characters: it is the ACM certificate's domain name"),
        ("a_b.example.com", r"domain name Route53 and ACM accept \(no underscores"),
        ("a.*.example.com", r"a wildcard only as the whole first label"),
        ("**.example.com", r"a wildcard only as the whole first label"),
        (("a" * 64) + ".example.com", r"labels of 1 to 63"),
        ("app.example.123", r"last label is not all digits"),
        ("app..example.com", r"labels of 1 to 63"),
    ],
)
def test_refuses_names_acm_refuses(domain: str, message: str) -> None:
    """ACM RequestCertificate DomainName: pattern (\\*\\.)?(((?!-)[A-Za-z0-9-]{0,62}[A-Za-z0-9])\\.)+..., "cannot
    exceed 64 octets (characters), including periods"."""
    with pytest.raises(SettingsError, match=message):
        _dns(domain, "example.com")


def test_refuses_a_zone_name_over_253_characters() -> None:
    zone = ".".join(["a" * 63] * 4)  # 255 characters
    with pytest.raises(SettingsError, match=r"hosted_zone_name must be at most 253 characters"):
        _dns("app.example.com", zone)


# ----- maintenance and backup windows -----
@pytest.mark.parametrize(
    ("window", "stored"),
    [("sun:05:00-sun:06:00", "sun:05:00-sun:06:00"), ("Sat:23:45-Sun:00:15", "sat:23:45-sun:00:15")],
)
def test_accepts_maintenance_windows_as_rds_does(window: str, stored: str) -> None:
    """CreateDBCluster PreferredMaintenanceWindow: ddd:hh24:mi-ddd:hh24:mi, "Valid Days: Mon, Tue, Wed, Thu, Fri,
    Sat, Sun", at least 30 minutes; RDS returns the days in lower case, as the stack writes them."""
    assert _load({"db_maintenance_window": window}).db_maintenance_window == stored


@pytest.mark.parametrize(
    ("window", "message"),
    [
        ("sunday:05:00-sunday:06:00", r"ddd one of mon, tue, wed, thu, fri, sat, sun"),
        ("sun:5:00-sun:6:00", r"ddd one of mon"),
        ("sun:05:00-sun:05:20", r"at least 30 minutes"),
        ("sun:24:00-mon:01:00", r"ddd:hh24:mi-ddd:hh24:mi"),
    ],
)
def test_refuses_maintenance_windows_rds_refuses(window: str, message: str) -> None:
    with pytest.raises(SettingsError, match=rf"db_maintenance_window must be .*{message}"):
        _load({"db_maintenance_window": window})


def test_backup_window_format_and_overlap() -> None:
    """PreferredBackupWindow: hh24:mi-hh24:mi UTC, at least 30 minutes, "Must not conflict with the preferred
    maintenance window"."""
    assert _load({"db_backup_window": "23:30-00:00"}).db_backup_window == "23:30-00:00"
    with pytest.raises(SettingsError, match=r"db_backup_window must be a UTC window hh24:mi-hh24:mi such as"):
        _load({"db_backup_window": "3:00-4:00"})
    with pytest.raises(SettingsError, match=r"db_backup_window must not overlap db_maintenance_window"):
        _load({"db_backup_window": "05:30-06:30"})


# ----- all at once -----
def test_several_bad_values_are_all_named_in_one_error() -> None:
    overrides = {
        "db_engine": "aurora-postgresql",
        "db_engine_version": "12.9",  # no Serverless v2 on 12
        "alarm_period_seconds": 30,
        "app_instance_type": "m7g.large",  # arm64 with the default x86_64 image
        "domain_name": ("a" * 60) + ".example.com",
        "hosted_zone_name": "example.com",
        "db_maintenance_window": "sunday:05:00-sunday:06:00",
        "rpo_minutes": 60,
    }
    with pytest.raises(SettingsError) as refused:
        _load(overrides)
    problems = "\n".join(refused.value.problems)
    for setting in (
        "db_engine_version",
        "alarm_period_seconds",
        "app_instance_type and app_ami_ssm_parameter",
        "domain_name",
        "db_maintenance_window",
    ):
        assert f"setting{'s' if ' and ' in setting else ''} {setting} must" in problems, problems
    assert len(refused.value.problems) == 5, problems
