"""Bundles through the real handler, event by event, with every WorkSpaces request checked by botocore's Stubber.

Custom::WorkspaceBundle: a bundle the stack creates. Custom::WorkspaceBundleImage
(apply_to_bundle): a bundle the stack does not manage, re-pointed and maybe restored.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pytest
from support import STACK_ID
from support.handler import (
    BUNDLE,
    BUNDLE_LOGICAL_ID,
    NEW,
    RESPONSE_URL,
    WATCH_TABLE,
    Context,
    World,
    bundle,
    bundle_event,
    bundle_image_event,
    bundle_image_props,
    bundle_owner_tag,
    bundle_props,
)

from cdk_workspaces_image_handler import contract, rules
from cdk_workspaces_image_handler.bundle_image import Marker
from cdk_workspaces_image_handler.errors import InFlightError
from cdk_workspaces_image_handler.record import Entry, Records, made_key

OLD_IMAGE = "wsi-previous001"
NEXT_IMAGE = "wsi-updated0002"
OTHER = "wsb-bundle0002"
RECORD = f"{BUNDLE}:{OLD_IMAGE}"


def moved(logical_id: str, bundle_id: str, image_id: str, previous: str) -> tuple[str, dict[str, str]]:
    """The event the handler puts on the bus when a bundle moves to another image."""
    detail = {"StackId": STACK_ID, "LogicalId": logical_id, "BundleId": bundle_id, "ImageId": image_id}
    return contract.DetailTypes.BUNDLE_IMAGE_CHANGED, {**detail, "PreviousImageId": previous}


def mine(properties: dict[str, object]) -> dict[str, dict[str, str]]:
    return {BUNDLE: {contract.OWNER_TAG_KEY: bundle_owner_tag(properties), "team": "euc"}}


# ---------------------------------------------------------------- create


def test_create_makes_the_bundle_with_the_ownership_tag_and_answers_its_id(world: World) -> None:
    p = bundle_props()
    world.fresh_bundle(p)
    world.run(bundle_event("Create", p))
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"], answer["Data"]) == (
        "SUCCESS",
        BUNDLE,
        {"BundleId": BUNDLE},
    )
    assert not world.waits(), "an AVAILABLE bundle needs no watch"


def test_create_without_root_storage_leaves_it_out_of_the_request(world: World) -> None:
    p = bundle_props(RootStorage=None, UserStorage={"Capacity": "100"})
    world.fresh_bundle(p)  # the Stubber rejects a request that names RootStorage
    world.run(bundle_event("Create", p))
    assert world.response()["Status"] == "SUCCESS"


def test_a_pending_bundle_is_answered_from_the_watch_once_available(world: World) -> None:
    p = bundle_props()
    world.fresh_bundle(p, new_state="PENDING")
    world.watch_started()
    world.run(bundle_event("Create", p))
    assert world.sent == [], "no answer while the bundle is PENDING"

    world.clock.advance(60)
    world.describe_bundle(BUNDLE, bundle(BUNDLE, state="PENDING"))
    world.tick()
    assert world.sent == []

    world.clock.advance(60)
    world.describe_bundle(BUNDLE, bundle(BUNDLE, state="AVAILABLE"))
    world.watch_stopped()
    world.tick()
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"], answer["RequestId"], answer["Data"]) == (
        "SUCCESS",
        BUNDLE,
        "Create-request",
        {"BundleId": BUNDLE},
    )


def test_a_bundle_still_pending_at_the_hour_fails_naming_it(world: World) -> None:
    p = bundle_props()
    world.fresh_bundle(p, new_state="PENDING")
    world.watch_started()
    world.run(bundle_event("Create", p))
    world.clock.advance(3300)
    world.describe_bundle(BUNDLE, bundle(BUNDLE, state="PENDING"))
    world.watch_stopped()
    world.tick()
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", BUNDLE)  # the rollback Delete removes it
    assert answer["Reason"].startswith(f"timed out: bundle {BUNDLE} is still PENDING within the custom resource's")


def test_a_bundle_in_error_fails_the_create_naming_it_so_rollback_deletes_it(world: World) -> None:
    p = bundle_props()
    world.fresh_bundle(p, new_state="ERROR")
    world.run(bundle_event("Create", p))
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"], answer["Reason"]) == (
        "FAILED",
        BUNDLE,
        f"bundle {BUNDLE} went to ERROR",
    )


def test_a_repeated_create_adopts_the_bundle_it_made_by_record(world: World) -> None:
    p = bundle_props()
    world.created_bundle(p)
    # Lambda delivers the same Create again: the record says what this request made; nothing is listed.
    world.describe_bundle(BUNDLE, bundle(BUNDLE))
    world.run(bundle_event("Create", p))  # no CreateWorkspaceBundle: the Stubber would reject it
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("SUCCESS", BUNDLE)
    assert world.recorded_ids(BUNDLE_LOGICAL_ID) == {BUNDLE}


def test_a_delivery_racing_one_that_holds_the_claim_makes_nothing_and_is_delivered_again(world: World) -> None:
    """Two deliveries of one Create: the one that claimed the record first makes the bundle; the other finds the claim
    still live without a bundle id, makes nothing, answers nothing, and fails its invocation so that Lambda delivers
    it again (and it then adopts what the first made)."""
    p = bundle_props()
    key = made_key("Create-request")
    tag = bundle_owner_tag(p, request_type="Create")
    claim = Entry(key, tag=tag, claimed_until=world.clock.now + 300)
    Records(world.dynamodb_client, WATCH_TABLE).put(BUNDLE_LOGICAL_ID, claim)
    with pytest.raises(InFlightError):
        world.run(bundle_event("Create", p))  # no CreateWorkspaceBundle: the Stubber would reject it
    assert world.sent == []
    assert world.recorded(BUNDLE_LOGICAL_ID) == [claim]


def test_a_name_taken_by_a_bundle_of_someone_else_fails_clearly(world: World) -> None:
    p = bundle_props()
    world.ws.add_client_error("create_workspace_bundle", "ResourceAlreadyExistsException", "exists")
    # Did this very request make it, in a call whose answer was lost? Not with this request's tag.
    world.owned_bundles([bundle("wsb-other0001")])
    world.listed_bundles([bundle("wsb-other0001")])
    world.run(bundle_event("Create", p))
    answer = world.response()
    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith("a bundle named 'golden-standard' already exists and was not created by this")
    assert "choose another bundle_name, or delete that bundle (WorkSpaces asks to wait 2 hours" in answer["Reason"]


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("AccessDeniedException", "may not call workspaces:CreateWorkspaceBundle on bundle 'golden-standard'"),
        ("InvalidParameterValuesException", "rejected a parameter of CreateWorkspaceBundle"),
        ("ResourceLimitExceededException", "the Region's 50 custom bundles are used up (a quota that cannot be"),
        ("ResourceNotFoundException", f"bundle 'golden-standard' on image {NEW} was not found by CreateWorkspace"),
        ("ResourceUnavailableException", "as not available; the image must be AVAILABLE"),
    ],
)
def test_every_create_error_becomes_a_reason(world: World, code: str, words: str) -> None:
    world.ws.add_client_error("create_workspace_bundle", code, "service words")
    world.run(bundle_event("Create", bundle_props()))
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", "not-created:StandardResource")
    assert words in answer["Reason"]
    assert answer["Reason"].endswith(f"({code}: service words)")
    assert world.recorded(BUNDLE_LOGICAL_ID) == [], "a refused create leaves no claim behind"


def test_tokens_are_validated_at_run_time_in_the_words_of_synth(world: World) -> None:
    bad = bundle_props(ComputeType={"Name": "HUGE"}, UserStorage={"Capacity": "60"})
    world.run(bundle_event("Create", bad))
    answer = world.response()
    expected = rules.bundle_problems(compute_type="HUGE") + rules.storage_problems("60", "80")
    assert (answer["Status"], answer["Reason"]) == ("FAILED", "; ".join(expected))
    assert (
        "user_storage_gib (UserStorage.Capacity) 60 with root_storage_gib (RootStorage.Capacity) 80"
        in (answer["Reason"])
    )


def test_a_misspelt_property_fails_naming_it_and_those_the_type_takes(world: World) -> None:
    misspelt = {k: v for k, v in bundle_props(Description="Standard").items() if k != "BundleDescription"}
    world.run(bundle_event("Create", misspelt))
    answer = world.response()
    assert answer["Status"] == "FAILED"
    assert answer["Reason"] == (
        "remove or rename the property 'Description', which Custom::WorkspaceBundle does not take; it takes "
        "BundleName, BundleDescription, ImageId, ComputeType, UserStorage, RootStorage, Tags, and CloudFormation's "
        "ServiceToken and ServiceTimeout; description (BundleDescription) is missing (None); it is required"
    )


@pytest.mark.parametrize(
    ("override", "words"),
    [
        ({"ComputeType": {"Name": "STANDARD", "Size": "L"}}, "remove or rename the key 'Size' of compute_type"),
        ({"RootStorage": {"Capacity": "80", "Iops": "3000"}}, "remove or rename the key 'Iops' of root_storage_gib"),
        ({"UserStorage": None}, "user_storage_gib (UserStorage.Capacity) is missing (None); it is required"),
        ({"BundleName": ["golden"]}, "bundle_name (BundleName) ['golden'] must be a string"),
    ],
)
def test_a_hand_written_template_is_judged_in_the_words_of_synth(
    world: World, override: dict[str, Any], words: str
) -> None:
    world.run(bundle_event("Create", {**bundle_props(), **override}))
    answer = world.response()
    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith(words)


def test_apply_to_bundle_refuses_unknown_properties(world: World) -> None:
    world.run(bundle_image_event("Create", {**bundle_image_props(), "RestoreOnDelete": "true"}))
    answer = world.response()
    assert answer["Status"] == "FAILED"
    assert answer["Reason"] == (
        "remove or rename the property 'RestoreOnDelete', which Custom::WorkspaceBundleImage does not take; it "
        "takes BundleId, ImageId, and CloudFormation's ServiceToken and ServiceTimeout"
    )


# ---------------------------------------------------------------- update


def test_a_new_image_is_applied_in_place_keeping_the_bundle_id(world: World) -> None:
    old = bundle_props()
    new = bundle_props(ImageId=NEXT_IMAGE)
    world.created_bundle(old)
    world.watch_stopped()  # the Update supersedes whatever this resource was waiting for
    world.tags(BUNDLE, mine(old)[BUNDLE])  # only a bundle the record holds, with this resource's tag, is re-pointed
    world.update_bundle(BUNDLE, NEXT_IMAGE)
    world.describe_bundle(BUNDLE, bundle(BUNDLE, image_id=NEXT_IMAGE))
    world.run(bundle_event("Update", new, physical_id=BUNDLE, old=old))
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"], answer["Data"]) == (
        "SUCCESS",
        BUNDLE,
        {"BundleId": BUNDLE},
    )
    assert world.news() == [moved("StandardResource", BUNDLE, NEXT_IMAGE, NEW)]


def test_a_tags_change_is_applied_in_place(world: World) -> None:
    old = bundle_props(Tags=[{"Key": "team", "Value": "euc"}, {"Key": "cost", "Value": "1"}])
    new = bundle_props(Tags=[{"Key": "team", "Value": "vdi"}])
    world.created_bundle(old)
    world.tags(BUNDLE, {contract.OWNER_TAG_KEY: bundle_owner_tag(old), "team": "euc", "cost": "1"})
    world.ws.add_response("create_tags", {}, {"ResourceId": BUNDLE, "Tags": [{"Key": "team", "Value": "vdi"}]})
    world.ws.add_response("delete_tags", {}, {"ResourceId": BUNDLE, "TagKeys": ["cost"]})
    world.run(bundle_event("Update", new, physical_id=BUNDLE, old=old))
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("SUCCESS", BUNDLE)


def test_a_new_image_and_new_tags_are_both_applied_in_place(world: World) -> None:
    old = bundle_props()
    new = bundle_props(ImageId=NEXT_IMAGE, Tags=[{"Key": "team", "Value": "vdi"}])
    world.created_bundle(old)
    world.watch_stopped()  # the Update supersedes whatever this resource was waiting for
    world.tags(BUNDLE, mine(old)[BUNDLE])
    world.ws.add_response("create_tags", {}, {"ResourceId": BUNDLE, "Tags": [{"Key": "team", "Value": "vdi"}]})
    world.update_bundle(BUNDLE, NEXT_IMAGE)
    world.describe_bundle(BUNDLE, bundle(BUNDLE, image_id=NEXT_IMAGE))
    world.run(bundle_event("Update", new, physical_id=BUNDLE, old=old))
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("SUCCESS", BUNDLE)


@pytest.mark.parametrize(
    "change",
    [
        {"ComputeType": {"Name": "PERFORMANCE"}},
        {"UserStorage": {"Capacity": "100"}},
        {"RootStorage": {"Capacity": "175"}, "UserStorage": {"Capacity": "100"}},
        {"BundleDescription": "Another description"},
    ],
)
def test_anything_else_replaces_the_bundle(world: World, change: dict[str, object]) -> None:
    old = bundle_props()
    new = bundle_props(BundleName="golden-standard-2", **change)
    world.created_bundle(old)
    world.watch_stopped()  # the Update supersedes whatever this resource was waiting for
    world.fresh_bundle(new, new_id=OTHER, request_type="Update")
    world.run(bundle_event("Update", new, physical_id=BUNDLE, old=old))
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("SUCCESS", OTHER)  # CloudFormation deletes BUNDLE


def test_a_replacement_that_keeps_the_name_says_to_rename(world: World) -> None:
    old = bundle_props()
    new = bundle_props(ComputeType={"Name": "POWER"})
    held = {BUNDLE: {contract.OWNER_TAG_KEY: bundle_owner_tag(old, request_type="Create")}}
    world.created_bundle(old)
    world.watch_stopped()  # the Update supersedes whatever this resource was waiting for
    world.ws.add_client_error("create_workspace_bundle", "ResourceAlreadyExistsException", "exists")
    world.owned_bundles([bundle(BUNDLE)], held)  # not this request's tag: nothing this request made
    world.listed_bundles([bundle(BUNDLE)])  # the record holds it for this resource: the one being replaced
    world.run(bundle_event("Update", new, physical_id=BUNDLE, old=old))
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", BUNDLE)
    assert answer["Reason"].startswith(
        f"bundle_name 'golden-standard' is still used by {BUNDLE}, the bundle this resource is replacing: "
        "CloudFormation creates the new bundle before it deletes the old one, so change bundle_name together with"
    )


def test_a_replacement_that_fails_deletes_the_new_bundle_and_keeps_the_old(world: World) -> None:
    old = bundle_props()
    new = bundle_props(BundleName="golden-power", ComputeType={"Name": "POWER"})
    world.created_bundle(old)
    world.watch_stopped()  # the Update supersedes whatever this resource was waiting for
    world.fresh_bundle(new, new_id=OTHER, new_state="ERROR", request_type="Update")
    world.watch_stopped()
    world.tags(OTHER, {contract.OWNER_TAG_KEY: bundle_owner_tag(new)})
    world.ws.add_response("delete_workspace_bundle", {}, {"BundleId": OTHER})
    world.run(bundle_event("Update", new, physical_id=BUNDLE, old=old))
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", BUNDLE)
    assert answer["Reason"] == f"bundle {OTHER} went to ERROR"
    assert world.recorded_ids(BUNDLE_LOGICAL_ID) == {BUNDLE}, "the deleted bundle leaves the record with it"


def test_a_deferred_replacement_that_fails_deletes_the_new_bundle(world: World) -> None:
    old = bundle_props()
    new = bundle_props(BundleName="golden-power", ComputeType={"Name": "POWER"})
    world.created_bundle(old)
    world.watch_stopped()  # the Update supersedes whatever this resource was waiting for
    world.fresh_bundle(new, new_id=OTHER, new_state="PENDING", request_type="Update")
    world.watch_started()
    world.run(bundle_event("Update", new, physical_id=BUNDLE, old=old))
    world.describe_bundle(OTHER, bundle(OTHER, state="ERROR"))
    world.tags(OTHER, {contract.OWNER_TAG_KEY: bundle_owner_tag(new)})
    world.ws.add_response("delete_workspace_bundle", {}, {"BundleId": OTHER})
    world.watch_stopped()
    world.tick()
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", OTHER)
    assert answer["Reason"] == f"bundle {OTHER} went to ERROR; the new bundle {OTHER} was deleted"


# ---------------------------------------------------------------- delete


def test_delete_removes_the_bundle_this_resource_created(world: World) -> None:
    world.created_bundle(bundle_props())
    world.watch_stopped()
    world.tags(BUNDLE, {contract.OWNER_TAG_KEY: bundle_owner_tag(bundle_props())})
    world.ws.add_response("delete_workspace_bundle", {}, {"BundleId": BUNDLE})
    world.run(bundle_event("Delete", bundle_props(), physical_id=BUNDLE))
    assert world.response()["Status"] == "SUCCESS"
    assert world.recorded(BUNDLE_LOGICAL_ID) == []


@pytest.mark.parametrize("owner", [{}, {contract.OWNER_TAG_KEY: "0123456789abcdef.0123456789abcdef"}])
def test_delete_never_removes_a_bundle_this_resource_did_not_create(world: World, owner: dict[str, str]) -> None:
    """Not in the record: the Delete reads its tag only to see whether an earlier version of the provider made it
    (it did not), and deletes nothing."""
    world.watch_stopped()
    world.tags(BUNDLE, owner)
    world.run(bundle_event("Delete", bundle_props(), physical_id=BUNDLE))  # no DeleteWorkspaceBundle expected
    assert world.response()["Status"] == "SUCCESS"


@pytest.mark.parametrize("owner", [{}, {contract.OWNER_TAG_KEY: "0123456789abcdef.0123456789abcdef"}])
def test_delete_never_removes_a_recorded_bundle_whose_tag_names_another_resource(
    world: World, owner: dict[str, str]
) -> None:
    """The ownership tag stays a second guard: a record whose bundle lost its tag is someone's doing worth a look."""
    world.created_bundle(bundle_props())
    world.watch_stopped()
    world.tags(BUNDLE, owner)
    world.run(bundle_event("Delete", bundle_props(), physical_id=BUNDLE))  # no DeleteWorkspaceBundle expected
    assert world.response()["Status"] == "SUCCESS"
    assert world.recorded_ids(BUNDLE_LOGICAL_ID) == {BUNDLE}


