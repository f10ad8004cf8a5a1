"""Custom::WorkspaceBundle: a bundle the stack creates (CreateWorkspaceBundle), its decisions and lifecycle.

Bundles have a State (PENDING, AVAILABLE or ERROR in the botocore model); whether a new or re-pointed bundle
is ever PENDING, and for how long, is undocumented. So a bundle request answers at once when the bundle is
AVAILABLE and otherwise lets a watch answer once it is, within the custom resource's hour.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import contract, rules
from .cloudformation import Answer, ResourceEvent
from .contract import BundleProps as P
from .errors import InvalidInputError
from .kernel import BUNDLE, TagChanges, refuse, require, tag_changes, tags_as_given, tags_from, unknown_properties
from .lifecycle import OwnedLifecycle
from .repoint import repoint
from .workspaces import Bundle

log = logging.getLogger(__name__)


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


def _capacity(props: Mapping[str, Any], key: str) -> str | None:
    value = props.get(key)
    if value in (None, ""):
        return None
    if not isinstance(value, Mapping) or value.get(P.CAPACITY) in (None, ""):
        raise InvalidInputError(f"{key} {value!r} must be an object {{Capacity: <GB>}}")
    # A whole number as synth writes it ("80" for 80.0), whichever way a Number parameter spelt it.
    whole = rules.whole_number(value[P.CAPACITY])
    return str(value[P.CAPACITY]) if whole is None else str(whole)


def _inside(props: Mapping[str, Any], python_name: str, key: str, inner: str, shown: str) -> tuple[object, list[str]]:
    """The value inside an object property ({Name: ...} or {Capacity: ...}) for the rules to judge, and what is
    wrong with the object itself. An absent object gives None, which the rule of the value inside judges."""
    value = props.get(key)
    if value in (None, ""):  # "": how a hand-written template may leave RootStorage out
        return None, []
    label = rules.label_of(python_name, key)
    if not isinstance(value, Mapping) or inner not in value:
        return rules.UNKNOWN, [f"{label} {value!r} must be an object {{{inner}: {shown}}}"]
    return value[inner], [p for p in [rules.unknown_keys_problem(label, value, (inner,))] if p]


def request_problems(props: Mapping[str, Any]) -> list[str]:
    """Every input rule the properties break, in the words synth uses for the same values; unknown ones first."""
    compute, compute_problems = _inside(props, "compute_type", P.COMPUTE_TYPE, P.NAME, "<compute type>")
    user, user_problems = _inside(props, "user_storage_gib", P.USER_STORAGE, P.CAPACITY, "<GB>")
    root, root_problems = _inside(props, "root_storage_gib", P.ROOT_STORAGE, P.CAPACITY, "<GB>")
    tags, tag_problems = tags_as_given(props.get(P.TAGS))
    found = unknown_properties(contract.BUNDLE_TYPE, props) + rules.bundle_problems(
        bundle_name=props.get(P.BUNDLE_NAME),
        description=props.get(P.BUNDLE_DESCRIPTION),
        image_id=props.get(P.IMAGE_ID),
        compute_type=compute,
        tags=tags,
    )
    shapes = compute_problems + user_problems + root_problems + tag_problems
    return found + shapes + rules.storage_problems(user, root)


def parse_bundle_request(props: Mapping[str, Any], *, check: bool = True) -> BundleRequest:
    """Read the resource properties; `check` applies rules.py to what tokens hid at synth time."""
    if check:
        refuse(request_problems(props))
    return read_bundle_request(props)


def read_bundle_request(props: Mapping[str, Any]) -> BundleRequest:
    """The request of Custom::WorkspaceBundle in its properties, unjudged. Raises InvalidInputError for what even
    unjudged properties (an update's old ones) need to be read at all."""
    require(props, P.BUNDLE_NAME, P.BUNDLE_DESCRIPTION, P.IMAGE_ID, P.COMPUTE_TYPE, P.USER_STORAGE)
    compute = props[P.COMPUTE_TYPE]
    if not isinstance(compute, Mapping) or not compute.get(P.NAME):
        raise InvalidInputError(f"compute_type (ComputeType) {compute!r} must be an object {{Name: <compute type>}}")
    user_storage = _capacity(props, P.USER_STORAGE)
    assert user_storage is not None  # required above
    return BundleRequest(
        name=str(props[P.BUNDLE_NAME]),
        description=str(props[P.BUNDLE_DESCRIPTION]),
        image_id=str(props[P.IMAGE_ID]),
        compute_type=str(compute[P.NAME]),
        user_storage=user_storage,
        root_storage=_capacity(props, P.ROOT_STORAGE),
        tags=tags_from(props.get(P.TAGS)),
    )


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


# ---------------------------------------------------------------- lifecycle


class BundleLifecycle(OwnedLifecycle[BundleRequest]):
    """A bundle the stack creates: a new image is applied in place, tags in place, anything else replaces it."""

    RESOURCE_TYPE = contract.BUNDLE_TYPE
    KIND = BUNDLE
    WATCHED = BUNDLE
    ATTRIBUTE = contract.Attributes.BUNDLE_ID

    def create(self, ev: ResourceEvent) -> Answer:
        request = self.request(ev.properties)
        return self._ready(ev, self.obtain(ev, request), undo_on_failure=False)

    def update(self, ev: ResourceEvent) -> Answer:
        new = self.request(ev.properties)
        old = self.request(ev.old_properties, check=False)
        plan = plan_bundle_update(old, new)
        if plan.replace:
            return self.replace(ev, new, lambda made: self._ready(ev, made, undo_on_failure=self.made_here))
        if plan.image_id is None:
            return self._answer(self.retag(ev, new, plan.tags))
        current = ev.physical_id or ""
        if not self.owns(ev, current):
            raise InvalidInputError(
                f"bundle {current} is not in the provider's record of what this resource made (or does not carry its "
                f"ownership tag), so it was not pointed at {plan.image_id}; a WorkspaceBundle only changes the bundle "
                "it created"
            )
        self.retag(ev, new, plan.tags, owned=True)
        self.supersede(ev)
        # The monthly path: same bundle, new image. CloudFormation deletes a replaced image only in its
        # cleanup phase, after every update succeeded, so the old image is free by then.
        repoint(self.ws, self.bus, ev.stack_id, ev.logical_id, current, plan.image_id, old.image_id)
        return self._ready(ev, current, undo_on_failure=False)

    def problems(self, properties: Mapping[str, Any]) -> list[str]:
        return request_problems(properties)

    def read(self, properties: Mapping[str, Any]) -> BundleRequest:
        return read_bundle_request(properties)

    def find_named(self, request: BundleRequest) -> Sequence[str]:
        return [bundle.bundle_id for bundle in self.ws.owned_bundles_named(request.name)]

    def create_resource(self, request: BundleRequest, tags: Mapping[str, str]) -> str:
        return self.ws.create_bundle(
            name=request.name,
            description=request.description,
            image_id=request.image_id,
            compute_type=request.compute_type,
            user_storage=request.user_storage,
            root_storage=request.root_storage,
            tags=tags,
        )

    def delete_resource(self, resource_id: str) -> None:
        self.ws.delete_bundle(resource_id)

    def describe_all(self, resource_ids: Sequence[str]) -> Mapping[str, Bundle]:
        return self.ws.describe_bundles(resource_ids)

    def _ready(self, ev: ResourceEvent, bundle_id: str, *, undo_on_failure: bool) -> Answer:
        return self.answer_when_available(ev, bundle_id, self._answer(bundle_id), undo_on_failure=undo_on_failure)
