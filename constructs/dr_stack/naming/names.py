"""Every AWS name the stack creates: how it is derived, the rule AWS applies to its kind, and the shortening of
names over a length limit.

Derivations are functions of plain values (the name prefix, a region role, a bucket name), so constructs call
them without the Settings object, and settings validation (``name_problems``) checks exactly the names the
stack creates. ``__tests__/test_names.py`` checks the names in the synthesized JSON against this list and
against AWS's documented rules, so a construct that adds a name must add it to ``derived_names`` too (a template
in ``_PER_REGION`` or ``_PER_STACK``, or a derivation function above them).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from dr_stack.contract import contract

ROLES = ("primary", "secondary")
# Aurora: up to 16 instances per cluster (settings allow 1-16), named <cluster>-<n>.
MAX_INSTANCES = 16
# Length of the hash that replaces the cut part of an over-long name: 8 hex digits (32 bits).
HASH_LENGTH = 8
# Stands in for the 12-digit account id (a Terraform reference at synth) when lengths are checked.
ACCOUNT_ID_PLACEHOLDER = "123456789012"
# Load balancer and target group names: at most 32 characters.
ELB_NAME_LIMIT = 32


def name_prefix(project_name: str, environment: str, resource_suffix: str = "") -> str:
    """Prefix of every resource name: project, environment and optional suffix."""
    base = f"{project_name}-{environment}"
    return f"{base}-{resource_suffix}" if resource_suffix else base


def shorten(name: str, limit: int) -> str:
    """``name`` itself when it fits ``limit``; else its head, '-' and 8 hex digits of the SHA-256 of the full name.

    Deterministic (the same full name always gives the same short name) and collision-resistant: two copies
    whose names differ only past the cut (say two ``resource_suffix`` values) get different hashes, where
    cutting alone gave both the same name. Trailing hyphens of the head are dropped so the result never has
    two hyphens in a row (RDS and ALB names refuse them).
    """
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:HASH_LENGTH]
    head = name[: limit - HASH_LENGTH - 1].rstrip("-.")
    return f"{head}-{digest}"


# ----- derivations (the names the constructs create) -----
def regional_name(prefix: str, role: str) -> str:
    """Name of a region's resources, ``<prefix>-<role>``, from which the per-region names are made."""
    return f"{prefix}-{role}"


def load_balancer_name(regional: str) -> str:
    """Application Load Balancer of a region, from its ``regional_name`` (AWS limit 32 characters)."""
    return shorten(regional, ELB_NAME_LIMIT)


def target_group_name(regional: str) -> str:
    """Target group of a region's app instances, from its ``regional_name`` (AWS limit 32 characters)."""
    return shorten(f"{regional}-app", ELB_NAME_LIMIT)


def global_cluster_identifier(prefix: str) -> str:
    """Aurora global cluster (the orchestrator derives the name prefix back from it: dr_contract)."""
    return f"{prefix}{contract.GLOBAL_CLUSTER_NAME_SUFFIX}"


def state_bucket_name(prefix: str, configured: str = "") -> str:
    """S3 bucket holding Terraform state: the configured name, or one derived from the prefix."""
    return configured or f"{prefix}-tfstate"


def state_replica_bucket_name(bucket: str) -> str:
    """The state bucket's copy in the other region."""
    return f"{bucket}-replica"


def state_lock_table_name(prefix: str, configured: str = "") -> str:
    """DynamoDB table locking Terraform state: the configured name, or one derived from the prefix."""
    return configured or f"{prefix}-tflock"


def state_replication_role_name(prefix: str) -> str:
    """IAM role S3 assumes to replicate the state bucket to its replica."""
    return f"{prefix}-tfstate-replication"


def stack_names(prefix: str) -> tuple[str, str]:
    """Names of the bootstrap and DR stacks (cdktf.out/stacks/<name>, and HCP Terraform workspaces)."""
    return f"{prefix}-bootstrap", f"{prefix}-dr"


def workspace_name(workspace_prefix: str, stack_name: str) -> str:
    """HCP Terraform / Terraform Enterprise workspace of a stack: ``<prefix>-<stack>``, or the stack name alone."""
    return f"{workspace_prefix}-{stack_name}" if workspace_prefix else stack_name