def test_a_delete_after_a_failed_create_touches_nothing(world: World) -> None:
    world.watch_stopped()  # nothing in the record for this logical id: no call at all
    world.run(bundle_event("Delete", bundle_props(), physical_id="not-created:StandardResource"))
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("SUCCESS", "not-created:StandardResource")


def test_a_repeated_delete_of_a_gone_bundle_succeeds(world: World) -> None:
    world.watch_stopped()
    world.ws.add_client_error("describe_tags", "ResourceNotFoundException", "gone")
    world.run(bundle_event("Delete", bundle_props(), physical_id=BUNDLE))
    assert world.response()["Status"] == "SUCCESS"


def test_a_delete_blocked_by_workspaces_says_so(world: World) -> None:
    world.created_bundle(bundle_props())
    world.watch_stopped()
    world.tags(BUNDLE, {contract.OWNER_TAG_KEY: bundle_owner_tag(bundle_props())})
    world.ws.add_client_error("delete_workspace_bundle", "ResourceAssociatedException", "in use")
    world.run(bundle_event("Delete", bundle_props(), physical_id=BUNDLE))
    answer = world.response()
    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith(f"bundle {BUNDLE} cannot be deleted: WorkSpaces are still based on it")


# ---------------------------------------------------------------- apply_to_bundle


