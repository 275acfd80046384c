"""Settings ranges and name budgets against the sources AWS and the Terraform provider apply: botocore's service
models and endpoint data (the pinned botocore), the Aurora User Guide, and `terraform validate` with the pinned
hashicorp/aws 5.100.0, which refuses out-of-range arguments before any API call.

A refusal of a value AWS accepts is as wrong as accepting one it refuses, so each range is checked at both ends.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import botocore
import botocore.session
import pytest
from dr_stack.config.settings import (
    AWS_REGIONS,
    NO_GLOBAL_DATABASE_REGIONS,
    PARTITION_REGIONS,
    SettingsError,
    load_settings,
)
from dr_stack.naming.names import RULES

from scripts.validate import find_mirror, validate

_SESSION = botocore.session.get_session()


def _member(service: str, shape: str, member: str) -> Any:
    return _SESSION.get_service_model(service).shape_for(shape).members[member]


def _accepted(overrides: dict[str, Any]) -> bool:
    try:
        load_settings(overrides, environ={})
    except SettingsError:
        return False
    return True


# ----- regions -----
def test_partition_regions_are_botocores_regions_with_an_rds_endpoint() -> None:
    """botocore/data/endpoints.json, partition `aws`: the regions, and the `rds` service's endpoints among them.
    The stack keeps a copy (botocore is a dev dependency); an upgrade that adds a region fails here."""
    data = json.loads((Path(botocore.__file__).parent / "data" / "endpoints.json").read_text())
    partition = next(p for p in data["partitions"] if p["partition"] == "aws")
    with_rds = set(partition["regions"]) & set(partition["services"]["rds"]["endpoints"])
    assert with_rds == PARTITION_REGIONS
    assert set(partition["regions"]) == with_rds  # RDS is in every commercial region


@pytest.mark.parametrize("region", ["ap-southeast-5", "ap-southeast-4", "ca-west-1", "il-central-1", "mx-central-1"])
def test_accepts_regions_that_have_aurora_global_databases(region: str) -> None:
    """ap-southeast-5 (Asia Pacific (Malaysia)) has global databases from Aurora MySQL 3.04.0, ap-southeast-4
    (Melbourne) from 3.03.0, ca-west-1 (Calgary) from 3.01.0 (Aurora User Guide, Supported Regions and DB engines
    for Aurora global databases); mx-central-1 is a partition region the table does not mark "Not available"."""
    settings = load_settings({"secondary_region": region}, environ={})
    assert settings.secondary_region == region
    assert load_settings({"primary_region": region, "state_region": region}, environ={}).state_region == region


@pytest.mark.parametrize("region", sorted(NO_GLOBAL_DATABASE_REGIONS))
def test_refuses_regions_without_aurora_global_databases(region: str) -> None:
    """Asia Pacific (Taipei) ap-east-2, (New Zealand) ap-southeast-6 and (Thailand) ap-southeast-7 are real
    regions (endpoints.json) but "Not available" for Aurora global databases on either engine (Aurora User Guide,
    Concepts.Aurora_Fea_Regions_DB-eng.Feature.GlobalDatabase.html)."""
    assert region in PARTITION_REGIONS
    with pytest.raises(SettingsError, match=rf"setting secondary_region must be one of .*got '{region}'"):
        load_settings({"secondary_region": region}, environ={})


def test_every_accepted_region_is_known_to_the_pinned_provider() -> None:
    """hashicorp/aws validates the provider's region against the regions it was built with ("invalid AWS
    Region"); a region absent from the 5.100.0 binary would pass synth and fail at plan."""
    binary = next((find_mirror() / "registry.terraform.io" / "hashicorp" / "aws" / "5.100.0").rglob("terraform-*"))
    content = binary.read_bytes()
    unknown = sorted(region for region in AWS_REGIONS if region.encode() not in content)
    assert not unknown
    assert b"ap-southeast-6" not in content  # the check can fail: a region newer than the provider is absent


# ----- numeric ranges against the botocore models -----
@pytest.mark.parametrize(
    ("setting", "service", "shape", "member"),
    [
        ("waf_rate_limit", "wafv2", "RateBasedStatement", "Limit"),
        ("health_check_failure_threshold", "route53", "HealthCheckConfig", "FailureThreshold"),
    ],
)
def test_numeric_setting_spans_exactly_the_api_range(setting: str, service: str, shape: str, member: str) -> None:
    """The setting accepts the API field's min and max (botocore service model) and refuses one past each:
    WAFv2 RateBasedStatement Limit 10-2,000,000,000 (AWS lowered the minimum from 100 to 10), Route53
    HealthCheckConfig FailureThreshold 1-10."""
    metadata = _member(service, shape, member).metadata
    low, high = metadata["min"], metadata["max"]
    assert _accepted({setting: low}) and _accepted({setting: high} | _budget_room(setting))
    assert not _accepted({setting: low - 1}) and not _accepted({setting: high + 1} | _budget_room(setting))


def _budget_room(setting: str) -> dict[str, Any]:
    """Settings that keep the recovery budget satisfiable when ``setting`` is at its largest."""
    return {"rto_minutes": 60} if setting == "health_check_failure_threshold" else {}


