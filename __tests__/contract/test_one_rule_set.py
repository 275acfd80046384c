"""One rule set: synth accepts exactly the settings whose orchestrator environments the functions accept.

Each orchestrator parses its environment once at cold start (dr_failover.config.load_config) and raises on every
invocation when a rule fails, so no failover, preflight or readiness run can start: a combination synth writes
but the functions refuse is a stack that cannot fail over. The combinations are drawn by a seeded generator
from values inside, on and outside every bound of both sides; each one's environment is built by the code the
stack uses (failover.setting_variables(stacks.failover_props(...))), and a
handful are synthesized for real to show the synthesized variables are those.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Any

import pytest
from conftest import Synthesized, new_testing_app
from dr_failover.config import ConfigError, load_config
from support.harness import static_env

SEED = 20261202
COMBINATIONS = 3000

# Values on and beside every bound of either side (synth's settings rules, the function's VARIABLES and
# CROSS_RULES), and ordinary ones.
VALUES: dict[str, list[Any]] = {
    "environment": ["dev", "prod"],
    "failover_automatic": [False, True],
    "rto_minutes": [0, 1, 5, 9, 10, 11, 15, 30, 1440, 1441],
    "rpo_minutes": [0, 1, 5, 15, 1440, 1441],
    "failover_promotion_timeout_seconds": [30, 59, 60, 120, 300, 599, 600, 601, 840, 841, 900],
    "db_promotion_allowance_seconds": [60, 120, 180],
    "failover_fence_timeout_seconds": [1, 4, 5, 20, 120, 121],
    "failover_confirmation_timeout_seconds": [0, 1, 10, 60, 61, 120],
    "failover_confirmation_lag_percent_of_rpo": [0, 1, 20, 100, 101],
    "health_check_failure_threshold": [0, 1, 3, 10, 11],
    "probe_interval_seconds": [5, 10, 20, 30, 45, 60, 61],
    "failover_automatic_min_interval_seconds": [-1, 0, 3600, 604_800, 604_801],
    "failover_capacity_percent": [0, 1, 100, 1000, 1001],
    "failover_min_success_percent": [0, 1, 50, 100, 101],
    "failover_match_database_capacity": [False, True],
    "primary_app_min_capacity": [0, 1, 2, 3, 1000, 1001],
    "primary_app_max_capacity": [0, 1, 2, 4, 12, 1000, 1001],
    "primary_app_desired_capacity": [0, 1, 2, 3, 12, 1001],
    "secondary_app_min_capacity": [0, 1, 3, 1001],
    "secondary_app_desired_capacity": [0, 1, 3, 5, 13, 1001],
    "app_scale_up_allowance_seconds": [0, 120, 1800, 3600, 3601],
    "app_health_check_grace_seconds": [0, 180, 1800, 3600, 3601],
}

# Synth refusals about the stack itself, which the functions have no view of: the RTO/RPO budget, the promotion
# deadline against the budgeted promotion time, and the secondary ASG's own maximum.
STACK_ONLY = ("settings cannot meet", "db_promotion_allowance_seconds (", "secondary_app_max_capacity (")


def _combination(rng: random.Random) -> dict[str, Any]:
    """Mostly defaults with a few settings changed (as a user does), sometimes many at once."""
    names = list(VALUES)
    changed = rng.sample(names[1:], k=rng.choice((1, 2, 3, 5, len(names) - 1)))
    combination = {name: rng.choice(VALUES[name]) for name in changed}
    combination["environment"] = rng.choice(VALUES["environment"])
    if combination.get("failover_automatic"):
        combination["failover_decision_allowance_seconds"] = 0
    return combination


def synth_problems(combination: dict[str, Any]) -> list[str]:
    """Every problem synth reports for the combination (empty: synth writes the stack)."""
    from dr_stack.config.settings import SettingsError, load_settings

    try:
        load_settings(combination, environ={})
    except SettingsError as error:
        return list(error.problems)
    return []


def function_environments(combination: dict[str, Any]) -> list[dict[str, str]]:
    """Both orchestrators' environments for the combination, built by the stack's own code; the resource names
    and ARNs (Terraform references in a synth) are the drill's valid ones, as static_env gives them."""
    from dr_stack.config.settings import load_settings
    from dr_stack.control_plane.failover import setting_variables
    from dr_stack.stacks import failover_props

    profile = load_settings({"environment": combination["environment"]}, environ={})
    settings = dataclasses.replace(profile, **{k: v for k, v in combination.items() if k != "environment"})
    built = setting_variables(failover_props(settings))
    environments = []
    for region in ("us-east-1", "us-west-2"):
        environments.append({**static_env(region), **built})
    return environments


