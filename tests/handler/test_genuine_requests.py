"""Issue 20, "Trust only genuine requests and the stack's own record", through the real handler.

Anyone allowed ``lambda:InvokeFunction`` on the provider can send it an event shaped like a custom resource request,
with the stack's own StackId, any ResponseURL and any WaitHandle; anyone allowed ``workspaces:CreateTags`` can put
this resource's ownership tag on any image. Each test is named for the chain it closes: the handler before issue 20
made the call the docstring names, which the Stubber here fails on (every WorkSpaces, EventBridge and CloudFormation
call is expected, in order, and nothing else).

CloudFormation's view of a forged request is set by the test itself (`world.stack_resource`, `world.stack_status`)
and the request run with ``genuine=False``.
"""

from __future__ import annotations

from typing import Any

import pytest
from support import STACK_ID
from support.handler import (
    HANDLE_URL,
    IMAGE_TYPE,
    NEW,
    RESPONSE_URL,
    SOURCE,
    T0,
    WATCH_TABLE,
    Context,
    World,
    available_signal,
    bundle_image_event,
    bundle_image_props,
    bundle_props,
    event,
    handle_url,
    image,
    owner_tag,
    props,
    response_url,
)

from cdk_workspaces_image_handler import contract, index

ATTACKER = "210987654321"
A, B = "444455556666", "777788889999"
OLDER = "wsi-older00001"
NEXT = "wsi-updated0002"
FOREIGN_BUNDLE = "wsb-foreign001"


def answered(world: World) -> dict[str, Any]:
    """The one answer sent, which went to the request's own (CloudFormation's) ResponseURL. A refusal's reason goes
    to whoever sent the request: it never names the stack."""
    assert [url for url, _ in world.sent] == [RESPONSE_URL]
    answer = world.response()
    assert STACK_ID not in answer["Reason"]
    return answer


def says(
    world: World, logical_id: str, resource_type: str, resource_status: str, physical: str | None, stack: str
) -> None:
    """What CloudFormation says of the stack and of `logical_id` while it sends no such request."""
    world.stack_resource(logical_id, resource_type, resource_status, physical)
    world.stack_status(stack)


def ops(client: Any) -> list[str]:
    """The operations `client` is asked for from now on, in order, as botocore names them."""
    seen: list[str] = []
    # Before the Stubber's before-call, which answers and so ends that event's handlers.
    client.meta.events.register("before-parameter-build.*.*", lambda model, **_: seen.append(model.name))
    return seen


# ---------------------------------------------------------------- requests CloudFormation does not stand behind


def test_a_forged_update_adding_share_with_accounts_for_the_live_image_shares_nothing_and_is_answered_failed(
    world: World,
) -> None:
    """Before: the Update re-shared the live image in place: DescribeWorkspaceImages, DescribeTags,
    DescribeWorkspaceImagePermissions, then UpdateWorkspaceImagePermission for the attacker's account."""
    world.created(props())
    forged = event("Update", props(ShareWithAccounts=[ATTACKER]), physical_id=NEW, old=props())
    says(world, "GoldenResource", IMAGE_TYPE, "UPDATE_COMPLETE", NEW, stack="UPDATE_COMPLETE")
    world.run(forged, genuine=False)  # no WorkSpaces call at all
    answer = answered(world)
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", NEW)
    assert answer["Reason"].startswith("the stack is UPDATE_COMPLETE, an operation in which CloudFormation sends no")
    assert [e.shared_with for e in world.recorded()] == [()]


