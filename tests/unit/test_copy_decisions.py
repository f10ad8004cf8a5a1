"""Copy decisions (issue 12), as pure functions of what the handler has read: no mocks."""

from __future__ import annotations

from typing import Any

import pytest

from cdk_workspaces_image_handler.copy import CopyLifecycle, owner_problem, parse_copy_request
from cdk_workspaces_image_handler.errors import ProviderError
from cdk_workspaces_image_handler.image import parse_request
from cdk_workspaces_image_handler.workspaces import Image, WorkSpaces

SHARER = "444455556666"


def copy(**more: Any) -> dict[str, Any]:
    return {
        "SourceImageId": "wsi-shared0001",
        "SourceRegion": "eu-west-1",
        "Region": "eu-west-1",
        "Name": "golden-copy",
        "Description": "Copy",
        **more,
    }


def test_the_source_must_belong_to_source_account() -> None:
    request = parse_copy_request(copy(SourceAccount=SHARER))
    assert owner_problem(request, Image("wsi-shared0001", "theirs", "AVAILABLE", owner_account_id=SHARER)) is None
    stranger = owner_problem(request, Image("wsi-shared0001", "theirs", "AVAILABLE", owner_account_id="210987654321"))
    assert stranger is not None
    assert stranger.startswith("source image wsi-shared0001 of Region eu-west-1 belongs to account 210987654321")
    missing = owner_problem(request, None)
    assert missing is not None
    assert missing.startswith("source image wsi-shared0001 was not found in Region eu-west-1")


def test_a_copys_regions_replace_it_and_an_images_ownership_key_is_unchanged() -> None:
    here = parse_copy_request(copy())
    there = parse_copy_request(copy(Region="eu-central-1"))
    assert here.replacing_values != there.replacing_values
    # Five values, as copies were always tagged with: the Regions after the image's three.
    assert here.replacing_values == ("wsi-shared0001", "golden-copy", "Copy", "eu-west-1", "eu-west-1")
    assert parse_copy_request(copy(SourceAccount=SHARER)).replacing_values == here.replacing_values
    image = parse_request({"SourceImageId": "wsi-source0001", "Name": "n", "Description": "d"})
    # Three values, as images made before copies were tagged with: they are still adopted and deleted.
    assert image.replacing_values == ("wsi-source0001", "n", "d")
    # An updated image's request knows nothing of Regions: only a copy's does.
    assert not hasattr(image, "region") and not hasattr(image, "source_region")  # noqa: PT018


def test_without_a_client_for_another_region_nothing_is_done_in_the_providers_instead() -> None:
    lifecycle = CopyLifecycle(WorkSpaces(None), None, None, None, lambda: 0.0, records=None)  # type: ignore[arg-type]
    with pytest.raises(ProviderError, match="no WorkSpaces client for Region eu-central-1"):
        lifecycle.enter("eu-central-1")
