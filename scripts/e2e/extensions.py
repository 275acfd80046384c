"""Emulator extensions: what this stack and its orchestrator need from AWS and moto 5.2.5 lacks.

Each extension follows the AWS API reference and the botocore service model of the action (the
request and response shapes moto's serializer checks against), and is patched into moto's backend or
response classes of the server process the harness starts (scripts/e2e/emulator.py). Differences from
AWS that matter for a result are in DIFFERENCES (printed by the harness, listed in docs/testing.md).

- RDS FailoverGlobalCluster (AllowDataLoss or Switchover) and SwitchoverGlobalCluster: the global
  cluster's FailoverState goes pending -> failing-over -> (absent) over successive describes; at the end
  the members' IsWriter flags swap, the old primary stays a member (read-only secondary), and every
  secondary's ReplicationSourceIdentifier names the new writer, as DescribeDBClusters shows on AWS.
- RDS DescribeGlobalClusters filters by GlobalClusterIdentifier (GlobalClusterNotFoundFault if unknown).
- RDS RemoveFromGlobalCluster / DeleteDBCluster in a region other than us-east-1 (moto keeps global
  clusters in its us-east-1 backend and looked for them in the caller's region only).
- RDS: secondary members of a global cluster report ReplicationSourceIdentifier = the writer's ARN.
- CloudWatch AuroraGlobalDBReplicationLag, which Aurora publishes every minute for each secondary
  cluster (publish_replication_lag; moto publishes no service metrics).
- DynamoDB global tables (version 2019.11.21) through UpdateTable ReplicaUpdates Create/Delete: the
  replica table exists in its region (same key schema, stream, its own KMS key), both tables list the
  replicas with ReplicaStatus ACTIVE, and items are shared (replication without delay).
- AWS Backup CreateBackupSelection / GetBackupSelection / ListBackupSelections / DeleteBackupSelection.
- AWS Backup PutBackupVaultAccessPolicy / GetBackupVaultAccessPolicy / DeleteBackupVaultAccessPolicy (AWS Backup
  API Reference: PUT/GET/DELETE /backup-vaults/{backupVaultName}/access-policy; Get answers BackupVaultName,
  BackupVaultArn and Policy, ResourceNotFoundException for an unknown vault or a vault without a policy).
- EC2: an EBS block device mapping without VolumeSize or SnapshotId gets the AMI's root volume size
  (as RunInstances does on AWS; moto refuses it), so launch templates that only set type/encryption work.
- Auto Scaling StartInstanceRefresh / DescribeInstanceRefreshes / CancelInstanceRefresh.
- IAM SimulatePrincipalPolicy for a role's identity policies (inline, managed, permissions boundary) by the
  IAM User Guide's evaluation logic (scripts/e2e/iam_simulator.py): the readiness check's permission
  simulation runs against the policies Terraform applied.
- S3 live replication: a new object (and a delete marker, when the rule says so) in a bucket with a
  replication configuration is copied to the rule's destination at once, re-encrypted with ReplicaKmsKeyID.
- S3 bucket policies evaluated with their conditions (moto 5.2.5 applied a conditional Deny to every
  request): the statements for every principal, with aws:SecureTransport and the request's SSE headers as
  the context; the loopback HTTP endpoint stands for the TLS one.
- S3 GetBucketReplication answers each rule as it was put (DeleteMarkerReplication, SourceSelectionCriteria,
  ExistingObjectReplication, Filter), where moto answered DeleteMarkerReplication Disabled and dropped the rest.
"""

from __future__ import annotations

import datetime
import json
import threading
import uuid
from typing import Any

import dr_contract as contract

DIFFERENCES = (
    "FailoverGlobalCluster/SwitchoverGlobalCluster complete after two further DescribeGlobalClusters calls "
    "(pending, failing-over), not in the one to two minutes AWS takes: recovery times measured here are "
    "the orchestrator's own overhead, not AWS's",
    "no data is written to the database: the data-loss window is the replication lag the harness publishes "
    "as AuroraGlobalDBReplicationLag, not a measured one",
    "after the cut the harness keeps publishing the surviving secondary's AuroraGlobalDBReplicationLag, growing "
    "with the outage: an assumption (no AWS page says what Aurora publishes when the primary region is lost); "
    "with the lag silent the automatic confirmation has no signal left and refuses (unit-tested, not run here)",
    "a lost region refuses every request at once (connection closed); endpoints that hang are exercised by the "
    "unit tests with a simulated clock, not here",
    "DynamoDB replicas share one item store: replication is instant and never lags",
    "S3 replication copies each new object and delete marker at once, not within AWS's seconds to 15 minutes",
    "the emulator is reached over loopback HTTP, which its bucket policies count as TLS (aws:SecureTransport true)",
    "instances of the Auto Scaling groups are emulator records: nothing boots, health checks are not run, "
    "an instance refresh succeeds at once",
    "Route53 health checkers and the failover answer are the harness's model of the Route53 Developer Guide's "
    "rules (HTTP checks on loopback stand-ins, the switch alarm's data stream, calculated checks), not Route53",
)

_INSTALLED = False


def install() -> None:
    """Patch moto's classes once per process; idempotent."""
    global _INSTALLED
    if _INSTALLED:
        return
    _install_rds()
    _install_dynamodb()
    _install_backup()
    _install_autoscaling()
    _install_ec2()
    _install_dropped_attributes()
    _install_s3_replication()
    _install_iam_simulation()
    _install_s3_bucket_policy_conditions()
    _INSTALLED = True


# --- RDS -------------------------------------------------------------------------------------------------

GLOBAL_CLUSTER_REGION = "us-east-1"  # moto keeps every global cluster in this region's backend
# Describe calls a failover spends in each FailoverState.Status before it completes.
_FAILOVER_STEPS = ("pending", "failing-over")


def _rds_backend(account_id: str, region: str) -> Any:
    from moto.rds.models import rds_backends

    return rds_backends[account_id][region]


def _global_cluster(account_id: str, identifier: str) -> Any:
    from moto.rds.exceptions import RDSClientError

    clusters = _rds_backend(account_id, GLOBAL_CLUSTER_REGION).global_clusters
    if identifier not in clusters:
        raise RDSClientError("GlobalClusterNotFoundFault", f"Global cluster {identifier} not found.")
    return clusters[identifier]


