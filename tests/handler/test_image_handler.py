"""The handler's behaviour, event by event, with every AWS request checked by botocore's Stubber."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

import pytest
from support.handler import (
    HANDLE_URL,
    NEW,
    RESPONSE_URL,
    SOURCE,
    T0,
    Context,
    World,
    available_signal,
    event,
    handle_url,
    image,
    owner_tag,
    props,
)

from cdk_workspaces_image_handler import contract, rules
from cdk_workspaces_image_handler.errors import InFlightError

# ---------------------------------------------------------------- 1. pre-flight


def test_source_not_found_fails_naming_the_image(world: World) -> None:
    world.describe(SOURCE, None)
    world.run(event("Create", props()))
    answer = world.response()
    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith(f"source image {SOURCE} was not found")
    assert answer["PhysicalResourceId"] == "not-created:GoldenResource"


def test_no_update_available_fails_by_default(world: World) -> None:
    world.describe(SOURCE, image(SOURCE, update=False))
    world.run(event("Create", props()))
    answer = world.response()
    assert answer["Status"] == "FAILED"
    assert f"source image {SOURCE} has no update available" in answer["Reason"]
    assert "no_update_behavior=USE_SOURCE" in answer["Reason"]


def test_use_source_answers_the_source_and_never_touches_it(world: World) -> None:
    p = props(NoUpdateBehavior="USE_SOURCE")
    world.describe(SOURCE, image(SOURCE, update=False))
    world.describe(SOURCE, image(SOURCE, update=False))
    world.run(event("Create", p))
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"], answer["Data"]) == ("SUCCESS", SOURCE, {"ImageId": SOURCE})
    assert world.signal()["Data"] == SOURCE  # already AVAILABLE: the wait condition is told at once

    # A tags change: the record holds no image for this resource, so nothing is written. The source is never taken
    # for something an earlier version of the provider made: its tags are not even read (no DescribeTags).
    world.run(event("Update", props(NoUpdateBehavior="USE_SOURCE", Tags=[]), physical_id=SOURCE, old=p))
    assert world.response()["PhysicalResourceId"] == SOURCE

    # DESTROY: the Delete removes the watch, finds the source in no record, and deletes nothing.
    world.watch_stopped()
    world.run(event("Delete", p, physical_id=SOURCE))
    assert world.response()["Status"] == "SUCCESS"
    assert world.recorded() == [], "the source is never the provider's"


# ---------------------------------------------------------------- 2. create and wait


def test_create_calls_the_api_once_then_waits_and_signals(world: World) -> None:
    p = props()
    world.fresh_create(p)
    world.watch_started()
    world.run(event("Create", p))
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"], answer["Data"]) == ("SUCCESS", NEW, {"ImageId": NEW})
    assert not world.sent, "the wait condition must not be signalled while the image is PENDING"

    world.clock.advance(60)
    world.describe(NEW, image(NEW, state="PENDING"))
    world.tick()
    assert not world.sent

    world.clock.advance(60)
    world.describe(NEW, image(NEW, state="AVAILABLE"))
    world.watch_stopped()
    world.tick()
    assert world.signal() == available_signal(NEW)


def test_image_in_error_fails_with_the_service_words_first(world: World) -> None:
    p = props()
    world.fresh_create(p)
    world.watch_started()
    world.run(event("Create", p))
    world.response()

    world.describe(
        NEW,
        image(
            NEW,
            state="ERROR",
            ErrorCode="UpdateFailed",
            ErrorMessage="Agent update failed",
            ErrorDetails=[{"ErrorCode": "InsufficientDiskSpace", "ErrorMessage": "C: is full"}],
        ),
    )
    world.watch_stopped()
    world.tick()
    signal = world.signal()
    assert signal["Status"] == "FAILURE"
    assert signal["Reason"] == (
        f"image {NEW} went to ERROR - UpdateFailed: Agent update failed (details: InsufficientDiskSpace: C: is full)"
    )


# ---------------------------------------------------------------- 3. long waits


def test_a_wait_of_hours_ends_in_a_timeout_naming_image_and_state(world: World) -> None:
    p = props(TimeoutSeconds=str(4 * 3600))
    world.fresh_create(p)
    world.watch_started()
    world.run(event("Create", p))
    world.response()

    # Poll every virtual minute for the handler's share of the wait: nothing is signalled before.
    waited = 0
    while waited + 60 < rules.handler_wait_seconds(4 * 3600):
        world.clock.advance(60)
        waited += 60
        world.describe(NEW, image(NEW, state="PENDING"))
        world.tick()
        assert not world.sent
    world.clock.advance(60)
    world.describe(NEW, image(NEW, state="PENDING"))
    world.watch_stopped()
    world.tick()
    signal = world.signal()
    assert signal["Status"] == "FAILURE"
    assert signal["Reason"].startswith(f"timed out: image {NEW} is still PENDING")
    assert world.clock.now - T0 < rules.wait_condition_timeout(4 * 3600), "must speak before the wait condition"


def test_a_watch_that_cannot_deliver_keeps_trying_then_gives_up_and_cleans_up(world: World) -> None:
    p = props()
    world.fresh_create(p)
    world.watch_started()
    world.run(event("Create", p))
    world.response()

    def refuse(url: str, body: Mapping[str, Any]) -> None:
        raise RuntimeError("HTTP 403")

    from cdk_workspaces_image_handler import index

    assert index.deps is not None
    index.deps.send = refuse
    world.describe(NEW, image(NEW, state="AVAILABLE"))
    world.tick()
    assert [w["resource_id"] for w in world.waits()] == [NEW], "the wait stays: the next tick tries again"

    world.clock.advance(rules.handler_wait_seconds(10800) + 2 * 3600)
    world.describe(NEW, image(NEW, state="AVAILABLE"))
    world.watch_stopped()
    world.tick()  # long past the deadline nobody listens any more: remove the rule rather than fire forever


# ---------------------------------------------------------------- 4. idempotent


def test_a_repeated_create_adopts_the_image_it_started_by_record(world: World) -> None:
    p = props()
    world.fresh_create(p)
    world.watch_started()
    world.run(event("Create", p))
    assert world.response()["PhysicalResourceId"] == NEW

    # Lambda delivers the same Create again: the record names what this request made; nothing is listed.
    world.describe(NEW, image(NEW, state="PENDING"))
    world.watch_started()
    world.run(event("Create", p))  # no CreateUpdatedWorkspaceImage: the Stubber would reject it
    assert world.response()["PhysicalResourceId"] == NEW
    assert world.recorded_ids() == {NEW}


def test_a_name_taken_by_an_image_of_someone_else_fails_clearly(world: World) -> None:
    p = props()
    world.describe(SOURCE, image(SOURCE, update=True))
    world.ws.add_client_error("create_updated_workspace_image", "ResourceAlreadyExistsException", "exists")
    # Did this very request make it, in a call whose answer was lost? Not with this request's tag.
    world.owned([image("wsi-other00001")], {"wsi-other00001": {contract.OWNER_TAG_KEY: owner_tag(p)}})
    world.listed([image("wsi-other00001")])
    world.run(event("Create", p))
    answer = world.response()
    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith("an image named 'golden-2026-11' already exists and was not created by this")
    assert world.recorded() == [], "a refused create leaves no claim behind"


def test_a_replacement_that_keeps_the_name_says_to_rename(world: World) -> None:
    old = props()
    new = props(SourceImageId="wsi-source0002", WaitHandle=handle_url("new"))
    world.created(old)
    world.watch_stopped()  # the Update supersedes whatever this resource was waiting for
    held = {NEW: {contract.OWNER_TAG_KEY: owner_tag(old, request_type="Create")}}
    world.describe("wsi-source0002", image("wsi-source0002", update=True))
    world.ws.add_client_error("create_updated_workspace_image", "ResourceAlreadyExistsException", "exists")
    world.owned([image(NEW)], held)  # not this request's tag: nothing this request made
    world.listed([image(NEW)])  # the record holds it for this resource: the image being replaced
    world.run(event("Update", new, physical_id=NEW, old=old))
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", NEW)
    assert answer["Reason"].startswith(f"image_name 'golden-2026-11' is still used by {NEW}, the image this resource")


def test_a_delivery_racing_the_one_that_holds_the_claim_makes_nothing_and_is_delivered_again(world: World) -> None:
    """Two deliveries of one Create never both create: the second finds the first's claim live and without an image
    id, answers nothing, and fails its invocation so that Lambda delivers it again; then it adopts what the first
    made, by the record."""
    p = props()
    world.claim(p, claimed_until=world.clock.now + 300)
    with pytest.raises(InFlightError):
        world.run(event("Create", p))  # no DescribeWorkspaceImages, no CreateUpdatedWorkspaceImage
    assert world.sent == []

    world.claim(p, claimed_until=world.clock.now + 300, resource_id=NEW)  # the first delivery's create answered
    world.describe(NEW, image(NEW, state="PENDING"))
    world.watch_started()
    world.run(event("Create", p))
    assert world.response()["PhysicalResourceId"] == NEW


# ---------------------------------------------------------------- 5. update


def test_a_new_source_replaces_the_image_and_signals_the_new_handle(world: World) -> None:
    old = props(WaitHandle=handle_url("old-handle"))
    new = props(SourceImageId="wsi-source0002", WaitHandle=HANDLE_URL)
    world.created(old)
    world.watch_stopped()  # the Update supersedes whatever this resource was waiting for
    world.fresh_create(new, new_id="wsi-updated0002", request_type="Update")
    world.watch_started()
    world.run(event("Update", new, physical_id=NEW, old=old))
    answer = world.response()
    assert answer["PhysicalResourceId"] == "wsi-updated0002"  # a new id: CloudFormation deletes the old one
    assert world.recorded_ids() == {NEW, "wsi-updated0002"}

    world.describe("wsi-updated0002", image("wsi-updated0002", state="AVAILABLE"))
    world.watch_stopped()
    world.tick()
    assert world.signal(HANDLE_URL) == available_signal("wsi-updated0002")


def test_a_tags_only_change_is_applied_in_place(world: World) -> None:
    old = props(Tags=[{"Key": "team", "Value": "euc"}, {"Key": "cost", "Value": "1"}])
    new = props(Tags=[{"Key": "team", "Value": "vdi"}])
    world.created(old)
    world.tags(NEW, {contract.OWNER_TAG_KEY: owner_tag(old), "team": "euc", "cost": "1"})
    world.ws.add_response("create_tags", {}, {"ResourceId": NEW, "Tags": [{"Key": "team", "Value": "vdi"}]})
    world.ws.add_response("delete_tags", {}, {"ResourceId": NEW, "TagKeys": ["cost"]})
    world.run(event("Update", new, physical_id=NEW, old=old))
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("SUCCESS", NEW)


def start_replacement_through_a_token(world: World) -> None:
    """An Update to a new source with the same WaitHandle: no new wait condition, so the resource must wait."""
    old = props()
    new = props(SourceImageId="wsi-source0002")
    world.created(old)
    world.watch_stopped()  # the Update supersedes whatever this resource was waiting for
    world.fresh_create(new, new_id="wsi-updated0002", request_type="Update")
    world.watch_started()
    world.run(event("Update", new, physical_id=NEW, old=old))


def test_a_replacement_through_a_token_defers_the_answer_to_the_watch(world: World) -> None:
    start_replacement_through_a_token(world)
    assert world.sent == [], "no answer until the image is AVAILABLE"

    world.clock.advance(20 * 60)
    world.describe("wsi-updated0002", image("wsi-updated0002", state="AVAILABLE"))
    world.watch_stopped()
    world.tick()
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"], answer["RequestId"]) == (
        "SUCCESS",
        "wsi-updated0002",
        "Update-request",
    )


def test_a_deferred_replacement_that_fails_deletes_the_new_image(world: World) -> None:
    start_replacement_through_a_token(world)

    world.describe("wsi-updated0002", image("wsi-updated0002", state="ERROR", ErrorCode="UpdateFailed"))
    new = props(SourceImageId="wsi-source0002")
    world.tags("wsi-updated0002", {contract.OWNER_TAG_KEY: owner_tag(new)})
    world.ws.add_response("delete_workspace_image", {}, {"ImageId": "wsi-updated0002"})
    world.watch_stopped()
    world.tick()
    answer = world.response()
    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith("image wsi-updated0002 went to ERROR - UpdateFailed")
    assert answer["Reason"].endswith("the new image wsi-updated0002 was deleted")


# ---------------------------------------------------------------- 6. delete


def test_the_cleanup_delete_of_a_replaced_image_leaves_the_wait_of_its_replacement(world: World) -> None:
    """The cleanup Delete of the image a replacement (or a rollback) left behind has the same logical id as the
    resource's current image, whose wait (a signal S3 refused, say) must go on."""
    old = props(SourceImageId="wsi-source0000", WaitHandle=handle_url("last-month"))
    world.created(old, new_id="wsi-replaced001")
    world.fresh_create(props(), request_type="Update")
    world.watch_started()
    world.run(event("Update", props(), physical_id="wsi-replaced001", old=old))
    assert world.response()["PhysicalResourceId"] == NEW

    cleanup = event("Delete", old, physical_id="wsi-replaced001")
    world.confirms(
        cleanup, stack_status="UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", resource_status="UPDATE_COMPLETE", physical_id=NEW
    )
    world.tags("wsi-replaced001", {contract.OWNER_TAG_KEY: owner_tag(old, request_type="Create")})
    world.ws.add_response("delete_workspace_image", {}, {"ImageId": "wsi-replaced001"})
    world.run(cleanup, genuine=False)
    assert world.response()["Status"] == "SUCCESS"
    assert [w["resource_id"] for w in world.waits()] == [NEW]
    assert world.recorded_ids() == {NEW}