# Names made from the prefix (`{p}`) and, for per-region resources, the region role (`{r}`), by the Terraform
# resource type and attribute that carry them. Names shortened by a function above are listed by that function.
_PER_REGION: dict[str, tuple[str, ...]] = {
    "aws_autoscaling_group.name": ("{p}-{r}-app",),
    "aws_autoscaling_policy.name": ("{p}-{r}-app-cpu",),
    "aws_backup_vault.name": ("{p}-{r}",),
    "aws_cloudwatch_log_group.name": (
        "/aws/lambda/{p}-{r}-failover",
        "/aws/vpc/{p}-{r}/flow-logs",
        "aws-waf-logs-{p}-{r}",
        # The groups Aurora exports to (database_logs.py): every log type either engine exports.
        *(f"/aws/rds/cluster/{{p}}-{{r}}/{log}" for log in ("audit", "error", "general", "slowquery", "postgresql")),
    ),
    "aws_cloudwatch_event_rule.name": ("{p}-{r}-readiness",),
    "aws_cloudwatch_metric_alarm.alarm_name": (
        "{p}-{r}-not-ready",
        "{p}-{r}-alb-health-check",
        "{p}-{r}-alb-5xx",
        "{p}-{r}-app-in-service",
        "{p}-{r}-response-time",
        "{p}-{r}-unhealthy-hosts",
        "{p}-{r}-failover-errors",
        "{p}-{r}-failover-dead-letters",
    ),
    "aws_db_parameter_group.name": ("{p}-{r}-instance",),
    "aws_rds_cluster_parameter_group.name": ("{p}-{r}-cluster",),
    "aws_db_subnet_group.name": ("{p}-{r}",),
    "aws_iam_instance_profile.name": ("{p}-{r}-app",),
    "aws_iam_role.name": ("{p}-{r}-rds-monitoring", "{p}-{r}-failover-role", "{p}-{r}-app", "{p}-{r}-vpc-flow-logs"),
    "aws_iam_role_policy.name": (
        "{p}-app-state-rw-{r}",
        "{p}-app-state-read-{r}",
        "{p}-failover-state-rw-{r}",
        "{p}-failover-state-read-{r}",
        "{p}-read-db-secret-{r}",
        "{p}-db-connect-{r}",
    ),
    "aws_kms_alias.name": ("alias/{p}-{r}", "alias/{p}-state-{r}"),
    "aws_lambda_function.function_name": ("{p}-{r}-failover",),
    "aws_launch_template.name": ("{p}-{r}-app",),
    "aws_rds_cluster.cluster_identifier": ("{p}-{r}",),
    "aws_rds_cluster.final_snapshot_identifier": ("{p}-{r}-final",),
    "aws_s3_bucket.bucket": ("{p}-{r}-alb-" + ACCOUNT_ID_PLACEHOLDER, "{p}-{r}-runs-" + ACCOUNT_ID_PLACEHOLDER),
    "aws_security_group.name": ("{p}-{r}-db", "{p}-{r}-alb", "{p}-{r}-app"),
    "aws_sns_topic.name": ("{p}-{r}-alarms",),
    "aws_sqs_queue.name": ("{p}-{r}-failover-dlq",),
    "aws_wafv2_web_acl.name": ("{p}-{r}",),
}
_PER_STACK: dict[str, tuple[str, ...]] = {
    "aws_backup_plan.name": ("{p}-database", "{p}-secondary-db"),
    "aws_backup_selection.name": ("{p}-primary-cluster", "{p}-secondary-db"),
    "aws_cloudwatch_dashboard.dashboard_name": ("{p}-dr",),
    "aws_cloudwatch_event_rule.name": (
        "{p}-automatic-failover",
        "{p}-automatic-failover-recheck",
        "{p}-primary-probe-schedule",
        "{p}-switch-keeper-schedule",
    ),
    "aws_cloudwatch_log_group.name": ("/aws/lambda/{p}-primary-probe", "/aws/lambda/{p}-switch-keeper"),
    "aws_cloudwatch_metric_alarm.alarm_name": (
        "{p}-db-AuroraGlobalDBReplicationLag",
        "{p}-db-AuroraGlobalDBRPOLag",
        "{p}-db-writer-CPUUtilization",
        "{p}-db-writer-FreeableMemory",
        "{p}-secondary-db-writer-CPUUtilization",
        "{p}-secondary-db-writer-FreeableMemory",
        "{p}-primary-in-service-health-check",
        "{p}-traffic-switch-primary-fenced",
        "{p}-primary-region-down",
        "{p}-primary-probe-silent",
        "{p}-primary-probe-errors",
        "{p}-primary-probe-dead-letters",
        "{p}-switch-keeper-errors",
        "{p}-switch-keeper-dead-letters",
    ),
    "aws_dynamodb_table.name": ("{p}-app-state", "{p}-failover-state"),
    "aws_iam_role.name": ("{p}-aws-backup", "{p}-primary-probe-role", "{p}-switch-keeper-role"),
    "aws_iam_role_policy.name": (
        "write-run-reports",
        "readiness-checks",
        "recovery-operations",
        "never-publish-traffic-switch",
    ),
    "aws_lambda_function.function_name": ("{p}-primary-probe", "{p}-switch-keeper"),
    "aws_rds_global_cluster.global_cluster_identifier": ("{p}-global",),
    "aws_route53_health_check.reference_name": ("primary-alb", "primary-in-service", "secondary-alb", "traffic-switch"),
    "aws_secretsmanager_secret.name": ("{p}-db-master",),
    "aws_sqs_queue.name": ("{p}-primary-probe-dlq", "{p}-switch-keeper-dlq"),
}


