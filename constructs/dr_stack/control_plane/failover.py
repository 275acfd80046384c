"""The failover orchestrator Lambda, one per region (each promotes its own region), and the automatic trigger."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cdktf import App, AssetType, TerraformAsset
from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import CloudwatchEventTarget
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import DataAwsIamPolicyDocumentStatement
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.lambda_function import (
    LambdaFunction,
    LambdaFunctionDeadLetterConfig,
    LambdaFunctionEnvironment,
    LambdaFunctionLoggingConfig,
    LambdaFunctionTracingConfig,
)
from cdktf_cdktf_provider_aws.lambda_function_event_invoke_config import LambdaFunctionEventInvokeConfig
from cdktf_cdktf_provider_aws.lambda_permission import LambdaPermission
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue

from constructs import Construct
from dr_stack.application.app_tier import AppTier, Capacity
from dr_stack.config.budget import SCHEDULE_SECONDS, schedule_rate
from dr_stack.contract import contract
from dr_stack.control_plane.iam import (
    GrantResources,
    attach_inline_policy,
    grant_statements,
    lambda_base_statements,
    trust_policy,
)
from dr_stack.control_plane.lambda_modules import LAMBDA_SOURCE
from dr_stack.control_plane.permissions import permissions
from dr_stack.control_plane.recovery import reprotect_cluster_spec
from dr_stack.data_tier.database import GlobalDatabase
from dr_stack.data_tier.state_table import GlobalTable
from dr_stack.foundation.keys import RegionalKey
from dr_stack.foundation.providers import ROLES, DrRole, RegionalProviders, dr_role, peer_of
from dr_stack.naming.names import LambdaNames, StackNames
from dr_stack.observability.monitoring import AlarmTopic
from dr_stack.observability.reports import RunReportBucket
from dr_stack.traffic.dns import DnsFailover, switch_publishing_denied

LAMBDA_RUNTIME = "python3.13"
ORCHESTRATOR_HANDLER = contract.ORCHESTRATOR_HANDLER
PROBE_HANDLER = contract.PROBE_HANDLER
PROBE_METRIC = contract.PROBE_METRIC
# Concurrent invocations each orchestrator may run (reserved, so it is also guaranteed): one run, plus room for
# `status`/`preflight` read by a person and the scheduled readiness run or automatic re-evaluation while it goes.
# With 1, those were throttled (HTTP 429, ReservedFunctionConcurrentInvocationLimitExceeded, botocore lambda
# model) for the whole run, and an operator's failover waited behind a readiness run. Runs stay one at a time in a
# region through the lease lock's conditional PutItem (atomic within one replica), not through this number.
ORCHESTRATOR_RESERVED_CONCURRENCY = 3
LEASE_MARGIN_SECONDS = contract.LEASE_MARGIN_SECONDS
# The switch keeper and the probe run once a minute (EventBridge's finest schedule rate); within a run the probe
# probes every probe_interval_seconds (high-resolution datapoints below 60 s, which drive EventBridge only: the
# switch metric keeps one-minute periods because Route53 accepts standard-resolution metrics only).
SCHEDULE_RATE = schedule_rate(SCHEDULE_SECONDS)
# A probe run probes for one schedule period and ends by the next run (its reserved concurrency is one).
PROBE_FUNCTION_TIMEOUT_SECONDS = SCHEDULE_SECONDS
STAGING_DIR = ".lambda-staging"
# A failed invocation of a failover-path function (an orchestrator run, the keeper's minute, the probe) is shown
# at once: Lambda publishes Errors per function every minute (Lambda Developer Guide, "Types of metrics for Lambda
# functions"), and one error is one too many on this path. The alarm clears when a minute passes without errors.
ERRORS_ALARM_PERIOD_SECONDS = 60
# A message in a dead-letter queue is an asynchronous event Lambda gave up on (a failover that crashed); it stays
# until a person handles it. SQS reports a queue's metrics only while the queue is active (SQS Developer Guide,
# "Available CloudWatch metrics for Amazon SQS"), so missing data keeps the alarm's state ("ignore"): the alarm
# stays in ALARM until the queue is seen empty. Five minutes: the period SQS queue-depth metrics are usually
# read at (aws-cdk's default for ApproximateNumberOfMessagesVisible, Maximum over 5 minutes).
DEAD_LETTER_ALARM_PERIOD_SECONDS = 300
# Lambda Developer Guide, "Lambda quotas": a function's environment variables take at most 4 KB in aggregate. The
# guide does not say how the size is counted; Lambda's refusal (InvalidParameterValueException, "... exceeded the 4KB
# limit. String measured: {...}") shows the variables as one JSON object, so the check counts that object's UTF-8
# bytes (keys, values, quotes, separators and escapes: at least the keys and values alone).
LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4096
# A reference (Terraform token) in an environment resolves, at deploy, to an ARN, a name, an id or an AZ of this
# stack: an IAM role ARN is at most 31 + 64 characters and the others are shorter, so each counts as 100.
RESOLVED_REFERENCE_BOUND = 100
_REFERENCE = re.compile(r"\$\{[^}]*\}")


def environment_size_bound(variables: Mapping[str, str]) -> int:
    """Bytes of the environment as Lambda measures it (one compact JSON object, UTF-8), each unresolved reference
    counted at its longest resolved length (RESOLVED_REFERENCE_BOUND)."""
    resolved = {key: _REFERENCE.sub("x" * RESOLVED_REFERENCE_BOUND, value) for key, value in variables.items()}
    return len(json.dumps(resolved, separators=(",", ":")).encode())


def check_environment_size(function_name: str, variables: Mapping[str, str]) -> None:
    """Refuse at synth an environment Lambda would refuse at deploy (over 4 KB), naming the function and its size."""
    size = environment_size_bound(variables)
    if size > LAMBDA_ENVIRONMENT_LIMIT_BYTES:
        raise ValueError(
            f"Lambda function {function_name}: its environment variables take up to {size} bytes (as one JSON object, "
            f"each reference at its longest), above Lambda's {LAMBDA_ENVIRONMENT_LIMIT_BYTES}-byte (4 KB) limit; "
            "shorten the settings that feed it (project_name, environment, resource_suffix)"
        )


def lambda_source_dir(outdir: str | Path) -> Path:
    """lambda_src copied into the synth output without caches: the asset hash changes only with the code.

    The copy lives under the app's own output directory (``cdk.out``/``cdktf.out`` or the test app's), so
    nothing is left in the system temp directory; each synth refreshes it.
    """
    staged = Path(outdir) / STAGING_DIR / "lambda_src"
    if staged.exists():
        shutil.rmtree(staged)
    shutil.copytree(LAMBDA_SOURCE, staged, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return staged


def _peer(role: str) -> DrRole:
    return peer_of(dr_role(role))


class RegionalLambda(Construct):
    """A Lambda with its role, KMS-encrypted log group and environment, DLQ and X-Ray tracing."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        provider: AwsProvider,
        key: RegionalKey,
        asset: TerraformAsset,
        names: LambdaNames,
        handler: str,
        environment: dict[str, str],
        reserved_concurrency: int,
        timeout: int,
        statements: Sequence[DataAwsIamPolicyDocumentStatement],
        alarm_topic_arn: str,
        log_retention_days: int,
    ) -> None:
        """``names.function_name`` runs ``handler`` from ``asset`` in the region of ``provider``; its log group,
        queue, role and alarms are named from ``names``. Its logs, queue and environment are encrypted with ``key``
        (of that region); ``statements`` add to the role's own needs (logs, tracing, dead letters, the key). Its
        errors and its dead-letter queue alarm to ``alarm_topic_arn`` (a topic of the same region).
        ``log_retention_days``: how long CloudWatch Logs keeps its logs."""
        super().__init__(scope, id_)
        function_name = names.function_name
        self.log_group = CloudwatchLogGroup(
            self,
            "log_group",
            provider=provider,
            name=names.log_group,
            retention_in_days=log_retention_days,
            kms_key_id=key.key_arn,
        )
        self.dead_letter_queue = SqsQueue(
            self,
            "dead_letter_queue",
            provider=provider,
            name=names.dead_letter_queue,
            kms_master_key_id=key.key_arn,
            message_retention_seconds=1_209_600,
        )
        self.role_name = names.role
        self.role = IamRole(
            self,
            "role",
            provider=provider,
            name=self.role_name,
            assume_role_policy=trust_policy(self, "trust", provider=provider, service="lambda.amazonaws.com"),
        )
        # The key policy names the role for what Lambda does with it: decrypt the environment, send to the
        # key-encrypted DLQ (Lambda Developer Guide, "Securing environment variables"; SQS Developer Guide, key
        # management: a producer needs kms:GenerateDataKey and kms:Decrypt).
        key.allow_use(
            self.role.arn, sid="FunctionEnvironmentThroughLambda", services=("lambda",), actions=("kms:Decrypt",)
        )
        key.allow_use(
            self.role.arn,
            sid="DeadLettersThroughSqs",
            services=("sqs",),
            actions=("kms:Decrypt", "kms:GenerateDataKey"),
        )
        base_statements = lambda_base_statements(
            GrantResources(
                region=key.region,
                log_group_arn=self.log_group.arn,
                dead_letter_queue_arn=self.dead_letter_queue.arn,
                key_arn=key.key_arn,
            )
        )
        self.policy = attach_inline_policy(
            self, "policy", provider=provider, grantee=self.role, statements=[*base_statements, *statements]
        )
        check_environment_size(function_name, environment)
        self.function = LambdaFunction(
            self,
            "function",
            provider=provider,
            function_name=function_name,
            role=self.role.arn,
            runtime=LAMBDA_RUNTIME,
            handler=handler,
            filename=asset.path,
            source_code_hash=asset.asset_hash,
            timeout=timeout,
            memory_size=256,
            reserved_concurrent_executions=reserved_concurrency,
            kms_key_arn=key.key_arn,
            environment=LambdaFunctionEnvironment(variables=environment),
            tracing_config=LambdaFunctionTracingConfig(mode="Active"),
            dead_letter_config=LambdaFunctionDeadLetterConfig(target_arn=self.dead_letter_queue.arn),
            logging_config=LambdaFunctionLoggingConfig(log_format="JSON", log_group=self.log_group.name),
            depends_on=[self.policy, self.log_group],
        )
        # An asynchronous invocation is not retried by Lambda: a failed failover goes to the DLQ and a person
        # (or the next alarm) re-invokes; the orchestrator resumes from its journal.
        LambdaFunctionEventInvokeConfig(
            self,
            "invoke_config",
            provider=provider,
            function_name=self.function.function_name,
            maximum_retry_attempts=contract.ASYNC_MAXIMUM_RETRY_ATTEMPTS,
            maximum_event_age_in_seconds=contract.ASYNC_MAXIMUM_EVENT_AGE_SECONDS,
        )

        self._alarms(provider, names, alarm_topic_arn)

    def _alarms(self, provider: AwsProvider, names: LambdaNames, alarm_topic_arn: str) -> None:
        """Any error of the function, and any message left in its dead-letter queue, notify the region's topic."""
        function_name = names.function_name
        self.errors_alarm = CloudwatchMetricAlarm(
            self,
            "errors_alarm",
            provider=provider,
            alarm_name=names.errors_alarm,
            alarm_description=f"{function_name} failed an invocation: read its log (a failover step may be undone)",
            namespace="AWS/Lambda",
            metric_name="Errors",
            dimensions={"FunctionName": self.function.function_name},
            statistic="Sum",
            period=ERRORS_ALARM_PERIOD_SECONDS,
            evaluation_periods=1,
            threshold=1,
            comparison_operator="GreaterThanOrEqualToThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=[alarm_topic_arn],
            ok_actions=[alarm_topic_arn],
        )
        self.dead_letter_alarm = CloudwatchMetricAlarm(
            self,
            "dead_letter_alarm",
            provider=provider,
            alarm_name=names.dead_letter_alarm,
            alarm_description=f"{function_name}: an asynchronous event failed for good and waits in "
            f"{names.dead_letter_queue} (re-invoke with it; the orchestrator resumes from its journal)",
            namespace="AWS/SQS",
            metric_name="ApproximateNumberOfMessagesVisible",
            dimensions={"QueueName": self.dead_letter_queue.name},
            statistic="Maximum",
            period=DEAD_LETTER_ALARM_PERIOD_SECONDS,
            evaluation_periods=1,
            threshold=1,
            comparison_operator="GreaterThanOrEqualToThreshold",
            treat_missing_data="ignore",
            alarm_actions=[alarm_topic_arn],
            ok_actions=[alarm_topic_arn],
        )

    @property
    def function_name(self) -> str:
        """Name of the function."""
        return self.function.function_name

    @property
    def function_arn(self) -> str:
        """ARN of the function."""
        return self.function.arn


