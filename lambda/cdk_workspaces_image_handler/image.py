"""Custom::UpdatedWorkspaceImage: an image made by CreateUpdatedWorkspaceImage, its decisions and lifecycle."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from . import contract, rules
from .bus import Event
from .cloudformation import Answer, ResourceEvent
from .contract import Detail
from .contract import ImageProps as P
from .errors import InvalidInputError, ProviderError, ServiceError
from .kernel import (
    IMAGE,
    Observed,
    Outcome,
    TagChanges,
    made_by,
    refuse,
    require,
    resource_key,
    tag_changes,
    tags_as_given,
    tags_from,
    unknown_properties,
)
from .lifecycle import OwnedLifecycle
from .record import shared_union, shared_without
from .watch import Watch
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
    # None: keep every earlier image.
    keep_previous: int | None = None
    # The accounts the image is shared with once it is AVAILABLE.
    share_with_accounts: tuple[str, ...] = ()
    # A copy (Custom::WorkspaceImageCopy): the Region of its source, and its own; empty for an updated image.
    source_region: str = ""
    region: str = ""
    # The account that must own a copy's source; empty: any.
    source_account: str = ""

    @property
    def replacing_values(self) -> tuple[str, ...]:
        """The values whose change makes a new image (everything the API takes but Tags)."""
        made = (self.source_image_id, self.name, self.description)
        # An updated image's values stay three, so that the ownership tags of images made before copies match.
        return (*made, self.source_region, self.region) if self.region else made


def _timeout(raw: Any) -> tuple[int | None, str | None]:
    """TimeoutSeconds as whole seconds, or what is wrong with it."""
    try:
        return int(float(raw)), None
    except (TypeError, ValueError, OverflowError):  # OverflowError: "inf" is a float but no int
        label = rules.label_of("timeout", P.TIMEOUT_SECONDS)
        return None, rules.type_problem(label, raw, "a number of seconds")


def judged(
    props: Mapping[str, Any],
    resource_type: str,
    own_rules: Callable[[Mapping[str, Any], int | rules.Unknown], list[str]],
) -> list[str]:
    """Every input rule the properties of an image request break, in the words synth uses for the same values;
    unknown properties first. `own_rules` judges the type's own values, given the tags as given and the timeout."""
    tags, tag_problems = tags_as_given(props.get(P.TAGS))
    timeout, timeout_problem = _timeout(props.get(P.TIMEOUT_SECONDS, DEFAULT_TIMEOUT_SECONDS))
    found = unknown_properties(resource_type, props) + own_rules(tags, rules.UNKNOWN if timeout is None else timeout)
    wait_handle = rules.wait_handle_problem(props.get(P.WAIT_HANDLE))
    return found + tag_problems + [p for p in (timeout_problem, wait_handle) if p]


def request_problems(props: Mapping[str, Any]) -> list[str]:
    return judged(
        props,
        contract.IMAGE_TYPE,
        lambda tags, timeout: rules.image_problems(
            source_image_id=props.get(P.SOURCE_IMAGE_ID),
            image_name=props.get(P.NAME),
            description=props.get(P.DESCRIPTION),
            tags=tags,
            timeout_seconds=timeout,
            no_update_behavior=props.get(P.NO_UPDATE_BEHAVIOR, "FAIL"),
            keep_previous=props.get(P.KEEP_PREVIOUS),
            share_with_accounts=props.get(P.SHARE_WITH_ACCOUNTS),
        ),
    )


def read_request(props: Mapping[str, Any], required: Sequence[str], **own: Any) -> ImageRequest:
    """The request of an image resource, read alike for every type; `own`: the type's own fields. Raises
    InvalidInputError for what even unjudged properties (an update's old ones) need to be read at all."""
    require(props, P.SOURCE_IMAGE_ID, P.NAME, P.DESCRIPTION, *required)
    timeout, timeout_problem = _timeout(props.get(P.TIMEOUT_SECONDS, DEFAULT_TIMEOUT_SECONDS))
    if timeout is None:
        raise InvalidInputError(timeout_problem)
    return ImageRequest(
        source_image_id=str(props[P.SOURCE_IMAGE_ID]),
        name=str(props[P.NAME]),
        description=str(props[P.DESCRIPTION]),
        tags=tags_from(props.get(P.TAGS)),
        timeout_seconds=timeout,
        wait_handle=props.get(P.WAIT_HANDLE) or None,
        keep_previous=_keep_previous(props.get(P.KEEP_PREVIOUS)),
        **own,
    )


