"""The per-run report: the result (steps, timings, resource states before and after, alarm states) as JSON
and as a Markdown timeline, written to the run region's KMS-encrypted, versioned report bucket.

``build_report`` is pure; ``capture_states`` and ``read_alarm_states`` only read; ``write_report`` makes
the two PutObject calls, each naming the customer-managed key (``aws:kms`` + ``SSEKMSKeyId``) so the
objects are encrypted with it whatever the bucket default says. The SNS notification carries
``ReportLocation.links()``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import dr_contract as contract

REPORT_SCHEMA_VERSION = 1
MAX_ALARMS = 100


@dataclass(frozen=True)
class ReportLocation:
    """Where one run's report lives."""

    region: str
    bucket: str
    json_key: str
    markdown_key: str

    @property
    def json_uri(self) -> str:
        """S3 URI of the JSON report."""
        return f"s3://{self.bucket}/{self.json_key}"

    @property
    def markdown_uri(self) -> str:
        """S3 URI of the Markdown timeline."""
        return f"s3://{self.bucket}/{self.markdown_key}"

    @property
    def console_url(self) -> str:
        """S3 console page of the Markdown timeline (the bucket is private: the reader needs IAM access)."""
        return (
            f"https://{self.region}.console.aws.amazon.com/s3/object/{self.bucket}"
            f"?region={self.region}&prefix={self.markdown_key}"
        )

    def links(self) -> dict[str, str]:
        """The links put into the SNS message and the result."""
        return {"json": self.json_uri, "markdown": self.markdown_uri, "console": self.console_url}


def report_keys(*, run_id: str, mode: str, started_at: float, prefix: str = contract.REPORT_PREFIX) -> tuple[str, str]:
    """Object keys ``runs/YYYY/MM/DD/<UTC time>-<mode>-<run id>.{json,md}``: sorted by time, one per run."""
    when = datetime.fromtimestamp(started_at, tz=UTC)
    safe_run = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in run_id)[:64]
    stem = f"{prefix}/{when:%Y/%m/%d}/{when:%Y%m%dT%H%M%SZ}-{mode}-{safe_run}"
    return f"{stem}.json", f"{stem}.md"


def build_report(
    result: dict[str, Any],
    *,
    started_at: float,
    finished_at: float,
    region: str,
    global_cluster_id: str,
    states_before: dict[str, Any],
    states_after: dict[str, Any],
    alarms: list[dict[str, Any]],
) -> dict[str, Any]:
    """The report document: the result plus when, where, resource states and alarm states."""
    return {
        "schema_version": REPORT_SCHEMA_VERSION,
        "run_id": result.get("run_id"),
        "region": region,
        "global_cluster": global_cluster_id,
        "started_at": _iso(started_at),
        "finished_at": _iso(finished_at),
        "result": result,
        "resources": {"before": states_before, "after": states_after},
        "alarms": alarms,
    }


def render_json(report: dict[str, Any]) -> str:
    """The report as indented JSON (datetimes as ISO text)."""
    return json.dumps(report, indent=2, sort_keys=True, default=_json_default)


def render_markdown(report: dict[str, Any]) -> str:
    """A readable timeline: outcome, times, one row per step, resource states, alarms."""
    result = report["result"]
    lines = [
        f"# DR {result.get('mode')} to {result.get('target_region')}: {result.get('status')}",
        "",
        f"- Run: `{report.get('run_id')}` in {report['region']}, global cluster `{report['global_cluster']}`",
        f"- Started {report['started_at']}, finished {report['finished_at']}",
        f"- Reason: {result.get('reason') or '-'}",
        f"- Message: {result.get('message')}",
    ]
    promotion = result.get("promotion")
    if promotion:
        data_loss = " with AllowDataLoss" if promotion.get("allow_data_loss") else ""
        lines.append(f"- Promotion: {promotion.get('api')}{data_loss}: {promotion.get('why')}")
    for label, key in (
        ("Orchestration time", "orchestration_time_seconds"),
        ("Recovery time (end to end)", "end_to_end_recovery_time_seconds"),
        ("Recovery time (orchestrator)", "recovery_time_seconds"),
        ("Data-loss window", "data_loss_window_seconds"),
        ("Replication lag at start", "replication_lag_seconds"),
    ):
        if result.get(key) is not None:
            lines.append(f"- {label}: {result[key]} s")
    lines += ["", "## Timeline", "", "| at (s) | step | status | took (s) | detail |", "|---:|---|---|---:|---|"]
    for step in result.get("steps", []):
        lines.append(
            f"| {step.get('offset_seconds', '')} | {step.get('name')} | {step.get('status')} | "
            f"{step.get('seconds', '')} | {_cell(step.get('detail', ''))} |"
        )
    lines += ["", "## Resources", "", "| resource | before | after |", "|---|---|---|"]
    before, after = report["resources"]["before"], report["resources"]["after"]
    for name in sorted(set(before) | set(after)):
        lines.append(f"| {name} | {_cell(_show(before.get(name)))} | {_cell(_show(after.get(name)))} |")
    lines += ["", "## Alarms", ""]
    if report["alarms"]:
        lines += ["| alarm | state | since | reason |", "|---|---|---|---|"]
        for alarm in report["alarms"]:
            lines.append(
                f"| {alarm['name']} | {alarm['state']} | {alarm.get('since', '')} | {_cell(alarm.get('reason', ''))} |"
            )
    else:
        lines.append("No alarm states were read.")
    return "\n".join(lines) + "\n"


