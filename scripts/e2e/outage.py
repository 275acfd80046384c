"""The regional-disaster game day of `make e2e`: the primary region lost, automatic failover, Terraform during
the outage, the region back half-alive, re-protect, clean plans; measured as AWS Resilience Hub's Multi-Region
recovery test measures it (the RTO countdown starts with the fault; the test passes when the success criteria
return within the RTO and stay there).

The harness plays the AWS services the stack relies on but moto does not run, each by the documented rule in
``gameday.py``: EventBridge's schedules and alarm-state-change events (``EventBridge``), CloudWatch's alarm
evaluation (``evaluate_alarm``), Route53's health checkers and its failover answer (``Route53Model``), and the
region's ALB and app (``AppStandIn``). Every Lambda runs its real handler in its own process, as Lambda would.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import dr_contract as contract

from .checks import Checks, E2EFailure
from .gameday import (
    AlarmState,
    AppStandIn,
    Call,
    RegionGate,
    alarm_state_change_event,
    calculated_check_status,
    checked,
    evaluate_alarm,
    http_check_status,
    http_observation,
    metric_check_status,
    resolve_failover,
)

# Route53 health checkers observe from several locations; the harness's checkers all see the stand-in the same
# way (a regional outage is seen by every checker), so a handful model the 18% rule as well as the full fleet.
CHECKERS = 8
# How often the harness re-evaluates alarms and the success criteria (the probe alarm's period is 10 s).
TICK_SECONDS = 5.0
# Resilience Hub's Multi-Region recovery test: the success criteria must hold again within the RTO and stay there.
HOLD_SECONDS = 60.0
# The keeper and the probe run on EventBridge's finest schedule, rate(1 minute): "the minimum precision for
# schedules is 1 minute" (EventBridge User Guide, schedule expressions), so a rule runs once in each minute, not
# every 60 s from an arbitrary second. Aligning the harness to the minute keeps one keeper datapoint in each
# one-minute period; an unaligned 60 s tick plus a variable start-up time can leave a period empty.
RATE_SECONDS = 60.0
# The fence is kept while its newest datapoint is at most this many switch-metric periods old (one missed minute).
FENCE_MAX_AGE_PERIODS = 2
# A function without reserved concurrency runs every event at once (the account's pool is far larger).
THROTTLE_FREE = 1_000
ACCOUNT_ID = "123456789012"


def now_utc() -> datetime.datetime:
    return datetime.datetime.now(tz=datetime.UTC)


def match_pattern(pattern: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """EventBridge event pattern matching for the pattern forms the stack uses (EventBridge User Guide, "Event
    patterns"): a list of values matches a field equal to any of them; a nested object matches field by field;
    a field the pattern names must be present."""
    for key, wanted in pattern.items():
        if key not in event:
            return False
        value = event[key]
        if isinstance(wanted, Mapping):
            if not isinstance(value, Mapping) or not match_pattern(wanted, value):
                return False
        elif isinstance(wanted, list):
            if value not in wanted:
                return False
        else:
            raise ValueError(f"unsupported event pattern value for {key!r}: {wanted!r}")
    return True


def period_values(
    datapoints: Sequence[Mapping[str, Any]], stat: str, *, end: float, period: int, count: int
) -> list[float | None]:
    """The statistic of each of the ``count`` periods before ``end`` (aligned to the period), oldest first; None
    where a period has no datapoint (CloudWatch evaluates an alarm over whole periods)."""
    aligned = end - end % period
    starts = [aligned - period * (count - i) for i in range(count)]
    values: list[float | None] = []
    for start in starts:
        inside = [p for p in datapoints if start <= p["Timestamp"].timestamp() < start + period]
        values.append(float(inside[0][stat]) if inside else None)
    return values


def tick_wait(started: float, now: float, every: float, *, aligned: bool) -> float:
    """Seconds until the next tick of a loop whose call started at ``started`` and returned at ``now``: ``every``
    after the start, or (``aligned``) 1 s after the next boundary of ``every``."""
    wait = every - now % every + 1.0 if aligned else every - (now - started)
    return max(0.0, wait)


@dataclass
class HealthCheck:
    """One Route53 health check as the Terraform state describes it."""

    id: str
    type: str
    values: Mapping[str, Any]
    observations: list[bool] = field(default_factory=list)
    last_known: bool = True


class Route53Model:
    """Route53's health checkers and its answer for the failover record pair (Developer Guide rules in gameday.py).

    Route53's data plane (health checkers and DNS answers) runs outside the region that is lost; only its API is
    homed in us-east-1. The model therefore keeps working while the gate refuses every us-east-1 request: it reads
    the check configuration from the Terraform state, observes the app stand-ins itself and reads the alarm data
    streams of metric checks from the alarm's region.
    """

    def __init__(
        self, state_resources: Sequence[Mapping[str, Any]], stand_ins: Mapping[str, AppStandIn], cloud: Cloud
    ) -> None:
        self.cloud = cloud
        self.stand_ins = stand_ins
        albs = {
            r["values"]["dns_name"]: r["values"]["arn"].split(":")[3] for r in state_resources if r["type"] == "aws_lb"
        }
        self.checks: dict[str, HealthCheck] = {}
        self.fqdn_region: dict[str, str] = {}
        for resource in state_resources:
            if resource["type"] != "aws_route53_health_check":
                continue
            values = resource["values"]
            check = HealthCheck(values["id"], values["type"], values)
            self.checks[check.id] = check
            if values.get("fqdn") in albs:
                self.fqdn_region[check.id] = albs[values["fqdn"]]
        records = [
            r["values"]
            for r in state_resources
            if r["type"] == "aws_route53_record" and r["values"].get("failover_routing_policy")
        ]
        self.records = [
            {
                "failover": r["failover_routing_policy"][0]["type"],
                "health_check_id": r.get("health_check_id"),
                "name": r["name"],
                "set_identifier": r.get("set_identifier"),
            }
            for r in records
        ]
        if not self.records:
            # No hosted zone in this profile: the record pair dns.py creates with a domain (the PRIMARY record
            # carries the calculated check, the SECONDARY none), from the same health checks.
            calculated = next(c.id for c in self.checks.values() if c.type == "CALCULATED")
            self.records = [
                {"failover": "PRIMARY", "health_check_id": calculated, "name": "primary"},
                {"failover": "SECONDARY", "health_check_id": None, "name": "secondary"},
            ]
        self.lock = threading.Lock()

    def observe(self) -> None:
        """One round of HTTP(S) observations of every endpoint check (each checker sees the same stand-in)."""
        for check_id, region in self.fqdn_region.items():
            stand_in = self.stand_ins[region]
            try:
                with urllib.request.urlopen(stand_in.url, timeout=4) as response:  # noqa: S310 - loopback stand-in
                    status: int | None = int(response.status)
            except (urllib.error.URLError, OSError):
                status = None
            with self.lock:
                self.checks[check_id].observations.append(http_observation(status))

    def status(self) -> dict[str, bool]:
        """Every check's healthy/unhealthy status now, children before the calculated checks."""
        health: dict[str, bool] = {}
        with self.lock:
            for check in self.checks.values():
                if check.type in ("HTTP", "HTTPS"):
                    observations = check.observations[-int(check.values.get("failure_threshold") or 3) * 2 :]
                    health[check.id] = checked(
                        http_check_status(
                            [observations] * CHECKERS, failure_threshold=int(check.values.get("failure_threshold") or 3)
                        ),
                        inverted=bool(check.values.get("invert_healthcheck")),
                    )
            for check in self.checks.values():
                if check.type == "CLOUDWATCH_METRIC":
                    state, _sufficient = self.cloud.alarm_data_state(
                        check.values["cloudwatch_alarm_name"], check.values["cloudwatch_alarm_region"]
                    )
                    healthy = metric_check_status(
                        state,
                        insufficient_data_health_status=str(
                            check.values.get("insufficient_data_health_status") or "LastKnownStatus"
                        ),
                        last_known=check.last_known,
                    )
                    if state != "INSUFFICIENT_DATA":
                        check.last_known = healthy
                    health[check.id] = checked(healthy, inverted=bool(check.values.get("invert_healthcheck")))
            for check in self.checks.values():
                if check.type == "CALCULATED":
                    children = [health[c] for c in check.values.get("child_healthchecks") or []]
                    health[check.id] = checked(
                        calculated_check_status(
                            children, health_threshold=int(check.values.get("child_health_threshold") or 0)
                        ),
                        inverted=bool(check.values.get("invert_healthcheck")),
                    )
        return health

    def answer(self) -> str:
        """FAILOVER role of the record Route53 answers now: PRIMARY or SECONDARY."""
        return str(resolve_failover(self.records, self.status())["failover"]).upper()


class Cloud:
    """Reads of the emulator the harness makes as AWS's own services would (alarm data, alarms, rules)."""

    def __init__(self, endpoint: str) -> None:
        self.checks = Checks(endpoint)
        self._alarms: dict[tuple[str, str], dict[str, Any]] = {}

    def alarm(self, name: str, region: str) -> dict[str, Any]:
        key = (name, region)
        if key not in self._alarms:
            found = self.checks.client("cloudwatch", region).describe_alarms(AlarmNames=[name])["MetricAlarms"]
            if not found:
                raise E2EFailure(f"alarm {name} not found in {region}")
            self._alarms[key] = found[0]
        return self._alarms[key]

    def alarm_values(
        self, name: str, region: str, *, end: float | None = None, count: int | None = None
    ) -> list[float | None]:
        """The alarm's statistic per period over its evaluation range (or the last ``count`` periods), oldest
        first."""
        alarm = self.alarm(name, region)
        period = int(alarm["Period"])
        count = int(alarm["EvaluationPeriods"]) if count is None else count
        end = time.time() if end is None else end
        aligned = end - end % period
        stat = str(alarm["Statistic"])
        response = self.checks.client("cloudwatch", region).get_metric_statistics(
            Namespace=alarm["Namespace"],
            MetricName=alarm["MetricName"],
            Dimensions=alarm["Dimensions"],
            StartTime=datetime.datetime.fromtimestamp(aligned - period * (count + 1), tz=datetime.UTC),
            EndTime=datetime.datetime.fromtimestamp(aligned + period, tz=datetime.UTC),
            Period=period,
            Statistics=[stat],
        )
        return period_values(response["Datapoints"], stat, end=end, period=period, count=count)

    def evaluate(self, name: str, region: str, current: AlarmState) -> AlarmState:
        """The alarm's state by CloudWatch's rules over its latest complete periods."""
        alarm = self.alarm(name, region)
        return evaluate_alarm(
            self.alarm_values(name, region),
            threshold=float(alarm["Threshold"]),
            comparison=str(alarm["ComparisonOperator"]),
            evaluation_periods=int(alarm["EvaluationPeriods"]),
            datapoints_to_alarm=alarm.get("DatapointsToAlarm"),
            treat_missing_data=str(alarm.get("TreatMissingData") or "missing"),
            current=current,
        )

    def newest_datapoint(self, name: str, region: str, *, periods: int) -> tuple[float, float] | None:
        """The newest datapoint of the alarm's metric within the last ``periods`` periods: (value, age in s)."""
        alarm = self.alarm(name, region)
        now = time.time()
        response = self.checks.client("cloudwatch", region).get_metric_statistics(
            Namespace=alarm["Namespace"],
            MetricName=alarm["MetricName"],
            Dimensions=alarm["Dimensions"],
            StartTime=datetime.datetime.fromtimestamp(now - int(alarm["Period"]) * (periods + 1), tz=datetime.UTC),
            EndTime=datetime.datetime.fromtimestamp(now + int(alarm["Period"]), tz=datetime.UTC),
            Period=int(alarm["Period"]),
            Statistics=[str(alarm["Statistic"])],
        )
        points = sorted(response["Datapoints"], key=lambda p: p["Timestamp"])
        if not points:
            return None
        newest = points[-1]
        return float(newest[str(alarm["Statistic"])]), now - newest["Timestamp"].timestamp()

    def alarm_data_state(self, name: str, region: str) -> tuple[AlarmState, bool]:
        """What Route53 reads for a metric check: "Route 53 monitors the data stream for the corresponding alarm
        instead of monitoring the alarm state" (Developer Guide, health checks that monitor CloudWatch alarms):
        the alarm's rule over its data with missing data as missing, so a silent stream is INSUFFICIENT_DATA
        whatever ``treat_missing_data`` says. The current (partial) period counts too: Route53 sees a datapoint
        as soon as it is published. Returns (state, sufficient)."""
        alarm = self.alarm(name, region)
        period = int(alarm["Period"])
        values = self.alarm_values(name, region, end=time.time() + period, count=2)
        present = [v for v in values if v is not None]
        if not present:
            return "INSUFFICIENT_DATA", False
        latest = present[-1]
        state = evaluate_alarm(
            [latest],
            threshold=float(alarm["Threshold"]),
            comparison=str(alarm["ComparisonOperator"]),
            evaluation_periods=1,
        )
        return state, True


@dataclass
class Invocation:
    """One Lambda invocation the harness made."""

    at: float
    function: str
    event: Mapping[str, Any]
    result: Mapping[str, Any] | None = None
    error: str | None = None
    ended: float | None = None
    queued: float | None = None
    """When the event arrived, if it was throttled before this invocation started."""

    def describe(self) -> str:
        took = f"{self.ended - self.at:.1f} s" if self.ended is not None else "still running"
        waited = f", throttled {self.at - self.queued:.1f} s first" if self.queued is not None else ""
        outcome = f"error: {self.error[-300:]}" if self.error else f"result {str(self.result)[:160]}"
        return f"{time.strftime('%H:%M:%S', time.gmtime(self.at))}Z {self.function}: {took}{waited}; {outcome}"


class EventBridge:
    """The stack's EventBridge rules as the service runs them: every rate(1 minute) rule's targets once a minute,
    and the targets of each rule whose event pattern matches an alarm state change (EventBridge User Guide: a
    target with a constant Input receives that Input instead of the event)."""

    def __init__(
        self,
        cloud: Cloud,
        functions: Mapping[str, Any],
        invoke: Callable[[Any, dict[str, Any]], dict[str, Any]],
        regions: Sequence[str],
        gate: RegionGate,
    ) -> None:
        self.cloud = cloud
        self.functions_by_arn = {f.arn: f for f in functions.values()}
        self.invoke = invoke
        self.gate = gate
        self.scheduled: list[tuple[str, Any, dict[str, Any]]] = []
        self.patterned: list[tuple[str, dict[str, Any], Any, dict[str, Any] | None]] = []
        for region in regions:
            events = cloud.checks.client("events", region)
            for rule in events.list_rules()["Rules"]:
                if rule.get("State") != "ENABLED":
                    continue
                for target in events.list_targets_by_rule(Rule=rule["Name"])["Targets"]:
                    function = self.functions_by_arn.get(target["Arn"])
                    if function is None:
                        continue
                    payload = json.loads(target["Input"]) if target.get("Input") else None
                    if rule.get("ScheduleExpression") == "rate(1 minute)":
                        self.scheduled.append((rule["Name"], function, payload or {}))
                    elif rule.get("EventPattern"):
                        self.patterned.append((rule["Name"], json.loads(rule["EventPattern"]), function, payload))
        self.invocations: list[Invocation] = []
        self.lock = threading.Lock()
        self._running: dict[str, int] = {}
        self.paused: set[str] = set()
        self.closed = threading.Event()

    def _run(self, function: Any, event: dict[str, Any], queued: float | None = None) -> Invocation:
        record = Invocation(time.time(), function.name, event, queued=queued)
        with self.lock:
            self.invocations.append(record)
        if function.region in self.gate.cut:
            record.error = "not invoked: its region is cut off"
            return record
        try:
            record.result = self.invoke(function, event)
        except Exception as error:  # noqa: BLE001 - a crashed invocation is recorded, Lambda would retry it
            record.error = str(error)[-2000:]
        record.ended = time.time()
        if (
            "mode" in event
            and event.get("trigger") != "automatic_recheck"
            or (record.result and record.result.get("status") not in ("not_triggered", None))
        ):
            outcome = (
                record.error
                or f"{(record.result or {}).get('status')}: {str((record.result or {}).get('message'))[:400]}"
            )
            print(
                f"  game day {time.strftime('%H:%M:%S')}: {function.name} {event.get('trigger', '')}: {outcome}",
                flush=True,
            )
        return record

    def _start(self, name: str, function: Any, event: dict[str, Any]) -> None:
        """Invoke ``function`` asynchronously, as EventBridge does, within its reserved concurrency: an event that
        finds every reserved execution busy is throttled and Lambda "returns the event to the queue and attempts
        to run the function again for up to 6 hours. The retry interval increases exponentially from 1 second
        after the first attempt to a maximum of 5 minutes" (Lambda Developer Guide, asynchronous invocation),
        bounded here by the function's maximum event age."""
        with self.lock:
            if function.name in self.paused:
                return

        def run() -> None:
            arrived, delay = time.time(), 1.0
            while not self.closed.is_set():
                with self.lock:
                    running = self._running.get(function.name, 0)
                    if running < (function.reserved_concurrency or THROTTLE_FREE):
                        self._running[function.name] = running + 1
                        break
                if time.time() + delay - arrived > (function.maximum_event_age or 21_600):
                    with self.lock:
                        self.invocations.append(
                            Invocation(time.time(), function.name, event, error="dropped: maximum event age")
                        )
                    return
                self.closed.wait(delay)
                delay = min(delay * 2, 300.0)
            else:
                return
            try:
                self._run(function, event, queued=arrived if time.time() - arrived > 0.5 else None)
            finally:
                with self.lock:
                    self._running[function.name] -= 1

        threading.Thread(target=run, daemon=True, name=f"eventbridge-{name}").start()

    def tick_schedule(self) -> None:
        for name, function, payload in self.scheduled:
            self._start(name, function, payload)

    def alarm_changed(self, event: dict[str, Any]) -> list[str]:
        """Deliver an alarm state-change event to the targets of every matching rule; the rule names."""
        matched = []
        for name, pattern, function, payload in self.patterned:
            if match_pattern(pattern, event):
                matched.append(name)
                self._start(name, function, payload if payload is not None else event)
        return matched

    def results(self, function_name: str, since: float = 0.0) -> list[Invocation]:
        with self.lock:
            return [i for i in self.invocations if i.function == function_name and i.at >= since]


@dataclass
class Criteria:
    """The recovery region's success criteria at one instant."""

    writer: bool
    capacity: bool
    fenced: bool
    dns: str
    detail: str

    def hold(self, serving: str) -> bool:
        return self.writer and self.capacity and self.fenced and self.dns == serving


class World:
    """The running game day: stand-ins, the Route53 model, EventBridge and the alarm evaluator, on a clock."""

    def __init__(
        self,
        endpoint: str,
        gate: RegionGate,
        state_resources: Sequence[Mapping[str, Any]],
        functions: Mapping[str, Any],
        orchestrators: Mapping[str, Any],
        invoke: Callable[[Any, dict[str, Any], Mapping[str, str] | None], dict[str, Any]],
        regions: tuple[str, str],
    ) -> None:
        self.primary, self.secondary = regions
        self.gate = gate
        self.cloud = Cloud(endpoint)
        self.stand_ins = {region: AppStandIn(region) for region in regions}
        self.route53 = Route53Model(state_resources, self.stand_ins, self.cloud)
        self.orchestrators = orchestrators
        self.functions = functions
        probe = next((f for f in functions.values() if f.handler.startswith("dr_probe")), None)
        if probe is None:
            raise E2EFailure("the game day needs the automatic failover's probe function (DR_FAILOVER_AUTOMATIC)")
        self.probe = probe
        probe_url = self.stand_ins[self.primary].url

        def invoke_as_lambda(function: Any, event: dict[str, Any]) -> dict[str, Any]:
            # The probe's URL is the primary ALB's: here its stand-in.
            overrides = {contract.PROBE_URL: probe_url} if function.name == probe.name else None
            return invoke(function, event, overrides)

        self.invoke = invoke_as_lambda
        self.events = EventBridge(self.cloud, functions, invoke_as_lambda, regions, gate)
        self.watched_alarms = [
            (
                str(
                    probe.variables.get(contract.PROBE_ALARM_NAME)
                    or orchestrators[self.secondary].variables[contract.PROBE_ALARM_NAME]
                ),
                self.secondary,
            ),
        ]
        self.alarm_states: dict[tuple[str, str], AlarmState] = {}
        self.transitions: list[tuple[float, str, str, str, list[str]]] = []
        self.lag_ms = 0.0
        self.cut_at: float | None = None
        self.timeline: list[tuple[float, str]] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # --- running ------------------------------------------------------------------------------------------------

    def note(self, what: str) -> None:
        self.timeline.append((time.time(), what))
        print(f"  game day {time.strftime('%H:%M:%S')}: {what}", flush=True)

    @contextlib.contextmanager
    def running(self) -> Iterator[World]:
        loops = [
            ("eventbridge-schedule", RATE_SECONDS, self.events.tick_schedule),
            (
                "route53-checkers",
                float(next(iter(self.route53.checks.values())).values.get("request_interval") or 10),
                self.route53.observe,
            ),
            ("cloudwatch-alarms", self._alarm_period(), self._evaluate_alarms),
        ]
        for name, every, call in loops:
            aligned = name in ("cloudwatch-alarms", "eventbridge-schedule")
            thread = threading.Thread(target=self._loop, args=(every, call, aligned), daemon=True, name=name)
            thread.start()
            self._threads.append(thread)
        try:
            yield self
        finally:
            self._stop.set()
            self.events.closed.set()
            for thread in self._threads:
                thread.join(timeout=10)
            for stand_in in self.stand_ins.values():
                stand_in.stop()

    def _alarm_period(self) -> float:
        return float(min(int(self.cloud.alarm(name, region)["Period"]) for name, region in self.watched_alarms))

    def _loop(self, every: float, call: Callable[[], None], aligned: bool = False) -> None:
        """Call every ``every`` seconds; ``aligned``: 1 s after each period boundary (CloudWatch evaluates an
        alarm once per period, on the periods that have ended; EventBridge runs a schedule once per minute)."""
        while not self._stop.is_set():
            started = time.time()
            try:
                call()
            except Exception as error:  # noqa: BLE001 - a failed tick is reported, the next one runs
                print(f"  game day: {call.__qualname__} failed: {error}", flush=True)
            self._stop.wait(tick_wait(started, time.time(), every, aligned=aligned))

    def _evaluate_alarms(self) -> None:
        from .extensions import publish_replication_lag

        if self.cut_at is not None:
            # Nothing replicates while the primary region is lost: the lag the surviving secondary reports grows
            # with the outage (Aurora publishes it from the secondary cluster, in the secondary region).
            publish_replication_lag(ACCOUNT_ID, self.lag_ms + (time.time() - self.cut_at) * 1000.0)
        for name, region in self.watched_alarms:
            key = (name, region)
            current: AlarmState = self.alarm_states.get(key, "INSUFFICIENT_DATA")
            state = self.cloud.evaluate(name, region, current)
            if state == current:
                continue
            self.alarm_states[key] = state
            cloudwatch = self.cloud.checks.client("cloudwatch", region)
            cloudwatch.set_alarm_state(
                AlarmName=name, StateValue=state, StateReason="e2e: evaluated by CloudWatch's rules"
            )
            stamp = now_utc().isoformat()
            event = alarm_state_change_event(
                alarm_name=name,
                account=ACCOUNT_ID,
                region=region,
                state=state,
                previous=current,  # type: ignore[arg-type]
                reason="e2e evaluation",
                time=stamp,
            )
            rules = self.events.alarm_changed(event)
            self.transitions.append((time.time(), name, current, state, rules))
            self.note(
                f"alarm {name}: {current} -> {state}"
                + (f"; EventBridge rule(s) {', '.join(rules)} invoked" if rules else "")
            )

    # --- the outage ------------------------------------------------------------------------------------------

    def cut(self, lag_ms: float) -> float:
        """Lose the primary region: every request signed for it is refused, its app stops answering."""
        self.lag_ms = lag_ms
        self.gate.watched.add(self.primary)
        self.gate.cut.add(self.primary)
        self.stand_ins[self.primary].up = False
        self.cut_at = time.time()
        self.note(f"{self.primary} cut off: every endpoint refuses, its app stops answering")
        return self.cut_at

    def restore(self) -> None:
        """The region answers again and its app is healthy."""
        self.gate.cut.discard(self.primary)
        self.stand_ins[self.primary].up = True
        self.cut_at = None
        self.note(f"{self.primary} answers again, its app healthy")

    # --- the success criteria ---------------------------------------------------------------------------------

    def criteria(self, serving: str) -> Criteria:
        checks = self.cloud.checks
        secondary_fn = self.orchestrators[serving]
        rds = checks.client("rds", self.secondary)
        cluster = rds.describe_global_clusters(GlobalClusterIdentifier=secondary_fn.variables["GLOBAL_CLUSTER_ID"])[
            "GlobalClusters"
        ][0]
        writers = [m["DBClusterArn"] for m in cluster["GlobalClusterMembers"] if m["IsWriter"]]
        writer = writers == [secondary_fn.variables["TARGET_CLUSTER_ARN"]] and not cluster.get("FailoverState")
        asg = checks.asg(secondary_fn)
        want_min, want_desired = (
            int(secondary_fn.variables["FAILOVER_CAPACITY_MIN"]),
            int(secondary_fn.variables["FAILOVER_CAPACITY_DESIRED"]),
        )
        capacity = asg["min"] >= want_min and asg["desired"] >= want_desired and asg["in_service"] >= want_desired
        switch_alarm = self.route53_switch_alarm()
        # The fence is kept when its newest datapoint says 1 and is at most FENCE_MAX_AGE_PERIODS periods old: the
        # keeper publishes once a minute, and one late or missed minute is what Route53's LastKnownStatus covers;
        # a keeper that stopped lets it age past that.
        period = float(self.cloud.alarm(*switch_alarm)["Period"])
        newest = self.cloud.newest_datapoint(*switch_alarm, periods=FENCE_MAX_AGE_PERIODS + 1)
        fenced = newest is not None and newest[0] >= 1 and newest[1] <= FENCE_MAX_AGE_PERIODS * period
        dns = self.route53.answer()
        fence = (
            "none published"
            if newest is None
            else f"{'current' if fenced else 'NOT current'}, {newest[0]:g} published {newest[1]:.0f} s ago"
        )
        detail = (
            f"writer {'ok' if writer else writers}; ASG {asg['min']}/{asg['desired']}/{asg['max']} "
            f"({asg['in_service']} in service); fence {fence}; DNS {dns}"
        )
        return Criteria(writer, capacity, fenced, dns, detail)

    def route53_switch_alarm(self) -> tuple[str, str]:
        check = next(c for c in self.route53.checks.values() if c.type == "CLOUDWATCH_METRIC")
        return str(check.values["cloudwatch_alarm_name"]), str(check.values["cloudwatch_alarm_region"])

    def wait_recovered(self, serving: str, *, deadline_seconds: float) -> tuple[float, Criteria]:
        """Poll until the criteria hold (the time from the cut), then require them for HOLD_SECONDS."""
        assert self.cut_at is not None
        started = self.cut_at
        last: Criteria | None = None
        while time.time() - started < deadline_seconds:
            last = self.criteria(serving)
            if last.hold("SECONDARY"):
                recovered = time.time() - started
                self.note(f"success criteria hold {recovered:.0f} s after the cut: {last.detail}")
                self.hold(serving, HOLD_SECONDS, "the minute after recovery")
                return recovered, last
            time.sleep(TICK_SECONDS)
        raise E2EFailure(
            f"not recovered {deadline_seconds:.0f} s after the cut: {last.detail if last else 'no reading'}"
        )

    def hold(self, serving: str, seconds: float, what: str) -> Criteria:
        """The success criteria hold at every tick for ``seconds``."""
        end = time.time() + seconds
        current = self.criteria(serving)
        while True:
            if not current.hold("SECONDARY"):
                recent = [i.describe() for i in self.events.invocations[-12:] if "keeper" in i.function]
                raise E2EFailure(
                    f"success criteria lost during {what}: {current.detail}; the keeper's last invocations: "
                    + ("; ".join(recent) or "none")
                )
            if time.time() >= end:
                return current
            time.sleep(TICK_SECONDS)
            current = self.criteria(serving)

    def calls_into(self, region: str) -> list[Call]:
        with self.gate.lock:
            return [c for c in self.gate.calls if c.region == region]

    def route53_interval(self) -> float:
        """The HTTP checks' RequestInterval (seconds between a checker's observations)."""
        return max(
            float(c.values.get("request_interval") or 30)
            for c in self.route53.checks.values()
            if c.type.startswith("HTTP")
        )

    def wait_answer(self, wanted: str, *, seconds: float) -> str:
        """Wait until Route53 answers the ``wanted`` record of the pair; E2EFailure after ``seconds``."""
        end = time.time() + seconds
        while True:
            answer = self.route53.answer()
            if answer == wanted or time.time() >= end:
                break
            time.sleep(TICK_SECONDS)
        if answer != wanted:
            raise E2EFailure(f"DNS answers {answer} {seconds:.0f} s on, expected {wanted}: {self.route53.status()}")
        return answer


# --- the game day ---------------------------------------------------------------------------------------------


@dataclass
class GameDayReport:
    """What the game day prints at the end."""

    cut_at: float = 0.0
    recovered_seconds: float | None = None
    data_loss_ms: float | None = None
    dns: list[tuple[str, str]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def render(self, budget: Mapping[str, Any], timeline: Sequence[tuple[float, str]]) -> str:
        rto = budget.get("rto_minutes", {})
        rpo = budget.get("rpo_minutes", {})
        out = ["game day (regional disaster): timeline from the cut"]
        out += [f"  {at - self.cut_at:+7.1f} s  {what}" for at, what in timeline]
        out.append(
            f"  measured recovery time: {self.recovered_seconds:.1f} s from the cut to the success criteria holding "
            f"(and still holding {HOLD_SECONDS:.0f} s later); modelled worst case {rto.get('worst_case_seconds')} s, "
            f"objective {rto.get('objective_seconds')} s"
            if self.recovered_seconds is not None
            else "  not recovered"
        )
        out.append(
            f"  data-loss window: {self.data_loss_ms:.0f} ms (the replication lag reported at the cut; the emulator "
            f"holds no data, the figure is the lag the harness published as Aurora would); modelled worst case "
            f"{rpo.get('worst_case_seconds')} s, objective {rpo.get('objective_seconds')} s"
            if self.data_loss_ms is not None
            else "  data-loss window: unknown"
        )
        out.append("  DNS answer (failover record) by phase:")
        out += [f"    {phase}: {answer}" for phase, answer in self.dns]
        out.append("  calls into the lost region (caller: service operation x count, outcome):")
        out += [f"    {line}" for line in self.calls] or ["    none"]
        out += [f"  {line}" for line in self.lines]
        out.append(
            "  emulator differences: RDS promotes at once and holds no data (the promotion term is not measured); "
            "no DNS resolver caches (the TTL term is not measured); Route53's checkers, CloudWatch's alarm "
            "evaluation and EventBridge are played by the harness by their documented rules; the probe's URL is "
            "the primary app stand-in's"
        )
        return "\n".join(out)


def summarize_calls(calls: Sequence[Call]) -> list[str]:
    counted: dict[tuple[str, str, str, str], int] = {}
    for call in calls:
        key = (call.caller, call.service, call.operation, call.outcome)
        counted[key] = counted.get(key, 0) + 1
    return [
        f"{caller}: {service} {operation} x{count}, {outcome}"
        for (caller, service, operation, outcome), count in sorted(counted.items())
    ]


def edit_stack(stack_dir: Any, change: Callable[[dict[str, Any]], str]) -> str:
    """Change the synthesized stack as a re-synth with a changed setting would; returns what changed."""
    path = stack_dir / "cdk.tf.json"
    document = json.loads(path.read_text())
    what = change(document)
    path.write_text(json.dumps(document, indent=2))
    return what


def larger_secondary_instances(document: dict[str, Any]) -> str:
    """The outage change: the surviving region's app instances one size up (its launch template and the ASG that
    rolls it out), the kind of change an operator makes while the region carries all the traffic."""
    templates = document["resource"]["aws_launch_template"]
    address, template = next((k, v) for k, v in templates.items() if v.get("provider") == "aws.secondary")
    before = template["instance_type"]
    family, _, size = before.partition(".")
    larger = {"nano": "micro", "micro": "small", "small": "medium", "medium": "large", "large": "xlarge"}
    template["instance_type"] = f"{family}.{larger.get(size, size)}"
    return f"aws_launch_template.{address}: instance_type {before} -> {template['instance_type']}"


def targets_of_outage_change(document: Mapping[str, Any]) -> list[str]:
    """-target addresses of the outage change: the secondary launch template and the ASG that uses it."""
    resources = document["resource"]
    template = next(k for k, v in resources["aws_launch_template"].items() if v.get("provider") == "aws.secondary")
    group = next(k for k, v in resources["aws_autoscaling_group"].items() if v.get("provider") == "aws.secondary")
    return [f"aws_launch_template.{template}", f"aws_autoscaling_group.{group}"]


def expect_completed(result: Mapping[str, Any] | None, what: str, allowed: Sequence[str]) -> str:
    if result is None or result.get("status") not in allowed:
        raise E2EFailure(f"{what}: expected status in {list(allowed)}, got {result}")
    return str(result.get("status"))


def automatic_runs(world: World, since: float) -> list[Invocation]:
    secondary = world.orchestrators[world.secondary]
    return [
        i
        for i in world.events.results(secondary.name, since)
        if str(i.event.get("trigger", "")).startswith("automatic")
    ]


def expect_old_primary_reads(checks: Checks, functions: Mapping[str, Any], primary: str) -> list[str]:
    """The old primary never takes writes after the failover: its cluster is a read-only member of the global
    cluster, replicating from the new writer ("the old primary ... rejoins as a secondary", Aurora User Guide,
    recovering a global database from an unplanned outage)."""
    old = functions[primary].variables
    old_id = contract.cluster_identifier_of(old["TARGET_CLUSTER_ARN"])
    cluster = checks.client("rds", primary).describe_db_clusters(DBClusterIdentifier=old_id)["DBClusters"][0]
    members = checks.global_cluster(functions)["GlobalClusterMembers"]
    member = next((m for m in members if m["DBClusterArn"] == old["TARGET_CLUSTER_ARN"]), None)
    if member is None or member["IsWriter"]:
        raise E2EFailure(f"old primary {old_id}: member {member}, expected a reader member")
    source = cluster.get("ReplicationSourceIdentifier")
    writer = next(m["DBClusterArn"] for m in members if m["IsWriter"])
    if source != writer:
        raise E2EFailure(f"old primary replicates from {source!r}, expected the new writer {writer}")
    return [f"old primary {old_id}: reader member, replicating from the new writer"]