def _member(global_cluster: Any, identifier: str) -> Any:
    """The member cluster named by ARN or identifier (ARN recommended by the API reference)."""
    from moto.rds.exceptions import DBClusterNotFoundError

    for member in global_cluster.members:
        if identifier in (member.db_cluster_arn, member.db_cluster_identifier):
            return member
    raise DBClusterNotFoundError(identifier)


def _refresh_replication_sources(global_cluster: Any) -> None:
    """Secondaries replicate from the writer: DescribeDBClusters shows its ARN as ReplicationSourceIdentifier."""
    writer = next((m for m in global_cluster.members if m.is_writer), None)
    for member in global_cluster.members:
        member.replication_source_identifier = None if member.is_writer or writer is None else writer.db_cluster_arn


def advance_failover(global_cluster: Any) -> None:
    """One step of a scheduled failover/switchover; the last step swaps the writer and clears FailoverState."""
    state = getattr(global_cluster, "failover_state", None)
    if not state:
        return
    steps_left = global_cluster._e2e_failover_steps_left
    if steps_left > 1:
        global_cluster._e2e_failover_steps_left = steps_left - 1
        state["Status"] = _FAILOVER_STEPS[len(_FAILOVER_STEPS) - steps_left + 1]
        return
    for member in global_cluster.members:
        member.is_writer = member.db_cluster_arn == state["ToDbClusterArn"]
    _refresh_replication_sources(global_cluster)
    global_cluster.failover_state = None
    global_cluster.status = "available"


def _start_failover(account_id: str, identifier: str, target: str, *, allow_data_loss: bool) -> Any:
    """Validate and schedule the promotion of ``target``, as both actions do (API reference errors)."""
    from moto.rds.exceptions import InvalidDBClusterStateFault, InvalidGlobalClusterStateFault

    global_cluster = _global_cluster(account_id, identifier)
    if getattr(global_cluster, "failover_state", None):
        raise InvalidGlobalClusterStateFault(global_cluster.global_cluster_arn)
    promoted = _member(global_cluster, target)
    if promoted.is_writer:
        raise InvalidDBClusterStateFault(
            f"DB cluster {promoted.db_cluster_arn} is already the primary cluster of {identifier}"
        )
    writer = next((m for m in global_cluster.members if m.is_writer), None)
    global_cluster.failover_state = {
        "Status": _FAILOVER_STEPS[0],
        "FromDbClusterArn": writer.db_cluster_arn if writer else None,
        "ToDbClusterArn": promoted.db_cluster_arn,
        "IsDataLossAllowed": allow_data_loss,
    }
    global_cluster._e2e_failover_steps_left = len(_FAILOVER_STEPS)
    global_cluster.status = "failing-over" if allow_data_loss else "switching-over"
    return global_cluster


def _install_rds() -> None:
    from moto.core.responses import ActionResult, EmptyResult
    from moto.rds.exceptions import InvalidParameterCombination
    from moto.rds.models import GlobalCluster, RDSBackend
    from moto.rds.responses import RDSResponse

    GlobalCluster.failover_state = None  # type: ignore[attr-defined]

    def failover_global_cluster(self: Any) -> ActionResult:
        params = self.params
        allow = params.get("AllowDataLoss")
        switchover = params.get("Switchover")
        if allow is not None and switchover is not None:
            raise InvalidParameterCombination("AllowDataLoss and Switchover can't be specified together")
        cluster = _start_failover(
            self.current_account,
            params["GlobalClusterIdentifier"],
            params["TargetDbClusterIdentifier"],
            allow_data_loss=bool(allow),
        )
        return ActionResult({"GlobalCluster": cluster})

    def switchover_global_cluster(self: Any) -> ActionResult:
        params = self.params
        cluster = _start_failover(
            self.current_account,
            params["GlobalClusterIdentifier"],
            params["TargetDbClusterIdentifier"],
            allow_data_loss=False,
        )
        return ActionResult({"GlobalCluster": cluster})

    def describe_global_clusters(self: Any) -> ActionResult:
        # moto ignores GlobalClusterIdentifier and lists every global cluster; AWS filters by it.
        wanted = self.params.get("GlobalClusterIdentifier")
        clusters = list(self.global_backend.global_clusters.values())
        if wanted:
            clusters = [_global_cluster(self.current_account, wanted)]
        for cluster in clusters:
            advance_failover(cluster)
        return ActionResult({"GlobalClusters": clusters})

    def remove_from_global_cluster(self: Any, global_cluster_identifier: str, db_cluster_identifier: str) -> Any:
        clusters = _rds_backend(self.account_id, GLOBAL_CLUSTER_REGION).global_clusters
        global_cluster = clusters.get(global_cluster_identifier)
        if global_cluster is None:
            return None
        for member in list(global_cluster.members):
            if db_cluster_identifier in (member.db_cluster_arn, member.db_cluster_identifier):
                global_cluster.members.remove(member)
                member.global_cluster_identifier = None
                member.replication_source_identifier = None
                member.is_writer = False
        return global_cluster

    original_create_cluster = RDSBackend.create_db_cluster

    def create_db_cluster(self: Any, kwargs: dict[str, Any]) -> Any:
        cluster = original_create_cluster(self, kwargs)
        if cluster.global_cluster_identifier:
            global_clusters = _rds_backend(self.account_id, GLOBAL_CLUSTER_REGION).global_clusters
            global_cluster = global_clusters.get(cluster.global_cluster_identifier)
            if global_cluster is not None:
                _refresh_replication_sources(global_cluster)
        return cluster

    original_delete_cluster = RDSBackend.delete_db_cluster

    def delete_db_cluster(self: Any, cluster_identifier: str, snapshot_name: str | None = None) -> Any:
        cluster = self.clusters.get(cluster_identifier)
        if cluster is not None and cluster.global_cluster_identifier and not cluster.deletion_protection:
            remove_from_global_cluster(self, cluster.global_cluster_identifier, cluster.db_cluster_arn)
        return original_delete_cluster(self, cluster_identifier, snapshot_name)

    original_describe_parameters: Any = RDSResponse.describe_db_parameters

    def describe_db_parameters(self: Any) -> ActionResult:
        # Parameters set with ModifyDBParameterGroup are Source "user" on AWS; moto returns no Source, and
        # the provider keeps only user parameters, so it read the group as empty.
        result = original_describe_parameters(self)
        parameters = [dict(p, Source=p.get("Source", "user")) for p in result.result["Parameters"]]
        source = self.params.get("Source")
        if source:
            parameters = [p for p in parameters if p["Source"] == source]
        return ActionResult({"Parameters": parameters})

    RDSResponse.describe_db_parameters = describe_db_parameters  # type: ignore[method-assign]

    # Tags of global clusters: moto drops CreateGlobalCluster's Tags (no TagList in DescribeGlobalClusters) and
    # refuses global-cluster ARNs in the tagging actions: the provider read no tags_all (a perpetual diff).
    original_create_global: Any = RDSResponse.create_global_cluster

    def create_global_cluster(self: Any) -> Any:
        result = original_create_global(self)
        # Kept in the model's tags, so DescribeGlobalClusters' TagList (what the provider reads) has them too.
        result.result["GlobalCluster"].tags = list(self.params.get("Tags") or [])
        return result

    def global_cluster_by_arn(self: Any, arn: str) -> Any:
        identifier = arn.split(":global-cluster:")[-1]
        return _global_cluster(self.current_account, identifier)

    def tagging(original: Any, action: str) -> Any:
        def wrapped(self: Any) -> Any:
            arn = self.params.get("ResourceName") or ""
            if ":global-cluster:" not in arn:
                return original(self)
            cluster = global_cluster_by_arn(self, arn)
            tags = {t["Key"]: t["Value"] for t in cluster.tags}
            if action == "list":
                return ActionResult({"TagList": [{"Key": k, "Value": v} for k, v in tags.items()]})
            if action == "add":
                tags.update({t["Key"]: t["Value"] for t in self.params.get("Tags", [])})
            else:
                for key in self.params.get("TagKeys") or []:
                    tags.pop(key, None)
            cluster.tags = [{"Key": k, "Value": v} for k, v in tags.items()]
            return EmptyResult()

        return wrapped

    RDSResponse.create_global_cluster = create_global_cluster  # type: ignore[method-assign]
    RDSResponse.list_tags_for_resource = tagging(RDSResponse.list_tags_for_resource, "list")  # type: ignore[method-assign]
    RDSResponse.add_tags_to_resource = tagging(RDSResponse.add_tags_to_resource, "add")  # type: ignore[method-assign]
    RDSResponse.remove_tags_from_resource = tagging(  # type: ignore[method-assign]
        RDSResponse.remove_tags_from_resource, "remove"
    )
    RDSResponse.failover_global_cluster = failover_global_cluster  # type: ignore[attr-defined]
    RDSResponse.switchover_global_cluster = switchover_global_cluster  # type: ignore[attr-defined]
    RDSResponse.describe_global_clusters = describe_global_clusters  # type: ignore[method-assign]
    RDSBackend.remove_from_global_cluster = remove_from_global_cluster  # type: ignore[method-assign]
    RDSBackend.create_db_cluster = create_db_cluster  # type: ignore[method-assign]
    RDSBackend.delete_db_cluster = delete_db_cluster  # type: ignore[method-assign]


