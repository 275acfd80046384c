"""Terraform outputs of the DR stack: endpoints for operators, and what the chosen settings cost and protect."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cdktf import TerraformOutput

from constructs import Construct
from dr_stack.application.app_tier import TLS_POLICY, AppTier
from dr_stack.config.settings import Settings
from dr_stack.data_tier.credentials import DatabaseCredentials
from dr_stack.data_tier.database import GlobalDatabase
from dr_stack.data_tier.state_table import GlobalTable
from dr_stack.foundation.backend import backend_state_key_alias
from dr_stack.foundation.providers import ROLES, DrRole
from dr_stack.observability.monitoring import AlarmTopic
from dr_stack.traffic.dns import TRAFFIC_SWITCH_METRIC, TRAFFIC_SWITCH_NAMESPACE, DnsFailover
from dr_stack.traffic.waf import MANAGED_RULE_GROUPS


def cost_optimization_notes(settings: Settings) -> dict[str, str]:
    """What the chosen profile costs in broad terms, and which settings change that."""
    az = settings.availability_zone_count
    nat = (
        f"{az} NAT gateways per region ({2 * az} in all; nat_gateway_per_az=true): no cross-AZ dependency. "
        "Set nat_gateway_per_az=false for one per region."
        if settings.nat_gateway_per_az
        else "1 NAT gateway per region (2 in all; nat_gateway_per_az=false): cheapest, but one AZ's loss cuts "
        "the private subnets' egress. Set nat_gateway_per_az=true for one per AZ."
    )
    instances = f"{settings.primary_db_instance_count} primary + {settings.secondary_db_instance_count} secondary"
    if settings.is_serverless:
        database = (
            f"Aurora Serverless v2, {instances} instances, each {settings.db_serverless_min_capacity}-"
            f"{settings.db_serverless_max_capacity} ACU: billed per ACU-hour with "
            f"db_serverless_min_capacity as the floor. Lower the instance counts or the ACU range to save; "
            "a provisioned db_instance_class (db.r6g.large...) is cheaper under steady load."
        )
    else:
        database = (
            f"Aurora provisioned {settings.db_instance_class}, {instances} instances, billed per instance-hour "
            "whether busy or not. db_instance_class=db.serverless (Serverless v2) costs less for idle or spiky "
            "load; secondary_db_instance_count sets the standby's read capacity."
        )
    primary, secondary = settings.app_capacity("primary"), settings.app_capacity("secondary")
    app = (
        f"{settings.app_instance_type} instances: primary min {primary.minimum} / desired {primary.desired} / max "
        f"{primary.maximum}, secondary (warm standby) min {secondary.minimum} / desired {secondary.desired} / max "
        f"{secondary.maximum}. "
        "The standby's size is what you pay for readiness; the orchestrator scales it up at failover. Change "
        "app_instance_type and <role>_app_{min,desired,max}_capacity."
    )
    fixed = (
        f"Always on in both regions: an ALB, a WAF web ACL with {len(MANAGED_RULE_GROUPS) + 1} rules, "
        "customer KMS keys, CloudWatch alarms; Route53 health checks (3 HTTP(S) checks with latency "
        "measurement, a calculated and a CloudWatch-metric check). Log retention: "
        f"{settings.log_retention_days} days (log_retention_days), ALB access logs "
        f"{settings.alb_access_log_retention_days} days (alb_access_log_retention_days)."
    )
    return {
        "profile": f"{settings.environment} (DR_ENVIRONMENT=dev is the low-cost profile, prod the resilient one)",
        "network": nat,
        "database": database,
        "app": app,
        "fixed": fixed,
    }


def security_configuration(settings: Settings, *, https_enabled: bool) -> dict[str, str]:
    """How the stack protects data and traffic, in words an auditor can check against the code."""
    if https_enabled:
        tls = (
            f"HTTPS on 443 with ACM certificates for {settings.domain_name} ({TLS_POLICY}); port 80 only "
            "redirects (301) to HTTPS."
        )
    else:
        tls = (
            "OFF: no domain_name is set, so there is no certificate a browser would trust and the ALBs serve plain "
            "HTTP on port 80. Set domain_name and hosted_zone_name to get HTTPS."
        )
    if settings.db_password_source == "random":
        password = (
            "Generated on each run by Secrets Manager (the ephemeral aws_secretsmanager_random_password), written "
            "write-only to the primary cluster and to the secret (KMS, replicated to the secondary region) when "
            "db_master_password_version changes; it is in neither the Terraform state nor a plan file."
        )
    else:
        password = (
            "Supplied through the ephemeral, sensitive Terraform variable db_master_password "
            "(TF_VAR_db_master_password, at plan and at apply), written write-only to the primary cluster and to the "
            "secret (KMS, replicated to the secondary region); it is in neither the Terraform state nor a plan file. "
            "Aurora global clusters cannot use RDS-managed passwords."
        )
    state = {
        "s3": (
            f"S3 bucket {settings.state_bucket_name} ({settings.state_region_name}); every state and .tflock upload "
            f"is SSE-KMS with the state key ({backend_state_key_alias(settings)}), and the bucket policy refuses an "
            "upload with any other encryption; no password is in it."
        ),
        "local": "Local file (offline work): protect it as a secret file; no password is in it.",
    }.get(
        settings.state_backend,
        "HCP Terraform / Terraform Enterprise workspace (encrypted by the service); no password is in it.",
    )
    return {
        "terraform_state": state,
        "encryption_at_rest": (
            "Customer KMS key per region (rotation on) for Aurora, Secrets Manager, DynamoDB, SNS, CloudWatch "
            "Logs and EBS; ALB access logs use SSE-S3 (the only encryption ALB log delivery supports)."
        ),
        "tls": tls,
        "waf": (
            f"WAFv2 on each ALB: {', '.join(MANAGED_RULE_GROUPS)} and a per-IP rate limit of "
            f"{settings.waf_rate_limit} requests per 5 minutes; logs redact the authorization and cookie headers."
        ),
        "instances": (
            "IMDSv2 required (hop limit 1), encrypted gp3 root volumes, private subnets, no SSH (SSM Session "
            "Manager), only the ALB security group reaches the app port."
        ),
        "database_password": password,
    }


def add_outputs(
    scope: Construct,
    *,
    regions: Mapping[DrRole, str],
    app_tiers: Mapping[DrRole, AppTier],
    dns: DnsFailover,
    alarm_topics: Mapping[DrRole, AlarmTopic],
    cost_notes: Mapping[str, str],
    security: Mapping[str, str],
) -> dict[str, TerraformOutput]:
    """Outputs for the app tier, DNS and alarm topics, plus the cost and security summaries (from the settings:
    cost_optimization_notes() and security_configuration())."""
    outputs: dict[str, TerraformOutput] = {}

    def output(name: str, value: Any, description: str, *, sensitive: bool = False) -> None:
        outputs[name] = TerraformOutput(scope, name, value=value, description=description, sensitive=sensitive)

    output(
        "app_dns_name",
        dns.app_fqdn,
        "Name users reach the app at: the failover domain, or the primary ALB's DNS name without a domain",
    )
    output(
        "app_url",
        f"{'https' if app_tiers['primary'].https_enabled else 'http'}://{dns.app_fqdn}",
        "URL of the app (HTTP only when no domain is configured)",
    )
    for role in ROLES:
        output(f"{role}_region", regions[role], f"AWS region of the {role} role (where its orchestrator is invoked)")
        output(
            f"{role}_alb_dns_name",
            app_tiers[role].alb_dns_name,
            f"DNS name of the {role} region's load balancer ({regions[role]})",
        )
        output(f"{role}_asg_name", app_tiers[role].asg_name, f"Auto Scaling group of the {role} region's app instances")
        output(
            f"{role}_alarm_topic_arn",
            alarm_topics[role].topic_arn,
            f"SNS topic of the {role} region's alarms ({regions[role]})",
        )
        output(
            f"{role}_alb_health_check_id",
            dns.health_check_id(role),
            f"Route53 health check on the {role} region's load balancer",
        )
    output(
        "traffic_switch",
        {
            "alarm_name": dns.traffic_switch_alarm_name,
            "region": dns.traffic_switch_region,
            "namespace": TRAFFIC_SWITCH_NAMESPACE,
            "metric": TRAFFIC_SWITCH_METRIC,
            "health_check_id": dns.traffic_switch_health_check_id,
        },
        "CloudWatch alarm the orchestrator drives to fence the primary (1) or let it back (0)",
    )
    if dns.zone_id is not None:
        output("hosted_zone_id", dns.zone_id, "Route53 hosted zone holding the failover records")
    output(
        "cost_optimization_notes",
        dict(cost_notes),
        "What the chosen settings cost in broad terms and which settings change that",
    )
    output(
        "security_configuration",
        dict(security),
        "Encryption, TLS, WAF, instance hardening and database password handling",
    )
    return outputs


def add_data_outputs(
    scope: Construct,
    *,
    database: GlobalDatabase,
    credentials: DatabaseCredentials,
    app_state_table: GlobalTable,
    failover_state_table: GlobalTable,
    app_username: str,
) -> dict[str, TerraformOutput]:
    """Outputs for the data tier: global cluster, regional endpoints, the database and app user an operator
    creates (``app_username``: the db_app_username setting), the credentials secret, both state tables."""
    outputs: dict[str, TerraformOutput] = {}

    def output(name: str, value: Any, description: str, *, sensitive: bool = False) -> None:
        outputs[name] = TerraformOutput(scope, name, value=value, description=description, sensitive=sensitive)

    output("global_cluster_id", database.global_cluster_id, "Identifier of the Aurora global cluster")
    output(
        "global_writer_endpoint",
        database.global_writer_endpoint,
        "Global writer endpoint: follows the writer across regions after a switchover or failover",
    )
    for role in ROLES:
        output(
            f"{role}_cluster_writer_endpoint",
            database.writer_endpoint(role),
            f"Writer (cluster) endpoint of the {role} Aurora cluster (read-only while {role} is secondary)",
        )
        output(
            f"{role}_cluster_reader_endpoint",
            database.reader_endpoint(role),
            f"Reader endpoint of the {role} Aurora cluster",
        )
    output("db_name", database.database_name, "Database created in the primary cluster (setting db_name)")
    output("db_port", database.port, "Port both Aurora clusters listen on")
    output(
        "db_app_username",
        app_username,
        "Database user the app instances connect as with IAM authentication (setting db_app_username)",
    )
    # The ARN names the secret, it does not reveal it: no output carries a credential, so none is sensitive.
    output(
        "db_secret_arn",
        credentials.secret_arn,
        "Secrets Manager secret with the database credentials (primary region; a replica in the secondary)",
    )
    output(
        "app_state_table_name",
        app_state_table.table_name,
        "DynamoDB global table for application state and sessions (the same name in both regions)",
    )
    # The orchestrators derive this name from the global cluster's and are not told it (dr_contract); an operator
    # breaking a crashed run's lease needs it.
    output(
        "failover_state_table_name",
        failover_state_table.table_name,
        "DynamoDB global table of the orchestrators' lock, journal and run records (the same name in both regions)",
    )
    return outputs
