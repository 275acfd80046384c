"""Probe the primary endpoint from the secondary region and publish 1 (healthy) or 0 as a CloudWatch metric.

The alarm on this metric lives in the secondary region, so the signal that starts an automatic failover
survives the loss of the primary region (Route53 health-check metrics exist only in us-east-1).
Environment: PROBE_URL, METRIC_NAMESPACE, METRIC_NAME, GLOBAL_CLUSTER_ID, PROBE_ATTEMPTS, PROBE_TIMEOUT_SECONDS,
PROBE_INTERVAL_SECONDS (one of PROBE_INTERVALS); the ranges and defaults are dr_contract's.

EventBridge runs the probe once a minute, its finest rate. With an interval under 60 s one run probes
60 / interval times and publishes each result as a high-resolution datapoint (StorageResolution 1, its own
timestamp), so the trigger alarm can use that period (CloudWatch PutMetricAlarm: periods of 10, 20 or 30 s are
for high-resolution metrics). Such datapoints drive the EventBridge trigger only, never a Route53 health check
(Route53 accepts standard-resolution metrics only).
"""

from __future__ import annotations

import os
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import boto3
import dr_contract as contract


class ProbeConfigError(ValueError):
    """A probe environment variable is missing or invalid."""


def read_config(environ: Mapping[str, str]) -> dict[str, Any]:
    """Validate the probe's environment; one error names the variable, the value and what is allowed."""
    config: dict[str, Any] = {}
    for name in (
        contract.PROBE_URL,
        contract.METRIC_NAMESPACE_VARIABLE,
        contract.PROBE_METRIC_NAME_VARIABLE,
        contract.GLOBAL_CLUSTER_ID,
    ):
        value = environ.get(name, "")
        if not value:
            raise ProbeConfigError(f"environment variable {name} must be set, got {value!r}")
        config[name] = value
    if not config[contract.PROBE_URL].startswith(("https://", "http://")):
        raise ProbeConfigError(
            f"environment variable PROBE_URL must be an http(s) URL, got {config[contract.PROBE_URL]!r}"
        )
    for name, default, (low, high) in (
        (contract.PROBE_ATTEMPTS, contract.DEFAULT_PROBE_ATTEMPTS, contract.PROBE_ATTEMPTS_RANGE),
        (contract.PROBE_TIMEOUT_SECONDS, contract.DEFAULT_PROBE_TIMEOUT_SECONDS, contract.PROBE_TIMEOUT_RANGE),
    ):
        raw = environ.get(name, str(default))
        if not raw.isdigit() or not low <= int(raw) <= high:
            raise ProbeConfigError(
                f"environment variable {name} must be a whole number from {low} to {high}, got {raw!r}"
            )
        config[name] = int(raw)
    raw = environ.get(contract.PROBE_INTERVAL_SECONDS, str(contract.DEFAULT_PROBE_INTERVAL_SECONDS))
    if raw not in {str(period) for period in contract.PROBE_INTERVALS}:
        allowed = ", ".join(str(period) for period in contract.PROBE_INTERVALS[:-1])
        raise ProbeConfigError(
            f"environment variable PROBE_INTERVAL_SECONDS must be {allowed} or {contract.PROBE_INTERVALS[-1]}, "
            f"got {raw!r}"
        )
    interval = config[contract.PROBE_INTERVAL_SECONDS] = int(raw)
    attempts, timeout = config[contract.PROBE_ATTEMPTS], config[contract.PROBE_TIMEOUT_SECONDS]
    longest = attempts * timeout + 2 * (attempts - 1)
    if interval < 60 and longest >= interval:
        raise ProbeConfigError(
            f"PROBE_ATTEMPTS x PROBE_TIMEOUT_SECONDS (+2 s between attempts) must fit in PROBE_INTERVAL_SECONDS="
            f"{interval}, got {longest} s"
        )
    return config


def _get(url: str, timeout: int) -> int:
    # Route53 health checks do not validate certificates either; the ALB's certificate names the app domain,
    # not the ALB host name this probe may use.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with urllib.request.urlopen(url, timeout=timeout, context=context) as response:  # noqa: S310 (URL from config)
        return int(response.status)


def probe(
    url: str,
    attempts: int,
    timeout: int,
    fetch: Callable[[str, int], int] = _get,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """True when any of `attempts` requests answers 2xx/3xx; spaced by 2 s so one dropped packet is not an outage."""
    for attempt in range(attempts):
        try:
            if 200 <= fetch(url, timeout) < 400:
                return True
        except (urllib.error.URLError, OSError, ValueError):
            pass
        if attempt + 1 < attempts:
            sleep(2)
    return False


def handler(
    event: Any,
    context: Any,
    *,
    cloudwatch: Any = None,
    fetch: Callable[[str, int], int] = _get,
    environ: Mapping[str, str] | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Probe every PROBE_INTERVAL_SECONDS for one minute (once at 60 s) and publish each result at once."""
    config = read_config(os.environ if environ is None else environ)
    interval = config[contract.PROBE_INTERVAL_SECONDS]
    client = cloudwatch or boto3.client("cloudwatch")
    results: list[bool] = []
    started = clock()
    for index in range(contract.SCHEDULE_SECONDS // interval):
        if index:
            sleep(max(0.0, started + index * interval - clock()))
        probed_at = clock()
        healthy = probe(
            config["PROBE_URL"], config["PROBE_ATTEMPTS"], config["PROBE_TIMEOUT_SECONDS"], fetch, sleep=sleep
        )
        datum: dict[str, Any] = {
            "MetricName": config["METRIC_NAME"],
            "Dimensions": [{"Name": contract.GLOBAL_CLUSTER_DIMENSION, "Value": config["GLOBAL_CLUSTER_ID"]}],
            "Value": 1.0 if healthy else 0.0,
            "Unit": "Count",
        }
        if interval < contract.SCHEDULE_SECONDS:
            datum["Timestamp"] = datetime.fromtimestamp(probed_at, tz=UTC)
            datum["StorageResolution"] = 1
        # Published at once: the trigger alarm must see each datapoint within its period.
        client.put_metric_data(Namespace=config["METRIC_NAMESPACE"], MetricData=[datum])
        results.append(healthy)
    return {"healthy": results[-1], "results": results, "url": config["PROBE_URL"]}
