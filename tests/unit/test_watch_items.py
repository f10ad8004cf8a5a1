"""The watch items in the stack's table: what this version writes it reads back, and a wait written by the version
before Watch.after (pending while the provider is upgraded mid-deployment) keeps what it was told."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cdk_workspaces_image_handler import contract
from cdk_workspaces_image_handler.image import AfterWait
from cdk_workspaces_image_handler.watch import Watch

STACK = "arn:aws:cloudformation:eu-west-1:111122223333:stack/Golden/7f0a2c1e-0000-4000-8000-000000000001"


def item_of(saved: dict[str, Any]) -> dict[str, Any]:
    return {
        contract.WATCH_TABLE_KEY: {"S": "GoldenResource"},
        contract.WATCH_TABLE_SORT_KEY: {"S": "wsi-new000001"},
        "Watch": {"S": json.dumps(saved, separators=(",", ":"))},
        contract.WATCH_TABLE_TTL: {"N": "1"},
    }


# A watch as the version before Watch.after wrote it (dataclasses.asdict of its Watch): the image's own fields at the
# top level.
BEFORE_AFTER: dict[str, Any] = {
    "resource_type": contract.IMAGE_TYPE,
    "resource_id": "wsi-new000001",
    "deadline": 1000.0,
    "mode": "signal",
    "url": "https://handle.example/secret",
    "stack_id": STACK,
    "logical_id": "GoldenResource",
    "request_id": "",
    "physical_id": "",
    "data": {},
    "undo_on_failure": False,
    "announce": {"SourceImageId": "wsi-source001", "Name": "golden-3"},
    "replaced_id": "wsi-old0000001",
    "keep_previous": 2,
    "share_with": ["444455556666"],
    "region": "",
}


def test_a_wait_written_before_watch_after_keeps_what_the_image_told_it() -> None:
    watch = Watch.from_item(item_of(BEFORE_AFTER))
    assert (watch.resource_id, watch.mode, watch.url, watch.region) == (
        "wsi-new000001",
        "signal",
        "https://handle.example/secret",
        "",
    )
    assert AfterWait.of(watch) == AfterWait(
        announce={"SourceImageId": "wsi-source001", "Name": "golden-3"},
        replaced_id="wsi-old0000001",
        keep_previous=2,
        share_with=("444455556666",),
    )


def test_a_bundle_wait_written_before_watch_after_reads_as_one_that_keeps_nothing() -> None:
    saved = {
        **BEFORE_AFTER,
        "resource_type": contract.BUNDLE_TYPE,
        "announce": {},
        "replaced_id": "",
        "keep_previous": None,
        "share_with": [],
    }
    assert AfterWait.of(Watch.from_item(item_of(saved))) == AfterWait()


@pytest.mark.parametrize(
    "after",
    [
        AfterWait(),
        AfterWait(announce={"SourceImageId": "wsi-source001", "Name": "n"}, share_with=("444455556666",)),
        AfterWait({"Name": "n"}, "wsi-old0000001", 0, ()),
    ],
)
def test_what_an_image_wait_keeps_reads_back_as_written(after: AfterWait) -> None:
    watch = Watch(
        contract.IMAGE_TYPE, "wsi-new000001", 1000.0, "respond", "https://x", STACK, "L", after=after.to_after()
    )
    read = Watch.from_item(watch.to_item())
    assert read == watch
    assert AfterWait.of(read) == after


def test_an_item_this_version_cannot_read_is_refused() -> None:
    with pytest.raises(ValueError, match="unreadable watch item"):
        Watch.from_item({contract.WATCH_TABLE_KEY: {"S": "L"}, "Watch": {"S": "{}"}})
