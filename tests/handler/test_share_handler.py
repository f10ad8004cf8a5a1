"""share_with_accounts at run time (issue 12), through the Stubber: every call checked against the API model.

Each of these fails on the code before issue 12, which refused ShareWithAccounts as an unknown property.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from support import STACK_ID
from support.handler import (
    HANDLE_URL,
    NEW,
    World,
    available_signal,
    event,
    handle_url,
    image,
    owner_tag,
    props,
    response_url,
)

from cdk_workspaces_image_handler import contract, index
from cdk_workspaces_image_handler.image import parse_request
from cdk_workspaces_image_handler.kernel import Ownership

A, B, C, THEIRS = "444455556666", "777788889999", "222233334444", "210987654321"
OWN = "111122223333"  # the account of support.STACK_ID


def shared(*accounts: str) -> dict[str, Any]:
    return props(ShareWithAccounts=list(accounts))


def permissions(world: World, image_id: str, *accounts: str) -> None:
    world.ws.add_response(
        "describe_workspace_image_permissions",
        {"ImageId": image_id, "ImagePermissions": [{"SharedAccountId": a} for a in accounts]},
        {"ImageId": image_id},
    )


def grant(world: World, image_id: str, account: str, *, allow: bool = True) -> None:
    world.ws.add_response(
        "update_workspace_image_permission",
        {},
        {"ImageId": image_id, "AllowCopyImage": allow, "SharedAccountId": account},
    )


def ours(world: World, properties: dict[str, Any], image_id: str = NEW) -> None:
    world.tags(image_id, {contract.OWNER_TAG_KEY: owner_tag(properties, request_type="Create")})


def made(world: World, properties: dict[str, Any], *granted: str, image_id: str = NEW) -> None:
    """The record of an image this resource's Create made and shared with `granted` (record.py keeps each grant)."""
    world.record(image_id, tag=owner_tag(properties, request_type="Create"), shared_with=granted)


def test_the_image_is_shared_once_available_and_only_then_signalled(world: World) -> None:
    p = shared(A, B)
    world.fresh_create(p)
    world.watch_started()
    world.run(event("Create", p))
    assert world.response()["Status"] == "SUCCESS"
    assert not world.sent, "nothing is shared, and nobody told, while the image is PENDING"

    world.clock.advance(60)
    world.describe(NEW, image(NEW, state="AVAILABLE"))
    ours(world, p)
    permissions(world, NEW)
    grant(world, NEW, A)
    grant(world, NEW, B)
    world.watch_stopped()
    world.tick()
    assert world.signal() == available_signal(NEW)


def test_a_share_refused_is_taken_back_and_fails_the_wait_naming_the_account_and_says_so_on_the_bus(
    world: World,
) -> None:
    p = shared(A, B)
    world.fresh_create(p, new_state="AVAILABLE")
    ours(world, p)
    permissions(world, NEW)
    grant(world, NEW, A)
    world.ws.add_client_error(
        "update_workspace_image_permission",
        "InvalidParameterValuesException",
        "The account does not exist.",
        400,
        expected_params={"ImageId": NEW, "AllowCopyImage": True, "SharedAccountId": B},
    )
    grant(world, NEW, A, allow=False)  # taken back: a failed share leaves the image shared as it was
    world.run(event("Create", p))
    assert world.response()["Status"] == "SUCCESS"  # the wait condition fails instead, and the stack rolls back
    signal = world.signal()
    assert signal["Status"] == "FAILURE"
    assert signal["Reason"].startswith(
        f"share_with_accounts (ShareWithAccounts): image {NEW} could not be shared with account {B}: "
        f"WorkSpaces refused UpdateWorkspaceImagePermission for image {NEW} and account {B}; check that the "
        "account id is right"
    )
    assert signal["Reason"].endswith("(InvalidParameterValuesException: The account does not exist.)")
    ((detail_type, detail),) = world.news()
    assert (detail_type, detail["Failure"], detail["State"]) == (
        contract.DetailTypes.IMAGE_FAILED,
        contract.Failures.SHARE,
        "AVAILABLE",
    )


def test_the_rollback_delete_removes_the_permissions_granted_then_deletes_the_image(world: World) -> None:
    p = shared(A, B)
    made(world, p, A, B)  # B's grant was recorded, then refused
    world.watch_stopped()
    ours(world, p)
    permissions(world, NEW, A)  # B was never granted
    grant(world, NEW, A, allow=False)
    world.ws.add_response("delete_workspace_image", {}, {"ImageId": NEW})
    world.run(event("Delete", p, physical_id=NEW))
    assert world.response()["Status"] == "SUCCESS"
    assert world.recorded() == []


