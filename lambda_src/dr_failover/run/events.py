"""Invocation event contract of the failover function, and its validation.

Event (a JSON object)::

    {"mode": "preflight" | "switchover" | "failover" | "status" | "readiness" | "reprotect",
     "target_region": "<region>",
     "dry_run": false,
     "reason": "free text",
     "run_id": "ops-2026-11-28-1",
     "trigger": "operator" | "automatic" | "automatic_recheck"}

- ``mode`` (required): ``preflight`` runs the read-only readiness checks only; ``switchover`` is a
  planned move without data loss (SwitchoverGlobalCluster, needs a healthy primary and replication
  lag within the RPO); ``failover`` is for a regional outage: the app tier fails over and the database gets the
  least-lossy promotion live state allows (SwitchoverGlobalCluster while the writer's region can take part, else
  FailoverGlobalCluster with AllowDataLoss=true; ``steps.choose_promotion``); ``status`` reads the run record of
  ``run_id`` (else the journal of the last run, the lock item) and changes nothing;
  ``readiness`` (the schedule's mode) runs the read-only checks and publishes ReadyForFailover and one
  metric per check; ``reprotect`` re-adds this region's cluster to the global cluster as a secondary
  when it lost its place (``dry_run`` true first: it says exactly what is missing).
- ``target_region`` (required): must equal the function's own region (TARGET_REGION). Each region
  has its own function and it promotes only its own region; to promote another region, invoke the
  function deployed there.
- ``dry_run`` (optional, JSON boolean, default false): run the read-only checks and report what
  would be done, changing nothing (no lock, no notification, no metric, no scaling, no promotion).
- ``reason`` (string, required for switchover, failover and a reprotect that is not a dry run): why
  the run was started; non-empty, at most 256 characters. It goes into notifications and the result.
- ``run_id`` (optional; 1-64 of letters, digits, ``.``, ``_``, ``-``): an idempotency key chosen by the
  caller. A second invocation with the run id of a finished or refused run returns that run's recorded outcome
  and starts nothing (its run record outlives every redelivery of the event); with the run id of a live run it
  answers ``in_progress``. Operators invoke asynchronously
  (``--invocation-type Event``) with a run id, so a CLI retry cannot start a second run, and read
  progress with ``{"mode": "status", "run_id": ...}``. Without it the Lambda request id is used.
- ``trigger`` (optional, default ``operator``): ``automatic`` marks the invocation of the automatic
  trigger; it is allowed with ``failover`` only and requires independent confirmation that the primary
  is down plus a minimum delay since the last automatic run (``confirmation.automatic_confirmation``).
  ``automatic_recheck`` is the once-a-minute re-evaluation of the same trigger: it proceeds only while
  the probe alarm (PROBE_ALARM_NAME) is in ALARM, else it returns ``not_triggered`` having only read.

Any other key is refused, so a typo (``dryrun``) cannot silently start a real failover. A malformed
event makes no AWS call and returns ``{"status": "invalid", "message": ...}``; the message names the
field, the value received and what is allowed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dr_contract import AUTOMATIC_RECHECK_TRIGGER, AUTOMATIC_TRIGGER, READINESS_MODE, REPROTECT_MODE

MODES = ("preflight", "switchover", "failover", "status", READINESS_MODE, REPROTECT_MODE)
PROMOTING_MODES = ("switchover", "failover")
TRIGGERS = ("operator", AUTOMATIC_TRIGGER, AUTOMATIC_RECHECK_TRIGGER)
AUTOMATIC_TRIGGERS = (AUTOMATIC_TRIGGER, AUTOMATIC_RECHECK_TRIGGER)
ALLOWED_KEYS = ("mode", "target_region", "dry_run", "reason", "run_id", "trigger")
MAX_REASON_LENGTH = 256
_RUN_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class EventError(ValueError):
    """The invocation event does not follow the contract; ``field`` names the offending key."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class FailoverRequest:
    """A validated invocation: what to do, for which region, and why."""

    mode: str
    target_region: str
    dry_run: bool = False
    reason: str = ""
    run_id: str | None = None
    trigger: str = "operator"

    @property
    def promotes(self) -> bool:
        """True for the modes that promote the target cluster (switchover, failover)."""
        return self.mode in PROMOTING_MODES

    @property
    def automatic(self) -> bool:
        """True when the automatic trigger (the alarm's event or its scheduled re-evaluation) sent this request."""
        return self.trigger in AUTOMATIC_TRIGGERS

    @property
    def recheck(self) -> bool:
        """True for the scheduled re-evaluation: it proceeds only while the probe alarm is in ALARM."""
        return self.trigger == AUTOMATIC_RECHECK_TRIGGER