def test_destroy_deletes_the_image_this_resource_created(world: World) -> None:
    world.created(props())
    world.watch_stopped()
    world.tags(NEW, {contract.OWNER_TAG_KEY: owner_tag(props())})
    world.ws.add_response("delete_workspace_image", {}, {"ImageId": NEW})
    world.run(event("Delete", props(), physical_id=NEW))
    assert world.response()["Status"] == "SUCCESS"
    assert world.recorded() == [], "the deleted image leaves the record with it"


def refused_while_pending(world: World, image_id: str = NEW) -> None:
    """DeleteWorkspaceImage refuses the image because it is PENDING (the emulator's default: undocumented)."""
    world.created(props(), new_id=image_id)
    world.tags(image_id, {contract.OWNER_TAG_KEY: owner_tag(props())})
    world.ws.add_client_error(
        "delete_workspace_image", "InvalidResourceStateException", f"Image {image_id} is in state PENDING.", 400
    )
    world.ws.add_response("describe_workspace_image_permissions", {"ImagePermissions": []}, {"ImageId": image_id})
    world.describe(image_id, image(image_id, state="PENDING"))
    world.watch_started()


def test_a_delete_of_a_pending_image_waits_for_it_then_deletes_it(world: World) -> None:
    refused_while_pending(world)
    world.run(event("Delete", props(), physical_id=NEW))
    assert world.sent == [], "the answer waits until the image can be deleted"
    assert [(w["mode"], w["resource_id"]) for w in world.waits()] == [("delete", NEW)]

    world.clock.advance(600)
    world.describe(NEW, image(NEW, state="PENDING"))
    world.tick()
    assert world.sent == []

    world.clock.advance(600)
    world.describe(NEW, image(NEW, state="AVAILABLE"))
    world.tags(NEW, {contract.OWNER_TAG_KEY: owner_tag(props())})  # checked again: the tick trusts no table
    world.ws.add_response("delete_workspace_image", {}, {"ImageId": NEW})
    world.watch_stopped()
    world.tick()
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"], answer["RequestId"]) == ("SUCCESS", NEW, "Delete-request")


