"""Image and bundle through whole deployments: the lifecycle driver plays real synthesized apps into the emulator.

The handler runs from its bundled asset in a separate process; time is virtual.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ssm as ssm
from support.lifecycle import STANDARD_BUNDLE, World
from support.synth_cache import cached

from aws_emulator import Plan
from cdk_workspaces_image import UpdatedWorkspaceImage, WorkspaceBundle
from cfn_driver.assembly import Assembly, load
from cfn_driver.cloud import ACCOUNT, REGION

FAST = Plan.available(after_seconds=300)
DESTROY = cdk.RemovalPolicy.DESTROY


@pytest.fixture
def world() -> Iterator[World]:
    w = World.new(default_plan=FAST, sources=2)
    yield w
    w.close()


@cached
def synth(
    outdir: Path,
    source_image_id: str,
    image_name: str,
    *,
    removal_policy: cdk.RemovalPolicy | None = DESTROY,
    bundle: bool = True,
    apply_to: str | None = None,
    restore_on_delete: bool = False,
) -> Assembly:
    """Image and bundle (or an existing bundle re-pointed), as a user would write them."""
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, "Golden", env=cdk.Environment(account=ACCOUNT, region=REGION))
    image = UpdatedWorkspaceImage(
        stack,
        "Golden",
        source_image_id=source_image_id,
        image_name=image_name,
        description="Golden image",
        removal_policy=removal_policy,
    )
    cdk.CfnOutput(stack, "ImageId", value=image.image_id)
    if bundle:
        standard = WorkspaceBundle(
            stack,
            "Standard",
            image_id=image.image_id,
            **STANDARD_BUNDLE,
            removal_policy=removal_policy,
        )
        cdk.CfnOutput(stack, "BundleId", value=standard.bundle_id)
    if apply_to:
        applied = image.apply_to_bundle(apply_to, restore_on_delete=restore_on_delete)
        cdk.CfnOutput(stack, "PreviousImageId", value=applied.previous_image_id)
    app.synth()
    return load(outdir, "Golden")


def order(world: World, *calls: tuple[str, str, str]) -> list[int]:
    """Where in the WorkSpaces call log each (operation, parameter, value) first succeeded."""
    log = world.cloud.workspaces.calls
    return [
        next(i for i, c in enumerate(log) if c.operation == op and c.params.get(key) == value and c.error is None)
        for op, key, value in calls
    ]


def test_deploy_image_and_bundle(world: World, tmp_path: Path) -> None:
    stack = world.deploy(synth(tmp_path / "v1", world.sources[0], "golden-2026-11"))
    assert stack.status == "CREATE_COMPLETE"
    image_id, bundle_id = stack.outputs["ImageId"], stack.outputs["BundleId"]
    assert world.images() == {image_id: "AVAILABLE"}
    assert world.cloud.workspaces.bundles[bundle_id].image_id == image_id
    assert world.calls("CreateWorkspaceBundle") == 1
    assert world.watching() == []
    # The bundle is created only once the image is AVAILABLE: after the wait condition completed.
    wait = next(lid for lid, r in stack.resources.items() if r.type == "AWS::CloudFormation::WaitCondition")
    bundle = next(lid for lid, r in stack.resources.items() if r.type == "Custom::WorkspaceBundle")
    statuses = [(e.logical_id, e.status) for e in world.events]
    assert statuses.index((wait, "CREATE_COMPLETE")) < statuses.index((bundle, "CREATE_IN_PROGRESS"))


def test_a_new_source_gives_a_new_image_and_moves_the_same_bundle_before_the_old_image_goes(
    world: World, tmp_path: Path
) -> None:
    first = world.deploy(synth(tmp_path / "v1", world.sources[0], "golden-2026-11"))
    old_image, bundle_id = first.outputs["ImageId"], first.outputs["BundleId"]

    second = world.deploy(synth(tmp_path / "v2", world.sources[1], "golden-2026-12"))
    assert second.status == "UPDATE_COMPLETE", second.reason
    new_image = second.outputs["ImageId"]
    assert new_image != old_image
    assert second.outputs["BundleId"] == bundle_id, "updated in place: the same bundle"
    assert world.cloud.workspaces.bundles[bundle_id].image_id == new_image
    assert world.images() == {new_image: "AVAILABLE"}, "DESTROY deleted the old image"
    assert world.calls("CreateWorkspaceBundle") == 1
    moved, deleted = order(
        world,
        ("UpdateWorkspaceBundle", "ImageId", new_image),
        ("DeleteWorkspaceImage", "ImageId", old_image),
    )
    assert moved < deleted, "the old image is deleted only after the bundle moved off it"
    assert world.watching() == []


def test_delete_the_stack_removes_the_bundle_before_the_image(world: World, tmp_path: Path) -> None:
    stack = world.deploy(synth(tmp_path / "v1", world.sources[0], "golden-2026-11"))
    image_id, bundle_id = stack.outputs["ImageId"], stack.outputs["BundleId"]
    deleted = world.cfn.delete("Golden")
    assert deleted.status == "DELETE_COMPLETE", deleted.reason
    assert world.cloud.workspaces.bundles == {}
    assert world.images() == {}
    bundle_gone, image_gone = order(
        world, ("DeleteWorkspaceBundle", "BundleId", bundle_id), ("DeleteWorkspaceImage", "ImageId", image_id)
    )
    assert bundle_gone < image_gone
    assert world.watching() == []


def test_a_failed_bundle_create_rolls_back_leaving_neither_image_nor_bundle(tmp_path: Path) -> None:
    # The default removal policies: kept on delete, but deleted when their first deployment rolls back.
    world = World.new(default_plan=FAST, bundle_quota=0)
    try:
        stack = world.deploy(synth(tmp_path / "v1", world.sources[0], "golden-2026-11", removal_policy=None))
        assert stack.status == "ROLLBACK_COMPLETE"
        assert "custom bundles are used up" in stack.reason
        assert world.images() == {}
        assert world.cloud.workspaces.bundles == {}
        assert world.watching() == []
    finally:
        world.close()


def test_apply_to_bundle_re_points_an_existing_bundle_and_restores_it_on_delete(world: World, tmp_path: Path) -> None:
    existing = world.cloud.workspaces.add_bundle(world.sources[0], name="production")
    stack = world.deploy(
        synth(
            tmp_path / "v1",
            world.sources[0],
            "golden-2026-11",
            bundle=False,
            apply_to=existing,
            restore_on_delete=True,
        )
    )
    assert stack.status == "CREATE_COMPLETE", stack.reason
    assert world.cloud.workspaces.bundles[existing].image_id == stack.outputs["ImageId"]
    assert stack.outputs["PreviousImageId"] == world.sources[0]

    deleted = world.cfn.delete("Golden")
    assert deleted.status == "DELETE_COMPLETE", deleted.reason
    assert world.cloud.workspaces.bundles[existing].image_id == world.sources[0], "restored, then the image deleted"
    assert world.images() == {}


def test_apply_to_bundle_by_default_leaves_the_bundle_on_the_image(world: World, tmp_path: Path) -> None:
    existing = world.cloud.workspaces.add_bundle(world.sources[0], name="production")
    stack = world.deploy(
        synth(tmp_path / "v1", world.sources[0], "golden-2026-11", removal_policy=None, bundle=False, apply_to=existing)
    )
    image_id = stack.outputs["ImageId"]
    assert world.cfn.delete("Golden").status == "DELETE_COMPLETE"
    assert world.cloud.workspaces.bundles[existing].image_id == image_id
    assert world.images() == {image_id: "AVAILABLE"}, "the image is kept too, so the bundle keeps working"


@pytest.mark.parametrize("updates_replacements", [True, False], ids=["rollback updates first", "cleanup only"])
def test_a_rollback_whose_re_signal_is_refused_keeps_the_image_it_returns_to(
    tmp_path: Path, updates_replacements: bool
) -> None:
    """Next month's image is made, but the bundle fails to move onto it, so the stack rolls back. Whether
    CloudFormation first sends the replaced image resource an Update back is undocumented. If it does, the
    handler adopts the previous image and signals its old wait condition again; S3 refuses that PUT once.
    Before, the handler then undid the "replacement" it had just adopted: it deleted the image the stack was
    returning to and ended in UPDATE_ROLLBACK_FAILED."""
    world = World.new(default_plan=FAST, sources=2, rollback_updates_replacements=updates_replacements)
    try:
        first = world.deploy(synth(tmp_path / "v1", world.sources[0], "golden-2026-11"))
        old_image, bundle_id = first.outputs["ImageId"], first.outputs["BundleId"]
        handle = next(r for r in first.resources.values() if r.type == "AWS::CloudFormation::WaitConditionHandle")
        world.cfn.inbox.refuse(handle.physical_id, 500)
        world.cloud.workspaces.inject("UpdateWorkspaceBundle", "ResourceUnavailableException", times=1)

        second = world.deploy(synth(tmp_path / "v2", world.sources[1], "golden-2026-12"))
        assert second.status == "UPDATE_ROLLBACK_COMPLETE", second.reason
        left = [status for statuses in world.cfn.inbox.refusals_for.values() for status in statuses]
        assert left == ([] if updates_replacements else [500]), "the re-signal is refused only if it is sent"
        assert world.images() == {old_image: "AVAILABLE"}, "the image the stack returns to survives; the new one goes"
        assert second.outputs["ImageId"] == old_image
        assert world.cloud.workspaces.bundles[bundle_id].image_id == old_image
        # The refused re-signal waits for the next tick: the cleanup Delete of next month's image, which has the
        # same logical id, does not end it.
        world.cfn.settle()
        assert world.watching() == []
    finally:
        world.close()


@pytest.mark.parametrize("imported", [True, False], ids=["from_image_id", "the id string"])
def test_another_stack_follows_the_monthly_image_through_an_ssm_parameter(
    world: World, tmp_path: Path, imported: bool
) -> None:
    """The documented cross-stack hand-over: the images' stack writes the id to an SSM parameter, the desktops'
    stack reads it at each deploy, as an imported image or as the id itself. Next month's replacement deploys (an
    export would be locked by its import), and the next deploy of the other stack moves its bundle onto the new
    image."""
    parameter = "/golden/image-id"

    def images(outdir: Path, source: str, name: str) -> Assembly:
        app = cdk.App(outdir=str(outdir))
        stack = cdk.Stack(app, "Images", env=cdk.Environment(account=ACCOUNT, region=REGION))
        image = UpdatedWorkspaceImage(stack, "Golden", source_image_id=source, image_name=name, description="Golden")
        ssm.StringParameter(stack, "ImageId", parameter_name=parameter, string_value=image.image_id)
        app.synth()
        return load(outdir, "Images")

    def desktops(outdir: Path) -> Assembly:
        app = cdk.App(outdir=str(outdir))
        stack = cdk.Stack(app, "Desktops", env=cdk.Environment(account=ACCOUNT, region=REGION))
        image_id = ssm.StringParameter.value_for_string_parameter(stack, parameter)
        bundle = WorkspaceBundle(
            stack,
            "Standard",
            image_id=UpdatedWorkspaceImage.from_image_id(stack, "Golden", image_id) if imported else image_id,
            **STANDARD_BUNDLE,
        )
        cdk.CfnOutput(stack, "BundleId", value=bundle.bundle_id)
        app.synth()
        return load(outdir, "Desktops")

    first = world.deploy(images(tmp_path / "i1", world.sources[0], "golden-2026-11"))
    consumer = world.deploy(desktops(tmp_path / "d"))
    assert (first.status, consumer.status) == ("CREATE_COMPLETE", "CREATE_COMPLETE")
    old_image, bundle_id = world.cfn.ssm_parameters[parameter], consumer.outputs["BundleId"]
    assert world.cloud.workspaces.bundles[bundle_id].image_id == old_image

    second = world.deploy(images(tmp_path / "i2", world.sources[1], "golden-2026-12"))
    assert second.status == "UPDATE_COMPLETE", second.reason
    new_image = world.cfn.ssm_parameters[parameter]
    assert new_image != old_image
    assert old_image in world.images(), "kept (UpdateReplacePolicy Retain): the other stack's bundle still uses it"

    moved = world.deploy(desktops(tmp_path / "d"))
    assert moved.status == "UPDATE_COMPLETE", moved.reason
    assert world.cloud.workspaces.bundles[bundle_id].image_id == new_image


@cached
def consumer(
    outdir: Path, *, image_parameter: str | None = None, bundle_parameter: str | None = None, source: str = ""
) -> Assembly:
    """A stack that uses what another made, imported from SSM parameters read at deploy time: a bundle on an
    imported image, or this stack's image applied to an imported bundle."""
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, "Desktops", env=cdk.Environment(account=ACCOUNT, region=REGION))
    if image_parameter:
        image = UpdatedWorkspaceImage.from_image_id(
            stack, "Golden", ssm.StringParameter.value_for_string_parameter(stack, image_parameter)
        )
        bundle = WorkspaceBundle(
            stack,
            "Standard",
            image_id=image,
            **STANDARD_BUNDLE,
            removal_policy=DESTROY,
        )
        cdk.CfnOutput(stack, "BundleId", value=bundle.bundle_id)
    if bundle_parameter:
        updated = UpdatedWorkspaceImage(
            stack,
            "Updated",
            source_image_id=source,
            image_name="golden-2026-11",
            description="Golden",
            removal_policy=DESTROY,
        )
        existing = WorkspaceBundle.from_bundle_id(
            stack, "Production", ssm.StringParameter.value_for_string_parameter(stack, bundle_parameter)
        )
        applied = updated.apply_to_bundle(existing, restore_on_delete=True)
        cdk.CfnOutput(stack, "ImageId", value=updated.image_id)
        cdk.CfnOutput(stack, "AppliedTo", value=applied.bundle_id)
    app.synth()
    return load(outdir, "Desktops")


