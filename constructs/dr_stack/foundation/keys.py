"""A customer-managed KMS key per region, rotation on; its policy names the roles that use it and the services
they use it through.

AWS KMS Developer Guide, "Key policies in AWS KMS": the key policy is the primary way to control access to a key;
its statement for the account root lets IAM policies allow the key's use as well, and every other statement
names its principals. A statement naming a principal `*` with only kms:CallerAccount and kms:ViaService lets any
principal of the account with the service's permissions use the key, which leaves KMS no gate of its own: this
module names the roles instead, each through the services it really calls (kms:ViaService).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.provider import AwsProvider

from constructs import Construct

# A Terraform state key is used only by S3 (the state bucket) and DynamoDB (the lock table), by whoever deploys:
# the stack cannot name that principal, so a state key keeps the account-wide statement for these two services.
STATE_VIA_SERVICES = ("s3", "dynamodb")
_KEY_USE = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
_GRANTS = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]
# Amazon EC2 Auto Scaling User Guide, "Required AWS KMS key policy for use with encrypted volumes": Auto Scaling
# launches instances with its service-linked role, which needs the key's use and grants for the volumes (with
# kms:GrantIsForAWSResource) in the key policy. The role is created by Auto Scaling when a first group is made, so
# it may not exist when the key is: KMS refuses a policy whose Principal names an unknown role
# (MalformedPolicyDocumentException), so the statements name it by aws:PrincipalArn instead.
AUTO_SCALING_ROLE_PATH = "role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"


def _condition(test: str, variable: str, values: Sequence[str]) -> DataAwsIamPolicyDocumentStatementCondition:
    return DataAwsIamPolicyDocumentStatementCondition(test=test, variable=variable, values=list(values))


@dataclass
class _NamedUse:
    """One key-policy statement naming roles: ``actions`` through ``services`` (kms:ViaService), grants only for
    AWS resources when ``grants``."""

    actions: tuple[str, ...]
    services: tuple[str, ...]
    grants: bool
    principals: list[str] = field(default_factory=list)


class RegionalKey(Construct):
    """Customer KMS key and alias for one region (cross-region encryption needs one key per region)."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        provider: AwsProvider,
        region: str,
        alias_name: str,
        description: str,
        for_state: bool = False,
    ) -> None:
        """A key in ``region`` (the region of ``provider``: the key policy names its services there), reachable
        as ``alias_name`` (``alias/...``), described by ``description`` (what it encrypts). ``for_state`` False: a
        data key, usable by CloudWatch Logs, the alarms that publish to encrypted topics and the roles named with
        ``allow_use`` (and Auto Scaling with ``allow_auto_scaling_volumes``); True: a Terraform state key,
        usable through S3 and DynamoDB only."""
        super().__init__(scope, id_)
        identity = DataAwsCallerIdentity(self, "caller", provider=provider)
        partition = DataAwsPartition(self, "partition", provider=provider)
        self.account_id = identity.account_id
        self.partition = partition.partition
        self.region = region
        self._for_state = for_state
        self._named: dict[str, _NamedUse] = {}
        self._auto_scaling = False
        account_root = f"arn:{partition.partition}:iam::{identity.account_id}:root"
        self._fixed = [
            DataAwsIamPolicyDocumentStatement(
                sid="AccountAdministers",
                actions=["kms:*"],
                resources=["*"],
                principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="AWS", identifiers=[account_root])],
            ),
            *(self._state_statements() if for_state else self._service_statements()),
        ]
        self.policy = DataAwsIamPolicyDocument(self, "policy", provider=provider, statement=self._statements())
        self.key = KmsKey(
            self,
            "key",
            provider=provider,
            description=description,
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=self.policy.json,
        )
        self.alias = KmsAlias(self, "alias", provider=provider, name=alias_name, target_key_id=self.key.key_id)

    def _via(self, services: Sequence[str]) -> DataAwsIamPolicyDocumentStatementCondition:
        return _condition(
            "StringEquals", "kms:ViaService", [f"{service}.{self.region}.amazonaws.com" for service in services]
        )

    def _state_statements(self) -> list[DataAwsIamPolicyDocumentStatement]:
        """The deployer's use of a state key through S3 and DynamoDB (principals of this account only)."""
        via_this_account = [
            _condition("StringEquals", "kms:CallerAccount", [self.account_id]),
            self._via(STATE_VIA_SERVICES),
        ]
        everyone = [DataAwsIamPolicyDocumentStatementPrincipals(type="AWS", identifiers=["*"])]
        return [
            DataAwsIamPolicyDocumentStatement(
                sid="ServicesOfThisAccount",
                actions=_KEY_USE,
                resources=["*"],
                principals=everyone,
                condition=via_this_account,
            ),
            # Grants only for the AWS resources those services create: a principal of the account cannot grant
            # itself the key's use outside a service (KMS Developer Guide, kms:GrantIsForAWSResource).
            DataAwsIamPolicyDocumentStatement(
                sid="GrantsForAwsResources",
                actions=_GRANTS,
                resources=["*"],
                principals=everyone,
                condition=[*via_this_account, _condition("Bool", "kms:GrantIsForAWSResource", ["true"])],
            ),
        ]

    def _service_statements(self) -> list[DataAwsIamPolicyDocumentStatement]:
        """CloudWatch Logs (this account's log groups of this region) and the alarms and rules that publish to the
        KMS-encrypted topics."""
        region, partition, account = self.region, self.partition, self.account_id
        return [
            DataAwsIamPolicyDocumentStatement(
                sid="CloudWatchLogs",
                actions=_KEY_USE,
                resources=["*"],
                principals=[
                    DataAwsIamPolicyDocumentStatementPrincipals(
                        type="Service", identifiers=[f"logs.{region}.amazonaws.com"]
                    )
                ],
                condition=[
                    _condition(
                        "ArnLike", "kms:EncryptionContext:aws:logs:arn", [f"arn:{partition}:logs:{region}:{account}:*"]
                    )
                ],
            ),
            DataAwsIamPolicyDocumentStatement(
                sid="AlarmsPublishToEncryptedTopics",
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                principals=[
                    DataAwsIamPolicyDocumentStatementPrincipals(
                        type="Service", identifiers=["cloudwatch.amazonaws.com", "events.amazonaws.com"]
                    )
                ],
                condition=[_condition("StringEquals", "aws:SourceAccount", [account])],
            ),
        ]

    def _named_statements(self) -> list[DataAwsIamPolicyDocumentStatement]:
        statements = []
        for sid, use in self._named.items():
            conditions = [self._via(use.services)]
            if use.grants:
                conditions.append(_condition("Bool", "kms:GrantIsForAWSResource", ["true"]))
            statements.append(
                DataAwsIamPolicyDocumentStatement(
                    sid=sid,
                    actions=list(use.actions),
                    resources=["*"],
                    principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="AWS", identifiers=use.principals)],
                    condition=conditions,
                )
            )
        if self._auto_scaling:
            role = [f"arn:{self.partition}:iam::{self.account_id}:{AUTO_SCALING_ROLE_PATH}"]
            everyone = [DataAwsIamPolicyDocumentStatementPrincipals(type="AWS", identifiers=["*"])]
            statements += [
                DataAwsIamPolicyDocumentStatement(
                    sid="AutoScalingUsesKeyForVolumes",
                    actions=["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
                    resources=["*"],
                    principals=everyone,
                    condition=[_condition("ArnEquals", "aws:PrincipalArn", role)],
                ),
                DataAwsIamPolicyDocumentStatement(
                    sid="AutoScalingAttachesVolumes",
                    actions=["kms:CreateGrant"],
                    resources=["*"],
                    principals=everyone,
                    condition=[
                        _condition("ArnEquals", "aws:PrincipalArn", role),
                        _condition("Bool", "kms:GrantIsForAWSResource", ["true"]),
                    ],
                ),
            ]
        return statements

    def _statements(self) -> list[DataAwsIamPolicyDocumentStatement]:
        return [*self._fixed, *self._named_statements()]

    def allow_use(
        self, principal_arn: str, *, sid: str, services: Sequence[str], actions: Sequence[str], grants: bool = False
    ) -> None:
        """Name the role ``principal_arn`` in the key policy: ``actions`` on this key only through ``services``
        of this region (kms:ViaService), grants (``grants``: ``actions`` are grant actions) only for the AWS
        resources those services create (kms:GrantIsForAWSResource). Roles named under one ``sid`` share its
        actions and services. Pass the role's ``arn`` attribute for a role of this key's provider (Terraform then
        creates the role before the key policy: KMS refuses a policy naming a role that does not exist), and
        ``role_arn(name)`` for a role of another provider."""
        if self._for_state:
            raise ValueError(f"{sid}: a state key serves the deployer through S3 and DynamoDB only")
        if grants and not set(actions) <= set(_GRANTS):
            raise ValueError(f"{sid}: grants=True takes grant actions only ({_GRANTS}), got {list(actions)}")
        wanted = _NamedUse(tuple(actions), tuple(services), grants)
        use = self._named.setdefault(sid, wanted)
        if (use.actions, use.services, use.grants) != (wanted.actions, wanted.services, wanted.grants):
            raise ValueError(
                f"{sid}: already names {use.actions} through {use.services} (grants={use.grants}), "
                f"got {wanted.actions} through {wanted.services} (grants={wanted.grants})"
            )
        if principal_arn not in use.principals:
            use.principals.append(principal_arn)
        self.policy.put_statement(self._statements())

    def role_arn(self, role_name: str) -> str:
        """The ARN of the IAM role called ``role_name`` (a literal name), built from this key's own account and
        partition. Use it for a role of the other region's provider: a reference to that role would make every
        plan of this region's resources configure the other region's provider, which a regional outage makes
        impossible. Terraform then may create the key before the role; the AWS provider retries a key policy KMS
        refuses for a principal IAM has not yet propagated (MalformedPolicyDocumentException), and the role has
        no dependencies of its own, so it is created at the start of the apply."""
        return f"arn:{self.partition}:iam::{self.account_id}:role/{role_name}"

    def allow_auto_scaling_volumes(self) -> None:
        """Let EC2 Auto Scaling's service-linked role encrypt the volumes of the instances it launches (Amazon EC2
        Auto Scaling User Guide, "Required AWS KMS key policy for use with encrypted volumes")."""
        self._auto_scaling = True
        self.policy.put_statement(self._statements())

    @property
    def key_arn(self) -> str:
        """ARN of the key."""
        return self.key.arn

    @property
    def alias_name(self) -> str:
        """Name of the key's alias (``alias/...``)."""
        return self.alias.name

    @property
    def alias_arn(self) -> str:
        """ARN of the key's alias."""
        return self.alias.arn

    @property
    def key_id(self) -> str:
        """Id of the key."""
        return self.key.key_id
