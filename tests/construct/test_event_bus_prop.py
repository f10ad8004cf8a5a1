"""``event_bus`` (issue 20): the library's events on a bus whose policy admits only the stack's provider and monitor
roles to put the library's source, the rules on that bus, and the default bus exactly as before without it.

On the default bus anyone allowed ``events:PutEvents`` in the account can put an event with the source
``cdk-workspaces-image``; the statement the library adds to the given bus denies that to every principal but the
roles of the stack (constructs/cdk_workspaces_image/_bus.py says why a Deny, and which keys).
"""

from __future__ import annotations

import json
import re
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_events as events
from aws_cdk.assertions import Template
from support.construct import (
    ACCOUNT,
    COPY_REGION,
    PROPS,
    REGION,
    STACK_GUID,
    new_stack,
    only,
    refused,
    resources,
    statement_sid,
)

from cdk_workspaces_image import (
    ComputeType,
    UpdatedWorkspaceImage,
    WorkspaceBundle,
    WorkspaceImageCopy,
    WorkspaceImageUpdateMonitor,
)
from cdk_workspaces_image_handler import contract

BUNDLE: dict[str, Any] = {
    "bundle_name": "golden-standard",
    "description": "Standard bundle",
    "compute_type": ComputeType.STANDARD,
    "user_storage_gib": 50,
    "root_storage_gib": 80,
}
COPY: dict[str, Any] = {
    "source_image_id": "wsi-0123456789",
    "image_name": "golden-copy",
    "description": "Copy",
    "source_region": "eu-central-1",
}


def bus_stack() -> tuple[cdk.Stack, events.EventBus]:
    stack = new_stack()
    return stack, events.EventBus(stack, "News", event_bus_name="golden-news")


def the_statement(template: Template) -> tuple[dict[str, Any], dict[str, Any]]:
    """The one AWS::Events::EventBusPolicy's properties, and its Statement."""
    _, policy = only(template, "AWS::Events::EventBusPolicy")
    return policy["Properties"], policy["Properties"]["Statement"]


def role_arns(template: Template, *paths: str) -> list[dict[str, Any]]:
    """The Fn::GetAtt Arn of the roles whose logical ids start with these construct paths (spelled as CDK does)."""
    ids = sorted(resources(template, "AWS::IAM::Role"))
    return [{"Fn::GetAtt": [next(i for i in ids if i.startswith(p)), "Arn"]} for p in paths]


def bus_arn(template: Template) -> dict[str, Any]:
    bus_id, _ = only(template, "AWS::Events::EventBus")
    return {"Fn::GetAtt": [bus_id, "Arn"]}


def test_an_image_on_a_bus_adds_the_deny_for_all_but_the_provider_and_puts_its_events_there() -> None:
    stack, bus = bus_stack()
    UpdatedWorkspaceImage(stack, "Golden", **PROPS, event_bus=bus)
    template = Template.from_stack(stack)
    bus_id, _ = only(template, "AWS::Events::EventBus")
    properties, statement = the_statement(template)
    assert properties["EventBusName"] == {"Ref": bus_id}
    statement_id = properties["StatementId"]
    ((separator, (prefix, guid)),) = statement_id.values()
    assert (separator, guid) == ("-", STACK_GUID), "unique per bus and stack"
    assert re.fullmatch("cdkwsi-[0-9a-f]{8}", prefix), "and new with a new resource (its construct id)"
    assert statement == {
        "Sid": statement_id,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "events:PutEvents",
        "Resource": bus_arn(template),
        "Condition": {
            "ForAnyValue:StringEquals": {"events:source": [contract.EVENT_SOURCE]},
            "StringNotEquals": {"aws:PrincipalArn": role_arns(template, "CdkWorkspacesImageProviderRole")},
        },
    }
    # The provider's role may put events on that bus only, of its own source only.
    put = statement_sid(template, "PutEvents")
    assert put["Resource"] == bus_arn(template)
    assert put["Condition"] == {
        "ForAllValues:StringEquals": {"events:source": [contract.EVENT_SOURCE]},
        "Null": {"events:source": "false"},
    }
    _, function = only(template, "AWS::Lambda::Function")
    assert function["Properties"]["Environment"]["Variables"][contract.ENV_EVENT_BUS] == {"Ref": bus_id}