def derived_names(prefix: str, *, state_bucket: str = "", state_lock_table: str = "") -> list[tuple[str, str]]:
    """(resource type.attribute, name) of every literal name both stacks can create (any instance count, domain
    and failover options); the S3 names carry ACCOUNT_ID_PLACEHOLDER where the account id goes.
    ``state_bucket``/``state_lock_table``: the configured names (empty: derived from the prefix)."""
    found: list[tuple[str, str]] = []
    for kind, templates in _PER_REGION.items():
        found += [(kind, t.format(p=prefix, r=role)) for role in ROLES for t in templates]
    for kind, templates in _PER_STACK.items():
        found += [(kind, t.format(p=prefix)) for t in templates]
    for role in ROLES:
        found.append(("aws_lb.name", load_balancer_name(regional_name(prefix, role))))
        found.append(("aws_lb_target_group.name", target_group_name(regional_name(prefix, role))))
        found += [("aws_rds_cluster_instance.identifier", f"{prefix}-{role}-{n}") for n in range(1, MAX_INSTANCES + 1)]
    bucket = state_bucket_name(prefix, state_bucket)
    found += [
        ("aws_s3_bucket.bucket", bucket),
        ("aws_s3_bucket.bucket", state_replica_bucket_name(bucket)),
        ("aws_dynamodb_table.name", state_lock_table_name(prefix, state_lock_table)),
        ("aws_iam_role.name", state_replication_role_name(prefix)),
    ]
    return found


# ----- AWS's rules -----
@dataclass(frozen=True)
class NameRule:
    """What AWS (and the Terraform provider's validation, which refuses before any API call) accepts for a kind."""

    kind: str
    doc: str
    max_length: int
    chars: str  # regular-expression class of every allowed character
    chars_text: str
    min_length: int = 1
    first: str = ""  # regular-expression class the first character must match (empty: any allowed)
    first_text: str = ""
    last: str = ""  # regular-expression class the last character must match (empty: any allowed)
    last_text: str = ""
    no_trailing_hyphen: bool = False
    no_double_hyphen: bool = False
    reserved_prefixes: tuple[str, ...] = ()
    reserved_suffixes: tuple[str, ...] = ()
    forbidden_names: tuple[str, ...] = ()
    extra: tuple[str, ...] = field(default=())  # named extra checks, see _EXTRA_CHECKS

    def problems(self, name: str) -> list[str]:
        """What is wrong with ``name`` for this kind, each as 'must ...'; empty when AWS accepts it."""
        found: list[str] = []
        if not self.min_length <= len(name) <= self.max_length:
            found.append(f"must be {self.min_length} to {self.max_length} characters long (is {len(name)})")
        bad = sorted(set(re.sub(f"[{self.chars}]", "", name)))
        if bad:
            found.append(f"must contain only {self.chars_text} (has {''.join(bad)!r})")
        if self.first and name and not re.match(f"[{self.first}]", name):
            found.append(f"must start with {self.first_text}")
        if self.last and name and not re.fullmatch(f"[{self.last}]", name[-1]):
            found.append(f"must end with {self.last_text}")
        elif self.no_trailing_hyphen and name.endswith("-"):
            found.append("must not end with a hyphen")
        if self.no_double_hyphen and "--" in name:
            found.append("must not contain two consecutive hyphens")
        found += [f"must not start with {p!r} (reserved)" for p in self.reserved_prefixes if name.startswith(p)]
        found += [f"must not end with {s!r} (reserved)" for s in self.reserved_suffixes if name.endswith(s)]
        if name in self.forbidden_names:
            found.append(f"must not be {name!r} (reserved)")
        for check in self.extra:
            problem = _EXTRA_CHECKS[check](name)
            if problem:
                found.append(problem)
        return found


