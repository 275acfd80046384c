"""The e2e harness's own parts: the emulator rewrite, the plan judge and the emulator extensions.

The extensions are checked against the AWS API reference and the botocore service model of each action
(botocore validates every request these tests send, and moto serializes every response through the same
model), through boto3 against the emulator server the harness starts.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from conftest import Synthesized

from scripts.e2e.emulator import emulator
from scripts.e2e.plancheck import Explanation, judge_plan
from scripts.e2e.rewrite import FAKE_CREDENTIALS, SERVICES, RewriteError, rewrite, services_used

# --- rewrite --------------------------------------------------------------------------------------------


def test_every_service_of_every_stack_has_an_emulator_endpoint(
    dev: Synthesized, prod: Synthesized, bootstrap: Synthesized
) -> None:
    """A resource type the rewrite cannot map would reach real AWS: every type of dev, prod and bootstrap maps."""
    for stack in (dev, prod, bootstrap):
        assert services_used(stack.data) <= set(SERVICES)
    assert {"rds", "dynamodb", "elbv2", "backup", "wafv2"} <= services_used(dev.data)


def test_deployable_output_never_points_at_an_emulator(dev: Synthesized, prod: Synthesized) -> None:
    """Endpoints, fake-credential skips and path-style S3 exist only in the harness's scratch copy."""
    for stack in (dev, prod):
        for provider in stack.data["provider"]["aws"]:
            assert not {"endpoints", "skip_credentials_validation", "skip_requesting_account_id"} & set(provider)


def _local(stack: Synthesized) -> dict[str, Any]:
    document = json.loads(stack.text)
    document["terraform"]["backend"] = {"local": {"path": "x.tfstate"}}
    return document


def test_rewrite_points_every_provider_at_the_loopback_endpoint(dev: Synthesized) -> None:
    """Each aliased provider gets one endpoint per service and the emulator-only flags; the input is untouched."""
    document = _local(dev)
    out = rewrite(document, "http://127.0.0.1:4599")
    for provider in out["provider"]["aws"]:
        assert provider["endpoints"] == [{service: "http://127.0.0.1:4599" for service in SERVICES}]
        assert provider["s3_use_path_style"] is True
        assert provider["skip_credentials_validation"] is True
    assert "endpoints" not in document["provider"]["aws"][0]


def test_rewrite_refuses_remote_endpoints_and_remote_state(dev: Synthesized) -> None:
    """Only loopback traffic, and never the S3 state backend of a real account."""
    with pytest.raises(RewriteError, match="non-loopback"):
        rewrite(_local(dev), "https://rds.us-east-1.amazonaws.com")
    with pytest.raises(RewriteError, match="local state backend"):
        rewrite(json.loads(dev.text), "http://127.0.0.1:4599")


# --- plan judge ------------------------------------------------------------------------------------------


