"""App tier: security groups, ALB and its logs, listeners, launch template, Auto Scaling group, alarms."""

from __future__ import annotations

import base64
import http.server
import json
import threading
import urllib.error
import urllib.request

import pytest
from cdktf import Testing
from conftest import Synthesized

ALIASES = {"aws.primary", "aws.secondary", "aws.us_east_1"}
INTERNET = {"0.0.0.0/0", "::/0"}
APP_TIER_TYPES = (
    "aws_security_group", "aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule", "aws_lb",
    "aws_lb_listener", "aws_lb_target_group", "aws_launch_template", "aws_autoscaling_group",
    "aws_autoscaling_policy", "aws_s3_bucket", "aws_s3_bucket_policy", "aws_iam_instance_profile",
    "aws_acm_certificate", "aws_acm_certificate_validation", "aws_route53_health_check", "aws_route53_record",
    "aws_wafv2_web_acl", "aws_cloudwatch_dashboard", "aws_cloudwatch_metric_alarm",
)  # fmt: skip
ROLES = ("primary", "secondary")


def _of_role(stack: Synthesized, resource_type: str, role: str, contains: str = "") -> dict:
    return stack.only(resource_type, f"{role}_app_tier_{contains}")


@pytest.mark.parametrize("fixture", ["dev", "prod"])
def test_only_the_alb_accepts_internet_traffic(fixture: str, request: pytest.FixtureRequest) -> None:
    stack: Synthesized = request.getfixturevalue(fixture)
    open_rules = [
        rule
        for rule in stack.resources("aws_vpc_security_group_ingress_rule").values()
        if rule.get("cidr_ipv4") in INTERNET or rule.get("cidr_ipv6") in INTERNET
    ]
    assert open_rules, "the ALBs must accept traffic from the internet"
    for rule in open_rules:
        assert "alb_security_group" in rule["security_group_id"], rule
        assert rule["from_port"] == rule["to_port"] and rule["from_port"] in (80, 443), rule


@pytest.mark.parametrize("role", ROLES)
def test_app_instances_accept_only_the_alb_on_the_app_port(dev: Synthesized, role: str) -> None:
    app_rules = [
        rule
        for rule in dev.resources("aws_vpc_security_group_ingress_rule").values()
        if f"{role}_app_tier_app_security_group" in rule["security_group_id"]
    ]
    assert len(app_rules) == 1
    assert f"{role}_app_tier_alb_security_group" in app_rules[0]["referenced_security_group_id"]
    assert app_rules[0]["from_port"] == app_rules[0]["to_port"] == 8080


def test_alb_egress_goes_only_to_the_app_instances(dev: Synthesized) -> None:
    alb_egress = [
        rule
        for rule in dev.resources("aws_vpc_security_group_egress_rule").values()
        if "alb_security_group" in rule["security_group_id"]
    ]
    assert len(alb_egress) == 2
    for rule in alb_egress:
        assert "app_security_group" in rule["referenced_security_group_id"]
        assert "cidr_ipv4" not in rule and rule["from_port"] == 8080


@pytest.mark.parametrize("role", ROLES)
def test_app_reaches_the_database_only_through_its_security_group(dev: Synthesized, role: str) -> None:
    egress = dev.only("aws_vpc_security_group_egress_rule", f"{role}_app_tier_app_egress_database")
    assert egress["from_port"] == egress["to_port"] == 3306
    assert f"aws_security_group.database_{role}" in egress["referenced_security_group_id"]
    ingress = [
        rule
        for rule in dev.resources("aws_vpc_security_group_ingress_rule").values()
        if f"{role}_app_tier_app_security_group" in rule.get("referenced_security_group_id", "")
    ]
    assert len(ingress) == 1 and ingress[0]["from_port"] == 3306


def test_every_security_group_rule_is_described(prod: Synthesized) -> None:
    for resource_type in ("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"):
        for logical_id, rule in prod.resources(resource_type).items():
            assert rule.get("description"), logical_id