def _not_ip_address(name: str) -> str | None:
    # "Bucket names must not be formatted as an IP address (for example, 192.168.5.4)": four dot-separated numbers.
    return "must not be formatted as an IP address" if re.fullmatch(r"\d+(\.\d+){3}", name) else None


_EXTRA_CHECKS = {
    "no_adjacent_dots": lambda name: "must not contain two adjacent periods" if ".." in name else None,
    "not_ip_address": _not_ip_address,
    "alias_prefix": lambda name: None if name.startswith("alias/") else "must start with 'alias/'",
    "alias_not_aws": lambda name: "must not start with 'alias/aws/' (reserved for AWS managed keys)"
    if name.startswith("alias/aws/")
    else None,
}

_ALNUM = "a-zA-Z0-9"
_RDS: dict[str, Any] = {
    "chars": "a-z0-9-",
    "chars_text": "lowercase letters, digits and hyphens",
    "first": "a-z",
    "first_text": "a letter",
    "no_trailing_hyphen": True,
    "no_double_hyphen": True,
}
_ELB: dict[str, Any] = {
    "max_length": 32,
    "chars": f"{_ALNUM}-",
    "chars_text": "letters, digits and hyphens",
    "first": _ALNUM,
    "first_text": "a letter or digit",
    "no_trailing_hyphen": True,
}
_IAM: dict[str, Any] = {"chars": r"\w+=,.@-", "chars_text": "letters, digits and +=,.@_-"}
_AWS = "https://docs.aws.amazon.com"

