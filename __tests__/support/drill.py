"""Local failover drill and the test doubles: the orchestrator against moto and a stubbed RDS, simulated clock.

Run from the repository root: ``make drill`` (``python scripts/drill.py [--mode switchover]
[--primary-down]``). It prints the step timeline, the recovery time and the data-loss window, and
exits 0 when the run succeeded.

Development only: this module imports moto, which is not in the Lambda runtime; it lives under
``__tests__/support`` so the Lambda package holds only what runs in Lambda. The simulation pieces
(``SimulatedClock``, ``SimulatedAws``, ``DrillWorld``, ``RdsScript``) are the unit tests' doubles.
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

import boto3
import dr_contract as contract
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError
from botocore.stub import Stubber
from dr_failover.aws.calls import is_read_only
from dr_stack.naming.names import StackNames

if TYPE_CHECKING:
    from dr_stack.control_plane.failover import FailoverProps

ACCOUNT_ID = "123456789012"
PRIMARY_REGION = "us-east-1"
SECONDARY_REGION = "us-west-2"
# The drill's global cluster and state table are named as the stack names them from its name prefix, so the
# orchestrator's environment leaves STATE_TABLE_NAME out as the deployed one does and the function derives it.
DRILL_NAMES = StackNames("app")
GLOBAL_CLUSTER_ID = DRILL_NAMES.global_cluster
CLUSTER_IDS = {PRIMARY_REGION: "app-primary", SECONDARY_REGION: "app-secondary"}
ASG_NAMES = {PRIMARY_REGION: "app-us-east-1", SECONDARY_REGION: "app-us-west-2"}
WARM_CAPACITY = contract.Capacity(minimum=1, desired=1, maximum=2)
FULL_CAPACITY = contract.Capacity(minimum=2, desired=4, maximum=6)
STATE_TABLE_NAME = DRILL_NAMES.failover_state_table
SWITCH_METRIC = contract.TRAFFIC_SWITCH_METRIC
METRIC_NAMESPACE = contract.METRIC_NAMESPACE
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": PRIMARY_REGION,
    # moto otherwise loads thousands of public AMIs per region (seconds per test); none is needed.
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
}


def cluster_arn(region: str) -> str:
    """ARN of the drill's Aurora cluster in ``region``."""
    return f"arn:aws:rds:{region}:{ACCOUNT_ID}:cluster:{CLUSTER_IDS[region]}"


def other_region(region: str) -> str:
    """The other of the two drill regions."""
    return SECONDARY_REGION if region == PRIMARY_REGION else PRIMARY_REGION


@functools.cache
def shared_client(service: str, region: str) -> Any:
    """A boto3 client reused across simulations (moto intercepts it whenever a mock is active)."""
    import moto  # noqa: F401 - moto must be imported before a client is made, or it is not intercepted

    return boto3.client(service, region_name=region)


class SimulatedClock:
    """A clock that only moves when slept on (or advanced); ``on_sleep`` can inject a crash.

    Concurrency is simulated too: a thread other than the one that made the clock gets its own timeline, which
    starts at the creating thread's time when it first reads the clock; waits in that thread move only its own
    timeline. When the creating thread next reads the clock (after joining its threads) it is at the latest
    point any thread reached: two calls that each hang for 10 s at the same time cost 10 s, not 20.
    """

    def __init__(self, start: float | None = None) -> None:
        self.now = float(int(time.time())) if start is None else start
        self.sleeps: list[float] = []
        self.on_sleep: Callable[[float], None] | None = None
        self._owner = threading.get_ident()
        self._branches = threading.local()
        self._branch_high = self.now
        self._guard = threading.Lock()

    def _in_branch(self) -> bool:
        if threading.get_ident() == self._owner:
            if self._branch_high > self.now:
                self.now = self._branch_high  # the owner joined threads that ran until then
            return False
        if not hasattr(self._branches, "now"):
            self._branches.now = self.now
        return True

    def __call__(self) -> float:
        """Current simulated epoch seconds (of this thread's timeline)."""
        return float(self._branches.now) if self._in_branch() else self.now

    def sleep(self, seconds: float) -> None:
        """Advance the clock instead of sleeping."""
        self.sleeps.append(seconds)
        if self.on_sleep is not None:
            self.on_sleep(seconds)
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        """Move time forward without recording a sleep."""
        if self._in_branch():
            self._branches.now += seconds
            with self._guard:
                self._branch_high = max(self._branch_high, self._branches.now)
        else:
            self.now += seconds


