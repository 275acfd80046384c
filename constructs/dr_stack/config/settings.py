"""Typed, validated settings for the DR stack: defaults, an environment profile, its settings file, DR_* variables.

Each setting is declared once, in its section of ``Settings``: type, dev default, prod value (when the prod
profile changes it), rule and meaning. ``load_settings()`` runs one validation pass (per-setting rules, the
cross-setting rules in ``CROSS_FIELD_RULES``, AWS's rules for every derived resource name, the recovery
budget) and refuses bad input before anything is built, with one ``SettingsError`` that names every
problem: the setting, the value received and what is allowed. Each environment's checked-in settings file,
``environments/<environment>.toml``, sits between the profile and the DR_* variables (``resolve_settings``).

Adding a setting is one line in its section (plus, when it needs one, a rule in ``CROSS_FIELD_RULES``).
"""

from __future__ import annotations

import dataclasses
import difflib
import ipaddress
import json
import math
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, cast, get_type_hints

from dr_stack.config.setting_reads import SettingsReads
from dr_stack.contract import contract
from dr_stack.naming import names

ENV_PREFIX = "DR_"
ROOT = Path(__file__).resolve().parents[3]
# One checked-in settings file per environment, environments/<environment>.toml.
ENVIRONMENTS_DIR = ROOT / "environments"
# The cdktf context key that selects the environment (cdktf.json "context", which the CLI passes to the app as
# CDKTF_CONTEXT_JSON); DR_ENVIRONMENT wins over it.
CONTEXT_ENVIRONMENT_KEY = "environment"
CONTEXT_VARIABLE = "CDKTF_CONTEXT_JSON"

# Regions of the commercial partition (`aws`) in which RDS has an endpoint, as botocore's endpoints.json lists them
# (botocore 1.43.11, the pinned version: botocore is a dev dependency, so synth keeps this copy and
# __tests__/synth/test_setting_ranges.py checks it against the data file), less the regions the Aurora User Guide
# marks "Not available" for Aurora global databases ("Supported Regions and DB engines for Aurora global databases",
# https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.Aurora_Fea_Regions_DB-eng.Feature.GlobalDatabase.html).
PARTITION_REGIONS = frozenset(
    {
        "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1",
        "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5",
        "ap-southeast-6", "ap-southeast-7", "ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2",
        "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3", "il-central-1",
        "me-central-1", "me-south-1", "mx-central-1", "sa-east-1", "us-east-1", "us-east-2", "us-west-1",
        "us-west-2",
    }
)  # fmt: skip
# Asia Pacific (Taipei), (New Zealand) and (Thailand): "Not available" in the global-database table.
NO_GLOBAL_DATABASE_REGIONS = frozenset({"ap-east-2", "ap-southeast-6", "ap-southeast-7"})
# Regions an Aurora global database can span: the DR regions, and where the state bucket may live.
AWS_REGIONS = PARTITION_REGIONS - NO_GLOBAL_DATABASE_REGIONS

ENVIRONMENTS = ("dev", "prod")
DB_ENGINES = ("aurora-mysql", "aurora-postgresql")
# cloud: HCP Terraform / Terraform Enterprise >= v202201-1 through the `cloud` block (Terraform >= 1.1);
# remote: the older `remote` backend, for Terraform Enterprise releases without the cloud block.
STATE_BACKENDS = ("s3", "cloud", "remote", "local")
DB_PASSWORD_SOURCES = ("random", "variable")
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                      2922, 3288, 3653)  # fmt: skip
# CreateDBInstance MonitoringInterval: "Valid Values: 0 | 1 | 5 | 10 | 15 | 30 | 60"; 0 turns Enhanced Monitoring off.
MONITORING_INTERVALS = (0, 1, 5, 10, 15, 30, 60)
HEALTH_CHECK_INTERVALS = (10, 30)


@dataclass(frozen=True)
class EngineDefaults:
    """What differs between the two Aurora engines: pinned version, port, log exports (the parameter-group
    family follows the version: ``parameter_group_family``)."""

    version: str
    port: int
    log_exports: tuple[str, ...]
    audit_log_export: str | None


ENGINE_DEFAULTS: dict[str, EngineDefaults] = {
    "aurora-mysql": EngineDefaults(
        version="8.0.mysql_aurora.3.08.2",
        port=3306,
        log_exports=("error", "general", "slowquery"),
        audit_log_export="audit",
    ),
    "aurora-postgresql": EngineDefaults(
        version="16.6",
        port=5432,
        log_exports=("postgresql",),
        audit_log_export=None,
    ),
}


# Engine versions RDS has, and the parameter-group family each belongs to. RDS refuses a parameter group whose
# family is not the cluster's ("DBParameterGroupFamily aurora-postgresql16 can't be used for this instance. Use a
# parameter group with DBParameterGroupFamily aurora-postgresql15"), so the family is derived from the version.
# Aurora PostgreSQL versions are <major>.<minor> and their family is aurora-postgresql<major>; Aurora PostgreSQL 10
# and older are retired (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraPostgreSQLReleaseNotes/aurorapostgresql-release-calendar.html).
# Aurora MySQL version 3 is 8.0.mysql_aurora.3.<minor>.<patch> in family aurora-mysql8.0. Version 2 (5.7) reached
# the end of standard support on 31 October 2024 and runs only under paid RDS Extended Support
# (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.MySQL57.EOL.html); this stack's parameter
# groups are written for version 3, so 5.7 is refused rather than half supported.
_ENGINE_VERSIONS: dict[str, tuple[re.Pattern[str], str, str]] = {
    "aurora-mysql": (
        re.compile(r"8\.0\.mysql_aurora\.3\.\d{2}\.\d+"),
        "an Aurora MySQL version 3 release such as '8.0.mysql_aurora.3.08.2' (Aurora MySQL version 2 / 5.7 is past "
        "the end of standard support and not supported by this stack)",
        "aurora-mysql8.0",
    ),
    "aurora-postgresql": (
        re.compile(r"(?P<major>1[1-9]|[2-9]\d)\.\d{1,2}"),
        "an Aurora PostgreSQL release <major>.<minor> with major 11 or newer, such as '16.6'",
        "aurora-postgresql{major}",
    ),
}


def parameter_group_family(engine: str, version: str) -> str:
    """The DB parameter-group family of an engine version (``aurora-postgresql15`` for ``15.8``)."""
    pattern, _, family = _ENGINE_VERSIONS[engine]
    match = pattern.fullmatch(version)
    if match is None:
        raise ValueError(f"{version!r} is not a version of {engine}")
    return family.format(**match.groupdict())


class SettingsError(ValueError):
    """Settings the stack cannot be built with; ``problems`` lists every one (the message joins them)."""

    def __init__(self, problems: str | Iterable[str]) -> None:
        self.problems: tuple[str, ...] = (problems,) if isinstance(problems, str) else tuple(problems)
        if len(self.problems) == 1:
            message = self.problems[0]
        else:
            message = f"{len(self.problems)} settings problems:\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(message)


# ----- per-setting rules: each returns None when the value is allowed, else what is allowed -----
Rule = Callable[[Any], "str | None"]


def _one_of(options: Iterable[Any]) -> Rule:
    allowed = f"one of {', '.join(map(str, sorted(options)))}"
    return lambda value: None if value in options else allowed


def _int_range(low: int, high: int) -> Rule:
    return lambda value: None if low <= value <= high else f"an integer from {low} to {high}"


def _float_range(low: float, high: float) -> Rule:
    def rule(value: float) -> str | None:
        if low <= value <= high and value * 2 == int(value * 2):
            return None
        return f"a number from {low} to {high} in steps of 0.5"

    return rule


def _pattern(regex: str, allowed: str, *, empty_ok: bool = False) -> Rule:
    compiled = re.compile(regex)
    return lambda value: None if (empty_ok and value == "") or compiled.fullmatch(value) else allowed


def _optional(rule: Rule) -> Rule:
    """The rule, or the empty string (which means "derive it")."""
    return lambda value: None if value == "" else rule(value)


def _cidr(value: str) -> str | None:
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        return "an IPv4 network in CIDR notation such as 10.10.0.0/16"
    if not any(network.subnet_of(block) for block in _RFC1918) or not 16 <= network.prefixlen <= 22:
        return (
            "a private (RFC 1918: inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16) IPv4 network with a prefix "
            "from /16 to /22"
        )
    return None


# The private ranges of RFC 1918 (https://datatracker.ietf.org/doc/html/rfc1918#section-3), which the VPC guide
# recommends for VPCs (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html). Python's
# is_private also admits loopback, link-local, 0.0.0.0/8, 198.18.0.0/15 and 240.0.0.0/4, unusable for a VPC.
_RFC1918 = tuple(ipaddress.IPv4Network(block) for block in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))

# DB instance class families Aurora MySQL 3 and Aurora PostgreSQL support that are memory-optimized, as the Aurora
# User Guide lists them ("Supported DB engines for DB instance classes",
# https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.DBInstanceClass.SupportAurora.html). An Aurora
# global database "requires DB instance classes that are optimized for memory-intensive applications" (db.r5 or
# higher recommended; https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database.configuration.requirements.html),
# so the burstable db.t* classes are refused. Which sizes a family has differs by engine version and region and
# changes as AWS adds them (RDS answers it per region: describe-orderable-db-instance-options), so sizes are
# checked by their form only (large, xlarge, <n>xlarge: Aurora has no medium, small or metal memory-optimized
# classes); a size the family lacks is left to RDS rather than refusing one AWS has added.
AURORA_MEMORY_OPTIMIZED_FAMILIES = (
    "db.r5", "db.r6g", "db.r6gd", "db.r6i", "db.r6id", "db.r7g", "db.r7i", "db.r8g", "db.r8gd", "db.x2g",
)  # fmt: skip
_AURORA_SIZE = re.compile(r"large|xlarge|[1-9]\d?xlarge")


def _instance_class(value: str) -> str | None:
    if value == "db.serverless":
        return None
    family, _, size = value.rpartition(".")
    if family in AURORA_MEMORY_OPTIMIZED_FAMILIES and _AURORA_SIZE.fullmatch(size):
        return None
    if family in AURORA_MEMORY_OPTIMIZED_FAMILIES:
        return f"a {family} size Aurora has: large, xlarge or <n>xlarge (no medium, small or metal sizes)"
    burstable = "; burstable db.t* classes are rejected by AWS for global databases" if value.startswith("db.t") else ""
    return (
        "db.serverless or a memory-optimized class Aurora global databases support: "
        f"{', '.join(AURORA_MEMORY_OPTIMIZED_FAMILIES)} with a size such as large or 2xlarge{burstable}"
    )


