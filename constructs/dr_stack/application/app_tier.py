"""One region's application tier: ALB (+ access logs), launch template, Auto Scaling group, app alarms."""

from __future__ import annotations

import base64

from cdktf import Fn, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.autoscaling_group import (
    AutoscalingGroup,
    AutoscalingGroupInstanceRefresh,
    AutoscalingGroupInstanceRefreshPreferences,
    AutoscalingGroupLaunchTemplate,
    AutoscalingGroupTag,
)
from cdktf_cdktf_provider_aws.autoscaling_policy import (
    AutoscalingPolicy,
    AutoscalingPolicyTargetTrackingConfiguration,
    AutoscalingPolicyTargetTrackingConfigurationPredefinedMetricSpecification,
)
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import (
    CloudwatchMetricAlarm,
    CloudwatchMetricAlarmMetricQuery,
    CloudwatchMetricAlarmMetricQueryMetric,
)
from cdktf_cdktf_provider_aws.data_aws_elb_service_account import DataAwsElbServiceAccount
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.data_aws_ssm_parameter import DataAwsSsmParameter
from cdktf_cdktf_provider_aws.iam_instance_profile import IamInstanceProfile
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.launch_template import (
    LaunchTemplate,
    LaunchTemplateBlockDeviceMappings,
    LaunchTemplateBlockDeviceMappingsEbs,
    LaunchTemplateIamInstanceProfile,
    LaunchTemplateMetadataOptions,
    LaunchTemplateMonitoring,
    LaunchTemplateTagSpecifications,
)
from cdktf_cdktf_provider_aws.lb import Lb, LbAccessLogs
from cdktf_cdktf_provider_aws.lb_listener import (
    LbListener,
    LbListenerDefaultAction,
    LbListenerDefaultActionRedirect,
)
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup, LbTargetGroupHealthCheck
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule

from constructs import Construct
from dr_stack.contract import contract
from dr_stack.control_plane.iam import trust_policy
from dr_stack.foundation.keys import RegionalKey
from dr_stack.foundation.network import Network
from dr_stack.foundation.providers import DrRole
from dr_stack.foundation.storage import PrivateBucket
from dr_stack.naming.names import RegionNames
from dr_stack.observability.monitoring import AlarmTopic

HTTPS_PORT = 443
HTTP_PORT = 80
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
# AWS defaults, named here so the choice is visible: idle connections close after a minute; targets drain
# for 30 s (not the 300 s default) so a scale-in or instance refresh does not hold up a failover.
ALB_IDLE_TIMEOUT_SECONDS = 60
DEREGISTRATION_DELAY_SECONDS = 30
# Target-group health check cadence (the ALB's view; Route53 has its own, from settings).
TARGET_HEALTH_INTERVAL_SECONDS = 15
TARGET_HEALTHY_THRESHOLD = 2
TARGET_UNHEALTHY_THRESHOLD = 3
# AWS/ApplicationELB and AWS/AutoScaling publish one-minute data: a shorter alarm period never fills.
AWS_METRIC_PERIOD_SECONDS = 60
ROOT_DEVICE_NAME = "/dev/xvda"  # Amazon Linux 2023
ASG_METRICS = [
    "GroupMinSize", "GroupMaxSize", "GroupDesiredCapacity", "GroupInServiceInstances",
    "GroupPendingInstances", "GroupTerminatingInstances", "GroupTotalInstances",
]  # fmt: skip
# Regions that existed before August 2022 deliver ALB logs from a regional ELB account; newer regions use the
# log-delivery service principal. The bucket policy grants the principal everywhere and the account where known.
_ELB_ACCOUNT_REGIONS = frozenset(
    {
        "us-east-1", "us-east-2", "us-west-1", "us-west-2", "af-south-1", "ap-east-1", "ap-south-1",
        "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2",
        "ap-southeast-3", "ca-central-1", "eu-central-1", "eu-west-1", "eu-west-2", "eu-west-3",
        "eu-south-1", "eu-north-1", "me-south-1", "sa-east-1",
    }
)  # fmt: skip

_SERVER_PY = """\
import http.server
import json
import os

HEALTH_PATH = os.environ["HEALTH_PATH"]
IDENTITY = {"service": os.environ["APP_NAME"], "role": os.environ["DR_ROLE"], "region": os.environ["AWS_REGION"]}


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "dr-app"
    sys_version = ""

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == HEALTH_PATH:
            self._send(200, b"ok\\n", "text/plain")
        elif path == "/":
            self._send(200, (json.dumps(IDENTITY) + "\\n").encode(), "application/json")
        else:
            self._send(404, b"not found\\n", "text/plain")

    def _send(self, status, body, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass


if __name__ == "__main__":
    http.server.ThreadingHTTPServer(("", int(os.environ["APP_PORT"])), Handler).serve_forever()
"""

