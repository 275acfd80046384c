"""Re-protect: put this region back into the global cluster as a secondary after it lost its place.

After ``FailoverGlobalCluster`` the old primary normally rejoins by itself as a secondary when its
region is reachable again; this mode is for when it cannot: it was detached (``RemoveFromGlobalCluster``
or a detach-and-promote), or its cluster is gone. The function deployed in that region runs it.

``assess`` only reads and names every missing piece at once (dry run). ``execute`` first assesses,
refuses while anything blocks, then calls ``CreateDBCluster`` with ``GlobalClusterIdentifier`` and
the global cluster's engine and version plus this region's stack settings (KMS key, subnet group,
security groups, parameter group, backups), then ``CreateDBInstance`` for each instance.

Aurora adds only a new, empty cluster to a global cluster as a secondary (Aurora User Guide, "Adding
an AWS Region to an Amazon Aurora global database"); a detached cluster that still holds data is
never deleted here: the operator decides, with the commands the assessment prints.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import dr_contract as contract
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from dr_failover.aws import ClientsFactory
    from dr_failover.config import Config
    from dr_failover.events import FailoverRequest

LOG = logging.getLogger(__name__)
SPEC_VARIABLE = contract.REPROTECT_CLUSTER_SPEC
# Keys of the spec the stack writes (one JSON variable): the region's CreateDBCluster/CreateDBInstance settings.
SPEC_KEYS = (
    "db_subnet_group_name",
    "vpc_security_group_ids",
    "kms_key_arn",
    "cluster_parameter_group_name",
    "port",
    "backup_retention_days",
    "backup_window",
    "maintenance_window",
    "log_exports",
    "deletion_protection",
    "serverless_min_capacity",
    "serverless_max_capacity",
    "instance_class",
    "instance_count",
    "instance_parameter_group_name",
    "monitoring_interval",
    "monitoring_role_arn",
    "ca_certificate",
)
# Membership statuses in which a member is replicating or about to (DescribeGlobalClusters SynchronizationStatus).
PROTECTED_SYNC = ("connected", "pending-resync", None)


class SpecError(ValueError):
    """REPROTECT_CLUSTER_SPEC is missing or malformed (the deployment is wrong)."""


@dataclass(frozen=True)
class ClusterSpec:
    """This region's cluster settings as the stack synthesized them."""

    cluster_id: str
    region: str
    global_cluster_id: str
    values: Mapping[str, Any]

    @classmethod
    def from_environment(
        cls, environ: Mapping[str, str], *, cluster_id: str, region: str, global_cluster_id: str
    ) -> ClusterSpec:
        """Parse REPROTECT_CLUSTER_SPEC; one SpecError naming every missing or wrong key."""
        raw = environ.get(SPEC_VARIABLE)
        if not raw:
            raise SpecError(f"{SPEC_VARIABLE} is required for mode 'reprotect' and is not set")
        try:
            values = json.loads(raw)
        except json.JSONDecodeError as error:
            raise SpecError(f"{SPEC_VARIABLE} must be a JSON object, got {raw[:60]!r} ({error.msg})") from error
        if not isinstance(values, dict):
            raise SpecError(f"{SPEC_VARIABLE} must be a JSON object, got {type(values).__name__}")
        problems = [f"{SPEC_VARIABLE} lacks {key!r}" for key in SPEC_KEYS if key not in values]
        if "instance_count" in values and (
            not isinstance(values["instance_count"], int) or values["instance_count"] < 1
        ):
            problems.append(f"{SPEC_VARIABLE} instance_count must be an integer >= 1, got {values['instance_count']!r}")
        if "vpc_security_group_ids" in values and not isinstance(values["vpc_security_group_ids"], list):
            problems.append(f"{SPEC_VARIABLE} vpc_security_group_ids must be a list")
        if problems:
            raise SpecError("; ".join(problems))
        return cls(cluster_id=cluster_id, region=region, global_cluster_id=global_cluster_id, values=values)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def instance_ids(self) -> list[str]:
        """Identifiers Terraform gives the instances: ``<cluster>-1`` .. ``<cluster>-<count>``."""
        return [f"{self.cluster_id}-{index}" for index in range(1, int(self["instance_count"]) + 1)]


@dataclass
class Finding:
    """One fact of the assessment; ``blocking`` ones must be fixed before re-adding."""

    name: str
    ok: bool
    detail: str
    blocking: bool = True
    fix: str = ""