def parse_request(props: Mapping[str, Any], *, check: bool = True) -> ImageRequest:
    """Read the resource properties; `check` applies the input rules (rules.py) to what tokens hid at synth time."""
    if check:
        refuse(request_problems(props))
    return read_request(
        props,
        (),
        no_update_behavior=str(props.get(P.NO_UPDATE_BEHAVIOR, "FAIL")),
        share_with_accounts=_accounts(props.get(P.SHARE_WITH_ACCOUNTS)),
    )


def _keep_previous(raw: Any) -> int | None:
    """KeepPrevious as CloudFormation passes it (a string); one that breaks its rule keeps every image."""
    if raw in (None, "") or rules.keep_previous_problem(raw):
        return None
    return int(float(raw))


def _accounts(raw: Any) -> tuple[str, ...]:
    """ShareWithAccounts as CloudFormation passes it (a list of strings); absent or unreadable: none."""
    if not isinstance(raw, list):
        return ()
    return tuple(dict.fromkeys(str(a) for a in raw))


def stack_place(stack_id: str) -> tuple[str, str]:
    """The Region and account of a stack, from its id: `arn:<partition>:cloudformation:<region>:<account>:stack/..`."""
    parts = stack_id.split(":")
    return (parts[3], parts[4]) if len(parts) > 5 else ("", "")


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
    # share_with_accounts changed: permissions are added and removed in place.
    reshare: bool = False
    # The wait condition has a new handle that must be told about the image.
    resignal: bool = False
    # A new image is needed but CloudFormation made no new wait condition for it
    # (a replacing property is a deploy-time token): answer only once it is AVAILABLE.
    defer_answer: bool = False


def plan_update(old: ImageRequest, new: ImageRequest) -> UpdatePlan:
    handle_changed = old.wait_handle != new.wait_handle
    if old.replacing_values != new.replacing_values:
        return UpdatePlan(replace=True, resignal=handle_changed, defer_answer=not handle_changed)
    return UpdatePlan(
        replace=False,
        tags=tag_changes(old.tags, new.tags),
        resignal=handle_changed,
        reshare=set(old.share_with_accounts) != set(new.share_with_accounts),
    )


# ---------------------------------------------------------------- sharing


@dataclass(frozen=True)
class SharePlan:
    """The permissions to grant and to remove (UpdateWorkspaceImagePermission), and the accounts the image is
    shared with that this resource did not share it with: their permissions are never touched."""

    grant: tuple[str, ...] = ()
    revoke: tuple[str, ...] = ()
    strangers: tuple[str, ...] = ()


def plan_sharing(wanted: Sequence[str], granted: Sequence[str], before: Sequence[str] = ()) -> SharePlan:
    """Share with the accounts `wanted` now; stop sharing with those this resource shared with `before` that are
    no longer wanted. A permission granted to any other account is someone else's and stays."""
    return SharePlan(
        grant=tuple(a for a in wanted if a not in granted),
        revoke=tuple(sorted(a for a in granted if a in before and a not in wanted)),
        strangers=tuple(sorted(a for a in granted if a not in wanted and a not in before)),
    )


def plan_unshare(granted: Sequence[str], ours: Sequence[str]) -> SharePlan:
    """Before a delete: remove the permissions this resource granted (`ours`); any other keeps the image."""
    return SharePlan(
        revoke=tuple(sorted(a for a in granted if a in ours)),
        strangers=tuple(sorted(a for a in granted if a not in ours)),
    )


def template_share_problem(
    image_id: str, grant: Sequence[str], named: Collection[str], granted_before: Sequence[str]
) -> str | None:
    """The provider shares only with an account the stack's template names (its environment lists them), or one the
    record says this resource granted before (a rollback returning to the list of the template before): a request
    CloudFormation sends while the resource is in progress says what it says, but the template is the stack's."""
    unnamed = [a for a in grant if a not in named and a not in granted_before]
    if not unnamed:
        return None
    return (
        f"{rules.SHARE_LABEL}: account {', '.join(unnamed)} is not one this stack's template shares with, so image "
        f"{image_id} was shared with nobody; the provider shares only with the accounts its own template names"
    )


