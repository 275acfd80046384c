"""The switch keeper (lambda_src/dr_failover/keeper.py) against moto: it keeps the switch's data stream alive.

Route53 evaluates a CLOUDWATCH_METRIC health check from the alarm's metric data stream, not the alarm state
(Route53 Developer Guide, "How Route 53 determines whether a health check is healthy"). A switch written once
ages out of the alarm's one-minute period; the keeper re-publishes the switch item every minute from the
traffic-switch region's own replica, and writes nothing when it cannot read it (LastKnownStatus then holds).

It publishes a fence (1) only while its own region's DescribeGlobalClusters (botocore rds model:
GlobalClusterMembers[].IsWriter, FailoverState.ToDbClusterArn) shows its region's cluster as the writer or being
promoted to it: FailoverGlobalCluster with AllowDataLoss makes the old writer rejoin as a read-only secondary, and
a CLOUDWATCH_METRIC check with data makes Route53 answer the SECONDARY record (Route53 API Reference,
ResourceRecordSet.Failover), so a stale 1 would send every user to a read-only cluster.
"""

from __future__ import annotations

import boto3
import dr_contract as contract
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from dr_failover.keeper import KeeperConfigError, StaleFence, handler
from dr_failover.records.switch import write_switch
from moto import mock_aws
from support.drill import (
    GLOBAL_CLUSTER_ID,
    PRIMARY_REGION,
    SECONDARY_REGION,
    STATE_TABLE_NAME,
    global_cluster_response,
)

ENV = {
    contract.STATE_TABLE_NAME: STATE_TABLE_NAME,
    contract.GLOBAL_CLUSTER_ID: GLOBAL_CLUSTER_ID,
    contract.METRIC_NAMESPACE_VARIABLE: contract.METRIC_NAMESPACE,
    contract.TRAFFIC_SWITCH_METRIC_VARIABLE: contract.TRAFFIC_SWITCH_METRIC,
}
SWITCH = {contract.GLOBAL_CLUSTER_DIMENSION: GLOBAL_CLUSTER_ID}


@pytest.fixture
def region():
    """The secondary region in moto with the state table (conftest's ``aws_sandbox`` holds the fake keys)."""
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=SECONDARY_REGION)
        dynamodb.create_table(
            TableName=STATE_TABLE_NAME,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        )
        yield dynamodb, boto3.client("cloudwatch", region_name=SECONDARY_REGION)


def _values(cloudwatch) -> list[tuple[float, float, float]]:
    from datetime import UTC, datetime, timedelta

    end = datetime.now(UTC) + timedelta(minutes=5)
    response = cloudwatch.get_metric_statistics(
        Namespace=contract.METRIC_NAMESPACE,
        MetricName=contract.TRAFFIC_SWITCH_METRIC,
        Dimensions=[{"Name": k, "Value": v} for k, v in SWITCH.items()],
        StartTime=end - timedelta(hours=1),
        EndTime=end,
        Period=3600,
        Statistics=["Maximum", "Minimum", "SampleCount"],
    )
    return [(p["SampleCount"], p["Minimum"], p["Maximum"]) for p in response["Datapoints"]]


def _rds(*writer_regions: str, **state):
    """An RDS client in the keeper's region answering DescribeGlobalClusters once per writer region given."""
    client = boto3.client("rds", region_name=SECONDARY_REGION)
    stubber = Stubber(client)
    for writer in writer_regions:
        stubber.add_response(
            "describe_global_clusters",
            global_cluster_response(writer_region=writer, **state),
            {"GlobalClusterIdentifier": GLOBAL_CLUSTER_ID},
        )
    stubber.activate()
    return client, stubber


def test_fenced_switch_is_republished_on_every_run(region):
    dynamodb, cloudwatch = region
    rds, stubber = _rds(SECONDARY_REGION, SECONDARY_REGION, SECONDARY_REGION)
    write_switch(
        dynamodb,
        table_name=STATE_TABLE_NAME,
        global_cluster_id=GLOBAL_CLUSTER_ID,
        primary_fenced=True,
        serving_region=SECONDARY_REGION,
        run_id="run-1",
        now=0,
    )

    for _ in range(3):  # three scheduled minutes
        published = handler({}, None, dynamodb=dynamodb, cloudwatch=cloudwatch, rds=rds, environ=ENV)
        assert published["primary_fenced"] is True

    assert _values(cloudwatch) == [(3.0, 1.0, 1.0)]
    stubber.assert_no_pending_responses()


