"""IAM building blocks shared by the constructs: the one way policies are written (aws_iam_policy_document data
sources, so the provider validates them and tests read statements as data), service roles, inline grants, KMS use
through one service."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
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


def grant_statements(
    grants: Sequence[Grant], *, resources: Mapping[str, Sequence[str]], values: Mapping[str, str]
) -> list[DataAwsIamPolicyDocumentStatement]:
    """Allow statements from grants of the shared permission list (``dr_permissions``): each resource name of a
    grant becomes the ARNs ``resources`` gives it, each condition template is filled from ``values``."""
    missing = sorted({f"{grant.sid}: {name}" for grant in grants for name in grant.on if name not in resources})
    if missing:
        raise ValueError(f"no ARN given for the resource(s) {missing} of the permission list")
    statements = []
    for grant in grants:
        # Conditions of one test and key are one condition with several values (any of them matches).
        conditions: dict[str, dict[str, list[str]]] = {}
        for test, key, value in grant.condition_values(dict(values)):
            conditions.setdefault(test, {}).setdefault(key, []).append(value)
        arns = [arn for name in grant.on for arn in resources[name]]
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


def lambda_base_statements(
    *, log_group_arn: str, dead_letter_queue_arn: str, key_arn: str, region: str
) -> list[DataAwsIamPolicyDocumentStatement]:
    """What the Lambda service does with every function's execution role (``dr_permissions.base.LAMBDA_BASE``)."""
    return grant_statements(
        permissions.base.LAMBDA_BASE,
        resources={
            "log_streams": [f"{log_group_arn}:*"],
            "any": ["*"],
            "dead_letter_queue": [dead_letter_queue_arn],
            "own_key": [key_arn],
        },
        values={"region": region},
    )


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