def test_a_bundle_on_an_imported_image_whose_parameter_holds_no_image_id_fails_with_the_rule(
    world: World, tmp_path: Path
) -> None:
    """Synth cannot judge a token; the handler judges the resolved value with the same words."""
    world.cfn.ssm_parameters["/golden/image-id"] = "ami-0123456789"
    stack = world.deploy(consumer(tmp_path / "bad", image_parameter="/golden/image-id"))
    assert stack.status == "ROLLBACK_COMPLETE"
    assert "image_id (ImageId) 'ami-0123456789' must match the pattern wsi-[0-9a-z]{9,63}" in stack.reason
    assert world.cloud.workspaces.bundles == {}


def test_an_imported_bundle_is_re_pointed_and_restored(world: World, tmp_path: Path) -> None:
    existing = world.cloud.workspaces.add_bundle(world.sources[0], name="production")
    world.cfn.ssm_parameters["/desktops/bundle-id"] = existing
    stack = world.deploy(consumer(tmp_path / "v1", bundle_parameter="/desktops/bundle-id", source=world.sources[0]))
    assert stack.status == "CREATE_COMPLETE", stack.reason
    assert stack.outputs["AppliedTo"] == existing
    assert world.cloud.workspaces.bundles[existing].image_id == stack.outputs["ImageId"]

    assert world.cfn.delete("Desktops").status == "DELETE_COMPLETE"
    assert world.cloud.workspaces.bundles[existing].image_id == world.sources[0]
    assert world.images() == {}


def test_an_imported_bundle_whose_parameter_holds_no_bundle_id_fails_and_leaves_no_image(
    world: World, tmp_path: Path
) -> None:
    world.cfn.ssm_parameters["/desktops/bundle-id"] = "production"
    stack = world.deploy(consumer(tmp_path / "bad", bundle_parameter="/desktops/bundle-id", source=world.sources[0]))
    assert stack.status == "ROLLBACK_COMPLETE"
    assert "bundle_id (BundleId) 'production' must match the pattern wsb-[0-9a-z]{8,63}" in stack.reason
    assert world.images() == {}, "the image made before the bundle was judged is rolled back"
    assert world.watching() == []