LAG_DATAPOINT_AGE_SECONDS = 10


def publish_replication_lag(account_id: str, lag_milliseconds: float, *, now: datetime.datetime | None = None) -> int:
    """Write AuroraGlobalDBReplicationLag (ms) for every secondary member, as Aurora does each minute.

    Returns the number of clusters a datapoint was written for.
    """
    from moto.cloudwatch.models import cloudwatch_backends

    now = now or datetime.datetime.now(tz=datetime.UTC)
    # moto keeps the timestamps PutMetricData receives as naive UTC datetimes and compares the
    # GetMetricStatistics window with them: an aware datetime here made every such read a 500.
    # The datapoint is dated LAG_DATAPOINT_AGE_SECONDS back: Aurora publishes the lag once a minute, so its newest
    # datapoint is already seconds old when a run reads it, and moto keeps a datapoint only while
    # timestamp < EndTime truncated to the second, so one dated in the reading's own second was missed (a run on an
    # idle machine read it within the second and refused the switchover back: "replication lag unknown").
    timestamp = (
        (now - datetime.timedelta(seconds=LAG_DATAPOINT_AGE_SECONDS)).astimezone(datetime.UTC).replace(tzinfo=None)
    )
    written = 0
    for global_cluster in _rds_backend(account_id, GLOBAL_CLUSTER_REGION).global_clusters.values():
        for member in global_cluster.members:
            if member.is_writer:
                continue
            region = member.db_cluster_arn.split(":")[3]
            cloudwatch_backends[account_id][region].put_metric_data(
                contract.AURORA_NAMESPACE,
                [
                    {
                        "MetricName": contract.GLOBAL_LAG_METRIC,
                        "Value": lag_milliseconds,
                        "Unit": "Milliseconds",
                        "Timestamp": timestamp,
                        "Dimensions": [{"Name": contract.GLOBAL_LAG_DIMENSION, "Value": member.db_cluster_identifier}],
                    }
                ],
            )
            written += 1
    return written


def lose_instance(account_id: str, region: str, cluster_id: str) -> str:
    """The half-alive return: one instance of ``cluster_id`` did not survive the outage (deleted from the
    emulator's backend, as an instance lost with its host would be). The instance chosen is one outside the
    region's first zone, so a re-created instance lands in its own zone only when re-protect asks for it (RDS
    CreateDBInstance: "Default: a random, system-chosen Availability Zone"; moto picks the first zone)."""
    backend = _rds_backend(account_id, region)
    members = [i for i in backend.databases.values() if i.db_cluster_identifier == cluster_id]
    if not members:
        raise RuntimeError(f"no instance of {cluster_id} in {region}")
    lost = next((i for i in members if not i.availability_zone.endswith("a")), members[-1])
    # A clustered instance's cluster lists its members from the instances that name it: removing it is enough.
    backend.databases.pop(lost.db_instance_identifier)
    return f"{lost.db_instance_identifier} ({lost.availability_zone})"


