"""Capacity matched on promotion: the target ASG sized from the serving region's use, the database from its writer.

Pure decisions (``asg_capacity_plan``, ``capacity_reached``, ``database_capacity_plan``) are separate from
the reads and writes that feed them, so each rule is tested on its own:

- ASG: desired = max(configured active desired, ceil(pct% x the serving region's maximum
  ``GroupInServiceInstances`` over the last 24 h)), never above the group's max. When the serving
  region's metrics cannot be read (it may be the region that is down), the configured capacity is used
  and the plan says so.
- Success: a planned switchover needs the whole desired capacity in service; an ungraceful failover
  accepts ``min_success_percent`` of it (rounded up, at least one instance).
- Database: Serverless v2 targets get at least the source's max ACUs; provisioned targets get readers
  of the source writer's class until they have as many instances of that class as the source has
  instances. New instances take the identifiers Terraform would give them (``<cluster>-<n>``) so they
  can be imported when the instance-count setting is raised.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

ASG_NAMESPACE = "AWS/AutoScaling"
IN_SERVICE_METRIC = "GroupInServiceInstances"
LOOKBACK_SECONDS = 24 * 3600
# 288 datapoints per 24 h: under GetMetricStatistics' 1,440-datapoint limit per call.
LOOKBACK_PERIOD_SECONDS = 300
SERVERLESS_CLASS = "db.serverless"


@dataclass(frozen=True)
class AsgCapacityPlan:
    """Min/desired/max the target ASG is set to, and why."""

    min_size: int
    desired: int
    max_size: int
    source_max_in_service: float | None
    reason: str


def asg_capacity_plan(
    *,
    active_min: int,
    active_desired: int,
    active_max: int,
    current_max: int,
    percent: int,
    source_max_in_service: float | None,
) -> AsgCapacityPlan:
    """The target's capacity: the larger of the configured active desired and pct% of the source's 24 h max."""
    if not 1 <= percent <= 1000:
        raise ValueError(f"capacity percent must be 1-1000, got {percent}")
    max_size = max(current_max, active_max)
    if source_max_in_service is None:
        desired = active_desired
        reason = f"serving region's {IN_SERVICE_METRIC} unavailable: configured active desired {active_desired}"
    else:
        measured = math.ceil(source_max_in_service * percent / 100)
        desired = max(active_desired, measured)
        reason = (
            f"max(configured {active_desired}, ceil({percent}% x 24 h max {source_max_in_service:g} in service) = "
            f"{measured}) = {desired}"
        )
    if desired > max_size:
        reason += f", capped at max {max_size}"
        desired = max_size
    return AsgCapacityPlan(
        min_size=min(active_min, desired),
        desired=desired,
        max_size=max_size,
        source_max_in_service=source_max_in_service,
        reason=reason,
    )


def required_in_service(desired: int, *, mode: str, min_success_percent: int) -> int:
    """Instances that must be in service for the scale-up to count as done (switchover: all of them)."""
    if mode == "switchover" or desired == 0:
        return desired
    return max(1, math.ceil(desired * min_success_percent / 100))


def capacity_reached(in_service: int, desired: int, *, mode: str, min_success_percent: int) -> bool:
    """True when ``in_service`` meets what ``mode`` requires of ``desired``."""
    return in_service >= required_in_service(desired, mode=mode, min_success_percent=min_success_percent)


def read_max_in_service(cloudwatch: Any, asg_name: str, *, now: float) -> float | None:
    """Maximum GroupInServiceInstances of ``asg_name`` over the last 24 h (None when there is no datapoint)."""
    end = datetime.fromtimestamp(now, tz=UTC)
    response = cloudwatch.get_metric_statistics(
        Namespace=ASG_NAMESPACE,
        MetricName=IN_SERVICE_METRIC,
        Dimensions=[{"Name": "AutoScalingGroupName", "Value": asg_name}],
        StartTime=end - timedelta(seconds=LOOKBACK_SECONDS),
        EndTime=end,
        Period=LOOKBACK_PERIOD_SECONDS,
        Statistics=["Maximum"],
    )
    values = [point["Maximum"] for point in response.get("Datapoints", []) if "Maximum" in point]
    return max(values) if values else None


# ----- database -----------------------------------------------------------------------------------------


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
