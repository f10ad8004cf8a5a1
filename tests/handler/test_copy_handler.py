"""Custom::WorkspaceImageCopy at run time (issue 12): CopyWorkspaceImage in the copy's own Region, through a
Stubber per Region, each call checked against the API model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from botocore.stub import Stubber
from support import STACK_ID
from support.handler import (
    FUNCTION_ARN,
    HANDLE_URL,
    World,
    event,
    handle_url,
    image,
)

from cdk_workspaces_image_handler import contract
from cdk_workspaces_image_handler.copy import parse_copy_request
from cdk_workspaces_image_handler.kernel import Ownership
from cdk_workspaces_image_handler.regions import BOTOCORE_VERSION

HOME, AWAY, OTHER = "eu-west-1", "eu-central-1", "us-east-1"
SOURCE = "wsi-updated0001"  # the stack's updated image, in HOME
COPY = "wsi-copy00001"
LOGICAL = "GoldenCopyInEuCentral1"


def copy_props(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "ServiceToken": FUNCTION_ARN,
        "SourceImageId": SOURCE,
        "SourceRegion": HOME,
        "Region": AWAY,
        "Name": "golden-1",
        "Description": "Golden image",
        "Tags": [{"Key": "team", "Value": "euc"}],
        "TimeoutSeconds": "10800",
        "WaitHandle": HANDLE_URL,
    }
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def copy_event(request_type: str, properties: Mapping[str, Any], **kwargs: Any) -> dict[str, Any]:
    return event(request_type, properties, logical_id=LOGICAL, resource_type=contract.COPY_TYPE, **kwargs)


def copy_tag(properties: Mapping[str, Any], request_type: str = "Create") -> str:
    request = parse_copy_request(properties, check=False)
    return Ownership.of(STACK_ID, LOGICAL, request, f"{request_type}-request").tag_value


def tagged(away: Stubber, image_id: str, tags: Mapping[str, str]) -> None:
    away.add_response(
        "describe_tags", {"TagList": [{"Key": k, "Value": v} for k, v in tags.items()]}, {"ResourceId": image_id}
    )


def describe(away: Stubber, image_id: str, state: str, **extra: Any) -> None:
    raw = image(image_id, name="golden-1", state=state, **extra)
    away.add_response("describe_workspace_images", {"Images": [raw]}, {"ImageIds": [image_id]})


def fresh_copy(
    world: World, p: Mapping[str, Any], region: str = AWAY, state: str = "PENDING", owner: str | None = None
) -> Stubber:
    """The calls of a Create that copies: all in the copy's Region, none in the provider's, and no listing of the
    images there. `owner`: the source's owner, read first (with SourceAccount)."""
    away = world.in_region(region)
    if owner is not None:
        source = image(p["SourceImageId"], name="theirs", OwnerAccountId=owner)
        away.add_response("describe_workspace_images", {"Images": [source]}, {"ImageIds": [p["SourceImageId"]]})
    tags = [*p["Tags"], {"Key": contract.OWNER_TAG_KEY, "Value": copy_tag(p)}]
    away.add_response(
        "copy_workspace_image",
        {"ImageId": COPY},
        {
            "Name": "golden-1",
            "Description": "Golden image",
            "SourceImageId": p["SourceImageId"],
            "SourceRegion": p["SourceRegion"],
            "Tags": tags,
        },
    )
    describe(away, COPY, state)
    return away


def copied(world: World, p: Mapping[str, Any]) -> Stubber:
    """A genuine Create that made the copy, AVAILABLE at once, answered and signalled: in the record."""
    away = fresh_copy(world, p, state="AVAILABLE")
    world.run(copy_event("Create", p))
    assert world.response()["PhysicalResourceId"] == COPY
    assert world.signal()["Data"] == COPY
    return away


def test_a_copy_is_made_in_its_region_then_waited_for_and_signalled_with_its_id(world: World) -> None:
    p = copy_props()
    away = fresh_copy(world, p)
    world.watch_started()
    world.run(copy_event("Create", p))
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"], answer["Data"]) == ("SUCCESS", COPY, {"ImageId": COPY})
    ((wait,),) = [world.waits()]
    assert (wait["resource_id"], wait["region"]) == (COPY, AWAY), "the tick must look in the copy's Region"

    world.clock.advance(3600)
    describe(away, COPY, "AVAILABLE")
    world.watch_stopped()
    world.tick()
    assert world.signal()["Data"] == COPY
    ((detail_type, detail),) = world.news()
    assert detail_type == contract.DetailTypes.IMAGE_AVAILABLE
    assert {k: detail[k] for k in ("ImageId", "Region", "SourceRegion", "SourceImageId")} == {
        "ImageId": COPY,
        "Region": AWAY,
        "SourceRegion": HOME,
        "SourceImageId": SOURCE,
    }


