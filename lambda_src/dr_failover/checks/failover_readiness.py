"""Continuous readiness: checks that only read, published as ``ReadyForFailover`` (0/1) and one metric per check.

The scheduled ``readiness`` run adds to the orchestrator's read-only preflight what a person would only
find out during a failover:

- ``iam_permissions``: ``iam:SimulatePrincipalPolicy`` on the function's own role for every action a
  failover, a re-protect, a capacity match or the run report makes (the grants ``dr_permissions.orchestrator`` marks
  ``simulated``, the list the stack's statements are built from), on the ARNs those calls name, with the
  condition keys the policy uses (IAM API reference, SimulatePrincipalPolicy: EvalDecision ``allowed`` |
  ``explicitDeny`` | ``implicitDeny``).
  The simulation evaluates the role's identity policies only, which is how this stack grants.
- ``target_asg_scaling``: the target group's last scaling activity did not fail (a launch template or
  capacity problem shows there first: DescribeScalingActivities StatusCode ``Failed``).
- ``cluster_instances``: a secondary's cluster has as many serving instances as its spec
  (REPROTECT_CLUSTER_SPEC): a cluster without an instance cannot be promoted to serve (a re-protect that
  stopped halfway leaves one).

Every call is bounded by the function's remaining time, keeping the end for publishing the result.

Nothing here changes a resource: the only writes are the metric datapoints.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import dr_contract as contract
import dr_permissions.orchestrator
from dr_cluster_spec import ClusterSpec, ClusterSpecError

from dr_failover.actions.reprotect import SERVING_INSTANCE_STATUSES, instance_statuses
from dr_failover.aws.calls import ClientsFactory, error_code
from dr_failover.aws.clients import RunClients
from dr_failover.checks.preflight import Check, PreflightReport, run_preflight
from dr_failover.config import Config
from dr_failover.run.run_report import report_keys

LOG = logging.getLogger(__name__)

READY_METRIC = contract.READY_METRIC
CHECK_METRIC = contract.READINESS_CHECK_METRIC
CHECK_DIMENSION = contract.CHECK_DIMENSION
REGION_DIMENSION = contract.REGION_DIMENSION
FAILED_ACTIVITY = "Failed"


@dataclass(frozen=True)
class Permission:
    """One action a failover makes, on the resources it names, with the context its policy condition reads."""

    action: str
    resources: tuple[str, ...] = ("*",)
    context: tuple[tuple[str, str], ...] = ()


def role_arn_of_caller(sts: Any) -> str:
    """The IAM role ARN behind this Lambda's assumed-role session (roles of this stack have no path)."""
    arn = sts.get_caller_identity()["Arn"]
    # arn:<partition>:sts::<account>:assumed-role/<role name>/<session>
    parts = arn.split(":")
    if len(parts) != 6 or not parts[5].startswith("assumed-role/"):
        raise ValueError(f"not an assumed-role session ARN: {arn!r}")
    role_name = parts[5].split("/")[1]
    return f"arn:{parts[1]}:iam::{parts[4]}:role/{role_name}"


@dataclass
class SimulationResult:
    """Decisions per (action, resource): what is denied."""

    denied: list[str] = field(default_factory=list)
    checked: int = 0


def _denials(evaluation: Mapping[str, Any]) -> list[str]:
    """Each resource the evaluation does not allow. "The simulator now returns a single EvaluationResult per
    action, regardless of how many resource ARNs are provided": the top-level decision is the most restrictive
    one, each resource's is in ResourceSpecificResults (IAM API Reference, EvaluationResult)."""
    action = evaluation.get("EvalActionName")
    per_resource = evaluation.get("ResourceSpecificResults") or []
    if per_resource:
        return [
            f"{action} on {r.get('EvalResourceName', '*')} ({r.get('EvalResourceDecision')})"
            for r in per_resource
            if r.get("EvalResourceDecision") != "allowed"
        ]
    decision = evaluation.get("EvalDecision")
    if decision == "allowed":
        return []
    return [f"{action} on {evaluation.get('EvalResourceName', '*')} ({decision})"]


