"""The primary-endpoint probe (automatic failover signal), tested without AWS: injected fetch and client."""

from __future__ import annotations

import urllib.error
from typing import Any

import pytest
from dr_probe.handler import ProbeConfigError, handler, probe, read_config

ENV = {
    "PROBE_URL": "https://alb.example/health",
    "METRIC_NAMESPACE": "DR/Probe",
    "METRIC_NAME": "PrimaryEndpointHealthy",
    "GLOBAL_CLUSTER_ID": "drapp-dev-global",
}


class RecordingCloudWatch:
    """Records put_metric_data calls."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def put_metric_data(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)


def test_healthy_endpoint_publishes_one() -> None:
    cloudwatch = RecordingCloudWatch()
    result = handler({}, None, cloudwatch=cloudwatch, fetch=lambda url, timeout: 200, environ=ENV)
    assert result["healthy"] is True
    datum = cloudwatch.calls[0]["MetricData"][0]
    assert datum["Value"] == 1.0 and datum["Dimensions"] == [{"Name": "GlobalCluster", "Value": "drapp-dev-global"}]


def test_failing_endpoint_is_retried_then_publishes_zero() -> None:
    attempts: list[str] = []

    def fetch(url: str, timeout: int) -> int:
        attempts.append(url)
        raise urllib.error.URLError("connection refused")

    assert probe("https://x/health", 3, 1, fetch, sleep=lambda _: None) is False
    assert len(attempts) == 3
    cloudwatch = RecordingCloudWatch()
    handler({}, None, cloudwatch=cloudwatch, fetch=fetch, environ={**ENV, "PROBE_ATTEMPTS": "2"})
    assert cloudwatch.calls[0]["MetricData"][0]["Value"] == 0.0


def test_one_dropped_request_is_not_an_outage() -> None:
    answers = iter([503, 200])
    assert probe("https://x/health", 3, 1, lambda url, timeout: next(answers), sleep=lambda _: None) is True


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"PROBE_URL": ""}, r"PROBE_URL must be set"),
        ({"PROBE_URL": "ftp://x"}, r"PROBE_URL must be an http\(s\) URL, got 'ftp://x'"),
        ({"PROBE_ATTEMPTS": "9"}, r"PROBE_ATTEMPTS must be a whole number from 1 to 5, got '9'"),
    ],
)
def test_bad_probe_configuration_is_named(change: dict[str, str], message: str) -> None:
    with pytest.raises(ProbeConfigError, match=message):
        read_config({**ENV, **change})


class MinuteClock:
    """Simulated time: sleeps advance it; each fetch takes one second."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_fast_interval_publishes_one_high_resolution_datapoint_per_interval() -> None:
    """PutMetricData StorageResolution 1 makes a high-resolution metric, which alarms with 10/20/30 s periods
    need (CloudWatch API reference, PutMetricAlarm Period and MetricDatum StorageResolution). The Stubber checks
    each request against the CloudWatch service model."""
    from datetime import UTC, datetime

    import boto3
    from botocore.stub import Stubber

    clock = MinuteClock()
    started = clock()
    cloudwatch = boto3.client("cloudwatch", region_name="us-west-2")
    stubber = Stubber(cloudwatch)
    answers = [200, 200, 503, 503, 503, 200]
    for index, status in enumerate(answers):
        stubber.add_response(
            "put_metric_data",
            {},
            {
                "Namespace": "DR/Probe",
                "MetricData": [
                    {
                        "MetricName": "PrimaryEndpointHealthy",
                        "Dimensions": [{"Name": "GlobalCluster", "Value": "drapp-dev-global"}],
                        "Value": 1.0 if status == 200 else 0.0,
                        "Unit": "Count",
                        "Timestamp": datetime.fromtimestamp(started + 10 * index + 0.0, tz=UTC),
                        "StorageResolution": 1,
                    }
                ],
            },
        )
    replies = iter(answers)

    def fetch(url: str, timeout: int) -> int:
        assert timeout == 5
        return next(replies)

    env = {**ENV, "PROBE_INTERVAL_SECONDS": "10", "PROBE_ATTEMPTS": "1", "PROBE_TIMEOUT_SECONDS": "5"}
    with stubber:
        result = handler({}, None, cloudwatch=cloudwatch, fetch=fetch, environ=env, clock=clock, sleep=clock.sleep)
    stubber.assert_no_pending_responses()
    assert result["results"] == [True, True, False, False, False, True]
    assert clock() - started == 50  # six probes at 0, 10, ..., 50 s: one scheduled minute


def test_fast_interval_refuses_attempts_that_do_not_fit_it() -> None:
    with pytest.raises(ProbeConfigError, match=r"must fit in PROBE_INTERVAL_SECONDS=10, got 19 s"):
        read_config({**ENV, "PROBE_INTERVAL_SECONDS": "10"})
    with pytest.raises(ProbeConfigError, match=r"PROBE_INTERVAL_SECONDS must be 10, 20, 30 or 60, got '15'"):
        read_config({**ENV, "PROBE_INTERVAL_SECONDS": "15"})


def test_unset_probe_variables_take_the_contract_defaults() -> None:
    """The probe's defaults are the contract's, the ones the settings document (probe_interval_seconds)."""
    import dr_contract as contract

    config = read_config(ENV)
    assert config["PROBE_ATTEMPTS"] == contract.DEFAULT_PROBE_ATTEMPTS
    assert config["PROBE_TIMEOUT_SECONDS"] == contract.DEFAULT_PROBE_TIMEOUT_SECONDS
    assert config["PROBE_INTERVAL_SECONDS"] == contract.DEFAULT_PROBE_INTERVAL_SECONDS


@pytest.mark.parametrize("period", [10, 20, 30, 60])
def test_every_contract_period_is_accepted_with_the_stacks_fast_requests(period: int) -> None:
    """Each period the settings accept is one the probe accepts, with the requests the stack sets below 60 s."""
    import dr_contract as contract

    assert period in contract.PROBE_INTERVALS
    fast = {"PROBE_ATTEMPTS": str(contract.FAST_PROBE_ATTEMPTS)} if period < 60 else {}
    assert read_config({**ENV, "PROBE_INTERVAL_SECONDS": str(period), **fast})["PROBE_INTERVAL_SECONDS"] == period