# The drill's world has no target group, builds no cluster from a spec and has no report bucket: without these
# variables the run skips the serving wait, re-protection's creates are simulated and no run report is written. A
# test that needs them passes them.
LEFT_OUT_BY_THE_DRILL = (
    contract.TARGET_GROUP_ARN,
    contract.REPROTECT_CLUSTER_SPEC,
    contract.REPORT_BUCKET,
    contract.REPORT_KMS_KEY_ARN,
)

# The drill's settings: the dev defaults with the capacities of the drill's ASGs and the values its scenarios
# count on (an unplanned failover needs every desired instance in service; no database capacity matching).
DRILL_SETTINGS: dict[str, Any] = {
    "primary_app_min_capacity": FULL_CAPACITY.minimum,
    "primary_app_max_capacity": FULL_CAPACITY.maximum,
    "primary_app_desired_capacity": FULL_CAPACITY.desired,
    "secondary_app_min_capacity": WARM_CAPACITY.minimum,
    "secondary_app_max_capacity": WARM_CAPACITY.maximum,
    "secondary_app_desired_capacity": WARM_CAPACITY.desired,
    "failover_min_success_percent": 100,
    "failover_match_database_capacity": False,
}


@functools.cache
def drill_failover_props() -> FailoverProps:
    """What the stack tells the orchestrators (stacks.failover_props) for DRILL_SETTINGS."""
    from dr_stack.config.settings import load_settings
    from dr_stack.stacks import failover_props

    return failover_props(load_settings(DRILL_SETTINGS, environ={}))


class Hang(Exception):
    """Fault marker: the call hangs for its whole connect timeout, then fails (a region that does not answer)."""


HANG = Hang()
# Global services whose control planes are homed in us-east-1, whichever region a client names.
US_EAST_1_CONTROL_PLANES = frozenset({"route53", "iam"})


