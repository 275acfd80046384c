"""Continuous readiness for one region: a schedule that runs the orchestrator's read-only ``readiness`` mode,
an alarm to SNS when the region is not ready to be promoted, and the grants the checks need."""

from __future__ import annotations

import json
from typing import Any

from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import CloudwatchEventTarget
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.lambda_permission import LambdaPermission
from cdktf_cdktf_provider_aws.provider import AwsProvider

from constructs import Construct
from dr_stack.config.budget import schedule_rate
from dr_stack.contract import contract
from dr_stack.control_plane.iam import GrantResources, attach_inline_policy, construct_slug, grant_statements
from dr_stack.control_plane.permissions import permissions
from dr_stack.naming.names import RegionNames

# The alarm fires after this many readiness intervals in a row without a "ready" datapoint: one late or lost
# scheduled run does not page anyone, two do (a stopped schedule is as bad as a failed check).
NOT_READY_PERIODS = 2


class ReadinessSchedule(Construct):
    """EventBridge schedule -> orchestrator ``{"mode": "readiness"}``; ``ReadyForFailover`` < 1 alarms to SNS."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        provider: AwsProvider,
        names: RegionNames,
        region: str,
        function_name: str,
        function_arn: str,
        interval_minutes: int,
        alarm_topic_arn: str,
        metric_namespace: str,
        ready_metric: str,
        dimensions: dict[str, str],
        event: dict[str, Any],
    ) -> None:
        """`names`: the region's names (the rule's, the alarm's and the checks policy's). `dimensions`: of the
        ReadyForFailover metric the function publishes. `event`: the invocation event (the readiness mode of this
        region's orchestrator)."""
        super().__init__(scope, id_)
        self._provider = provider
        self._names = names
        self._region = region
        self._namespace = metric_namespace
        unit = "minute" if interval_minutes == 1 else "minutes"
        self.rule = CloudwatchEventRule(
            self,
            "rule",
            provider=provider,
            name=names.readiness_rule,
            description=f"Read-only readiness check of {region} every {interval_minutes} {unit}",
            schedule_expression=schedule_rate(interval_minutes * 60),
        )
        CloudwatchEventTarget(
            self, "target", provider=provider, rule=self.rule.name, arn=function_arn, input=json.dumps(event)
        )
        LambdaPermission(
            self,
            "permission",
            provider=provider,
            action="lambda:InvokeFunction",
            function_name=function_name,
            principal="events.amazonaws.com",
            source_arn=self.rule.arn,
        )
        self.alarm = CloudwatchMetricAlarm(
            self,
            "not_ready_alarm",
            provider=provider,
            alarm_name=names.not_ready_alarm,
            alarm_description=(
                f"{region} is not ready to be promoted (or its readiness check did not run): see the "
                f"{metric_namespace} ReadinessCheck metrics and the function's log"
            ),
            namespace=metric_namespace,
            metric_name=ready_metric,
            dimensions=dimensions,
            statistic="Minimum",
            period=interval_minutes * 60,
            evaluation_periods=NOT_READY_PERIODS,
            datapoints_to_alarm=NOT_READY_PERIODS,
            threshold=1,
            comparison_operator="LessThanThreshold",
            # No datapoint means the check did not run: not known to be ready.
            treat_missing_data="breaching",
            alarm_actions=[alarm_topic_arn],
            ok_actions=[alarm_topic_arn],
        )

    def grant_checks(self, grantee: IamRole, *, role_arn: str) -> IamRolePolicy:
        """What the readiness checks read beyond the failover's own reads: the IAM simulation of `role_arn`
        (the grantee's own role) and the Auto Scaling group's scaling activities."""
        return attach_inline_policy(
            self,
            f"checks_{construct_slug(grantee)}",
            provider=self._provider,
            grantee=grantee,
            name=self._names.readiness_checks_policy,
            statements=grant_statements(
                permissions.orchestrator.READINESS,
                resources=GrantResources(region=self._region, role_arn=role_arn),
                values={"readiness_namespace": self._namespace},
            ),
        )

    @property
    def alarm_name(self) -> str:
        """Name of the not-ready alarm."""
        return self.alarm.alarm_name

    @property
    def rule_name(self) -> str:
        """Name of the schedule rule."""
        return self.rule.name


def readiness_dimensions(global_cluster_id: str, region: str) -> dict[str, str]:
    """Dimensions of a region's ReadyForFailover metric, as the function publishes them (names: dr_contract)."""
    return {contract.GLOBAL_CLUSTER_DIMENSION: global_cluster_id, contract.REGION_DIMENSION: region}


def readiness_widget(*, global_cluster_id: str, regions: dict[str, str], width: int) -> dict[str, Any]:
    """Dashboard widget: ReadyForFailover (minimum per period) of each region, from that region's metrics."""
    metrics: list[list[Any]] = []
    for role, region in regions.items():
        dimensions = readiness_dimensions(global_cluster_id, region)
        metrics.append(
            [
                contract.READINESS_NAMESPACE,
                contract.READY_METRIC,
                *[part for pair in dimensions.items() for part in pair],
                {"region": region, "label": f"{role} ({region}) ready for failover"},
            ]
        )
    return {
        "type": "metric",
        "width": width,
        "height": 6,
        "properties": {
            "title": "Readiness (1 = ready for failover)",
            "region": next(iter(regions.values())),
            "view": "timeSeries",
            "stat": "Minimum",
            "period": 300,
            "metrics": metrics,
            "yAxis": {"left": {"min": 0, "max": 1}},
        },
    }