def simulate_permissions(iam: Any, role_arn: str, permissions: Sequence[Permission]) -> Check:
    """Dry-run every permission against the role's policies; a failed check lists each denied action/resource."""
    result = SimulationResult()
    try:
        for permission in permissions:
            params: dict[str, Any] = {
                "PolicySourceArn": role_arn,
                "ActionNames": [permission.action],
                "ResourceArns": list(permission.resources),
            }
            if permission.context:
                params["ContextEntries"] = [
                    {"ContextKeyName": key, "ContextKeyValues": [value], "ContextKeyType": "string"}
                    for key, value in permission.context
                ]
            marker: str | None = None
            while True:
                page = iam.simulate_principal_policy(**({**params, "Marker": marker} if marker else params))
                for evaluation in page.get("EvaluationResults", []):
                    result.denied += _denials(evaluation)
                    result.checked += len(evaluation.get("ResourceSpecificResults") or [evaluation])
                if not page.get("IsTruncated"):
                    break
                marker = page["Marker"]
    except Exception as error:  # noqa: BLE001 - an unknown answer is a failed check, never a pass
        return Check("iam_permissions", False, f"cannot simulate {role_arn}: {error_code(error)}")
    if result.denied:
        return Check("iam_permissions", False, "denied: " + "; ".join(result.denied))
    return Check("iam_permissions", True, f"{result.checked} action/resource pair(s) allowed for {role_arn}")


def scaling_activity_check(autoscaling: Any, asg_name: str) -> Check:
    """The target group's most recent scaling activity must not have failed."""
    try:
        activities = autoscaling.describe_scaling_activities(AutoScalingGroupName=asg_name, MaxRecords=1).get(
            "Activities", []
        )
    except Exception as error:  # noqa: BLE001 - reported as a failed check
        return Check("target_asg_scaling", False, f"cannot read scaling activities of {asg_name}: {error_code(error)}")
    if not activities:
        return Check("target_asg_scaling", True, f"{asg_name}: no scaling activity recorded")
    last = activities[0]
    if last.get("StatusCode") == FAILED_ACTIVITY:
        return Check(
            "target_asg_scaling",
            False,
            f"{asg_name}: last scaling activity failed: {last.get('StatusMessage') or last.get('Description')}",
        )
    return Check("target_asg_scaling", True, f"{asg_name}: last scaling activity {last.get('StatusCode')}")


def is_ready(checks: Sequence[Check]) -> bool:
    """Ready only when every check passed (a check that could not run counts as failed)."""
    return bool(checks) and all(check.ok for check in checks)


def readiness_metric_data(
    checks: Sequence[Check], *, global_cluster_dimension: str, global_cluster_id: str, region: str
) -> list[dict[str, Any]]:
    """``ReadyForFailover`` plus one ``ReadinessCheck`` datapoint (1 pass / 0 fail) per check."""
    base = [{"Name": global_cluster_dimension, "Value": global_cluster_id}, {"Name": REGION_DIMENSION, "Value": region}]
    data: list[dict[str, Any]] = [
        {"MetricName": READY_METRIC, "Dimensions": base, "Value": 1.0 if is_ready(checks) else 0.0, "Unit": "None"}
    ]
    data += [
        {
            "MetricName": CHECK_METRIC,
            "Dimensions": [*base, {"Name": CHECK_DIMENSION, "Value": check.name}],
            "Value": 1.0 if check.ok else 0.0,
            "Unit": "None",
        }
        for check in checks
    ]
    return data


# PutMetricData accepts at most 1,000 metrics per request (CloudWatch API reference, PutMetricData MetricData).
PUT_METRIC_LIMIT = 1000


def publish_readiness(cloudwatch: Any, *, namespace: str, data: list[dict[str, Any]]) -> None:
    """PutMetricData in batches within the API's per-request limit."""
    for start in range(0, len(data), PUT_METRIC_LIMIT):
        cloudwatch.put_metric_data(Namespace=namespace, MetricData=data[start : start + PUT_METRIC_LIMIT])