@dataclass(frozen=True)
class FailoverProps:
    """What the orchestrators, the keeper and the automatic trigger are told (built from the settings by the stack)."""

    names: StackNames
    """Every function, rule and alarm name."""
    failover_capacity: Capacity
    """App capacity the promoted region is raised to (the primary role's)."""
    standby_capacity: Capacity
    """App capacity the region that stops serving keeps (the secondary role's min and desired)."""
    rpo_minutes: int
    """Recovery point objective the orchestrator reports against."""
    rto_minutes: int
    """Recovery time objective the orchestrator reports against."""
    promotion_timeout_seconds: int
    """Deadline of the promotion wait; the lock lease outlives it by LEASE_MARGIN_SECONDS."""
    fence_timeout_seconds: int
    """Total time a run gives the region it moves away from (standby scaling, reads), then goes on without it."""
    confirmation_timeout_seconds: int
    """Automatic failover: one deadline for the concurrent confirmation reads before anything is changed."""
    confirmation_lag_percent_of_rpo: int
    """Automatic failover: the secondary's global-database lag above this share of the RPO is a down signal."""
    automatic_min_interval_seconds: int
    """Least time between two automatic failovers."""
    probe_failure_periods: int
    """Failed probe datapoints (one per probe_interval_seconds) before the primary counts as down."""
    probe_interval_seconds: int
    """Seconds between probes; under 60 the probe publishes high-resolution datapoints and its alarms use it."""
    health_check_path: str
    """Path the probe requests on the primary ALB."""
    automatic: bool
    """False: no probe and no trigger, a person starts a failover. True: the probe's alarm invokes it."""
    probe_over_https: bool
    """True when the ALBs serve HTTPS (a domain is set): the probe then requests https://."""
    log_retention_days: int
    """How long CloudWatch Logs keeps the functions' logs."""
    failover_capacity_percent: int
    """Target ASG desired on promotion, as a percentage of the serving region's 24 h peak in service."""
    min_success_percent: int
    """Share of the target's desired capacity an unplanned failover needs in service."""
    serving_timeout_seconds: int
    """How long the target may take to serve (the budget's launch + health-check grace terms)."""
    match_database_capacity: bool
    """Give the promoted cluster the old writer's capacity."""


