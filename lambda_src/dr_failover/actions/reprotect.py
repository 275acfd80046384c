"""Re-protect: put this region back into the global cluster as a secondary after it lost its place.

After ``FailoverGlobalCluster`` the old primary normally rejoins by itself as a secondary when its
region is reachable again; this mode is for when it cannot: it was detached (``RemoveFromGlobalCluster``
or a detach-and-promote), or its cluster is gone. The function deployed in that region runs it.

``assess`` only reads and names every missing piece at once (dry run). ``execute`` first assesses,
refuses while anything blocks, then calls ``CreateDBCluster`` with ``GlobalClusterIdentifier`` and
the global cluster's engine and version plus this region's spec (``dr_cluster_spec``, the one the stack
builds the cluster from), then ``CreateDBInstance`` for each instance of the spec.

It resumes from live state. ``CreateDBCluster`` creates an empty cluster and takes no idempotency token,
and each ``CreateDBInstance`` can be refused on its own (``InsufficientDBInstanceCapacity``: "The specified
DB instance class isn't available in the specified Availability Zone", RDS API reference): a cluster that is
already a secondary of the global cluster (or being created as one) only gets the instances it lacks; an
identifier that already exists after a lost answer (``DBClusterAlreadyExistsFault``, ``DBInstanceAlreadyExists``)
is looked up again, never treated as a failure or as someone else's. A region counts as protected only when
its cluster is a member of the global cluster and every instance of the spec is serving.

Every call is bounded by the function's remaining time, with a margin kept for the result and its
notification; a run that stops early says what it created and that a rerun resumes.

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
from dr_cluster_spec import ClusterSpec, ClusterSpecError, InstancePlacement

if TYPE_CHECKING:
    from dr_failover.aws.calls import ClientsFactory
    from dr_failover.config import Config
    from dr_failover.run.events import FailoverRequest

LOG = logging.getLogger(__name__)
SPEC_VARIABLE = contract.REPROTECT_CLUSTER_SPEC
# Membership statuses in which a member is replicating or about to (DescribeGlobalClusters SynchronizationStatus).
PROTECTED_SYNC = ("connected", "pending-resync", None)
# DB instance statuses of a running instance that serves reads and can be promoted (RDS User Guide, "Viewing
# Amazon RDS DB instance status": the billed states other than creating, failing or stopped ones).
SERVING_INSTANCE_STATUSES = frozenset(
    {
        "available",
        "backing-up",
        "configuring-enhanced-monitoring",
        "configuring-iam-database-auth",
        "configuring-log-exports",
        "maintenance",
        "modifying",
        "rebooting",
        "renaming",
        "resetting-master-credentials",
        "storage-optimization",
        "upgrading",
    }
)
# An instance in these states becomes serving by itself: wait, do not create it again.
PENDING_INSTANCE_STATUSES = frozenset({"creating"})
# An instance being deleted goes away by itself; its identifier is free (and the instance created again by a
# rerun) once it is gone. Never serving meanwhile.
DELETING_INSTANCE_STATUSES = frozenset({"deleting"})
# A stopped cluster's instances (Aurora User Guide, "Viewing DB instance status": stopped, stopping, starting);
# start-db-cluster brings them back, a new instance would not help.
STOPPED_INSTANCE_STATUSES = frozenset({"stopped", "stopping", "starting"})
# inaccessible-encryption-credentials(-recoverable): RDS cannot use the KMS key; a new instance in the same
# cluster would fail the same way.
KMS_INSTANCE_STATUS_PREFIX = "inaccessible-encryption-credentials"
CAPACITY_REFUSED = "InsufficientDBInstanceCapacity"
# A capacity refusal is for a class in one AZ; the placement is the stack's (Terraform's plan stays clean only
# with the instance where the stack puts it), so the rerun asks for the same AZ.
CAPACITY_OPTIONS = (
    "the rerun asks for the same availability zone (placement is fixed so Terraform's plan stays clean): wait and "
    "rerun, or change the instance class (setting db_instance_class) in the stack settings and apply"
)
CLUSTER_EXISTS = "DBClusterAlreadyExistsFault"
# CreateDBInstance in a cluster not (yet) available (RDS API reference, CreateDBInstance errors).
CLUSTER_STATE = "InvalidDBClusterStateFault"
INSTANCE_EXISTS = "DBInstanceAlreadyExists"


class SpecError(ValueError):
    """REPROTECT_CLUSTER_SPEC is missing or malformed (the deployment is wrong)."""


@dataclass(frozen=True)
class ReprotectSpec:
    """This region's cluster as the stack built it (``dr_cluster_spec.ClusterSpec``), and where it belongs."""

    region: str
    global_cluster_id: str
    cluster: ClusterSpec

    @classmethod
    def from_environment(
        cls, environ: Mapping[str, str], *, cluster_id: str, region: str, global_cluster_id: str
    ) -> ReprotectSpec:
        """Parse REPROTECT_CLUSTER_SPEC; one SpecError naming every missing or wrong field."""
        raw = environ.get(SPEC_VARIABLE)
        if not raw:
            raise SpecError(f"{SPEC_VARIABLE} is required for mode 'reprotect' and is not set")
        try:
            cluster = ClusterSpec.from_json(raw)
        except ClusterSpecError as error:
            raise SpecError(f"{SPEC_VARIABLE}: {error}") from error
        if cluster.cluster_identifier != cluster_id:
            raise SpecError(
                f"{SPEC_VARIABLE} describes cluster {cluster.cluster_identifier!r}, but this function's target "
                f"cluster is {cluster_id!r}"
            )
        return cls(region=region, global_cluster_id=global_cluster_id, cluster=cluster)

    @property
    def cluster_id(self) -> str:
        """The regional cluster's identifier."""
        return self.cluster.cluster_identifier

    def instance_ids(self) -> list[str]:
        """Identifiers of the cluster's instances, as Terraform names them."""
        return [placement.identifier for placement in self.cluster.instances]


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

    # "protected" | "writer" | "can_readd" (no cluster) | "resume" (cluster without all its instances) |
    # "creating" (every instance requested, not all serving yet) | "blocked"
    state: str
    findings: list[Finding] = field(default_factory=list)
    engine: str = ""
    engine_version: str = ""
    writer_arn: str | None = None
    # The cluster's instances found (identifier -> DBInstanceStatus) and the spec's instances to create.
    instances: dict[str, str] = field(default_factory=dict)
    to_create: list[InstancePlacement] = field(default_factory=list)

    @property
    def pending(self) -> list[str]:
        """Instances of the cluster that are being created."""
        return [i for i, status in self.instances.items() if status in PENDING_INSTANCE_STATUSES]

    @property
    def deleting(self) -> list[str]:
        """Instances of the cluster that are being deleted."""
        return [i for i, status in self.instances.items() if status in DELETING_INSTANCE_STATUSES]

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


