"""A customer-managed KMS key per region, rotation on, usable by the services the stack encrypts with."""

from __future__ import annotations

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

# Services that use a data key on a caller's behalf (kms:ViaService): RDS (and Performance Insights), Secrets
# Manager, DynamoDB, SNS, Lambda (environment), SQS, EC2 (EBS volumes) and AWS Backup.
_VIA_SERVICES = ("rds", "secretsmanager", "dynamodb", "sns", "lambda", "sqs", "ec2", "backup")
# A Terraform state key is used only by S3 (the state bucket) and DynamoDB (the lock table).
STATE_VIA_SERVICES = ("s3", "dynamodb")
_KEY_USE = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]


class RegionalKey(Construct):
    """Customer KMS key and alias for one region (cross-region encryption needs one key per region)."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        provider: AwsProvider,
        region: str,
        alias: str,
        description: str,
        for_state: bool = False,
    ) -> None:
        """A key in ``region`` (the region of ``provider``: the key policy names its services there), reachable
        as ``alias/<alias>``, described by ``description`` (what it encrypts). ``for_state`` False: a data key,
        usable through the stack's services, CloudWatch Logs and the alarms that publish to encrypted topics;
        True: a Terraform state key, usable through S3 and DynamoDB only."""
        super().__init__(scope, id_)
        identity = DataAwsCallerIdentity(self, "caller", provider=provider)
        partition = DataAwsPartition(self, "partition", provider=provider)
        self.account_id = identity.account_id
        self.partition = partition.partition
        account_root = f"arn:{partition.partition}:iam::{identity.account_id}:root"
        services = STATE_VIA_SERVICES if for_state else _VIA_SERVICES
        via_this_account = [
            DataAwsIamPolicyDocumentStatementCondition(
                test="StringEquals", variable="kms:CallerAccount", values=[identity.account_id]
            ),
            DataAwsIamPolicyDocumentStatementCondition(
                test="StringEquals",
                variable="kms:ViaService",
                values=[f"{service}.{region}.amazonaws.com" for service in services],
            ),
        ]

        statements = [
            DataAwsIamPolicyDocumentStatement(
                sid="AccountAdministers",
                actions=["kms:*"],
                resources=["*"],
                principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="AWS", identifiers=[account_root])],
            ),
            # The services use the key on behalf of principals of this account only. EBS volumes of Auto Scaling
            # instances are encrypted by its service-linked role, which a key policy cannot name before Auto
            # Scaling first creates it in the account (KMS refuses a policy naming a principal that does not exist).
            DataAwsIamPolicyDocumentStatement(
                sid="ServicesOfThisAccount",
                actions=_KEY_USE,
                resources=["*"],
                principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="AWS", identifiers=["*"])],
                condition=via_this_account,
            ),
            # Grants only for the AWS resources those services create (RDS, EBS, DynamoDB replicas...): a principal
            # of the account cannot grant itself the key's use outside a service (KMS Developer Guide,
            # kms:GrantIsForAWSResource).
            DataAwsIamPolicyDocumentStatement(
                sid="GrantsForAwsResources",
                actions=["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                resources=["*"],
                principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="AWS", identifiers=["*"])],
                condition=[
                    *via_this_account,
                    DataAwsIamPolicyDocumentStatementCondition(
                        test="Bool", variable="kms:GrantIsForAWSResource", values=["true"]
                    ),
                ],
            ),
        ]
        if not for_state:
            statements += [
                # CloudWatch Logs encrypts log groups of this account and region only.
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
                        DataAwsIamPolicyDocumentStatementCondition(
                            test="ArnLike",
                            variable="kms:EncryptionContext:aws:logs:arn",
                            values=[f"arn:{partition.partition}:logs:{region}:{identity.account_id}:*"],
                        )
                    ],
                ),
                # CloudWatch alarms and EventBridge publish to the KMS-encrypted SNS topic.
                DataAwsIamPolicyDocumentStatement(
                    sid="AlarmsPublishToEncryptedTopics",
                    actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                    resources=["*"],
                    principals=[
                        DataAwsIamPolicyDocumentStatementPrincipals(
                            type="Service",
                            identifiers=["cloudwatch.amazonaws.com", "events.amazonaws.com"],
                        )
                    ],
                    condition=[
                        DataAwsIamPolicyDocumentStatementCondition(
                            test="StringEquals", variable="aws:SourceAccount", values=[identity.account_id]
                        )
                    ],
                ),
            ]
        policy = DataAwsIamPolicyDocument(self, "policy", provider=provider, statement=statements)
        self.key = KmsKey(
            self,
            "key",
            provider=provider,
            description=description,
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=policy.json,
        )
        self.alias = KmsAlias(self, "alias", provider=provider, name=f"alias/{alias}", target_key_id=self.key.key_id)

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
