"""Every decision the handler makes, as pure functions of what it has read.

Nothing here calls AWS, so each decision is tested on its own: create or adopt,
replace or update, delete or keep, and what to report.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

import rules

# A custom resource may take at most 3600 s to answer (ServiceTimeout). When
# the handler defers its answer it keeps this margin for Lambda's retries.
SERVICE_TIMEOUT_SECONDS = 3600
DEFERRED_ANSWER_MARGIN_SECONDS = 300


class InvalidRequestError(ValueError):
    """The properties break a rule; the message says which, in rules.py's words."""


def refuse(problems: Sequence[str]) -> None:
    """Fail with every broken rule at once, as synth does."""
    if problems:
        raise InvalidRequestError("; ".join(problems))


@dataclass(frozen=True)
class Kind:
    """The words and id shape of one kind of WorkSpaces resource, so shared decisions speak of it correctly."""

    noun: str
    article: str
    prefix: str
    # The prop that names it, and the props whose change replaces it (for the name-taken reason).
    name_prop: str
    replacing_props: str
    # What a watch that ran out of time says after "is still PENDING".
    timeout_text: str
    # Anything more to say when its name is taken.
    name_note: str = ""


IMAGE = Kind(
    noun="image",
    article="an",
    prefix="wsi-",
    name_prop="image_name",
    replacing_props="source_image_id or description",
    timeout_text="after the configured timeout; raise timeout (at most 12 hours) or retry later",
)
BUNDLE = Kind(
    noun="bundle",
    article="a",
    prefix="wsb-",
    name_prop="bundle_name",
    replacing_props="description, compute_type or a storage size",
    timeout_text="within the custom resource's hour; deploy again once WorkSpaces reports it AVAILABLE",
    # Delete a custom WorkSpaces bundle or image (WorkSpaces Administration Guide, delete_bundle.html):
    # "wait at least 2 hours after deleting a bundle before creating a new bundle with the same name".
    name_note=" (WorkSpaces asks to wait 2 hours after deleting a bundle before reusing its name)",
)


class Keyed(Protocol):
    """A request whose replacing values go into the ownership tag."""

    @property
    def replacing_values(self) -> tuple[str, ...]: ...


class Observed(Protocol):
    """What a watch needs to know of the resource it waits for."""

    @property
    def state(self) -> str: ...

    @property
    def problem(self) -> str: ...


@dataclass(frozen=True)
class ImageRequest:
    source_image_id: str
    name: str
    description: str
    tags: Mapping[str, str] = field(default_factory=dict)
    no_update_behavior: str = "FAIL"
    timeout_seconds: int = 3 * 3600
    wait_handle: str | None = field(default=None, repr=False)

    @property
    def replacing_values(self) -> tuple[str, str, str]:
        """The values whose change makes a new image (everything the API takes but Tags)."""
        return (self.source_image_id, self.name, self.description)


@dataclass(frozen=True)
class Image:
    """What DescribeWorkspaceImages says of one image."""

    image_id: str
    name: str
    state: str
    created: datetime | None = None
    update_available: bool = False
    update_description: str = ""
    error_code: str = ""
    error_message: str = ""
    error_details: Sequence[tuple[str, str]] = ()

    @property
    def problem(self) -> str:
        """The service's own account of an ERROR, ready to follow the state in a reason."""
        return _error_suffix(self)


def tags_from(value: Any) -> dict[str, str]:
    if value in (None, ""):
        return {}
    if not isinstance(value, list) or not all(isinstance(t, Mapping) and "Key" in t for t in value):
        raise InvalidRequestError(f"tags (Tags) {value!r} must be a list of {{Key, Value}} objects")
    return {str(t["Key"]): str(t.get("Value", "")) for t in value}


