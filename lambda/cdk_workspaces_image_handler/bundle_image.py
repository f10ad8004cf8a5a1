"""Custom::WorkspaceBundleImage (apply_to_bundle): a bundle the stack does not manage, re-pointed at an image
(UpdateWorkspaceBundle) and perhaps restored later; its request model, decisions and lifecycle."""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from . import contract, rules
from .cloudformation import Answer, ResourceEvent, not_created_id
from .contract import Attributes
from .contract import BundleImageProps as P
from .errors import InvalidInputError, ServiceError
from .kernel import BUNDLE, digest, refuse, require, resource_key, unknown_properties
from .lifecycle import Lifecycle
from .record import Entry, applied_key
from .repoint import repoint
from .watch import Watch
from .workspaces import Bundle

log = logging.getLogger(__name__)

# DescribeWorkspaceBundles: Owner is "AMAZON" for the public bundles AWS provides, else the owner's account id.
AMAZON_OWNER = "AMAZON"


@dataclass(frozen=True)
class BundleImageRequest:
    """The properties of Custom::WorkspaceBundleImage, as UpdateWorkspaceBundle takes them."""

    bundle_id: str
    image_id: str


def request_problems(props: Mapping[str, Any]) -> list[str]:
    """Every input rule the properties break, in the words synth uses for the same values; unknown ones first."""
    return unknown_properties(contract.BUNDLE_IMAGE_TYPE, props) + rules.bundle_image_problems(
        bundle_id=props.get(P.BUNDLE_ID), image_id=props.get(P.IMAGE_ID)
    )


def parse_bundle_image_request(props: Mapping[str, Any], *, check: bool = True) -> BundleImageRequest:
    if check:
        refuse(request_problems(props))
    require(props, P.BUNDLE_ID, P.IMAGE_ID)
    return BundleImageRequest(bundle_id=str(props[P.BUNDLE_ID]), image_id=str(props[P.IMAGE_ID]))


@dataclass(frozen=True)
class Repoint:
    """What an apply_to_bundle resource did: the bundle it re-pointed, and the image that bundle had before.

    It is the resource's PhysicalResourceId, which CloudFormation keeps and sends back with every later
    event, so the previous image is remembered without a state store.
    """

    bundle_id: str
    previous_image_id: str

    SEPARATOR = ":"

    @property
    def physical_id(self) -> str:
        return f"{self.bundle_id}{self.SEPARATOR}{self.previous_image_id}"

    @classmethod
    def parse(cls, physical_id: str | None) -> Repoint | None:
        """The record in a physical id, or None for one that holds none (a Create that failed before re-pointing)."""
        bundle_id, separator, previous = (physical_id or "").partition(cls.SEPARATOR)
        if not separator or rules.bundle_id_problem(bundle_id) or rules.image_id_problem(previous):
            return None
        return cls(bundle_id, previous)

    def data(self, image_id: str) -> dict[str, str]:
        return {
            Attributes.BUNDLE_ID: self.bundle_id,
            Attributes.IMAGE_ID: image_id,
            Attributes.PREVIOUS_IMAGE_ID: self.previous_image_id,
        }


@dataclass(frozen=True)
class Marker:
    """The tag apply_to_bundle sets on a bundle before re-pointing it: which request replaced which image.

    Lambda retries an invocation whose answer was not delivered (and may deliver an event twice); the
    retry finds the bundle already on the new image. The marker still names the image before, so the
    retry answers the same record. The physical id stays the record of truth; the marker only serves
    a retry of the very request (the same CloudFormation RequestId) and goes when the bundle is restored.
    """

    resource_key: str
    request_key: str
    previous_image_id: str

    @classmethod
    def of(cls, stack_id: str, logical_id: str, request_id: str, previous_image_id: str) -> Marker:
        return cls(resource_key(stack_id, logical_id), digest(request_id), previous_image_id)

    @property
    def value(self) -> str:
        return f"{self.resource_key}.{self.request_key}.{self.previous_image_id}"

    @classmethod
    def parse(cls, value: str | None) -> Marker | None:
        parts = (value or "").split(".")
        if len(parts) != 3 or rules.image_id_problem(parts[2]):
            return None
        return cls(*parts)

    def same_request(self, other: Marker) -> bool:
        return (self.resource_key, self.request_key) == (other.resource_key, other.request_key)


@dataclass(frozen=True)
class ApplyPlan:
    """Whether apply_to_bundle may re-point the bundle, and what it records."""

    reason: str = ""  # set: fail with it
    record: Repoint | None = None
    # The marker to tag the bundle with before re-pointing it; None on a retry that finds its own.
    mark: Marker | None = None
    # False when the bundle already uses the image: nothing to call.
    call: bool = False