def _arn_parts(arn: str) -> list[str]:
    return arn.split(":", 5)


# The default option group's name when the global cluster's engine could not be read: a representative of the
# region's default groups (the stack grants og:default:*).
DEFAULT_OPTION_GROUP_FALLBACK = "default:aurora"


def default_option_group(engine: str, engine_version: str) -> str:
    """The default option group RDS gives a new cluster or instance of ``engine``: ``default:<engine>-<major
    version with dashes>`` (RDS User Guide, working with option groups: "default:aurora-mysql-8-0"; Aurora
    PostgreSQL's major is its first number, "default:aurora-postgresql-16")."""
    if not engine or not engine_version:
        return DEFAULT_OPTION_GROUP_FALLBACK
    parts = engine_version.split(".")
    major = "-".join(parts[:2]) if engine == "aurora-mysql" else parts[0]
    return f"default:{engine}-{major}"


def _spec(config: Config) -> ClusterSpec | None:
    """The region's cluster spec (REPROTECT_CLUSTER_SPEC), None when this function has none or it is malformed
    (the ``cluster_instances`` check reports a malformed one)."""
    if not config.reprotect_cluster_spec:
        return None
    try:
        return ClusterSpec.from_json(config.reprotect_cluster_spec)
    except ClusterSpecError:
        return None


def permission_resources(config: Config, report: PreflightReport) -> dict[str, tuple[str, ...]]:
    """The ARNs a failover or recovery of this region names, by the resource names of ``dr_permissions``.

    Built from what the calls send (the configuration and the spec), never from the stack's grants, so a
    resource the stack stops granting fails the simulation. A name absent here is a resource this function
    cannot name (the peer ASG's ARN, a spec it was not given): its grant is simulated on the others.
    """
    partition, _service, region, account = _arn_parts(config.target_cluster_arn)[1:5]
    rds = f"arn:{partition}:rds:{region}:{account}"
    dynamodb = f"arn:{partition}:dynamodb:{{}}:{account}:table/{config.state_table_name}"
    resources: dict[str, tuple[str, ...]] = {
        "any": ("*",),
        "global_cluster": (f"arn:{partition}:rds::{account}:global-cluster:{config.global_cluster_id}",),
        "own_cluster": (config.target_cluster_arn,),
        "peer_cluster": (config.peer_cluster_arn,),
        "topic": (config.topic_arn,),
        "own_table": (dynamodb.format(region),),
        "switch_table": (dynamodb.format(config.traffic_switch_region),),
        "peer_table": (dynamodb.format(config.peer_region),),
        # Re-protect and capacity matching name instances <cluster>-<n> (dr_failover.actions.reprotect, .capacity).
        "own_instances": (f"{rds}:db:{config.target_cluster_id}-1",),
        # Aurora gives a new cluster and instance the engine's default option group, default:<engine>-<major>
        # (RDS User Guide, working with option groups); RDS authorizes both creates on it.
        "default_option_group": (
            f"{rds}:og:"
            + default_option_group(
                report.global_cluster.engine if report.global_cluster else "",
                report.global_cluster.engine_version if report.global_cluster else "",
            ),
        ),
    }
    if config.health_check_id:
        resources["peer_health_check"] = (f"arn:{partition}:route53:::healthcheck/{config.health_check_id}",)
    asg_arn = (report.target_asg or {}).get("AutoScalingGroupARN")
    if asg_arn:
        resources["own_asg"] = (asg_arn,)
    if config.report_bucket:
        # write_report puts runs/YYYY/MM/DD/<UTC time>-<mode>-<run id>.{json,md}: one such key stands for them.
        report_object, _markdown = report_keys(run_id="readiness", mode="failover", started_at=0)
        resources["report_objects"] = (f"arn:{partition}:s3:::{config.report_bucket}/{report_object}",)
    if config.report_kms_key_arn:
        resources["report_key"] = (config.report_kms_key_arn,)
    spec = _spec(config)
    if spec is not None:
        for name, value in (
            ("subnet_group", f"{rds}:subgrp:{spec.db_subnet_group_name}"),
            ("cluster_parameter_group", f"{rds}:cluster-pg:{spec.db_cluster_parameter_group_name}"),
            ("instance_parameter_group", f"{rds}:pg:{spec.instance.db_parameter_group_name}"),
            ("own_key", spec.kms_key_id),
            ("monitoring_role", spec.instance.monitoring_role_arn),
        ):
            if value:
                resources[name] = (value,)
    return resources


