"""Re-protect (lambda_src/dr_failover/actions/reprotect.py): the dry run names what is missing; a real run re-adds
the region's cluster as a secondary with the stack's settings.

RDS goes through botocore's Stubber (every request checked against the RDS service model, any call not
queued raises, so "never deletes" and "no create in a dry run" are enforced); EC2 and KMS are moto.
"""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import Stubber
from dr_failover.actions.reprotect import SPEC_VARIABLE, ReprotectSpec, SpecError, assess, execute
from moto import mock_aws
from support.cluster_spec import make_cluster_spec

REGION = "us-east-1"
ACCOUNT = "123456789012"
GLOBAL = "app-global"
CLUSTER = "app-primary"
WRITER_ARN = f"arn:aws:rds:us-west-2:{ACCOUNT}:cluster:app-secondary"
OWN_ARN = f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster:{CLUSTER}"
ENGINE_VERSION = "8.0.mysql_aurora.3.08.2"
TAGS = [{"Key": "dr-role", "Value": "primary"}, {"Key": "project", "Value": "app"}]


@pytest.fixture
def region():
    """moto EC2 + KMS with the region's security group and key; the spec that names them."""
    with mock_aws():
        ec2 = boto3.client("ec2", region_name=REGION)
        kms = boto3.client("kms", region_name=REGION)
        vpc = ec2.create_vpc(CidrBlock="10.10.0.0/16")["Vpc"]["VpcId"]
        group = ec2.create_security_group(GroupName="app-primary-db", Description="db", VpcId=vpc)["GroupId"]
        key_arn = kms.create_key(Description="primary")["KeyMetadata"]["Arn"]
        cluster = make_cluster_spec(CLUSTER, REGION, group=group, key_arn=key_arn)
        spec = ReprotectSpec.from_environment(
            {SPEC_VARIABLE: cluster.to_json()}, cluster_id=CLUSTER, region=REGION, global_cluster_id=GLOBAL
        )
        yield {"ec2": ec2, "kms": kms, "spec": spec, "key_arn": key_arn, "group": group}


def global_cluster(members):
    return {
        "GlobalClusters": [
            {
                "GlobalClusterIdentifier": GLOBAL,
                "Status": "available",
                "Engine": "aurora-mysql",
                "EngineVersion": ENGINE_VERSION,
                "GlobalClusterMembers": members,
            }
        ]
    }


WRITER_ONLY = [{"DBClusterArn": WRITER_ARN, "IsWriter": True, "Readers": []}]


def rds_stub(members=WRITER_ONLY, *, own_cluster=None, prerequisites=True):
    """A Stubber-wrapped RDS client expecting the assessment's reads in order."""
    rds = boto3.client("rds", region_name=REGION)
    stubber = Stubber(rds)
    queue_assessment(stubber, members, own_cluster=own_cluster, prerequisites=prerequisites)
    return rds, stubber


def queue_assessment(stubber, members=WRITER_ONLY, *, own_cluster=None, prerequisites=True):
    """Queue the assessment's reads of a cluster that is not a member (gone, or ``own_cluster``)."""
    stubber.add_response("describe_global_clusters", global_cluster(members), {"GlobalClusterIdentifier": GLOBAL})
    if any(m["DBClusterArn"] == OWN_ARN for m in members):
        return
    if own_cluster is None:
        stubber.add_client_error(
            "describe_db_clusters",
            service_error_code="DBClusterNotFoundFault",
            http_status_code=404,
            expected_params={"DBClusterIdentifier": CLUSTER},
        )
    else:
        stubber.add_response("describe_db_clusters", {"DBClusters": [own_cluster]}, {"DBClusterIdentifier": CLUSTER})
        if own_cluster.get("GlobalClusterIdentifier") == GLOBAL:
            return
    if prerequisites:
        stubber.add_response("describe_db_subnet_groups", {"DBSubnetGroups": [{"DBSubnetGroupName": CLUSTER}]})
        stubber.add_response("describe_db_cluster_parameter_groups", {"DBClusterParameterGroups": [{}]})
        stubber.add_response("describe_db_parameter_groups", {"DBParameterGroups": [{}]})


def expect_instances(stubber, statuses):
    """Expect one DescribeDBInstances of the cluster's instances (filter db-cluster-id) answering ``statuses``."""
    stubber.add_response(
        "describe_db_instances",
        {
            "DBInstances": [
                {"DBInstanceIdentifier": i, "DBInstanceStatus": status, "DBClusterIdentifier": CLUSTER}
                for i, status in statuses.items()
            ]
        },
        {"Filters": [{"Name": "db-cluster-id", "Values": [CLUSTER]}]},
    )


