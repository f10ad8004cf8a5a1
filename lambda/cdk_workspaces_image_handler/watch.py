"""The watch: an EventBridge schedule that looks at one image or bundle until waiting is over.

crhelper's own polling is not used: it answers the custom resource only at the
end, which cannot outlast the one-hour ServiceTimeout, and it has pitfalls
reported in its issue tracker (github.com/aws-cloudformation/custom-resource-helper).
This watch keeps what those pitfalls taught:

- one rule per custom resource, named from a hash, so the name never passes
  EventBridge's 64 characters whatever the logical id (crhelper #61);
- a small Input of fixed shape instead of the whole event, far below
  EventBridge's 8192 characters (checked, not assumed);
- a deadline in the Input, so the watch always ends (crhelper #5);
- one static Lambda permission for the rule prefix in the template instead of
  one AddPermission per rule, so no permission is ever left behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from .errors import ProviderError

log = logging.getLogger(__name__)

WATCH_KEY = "CdkWorkspacesImageWatch"
TARGET_ID = "watch"
MAX_INPUT_CHARS = 8192  # EventBridge target Input
MAX_RULE_NAME = 64
# A watch whose answer CloudFormation no longer accepts gives up this long past its deadline.
GIVE_UP_AFTER_DEADLINE_SECONDS = 3600


@dataclass(frozen=True)
class Watch:
    """Everything one tick needs, carried in the rule's Input."""

    # The custom resource type whose lifecycle the tick goes to, and the image or bundle it looks at.
    resource_type: str
    resource_id: str
    deadline: float
    # "signal": tell a wait condition; "respond": answer the custom resource itself.
    mode: Literal["signal", "respond"]
    url: str = field(repr=False)
    stack_id: str
    logical_id: str
    request_id: str = ""
    # With "respond": the answer to give. It travels in the Input because a tick
    # is a new invocation that remembers nothing (crhelper #27 lost its Data so).
    physical_id: str = ""
    data: Mapping[str, str] = field(default_factory=dict)
    # With "respond": undo what this request did if waiting fails, because the
    # stack rolls back to the previous resource and forgets the new one.
    undo_on_failure: bool = False

    @property
    def answer_id(self) -> str:
        return self.physical_id or self.resource_id

    def to_input(self) -> str:
        text = json.dumps({WATCH_KEY: asdict(self)}, separators=(",", ":"))
        if len(text) > MAX_INPUT_CHARS:
            raise ValueError(f"watch input is {len(text)} characters; EventBridge allows {MAX_INPUT_CHARS}")
        return text

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> Watch:
        return cls(**event[WATCH_KEY])


def rule_name(prefix: str, stack_id: str, logical_id: str) -> str:
    name = prefix + hashlib.sha256(f"{stack_id}|{logical_id}".encode()).hexdigest()[:24]
    return name[:MAX_RULE_NAME]


class Scheduler:
    """Creates and removes the watch rules of one provider function."""

    def __init__(self, events_client: Any, prefix: str, function_arn: str, minutes: int = 1) -> None:
        self.events = events_client
        self.prefix = prefix
        # The function the rules invoke: this very function, as Lambda named it to this invocation.
        self.function_arn = function_arn
        self.minutes = minutes

    def start(self, watch: Watch) -> str:
        """Start (or, on a repeated request, replace) the watch of this resource: idempotent."""
        if not self.function_arn:
            raise RuntimeError("a watch can only be started by an invocation that knows its function ARN")
        name = rule_name(self.prefix, watch.stack_id, watch.logical_id)
        unit = "minute" if self.minutes == 1 else "minutes"
        self.events.put_rule(
            Name=name,
            ScheduleExpression=f"rate({self.minutes} {unit})",
            State="ENABLED",
            Description=f"cdk-workspaces-image: waits for {watch.resource_id} to be AVAILABLE",
        )
        target = {"Id": TARGET_ID, "Arn": self.function_arn, "Input": watch.to_input()}
        answer = self.events.put_targets(Rule=name, Targets=[target])
        _require_every_entry(answer, "PutTargets", name, "nothing would look at the resource until the timeout")
        log.info("watching %s with rule %s until %.0f", watch.resource_id, name, watch.deadline)
        return name

    def stop(self, stack_id: str, logical_id: str) -> None:
        """Remove the watch of this resource if there is one: target, then rule."""
        name = rule_name(self.prefix, stack_id, logical_id)
        # Not found: never started, or already removed by an earlier tick.
        with contextlib.suppress(self.events.exceptions.ResourceNotFoundException):
            answer = self.events.remove_targets(Rule=name, Ids=[TARGET_ID])
            _require_every_entry(answer, "RemoveTargets", name, "the rule would go on invoking the function")
        with contextlib.suppress(self.events.exceptions.ResourceNotFoundException):
            self.events.delete_rule(Name=name)
        log.info("removed watch rule %s", name)


def _require_every_entry(answer: Mapping[str, Any], action: str, rule: str, consequence: str) -> None:
    """PutTargets and RemoveTargets report a target they could not handle in the answer, not as an error:
    https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutTargets.html"""
    if not answer.get("FailedEntryCount"):
        return
    said = "; ".join(
        f"{entry.get('ErrorCode', 'unknown')}: {entry.get('ErrorMessage', '')}"
        for entry in answer.get("FailedEntries", [])
    )
    raise ProviderError(
        f"EventBridge {action} failed for the watch rule {rule}, so {consequence}; "
        f"check the provider role's events permissions and deploy again ({said})"
    )
