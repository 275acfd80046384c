"""Typed, validated settings for the DR stack: defaults, then an environment profile, then DR_* variables.

One name per concept, used in code, README and outputs. ``load_settings()`` refuses bad input before
anything is built, with one message naming the setting, the value received and what is allowed.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any, get_type_hints

ENV_PREFIX = "DR_"

# Regions an Aurora global database can span (commercial partition).
AWS_REGIONS = frozenset(
    {
        "us-east-1", "us-east-2", "us-west-1", "us-west-2",
        "ca-central-1", "ca-west-1", "sa-east-1",
        "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-central-2",
        "eu-north-1", "eu-south-1", "eu-south-2",
        "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1",
        "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-south-1", "ap-south-2",
        "ap-east-1", "me-south-1", "me-central-1", "il-central-1", "af-south-1",
    }
)  # fmt: skip

ENVIRONMENTS = ("dev", "prod")
DB_ENGINES = ("aurora-mysql", "aurora-postgresql")
STATE_BACKENDS = ("s3", "remote", "local")
DB_PASSWORD_SOURCES = ("random", "variable")
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                      2922, 3288, 3653)  # fmt: skip
MONITORING_INTERVALS = (1, 5, 10, 15, 30, 60)
HEALTH_CHECK_INTERVALS = (10, 30)


@dataclass(frozen=True)
class EngineDefaults:
    """What differs between the two Aurora engines: pinned version, port, parameter family, log exports."""

    version: str
    port: int
    family: str
    log_exports: tuple[str, ...]
    audit_log_export: str | None


ENGINE_DEFAULTS: dict[str, EngineDefaults] = {
    "aurora-mysql": EngineDefaults(
        version="8.0.mysql_aurora.3.08.2",
        port=3306,
        family="aurora-mysql8.0",
        log_exports=("error", "general", "slowquery"),
        audit_log_export="audit",
    ),
    "aurora-postgresql": EngineDefaults(
        version="16.6",
        port=5432,
        family="aurora-postgresql16",
        log_exports=("postgresql",),
        audit_log_export=None,
    ),
}


class SettingsError(ValueError):
    """A setting has a value the stack cannot be built with."""


@dataclass(frozen=True)
class Settings:
    """Every tunable of the DR stack. Defaults are the low-cost ``dev`` profile; see PROFILES."""

    # Identity
    project_name: str = "drapp"
    environment: str = "dev"
    resource_suffix: str = ""
    # Regions and network
    primary_region: str = "us-east-1"
    secondary_region: str = "us-west-2"
    primary_vpc_cidr: str = "10.10.0.0/16"
    secondary_vpc_cidr: str = "10.20.0.0/16"
    availability_zone_count: int = 3
    nat_gateway_per_az: bool = False
    log_retention_days: int = 30
    # Database
    db_engine: str = "aurora-mysql"
    db_engine_version: str = ""
    db_instance_class: str = "db.serverless"
    db_serverless_min_capacity: float = 1.0
    db_serverless_max_capacity: float = 8.0
    primary_db_instance_count: int = 2
    secondary_db_instance_count: int = 1
    db_name: str = "appdb"
    db_master_username: str = "dbadmin"
    db_password_source: str = "random"
    db_master_password_version: int = 1
    db_backup_retention_days: int = 7
    db_backup_window: str = "03:00-04:00"
    db_maintenance_window: str = "sun:05:00-sun:06:00"
    db_deletion_protection: bool = False
    db_audit_log_export: bool = False
    db_write_forwarding: bool = False
    db_monitoring_interval_seconds: int = 60
    db_performance_insights_retention_days: int = 7
    db_cpu_alarm_percent: int = 80
    db_freeable_memory_alarm_mib: int = 256
    aws_backup_retention_days: int = 35
    secret_recovery_window_days: int = 7
    # Application tier
    app_instance_type: str = "t3.small"
    app_ami_ssm_parameter: str = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    app_port: int = 8080
    health_check_path: str = "/health"
    primary_app_min_capacity: int = 2
    primary_app_max_capacity: int = 4
    primary_app_desired_capacity: int = 2
    secondary_app_min_capacity: int = 1
    secondary_app_max_capacity: int = 4
    secondary_app_desired_capacity: int = 1
    app_cpu_target_percent: int = 50
    app_health_check_grace_seconds: int = 180
    app_scale_up_allowance_seconds: int = 120
    alb_access_log_retention_days: int = 90
    alb_5xx_alarm_threshold: int = 10
    alb_response_time_alarm_seconds: float = 1.0
    waf_rate_limit: int = 2000
    # DNS
    domain_name: str = ""
    hosted_zone_name: str = ""
    create_hosted_zone: bool = False
    health_check_interval_seconds: int = 10
    health_check_failure_threshold: int = 3
    dns_ttl_seconds: int = 60
    # Monitoring
    alarm_email: str = ""
    alarm_period_seconds: int = 60
    alarm_evaluation_periods: int = 1
    replication_lag_alarm_seconds: int = 0
    replication_lag_alarm_evaluation_periods: int = 3
    # Objectives and failover
    rto_minutes: int = 15
    rpo_minutes: int = 5
    failover_automatic: bool = False
    failover_decision_allowance_seconds: int = 300
    db_promotion_allowance_seconds: int = 180
    failover_promotion_timeout_seconds: int = 600
    # Terraform state
    state_backend: str = "s3"
    state_bucket: str = ""
    state_key_prefix: str = "dr-stack"
    state_region: str = ""
    state_lock_table: str = ""
    tfc_organization: str = ""
    tfc_workspace_prefix: str = ""
    tfc_hostname: str = "app.terraform.io"

    # ----- derived values (one place, so every construct agrees) -----
    @property
    def name_prefix(self) -> str:
        """Prefix of every resource name: project, environment and optional suffix."""
        base = f"{self.project_name}-{self.environment}"
        return f"{base}-{self.resource_suffix}" if self.resource_suffix else base

    @property
    def engine(self) -> EngineDefaults:
        """Engine-specific defaults for the chosen db_engine."""
        return ENGINE_DEFAULTS[self.db_engine]

    @property
    def db_port(self) -> int:
        """Port of the chosen engine."""
        return self.engine.port

    @property
    def db_log_exports(self) -> list[str]:
        """CloudWatch log exports: all of the engine's logs, audit when db_audit_log_export is on."""
        exports = list(self.engine.log_exports)
        if self.db_audit_log_export and self.engine.audit_log_export:
            exports.append(self.engine.audit_log_export)
        return exports

    @property
    def is_serverless(self) -> bool:
        """True when the clusters run Aurora Serverless v2 instances."""
        return self.db_instance_class == "db.serverless"

    @property
    def replication_lag_threshold_seconds(self) -> int:
        """Lag alarm threshold: the setting, or a fifth of the RPO when left at 0."""
        return self.replication_lag_alarm_seconds or max(1, self.rpo_minutes * 60 // 5)

    @property
    def global_cluster_identifier(self) -> str:
        """Identifier of the Aurora global cluster."""
        return f"{self.name_prefix}-global"

    @property
    def state_bucket_name(self) -> str:
        """S3 bucket holding Terraform state: the setting or a name derived from the project."""
        return self.state_bucket or f"{self.name_prefix}-tfstate"

    @property
    def state_lock_table_name(self) -> str:
        """DynamoDB table locking Terraform state."""
        return self.state_lock_table or f"{self.name_prefix}-tflock"

    @property
    def state_region_name(self) -> str:
        """Region of the state bucket and lock table (the primary region unless set)."""
        return self.state_region or self.primary_region

    @property
    def state_replica_region(self) -> str:
        """Region of the state replica: the DR region that does not hold the state."""
        return self.secondary_region if self.state_region_name != self.secondary_region else self.primary_region

    @property
    def state_replica_bucket_name(self) -> str:
        """Replica of the state bucket in state_replica_region."""
        return f"{self.state_bucket_name}-replica"

    def region_of(self, role: str) -> str:
        """Region for a DR role, 'primary' or 'secondary'."""
        return self.primary_region if role == "primary" else self.secondary_region

    def app_capacity(self, role: str) -> tuple[int, int, int]:
        """(min, max, desired) app capacity of a region in its normal role."""
        return (
            getattr(self, f"{role}_app_min_capacity"),
            getattr(self, f"{role}_app_max_capacity"),
            getattr(self, f"{role}_app_desired_capacity"),
        )


# Profiles: what an environment changes from the defaults above.
PROFILES: dict[str, dict[str, Any]] = {
    "dev": {},
    "prod": {
        "nat_gateway_per_az": True,
        "log_retention_days": 365,
        "db_instance_class": "db.r6g.large",
        "primary_db_instance_count": 2,
        "secondary_db_instance_count": 2,
        "db_backup_retention_days": 35,
        "db_deletion_protection": True,
        "db_audit_log_export": True,
        "db_performance_insights_retention_days": 731,
        "app_instance_type": "m6i.large",
        "primary_app_min_capacity": 3,
        "primary_app_max_capacity": 12,
        "primary_app_desired_capacity": 3,
        "secondary_app_min_capacity": 1,
        "secondary_app_max_capacity": 12,
        "secondary_app_desired_capacity": 1,
        "alb_access_log_retention_days": 365,
        "aws_backup_retention_days": 35,
        "secret_recovery_window_days": 30,
    },
}

SETTING_NAMES = tuple(f.name for f in fields(Settings))

_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{1,18}[a-z0-9]$")
_SUFFIX_RE = re.compile(r"^[a-z0-9]{0,8}$")
_WINDOW_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")
_MAINT_RE = re.compile(
    r"^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$"
)  # noqa: E501
_DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DB_IDENT_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,15}$")
_BURSTABLE_RE = re.compile(r"^db\.t\d")
_MEMORY_CLASS_RE = re.compile(r"^db\.(r[5-9][a-z]*|x[1-9][a-z]*)\.[a-z0-9]+$")


