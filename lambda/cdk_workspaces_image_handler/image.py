"""Custom::UpdatedWorkspaceImage: an image made by CreateUpdatedWorkspaceImage, its decisions and lifecycle."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from . import contract
from .cloudformation import Answer, ResourceEvent
from .contract import ImageProps as P
from .errors import InvalidInputError
from .kernel import (
    IMAGE,
    Observed,
    TagChanges,
    refuse,
    require,
    tag_changes,
    tags_as_given,
    tags_from,
    unknown_properties,
)
from .lifecycle import OwnedLifecycle
from .workspaces import Image

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 3 * 3600


@dataclass(frozen=True)
class ImageRequest:
    source_image_id: str
    name: str
    description: str
    tags: Mapping[str, str] = field(default_factory=dict)
    no_update_behavior: str = "FAIL"
    timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS
    wait_handle: str | None = field(default=None, repr=False)

    @property
    def replacing_values(self) -> tuple[str, str, str]:
        """The values whose change makes a new image (everything the API takes but Tags)."""
        return (self.source_image_id, self.name, self.description)


def _timeout(raw: Any) -> tuple[int | None, str | None]:
    """TimeoutSeconds as whole seconds, or what is wrong with it."""
    try:
        return int(float(raw)), None
    except (TypeError, ValueError, OverflowError):  # OverflowError: "inf" is a float but no int
        label = contract.label_of("timeout", P.TIMEOUT_SECONDS)
        return None, contract.type_problem(label, raw, "a number of seconds")


def request_problems(props: Mapping[str, Any]) -> list[str]:
    """Every input rule the properties break, in the words synth uses for the same values; unknown ones first."""
    tags, tag_problems = tags_as_given(props.get(P.TAGS))
    timeout, timeout_problem = _timeout(props.get(P.TIMEOUT_SECONDS, DEFAULT_TIMEOUT_SECONDS))
    found = unknown_properties(contract.IMAGE_TYPE, props) + contract.image_problems(
        source_image_id=props.get(P.SOURCE_IMAGE_ID),
        image_name=props.get(P.NAME),
        description=props.get(P.DESCRIPTION),
        tags=tags,
        timeout_seconds=contract.UNKNOWN if timeout is None else timeout,
        no_update_behavior=props.get(P.NO_UPDATE_BEHAVIOR, "FAIL"),
    )
    wait_handle = contract.wait_handle_problem(props.get(P.WAIT_HANDLE))
    return found + tag_problems + [p for p in (timeout_problem, wait_handle) if p]


def parse_request(props: Mapping[str, Any], *, check: bool = True) -> ImageRequest:
    """Read the resource properties; `check` applies the contract's input rules to what tokens hid at synth time."""
    if check:
        refuse(request_problems(props))
    require(props, P.SOURCE_IMAGE_ID, P.NAME, P.DESCRIPTION)
    timeout, timeout_problem = _timeout(props.get(P.TIMEOUT_SECONDS, DEFAULT_TIMEOUT_SECONDS))
    if timeout is None:
        raise InvalidInputError(timeout_problem)
    return ImageRequest(
        source_image_id=str(props[P.SOURCE_IMAGE_ID]),
        name=str(props[P.NAME]),
        description=str(props[P.DESCRIPTION]),
        tags=tags_from(props.get(P.TAGS)),
        no_update_behavior=str(props.get(P.NO_UPDATE_BEHAVIOR, "FAIL")),
        timeout_seconds=timeout,
        wait_handle=props.get(P.WAIT_HANDLE) or None,
    )


# ---------------------------------------------------------------- create, or use the source


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
            "fail", f"source image {sid} is {source.state}; it must be AVAILABLE to be updated{source.problem}"
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


# ---------------------------------------------------------------- replace or update