def assess(spec: ReprotectSpec, *, rds: Any, ec2: Any, kms: Any) -> Assessment:
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
            assessment.findings.append(
                Finding(
                    "membership",
                    sync in PROTECTED_SYNC,
                    f"{spec.cluster_id} is a secondary member (synchronization {sync or 'not reported'})",
                    blocking=False,
                    fix="wait for synchronization to reach 'connected'",
                )
            )
            _instances(spec, rds, assessment)
            _settle(assessment)
        return assessment

    existing = _own_cluster(spec, rds, assessment)
    if existing is not None:
        # A secondary of this global cluster that DescribeGlobalClusters does not list yet (being created).
        _instances(spec, rds, assessment)
        _settle(assessment)
        return assessment
    _prerequisites(spec, rds=rds, ec2=ec2, kms=kms, assessment=assessment)
    assessment.to_create = list(spec.cluster.instances)
    assessment.state = "blocked" if assessment.missing else "can_readd"
    return assessment


def instance_statuses(rds: Any, cluster_id: str) -> dict[str, str]:
    """Identifier -> DBInstanceStatus of every instance of a cluster (DescribeDBInstances, db-cluster-id filter)."""
    statuses: dict[str, str] = {}
    params: dict[str, Any] = {"Filters": [{"Name": "db-cluster-id", "Values": [cluster_id]}]}
    while True:
        page = rds.describe_db_instances(**params)
        for instance in page.get("DBInstances", []):
            statuses[instance["DBInstanceIdentifier"]] = str(instance.get("DBInstanceStatus", ""))
        if not page.get("Marker"):
            return statuses
        params["Marker"] = page["Marker"]