def plan_apply(
    request: BundleImageRequest, bundle: Bundle | None, tags: Mapping[str, str], marker: Marker, earlier: Marker | None
) -> ApplyPlan:
    """`marker`: the one this request would set, naming the bundle's current image. `earlier`: the marker the
    provider's record holds for this resource and bundle (record.py), if it re-pointed the bundle before and never
    restored it; never the bundle's tag, which anyone allowed CreateTags can write."""
    bid = request.bundle_id
    if bundle is None:
        return ApplyPlan(
            f"bundle {bid} was not found in this account and Region (DescribeWorkspaceBundles); "
            "check bundle_id and the stack's Region"
        )
    if bundle.owner == AMAZON_OWNER:
        return ApplyPlan(f"bundle {bid} is a public bundle of AWS; only your own custom bundles can be re-pointed")
    if contract.OWNER_TAG_KEY in tags:
        return ApplyPlan(
            f"bundle {bid} is managed by a WorkspaceBundle (it carries the ownership tag {contract.OWNER_TAG_KEY!r}); "
            + rules.MANAGED_BUNDLE_FIX
        )
    call = bundle.image_id != request.image_id
    if earlier is not None:
        # A retry of this very request, or a request of this resource returning to a bundle it re-pointed before
        # (a rollback): the bundle may already use the image; the record knows what it had before the stack's first.
        record = Repoint(bid, earlier.previous_image_id)
        mark = None if earlier.same_request(marker) else replace(marker, previous_image_id=record.previous_image_id)
        return ApplyPlan(record=record, mark=mark, call=call)
    if not bundle.image_id:
        return ApplyPlan(f"bundle {bid} has no ImageId in DescribeWorkspaceBundles, so it could not be restored later")
    # A bundle already on the image records that image: restoring will leave it as it is.
    return ApplyPlan(record=Repoint(bid, bundle.image_id), mark=marker, call=call)


def template_problem(bundle_id: str, named: Collection[str], recorded: bool) -> str | None:
    """apply_to_bundle changes only a bundle its stack's template names (the provider's environment lists them), or
    one the record says this resource re-pointed before (a rollback returning to it, whose template is the old one)."""
    if bundle_id in named or recorded:
        return None
    return (
        f"bundle {bundle_id} is not a bundle this stack's apply_to_bundle names, so nothing was changed; "
        "the provider re-points only the bundles its own template names"
    )


def plan_bundle_image_update(old: BundleImageRequest, new: BundleImageRequest) -> Literal["reapply", "repoint", "none"]:
    """Another bundle is a new record (a replacement); another image re-points the same bundle in place."""
    if old.bundle_id != new.bundle_id:
        return "reapply"
    if old.image_id != new.image_id:
        return "repoint"
    return "none"


@dataclass(frozen=True)
class RestorePlan:
    restore: bool
    why: str


def marked_by(tags: Mapping[str, str] | None, stack_id: str, logical_id: str) -> bool:
    """Does a bundle with these tags carry this resource's marker? Only then may this resource change it."""
    marker = Marker.parse((tags or {}).get(contract.APPLIED_TAG_KEY))
    return marker is not None and marker.resource_key == resource_key(stack_id, logical_id)


def plan_restore(
    record: Repoint | None, applied_image_id: str, bundle: Bundle | None, *, recorded: bool, marked: bool
) -> RestorePlan:
    """On delete: put the previous image back, but only where this resource's image is still in place.

    `recorded`: the provider's record holds this very re-point for the resource. `marked`: the bundle carries this
    resource's marker, which apply_to_bundle set before re-pointing it (a second guard).
    """
    if record is None:
        return RestorePlan(False, "nothing was re-pointed: the Create failed before re-pointing the bundle")
    bid, previous = record.bundle_id, record.previous_image_id
    if not recorded:
        return RestorePlan(
            False, f"bundle {bid} is not in the provider's record of what this resource re-pointed; left alone"
        )
    if bundle is None:
        return RestorePlan(False, f"bundle {bid} no longer exists; nothing to restore")
    if not marked:
        return RestorePlan(
            False, f"bundle {bid} does not carry this resource's marker {contract.APPLIED_TAG_KEY!r}; left alone"
        )
    if bundle.image_id == previous:
        return RestorePlan(False, f"bundle {bid} already uses its previous image {previous}")
    if bundle.image_id != applied_image_id:
        return RestorePlan(
            False,
            f"bundle {bid} now uses {bundle.image_id or 'no image'}, not {applied_image_id} that this resource "
            "applied: someone re-pointed it since; left alone",
        )
    return RestorePlan(True, f"pointing bundle {bid} back at its previous image {previous}")


# ---------------------------------------------------------------- lifecycle