def test_dry_run_of_a_gone_cluster_plans_the_re_add_and_creates_nothing(region):
    rds, stubber = rds_stub()
    with stubber:
        result = execute(region["spec"], rds=rds, ec2=region["ec2"], kms=region["kms"], dry_run=True)
    stubber.assert_no_pending_responses()
    assert result["status"] == "dry_run"
    assert result["plan"][0].startswith(f"CreateDBCluster {CLUSTER} in {REGION}: global cluster {GLOBAL}")
    assert result["plan"][1:] == [
        f"CreateDBInstance {CLUSTER}-1 (db.serverless, {REGION}a)",
        f"CreateDBInstance {CLUSTER}-2 (db.serverless, {REGION}b)",
    ]


def test_re_add_creates_a_secondary_with_the_global_engine_version_and_the_regions_settings(region):
    """CreateDBCluster with GlobalClusterIdentifier adds a secondary; it must use the global cluster's engine
    and version, a KMS key of its own region, and no master credentials (Aurora User Guide, "Adding an AWS
    Region to an Amazon Aurora global database"; RDS API CreateDBCluster). The Stubber checks each parameter
    name and type against the service model and that the request equals the expected one exactly, so no
    MasterUsername/MasterUserPassword is sent."""
    spec = region["spec"]
    rds, stubber = rds_stub()
    stubber.add_response(
        "create_db_cluster",
        {"DBCluster": {"DBClusterIdentifier": CLUSTER}},
        {
            "DBClusterIdentifier": CLUSTER,
            "GlobalClusterIdentifier": GLOBAL,
            "Engine": "aurora-mysql",
            "EngineVersion": ENGINE_VERSION,
            "DBSubnetGroupName": CLUSTER,
            "VpcSecurityGroupIds": [region["group"]],
            "DBClusterParameterGroupName": f"{CLUSTER}-cluster",
            "StorageEncrypted": True,
            "KmsKeyId": region["key_arn"],
            "Port": 3306,
            "BackupRetentionPeriod": 7,
            "PreferredBackupWindow": "03:00-04:00",
            "PreferredMaintenanceWindow": "sun:05:00-sun:06:00",
            "EnableCloudwatchLogsExports": ["error", "slowquery"],
            "EnableIAMDatabaseAuthentication": True,
            "DeletionProtection": False,
            "CopyTagsToSnapshot": True,
            "ServerlessV2ScalingConfiguration": {"MinCapacity": 1.0, "MaxCapacity": 8.0},
            "Tags": TAGS,
        },
    )
    for index in (1, 2):
        stubber.add_response(
            "create_db_instance",
            {"DBInstance": {"DBInstanceIdentifier": f"{CLUSTER}-{index}"}},
            {
                "DBInstanceIdentifier": f"{CLUSTER}-{index}",
                "DBClusterIdentifier": CLUSTER,
                "DBInstanceClass": "db.serverless",
                "Engine": "aurora-mysql",
                "AvailabilityZone": f"{REGION}{'ab'[index - 1]}",
                "DBSubnetGroupName": CLUSTER,
                "DBParameterGroupName": f"{CLUSTER}-instance",
                "PubliclyAccessible": False,
                "AutoMinorVersionUpgrade": True,
                "PromotionTier": 0 if index == 1 else 1,
                "EnablePerformanceInsights": True,
                "PerformanceInsightsKMSKeyId": region["key_arn"],
                "PerformanceInsightsRetentionPeriod": 7,
                "MonitoringInterval": 60,
                "MonitoringRoleArn": spec.cluster.instance.monitoring_role_arn,
                "CACertificateIdentifier": "rds-ca-rsa2048-g1",
                "CopyTagsToSnapshot": True,
                "Tags": TAGS,
            },
        )
    with stubber:
        result = execute(spec, rds=rds, ec2=region["ec2"], kms=region["kms"], dry_run=False)
    stubber.assert_no_pending_responses()
    assert result["status"] == "succeeded"
    assert result["created"] == [CLUSTER, f"{CLUSTER}-1", f"{CLUSTER}-2"]


def test_detached_cluster_is_reported_with_the_commands_and_never_deleted(region):
    """A cluster removed from the global cluster keeps its data and cannot be added back: Aurora adds only
    new clusters as secondaries. Nothing is deleted by the run (the Stubber refuses any unqueued call)."""
    own = {
        "DBClusterIdentifier": CLUSTER,
        "Status": "available",
        "DBClusterMembers": [{"DBInstanceIdentifier": f"{CLUSTER}-1", "IsClusterWriter": True}],
    }
    rds, stubber = rds_stub(own_cluster=own)
    with stubber:
        result = execute(region["spec"], rds=rds, ec2=region["ec2"], kms=region["kms"], dry_run=False)
    stubber.assert_no_pending_responses()
    assert result["status"] == "refused"
    message = result["message"]
    assert "exists in us-east-1 outside the global cluster" in message
    assert f"delete-db-instance --region {REGION} --db-instance-identifier {CLUSTER}-1" in message
    assert f"--final-db-snapshot-identifier {CLUSTER}-detached" in message


