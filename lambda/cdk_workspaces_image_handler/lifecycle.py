"""The lifecycle every resource type shares, written once.

``Lifecycle`` is what index.py dispatches to, with the one way a request waits for a resource to be
AVAILABLE (``answer_when_available``) and the watch's ticks. ``OwnedLifecycle`` adds what every resource the
handler *creates* shares: the ownership tag, adopt-on-repeated-create, delete-or-keep, tags-only updates in
place, and undoing a replacement that failed. A resource type supplies only its hooks.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from . import contract
from .bus import Bus
from .cloudformation import Answer, ResourceEvent, Sender, not_created_id, response_body, signal_body
from .errors import (
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
    bundle_moved,
    choose_adoption,
    name_taken_reason,
    plan_delete,
    resource_key,
    respond_deadline,
    settle_outcome,
    watch_outcome,
)
from .watch import GIVE_UP_AFTER_DEADLINE_SECONDS, Watch, Watches
from .workspaces import WorkSpaces

log = logging.getLogger(__name__)


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

    def repoint(self, stack_id: str, logical_id: str, bundle_id: str, image_id: str, previous_image_id: str) -> None:
        """Point a bundle at another image for the custom resource `logical_id` of `stack_id`
        (UpdateWorkspaceBundle), and say so on the bus. Raises ServiceError."""
        self.ws.update_bundle(bundle_id, image_id)
        log.info("bundle %s now uses image %s (before: %s)", bundle_id, image_id, previous_image_id)
        self.bus.put(bundle_moved(stack_id, logical_id, bundle_id, image_id, previous_image_id))

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
        announce: Mapping[str, str] | None = None,
        replaced_id: str = "",
        keep_previous: int | None = None,
        share_with: Sequence[str] = (),
    ) -> Answer:
        """Tell whoever waits once `resource_id` is AVAILABLE (and `complete`): now if it is, else from a watch.

        With `signal_url` a wait condition waits: the answer goes to CloudFormation now and the handle is
        signalled later. Without it the answer itself waits, within the custom resource's hour, and
        `undo_on_failure` undoes the request should the resource never be AVAILABLE.
        Raises NotAvailableError when the answer waits and the resource will never be AVAILABLE.

        `announce`, `replaced_id`, `keep_previous` and `share_with` are kept with the wait (see Watch).
        """
        now = self.clock()
        found = self.describe(resource_id)
        deadline = self.deadline(ev, found, now)
        if not signal_url:
            deadline = min(deadline, respond_deadline(now))
        after: dict[str, Any] = {
            "announce": dict(announce or {}),
            "replaced_id": replaced_id,
            "keep_previous": keep_previous,
            "share_with": list(share_with),
            "region": self.region,
        }
        if signal_url:
            signal = Watch(
                self.RESOURCE_TYPE, resource_id, deadline, "signal", signal_url, ev.stack_id, ev.logical_id, **after
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
            **after,
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
        outcome = watch_outcome(watch.resource_id, found, now, watch.deadline, self.WATCHED)
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
            log.info("%s %s is %s; still waiting", self.WATCHED.noun, watch.resource_id, found.state if found else "?")
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
    """A resource the handler creates, marks with the ownership tag, and alone may delete."""

    KIND: ClassVar[Kind]
    # The response Data key that carries the id (the resource's attribute).
    ATTRIBUTE: ClassVar[str]

    @abstractmethod
    def parse(self, properties: Mapping[str, Any], *, check: bool = True) -> R:
        """The request in the resource properties; `check` applies the input rules. Raises InvalidInputError."""

    @abstractmethod
    def find_named(self, request: R) -> Sequence[str]:
        """Ids of this account's resources of this kind named like the request. Raises ServiceError."""

    @abstractmethod
    def create_resource(self, request: R, tags: Mapping[str, str]) -> str:
        """Create the resource with these tags (the ownership tag among them); return its id. Raises ServiceError."""

    @abstractmethod
    def delete_resource(self, resource_id: str, shared_with: Sequence[str] = ()) -> None:
        """Delete the resource; one already gone is no error. `shared_with`: the accounts this resource shared
        it with, whose permissions are removed first. Raises ServiceError, also when it is shared with any other
        account: that share is not this resource's to remove."""

    def shared_by(self, request: R) -> Sequence[str]:
        """The accounts this resource shares what it makes with, for these properties: by default none."""
        return ()

    def _shares_in(self, properties: Mapping[str, Any]) -> Sequence[str]:
        """The accounts the resource with these (unjudged) properties was shared with; none if unreadable."""
        try:
            return self.shared_by(self.parse(properties, check=False))
        except InvalidInputError:
            return ()

    def preflight(self, request: R) -> str | None:
        """A check before anything is created: raise ProviderError to fail, or name an existing resource to
        answer instead of creating one; None to go on."""
        return None

    # ------------------------------------------------------------ shared requests

    def delete(self, ev: ResourceEvent) -> Answer | None:
        # Whatever happens next, no wait for this resource may outlive it.
        self.watches.stop(ev.logical_id, of=ev.physical_id or not_created_id(ev.logical_id))
        physical = ev.physical_id or ""
        made = [physical] if physical.startswith(self.KIND.prefix) else self._strays(ev)
        # The properties of what is deleted (a replaced resource's cleanup Delete carries its old ones) say
        # whom this resource shared it with.
        shared = self._shares_in(ev.properties)
        try:
            for resource_id in made:
                if resource_id == physical:
                    self._delete_own(resource_id, ev.stack_id, ev.logical_id, shared)
                else:
                    log.warning("deleting %s %s, made by a Create that could not say so", self.KIND.noun, resource_id)
                    self.delete_resource(resource_id, shared)
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
                share_with=list(shared),
                region=self.region,
            )
            log.info("%s %s is PENDING; deleting it once it is not", self.KIND.noun, pending)
            self.watches.start(wait)
            return Answer(wait.answer_id, deferred=True)
        return None

    def delete_settled(self, watch: Watch) -> str:
        # The tag is read again: the wait names what to delete, the tag says whether this resource may.
        return self._delete_own(watch.resource_id, watch.stack_id, watch.logical_id, watch.share_with).why

    def undo(self, watch: Watch) -> str:
        try:
            plan = self._delete_own(watch.resource_id, watch.stack_id, watch.logical_id, watch.share_with)
        except ServiceError as error:
            return f"; the new {self.KIND.noun} could not be deleted, delete it yourself: {error}"
        if not plan.delete:
            return f"; {plan.why}"
        return f"; the new {self.KIND.noun} {watch.resource_id} was deleted"

    # ------------------------------------------------------------ shared steps

    def _answer(self, resource_id: str) -> Answer:
        return Answer(resource_id, {self.ATTRIBUTE: resource_id})

    def obtain(self, ev: ResourceEvent, request: R) -> str:
        """Create the resource, or adopt the one made for these very properties by an earlier delivery of this
        request, or by an earlier request (a rollback Update returning to it)."""
        noun = self.KIND.noun
        ownership = Ownership.of(ev.stack_id, ev.logical_id, request, ev.request_id)
        adopted, tag = self._adopt(request, ownership)
        if adopted:
            self.made, self.made_here = adopted, ownership.made_by_this_request(tag)
            earlier = "an earlier delivery of this request" if self.made_here else "an earlier request"
            log.info("adopting %s %s, made for these properties by %s", noun, adopted, earlier)
            return adopted
        existing = self.preflight(request)
        if existing:
            return existing
        tags = {**request.tags, contract.OWNER_TAG_KEY: ownership.tag_value}
        try:
            made = self.create_resource(request, tags)
            tag = ownership.tag_value
        except ServiceError as error:
            if error.code != "ResourceAlreadyExistsException":
                raise
            # Another delivery of this very request may have won the race for the name.
            adopted, tag = self._adopt(request, ownership)
            if not adopted:
                holders = [i for i in self.find_named(request) if ownership.owns(self._owner_tag(i))]
                raise ServiceError(error.code, name_taken_reason(request.name, holders, self.KIND)) from error
            made = adopted
        self.made, self.made_here = made, ownership.made_by_this_request(tag)
        log.info("created %s %s", noun, made)
        # Should the service allow duplicate names (undocumented), two racing
        # deliveries both create; both keep the same one and delete the other.
        kept, kept_tag = self._adopt(request, ownership)
        if kept and kept != made:
            self.made, self.made_here = kept, ownership.made_by_this_request(kept_tag)
        return self.made

    def _mine(self, request: R, ownership: Ownership) -> dict[str, str | None]:
        """Resources this resource made for these very properties, named like the request, with their tags."""
        tags = {i: self._owner_tag(i) for i in self.find_named(request)}
        return {i: tag for i, tag in tags.items() if ownership.matches(tag)}

    def _adopt(self, request: R, ownership: Ownership) -> tuple[str | None, str | None]:
        """The one resource to keep among those made for these properties, and its tag; the others are deleted."""
        mine = self._mine(request, ownership)
        adoption = choose_adoption(list(mine))
        for extra in adoption.extras:
            log.warning("deleting duplicate %s %s of this request (kept %s)", self.KIND.noun, extra, adoption.keep)
            self.delete_resource(extra, self.shared_by(request))
        return adoption.keep, mine.get(adoption.keep) if adoption.keep else None

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
            self._discard(ev, made, self.shared_by(request))
            raise

    def retag(self, ev: ResourceEvent, request: R, changes: TagChanges, *, owned: bool | None = None) -> str:
        """Apply a tags-only change in place, only to a resource this resource made; return its id.

        `owned`: whether the resource carries this resource's ownership tag, when the caller has read it.
        """
        current = ev.physical_id or ""
        if changes and (self.owns(ev, request, current) if owned is None else owned):
            self.ws.set_tags(current, changes.to_set)
            self.ws.delete_tags(current, changes.to_delete)
        return current

    def owns(self, ev: ResourceEvent, request: R, resource_id: str) -> bool:
        """Did this resource make `resource_id` (for any request)? Read from its ownership tag."""
        return Ownership.of(ev.stack_id, ev.logical_id, request).owns(self._owner_tag(resource_id))

    def _strays(self, ev: ResourceEvent) -> list[str]:
        """A Create whose answer named nothing (it failed, or Lambda timed it out) may have made one anyway.

        Only what carries this request's full ownership tag is returned, to be deleted: never another
        resource's, nor one this resource made for other properties and the stack retained.
        """
        try:
            request = self.parse(ev.properties, check=False)
        except InvalidInputError:
            log.info("%r names nothing and its properties can't be read: nothing was made", ev.physical_id)
            return []
        strays = list(self._mine(request, Ownership.of(ev.stack_id, ev.logical_id, request)))
        if not strays:
            log.info("%r names nothing, and nothing was made for this request", ev.physical_id)
        return strays

    def _discard(self, ev: ResourceEvent, resource_id: str, shared_with: Sequence[str]) -> None:
        # Only what this request made: never a source image answered as is, nor a resource an earlier request
        # made that a rollback Update adopted (the stack is returning to it).
        if resource_id != self.made or not self.made_here:
            return
        self.watches.stop(ev.logical_id)
        try:
            self._delete_own(resource_id, ev.stack_id, ev.logical_id, shared_with)
        except ServiceError:
            log.exception("could not delete %s after the failed update", resource_id)

    def _delete_own(
        self, resource_id: str, stack_id: str, logical_id: str, shared_with: Sequence[str] = ()
    ) -> DeletePlan:
        """Delete the resource only if it carries this resource's ownership tag, whatever asked for it; first
        remove the permissions this resource granted (`shared_with`)."""
        plan = plan_delete(resource_id, self._owner_tag(resource_id), resource_key(stack_id, logical_id), self.KIND)
        log.info(plan.why)
        if plan.delete:
            self.delete_resource(resource_id, shared_with)
        return plan

    def _owner_tag(self, resource_id: str) -> str | None:
        if not resource_id.startswith(self.KIND.prefix):
            return None
        return (self.ws.tags(resource_id) or {}).get(contract.OWNER_TAG_KEY)