def test_a_copy_that_fails_in_its_region_fails_the_wait_with_the_services_words(world: World) -> None:
    p = copy_props()
    away = fresh_copy(world, p)
    world.watch_started()
    world.run(copy_event("Create", p))
    world.response()
    describe(away, COPY, "ERROR", ErrorCode="CopyFailed", ErrorMessage="The copy failed")
    world.watch_stopped()
    world.tick()
    signal = world.signal()
    assert signal["Status"] == "FAILURE"
    assert signal["Reason"] == f"image {COPY} went to ERROR - CopyFailed: The copy failed"


def test_the_rollback_delete_deletes_the_copy_in_its_region_only_if_this_resource_made_it(world: World) -> None:
    p = copy_props()
    away = copied(world, p)
    world.watch_stopped()
    tagged(away, COPY, {contract.OWNER_TAG_KEY: copy_tag(p)})
    away.add_response("delete_workspace_image", {}, {"ImageId": COPY})
    world.run(copy_event("Delete", p, physical_id=COPY))
    assert world.response()["Status"] == "SUCCESS"
    assert world.recorded(LOGICAL) == []

    # Not in the record any more; its tag, read (in its Region) to see whether an earlier version of the provider
    # made it, says nothing of this resource: left alone.
    tagged(away, COPY, {})
    world.watch_stopped()
    world.run(copy_event("Delete", p, physical_id=COPY))
    assert world.response()["Status"] == "SUCCESS"


def test_a_copy_an_earlier_version_made_is_adopted_and_deleted_in_its_own_region(world: World) -> None:
    """A copy made before the provider kept a record is known by its tag only: CloudFormation confirms it holds that
    copy for the logical id, so the Delete takes it into the record, reading its tag where the copy is (the provider's
    Region has no such image), and deletes it there."""
    p = copy_props()
    away = world.in_region(AWAY)
    world.watch_stopped()
    tagged(away, COPY, {contract.OWNER_TAG_KEY: copy_tag(p)})  # adopted: an earlier version made it
    tagged(away, COPY, {contract.OWNER_TAG_KEY: copy_tag(p)})  # read again right before the delete
    away.add_response("delete_workspace_image", {}, {"ImageId": COPY})
    world.run(copy_event("Delete", p, physical_id=COPY))  # nothing in the provider's Region: the Stubber has none
    assert world.response()["Status"] == "SUCCESS"
    assert world.recorded(LOGICAL) == []


def test_a_new_region_replaces_the_copy_there(world: World) -> None:
    old, new = copy_props(), copy_props(Region=OTHER, WaitHandle=handle_url("copy-2"))
    copied(world, old)
    world.watch_stopped()  # the Update supersedes the old wait
    there = world.in_region(OTHER)
    tags = [*new["Tags"], {"Key": contract.OWNER_TAG_KEY, "Value": copy_tag(new, "Update")}]
    there.add_response(
        "copy_workspace_image",
        {"ImageId": "wsi-copy00002"},
        {
            "Name": "golden-1",
            "Description": "Golden image",
            "SourceImageId": SOURCE,
            "SourceRegion": HOME,
            "Tags": tags,
        },
    )
    describe(there, "wsi-copy00002", "PENDING")
    world.watch_started()
    world.run(copy_event("Update", new, physical_id=COPY, old=old))
    assert world.response()["PhysicalResourceId"] == "wsi-copy00002"
    assert {(e.resource_id, e.region) for e in world.recorded(LOGICAL)} == {(COPY, AWAY), ("wsi-copy00002", OTHER)}


def test_a_new_region_for_a_copy_an_earlier_version_made_adopts_it_where_it_is_so_the_cleanup_deletes_it(
    world: World,
) -> None:
    old, new = copy_props(), copy_props(Region=OTHER, WaitHandle=handle_url("copy-2"))
    away, there = world.in_region(AWAY), world.in_region(OTHER)
    tagged(away, COPY, {contract.OWNER_TAG_KEY: copy_tag(old)})  # read where the copy is, not in the new Region
    tags = [*new["Tags"], {"Key": contract.OWNER_TAG_KEY, "Value": copy_tag(new, "Update")}]
    expected = {"Name": "golden-1", "Description": "Golden image", "SourceImageId": SOURCE, "SourceRegion": HOME}
    there.add_response("copy_workspace_image", {"ImageId": "wsi-copy00002"}, {**expected, "Tags": tags})
    describe(there, "wsi-copy00002", "PENDING")
    world.watch_started()
    world.run(copy_event("Update", new, physical_id=COPY, old=old))
    assert world.response()["PhysicalResourceId"] == "wsi-copy00002"

    cleanup = copy_event("Delete", old, physical_id=COPY)
    world.confirms(
        cleanup,
        stack_status="UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
        resource_status="UPDATE_COMPLETE",
        physical_id="wsi-copy00002",
    )
    tagged(away, COPY, {contract.OWNER_TAG_KEY: copy_tag(old)})
    away.add_response("delete_workspace_image", {}, {"ImageId": COPY})
    world.run(cleanup, genuine=False)
    assert world.response()["Status"] == "SUCCESS"
    assert {(e.resource_id, e.region) for e in world.recorded(LOGICAL)} == {("wsi-copy00002", OTHER)}


