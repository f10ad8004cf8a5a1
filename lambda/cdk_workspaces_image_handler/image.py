"""Custom::UpdatedWorkspaceImage: an image made by CreateUpdatedWorkspaceImage, its decisions and lifecycle."""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from . import contract, rules
from .bus import Event
from .cloudformation import Answer, ResourceEvent
from .contract import Detail
from .contract import ImageProps as P
from .errors import InvalidInputError, ProviderError
from .kernel import (
    IMAGE,
    Observed,
    Outcome,
    TagChanges,
    refuse,
    require,
    tag_changes,
    tags_as_given,
    tags_from,
    unknown_properties,
)
from .lifecycle import OwnedLifecycle
from .record import Entry
from .retention import retain
from .sharing import Sharing, stack_place
from .watch import Watch
from .workspaces import Image

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImageRequest:
    # The image an updated image or a copy is made from; empty for the types made from something else (a WorkSpace,
    # an AMI, an Image Builder image), which name their own source.
    source_image_id: str = ""
    name: str = ""
    description: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)
    no_update_behavior: str = "FAIL"
    timeout_seconds: int = contract.DEFAULT_TIMEOUT_SECONDS
    wait_handle: str | None = field(default=None, repr=False)
    # None: keep every earlier image.
    keep_previous: int | None = None
    # The accounts the image is shared with once it is AVAILABLE.
    share_with_accounts: tuple[str, ...] = ()

    @property
    def replacing_values(self) -> tuple[str, ...]:
        """The values whose change makes a new image (everything the API takes but Tags)."""
        return (self.source_image_id, self.name, self.description)


# The request of either image type: an updated image's, or a copy's (copy.py).
IR = TypeVar("IR", bound=ImageRequest)


def _timeout(raw: Any) -> tuple[float | None, str | None]:
    """TimeoutSeconds in seconds as given (a fraction is for the rule to refuse, not to be cut off), or what is wrong
    with it."""
    try:
        seconds = float(raw)
    except (TypeError, ValueError):
        seconds = math.nan
    if not math.isfinite(seconds):
        label = rules.label_of("timeout", P.TIMEOUT_SECONDS)
        return None, rules.type_problem(label, raw, "a number of seconds")
    return seconds, None


def judged(
    props: Mapping[str, Any],
    resource_type: str,
    own_rules: Callable[[Mapping[str, Any], float | rules.Unknown], list[str]],
) -> list[str]:
    """Every input rule the properties of an image request break, in the words synth uses for the same values;
    unknown properties first. `own_rules` judges the type's own values, given the tags as given and the timeout."""
    tags, tag_problems = tags_as_given(props.get(P.TAGS))
    timeout, timeout_problem = _timeout(props.get(P.TIMEOUT_SECONDS, contract.DEFAULT_TIMEOUT_SECONDS))
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


def read_request(
    props: Mapping[str, Any],
    required: Sequence[str],
    make: Callable[..., IR],
    *,
    name_key: str = P.NAME,
    description_key: str = P.DESCRIPTION,
    **own: Any,
) -> IR:
    """The request of an image resource, read alike for every type into its request type `make`; `required`: the
    type's own required keys, `name_key` and `description_key`: its API's names of the two, `own`: its own fields.
    Raises InvalidInputError for what even unjudged properties (an update's old ones) need to be read at all."""
    require(props, *required, name_key, description_key)
    timeout, timeout_problem = _timeout(props.get(P.TIMEOUT_SECONDS, contract.DEFAULT_TIMEOUT_SECONDS))
    if timeout is None:
        raise InvalidInputError(timeout_problem)
    return make(
        name=str(props[name_key]),
        description=str(props[description_key]),
        tags=tags_from(props.get(P.TAGS)),
        timeout_seconds=int(timeout),
        wait_handle=props.get(P.WAIT_HANDLE) or None,
        keep_previous=_keep_previous(props.get(P.KEEP_PREVIOUS)),
        **own,
    )


def made_problems(
    props: Mapping[str, Any], resource_type: str, name_key: str, description_key: str, own: list[str]
) -> list[str]:
    """Every input rule the properties of an image type made from something else than an image break: `own`, what
    its source breaks (rules.py), then the rules it shares with every image type."""
    return judged(
        props,
        resource_type,
        lambda tags, timeout: (
            own
            + rules.made_image_problems(
                name_api=name_key,
                description_api=description_key,
                image_name=props.get(name_key),
                description=props.get(description_key),
                tags=tags,
                timeout_seconds=timeout,
                keep_previous=props.get(P.KEEP_PREVIOUS),
                share_with_accounts=props.get(P.SHARE_WITH_ACCOUNTS),
            )
        ),
    )


def parse_request(props: Mapping[str, Any], *, check: bool = True) -> ImageRequest:
    """Read the resource properties; `check` applies the input rules (rules.py) to what tokens hid at synth time."""
    if check:
        refuse(request_problems(props))
    return read_image_request(props)


