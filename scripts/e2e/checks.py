"""What the harness checks in the emulator after each orchestrator run, read with boto3 like any AWS client."""

from __future__ import annotations

import datetime
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

import boto3

from .rewrite import FAKE_CREDENTIALS

# The orchestrator's own reader of the switch item: one source for its key and fields.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "lambda_src"))
from dr_contract import (  # noqa: E402
    GLOBAL_CLUSTER_DIMENSION,
    METRIC_NAMESPACE,
    METRIC_NAMESPACE_VARIABLE,
    STANDBY_DESIRED,
    STANDBY_MIN,
    TRAFFIC_SWITCH_METRIC,
    TRAFFIC_SWITCH_METRIC_VARIABLE,
    cluster_identifier_of,
    state_table_name_of,
)
from dr_failover.records.switch import read_switch  # noqa: E402


class _Function(Protocol):
    region: str
    variables: dict[str, str]


class E2EFailure(RuntimeError):
    """A phase of the e2e run found something wrong; the message says what."""


def _fail(message: str) -> E2EFailure:
    return E2EFailure(message)


class Checks:
    """Reads the global cluster, both ASGs and the traffic switch from the emulator."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def client(self, service: str, region: str) -> Any:
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=self.endpoint,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=FAKE_CREDENTIALS["AWS_SESSION_TOKEN"],
        )

    @staticmethod
    def regions(functions: Mapping[str, _Function]) -> tuple[str, str]:
        """(primary, secondary): the secondary region is where the traffic switch lives."""
        switch_regions = {f.variables["TRAFFIC_SWITCH_REGION"] for f in functions.values()}
        if len(switch_regions) != 1:
            raise _fail(f"functions disagree on TRAFFIC_SWITCH_REGION: {sorted(switch_regions)}")
        secondary = switch_regions.pop()
        primary = next(region for region in functions if region != secondary)
        return primary, secondary

    def global_cluster(self, functions: Mapping[str, _Function]) -> dict[str, Any]:
        any_function = next(iter(functions.values()))
        rds = self.client("rds", any_function.region)
        identifier = any_function.variables["GLOBAL_CLUSTER_ID"]
        return dict(rds.describe_global_clusters(GlobalClusterIdentifier=identifier)["GlobalClusters"][0])

    def asg(self, function: _Function) -> dict[str, int]:
        autoscaling = self.client("autoscaling", function.region)
        group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[function.variables["TARGET_ASG_NAME"]])[
            "AutoScalingGroups"
        ][0]
        in_service = sum(1 for i in group.get("Instances", []) if i.get("LifecycleState") == "InService")
        return {
            "min": group["MinSize"],
            "max": group["MaxSize"],
            "desired": group["DesiredCapacity"],
            "in_service": in_service,
        }

    def traffic_switch(self, function: _Function) -> tuple[float, ...]:
        """Minimum and Maximum of the PrimaryFenced metric in its latest one-minute period (empty: never written).

        The metric has standard resolution ("Route53 accepts no high resolution", dr_failover.records.switch): a
        failover and a failback in the same minute share one period, so a check can only ask whether a
        datapoint of the expected value is in the latest period, not which one came last.
        """
        variables = function.variables
        cloudwatch = self.client("cloudwatch", variables["TRAFFIC_SWITCH_REGION"])
        end = datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(minutes=1)
        metric = {
            # The orchestrators leave the contract's names out of their environment (the keeper sets them).
            "Namespace": variables.get(METRIC_NAMESPACE_VARIABLE, METRIC_NAMESPACE),
            "MetricName": variables.get(TRAFFIC_SWITCH_METRIC_VARIABLE, TRAFFIC_SWITCH_METRIC),
            "Dimensions": [{"Name": GLOBAL_CLUSTER_DIMENSION, "Value": variables["GLOBAL_CLUSTER_ID"]}],
        }
        response = cloudwatch.get_metric_data(
            MetricDataQueries=[
                {"Id": stat.lower(), "MetricStat": {"Metric": metric, "Period": 60, "Stat": stat}}
                for stat in ("Minimum", "Maximum")
            ],
            StartTime=end - datetime.timedelta(minutes=30),
            EndTime=end,
            ScanBy="TimestampDescending",
        )
        latest = [result["Values"][0] for result in response["MetricDataResults"] if result.get("Values")]
        return tuple(float(value) for value in latest)

    def snapshot(self, functions: Mapping[str, _Function]) -> dict[str, Any]:
        """Everything a promoting run changes: writer, FailoverState, ASG sizes, the switch."""
        cluster = self.global_cluster(functions)
        return {
            "writer": [m["DBClusterArn"] for m in cluster["GlobalClusterMembers"] if m["IsWriter"]],
            "members": sorted(m["DBClusterArn"] for m in cluster["GlobalClusterMembers"]),
            "failover_state": cluster.get("FailoverState"),
            "asgs": {region: self.asg(f) for region, f in functions.items()},
            "switch": self.traffic_switch(next(iter(functions.values()))),
        }

    @staticmethod
    def expect_status(result: Mapping[str, Any], allowed: Iterable[str], what: str) -> None:
        if result.get("status") not in tuple(allowed):
            raise _fail(f"{what}: status {result.get('status')!r} (expected one of {list(allowed)}): {result}")

    @staticmethod
    def expect_unchanged(before: Mapping[str, Any], after: Mapping[str, Any], what: str) -> None:
        if before != after:
            raise _fail(f"{what} changed the world: before {before}, after {after}")

    def expect_active(self, functions: Mapping[str, _Function], region: str) -> list[str]:
        """The cluster of ``region`` is the only writer, the other stays a member, capacity and switch moved."""
        active = functions[region]
        peer = next(f for r, f in functions.items() if r != region)
        world = self.snapshot(functions)
        notes = []
        if world["writer"] != [active.variables["TARGET_CLUSTER_ARN"]]:
            raise _fail(f"writer is {world['writer']}, expected {active.variables['TARGET_CLUSTER_ARN']}")
        notes.append(f"writer {cluster_identifier_of(active.variables['TARGET_CLUSTER_ARN'])}")
        expected_members = sorted([active.variables["TARGET_CLUSTER_ARN"], peer.variables["TARGET_CLUSTER_ARN"]])
        if world["members"] != expected_members:
            raise _fail(f"global cluster members {world['members']}, expected {expected_members} (old primary kept)")
        if world["failover_state"]:
            raise _fail(f"FailoverState still set after the run: {world['failover_state']}")
        notes.append("old primary still a member")
        capacity = world["asgs"][region]
        want = {
            "min": int(active.variables["FAILOVER_CAPACITY_MIN"]),
            "desired": int(active.variables["FAILOVER_CAPACITY_DESIRED"]),
        }
        if (capacity["min"], capacity["desired"], capacity["in_service"]) != (
            want["min"],
            want["desired"],
            want["desired"],
        ):
            raise _fail(f"{region} ASG min/desired {capacity}, expected {want}")
        if capacity["max"] < int(active.variables["FAILOVER_CAPACITY_MAX"]):
            raise _fail(f"{region} ASG max {capacity['max']} below FAILOVER_CAPACITY_MAX")
        # The region that stops serving keeps the warm standby (STANDBY_MIN/STANDBY_DESIRED), never 0.
        standby = world["asgs"][peer.region]
        want_standby = {"min": int(active.variables[STANDBY_MIN]), "desired": int(active.variables[STANDBY_DESIRED])}
        if (standby["min"], standby["desired"], standby["in_service"]) != (
            want_standby["min"],
            want_standby["desired"],
            want_standby["desired"],
        ):
            raise _fail(
                f"old serving region's ASG in {peer.region} min/desired {standby}, expected standby {want_standby}"
            )
        sizes = f"{capacity['min']}/{capacity['desired']}/{capacity['max']}"
        notes.append(
            f"ASG {region} min/desired/max {sizes} ({capacity['in_service']} in service), {peer.region} standby "
            f"{standby['min']}/{standby['desired']} ({standby['in_service']} in service)"
        )
        expected_switch = 1.0 if region == active.variables["TRAFFIC_SWITCH_REGION"] else 0.0
        if expected_switch not in world["switch"]:
            raise _fail(
                f"traffic switch: no {expected_switch:g} datapoint in the latest minute ({world['switch']}) "
                f"after promoting {region}"
            )
        notes.append(f"PrimaryFenced={expected_switch:g}")
        variables = active.variables
        item = read_switch(
            self.client("dynamodb", variables["TRAFFIC_SWITCH_REGION"]),
            # Left out of the orchestrators' environment where the stack named it (derived as the function does).
            table_name=variables.get("STATE_TABLE_NAME") or str(state_table_name_of(variables["GLOBAL_CLUSTER_ID"])),
            global_cluster_id=variables["GLOBAL_CLUSTER_ID"],
        )
        if item is None or item.primary_fenced != bool(expected_switch) or item.serving_region != region:
            raise _fail(f"switch item {item} in {variables['TRAFFIC_SWITCH_REGION']}, expected {region} serving")
        notes.append(f"switch item: {region} serving")
        return notes