# --- DynamoDB global tables ------------------------------------------------------------------------------


def _dynamodb_backend(account_id: str, region: str) -> Any:
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[account_id][region]


def _replica_descriptions(table: Any) -> list[dict[str, Any]]:
    """Replicas of a global table as DescribeTable lists them: the other regions."""
    group = getattr(table, "_e2e_replica_group", None)
    if not group:
        return []
    replicas = []
    for region, member in sorted(group.items()):
        if region == table.region_name:
            continue
        replica: dict[str, Any] = {"RegionName": region, "ReplicaStatus": "ACTIVE"}
        sse = member.sse_specification or {}
        if sse.get("Enabled") and sse.get("KMSMasterKeyId"):
            replica["KMSMasterKeyId"] = sse["KMSMasterKeyId"]
        replicas.append(replica)
    return replicas


def _install_dynamodb() -> None:
    from moto.dynamodb.exceptions import MockValidationException
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.responses import DynamoHandler

    original_describe = Table.describe

    def describe(self: Any, base_key: str = "TableDescription") -> dict[str, Any]:
        result = original_describe(self, base_key)
        replicas = _replica_descriptions(self)
        if replicas:
            result[base_key]["Replicas"] = replicas
            result[base_key]["GlobalTableVersion"] = "2019.11.21"
        return result

    def create_replica(source: Any, region: str, kms_key: str | None) -> None:
        if region == source.region_name:
            raise MockValidationException("a replica cannot be in the table's own region")
        backend = _dynamodb_backend(source.account_id, region)
        if source.name in backend.tables:
            raise MockValidationException(f"Table {source.name} already exists in {region}")
        replica = backend.create_table(
            source.name,
            schema=source.schema,
            throughput=None,
            attr=source.attr,
            global_indexes=None,
            indexes=None,
            streams=source.stream_specification,
            billing_mode=source.billing_mode,
            sse_specification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": kms_key} if kms_key else None,
            tags=[],
            deletion_protection_enabled=False,
            warm_throughput=None,
        )
        replica.items = source.items  # one item store: replication without delay
        group = getattr(source, "_e2e_replica_group", None) or {source.region_name: source}
        group[region] = replica
        for member in group.values():
            member._e2e_replica_group = group

    def delete_replica(source: Any, region: str) -> None:
        group = getattr(source, "_e2e_replica_group", None) or {}
        replica = group.pop(region, None)
        if replica is None:
            raise MockValidationException(f"Table {source.name} has no replica in {region}")
        _dynamodb_backend(source.account_id, region).tables.pop(source.name, None)
        replica._e2e_replica_group = None
        if len(group) == 1:
            for member in group.values():
                member._e2e_replica_group = None

    original_update = DynamoHandler.update_table

    def update_table(self: Any) -> Any:
        updates = self.body.get("ReplicaUpdates") or []
        if updates:
            table = self.dynamodb_backend.get_table(self.body["TableName"])
            for update in updates:
                if "Create" in update:
                    create_replica(table, update["Create"]["RegionName"], update["Create"].get("KMSMasterKeyId"))
                elif "Delete" in update:
                    delete_replica(table, update["Delete"]["RegionName"])
            body = {k: v for k, v in self.body.items() if k != "ReplicaUpdates"}
            if set(body) == {"TableName"}:
                from moto.dynamodb.responses import DynamoResult

                return DynamoResult(table.describe())
            self.body = body
        return original_update(self)

    original_delete_table = DynamoHandler.delete_table

    def delete_table(self: Any) -> Any:
        table = self.dynamodb_backend.get_table(self.body["TableName"])
        group = getattr(table, "_e2e_replica_group", None) or {}
        if len(group) > 1:
            # AWS: a table with replicas cannot be deleted before its replicas.
            raise MockValidationException(
                f"Table {table.name} has replicas in {sorted(set(group) - {table.region_name})}; delete them first"
            )
        return original_delete_table(self)

    Table.describe = describe  # type: ignore[method-assign]
    DynamoHandler.update_table = update_table  # type: ignore[method-assign]
    DynamoHandler.delete_table = delete_table  # type: ignore[method-assign]


# --- AWS Backup selections -------------------------------------------------------------------------------