def test_every_missing_prerequisite_is_named_in_one_run(region):
    """DescribeDBSubnetGroups answers DBSubnetGroupNotFoundFault; a key pending deletion has KeyState
    PendingDeletion (KMS DescribeKey). Both are reported together, with how to fix them."""
    region["kms"].schedule_key_deletion(KeyId=region["key_arn"].rsplit("/", 1)[-1], PendingWindowInDays=7)
    rds, stubber = rds_stub(prerequisites=False)
    stubber.add_client_error(
        "describe_db_subnet_groups", service_error_code="DBSubnetGroupNotFoundFault", http_status_code=404
    )
    stubber.add_response("describe_db_cluster_parameter_groups", {"DBClusterParameterGroups": [{}]})
    stubber.add_response("describe_db_parameter_groups", {"DBParameterGroups": [{}]})
    region["ec2"].delete_security_group(GroupId=region["group"])
    with stubber:
        result = execute(region["spec"], rds=rds, ec2=region["ec2"], kms=region["kms"], dry_run=False)
    assert result["status"] == "refused"
    missing = {f["name"] for f in result["findings"] if not f["ok"]}
    assert missing == {"db_subnet_group", "security_groups", "kms_key"}
    assert "cancel-key-deletion" in result["message"]


def test_secondary_member_in_pending_resync_is_already_protected(region):
    """After FailoverGlobalCluster the old primary rejoins as a secondary with SynchronizationStatus
    pending-resync (RDS service model GlobalClusterMember.SynchronizationStatus: connected | pending-resync)."""
    members = [*WRITER_ONLY, {"DBClusterArn": OWN_ARN, "IsWriter": False, "SynchronizationStatus": "pending-resync"}]
    rds, stubber = rds_stub(members)
    expect_instances(stubber, {f"{CLUSTER}-1": "available", f"{CLUSTER}-2": "available"})
    with stubber:
        result = execute(region["spec"], rds=rds, ec2=region["ec2"], kms=region["kms"], dry_run=False)
    assert result["status"] == "succeeded"
    assert result["state"] == "protected"


def test_writer_region_is_told_to_use_the_other_regions_function(region):
    members = [{"DBClusterArn": OWN_ARN, "IsWriter": True}]
    rds, stubber = rds_stub(members)
    with stubber:
        result = assess(region["spec"], rds=rds, ec2=region["ec2"], kms=region["kms"])
    assert result.state == "writer"


def test_missing_global_cluster_blocks_with_the_restore_advice(region):
    rds = boto3.client("rds", region_name=REGION)
    stubber = Stubber(rds)
    stubber.add_client_error(
        "describe_global_clusters", service_error_code="GlobalClusterNotFoundFault", http_status_code=404
    )
    with stubber:
        result = execute(region["spec"], rds=rds, ec2=region["ec2"], kms=region["kms"], dry_run=True)
    assert result["status"] == "refused"
    assert "not found" in result["message"]


def test_unreachable_rds_raises_rather_than_guessing(region):
    """A 5xx is not 'cluster absent': the assessment must not plan a create over an unknown state."""
    rds = boto3.client("rds", region_name=REGION)
    stubber = Stubber(rds)
    stubber.add_response("describe_global_clusters", global_cluster(WRITER_ONLY), {"GlobalClusterIdentifier": GLOBAL})
    stubber.add_client_error("describe_db_clusters", service_error_code="InternalFailure", http_status_code=500)
    with stubber, pytest.raises(Exception, match="InternalFailure"):
        execute(region["spec"], rds=rds, ec2=region["ec2"], kms=region["kms"], dry_run=True)


def test_spec_errors_name_every_missing_key(region):
    values = json.loads(region["spec"].cluster.to_json())
    del values["kms_key_id"], values["db_subnet_group_name"]
    values["port"] = "3306"
    values["instance"]["promotion_tier"] = 1
    values["instance"]["monitoring_interval"] = True
    with pytest.raises(SpecError) as error:
        ReprotectSpec.from_environment(
            {SPEC_VARIABLE: json.dumps(values)}, cluster_id=CLUSTER, region=REGION, global_cluster_id=GLOBAL
        )
    message = str(error.value)
    assert "lacks 'kms_key_id'" in message and "lacks 'db_subnet_group_name'" in message
    assert "port must be int, got '3306'" in message
    assert "unknown field instance.'promotion_tier'" in message
    assert "instance.monitoring_interval must be an integer, got True" in message
    values = json.loads(region["spec"].cluster.to_json())
    values["instance_count"] = 0
    with pytest.raises(SpecError, match="instance_count must be at least 1, got 0"):
        ReprotectSpec.from_environment(
            {SPEC_VARIABLE: json.dumps(values)}, cluster_id=CLUSTER, region=REGION, global_cluster_id=GLOBAL
        )
    with pytest.raises(SpecError, match="is required"):
        ReprotectSpec.from_environment({}, cluster_id=CLUSTER, region=REGION, global_cluster_id=GLOBAL)


