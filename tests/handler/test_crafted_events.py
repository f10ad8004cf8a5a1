"""Events the provider did not expect, crafted or refused: none of them makes it write to what its stack never
made, and a refused answer is never turned into a delete.

Whoever may invoke the function, or names it as a ServiceToken in another stack, can send it a custom resource
request or a watch tick; a presigned URL can refuse a PUT. Each test here failed on the handler before the
checks it pins existed. The Stubber fails a test on any call it was not told to expect, so a write that should
not happen cannot pass unnoticed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

import pytest
from support import STACK_ID
from support.handler import (
    BUNDLE,
    BUNDLE_IMAGE_TYPE,
    HANDLE_URL,
    IMAGE_TYPE,
    NEW,
    RESPONSE_URL,
    T0,
    WATCH_RULE,
    WATCH_TABLE,
    World,
    available_signal,
    bundle,
    bundle_event,
    bundle_image_event,
    bundle_image_props,
    bundle_props,
    event,
    handle_url,
    image,
    owner_tag,
    props,
)

from cdk_workspaces_image_handler import contract, index
from cdk_workspaces_image_handler.errors import NotDeliveredError
from cdk_workspaces_image_handler.watch import Watch

FOREIGN_IMAGE = "wsi-foreign0001"
FOREIGN_BUNDLE = "wsb-foreign001"
OTHER_STACK = "arn:aws:cloudformation:eu-west-1:111122223333:stack/Other/0a0a0a0a-0000-4000-8000-000000000000"


def crafted_watch(**over: Any) -> dict[str, Any]:
    """A watch tick as the handler's first design read it, naming someone else's image in ERROR, a URL to
    answer and an undo: anyone allowed to create an EventBridge rule, or to invoke the function, can send it."""
    return {contract.WATCH_KEY: {**asdict(provider_wait(FOREIGN_IMAGE)), **over}}


def provider_wait(resource_id: str, **over: Any) -> Watch:
    """A wait as the provider itself keeps it in the stack's table, with an undo should it fail."""
    fields: dict[str, Any] = {
        "resource_type": IMAGE_TYPE,
        "resource_id": resource_id,
        "deadline": T0 + 3600,
        "mode": "respond",
        "url": RESPONSE_URL,
        "stack_id": STACK_ID,
        "logical_id": "GoldenResource",
        "request_id": "Update-request",
        "undo_on_failure": True,
    }
    return Watch(**{**fields, **over})


@pytest.mark.parametrize(
    "crafted",
    [
        crafted_watch(),
        crafted_watch(
            resource_type=BUNDLE_IMAGE_TYPE,
            resource_id=FOREIGN_BUNDLE,
            logical_id="ApplyResource",
            physical_id=f"{FOREIGN_BUNDLE}:wsi-previous001",
        ),
        crafted_watch(stack_id=OTHER_STACK),
        {contract.WATCH_KEY: "tick", "ResponseURL": "https://attacker.example/"},
    ],
    ids=["foreign-image", "foreign-bundle", "other-stack", "tick-with-url"],
)
def test_a_crafted_watch_event_is_at_worst_a_look(world: World, crafted: dict[str, Any]) -> None:
    # Nothing is pending in the stack's table, so the tick disables the rule and calls WorkSpaces not at all:
    # the Stubber fails the test on any Describe, DeleteWorkspaceImage or UpdateWorkspaceBundle.
    world.ev.add_response("disable_rule", {}, {"Name": WATCH_RULE})
    world.run(crafted)
    assert world.sent == [], "no URL named by an event is ever answered"


def test_a_crafted_watch_event_looks_only_at_what_the_stack_waits_for(world: World) -> None:
    world.table.handle("PutItem", {"TableName": WATCH_TABLE, "Item": provider_wait(NEW).to_item()})
    world.describe(NEW, image(NEW, state="PENDING"))  # the stack's own wait; never FOREIGN_IMAGE
    world.run(crafted_watch())
    assert world.sent == []
    assert [w["resource_id"] for w in world.waits()] == [NEW]


