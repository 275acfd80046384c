"""Environment configuration of the failover function, parsed and validated once at cold start.

Every variable is described in one table (``VARIABLES``); cross-variable rules live in a second
table (``CROSS_RULES``). All problems are reported together in one ``ConfigError`` whose parts each
name the variable, the value received and what is allowed.

Lambda allows 4 KB for all of a function's environment variables together (Lambda Developer Guide, "Lambda
quotas"), so the stack leaves out what the function can compute: the contract's own names (``METRIC_NAMESPACE``,
``TRAFFIC_SWITCH_METRIC``, ``PROBE_METRIC``, ``PROBE_NAMESPACE`` default to ``dr_contract``'s), TARGET_CLUSTER_ID
(the identifier at the end of TARGET_CLUSTER_ARN), PEER_CLUSTER_ARN (the ARN of PEER_CLUSTER_ID in PEER_REGION,
in TARGET_CLUSTER_ARN's partition and account: the stack creates both clusters in one account), STATE_TABLE_NAME
and ALARM_NAME_PREFIX (from the name prefix in GLOBAL_CLUSTER_ID, ``dr_contract.state_table_name_of``). Set, the
cluster values are checked against what they would be derived from.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import dr_contract as contract

_REGION_RE = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$")
_CLUSTER_ID_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]{0,62}$")
_CLUSTER_ARN_RE = re.compile(
    r"^arn:aws[a-z-]*:rds:(?P<region>[a-z0-9-]+):\d{12}:cluster:(?P<cluster_id>[a-zA-Z][a-zA-Z0-9-]{0,62})$"
)
_TOPIC_ARN_RE = re.compile(r"^arn:aws[a-z-]*:sns:(?P<region>[a-z0-9-]+):\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$")
_TABLE_NAME_RE = re.compile(r"^[a-zA-Z0-9_.-]{3,255}$")
_ASG_NAME_RE = re.compile(r"^[^:]{1,255}$")
_NAMESPACE_RE = re.compile(r"^[0-9A-Za-z.\-_/#:]{1,255}$")
_METRIC_NAME_RE = re.compile(r"^[^\s:][^:]{0,254}$")
_HEALTH_CHECK_ID_RE = re.compile(r"^[A-Za-z0-9-]{1,64}$")
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_KEY_ARN_RE = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")
_ALARM_PREFIX_RE = re.compile(r"^.{1,255}$")
_TARGET_GROUP_ARN_RE = re.compile(
    r"^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup/[A-Za-z0-9-]{1,32}/[0-9a-f]{16}$"
)


class ConfigError(ValueError):
    """The function's environment is missing a variable or holds an invalid value."""