def parse_event(event: Any, *, function_region: str) -> FailoverRequest:
    """Validate an invocation event against the contract; raise EventError naming the field."""
    if not isinstance(event, Mapping):
        raise EventError(
            "event",
            f"event must be a JSON object with keys {list(ALLOWED_KEYS)}, got {type(event).__name__} {_show(event)}",
        )
    unknown = sorted(str(key) for key in event if key not in ALLOWED_KEYS)
    if unknown:
        raise EventError(unknown[0], f"unknown event key(s) {unknown}; allowed keys are {list(ALLOWED_KEYS)}")

    if "mode" not in event:
        raise EventError("mode", f"mode is required; allowed values are {list(MODES)}")
    mode = event["mode"]
    if mode not in MODES:
        raise EventError("mode", f"mode must be one of {list(MODES)}, got {_show(mode)}")

    if "target_region" not in event:
        raise EventError(
            "target_region",
            f"target_region is required and must be {function_region!r} (this function promotes only its own region)",
        )
    target_region = event["target_region"]
    if target_region != function_region:
        raise EventError(
            "target_region",
            f"target_region must be {function_region!r}, got {_show(target_region)}: this function promotes "
            f"only its own region; to promote {_show(target_region)}, invoke the function in that region",
        )

    dry_run = event.get("dry_run", False)
    if not isinstance(dry_run, bool):
        raise EventError("dry_run", f"dry_run must be a JSON boolean (true or false), got {_show(dry_run)}")

    reason = event.get("reason")
    needs_reason = mode in PROMOTING_MODES or (mode == REPROTECT_MODE and not dry_run)
    if reason is None:
        if needs_reason:
            raise EventError(
                "reason",
                f"reason is required for mode {mode!r}: a non-empty string of at "
                f"most {MAX_REASON_LENGTH} characters saying why",
            )
        reason = ""
    elif not isinstance(reason, str):
        raise EventError(
            "reason", f"reason must be a string of at most {MAX_REASON_LENGTH} characters, got {_show(reason)}"
        )
    elif needs_reason and not reason.strip():
        raise EventError("reason", f"reason must not be empty for mode {mode!r}, got {reason!r}")
    elif len(reason) > MAX_REASON_LENGTH:
        raise EventError(
            "reason", f"reason must be at most {MAX_REASON_LENGTH} characters, got {len(reason)} characters"
        )

    run_id = event.get("run_id")
    if run_id is not None and not (isinstance(run_id, str) and _RUN_ID_RE.match(run_id)):
        raise EventError("run_id", f"run_id must be 1-64 of letters, digits, '.', '_', '-', got {_show(run_id)}")

    trigger = event.get("trigger", "operator")
    if trigger not in TRIGGERS:
        raise EventError("trigger", f"trigger must be one of {list(TRIGGERS)}, got {_show(trigger)}")
    if trigger in AUTOMATIC_TRIGGERS and mode != "failover":
        raise EventError("trigger", f"trigger {trigger!r} is allowed with mode 'failover' only, got {mode!r}")

    return FailoverRequest(
        mode=mode,
        target_region=target_region,
        dry_run=dry_run,
        reason=reason.strip(),
        run_id=run_id,
        trigger=trigger,
    )


def _show(value: Any) -> str:
    """Render a received value for an error message, shortened and typed (``'x'`` vs ``1``)."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