@pytest.mark.parametrize("recorded", [False, True], ids=["not-in-the-record", "recorded-but-untagged"])
def test_a_failed_wait_never_deletes_an_image_this_resource_did_not_make(world: World, recorded: bool) -> None:
    """Even a wait the provider wrote is checked again before its undo: the record is the authority, not the
    wait (which may be older than what happened since), and the ownership tag a second guard (someone may have
    changed the image's tags)."""
    world.table.handle("PutItem", {"TableName": WATCH_TABLE, "Item": provider_wait(FOREIGN_IMAGE).to_item()})
    world.describe(FOREIGN_IMAGE, image(FOREIGN_IMAGE, state="ERROR"))
    if recorded:
        world.record(FOREIGN_IMAGE, tag=owner_tag(props(), request_type="Update"))
        world.tags(FOREIGN_IMAGE, {"team": "someone else"})  # the tag is read only when the record holds the image
    world.watch_stopped()
    world.tick()  # no DeleteWorkspaceImage expected: the Stubber fails on one
    reason = world.response()["Reason"]
    if recorded:
        assert f"image {FOREIGN_IMAGE} does not carry this resource's ownership tag; left alone" in reason
    else:
        assert f"image {FOREIGN_IMAGE} is not in the provider's record of what this resource made; left alone" in reason


def test_a_failed_wait_never_deletes_an_image_another_resource_of_the_stack_made(world: World) -> None:
    world.table.handle("PutItem", {"TableName": WATCH_TABLE, "Item": provider_wait(FOREIGN_IMAGE).to_item()})
    world.record(FOREIGN_IMAGE, tag=owner_tag(props(), request_type="Update"))
    world.describe(FOREIGN_IMAGE, image(FOREIGN_IMAGE, state="ERROR"))
    world.tags(FOREIGN_IMAGE, {contract.OWNER_TAG_KEY: owner_tag(props(), logical_id="OtherResource")})
    world.watch_stopped()
    world.tick()
    assert f"image {FOREIGN_IMAGE} was made by another resource; left alone" in world.response()["Reason"]


@pytest.mark.parametrize("recorded", [False, True], ids=["not-in-the-record", "recorded-but-unmarked"])
def test_a_failed_wait_never_re_points_a_bundle_this_resource_did_not_mark(world: World, recorded: bool) -> None:
    wait = provider_wait(
        FOREIGN_BUNDLE,
        resource_type=BUNDLE_IMAGE_TYPE,
        logical_id="ApplyResource",
        physical_id=f"{FOREIGN_BUNDLE}:wsi-previous001",
    )
    world.table.handle("PutItem", {"TableName": WATCH_TABLE, "Item": wait.to_item()})
    world.describe_bundle(FOREIGN_BUNDLE, bundle(FOREIGN_BUNDLE, state="ERROR"))
    if recorded:
        world.record_applied(FOREIGN_BUNDLE, "wsi-previous001", request_type="Update")
        world.tags(FOREIGN_BUNDLE, {"team": "someone else"})  # the marker is read only when the record holds it
    world.watch_stopped()
    world.tick()  # no UpdateWorkspaceBundle expected
    assert (
        f"bundle {FOREIGN_BUNDLE} is not in the provider's record of what this resource re-pointed, so it was left "
        "alone" in world.response()["Reason"]
    )


def test_a_request_naming_another_stack_touches_nothing(world: World) -> None:
    # Were its StackId believed, this request would delete the other stack's image: its tag's key is the
    # digest of that StackId and logical id, which anyone can compute.
    crafted = event("Delete", props(), physical_id=FOREIGN_IMAGE) | {"StackId": OTHER_STACK}
    world.run(crafted, genuine=False)  # no CloudFormation call, no DescribeTags, no DeleteWorkspaceImage expected
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", FOREIGN_IMAGE)
    assert answer["Reason"].startswith("this provider serves the resources of the stack that made it only")
    assert STACK_ID not in answer["Reason"], "the reason goes to whoever sent the request"
    assert OTHER_STACK not in answer["Reason"]