def test_health_check_intervals_are_route53s() -> None:
    """HealthCheckConfig RequestInterval: min 10, max 30 in the model, "10 or 30" in its documentation."""
    interval = _member("route53", "HealthCheckConfig", "RequestInterval")
    assert (interval.metadata["min"], interval.metadata["max"]) == (10, 30) and "30" in interval.documentation
    # With a standby at the failover minimum: the dev defaults' RTO budget (840 s of 900, the app term being launch +
    # grace) has no room for the 30 s interval's extra detection and DNS time, and this test checks the range only.
    room = {"secondary_app_min_capacity": 2, "secondary_app_desired_capacity": 2}
    accepted = [value for value in range(0, 40) if _accepted({**room, "health_check_interval_seconds": value})]
    assert accepted == [10, 30]


def test_monitoring_intervals_are_the_documented_valid_values() -> None:
    """CreateDBInstance MonitoringInterval documents "Valid Values: 0 | 1 | 5 | 10 | 15 | 30 | 60" (0 turns
    Enhanced Monitoring off); synth accepts exactly those (0 was refused)."""
    text = _SESSION.get_service_model("rds").shape_for("CreateDBInstanceMessage").members["MonitoringInterval"]
    listed = re.search(r"Valid Values: <code>([0-9 |]+)</code>", text.documentation)
    assert listed
    valid = [int(value) for value in listed.group(1).split("|")]
    assert valid == [0, 1, 5, 10, 15, 30, 60]
    assert [value for value in range(0, 121) if _accepted({"db_monitoring_interval_seconds": value})] == valid


def test_performance_insights_retention_is_the_documented_values() -> None:
    """PerformanceInsightsRetentionPeriod: 7, month * 31 for 1-23 months, or 731 (CreateDBInstance, botocore)."""
    text = _SESSION.get_service_model("rds").shape_for("CreateDBInstanceMessage").members
    documentation = text["PerformanceInsightsRetentionPeriod"].documentation
    assert "<i>month</i> * 31, where <i>month</i> is a number of months from 1-23" in documentation
    valid = [7, *(31 * month for month in range(1, 24)), 731]
    accepted = [days for days in range(0, 800) if _accepted({"db_performance_insights_retention_days": days})]
    assert accepted == valid


@pytest.mark.parametrize(
    ("setting", "service", "shape", "member", "stated", "extra"),
    [
        # "Must be a value from 1 to 35." (CreateDBCluster BackupRetentionPeriod)
        ("db_backup_retention_days", "rds", "CreateDBClusterMessage", "BackupRetentionPeriod", "from 1 to 35", []),
        # "The number of days from 7 to 30" (DeleteSecret); 0 is the provider's "delete without recovery".
        (
            "secret_recovery_window_days",
            "secretsmanager",
            "DeleteSecretRequest",
            "RecoveryWindowInDays",
            "from 7 to 30",
            [0],
        ),
    ],
)
def test_day_ranges_are_the_documented_ones(
    setting: str, service: str, shape: str, member: str, stated: str, extra: list[int]
) -> None:
    """Ranges the API states in its documentation rather than as min/max: synth accepts exactly them."""
    documentation = _SESSION.get_service_model(service).shape_for(shape).members[member].documentation
    found = re.search(r"from (\d+) to (\d+)", documentation)
    assert found and found.group(0) == stated
    low, high = int(found.group(1)), int(found.group(2))
    accepted = [days for days in range(0, 60) if _accepted({setting: days})]
    assert accepted == sorted(extra + list(range(low, high + 1)))


def test_log_retention_days_are_the_documented_values() -> None:
    """PutRetentionPolicy retentionInDays: "Possible values are: 1, 3, 5, ... and 3653" (botocore logs model)."""
    documentation = _SESSION.get_service_model("logs").shape_for("PutRetentionPolicyRequest").members
    listed = re.search(r"Possible values are: ([0-9, and]+)\.", documentation["retentionInDays"].documentation)
    assert listed
    valid = [int(value) for value in re.findall(r"\d+", listed.group(1))]
    assert len(valid) == 22 and valid[-1] == 3653
    assert [days for days in range(0, 3700) if _accepted({"log_retention_days": days})] == valid


def test_health_check_path_length_is_route53s() -> None:
    """HealthCheckConfig ResourcePath: at most 255 characters (botocore route53 model)."""
    limit = _member("route53", "HealthCheckConfig", "ResourcePath").metadata["max"]
    assert _accepted({"health_check_path": "/" + "a" * (limit - 1)})
    assert not _accepted({"health_check_path": "/" + "a" * limit})


# ----- the provider's own checks (terraform validate, hashicorp/aws 5.100.0) -----
def _stack(resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "terraform": {"required_providers": {"aws": {"source": "hashicorp/aws", "version": "5.100.0"}}},
        "provider": {"aws": [{"region": "us-east-1"}]},
        "resource": resources,
    }