@dataclass(frozen=True)
class Config:
    """Validated settings of one regional failover function (one field per environment variable)."""

    global_cluster_id: str
    target_region: str
    target_cluster_id: str
    target_cluster_arn: str
    peer_region: str
    peer_cluster_id: str
    peer_cluster_arn: str
    target_asg_name: str
    peer_asg_name: str
    failover_capacity_min: int
    failover_capacity_max: int
    failover_capacity_desired: int
    standby_min: int
    standby_desired: int
    topic_arn: str
    state_table_name: str
    rpo_minutes: int
    rto_minutes: int
    traffic_switch_region: str
    traffic_switch_metric: str
    # No defaults here: load_config gives every field a value (VARIABLES holds the function's defaults).
    promotion_timeout_seconds: int
    poll_interval_seconds: int
    fence_timeout_seconds: int
    confirmation_timeout_seconds: int
    confirmation_lag_percent_of_rpo: int
    lock_lease_seconds: int
    metric_namespace: str
    health_check_id: str | None
    probe_metric: str
    probe_namespace: str
    probe_failure_periods: int
    probe_interval_seconds: int
    automatic_min_interval_seconds: int
    # The probe's trigger alarm in this region; None where no automatic trigger is deployed.
    probe_alarm_name: str | None
    # Recovery operations (readiness, capacity matching, end-to-end recovery time, run report, reprotect).
    report_bucket: str | None
    report_kms_key_arn: str | None
    alarm_name_prefix: str | None
    failover_capacity_percent: int
    min_success_percent: int
    target_group_arn: str | None
    serving_timeout_seconds: int
    reprotect_cluster_spec: str | None
    match_database_capacity: bool

    @property
    def rpo_seconds(self) -> int:
        """Recovery point objective in seconds."""
        return self.rpo_minutes * 60

    @property
    def confirmation_lag_seconds(self) -> int:
        """Replication lag at which the secondary's lag metric is a DOWN signal of the automatic confirmation."""
        return contract.stalled_replication_seconds(self.rpo_seconds, self.confirmation_lag_percent_of_rpo)

    @property
    def rto_seconds(self) -> int:
        """Recovery time objective in seconds."""
        return self.rto_minutes * 60

    @property
    def traffic_switch_is_local(self) -> bool:
        """True when the traffic-switch alarm lives in this function's region (failing over to secondary)."""
        return self.traffic_switch_region == self.target_region

    @property
    def traffic_switch_value(self) -> float:
        """Switch metric value this function writes: 1 = primary fenced (use secondary), 0 = primary active."""
        return 1.0 if self.traffic_switch_is_local else 0.0


def _text(pattern: re.Pattern[str], allowed: str) -> Callable[[str], str]:
    """Return a parser accepting strings that match ``pattern`` (``allowed`` describes it)."""

    def parse(raw: str) -> str:
        if not pattern.match(raw):
            raise ValueError(allowed)
        return raw

    return parse


def _integer(minimum: int, maximum: int) -> Callable[[str], int]:
    """Return a parser for a whole number in [minimum, maximum]."""

    def parse(raw: str) -> int:
        allowed = f"a whole number from {minimum} to {maximum}"
        try:
            value = int(raw.strip())
        except ValueError:
            raise ValueError(allowed) from None
        if not minimum <= value <= maximum:
            raise ValueError(allowed)
        return value

    return parse


def _optional(parser: Callable[[str], str]) -> Callable[[str], str | None]:
    """Return a parser that maps an empty value to None and otherwise delegates to ``parser``."""

    def parse(raw: str) -> str | None:
        return None if raw.strip() == "" else parser(raw)

    return parse


def _one_of(options: tuple[int, ...]) -> Callable[[str], int]:
    """Return a parser for a whole number among ``options``."""

    def parse(raw: str) -> int:
        allowed = f"one of {', '.join(map(str, options))}"
        try:
            value = int(raw.strip())
        except ValueError:
            raise ValueError(allowed) from None
        if value not in options:
            raise ValueError(allowed)
        return value

    return parse


def _boolean(raw: str) -> bool:
    """``true`` or ``false`` (any case)."""
    value = raw.strip().lower()
    if value not in ("true", "false"):
        raise ValueError("true or false")
    return value == "true"


_REQUIRED = object()
# Derived from other variables when unset (``DERIVED``).
_DERIVED = object()

_REGION = _text(_REGION_RE, "an AWS region name such as us-west-2")
_CLUSTER_ID = _text(_CLUSTER_ID_RE, "an Aurora DB cluster identifier (letter first, letters/digits/hyphens, <= 63)")
_CLUSTER_ARN = _text(_CLUSTER_ARN_RE, "an Aurora DB cluster ARN: arn:aws:rds:<region>:<account>:cluster:<id>")
_ASG_NAME = _text(_ASG_NAME_RE, "an Auto Scaling group name (1-255 characters, no ':')")
_CAPACITY = _integer(*contract.CAPACITY_RANGE)