def test_an_update_never_re_points_a_bundle_this_resource_did_not_make(world: World) -> None:
    old, new = bundle_props(), bundle_props(ImageId="wsi-updated0002")
    world.tags(FOREIGN_BUNDLE, {"team": "someone else"})  # read once: did an earlier version make it? No.
    world.run(bundle_event("Update", new, physical_id=FOREIGN_BUNDLE, old=old))  # no UpdateWorkspaceBundle
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", FOREIGN_BUNDLE)
    assert answer["Reason"].startswith(
        f"bundle {FOREIGN_BUNDLE} is not in the provider's record of what this resource made (or does not carry its "
        "ownership tag)"
    )


@pytest.mark.parametrize("recorded", [False, True], ids=["not-in-the-record", "recorded-but-unmarked"])
def test_an_apply_update_never_re_points_a_bundle_without_this_resources_marker(world: World, recorded: bool) -> None:
    record = f"{BUNDLE}:wsi-previous001"
    if recorded:
        world.record_applied(BUNDLE, "wsi-previous001")
    world.tags(BUNDLE, {"team": "euc"})  # adopted by its marker? none. Or, recorded: does it carry it? no.
    world.run(
        bundle_image_event(
            "Update", bundle_image_props(image_id="wsi-updated0002"), physical_id=record, old=bundle_image_props()
        )
    )  # no UpdateWorkspaceBundle expected
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", record)
    assert answer["Reason"].startswith(
        f"bundle {BUNDLE} is not in the provider's record of what this resource re-pointed (or does not carry its "
        f"marker {contract.APPLIED_TAG_KEY!r})"
    )


NEXT_MONTH = handle_url("next-month")


def replaced_then_rolled_back(world: World, previous: dict[str, Any], next_month: dict[str, Any]) -> dict[str, Any]:
    """The Create made NEW for `previous`; an Update to `next_month` made wsi-updated0002 (still PENDING, its wait
    running). Returns the rollback Update CloudFormation then sends, and expects it to be confirmed."""
    world.created(previous)
    world.fresh_create(next_month, new_id="wsi-updated0002", request_type="Update")
    world.watch_started()
    world.run(event("Update", next_month, physical_id=NEW, old=previous))
    assert world.response()["PhysicalResourceId"] == "wsi-updated0002"
    rollback = event("Update", previous, physical_id="wsi-updated0002", old=next_month)
    rollback["RequestId"] = "Rollback-request"
    world.confirms(rollback, stack_status="UPDATE_ROLLBACK_IN_PROGRESS")
    return rollback


def test_a_rollback_whose_re_signal_is_refused_keeps_the_image_it_returns_to(world: World) -> None:
    """A replacement succeeded, a later resource failed, and CloudFormation rolls the image back: the Update
    adopts the previous image and signals its old wait condition again. S3 refuses that PUT once."""
    previous = props()  # the image the stack returns to: NEW, made for these properties, handle HANDLE_URL
    next_month = props(SourceImageId="wsi-source0002", WaitHandle=NEXT_MONTH)
    rollback = replaced_then_rolled_back(world, previous, next_month)
    world.describe(NEW, image(NEW, state="AVAILABLE"))  # the record holds it for these properties: it still exists
    world.describe(NEW, image(NEW, state="AVAILABLE"))
    world.watch_started()  # the watch signals again, instead of anything being undone

    refused: list[str] = []

    def refuse_the_handle_once(url: str, body: Mapping[str, Any]) -> None:
        if url == HANDLE_URL and not refused:
            refused.append(url)
            raise NotDeliveredError("CloudFormation's presigned URL answered HTTP 500")
        world.sent.append((url, json.loads(json.dumps(body))))

    assert index.deps is not None
    index.deps.send = refuse_the_handle_once
    world.run(rollback, genuine=False)  # no delete expected
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("SUCCESS", NEW)
    assert refused == [HANDLE_URL]

    world.describe(NEW, image(NEW, state="AVAILABLE"))
    world.watch_stopped()
    world.tick()
    assert world.signal() == available_signal(NEW)


