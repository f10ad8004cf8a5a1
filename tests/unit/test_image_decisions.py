"""The handler's decisions, without AWS: create or adopt, replace or update, delete or keep, what to report."""

from __future__ import annotations

from datetime import UTC, datetime

import decisions as d
import pytest
import rules

REQ = d.ImageRequest("wsi-source0001", "golden", "Golden image", {"team": "euc"}, "FAIL", 10800, "https://h/1")


def test_adoption_keeps_the_smallest_id_and_drops_the_others() -> None:
    assert d.choose_adoption([]) == d.Adoption(None)
    assert d.choose_adoption(["wsi-b00000002", "wsi-a00000001", "wsi-b00000002"]) == d.Adoption(
        "wsi-a00000001", ("wsi-b00000002",)
    )


@pytest.mark.parametrize(
    ("source", "behavior", "action"),
    [
        (None, "FAIL", "fail"),
        (d.Image("wsi-source0001", "s", "PENDING"), "FAIL", "fail"),
        (d.Image("wsi-source0001", "s", "AVAILABLE", update_available=True), "FAIL", "create"),
        (d.Image("wsi-source0001", "s", "AVAILABLE", update_available=True), "USE_SOURCE", "create"),
        (d.Image("wsi-source0001", "s", "AVAILABLE"), "FAIL", "fail"),
        (d.Image("wsi-source0001", "s", "AVAILABLE"), "USE_SOURCE", "use_source"),
    ],
)
def test_the_source_decides_create_use_or_fail(source: d.Image | None, behavior: str, action: str) -> None:
    request = d.ImageRequest("wsi-source0001", "golden", "Golden image", no_update_behavior=behavior)
    decision = d.decide_source(request, source)
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
    new = d.ImageRequest(**{**REQ.__dict__, **change})
    plan = d.plan_update(REQ, new)
    assert (plan.replace, plan.defer_answer) == (replace, defer)


def test_a_tags_update_sets_what_changed_and_deletes_what_went() -> None:
    old = d.ImageRequest("wsi-source0001", "n", "d", {"a": "1", "b": "2", "c": "3"})
    new = d.ImageRequest("wsi-source0001", "n", "d", {"a": "1", "b": "20", "z": "9"})
    plan = d.plan_update(old, new)
    assert (dict(plan.tags_to_set), plan.tags_to_delete, plan.resignal) == ({"b": "20", "z": "9"}, ("c",), False)


def test_delete_only_what_this_resource_made() -> None:
    key = d.resource_key("stack", "Logical")
    mine = d.Ownership("x", "y")
    assert not d.plan_delete("not-created:Logical", None, key).delete
    assert not d.plan_delete("wsi-source0001", None, key).delete
    assert not d.plan_delete("wsi-other00001", f"{d.resource_key('stack', 'Other')}.abc", key).delete
    assert d.plan_delete("wsi-mine000001", f"{key}.abc", key).delete
    assert not mine.made(None)


def test_ownership_ties_an_image_to_resource_and_request() -> None:
    a = d.Ownership.of("stack", "Logical", REQ)
    b = d.Ownership.of("stack", "Logical", d.ImageRequest("wsi-source0002", "golden", "Golden image"))
    assert a.resource_key == b.resource_key and a.request_key != b.request_key  # noqa: PT018
    assert a.made(b.tag_value) and len(a.tag_value) <= rules.MAX_TAG_VALUE  # noqa: PT018
    assert not d.Ownership.of("stack", "Other", REQ).made(a.tag_value)


def test_the_deadline_counts_from_the_image_creation_so_retries_do_not_extend_it() -> None:
    created = datetime(2026, 11, 26, tzinfo=UTC)
    image = d.Image("wsi-new0000001", "golden", "PENDING", created=created)
    later = created.timestamp() + 1800
    expected = created.timestamp() + rules.handler_wait_seconds(REQ.timeout_seconds)
    assert d.deadline_for(image, REQ, later, deferred=False) == expected
    # A deferred answer must come within the custom resource's hour.
    assert d.deadline_for(image, REQ, later, deferred=True) == later + 3600 - 300


def test_outcomes_and_their_reasons() -> None:
    pending = d.Image("wsi-new0000001", "g", "PENDING")
    assert d.watch_outcome("wsi-new0000001", pending, 10, 20) == d.Outcome(False)
    assert d.watch_outcome("wsi-new0000001", pending, 20, 20).reason.startswith("timed out: image wsi-new0000001")
    assert d.watch_outcome("wsi-new0000001", None, 0, 20).reason.endswith("(deleted while waiting for AVAILABLE)")
    error = d.Image("wsi-new0000001", "g", "ERROR", error_details=(("PendingReboot", "Reboot first"),))
    assert d.watch_outcome("wsi-new0000001", error, 0, 20) == d.Outcome(
        True, False, "image wsi-new0000001 went to ERROR - details: PendingReboot: Reboot first"
    )


def test_parse_request_reads_cloudformation_strings() -> None:
    request = d.parse_request(
        {
            "SourceImageId": "wsi-source0001",
            "Name": "n",
            "Description": "d",
            "TimeoutSeconds": "3600",
            "Tags": [{"Key": "a", "Value": "b"}],
        }
    )
    assert (request.timeout_seconds, dict(request.tags), request.no_update_behavior) == (3600, {"a": "b"}, "FAIL")
    with pytest.raises(d.InvalidRequestError, match="missing required properties: Name"):
        d.parse_request({"SourceImageId": "wsi-source0001", "Description": "d"})
    with pytest.raises(d.InvalidRequestError, match=r"timeout \(TimeoutSeconds\) 'soon' must be a number"):
        d.parse_request({"SourceImageId": "wsi-source0001", "Name": "n", "Description": "d", "TimeoutSeconds": "soon"})
