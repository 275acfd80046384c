"""The stacks: the two-region DR stack and the bootstrap stack that holds Terraform state."""

from __future__ import annotations

from cdktf import TerraformOutput, TerraformStack

from constructs import Construct
from dr_stack.application.app_tier import AppTier
from dr_stack.config.budget import budget_output
from dr_stack.config.settings import Settings
from dr_stack.contract import contract
from dr_stack.control_plane.failover import FailoverOrchestrators, FailoverProps
from dr_stack.control_plane.iam import GrantResources, construct_slug
from dr_stack.control_plane.readiness import ReadinessSchedule, readiness_dimensions, readiness_widget
from dr_stack.control_plane.recovery import grant_recovery_operations, grant_run_reports
from dr_stack.data_tier.backup import DatabaseBackup
from dr_stack.data_tier.credentials import DatabaseCredentials, PasswordSource
from dr_stack.data_tier.database import Engine, GlobalDatabase, connect
from dr_stack.data_tier.database_logs import DatabaseLogGroups
from dr_stack.data_tier.state_table import GlobalTable
from dr_stack.foundation.backend import configure_backend
from dr_stack.foundation.keys import RegionalKey
from dr_stack.foundation.network import Network
from dr_stack.foundation.providers import ROLES, ROUTE53_REGION, DrRole, make_aws_providers, peer_of
from dr_stack.observability.dashboard import WIDGET_WIDTH, DrDashboard
from dr_stack.observability.monitoring import AlarmTopic
from dr_stack.observability.outputs import (
    add_data_outputs,
    add_outputs,
    cost_optimization_notes,
    security_configuration,
)
from dr_stack.observability.reports import RunReportBucket
from dr_stack.traffic.dns import DnsFailover, HostedZone, ValidatedCertificate
from dr_stack.traffic.waf import WebAcl

TERRAFORM_VERSION = ">= 1.11.0"


def _password_source(value: str) -> PasswordSource:
    """The validated db_password_source as its type (settings validation already refused anything else)."""
    if value == "random":
        return "random"
    if value == "variable":
        return "variable"
    raise ValueError(f"db_password_source must be random or variable, got {value!r}")


def _engine(value: str) -> Engine:
    """The validated db_engine as its type (settings validation already refused anything else)."""
    if value == "aurora-mysql":
        return "aurora-mysql"
    if value == "aurora-postgresql":
        return "aurora-postgresql"
    raise ValueError(f"db_engine must be aurora-mysql or aurora-postgresql, got {value!r}")


def failover_props(settings: Settings) -> FailoverProps:
    """What the orchestrators are told, from the settings (one place; the settings test loads it through the
    functions' own configuration parser)."""
    return FailoverProps(
        names=settings.resource_names,
        failover_capacity=settings.app_capacity("primary"),
        standby_capacity=settings.app_capacity("secondary"),
        rpo_minutes=settings.rpo_minutes,
        rto_minutes=settings.rto_minutes,
        promotion_timeout_seconds=settings.failover_promotion_timeout_seconds,
        fence_timeout_seconds=settings.failover_fence_timeout_seconds,
        confirmation_timeout_seconds=settings.failover_confirmation_timeout_seconds,
        confirmation_lag_percent_of_rpo=settings.failover_confirmation_lag_percent_of_rpo,
        automatic_min_interval_seconds=settings.failover_automatic_min_interval_seconds,
        probe_failure_periods=settings.health_check_failure_threshold,
        probe_interval_seconds=settings.probe_interval_seconds,
        health_check_path=settings.health_check_path,
        automatic=settings.failover_automatic,
        probe_over_https=bool(settings.domain_name),
        log_retention_days=settings.log_retention_days,
        failover_capacity_percent=settings.failover_capacity_percent,
        min_success_percent=settings.failover_min_success_percent,
        # The budget's launch + health-check grace terms: how long the target may take to serve.
        serving_timeout_seconds=settings.app_scale_up_allowance_seconds + settings.app_health_check_grace_seconds,
        match_database_capacity=settings.failover_match_database_capacity,
    )