RULES: dict[str, NameRule] = {
    "aws_s3_bucket.bucket": NameRule(
        "S3 bucket name",
        f"{_AWS}/AmazonS3/latest/userguide/bucketnamingrules.html",
        min_length=3,
        max_length=63,
        chars="a-z0-9.-",
        chars_text="lowercase letters, digits, periods and hyphens",
        first="a-z0-9",
        first_text="a lowercase letter or digit",
        last="a-z0-9",
        last_text="a lowercase letter or digit",
        reserved_prefixes=("xn--", "sthree-", "amzn-s3-demo-"),
        reserved_suffixes=("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"),
        extra=("no_adjacent_dots", "not_ip_address"),
    ),
    "aws_dynamodb_table.name": NameRule(
        "DynamoDB table name",
        f"{_AWS}/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html",
        min_length=3,
        max_length=255,
        chars=f"{_ALNUM}_.-",
        chars_text="letters, digits, '_', '-' and '.'",
    ),
    "aws_rds_global_cluster.global_cluster_identifier": NameRule(
        "Aurora global cluster identifier",
        f"{_AWS}/AmazonRDS/latest/APIReference/API_CreateGlobalCluster.html",
        max_length=255,
        **_RDS,
    ),
    "aws_rds_cluster.cluster_identifier": NameRule(
        "RDS DB cluster identifier",
        f"{_AWS}/AmazonRDS/latest/AuroraUserGuide/CHAP_Limits.html#RDS_Limits.Constraints",
        max_length=63,
        **_RDS,
    ),
    "aws_rds_cluster.final_snapshot_identifier": NameRule(
        "RDS DB cluster snapshot identifier",
        f"{_AWS}/AmazonRDS/latest/APIReference/API_CreateDBClusterSnapshot.html",
        max_length=255,
        **_RDS,
    ),
    "aws_rds_cluster_instance.identifier": NameRule(
        "RDS DB instance identifier",
        f"{_AWS}/AmazonRDS/latest/AuroraUserGuide/CHAP_Limits.html#RDS_Limits.Constraints",
        max_length=63,
        **_RDS,
    ),
    "aws_rds_cluster_parameter_group.name": NameRule(
        "RDS DB cluster parameter group name",
        f"{_AWS}/AmazonRDS/latest/APIReference/API_CreateDBClusterParameterGroup.html",
        max_length=255,
        **_RDS,
    ),
    "aws_db_parameter_group.name": NameRule(
        "RDS DB parameter group name",
        f"{_AWS}/AmazonRDS/latest/APIReference/API_CreateDBParameterGroup.html",
        max_length=255,
        **_RDS,
    ),
    "aws_db_subnet_group.name": NameRule(
        "RDS DB subnet group name",
        f"{_AWS}/AmazonRDS/latest/APIReference/API_CreateDBSubnetGroup.html",
        max_length=255,
        chars=" ._a-z0-9-",
        chars_text="lowercase letters, digits, spaces, periods, underscores and hyphens",
        forbidden_names=("default",),
    ),
    "aws_lb.name": NameRule(
        "load balancer name",
        f"{_AWS}/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html",
        reserved_prefixes=("internal-",),
        **_ELB,
    ),
    "aws_lb_target_group.name": NameRule(
        "target group name",
        f"{_AWS}/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html",
        **_ELB,
    ),
    "aws_iam_role.name": NameRule(
        "IAM role name", f"{_AWS}/IAM/latest/APIReference/API_CreateRole.html", max_length=64, **_IAM
    ),
    "aws_iam_role_policy.name": NameRule(
        "IAM inline policy name", f"{_AWS}/IAM/latest/APIReference/API_PutRolePolicy.html", max_length=128, **_IAM
    ),
    "aws_iam_instance_profile.name": NameRule(
        "IAM instance profile name",
        f"{_AWS}/IAM/latest/APIReference/API_CreateInstanceProfile.html",
        max_length=128,
        **_IAM,
    ),
    "aws_lambda_function.function_name": NameRule(
        "Lambda function name",
        f"{_AWS}/lambda/latest/api/API_CreateFunction.html",
        max_length=64,
        chars=f"{_ALNUM}_-",
        chars_text="letters, digits, '-' and '_'",
    ),
    "aws_cloudwatch_log_group.name": NameRule(
        "CloudWatch Logs log group name",
        f"{_AWS}/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html",
        max_length=512,
        chars=f"{_ALNUM}._/#-",
        chars_text="letters, digits and ._/#-",
    ),
    "aws_cloudwatch_metric_alarm.alarm_name": NameRule(
        "CloudWatch alarm name",
        # "The name must contain only UTF-8 characters, and can't contain ASCII control characters"
        f"{_AWS}/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html",
        max_length=255,
        chars=r"^\x00-\x1f\x7f",
        chars_text="characters other than ASCII control characters",
    ),
    "aws_cloudwatch_dashboard.dashboard_name": NameRule(
        "CloudWatch dashboard name",
        f"{_AWS}/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html",
        max_length=255,
        chars=f"{_ALNUM}_-",
        chars_text="letters, digits, '-' and '_'",
    ),
    "aws_sns_topic.name": NameRule(
        "SNS topic name",
        f"{_AWS}/sns/latest/api/API_CreateTopic.html",
        max_length=256,
        chars=f"{_ALNUM}_-",
        chars_text="letters, digits, '-' and '_'",
    ),
    "aws_sqs_queue.name": NameRule(
        "SQS queue name",
        f"{_AWS}/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html",
        max_length=80,
        chars=f"{_ALNUM}_-",
        chars_text="letters, digits, '-' and '_'",
    ),
    "aws_kms_alias.name": NameRule(
        "KMS alias name",
        f"{_AWS}/kms/latest/APIReference/API_CreateAlias.html",
        min_length=7,
        max_length=256,
        chars=f"{_ALNUM}/_-",
        chars_text="letters, digits and /_-",
        extra=("alias_prefix", "alias_not_aws"),
    ),
    "aws_backup_vault.name": NameRule(
        "AWS Backup vault name",
        f"{_AWS}/aws-backup/latest/devguide/API_CreateBackupVault.html",
        min_length=2,
        max_length=50,
        chars=f"{_ALNUM}_-",
        chars_text="letters, digits, '-' and '_'",
    ),
    "aws_backup_plan.name": NameRule(
        "AWS Backup plan name",
        f"{_AWS}/aws-backup/latest/devguide/API_BackupPlanInput.html",
        max_length=50,
        chars=f"{_ALNUM}_.-",
        chars_text="letters, digits and -_.",
    ),
    "aws_backup_selection.name": NameRule(
        "AWS Backup selection name",
        f"{_AWS}/aws-backup/latest/devguide/API_BackupSelection.html",
        max_length=50,
        chars=f"{_ALNUM}_.-",
        chars_text="letters, digits and -_.",
    ),
    "aws_wafv2_web_acl.name": NameRule(
        "WAFv2 web ACL name",
        f"{_AWS}/waf/latest/APIReference/API_CreateWebACL.html",
        max_length=128,
        chars=r"\w-",
        chars_text="letters, digits, '-' and '_'",
    ),
    "aws_cloudwatch_event_rule.name": NameRule(
        "EventBridge rule name",
        f"{_AWS}/eventbridge/latest/APIReference/API_PutRule.html",
        max_length=64,
        chars=f"{_ALNUM}._-",
        chars_text="letters, digits and ._-",
    ),
    "aws_route53_health_check.reference_name": NameRule(
        "Route53 health check reference name",
        # CallerReference is at most 64 characters (API_CreateHealthCheck); the provider makes it
        # `<reference_name>-<36-character unique id>`, which leaves 27.
        f"{_AWS}/Route53/latest/APIReference/API_CreateHealthCheck.html",
        max_length=27,
        chars=r"\x20-\x7e",
        chars_text="printable ASCII characters",
    ),
    "aws_secretsmanager_secret.name": NameRule(
        "Secrets Manager secret name",
        f"{_AWS}/secretsmanager/latest/apireference/API_CreateSecret.html",
        max_length=512,
        chars=f"{_ALNUM}/_+=.@-",
        chars_text="letters, digits and /_+=.@-",
    ),
    "aws_security_group.name": NameRule(
        "security group name",
        f"{_AWS}/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html",
        max_length=255,
        chars=f"{_ALNUM}" + r" ._\-:/()#,@\[\]+=&;{}!$*",
        chars_text="letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*",
        reserved_prefixes=("sg-",),
    ),
    "aws_launch_template.name": NameRule(
        "launch template name",
        f"{_AWS}/AWSEC2/latest/APIReference/API_CreateLaunchTemplate.html",
        min_length=3,
        max_length=128,
        chars=f"{_ALNUM}()./_-",
        chars_text="letters, digits and ()./_-",
    ),
    "aws_autoscaling_group.name": NameRule(
        "Auto Scaling group name",
        # "any ASCII character 33 to 126 ... You cannot use a colon (:) in the name."
        f"{_AWS}/autoscaling/ec2/APIReference/API_CreateAutoScalingGroup.html",
        max_length=255,
        chars=r"\x21-\x39\x3b-\x7e",
        chars_text="ASCII characters 33 to 126 other than ':'",
    ),
    "aws_autoscaling_policy.name": NameRule(
        "scaling policy name",
        f"{_AWS}/autoscaling/ec2/APIReference/API_PutScalingPolicy.html",
        max_length=255,
        chars=r"\x20-\x7e",
        chars_text="printable ASCII characters",
    ),
}


