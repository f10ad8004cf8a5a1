"""The bundle decisions without AWS: parse, replace or update in place, ownership, apply and restore."""

from __future__ import annotations

from typing import Any

import pytest

from cdk_workspaces_image_handler import bundle as bundle_
from cdk_workspaces_image_handler import bundle_image, contract, errors, kernel, rules, workspaces

PROPS: dict[str, Any] = {
    "BundleName": "golden-standard",
    "BundleDescription": "Standard bundle",
    "ImageId": "wsi-updated0001",
    "ComputeType": {"Name": "STANDARD"},
    "UserStorage": {"Capacity": "50"},
    "RootStorage": {"Capacity": "80"},
    "Tags": [{"Key": "team", "Value": "euc"}],
}
REQ = bundle_.parse_bundle_request(PROPS)


def test_parse_reads_the_create_workspace_bundle_shapes() -> None:
    expected = bundle_.BundleRequest(
        "golden-standard", "Standard bundle", "wsi-updated0001", "STANDARD", "50", "80", {"team": "euc"}
    )
    assert bundle_.parse_bundle_request(PROPS) == expected
    no_root = bundle_.parse_bundle_request({k: v for k, v in PROPS.items() if k != "RootStorage"})
    assert no_root.root_storage is None


@pytest.mark.parametrize(
    ("override", "words"),
    [
        ({"BundleName": None}, "bundle_name (BundleName) is missing (None); it is required"),
        ({"ComputeType": "STANDARD"}, "compute_type (ComputeType) 'STANDARD' must be an object {Name: <compute type>}"),
        ({"UserStorage": "50"}, "user_storage_gib (UserStorage) '50' must be an object {Capacity: <GB>}"),
        ({"RootStorage": {"Size": "80"}}, "root_storage_gib (RootStorage) {'Size': '80'} must be an object {Capacity:"),
        ({"UserStorage": {"Capacity": "60"}}, "user_storage_gib (UserStorage.Capacity) 60 with root_storage_gib"),
        ({"ComputeType": {"Name": "HUGE"}}, "compute_type (ComputeType.Name) 'HUGE' must be one of VALUE"),
    ],
)
def test_parse_rejects_bad_properties_in_the_words_of_the_rules(override: dict[str, Any], words: str) -> None:
    props = {k: v for k, v in {**PROPS, **override}.items() if v is not None}
    with pytest.raises(errors.InvalidInputError) as raised:
        bundle_.parse_bundle_request(props)
    assert words in str(raised.value)


def test_the_old_properties_are_read_without_judging_them() -> None:
    old = bundle_.parse_bundle_request({**PROPS, "UserStorage": {"Capacity": "60"}}, check=False)
    assert old.user_storage == "60"


@pytest.mark.parametrize(
    ("change", "replace", "image"),
    [
        ({"image_id": "wsi-updated0002"}, False, "wsi-updated0002"),
        ({"tags": {"team": "vdi"}}, False, None),
        ({"name": "golden-2"}, True, None),
        ({"description": "Other"}, True, None),
        ({"compute_type": "POWER"}, True, None),
        ({"user_storage": "100"}, True, None),
        ({"root_storage": "175"}, True, None),
        ({"root_storage": None}, True, None),
        ({"compute_type": "POWER", "image_id": "wsi-updated0002"}, True, None),
    ],
)
def test_only_the_image_and_tags_change_in_place(change: dict[str, Any], replace: bool, image: str | None) -> None:
    plan = bundle_.plan_bundle_update(REQ, bundle_.BundleRequest(**{**REQ.__dict__, **change}))
    assert (plan.replace, plan.image_id) == (replace, image)


def test_a_tags_update_sets_what_changed_and_deletes_what_went() -> None:
    new = bundle_.BundleRequest(**{**REQ.__dict__, "tags": {"team": "vdi", "cost": "1"}})
    plan = bundle_.plan_bundle_update(
        bundle_.BundleRequest(**{**REQ.__dict__, "tags": {"team": "euc", "old": "x"}}), new
    )
    assert plan.tags == kernel.TagChanges({"team": "vdi", "cost": "1"}, ("old",))


def test_a_new_image_keeps_the_ownership_tag_true() -> None:
    moved = bundle_.BundleRequest(**{**REQ.__dict__, "image_id": "wsi-updated0002"})
    assert kernel.Ownership.of("s", "L", REQ) == kernel.Ownership.of("s", "L", moved)
    assert kernel.Ownership.of("s", "L", REQ) != kernel.Ownership.of(
        "s", "L", bundle_.BundleRequest(**{**REQ.__dict__, "name": "x"})
    )