def failover_permissions(config: Config, report: PreflightReport) -> list[Permission]:
    """Every grant of ``dr_permissions.orchestrator`` marked ``simulated`` (failover, re-protect, capacity
    matching, the run report) as this region's calls name them, with the condition context the grant's policy
    reads."""
    region = _arn_parts(config.target_cluster_arn)[3]
    spec = _spec(config)
    grants = dr_permissions.orchestrator.orchestrator_grants(
        automatic_recheck=bool(config.probe_alarm_name),
        match_serverless_capacity=config.match_database_capacity
        and spec is not None
        and spec.instance.instance_class == "db.serverless",
        run_reports=bool(config.report_bucket),
    )
    resources = permission_resources(config, report)
    values = {"region": region, "metric_namespace": config.metric_namespace}
    permissions: list[Permission] = []
    for grant in grants:
        if not grant.simulated:
            continue
        context = tuple((key, value) for _test, key, value in grant.condition_values(values))
        for action in grant.actions:
            # The resources AWS authorizes the call on, not only those the grant names: a grant narrowed below
            # what the call needs must fail here.
            names = dict.fromkeys((*grant.on, *dr_permissions.orchestrator.AUTHORIZED_ON.get(action, ())))
            arns = tuple(arn for name in names for arn in resources.get(name, ()))
            if arns:
                permissions.append(Permission(action, arns, context))
    return permissions


def instance_count_check(config: Config, rds: Any) -> Check | None:
    """A secondary is ready only with every instance of its spec serving (None: the function has no spec)."""
    if not config.reprotect_cluster_spec:
        return None
    try:
        expected = [
            placement.identifier for placement in ClusterSpec.from_json(config.reprotect_cluster_spec).instances
        ]
    except ClusterSpecError as error:
        return Check("cluster_instances", False, f"{contract.REPROTECT_CLUSTER_SPEC} unreadable: {error}")
    try:
        statuses = instance_statuses(rds, config.target_cluster_id)
    except Exception as error:  # noqa: BLE001 - unknown instances: the check fails
        return Check("cluster_instances", False, f"cannot list the instances: {error_code(error)}")
    # Only the spec's own instances count, as re-protect counts them: an instance added by hand does not stand in
    # for a spec instance that is broken or missing (the stack's plan would still create or replace that one).
    serving = [i for i in expected if statuses.get(i) in SERVING_INSTANCE_STATUSES]
    missing = [f"{i} {statuses.get(i, 'absent')}" for i in expected if i not in serving]
    others = [f"{i} {status}" for i, status in sorted(statuses.items()) if i not in expected]
    ok = not missing
    return Check(
        "cluster_instances",
        ok,
        f"{config.target_cluster_id} has {len(serving)} serving instance(s) of the {len(expected)} its spec has"
        + (f" (not serving: {', '.join(missing)})" if missing else "")
        + (f" (not in its spec: {', '.join(others)})" if others else "")
        + ("" if ok else ": it cannot take over as writer with full capacity; run reprotect in this region"),
    )


