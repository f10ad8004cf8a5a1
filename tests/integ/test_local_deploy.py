"""Each integ test stack deployed and destroyed through the local CloudFormation driver and WorkSpaces emulator.

What the assertion stack will check holds (the image AVAILABLE, the bundle on it), and destroy leaves nothing
behind: no image but the source, no bundle of the test's, the user's bundle back on its previous image. The
emulator's source image and bundle carry the placeholder ids the apps synthesize with. The assertion stack itself
(Step Functions and integ-tests-alpha's Node.js handler) is not something the driver runs: its two describes are
made here, against the emulator.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from assembly import HERE, stack_names, synthesized
from harness import BUNDLE_ID, SOURCE_IMAGE_ID, TAGS
from support.lifecycle import EXTERNAL_BUNDLE_ID, SOURCE_ID, World

from cfn_driver.assembly import load


@pytest.fixture
def world() -> Iterator[World]:
    assert (SOURCE_IMAGE_ID.placeholder, BUNDLE_ID.placeholder) == (SOURCE_ID, EXTERNAL_BUNDLE_ID)
    world = World.for_every_resource_type()
    yield world
    world.close()
    assert world.checked() > 0, "the emulator checked the provider's calls against its role's policy"
    assert world.denials() == [], "the provider's policy refused calls the handler makes"
    assert world.cloud.server.failures == []


def describe(world: World, operation: str, **params: Any) -> list[dict[str, Any]]:
    key = "Images" if operation == "DescribeWorkspaceImages" else "Bundles"
    found: list[dict[str, Any]] = world.cloud.call("workspaces", operation, params)[key]
    return found


def deploy_test_stack(world: World, assembly: Path) -> tuple[str, str]:
    """Deploy the app's one test stack; its name and the image it made."""
    [name], _ = stack_names(assembly)
    stack = world.deploy(load(assembly, name))
    assert stack.status == "CREATE_COMPLETE", stack.reason
    [image_id] = world.stack_images(stack)
    [image] = describe(world, "DescribeWorkspaceImages", ImageIds=[image_id])
    assert image["State"] == "AVAILABLE"
    return name, image_id


def test_image_with_bundle(world: World) -> None:
    name, image_id = deploy_test_stack(world, synthesized(HERE / "integ_image_bundle.py"))
    [bundle] = [b for b in world.cloud.workspaces.bundles.values() if b.name == "cdk-wsi-integ-bundle"]
    assert bundle.image_id == image_id
    assert describe(world, "DescribeWorkspaceBundles", BundleIds=[bundle.bundle_id])[0]["ImageId"] == image_id
    assert TAGS.items() <= bundle.tags.items()

    assert world.cfn.delete(name).status == "DELETE_COMPLETE"
    assert world.images() == {}, "the image is deleted with the stack"
    assert bundle.bundle_id not in world.cloud.workspaces.bundles, "the bundle is deleted with the stack"
    assert world.watching() == []


def test_image_applied_to_bundle(world: World) -> None:
    name, image_id = deploy_test_stack(world, synthesized(HERE / "integ_apply_to_bundle.py"))
    assert describe(world, "DescribeWorkspaceBundles", BundleIds=[EXTERNAL_BUNDLE_ID])[0]["ImageId"] == image_id

    assert world.cfn.delete(name).status == "DELETE_COMPLETE"
    assert world.cloud.workspaces.bundles[EXTERNAL_BUNDLE_ID].image_id == SOURCE_ID, "pointed back on destroy"
    assert world.images() == {}, "the image is deleted with the stack"
    assert world.watching() == []
