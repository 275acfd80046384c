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