def test_an_image_an_earlier_version_made_and_shared_is_adopted_with_its_grants_and_unshared_before_its_delete(
    world: World,
) -> None:
    """Before the record, an image was known by its tag only: adopting it (CloudFormation holds it for this logical id)
    takes the accounts of its properties as this resource's grants, so the Delete removes them and can delete it."""
    p = shared(A)
    world.watch_stopped()
    ours(world, p)  # adopted: an earlier version made it
    ours(world, p)  # read again right before the delete
    permissions(world, NEW, A)
    grant(world, NEW, A, allow=False)
    world.ws.add_response("delete_workspace_image", {}, {"ImageId": NEW})
    world.run(event("Delete", p, physical_id=NEW))
    assert world.response()["Status"] == "SUCCESS"
    assert world.recorded() == []


def test_a_delete_never_removes_a_share_it_did_not_make_and_keeps_the_image(world: World) -> None:
    p = shared(A)
    made(world, p, A)
    world.watch_stopped()
    ours(world, p)
    permissions(world, NEW, A, THEIRS)
    world.run(event("Delete", p, physical_id=NEW))  # no UpdateWorkspaceImagePermission, no DeleteWorkspaceImage
    answer = world.response()
    assert answer["Status"] == "FAILED"
    assert answer["Reason"] == (
        f"image {NEW} is shared with accounts {THEIRS}, which share_with_accounts does not name; it is kept, since "
        "someone outside this stack relies on it: unshare it from them (UpdateWorkspaceImagePermission) and delete "
        "it again, or delete it yourself"
    )


def test_a_changed_list_adds_and_removes_permissions_in_place(world: World) -> None:
    old, new = shared(A, B), shared(B, C)
    made(world, old, A, B)
    world.describe(NEW, image(NEW, state="AVAILABLE"))
    world.tags(NEW, {contract.OWNER_TAG_KEY: owner_tag(old, request_type="Create")})
    permissions(world, NEW, A, B, THEIRS)
    grant(world, NEW, C)
    grant(world, NEW, A, allow=False)  # THEIRS is someone else's: left alone
    world.run(event("Update", new, physical_id=NEW, old=old))
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("SUCCESS", NEW), "no new image"
    assert [e.shared_with for e in world.recorded()] == [(B, C)]


def test_an_account_the_template_does_not_name_is_never_granted_whatever_the_request_says(world: World) -> None:
    """While CloudFormation waits for the resource, whoever may invoke the function can send an Update it confirms
    (issue 20): the accounts it may share with are the template's (SHARE_ACCOUNTS), not the request's. Before, the
    account a request named was granted."""
    old, new = shared(A), shared(A, THEIRS)
    made(world, old, A)
    world.describe(NEW, image(NEW, state="AVAILABLE"))
    world.tags(NEW, {contract.OWNER_TAG_KEY: owner_tag(old, request_type="Create")})
    permissions(world, NEW, A)
    world.run(event("Update", new, physical_id=NEW, old=old))  # no UpdateWorkspaceImagePermission
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", NEW)
    assert answer["Reason"].startswith(
        f"share_with_accounts (ShareWithAccounts): account {THEIRS} is not one this stack's template shares with"
    )
    assert [e.shared_with for e in world.recorded()] == [(A,)]


def test_a_rollback_may_share_again_with_an_account_the_record_granted_though_the_template_dropped_it(
    world: World,
) -> None:
    """The update that dropped B failed later, and CloudFormation rolls the list back while the provider's
    environment is still the new template's: B was this resource's grant, so it is granted again."""
    world.template_shares(A)
    before, after = shared(A, B), shared(A)
    made(world, before, A, B)
    world.describe(NEW, image(NEW, state="AVAILABLE"))
    world.tags(NEW, {contract.OWNER_TAG_KEY: owner_tag(before, request_type="Create")})
    permissions(world, NEW, A)
    grant(world, NEW, B)
    world.run(event("Update", before, physical_id=NEW, old=after))
    assert world.response()["Status"] == "SUCCESS"
    assert [e.shared_with for e in world.recorded()] == [(A, B)]