def read_image_request(props: Mapping[str, Any]) -> ImageRequest:
    """The request of Custom::UpdatedWorkspaceImage in its properties, unjudged."""
    return read_request(
        props,
        (P.SOURCE_IMAGE_ID,),
        ImageRequest,
        source_image_id=str(props[P.SOURCE_IMAGE_ID]),
        no_update_behavior=str(props.get(P.NO_UPDATE_BEHAVIOR, "FAIL")),
        share_with_accounts=strings(props.get(P.SHARE_WITH_ACCOUNTS)),
    )


def _keep_previous(raw: Any) -> int | None:
    """KeepPrevious as CloudFormation passes it (a string); one that breaks its rule keeps every image."""
    if raw in (None, "") or rules.keep_previous_problem(raw):
        return None
    return int(float(raw))


def strings(raw: Any) -> tuple[str, ...]:
    """A list property as CloudFormation passes it (ShareWithAccounts, Applications: strings), each once; absent or
    unreadable: none."""
    if not isinstance(raw, list):
        return ()
    return tuple(dict.fromkeys(str(a) for a in raw))


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


# ---------------------------------------------------------------- waiting


def deadline_for(image: Image | None, request: ImageRequest, now: float) -> float:
    """When waiting gives up: the timeout counts from the image's creation, so retries don't extend it."""
    started = image.created.timestamp() if image is not None and image.created is not None else now
    return started + rules.handler_wait_seconds(request.timeout_seconds)


@dataclass(frozen=True)
class AfterWait:
    """What an image's wait keeps for its end, in Watch.after (which only the image types read)."""

    # What to tell the bus when the wait ends (contract.Detail keys: the image's SourceImageId and Name); empty for
    # a wait that makes no news, such as a re-armed wait for an image that did not change.
    announce: Mapping[str, str] = field(default_factory=dict)
    # With a replacement this request made: the image it replaces, and how many earlier images to keep once the
    # new one is AVAILABLE (None: keep them all).
    replaced_id: str = ""
    keep_previous: int | None = None
    # The accounts the image is shared with once it is AVAILABLE, before whoever waits is told.
    share_with: tuple[str, ...] = ()

    def to_after(self) -> dict[str, Any]:
        """As Watch.after keeps it: JSON, under the names versions before Watch.after kept at the watch's top level."""
        return {
            "announce": dict(self.announce),
            "replaced_id": self.replaced_id,
            "keep_previous": self.keep_previous,
            "share_with": list(self.share_with),
        }

    @classmethod
    def of(cls, watch: Watch) -> AfterWait:
        after = watch.after
        keep = after.get("keep_previous")
        return cls(
            announce={str(k): str(v) for k, v in (after.get("announce") or {}).items()},
            replaced_id=str(after.get("replaced_id") or ""),
            keep_previous=None if keep is None else int(keep),
            share_with=tuple(str(a) for a in after.get("share_with") or ()),
        )


# ---------------------------------------------------------------- news


def wait_ended(watch: Watch, outcome: Outcome, found: Image | None) -> Event:
    """The event of an image whose wait ended: AVAILABLE, or why not, in the service's own words."""
    detail: dict[str, Any] = {
        Detail.STACK_ID: watch.stack_id,
        Detail.LOGICAL_ID: watch.logical_id,
        Detail.IMAGE_ID: watch.resource_id,
        **AfterWait.of(watch).announce,
    }
    if found is not None and found.import_state:
        # An import's last word on itself, so that a rule sees how far it got.
        detail[Detail.IMPORT_STATE] = found.import_state
        detail[Detail.STATE_MESSAGE] = found.state_message
        detail[Detail.PROGRESS_PERCENTAGE] = found.progress_percentage
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


# ---------------------------------------------------------------- lifecycle


