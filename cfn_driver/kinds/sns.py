"""AWS::SNS::Topic, recorded: nothing calls SNS here (no SNS backend: a rule's deliveries to a topic are recorded by
EventBridge).

Source: "AWS::SNS::Topic" (resource reference): Ref is the topic's ARN, Fn::GetAtt TopicArn and TopicName; a topic
without TopicName gets a generated one; TopicName and FifoTopic replace it.
"""

from __future__ import annotations

import re

from cfn_driver.kinds.base import Change, Driver, Provisioner, custom_name_replacement, unmodelled
from cfn_driver.model import Pending, Result

TOPIC = "AWS::SNS::Topic"
# https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sns-topic.html: the properties a
# topic may have, recorded; anything else fails the resource rather than be silently dropped.
TOPIC_PROPERTIES = {
    "TopicName",
    "DisplayName",
    "KmsMasterKeyId",
    "Tags",
    "FifoTopic",
    "ContentBasedDeduplication",
    "Subscription",
    "SignatureVersion",
    "TracingConfig",
    "ArchivePolicy",
    "DataProtectionPolicy",
    "DeliveryStatusLogging",
    "FifoThroughputScope",
}
# SNS CreateTopic (https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html): "Topic names must be made up of
# only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256
# characters long"; a FIFO topic's name ends with .fifo.
TOPIC_NAME = re.compile(r"[A-Za-z0-9_-]{1,256}")


class Topic(Provisioner):
    """Ref is its ARN, arn:aws:sns:<region>:<account>:<name>, Fn::GetAtt TopicArn and TopicName. Without TopicName,
    CloudFormation generates the name; a FIFO topic's ends with .fifo, as SNS requires. A new TopicName or FifoTopic
    replaces the topic, anything else updates it in place (the template reference). KmsMasterKeyId (a key, or an
    alias such as alias/aws/sns) is recorded and not checked: no KMS here."""

    types = (TOPIC,)

    def provision(self, driver: Driver, change: Change) -> Result | Pending:
        props, old = change.properties, change.old
        refused = unmodelled(TOPIC, props, TOPIC_PROPERTIES)
        if refused is not None:
            return refused
        fifo = str(props.get("FifoTopic", False)).lower() == "true"
        in_place = old is not None and all(old.properties.get(k) == props.get(k) for k in ("TopicName", "FifoTopic"))
        name = str(props.get("TopicName") or "")
        if not name:
            if old is not None and in_place:
                name = str(old.attributes["TopicName"])
            else:
                name = driver.short_name(change.stack, change.logical_id, 251 if fifo else 256) + (
                    ".fifo" if fifo else ""
                )
        base = name.removesuffix(".fifo") if fifo else name
        if not TOPIC_NAME.fullmatch(base) or len(name) > 256 or name.endswith(".fifo") != fifo:
            return Result(False, f"Invalid parameter: Topic Name {name!r} (Error Code: InvalidParameter)")
        arn = f"arn:aws:sns:{driver.region}:{driver.account}:{name}"
        if old is not None and not in_place and old.physical_id == arn:
            return Result(False, custom_name_replacement(name))
        driver.record(change.stack, change.resource(arn, {"TopicArn": arn, "TopicName": name}))
        return Result(True, physical_id=arn)
