"""DNS failover: health checks, the traffic switch, failover records, certificates, health-check alarms."""

from __future__ import annotations

import pytest
from cdktf import Testing
from conftest import Synthesized, new_testing_app

ROLES = ("primary", "secondary")


def _provider_region(stack: Synthesized, provider: str) -> str:
    alias = provider.split(".", 1)[1]
    return next(p["region"] for p in stack.data["provider"]["aws"] if p["alias"] == alias)


@pytest.fixture(scope="module")
def europe() -> Synthesized:
    """Neither region in us-east-1, a hosted zone created by the stack."""
    from cdktf import Testing
    from dr_stack.config.settings import load_settings
    from dr_stack.stacks import DrStack

    settings = load_settings(
        {
            "primary_region": "eu-west-1",
            "secondary_region": "eu-central-1",
            "domain_name": "app.example.org",
            "hosted_zone_name": "example.org",
            "create_hosted_zone": True,
            "db_password_source": "variable",
        },
        environ={},
    )
    return Synthesized(Testing.synth(DrStack(new_testing_app(), "europe", settings=settings)))


def test_primary_record_carries_health_check(prod: Synthesized) -> None:
    record = prod.only("aws_route53_record", "dns_failover_primary_record")
    assert record["failover_routing_policy"] == {"type": "PRIMARY"}
    assert record["set_identifier"] == "primary" and record["name"] == "app.example.com"
    assert "dns_failover_primary_calculated_health_check" in record["health_check_id"]
    assert "aws_lb.primary_app_tier_load_balancer" in record["alias"]["name"]
    assert record["alias"]["evaluate_target_health"] is True


def route53_failover_answer(*, primary_healthy: bool, secondary_healthy: bool, secondary_checked: bool) -> str:
    """Which record Route53 answers, as the Route53 API Reference (ResourceRecordSet, Failover) documents it:
    "When the secondary resource record set is unhealthy, Route 53 responds to DNS queries with the applicable
    value from the primary resource record set regardless of the health of the primary resource record set",
    and "If you omit the HealthCheckId element for the secondary resource record set, and if the primary resource
    record set is unhealthy, Route 53 always responds to DNS queries with the applicable value from the secondary
    resource record set". An alias with EvaluateTargetHealth=true is health-checked through its target."""
    if primary_healthy:
        return "primary"
    if not secondary_checked:
        return "secondary"
    return "secondary" if secondary_healthy else "primary"


def test_a_fenced_primary_is_not_answered_when_the_secondary_alb_check_fails(prod: Synthesized) -> None:
    """PrimaryFenced=1 makes the primary record unhealthy; right after a failover the secondary ALB check can fail
    (instances in their grace period, overload). Route53 must still answer the secondary, not the read-only
    fenced primary: the SECONDARY record carries no health check and does not evaluate its target's health."""
    record = prod.only("aws_route53_record", "dns_failover_secondary_record")
    assert record["failover_routing_policy"] == {"type": "SECONDARY"}
    assert "aws_lb.secondary_app_tier_load_balancer" in record["alias"]["zone_id"]
    checked = bool(record.get("health_check_id")) or record["alias"]["evaluate_target_health"] is True
    answer = route53_failover_answer(primary_healthy=False, secondary_healthy=False, secondary_checked=checked)
    assert answer == "secondary"
    # The secondary ALB check still exists, for its alarm.
    assert prod.only("aws_route53_health_check", "dns_failover_secondary_alb_health_check")


def test_records_live_in_the_looked_up_zone(prod: Synthesized) -> None:
    assert not prod.resources("aws_route53_zone")
    lookups = prod.data_sources("aws_route53_zone")
    assert [zone["name"] for zone in lookups.values()] == ["example.com"]
    for role in ROLES:
        assert "data.aws_route53_zone.dns_zone" in prod.only("aws_route53_record", f"dns_failover_{role}")["zone_id"]


def test_no_zone_or_records_without_domain(dev: Synthesized) -> None:
    assert not dev.resources("aws_route53_record")
    assert not dev.resources("aws_route53_zone") and not dev.data_sources("aws_route53_zone")


@pytest.mark.parametrize(("fixture", "kind", "port"), [("dev", "HTTP", 80), ("prod", "HTTPS", 443)])
def test_alb_health_checks_exist_with_and_without_domain(
    fixture: str, kind: str, port: int, request: pytest.FixtureRequest
) -> None:
    stack: Synthesized = request.getfixturevalue(fixture)
    for role in ROLES:
        check = stack.only("aws_route53_health_check", f"dns_failover_{role}_alb_health_check")
        assert check["type"] == kind and check["port"] == port
        assert f"aws_lb.{role}_app_tier_load_balancer" in check["fqdn"]
        assert check["resource_path"] == "/health"
        assert check["request_interval"] == 10 and check["failure_threshold"] == 3
        assert check["measure_latency"] is True and len(check["regions"]) >= 3


