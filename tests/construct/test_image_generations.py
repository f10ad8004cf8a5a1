"""UpdatedWorkspaceImage's ``generation`` (a name template) and ``keep_previous`` (retention): issue 11's monthly loop.

A new generation is a new image with a new name, made while the previous one still exists; the same generation,
deployed again, must change nothing. ``KeepPrevious`` is written only when given, so templates made before it stay.
"""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from support.construct import PROPS, image_stack, new_stack, only, refused

from cdk_workspaces_image import UpdatedWorkspaceImage

TEMPLATE_NAME = {"image_name": "golden-{generation}"}


def image_properties(**overrides: Any) -> dict[str, Any]:
    stack, _ = image_stack(**overrides)
    _, resource = only(Template.from_stack(stack), "Custom::UpdatedWorkspaceImage")
    properties: dict[str, Any] = resource["Properties"]
    return properties


def template_json(**overrides: Any) -> str:
    stack, _ = image_stack(**overrides)
    return json.dumps(Template.from_stack(stack).to_json(), sort_keys=True)


def wait_ids(**overrides: Any) -> list[str]:
    stack, _ = image_stack(**overrides)
    template = Template.from_stack(stack)
    return [
        only(template, kind)[0]
        for kind in ("AWS::CloudFormation::WaitConditionHandle", "AWS::CloudFormation::WaitCondition")
    ]


# --- generation ----------------------------------------------------------------------------------------------------


def test_the_name_is_the_template_filled_in_with_the_generation() -> None:
    assert image_properties(**TEMPLATE_NAME, generation=3)["Name"] == "golden-3"
    assert image_properties(image_name="g{generation}.{generation}", generation=12)["Name"] == "g12.12"


def test_the_same_generation_deployed_again_synthesizes_the_same_template() -> None:
    assert template_json(**TEMPLATE_NAME, generation=4) == template_json(**TEMPLATE_NAME, generation=4)


def test_a_generation_without_a_template_name_writes_the_template_a_plain_name_writes() -> None:
    assert template_json(**TEMPLATE_NAME, generation=4) == template_json(image_name="golden-4")


def test_a_bump_is_a_new_name_and_a_new_wait_on_the_same_resource() -> None:
    this, bumped = (image_stack(**TEMPLATE_NAME, generation=n)[0] for n in (1, 2))
    before, after = Template.from_stack(this), Template.from_stack(bumped)
    # The same logical id with a changed Name: CloudFormation updates the resource, and the handler replaces it.
    assert only(before, "Custom::UpdatedWorkspaceImage")[0] == only(after, "Custom::UpdatedWorkspaceImage")[0]
    assert only(after, "Custom::UpdatedWorkspaceImage")[1]["Properties"]["Name"] == "golden-2"
    # A wait condition waits again only with a new handle (image.py): a new generation gets new ids.
    assert set(wait_ids(**TEMPLATE_NAME, generation=1)).isdisjoint(wait_ids(**TEMPLATE_NAME, generation=2))


def test_a_template_name_may_hold_tokens_beside_the_placeholder() -> None:
    stack = new_stack()
    prefix = cdk.CfnParameter(stack, "Prefix", type="String")
    UpdatedWorkspaceImage(
        stack, "Golden", **{**PROPS, "image_name": f"{prefix.value_as_string}-{{generation}}"}, generation=5
    )
    _, resource = only(Template.from_stack(stack), "Custom::UpdatedWorkspaceImage")
    assert resource["Properties"]["Name"] == {"Fn::Join": ["", [{"Ref": "Prefix"}, "-5"]]}


@pytest.mark.parametrize(
    ("override", "words"),
    [
        (
            {"image_name": "golden-{generation}"},
            "image_name (Name) 'golden-{generation}' holds {generation} but generation is not set; set generation, or "
            "take {generation} out of image_name",
        ),
        (
            {"generation": 2},
            "image_name (Name) 'golden' must hold {generation} when generation is set, so that each generation's "
            "image has its own name: the next one is made while this one still exists",
        ),
        ({**TEMPLATE_NAME, "generation": 0}, "generation 0 must be a whole number, 1 or more"),
        ({**TEMPLATE_NAME, "generation": True}, "generation True must be a whole number, 1 or more"),
        ({**TEMPLATE_NAME, "generation": "2"}, "generation '2' must be a whole number, 1 or more"),
        # The name rules judge the name the image gets.
        (
            {"image_name": "n" * 60 + "-{generation}", "generation": 1000},
            f"image_name (Name) '{'n' * 60}-1000' is 65 characters long; it must be 1 to 64",
        ),
    ],
)
def test_generation_rules_fail_synth_naming_the_construct(override: dict[str, Any], words: str) -> None:
    with refused(f"Test/Golden: {words}"):
        image_stack(**override)