def test_shared_decisions_speak_of_bundles() -> None:
    key = kernel.resource_key("stack", "Standard")
    assert kernel.plan_delete("not-created:Standard", False, None, key, kernel.BUNDLE).why.startswith(
        "'not-created:Standard' is not a"
    )
    assert (
        kernel.plan_delete("wsi-updated0001", True, f"guid.{key}.x", key, kernel.BUNDLE).delete is False
    )  # an image id: not a bundle
    assert kernel.plan_delete("wsb-bundle0001", True, f"guid.{key}.x", key, kernel.BUNDLE).why == (
        "deleting bundle wsb-bundle0001, which this resource created"
    )
    assert kernel.plan_delete("wsb-bundle0001", False, f"guid.{key}.x", key, kernel.BUNDLE).why == (
        "bundle wsb-bundle0001 is not in the provider's record of what this resource made; left alone"
    )
    assert kernel.watch_outcome(
        "wsb-bundle0001", workspaces.Bundle("wsb-bundle0001", state="ERROR"), 0, 10, kernel.BUNDLE
    ) == (kernel.Outcome(True, False, "bundle wsb-bundle0001 went to ERROR"))
    assert kernel.name_taken_reason("n", [], kernel.BUNDLE).endswith("before reusing its name)")


# ---------------------------------------------------------------- apply_to_bundle

APPLY = bundle_image.BundleImageRequest("wsb-bundle0001", "wsi-updated0001")
BEFORE = workspaces.Bundle("wsb-bundle0001", "b", "wsi-previous001", "111122223333")


def test_the_record_round_trips_through_the_physical_id() -> None:
    record = bundle_image.Repoint("wsb-bundle0001", "wsi-previous001")
    assert record.physical_id == "wsb-bundle0001:wsi-previous001"
    assert bundle_image.Repoint.parse(record.physical_id) == record
    for physical in (None, "", "not-created:Apply", "wsb-bundle0001", "wsb-bundle0001:ami-1", "x:wsi-previous001"):
        assert bundle_image.Repoint.parse(physical) is None


MARK = bundle_image.Marker.of("stack", "Apply", "request-1", "wsi-previous001")


def test_the_marker_names_resource_request_and_previous_image() -> None:
    assert MARK.value == f"{kernel.resource_key('stack', 'Apply')}.{kernel.digest('request-1')}.wsi-previous001"
    assert len(MARK.value) <= rules.MAX_TAG_VALUE
    assert bundle_image.Marker.parse(MARK.value) == MARK
    for value in (None, "", "a.b", "a.b.ami-1", "a.b.c.wsi-previous001"):
        assert bundle_image.Marker.parse(value) is None
    assert MARK.same_request(bundle_image.Marker.of("stack", "Apply", "request-1", "wsi-other000001"))
    assert not MARK.same_request(bundle_image.Marker.of("stack", "Apply", "request-2", "wsi-previous001"))


def test_apply_records_the_image_the_bundle_had_and_marks_it_first() -> None:
    plan = bundle_image.plan_apply(APPLY, BEFORE, {"team": "euc"}, MARK, None)
    assert plan == bundle_image.ApplyPlan(
        record=bundle_image.Repoint("wsb-bundle0001", "wsi-previous001"), mark=MARK, call=True
    )


def test_a_retry_of_the_same_request_takes_the_previous_image_from_the_record() -> None:
    moved = workspaces.Bundle("wsb-bundle0001", "b", "wsi-updated0001", "111122223333")
    retry_marker = bundle_image.Marker.of("stack", "Apply", "request-1", "wsi-updated0001")  # what the retry sees
    forged = bundle_image.Marker.of("stack", "Apply", "request-1", "wsi-forged00001").value
    plan = bundle_image.plan_apply(APPLY, moved, {contract.APPLIED_TAG_KEY: forged}, retry_marker, MARK)
    # The record's marker, not the bundle's tag (anyone allowed CreateTags writes it), names the image before.
    assert plan == bundle_image.ApplyPlan(
        record=bundle_image.Repoint("wsb-bundle0001", "wsi-previous001"), mark=None, call=False
    )


def test_a_new_request_ignores_a_marker_the_record_does_not_hold() -> None:
    moved = workspaces.Bundle("wsb-bundle0001", "b", "wsi-updated0001", "111122223333")
    later = bundle_image.Marker.of("stack", "Apply", "request-2", "wsi-updated0001")
    plan = bundle_image.plan_apply(APPLY, moved, {contract.APPLIED_TAG_KEY: MARK.value}, later, None)
    # Already on the image for a new request: that image is the one to restore, that is, nothing changes.
    assert plan == bundle_image.ApplyPlan(
        record=bundle_image.Repoint("wsb-bundle0001", "wsi-updated0001"), mark=later, call=False
    )