def _fail(name: str, value: Any, allowed: str) -> SettingsError:
    return SettingsError(f"setting {name} must be {allowed}, got {value!r}")


def _cidr(name: str, value: str) -> ipaddress.IPv4Network:
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        raise _fail(name, value, "an IPv4 network in CIDR notation such as 10.10.0.0/16") from None
    if not network.is_private or not 16 <= network.prefixlen <= 22:
        raise _fail(name, value, "a private (RFC 1918) IPv4 network with a prefix from /16 to /22")
    return network


def _one_of(options: tuple[Any, ...] | frozenset[str]) -> Callable[[str, Any], None]:
    def check(name: str, value: Any) -> None:
        if value not in options:
            raise _fail(name, value, f"one of {', '.join(map(str, sorted(options)))}")

    return check


def _int_range(low: int, high: int) -> Callable[[str, Any], None]:
    def check(name: str, value: Any) -> None:
        if not low <= value <= high:
            raise _fail(name, value, f"an integer from {low} to {high}")

    return check


def _float_range(low: float, high: float) -> Callable[[str, Any], None]:
    def check(name: str, value: Any) -> None:
        if not low <= value <= high or (value * 2) != int(value * 2):
            raise _fail(name, value, f"a number from {low} to {high} in steps of 0.5")

    return check