def kept_for_strangers(image_id: str, strangers: Sequence[str]) -> str:
    """Why an image this resource made is not deleted: someone else shared it."""
    return (
        f"image {image_id} is shared with accounts {', '.join(strangers)}, which share_with_accounts does not name; "
        f"it is kept, since someone outside this stack relies on it: unshare it from them "
        f"(UpdateWorkspaceImagePermission) and delete it again, or delete it yourself"
    )


def byol_share_problem(region: str, image: Image) -> str | None:
    """A BYOL image (RequiredTenancy DEDICATED) can't be shared across accounts in AWS GovCloud (US)
    (https://docs.aws.amazon.com/workspaces/latest/adminguide/share-custom-image.html)."""
    if image.required_tenancy == "DEDICATED" and region.startswith("us-gov-"):
        return (
            f"image {image.image_id} is a Bring Your Own License image (RequiredTenancy DEDICATED), and AWS GovCloud "
            f"(US) Regions such as {region} do not share BYOL images across accounts; remove share_with_accounts, "
            "or ask AWS Support to share it"
        )
    return None


# ---------------------------------------------------------------- waiting


def deadline_for(image: Image | None, request: ImageRequest, now: float) -> float:
    """When waiting gives up: the timeout counts from the image's creation, so retries don't extend it."""
    started = image.created.timestamp() if image is not None and image.created is not None else now
    return started + rules.handler_wait_seconds(request.timeout_seconds)


# ---------------------------------------------------------------- news


def wait_ended(watch: Watch, outcome: Outcome, found: Image | None) -> Event:
    """The event of an image whose wait ended: AVAILABLE, or why not, in the service's own words."""
    detail: dict[str, Any] = {
        Detail.STACK_ID: watch.stack_id,
        Detail.LOGICAL_ID: watch.logical_id,
        Detail.IMAGE_ID: watch.resource_id,
        **watch.announce,
    }
    if outcome.success:
        return Event(contract.DetailTypes.IMAGE_AVAILABLE, {**detail, Detail.STATE: "AVAILABLE"})
    detail[Detail.REASON] = outcome.reason
    if found is None:
        detail[Detail.FAILURE] = contract.Failures.GONE
    elif found.state == "ERROR":
        detail.update(
            {
                Detail.FAILURE: contract.Failures.ERROR,
                Detail.STATE: found.state,
                Detail.ERROR_CODE: found.error_code,
                Detail.ERROR_MESSAGE: found.error_message,
                Detail.ERROR_DETAILS: [{"ErrorCode": c, "ErrorMessage": m} for c, m in found.error_details],
            }
        )
    elif found.state == "AVAILABLE":
        detail.update({Detail.FAILURE: contract.Failures.SHARE, Detail.STATE: found.state})
    else:
        detail.update({Detail.FAILURE: contract.Failures.TIMEOUT, Detail.STATE: found.state})
    return Event(contract.DetailTypes.IMAGE_FAILED, detail)


# ---------------------------------------------------------------- retention


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


def retention_event(watch: Watch, done: Retention, problem: str = "") -> Event:
    """The event that says what keep_previous deleted and what it kept, and why."""
    detail: dict[str, Any] = {
        Detail.STACK_ID: watch.stack_id,
        Detail.LOGICAL_ID: watch.logical_id,
        Detail.IMAGE_ID: watch.resource_id,
        Detail.KEEP_PREVIOUS: watch.keep_previous,
        Detail.DELETED: list(done.delete),
        Detail.KEPT: [{Detail.IMAGE_ID: image_id, Detail.REASON: why} for image_id, why in done.kept],
    }
    if problem:
        detail[Detail.REASON] = problem
    return Event(contract.DetailTypes.IMAGE_RETENTION, detail)


# ---------------------------------------------------------------- lifecycle