def test_a_new_request_returning_to_a_bundle_the_record_holds_keeps_the_image_before_the_first() -> None:
    """A rollback re-applies to the bundle an earlier request of this resource re-pointed and never restored: the
    image to restore is still the one before that first re-point, written into the new marker."""
    moved = workspaces.Bundle("wsb-bundle0001", "b", "wsi-updated0002", "111122223333")
    later = bundle_image.Marker.of("stack", "Apply", "request-2", "wsi-updated0002")
    plan = bundle_image.plan_apply(APPLY, moved, {}, later, MARK)
    assert plan == bundle_image.ApplyPlan(
        record=bundle_image.Repoint("wsb-bundle0001", "wsi-previous001"),
        mark=bundle_image.Marker(later.resource_key, later.request_key, "wsi-previous001"),
        call=True,
    )


@pytest.mark.parametrize(
    ("bundle", "tags", "words"),
    [
        (None, {}, "bundle wsb-bundle0001 was not found in this account and Region"),
        (workspaces.Bundle("wsb-bundle0001", "b", "wsi-previous001", "AMAZON"), {}, "is a public bundle of AWS"),
        (BEFORE, {contract.OWNER_TAG_KEY: "abc.def"}, f"carries the ownership tag {contract.OWNER_TAG_KEY!r}"),
        (workspaces.Bundle("wsb-bundle0001", "b", "", "111122223333"), {}, "has no ImageId"),
    ],
)
def test_apply_refuses_what_it_must_not_touch(
    bundle: workspaces.Bundle | None, tags: dict[str, str], words: str
) -> None:
    plan = bundle_image.plan_apply(APPLY, bundle, tags, MARK, None)
    assert words in plan.reason
    assert plan.record is None


def test_another_bundle_reapplies_and_another_image_repoints() -> None:
    assert (
        bundle_image.plan_bundle_image_update(
            APPLY, bundle_image.BundleImageRequest("wsb-bundle0002", "wsi-updated0001")
        )
        == "reapply"
    )
    assert (
        bundle_image.plan_bundle_image_update(
            APPLY, bundle_image.BundleImageRequest("wsb-bundle0001", "wsi-updated0002")
        )
        == "repoint"
    )
    assert bundle_image.plan_bundle_image_update(APPLY, APPLY) == "none"


@pytest.mark.parametrize(
    ("current", "restore"),
    [("wsi-updated0001", True), ("wsi-previous001", False), ("wsi-someone0001", False), (None, False)],
)
def test_restore_only_where_the_applied_image_is_still_in_place(current: str | None, restore: bool) -> None:
    record = bundle_image.Repoint("wsb-bundle0001", "wsi-previous001")
    bundle = None if current is None else workspaces.Bundle("wsb-bundle0001", image_id=current)
    assert bundle_image.plan_restore(record, "wsi-updated0001", bundle, recorded=True, marked=True).restore is restore
    assert bundle_image.plan_restore(None, "wsi-updated0001", bundle, recorded=True, marked=True).restore is False


def test_restore_only_a_bundle_that_carries_this_resources_marker() -> None:
    record = bundle_image.Repoint("wsb-bundle0001", "wsi-previous001")
    bundle = workspaces.Bundle("wsb-bundle0001", image_id="wsi-updated0001")
    plan = bundle_image.plan_restore(record, "wsi-updated0001", bundle, recorded=True, marked=False)
    assert not plan.restore
    assert "does not carry this resource's marker" in plan.why


def test_restore_only_a_re_point_the_record_holds() -> None:
    """The physical id and the marker are both words anyone can send or write: the record alone says this resource
    re-pointed the bundle."""
    record = bundle_image.Repoint("wsb-bundle0001", "wsi-previous001")
    bundle = workspaces.Bundle("wsb-bundle0001", image_id="wsi-updated0001")
    plan = bundle_image.plan_restore(record, "wsi-updated0001", bundle, recorded=False, marked=True)
    assert plan == bundle_image.RestorePlan(
        False, "bundle wsb-bundle0001 is not in the provider's record of what this resource re-pointed; left alone"
    )


def test_a_marker_is_this_resources_only_with_its_resource_key() -> None:
    mark = bundle_image.Marker.of("stack", "Apply", "request-1", "wsi-previous001").value
    assert bundle_image.marked_by({contract.APPLIED_TAG_KEY: mark}, "stack", "Apply")
    assert not bundle_image.marked_by({contract.APPLIED_TAG_KEY: mark}, "stack", "OtherApply")
    assert not bundle_image.marked_by({contract.APPLIED_TAG_KEY: mark}, "other-stack", "Apply")
    assert not bundle_image.marked_by({}, "stack", "Apply")
    assert not bundle_image.marked_by(None, "stack", "Apply")