def _plan(address: str, actions: list[str], before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {
        "resource_changes": [
            {
                "address": address,
                "type": address.split(".")[0],
                "change": {"actions": actions, "before": before, "after": after, "after_unknown": {}},
            }
        ]
    }


PROTECTED = ("aws_rds_cluster",)


def test_the_state_backend_used_in_the_outage_is_the_one_the_product_synthesizes(dev: Synthesized) -> None:
    """The game day's S3 backend is the synthesized block with only the emulator's endpoints and account-lookup
    switches added (bucket, key, region, lock table, state key and lockfile as deployed); the replica backend must
    be the home bucket's replica with the same key, and the digest item is ``<bucket>/<key>-md5`` (the S3
    backend's consistency check, hashicorp/terraform#14949)."""
    from scripts.e2e.state import StateBackends, digest_item_id, emulator_backend

    home = dev.data["terraform"]["backend"]["s3"]
    emulated = emulator_backend(home, "http://127.0.0.1:5000")
    assert {k: v for k, v in emulated.items() if k in home} == home
    assert set(emulated["endpoints"].values()) == {"http://127.0.0.1:5000"}
    assert home["use_lockfile"] is True and home["dynamodb_table"] and home["kms_key_id"].startswith("alias/")
    replica = {**home, "bucket": home["bucket"] + "-replica", "region": "us-west-2"}
    StateBackends(home, replica, "http://127.0.0.1:5000")
    with pytest.raises(ValueError, match="replica"):
        StateBackends(home, {**replica, "bucket": "elsewhere"}, "http://127.0.0.1:5000")
    assert digest_item_id(home) == f"{home['bucket']}/{home['key']}-md5"


def test_change_outside_the_baseline_fails_the_plan() -> None:
    verdict = judge_plan(_plan("aws_lb.a", ["update"], {"idle_timeout": 60}, {"idle_timeout": 30}), [], protected=())
    assert not verdict.clean
    assert verdict.unexplained == ["aws_lb.a update ['idle_timeout']"]


def test_baseline_explains_only_the_attributes_it_names() -> None:
    entry = Explanation("aws_lb.*", ("update",), ("idle_timeout",), "emulator does not store idle_timeout")
    ok = judge_plan(_plan("aws_lb.a", ["update"], {"idle_timeout": 60}, {"idle_timeout": 30}), [entry], protected=())
    assert ok.clean and len(ok.explained) == 1
    more = judge_plan(
        _plan("aws_lb.a", ["update"], {"idle_timeout": 60, "name": "x"}, {"idle_timeout": 30, "name": "y"}),
        [entry],
        protected=(),
    )
    assert not more.clean


def test_replacing_a_cluster_is_never_explained() -> None:
    """Replace/destroy of a database resource fails the run even with a matching baseline entry."""
    entry = Explanation("aws_rds_cluster.*", ("delete", "create"), ("global_cluster_identifier",), "x")
    verdict = judge_plan(
        _plan("aws_rds_cluster.s", ["delete", "create"], {"global_cluster_identifier": "g"}, {}),
        [entry],
        protected=PROTECTED,
    )
    assert verdict.forbidden and not verdict.clean


def test_no_op_and_read_are_not_changes() -> None:
    plan = _plan("aws_lb.a", ["no-op"], {"a": 1}, {"a": 1})
    plan["resource_changes"] += _plan("data.x.y", ["read"], {}, {"a": 1})["resource_changes"]
    assert judge_plan(plan, [], protected=()).clean


# --- emulator extensions ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with emulator() as url:
        yield url


def _client(service: str, region: str, endpoint: str) -> Any:
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


def _global_database(endpoint: str, name: str) -> tuple[Any, str, str]:
    """A global cluster with a primary in us-east-1 and a secondary in us-west-2; returns (rds, arn1, arn2)."""
    east = _client("rds", "us-east-1", endpoint)
    west = _client("rds", "us-west-2", endpoint)
    east.create_global_cluster(
        GlobalClusterIdentifier=name, Engine="aurora-mysql", EngineVersion="8.0.mysql_aurora.3.08.2"
    )
    primary = east.create_db_cluster(
        DBClusterIdentifier=f"{name}-primary",
        Engine="aurora-mysql",
        EngineVersion="8.0.mysql_aurora.3.08.2",
        GlobalClusterIdentifier=name,
        MasterUsername="dbadmin",
        MasterUserPassword="x" * 20,
    )["DBCluster"]["DBClusterArn"]
    secondary = west.create_db_cluster(
        DBClusterIdentifier=f"{name}-secondary",
        Engine="aurora-mysql",
        EngineVersion="8.0.mysql_aurora.3.08.2",
        GlobalClusterIdentifier=name,
    )["DBCluster"]["DBClusterArn"]
    return west, primary, secondary


def _members(rds: Any, name: str) -> tuple[dict[str, bool], dict[str, Any]]:
    cluster = rds.describe_global_clusters(GlobalClusterIdentifier=name)["GlobalClusters"][0]
    return {m["DBClusterArn"]: m["IsWriter"] for m in cluster["GlobalClusterMembers"]}, cluster


def test_secondary_reports_the_writer_as_replication_source(endpoint: str) -> None:
    """DescribeDBClusters of a global secondary names the primary's ARN in ReplicationSourceIdentifier
    (the attribute Terraform users add to ignore_changes); the writer has none."""
    west, primary, secondary = _global_database(endpoint, "g-source")
    described = west.describe_db_clusters(DBClusterIdentifier="g-source-secondary")["DBClusters"][0]
    assert described["ReplicationSourceIdentifier"] == primary
    east = _client("rds", "us-east-1", endpoint)
    assert (
        "ReplicationSourceIdentifier"
        not in east.describe_db_clusters(DBClusterIdentifier="g-source-primary")["DBClusters"][0]
    )


def test_failover_with_data_loss_goes_through_the_documented_states(endpoint: str) -> None:
    """FailoverGlobalCluster(AllowDataLoss): FailoverState.Status pending, then failing-over (FailoverStatus enum
    of the service model), then FailoverState is empty ("empty unless a switchover or failover operation is
    scheduled or is in progress"); the target becomes the writer and the old primary stays a member."""
    west, primary, secondary = _global_database(endpoint, "g-failover")
    started = west.failover_global_cluster(
        GlobalClusterIdentifier="g-failover", TargetDbClusterIdentifier=secondary, AllowDataLoss=True
    )["GlobalCluster"]
    assert started["FailoverState"] == {
        "Status": "pending",
        "FromDbClusterArn": primary,
        "ToDbClusterArn": secondary,
        "IsDataLossAllowed": True,
    }
    seen = []
    for _ in range(5):
        writers, cluster = _members(west, "g-failover")
        seen.append((cluster.get("FailoverState") or {}).get("Status"))
        if not cluster.get("FailoverState"):
            break
    assert seen == ["failing-over", None]
    assert writers == {primary: False, secondary: True}
    east = _client("rds", "us-east-1", endpoint)
    old = east.describe_db_clusters(DBClusterIdentifier="g-failover-primary")["DBClusters"][0]
    assert old["ReplicationSourceIdentifier"] == secondary


def test_switchover_swaps_the_writer_without_data_loss(endpoint: str) -> None:
    """SwitchoverGlobalCluster: IsDataLossAllowed false ("Otherwise, it's a switchover"); roles swap."""
    west, primary, secondary = _global_database(endpoint, "g-switch")
    started = west.switchover_global_cluster(GlobalClusterIdentifier="g-switch", TargetDbClusterIdentifier=secondary)
    assert started["GlobalCluster"]["FailoverState"]["IsDataLossAllowed"] is False
    for _ in range(3):
        writers, _cluster = _members(west, "g-switch")
    assert writers == {primary: False, secondary: True}


def test_failover_refuses_what_aws_refuses(endpoint: str) -> None:
    """AllowDataLoss and Switchover "Can't be specified together"; a second operation while one is in
    progress is InvalidGlobalClusterStateFault; the current writer cannot be promoted."""
    west, primary, secondary = _global_database(endpoint, "g-refuse")
    with pytest.raises(ClientError, match="InvalidParameterCombination"):
        west.failover_global_cluster(
            GlobalClusterIdentifier="g-refuse", TargetDbClusterIdentifier=secondary, AllowDataLoss=True, Switchover=True
        )
    with pytest.raises(ClientError, match="InvalidDBClusterStateFault"):
        west.failover_global_cluster(GlobalClusterIdentifier="g-refuse", TargetDbClusterIdentifier=primary)
    west.failover_global_cluster(GlobalClusterIdentifier="g-refuse", TargetDbClusterIdentifier=secondary)
    with pytest.raises(ClientError, match="InvalidGlobalClusterStateFault"):
        west.switchover_global_cluster(GlobalClusterIdentifier="g-refuse", TargetDbClusterIdentifier=secondary)
    with pytest.raises(ClientError, match="GlobalClusterNotFoundFault"):
        west.switchover_global_cluster(GlobalClusterIdentifier="nope", TargetDbClusterIdentifier=secondary)


def test_removing_a_secondary_from_another_region_detaches_it(endpoint: str) -> None:
    """RemoveFromGlobalCluster called in the secondary's region (as Terraform's destroy does) detaches it."""
    west, _primary, secondary = _global_database(endpoint, "g-remove")
    west.remove_from_global_cluster(GlobalClusterIdentifier="g-remove", DbClusterIdentifier=secondary)
    writers, _cluster = _members(west, "g-remove")
    assert secondary not in writers


def test_global_table_replica_exists_in_its_region_and_shares_items(endpoint: str) -> None:
    """UpdateTable ReplicaUpdates Create (global tables 2019.11.21): DescribeTable lists the replica ACTIVE and
    the table exists in the replica region with its own KMS key; an item written in one region is read in
    the other."""
    east = _client("dynamodb", "us-east-1", endpoint)
    west = _client("dynamodb", "us-west-2", endpoint)
    east.create_table(
        TableName="gt",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    east.update_table(TableName="gt", ReplicaUpdates=[{"Create": {"RegionName": "us-west-2", "KMSMasterKeyId": "k2"}}])
    replicas = east.describe_table(TableName="gt")["Table"]["Replicas"]
    assert {"RegionName": "us-west-2", "ReplicaStatus": "ACTIVE", "KMSMasterKeyId": "k2"} in replicas
    assert west.describe_table(TableName="gt")["Table"]["SSEDescription"]["KMSMasterKeyArn"] == "k2"
    east.put_item(TableName="gt", Item={"pk": {"S": "lock"}})
    assert west.get_item(TableName="gt", Key={"pk": {"S": "lock"}})["Item"] == {"pk": {"S": "lock"}}
    with pytest.raises(ClientError):
        east.delete_table(TableName="gt")  # replicas first
    east.update_table(TableName="gt", ReplicaUpdates=[{"Delete": {"RegionName": "us-west-2"}}])
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        west.describe_table(TableName="gt")
    east.delete_table(TableName="gt")


def test_backup_selection_round_trip(endpoint: str) -> None:
    """CreateBackupSelection returns a SelectionId; Get returns the selection; a plan with selections cannot
    be deleted ("Related backup plan selections must be deleted prior to backup plan deletion")."""
    backup = _client("backup", "us-east-1", endpoint)
    plan_id = backup.create_backup_plan(
        BackupPlan={"BackupPlanName": "p", "Rules": [{"RuleName": "r", "TargetBackupVaultName": "Default"}]}
    )["BackupPlanId"]
    selection = {"SelectionName": "s", "IamRoleArn": "arn:aws:iam::123456789012:role/b", "Resources": ["arn:x"]}
    created = backup.create_backup_selection(BackupPlanId=plan_id, BackupSelection=selection)
    got = backup.get_backup_selection(BackupPlanId=plan_id, SelectionId=created["SelectionId"])
    assert got["BackupSelection"]["Resources"] == ["arn:x"]
    with pytest.raises(ClientError):
        backup.delete_backup_plan(BackupPlanId=plan_id)
    backup.delete_backup_selection(BackupPlanId=plan_id, SelectionId=created["SelectionId"])
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        backup.get_backup_selection(BackupPlanId=plan_id, SelectionId=created["SelectionId"])
    backup.delete_backup_plan(BackupPlanId=plan_id)


def test_backup_vault_access_policy_round_trip(endpoint: str) -> None:
    """AWS Backup API Reference: PutBackupVaultAccessPolicy sets a vault's resource policy, GetBackupVaultAccessPolicy
    answers BackupVaultName, BackupVaultArn and Policy, DeleteBackupVaultAccessPolicy removes it; Get of a vault
    without a policy, or of an unknown vault, is ResourceNotFoundException (what Terraform reads as gone)."""
    backup = _client("backup", "us-west-2", endpoint)
    vault = backup.create_backup_vault(BackupVaultName="guarded")
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        backup.get_backup_vault_access_policy(BackupVaultName="guarded")
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Deny", "Principal": "*", "Action": "backup:DeleteRecoveryPoint", "Resource": "*"}
            ],
        }
    )
    backup.put_backup_vault_access_policy(BackupVaultName="guarded", Policy=policy)
    got = backup.get_backup_vault_access_policy(BackupVaultName="guarded")
    assert (got["BackupVaultName"], got["BackupVaultArn"], got["Policy"]) == (
        "guarded",
        vault["BackupVaultArn"],
        policy,
    )
    backup.delete_backup_vault_access_policy(BackupVaultName="guarded")
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        backup.get_backup_vault_access_policy(BackupVaultName="guarded")
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        backup.put_backup_vault_access_policy(BackupVaultName="absent", Policy=policy)
    backup.delete_backup_vault(BackupVaultName="guarded")