def _install_backup() -> None:
    from moto.backup.exceptions import ResourceNotFoundException
    from moto.backup.models import BackupBackend
    from moto.backup.responses import BackupResponse

    def selections(backend: Any) -> dict[str, dict[str, Any]]:
        if not hasattr(backend, "_e2e_selections"):
            backend._e2e_selections = {}
        return backend._e2e_selections  # type: ignore[no-any-return]

    def plan_and_selection(path: str) -> tuple[str, str]:
        parts = path.split("/plans/")[-1].strip("/").split("/")
        return parts[0], (parts[2] if len(parts) > 2 else "")

    def create_backup_selection(self: Any) -> str:
        plan_id, _ = plan_and_selection(self.path)
        self.backup_backend.get_backup_plan(plan_id, None)  # ResourceNotFound for an unknown plan
        body = json.loads(self.body)
        selection_id = str(uuid.uuid4())
        now = datetime.datetime.now(tz=datetime.UTC).timestamp()
        selections(self.backup_backend)[selection_id] = {
            "BackupPlanId": plan_id,
            "SelectionId": selection_id,
            "BackupSelection": body["BackupSelection"],
            "CreationDate": now,
            "CreatorRequestId": body.get("CreatorRequestId"),
        }
        return json.dumps({"SelectionId": selection_id, "BackupPlanId": plan_id, "CreationDate": now})

    def get_backup_selection(self: Any) -> str:
        plan_id, selection_id = plan_and_selection(self.path)
        found = selections(self.backup_backend).get(selection_id)
        if found is None or found["BackupPlanId"] != plan_id:
            raise ResourceNotFoundException(msg=f"Selection {selection_id} of plan {plan_id} not found")
        return json.dumps(found)

    def delete_backup_selection(self: Any) -> str:
        plan_id, selection_id = plan_and_selection(self.path)
        found = selections(self.backup_backend).get(selection_id)
        if found is None or found["BackupPlanId"] != plan_id:
            raise ResourceNotFoundException(msg=f"Selection {selection_id} of plan {plan_id} not found")
        del selections(self.backup_backend)[selection_id]
        return "{}"

    def list_backup_selections(self: Any) -> str:
        plan_id, _ = plan_and_selection(self.path)
        listed = [
            {
                "SelectionId": s["SelectionId"],
                "SelectionName": s["BackupSelection"]["SelectionName"],
                "BackupPlanId": plan_id,
                "CreationDate": s["CreationDate"],
                "IamRoleArn": s["BackupSelection"]["IamRoleArn"],
            }
            for s in selections(self.backup_backend).values()
            if s["BackupPlanId"] == plan_id
        ]
        return json.dumps({"BackupSelectionsList": listed})

    original_delete_plan = BackupBackend.delete_backup_plan

    def delete_backup_plan(self: Any, backup_plan_id: str) -> Any:
        if any(s["BackupPlanId"] == backup_plan_id for s in selections(self).values()):
            from moto.backup.exceptions import InvalidRequestException

            # AWS: "Related backup plan selections must be deleted prior to backup plan deletion."
            raise InvalidRequestException(msg="Related backup plan selections must be deleted first")
        return original_delete_plan(self, backup_plan_id)

    def list_tags(self: Any) -> str:
        # moto took the ARN from the path's second-to-last segment, which works only with a trailing
        # slash; the Go SDK sends /tags/{arn} without one, so every ListTags answered no tags.
        from urllib.parse import unquote

        resource_arn = unquote(self.path.split("/tags/", 1)[-1].strip("/"))
        return json.dumps({"Tags": self.backup_backend.list_tags(resource_arn=resource_arn)})

    def vault_of(self: Any) -> Any:
        # /backup-vaults/{backupVaultName}/access-policy
        return self.backup_backend.describe_backup_vault(self.path.rstrip("/").split("/")[-2])

    def put_backup_vault_access_policy(self: Any) -> str:
        vault = vault_of(self)
        policy = json.loads(self.body or "{}").get("Policy")
        if not policy:
            from moto.backup.exceptions import InvalidParameterValueException

            raise InvalidParameterValueException(msg="Policy is required")
        vault._e2e_access_policy = policy
        return "{}"

    def get_backup_vault_access_policy(self: Any) -> str:
        vault = vault_of(self)
        policy = getattr(vault, "_e2e_access_policy", None)
        if policy is None:
            raise ResourceNotFoundException(msg=f"Backup vault {vault.backup_vault_name} has no access policy")
        return json.dumps(
            {"BackupVaultName": vault.backup_vault_name, "BackupVaultArn": vault.backup_vault_arn, "Policy": policy}
        )

    def delete_backup_vault_access_policy(self: Any) -> str:
        vault = vault_of(self)
        vault._e2e_access_policy = None
        return "{}"

    # moto routes no path under /access-policy: the server builds its URL map from this module when it first
    # serves Backup (after install()).
    from moto.backup import urls

    urls.url_paths["{0}/backup-vaults/(?P<name>[^/]+)/access-policy$"] = urls.response.dispatch
    BackupResponse.put_backup_vault_access_policy = put_backup_vault_access_policy  # type: ignore[attr-defined]
    BackupResponse.get_backup_vault_access_policy = get_backup_vault_access_policy  # type: ignore[attr-defined]
    BackupResponse.delete_backup_vault_access_policy = delete_backup_vault_access_policy  # type: ignore[attr-defined]
    BackupResponse.list_tags = list_tags  # type: ignore[method-assign]
    BackupResponse.create_backup_selection = create_backup_selection  # type: ignore[attr-defined]
    BackupResponse.get_backup_selection = get_backup_selection  # type: ignore[attr-defined]
    BackupResponse.delete_backup_selection = delete_backup_selection  # type: ignore[attr-defined]
    BackupResponse.list_backup_selections = list_backup_selections  # type: ignore[attr-defined]
    BackupBackend.delete_backup_plan = delete_backup_plan  # type: ignore[method-assign]


# --- Auto Scaling instance refresh -----------------------------------------------------------------------


def _install_autoscaling() -> None:
    from moto.autoscaling.responses import AutoScalingResponse
    from moto.core.responses import ActionResult

    def refreshes(backend: Any) -> list[dict[str, Any]]:
        if not hasattr(backend, "_e2e_refreshes"):
            backend._e2e_refreshes = []
        return backend._e2e_refreshes  # type: ignore[no-any-return]

    def start_instance_refresh(self: Any) -> ActionResult:
        name = self._get_param("AutoScalingGroupName")
        self.autoscaling_backend.describe_auto_scaling_groups([name])  # validates the group
        now = datetime.datetime.now(tz=datetime.UTC)
        refresh = {
            "InstanceRefreshId": str(uuid.uuid4()),
            "AutoScalingGroupName": name,
            "Status": "Successful",
            "StatusReason": "emulator: instance refresh completes at once",
            "StartTime": now,
            "EndTime": now,
            "PercentageComplete": 100,
            "InstancesToUpdate": 0,
        }
        refreshes(self.autoscaling_backend).append(refresh)
        return ActionResult({"InstanceRefreshId": refresh["InstanceRefreshId"]})

    def describe_instance_refreshes(self: Any) -> ActionResult:
        name = self._get_param("AutoScalingGroupName")
        listed = [r for r in reversed(refreshes(self.autoscaling_backend)) if r["AutoScalingGroupName"] == name]
        return ActionResult({"InstanceRefreshes": listed})

    def cancel_instance_refresh(self: Any) -> ActionResult:
        from moto.autoscaling.exceptions import AutoscalingClientError

        name = self._get_param("AutoScalingGroupName")
        if not any(r["Status"] in ("Pending", "InProgress") for r in refreshes(self.autoscaling_backend)):
            raise AutoscalingClientError("ActiveInstanceRefreshNotFound", f"No in progress refresh for {name}")
        return ActionResult({})

    AutoScalingResponse.start_instance_refresh = start_instance_refresh  # type: ignore[attr-defined]
    AutoScalingResponse.describe_instance_refreshes = describe_instance_refreshes  # type: ignore[attr-defined]
    AutoScalingResponse.cancel_instance_refresh = cancel_instance_refresh  # type: ignore[attr-defined]


