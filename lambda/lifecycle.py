"""What every resource type this provider serves has in common, written once.

`Lifecycle` is the contract index.py dispatches to, plus the answer plumbing:
answer CloudFormation now, or defer the answer to a watch until the watched
image or bundle is AVAILABLE, and finish that watch.

`OwnedLifecycle` adds what every resource the handler *creates* shares:
the ownership tag, adopt-on-repeated-create, delete-or-keep, tags-only updates
in place, and undoing a replacement that failed. Its subclasses supply only
what differs: how to read the properties, find candidates by name, make,
look at and remove their kind of resource.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Generic, Protocol, TypeVar

import decisions as d
import rules
from cfn import ResourceEvent, Sender, response_body, signal_body
from watch import GIVE_UP_AFTER_DEADLINE_SECONDS, Scheduler, Watch
from workspaces import WorkSpaces, WorkSpacesError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    """What the handler tells CloudFormation now, if anything."""

    physical_id: str
    data: Mapping[str, str] = field(default_factory=dict)
    deferred: bool = False


class Lifecycle(ABC):
    """One custom resource type: its events, and the ticks of its watch."""

    RESOURCE_TYPE: ClassVar[str]
    # The kind of resource its watch looks at.
    WATCHED: ClassVar[d.Kind]

    def __init__(self, ws: WorkSpaces, scheduler: Scheduler, send: Sender, clock: Callable[[], float]) -> None:
        self.ws = ws
        self.scheduler = scheduler
        self.send = send
        self.clock = clock
        # The physical id of what this invocation made, so that a failure answered later still names it
        # and CloudFormation's rollback Delete can undo it (crhelper #7 would answer a random id).
        self.made: str | None = None

    @abstractmethod
    def create(self, ev: ResourceEvent, function_arn: str) -> Answer: ...

    @abstractmethod
    def update(self, ev: ResourceEvent, function_arn: str) -> Answer: ...

    @abstractmethod
    def delete(self, ev: ResourceEvent) -> None: ...

    @abstractmethod
    def look(self, resource_id: str) -> d.Observed | None:
        """The watched resource as the service describes it now, or None when it is gone."""

    @abstractmethod
    def undo(self, watch: Watch) -> str:
        """Undo the request a failed deferred answer belongs to; say what happened, to end the reason."""

    # ------------------------------------------------------------ the watch

    def tick(self, watch: Watch) -> None:
        """One look at a watched resource: finish the wait when it is over, else do nothing."""
        now = self.clock()
        found = self.look(watch.resource_id)
        outcome = d.watch_outcome(watch.resource_id, found, now, watch.deadline, self.WATCHED)
        if not outcome.done:
            log.info("%s %s is %s; still waiting", self.WATCHED.noun, watch.resource_id, found.state if found else "?")
            return
        try:
            self._finish(watch, outcome)
        except Exception:
            if now < watch.deadline + GIVE_UP_AFTER_DEADLINE_SECONDS:
                raise  # the rule stays, so the next tick tries again
            log.exception("giving up on answering for %s; removing the watch", watch.resource_id)
        self.scheduler.stop(watch.stack_id, watch.logical_id)

    def _respond_when_ready(
        self,
        ev: ResourceEvent,
        watched_id: str,
        found: d.Observed | None,
        deadline: float,
        answer: Answer,
        function_arn: str,
        *,
        undo_on_failure: bool,
    ) -> Answer:
        """Answer now if the watched resource is AVAILABLE, fail now if it never will be, else let a watch answer."""
        outcome = d.watch_outcome(watched_id, found, self.clock(), deadline, self.WATCHED)
        if outcome.done and not outcome.success:
            raise WorkSpacesError(f"{self.WATCHED.noun.capitalize()}NotAvailable", outcome.reason)
        if outcome.done:
            return answer
        watch = Watch(
            self.RESOURCE_TYPE,
            watched_id,
            deadline,
            "respond",
            ev.response_url,
            ev.stack_id,
            ev.logical_id,
            ev.request_id,
            physical_id=answer.physical_id,
            data=dict(answer.data),
            undo_on_failure=undo_on_failure,
        )
        self.scheduler.start(watch, function_arn)
        return replace(answer, deferred=True)

    def _answer_when_available(
        self, ev: ResourceEvent, watched_id: str, answer: Answer, function_arn: str, *, undo_on_failure: bool
    ) -> Answer:
        """For a resource with no timeout of its own: answer once it is AVAILABLE, within the custom resource's hour."""
        return self._respond_when_ready(
            ev,
            watched_id,
            self.look(watched_id),
            d.respond_deadline(self.clock()),
            answer,
            function_arn,
            undo_on_failure=undo_on_failure,
        )

    def _finish(self, watch: Watch, outcome: d.Outcome) -> None:
        if watch.mode == "signal":
            self.send(
                watch.url, signal_body(success=outcome.success, reason=outcome.reason, image_id=watch.resource_id)
            )
            return
        reason = outcome.reason
        if not outcome.success and watch.undo_on_failure:
            reason += self.undo(watch)
        self.send(
            watch.url,
            response_body(
                status="SUCCESS" if outcome.success else "FAILED",
                reason=reason,
                physical_id=watch.answer_id,
                stack_id=watch.stack_id,
                request_id=watch.request_id,
                logical_id=watch.logical_id,
                data=watch.data,
            ),
        )


