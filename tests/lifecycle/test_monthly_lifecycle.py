"""The monthly loop through the lifecycle driver: generations, keep_previous, the news on the bus, the monitor.

Each month is a real synthesized app deployed into the emulator with IAM enforced; hours and days are
virtual. What the provider and the monitor put on the default bus is read from the emulator's EventBridge.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sns as sns
from support.lifecycle import STANDARD_BUNDLE, World
from support.synth_cache import cached

from aws_emulator import Plan
from cdk_workspaces_image import UpdatedWorkspaceImage, WorkspaceBundle, WorkspaceImageUpdateMonitor
from cdk_workspaces_image_handler.contract import DetailTypes
from cfn_driver.assembly import Assembly, load
from cfn_driver.cloud import ACCOUNT, REGION

FAST = Plan.available(after_seconds=300)
PIPELINE = "golden-images"
GENERATION_PARAMETER = "/golden/generation"
DAY = 86400


@pytest.fixture
def world() -> Iterator[World]:
    w = World.new(default_plan=FAST)
    yield w
    w.close()


def month(tmp_path: Path, world: World, generation: int, **options: Any) -> Assembly:
    """`golden` of the world's source: the fixed emulator seed gives every world the same id, so one app a session
    serves every test that asks for the same month."""
    return golden(tmp_path, world.sources[0], generation, **options)


@cached
def golden(
    tmp_path: Path,
    source_image_id: str,
    generation: int,
    *,
    keep_previous: int | None = 1,
    bundle: bool = True,
    monitor: bool = False,
    generation_parameter: bool = False,
    other_image: bool = False,
    timeout: cdk.Duration | None = None,
) -> Assembly:
    """The golden image of one generation, a bundle on it, and, as asked, the update monitor (starting a pipeline)
    and a second image of the same stack (another resource, whose images retention must never touch)."""
    outdir = tmp_path / f"g{generation}-{keep_previous}-{bundle}-{monitor}-{generation_parameter}-{other_image}"
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, "Golden", env=cdk.Environment(account=ACCOUNT, region=REGION))
    image = UpdatedWorkspaceImage(
        stack,
        "Golden",
        source_image_id=source_image_id,
        image_name="golden-{generation}",
        generation=generation,
        description="Golden image",
        keep_previous=keep_previous,
        timeout=timeout,
    )
    cdk.CfnOutput(stack, "ImageId", value=image.image_id)
    topic = sns.Topic(stack, "Notifications")
    cdk.CfnOutput(stack, "TopicArn", value=topic.topic_arn)
    image.on_image_available("Available", target=targets.SnsTopic(topic))
    image.on_image_failed("Failed", target=targets.SnsTopic(topic))
    if bundle:
        standard = WorkspaceBundle(stack, "Standard", image_id=image, **STANDARD_BUNDLE)
        cdk.CfnOutput(stack, "BundleId", value=standard.bundle_id)
    if other_image:
        other = UpdatedWorkspaceImage(
            stack,
            "Silver",
            source_image_id=source_image_id,
            image_name="silver-{generation}",
            generation=generation,
            description="Silver image",
            keep_previous=0,
        )
        cdk.CfnOutput(stack, "SilverImageId", value=other.image_id)
    if monitor:
        arn = f"arn:aws:codepipeline:{REGION}:{ACCOUNT}:{PIPELINE}"
        pipeline = codepipeline.Pipeline.from_pipeline_arn(stack, "Pipeline", arn)
        parameter = GENERATION_PARAMETER if generation_parameter else None
        WorkspaceImageUpdateMonitor(stack, "Monitor", images=[image], pipeline=pipeline, generation_parameter=parameter)
    app.synth()
    return load(outdir, "Golden")


def image_of(world: World, stack: object, output: str = "ImageId") -> str:
    return str(stack.outputs[output])  # type: ignore[attr-defined]


def bundle_image(world: World, stack: object) -> str:
    bundle_id = str(stack.outputs["BundleId"])  # type: ignore[attr-defined]
    return world.cloud.workspaces.bundles[bundle_id].image_id


def kept(world: World) -> dict[str, str]:
    """What the last retention kept, by image, with the reason."""
    return {k["ImageId"]: k["Reason"] for k in world.news(DetailTypes.IMAGE_RETENTION)[-1]["Kept"]}


def three_months(tmp_path: Path, world: World, **options: object) -> list[str]:
    """Deploy generations 1, 2 and 3; the images they made, oldest first."""
    made = []
    for generation in (1, 2, 3):
        stack = world.deploy(month(tmp_path, world, generation, **options))
        assert stack.status in ("CREATE_COMPLETE", "UPDATE_COMPLETE"), stack.reason
        made.append(image_of(world, stack))
    return made


# ---------------------------------------------------------------- generations and keep_previous


def test_each_generation_makes_a_named_image_and_the_third_deletes_the_first(world: World, tmp_path: Path) -> None:
    g1, g2, g3 = three_months(tmp_path, world)
    names = {i.image_id: i.name for i in world.cloud.workspaces.owned_images()}
    assert (names[g2], names[g3]) == ("golden-2", "golden-3")
    assert g1 not in names, "keep_previous=1: the image two generations back is deleted"
    assert world.images() == {g2: "AVAILABLE", g3: "AVAILABLE"}
    retentions = world.news(DetailTypes.IMAGE_RETENTION)
    assert [r["Deleted"] for r in retentions] == [[], [g1]]
    assert {k["ImageId"] for k in retentions[0]["Kept"]} == {g1}  # month 2: g1 is the one being replaced
    assert kept(world) == {g2: "one of the 1 most recent earlier images (keep_previous)"}
    assert world.calls("DeleteWorkspaceImage") == 1


def test_the_same_generation_redeployed_is_a_no_op(world: World, tmp_path: Path) -> None:
    first = world.deploy(month(tmp_path, world, 1))
    before = (world.calls("CreateUpdatedWorkspaceImage"), len(world.news()), len(world.cloud.workspaces.calls))
    again = world.deploy(month(tmp_path / "again", world, 1))
    assert again.status in ("CREATE_COMPLETE", "UPDATE_COMPLETE")
    assert image_of(world, again) == image_of(world, first)
    assert (world.calls("CreateUpdatedWorkspaceImage"), len(world.news())) == before[:2]
    assert len(world.cloud.workspaces.calls) == before[2], "nothing of the stack's images or bundles was touched"


def test_an_image_a_bundle_still_uses_is_kept(world: World, tmp_path: Path) -> None:
    g1 = image_of(world, world.deploy(month(tmp_path, world, 1)))
    # A bundle outside the stack, on the first image: WorkSpaces would refuse the delete, and users rely on it.
    outside = world.cloud.workspaces.add_bundle(g1, name="pilot")
    world.deploy(month(tmp_path, world, 2))
    world.deploy(month(tmp_path, world, 3))
    assert g1 in world.images()
    assert kept(world)[g1] == f"bundles {outside} use it"
    assert world.news(DetailTypes.IMAGE_RETENTION)[-1]["Deleted"] == []


def test_an_image_shared_with_another_account_is_kept(world: World, tmp_path: Path) -> None:
    g1 = image_of(world, world.deploy(month(tmp_path, world, 1)))
    world.cloud.workspaces.share_image(g1, "444455556666")
    world.deploy(month(tmp_path, world, 2))
    world.deploy(month(tmp_path, world, 3))
    assert g1 in world.images()
    assert kept(world)[g1] == "it is shared with accounts 444455556666, which share_with_accounts does not name"


def test_retention_never_touches_an_image_it_did_not_make(world: World, tmp_path: Path) -> None:
    stranger = world.cloud.workspaces.add_image("golden-0", update_available=False)  # made by hand: no tag
    g1, *_ = three_months(tmp_path, world, other_image=True)
    silver = {i.image_id for i in world.cloud.workspaces.owned_images() if i.name.startswith("silver-")}
    assert stranger in world.images()
    # Silver (keep_previous=0) deleted its first image and kept the one its third replaced (a rollback target).
    assert sorted(i.name for i in world.cloud.workspaces.owned_images() if i.image_id in silver) == [
        "silver-2",
        "silver-3",
    ]
    deleted = [d for r in world.news(DetailTypes.IMAGE_RETENTION) for d in r["Deleted"]]
    assert g1 in deleted
    assert stranger not in deleted
    golden = [r for r in world.news(DetailTypes.IMAGE_RETENTION) if r["LogicalId"].startswith("Golden")]
    assert {d for r in golden for d in r["Deleted"]} == {g1}
    assert all(i not in {k["ImageId"] for r in golden for k in r["Kept"]} for i in silver | {stranger})


def test_without_keep_previous_every_image_is_kept_and_nothing_is_said(world: World, tmp_path: Path) -> None:
    made = three_months(tmp_path, world, keep_previous=None)
    assert set(made) <= set(world.images())
    assert world.news(DetailTypes.IMAGE_RETENTION) == []
    assert world.calls("DeleteWorkspaceImage") == 0


# ---------------------------------------------------------------- the news


def test_the_timeline_of_a_month_is_on_the_bus(world: World, tmp_path: Path) -> None:
    g1 = image_of(world, world.deploy(month(tmp_path, world, 1)))
    stack = world.deploy(month(tmp_path, world, 2))
    g2 = image_of(world, stack)
    assert bundle_image(world, stack) == g2
    available = world.news(DetailTypes.IMAGE_AVAILABLE)
    assert [(a["ImageId"], a["Name"], a["SourceImageId"]) for a in available] == [
        (g1, "golden-1", world.sources[0]),
        (g2, "golden-2", world.sources[0]),
    ]
    assert available[0]["StackId"] == stack.stack_id
    moved = world.news(DetailTypes.BUNDLE_IMAGE_CHANGED)
    assert [(m["ImageId"], m["PreviousImageId"]) for m in moved] == [(g2, g1)]
    # The rule on_image_available made matched both months' images (it matches the resource, not an image id),
    # and on_image_failed's matched nothing.
    delivered = [d for d in world.cloud.events.deliveries if d.arn == stack.outputs["TopicArn"]]
    assert [(d.event["detail-type"], d.event["detail"]["ImageId"]) for d in delivered] == [
        (DetailTypes.IMAGE_AVAILABLE, g1),
        (DetailTypes.IMAGE_AVAILABLE, g2),
    ]


def test_an_image_in_error_is_announced_with_the_service_details(world: World, tmp_path: Path) -> None:
    world.cloud.workspaces.plan_next_images(
        Plan.error("UpdateFailed", "The image could not be updated", details=(("InsufficientDiskSpace", "C: full"),))
    )
    stack = world.deploy(month(tmp_path, world, 1))
    assert stack.status == "ROLLBACK_COMPLETE"
    [failed] = world.news(DetailTypes.IMAGE_FAILED)
    assert (failed["Failure"], failed["ErrorCode"], failed["ErrorMessage"]) == (
        "ERROR",
        "UpdateFailed",
        "The image could not be updated",
    )
    assert failed["ErrorDetails"] == [{"ErrorCode": "InsufficientDiskSpace", "ErrorMessage": "C: full"}]
    assert failed["Reason"].startswith(f"image {failed['ImageId']} went to ERROR")
    assert world.news(DetailTypes.IMAGE_AVAILABLE) == []


def test_a_timeout_is_announced_with_the_state_it_ended_in(world: World, tmp_path: Path) -> None:
    # AVAILABLE only after the 15-minute timeout: the rollback's Delete waits for that, then deletes it.
    world.cloud.workspaces.plan_next_images(Plan.available(after_seconds=1800))
    stack = world.deploy(month(tmp_path, world, 1, timeout=cdk.Duration.minutes(15)))
    assert stack.status == "ROLLBACK_COMPLETE"
    [failed] = world.news(DetailTypes.IMAGE_FAILED)
    assert (failed["Failure"], failed["State"]) == ("TIMEOUT", "PENDING")
    assert failed["Reason"].startswith(f"timed out: image {failed['ImageId']} is still PENDING")


# ---------------------------------------------------------------- the update monitor


def test_the_monitor_with_no_update_available_puts_no_event(world: World, tmp_path: Path) -> None:
    world.cloud.codepipeline.add_pipeline(PIPELINE)
    stack = world.deploy(month(tmp_path, world, 1, monitor=True))
    world.cloud.workspaces.set_update_available(image_of(world, stack), False)
    before = (len(world.news()), world.calls("DescribeWorkspaceImages"))
    world.cfn.settle(2 * DAY)
    assert world.news()[before[0] :] == []
    assert world.cloud.codepipeline.executions == []
    assert world.calls("DescribeWorkspaceImages") - before[1] == 2, "the monitor looked once on each of two days"


def test_the_monitor_reports_an_update_and_starts_the_pipeline(world: World, tmp_path: Path) -> None:
    world.cloud.codepipeline.add_pipeline(PIPELINE)
    stack = world.deploy(month(tmp_path, world, 1, monitor=True))
    g1 = image_of(world, stack)
    world.cloud.workspaces.set_update_available(g1, True, "WorkSpaces agent 2.1")
    world.cfn.settle(DAY + 120)
    [update] = world.news(DetailTypes.IMAGE_UPDATE_AVAILABLE)
    assert (update["ImageId"], update["Name"], update["UpdateDescription"], update["Pipeline"]) == (
        g1,
        "golden-1",
        "WorkSpaces agent 2.1",
        PIPELINE,
    )
    [execution] = world.cloud.codepipeline.executions
    assert update["PipelineExecutionId"] == execution.execution_id


def watched_by_an_app(tmp_path: Path, world: World, stack_name: str) -> Assembly:
    """An app whose stack `stack_name` has construct id "Golden" whatever its name: a monitor at Golden/Monitor of
    the world's source image, and its on_update_available rule telling a topic."""
    # Asset metadata lets the driver find the function code under an artifact id other than the stack name.
    app = cdk.App(outdir=str(tmp_path / stack_name), context={"aws:cdk:enable-asset-metadata": True})
    stack = cdk.Stack(app, "Golden", stack_name=stack_name, env=cdk.Environment(account=ACCOUNT, region=REGION))
    monitor = WorkspaceImageUpdateMonitor(stack, "Monitor", images=[world.sources[0]])
    topic = sns.Topic(stack, "Updates")
    monitor.on_update_available("UpdateAvailable", target=targets.SnsTopic(topic))
    cdk.CfnOutput(stack, "TopicArn", value=topic.topic_arn)
    app.synth()
    return load(tmp_path / stack_name, "Golden")