# --- EC2 block devices -----------------------------------------------------------------------------------

# Root volume size of the Amazon Linux 2023 AMIs the app tier uses; moto's AMIs carry no snapshot size.
DEFAULT_ROOT_VOLUME_GIB = 8


def _install_ec2() -> None:
    from moto.ec2.models.instances import Instance

    original: Any = Instance.add_block_device

    def add_block_device(
        self: Any, size: int | None, device_name: str, snapshot_id: str | None = None, *args: Any, **kwargs: Any
    ) -> Any:
        if size is None and snapshot_id is None:
            size = DEFAULT_ROOT_VOLUME_GIB
        return original(self, size, device_name, snapshot_id, *args, **kwargs)

    Instance.add_block_device = add_block_device  # type: ignore[method-assign,assignment]


# --- attributes moto drops that the provider reads back (each one a perpetual diff otherwise) ------------

# The CA AWS gives a new DB instance when CreateDBInstance names none (RDS User Guide, "Using SSL/TLS":
# rds-ca-rsa2048-g1 is the default for new instances). moto answers rds-ca-default, which makes the provider
# modify and reboot every new cluster instance (two more 30 s waiter delays each).
DEFAULT_CA_CERTIFICATE = "rds-ca-rsa2048-g1"


def _install_dropped_attributes() -> None:
    from moto.autoscaling.models import FakeScalingPolicy
    from moto.awslambda.models import LambdaFunction
    from moto.ec2.models.launch_templates import LaunchTemplateVersion
    from moto.ec2.models.security_groups import SecurityGroupRule
    from moto.rds.models import DBCluster, DBInstance
    from moto.route53.models import HealthCheck
    from moto.route53.responses import Route53
    from moto.secretsmanager.models import FakeSecret

    # RDS instances: the CA default, and Performance Insights settings (moto stores none of them).
    original_instance_init: Any = DBInstance.__init__

    def instance_init(self: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("ca_certificate_identifier", DEFAULT_CA_CERTIFICATE)
        original_instance_init(self, *args, **kwargs)
        self.performance_insights_enabled = bool(kwargs.get("enable_performance_insights"))
        self.performance_insights_kms_key_id = kwargs.get("performance_insights_kms_key_id")
        self.performance_insights_retention_period = kwargs.get("performance_insights_retention_period")

    DBInstance.__init__ = instance_init  # type: ignore[method-assign]

    # RDS clusters: ScalingConfigurationInfo exists only for engine_mode serverless (Serverless v1).
    def scaling_configuration_info(self: Any) -> dict[str, Any] | None:
        configuration = self.scaling_configuration
        if self.engine_mode != "serverless" or not configuration:
            return None
        return {
            "MinCapacity": configuration.get("min_capacity"),
            "MaxCapacity": configuration.get("max_capacity"),
            "AutoPause": configuration.get("auto_pause"),
            "SecondsUntilAutoPause": configuration.get("seconds_until_auto_pause"),
            "TimeoutAction": configuration.get("timeout_action"),
            "SecondsBeforeTimeout": configuration.get("seconds_before_timeout"),
        }

    DBCluster.scaling_configuration_info = property(scaling_configuration_info)  # type: ignore[assignment,method-assign]

    # Auto Scaling policies: Enabled defaults to true; no PredictiveScalingConfiguration unless given.
    original_policy_init: Any = FakeScalingPolicy.__init__

    def policy_init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_policy_init(self, *args, **kwargs)
        self.enabled = kwargs.get("enabled", True) is not False
        if not self.predictive_scaling_configuration:
            self.predictive_scaling_configuration = None

    FakeScalingPolicy.__init__ = policy_init  # type: ignore[method-assign]

    # Launch templates: the request's launch-template tags tag the template, they are not template data.
    original_version_init: Any = LaunchTemplateVersion.__init__

    def version_init(self: Any, template: Any, number: int, data: dict[str, Any], description: str) -> None:
        specs = data.get("TagSpecifications")
        if specs:
            data = {**data, "TagSpecifications": [s for s in specs if s.get("ResourceType") != "launch-template"]}
            if not data["TagSpecifications"]:
                del data["TagSpecifications"]
        original_version_init(self, template, number, data, description)

    LaunchTemplateVersion.__init__ = version_init  # type: ignore[method-assign]

    # Security group rules: a rule that references a group keeps its description.
    def rule_description(self: Any) -> str | None:
        return self.ip_range.get("Description") or (self.source_group or {}).get("Description")

    SecurityGroupRule.description = property(rule_description)  # type: ignore[assignment,method-assign]

    # Lambda: DeadLetterConfig and LoggingConfig are returned as they were set.
    original_function_init: Any = LambdaFunction.__init__

    def function_init(self: Any, account_id: str, spec: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        original_function_init(self, account_id, spec, *args, **kwargs)
        self._e2e_extra = {k: spec[k] for k in ("DeadLetterConfig", "LoggingConfig") if spec.get(k)}

    original_get_configuration: Any = LambdaFunction.get_configuration

    def get_configuration(self: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        config = dict(original_get_configuration(self, *args, **kwargs))
        config.update(getattr(self, "_e2e_extra", {}))
        return config

    LambdaFunction.__init__ = function_init  # type: ignore[method-assign]
    LambdaFunction.get_configuration = get_configuration  # type: ignore[method-assign]

    # Secrets Manager replicas keep the KmsKeyId they were created with.
    original_create_replicas: Any = FakeSecret.create_replicas

    def create_replicas(self: Any, replica_regions: list[dict[str, str]], force_overwrite: bool) -> Any:
        replicas = original_create_replicas(self, replica_regions, force_overwrite)
        keys = {r["Region"]: r.get("KmsKeyId") for r in replica_regions or []}
        for replica in replicas:
            if keys.get(replica.region):
                replica.config["KmsKeyId"] = keys[replica.region]
        return replicas

    FakeSecret.create_replicas = create_replicas  # type: ignore[method-assign]

    # Route53 CLOUDWATCH_METRIC health checks: AlarmIdentifier and InsufficientDataHealthStatus are kept,
    # and the endpoint fields (IPAddress, Port, RequestInterval, ...) that this type has not are left out.
    original_config: Any = HealthCheck.health_check_config.fget  # type: ignore[attr-defined]

    def health_check_config(self: Any) -> dict[str, Any]:
        config = dict(original_config(self))
        extra = getattr(self, "_e2e_metric", None)
        if self.type_ == "CLOUDWATCH_METRIC":
            for key in ("IPAddress", "Port", "RequestInterval", "FailureThreshold", "MeasureLatency"):
                config.pop(key, None)
        if extra:
            config.update(extra)
        return config

    HealthCheck.health_check_config = property(health_check_config)  # type: ignore[assignment,method-assign]

    def keep_metric_fields(original: Any) -> Any:
        def wrapped(self: Any) -> Any:
            result = original(self)
            config = self._get_param("HealthCheckConfig") or {}
            extra = {k: config[k] for k in ("AlarmIdentifier", "InsufficientDataHealthStatus") if k in config}
            if not extra:
                extra = {k: self._get_param(k) for k in ("AlarmIdentifier", "InsufficientDataHealthStatus")}
                extra = {k: v for k, v in extra.items() if v}
            health_check = result.result.get("HealthCheck") if hasattr(result, "result") else None
            if health_check is not None and extra:
                previous = getattr(health_check, "_e2e_metric", None) or {}
                health_check._e2e_metric = {**previous, **extra}
            return result

        return wrapped

    Route53.create_health_check = keep_metric_fields(Route53.create_health_check)  # type: ignore[method-assign]
    Route53.update_health_check = keep_metric_fields(Route53.update_health_check)  # type: ignore[method-assign]


# --- S3 replication rules --------------------------------------------------------------------------------


def replication_rules_as_put(stored: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The Rules of a GetBucketReplication answer, from the rules PutBucketReplication stored.

    AWS API reference, GetBucketReplication: the response's ReplicationConfiguration holds the Rules that were
    put, each with ID, Priority, Filter (or the legacy Prefix), Status, SourceSelectionCriteria,
    ExistingObjectReplication, Destination and DeleteMarkerReplication. moto 5.2.5 answered every rule with
    DeleteMarkerReplication Disabled and without SourceSelectionCriteria, so the provider read a different rule
    (a perpetual diff on the state bucket's replication). moto stores the parsed XML (xmltodict: strings,
    None for an empty element); an empty Filter is answered as moto did (Prefix ""), which the provider reads
    as the empty filter it put.
    """
    rules = []
    for rule in stored:
        answer: dict[str, Any] = {
            "ID": rule["ID"],
            "Priority": int(rule.get("Priority") or 0),
            "Status": rule["Status"],
            "DeleteMarkerReplication": rule.get("DeleteMarkerReplication") or {"Status": "Disabled"},
            "Destination": rule["Destination"],
        }
        if "Filter" in rule or "Prefix" not in rule:
            answer["Filter"] = rule.get("Filter") or {"Prefix": ""}
        else:
            answer["Prefix"] = rule.get("Prefix") or ""
        for key in ("SourceSelectionCriteria", "ExistingObjectReplication"):
            if rule.get(key):
                answer[key] = rule[key]
        rules.append(answer)
    return rules


def _install_s3_replication() -> None:
    from moto.core.responses import ActionResult
    from moto.s3.exceptions import ReplicationConfigurationNotFoundError
    from moto.s3.responses import S3Response

    def get_bucket_replication(self: Any) -> Any:
        self.data["Action"] = "GetBucketReplication"
        replication = self.backend.get_bucket_replication(self.bucket_name)
        if not replication:
            raise ReplicationConfigurationNotFoundError(bucket_name=self.bucket_name)
        return self.serialized(
            ActionResult(
                {
                    "ReplicationConfiguration": {
                        "Role": replication["Role"],
                        "Rules": replication_rules_as_put(replication["Rule"]),
                    }
                }
            )
        )

    S3Response.get_bucket_replication = get_bucket_replication  # type: ignore[method-assign]
    _install_s3_live_replication()


def replication_rule_for(replication: dict[str, Any] | None, key: str, *, kms_encrypted: bool) -> dict[str, Any] | None:
    """The rule that replicates a new object ``key`` (None: it is not replicated). S3 User Guide, live
    replication: an Enabled rule whose filter prefix matches the key replicates it, the highest Priority first;
    "By default, Amazon S3 doesn't replicate objects that are stored at rest using server-side encryption with
    AWS KMS keys": an SSE-KMS object only with SourceSelectionCriteria SseKmsEncryptedObjects Enabled."""
    if not replication:
        return None
    matching = []
    for rule in replication.get("Rule") or []:
        if rule.get("Status") != "Enabled":
            continue
        found = rule.get("Filter") or {}
        prefix = str((found.get("And") or found).get("Prefix") or rule.get("Prefix") or "")
        if not key.startswith(prefix):
            continue
        sse_kms = ((rule.get("SourceSelectionCriteria") or {}).get("SseKmsEncryptedObjects") or {}).get("Status")
        if kms_encrypted and sse_kms != "Enabled":
            continue
        matching.append(rule)
    return max(matching, key=lambda r: int(r.get("Priority") or 0)) if matching else None


def _install_s3_live_replication() -> None:
    from moto.s3.models import S3Backend

    original_put = S3Backend.put_object
    original_delete = S3Backend.delete_object

    def destination(rule: dict[str, Any]) -> str:
        return str(rule["Destination"]["Bucket"]).rsplit(":", 1)[-1]  # arn:aws:s3:::<bucket>

    def put_object(self: Any, bucket_name: str, key_name: str, value: bytes, *args: Any, **kwargs: Any) -> Any:
        key = original_put(self, bucket_name, key_name, value, *args, **kwargs)
        replication = getattr(self.get_bucket(bucket_name), "replication", None)
        rule = replication_rule_for(replication, key_name, kms_encrypted=key.encryption == "aws:kms")
        if rule is not None:
            # The replica keeps the key and the content, encrypted with the destination's ReplicaKmsKeyID.
            replica_key = ((rule["Destination"].get("EncryptionConfiguration") or {}).get("ReplicaKmsKeyID")) or None
            original_put(
                self,
                destination(rule),
                key_name,
                value,
                encryption="aws:kms" if replica_key else key.encryption,
                kms_key_id=replica_key or key.kms_key_id,
                disable_notification=True,
            )
        return key

    def delete_object(
        self: Any, bucket_name: str, key_name: str, version_id: str | None = None, bypass: bool = False
    ) -> Any:
        answer = original_delete(self, bucket_name, key_name, version_id, bypass)
        bucket = self.get_bucket(bucket_name)
        # A DELETE without a version adds a delete marker, replicated when the rule says so; "If you specify an
        # object version ID to delete ... Amazon S3 doesn't replicate the deletion" (S3 User Guide).
        if version_id is None and bucket.is_versioned:
            rule = replication_rule_for(getattr(bucket, "replication", None), key_name, kms_encrypted=False)
            if rule is not None and (rule.get("DeleteMarkerReplication") or {}).get("Status") == "Enabled":
                original_delete(self, destination(rule), key_name, None, bypass)
        return answer

    S3Backend.put_object = put_object  # type: ignore[method-assign]
    S3Backend.delete_object = delete_object  # type: ignore[method-assign]


# --- IAM policy simulation ---------------------------------------------------------------------------------


def role_policies(role: Any, backend: Any) -> tuple[list[Any], list[Any]]:
    """A moto role's identity policies (inline, then attached managed) and its permissions boundary."""
    from .iam_simulator import Policy, document

    def managed(arn: str) -> Any:
        policy = backend.get_policy(arn)
        version = next(v for v in policy.versions if v.version_id == policy.default_version_id)
        kind = "aws-managed" if ":iam::aws:policy/" in arn else "user-managed"
        return Policy(arn, kind, document(version.document))

    policies = [Policy(name, "role", document(text)) for name, text in role.policies.items()]
    policies += [managed(arn) for arn in role.managed_policies]
    boundary = [managed(role.permissions_boundary_arn)] if role.permissions_boundary_arn else []
    return policies, boundary


def _install_iam_simulation() -> None:
    from moto.core.responses import ActionResult
    from moto.iam.exceptions import IAMException
    from moto.iam.responses import IamResponse

    from .iam_simulator import Unsupported, simulate

    class InvalidInputException(IAMException):
        code = "InvalidInput"  # SimulatePrincipalPolicy's error for a request it cannot evaluate

    def simulate_principal_policy(self: Any) -> ActionResult:
        source = str(self._get_param("PolicySourceArn") or "")
        for unsupported in ("PolicyInputList", "PermissionsBoundaryPolicyInputList", "ResourcePolicy"):
            if self._get_param(unsupported):
                raise InvalidInputException(f"emulator: {unsupported} is not simulated")
        if ":role/" not in source:
            raise InvalidInputException(f"emulator: only roles are simulated, not {source}")
        role_name = source.rsplit("/", 1)[-1]
        role = self.backend.get_role(role_name)  # NoSuchEntity when unknown, as IAM answers
        policies, boundary = role_policies(role, self.backend)
        context = {
            entry["ContextKeyName"]: [str(v) for v in entry.get("ContextKeyValues") or []]
            for entry in self._get_param("ContextEntries") or []
        }
        try:
            results = simulate(
                policies,
                list(self._get_param("ActionNames") or []),
                list(self._get_param("ResourceArns") or []),
                context,
                boundary=boundary,
            )
        except Unsupported as error:
            raise InvalidInputException(f"emulator: {error}") from error
        start = int(self._get_param("Marker") or 0)
        size = int(self._get_param("MaxItems") or 100)
        page = results[start : start + size]
        truncated = start + size < len(results)
        answer: dict[str, Any] = {"EvaluationResults": page, "IsTruncated": truncated}
        if truncated:
            answer["Marker"] = str(start + size)
        return ActionResult(answer)

    IamResponse.simulate_principal_policy = simulate_principal_policy  # type: ignore[attr-defined]


# --- S3 bucket policy conditions ----------------------------------------------------------------------------

# The IAM action S3 authorizes each object request with (S3 API reference: HeadObject needs s3:GetObject).
_S3_OBJECT_ACTIONS = {"s3:HeadObject": "s3:GetObject"}
_S3_REQUEST = threading.local()  # the object request being authorized (its headers)


def bucket_policy_decision(policy: str, action: str, resource: str, headers: Any) -> str:
    """The bucket policy's decision on an object request by a caller none of its named principals is.

    Only the statements for every principal (``"*"``) can apply to such a caller (the others name AWS services
    and accounts); their conditions read aws:SecureTransport ("true": the loopback endpoint stands for the TLS
    one) and the request's s3:x-amz-server-side-encryption headers (S3 User Guide, "Requiring SSE-KMS for all
    objects written to a bucket")."""
    from .iam_simulator import Policy, decide, document

    statements = [st for st in document(policy).get("Statement", []) if st.get("Principal") in ("*", {"AWS": "*"})]
    context: dict[str, list[str]] = {"aws:securetransport": ["true"]}
    for header in ("x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id"):
        value = headers.get(header) if headers is not None else None
        if value:
            context[f"s3:{header}"] = [str(value)]
    decision = decide(
        [Policy("bucket", "resource", {"Statement": statements})],
        _S3_OBJECT_ACTIONS.get(action, action),
        resource,
        context,
        resource_policy=True,
    )
    return decision.decision


def _install_s3_bucket_policy_conditions() -> None:
    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket
    from moto.s3.responses import S3Response

    original_key_response = S3Response._key_response

    def key_response(self: Any, request: Any, full_url: str) -> Any:
        _S3_REQUEST.headers = request.headers
        try:
            return original_key_response(self, request, full_url)
        finally:
            _S3_REQUEST.headers = None

    def get_permission(self: Any, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        policy = self.policy.decode() if isinstance(self.policy, bytes) else self.policy
        decision = bucket_policy_decision(policy, action, resource, getattr(_S3_REQUEST, "headers", None))
        return {"explicitDeny": PermissionResult.DENIED, "allowed": PermissionResult.PERMITTED}.get(
            decision, PermissionResult.NEUTRAL
        )

    S3Response._key_response = key_response  # type: ignore[method-assign]
    FakeBucket.get_permission = get_permission  # type: ignore[method-assign]