def test_a_pending_image_the_delete_cannot_wait_out_fails_saying_what_to_do(world: World) -> None:
    refused_while_pending(world)
    world.run(event("Delete", props(), physical_id=NEW))
    world.clock.advance(contract.SERVICE_TIMEOUT_SECONDS - 300)
    world.describe(NEW, image(NEW, state="PENDING"))
    world.watch_stopped()
    world.tick()
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", NEW)
    assert answer["Reason"].startswith(f"image {NEW} is still PENDING and WorkSpaces would not delete it")
    assert f"once it is AVAILABLE or ERROR, delete image {NEW} yourself, then delete the stack" in answer["Reason"]


def test_a_delete_refused_for_another_reason_fails_at_once(world: World) -> None:
    world.created(props())
    world.watch_stopped()
    world.tags(NEW, {contract.OWNER_TAG_KEY: owner_tag(props())})
    world.ws.add_client_error("delete_workspace_image", "InvalidResourceStateException", "Image is shared.", 400)
    world.ws.add_response("describe_workspace_image_permissions", {"ImagePermissions": []}, {"ImageId": NEW})
    world.describe(NEW, image(NEW, state="AVAILABLE"))
    world.run(event("Delete", props(), physical_id=NEW))
    assert world.response()["Status"] == "FAILED"
    assert not world.waits()


