"""What every resource type shares, as pure functions of what the handler has read.

Kinds, the ownership tag, adoption, tag changes, delete-or-keep and the outcome of a wait. Nothing here
calls AWS, so each decision is tested on its own, without mocks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from . import contract, rules
from .errors import InvalidInputError

# A deferred answer keeps this margin inside the custom resource's ServiceTimeout for Lambda's retries.
DEFERRED_ANSWER_MARGIN_SECONDS = 300


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
    # "Wait at least 2 hours after deleting a bundle before creating a new bundle with the same name":
    # https://docs.aws.amazon.com/workspaces/latest/adminguide/delete_bundle.html
    name_note=" (WorkSpaces asks to wait 2 hours after deleting a bundle before reusing its name)",
)


def kind_of(resource_id: str) -> Kind:
    return BUNDLE if resource_id.startswith(BUNDLE.prefix) else IMAGE


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

    @property
    def progress(self) -> str:
        """How far the service says it got, where it says (an import), ready to follow the state in a reason."""
        ...


# ---------------------------------------------------------------- reading properties


def refuse(problems: Sequence[str]) -> None:
    """Fail with every broken rule at once, as synth does."""
    if problems:
        raise InvalidInputError(rules.broken_rules(problems))


def require(props: Mapping[str, Any], *keys: str) -> None:
    """What even unjudged properties (an update's old ones) need to be read at all."""
    missing = [k for k in keys if not props.get(k)]
    if missing:
        raise InvalidInputError(f"missing required properties: {', '.join(missing)}")


def unknown_properties(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """Properties the type does not take: a misspelt one would otherwise be ignored."""
    return [p for p in [rules.unknown_properties_problem(resource_type, props)] if p]


def _tags_shape(value: Any) -> str | None:
    if not isinstance(value, list) or not all(isinstance(t, Mapping) and "Key" in t for t in value):
        return f"tags (Tags) {value!r} must be a list of {{Key, Value}} objects"
    return None


def tags_as_given(value: Any) -> tuple[dict[str, Any], list[str]]:
    """Tags as CloudFormation passes them (a list of {Key, Value}) as a map of key to value as given, for
    rules.tags_problems to judge; and what is wrong with the list itself."""
    if value in (None, ""):
        return {}, []
    shape = _tags_shape(value)
    if shape:
        return {}, [shape]
    tags: dict[str, Any] = {}
    problems: list[str] = []
    for item in value:
        extra = rules.unknown_keys_problem("a tag of tags (Tags)", item, contract.TAG_KEYS)
        key = item["Key"]
        wrong_key = None if isinstance(key, str) else rules.tag_key_problem(key)
        problems += [p for p in (extra, wrong_key) if p]
        if isinstance(key, str):
            tags[key] = item.get("Value", "")
    return tags, problems


def tags_from(value: Any) -> dict[str, str]:
    if value in (None, ""):
        return {}
    shape = _tags_shape(value)
    if shape:
        raise InvalidInputError(shape)
    return {str(t["Key"]): str(t.get("Value", "")) for t in value}


# ---------------------------------------------------------------- ownership


def digest(*parts: str, size: int = 16) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:size]


def resource_key(stack_id: str, logical_id: str) -> str:
    return digest(stack_id, logical_id)


def stack_key(stack_id: str) -> str:
    """The GUID at the end of a stack's id (`arn:...:stack/<name>/<GUID>`), which the template can spell too
    (`Fn::Select [2, Fn::Split ["/", AWS::StackId]]`): the provider's IAM conditions match it."""
    parts = stack_id.split("/")
    return parts[2] if len(parts) == 3 and parts[2] else digest(stack_id)


def _owner_parts(tag_value: str | None) -> list[str]:
    """`<stack key>.<resource key>.<request key>[.<delivery key>]`, split."""
    return str(tag_value or "").split(".")


def made_by(tag_value: str | None, resource_key: str) -> bool:
    """Does an ownership tag say that the resource with this key made what carries it (for any properties)?"""
    return _owner_parts(tag_value)[1:2] == [resource_key]


@dataclass(frozen=True)
class Ownership:
    """The ownership tag: which stack and resource made an image or bundle, for which properties, in which request.

    Its value is `<stack key>.<resource key>.<request key>.<delivery key>`: the GUID of the StackId (what the
    provider role's IAM conditions require before a delete or an update: `<GUID>.*`), the digests of StackId and
    logical id, of the replacing properties, and of the CloudFormation RequestId that made it.
    """

    stack_key: str
    resource_key: str
    request_key: str
    delivery_key: str = ""

    @classmethod
    def of(cls, stack_id: str, logical_id: str, request: Keyed, request_id: str = "") -> Ownership:
        delivery = digest(request_id) if request_id else ""
        return cls(stack_key(stack_id), resource_key(stack_id, logical_id), digest(*request.replacing_values), delivery)

    @property
    def tag_value(self) -> str:
        parts = (self.stack_key, self.resource_key, self.request_key, self.delivery_key)
        return ".".join(part for part in parts if part)


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


# ---------------------------------------------------------------- tags-only updates


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


# ---------------------------------------------------------------- delete or keep


@dataclass(frozen=True)
class DeletePlan:
    delete: bool
    why: str


def plan_delete(
    physical_id: str | None, recorded: bool, owner_tag: str | None, ownership_key: str, kind: Kind = IMAGE
) -> DeletePlan:
    """Delete only what the record holds for this resource (`recorded`) and whose ownership tag agrees: a tag
    alone proves nothing (anyone allowed CreateTags can write it), and a record whose resource lost its tag is
    someone's doing worth a look."""
    noun = kind.noun
    if not physical_id or not physical_id.startswith(kind.prefix):
        return DeletePlan(
            False,
            f"{physical_id!r} is not {kind.article} {noun} id: the Create failed before making {kind.article} {noun}",
        )
    if not recorded:
        return DeletePlan(
            False, f"{noun} {physical_id} is not in the provider's record of what this resource made; left alone"
        )
    if owner_tag is None:
        return DeletePlan(False, f"{noun} {physical_id} does not carry this resource's ownership tag; left alone")
    if not made_by(owner_tag, ownership_key):
        return DeletePlan(False, f"{noun} {physical_id} was made by another resource; left alone")
    return DeletePlan(True, f"deleting {noun} {physical_id}, which this resource created")


# ---------------------------------------------------------------- waiting


@dataclass(frozen=True)
class Outcome:
    """Whether a wait for AVAILABLE is over, and how it ended."""

    done: bool
    success: bool = False
    reason: str = ""


def watch_outcome(
    resource_id: str, found: Observed | None, now: float, deadline: float, kind: Kind = IMAGE, *, last_seen: str = ""
) -> Outcome:
    """Whether waiting for `resource_id` to be AVAILABLE is over, and how it ended; `last_seen`, the progress an
    earlier look kept (Observed.progress), for when there is nothing left to read it from."""
    noun = kind.noun
    if found is None:
        seen = f"; last seen{last_seen}" if last_seen else ""
        return Outcome(
            True, False, f"{noun} {resource_id} no longer exists (deleted while waiting for AVAILABLE{seen})"
        )
    if found.state == "AVAILABLE":
        return Outcome(True, True, f"{noun} {resource_id} is AVAILABLE")
    if found.state == "ERROR":
        return Outcome(True, False, f"{noun} {resource_id} went to ERROR{found.progress}{found.problem}")
    if now >= deadline:
        return Outcome(
            True, False, f"timed out: {noun} {resource_id} is still {found.state}{found.progress} {kind.timeout_text}"
        )
    return Outcome(False)


def settle_outcome(
    resource_id: str, found: Observed | None, now: float, deadline: float, kind: Kind = IMAGE
) -> Outcome:
    """Whether waiting for `resource_id` to leave PENDING, so that a Delete can delete it, is over.

    Success: it left PENDING (delete it now) or is gone (nothing to delete). Failure: still PENDING when the
    Delete must answer, with a reason that says what to do.
    """
    noun = kind.noun
    if found is None:
        return Outcome(True, True, f"{noun} {resource_id} no longer exists")
    if found.state != "PENDING":
        return Outcome(True, True, f"{noun} {resource_id} is {found.state}")
    if now >= deadline:
        return Outcome(
            True,
            False,
            f"{noun} {resource_id} is still PENDING and WorkSpaces would not delete it while it is being made; "
            f"once it is AVAILABLE or ERROR, delete {noun} {resource_id} yourself, then delete the stack again "
            f"or continue the rollback (a stack deletion keeps it under the default removal policy)",
        )
    return Outcome(False)


def respond_deadline(now: float) -> float:
    """The latest a deferred answer may come: within the custom resource's hour, less a margin for Lambda's retries."""
    return now + contract.SERVICE_TIMEOUT_SECONDS - DEFERRED_ANSWER_MARGIN_SECONDS