def _pattern(regex: re.Pattern[str], allowed: str, *, empty_ok: bool = False) -> Callable[[str, Any], None]:
    def check(name: str, value: Any) -> None:
        if empty_ok and value == "":
            return
        if not regex.match(value):
            raise _fail(name, value, allowed)

    return check


def _instance_class(name: str, value: str) -> None:
    if _BURSTABLE_RE.match(value):
        raise _fail(
            name,
            value,
            "a memory-optimized class (db.r5 or newer, db.x2) or db.serverless for an Aurora global "
            "database; burstable db.t* classes are rejected by AWS for global databases",
        )
    if value != "db.serverless" and not _MEMORY_CLASS_RE.match(value):
        raise _fail(name, value, "a memory-optimized class (db.r5 or newer, db.x2) or db.serverless")


def _health_check_path(name: str, value: str) -> None:
    if not value.startswith("/") or " " in value or len(value) > 255:
        raise _fail(name, value, "a URL path starting with '/', without spaces, at most 255 characters")


def _recovery_window(name: str, value: int) -> None:
    if value != 0 and not 7 <= value <= 30:
        raise _fail(name, value, "0 (delete at once) or 7 to 30 days (Secrets Manager recovery window)")


def _pi_retention(name: str, value: int) -> None:
    if value != 7 and not (value % 31 == 0 and 31 <= value <= 713) and value != 731:
        raise _fail(name, value, "7, a multiple of 31 up to 713, or 731 (days of Performance Insights)")


