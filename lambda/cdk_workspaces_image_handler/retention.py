"""keep_previous: which images this resource made before the current one are deleted once a replacement is
AVAILABLE, and which are kept and why; the decisions are pure, ``retain`` applies them by the provider's record.

Retention only ever deletes what the record holds for this resource and what carries its ownership tag; an image a
bundle uses, or that someone else shared, is kept, since WorkSpaces would refuse to delete it and a user relies on it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import contract
from .bus import Event
from .contract import Detail
from .errors import ServiceError
from .kernel import DeletePlan, made_by, resource_key
from .record import Records
from .sharing import plan_unshare
from .watch import Watch
from .workspaces import WorkSpaces

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Made:
    """An image of the account as retention sees it: when it was made, its ownership tag and its state."""

    image_id: str
    created: datetime | None
    owner_tag: str | None
    state: str = "AVAILABLE"


@dataclass(frozen=True)
class Retention:
    """What keep_previous does: the images to delete, and those kept with the reason."""

    delete: tuple[str, ...] = ()
    kept: tuple[tuple[str, str], ...] = ()


def rank_earlier(
    images: Sequence[Made], *, key: str, current: str, replaced: str, source: str, keep_previous: int
) -> Retention:
    """The images this resource made before `current`, newest first: the `keep_previous` most recent are kept,
    and so are the image being replaced (a rollback returns to it) and the source; the rest may be deleted.

    An image without this resource's ownership tag is not considered at all: retention only ever deletes
    what this resource made. An image whose creation time is unknown counts as the newest (kept). An image in
    ERROR takes no place among those kept: nothing can use it.
    """
    earlier = [i for i in images if i.image_id != current and made_by(i.owner_tag, key)]
    # Newest first; unknown times first of all; the id breaks ties so the order never depends on the listing.
    earlier.sort(key=lambda i: (i.created is not None, -(i.created.timestamp() if i.created else 0), i.image_id))
    delete: list[str] = []
    kept: list[tuple[str, str]] = []
    recent = 0
    for image in earlier:
        if image.state != "ERROR" and recent < keep_previous:
            recent += 1
            kept.append((image.image_id, f"one of the {keep_previous} most recent earlier images (keep_previous)"))
        elif image.image_id == replaced:
            kept.append((image.image_id, "the image this deployment replaces: the stack may still roll back to it"))
        elif image.image_id == source:
            kept.append((image.image_id, "the source image of this resource"))
        else:
            delete.append(image.image_id)
    return Retention(tuple(delete), tuple(kept))


def protect(
    ranked: Retention,
    bundles: Mapping[str, Sequence[str]],
    shared: Mapping[str, Sequence[str]],
    ours: Mapping[str, Sequence[str]],
) -> Retention:
    """Of the images `ranked` would delete, keep those a bundle uses or that are shared with an account other than
    those the record says this resource granted (`ours`, by image): WorkSpaces would refuse to delete them, and a
    user relies on them. Permissions of `ours` are removed before the delete."""
    delete: list[str] = []
    kept = list(ranked.kept)
    for image_id in ranked.delete:
        strangers = plan_unshare(shared.get(image_id, ()), ours.get(image_id, ())).strangers
        if bundles.get(image_id):
            kept.append((image_id, f"bundles {', '.join(bundles[image_id])} use it"))
        elif strangers:
            named = ", ".join(strangers)
            kept.append((image_id, f"it is shared with accounts {named}, which share_with_accounts does not name"))
        else:
            delete.append(image_id)
    return Retention(tuple(delete), tuple(kept))


def retention_event(watch: Watch, keep_previous: int, done: Retention, problem: str = "") -> Event:
    """The event that says what keep_previous deleted and what it kept, and why."""
    detail: dict[str, Any] = {
        Detail.STACK_ID: watch.stack_id,
        Detail.LOGICAL_ID: watch.logical_id,
        Detail.IMAGE_ID: watch.resource_id,
        Detail.KEEP_PREVIOUS: keep_previous,
        Detail.DELETED: list(done.delete),
        Detail.KEPT: [{Detail.IMAGE_ID: image_id, Detail.REASON: why} for image_id, why in done.kept],
    }
    if problem:
        detail[Detail.REASON] = problem
    return Event(contract.DetailTypes.IMAGE_RETENTION, detail)


def retain(
    watch: Watch,
    ws: WorkSpaces,
    records: Records,
    region: str,
    delete_own: Callable[[str, str, str], DeletePlan],
    *,
    replaced: str,
    source: str,
    keep_previous: int,
) -> Event:
    """Once the image `watch` waited for is AVAILABLE, delete the images the record holds for this resource beyond
    `keep_previous` that nothing protects, but never `replaced` nor `source`; say what was done.
    `delete_own(image_id, logical_id, stack_id)` deletes one, reading the record and the tag again.
    Raises nothing: the new image is AVAILABLE, and a failure here only keeps images."""
    deleted: list[str] = []
    try:
        entries = {e.resource_id: e for e in records.of(watch.logical_id).made(region)}
        found = ws.describe_images(sorted(entries)) if entries else {}
        for gone in sorted(set(entries) - set(found)):
            log.info("image %s is gone; dropping it from the record", gone)
            records.drop(watch.logical_id, entries.pop(gone))
        ranked = rank_earlier(
            [Made(i.image_id, i.created, entries[i.image_id].tag, i.state) for i in found.values()],
            key=resource_key(watch.stack_id, watch.logical_id),
            current=watch.resource_id,
            replaced=replaced,
            source=source,
            keep_previous=keep_previous,
        )
        bundles = ws.bundles_by_image() if ranked.delete else {}
        shared = {i: ws.shared_with(i, strict=True) for i in ranked.delete if not bundles.get(i)}
        plan = protect(ranked, bundles, shared, {i: entries[i].shared_with for i in ranked.delete})
    except ServiceError as error:
        log.warning("keep_previous kept every image: %s", error)
        return retention_event(watch, keep_previous, Retention(), f"every image was kept: {error}")
    kept = list(plan.kept)
    for image_id in plan.delete:
        try:
            # The record and the ownership tag are read again right before the delete (and IAM checks the tag).
            if delete_own(image_id, watch.logical_id, watch.stack_id).delete:
                deleted.append(image_id)
            else:
                kept.append((image_id, "it no longer carries this resource's ownership tag"))
        except ServiceError as error:
            kept.append((image_id, str(error)))
    for image_id, why in kept:
        log.info("keep_previous kept image %s: %s", image_id, why)
    return retention_event(watch, keep_previous, Retention(tuple(deleted), tuple(kept)))
