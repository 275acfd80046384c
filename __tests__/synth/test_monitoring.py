"""Alarm topic: KMS-encrypted SNS topic, e-mail subscription only when an address is given (unit tests)."""

from __future__ import annotations

import pytest
from cdktf import Testing
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
from conftest import Synthesized


def _topic_stack(email: str | None) -> Synthesized:
    from construct_support import empty_stack, provider_pair, regional_keys, synth
    from dr_stack.observability.monitoring import AlarmTopic

    stack = empty_stack("topic")
    providers = provider_pair(stack)
    keys = regional_keys(stack, providers)
    AlarmTopic(stack, "topic", provider=providers.secondary, name="unit-alarms", key=keys["secondary"], email=email)
    return synth(stack)


@pytest.fixture(scope="module")
def with_email() -> Synthesized:
    return _topic_stack("oncall@example.com")


def test_topic_is_encrypted_with_the_key_of_its_region(with_email: Synthesized) -> None:
    topic = with_email.only("aws_sns_topic")
    assert topic["provider"] == "aws.secondary"
    assert topic["kms_master_key_id"] == with_email.key_arn("secondary")
    assert Testing.to_have_resource_with_properties(with_email.text, SnsTopic.TF_RESOURCE_TYPE, {"name": "unit-alarms"})


def test_email_subscribes_the_address_to_the_topic(with_email: Synthesized) -> None:
    assert Testing.to_have_resource_with_properties(
        with_email.text,
        SnsTopicSubscription.TF_RESOURCE_TYPE,
        {"protocol": "email", "endpoint": "oncall@example.com"},
    )
    assert with_email.only("aws_sns_topic_subscription")["topic_arn"] == with_email.ref("aws_sns_topic", "topic", "arn")


def test_no_email_means_no_subscription() -> None:
    assert _topic_stack(None).resources("aws_sns_topic_subscription") == {}
