"""IAM building blocks shared by the constructs: the one way policies are written (aws_iam_policy_document data
sources, so the provider validates them and tests read statements as data), the one resolver of the permission
list's resource names to ARNs (``GrantResources``), service roles, inline grants, KMS use through one service."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.provider import AwsProvider

from constructs import Construct
from dr_stack.contract import contract
from dr_stack.control_plane.permissions import permissions

if TYPE_CHECKING:
    from dr_permissions import Grant


def construct_slug(construct: Construct) -> str:
    """A stable snake_case id derived from a construct's path below its stack (for per-grantee children)."""
    path = construct.node.path.split("/", 1)[-1]
    return re.sub(r"[^a-z0-9]+", "_", path.lower()).strip("_")


def allow(
    sid: str,
    actions: Sequence[str],
    resources: Sequence[str],
    *,
    conditions: Mapping[str, Mapping[str, str | Sequence[str]]] | None = None,
) -> DataAwsIamPolicyDocumentStatement:
    """An Allow statement; ``conditions`` as in IAM JSON: {test: {variable: value or values}}."""
    return DataAwsIamPolicyDocumentStatement(
        sid=sid,
        actions=list(actions),
        resources=list(resources),
        condition=[
            DataAwsIamPolicyDocumentStatementCondition(
                test=test, variable=variable, values=[values] if isinstance(values, str) else list(values)
            )
            for test, by_variable in (conditions or {}).items()
            for variable, values in by_variable.items()
        ]
        or None,
    )


@dataclass(frozen=True)
class GrantResources:
    """What the stack has of the resources the permission list (``dr_permissions``) names, for one function: the
    one place on the synth side where a grant's resource names become ARNs (``arns``). Each field is an ARN, a name
    or an identifier the stack knows; a resource name whose field is None is not given, and a grant that names it
    is refused (``grant_statements``)."""

    region: str
    """The function's region: of its own cluster's RDS resources, its alarms, and the ``{region}`` of conditions."""
    partition: str | None = None
    """The AWS partition; with ``account_id``, of every ARN built here from a name."""
    account_id: str | None = None
    peer_region: str | None = None
    """The other region (``all_instances``: the instances of both regions)."""
    global_cluster_arn: str | None = None
    own_cluster_arn: str | None = None
    peer_cluster_arn: str | None = None
    cluster_identifier: str | None = None
    """The own cluster's identifier (``own_instances``: ``<cluster>-<n>``)."""
    subnet_group_name: str | None = None
    cluster_parameter_group_name: str | None = None
    instance_parameter_group_name: str | None = None
    key_arn: str | None = None
    """The region's KMS key (``own_key``)."""
    monitoring_role_arn: str | None = None
    own_asg_arn: str | None = None
    peer_asg_arn: str | None = None
    own_table_arn: str | None = None
    peer_table_arn: str | None = None
    switch_table_arn: str | None = None
    topic_arn: str | None = None
    peer_health_check_id: str | None = None
    alarm_name_prefix: str | None = None
    """The stack's alarms of the region (``own_alarms``), by name prefix."""
    probe_alarm_name: str | None = None
    """The probe's trigger alarm, in this (the secondary) region."""
    log_group_arn: str | None = None
    """The function's log group (``log_streams``: its streams)."""
    dead_letter_queue_arn: str | None = None
    role_arn: str | None = None
    """The function's own role (``own_role``)."""
    report_bucket_arn: str | None = None
    """The region's run-report bucket (``report_objects``: the objects under the report prefix)."""
    report_key_arn: str | None = None
    """The key the run reports are encrypted with (``report_key``)."""

    def arns(self) -> dict[str, list[str]]:
        """Every resource name this knows, with its ARNs (``any``: ``*``, actions without resource-level
        permissions)."""
        partition, account, region = self.partition, self.account_id, self.region
        scoped = partition is not None and account is not None
        rds = f"arn:{partition}:rds:{region}:{account}"
        alarm = f"arn:{partition}:cloudwatch:{region}:{account}:alarm"

        def given(value: str | None, arn: Callable[[str], str] = str, *, needs_scope: bool = False) -> list[str] | None:
            """``value`` as its ARN; None when it is not given (or its ARN needs the partition and account)."""
            return None if value is None or (needs_scope and not scoped) else [arn(value)]

        candidates: dict[str, list[str] | None] = {
            "any": ["*"],
            "global_cluster": given(self.global_cluster_arn),
            "own_cluster": given(self.own_cluster_arn),
            "peer_cluster": given(self.peer_cluster_arn),
            # Capacity matching also reads the peer cluster's instances in the peer region: the two regions only.
            "all_instances": (
                [f"arn:{partition}:rds:{r}:{account}:db:*" for r in (region, self.peer_region)]
                if scoped and self.peer_region is not None
                else None
            ),
            "own_instances": given(self.cluster_identifier, lambda name: f"{rds}:db:{name}-*", needs_scope=True),
            "subnet_group": given(self.subnet_group_name, lambda name: f"{rds}:subgrp:{name}", needs_scope=True),
            "cluster_parameter_group": given(
                self.cluster_parameter_group_name, lambda name: f"{rds}:cluster-pg:{name}", needs_scope=True
            ),
            "instance_parameter_group": given(
                self.instance_parameter_group_name, lambda name: f"{rds}:pg:{name}", needs_scope=True
            ),
            "default_option_group": [f"{rds}:og:default:*"] if scoped else None,
            "own_key": given(self.key_arn),
            "monitoring_role": given(self.monitoring_role_arn),
            "own_asg": given(self.own_asg_arn),
            "peer_asg": given(self.peer_asg_arn),
            "own_table": given(self.own_table_arn),
            "peer_table": given(self.peer_table_arn),
            "switch_table": given(self.switch_table_arn),
            "topic": given(self.topic_arn),
            "peer_health_check": given(
                self.peer_health_check_id, lambda id_: f"arn:{partition}:route53:::healthcheck/{id_}", needs_scope=True
            ),
            "own_alarms": given(self.alarm_name_prefix, lambda prefix: f"{alarm}:{prefix}*", needs_scope=True),
            "probe_alarm": given(self.probe_alarm_name, lambda name: f"{alarm}:{name}", needs_scope=True),
            "log_streams": given(self.log_group_arn, lambda arn: f"{arn}:*"),
            "dead_letter_queue": given(self.dead_letter_queue_arn),
            "own_role": given(self.role_arn),
            "report_objects": given(self.report_bucket_arn, lambda arn: f"{arn}/{contract.REPORT_PREFIX}/*"),
            "report_key": given(self.report_key_arn),
        }
        return {name: arns for name, arns in candidates.items() if arns is not None}