# EC2 instance type names are <family>.<size>; the family is a series, a generation and attribute letters, with an
# optional option such as -flex; attribute `g` means AWS Graviton (arm64), as does the first-generation a1
# (https://docs.aws.amazon.com/ec2/latest/instancetypes/instance-type-names.html).
_EC2_INSTANCE_TYPE = re.compile(
    r"(?P<family>(?P<series>[a-z]+)(?P<generation>\d+)(?P<attributes>[a-z]*)(-[a-z0-9]+)?|u-\d+tb\d+)"
    r"\.(nano|micro|small|medium|large|\d*xlarge|metal(-\d+xl)?)"
)


def instance_architecture(instance_type: str) -> str | None:
    """``arm64`` or ``x86_64`` for an EC2 instance type name, None when it is not one."""
    match = _EC2_INSTANCE_TYPE.fullmatch(instance_type)
    if match is None:
        return None
    graviton = "g" in (match["attributes"] or "") or match["family"] == "a1"
    return "arm64" if graviton else "x86_64"


def _ec2_instance_type(value: str) -> str | None:
    if value.startswith("mac"):
        # "You must run EC2 Mac instances on Amazon EC2 Dedicated Hosts"
        # (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-mac-instances.html): the app tier's Auto Scaling
        # group launches on shared tenancy, and a Mac AMI (arm64_mac, x86_64_mac) is none of the AMIs above.
        return "an EC2 instance type that runs on shared tenancy (EC2 Mac types need Dedicated Hosts)"
    if instance_architecture(value) is not None:
        return None
    return "an EC2 instance type <family>.<size> such as t3.small, m6i.large or m7g.large"


# How public AMI parameter names state the architecture: Amazon Linux and Bottlerocket `x86_64` / `arm64`
# (/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64, /aws/service/bottlerocket/.../arm64/...),
# Canonical and Debian `amd64` / `arm64` (/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/...,
# /aws/service/debian/release/12/latest/amd64), Red Hat and SUSE `aarch64` in some names; Windows Server AMIs are
# x86_64 only (/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base): EC2 has no arm64 Windows AMI
# (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/finding-an-ami-parameter-store.html; Systems Manager
# "Calling AMI public parameters"). A name is matched by whole words, so `arm64` inside another word is not one.
_AMI_ARCHITECTURE_WORDS = (
    ("arm64", re.compile(r"(?<![A-Za-z0-9])(arm64|aarch64)(?![A-Za-z0-9])")),
    ("x86_64", re.compile(r"(?<![A-Za-z0-9])(x86_64|amd64)(?![A-Za-z0-9])|(?<![A-Za-z0-9])windows[_-]", re.I)),
)


def ami_architecture(parameter: str) -> str | None:
    """The architecture an AMI parameter name states (``arm64`` for arm64/aarch64, ``x86_64`` for x86_64/amd64
    and Windows), or None when the name does not say."""
    found = {architecture for architecture, words in _AMI_ARCHITECTURE_WORDS if words.search(parameter)}
    return found.pop() if len(found) == 1 else None


# SSM parameter names: letters, digits and _.- in up to 15 /-separated levels, at most 1011 characters
# (https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-su-create.html#sysman-parameter-name-constraints).
# The AMI parameter is a path (the public AMI parameters all are), not an AMI id.
_SSM_PATH = re.compile(r"(/[A-Za-z0-9_.-]+){1,15}")


def _ssm_parameter_path(value: str) -> str | None:
    if _SSM_PATH.fullmatch(value) and len(value) <= 1011:
        return None
    return (
        "an SSM parameter path such as /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64 "
        "(up to 15 '/'-separated levels of letters, digits and _.-, at most 1011 characters; not an AMI id)"
    )


# S3 object keys: the state key is <prefix>/<environment>/<stack>.tfstate. Terraform's S3 backend refuses a key
# that starts or ends with '/' or contains '//' (hashicorp/terraform#15738, #23965, #33869); the characters are
# S3's "safe characters" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html).
_KEY_SEGMENT = r"[A-Za-z0-9!_.*'()-]+"


def _state_key_prefix(value: str) -> str | None:
    segments = value.split("/")
    if (
        re.fullmatch(rf"{_KEY_SEGMENT}(/{_KEY_SEGMENT})*", value)
        and len(value) <= 512
        and not {".", ".."}.intersection(segments)
    ):
        return None
    return (
        "a non-empty S3 key prefix without a leading or trailing '/' or '//', of letters, digits and !_.*'()- "
        "in '/'-separated parts (no '.' or '..' part), at most 512 characters"
    )


def _positive_seconds(value: float) -> str | None:
    return None if 0 < value <= 3600 else "a number of seconds greater than 0 and at most 3600"


# PutMetricAlarm Period: "Valid values are 10, 20, 30, and any multiple of 60", but "specify 10, 20, or 30 only for
# metrics that are stored by a PutMetricData call with a StorageResolution of 1": on a metric without sub-minute
# resolution such an alarm "does not receive data for the attempts that do not correspond to a one-minute data
# resolution, and the alarm might often lapse into INSUFFICIENT_DATA"
# (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html). alarm_period_seconds
# sets the alarms on AWS/RDS metrics (replication lag, writer CPU and memory), which RDS publishes once a minute
# (standard resolution); the lag alarm treats missing data as breaching, so a 10 s period would page five times a
# minute. The probe's own high-resolution metric has its own period (probe_interval_seconds).
def _alarm_period(value: int) -> str | None:
    if value % 60 == 0 and 60 <= value <= 604_800:
        return None
    return (
        "a multiple of 60 up to 604800 seconds: the alarms it sets read standard-resolution AWS/RDS metrics (one "
        "datapoint a minute), and CloudWatch's 10, 20 and 30 s periods are for high-resolution metrics only"
    )


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEK = 7 * 24 * 60


def _backup_interval(window: str) -> tuple[int, int]:
    """(start minute of the day, length in minutes) of a daily hh:mm-hh:mm window (it may cross midnight)."""
    start, end = (_minutes(part) for part in window.split("-"))
    return start, (end - start) % (24 * 60)


def _maintenance_interval(window: str) -> tuple[int, int]:
    """(start minute of the week, length in minutes) of a weekly ddd:hh:mm-ddd:hh:mm window."""
    start, end = (_DAYS.index(part[:3]) * 24 * 60 + _minutes(part[4:]) for part in window.split("-"))
    return start, (end - start) % _WEEK


# CreateDBCluster (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBCluster.html):
# PreferredBackupWindow "in the format hh24:mi-hh24:mi ... in Universal Coordinated Time (UTC) ... Must be at least
# 30 minutes"; PreferredMaintenanceWindow "Format: ddd:hh24:mi-ddd:hh24:mi ... Valid Days: Mon, Tue, Wed, Thu, Fri,
# Sat, Sun ... Minimum 30-minute window". RDS reads the day names in any case and returns them in lower case, as
# the stack writes them (normalized by _NORMALIZE); a full day name or another abbreviation is refused.
def _backup_window(value: str) -> str | None:
    if not re.fullmatch(_WINDOW, value):
        return "a UTC window hh24:mi-hh24:mi such as 03:00-04:00 (two-digit 24-hour times)"
    if _backup_interval(value)[1] < 30:
        return "a UTC window hh24:mi-hh24:mi of at least 30 minutes (RDS PreferredBackupWindow)"
    return None


def _maintenance_window(value: str) -> str | None:
    if not re.fullmatch(_MAINTENANCE_WINDOW, value):
        return (
            "a UTC window ddd:hh24:mi-ddd:hh24:mi such as sun:05:00-sun:06:00, ddd one of "
            f"{', '.join(_DAYS)} (the RDS API's day names)"
        )
    if _maintenance_interval(value)[1] < 30:
        return "a UTC window ddd:hh24:mi-ddd:hh24:mi of at least 30 minutes (RDS PreferredMaintenanceWindow)"
    return None


# Domain names. Route53 treats a name with and without the trailing dot as identical and "stores alphabetic
# characters as lowercase letters (a-z), regardless of how you specify them" (CreateHostedZone Name,
# ResourceRecordSet Name; "DNS domain name format",
# https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DomainNameFormat.html): names are normalized to that
# form before the rules (_NORMALIZE). Labels are at most 63 octets, names at most 253 characters without the
# final dot (255 octets on the wire); an internationalized name is given in Punycode (xn-- labels, also as the
# top-level domain, such as xn--p1ai). Hosted zone and record names may hold underscores (Route53 accepts them,
# as in _dmarc.example.com); a certificate's name may not: ACM's RequestCertificate DomainName pattern is
# (\*\.)?(((?!-)[A-Za-z0-9-]{0,62}[A-Za-z0-9])\.)+((?!-)[A-Za-z0-9-]{1,62}[A-Za-z0-9]), at most one leading
# wildcard label, and "the length of the domain name (technically, the Common Name) ... cannot exceed 64 octets
# (characters), including periods" (https://docs.aws.amazon.com/acm/latest/APIReference/API_RequestCertificate.html).
# domain_name is both the failover records' name and the certificate's domain name, so it obeys both.
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_ZONE_LABEL = r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?"
CERTIFICATE_NAME_LIMIT = 64


def dns_name(value: str) -> str:
    """A domain name in the form Route53 stores it: lower case, without the trailing dot."""
    return value[:-1].lower() if value.endswith(".") else value.lower()


def _dns_name_problems(value: str, label: str, *, what: str, example: str) -> list[str]:
    labels = value.split(".")
    problems = []
    if len(labels) < 2 or not all(re.fullmatch(label, part) for part in labels):
        characters = "letters, digits, underscores or hyphens" if label == _ZONE_LABEL else "letters, digits or hyphens"
        problems.append(
            f"a {what} such as {example}: two or more dot-separated labels of 1 to 63 {characters}, no hyphen "
            "first or last"
        )
    elif not re.search(r"[a-z]", labels[-1]):
        problems.append(f"a {what} whose last label is not all digits (an address is not a name)")
    if len(value) > 253:
        problems.append(f"at most 253 characters (got {len(value)})")
    return problems


