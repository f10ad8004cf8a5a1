"""The lifecycle of Custom::UpdatedWorkspaceImage: only what sets images apart from the shared lifecycle."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import decisions as d
from cfn import ResourceEvent
from lifecycle import Answer, OwnedLifecycle
from watch import Watch

log = logging.getLogger(__name__)


class ImageLifecycle(OwnedLifecycle[d.ImageRequest]):
    RESOURCE_TYPE = "Custom::UpdatedWorkspaceImage"
    KIND = d.IMAGE
    WATCHED = d.IMAGE
    ATTRIBUTE = "ImageId"

    # ------------------------------------------------------------ events

    def create(self, ev: ResourceEvent, function_arn: str) -> Answer:
        request = self.read(ev.properties)
        image_id = self._obtain(ev, request)
        return self._await(ev, request, image_id, function_arn, deferred=False)

    def update(self, ev: ResourceEvent, function_arn: str) -> Answer:
        new = self.read(ev.properties)
        old = self.read(ev.old_properties, check=False)
        plan = d.plan_update(old, new)
        if plan.replace:
            return self._replace(
                ev, new, lambda made: self._await(ev, new, made, function_arn, deferred=plan.defer_answer)
            )
        current = self._retag(ev, new, plan.tags)
        if plan.resignal:
            return self._await(ev, new, current, function_arn, deferred=False)
        return self._answer(current)

    # ------------------------------------------------------------ what images do their own way

    def read(self, properties: Mapping[str, Any], *, check: bool = True) -> d.ImageRequest:
        return d.parse_request(properties, check=check)

    def candidates(self, request: d.ImageRequest) -> Sequence[str]:
        return [i.image_id for i in self.ws.owned_images_named(request.name)]

    def instead_of_making(self, request: d.ImageRequest) -> str | None:
        """The pre-flight check on the source image."""
        decision = d.decide_source(request, self.ws.describe_image(request.source_image_id))
        if decision.action == "fail":
            raise d.InvalidRequestError(decision.reason)
        if decision.action == "use_source":
            log.info(decision.reason)
            return request.source_image_id
        return None

    def make(self, request: d.ImageRequest, tags: Mapping[str, str]) -> str:
        return self.ws.create_updated_image(request.source_image_id, request.name, request.description, tags)

    def remove(self, resource_id: str) -> None:
        self.ws.delete_image(resource_id)

    def look(self, resource_id: str) -> d.Image | None:
        return self.ws.describe_image(resource_id)

    def _await(
        self, ev: ResourceEvent, request: d.ImageRequest, image_id: str, function_arn: str, *, deferred: bool
    ) -> Answer:
        """Tell whoever waits as soon as the image is AVAILABLE: now if it is, else from the watch."""
        now = self.clock()
        image = self.look(image_id)
        deadline = d.deadline_for(image, request, now, deferred=deferred)
        answer = self._answer(image_id)
        if deferred:
            return self._respond_when_ready(
                ev,
                image_id,
                image,
                deadline,
                answer,
                function_arn,
                undo_on_failure=image_id != request.source_image_id,
            )
        if not request.wait_handle:
            return answer
        watch = Watch(self.RESOURCE_TYPE, image_id, deadline, "signal", request.wait_handle, ev.stack_id, ev.logical_id)
        outcome = d.watch_outcome(image_id, image, now, deadline)
        if outcome.done:
            self._finish(watch, outcome)
        else:
            self.scheduler.start(watch, function_arn)
        return answer