def test_two_apps_with_one_construct_path_hear_only_their_own_monitor(world: World, tmp_path: Path) -> None:
    blue = world.deploy(watched_by_an_app(tmp_path, world, "GoldenBlue"))
    green = world.deploy(watched_by_an_app(tmp_path, world, "GoldenGreen"))
    world.cloud.workspaces.set_update_available(world.sources[0], True, "WorkSpaces agent 2.1")
    world.cfn.settle(DAY + 120)
    assert len(world.news(DetailTypes.IMAGE_UPDATE_AVAILABLE)) == 2, "each monitor looked once"
    for stack in (blue, green):
        heard = [d.event for d in world.cloud.events.deliveries if d.arn == stack.outputs["TopicArn"]]
        guid = stack.stack_id.split("/")[2]
        assert [event["detail"]["MonitorId"] for event in heard] == [f"{guid}/Golden/Monitor"]


def test_a_month_that_fails_rolls_back_to_the_previous_generation_without_news_of_it(
    world: World, tmp_path: Path
) -> None:
    g1 = image_of(world, world.deploy(month(tmp_path, world, 1)))
    world.cloud.workspaces.plan_next_images(Plan.error("UpdateFailed", "The image could not be updated"))
    stack = world.deploy(month(tmp_path, world, 2))
    assert stack.status == "UPDATE_ROLLBACK_COMPLETE"
    assert image_of(world, stack) == g1
    assert [a["ImageId"] for a in world.news(DetailTypes.IMAGE_AVAILABLE)] == [g1], "the rollback is no news"
    assert [f["Failure"] for f in world.news(DetailTypes.IMAGE_FAILED)] == ["ERROR"]
    assert world.news(DetailTypes.IMAGE_RETENTION) == []