def _zone_name(value: str) -> str | None:
    problems = _dns_name_problems(value, _ZONE_LABEL, what="Route53 zone name", example="example.com")
    return "; ".join(problems) if problems else None


def _certificate_domain_name(value: str) -> str | None:
    wildcard = value.startswith("*.")
    problems = _dns_name_problems(
        value[2:] if wildcard else value,
        _LABEL,
        what="domain name Route53 and ACM accept (no underscores in a certificate's name)",
        example="app.example.com",
    )
    if "*" in (value[2:] if wildcard else value):
        problems.append("a wildcard only as the whole first label (*.example.com), once")
    if len(value) > CERTIFICATE_NAME_LIMIT:
        problems.append(
            f"at most {CERTIFICATE_NAME_LIMIT} characters: it is the ACM certificate's domain name (got {len(value)})"
        )
    return "; ".join(problems) if problems else None


def _health_check_path(value: str) -> str | None:
    if value.startswith("/") and " " not in value and len(value) <= 255:
        return None
    return "a URL path starting with '/', without spaces, at most 255 characters"


def _recovery_window(value: int) -> str | None:
    return None if value == 0 or 7 <= value <= 30 else "0 (delete at once) or 7 to 30 days (Secrets Manager)"


def _pi_retention(value: int) -> str | None:
    if value in (7, 731) or (value % 31 == 0 and 31 <= value <= 713):
        return None
    return "7, a multiple of 31 up to 713, or 731 (days of Performance Insights)"


def _aws_name(kind: str) -> Rule:
    """A name given as a setting, checked against AWS's rule for its resource type (names.RULES)."""
    rule = names.RULES[kind]

    def check(value: str) -> str | None:
        problems = rule.problems(value)
        return f"a valid {rule.kind} ({'; '.join(problems)}; {rule.doc})" if problems else None

    return check


_WINDOW = r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d"
_DAY = r"(mon|tue|wed|thu|fri|sat|sun)"
_MAINTENANCE_WINDOW = rf"{_DAY}:([01]\d|2[0-3]):[0-5]\d-{_DAY}:([01]\d|2[0-3]):[0-5]\d"
_DNS_NAME = r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
# Project names are the stack's own limit (3-20 characters keep every derived name readable and every S3 name
# within 63); which characters AWS accepts in the names derived from them is checked by names.name_problems.
_PROJECT_NAME = r"[a-z][a-z0-9-]{1,18}[a-z0-9]"
# CreateDBCluster MasterUsername: 1 to 16 letters or numbers, first a letter (underscores are accepted too);
# https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBCluster.html
_DB_IDENTIFIER = r"[A-Za-z][A-Za-z0-9_]{0,15}"
# HCP Terraform organization and workspace names: letters, digits, '-' and '_' (workspaces up to 90).
_TFC_NAME = r"[A-Za-z0-9_-]{1,90}"
# HCP Terraform project names: letters, numbers, inner spaces, hyphens and underscores, 3 to 40 characters
# (https://developer.hashicorp.com/terraform/cloud-docs/projects/manage; the tfe provider's tfe_project checks
# the same: LengthBetween(3, 40) and \A[\w\-][\w\- ]+[\w\-]\z, hashicorp/terraform-provider-tfe).
_TFC_PROJECT = r"(?=.{3,40}$)[A-Za-z0-9_-]+( +[A-Za-z0-9_-]+)*"

_UNCHANGED = object()


def _resource_suffix(value: str) -> str | None:
    # Names are <project>-<environment>[-<suffix>] and a project may contain '-': with a suffix named like an
    # environment, project `shop-prod` in dev and project `shop` in prod with suffix `dev` would both be
    # `shop-prod-dev`. A suffix that is never an environment name makes the last part tell them apart.
    if re.fullmatch(r"[a-z0-9]{0,8}", value) and value not in ENVIRONMENTS:
        return None
    return (
        "empty or up to 8 lowercase letters and digits (AWS names reject upper case and most punctuation), not an "
        f"environment name ({', '.join(ENVIRONMENTS)}): <project>-<environment>-<suffix> must not equal another "
        "project's <project>-<environment>"
    )


# An AWS account id is a 12-digit number, leading zeros included
# (https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-identifiers.html); the AWS provider's
# allowed_account_ids is a set of them (https://registry.terraform.io/providers/hashicorp/aws/latest/docs).
def _account_ids(value: tuple[str, ...]) -> str | None:
    if all(re.fullmatch(r"\d{12}", account) for account in value):
        return None
    return "a list of 12-digit AWS account ids such as ['123456789012'] (digits only, leading zeros kept)"


class _Section:
    """A group of settings; ``section(default, doc, rule, prod=...)`` declares one setting of the group."""

    def __init__(self, title: str) -> None:
        self.title = title

    def __call__(self, default: Any, doc: str, rule: Rule | None = None, *, prod: Any = _UNCHANGED) -> Any:
        metadata = {"section": self.title, "doc": doc, "rule": rule, "prod": prod}
        return dataclasses.field(default=default, metadata=metadata)


IDENTITY = _Section("Identity")
NETWORK = _Section("Regions and network")
DATABASE = _Section("Database")
APP = _Section("Application tier")
DNS = _Section("DNS")
MONITORING = _Section("Monitoring")
OBJECTIVES = _Section("Objectives and failover")
STATE = _Section("Terraform state")


