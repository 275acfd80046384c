"""Master credentials of the global database: a generated (or supplied) password kept in a replicated secret.

Aurora cannot manage the master password of a global cluster, so the password is made here and written,
write-only, to the primary cluster and to a Secrets Manager secret replicated to the secondary region.

Rotating the master password: bump ``db_master_password_version`` (``DR_DB_MASTER_PASSWORD_VERSION``). In
``random`` mode the version is a keeper of ``random_password``, so a new password is generated; in
``variable`` mode pass the new one in ``TF_VAR_db_master_password``. The same version drives
``master_password_wo_version`` of the cluster and ``secret_string_wo_version`` of the secret, so both are
written with the new value in one apply (bumping it also rewrites the connection document, e.g. after a
cluster was replaced). Secrets Manager rotation is not used: a rotation Lambda would change the password behind
Terraform's back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

from cdktf import Fn, TerraformProvider, TerraformVariable, TerraformVariableValidationConfig
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocumentStatement,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.secretsmanager_secret import SecretsmanagerSecret, SecretsmanagerSecretReplica
from cdktf_cdktf_provider_aws.secretsmanager_secret_version import SecretsmanagerSecretVersion

from constructs import Construct
from dr_stack.iam import attach_inline_policy, construct_slug, kms_via_service
from dr_stack.keys import RegionalKey
from dr_stack.providers import ROLES, DrRole, RegionalProviders, dr_role

if TYPE_CHECKING:
    from dr_stack.database import GlobalDatabase

# Name of the Terraform variable in `variable` mode: users set TF_VAR_db_master_password.
PASSWORD_VARIABLE = "db_master_password"
# RDS refuses '/', '@', '"' and space in master passwords; "'" is left out too (it breaks shell quoting).
PASSWORD_SPECIALS = "!#$%&*()-_=+[]{}<>:?"
# 40 characters: within Aurora MySQL's 41-character limit (Aurora PostgreSQL allows 99).
PASSWORD_LENGTH = 40
PASSWORD_MIN_LENGTH = 16
# "random": random_password makes the password; "variable": the sensitive variable supplies it.
PasswordSource = Literal["random", "variable"]


class DatabaseCredentials(Construct):
    """Master password (random_password or a sensitive variable) and its KMS-encrypted, replicated secret."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        providers: RegionalProviders,
        keys: Mapping[DrRole, RegionalKey],
        name_prefix: str,
        description: str,
        master_username: str,
        password_source: PasswordSource = "random",  # noqa: S107 (the mode's name, not a password)
        password_version: int = 1,
        recovery_window_days: int = 30,
        random_provider: TerraformProvider | None = None,
    ) -> None:
        """A secret called ``<name_prefix>-db-master`` in the primary region (replica in the secondary), each copy
        encrypted with its region's key of ``keys``. ``password_source`` "random": random_password generates the
        password (it is then in the state); "variable": the sensitive variable db_master_password supplies it.
        ``password_version``: bump it to rotate (a new random password, or the new variable value, written to
        the cluster and the secret in one apply). ``recovery_window_days``: how long a deleted secret can be
        restored (0 deletes at once). ``random_provider``: the stack's hashicorp/random provider; None uses the
        default random provider."""
        super().__init__(scope, id_)
        self._providers = providers
        self._keys = keys
        self._connection: SecretsmanagerSecretVersion | None = None
        self._name_prefix = name_prefix
        self._master_username = master_username
        self._password_version = password_version

        if password_source == "random":
            # Imported here: the random binding is only needed (and only configured) in this mode.
            from cdktf_cdktf_provider_random.password import Password

            self.password = Password(
                self,
                "master_password",
                provider=random_provider,
                length=PASSWORD_LENGTH,
                special=True,
                override_special=PASSWORD_SPECIALS,
                min_lower=2,
                min_upper=2,
                min_numeric=2,
                min_special=2,
                keepers={"version": str(password_version)},
            )
            self._master_password: str = self.password.result
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
            self._master_password = self.password_variable.string_value

        self.secret = SecretsmanagerSecret(
            self,
            "secret",
            provider=providers.primary,
            name=f"{name_prefix}-db-master",
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
        # Write-only: the document (with the password) stays out of the plan and the state.
        self._connection = SecretsmanagerSecretVersion(
            self,
            "connection",
            provider=self._providers.primary,
            secret_id=self.secret.id,
            secret_string_wo=Fn.jsonencode(document),
            secret_string_wo_version=self._password_version,
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
        provider = self._providers.for_role(dr_role)
        region = self._providers.region_of(dr_role)
        return attach_inline_policy(
            self,
            f"read_{dr_role}_{construct_slug(grantee)}",
            provider=provider,
            grantee=grantee,
            name=f"{self._name_prefix}-read-db-secret-{dr_role}",
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