class ImageLifecycle(OwnedLifecycle[ImageRequest]):
    RESOURCE_TYPE = contract.IMAGE_TYPE
    KIND = IMAGE
    WATCHED = IMAGE
    ATTRIBUTE = contract.Attributes.IMAGE_ID

    def create(self, ev: ResourceEvent) -> Answer:
        request = self.parse(ev.properties)
        self._judge_accounts(ev, request)
        return self._await(ev, request, self.obtain(ev, request), deferred=False)

    def update(self, ev: ResourceEvent) -> Answer:
        new = self.parse(ev.properties)
        self._judge_accounts(ev, new)
        old = self.parse(ev.old_properties, check=False)
        plan = plan_update(old, new)
        if plan.replace:
            replaced = ev.physical_id or ""
            return self.replace(
                ev, new, lambda made: self._await(ev, new, made, deferred=plan.defer_answer, replaced=replaced)
            )
        current = self.retag(ev, new, plan.tags)
        if plan.reshare:
            self._reshare(ev, new, current, waiting=plan.resignal)
        if plan.resignal:
            self.supersede(ev)
            # The same image, waited for again: no news.
            return self._await(ev, new, current, deferred=False, announce=False)
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

    def adopt_current(self, ev: ResourceEvent) -> None:
        """Never the source image: USE_SOURCE answers it as the physical id, and whoever may write tags could have
        written this resource's ownership tag on it, which would make the stack's delete delete the source."""
        try:
            source = self.parse(ev.properties, check=False).source_image_id
        except InvalidInputError:
            source = ""
        if ev.physical_id and ev.physical_id == source:
            return
        super().adopt_current(ev)

    def shared_by(self, request: ImageRequest) -> Sequence[str]:
        return request.share_with_accounts

    def delete_resource(self, resource_id: str, shared_with: Sequence[str] = ()) -> None:
        # "To delete an image that has been shared, you must unshare the image before you delete it":
        # https://docs.aws.amazon.com/workspaces/latest/api/API_UpdateWorkspaceImagePermission.html
        if shared_with:
            try:
                granted = self.ws.shared_with(resource_id, strict=True)
            except ServiceError as error:
                if error.code != "ResourceNotFoundException":
                    raise
                granted = []  # gone already: delete_image says so
            plan = plan_unshare(granted, shared_with)
            if plan.strangers:
                # What DeleteWorkspaceImage itself would answer, said before any permission of ours is removed.
                raise ServiceError("InvalidResourceStateException", kept_for_strangers(resource_id, plan.strangers))
            for account in plan.revoke:
                self.ws.set_image_permission(resource_id, account, allow=False)
                log.info("image %s is no longer shared with account %s", resource_id, account)
        self.ws.delete_image(resource_id)

    def describe_all(self, resource_ids: Sequence[str]) -> Mapping[str, Image]:
        return self.ws.describe_images(resource_ids)

    def deadline(self, ev: ResourceEvent, found: Observed | None, now: float) -> float:
        image = found if isinstance(found, Image) else None
        return deadline_for(image, self.parse(ev.properties, check=False), now)

    # ------------------------------------------------------------ steps

    def _await(
        self,
        ev: ResourceEvent,
        request: ImageRequest,
        image_id: str,
        *,
        deferred: bool,
        replaced: str = "",
        announce: bool = True,
    ) -> Answer:
        """Tell whoever waits as soon as the image is AVAILABLE: the wait condition, or (deferred) the answer.

        `replaced`: the image a replacement replaces. Retention, and the news of the wait's end, follow only an image
        this request made: never the source answered as is, nor an image a rollback Update returned to."""
        answer = self._answer(image_id)
        # Undo only what this request made: never the source answered as is, nor an image a rollback adopted.
        made_here = self.made_here and image_id == self.made
        retain = made_here and bool(replaced) and replaced != image_id and request.keep_previous is not None
        news = self.news_of(request)
        after: dict[str, Any] = {
            # News is an image this request made: not the source answered as is, nor one a rollback returns to.
            "announce": news if announce and made_here else {},
            "replaced_id": replaced if retain else "",
            "keep_previous": request.keep_previous if retain else None,
            "share_with": request.share_with_accounts,
        }
        if deferred or (not request.wait_handle and request.share_with_accounts):
            # Without a wait condition the answer itself waits: nobody may use the image before it is shared.
            return self.answer_when_available(ev, image_id, answer, undo_on_failure=made_here, **after)
        if not request.wait_handle:
            return answer
        return self.answer_when_available(ev, image_id, answer, signal_url=request.wait_handle, **after)

    def news_of(self, request: ImageRequest) -> dict[str, str]:
        """What the events of this resource's image say besides the resource and the image id."""
        return {Detail.SOURCE_IMAGE_ID: request.source_image_id, Detail.NAME: request.name}

    # ------------------------------------------------------------ sharing

    def _judge_accounts(self, ev: ResourceEvent, request: ImageRequest) -> None:
        """The one share rule synth may not have judged: the stack's own account is known only now."""
        _, account = stack_place(ev.stack_id)
        own = account or rules.UNKNOWN
        refuse(rules.share_with_accounts_problems(list(request.share_with_accounts), own_account=own))

    def complete(self, watch: Watch, found: Observed) -> None:
        """Share the AVAILABLE image with the accounts of share_with_accounts before anyone is told it is ready."""
        if watch.share_with:
            image = found if isinstance(found, Image) else None
            self._share(watch.resource_id, watch.stack_id, watch.logical_id, watch.share_with, image)

    def _reshare(self, ev: ResourceEvent, request: ImageRequest, image_id: str, *, waiting: bool) -> None:
        """A changed share_with_accounts, applied in place: the current image is shared with the accounts now named,
        and every image the record holds for this resource stops being shared with the accounts no longer named.
        An image not yet AVAILABLE was shared with nobody: the wait that is re-armed (`waiting`) shares it once it
        is."""
        image = self.ws.describe_image(image_id)
        if image is not None and image.state == "AVAILABLE":
            self._share(image_id, ev.stack_id, ev.logical_id, request.share_with_accounts, image)
        elif not waiting:
            state = image.state if image is not None else "gone"
            raise ProviderError(
                f"{rules.SHARE_LABEL} changed, but image {image_id} is {state}; an image is shared only while it "
                "is AVAILABLE: deploy again once it is, or replace it"
            )
        self._unshare_earlier(ev.logical_id, image_id, request.share_with_accounts)

    def _unshare_earlier(self, logical_id: str, current: str, wanted: Sequence[str]) -> None:
        """Stop sharing every other image the record holds for this resource with the accounts it granted that are no
        longer wanted (images kept by a removal policy or keep_previous are shared too). Raises ServiceError."""
        for entry in self.records.of(logical_id).made(self.region):
            dropped = [a for a in entry.shared_with if a not in wanted]
            if entry.resource_id == current or not dropped:
                continue
            try:
                granted = self.ws.shared_with(entry.resource_id, strict=True)
            except ServiceError as error:
                if error.code != "ResourceNotFoundException":
                    raise
                log.info("image %s is gone; dropping it from the record", entry.resource_id)
                self.records.drop(logical_id, entry)
                continue
            for account in dropped:
                if account in granted:
                    self.ws.set_image_permission(entry.resource_id, account, allow=False)
                    log.info("image %s is no longer shared with account %s", entry.resource_id, account)
            self.records.put(logical_id, shared_without(entry, dropped))

    def _share(self, image_id: str, stack_id: str, logical_id: str, wanted: Sequence[str], image: Image | None) -> None:
        """Grant the accounts `wanted` that lack permission, then remove those the record says this resource granted
        that are no longer wanted. Raises ProviderError, naming the account, when a permission can't be granted;
        before any call when the record does not hold the image for this resource (or its tag disagrees); and
        before any grant when it may not be shared (BYOL in GovCloud).

        Each grant is written to the record before it is made, so that whatever happens next, the permission is
        known to be this resource's and is removed before the image is deleted."""
        entry = self.records.of(logical_id).holding(image_id)
        if entry is None or not made_by(self._owner_tag(image_id), resource_key(stack_id, logical_id)):
            raise ProviderError(
                f"image {image_id} is not in the provider's record of what this resource made, so it is not shared "
                f"with the accounts of {rules.SHARE_LABEL}; share it yourself, or let this resource make the image"
            )
        plan = plan_sharing(wanted, self.ws.shared_with(image_id, strict=True), entry.shared_with)
        problem = template_share_problem(image_id, plan.grant, self.template.share_accounts, entry.shared_with)
        if problem:
            raise ProviderError(problem)
        region, _ = stack_place(stack_id)
        # Only a grant can break the BYOL rule: an unshare must always be possible.
        problem = byol_share_problem(region, image) if image is not None and plan.grant else None
        if problem:
            raise ProviderError(problem)
        # Every account of the list is this resource's from now on, also one someone had granted already.
        if set(wanted) - set(entry.shared_with):
            entry = shared_union(entry, wanted)
            self.records.put(logical_id, entry)
        granted: list[str] = []
        for account in plan.grant:
            try:
                self.ws.set_image_permission(image_id, account, allow=True)
            except ServiceError as error:
                # The image is left shared as it was: whatever rolls back next need not know what this call did.
                undone = self._revoke(image_id, granted)
                self.records.put(logical_id, shared_without(entry, [a for a in plan.grant if a not in granted]))
                raise ServiceError(
                    error.code,
                    f"{rules.SHARE_LABEL}: image {image_id} could not be shared with account {account}: {error}"
                    f"{undone}",
                ) from error
            granted.append(account)
            log.info("image %s is shared with account %s", image_id, account)
        for account in plan.revoke:
            self.ws.set_image_permission(image_id, account, allow=False)
            log.info("image %s is no longer shared with account %s", image_id, account)
        if plan.revoke:
            self.records.put(logical_id, shared_without(entry, plan.revoke))
        if plan.strangers:
            log.info("image %s is also shared with %s, outside this stack; left alone", image_id, plan.strangers)

    def _revoke(self, image_id: str, accounts: Sequence[str]) -> str:
        """Take back permissions just granted; say what could not be, to end a reason. Raises nothing."""
        left = []
        for account in accounts:
            try:
                self.ws.set_image_permission(image_id, account, allow=False)
            except ServiceError as error:
                log.warning("could not unshare image %s from account %s again: %s", image_id, account, error)
                left.append(account)
        if left:
            return f"; image {image_id} is still shared with {', '.join(left)}: unshare it yourself"
        return ""

    # ------------------------------------------------------------ once the wait is over

    def ended(self, watch: Watch, outcome: Outcome, found: Observed | None) -> None:
        if not watch.announce:
            return
        self.bus.put(wait_ended(watch, outcome, found if isinstance(found, Image) else None))
        if outcome.success and watch.keep_previous is not None and watch.replaced_id:
            self.bus.put(self._retain(watch))

    def _retain(self, watch: Watch) -> Event:
        """Delete the images the record holds for this resource beyond keep_previous that nothing protects; say what
        was done. Raises nothing: the new image is AVAILABLE, and a failure here only keeps images."""
        assert watch.keep_previous is not None
        deleted: list[str] = []
        try:
            entries = {e.resource_id: e for e in self.records.of(watch.logical_id).made(self.region)}
            found = self.ws.describe_images(sorted(entries)) if entries else {}
            for gone in sorted(set(entries) - set(found)):
                log.info("image %s is gone; dropping it from the record", gone)
                self.records.drop(watch.logical_id, entries.pop(gone))
            ranked = rank_earlier(
                [Made(i.image_id, i.created, entries[i.image_id].tag, i.state) for i in found.values()],
                key=resource_key(watch.stack_id, watch.logical_id),
                current=watch.resource_id,
                replaced=watch.replaced_id,
                source=str(watch.announce.get(Detail.SOURCE_IMAGE_ID, "")),
                keep_previous=watch.keep_previous,
            )
            bundles = self.ws.bundles_by_image() if ranked.delete else {}
            shared = {i: self.ws.shared_with(i, strict=True) for i in ranked.delete if not bundles.get(i)}
            plan = protect(ranked, bundles, shared, {i: entries[i].shared_with for i in ranked.delete})
        except ServiceError as error:
            log.warning("keep_previous kept every image: %s", error)
            return retention_event(watch, Retention(), f"every image was kept: {error}")
        kept = list(plan.kept)
        for image_id in plan.delete:
            try:
                # The record and the ownership tag are read again right before the delete (and IAM checks the tag).
                if self._delete_own(image_id, watch.logical_id, watch.stack_id).delete:
                    deleted.append(image_id)
                else:
                    kept.append((image_id, "it no longer carries this resource's ownership tag"))
            except ServiceError as error:
                kept.append((image_id, str(error)))
        for image_id, why in kept:
            log.info("keep_previous kept image %s: %s", image_id, why)
        return retention_event(watch, Retention(tuple(deleted), tuple(kept)))
