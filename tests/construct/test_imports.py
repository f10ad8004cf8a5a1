"""IWorkspaceImage and IWorkspaceBundle: imported images and bundles used like the ones the app makes."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ssm as ssm
from aws_cdk.assertions import Template
from support.construct import PROPS, new_stack, only, refused, resources, sids

from cdk_workspaces_image import (
    ComputeType,
    IWorkspaceBundle,
    IWorkspaceImage,
    UpdatedWorkspaceImage,
    WorkspaceBundle,
    WorkspaceBundleImage,
)

BUNDLE_PROPS: dict[str, Any] = {
    "bundle_name": "golden-standard",
    "description": "Standard bundle",
    "compute_type": ComputeType.STANDARD,
    "user_storage_gib": 50,
}


def image_id_of(image: IWorkspaceImage) -> str:
    """Typed against the interface, so mypy checks that the constructs satisfy it."""
    return image.image_id


def bundle_id_of(bundle: IWorkspaceBundle) -> str:
    return bundle.bundle_id


def test_the_constructs_are_the_interfaces() -> None:
    stack = new_stack()
    image = UpdatedWorkspaceImage(stack, "Golden", **PROPS)
    bundle = WorkspaceBundle(stack, "Standard", image_id=image, **BUNDLE_PROPS)
    imported_image = UpdatedWorkspaceImage.from_image_id(stack, "Old", "wsi-0123456780")
    imported_bundle = WorkspaceBundle.from_bundle_id(stack, "Production", "wsb-0123456789")

    assert isinstance(image, IWorkspaceImage)
    assert isinstance(imported_image, IWorkspaceImage)
    assert isinstance(bundle, IWorkspaceBundle)
    assert isinstance(imported_bundle, IWorkspaceBundle)
    assert not isinstance(bundle, IWorkspaceImage)
    assert not isinstance("wsi-0123456789", IWorkspaceImage)
    assert image_id_of(image) == image.image_id
    assert (image_id_of(imported_image), bundle_id_of(imported_bundle)) == ("wsi-0123456780", "wsb-0123456789")
    assert bundle_id_of(bundle) == bundle.bundle_id
    assert imported_image.node.path == "Test/Old"


def test_a_bundle_on_the_image_construct_is_the_bundle_on_its_id() -> None:
    """Today's API (the id string) and the new one (the construct) make the same template."""
    templates = []
    for given in ("construct", "id"):
        stack = new_stack()
        image = UpdatedWorkspaceImage(stack, "Golden", **PROPS)
        WorkspaceBundle(stack, "Standard", image_id=image if given == "construct" else image.image_id, **BUNDLE_PROPS)
        templates.append(Template.from_stack(stack).to_json())
    assert templates[0] == templates[1]


def test_a_bundle_on_an_imported_image_makes_no_image_and_no_image_permission() -> None:
    stack = new_stack()
    image = UpdatedWorkspaceImage.from_image_id(stack, "Golden", "wsi-0123456789")
    WorkspaceBundle(stack, "Standard", image_id=image, **BUNDLE_PROPS)
    template = Template.from_stack(stack)

    _, bundle = only(template, "Custom::WorkspaceBundle")
    assert bundle["Properties"]["ImageId"] == "wsi-0123456789"
    assert resources(template, "Custom::UpdatedWorkspaceImage") == {}
    assert resources(template, "AWS::CloudFormation::WaitCondition") == {}
    # Only the kinds the stack has get statements: nothing to create or delete images with.
    assert "CreateImages" not in sids(template)
    assert "DeleteOwnImages" not in sids(template)
    assert "CreateBundles" in sids(template)


