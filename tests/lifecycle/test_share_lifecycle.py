"""The fault matrix's sharing rows (issue 12): share_with_accounts through the lifecycle driver and the emulator.

Each row deploys a real synthesized app into an emulated account with IAM enforced, then checks what the image
is shared with, the stack's end state and reason, and that no image is left behind or left shared.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import aws_cdk as cdk
import pytest
from support.lifecycle import World, distributed

from aws_emulator import Plan
from cdk_workspaces_image_handler.contract import DetailTypes
from cfn_driver.assembly import Assembly

FAST = Plan.available(after_seconds=300)
A, B, UNKNOWN, THEIRS = "444455556666", "777788889999", "999999999999", "210987654321"
KNOWN = (A, B, THEIRS)


@pytest.fixture
def world() -> Iterator[World]:
    w = World.new(default_plan=FAST, accounts=KNOWN)
    yield w
    w.close()


def golden(
    tmp_path: Path,
    world: World,
    accounts: Sequence[str],
    *,
    generation: int = 1,
    keep_previous: int | None = None,
    removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.DESTROY,
) -> Assembly:
    return distributed(
        tmp_path,
        world.sources[0],
        generation=generation,
        share_with_accounts=accounts,
        keep_previous=keep_previous,
        removal_policy=removal_policy,
    )


def shared_with(world: World, image_id: str) -> list[str]:
    return sorted(world.cloud.workspaces.images[image_id].shared_with)


def ok(stack: object) -> str:
    status = stack.status  # type: ignore[attr-defined]
    assert status in ("CREATE_COMPLETE", "UPDATE_COMPLETE"), stack.reason  # type: ignore[attr-defined]
    return str(stack.outputs["ImageId"])  # type: ignore[attr-defined]


def test_the_image_is_shared_once_available_and_a_changed_list_applies_in_place(world: World, tmp_path: Path) -> None:
    image = ok(world.deploy(golden(tmp_path, world, [A])))
    assert shared_with(world, image) == [A]
    made = world.calls("CreateUpdatedWorkspaceImage")

    assert ok(world.deploy(golden(tmp_path, world, [A, B]))) == image
    assert shared_with(world, image) == [A, B]
    assert ok(world.deploy(golden(tmp_path, world, [B]))) == image
    assert shared_with(world, image) == [B]
    assert ok(world.deploy(golden(tmp_path, world, []))) == image
    assert shared_with(world, image) == []
    assert world.calls("CreateUpdatedWorkspaceImage") == made, "sharing never makes a new image"


def test_a_share_to_an_unknown_account_rolls_back_and_leaves_nothing_shared_or_orphaned(
    world: World, tmp_path: Path
) -> None:
    stack = world.deploy(golden(tmp_path, world, [A, UNKNOWN]))
    assert stack.status == "ROLLBACK_COMPLETE"
    assert any(f"could not be shared with account {UNKNOWN}" in r for r in world.reasons()), world.reasons()
    assert world.images() == {}, "the image shared with A was unshared, then deleted"
    assert world.watching() == []


def test_a_byol_image_shared_with_an_account_not_enabled_for_byol_fails_saying_the_rule(tmp_path: Path) -> None:
    world = World.new(sources=0, default_plan=FAST, accounts=KNOWN, byol_accounts=[B])
    try:
        world.sources = [
            world.cloud.workspaces.add_image("byol-src", update_available=True, required_tenancy="DEDICATED")
        ]
        stack = world.deploy(golden(tmp_path, world, [B, A]))
        assert stack.status == "ROLLBACK_COMPLETE"
        reason = next(r for r in world.reasons() if f"account {A}" in r)
        assert "a Bring Your Own License image can be shared only with BYOL-enabled accounts" in reason
        assert world.images() == {}
    finally:
        world.close()


def test_a_failed_list_change_rolls_back_to_the_accounts_before(world: World, tmp_path: Path) -> None:
    image = ok(world.deploy(golden(tmp_path, world, [A])))
    stack = world.deploy(golden(tmp_path, world, [B, UNKNOWN]))
    assert stack.status == "UPDATE_ROLLBACK_COMPLETE", stack.reason
    assert shared_with(world, image) == [A], "B, granted before UNKNOWN failed, was removed by the rollback"


def test_a_replacement_unshares_the_old_image_before_deleting_it(world: World, tmp_path: Path) -> None:
    g1 = ok(world.deploy(golden(tmp_path, world, [A])))
    g2 = ok(world.deploy(golden(tmp_path, world, [A, B], generation=2)))
    assert g2 != g1
    assert shared_with(world, g2) == [A, B]
    assert g1 not in world.images(), "the cleanup Delete removed A's permission, then the image"
    log = [c.operation for c in world.cloud.workspaces.calls if c.params.get("ImageId") == g1]
    assert log.index("UpdateWorkspaceImagePermission", log.index("DescribeWorkspaceImagePermissions")) < log.index(
        "DeleteWorkspaceImage"
    )


def test_a_stack_delete_unshares_then_deletes_and_never_an_image_someone_else_shared(
    world: World, tmp_path: Path
) -> None:
    image = ok(world.deploy(golden(tmp_path, world, [A])))
    world.cloud.workspaces.share_image(image, THEIRS)  # by hand, outside the stack
    stack = world.cfn.delete("Golden")
    assert stack.status == "DELETE_FAILED"
    assert any(f"shared with accounts {THEIRS}, which share_with_accounts does not name" in r for r in world.reasons())
    assert shared_with(world, image) == sorted([A, THEIRS]), "nothing was unshared: the image is kept as it was"

    world.cloud.workspaces.unshare_image(image, THEIRS)
    stack = world.cfn.delete("Golden")
    assert stack.status == "DELETE_COMPLETE", stack.reason
    assert world.images() == {}


def test_retention_unshares_and_deletes_the_images_this_stack_shared(world: World, tmp_path: Path) -> None:
    g1 = ok(world.deploy(golden(tmp_path, world, [A], keep_previous=1, removal_policy=cdk.RemovalPolicy.RETAIN)))
    g2 = ok(
        world.deploy(
            golden(tmp_path, world, [A], generation=2, keep_previous=1, removal_policy=cdk.RemovalPolicy.RETAIN)
        )
    )
    g3 = ok(
        world.deploy(
            golden(tmp_path, world, [A], generation=3, keep_previous=1, removal_policy=cdk.RemovalPolicy.RETAIN)
        )
    )
    assert set(world.images()) == {g2, g3}
    assert world.news(DetailTypes.IMAGE_RETENTION)[-1]["Deleted"] == [g1]
    assert (shared_with(world, g2), shared_with(world, g3)) == ([A], [A])


def test_a_replacement_that_drops_an_account_unshares_the_old_image_under_its_old_list(
    world: World, tmp_path: Path
) -> None:
    """The cleanup Delete carries the replaced image's own properties: A is this resource's share on the old
    image though the new template names only B, and not sharing at all any more still lets it unshare."""
    g1 = ok(world.deploy(golden(tmp_path, world, [A])))
    g2 = ok(world.deploy(golden(tmp_path, world, [], generation=2)))
    assert g1 not in world.images()
    assert shared_with(world, g2) == []
    g3 = ok(world.deploy(golden(tmp_path, world, [B], generation=3)))
    assert set(world.images()) == {g3}
    assert shared_with(world, g3) == [B]