# ----- the mode through the event contract and the handler --------------------------------------------------


def test_reprotect_event_needs_a_reason_unless_it_is_a_dry_run():
    from dr_failover.run.events import EventError, parse_event

    dry = parse_event({"mode": "reprotect", "target_region": REGION, "dry_run": True}, function_region=REGION)
    assert dry.mode == "reprotect" and dry.dry_run and not dry.promotes
    with pytest.raises(EventError, match="reason is required for mode 'reprotect'"):
        parse_event({"mode": "reprotect", "target_region": REGION}, function_region=REGION)


def test_reprotect_without_the_stacks_spec_is_invalid_and_makes_no_call():
    """A function deployed without REPROTECT_CLUSTER_SPEC answers 'invalid' naming the variable."""
    from dr_failover.config import load_config
    from dr_failover.handler import handle_event
    from support.harness import static_env

    calls = []

    def factory(service, region, *, timeout_seconds=None):
        calls.append(service)
        raise AssertionError("no client may be made")

    config = load_config(static_env("us-east-1"))
    result = handle_event(
        {"mode": "reprotect", "target_region": "us-east-1", "dry_run": True},
        config=config,
        clients_factory=factory,
        run_id="r",
    )
    assert result["status"] == "invalid"
    assert "REPROTECT_CLUSTER_SPEC is required" in result["message"]
    assert calls == []


# ----- resuming from live state -----------------------------------------------------------------------------

SECONDARY_MEMBER = [*WRITER_ONLY, {"DBClusterArn": OWN_ARN, "IsWriter": False, "SynchronizationStatus": "connected"}]


def expect_create_instance(stubber, spec, index, *, error=None):
    """Expect CreateDBInstance of the spec's instance ``index`` (0-based), answered or refused with ``error``."""
    from dr_failover.actions.reprotect import Assessment, create_instance_params

    placement = spec.cluster.instances[index]
    params = create_instance_params(spec, Assessment("resume", engine="aurora-mysql"), placement)
    if error is None:
        stubber.add_response(
            "create_db_instance", {"DBInstance": {"DBInstanceIdentifier": placement.identifier}}, params
        )
    else:
        code, status, message = error
        stubber.add_client_error(
            "create_db_instance",
            service_error_code=code,
            service_message=message,
            http_status_code=status,
            expected_params=params,
        )


CAPACITY = (
    "InsufficientDBInstanceCapacity",
    400,
    "The specified DB instance class isn't available in the specified Availability Zone.",
)


def test_secondary_member_without_instances_is_not_protected_and_gets_them(region):
    """CreateDBCluster creates an empty cluster; its instances are separate CreateDBInstance calls (Aurora User
    Guide, "Adding an AWS Region to an Amazon Aurora global database": the secondary cluster, then its instance).
    A member listed by DescribeGlobalClusters with no instance (DescribeDBInstances, filter db-cluster-id, answers
    none) can neither serve reads nor be promoted: it is not protected; the run creates exactly its instances and
    no second cluster (the Stubber refuses any unqueued call)."""
    spec = region["spec"]
    rds, stubber = rds_stub(SECONDARY_MEMBER)
    expect_instances(stubber, {})
    expect_create_instance(stubber, spec, 0)
    expect_create_instance(stubber, spec, 1)
    with stubber:
        result = execute(spec, rds=rds, ec2=region["ec2"], kms=region["kms"], dry_run=False)
    stubber.assert_no_pending_responses()
    assert result["state"] == "resume" and result["protected"] is False
    assert result["status"] == "succeeded"
    assert result["created"] == [f"{CLUSTER}-1", f"{CLUSTER}-2"]
    assert "Not protected yet" in result["message"]


def test_capacity_refusal_is_partial_and_the_rerun_creates_only_the_refused_instance(region):
    """InsufficientDBInstanceCapacity (HTTP 400, RDS API reference CreateDBInstance errors: "The specified DB
    instance class isn't available in the specified Availability Zone") refuses one instance; the other, in another
    AZ, is still created. The run is partial and says a rerun resumes; the rerun finds the cluster a member with
    one instance and creates only the refused one."""
    spec = region["spec"]
    rds, stubber = rds_stub()
    stubber.add_response("create_db_cluster", {"DBCluster": {"DBClusterIdentifier": CLUSTER}})
    expect_create_instance(stubber, spec, 0, error=CAPACITY)
    expect_create_instance(stubber, spec, 1)
    with stubber:
        first = execute(spec, rds=rds, ec2=region["ec2"], kms=region["kms"], dry_run=False)
    stubber.assert_no_pending_responses()
    assert first["status"] == "partial" and first["protected"] is False
    assert first["created"] == [CLUSTER, f"{CLUSTER}-2"]
    assert first["refused"][0].startswith(f"{CLUSTER}-1 (db.serverless in {REGION}a): InsufficientDBInstanceCapacity")
    assert "a rerun resumes" in first["message"]

    rds, stubber = rds_stub(SECONDARY_MEMBER)
    expect_instances(stubber, {f"{CLUSTER}-2": "creating"})
    expect_create_instance(stubber, spec, 0)
    with stubber:
        rerun = execute(spec, rds=rds, ec2=region["ec2"], kms=region["kms"], dry_run=False)
    stubber.assert_no_pending_responses()
    assert rerun["status"] == "succeeded" and rerun["created"] == [f"{CLUSTER}-1"]