def marker(request_type: str, previous: str) -> str:
    return Marker.of(STACK_ID, "ApplyResource", f"{request_type}-request", previous).value


def marked(world: World, bundle_id: str, request_type: str, previous: str) -> None:
    """CreateTags of the marker, before UpdateWorkspaceBundle."""
    tag = {"Key": contract.APPLIED_TAG_KEY, "Value": marker(request_type, previous)}
    world.ws.add_response("create_tags", {}, {"ResourceId": bundle_id, "Tags": [tag]})


def carries_marker(
    world: World, bundle_id: str = BUNDLE, request_type: str = "Create", previous: str = OLD_IMAGE
) -> None:
    """DescribeTags of a bundle that carries this resource's marker."""
    world.tags(bundle_id, {contract.APPLIED_TAG_KEY: marker(request_type, previous)})


def restored(world: World, bundle_id: str, previous: str) -> None:
    world.update_bundle(bundle_id, previous)
    world.ws.add_response("delete_tags", {}, {"ResourceId": bundle_id, "TagKeys": [contract.APPLIED_TAG_KEY]})


def apply_calls(
    world: World,
    *,
    bundle_id: str = BUNDLE,
    before: str = OLD_IMAGE,
    after: str = NEW,
    request_type: str = "Create",
    state: str = "AVAILABLE",
) -> None:
    world.describe_bundle(bundle_id, bundle(bundle_id, image_id=before))
    world.tags(bundle_id, {"team": "euc"})
    marked(world, bundle_id, request_type, before)
    world.update_bundle(bundle_id, after)
    world.describe_bundle(bundle_id, bundle(bundle_id, image_id=after, state=state))


