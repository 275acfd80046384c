"""Every AWS name the stacks create: how it is derived, the rule AWS applies to its kind, and the shortening of
names over a length limit.

Names are derived in one place: the names objects (``RegionNames(prefix, role)`` for a region's resources,
``StackNames(prefix)`` for the DR stack, ``LambdaNames(function)`` for a function and what comes with it,
``StateNames`` for the bootstrap stack), whose properties and methods are marked with ``creates(kind)``. The
stacks hand each construct its names object or the name strings it needs, and no construct builds a name of its
own; ``derived_names`` (and so settings validation, ``name_problems``) lists the entries of the same objects. To
add a name, add a marked property (or a method with the arguments of every name it can give) to the names object
of its scope and take it from there in the construct: validation then checks it. ``__tests__/synth/test_names.py``
checks that every name in the synthesized JSON is listed, that every member of a names object is a marked name,
and the names against AWS's documented rules.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from dr_stack.contract import contract

Role = Literal["primary", "secondary"]
TableAccess = Literal["rw", "read"]
ROLES: tuple[Role, ...] = ("primary", "secondary")
# Aurora: up to 16 instances per cluster (settings allow 1-16), named <cluster>-<n>.
MAX_INSTANCES = 16
# Length of the hash that replaces the cut part of an over-long name: 8 hex digits (32 bits).
HASH_LENGTH = 8
# Stands in for the 12-digit account id (a Terraform reference at synth) when lengths are checked.
ACCOUNT_ID_PLACEHOLDER = "123456789012"
# Load balancer and target group names: at most 32 characters.
ELB_NAME_LIMIT = 32
# Every log type either Aurora engine exports (aurora-mysql: audit, error, general, slowquery; aurora-postgresql:
# postgresql), each to a log group the stack creates.
DB_LOG_TYPES = ("audit", "error", "general", "slowquery", "postgresql")
# The writer metrics each cluster alarms on, and the global database's lag metrics (alarmed in the secondary).
DB_WRITER_ALARM_METRICS = ("CPUUtilization", "FreeableMemory")
DB_LAG_ALARM_METRICS = ("AuroraGlobalDBReplicationLag", "AuroraGlobalDBRPOLag")
# WAF delivers logs only to log groups whose name starts with this.
WAF_LOG_GROUP_PREFIX = "aws-waf-logs-"


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


# ----- derivations: one function or names-object entry per name the constructs create -----
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


def table_policy_name(table: str, access: TableAccess, role: Role) -> str:
    """Inline policy that grants a role ``access`` to one region's copy of the DynamoDB table ``table``."""
    return f"{table}-{access}-{role}"


def stack_names(prefix: str) -> tuple[str, str]:
    """Names of the bootstrap and DR stacks (cdktf.out/stacks/<name>, and HCP Terraform workspaces)."""
    return f"{prefix}-bootstrap", f"{prefix}-dr"


def workspace_name(workspace_prefix: str, stack_name: str) -> str:
    """HCP Terraform / Terraform Enterprise workspace of a stack: ``<prefix>-<stack>``, or the stack name alone."""
    return f"{workspace_prefix}-{stack_name}" if workspace_prefix else stack_name


# ----- names objects: every name of a region, of the DR stack and of the bootstrap stack -----
_Derivation = TypeVar("_Derivation", bound=Callable[..., str])
_KIND = "resource_name_kind"
_ARGUMENTS = "resource_name_arguments"


def creates(kind: str, *arguments: tuple[Any, ...]) -> Callable[[_Derivation], _Derivation]:
    """Mark a derivation of a names object as the name of a resource of ``kind`` (Terraform resource
    type.attribute, a key of RULES). A method lists in ``arguments`` the arguments of every name the stacks can
    create with it (a property takes none). ``NamesObject.entries()`` lists what the marked derivations give."""

    def mark(derivation: _Derivation) -> _Derivation:
        derivation.__dict__[_KIND] = kind
        derivation.__dict__[_ARGUMENTS] = arguments or ((),)
        return derivation

    return mark


def _derivation(member: object) -> Any:
    """The function behind a class member: a property's getter, or the member itself."""
    return member.fget if isinstance(member, property) else member