def test_replication_rule_reads_back_as_it_was_put(endpoint: str) -> None:
    """GetBucketReplication (S3 API reference) answers the rules that PutBucketReplication put, including
    DeleteMarkerReplication Enabled and SourceSelectionCriteria SseKmsEncryptedObjects Enabled (moto answered
    Disabled and dropped the criteria: the provider planned an update of the state bucket's rule forever)."""
    s3 = _client("s3", "us-east-1", endpoint)
    for bucket in ("repl-source", "repl-target"):
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    rule = {
        "ID": "state-to-replica",
        "Priority": 0,
        "Status": "Enabled",
        "Filter": {"Prefix": "state/"},
        "DeleteMarkerReplication": {"Status": "Enabled"},
        "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"}},
        "Destination": {
            "Bucket": "arn:aws:s3:::repl-target",
            "StorageClass": "STANDARD",
            "EncryptionConfiguration": {"ReplicaKmsKeyID": "arn:aws:kms:us-west-2:123456789012:key/k"},
        },
    }
    s3.put_bucket_replication(
        Bucket="repl-source",
        ReplicationConfiguration={"Role": "arn:aws:iam::123456789012:role/r", "Rules": [rule]},
    )
    read = s3.get_bucket_replication(Bucket="repl-source")["ReplicationConfiguration"]["Rules"]
    assert read == [rule]


