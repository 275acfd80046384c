"""RTO/RPO budget: computed from the settings, refused at synth when it cannot meet the objectives."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import Synthesized
from dr_stack.config.budget import (
    SCHEDULE_SECONDS,
    budget_table,
    data_loss_budget,
    detection_seconds,
    recovery_time_budget,
)
from dr_stack.config.settings import SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]


def _rate_seconds(expression: str) -> int:
    """Seconds between runs of an EventBridge ``rate(value unit)`` schedule (EventBridge User Guide, "Schedule
    expressions": units minute(s), hour(s), day(s))."""
    match = re.fullmatch(r"rate\((\d+) (minute|hour|day)s?\)", expression)
    assert match, expression
    return int(match[1]) * {"minute": 60, "hour": 3600, "day": 86400}[match[2]]


def test_default_recovery_budget_terms() -> None:
    budget = recovery_time_budget(load_settings(environ={}))
    terms = {term.name: term.seconds for term in budget.terms}
    # detection 10 s x 3 + 60 s x 1; decision 300 s; no confirmation reads in manual mode; fence 20 s;
    # max(promotion 180, failover minimum of healthy targets: the standby's 1 instance is below the failover minimum
    # of 2, so launch 120 + grace 180); dns: switch period 60 + Route53 interval 10 + TTL 60
    assert terms == {
        "detection": 90,
        "decision": 300,
        "confirmation": 0,
        "fence": 20,
        "promotion_and_scale_up": 300,
        "dns": 130,
    }
    assert budget.total_seconds == 840 and budget.met


def test_the_app_term_is_zero_only_when_the_standby_already_has_the_failover_minimum() -> None:
    """The run's end-to-end recovery point is the failover minimum (FAILOVER_CAPACITY_MIN) of healthy targets with the
    switch held (actions.serving.wait_for_serving); the budget counts the same: 0 s for the app only when the warm
    standby's minimum already is that many instances in service, else they must launch and pass their grace."""
    at_minimum = load_settings({"secondary_app_min_capacity": 2, "secondary_app_desired_capacity": 2}, environ={})
    below = load_settings({"secondary_app_min_capacity": 1, "secondary_app_desired_capacity": 1}, environ={})
    none = load_settings({"secondary_app_min_capacity": 0, "secondary_app_desired_capacity": 0}, environ={})
    terms = [{t.name: t.seconds for t in recovery_time_budget(s).terms} for s in (at_minimum, below, none)]
    assert [t["promotion_and_scale_up"] for t in terms] == [180, max(180, 120 + 180), max(180, 120 + 180)]


def test_prod_with_automatic_failover_recovers_within_five_minutes_when_route53_can_answer() -> None:
    """Prod with automatic failover, primary outside us-east-1: probe every 10 s (high resolution, EventBridge
    only), 3 failing datapoints + one interval, Route53's checkers (10 s x 3) the second signal; the concurrent
    confirmation reads under one 5 s deadline; fence 5 s; promotion allowance 120 s; the warm standby keeps the
    failover minimum (3) in service; the switch metric's one-minute period (Route53: standard resolution only) + a
    10 s Route53 interval + 60 s TTL."""
    settings = load_settings(
        {
            "environment": "prod",
            "failover_automatic": True,
            "failover_decision_allowance_seconds": 0,
            "primary_region": "eu-west-1",
            "secondary_region": "eu-central-1",
        },
        environ={},
    )
    budget = recovery_time_budget(settings)
    terms = {term.name: term.seconds for term in budget.terms}
    assert terms == {
        "detection": 40,
        "decision": 0,
        "confirmation": 5,
        "fence": 5,
        "promotion_and_scale_up": 120,
        "dns": 130,
    }
    assert budget.total_seconds == 300


def test_losing_us_east_1_costs_detection_the_replication_stall_and_one_re_evaluation() -> None:
    """With the primary in us-east-1, its loss takes the Route53 API (homed there) and the primary's RDS API: the
    second signal is the secondary's own AuroraGlobalDBReplicationLag reaching a fifth of the 5-minute RPO
    (60 s), seen at Aurora's next one-minute datapoint (60 s), then the once-a-minute re-evaluation (60 s)
    fails over: detection 180 s, not the probe's 40 s."""
    settings = load_settings(
        {"environment": "prod", "failover_automatic": True, "failover_decision_allowance_seconds": 0}, environ={}
    )
    budget = recovery_time_budget(settings)
    terms = {term.name: term.seconds for term in budget.terms}
    assert terms["detection"] == 60 + 60 + 60
    assert budget.total_seconds == 440 and budget.met


def test_confirmation_is_a_term_of_automatic_failover_only() -> None:
    manual = load_settings({"failover_confirmation_timeout_seconds": 30}, environ={})
    automatic = load_settings(
        {
            "failover_automatic": True,
            "failover_decision_allowance_seconds": 0,
            "failover_confirmation_timeout_seconds": 30,
        },
        environ={},
    )
    assert {t.name: t.seconds for t in recovery_time_budget(manual).terms}["confirmation"] == 0
    assert {t.name: t.seconds for t in recovery_time_budget(automatic).terms}["confirmation"] == 30


def test_automatic_detection_counts_the_probe_alarm_not_the_route53_path() -> None:
    """The automatic trigger is the probe's alarm: one-minute datapoints, health_check_failure_threshold of them,
    plus one probe period before the first failing datapoint (the old budget counted 10 s x 3 + 60 s x 1)."""
    settings = load_settings({"failover_automatic": True, "failover_decision_allowance_seconds": 0}, environ={})
    terms = {term.name: term.seconds for term in recovery_time_budget(settings).terms}
    assert terms["detection"] == 60 * (3 + 1)


def test_fence_timeout_is_a_recovery_term() -> None:
    settings = load_settings({"failover_fence_timeout_seconds": 45}, environ={})
    terms = {term.name: term.seconds for term in recovery_time_budget(settings).terms}
    assert terms["fence"] == 45


def test_automatic_failover_removes_the_decision_term() -> None:
    settings = load_settings({"failover_automatic": True}, environ={})
    terms = {term.name: term.seconds for term in recovery_time_budget(settings).terms}
    assert terms["decision"] == 0


def test_promotion_and_scale_up_run_in_parallel() -> None:
    settings = load_settings({"db_promotion_allowance_seconds": 350}, environ={})
    terms = {term.name: term.seconds for term in recovery_time_budget(settings).terms}
    assert terms["promotion_and_scale_up"] == 350


def test_default_data_loss_budget() -> None:
    budget = data_loss_budget(load_settings(environ={}))
    assert budget.total_seconds == 60 + 60 * 3
    assert budget.met


def test_refuses_settings_that_cannot_meet_rto() -> None:
    with pytest.raises(
        SettingsError,
        match=r"cannot meet rto_minutes=15: worst case .*decision 900 s.*"
        r"change failover_automatic or failover_decision_allowance_seconds",
    ):
        load_settings({"failover_decision_allowance_seconds": 900}, environ={})


def test_refuses_settings_that_cannot_meet_rpo() -> None:
    with pytest.raises(SettingsError, match=r"cannot meet rpo_minutes=5: worst case lag_threshold 200 s"):
        load_settings({"replication_lag_alarm_seconds": 200}, environ={})


def test_tighter_objective_is_refused_with_the_breakdown() -> None:
    with pytest.raises(SettingsError, match=r"cannot meet rto_minutes=5: .*= 840 s \(14.0 min\)"):
        load_settings({"rto_minutes": 5}, environ={})


def test_budget_doc_carries_the_budget_table() -> None:
    assert budget_table(load_settings(environ={})) in (ROOT / "docs" / "budget.md").read_text()


def test_budget_doc_carries_the_production_budget_table_and_it_meets_both_objectives() -> None:
    settings = load_settings(
        {"environment": "prod", "failover_automatic": True, "failover_decision_allowance_seconds": 0}, environ={}
    )
    assert budget_table(settings) in (ROOT / "docs" / "budget.md").read_text()
    assert recovery_time_budget(settings).met and data_loss_budget(settings).met


def test_budget_is_a_terraform_output(prod: Synthesized) -> None:
    output = prod.outputs()["recovery_budget"]
    assert output["description"]
    value = output["value"]
    if isinstance(value, str):
        value = json.loads(value)
    assert value["rto_minutes"]["met"] is True
    assert value["rto_minutes"]["terms"]["decision"] == 0
    assert value["rpo_minutes"]["worst_case_seconds"] == 240


def _settings_of(profile: str):
    from conftest import PROD_OVERRIDES

    return load_settings(PROD_OVERRIDES if profile == "prod" else {}, environ={})


@pytest.mark.parametrize("profile", ["dev", "prod"])
def test_every_recovery_term_matches_the_synthesized_resources(profile: str, request: pytest.FixtureRequest) -> None:
    """Each budget term is recomputed from the values the synthesized resources carry (alarm periods and
    evaluation periods, health-check interval and threshold, the orchestrator's FENCE_TIMEOUT_SECONDS), so a
    construct that changes a period without the budget fails here. Both profiles meet RTO 15 / RPO 5."""
    stack: Synthesized = request.getfixturevalue(profile)
    settings = _settings_of(profile)
    budget = recovery_time_budget(settings)
    terms = {term.name: term.seconds for term in budget.terms}
    alb_check = stack.only("aws_route53_health_check", "primary_alb_health_check")
    if settings.failover_automatic:
        alarm = stack.only("aws_cloudwatch_metric_alarm", "primary_down_alarm")
        schedule = stack.only("aws_cloudwatch_event_rule", "probe_schedule")
        assert _rate_seconds(schedule["schedule_expression"]) == 60  # one run probes for one minute
        recheck = _rate_seconds(
            stack.only("aws_cloudwatch_event_rule", "automatic_recheck_rule")["schedule_expression"]
        )
        assert alarm["period"] == settings.probe_interval_seconds
        # evaluation periods of failing datapoints, plus one interval before the first failing probe; with the
        # primary in us-east-1 the second signal is the replication stall (a fifth of the RPO, seen at Aurora's
        # next one-minute datapoint) and the once-a-minute re-evaluation, when that comes later
        probe_alarm = alarm["period"] * alarm["evaluation_periods"] + alarm["period"]
        stall = settings.rpo_minutes * 60 // 5 + 60 if settings.primary_region == "us-east-1" else 0
        assert terms["detection"] == (probe_alarm if stall <= probe_alarm else stall + recheck)
        probe = next(
            f for f in stack.resources("aws_lambda_function").values() if f["handler"] == "dr_probe.handler.handler"
        )
        assert int(probe["environment"]["variables"]["PROBE_INTERVAL_SECONDS"]) == alarm["period"]
    else:
        pager = stack.only("aws_cloudwatch_metric_alarm", "primary_alb_health_check_alarm")
        assert terms["detection"] == (
            alb_check["request_interval"] * alb_check["failure_threshold"]
            + pager["period"] * pager["evaluation_periods"]
        )
    standby_asg = stack.only("aws_autoscaling_group", "secondary_app_tier")
    orchestrators = [
        function["environment"]["variables"]
        for function in stack.resources("aws_lambda_function").values()
        if "FENCE_TIMEOUT_SECONDS" in function.get("environment", {}).get("variables", {})
    ]
    assert len(orchestrators) == 2
    for variables in orchestrators:
        assert terms["fence"] == int(variables["FENCE_TIMEOUT_SECONDS"])
        assert int(variables["PROMOTION_TIMEOUT_SECONDS"]) >= settings.db_promotion_allowance_seconds
    # The function that promotes the secondary: its confirmation deadline, and the failover minimum it waits for.
    promoting_secondary = next(v for v in orchestrators if v["TARGET_REGION"] == settings.secondary_region)
    assert terms["confirmation"] == (
        int(promoting_secondary["CONFIRMATION_TIMEOUT_SECONDS"]) if settings.failover_automatic else 0
    )
    failover_minimum = int(promoting_secondary["FAILOVER_CAPACITY_MIN"])
    serving = (
        0
        if standby_asg["min_size"] >= failover_minimum
        else (settings.app_scale_up_allowance_seconds + int(standby_asg["health_check_grace_period"]))
    )
    assert terms["promotion_and_scale_up"] == max(settings.db_promotion_allowance_seconds, serving)
    switch_alarm = stack.only("aws_cloudwatch_metric_alarm", "traffic_switch")
    assert terms["dns"] == switch_alarm["period"] + alb_check["request_interval"] + settings.dns_ttl_seconds
    assert budget.met and budget.total_seconds <= 15 * 60
    assert data_loss_budget(settings).met and data_loss_budget(settings).total_seconds <= 5 * 60


@pytest.mark.parametrize("profile", ["dev", "prod"])
def test_schedules_run_at_the_period_the_budget_assumes(profile: str, request: pytest.FixtureRequest) -> None:
    """Every EventBridge schedule of the stack runs at the period the budget counts: the readiness checks every
    readiness_check_interval_minutes, every other schedule (probe, switch keeper, automatic re-evaluation) every
    SCHEDULE_SECONDS, the re-evaluation wait of the detection term."""
    stack: Synthesized = request.getfixturevalue(profile)
    settings = _settings_of(profile)
    periods = {
        name: _rate_seconds(rule["schedule_expression"])
        for name, rule in stack.resources("aws_cloudwatch_event_rule").items()
        if "schedule_expression" in rule
    }
    readiness = {name for name in periods if "_readiness_rule" in name}
    assert len(readiness) == 2
    assert {periods.pop(name) for name in readiness} == {settings.readiness_check_interval_minutes * 60}
    expected = [
        "keeper_schedule",
        *(("probe_schedule", "automatic_recheck_rule") if settings.failover_automatic else ()),
    ]
    assert all(any(part in name for name in periods) for part in expected), sorted(periods)
    assert set(periods.values()) == {SCHEDULE_SECONDS}


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_route53_second_signal_is_due_within_the_automatic_detection_term(environment: str) -> None:
    """Route53 marks an endpoint unhealthy after failure_threshold consecutive failed checks, one per
    request_interval (Route53 Developer Guide, "How Amazon Route 53 determines whether a health check is
    healthy"): with both profiles' defaults that is before the probe alarm fires, so the alarm's own event finds
    the second signal and the re-evaluation schedule adds nothing."""
    settings = load_settings(
        {"environment": environment, "failover_automatic": True, "primary_region": "eu-west-1"}, environ={}
    )
    route53 = settings.health_check_interval_seconds * settings.health_check_failure_threshold
    probe_alarm = settings.probe_interval_seconds * (settings.health_check_failure_threshold + 1)
    assert route53 <= probe_alarm
    assert detection_seconds(settings) == probe_alarm


def test_a_route53_signal_later_than_the_probe_alarm_costs_its_lag_plus_one_re_evaluation_period() -> None:
    """EventBridge sends a CloudWatch alarm event only when the alarm changes state (EventBridge User Guide, "Alarm
    events and EventBridge"): when the Route53 checkers fail after the probe alarm (30 s x 3 = 90 s against 10 s x
    4 = 40 s), the first evaluation is refused and the once-a-minute re-evaluation fails over within 60 s of the
    second signal."""
    settings = load_settings(
        {
            "environment": "prod",
            "failover_automatic": True,
            "failover_decision_allowance_seconds": 0,
            "health_check_interval_seconds": 30,
            "primary_region": "eu-west-1",
        },
        environ={},
    )
    assert detection_seconds(settings) == 30 * 3 + 60
