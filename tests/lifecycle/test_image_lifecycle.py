"""The fault matrix: whole deployments of real synthesized apps through the lifecycle driver and the emulator.

Each row asserts where the stack ends, with what reason, and that nothing is
lost or left behind: no orphan image, no watch left running. Time is virtual: hours of
waiting take seconds.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import aws_cdk as cdk
import pytest
from support.lifecycle import ImageSpec, World, synth

from aws_emulator import Plan
from cdk_workspaces_image import NoUpdateBehavior
from cfn_driver.assembly import Assembly
from cfn_driver.engine import Faults

FAST = Plan.available(after_seconds=300)


@pytest.fixture
def world() -> Iterator[World]:
    w = World.new(default_plan=FAST)
    yield w
    w.close()


def logical_id(assembly: Assembly, resource_type: str) -> str:
    return str(next(k for k, v in assembly.template["Resources"].items() if v["Type"] == resource_type))


def app(tmp_path: Path, world: World, name: str = "v1", **overrides: object) -> Assembly:
    spec = ImageSpec(source_image_id=world.sources[0], **overrides)  # type: ignore[arg-type]
    return synth(tmp_path / name, [spec])


def assert_clean(world: World, stack_status: str, stack: object, retained: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    world.cfn.settle()  # late Lambda retries and schedules get their chance to leave something behind
    assert world.watching() == [], "a watch was left running"
    assert world.orphans(stack, retained) == set(), "an image is left that nothing owns"  # type: ignore[arg-type]
    assert stack.status == stack_status  # type: ignore[attr-defined]


# ---------------------------------------------------------------- the happy path


def test_deploy_waits_for_available_and_outputs_the_image(world: World, tmp_path: Path) -> None:
    stack = world.deploy(app(tmp_path, world))
    assert_clean(world, "CREATE_COMPLETE", stack)
    ((image_id, state),) = world.images().items()
    assert state == "AVAILABLE"
    assert stack.outputs == {"GoldenImageId": image_id}
    assert world.calls("CreateUpdatedWorkspaceImage") == 1
    wait = next(lid for lid, r in stack.resources.items() if r.type == "AWS::CloudFormation::WaitCondition")
    complete = next(e for e in world.events if e.status == "CREATE_COMPLETE" and e.logical_id == wait)
    assert 300 <= complete.time <= 300 + 60, "the stack sees AVAILABLE within one polling minute (virtual time)"


# ---------------------------------------------------------------- retries and timeouts


def test_a_duplicate_create_delivery_makes_one_image(tmp_path: Path) -> None:
    probe = World.new(default_plan=FAST)
    assembly = app(tmp_path, probe)
    probe.close()
    world = World.new(
        default_plan=FAST, faults=Faults(duplicate={(logical_id(assembly, "Custom::UpdatedWorkspaceImage"), "Create")})
    )
    try:
        stack = world.deploy(assembly)
        assert_clean(world, "CREATE_COMPLETE", stack)
        assert len(world.images()) == 1
        assert world.calls("CreateUpdatedWorkspaceImage") == 1
    finally:
        world.close()


def test_a_lambda_timeout_mid_create_is_finished_by_the_retry(tmp_path: Path) -> None:
    # The first attempt's CreateUpdatedWorkspaceImage works but its answer never arrives before Lambda's limit. The
    # limit is real time, so it leaves a retry's cold start room on a loaded machine (1.5 s once failed at load 16).
    world = World.new(default_plan=FAST, real_limit_seconds=4)
    try:
        world.cloud.stall_after("CreateUpdatedWorkspaceImage", 6)
        stack = world.deploy(app(tmp_path, world))
        assert_clean(world, "CREATE_COMPLETE", stack)
        assert any(e.status == "LAMBDA_ERROR" and "timed out" in e.reason for e in world.events)
        assert world.calls("CreateUpdatedWorkspaceImage") == 1, "the retry adopts the image instead of making another"
        assert list(world.images()) == [stack.outputs["GoldenImageId"]]
    finally:
        world.close()


def test_the_deadline_exceeded_fails_naming_image_and_state_and_rolls_back(tmp_path: Path) -> None:
    # Where WorkSpaces deletes a PENDING image (an emulator option; whether it does is undocumented). Where it
    # refuses, the Delete waits: tests/lifecycle/test_watch_lifecycle.py.
    world = World.new(default_plan=Plan.never(), delete_pending_error=None)
    try:
        stack = world.deploy(app(tmp_path, world, timeout=cdk.Duration.minutes(15)))
        assert_clean(world, "ROLLBACK_COMPLETE", stack)
        assert world.images() == {}, "the PENDING image is deleted by the rollback"
        assert "timed out: image wsi-" in stack.reason
        assert "is still PENDING" in stack.reason
    finally:
        world.close()


# ---------------------------------------------------------------- service failures


def test_an_image_in_error_fails_with_its_codes_and_rolls_back(tmp_path: Path) -> None:
    world = World.new(default_plan=Plan.error("UpdateFailed", "The agent update failed", after_seconds=600))
    try:
        stack = world.deploy(app(tmp_path, world))
        assert_clean(world, "ROLLBACK_COMPLETE", stack)
        assert world.images() == {}
        assert "went to ERROR - UpdateFailed: The agent update failed (details: WindowsUpdatesRequired" in stack.reason
    finally:
        world.close()


def test_bursts_of_throttling_are_retried(world: World, tmp_path: Path) -> None:
    world.cloud.workspaces.inject("DescribeWorkspaceImages", "ThrottlingException", times=2)
    world.cloud.workspaces.inject("CreateUpdatedWorkspaceImage", "ThrottlingException", times=2)
    stack = world.deploy(app(tmp_path, world))
    assert_clean(world, "CREATE_COMPLETE", stack)
    assert len(world.images()) == 1
    throttled = [c for c in world.cloud.workspaces.calls if c.error == "ThrottlingException"]
    assert len(throttled) == 4


def test_access_denied_fails_clearly_and_creates_nothing(world: World, tmp_path: Path) -> None:
    world.cloud.workspaces.inject("CreateUpdatedWorkspaceImage", "AccessDeniedException")
    stack = world.deploy(app(tmp_path, world))
    assert_clean(world, "ROLLBACK_COMPLETE", stack)
    assert world.images() == {}
    assert "may not call workspaces:CreateUpdatedWorkspaceImage" in stack.reason


def test_a_missing_source_fails_naming_it(world: World, tmp_path: Path) -> None:
    stack = world.deploy(synth(tmp_path / "a", [ImageSpec(source_image_id="wsi-missing001")]))
    assert_clean(world, "ROLLBACK_COMPLETE", stack)
    assert "source image wsi-missing001 was not found" in stack.reason


def test_no_update_available_fails_by_default(world: World, tmp_path: Path) -> None:
    world.cloud.workspaces.set_update_available(world.sources[0], False)
    stack = world.deploy(app(tmp_path, world))
    assert_clean(world, "ROLLBACK_COMPLETE", stack)
    assert f"source image {world.sources[0]} has no update available" in stack.reason


def test_no_update_available_with_use_source_answers_the_source_and_never_deletes_it(
    world: World, tmp_path: Path
) -> None:
    world.cloud.workspaces.set_update_available(world.sources[0], False)
    stack = world.deploy(
        app(tmp_path, world, no_update_behavior=NoUpdateBehavior.USE_SOURCE, removal_policy=cdk.RemovalPolicy.DESTROY)
    )
    assert_clean(world, "CREATE_COMPLETE", stack)
    assert stack.outputs == {"GoldenImageId": world.sources[0]}
    deleted = world.cfn.delete("Golden")
    assert deleted.status == "DELETE_COMPLETE"
    assert world.sources[0] in world.cloud.workspaces.images
    assert world.calls("DeleteWorkspaceImage") == 0


def test_a_name_taken_by_another_image_fails_clearly(world: World, tmp_path: Path) -> None:
    other = world.cloud.workspaces.add_image("golden-2026-11", update_available=False)
    stack = world.deploy(app(tmp_path, world))
    assert_clean(world, "ROLLBACK_COMPLETE", stack, retained={other})
    assert "an image named 'golden-2026-11' already exists and was not created by this resource" in stack.reason
    assert other in world.cloud.workspaces.images


# ---------------------------------------------------------------- limits


def test_a_logical_id_of_200_characters(world: World, tmp_path: Path) -> None:
    stack = world.deploy(app(tmp_path, world, construct_id="G" * 200))
    assert_clean(world, "CREATE_COMPLETE", stack)
    assert any(len(r.logical_id) > 200 for r in stack.resources.values())
    assert all(len(c.params["Name"]) <= 64 for c in world.cloud.events.calls_to("PutRule"))


def test_the_most_tags_of_the_longest_length(world: World, tmp_path: Path) -> None:
    tags = {f"{i:02d}" + "k" * 125: "v" * 255 for i in range(49)}
    stack = world.deploy(app(tmp_path, world, tags=tags))
    assert_clean(world, "CREATE_COMPLETE", stack)
    (image_id,) = world.images()
    assert len(world.cloud.workspaces.images[image_id].tags) == 50  # 49 and the ownership tag
    with pytest.raises(ValueError, match=r"tags \(Tags\) has 50 tags; at most 49 are allowed"):
        app(tmp_path, world, "v2", tags={**tags, "one-more": "x"})


# ---------------------------------------------------------------- the response path


def test_a_response_url_that_answers_500_then_200(world: World, tmp_path: Path) -> None:
    world.cfn.inbox.refusals = [500]
    stack = world.deploy(app(tmp_path, world))
    assert_clean(world, "CREATE_COMPLETE", stack)
    assert len(world.images()) == 1, "Lambda's retry adopts the image instead of making a second"
    assert any(e.status == "LAMBDA_ERROR" and "HTTP 500" in e.reason for e in world.events)


# ---------------------------------------------------------------- updates


def test_an_update_with_replacement_makes_a_new_image_and_deletes_the_old(world: World, tmp_path: Path) -> None:
    source2 = world.cloud.workspaces.add_image("golden-src-new", update_available=True)
    world.sources.append(source2)
    first = world.deploy(app(tmp_path, world, removal_policy=cdk.RemovalPolicy.DESTROY))
    old_image = first.outputs["GoldenImageId"]
    second = world.deploy(
        synth(
            tmp_path / "v2",
            [ImageSpec(source_image_id=source2, image_name="golden-2026-12", removal_policy=cdk.RemovalPolicy.DESTROY)],
        )
    )
    assert_clean(world, "UPDATE_COMPLETE", second)
    new_image = second.outputs["GoldenImageId"]
    assert new_image != old_image
    assert world.images() == {new_image: "AVAILABLE"}, "DESTROY deletes the replaced image after the update"


def test_a_replacement_through_a_cfn_parameter_waits_inside_the_resource(world: World, tmp_path: Path) -> None:
    source2 = world.cloud.workspaces.add_image("golden-src-new", update_available=True)
    world.sources.append(source2)
    application = cdk.App(outdir=str(tmp_path / "p"))
    stack = cdk.Stack(application, "Golden", env=cdk.Environment(account="111122223333", region="eu-west-1"))
    from cdk_workspaces_image import UpdatedWorkspaceImage

    source = cdk.CfnParameter(stack, "SourceImageId", default=world.sources[0])
    name = cdk.CfnParameter(stack, "ImageName", default="golden-2026-11")
    image = UpdatedWorkspaceImage(
        stack,
        "Golden",
        source_image_id=source.value_as_string,
        image_name=name.value_as_string,
        description="Golden image",
    )
    cdk.CfnOutput(stack, "GoldenImageId", value=image.image_id)
    application.synth()
    from cfn_driver.assembly import load

    assembly = load(tmp_path / "p", "Golden")
    old_image = world.deploy(assembly).outputs["GoldenImageId"]
    second = world.deploy(assembly, {"SourceImageId": source2, "ImageName": "golden-2026-12"})
    assert_clean(world, "UPDATE_COMPLETE", second, retained={old_image})  # UpdateReplacePolicy Retain
    new_image = next(i for i in world.images() if i != old_image)
    assert second.outputs["GoldenImageId"] == new_image
    assert world.images()[new_image] == "AVAILABLE"
    assert second.resources[logical_id(assembly, "Custom::UpdatedWorkspaceImage")].physical_id == new_image
    update_done = next(e for e in world.events if e.status == "UPDATE_COMPLETE" and e.logical_id.startswith("GoldenBA"))
    assert update_done.time >= 300 + 300, "the resource answered only once the new image was AVAILABLE"


def test_a_tags_only_update_is_applied_in_place(world: World, tmp_path: Path) -> None:
    first = world.deploy(app(tmp_path, world, tags={"team": "euc", "cost": "1"}))
    image_id = first.outputs["GoldenImageId"]
    second = world.deploy(app(tmp_path, world, "v2", tags={"team": "vdi"}))
    assert_clean(world, "UPDATE_COMPLETE", second)
    assert second.outputs["GoldenImageId"] == image_id
    tags = world.cloud.workspaces.images[image_id].tags
    assert {k: v for k, v in tags.items() if not k.startswith("cdk-")} == {"team": "vdi"}
    assert world.calls("CreateUpdatedWorkspaceImage") == 1


# ---------------------------------------------------------------- deletes and rollback


@pytest.mark.parametrize(
    ("policy", "kept"),
    [
        (cdk.RemovalPolicy.RETAIN, True),
        (cdk.RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE, True),
        (cdk.RemovalPolicy.DESTROY, False),
    ],
)
def test_delete_keeps_or_destroys_per_policy(
    world: World, tmp_path: Path, policy: cdk.RemovalPolicy, kept: bool
) -> None:
    image_id = world.deploy(app(tmp_path, world, removal_policy=policy)).outputs["GoldenImageId"]
    deleted = world.cfn.delete("Golden")
    assert deleted.status == "DELETE_COMPLETE"
    assert (image_id in world.cloud.workspaces.images) is kept
    assert world.sources[0] in world.cloud.workspaces.images
    assert world.watching() == []


def test_a_delete_blocked_by_a_bundle_names_it_and_loses_nothing(world: World, tmp_path: Path) -> None:
    image_id = world.deploy(app(tmp_path, world, removal_policy=cdk.RemovalPolicy.DESTROY)).outputs["GoldenImageId"]
    bundle = world.cloud.workspaces.add_bundle(image_id)
    blocked = world.cfn.delete("Golden")
    assert blocked.status == "DELETE_FAILED"
    assert f"image {image_id} cannot be deleted: bundles {bundle} still use it" in blocked.reason
    assert image_id in world.cloud.workspaces.images
    del world.cloud.workspaces.bundles[bundle]
    assert world.cfn.delete("Golden").status == "DELETE_COMPLETE"
    assert image_id not in world.cloud.workspaces.images


def test_rollback_of_a_failed_create_leaves_nothing(tmp_path: Path) -> None:
    world = World.new(default_plan=FAST, sources=2)
    try:
        specs = [
            ImageSpec("First", world.sources[0], "golden-first"),
            ImageSpec("Second", "wsi-missing001", "golden-second"),
        ]
        stack = world.deploy(synth(tmp_path / "a", specs))
        assert_clean(world, "ROLLBACK_COMPLETE", stack)
        assert world.images() == {}
        assert "source image wsi-missing001 was not found" in stack.reason
    finally:
        world.close()


# ---------------------------------------------------------------- scale


def test_25_images_deploy_concurrently_with_throttling(tmp_path: Path) -> None:
    world = World.new(default_plan=FAST, sources=25, image_quota=60)
    try:
        for operation in ("DescribeWorkspaceImages", "CreateUpdatedWorkspaceImage", "DescribeTags"):
            world.cloud.workspaces.inject(operation, "ThrottlingException", times=3)
        world.cloud.events.inject("EnableRule", "ThrottlingException", times=3)
        world.cloud.dynamodb.inject("PutItem", "ThrottlingException", times=3)
        specs = [ImageSpec(f"Image{i}", world.sources[i], f"golden-{i:02d}") for i in range(25)]
        stack = world.deploy(synth(tmp_path / "a", specs))
        assert_clean(world, "CREATE_COMPLETE", stack)
        assert len(world.images()) == 25
        assert set(world.images().values()) == {"AVAILABLE"}
        assert world.calls("CreateUpdatedWorkspaceImage") - 3 == 25, "one create per image, besides the throttled"
        # One tick a minute for the whole stack, each with one DescribeWorkspaceImages call for all 25 images.
        scans = world.cloud.dynamodb.calls_to("Scan")
        ticks = sorted({round(c.at) for c in scans})
        assert all(b - a >= 60 for a, b in itertools.pairwise(ticks)), "at most one tick a minute"
        looks = [
            c
            for c in world.cloud.workspaces.calls_to("DescribeWorkspaceImages")
            if c.at >= ticks[0] and "ImageIds" in c.params and len(c.params["ImageIds"]) > 1
        ]
        assert {len(c.params["ImageIds"]) for c in looks} == {25}
        assert len(looks) <= len(ticks) + 3, "one look per tick, besides the throttled"
    finally:
        world.close()
