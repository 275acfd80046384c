"""The game day's pieces against the AWS documentation they implement (scripts/e2e/gameday.py)."""

from __future__ import annotations

import http.client
import urllib.request
from io import BytesIO
from typing import Any

import pytest

from scripts.e2e import gameday


def _lt(datapoints: list[float | None], **kwargs: Any) -> str:
    """The probe alarm's shape: healthy=1, alarm below 1."""
    return gameday.evaluate_alarm(datapoints, threshold=1, comparison="LessThanThreshold", **kwargs)


def test_alarm_m_of_n() -> None:
    """CloudWatch User Guide, "Evaluating an alarm": ALARM when M of the last N periods breach (3 of 5)."""
    assert _lt([0, 1, 0, 1, 0], evaluation_periods=5, datapoints_to_alarm=3) == "ALARM"
    assert _lt([0, 1, 1, 1, 0], evaluation_periods=5, datapoints_to_alarm=3) == "OK"
    # Only the most recent N periods count.
    assert _lt([0, 0, 0, 1, 1], evaluation_periods=2) == "OK"


def test_alarm_missing_data_rules() -> None:
    """ "Configuring how CloudWatch alarms treat missing data": missing -> INSUFFICIENT_DATA when every point is
    missing; ignore keeps the state; breaching counts missing as breaching; notBreaching as good."""
    gap: list[float | None] = [None, None, None]
    assert _lt(gap, evaluation_periods=3) == "INSUFFICIENT_DATA"
    assert _lt(gap, evaluation_periods=3, treat_missing_data="ignore", current="ALARM") == "ALARM"
    assert _lt(gap, evaluation_periods=3, treat_missing_data="breaching") == "ALARM"
    assert _lt(gap, evaluation_periods=3, treat_missing_data="notBreaching") == "OK"
    assert _lt([0, None, 0], evaluation_periods=3, treat_missing_data="breaching") == "ALARM"
    assert _lt([0, None, 0], evaluation_periods=3, treat_missing_data="notBreaching") == "OK"
    assert _lt([0, None, 0], evaluation_periods=3, datapoints_to_alarm=2) == "ALARM"
    with pytest.raises(ValueError, match="treat_missing_data"):
        _lt(gap, evaluation_periods=3, treat_missing_data="zero")
    with pytest.raises(ValueError, match="datapoints_to_alarm"):
        _lt(gap, evaluation_periods=3, datapoints_to_alarm=4)


def test_alarm_event_shape() -> None:
    """CloudWatch User Guide, "Alarm events and EventBridge": the state change event's source, detail-type,
    resources and detail fields."""
    event = gameday.alarm_state_change_event(
        alarm_name="probe",
        account="123456789012",
        region="us-west-2",
        state="ALARM",
        previous="OK",
        reason="r",
        time="2026-01-01T00:00:00Z",
    )
    assert event["source"] == "aws.cloudwatch"
    assert event["detail-type"] == "CloudWatch Alarm State Change"
    assert event["resources"] == ["arn:aws:cloudwatch:us-west-2:123456789012:alarm:probe"]
    assert event["detail"]["state"]["value"] == "ALARM"
    assert event["detail"]["previousState"]["value"] == "OK"


def test_http_check_needs_failure_threshold_consecutive_and_18_percent() -> None:
    """Route53 Developer Guide: a checker changes its view after FailureThreshold consecutive failures, and the
    endpoint is healthy when more than 18% of checkers see it healthy."""
    assert gameday.http_check_status([[True, False, False]], failure_threshold=3) is True
    assert gameday.http_check_status([[False, False, False]], failure_threshold=3) is False
    assert gameday.http_check_status([[False, False, True, False]], failure_threshold=2) is False
    assert gameday.http_check_status([[False, False, True, True]], failure_threshold=2) is True
    # 1 healthy of 6 checkers is 16.7%: unhealthy; 1 of 5 is 20%: healthy.
    down, up = [False] * 3, [True] * 3
    assert gameday.http_check_status([up] + [down] * 5, failure_threshold=3) is False
    assert gameday.http_check_status([up] + [down] * 4, failure_threshold=3) is True
    assert gameday.http_observation(301) and not gameday.http_observation(500) and not gameday.http_observation(None)


def test_metric_check_insufficient_data_health_status() -> None:
    """Route53 Developer Guide (CLOUDWATCH_METRIC): ALARM unhealthy, OK healthy, INSUFFICIENT_DATA takes
    InsufficientDataHealthStatus."""
    kwargs: dict[str, Any] = {"last_known": False}
    assert gameday.metric_check_status("ALARM", insufficient_data_health_status="Healthy", **kwargs) is False
    assert gameday.metric_check_status("OK", insufficient_data_health_status="Unhealthy", **kwargs) is True
    assert gameday.metric_check_status("INSUFFICIENT_DATA", insufficient_data_health_status="Healthy", **kwargs)
    assert not gameday.metric_check_status("INSUFFICIENT_DATA", insufficient_data_health_status="Unhealthy", **kwargs)
    assert not gameday.metric_check_status(
        "INSUFFICIENT_DATA", insufficient_data_health_status="LastKnownStatus", **kwargs
    )
    with pytest.raises(ValueError, match="InsufficientDataHealthStatus"):
        gameday.metric_check_status("INSUFFICIENT_DATA", insufficient_data_health_status="Up", **kwargs)