@dataclass(frozen=True)
class Settings:
    """Every tunable of the DR stack. Defaults are the low-cost ``dev`` profile; ``prod=`` is the prod profile."""

    # ----- Identity -----
    project_name: str = IDENTITY(
        "drapp",
        "Prefix of every resource name and the `project` tag.",
        _pattern(_PROJECT_NAME, "3-20 lowercase letters, digits or hyphens, starting with a letter"),
    )
    environment: str = IDENTITY(
        "dev",
        "Profile: `dev` (low cost) or `prod` (HA, protection on); sets the defaults marked by profile.",
        _one_of(ENVIRONMENTS),
    )
    resource_suffix: str = IDENTITY(
        "",
        "Optional suffix appended to names, to run several copies in one account.",
        _resource_suffix,
    )
    allowed_account_ids: tuple[str, ...] = IDENTITY(
        (),
        "Account guard: the AWS account ids every AWS provider of both stacks may act in (Terraform stops before "
        "any change in another account); empty: no guard. A list in a settings file, comma-separated in "
        "`DR_ALLOWED_ACCOUNT_IDS`.",
        _account_ids,
    )
    # ----- Regions and network -----
    primary_region: str = NETWORK("us-east-1", "Region that serves traffic and holds the writer.", _one_of(AWS_REGIONS))
    secondary_region: str = NETWORK(
        "us-west-2", "Warm-standby region; must differ from primary_region.", _one_of(AWS_REGIONS)
    )
    primary_vpc_cidr: str = NETWORK(
        "10.10.0.0/16", "Primary VPC range (private, /16 to /22); split into 16 blocks, 9 used.", _cidr
    )
    secondary_vpc_cidr: str = NETWORK("10.20.0.0/16", "Secondary VPC range; must not overlap the primary's.", _cidr)
    availability_zone_count: int = NETWORK(3, "AZs per region for every subnet tier (2 or 3).", _int_range(2, 3))
    nat_gateway_per_az: bool = NETWORK(
        False, "One NAT gateway per AZ (true) or one shared per region (false, cheaper).", prod=True
    )
    log_retention_days: int = NETWORK(
        30,
        "Retention of every CloudWatch log group (flow logs, WAF, Lambda).",
        _one_of(LOG_RETENTION_DAYS),
        prod=365,
    )
    # ----- Database -----
    db_engine: str = DATABASE("aurora-mysql", "`aurora-mysql` or `aurora-postgresql`.", _one_of(DB_ENGINES))
    db_engine_version: str = DATABASE(
        "",
        "Pinned engine version (aurora-mysql 8.0.mysql_aurora.3.x, aurora-postgresql <major>.<minor>, major >= 11); "
        "the parameter-group family follows it; empty picks the tested default of the engine.",
    )
    db_instance_class: str = DATABASE(
        "db.serverless",
        "`db.serverless` or a class Aurora global databases support (db.r5, r6g, r6gd, r6i, r6id, r7g, r7i, r8g, "
        "r8gd, x2g; large and up); db.t* is refused.",
        _instance_class,
        prod="db.r6g.large",
    )
    db_serverless_min_capacity: float = DATABASE(
        1.0, "Serverless v2 minimum ACUs (>= 0.5: global databases cannot pause).", _float_range(0.5, 256)
    )
    db_serverless_max_capacity: float = DATABASE(8.0, "Serverless v2 maximum ACUs.", _float_range(1, 256))
    # A global database's primary cluster has one writer and at most 15 - s readers, s the number of secondary
    # regions (here 1); a secondary cluster has at most 16 readers ("Configuration requirements of an Amazon
    # Aurora global database", AuroraUserGuide/aurora-global-database.configuration.requirements.html).
    primary_db_instance_count: int = DATABASE(
        2,
        "Primary cluster instances: a writer and readers in different AZs (2 to 15).",
        _int_range(2, 15),
        prod=2,
    )
    secondary_db_instance_count: int = DATABASE(
        1, "Secondary cluster instances (1 to 16; promoted on failover).", _int_range(1, 16), prod=2
    )
    db_name: str = DATABASE(
        "appdb",
        "Initial database name: a letter then letters, digits or _ (64 characters on aurora-mysql, 63 on "
        "aurora-postgresql), not a word the engine reserves.",
        _pattern(r"[A-Za-z][A-Za-z0-9_]{0,63}", "a letter then up to 63 letters, digits or underscores"),
    )
    db_master_username: str = DATABASE(
        "dbadmin",
        "Master user name (the password is generated, never a setting); not a word the engine reserves.",
        _pattern(_DB_IDENTIFIER, "a letter then up to 15 letters, digits or underscores"),
    )
    db_app_username: str = DATABASE(
        "app",
        "Database user the app instances may connect as with IAM database authentication (`rds-db:connect`); "
        "create it in the database once (docs/runbook.md).",
        _pattern(_DB_IDENTIFIER, "a letter then up to 15 letters, digits or underscores"),
    )
    db_password_source: str = DATABASE(
        "random",
        "`random` (generated by Secrets Manager, ephemeral) or `variable` (ephemeral TF_VAR_db_master_password).",
        _one_of(DB_PASSWORD_SOURCES),
    )
    db_master_password_version: int = DATABASE(
        1,
        "Bump to rotate the master password (new generated value or new TF_VAR, written once).",
        _int_range(1, 1_000_000),
    )
    db_backup_retention_days: int = DATABASE(
        7, "Automated backup retention of both clusters (1 to 35 days).", _int_range(1, 35), prod=35
    )
    db_backup_window: str = DATABASE(
        "03:00-04:00",
        "Daily backup window, UTC; at least 30 minutes, not overlapping the maintenance window.",
        _backup_window,
    )
    db_maintenance_window: str = DATABASE(
        "sun:05:00-sun:06:00",
        "Weekly maintenance window, UTC; at least 30 minutes.",
        _maintenance_window,
    )
    db_deletion_protection: bool = DATABASE(
        False, "Deletion protection on the global and regional clusters.", prod=True
    )
    db_audit_log_export: bool = DATABASE(False, "Also export the audit log (aurora-mysql).", prod=True)
    db_write_forwarding: bool = DATABASE(False, "Global write forwarding on the secondary cluster.")
    db_monitoring_interval_seconds: int = DATABASE(
        60, "Enhanced Monitoring interval (1, 5, 10, 15, 30, 60; 0 turns it off).", _one_of(MONITORING_INTERVALS)
    )
    db_performance_insights_retention_days: int = DATABASE(
        7, "Performance Insights retention (7, multiples of 31, 731).", _pi_retention, prod=731
    )
    db_cpu_alarm_percent: int = DATABASE(80, "Writer CPU alarm threshold.", _int_range(1, 100))
    db_freeable_memory_alarm_mib: int = DATABASE(
        256, "Writer freeable-memory alarm threshold, MiB.", _int_range(1, 1_000_000)
    )
    aws_backup_retention_days: int = DATABASE(
        35,
        "AWS Backup retention of the daily cluster snapshot and its cross-region copy.",
        _int_range(1, 36500),
        prod=35,
    )
    secret_recovery_window_days: int = DATABASE(
        7, "Days a deleted master secret can be restored (0 or 7 to 30).", _recovery_window, prod=30
    )
    # ----- Application tier -----
    app_instance_type: str = APP(
        "t3.small",
        "EC2 instance type of the app tier; its architecture must match the AMI's (Graviton `*g` types need an "
        "arm64 AMI parameter).",
        _ec2_instance_type,
        prod="m6i.large",
    )
    app_ami_ssm_parameter: str = APP(
        "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
        "SSM parameter path naming the AMI (`...-arm64` for Graviton instance types).",
        _ssm_parameter_path,
    )
    app_port: int = APP(8080, "Port the app listens on behind the ALB.", _int_range(1024, 65535))
    health_check_path: str = APP(
        "/health", "Path the target group and Route53 health checks request.", _health_check_path
    )
    primary_app_min_capacity: int = APP(
        2,
        "Primary ASG minimum (also the failover capacity's minimum: what a region is raised to when a run moves "
        "traffic to it).",
        _int_range(*contract.CAPACITY_RANGE),
        prod=3,
    )
    primary_app_max_capacity: int = APP(4, "Primary ASG maximum.", _int_range(*contract.MAX_CAPACITY_RANGE), prod=12)
    primary_app_desired_capacity: int = APP(
        2, "Primary ASG desired capacity.", _int_range(*contract.CAPACITY_RANGE), prod=3
    )
    secondary_app_min_capacity: int = APP(
        1,
        "Secondary ASG minimum (warm standby); at least primary_app_min_capacity makes the app term of the RTO "
        "budget 0 (the standby already serves the failover minimum), below it launch + grace.",
        _int_range(*contract.CAPACITY_RANGE),
        prod=3,
    )
    secondary_app_max_capacity: int = APP(
        4, "Secondary ASG maximum.", _int_range(*contract.MAX_CAPACITY_RANGE), prod=12
    )
    secondary_app_desired_capacity: int = APP(
        1, "Secondary ASG desired capacity (warm standby).", _int_range(*contract.CAPACITY_RANGE), prod=3
    )
    app_cpu_target_percent: int = APP(50, "Target-tracking CPU utilization of the ASGs.", _int_range(10, 95))
    app_health_check_grace_seconds: int = APP(
        180, "ASG health-check grace period (also an RTO budget term).", _int_range(0, 3600)
    )
    app_scale_up_allowance_seconds: int = APP(
        120, "Time allowed for new instances to launch (RTO budget term).", _int_range(0, 3600)
    )
    alb_access_log_retention_days: int = APP(90, "Days ALB access logs are kept in S3.", _int_range(1, 3650), prod=365)
    alb_deletion_protection: bool = APP(
        False, "Deletion protection on both ALBs: Elastic Load Balancing refuses to delete them.", prod=True
    )
    alb_access_log_keep_on_destroy: bool = APP(
        False,
        "Keep ALB access logs: `terraform destroy` refuses to delete a log bucket that holds any (false: empties it).",
        prod=True,
    )
    alb_5xx_alarm_threshold: int = APP(
        10, "5xx responses per period that raise the ALB alarm.", _int_range(1, 1_000_000)
    )
    alb_response_time_alarm_seconds: float = APP(
        1.0, "Target response time that raises the latency alarm (0 < seconds <= 3600).", _positive_seconds
    )
    # RateBasedStatement Limit: 10 to 2,000,000,000 (botocore wafv2 model; API_RateBasedStatement).
    waf_rate_limit: int = APP(2000, "Requests per 5 minutes per IP before WAF blocks.", _int_range(10, 2_000_000_000))
    # ----- DNS -----
    domain_name: str = DNS(
        "",
        "Application FQDN (any case, trailing dot optional, Punycode for IDNs, `*.` wildcard allowed; at most 64 "
        "characters, the ACM certificate's name); empty: no DNS records and plain HTTP on the ALBs.",
        _optional(_certificate_domain_name),
    )
    hosted_zone_name: str = DNS(
        "",
        "Route53 zone holding domain_name.",
        _optional(_zone_name),
    )
    create_hosted_zone: bool = DNS(False, "Create the zone (true) or look up an existing one (false).")
    health_check_interval_seconds: int = DNS(
        10, "Route53 health-check interval (10 or 30).", _one_of(HEALTH_CHECK_INTERVALS)
    )
    health_check_failure_threshold: int = DNS(
        contract.DEFAULT_PROBE_FAILURE_PERIODS,
        "Failed checks (and failing probe datapoints) before an endpoint is unhealthy.",
        _int_range(*contract.PROBE_FAILURE_PERIODS_RANGE),
    )
    dns_ttl_seconds: int = DNS(
        60, "Client DNS caching allowance in the RTO budget (alias records use 60 s).", _int_range(0, 86400)
    )
    # ----- Monitoring -----
    alarm_email: str = MONITORING(
        "",
        "E-mail subscribed to both alarm topics; empty: none.",
        _pattern(r"[^@\s]+@[^@\s]+\.[^@\s]+", "empty or an e-mail address", empty_ok=True),
    )
    alarm_period_seconds: int = MONITORING(
        60,
        "Period of the alarms on AWS service metrics (a multiple of 60: they publish one datapoint a minute); an "
        "RPO term.",
        _alarm_period,
    )
    alarm_evaluation_periods: int = MONITORING(1, "Periods an alarm must breach before it fires.", _int_range(1, 10))
    replication_lag_alarm_seconds: int = MONITORING(
        0,
        "Replication-lag alarm threshold; 0 derives it as rpo_minutes x 60 / 5.",
        _int_range(0, 86400),
    )
    replication_lag_alarm_evaluation_periods: int = MONITORING(
        3, "Periods of lag before the lag alarm fires (RPO budget term).", _int_range(1, 10)
    )
    # ----- Objectives and failover -----
    rto_minutes: int = OBJECTIVES(
        15,
        "Recovery time objective; synth refuses settings whose budget exceeds it.",
        _int_range(*contract.OBJECTIVE_MINUTES_RANGE),
    )
    rpo_minutes: int = OBJECTIVES(
        5,
        "Recovery point objective; synth refuses settings whose budget exceeds it.",
        _int_range(*contract.OBJECTIVE_MINUTES_RANGE),
    )
    failover_automatic: bool = OBJECTIVES(
        False, "Invoke the orchestrator automatically from the secondary region's health signal."
    )
    failover_decision_allowance_seconds: int = OBJECTIVES(
        300, "Time allowed for a human to decide (RTO term; 0 with automatic).", _int_range(0, 86400)
    )
    db_promotion_allowance_seconds: int = OBJECTIVES(
        180,
        "Time allowed for the global database promotion (RTO term); AWS typically completes a managed "
        "FailoverGlobalCluster in one to two minutes.",
        _int_range(0, 3600),
        prod=120,
    )
    failover_promotion_timeout_seconds: int = OBJECTIVES(
        contract.DEFAULT_PROMOTION_TIMEOUT_SECONDS,
        "Deadline of the orchestrator's promotion wait (within Lambda's 15 min); less than rto_minutes x 60.",
        _int_range(*contract.PROMOTION_TIMEOUT_RANGE),
    )
    readiness_check_interval_minutes: int = OBJECTIVES(
        15, "Minutes between scheduled read-only readiness checks in each region.", _int_range(1, 1440)
    )
    failover_capacity_percent: int = OBJECTIVES(
        contract.DEFAULT_FAILOVER_CAPACITY_PERCENT,
        "Target ASG desired on promotion: this % of the serving region's 24 h peak in service "
        "(floor: primary_app_desired_capacity).",
        _int_range(*contract.FAILOVER_CAPACITY_PERCENT_RANGE),
    )
    failover_min_success_percent: int = OBJECTIVES(
        contract.DEFAULT_MIN_SUCCESS_PERCENT,
        "Share of the target's desired capacity an unplanned failover needs in service (planned: all).",
        _int_range(*contract.MIN_SUCCESS_PERCENT_RANGE),
    )
    failover_match_database_capacity: bool = OBJECTIVES(
        contract.DEFAULT_MATCH_DATABASE_CAPACITY,
        "Give the promoted cluster the old writer's capacity (max ACUs; readers of its class up to its count).",
    )
    run_report_retention_days: int = OBJECTIVES(
        365, "Days each run report (JSON + Markdown) is kept in the region's report bucket.", _int_range(1, 3650)
    )
    run_report_noncurrent_days: int = OBJECTIVES(
        30, "Days an overwritten or deleted run report's previous version is kept.", _int_range(1, 3650)
    )
    run_report_keep_on_destroy: bool = OBJECTIVES(
        False,
        "Keep run reports: `terraform destroy` refuses to delete a report bucket that holds any (false: empties it).",
        prod=True,
    )
    failover_fence_timeout_seconds: int = OBJECTIVES(
        contract.DEFAULT_FENCE_TIMEOUT_SECONDS,
        "Total time a run gives the region it moves away from (standby scaling, reads) before going on without "
        "it; an RTO term.",
        _int_range(*contract.FENCE_TIMEOUT_RANGE),
        prod=5,
    )
    failover_confirmation_timeout_seconds: int = OBJECTIVES(
        contract.DEFAULT_CONFIRMATION_TIMEOUT_SECONDS,
        "Automatic failover: one deadline for the confirmation reads (probe metric, Route53 checkers, the primary's "
        "RDS API, the secondary's lag), run at the same time; a signal without an answer by then is unknown, never "
        "down; an RTO term.",
        _int_range(*contract.CONFIRMATION_TIMEOUT_RANGE),
        prod=5,
    )
    failover_confirmation_lag_percent_of_rpo: int = OBJECTIVES(
        contract.DEFAULT_CONFIRMATION_LAG_PERCENT_OF_RPO,
        "Automatic failover: the secondary cluster's AuroraGlobalDBReplicationLag (read in the secondary region, "
        "so it answers when the primary region is gone) counts as a down signal above this percentage of the RPO.",
        _int_range(*contract.CONFIRMATION_LAG_PERCENT_RANGE),
    )
    probe_interval_seconds: int = OBJECTIVES(
        contract.DEFAULT_PROBE_INTERVAL_SECONDS,
        "Seconds between probes of the primary from the secondary region (automatic failover); under 60 the "
        "probe publishes high-resolution datapoints and its trigger alarm uses this period (detection term).",
        _one_of(contract.PROBE_INTERVALS),
        prod=10,
    )
    failover_automatic_min_interval_seconds: int = OBJECTIVES(
        contract.DEFAULT_AUTOMATIC_MIN_INTERVAL_SECONDS,
        "Minimum time between two automatic failover runs; an alarm that fires again within it starts nothing.",
        _int_range(*contract.AUTOMATIC_MIN_INTERVAL_RANGE),
    )
    # ----- Terraform state -----
    state_backend: str = STATE(
        "s3",
        "`s3` (S3 + DynamoDB lock), `cloud` (HCP Terraform), `remote` (older Terraform Enterprise) or `local`.",
        _one_of(STATE_BACKENDS),
    )
    state_bucket: str = STATE(
        "",
        "State bucket; empty derives `<project>-<environment>[-suffix]-tfstate`; `-replica` is appended for its "
        "copy in the other region, so at most 55 characters.",
        _optional(_aws_name("aws_s3_bucket.bucket")),
    )
    state_key_prefix: str = STATE(
        "dr-stack", "Prefix of the state object keys (no leading, trailing or double '/').", _state_key_prefix
    )
    state_region: str = STATE(
        "", "Region of the state bucket and lock table; empty: primary_region.", _optional(_one_of(AWS_REGIONS))
    )
    state_lock_table: str = STATE(
        "",
        "DynamoDB lock table; empty derives `<name>-tflock`.",
        _optional(_aws_name("aws_dynamodb_table.name")),
    )
    tfc_organization: str = STATE(
        "",
        "HCP Terraform / Terraform Enterprise organization (state_backend `cloud` or `remote`).",
        _optional(_pattern(_TFC_NAME, "letters, digits, '-' or '_'")),
    )
    tfc_workspace_prefix: str = STATE(
        "",
        "Workspace name prefix; `-<stack name>` is appended (one workspace per stack). Empty with `cloud`: "
        "the stack name alone.",
        _optional(_pattern(_TFC_NAME, "letters, digits, '-' or '_'")),
    )
    tfc_project: str = STATE(
        "",
        "HCP Terraform project of the workspaces (state_backend `cloud`); empty: the organization's default.",
        _optional(
            _pattern(_TFC_PROJECT, "3-40 letters, digits, inner spaces, '-' or '_' (HCP Terraform project names)")
        ),
    )
    tfc_hostname: str = STATE(
        "app.terraform.io",
        "HCP Terraform / Terraform Enterprise host name.",
        _pattern(_DNS_NAME, "a DNS host name such as app.terraform.io"),
    )

    # ----- derived values (one place, so every construct agrees) -----
    @property
    def name_prefix(self) -> str:
        """Prefix of every resource name: project, environment and optional suffix."""
        return names.name_prefix(self.project_name, self.environment, self.resource_suffix)

    @property
    def engine(self) -> EngineDefaults:
        """Engine-specific defaults for the chosen db_engine."""
        return ENGINE_DEFAULTS[self.db_engine]

    @property
    def db_parameter_group_family(self) -> str:
        """Parameter-group family of db_engine_version (RDS refuses a group of another family)."""
        return parameter_group_family(self.db_engine, self.db_engine_version or self.engine.version)

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
    def resource_names(self) -> names.StackNames:
        """Every name of the DR stack's resources (the stack hands each construct the ones it creates)."""
        return names.StackNames(self.name_prefix)

    @property
    def state_names(self) -> names.StateNames:
        """Every name of the bootstrap stack's resources."""
        return names.StateNames(self.name_prefix, self.state_bucket, self.state_lock_table)

    @property
    def global_cluster_identifier(self) -> str:
        """Identifier of the Aurora global cluster."""
        return self.resource_names.global_cluster

    @property
    def state_bucket_name(self) -> str:
        """S3 bucket holding Terraform state: the setting or a name derived from the project."""
        return self.state_names.bucket

    @property
    def state_lock_table_name(self) -> str:
        """DynamoDB table locking Terraform state."""
        return self.state_names.lock_table

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
        return self.state_names.replica_bucket

    def region_of(self, role: str) -> str:
        """Region for a DR role, 'primary' or 'secondary'."""
        return self.primary_region if role == "primary" else self.secondary_region

    def app_capacity(self, role: str) -> contract.Capacity:
        """App capacity of a region in its normal role, as the contract's Capacity (the orchestrator's type)."""
        return contract.Capacity(
            minimum=getattr(self, f"{role}_app_min_capacity"),
            desired=getattr(self, f"{role}_app_desired_capacity"),
            maximum=getattr(self, f"{role}_app_max_capacity"),
        )


