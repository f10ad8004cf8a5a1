"""The handler's decisions, without AWS: create or adopt, replace or update, delete or keep, what to report."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cdk_workspaces_image_handler import errors, kernel, rules, workspaces
from cdk_workspaces_image_handler import image as image_

REQ = image_.ImageRequest("wsi-source0001", "golden", "Golden image", {"team": "euc"}, "FAIL", 10800, "https://h/1")


def test_adoption_keeps_the_smallest_id_and_drops_the_others() -> None:
    assert kernel.choose_adoption([]) == kernel.Adoption(None)
    assert kernel.choose_adoption(["wsi-b00000002", "wsi-a00000001", "wsi-b00000002"]) == kernel.Adoption(
        "wsi-a00000001", ("wsi-b00000002",)
    )


@pytest.mark.parametrize(
    ("source", "behavior", "action"),
    [
        (None, "FAIL", "fail"),
        (workspaces.Image("wsi-source0001", "s", "PENDING"), "FAIL", "fail"),
        (workspaces.Image("wsi-source0001", "s", "AVAILABLE", update_available=True), "FAIL", "create"),
        (workspaces.Image("wsi-source0001", "s", "AVAILABLE", update_available=True), "USE_SOURCE", "create"),
        (workspaces.Image("wsi-source0001", "s", "AVAILABLE"), "FAIL", "fail"),
        (workspaces.Image("wsi-source0001", "s", "AVAILABLE"), "USE_SOURCE", "use_source"),
    ],
)
def test_the_source_decides_create_use_or_fail(source: workspaces.Image | None, behavior: str, action: str) -> None:
    request = image_.ImageRequest("wsi-source0001", "golden", "Golden image", no_update_behavior=behavior)
    decision = image_.decide_source(request, source)
    assert decision.action == action
    if action == "fail":
        assert "wsi-source0001" in decision.reason


@pytest.mark.parametrize(
    ("change", "replace", "defer"),
    [
        ({"source_image_id": "wsi-source0002", "wait_handle": "https://h/2"}, True, False),
        ({"name": "golden-2", "wait_handle": "https://h/2"}, True, False),
        ({"description": "Other", "wait_handle": "https://h/2"}, True, False),
        ({"source_image_id": "wsi-source0002"}, True, True),  # a token changed: no new wait condition
        ({"tags": {"team": "vdi"}}, False, False),
        ({"no_update_behavior": "USE_SOURCE"}, False, False),
    ],
)
def test_only_what_the_api_takes_at_creation_replaces(change: dict[str, object], replace: bool, defer: bool) -> None:
    new = image_.ImageRequest(**{**REQ.__dict__, **change})
    plan = image_.plan_update(REQ, new)
    assert (plan.replace, plan.defer_answer) == (replace, defer)


def test_a_tags_update_sets_what_changed_and_deletes_what_went() -> None:
    old = image_.ImageRequest("wsi-source0001", "n", "d", {"a": "1", "b": "2", "c": "3"})
    new = image_.ImageRequest("wsi-source0001", "n", "d", {"a": "1", "b": "20", "z": "9"})
    plan = image_.plan_update(old, new)
    assert (dict(plan.tags.to_set), plan.tags.to_delete, plan.resignal) == ({"b": "20", "z": "9"}, ("c",), False)


def test_delete_only_what_this_resource_made() -> None:
    key = kernel.resource_key("stack", "Logical")
    mine = kernel.Ownership("guid", "x", "y")
    assert not kernel.plan_delete("not-created:Logical", False, None, key).delete
    assert not kernel.plan_delete("wsi-source0001", False, None, key).delete
    other = f"guid.{kernel.resource_key('stack', 'Other')}.abc"
    assert not kernel.plan_delete("wsi-other00001", True, other, key).delete
    assert kernel.plan_delete("wsi-mine000001", True, f"guid.{key}.abc", key).delete
    # The record is the authority: the right tag on an image it does not hold proves nothing (anyone may write it),
    # and an image it holds that lost its tag is someone's doing worth a look.
    assert not kernel.plan_delete("wsi-forged00001", False, f"guid.{key}.abc", key).delete
    assert not kernel.plan_delete("wsi-mine000001", True, None, key).delete
    assert not kernel.made_by(None, mine.resource_key)


def test_ownership_ties_an_image_to_resource_and_request() -> None:
    a = kernel.Ownership.of("stack", "Logical", REQ)
    b = kernel.Ownership.of("stack", "Logical", image_.ImageRequest("wsi-source0002", "golden", "Golden image"))
    assert a.resource_key == b.resource_key and a.request_key != b.request_key  # noqa: PT018
    assert kernel.made_by(b.tag_value, a.resource_key) and len(a.tag_value) <= rules.MAX_TAG_VALUE  # noqa: PT018
    assert not kernel.made_by(a.tag_value, kernel.Ownership.of("stack", "Other", REQ).resource_key)


def test_the_deadline_counts_from_the_image_creation_so_retries_do_not_extend_it() -> None:
    created = datetime(2026, 11, 26, tzinfo=UTC)
    image = workspaces.Image("wsi-new0000001", "golden", "PENDING", created=created)
    later = created.timestamp() + 1800
    expected = created.timestamp() + rules.handler_wait_seconds(REQ.timeout_seconds)
    assert image_.deadline_for(image, REQ, later) == expected
    # A deferred answer must come within the custom resource's hour (lifecycle.answer_when_available).
    assert min(expected, kernel.respond_deadline(later)) == later + 3600 - 300


def test_outcomes_and_their_reasons() -> None:
    pending = workspaces.Image("wsi-new0000001", "g", "PENDING")
    assert kernel.watch_outcome("wsi-new0000001", pending, 10, 20) == kernel.Outcome(False)
    assert kernel.watch_outcome("wsi-new0000001", pending, 20, 20).reason.startswith("timed out: image wsi-new0000001")
    assert kernel.watch_outcome("wsi-new0000001", None, 0, 20).reason.endswith("(deleted while waiting for AVAILABLE)")
    gone = kernel.watch_outcome("wsi-new0000001", None, 0, 20, last_seen=" (import IMPORTING, 40%)")
    assert gone.reason.endswith("(deleted while waiting for AVAILABLE; last seen (import IMPORTING, 40%))")
    error = workspaces.Image("wsi-new0000001", "g", "ERROR", error_details=(("PendingReboot", "Reboot first"),))
    assert kernel.watch_outcome("wsi-new0000001", error, 0, 20) == kernel.Outcome(
        True, False, "image wsi-new0000001 went to ERROR - details: PendingReboot: Reboot first"
    )


@pytest.mark.parametrize(
    ("state", "now", "expected"),
    [
        ("PENDING", 10, kernel.Outcome(False)),
        ("AVAILABLE", 10, kernel.Outcome(True, True, "image wsi-new0000001 is AVAILABLE")),
        ("ERROR", 10, kernel.Outcome(True, True, "image wsi-new0000001 is ERROR")),
        (None, 10, kernel.Outcome(True, True, "image wsi-new0000001 no longer exists")),
    ],
)
def test_a_deferred_delete_ends_when_the_image_leaves_pending(state: str | None, now: float, expected: object) -> None:
    found = workspaces.Image("wsi-new0000001", "g", state) if state else None
    assert kernel.settle_outcome("wsi-new0000001", found, now, 20) == expected


def test_a_deferred_delete_still_pending_at_its_deadline_fails_saying_what_to_do() -> None:
    pending = workspaces.Image("wsi-new0000001", "g", "PENDING")
    outcome = kernel.settle_outcome("wsi-new0000001", pending, 20, 20)
    assert (outcome.done, outcome.success) == (True, False)
    assert outcome.reason.startswith("image wsi-new0000001 is still PENDING and WorkSpaces would not delete it")
    assert "once it is AVAILABLE or ERROR, delete image wsi-new0000001 yourself" in outcome.reason


def test_parse_request_reads_cloudformation_strings() -> None:
    request = image_.parse_request(
        {
            "SourceImageId": "wsi-source0001",
            "Name": "n",
            "Description": "d",
            "TimeoutSeconds": "3600",
            "Tags": [{"Key": "a", "Value": "b"}],
        }
    )
    assert (request.timeout_seconds, dict(request.tags), request.no_update_behavior) == (3600, {"a": "b"}, "FAIL")
    with pytest.raises(errors.InvalidInputError, match=r"^image_name \(Name\) is missing \(None\); it is required$"):
        image_.parse_request({"SourceImageId": "wsi-source0001", "Description": "d"})
    with pytest.raises(errors.InvalidInputError, match=r"timeout \(TimeoutSeconds\) 'soon' must be a number"):
        image_.parse_request(
            {"SourceImageId": "wsi-source0001", "Name": "n", "Description": "d", "TimeoutSeconds": "soon"}
        )


def test_the_ownership_tag_names_resource_properties_and_request() -> None:
    stack = "arn:aws:cloudformation:eu-west-1:111122223333:stack/Golden/7f0a2c1e-0000-4000-8000-000000000001"
    create = kernel.Ownership.of(stack, "Logical", REQ, "create-request")
    rollback = kernel.Ownership.of(stack, "Logical", REQ, "rollback-request")
    # The stack's GUID first, which the provider role's IAM conditions match (`<GUID>.*`).
    assert create.tag_value.startswith("7f0a2c1e-0000-4000-8000-000000000001.")
    assert create.tag_value.count(".") == 3 and len(create.tag_value) <= rules.MAX_TAG_VALUE  # noqa: PT018
    # The same resource and properties in another request: the same key and request key, another delivery key (the
    # record keeps which request made what; the tag says it to people and to adoption after an upgrade).
    assert kernel.made_by(create.tag_value, rollback.resource_key)
    assert create.tag_value.split(".")[2] == rollback.request_key
    assert create.tag_value != rollback.tag_value
    # Another stack with the same logical id and properties: not this resource's.
    elsewhere = kernel.Ownership.of(stack.replace("7f0a2c1e", "00000000"), "Logical", REQ, "create-request")
    assert not kernel.made_by(elsewhere.tag_value, create.resource_key)
    # Other properties: another request key; another resource: another resource key.
    other = kernel.Ownership.of("stack", "Logical", image_.ImageRequest("wsi-source0002", "g", "d"), "create-request")
    assert other.tag_value.split(".")[2] != create.request_key
    assert not kernel.made_by(create.tag_value, kernel.Ownership.of(stack, "Other", REQ).resource_key)
    assert not kernel.made_by(None, create.resource_key)


def test_describes_go_25_ids_a_call_and_one_gone_id_never_hides_the_others() -> None:
    from botocore.exceptions import ClientError

    ids = [f"wsb-{i:08d}" for i in range(30)]
    gone = ids[3]
    calls: list[list[str]] = []

    def describe(batch: list[str]) -> list[dict[str, str]]:
        calls.append(batch)
        if gone in batch and len(batch) > 1:  # the service may refuse the whole call for one unknown id
            raise ClientError({"Error": {"Code": "InvalidParameterValuesException", "Message": "no"}}, "Describe")
        return [{"BundleId": i} for i in batch if i != gone]

    found = workspaces._describe_batches(ids + ids[:2], describe, "DescribeWorkspaceBundles", "BundleId")
    assert [len(batch) for batch in calls] == [25, *([1] * 25), 5]
    assert sorted(item["BundleId"] for item in found) == sorted(set(ids) - {gone})


@pytest.mark.parametrize(
    ("action", "code"),
    [
        # Neither is in the action's error list: a refusal is no evidence that anything is gone.
        ("DescribeWorkspaceImages", "ResourceNotFoundException"),
        ("DescribeWorkspaceImages", "InvalidParameterValuesException"),
        ("DescribeWorkspaceBundles", "ResourceNotFoundException"),
    ],
)
def test_a_describe_refused_with_a_code_its_action_does_not_list_is_reported_not_taken_for_gone(
    action: str, code: str
) -> None:
    from botocore.exceptions import ClientError

    key = "ImageId" if "Images" in action else "BundleId"
    ids = ["wsi-000000001", "wsi-000000002"] if key == "ImageId" else ["wsb-00000001", "wsb-00000002"]
    calls: list[list[str]] = []

    def describe(batch: list[str]) -> list[dict[str, str]]:
        calls.append(batch)
        raise ClientError({"Error": {"Code": code, "Message": "refused"}}, action)

    with pytest.raises(errors.ServiceError) as raised:
        workspaces._describe_batches(ids, describe, action, key)
    assert calls == [ids]
    assert raised.value.code == code
    assert str(raised.value) == f"{action} failed for {', '.join(workspaces.subject(i) for i in ids)} ({code}: refused)"


def test_the_errors_of_each_action_are_those_of_its_api_model() -> None:
    import botocore.session

    model = botocore.session.get_session().get_service_model("workspaces")
    for action, codes in workspaces.ERRORS.items():
        assert codes == {shape.name for shape in model.operation_model(action).error_shapes}, action


def test_a_hint_for_one_action_explains_only_an_error_that_action_lists() -> None:
    """UpdateWorkspaceBundle had hints for a name taken and the bundle quota, errors it does not list."""
    for action, hints in workspaces._ACTION_HINTS.items():
        assert set(hints) <= workspaces.ERRORS[action], action


@pytest.mark.parametrize(
    ("action", "code", "reason"),
    [
        ("DescribeTags", "AccessDeniedException", "the provider's role may not call workspaces:DescribeTags on "),
        ("DescribeTags", "ThrottlingException", "WorkSpaces kept throttling DescribeTags for "),
        ("CreateTags", "ResourceNotFoundException", "image wsi-000000001 was not found by CreateTags"),
        ("DescribeWorkspaceImages", "ResourceNotFoundException", "DescribeWorkspaceImages failed for image"),
        ("UpdateWorkspaceBundle", "ResourceLimitExceededException", "UpdateWorkspaceBundle failed for image"),
        ("CreateUpdatedWorkspaceImage", "ResourceLimitExceededException", "the Region's WorkSpaces image quota"),
        ("CreateTags", "ResourceLimitExceededException", "image wsi-000000001 would hold more than 50 tags"),
        ("CreateWorkspaceBundle", "ResourceLimitExceededException", "the Region's 50 custom bundles are used up"),
    ],
)
def test_a_code_means_what_the_reference_says_only_for_actions_that_list_it(
    action: str, code: str, reason: str
) -> None:
    from botocore.exceptions import ClientError

    error = ClientError({"Error": {"Code": code, "Message": "words"}}, action)
    explained = workspaces.explain(error, action, "image wsi-000000001")
    assert str(explained).startswith(reason)
    assert str(explained).endswith(f"({code}: words)")