# (environment variable, Config field, parser, default). _REQUIRED: no default.
VARIABLES: tuple[tuple[str, str, Callable[[str], object], object], ...] = (
    (contract.GLOBAL_CLUSTER_ID, "global_cluster_id", _CLUSTER_ID, _REQUIRED),
    (contract.TARGET_REGION, "target_region", _REGION, _REQUIRED),
    (contract.TARGET_CLUSTER_ID, "target_cluster_id", _CLUSTER_ID, _DERIVED),
    (contract.TARGET_CLUSTER_ARN, "target_cluster_arn", _CLUSTER_ARN, _REQUIRED),
    (contract.PEER_REGION, "peer_region", _REGION, _REQUIRED),
    (contract.PEER_CLUSTER_ID, "peer_cluster_id", _CLUSTER_ID, _REQUIRED),
    (contract.PEER_CLUSTER_ARN, "peer_cluster_arn", _CLUSTER_ARN, _DERIVED),
    (contract.TARGET_ASG_NAME, "target_asg_name", _ASG_NAME, _REQUIRED),
    (contract.PEER_ASG_NAME, "peer_asg_name", _ASG_NAME, _REQUIRED),
    (contract.FAILOVER_CAPACITY_MIN, "failover_capacity_min", _CAPACITY, _REQUIRED),
    (contract.FAILOVER_CAPACITY_MAX, "failover_capacity_max", _integer(*contract.MAX_CAPACITY_RANGE), _REQUIRED),
    (contract.FAILOVER_CAPACITY_DESIRED, "failover_capacity_desired", _CAPACITY, _REQUIRED),
    (contract.STANDBY_MIN, "standby_min", _CAPACITY, _REQUIRED),
    (contract.STANDBY_DESIRED, "standby_desired", _CAPACITY, _REQUIRED),
    (
        contract.TOPIC_ARN,
        "topic_arn",
        _text(_TOPIC_ARN_RE, "an SNS topic ARN: arn:aws:sns:<region>:<account>:<name>"),
        _REQUIRED,
    ),
    (
        contract.STATE_TABLE_NAME,
        "state_table_name",
        _text(_TABLE_NAME_RE, "a DynamoDB table name (3-255 of letters, digits, '_', '-', '.')"),
        _DERIVED,
    ),
    (contract.RPO_MINUTES, "rpo_minutes", _integer(*contract.OBJECTIVE_MINUTES_RANGE), _REQUIRED),
    (contract.RTO_MINUTES, "rto_minutes", _integer(*contract.OBJECTIVE_MINUTES_RANGE), _REQUIRED),
    (
        contract.PROMOTION_TIMEOUT_SECONDS,
        "promotion_timeout_seconds",
        _integer(*contract.PROMOTION_TIMEOUT_RANGE),
        contract.DEFAULT_PROMOTION_TIMEOUT_SECONDS,
    ),
    (
        contract.POLL_INTERVAL_SECONDS,
        "poll_interval_seconds",
        _integer(*contract.POLL_INTERVAL_RANGE),
        contract.DEFAULT_POLL_INTERVAL_SECONDS,
    ),
    (
        contract.FENCE_TIMEOUT_SECONDS,
        "fence_timeout_seconds",
        _integer(*contract.FENCE_TIMEOUT_RANGE),
        contract.DEFAULT_FENCE_TIMEOUT_SECONDS,
    ),
    (
        contract.CONFIRMATION_TIMEOUT_SECONDS,
        "confirmation_timeout_seconds",
        _integer(*contract.CONFIRMATION_TIMEOUT_RANGE),
        contract.DEFAULT_CONFIRMATION_TIMEOUT_SECONDS,
    ),
    (
        contract.CONFIRMATION_LAG_PERCENT_OF_RPO,
        "confirmation_lag_percent_of_rpo",
        _integer(*contract.CONFIRMATION_LAG_PERCENT_RANGE),
        contract.DEFAULT_CONFIRMATION_LAG_PERCENT_OF_RPO,
    ),
    (contract.LOCK_LEASE_SECONDS, "lock_lease_seconds", _integer(60, 86_400), _REQUIRED),
    (
        contract.METRIC_NAMESPACE_VARIABLE,
        "metric_namespace",
        _text(_NAMESPACE_RE, "a CloudWatch namespace (1-255 of letters, digits, . - _ / # :)"),
        contract.METRIC_NAMESPACE,
    ),
    (contract.TRAFFIC_SWITCH_REGION, "traffic_switch_region", _REGION, _REQUIRED),
    (
        contract.TRAFFIC_SWITCH_METRIC_VARIABLE,
        "traffic_switch_metric",
        _text(_METRIC_NAME_RE, "a CloudWatch metric name (1-255 characters, no ':')"),
        contract.TRAFFIC_SWITCH_METRIC,
    ),
    (
        contract.HEALTH_CHECK_ID,
        "health_check_id",
        _optional(_text(_HEALTH_CHECK_ID_RE, "a Route53 health check id, or empty")),
        None,
    ),
    (
        contract.PROBE_METRIC_VARIABLE,
        "probe_metric",
        _text(_METRIC_NAME_RE, "a CloudWatch metric name (1-255 characters, no ':')"),
        contract.PROBE_METRIC,
    ),
    (
        contract.PROBE_NAMESPACE_VARIABLE,
        "probe_namespace",
        _text(_NAMESPACE_RE, "a CloudWatch namespace (1-255 of letters, digits, . - _ / # :)"),
        contract.PROBE_NAMESPACE,
    ),
    (
        contract.PROBE_FAILURE_PERIODS,
        "probe_failure_periods",
        _integer(*contract.PROBE_FAILURE_PERIODS_RANGE),
        contract.DEFAULT_PROBE_FAILURE_PERIODS,
    ),
    (
        contract.PROBE_INTERVAL_SECONDS,
        "probe_interval_seconds",
        _one_of(contract.PROBE_INTERVALS),
        contract.DEFAULT_PROBE_INTERVAL_SECONDS,
    ),
    (
        contract.AUTOMATIC_MIN_INTERVAL_SECONDS,
        "automatic_min_interval_seconds",
        _integer(*contract.AUTOMATIC_MIN_INTERVAL_RANGE),
        contract.DEFAULT_AUTOMATIC_MIN_INTERVAL_SECONDS,
    ),
    (
        contract.PROBE_ALARM_NAME,
        "probe_alarm_name",
        _optional(_text(_ALARM_PREFIX_RE, "a CloudWatch alarm name (1-255 characters), or empty")),
        None,
    ),
    (
        contract.REPORT_BUCKET,
        "report_bucket",
        _optional(_text(_BUCKET_RE, "an S3 bucket name (3-63 of lowercase letters, digits, '.', '-'), or empty")),
        None,
    ),
    (
        contract.REPORT_KMS_KEY_ARN,
        "report_kms_key_arn",
        _optional(_text(_KEY_ARN_RE, "a KMS key ARN: arn:aws:kms:<region>:<account>:key/<id>, or empty")),
        None,
    ),
    (
        contract.ALARM_NAME_PREFIX,
        "alarm_name_prefix",
        _optional(_text(_ALARM_PREFIX_RE, "a CloudWatch alarm name prefix (1-255 characters), or empty")),
        _DERIVED,
    ),
    (
        contract.FAILOVER_CAPACITY_PERCENT,
        "failover_capacity_percent",
        _integer(*contract.FAILOVER_CAPACITY_PERCENT_RANGE),
        contract.DEFAULT_FAILOVER_CAPACITY_PERCENT,
    ),
    (contract.MIN_SUCCESS_PERCENT, "min_success_percent", _integer(*contract.MIN_SUCCESS_PERCENT_RANGE), _REQUIRED),
    (
        contract.TARGET_GROUP_ARN,
        "target_group_arn",
        _optional(_text(_TARGET_GROUP_ARN_RE, "an ELBv2 target group ARN, or empty")),
        None,
    ),
    (contract.SERVING_TIMEOUT_SECONDS, "serving_timeout_seconds", _integer(*contract.SERVING_TIMEOUT_RANGE), _REQUIRED),
    (contract.REPROTECT_CLUSTER_SPEC, "reprotect_cluster_spec", _optional(lambda raw: raw), None),
    (contract.MATCH_DATABASE_CAPACITY, "match_database_capacity", _boolean, _REQUIRED),
)