SETTING_NAMES = tuple(f.name for f in fields(Settings))
SETTING_DOCS: dict[str, str] = {f.name: f.metadata["doc"] for f in fields(Settings)}
SETTING_SECTIONS: dict[str, str] = {f.name: f.metadata["section"] for f in fields(Settings)}
FIELD_RULES: dict[str, Rule] = {f.name: f.metadata["rule"] for f in fields(Settings) if f.metadata["rule"]}
# Profiles: what an environment changes from the defaults (the `prod=` of each setting).
PROFILES: dict[str, dict[str, Any]] = {
    "dev": {},
    "prod": {f.name: f.metadata["prod"] for f in fields(Settings) if f.metadata["prod"] is not _UNCHANGED},
}


# ----- cross-setting rules: one table; each reads the settings it names and returns a message or None -----
def _regions_differ(s: Settings) -> str | None:
    if s.primary_region != s.secondary_region:
        return None
    return (
        f"setting secondary_region must differ from primary_region, got {s.secondary_region!r} for "
        "both: a disaster-recovery stack needs two regions"
    )


def _cidrs_disjoint(s: Settings) -> str | None:
    if not ipaddress.IPv4Network(s.primary_vpc_cidr).overlaps(ipaddress.IPv4Network(s.secondary_vpc_cidr)):
        return None
    return (
        f"setting secondary_vpc_cidr must not overlap primary_vpc_cidr ({s.primary_vpc_cidr}), got "
        f"{s.secondary_vpc_cidr!r}: overlapping ranges cannot be peered or routed between regions"
    )


def _capacity(role: str) -> Callable[[Settings], str | None]:
    def rule(s: Settings) -> str | None:
        capacity = s.app_capacity(role)
        if capacity.minimum > capacity.maximum:
            return (
                f"setting {role}_app_min_capacity must be <= {role}_app_max_capacity ({capacity.maximum}), "
                f"got {capacity.minimum}"
            )
        if not capacity.minimum <= capacity.desired <= capacity.maximum:
            return (
                f"setting {role}_app_desired_capacity must be between {role}_app_min_capacity ({capacity.minimum}) "
                f"and {role}_app_max_capacity ({capacity.maximum}), got {capacity.desired}"
            )
        return None

    return rule


def _serverless_range(s: Settings) -> str | None:
    if s.db_serverless_min_capacity <= s.db_serverless_max_capacity:
        return None
    return (
        f"setting db_serverless_min_capacity must be <= db_serverless_max_capacity "
        f"({s.db_serverless_max_capacity}), got {s.db_serverless_min_capacity}"
    )


def _domain(s: Settings) -> str | None:
    if s.domain_name and not s.hosted_zone_name:
        return f"setting hosted_zone_name must be set when domain_name is set, got '' for domain {s.domain_name!r}"
    if s.hosted_zone_name and not s.domain_name:
        return f"setting domain_name must be set when hosted_zone_name is set, got '' for zone {s.hosted_zone_name!r}"
    if s.domain_name and not (s.domain_name == s.hosted_zone_name or s.domain_name.endswith("." + s.hosted_zone_name)):
        return f"setting domain_name must be inside hosted_zone_name ({s.hosted_zone_name}), got {s.domain_name!r}"
    return None