def marked_kind(member: object) -> str | None:
    """The kind ``creates`` marked a names object's property or method with, None when it is not a name."""
    kind = getattr(_derivation(member), "__dict__", {}).get(_KIND)
    return kind if isinstance(kind, str) else None


class NamesObject:
    """Base of the names objects: ``entries()`` is every (kind, name) their marked derivations give, and those of
    the names objects their other properties return, so settings validation checks what the constructs create."""

    def entries(self) -> list[tuple[str, str]]:
        """(resource type.attribute, name) of every name this object derives."""
        found: list[tuple[str, str]] = []
        for member in vars(type(self)).values():
            kind, derive = marked_kind(member), _derivation(member)
            if kind is not None:
                found += [(kind, derive(self, *arguments)) for arguments in derive.__dict__[_ARGUMENTS]]
            elif isinstance(member, property) and isinstance(group := derive(self), NamesObject):
                found += group.entries()
        return found


@dataclass(frozen=True)
class LambdaNames(NamesObject):
    """A Lambda function and what RegionalLambda makes for it: log group, dead-letter queue, role and alarms."""

    function: str

    @property
    @creates("aws_lambda_function.function_name")
    def function_name(self) -> str:
        """The function."""
        return self.function

    @property
    @creates("aws_cloudwatch_log_group.name")
    def log_group(self) -> str:
        """Its log group (the name Lambda logs to by default)."""
        return f"/aws/lambda/{self.function}"

    @property
    @creates("aws_sqs_queue.name")
    def dead_letter_queue(self) -> str:
        """Queue of the asynchronous events it gave up on."""
        return f"{self.function}-dlq"

    @property
    @creates("aws_iam_role.name")
    def role(self) -> str:
        """Its execution role."""
        return f"{self.function}-role"

    @property
    @creates("aws_cloudwatch_metric_alarm.alarm_name")
    def errors_alarm(self) -> str:
        """Alarm on any failed invocation."""
        return f"{self.function}-errors"

    @property
    @creates("aws_cloudwatch_metric_alarm.alarm_name")
    def dead_letter_alarm(self) -> str:
        """Alarm on a message left in its dead-letter queue."""
        return f"{self.function}-dead-letters"