@dataclass
class Assessment:
    """What the region's place in the global cluster is and what re-adding it needs."""

    state: str  # "protected" | "writer" | "can_readd" | "blocked"
    findings: list[Finding] = field(default_factory=list)
    engine: str = ""
    engine_version: str = ""
    writer_arn: str | None = None

    @property
    def missing(self) -> list[Finding]:
        """Findings that block re-adding."""
        return [f for f in self.findings if not f.ok and f.blocking]

    def summary(self) -> str:
        """One line per finding, fixes included."""
        return "\n".join(
            f"{'OK ' if f.ok else 'MISSING '}{f.name}: {f.detail}" + (f" -> {f.fix}" if f.fix and not f.ok else "")
            for f in self.findings
        )


def _code(error: BaseException) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", "ClientError"))
    return type(error).__name__


def assess(spec: ClusterSpec, *, rds: Any, ec2: Any, kms: Any) -> Assessment:
    """Read-only: can this region's cluster be (re-)added to the global cluster as a secondary, and if not why."""
    try:
        clusters = rds.describe_global_clusters(GlobalClusterIdentifier=spec.global_cluster_id)["GlobalClusters"]
    except ClientError as error:
        if _code(error) != "GlobalClusterNotFoundFault":
            raise
        clusters = []
    if not clusters:
        return Assessment(
            "blocked",
            [
                Finding(
                    "global_cluster",
                    False,
                    f"global cluster {spec.global_cluster_id} not found",
                    fix="nothing to rejoin: recreate the stack's database with terraform apply "
                    "(from the surviving cluster's snapshot)",
                )
            ],
        )
    cluster = clusters[0]
    assessment = Assessment(
        "blocked", engine=cluster.get("Engine", ""), engine_version=cluster.get("EngineVersion", "")
    )
    members = cluster.get("GlobalClusterMembers", [])
    writer = next((m for m in members if m.get("IsWriter")), None)
    assessment.writer_arn = writer.get("DBClusterArn") if writer else None
    assessment.findings.append(
        Finding(
            "global_cluster",
            writer is not None,
            f"{spec.global_cluster_id} status {cluster.get('Status')!r}, engine {assessment.engine} "
            f"{assessment.engine_version}, writer {assessment.writer_arn or 'none'}",
            fix="the global cluster needs a writer before a secondary can be added",
        )
    )
    own = next((m for m in members if _cluster_id_of(m.get("DBClusterArn", "")) == spec.cluster_id), None)
    if own is not None and own.get("DBClusterArn", "").split(":")[3] == spec.region:
        if own.get("IsWriter"):
            assessment.state = "writer"
            assessment.findings.append(
                Finding(
                    "membership",
                    True,
                    f"{spec.cluster_id} is the writer: this region is the primary; re-protect the other "
                    "region with the function deployed there",
                    blocking=False,
                )
            )
        else:
            sync = own.get("SynchronizationStatus")
            assessment.state = "protected"
            assessment.findings.append(
                Finding(
                    "membership",
                    sync in PROTECTED_SYNC,
                    f"{spec.cluster_id} is a secondary member (synchronization {sync or 'not reported'}): "
                    "already protected, nothing to re-add",
                    blocking=False,
                    fix="wait for synchronization to reach 'connected'",
                )
            )
        return assessment

    _own_cluster(spec, rds, assessment)
    _prerequisites(spec, rds=rds, ec2=ec2, kms=kms, assessment=assessment)
    assessment.state = "blocked" if assessment.missing else "can_readd"
    return assessment


def _cluster_id_of(arn: str) -> str:
    return arn.rsplit(":cluster:", 1)[-1] if ":cluster:" in arn else ""


def _own_cluster(spec: ClusterSpec, rds: Any, assessment: Assessment) -> None:
    """Not a member: the cluster must be gone (its identifier free) before it can be re-added."""
    try:
        found = rds.describe_db_clusters(DBClusterIdentifier=spec.cluster_id)["DBClusters"]
    except ClientError as error:
        if _code(error) != "DBClusterNotFoundFault":
            raise
        found = []
    if not found:
        assessment.findings.append(
            Finding(
                "cluster_identifier", True, f"{spec.cluster_id} does not exist in {spec.region}: it can be re-added"
            )
        )
        return
    existing = found[0]
    instances = [m["DBInstanceIdentifier"] for m in existing.get("DBClusterMembers", [])]
    deletes = " && ".join(
        f"aws rds delete-db-instance --region {spec.region} --db-instance-identifier {i}" for i in instances
    )
    fix = (
        f"an existing cluster with data cannot become a secondary. Keep its data with a final snapshot, then delete "
        f"it: {deletes + ' && ' if deletes else ''}aws rds delete-db-cluster --region {spec.region} "
        f"--db-cluster-identifier {spec.cluster_id} --final-db-snapshot-identifier {spec.cluster_id}-detached; "
        "then run reprotect again"
    )
    status = existing.get("Status")
    assessment.findings.append(
        Finding(
            "cluster_identifier",
            False,
            f"{spec.cluster_id} exists in {spec.region} outside the global cluster (status {status!r}, "
            f"{len(instances)} instance(s): {', '.join(instances) or 'none'}); it was detached",
            fix=fix if status != "deleting" else "it is being deleted: run reprotect again when it is gone",
        )
    )


