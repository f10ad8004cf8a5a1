"""The fault matrix's rows of the three image types made from something else than an image (issue 22): a WorkSpace
captured, an AMI imported, an EC2 Image Builder image imported. Each plays through the lifecycle driver with IAM
enforced (the lifecycle conftest fails a row whose calls the provider's policy refuses), and each ends by checking
that nothing is left behind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from support.lifecycle import STANDARD_BUNDLE, World
from support.synth_cache import cached

from aws_emulator import Plan
from cdk_workspaces_image import (
    CapturedWorkspaceImage,
    ImageBuilderWorkspaceImage,
    ImportedWorkspaceImage,
    IngestionProcess,
    OsVersion,
    StreamingProtocol,
    WorkspaceBundle,
)
from cdk_workspaces_image_handler.contract import OWNER_TAG_KEY, DetailTypes
from cfn_driver.assembly import Assembly, load
from cfn_driver.cloud import ACCOUNT, REGION

FAST = Plan.available(after_seconds=1800)
KINDS = ("captured", "imported", "builder")


@pytest.fixture
def world() -> Iterator[World]:
    w = World.new(sources=0, default_plan=FAST)
    yield w
    w.close()


def sources(world: World) -> dict[str, str]:
    """What each type is made from, held by the emulated account."""
    ws = world.cloud.workspaces
    return {
        "workspace": ws.add_workspace(),
        "ami": ws.add_ami(),
        "build": ws.add_image_build_version(),
        "infra": ws.add_infrastructure_configuration(),
    }


def left(world: World) -> dict[str, str]:
    """Every image the account holds, listed or not (an import under way may not be listed), with its state."""
    return {image_id: image.state for image_id, image in world.cloud.workspaces.images.items()}


@cached
def golden(
    outdir: Path,
    kind: str,
    made_from: dict[str, str],
    *,
    generation: int = 1,
    keep_previous: int | None = None,
    bundle: bool = False,
) -> Assembly:
    """One image of `kind`, named for its generation (a new generation replaces it), its id in the output ImageId."""
    name = f"{kind}-g{generation}-{keep_previous}-{bundle}"
    app = cdk.App(outdir=str(outdir / name))
    stack = cdk.Stack(app, "Golden", env=cdk.Environment(account=ACCOUNT, region=REGION))
    shared: dict[str, Any] = {
        "image_name": f"golden-{kind}-{generation}",
        "description": f"Golden image {generation}",
        "tags": {"team": "euc"},
        "keep_previous": keep_previous,
        "removal_policy": cdk.RemovalPolicy.DESTROY,
    }
    image: Any
    if kind == "captured":
        image = CapturedWorkspaceImage(stack, "Golden", workspace_id=made_from["workspace"], **shared)
    elif kind == "imported":
        image = ImportedWorkspaceImage(
            stack,
            "Golden",
            ec2_image_id=made_from["ami"],
            ingestion_process=IngestionProcess.BYOL_REGULAR_WSP,
            **shared,
        )
    else:
        image = ImageBuilderWorkspaceImage(
            stack,
            "Golden",
            image_build_version_arn=made_from["build"],
            infrastructure_configuration_arn=made_from["infra"],
            os_version=OsVersion.WINDOWS_11,
            protocol=StreamingProtocol.DCV,
            **shared,
        )
    cdk.CfnOutput(stack, "ImageId", value=image.image_id)
    if bundle:
        standard = WorkspaceBundle(
            stack, "Standard", image_id=image.image_id, **STANDARD_BUNDLE, removal_policy=cdk.RemovalPolicy.DESTROY
        )
        cdk.CfnOutput(stack, "BundleId", value=standard.bundle_id)
    app.synth()
    return load(outdir / name, "Golden")


@pytest.mark.parametrize("kind", KINDS)
def test_each_source_deploys_an_available_image_a_bundle_launches_from_and_deletes_leave_nothing(
    world: World, tmp_path: Path, kind: str
) -> None:
    made_from = sources(world)
    stack = world.deploy(golden(tmp_path, kind, made_from, bundle=True))
    assert stack.status == "CREATE_COMPLETE", stack.reason
    image = world.cloud.workspaces.images[str(stack.outputs["ImageId"])]
    assert image.state == "AVAILABLE"
    assert image.tags[OWNER_TAG_KEY].startswith(stack.stack_id.split("/")[2])
    bundle = world.cloud.workspaces.bundles[str(stack.outputs["BundleId"])]
    assert bundle.image_id == image.image_id
    assert [n["ImageId"] for n in world.news(DetailTypes.IMAGE_AVAILABLE)] == [image.image_id]

    deleted = world.cfn.delete("Golden")
    assert deleted.status == "DELETE_COMPLETE", deleted.reason
    assert left(world) == {}, "the image is deleted with the stack (DESTROY)"
    assert not world.cloud.workspaces.bundles


@pytest.mark.parametrize("kind", KINDS)
def test_an_image_in_error_rolls_the_create_back_and_leaves_no_image(world: World, tmp_path: Path, kind: str) -> None:
    made_from = sources(world)
    world.cloud.workspaces.plan_next_images(
        Plan.error("ImageFailed", "The image could not be made", after_seconds=1200)
    )
    stack = world.deploy(golden(tmp_path, kind, made_from))
    assert stack.status == "ROLLBACK_COMPLETE"
    assert "ERROR" in " ".join(world.reasons())
    assert left(world) == {}, "the rollback deletes the image that went to ERROR"


def test_next_months_import_replaces_the_image_and_keep_previous_0_deletes_the_old_one(
    world: World, tmp_path: Path
) -> None:
    made_from = sources(world)
    first = world.deploy(golden(tmp_path, "builder", made_from, keep_previous=0))
    assert first.status == "CREATE_COMPLETE", first.reason
    old = str(first.outputs["ImageId"])
    second = world.deploy(golden(tmp_path, "builder", made_from, generation=2, keep_previous=0))
    assert second.status == "UPDATE_COMPLETE", second.reason
    new = str(second.outputs["ImageId"])
    assert new != old
    assert set(left(world)) == {new}, "keep_previous=0 deletes the replaced import once the new one is AVAILABLE"


def test_an_account_without_byol_fails_the_import_saying_so_and_leaves_nothing(tmp_path: Path) -> None:
    world = World.new(sources=0, default_plan=FAST, byol_enabled=False)
    try:
        made_from = sources(world)
        stack = world.deploy(golden(tmp_path, "imported", made_from))
        assert stack.status == "ROLLBACK_COMPLETE"
        assert any("enable it for Bring Your Own License" in r for r in world.reasons()), world.reasons()
        assert left(world) == {}
    finally:
        world.close()


def test_a_workspace_that_is_stopped_fails_the_capture_saying_to_start_it(world: World, tmp_path: Path) -> None:
    made_from = sources(world)
    made_from["workspace"] = world.cloud.workspaces.add_workspace(state="STOPPED")
    stack = world.deploy(golden(tmp_path, "captured", made_from))
    assert stack.status == "ROLLBACK_COMPLETE"
    assert any("is not in a state that can be imaged; start it" in r for r in world.reasons()), world.reasons()
    assert left(world) == {}