def test_calculated_check_health_threshold_and_inversion() -> None:
    """Route53 Developer Guide (CALCULATED): healthy when at least HealthThreshold children are healthy."""
    assert gameday.calculated_check_status([True, False], health_threshold=2) is False
    assert gameday.calculated_check_status([True, True], health_threshold=2) is True
    assert gameday.calculated_check_status([False], health_threshold=0) is True
    assert gameday.checked(True, inverted=True) is False


def test_failover_answer() -> None:
    """Route53 failover routing: PRIMARY while healthy, else SECONDARY; neither healthy -> PRIMARY; a record
    without a health check is healthy."""
    records: list[dict[str, Any]] = [
        {"failover": "PRIMARY", "health_check_id": "p", "name": "east"},
        {"failover": "SECONDARY", "health_check_id": "s", "name": "west"},
    ]
    assert gameday.resolve_failover(records, {"p": True, "s": True})["name"] == "east"
    assert gameday.resolve_failover(records, {"p": False, "s": True})["name"] == "west"
    assert gameday.resolve_failover(records, {"p": False, "s": False})["name"] == "east"
    no_check: list[dict[str, Any]] = [{**records[0], "health_check_id": None}, records[1]]
    assert gameday.resolve_failover(no_check, {"s": True})["name"] == "east"


def test_credential_scope_and_operation() -> None:
    """SigV4: the credential scope is <date>/<region>/<service>/aws4_request; JSON protocols name the operation
    in X-Amz-Target, query protocols in Action."""
    header = "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/route53/aws4_request, SignedHeaders=host, Signature=x"
    assert gameday.credential_scope(header) == ("us-east-1", "route53")
    assert gameday.credential_scope("Bearer x") is None
    # A global service's control plane is in us-east-1 whatever region the client signed for.
    signed_west = "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-west-2/route53/aws4_request, Signature=x"
    assert gameday.credential_scope(signed_west) == ("us-east-1", "route53")
    iam_west = "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-west-2/iam/aws4_request, Signature=x"
    assert gameday.credential_scope(iam_west) == ("us-east-1", "iam")
    rds_west = "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-west-2/rds/aws4_request, Signature=x"
    assert gameday.credential_scope(rds_west) == ("us-west-2", "rds")
    assert gameday.access_key_of(header) == "AKID"
    assert gameday.operation_of({"HTTP_X_AMZ_TARGET": "DynamoDB_20120810.GetItem"}, b"") == "GetItem"
    assert gameday.operation_of({}, b"Action=DescribeDBClusters&Version=2014-10-31") == "DescribeDBClusters"


def _app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [])
    return [environ["wsgi.input"].read()]


def test_gate_refuses_the_cut_region_and_logs_calls() -> None:
    """A cut-off region answers nothing; the other region is served; every call into a watched region is logged."""
    gate = gameday.RegionGate(_app, cut={"us-east-1"}, watched={"us-east-1"})
    gate.caller = "orchestrator"
    statuses: list[str] = []

    def environ(region: str) -> dict[str, Any]:
        body = b"Action=DescribeDBClusters"
        return {
            "HTTP_AUTHORIZATION": f"AWS4-HMAC-SHA256 Credential=A/20260101/{region}/rds/aws4_request",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": BytesIO(body),
        }

    assert gate(environ("us-west-2"), lambda s, h: statuses.append(s)) == [b"Action=DescribeDBClusters"]
    gate(environ("us-east-1"), lambda s, h: statuses.append(s))
    assert statuses == ["200 OK", "503 Service Unavailable"]
    assert gate.calls_by("orchestrator") == [
        gameday.Call("us-east-1", "rds", "DescribeDBClusters", gameday.REFUSED, "orchestrator")
    ]


def test_app_stand_in_stops_answering() -> None:
    """The stand-in answers 200 while up; while down a client gets no response (the probe's OSError path)."""
    app = gameday.AppStandIn("us-east-1")
    try:
        with urllib.request.urlopen(app.url, timeout=5) as response:  # noqa: S310 - loopback
            assert response.status == 200
        app.up = False
        with pytest.raises((OSError, http.client.HTTPException)):
            urllib.request.urlopen(app.url, timeout=5)  # noqa: S310 - loopback
    finally:
        app.stop()


def test_emulator_cut_region_answers_no_client() -> None:
    """Against the running emulator: with a region cut off, a boto3 call into it ends in a connection error (no
    response), the other region answers, and the call is logged; reopened, the region answers again."""
    import boto3
    import botocore.config
    import botocore.exceptions

    from scripts.e2e.emulator import GATES, emulator
    from scripts.e2e.rewrite import FAKE_CREDENTIALS

    # The cut region closes the connection at once, whatever the timeouts; an answering region's first call loads
    # moto's service backend, which takes seconds on a loaded machine: its timeout is generous, never the verdict.
    config = botocore.config.Config(retries={"total_max_attempts": 1}, connect_timeout=10, read_timeout=120)
    with emulator() as url:
        (gate,) = GATES

        def client(region: str) -> Any:
            return boto3.client(
                "sqs",
                region_name=region,
                endpoint_url=url,
                aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
                config=config,
            )

        gate.cut, gate.watched = {"us-east-1"}, {"us-east-1"}
        with pytest.raises(botocore.exceptions.HTTPClientError):
            client("us-east-1").list_queues()
        client("us-west-2").list_queues()  # answers
        assert [(c.region, c.outcome) for c in gate.calls] == [("us-east-1", gameday.REFUSED)]
        gate.cut = set()
        client("us-east-1").list_queues()
        assert gate.calls[-1].outcome == gameday.ANSWERED
