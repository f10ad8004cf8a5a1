"""The watch through whole deployments: one rule and one table per stack, no credential in EventBridge, nothing
left behind by rollbacks or deletes, and a Delete that waits for a PENDING image.

Each row deploys real synthesized apps through the lifecycle driver into the emulator; time is virtual.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import aws_cdk as cdk
import pytest
from support.lifecycle import ImageSpec, World, synth

from aws_emulator import Plan
from cdk_workspaces_image_handler import contract
from cfn_driver.assembly import Assembly

HOUR = 3600.0
RETAIN = cdk.RemovalPolicy.RETAIN


@pytest.fixture
def world() -> Iterator[World]:
    w = World.new(default_plan=Plan.available(after_seconds=HOUR))
    yield w
    w.close()


def test_no_url_is_readable_from_eventbridge_while_images_wait(world: World, tmp_path: Path) -> None:
    seen: list[str] = []
    waiting: list[str] = []

    def look() -> None:
        waiting.extend(w["resource_id"] for w in world.waits())
        # What anyone with events:DescribeRule and events:ListTargetsByRule reads mid-wait.
        for name in world.cloud.events.rules:
            seen.append(json.dumps(world.cloud.events.handle("DescribeRule", {"Name": name})))
            seen.append(json.dumps(world.cloud.events.handle("ListTargetsByRule", {"Rule": name})))

    world.cfn.schedule(world.cloud.clock.now() + HOUR / 2, look)
    specs = [ImageSpec(construct_id=c, source_image_id=world.sources[0], image_name=c) for c in ("A", "B")]
    stack = world.deploy(synth(tmp_path, specs))
    assert stack.status == "CREATE_COMPLETE"
    assert len(waiting) == 2, "the look ran while both images were waiting"
    text = "\n".join(seen)
    for credential in ("http", "X-Amz", "Signature"):
        assert credential not in text
    [targets] = [json.loads(t)["Targets"] for t in seen if "Targets" in json.loads(t)]
    assert [t["Input"] for t in targets] == [contract.TICK_INPUT]


def test_two_stacks_with_the_same_construct_path_keep_separate_schedules_and_state(
    world: World, tmp_path: Path
) -> None:
    """dev-golden and prod-golden from one app, in one account and Region: while one waits, the other's
    rule and table are untouched, and each stack's rule invokes its own function only."""
    dev = synth(tmp_path / "dev", [ImageSpec(source_image_id=world.sources[0], image_name="dev")], "dev-golden")
    prod = synth(tmp_path / "prod", [ImageSpec(source_image_id=world.sources[0], image_name="prod")], "prod-golden")
    during: dict[str, list[str]] = {}

    def look() -> None:
        during["rules"] = world.enabled_rules()
        during["waits"] = [w["logical_id"] for w in world.waits()]

    first = world.deploy(dev)
    world.cfn.schedule(world.cloud.clock.now() + HOUR / 2, look)
    second = world.deploy(prod)
    assert (first.status, second.status) == ("CREATE_COMPLETE", "CREATE_COMPLETE")

    rules = dict(world.cloud.events.rules)
    assert sorted(rules) == sorted(f"cdkwsi-{s.stack_id.split('/')[2]}" for s in (first, second))
    functions = {
        s.name: s.resources[next(k for k, r in s.resources.items() if r.type == "AWS::Lambda::Function")]
        for s in (first, second)
    }
    for stack in (first, second):
        [target] = rules[f"cdkwsi-{stack.stack_id.split('/')[2]}"].targets.values()
        assert target["Arn"] == functions[stack.name].attributes["Arn"]
    assert len(world.tables()) == 2
    assert during["rules"] == [f"cdkwsi-{second.stack_id.split('/')[2]}"], "only prod-golden's rule ticks"
    assert len(during["waits"]) == 1


