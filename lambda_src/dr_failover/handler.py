"""Lambda entry point ``dr_failover.handler.handler``: validate the event, run the orchestrator.

The environment is parsed at cold start. A configuration error is logged then and raised on every
invocation (the function is misdeployed: the invocation must fail loudly, not return a status). An
invalid event returns ``{"status": "invalid", ...}`` without any AWS call.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from dr_failover.aws.calls import BotoClients, ClientsFactory
from dr_failover.config import Config, ConfigError, load_config
from dr_failover.run.events import EventError, parse_event
from dr_failover.run.orchestrator import Orchestrator

LOG = logging.getLogger("dr_failover")
LOG.setLevel(logging.INFO)


def _load_at_cold_start(environ: Mapping[str, str]) -> Config | ConfigError:
    """Parse the environment once; keep the error to raise it on each invocation."""
    try:
        return load_config(environ)
    except ConfigError as error:
        LOG.error("%s", error)
        return error


_CONFIG: Config | ConfigError | None = (
    _load_at_cold_start(os.environ) if "AWS_LAMBDA_FUNCTION_NAME" in os.environ else None
)


def current_config() -> Config:
    """The cold-start configuration (parsed now when imported outside Lambda); raises ConfigError."""
    global _CONFIG
    if _CONFIG is None:
        _CONFIG = _load_at_cold_start(os.environ)
    if isinstance(_CONFIG, ConfigError):
        raise _CONFIG
    return _CONFIG


def handle_event(
    event: Any,
    *,
    config: Config,
    clients_factory: ClientsFactory,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    run_id: str | None = None,
    time_budget_seconds: float | None = None,
    jitter: Callable[[float, float], float] | None = None,
) -> dict[str, Any]:
    """Validate ``event`` and run it; every dependency injectable (tests, drill)."""
    try:
        request = parse_event(event, function_region=config.target_region)
    except EventError as error:
        LOG.warning("invalid event (%s): %s", error.field, error)
        return {"status": "invalid", "run_id": run_id, "field": error.field, "message": str(error)}
    # A caller-chosen run id is the idempotency key: a retried invocation of the same request finds its run.
    run_id = request.run_id or run_id or uuid.uuid4().hex
    LOG.info(
        "run %s: %s to %s, dry_run=%s, reason=%r",
        run_id,
        request.mode,
        request.target_region,
        request.dry_run,
        request.reason,
    )
    orchestrator = Orchestrator(config, clients_factory, clock=clock, sleep=sleep, jitter=jitter)
    return orchestrator.run(request, run_id=run_id, time_budget_seconds=time_budget_seconds)


def handler(event: Any, context: Any) -> dict[str, Any]:
    """Lambda handler: one failover/switchover/preflight/status run for this function's region."""
    config = current_config()
    run_id = getattr(context, "aws_request_id", None) or uuid.uuid4().hex
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    budget = remaining() / 1000.0 if callable(remaining) else None
    return handle_event(
        event, config=config, clients_factory=_boto_clients(), run_id=run_id, time_budget_seconds=budget
    )


_CLIENTS: BotoClients | None = None


def _boto_clients() -> BotoClients:
    """boto3 clients kept across warm invocations."""
    global _CLIENTS
    if _CLIENTS is None:
        _CLIENTS = BotoClients()
    return _CLIENTS