_USER_DATA = """\
#!/bin/bash
# Placeholder service: answers 200 on the health-check path with the Python that ships with Amazon Linux
# 2023, so nothing is downloaded at boot. Replace /opt/dr-app with the real application.
set -euo pipefail
install -d -m 0755 /opt/dr-app
cat > /opt/dr-app/server.py <<'PY'
{server}PY
cat > /etc/systemd/system/dr-app.service <<'UNIT'
[Unit]
Description=DR application placeholder
After=network-online.target
Wants=network-online.target

[Service]
Environment=APP_NAME={name} DR_ROLE={role} AWS_REGION={region} APP_PORT={port} HEALTH_PATH={health_path}
ExecStart=/usr/bin/python3 /opt/dr-app/server.py
DynamicUser=yes
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
Restart=always
RestartSec=2

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable --now dr-app.service
"""


def render_user_data(*, app_name: str, role: DrRole, region: str, port: int, health_check_path: str) -> str:
    """The instance boot script (plain text) for a region: installs and starts the placeholder service."""
    return _USER_DATA.format(
        server=_SERVER_PY, name=app_name, role=role, region=region, port=port, health_path=health_check_path
    )


# Auto Scaling group size of a region in its normal DR role; the orchestrator raises it at failover: the one type
# both sides use (dr_contract).
Capacity = contract.Capacity


