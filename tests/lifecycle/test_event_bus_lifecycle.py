"""event_bus through the driver with IAM enforced (issue 20): the image's news goes on the stack's own bus, where its
rule hears it, and an attacker allowed events:PutEvents on "*" cannot put the library's source there; on the default
bus it still can, which is what docs/troubleshooting.md says the default allows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sns as sns
from botocore.exceptions import ClientError
from support.lifecycle import World

from cdk_workspaces_image import UpdatedWorkspaceImage
from cdk_workspaces_image_handler import contract
from cfn_driver.assembly import Assembly, load
from cfn_driver.cloud import ACCOUNT, REGION

BUS = "golden-news"


def on_a_bus(outdir: Path, source_image_id: str) -> Assembly:
    """An image whose events go on a bus of the stack, and its on_image_available rule there, notifying a topic."""
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, "Golden", env=cdk.Environment(account=ACCOUNT, region=REGION))
    bus = events.EventBus(stack, "News", event_bus_name=BUS)
    image = UpdatedWorkspaceImage(
        stack,
        "Golden",
        source_image_id=source_image_id,
        image_name="golden-2026-11",
        description="Golden image",
        removal_policy=cdk.RemovalPolicy.DESTROY,
        event_bus=bus,
    )
    topic = sns.Topic(stack, "Notifications")
    image.on_image_available("Available", target=targets.SnsTopic(topic))
    cdk.CfnOutput(stack, "ImageId", value=image.image_id)
    cdk.CfnOutput(stack, "TopicArn", value=topic.topic_arn)
    app.synth()
    return load(outdir, "Golden")


@pytest.fixture
def world() -> Iterator[World]:
    made = World.new()
    yield made
    made.close()


def heard(world: World, topic: str) -> list[tuple[str, Any]]:
    """What the rule delivered to the topic: each event's DetailType and ImageId."""
    return [
        (d.event["detail-type"], d.event["detail"].get(contract.Detail.IMAGE_ID))
        for d in world.cloud.events.deliveries
        if d.arn == topic
    ]


def test_the_rule_on_the_bus_hears_the_image_and_an_attacker_cannot_put_the_library_source_there(
    world: World, tmp_path: Path
) -> None:
    stack = world.deploy(on_a_bus(tmp_path, world.sources[0]))
    assert stack.status == "CREATE_COMPLETE", stack.reason
    image_id, topic = str(stack.outputs["ImageId"]), str(stack.outputs["TopicArn"])
    assert heard(world, topic) == [(contract.DetailTypes.IMAGE_AVAILABLE, image_id)]
    ours = [p for p in world.cloud.events.events_put if p.source == contract.EVENT_SOURCE]
    assert {p.bus for p in ours} == {BUS}, "nothing of the library's on the default bus"
    assert world.checked() > 0
    assert world.denials() == [], "the provider put its events under the bus's policy"

    # Someone allowed PutEvents everywhere forges the same news on the stack's bus: the bus's statement refuses it.
    attacker = world.client_as("events", [{"Effect": "Allow", "Action": "events:PutEvents", "Resource": "*"}])
    forged = {
        "Source": contract.EVENT_SOURCE,
        "DetailType": contract.DetailTypes.IMAGE_AVAILABLE,
        "Detail": json.dumps(ours[0].detail),
    }
    with pytest.raises(ClientError) as refused:
        attacker.put_events(Entries=[{**forged, "EventBusName": BUS}])
    error = refused.value.response["Error"]
    assert error["Code"] == "AccessDeniedException"
    assert error["Message"].endswith(f":event-bus/{BUS} with an explicit deny in a resource-based policy")
    assert heard(world, topic) == [(contract.DetailTypes.IMAGE_AVAILABLE, image_id)], "the rule heard nothing forged"
    # Another source on that bus is the bus's owner's to allow; the library's own on the default bus, anyone's with
    # events:PutEvents: what the default allows.
    other = attacker.put_events(Entries=[{**forged, "Source": "someone-else", "EventBusName": BUS}])
    assert other["FailedEntryCount"] == 0
    assert attacker.put_events(Entries=[forged])["FailedEntryCount"] == 0

    assert world.cfn.delete("Golden").status == "DELETE_COMPLETE"
    assert list(world.cloud.events.buses) == ["default"], "the rule, the statement and the bus are gone"
