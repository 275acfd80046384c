"""The database's capacity matched on promotion: the promoted cluster gets the old writer's.

Serverless v2 targets get at least the source's max ACUs; provisioned targets get readers of the source writer's
class until they have as many instances of that class as the source has instances. New instances take the
identifiers Terraform would give them (``<cluster>-<n>``) so they can be imported when the instance-count setting
is raised. The pure decision (``database_capacity_plan``) is separate from the reads and writes that feed it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dr_failover.actions.app_capacity import SOURCE_READ_SECONDS
from dr_failover.actions.steps import RunContext, StepWarning
from dr_failover.aws.calls import error_code

SERVERLESS_CLASS = "db.serverless"


@dataclass(frozen=True)
class ClusterShape:
    """What matters for capacity: Serverless v2 range and the instances with their classes."""

    cluster_id: str
    instances: tuple[tuple[str, str], ...]  # (identifier, class)
    writer_class: str | None
    serverless_min: float | None = None
    serverless_max: float | None = None

    @property
    def is_serverless(self) -> bool:
        """True when the writer (or, without one, any instance) is db.serverless."""
        classes = [self.writer_class] if self.writer_class else [c for _, c in self.instances]
        return bool(classes) and classes[0] == SERVERLESS_CLASS


@dataclass
class DatabaseCapacityPlan:
    """Changes that give the target the source's capacity; empty when it already has it."""

    serverless_max: float | None = None
    new_instances: list[tuple[str, str]] = field(default_factory=list)  # (identifier, class)
    reason: str = ""

    @property
    def changes(self) -> bool:
        """True when anything must be created or modified."""
        return self.serverless_max is not None or bool(self.new_instances)


def database_capacity_plan(source: ClusterShape | None, target: ClusterShape) -> DatabaseCapacityPlan:
    """Serverless: raise the target's max ACUs to the source's. Provisioned: add readers of the source's class."""
    if source is None:
        return DatabaseCapacityPlan(reason="source cluster unreadable: target keeps its configured capacity")
    if source.is_serverless or target.is_serverless:
        if source.serverless_max is None or target.serverless_max is None:
            return DatabaseCapacityPlan(reason="Serverless v2 range unknown on one side: no change")
        if target.serverless_max >= source.serverless_max:
            return DatabaseCapacityPlan(
                reason=f"max ACUs {target.serverless_max:g} >= source's {source.serverless_max:g}: no change"
            )
        return DatabaseCapacityPlan(
            serverless_max=source.serverless_max,
            reason=f"max ACUs {target.serverless_max:g} -> {source.serverless_max:g} (the source's)",
        )
    wanted_class = source.writer_class or source.instances[0][1]
    have = sum(1 for _, klass in target.instances if klass == wanted_class)
    missing = len(source.instances) - have
    if missing <= 0:
        return DatabaseCapacityPlan(
            reason=f"{have} instance(s) of {wanted_class} >= source's {len(source.instances)}: no change"
        )
    taken = {identifier for identifier, _ in target.instances}
    new: list[tuple[str, str]] = []
    index = 1
    while len(new) < missing:
        identifier = f"{target.cluster_id}-{index}"
        if identifier not in taken:
            new.append((identifier, wanted_class))
        index += 1
    return DatabaseCapacityPlan(
        new_instances=new,
        reason=(
            f"source has {len(source.instances)} x {wanted_class}, target {have}: add "
            + ", ".join(identifier for identifier, _ in new)
        ),
    )


def read_cluster_shape(rds: Any, cluster_id: str) -> ClusterShape:
    """DescribeDBClusters + DescribeDBInstances of one cluster, reduced to a ClusterShape."""
    cluster = rds.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"][0]
    scaling = cluster.get("ServerlessV2ScalingConfiguration") or {}
    members = cluster.get("DBClusterMembers", [])
    instances: list[tuple[str, str]] = []
    writer_class: str | None = None
    if members:
        described = rds.describe_db_instances(Filters=[{"Name": "db-cluster-id", "Values": [cluster_id]}])
        classes = {i["DBInstanceIdentifier"]: i.get("DBInstanceClass", "") for i in described.get("DBInstances", [])}
        for member in members:
            identifier = member["DBInstanceIdentifier"]
            klass = classes.get(identifier, "")
            instances.append((identifier, klass))
            if member.get("IsClusterWriter"):
                writer_class = klass
    return ClusterShape(
        cluster_id=cluster_id,
        instances=tuple(instances),
        writer_class=writer_class,
        serverless_min=scaling.get("MinCapacity"),
        serverless_max=scaling.get("MaxCapacity"),
    )


