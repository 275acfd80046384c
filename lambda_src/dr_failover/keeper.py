"""Switch keeper (handler ``dr_failover.keeper.handler``): re-publish the traffic switch every minute.

Runs on an EventBridge schedule in the traffic-switch (secondary) region, reads the switch item from
that region's state-table replica and writes its value as one datapoint of the switch metric. It never
calls into the other region. When the item cannot be read it writes nothing (it does not guess): the
health check's ``LastKnownStatus`` then holds the last state. Before any run wrote the item, the primary
is in service (0).

What it publishes follows this region's own DescribeGlobalClusters, not the item alone:

- this region's cluster is the writer, or a promotion to it is in progress: 1 (fence the old primary),
  whatever the item says. An automatic run that failed after its promotion call leaves no item (or a 0)
  while this region already writes; publishing 0 then would let the old primary's half-alive ALB pass
  Route53's PRIMARY calculated check and send users to a cluster that rejoined as a read-only secondary.
- the other region's cluster is the writer: 0. A failback run whose write could not reach this region
  (down at the time) leaves a stale 1 here; fencing the writer would send every user to this read-only
  cluster.

When the item disagrees with what is published, the keeper publishes and then fails the invocation
(``StaleFence``: an alert through the Lambda's Errors metric and its dead-letter queue) until the item is
corrected (a run towards the writer's region, or its write replicating here). When the global cluster or
the item cannot be read it publishes nothing (it does not guess): ``LastKnownStatus`` holds.

Environment: STATE_TABLE_NAME, GLOBAL_CLUSTER_ID, METRIC_NAMESPACE, TRAFFIC_SWITCH_METRIC.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import boto3
import dr_contract as contract

from dr_failover.checks.preflight import parse_global_cluster
from dr_failover.records.switch import put_switch_metric, read_switch

KEEPER_VARIABLES = (
    contract.STATE_TABLE_NAME,
    contract.GLOBAL_CLUSTER_ID,
    contract.METRIC_NAMESPACE_VARIABLE,
    contract.TRAFFIC_SWITCH_METRIC_VARIABLE,
)


class KeeperConfigError(ValueError):
    """A keeper environment variable is missing."""


class StaleFence(RuntimeError):
    """The switch item disagrees with the writer's region; the writer's value was published."""


def local_cluster_serves(rds: Any, *, global_cluster_id: str, region: str) -> tuple[bool, str]:
    """True when this region's member is the writer, or a failover that allows data loss is promoting it (asked
    in ``region``).

    Not while a request is ``pending`` (the old writer still writes), ``cancelling`` (both return to their previous
    roles) or a switchover (IsDataLossAllowed false): the planned switchover moves traffic itself once the new
    writer serves, and fencing earlier would send users to a read-only secondary (RDS API Reference,
    FailoverState)."""
    clusters = rds.describe_global_clusters(GlobalClusterIdentifier=global_cluster_id).get("GlobalClusters", [])
    if not clusters:
        raise LookupError(f"global cluster {global_cluster_id} not found in {region}")
    members = clusters[0].get("GlobalClusterMembers", [])
    # A cluster ARN names its region: arn:aws:rds:<region>:<account>:cluster:<id>.
    local = next((m["DBClusterArn"] for m in members if m["DBClusterArn"].split(":")[3] == region), "")
    state = parse_global_cluster(clusters[0], local)
    return bool(local) and (state.target_is_writer or state.data_loss_failover_to(local)), state.describe()


def read_keeper_config(environ: Mapping[str, str]) -> dict[str, str]:
    """The keeper's environment; one error names every missing variable."""
    missing = [name for name in KEEPER_VARIABLES if not environ.get(name)]
    if missing:
        raise KeeperConfigError(f"switch keeper environment variable(s) {missing} must be set (non-empty)")
    return {name: environ[name] for name in KEEPER_VARIABLES}


def handler(
    event: Any,
    context: Any,
    *,
    dynamodb: Any = None,
    cloudwatch: Any = None,
    rds: Any = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Read the switch item and publish its value (a fence only while this region's cluster writes)."""
    config = read_keeper_config(os.environ if environ is None else environ)
    dynamodb = dynamodb or boto3.client("dynamodb")
    cloudwatch = cloudwatch or boto3.client("cloudwatch")
    global_cluster_id = config[contract.GLOBAL_CLUSTER_ID]
    state = read_switch(dynamodb, table_name=config[contract.STATE_TABLE_NAME], global_cluster_id=global_cluster_id)
    item_fenced = bool(state and state.primary_fenced)
    rds = rds or boto3.client("rds", region_name=dynamodb.meta.region_name)
    region = rds.meta.region_name
    fenced, seen = local_cluster_serves(rds, global_cluster_id=global_cluster_id, region=region)
    stale = ""
    if fenced != item_fenced:
        item = f"switch item (run {state.run_id})" if state else "no switch item (never switched)"
        stale = (
            f"{item} says primary_fenced={int(item_fenced)}, but {region}'s cluster is "
            f"{'' if fenced else 'not '}the writer or being promoted ({seen}): published {int(fenced)}. Correct the "
            "item: run the orchestrator towards the writer's region"
        )
    put_switch_metric(
        cloudwatch,
        namespace=config[contract.METRIC_NAMESPACE_VARIABLE],
        metric_name=config[contract.TRAFFIC_SWITCH_METRIC_VARIABLE],
        global_cluster_id=global_cluster_id,
        primary_fenced=fenced,
    )
    if stale:
        raise StaleFence(stale)
    return {"primary_fenced": fenced, "source": "switch item" if state else "default (never switched)"}