def parse_request(props: Mapping[str, Any], *, check: bool = True) -> ImageRequest:
    """Read the resource properties, applying rules.py to what tokens hid at synth time."""
    missing = [k for k in ("SourceImageId", "Name", "Description") if not props.get(k)]
    if missing:
        raise InvalidRequestError(f"missing required properties: {', '.join(missing)}")
    raw_timeout = props.get("TimeoutSeconds", 3 * 3600)
    try:
        timeout = int(float(raw_timeout))
    except (TypeError, ValueError):
        raise InvalidRequestError(f"timeout (TimeoutSeconds) {raw_timeout!r} must be a number of seconds") from None
    request = ImageRequest(
        source_image_id=str(props["SourceImageId"]),
        name=str(props["Name"]),
        description=str(props["Description"]),
        tags=tags_from(props.get("Tags")),
        no_update_behavior=str(props.get("NoUpdateBehavior", "FAIL")),
        timeout_seconds=timeout,
        wait_handle=props.get("WaitHandle") or None,
    )
    if check:
        refuse(
            rules.image_problems(
                source_image_id=request.source_image_id,
                image_name=request.name,
                description=request.description,
                tags=request.tags,
                timeout_seconds=request.timeout_seconds,
                no_update_behavior=request.no_update_behavior,
            )
        )
    return request


def digest(*parts: str, size: int = 16) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:size]


@dataclass(frozen=True)
class Ownership:
    """The ownership tag: which resource made an image or bundle, and for which request."""

    resource_key: str
    request_key: str

    @classmethod
    def of(cls, stack_id: str, logical_id: str, request: Keyed) -> Ownership:
        return cls(digest(stack_id, logical_id), digest(*request.replacing_values))

    @property
    def tag_value(self) -> str:
        return f"{self.resource_key}.{self.request_key}"

    def made(self, tag_value: str | None) -> bool:
        """Did this resource create the resource carrying `tag_value` (for any request)?"""
        return bool(tag_value) and str(tag_value).split(".")[0] == self.resource_key


def resource_key(stack_id: str, logical_id: str) -> str:
    return digest(stack_id, logical_id)


# ---------------------------------------------------------------- create or adopt


@dataclass(frozen=True)
class Adoption:
    keep: str | None
    extras: tuple[str, ...] = ()


def choose_adoption(resource_ids: Sequence[str]) -> Adoption:
    """Among resources this resource made for this very request, keep one and drop the rest.

    Two deliveries of one Create racing each other may both create one if the
    service lets names repeat (undocumented). Each picks the smallest id, so
    both keep the same one and delete the same extras: nothing is orphaned.
    """
    ordered = sorted(set(resource_ids))
    if not ordered:
        return Adoption(None)
    return Adoption(ordered[0], tuple(ordered[1:]))


@dataclass(frozen=True)
class SourceDecision:
    action: Literal["create", "use_source", "fail"]
    reason: str = ""


def decide_source(request: ImageRequest, source: Image | None) -> SourceDecision:
    """The pre-flight check on the source image, before anything is created."""
    sid = request.source_image_id
    if source is None:
        return SourceDecision(
            "fail",
            f"source image {sid} was not found in this account and Region (DescribeWorkspaceImages); "
            "check source_image_id and the stack's Region",
        )
    if source.state != "AVAILABLE":
        return SourceDecision(
            "fail", f"source image {sid} is {source.state}; it must be AVAILABLE to be updated{_error_suffix(source)}"
        )
    if source.update_available:
        return SourceDecision("create")
    if request.no_update_behavior == "USE_SOURCE":
        return SourceDecision("use_source", f"source image {sid} has no update available; using it as is")
    return SourceDecision(
        "fail",
        f"source image {sid} has no update available (Updates.UpdateAvailable is false), so there is nothing "
        "to create; set no_update_behavior=USE_SOURCE to use the source image as is",
    )


def name_taken_reason(name: str, held_by_this_resource: Sequence[str], kind: Kind = IMAGE) -> str:
    noun, prop = kind.noun, kind.name_prop
    if held_by_this_resource:
        return (
            f"{prop} {name!r} is still used by {', '.join(held_by_this_resource)}, the {noun} this resource is "
            f"replacing: CloudFormation creates the new {noun} before it deletes the old one, so change {prop} "
            f"together with {kind.replacing_props}"
        )
    return (
        f"{kind.article} {noun} named {name!r} already exists and was not created by this resource; "
        f"choose another {prop}, or delete that {noun}{kind.name_note}"
    )


# ---------------------------------------------------------------- replace or update


@dataclass(frozen=True)
class TagChanges:
    """A tags-only update, applied in place with CreateTags and DeleteTags."""

    to_set: Mapping[str, str] = field(default_factory=dict)
    to_delete: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.to_set or self.to_delete)