# Words RDS refuses as the master user name ("MasterUsername ... cannot be used as it is a reserved word used by
# the engine"; CreateDBCluster: "Can't be a reserved word for the chosen database engine",
# https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBCluster.html). rdsadmin is RDS's own
# management user on every engine; on PostgreSQL `admin` is refused, as are the words PostgreSQL reserves
# (SQL key words marked "reserved", https://www.postgresql.org/docs/current/sql-keywords-appendix.html), the
# role names it reserves (`public`, `none`, ...) and the `pg_` role prefix
# (https://www.postgresql.org/docs/current/role-membership.html), and RDS's own `rds*` roles
# (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Appendix.PostgreSQL.CommonDBATasks.Roles.html).
_ANY_ENGINE_RESERVED = frozenset({"rdsadmin"})
_POSTGRES_RESERVED = frozenset(
    {
        "admin",
        "all",
        "analyse",
        "analyze",
        "and",
        "any",
        "array",
        "as",
        "asc",
        "asymmetric",
        "both",
        "case",
        "cast",
        "check",
        "collate",
        "column",
        "constraint",
        "create",
        "current_catalog",
        "current_date",
        "current_role",
        "current_time",
        "current_timestamp",
        "current_user",
        "default",
        "deferrable",
        "desc",
        "distinct",
        "do",
        "else",
        "end",
        "except",
        "false",
        "fetch",
        "for",
        "foreign",
        "from",
        "grant",
        "group",
        "having",
        "in",
        "initially",
        "intersect",
        "into",
        "lateral",
        "leading",
        "limit",
        "localtime",
        "localtimestamp",
        "none",
        "not",
        "null",
        "offset",
        "on",
        "only",
        "or",
        "order",
        "placing",
        "primary",
        "public",
        "references",
        "returning",
        "select",
        "session_user",
        "some",
        "symmetric",
        "system_user",
        "table",
        "then",
        "to",
        "trailing",
        "true",
        "union",
        "unique",
        "user",
        "using",
        "variadic",
        "when",
        "where",
        "window",
        "with",
    }
)