class AppTier(Construct):
    """ALB in the public subnets, Auto Scaling group in the private subnets, alarms; once per region."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        provider: AwsProvider,
        dr_role: DrRole,
        region: str,
        names: RegionNames,
        network: Network,
        key: RegionalKey,
        alarm_topic: AlarmTopic,
        capacity: Capacity,
        app_name: str,
        certificate_arn: str | None = None,
        app_port: int,
        health_check_path: str,
        instance_type: str,
        ami_ssm_parameter: str,
        cpu_target_percent: int,
        health_check_grace_seconds: int,
        access_log_retention_days: int,
        keep_access_logs_on_destroy: bool,
        deletion_protection: bool,
        alarm_period_seconds: int,
        alarm_evaluation_periods: int,
        alb_5xx_alarm_threshold: int,
        response_time_alarm_seconds: float,
    ) -> None:
        """The app tier of the ``dr_role`` region (``region``, the region of ``provider``); every resource name comes
        from ``names`` (``names.regional`` starts the Name tags and descriptions); instances run in ``network``'s
        private subnets with root volumes encrypted by ``key``; alarms notify ``alarm_topic``. ``app_name`` is what
        the placeholder service reports as its name.

        ``certificate_arn``: an ACM certificate of this region for the domain. None: plain HTTP on port 80 (no
        domain, so no certificate a browser would trust). ``capacity``: the group's size in its normal role (a
        minimum of 0 also drops the in-service alarm). ``keep_access_logs_on_destroy`` False: destroying the
        stack empties and deletes the access-log bucket. ``deletion_protection`` True: the ALB cannot be
        deleted until it is turned off. ``alarm_period_seconds`` below 60 is raised to 60 (ALB and Auto
        Scaling publish one-minute data)."""
        super().__init__(scope, id_)
        self._provider = provider
        self._dr_role = dr_role
        self._region = region
        self._names = names
        self._name = names.regional
        self._https = certificate_arn is not None
        self._app_port = app_port
        self._health_check_path = health_check_path
        self.min_capacity = capacity.minimum
        self._build_security_groups(network)
        log_bucket = self._build_access_log_bucket(
            key, retention_days=access_log_retention_days, force_destroy=not keep_access_logs_on_destroy
        )
        self._build_load_balancer(network, log_bucket, certificate_arn, deletion_protection=deletion_protection)
        self._build_instances(
            network,
            key,
            app_name=app_name,
            capacity=capacity,
            instance_type=instance_type,
            ami_ssm_parameter=ami_ssm_parameter,
            cpu_target_percent=cpu_target_percent,
            health_check_grace_seconds=health_check_grace_seconds,
        )
        self._build_alarms(
            alarm_topic,
            period_seconds=alarm_period_seconds,
            evaluation_periods=alarm_evaluation_periods,
            alb_5xx_threshold=alb_5xx_alarm_threshold,
            response_time_seconds=response_time_alarm_seconds,
        )

    # ----- security groups -----
    def _build_security_groups(self, network: Network) -> None:
        provider, name = self._provider, self._name
        self.alb_security_group = SecurityGroup(
            self,
            "alb_security_group",
            provider=provider,
            name=self._names.alb_security_group,
            vpc_id=network.vpc_id,
            description=f"{name} load balancer: HTTP(S) from the internet, to the app instances only",
            tags={"Name": f"{name}-alb"},
        )
        self.app_security_group = SecurityGroup(
            self,
            "app_security_group",
            provider=provider,
            name=self._names.app_security_group,
            vpc_id=network.vpc_id,
            description=f"{name} app instances: from the load balancer only",
            tags={"Name": f"{name}-app"},
        )
        alb_sg, app_sg = self.alb_security_group.id, self.app_security_group.id
        # The VPCs are IPv4-only (no IPv6 CIDR), so the ALB is too: no ::/0 rules to open.
        internet_ports = {HTTP_PORT: "HTTP (redirected to HTTPS)" if self._https else "HTTP (no domain: no TLS)"}
        if self._https:
            internet_ports[HTTPS_PORT] = "HTTPS"
        for port, what in internet_ports.items():
            VpcSecurityGroupIngressRule(
                self,
                f"alb_ingress_{port}",
                provider=provider,
                security_group_id=alb_sg,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                cidr_ipv4="0.0.0.0/0",
                description=f"{what} from the internet",
            )
        VpcSecurityGroupEgressRule(
            self,
            "alb_egress_app",
            provider=provider,
            security_group_id=alb_sg,
            ip_protocol="tcp",
            from_port=self._app_port,
            to_port=self._app_port,
            referenced_security_group_id=app_sg,
            description="Requests and health checks to the app instances",
        )
        VpcSecurityGroupIngressRule(
            self,
            "app_ingress_alb",
            provider=provider,
            security_group_id=app_sg,
            ip_protocol="tcp",
            from_port=self._app_port,
            to_port=self._app_port,
            referenced_security_group_id=alb_sg,
            description="Requests and health checks from the load balancer",
        )
        VpcSecurityGroupEgressRule(
            self,
            "app_egress_https",
            provider=provider,
            security_group_id=app_sg,
            ip_protocol="tcp",
            from_port=HTTPS_PORT,
            to_port=HTTPS_PORT,
            cidr_ipv4="0.0.0.0/0",
            description="HTTPS to AWS APIs (SSM, Secrets Manager, DynamoDB) and package repositories",
        )
        # The database port is opened by database.connect(app_tier, database), to the database security group only.

    # ----- access logs -----
    def _build_access_log_bucket(self, key: RegionalKey, *, retention_days: int, force_destroy: bool) -> S3Bucket:
        provider, region = self._provider, self._region
        writers = [
            DataAwsIamPolicyDocumentStatementPrincipals(
                type="Service", identifiers=["logdelivery.elasticloadbalancing.amazonaws.com"]
            )
        ]
        if region in _ELB_ACCOUNT_REGIONS:
            elb_account = DataAwsElbServiceAccount(self, "elb_service_account", provider=provider)
            writers.append(DataAwsIamPolicyDocumentStatementPrincipals(type="AWS", identifiers=[elb_account.arn]))
        # Longest possible name: 34 (name_prefix) + 15 ("-secondary-alb-") + 12 (account) = 61 <= 63.
        bucket_name = self._names.alb_log_bucket(key.account_id)
        log_objects = f"arn:{key.partition}:s3:::{bucket_name}/AWSLogs/{key.account_id}/*"
        # ALB access logs can only be written to buckets encrypted with SSE-S3 (AES256): log delivery cannot
        # use a KMS key, customer-managed or not, so this bucket is the one place the regional key is not used.
        self.access_log_bucket = PrivateBucket(
            self,
            "access_log_bucket",
            provider=provider,
            name=bucket_name,
            kms_key_arn=None,
            expiration_days=retention_days,
            noncurrent_days=1,
            abort_upload_days=1,
            force_destroy=force_destroy,
            policy_statements=[
                DataAwsIamPolicyDocumentStatement(
                    sid=f"LoadBalancerLogDelivery{index}",
                    principals=[principal],
                    actions=["s3:PutObject"],
                    resources=[log_objects],
                )
                for index, principal in enumerate(writers)
            ],
        )
        self.access_log_bucket_policy = self.access_log_bucket.policy
        return self.access_log_bucket.bucket

    # ----- load balancer, target group, listeners -----
    def _build_load_balancer(
        self, network: Network, log_bucket: S3Bucket, certificate_arn: str | None, *, deletion_protection: bool
    ) -> None:
        provider, name = self._provider, self._name
        self.load_balancer = Lb(
            self,
            "load_balancer",
            provider=provider,
            name=self._names.load_balancer,
            internal=False,
            load_balancer_type="application",
            security_groups=[self.alb_security_group.id],
            subnets=network.subnet_ids("public"),
            drop_invalid_header_fields=True,
            enable_deletion_protection=deletion_protection,
            idle_timeout=ALB_IDLE_TIMEOUT_SECONDS,
            enable_http2=True,
            access_logs=LbAccessLogs(bucket=log_bucket.id, enabled=True),
            tags={"Name": name},
            depends_on=[self.access_log_bucket_policy],
        )
        self.target_group = LbTargetGroup(
            self,
            "target_group",
            provider=provider,
            name=self._names.target_group,
            port=self._app_port,
            protocol="HTTP",
            vpc_id=network.vpc_id,
            target_type="instance",
            deregistration_delay=str(DEREGISTRATION_DELAY_SECONDS),
            health_check=LbTargetGroupHealthCheck(
                enabled=True,
                path=self._health_check_path,
                protocol="HTTP",
                port="traffic-port",
                matcher="200",
                interval=TARGET_HEALTH_INTERVAL_SECONDS,
                healthy_threshold=TARGET_HEALTHY_THRESHOLD,
                unhealthy_threshold=TARGET_UNHEALTHY_THRESHOLD,
            ),
            tags={"Name": f"{name}-app"},
        )
        forward = LbListenerDefaultAction(type="forward", target_group_arn=self.target_group.arn)
        if certificate_arn is not None:
            self.https_listener: LbListener | None = LbListener(
                self,
                "https_listener",
                provider=provider,
                load_balancer_arn=self.load_balancer.arn,
                port=HTTPS_PORT,
                protocol="HTTPS",
                ssl_policy=TLS_POLICY,
                certificate_arn=certificate_arn,
                default_action=[forward],
            )
            http_action = LbListenerDefaultAction(
                type="redirect",
                redirect=LbListenerDefaultActionRedirect(
                    port=str(HTTPS_PORT), protocol="HTTPS", status_code="HTTP_301"
                ),
            )
        else:
            # No domain, hence no certificate: the ALB serves plain HTTP (docs/architecture.md says so).
            self.https_listener = None
            http_action = forward
        self.http_listener = LbListener(
            self,
            "http_listener",
            provider=provider,
            load_balancer_arn=self.load_balancer.arn,
            port=HTTP_PORT,
            protocol="HTTP",
            default_action=[http_action],
        )

    # ----- instances -----
    def _build_instances(
        self,
        network: Network,
        key: RegionalKey,
        *,
        app_name: str,
        capacity: Capacity,
        instance_type: str,
        ami_ssm_parameter: str,
        cpu_target_percent: int,
        health_check_grace_seconds: int,
    ) -> None:
        provider, name = self._provider, self._name
        self.instance_role_resource = IamRole(
            self,
            "instance_role",
            provider=provider,
            name=self._names.app_role,
            description=f"{name} app instances: SSM management; grants add what the app reads",
            assume_role_policy=trust_policy(self, "instance_trust", provider=provider, service="ec2.amazonaws.com"),
        )
        IamRolePolicyAttachment(
            self,
            "instance_ssm_core",
            provider=provider,
            role=self.instance_role_resource.name,
            policy_arn=f"arn:{key.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore",
        )
        profile = IamInstanceProfile(
            self,
            "instance_profile",
            provider=provider,
            name=self._names.app_instance_profile,
            role=self.instance_role_resource.name,
        )
        ami = DataAwsSsmParameter(self, "ami", provider=provider, name=ami_ssm_parameter)
        user_data = render_user_data(
            app_name=app_name,
            role=self._dr_role,
            region=self._region,
            port=self._app_port,
            health_check_path=self._health_check_path,
        )
        # The group's instances get root volumes encrypted with the key, by Auto Scaling's service-linked role.
        key.allow_auto_scaling_volumes()
        self.launch_template = LaunchTemplate(
            self,
            "launch_template",
            provider=provider,
            name=self._names.launch_template,
            update_default_version=True,
            description=f"{name} app instances",
            image_id=ami.insecure_value,
            instance_type=instance_type,
            iam_instance_profile=LaunchTemplateIamInstanceProfile(arn=profile.arn),
            vpc_security_group_ids=[self.app_security_group.id],
            metadata_options=LaunchTemplateMetadataOptions(
                http_endpoint="enabled",
                http_tokens="required",
                http_put_response_hop_limit=1,
                instance_metadata_tags="disabled",
            ),
            block_device_mappings=[
                LaunchTemplateBlockDeviceMappings(
                    device_name=ROOT_DEVICE_NAME,
                    ebs=LaunchTemplateBlockDeviceMappingsEbs(
                        encrypted="true",
                        kms_key_id=key.key_arn,
                        volume_type="gp3",
                        delete_on_termination="true",
                    ),
                )
            ],
            monitoring=LaunchTemplateMonitoring(enabled=True),
            user_data=base64.b64encode(user_data.encode()).decode(),
            tag_specifications=[
                LaunchTemplateTagSpecifications(resource_type=kind, tags={"Name": f"{name}-app"})
                for kind in ("instance", "volume")
            ],
        )
        self.auto_scaling_group = AutoscalingGroup(
            self,
            "auto_scaling_group",
            provider=provider,
            name=self._names.autoscaling_group,
            min_size=capacity.minimum,
            max_size=capacity.maximum,
            desired_capacity=capacity.desired,
            vpc_zone_identifier=network.subnet_ids("private"),
            target_group_arns=[self.target_group.arn],
            health_check_type="ELB",
            health_check_grace_period=health_check_grace_seconds,
            launch_template=AutoscalingGroupLaunchTemplate(
                id=self.launch_template.id, version=Fn.tostring(self.launch_template.latest_version)
            ),
            instance_refresh=AutoscalingGroupInstanceRefresh(
                strategy="Rolling",
                preferences=AutoscalingGroupInstanceRefreshPreferences(min_healthy_percentage=90),
            ),
            enabled_metrics=ASG_METRICS,
            metrics_granularity="1Minute",
            tag=[AutoscalingGroupTag(key="Name", value=f"{name}-app", propagate_at_launch=True)],
            # Target tracking changes desired_capacity, and the failover orchestrator sets min/desired/max in
            # the region it promotes and lowers the other to the warm-standby capacity: after a failover or
            # failback the next `cdktf deploy` must not undo that (it would size the promoted region as a standby
            # again). The sizes are the settings at creation; afterwards the orchestrator owns them (make e2e
            # checks the plan).
            lifecycle=TerraformResourceLifecycle(ignore_changes=["desired_capacity", "min_size", "max_size"]),
        )
        AutoscalingPolicy(
            self,
            "cpu_target_tracking",
            provider=provider,
            name=self._names.scaling_policy,
            autoscaling_group_name=self.auto_scaling_group.name,
            policy_type="TargetTrackingScaling",
            target_tracking_configuration=AutoscalingPolicyTargetTrackingConfiguration(
                predefined_metric_specification=(
                    AutoscalingPolicyTargetTrackingConfigurationPredefinedMetricSpecification(
                        predefined_metric_type="ASGAverageCPUUtilization"
                    )
                ),
                target_value=cpu_target_percent,
            ),
        )

    # ----- alarms -----
    def _build_alarms(
        self,
        alarm_topic: AlarmTopic,
        *,
        period_seconds: int,
        evaluation_periods: int,
        alb_5xx_threshold: int,
        response_time_seconds: float,
    ) -> None:
        provider, role = self._provider, self._dr_role
        actions = [alarm_topic.topic_arn]
        period = max(AWS_METRIC_PERIOD_SECONDS, period_seconds)
        common = {
            "provider": provider,
            "alarm_actions": actions,
            "ok_actions": actions,
            "evaluation_periods": evaluation_periods,
        }
        alb_dimensions = {"LoadBalancer": self.alb_arn_suffix}
        target_dimensions = {**alb_dimensions, "TargetGroup": self.target_group_arn_suffix}
        self.alarms: dict[str, CloudwatchMetricAlarm] = {}

        def metric(query_id: str, metric_name: str) -> CloudwatchMetricAlarmMetricQuery:
            return CloudwatchMetricAlarmMetricQuery(
                id=query_id,
                metric=CloudwatchMetricAlarmMetricQueryMetric(
                    namespace="AWS/ApplicationELB",
                    metric_name=metric_name,
                    dimensions=alb_dimensions,
                    period=period,
                    stat="Sum",
                ),
            )

        self.alarms["alb_5xx"] = CloudwatchMetricAlarm(
            self,
            "alb_5xx_alarm",
            alarm_name=self._names.alb_5xx_alarm,
            alarm_description=f"{role}: 5xx responses (load balancer + targets) above "
            f"{alb_5xx_threshold} per {period} s",
            comparison_operator="GreaterThanThreshold",
            threshold=alb_5xx_threshold,
            treat_missing_data="notBreaching",
            metric_query=[
                metric("elb_5xx", "HTTPCode_ELB_5XX_Count"),
                metric("target_5xx", "HTTPCode_Target_5XX_Count"),
                CloudwatchMetricAlarmMetricQuery(
                    id="total_5xx",
                    expression="FILL(elb_5xx, 0) + FILL(target_5xx, 0)",
                    label="5xx responses",
                    return_data=True,
                ),
            ],
            **common,
        )
        self.alarms["unhealthy_hosts"] = CloudwatchMetricAlarm(
            self,
            "unhealthy_hosts_alarm",
            alarm_name=self._names.unhealthy_hosts_alarm,
            alarm_description=f"{role}: at least one target fails the load balancer health check",
            namespace="AWS/ApplicationELB",
            metric_name="UnHealthyHostCount",
            dimensions=target_dimensions,
            statistic="Maximum",
            period=period,
            comparison_operator="GreaterThanThreshold",
            threshold=0,
            treat_missing_data="notBreaching",
            **common,
        )
        self.alarms["response_time"] = CloudwatchMetricAlarm(
            self,
            "response_time_alarm",
            alarm_name=self._names.response_time_alarm,
            alarm_description=f"{role}: p95 target response time above {response_time_seconds} s",
            namespace="AWS/ApplicationELB",
            metric_name="TargetResponseTime",
            dimensions=alb_dimensions,
            extended_statistic="p95",
            period=period,
            comparison_operator="GreaterThanThreshold",
            threshold=response_time_seconds,
            treat_missing_data="notBreaching",
            **common,
        )
        if self.min_capacity > 0:
            self.alarms["in_service"] = CloudwatchMetricAlarm(
                self,
                "in_service_alarm",
                alarm_name=self._names.in_service_alarm,
                alarm_description=f"{role}: fewer in-service instances than the minimum ({self.min_capacity})",
                namespace="AWS/AutoScaling",
                metric_name="GroupInServiceInstances",
                dimensions={"AutoScalingGroupName": self.auto_scaling_group.name},
                statistic="Minimum",
                period=period,
                comparison_operator="LessThanThreshold",
                threshold=self.min_capacity,
                # Metrics collection is on, so a missing minute means the group is gone or broken.
                treat_missing_data="breaching",
                **common,
            )

    # ----- properties -----
    @property
    def alb_dns_name(self) -> str:
        """DNS name of the load balancer."""
        return self.load_balancer.dns_name

    @property
    def alb_zone_id(self) -> str:
        """Route53 zone id of the load balancer (for alias records)."""
        return self.load_balancer.zone_id

    @property
    def alb_arn(self) -> str:
        """ARN of the load balancer."""
        return self.load_balancer.arn

    @property
    def alb_arn_suffix(self) -> str:
        """ARN suffix of the load balancer (the CloudWatch LoadBalancer dimension)."""
        return self.load_balancer.arn_suffix

    @property
    def target_group_arn(self) -> str:
        """ARN of the target group (the orchestrator counts its healthy targets)."""
        return self.target_group.arn

    @property
    def target_group_arn_suffix(self) -> str:
        """ARN suffix of the target group (the CloudWatch TargetGroup dimension)."""
        return self.target_group.arn_suffix

    @property
    def asg_name(self) -> str:
        """Name of the Auto Scaling group."""
        return self.auto_scaling_group.name

    @property
    def asg_arn(self) -> str:
        """ARN of the Auto Scaling group."""
        return self.auto_scaling_group.arn

    @property
    def app_security_group_id(self) -> str:
        """Security group of the app instances (grant database access to it)."""
        return self.app_security_group.id

    @property
    def instance_role(self) -> IamRole:
        """IAM role of the app instances (for grants)."""
        return self.instance_role_resource

    @property
    def provider(self) -> AwsProvider:
        """Provider of the tier's region."""
        return self._provider

    @property
    def dr_role(self) -> DrRole:
        """DR role of the tier's region."""
        return self._dr_role

    @property
    def https_enabled(self) -> bool:
        """True when the ALB serves HTTPS (a domain and certificate are configured)."""
        return self._https