def test_instances_refused_while_the_new_cluster_is_creating_answer_in_progress(region):
    """CreateDBInstance answers InvalidDBClusterStateFault (HTTP 400, RDS API reference CreateDBInstance errors:
    "The requested operation can't be performed while the cluster is in this state") when sent right after
    CreateDBCluster, while DescribeDBClusters shows the cluster ``creating``. That is no failure: the run answers
    in_progress, says to rerun when the cluster is available, is not protected, and sends no more CreateDBInstance
    (the Stubber refuses any unqueued call)."""
    spec = region["spec"]
    rds, stubber = rds_stub()
    stubber.add_response("create_db_cluster", {"DBCluster": {"DBClusterIdentifier": CLUSTER}})
    message = "The requested operation can't be performed while the cluster is in this state."
    expect_create_instance(stubber, spec, 0, error=("InvalidDBClusterStateFault", 400, message))
    stubber.add_response(
        "describe_db_clusters",
        {"DBClusters": [{"DBClusterIdentifier": CLUSTER, "Status": "creating", "GlobalClusterIdentifier": GLOBAL}]},
        {"DBClusterIdentifier": CLUSTER},
    )
    with stubber:
        result = execute(spec, rds=rds, ec2=region["ec2"], kms=region["kms"], dry_run=False)
    assert (result["status"], result["protected"]) == ("in_progress", False), result["message"]
    stubber.assert_no_pending_responses()
    assert result["created"] == [CLUSTER]
    assert f"{CLUSTER} still creating, rerun when it is available" in result["message"]


def test_capacity_refusal_says_the_rerun_asks_for_the_same_zone_and_the_options(region):
    """InsufficientDBInstanceCapacity is about one DB instance class in one Availability Zone (RDS API reference
    CreateDBInstance errors: "The specified DB instance class isn't available in the specified Availability Zone").
    The instance's zone is the stack's (Terraform would plan a replacement elsewhere), so a rerun asks for the
    same zone: the result says so and names the options, waiting or another instance class in the stack settings."""
    spec = region["spec"]
    rds, stubber = rds_stub(SECONDARY_MEMBER)
    expect_instances(stubber, {f"{CLUSTER}-2": "available"})
    expect_create_instance(stubber, spec, 0, error=CAPACITY)
    with stubber:
        result = execute(spec, rds=rds, ec2=region["ec2"], kms=region["kms"], dry_run=False)
    stubber.assert_no_pending_responses()
    assert (result["status"], result["protected"]) == ("partial", False)
    for text in ("same availability zone", "Terraform's plan stays clean", "wait", "db_instance_class"):
        assert text in result["message"], text


def test_instance_still_creating_is_in_progress_and_not_protected(region):
    """DBInstanceStatus 'creating' (RDS User Guide, DB instance status): the instance exists and will serve by
    itself; the run creates nothing and reports not protected yet."""
    rds, stubber = rds_stub(SECONDARY_MEMBER)
    expect_instances(stubber, {f"{CLUSTER}-1": "available", f"{CLUSTER}-2": "creating"})
    with stubber:
        result = execute(region["spec"], rds=rds, ec2=region["ec2"], kms=region["kms"], dry_run=False)
    stubber.assert_no_pending_responses()
    assert (result["status"], result["state"], result["protected"]) == ("in_progress", "creating", False)
    assert f"{CLUSTER}-2 still creating" in result["message"]


DELETE_ADVICE = "aws rds delete-db-instance"