@dataclass(frozen=True)
class UpdatePlan:
    replace: bool
    tags: TagChanges = field(default_factory=TagChanges)
    # The wait condition has a new handle that must be told about the image.
    resignal: bool = False
    # A new image is needed but CloudFormation made no new wait condition for it
    # (a replacing property is a deploy-time token): answer only once it is AVAILABLE.
    defer_answer: bool = False


def plan_update(old: ImageRequest, new: ImageRequest) -> UpdatePlan:
    handle_changed = old.wait_handle != new.wait_handle
    if old.replacing_values != new.replacing_values:
        return UpdatePlan(replace=True, resignal=handle_changed, defer_answer=not handle_changed)
    return UpdatePlan(replace=False, tags=tag_changes(old.tags, new.tags), resignal=handle_changed)


# ---------------------------------------------------------------- waiting


def deadline_for(image: Image | None, request: ImageRequest, now: float) -> float:
    """When waiting gives up: the timeout counts from the image's creation, so retries don't extend it."""
    started = image.created.timestamp() if image is not None and image.created is not None else now
    return started + contract.handler_wait_seconds(request.timeout_seconds)


# ---------------------------------------------------------------- lifecycle


class ImageLifecycle(OwnedLifecycle[ImageRequest]):
    RESOURCE_TYPE = contract.IMAGE_TYPE
    KIND = IMAGE
    WATCHED = IMAGE
    ATTRIBUTE = contract.Attributes.IMAGE_ID

    def create(self, ev: ResourceEvent) -> Answer:
        request = self.parse(ev.properties)
        return self._await(ev, request, self.obtain(ev, request), deferred=False)

    def update(self, ev: ResourceEvent) -> Answer:
        new = self.parse(ev.properties)
        old = self.parse(ev.old_properties, check=False)
        plan = plan_update(old, new)
        if plan.replace:
            return self.replace(ev, new, lambda made: self._await(ev, new, made, deferred=plan.defer_answer))
        current = self.retag(ev, new, plan.tags)
        if plan.resignal:
            self.supersede(ev)
            return self._await(ev, new, current, deferred=False)
        return self._answer(current)

    # ------------------------------------------------------------ hooks

    def parse(self, properties: Mapping[str, Any], *, check: bool = True) -> ImageRequest:
        return parse_request(properties, check=check)

    def find_named(self, request: ImageRequest) -> Sequence[str]:
        return [i.image_id for i in self.ws.owned_images_named(request.name)]

    def preflight(self, request: ImageRequest) -> str | None:
        """The check on the source image: fail, use the source as is, or go on to create."""
        decision = decide_source(request, self.ws.describe_image(request.source_image_id))
        if decision.action == "fail":
            raise InvalidInputError(decision.reason)
        if decision.action == "use_source":
            log.info(decision.reason)
            return request.source_image_id
        return None

    def create_resource(self, request: ImageRequest, tags: Mapping[str, str]) -> str:
        return self.ws.create_updated_image(request.source_image_id, request.name, request.description, tags)

    def delete_resource(self, resource_id: str) -> None:
        self.ws.delete_image(resource_id)

    def describe_all(self, resource_ids: Sequence[str]) -> Mapping[str, Image]:
        return self.ws.describe_images(resource_ids)

    def deadline(self, ev: ResourceEvent, found: Observed | None, now: float) -> float:
        image = found if isinstance(found, Image) else None
        return deadline_for(image, self.parse(ev.properties, check=False), now)

    # ------------------------------------------------------------ steps

    def _await(self, ev: ResourceEvent, request: ImageRequest, image_id: str, *, deferred: bool) -> Answer:
        """Tell whoever waits as soon as the image is AVAILABLE: the wait condition, or (deferred) the answer."""
        answer = self._answer(image_id)
        if deferred:
            # Undo only what this request made: never the source answered as is, nor an image a rollback adopted.
            undo = self.made_here and image_id == self.made
            return self.answer_when_available(ev, image_id, answer, undo_on_failure=undo)
        if not request.wait_handle:
            return answer
        return self.answer_when_available(ev, image_id, answer, signal_url=request.wait_handle)