class DrStack(TerraformStack):
    """Warm-standby DR stack over two regions; every construct gets its provider(s) explicitly."""

    def __init__(self, scope: Construct, id_: str, *, settings: Settings) -> None:
        super().__init__(scope, id_)
        self.settings = settings
        self.names = settings.resource_names
        self.add_override("terraform.required_version", TERRAFORM_VERSION)
        configure_backend(self, settings, id_)
        self.providers = make_aws_providers(
            self,
            regions={"primary": settings.primary_region, "secondary": settings.secondary_region},
            project=settings.project_name,
            environment=settings.environment,
            allowed_account_ids=settings.allowed_account_ids,
        )

        self.keys: dict[DrRole, RegionalKey] = {}
        self.networks: dict[DrRole, Network] = {}
        self.topics: dict[DrRole, AlarmTopic] = {}
        for role in ROLES:
            provider, region = self.providers.for_role(role), self.providers.region_of(role)
            names = self.names.region(role)
            self.keys[role] = RegionalKey(
                self,
                f"{role}_key",
                provider=provider,
                region=region,
                alias_name=names.key_alias,
                description=f"{settings.name_prefix} {role} region: data at rest",
            )
            self.networks[role] = Network(
                self,
                f"{role}_network",
                provider=provider,
                region=region,
                names=names,
                cidr=settings.primary_vpc_cidr if role == "primary" else settings.secondary_vpc_cidr,
                key=self.keys[role],
                availability_zone_count=settings.availability_zone_count,
                nat_gateway_per_az=settings.nat_gateway_per_az,
                flow_log_retention_days=settings.log_retention_days,
            )
            self.topics[role] = AlarmTopic(
                self,
                f"{role}_alarm_topic",
                provider=provider,
                name=names.alarm_topic,
                key=self.keys[role],
                email=settings.alarm_email or None,
            )

        self._build_data_tier()
        self._build_app_tier()
        self._build_failover()
        self._build_outputs()
        TerraformOutput(
            self,
            "recovery_budget",
            value=budget_output(settings),
            description="Worst-case recovery time and data-loss window from these settings, term by term (seconds)",
        )

    def _build_data_tier(self) -> None:
        """Aurora Global Database, credentials, DynamoDB global tables, AWS Backup, data-tier alarms."""
        settings, providers, keys = self.settings, self.providers, self.keys
        self.credentials = DatabaseCredentials(
            self,
            "db_credentials",
            providers=providers,
            keys=keys,
            names=self.names,
            description=f"Master credentials and endpoints of the {settings.global_cluster_identifier} database",
            master_username=settings.db_master_username,
            password_source=_password_source(settings.db_password_source),
            password_version=settings.db_master_password_version,
            recovery_window_days=settings.secret_recovery_window_days,
        )
        self.database = GlobalDatabase(
            self,
            "database",
            providers=providers,
            networks=self.networks,
            keys=keys,
            alarm_topics=self.topics,
            credentials=self.credentials,
            names=self.names,
            engine=_engine(settings.db_engine),
            engine_version=settings.db_engine_version,
            parameter_group_family=settings.db_parameter_group_family,
            port=settings.db_port,
            database_name=settings.db_name,
            instance_class=settings.db_instance_class,
            instance_counts={
                "primary": settings.primary_db_instance_count,
                "secondary": settings.secondary_db_instance_count,
            },
            log_exports=settings.db_log_exports,
            serverless_capacity=(settings.db_serverless_min_capacity, settings.db_serverless_max_capacity),
            deletion_protection=settings.db_deletion_protection,
            write_forwarding=settings.db_write_forwarding,
            backup_retention_days=settings.db_backup_retention_days,
            backup_window=settings.db_backup_window,
            maintenance_window=settings.db_maintenance_window,
            monitoring_interval_seconds=settings.db_monitoring_interval_seconds,
            performance_insights_retention_days=settings.db_performance_insights_retention_days,
            replication_lag_threshold_seconds=settings.replication_lag_threshold_seconds,
            rpo_minutes=settings.rpo_minutes,
            alarm_period_seconds=settings.alarm_period_seconds,
            alarm_evaluation_periods=settings.alarm_evaluation_periods,
            replication_lag_alarm_evaluation_periods=settings.replication_lag_alarm_evaluation_periods,
            cpu_alarm_percent=settings.db_cpu_alarm_percent,
            freeable_memory_alarm_mib=settings.db_freeable_memory_alarm_mib,
        )
        self.credentials.store_connection(self.database)
        self.database_logs = DatabaseLogGroups(
            self,
            "database_logs",
            database=self.database,
            keys=keys,
            log_exports=settings.db_log_exports,
            retention_days=settings.log_retention_days,
        )
        # Application state and sessions: items keyed (pk, sk), expired by DynamoDB TTL on expires_at.
        # DynamoDB tables follow the database's protection: off in the dev profile (teardown), on in prod.
        self.app_state_table = GlobalTable(
            self,
            "app_state_table",
            providers=providers,
            keys=keys,
            name=self.names.app_state_table,
            hash_key="pk",
            range_key="sk",
            ttl_attribute="expires_at",
            deletion_protection=settings.db_deletion_protection,
        )
        # The failover orchestrator's lock and journal, readable and writable from both regions.
        self.failover_state_table = GlobalTable(
            self,
            "failover_state_table",
            providers=providers,
            keys=keys,
            name=self.names.failover_state_table,
            hash_key="pk",
            # Run records expire on it (kept for longer than any redelivery of an asynchronous event).
            ttl_attribute=contract.STATE_TTL_ATTRIBUTE,
            deletion_protection=settings.db_deletion_protection,
        )
        self.backup = DatabaseBackup(
            self,
            "backup",
            providers=providers,
            keys=keys,
            database=self.database,
            names=self.names,
            retention_days=settings.aws_backup_retention_days,
        )

    def _build_app_tier(self) -> None:
        """ALB + WAF + ASG per region, DNS failover, app alarms and dashboard."""
        settings, providers = self.settings, self.providers
        # Route53 is global: the zone and every record live on the primary provider.
        self.dns_zone = (
            HostedZone(
                self,
                "dns_zone",
                provider=providers.primary,
                zone_name=settings.hosted_zone_name,
                create=settings.create_hosted_zone,
                comment=f"{settings.name_prefix}: DR failover records",
            )
            if settings.domain_name
            else None
        )
        self.app_tiers: dict[DrRole, AppTier] = {}
        self.web_acls: dict[DrRole, WebAcl] = {}
        for role in ROLES:
            provider = providers.for_role(role)
            certificate = (
                ValidatedCertificate(
                    self,
                    f"{role}_certificate",
                    provider=provider,
                    domain_name=settings.domain_name,
                    zone=self.dns_zone,
                    name=self.names.region(role).regional,
                )
                if self.dns_zone is not None
                else None
            )
            app_tier = AppTier(
                self,
                f"{role}_app_tier",
                provider=provider,
                dr_role=role,
                region=providers.region_of(role),
                names=self.names.region(role),
                network=self.networks[role],
                key=self.keys[role],
                alarm_topic=self.topics[role],
                capacity=settings.app_capacity(role),
                app_name=settings.name_prefix,
                certificate_arn=certificate.certificate_arn if certificate is not None else None,
                app_port=settings.app_port,
                health_check_path=settings.health_check_path,
                instance_type=settings.app_instance_type,
                ami_ssm_parameter=settings.app_ami_ssm_parameter,
                cpu_target_percent=settings.app_cpu_target_percent,
                health_check_grace_seconds=settings.app_health_check_grace_seconds,
                access_log_retention_days=settings.alb_access_log_retention_days,
                keep_access_logs_on_destroy=settings.alb_access_log_keep_on_destroy,
                deletion_protection=settings.alb_deletion_protection,
                alarm_period_seconds=settings.alarm_period_seconds,
                alarm_evaluation_periods=settings.alarm_evaluation_periods,
                alb_5xx_alarm_threshold=settings.alb_5xx_alarm_threshold,
                response_time_alarm_seconds=settings.alb_response_time_alarm_seconds,
            )
            self.app_tiers[role] = app_tier
            self.web_acls[role] = WebAcl(
                self,
                f"{role}_web_acl",
                provider=provider,
                names=self.names.region(role),
                key=self.keys[role],
                app_tier=app_tier,
                rate_limit=settings.waf_rate_limit,
                log_retention_days=settings.log_retention_days,
            )
            # The app reaches its region's cluster, reads its region's copy of the secret and state table.
            connect(app_tier, self.database)
            self.credentials.grant_read(app_tier.instance_role, dr_role=role)
            # IAM database authentication (enabled on both clusters): the app may connect as its own user, with a
            # token from its role (RDS User Guide, "Creating and using an IAM policy for IAM database access").
            self.database.grant_connect(app_tier.instance_role, dr_role=role, db_user=settings.db_app_username)
            self.app_state_table.grant_read_write(app_tier.instance_role, dr_role=role)

        self.credentials.restrict_reads_to_grantees()
        self.dns = DnsFailover(
            self,
            "dns_failover",
            providers=providers,
            app_tiers=self.app_tiers,
            alarm_topics=self.topics,
            us_east_1_topic_arn=self._route53_alarm_topic_arn(),
            names=self.names,
            global_cluster_identifier=self.database.global_cluster_identifier,
            health_check_path=settings.health_check_path,
            health_check_interval_seconds=settings.health_check_interval_seconds,
            health_check_failure_threshold=settings.health_check_failure_threshold,
            alarm_evaluation_periods=settings.alarm_evaluation_periods,
            zone=self.dns_zone,
            domain_name=settings.domain_name if self.dns_zone is not None else None,
        )
        # The app instances run the user's code: they can never publish the traffic switch (or readiness).
        for role in ROLES:
            self.dns.refuse_switch_publishing(
                self.app_tiers[role].instance_role, provider=providers.for_role(role), slug=f"{role}_app"
            )
        self.dashboard = DrDashboard(
            self,
            "dashboard",
            providers=providers,
            app_tiers=self.app_tiers,
            database=self.database,
            dns=self.dns,
            names=self.names,
            rto_minutes=settings.rto_minutes,
            rpo_minutes=settings.rpo_minutes,
            response_time_alarm_seconds=settings.alb_response_time_alarm_seconds,
            extra_widgets=[
                readiness_widget(
                    global_cluster_id=settings.global_cluster_identifier,
                    regions={role: settings.region_of(role) for role in ROLES},
                    width=WIDGET_WIDTH,
                )
            ],
        )

    def _route53_alarm_topic_arn(self) -> str:
        """Alarm topic in us-east-1, where Route53 health-check alarms must live: a region's own, or a new one."""
        for role in ROLES:
            if self.providers.region_of(role) == ROUTE53_REGION:
                return self.topics[role].topic_arn
        provider, prefix = self.providers.us_east_1, self.settings.name_prefix
        key = RegionalKey(
            self,
            "route53_alarm_key",
            provider=provider,
            region=ROUTE53_REGION,
            alias_name=self.names.route53_alarm_key_alias,
            description=f"{prefix} route53-alarms region: data at rest",
        )
        topic = AlarmTopic(
            self,
            "route53_alarm_topic",
            provider=provider,
            name=self.names.route53_alarm_topic,
            key=key,
            email=self.settings.alarm_email or None,
        )
        return topic.topic_arn

    def _build_failover(self) -> None:
        """The failover orchestrator Lambda in each region, and the automatic trigger when it is on;
        its recovery operations: run reports, readiness schedule, reprotect and capacity matching."""
        settings = self.settings
        self._build_run_reports()
        self.failover = FailoverOrchestrators(
            self,
            "failover",
            providers=self.providers,
            keys=self.keys,
            topics=self.topics,
            database=self.database,
            app_tiers=self.app_tiers,
            state_table=self.failover_state_table,
            dns=self.dns,
            props=failover_props(settings),
            report_buckets=self.run_reports,
        )
        for role in ROLES:
            TerraformOutput(
                self,
                f"{role}_failover_function_name",
                value=self.failover.function_name(role),
                description=f"Orchestrator that promotes the {role} region (invoke it in that region)",
            )
        self._build_recovery_operations()

    def _build_recovery_operations(self) -> None:
        """Per region: the orchestrator may write run reports, run the readiness checks on a schedule (alarm to
        SNS when not ready), re-add its cluster (reprotect) and match the writer's capacity."""
        settings, database = self.settings, self.database
        self.readiness: dict[str, ReadinessSchedule] = {}
        for role in ROLES:
            provider, key = self.providers.for_role(role), self.keys[role]
            function = self.failover.functions[role]
            region = settings.region_of(role)
            names = self.names.region(role)
            resources = GrantResources(
                region=region,
                partition=key.partition,
                account_id=key.account_id,
                peer_region=settings.region_of(peer_of(role)),
                global_cluster_arn=database.global_cluster_arn,
                own_cluster_arn=database.cluster_arn(role),
                cluster_identifier=database.cluster_identifier(role),
                subnet_group_name=database.subnet_groups[role].name,
                cluster_parameter_group_name=database.cluster_parameter_groups[role].name,
                instance_parameter_group_name=database.instance_parameter_groups[role].name,
                key_arn=key.key_arn,
                monitoring_role_arn=database.monitoring_roles[role].arn,
                alarm_name_prefix=contract.alarm_name_prefix(settings.name_prefix),
                report_bucket_arn=self.run_reports[role].bucket_arn,
                report_key_arn=key.key_arn,
            )
            # The policy stays a child of the bucket's construct: its address in state is the one it had when the
            # bucket attached it (a new address would put and delete the same inline policy in one apply).
            grant_run_reports(
                self.run_reports[role],
                f"write_{construct_slug(function.role)}",
                provider=provider,
                role=function.role,
                policy_name=names.run_reports_policy,
                resources=resources,
            )
            # The key policy names the orchestrator for its reports (S3) and for the grants RDS creates when
            # re-protect creates an encrypted cluster and instances (Service Authorization Reference, Amazon RDS:
            # CreateDBCluster's dependent action kms:CreateGrant).
            key.allow_use(function.role.arn, sid="ReportsThroughS3", services=("s3",), actions=("kms:GenerateDataKey",))
            key.allow_use(
                function.role.arn,
                sid="RecoveryGrantsThroughRds",
                services=("rds",),
                actions=("kms:CreateGrant",),
                grants=True,
            )
            schedule = ReadinessSchedule(
                self,
                f"{role}_readiness",
                provider=provider,
                names=names,
                region=region,
                function_name=function.function_name,
                function_arn=function.function_arn,
                interval_minutes=settings.readiness_check_interval_minutes,
                alarm_topic_arn=self.topics[role].topic_arn,
                metric_namespace=contract.READINESS_NAMESPACE,
                ready_metric=contract.READY_METRIC,
                dimensions=readiness_dimensions(settings.global_cluster_identifier, region),
                event={"mode": contract.READINESS_MODE, "target_region": region},
            )
            schedule.grant_checks(function.role, role_arn=function.role.arn)
            self.readiness[role] = schedule
            grant_recovery_operations(
                self,
                f"{role}_recovery_operations",
                provider=provider,
                role=function.role,
                policy_name=names.recovery_operations_policy,
                resources=resources,
                match_serverless_capacity=(
                    settings.failover_match_database_capacity and settings.db_instance_class == "db.serverless"
                ),
            )

    def _build_run_reports(self) -> None:
        """A report bucket per region that its orchestrator writes each run's JSON + Markdown timeline to."""
        settings = self.settings
        self.run_reports: dict[DrRole, RunReportBucket] = {}
        for role in ROLES:
            key = self.keys[role]
            reports = RunReportBucket(
                self,
                f"{role}_run_reports",
                provider=self.providers.for_role(role),
                # Checked at synth with every derived name (names.py): at most 34 + 28 = 62 characters.
                name=self.names.region(role).run_report_bucket(key.account_id),
                kms_key_arn=key.key_arn,
                retention_days=settings.run_report_retention_days,
                noncurrent_days=settings.run_report_noncurrent_days,
                force_destroy=not settings.run_report_keep_on_destroy,
            )
            self.run_reports[role] = reports
            TerraformOutput(
                self,
                f"{role}_run_report_bucket",
                value=reports.bucket_name,
                description=f"Bucket holding the {role} region orchestrator's run reports (runs/YYYY/MM/DD/...)",
            )

    def _build_outputs(self) -> None:
        """Terraform outputs for operators."""
        add_outputs(
            self,
            regions=self.providers.regions,
            app_tiers=self.app_tiers,
            dns=self.dns,
            alarm_topics=self.topics,
            cost_notes=cost_optimization_notes(self.settings),
            security=security_configuration(self.settings, https_enabled=self.app_tiers["primary"].https_enabled),
        )
        add_data_outputs(
            self,
            database=self.database,
            credentials=self.credentials,
            app_state_table=self.app_state_table,
            failover_state_table=self.failover_state_table,
            app_username=self.settings.db_app_username,
        )