def _instances(spec: ReprotectSpec, rds: Any, assessment: Assessment) -> None:
    """The member cluster's instances against the spec: which to create, which are creating, which are broken."""
    found = instance_statuses(rds, spec.cluster_id)
    assessment.instances = found
    assessment.to_create = [p for p in spec.cluster.instances if p.identifier not in found]
    described = ", ".join(f"{p.identifier} {found.get(p.identifier, 'missing')}" for p in spec.cluster.instances)
    serving = [p.identifier for p in spec.cluster.instances if found.get(p.identifier) in SERVING_INSTANCE_STATUSES]
    assessment.findings.append(
        Finding(
            "instances",
            len(serving) == len(spec.cluster.instances),
            f"{len(serving)} of {len(spec.cluster.instances)} instance(s) serving: {described}",
            blocking=False,
            fix="the missing instances are created by this run; creating ones need a few minutes",
        )
    )
    waiting = SERVING_INSTANCE_STATUSES | PENDING_INSTANCE_STATUSES | DELETING_INSTANCE_STATUSES
    broken = [
        identifier
        for identifier, status in found.items()
        if identifier in {p.identifier for p in spec.cluster.instances} and status not in waiting
    ]
    for identifier in broken:
        assessment.findings.append(
            Finding(
                "instance_state",
                False,
                f"{identifier} is {found[identifier]!r}: it will not serve without help",
                fix=_instance_fix(spec, identifier, found[identifier]),
            )
        )


def _instance_fix(spec: ReprotectSpec, identifier: str, status: str) -> str:
    """What brings an instance in ``status`` back; nothing here deletes anything."""
    if status in STOPPED_INSTANCE_STATUSES:
        return (
            f"aws rds start-db-cluster --region {spec.region} --db-cluster-identifier {spec.cluster_id} "
            "(while it is starting, wait); then run reprotect again"
        )
    if status.startswith(KMS_INSTANCE_STATUS_PREFIX):
        return (
            f"RDS cannot use the KMS key {spec.cluster.kms_key_id}: enable it (or cancel its deletion) and restore "
            "the key policy's grant to RDS; a new instance would fail the same way; then run reprotect again"
        )
    if status == "failed" or status.startswith("incompatible-"):
        return (
            f"aws rds delete-db-instance --region {spec.region} --db-instance-identifier {identifier} "
            "(it holds no data: the cluster's storage does); then run reprotect again"
        )
    return f"see the instance's events (aws rds describe-events --source-identifier {identifier}); not deleted here"


def _settle(assessment: Assessment) -> None:
    """The state of a cluster that is (becoming) a secondary: protected only with every instance serving."""
    if assessment.missing:
        assessment.state = "blocked"
    elif assessment.to_create:
        assessment.state = "resume"
    elif assessment.pending or assessment.deleting:
        assessment.state = "creating"
    else:
        assessment.state = "protected"


def _cluster_id_of(arn: str) -> str:
    return arn.rsplit(":cluster:", 1)[-1] if ":cluster:" in arn else ""


def _describe_cluster(spec: ReprotectSpec, rds: Any) -> dict[str, Any] | None:
    """The region's cluster, None when DescribeDBClusters answers DBClusterNotFoundFault."""
    try:
        found = rds.describe_db_clusters(DBClusterIdentifier=spec.cluster_id)["DBClusters"]
    except ClientError as error:
        if _code(error) != "DBClusterNotFoundFault":
            raise
        return None
    return dict(found[0]) if found else None


def _is_secondary_of_global(spec: ReprotectSpec, cluster: Mapping[str, Any]) -> bool:
    """DescribeDBClusters names the global cluster a cluster belongs to (DBCluster.GlobalClusterIdentifier)."""
    return cluster.get("GlobalClusterIdentifier") == spec.global_cluster_id


def _own_cluster(spec: ReprotectSpec, rds: Any, assessment: Assessment) -> dict[str, Any] | None:
    """Not listed as a member: the cluster must be gone (its identifier free) before it can be re-added, unless it
    is this global cluster's secondary being created (returned: the run resumes it)."""
    existing = _describe_cluster(spec, rds)
    if existing is None:
        assessment.findings.append(
            Finding(
                "cluster_identifier", True, f"{spec.cluster_id} does not exist in {spec.region}: it can be re-added"
            )
        )
        return None
    if _is_secondary_of_global(spec, existing):
        assessment.findings.append(
            Finding(
                "membership",
                True,
                f"{spec.cluster_id} is a secondary of {spec.global_cluster_id} (status {existing.get('Status')!r}), "
                "not yet listed as a member",
                blocking=False,
            )
        )
        return existing
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
    return None


