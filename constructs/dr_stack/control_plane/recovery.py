"""What the orchestrator needs beyond promotion for recovery operations, per region: the reprotect cluster spec
(its environment) and the grants for reprotect, database capacity matching, end-to-end recovery, the report's
alarm states and the run report itself, each scoped to this region's resources."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.provider import AwsProvider

from constructs import Construct
from dr_stack.control_plane.iam import GrantResources, attach_inline_policy, grant_statements
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
    resources: GrantResources,
    match_serverless_capacity: bool,
) -> IamRolePolicy:
    """Grants of this region's orchestrator for re-protect, capacity matching, the recovery time and the report
    (``dr_permissions.orchestrator.RECOVERY``), on its own cluster's resources as ``resources`` gives them.
    ``match_serverless_capacity``: the cluster is Serverless v2 and capacity matching is on, the only case that
    calls ModifyDBCluster. ``policy_name``: the inline policy's name on ``role``."""
    grants = [*permissions.orchestrator.RECOVERY]
    if match_serverless_capacity:
        grants.append(permissions.orchestrator.MATCH_SERVERLESS_CAPACITY)
    return attach_inline_policy(
        scope,
        id_,
        provider=provider,
        grantee=role,
        name=policy_name,
        statements=grant_statements(grants, resources=resources),
    )


def grant_run_reports(
    scope: Construct,
    id_: str,
    *,
    provider: AwsProvider,
    role: IamRole,
    policy_name: str,
    resources: GrantResources,
) -> IamRolePolicy:
    """The run report's put under the report prefix of the region's bucket, with its key through S3
    (``dr_permissions.orchestrator.RUN_REPORTS``: ``resources`` gives the bucket and the key), in the inline
    policy ``policy_name`` on ``role``."""
    return attach_inline_policy(
        scope,
        id_,
        provider=provider,
        grantee=role,
        name=policy_name,
        statements=grant_statements(permissions.orchestrator.RUN_REPORTS, resources=resources),
    )
