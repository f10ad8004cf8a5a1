"""The pure decisions of issue 11: what an event says, what keep_previous deletes, what the monitor reports."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast

import pytest

from cdk_workspaces_image_handler import contract
from cdk_workspaces_image_handler.bus import Event
from cdk_workspaces_image_handler.contract import Detail, DetailTypes
from cdk_workspaces_image_handler.image import parse_request, wait_ended
from cdk_workspaces_image_handler.kernel import Outcome, resource_key
from cdk_workspaces_image_handler.monitor import Bump, look, plan_bump, request_token, update_event
from cdk_workspaces_image_handler.repoint import bundle_moved
from cdk_workspaces_image_handler.retention import Made, Retention, protect, rank_earlier, retention_event
from cdk_workspaces_image_handler.watch import Watch
from cdk_workspaces_image_handler.workspaces import Image

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient

STACK = "arn:aws:cloudformation:eu-west-1:111122223333:stack/Golden/7f0a2c1e-0000-4000-8000-000000000001"
KEY = resource_key(STACK, "GoldenResource")
OURS = f"7f0a2c1e-0000-4000-8000-000000000001.{KEY}.request.delivery"
ANOTHER = f"7f0a2c1e-0000-4000-8000-000000000001.{resource_key(STACK, 'OtherResource')}.request"


def watch(**over: object) -> Watch:
    base: dict[str, object] = {
        "resource_type": contract.IMAGE_TYPE,
        "resource_id": "wsi-new000001",
        "deadline": 0.0,
        "mode": "signal",
        "url": "https://handle.example/secret",
        "stack_id": STACK,
        "logical_id": "GoldenResource",
        "after": {"announce": {Detail.SOURCE_IMAGE_ID: "wsi-source001", Detail.NAME: "golden-3"}},
    }
    base.update(over)
    return Watch(**base)  # type: ignore[arg-type]


def made(image_id: str, day: int | None, tag: str | None = OURS) -> Made:
    return Made(image_id, None if day is None else datetime(2026, 11, day, tzinfo=UTC), tag)


# ---------------------------------------------------------------- events of a wait


def test_an_available_image_is_announced_with_its_stack_resource_source_and_name() -> None:
    event = wait_ended(watch(), Outcome(True, True, "image wsi-new000001 is AVAILABLE"), None)
    assert event == Event(
        DetailTypes.IMAGE_AVAILABLE,
        {
            "StackId": STACK,
            "LogicalId": "GoldenResource",
            "ImageId": "wsi-new000001",
            "SourceImageId": "wsi-source001",
            "Name": "golden-3",
            "State": "AVAILABLE",
        },
    )


def test_an_image_in_error_is_announced_with_the_service_error_details() -> None:
    found = Image(
        "wsi-new000001",
        "golden-3",
        "ERROR",
        error_code="UpdateFailed",
        error_message="The image could not be updated",
        error_details=(("InsufficientDiskSpace", "C: is full"),),
    )
    event = wait_ended(watch(), Outcome(True, False, "image wsi-new000001 went to ERROR"), found)
    assert event.detail_type == DetailTypes.IMAGE_FAILED
    assert {k: event.detail[k] for k in ("Failure", "State", "ErrorCode", "ErrorMessage", "ErrorDetails")} == {
        "Failure": "ERROR",
        "State": "ERROR",
        "ErrorCode": "UpdateFailed",
        "ErrorMessage": "The image could not be updated",
        "ErrorDetails": [{"ErrorCode": "InsufficientDiskSpace", "ErrorMessage": "C: is full"}],
    }
    assert event.detail["Reason"] == "image wsi-new000001 went to ERROR"


def test_a_timeout_and_a_vanished_image_say_which() -> None:
    pending = Image("wsi-new000001", "golden-3", "PENDING")
    timed_out = wait_ended(watch(), Outcome(True, False, "timed out: ..."), pending)
    gone = wait_ended(watch(), Outcome(True, False, "image wsi-new000001 no longer exists"), None)
    assert (timed_out.detail["Failure"], timed_out.detail["State"]) == ("TIMEOUT", "PENDING")
    assert (gone.detail["Failure"], "State" in gone.detail) == ("GONE", False)


def test_the_entry_is_on_the_default_bus_with_the_library_source_and_a_json_detail() -> None:
    entry = bundle_moved(STACK, "StandardResource", "wsb-bundle001", "wsi-new000001", "wsi-old000001").entry()
    assert set(entry) == {"Source", "DetailType", "Detail"}  # no EventBusName: the default bus
    assert (entry["Source"], entry["DetailType"]) == ("cdk-workspaces-image", "WorkSpaces Bundle Image Changed")
    assert json.loads(entry["Detail"]) == {
        "StackId": STACK,
        "LogicalId": "StandardResource",
        "BundleId": "wsb-bundle001",
        "ImageId": "wsi-new000001",
        "PreviousImageId": "wsi-old000001",
    }


def test_with_an_event_bus_the_entry_names_it_and_the_bus_puts_it_there() -> None:
    """contract.ENV_EVENT_BUS: the bus the construct's event_bus names; absent or empty, the default bus."""
    from cdk_workspaces_image_handler.bus import Bus

    event = bundle_moved(STACK, "StandardResource", "wsb-bundle001", "wsi-new000001", "wsi-old000001")
    assert event.entry("golden-news")["EventBusName"] == "golden-news"
    assert "EventBusName" not in event.entry("")

    class Events:
        def __init__(self) -> None:
            self.entries: list[dict[str, str]] = []

        def put_events(self, Entries: list[dict[str, str]]) -> dict[str, object]:  # noqa: N803 (boto3's name)
            self.entries += Entries
            return {"FailedEntryCount": 0, "Entries": [{"EventId": "1"}]}

    client = Events()
    bus = cast("EventBridgeClient", client)  # the one call Bus makes
    assert [Bus(bus, name).put(event) for name in ("golden-news", "", None)] == [True, True, True]
    assert [e.get("EventBusName") for e in client.entries] == ["golden-news", None, None]


