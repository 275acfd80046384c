"""Dashboard: one, in the primary region, covering both regions."""

from __future__ import annotations

import json

import pytest
from cdktf import Testing
from cdktf_cdktf_provider_aws.cloudwatch_dashboard import CloudwatchDashboard
from conftest import Synthesized


def _widgets(stack: Synthesized) -> list[dict]:
    dashboard = stack.only("aws_cloudwatch_dashboard")
    assert dashboard["provider"] == "aws.primary" and dashboard["dashboard_name"] == "drapp-dev-dr"
    return json.loads(dashboard["dashboard_body"])["widgets"]


def _metric_widget(stack: Synthesized, title: str) -> dict:
    return next(w["properties"] for w in _widgets(stack) if title in w["properties"].get("title", ""))


def test_dashboard_mentions_both_regions(dev: Synthesized) -> None:
    body = dev.only("aws_cloudwatch_dashboard")["dashboard_body"]
    for fragment in (
        "us-east-1",
        "us-west-2",
        "aws_lb.primary_app_tier",
        "aws_lb.secondary_app_tier",
        "aws_autoscaling_group.primary_app_tier",
        "aws_autoscaling_group.secondary_app_tier",
    ):
        assert fragment in body, fragment


def test_health_check_widget_reads_us_east_1(dev: Synthesized) -> None:
    widget = _metric_widget(dev, "Route53 health checks")
    assert widget["region"] == "us-east-1"
    checks = " ".join(metric[3] for metric in widget["metrics"])
    for name in ("primary_alb_health_check", "secondary_alb_health_check", "primary_calculated_health_check"):
        assert name in checks


def test_replication_lag_widget_reads_the_secondary_cluster(dev: Synthesized) -> None:
    widget = _metric_widget(dev, "replication lag")
    assert widget["region"] == "us-west-2"
    names = {metric[1] for metric in widget["metrics"]}
    assert "AuroraGlobalDBReplicationLag" in names
    assert {metric[3] for metric in widget["metrics"]} == {"drapp-dev-secondary"}


def test_alb_and_capacity_widgets_cover_each_region(dev: Synthesized) -> None:
    for title in ("ALB 5xx", "response time", "in service"):
        widget = _metric_widget(dev, title)
        regions = {metric[-1]["region"] for metric in widget["metrics"]}
        assert regions == {"us-east-1", "us-west-2"}, title


# ----- unit: DrDashboard in an empty stack -----


@pytest.fixture(scope="module")
def lone_dashboard() -> Synthesized:
    """A dashboard over small constructs, objectives RTO 20 / RPO 2 min, latency line at 0.5 s."""
    from construct_support import synth, wired
    from dr_stack.naming.names import StackNames
    from dr_stack.observability.dashboard import DrDashboard

    parts = wired("dashboard")
    DrDashboard(
        parts.stack,
        "dashboard",
        providers=parts.providers,
        app_tiers=parts.app_tiers,
        database=parts.database,
        dns=parts.dns,
        names=StackNames("unit"),
        rto_minutes=20,
        rpo_minutes=2,
        response_time_alarm_seconds=0.5,
    )
    return synth(parts.stack)


def test_unit_dashboard_is_named_after_the_prefix_in_the_primary_region(lone_dashboard: Synthesized) -> None:
    assert Testing.to_have_resource_with_properties(
        lone_dashboard.text, CloudwatchDashboard.TF_RESOURCE_TYPE, {"dashboard_name": "unit-dr"}
    )
    assert lone_dashboard.only("aws_cloudwatch_dashboard")["provider"] == "aws.primary"


def test_unit_dashboard_draws_the_given_objectives(lone_dashboard: Synthesized) -> None:
    widgets = json.loads(lone_dashboard.only("aws_cloudwatch_dashboard")["dashboard_body"])["widgets"]
    lag = next(w["properties"] for w in widgets if "replication lag" in w["properties"].get("title", ""))
    assert lag["annotations"]["horizontal"] == [{"label": "RPO 2 min", "value": 120_000}]
    assert {metric[3] for metric in lag["metrics"]} == {"unit-secondary"}
    latency = next(w["properties"] for w in widgets if "response time" in w["properties"].get("title", ""))
    assert latency["annotations"]["horizontal"] == [{"label": "alarm", "value": 0.5}]
    assert "RTO 20 min, RPO 2 min" in widgets[0]["properties"]["markdown"]