def setting_variables(props: FailoverProps) -> dict[str, str]:
    """The orchestrators' variables that come from settings alone (the same in both regions; names: dr_contract):
    a test loads them through dr_failover.config for many settings without a synth."""
    failover, standby = props.failover_capacity, props.standby_capacity
    return {
        contract.FAILOVER_CAPACITY_MIN: str(failover.minimum),
        contract.FAILOVER_CAPACITY_MAX: str(failover.maximum),
        contract.FAILOVER_CAPACITY_DESIRED: str(failover.desired),
        # The region that stops serving keeps the warm-standby capacity (the secondary role's min/desired).
        contract.STANDBY_MIN: str(standby.minimum),
        contract.STANDBY_DESIRED: str(standby.desired),
        contract.RPO_MINUTES: str(props.rpo_minutes),
        contract.RTO_MINUTES: str(props.rto_minutes),
        contract.PROMOTION_TIMEOUT_SECONDS: str(props.promotion_timeout_seconds),
        # The lease outlives the longest step (the promotion wait) by two minutes, so a crashed run
        # can be resumed soon after, never while a live run is still waiting.
        contract.LOCK_LEASE_SECONDS: str(props.promotion_timeout_seconds + LEASE_MARGIN_SECONDS),
        contract.FENCE_TIMEOUT_SECONDS: str(props.fence_timeout_seconds),
        contract.CONFIRMATION_TIMEOUT_SECONDS: str(props.confirmation_timeout_seconds),
        contract.CONFIRMATION_LAG_PERCENT_OF_RPO: str(props.confirmation_lag_percent_of_rpo),
        contract.AUTOMATIC_MIN_INTERVAL_SECONDS: str(props.automatic_min_interval_seconds),
        contract.PROBE_FAILURE_PERIODS: str(props.probe_failure_periods),
        contract.PROBE_INTERVAL_SECONDS: str(props.probe_interval_seconds),
        contract.FAILOVER_CAPACITY_PERCENT: str(props.failover_capacity_percent),
        contract.MIN_SUCCESS_PERCENT: str(props.min_success_percent),
        contract.SERVING_TIMEOUT_SECONDS: str(props.serving_timeout_seconds),
        contract.MATCH_DATABASE_CAPACITY: str(props.match_database_capacity).lower(),
    }