def _backend(s: Settings) -> str | None:
    if s.state_backend == "remote" and not (s.tfc_organization and s.tfc_workspace_prefix):
        return (
            "settings tfc_organization and tfc_workspace_prefix must be set when state_backend is 'remote', "
            f"got {s.tfc_organization!r} and {s.tfc_workspace_prefix!r}"
        )
    if s.state_backend == "cloud" and not s.tfc_organization:
        return "setting tfc_organization must be set when state_backend is 'cloud', got ''"
    if s.tfc_project and s.state_backend != "cloud":
        return (
            f"setting tfc_project must be empty unless state_backend is 'cloud' (the remote backend has no "
            f"projects), got {s.tfc_project!r} with state_backend {s.state_backend!r}"
        )
    return None


def _workspace_names(s: Settings) -> str | None:
    if s.state_backend not in ("cloud", "remote"):
        return None
    # HCP Terraform workspace names are at most 90 characters; the longest is the bootstrap stack's.
    longest = names.workspace_name(s.tfc_workspace_prefix, names.stack_names(s.name_prefix)[0])
    if len(longest) <= 90:
        return None
    return (
        f"setting tfc_workspace_prefix must leave workspace names within 90 characters, got "
        f"{s.tfc_workspace_prefix!r}, which makes {longest!r} ({len(longest)} characters)"
    )


def _engine_version(s: Settings) -> str | None:
    pattern, allowed, _ = _ENGINE_VERSIONS[s.db_engine]
    if pattern.fullmatch(s.db_engine_version):
        return None
    return f"setting db_engine_version must be {allowed} for db_engine {s.db_engine}, got {s.db_engine_version!r}"


def _release(engine: str, version: str) -> tuple[int, ...]:
    """The comparable release of a version of the engine: (3, 8, 2) for 8.0.mysql_aurora.3.08.2, (16, 6) for 16.6."""
    numbers = version.split(".mysql_aurora.")[-1] if engine == "aurora-mysql" else version
    return tuple(int(part) for part in numbers.split("."))


# The oldest release of each engine (Aurora PostgreSQL: of each major) with a feature the stack uses, as the Aurora
# User Guide lists them for the commercial Regions this stack accepts (a Region whose floor is higher, such as a
# newly opened one, is left to RDS). A major that is not listed (a newer one) has no floor here.
# Global databases, "Supported Regions and DB engines for Aurora global databases"
# (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.Aurora_Fea_Regions_DB-eng.Feature.GlobalDatabase.html):
# Aurora MySQL version 3.01.0 and higher; Aurora PostgreSQL 11.9 and 11.12 and higher, 12.7, 13.3, 14.3, 15.2, 16.1,
# 17.4 and higher.
GLOBAL_DATABASE_FLOORS: dict[str, dict[int, tuple[int, ...]]] = {
    "aurora-mysql": {3: (3, 1, 0)},
    "aurora-postgresql": {11: (11, 12), 12: (12, 7), 13: (13, 3), 14: (14, 3), 15: (15, 2), 16: (16, 1), 17: (17, 4)},
}
_GLOBAL_DATABASE_EXTRA = {("aurora-postgresql", (11, 9))}
# Serverless v2, "Supported Regions and Aurora DB engines for Aurora Serverless v2"
# (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.Aurora_Fea_Regions_DB-eng.Feature.ServerlessV2.html):
# Aurora MySQL 3.02.0 and higher; Aurora PostgreSQL 13.6, 14.3, 15.2, 16.1, 17.4 and higher, and no 11 or 12 release.
SERVERLESS_V2_FLOORS: dict[str, dict[int, tuple[int, ...] | None]] = {
    "aurora-mysql": {3: (3, 2, 0)},
    "aurora-postgresql": {11: None, 12: None, 13: (13, 6), 14: (14, 3), 15: (15, 2), 16: (16, 1), 17: (17, 4)},
}
# Global write forwarding: "supported with Aurora MySQL 2.08.1 and higher versions" (so every version 3 release;
# AuroraUserGuide/aurora-global-database-write-forwarding-ams.html); Aurora PostgreSQL "16 and higher major versions
# ... all minor versions", "15.4 and higher minor versions, and version 14.9 and higher"
# (AuroraUserGuide/aurora-global-database-write-forwarding-apg.html).
WRITE_FORWARDING_FLOORS: dict[str, dict[int, tuple[int, ...] | None]] = {
    "aurora-mysql": {},
    "aurora-postgresql": {11: None, 12: None, 13: None, 14: (14, 9), 15: (15, 4)},
}


def _below(floors: Mapping[int, tuple[int, ...] | None], release: tuple[int, ...]) -> bool:
    """True when the release is older than its major's floor, or its major has none of the feature."""
    if release[0] not in floors:
        return False
    floor = floors[release[0]]
    return floor is None or release < floor


def _version_text(engine: str, release: tuple[int, ...]) -> str:
    """A release as the engine spells it: 3.02.0 (Aurora MySQL), 13.6 (Aurora PostgreSQL)."""
    if engine == "aurora-mysql":
        major, minor, patch = release
        return f"{major}.{minor:02d}.{patch}"
    return ".".join(map(str, release))


def _floor_text(floors: Mapping[int, tuple[int, ...] | None], engine: str, extra: Iterable[str] = ()) -> str:
    shown = [_version_text(engine, floor) + " and higher" for floor in floors.values() if floor is not None]
    return ", ".join([*extra, *shown])


def _engine_features(s: Settings) -> list[str]:
    pattern, _, _ = _ENGINE_VERSIONS[s.db_engine]
    if not pattern.fullmatch(s.db_engine_version):
        return []  # _engine_version names it
    release = _release(s.db_engine, s.db_engine_version)
    problems = []
    global_floors = GLOBAL_DATABASE_FLOORS[s.db_engine]
    extra = [_version_text(engine, old) for engine, old in sorted(_GLOBAL_DATABASE_EXTRA) if engine == s.db_engine]
    if _below(global_floors, release) and (s.db_engine, release) not in _GLOBAL_DATABASE_EXTRA:
        problems.append(
            f"setting db_engine_version must be a release of {s.db_engine} that Aurora global databases support "
            f"({_floor_text(global_floors, s.db_engine, extra)}), got {s.db_engine_version!r}: RDS refuses to add "
            "it to a global cluster"
        )
    serverless_floors = SERVERLESS_V2_FLOORS[s.db_engine]
    if s.is_serverless and _below(serverless_floors, release):
        problems.append(
            f"setting db_engine_version must be a release of {s.db_engine} with Aurora Serverless v2 when "
            f"db_instance_class is db.serverless ({_floor_text(serverless_floors, s.db_engine)}), got "
            f"{s.db_engine_version!r}: pick a newer release or a provisioned class such as db.r6g.large"
        )
    forwarding_floors = WRITE_FORWARDING_FLOORS[s.db_engine]
    if s.db_write_forwarding and _below(forwarding_floors, release):
        problems.append(
            f"setting db_write_forwarding must be false for {s.db_engine} {s.db_engine_version!r}: global write "
            f"forwarding needs {_floor_text(forwarding_floors, s.db_engine)} or a major of 16 or newer, got true"
        )
    return problems


def _instance_and_ami(s: Settings) -> str | None:
    # EC2 refuses to launch an instance whose type's architecture differs from the AMI's ("The architecture
    # 'arm64' of the specified instance type does not match the architecture 'x86_64' of the specified AMI").
    # https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-instance-resize.html#resize-limitations
    instance, ami = instance_architecture(s.app_instance_type), ami_architecture(s.app_ami_ssm_parameter)
    if ami is None or instance == ami:
        return None
    # The same image for the other architecture, spelled as its publisher spells it.
    swaps = {"x86_64": "arm64", "amd64": "arm64", "arm64": "x86_64", "aarch64": "x86_64"}
    words = re.compile(r"(?<![A-Za-z0-9])(x86_64|amd64|arm64|aarch64)(?![A-Za-z0-9])")
    match = words.search(s.app_ami_ssm_parameter)
    if match is None:  # a Windows Server image: x86_64 only
        fix = "use an x86_64 instance type (Windows Server AMIs are x86_64 only)"
    else:
        word = match.group(1)
        if word == "arm64" and ("/canonical/" in s.app_ami_ssm_parameter or "/debian/" in s.app_ami_ssm_parameter):
            swaps["arm64"] = "amd64"
        other = s.app_ami_ssm_parameter[: match.start()] + swaps[word] + s.app_ami_ssm_parameter[match.end() :]
        fix = f"set app_ami_ssm_parameter to {other!r} or pick an {ami} instance type"
    return (
        f"settings app_instance_type and app_ami_ssm_parameter must name the same CPU architecture, got "
        f"{s.app_instance_type!r} ({instance}{', AWS Graviton' if instance == 'arm64' else ''}) with "
        f"{s.app_ami_ssm_parameter!r} ({ami}): {fix}"
    )


def _windows_disjoint(s: Settings) -> str | None:
    # CreateDBCluster PreferredBackupWindow: "Must not conflict with the preferred maintenance window."
    # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBCluster.html
    backup_start, backup_length = _backup_interval(s.db_backup_window)
    maintenance_start, maintenance_length = _maintenance_interval(s.db_maintenance_window)
    for day in range(7):
        start = day * 24 * 60 + backup_start
        # Two intervals on the week's circle overlap when either starts inside the other.
        if (start - maintenance_start) % _WEEK < maintenance_length or (
            maintenance_start - start
        ) % _WEEK < backup_length:
            return (
                f"setting db_backup_window must not overlap db_maintenance_window ({s.db_maintenance_window}), "
                f"got {s.db_backup_window!r}: RDS refuses a backup window that conflicts with the maintenance window"
            )
    return None


def _db_name(s: Settings) -> str | None:
    limit = 64 if s.db_engine == "aurora-mysql" else 63
    if len(s.db_name) > limit:
        return (
            f"setting db_name must be at most {limit} characters on {s.db_engine}, got {s.db_name!r} ({len(s.db_name)})"
        )
    reason = names.reserved_database_name(s.db_engine, s.db_name)
    if reason is None:
        return None
    return f"setting db_name must not be a name {s.db_engine} reserves, got {s.db_name!r}: {reason}"