@pytest.mark.parametrize(
    ("status", "advice"),
    [
        ("stopped", "aws rds start-db-cluster"),
        ("stopping", "aws rds start-db-cluster"),
        ("starting", "aws rds start-db-cluster"),
        ("inaccessible-encryption-credentials", "KMS key"),
        ("inaccessible-encryption-credentials-recoverable", "KMS key"),
        ("failed", DELETE_ADVICE),
        ("incompatible-parameters", DELETE_ADVICE),
        ("incompatible-network", DELETE_ADVICE),
    ],
)
def test_an_instance_that_will_not_serve_gets_the_advice_its_status_needs(region, status, advice):
    """Aurora User Guide, "Viewing DB instance status": ``stopped``/``stopping``/``starting`` are a stopped
    cluster's instances (start-db-cluster brings them back); ``inaccessible-encryption-credentials`` and its
    ``-recoverable`` form mean RDS cannot use the KMS key (a new instance in the cluster would fail the same way);
    ``failed`` and ``incompatible-*`` instances cannot recover and hold no data (the cluster volume does), so deleting
    and recreating them is the fix. The run refuses with that advice and deletes nothing (the Stubber refuses any
    unqueued call); the delete advice is given for the last group only."""
    rds, stubber = rds_stub(SECONDARY_MEMBER)
    expect_instances(stubber, {f"{CLUSTER}-1": "available", f"{CLUSTER}-2": status})
    with stubber:
        result = execute(region["spec"], rds=rds, ec2=region["ec2"], kms=region["kms"], dry_run=False)
    stubber.assert_no_pending_responses()
    assert (result["status"], result["protected"]) == ("refused", False)
    assert advice in result["message"]
    assert (DELETE_ADVICE in result["message"]) == (advice == DELETE_ADVICE)


def test_instance_being_deleted_is_waited_for_not_deleted_or_counted(region):
    """DBInstanceStatus ``deleting`` (Aurora User Guide, "Viewing DB instance status": "The DB instance is being
    deleted"): it goes away by itself and never serves again; the identifier is free once it is gone. The run
    answers in_progress (wait, then rerun), is never protected and sends no call (the Stubber refuses any)."""
    rds, stubber = rds_stub(SECONDARY_MEMBER)
    expect_instances(stubber, {f"{CLUSTER}-1": "available", f"{CLUSTER}-2": "deleting"})
    with stubber:
        result = execute(region["spec"], rds=rds, ec2=region["ec2"], kms=region["kms"], dry_run=False)
    stubber.assert_no_pending_responses()
    assert (result["status"], result["protected"]) == ("in_progress", False)
    assert f"{CLUSTER}-2 being deleted: rerun reprotect once it is gone" in result["message"]
    assert DELETE_ADVICE not in result["message"]


def test_secondary_being_created_but_not_yet_listed_is_resumed_not_refused(region):
    """DescribeDBClusters names a cluster's global cluster (DBCluster.GlobalClusterIdentifier, RDS service model):
    a cluster of this global cluster that DescribeGlobalClusters does not list yet is this run's earlier creation,
    not a detached cluster with data. Its missing instances are created; no CreateDBCluster is sent."""
    spec = region["spec"]
    own = {"DBClusterIdentifier": CLUSTER, "Status": "creating", "GlobalClusterIdentifier": GLOBAL}
    rds, stubber = rds_stub(own_cluster=own)
    expect_instances(stubber, {f"{CLUSTER}-1": "creating"})
    expect_create_instance(stubber, spec, 1)
    with stubber:
        result = execute(spec, rds=rds, ec2=region["ec2"], kms=region["kms"], dry_run=False)
    stubber.assert_no_pending_responses()
    assert result["state"] == "resume" and result["created"] == [f"{CLUSTER}-2"]


def test_instance_identifier_of_another_cluster_is_a_conflict_not_a_success(region):
    """DBInstanceAlreadyExists (RDS API reference CreateDBInstance errors) for an instance that DescribeDBInstances
    shows in another cluster: it is not ours, the run stops partial and names the owner."""
    spec = region["spec"]
    rds, stubber = rds_stub(SECONDARY_MEMBER)
    expect_instances(stubber, {})
    expect_create_instance(stubber, spec, 0, error=("DBInstanceAlreadyExists", 400, "exists"))
    stubber.add_response(
        "describe_db_instances",
        {"DBInstances": [{"DBInstanceIdentifier": f"{CLUSTER}-1", "DBClusterIdentifier": "someone-else"}]},
        {"DBInstanceIdentifier": f"{CLUSTER}-1"},
    )
    with stubber:
        result = execute(spec, rds=rds, ec2=region["ec2"], kms=region["kms"], dry_run=False)
    assert result["status"] == "partial" and result["created"] == []
    assert "in cluster someone-else" in result["message"]


# ----- through the handler: lost answers and a region that hangs (simulated clock) -------------------------

from botocore.exceptions import ReadTimeoutError  # noqa: E402
from support.drill import HANG, shared_client  # noqa: E402
from support.harness import TOP_OF_RANGE  # noqa: E402