class SimulatedAws:
    """ClientsFactory over moto: RDS clients wrapped in Stubbers, every call recorded, faults injectable."""

    def __init__(self, clock: SimulatedClock | None = None, *, latency_seconds: float = 0.0) -> None:
        self.clock = clock
        self.latency_seconds = latency_seconds
        self.calls: list[tuple[str, str, str]] = []
        # Indices in ``calls`` of the run's own trace: writes of its run record (``run#`` items), refusal notices.
        self.trace_calls: set[int] = set()
        self.faults: dict[tuple[str, str, str], list[BaseException | None]] = {}
        self.answers: dict[tuple[str, str, str], list[dict[str, Any] | None]] = {}
        self.stubbers: dict[str, Stubber] = {}
        self.timeouts: dict[tuple[str, str], float | None] = {}
        self.timeout_log: list[tuple[str, str, float | None]] = []
        self._clients: dict[tuple[str, str], Any] = {}
        self.closed = False
        # Regions lost as a regional outage looks to a client (``lose_region``), and the calls made into them.
        self.lost_regions: set[str] = set()
        self.lost_calls: list[tuple[str, str, str]] = []

    def lose_region(self, region: str) -> None:
        """Every request to ``region``'s endpoints, for every service, times out from now on; when ``region`` is
        us-east-1, so do the global control planes AWS homes there (AWS Fault Isolation Boundaries whitepaper,
        "Global services": the Route 53 and IAM control planes are in us-east-1)."""
        self.lost_regions.add(region)

    def _lost(self, service: str, region: str) -> bool:
        return region in self.lost_regions or (service in US_EAST_1_CONTROL_PLANES and "us-east-1" in self.lost_regions)

    def __call__(self, service: str, region: str, *, timeout_seconds: float | None = None) -> Any:
        """One client per service and region; the timeout asked for is recorded and used by ``HANG`` faults."""
        self.timeouts[(service, region)] = timeout_seconds
        self.timeout_log.append((service, region, timeout_seconds))
        return self.client(service, region)

    def client(self, service: str, region: str) -> Any:
        """The (cached) recorded client; RDS clients get an active Stubber."""
        key = (service, region)
        if key not in self._clients:
            # RDS: a fresh client per simulation for a fresh Stubber; others: shared (creating boto3
            # clients dominates test time), with this simulation's handlers switched off by close().
            client = boto3.client(service, region_name=region) if service == "rds" else shared_client(service, region)
            # Record, then inject a fault, both ahead of the Stubber's own register_first handler
            # (registered later, so it runs after ours): a faulted call consumes no stub.
            client.meta.events.register_first("before-parameter-build.*.*", self._recorder(service, region))
            client.meta.events.register_first("before-parameter-build.*.*", self._injector(service, region))
            client.meta.events.register_first("before-call.*.*", self._answerer(service, region))
            if service == "rds":
                stubber = Stubber(client)
                stubber.activate()
                self.stubbers[region] = stubber
            self._clients[key] = client
        return self._clients[key]

    def close(self) -> None:
        """Stop recording and injecting on the shared clients."""
        self.closed = True

    def rds_stubber(self, region: str) -> Stubber:
        """The Stubber of the RDS client in ``region``."""
        self.client("rds", region)
        return self.stubbers[region]

    def fail(self, service: str, region: str, operation: str, *errors: BaseException | None) -> None:
        """Make the next calls of ``operation`` raise ``errors`` in order (None: that call succeeds)."""
        self.faults.setdefault((service, region, operation), []).extend(errors)

    def answer(self, service: str, region: str, operation: str, *responses: dict[str, Any] | None) -> None:
        """Make the next calls of ``operation`` return ``responses`` (parsed, as botocore would) instead of moto's
        (None: that call goes to moto, a later one is answered)."""
        self.answers.setdefault((service, region, operation), []).extend(responses)

    def changing_calls(self) -> list[tuple[str, str, str]]:
        """Recorded calls that are not Describe*/Get*/List*, beyond the run's own trace (its run record and a
        refusal notice, which every changing run leaves so that ``status`` and the topic answer for it)."""
        return [
            call for index, call in enumerate(self.calls) if not is_read_only(call[2]) and index not in self.trace_calls
        ]

    def operations(self, service: str | None = None) -> list[str]:
        """Recorded operation names, optionally of one service."""
        return [op for svc, _region, op in self.calls if service in (None, svc)]

    def _recorder(self, service: str, region: str) -> Callable[..., None]:
        """Event handler recording each call attempt (and simulating API latency)."""

        def record(model: Any, **kwargs: Any) -> None:
            if self.closed:
                return
            params = kwargs.get("params") or {}
            item = (params.get("Item") or params.get("Key") or {}) if service == "dynamodb" else {}
            key = str(item.get("pk", {}).get("S", "")) if isinstance(item, dict) else ""
            trace = key.startswith((contract.RUN_ITEM_PREFIX, contract.REFUSAL_EPISODE_ITEM_PREFIX))
            if trace or (service == "sns" and " refused: " in str(params.get("Subject", ""))):
                self.trace_calls.add(len(self.calls))
            self.calls.append((service, region, model.name))
            if self.clock is not None and self.latency_seconds:
                self.clock.advance(self.latency_seconds)

        return record

    def _injector(self, service: str, region: str) -> Callable[..., None]:
        """Event handler raising queued faults before the request is built (nothing reaches moto or a stub)."""

        def inject(model: Any, **_kwargs: Any) -> None:
            if self.closed:
                return
            if self._lost(service, region):
                self.lost_calls.append((service, region, model.name))
                if self.clock is not None:
                    self.clock.advance(float(self.timeouts.get((service, region)) or 60))
                raise ConnectTimeoutError(endpoint_url=f"https://{service}.{region}.amazonaws.com/")
            queued = self.faults.get((service, region, model.name))
            if queued:
                fault = queued.pop(0)
                if fault is None:  # a placeholder: this call goes through, a later one fails
                    return
                if isinstance(fault, Hang):
                    if self.clock is not None:
                        self.clock.advance(float(self.timeouts.get((service, region)) or 60))
                    raise ConnectTimeoutError(endpoint_url=f"https://{service}.{region}.amazonaws.com/")
                raise fault

        return inject

    def _answerer(self, service: str, region: str) -> Callable[..., Any]:
        """before-call handler returning a queued answer (the way botocore's Stubber does), else None."""

        def answer(model: Any, **_kwargs: Any) -> Any:
            if self.closed:
                return None
            queued = self.answers.get((service, region, model.name))
            if not queued:
                return None
            response = queued.pop(0)
            return None if response is None else (AWSResponse(None, 200, {}, None), response)

        return answer


