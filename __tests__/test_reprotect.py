"""Re-protect (lambda_src/dr_failover/reprotect.py): the dry run names what is missing; a real run re-adds
the region's cluster as a secondary with the stack's settings.

RDS goes through botocore's Stubber (every request checked against the RDS service model, any call not
queued raises, so "never deletes" and "no create in a dry run" are enforced); EC2 and KMS are moto.
"""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import Stubber
from dr_cluster_spec import ClusterSpec, InstancePlacement, InstanceSettings
from dr_failover.reprotect import SPEC_VARIABLE, ReprotectSpec, SpecError, assess, execute
from moto import mock_aws
from support.drill import FAKE_CREDENTIALS

REGION = "us-east-1"
ACCOUNT = "123456789012"
GLOBAL = "app-global"
CLUSTER = "app-primary"
WRITER_ARN = f"arn:aws:rds:us-west-2:{ACCOUNT}:cluster:app-secondary"
OWN_ARN = f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster:{CLUSTER}"
ENGINE_VERSION = "8.0.mysql_aurora.3.08.2"
TAGS = [{"Key": "dr-role", "Value": "primary"}, {"Key": "project", "Value": "app"}]


@pytest.fixture(autouse=True)
def fake_aws_credentials(monkeypatch):
    """Fake credentials only."""
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def region():
    """moto EC2 + KMS with the region's security group and key; the spec that names them."""
    with mock_aws():
        ec2 = boto3.client("ec2", region_name=REGION)
        kms = boto3.client("kms", region_name=REGION)
        vpc = ec2.create_vpc(CidrBlock="10.10.0.0/16")["Vpc"]["VpcId"]
        group = ec2.create_security_group(GroupName="app-primary-db", Description="db", VpcId=vpc)["GroupId"]
        key_arn = kms.create_key(Description="primary")["KeyMetadata"]["Arn"]
        cluster = ClusterSpec(
            cluster_identifier=CLUSTER,
            port=3306,
            db_subnet_group_name=CLUSTER,
            vpc_security_group_ids=(group,),
            db_cluster_parameter_group_name=f"{CLUSTER}-cluster",
            storage_encrypted=True,
            kms_key_id=key_arn,
            backup_retention_period=7,
            preferred_backup_window="03:00-04:00",
            preferred_maintenance_window="sun:05:00-sun:06:00",
            copy_tags_to_snapshot=True,
            deletion_protection=False,
            enabled_cloudwatch_logs_exports=("error", "slowquery"),
            iam_database_authentication_enabled=True,
            serverless_capacity=(1.0, 8.0),
            enable_global_write_forwarding=None,
            provider_default_tags={"project": "app", "dr-role": "primary"},
            tags={},
            instance=InstanceSettings(
                instance_class="db.serverless",
                db_subnet_group_name=CLUSTER,
                db_parameter_group_name=f"{CLUSTER}-instance",
                publicly_accessible=False,
                auto_minor_version_upgrade=True,
                ca_cert_identifier="rds-ca-rsa2048-g1",
                copy_tags_to_snapshot=True,
                monitoring_interval=60,
                monitoring_role_arn=f"arn:aws:iam::{ACCOUNT}:role/app-primary-rds-monitoring",
                performance_insights_enabled=True,
                performance_insights_kms_key_id=key_arn,
                performance_insights_retention_period=7,
            ),
            instances=tuple(
                InstancePlacement(identifier=f"{CLUSTER}-{n}", availability_zone=f"{REGION}{zone}", promotion_tier=tier)
                for n, zone, tier in ((1, "a", 0), (2, "b", 1))
            ),
        )
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
    stubber.add_response("describe_global_clusters", global_cluster(members), {"GlobalClusterIdentifier": GLOBAL})
    if any(m["DBClusterArn"] == OWN_ARN for m in members):
        return rds, stubber
    if own_cluster is None:
        stubber.add_client_error(
            "describe_db_clusters",
            service_error_code="DBClusterNotFoundFault",
            http_status_code=404,
            expected_params={"DBClusterIdentifier": CLUSTER},
        )
    else:
        stubber.add_response("describe_db_clusters", {"DBClusters": [own_cluster]}, {"DBClusterIdentifier": CLUSTER})
    if prerequisites:
        stubber.add_response("describe_db_subnet_groups", {"DBSubnetGroups": [{"DBSubnetGroupName": CLUSTER}]})
        stubber.add_response("describe_db_cluster_parameter_groups", {"DBClusterParameterGroups": [{}]})
        stubber.add_response("describe_db_parameter_groups", {"DBParameterGroups": [{}]})
    return rds, stubber


def test_dry_run_of_a_gone_cluster_plans_the_re_add_and_creates_nothing(region):
    rds, stubber = rds_stub()
    with stubber:
        result = execute(region["spec"], rds=rds, ec2=region["ec2"], kms=region["kms"], dry_run=True)
    stubber.assert_no_pending_responses()
    assert result["status"] == "dry_run"
    assert result["plan"][0].startswith(f"CreateDBCluster {CLUSTER} in {REGION}: global cluster {GLOBAL}")
    assert result["plan"][1:] == [
        f"CreateDBInstance {CLUSTER}-1 (db.serverless)",
        f"CreateDBInstance {CLUSTER}-2 (db.serverless)",
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
    values["instances"] = []
    with pytest.raises(SpecError, match="at least one instance"):
        ReprotectSpec.from_environment(
            {SPEC_VARIABLE: json.dumps(values)}, cluster_id=CLUSTER, region=REGION, global_cluster_id=GLOBAL
        )
    with pytest.raises(SpecError, match="is required"):
        ReprotectSpec.from_environment({}, cluster_id=CLUSTER, region=REGION, global_cluster_id=GLOBAL)


# ----- the mode through the event contract and the handler --------------------------------------------------


def test_reprotect_event_needs_a_reason_unless_it_is_a_dry_run():
    from dr_failover.events import EventError, parse_event

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