def _prerequisites(spec: ReprotectSpec, *, rds: Any, ec2: Any, kms: Any, assessment: Assessment) -> None:
    """The region's subnet group, security groups, parameter groups and KMS key must exist (terraform made them)."""
    reapply = "terraform apply (cdktf deploy) recreates it"
    checks: list[tuple[str, Any, str]] = [
        (
            "db_subnet_group",
            lambda: rds.describe_db_subnet_groups(DBSubnetGroupName=spec.cluster.db_subnet_group_name),
            spec.cluster.db_subnet_group_name,
        ),
        (
            "cluster_parameter_group",
            lambda: rds.describe_db_cluster_parameter_groups(
                DBClusterParameterGroupName=spec.cluster.db_cluster_parameter_group_name
            ),
            spec.cluster.db_cluster_parameter_group_name,
        ),
        (
            "instance_parameter_group",
            lambda: rds.describe_db_parameter_groups(
                DBParameterGroupName=spec.cluster.instance.db_parameter_group_name
            ),
            spec.cluster.instance.db_parameter_group_name,
        ),
        (
            "security_groups",
            lambda: ec2.describe_security_groups(GroupIds=list(spec.cluster.vpc_security_group_ids)),
            ", ".join(spec.cluster.vpc_security_group_ids),
        ),
    ]
    for name, read, what in checks:
        try:
            read()
            assessment.findings.append(Finding(name, True, f"{what} exists"))
        except ClientError as error:
            assessment.findings.append(Finding(name, False, f"{what} not usable ({_code(error)})", fix=reapply))
    try:
        key = kms.describe_key(KeyId=spec.cluster.kms_key_id)["KeyMetadata"]
        state = key.get("KeyState")
        assessment.findings.append(
            Finding(
                "kms_key",
                state == "Enabled",
                f"{spec.cluster.kms_key_id} state {state}",
                fix="enable the key (or cancel its deletion: aws kms cancel-key-deletion)",
            )
        )
    except ClientError as error:
        assessment.findings.append(
            Finding("kms_key", False, f"{spec.cluster.kms_key_id} not usable ({_code(error)})", fix=reapply)
        )


def create_cluster_params(spec: ReprotectSpec, assessment: Assessment) -> dict[str, Any]:
    """CreateDBCluster parameters: a secondary of the global cluster, built from the stack's spec field by field.

    No credentials and no database name: a secondary takes both from the global cluster's primary (Aurora User
    Guide, "Adding an AWS Region to an Amazon Aurora global database"). Engine and version are the global
    cluster's, which a secondary must use.
    """
    cluster = spec.cluster
    params: dict[str, Any] = {
        "DBClusterIdentifier": cluster.cluster_identifier,
        "GlobalClusterIdentifier": spec.global_cluster_id,
        "Engine": assessment.engine,
        "EngineVersion": assessment.engine_version,
        "Port": cluster.port,
        "DBSubnetGroupName": cluster.db_subnet_group_name,
        "VpcSecurityGroupIds": list(cluster.vpc_security_group_ids),
        "DBClusterParameterGroupName": cluster.db_cluster_parameter_group_name,
        "StorageEncrypted": cluster.storage_encrypted,
        "KmsKeyId": cluster.kms_key_id,
        "BackupRetentionPeriod": cluster.backup_retention_period,
        "PreferredBackupWindow": cluster.preferred_backup_window,
        "PreferredMaintenanceWindow": cluster.preferred_maintenance_window,
        "CopyTagsToSnapshot": cluster.copy_tags_to_snapshot,
        "DeletionProtection": cluster.deletion_protection,
        "EnableCloudwatchLogsExports": list(cluster.enabled_cloudwatch_logs_exports),
        "EnableIAMDatabaseAuthentication": cluster.iam_database_authentication_enabled,
        "Tags": _tags(cluster),
    }
    if cluster.serverless_capacity is not None:
        low, high = cluster.serverless_capacity
        params["ServerlessV2ScalingConfiguration"] = {"MinCapacity": low, "MaxCapacity": high}
    if cluster.enable_global_write_forwarding is not None:
        params["EnableGlobalWriteForwarding"] = cluster.enable_global_write_forwarding
    return params


