"""The lifecycle of Custom::UpdatedWorkspaceImage: the calls, in the order the decisions ask for."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import decisions as d
import rules
from cfn import ResourceEvent, Sender, response_body, signal_body
from watch import GIVE_UP_AFTER_DEADLINE_SECONDS, Scheduler, Watch
from workspaces import WorkSpaces, WorkSpacesError

log = logging.getLogger(__name__)


@dataclass
class Answer:
    """What the handler tells CloudFormation now, if anything."""

    physical_id: str
    data: dict[str, str]
    deferred: bool = False


class ImageLifecycle:
    RESOURCE_TYPE = "Custom::UpdatedWorkspaceImage"

    def __init__(self, ws: WorkSpaces, scheduler: Scheduler, send: Sender, clock: Callable[[], float]) -> None:
        self.ws = ws
        self.scheduler = scheduler
        self.send = send
        self.clock = clock
        # The image made by this invocation, so that a failure answered later still names it (crhelper #7).
        self.made: str | None = None

    # ------------------------------------------------------------ events

    def create(self, ev: ResourceEvent, function_arn: str) -> Answer:
        request = d.parse_request(ev.properties)
        image_id = self._obtain(ev, request)
        return self._await(ev, request, image_id, function_arn, deferred=False)

    def update(self, ev: ResourceEvent, function_arn: str) -> Answer:
        new = d.parse_request(ev.properties)
        old = d.parse_request(ev.old_properties, check=False)
        plan = d.plan_update(old, new)
        if plan.replace:
            image_id = self._obtain(ev, new)
            try:
                return self._await(ev, new, image_id, function_arn, deferred=plan.defer_answer)
            except Exception:
                # CloudFormation keeps the old image after a failed update and forgets the new one.
                self._discard(ev, new, image_id)
                raise
        current = ev.physical_id or ""
        ownership = d.Ownership.of(ev.stack_id, ev.logical_id, new)
        if (plan.tags_to_set or plan.tags_to_delete) and ownership.made(self._owner_tag(current)):
            self.ws.set_tags(current, plan.tags_to_set)
            self.ws.delete_tags(current, list(plan.tags_to_delete))
        if plan.resignal:
            return self._await(ev, new, current, function_arn, deferred=False)
        return Answer(current, {"ImageId": current})

    def delete(self, ev: ResourceEvent) -> None:
        # Whatever happens next, no watch of this resource may outlive it.
        self.scheduler.stop(ev.stack_id, ev.logical_id)
        physical = ev.physical_id or ""
        key = d.resource_key(ev.stack_id, ev.logical_id)
        plan = d.plan_delete(physical, self._owner_tag(physical) if physical.startswith("wsi-") else None, key)
        log.info(plan.why)
        if plan.delete:
            self.ws.delete_image(physical)

    def tick(self, watch: Watch) -> None:
        """One look at a watched image: finish the wait when it is over, else do nothing."""
        now = self.clock()
        image = self.ws.describe_image(watch.image_id)
        outcome = d.watch_outcome(watch.image_id, image, now, watch.deadline)
        if not outcome.done:
            log.info("image %s is %s; still waiting", watch.image_id, image.state if image else "?")
            return
        try:
            self._finish(watch, outcome)
        except Exception:
            if now < watch.deadline + GIVE_UP_AFTER_DEADLINE_SECONDS:
                raise  # the rule stays, so the next tick tries again
            log.exception("giving up on answering for %s; removing the watch", watch.image_id)
        self.scheduler.stop(watch.stack_id, watch.logical_id)

    # ------------------------------------------------------------ steps

    def _obtain(self, ev: ResourceEvent, request: d.ImageRequest) -> str:
        """Create the image, or adopt the one a previous delivery of this request made."""
        ownership = d.Ownership.of(ev.stack_id, ev.logical_id, request)
        adopted = self._adopt(request, ownership)
        if adopted:
            log.info("adopting image %s, made by an earlier delivery of this request", adopted)
            self.made = adopted
            return adopted
        decision = d.decide_source(request, self.ws.describe_image(request.source_image_id))
        if decision.action == "fail":
            raise d.InvalidRequestError(decision.reason)
        if decision.action == "use_source":
            log.info(decision.reason)
            return request.source_image_id
        tags = {**request.tags, rules.OWNER_TAG_KEY: ownership.tag_value}
        try:
            image_id = self.ws.create_updated_image(request.source_image_id, request.name, request.description, tags)
        except WorkSpacesError as error:
            if error.code != "ResourceAlreadyExistsException":
                raise
            # Another delivery of this very request may have won the race for the name.
            adopted = self._adopt(request, ownership)
            if not adopted:
                holders = [
                    i.image_id
                    for i in self.ws.owned_images_named(request.name)
                    if ownership.made((self.ws.tags(i.image_id) or {}).get(rules.OWNER_TAG_KEY))
                ]
                raise WorkSpacesError(error.code, d.name_taken_reason(request.name, holders)) from error
            image_id = adopted
        self.made = image_id
        log.info("created image %s from %s", image_id, request.source_image_id)
        # Should the service allow duplicate names (undocumented), two racing
        # deliveries both create; both keep the same one and delete the other.
        self.made = self._adopt(request, ownership) or image_id
        return self.made

    def _adopt(self, request: d.ImageRequest, ownership: d.Ownership) -> str | None:
        candidates = self.ws.owned_images_named(request.name)
        mine = [
            i.image_id
            for i in candidates
            if (self.ws.tags(i.image_id) or {}).get(rules.OWNER_TAG_KEY) == ownership.tag_value
        ]
        adoption = d.choose_adoption(mine)
        for extra in adoption.extras:
            log.warning("deleting duplicate image %s of this request (kept %s)", extra, adoption.keep)
            self.ws.delete_image(extra)
        return adoption.keep

    def _await(
        self, ev: ResourceEvent, request: d.ImageRequest, image_id: str, function_arn: str, *, deferred: bool
    ) -> Answer:
        """Tell whoever waits as soon as the image is AVAILABLE: now if it is, else from the watch."""
        now = self.clock()
        image = self.ws.describe_image(image_id)
        deadline = d.deadline_for(image, request, now, deferred=deferred)
        outcome = d.watch_outcome(image_id, image, now, deadline)
        answer = Answer(image_id, {"ImageId": image_id})
        if deferred:
            if outcome.done and not outcome.success:
                raise WorkSpacesError("ImageNotAvailable", outcome.reason)
            if outcome.done:
                return answer
            watch = Watch(
                image_id,
                deadline,
                "respond",
                ev.response_url,
                ev.stack_id,
                ev.logical_id,
                ev.request_id,
                delete_on_failure=image_id != request.source_image_id,
            )
            self.scheduler.start(watch, function_arn)
            answer.deferred = True
            return answer
        if not request.wait_handle:
            return answer
        watch = Watch(image_id, deadline, "signal", request.wait_handle, ev.stack_id, ev.logical_id)
        if outcome.done:
            self._finish(watch, outcome)
        else:
            self.scheduler.start(watch, function_arn)
        return answer

    def _finish(self, watch: Watch, outcome: d.Outcome) -> None:
        if watch.mode == "signal":
            self.send(watch.url, signal_body(success=outcome.success, reason=outcome.reason, image_id=watch.image_id))
            return
        reason = outcome.reason
        if not outcome.success and watch.delete_on_failure:
            reason += self._cleanup_note(watch.image_id)
        self.send(
            watch.url,
            response_body(
                status="SUCCESS" if outcome.success else "FAILED",
                reason=reason,
                physical_id=watch.image_id,
                stack_id=watch.stack_id,
                request_id=watch.request_id,
                logical_id=watch.logical_id,
                data={"ImageId": watch.image_id},
            ),
        )

    def _cleanup_note(self, image_id: str) -> str:
        try:
            self.ws.delete_image(image_id)
        except WorkSpacesError as error:
            return f"; the new image could not be deleted, delete it yourself: {error}"
        return f"; the new image {image_id} was deleted"

    def _discard(self, ev: ResourceEvent, request: d.ImageRequest, image_id: str) -> None:
        if image_id == request.source_image_id:
            return
        self.scheduler.stop(ev.stack_id, ev.logical_id)
        try:
            self.ws.delete_image(image_id)
        except WorkSpacesError:
            log.exception("could not delete %s after the failed update", image_id)

    def _owner_tag(self, image_id: str) -> str | None:
        if not image_id.startswith("wsi-"):
            return None
        return (self.ws.tags(image_id) or {}).get(rules.OWNER_TAG_KEY)