@pytest.mark.parametrize("fixture", ["dev", "prod"])
def test_imdsv2_required(fixture: str, request: pytest.FixtureRequest) -> None:
    stack: Synthesized = request.getfixturevalue(fixture)
    templates = stack.resources("aws_launch_template")
    assert len(templates) == 2
    for template in templates.values():
        assert template["metadata_options"]["http_tokens"] == "required"
        assert template["metadata_options"]["http_put_response_hop_limit"] == 1


@pytest.mark.parametrize("role", ROLES)
def test_root_volume_encrypted_with_the_regional_key(dev: Synthesized, role: str) -> None:
    template = _of_role(dev, "aws_launch_template", role)
    ebs = template["block_device_mappings"][0]["ebs"]
    assert ebs["encrypted"] == "true" and ebs["volume_type"] == "gp3"
    assert f"aws_kms_key.{role}_key" in ebs["kms_key_id"]
    assert template["monitoring"]["enabled"] is True
    assert template["provider"] == f"aws.{role}"


def test_ami_comes_from_the_public_ssm_parameter_of_each_region(dev: Synthesized) -> None:
    parameters = dev.data_sources("aws_ssm_parameter")
    assert {p["provider"] for p in parameters.values()} == {"aws.primary", "aws.secondary"}
    for parameter in parameters.values():
        assert parameter["name"] == "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    for role in ROLES:
        assert "data.aws_ssm_parameter" in _of_role(dev, "aws_launch_template", role)["image_id"]


def test_user_data_serves_the_health_path_without_downloading(dev: Synthesized) -> None:
    script = base64.b64decode(_of_role(dev, "aws_launch_template", "secondary")["user_data"]).decode()
    assert "HEALTH_PATH=/health" in script and "APP_PORT=8080" in script and "DR_ROLE=secondary" in script
    assert "systemctl enable --now dr-app.service" in script
    for fetch in ("curl ", "wget ", "dnf install", "yum install", "pip install"):
        assert fetch not in script


def test_user_data_server_answers_200_on_the_health_path(monkeypatch: pytest.MonkeyPatch) -> None:
    from dr_stack.application.app_tier import _SERVER_PY

    for name, value in {
        "HEALTH_PATH": "/health",
        "APP_NAME": "drapp-dev",
        "DR_ROLE": "primary",
        "AWS_REGION": "us-east-1",
        "APP_PORT": "0",
    }.items():
        monkeypatch.setenv(name, value)
    namespace: dict = {"__name__": "boot_script"}  # not __main__: defines the handler, starts nothing
    exec(compile(_SERVER_PY, "server.py", "exec"), namespace)  # noqa: S102 - the stack's own boot script
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), namespace["Handler"])
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with urllib.request.urlopen(f"{base}/health", timeout=5) as response:  # noqa: S310 - local server
            assert response.status == 200
        with urllib.request.urlopen(f"{base}/", timeout=5) as response:  # noqa: S310
            assert json.loads(response.read())["role"] == "primary"
        with pytest.raises(urllib.error.HTTPError, match="404"):
            urllib.request.urlopen(f"{base}/elsewhere", timeout=5)  # noqa: S310
    finally:
        server.shutdown()