def test_an_image_imported_from_a_parameter_is_read_at_deploy_time() -> None:
    stack = new_stack()
    value = ssm.StringParameter.value_for_string_parameter(stack, "/golden/image-id")
    WorkspaceBundle(
        stack, "Standard", image_id=UpdatedWorkspaceImage.from_image_id(stack, "Golden", value), **BUNDLE_PROPS
    )
    template = Template.from_stack(stack)
    _, bundle = only(template, "Custom::WorkspaceBundle")
    parameters = template.to_json()["Parameters"]
    read = parameters[bundle["Properties"]["ImageId"]["Ref"]]
    assert read == {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/golden/image-id"}
    assert "Fn::ImportValue" not in str(template.to_json())


@pytest.mark.parametrize(
    ("image_id", "reason"),
    [
        ("ami-0123456789", "image_id (ImageId) 'ami-0123456789' must match the pattern wsi-[0-9a-z]{9,63}"),
        (None, "image_id (ImageId) is missing (None); it is required"),
        (42, "image_id (ImageId) 42 must be a string"),
    ],
)
def test_an_imported_image_id_is_judged_by_the_rules_of_the_rest(image_id: Any, reason: str) -> None:
    stack = new_stack()
    with refused(f"Test/Old: {reason}", whole=False):
        UpdatedWorkspaceImage.from_image_id(stack, "Old", image_id)


@pytest.mark.parametrize(
    ("bundle_id", "reason"),
    [
        ("production", "bundle_id (BundleId) 'production' must match the pattern wsb-[0-9a-z]{8,63}"),
        (None, "bundle_id (BundleId) is missing (None); it is required"),
    ],
)
def test_an_imported_bundle_id_is_judged_by_the_rules_of_the_rest(bundle_id: Any, reason: str) -> None:
    stack = new_stack()
    with refused(f"Test/Production: {reason}", whole=False):
        WorkspaceBundle.from_bundle_id(stack, "Production", bundle_id)


def test_apply_to_an_imported_bundle_is_apply_to_its_id() -> None:
    """Same construct id and template whether the bundle is named by its id or imported: switching between the
    two replaces nothing."""
    templates, paths = [], []
    for given in ("imported", "id"):
        stack = new_stack()
        image = UpdatedWorkspaceImage(stack, "Golden", **PROPS)
        bundle: str | IWorkspaceBundle = "wsb-0123456789"
        if given == "imported":
            bundle = WorkspaceBundle.from_bundle_id(stack, "Production", "wsb-0123456789")
        applied = image.apply_to_bundle(bundle, restore_on_delete=True)
        paths.append(applied.node.path)
        templates.append(Template.from_stack(stack).to_json())
    assert paths == ["Test/Golden/ApplyTowsb-0123456789"] * 2
    assert templates[0] == templates[1]


def test_apply_to_an_imported_bundle_known_only_at_deploy_time_is_named_after_the_import() -> None:
    stack = new_stack()
    image = UpdatedWorkspaceImage(stack, "Golden", **PROPS)
    value = ssm.StringParameter.value_for_string_parameter(stack, "/desktops/bundle-id")
    applied = image.apply_to_bundle(WorkspaceBundle.from_bundle_id(stack, "Production", value))
    assert applied.node.path == "Test/Golden/ApplyToProduction"
    _, resource = only(Template.from_stack(stack), "Custom::WorkspaceBundleImage")
    assert list(resource["Properties"]["BundleId"]) == ["Ref"]
    # A token string still needs its construct id: there is no construct to name it after.
    with pytest.raises(ValueError, match="needs construct_id when bundle_id is a token"):
        image.apply_to_bundle(value)


def test_apply_to_a_bundle_the_app_manages_is_refused_given_as_the_construct() -> None:
    stack = new_stack()
    image = UpdatedWorkspaceImage(stack, "Golden", **PROPS)
    bundle = WorkspaceBundle(stack, "Standard", image_id=image, **BUNDLE_PROPS)
    with refused(
        "Test/Golden: apply_to_bundle: bundle_id (BundleId) is the bundle_id of the WorkspaceBundle Test/Standard",
        whole=False,
    ):
        image.apply_to_bundle(bundle, construct_id="Own")


def test_the_bundle_image_construct_takes_both_interfaces() -> None:
    stack = new_stack()
    image = UpdatedWorkspaceImage.from_image_id(stack, "Golden", "wsi-0123456789")
    bundle = WorkspaceBundle.from_bundle_id(stack, "Production", "wsb-0123456789")
    WorkspaceBundleImage(stack, "Apply", bundle_id=bundle, image_id=image)
    _, resource = only(Template.from_stack(stack), "Custom::WorkspaceBundleImage")
    assert resource["Properties"]["BundleId"] == "wsb-0123456789"
    assert resource["Properties"]["ImageId"] == "wsi-0123456789"


def test_an_imported_image_of_another_stack_carries_the_region_rule() -> None:
    """Importing the id of an image the app makes elsewhere is still that image: a bundle in another Region is
    refused as it is for the id string."""
    app = cdk.App(context={"aws:cdk:bundling-stacks": []})
    here = cdk.Stack(app, "Here", env=cdk.Environment(account="111122223333", region="eu-west-1"))
    there = cdk.Stack(app, "There", env=cdk.Environment(account="111122223333", region="us-east-1"))
    image = UpdatedWorkspaceImage(here, "Golden", **PROPS)
    imported = UpdatedWorkspaceImage.from_image_id(there, "Golden", image.image_id)
    with refused(
        "There/Standard: image_id (ImageId) is the image_id of Here/Golden, made in Region eu-west-1", whole=False
    ):
        WorkspaceBundle(there, "Standard", image_id=imported, **BUNDLE_PROPS)
