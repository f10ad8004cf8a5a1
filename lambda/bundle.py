"""The lifecycles of Custom::WorkspaceBundle and Custom::WorkspaceBundleImage: only what sets bundles apart.

Bundles have a State (PENDING, AVAILABLE or ERROR in the botocore model); whether a
new or re-pointed bundle is ever PENDING, and for how long, is undocumented. So
both resources answer at once when the bundle is AVAILABLE and otherwise let a
watch answer once it is, within the custom resource's hour.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import bundle_decisions as b
import decisions as d
import rules
from cfn import ResourceEvent
from lifecycle import Answer, Lifecycle, OwnedLifecycle
from watch import Watch
from workspaces import WorkSpacesError

log = logging.getLogger(__name__)


class BundleLifecycle(OwnedLifecycle[b.BundleRequest]):
    """A bundle the stack creates: a new image is applied in place, tags in place, anything else replaces it."""

    RESOURCE_TYPE = "Custom::WorkspaceBundle"
    KIND = d.BUNDLE
    WATCHED = d.BUNDLE
    ATTRIBUTE = "BundleId"

    def create(self, ev: ResourceEvent, function_arn: str) -> Answer:
        request = self.read(ev.properties)
        return self._ready(ev, self._obtain(ev, request), function_arn, undo_on_failure=False)

    def update(self, ev: ResourceEvent, function_arn: str) -> Answer:
        new = self.read(ev.properties)
        old = self.read(ev.old_properties, check=False)
        plan = b.plan_bundle_update(old, new)
        if plan.replace:
            return self._replace(ev, new, lambda made: self._ready(ev, made, function_arn, undo_on_failure=True))
        current = self._retag(ev, new, plan.tags)
        if plan.image_id is None:
            return self._answer(current)
        # The monthly path: same bundle, new image. CloudFormation deletes a replaced image only in its
        # cleanup phase, after every update succeeded, so the old image is free by then.
        self.ws.update_bundle(current, plan.image_id)
        log.info("bundle %s now uses image %s", current, plan.image_id)
        return self._ready(ev, current, function_arn, undo_on_failure=False)

    def read(self, properties: Mapping[str, Any], *, check: bool = True) -> b.BundleRequest:
        return b.parse_bundle_request(properties, check=check)

    def candidates(self, request: b.BundleRequest) -> Sequence[str]:
        return [bundle.bundle_id for bundle in self.ws.owned_bundles_named(request.name)]

    def make(self, request: b.BundleRequest, tags: Mapping[str, str]) -> str:
        return self.ws.create_bundle(request, tags)

    def remove(self, resource_id: str) -> None:
        self.ws.delete_bundle(resource_id)

    def look(self, resource_id: str) -> b.Bundle | None:
        return self.ws.describe_bundle(resource_id)

    def _ready(self, ev: ResourceEvent, bundle_id: str, function_arn: str, *, undo_on_failure: bool) -> Answer:
        return self._answer_when_available(
            ev, bundle_id, self._answer(bundle_id), function_arn, undo_on_failure=undo_on_failure
        )


class BundleImageLifecycle(Lifecycle):
    """apply_to_bundle: point a bundle the stack does not manage at an image, and maybe restore it on delete.

    The bundle's previous image is recorded in the PhysicalResourceId (bundle_decisions.Repoint). Whether a
    Delete comes at all is the resource's DeletionPolicy: the construct's restore_on_delete.
    """

    RESOURCE_TYPE = "Custom::WorkspaceBundleImage"
    WATCHED = d.BUNDLE

    def create(self, ev: ResourceEvent, function_arn: str) -> Answer:
        return self._apply(ev, b.parse_bundle_image_request(ev.properties), function_arn, undo_on_failure=False)

    def update(self, ev: ResourceEvent, function_arn: str) -> Answer:
        new = b.parse_bundle_image_request(ev.properties)
        old = b.parse_bundle_image_request(ev.old_properties, check=False)
        change = b.plan_bundle_image_update(old, new)
        if change == "reapply":
            # Another bundle: a new record and physical id. CloudFormation sends the old record a Delete
            # (unless its policy retains), which restores the old bundle.
            return self._apply(ev, new, function_arn, undo_on_failure=True)
        record = b.Repoint.parse(ev.physical_id)
        physical = ev.physical_id or ""
        data = record.data(new.image_id) if record else {}
        if change == "none":
            return Answer(physical, data)
        # Another image for the same bundle: in place, keeping the record of the image before the stack's first.
        self.ws.update_bundle(new.bundle_id, new.image_id)
        return self._answer_when_available(
            ev, new.bundle_id, Answer(physical, data), function_arn, undo_on_failure=False
        )

    def delete(self, ev: ResourceEvent) -> None:
        self.scheduler.stop(ev.stack_id, ev.logical_id)
        record = b.Repoint.parse(ev.physical_id)
        applied = str(ev.properties.get("ImageId", ""))
        bundle = self.ws.describe_bundle(record.bundle_id) if record else None
        plan = b.plan_restore(record, applied, bundle)
        log.info(plan.why)
        if not (plan.restore and record):
            return
        try:
            self._restore(record)
        except WorkSpacesError as error:
            raise WorkSpacesError(
                error.code,
                f"bundle {record.bundle_id} could not be pointed back at its previous image "
                f"{record.previous_image_id}: {error}; point the bundle at an image yourself and delete again",
            ) from error

    def look(self, resource_id: str) -> b.Bundle | None:
        return self.ws.describe_bundle(resource_id)

    def undo(self, watch: Watch) -> str:
        record = b.Repoint.parse(watch.physical_id)
        return self._put_back(record) if record else ""

    # ------------------------------------------------------------ steps

    def _apply(
        self, ev: ResourceEvent, request: b.BundleImageRequest, function_arn: str, *, undo_on_failure: bool
    ) -> Answer:
        bundle = self.ws.describe_bundle(request.bundle_id)
        tags = (self.ws.tags(request.bundle_id) or {}) if bundle else {}
        marker = b.Marker.of(ev.stack_id, ev.logical_id, ev.request_id, bundle.image_id if bundle else "")
        plan = b.plan_apply(request, bundle, tags, marker)
        if plan.reason or plan.record is None:
            raise d.InvalidRequestError(plan.reason)
        record = plan.record
        if plan.mark:
            # Before re-pointing, so that a retry of this request still finds the image it replaces.
            self.ws.set_tags(request.bundle_id, {rules.APPLIED_TAG_KEY: plan.mark.value})
        if plan.call:
            self.ws.update_bundle(request.bundle_id, request.image_id)
            log.info("bundle %s now uses image %s (record %s)", request.bundle_id, request.image_id, record)
        else:
            log.info("bundle %s already uses image %s (record %s)", request.bundle_id, request.image_id, record)
        # From here a failure answers this record, so the rollback Delete can restore the bundle.
        self.made = record.physical_id
        answer = Answer(record.physical_id, record.data(request.image_id))
        try:
            return self._answer_when_available(
                ev, request.bundle_id, answer, function_arn, undo_on_failure=undo_on_failure
            )
        except Exception:
            if undo_on_failure and plan.call:
                # A failed replacement is forgotten by CloudFormation: no Delete will restore this bundle.
                log.warning(self._put_back(record).removeprefix("; "))
            raise

    def _restore(self, record: b.Repoint) -> None:
        self.ws.update_bundle(record.bundle_id, record.previous_image_id)
        log.info("bundle %s points at its previous image %s again", record.bundle_id, record.previous_image_id)
        try:
            self.ws.delete_tags(record.bundle_id, [rules.APPLIED_TAG_KEY])
        except WorkSpacesError as error:
            # The image is back, which is what matters; a leftover marker only serves a retry.
            log.warning("could not remove the tag %s from %s: %s", rules.APPLIED_TAG_KEY, record.bundle_id, error)

    def _put_back(self, record: b.Repoint) -> str:
        """Restore after a failed wait, and say how that went, to end the failure's reason."""
        try:
            self._restore(record)
        except WorkSpacesError as error:
            return f"; bundle {record.bundle_id} could not be pointed back at {record.previous_image_id}: {error}"
        return f"; bundle {record.bundle_id} was pointed back at its previous image {record.previous_image_id}"
