"""Shared pytest fixtures and helpers of the orchestrator tests (moto + Stubber + simulated clock).

conftest.py loads this module as a plugin (``pytest_plugins``): every test module can request ``clock``,
``world`` and ``aws`` without importing them (an import by name would be shadowed by the argument of the same
name). The helpers (``invoke``, ``event``, ``step``...) are plain functions and are imported."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from dr_failover.config import load_config
from dr_failover.handler import handle_event
from moto import mock_aws

from support.drill import (
    PRIMARY_REGION,
    SECONDARY_REGION,
    DrillWorld,
    SimulatedAws,
    SimulatedClock,
)

REASON = "planned regional move"


@pytest.fixture
def clock():
    """Simulated clock: sleeps advance it instantly."""
    return SimulatedClock()


@pytest.fixture
def world(request, clock):
    """Both regions in moto; ``indirect`` param = lag datapoint in ms for the secondary (None: no data)."""
    lag = getattr(request, "param", 1800.0)
    with mock_aws():
        yield DrillWorld.build(clock, lag_milliseconds=lag)


@pytest.fixture
def aws(world, clock):
    """ClientsFactory recording every call; RDS clients are Stubber-wrapped."""
    simulated = SimulatedAws(clock)
    yield simulated
    simulated.close()


def invoke(world, aws, clock, event, *, target=SECONDARY_REGION, run_id="run-1", **env):
    """Invoke the handler logic for the function deployed in ``target``."""
    config = load_config(world.env(target, **env))
    return handle_event(
        event, config=config, clients_factory=aws, clock=clock, sleep=clock.sleep, run_id=run_id, jitter=TOP_OF_RANGE
    )


def TOP_OF_RANGE(low, high):  # noqa: N802 - a constant-like jitter: the largest delay full jitter can draw
    """Deterministic jitter for tests: always the top of the full-jitter range."""
    return high


def event(mode, *, target=SECONDARY_REGION, **extra):
    """A well-formed event."""
    body = {"mode": mode, "target_region": target, "reason": REASON}
    body.update(extra)
    return body


def static_env(target=SECONDARY_REGION, **overrides):
    """A valid environment that needs no moto resources."""
    world = DrillWorld(
        SimulatedClock(),
        topic_arns={
            region: f"arn:aws:sns:{region}:123456789012:dr-alerts" for region in (PRIMARY_REGION, SECONDARY_REGION)
        },
    )
    return world.env(target, **overrides)


def step(result, name):
    """The last step record called ``name``."""
    return [s for s in result["steps"] if s["name"] == name][-1]


def subjects(world, region=SECONDARY_REGION):
    """Subjects of the notifications sent to the region's topic."""
    return [n["subject"] for n in world.notifications(region)]


def throttling(code="Throttling"):
    """A throttling ClientError."""
    return ClientError({"Error": {"Code": code, "Message": "Rate exceeded"}}, "Operation")