def test_a_changed_list_is_never_applied_to_an_image_of_another_resource(world: World) -> None:
    """Not in the record: the tag read to see whether an earlier version of the provider made it names another
    resource, so the image is neither adopted nor shared."""
    old, new = shared(A), shared(A, B)
    theirs = {contract.OWNER_TAG_KEY: owner_tag(old, logical_id="SomeoneElse", request_type="Create")}
    world.tags(NEW, theirs)
    world.describe(NEW, image(NEW, state="AVAILABLE"))
    world.run(event("Update", new, physical_id=NEW, old=old))  # no UpdateWorkspaceImagePermission
    answer = world.response()
    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith(f"image {NEW} is not in the provider's record of what this resource made, so")
    assert world.recorded() == []


def test_a_changed_list_is_never_applied_to_a_recorded_image_whose_tag_names_another_resource(world: World) -> None:
    old, new = shared(A), shared(A, B)
    made(world, old, A)
    world.describe(NEW, image(NEW, state="AVAILABLE"))
    world.tags(NEW, {contract.OWNER_TAG_KEY: owner_tag(old, logical_id="SomeoneElse", request_type="Create")})
    world.run(event("Update", new, physical_id=NEW, old=old))  # no UpdateWorkspaceImagePermission
    answer = world.response()
    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith(f"image {NEW} is not in the provider's record of what this resource made, so")


def test_the_stacks_own_account_is_refused_in_the_words_synth_uses(world: World) -> None:
    world.watch_stopped()
    world.run(event("Create", shared(A, OWN)))
    answer = world.response()
    assert answer["Status"] == "FAILED"
    assert answer["Reason"] == (
        f"share_with_accounts (ShareWithAccounts) names {OWN}, the stack's own account; an image is shared with "
        "other accounts"
    )


def test_without_a_wait_condition_the_answer_waits_until_the_image_is_shared(world: World) -> None:
    p = shared(A)
    del p["WaitHandle"]
    world.fresh_create(p)
    world.watch_started()
    world.run(event("Create", p))
    assert world.sent == [], "the image is not shared yet, so nobody may use it"
    world.clock.advance(60)
    world.describe(NEW, image(NEW, state="AVAILABLE"))
    ours(world, p)
    permissions(world, NEW)
    grant(world, NEW, A)
    world.watch_stopped()
    world.tick()
    assert world.response()["Status"] == "SUCCESS"
    assert HANDLE_URL not in [url for url, _ in world.sent]


# ---------------------------------------------------------------- BYOL in AWS GovCloud (US)

GOV_STACK = STACK_ID.replace("eu-west-1", "us-gov-west-1")
GOV_RESPONSE, GOV_HANDLE = response_url("us-gov-west-1"), handle_url(region="us-gov-west-1")


def in_govcloud(world: World, request_type: str, properties: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """The same request from a stack in us-gov-west-1, whose provider that stack's is: CloudFormation's URLs there
    are its buckets of that Region."""
    assert index.deps is not None  # each World wires its own
    index.deps = dataclasses.replace(index.deps, stack_id=GOV_STACK)
    ev = event(request_type, {**properties, "WaitHandle": GOV_HANDLE}, **kwargs)
    ev["StackId"] = GOV_STACK
    ev["ResponseURL"] = GOV_RESPONSE
    if "OldResourceProperties" in ev:
        ev["OldResourceProperties"]["WaitHandle"] = GOV_HANDLE
    return ev


def gov_tag(properties: dict[str, Any]) -> str:
    return Ownership.of(GOV_STACK, "GoldenResource", parse_request(properties, check=False), "Create-request").tag_value


def test_a_byol_image_in_govcloud_is_refused_before_any_grant_but_may_always_be_unshared(world: World) -> None:
    old, new = shared(A), shared(A, B)
    byol = image(NEW, state="AVAILABLE", RequiredTenancy="DEDICATED")
    world.record(NEW, tag=gov_tag(old), shared_with=(A,))
    world.describe(NEW, byol)
    world.tags(NEW, {contract.OWNER_TAG_KEY: gov_tag(old)})
    permissions(world, NEW, A)
    world.run(in_govcloud(world, "Update", new, physical_id=NEW, old=old))  # no UpdateWorkspaceImagePermission
    answer = world.response(GOV_RESPONSE)
    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith(f"image {NEW} is a Bring Your Own License image (RequiredTenancy DEDICATED)")

    world.describe(NEW, byol)
    world.tags(NEW, {contract.OWNER_TAG_KEY: gov_tag(old)})
    permissions(world, NEW, A)
    grant(world, NEW, A, allow=False)
    world.run(in_govcloud(world, "Update", props(), physical_id=NEW, old=old))
    assert world.response(GOV_RESPONSE)["Status"] == "SUCCESS"
    assert [e.shared_with for e in world.recorded()] == [()]