@dataclass(frozen=True)
class OrchestratorTargets:
    """What one region's orchestrator acts on (Terraform references in a synth, plain values in a test drill)."""

    global_cluster_id: str
    target_region: str
    target_cluster_arn: str
    peer_region: str
    peer_cluster_id: str
    target_asg_name: str
    peer_asg_name: str
    topic_arn: str
    state_table_name: str
    traffic_switch_region: str
    health_check_id: str
    target_group_arn: str
    reprotect_cluster_spec: str
    probe_alarm_name: str | None = None
    """The probe alarm the automatic re-evaluation reads; None: this orchestrator does not re-evaluate."""
    run_reports: tuple[str, str] | None = None
    """The bucket the run reports go to and the KMS key ARN they are encrypted with; None: no reports."""


def orchestrator_environment(props: FailoverProps, targets: OrchestratorTargets) -> dict[str, str]:
    """The whole environment of one orchestrator (names: dr_contract), built here only: the stack's construct and
    the test drill call this."""
    reports = (
        {contract.REPORT_BUCKET: targets.run_reports[0], contract.REPORT_KMS_KEY_ARN: targets.run_reports[1]}
        if targets.run_reports is not None
        else {}
    )
    return {
        contract.GLOBAL_CLUSTER_ID: targets.global_cluster_id,
        contract.TARGET_REGION: targets.target_region,
        # TARGET_CLUSTER_ID and PEER_CLUSTER_ARN are derived from these (dr_failover.config): Lambda allows
        # 4 KB for the whole environment.
        contract.TARGET_CLUSTER_ARN: targets.target_cluster_arn,
        contract.PEER_REGION: targets.peer_region,
        contract.PEER_CLUSTER_ID: targets.peer_cluster_id,
        contract.TARGET_ASG_NAME: targets.target_asg_name,
        contract.PEER_ASG_NAME: targets.peer_asg_name,
        **setting_variables(props),
        contract.TOPIC_ARN: targets.topic_arn,
        # The function derives the state table's name from GLOBAL_CLUSTER_ID when the stack made both.
        **(
            {}
            if contract.state_table_name_of(targets.global_cluster_id) == targets.state_table_name
            else {contract.STATE_TABLE_NAME: targets.state_table_name}
        ),
        # The metric names and namespaces are dr_contract's, which the function imports: not repeated here.
        contract.TRAFFIC_SWITCH_REGION: targets.traffic_switch_region,
        contract.HEALTH_CHECK_ID: targets.health_check_id,
        **({contract.PROBE_ALARM_NAME: targets.probe_alarm_name} if targets.probe_alarm_name is not None else {}),
        # Recovery operations: run reports, the target group it waits on, the spec it re-adds its cluster with.
        **reports,
        contract.TARGET_GROUP_ARN: targets.target_group_arn,
        contract.REPROTECT_CLUSTER_SPEC: targets.reprotect_cluster_spec,
    }