def test_apply_records_the_previous_image_in_the_physical_id(world: World) -> None:
    apply_calls(world)
    world.run(bundle_image_event("Create", bundle_image_props()))
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"], answer["Data"]) == (
        "SUCCESS",
        RECORD,
        {"BundleId": BUNDLE, "ImageId": NEW, "PreviousImageId": OLD_IMAGE},
    )
    assert world.news() == [moved("ApplyResource", BUNDLE, NEW, OLD_IMAGE)]


@pytest.mark.parametrize(
    ("raw", "tags", "words"),
    [
        (None, None, f"bundle {BUNDLE} was not found in this account and Region"),
        (bundle(BUNDLE, owner="AMAZON"), {}, f"bundle {BUNDLE} is a public bundle of AWS"),
        (bundle(BUNDLE), {contract.OWNER_TAG_KEY: "x.y"}, f"bundle {BUNDLE} is managed by a WorkspaceBundle"),
    ],
)
def test_apply_refuses_bundles_it_must_not_touch(
    world: World, raw: dict[str, object] | None, tags: dict[str, str] | None, words: str
) -> None:
    world.describe_bundle(BUNDLE, raw)
    if tags is not None:
        world.tags(BUNDLE, tags)
    world.run(bundle_image_event("Create", bundle_image_props()))
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", "not-created:ApplyResource")
    assert answer["Reason"].startswith(words)


