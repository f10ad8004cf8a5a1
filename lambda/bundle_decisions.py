"""The decisions about bundles, as pure functions of what the handler has read.

Two resource types use them: Custom::WorkspaceBundle (a bundle the stack
creates and owns) and Custom::WorkspaceBundleImage (apply_to_bundle: a bundle
the stack does not manage, re-pointed at an image and perhaps restored later).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import rules
from decisions import InvalidRequestError, TagChanges, digest, refuse, resource_key, tag_changes, tags_from

# DescribeWorkspaceBundles: Owner is "AMAZON" for the public bundles AWS provides, else the owner's account id.
AMAZON_OWNER = "AMAZON"


@dataclass(frozen=True)
class BundleRequest:
    """The properties of Custom::WorkspaceBundle, as CreateWorkspaceBundle takes them."""

    name: str
    description: str
    image_id: str
    compute_type: str
    user_storage: str
    root_storage: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def replacing_values(self) -> tuple[str, ...]:
        """The values whose change makes a new bundle: all CreateWorkspaceBundle takes but the image and Tags.

        UpdateWorkspaceBundle changes the image in place, so it stays out of the ownership tag too.
        """
        return (self.name, self.description, self.compute_type, self.user_storage, self.root_storage or "")


@dataclass(frozen=True)
class Bundle:
    """What DescribeWorkspaceBundles says of one bundle."""

    bundle_id: str
    name: str = ""
    image_id: str = ""
    owner: str = ""
    state: str = "AVAILABLE"

    @property
    def problem(self) -> str:
        # The model gives a bundle in ERROR no error code or message.
        return ""


def _capacity(props: Mapping[str, Any], key: str) -> str | None:
    value = props.get(key)
    if value in (None, ""):
        return None
    if not isinstance(value, Mapping) or value.get("Capacity") in (None, ""):
        raise InvalidRequestError(f"{key} {value!r} must be an object {{Capacity: <GB>}}")
    return str(value["Capacity"])


def parse_bundle_request(props: Mapping[str, Any], *, check: bool = True) -> BundleRequest:
    """Read the resource properties, applying rules.py to what tokens hid at synth time."""
    required = ("BundleName", "BundleDescription", "ImageId", "ComputeType", "UserStorage")
    missing = [k for k in required if not props.get(k)]
    if missing:
        raise InvalidRequestError(f"missing required properties: {', '.join(missing)}")
    compute = props["ComputeType"]
    if not isinstance(compute, Mapping) or not compute.get("Name"):
        raise InvalidRequestError(f"compute_type (ComputeType) {compute!r} must be an object {{Name: <compute type>}}")
    user_storage = _capacity(props, "UserStorage")
    assert user_storage is not None  # required above
    request = BundleRequest(
        name=str(props["BundleName"]),
        description=str(props["BundleDescription"]),
        image_id=str(props["ImageId"]),
        compute_type=str(compute["Name"]),
        user_storage=user_storage,
        root_storage=_capacity(props, "RootStorage"),
        tags=tags_from(props.get("Tags")),
    )
    if check:
        refuse(
            rules.bundle_problems(
                bundle_name=request.name,
                description=request.description,
                image_id=request.image_id,
                compute_type=request.compute_type,
                tags=request.tags,
            )
            + rules.storage_problems(request.user_storage, request.root_storage)
        )
    return request


@dataclass(frozen=True)
class BundleUpdatePlan:
    replace: bool
    tags: TagChanges = field(default_factory=TagChanges)
    # Re-point the bundle at this image in place (UpdateWorkspaceBundle), keeping its id.
    image_id: str | None = None


def plan_bundle_update(old: BundleRequest, new: BundleRequest) -> BundleUpdatePlan:
    if old.replacing_values != new.replacing_values:
        return BundleUpdatePlan(replace=True)
    return BundleUpdatePlan(
        replace=False,
        tags=tag_changes(old.tags, new.tags),
        image_id=new.image_id if new.image_id != old.image_id else None,
    )


# ---------------------------------------------------------------- apply_to_bundle


@dataclass(frozen=True)
class BundleImageRequest:
    """The properties of Custom::WorkspaceBundleImage, as UpdateWorkspaceBundle takes them."""

    bundle_id: str
    image_id: str


def parse_bundle_image_request(props: Mapping[str, Any], *, check: bool = True) -> BundleImageRequest:
    missing = [k for k in ("BundleId", "ImageId") if not props.get(k)]
    if missing:
        raise InvalidRequestError(f"missing required properties: {', '.join(missing)}")
    request = BundleImageRequest(bundle_id=str(props["BundleId"]), image_id=str(props["ImageId"]))
    if check:
        refuse(rules.bundle_image_problems(bundle_id=request.bundle_id, image_id=request.image_id))
    return request


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
        return {"BundleId": self.bundle_id, "ImageId": image_id, "PreviousImageId": self.previous_image_id}


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
    request: BundleImageRequest, bundle: Bundle | None, tags: Mapping[str, str], marker: Marker
) -> ApplyPlan:
    """`marker`: the one this request would set, naming the bundle's current image."""
    bid = request.bundle_id
    if bundle is None:
        return ApplyPlan(
            f"bundle {bid} was not found in this account and Region (DescribeWorkspaceBundles); "
            "check bundle_id and the stack's Region"
        )
    if bundle.owner == AMAZON_OWNER:
        return ApplyPlan(f"bundle {bid} is a public bundle of AWS; only your own custom bundles can be re-pointed")
    if rules.OWNER_TAG_KEY in tags:
        return ApplyPlan(
            f"bundle {bid} is managed by a WorkspaceBundle (it carries the ownership tag {rules.OWNER_TAG_KEY!r}); "
            "change that WorkspaceBundle's image_id instead of applying an image to it"
        )
    call = bundle.image_id != request.image_id
    earlier = Marker.parse(tags.get(rules.APPLIED_TAG_KEY))
    if earlier is not None and earlier.same_request(marker):
        # A retry of this very request: the bundle may already use the image; the marker knows what it had.
        return ApplyPlan(record=Repoint(bid, earlier.previous_image_id), call=call)
    if not bundle.image_id:
        return ApplyPlan(f"bundle {bid} has no ImageId in DescribeWorkspaceBundles, so it could not be restored later")
    # A bundle already on the image records that image: restoring will leave it as it is.
    return ApplyPlan(record=Repoint(bid, bundle.image_id), mark=marker, call=call)


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


def plan_restore(record: Repoint | None, applied_image_id: str, bundle: Bundle | None) -> RestorePlan:
    """On delete: put the previous image back, but only where this resource's image is still in place."""
    if record is None:
        return RestorePlan(False, "nothing was re-pointed: the Create failed before re-pointing the bundle")
    bid, previous = record.bundle_id, record.previous_image_id
    if bundle is None:
        return RestorePlan(False, f"bundle {bid} no longer exists; nothing to restore")
    if bundle.image_id == previous:
        return RestorePlan(False, f"bundle {bid} already uses its previous image {previous}")
    if bundle.image_id != applied_image_id:
        return RestorePlan(
            False,
            f"bundle {bid} now uses {bundle.image_id or 'no image'}, not {applied_image_id} that this resource "
            "applied: someone re-pointed it since; left alone",
        )
    return RestorePlan(True, f"pointing bundle {bid} back at its previous image {previous}")