def test_live_replication_copies_new_objects_and_delete_markers_as_the_rule_says(endpoint: str) -> None:
    """S3 User Guide, replicating objects: an Enabled rule replicates new objects whose key matches its filter to
    the destination, re-encrypted with ReplicaKmsKeyID; SSE-KMS objects only with SseKmsEncryptedObjects Enabled
    ("By default, Amazon S3 doesn't replicate objects that are stored at rest using server-side encryption with
    AWS KMS keys"); a delete marker when DeleteMarkerReplication is Enabled, never a deletion of a version."""
    s3 = _client("s3", "us-east-1", endpoint)
    for bucket in ("live-source", "live-target", "plain-source", "plain-target"):
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})

    def rule(target: str, *, sse_kms: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ID": "r",
            "Priority": 0,
            "Status": "Enabled",
            "Filter": {"Prefix": "state/"},
            "DeleteMarkerReplication": {"Status": "Enabled"},
            "Destination": {
                "Bucket": f"arn:aws:s3:::{target}",
                "EncryptionConfiguration": {"ReplicaKmsKeyID": "arn:aws:kms:us-west-2:123456789012:key/replica"},
            },
        }
        if sse_kms:
            body["SourceSelectionCriteria"] = {"SseKmsEncryptedObjects": {"Status": "Enabled"}}
        return body

    role = "arn:aws:iam::123456789012:role/r"
    s3.put_bucket_replication(
        Bucket="live-source", ReplicationConfiguration={"Role": role, "Rules": [rule("live-target", sse_kms=True)]}
    )
    s3.put_bucket_replication(
        Bucket="plain-source", ReplicationConfiguration={"Role": role, "Rules": [rule("plain-target", sse_kms=False)]}
    )
    kms = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "arn:aws:kms:us-east-1:123456789012:key/home"}
    s3.put_object(Bucket="live-source", Key="state/dev.tfstate", Body=b"{}", **kms)
    s3.put_object(Bucket="live-source", Key="other/x", Body=b"{}", **kms)
    s3.put_object(Bucket="plain-source", Key="state/dev.tfstate", Body=b"{}", **kms)
    replica = s3.get_object(Bucket="live-target", Key="state/dev.tfstate")
    assert replica["Body"].read() == b"{}"
    assert replica["SSEKMSKeyId"] == "arn:aws:kms:us-west-2:123456789012:key/replica"
    for bucket, key in (("live-target", "other/x"), ("plain-target", "state/dev.tfstate")):
        with pytest.raises(ClientError, match="NoSuchKey"):
            s3.get_object(Bucket=bucket, Key=key)
    s3.delete_object(Bucket="live-source", Key="state/dev.tfstate")
    with pytest.raises(ClientError, match="NoSuchKey"):
        s3.get_object(Bucket="live-target", Key="state/dev.tfstate")
    assert len(s3.list_object_versions(Bucket="live-target")["Versions"]) == 1  # the version itself stays


