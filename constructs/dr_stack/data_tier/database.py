"""Aurora Global Database over the two regions: global cluster, primary and secondary clusters, lag alarms."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocumentStatement,
)
from cdktf_cdktf_provider_aws.db_parameter_group import DbParameterGroup, DbParameterGroupParameter
from cdktf_cdktf_provider_aws.db_subnet_group import DbSubnetGroup
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.rds_cluster import RdsCluster, RdsClusterServerlessv2ScalingConfiguration
from cdktf_cdktf_provider_aws.rds_cluster_instance import RdsClusterInstance
from cdktf_cdktf_provider_aws.rds_cluster_parameter_group import (
    RdsClusterParameterGroup,
    RdsClusterParameterGroupParameter,
)
from cdktf_cdktf_provider_aws.rds_global_cluster import RdsGlobalCluster
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule

from constructs import Construct
from dr_stack.application.app_tier import AppTier
from dr_stack.contract import contract
from dr_stack.control_plane.iam import attach_inline_policy, construct_slug, service_role
from dr_stack.data_tier.cluster_spec import ClusterSpec, InstanceSettings
from dr_stack.data_tier.credentials import DatabaseCredentials
from dr_stack.foundation.keys import RegionalKey
from dr_stack.foundation.network import Network
from dr_stack.foundation.providers import ROLES, DrRole, RegionalProviders, dr_role
from dr_stack.naming.names import StackNames
from dr_stack.observability.monitoring import AlarmTopic

# CA of the instances' TLS certificates (the 2024+ default; rds-ca-2019 has expired).
CA_CERTIFICATE = "rds-ca-rsa2048-g1"
MIB = 1024 * 1024

# TLS only, and the logs the exports ship, per engine: (cluster parameters, instance parameters).
_CLUSTER_PARAMETERS: dict[str, dict[str, str]] = {
    "aurora-mysql": {"require_secure_transport": "ON"},
    "aurora-postgresql": {"rds.force_ssl": "1"},
}
_INSTANCE_PARAMETERS: dict[str, dict[str, str]] = {
    # slowquery export is empty unless the slow query log is on and written to a file.
    "aurora-mysql": {"slow_query_log": "1", "long_query_time": "2", "log_output": "FILE"},
    "aurora-postgresql": {"log_min_duration_statement": "2000"},
}
# The audit export of aurora-mysql is empty unless the server audit log is on (a cluster parameter).
_MYSQL_AUDIT_PARAMETERS = {"server_audit_logging": "1", "server_audit_events": "CONNECT,QUERY_DCL,QUERY_DDL"}

# Drift AWS makes on purpose: engine upgrades go through the global cluster, and a switchover or failover
# rewrites replication_source_identifier; a detach rewrites global_cluster_identifier of the secondary.
# A plan that "fixes" them would fail or detach a cluster from the global database.
_PRIMARY_IGNORED = ["engine_version", "replication_source_identifier"]
_SECONDARY_IGNORED = ["engine_version", "replication_source_identifier", "global_cluster_identifier"]

Engine = Literal["aurora-mysql", "aurora-postgresql"]
SERVERLESS_INSTANCE_CLASS = "db.serverless"


class GlobalDatabase(Construct):
    """Aurora Global Database: writer cluster in the primary region, read-only replica cluster in the secondary."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        providers: RegionalProviders,
        networks: Mapping[DrRole, Network],
        keys: Mapping[DrRole, RegionalKey],
        alarm_topics: Mapping[DrRole, AlarmTopic],
        credentials: DatabaseCredentials,
        names: StackNames,
        engine: Engine,
        engine_version: str,
        parameter_group_family: str,
        port: int,
        database_name: str,
        instance_class: str,
        instance_counts: Mapping[DrRole, int],
        log_exports: Sequence[str],
        serverless_capacity: tuple[float, float],
        deletion_protection: bool,
        write_forwarding: bool,
        backup_retention_days: int,
        backup_window: str,
        maintenance_window: str,
        monitoring_interval_seconds: int,
        performance_insights_retention_days: int,
        replication_lag_threshold_seconds: int,
        rpo_minutes: int,
        alarm_period_seconds: int,
        alarm_evaluation_periods: int,
        replication_lag_alarm_evaluation_periods: int,
        cpu_alarm_percent: int,
        freeable_memory_alarm_mib: int,
    ) -> None:
        """Clusters (and every other name) from ``names``, one per region, in the database subnets of ``networks``,
        each encrypted with its region's key of ``keys``; alarms notify ``alarm_topics``; the master user and
        password come from ``credentials`` (a Terraform reference, never a literal).

        ``engine``/``engine_version``/``parameter_group_family``/``port``: the Aurora engine. ``instance_class``
        "db.serverless": Serverless v2 instances scaled within ``serverless_capacity`` (min, max ACU), which is
        ignored otherwise. ``instance_counts``: instances per region (the first is the preferred writer).
        ``log_exports``: CloudWatch log exports (an aurora-mysql "audit" export also turns the audit log on).
        ``deletion_protection`` True: RDS refuses to delete the clusters. ``write_forwarding`` False: the
        secondary is read-only. ``replication_lag_threshold_seconds``: lag alarm threshold (``rpo_minutes`` is
        only quoted in its description).
        """
        super().__init__(scope, id_)
        self._providers = providers
        self._networks = networks
        self._keys = keys
        self._names = names
        self._engine = engine
        self._port = port
        self._database_name = database_name
        self._instance_counts = dict(instance_counts)
        self._instance_class = instance_class
        self._credentials = credentials
        self._log_exports = list(log_exports)
        self._parameter_group_family = parameter_group_family
        self._serverless_capacity = serverless_capacity
        self._deletion_protection = deletion_protection
        self._write_forwarding = write_forwarding
        self._backup_retention_days = backup_retention_days
        self._backup_window = backup_window
        self._maintenance_window = maintenance_window
        self._monitoring_interval_seconds = monitoring_interval_seconds
        self._performance_insights_retention_days = performance_insights_retention_days
        self._lag_threshold_seconds = replication_lag_threshold_seconds
        self._rpo_minutes = rpo_minutes
        self._alarm_period_seconds = alarm_period_seconds
        self._alarm_evaluation_periods = alarm_evaluation_periods
        self._lag_evaluation_periods = replication_lag_alarm_evaluation_periods

        self.global_cluster = RdsGlobalCluster(
            self,
            "global_cluster",
            provider=providers.primary,
            global_cluster_identifier=self.global_cluster_identifier,
            engine=engine,
            engine_version=engine_version,
            storage_encrypted=True,
            deletion_protection=deletion_protection,
        )

        self.subnet_groups: dict[DrRole, DbSubnetGroup] = {}
        self.security_groups: dict[DrRole, SecurityGroup] = {}
        self.cluster_parameter_groups: dict[DrRole, RdsClusterParameterGroup] = {}
        self.instance_parameter_groups: dict[DrRole, DbParameterGroup] = {}
        self.monitoring_roles: dict[DrRole, IamRole] = {}
        for role in ROLES:
            self._regional_foundation(role)
        # The one description of each region's cluster and instances: the resources below and re-protect's
        # CreateDBCluster/CreateDBInstance parameters (REPROTECT_CLUSTER_SPEC) are both built from it.
        self.specs: dict[DrRole, ClusterSpec] = {role: self._spec(role) for role in ROLES}

        self.clusters: dict[DrRole, RdsCluster] = {}
        self.instances: dict[DrRole, list[RdsClusterInstance]] = {}
        self.clusters["primary"] = self._cluster("primary")
        self.instances["primary"] = self._instances("primary")
        self.clusters["secondary"] = self._cluster("secondary", depends_on=self.instances["primary"])
        self.instances["secondary"] = self._instances("secondary")

        self._alarm_actions = {role: [alarm_topics[role].topic_arn] for role in ROLES}
        self.replication_lag_alarm = self._lag_alarm(
            "replication_lag_alarm",
            metric=contract.GLOBAL_LAG_METRIC,
            what="storage replication lag",
        )
        # AuroraGlobalDBRPOLag (commit-to-secondary lag) is an Aurora PostgreSQL metric (its
        # aurora_global_db_status rpo_lag_in_msec); Aurora MySQL publishes only AuroraGlobalDBReplicationLag,
        # which alone then guards the RPO.
        self.rpo_lag_alarm: CloudwatchMetricAlarm | None = None
        if engine == "aurora-postgresql":
            self.rpo_lag_alarm = self._lag_alarm(
                "rpo_lag_alarm", metric="AuroraGlobalDBRPOLag", what="RPO lag (last commit not yet on the secondary)"
            )
        # Writer alarms in each region, on the cluster's WRITER-role metrics: whichever region writes is watched.
        # A secondary cluster of a global database has no writer instance (its instances are readers until a
        # promotion), so its WRITER series has no data and, missing data being not breaching, it pages nobody.
        self.writer_alarms: dict[DrRole, dict[str, CloudwatchMetricAlarm]] = {}
        for role in ROLES:
            # The primary's construct ids and names predate the per-region alarms: kept, so nothing is replaced.
            prefix = "" if role == "primary" else f"{role}_"
            self.writer_alarms[role] = {
                "cpu": self._writer_alarm(
                    f"{prefix}writer_cpu_alarm",
                    role=role,
                    metric="CPUUtilization",
                    comparison="GreaterThanThreshold",
                    threshold=cpu_alarm_percent,
                    description=f"writer CPU above {cpu_alarm_percent}%",
                ),
                "freeable_memory": self._writer_alarm(
                    f"{prefix}writer_freeable_memory_alarm",
                    role=role,
                    metric="FreeableMemory",
                    comparison="LessThanThreshold",
                    threshold=freeable_memory_alarm_mib * MIB,
                    description=f"writer freeable memory below {freeable_memory_alarm_mib} MiB",
                ),
            }
        self.writer_cpu_alarm = self.writer_alarms["primary"]["cpu"]
        self.writer_freeable_memory_alarm = self.writer_alarms["primary"]["freeable_memory"]

    # ----- building blocks -----

    def _regional_foundation(self, role: DrRole) -> None:
        """Subnet group, security group, parameter groups and Enhanced Monitoring role of one region."""
        engine = self._engine
        provider = self._providers.for_role(role)
        names = self._names.region(role)
        name = names.db_cluster
        network = self._networks[role]

        self.subnet_groups[role] = DbSubnetGroup(
            self,
            f"{role}_subnet_group",
            provider=provider,
            name=names.db_subnet_group,
            description=f"Database subnets of the {role} cluster",
            subnet_ids=network.subnet_ids("database"),
        )
        # No ingress until a client is allowed with allow_from(); no egress: Aurora needs none.
        self.security_groups[role] = SecurityGroup(
            self,
            f"{role}_security_group",
            provider=provider,
            name=names.db_security_group,
            description=f"Aurora {role} cluster: ingress on port {self._port} from allowed security groups",
            vpc_id=network.vpc_id,
            egress=[],
            revoke_rules_on_delete=True,
            tags={"Name": f"{name}-db"},
        )

        cluster_parameters = dict(_CLUSTER_PARAMETERS[engine])
        if engine == "aurora-mysql" and "audit" in self._log_exports:
            cluster_parameters.update(_MYSQL_AUDIT_PARAMETERS)
        self.cluster_parameter_groups[role] = RdsClusterParameterGroup(
            self,
            f"{role}_cluster_parameter_group",
            provider=provider,
            name=names.db_cluster_parameter_group,
            family=self._parameter_group_family,
            description=f"{engine} cluster parameters: TLS only, logs for the exports",
            parameter=[
                RdsClusterParameterGroupParameter(name=key, value=value)
                for key, value in sorted(cluster_parameters.items())
            ],
        )
        self.instance_parameter_groups[role] = DbParameterGroup(
            self,
            f"{role}_instance_parameter_group",
            provider=provider,
            name=names.db_instance_parameter_group,
            family=self._parameter_group_family,
            description=f"{engine} instance parameters: slow statement logging",
            parameter=[
                DbParameterGroupParameter(name=key, value=value)
                for key, value in sorted(_INSTANCE_PARAMETERS[engine].items())
            ],
        )

        key = self._keys[role]
        self.monitoring_roles[role] = service_role(
            self,
            f"{role}_monitoring_role",
            provider=provider,
            name=names.db_monitoring_role,
            description=f"Enhanced Monitoring of the {role} Aurora cluster",
            service="monitoring.rds.amazonaws.com",
            account_id=key.account_id,
            partition=key.partition,
            trust_id=f"{role}_monitoring_trust",
            managed_policies={f"{role}_monitoring_policy": "AmazonRDSEnhancedMonitoringRole"},
            # RDS User Guide, "Setting up and enabling Enhanced Monitoring", "Protecting against the confused deputy
            # problem": RDS assumes the role with the monitored DB instance as aws:SourceArn. Any instance of this
            # region and account: re-protect adds instances to the cluster under new identifiers.
            source_arn=f"arn:{key.partition}:rds:{self._providers.region_of(role)}:{key.account_id}:db:*",
        )

    def _spec(self, role: DrRole) -> ClusterSpec:
        """One region's cluster and instance settings, from the construct's arguments and regional foundation."""
        provider = self._providers.for_role(role)
        identifier = self.cluster_identifier(role)
        key_arn = self._keys[role].key_arn
        return ClusterSpec(
            cluster_identifier=identifier,
            port=self._port,
            db_subnet_group_name=self.subnet_groups[role].name,
            vpc_security_group_ids=(self.security_groups[role].id,),
            db_cluster_parameter_group_name=self.cluster_parameter_groups[role].name,
            # A cross-region encrypted replica needs a key of its own region.
            storage_encrypted=True,
            kms_key_id=key_arn,
            backup_retention_period=self._backup_retention_days,
            preferred_backup_window=self._backup_window,
            preferred_maintenance_window=self._maintenance_window,
            copy_tags_to_snapshot=True,
            deletion_protection=self._deletion_protection,
            enabled_cloudwatch_logs_exports=tuple(self._log_exports),
            iam_database_authentication_enabled=True,
            serverless_capacity=self._serverless_capacity if self.is_serverless else None,
            enable_global_write_forwarding=None if role == "primary" else self._write_forwarding,
            provider_default_tags=_provider_default_tags(provider),
            tags={},
            instance=InstanceSettings(
                instance_class=self._instance_class,
                db_parameter_group_name=self.instance_parameter_groups[role].name,
                publicly_accessible=False,
                auto_minor_version_upgrade=True,
                ca_cert_identifier=CA_CERTIFICATE,
                copy_tags_to_snapshot=True,
                monitoring_interval=self._monitoring_interval_seconds,
                # RDS refuses a monitoring role with interval 0 ("If MonitoringRoleArn is specified, then you must
                # set MonitoringInterval to a value other than 0", CreateDBInstance).
                monitoring_role_arn=self.monitoring_roles[role].arn if self._monitoring_interval_seconds else None,
                performance_insights_enabled=True,
                performance_insights_retention_period=self._performance_insights_retention_days,
            ),
            # Spread over the region's AZs (ClusterSpec.instances places them).
            availability_zones=tuple(self._networks[role].availability_zones),
            instance_count=self._instance_counts[role],
        )

    def _cluster(self, role: DrRole, *, depends_on: list[RdsClusterInstance] | None = None) -> RdsCluster:
        """One regional cluster of the global database; only the primary carries credentials and a db name."""
        spec = self.specs[role]
        is_primary = role == "primary"
        credentials = (
            {
                "master_username": self._credentials.master_username,
                # Write-only (Terraform >= 1.11): the password never lands in the cluster's plan or state.
                "master_password_wo": self._credentials.master_password,
                "master_password_wo_version": self._credentials.password_version,
                "database_name": self._database_name,
            }
            if is_primary
            else {"enable_global_write_forwarding": spec.enable_global_write_forwarding}
        )
        scaling = (
            RdsClusterServerlessv2ScalingConfiguration(
                min_capacity=spec.serverless_capacity[0], max_capacity=spec.serverless_capacity[1]
            )
            if spec.serverless_capacity is not None
            else None
        )
        return RdsCluster(
            self,
            f"{role}_cluster",
            provider=self._providers.for_role(role),
            cluster_identifier=spec.cluster_identifier,
            # References, not the plain names: they order the cluster after the global cluster.
            global_cluster_identifier=self.global_cluster.id,
            engine=self.global_cluster.engine,
            engine_version=self.global_cluster.engine_version,
            port=spec.port,
            db_subnet_group_name=spec.db_subnet_group_name,
            vpc_security_group_ids=list(spec.vpc_security_group_ids),
            db_cluster_parameter_group_name=spec.db_cluster_parameter_group_name,
            storage_encrypted=spec.storage_encrypted,
            kms_key_id=spec.kms_key_id,
            backup_retention_period=spec.backup_retention_period,
            preferred_backup_window=spec.preferred_backup_window,
            preferred_maintenance_window=spec.preferred_maintenance_window,
            copy_tags_to_snapshot=spec.copy_tags_to_snapshot,
            delete_automated_backups=False,
            deletion_protection=spec.deletion_protection,
            skip_final_snapshot=False,
            # Stable: a timestamp() here would show a diff on every plan.
            final_snapshot_identifier=self._names.region(role).db_final_snapshot,
            enabled_cloudwatch_logs_exports=list(spec.enabled_cloudwatch_logs_exports),
            iam_database_authentication_enabled=spec.iam_database_authentication_enabled,
            serverlessv2_scaling_configuration=scaling,
            tags=dict(spec.tags) or None,
            depends_on=depends_on,
            lifecycle=TerraformResourceLifecycle(ignore_changes=_PRIMARY_IGNORED if is_primary else _SECONDARY_IGNORED),
            **credentials,
        )

    def _instances(self, role: DrRole) -> list[RdsClusterInstance]:
        """The cluster's instances as the spec places them (the first one is the preferred writer)."""
        spec = self.specs[role]
        settings = spec.instance
        cluster = self.clusters[role]
        return [
            RdsClusterInstance(
                self,
                f"{role}_instance_{index}",
                provider=self._providers.for_role(role),
                identifier=placement.identifier,
                # A reference: the instance is created after its cluster.
                cluster_identifier=cluster.id,
                engine=cluster.engine,
                instance_class=settings.instance_class,
                availability_zone=placement.availability_zone,
                db_subnet_group_name=spec.db_subnet_group_name,
                db_parameter_group_name=settings.db_parameter_group_name,
                publicly_accessible=settings.publicly_accessible,
                auto_minor_version_upgrade=settings.auto_minor_version_upgrade,
                ca_cert_identifier=settings.ca_cert_identifier,
                copy_tags_to_snapshot=settings.copy_tags_to_snapshot,
                promotion_tier=placement.promotion_tier,
                monitoring_interval=settings.monitoring_interval,
                monitoring_role_arn=settings.monitoring_role_arn,
                performance_insights_enabled=settings.performance_insights_enabled,
                performance_insights_kms_key_id=spec.kms_key_id,
                performance_insights_retention_period=settings.performance_insights_retention_period,
                tags=dict(spec.tags) or None,
            )
            for index, placement in enumerate(spec.instances)
        ]

    def _lag_alarm(self, id_: str, *, metric: str, what: str) -> CloudwatchMetricAlarm:
        """A global-database lag alarm: the metric exists only on the secondary cluster, in its region."""
        threshold_seconds = self._lag_threshold_seconds
        return CloudwatchMetricAlarm(
            self,
            id_,
            provider=self._providers.secondary,
            alarm_name=self._names.lag_alarm(metric),
            alarm_description=(
                f"Aurora global database {what} above {threshold_seconds} s "
                f"(RPO {self._rpo_minutes} min) on {self.cluster_identifier('secondary')}"
            ),
            namespace=contract.AURORA_NAMESPACE,
            metric_name=metric,
            dimensions={contract.GLOBAL_LAG_DIMENSION: self.cluster_identifier("secondary")},
            statistic="Maximum",
            unit="Milliseconds",
            period=self._alarm_period_seconds,
            evaluation_periods=self._lag_evaluation_periods,
            comparison_operator="GreaterThanThreshold",
            threshold=threshold_seconds * 1000,
            # No lag data means the secondary is not replicating (detached, promoted or stopped): the RPO is
            # no longer protected, which must page like a lag breach.
            treat_missing_data="breaching",
            alarm_actions=self._alarm_actions["secondary"],
            ok_actions=self._alarm_actions["secondary"],
        )

    def _writer_alarm(
        self, id_: str, *, role: DrRole, metric: str, comparison: str, threshold: float, description: str
    ) -> CloudwatchMetricAlarm:
        """A resource alarm on the writer of `role`'s cluster, in that cluster's region.

        It reads the cluster's WRITER-role series (dimensions DBClusterIdentifier + Role), not one instance's:
        the Aurora User Guide ("Creating CloudWatch alarms to monitor Amazon Aurora") says to alarm on WRITER or
        READER role metrics because instances change roles, and lists the (DBClusterIdentifier, Role) dimension
        set ("Amazon CloudWatch dimensions for Aurora").
        """
        cluster = self.cluster_identifier(role)
        return CloudwatchMetricAlarm(
            self,
            id_,
            provider=self._providers.for_role(role),
            alarm_name=self._names.region(role).db_writer_alarm(metric),
            alarm_description=f"Aurora {cluster}: {description} (no data while this cluster does not write)",
            namespace="AWS/RDS",
            metric_name=metric,
            dimensions={"DBClusterIdentifier": cluster, "Role": "WRITER"},
            statistic="Average",
            period=self._alarm_period_seconds,
            evaluation_periods=self._alarm_evaluation_periods,
            comparison_operator=comparison,
            threshold=threshold,
            # No data is not high load: the writer is briefly absent during a failover or switchover, which
            # the lag alarm and the health checks report, and a secondary cluster has no writer at all; this
            # alarm only speaks of resource pressure.
            treat_missing_data="notBreaching",
            alarm_actions=self._alarm_actions[role],
            ok_actions=self._alarm_actions[role],
        )

    # ----- wiring for other tiers -----

    def grant_connect(self, grantee: IamRole, *, dr_role: DrRole, db_user: str) -> IamRolePolicy:
        """Let ``grantee`` connect as ``db_user`` with IAM database authentication to one region's cluster."""
        provider = self._providers.for_role(dr_role)
        key = self._keys[dr_role]
        resource = (
            f"arn:{key.partition}:rds-db:{self._providers.region_of(dr_role)}:{key.account_id}:dbuser:"
            f"{self.clusters[dr_role].cluster_resource_id}/{db_user}"
        )
        return attach_inline_policy(
            self,
            f"connect_{dr_role}_{construct_slug(grantee)}",
            provider=provider,
            grantee=grantee,
            name=self._names.region(dr_role).db_connect_policy,
            statements=[
                DataAwsIamPolicyDocumentStatement(
                    sid="ConnectWithIam", actions=["rds-db:connect"], resources=[resource]
                )
            ],
        )

    # ----- properties -----

    @property
    def global_cluster_id(self) -> str:
        """Identifier of the global cluster."""
        return self.global_cluster.id

    @property
    def global_cluster_arn(self) -> str:
        """ARN of the global cluster."""
        return self.global_cluster.arn

    @property
    def global_cluster_identifier(self) -> str:
        """Identifier of the global cluster as a plain string (known at synth)."""
        return self._names.global_cluster

    @property
    def global_writer_endpoint(self) -> str:
        """Writer endpoint of the global cluster: resolves to the current writer in whichever region it is."""
        return self.global_cluster.endpoint

    def cluster(self, role: DrRole) -> RdsCluster:
        """The regional cluster of a DR role."""
        return self.clusters[role]

    def cluster_arn(self, role: DrRole) -> str:
        """ARN of a regional cluster."""
        return self.clusters[role].arn

    def cluster_identifier(self, role: DrRole) -> str:
        """Identifier of a regional cluster as a plain string (for alarms, Lambda configuration, dashboards)."""
        return self._names.region(dr_role(role)).db_cluster

    def log_group_name(self, role: DrRole, log_type: str) -> str:
        """Log group RDS publishes the regional cluster's exported ``log_type`` log to."""
        return self._names.region(role).db_log_group(log_type)

    def cluster_resource_id(self, role: DrRole) -> str:
        """Resource id of a regional cluster (IAM database authentication ARNs use it)."""
        return self.clusters[role].cluster_resource_id

    def writer_endpoint(self, role: DrRole) -> str:
        """Cluster (writer) endpoint of a regional cluster."""
        return self.clusters[role].endpoint

    def reader_endpoint(self, role: DrRole) -> str:
        """Reader endpoint of a regional cluster."""
        return self.clusters[role].reader_endpoint

    def provider_of(self, role: DrRole) -> AwsProvider:
        """The provider of a regional cluster's region."""
        return self._providers.for_role(role)

    def security_group_id(self, role: DrRole) -> str:
        """Id of a region's database security group."""
        return self.security_groups[role].id

    def instance_identifiers(self, role: DrRole) -> list[str]:
        """Identifiers of a regional cluster's instances as plain strings."""
        return [placement.identifier for placement in self.specs[role].instances]

    def cluster_spec(self, role: DrRole) -> ClusterSpec:
        """The spec a regional cluster and its instances are built from (re-protect rebuilds them from it)."""
        return self.specs[role]

    @property
    def engine(self) -> Engine:
        """Aurora engine of both clusters."""
        return self._engine

    @property
    def database_name(self) -> str:
        """Name of the database created in the primary cluster."""
        return self._database_name

    @property
    def is_serverless(self) -> bool:
        """True when the clusters run Aurora Serverless v2 instances."""
        return self._instance_class == SERVERLESS_INSTANCE_CLASS

    @property
    def port(self) -> int:
        """Port both clusters listen on."""
        return self._port

    @property
    def replication_lag_alarm_name(self) -> str:
        """Name of the replication-lag alarm (in the secondary region), e.g. for a Route53 health check."""
        return self.replication_lag_alarm.alarm_name

    @property
    def replication_lag_alarm_arn(self) -> str:
        """ARN of the replication-lag alarm (in the secondary region)."""
        return self.replication_lag_alarm.arn

    @property
    def alarms(self) -> list[CloudwatchMetricAlarm]:
        """Every alarm the database defines (for dashboards and composite alarms)."""
        found = [
            self.replication_lag_alarm,
            self.rpo_lag_alarm,
            *(alarm for role in ROLES for alarm in self.writer_alarms[role].values()),
        ]
        return [alarm for alarm in found if alarm is not None]


