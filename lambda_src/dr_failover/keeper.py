"""Switch keeper (handler ``dr_failover.keeper.handler``): re-publish the traffic switch every minute.

Runs on an EventBridge schedule in the traffic-switch (secondary) region, reads the switch item from
that region's state-table replica and writes its value as one datapoint of the switch metric. It never
calls into the other region. When the item cannot be read it writes nothing (it does not guess): the
health check's ``LastKnownStatus`` then holds the last state. Before any run wrote the item, the primary
is in service (0).

Environment: STATE_TABLE_NAME, GLOBAL_CLUSTER_ID, METRIC_NAMESPACE, TRAFFIC_SWITCH_METRIC.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import boto3
import dr_contract as contract

from dr_failover.switch import put_switch_metric, read_switch

KEEPER_VARIABLES = (
    contract.STATE_TABLE_NAME,
    contract.GLOBAL_CLUSTER_ID,
    contract.METRIC_NAMESPACE_VARIABLE,
    contract.TRAFFIC_SWITCH_METRIC_VARIABLE,
)


class KeeperConfigError(ValueError):
    """A keeper environment variable is missing."""


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
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Read the switch item and publish its value; return what was published."""
    config = read_keeper_config(os.environ if environ is None else environ)
    dynamodb = dynamodb or boto3.client("dynamodb")
    cloudwatch = cloudwatch or boto3.client("cloudwatch")
    state = read_switch(
        dynamodb, table_name=config[contract.STATE_TABLE_NAME], global_cluster_id=config[contract.GLOBAL_CLUSTER_ID]
    )
    fenced = bool(state and state.primary_fenced)
    put_switch_metric(
        cloudwatch,
        namespace=config[contract.METRIC_NAMESPACE_VARIABLE],
        metric_name=config[contract.TRAFFIC_SWITCH_METRIC_VARIABLE],
        global_cluster_id=config[contract.GLOBAL_CLUSTER_ID],
        primary_fenced=fenced,
    )
    return {"primary_fenced": fenced, "source": "switch item" if state else "default (never switched)"}