@pytest.mark.parametrize(
    ("stack", "resource"),
    [("UPDATE_COMPLETE", "UPDATE_COMPLETE"), ("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "CREATE_COMPLETE")],
    ids=["stack-at-rest", "during-another-resources-cleanup"],
)
def test_a_forged_delete_of_the_live_image_deletes_nothing(world: World, stack: str, resource: str) -> None:
    """Before: DescribeTags found this resource's tag on the live image, and DeleteWorkspaceImage deleted it."""
    world.created(props())
    says(world, "GoldenResource", IMAGE_TYPE, resource, NEW, stack=stack)
    world.run(event("Delete", props(), physical_id=NEW), genuine=False)  # no DeleteWorkspaceImage
    answer = answered(world)
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", NEW)
    assert world.recorded_ids() == {NEW}


def test_a_forged_cleanup_delete_naming_an_image_the_record_does_not_hold_deletes_nothing(world: World) -> None:
    """A real update's cleanup phase, and a Delete naming an image that carries this resource's tag (anyone may write
    it) but that the record does not hold. Before: DescribeTags, then DeleteWorkspaceImage."""
    world.created(props())
    victim = "wsi-victim00001"
    says(world, "GoldenResource", IMAGE_TYPE, "UPDATE_COMPLETE", NEW, stack="UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
    world.run(event("Delete", props(), physical_id=victim), genuine=False)  # no DescribeTags, no delete
    answer = answered(world)
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", victim)
    assert answer["Reason"].startswith(f"{victim} is not the resource CloudFormation holds for GoldenResource")


def test_a_forged_cleanup_delete_naming_an_earlier_image_the_record_holds_deletes_nothing(world: World) -> None:
    """During a real update's cleanup, a Delete naming an earlier image of this very resource that a removal policy or
    keep_previous kept (the record holds it, its tag is right): only the id the update replaced may be deleted then.
    Before the record kept which id each replacement replaced, any recorded id was accepted in a cleanup."""
    world.created(props())
    world.record(OLDER, tag=owner_tag(props(), request_type="Create"))
    says(world, "GoldenResource", IMAGE_TYPE, "UPDATE_COMPLETE", NEW, stack="UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
    world.run(event("Delete", props(), physical_id=OLDER), genuine=False)  # no DescribeTags, no delete
    answer = answered(world)
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", OLDER)
    assert answer["Reason"].startswith(f"{OLDER} is not the resource CloudFormation holds for GoldenResource")
    assert world.recorded_ids() == {NEW, OLDER}


def test_a_forged_create_under_a_new_logical_id_makes_no_image(world: World) -> None:
    """While a real update runs. Before: DescribeWorkspaceImages of the source, CreateUpdatedWorkspaceImage."""
    forged = event("Create", props(), logical_id="Forged")
    says(world, "Forged", "", "", None, stack="UPDATE_IN_PROGRESS")
    world.run(forged, genuine=False)
    answer = answered(world)
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", "not-created:Forged")
    assert answer["Reason"].startswith("CloudFormation knows no resource Forged in this stack")
    assert world.recorded("Forged") == []


def test_a_forged_bundle_image_create_under_an_unknown_logical_id_re_points_nothing_and_writes_no_marker(
    world: World,
) -> None:
    """Before: DescribeWorkspaceBundles, DescribeTags, CreateTags of the marker, UpdateWorkspaceBundle."""
    forged = bundle_image_event("Create", bundle_image_props()) | {"LogicalResourceId": "ForgedApply"}
    says(world, "ForgedApply", "", "", None, stack="UPDATE_IN_PROGRESS")
    world.run(forged, genuine=False)
    answer = answered(world)
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", "not-created:ForgedApply")
    assert world.recorded("ForgedApply") == []


def test_a_genuine_looking_create_naming_a_bundle_the_template_does_not_name_writes_no_marker(world: World) -> None:
    """CloudFormation confirms the request (a template may be anyone's who may update the stack), but the bundle is
    not one the provider's own template names for apply_to_bundle. Before: the marker, then UpdateWorkspaceBundle."""
    world.run(bundle_image_event("Create", bundle_image_props(bundle_id=FOREIGN_BUNDLE)))  # no WorkSpaces call
    answer = answered(world)
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", "not-created:ApplyResource")
    assert answer["Reason"].startswith(f"bundle {FOREIGN_BUNDLE} is not a bundle this stack's apply_to_bundle names")
    assert world.recorded("ApplyResource") == []


def test_a_forged_update_with_a_new_wait_handle_while_the_resource_is_update_complete_leaves_the_genuine_wait(
    world: World,
) -> None:
    """The genuine wait signals the stack's own handle once the image is AVAILABLE. Before: the forged Update stopped
    it and started one that would signal the forger's handle instead."""
    p = props()
    world.fresh_create(p)
    world.watch_started()
    world.run(event("Create", p))
    world.response()
    genuine = world.waits()

    forged = event("Update", props(WaitHandle=handle_url("forged")), physical_id=NEW, old=p)
    says(world, "GoldenResource", IMAGE_TYPE, "UPDATE_COMPLETE", NEW, stack="UPDATE_COMPLETE")
    world.run(forged, genuine=False)
    assert answered(world)["Status"] == "FAILED"
    assert world.waits() == genuine

    world.describe(NEW, image(NEW))
    world.watch_stopped()
    world.tick()
    assert world.signal(HANDLE_URL) == available_signal(NEW)


def test_a_wait_handle_that_is_not_one_of_the_stacks_handles_is_refused(world: World) -> None:
    """A presigned URL of CloudFormation's own bucket, but another stack's handle. Before: the image was made and the
    other stack's wait condition signalled with it."""
    theirs = handle_url("another-stacks-handle")
    create = event("Create", props(WaitHandle=theirs))
    world.confirms(create, handles=(HANDLE_URL,))
    world.run(create, genuine=False)  # no WorkSpaces call
    answer = answered(world)
    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith("WaitHandle is not the URL of a WaitConditionHandle of this stack")
    assert world.recorded() == []


@pytest.mark.parametrize(
    "url",
    [
        "https://attacker.example/handle",
        "http://cloudformation-waitcondition-eu-west-1.s3.eu-west-1.amazonaws.com/handle",
        "https://cloudformation-waitcondition-eu-west-1.s3.eu-west-1.amazonaws.com.attacker.example/handle",
    ],
    ids=["another-host", "http", "s3-lookalike-host"],
)
def test_a_wait_handle_on_another_host_is_refused_before_anything_is_made(world: World, url: str) -> None:
    """Before: the image was made, and the handle PUT to once it was AVAILABLE."""
    create = event("Create", props(WaitHandle=url))
    says(world, "GoldenResource", IMAGE_TYPE, "CREATE_IN_PROGRESS", None, stack="CREATE_IN_PROGRESS")
    world.run(create, genuine=False)  # nor ListStackResources: the host alone refuses it
    answer = answered(world)
    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith("WaitHandle is not")
    assert "attacker" not in answer["Reason"], "a URL is a credential: never quoted"


@pytest.mark.parametrize(
    "url",
    [
        "http://cloudformation-custom-resource-response-euwest1.s3.eu-west-1.amazonaws.com/r",
        "ftp://cloudformation-custom-resource-response-euwest1.s3.eu-west-1.amazonaws.com/r",
        "file:///etc/passwd",
        "https://attacker.example/r",
        "https://cloudformation-custom-resource-response-euwest1.s3.eu-west-1.amazonaws.com:8443/r",
        "https://attacker@cloudformation-custom-resource-response-euwest1.s3.eu-west-1.amazonaws.com/r",
        response_url("us-east-1"),
    ],
    ids=["http", "ftp", "file", "another-host", "a-port", "a-user", "another-regions-bucket"],
)
def test_a_response_url_that_is_not_cloudformations_gets_no_put_and_no_aws_call(world: World, url: str) -> None:
    """The Delete of the live image, answered wherever its ResponseURL said. Before: DescribeTags and
    DeleteWorkspaceImage, then a PUT of the answer to that URL (a request forger's server, or a local file)."""
    world.created(props())
    world.run(event("Delete", props(), physical_id=NEW) | {"ResponseURL": url}, genuine=False)  # returns: no retry
    assert world.sent == []
    assert world.recorded_ids() == {NEW}


def test_a_refused_request_whose_answer_is_not_delivered_is_not_tried_again(world: World) -> None:
    """A forged request's URL may well refuse the FAILED answer: the invocation ends all the same, rather than fail
    and have Lambda deliver the forgery twice more."""
    attempts: list[str] = []

    def refuse(url: str, body: Any) -> None:
        attempts.append(body["Status"])
        raise RuntimeError("HTTP 403")

    assert index.deps is not None
    index.deps.send = refuse
    says(world, "Forged", "", "", None, stack="UPDATE_IN_PROGRESS")
    world.run(event("Create", props(), logical_id="Forged"), genuine=False)  # returns: no Lambda retry
    assert attempts == ["FAILED"]


def test_a_request_cloudformation_cannot_be_asked_about_does_nothing(world: World) -> None:
    """The provider role may not read its stack (a policy someone narrowed): nothing is believed, and the reason says
    which permission to check."""
    world.cf.add_client_error("describe_stack_resource", "AccessDenied", "not authorized", 403)
    world.run(event("Delete", props(), physical_id=NEW), genuine=False)  # no WorkSpaces call
    answer = answered(world)
    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith("the request could not be confirmed with CloudFormation, so nothing was done")
    assert "cloudformation:DescribeStackResource" in answer["Reason"]


# ---------------------------------------------------------------- the record, not a tag anyone may write


def replaced_keeping_none(world: World) -> None:
    """The record holds OLDER (made two deployments ago, kept by then) and NEW (the Create's); an Update with
    keep_previous 0 replaces NEW with NEXT, PENDING."""
    old = props(KeepPrevious="0")
    new = props(SourceImageId="wsi-source0002", KeepPrevious="0", WaitHandle=handle_url("next"))
    world.record(OLDER, tag=owner_tag(props(SourceImageId="wsi-source0000"), request_type="Create"))
    world.created(old)
    world.fresh_create(new, new_id=NEXT, request_type="Update")
    world.watch_started()
    world.run(event("Update", new, physical_id=NEW, old=old))
    assert world.response()["PhysicalResourceId"] == NEXT


def test_an_image_carrying_a_forged_ownership_tag_is_never_deleted_by_retention(world: World) -> None:
    """The account also holds wsi-forged0001, tagged with this resource's ownership tag by someone else. Before:
    retention listed the account's images (DescribeWorkspaceImages OWNED) and deleted every one carrying the tag.
    Now it ranks what the record holds, described by id: the Stubber expects no listing, and no delete of it."""
    replaced_keeping_none(world)
    world.describe(NEXT, image(NEXT))
    recorded = [image(OLDER, created=T0 - 60 * 86400), image(NEW), image(NEXT)]
    world.ws.add_response("describe_workspace_images", {"Images": recorded}, {"ImageIds": [OLDER, NEW, NEXT]})
    world.ws.add_response("describe_workspace_bundles", {"Bundles": []}, {})
    world.ws.add_response("describe_workspace_image_permissions", {"ImagePermissions": []}, {"ImageId": OLDER})
    world.tags(OLDER, {contract.OWNER_TAG_KEY: owner_tag(props(SourceImageId="wsi-source0000"), request_type="Create")})
    world.ws.add_response("delete_workspace_image", {}, {"ImageId": OLDER})
    world.watch_stopped()
    world.tick()
    assert world.signal(handle_url("next")) == available_signal(NEXT)
    _, retention = world.news()[-1]
    assert retention["Deleted"] == [OLDER]
    assert [kept["ImageId"] for kept in retention["Kept"]] == [NEW], "the replaced image: the stack may roll back"
    assert world.recorded_ids() == {NEW, NEXT}


def test_an_image_carrying_a_forged_ownership_tag_is_never_deleted_by_a_rollback_delete(world: World) -> None:
    """The rollback Delete of a Create that failed before making anything (its physical id names no image), while
    the account holds an image of the request's name carrying exactly the tag that request would have written.
    Before: the Delete listed the account's images, found the tag, and deleted the image. Now the record says the
    request made nothing: no call at all."""
    world.watch_stopped()
    world.run(event("Delete", props(), physical_id="not-created:GoldenResource"))  # no listing, no delete
    assert answered(world)["Status"] == "SUCCESS"


def test_dropping_an_account_unshares_it_from_an_earlier_recorded_image_that_still_exists(world: World) -> None:
    """OLDER, kept by keep_previous, was shared with A and B like NEW. Before: only the current image stopped being
    shared with B, and OLDER stayed copyable by B for as long as it existed. An earlier image that is gone leaves the
    record."""
    old, new = props(ShareWithAccounts=[A, B]), props(ShareWithAccounts=[A])
    tag = owner_tag(old, request_type="Create")
    world.record(OLDER, tag=tag, shared_with=(A, B))
    world.record("wsi-gone000001", tag=tag, shared_with=(B,))
    world.record(NEW, tag=tag, shared_with=(A, B))
    world.describe(NEW, image(NEW))
    world.tags(NEW, {contract.OWNER_TAG_KEY: tag})
    world.ws.add_response(
        "describe_workspace_image_permissions",
        {"ImagePermissions": [{"SharedAccountId": A}, {"SharedAccountId": B}]},
        {"ImageId": NEW},
    )
    unshare = {"AllowCopyImage": False, "SharedAccountId": B}
    world.ws.add_response("update_workspace_image_permission", {}, {"ImageId": NEW, **unshare})
    world.ws.add_client_error(
        "describe_workspace_image_permissions", "ResourceNotFoundException", "gone", 400, {"ImageId": "wsi-gone000001"}
    )
    world.ws.add_response(
        "describe_workspace_image_permissions",
        {"ImagePermissions": [{"SharedAccountId": A}, {"SharedAccountId": B}]},
        {"ImageId": OLDER},
    )
    world.ws.add_response("update_workspace_image_permission", {}, {"ImageId": OLDER, **unshare})
    world.run(event("Update", new, physical_id=NEW, old=old))
    assert answered(world)["Status"] == "SUCCESS"
    assert {e.resource_id: e.shared_with for e in world.recorded()} == {OLDER: (A,), NEW: (A,)}


# ---------------------------------------------------------------- what is neither a request nor a tick


@pytest.mark.parametrize(
    "stray",
    [
        {},
        {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}},
        {"RequestType": "Create"},
        {
            "RequestType": "Sideways",
            "ResponseURL": RESPONSE_URL,
            "StackId": "s",
            "RequestId": "r",
            "LogicalResourceId": "L",
        },
        {
            "RequestType": "Delete",
            "ResponseURL": RESPONSE_URL,
            "StackId": ["s"],
            "RequestId": "r",
            "LogicalResourceId": "L",
        },
        [],
        "Create",
        None,
    ],
    ids=[
        "empty",
        "scheduled-event",
        "request-type-only",
        "unknown-request-type",
        "non-string-field",
        "list",
        "text",
        "null",
    ],
)
def test_a_stray_event_returns_without_raising_and_makes_no_call(world: World, stray: Any) -> None:
    """Before: crhelper took it for a request, failed on what it lacks (KeyError 'StackId') and answered FAILED to
    the ResponseURL of the last request the container had seen; an event that is no mapping raised, so Lambda
    delivered it twice more."""
    index.handler(stray, Context())
    for stubber in (world.ws, world.ev, world.cf):
        stubber.assert_no_pending_responses()
    assert world.sent == []
    assert world.table.items(WATCH_TABLE) == []


# ---------------------------------------------------------------- creating without listing the account


def test_a_create_makes_exactly_three_workspaces_calls_however_many_images_the_account_holds(world: World) -> None:
    """Before: DescribeWorkspaceImages(OWNED), one DescribeTags per image of the same name, and again after the
    create: a call count that grew with the account."""
    seen = ops(world.ws_client)
    p = props()
    world.fresh_create(p)
    world.watch_started()
    world.run(event("Create", p))
    assert world.response()["PhysicalResourceId"] == NEW
    assert seen == ["DescribeWorkspaceImages", "CreateUpdatedWorkspaceImage", "DescribeWorkspaceImages"]
    assert [e.resource_id for e in world.recorded()] == [NEW]


def test_a_bundle_create_makes_exactly_two_workspaces_calls(world: World) -> None:
    seen = ops(world.ws_client)
    world.created_bundle(bundle_props())
    assert seen == ["CreateWorkspaceBundle", "DescribeWorkspaceBundles"]


def test_a_retry_of_a_create_that_died_after_the_create_call_adopts_the_image_it_made(world: World) -> None:
    """The first delivery claimed the record and called CreateUpdatedWorkspaceImage, then died before recording the
    id; its claim has expired. The retry looks for the image named like the request that carries this very request's
    tag (the other one carries an earlier request's), adopts it, and completes the record: no second image."""
    p = props()
    world.claim(p, claimed_until=world.clock.now - 1)
    earlier = owner_tag(p, request_type="Update")
    world.owned(
        [image("wsi-aaaa00001"), image(NEW, state="PENDING")],
        {
            "wsi-aaaa00001": {contract.OWNER_TAG_KEY: earlier},
            NEW: {contract.OWNER_TAG_KEY: owner_tag(p, request_type="Create")},
        },
    )
    world.describe(NEW, image(NEW, state="PENDING"))
    world.watch_started()
    world.run(event("Create", p))  # no CreateUpdatedWorkspaceImage
    assert world.response()["PhysicalResourceId"] == NEW
    assert [(e.resource_id, e.claimed_until) for e in world.recorded()] == [(NEW, T0 - 1)]


def test_a_retry_of_a_create_whose_claim_expired_without_an_image_claims_again_and_makes_one(world: World) -> None:
    p = props()
    world.claim(p, claimed_until=world.clock.now - 1)
    world.owned([image("wsi-aaaa00001")], {"wsi-aaaa00001": {}})  # nothing with this request's tag
    world.create(p)
    world.describe(NEW, image(NEW, state="PENDING"))
    world.watch_started()
    world.run(event("Create", p))
    assert world.response()["PhysicalResourceId"] == NEW
    assert world.recorded_ids() == {NEW}


def test_a_retry_while_the_claim_is_live_raises_without_answering(world: World) -> None:
    from cdk_workspaces_image_handler.errors import InFlightError

    p = props()
    world.claim(p, claimed_until=world.clock.now + 60)
    with pytest.raises(InFlightError):
        world.run(event("Create", p))  # no WorkSpaces call
    assert world.sent == []
    assert [e.resource_id for e in world.recorded()] == [""]


def test_the_source_answered_as_is_is_never_recorded_as_made(world: World) -> None:
    """USE_SOURCE answers the source image; the record must never hold it, or a Delete would delete the source."""
    p = props(NoUpdateBehavior="USE_SOURCE")
    world.describe(SOURCE, image(SOURCE))
    world.describe(SOURCE, image(SOURCE))
    world.run(event("Create", p))
    assert world.response()["PhysicalResourceId"] == SOURCE
    assert world.recorded() == []


def test_the_source_answered_as_is_is_never_adopted_even_with_a_forged_ownership_tag(world: World) -> None:
    """USE_SOURCE made the source image the physical id CloudFormation holds. Whoever may write tags can give it this
    resource's ownership tag; the stack's delete must still leave the source alone (it is never taken into the
    record as something an earlier version made)."""
    p = props(NoUpdateBehavior="USE_SOURCE")
    # Its tag is not even read (the Stubber fails on a DescribeTags), so whatever it says cannot count; before, the
    # tag was read and, being this resource's, the source was adopted and then deleted.
    world.run(event("Delete", p, physical_id=SOURCE))  # no DescribeTags, no DeleteWorkspaceImage
    assert (world.response()["Status"], world.recorded()) == ("SUCCESS", [])
