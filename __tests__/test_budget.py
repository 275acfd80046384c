"""RTO/RPO budget: computed from the settings, refused at synth when it cannot meet the objectives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import Synthesized
from dr_stack.budget import budget_table, data_loss_budget, recovery_time_budget
from dr_stack.settings import SettingsError, load_settings

ROOT = Path(__file__).resolve().parent.parent


def test_default_recovery_budget_terms() -> None:
    budget = recovery_time_budget(load_settings(environ={}))
    terms = {term.name: term.seconds for term in budget.terms}
    # detection 10 s x 3 + 60 s x 1; decision 300 s; max(promotion 180, launch 120 + grace 180); dns 60 + 10
    assert terms == {"detection": 90, "decision": 300, "promotion_and_scale_up": 300, "dns": 70}
    assert budget.total_seconds == 760 and budget.met


def test_automatic_failover_removes_the_decision_term() -> None:
    settings = load_settings({"failover_automatic": True}, environ={})
    terms = {term.name: term.seconds for term in recovery_time_budget(settings).terms}
    assert terms["decision"] == 0


def test_promotion_and_scale_up_run_in_parallel() -> None:
    settings = load_settings({"db_promotion_allowance_seconds": 400}, environ={})
    terms = {term.name: term.seconds for term in recovery_time_budget(settings).terms}
    assert terms["promotion_and_scale_up"] == 400


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
    with pytest.raises(SettingsError, match=r"cannot meet rto_minutes=5: .*= 760 s \(12.7 min\)"):
        load_settings({"rto_minutes": 5}, environ={})


def test_readme_carries_the_budget_table() -> None:
    assert budget_table(load_settings(environ={})) in (ROOT / "README.md").read_text()


def test_budget_is_a_terraform_output(prod: Synthesized) -> None:
    output = prod.outputs()["recovery_budget"]
    assert output["description"]
    value = output["value"]
    if isinstance(value, str):
        value = json.loads(value)
    assert value["rto_minutes"]["met"] is True
    assert value["rto_minutes"]["terms"]["decision"] == 0
    assert value["rpo_minutes"]["worst_case_seconds"] == 240
