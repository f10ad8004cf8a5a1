"""``image.on_image_available`` and ``image.on_image_failed``: rules for the events the provider puts on the bus.

They match the stack and the custom resource's logical id, never the image id, so next month's replacement is
still matched by the rule made this month.
"""

from __future__ import annotations

import re
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Match, Template
from support.construct import PROPS, image_stack, new_stack, only, resources

from cdk_workspaces_image import UpdatedWorkspaceImage
from cdk_workspaces_image_handler import contract

METHODS = {
    "on_image_available": contract.DetailTypes.IMAGE_AVAILABLE,
    "on_image_failed": contract.DetailTypes.IMAGE_FAILED,
}


def rule_of(template: Template, detail_type: str) -> dict[str, Any]:
    found = [
        rule
        for rule in resources(template, "AWS::Events::Rule").values()
        if rule["Properties"].get("EventPattern", {}).get("detail-type") == [detail_type]
    ]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(("method", "detail_type"), sorted(METHODS.items()))
def test_the_rule_matches_this_resource_by_stack_and_logical_id(method: str, detail_type: str) -> None:
    stack, image = image_stack()
    rule = getattr(image, method)("Notify")
    template = Template.from_stack(stack)
    image_id, _ = only(template, "Custom::UpdatedWorkspaceImage")

    template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": Match.object_equals(
                {
                    "source": [contract.EVENT_SOURCE],
                    "detail-type": [detail_type],
                    "detail": {"StackId": [{"Ref": "AWS::StackId"}], "LogicalId": [image_id]},
                }
            ),
            "State": "ENABLED",
        },
    )
    # aws-cdk's onXxx convention: the rule is returned, and made in the scope of what it is about.
    assert rule.node.scope is image
    assert rule.node.path == "Test/Golden/Notify"


@pytest.mark.parametrize("method", sorted(METHODS))
def test_the_target_is_the_rules(method: str) -> None:
    stack, image = image_stack()
    topic = sns.Topic(stack, "Topic")
    getattr(image, method)("Notify", target=targets.SnsTopic(topic))
    template = Template.from_stack(stack)
    topic_id, _ = only(template, "AWS::SNS::Topic")
    assert rule_of(template, METHODS[method])["Properties"]["Targets"] == [{"Arn": {"Ref": topic_id}, "Id": "Target0"}]


def test_without_a_target_the_rule_has_none() -> None:
    stack, image = image_stack()
    image.on_image_failed("Failed")
    assert "Targets" not in rule_of(Template.from_stack(stack), contract.DetailTypes.IMAGE_FAILED)["Properties"]


def test_a_target_may_be_added_later() -> None:
    stack, image = image_stack()
    image.on_image_failed("Failed").add_target(targets.SnsTopic(sns.Topic(stack, "Topic")))
    assert len(rule_of(Template.from_stack(stack), contract.DetailTypes.IMAGE_FAILED)["Properties"]["Targets"]) == 1


def test_the_pattern_survives_the_images_replacement() -> None:
    """Next month's image (a new generation) is a new image id on the same resource: the rule stays the same."""

    def pattern(generation: int) -> Any:
        stack, image = image_stack(image_name="golden-{generation}", generation=generation)
        image.on_image_available("Available")
        return rule_of(Template.from_stack(stack), contract.DetailTypes.IMAGE_AVAILABLE)

    assert pattern(1) == pattern(2)


def test_each_image_matches_its_own_resource() -> None:
    stack = new_stack()
    first = UpdatedWorkspaceImage(stack, "First", **PROPS)
    second = UpdatedWorkspaceImage(stack, "Second", **{**PROPS, "image_name": "second"})
    first.on_image_available("Available")
    second.on_image_available("Available")
    template = Template.from_stack(stack)
    images = sorted(resources(template, "Custom::UpdatedWorkspaceImage"))
    matched = sorted(
        rule["Properties"]["EventPattern"]["detail"]["LogicalId"][0]
        for rule in resources(template, "AWS::Events::Rule").values()
        if "EventPattern" in rule["Properties"]
    )
    assert matched == images


def test_an_overridden_logical_id_is_the_one_matched() -> None:
    stack, image = image_stack()
    resource = image.resource.node.default_child
    assert isinstance(resource, cdk.CfnResource)
    resource.override_logical_id("GoldenImage")
    image.on_image_available("Available")
    rule = rule_of(Template.from_stack(stack), contract.DetailTypes.IMAGE_AVAILABLE)
    assert rule["Properties"]["EventPattern"]["detail"]["LogicalId"] == ["GoldenImage"]


# --- what CDK or jsii would refuse without the construct's path (issue 23) ------------------------------------------


@pytest.mark.parametrize("method", [*METHODS, "on_update_available"])
@pytest.mark.parametrize(
    ("construct_id", "words"),
    [
        (None, "construct_id is missing (None); it is required"),
        (5, "construct_id 5 must be a non-empty string"),
        ("", "construct_id '' must be a non-empty string"),
    ],
)
def test_a_rules_construct_id_of_another_type_fails_naming_the_construct(
    method: str, construct_id: object, words: str
) -> None:
    """jsii's TypeError ("type of argument id must be str") and CDK's "Only root constructs may have an empty ID"
    named no construct."""
    owner, path = _owner(method)
    with pytest.raises(ValueError, match=f"^{re.escape(f'{path}: {words}')}$"):
        getattr(owner, method)(construct_id)


@pytest.mark.parametrize("method", [*METHODS, "on_update_available"])
@pytest.mark.parametrize("target", ["arn:aws:sns:eu-west-1:111122223333:topic", 5, float("inf")])
def test_a_target_of_another_type_fails_naming_the_construct(method: str, target: object) -> None:
    """It failed inside aws_events.Rule ("Unable to deserialize value as RuleProps"), and an infinite number crashed
    the jsii kernel."""
    owner, path = _owner(method)
    with pytest.raises(ValueError, match=f"^{path}: target .* must be an aws_events.IRuleTarget"):
        getattr(owner, method)("Rule", target=target)


def test_a_rules_construct_id_taken_fails_naming_what_has_it() -> None:
    _, image = image_stack()
    image.on_image_available("Available")
    with pytest.raises(
        ValueError, match=r"^Test/Golden: construct_id 'Available' is taken by Test/Golden/Available; give each one"
    ):
        image.on_image_failed("Available")


def _owner(method: str) -> tuple[Any, str]:
    if method == "on_update_available":
        from cdk_workspaces_image import WorkspaceImageUpdateMonitor

        return WorkspaceImageUpdateMonitor(new_stack(), "Monitor", images=["wsi-0123456789"]), "Test/Monitor"
    return image_stack()[1], "Test/Golden"
