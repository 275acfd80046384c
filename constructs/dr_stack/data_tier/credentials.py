"""Master credentials of the global database: a generated (or supplied) password kept in a replicated secret.

Aurora cannot manage the master password of a global cluster, so the password is made here and written,
write-only, to the primary cluster and to a Secrets Manager secret replicated to the secondary region. The secret
is the source of truth; the secondary cluster has no credentials of its own.

The password is never in the state or a plan file. In ``random`` mode it is the value of an *ephemeral* resource,
``aws_secretsmanager_random_password`` (Secrets Manager's GetRandomPassword, called on each plan and apply, never
stored; Terraform >= 1.10); in ``variable`` mode it comes from an *ephemeral* variable (``TF_VAR_db_master_password``,
needed at plan and at apply, never stored). Either value goes only to write-only arguments (Terraform >= 1.11),
``master_password_wo`` of the cluster and ``secret_string_wo`` of the secret version, which Terraform sends to AWS
and does not record. cdktf 0.21 has no construct for ephemeral blocks, so the stack writes the block itself
(``EphemeralRandomPassword``).

Rotating the master password: bump ``db_master_password_version`` (``DR_DB_MASTER_PASSWORD_VERSION``). In
``random`` mode the apply that sees the new version writes a fresh generated value; in ``variable`` mode pass the
new one in ``TF_VAR_db_master_password``. The same version drives ``master_password_wo_version`` of the cluster and
``secret_string_wo_version`` of the secret, so both are written with the same value in one apply. An ephemeral
value differs on every run, so nothing may write one of the two without the other: the connection document is
replaced with the primary cluster (a new cluster gets a new password and the document then carries it); after
replacing the secret itself, bump the version. Secrets Manager rotation is not used: a rotation Lambda would change
the password behind Terraform's back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

from cdktf import (
    Fn,
    TerraformLocal,
    TerraformProvider,
    TerraformResourceLifecycle,
    TerraformStack,
    TerraformVariable,
    TerraformVariableValidationConfig,
)
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.secretsmanager_secret import SecretsmanagerSecret, SecretsmanagerSecretReplica
from cdktf_cdktf_provider_aws.secretsmanager_secret_policy import SecretsmanagerSecretPolicy
from cdktf_cdktf_provider_aws.secretsmanager_secret_version import SecretsmanagerSecretVersion

from constructs import Construct
from dr_stack.control_plane.iam import attach_inline_policy, construct_slug, kms_via_service
from dr_stack.foundation.keys import RegionalKey
from dr_stack.foundation.providers import ROLES, DrRole, RegionalProviders, dr_role
from dr_stack.naming.names import StackNames

if TYPE_CHECKING:
    from dr_stack.data_tier.database import GlobalDatabase

# Name of the Terraform variable in `variable` mode: users set TF_VAR_db_master_password.
PASSWORD_VARIABLE = "db_master_password"
# RDS refuses '/', '@', '"' and space in master passwords; "'" is left out too (it breaks shell quoting).
PASSWORD_SPECIALS = "!#$%&*()-_=+[]{}<>:?"
# GetRandomPassword's punctuation (AWS API reference, GetRandomPassword): the password may use any of it that is
# not excluded, so the exclusion is this set minus PASSWORD_SPECIALS.
GET_RANDOM_PASSWORD_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
PASSWORD_EXCLUDED_CHARACTERS = "".join(c for c in GET_RANDOM_PASSWORD_PUNCTUATION if c not in PASSWORD_SPECIALS)
# The ephemeral resource type of hashicorp/aws (>= 5.81) that calls GetRandomPassword and stores nothing.
EPHEMERAL_PASSWORD_TYPE = "aws_secretsmanager_random_password"
# 40 characters: within Aurora MySQL's 41-character limit (Aurora PostgreSQL allows 99).
PASSWORD_LENGTH = 40
PASSWORD_MIN_LENGTH = 16
# "random": Secrets Manager generates the password (ephemeral); "variable": the ephemeral variable supplies it.
PasswordSource = Literal["random", "variable"]


class EphemeralRandomPassword(Construct):
    """An ``ephemeral "aws_secretsmanager_random_password"`` block: a password generated on each run, never stored.

    cdktf 0.21 (and its AWS binding) has no class for ephemeral resources, so the block is written into the stack's
    JSON with an override at ``ephemeral.<type>.<name>``. cdktf has no public way to reference such a block either:
    a plain ``${ephemeral...}`` string is escaped as a literal inside a function call (``jsonencode``), so the value
    goes through a local (which Terraform lets hold an ephemeral value) whose token cdktf does render as a reference.
    """

    def __init__(self, scope: Construct, id_: str, *, provider: TerraformProvider, length: int) -> None:
        """``provider``: the AWS provider whose region's Secrets Manager generates the password; ``length``: its
        length. The block's label and the local's name are the construct's path in snake_case."""
        super().__init__(scope, id_)
        self.name = construct_slug(self)
        TerraformStack.of(self).add_override(
            f"ephemeral.{EPHEMERAL_PASSWORD_TYPE}.{self.name}",
            {
                "provider": provider.fqn,
                "password_length": length,
                "exclude_characters": PASSWORD_EXCLUDED_CHARACTERS,
                "include_space": False,
                "require_each_included_type": True,
            },
        )
        self._local = TerraformLocal(
            self, "value", f"${{ephemeral.{EPHEMERAL_PASSWORD_TYPE}.{self.name}.random_password}}"
        )
        self._local.override_logical_id(self.name)

    @property
    def value(self) -> str:
        """The generated password as a Terraform reference (ephemeral: usable in write-only arguments only)."""
        return self._local.as_string