def test_a_watch_rule_that_cannot_be_enabled_fails_the_request(world: World) -> None:
    p = props()
    world.fresh_create(p)
    world.ev.add_client_error("enable_rule", "ResourceNotFoundException", "Rule does not exist.", 400)
    world.run(event("Create", p))
    answer = world.response()
    # The image was made: the FAILED answer names it, so the rollback Delete removes it.
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", NEW)
    assert answer["Reason"].startswith(f"EnableRule on the watch rule {WATCH_RULE} failed, so nothing would look")
    assert answer["Reason"].endswith("(ResourceNotFoundException: Rule does not exist.)")


def test_a_rollback_update_stops_the_watch_of_the_image_it_abandons(world: World) -> None:
    """Next month's image is still PENDING, with its watch running, when the stack rolls back: the Update back
    to the previous properties removes that watch, which would otherwise tick until the abandoned image's
    deadline, hours later, and then signal a wait condition that no longer exists."""
    previous = props()
    next_month = props(SourceImageId="wsi-source0002", WaitHandle=NEXT_MONTH)
    rollback = replaced_then_rolled_back(world, previous, next_month)
    before = world.news()
    world.watch_stopped()  # the abandoned image's watch goes, and none is left
    world.describe(NEW, image(NEW, state="AVAILABLE"))
    world.describe(NEW, image(NEW, state="AVAILABLE"))
    world.run(rollback, genuine=False)
    assert (world.response()["Status"], world.signal()) == ("SUCCESS", available_signal(NEW))
    assert world.news() == before, "the image a rollback returns to is no news: nothing became AVAILABLE"


def test_a_rollback_update_that_fails_never_deletes_the_image_an_earlier_request_made(world: World) -> None:
    """The rollback Update adopts the image the Create made (its tag names another request) and then fails on
    a passing WorkSpaces error: the failure must not undo the image the stack is returning to."""
    previous = props()
    next_month = props(SourceImageId="wsi-source0002", WaitHandle=NEXT_MONTH)
    rollback = replaced_then_rolled_back(world, previous, next_month)
    world.watch_stopped()
    world.describe(NEW, image(NEW, state="AVAILABLE"))  # adopted: the record holds it for these properties
    world.ws.add_client_error("describe_workspace_images", "InternalServerError", "try again", 500)
    world.run(rollback, genuine=False)  # no delete expected
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", "wsi-updated0002")
    # The reason is WorkSpaces' error, not the Stubber's refusal of an unexpected call (DescribeTags, delete).
    assert answer["Reason"] == (f"DescribeWorkspaceImages failed for image {NEW} (InternalServerError: try again)")


def test_a_retried_replacement_that_fails_deletes_what_an_earlier_delivery_of_it_made(world: World) -> None:
    """Lambda's retry of the same Update adopts the image its first delivery made (the record holds it for this very
    request): that one is this request's own, so a failure undoes it, and no image is orphaned."""
    previous = props()
    new = props(SourceImageId="wsi-source0002", WaitHandle=NEXT_MONTH)
    made = {"wsi-updated0002": {contract.OWNER_TAG_KEY: owner_tag(new, request_type="Update")}}
    world.created(previous)
    world.claim(new, request_type="Update", resource_id="wsi-updated0002", claimed_until=T0 - 1)
    world.watch_stopped()
    world.ws.add_client_error("describe_workspace_images", "InternalServerError", "try again", 500)
    world.watch_stopped()  # the discard stops any watch of the resource again
    world.tags("wsi-updated0002", made["wsi-updated0002"])
    world.ws.add_response("delete_workspace_image", {}, {"ImageId": "wsi-updated0002"})
    world.run(event("Update", new, physical_id=NEW, old=previous))
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", NEW)
    assert world.recorded_ids() == {NEW}