def test_a_route_workspaces_does_not_copy_fails_before_any_call_in_the_words_synth_uses(world: World) -> None:
    world.watch_stopped()
    world.run(copy_event("Create", copy_props(SourceRegion="us-gov-west-1", Region="us-gov-east-1")))
    answer = world.response()
    assert answer["Status"] == "FAILED"
    assert answer["Reason"] == (
        "region (Region) 'us-gov-east-1': in AWS GovCloud (US) images are copied to and from other Regions only "
        "through AWS Support; ask them, and leave it out"
    )


@pytest.mark.parametrize(
    ("over", "words"),
    [
        (
            {"SourceRegion": "eu-central-3"},
            f"source_region (SourceRegion) 'eu-central-3' is no AWS Region (botocore {BOTOCORE_VERSION}'s endpoint "
            "data knows none of that name); did you mean eu-central-1?",
        ),
        (
            {"Region": "ap-southeast-7"},
            "region (Region) 'ap-southeast-7': Amazon WorkSpaces is not offered in Region ap-southeast-7 (botocore "
            f"{BOTOCORE_VERSION}'s endpoint data lists no WorkSpaces endpoint there); choose one of the Regions of "
            "partition aws it is in: ",
        ),
    ],
)
def test_a_region_without_workspaces_fails_before_any_call_in_the_words_synth_uses(
    world: World, over: dict[str, str], words: str
) -> None:
    """A deploy-time value (a parameter for source_region, or an environment-agnostic stack's own Region) that names
    no Region, or one WorkSpaces is not in: FAILED before anything is claimed or called, and the rollback's Delete
    succeeds, calling nothing there either."""
    p = copy_props(**over)
    world.watch_stopped()
    world.run(copy_event("Create", p))
    answer = world.response()
    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith(words)
    assert world.recorded(LOGICAL) == []
    world.watch_stopped()
    world.run(copy_event("Delete", p, physical_id=answer["PhysicalResourceId"]))
    assert world.response()["Status"] == "SUCCESS"


def test_a_copy_the_service_refuses_names_the_source_and_region(world: World) -> None:
    p = copy_props()
    away = world.in_region(AWAY)
    away.add_client_error("copy_workspace_image", "ResourceNotFoundException", "Image not found.", 400)
    world.watch_stopped()
    world.run(copy_event("Create", p))
    answer = world.response()
    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith(
        f"CopyWorkspaceImage did not find source image {SOURCE} of Region {HOME}; check the source image id and "
        "Region, and for an image of another account that it is shared with this one"
    )


# ---------------------------------------------------------------- the consumer side: a shared image's owner


SHARER, STRANGER = "444455556666", "210987654321"


def test_a_shared_source_of_another_account_than_source_account_is_never_copied(world: World) -> None:
    p = copy_props(SourceRegion=AWAY, SourceImageId="wsi-shared0001", SourceAccount=SHARER)
    away = world.in_region(AWAY)
    shared = image("wsi-shared0001", name="theirs", OwnerAccountId=STRANGER)
    away.add_response("describe_workspace_images", {"Images": [shared]}, {"ImageIds": ["wsi-shared0001"]})
    world.watch_stopped()
    world.run(copy_event("Create", p))  # no CopyWorkspaceImage
    answer = world.response()
    assert answer["Status"] == "FAILED"
    assert answer["Reason"] == (
        f"source image wsi-shared0001 of Region {AWAY} belongs to account {STRANGER}, not to source_account "
        f"(SourceAccount) {SHARER}; nothing was copied: check the image id you were given"
    )


def test_a_shared_source_of_source_account_is_copied(world: World) -> None:
    p = copy_props(SourceRegion=AWAY, SourceImageId="wsi-shared0001", SourceAccount=SHARER)
    fresh_copy(world, p, owner=SHARER)
    world.watch_started()
    world.run(copy_event("Create", p))
    assert world.response()["PhysicalResourceId"] == COPY
