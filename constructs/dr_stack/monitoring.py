"""Per-region alarm topic: KMS-encrypted SNS with an optional e-mail subscription; alarms elsewhere target it."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription

from constructs import Construct
from dr_stack.keys import RegionalKey
from dr_stack.settings import Settings


class AlarmTopic(Construct):
    """The SNS topic a region's alarms and the failover orchestrator notify."""

    def __init__(
        self, scope: Construct, id_: str, *, provider: AwsProvider, settings: Settings, role: str, key: RegionalKey
    ) -> None:
        super().__init__(scope, id_)
        self.topic = SnsTopic(
            self,
            "topic",
            provider=provider,
            name=f"{settings.name_prefix}-{role}-alarms",
            kms_master_key_id=key.key_arn,
        )
        if settings.alarm_email:
            SnsTopicSubscription(
                self,
                "email",
                provider=provider,
                topic_arn=self.topic.arn,
                protocol="email",
                endpoint=settings.alarm_email,
            )

    @property
    def topic_arn(self) -> str:
        """ARN of the topic: use it as an alarm action."""
        return self.topic.arn