def test_the_rules_are_made_on_the_bus() -> None:
    stack, bus = bus_stack()
    image = UpdatedWorkspaceImage(stack, "Golden", **PROPS, event_bus=bus, copy_to_regions=[COPY_REGION])
    image.on_image_available("Available")
    image.on_image_failed("Failed")
    image.copies[COPY_REGION].on_image_available("CopyAvailable")
    template = Template.from_stack(stack)
    bus_id, _ = only(template, "AWS::Events::EventBus")
    patterned = [r for r in resources(template, "AWS::Events::Rule").values() if "EventPattern" in r["Properties"]]
    assert len(patterned) == 3
    assert all(r["Properties"]["EventBusName"] == {"Ref": bus_id} for r in patterned)
    watch = [r for r in resources(template, "AWS::Events::Rule").values() if "ScheduleExpression" in r["Properties"]]
    assert all("EventBusName" not in r["Properties"] for r in watch), "the watch schedule stays on the default bus"


def test_without_event_bus_nothing_changes() -> None:
    """The default: no bus policy, no variable, PutEvents on the default bus, rules without EventBusName."""
    stack = new_stack()
    image = UpdatedWorkspaceImage(stack, "Golden", **PROPS)
    image.on_image_available("Available")
    WorkspaceImageUpdateMonitor(stack, "Monitor", images=[image]).on_update_available("Updates")
    template = Template.from_stack(stack)
    assert resources(template, "AWS::Events::EventBusPolicy") == {}
    default = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":events:{REGION}:{ACCOUNT}:event-bus/default"]]}
    puts = [s for s in _statements(template) if s.get("Sid") == "PutEvents"]
    assert [s["Resource"] for s in puts] == [default, default]
    for function in resources(template, "AWS::Lambda::Function").values():
        assert contract.ENV_EVENT_BUS not in function["Properties"]["Environment"]["Variables"]
    assert all("EventBusName" not in r["Properties"] for r in resources(template, "AWS::Events::Rule").values())


def _statements(template: Template) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for policy in resources(template, "AWS::IAM::Policy").values():
        found += policy["Properties"]["PolicyDocument"]["Statement"]
    return found


def test_the_monitor_and_the_provider_share_one_statement_on_the_bus() -> None:
    stack, bus = bus_stack()
    image = UpdatedWorkspaceImage(stack, "Golden", **PROPS, event_bus=bus)
    WorkspaceBundle(stack, "Standard", image_id=image, **BUNDLE, event_bus=bus)
    WorkspaceImageCopy(stack, "Copy", **COPY, event_bus=bus)
    monitor = WorkspaceImageUpdateMonitor(stack, "Monitor", images=[image], event_bus=bus)
    rule = monitor.on_update_available("Updates")
    template = Template.from_stack(stack)
    _, statement = the_statement(template)
    spared = statement["Condition"]["StringNotEquals"]["aws:PrincipalArn"]
    assert spared == role_arns(template, "CdkWorkspacesImageProviderRole", "MonitorRole")
    puts = [s for s in _statements(template) if s.get("Sid") == "PutEvents"]
    assert [s["Resource"] for s in puts] == [bus_arn(template)] * 2
    monitor_fn = next(
        f for i, f in resources(template, "AWS::Lambda::Function").items() if i.startswith("MonitorFunction")
    )
    bus_id, _ = only(template, "AWS::Events::EventBus")
    assert monitor_fn["Properties"]["Environment"]["Variables"][contract.ENV_EVENT_BUS] == {"Ref": bus_id}
    assert stack.resolve(rule.node.default_child.event_bus_name) == {"Ref": bus_id}  # type: ignore[union-attr]


