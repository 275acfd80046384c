"""The primary-endpoint probe (automatic failover signal), tested without AWS: injected fetch and client."""

from __future__ import annotations

import urllib.error
from typing import Any

import pytest
from dr_probe.handler import ProbeConfigError, handler, probe, read_config

ENV = {
    "PROBE_URL": "https://alb.example/health",
    "METRIC_NAMESPACE": "DR/Failover",
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