# ---------------------------------------------------------------- keep_previous


def test_keep_previous_keeps_the_most_recent_and_offers_the_rest_newest_first() -> None:
    images = [made("wsi-g1", 1), made("wsi-g3", 3), made("wsi-g2", 2), made("wsi-g4", 4), made("wsi-g5", 5)]
    ranked = rank_earlier(images, key=KEY, current="wsi-g5", replaced="wsi-g4", source="wsi-src", keep_previous=2)
    assert ranked.delete == ("wsi-g2", "wsi-g1")
    assert [i for i, _ in ranked.kept] == ["wsi-g4", "wsi-g3"]
    assert "keep_previous" in ranked.kept[0][1]


def test_keep_previous_zero_still_keeps_the_image_being_replaced() -> None:
    images = [made("wsi-g1", 1), made("wsi-g2", 2), made("wsi-g3", 3)]
    ranked = rank_earlier(images, key=KEY, current="wsi-g3", replaced="wsi-g2", source="wsi-src", keep_previous=0)
    assert ranked.delete == ("wsi-g1",)
    assert ranked.kept == (("wsi-g2", "the image this deployment replaces: the stack may still roll back to it"),)


def test_retention_never_considers_an_image_without_this_resource_tag() -> None:
    images = [
        made("wsi-untagged", 1, tag=None),
        made("wsi-another", 1, tag=ANOTHER),
        made("wsi-other-stack", 1, tag=f"0000.{resource_key(STACK.replace('Golden', 'Silver'), 'GoldenResource')}.r"),
        made("wsi-g1", 2),
        made("wsi-g2", 3),
    ]
    ranked = rank_earlier(images, key=KEY, current="wsi-g2", replaced="", source="", keep_previous=0)
    assert ranked == Retention(("wsi-g1",), ())