def test_http_redirects_to_https_when_domain_set(prod: Synthesized) -> None:
    for role in ROLES:
        http = _of_role(prod, "aws_lb_listener", role, "http_listener")
        assert http["port"] == 80
        action = http["default_action"][0]
        assert action["type"] == "redirect"
        assert action["redirect"] == {"port": "443", "protocol": "HTTPS", "status_code": "HTTP_301"}
        https = _of_role(prod, "aws_lb_listener", role, "https_listener")
        assert https["protocol"] == "HTTPS" and https["ssl_policy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
        assert f"aws_acm_certificate_validation.{role}_certificate" in https["certificate_arn"]
        assert https["default_action"][0]["type"] == "forward"


def test_plain_http_only_without_domain(dev: Synthesized) -> None:
    listeners = dev.resources("aws_lb_listener")
    assert len(listeners) == 2
    for listener in listeners.values():
        assert listener["protocol"] == "HTTP" and listener["port"] == 80
        assert listener["default_action"][0]["type"] == "forward"
    assert not dev.resources("aws_acm_certificate")
    ports = {
        rule["from_port"]
        for rule in dev.resources("aws_vpc_security_group_ingress_rule").values()
        if rule.get("cidr_ipv4") == "0.0.0.0/0"
    }
    assert ports == {80}


@pytest.mark.parametrize(("fixture", "protected"), [("dev", False), ("prod", True)])
def test_alb_is_hardened(fixture: str, protected: bool, request: pytest.FixtureRequest) -> None:
    stack: Synthesized = request.getfixturevalue(fixture)
    for role in ROLES:
        alb = _of_role(stack, "aws_lb", role)
        assert alb["drop_invalid_header_fields"] is True and alb["enable_http2"] is True
        assert alb["enable_deletion_protection"] is protected
        assert alb["internal"] is False and alb["load_balancer_type"] == "application"
        assert all("public_subnet" in subnet for subnet in alb["subnets"])
        assert alb["access_logs"]["enabled"] is True
        assert f"{role}_app_tier_access_log_bucket" in alb["access_logs"]["bucket"]
        assert alb["idle_timeout"] > 0


@pytest.mark.parametrize("role", ROLES)
def test_access_log_bucket_is_private_encrypted_and_expires(prod: Synthesized, role: str) -> None:
    block = _of_role(prod, "aws_s3_bucket_public_access_block", role)
    assert all(
        block[flag] is True
        for flag in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )
    encryption = _of_role(prod, "aws_s3_bucket_server_side_encryption_configuration", role)
    assert encryption["rule"][0]["apply_server_side_encryption_by_default"]["sse_algorithm"] == "AES256"
    assert _of_role(prod, "aws_s3_bucket_versioning", role)["versioning_configuration"]["status"] == "Enabled"
    lifecycle = _of_role(prod, "aws_s3_bucket_lifecycle_configuration", role)
    assert lifecycle["rule"][0]["expiration"][0]["days"] == 365  # prod profile's alb_access_log_retention_days
    assert _of_role(prod, "aws_s3_bucket", role)["force_destroy"] is False


def test_access_log_bucket_policy_admits_log_delivery_and_denies_plain_http(dev: Synthesized) -> None:
    statements = dev.statements(_of_role(dev, "aws_s3_bucket_policy", "primary")["policy"])
    writers = [s["principals"][0] for s in statements if s.get("effect", "Allow") == "Allow"]
    assert writers[0] == {"type": "Service", "identifiers": ["logdelivery.elasticloadbalancing.amazonaws.com"]}
    # us-east-1 predates the service principal: its regional ELB account may write too.
    assert writers[1]["type"] == "AWS" and writers[1]["identifiers"][0].startswith("${data.aws_elb_service_account.")
    (deny,) = [s for s in statements if s.get("effect") == "Deny"]
    assert deny["condition"] == [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}]


def test_target_group_checks_the_health_path(dev: Synthesized) -> None:
    for role in ROLES:
        group = _of_role(dev, "aws_lb_target_group", role)
        assert group["port"] == 8080 and group["protocol"] == "HTTP"
        assert group["health_check"]["path"] == "/health" and group["health_check"]["matcher"] == "200"
        assert int(group["deregistration_delay"]) <= 60


# prod's warm standby keeps the failover minimum (3) in service: the RTO budget's app term is then 0 (test_budget).
@pytest.mark.parametrize(("role", "capacity"), [("primary", (3, 12, 3)), ("secondary", (3, 12, 3))])
def test_auto_scaling_group_warm_standby_capacity(prod: Synthesized, role: str, capacity: tuple) -> None:
    group = _of_role(prod, "aws_autoscaling_group", role)
    assert (group["min_size"], group["max_size"], group["desired_capacity"]) == capacity
    assert group["name"] == f"drapp-prod-{role}-app"
    assert group["health_check_type"] == "ELB" and group["health_check_grace_period"] == 180
    assert group["instance_refresh"]["strategy"] == "Rolling"
    assert group["instance_refresh"]["preferences"]["min_healthy_percentage"] == 90
    assert all("private_subnet" in subnet for subnet in group["vpc_zone_identifier"])
    assert f"{role}_app_tier_target_group" in group["target_group_arns"][0]
    assert "GroupInServiceInstances" in group["enabled_metrics"]