class OwnedRequest(d.Keyed, Protocol):
    """What the shared create/adopt/tag steps read of a request."""

    @property
    def name(self) -> str: ...

    @property
    def tags(self) -> Mapping[str, str]: ...


R = TypeVar("R", bound=OwnedRequest)


class OwnedLifecycle(Lifecycle, Generic[R]):
    """A resource the handler creates, marks with the ownership tag, and alone may delete."""

    KIND: ClassVar[d.Kind]
    # The response Data key that carries the id (the resource's attribute).
    ATTRIBUTE: ClassVar[str]

    @abstractmethod
    def read(self, properties: Mapping[str, Any], *, check: bool = True) -> R:
        """The request in the resource properties; `check` applies the input rules."""

    @abstractmethod
    def candidates(self, request: R) -> Sequence[str]:
        """Ids of this account's resources of this kind named like the request."""

    @abstractmethod
    def make(self, request: R, tags: Mapping[str, str]) -> str:
        """Create the resource with these tags (the ownership tag among them); return its id."""

    @abstractmethod
    def remove(self, resource_id: str) -> None:
        """Delete the resource; a resource already gone is not an error."""

    def instead_of_making(self, request: R) -> str | None:
        """A check before anything is made: raise to fail, or name an existing resource to answer instead."""
        return None

    # ------------------------------------------------------------ shared events

    def delete(self, ev: ResourceEvent) -> None:
        # Whatever happens next, no watch of this resource may outlive it.
        self.scheduler.stop(ev.stack_id, ev.logical_id)
        physical = ev.physical_id or ""
        if not physical.startswith(self.KIND.prefix):
            self._delete_strays(ev)
            return
        key = d.resource_key(ev.stack_id, ev.logical_id)
        plan = d.plan_delete(physical, self._owner_tag(physical), key, self.KIND)
        log.info(plan.why)
        if plan.delete:
            self.remove(physical)

    def undo(self, watch: Watch) -> str:
        try:
            self.remove(watch.resource_id)
        except WorkSpacesError as error:
            return f"; the new {self.KIND.noun} could not be deleted, delete it yourself: {error}"
        return f"; the new {self.KIND.noun} {watch.resource_id} was deleted"

    # ------------------------------------------------------------ shared steps

    def _answer(self, resource_id: str) -> Answer:
        return Answer(resource_id, {self.ATTRIBUTE: resource_id})

    def _obtain(self, ev: ResourceEvent, request: R) -> str:
        """Create the resource, or adopt the one a previous delivery of this request made."""
        noun = self.KIND.noun
        ownership = d.Ownership.of(ev.stack_id, ev.logical_id, request)
        adopted = self._adopt(request, ownership)
        if adopted:
            log.info("adopting %s %s, made by an earlier delivery of this request", noun, adopted)
            self.made = adopted
            return adopted
        existing = self.instead_of_making(request)
        if existing:
            return existing
        tags = {**request.tags, rules.OWNER_TAG_KEY: ownership.tag_value}
        try:
            made = self.make(request, tags)
        except WorkSpacesError as error:
            if error.code != "ResourceAlreadyExistsException":
                raise
            # Another delivery of this very request may have won the race for the name.
            adopted = self._adopt(request, ownership)
            if not adopted:
                holders = [i for i in self.candidates(request) if ownership.made(self._owner_tag(i))]
                raise WorkSpacesError(error.code, d.name_taken_reason(request.name, holders, self.KIND)) from error
            made = adopted
        self.made = made
        log.info("created %s %s", noun, made)
        # Should the service allow duplicate names (undocumented), two racing
        # deliveries both create; both keep the same one and delete the other.
        self.made = self._adopt(request, ownership) or made
        return self.made

    def _mine(self, request: R, ownership: d.Ownership) -> list[str]:
        """Resources this resource made for this very request: named like it, carrying its full ownership tag."""
        return [i for i in self.candidates(request) if self._owner_tag(i) == ownership.tag_value]

    def _adopt(self, request: R, ownership: d.Ownership) -> str | None:
        adoption = d.choose_adoption(self._mine(request, ownership))
        for extra in adoption.extras:
            log.warning("deleting duplicate %s %s of this request (kept %s)", self.KIND.noun, extra, adoption.keep)
            self.remove(extra)
        return adoption.keep

    def _replace(self, ev: ResourceEvent, request: R, then: Callable[[str], Answer]) -> Answer:
        """Make the replacement, then `then` with its id; undo it if that fails."""
        made = self._obtain(ev, request)
        try:
            return then(made)
        except Exception:
            # CloudFormation keeps the old resource after a failed update and forgets the new one.
            self._discard(ev, made)
            raise

    def _retag(self, ev: ResourceEvent, request: R, changes: d.TagChanges) -> str:
        """Apply a tags-only change in place, only to a resource this resource made; return its id."""
        current = ev.physical_id or ""
        ownership = d.Ownership.of(ev.stack_id, ev.logical_id, request)
        if changes and ownership.made(self._owner_tag(current)):
            self.ws.set_tags(current, changes.to_set)
            self.ws.delete_tags(current, list(changes.to_delete))
        return current

    def _delete_strays(self, ev: ResourceEvent) -> None:
        """A Create whose answer named nothing (it failed, or Lambda timed it out) may have made one anyway.

        Only what carries this request's full ownership tag is deleted: never another resource's, nor one
        this resource made for other properties and the stack retained.
        """
        try:
            request = self.read(ev.properties, check=False)
        except d.InvalidRequestError:
            log.info("%r names nothing and its properties can't be read: nothing was made", ev.physical_id)
            return
        strays = self._mine(request, d.Ownership.of(ev.stack_id, ev.logical_id, request))
        if not strays:
            log.info("%r names nothing, and nothing was made for this request", ev.physical_id)
        for stray in strays:
            log.warning("deleting %s %s, made by a Create that could not say so", self.KIND.noun, stray)
            self.remove(stray)

    def _discard(self, ev: ResourceEvent, resource_id: str) -> None:
        # Only what this invocation made or adopted: never, say, a source image answered as is.
        if resource_id != self.made:
            return
        self.scheduler.stop(ev.stack_id, ev.logical_id)
        try:
            self.remove(resource_id)
        except WorkSpacesError:
            log.exception("could not delete %s after the failed update", resource_id)

    def _owner_tag(self, resource_id: str) -> str | None:
        if not resource_id.startswith(self.KIND.prefix):
            return None
        return (self.ws.tags(resource_id) or {}).get(rules.OWNER_TAG_KEY)