def switch_consistency_check(config: Config, report: PreflightReport) -> Check:
    """The traffic switch must send users to the writer's region (never to a read-only standby)."""
    state = report.global_cluster
    if state is None or state.writer_arn is None:
        return Check("traffic_switch_consistent", False, "writer unknown: cannot compare with the traffic switch")
    writer_region = _arn_parts(state.writer_arn)[3]
    primary_region = config.peer_region if config.traffic_switch_is_local else config.target_region
    serving = report.switch.serving_region if report.switch else primary_region
    ok = serving == writer_region
    return Check(
        "traffic_switch_consistent",
        ok,
        f"traffic switch serves {serving}, writer is in {writer_region}"
        + ("" if ok else ": users reach a read-only cluster; switch traffic to the writer's region"),
    )


def run_readiness(
    config: Config,
    clients_factory: ClientsFactory,
    *,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    run_id: str,
    iam_region: str | None = None,
    time_budget_seconds: float | None = None,
) -> dict[str, Any]:
    """Mode ``readiness``: the read-only preflight plus the checks above; publish ReadyForFailover and each check.

    Every resource call goes through read-only clients (a changing call raises before it is sent); the only
    write is PutMetricData of the readiness metrics. ``time_budget_seconds`` (the Lambda context's remaining
    time): the reads end CALL_RESERVE_SECONDS before it, the publication FINAL_RESERVE_SECONDS before it.
    """
    from dr_failover.run.orchestrator import CALL_RESERVE_SECONDS, FINAL_RESERVE_SECONDS

    started = clock()
    budget = time_budget_seconds
    reads = RunClients(
        config,
        clients_factory,
        sleep=sleep,
        clock=clock,
        read_only=True,
        run_deadline=None if budget is None else started + budget - CALL_RESERVE_SECONDS,
    )
    report = run_preflight(config, reads, mode="preflight", now=started)
    checks = list(report.checks)
    # Both regions compare the switch with the writer: after a failover that stopped before writing the switch,
    # only the writer's region may be answering, and users are then sent to a read-only cluster.
    checks.append(switch_consistency_check(config, report))
    if report.target_is_writer:
        checks.append(Check("role", True, f"{config.target_cluster_id} is the writer: this region serves"))
    else:
        checks.append(scaling_activity_check(reads.target("autoscaling"), config.target_asg_name))
        instances = instance_count_check(config, reads.target("rds"))
        if instances is not None:
            checks.append(instances)
        iam = reads.get("iam", iam_region or config.target_region)
        try:
            role_arn = role_arn_of_caller(reads.target("sts"))
            checks.append(simulate_permissions(iam, role_arn, failover_permissions(config, report)))
        except Exception as error:  # noqa: BLE001 - unknown identity: the permission check fails
            checks.append(Check("iam_permissions", False, f"cannot identify the function's role: {error_code(error)}"))
    ready = is_ready(checks)
    data = readiness_metric_data(
        checks,
        global_cluster_dimension=contract.GLOBAL_CLUSTER_DIMENSION,
        global_cluster_id=config.global_cluster_id,
        region=config.target_region,
    )
    writes = RunClients(
        config,
        clients_factory,
        sleep=sleep,
        clock=clock,
        read_only=False,
        run_deadline=None if budget is None else started + budget - FINAL_RESERVE_SECONDS,
    )
    published = "published"
    try:
        publish_readiness(writes.target("cloudwatch"), namespace=contract.READINESS_NAMESPACE, data=data)
    except Exception as error:  # noqa: BLE001 - reported; the alarm treats the missing datapoint as not ready
        published = f"NOT published ({error_code(error)})"
    failed = [check.summary() for check in checks if not check.ok]
    result = {
        "status": "ready" if ready else "not_ready",
        "mode": contract.READINESS_MODE,
        "target_region": config.target_region,
        "run_id": run_id,
        "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in checks],
        "message": (
            f"{config.target_region} {'ready' if ready else 'NOT ready'} for failover"
            + (f": {'; '.join(failed)}" if failed else "")
            + f"; {READY_METRIC}={1 if ready else 0} {published} to {contract.READINESS_NAMESPACE}"
        ),
        "seconds": round(clock() - started, 3),
    }
    LOG.info("readiness result %s", json.dumps(result, default=str))
    return result
