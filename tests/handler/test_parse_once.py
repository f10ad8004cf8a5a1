"""A request's properties are read once into its request type, and judged once, whatever step needs them (adoption,
the request itself, the deadline of its wait); an Update's old properties are read once and never judged."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from support.handler import HANDLE_URL, NEW, World, event, handle_url, props

from cdk_workspaces_image_handler import image

Reads = Counter[str]


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Reads:
    """How often the properties of each request (by SourceImageId) were read, and judged."""
    counted: Reads = Counter()

    def counting(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def call(props: Mapping[str, Any], *args: Any, **kwargs: Any) -> Any:
            counted[f"{name} {props['SourceImageId']}"] += 1
            return real(props, *args, **kwargs)

        return call

    monkeypatch.setattr(image, "read_request", counting("read", image.read_request))
    monkeypatch.setattr(image, "request_problems", counting("judged", image.request_problems))
    return counted


def test_a_create_that_waits_reads_and_judges_its_properties_once(world: World, reads: Reads) -> None:
    p = props()
    world.fresh_create(p)
    reads.clear()  # the test's own: the ownership tag the create call is expected with
    world.watch_started()
    world.run(event("Create", p))
    assert world.response()["Status"] == "SUCCESS"
    assert reads == {"read wsi-source0001": 1, "judged wsi-source0001": 1}


def test_a_replacing_update_reads_each_set_of_properties_once_and_judges_only_the_new(
    world: World, reads: Reads
) -> None:
    old = props(WaitHandle=handle_url("old-handle"))
    new = props(SourceImageId="wsi-source0002", WaitHandle=HANDLE_URL)
    world.created(old)
    world.watch_stopped()
    world.fresh_create(new, new_id="wsi-updated0002", request_type="Update")
    reads.clear()  # the test's own
    world.watch_started()
    world.run(event("Update", new, physical_id=NEW, old=old))
    assert world.response()["PhysicalResourceId"] == "wsi-updated0002"
    assert reads == {"read wsi-source0002": 1, "judged wsi-source0002": 1, "read wsi-source0001": 1}
