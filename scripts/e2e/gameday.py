"""Regional-disaster game day pieces: the region cut-off, the app stand-ins, CloudWatch's alarm rules, Route53's
health-check and failover-answer rules, and the EventBridge alarm event.

Each piece follows the AWS documentation it names, so the harness can run the outage offline:

- ``RegionGate``: a WSGI middleware in front of the emulator that, for a region that is cut off, answers no request
  signed for it (the SigV4 credential scope names the region; Route53 and IAM sign for us-east-1, so losing
  us-east-1 loses their control planes too): the connection is closed without a response, as a client sees a
  regional outage. It logs every request into a watched region (service, operation, outcome).
- ``AppStandIn``: a loopback HTTP server per region standing in for its ALB and app; when down it closes each
  connection without answering.
- ``evaluate_alarm``: CloudWatch User Guide, "Evaluating an alarm" and "Configuring how CloudWatch alarms treat
  missing data".
- ``http_check_status``, ``metric_check_status``, ``calculated_check_status``, ``resolve_failover``: Route53
  Developer Guide, "How Amazon Route 53 determines whether a health check is healthy" and "Failover routing".
- ``alarm_state_change_event``: the "CloudWatch Alarm State Change" event EventBridge delivers (CloudWatch User
  Guide, "Alarm events and EventBridge").
"""

from __future__ import annotations

import re
import socket
import threading
import urllib.parse
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from typing import Any, Literal

# --- the cut-off ------------------------------------------------------------------------------------------------

_SCOPE = re.compile(r"Credential=([^/]+)/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")
REFUSED = "refused (connection closed, no response)"
# Global services whose control plane AWS homes in us-east-1: their requests fail with that region whatever region
# the client signs for (botocore signs a custom endpoint with the client's region; AWS's own endpoints
# route53.amazonaws.com and iam.amazonaws.com are in us-east-1, "Global services", AWS General Reference).
GLOBAL_SERVICE_REGION = "us-east-1"
GLOBAL_SERVICES = frozenset({"route53", "iam"})
ANSWERED = "answered"


def credential_scope(authorization: str) -> tuple[str, str] | None:
    """(region, service) of a SigV4 Authorization header ("Credential=<key>/<date>/<region>/<service>/aws4_request",
    Signature Version 4 signing process), or None when the request is not signed that way; a global service's
    region is the one its control plane lives in (``GLOBAL_SERVICES``)."""
    match = _SCOPE.search(authorization or "")
    if not match:
        return None
    service = match.group(3)
    return (GLOBAL_SERVICE_REGION if service in GLOBAL_SERVICES else match.group(2)), service


def access_key_of(authorization: str) -> str | None:
    """The access key id a SigV4 Authorization header names (the harness gives each invoked function its own,
    so a call is attributed to its caller even when several run at once)."""
    match = _SCOPE.search(authorization or "")
    return match.group(1) if match else None