class BaseImageLifecycle(OwnedLifecycle[IR]):
    """What both image types share once the image is made (an updated image, a copy): its wait, news, sharing and
    retention, deletes and updates. How the image is made is each type's own (preflight, create_resource)."""

    KIND = IMAGE
    WATCHED = IMAGE
    ATTRIBUTE = contract.Attributes.IMAGE_ID

    def create(self, ev: ResourceEvent) -> Answer:
        request = self.request(ev.properties)
        self._judge_accounts(ev, request)
        return self._await(ev, request, self.obtain(ev, request), deferred=False)

    def update(self, ev: ResourceEvent) -> Answer:
        new = self.request(ev.properties)
        self._judge_accounts(ev, new)
        old = self.request(ev.old_properties, check=False)
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

    def find_named(self, request: IR) -> Sequence[str]:
        return [i.image_id for i in self.ws.owned_images_named(request.name)]

    def adopt_current(self, ev: ResourceEvent) -> None:
        """Never the source image: USE_SOURCE answers it as the physical id, and whoever may write tags could have
        written this resource's ownership tag on it, which would make the stack's delete delete the source."""
        try:
            source = self.request(ev.properties, check=False).source_image_id
        except InvalidInputError:
            source = ""
        if ev.physical_id and ev.physical_id == source:
            return
        super().adopt_current(ev)

    def adopted(self, entry: Entry, ev: ResourceEvent) -> Entry:
        """An earlier version shared the image with the accounts of its properties: those grants are this resource's
        (unreadable properties: none)."""
        try:
            accounts = self.request(ev.properties, check=False).share_with_accounts
        except InvalidInputError:
            return entry
        return dataclasses.replace(entry, shared_with=tuple(accounts))

    def before_delete(self, entry: Entry) -> None:
        """Remove the permissions the record says this resource granted: a shared image can't be deleted."""
        self.sharing().unshare_before_delete(entry.resource_id, entry.shared_with)

    def delete_resource(self, resource_id: str) -> None:
        self.ws.delete_image(resource_id)

    def describe_all(self, resource_ids: Sequence[str]) -> Mapping[str, Image]:
        return self.ws.describe_images(resource_ids)

    def deadline(self, ev: ResourceEvent, found: Observed | None, now: float) -> float:
        image = found if isinstance(found, Image) else None
        # The request of the event at hand, as its own step read it.
        return deadline_for(image, self.request(ev.properties, check=False), now)

    # ------------------------------------------------------------ steps

    def _await(
        self,
        ev: ResourceEvent,
        request: IR,
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
        after = AfterWait(
            # News is an image this request made: not the source answered as is, nor one a rollback returns to.
            announce=self.news_of(request) if announce and made_here else {},
            replaced_id=replaced if retain else "",
            keep_previous=request.keep_previous if retain else None,
            share_with=request.share_with_accounts,
        ).to_after()
        if deferred or (not request.wait_handle and request.share_with_accounts):
            # Without a wait condition the answer itself waits: nobody may use the image before it is shared.
            return self.answer_when_available(ev, image_id, answer, undo_on_failure=made_here, after=after)
        if not request.wait_handle:
            return answer
        return self.answer_when_available(ev, image_id, answer, signal_url=request.wait_handle, after=after)

    def news_of(self, request: IR) -> dict[str, str]:
        """What the events of this resource's image say besides the resource and the image id."""
        return {Detail.SOURCE_IMAGE_ID: request.source_image_id, Detail.NAME: request.name}

    # ------------------------------------------------------------ sharing

    def sharing(self) -> Sharing:
        """The permissions of this resource's images, in the Region at hand (copies are not shared)."""
        return Sharing(
            self.ws,
            self.records,
            region=self.region,
            template_accounts=self.template.share_accounts,
            owner_tag=self._owner_tag,
        )

    def _judge_accounts(self, ev: ResourceEvent, request: IR) -> None:
        """The one share rule synth may not have judged: the stack's own account is known only now."""
        _, account = stack_place(ev.stack_id)
        own = account or rules.UNKNOWN
        refuse(rules.share_with_accounts_problems(list(request.share_with_accounts), own_account=own))

    def complete(self, watch: Watch, found: Observed) -> None:
        """Share the AVAILABLE image with the accounts of share_with_accounts before anyone is told it is ready."""
        share_with = AfterWait.of(watch).share_with
        if share_with:
            image = found if isinstance(found, Image) else None
            self.sharing().share(watch.resource_id, watch.stack_id, watch.logical_id, share_with, image)

    def _reshare(self, ev: ResourceEvent, request: IR, image_id: str, *, waiting: bool) -> None:
        """A changed share_with_accounts, applied in place: the current image is shared with the accounts now named,
        and every image the record holds for this resource stops being shared with the accounts no longer named.
        An image not yet AVAILABLE was shared with nobody: the wait that is re-armed (`waiting`) shares it once it
        is."""
        image = self.ws.describe_image(image_id)
        if image is not None and image.state == "AVAILABLE":
            self.sharing().share(image_id, ev.stack_id, ev.logical_id, request.share_with_accounts, image)
        elif not waiting:
            state = image.state if image is not None else "gone"
            raise ProviderError(
                f"{rules.SHARE_LABEL} changed, but image {image_id} is {state}; an image is shared only while it "
                "is AVAILABLE: deploy again once it is, or replace it"
            )
        self.sharing().unshare_earlier(ev.logical_id, image_id, request.share_with_accounts)

    # ------------------------------------------------------------ once the wait is over

    def ended(self, watch: Watch, outcome: Outcome, found: Observed | None) -> None:
        after = AfterWait.of(watch)
        if not after.announce:
            return
        self.bus.put(wait_ended(watch, outcome, found if isinstance(found, Image) else None))
        if outcome.success and after.keep_previous is not None and after.replaced_id:
            self.bus.put(
                retain(
                    watch,
                    self.ws,
                    self.records,
                    self.region,
                    self._delete_own,
                    replaced=after.replaced_id,
                    source=after.announce.get(Detail.SOURCE_IMAGE_ID, ""),
                    keep_previous=after.keep_previous,
                )
            )


class ImageLifecycle(BaseImageLifecycle[ImageRequest]):
    """Custom::UpdatedWorkspaceImage: the image CreateUpdatedWorkspaceImage makes of the source, or the source as is."""

    RESOURCE_TYPE = contract.IMAGE_TYPE

    def problems(self, properties: Mapping[str, Any]) -> list[str]:
        return request_problems(properties)

    def read(self, properties: Mapping[str, Any]) -> ImageRequest:
        return read_image_request(properties)

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