def test_a_stale_fence_is_not_published_once_the_other_region_writes(region):
    """A failover back to us-east-1 ran while us-west-2 (the switch region) was down, so the item
    here still says fenced. us-west-2 returns; its own DescribeGlobalClusters shows us-east-1 as the writer.
    The keeper publishes 0 (fencing the writer would send users to us-west-2's read-only cluster) and fails the
    invocation as an alert."""
    dynamodb, cloudwatch = region
    write_switch(
        dynamodb,
        table_name=STATE_TABLE_NAME,
        global_cluster_id=GLOBAL_CLUSTER_ID,
        primary_fenced=True,
        serving_region=SECONDARY_REGION,
        run_id="earlier-failover",
        now=0,
    )
    rds, stubber = _rds(PRIMARY_REGION)

    with pytest.raises(StaleFence, match="not the writer"):
        handler({}, None, dynamodb=dynamodb, cloudwatch=cloudwatch, rds=rds, environ=ENV)

    assert _values(cloudwatch) == [(1.0, 0.0, 0.0)]
    stubber.assert_no_pending_responses()


def test_a_fence_holds_while_a_promotion_to_this_region_is_in_progress(region):
    """FailoverState (Status failing-over, ToDbClusterArn this region's cluster) while the old writer is still
    IsWriter: the promotion to us-west-2 is under way, so the fence stays."""
    dynamodb, cloudwatch = region
    write_switch(
        dynamodb,
        table_name=STATE_TABLE_NAME,
        global_cluster_id=GLOBAL_CLUSTER_ID,
        primary_fenced=True,
        serving_region=SECONDARY_REGION,
        run_id="run-1",
        now=0,
    )
    rds, _stubber = _rds(PRIMARY_REGION, promoting_to=SECONDARY_REGION)

    assert handler({}, None, dynamodb=dynamodb, cloudwatch=cloudwatch, rds=rds, environ=ENV)["primary_fenced"] is True
    assert _values(cloudwatch) == [(1.0, 1.0, 1.0)]


def test_unfenced_switch_and_never_switched_publish_zero(region):
    dynamodb, cloudwatch = region
    rds, stubber = _rds(PRIMARY_REGION, PRIMARY_REGION)
    result = handler({}, None, dynamodb=dynamodb, cloudwatch=cloudwatch, rds=rds, environ=ENV)
    assert result == {"primary_fenced": False, "source": "default (never switched)"}
    write_switch(
        dynamodb,
        table_name=STATE_TABLE_NAME,
        global_cluster_id=GLOBAL_CLUSTER_ID,
        primary_fenced=False,
        serving_region="us-east-1",
        run_id="failback",
        now=0,
    )
    assert handler({}, None, dynamodb=dynamodb, cloudwatch=cloudwatch, rds=rds, environ=ENV)["primary_fenced"] is False
    assert _values(cloudwatch) == [(2.0, 0.0, 0.0)]
    stubber.assert_no_pending_responses()


@pytest.mark.parametrize("item", [None, False], ids=["no-item", "item-says-0"])
@pytest.mark.parametrize("promoting", [False, True], ids=["writer", "promotion-in-progress"])
def test_the_old_primary_is_fenced_whenever_this_region_writes_whatever_the_item_says(region, item, promoting):
    """An automatic failover that failed after FailoverGlobalCluster was accepted leaves
    no switch item (or a 0) while us-west-2's cluster is already the writer, or is being promoted to it
    (DescribeGlobalClusters: GlobalClusterMembers[].IsWriter, FailoverState.ToDbClusterArn; RDS API Reference).
    With AllowDataLoss the old writer rejoins as a read-only secondary once it returns (Aurora User Guide,
    "Performing managed failovers"), and Route53 answers the PRIMARY record while its health check is healthy
    (Route53 API Reference, ResourceRecordSet.Failover). The PRIMARY check is calculated from the ALB check and
    the switch metric's alarm, which Route53 evaluates from the metric's data stream (Route53 Developer Guide,
    "How Amazon Route 53 determines whether a health check is healthy"); a published 0 would let the old
    primary's half-alive ALB take the users to a read-only cluster. So the keeper publishes 1 and raises
    (an alert) because the item disagrees."""
    dynamodb, cloudwatch = region
    if item is not None:
        write_switch(
            dynamodb,
            table_name=STATE_TABLE_NAME,
            global_cluster_id=GLOBAL_CLUSTER_ID,
            primary_fenced=item,
            serving_region=PRIMARY_REGION,
            run_id="earlier-failback",
            now=0,
        )
    state = {"promoting_to": SECONDARY_REGION, "promotion_status": "failing-over"} if promoting else {}
    rds, stubber = _rds(PRIMARY_REGION if promoting else SECONDARY_REGION, **state)

    with pytest.raises(StaleFence, match="primary_fenced=0.*published 1"):
        handler({}, None, dynamodb=dynamodb, cloudwatch=cloudwatch, rds=rds, environ=ENV)

    assert _values(cloudwatch) == [(1.0, 1.0, 1.0)]
    stubber.assert_no_pending_responses()