def test_a_retry_after_a_refused_answer_still_records_the_image_it_replaced(world: World) -> None:
    from cdk_workspaces_image_handler import index

    apply_calls(world)
    refused: list[Mapping[str, Any]] = []

    def refuse(url: str, body: Mapping[str, Any]) -> None:
        refused.append(body)
        raise RuntimeError("HTTP 500")

    assert index.deps is not None
    delivered, index.deps.send = index.deps.send, refuse
    create = bundle_image_event("Create", bundle_image_props())
    world.confirms(create)
    with pytest.raises(RuntimeError, match="HTTP 500"):
        index.handler(create, Context())
    assert [(a["Status"], a["PhysicalResourceId"]) for a in refused] == [("SUCCESS", RECORD)]

    # Lambda's retry finds the bundle on the new image, and the record of this very request (not the bundle's
    # marker, which anyone may write): no second UpdateWorkspaceBundle, the same image before.
    index.deps.send = delivered
    world.describe_bundle(BUNDLE, bundle(BUNDLE, image_id=NEW))
    world.tags(BUNDLE, {contract.APPLIED_TAG_KEY: marker("Create", NEW)})  # rewritten since: not believed
    world.describe_bundle(BUNDLE, bundle(BUNDLE, image_id=NEW))
    world.run(bundle_image_event("Create", bundle_image_props()))
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("SUCCESS", RECORD)