class DatabaseCredentials(Construct):
    """Master password (generated or an ephemeral variable, never stored) and its KMS-encrypted, replicated secret."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        providers: RegionalProviders,
        keys: Mapping[DrRole, RegionalKey],
        names: StackNames,
        description: str,
        master_username: str,
        password_source: PasswordSource,
        password_version: int,
        recovery_window_days: int,
    ) -> None:
        """A secret called ``names.db_secret`` in the primary region (replica in the secondary), each copy
        encrypted with its region's key of ``keys``. ``password_source`` "random": Secrets Manager generates the
        password in the primary region (an ephemeral resource); "variable": the ephemeral variable
        db_master_password supplies it. Neither is stored in the state or the plan. ``password_version``: bump it
        to rotate (a new generated password, or the new variable value, written to the cluster and the secret in
        one apply). ``recovery_window_days``: how long a deleted secret can be restored (0 deletes at once)."""
        super().__init__(scope, id_)
        self._providers = providers
        self._keys = keys
        self._connection: SecretsmanagerSecretVersion | None = None
        self._names = names
        self._master_username = master_username
        self._password_version = password_version
        self._readers: list[IamRole] = []
        self.resource_policy: SecretsmanagerSecretPolicy | None = None

        if password_source == "random":
            self.generated_password = EphemeralRandomPassword(
                self,
                "master_password",
                provider=providers.primary,
                length=PASSWORD_LENGTH,
            )
            self._master_password: str = self.generated_password.value
        else:
            self.password_variable = TerraformVariable(
                self,
                PASSWORD_VARIABLE,
                type="string",
                sensitive=True,
                nullable=False,
                description=(
                    "Master password of the Aurora global database (TF_VAR_db_master_password): "
                    f'{PASSWORD_MIN_LENGTH}-41 characters, none of / @ " or space.'
                ),
                validation=[
                    TerraformVariableValidationConfig(
                        condition=(
                            f"${{length(var.{PASSWORD_VARIABLE}) >= {PASSWORD_MIN_LENGTH} && "
                            f"length(var.{PASSWORD_VARIABLE}) <= 41 && "
                            f'!can(regex("[/@\\" ]", var.{PASSWORD_VARIABLE}))}}'
                        ),
                        error_message=(
                            f"db_master_password must be {PASSWORD_MIN_LENGTH}-41 characters without '/', '@', "
                            "'\"' or spaces (RDS rules)."
                        ),
                    )
                ],
            )
            # The documented name, not a generated one: users pass TF_VAR_db_master_password.
            self.password_variable.override_logical_id(PASSWORD_VARIABLE)
            # Ephemeral (Terraform >= 1.10; cdktf 0.21 has no field for it): kept out of the plan file too.
            self.password_variable.add_override("ephemeral", True)
            self._master_password = self.password_variable.string_value

        self.secret = SecretsmanagerSecret(
            self,
            "secret",
            provider=providers.primary,
            name=names.db_secret,
            description=description,
            kms_key_id=keys["primary"].key_arn,
            replica=[
                SecretsmanagerSecretReplica(region=providers.secondary_region, kms_key_id=keys["secondary"].key_arn)
            ],
            recovery_window_in_days=recovery_window_days,
        )

    def store_connection(self, database: GlobalDatabase) -> SecretsmanagerSecretVersion:
        """Write the connection document (credentials, engine, port, endpoints) as the secret's value, once."""
        if self._connection is not None:
            raise ValueError("store_connection() was already called for this secret")
        regions = self._providers.regions
        document = {
            "username": self._master_username,
            "password": self._master_password,
            "engine": database.engine,
            "port": database.port,
            "dbname": database.database_name,
            # Applications write through the global writer endpoint: it follows the writer across regions.
            "host": database.global_writer_endpoint,
            "globalClusterIdentifier": database.global_cluster_identifier,
            "writerHosts": {regions[role]: database.writer_endpoint(role) for role in ROLES},
            "readerHosts": {regions[role]: database.reader_endpoint(role) for role in ROLES},
        }
        primary_cluster = database.cluster("primary")
        # Write-only: the document (with the password) stays out of the plan and the state.
        self._connection = SecretsmanagerSecretVersion(
            self,
            "connection",
            provider=self._providers.primary,
            secret_id=self.secret.id,
            secret_string_wo=Fn.jsonencode(document),
            secret_string_wo_version=self._password_version,
            # A replaced primary cluster was created with this run's ephemeral password: the document is
            # written again in the same apply, so the secret keeps the password the cluster has.
            lifecycle=TerraformResourceLifecycle(
                replace_triggered_by=[
                    f"{primary_cluster.terraform_resource_type}.{primary_cluster.friendly_unique_id}.id"
                ]
            ),
        )
        return self._connection

    def secret_arn_in(self, role: DrRole) -> str:
        """ARN of the secret in a DR role's region: the primary secret or its replica (same name and suffix)."""
        if dr_role(role) == "primary":
            return self.secret.arn
        providers = self._providers
        return Fn.replace(self.secret.arn, f":{providers.primary_region}:", f":{providers.region_of(role)}:")

    def grant_read(self, grantee: IamRole, *, dr_role: DrRole) -> IamRolePolicy:
        """Let ``grantee`` read the secret in one region (its copy there) and decrypt it with that region's key."""
        if self.resource_policy is not None:
            raise ValueError("grant_read() after restrict_reads_to_grantees(): the secret's policy would refuse it")
        self._readers.append(grantee)
        provider = self._providers.for_role(dr_role)
        region = self._providers.region_of(dr_role)
        self._keys[dr_role].allow_use(
            grantee.arn,
            sid="SecretReadersThroughSecretsManager",
            services=("secretsmanager",),
            actions=("kms:Decrypt",),
        )
        return attach_inline_policy(
            self,
            f"read_{dr_role}_{construct_slug(grantee)}",
            provider=provider,
            grantee=grantee,
            name=self._names.region(dr_role).db_secret_read_policy,
            statements=[
                DataAwsIamPolicyDocumentStatement(
                    sid="ReadDatabaseSecret",
                    actions=["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                    resources=[self.secret_arn_in(dr_role)],
                ),
                kms_via_service(
                    self._keys[dr_role].key_arn,
                    service="secretsmanager",
                    region=region,
                    sid="DecryptDatabaseSecret",
                ),
            ],
        )

    def restrict_reads_to_grantees(self) -> SecretsmanagerSecretPolicy:
        """Give the secret a resource policy that refuses GetSecretValue to every principal but the roles
        granted read: with IAM alone, any principal with secretsmanager:GetSecretValue on ``*`` and the key's
        use would read the master password. Call it once, after every grant_read()."""
        if self.resource_policy is not None:
            raise ValueError("restrict_reads_to_grantees() was already called for this secret")
        if not self._readers:
            raise ValueError("restrict_reads_to_grantees() needs at least one grant_read() first")
        provider = self._providers.primary
        document = DataAwsIamPolicyDocument(
            self,
            "resource_policy_document",
            provider=provider,
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    sid="OnlyGranteesReadTheValue",
                    effect="Deny",
                    principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="*", identifiers=["*"])],
                    actions=["secretsmanager:GetSecretValue"],
                    resources=["*"],
                    condition=[
                        DataAwsIamPolicyDocumentStatementCondition(
                            test="ArnNotEquals",
                            variable="aws:PrincipalArn",
                            values=[reader.arn for reader in self._readers],
                        )
                    ],
                )
            ],
        )
        self.resource_policy = SecretsmanagerSecretPolicy(
            self,
            "resource_policy",
            provider=provider,
            secret_arn=self.secret.arn,
            policy=document.json,
            block_public_policy=True,
        )
        return self.resource_policy

    @property
    def secret_arn(self) -> str:
        """ARN of the secret in the primary region."""
        return self.secret.arn

    @property
    def secret_name(self) -> str:
        """Name of the secret (the same in both regions)."""
        return self.secret.name

    @property
    def secret_replica_arn(self) -> str:
        """ARN of the secret's replica in the secondary region."""
        return self.secret_arn_in("secondary")

    @property
    def master_username(self) -> str:
        """User name of the master user."""
        return self._master_username

    @property
    def password_version(self) -> int:
        """Version of the master password (the cluster and the secret write it again when it changes)."""
        return self._password_version

    @property
    def master_password(self) -> str:
        """The master password as a Terraform reference (never a literal); sensitive."""
        return self._master_password

    @property
    def connection_version(self) -> SecretsmanagerSecretVersion | None:
        """The secret version holding the connection document, once store_connection() was called."""
        return self._connection