# Field-level rules: one table, one entry per setting that has a rule.
FIELD_RULES: dict[str, Callable[[str, Any], object]] = {
    "project_name": _pattern(_NAME_RE, "3-20 lowercase letters, digits or hyphens, starting with a letter"),
    "environment": _one_of(ENVIRONMENTS),
    "resource_suffix": _pattern(
        _SUFFIX_RE, "empty or up to 8 lowercase letters and digits (AWS names reject upper case and most punctuation)"
    ),
    "primary_region": _one_of(AWS_REGIONS),
    "secondary_region": _one_of(AWS_REGIONS),
    "primary_vpc_cidr": _cidr,
    "secondary_vpc_cidr": _cidr,
    "availability_zone_count": _int_range(2, 3),
    "log_retention_days": _one_of(LOG_RETENTION_DAYS),
    "db_engine": _one_of(DB_ENGINES),
    "db_instance_class": _instance_class,
    "db_serverless_min_capacity": _float_range(0.5, 256),
    "db_serverless_max_capacity": _float_range(1, 256),
    "primary_db_instance_count": _int_range(2, 16),
    "secondary_db_instance_count": _int_range(1, 16),
    "db_name": _pattern(_DB_IDENT_RE, "a letter then up to 15 letters, digits or underscores"),
    "db_master_username": _pattern(_DB_IDENT_RE, "a letter then up to 15 letters, digits or underscores"),
    "db_password_source": _one_of(DB_PASSWORD_SOURCES),
    "db_master_password_version": _int_range(1, 1_000_000),
    "db_backup_retention_days": _int_range(7, 35),
    "db_backup_window": _pattern(_WINDOW_RE, "a UTC window hh:mm-hh:mm"),
    "db_maintenance_window": _pattern(_MAINT_RE, "a UTC window ddd:hh:mm-ddd:hh:mm"),
    "db_monitoring_interval_seconds": _one_of(MONITORING_INTERVALS),
    "db_performance_insights_retention_days": _pi_retention,
    "db_cpu_alarm_percent": _int_range(1, 100),
    "db_freeable_memory_alarm_mib": _int_range(1, 1_000_000),
    "aws_backup_retention_days": _int_range(1, 36500),
    "secret_recovery_window_days": _recovery_window,
    "app_port": _int_range(1024, 65535),
    "health_check_path": _health_check_path,
    "primary_app_min_capacity": _int_range(0, 1000),
    "primary_app_max_capacity": _int_range(1, 1000),
    "primary_app_desired_capacity": _int_range(0, 1000),
    "secondary_app_min_capacity": _int_range(0, 1000),
    "secondary_app_max_capacity": _int_range(1, 1000),
    "secondary_app_desired_capacity": _int_range(0, 1000),
    "app_cpu_target_percent": _int_range(10, 95),
    "app_health_check_grace_seconds": _int_range(0, 3600),
    "app_scale_up_allowance_seconds": _int_range(0, 3600),
    "alb_access_log_retention_days": _int_range(1, 3650),
    "alb_5xx_alarm_threshold": _int_range(1, 1_000_000),
    "waf_rate_limit": _int_range(100, 2_000_000_000),
    "domain_name": _pattern(_DOMAIN_RE, "empty or a lowercase DNS name such as app.example.com", empty_ok=True),
    "hosted_zone_name": _pattern(_DOMAIN_RE, "empty or a lowercase DNS zone such as example.com", empty_ok=True),
    "health_check_interval_seconds": _one_of(HEALTH_CHECK_INTERVALS),
    "health_check_failure_threshold": _int_range(1, 10),
    "dns_ttl_seconds": _int_range(0, 86400),
    "alarm_email": _pattern(_EMAIL_RE, "empty or an e-mail address", empty_ok=True),
    "alarm_period_seconds": _one_of((10, 30, 60, 300)),
    "alarm_evaluation_periods": _int_range(1, 10),
    "replication_lag_alarm_seconds": _int_range(0, 86400),
    "replication_lag_alarm_evaluation_periods": _int_range(1, 10),
    "rto_minutes": _int_range(1, 1440),
    "rpo_minutes": _int_range(1, 1440),
    "failover_decision_allowance_seconds": _int_range(0, 86400),
    "db_promotion_allowance_seconds": _int_range(0, 3600),
    "failover_promotion_timeout_seconds": _int_range(60, 840),
    "state_backend": _one_of(STATE_BACKENDS),
    "state_region": lambda n, v: None if v == "" else _one_of(AWS_REGIONS)(n, v),
}