def test_the_source_is_kept_even_when_this_resource_made_it() -> None:
    images = [made("wsi-g1", 1), made("wsi-g2", 2), made("wsi-g3", 3)]
    ranked = rank_earlier(images, key=KEY, current="wsi-g3", replaced="wsi-g2", source="wsi-g1", keep_previous=0)
    assert ranked.delete == ()
    assert ("wsi-g1", "the source image of this resource") in ranked.kept


def test_an_image_in_error_takes_no_place_among_those_kept() -> None:
    images = [made("wsi-g1", 1), Made("wsi-g2", datetime(2026, 11, 2, tzinfo=UTC), OURS, "ERROR"), made("wsi-g3", 3)]
    ranked = rank_earlier(images, key=KEY, current="wsi-g3", replaced="", source="", keep_previous=1)
    assert (ranked.delete, [i for i, _ in ranked.kept]) == (("wsi-g2",), ["wsi-g1"])


def test_an_image_of_unknown_age_counts_as_the_newest() -> None:
    images = [made("wsi-g1", 1), made("wsi-unknown", None), made("wsi-g3", 3)]
    ranked = rank_earlier(images, key=KEY, current="wsi-g3", replaced="", source="", keep_previous=1)
    assert (ranked.delete, ranked.kept[0][0]) == (("wsi-g1",), "wsi-unknown")


def test_protect_keeps_images_a_bundle_uses_or_another_account_shares() -> None:
    ranked = Retention(("wsi-used", "wsi-shared", "wsi-free"), (("wsi-recent", "recent"),))
    done = protect(ranked, {"wsi-used": ["wsb-a", "wsb-b"]}, {"wsi-shared": ["444455556666"]}, {})
    assert done == Retention(
        ("wsi-free",),
        (
            ("wsi-recent", "recent"),
            ("wsi-used", "bundles wsb-a, wsb-b use it"),
            ("wsi-shared", "it is shared with accounts 444455556666, which share_with_accounts does not name"),
        ),
    )


def test_the_retention_event_lists_what_was_deleted_and_what_was_kept_and_why() -> None:
    done = Retention(("wsi-g1",), (("wsi-g2", "why"),))
    event = retention_event(watch(), 1, done)
    assert event.detail_type == DetailTypes.IMAGE_RETENTION
    assert {k: event.detail[k] for k in ("ImageId", "KeepPrevious", "Deleted", "Kept")} == {
        "ImageId": "wsi-new000001",
        "KeepPrevious": 1,
        "Deleted": ["wsi-g1"],
        "Kept": [{"ImageId": "wsi-g2", "Reason": "why"}],
    }


@pytest.mark.parametrize(("raw", "kept"), [(None, None), ("0", 0), ("3", 3), (2, 2)])
def test_keep_previous_is_read_from_what_cloudformation_passes(raw: object, kept: int | None) -> None:
    props = {"SourceImageId": "wsi-source001", "Name": "golden", "Description": "Golden"}
    if raw is not None:
        props["KeepPrevious"] = raw  # type: ignore[assignment]
    assert parse_request(props).keep_previous == kept


@pytest.mark.parametrize("raw", ["-1", "two", "1.5", True])
def test_a_keep_previous_that_breaks_its_rule_is_refused_in_the_words_of_synth(raw: object) -> None:
    props = {"SourceImageId": "wsi-source001", "Name": "golden", "Description": "Golden", "KeepPrevious": raw}
    with pytest.raises(ValueError, match=r"keep_previous \(KeepPrevious\) .* must be a whole number of images"):
        parse_request(props)


# ---------------------------------------------------------------- the update monitor


def test_the_monitor_reports_only_available_images_with_an_update_and_names_the_missing() -> None:
    found = {
        "wsi-a": Image("wsi-a", "a", "AVAILABLE", update_available=True, update_description="agent 2.1"),
        "wsi-b": Image("wsi-b", "b", "AVAILABLE"),
        "wsi-c": Image("wsi-c", "c", "PENDING", update_available=True),
    }
    findings = look(["wsi-a", "wsi-b", "wsi-c", "wsi-gone"], found)
    assert [i.image_id for i in findings.updates] == ["wsi-a"]
    assert findings.missing == ("wsi-gone",)
    assert look(["wsi-b"], found).updates == ()