def test_an_unreadable_global_cluster_publishes_nothing(region):
    """DescribeGlobalClusters refused (a documented error of the operation: GlobalClusterNotFoundFault): the
    keeper cannot tell which region writes, so it publishes nothing and Route53's LastKnownStatus (the
    health check's insufficient_data_health_status) holds the last state rather than a guessed 0."""
    dynamodb, cloudwatch = region
    rds = boto3.client("rds", region_name=SECONDARY_REGION)
    stubber = Stubber(rds)
    stubber.add_client_error("describe_global_clusters", service_error_code="GlobalClusterNotFoundFault")
    stubber.activate()

    with pytest.raises(ClientError, match="GlobalClusterNotFoundFault"):
        handler({}, None, dynamodb=dynamodb, cloudwatch=cloudwatch, rds=rds, environ=ENV)

    assert _values(cloudwatch) == []


def test_unreadable_switch_state_publishes_nothing(region):
    """The keeper never guesses: with the table unreadable it raises and writes no datapoint, so Route53's
    LastKnownStatus keeps the last state rather than a default."""
    _dynamodb, cloudwatch = region
    missing_table = dict(ENV, **{contract.STATE_TABLE_NAME: "no-such-table"})
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        handler(
            {},
            None,
            dynamodb=boto3.client("dynamodb", region_name=SECONDARY_REGION),
            cloudwatch=cloudwatch,
            environ=missing_table,
        )
    assert _values(cloudwatch) == []


def test_keeper_configuration_names_every_missing_variable():
    with pytest.raises(KeeperConfigError, match="STATE_TABLE_NAME.*TRAFFIC_SWITCH_METRIC"):
        handler({}, None, environ={contract.GLOBAL_CLUSTER_ID: "g", contract.METRIC_NAMESPACE_VARIABLE: "n"})


@pytest.mark.parametrize(
    ("promotion_status", "data_loss"),
    [("pending", True), ("cancelling", True), ("failing-over", False)],
    ids=["pending", "cancelling", "switchover"],
)
def test_the_writer_is_not_fenced_while_a_promotion_to_this_region_has_not_taken_effect(
    region, promotion_status, data_loss
):
    """FailoverState.Status (RDS API Reference): "pending" — the request is being verified
    before the operation starts, so the old writer still writes; "cancelling" — the request "was cancelled and the
    primary ... and the selected secondary ... are returning to their previous states"; IsDataLossAllowed false —
    a switchover, which moves traffic itself once the new writer serves. While us-east-1 is IsWriter in any of these,
    a published 1 would fail Route53's PRIMARY check and send users to us-west-2's read-only secondary, so the
    keeper follows the switch item (0) and raises nothing."""
    dynamodb, cloudwatch = region
    response = global_cluster_response(
        writer_region=PRIMARY_REGION, promoting_to=SECONDARY_REGION, promotion_status=promotion_status
    )
    response["GlobalClusters"][0]["FailoverState"]["IsDataLossAllowed"] = data_loss
    rds = boto3.client("rds", region_name=SECONDARY_REGION)
    stubber = Stubber(rds)
    stubber.add_response("describe_global_clusters", response, {"GlobalClusterIdentifier": GLOBAL_CLUSTER_ID})
    stubber.activate()

    result = handler({}, None, dynamodb=dynamodb, cloudwatch=cloudwatch, rds=rds, environ=ENV)

    assert result["primary_fenced"] is False
    assert _values(cloudwatch) == [(1.0, 0.0, 0.0)]
    stubber.assert_no_pending_responses()