def test_an_imported_bus_gets_the_statement_by_name() -> None:
    stack = new_stack()
    bus = events.EventBus.from_event_bus_name(stack, "News", "golden-news")
    UpdatedWorkspaceImage(stack, "Golden", **PROPS, event_bus=bus).on_image_available("Available")
    template = Template.from_stack(stack)
    properties, statement = the_statement(template)
    assert properties["EventBusName"] == "golden-news"
    arn = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":events:{REGION}:{ACCOUNT}:event-bus/golden-news"]]}
    assert statement["Resource"] == arn
    assert statement_sid(template, "PutEvents")["Resource"] == arn
    (rule,) = [r for r in resources(template, "AWS::Events::Rule").values() if "EventPattern" in r["Properties"]]
    assert rule["Properties"]["EventBusName"] == "golden-news"


def test_two_buses_in_one_stack_are_refused_naming_both_constructs() -> None:
    stack, bus = bus_stack()
    other = events.EventBus(stack, "Other", event_bus_name="other-news")
    UpdatedWorkspaceImage(stack, "Golden", **PROPS, event_bus=bus)
    with refused(
        "Test/Standard: event_bus Test/Other is not the event_bus of Test/Golden, Test/News; the images, copies and "
        "bundles of a stack share one provider, which puts every event on one bus: give each of them the same "
        "event_bus, or none"
    ):
        WorkspaceBundle(stack, "Standard", image_id="wsi-0123456789", **BUNDLE, event_bus=other)
    with refused(
        "Test/Copy: event_bus None (the account's default bus) is not the event_bus of Test/Golden", whole=False
    ):
        WorkspaceImageCopy(stack, "Copy", **COPY)


def test_a_monitor_may_use_another_bus_than_the_provider() -> None:
    """The monitor has its own function: its bus gets its own statement, sparing its role."""
    stack, bus = bus_stack()
    UpdatedWorkspaceImage(stack, "Golden", **PROPS, event_bus=bus)
    other = events.EventBus(stack, "Updates", event_bus_name="golden-updates")
    WorkspaceImageUpdateMonitor(stack, "Monitor", images=["wsi-0123456789"], event_bus=other)
    template = Template.from_stack(stack)
    guards = resources(template, "AWS::Events::EventBusPolicy").values()
    spared = sorted(json.dumps(g["Properties"]["Statement"]["Condition"]["StringNotEquals"]) for g in guards)
    assert len(spared) == 2
    assert any("Monitor" in s and "Provider" not in s for s in spared)


def test_a_bus_another_stack_names_is_refused() -> None:
    """Each stack's statement refuses every role but its own: two on one bus would refuse each other."""
    app = cdk.App(context={"aws:cdk:bundling-stacks": []})
    env = cdk.Environment(account=ACCOUNT, region=REGION)
    first, second = cdk.Stack(app, "First", env=env), cdk.Stack(app, "Second", env=env)
    UpdatedWorkspaceImage(first, "Golden", **PROPS, event_bus=events.EventBus.from_event_bus_name(first, "B", "news"))
    with refused(
        "Second/Golden: event_bus Second/B (event bus news) is also the event_bus of First/Golden (in stack First, "
        "which deploys to the same account and Region); a bus carries the library's events of one stack only, since "
        "each stack's statement on it refuses every role but its own: give each stack a bus of its own"
    ):
        UpdatedWorkspaceImage(
            second,
            "Golden",
            **{**PROPS, "image_name": "other"},
            event_bus=events.EventBus.from_event_bus_name(second, "B", "news"),
        )


@pytest.mark.parametrize(
    ("bus", "reason"),
    [
        ("golden-news", "event_bus 'golden-news' must be an aws_events.IEventBus"),
        (
            "arn:aws:events:us-east-1:111122223333:event-bus/news",
            "event_bus Test/News (event bus news) is in Region us-east-1, but this stack deploys to eu-west-1; name a "
            "bus of the stack's own account and Region: the provider and the monitor put their events there",
        ),
    ],
)
def test_a_bus_of_another_type_or_region_is_refused(bus: str, reason: str) -> None:
    stack = new_stack()
    given: Any = events.EventBus.from_event_bus_arn(stack, "News", bus) if bus.startswith("arn:") else bus
    with refused(f"Test/Golden: {reason}"):
        UpdatedWorkspaceImage(stack, "Golden", **PROPS, event_bus=given)
    with refused(f"Test/Monitor: {reason}"):
        WorkspaceImageUpdateMonitor(stack, "Monitor", images=["wsi-0123456789"], event_bus=given)
