"""One CloudWatch dashboard (in the primary region) showing both regions side by side."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from cdktf_cdktf_provider_aws.cloudwatch_dashboard import CloudwatchDashboard

from constructs import Construct
from dr_stack.application.app_tier import AppTier
from dr_stack.contract import contract
from dr_stack.data_tier.database import GlobalDatabase
from dr_stack.foundation.providers import ROLES, ROUTE53_REGION, DrRole, RegionalProviders
from dr_stack.naming.names import StackNames
from dr_stack.traffic.dns import TRAFFIC_SWITCH_DIMENSION, TRAFFIC_SWITCH_METRIC, TRAFFIC_SWITCH_NAMESPACE, DnsFailover

WIDGET_WIDTH = 12
WIDGET_HEIGHT = 6
METRIC_PERIOD_SECONDS = 60


def _metric_widget(title: str, region: str, metrics: list[list[Any]], **extra: Any) -> dict[str, Any]:
    return {
        "type": "metric",
        "width": WIDGET_WIDTH,
        "height": WIDGET_HEIGHT,
        "properties": {
            "title": title,
            "region": region,
            "metrics": metrics,
            "view": "timeSeries",
            "period": METRIC_PERIOD_SECONDS,
            **extra,
        },
    }


class DrDashboard(Construct):
    """Route53 health, Aurora replication lag, ALB errors and latency, and app capacity, for both regions."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        providers: RegionalProviders,
        app_tiers: Mapping[DrRole, AppTier],
        database: GlobalDatabase,
        dns: DnsFailover,
        names: StackNames,
        rto_minutes: int,
        rpo_minutes: int,
        response_time_alarm_seconds: float,
        extra_widgets: Sequence[dict[str, Any]] = (),
    ) -> None:
        """A dashboard called ``names.dashboard`` in the primary region over ``app_tiers``, ``database`` and
        ``dns``. ``rto_minutes``/``rpo_minutes`` are quoted in the header and drawn as the lag limit;
        ``response_time_alarm_seconds`` is drawn on the latency graph; ``extra_widgets`` are appended after the
        stack's own widgets (empty: none)."""
        super().__init__(scope, id_)
        secondary_cluster = database.cluster_identifier("secondary")
        regions = providers.regions
        primary_region = regions["primary"]

        def per_region(
            namespace: str, metric_name: str, dimensions: dict[DrRole, list[str]], stat: str, label: str
        ) -> list[list[Any]]:
            rows = []
            for role in ROLES:
                rows.append(
                    [
                        namespace,
                        metric_name,
                        *dimensions[role],
                        {"region": regions[role], "stat": stat, "label": f"{label} {role} ({regions[role]})"},
                    ]
                )
            return rows

        alb = {role: ["LoadBalancer", app_tiers[role].alb_arn_suffix] for role in ROLES}
        asg = {role: ["AutoScalingGroupName", app_tiers[role].asg_name] for role in ROLES}
        health_checks = [
            [
                "AWS/Route53",
                "HealthCheckStatus",
                "HealthCheckId",
                dns.health_check_id(role),
                {"label": f"{role} ALB ({regions[role]})"},
            ]
            for role in ROLES
        ] + [
            [
                "AWS/Route53",
                "HealthCheckStatus",
                "HealthCheckId",
                dns.primary_calculated_health_check_id,
                {"label": "primary in service (ALB healthy and not fenced)"},
            ],
        ]
        widgets = [
            {
                "type": "text",
                "width": 2 * WIDGET_WIDTH,
                "height": 2,
                "properties": {
                    "markdown": (
                        f"## {names.prefix} disaster recovery: primary {regions['primary']}, secondary "
                        f"{regions['secondary']}\nObjectives: RTO {rto_minutes} min, RPO "
                        f"{rpo_minutes} min. Health check 1 = healthy; PrimaryFenced 1 = traffic on the "
                        "secondary."
                    )
                },
            },
            # Route53 publishes health-check metrics in us-east-1 only.
            _metric_widget(
                "Route53 health checks (1 = healthy)",
                ROUTE53_REGION,
                health_checks,
                stat="Minimum",
                yAxis={"left": {"min": 0, "max": 1}},
            ),
            # Lag metrics come from the secondary cluster only.
            _metric_widget(
                f"Aurora global replication lag ({regions['secondary']})",
                regions["secondary"],
                [
                    [
                        contract.AURORA_NAMESPACE,
                        contract.GLOBAL_LAG_METRIC,
                        contract.GLOBAL_LAG_DIMENSION,
                        secondary_cluster,
                        {"label": "replication lag (ms)"},
                    ],
                    [
                        contract.AURORA_NAMESPACE,
                        "AuroraGlobalDBRPOLag",
                        contract.GLOBAL_LAG_DIMENSION,
                        secondary_cluster,
                        {"label": "RPO lag (ms)"},
                    ],
                ],
                stat="Maximum",
                annotations={"horizontal": [{"label": f"RPO {rpo_minutes} min", "value": rpo_minutes * 60_000}]},
            ),
            _metric_widget(
                "ALB 5xx responses",
                primary_region,
                per_region("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", alb, "Sum", "ELB 5xx")
                + per_region("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", alb, "Sum", "target 5xx"),
            ),
            _metric_widget(
                "ALB target response time p95 (s)",
                primary_region,
                per_region("AWS/ApplicationELB", "TargetResponseTime", alb, "p95", "p95"),
                annotations={"horizontal": [{"label": "alarm", "value": response_time_alarm_seconds}]},
            ),
            _metric_widget(
                "App instances in service",
                primary_region,
                per_region("AWS/AutoScaling", "GroupInServiceInstances", asg, "Minimum", "in service")
                + per_region("AWS/AutoScaling", "GroupDesiredCapacity", asg, "Maximum", "desired"),
            ),
            _metric_widget(
                f"Traffic switch ({dns.traffic_switch_region})",
                dns.traffic_switch_region,
                [
                    [
                        TRAFFIC_SWITCH_NAMESPACE,
                        TRAFFIC_SWITCH_METRIC,
                        TRAFFIC_SWITCH_DIMENSION,
                        database.global_cluster_identifier,
                        {"label": "primary fenced"},
                    ]
                ],
                stat="Maximum",
            ),
            *extra_widgets,
        ]
        self.dashboard = CloudwatchDashboard(
            self,
            "dashboard",
            provider=providers.primary,
            dashboard_name=names.dashboard,
            dashboard_body=json.dumps({"widgets": widgets}),
        )

    @property
    def dashboard_name(self) -> str:
        """Name of the dashboard."""
        return self.dashboard.dashboard_name
