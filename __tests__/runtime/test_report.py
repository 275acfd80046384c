"""The per-run report (lambda_src/dr_failover/run/run_report.py): JSON + Markdown timeline written SSE-KMS to the
region's report bucket, resource states before/after and alarm states, against moto (S3, KMS, CloudWatch,
Auto Scaling) and botocore's Stubber for RDS.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber
from dr_failover.run.run_report import (
    build_report,
    capture_states,
    read_alarm_states,
    render_markdown,
    report_keys,
    write_report,
)
from moto import mock_aws

REGION = "us-west-2"
BUCKET = "drapp-dev-secondary-reports"
STARTED = datetime(2026, 11, 28, 18, 0, 5, tzinfo=UTC).timestamp()
RESULT = {
    "status": "succeeded",
    "mode": "failover",
    "target_region": REGION,
    "run_id": "req-1",
    "reason": "us-east-1 outage | ticket 42",
    "steps": [
        {"name": "preflight", "status": "ok", "seconds": 1.2, "offset_seconds": 0.0, "detail": "all OK"},
        {"name": "promote", "status": "ok", "seconds": 0.4, "offset_seconds": 1.2, "detail": "called\nonce"},
    ],
    "recovery_time_seconds": 95.5,
    "data_loss_window_seconds": 1.8,
    "replication_lag_seconds": 1.8,
    "message": "done",
}


def report(**overrides):
    values = {
        "started_at": STARTED,
        "finished_at": STARTED + 120,
        "region": REGION,
        "global_cluster_id": "app-global",
        "states_before": {"asg app": {"desired": 1}},
        "states_after": {"asg app": {"desired": 4}},
        "alarms": [{"name": "drapp-dev-primary-region-down", "state": "ALARM", "since": "t", "reason": "probe"}],
    }
    values.update(overrides)
    return build_report(RESULT, **values)


def test_report_is_written_as_json_and_markdown_encrypted_with_the_customer_managed_key():
    """PutObject with ServerSideEncryption=aws:kms and SSEKMSKeyId stores the object under that key; HeadObject
    returns both (S3 API reference, PutObject / HeadObject response elements x-amz-server-side-encryption*)."""
    with mock_aws():
        kms = boto3.client("kms", region_name=REGION)
        key_arn = kms.create_key(Description="reports")["KeyMetadata"]["Arn"]
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        location = write_report(
            s3,
            bucket=BUCKET,
            kms_key_arn=key_arn,
            region=REGION,
            report=report(),
            mode="failover",
            started_at=STARTED,
        )
        for key in (location.json_key, location.markdown_key):
            head = s3.head_object(Bucket=BUCKET, Key=key)
            assert head["ServerSideEncryption"] == "aws:kms"
            assert head["SSEKMSKeyId"] == key_arn
        stored = json.loads(s3.get_object(Bucket=BUCKET, Key=location.json_key)["Body"].read())
        markdown = s3.get_object(Bucket=BUCKET, Key=location.markdown_key)["Body"].read().decode()
    assert stored["result"]["steps"][1]["name"] == "promote"
    assert stored["resources"]["after"] == {"asg app": {"desired": 4}}
    assert stored["alarms"][0]["state"] == "ALARM"
    assert markdown.startswith("# DR failover to us-west-2: succeeded")
    assert location.json_uri == f"s3://{BUCKET}/runs/2026/11/28/20261128T180005Z-failover-req-1.json"
    assert location.links()["console"].startswith(f"https://{REGION}.console.aws.amazon.com/s3/object/{BUCKET}?")


def test_markdown_timeline_has_one_row_per_step_and_escapes_table_breakers():
    markdown = render_markdown(report())
    rows = [line for line in markdown.splitlines() if line.startswith("| ") and "| preflight |" in line]
    assert rows == ["| 0.0 | preflight | ok | 1.2 | all OK |"]
    assert "| 1.2 | promote | ok | 0.4 | called once |" in markdown
    assert "us-east-1 outage | ticket 42" in markdown  # the reason is a bullet, not a table cell
    assert "| drapp-dev-primary-region-down | ALARM |" in markdown


def test_report_keys_sort_by_time_and_cannot_escape_the_prefix():
    json_key, markdown_key = report_keys(run_id="../../etc/x", mode="preflight", started_at=STARTED)
    assert json_key == "runs/2026/11/28/20261128T180005Z-preflight-______etc_x.json"
    assert markdown_key.endswith(".md")


def test_write_failure_surfaces_so_the_caller_can_record_it():
    """A bucket that does not exist answers NoSuchBucket (S3 error codes): the writer does not hide it."""
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        with pytest.raises(s3.exceptions.NoSuchBucket):
            write_report(
                s3, bucket="absent", kms_key_arn="k", region=REGION, report=report(), mode="failover", started_at=1
            )


def test_alarm_states_are_read_by_name_prefix_only():
    """DescribeAlarms AlarmNamePrefix selects the stack's alarms; StateValue is OK | ALARM | INSUFFICIENT_DATA."""
    with mock_aws():
        cloudwatch = boto3.client("cloudwatch", region_name=REGION)
        for name in ("drapp-dev-lag", "other-app-cpu"):
            cloudwatch.put_metric_alarm(
                AlarmName=name,
                MetricName="CPUUtilization",
                Namespace="AWS/EC2",
                Statistic="Average",
                Period=60,
                EvaluationPeriods=1,
                Threshold=1,
                ComparisonOperator="GreaterThanThreshold",
            )
        cloudwatch.set_alarm_state(AlarmName="drapp-dev-lag", StateValue="ALARM", StateReason="lag over RPO")
        alarms = read_alarm_states(cloudwatch, name_prefix="drapp-dev-")
    assert [(a["name"], a["state"], a["reason"]) for a in alarms] == [("drapp-dev-lag", "ALARM", "lag over RPO")]


def test_states_of_an_unreachable_region_are_recorded_not_fatal():
    """During a regional outage the report must still be written: unreadable reads become 'unreadable: <code>'."""
    with mock_aws():
        autoscaling = boto3.client("autoscaling", region_name=REGION)
        rds = boto3.client("rds", region_name=REGION)
        stubber = Stubber(rds)
        stubber.add_client_error("describe_global_clusters", service_error_code="InternalFailure", http_status_code=500)
        with stubber:
            states = capture_states(rds=rds, autoscaling=autoscaling, global_cluster_id="g", asg_names=["missing"])
    assert states == {"global_cluster": "unreadable: InternalFailure", "asg missing": "not found"}


def test_global_cluster_state_lists_writer_and_synchronization_per_member():
    """DescribeGlobalClusters members carry IsWriter and SynchronizationStatus (RDS service model,
    GlobalClusterMember)."""
    rds = boto3.client("rds", region_name=REGION)
    stubber = Stubber(rds)
    stubber.add_response(
        "describe_global_clusters",
        {
            "GlobalClusters": [
                {
                    "Status": "available",
                    "EngineVersion": "8.0.mysql_aurora.3.08.2",
                    "GlobalClusterMembers": [
                        {"DBClusterArn": "arn:p", "IsWriter": True},
                        {"DBClusterArn": "arn:s", "IsWriter": False, "SynchronizationStatus": "pending-resync"},
                    ],
                }
            ]
        },
        {"GlobalClusterIdentifier": "g"},
    )
    with stubber:
        states = capture_states(rds=rds, autoscaling=None, global_cluster_id="g", asg_names=[])
    members = states["global_cluster"]["members"]
    assert members[1] == {"cluster": "arn:s", "writer": False, "synchronization": "pending-resync"}