def test_the_update_event_names_the_monitor_the_image_and_the_pipeline_started() -> None:
    image = Image("wsi-a", "golden-3", "AVAILABLE", update_available=True, update_description="agent 2.1")
    assert update_event(image, "Monitor/Path", "", "", None, None).detail == {
        "MonitorId": "Monitor/Path",
        "ImageId": "wsi-a",
        "Name": "golden-3",
        "UpdateDescription": "agent 2.1",
    }
    with_pipeline = update_event(image, "Monitor/Path", "golden-images", "exec-1", None, None)
    started = (with_pipeline.detail["Pipeline"], with_pipeline.detail["PipelineExecutionId"])
    assert started == ("golden-images", "exec-1")


def test_the_pipeline_start_is_named_by_what_the_look_found_never_by_the_event() -> None:
    """request_token takes no event: every look that finds the same updates asks CodePipeline with the same
    clientRequestToken; another update, image, generation, parameter version, monitor or pipeline, another one."""
    a = Image("wsi-a", "golden-3", "AVAILABLE", update_available=True, update_description="agent 2.1")
    b = Image("wsi-b", "other", "AVAILABLE", update_available=True, update_description="agent 2.1")
    token = request_token("guid/Golden/Monitor", "golden-images", [a, b])
    assert token == request_token("guid/Golden/Monitor", "golden-images", [b, a]), "the order of the list is no news"
    newer = Image("wsi-a", "golden-3", "AVAILABLE", update_available=True, update_description="agent 2.2")
    others = {
        request_token("guid/Golden/Monitor", "golden-images", [newer, b]),
        request_token("guid/Golden/Monitor", "golden-images", [a]),
        request_token("guid/Golden/Monitor", "golden-images", [a, b], 3, 1),
        request_token("guid/Golden/Monitor", "golden-images", [a, b], 3, 2),
        request_token("guid/Golden/Monitor", "golden-images", [a, b], 4, 1),
        request_token("other-guid/Golden/Monitor", "golden-images", [a, b]),
        request_token("guid/Golden/Monitor", "other-pipeline", [a, b]),
    }
    assert len(others) == 7
    assert token not in others
    # clientRequestToken: 1 to 128 characters of ^[a-zA-Z0-9-]+$ (API_StartPipelineExecution).
    assert all(re.fullmatch(r"[a-zA-Z0-9-]{1,128}", t) for t in {token, *others})


@pytest.mark.parametrize(
    ("stored", "bump"),
    [
        ("3", Bump("4", True, 4, "asking for generation 4 (deployed: 3)")),
        (None, Bump("4", True, 4, "the parameter did not exist; asking for generation 4")),
        ("2", Bump("4", True, 4, "asking for generation 4 (deployed: 3)")),
        ("4", Bump(None, False, 4, "generation 4 is asked for already and not deployed yet")),
        ("9", Bump(None, False, 9, "generation 9 is asked for already and not deployed yet")),
    ],
    ids=["deployed", "missing", "behind", "asked-for", "far-ahead"],
)
def test_the_next_generation_is_asked_for_once(stored: str | None, bump: Bump) -> None:
    assert plan_bump(3, stored) == bump


def test_a_generation_parameter_that_is_no_number_is_left_to_its_owner() -> None:
    bump = plan_bump(3, "next")
    assert (bump.write, bump.start, bump.next_generation) == (None, False, None)
    assert bump.why == (
        "the generation parameter holds 'next', not a whole number; set it to 4 to deploy the next generation"
    )


def test_the_update_event_says_which_generation_is_deployed_and_which_is_asked_for() -> None:
    image = Image("wsi-a", "golden-3", "AVAILABLE", update_available=True)
    detail = update_event(image, "m", "", "", 3, plan_bump(3, "3")).detail
    assert (detail["Generation"], detail["NextGeneration"]) == (3, 4)