@pytest.mark.parametrize("physical_id", ["not-created:GoldenResource", "Golden_GoldenResource_AB12CD34", "x"])
def test_a_delete_after_a_failed_create_touches_nothing(world: World, physical_id: str) -> None:
    # It looks in the record for an image this request's properties made before it could say so; an image another
    # resource made, or that this resource made for other properties (and the stack retained), is left alone.
    world.claim(props(), logical_id="Other", resource_id=NEW, claimed_until=T0 - 1)
    world.claim(props(Description="Older"), resource_id="wsi-retained001", claimed_until=T0 - 1)
    before = world.recorded()
    world.watch_stopped()
    world.run(event("Delete", props(), physical_id=physical_id))  # no call to WorkSpaces at all
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("SUCCESS", physical_id)
    assert (world.recorded(), world.recorded_ids("Other")) == (before, {NEW})


@pytest.mark.parametrize("answered", [True, False], ids=["create-answered", "create-unanswered"])
def test_a_delete_after_a_create_that_timed_out_deletes_what_it_made(world: World, answered: bool) -> None:
    """Lambda timed the Create out after CreateUpdatedWorkspaceImage: its FAILED answer named no image. The record
    holds the image when the create call answered; when it did not, the claim's tag finds it (this request's own)."""
    world.claim(props(), claimed_until=T0 - 1, resource_id=NEW if answered else "")
    world.watch_stopped()
    if not answered:
        world.owned(
            [image(NEW, state="PENDING")], {NEW: {contract.OWNER_TAG_KEY: owner_tag(props(), request_type="Create")}}
        )
    world.tags(NEW, {contract.OWNER_TAG_KEY: owner_tag(props(), request_type="Create")})
    world.ws.add_response("delete_workspace_image", {}, {"ImageId": NEW})
    world.run(event("Delete", props(), physical_id="not-created:GoldenResource"))
    assert world.response()["Status"] == "SUCCESS"
    assert world.recorded() == []


def test_delete_never_deletes_an_image_of_another_resource(world: World) -> None:
    world.watch_stopped()
    world.tags(NEW, {contract.OWNER_TAG_KEY: owner_tag(props(), logical_id="SomeoneElse")})
    world.run(event("Delete", props(), physical_id=NEW))
    assert world.response()["Status"] == "SUCCESS"


