"""What the orchestrator needs beyond promotion for recovery operations, per region: the reprotect cluster spec
(its environment) and the grants for reprotect, database capacity matching, end-to-end recovery and the report's
alarm states, each scoped to this region's resources."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.provider import AwsProvider
from dr_cluster_spec import ClusterSpec

from constructs import Construct
from dr_stack.iam import attach_inline_policy, kms_via_service


def reprotect_cluster_spec(spec: ClusterSpec) -> str:
    """REPROTECT_CLUSTER_SPEC: the spec the region's cluster and instances are built from, as JSON
    (read by dr_failover.reprotect with ``ClusterSpec.from_json``)."""
    return spec.to_json()


def grant_recovery_operations(
    scope: Construct,
    id_: str,
    *,
    provider: AwsProvider,
    role: IamRole,
    region: str,
    partition: str,
    account_id: str,
    global_cluster_arn: str,
    cluster_identifier: str,
    cluster_arn: str,
    peer_cluster_arn: str,
    subnet_group_name: str,
    cluster_parameter_group_name: str,
    instance_parameter_group_name: str,
    kms_key_arn: str,
    monitoring_role_arn: str,
    alarm_name_prefix: str,
) -> IamRolePolicy:
    """Grants of this region's orchestrator for reprotect and capacity matching (its own cluster's instances)."""
    rds = f"arn:{partition}:rds:{region}:{account_id}"
    own_instances = f"{rds}:db:{cluster_identifier}-*"
    subnet_group = f"{rds}:subgrp:{subnet_group_name}"
    cluster_parameters = f"{rds}:cluster-pg:{cluster_parameter_group_name}"
    instance_parameters = f"{rds}:pg:{instance_parameter_group_name}"
    return attach_inline_policy(
        scope,
        id_,
        provider=provider,
        grantee=role,
        name="recovery-operations",
        statements=[
            DataAwsIamPolicyDocumentStatement(
                sid="ReadClusters", actions=["rds:DescribeDBClusters"], resources=[cluster_arn, peer_cluster_arn]
            ),
            # DescribeDBInstances filtered by db-cluster-id names no instance: it is authorized on db:* (read only).
            DataAwsIamPolicyDocumentStatement(
                sid="ReadInstances",
                actions=["rds:DescribeDBInstances"],
                resources=[f"arn:{partition}:rds:*:{account_id}:db:*"],
            ),
            DataAwsIamPolicyDocumentStatement(
                sid="ReadReprotectPrerequisites",
                actions=[
                    "rds:DescribeDBSubnetGroups",
                    "rds:DescribeDBClusterParameterGroups",
                    "rds:DescribeDBParameterGroups",
                ],
                resources=[subnet_group, cluster_parameters, instance_parameters],
            ),
            # Re-add this region's cluster to the global cluster (reprotect), named as the stack names it.
            DataAwsIamPolicyDocumentStatement(
                sid="ReaddSecondaryCluster",
                actions=["rds:CreateDBCluster"],
                resources=[cluster_arn, global_cluster_arn, subnet_group, cluster_parameters],
            ),
            # Instances of this region's cluster only: reprotect's instances and readers added to match capacity.
            DataAwsIamPolicyDocumentStatement(
                sid="AddOwnInstances",
                actions=["rds:CreateDBInstance"],
                resources=[own_instances, cluster_arn, subnet_group, instance_parameters],
            ),
            DataAwsIamPolicyDocumentStatement(
                sid="MatchServerlessCapacity", actions=["rds:ModifyDBCluster"], resources=[cluster_arn]
            ),
            # DescribeSecurityGroups and DescribeTargetHealth have no resource-level permissions.
            DataAwsIamPolicyDocumentStatement(
                sid="ReadWithoutResourceLevelPermissions",
                actions=["ec2:DescribeSecurityGroups", "elasticloadbalancing:DescribeTargetHealth"],
                resources=["*"],
            ),
            # The report's alarm states: the stack's alarms of this region only.
            DataAwsIamPolicyDocumentStatement(
                sid="ReadOwnAlarms",
                actions=["cloudwatch:DescribeAlarms"],
                resources=[f"arn:{partition}:cloudwatch:{region}:{account_id}:alarm:{alarm_name_prefix}*"],
            ),
            # An encrypted cluster and Performance Insights use the region's key through RDS only.
            kms_via_service(
                kms_key_arn,
                service="rds",
                region=region,
                actions=("kms:DescribeKey", "kms:CreateGrant"),
                sid="EncryptThroughRds",
            ),
            DataAwsIamPolicyDocumentStatement(
                sid="DescribeOwnKey", actions=["kms:DescribeKey"], resources=[kms_key_arn]
            ),
            DataAwsIamPolicyDocumentStatement(
                sid="PassMonitoringRole",
                actions=["iam:PassRole"],
                resources=[monitoring_role_arn],
                condition=[
                    DataAwsIamPolicyDocumentStatementCondition(
                        test="StringEquals", variable="iam:PassedToService", values=["monitoring.rds.amazonaws.com"]
                    )
                ],
            ),
        ],
    )