def test_a_stack_deleted_during_a_wait_under_retain_leaves_no_schedule_and_no_state(tmp_path: Path) -> None:
    """S3 refuses every signal of the wait condition, so the handler keeps its wait and tries again each
    minute, until the wait condition times out and CloudFormation deletes the new stack. The image's
    DeletionPolicy Retain sends it no Delete, so no request ever ends its wait: the stack's own table and
    rule go with the stack instead, and nothing fires at the deleted function afterwards."""
    world = World.new(default_plan=Plan.available(after_seconds=600))
    try:

        def refuse_every_signal() -> None:
            stack = world.cfn.stacks["Golden"]
            handle = next(r.physical_id for r in stack.resources.values() if r.type.endswith("WaitConditionHandle"))
            world.cfn.inbox.refuse(handle, *[500] * 100)

        world.cfn.schedule(world.cloud.clock.now() + 1, refuse_every_signal)
        spec = ImageSpec(source_image_id=world.sources[0], timeout=cdk.Duration.minutes(15), removal_policy=RETAIN)
        waiting: list[str] = []
        world.cfn.schedule(world.cloud.clock.now() + 20 * 60, lambda: waiting.extend(world.watching()))
        stack = world.deploy(synth(tmp_path, [spec]))
        assert stack.status == "ROLLBACK_COMPLETE"
        assert len(waiting) == 2, f"the rule was enabled and the wait pending 20 minutes in: {waiting}"
        world.cfn.settle(2 * HOUR)
        assert world.cloud.events.rules == {}, "no schedule left to fire at a deleted function"
        assert world.tables() == [], "no wait state, and so no presigned URL, left behind"
        assert list(world.images().values()) == ["AVAILABLE"], "the retained image, as its policy says"
    finally:
        world.close()


def test_a_timed_out_create_waits_for_its_pending_image_then_deletes_it(tmp_path: Path) -> None:
    """The handler gives up on the image at `timeout` (15 min) while it is still PENDING, and the rollback
    Deletes it. WorkSpaces refuses (the emulator's default), so the Delete waits within its hour until the
    image is AVAILABLE (30 min later), then deletes it. (tests/lifecycle/test_image_lifecycle.py has the same
    row where WorkSpaces deletes a PENDING image at once.)"""
    world = World.new(default_plan=Plan.available(after_seconds=15 * 60 + HOUR / 2))
    try:
        stack = world.deploy(timing_out(tmp_path, world))
        world.cfn.settle()
        assert stack.status == "ROLLBACK_COMPLETE", stack.reason
        assert world.images() == {}, "the rollback deleted the image it made"
        [refused] = [c for c in world.cloud.workspaces.calls_to("DeleteWorkspaceImage") if c.error]
        [deleted] = [c for c in world.cloud.workspaces.calls_to("DeleteWorkspaceImage") if not c.error]
        assert deleted.at - refused.at >= HOUR / 2 - 60, "deleted once it was AVAILABLE"
        assert world.watching() == []
    finally:
        world.close()


def test_an_image_pending_past_the_deletes_hour_fails_it_saying_what_to_do(tmp_path: Path) -> None:
    """The same, but the image stays PENDING longer than the Delete may wait. Nothing can delete it yet, so the
    Delete fails naming it and saying what to do, and the image stays in the stack. A stack deletion retains
    it (RetainExceptOnCreate), so the reason says to delete it first, as the user then does."""
    world = World.new(default_plan=Plan.available(after_seconds=15 * 60 + 3 * HOUR))
    try:
        stack = world.deploy(timing_out(tmp_path, world))
        assert stack.status == "ROLLBACK_FAILED"
        assert any("is still PENDING and WorkSpaces would not delete it" in r for r in world.reasons())
        [image] = world.images()
        assert image in world.stack_images(stack), "kept in the stack, not orphaned"
        world.cfn.settle()
        world.cloud.clock.set(world.cloud.clock.now() + 3 * HOUR)  # the image is AVAILABLE by now
        assert any(f"delete image {image} yourself" in r for r in world.reasons())
        world.cloud.workspaces.handle("DeleteWorkspaceImage", {"ImageId": image})
        again = world.cfn.delete(stack.name)
        assert again.status == "DELETE_COMPLETE"
        assert world.images() == {}
    finally:
        world.close()


def timing_out(tmp_path: Path, world: World) -> Assembly:
    spec = ImageSpec(source_image_id=world.sources[0], timeout=cdk.Duration.minutes(15))
    return synth(tmp_path, [spec])