def grant_statements(
    grants: Sequence[Grant], *, resources: GrantResources, values: Mapping[str, str] | None = None
) -> list[DataAwsIamPolicyDocumentStatement]:
    """Allow statements from grants of the shared permission list (``dr_permissions``): each resource name of a
    grant becomes the ARNs ``resources`` gives it, each condition template is filled from ``values`` and the
    region of ``resources``."""
    arns_by_name = resources.arns()
    missing = sorted({f"{grant.sid}: {name}" for grant in grants for name in grant.on if name not in arns_by_name})
    if missing:
        raise ValueError(f"no ARN given for the resource(s) {missing} of the permission list")
    filled = {"region": resources.region, **(values or {})}
    statements = []
    for grant in grants:
        # Conditions of one test and key are one condition with several values (any of them matches).
        conditions: dict[str, dict[str, list[str]]] = {}
        for test, key, value in grant.condition_values(filled):
            conditions.setdefault(test, {}).setdefault(key, []).append(value)
        arns = [arn for name in grant.on for arn in arns_by_name[name]]
        statements.append(allow(grant.sid, grant.actions, arns, conditions=conditions or None))
    return statements


def deny_metric_namespace(namespaces: Sequence[str], *, sid: str) -> DataAwsIamPolicyDocumentStatement:
    """An explicit Deny of cloudwatch:PutMetricData into any of ``namespaces``. PutMetricData has no resource-level
    permission; the cloudwatch:namespace condition key holds it to a namespace (Service Authorization Reference,
    Amazon CloudWatch), and an explicit Deny wins over every Allow the role has or is given later (IAM User Guide,
    "Policy evaluation logic")."""
    return DataAwsIamPolicyDocumentStatement(
        sid=sid,
        effect="Deny",
        actions=["cloudwatch:PutMetricData"],
        resources=["*"],
        condition=[
            DataAwsIamPolicyDocumentStatementCondition(
                test="StringEquals", variable="cloudwatch:namespace", values=list(namespaces)
            )
        ],
    )