def test_auto_scaling_group_leaves_capacity_to_the_orchestrator(dev: Synthesized) -> None:
    """After a failover the orchestrator has raised the promoted region and fenced the other to min 0 (both
    Auto Scaling groups differ from the settings); the next plan must not undo that (make e2e checks it)."""
    for role in ROLES:
        ignored = _of_role(dev, "aws_autoscaling_group", role)["lifecycle"]["ignore_changes"]
        assert ignored == ["desired_capacity", "min_size", "max_size"]


def test_cpu_target_tracking_uses_the_setting(dev: Synthesized) -> None:
    for role in ROLES:
        policy = _of_role(dev, "aws_autoscaling_policy", role)
        tracking = policy["target_tracking_configuration"]
        assert tracking["predefined_metric_specification"]["predefined_metric_type"] == "ASGAverageCPUUtilization"
        assert tracking["target_value"] == 50


@pytest.mark.parametrize("role", ROLES)
def test_instance_role_has_ssm_and_reads_the_regional_secret(dev: Synthesized, role: str) -> None:
    attachment = _of_role(dev, "aws_iam_role_policy_attachment", role)
    assert attachment["policy_arn"].endswith(":iam::aws:policy/AmazonSSMManagedInstanceCore")
    policies = [
        body
        for body in dev.resources("aws_iam_role_policy").values()
        if f"{role}_app_tier_instance_role" in body["role"]
    ]
    documents = " ".join(
        json.dumps(dev.data_sources("aws_iam_policy_document")[p["policy"].split(".")[2]]) for p in policies
    )
    assert "secretsmanager:GetSecretValue" in documents
    assert all(p["provider"] == f"aws.{role}" for p in policies)


@pytest.mark.parametrize("role", ROLES)
def test_app_alarms_notify_the_regional_topic(dev: Synthesized, role: str) -> None:
    alarms = {
        body["alarm_name"]: body
        for key, body in dev.resources("aws_cloudwatch_metric_alarm").items()
        if key.startswith(f"{role}_app_tier_")
    }
    assert set(alarms) == {
        f"drapp-dev-{role}-{kind}" for kind in ("alb-5xx", "unhealthy-hosts", "response-time", "app-in-service")
    }
    for alarm in alarms.values():
        assert alarm["alarm_actions"] == alarm["ok_actions"]
        assert f"aws_sns_topic.{role}_alarm_topic" in alarm["alarm_actions"][0]
    five_xx = alarms[f"drapp-dev-{role}-alb-5xx"]
    names = {query.get("metric", {}).get("metric_name") for query in five_xx["metric_query"]}
    assert {"HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count"} <= names
    assert five_xx["threshold"] == 10
    assert alarms[f"drapp-dev-{role}-response-time"]["threshold"] == 1.0
    assert alarms[f"drapp-dev-{role}-app-in-service"]["threshold"] == (2 if role == "primary" else 1)


@pytest.mark.parametrize("fixture", ["dev", "prod"])
def test_every_alarm_has_an_action(fixture: str, request: pytest.FixtureRequest) -> None:
    stack: Synthesized = request.getfixturevalue(fixture)
    alarms = stack.resources("aws_cloudwatch_metric_alarm")
    assert alarms
    silent = [logical_id for logical_id, alarm in alarms.items() if not alarm.get("alarm_actions")]
    assert not silent, silent


@pytest.mark.parametrize("fixture", ["dev", "prod"])
def test_every_app_tier_resource_names_an_aliased_provider(fixture: str, request: pytest.FixtureRequest) -> None:
    stack: Synthesized = request.getfixturevalue(fixture)
    for resource_type in APP_TIER_TYPES:
        for logical_id, body in stack.resources(resource_type).items():
            assert body.get("provider") in ALIASES, f"{resource_type}.{logical_id}"