def tag_changes(old: Mapping[str, str], new: Mapping[str, str]) -> TagChanges:
    return TagChanges(
        to_set={k: v for k, v in new.items() if old.get(k) != v},
        to_delete=tuple(sorted(k for k in old if k not in new)),
    )


@dataclass(frozen=True)
class UpdatePlan:
    replace: bool
    tags: TagChanges = field(default_factory=TagChanges)
    # The wait condition has a new handle that must be told about the image.
    resignal: bool = False
    # A new image is needed but CloudFormation made no new wait condition for it
    # (a replacing property is a deploy-time token): answer only once it is AVAILABLE.
    defer_answer: bool = False

    @property
    def tags_to_set(self) -> Mapping[str, str]:
        return self.tags.to_set

    @property
    def tags_to_delete(self) -> tuple[str, ...]:
        return self.tags.to_delete


def plan_update(old: ImageRequest, new: ImageRequest) -> UpdatePlan:
    handle_changed = old.wait_handle != new.wait_handle
    if old.replacing_values != new.replacing_values:
        return UpdatePlan(replace=True, resignal=handle_changed, defer_answer=not handle_changed)
    return UpdatePlan(replace=False, tags=tag_changes(old.tags, new.tags), resignal=handle_changed)


# ---------------------------------------------------------------- delete or keep


@dataclass(frozen=True)
class DeletePlan:
    delete: bool
    why: str


def plan_delete(physical_id: str | None, owner_tag: str | None, ownership_key: str, kind: Kind = IMAGE) -> DeletePlan:
    noun = kind.noun
    if not physical_id or not physical_id.startswith(kind.prefix):
        return DeletePlan(
            False,
            f"{physical_id!r} is not {kind.article} {noun} id: the Create failed before making {kind.article} {noun}",
        )
    if owner_tag is None:
        return DeletePlan(False, f"{noun} {physical_id} does not carry this resource's ownership tag; left alone")
    if str(owner_tag).split(".")[0] != ownership_key:
        return DeletePlan(False, f"{noun} {physical_id} was made by another resource; left alone")
    return DeletePlan(True, f"deleting {noun} {physical_id}, which this resource created")


# ---------------------------------------------------------------- waiting and reporting


@dataclass(frozen=True)
class Outcome:
    done: bool
    success: bool = False
    reason: str = ""


def _error_suffix(image: Image) -> str:
    parts = [p for p in (image.error_code, image.error_message) if p]
    details = [": ".join(p for p in d if p) for d in image.error_details]
    text = ": ".join(parts)
    if details:
        text = f"{text} (details: {'; '.join(details)})" if text else f"details: {'; '.join(details)}"
    return f" - {text}" if text else ""


def watch_outcome(resource_id: str, found: Observed | None, now: float, deadline: float, kind: Kind = IMAGE) -> Outcome:
    """Whether waiting for `resource_id` to be AVAILABLE is over, and how it ended."""
    noun = kind.noun
    if found is None:
        return Outcome(True, False, f"{noun} {resource_id} no longer exists (deleted while waiting for AVAILABLE)")
    if found.state == "AVAILABLE":
        return Outcome(True, True, f"{noun} {resource_id} is AVAILABLE")
    if found.state == "ERROR":
        return Outcome(True, False, f"{noun} {resource_id} went to ERROR{found.problem}")
    if now >= deadline:
        return Outcome(True, False, f"timed out: {noun} {resource_id} is still {found.state} {kind.timeout_text}")
    return Outcome(False)


def respond_deadline(now: float) -> float:
    """The latest a deferred answer may come: within the custom resource's hour, less a margin for Lambda's retries."""
    return now + SERVICE_TIMEOUT_SECONDS - DEFERRED_ANSWER_MARGIN_SECONDS


def deadline_for(image: Image | None, request: ImageRequest, now: float, *, deferred: bool) -> float:
    """When waiting gives up: the timeout counts from the image's creation, so retries don't extend it."""
    started = image.created.timestamp() if image is not None and image.created is not None else now
    deadline = started + rules.handler_wait_seconds(request.timeout_seconds)
    if deferred:
        deadline = min(deadline, respond_deadline(now))
    return deadline