def test_calculated_check_needs_a_healthy_alb_and_an_unfenced_primary(dev: Synthesized) -> None:
    check = dev.only("aws_route53_health_check", "primary_calculated")
    assert check["type"] == "CALCULATED" and check["child_health_threshold"] == 2
    children = " ".join(check["child_healthchecks"])
    assert "dns_failover_primary_alb_health_check" in children
    assert "dns_failover_traffic_switch_health_check" in children


def test_traffic_switch_alarm_lives_in_the_secondary_region(dev: Synthesized) -> None:
    from dr_stack.traffic.dns import TRAFFIC_SWITCH_METRIC, TRAFFIC_SWITCH_NAMESPACE

    assert (TRAFFIC_SWITCH_NAMESPACE, TRAFFIC_SWITCH_METRIC) == ("DR/Failover", "PrimaryFenced")
    alarm = dev.only("aws_cloudwatch_metric_alarm", "traffic_switch")
    assert alarm["provider"] == "aws.secondary"
    assert (alarm["namespace"], alarm["metric_name"]) == ("DR/Failover", "PrimaryFenced")
    assert alarm["dimensions"] == {"GlobalCluster": "drapp-dev-global"}
    assert alarm["statistic"] == "Maximum" and alarm["period"] == 60 and alarm["evaluation_periods"] == 1
    assert alarm["threshold"] == 1 and alarm["comparison_operator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["treat_missing_data"] == "ignore"


def test_traffic_switch_health_check_follows_the_alarm(dev: Synthesized) -> None:
    """Route53 "monitors the data stream for the corresponding alarm instead of monitoring the alarm state";
    with insufficient data it uses insufficient_data_health_status (Route53 Developer Guide, "How Route 53
    determines whether a health check is healthy"; HealthCheckConfig.InsufficientDataHealthStatus). With
    'Healthy' (the old value) a fence written once became healthy again when its datapoint aged out;
    LastKnownStatus holds the last switch state while the keeper (or its whole region) is silent."""
    check = dev.only("aws_route53_health_check", "traffic_switch")
    assert check["type"] == "CLOUDWATCH_METRIC"
    assert "dns_failover_traffic_switch_alarm" in check["cloudwatch_alarm_name"]
    assert check["cloudwatch_alarm_region"] == "us-west-2"
    assert check["insufficient_data_health_status"] == "LastKnownStatus"


def test_health_check_alarm_uses_the_us_east_1_provider(dev: Synthesized) -> None:
    alarms = [
        body for body in dev.resources("aws_cloudwatch_metric_alarm").values() if body.get("namespace") == "AWS/Route53"
    ]
    assert len(alarms) == 3
    for alarm in alarms:
        assert _provider_region(dev, alarm["provider"]) == "us-east-1"
        assert alarm["metric_name"] == "HealthCheckStatus" and alarm["comparison_operator"] == "LessThanThreshold"
        # us-east-1 is the primary region here: its alarm topic is in the right region.
        assert "aws_sns_topic.primary_alarm_topic" in alarm["alarm_actions"][0]


def test_health_check_alarms_get_a_us_east_1_topic_when_no_region_is(europe: Synthesized) -> None:
    alarms = [
        body
        for body in europe.resources("aws_cloudwatch_metric_alarm").values()
        if body.get("namespace") == "AWS/Route53"
    ]
    assert alarms
    topic = europe.only("aws_sns_topic", "route53_alarm_topic")
    assert topic["provider"] == "aws.us_east_1" and "route53_alarm_key" in topic["kms_master_key_id"]
    for alarm in alarms:
        assert alarm["provider"] == "aws.us_east_1"
        assert "aws_sns_topic.route53_alarm_topic" in alarm["alarm_actions"][0]


def test_zone_is_created_when_asked(europe: Synthesized) -> None:
    zone = europe.only("aws_route53_zone", "dns_zone")
    assert zone["name"] == "example.org" and zone["provider"] == "aws.primary"
    assert "aws_route53_zone.dns_zone" in europe.only("aws_route53_record", "dns_failover_primary")["zone_id"]


@pytest.mark.parametrize("role", ROLES)
def test_certificate_is_regional_and_dns_validated_in_the_zone(prod: Synthesized, role: str) -> None:
    certificate = prod.only("aws_acm_certificate", f"{role}_certificate")
    assert certificate["domain_name"] == "app.example.com" and certificate["validation_method"] == "DNS"
    assert certificate["provider"] == f"aws.{role}"
    records = prod.only("aws_route53_record", f"{role}_certificate_validation_record")
    assert records["provider"] == "aws.primary" and "data.aws_route53_zone" in records["zone_id"]
    assert f"aws_acm_certificate.{role}_certificate" in records["for_each"]
    validation = prod.only("aws_acm_certificate_validation", f"{role}_certificate")
    assert validation["provider"] == f"aws.{role}"
    assert f"aws_route53_record.{role}_certificate_validation_record" in validation["validation_record_fqdns"]


def test_us_east_1_alarm_key_is_scoped_to_its_own_region(europe: Synthesized) -> None:
    key = europe.only("aws_kms_key", "route53_alarm_key")
    assert key["provider"] == "aws.us_east_1" and key["enable_key_rotation"] is True
    statements = europe.data_sources("aws_iam_policy_document")
    document = next(body for key, body in statements.items() if key.startswith("route53_alarm_key_policy"))
    logs = next(s for s in document["statement"] if s.get("sid") == "CloudWatchLogs")
    assert logs["principals"][0]["identifiers"] == ["logs.us-east-1.amazonaws.com"]


def test_traffic_switch_metric_is_standard_resolution_with_a_simple_statistic(dev: Synthesized) -> None:
    """Route53 supports alarms on standard-resolution metrics with Average, Minimum, Maximum, Sum or
    SampleCount only (AlarmIdentifier, Route53 API Reference): a period of 60 s or more, no extended statistic."""
    alarm = dev.only("aws_cloudwatch_metric_alarm", "traffic_switch")
    assert alarm["period"] >= 60 and alarm["period"] % 60 == 0
    assert alarm["statistic"] in ("Average", "Minimum", "Maximum", "Sum", "SampleCount")
    assert "extended_statistic" not in alarm


# ----- unit: the DNS constructs in an empty stack -----


@pytest.fixture(scope="module")
def without_domain() -> Synthesized:
    """DnsFailover over two app tiers, no zone: HTTP health checks and the traffic switch, no records."""
    from construct_support import synth, wired

    return synth(wired("dns_no_domain").stack)


def test_unit_without_a_domain_checks_http_and_writes_no_records(without_domain: Synthesized) -> None:
    from cdktf_cdktf_provider_aws.route53_health_check import Route53HealthCheck

    checks = [
        c for c in without_domain.resources("aws_route53_health_check").values() if c["type"] in ("HTTP", "HTTPS")
    ]
    assert {(c["type"], c["port"], c["resource_path"]) for c in checks} == {("HTTP", 80, "/health")}
    assert without_domain.resources("aws_route53_record") == {}
    assert Testing.to_have_resource_with_properties(
        without_domain.text, Route53HealthCheck.TF_RESOURCE_TYPE, {"type": "CALCULATED", "child_health_threshold": 2}
    )


def test_unit_traffic_switch_alarm_is_in_the_secondary_region_on_the_cluster(without_domain: Synthesized) -> None:
    alarm = without_domain.only("aws_cloudwatch_metric_alarm", "traffic_switch_alarm")
    assert alarm["provider"] == "aws.secondary"
    assert alarm["dimensions"] == {"GlobalCluster": "unit-global"}


def test_unit_zone_needs_a_domain_and_the_reverse() -> None:
    from construct_support import DEFAULTS, empty_stack, provider_pair
    from dr_stack.naming.names import StackNames
    from dr_stack.traffic.dns import DnsFailover, HostedZone

    stack = empty_stack("dns_mismatch")
    providers = provider_pair(stack)
    zone = HostedZone(stack, "zone", provider=providers.primary, zone_name="example.com", create=False)
    with pytest.raises(ValueError, match="both zone and domain_name, or neither"):
        DnsFailover(
            stack,
            "dns",
            providers=providers,
            app_tiers={},
            alarm_topics={},
            us_east_1_topic_arn="arn:aws:sns:us-east-1:111122223333:t",
            names=StackNames("unit"),
            global_cluster_identifier="unit-global",
            health_check_path=DEFAULTS.health_check_path,
            health_check_interval_seconds=DEFAULTS.health_check_interval_seconds,
            health_check_failure_threshold=DEFAULTS.health_check_failure_threshold,
            alarm_evaluation_periods=DEFAULTS.alarm_evaluation_periods,
            zone=zone,
        )


def test_unit_hosted_zone_is_looked_up_unless_created() -> None:
    from construct_support import empty_stack, provider_pair, synth
    from dr_stack.traffic.dns import HostedZone, ValidatedCertificate

    stack = empty_stack("zones")
    providers = provider_pair(stack)
    found = HostedZone(stack, "found", provider=providers.primary, zone_name="example.com", create=False)
    HostedZone(stack, "made", provider=providers.primary, zone_name="example.org", create=True, comment="unit zone")
    ValidatedCertificate(
        stack, "certificate", provider=providers.secondary, domain_name="app.example.com", zone=found, name="unit-cert"
    )
    synthesized = synth(stack)
    (lookup,) = synthesized.data_sources("aws_route53_zone").values()
    assert (lookup["name"], lookup["private_zone"]) == ("example.com", False)
    assert synthesized.only("aws_route53_zone")["comment"] == "unit zone"
    certificate = synthesized.only("aws_acm_certificate")
    assert (certificate["provider"], certificate["domain_name"]) == ("aws.secondary", "app.example.com")
    assert certificate["tags"] == {"Name": "unit-cert"}
    # Validation records go in the zone, through the zone's (primary) provider.
    assert synthesized.only("aws_route53_record")["provider"] == "aws.primary"