class BundleImageLifecycle(Lifecycle):
    """apply_to_bundle: point a bundle the stack does not manage at an image, and maybe restore it on delete.

    The bundle's previous image is recorded in the PhysicalResourceId (Repoint) and in the provider's record
    (record.py), written before the bundle is marked and re-pointed. Whether a Delete comes at all is the
    resource's DeletionPolicy: the construct's restore_on_delete.
    """

    RESOURCE_TYPE = contract.BUNDLE_IMAGE_TYPE
    WATCHED = BUNDLE

    def create(self, ev: ResourceEvent) -> Answer:
        return self._apply(ev, parse_bundle_image_request(ev.properties), undo_on_failure=False)

    def update(self, ev: ResourceEvent) -> Answer:
        new = parse_bundle_image_request(ev.properties)
        old = parse_bundle_image_request(ev.old_properties, check=False)
        change = plan_bundle_image_update(old, new)
        if change == "reapply":
            # Another bundle: a new record and physical id. CloudFormation sends the old record a Delete
            # (unless its policy retains), which restores the old bundle.
            self.supersede(ev)
            return self._apply(ev, new, undo_on_failure=True)
        record = Repoint.parse(ev.physical_id)
        physical = ev.physical_id or ""
        data = record.data(new.image_id) if record else {}
        if change == "none":
            return Answer(physical, data)
        # Another image for the same bundle: in place, keeping the record of the image before the stack's first.
        if self._entry(ev.logical_id, record) is None or not self._marked(new.bundle_id, ev.stack_id, ev.logical_id):
            raise InvalidInputError(
                f"bundle {new.bundle_id} is not in the provider's record of what this resource re-pointed (or does "
                f"not carry its marker {contract.APPLIED_TAG_KEY!r}), so it was not pointed at {new.image_id}; "
                "apply_to_bundle only changes a bundle it applied an image to"
            )
        self.supersede(ev)
        repoint(self.ws, self.bus, ev.stack_id, ev.logical_id, new.bundle_id, new.image_id, old.image_id)
        return self.answer_when_available(ev, new.bundle_id, Answer(physical, data), undo_on_failure=False)

    def delete(self, ev: ResourceEvent) -> Answer | None:
        self.watches.stop(ev.logical_id, of=ev.physical_id or not_created_id(ev.logical_id))
        record = Repoint.parse(ev.physical_id)
        applied = str(ev.properties.get(P.IMAGE_ID, ""))
        entry = self._entry(ev.logical_id, record)
        bundle = self.ws.describe_bundle(record.bundle_id) if record and entry else None
        marked = bundle is not None and self._marked(bundle.bundle_id, ev.stack_id, ev.logical_id)
        plan = plan_restore(record, applied, bundle, recorded=entry is not None, marked=marked)
        log.info(plan.why)
        if not (plan.restore and record and entry):
            return None
        try:
            self._restore(record, ev.stack_id, ev.logical_id, applied)
        except ServiceError as error:
            raise ServiceError(
                error.code,
                f"bundle {record.bundle_id} could not be pointed back at its previous image "
                f"{record.previous_image_id}: {error}; point the bundle at an image yourself and delete again",
            ) from error
        return None

    def adopt_current(self, ev: ResourceEvent) -> None:
        """Take into the record a re-point an earlier version of the provider made (known by its marker only), when
        CloudFormation confirmed that it holds this very record for the logical id."""
        record = Repoint.parse(ev.physical_id)
        if record is None or not (self.confirmed and self.confirmed.current):
            return
        if self.records.of(ev.logical_id).get(applied_key(record.bundle_id)) is not None:
            return
        marker = Marker.parse((self.ws.tags(record.bundle_id) or {}).get(contract.APPLIED_TAG_KEY))
        if marker is None or marker.resource_key != resource_key(ev.stack_id, ev.logical_id):
            return
        log.info("adopting the re-point of bundle %s into the record: an earlier version made it", record.bundle_id)
        self.records.put(ev.logical_id, _entry_of(record, marker))

    def describe_all(self, resource_ids: Sequence[str]) -> Mapping[str, Bundle]:
        return self.ws.describe_bundles(resource_ids)

    def undo(self, watch: Watch) -> str:
        record = Repoint.parse(watch.physical_id)
        if record is None:
            return ""
        if self._entry(watch.logical_id, record) is None or not self._marked(
            record.bundle_id, watch.stack_id, watch.logical_id
        ):
            return (
                f"; bundle {record.bundle_id} is not in the provider's record of what this resource re-pointed, "
                "so it was left alone"
            )
        return self._put_back(record, watch.stack_id, watch.logical_id, str(watch.data.get(Attributes.IMAGE_ID, "")))

    # ------------------------------------------------------------ steps

    def _apply(self, ev: ResourceEvent, request: BundleImageRequest, *, undo_on_failure: bool) -> Answer:
        entry = self.records.of(ev.logical_id).get(applied_key(request.bundle_id))
        problem = template_problem(request.bundle_id, self.template.apply_bundles, entry is not None)
        if problem:
            raise InvalidInputError(problem)
        bundle = self.ws.describe_bundle(request.bundle_id)
        tags = (self.ws.tags(request.bundle_id) or {}) if bundle else {}
        marker = Marker.of(ev.stack_id, ev.logical_id, ev.request_id, bundle.image_id if bundle else "")
        plan = plan_apply(request, bundle, tags, marker, Marker.parse(entry.tag) if entry else None)
        if plan.reason or plan.record is None:
            raise InvalidInputError(plan.reason)
        record = plan.record
        if plan.mark:
            # Recorded, then marked, before re-pointing: a retry of this request still finds the image it replaces.
            replacing = (ev.physical_id or "") if ev.request_type == "Update" else ""
            self.records.put(ev.logical_id, _entry_of(record, plan.mark, replaced=replacing))
            self.ws.set_tags(request.bundle_id, {contract.APPLIED_TAG_KEY: plan.mark.value})
        if plan.call:
            try:
                repoint(
                    self.ws,
                    self.bus,
                    ev.stack_id,
                    ev.logical_id,
                    request.bundle_id,
                    request.image_id,
                    record.previous_image_id,
                )
            except ServiceError:
                if plan.mark and entry is None:
                    # Refused: the bundle is as it was, so neither the marker nor the record may stay.
                    self._unmark(record.bundle_id)
                    self.records.drop(ev.logical_id, _entry_of(record, plan.mark))
                raise
        else:
            log.info("bundle %s already uses image %s (record %s)", request.bundle_id, request.image_id, record)
        # From here a failure answers this record, so the rollback Delete can restore the bundle.
        self.made = record.physical_id
        answer = Answer(record.physical_id, record.data(request.image_id))
        try:
            return self.answer_when_available(ev, request.bundle_id, answer, undo_on_failure=undo_on_failure)
        except Exception:
            if undo_on_failure and plan.call:
                # A failed replacement is forgotten by CloudFormation: no Delete will restore this bundle.
                log.warning(self._put_back(record, ev.stack_id, ev.logical_id, request.image_id).removeprefix("; "))
            raise

    def _entry(self, logical_id: str, record: Repoint | None) -> Entry | None:
        """The record's entry of this very re-point, if the record holds it."""
        if record is None:
            return None
        entry = self.records.of(logical_id).get(applied_key(record.bundle_id))
        return entry if entry is not None and entry.physical_id == record.physical_id else None

    def _marked(self, bundle_id: str, stack_id: str, logical_id: str) -> bool:
        return marked_by(self.ws.tags(bundle_id), stack_id, logical_id)

    def _restore(self, record: Repoint, stack_id: str, logical_id: str, applied_image_id: str) -> None:
        """Point the bundle back at the image it had before `applied_image_id`, and forget the re-point. Raises
        ServiceError."""
        repoint(self.ws, self.bus, stack_id, logical_id, record.bundle_id, record.previous_image_id, applied_image_id)
        self._unmark(record.bundle_id)
        entry = self.records.of(logical_id).get(applied_key(record.bundle_id))
        if entry is not None:
            self.records.drop(logical_id, entry)

    def _unmark(self, bundle_id: str) -> None:
        try:
            self.ws.delete_tags(bundle_id, [contract.APPLIED_TAG_KEY])
        except ServiceError as error:
            # The image is back, which is what matters; a leftover marker only serves people.
            log.warning("could not remove the tag %s from %s: %s", contract.APPLIED_TAG_KEY, bundle_id, error)

    def _put_back(self, record: Repoint, stack_id: str, logical_id: str, applied_image_id: str) -> str:
        """Restore after a failed wait, and say how that went, to end the failure's reason."""
        try:
            self._restore(record, stack_id, logical_id, applied_image_id)
        except ServiceError as error:
            return f"; bundle {record.bundle_id} could not be pointed back at {record.previous_image_id}: {error}"
        return f"; bundle {record.bundle_id} was pointed back at its previous image {record.previous_image_id}"


def _entry_of(record: Repoint, marker: Marker, *, replaced: str = "") -> Entry:
    """The record's entry of a re-point; `replaced`: the record an Update's new one replaces (its cleanup Delete)."""
    return Entry(
        applied_key(record.bundle_id),
        resource_id=record.bundle_id,
        physical_id=record.physical_id,
        tag=marker.value,
        previous_image_id=record.previous_image_id,
        replaced=replaced if replaced != record.physical_id else "",
    )
