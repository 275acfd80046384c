"""DNS failover: hosted zone, regional certificates, Route53 health checks, the traffic switch, failover records.

Route53 is a global service; its resources use the primary provider. Two things are regional on purpose:
the traffic-switch alarm lives in the secondary region (the orchestrator that fences the primary runs
there), and health-check status alarms live in us-east-1 (the only region Route53 publishes them to).
"""

from __future__ import annotations

from collections.abc import Mapping

from cdktf import TerraformIterator, Token
from cdktf_cdktf_provider_aws.acm_certificate import AcmCertificate
from cdktf_cdktf_provider_aws.acm_certificate_validation import AcmCertificateValidation
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import DataAwsIamPolicyDocumentStatement
from cdktf_cdktf_provider_aws.data_aws_route53_zone import DataAwsRoute53Zone
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.route53_health_check import Route53HealthCheck
from cdktf_cdktf_provider_aws.route53_record import (
    Route53Record,
    Route53RecordAlias,
    Route53RecordFailoverRoutingPolicy,
)
from cdktf_cdktf_provider_aws.route53_zone import Route53Zone

from constructs import Construct
from dr_stack.application.app_tier import HTTP_PORT, HTTPS_PORT, AppTier
from dr_stack.config.budget import ROUTE53_METRIC_PERIOD_SECONDS, TRAFFIC_SWITCH_PERIOD_SECONDS
from dr_stack.contract import contract
from dr_stack.control_plane.iam import attach_inline_policy, deny_metric_namespace
from dr_stack.foundation.providers import ROLES, ROUTE53_REGION, DrRole, RegionalProviders
from dr_stack.naming.names import StackNames
from dr_stack.observability.monitoring import AlarmTopic

# The switch metric's names come from the Lambda contract: the orchestrator writes 1 to fence the primary
# (traffic moves to the secondary) and 0 to let it back; the switch keeper re-publishes it every minute.
TRAFFIC_SWITCH_NAMESPACE = contract.METRIC_NAMESPACE
TRAFFIC_SWITCH_METRIC = contract.TRAFFIC_SWITCH_METRIC
TRAFFIC_SWITCH_DIMENSION = contract.GLOBAL_CLUSTER_DIMENSION
# Route53 checks from these regions (at least three are required); spread over three continents.
HEALTH_CHECKER_REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "ap-southeast-1")
VALIDATION_RECORD_TTL_SECONDS = 300


def switch_publishing_denied() -> DataAwsIamPolicyDocumentStatement:
    """The statement that keeps a role from moving the traffic switch or faking readiness: no PutMetricData into
    the switch's namespace (PrimaryFenced=1 there sends production traffic to the secondary; only the switch keeper
    and the orchestrators may publish in it) nor into the readiness namespace (ReadyForFailover; only the
    orchestrators)."""
    return deny_metric_namespace(
        (TRAFFIC_SWITCH_NAMESPACE, contract.READINESS_NAMESPACE), sid="NeverPublishTheTrafficSwitch"
    )