def test_a_bucket_policy_denies_by_its_conditions_not_unconditionally(endpoint: str) -> None:
    """S3 User Guide, "Requiring SSE-KMS for all objects written to a bucket": a Deny of s3:PutObject under
    StringNotEquals on s3:x-amz-server-side-encryption(-aws-kms-key-id) refuses an upload without that header or
    with another key, and only those; a Deny on aws:SecureTransport false refuses plain-HTTP requests (the
    emulator's loopback endpoint stands for the TLS one). moto applied every conditional Deny to every request."""
    s3 = _client("s3", "us-east-1", endpoint)
    s3.create_bucket(Bucket="policy-bucket")
    objects = "arn:aws:s3:::policy-bucket/*"
    everyone = "*"
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": everyone,
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::policy-bucket", objects],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Sid": "DenyUploadsWithoutKms",
                "Effect": "Deny",
                "Principal": everyone,
                "Action": "s3:PutObject",
                "Resource": objects,
                "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}},
            },
            {
                "Sid": "DenyUploadsWithAnotherKey",
                "Effect": "Deny",
                "Principal": everyone,
                "Action": "s3:PutObject",
                "Resource": objects,
                "Condition": {
                    "StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": ["alias/state-primary"]}
                },
            },
        ],
    }
    s3.put_bucket_policy(Bucket="policy-bucket", Policy=json.dumps(policy))
    s3.put_object(
        Bucket="policy-bucket", Key="ok", Body=b"{}", ServerSideEncryption="aws:kms", SSEKMSKeyId="alias/state-primary"
    )
    assert s3.head_object(Bucket="policy-bucket", Key="ok")["ServerSideEncryption"] == "aws:kms"
    assert s3.get_object(Bucket="policy-bucket", Key="ok")["Body"].read() == b"{}"
    for refused in ({}, {"ServerSideEncryption": "AES256"}, {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "x"}):
        with pytest.raises(ClientError) as error:
            s3.put_object(Bucket="policy-bucket", Key="refused", Body=b"{}", **refused)
        assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403, refused


def test_published_replication_lag_is_read_back_like_aurora_publishes_it(endpoint: str) -> None:
    """Aurora publishes AuroraGlobalDBReplicationLag (ms) for each secondary cluster, dimension
    DBClusterIdentifier (Aurora User Guide, "Monitoring Aurora global databases"); the orchestrator's preflight
    reads its Maximum over the last 5 minutes with GetMetricStatistics. The harness's datapoint must come back
    from that read (an aware timestamp made moto answer 500 and the preflight refuse the switchover)."""
    from datetime import UTC, datetime, timedelta

    from scripts.e2e.extensions import publish_replication_lag

    west, _primary, _secondary = _global_database(endpoint, "g-lag")
    assert publish_replication_lag("123456789012", 250.0) >= 1
    # Read at once, with EndTime = now as the preflight does (read_replication_lag): a run started right after
    # the harness published must see the datapoint.
    now = datetime.now(tz=UTC)
    points = _client("cloudwatch", "us-west-2", endpoint).get_metric_statistics(
        Namespace="AWS/RDS",
        MetricName="AuroraGlobalDBReplicationLag",
        Dimensions=[{"Name": "DBClusterIdentifier", "Value": "g-lag-secondary"}],
        StartTime=now - timedelta(minutes=5),
        EndTime=now,
        Period=60,
        Statistics=["Maximum"],
    )["Datapoints"]
    assert [p["Maximum"] for p in points] == [250.0]


