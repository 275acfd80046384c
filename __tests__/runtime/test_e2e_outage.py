"""The game day's stand-ins for AWS services moto does not run, each against the rule its documentation states."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from scripts.e2e.outage import match_pattern, period_values, tick_wait


def _at(seconds: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC)


def test_an_event_pattern_matches_a_field_equal_to_any_listed_value() -> None:
    """EventBridge User Guide, "Event patterns": each field of the pattern lists the values that match; nested
    objects match field by field; the stack's automatic-failover rule matches only its alarm's ALARM state."""
    pattern = {
        "source": ["aws.cloudwatch"],
        "detail-type": ["CloudWatch Alarm State Change"],
        "detail": {"alarmName": ["drapp-dev-primary-region-down"], "state": {"value": ["ALARM"]}},
    }
    event: dict[str, Any] = {
        "source": "aws.cloudwatch",
        "detail-type": "CloudWatch Alarm State Change",
        "detail": {"alarmName": "drapp-dev-primary-region-down", "state": {"value": "ALARM"}, "extra": 1},
    }
    assert match_pattern(pattern, event)
    assert not match_pattern(pattern, {**event, "detail": {**event["detail"], "state": {"value": "OK"}}})
    assert not match_pattern(pattern, {**event, "detail": {**event["detail"], "alarmName": "other"}})
    assert not match_pattern(pattern, {"source": "aws.cloudwatch"})  # a field the pattern names must be present


def test_an_unsupported_pattern_form_is_refused_not_guessed() -> None:
    with pytest.raises(ValueError, match="unsupported event pattern"):
        match_pattern({"source": "aws.cloudwatch"}, {"source": "aws.cloudwatch"})


def test_an_alarm_reads_whole_periods_and_a_period_without_datapoint_is_missing() -> None:
    """CloudWatch User Guide, "Evaluating an alarm": the alarm evaluates the statistic of each of its most recent
    periods; a period with no datapoint is missing (its treatment is the alarm's treat_missing_data). The current,
    unfinished period is not one of them."""
    end = 1_000_005.0  # 5 s into the period that starts at 1_000_000
    points = [
        {"Timestamp": _at(999_971), "Maximum": 0.0},  # period 999_970
        {"Timestamp": _at(999_995), "Maximum": 1.0},  # period 999_990 (999_980 has none)
        {"Timestamp": _at(1_000_001), "Maximum": 0.0},  # the current period: not evaluated yet
    ]
    assert period_values(points, "Maximum", end=end, period=10, count=3) == [0.0, None, 1.0]


def test_a_once_a_minute_schedule_leaves_one_datapoint_in_every_one_minute_period() -> None:
    """EventBridge User Guide, schedule expressions: "the minimum precision for schedules is 1 minute": a
    rate(1 minute) rule runs once in each minute. The keeper's datapoint (published when its invocation has
    started up, a variable delay) must therefore land in every one-minute period of the switch alarm, which
    Route53 reads as its data stream. A 60 s tick from an arbitrary second breaks that; the aligned tick holds it."""
    period = 60

    def published(aligned: bool, first: float, delays: list[float]) -> list[float]:
        times, started = [], first
        for delay in delays:
            times.append(started + delay)
            started += tick_wait(started, started + 0.01, period, aligned=aligned) + 0.01
        return times

    delays = [0.5, 2.5, 0.5, 2.5, 0.5, 2.5]
    for aligned, first in ((True, 1_000_000 * 60 + 1.0), (False, 1_000_000 * 60 + 58.5)):
        times = published(aligned, first, delays)
        periods = [int(t // period) for t in times]
        full = set(range(periods[0], periods[-1] + 1)) <= set(periods)
        assert full is aligned, (aligned, periods)


class _NoRules:
    """An EventBridge client with no rules: the test starts the targets itself."""

    def list_rules(self) -> dict[str, Any]:
        return {"Rules": []}


class _Cloud:
    class checks:  # noqa: N801 - the attribute the harness reads
        @staticmethod
        def client(service: str, region: str) -> _NoRules:
            return _NoRules()


def test_an_event_for_a_busy_function_is_throttled_and_retried_not_dropped() -> None:
    """Lambda Developer Guide, asynchronous invocation: when the function's reserved concurrency is in use the
    event is throttled, and Lambda "returns the event to the queue and attempts to run the function again ...
    The retry interval increases exponentially from 1 second". With reserved concurrency 1 (the probe's and
    the keeper's) two events run one after the other, both of them; without a reservation they overlap."""
    import threading
    import time
    from dataclasses import dataclass

    from scripts.e2e.gameday import RegionGate
    from scripts.e2e.outage import EventBridge

    @dataclass
    class Function:
        name: str
        region: str = "us-west-2"
        arn: str = ""
        reserved_concurrency: int | None = 1
        maximum_event_age: int | None = 3600

    spans: dict[str, list[tuple[float, float]]] = {"reserved": [], "unreserved": []}
    lock = threading.Lock()

    def invoke(function: Any, event: dict[str, Any]) -> dict[str, Any]:
        started = time.time()
        time.sleep(0.8)
        with lock:
            spans[function.name].append((started, time.time()))
        return {}

    gate = RegionGate(app=lambda environ, start: [])
    bridge = EventBridge(_Cloud(), {}, invoke, ["us-west-2"], gate)  # type: ignore[arg-type]
    reserved, unreserved = Function("reserved"), Function("unreserved", reserved_concurrency=None)
    for function in (reserved, unreserved, reserved, unreserved):
        bridge._start("rule", function, {})
    deadline = time.time() + 10
    while time.time() < deadline and sum(len(v) for v in spans.values()) < 4:
        time.sleep(0.1)
    bridge.closed.set()
    (a_start, a_end), (b_start, _b_end) = sorted(spans["reserved"])
    assert b_start >= a_end  # never two at once within a reservation of 1: the second waited and ran
    (c_start, c_end), (d_start, _d_end) = sorted(spans["unreserved"])
    assert d_start < c_end  # concurrent without a reservation
    assert not [i for i in bridge.invocations if i.error]