# ----- unit: AppTier in an empty stack -----

CERTIFICATE = "arn:aws:acm:us-east-1:111122223333:certificate/unit"


def _tier_stack(**options: object) -> Synthesized:
    from construct_support import app_tier, empty_stack, networks_and_topics, provider_pair, regional_keys, synth

    stack = empty_stack("tier")
    providers = provider_pair(stack)
    keys = regional_keys(stack, providers)
    networks, topics = networks_and_topics(stack, providers, keys)
    app_tier(stack, providers, keys, networks, topics, **options)  # type: ignore[arg-type]
    return synth(stack)


@pytest.fixture(scope="module")
def plain_tier() -> Synthesized:
    """No certificate, default capacity, a 30 s alarm period asked for."""
    return _tier_stack(alarm_period_seconds=30)


def test_unit_tier_without_certificate_serves_http_and_forwards(plain_tier: Synthesized) -> None:
    from cdktf_cdktf_provider_aws.lb_listener import LbListener

    (listener,) = plain_tier.resources("aws_lb_listener").values()
    assert (listener["port"], listener["protocol"]) == (80, "HTTP")
    assert listener["default_action"][0]["type"] == "forward"
    assert not Testing.to_have_resource_with_properties(plain_tier.text, LbListener.TF_RESOURCE_TYPE, {"port": 443})


def test_unit_tier_with_certificate_redirects_http_to_https() -> None:
    synth = _tier_stack(certificate_arn=CERTIFICATE)
    listeners = {body["port"]: body for body in synth.resources("aws_lb_listener").values()}
    assert listeners[443]["certificate_arn"] == CERTIFICATE
    assert listeners[80]["default_action"][0]["redirect"]["status_code"] == "HTTP_301"


def test_unit_tier_alarm_period_is_at_least_a_minute(plain_tier: Synthesized) -> None:
    periods = {body.get("period") for body in plain_tier.resources("aws_cloudwatch_metric_alarm").values()}
    assert periods - {None} == {60}


def test_unit_tier_capacity_and_in_service_alarm_follow_the_minimum(plain_tier: Synthesized) -> None:
    group = plain_tier.only("aws_autoscaling_group")
    assert (group["min_size"], group["max_size"], group["desired_capacity"]) == (2, 4, 2)
    assert plain_tier.only("aws_cloudwatch_metric_alarm", "in_service_alarm")["threshold"] == 2


def test_unit_tier_with_no_minimum_has_no_in_service_alarm() -> None:
    from dr_stack.application.app_tier import Capacity

    synth = _tier_stack(capacity=Capacity(minimum=0, maximum=2, desired=0))
    assert not [key for key in synth.resources("aws_cloudwatch_metric_alarm") if "in_service" in key]


def test_unit_tier_keeps_logs_and_protects_the_alb_by_default(plain_tier: Synthesized) -> None:
    from cdktf_cdktf_provider_aws.lb import Lb

    assert Testing.to_have_resource_with_properties(
        plain_tier.text, Lb.TF_RESOURCE_TYPE, {"enable_deletion_protection": True, "drop_invalid_header_fields": True}
    )
    assert plain_tier.only("aws_s3_bucket")["force_destroy"] is False


def test_unit_tier_requires_imdsv2(plain_tier: Synthesized) -> None:
    from cdktf_cdktf_provider_aws.launch_template import LaunchTemplate

    assert Testing.to_have_resource_with_properties(
        plain_tier.text,
        LaunchTemplate.TF_RESOURCE_TYPE,
        {"metadata_options": {"http_tokens": "required", "http_put_response_hop_limit": 1}},
    )


def test_unknown_dr_role_is_an_error() -> None:
    from dr_stack.foundation.providers import dr_role, peer_of

    with pytest.raises(ValueError, match="DR role must be one of primary, secondary, got 'tertiary'"):
        dr_role("tertiary")
    with pytest.raises(ValueError, match="got 'Primary'"):
        peer_of("Primary")  # type: ignore[arg-type]
    assert peer_of("primary") == "secondary"