def reserved_master_username(engine: str, username: str) -> str | None:
    """Why RDS refuses ``username`` as the master user of ``engine``, or None when it is not reserved."""
    lowered = username.lower()
    if lowered in _ANY_ENGINE_RESERVED:
        return "rdsadmin is the RDS management user on every engine"
    if engine != "aurora-postgresql":
        return None
    if lowered in _POSTGRES_RESERVED:
        return "aurora-postgresql refuses PostgreSQL reserved words and 'admin' as the master user name"
    if lowered.startswith("pg_"):
        return "PostgreSQL reserves role names starting with 'pg_'"
    if lowered.startswith("rds"):
        return "RDS reserves role names starting with 'rds' on aurora-postgresql (rds_superuser, rdsadmin, ...)"
    return None


# Words RDS refuses as the initial database name (CreateDBCluster DatabaseName / CreateDBInstance DBName: "Can't be
# a word reserved by the database engine", https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html).
# MySQL: the words MySQL 8.0 marks reserved (R) (https://dev.mysql.com/doc/refman/8.0/en/keywords.html) and the
# system schemas that already exist. PostgreSQL: its reserved key words (as for user names) and the databases
# every Aurora PostgreSQL cluster already has (template0, template1, rdsadmin).
_MYSQL_RESERVED = frozenset(
    [
        "accessible",
        "add",
        "all",
        "alter",
        "analyze",
        "and",
        "as",
        "asc",
        "asensitive",
        "before",
        "between",
        "bigint",
        "binary",
        "blob",
        "both",
        "by",
        "call",
        "cascade",
        "case",
        "change",
        "char",
        "character",
        "check",
        "collate",
        "column",
        "condition",
        "constraint",
        "continue",
        "convert",
        "create",
        "cross",
        "cube",
        "cume_dist",
        "current_date",
        "current_time",
        "current_timestamp",
        "current_user",
        "cursor",
        "database",
        "databases",
        "day_hour",
        "day_microsecond",
        "day_minute",
        "day_second",
        "dec",
        "decimal",
        "declare",
        "default",
        "delayed",
        "delete",
        "dense_rank",
        "desc",
        "describe",
        "deterministic",
        "distinct",
        "distinctrow",
        "div",
        "double",
        "drop",
        "dual",
        "each",
        "else",
        "elseif",
        "empty",
        "enclosed",
        "escaped",
        "except",
        "exists",
        "exit",
        "explain",
        "false",
        "fetch",
        "first_value",
        "float",
        "float4",
        "float8",
        "for",
        "force",
        "foreign",
        "from",
        "fulltext",
        "function",
        "generated",
        "get",
        "grant",
        "group",
        "grouping",
        "groups",
        "having",
        "high_priority",
        "hour_microsecond",
        "hour_minute",
        "hour_second",
        "if",
        "ignore",
        "in",
        "index",
        "infile",
        "inner",
        "inout",
        "insensitive",
        "insert",
        "int",
        "int1",
        "int2",
        "int3",
        "int4",
        "int8",
        "integer",
        "intersect",
        "interval",
        "into",
        "io_after_gtids",
        "io_before_gtids",
        "is",
        "iterate",
        "join",
        "json_table",
        "key",
        "keys",
        "kill",
        "lag",
        "last_value",
        "lateral",
        "lead",
        "leading",
        "leave",
        "left",
        "like",
        "limit",
        "linear",
        "lines",
        "load",
        "localtime",
        "localtimestamp",
        "lock",
        "long",
        "longblob",
        "longtext",
        "loop",
        "low_priority",
        "master_bind",
        "master_ssl_verify_server_cert",
        "match",
        "maxvalue",
        "mediumblob",
        "mediumint",
        "mediumtext",
        "middleint",
        "minute_microsecond",
        "minute_second",
        "mod",
        "modifies",
        "natural",
        "not",
        "no_write_to_binlog",
        "nth_value",
        "ntile",
        "null",
        "numeric",
        "of",
        "on",
        "optimize",
        "optimizer_costs",
        "option",
        "optionally",
        "or",
        "order",
        "out",
        "outer",
        "outfile",
        "over",
        "partition",
        "percent_rank",
        "precision",
        "primary",
        "procedure",
        "purge",
        "range",
        "rank",
        "read",
        "reads",
        "read_write",
        "real",
        "recursive",
        "references",
        "regexp",
        "release",
        "rename",
        "repeat",
        "replace",
        "require",
        "resignal",
        "restrict",
        "return",
        "revoke",
        "right",
        "rlike",
        "row",
        "row_number",
        "rows",
        "schema",
        "schemas",
        "second_microsecond",
        "select",
        "sensitive",
        "separator",
        "set",
        "show",
        "signal",
        "smallint",
        "spatial",
        "specific",
        "sql",
        "sqlexception",
        "sqlstate",
        "sqlwarning",
        "sql_big_result",
        "sql_calc_found_rows",
        "sql_small_result",
        "ssl",
        "starting",
        "stored",
        "straight_join",
        "system",
        "table",
        "terminated",
        "then",
        "tinyblob",
        "tinyint",
        "tinytext",
        "to",
        "trailing",
        "trigger",
        "true",
        "undo",
        "union",
        "unique",
        "unlock",
        "unsigned",
        "update",
        "usage",
        "use",
        "using",
        "utc_date",
        "utc_time",
        "utc_timestamp",
        "values",
        "varbinary",
        "varchar",
        "varcharacter",
        "varying",
        "virtual",
        "when",
        "where",
        "while",
        "window",
        "with",
        "write",
        "xor",
        "year_month",
        "zerofill",
    ]
) | {"mysql", "information_schema", "performance_schema", "sys"}
_POSTGRES_RESERVED_DATABASES = (_POSTGRES_RESERVED - {"admin"}) | {"template0", "template1", "rdsadmin"}


