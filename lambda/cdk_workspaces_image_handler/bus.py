"""What the provider and the update monitor tell the account: events on its default EventBridge bus, or on the bus
the template names (contract.ENV_EVENT_BUS).

WorkSpaces sends no image events to EventBridge, so a user who wants to hear that an image is ready, has
failed, or has an update available hears it from here. Every event has the source contract.EVENT_SOURCE and
one of contract.DetailTypes; the roles may put no other source (an IAM condition on events:source).

An event is news, never part of the deployment: a PutEvents that fails is logged and the request goes on
as if it had worked, so a missing permission or a throttled bus never fails a deploy or loses an image.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from . import contract

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_events.type_defs import PutEventsRequestEntryTypeDef

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """One event as a rule sees it: its DetailType and Detail (the source is always contract.EVENT_SOURCE)."""

    detail_type: str
    detail: Mapping[str, Any] = field(default_factory=dict)

    def entry(self, bus_name: str | None = None) -> PutEventsRequestEntryTypeDef:
        """The PutEvents entry (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsRequestEntry.html):
        on the bus named, or, with EventBusName left out, on the default bus."""
        entry: PutEventsRequestEntryTypeDef = {
            "Source": contract.EVENT_SOURCE,
            "DetailType": self.detail_type,
            "Detail": json.dumps(self.detail, separators=(",", ":"), sort_keys=True),
        }
        if bus_name:
            entry["EventBusName"] = bus_name
        return entry


class Bus:
    """An event bus through a boto3 `events` client: the one named `name`, or the default bus."""

    def __init__(self, client: EventBridgeClient, name: str | None = None) -> None:
        self.events = client
        self.name = name or None

    @property
    def shown(self) -> str:
        return f"the event bus {self.name}" if self.name else "the default bus"

    def put(self, event: Event) -> bool:
        """Put one event; True when EventBridge took it. Raises nothing: see the module's docstring."""
        try:
            answer = self.events.put_events(Entries=[event.entry(self.name)])
        except (ClientError, BotoCoreError) as error:
            log.warning("the event %r could not be put on %s: %s", event.detail_type, self.shown, error)
            return False
        # PutEvents answers 200 even when an entry fails; the entry says why.
        failed = [e for e in answer.get("Entries", []) if e.get("ErrorCode")]
        if answer.get("FailedEntryCount") or failed:
            said = failed[0] if failed else {}
            log.warning(
                "the event %r was refused by %s: %s: %s",
                event.detail_type,
                self.shown,
                said.get("ErrorCode", "unknown"),
                said.get("ErrorMessage", ""),
            )
            return False
        log.info("put the event %r: %s", event.detail_type, event.entry()["Detail"])
        return True