def _alarm_range(s: Settings) -> list[str]:
    # PutMetricAlarm: Period x EvaluationPeriods must not exceed one day (86,400 s), or 7 days for periods of an
    # hour or more (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html).
    limit = 86_400 if s.alarm_period_seconds < 3600 else 7 * 86_400
    problems = []
    for name in ("alarm_evaluation_periods", "replication_lag_alarm_evaluation_periods"):
        periods = getattr(s, name)
        if s.alarm_period_seconds * periods > limit:
            problems.append(
                f"setting {name} must keep alarm_period_seconds ({s.alarm_period_seconds}) x periods within "
                f"{limit} seconds (CloudWatch), got {periods}"
            )
    return problems


# Regions where accounts get only two Availability Zones for new subnets. us-west-1 has three zones, but accounts
# created after 2013 see two of them ("Regions and Zones": "some Availability Zones ... not available to new
# customers"; https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/using-regions-availability-zones.html).
# The stack places subnet i in zone i modulo the zones it sees, so a third subnet would silently share zone one.
TWO_ZONE_REGIONS = frozenset({"us-west-1"})


def _zone_count(s: Settings) -> str | None:
    short = sorted({s.primary_region, s.secondary_region} & TWO_ZONE_REGIONS)
    if s.availability_zone_count <= 2 or not short:
        return None
    return (
        f"setting availability_zone_count must be 2 when a DR region offers new accounts only two Availability "
        f"Zones ({', '.join(short)}), got {s.availability_zone_count}: a third subnet would land in the first zone"
    )


def _master_username(s: Settings) -> str | None:
    reason = names.reserved_master_username(s.db_engine, s.db_master_username)
    if reason is None:
        return None
    return (
        f"setting db_master_username must not be a name {s.db_engine} reserves, got {s.db_master_username!r}: {reason}"
    )


def _app_username(s: Settings) -> str | None:
    if s.db_app_username.lower() == s.db_master_username.lower():
        return (
            f"setting db_app_username must differ from db_master_username, got {s.db_app_username!r} for both: "
            "the app's IAM-authenticated user must not be the master user"
        )
    reason = names.reserved_master_username(s.db_engine, s.db_app_username)
    if reason is None:
        return None
    return f"setting db_app_username must not be a name {s.db_engine} reserves, got {s.db_app_username!r}: {reason}"


def _promotion_deadline(s: Settings) -> str | None:
    if s.failover_promotion_timeout_seconds >= s.db_promotion_allowance_seconds:
        return None
    return (
        f"setting failover_promotion_timeout_seconds must be >= db_promotion_allowance_seconds "
        f"({s.db_promotion_allowance_seconds}), got {s.failover_promotion_timeout_seconds}: the orchestrator "
        "would give up before the budgeted promotion time"
    )


# The orchestrators' own cross-variable rules (dr_failover.config.CROSS_RULES), on the settings that feed them:
# each orchestrator refuses at cold start, on every invocation, an environment that breaks one.
def _promotion_within_rto(s: Settings) -> str | None:
    if s.failover_promotion_timeout_seconds < s.rto_minutes * 60:
        return None
    return (
        f"setting failover_promotion_timeout_seconds must be less than rto_minutes x 60 ({s.rto_minutes * 60}), "
        f"got {s.failover_promotion_timeout_seconds}: both orchestrators refuse PROMOTION_TIMEOUT_SECONDS >= "
        "RTO_MINUTES * 60 at cold start"
    )


def _standby_within_failover_max(s: Settings) -> str | None:
    # A region that stops serving keeps the standby capacity (secondary min/desired) and the promoted one is
    # raised to the failover capacity (primary min/desired/max): STANDBY_DESIRED <= FAILOVER_CAPACITY_MAX.
    if s.secondary_app_desired_capacity <= s.primary_app_max_capacity:
        return None
    return (
        f"setting secondary_app_desired_capacity must be <= primary_app_max_capacity ({s.primary_app_max_capacity}),"
        f" got {s.secondary_app_desired_capacity}: the orchestrators refuse STANDBY_DESIRED > FAILOVER_CAPACITY_MAX"
    )


def _serving_timeout(s: Settings) -> str | None:
    # SERVING_TIMEOUT_SECONDS is the budget's launch + health-check grace terms.
    total = s.app_scale_up_allowance_seconds + s.app_health_check_grace_seconds
    low, high = contract.SERVING_TIMEOUT_RANGE
    if low <= total <= high:
        return None
    return (
        f"settings app_scale_up_allowance_seconds + app_health_check_grace_seconds must be at most {high} seconds "
        f"(the orchestrators' SERVING_TIMEOUT_SECONDS), got {s.app_scale_up_allowance_seconds} + "
        f"{s.app_health_check_grace_seconds} = {total}"
    )


def _derived_names(s: Settings) -> list[str]:
    return names.name_problems(s.project_name, s.environment, s.resource_suffix, state_bucket=s.state_bucket)


def _state_replica_bucket(s: Settings) -> list[str]:
    return names.state_bucket_problems(s.state_bucket) if s.state_bucket else []


def _budget(s: Settings) -> list[str]:
    from dr_stack.config.budget import budget_problems  # budget reads Settings; imported here to avoid a cycle

    return budget_problems(s)


# The cross-setting rules. Each returns a message, a list of messages, or None. A rule's verdict counts only when
# every setting it read passed its own rule: the settings it reads are recorded as it runs (setting_reads), not
# listed beside it, so a rule that starts reading another setting cannot be judged on a value already refused.
CROSS_FIELD_RULES: tuple[Callable[[Settings], str | list[str] | None], ...] = (
    _regions_differ,
    _cidrs_disjoint,
    _capacity("primary"),
    _capacity("secondary"),
    _serverless_range,
    _domain,
    _backend,
    _workspace_names,
    _engine_version,
    _engine_features,
    _instance_and_ami,
    _windows_disjoint,
    _db_name,
    _alarm_range,
    _zone_count,
    _master_username,
    _app_username,
    _promotion_deadline,
    _promotion_within_rto,
    _standby_within_failover_max,
    _serving_timeout,
    _derived_names,
    _state_replica_bucket,
    _budget,
)


# Settings a rule reads without its verdict depending on their validity: the derived-names rule reads state_bucket
# only to leave a configured bucket to that setting's own rule, so its verdict on the project name stands.
_VERDICT_STANDS_WHEN_REFUSED: dict[Callable[[Settings], str | list[str] | None], frozenset[str]] = {
    _derived_names: frozenset({"state_bucket"}),
}


def cross_rule_problems(settings: Settings, refused: Iterable[str] = ()) -> list[str]:
    """The cross-setting rules' messages for ``settings``, leaving out each rule that read a setting in
    ``refused`` (one its own rule refused: its message names that value already). A rule that fails on such a
    value (parsing a refused CIDR, say) is left out too; on valid values its error is raised."""
    refused = frozenset(refused)
    problems: list[str] = []
    for rule in CROSS_FIELD_RULES:
        reads = SettingsReads(settings)
        voiding = refused - _VERDICT_STANDS_WHEN_REFUSED.get(rule, frozenset())
        try:
            found = rule(cast(Settings, reads))
        except Exception:
            if voiding.intersection(reads.names):
                continue
            raise
        if voiding.intersection(reads.names):
            continue
        problems.extend([found] if isinstance(found, str) else found or [])
    return problems


# Values AWS reads in several spellings, written in the one it stores, before the rules run (so every rule, the
# synthesized JSON and the orchestrators see one form): domain names (dns_name) and the maintenance window's days.
_NORMALIZE: dict[str, Callable[[str], str]] = {
    "domain_name": dns_name,
    "hosted_zone_name": dns_name,
    "db_maintenance_window": str.lower,
}

# DR_* variables that configure tooling rather than the stack.
_NON_SETTING_VARIABLES = frozenset({"DR_DB_MASTER_PASSWORD"})
ACCOUNT_IDS = tuple[str, ...]


def _coerce(raw: Any, target: Any) -> tuple[Any, str | None]:
    """(value of the field's type, None), or (None, what is allowed) when the raw value cannot be one."""
    if target == ACCOUNT_IDS:
        if isinstance(raw, str):
            return tuple(part.strip() for part in raw.split(",") if part.strip()), None
        if isinstance(raw, list | tuple) and all(isinstance(part, str) for part in raw):
            return tuple(raw), None
        return None, "a list of account ids (comma-separated in a variable)"
    if target is float and isinstance(raw, float) and not math.isfinite(raw):
        return None, "a finite number"
    if isinstance(raw, target) and not (target is int and isinstance(raw, bool)):
        return raw, None
    if target is float and isinstance(raw, int) and not isinstance(raw, bool):
        return float(raw), None
    if not isinstance(raw, str):
        return None, f"a {target.__name__}"
    text = raw.strip()
    if target is bool:
        lowered = text.lower()
        if lowered in ("true", "1", "yes", "on"):
            return True, None
        if lowered in ("false", "0", "no", "off"):
            return False, None
        return None, "true or false"
    if target in (int, float):
        try:
            number = target(text)
        except ValueError:
            return None, "an integer" if target is int else "a number"
        # float() reads 'nan' and 'inf'; no setting means them, and JSON (so Terraform) cannot carry them.
        return (number, None) if math.isfinite(number) else (None, "a finite number")
    return text, None


def _typed(raw: Any, target: Any) -> tuple[Any, str | None]:
    """A settings-file value, which TOML has already typed: (value, None) when it is of the setting's type, else
    (None, what is allowed). Unlike a variable's text, "3" is not an integer here, nor "true" a boolean."""
    if target == ACCOUNT_IDS:
        if isinstance(raw, list) and all(isinstance(part, str) for part in raw):
            return tuple(raw), None
        return None, 'a list of strings (TOML: ["123456789012"])'
    if target is bool:
        return (raw, None) if isinstance(raw, bool) else (None, "true or false (a TOML boolean, without quotes)")
    if target is int:
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw, None
        return None, "an integer (a TOML integer, without quotes)"
    if target is float:
        if isinstance(raw, int | float) and not isinstance(raw, bool) and math.isfinite(raw):
            return float(raw), None
        return None, "a finite number (a TOML integer or float, without quotes)"
    return (raw, None) if isinstance(raw, str) else (None, "a string (TOML: in double quotes)")


def _closest(name: str) -> str:
    match = difflib.get_close_matches(name, SETTING_NAMES, n=1)
    return f" (did you mean {match[0]!r}?)" if match else ""