@dataclass(frozen=True)
class RegionNames(NamesObject):
    """Every name of one region's resources in the DR stack (``role``'s region)."""

    prefix: str
    role: Role

    @property
    def regional(self) -> str:
        """``<prefix>-<role>``: the base of the region's names, Name tags and descriptions (not itself a name)."""
        return regional_name(self.prefix, self.role)

    # foundation
    @property
    @creates("aws_kms_alias.name")
    def key_alias(self) -> str:
        """Alias of the region's data key."""
        return f"alias/{self.regional}"

    @property
    @creates("aws_sns_topic.name")
    def alarm_topic(self) -> str:
        """The region's alarm topic."""
        return f"{self.regional}-alarms"

    @property
    @creates("aws_cloudwatch_log_group.name")
    def flow_log_group(self) -> str:
        """Log group of the VPC's flow logs."""
        return f"/aws/vpc/{self.regional}/flow-logs"

    @property
    @creates("aws_iam_role.name")
    def flow_log_role(self) -> str:
        """Role VPC Flow Logs assumes to write them."""
        return f"{self.regional}-vpc-flow-logs"

    # database
    @property
    @creates("aws_rds_cluster.cluster_identifier")
    def db_cluster(self) -> str:
        """The region's Aurora cluster."""
        return self.regional

    @property
    @creates("aws_rds_cluster.final_snapshot_identifier")
    def db_final_snapshot(self) -> str:
        """Snapshot RDS takes when the cluster is deleted (stable: no timestamp)."""
        return f"{self.db_cluster}-final"

    @creates("aws_rds_cluster_instance.identifier", *((number,) for number in range(1, MAX_INSTANCES + 1)))
    def db_instance(self, number: int) -> str:
        """The cluster's ``number``-th instance (from 1). dr_cluster_spec places the instances under these names
        (it is Lambda code and cannot import this module; test_names checks the synthesized identifiers)."""
        return f"{self.db_cluster}-{number}"

    @property
    @creates("aws_db_subnet_group.name")
    def db_subnet_group(self) -> str:
        """Subnet group of the cluster."""
        return self.db_cluster

    @property
    @creates("aws_security_group.name")
    def db_security_group(self) -> str:
        """Security group of the cluster."""
        return f"{self.db_cluster}-db"

    @property
    @creates("aws_rds_cluster_parameter_group.name")
    def db_cluster_parameter_group(self) -> str:
        """Cluster parameter group."""
        return f"{self.db_cluster}-cluster"

    @property
    @creates("aws_db_parameter_group.name")
    def db_instance_parameter_group(self) -> str:
        """Instance parameter group."""
        return f"{self.db_cluster}-instance"

    @property
    @creates("aws_iam_role.name")
    def db_monitoring_role(self) -> str:
        """Role of Enhanced Monitoring."""
        return f"{self.db_cluster}-rds-monitoring"

    @creates("aws_cloudwatch_log_group.name", *((log_type,) for log_type in DB_LOG_TYPES))
    def db_log_group(self, log_type: str) -> str:
        """The group Aurora exports ``log_type`` to (RDS chooses the name; the stack creates it first)."""
        return f"/aws/rds/cluster/{self.db_cluster}/{log_type}"

    @creates("aws_cloudwatch_metric_alarm.alarm_name", *((metric,) for metric in DB_WRITER_ALARM_METRICS))
    def db_writer_alarm(self, metric: str) -> str:
        """Alarm on the cluster writer's ``metric`` (the primary's name predates the per-region alarms)."""
        infix = "" if self.role == "primary" else f"{self.role}-"
        return f"{self.prefix}-{infix}db-writer-{metric}"

    @property
    @creates("aws_iam_role_policy.name")
    def db_connect_policy(self) -> str:
        """Policy letting the app connect to the cluster with IAM database authentication."""
        return f"{self.prefix}-db-connect-{self.role}"

    @property
    @creates("aws_iam_role_policy.name")
    def db_secret_read_policy(self) -> str:
        """Policy letting a role read the region's copy of the master secret."""
        return f"{self.prefix}-read-db-secret-{self.role}"

    @property
    @creates("aws_iam_role_policy.name")
    def app_state_read_write_policy(self) -> str:
        """The app's policy on the region's copy of the app state table."""
        return table_policy_name(StackNames(self.prefix).app_state_table, "rw", self.role)

    @property
    @creates("aws_iam_role_policy.name")
    def app_state_read_policy(self) -> str:
        """A read-only policy on the region's copy of the app state table."""
        return table_policy_name(StackNames(self.prefix).app_state_table, "read", self.role)

    @property
    @creates("aws_iam_role_policy.name")
    def failover_state_read_write_policy(self) -> str:
        """A policy on the region's copy of the failover state table."""
        return table_policy_name(StackNames(self.prefix).failover_state_table, "rw", self.role)

    @property
    @creates("aws_iam_role_policy.name")
    def failover_state_read_policy(self) -> str:
        """A read-only policy on the region's copy of the failover state table."""
        return table_policy_name(StackNames(self.prefix).failover_state_table, "read", self.role)

    @property
    @creates("aws_backup_vault.name")
    def backup_vault(self) -> str:
        """AWS Backup vault of the region."""
        return self.regional

    @property
    @creates("aws_backup_plan.name")
    def backup_plan(self) -> str:
        """Daily plan of the region's cluster (at most 50 characters; the primary's name predates the secondary's)."""
        return f"{self.prefix}-database" if self.role == "primary" else f"{self.regional}-db"

    @property
    @creates("aws_backup_selection.name")
    def backup_selection(self) -> str:
        """Selection of the region's cluster in its plan."""
        return f"{self.prefix}-primary-cluster" if self.role == "primary" else f"{self.regional}-db"

    # app tier
    @property
    @creates("aws_security_group.name")
    def alb_security_group(self) -> str:
        """Security group of the load balancer."""
        return f"{self.regional}-alb"

    @property
    @creates("aws_security_group.name")
    def app_security_group(self) -> str:
        """Security group of the app instances."""
        return f"{self.regional}-app"

    @creates("aws_s3_bucket.bucket", (ACCOUNT_ID_PLACEHOLDER,))
    def alb_log_bucket(self, account_id: str) -> str:
        """Bucket of the load balancer's access logs in account ``account_id`` (at synth, a reference)."""
        return f"{self.regional}-alb-{account_id}"

    @property
    @creates("aws_lb.name")
    def load_balancer(self) -> str:
        """The region's Application Load Balancer."""
        return load_balancer_name(self.regional)

    @property
    @creates("aws_lb_target_group.name")
    def target_group(self) -> str:
        """Target group of the app instances."""
        return target_group_name(self.regional)

    @property
    @creates("aws_iam_role.name")
    def app_role(self) -> str:
        """Role of the app instances."""
        return f"{self.regional}-app"

    @property
    @creates("aws_iam_instance_profile.name")
    def app_instance_profile(self) -> str:
        """Instance profile of the app instances."""
        return f"{self.regional}-app"

    @property
    @creates("aws_launch_template.name")
    def launch_template(self) -> str:
        """Launch template of the app instances."""
        return f"{self.regional}-app"

    @property
    @creates("aws_autoscaling_group.name")
    def autoscaling_group(self) -> str:
        """Auto Scaling group of the app instances."""
        return f"{self.regional}-app"

    @property
    @creates("aws_autoscaling_policy.name")
    def scaling_policy(self) -> str:
        """Target-tracking CPU policy of the group."""
        return f"{self.regional}-app-cpu"

    @property
    @creates("aws_cloudwatch_metric_alarm.alarm_name")
    def alb_5xx_alarm(self) -> str:
        """Alarm on the load balancer's 5xx answers."""
        return f"{self.regional}-alb-5xx"

    @property
    @creates("aws_cloudwatch_metric_alarm.alarm_name")
    def unhealthy_hosts_alarm(self) -> str:
        """Alarm on unhealthy targets."""
        return f"{self.regional}-unhealthy-hosts"

    @property
    @creates("aws_cloudwatch_metric_alarm.alarm_name")
    def response_time_alarm(self) -> str:
        """Alarm on the targets' response time."""
        return f"{self.regional}-response-time"

    @property
    @creates("aws_cloudwatch_metric_alarm.alarm_name")
    def in_service_alarm(self) -> str:
        """Alarm on the group's instances in service."""
        return f"{self.regional}-app-in-service"

    # traffic
    @property
    @creates("aws_wafv2_web_acl.name")
    def web_acl(self) -> str:
        """WAF web ACL of the load balancer."""
        return self.regional

    @property
    @creates("aws_cloudwatch_log_group.name")
    def waf_log_group(self) -> str:
        """Log group of the web ACL (WAF logs only to groups named ``aws-waf-logs-...``)."""
        return f"{WAF_LOG_GROUP_PREFIX}{self.regional}"

    @property
    @creates("aws_route53_health_check.reference_name")
    def alb_health_check_reference(self) -> str:
        """Reference name of the Route53 health check on the load balancer."""
        return f"{self.role}-alb"

    @property
    @creates("aws_cloudwatch_metric_alarm.alarm_name")
    def alb_health_check_alarm(self) -> str:
        """Alarm (in us-east-1) on that health check."""
        return f"{self.regional}-alb-health-check"

    # failover and recovery
    @property
    def orchestrator(self) -> LambdaNames:
        """The orchestrator that promotes this region."""
        return LambdaNames(f"{self.regional}-failover")

    @property
    @creates("aws_cloudwatch_event_rule.name")
    def readiness_rule(self) -> str:
        """Schedule of the orchestrator's readiness check."""
        return f"{self.regional}-readiness"

    @property
    @creates("aws_cloudwatch_metric_alarm.alarm_name")
    def not_ready_alarm(self) -> str:
        """Alarm when the region is not ready to be promoted."""
        return f"{self.regional}-not-ready"

    @property
    @creates("aws_iam_role_policy.name")
    def readiness_checks_policy(self) -> str:
        """The orchestrator's policy for its readiness checks."""
        return "readiness-checks"

    @property
    @creates("aws_iam_role_policy.name")
    def recovery_operations_policy(self) -> str:
        """The orchestrator's policy for re-protect and capacity matching."""
        return "recovery-operations"

    @creates("aws_s3_bucket.bucket", (ACCOUNT_ID_PLACEHOLDER,))
    def run_report_bucket(self, account_id: str) -> str:
        """Bucket of the orchestrator's run reports in account ``account_id`` (at most 34 + 28 = 62 characters)."""
        return f"{self.regional}-runs-{account_id}"

    @property
    @creates("aws_iam_role_policy.name")
    def run_reports_policy(self) -> str:
        """The orchestrator's policy to write its run reports."""
        return "write-run-reports"