def lambda_base_statements(resources: GrantResources) -> list[DataAwsIamPolicyDocumentStatement]:
    """What the Lambda service does with every function's execution role (``dr_permissions.base.LAMBDA_BASE``):
    ``resources`` gives the function's log group, dead-letter queue and key."""
    return grant_statements(permissions.base.LAMBDA_BASE, resources=resources)


def trust_policy(
    scope: Construct,
    id_: str,
    *,
    provider: AwsProvider,
    service: str,
    source_account: str | None = None,
    source_arn: str | None = None,
) -> str:
    """Assume-role policy (JSON) letting one AWS service principal assume a role; with `source_account` and
    `source_arn` (an ARN pattern) only for this account's resources matching it (aws:SourceAccount, aws:SourceArn),
    for a service whose guide documents sending them."""
    conditions = [
        *(
            [
                DataAwsIamPolicyDocumentStatementCondition(
                    test="StringEquals", variable="aws:SourceAccount", values=[source_account]
                )
            ]
            if source_account
            else []
        ),
        *(
            [DataAwsIamPolicyDocumentStatementCondition(test="ArnLike", variable="aws:SourceArn", values=[source_arn])]
            if source_arn
            else []
        ),
    ]
    document = DataAwsIamPolicyDocument(
        scope,
        id_,
        provider=provider,
        statement=[
            DataAwsIamPolicyDocumentStatement(
                actions=["sts:AssumeRole"],
                principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="Service", identifiers=[service])],
                condition=conditions or None,
            )
        ],
    )
    return document.json


def kms_via_service(
    key_arn: str, *, service: str, region: str, actions: Sequence[str] = ("kms:Decrypt",), sid: str
) -> DataAwsIamPolicyDocumentStatement:
    """Use of one key only through one AWS service in one region (kms:ViaService)."""
    return DataAwsIamPolicyDocumentStatement(
        sid=sid,
        actions=list(actions),
        resources=[key_arn],
        condition=[
            DataAwsIamPolicyDocumentStatementCondition(
                test="StringEquals", variable="kms:ViaService", values=[f"{service}.{region}.amazonaws.com"]
            )
        ],
    )


def attach_inline_policy(
    scope: Construct,
    id_: str,
    *,
    provider: AwsProvider,
    grantee: IamRole,
    statements: Sequence[DataAwsIamPolicyDocumentStatement],
    name: str | None = None,
) -> IamRolePolicy:
    """An inline policy on ``grantee`` built from statements (the document is validated by the provider).
    ``name`` None: Terraform names the policy."""
    document = DataAwsIamPolicyDocument(scope, f"{id_}_document", provider=provider, statement=list(statements))
    return IamRolePolicy(scope, id_, provider=provider, name=name, role=grantee.id, policy=document.json)


def service_role(
    scope: Construct,
    id_: str,
    *,
    provider: AwsProvider,
    name: str,
    description: str,
    service: str,
    account_id: str,
    partition: str,
    trust_id: str,
    managed_policies: dict[str, str],
    source_arn: str | None = None,
) -> IamRole:
    """A role only `service` of this account can assume, with AWS managed service-role policies attached.

    `managed_policies` maps a child id to a policy name under arn:<partition>:iam::aws:policy/service-role/.
    `source_arn` None: any resource of the service in this account may have the role assumed (aws:SourceAccount);
    given (an ARN pattern): only those resources (aws:SourceArn, ArnLike), for a service that documents sending it.
    """
    trust = DataAwsIamPolicyDocument(
        scope,
        trust_id,
        provider=provider,
        statement=[
            DataAwsIamPolicyDocumentStatement(
                actions=["sts:AssumeRole"],
                principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="Service", identifiers=[service])],
                condition=[
                    DataAwsIamPolicyDocumentStatementCondition(
                        test="StringEquals", variable="aws:SourceAccount", values=[account_id]
                    ),
                    *(
                        [
                            DataAwsIamPolicyDocumentStatementCondition(
                                test="ArnLike", variable="aws:SourceArn", values=[source_arn]
                            )
                        ]
                        if source_arn
                        else []
                    ),
                ],
            )
        ],
    )
    role = IamRole(scope, id_, provider=provider, name=name, description=description, assume_role_policy=trust.json)
    for child_id, policy in managed_policies.items():
        IamRolePolicyAttachment(
            scope,
            child_id,
            provider=provider,
            role=role.name,
            policy_arn=f"arn:{partition}:iam::aws:policy/service-role/{policy}",
        )
    return role