def _peer_cluster_arn(values: Mapping[str, object]) -> str:
    """The peer cluster's ARN: TARGET_CLUSTER_ARN's partition and account, PEER_REGION, PEER_CLUSTER_ID."""
    partition, account = str(values["target_cluster_arn"]).split(":")[1:5:3]
    return f"arn:{partition}:rds:{values['peer_region']}:{account}:cluster:{values['peer_cluster_id']}"


def _state_table_name(values: Mapping[str, object]) -> str:
    """The stack's state table beside GLOBAL_CLUSTER_ID (dr_contract.state_table_name_of)."""
    name = contract.state_table_name_of(str(values["global_cluster_id"]))
    if name is None:
        raise ValueError(
            f"{contract.STATE_TABLE_NAME} is required and is not set: it is derived only from a GLOBAL_CLUSTER_ID "
            f"ending with {contract.GLOBAL_CLUSTER_NAME_SUFFIX!r}, got {values['global_cluster_id']!r}"
        )
    return name


def _alarm_name_prefix(values: Mapping[str, object]) -> str | None:
    """The stack's alarm name prefix (dr_contract.alarm_name_prefix); None (every alarm) when not the stack's."""
    prefix = contract.name_prefix_of(str(values["global_cluster_id"]))
    return None if prefix is None else contract.alarm_name_prefix(prefix)


