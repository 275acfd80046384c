"""DynamoDB global table (version 2019.11.21) in the primary region with a replica in the secondary region."""

from __future__ import annotations

from collections.abc import Mapping

from cdktf import Fn
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocumentStatement,
)
from cdktf_cdktf_provider_aws.dynamodb_table import (
    DynamodbTable,
    DynamodbTableAttribute,
    DynamodbTablePointInTimeRecovery,
    DynamodbTableReplica,
    DynamodbTableServerSideEncryption,
    DynamodbTableTtl,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy

from constructs import Construct
from dr_stack.control_plane.iam import attach_inline_policy, construct_slug, kms_via_service
from dr_stack.foundation.keys import RegionalKey
from dr_stack.foundation.providers import DrRole, RegionalProviders, dr_role
from dr_stack.naming.names import TableAccess, table_policy_name

READ_ACTIONS = [
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
]
WRITE_ACTIONS = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"]
# A caller's use of a table's customer key through DynamoDB (DynamoDB Developer Guide, "How Amazon DynamoDB uses
# AWS KMS": the key policy's permissions for principals using the table).
TABLE_KEY_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:DescribeKey")


class GlobalTable(Construct):
    """A KMS-encrypted, point-in-time-recoverable DynamoDB global table replicated to the secondary region."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        providers: RegionalProviders,
        keys: Mapping[DrRole, RegionalKey],
        name: str,
        hash_key: str,
        range_key: str | None = None,
        ttl_attribute: str | None = None,
        deletion_protection: bool,
    ) -> None:
        """A table called ``name`` in both regions, each copy encrypted with its region's key of ``keys``.
        ``range_key`` None: items are keyed by ``hash_key`` alone. ``ttl_attribute`` None: items never expire.
        ``deletion_protection`` True: DynamoDB refuses to delete the table (turn off only for throwaway stacks)."""
        super().__init__(scope, id_)
        self._providers = providers
        self._keys = keys
        self._name = name
        key_attributes = [hash_key] + ([range_key] if range_key else [])
        self.table = DynamodbTable(
            self,
            "table",
            provider=providers.primary,
            name=self._name,
            billing_mode="PAY_PER_REQUEST",
            hash_key=hash_key,
            range_key=range_key,
            attribute=[DynamodbTableAttribute(name=attribute, type="S") for attribute in key_attributes],
            # Global tables replicate through the stream; both images let consumers see every change.
            stream_enabled=True,
            stream_view_type="NEW_AND_OLD_IMAGES",
            point_in_time_recovery=DynamodbTablePointInTimeRecovery(enabled=True),
            server_side_encryption=DynamodbTableServerSideEncryption(enabled=True, kms_key_arn=keys["primary"].key_arn),
            replica=[
                DynamodbTableReplica(
                    region_name=providers.secondary_region,
                    # A replica is encrypted with a key of its own region.
                    kms_key_arn=keys["secondary"].key_arn,
                    point_in_time_recovery=True,
                    propagate_tags=True,
                )
            ],
            ttl=DynamodbTableTtl(attribute_name=ttl_attribute, enabled=True) if ttl_attribute else None,
            deletion_protection_enabled=deletion_protection,
        )

    def grant_read_write(self, grantee: IamRole, *, dr_role: DrRole) -> IamRolePolicy:
        """Let ``grantee`` read and write the table's copy in one region (and use that region's key)."""
        return self._grant(grantee, dr_role=dr_role, actions=[*READ_ACTIONS, *WRITE_ACTIONS], verb="rw")

    def grant_read(self, grantee: IamRole, *, dr_role: DrRole) -> IamRolePolicy:
        """Let ``grantee`` read the table's copy in one region (and decrypt with that region's key)."""
        return self._grant(grantee, dr_role=dr_role, actions=READ_ACTIONS, verb="read")

    def allow_key_use(self, grantee_arn: str, *, dr_role: DrRole) -> None:
        """Name the role ``grantee_arn`` in the key policy of one region's copy, for its use through DynamoDB (a
        role whose table actions come from elsewhere, such as the orchestrators' permission list, gets the key
        here). A role of the other region's provider: pass ``RegionalKey.role_arn(name)`` (see there)."""
        self._keys[dr_role].allow_use(
            grantee_arn, sid="TablesThroughDynamoDb", services=("dynamodb",), actions=TABLE_KEY_ACTIONS
        )

    def _grant(self, grantee: IamRole, *, dr_role: DrRole, actions: list[str], verb: TableAccess) -> IamRolePolicy:
        provider = self._providers.for_role(dr_role)
        region = self._providers.region_of(dr_role)
        table_arn = self.replica_arn(dr_role)
        self.allow_key_use(grantee.arn, dr_role=dr_role)
        return attach_inline_policy(
            self,
            f"{verb}_{dr_role}_{construct_slug(grantee)}",
            provider=provider,
            grantee=grantee,
            name=table_policy_name(self._name, verb, dr_role),
            statements=[
                DataAwsIamPolicyDocumentStatement(
                    sid="UseTable", actions=actions, resources=[table_arn, f"{table_arn}/index/*"]
                ),
                kms_via_service(
                    self._keys[dr_role].key_arn,
                    service="dynamodb",
                    region=region,
                    actions=TABLE_KEY_ACTIONS,
                    sid="UseTableKey",
                ),
            ],
        )

    @property
    def table_name(self) -> str:
        """Name of the table (the same in both regions)."""
        return self._name

    @property
    def table_arn(self) -> str:
        """ARN of the table in the primary region."""
        return self.table.arn

    @property
    def table_stream_arn(self) -> str:
        """ARN of the primary table's stream."""
        return self.table.stream_arn

    def replica_arn(self, role: DrRole) -> str:
        """ARN of the table in a DR role's region (same name, region swapped)."""
        if dr_role(role) == "primary":
            return self.table.arn
        providers = self._providers
        return Fn.replace(self.table.arn, f":{providers.primary_region}:", f":{providers.region_of(role)}:")