def _prerequisites(spec: ClusterSpec, *, rds: Any, ec2: Any, kms: Any, assessment: Assessment) -> None:
    """The region's subnet group, security groups, parameter groups and KMS key must exist (terraform made them)."""
    reapply = "terraform apply (cdktf deploy) recreates it"
    checks: list[tuple[str, Any, str]] = [
        (
            "db_subnet_group",
            lambda: rds.describe_db_subnet_groups(DBSubnetGroupName=spec["db_subnet_group_name"]),
            spec["db_subnet_group_name"],
        ),
        (
            "cluster_parameter_group",
            lambda: rds.describe_db_cluster_parameter_groups(
                DBClusterParameterGroupName=spec["cluster_parameter_group_name"]
            ),
            spec["cluster_parameter_group_name"],
        ),
        (
            "instance_parameter_group",
            lambda: rds.describe_db_parameter_groups(DBParameterGroupName=spec["instance_parameter_group_name"]),
            spec["instance_parameter_group_name"],
        ),
        (
            "security_groups",
            lambda: ec2.describe_security_groups(GroupIds=list(spec["vpc_security_group_ids"])),
            ", ".join(spec["vpc_security_group_ids"]),
        ),
    ]
    for name, read, what in checks:
        try:
            read()
            assessment.findings.append(Finding(name, True, f"{what} exists"))
        except ClientError as error:
            assessment.findings.append(Finding(name, False, f"{what} not usable ({_code(error)})", fix=reapply))
    try:
        key = kms.describe_key(KeyId=spec["kms_key_arn"])["KeyMetadata"]
        state = key.get("KeyState")
        assessment.findings.append(
            Finding(
                "kms_key",
                state == "Enabled",
                f"{spec['kms_key_arn']} state {state}",
                fix="enable the key (or cancel its deletion: aws kms cancel-key-deletion)",
            )
        )
    except ClientError as error:
        assessment.findings.append(
            Finding("kms_key", False, f"{spec['kms_key_arn']} not usable ({_code(error)})", fix=reapply)
        )


def create_cluster_params(spec: ClusterSpec, assessment: Assessment) -> dict[str, Any]:
    """CreateDBCluster parameters: a secondary of the global cluster with the stack's settings, no credentials."""
    params: dict[str, Any] = {
        "DBClusterIdentifier": spec.cluster_id,
        "GlobalClusterIdentifier": spec.global_cluster_id,
        "Engine": assessment.engine,
        "EngineVersion": assessment.engine_version,
        "DBSubnetGroupName": spec["db_subnet_group_name"],
        "VpcSecurityGroupIds": list(spec["vpc_security_group_ids"]),
        "DBClusterParameterGroupName": spec["cluster_parameter_group_name"],
        "StorageEncrypted": True,
        "KmsKeyId": spec["kms_key_arn"],
        "Port": int(spec["port"]),
        "BackupRetentionPeriod": int(spec["backup_retention_days"]),
        "PreferredBackupWindow": spec["backup_window"],
        "PreferredMaintenanceWindow": spec["maintenance_window"],
        "EnableCloudwatchLogsExports": list(spec["log_exports"]),
        "EnableIAMDatabaseAuthentication": True,
        "DeletionProtection": bool(spec["deletion_protection"]),
        "CopyTagsToSnapshot": True,
    }
    if spec["instance_class"] == "db.serverless":
        params["ServerlessV2ScalingConfiguration"] = {
            "MinCapacity": float(spec["serverless_min_capacity"]),
            "MaxCapacity": float(spec["serverless_max_capacity"]),
        }
    return params


def create_instance_params(spec: ClusterSpec, assessment: Assessment, identifier: str, index: int) -> dict[str, Any]:
    """CreateDBInstance parameters for instance ``index`` (0 = preferred writer, promotion tier 0)."""
    params: dict[str, Any] = {
        "DBInstanceIdentifier": identifier,
        "DBClusterIdentifier": spec.cluster_id,
        "DBInstanceClass": spec["instance_class"],
        "Engine": assessment.engine,
        "DBParameterGroupName": spec["instance_parameter_group_name"],
        "PubliclyAccessible": False,
        "AutoMinorVersionUpgrade": True,
        "PromotionTier": 0 if index == 0 else 1,
        "EnablePerformanceInsights": True,
        "PerformanceInsightsKMSKeyId": spec["kms_key_arn"],
    }
    if int(spec["monitoring_interval"]):
        params["MonitoringInterval"] = int(spec["monitoring_interval"])
        params["MonitoringRoleArn"] = spec["monitoring_role_arn"]
    if spec["ca_certificate"]:
        params["CACertificateIdentifier"] = spec["ca_certificate"]
    return params