def reprotect_function(world, aws, clock, *, budget=None):
    """The function deployed in us-east-1 with a spec naming moto's security group and key there; ``run()``."""
    from dr_failover.config import load_config
    from dr_failover.handler import handle_event

    ec2, kms = shared_client("ec2", REGION), shared_client("kms", REGION)
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    group = ec2.create_security_group(GroupName="app-primary-db", Description="db", VpcId=vpc)["GroupId"]
    key_arn = kms.create_key(Description="primary")["KeyMetadata"]["Arn"]
    cluster = make_cluster_spec(CLUSTER, REGION, group=group, key_arn=key_arn)
    config = load_config(world.env(REGION, REPROTECT_CLUSTER_SPEC=cluster.to_json()))
    spec = ReprotectSpec.from_environment(
        {SPEC_VARIABLE: cluster.to_json()}, cluster_id=CLUSTER, region=REGION, global_cluster_id=GLOBAL
    )

    def run():
        return handle_event(
            {"mode": "reprotect", "target_region": REGION, "reason": "rejoin after the outage"},
            config=config,
            clients_factory=aws,
            clock=clock,
            sleep=clock.sleep,
            run_id="reprotect-1",
            time_budget_seconds=budget,
            jitter=TOP_OF_RANGE,
        )

    return spec, run


def test_lost_create_cluster_answer_then_already_exists_is_looked_up_again(world, aws, clock):
    """CreateDBCluster has no idempotency token (RDS API reference: no ClientToken parameter); a read timeout
    leaves it unknown whether the cluster was created, and the retry answers DBClusterAlreadyExistsFault (HTTP 400,
    "The user already has a DB cluster with the given identifier"). The run looks again: the cluster is this global
    cluster's secondary (DBCluster.GlobalClusterIdentifier), so its instances are created and the run succeeds."""
    spec, run = reprotect_function(world, aws, clock)
    stubber = aws.rds_stubber(REGION)
    queue_assessment(stubber)
    aws.fail("rds", REGION, "CreateDBCluster", ReadTimeoutError(endpoint_url=f"https://rds.{REGION}.amazonaws.com"))
    stubber.add_client_error(
        "create_db_cluster", service_error_code="DBClusterAlreadyExistsFault", http_status_code=400
    )
    stubber.add_response(
        "describe_db_clusters",
        {"DBClusters": [{"DBClusterIdentifier": CLUSTER, "Status": "creating", "GlobalClusterIdentifier": GLOBAL}]},
        {"DBClusterIdentifier": CLUSTER},
    )
    expect_create_instance(stubber, spec, 0)
    expect_create_instance(stubber, spec, 1)
    result = run()
    stubber.assert_no_pending_responses()
    assert result["status"] == "succeeded", result["message"]
    assert result["created"] == [CLUSTER, f"{CLUSTER}-1", f"{CLUSTER}-2"]
    assert any("earlier answer was lost" in note for note in result["notes"])


def test_every_create_cluster_answer_lost_says_the_cluster_may_exist(world, aws, clock):
    """A read timeout means the request was sent and no answer came back: RDS may have created the cluster
    (CreateDBCluster has no idempotency token, RDS API reference). With every attempt timing out until the retries
    run out, the run must not claim it created nothing: it says the cluster may have been created and that a rerun
    finds it (DescribeDBClusters, DBCluster.GlobalClusterIdentifier) and resumes it."""
    _spec, run = reprotect_function(world, aws, clock)
    stubber = aws.rds_stubber(REGION)
    queue_assessment(stubber)
    lost = ReadTimeoutError(endpoint_url=f"https://rds.{REGION}.amazonaws.com")
    aws.fail("rds", REGION, "CreateDBCluster", *([lost] * 20))
    result = run()
    assert (result["status"], result["protected"]) == ("partial", False), result["message"]
    assert f"{CLUSTER} may have been created (answer lost); a rerun finds and resumes it" in result["message"]
    assert result["created"] == []
    assert [n["subject"] for n in world.notifications(REGION)] == [f"DR reprotect of {REGION}: partial"]


def test_lost_create_instance_answer_then_already_exists_counts_the_instance(world, aws, clock):
    """CreateDBInstance after a read timeout: the retry answers DBInstanceAlreadyExists (HTTP 400, RDS service
    model DBInstanceAlreadyExistsFault); DescribeDBInstances shows it in this cluster, so it is counted, and the
    run goes on to the next instance."""
    spec, run = reprotect_function(world, aws, clock)
    stubber = aws.rds_stubber(REGION)
    queue_assessment(stubber, SECONDARY_MEMBER)
    expect_instances(stubber, {})
    aws.fail("rds", REGION, "CreateDBInstance", ReadTimeoutError(endpoint_url=f"https://rds.{REGION}.amazonaws.com"))
    expect_create_instance(stubber, spec, 0, error=("DBInstanceAlreadyExists", 400, "exists"))
    stubber.add_response(
        "describe_db_instances",
        {"DBInstances": [{"DBInstanceIdentifier": f"{CLUSTER}-1", "DBClusterIdentifier": CLUSTER}]},
        {"DBInstanceIdentifier": f"{CLUSTER}-1"},
    )
    expect_create_instance(stubber, spec, 1)
    result = run()
    stubber.assert_no_pending_responses()
    assert result["status"] == "succeeded", result["message"]
    assert result["created"] == [f"{CLUSTER}-1", f"{CLUSTER}-2"]