def test_an_apply_to_a_bundle_already_on_the_image_records_that_image(world: World) -> None:
    world.describe_bundle(BUNDLE, bundle(BUNDLE, image_id=NEW))
    world.tags(BUNDLE, {contract.APPLIED_TAG_KEY: marker("an earlier", OLD_IMAGE)})  # not this request's
    marked(world, BUNDLE, "Create", NEW)
    world.describe_bundle(BUNDLE, bundle(BUNDLE, image_id=NEW))
    world.run(bundle_image_event("Create", bundle_image_props()))  # no UpdateWorkspaceBundle
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("SUCCESS", f"{BUNDLE}:{NEW}")


def test_a_bundle_pending_after_the_apply_is_answered_from_the_watch_with_the_record(world: World) -> None:
    apply_calls(world, state="PENDING")
    world.watch_started()
    world.run(bundle_image_event("Create", bundle_image_props()))
    assert world.sent == []

    world.describe_bundle(BUNDLE, bundle(BUNDLE, state="AVAILABLE"))
    world.watch_stopped()
    world.tick()
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"], answer["Data"]["PreviousImageId"]) == (
        "SUCCESS",
        RECORD,
        OLD_IMAGE,
    )


def test_a_refused_re_point_removes_the_marker_and_the_record(world: World) -> None:
    """UpdateWorkspaceBundle refused: the bundle is as it was, so neither the marker written before nor the record
    may say this resource re-pointed it (a later Delete would restore an image the bundle never left)."""
    world.describe_bundle(BUNDLE, bundle(BUNDLE, image_id=OLD_IMAGE))
    world.tags(BUNDLE, {"team": "euc"})
    marked(world, BUNDLE, "Create", OLD_IMAGE)
    world.ws.add_client_error("update_workspace_bundle", "ResourceNotFoundException", "no such image")
    world.ws.add_response("delete_tags", {}, {"ResourceId": BUNDLE, "TagKeys": [contract.APPLIED_TAG_KEY]})
    world.run(bundle_image_event("Create", bundle_image_props()))
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", "not-created:ApplyResource")
    assert world.recorded("ApplyResource") == []