@dataclass(frozen=True)
class StackNames(NamesObject):
    """Every name of the DR stack: its regions' (``region``) and those of the cross-region resources."""

    prefix: str

    def region(self, role: Role) -> RegionNames:
        """The names of ``role``'s region."""
        return RegionNames(self.prefix, role)

    def entries(self) -> list[tuple[str, str]]:
        """The stack's own names and both regions'."""
        return [*super().entries(), *(entry for role in ROLES for entry in self.region(role).entries())]

    @property
    @creates("aws_rds_global_cluster.global_cluster_identifier")
    def global_cluster(self) -> str:
        """The Aurora global cluster."""
        return global_cluster_identifier(self.prefix)

    @creates("aws_cloudwatch_metric_alarm.alarm_name", *((metric,) for metric in DB_LAG_ALARM_METRICS))
    def lag_alarm(self, metric: str) -> str:
        """Alarm on the global database's lag ``metric`` (in the secondary region)."""
        return f"{self.prefix}-db-{metric}"

    @property
    @creates("aws_secretsmanager_secret.name")
    def db_secret(self) -> str:
        """The master credentials' secret (and its replica, of the same name)."""
        return f"{self.prefix}-db-master"

    @property
    @creates("aws_dynamodb_table.name")
    def app_state_table(self) -> str:
        """Global table of the app's state and sessions."""
        return f"{self.prefix}-app-state"

    @property
    @creates("aws_dynamodb_table.name")
    def failover_state_table(self) -> str:
        """Global table of the orchestrators' locks and journal (the function derives it: dr_contract)."""
        return f"{self.prefix}{contract.STATE_TABLE_NAME_SUFFIX}"

    @property
    @creates("aws_iam_role.name")
    def backup_role(self) -> str:
        """Role AWS Backup assumes to back up and copy."""
        return f"{self.prefix}-aws-backup"

    @property
    @creates("aws_iam_role.name")
    def backup_break_glass_role(self) -> str:
        """The one role the vaults let delete recovery points; the stack names it, an operator creates it."""
        return f"{self.prefix}-backup-break-glass"

    @property
    @creates("aws_cloudwatch_dashboard.dashboard_name")
    def dashboard(self) -> str:
        """The DR dashboard."""
        return f"{self.prefix}-dr"

    @property
    @creates("aws_kms_alias.name")
    def route53_alarm_key_alias(self) -> str:
        """Alias of the key of the us-east-1 alarm topic (made when neither region is us-east-1)."""
        return f"alias/{self.prefix}-route53-alarms"

    @property
    @creates("aws_sns_topic.name")
    def route53_alarm_topic(self) -> str:
        """Alarm topic in us-east-1 for the Route53 health-check alarms (made when neither region is us-east-1)."""
        return f"{self.prefix}-route53-alarms"

    @property
    @creates("aws_cloudwatch_metric_alarm.alarm_name")
    def traffic_switch_alarm(self) -> str:
        """Alarm on the traffic switch metric (primary fenced)."""
        return f"{self.prefix}-traffic-switch-primary-fenced"

    @property
    @creates("aws_route53_health_check.reference_name")
    def traffic_switch_health_check_reference(self) -> str:
        """Reference name of the health check on the traffic switch alarm."""
        return "traffic-switch"

    @property
    @creates("aws_route53_health_check.reference_name")
    def in_service_health_check_reference(self) -> str:
        """Reference name of the calculated health check of the primary serving."""
        return "primary-in-service"

    @property
    @creates("aws_cloudwatch_metric_alarm.alarm_name")
    def in_service_health_check_alarm(self) -> str:
        """Alarm (in us-east-1) on the calculated health check."""
        return f"{self.prefix}-primary-in-service-health-check"

    @property
    @creates("aws_iam_role_policy.name")
    def switch_publishing_denial_policy(self) -> str:
        """Policy denying a role any publishing into the traffic switch's namespace."""
        return "never-publish-traffic-switch"

    @property
    def switch_keeper(self) -> LambdaNames:
        """The function that re-publishes the traffic switch."""
        return LambdaNames(f"{self.prefix}-switch-keeper")

    @property
    @creates("aws_cloudwatch_event_rule.name")
    def switch_keeper_schedule(self) -> str:
        """Schedule of the switch keeper."""
        return f"{self.switch_keeper.function}-schedule"

    @property
    def primary_probe(self) -> LambdaNames:
        """The function that probes the primary from the secondary region (automatic failover)."""
        return LambdaNames(f"{self.prefix}-primary-probe")

    @property
    @creates("aws_cloudwatch_event_rule.name")
    def primary_probe_schedule(self) -> str:
        """Schedule of the probe."""
        return f"{self.primary_probe.function}-schedule"

    @property
    @creates("aws_cloudwatch_metric_alarm.alarm_name")
    def primary_down_alarm(self) -> str:
        """The probe's alarm that triggers automatic failover."""
        return f"{self.prefix}-primary-region-down"

    @property
    @creates("aws_cloudwatch_metric_alarm.alarm_name")
    def probe_silent_alarm(self) -> str:
        """Alarm when the probe publishes nothing."""
        return f"{self.primary_probe.function}-silent"

    @property
    @creates("aws_cloudwatch_event_rule.name")
    def automatic_failover_rule(self) -> str:
        """Rule invoking the secondary orchestrator when the probe's alarm fires."""
        return f"{self.prefix}-automatic-failover"

    @property
    @creates("aws_cloudwatch_event_rule.name")
    def automatic_recheck_rule(self) -> str:
        """Schedule re-evaluating the probe's alarm while it stays in ALARM."""
        return f"{self.automatic_failover_rule}-recheck"


