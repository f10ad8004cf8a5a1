"""Sharing decisions (issue 12), as pure functions of what the handler has read: no mocks."""

from __future__ import annotations

from cdk_workspaces_image_handler.contract import Failures
from cdk_workspaces_image_handler.image import ImageRequest, parse_request, plan_update, wait_ended
from cdk_workspaces_image_handler.kernel import Outcome
from cdk_workspaces_image_handler.retention import Retention, protect
from cdk_workspaces_image_handler.sharing import SharePlan, byol_share_problem, plan_sharing, plan_unshare, stack_place
from cdk_workspaces_image_handler.watch import Watch
from cdk_workspaces_image_handler.workspaces import Image

A, B, C, THEIRS = "111122223333", "444455556666", "777788889999", "210987654321"
STACK = "arn:aws:cloudformation:eu-west-1:123456789012:stack/s/11111111-2222-3333-4444-555555555555"


def request(*accounts: str, **more: object) -> ImageRequest:
    props = {"SourceImageId": "wsi-source0001", "Name": "n", "Description": "d", **more}
    if accounts:
        props["ShareWithAccounts"] = list(accounts)
    return parse_request(props)


def test_a_new_image_is_shared_with_every_account_it_lacks() -> None:
    assert plan_sharing([A, B], granted=[]) == SharePlan(grant=(A, B))
    assert plan_sharing([A, B], granted=[B]) == SharePlan(grant=(A,))


def test_a_changed_list_grants_the_new_accounts_and_removes_only_those_this_resource_shared() -> None:
    plan = plan_sharing([B, C], granted=[A, B, THEIRS], before=[A, B])
    assert plan == SharePlan(grant=(C,), revoke=(A,), strangers=(THEIRS,))


def test_an_account_shared_by_hand_and_then_listed_becomes_this_resources() -> None:
    assert plan_sharing([THEIRS], granted=[THEIRS], before=[]) == SharePlan()
    assert plan_unshare([THEIRS], ours=[THEIRS]) == SharePlan(revoke=(THEIRS,))


def test_before_a_delete_only_this_resources_permissions_are_removed_and_any_other_keeps_the_image() -> None:
    assert plan_unshare([B, A], ours=[A, B, C]) == SharePlan(revoke=(A, B))
    assert plan_unshare([A, THEIRS], ours=[A]) == SharePlan(revoke=(A,), strangers=(THEIRS,))
    assert plan_unshare([], ours=[A]) == SharePlan()


def test_retention_deletes_an_image_shared_only_by_this_resource_and_keeps_one_shared_by_someone_else() -> None:
    ranked = Retention(("wsi-ours", "wsi-theirs"), ())
    done = protect(ranked, {}, {"wsi-ours": [A], "wsi-theirs": [A, THEIRS]}, {"wsi-ours": [A], "wsi-theirs": [A]})
    assert done.delete == ("wsi-ours",)
    assert done.kept == (
        ("wsi-theirs", f"it is shared with accounts {THEIRS}, which share_with_accounts does not name"),
    )


def test_a_list_change_updates_in_place_and_a_reorder_changes_nothing() -> None:
    plan = plan_update(request(A), request(A, B))
    assert (plan.replace, plan.reshare) == (False, True)
    assert plan_update(request(A, B), request(B, A)).reshare is False
    assert plan_update(request(), request()).reshare is False


def test_the_list_is_read_as_cloudformation_passes_it() -> None:
    assert request(A, B).share_with_accounts == (A, B)
    assert request().share_with_accounts == ()


def test_the_stack_id_says_the_region_and_account() -> None:
    assert stack_place(STACK) == ("eu-west-1", "123456789012")
    assert stack_place("not-an-arn") == ("", "")


def test_a_byol_image_is_not_shared_across_accounts_in_govcloud() -> None:
    byol = Image("wsi-byol00001", "n", "AVAILABLE", required_tenancy="DEDICATED")
    problem = byol_share_problem("us-gov-west-1", byol)
    assert problem is not None
    assert problem.startswith("image wsi-byol00001 is a Bring Your Own License image")
    assert byol_share_problem("eu-west-1", byol) is None
    assert byol_share_problem("us-gov-west-1", Image("wsi-plain0001", "n", "AVAILABLE")) is None


def test_an_image_available_but_not_shared_is_news_of_a_failed_share() -> None:
    watch = Watch("Custom::UpdatedWorkspaceImage", "wsi-new000001", 0, "signal", "https://x", STACK, "Image")
    found = Image("wsi-new000001", "n", "AVAILABLE")
    event = wait_ended(watch, Outcome(True, False, "could not be shared"), found)
    assert (event.detail["Failure"], event.detail["State"]) == (Failures.SHARE, "AVAILABLE")


def test_retention_counts_as_this_resources_only_the_grants_the_record_holds_for_that_very_image() -> None:
    """A grant recorded for one image of the resource is no licence to unshare another: B shares the older image with
    the resource's account list of its own day, and the record holds only A for it."""
    ranked = Retention(("wsi-older",), ())
    done = protect(ranked, {}, {"wsi-older": [A, B]}, {"wsi-older": [A], "wsi-newer": [A, B]})
    assert done.delete == ()
    assert done.kept == (("wsi-older", f"it is shared with accounts {B}, which share_with_accounts does not name"),)