# Config field -> its value computed from the parsed variables, when its variable is unset (ValueError: a problem).
DERIVED: dict[str, Callable[[Mapping[str, object]], object]] = {
    "target_cluster_id": lambda values: contract.cluster_identifier_of(str(values["target_cluster_arn"])),
    "peer_cluster_arn": _peer_cluster_arn,
    "state_table_name": _state_table_name,
    "alarm_name_prefix": _alarm_name_prefix,
}


def _arn_field(arn: str, field: str) -> str:
    """Return a named group of a cluster ARN (empty when the ARN does not parse)."""
    match = _CLUSTER_ARN_RE.match(arn)
    return match.group(field) if match else ""


# (rule, message). Each message names the variables and their values; evaluated only when every
# variable parsed on its own.
CROSS_RULES: tuple[tuple[Callable[[Config], bool], Callable[[Config], str]], ...] = (
    (
        lambda c: (c.report_bucket is None) == (c.report_kms_key_arn is None),
        lambda c: (
            "REPORT_BUCKET and REPORT_KMS_KEY_ARN must be set together (reports are written SSE-KMS with that key), "
            f"got {c.report_bucket!r} and {c.report_kms_key_arn!r}"
        ),
    ),
    (
        lambda c: c.peer_region != c.target_region,
        lambda c: f"PEER_REGION must differ from TARGET_REGION, got both {c.target_region!r}",
    ),
    (
        lambda c: _arn_field(c.target_cluster_arn, "region") == c.target_region,
        lambda c: f"TARGET_CLUSTER_ARN must be in TARGET_REGION {c.target_region!r}, got {c.target_cluster_arn!r}",
    ),
    (
        lambda c: _arn_field(c.target_cluster_arn, "cluster_id") == c.target_cluster_id,
        lambda c: (
            f"TARGET_CLUSTER_ARN must end with cluster:{c.target_cluster_id} (TARGET_CLUSTER_ID), "
            f"got {c.target_cluster_arn!r}"
        ),
    ),
    (
        lambda c: _arn_field(c.peer_cluster_arn, "region") == c.peer_region,
        lambda c: f"PEER_CLUSTER_ARN must be in PEER_REGION {c.peer_region!r}, got {c.peer_cluster_arn!r}",
    ),
    (
        lambda c: _arn_field(c.peer_cluster_arn, "cluster_id") == c.peer_cluster_id,
        lambda c: (
            f"PEER_CLUSTER_ARN must end with cluster:{c.peer_cluster_id} (PEER_CLUSTER_ID), got {c.peer_cluster_arn!r}"
        ),
    ),
    (
        lambda c: c.topic_arn.split(":")[3] == c.target_region,
        lambda c: f"TOPIC_ARN must be a topic in TARGET_REGION {c.target_region!r}, got {c.topic_arn!r}",
    ),
    (
        lambda c: c.traffic_switch_region in (c.target_region, c.peer_region),
        lambda c: (
            f"TRAFFIC_SWITCH_REGION must be TARGET_REGION {c.target_region!r} or PEER_REGION "
            f"{c.peer_region!r} (the secondary region), got {c.traffic_switch_region!r}"
        ),
    ),
    (
        lambda c: c.standby_min <= c.standby_desired <= c.failover_capacity_max,
        lambda c: (
            "STANDBY_MIN <= STANDBY_DESIRED <= FAILOVER_CAPACITY_MAX must hold, got "
            f"{c.standby_min} / {c.standby_desired} / {c.failover_capacity_max}"
        ),
    ),
    (
        lambda c: c.failover_capacity_min <= c.failover_capacity_desired <= c.failover_capacity_max,
        lambda c: (
            "FAILOVER_CAPACITY_MIN <= FAILOVER_CAPACITY_DESIRED <= FAILOVER_CAPACITY_MAX must hold, got "
            f"{c.failover_capacity_min} / {c.failover_capacity_desired} / {c.failover_capacity_max}"
        ),
    ),
    (
        lambda c: c.poll_interval_seconds < c.promotion_timeout_seconds,
        lambda c: (
            f"POLL_INTERVAL_SECONDS must be less than PROMOTION_TIMEOUT_SECONDS "
            f"({c.promotion_timeout_seconds}), got {c.poll_interval_seconds}"
        ),
    ),
    (
        lambda c: c.promotion_timeout_seconds < c.rto_seconds,
        lambda c: (
            f"PROMOTION_TIMEOUT_SECONDS must be less than RTO_MINUTES * 60 ({c.rto_seconds}) or the "
            f"declared RTO cannot be met, got {c.promotion_timeout_seconds}"
        ),
    ),
    (
        lambda c: c.lock_lease_seconds > c.promotion_timeout_seconds,
        lambda c: (
            f"LOCK_LEASE_SECONDS must exceed PROMOTION_TIMEOUT_SECONDS ({c.promotion_timeout_seconds}) "
            f"so the lease outlives the wait for promotion, got {c.lock_lease_seconds}"
        ),
    ),
)


def load_config(environ: Mapping[str, str]) -> Config:
    """Parse and validate the environment; raise one ConfigError listing every problem."""
    values: dict[str, object] = {}
    problems: list[str] = []
    for variable, field, parser, default in VARIABLES:
        raw = environ.get(variable)
        if raw is None or (raw.strip() == "" and default is _REQUIRED):
            if default is _REQUIRED:
                problems.append(f"{variable} is required and is not set")
            elif default is not _DERIVED:
                values[field] = default
            continue
        try:
            values[field] = parser(raw)
        except ValueError as allowed:
            problems.append(f"{variable} must be {allowed}, got {raw!r}")
    if problems:
        raise ConfigError(_format(problems))
    for field, derive in DERIVED.items():
        if field not in values:
            try:
                values[field] = derive(values)
            except ValueError as problem:
                problems.append(str(problem))
    if problems:
        raise ConfigError(_format(problems))
    config = Config(**values)  # type: ignore[arg-type]
    problems = [message(config) for rule, message in CROSS_RULES if not rule(config)]
    if problems:
        raise ConfigError(_format(problems))
    return config


def _format(problems: list[str]) -> str:
    """Join problems into one message, separated by semicolons."""
    return "invalid failover function configuration: " + "; ".join(problems)