def _rule_regions_differ(s: Settings) -> str | None:
    if s.primary_region == s.secondary_region:
        return (
            f"setting secondary_region must differ from primary_region, got {s.secondary_region!r} for "
            "both: a disaster-recovery stack needs two regions"
        )
    return None


def _rule_cidrs_disjoint(s: Settings) -> str | None:
    if ipaddress.IPv4Network(s.primary_vpc_cidr).overlaps(ipaddress.IPv4Network(s.secondary_vpc_cidr)):
        return (
            f"setting secondary_vpc_cidr must not overlap primary_vpc_cidr ({s.primary_vpc_cidr}), got "
            f"{s.secondary_vpc_cidr!r}: overlapping ranges cannot be peered or routed between regions"
        )
    return None


def _rule_capacity(role: str) -> Callable[[Settings], str | None]:
    def rule(s: Settings) -> str | None:
        low, high, desired = s.app_capacity(role)
        if low > high:
            return f"setting {role}_app_min_capacity must be <= {role}_app_max_capacity ({high}), got {low}"
        if not low <= desired <= high:
            return (
                f"setting {role}_app_desired_capacity must be between {role}_app_min_capacity ({low}) and "
                f"{role}_app_max_capacity ({high}), got {desired}"
            )
        return None

    return rule


def _rule_serverless_range(s: Settings) -> str | None:
    if s.db_serverless_min_capacity > s.db_serverless_max_capacity:
        return (
            f"setting db_serverless_min_capacity must be <= db_serverless_max_capacity "
            f"({s.db_serverless_max_capacity}), got {s.db_serverless_min_capacity}"
        )
    return None


def _rule_domain(s: Settings) -> str | None:
    if s.domain_name and not s.hosted_zone_name:
        return f"setting hosted_zone_name must be set when domain_name is set, got '' for domain {s.domain_name!r}"
    if s.hosted_zone_name and not s.domain_name:
        return f"setting domain_name must be set when hosted_zone_name is set, got '' for zone {s.hosted_zone_name!r}"
    if s.domain_name and not (s.domain_name == s.hosted_zone_name or s.domain_name.endswith("." + s.hosted_zone_name)):
        return f"setting domain_name must be inside hosted_zone_name ({s.hosted_zone_name}), got {s.domain_name!r}"
    return None


def _rule_backend(s: Settings) -> str | None:
    if s.state_backend == "remote" and not (s.tfc_organization and s.tfc_workspace_prefix):
        return (
            "settings tfc_organization and tfc_workspace_prefix must be set when state_backend is 'remote', "
            f"got {s.tfc_organization!r} and {s.tfc_workspace_prefix!r}"
        )
    return None


