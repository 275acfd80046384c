"""Runs a promotion: preflight, lock, notify, the mode's plan of steps, record, notify, release.

The plan of each mode, the order of its steps and what a dry run says of each live in ``dr_failover.run.plan``; every
step decides from live state, so a re-invoked run (after a crash, a timeout, a lost journal write) runs the same
plan and finishes what is left.

If the promotion is refused or does not take, every ASG the run changed is put back (``restore_capacity``,
which reads live state first and restores nothing once the promotion took or is under way). The lock is
released on every path once it was written.

Every changing run (switchover, failover, reprotect; not status, preflight, readiness or dry runs) has a run record
(``LeaseLock.begin_run``), written when it is accepted or refused and updated at its end: a run id is started at
most once, whenever its event arrives, and ``status`` answers for it.

``Orchestrator(config, clients_factory, clock, sleep)`` has every dependency injected, so tests run it against moto
and Stubber-wrapped RDS with a simulated clock.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

import dr_contract as contract
from botocore.exceptions import ClientError

from dr_failover.actions.app_capacity import (
    Capacity,
    restore_capacity,
    scale_target,
    size_target,
    standby_peer,
    wait_for_target_capacity,
)
from dr_failover.actions.database_capacity import match_database_capacity
from dr_failover.actions.reprotect import run_reprotect
from dr_failover.actions.serving import Serving, first_failure_signal, preflight_states, wait_for_serving
from dr_failover.actions.steps import (
    RunContext,
    StepWarning,
    check_peer_health,
    notify,
    promote,
    promotion_call,
    promotion_kind,
    publish_metrics,
    switch_traffic,
    wait_for_promotion,
)
from dr_failover.automatic.confirmation import automatic_confirmation
from dr_failover.aws.calls import ClientsFactory, error_code
from dr_failover.aws.clients import RunClients
from dr_failover.checks.failover_readiness import run_readiness
from dr_failover.checks.preflight import PreflightReport, describe_global_cluster, run_preflight
from dr_failover.config import Config
from dr_failover.records.lock import (
    FAILED,
    REFUSED,
    RUNNING,
    AutomaticTooSoon,
    ChainTooLong,
    LeaseLock,
    LeaseLost,
    LockHeld,
    LockRecord,
    RunRecord,
)
from dr_failover.run.events import FailoverRequest
from dr_failover.run.plan import TARGET_CAPACITY_WAIT_SECONDS, changing_steps, dry_run_plan
from dr_failover.run.run_report import build_report, capture_states, read_alarm_states, write_report

LOG = logging.getLogger(__name__)

# Seconds kept free at the end of the Lambda's time for traffic switch, notification and release.
BUDGET_RESERVE_SECONDS = 60.0
# No step's AWS call may still be running this close to the Lambda's end (the release must fit after it) ...
CALL_RESERVE_SECONDS = 10.0
# ... and the lock release itself ends this long before it.
FINAL_RESERVE_SECONDS = 2.0
SUCCEEDED = "succeeded"
# An automatic evaluation whose gate started nothing (the alarm not in ALARM, a live run, the minimum interval).
NOT_TRIGGERED = "not_triggered"
# How ``status`` words each outcome of an automatic evaluation recorded in its alarm episode.
EVALUATION_OUTCOMES = {
    REFUSED: "was refused",
    NOT_TRIGGERED: "started nothing",
    SUCCEEDED: "found nothing to do",
}
# The states a run record ends in; any other final status of a run is recorded as failed.
RECORDED_STATES = (SUCCEEDED, FAILED, REFUSED)


class RunSpent(Exception):
    """The run id already has a run record: this invocation starts nothing; ``record`` is what was recorded."""

    def __init__(self, record: RunRecord) -> None:
        super().__init__(f"run {record.run_id} is already recorded ({record.state})")
        self.record = record


class StepFailed(Exception):
    """A step failed; the run stops, restores what it changed, notifies and releases the lock."""

    def __init__(self, name: str, detail: str) -> None:
        super().__init__(f"step {name} failed: {detail}")
        self.name = name
        self.detail = detail


class Orchestrator:
    """Promotes TARGET_REGION's cluster for one validated request; returns the result contract dict."""

    def __init__(
        self,
        config: Config,
        clients_factory: ClientsFactory,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[float, float], float] | None = None,
    ) -> None:
        self.config = config
        self.clients_factory = clients_factory
        self.clock = clock
        self.sleep = sleep
        self.jitter = jitter

    def run(self, request: FailoverRequest, *, run_id: str, time_budget_seconds: float | None = None) -> dict[str, Any]:
        """Run ``request`` to completion (or refusal) and return the result."""
        if request.mode == contract.READINESS_MODE:
            return run_readiness(
                self.config,
                self.clients_factory,
                clock=self.clock,
                sleep=self.sleep,
                run_id=run_id,
                time_budget_seconds=time_budget_seconds,
            )
        if request.mode == contract.REPROTECT_MODE:
            reprotect = lambda: run_reprotect(  # noqa: E731 - run once, under its run record
                self.config,
                self.clients_factory,
                request,
                clock=self.clock,
                sleep=self.sleep,
                run_id=run_id,
                time_budget_seconds=time_budget_seconds,
            )
            if request.dry_run:
                return reprotect()
            return _Run(self, request, run_id, time_budget_seconds).recorded(reprotect)
        return _Run(self, request, run_id, time_budget_seconds).execute()