def create_instance_params(spec: ReprotectSpec, assessment: Assessment, placement: InstancePlacement) -> dict[str, Any]:
    """CreateDBInstance parameters of one instance: the spec's shared instance settings and its placement."""
    settings = spec.cluster.instance
    params: dict[str, Any] = {
        "DBInstanceIdentifier": placement.identifier,
        "DBClusterIdentifier": spec.cluster_id,
        "Engine": assessment.engine,
        "DBInstanceClass": settings.instance_class,
        "AvailabilityZone": placement.availability_zone,
        "PromotionTier": placement.promotion_tier,
        "DBSubnetGroupName": spec.cluster.db_subnet_group_name,
        "DBParameterGroupName": settings.db_parameter_group_name,
        "PubliclyAccessible": settings.publicly_accessible,
        "AutoMinorVersionUpgrade": settings.auto_minor_version_upgrade,
        "CACertificateIdentifier": settings.ca_cert_identifier,
        "CopyTagsToSnapshot": settings.copy_tags_to_snapshot,
        "MonitoringInterval": settings.monitoring_interval,
        "EnablePerformanceInsights": settings.performance_insights_enabled,
        "PerformanceInsightsKMSKeyId": spec.cluster.kms_key_id,
        "PerformanceInsightsRetentionPeriod": settings.performance_insights_retention_period,
        "Tags": _tags(spec.cluster),
    }
    if settings.monitoring_role_arn is not None:
        params["MonitoringRoleArn"] = settings.monitoring_role_arn
    return params


def _tags(cluster: ClusterSpec) -> list[dict[str, str]]:
    """The tags Terraform gives the resource (provider default tags and its own) in the API's Key/Value form."""
    return [{"Key": key, "Value": value} for key, value in sorted(cluster.effective_tags.items())]


def plan_lines(spec: ReprotectSpec, assessment: Assessment) -> list[str]:
    """The calls a real reprotect run would make, for the dry run's output."""
    lines = []
    if assessment.state == "can_readd":
        cluster = create_cluster_params(spec, assessment)
        lines.append(
            f"CreateDBCluster {spec.cluster_id} in {spec.region}: global cluster {spec.global_cluster_id}, "
            f"{cluster['Engine']} {cluster['EngineVersion']}, KMS {cluster['KmsKeyId']}, subnet group "
            f"{cluster['DBSubnetGroupName']}, security groups {', '.join(cluster['VpcSecurityGroupIds'])}"
        )
    lines += [
        f"CreateDBInstance {p.identifier} ({spec.cluster.instance.instance_class}, {p.availability_zone})"
        for p in assessment.to_create
    ]
    return lines


class ReprotectConflict(RuntimeError):
    """An identifier re-protect needs is taken by something that is not this region's secondary."""


@dataclass
class Progress:
    """What a real run did: created (or found created by an attempt whose answer was lost), refused, why it
    stopped early."""

    created: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stopped: str | None = None
    # Resources whose create call may have gone through although no answer came back (read timeouts).
    maybe_created: list[str] = field(default_factory=list)
    # Set when CreateDBInstance was refused because the new cluster is still creating (a rerun goes on).
    cluster_creating: str | None = None


def _create_cluster(spec: ReprotectSpec, assessment: Assessment, rds: Any, progress: Progress) -> None:
    """CreateDBCluster; DBClusterAlreadyExistsFault after a lost answer: the cluster is looked up again."""
    try:
        rds.create_db_cluster(**create_cluster_params(spec, assessment))
    except ClientError as error:
        if _code(error) != CLUSTER_EXISTS:
            raise
        existing = _describe_cluster(spec, rds)
        if existing is None or not _is_secondary_of_global(spec, existing):
            raise ReprotectConflict(
                f"{spec.cluster_id} exists in {spec.region} but is not a secondary of {spec.global_cluster_id}: "
                "run reprotect again for the commands that free the identifier"
            ) from error
        progress.notes.append(f"{spec.cluster_id} already existed as a secondary (an earlier answer was lost)")
    except Exception:
        # No answer (read timeouts until the retries ran out, or the deadline): RDS may have created it.
        progress.maybe_created.append(spec.cluster_id)
        raise
    progress.created.append(spec.cluster_id)