def _rule_engine_version(s: Settings) -> str | None:
    mysql_style = ".mysql_aurora." in s.db_engine_version
    if (s.db_engine == "aurora-mysql") != mysql_style:
        return (
            f"setting db_engine_version must be a version of {s.db_engine} (for example "
            f"{ENGINE_DEFAULTS[s.db_engine].version!r}), got {s.db_engine_version!r}"
        )
    return None


def _rule_promotion_deadline(s: Settings) -> str | None:
    if s.failover_promotion_timeout_seconds < s.db_promotion_allowance_seconds:
        return (
            f"setting failover_promotion_timeout_seconds must be >= db_promotion_allowance_seconds "
            f"({s.db_promotion_allowance_seconds}), got {s.failover_promotion_timeout_seconds}: the orchestrator "
            "would give up before the budgeted promotion time"
        )
    return None


# Cross-field rules: one table, each returns a message or None.
CROSS_FIELD_RULES: tuple[Callable[[Settings], str | None], ...] = (
    _rule_regions_differ,
    _rule_cidrs_disjoint,
    _rule_capacity("primary"),
    _rule_capacity("secondary"),
    _rule_serverless_range,
    _rule_domain,
    _rule_backend,
    _rule_engine_version,
    _rule_promotion_deadline,
)


def _coerce(name: str, raw: Any, target: type) -> Any:
    """Turn a raw (usually string) value into the field's type, or fail naming the setting."""
    if isinstance(raw, target) and not (target is int and isinstance(raw, bool)):
        return raw
    if target is float and isinstance(raw, int) and not isinstance(raw, bool):
        return float(raw)
    if not isinstance(raw, str):
        raise _fail(name, raw, f"a {target.__name__}")
    text = raw.strip()
    if target is bool:
        lowered = text.lower()
        if lowered in ("true", "1", "yes", "on"):
            return True
        if lowered in ("false", "0", "no", "off"):
            return False
        raise _fail(name, raw, "true or false")
    if target is int:
        try:
            return int(text)
        except ValueError:
            raise _fail(name, raw, "an integer") from None
    if target is float:
        try:
            return float(text)
        except ValueError:
            raise _fail(name, raw, "a number") from None
    return text