def test_a_delete_blocked_by_bundles_names_them(world: World) -> None:
    world.created(props())
    world.watch_stopped()
    world.tags(NEW, {contract.OWNER_TAG_KEY: owner_tag(props())})
    world.ws.add_client_error("delete_workspace_image", "ResourceAssociatedException", "in use")
    world.ws.add_response(
        "describe_workspace_bundles",
        {
            "Bundles": [
                {"BundleId": "wsb-aaaa11111", "ImageId": NEW},
                {"BundleId": "wsb-bbbb22222", "ImageId": SOURCE},
                {"BundleId": "wsb-cccc33333", "ImageId": NEW},
            ]
        },
        {},
    )
    world.run(event("Delete", props(), physical_id=NEW))
    answer = world.response()
    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith(f"image {NEW} cannot be deleted: bundles wsb-aaaa11111, wsb-cccc33333 still")


def test_a_delete_blocked_by_sharing_names_the_accounts(world: World) -> None:
    world.created(props())
    world.watch_stopped()
    world.tags(NEW, {contract.OWNER_TAG_KEY: owner_tag(props())})
    world.ws.add_client_error("delete_workspace_image", "InvalidResourceStateException", "shared")
    world.ws.add_response(
        "describe_workspace_image_permissions",
        {"ImageId": NEW, "ImagePermissions": [{"SharedAccountId": "444455556666"}]},
        {"ImageId": NEW},
    )
    world.run(event("Delete", props(), physical_id=NEW))
    assert world.response()["Reason"].startswith(f"image {NEW} cannot be deleted: it is shared with accounts 4444")


def test_a_delete_blocked_by_sharing_names_the_accounts_of_every_page(world: World) -> None:
    """DescribeWorkspaceImagePermissions pages its answer (MaxResults at most 25); only the first was read."""
    world.created(props())
    world.watch_stopped()
    world.tags(NEW, {contract.OWNER_TAG_KEY: owner_tag(props())})
    world.ws.add_client_error("delete_workspace_image", "InvalidResourceStateException", "shared")
    first = [{"SharedAccountId": f"4444555{i:05d}"} for i in range(25)]
    world.ws.add_response(
        "describe_workspace_image_permissions",
        {"ImageId": NEW, "ImagePermissions": first, "NextToken": "page-2"},
        {"ImageId": NEW},
    )
    world.ws.add_response(
        "describe_workspace_image_permissions",
        {"ImageId": NEW, "ImagePermissions": [{"SharedAccountId": "777788889999"}]},
        {"ImageId": NEW, "NextToken": "page-2"},
    )
    world.run(event("Delete", props(), physical_id=NEW))
    reason = world.response()["Reason"]
    assert reason.startswith(f"image {NEW} cannot be deleted: it is shared with accounts 444455500000, ")
    assert "444455500024, 777788889999; unshare it first" in reason


def test_a_delete_answered_with_a_code_its_action_does_not_list_checks_whether_the_image_is_gone(
    world: World,
) -> None:
    """DeleteWorkspaceImage lists no ResourceNotFoundException; DescribeWorkspaceImages says whether it is gone."""
    world.created(props())
    world.watch_stopped()
    world.tags(NEW, {contract.OWNER_TAG_KEY: owner_tag(props())})
    world.ws.add_client_error("delete_workspace_image", "ResourceNotFoundException", "no such image")
    world.describe(NEW, None)
    world.run(event("Delete", props(), physical_id=NEW))
    assert world.response()["Status"] == "SUCCESS"


def test_a_delete_answered_with_an_unlisted_code_for_an_image_still_there_fails(world: World) -> None:
    world.created(props())
    world.watch_stopped()
    world.tags(NEW, {contract.OWNER_TAG_KEY: owner_tag(props())})
    world.ws.add_client_error("delete_workspace_image", "ResourceNotFoundException", "odd")
    world.describe(NEW, image(NEW))
    world.run(event("Delete", props(), physical_id=NEW))
    answer = world.response()
    assert (answer["Status"], answer["Reason"]) == (
        "FAILED",
        f"DeleteWorkspaceImage failed for image {NEW} (ResourceNotFoundException: odd)",
    )


def test_a_describe_of_the_source_refused_is_reported_not_taken_for_a_missing_source(world: World) -> None:
    """DescribeWorkspaceImages lists AccessDeniedException alone: ResourceNotFoundException meant "not found"."""
    world.ws.add_client_error("describe_workspace_images", "ResourceNotFoundException", "refused", 400)
    world.run(event("Create", props()))
    answer = world.response()
    assert (answer["Status"], answer["Reason"]) == (
        "FAILED",
        f"DescribeWorkspaceImages failed for image {SOURCE} (ResourceNotFoundException: refused)",
    )


def test_a_describe_answer_of_several_pages_is_read_whole(world: World) -> None:
    world.ws.add_response("describe_workspace_images", {"Images": [], "NextToken": "more"}, {"ImageIds": [SOURCE]})
    world.ws.add_response(
        "describe_workspace_images",
        {"Images": [image(SOURCE, update=False)]},
        {"ImageIds": [SOURCE], "NextToken": "more"},
    )
    world.run(event("Create", props()))
    assert f"source image {SOURCE} has no update available" in world.response()["Reason"]