class _Run:
    """State of one invocation: its steps, timings, lock and journal."""

    def __init__(
        self, owner: Orchestrator, request: FailoverRequest, run_id: str, time_budget_seconds: float | None
    ) -> None:
        self.config = owner.config
        self.request = request
        self.run_id = run_id
        self.clock = owner.clock
        self.sleep = owner.sleep
        self.started_at = owner.clock()
        self.recovery_started_at = self.started_at
        self.budget_deadline = (
            self.started_at + time_budget_seconds - BUDGET_RESERVE_SECONDS if time_budget_seconds is not None else None
        )
        call_deadline = (
            self.started_at + time_budget_seconds - CALL_RESERVE_SECONDS if time_budget_seconds is not None else None
        )
        final_deadline = (
            self.started_at + time_budget_seconds - FINAL_RESERVE_SECONDS if time_budget_seconds is not None else None
        )
        read_only = request.dry_run or not (request.promotes or request.mode == contract.REPROTECT_MODE)
        self.clients = RunClients(
            owner.config,
            owner.clients_factory,
            sleep=owner.sleep,
            clock=owner.clock,
            read_only=read_only,
            run_deadline=call_deadline,
            final_deadline=final_deadline,
            jitter=owner.jitter,
        )
        self.ctx = RunContext(owner.config, request, self.clients, owner.clock, owner.sleep, run_id)
        self.lock = self._lease_lock(final=False)
        # The release gets the later deadline: a step that used all its time must not keep the lease held.
        self.release_lease = self._lease_lock(final=True)
        self.steps: list[dict[str, Any]] = []
        self.journaling = False
        self.lock_written = False
        self.released = False
        self.lag_seconds: float | None = None
        self.resumed: LockRecord | None = None
        # True once this invocation wrote the run record of its run id (accepted): its end is recorded there too.
        self.run_recorded = False
        # True when the lock item showed this run id already run (recorded before run records existed).
        self.duplicate = False
        # True when this invocation is another attempt of its own crashed run (``continues``).
        self.continuing = False
        # True when the answer is the recorded outcome of an earlier delivery of this run id (nothing to record).
        self.spent = False
        # The probe alarm as the scheduled re-evaluation read it (DescribeAlarms), for the refusal episode.
        self.alarm: dict[str, Any] | None = None
        # This invocation's lease token: another delivery of the same event (same run_id) running at the same time
        # (reserved concurrency above 1) does not pass the lock's condition.
        self.attempt = uuid.uuid4().hex
        # Recovery operations: end-to-end recovery time, resource states for the report, the report's links.
        self.end_to_end_seconds: float | None = None
        self.recovery_signal = "run start"
        self.states_before: dict[str, Any] = {}
        self.report_links: dict[str, str] | None = None

    def _lease_lock(self, *, final: bool) -> LeaseLock:
        return LeaseLock(
            self.clients.get("dynamodb", self.config.target_region, final=final),
            table_name=self.config.state_table_name,
            global_cluster_id=self.config.global_cluster_id,
            clock=self.clock,
            lease_seconds=self.config.lock_lease_seconds,
        )

    # ----- result ---------------------------------------------------------------------------------

    def result(self, status: str, message: str, *, recovery_time_seconds: float | None = None) -> dict[str, Any]:
        """The final result contract (logged as one JSON line)."""
        result = self.snapshot(status, message, recovery_time_seconds)
        LOG.info("failover result %s", json.dumps(result, default=str))
        return result

    def snapshot(self, status: str, message: str, recovery_time_seconds: float | None = None) -> dict[str, Any]:
        """The result contract as of now, JSON-serialisable."""
        return {
            "status": status,
            "mode": self.request.mode,
            "target_region": self.request.target_region,
            "run_id": self.run_id,
            "reason": self.request.reason,
            "steps": [dict(step) for step in self.steps],
            "recovery_time_seconds": _round(recovery_time_seconds),
            # The orchestration alone (same value), beside the end-to-end time users see.
            "orchestration_time_seconds": _round(recovery_time_seconds),
            "end_to_end_recovery_time_seconds": _round(self.end_to_end_seconds),
            "recovery_measured_from": self.recovery_signal,
            "report": self.report_links,
            "data_loss_window_seconds": _round(self.data_loss_window_seconds()),
            # The promotion API chosen from live state and why (None: no promotion chosen yet).
            "promotion": self.ctx.promotion.as_dict() if self.ctx.promotion is not None else None,
            "replication_lag_seconds": _round(self.lag_seconds),
            "message": message,
        }

    def data_loss_window_seconds(self) -> float | None:
        """Failover may lose up to the lag at start; a switchover (the mode, or the promotion a failover run chose
        from live state) waits for sync and loses nothing."""
        if self.request.mode == "switchover" or promotion_kind(self.ctx) == "switchover":
            return 0.0
        if self.request.mode == "failover":
            return self.lag_seconds
        return None

    # ----- steps ----------------------------------------------------------------------------------

    def record(self, name: str, status: str, started: float, detail: str) -> dict[str, Any]:
        """Append a step record (and journal it while we hold the lock)."""
        now = self.clock()
        step = {
            "name": name,
            "status": status,
            "seconds": round(now - started, 3),
            "offset_seconds": round(started - self.started_at, 3),
            "detail": detail,
        }
        self.steps.append(step)
        LOG.info("step %s %s in %.3fs: %s", name, status, step["seconds"], detail)
        if self.journaling:
            try:
                self.lock.record_step(self.run_id, {**step, "offset": step["offset_seconds"]})
            except Exception as error:
                if status in ("ok", "warning"):
                    raise StepFailed(
                        "journal",
                        f"could not record step {name} in the journal ({error_code(error)}: {error}); the lock "
                        "may be lost. Re-invoke: every step is decided from live state",
                    ) from error
                LOG.warning("could not journal failed step %s: %s", name, error)
        return step

    def step(self, name: str, action: Callable[[], str]) -> dict[str, Any]:
        """Time ``action``; StepWarning -> warning, other exceptions -> StepFailed."""
        started = self.clock()
        try:
            detail = action()
        except StepWarning as warning:
            return self.record(name, "warning", started, str(warning))
        except Exception as error:
            detail = (
                str(error)
                if isinstance(error, StepFailed | RuntimeError | ClientError)
                else f"{type(error).__name__}: {error}"
            )
            self.record(name, "failed", started, detail)
            raise StepFailed(name, detail) from error
        return self.record(name, "ok", started, detail)

    def step_best_effort(self, name: str, action: Callable[[], str]) -> dict[str, Any]:
        """Run a step whose failure is only a warning."""
        try:
            return self.step(name, lambda: _as_warning(action, name))
        except StepFailed as failure:  # journal write failed after the step: keep going, it is the end
            return {"status": "warning", "detail": failure.detail}

    # ----- flow -----------------------------------------------------------------------------------

    def execute(self) -> dict[str, Any]:
        """The whole run; see the module docstring for the order."""
        if self.request.mode == "status":
            return self.status_result()
        if not self.request.promotes or self.request.dry_run:
            return self.evaluate()
        return self.recorded(self.evaluate)

    def recorded(self, run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """Run a changing request under the run record of its run id.

        A run id with a record never runs again: Lambda delivers an asynchronous event at least once and keeps
        retrying it up to its maximum event age (Lambda Developer Guide, asynchronous invocation), and the lock item
        holds only the latest run. An operator's verdict reached before acceptance (refused, nothing to do) is recorded
        too, so ``status`` answers for every run id; an accepted run wrote its record before any change
        (``acquire_lock``). Every refusal is notified once: an asynchronous caller (Lambda answers the invoke at once,
        without the function's result) learns it from the topic or from ``status``. The automatic trigger's
        evaluations that start no run (its re-evaluation asks every minute while the alarm stays in ALARM) are
        recorded per alarm episode and outcome: one run record, updated, and one notification for a refusal
        (``record_automatic_evaluation``); its run record is looked up after its cheap gates. Only a re-evaluation
        that finds the probe alarm not in ALARM (or cannot read it or the lock) records nothing: it read, and
        ``status`` says so for an id no record lists.
        """
        if not self.request.automatic:
            spent = self.spent_check()
            if spent is not None:
                return spent
        if self.request.mode == contract.REPROTECT_MODE:
            try:
                self.begin_run(RUNNING, "accepted")
            except RunSpent as spent:
                return self.spent_result(spent.record)
            except Exception as error:  # noqa: BLE001 - unrecorded, a redelivery could run it again: nothing starts
                return self.result(
                    FAILED,
                    f"cannot write the run record of {self.run_id} ({error_code(error)}: {error}); no change made",
                )
        result = run()
        # "invalid" (a misconfigured re-protect) changed nothing, like a refusal.
        final = REFUSED if result["status"] == "invalid" else result["status"]
        final = final if final in RECORDED_STATES else FAILED
        if self.run_recorded:
            self.end_run(self.run_id, final, result["message"])
            if final == REFUSED and self.request.promotes:  # accepted, then refused at the lock
                self.notify_refusal(result)
        elif self.spent or self.duplicate:
            pass  # an earlier delivery's outcome, already recorded and told
        elif self.request.automatic and self.records_automatic(result):
            self.record_automatic_evaluation(result)
        elif result["status"] in (REFUSED, SUCCEEDED) and not self.request.automatic:
            try:
                self.begin_run(final, result["message"])
            except RunSpent:
                pass  # another delivery recorded it first: this one changed nothing either
            except Exception as error:  # noqa: BLE001 - the verdict is still returned
                LOG.warning("cannot record run %s (%s)", self.run_id, error_code(error))
            if result["status"] == REFUSED:
                self.notify_refusal(result)
        return result

    def spent_check(self) -> dict[str, Any] | None:
        """The recorded answer when this run id already has a run record (and this is not another attempt of its own
        crashed run); None: go on."""
        try:
            record = self.lock.read_run(self.run_id)
        except Exception as error:  # noqa: BLE001 - begin_run decides atomically before any change
            LOG.warning("cannot read the run record of %s (%s)", self.run_id, error_code(error))
            return None
        if record is not None and not self.continues(record):
            return self.spent_result(record)
        return None

    def continues(self, record: RunRecord) -> bool:
        """True when ``record`` is a crashed attempt of this very run that the lock item still holds: another attempt
        of it continues the same logical run (every step decides from live state), no new run starts."""
        if record.state != RUNNING or record.mode == contract.REPROTECT_MODE:
            return False
        try:
            holder = self.lock.read()
        except Exception:  # noqa: BLE001 - unknown: the run id counts as spent
            return False
        self.continuing = holder is not None and holder.run_id == record.run_id and holder.crashed(self.clock())
        return self.continuing

    def begin_run(self, state: str, message: str) -> None:
        """Write this run id's record; RunSpent when one exists (that delivery's outcome stands)."""
        existing = self.lock.begin_run(
            self.run_id,
            mode=self.request.mode,
            target_region=self.request.target_region,
            reason=self.request.reason,
            state=state,
            message=message,
        )
        if existing is not None and not (self.continuing and existing.state == RUNNING):
            raise RunSpent(existing)
        self.run_recorded = state == RUNNING

    def end_run(self, run_id: str, state: str, message: str) -> None:
        """Record the end of ``run_id`` in its run record (best effort: the lock item also says it)."""
        try:
            self.release_lease.end_run(run_id, state=state, message=message)
        except Exception as error:  # noqa: BLE001 - status falls back on the lock item's state
            LOG.warning("cannot record the end of run %s (%s)", run_id, error_code(error))

    def records_automatic(self, result: dict[str, Any]) -> bool:
        """True when an automatic evaluation's result is recorded in its alarm episode: a refusal, nothing to do, or
        a re-evaluation's gate with the probe alarm in ALARM (``not_triggered`` within the minimum interval or
        during a live run). A re-evaluation that found the alarm not in ALARM, or could not read it, only read:
        recording it would be a write to the global table every minute of every quiet day."""
        status = result["status"]
        if status in (REFUSED, SUCCEEDED):
            return True
        return status == NOT_TRIGGERED and self.request.recheck and self.alarm is not None

    def record_automatic_evaluation(self, result: dict[str, Any]) -> None:
        """Record an automatic evaluation that started no run in its alarm episode's run record; notify the first
        refusal of the alarm episode (``LeaseLock.claim_refusal_notice``), whatever other outcomes came before.

        When the record or the claim cannot be written a refusal is notified anyway: the topic is then the only
        trace.
        """
        episode = self.alarm_episode()
        try:
            self.lock.record_automatic_evaluation(
                self.run_id,
                state=result["status"],
                episode=episode,
                mode=self.request.mode,
                target_region=self.request.target_region,
                reason=self.request.reason,
                message=result["message"],
            )
        except Exception as error:  # noqa: BLE001 - the result is still returned, a refusal notified
            LOG.warning("cannot record automatic evaluation %s (%s)", self.run_id, error_code(error))
        if result["status"] != REFUSED:
            return
        try:
            first = self.lock.claim_refusal_notice(episode)
        except Exception as error:  # noqa: BLE001 - notified: better twice than never
            LOG.warning("cannot claim the refusal notice of %s (%s)", episode, error_code(error))
            first = True
        if first:
            self.notify_refusal(result)

    def alarm_episode(self) -> str:
        """The probe alarm's current episode: its name, state and when its state value last changed.

        StateTransitionedTimestamp, else StateUpdatedTimestamp ("the last update to the value of either the
        StateValue or EvaluationState", CloudWatch API Reference, MetricAlarm): while the alarm stays in ALARM it
        does not change, so every evaluation of the episode shares it. Without a readable alarm the run is its own
        episode."""
        config = self.config
        alarm = self.alarm
        if alarm is None and config.probe_alarm_name is not None:
            try:
                found = (
                    self.clients.get("cloudwatch", config.target_region)
                    .describe_alarms(AlarmNames=[config.probe_alarm_name], AlarmTypes=["MetricAlarm"])
                    .get("MetricAlarms", [])
                )
                alarm = found[0] if found else None
            except Exception as error:  # noqa: BLE001 - its own episode: recorded and notified
                LOG.warning("cannot read alarm %s (%s)", config.probe_alarm_name, error_code(error))
        changed = (alarm or {}).get("StateTransitionedTimestamp") or (alarm or {}).get("StateUpdatedTimestamp")
        if alarm is None or changed is None:
            return f"run {self.run_id}"
        stamp = changed.isoformat() if hasattr(changed, "isoformat") else str(changed)
        return f"{alarm.get('AlarmName', config.probe_alarm_name)} {alarm.get('StateValue', '?')} since {stamp}"

    def notify_refusal(self, result: dict[str, Any]) -> None:
        """Tell the topic that an operator's run was refused (an asynchronous caller sees no result)."""
        try:
            notify(self.ctx, event=REFUSED, body={**result, "global_cluster_id": self.config.global_cluster_id})
        except Exception as error:  # noqa: BLE001 - the refusal is recorded and returned anyway
            LOG.warning("cannot notify the refusal of run %s (%s)", self.run_id, error_code(error))

    def spent_result(self, record: RunRecord) -> dict[str, Any]:
        """The answer to a run id that was already accepted or refused: its recorded outcome, nothing started."""
        self.spent = True
        state, detail = self.run_state(record)
        return self.result(
            state,
            f"run {record.run_id} was already recorded: {detail}. This invocation started nothing; use a new run_id "
            "to start another run",
        )

    def run_state(self, record: RunRecord) -> tuple[str, str]:
        """(state, description) of a run record: refused, in_progress, crashed, succeeded or failed.

        A record still ``running`` is in progress while the lock item holds its live lease, and crashed once that
        lease expired; the lock item's released state stands when the end could not be written to the record. A
        run without a lease (reprotect) is in progress for at most Lambda's largest timeout.
        """
        described = (
            f"{record.mode} to {record.target_region} {record.state} (started {record.started_at:.0f}"
            + (f", ended {record.ended_at:.0f}" if record.ended_at is not None else "")
            + f"): {record.message}"
            + record.describe_episode()
        )
        now = self.clock()
        try:
            holder = self.lock.read()
        except Exception as error:  # noqa: BLE001 - reported as unknown
            if record.state != RUNNING:
                return record.state, described
            return "status_unknown", f"{described}; the lock cannot be read ({error_code(error)})"
        if holder is not None and holder.run_id == record.run_id:
            self.steps = [dict(step) for step in holder.steps]
        if record.state != RUNNING:
            return record.state, described
        if holder is not None and holder.run_id == record.run_id:
            if holder.is_live(now):
                return "in_progress", holder.describe()
            if holder.crashed(now):
                return "crashed", f"{holder.describe()} crashed: its lease expired (a new run of the mode resumes it)"
            return holder.state, holder.describe()
        if record.mode == contract.REPROTECT_MODE and now < record.started_at + contract.LAMBDA_MAXIMUM_TIMEOUT_SECONDS:
            return "in_progress", described
        later = f"; the lock now holds {holder.describe()}" if holder is not None else ""
        return "crashed", f"{described}; it never recorded its end{later}"

    def evaluate(self) -> dict[str, Any]:
        """Gates, preflight and the decision to promote; see the module docstring for the order."""
        if self.request.recheck:
            quiet = self.recheck_gate()
            if quiet is not None:
                return quiet
        elif self.request.automatic:
            too_soon = self.automatic_interval_gate()
            if too_soon is not None:
                return too_soon
        if self.request.automatic and self.request.promotes and not self.request.dry_run:
            spent = self.spent_check()
            if spent is not None:
                return spent
        holder, lock_note = self.read_lock()
        if self.request.promotes and self.request.run_id and holder is not None and holder.run_id == self.run_id:
            duplicate = self.duplicate_result(holder)
            if duplicate is not None:
                return duplicate
        if (
            holder is not None
            and self.request.promotes
            and holder.resumable_by(mode=self.request.mode, target_region=self.request.target_region, now=self.clock())
        ):
            self.resumed = holder
            self.recovery_started_at = holder.started_at

        report = self.preflight()
        self.states_before = preflight_states(report)
        if self.resumed is not None and self.resumed.lag_seconds is not None:
            self.lag_seconds = self.resumed.lag_seconds  # the data-loss window was fixed when the first run started
        if not self.request.promotes:
            return self.preflight_result(report, lock_note)
        if report.nothing_to_do and self.resumed is not None and not self.request.dry_run:
            # A run that crashed after its last change (the traffic switch written) is finished, not skipped: the
            # plan decides from live state and changes nothing, and the run's end is recorded, notified, released.
            return self.promote_run()
        if report.nothing_to_do:
            if self.request.dry_run:
                return self.result("dry_run", "dry run: " + self.nothing_to_do_message())
            return self.result(SUCCEEDED, self.nothing_to_do_message())
        refusal = report.refusal(self.request.mode)
        if refusal:
            return self.result("refused", self.dry_prefix() + refusal)
        if holder is not None and holder.is_live(self.clock()) and holder.run_id != self.run_id:
            return self.result(
                "refused",
                self.dry_prefix() + f"another failover run holds the lock: "
                f"{holder.describe()}; retry after it finishes or its lease expires",
            )
        if self.request.dry_run:
            return self.dry_run_result(holder)
        return self.promote_run()

    def recheck_gate(self) -> dict[str, Any] | None:
        """The scheduled re-evaluation's cheap reads; a result that changes nothing, or None to proceed as the
        alarm's own event does.

        EventBridge sends a "CloudWatch Alarm State Change" event only when the alarm changes state, so while the
        probe alarm stays in ALARM a refused first evaluation would never be retried: the schedule asks once a
        minute. It proceeds only while the alarm is in ALARM, no run holds the lock and no automatic run started
        within the minimum interval, or the lock holds an unfinished run of this mode and target to finish (one
        that failed after the promotion call, or crashed); otherwise it returns ``not_triggered`` without a lock
        write or a notification. With the alarm in ALARM that answer is recorded in the alarm episode's record, so
        ``status`` knows its run id; with the alarm in any other state (every minute of a quiet day) it only read.
        """
        config = self.config
        if config.probe_alarm_name is None:
            return self.result(NOT_TRIGGERED, f"{contract.PROBE_ALARM_NAME} is not set: no probe alarm to re-check")
        try:
            cloudwatch = self.clients.get("cloudwatch", config.target_region)
            alarms = cloudwatch.describe_alarms(AlarmNames=[config.probe_alarm_name], AlarmTypes=["MetricAlarm"])
        except Exception as error:  # noqa: BLE001 - the next minute asks again
            return self.result(
                NOT_TRIGGERED, f"cannot read alarm {config.probe_alarm_name} ({error_code(error)}); no change made"
            )
        states = [alarm.get("StateValue") for alarm in alarms.get("MetricAlarms", [])]
        self.alarm = alarms["MetricAlarms"][0] if states == ["ALARM"] else None
        if states != ["ALARM"]:
            state = states[0] if states else "missing"
            return self.result(
                NOT_TRIGGERED, f"alarm {config.probe_alarm_name} is {state}, not ALARM: nothing to re-evaluate"
            )
        try:
            holder = self.lock.read()
            last = self.lock.last_automatic_start()
        except Exception as error:  # noqa: BLE001 - the next minute asks again
            self.alarm = None  # the table does not answer: nothing is recorded either (``records_automatic``)
            return self.result(NOT_TRIGGERED, f"cannot read the lock ({error_code(error)}); no change made")
        now = self.clock()
        if holder is not None and holder.is_live(now):
            return self.result(NOT_TRIGGERED, f"{holder.describe()} is running; this re-evaluation started nothing")
        if self.finishes(holder):
            return None  # the interval gates new runs, not finishing one
        if last is not None and now - last < config.automatic_min_interval_seconds:
            return self.result(
                NOT_TRIGGERED,
                f"the last automatic run started {now - last:.0f} s ago, less than "
                f"AUTOMATIC_MIN_INTERVAL_SECONDS={config.automatic_min_interval_seconds}; no change made",
            )
        return None

    def automatic_interval_gate(self) -> dict[str, Any] | None:
        """The alarm's event within AUTOMATIC_MIN_INTERVAL_SECONDS of another automatic run: refused with reads only.

        An alarm that flaps starts a new event on every change to ALARM; those arriving within the interval must
        not write the lock (and release it) only to be refused by ``claim_automatic``. The same logical run (same
        run id: Lambda keeps the request id when it delivers an asynchronous event again) is not refused here, nor
        is an event that finishes an unfinished run of this mode and target (``finishes``).
        ``claim_automatic`` still decides atomically after the lock is held, for two events racing past this read.
        """
        try:
            last = self.lock.last_automatic_run()
        except Exception as error:  # noqa: BLE001 - the atomic claim after the lock still guards the interval
            LOG.warning("cannot read the last automatic run (%s); the claim after the lock decides", error_code(error))
            return None
        if last is None:
            return None
        last_run_id, last_start = last
        elapsed = self.clock() - last_start
        if last_run_id == self.run_id or elapsed >= self.config.automatic_min_interval_seconds:
            return None
        try:
            if self.finishes(self.lock.read()):
                return None  # the interval gates new runs, not finishing one
        except Exception as error:  # noqa: BLE001 - refused below; the next event or the re-evaluation asks again
            LOG.warning("cannot read the lock (%s); the interval refuses", error_code(error))
        return self.result(
            "refused",
            f"the last automatic run ({last_run_id}) started {elapsed:.0f} s ago, less than "
            f"AUTOMATIC_MIN_INTERVAL_SECONDS={self.config.automatic_min_interval_seconds}; no change made (invoke by "
            "hand to override)",
        )

    def finishes(self, holder: LockRecord | None) -> bool:
        """True when this request would finish ``holder`` rather than start anew: a run of the same mode and target
        that failed after its promotion call or crashed (``LockRecord.resumable_by``), and whose promotion live
        state shows taking effect (the target writes, or FailoverState towards it is pending or failing-over).

        A promotion RDS cancelled ("cancelling": both clusters return to their previous states; RDS API Reference,
        FailoverState) or never received leaves nothing to finish: resuming it would call FailoverGlobalCluster
        again, so the minimum interval applies to it like any new start. A state that cannot be read is not
        taking effect (the interval applies; the next minute asks again).

        A run that crashed before its journal shows the promotion call is finished too: it was accepted (confirmed
        and claimed the interval) and changed capacity at most, and during an outage the user needs its promotion
        now, not after the minimum interval; the resumed run confirms the outage again and reads live state before
        calling the promotion."""
        if holder is None or not holder.resumable_by(
            mode=self.request.mode, target_region=self.request.target_region, now=self.clock()
        ):
            return False
        if holder.crashed(self.clock()) and "promote" not in holder.completed_steps():
            return True
        try:
            state = describe_global_cluster(self.config, self.clients)
        except Exception as error:  # noqa: BLE001 - unknown: the interval applies
            LOG.warning("cannot read the global cluster (%s); the interval applies", error_code(error))
            return False
        return state.promotion_taking_effect()

    def duplicate_result(self, holder: LockRecord) -> dict[str, Any] | None:
        """A repeated invocation with the run id of a live or finished run starts nothing; None to resume it."""
        self.steps = [dict(step) for step in holder.steps]
        if holder.is_live(self.clock()):
            self.duplicate = True
            return self.result(
                "in_progress",
                f"run {holder.run_id} is in progress ({holder.describe()}); this invocation started nothing",
            )
        if holder.state != RUNNING:
            self.duplicate = True
            return self.result(
                holder.state,
                f"run {holder.run_id} already finished ({holder.state}); this invocation started nothing. "
                "Use a new run_id to start another run",
            )
        self.steps = []
        return None

    def status_result(self) -> dict[str, Any]:
        """Mode ``status``: the run record of ``run_id`` (else the journal of the last run), read only."""
        if self.request.run_id:
            try:
                record = self.lock.read_run(self.request.run_id)
            except Exception as error:  # noqa: BLE001 - reported
                return self.result("status_unknown", f"cannot read the run record ({error_code(error)}: {error})")
            if record is not None:
                self.run_id = record.run_id
                state, detail = self.run_state(record)
                return self.result(state, detail)
            try:
                episode = self.lock.find_automatic_evaluation(self.request.run_id)
            except ChainTooLong as too_long:
                return self.result(
                    "status_unknown",
                    f"no run record of {self.request.run_id}, and the newest {too_long} automatic episode records "
                    "do not list it; older ones were not searched (it may be listed there)",
                )
            except Exception as error:  # noqa: BLE001 - reported
                return self.result("status_unknown", f"cannot read the episode records ({error_code(error)}: {error})")
            if episode is not None:
                self.run_id = self.request.run_id
                why = (
                    f"{episode.last_message}"
                    if episode.last_run_id == self.request.run_id
                    else f"the first ({episode.run_id}): {episode.message}; the latest "
                    f"({episode.last_run_id}): {episode.last_message}"
                )
                outcome = EVALUATION_OUTCOMES.get(episode.state, episode.state)
                where = (
                    f"{episode.mode} to {episode.target_region}; one of {episode.evaluations} {episode.state} "
                    f"evaluations of alarm episode {episode.episode}, recorded in the run record of {episode.run_id}"
                )
                return self.result(
                    episode.state, f"automatic evaluation {self.request.run_id} {outcome} ({where}): {why}"
                )
        try:
            holder = self.lock.read()
        except Exception as error:  # noqa: BLE001 - reported
            return self.result("status_unknown", f"cannot read the journal ({error_code(error)}: {error})")
        if holder is None:
            if self.request.run_id:
                return self.result("no_run", f"{self.unrecorded_message()}; no run has ever held the lock")
            return self.result("no_run", "no run has ever been recorded")
        if self.request.run_id and holder.run_id != self.request.run_id:
            return self.result("unknown_run", f"{self.unrecorded_message()}; the journal holds {holder.describe()}")
        self.steps = [dict(step) for step in holder.steps]
        state = "in_progress" if holder.is_live(self.clock()) else holder.state
        if holder.crashed(self.clock()):
            state = "crashed"
        self.run_id = holder.run_id
        return self.result(state, holder.describe())

    def unrecorded_message(self) -> str:
        """What ``status`` can truthfully say of a run id that no record lists."""
        hours = contract.RUN_RECORD_RETENTION_SECONDS // 3600
        return (
            f"no record lists run {self.request.run_id} in {self.config.target_region}'s replica: it changed "
            f"nothing, or its record expired (at least {hours} h after its start), or it was written in the other "
            "region and has not replicated here (ask that region's function). Every invocation "
            "that could change anything, or was refused, records its run id before it acts; only a scheduled "
            "re-evaluation that found the probe alarm not in ALARM, or could not read it or the lock, records "
            "nothing (it only read; its result line is in this function's log group), and a record the table "
            "refused leaves the notification and the log line"
        )

    def nothing_to_do_message(self) -> str:
        """Live state already is the end state of this run."""
        config = self.config
        return (
            f"{config.target_cluster_id} is already the writer of {config.global_cluster_id}, "
            f"{config.target_asg_name} is at failover capacity and traffic is switched to {config.target_region}: "
            "nothing to do, no change made"
        )

    def read_lock(self) -> tuple[LockRecord | None, str]:
        """Read the lock item (read-only); a read error is reported, not fatal, until we must write."""
        try:
            holder = self.lock.read()
        except Exception as error:  # noqa: BLE001 - acquiring will fail loudly if the table is unusable
            return None, f"lock state unknown ({error_code(error)})"
        if holder is None:
            return None, "lock free (never used)"
        now = self.clock()
        if holder.is_live(now):
            return holder, f"lock held by {holder.describe()}"
        if holder.crashed(now):
            return holder, f"lock free; {holder.describe()} crashed (a run of the same mode resumes it)"
        return holder, f"lock free (last {holder.describe()})"

    def preflight(self) -> PreflightReport:
        """Run the read-only checks of live state as the ``preflight`` step."""
        started = self.clock()
        report = run_preflight(self.config, self.clients, mode=self.request.mode, now=started)
        if self.request.automatic:
            automatic_confirmation(self.config, self.clients, report, now=started)
        self.lag_seconds = report.lag_seconds
        blocked = bool(report.blockers(self.request.mode if self.request.promotes else "failover"))
        self.record("preflight", "failed" if blocked else "ok", started, report.detail())
        return report

    def preflight_result(self, report: PreflightReport, lock_note: str) -> dict[str, Any]:
        """Result of mode ``preflight``: passed when a failover could proceed; says whether switchover could."""
        if report.nothing_to_do:
            return self.result(
                "preflight_passed",
                f"{self.config.target_cluster_id} is already the writer; a promotion would be a no-op; {lock_note}",
            )
        failover_refusal = report.refusal("failover")
        if failover_refusal:
            return self.result("preflight_failed", f"{failover_refusal}; {lock_note}")
        switchover_refusal = report.refusal("switchover")
        switchover = (
            "switchover possible" if not switchover_refusal else f"switchover would be refused ({switchover_refusal})"
        )
        return self.result("preflight_passed", f"failover possible; {switchover}; {lock_note}")

    def dry_prefix(self) -> str:
        """``dry run: `` in front of messages of dry runs."""
        return "dry run: " if self.request.dry_run else ""

    def dry_run_result(self, holder: LockRecord | None) -> dict[str, Any]:
        """Report what a real run would do, having changed nothing."""
        config = self.config
        method, params = promotion_call(config, self.request.mode)
        plan = dry_run_plan(
            self.request.mode,
            config,
            resume=f"; would resume unfinished {holder.describe()}" if self.resumed and holder else "",
            promotion_call=f"{method}({', '.join(f'{k}={v!r}' for k, v in params.items())})",
            promotion_choice=(
                "; SwitchoverGlobalCluster instead (no data loss) if, then, the writer's region answers "
                "'available', every member is 'connected' and the lag is within the RPO"
                if self.request.mode == "failover"
                else ""
            ),
            target_capacity_wait=TARGET_CAPACITY_WAIT_SECONDS,
            switch=f"{config.traffic_switch_metric}={config.traffic_switch_value:g}",
        )
        for name, detail in plan:
            self.record(name, "planned", self.clock(), detail)
        return self.result(
            "dry_run", f"dry run: {self.request.mode} to {config.target_region} would proceed; no change was made"
        )

    def promote_run(self) -> dict[str, Any]:
        """Take the lock, run the plan, then record, notify and release (release on every path once written).

        Only ``Exception`` paths release here: a Lambda that is killed (timeout) runs no code, and its
        journal stays ``running`` so that the next run of the same mode resumes it.
        """
        try:
            result = self._promote_run()
        except Exception:
            self.release_if_written()
            raise
        self.release_if_written()
        return result

    def release_if_written(self) -> None:
        """Release the lock if this run wrote it and has not released it yet (early exits, errors)."""
        if not self.lock_written or self.released:
            return
        self.journaling = False
        try:
            self.release_lease.release(self.run_id, FAILED)
            self.released = True
            LOG.warning("lock released on an early exit of run %s", self.run_id)
        except Exception as error:  # noqa: BLE001 - logged; the lease expires on its own
            LOG.error("could not release the lock of run %s: %s", self.run_id, error)

    def _promote_run(self) -> dict[str, Any]:
        try:
            self.step("acquire_lock", self.acquire_lock)
        except StepFailed as failure:
            cause = failure.__cause__
            if isinstance(cause, RunSpent):
                return self.spent_result(cause.record)
            if isinstance(cause, LockHeld):
                if cause.holder is not None and cause.holder.run_id == self.run_id:
                    return self.result(
                        "in_progress",
                        f"run {self.run_id} is in progress in another invocation ({cause.holder.describe()}); "
                        "this invocation started nothing",
                    )
                return self.result("refused", f"{cause}; retry after it finishes or its lease expires")
            if isinstance(cause, AutomaticTooSoon):
                return self.result("refused", str(cause))
            message = f"{self.request.mode} to {self.config.target_region} failed: {failure}"
            self.step_best_effort(
                "notify_result", lambda: notify(self.ctx, event="failed", body=self.body("failed", message))
            )
            return self.result("failed", message)

        recovery_time: float | None = None
        actions: dict[str, Callable[[], str]] = {
            "scale_target": lambda: scale_target(self.ctx),
            "standby_peer": lambda: standby_peer(self.ctx),
            "size_target": lambda: size_target(self.ctx),
            "promote": lambda: promote(self.ctx, lag_seconds=self.lag_seconds),
            "wait_for_promotion": lambda: wait_for_promotion(self.ctx, deadline=self.promotion_deadline()),
            "switch_traffic": lambda: switch_traffic(self.ctx),
            "wait_for_target_capacity": lambda: wait_for_target_capacity(self.ctx, deadline=self.capacity_deadline()),
        }
        try:
            event = f"resumed (from run {self.resumed.run_id})" if self.resumed else "started"
            self.step("notify_start", lambda: notify(self.ctx, event=event, body=self.body("running", event)))
            for name in changing_steps(self.request.mode):
                self.step(name, actions[name])
            recovery_time = round(self.clock() - self.recovery_started_at, 3)
            if self.config.target_group_arn:
                self.measure_serving()
            self.step_best_effort("check_peer_health", lambda: check_peer_health(self.ctx))
            if self.config.match_database_capacity:
                self.step_best_effort("match_database_capacity", lambda: match_database_capacity(self.ctx))
            status, message = SUCCEEDED, self.success_message(recovery_time)
        except StepFailed as failure:
            status, message = "failed", f"{self.request.mode} to {self.config.target_region} failed: {failure}"
            if isinstance(failure.__cause__, LeaseLost):
                # Another invocation holds the lease now (and may be resuming this run): change and release nothing.
                self.released = True
                self.ctx.changed_asgs.clear()
                message += "; stopped without restoring capacity or releasing the lock, which another run holds"
            if self.ctx.changed_asgs:
                restore = self.step_best_effort("restore_capacity", lambda: restore_capacity(self.ctx))
                message += f"; capacity: {restore['detail']}"

        executed = [s for s in self.steps if s["status"] != "skipped"]
        self.step_best_effort(
            "publish_metrics",
            lambda: publish_metrics(
                self.ctx,
                steps=executed,
                recovery_time_seconds=recovery_time,
                data_loss_window_seconds=self.data_loss_window_seconds() if status == SUCCEEDED else None,
                end_to_end_recovery_seconds=self.end_to_end_seconds,
            ),
        )
        if self.config.report_bucket:
            self.step_best_effort("write_report", lambda: self.write_report(status, message, recovery_time))
        self.step_best_effort(
            "notify_result", lambda: notify(self.ctx, event=status, body=self.body(status, message, recovery_time))
        )
        self.journaling = False
        release = (
            self.step_best_effort("release_lock", lambda: self.release_lock(status))
            if not self.released
            else {"status": "ok"}
        )
        if release["status"] != "ok":
            message += f"; WARNING lock not released: {release['detail']}"
        if self.resumed is not None:
            # The crashed or failed run this one finished answers with this outcome too.
            self.end_run(self.resumed.run_id, status, f"finished by run {self.run_id}: {message}")
        return self.result(status, message, recovery_time_seconds=recovery_time)

    def measure_serving(self) -> None:
        """Wait until the target serves; the end-to-end recovery time runs from the first failed signal."""
        started_at, self.recovery_signal = first_failure_signal(self.ctx, fallback=self.recovery_started_at)
        deadline = self.clock() + self.config.serving_timeout_seconds
        if self.budget_deadline is not None:
            deadline = min(deadline, self.budget_deadline)
        serving = Serving()
        desired = self.ctx.target_desired or self.config.failover_capacity_desired
        self.step_best_effort(
            "wait_for_serving",
            lambda: wait_for_serving(self.ctx, desired=desired, deadline=deadline, serving=serving),
        )
        if serving.served_at is not None:
            self.end_to_end_seconds = round(serving.served_at - started_at, 3)

    def write_report(self, status: str, message: str, recovery_time: float | None) -> str:
        """JSON + Markdown report of this run to REPORT_BUCKET (SSE-KMS), with states before/after and alarms."""
        config = self.config
        finished = self.clock()
        after = capture_states(
            rds=self.clients.target("rds"),
            autoscaling=self.clients.target("autoscaling"),
            global_cluster_id=config.global_cluster_id,
            asg_names=[config.target_asg_name],
        )
        try:
            alarms = read_alarm_states(self.clients.target("cloudwatch"), name_prefix=config.alarm_name_prefix or "")
        except Exception as error:  # noqa: BLE001 - the report is still written without them
            alarms = [{"name": "(alarm states unreadable)", "state": error_code(error)}]
        document = build_report(
            self.snapshot(status, message, recovery_time),
            started_at=self.started_at,
            finished_at=finished,
            region=config.target_region,
            global_cluster_id=config.global_cluster_id,
            states_before=self.states_before,
            states_after=after,
            alarms=alarms,
        )
        location = write_report(
            self.clients.target("s3"),
            bucket=str(config.report_bucket),
            kms_key_arn=str(config.report_kms_key_arn),
            region=config.target_region,
            report=document,
            mode=self.request.mode,
            started_at=self.started_at,
        )
        self.report_links = location.links()
        return f"report written: {location.json_uri} and {location.markdown_uri}"

    def acquire_lock(self) -> str:
        """Record the run, take the lease (new, or resuming an unfinished run), confirm it, start journaling."""
        # The run record first (conditional on none existing, atomic in this replica, which every delivery of an
        # event to this function writes): a run id whose record exists is never started again.
        self.begin_run(RUNNING, "accepted")
        self.lock.acquire(
            run_id=self.run_id,
            mode=self.request.mode,
            target_region=self.request.target_region,
            reason=self.request.reason,
            started_at=self.recovery_started_at,
            lag_seconds=self.lag_seconds,
            resumed=self.resumed,
            attempt=self.attempt,
        )
        self.lock_written = True
        self.lock.confirm(self.run_id, self.sleep, attempt=self.attempt)
        if self.request.automatic and self.resumed is None:
            # A resumed run finishes one that already started (and claimed, if automatic): no new start to claim.
            self.lock.claim_automatic(self.run_id, min_interval_seconds=self.config.automatic_min_interval_seconds)
        if self.resumed is not None:
            self.ctx.resumed_from = self.resumed.run_id
            # ASGs a crashed attempt of this logical run changed: restored too if the promotion is refused.
            for (region, name), (low, desired, high) in self.resumed.asg_before.items():
                self.ctx.changed_asgs.setdefault((region, name), Capacity(low, desired, high))
        self.ctx.remember_capacity = self.remember_capacity
        self.ctx.heartbeat = self.heartbeat
        self.journaling = True
        for step in self.steps:  # the preflight ran before we held the lock
            self.lock.record_step(self.run_id, {**step, "offset": step["offset_seconds"]})
        note = f"; resuming unfinished run {self.resumed.run_id}" if self.resumed else ""
        return (
            f"lock#{self.config.global_cluster_id} held until +{self.config.lock_lease_seconds} s "
            f"(renewed each step){note}"
        )

    def heartbeat(self) -> None:
        """Renew this invocation's lease (every poll of a long wait); LeaseLost stops the run's changes."""
        self.lock.renew(self.run_id, self.attempt)

    def remember_capacity(self, region: str, name: str, before: Capacity) -> None:
        """Note an ASG's capacity in the lock item before the run first changes it (see ``LeaseLock``)."""
        self.lock.record_asg_before(
            self.run_id, region=region, name=name, capacity=(before.minimum, before.desired, before.maximum)
        )

    def release_lock(self, outcome: str) -> str:
        """End the lease, keeping the journal."""
        self.release_lease.release(self.run_id, outcome)
        self.released = True
        return f"lock released, run marked {outcome}"

    def capacity_deadline(self) -> float:
        """Now + TARGET_CAPACITY_WAIT_SECONDS, capped by the Lambda's remaining time less a reserve."""
        deadline = self.clock() + TARGET_CAPACITY_WAIT_SECONDS
        return deadline if self.budget_deadline is None else min(deadline, self.budget_deadline)

    def promotion_deadline(self) -> float:
        """Now + PROMOTION_TIMEOUT_SECONDS, capped by the Lambda's remaining time less a reserve."""
        deadline = self.clock() + self.config.promotion_timeout_seconds
        if self.budget_deadline is not None and self.budget_deadline < deadline:
            LOG.warning("promotion deadline capped by the Lambda time budget")
            return self.budget_deadline
        return deadline

    def success_message(self, recovery_time: float) -> str:
        """Summary of a successful run, with the RTO comparison and any warnings."""
        config = self.config
        warnings = [s["name"] for s in self.steps if s["status"] == "warning"]
        rto = "within" if recovery_time <= config.rto_seconds else "EXCEEDING"
        message = (
            f"{self.request.mode} to {config.target_region} succeeded: {config.target_cluster_id} is the "
            f"writer and traffic is switched; recovery time {recovery_time:.1f} s {rto} the RTO of "
            f"{config.rto_seconds} s"
        )
        if self.ctx.promotion is not None:
            message += f"; promotion {self.ctx.promotion.describe()}"
        if self.end_to_end_seconds is not None:
            message += f"; end-to-end recovery {self.end_to_end_seconds:.1f} s from the {self.recovery_signal}"
        if self.resumed:
            message += f"; resumed unfinished run {self.resumed.run_id}"
        if warnings:
            message += f"; warnings in: {', '.join(warnings)}"
        return message

    def body(self, status: str, message: str, recovery_time: float | None = None) -> dict[str, Any]:
        """Notification body: the result so far."""
        body = self.snapshot(status, message, recovery_time)
        body["global_cluster_id"] = self.config.global_cluster_id
        return body


def _as_warning(action: Callable[[], str], what: str) -> str:
    """Run a best-effort action: any exception becomes a StepWarning."""
    try:
        return action()
    except StepWarning:
        raise
    except Exception as error:  # noqa: BLE001 - best effort by design
        raise StepWarning(f"{what}: {error_code(error)}: {error}") from error


def _round(value: float | None) -> float | None:
    """Round seconds to milliseconds; keep None."""
    return None if value is None else round(float(value), 3)