def _closest(name: str) -> str:
    import difflib

    match = difflib.get_close_matches(name, SETTING_NAMES, n=1)
    return f" (did you mean {match[0]!r}?)" if match else ""


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Build validated Settings: defaults, then the environment's profile, then DR_* variables, then overrides.

    ``environ`` defaults to ``os.environ``; ``overrides`` (for tests and callers) wins over everything.
    Raises SettingsError naming the setting, the value and what is allowed.
    """
    environ = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    for name in overrides:
        if name not in SETTING_NAMES:
            raise SettingsError(f"unknown setting {name!r}{_closest(name)}; known settings: see README")

    from_env: dict[str, str] = {}
    for key, value in environ.items():
        if not key.startswith(ENV_PREFIX) or key in _NON_SETTING_VARIABLES:
            continue
        name = key[len(ENV_PREFIX) :].lower()
        if name not in SETTING_NAMES:
            raise SettingsError(
                f"unknown setting {name!r} from environment variable {key}{_closest(name)}; "
                "a typo would otherwise be ignored"
            )
        from_env[name] = value

    environment = overrides.get("environment", from_env.get("environment", Settings.environment))
    FIELD_RULES["environment"]("environment", environment)

    hints = get_type_hints(Settings)
    values: dict[str, Any] = {}
    for source in (PROFILES[environment], from_env, overrides):
        for name, raw in source.items():
            target = hints[name]
            values[name] = _coerce(name, raw, target if isinstance(target, type) else str)

    settings = Settings(**values)
    for name in SETTING_NAMES:
        rule = FIELD_RULES.get(name)
        if rule is not None:
            rule(name, getattr(settings, name))
    if not settings.db_engine_version:
        settings = dataclasses.replace(settings, db_engine_version=settings.engine.version)
    for cross_rule in CROSS_FIELD_RULES:
        message = cross_rule(settings)
        if message:
            raise SettingsError(message)
    from dr_stack.budget import budget_problem  # budget reads Settings; imported here to avoid a cycle

    problem = budget_problem(settings)
    if problem:
        raise SettingsError(problem)
    return settings


# DR_* variables that configure tooling rather than the stack.
_NON_SETTING_VARIABLES = frozenset({"DR_DB_MASTER_PASSWORD"})


# What each setting means: the README's settings table is generated from this (scripts/settings_table.py).
SETTING_DOCS: dict[str, str] = {
    "project_name": "Prefix of every resource name and the `project` tag.",
    "environment": "Profile: `dev` (low cost) or `prod` (HA, protection on); sets the defaults marked by profile.",
    "resource_suffix": "Optional suffix appended to names, to run several copies in one account.",
    "primary_region": "Region that serves traffic and holds the writer.",
    "secondary_region": "Warm-standby region; must differ from primary_region.",
    "primary_vpc_cidr": "Primary VPC range (private, /16 to /22); split into 16 blocks, 9 used.",
    "secondary_vpc_cidr": "Secondary VPC range; must not overlap the primary's.",
    "availability_zone_count": "AZs per region for every subnet tier (2 or 3).",
    "nat_gateway_per_az": "One NAT gateway per AZ (true) or one shared per region (false, cheaper).",
    "log_retention_days": "Retention of every CloudWatch log group (flow logs, WAF, Lambda).",
    "db_engine": "`aurora-mysql` or `aurora-postgresql`.",
    "db_engine_version": "Pinned engine version; empty picks the tested default of the engine.",
    "db_instance_class": "Memory-optimized class (db.r5+) or `db.serverless`; db.t* is refused.",
    "db_serverless_min_capacity": "Serverless v2 minimum ACUs (>= 0.5: global databases cannot pause).",
    "db_serverless_max_capacity": "Serverless v2 maximum ACUs.",
    "primary_db_instance_count": "Primary cluster instances: a writer and readers in different AZs (>= 2).",
    "secondary_db_instance_count": "Secondary cluster instances (>= 1; promoted on failover).",
    "db_name": "Initial database name.",
    "db_master_username": "Master user name (the password is generated, never a setting).",
    "db_password_source": "`random` (random_password) or `variable` (TF_VAR_db_master_password; offline validation).",
    "db_master_password_version": "Bump to rotate the master password (new random value or new TF_VAR, written once).",
    "db_backup_retention_days": "Automated backup retention of both clusters (7 to 35 days).",
    "db_backup_window": "Daily backup window, UTC.",
    "db_maintenance_window": "Weekly maintenance window, UTC.",
    "db_deletion_protection": "Deletion protection on the global and regional clusters.",
    "db_audit_log_export": "Also export the audit log (aurora-mysql).",
    "db_write_forwarding": "Global write forwarding on the secondary cluster.",
    "db_monitoring_interval_seconds": "Enhanced Monitoring interval (1, 5, 10, 15, 30, 60).",
    "db_performance_insights_retention_days": "Performance Insights retention (7, multiples of 31, 731).",
    "db_cpu_alarm_percent": "Writer CPU alarm threshold.",
    "db_freeable_memory_alarm_mib": "Writer freeable-memory alarm threshold, MiB.",
    "aws_backup_retention_days": "AWS Backup retention of the daily cluster snapshot and its cross-region copy.",
    "secret_recovery_window_days": "Days a deleted master secret can be restored (0 or 7 to 30).",
    "app_instance_type": "EC2 instance type of the app tier (x86_64 for the default AMI).",
    "app_ami_ssm_parameter": "Public SSM parameter naming the current Amazon Linux 2023 AMI.",
    "app_port": "Port the app listens on behind the ALB.",
    "health_check_path": "Path the target group and Route53 health checks request.",
    "primary_app_min_capacity": "Primary ASG minimum (also the capacity a region gets when it becomes active).",
    "primary_app_max_capacity": "Primary ASG maximum.",
    "primary_app_desired_capacity": "Primary ASG desired capacity.",
    "secondary_app_min_capacity": "Secondary ASG minimum (warm standby).",
    "secondary_app_max_capacity": "Secondary ASG maximum.",
    "secondary_app_desired_capacity": "Secondary ASG desired capacity (warm standby).",
    "app_cpu_target_percent": "Target-tracking CPU utilization of the ASGs.",
    "app_health_check_grace_seconds": "ASG health-check grace period (also an RTO budget term).",
    "app_scale_up_allowance_seconds": "Time allowed for new instances to launch (RTO budget term).",
    "alb_access_log_retention_days": "Days ALB access logs are kept in S3.",
    "alb_5xx_alarm_threshold": "5xx responses per period that raise the ALB alarm.",
    "alb_response_time_alarm_seconds": "Target response time that raises the latency alarm.",
    "waf_rate_limit": "Requests per 5 minutes per IP before WAF blocks.",
    "domain_name": "Application FQDN; empty: no DNS records and plain HTTP on the ALBs.",
    "hosted_zone_name": "Route53 zone holding domain_name.",
    "create_hosted_zone": "Create the zone (true) or look up an existing one (false).",
    "health_check_interval_seconds": "Route53 health-check interval (10 or 30).",
    "health_check_failure_threshold": "Failed checks before an endpoint is unhealthy.",
    "dns_ttl_seconds": "Client DNS caching allowance in the RTO budget (alias records use 60 s).",
    "alarm_email": "E-mail subscribed to both alarm topics; empty: none.",
    "alarm_period_seconds": "Period of the stack's alarms.",
    "alarm_evaluation_periods": "Periods an alarm must breach before it fires.",
    "replication_lag_alarm_seconds": "Replication-lag alarm threshold; 0 derives it as rpo_minutes x 60 / 5.",
    "replication_lag_alarm_evaluation_periods": "Periods of lag before the lag alarm fires (RPO budget term).",
    "rto_minutes": "Recovery time objective; synth refuses settings whose budget exceeds it.",
    "rpo_minutes": "Recovery point objective; synth refuses settings whose budget exceeds it.",
    "failover_automatic": "Invoke the orchestrator automatically from the secondary region's health signal.",
    "failover_decision_allowance_seconds": "Time allowed for a human to decide (RTO term; 0 with automatic).",
    "db_promotion_allowance_seconds": "Time allowed for the global database promotion (RTO term).",
    "failover_promotion_timeout_seconds": "Deadline of the orchestrator's promotion wait (within Lambda's 15 min).",
    "state_backend": "`s3` (S3 + DynamoDB lock), `remote` (Terraform Cloud) or `local`.",
    "state_bucket": "State bucket; empty derives `<project>-<environment>[-suffix]-tfstate`.",
    "state_key_prefix": "Prefix of the state object keys.",
    "state_region": "Region of the state bucket and lock table; empty: primary_region.",
    "state_lock_table": "DynamoDB lock table; empty derives `<name>-tflock`.",
    "tfc_organization": "Terraform Cloud organization (state_backend=remote).",
    "tfc_workspace_prefix": "Terraform Cloud workspace prefix; the stack name is appended.",
    "tfc_hostname": "Terraform Cloud / Enterprise host name.",
}


def settings_table() -> str:
    """The README's settings table: name, dev default, prod default, meaning."""
    dev, prod = load_settings(environ={}), load_settings({"environment": "prod"}, environ={})
    rows = ["| setting (`DR_<NAME>`) | dev | prod | meaning |", "|---|---|---|---|"]
    for name in SETTING_NAMES:
        values = [getattr(dev, name), getattr(prod, name)]
        shown = ["`''`" if v == "" else f"`{str(v).lower() if isinstance(v, bool) else v}`" for v in values]
        rows.append(f"| `{name}` | {shown[0]} | {shown[1]} | {SETTING_DOCS[name]} |")
    return "\n".join(rows)