@dataclass(frozen=True)
class StateNames(NamesObject):
    """Every name of the bootstrap stack; ``configured_bucket``/``configured_lock_table``: the settings (empty:
    derived from the prefix)."""

    prefix: str
    configured_bucket: str = ""
    configured_lock_table: str = ""

    @property
    @creates("aws_s3_bucket.bucket")
    def bucket(self) -> str:
        """The state bucket."""
        return state_bucket_name(self.prefix, self.configured_bucket)

    @property
    @creates("aws_s3_bucket.bucket")
    def replica_bucket(self) -> str:
        """Its copy in the other region."""
        return state_replica_bucket_name(self.bucket)

    @property
    @creates("aws_dynamodb_table.name")
    def lock_table(self) -> str:
        """The lock table."""
        return state_lock_table_name(self.prefix, self.configured_lock_table)

    @property
    @creates("aws_iam_role.name")
    def replication_role(self) -> str:
        """Role S3 assumes to replicate the bucket."""
        return state_replication_role_name(self.prefix)

    @creates("aws_kms_alias.name", *((role,) for role in ROLES))
    def key_alias(self, role: Role) -> str:
        """Alias of the state key in the bucket's region (primary) or the replica's (secondary)."""
        return f"alias/{self.prefix}-state-{role}"


def derived_names(prefix: str, *, state_bucket: str = "", state_lock_table: str = "") -> list[tuple[str, str]]:
    """(resource type.attribute, name) of every literal name both stacks can create (any instance count, domain,
    regions and failover options): the entries of their names objects. The S3 names carry ACCOUNT_ID_PLACEHOLDER
    where the account id goes. ``state_bucket``/``state_lock_table``: the configured names (empty: derived from
    the prefix)."""
    return [*StackNames(prefix).entries(), *StateNames(prefix, state_bucket, state_lock_table).entries()]


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