def route53_observations(*statuses: str) -> dict[str, Any]:
    """A GetHealthCheckStatus answer with one observation per status (Route53 API Reference:
    HealthCheckObservations[].StatusReport.Status, e.g. "Success: HTTP Status Code 200" or "Failure: ...")."""
    regions = ("us-east-1", "us-west-1", "us-west-2", "eu-west-1", "ap-southeast-1", "sa-east-1")
    return {
        "HealthCheckObservations": [
            {"Region": regions[index % len(regions)], "IPAddress": f"15.177.{index}.1", "StatusReport": {"Status": s}}
            for index, s in enumerate(statuses)
        ]
    }


def global_cluster_response(
    *,
    writer_region: str,
    status: str = "available",
    promoting_to: str | None = None,
    promotion_status: str = "failing-over",
    synchronization: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A DescribeGlobalClusters response with the writer in ``writer_region`` (all members 'connected')."""
    sync = synchronization or {}
    members = [
        {
            "DBClusterArn": cluster_arn(region),
            "IsWriter": region == writer_region,
            "Readers": [] if region != writer_region else [cluster_arn(other_region(region))],
            "SynchronizationStatus": sync.get(region, "connected"),
        }
        for region in (PRIMARY_REGION, SECONDARY_REGION)
    ]
    cluster: dict[str, Any] = {
        "GlobalClusterIdentifier": GLOBAL_CLUSTER_ID,
        "GlobalClusterArn": f"arn:aws:rds::{ACCOUNT_ID}:global-cluster:{GLOBAL_CLUSTER_ID}",
        "Status": status,
        "Engine": "aurora-mysql",
        "GlobalClusterMembers": members,
    }
    if promoting_to is not None:
        cluster["FailoverState"] = {
            "Status": promotion_status,
            "FromDbClusterArn": cluster_arn(other_region(promoting_to)),
            "ToDbClusterArn": cluster_arn(promoting_to),
            "IsDataLossAllowed": promotion_status == "failing-over",
        }
    return {"GlobalClusters": [cluster]}


class RdsScript:
    """Queues the RDS calls a run is expected to make (Stubber raises on any other call)."""

    def __init__(self, aws: SimulatedAws, target_region: str) -> None:
        self.target_region = target_region
        self.peer_region = other_region(target_region)
        self.target = aws.rds_stubber(self.target_region)
        self.peer = aws.rds_stubber(self.peer_region)
        self._stubbers = (self.target, self.peer)

    def describe_global(self, *, writer_region: str | None = None, **state: Any) -> RdsScript:
        """Expect one DescribeGlobalClusters (default writer: the peer)."""
        self.target.add_response(
            "describe_global_clusters",
            global_cluster_response(writer_region=writer_region or self.peer_region, **state),
            {"GlobalClusterIdentifier": GLOBAL_CLUSTER_ID},
        )
        return self

    def describe_cluster(self, region: str, status: str = "available") -> RdsScript:
        """Expect one DescribeDBClusters of the cluster in ``region`` (called in that region)."""
        stubber = self.target if region == self.target_region else self.peer
        stubber.add_response(
            "describe_db_clusters",
            {
                "DBClusters": [
                    {"DBClusterIdentifier": CLUSTER_IDS[region], "Status": status, "DBClusterArn": cluster_arn(region)}
                ]
            },
            {"DBClusterIdentifier": CLUSTER_IDS[region]},
        )
        return self

    def preflight(
        self, mode: str, *, target_status: str = "available", peer_status: str = "available", **state: Any
    ) -> RdsScript:
        """Expect the preflight reads of ``mode`` (peer read only for switchover/preflight)."""
        self.describe_global(**state)
        self.describe_cluster(self.target_region, target_status)
        if mode in ("switchover", "preflight"):
            self.describe_cluster(self.peer_region, peer_status)
        return self

    def promotion_refused(self, mode: str, code: str = "InvalidGlobalClusterStateFault") -> RdsScript:
        """Expect one promotion call that RDS refuses with ``code`` (a documented error of the operation)."""
        params: dict[str, Any] = {
            "GlobalClusterIdentifier": GLOBAL_CLUSTER_ID,
            "TargetDbClusterIdentifier": cluster_arn(self.target_region),
        }
        if mode == "failover":
            params["AllowDataLoss"] = True
        self.target.add_client_error(
            f"{mode}_global_cluster",
            service_error_code=code,
            service_message="The global cluster is not in a valid state for this operation",
            http_status_code=400,
            expected_params=params,
        )
        return self

    def promotion_call(self, mode: str) -> RdsScript:
        """Expect exactly one Switchover/FailoverGlobalCluster with the exact parameters."""
        params: dict[str, Any] = {
            "GlobalClusterIdentifier": GLOBAL_CLUSTER_ID,
            "TargetDbClusterIdentifier": cluster_arn(self.target_region),
        }
        if mode == "failover":
            params["AllowDataLoss"] = True
        response = global_cluster_response(
            writer_region=self.peer_region, promoting_to=self.target_region, promotion_status="pending"
        )["GlobalClusters"][0]
        self.target.add_response(f"{mode}_global_cluster", {"GlobalCluster": response}, params)
        return self

    def promotion(self, mode: str, *, polls_before_writer: int = 2) -> RdsScript:
        """Expect the live-state read, the promotion call and the polls until the target is writer."""
        self.describe_global()
        self.promotion_call(mode)
        self.wait(polls_before_writer)
        return self

    def wait(self, polls_before_writer: int) -> RdsScript:
        """Expect ``polls_before_writer`` in-progress polls and then one showing the target as writer."""
        for _ in range(polls_before_writer):
            self.describe_global(status="failing-over", promoting_to=self.target_region)
        self.describe_global(writer_region=self.target_region)
        return self

    def assert_all_used(self) -> None:
        """Every queued RDS response was consumed."""
        for stubber in self._stubbers:
            stubber.assert_no_pending_responses()


@dataclass
class DrillWorld:
    """Both regions in moto: state table, ASGs, KMS-encrypted SNS topics (with SQS taps), health check."""

    clock: SimulatedClock
    topic_arns: dict[str, str] = field(default_factory=dict)
    queue_urls: dict[str, str] = field(default_factory=dict)
    health_check_id: str = ""

    @classmethod
    def build(cls, clock: SimulatedClock, *, lag_milliseconds: float | None = 1800.0) -> DrillWorld:
        """Create the resources (call inside ``mock_aws``); the secondary gets a lag datapoint."""
        world = cls(clock)
        for region in (PRIMARY_REGION, SECONDARY_REGION):
            world._build_region(region)
        world.health_check_id = shared_client("route53", PRIMARY_REGION).create_health_check(
            CallerReference="primary-endpoint",
            HealthCheckConfig={
                "Type": "HTTPS",
                "FullyQualifiedDomainName": "app.example.com",
                "Port": 443,
                "ResourcePath": "/health",
            },
        )["HealthCheck"]["Id"]
        if lag_milliseconds is not None:
            world.put_lag(SECONDARY_REGION, lag_milliseconds)
        return world

    def _build_region(self, region: str) -> None:
        """State table replica, launch template + ASG, encrypted topic + SQS subscription."""
        shared_client("dynamodb", region).create_table(
            TableName=STATE_TABLE_NAME,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        )
        shared_client("ec2", region).create_launch_template(
            LaunchTemplateName=f"app-{region}",
            LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t3.micro"},
        )
        capacity = FULL_CAPACITY if region == PRIMARY_REGION else WARM_CAPACITY
        shared_client("autoscaling", region).create_auto_scaling_group(
            AutoScalingGroupName=ASG_NAMES[region],
            LaunchTemplate={"LaunchTemplateName": f"app-{region}", "Version": "$Latest"},
            MinSize=capacity.minimum,
            MaxSize=capacity.maximum,
            DesiredCapacity=capacity.desired,
            AvailabilityZones=[f"{region}a"],
        )
        sns = shared_client("sns", region)
        topic_arn = sns.create_topic(Name="dr-alerts", Attributes={"KmsMasterKeyId": "alias/dr-alerts"})["TopicArn"]
        sqs = shared_client("sqs", region)
        queue_url = sqs.create_queue(QueueName="dr-alerts-tap")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
        self.topic_arns[region] = topic_arn
        self.queue_urls[region] = queue_url

    def put_lag(self, region: str, milliseconds: float) -> None:
        """Publish an AuroraGlobalDBReplicationLag datapoint one minute before the simulated now."""
        shared_client("cloudwatch", region).put_metric_data(
            Namespace=contract.AURORA_NAMESPACE,
            MetricData=[
                {
                    "MetricName": contract.GLOBAL_LAG_METRIC,
                    "Dimensions": [{"Name": contract.GLOBAL_LAG_DIMENSION, "Value": CLUSTER_IDS[region]}],
                    "Value": milliseconds,
                    "Unit": "Milliseconds",
                    "Timestamp": datetime.fromtimestamp(self.clock() - 60, tz=UTC),
                }
            ],
        )

    def env(self, target_region: str, **overrides: str) -> dict[str, str]:
        """The function's environment for ``target_region``: the stack's own builder (orchestrator_environment) from
        the drill's settings (DRILL_SETTINGS) and resources; ``overrides`` replace what a test needs."""
        from dr_stack.control_plane.failover import OrchestratorTargets, orchestrator_environment

        peer_region = other_region(target_region)
        role: Literal["primary", "secondary"] = "primary" if target_region == PRIMARY_REGION else "secondary"
        env = orchestrator_environment(
            drill_failover_props(),
            OrchestratorTargets(
                global_cluster_id=GLOBAL_CLUSTER_ID,
                target_region=target_region,
                target_cluster_arn=cluster_arn(target_region),
                peer_region=peer_region,
                peer_cluster_id=CLUSTER_IDS[peer_region],
                target_asg_name=ASG_NAMES[target_region],
                peer_asg_name=ASG_NAMES[peer_region],
                topic_arn=self.topic_arns[target_region],
                state_table_name=STATE_TABLE_NAME,
                traffic_switch_region=SECONDARY_REGION,
                health_check_id=self.health_check_id,
                target_group_arn=DRILL_TARGET_GROUP_ARN,
                reprotect_cluster_spec="",
                run_reports=(
                    DRILL_NAMES.region(role).run_report_bucket(ACCOUNT_ID),
                    f"arn:aws:kms:{target_region}:{ACCOUNT_ID}:key/run-reports",
                ),
            ),
        )
        for name in LEFT_OUT_BY_THE_DRILL:
            del env[name]
        env.update(overrides)
        return env

    def capacity(self, region: str) -> contract.Capacity:
        """Size of the app ASG in ``region``."""
        group = shared_client("autoscaling", region).describe_auto_scaling_groups(
            AutoScalingGroupNames=[ASG_NAMES[region]]
        )["AutoScalingGroups"][0]
        return contract.Capacity(minimum=group["MinSize"], desired=group["DesiredCapacity"], maximum=group["MaxSize"])

    def notifications(self, region: str) -> list[dict[str, Any]]:
        """Notifications published to the region's topic: [{subject, body}] in order received."""
        sqs = shared_client("sqs", region)
        found: list[dict[str, Any]] = []
        while True:
            messages = sqs.receive_message(QueueUrl=self.queue_urls[region], MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return found
            for message in messages:
                envelope = json.loads(message["Body"])
                found.append({"subject": envelope.get("Subject"), "body": json.loads(envelope["Message"])})
                sqs.delete_message(QueueUrl=self.queue_urls[region], ReceiptHandle=message["ReceiptHandle"])

    def metric_values(
        self, region: str, metric: str, dimensions: dict[str, str], *, namespace: str = METRIC_NAMESPACE
    ) -> list[float]:
        """All values of ``metric`` in ``namespace`` with exactly ``dimensions`` in ``region``."""
        end = datetime.now(UTC) + timedelta(days=1)
        response = shared_client("cloudwatch", region).get_metric_statistics(
            Namespace=namespace,
            MetricName=metric,
            Dimensions=[{"Name": k, "Value": v} for k, v in dimensions.items()],
            StartTime=end - timedelta(days=2),
            EndTime=end,
            Period=60,
            Statistics=["Maximum"],
        )
        return [point["Maximum"] for point in response["Datapoints"]]

    def lock_item(self, region: str) -> dict[str, Any] | None:
        """The raw lock item in the region's state table replica."""
        return (
            shared_client("dynamodb", region)
            .get_item(TableName=STATE_TABLE_NAME, Key={"pk": {"S": f"lock#{GLOBAL_CLUSTER_ID}"}}, ConsistentRead=True)
            .get("Item")
        )

    def noted_capacities(self, region: str) -> dict[str, contract.Capacity]:
        """The lock item's ``asg_before`` notes (``<region>/<asg name>`` to its {min, desired, max} map) as sizes."""
        item = self.lock_item(region) or {}
        return {
            key: contract.Capacity(
                minimum=int(note["M"]["min"]["N"]),
                desired=int(note["M"]["desired"]["N"]),
                maximum=int(note["M"]["max"]["N"]),
            )
            for key, note in item.get("asg_before", {}).get("M", {}).items()
        }

    def switch_item(self, region: str) -> dict[str, Any] | None:
        """The raw traffic-switch item in the region's state table replica."""
        return (
            shared_client("dynamodb", region)
            .get_item(
                TableName=STATE_TABLE_NAME,
                Key={"pk": {"S": f"{contract.SWITCH_ITEM_PREFIX}{GLOBAL_CLUSTER_ID}"}},
                ConsistentRead=True,
            )
            .get("Item")
        )

    def put_probe(self, region: str, values: list[float]) -> None:
        """Probe datapoints, one a minute, the last one a minute before the simulated now."""
        for index, value in enumerate(values):
            shared_client("cloudwatch", region).put_metric_data(
                Namespace=contract.PROBE_NAMESPACE,
                MetricData=[
                    {
                        "MetricName": contract.PROBE_METRIC,
                        "Dimensions": [{"Name": contract.GLOBAL_CLUSTER_DIMENSION, "Value": GLOBAL_CLUSTER_ID}],
                        "Value": value,
                        "Unit": "Count",
                        "Timestamp": datetime.fromtimestamp(self.clock() - 60 * (len(values) - index), tz=UTC),
                    }
                ],
            )


@contextmanager
def simulated_aws_account() -> Iterator[None]:
    """Fake credentials + moto for everything inside (no call can reach AWS)."""
    from moto import mock_aws  # development dependency, never imported by the function

    saved = {name: os.environ.get(name) for name in FAKE_CREDENTIALS}
    os.environ.update(FAKE_CREDENTIALS)
    try:
        with mock_aws():
            yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


DRILL_TARGET_GROUP_ARN = (
    "arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/app-us-west-2/0123456789abcdef"
)


class ServingTargetGroup:
    """SimulatedAws plus a Stubber-wrapped ELBv2 client: DescribeTargetHealth answers ``healthy_per_poll``
    healthy targets in turn (the last answer repeats), validated against the ELBv2 service model."""

    def __init__(self, inner: SimulatedAws, *, healthy_per_poll: tuple[int, ...]) -> None:
        self.inner = inner
        self.elbv2 = boto3.client("elbv2", region_name=SECONDARY_REGION)
        self.stubber = Stubber(self.elbv2)
        for healthy in (*healthy_per_poll, *[healthy_per_poll[-1]] * 20):
            self.stubber.add_response(
                "describe_target_health",
                {
                    "TargetHealthDescriptions": [
                        {"Target": {"Id": f"i-{n:017x}"}, "TargetHealth": {"State": "healthy"}} for n in range(healthy)
                    ]
                },
                {"TargetGroupArn": DRILL_TARGET_GROUP_ARN},
            )
        self.stubber.activate()

    def __call__(self, service: str, region: str, *, timeout_seconds: float | None = None) -> Any:
        """The ELBv2 client for ELBv2, SimulatedAws for everything else."""
        if service == "elbv2":
            return self.elbv2
        return self.inner(service, region, timeout_seconds=timeout_seconds)


def run_drill(
    mode: str = "failover", *, primary_down: bool = False, promotion_seconds: int = 90, out: Any = None
) -> dict[str, Any]:
    """Fail over to the secondary region in simulation and print the timeline; return the result."""
    from dr_failover.config import load_config
    from dr_failover.handler import handle_event

    out = out or sys.stdout
    clock = SimulatedClock()
    with simulated_aws_account():
        world = DrillWorld.build(clock)
        aws = SimulatedAws(clock, latency_seconds=0.15)
        if mode == "failover":
            # The probe saw the primary fail for three minutes before the run: end-to-end time counts from there.
            world.put_probe(SECONDARY_REGION, [1.0, 0.0, 0.0, 0.0])
        factory = ServingTargetGroup(aws, healthy_per_poll=(1, 2, 4))
        config = load_config(world.env(SECONDARY_REGION, TARGET_GROUP_ARN=DRILL_TARGET_GROUP_ARN))
        polls = max(1, promotion_seconds // config.poll_interval_seconds)
        script = RdsScript(aws, SECONDARY_REGION).preflight(mode).promotion(mode, polls_before_writer=polls)
        if primary_down:
            # Every call into the primary region hangs for its whole timeout: the fence costs FENCE_TIMEOUT_SECONDS.
            for _ in range(3):
                aws.fail("autoscaling", PRIMARY_REGION, "DescribeAutoScalingGroups", HANG)
        if mode == "failover":
            # The primary's database is in the outage: its RDS API does not answer, so the run fails over with
            # AllowDataLoss (a writer region that answers 'available' would be switched over instead).
            unreachable = EndpointConnectionError(endpoint_url=f"https://rds.{PRIMARY_REGION}.amazonaws.com/")
            aws.fail("rds", PRIMARY_REGION, "DescribeDBClusters", *[unreachable] * 3)
        result = handle_event(
            {"mode": mode, "target_region": SECONDARY_REGION, "reason": "local DR drill"},
            config=config,
            clients_factory=factory,
            clock=clock,
            sleep=clock.sleep,
            run_id="drill",
        )
        script.assert_all_used()
        aws.close()
        before, after = WARM_CAPACITY, world.capacity(SECONDARY_REGION)
        print_timeline(result, out=out)
        print(f"target ASG {ASG_NAMES[SECONDARY_REGION]} min/desired/max: {before} -> {after}", file=out)
        print(f"notifications sent: {[n['subject'] for n in world.notifications(SECONDARY_REGION)]}", file=out)
    return result


def print_timeline(result: dict[str, Any], *, out: Any = None) -> None:
    """Print the step timeline and the recorded recovery time and data-loss window."""
    out = out or sys.stdout
    print(f"DR drill: {result['mode']} to {result['target_region']} (simulated: moto + stubbed RDS)", file=out)
    print(f"{'step':<20} {'start s':>8} {'duration s':>10}  {'status':<8} detail", file=out)
    for step in result["steps"]:
        detail = step["detail"] if len(step["detail"]) <= 90 else step["detail"][:87] + "..."
        print(
            f"{step['name']:<20} {step.get('offset_seconds', 0.0):>8.1f} {step['seconds']:>10.1f}  "
            f"{step['status']:<8} {detail}",
            file=out,
        )
    recovery, loss = result["recovery_time_seconds"], result["data_loss_window_seconds"]
    print(f"recovery time: {'n/a' if recovery is None else f'{recovery:.1f} s'} (orchestration)", file=out)
    end_to_end = result.get("end_to_end_recovery_time_seconds")
    print(
        f"end-to-end recovery time: {'not measured' if end_to_end is None else f'{end_to_end:.1f} s'} "
        f"(from the {result.get('recovery_measured_from', 'run start')} until the target serves)",
        file=out,
    )
    print(f"data-loss window: {'unknown' if loss is None else f'{loss:.1f} s'}", file=out)
    print(f"status: {result['status']}: {result['message']}", file=out)


def main(argv: list[str] | None = None) -> int:
    """Command line: run the drill, exit 0 when the simulated run succeeded."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("failover", "switchover"), default="failover")
    parser.add_argument("--primary-down", action="store_true", help="the primary region's API is unreachable")
    parser.add_argument("--promotion-seconds", type=int, default=90, help="simulated promotion duration")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.primary_down and args.mode == "switchover":
        parser.error("--primary-down needs --mode failover (a switchover needs a healthy primary)")
    result = run_drill(args.mode, primary_down=args.primary_down, promotion_seconds=args.promotion_seconds)
    return 0 if result["status"] == "succeeded" else 1


if __name__ == "__main__":
    sys.exit(main())