class HostedZone(Construct):
    """The public hosted zone of the domain: created here or looked up by name."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        provider: AwsProvider,
        zone_name: str,
        create: bool,
        comment: str = "",
    ) -> None:
        """The public zone ``zone_name`` (Route53 is global: ``provider`` is the primary one). ``create`` False: an
        existing public zone of that name is looked up; True: a new zone is created with ``comment``."""
        super().__init__(scope, id_)
        self.provider = provider
        self.created = create
        if create:
            zone = Route53Zone(self, "zone", provider=provider, name=zone_name, comment=comment)
            self._zone_id = zone.zone_id
        else:
            found = DataAwsRoute53Zone(self, "zone", provider=provider, name=zone_name, private_zone=False)
            self._zone_id = found.zone_id
        self._zone_name = zone_name

    @property
    def zone_id(self) -> str:
        """Id of the hosted zone."""
        return self._zone_id

    @property
    def zone_name(self) -> str:
        """DNS name of the hosted zone."""
        return self._zone_name


class ValidatedCertificate(Construct):
    """An ACM certificate for the domain in one region (ALBs need one in their own region), DNS-validated."""

    def __init__(
        self, scope: Construct, id_: str, *, provider: AwsProvider, domain_name: str, zone: HostedZone, name: str
    ) -> None:
        """A certificate for ``domain_name`` in the region of ``provider``, validated by records in ``zone``;
        ``name`` is its Name tag."""
        super().__init__(scope, id_)
        certificate = AcmCertificate(
            self,
            "certificate",
            provider=provider,
            domain_name=domain_name,
            validation_method="DNS",
            key_algorithm="EC_prime256v1",
            tags={"Name": name},
            lifecycle={"create_before_destroy": True},
        )
        options = TerraformIterator.from_complex_list(certificate.domain_validation_options, "domain_name")
        # ACM asks for the same CNAME for the same domain in every region of an account, so both regions'
        # records may name one record: allow_overwrite makes the second an idempotent upsert.
        records = Route53Record(
            self,
            "validation_record",
            provider=zone.provider,
            for_each=options,
            zone_id=zone.zone_id,
            name=options.get_string("resource_record_name"),
            type=options.get_string("resource_record_type"),
            records=[options.get_string("resource_record_value")],
            ttl=VALIDATION_RECORD_TTL_SECONDS,
            allow_overwrite=True,
        )
        fqdns = Token.as_list(TerraformIterator.from_resources(records).pluck_property("fqdn"))
        self.validation = AcmCertificateValidation(
            self,
            "validation",
            provider=provider,
            certificate_arn=certificate.arn,
            validation_record_fqdns=fqdns,
        )

    @property
    def certificate_arn(self) -> str:
        """ARN of the certificate, known only once it is issued (listeners using it wait for validation)."""
        return self.validation.certificate_arn


class DnsFailover(Construct):
    """Health checks on both ALBs, the data-plane traffic switch, and PRIMARY/SECONDARY failover records."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        providers: RegionalProviders,
        app_tiers: Mapping[DrRole, AppTier],
        alarm_topics: Mapping[DrRole, AlarmTopic],
        us_east_1_topic_arn: str,
        names: StackNames,
        global_cluster_identifier: str,
        health_check_path: str,
        health_check_interval_seconds: int,
        health_check_failure_threshold: int,
        alarm_evaluation_periods: int,
        zone: HostedZone | None = None,
        domain_name: str | None = None,
    ) -> None:
        """Health checks on the ALBs of ``app_tiers`` (``health_check_path`` every ``health_check_interval_seconds``,
        unhealthy after ``health_check_failure_threshold`` failures), the traffic switch of the global cluster
        ``global_cluster_identifier`` (its alarm notifies the secondary topic of ``alarm_topics``) and alarms on
        the checks after ``alarm_evaluation_periods`` minutes. Every name comes from ``names``.

        ``us_east_1_topic_arn``: SNS topic in us-east-1 for the health-check alarms (Route53 publishes its metrics
        there only, and an alarm can only notify a topic of its own region). ``zone`` and ``domain_name``: None
        (no domain) means health checks over HTTP and the traffic switch, without records; given, HTTPS checks
        and PRIMARY/SECONDARY records for ``domain_name`` in ``zone``."""
        super().__init__(scope, id_)
        if (zone is None) != (domain_name is None):
            raise ValueError("DnsFailover needs both zone and domain_name, or neither")
        self._zone = zone
        self._domain_name = domain_name
        self._app_tiers = app_tiers
        self._names = names
        route53 = providers.primary
        https = zone is not None
        name = names.prefix

        self.health_checks: dict[DrRole, Route53HealthCheck] = {}
        for role in ROLES:
            self.health_checks[role] = Route53HealthCheck(
                self,
                f"{role}_alb_health_check",
                provider=route53,
                type="HTTPS" if https else "HTTP",
                fqdn=app_tiers[role].alb_dns_name,
                port=HTTPS_PORT if https else HTTP_PORT,
                resource_path=health_check_path,
                request_interval=health_check_interval_seconds,
                failure_threshold=health_check_failure_threshold,
                measure_latency=True,
                enable_sni=True if https else None,
                regions=list(HEALTH_CHECKER_REGIONS),
                reference_name=names.region(role).alb_health_check_reference,
                tags={"Name": f"{name}-{role}-alb"},
            )

        # The traffic switch: the orchestrator fences the primary by writing the switch item and PrimaryFenced=1 in
        # the secondary region, which it can reach when the primary region cannot be; the switch keeper there
        # re-publishes the item's value every minute. A Route53 health check follows this alarm's data stream, so
        # traffic moves without any Route53 (us-east-1 control plane) call during a failover.
        self.traffic_switch_region_name = providers.secondary_region
        self.traffic_switch_alarm = CloudwatchMetricAlarm(
            self,
            "traffic_switch_alarm",
            provider=providers.secondary,
            alarm_name=names.traffic_switch_alarm,
            alarm_description="ALARM: the failover orchestrator fenced the primary region; Route53 sends users "
            "to the secondary. The orchestrator writes 0 to let the primary back.",
            namespace=TRAFFIC_SWITCH_NAMESPACE,
            metric_name=TRAFFIC_SWITCH_METRIC,
            dimensions={TRAFFIC_SWITCH_DIMENSION: global_cluster_identifier},
            statistic="Maximum",
            period=TRAFFIC_SWITCH_PERIOD_SECONDS,
            evaluation_periods=1,
            threshold=1,
            comparison_operator="GreaterThanOrEqualToThreshold",
            # Route53 reads the data stream, not this alarm's state (which only notifies people); "ignore" keeps
            # the notifications quiet if the keeper misses a minute.
            treat_missing_data="ignore",
            alarm_actions=[alarm_topics["secondary"].topic_arn],
            ok_actions=[alarm_topics["secondary"].topic_arn],
        )
        self.traffic_switch_health_check = Route53HealthCheck(
            self,
            "traffic_switch_health_check",
            provider=route53,
            type="CLOUDWATCH_METRIC",
            cloudwatch_alarm_name=self.traffic_switch_alarm.alarm_name,
            cloudwatch_alarm_region=self.traffic_switch_region_name,
            # "Route 53 monitors the data stream for the corresponding alarm instead of monitoring the alarm state"
            # (Route53 Developer Guide). With too little data (the keeper or the whole secondary region silent),
            # LastKnownStatus holds the last switch state instead of flipping to Healthy and returning users to a
            # fenced primary. A new health check with no last known status is healthy (primary in service).
            insufficient_data_health_status="LastKnownStatus",
            reference_name=names.traffic_switch_health_check_reference,
            tags={"Name": f"{name}-traffic-switch"},
        )
        self.primary_calculated_health_check = Route53HealthCheck(
            self,
            "primary_calculated_health_check",
            provider=route53,
            type="CALCULATED",
            child_healthchecks=[self.health_checks["primary"].id, self.traffic_switch_health_check.id],
            # Both must be healthy: an unhealthy primary ALB *or* a fenced primary moves traffic.
            child_health_threshold=2,
            reference_name=names.in_service_health_check_reference,
            tags={"Name": f"{name}-primary-serving"},
        )

        self.records: dict[DrRole, Route53Record] = {}
        if zone is not None:
            # Only the PRIMARY record is health-checked. Route53 answers the primary "regardless of the health of
            # the primary" whenever the SECONDARY record is unhealthy, and always answers the secondary when the
            # primary is unhealthy and the secondary has no health check (Route53 API Reference,
            # ResourceRecordSet.Failover). A secondary check would therefore undo the fence whenever the
            # secondary ALB check fails for a minute; its check stays for the alarms below.
            record_health_checks: dict[DrRole, str | None] = {
                "primary": self.primary_calculated_health_check.id,
                "secondary": None,
            }
            for role in ROLES:
                self.records[role] = Route53Record(
                    self,
                    f"{role}_record",
                    provider=route53,
                    zone_id=zone.zone_id,
                    name=domain_name,
                    type="A",
                    set_identifier=role,
                    failover_routing_policy=Route53RecordFailoverRoutingPolicy(type=role.upper()),
                    health_check_id=record_health_checks[role],
                    alias=Route53RecordAlias(
                        name=app_tiers[role].alb_dns_name,
                        zone_id=app_tiers[role].alb_zone_id,
                        evaluate_target_health=role == "primary",
                    ),
                )

        # Route53 publishes HealthCheckStatus in us-east-1 only, and an alarm can notify only a topic of its
        # own region: these alarms use the us_east_1 provider and a topic there.
        actions = [us_east_1_topic_arn]
        watched = {
            f"{role}_alb": (check.id, names.region(role).alb_health_check_alarm)
            for role, check in self.health_checks.items()
        }
        watched["primary_in_service"] = (self.primary_calculated_health_check.id, names.in_service_health_check_alarm)
        self.health_check_alarms: dict[str, CloudwatchMetricAlarm] = {}
        for label, (check_id, alarm_name) in watched.items():
            self.health_check_alarms[label] = CloudwatchMetricAlarm(
                self,
                f"{label}_health_check_alarm",
                provider=providers.us_east_1,
                alarm_name=alarm_name,
                alarm_description=f"Route53 health check {label.replace('_', ' ')} is failing",
                namespace="AWS/Route53",
                metric_name="HealthCheckStatus",
                dimensions={"HealthCheckId": check_id},
                statistic="Minimum",
                period=ROUTE53_METRIC_PERIOD_SECONDS,
                evaluation_periods=alarm_evaluation_periods,
                threshold=1,
                comparison_operator="LessThanThreshold",
                treat_missing_data="breaching",
                alarm_actions=actions,
                ok_actions=actions,
            )

    @property
    def zone_id(self) -> str | None:
        """Id of the hosted zone, None without a domain."""
        return self._zone.zone_id if self._zone is not None else None

    @property
    def app_fqdn(self) -> str:
        """Name users reach the app at: the domain, or the primary ALB's DNS name without one."""
        return self._domain_name or self._app_tiers["primary"].alb_dns_name

    def health_check_id(self, role: DrRole) -> str:
        """Id of the Route53 health check on a region's ALB."""
        return self.health_checks[role].id

    @property
    def primary_calculated_health_check_id(self) -> str:
        """Id of the calculated check the PRIMARY record carries (ALB healthy and primary not fenced)."""
        return self.primary_calculated_health_check.id

    @property
    def traffic_switch_health_check_id(self) -> str:
        """Id of the health check that follows the traffic-switch alarm."""
        return self.traffic_switch_health_check.id

    @property
    def traffic_switch_alarm_name(self) -> str:
        """Name of the traffic-switch alarm (in traffic_switch_region)."""
        return self.traffic_switch_alarm.alarm_name

    def refuse_switch_publishing(self, grantee: IamRole, *, provider: AwsProvider, slug: str) -> None:
        """Give ``grantee`` (a role that must never move the traffic switch, such as the app instances') an
        explicit Deny of publishing into the switch's namespace; ``slug`` names the policy's construct."""
        attach_inline_policy(
            self,
            f"{slug}_switch_publishing_denied",
            provider=provider,
            grantee=grantee,
            name=self._names.switch_publishing_denial_policy,
            statements=[switch_publishing_denied()],
        )

    @property
    def traffic_switch_region(self) -> str:
        """Region of the traffic-switch alarm and metric: the secondary region."""
        return self.traffic_switch_region_name

    @property
    def health_check_region(self) -> str:
        """Region where Route53 publishes health-check metrics."""
        return ROUTE53_REGION
