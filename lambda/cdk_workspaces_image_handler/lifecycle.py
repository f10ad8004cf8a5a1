"""The lifecycle every resource type shares, written once.

``Lifecycle`` is what index.py dispatches to, with the one way a request waits for a resource to be
AVAILABLE (``answer_when_available``) and the watch's ticks. ``OwnedLifecycle`` adds what every resource the
handler *creates* shares: the record of what it made (record.py) and the ownership tag, adopt-on-repeated-create,
delete-or-keep, tags-only updates in place, and undoing a replacement that failed. A resource type supplies only
its hooks.

index.py runs a request here only once CloudFormation confirmed it (trust.py); every write to an existing resource
is then preceded by a check that the stack's own record holds it for this logical id, and the ownership tag agrees.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from . import contract
from .bus import Bus
from .cloudformation import Answer, ResourceEvent, Sender, not_created_id, response_body, signal_body
from .errors import (
    InFlightError,
    InvalidInputError,
    NotAvailableError,
    NotDeliveredError,
    ProviderError,
    ServiceError,
    StillPendingError,
)
from .kernel import (
    DeletePlan,
    Keyed,
    Kind,
    Observed,
    Outcome,
    Ownership,
    TagChanges,
    choose_adoption,
    made_by,
    name_taken_reason,
    plan_delete,
    refuse,
    resource_key,
    respond_deadline,
    settle_outcome,
    watch_outcome,
)
from .record import Entry, Records, adopted_key, answered_key, made_key
from .trust import Confirmed
from .watch import GIVE_UP_AFTER_DEADLINE_SECONDS, Watch, Watches
from .workspaces import WorkSpaces

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Template:
    """What the stack's template says through the provider's environment: trusted, unlike a request's properties,
    because only a stack operation changes it."""

    # The bundles apply_to_bundle names (contract.ENV_APPLY_BUNDLES).
    apply_bundles: frozenset[str] = frozenset()
    # The accounts its images are shared with (contract.ENV_SHARE_ACCOUNTS).
    share_accounts: frozenset[str] = frozenset()


def _nowhere(region: str) -> WorkSpaces:
    raise ProviderError(f"this provider has no WorkSpaces client for Region {region}")


class Lifecycle(ABC):
    """One custom resource type: its requests, and the ticks of its watch."""

    RESOURCE_TYPE: ClassVar[str]
    # The kind of resource its watch looks at.
    WATCHED: ClassVar[Kind]

    def __init__(
        self,
        ws: WorkSpaces,
        watches: Watches,
        bus: Bus,
        send: Sender,
        clock: Callable[[], float],
        elsewhere: Callable[[str], WorkSpaces] | None = None,
        *,
        records: Records,
        template: Template | None = None,
    ) -> None:
        self.ws = ws
        self.home = ws
        # WorkSpaces in another Region, for a resource made there (a copy). Without it, another Region is
        # refused: acting in the provider's Region instead would make or delete the wrong image.
        self.elsewhere = elsewhere or _nowhere
        # The Region of the resource at hand; empty: the provider's own.
        self.region = ""
        self.watches = watches
        self.bus = bus
        self.send = send
        self.clock = clock
        # The physical id of what this invocation made or adopted, so that a failure answered later still names
        # it and CloudFormation's rollback Delete can undo it (crhelper #7 would answer a random id).
        self.made: str | None = None
        # Whether this very request made it (this delivery or an earlier one): only then may a failure undo it.
        # A rollback Update adopts the resource an earlier request made, which the stack is returning to.
        self.made_here = False
        # What the provider made for each logical id (record.py): every write to an existing resource needs it.
        self.records = records
        self.template = template or Template()
        # What CloudFormation confirmed of the request at hand (trust.py); None in a tick.
        self.confirmed: Confirmed | None = None
        # When this invocation ends (Lambda's remaining time): a claim to make a resource lasts until then.
        self.invocation_ends = clock() + 300

    def enter(self, region: str) -> None:
        """Act in `region` from now on (empty: the provider's own): every call, and every wait started."""
        self.region = region
        self.ws = self.elsewhere(region) if region else self.home

    @abstractmethod
    def create(self, ev: ResourceEvent) -> Answer:
        """Raises ProviderError when the request cannot be done; the reason says why."""

    @abstractmethod
    def update(self, ev: ResourceEvent) -> Answer:
        """Raises ProviderError when the request cannot be done; the reason says why."""

    @abstractmethod
    def delete(self, ev: ResourceEvent) -> Answer | None:
        """Delete or restore what the resource made; a deferred Answer when that must wait, else None.

        Raises ProviderError when what the resource made cannot be deleted or restored."""

    @abstractmethod
    def describe_all(self, resource_ids: Sequence[str]) -> Mapping[str, Observed]:
        """The watched resources as the service describes them now, by id, up to 25 per call; a resource that is
        gone is missing from the answer. Raises ServiceError."""

    def describe(self, resource_id: str) -> Observed | None:
        """The watched resource as the service describes it now, or None when it is gone. Raises ServiceError."""
        return self.describe_all([resource_id]).get(resource_id)

    @abstractmethod
    def undo(self, watch: Watch) -> str:
        """Undo the request a failed deferred answer belongs to; say what happened, to end the reason.

        Raises nothing: a failed undo is said in the returned text.
        """

    def delete_settled(self, watch: Watch) -> str:
        """Delete what a deferred Delete waited for, now that it left PENDING; say what happened.

        Raises ProviderError when it cannot be deleted. Only a type that defers its Deletes overrides this."""
        raise ProviderError(f"{self.RESOURCE_TYPE} does not defer its Deletes")

    def deadline(self, ev: ResourceEvent, found: Observed | None, now: float) -> float:
        """When waiting for the resource gives up; by default within the custom resource's hour."""
        return respond_deadline(now)

    def complete(self, watch: Watch, found: Observed) -> None:
        """What makes a resource that is AVAILABLE ready, before whoever waits is told: by default nothing.

        Raises ProviderError: the wait then ends in failure with its reason, as if the resource never came."""
        return None

    def ended(self, watch: Watch, outcome: Outcome, found: Observed | None) -> None:
        """What a wait that ended does once whoever waited was told: by default nothing.

        Raises nothing: the answer is given, and what follows must not fail or repeat it."""
        return None

    def adopt_current(self, ev: ResourceEvent) -> None:
        """Take into the record what an earlier version of the provider made for this confirmed request: by default
        nothing (a type that records what it makes says how)."""
        return None

    def supersede(self, ev: ResourceEvent) -> None:
        """Stop whatever this resource was waiting for: the request replaces it (a rollback Update too, which
        would otherwise leave the abandoned resource's watch running until its deadline)."""
        self.watches.stop(ev.logical_id)

    # ------------------------------------------------------------ waiting for AVAILABLE

    def answer_when_available(
        self,
        ev: ResourceEvent,
        resource_id: str,
        answer: Answer,
        *,
        signal_url: str | None = None,
        undo_on_failure: bool = False,
        after: Mapping[str, Any] | None = None,
    ) -> Answer:
        """Tell whoever waits once `resource_id` is AVAILABLE (and `complete`): now if it is, else from a watch.

        With `signal_url` a wait condition waits: the answer goes to CloudFormation now and the handle is
        signalled later. Without it the answer itself waits, within the custom resource's hour, and
        `undo_on_failure` undoes the request should the resource never be AVAILABLE.
        Raises NotAvailableError when the answer waits and the resource will never be AVAILABLE.

        `after`: what the type keeps with the wait for its `complete` and `ended` (Watch.after), unread here.
        """
        now = self.clock()
        found = self.describe(resource_id)
        deadline = self.deadline(ev, found, now)
        if not signal_url:
            deadline = min(deadline, respond_deadline(now))
        kept: dict[str, Any] = {"after": dict(after or {}), "region": self.region}
        if signal_url:
            signal = Watch(
                self.RESOURCE_TYPE, resource_id, deadline, "signal", signal_url, ev.stack_id, ev.logical_id, **kept
            )
            outcome = self._judge(signal, found, now)
            if outcome.done:
                try:
                    self._finish(signal, outcome, found)
                    return answer
                except NotDeliveredError as error:
                    # Answering fails nothing here: the watch's next tick signals again.
                    log.warning("the wait condition was not signalled (%s); the watch will signal again", error)
            self.watches.start(signal)
            return answer
        respond = Watch(
            self.RESOURCE_TYPE,
            resource_id,
            deadline,
            "respond",
            ev.response_url,
            ev.stack_id,
            ev.logical_id,
            ev.request_id,
            physical_id=answer.physical_id,
            data=dict(answer.data),
            undo_on_failure=undo_on_failure,
            **kept,
        )
        outcome = self._judge(respond, found, now)
        if outcome.done:
            # The answer is this invocation's own (crhelper sends it on return, FAILED for the error).
            self._follow(respond, outcome, found)
            if not outcome.success:
                raise NotAvailableError(outcome.reason)
            return answer
        self.watches.start(respond)
        return replace(answer, deferred=True)

    def _judge(self, watch: Watch, found: Observed | None, now: float) -> Outcome:
        """Whether the wait is over and how it ended; a resource AVAILABLE that `complete` can't make ready fails
        it with the reason why."""
        if watch.mode == "delete":
            return settle_outcome(watch.resource_id, found, now, watch.deadline, self.WATCHED)
        outcome = watch_outcome(watch.resource_id, found, now, watch.deadline, self.WATCHED, last_seen=watch.progress)
        if outcome.success and found is not None:
            try:
                self.complete(watch, found)
            except ProviderError as error:
                return Outcome(True, False, str(error))
        return outcome

    def tick(self, watches: Sequence[Watch]) -> int:
        """One look at every pending watch of this type, with as few Describe calls as the API allows (one per 25
        resources of a Region): finish the waits that are over. Returns how many ended. Raises nothing: a Region
        whose resources can't be described is looked at again on the next tick, and the others go on.

        A wait that can't be finished now (its answer was refused) stays pending for the next tick."""
        by_region: dict[str, list[Watch]] = {}
        for watch in watches:
            by_region.setdefault(watch.region, []).append(watch)
        ended = 0
        for region, group in sorted(by_region.items()):
            self.enter(region)
            try:
                ended += self._tick_all(group)
            except Exception:
                where = f"Region {region}" if region else "the provider's Region"
                log.exception(
                    "could not look at the %d pending waits of %s in %s", len(group), self.RESOURCE_TYPE, where
                )
        return ended

    def _tick_all(self, watches: Sequence[Watch]) -> int:
        """Raises ServiceError when the resources can't be described."""
        now = self.clock()
        found = self.describe_all(sorted({w.resource_id for w in watches}))
        ended = 0
        for watch in watches:
            try:
                ended += self._tick(watch, found.get(watch.resource_id), now)
            except Exception:
                log.exception("the wait of %s for %s is not over yet", watch.logical_id, watch.resource_id)
        return ended

    def _tick(self, watch: Watch, found: Observed | None, now: float) -> bool:
        outcome = self._judge(watch, found, now)
        if not outcome.done:
            # The service's own progress, where it reports one (an import), so the log shows how far the wait got.
            state = f"{found.state}{found.progress}" if found else "?"
            log.info("%s %s is %s; still waiting", self.WATCHED.noun, watch.resource_id, state)
            if found is not None and found.progress and found.progress != watch.progress:
                self.watches.keep(replace(watch, progress=found.progress))
            return False
        try:
            self._finish(watch, outcome, found)
        except Exception:
            if now < watch.deadline + GIVE_UP_AFTER_DEADLINE_SECONDS:
                raise  # the watch stays, so the next tick tries again
            log.exception("giving up on answering for %s; removing the watch", watch.resource_id)
        self.watches.stop(watch.logical_id, of=watch.answer_id)
        return True

    def _follow(self, watch: Watch, outcome: Outcome, found: Observed | None) -> None:
        """`ended`, whose failure is only logged: whoever waited was told, and telling again would repeat it."""
        try:
            self.ended(watch, outcome, found)
        except Exception:
            log.exception("what follows the end of the wait for %s failed; the wait itself is over", watch.resource_id)

    def _finish(self, watch: Watch, outcome: Outcome, found: Observed | None) -> None:
        """Tell whoever waits how the wait ended, then what follows (`ended`). Raises NotDeliveredError when the
        URL refuses the answer: nothing follows, and the next try tells and follows again."""
        if watch.mode == "signal":
            self.send(
                watch.url, signal_body(success=outcome.success, reason=outcome.reason, image_id=watch.resource_id)
            )
            self._follow(watch, outcome, found)
            return
        reason, success = outcome.reason, outcome.success
        if watch.mode == "delete" and success:
            try:
                reason = self.delete_settled(watch)
            except ProviderError as error:
                reason, success = str(error), False
        elif not success and watch.undo_on_failure:
            reason += self.undo(watch)
        self.send(
            watch.url,
            response_body(
                status="SUCCESS" if success else "FAILED",
                reason=reason,
                physical_id=watch.answer_id,
                stack_id=watch.stack_id,
                request_id=watch.request_id,
                logical_id=watch.logical_id,
                data=watch.data,
            ),
        )
        self._follow(watch, outcome, found)


class OwnedRequest(Keyed, Protocol):
    """What the shared create/adopt/tag steps read of a request."""

    @property
    def name(self) -> str: ...

    @property
    def tags(self) -> Mapping[str, str]: ...


R = TypeVar("R", bound=OwnedRequest)


class OwnedLifecycle(Lifecycle, Generic[R]):
    """A resource the handler creates, records, marks with the ownership tag, and alone may delete."""

    KIND: ClassVar[Kind]
    # The response Data key that carries the id (the resource's attribute).
    ATTRIBUTE: ClassVar[str]

    @abstractmethod
    def problems(self, properties: Mapping[str, Any]) -> list[str]:
        """Every input rule the resource properties break (rules.py), in the words synth uses for the same values."""

    @abstractmethod
    def read(self, properties: Mapping[str, Any]) -> R:
        """The request in the resource properties, unjudged. Raises InvalidInputError for what even unjudged
        properties (an update's old ones) need to be read at all."""

    def request(self, properties: Mapping[str, Any], *, check: bool = True) -> R:
        """The request in these properties, read once in this invocation whatever step asks for it (adoption, the
        request itself, the deadline of its wait, a Delete's strays); `check` first judges them by the input rules,
        every broken rule at once. Raises InvalidInputError."""
        if check:
            refuse(self.problems(properties))
        held = self._requests.get(id(properties))
        if held is None or held[0] is not properties:
            # The mapping is kept with its request, so that its id names no other mapping while the entry lives.
            held = (properties, self.read(properties))
            self._requests[id(properties)] = held
        return held[1]

    @cached_property
    def _requests(self) -> dict[int, tuple[Mapping[str, Any], R]]:
        """The requests read in this invocation (a lifecycle serves one), by the properties they were read from."""
        return {}

    @abstractmethod
    def find_named(self, request: R) -> Sequence[str]:
        """Ids of this account's resources of this kind named like the request. Raises ServiceError.

        Only for what the record cannot say: a claim whose create call never answered (the invocation died)."""

    @abstractmethod
    def create_resource(self, request: R, tags: Mapping[str, str]) -> str:
        """Create the resource with these tags (the ownership tag among them); return its id. Raises ServiceError."""

    @abstractmethod
    def delete_resource(self, resource_id: str) -> None:
        """Delete the resource; one already gone is no error. Raises ServiceError."""

    def before_delete(self, entry: Entry) -> None:
        """Undo what the record's `entry` says this resource did to the resource besides making it, before it is
        deleted: by default nothing. Raises ServiceError, and the resource is then kept."""
        return None

    def unlisted_for(self) -> float:
        """How many seconds after a create call the resource it made may still be missing from the lists find_named
        reads: a claim whose create call never answered and finds nothing is kept that long (a Delete fails meanwhile,
        so that what the call made is never orphaned). 0 by default: what a create call makes is listed at once."""
        return 0.0

    def preflight(self, request: R) -> str | None:
        """A check before anything is created: raise ProviderError to fail, or name an existing resource to
        answer instead of creating one; None to go on."""
        return None

    # ------------------------------------------------------------ shared requests

    def adopt_current(self, ev: ResourceEvent) -> None:
        """Take into the record the resource an earlier version of the provider made, known to it by its tag only,
        when CloudFormation confirmed that it holds that very id for this logical id (docs/design.md, "Upgrading")."""
        physical = ev.physical_id or ""
        records = self.records.of(ev.logical_id)
        if not (self.confirmed and self.confirmed.current and physical.startswith(self.KIND.prefix)):
            return
        if records.holding(physical) is not None:
            return
        tag = self._owner_tag(physical)
        if not made_by(tag, resource_key(ev.stack_id, ev.logical_id)):
            return
        parts = str(tag).split(".")
        entry = Entry(
            adopted_key(physical),
            resource_id=physical,
            physical_id=physical,
            request_key=parts[2] if len(parts) > 2 else "",
            tag=str(tag),
            region=self.region,
        )
        log.info("adopting %s %s into the record: an earlier version made it", self.KIND.noun, physical)
        self.records.put(ev.logical_id, self.adopted(entry, ev))

    def adopted(self, entry: Entry, ev: ResourceEvent) -> Entry:
        """The record's entry of a resource an earlier version made for these properties, with what the type knows
        that version did to it besides making it: by default nothing."""
        return entry

    def delete(self, ev: ResourceEvent) -> Answer | None:
        # Whatever happens next, no wait for this resource may outlive it.
        self.watches.stop(ev.logical_id, of=ev.physical_id or not_created_id(ev.logical_id))
        physical = ev.physical_id or ""
        made = [physical] if physical.startswith(self.KIND.prefix) else self._strays(ev)
        try:
            for resource_id in made:
                if resource_id != physical:
                    log.warning("deleting %s %s, made by a Create that could not say so", self.KIND.noun, resource_id)
                self._delete_own(resource_id, ev.logical_id, ev.stack_id)
        except StillPendingError as error:
            # Whether WorkSpaces deletes a resource still being made is undocumented; where it refuses, the
            # Delete waits (within its hour) until the resource leaves PENDING, then deletes it.
            pending = error.resource_id
            now = self.clock()
            wait = Watch(
                self.RESOURCE_TYPE,
                pending,
                respond_deadline(now),
                "delete",
                ev.response_url,
                ev.stack_id,
                ev.logical_id,
                ev.request_id,
                physical_id=physical or pending,
                region=self.region,
            )
            log.info("%s %s is PENDING; deleting it once it is not", self.KIND.noun, pending)
            self.watches.start(wait)
            return Answer(wait.answer_id, deferred=True)
        return None

    def delete_settled(self, watch: Watch) -> str:
        # The record and the tag are read again: the wait names what to delete, they say whether this resource may.
        return self._delete_own(watch.resource_id, watch.logical_id, watch.stack_id).why

    def undo(self, watch: Watch) -> str:
        try:
            plan = self._delete_own(watch.resource_id, watch.logical_id, watch.stack_id)
        except ServiceError as error:
            return f"; the new {self.KIND.noun} could not be deleted, delete it yourself: {error}"
        if not plan.delete:
            return f"; {plan.why}"
        return f"; the new {self.KIND.noun} {watch.resource_id} was deleted"

    # ------------------------------------------------------------ shared steps

    def _answer(self, resource_id: str) -> Answer:
        return Answer(resource_id, {self.ATTRIBUTE: resource_id})

    def obtain(self, ev: ResourceEvent, request: R) -> str:
        """Create the resource, or adopt the one this very request made in an earlier delivery, or the one an earlier
        request made for these very properties (a rollback Update returning to it), by the record.

        The record is claimed before the create call, so that two deliveries never both create, and completed with
        the new id after it, so that a retry finds it without listing the account. Raises InFlightError while
        another delivery of this request holds the claim."""
        noun, lid = self.KIND.noun, ev.logical_id
        ownership = Ownership.of(ev.stack_id, lid, request, ev.request_id)
        records = self.records.of(lid)
        key = made_key(ev.request_id)
        claim = records.get(key)
        # What an Update's answer replaces: its cleanup Delete is confirmed for that very id only (trust.py).
        replacing = (ev.physical_id or "") if ev.request_type == "Update" else ""
        if claim is not None and claim.resource_id:
            log.info("adopting %s %s, made for this request by an earlier delivery", noun, claim.resource_id)
            return self._obtained(claim.resource_id, here=True)
        now = self.clock()
        # Whether an earlier delivery's create call, which never answered, may have made it.
        inherited = claim is not None
        if claim is None:
            earlier = self._made_earlier(lid, ownership.request_key)
            if earlier:
                log.info("adopting %s %s, made for these properties by an earlier request", noun, earlier)
                self._answered(ev, earlier, replacing)
                return self._obtained(earlier, here=False)
            existing = self.preflight(request)
            if existing:
                self._answered(ev, existing, replacing)
                return existing
            claim = Entry(
                key,
                request_key=ownership.request_key,
                tag=ownership.tag_value,
                region=self.region,
                claimed_until=self.invocation_ends,
                replaced=replacing,
            )
            if not self.records.claim(lid, claim):
                raise InFlightError(f"another delivery of this request is making the {noun} of {lid}")
        elif now < claim.claimed_until:
            raise InFlightError(f"another delivery of this request is making the {noun} of {lid}")
        else:
            # The delivery that claimed it ended without recording an id: its create call may have worked.
            found = self._find_made(request, claim.tag)
            if found:
                self.records.put(lid, replace(claim, resource_id=found, physical_id=found))
                log.info("adopting %s %s, made for this request by a delivery that ended first", noun, found)
                return self._obtained(found, here=True)
            claim = replace(claim, claimed_until=self.invocation_ends)
            self.records.put(lid, claim)
        tags = {**request.tags, contract.OWNER_TAG_KEY: ownership.tag_value}
        try:
            made = self.create_resource(request, tags)
        except ServiceError as error:
            found = self._find_made(request, claim.tag) if error.code == "ResourceAlreadyExistsException" else None
            if not found:
                if inherited and self.unlisted_for() and error.code == "ResourceAlreadyExistsException":
                    # The name may be taken by what the earlier call made, not listed yet (an import may be unlisted
                    # until it ends): the claim stays, so that the Delete that follows looks it up again.
                    self.records.put(lid, replace(claim, claimed_until=now))
                    raise ServiceError(
                        error.code,
                        f"{self.KIND.article} {noun} named {request.name!r} already exists, most likely the one an "
                        "earlier attempt of this Create made, whose answer was lost and which WorkSpaces does not list "
                        "yet (the Delete that follows deletes it once it is listed); deploy again once it is, or, if "
                        f"another {noun} has the name, choose another {self.KIND.name_prop}",
                    ) from error
                # The service refused: nothing was made, and a retry may claim again.
                self.records.drop(lid, claim)
                if error.code == "ResourceAlreadyExistsException":
                    named = set(self.find_named(request))
                    held = [e.resource_id for e in self.records.of(lid).made() if e.resource_id in named]
                    raise ServiceError(error.code, name_taken_reason(request.name, held, self.KIND)) from error
                raise
            made = found
        self.records.put(lid, replace(claim, resource_id=made, physical_id=made))
        log.info("created %s %s", noun, made)
        return self._obtained(made, here=True)

    def _answered(self, ev: ResourceEvent, physical_id: str, replacing: str) -> None:
        """Record that an Update answered an id it did not make (the source as is, or what a rollback returns to) in
        place of `replacing`, so that CloudFormation's cleanup of `replacing` is confirmed; it is never deleted."""
        if replacing and replacing != physical_id:
            entry = Entry(answered_key(ev.request_id), physical_id=physical_id, region=self.region, replaced=replacing)
            self.records.put(ev.logical_id, entry)

    def _obtained(self, resource_id: str, *, here: bool) -> str:
        self.made, self.made_here = resource_id, here
        return resource_id

    def _made_earlier(self, logical_id: str, request_key: str) -> str | None:
        """The newest resource the record holds for these very properties that still exists, if any."""
        candidates = [e for e in self.records.of(logical_id).made(self.region) if e.request_key == request_key]
        for entry in sorted(candidates, key=lambda e: (e.claimed_until, e.resource_id), reverse=True):
            if self.describe(entry.resource_id) is not None:
                return entry.resource_id
        return None

    def _find_made(self, request: R, tag: str) -> str | None:
        """The resource named like the request that carries this very request's ownership tag: what a create call
        made whose answer the record never got. Lists the account: only for that rare case."""
        mine = [i for i in self.find_named(request) if self._owner_tag(i) == tag]
        return choose_adoption(mine).keep

    def replace(self, ev: ResourceEvent, request: R, then: Callable[[str], Answer]) -> Answer:
        """Make the replacement, then `then` with its id; undo it if that fails, but not for an answer or
        signal that was not delivered: that is delivered again, and must name a resource that still exists."""
        self.supersede(ev)
        made = self.obtain(ev, request)
        try:
            return then(made)
        except NotDeliveredError:
            raise
        except Exception:
            # CloudFormation keeps the old resource after a failed update and forgets the new one.
            self._discard(ev, made)
            raise

    def retag(self, ev: ResourceEvent, request: R, changes: TagChanges, *, owned: bool | None = None) -> str:
        """Apply a tags-only change in place, only to a resource this resource made; return its id.

        `owned`: whether the record and the ownership tag say this resource made it, when the caller has read them.
        """
        current = ev.physical_id or ""
        if changes and (self.owns(ev, current) if owned is None else owned):
            self.ws.set_tags(current, changes.to_set)
            self.ws.delete_tags(current, changes.to_delete)
        return current

    def owns(self, ev: ResourceEvent, resource_id: str) -> bool:
        """Did this resource make `resource_id`? The record must hold it for the logical id, and its tag agree."""
        if self.records.of(ev.logical_id).holding(resource_id) is None:
            return False
        return made_by(self._owner_tag(resource_id), resource_key(ev.stack_id, ev.logical_id))

    def _strays(self, ev: ResourceEvent) -> list[str]:
        """A Create whose answer named nothing (it failed, or Lambda timed it out) may have made one anyway.

        Only what the record holds for this logical id and these very properties is returned, to be deleted:
        never another resource's, nor one this resource made for other properties and the stack retained. A claim
        whose create call never answered is looked up by its tag; one that made nothing is dropped.
        """
        try:
            request = self.request(ev.properties, check=False)
        except InvalidInputError:
            log.info("%r names nothing and its properties can't be read: nothing was made", ev.physical_id)
            return []
        request_key = Ownership.of(ev.stack_id, ev.logical_id, request).request_key
        strays: list[str] = []
        for entry in list(self.records.of(ev.logical_id).entries.values()):
            if entry.kind != "made" or entry.request_key != request_key or entry.region != self.region:
                continue
            found = entry.resource_id or self._find_made(request, entry.tag)
            if found:
                if not entry.resource_id:
                    self.records.put(ev.logical_id, replace(entry, resource_id=found, physical_id=found))
                strays.append(found)
            elif self.unlisted_for() and self.clock() < entry.claimed_until + self.unlisted_for():
                # Kept in the record: dropping it would orphan what the call may have made.
                noun = self.KIND.noun
                raise ProviderError(
                    f"the {noun} named {request.name!r} that a create call of {ev.logical_id} may have made is not "
                    f"listed yet (the call's answer was lost, and an import is listed only once it ends): retry this "
                    f"delete, or continue the rollback, once DescribeWorkspaceImages lists it, and it is deleted; "
                    f"after {self.unlisted_for() / 3600:g} h with nothing listed, nothing was made"
                )
            else:
                self.records.drop(ev.logical_id, entry)
        if not strays:
            log.info("%r names nothing, and nothing was made for this request", ev.physical_id)
        return strays

    def _discard(self, ev: ResourceEvent, resource_id: str) -> None:
        # Only what this request made: never a source image answered as is, nor a resource an earlier request
        # made that a rollback Update adopted (the stack is returning to it).
        if resource_id != self.made or not self.made_here:
            return
        self.watches.stop(ev.logical_id)
        try:
            self._delete_own(resource_id, ev.logical_id, ev.stack_id)
        except ServiceError:
            log.exception("could not delete %s after the failed update", resource_id)

    def _delete_own(self, resource_id: str, logical_id: str, stack_id: str) -> DeletePlan:
        """Delete the resource only if the record holds it for this logical id and it carries this resource's
        ownership tag, whatever asked for it; first undo what the record says it did besides (`before_delete`). The
        entry goes with the resource."""
        entry = self.records.of(logical_id).holding(resource_id)
        tag = self._owner_tag(resource_id) if entry is not None else None
        plan = plan_delete(resource_id, entry is not None, tag, resource_key(stack_id, logical_id), self.KIND)
        log.info(plan.why)
        if plan.delete and entry is not None:
            self.before_delete(entry)
            self.delete_resource(resource_id)
            self.records.drop(logical_id, entry)
        return plan

    def _owner_tag(self, resource_id: str) -> str | None:
        if not resource_id.startswith(self.KIND.prefix):
            return None
        return (self.ws.tags(resource_id) or {}).get(contract.OWNER_TAG_KEY)