def test_a_rollback_re_applies_to_a_bundle_the_record_holds_though_the_template_no_longer_names_it(
    world: World,
) -> None:
    """The stack moved apply_to_bundle to OTHER, a later resource failed, and CloudFormation rolls back to BUNDLE
    while the provider's environment already names OTHER only: the record says this resource re-pointed BUNDLE, and
    still holds the image BUNDLE had before the stack's first re-point, which the new marker keeps."""
    applied(world)
    world.template_names(OTHER)
    world.watch_stopped()
    apply_calls(world, bundle_id=OTHER, before="wsi-otherold01", request_type="Update")
    world.run(
        bundle_image_event("Update", bundle_image_props(bundle_id=OTHER), physical_id=RECORD, old=bundle_image_props())
    )
    moved_record = f"{OTHER}:wsi-otherold01"
    assert world.response()["PhysicalResourceId"] == moved_record

    rollback = bundle_image_event(
        "Update", bundle_image_props(), physical_id=moved_record, old=bundle_image_props(bundle_id=OTHER)
    )
    rollback["RequestId"] = "Rollback-request"
    world.confirms(rollback, stack_status="UPDATE_ROLLBACK_IN_PROGRESS")
    world.describe_bundle(BUNDLE, bundle(BUNDLE, image_id=NEW))  # never restored: its Delete comes in the cleanup
    world.tags(BUNDLE, {contract.APPLIED_TAG_KEY: marker("Create", OLD_IMAGE)})
    marked(world, BUNDLE, "Rollback", OLD_IMAGE)
    world.describe_bundle(BUNDLE, bundle(BUNDLE, image_id=NEW))
    world.watch_stopped()
    world.run(rollback, genuine=False)  # no UpdateWorkspaceBundle: BUNDLE already uses NEW
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("SUCCESS", RECORD)


def test_a_failed_apply_answers_the_record_so_rollback_restores(world: World) -> None:
    apply_calls(world, state="ERROR")
    world.run(bundle_image_event("Create", bundle_image_props()))
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", RECORD)

    world.watch_stopped()
    world.describe_bundle(BUNDLE, bundle(BUNDLE, image_id=NEW))
    carries_marker(world)
    restored(world, BUNDLE, OLD_IMAGE)
    world.run(bundle_image_event("Delete", bundle_image_props(), physical_id=RECORD))
    assert world.response()["Status"] == "SUCCESS"


def applied(world: World) -> None:
    """A genuine apply_to_bundle Create that re-pointed BUNDLE from OLD_IMAGE to NEW: in the record."""
    apply_calls(world)
    world.run(bundle_image_event("Create", bundle_image_props()))
    assert world.response()["PhysicalResourceId"] == RECORD


def test_a_new_image_re_points_in_place_and_keeps_the_first_previous_image(world: World) -> None:
    applied(world)
    world.watch_stopped()  # the Update supersedes whatever this resource was waiting for
    carries_marker(world)
    world.update_bundle(BUNDLE, NEXT_IMAGE)
    world.describe_bundle(BUNDLE, bundle(BUNDLE, image_id=NEXT_IMAGE))
    world.run(
        bundle_image_event(
            "Update", bundle_image_props(image_id=NEXT_IMAGE), physical_id=RECORD, old=bundle_image_props()
        )
    )
    answer = world.response()
    assert (answer["PhysicalResourceId"], answer["Data"]) == (
        RECORD,
        {"BundleId": BUNDLE, "ImageId": NEXT_IMAGE, "PreviousImageId": OLD_IMAGE},
    )