def write_report(
    s3: Any, *, bucket: str, kms_key_arn: str, region: str, report: dict[str, Any], mode: str, started_at: float
) -> ReportLocation:
    """PutObject the JSON and the Markdown, both SSE-KMS with the customer-managed key; return the location."""
    json_key, markdown_key = report_keys(run_id=str(report.get("run_id")), mode=mode, started_at=started_at)
    for key, body, content_type in (
        (json_key, render_json(report), "application/json"),
        (markdown_key, render_markdown(report), "text/markdown; charset=utf-8"),
    ):
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=body.encode("utf-8"),
            ContentType=content_type,
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=kms_key_arn,
        )
    return ReportLocation(region=region, bucket=bucket, json_key=json_key, markdown_key=markdown_key)


def read_alarm_states(cloudwatch: Any, *, name_prefix: str) -> list[dict[str, Any]]:
    """State of the stack's metric alarms in one region (DescribeAlarms by name prefix, paginated)."""
    alarms: list[dict[str, Any]] = []
    token: str | None = None
    while len(alarms) < MAX_ALARMS:
        params: dict[str, Any] = {"AlarmNamePrefix": name_prefix, "AlarmTypes": ["MetricAlarm"], "MaxRecords": 100}
        if token:
            params["NextToken"] = token
        response = cloudwatch.describe_alarms(**params)
        for alarm in response.get("MetricAlarms", []):
            alarms.append(
                {
                    "name": alarm["AlarmName"],
                    "state": alarm.get("StateValue"),
                    "since": _iso_value(alarm.get("StateUpdatedTimestamp")),
                    "reason": alarm.get("StateReason", ""),
                }
            )
        token = response.get("NextToken")
        if not token:
            break
    return alarms[:MAX_ALARMS]


def capture_states(
    *,
    rds: Any,
    autoscaling: Any,
    global_cluster_id: str,
    asg_names: list[str],
) -> dict[str, Any]:
    """Read-only snapshot of the global cluster (writer, members, promotion) and the ASGs' sizes.

    Each read that fails is reported as ``unreadable: <code>`` rather than failing the report: the
    report of a run during a regional outage must still be written.
    """
    states: dict[str, Any] = {}
    try:
        clusters = rds.describe_global_clusters(GlobalClusterIdentifier=global_cluster_id)["GlobalClusters"]
        cluster = clusters[0]
        states["global_cluster"] = {
            "status": cluster.get("Status"),
            "engine_version": cluster.get("EngineVersion"),
            "members": [
                {
                    "cluster": member.get("DBClusterArn"),
                    "writer": bool(member.get("IsWriter")),
                    "synchronization": member.get("SynchronizationStatus"),
                }
                for member in cluster.get("GlobalClusterMembers", [])
            ],
            "failover_state": cluster.get("FailoverState"),
        }
    except Exception as error:  # noqa: BLE001 - a report records what could not be read
        states["global_cluster"] = f"unreadable: {_code(error)}"
    for name in asg_names:
        try:
            groups = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
            if not groups:
                states[f"asg {name}"] = "not found"
                continue
            group = groups[0]
            in_service = sum(1 for i in group.get("Instances", []) if i.get("LifecycleState") == "InService")
            states[f"asg {name}"] = {
                "min": group["MinSize"],
                "desired": group["DesiredCapacity"],
                "max": group["MaxSize"],
                "in_service": in_service,
                "suspended": sorted(p["ProcessName"] for p in group.get("SuspendedProcesses", [])),
            }
        except Exception as error:  # noqa: BLE001 - see above
            states[f"asg {name}"] = f"unreadable: {_code(error)}"
    return states


def _code(error: BaseException) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", type(error).__name__))
    return type(error).__name__


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _iso_value(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return "" if value is None else str(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return _iso_value(value)
    return str(value)


def _show(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=_json_default)


def _cell(text: Any) -> str:
    """Markdown table cell: one line, pipes escaped."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