# --- checks after each promotion -------------------------------------------------------------------------

PRIMARY_ARN = "arn:aws:rds:us-east-1:123456789012:cluster:c-primary"
SECONDARY_ARN = "arn:aws:rds:us-west-2:123456789012:cluster:c-secondary"


class _Function:
    def __init__(self, region: str, cluster_arn: str) -> None:
        self.region = region
        self.variables = {
            "TARGET_CLUSTER_ARN": cluster_arn,
            "FAILOVER_CAPACITY_MIN": "2",
            "FAILOVER_CAPACITY_DESIRED": "2",
            "FAILOVER_CAPACITY_MAX": "4",
            "STANDBY_MIN": "1",
            "STANDBY_DESIRED": "1",
            "TRAFFIC_SWITCH_REGION": "us-west-2",
            "STATE_TABLE_NAME": "checks-state",
            "GLOBAL_CLUSTER_ID": "g-checks",
        }


def _world(*, standby: dict[str, int], switch: tuple[float, ...]) -> dict[str, Any]:
    """The world after a failback to us-east-1, as Checks.snapshot reads it."""
    return {
        "writer": [PRIMARY_ARN],
        "members": sorted([PRIMARY_ARN, SECONDARY_ARN]),
        "failover_state": None,
        "asgs": {"us-east-1": {"min": 2, "desired": 2, "max": 4, "in_service": 2}, "us-west-2": standby},
        "switch": switch,
    }