class FailoverOrchestrators(Construct):
    """One orchestrator per region, each promoting its own region; least-privilege IAM on the stack's ARNs."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        providers: RegionalProviders,
        keys: Mapping[DrRole, RegionalKey],
        topics: Mapping[DrRole, AlarmTopic],
        database: GlobalDatabase,
        app_tiers: Mapping[DrRole, AppTier],
        state_table: GlobalTable,
        dns: DnsFailover,
        props: FailoverProps,
        report_buckets: Mapping[DrRole, RunReportBucket] | None = None,
    ) -> None:
        """Orchestrators for ``database`` and ``app_tiers`` (locks and journal in ``state_table``, traffic switch
        and peer health from ``dns``, notices to ``topics``), the switch keeper, and the automatic trigger when
        ``props.automatic`` is on. ``report_buckets``: the bucket each region's orchestrator writes its run reports
        to; None: the runs write no reports."""
        super().__init__(scope, id_)
        self.props = props
        self._providers = providers
        self._global_cluster_identifier = database.global_cluster_identifier
        self.probe_alarm_name = props.names.primary_down_alarm
        asset = TerraformAsset(
            self, "lambda_source", path=str(lambda_source_dir(App.of(self).outdir)), type=AssetType.ARCHIVE
        )
        self.asset = asset
        self.functions: dict[DrRole, RegionalLambda] = {}
        for role in ROLES:
            peer = _peer(role)
            provider = providers.for_role(role)
            environment = self._environment(role, keys, topics, database, app_tiers, state_table, dns, report_buckets)
            statements = self._statements(role, keys, database, app_tiers, topics, state_table, dns)
            if self._rechecks(role):
                # DescribeAlarms takes the alarm ARN as its resource (Service Authorization Reference, CloudWatch):
                # the re-evaluation reads the probe alarm's state and nothing else.
                statements += grant_statements(
                    [permissions.orchestrator.READ_PROBE_ALARM],
                    resources=GrantResources(
                        region=providers.region_of(role),
                        partition=keys[role].partition,
                        account_id=keys[role].account_id,
                        probe_alarm_name=self.probe_alarm_name,
                    ),
                )
            self.functions[role] = RegionalLambda(
                self,
                f"{role}_orchestrator",
                provider=provider,
                log_retention_days=props.log_retention_days,
                key=keys[role],
                asset=asset,
                names=props.names.region(role).orchestrator,
                handler=ORCHESTRATOR_HANDLER,
                environment=environment,
                reserved_concurrency=ORCHESTRATOR_RESERVED_CONCURRENCY,
                # The orchestrator's own waits (promotion deadline + fencing + DNS) stay inside this limit.
                timeout=contract.LAMBDA_MAXIMUM_TIMEOUT_SECONDS,
                statements=statements,
                alarm_topic_arn=topics[role].topic_arn,
            )
            # Its table replica, the peer's (the peer lock, the traffic switch) and its topic are encrypted with
            # their region's key: the key policies name the role for DynamoDB and SNS.
            # The peer's key names the role by its ARN built from its name: a reference would tie the peer region's
            # plans to this region's provider (see RegionalKey.role_arn).
            orchestrator = self.functions[role]
            state_table.allow_key_use(orchestrator.role.arn, dr_role=role)
            state_table.allow_key_use(keys[peer].role_arn(orchestrator.role_name), dr_role=peer)
            topics[role].allow_publisher_key_use(orchestrator.role)
        self._switch_keeper(providers, keys, topics, state_table, database, asset)
        if props.automatic:
            self._automatic_trigger(providers, keys, topics, app_tiers, dns, asset)

    def _environment(
        self,
        role: DrRole,
        keys: Mapping[DrRole, RegionalKey],
        topics: Mapping[DrRole, AlarmTopic],
        database: GlobalDatabase,
        app_tiers: Mapping[DrRole, AppTier],
        state_table: GlobalTable,
        dns: DnsFailover,
        report_buckets: Mapping[DrRole, RunReportBucket] | None,
    ) -> dict[str, str]:
        """The whole environment of ``role``'s orchestrator: orchestrator_environment of this stack's resources."""
        peer = _peer(role)
        return orchestrator_environment(
            self.props,
            OrchestratorTargets(
                global_cluster_id=database.global_cluster_identifier,
                target_region=self._providers.region_of(role),
                target_cluster_arn=database.cluster_arn(role),
                peer_region=self._providers.region_of(peer),
                peer_cluster_id=database.cluster_identifier(peer),
                target_asg_name=app_tiers[role].asg_name,
                peer_asg_name=app_tiers[peer].asg_name,
                topic_arn=topics[role].topic_arn,
                state_table_name=state_table.table_name,
                traffic_switch_region=dns.traffic_switch_region,
                health_check_id=dns.health_check_id(peer),
                probe_alarm_name=self.probe_alarm_name if self._rechecks(role) else None,
                run_reports=(
                    (report_buckets[role].bucket_name, keys[role].key_arn) if report_buckets is not None else None
                ),
                target_group_arn=app_tiers[role].target_group_arn,
                reprotect_cluster_spec=reprotect_cluster_spec(database.cluster_spec(role)),
            ),
        )

    def _rechecks(self, role: DrRole) -> bool:
        """True for the orchestrator the automatic trigger invokes (the secondary's), when it is on."""
        return self.props.automatic and role == "secondary"

    def _scheduled(self, id_: str, provider: AwsProvider, function: RegionalLambda, rule_name: str) -> None:
        """Invoke ``function`` once a minute from the EventBridge schedule ``rule_name`` in its region."""
        self._rule_invokes(
            provider,
            function,
            rule_id=f"{id_}_schedule",
            target_id=f"{id_}_schedule_target",
            permission_id=f"{id_}_schedule_permission",
            name=rule_name,
            schedule_expression=SCHEDULE_RATE,
        )

    def _rule_invokes(
        self,
        provider: AwsProvider,
        function: RegionalLambda,
        *,
        rule_id: str,
        target_id: str,
        permission_id: str,
        name: str,
        event_pattern: str | None = None,
        schedule_expression: str | None = None,
        payload: dict[str, object] | None = None,
    ) -> None:
        """An EventBridge rule (an event pattern or a schedule) whose target invokes ``function`` with ``payload``
        (None: the event itself), and the permission for that rule only (source_arn). The construct IDs are given
        whole: they are the resources' addresses in state."""
        rule = CloudwatchEventRule(
            self,
            rule_id,
            provider=provider,
            name=name,
            event_pattern=event_pattern,
            schedule_expression=schedule_expression,
        )
        CloudwatchEventTarget(
            self,
            target_id,
            provider=provider,
            rule=rule.name,
            arn=function.function_arn,
            input=None if payload is None else json.dumps(payload),
        )
        LambdaPermission(
            self,
            permission_id,
            provider=provider,
            action="lambda:InvokeFunction",
            function_name=function.function_name,
            principal="events.amazonaws.com",
            source_arn=rule.arn,
        )

    def _switch_keeper(
        self,
        providers: RegionalProviders,
        keys: Mapping[DrRole, RegionalKey],
        topics: Mapping[DrRole, AlarmTopic],
        state_table: GlobalTable,
        database: GlobalDatabase,
        asset: TerraformAsset,
    ) -> None:
        """Re-publish the traffic switch every minute from the switch item in the traffic-switch region.

        Route53 evaluates a CLOUDWATCH_METRIC health check from the alarm's data stream, so a switch written
        once would age out; the keeper keeps the stream alive without any call into the other region. It
        publishes a fence only while its own region's DescribeGlobalClusters shows its cluster writing.
        """
        props = self.props
        provider = providers.secondary
        self.switch_keeper = RegionalLambda(
            self,
            "switch_keeper",
            provider=provider,
            log_retention_days=props.log_retention_days,
            key=keys["secondary"],
            asset=asset,
            names=props.names.switch_keeper,
            handler=contract.SWITCH_KEEPER_HANDLER,
            reserved_concurrency=1,
            timeout=30,
            alarm_topic_arn=topics["secondary"].topic_arn,
            environment={
                contract.STATE_TABLE_NAME: state_table.table_name,
                contract.GLOBAL_CLUSTER_ID: self._global_cluster_identifier,
                contract.METRIC_NAMESPACE_VARIABLE: contract.METRIC_NAMESPACE,
                contract.TRAFFIC_SWITCH_METRIC_VARIABLE: contract.TRAFFIC_SWITCH_METRIC,
            },
            statements=grant_statements(
                permissions.keeper.SWITCH_KEEPER,
                resources=GrantResources(
                    region=providers.secondary_region,
                    switch_table_arn=state_table.replica_arn("secondary"),
                    global_cluster_arn=database.global_cluster_arn,
                ),
                values={"metric_namespace": contract.METRIC_NAMESPACE},
            ),
        )
        state_table.allow_key_use(self.switch_keeper.role.arn, dr_role="secondary")
        self._scheduled("switch_keeper", provider, self.switch_keeper, props.names.switch_keeper_schedule)

    def _statements(
        self,
        role: DrRole,
        keys: Mapping[DrRole, RegionalKey],
        database: GlobalDatabase,
        app_tiers: Mapping[DrRole, AppTier],
        topics: Mapping[DrRole, AlarmTopic],
        state_table: GlobalTable,
        dns: DnsFailover,
    ) -> list[DataAwsIamPolicyDocumentStatement]:
        """The orchestrator's failover grants (``dr_permissions.orchestrator.FAILOVER``) on this stack's resources."""
        peer = _peer(role)
        return grant_statements(
            permissions.orchestrator.FAILOVER,
            resources=GrantResources(
                region=self._providers.region_of(role),
                partition=keys[role].partition,
                account_id=keys[role].account_id,
                global_cluster_arn=database.global_cluster_arn,
                own_cluster_arn=database.cluster_arn(role),
                peer_cluster_arn=database.cluster_arn(peer),
                own_asg_arn=app_tiers[role].asg_arn,
                peer_asg_arn=app_tiers[peer].asg_arn,
                topic_arn=topics[role].topic_arn,
                own_table_arn=state_table.replica_arn(role),
                switch_table_arn=state_table.replica_arn("secondary"),
                peer_table_arn=state_table.replica_arn(peer),
                peer_health_check_id=dns.health_check_id(peer),
            ),
            values={"metric_namespace": contract.METRIC_NAMESPACE},
        )

    def _automatic_trigger(
        self,
        providers: RegionalProviders,
        keys: Mapping[DrRole, RegionalKey],
        topics: Mapping[DrRole, AlarmTopic],
        app_tiers: Mapping[DrRole, AppTier],
        dns: DnsFailover,
        asset: TerraformAsset,
    ) -> None:
        """Probe the primary from the secondary region; its alarm there invokes the secondary orchestrator."""
        props = self.props
        provider = providers.secondary
        scheme = "https" if props.probe_over_https else "http"
        self.probe = RegionalLambda(
            self,
            "primary_probe",
            provider=provider,
            log_retention_days=props.log_retention_days,
            key=keys["secondary"],
            asset=asset,
            names=props.names.primary_probe,
            handler=PROBE_HANDLER,
            reserved_concurrency=1,
            timeout=PROBE_FUNCTION_TIMEOUT_SECONDS,
            alarm_topic_arn=topics["secondary"].topic_arn,
            environment={
                contract.PROBE_URL: f"{scheme}://{app_tiers['primary'].alb_dns_name}{props.health_check_path}",
                contract.PROBE_INTERVAL_SECONDS: str(props.probe_interval_seconds),
                # A sub-minute interval: few enough requests (of the probe's default timeout) to fit it.
                **(
                    {
                        contract.PROBE_ATTEMPTS: str(contract.FAST_PROBE_ATTEMPTS),
                        contract.PROBE_TIMEOUT_SECONDS: str(contract.DEFAULT_PROBE_TIMEOUT_SECONDS),
                    }
                    if props.probe_interval_seconds < 60
                    else {}
                ),
                contract.METRIC_NAMESPACE_VARIABLE: contract.PROBE_NAMESPACE,
                contract.PROBE_METRIC_NAME_VARIABLE: contract.PROBE_METRIC,
                contract.GLOBAL_CLUSTER_ID: self._global_cluster_identifier,
            },
            # The probe fetches the app's URL (content from the internet): it publishes in its own namespace, and an
            # explicit Deny keeps it out of the traffic switch's.
            statements=[
                *grant_statements(
                    permissions.probe.PROBE,
                    resources=GrantResources(region=providers.secondary_region),
                    values={"metric_namespace": contract.PROBE_NAMESPACE},
                ),
                switch_publishing_denied(),
            ],
        )
        self._scheduled("probe", provider, self.probe, props.names.primary_probe_schedule)
        # Only failing probes fire the trigger: missing data is not breaching (a silent probe says nothing about
        # the primary). The orchestrator still asks a second, independent signal before it fails over.
        self.primary_down_alarm = CloudwatchMetricAlarm(
            self,
            "primary_down_alarm",
            provider=provider,
            alarm_name=self.probe_alarm_name,
            alarm_description="Primary endpoint probed from the secondary region failed: automatic failover",
            namespace=contract.PROBE_NAMESPACE,
            metric_name=PROBE_METRIC,
            dimensions={contract.GLOBAL_CLUSTER_DIMENSION: self._global_cluster_identifier},
            statistic="Maximum",
            period=self.props.probe_interval_seconds,
            evaluation_periods=props.probe_failure_periods,
            datapoints_to_alarm=props.probe_failure_periods,
            threshold=1,
            comparison_operator="LessThanThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=[topics["secondary"].topic_arn],
            ok_actions=[topics["secondary"].topic_arn],
        )
        # A silent probe is a problem a person must see, never a failover trigger.
        self.probe_silent_alarm = CloudwatchMetricAlarm(
            self,
            "probe_silent_alarm",
            provider=provider,
            alarm_name=props.names.probe_silent_alarm,
            alarm_description="The primary probe published nothing: automatic failover cannot see the primary",
            namespace=contract.PROBE_NAMESPACE,
            metric_name=PROBE_METRIC,
            dimensions={contract.GLOBAL_CLUSTER_DIMENSION: self._global_cluster_identifier},
            statistic="SampleCount",
            period=self.props.probe_interval_seconds,
            evaluation_periods=props.probe_failure_periods,
            threshold=1,
            comparison_operator="LessThanThreshold",
            treat_missing_data="breaching",
            alarm_actions=[topics["secondary"].topic_arn],
            ok_actions=[topics["secondary"].topic_arn],
        )
        orchestrator = self.functions["secondary"]
        self._rule_invokes(
            provider,
            orchestrator,
            rule_id="automatic_failover_rule",
            target_id="automatic_failover_target",
            permission_id="automatic_failover_permission",
            name=props.names.automatic_failover_rule,
            event_pattern=json.dumps(
                {
                    "source": ["aws.cloudwatch"],
                    "detail-type": ["CloudWatch Alarm State Change"],
                    "detail": {
                        "alarmName": [self.probe_alarm_name],
                        "state": {"value": ["ALARM"]},
                    },
                }
            ),
            payload=self._automatic_event(
                contract.AUTOMATIC_TRIGGER, "automatic: primary endpoint probe failed from the secondary region"
            ),
        )
        # EventBridge emits "CloudWatch Alarm State Change" only when the alarm changes state: if the second signal
        # lags the probe, the alarm stays in ALARM and no event comes again. The schedule re-evaluates once a
        # minute; the orchestrator reads the alarm first and changes nothing unless it is in ALARM.
        self._rule_invokes(
            provider,
            orchestrator,
            rule_id="automatic_recheck_rule",
            target_id="automatic_recheck_target",
            permission_id="automatic_recheck_permission",
            name=props.names.automatic_recheck_rule,
            schedule_expression=SCHEDULE_RATE,
            payload=self._automatic_event(
                contract.AUTOMATIC_RECHECK_TRIGGER,
                "automatic: primary endpoint probe alarm still in ALARM (scheduled re-evaluation)",
            ),
        )

    def _automatic_event(self, trigger: str, reason: str) -> dict[str, object]:
        """The failover event the automatic trigger sends the secondary orchestrator (dr_failover.run.events)."""
        return {
            "mode": "failover",
            "target_region": self._providers.secondary_region,
            "dry_run": False,
            "reason": reason,
            "trigger": trigger,
        }

    def function_name(self, role: DrRole) -> str:
        """Name of the orchestrator that promotes `role`'s region."""
        return self.functions[role].function_name

    def function_arn(self, role: DrRole) -> str:
        """ARN of the orchestrator that promotes `role`'s region."""
        return self.functions[role].function_arn
