"""The status command's decisions: what each image, copy and bundle of a stack is doing, what comes next, and the
exit code, as pure functions of what `_status_read` read (the plain dataclasses here). Nothing here calls AWS or
reads a clock, so every state is tested on its own, without mocks.

What a row knows comes from three places: the template (GetTemplate: the resource's type, its Name, its copy's
Region, its TimeoutSeconds, which wait condition waits for it and which resources refer to it), CloudFormation's
statuses (ListStackResources), and WorkSpaces (the image's or bundle's State, an import's progress).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cdk_workspaces_image_handler import contract, rules
from cdk_workspaces_image_handler.contract import (
    BundleImageProps,
    BundleProps,
    CapturedProps,
    CopyProps,
    ImageBuilderProps,
    ImageProps,
    ImportedProps,
)

# What each resource type of the library is, as a row names it, and the property that names what it makes.
KINDS: Mapping[str, str] = {
    contract.IMAGE_TYPE: "image",
    contract.CAPTURED_TYPE: "image",
    contract.IMPORTED_TYPE: "image",
    contract.IMAGE_BUILDER_TYPE: "image",
    contract.COPY_TYPE: "copy",
    contract.BUNDLE_TYPE: "bundle",
    contract.BUNDLE_IMAGE_TYPE: "bundle image",
}
NAME_KEYS: Mapping[str, str] = {
    contract.IMAGE_TYPE: ImageProps.NAME,
    contract.CAPTURED_TYPE: CapturedProps.NAME,
    contract.IMPORTED_TYPE: ImportedProps.NAME,
    contract.IMAGE_BUILDER_TYPE: ImageBuilderProps.NAME,
    contract.COPY_TYPE: CopyProps.NAME,
    contract.BUNDLE_TYPE: BundleProps.BUNDLE_NAME,
}
WAIT_CONDITION_TYPE = "AWS::CloudFormation::WaitCondition"
WAIT_HANDLE_TYPE = "AWS::CloudFormation::WaitConditionHandle"


class Phase(enum.StrEnum):
    """Where a row, or the whole stack, is: the exit code follows from it."""

    DONE = "done"
    WAITING = "waiting"
    FAILED = "failed"


EXIT_CODES: Mapping[Phase, int] = {Phase.DONE: 0, Phase.FAILED: 1, Phase.WAITING: 2}


# ---------------------------------------------------------------- the template


@dataclass(frozen=True)
class Declared:
    """One custom resource of the library as the template declares it."""

    logical_id: str
    type: str
    # The construct path (aws:cdk:path without the stack and /Resource/Default), or the logical id.
    path: str
    # Its Name (BundleName, ImageName) property, None unless the template states it as a string.
    name: str | None = None
    # A copy's Region property; None: the stack's Region.
    region: str | None = None
    # TimeoutSeconds, None when absent or not a number in the template (a parameter).
    timeout_seconds: int | None = None
    service_timeout: int = contract.SERVICE_TIMEOUT_SECONDS
    # The WaitCondition that waits for it to be AVAILABLE (an image or a copy), by logical id.
    wait_condition: str | None = None
    # The bundle a WorkspaceBundleImage re-points (its BundleId, when a string).
    bundle_id: str | None = None
    # The library's resources (and their wait conditions, as the resource) it refers to, by construct path: what it
    # starts after.
    after: tuple[str, ...] = ()
    # The resources that refer to it or to its wait condition, by construct path: what CloudFormation creates once
    # it is done.
    then: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return KINDS[self.type]


def _references(value: Any) -> Iterator[str]:
    """The logical ids a template value refers to (Ref, Fn::GetAtt, Fn::Sub's ${X} and ${X.Attr})."""
    if isinstance(value, Mapping):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                yield inner
            elif key == "Fn::GetAtt":
                target = inner[0] if isinstance(inner, list) and inner else inner
                if isinstance(target, str):
                    yield target.split(".", 1)[0]
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) and inner else inner
                if isinstance(text, str):
                    for part in text.split("${")[1:]:
                        yield part.split("}", 1)[0].split(".", 1)[0]
                if isinstance(inner, list) and len(inner) > 1:
                    yield from _references(inner[1])
            else:
                yield from _references(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _references(inner)


def _refers_to(resource: Mapping[str, Any], known: Mapping[str, Any]) -> set[str]:
    depends = resource.get("DependsOn", [])
    named = [depends] if isinstance(depends, str) else list(depends)
    return {lid for lid in [*named, *_references(resource.get("Properties", {}))] if lid in known}


def _path(logical_id: str, resource: Mapping[str, Any]) -> str:
    path = str(resource.get("Metadata", {}).get("aws:cdk:path", "")) or logical_id
    return path.split("/", 1)[-1].removesuffix("/Resource/Default").removesuffix("/Resource").removesuffix("/Default")


def _int(value: Any) -> int | None:
    try:
        return int(value) if isinstance(value, int | str) and not isinstance(value, bool) else None
    except ValueError:
        return None


def declared(template: Mapping[str, Any]) -> list[Declared]:
    """The library's custom resources in a template, in its order."""
    resources: Mapping[str, Mapping[str, Any]] = template.get("Resources", {})
    refers = {lid: _refers_to(r, resources) for lid, r in resources.items()}
    # A wait condition waits for the custom resource whose WaitHandle is the Ref of its Handle.
    waits: dict[str, str] = {}
    for lid, resource in resources.items():
        if resource.get("Type") == WAIT_CONDITION_TYPE:
            handle = resource.get("Properties", {}).get("Handle")
            for owner, other in resources.items():
                if other.get("Type") in KINDS and other.get("Properties", {}).get(ImageProps.WAIT_HANDLE) == handle:
                    waits[owner] = lid
    # Each wait condition and handle stands for its resource, so that a reference to either names the resource.
    stands_for = {wait: owner for owner, wait in waits.items()}
    for owner in waits:
        handle = resources[owner].get("Properties", {}).get(ImageProps.WAIT_HANDLE)
        for lid in _references(handle):
            stands_for[lid] = owner
    library = {lid for lid, r in resources.items() if r.get("Type") in KINDS}
    paths = {lid: _path(lid, r) for lid, r in resources.items()}
    found = []
    for lid, resource in resources.items():
        rtype = str(resource.get("Type", ""))
        if rtype not in KINDS:
            continue
        props = resource.get("Properties", {})
        own = {lid, waits.get(lid, lid)}
        after = sorted(({stands_for.get(other, other) for other in refers[lid]} & library) - {lid})
        then = sorted(
            other for other, targets in refers.items() if targets & own and other not in own and other not in stands_for
        )
        # Shown as the rows name resources: by construct path, which the user wrote, not the logical id CDK derived.
        after, then = [paths[other] for other in after], sorted(paths[other] for other in then)
        name = props.get(NAME_KEYS.get(rtype, ""))
        region = props.get(CopyProps.REGION) if rtype == contract.COPY_TYPE else None
        bundle = props.get(BundleImageProps.BUNDLE_ID) if rtype == contract.BUNDLE_IMAGE_TYPE else None
        found.append(
            Declared(
                logical_id=lid,
                type=rtype,
                path=paths[lid],
                name=name if isinstance(name, str) else None,
                region=region if isinstance(region, str) else None,
                timeout_seconds=_int(props.get(ImageProps.TIMEOUT_SECONDS)),
                service_timeout=_int(props.get("ServiceTimeout")) or contract.SERVICE_TIMEOUT_SECONDS,
                wait_condition=waits.get(lid),
                bundle_id=bundle if isinstance(bundle, str) else None,
                after=tuple(after),
                then=tuple(then),
            )
        )
    return found


# ---------------------------------------------------------------- what was read


@dataclass(frozen=True)
class CfnSeen:
    """One logical id as CloudFormation reports it (ListStackResources)."""

    status: str
    physical_id: str = ""
    reason: str = ""
    # When the status last changed (LastUpdatedTimestamp), epoch seconds.
    updated: float | None = None


@dataclass(frozen=True)
class WorkSpacesSeen:
    """The image or bundle a row is about, as WorkSpaces describes it."""

    resource_id: str
    state: str
    # How it was found: "physical id" (CloudFormation's), "name and ownership tag" (before CloudFormation has an
    # id), "BundleId" (the bundle a WorkspaceBundleImage re-points).
    found_by: str
    created: float | None = None
    # The call whose Created that is: an import not listed yet has its Created in DescribeCustomWorkspaceImageImport.
    created_in: str = "DescribeWorkspaceImages"
    # ErrorCode, ErrorMessage and ErrorDetails of an image in ERROR, in the service's words.
    error: str = ""
    # A bundle's image.
    image_id: str = ""
    # DescribeCustomWorkspaceImageImport (ImageBuilderWorkspaceImage): State, ProgressPercentage, StateMessage.
    import_state: str = ""
    progress_percentage: int | None = None
    state_message: str = ""


@dataclass(frozen=True)
class Item:
    """Everything read about one custom resource."""

    declared: Declared
    region: str
    resource: CfnSeen | None = None
    wait: CfnSeen | None = None
    seen: WorkSpacesSeen | None = None


@dataclass(frozen=True)
class StackSeen:
    name: str
    stack_id: str
    status: str
    region: str
    reason: str = ""


@dataclass(frozen=True)
class Snapshot:
    """One reading of a stack; `now` is AWS's time (the Date header of its latest answer), `now_from` says so."""

    stack: StackSeen
    items: tuple[Item, ...]
    now: float
    now_from: str


# ---------------------------------------------------------------- decisions


@dataclass(frozen=True)
class Row:
    """One custom resource as the command shows it."""

    logical_id: str
    type: str
    kind: str
    path: str
    region: str
    phase: Phase
    # CloudFormation's status ("" before it started the resource) and its wait condition's, WorkSpaces' State.
    cloudformation_status: str
    wait_status: str
    workspaces_state: str
    resource_id: str
    found_by: str
    # When the wait began, and where that time comes from.
    began: float | None
    began_from: str
    deadline: float | None
    deadline_from: str
    progress_percentage: int | None
    progress: str
    next: str

    @property
    def state(self) -> str:
        """The states in a phrase."""
        parts = [f"CloudFormation {self.cloudformation_status or 'not started'}"]
        if self.wait_status:
            parts.append(f"wait {self.wait_status}")
        if self.workspaces_state:
            parts.append(f"WorkSpaces {self.workspaces_state}")
        return ", ".join(parts)


def when(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def duration(seconds: float) -> str:
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def _failed(status: str) -> bool:
    return status.endswith("_FAILED")


def _in_progress(status: str) -> bool:
    return status.endswith("_IN_PROGRESS")


def _deleting(status: str) -> bool:
    return status.startswith("DELETE_")


def _names(ids: Sequence[str]) -> str:
    shown = ", ".join(ids[:6])
    return shown + (f" and {len(ids) - 6} more" if len(ids) > 6 else "")


def _then(item: Item) -> str:
    then = item.declared.then
    return f"then CloudFormation creates {_names(then)}" if then else "then CloudFormation goes on"


def _after(item: Item) -> str:
    after = item.declared.after
    if not after:
        return "CloudFormation starts it next"
    return f"CloudFormation starts it once {_names(after)} {'is' if len(after) == 1 else 'are'} done"


def _begin_and_deadline(item: Item) -> tuple[float | None, str, float | None, str]:
    """When the wait began, and when it fails: an image's from its Created, as the provider counts its deadline
    (rules.handler_wait_seconds of TimeoutSeconds); a bundle's from when CloudFormation began the resource, within
    its ServiceTimeout."""
    d, seen = item.declared, item.seen
    if d.wait_condition is not None:
        if seen is not None and seen.created is not None:
            began, began_from = seen.created, f"the {d.kind}'s Created in {seen.created_in}"
        elif item.wait is not None and item.wait.updated is not None and _in_progress(item.wait.status):
            began, began_from = (
                item.wait.updated,
                f"when CloudFormation began {d.wait_condition}, in ListStackResources",
            )
        elif item.resource is not None and item.resource.updated is not None:
            began, began_from = (
                item.resource.updated,
                f"when CloudFormation began {d.logical_id}, in ListStackResources",
            )
        else:
            return None, "", None, ""
        if d.timeout_seconds is None:
            return began, began_from, None, "TimeoutSeconds is not a number in the template"
        wait = rules.handler_wait_seconds(d.timeout_seconds)
        return began, began_from, began + wait, f"{began_from} + TimeoutSeconds {d.timeout_seconds}"
    if item.resource is None or item.resource.updated is None:
        return None, "", None, ""
    began = item.resource.updated
    began_from = f"when CloudFormation began {d.logical_id}, in ListStackResources"
    return began, began_from, began + d.service_timeout, f"{began_from} + ServiceTimeout {d.service_timeout}"


def _progress(seen: WorkSpacesSeen | None) -> str:
    """An import's progress in the service's words; for a bundle, the image it is on."""
    if seen is not None and seen.image_id:
        return f"on image {seen.image_id}"
    if seen is None or not seen.import_state:
        return ""
    done = "" if seen.progress_percentage is None else f" {seen.progress_percentage}%"
    said = f": {seen.state_message}" if seen.state_message else ""
    return f"import {seen.import_state}{done}{said}"


def _decide(item: Item, began: float | None, deadline: float | None) -> tuple[Phase, str]:
    """The row's phase and what happens next."""
    d, resource, wait, seen = item.declared, item.resource, item.wait, item.seen
    status = resource.status if resource else ""
    wait_status = wait.status if wait else ""
    until = f", fails at {when(deadline)}" if deadline is not None else ""
    if _failed(status):
        return Phase.FAILED, f"failed: {resource.reason if resource and resource.reason else status}"
    if _failed(wait_status):
        return Phase.FAILED, f"failed: {wait.reason if wait and wait.reason else wait_status}"
    if seen is not None and seen.state == "ERROR" and not _deleting(status):
        said = f" - {seen.error}" if seen.error else ""
        return Phase.FAILED, f"failed: {d.kind} {seen.resource_id} went to ERROR{said}; the provider fails the wait"
    if not status:
        return Phase.WAITING, f"not started: {_after(item)}"
    if status == "DELETE_COMPLETE":
        return Phase.DONE, "deleted"
    if _deleting(status):
        return Phase.WAITING, "being deleted"
    available = seen is not None and seen.state == "AVAILABLE"
    if _in_progress(status):
        if d.wait_condition is None and d.kind == "bundle":
            return Phase.WAITING, f"waits until the bundle is AVAILABLE{until}; {_then(item)}"
        if d.wait_condition is None:
            return Phase.WAITING, f"waits for the provider's answer{until}; {_then(item)}"
        return Phase.WAITING, f"waits for the provider's answer, then until AVAILABLE{until}; {_then(item)}"
    if d.wait_condition is not None and not wait_status.endswith("_COMPLETE"):
        if available:
            return Phase.WAITING, f"AVAILABLE: the provider signals {d.wait_condition} at its next look; {_then(item)}"
        if seen is None and not wait_status:
            return Phase.WAITING, f"waits for CloudFormation to begin {d.wait_condition}"
        return Phase.WAITING, f"waits until AVAILABLE{until}; {_then(item)}"
    return Phase.DONE, "done"


def row(item: Item) -> Row:
    d, seen = item.declared, item.seen
    began, began_from, deadline, deadline_from = _begin_and_deadline(item)
    phase, next_step = _decide(item, began, deadline)
    resource_id = seen.resource_id if seen else (item.resource.physical_id if item.resource else "")
    return Row(
        logical_id=d.logical_id,
        type=d.type,
        kind=d.kind,
        path=d.path,
        region=item.region,
        phase=phase,
        cloudformation_status=item.resource.status if item.resource else "",
        wait_status=item.wait.status if item.wait else "",
        workspaces_state=seen.state if seen else "",
        resource_id=resource_id,
        found_by=seen.found_by if seen else "",
        began=began if phase is Phase.WAITING else None,
        began_from=began_from if phase is Phase.WAITING else "",
        deadline=deadline if phase is Phase.WAITING else None,
        deadline_from=deadline_from if phase is Phase.WAITING else "",
        progress_percentage=seen.progress_percentage if seen else None,
        progress=_progress(seen),
        next=next_step,
    )


def rows(snapshot: Snapshot) -> list[Row]:
    return [row(item) for item in snapshot.items]


def stack_phase(stack: StackSeen) -> Phase:
    """A stack that rolled back or failed failed; one in progress waits."""
    if "ROLLBACK" in stack.status or _failed(stack.status):
        return Phase.FAILED
    if _in_progress(stack.status):
        return Phase.WAITING
    return Phase.DONE


def overall(snapshot: Snapshot, shown: Sequence[Row]) -> Phase:
    """Failed when anything failed; else waiting while anything (the stack too) waits; else done."""
    phases = {stack_phase(snapshot.stack), *(r.phase for r in shown)}
    for phase in (Phase.FAILED, Phase.WAITING):
        if phase in phases:
            return phase
    return Phase.DONE


def exit_code(snapshot: Snapshot, shown: Sequence[Row]) -> int:
    return EXIT_CODES[overall(snapshot, shown)]


def elapsed(shown: Row, now: float) -> float | None:
    return None if shown.began is None else max(0.0, now - shown.began)
