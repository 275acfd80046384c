"""Probe the primary endpoint from the secondary region and publish 1 (healthy) or 0 as a CloudWatch metric.

The alarm on this metric lives in the secondary region, so the signal that starts an automatic failover
survives the loss of the primary region (Route53 health-check metrics exist only in us-east-1).
Environment: PROBE_URL, METRIC_NAMESPACE, METRIC_NAME, GLOBAL_CLUSTER_ID, PROBE_ATTEMPTS (default 3),
PROBE_TIMEOUT_SECONDS (default 5).
"""

from __future__ import annotations

import os
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
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
    for name, default, low, high in (
        (contract.PROBE_ATTEMPTS, "3", 1, 5),
        (contract.PROBE_TIMEOUT_SECONDS, "5", 1, 20),
    ):
        raw = environ.get(name, default)
        if not raw.isdigit() or not low <= int(raw) <= high:
            raise ProbeConfigError(
                f"environment variable {name} must be a whole number from {low} to {high}, got {raw!r}"
            )
        config[name] = int(raw)
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
) -> dict[str, Any]:
    """Probe once (with retries) and publish the result."""
    config = read_config(os.environ if environ is None else environ)
    healthy = probe(config["PROBE_URL"], config["PROBE_ATTEMPTS"], config["PROBE_TIMEOUT_SECONDS"], fetch)
    client = cloudwatch or boto3.client("cloudwatch")
    client.put_metric_data(
        Namespace=config["METRIC_NAMESPACE"],
        MetricData=[
            {
                "MetricName": config["METRIC_NAME"],
                "Dimensions": [{"Name": contract.GLOBAL_CLUSTER_DIMENSION, "Value": config["GLOBAL_CLUSTER_ID"]}],
                "Value": 1.0 if healthy else 0.0,
                "Unit": "Count",
            }
        ],
    )
    return {"healthy": healthy, "url": config["PROBE_URL"]}
