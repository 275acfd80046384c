"""Per-region alarm topic: KMS-encrypted SNS with an optional e-mail subscription; alarms elsewhere target it."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription

from constructs import Construct
from dr_stack.foundation.keys import RegionalKey


class AlarmTopic(Construct):
    """The SNS topic a region's alarms and the failover orchestrator notify."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        provider: AwsProvider,
        name: str,
        key: RegionalKey,
        email: str | None = None,
    ) -> None:
        """A topic called ``name`` encrypted with ``key`` (of the provider's region). ``email`` None: no
        subscription (alarms still change state and show on the dashboard, nobody is mailed)."""
        super().__init__(scope, id_)
        self._key = key
        self.topic = SnsTopic(self, "topic", provider=provider, name=name, kms_master_key_id=key.key_arn)
        if email:
            SnsTopicSubscription(
                self,
                "email",
                provider=provider,
                topic_arn=self.topic.arn,
                protocol="email",
                endpoint=email,
            )

    def allow_publisher_key_use(self, publisher: IamRole) -> None:
        """Name ``publisher`` (a role granted sns:Publish on the topic) in the key policy: publishing to a
        KMS-encrypted topic needs kms:GenerateDataKey* and kms:Decrypt through SNS (SNS Developer Guide,
        "Encryption at rest", permissions for publishers)."""
        self._key.allow_use(
            publisher.arn,
            sid="PublishersThroughSns",
            services=("sns",),
            actions=("kms:Decrypt", "kms:GenerateDataKey*"),
        )

    @property
    def topic_arn(self) -> str:
        """ARN of the topic: use it as an alarm action."""
        return self.topic.arn