def test_the_monitor_asks_for_the_next_generation_once_and_the_deploy_that_follows_makes_it(
    world: World, tmp_path: Path
) -> None:
    world.cloud.codepipeline.add_pipeline(PIPELINE)
    g1 = image_of(world, world.deploy(month(tmp_path, world, 1, monitor=True, generation_parameter=True)))
    assert world.cloud.ssm.value(GENERATION_PARAMETER) == "1"
    world.cloud.workspaces.set_update_available(g1, True, "WorkSpaces agent 2.1")
    world.cfn.settle(2 * DAY + 120)  # two looks: the first asks and starts, the second finds it asked already
    assert world.cloud.ssm.value(GENERATION_PARAMETER) == "2"
    [execution] = world.cloud.codepipeline.executions
    first, second = world.news(DetailTypes.IMAGE_UPDATE_AVAILABLE)
    assert (first["Generation"], first["NextGeneration"], first["PipelineExecutionId"]) == (
        1,
        2,
        execution.execution_id,
    )
    assert (second["NextGeneration"], second["PipelineExecutionId"]) == (2, "")

    # The pipeline synthesizes with the parameter's value, and deploys.
    generation = int(world.cloud.ssm.value(GENERATION_PARAMETER))
    stack = world.deploy(month(tmp_path, world, generation, monitor=True, generation_parameter=True))
    assert stack.status == "UPDATE_COMPLETE"
    g2 = image_of(world, stack)
    assert world.cloud.workspaces.images[g2].name == "golden-2"
    assert world.cloud.ssm.value(GENERATION_PARAMETER) == "2"
    # The monitor watches the new image now, which has no update: nothing more is asked for or started.
    before = len(world.news())
    world.cfn.settle(DAY + 120)
    assert world.news()[before:] == []
    assert len(world.cloud.codepipeline.executions) == 1