def _from_environment(environ: Mapping[str, str], problems: list[str]) -> dict[str, str]:
    """Settings from DR_<NAME> variables. Variables are case-sensitive: a `dr_name` (or `Dr_name`) variable is
    refused naming its upper-case form rather than silently ignored, as is a DR_ variable naming no setting."""
    found: dict[str, str] = {}
    for key, value in environ.items():
        if not key.upper().startswith(ENV_PREFIX) or key.upper() in _NON_SETTING_VARIABLES:
            continue
        name = key[len(ENV_PREFIX) :].lower()
        if not key.startswith(ENV_PREFIX) or key != key.upper():
            problems.append(
                f"environment variable {key} is not read: settings come from upper-case variables only, "
                f"rename it to {key.upper()}"
                + ("" if name in SETTING_NAMES else f" (and no setting is named {name!r}{_closest(name)})")
            )
        elif name not in SETTING_NAMES:
            problems.append(
                f"unknown setting {name!r} from environment variable {key}{_closest(name)}; "
                "a typo would otherwise be ignored"
            )
        else:
            found[name] = value
    return found


def _process_context(environ: Mapping[str, str], problems: list[str]) -> dict[str, Any]:
    """The cdktf context: what the CLI passes the app (CDKTF_CONTEXT_JSON), else cdktf.json's "context" (what it
    would pass: make's helpers run outside the CLI and must pick the same environment)."""
    try:
        if CONTEXT_VARIABLE in environ:
            context = json.loads(environ[CONTEXT_VARIABLE])
        else:
            config = ROOT / "cdktf.json"
            context = json.loads(config.read_text()).get("context", {}) if config.exists() else {}
    except (OSError, ValueError) as error:
        problems.append(f"the cdktf context ({CONTEXT_VARIABLE} or cdktf.json) must be a JSON object, got: {error}")
        return {}
    return context if isinstance(context, dict) else {}


def _label(path: Path) -> str:
    """A settings file as the user names it: relative to the project when inside it."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _from_file(path: Path, environment: str, problems: list[str]) -> dict[str, Any]:
    """The settings of a TOML settings file, untyped; refuses what is not a setting (every such key named)."""
    label = _label(path)
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        problems.append(f"settings file {label} must be TOML (one `name = value` per setting), got: {error}")
        return {}
    found: dict[str, Any] = {}
    for key, raw in data.items():
        if key not in SETTING_NAMES:
            problems.append(
                f"unknown setting {key!r} in {label}{_closest(key)}: a settings file holds only settings, "
                "one `name = value` line each, no tables (see docs/settings.md)"
            )
        elif key == "environment" and raw != environment:
            problems.append(
                f"setting environment in {label} must be {environment!r} (the file's name selects the "
                f"environment), got {raw!r}"
            )
        else:
            found[key] = raw
    return found


@dataclass(frozen=True)
class SettingSource:
    """A setting given above the code defaults and the profile: its value, where from, and what it overrode."""

    name: str
    value: Any
    source: str
    overrode: str | None

    def describe(self) -> str:
        """`name = value  (from SOURCE, over LOWER)`."""
        over = f", over {self.overrode}" if self.overrode else ""
        return f"{self.name} = {self.value!r}  (from {self.source}{over})"


@dataclass(frozen=True)
class ResolvedSettings:
    """Validated settings and how they were chosen: the environment and where it came from, the settings file
    read (or the one looked for), and each setting given by the file, a DR_* variable or an override."""

    settings: Settings
    environment_source: str
    settings_file: str | None
    missing_file: str | None
    sources: tuple[SettingSource, ...]

    def report(self) -> str:
        """What synth prints: the file used and every setting given above the defaults and the profile."""
        if self.settings_file:
            used = f"settings file {self.settings_file}"
        elif self.missing_file:
            used = f"no settings file ({self.missing_file} does not exist)"
        else:
            used = "no settings file"
        head = f"{used}; environment {self.settings.environment!r} from {self.environment_source}"
        lines = [f"  {source.describe()}" for source in self.sources]
        return "\n".join([head + (":" if lines else "; every setting at its profile default"), *lines])


def resolve_settings(
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    environments_dir: Path | None = None,
    context: Mapping[str, Any] | None = None,
) -> ResolvedSettings:
    """Build validated Settings, lowest precedence first: code defaults, the environment's profile, its settings
    file (``<environments_dir>/<environment>.toml``), DR_* variables, then ``overrides`` (tests and callers).

    The environment is ``overrides``'s, else DR_ENVIRONMENT, else the cdktf context's ``environment``, else dev.
    With ``environ`` left out, the process's variables, the checked-in environments/ folder and the cdktf context
    are read (as synth and make do); a caller passing ``environ`` reads a file only when it passes
    ``environments_dir``, and a context only when it passes ``context``.
    Raises one SettingsError listing every problem, each naming the setting, the value and what is allowed.
    """
    problems: list[str] = []
    if environ is None:
        environ = os.environ
        environments_dir = ENVIRONMENTS_DIR if environments_dir is None else environments_dir
        context = _process_context(environ, problems) if context is None else context
    context = context or {}
    overrides = dict(overrides or {})
    for name in [n for n in overrides if n not in SETTING_NAMES]:
        problems.append(f"unknown setting {name!r}{_closest(name)}; known settings: see docs/settings.md")
        del overrides[name]
    from_env = _from_environment(environ, problems)

    context_layer: dict[str, Any] = {}
    if "environment" in overrides:
        environment, environment_source = overrides["environment"], "an override"
    elif "environment" in from_env:
        environment, environment_source = from_env["environment"], f"{ENV_PREFIX}ENVIRONMENT"
    elif CONTEXT_ENVIRONMENT_KEY in context:
        environment = context_layer["environment"] = context[CONTEXT_ENVIRONMENT_KEY]
        environment_source = f"the cdktf context {CONTEXT_ENVIRONMENT_KEY!r}"
    else:
        environment, environment_source = Settings.environment, "the default"
    profile = PROFILES.get(environment, {}) if isinstance(environment, str) else {}

    settings_file = missing_file = None
    file_values: dict[str, Any] = {}
    if environments_dir is not None and isinstance(environment, str) and re.fullmatch(r"[a-z0-9-]+", environment):
        path = environments_dir / f"{environment}.toml"
        if path.is_file():
            settings_file = _label(path)
            file_values = _from_file(path, environment, problems)
        else:
            missing_file = _label(path)

    hints = get_type_hints(Settings)
    bad: set[str] = set()
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}
    given: dict[str, tuple[str, str | None]] = {}
    layers: list[tuple[Mapping[str, Any], Callable[[str], str], Callable[[Any, Any], tuple[Any, str | None]]]] = [
        (profile, lambda _name: f"the {environment} profile", _coerce),
        (context_layer, lambda _name: environment_source, _coerce),
        (file_values, lambda _name: str(settings_file), _typed),
        (from_env, lambda name: f"{ENV_PREFIX}{name.upper()}", _coerce),
        (overrides, lambda _name: "an override", _coerce),
    ]
    for index, (layer, source_of, convert) in enumerate(layers):
        for name, raw in layer.items():
            source = source_of(name)
            value, allowed = convert(raw, hints[name])
            if allowed is not None:
                where = f" (in {source})" if convert is _typed else ""
                problems.append(f"setting {name} must be {allowed}, got {raw!r}{where}")
                bad.add(name)
                values.pop(name, None)
            else:
                values[name] = value
                bad.discard(name)
            if index > 0:
                given[name] = (source, origin.get(name))
            origin[name] = source
    for name, normalize in _NORMALIZE.items():
        if isinstance(values.get(name), str):
            values[name] = normalize(values[name])
    settings = Settings(**values)
    for name, rule in FIELD_RULES.items():
        if name in bad:
            continue
        allowed = rule(getattr(settings, name))
        if allowed is not None:
            where = f" (in {settings_file})" if origin.get(name) == settings_file and settings_file else ""
            problems.append(f"setting {name} must be {allowed}, got {getattr(settings, name)!r}{where}")
            bad.add(name)
    if not settings.db_engine_version and "db_engine" not in bad:
        settings = dataclasses.replace(settings, db_engine_version=settings.engine.version)
    problems += cross_rule_problems(settings, bad)
    if problems:
        raise SettingsError(problems)
    sources = tuple(
        SettingSource(name, getattr(settings, name), *given[name]) for name in SETTING_NAMES if name in given
    )
    return ResolvedSettings(settings, environment_source, settings_file, missing_file, sources)


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    environments_dir: Path | None = None,
    context: Mapping[str, Any] | None = None,
) -> Settings:
    """Validated Settings (``resolve_settings`` without the account of where each came from)."""
    return resolve_settings(overrides, environ, environments_dir=environments_dir, context=context).settings


def _shown(value: Any) -> str:
    """A value as the settings table shows it: TOML's spelling for booleans and lists."""
    if value == "":
        return "`''`"
    if isinstance(value, tuple):
        return f"`[{', '.join(repr(part) for part in value)}]`"
    return f"`{str(value).lower() if isinstance(value, bool) else value}`"


def settings_table() -> str:
    """The settings reference table (docs/settings.md), by section: name, dev default, prod default, meaning."""
    dev, prod = load_settings(environ={}), load_settings({"environment": "prod"}, environ={})
    rows = ["| setting (`DR_<NAME>`) | dev | prod | meaning |", "|---|---|---|---|"]
    section = ""
    for name in SETTING_NAMES:
        if SETTING_SECTIONS[name] != section:
            section = SETTING_SECTIONS[name]
            rows.append(f"| **{section}** | | | |")
        values = [getattr(dev, name), getattr(prod, name)]
        shown = [_shown(v) for v in values]
        rows.append(f"| `{name}` | {shown[0]} | {shown[1]} | {SETTING_DOCS[name]} |")
    return "\n".join(rows)


def deploy_stack_names(settings: Settings) -> tuple[str, ...]:
    """The stacks `make deploy` applies, in order: the bootstrap stack only when the DR stack's state is in its
    bucket (state_backend s3), then the DR stack. Here rather than in app.py so that make reads it without
    loading the AWS binding."""
    bootstrap_name, dr_name = names.stack_names(settings.name_prefix)
    return (bootstrap_name, dr_name) if settings.state_backend == "s3" else (dr_name,)