def plan_lines(spec: ClusterSpec, assessment: Assessment) -> list[str]:
    """The calls a real reprotect run would make, for the dry run's output."""
    cluster = create_cluster_params(spec, assessment)
    lines = [
        f"CreateDBCluster {spec.cluster_id} in {spec.region}: global cluster {spec.global_cluster_id}, "
        f"{cluster['Engine']} {cluster['EngineVersion']}, KMS {cluster['KmsKeyId']}, subnet group "
        f"{cluster['DBSubnetGroupName']}, security groups {', '.join(cluster['VpcSecurityGroupIds'])}"
    ]
    lines += [f"CreateDBInstance {i} ({spec['instance_class']})" for i in spec.instance_ids()]
    return lines


def execute(spec: ClusterSpec, *, rds: Any, ec2: Any, kms: Any, dry_run: bool) -> dict[str, Any]:
    """Assess; in a dry run (or when anything blocks) report; else create the cluster and its instances."""
    assessment = assess(spec, rds=rds, ec2=ec2, kms=kms)
    base = {
        "mode": "reprotect",
        "target_region": spec.region,
        "dry_run": dry_run,
        "state": assessment.state,
        "findings": [f.__dict__ for f in assessment.findings],
    }
    if assessment.state in ("protected", "writer"):
        return {**base, "status": "succeeded", "message": f"nothing to do: {assessment.findings[-1].detail}"}
    if assessment.state == "blocked":
        missing = "; ".join(f"{f.name}: {f.detail}" + (f" -> {f.fix}" if f.fix else "") for f in assessment.missing)
        return {**base, "status": "refused", "message": f"cannot re-add {spec.cluster_id}: {missing}"}
    plan = plan_lines(spec, assessment)
    if dry_run:
        return {
            **base,
            "status": "dry_run",
            "plan": plan,
            "message": f"dry run: would re-add {spec.cluster_id} as a secondary of {spec.global_cluster_id}",
        }
    rds.create_db_cluster(**create_cluster_params(spec, assessment))
    created = [spec.cluster_id]
    for index, identifier in enumerate(spec.instance_ids()):
        rds.create_db_instance(**create_instance_params(spec, assessment, identifier, index))
        created.append(identifier)
    return {
        **base,
        "status": "succeeded",
        "plan": plan,
        "created": created,
        "message": (
            f"re-added {spec.cluster_id} as a secondary of {spec.global_cluster_id} ({len(created) - 1} instance(s) "
            "creating; replication starts when they are available). Next terraform plan: no change expected "
            "(same identifiers and settings as the stack)"
        ),
    }


def run_reprotect(
    config: Config,
    clients_factory: ClientsFactory,
    request: FailoverRequest,
    *,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    run_id: str,
) -> dict[str, Any]:
    """Mode ``reprotect`` of the function in the region to re-add; a dry run's clients refuse every change."""
    from dr_failover.aws import error_code
    from dr_failover.clients import RunClients

    base = {"mode": contract.REPROTECT_MODE, "target_region": config.target_region, "run_id": run_id}
    try:
        spec = ClusterSpec.from_environment(
            {SPEC_VARIABLE: config.reprotect_cluster_spec or ""},
            cluster_id=config.target_cluster_id,
            region=config.target_region,
            global_cluster_id=config.global_cluster_id,
        )
    except SpecError as error:
        return {**base, "status": "invalid", "message": str(error)}
    clients = RunClients(config, clients_factory, sleep=sleep, clock=clock, read_only=request.dry_run)
    try:
        result = execute(
            spec,
            rds=clients.target("rds"),
            ec2=clients.target("ec2"),
            kms=clients.target("kms"),
            dry_run=request.dry_run,
        )
    except Exception as error:  # noqa: BLE001 - an unknown state is reported, never guessed
        return {**base, "status": "failed", "message": f"reprotect stopped: {error_code(error)}: {error}"}
    result = {**result, **base, "reason": request.reason}
    if not request.dry_run and "created" in result:
        try:
            clients.target("sns").publish(
                TopicArn=config.topic_arn,
                Subject=f"DR reprotect of {config.target_region}: {result['status']}"[:100],
                Message=json.dumps(result, indent=2, default=str),
            )
        except Exception as error:  # noqa: BLE001 - the clusters are being created; the result says it all
            result["message"] += f"; notification not sent ({error_code(error)})"
    LOG.info("reprotect result %s", json.dumps(result, default=str))
    return result