def _checks_after_failback(endpoint: str, world: dict[str, Any]) -> list[str]:
    """Run Checks.expect_active for a failback to us-east-1 against ``world`` and a switch item in the emulator."""
    from dr_failover.records.switch import write_switch

    from scripts.e2e.checks import Checks

    class _Seen(Checks):
        def snapshot(self, functions: Any) -> dict[str, Any]:
            return world

    dynamodb = _client("dynamodb", "us-west-2", endpoint)
    if "checks-state" not in dynamodb.list_tables()["TableNames"]:
        dynamodb.create_table(
            TableName="checks-state",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
    write_switch(
        dynamodb,
        table_name="checks-state",
        global_cluster_id="g-checks",
        primary_fenced=False,
        serving_region="us-east-1",
        run_id="r",
        now=1.0,
    )
    functions = {"us-east-1": _Function("us-east-1", PRIMARY_ARN), "us-west-2": _Function("us-west-2", SECONDARY_ARN)}
    return _Seen(endpoint).expect_active(functions, "us-east-1")


def test_the_region_that_stops_serving_must_keep_the_warm_standby(endpoint: str) -> None:
    """The orchestrator sets the old serving region to STANDBY_MIN/STANDBY_DESIRED ("never 0, so the next
    disaster has a standby"): an ASG fenced to 0, or one whose standby instance is not in service, fails."""
    from scripts.e2e.checks import E2EFailure

    standby = {"min": 1, "desired": 1, "max": 4, "in_service": 1}
    notes = _checks_after_failback(endpoint, _world(standby=standby, switch=(0.0, 0.0)))
    assert any("us-west-2 standby 1/1 (1 in service)" in note for note in notes)
    for wrong in ({**standby, "min": 0, "desired": 0, "in_service": 0}, {**standby, "in_service": 0}):
        with pytest.raises(E2EFailure, match="expected standby"):
            _checks_after_failback(endpoint, _world(standby=wrong, switch=(0.0, 0.0)))


def test_a_failback_in_the_same_minute_as_the_failover_is_seen_in_the_switch_metric(endpoint: str) -> None:
    """PrimaryFenced has standard resolution (one-minute periods): after a failover and a failback in the same
    minute the period holds both 1 and 0, and the check asks for a 0 in it; a period without 0 fails."""
    from scripts.e2e.checks import E2EFailure

    standby = {"min": 1, "desired": 1, "max": 4, "in_service": 1}
    _checks_after_failback(endpoint, _world(standby=standby, switch=(0.0, 1.0)))
    with pytest.raises(E2EFailure, match="traffic switch"):
        _checks_after_failback(endpoint, _world(standby=standby, switch=(1.0, 1.0)))


def test_policy_simulation_evaluates_the_roles_applied_policies(endpoint: str) -> None:
    """SimulatePrincipalPolicy "simulates how a set of IAM policies attached to an IAM entity works with a list
    of API operations and Amazon Web Services resources" (IAM API Reference): the role's inline and attached
    policies decide; one EvaluationResult per action, each resource's decision in ResourceSpecificResults. A
    function's assumed-role session names its role (STS GetCallerIdentity: arn:aws:sts::<account>:
    assumed-role/<role>/<session>), which is what the readiness check simulates."""
    iam = _client("iam", "us-east-1", endpoint)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    arn = iam.create_role(RoleName="sim-orchestrator", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    db = "arn:aws:rds:us-west-2:123456789012:db:app-secondary-1"
    option_group = "arn:aws:rds:us-west-2:123456789012:og:default:aurora-mysql-8-0"
    iam.put_role_policy(
        RoleName="sim-orchestrator",
        PolicyName="create",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "rds:CreateDBInstance", "Resource": db}],
            }
        ),
    )
    policy_arn = iam.create_policy(
        PolicyName="sim-deny-delete",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "rds:Delete*", "Resource": "*"}]}
        ),
    )["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="sim-orchestrator", PolicyArn=policy_arn)

    def decisions(action: str, *resources: str) -> tuple[str, list[tuple[str, str]]]:
        result = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=[action], ResourceArns=list(resources))
        [evaluation] = result["EvaluationResults"]
        return evaluation["EvalDecision"], [
            (r["EvalResourceName"], r["EvalResourceDecision"]) for r in evaluation["ResourceSpecificResults"]
        ]

    assert decisions("rds:CreateDBInstance", db) == ("allowed", [(db, "allowed")])
    assert decisions("rds:CreateDBInstance", db, option_group) == (
        "implicitDeny",
        [(db, "allowed"), (option_group, "implicitDeny")],
    )
    assert decisions("rds:DeleteDBInstance", db)[0] == "explicitDeny"
    with pytest.raises(ClientError, match="NoSuchEntity"):
        iam.simulate_principal_policy(PolicySourceArn=arn + "-gone", ActionNames=["rds:CreateDBInstance"])
    credentials = _client("sts", "us-west-2", endpoint).assume_role(RoleArn=arn, RoleSessionName="fn")["Credentials"]
    session = boto3.client(
        "sts",
        region_name="us-west-2",
        endpoint_url=endpoint,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
    assert session.get_caller_identity()["Arn"] == "arn:aws:sts::123456789012:assumed-role/sim-orchestrator/fn"


def test_applied_resources_are_counted_from_the_local_state_file(tmp_path: Any) -> None:
    """Terraform's local state (format version 4) lists each managed resource with its instances' attributes;
    data sources (mode "data") are not applied resources."""
    from scripts.e2e.run import Terraform, functions_from_state, state_resources

    (tmp_path / "cdk.tf.json").write_text(json.dumps({"terraform": {"backend": {"local": {"path": "s.tfstate"}}}}))
    variables = {"TARGET_REGION": "us-west-2", "GLOBAL_CLUSTER_ID": "g"}
    state = {
        "version": 4,
        "resources": [
            {"mode": "data", "type": "aws_caller_identity", "name": "me", "instances": [{"attributes": {}}]},
            {
                "mode": "managed",
                "type": "aws_lambda_function",
                "name": "f",
                "instances": [{"attributes": {"function_name": "fn", "environment": [{"variables": variables}]}}],
            },
            {"mode": "managed", "type": "aws_sqs_queue", "name": "q", "instances": [{"attributes": {"id": "q"}}]},
        ],
    }
    (tmp_path / "s.tfstate").write_text(json.dumps(state))
    read = Terraform(tmp_path, {}).state()
    assert [r["type"] for r in state_resources(read)] == ["aws_lambda_function", "aws_sqs_queue"]
    assert functions_from_state(read)["us-west-2"].name == "fn"


def test_bootstrap_work_waits_for_the_rds_waits_of_the_dr_stack(dev: Synthesized, tmp_path: Any) -> None:
    """The bootstrap stack's terraform starts when the DR log shows an RDS cluster being created (or an instance
    being destroyed): terraform prints "<address>: Creating..." / "<address>: Destroying... [id=...]" per resource as
    it starts (its UI hook), after the plan listing ("# <address> will be created") that must not trigger it."""
    import threading

    from scripts.e2e.run import RDS_CHAIN_CREATING, RDS_CHAIN_DESTROYING, Terraform

    clusters = [f"aws_rds_cluster.{name}" for name in dev.data["resource"]["aws_rds_cluster"]]
    instances = [f"aws_rds_cluster_instance.{name}" for name in dev.data["resource"]["aws_rds_cluster_instance"]]
    listing = "\n".join(f"  # {address} will be created\n  + resource" for address in clusters + instances)
    assert not RDS_CHAIN_CREATING.search(listing) and not RDS_CHAIN_DESTROYING.search(listing)
    assert not RDS_CHAIN_CREATING.search("aws_rds_cluster_parameter_group.p: Creating...")
    assert not RDS_CHAIN_CREATING.search(f"{instances[0]}: Creating...")
    assert RDS_CHAIN_CREATING.search(f"{listing}\naws_kms_key.k: Creating...\n{clusters[0]}: Creating...\n")
    assert not RDS_CHAIN_DESTROYING.search(f"{clusters[0]}: Destroying... [id=c]")
    assert RDS_CHAIN_DESTROYING.search(f"aws_sqs_queue.q: Destroying... [id=q]\n{instances[0]}: Destroying... [id=i]\n")

    tf = Terraform(tmp_path, {})
    tf.current_log = tmp_path / "log.apply.txt"
    tf.current_log.write_text(listing + "\naws_kms_key.k: Creating...\n")
    seen = threading.Event()
    watcher = threading.Thread(target=tf.wait_for_output, args=(RDS_CHAIN_CREATING, seen), daemon=True)
    watcher.start()
    try:
        assert not seen.wait(1.5)
        with tf.current_log.open("a") as log:
            log.write(f"{clusters[0]}: Creating...\n")
        assert seen.wait(5)
    finally:
        seen.set()  # the watcher ends whatever an assertion said
        watcher.join(5)
    assert not watcher.is_alive()


def test_a_failed_dr_apply_starts_no_bootstrap_work(tmp_path: Any) -> None:
    """A DR apply that fails before any RDS cluster is created ends the run: the bootstrap thread, released by
    that failure, must find the run cancelled and apply nothing (it used to be released first, then cancelled,
    and applied and planned the bootstrap stack before the failure was reported)."""
    import threading

    from scripts.e2e.checks import E2EFailure
    from scripts.e2e.run import RDS_CHAIN_CREATING, RDS_CHAIN_DESTROYING, Scenario, Terraform, Timeline

    class Recording(Terraform):
        def run(self, *args: str, check: bool = True) -> Any:
            calls.append(args[0])
            raise AssertionError(f"terraform {args[0]} started after the run failed")

    calls: list[str] = []
    scenario = Scenario(tmp_path, "http://127.0.0.1:1", Timeline())
    applying, destroying = threading.Event(), threading.Event()
    bootstrap = Recording(tmp_path, {})
    done = scenario._background(lambda: scenario._bootstrap(bootstrap, {tmp_path.name: 22}, applying, destroying))
    dr = Terraform(tmp_path, {})
    with pytest.raises(E2EFailure, match="apply failed"), scenario._watching(dr, RDS_CHAIN_CREATING, applying):
        raise E2EFailure("apply failed")
    destroying.set()
    done()
    assert calls == []
    assert applying.is_set() and scenario.cancelled.is_set()

    interrupted = Scenario(tmp_path, "http://127.0.0.1:1", Timeline())  # Ctrl-C in the destroy cancels too
    released = threading.Event()
    with pytest.raises(KeyboardInterrupt), interrupted._watching(dr, RDS_CHAIN_DESTROYING, released):
        raise KeyboardInterrupt
    assert released.is_set() and interrupted.cancelled.is_set()


def test_every_background_call_is_waited_for_before_a_failure_is_raised() -> None:
    """A failed terraform command in one thread is reported only after the other threads have ended: nothing of
    the run is still running when the harness stops the emulator."""
    import threading
    import time

    from scripts.e2e.run import background, join_all

    ended = threading.Event()

    def slow() -> None:
        time.sleep(0.5)
        ended.set()

    def fails() -> None:
        raise RuntimeError("terraform exited 1")

    with pytest.raises(RuntimeError, match="exited 1"):
        join_all([background(fails), background(slow)])
    assert ended.is_set()


def test_a_password_in_the_applied_state_fails_the_run(tmp_path: Path) -> None:
    """A local backend writes the state as JSON at its path (Terraform docs, backend "local"); the emulator run
    refuses a state that holds the master password it passed in TF_VAR_db_master_password."""
    from scripts.e2e.run import E2EFailure, Terraform, refuse_password_in_state

    (tmp_path / "cdk.tf.json").write_text(json.dumps({"terraform": {"backend": {"local": {"path": "s.tfstate"}}}}))
    tf = Terraform(tmp_path, {})
    refuse_password_in_state(tf, "Pa55word!x")  # no state yet: nothing to find
    (tmp_path / "s.tfstate").write_text(json.dumps({"resources": [{"instances": [{"attributes": {"id": "c"}}]}]}))
    refuse_password_in_state(tf, "Pa55word!x")
    (tmp_path / "s.tfstate").write_text(json.dumps({"resources": [{"attributes": {"result": "Pa55word!x"}}]}))
    with pytest.raises(E2EFailure, match="master password is in the state"):
        refuse_password_in_state(tf, "Pa55word!x")