def test_a_generation_known_only_at_deploy_time_is_refused() -> None:
    stack = new_stack()
    generation = cdk.CfnParameter(stack, "Generation", type="Number").value_as_number
    # Shown as CDK writes a token, not as the huge negative number a number token is (issue 23).
    with pytest.raises(
        ValueError,
        match=r"^Test/Golden: generation '\$\{Token\[TOKEN\.\d+\]\}' is a token \(unresolved at synth\); it must be "
        r"a whole number known at synth, since it is part of the image name and of the template$",
    ):
        UpdatedWorkspaceImage(stack, "Golden", **{**PROPS, **TEMPLATE_NAME}, generation=generation)  # type: ignore[arg-type]


def test_duplicate_names_are_found_by_the_name_each_generation_gets() -> None:
    stack = new_stack()
    UpdatedWorkspaceImage(stack, "Plain", **{**PROPS, "image_name": "golden-1"})
    with refused("Test/Templated: image_name (Name) 'golden-1' is also the image_name of Test/Plain", whole=False):
        UpdatedWorkspaceImage(stack, "Templated", **{**PROPS, **TEMPLATE_NAME}, generation=1)
    # Two generations of one template are two names.
    UpdatedWorkspaceImage(stack, "Next", **{**PROPS, **TEMPLATE_NAME}, generation=2)


# --- keep_previous -------------------------------------------------------------------------------------------------


def test_keep_previous_is_left_out_unless_given() -> None:
    assert "KeepPrevious" not in image_properties()
    assert image_properties(keep_previous=1)["KeepPrevious"] == 1
    # 0 is a count, not "not given": keep none of the earlier images.
    assert image_properties(keep_previous=0)["KeepPrevious"] == 0


def test_keep_previous_is_not_a_replacing_property() -> None:
    assert wait_ids(keep_previous=1) == wait_ids(keep_previous=3) == wait_ids()


def test_keep_previous_known_at_deploy_time_is_the_handlers_to_judge() -> None:
    stack = new_stack()
    count = cdk.CfnParameter(stack, "Keep", type="Number")
    UpdatedWorkspaceImage(stack, "Golden", **PROPS, keep_previous=count.value_as_number)  # type: ignore[arg-type]
    _, resource = only(Template.from_stack(stack), "Custom::UpdatedWorkspaceImage")
    assert resource["Properties"]["KeepPrevious"] == {"Ref": "Keep"}


def test_a_whole_float_is_written_as_the_whole_number_the_handler_reads() -> None:
    assert image_properties(keep_previous=2.0)["KeepPrevious"] == 2


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (-1, "keep_previous (KeepPrevious) -1 must be a whole number of images, 0 or more"),
        (1.5, "keep_previous (KeepPrevious) 1.5 must be a whole number of images, 0 or more"),
        ("1", "keep_previous (KeepPrevious) '1' must be a number"),
        (True, "keep_previous (KeepPrevious) True must be a number"),
    ],
)
def test_keep_previous_rules_fail_synth_naming_the_construct(value: object, words: str) -> None:
    with refused(f"Test/Golden: {words}"):
        image_stack(keep_previous=value)


def test_every_problem_of_the_new_props_is_reported_at_once() -> None:
    with refused("Test/Golden: ", whole=False) as raised:
        image_stack(**TEMPLATE_NAME, generation=0, keep_previous=-2, description="semi;colon")
    message = str(raised.value)
    for label in ("generation 0", "keep_previous (KeepPrevious) -2", "description (Description)"):
        assert label in message
    assert "image_name (Name) 'golden-{generation}' must match" not in message, "the generation rule names it"