def test_hanging_region_ends_within_the_remaining_time_and_notifies_what_it_created(world, aws, clock):
    """Lambda's context.get_remaining_time_in_millis "returns the number of milliseconds left before the execution
    times out" (Lambda Developer Guide, Python context object); at the timeout Lambda stops the function, so a run
    still waiting then returns nothing and notifies nobody. With every CreateDBInstance hanging for its whole
    timeout, the run must stop its calls before the end, report partial (what it created, that a rerun resumes)
    and publish that to the topic, all within the time it was given."""
    budget = 120.0
    _spec, run = reprotect_function(world, aws, clock, budget=budget)
    stubber = aws.rds_stubber(REGION)
    queue_assessment(stubber)
    stubber.add_response("create_db_cluster", {"DBCluster": {"DBClusterIdentifier": CLUSTER}})
    aws.fail("rds", REGION, "CreateDBInstance", *([HANG] * 20))
    started = clock()
    result = run()
    elapsed = clock() - started
    assert elapsed <= budget - 2.0, elapsed
    assert result["status"] == "partial", result["message"]
    assert result["created"] == [CLUSTER]
    assert "a rerun resumes" in result["message"]
    subjects = [n["subject"] for n in world.notifications(REGION)]
    assert subjects == [f"DR reprotect of {REGION}: partial"]


def test_rerun_in_moto_recreates_an_instance_lost_after_the_first_run():
    """End to end in moto's RDS (global cluster, subnet and parameter groups, CreateDBCluster with
    GlobalClusterIdentifier, CreateDBInstance, DescribeDBInstances filter db-cluster-id): re-protect creates the
    secondary and its instances; with one instance gone (DeleteDBInstance, as when its creation failed) the rerun
    is not "protected" but creates exactly that instance again, and the next rerun finds the region protected."""
    with mock_aws():
        writer = boto3.client("rds", region_name="us-west-2")
        writer.create_global_cluster(
            GlobalClusterIdentifier=GLOBAL, Engine="aurora-mysql", EngineVersion=ENGINE_VERSION
        )
        writer.create_db_cluster(
            DBClusterIdentifier="app-secondary",
            Engine="aurora-mysql",
            EngineVersion=ENGINE_VERSION,
            GlobalClusterIdentifier=GLOBAL,
            MasterUsername="admin_user",
            MasterUserPassword="not-a-real-password-1",
        )
        rds, ec2, kms = (boto3.client(service, region_name=REGION) for service in ("rds", "ec2", "kms"))
        vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.30.{i}.0/24", AvailabilityZone=f"{REGION}{zone}")["Subnet"][
                "SubnetId"
            ]
            for i, zone in enumerate("ab")
        ]
        group = ec2.create_security_group(GroupName="app-primary-db", Description="db", VpcId=vpc)["GroupId"]
        key_arn = kms.create_key(Description="primary")["KeyMetadata"]["Arn"]
        rds.create_db_subnet_group(DBSubnetGroupName=CLUSTER, DBSubnetGroupDescription="db", SubnetIds=subnets)
        rds.create_db_cluster_parameter_group(
            DBClusterParameterGroupName=f"{CLUSTER}-cluster", DBParameterGroupFamily="aurora-mysql8.0", Description="c"
        )
        rds.create_db_parameter_group(
            DBParameterGroupName=f"{CLUSTER}-instance", DBParameterGroupFamily="aurora-mysql8.0", Description="i"
        )
        spec = ReprotectSpec.from_environment(
            {SPEC_VARIABLE: make_cluster_spec(CLUSTER, REGION, group=group, key_arn=key_arn).to_json()},
            cluster_id=CLUSTER,
            region=REGION,
            global_cluster_id=GLOBAL,
        )
        first = execute(spec, rds=rds, ec2=ec2, kms=kms, dry_run=False)
        assert first["created"] == [CLUSTER, f"{CLUSTER}-1", f"{CLUSTER}-2"], first["message"]
        rds.delete_db_instance(DBInstanceIdentifier=f"{CLUSTER}-2")
        rerun = execute(spec, rds=rds, ec2=ec2, kms=kms, dry_run=False)
        assert (rerun["state"], rerun["created"]) == ("resume", [f"{CLUSTER}-2"]), rerun["message"]
        zone = rds.describe_db_instances(DBInstanceIdentifier=f"{CLUSTER}-2")["DBInstances"][0]["AvailabilityZone"]
        assert zone == f"{REGION}b"
        last = execute(spec, rds=rds, ec2=ec2, kms=kms, dry_run=False)
        assert (last["state"], last["protected"]) == ("protected", True)