def operation_of(environ: Mapping[str, Any], body: bytes) -> str:
    """The API operation of a request: X-Amz-Target (JSON protocols), the Action parameter (query protocol), else
    the method and path (REST protocols)."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return str(target).split(".")[-1]
    for source in (environ.get("QUERY_STRING", ""), body.decode("utf-8", "replace")):
        action = urllib.parse.parse_qs(source).get("Action")
        if action:
            return action[0]
    return f"{environ.get('REQUEST_METHOD', '?')} {environ.get('PATH_INFO', '/')}"


@dataclass(frozen=True)
class Call:
    """One request into a watched region."""

    region: str
    service: str
    operation: str
    outcome: str
    caller: str


@dataclass
class RegionGate:
    """WSGI middleware: requests signed for a region in ``cut`` get no answer; requests into ``watched`` are
    logged with their caller: the harness's name for the request's access key (``callers``), else ``caller``."""

    app: Callable[..., Any]
    cut: set[str] = field(default_factory=set)
    watched: set[str] = field(default_factory=set)
    calls: list[Call] = field(default_factory=list)
    caller: str = "terraform/harness"
    callers: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        scope = credential_scope(environ.get("HTTP_AUTHORIZATION", ""))
        if scope is None or (scope[0] not in self.cut and scope[0] not in self.watched):
            return self.app(environ, start_response)
        region, service = scope
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = BytesIO(body)
        refused = region in self.cut
        key = access_key_of(environ.get("HTTP_AUTHORIZATION", "")) or ""
        with self.lock:
            caller = self.callers.get(key, self.caller)
            self.calls.append(
                Call(region, service, operation_of(environ, body), REFUSED if refused else ANSWERED, caller)
            )
        if not refused:
            return self.app(environ, start_response)
        connection = environ.get("werkzeug.socket")
        if connection is not None:
            # The client sees the connection drop with nothing sent, as when the region's endpoint is gone.
            connection.shutdown(socket.SHUT_RDWR)
        start_response("503 Service Unavailable", [("Content-Length", "0")])
        return [b""]

    def calls_by(self, caller_prefix: str) -> list[Call]:
        """The logged calls whose caller starts with ``caller_prefix``."""
        with self.lock:
            return [c for c in self.calls if c.caller.startswith(caller_prefix)]


# --- the application stand-in ----------------------------------------------------------------------------------


class AppStandIn:
    """A region's ALB and app on a loopback port: 200 on every GET while up; while down each connection is closed
    without an answer (the probe and the HTTPS health check see no response)."""

    def __init__(self, region: str) -> None:
        self.region = region
        self.up = True
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                if not stand_in.up:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                body = f"ok {stand_in.region}\n".encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's name
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/health"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- CloudWatch alarm evaluation -------------------------------------------------------------------------------

AlarmState = Literal["OK", "ALARM", "INSUFFICIENT_DATA"]
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
    "GreaterThanThreshold": lambda v, t: v > t,
    "LessThanThreshold": lambda v, t: v < t,
    "LessThanOrEqualToThreshold": lambda v, t: v <= t,
}


def evaluate_alarm(
    datapoints: Sequence[float | None],
    *,
    threshold: float,
    comparison: str,
    evaluation_periods: int,
    datapoints_to_alarm: int | None = None,
    treat_missing_data: str = "missing",
    current: AlarmState = "INSUFFICIENT_DATA",
) -> AlarmState:
    """The alarm's state from its metric's per-period values, oldest first (None: no datapoint in that period).

    CloudWatch User Guide, "Evaluating an alarm": the alarm looks at the most recent ``evaluation_periods``
    periods and goes to ALARM when ``datapoints_to_alarm`` (M, default N) of them breach; "Configuring how
    CloudWatch alarms treat missing data": ``notBreaching`` counts a missing point as within the threshold,
    ``breaching`` as breaching, ``ignore`` keeps the current state when every point is missing, ``missing`` goes
    to INSUFFICIENT_DATA when every point in the evaluation range is missing and otherwise decides on the points
    present.
    """
    if treat_missing_data not in ("missing", "ignore", "breaching", "notBreaching"):
        raise ValueError(
            f"treat_missing_data must be missing, ignore, breaching or notBreaching, got {treat_missing_data!r}"
        )
    wanted = evaluation_periods if datapoints_to_alarm is None else datapoints_to_alarm
    if not 1 <= wanted <= evaluation_periods:
        raise ValueError(f"datapoints_to_alarm must be 1..evaluation_periods ({evaluation_periods}), got {wanted}")
    breaches = _COMPARE[comparison]
    recent: list[float | None] = list(datapoints[-evaluation_periods:])
    padding: list[float | None] = [None] * (evaluation_periods - len(recent))
    window = padding + recent
    present = [v for v in window if v is not None]
    missing = len(window) - len(present)
    if not present and treat_missing_data in ("missing", "ignore"):
        return "INSUFFICIENT_DATA" if treat_missing_data == "missing" else current
    breaching = sum(1 for v in present if breaches(v, threshold))
    if treat_missing_data == "breaching":
        breaching += missing
    return "ALARM" if breaching >= wanted else "OK"


def alarm_state_change_event(
    *,
    alarm_name: str,
    account: str,
    region: str,
    state: AlarmState,
    previous: AlarmState,
    reason: str,
    time: str,
    configuration: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The event EventBridge delivers when an alarm changes state (CloudWatch User Guide, "Alarm events and
    EventBridge": source aws.cloudwatch, detail-type "CloudWatch Alarm State Change", resources the alarm ARN,
    detail alarmName, state, previousState, configuration)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch",
        "account": account,
        "time": time,
        "region": region,
        "resources": [f"arn:aws:cloudwatch:{region}:{account}:alarm:{alarm_name}"],
        "detail": {
            "alarmName": alarm_name,
            "state": {"value": state, "reason": reason, "timestamp": time},
            "previousState": {"value": previous, "reason": "", "timestamp": time},
            "configuration": dict(configuration or {}),
        },
    }


# --- Route53 health checks and the failover answer ------------------------------------------------------------

# Route53 Developer Guide: an endpoint is healthy if more than 18% of the health checkers report it healthy.
HEALTHY_CHECKER_FRACTION = 0.18


def http_observation(status: int | None) -> bool:
    """One checker's observation of an HTTP(S) check: healthy when the endpoint answered with a 2xx or 3xx status
    (Route53 Developer Guide: the connection within four seconds, then 2xx/3xx within two seconds)."""
    return status is not None and 200 <= status < 400


def http_check_status(observations_by_checker: Iterable[Sequence[bool]], *, failure_threshold: int) -> bool:
    """An HTTP(S) health check's status: each checker's view changes only after ``failure_threshold`` consecutive
    observations disagree with it (FailureThreshold, starting healthy), and the check is healthy when more than
    18% of the checkers consider the endpoint healthy."""
    views = []
    for observations in observations_by_checker:
        view, streak = True, 0
        for observed in observations:
            streak = streak + 1 if observed != view else 0
            if streak >= failure_threshold:
                view, streak = observed, 0
        views.append(view)
    if not views:
        raise ValueError("at least one health checker is needed")
    return sum(views) / len(views) > HEALTHY_CHECKER_FRACTION


def metric_check_status(alarm_state: AlarmState, *, insufficient_data_health_status: str, last_known: bool) -> bool:
    """A CLOUDWATCH_METRIC check: unhealthy while the alarm is ALARM, healthy while OK; in INSUFFICIENT_DATA it
    takes InsufficientDataHealthStatus (Healthy, Unhealthy, or LastKnownStatus: the status before)."""
    if alarm_state == "ALARM":
        return False
    if alarm_state == "OK":
        return True
    choices = {"Healthy": True, "Unhealthy": False, "LastKnownStatus": last_known}
    if insufficient_data_health_status not in choices:
        raise ValueError(
            "InsufficientDataHealthStatus must be Healthy, Unhealthy or LastKnownStatus, "
            f"got {insufficient_data_health_status!r}"
        )
    return choices[insufficient_data_health_status]


def calculated_check_status(children: Sequence[bool], *, health_threshold: int) -> bool:
    """A CALCULATED check: healthy when at least HealthThreshold of its child checks are healthy (0: always
    healthy)."""
    if not 0 <= health_threshold <= 256:
        raise ValueError(f"HealthThreshold must be 0..256, got {health_threshold}")
    return sum(children) >= health_threshold


def checked(status: bool, *, inverted: bool) -> bool:
    """Inverted: Route53 reports the opposite of the check's own result."""
    return not status if inverted else status


def resolve_failover(records: Sequence[Mapping[str, Any]], health: Mapping[str, bool]) -> Mapping[str, Any]:
    """The record Route53 answers for a failover pair: the PRIMARY while it is healthy, else the SECONDARY while
    that is healthy; a record without a health check is always healthy; when neither is healthy Route53 treats
    both as healthy and answers the PRIMARY (Developer Guide, "How health checks work in simple Amazon Route 53
    configurations" and "Failover routing")."""
    by_role = {str(r["failover"]).upper(): r for r in records}
    if set(by_role) != {"PRIMARY", "SECONDARY"}:
        raise ValueError(f"a failover pair needs one PRIMARY and one SECONDARY record, got {sorted(by_role)}")

    def healthy(record: Mapping[str, Any]) -> bool:
        check = record.get("health_check_id")
        return True if not check else health[str(check)]

    if healthy(by_role["PRIMARY"]):
        return by_role["PRIMARY"]
    if healthy(by_role["SECONDARY"]):
        return by_role["SECONDARY"]
    return by_role["PRIMARY"]
