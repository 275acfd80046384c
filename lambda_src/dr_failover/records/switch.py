"""The traffic switch: its state item in the state table and the metric Route53 follows.

Route53 evaluates a CLOUDWATCH_METRIC health check from the alarm's metric data stream, not from the
alarm state ("Route 53 monitors the data stream for the corresponding alarm instead of monitoring the
alarm state", Route53 Developer Guide, "How Route 53 determines whether a health check is healthy").
A value written once ages out of the alarm's period and the check then falls back to its
``insufficient_data_health_status``. So the switch is a *state*, kept in the surviving region's
replica of the state table (``switch#<GLOBAL_CLUSTER_ID>``), and the metric is re-published from it
every minute by the switch keeper (``dr_failover.keeper``); the health check's
``LastKnownStatus`` covers the minutes in which no datapoint arrives at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError
from dr_contract import GLOBAL_CLUSTER_DIMENSION, SWITCH_ITEM_PREFIX


@dataclass(frozen=True)
class SwitchState:
    """What the switch item says: is the primary fenced, which region serves, who wrote it when."""

    primary_fenced: bool
    serving_region: str
    run_id: str
    updated_at: float


def switch_key(global_cluster_id: str) -> dict[str, Any]:
    """Key of the switch item."""
    return {"pk": {"S": f"{SWITCH_ITEM_PREFIX}{global_cluster_id}"}}


def read_switch(dynamodb: Any, *, table_name: str, global_cluster_id: str) -> SwitchState | None:
    """Read the switch item (strongly consistent in this replica); None when it was never written."""
    item = dynamodb.get_item(TableName=table_name, Key=switch_key(global_cluster_id), ConsistentRead=True).get("Item")
    if not item:
        return None
    return SwitchState(
        primary_fenced=item.get("primary_fenced", {"N": "0"})["N"] == "1",
        serving_region=item.get("serving_region", {"S": ""})["S"],
        run_id=item.get("run_id", {"S": ""})["S"],
        updated_at=float(item.get("updated_at", {"N": "0"})["N"]),
    )


def write_switch(
    dynamodb: Any,
    *,
    table_name: str,
    global_cluster_id: str,
    primary_fenced: bool,
    serving_region: str,
    run_id: str,
    now: float,
) -> bool:
    """Write the switch item unless the replica holds a newer one; False when a newer decision was kept.

    The condition is evaluated in this replica only; between replicas a global table keeps the last write,
    so a run that writes its own region's replica too (the switch region may be down) wins there later.
    """
    try:
        dynamodb.put_item(
            TableName=table_name,
            Item={
                **switch_key(global_cluster_id),
                "primary_fenced": {"N": "1" if primary_fenced else "0"},
                "serving_region": {"S": serving_region},
                "run_id": {"S": run_id},
                "updated_at": {"N": f"{now:.3f}"},
            },
            ConditionExpression="attribute_not_exists(pk) OR attribute_not_exists(updated_at) OR updated_at <= :now",
            ExpressionAttributeValues={":now": {"N": f"{now:.3f}"}},
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True


def put_switch_metric(
    cloudwatch: Any, *, namespace: str, metric_name: str, global_cluster_id: str, primary_fenced: bool
) -> None:
    """Publish one standard-resolution datapoint of the switch metric (Route53 accepts no high resolution)."""
    cloudwatch.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": metric_name,
                "Dimensions": [{"Name": GLOBAL_CLUSTER_DIMENSION, "Value": global_cluster_id}],
                "Value": 1.0 if primary_fenced else 0.0,
                "Unit": "None",
            }
        ],
    )