def instance_template(rds: Any, instance_id: str) -> dict[str, Any]:
    """CreateDBInstance parameters copied from an existing instance of the target cluster (its stack settings)."""
    instance = rds.describe_db_instances(DBInstanceIdentifier=instance_id)["DBInstances"][0]
    params: dict[str, Any] = {
        "Engine": instance["Engine"],
        "DBClusterIdentifier": instance["DBClusterIdentifier"],
        "PubliclyAccessible": False,
        "PromotionTier": 1,
        "AutoMinorVersionUpgrade": instance.get("AutoMinorVersionUpgrade", True),
    }
    groups = instance.get("DBParameterGroups") or []
    if groups:
        params["DBParameterGroupName"] = groups[0]["DBParameterGroupName"]
    if instance.get("MonitoringInterval"):
        params["MonitoringInterval"] = instance["MonitoringInterval"]
        params["MonitoringRoleArn"] = instance["MonitoringRoleArn"]
    if instance.get("PerformanceInsightsEnabled"):
        params["EnablePerformanceInsights"] = True
        params["PerformanceInsightsKMSKeyId"] = instance["PerformanceInsightsKMSKeyId"]
        params["PerformanceInsightsRetentionPeriod"] = instance["PerformanceInsightsRetentionPeriod"]
    if instance.get("CACertificateIdentifier"):
        params["CACertificateIdentifier"] = instance["CACertificateIdentifier"]
    return params


def apply_database_plan(rds: Any, plan: DatabaseCapacityPlan, *, target: ClusterShape) -> list[str]:
    """Make the plan's changes; return what was done (created instance ids are named for the README's import)."""
    done: list[str] = []
    if plan.serverless_max is not None:
        rds.modify_db_cluster(
            DBClusterIdentifier=target.cluster_id,
            ServerlessV2ScalingConfiguration={
                "MinCapacity": target.serverless_min or 0.5,
                "MaxCapacity": plan.serverless_max,
            },
            ApplyImmediately=True,
        )
        done.append(f"{target.cluster_id} max ACUs set to {plan.serverless_max:g}")
    if plan.new_instances:
        if not target.instances:
            raise RuntimeError(f"{target.cluster_id} has no instance to copy settings from")
        template = instance_template(rds, target.instances[0][0])
        for identifier, klass in plan.new_instances:
            rds.create_db_instance(DBInstanceIdentifier=identifier, DBInstanceClass=klass, **template)
            done.append(f"created {identifier} ({klass})")
    return done


def match_database_capacity(ctx: RunContext) -> str:
    """Give the promoted cluster the old writer's capacity (max ACUs or instance count and class)."""
    config = ctx.config
    rds = ctx.clients.target("rds")
    target = read_cluster_shape(rds, config.target_cluster_id)
    try:
        peer_rds = ctx.clients.peer("rds", deadline=ctx.clock() + SOURCE_READ_SECONDS)
        source = read_cluster_shape(peer_rds, config.peer_cluster_id)
    except Exception as error:  # noqa: BLE001 - source region down: keep the configured capacity
        raise StepWarning(
            f"{config.peer_cluster_id} in {config.peer_region} unreadable ({error_code(error)}): "
            f"{config.target_cluster_id} keeps its configured capacity"
        ) from error
    plan = database_capacity_plan(source, target)
    if not plan.changes:
        return plan.reason
    done = apply_database_plan(rds, plan, target=target)
    return f"{plan.reason}: {'; '.join(done)}"
