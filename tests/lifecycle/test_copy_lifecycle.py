"""The fault matrix's copy rows (issue 12): copy_to_regions through the lifecycle driver and an emulator that
serves several Regions, IAM enforced. Each row checks every Region for what is left behind."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import aws_cdk as cdk
import pytest
from support.lifecycle import STANDARD_BUNDLE, World, distributed, provider_statements, without_statement
from support.synth_cache import cached

from aws_emulator import Plan
from cdk_workspaces_image import WorkspaceBundle, WorkspaceImageCopy
from cdk_workspaces_image_handler.contract import OWNER_TAG_KEY, DetailTypes
from cfn_driver.assembly import Assembly, load
from cfn_driver.cloud import ACCOUNT, REGION

FAST = Plan.available(after_seconds=300)
FRANKFURT, VIRGINIA = "eu-central-1", "us-east-1"
AWAY = (FRANKFURT, VIRGINIA)


@pytest.fixture
def world() -> Iterator[World]:
    w = World.new(default_plan=FAST)
    yield w
    w.close()


def golden(
    tmp_path: Path,
    world: World,
    regions: Sequence[str] = AWAY,
    *,
    generation: int = 1,
    keep_previous: int | None = None,
    removal_policy: cdk.RemovalPolicy | None = cdk.RemovalPolicy.DESTROY,
) -> Assembly:
    return distributed(
        tmp_path,
        world.sources[0],
        generation=generation,
        copy_to_regions=regions,
        keep_previous=keep_previous,
        removal_policy=removal_policy,
    )


def copy_in(stack: object, region: str) -> str:
    """The copy's id in `region`, as the stack's outputs say now (the driver's Stack follows later deployments)."""
    return str(stack.outputs[f"ImageIdIn{region.replace('-', '')}"])  # type: ignore[attr-defined]


def everywhere(world: World) -> dict[str, dict[str, str]]:
    """Every image but the sources, by Region: what the user would pay a quota slot for."""
    found = {REGION: world.images()}
    for region in AWAY:
        found[region] = world.images_in(region)
    return {region: images for region, images in found.items() if images}


def test_each_region_gets_an_available_copy_tagged_as_this_stacks(world: World, tmp_path: Path) -> None:
    stack = world.deploy(golden(tmp_path, world))
    assert stack.status == "CREATE_COMPLETE", stack.reason
    image = str(stack.outputs["ImageId"])
    for region in AWAY:
        copy = world.cloud.workspaces_in(region).images[copy_in(stack, region)]
        assert (copy.state, copy.name) == ("AVAILABLE", "golden-1")
        assert copy.tags[OWNER_TAG_KEY].startswith(stack.stack_id.split("/")[2])
    copied = [c for r in AWAY for c in world.cloud.workspaces_in(r).calls_to("CopyWorkspaceImage")]
    assert {(c.params["SourceImageId"], c.params["SourceRegion"]) for c in copied} == {(image, REGION)}
    available = world.news(DetailTypes.IMAGE_AVAILABLE)
    assert sorted(a.get("Region", REGION) for a in available) == sorted([REGION, *AWAY])


def test_each_copys_rules_hear_that_copy_only(world: World, tmp_path: Path) -> None:
    world.cloud.workspaces_in(VIRGINIA).plan_next_images(Plan.error("CopyFailed", "The copy failed", after_seconds=600))
    assembly = distributed(tmp_path, world.sources[0], copy_to_regions=AWAY, notify_copies=True)
    stack = world.deploy(assembly)
    assert stack.status == "ROLLBACK_COMPLETE"
    # The topic is gone with the rollback; what the rules delivered to it stays in the emulator's log.
    heard = [
        (d.event["detail-type"], d.event["detail"]["Region"]) for d in world.cloud.events.deliveries if ":sns:" in d.arn
    ]
    assert sorted(heard) == [(DetailTypes.IMAGE_AVAILABLE, FRANKFURT), (DetailTypes.IMAGE_FAILED, VIRGINIA)]


def test_a_copy_that_fails_in_one_region_rolls_back_leaving_nothing_in_any_region(world: World, tmp_path: Path) -> None:
    world.cloud.workspaces_in(VIRGINIA).plan_next_images(Plan.error("CopyFailed", "The copy failed", after_seconds=600))
    stack = world.deploy(golden(tmp_path, world))
    assert stack.status == "ROLLBACK_COMPLETE"
    assert any("CopyFailed: The copy failed" in r for r in world.reasons()), world.reasons()
    assert everywhere(world) == {}
    world.cfn.settle()
    assert world.watching() == []


def test_a_rollback_after_a_partial_copy_keeps_last_months_copies_and_deletes_this_months(
    world: World, tmp_path: Path
) -> None:
    first = world.deploy(golden(tmp_path, world))
    assert first.status == "CREATE_COMPLETE", first.reason
    before = {region: copy_in(first, region) for region in AWAY}
    world.cloud.workspaces_in(VIRGINIA).plan_next_images(Plan.error("CopyFailed", "The copy failed", after_seconds=600))
    second = world.deploy(golden(tmp_path, world, generation=2))
    assert second.status == "UPDATE_ROLLBACK_COMPLETE"
    assert {region: set(images) for region, images in everywhere(world).items()} == {
        REGION: {str(first.outputs["ImageId"])},
        **{region: {before[region]} for region in AWAY},
    }


def test_next_months_copies_replace_this_months_under_destroy(world: World, tmp_path: Path) -> None:
    first = world.deploy(golden(tmp_path, world))
    before = {region: copy_in(first, region) for region in AWAY}
    second = world.deploy(golden(tmp_path, world, generation=2))
    assert second.status == "UPDATE_COMPLETE", second.reason
    for region in AWAY:
        assert set(world.images_in(region)) == {copy_in(second, region)}
        assert before[region] not in world.images_in(region)


def test_keep_previous_applies_to_the_copies_in_each_region(world: World, tmp_path: Path) -> None:
    made = []
    for generation in (1, 2, 3):
        stack = world.deploy(golden(tmp_path, world, generation=generation, keep_previous=1, removal_policy=None))
        assert stack.status in ("CREATE_COMPLETE", "UPDATE_COMPLETE"), stack.reason
        made.append({region: copy_in(stack, region) for region in AWAY})
    for region in AWAY:
        assert set(world.images_in(region)) == {made[1][region], made[2][region]}, "the first month's copy is gone"


def test_deleting_the_stack_deletes_every_copy_under_destroy(world: World, tmp_path: Path) -> None:
    assert world.deploy(golden(tmp_path, world)).status == "CREATE_COMPLETE"
    assert world.cfn.delete("Golden").status == "DELETE_COMPLETE"
    assert everywhere(world) == {}


# ---------------------------------------------------------------- IAM, per Region and per action


def test_each_copy_statement_is_needed_and_names_its_regions(world: World, tmp_path: Path) -> None:
    world.expect_denials = True
    stack = world.deploy(without_statement(golden(tmp_path, world), "CopyImages"))
    assert stack.status == "ROLLBACK_COMPLETE"
    assert "is not authorized to perform: workspaces:CopyWorkspaceImage" in stack.reason
    assert everywhere(world) == {}


def test_without_delete_own_copies_the_stack_delete_fails_and_says_so(world: World, tmp_path: Path) -> None:
    world.expect_denials = True
    assert world.deploy(without_statement(golden(tmp_path, world), "DeleteOwnCopies")).status == "CREATE_COMPLETE"
    stack = world.cfn.delete("Golden")
    assert stack.status == "DELETE_FAILED"
    assert "is not authorized to perform: workspaces:DeleteWorkspaceImage" in stack.reason
    assert f":{FRANKFURT}:" in stack.reason or f":{VIRGINIA}:" in stack.reason, "the copy's own Region is named"


def test_the_copy_statements_name_only_the_regions_copied_to(world: World, tmp_path: Path) -> None:
    statements = {s.get("Sid"): s for s in provider_statements(golden(tmp_path, world, [FRANKFURT]))}
    rendered = json.dumps(statements["CopyImages"]["Resource"]) + json.dumps(statements["DeleteOwnCopies"]["Resource"])
    assert FRANKFURT in rendered
    assert VIRGINIA not in rendered


# ---------------------------------------------------------------- the other account: its copy, then a bundle


SHARER = "444455556666"


@cached
def consumer(tmp_path: Path, shared_id: str, source_account: str) -> Assembly:
    """A stack of the receiving account: its copy of the image shared with it, and a bundle on the copy."""
    outdir = tmp_path / f"consumer-{source_account}"
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, "Consumer", env=cdk.Environment(account=ACCOUNT, region=REGION))
    copy = WorkspaceImageCopy(
        stack,
        "Golden",
        source_image_id=shared_id,
        image_name="golden-copy",
        description="Copy of the shared golden image",
        source_account=source_account,
    )
    bundle = WorkspaceBundle(stack, "Standard", image_id=copy, **STANDARD_BUNDLE)
    cdk.CfnOutput(stack, "ImageId", value=copy.image_id)
    cdk.CfnOutput(stack, "BundleId", value=bundle.bundle_id)
    app.synth()
    return load(outdir, "Consumer")


def test_the_receiving_account_copies_the_shared_image_and_builds_a_bundle_on_its_copy(
    world: World, tmp_path: Path
) -> None:
    shared = world.cloud.workspaces.add_image("golden-1", owner_account_id=SHARER)
    stack = world.deploy(consumer(tmp_path, shared, SHARER))
    assert stack.status == "CREATE_COMPLETE", stack.reason
    copy = str(stack.outputs["ImageId"])
    assert world.cloud.workspaces.images[copy].owner_account_id == ACCOUNT
    assert world.cloud.workspaces.bundles[str(stack.outputs["BundleId"])].image_id == copy


def test_a_shared_image_of_another_account_than_expected_is_never_copied(world: World, tmp_path: Path) -> None:
    shared = world.cloud.workspaces.add_image("golden-1", owner_account_id="210987654321")
    stack = world.deploy(consumer(tmp_path, shared, SHARER))
    assert stack.status == "ROLLBACK_COMPLETE"
    assert f"belongs to account 210987654321, not to source_account (SourceAccount) {SHARER}" in stack.reason
    assert world.calls("CopyWorkspaceImage") == 0
    assert world.images() == {}, "nothing was copied into this account"
    assert shared in world.cloud.workspaces.images, "the shared image is untouched"