def test_another_bundle_is_a_new_record_and_the_old_one_is_left_to_its_delete(world: World) -> None:
    applied(world)
    world.template_names(BUNDLE, OTHER)  # the template now names OTHER
    world.watch_stopped()  # the Update supersedes whatever this resource was waiting for
    apply_calls(world, bundle_id=OTHER, before="wsi-otherold01", request_type="Update")
    world.run(
        bundle_image_event("Update", bundle_image_props(bundle_id=OTHER), physical_id=RECORD, old=bundle_image_props())
    )
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("SUCCESS", f"{OTHER}:wsi-otherold01")
    assert {e.resource_id for e in world.recorded("ApplyResource")} == {BUNDLE, OTHER}


def test_a_failed_move_to_another_bundle_points_that_bundle_back(world: World) -> None:
    applied(world)
    world.template_names(BUNDLE, OTHER)
    world.watch_stopped()  # the Update supersedes whatever this resource was waiting for
    apply_calls(world, bundle_id=OTHER, before="wsi-otherold01", request_type="Update", state="ERROR")
    restored(world, OTHER, "wsi-otherold01")  # CloudFormation forgets the new record: no Delete would
    world.run(
        bundle_image_event("Update", bundle_image_props(bundle_id=OTHER), physical_id=RECORD, old=bundle_image_props())
    )
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", RECORD)
    assert {e.resource_id for e in world.recorded("ApplyResource")} == {BUNDLE}, "OTHER is as it was"


def test_delete_restores_the_previous_image_and_removes_the_marker(world: World) -> None:
    applied(world)
    world.watch_stopped()
    world.describe_bundle(BUNDLE, bundle(BUNDLE, image_id=NEW))
    carries_marker(world)
    restored(world, BUNDLE, OLD_IMAGE)
    world.run(bundle_image_event("Delete", bundle_image_props(), physical_id=RECORD))
    assert world.response()["Status"] == "SUCCESS"
    assert world.news() == [
        moved("ApplyResource", BUNDLE, NEW, OLD_IMAGE),
        moved("ApplyResource", BUNDLE, OLD_IMAGE, NEW),
    ]
    assert world.recorded("ApplyResource") == [], "the restored re-point leaves the record"


@pytest.mark.parametrize(
    "raw",
    [None, bundle(BUNDLE, image_id="wsi-someoneelse1"), bundle(BUNDLE, image_id=OLD_IMAGE)],
    ids=["bundle gone", "re-pointed by someone since", "already restored"],
)
def test_delete_leaves_a_bundle_that_no_longer_carries_the_applied_image(
    world: World, raw: dict[str, object] | None
) -> None:
    applied(world)
    world.watch_stopped()
    world.describe_bundle(BUNDLE, raw)
    if raw is not None:
        carries_marker(world)
    world.run(bundle_image_event("Delete", bundle_image_props(), physical_id=RECORD))
    assert world.response()["Status"] == "SUCCESS"


def test_a_delete_after_a_failed_apply_touches_nothing(world: World) -> None:
    world.watch_stopped()
    world.run(bundle_image_event("Delete", bundle_image_props(), physical_id="not-created:ApplyResource"))
    assert world.response()["Status"] == "SUCCESS"


def test_a_restore_whose_previous_image_is_gone_fails_saying_what_to_do(world: World) -> None:
    applied(world)
    world.watch_stopped()
    world.describe_bundle(BUNDLE, bundle(BUNDLE, image_id=NEW))
    carries_marker(world)
    world.ws.add_client_error("update_workspace_bundle", "ResourceNotFoundException", "no such image")
    world.run(bundle_image_event("Delete", bundle_image_props(), physical_id=RECORD))
    answer = world.response()
    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith(
        f"bundle {BUNDLE} could not be pointed back at its previous image {OLD_IMAGE}: bundle {BUNDLE} or image "
        f"{OLD_IMAGE} was not found by UpdateWorkspaceBundle (ResourceNotFoundException: no such image); point the "
        "bundle at an image yourself and delete again"
    )


def test_the_response_url_is_never_part_of_a_bundle_watch_log(world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    p = bundle_props()
    world.fresh_bundle(p, new_state="PENDING")
    world.watch_started()
    world.run(bundle_event("Create", p))
    world.describe_bundle(BUNDLE, bundle(BUNDLE))
    world.watch_stopped()
    world.tick()
    assert RESPONSE_URL not in caplog.text