def test_a_tick_whose_describe_is_refused_judges_no_wait(world: World, caplog: pytest.LogCaptureFixture) -> None:
    """InvalidParameterValuesException is not in DescribeWorkspaceImages' error list, yet it meant "gone": the
    wait failed ("no longer exists") and its undo deleted the image still being made."""
    start_replacement_through_a_token(world)
    world.clock.advance(60)
    world.ws.add_client_error("describe_workspace_images", "InvalidParameterValuesException", "refused", 400)
    with caplog.at_level(logging.INFO):
        world.tick()
    assert world.sent == []
    assert [w["resource_id"] for w in world.waits()] == ["wsi-updated0002"]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == [
        "could not look at the 1 pending waits of Custom::UpdatedWorkspaceImage in the provider's Region"
    ]

    world.clock.advance(60)
    world.describe("wsi-updated0002", image("wsi-updated0002", state="AVAILABLE"))
    world.watch_stopped()
    world.tick()
    assert world.response()["Status"] == "SUCCESS"


# ---------------------------------------------------------------- 7. bad input and API errors


def test_tokens_are_validated_at_run_time_in_the_words_of_synth(world: World) -> None:
    bad = props(Name="golden 2026/11", SourceImageId="ami-123")
    world.run(event("Create", bad))
    answer = world.response()
    assert answer["Status"] == "FAILED"
    expected = rules.image_problems(source_image_id="ami-123", image_name="golden 2026/11")
    assert answer["Reason"] == "; ".join(expected)
    assert "source_image_id (SourceImageId) 'ami-123' must match the pattern" in answer["Reason"]


@pytest.mark.parametrize("request_type", ["Create", "Update"])
def test_a_misspelt_property_fails_naming_it_and_those_the_type_takes(world: World, request_type: str) -> None:
    """A hand-written template's Timeout (for TimeoutSeconds) was ignored: the image waited the default 3 hours."""
    misspelt = {k: v for k, v in props(Timeout="3600").items() if k != "TimeoutSeconds"}
    old = props() if request_type == "Update" else None
    if old:
        world.created(old)
    world.run(event(request_type, misspelt, physical_id=NEW if old else None, old=old))
    answer = world.response()
    assert answer["Status"] == "FAILED"
    assert answer["Reason"] == (
        "remove or rename the property 'Timeout', which Custom::UpdatedWorkspaceImage does not take; it takes "
        "SourceImageId, Name, Description, TimeoutSeconds, NoUpdateBehavior, WaitHandle, KeepPrevious, "
        "ShareWithAccounts, Tags, and CloudFormation's ServiceToken and ServiceTimeout"
    )


def test_every_rule_a_hand_written_template_breaks_is_named_at_once(world: World) -> None:
    bad = props(
        Name=None,
        Description={"Fn::Sub": "not resolved"},
        Tags=[{"Key": "team", "Value": {"Ref": "Team"}, "Propagate": "true"}],
        TimeoutSeconds="1e400",
        Timeout="3600",
    )
    world.run(event("Create", bad))
    answer = world.response()
    assert answer["Status"] == "FAILED"
    assert answer["Reason"].split("; ") == [
        "remove or rename the property 'Timeout', which Custom::UpdatedWorkspaceImage does not take",
        "it takes SourceImageId, Name, Description, TimeoutSeconds, NoUpdateBehavior, WaitHandle, KeepPrevious, "
        "ShareWithAccounts, Tags, and CloudFormation's ServiceToken and ServiceTimeout",
        "image_name (Name) is missing (None)",
        "it is required",
        "description (Description) {'Fn::Sub': 'not resolved'} must be a string",
        "tags (Tags) value of 'team' {'Ref': 'Team'} must be a string",
        "remove or rename the key 'Propagate' of a tag of tags (Tags) {'Key': 'team', 'Value': {'Ref': 'Team'}, "
        "'Propagate': 'true'}",
        "it takes Key, Value",
        # "1e400" is a float, an infinite one, and no int: the handler failed with Python's own words.
        "timeout (TimeoutSeconds) '1e400' must be a number of seconds",
    ]


def test_a_rollback_delete_after_a_refused_create_touches_nothing(world: World) -> None:
    """The Delete looks for what the Create may have made without judging the properties it refused."""
    world.run(event("Delete", props(Timeout="3600"), physical_id="not-created:GoldenResource"))
    assert world.response()["Status"] == "SUCCESS"


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("AccessDeniedException", "may not call workspaces:CreateUpdatedWorkspaceImage"),
        ("InvalidParameterValuesException", "rejected a parameter of CreateUpdatedWorkspaceImage"),
        ("InvalidResourceStateException", "is not in a state that allows CreateUpdatedWorkspaceImage"),
        ("OperationNotSupportedException", "only Windows 10, Windows Server 2016 and Windows Server 2019"),
        ("ResourceLimitExceededException", "image quota is used up"),
        ("ResourceNotFoundException", "was not found by CreateUpdatedWorkspaceImage"),
    ],
)
def test_every_listed_api_error_becomes_a_reason(world: World, code: str, words: str) -> None:
    world.describe(SOURCE, image(SOURCE, update=True))
    world.ws.add_client_error("create_updated_workspace_image", code, "service words")
    world.run(event("Create", props()))
    answer = world.response()
    assert answer["Status"] == "FAILED"
    assert words in answer["Reason"]
    assert answer["Reason"].endswith(f"({code}: service words)")
    assert world.recorded() == [], "a refused create leaves no claim behind"