def _create_instance(spec: ReprotectSpec, assessment: Assessment, placement: InstancePlacement, rds: Any) -> str:
    """CreateDBInstance; DBInstanceAlreadyExists after a lost answer: the instance is looked up again."""
    try:
        rds.create_db_instance(**create_instance_params(spec, assessment, placement))
        return ""
    except ClientError as error:
        if _code(error) != INSTANCE_EXISTS:
            raise
        found = rds.describe_db_instances(DBInstanceIdentifier=placement.identifier)["DBInstances"]
        owner = found[0].get("DBClusterIdentifier") if found else None
        if owner != spec.cluster_id:
            raise ReprotectConflict(
                f"{placement.identifier} exists in {spec.region} in cluster {owner or 'none'}, not {spec.cluster_id}"
            ) from error
        return f"{placement.identifier} already existed in {spec.cluster_id} (an earlier answer was lost)"


def _create(spec: ReprotectSpec, assessment: Assessment, rds: Any) -> Progress:
    """Create what the assessment found missing; stops at the first error other than a capacity refusal
    (an instance refused for capacity does not keep the others, in other AZs, from being created)."""
    progress = Progress()
    try:
        if assessment.state == "can_readd":
            _create_cluster(spec, assessment, rds, progress)
        for placement in assessment.to_create:
            try:
                note = _create_instance(spec, assessment, placement, rds)
            except ClientError as error:
                if _code(error) == CLUSTER_STATE and _still_creating(spec, rds):
                    # A secondary takes many minutes to create, commonly longer than a run's budget: the rerun
                    # resumes rather than this run polling into its timeout.
                    progress.cluster_creating = (
                        f"{spec.cluster_id} still creating, rerun when it is available (its instances are created then)"
                    )
                    break
                if _code(error) != CAPACITY_REFUSED:
                    raise
                message = error.response.get("Error", {}).get("Message", "")
                progress.refused.append(
                    f"{placement.identifier} ({spec.cluster.instance.instance_class} in "
                    f"{placement.availability_zone}): {CAPACITY_REFUSED} {message}".rstrip()
                    + f"; {CAPACITY_OPTIONS}"
                )
                continue
            if note:
                progress.notes.append(note)
            progress.created.append(placement.identifier)
    except Exception as error:  # noqa: BLE001 - reported with what was created; a rerun resumes
        from dr_failover.aws.calls import error_code

        progress.stopped = f"{error_code(error)}: {error}"
    return progress


def _still_creating(spec: ReprotectSpec, rds: Any) -> bool:
    """DescribeDBClusters says the region's cluster is ``creating``."""
    cluster = _describe_cluster(spec, rds)
    return cluster is not None and cluster.get("Status") == "creating"


RESUMES = "a rerun resumes from live state (it creates only what is missing)"