def _web_acl(limit: int) -> dict[str, Any]:
    visibility = {"cloudwatch_metrics_enabled": True, "metric_name": "m", "sampled_requests_enabled": True}
    rule = {
        "name": "rate",
        "priority": 1,
        "action": {"block": {}},
        "statement": {"rate_based_statement": {"limit": limit, "aggregate_key_type": "IP"}},
        "visibility_config": visibility,
    }
    acl = {"name": "acl", "scope": "REGIONAL", "default_action": {"allow": {}}, "visibility_config": visibility}
    return {"aws_wafv2_web_acl": {"acl": acl | {"rule": [rule]}}}


def _health_check(reference_name: str) -> dict[str, Any]:
    check = {"type": "HTTP", "fqdn": "example.com", "port": 80, "reference_name": reference_name}
    return {"aws_route53_health_check": {"check": check}}


def _alarm_health_checks(regions: list[str]) -> dict[str, Any]:
    """One Route53 health check on a CloudWatch alarm in each region (the failover records' checks read alarms in
    a DR region)."""
    checks = {
        region.replace("-", "_"): {
            "type": "CLOUDWATCH_METRIC",
            "cloudwatch_alarm_name": "alarm",
            "cloudwatch_alarm_region": region,
            "insufficient_data_health_status": "LastKnownStatus",
        }
        for region in regions
    }
    return {"aws_route53_health_check": checks}


@pytest.fixture(scope="module")
def provider_verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """`terraform validate` of small configurations at each boundary, in one run: each case's resources are named
    ``<case>__<name>`` in one configuration, and each error block is the verdict of the case whose resource it
    names (terraform validate reports every resource's argument errors, each with ``with <type>.<name>,``). One
    run, not one per case: each costs a terraform init and a provider schema load (~6 s on the 2-core machine)."""
    budget = RULES["aws_route53_health_check.reference_name"].max_length
    cases = {
        "waf_min": _web_acl(10),
        "waf_below_min": _web_acl(9),
        "reference_at_budget": _health_check("r" * budget),
        "reference_over_budget": _health_check("r" * (budget + 1)),
        "alarm_regions": _alarm_health_checks(sorted(AWS_REGIONS)),
        "alarm_region_unknown": _alarm_health_checks(["ap-southeast-6"]),
    }
    resources: dict[str, dict[str, Any]] = {}
    for case, by_type in cases.items():
        for resource_type, bodies in by_type.items():
            resources.setdefault(resource_type, {}).update({f"{case}__{name}": body for name, body in bodies.items()})
    root = tmp_path_factory.mktemp("boundaries")
    (root / "cases").mkdir()
    (root / "cases" / "cdk.tf.json").write_text(json.dumps(_stack(resources), indent=1))
    (output,) = validate(root).values()
    if output == "ok":
        return dict.fromkeys(cases, "ok")
    blocks = [block for block in re.split(r"\n(?=(?:Error|Warning): )", "\n" + output) if block.strip()]
    verdicts = {case: "\n".join(b for b in blocks if re.search(rf"with \w+\.{case}__", b)) for case in cases}
    unattributed = [b for b in blocks if not re.search(r"with \w+\.\w+__", b)]
    assert not unattributed, unattributed
    return {case: verdict or "ok" for case, verdict in verdicts.items()}


def test_provider_accepts_the_lowest_rate_limit_synth_accepts(provider_verdicts: dict[str, str]) -> None:
    """The provider's rate_based_statement.limit check agrees with the API's minimum of 10."""
    assert _accepted({"waf_rate_limit": 10}) and not _accepted({"waf_rate_limit": 9})
    assert provider_verdicts["waf_min"] == "ok"
    assert "limit to be in the range (10 - 2000000000), got 9" in provider_verdicts["waf_below_min"]


def test_health_check_reference_name_budget_is_the_providers(provider_verdicts: dict[str, str]) -> None:
    """CreateHealthCheck CallerReference is at most 64 characters (route53 model, HealthCheckNonce); the provider
    sends `<reference_name>-<unique id>` and so allows reference names of at most 27 (its ValidateFunc), which
    is the budget names.RULES applies."""
    assert _member("route53", "CreateHealthCheckRequest", "CallerReference").metadata["max"] == 64
    assert RULES["aws_route53_health_check.reference_name"].max_length == 27
    assert provider_verdicts["reference_at_budget"] == "ok"
    assert "length of reference_name to be in the range (0 - 27)" in provider_verdicts["reference_over_budget"]


def test_route53_accepts_an_alarm_in_every_region_synth_accepts(provider_verdicts: dict[str, str]) -> None:
    """Route53 health checks on CloudWatch alarms take the alarm's region from the CloudWatchRegion enum
    (botocore route53 model; the provider checks it against the SDK it was built with): every region synth
    accepts is in both, so the failover checks can watch alarms in either DR region."""
    enum = set(_SESSION.get_service_model("route53").shape_for("CloudWatchRegion").enum)
    assert enum >= AWS_REGIONS
    assert provider_verdicts["alarm_regions"] == "ok"
    assert "got ap-southeast-6" in provider_verdicts["alarm_region_unknown"]  # newer than the provider: refused