def _provider_default_tags(provider: AwsProvider) -> dict[str, str]:
    """The provider's default_tags, merged in block order (every resource of the provider carries them)."""
    merged: dict[str, str] = {}
    for block in provider.default_tags or []:
        merged.update(block.tags or {})
    return merged


def connect(
    app_tier: AppTier, database: GlobalDatabase
) -> tuple[VpcSecurityGroupEgressRule, VpcSecurityGroupIngressRule]:
    """Open the network path from an app tier to its region's cluster on the database port: both sides, one call.

    The app tier's security group gets the egress rule, the database's the ingress rule, each naming the other
    group (no CIDR), so nothing else in the VPC gains access.
    """
    role = app_tier.dr_role
    port = database.port
    egress = VpcSecurityGroupEgressRule(
        app_tier,
        "app_egress_database",
        provider=app_tier.provider,
        security_group_id=app_tier.app_security_group_id,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        referenced_security_group_id=database.security_group_id(role),
        description="Database port to the region's Aurora cluster",
    )
    ingress = VpcSecurityGroupIngressRule(
        database,
        f"{role}_ingress_app",
        provider=database.provider_of(role),
        security_group_id=database.security_group_id(role),
        referenced_security_group_id=app_tier.app_security_group_id,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        description="App instances",
    )
    return egress, ingress