def execute(spec: ReprotectSpec, *, rds: Any, ec2: Any, kms: Any, dry_run: bool) -> dict[str, Any]:
    """Assess; in a dry run (or when anything blocks) report; else create what is missing and say what it did."""
    assessment = assess(spec, rds=rds, ec2=ec2, kms=kms)
    base = {
        "mode": "reprotect",
        "target_region": spec.region,
        "dry_run": dry_run,
        "state": assessment.state,
        "protected": assessment.state == "protected",
        "findings": [f.__dict__ for f in assessment.findings],
    }
    count = len(spec.cluster.instances)
    if assessment.state == "writer":
        return {**base, "status": "succeeded", "message": f"nothing to do: {assessment.findings[-1].detail}"}
    if assessment.state == "protected":
        return {
            **base,
            "status": "succeeded",
            "message": f"nothing to do: {spec.cluster_id} is a secondary of {spec.global_cluster_id} with its "
            f"{count} instance(s) serving",
        }
    if assessment.state == "creating":
        waits = [f"{', '.join(assessment.pending)} still creating"] if assessment.pending else []
        if assessment.deleting:
            waits.append(f"{', '.join(assessment.deleting)} being deleted: rerun reprotect once it is gone")
        return {
            **base,
            "status": "in_progress",
            "message": f"{spec.cluster_id} is a secondary; {'; '.join(waits)}: not protected until every "
            "instance is available (run reprotect or readiness again to see)",
        }
    if assessment.state == "blocked":
        missing = "; ".join(f"{f.name}: {f.detail}" + (f" -> {f.fix}" if f.fix else "") for f in assessment.missing)
        return {**base, "status": "refused", "message": f"cannot re-protect {spec.cluster_id}: {missing}"}
    plan = plan_lines(spec, assessment)
    verb, done_verb = ("re-add", "re-added") if assessment.state == "can_readd" else ("resume", "resumed")
    if dry_run:
        return {
            **base,
            "status": "dry_run",
            "plan": plan,
            "message": f"dry run: would {verb} {spec.cluster_id} as a secondary of {spec.global_cluster_id}",
        }
    progress = _create(spec, assessment, rds)
    result = {**base, "plan": plan, "created": progress.created, "refused": progress.refused, "notes": progress.notes}
    done = ", ".join(progress.created) or "nothing"
    if progress.maybe_created:
        done += "; " + "; ".join(
            f"{name} may have been created (answer lost); a rerun finds and resumes it"
            for name in progress.maybe_created
        )
    if progress.stopped is None and not progress.refused and not progress.cluster_creating:
        deleting = (
            f" {', '.join(assessment.deleting)} being deleted: rerun reprotect once it is gone."
            if assessment.deleting
            else ""
        )
        return {
            **result,
            "status": "in_progress" if deleting else "succeeded",
            "message": (
                f"{done_verb} {spec.cluster_id} as a secondary of {spec.global_cluster_id}: created {done}.{deleting} "
                "Not protected yet: the instances are creating; the region is protected when all "
                f"{count} are available (run reprotect or readiness again to see). Next terraform plan: no change "
                "expected (built from the stack's own spec)"
            ),
        }
    if progress.cluster_creating and progress.stopped is None and not progress.refused:
        return {
            **result,
            "status": "in_progress",
            "message": f"re-protect of {spec.cluster_id} not done yet, NOT protected: created {done}; "
            f"{progress.cluster_creating}",
        }
    problems = progress.refused + ([f"stopped: {progress.stopped}"] if progress.stopped else [])
    if progress.cluster_creating:
        problems.append(progress.cluster_creating)
    return {
        **result,
        "status": "partial",
        "message": (
            f"re-protect of {spec.cluster_id} incomplete, NOT protected: created {done}; not done: "
            f"{'; '.join(problems)}; {RESUMES}"
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
    time_budget_seconds: float | None = None,
) -> dict[str, Any]:
    """Mode ``reprotect`` of the function in the region to re-add; a dry run's clients refuse every change.

    ``time_budget_seconds`` (the Lambda context's remaining time): no call runs into the last
    CALL_RESERVE_SECONDS, so the result is returned and notified before the function is stopped.
    """
    from dr_failover.aws.calls import error_code
    from dr_failover.aws.clients import RunClients
    from dr_failover.run.orchestrator import CALL_RESERVE_SECONDS, FINAL_RESERVE_SECONDS

    started = clock()
    base = {"mode": contract.REPROTECT_MODE, "target_region": config.target_region, "run_id": run_id}
    try:
        spec = ReprotectSpec.from_environment(
            {SPEC_VARIABLE: config.reprotect_cluster_spec or ""},
            cluster_id=config.target_cluster_id,
            region=config.target_region,
            global_cluster_id=config.global_cluster_id,
        )
    except SpecError as error:
        return {**base, "status": "invalid", "message": str(error)}
    budget = time_budget_seconds
    clients = RunClients(
        config,
        clients_factory,
        sleep=sleep,
        clock=clock,
        read_only=request.dry_run,
        run_deadline=None if budget is None else started + budget - CALL_RESERVE_SECONDS,
        final_deadline=None if budget is None else started + budget - FINAL_RESERVE_SECONDS,
    )
    try:
        result = execute(
            spec,
            rds=clients.target("rds"),
            ec2=clients.target("ec2"),
            kms=clients.target("kms"),
            dry_run=request.dry_run,
        )
    except Exception as error:  # noqa: BLE001 - an unknown state is reported, never guessed
        result = {
            "status": "failed",
            "protected": False,
            "created": [],
            "message": f"reprotect stopped before creating anything: {error_code(error)}: {error}; {RESUMES}",
        }
    result = {**result, **base, "reason": request.reason, "seconds": round(clock() - started, 3)}
    if not request.dry_run and (result.get("created") or result["status"] in ("partial", "failed")):
        try:
            clients.get("sns", config.target_region, final=True).publish(
                TopicArn=config.topic_arn,
                Subject=f"DR reprotect of {config.target_region}: {result['status']}"[:100],
                Message=json.dumps(result, indent=2, default=str),
            )
        except Exception as error:  # noqa: BLE001 - the clusters are being created; the result says it all
            result["message"] += f"; notification not sent ({error_code(error)})"
    LOG.info("reprotect result %s", json.dumps(result, default=str))
    return result
