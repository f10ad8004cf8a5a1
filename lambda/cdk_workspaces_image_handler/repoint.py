"""Re-pointing a bundle at another image (UpdateWorkspaceBundle), and the news of it: what both bundle types share
(a WorkspaceBundle's new image_id, and apply_to_bundle's apply and restore)."""

from __future__ import annotations

import logging

from . import contract
from .bus import Bus, Event
from .workspaces import WorkSpaces

log = logging.getLogger(__name__)


def bundle_moved(stack_id: str, logical_id: str, bundle_id: str, image_id: str, previous_image_id: str) -> Event:
    """The event of a bundle that now uses another image (UpdateWorkspaceBundle succeeded)."""
    d = contract.Detail
    return Event(
        contract.DetailTypes.BUNDLE_IMAGE_CHANGED,
        {
            d.STACK_ID: stack_id,
            d.LOGICAL_ID: logical_id,
            d.BUNDLE_ID: bundle_id,
            d.IMAGE_ID: image_id,
            d.PREVIOUS_IMAGE_ID: previous_image_id,
        },
    )


def repoint(
    ws: WorkSpaces, bus: Bus, stack_id: str, logical_id: str, bundle_id: str, image_id: str, previous_image_id: str
) -> None:
    """Point a bundle at another image for the custom resource `logical_id` of `stack_id` (UpdateWorkspaceBundle),
    and say so on the bus. Raises ServiceError."""
    ws.update_bundle(bundle_id, image_id)
    log.info("bundle %s now uses image %s (before: %s)", bundle_id, image_id, previous_image_id)
    bus.put(bundle_moved(stack_id, logical_id, bundle_id, image_id, previous_image_id))