def function_problems(combination: dict[str, Any]) -> list[str]:
    """What the orchestrators' config parser refuses in either region (empty: both start)."""
    problems = []
    for environment in function_environments(combination):
        try:
            load_config(environment)
        except ConfigError as error:
            problems.append(str(error))
    return problems


def test_automatic_prod_with_a_ten_minute_rto_is_refused_at_synth() -> None:
    """Prod, automatic failover, rto_minutes=10: synth reported a 300 s budget and wrote the stack, and both
    orchestrators raised PROMOTION_TIMEOUT_SECONDS must be less than RTO_MINUTES * 60 at cold start."""
    combination = {
        "environment": "prod",
        "failover_automatic": True,
        "failover_decision_allowance_seconds": 0,
        "rto_minutes": 10,
    }
    assert len(function_problems(combination)) == 2
    problems = synth_problems(combination)
    assert any("failover_promotion_timeout_seconds must be less than rto_minutes x 60 (600)" in p for p in problems)


def test_synth_accepts_exactly_what_the_functions_accept() -> None:
    """For every generated combination: synth writes the stack only when both orchestrators' configuration
    parsers accept their environments, and refuses one they accept only for a rule about the stack itself
    (STACK_ONLY)."""
    rng = random.Random(SEED)
    counts = {"both accept": 0, "both refuse": 0, "stack-only refusal": 0}
    mismatches = []
    for _ in range(COMBINATIONS):
        combination = _combination(rng)
        synth, function = synth_problems(combination), function_problems(combination)
        if not synth and not function:
            counts["both accept"] += 1
        elif synth and function:
            counts["both refuse"] += 1
        elif synth and all(any(marker in p for marker in STACK_ONLY) for p in synth):
            counts["stack-only refusal"] += 1
        else:
            mismatches.append((combination, synth, function))
    print(f"{COMBINATIONS} combinations (seed {SEED}): {counts}")
    assert not mismatches, f"{len(mismatches)} mismatches, first: {mismatches[0]}"
    # The generator reaches every outcome, so the comparison is not vacuous.
    assert min(counts.values()) >= 50, counts


REAL_SYNTHS = [
    {"environment": "dev"},
    {"environment": "prod", "failover_automatic": True, "failover_decision_allowance_seconds": 0, "rto_minutes": 11},
    {
        "environment": "dev",
        "failover_promotion_timeout_seconds": 840,
        "rto_minutes": 30,
        "failover_min_success_percent": 1,
        "failover_match_database_capacity": False,
        "primary_app_max_capacity": 3,
        "secondary_app_desired_capacity": 3,
        "secondary_app_min_capacity": 3,
        "app_scale_up_allowance_seconds": 1800,
        "app_health_check_grace_seconds": 1800,
    },
]


@pytest.mark.parametrize("combination", REAL_SYNTHS, ids=["dev", "prod-automatic-rto-11", "bounds"])
def test_synthesized_orchestrator_environments_are_the_built_ones(combination: dict[str, Any]) -> None:
    """A real synth: each orchestrator's synthesized variables that come from settings are exactly the built
    ones, and the whole synthesized environment (references resolved) loads through the functions' parser."""
    from cdktf import Testing
    from dr_stack.config.settings import load_settings
    from dr_stack.contract import contract
    from dr_stack.stacks import DrStack
    from test_contract import _environments

    settings = load_settings(combination, environ={})
    stack = Synthesized(Testing.synth(DrStack(new_testing_app(), "rules", settings=settings)))
    synthesized = _environments(stack, contract.ORCHESTRATOR_HANDLER)
    built = function_environments(combination)[0]
    from dr_stack.control_plane.failover import setting_variables
    from dr_stack.stacks import failover_props

    from_settings = setting_variables(failover_props(settings))
    assert len(synthesized) == 2
    for environment in synthesized:
        assert {name: environment[name] for name in from_settings} == from_settings
        assert {name: built[name] for name in from_settings} == from_settings
        load_config(environment)