def reserved_database_name(engine: str, name: str) -> str | None:
    """Why RDS refuses ``name`` as the initial database of ``engine``, or None when it is not reserved."""
    lowered = name.lower()
    if engine == "aurora-mysql" and lowered in _MYSQL_RESERVED:
        return "MySQL reserves it (a reserved word or a system schema)"
    if engine == "aurora-postgresql" and lowered in _POSTGRES_RESERVED_DATABASES:
        return "PostgreSQL reserves it (a reserved key word, or a database every cluster already has)"
    return None


def _messages(setting: str, value: str, named: list[tuple[str, str]]) -> list[str]:
    """One message per problem: the setting, its value, the first name with the problem and how many more."""
    grouped: dict[str, list[tuple[str, str]]] = {}
    for kind, name in named:
        for problem in RULES[kind].problems(name):
            grouped.setdefault(problem, []).append((kind, name))
    messages = []
    for problem, found in grouped.items():
        kind, name = found[0]
        more = f" (and {len(found) - 1} more names)" if len(found) > 1 else ""
        messages.append(
            f"setting {setting} must give names AWS accepts, got {value!r}: {RULES[kind].kind} {name!r}{more} "
            f"{problem} ({RULES[kind].doc})"
        )
    return messages


def name_problems(project_name: str, environment: str, resource_suffix: str, *, state_bucket: str = "") -> list[str]:
    """What AWS would refuse among the names derived from the project name (everything but a configured state
    bucket or lock table, which their own settings' rules check)."""
    prefix = name_prefix(project_name, environment, resource_suffix)
    configured = {state_bucket, state_replica_bucket_name(state_bucket)} if state_bucket else set()
    named = [
        (kind, name)
        for kind, name in derived_names(prefix, state_bucket=state_bucket)
        if not (kind == "aws_s3_bucket.bucket" and name in configured)
    ]
    return _messages("project_name", project_name, named)


def state_bucket_problems(state_bucket: str) -> list[str]:
    """What AWS would refuse in the replica bucket named after a configured (and itself valid) state bucket."""
    return _messages("state_bucket", state_bucket, [("aws_s3_bucket.bucket", state_replica_bucket_name(state_bucket))])
