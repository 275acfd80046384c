"""The stacks: the two-region DR stack and the bootstrap stack that holds Terraform state."""

from __future__ import annotations

from cdktf import TerraformOutput, TerraformStack
from cdktf_cdktf_provider_random.provider import RandomProvider

from constructs import Construct
from dr_stack.app_tier import AppTier
from dr_stack.backend import configure_backend
from dr_stack.backup import DatabaseBackup
from dr_stack.budget import budget_output
from dr_stack.credentials import DatabaseCredentials
from dr_stack.dashboard import DrDashboard
from dr_stack.database import GlobalDatabase
from dr_stack.dns import DnsFailover, HostedZone, ValidatedCertificate
from dr_stack.failover import FailoverOrchestrators
from dr_stack.keys import RegionalKey
from dr_stack.monitoring import AlarmTopic
from dr_stack.network import Network
from dr_stack.outputs import add_data_outputs, add_outputs
from dr_stack.providers import ROLES, ROUTE53_METRICS_REGION, make_aws_providers
from dr_stack.reports import RunReportBucket
from dr_stack.settings import Settings
from dr_stack.state_table import GlobalTable
from dr_stack.waf import WebAcl

TERRAFORM_VERSION = ">= 1.11.0"


class DrStack(TerraformStack):
    """Warm-standby DR stack over two regions; every construct gets its provider(s) explicitly."""

    def __init__(self, scope: Construct, id_: str, *, settings: Settings) -> None:
        super().__init__(scope, id_)
        self.settings = settings
        self.add_override("terraform.required_version", TERRAFORM_VERSION)
        configure_backend(self, settings, id_)
        self.providers = make_aws_providers(self, settings)
        if settings.db_password_source == "random":
            RandomProvider(self, "random")

        self.keys: dict[str, RegionalKey] = {}
        self.networks: dict[str, Network] = {}
        self.topics: dict[str, AlarmTopic] = {}
        for role in ROLES:
            provider = self.providers.for_role(role)
            self.keys[role] = RegionalKey(self, f"{role}_key", provider=provider, settings=settings, role=role)
            self.networks[role] = Network(
                self, f"{role}_network", provider=provider, settings=settings, role=role, key=self.keys[role]
            )
            self.topics[role] = AlarmTopic(
                self, f"{role}_alarm_topic", provider=provider, settings=settings, role=role, key=self.keys[role]
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
        """Aurora Global Database, credentials, DynamoDB global tables, AWS Backup, data-tier alarms (issue 3)."""
        settings, providers, keys = self.settings, self.providers, self.keys
        # The random provider exists in `random` password mode only (validation mode has none).
        found = self.node.try_find_child("random")
        self.random_provider: RandomProvider | None = found if isinstance(found, RandomProvider) else None
        self.credentials = DatabaseCredentials(
            self,
            "db_credentials",
            providers=providers,
            settings=settings,
            keys=keys,
            random_provider=self.random_provider,
        )
        self.database = GlobalDatabase(
            self,
            "database",
            providers=providers,
            settings=settings,
            networks=self.networks,
            keys=keys,
            master_password=self.credentials.master_password,
            alarm_topics=self.topics,
        )
        self.credentials.store_connection(self.database)
        # Application state and sessions: items keyed (pk, sk), expired by DynamoDB TTL on expires_at.
        self.app_state_table = GlobalTable(
            self,
            "app_state_table",
            providers=providers,
            settings=settings,
            keys=keys,
            name="app-state",
            hash_key="pk",
            range_key="sk",
            ttl_attribute="expires_at",
        )
        # The failover orchestrator's lock and journal, readable and writable from both regions.
        self.failover_state_table = GlobalTable(
            self,
            "failover_state_table",
            providers=providers,
            settings=settings,
            keys=keys,
            name="failover-state",
            hash_key="pk",
            ttl_attribute="expires_at",
        )
        self.backup = DatabaseBackup(
            self, "backup", providers=providers, settings=settings, keys=keys, database=self.database
        )

    def _build_app_tier(self) -> None:
        """ALB + WAF + ASG per region, DNS failover, app alarms and dashboard (issue 4)."""
        settings, providers = self.settings, self.providers
        # Route53 is global: the zone and every record live on the primary provider.
        self.dns_zone = (
            HostedZone(self, "dns_zone", provider=providers.primary, settings=settings)
            if settings.domain_name
            else None
        )
        self.app_tiers: dict[str, AppTier] = {}
        self.web_acls: dict[str, WebAcl] = {}
        for role in ROLES:
            provider = providers.for_role(role)
            certificate = (
                ValidatedCertificate(
                    self, f"{role}_certificate", provider=provider, settings=settings, role=role, zone=self.dns_zone
                )
                if self.dns_zone is not None
                else None
            )
            app_tier = AppTier(
                self,
                f"{role}_app_tier",
                provider=provider,
                settings=settings,
                role=role,
                network=self.networks[role],
                key=self.keys[role],
                alarm_topic=self.topics[role],
                certificate_arn=certificate.certificate_arn if certificate is not None else None,
            )
            self.app_tiers[role] = app_tier
            self.web_acls[role] = WebAcl(
                self,
                f"{role}_web_acl",
                provider=provider,
                settings=settings,
                role=role,
                key=self.keys[role],
                alb_arn=app_tier.alb_arn,
            )
            # The app reaches its region's cluster, reads its region's copy of the secret and state table.
            self.database.allow_from(role, app_tier.app_security_group_id, "App instances", name="app")
            app_tier.allow_egress_to(
                self.database.security_group_id(role),
                port=settings.db_port,
                name="database",
                description="Database port to the region's Aurora cluster",
            )
            self.credentials.grant_read(app_tier.instance_role, region_role=role)
            self.app_state_table.grant_read_write(app_tier.instance_role, region_role=role)

        self.dns = DnsFailover(
            self,
            "dns_failover",
            providers=providers,
            settings=settings,
            app_tiers=self.app_tiers,
            alarm_topics=self.topics,
            us_east_1_topic_arn=self._route53_alarm_topic_arn(),
            zone=self.dns_zone,
        )
        self.dashboard = DrDashboard(
            self,
            "dashboard",
            providers=providers,
            settings=settings,
            app_tiers=self.app_tiers,
            dns=self.dns,
            secondary_cluster_identifier=self.database.cluster_identifier("secondary"),
        )

    def _route53_alarm_topic_arn(self) -> str:
        """Alarm topic in us-east-1, where Route53 health-check alarms must live: a region's own, or a new one."""
        for role in ROLES:
            if self.settings.region_of(role) == ROUTE53_METRICS_REGION:
                return self.topics[role].topic_arn
        provider = self.providers.us_east_1
        key = RegionalKey(
            self,
            "route53_alarm_key",
            provider=provider,
            settings=self.settings,
            role="route53-alarms",
            region=ROUTE53_METRICS_REGION,
        )
        topic = AlarmTopic(
            self, "route53_alarm_topic", provider=provider, settings=self.settings, role="route53", key=key
        )
        return topic.topic_arn

    def _build_failover(self) -> None:
        """The failover orchestrator Lambda in each region, and the automatic trigger when it is on (issue 5)."""
        self.failover = FailoverOrchestrators(
            self,
            "failover",
            providers=self.providers,
            settings=self.settings,
            keys=self.keys,
            topics=self.topics,
            database=self.database,
            app_tiers=self.app_tiers,
            state_table=self.failover_state_table,
            dns=self.dns,
        )
        for role in ROLES:
            TerraformOutput(
                self,
                f"{role}_failover_function_name",
                value=self.failover.function_name(role),
                description=f"Orchestrator that promotes the {role} region (invoke it in that region)",
            )
        self._build_run_reports()

    def _build_run_reports(self) -> None:
        """A report bucket per region that its orchestrator writes each run's JSON + Markdown timeline to (issue 12)."""
        settings = self.settings
        self.run_reports: dict[str, RunReportBucket] = {}
        for role in ROLES:
            key = self.keys[role]
            reports = RunReportBucket(
                self,
                f"{role}_run_reports",
                provider=self.providers.for_role(role),
                # Checked at synth with every derived name (names.py): at most 34 + 28 = 62 characters.
                name=f"{settings.name_prefix}-{role}-runs-{key.account_id}",
                region=settings.region_of(role),
                kms_key_arn=key.key_arn,
                retention_days=settings.run_report_retention_days,
                # dev stacks are torn down often; prod keeps its reports if the stack is destroyed.
                force_destroy=settings.environment != "prod",
            )
            reports.grant_write(self.failover.functions[role].role)
            self.run_reports[role] = reports
            TerraformOutput(
                self,
                f"{role}_run_report_bucket",
                value=reports.bucket_name,
                description=f"Bucket holding the {role} region orchestrator's run reports (runs/YYYY/MM/DD/...)",
            )

    def _build_outputs(self) -> None:
        """Terraform outputs for operators (issue 4)."""
        add_outputs(self, settings=self.settings, app_tiers=self.app_tiers, dns=self.dns, alarm_topics=self.topics)
        add_data_outputs(
            self, database=self.database, credentials=self.credentials, app_state_table=self.app_state_table
        )