def test_too_many_tags_is_said_as_such_not_as_the_image_quota(world: World) -> None:
    """CreateTags lists ResourceLimitExceededException too: there it is the 50 tags a resource holds."""
    old = props()
    new = props(Tags=[{"Key": "team", "Value": "euc"}, {"Key": "cost", "Value": "1"}])
    world.created(old)
    world.tags(NEW, {contract.OWNER_TAG_KEY: owner_tag(old), "team": "euc"})
    world.ws.add_client_error("create_tags", "ResourceLimitExceededException", "Tag limit exceeded.")
    world.run(event("Update", new, physical_id=NEW, old=old))
    answer = world.response()
    assert (answer["Status"], answer["Reason"]) == (
        "FAILED",
        f"image {NEW} would hold more than 50 tags, the most a WorkSpaces resource holds, so CreateTags failed; "
        "remove tags from it that were set outside this stack, or give it fewer "
        "(ResourceLimitExceededException: Tag limit exceeded.)",
    )


def test_throttling_is_retried_with_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real client the handler builds retries throttled calls; the backoff sleeps on a virtual clock."""
    import botocore.endpoint
    from botocore.awsrequest import AWSResponse

    from cdk_workspaces_image_handler import index
    from cdk_workspaces_image_handler.workspaces import WorkSpaces

    sleeps: list[float] = []
    monkeypatch.setattr(botocore.endpoint.time, "sleep", sleeps.append)  # type: ignore[attr-defined]
    answers: list[tuple[int, dict[str, Any]]] = [
        (400, {"__type": "ThrottlingException", "message": "Rate exceeded"})
    ] * 3 + [(200, {"Images": []})]
    seen: list[bytes] = []

    class Raw:
        def __init__(self, body: bytes) -> None:
            self.body = body

        def stream(self, **_: Any) -> Any:
            yield self.body

    def answer(request: Any, **_: Any) -> AWSResponse:
        seen.append(request.body)
        status, body = answers[len(seen) - 1]
        headers: Any = {"content-type": "application/x-amz-json-1.1"}
        return AWSResponse(request.url, status, headers, Raw(json.dumps(body).encode()))

    import boto3

    client = boto3.client("workspaces", config=index._config)
    client.meta.events.register("before-send.workspaces.DescribeWorkspaceImages", answer)  # type: ignore[arg-type]
    assert WorkSpaces(client).describe_image(SOURCE) is None
    assert len(seen) == 4
    assert len(sleeps) == 3
    assert json.loads(seen[0]) == {"ImageIds": [SOURCE]}


# ---------------------------------------------------------------- 8. crhelper pitfalls


def test_a_200_character_logical_id_with_the_most_tags_keeps_one_wait(world: World) -> None:
    # crhelper named a rule per resource after the logical id and failed past 56 characters (#61); the stack's
    # one rule is named after the stack id's GUID, and the wait is an item of the table keyed by the logical id.
    logical = "L" * 200
    p = props(Tags=[{"Key": f"k{i:02d}" + "x" * 124, "Value": "v" * 255} for i in range(rules.MAX_USER_TAGS)])
    world.fresh_create(p, logical_id=logical)
    world.watch_started()
    world.run(event("Create", p, logical_id=logical))
    assert world.response()["Status"] == "SUCCESS"
    assert [(w["logical_id"], w["resource_id"]) for w in world.waits()] == [(logical, NEW)]


def test_init_failure_answers_failed_with_a_usable_physical_id(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from cdk_workspaces_image_handler import index

    monkeypatch.setattr(index.protocol, "_init_failed", RuntimeError("WATCH_TABLE is not set"))
    world.run(event("Create", props()), genuine=False)  # crhelper answers before anything is asked
    answer = world.response()
    assert (answer["Status"], answer["Reason"]) == ("FAILED", "WATCH_TABLE is not set")
    assert answer["PhysicalResourceId"] == "not-created:GoldenResource"


def test_a_failure_after_the_image_exists_names_it_so_rollback_deletes_it(world: World) -> None:
    p = props()
    world.fresh_create(p)
    world.ev.add_client_error("enable_rule", "AccessDeniedException", "no events:EnableRule")
    world.run(event("Create", p))
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", NEW)


def test_a_response_url_that_refuses_makes_the_invocation_fail_for_a_retry(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cdk_workspaces_image_handler import index
    from cdk_workspaces_image_handler.cloudformation import put_json
    from cdk_workspaces_image_handler.errors import NotDeliveredError

    assert index.deps is not None
    index.deps.send = put_json
    # CloudFormation's presigned URL, its PUT sent (as to a local stand-in for S3) where nothing listens.
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9")
    world.watch_stopped()
    delete = event("Delete", props(), physical_id="not-created:GoldenResource")
    world.confirms(delete)
    with pytest.raises(NotDeliveredError):
        index.handler(delete, Context())


def test_reasons_keep_their_head_and_fit_4096_bytes() -> None:
    from cdk_workspaces_image_handler.cloudformation import response_body

    body = response_body(
        status="FAILED",
        reason="WHAT TO FIX " + "x" * 10_000,
        physical_id="p",
        stack_id="s",
        request_id="r",
        logical_id="l",
        data={},
    )
    assert len(json.dumps(body).encode()) <= 4096
    assert body["Reason"].startswith("WHAT TO FIX")


# ---------------------------------------------------------------- 9. secrets stay out of the logs


def test_the_response_url_and_handle_url_are_never_logged(world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    p = props()
    world.fresh_create(p)
    world.watch_started()
    world.run(event("Create", p))
    world.describe(NEW, image(NEW, state="AVAILABLE"))
    world.watch_stopped()
    world.tick()
    text = caplog.text
    assert "secret-response-signature" not in text
    assert "secret-handle-signature" not in text
    assert RESPONSE_URL not in text
    assert "answering SUCCESS" in text


class PutRecorder:
    """A local HTTP server recording each PUT as (path, Host, Content-Type, body), answering `statuses` in turn, then
    200."""

    def __init__(self, *statuses: int) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, HTTPServer

        self.statuses = list(statuses)
        self.received: list[tuple[str, str, str, bytes]] = []
        recorder = self

        class Answer(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                recorder.received.append(
                    (self.path, self.headers.get("Host", ""), self.headers.get("Content-Type", ""), body)
                )
                self.send_response(recorder.statuses.pop(0) if recorder.statuses else 200)
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Answer)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_put_json_delivers_to_a_2xx_and_refuses_any_other_answer() -> None:
    """crhelper PR #79: a 500 from the presigned URL is not a delivery; the invocation must fail and be retried."""
    from cdk_workspaces_image_handler.cloudformation import put_json
    from cdk_workspaces_image_handler.errors import NotDeliveredError

    recorder = PutRecorder(500, 200)
    url = f"{recorder.url}/response?X-Amz-Signature=abc"
    try:
        with pytest.raises(NotDeliveredError, match="HTTP 500"):
            put_json(url, {"Status": "SUCCESS"})
        put_json(url, {"Status": "SUCCESS"})
    finally:
        recorder.close()
    assert [r[0] for r in recorder.received] == ["/response?X-Amz-Signature=abc"] * 2
    assert recorder.received[1][2:] == ("", b'{"Status": "SUCCESS"}')


