"""What the orchestrator needs beyond promotion for recovery operations, per region: the reprotect cluster spec
(its environment) and the grants for reprotect, database capacity matching, end-to-end recovery and the report's
alarm states, each scoped to this region's resources."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.provider import AwsProvider

from constructs import Construct
from dr_stack.control_plane.iam import attach_inline_policy, grant_statements
from dr_stack.control_plane.permissions import permissions
from dr_stack.data_tier.cluster_spec import ClusterSpec


def reprotect_cluster_spec(spec: ClusterSpec) -> str:
    """REPROTECT_CLUSTER_SPEC: the spec the region's cluster and instances are built from, as JSON
    (read by dr_failover.actions.reprotect with ``ClusterSpec.from_json``)."""
    return spec.to_json()


def grant_recovery_operations(
    scope: Construct,
    id_: str,
    *,
    provider: AwsProvider,
    role: IamRole,
    policy_name: str,
    region: str,
    peer_region: str,
    partition: str,
    account_id: str,
    global_cluster_arn: str,
    cluster_identifier: str,
    cluster_arn: str,
    subnet_group_name: str,
    cluster_parameter_group_name: str,
    instance_parameter_group_name: str,
    kms_key_arn: str,
    monitoring_role_arn: str,
    alarm_name_prefix: str,
    match_serverless_capacity: bool,
) -> IamRolePolicy:
    """Grants of this region's orchestrator for re-protect, capacity matching, the recovery time and the report
    (``dr_permissions.orchestrator.RECOVERY``), on its own cluster's resources. ``match_serverless_capacity``: the
    cluster is Serverless v2 and capacity matching is on, the only case that calls ModifyDBCluster. ``policy_name``:
    the inline policy's name on ``role``."""
    rds = f"arn:{partition}:rds:{region}:{account_id}"
    grants = [*permissions.orchestrator.RECOVERY]
    if match_serverless_capacity:
        grants.append(permissions.orchestrator.MATCH_SERVERLESS_CAPACITY)
    return attach_inline_policy(
        scope,
        id_,
        provider=provider,
        grantee=role,
        name=policy_name,
        statements=grant_statements(
            grants,
            resources={
                # Capacity matching also reads the peer cluster's instances in the peer region: the two regions only.
                "all_instances": [f"arn:{partition}:rds:{r}:{account_id}:db:*" for r in (region, peer_region)],
                "own_instances": [f"{rds}:db:{cluster_identifier}-*"],
                "own_cluster": [cluster_arn],
                "global_cluster": [global_cluster_arn],
                "subnet_group": [f"{rds}:subgrp:{subnet_group_name}"],
                "cluster_parameter_group": [f"{rds}:cluster-pg:{cluster_parameter_group_name}"],
                "instance_parameter_group": [f"{rds}:pg:{instance_parameter_group_name}"],
                "default_option_group": [f"{rds}:og:default:*"],
                "any": ["*"],
                "own_alarms": [f"arn:{partition}:cloudwatch:{region}:{account_id}:alarm:{alarm_name_prefix}*"],
                "own_key": [kms_key_arn],
                "monitoring_role": [monitoring_role_arn],
            },
            values={"region": region},
        ),
    )
