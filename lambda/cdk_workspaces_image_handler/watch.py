"""The watch: what the provider waits for, kept in its stack's DynamoDB table, looked at by one rule per stack.

crhelper's own polling is not used: it answers the custom resource only at the end, which cannot outlast the
one-hour ServiceTimeout, and it keeps the whole event, ResponseURL included, in the rule's Input. Where the
state lives decides what an attacker can do, so:

- **The table, not the rule's Input.** A watch must remember a presigned URL (the wait condition handle, or
  the custom resource's ResponseURL): a credential. A target's Input is readable by anyone allowed
  events:ListTargetsByRule; the table's resource policy denies reading and writing its items to every principal
  but the provider's role, whatever DynamoDB rights the account grants; it is encrypted at rest, and an item is
  deleted when its wait ends.
- **A tick trusts nothing in its event.** The rule's Input is a constant (contract.TICK_INPUT). Anyone who can
  invoke the function can send an event shaped like a tick; what the tick looks at, whom it tells and what it
  may undo come from the table only, so a crafted event at worst causes a look.
- **One rule per stack.** Each tick reads every pending watch and describes up to 25 images (or bundles) per
  call: one invocation and one call a minute for 25 images, not 25 of each.
- **Resources of the stack.** The table and the rule are in the template, named per stack (the rule after the
  stack id's GUID), so two stacks never share them, and deleting the stack removes both whatever the images'
  removal policy. The rule is disabled while nothing is pending.
- A deadline in every watch, so waiting always ends (crhelper #5).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from botocore.exceptions import ClientError

from . import contract
from .errors import ProviderError
from .record import is_record

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient

log = logging.getLogger(__name__)

# A watch whose answer CloudFormation no longer accepts gives up this long past its deadline.
GIVE_UP_AFTER_DEADLINE_SECONDS = 3600
# DynamoDB's TTL removes an item the handler somehow never removed (it deletes expired items within a few
# days: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TTL.html). A day after giving up.
EXPIRES_AFTER_GIVING_UP_SECONDS = 86400

T = TypeVar("T")

# What versions before Watch.after kept at the top level of a watch, all of it an image's own, under the names the
# image type keeps in `after` (image.py, AfterWait).
_BEFORE_AFTER = ("announce", "replaced_id", "keep_previous", "share_with")


@dataclass(frozen=True)
class Watch:
    """One wait: what to look at, whom to tell, and what to undo. Written and read by the provider only."""

    # The custom resource type whose lifecycle the tick goes to, and the image or bundle it looks at.
    resource_type: str
    resource_id: str
    deadline: float
    # "signal": tell a wait condition; "respond": answer the custom resource itself; "delete": answer a Delete
    # once the resource has left PENDING and could be deleted.
    mode: Literal["signal", "respond", "delete"]
    url: str = field(repr=False)
    stack_id: str
    logical_id: str
    request_id: str = ""
    # With "respond": the answer to give. A tick is a new invocation that remembers nothing (crhelper #27 lost
    # its Data so).
    physical_id: str = ""
    data: Mapping[str, str] = field(default_factory=dict)
    # With "respond": undo what this request did if waiting fails, because the stack rolls back to the
    # previous resource and forgets the new one.
    undo_on_failure: bool = False
    # What the resource type keeps for the end of the wait (its `complete` and `ended`): a JSON-able dict the type
    # writes and reads; the shared layers never look inside it.
    after: Mapping[str, Any] = field(default_factory=dict)
    # The Region the resource is in, when it is not the provider's own (a copy); empty: the provider's.
    region: str = ""
    # The service's own progress last seen (an import's state, message and percentage, as a reason quotes it): kept
    # so that a wait that ends without one to read (the resource gone) still says how far it got.
    progress: str = ""

    @property
    def answer_id(self) -> str:
        return self.physical_id or self.resource_id

    def to_item(self) -> dict[str, Any]:
        expires = int(self.deadline + GIVE_UP_AFTER_DEADLINE_SECONDS + EXPIRES_AFTER_GIVING_UP_SECONDS)
        return {
            **_key(self.logical_id, self.answer_id),
            "Watch": {"S": json.dumps(asdict(self), separators=(",", ":"))},
            contract.WATCH_TABLE_TTL: {"N": str(expires)},
        }

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Watch:
        """Raises ValueError for an item this version cannot read."""
        try:
            saved = json.loads(item["Watch"]["S"])
            if "after" not in saved:
                # Written by a version before `after`: a wait pending across a provider upgrade keeps what it was told.
                saved["after"] = {k: saved.pop(k) for k in _BEFORE_AFTER if k in saved}
            known = {f.name for f in dataclasses.fields(cls)}
            return cls(**{k: v for k, v in saved.items() if k in known})
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"unreadable watch item {item.get(contract.WATCH_TABLE_KEY)}: {error}") from None


class Watches:
    """The pending watches of one stack: items of its table, and its rule, enabled while any is pending."""

    def __init__(self, dynamodb: DynamoDBClient, table: str, events: EventBridgeClient, rule: str) -> None:
        self.dynamodb = dynamodb
        self.table = table
        self.events = events
        self.rule = rule

    def start(self, watch: Watch) -> None:
        """Start (or, on a repeated request, replace) the watch of this resource: idempotent."""
        self._call("PutItem", self.dynamodb.put_item, TableName=self.table, Item=watch.to_item())
        self._call("EnableRule", self.events.enable_rule, Name=self.rule)
        log.info("watching %s of %s until %.0f", watch.resource_id, watch.logical_id, watch.deadline)

    def keep(self, watch: Watch) -> bool:
        """Write a new version of a watch that is still pending; False when it was stopped meanwhile, which a plain
        write would bring back."""
        try:
            self.dynamodb.put_item(
                TableName=self.table,
                Item=watch.to_item(),
                ConditionExpression="attribute_exists(#k)",
                ExpressionAttributeNames={"#k": contract.WATCH_TABLE_SORT_KEY},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise self._failed("PutItem", error) from error
        return True

    def stop(self, logical_id: str, *, of: str | None = None) -> None:
        """End the waits of this custom resource; with `of`, only its wait for that physical resource. The rule
        is disabled by the tick that finds no wait left.

        A Delete passes `of`: the cleanup Delete of a replaced resource carries the same logical id as the
        resource that replaced it (or that a rollback returned to), whose wait must go on."""
        ids = [of] if of is not None else [w.answer_id for w in self.pending() if w.logical_id == logical_id]
        for physical_id in ids:
            key = _key(logical_id, physical_id)
            self._call("DeleteItem", self.dynamodb.delete_item, TableName=self.table, Key=key)

    def pending(self) -> list[Watch]:
        """Every watch of the stack, read consistently, so a watch started a moment ago is among them."""
        pages = self.dynamodb.get_paginator("scan").paginate(TableName=self.table, ConsistentRead=True)
        items: list[Mapping[str, Any]] = self._call(
            "Scan", lambda: [i for page in pages for i in page.get("Items", [])]
        )
        watches = []
        for item in items:
            if is_record(item):
                continue  # the provider's record of what it made (record.py) shares the table
            try:
                watches.append(Watch.from_item(item))
            except ValueError as error:
                log.warning("%s; removing it", error)
                self._call("DeleteItem", self.dynamodb.delete_item, TableName=self.table, Key=_key_of(item))
        return watches

    def idle(self) -> None:
        """Nothing is pending: stop the ticks. A watch started meanwhile enables the rule again, and so does
        this method if one was started between its read and the disable."""
        self._call("DisableRule", self.events.disable_rule, Name=self.rule)
        if self.pending():
            self._call("EnableRule", self.events.enable_rule, Name=self.rule)
        else:
            log.info("nothing to watch; rule %s disabled", self.rule)

    def _call(self, action: str, call: Callable[..., T], **params: Any) -> T:
        try:
            return call(**params)
        except ClientError as error:
            raise self._failed(action, error) from error

    def _failed(self, action: str, error: ClientError) -> ProviderError:
        said = error.response.get("Error", {})
        where = f"the watch rule {self.rule}" if "Rule" in action else f"the watch table {self.table}"
        return ProviderError(
            f"{action} on {where} failed, so nothing would look at the image or bundle until the timeout; "
            f"check that the stack's watch table and rule exist and the provider role may use them "
            f"({said.get('Code', 'unknown')}: {said.get('Message', '')})"
        )


def _key(logical_id: str, physical_id: str) -> dict[str, Any]:
    return {contract.WATCH_TABLE_KEY: {"S": logical_id}, contract.WATCH_TABLE_SORT_KEY: {"S": physical_id}}


def _key_of(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: item[k] for k in (contract.WATCH_TABLE_KEY, contract.WATCH_TABLE_SORT_KEY)}