def test_put_json_sends_an_s3_url_to_the_s3_endpoint_override(monkeypatch: pytest.MonkeyPatch) -> None:
    """AWS_ENDPOINT_URL_S3, botocore's own S3 endpoint override: a PUT to an S3 host goes to that endpoint with the
    URL's path, query and Host; a URL on another host goes where it says."""
    from cdk_workspaces_image_handler.cloudformation import put_json

    s3, elsewhere = PutRecorder(), PutRecorder()
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3.url)
    bucket = "cloudformation-custom-resource-response-euwest1.s3.eu-west-1.amazonaws.com"
    try:
        put_json(f"https://{bucket}/response/r1?X-Amz-Signature=abc", {"Status": "SUCCESS"})
        put_json(f"{elsewhere.url}/sink?x=1", {"Status": "SUCCESS"})
    finally:
        s3.close()
        elsewhere.close()
    assert [r[:3] for r in s3.received] == [("/response/r1?X-Amz-Signature=abc", bucket, "")]
    assert [r[:2] for r in elsewhere.received] == [("/sink?x=1", elsewhere.url.removeprefix("http://"))]


def test_signals_keep_the_head_of_a_long_reason() -> None:
    from cdk_workspaces_image_handler.cloudformation import signal_body

    body = signal_body(success=False, reason="image wsi-x went to ERROR - " + "y" * 5000, image_id="wsi-x")
    assert body["Reason"].startswith("image wsi-x went to ERROR")
    assert len(body["Reason"]) <= 2048


def test_a_refused_response_fails_the_invocation_without_answering_failed(world: World) -> None:
    """crhelper would answer FAILED after its send raised; a passing refusal must not fail the resource."""
    from cdk_workspaces_image_handler import index

    attempts: list[Mapping[str, Any]] = []

    def refuse_once(url: str, body: Mapping[str, Any]) -> None:
        attempts.append(body)
        raise RuntimeError("HTTP 500")

    assert index.deps is not None
    index.deps.send = refuse_once
    world.watch_stopped()
    delete = event("Delete", props(), physical_id="not-created:GoldenResource")
    world.confirms(delete)
    with pytest.raises(RuntimeError, match="HTTP 500"):
        index.handler(delete, Context())
    assert [a["Status"] for a in attempts] == ["SUCCESS"], "no FAILED answer may follow the refused SUCCESS"
