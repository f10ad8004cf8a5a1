"""The provider's record: what it made for each custom resource of its stack, kept in the stack's own table.

A tag proves nothing about who made a resource: CreateTags takes no ``aws:ResourceTag`` condition, so anyone
allowed ``workspaces:CreateTags`` can write any value on any image or bundle (Service Authorization Reference,
Amazon WorkSpaces: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonworkspaces.html).
So the provider writes down what it makes, when it makes it, and deletes, unshares, re-points and restores only
what its record holds for the logical id at hand; the ownership tag stays as a second guard and for people.

Each entry is an item of the watch table (watch.py): ``LogicalId`` the custom resource's logical id,
``PhysicalId`` ``record:<key>``, ``Record`` the entry as JSON. The table's resource policy lets only the provider's
role read or write items (docs/design.md). Keys:

- ``made:<digest of the RequestId>``: what one CloudFormation request made. Claimed (with a conditional write)
  before the create call and completed with the resource's id after it, so that a retry of that request finds
  what it made with one Query of its logical id, and two deliveries never both create.
- ``adopted:<resource id>``: a resource an earlier version of the provider made (known by its tag only), taken into
  the record on the first request CloudFormation confirms that names it as the resource it holds.
- ``applied:<bundle id>``: a bundle apply_to_bundle re-pointed, with the image it had before.
- ``answered:<digest of the RequestId>``: what a request answered that it did not make (the source image, used as
  is): never deleted, but its replacement is known, so that the cleanup CloudFormation runs next is confirmed.

Each entry also says which physical id its Update replaced: the provider confirms an update's cleanup Delete (and a
rollback's) only for the one id that replacement joined to the one CloudFormation holds (trust.py).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from . import contract
from .errors import ProviderError
from .kernel import digest

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

log = logging.getLogger(__name__)

PREFIX = "record:"
ATTRIBUTE = "Record"
MADE, ADOPTED, APPLIED, ANSWERED = "made", "adopted", "applied", "answered"


@dataclass(frozen=True)
class Entry:
    """One thing the provider made (or re-pointed) for a custom resource."""

    key: str
    # The image or bundle; empty while a claim's create call has not answered yet.
    resource_id: str = ""
    # What CloudFormation was (or will be) answered as PhysicalResourceId for it.
    physical_id: str = ""
    # The digest of the replacing properties it was made for: a rollback returning to them adopts it.
    request_key: str = ""
    # The ownership tag (or apply_to_bundle's marker) it was made with.
    tag: str = ""
    # The Region it is in; empty: the provider's own.
    region: str = ""
    # A claim: until when the invocation that claimed it may still be making it.
    claimed_until: float = 0.0
    # The accounts this resource granted permission to copy it (written before each grant).
    shared_with: tuple[str, ...] = ()
    # apply_to_bundle: the image the bundle had before.
    previous_image_id: str = ""
    # The physical id CloudFormation held for the logical id when an Update made this one to replace it.
    replaced: str = ""

    @property
    def kind(self) -> str:
        return self.key.partition(":")[0]

    @property
    def made(self) -> bool:
        """A resource the provider made or adopted (not a re-pointed bundle), whose id is known."""
        return self.kind in (MADE, ADOPTED) and bool(self.resource_id)

    def to_item(self, logical_id: str) -> dict[str, Any]:
        body = {k: v for k, v in dataclasses.asdict(self).items() if v not in ("", 0.0, ())}
        return {**_key(logical_id, self.key), ATTRIBUTE: {"S": json.dumps(body, separators=(",", ":"))}}

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Entry:
        """Raises ValueError for an item this version cannot read."""
        try:
            saved = json.loads(item[ATTRIBUTE]["S"])
            known = {f.name for f in dataclasses.fields(cls)}
            values = {k: v for k, v in saved.items() if k in known}
            values["shared_with"] = tuple(values.get("shared_with", ()))
            return cls(**values)
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"unreadable record item {item.get(contract.WATCH_TABLE_SORT_KEY)}: {error}") from None


def made_key(request_id: str) -> str:
    return f"{MADE}:{digest(request_id)}"


def adopted_key(resource_id: str) -> str:
    return f"{ADOPTED}:{resource_id}"


def applied_key(bundle_id: str) -> str:
    return f"{APPLIED}:{bundle_id}"


def answered_key(request_id: str) -> str:
    return f"{ANSWERED}:{digest(request_id)}"


def is_record(item: Mapping[str, Any]) -> bool:
    """Is this item of the table a record entry (and not a wait)?"""
    return str((item.get(contract.WATCH_TABLE_SORT_KEY) or {}).get("S", "")).startswith(PREFIX)


@dataclass
class RecordSet:
    """The entries of one logical id, as read at the start of the invocation and kept current by its writes."""

    entries: dict[str, Entry] = field(default_factory=dict)

    def get(self, key: str) -> Entry | None:
        return self.entries.get(key)

    def made(self, region: str | None = None) -> list[Entry]:
        """What was made (or adopted) with a known id; in `region` only, when given."""
        return [e for e in self.entries.values() if e.made and (region is None or e.region == region)]

    def holding(self, resource_id: str) -> Entry | None:
        """The entry of a made resource with this id, if the record holds one."""
        return next((e for e in self.made() if e.resource_id == resource_id), None)

    def replacements(self) -> set[tuple[str, str]]:
        """(the physical id an Update answered, the one it replaced), for every replacement the record knows."""
        return {(e.physical_id or e.resource_id, e.replaced) for e in self.entries.values() if e.replaced}


class Records:
    """The record of one stack: reads by logical id (one Query each, kept for the invocation), writes item by item."""

    def __init__(self, dynamodb: DynamoDBClient, table: str) -> None:
        self.dynamodb = dynamodb
        self.table = table
        self._read: dict[str, RecordSet] = {}

    def of(self, logical_id: str) -> RecordSet:
        """The entries of `logical_id`, read consistently. Raises ProviderError when the table can't be read."""
        if logical_id not in self._read:
            self._read[logical_id] = RecordSet({e.key: e for e in self._query(logical_id)})
        return self._read[logical_id]

    def claim(self, logical_id: str, entry: Entry) -> bool:
        """Write `entry` only if no entry has its key yet; False when another delivery wrote it first."""
        try:
            self.dynamodb.put_item(
                TableName=self.table,
                Item=entry.to_item(logical_id),
                ConditionExpression="attribute_not_exists(#k)",
                ExpressionAttributeNames={"#k": contract.WATCH_TABLE_SORT_KEY},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                self._read.pop(logical_id, None)
                return False
            raise _failed("PutItem", self.table, error) from error
        self.of(logical_id).entries[entry.key] = entry
        return True

    def put(self, logical_id: str, entry: Entry) -> None:
        """Write `entry` (a new one, or a new version of one already there)."""
        try:
            self.dynamodb.put_item(TableName=self.table, Item=entry.to_item(logical_id))
        except ClientError as error:
            raise _failed("PutItem", self.table, error) from error
        self.of(logical_id).entries[entry.key] = entry

    def drop(self, logical_id: str, entry: Entry) -> None:
        """Forget `entry`: what it recorded is gone."""
        try:
            self.dynamodb.delete_item(TableName=self.table, Key=_key(logical_id, entry.key))
        except ClientError as error:
            raise _failed("DeleteItem", self.table, error) from error
        self.of(logical_id).entries.pop(entry.key, None)

    def _query(self, logical_id: str) -> Iterable[Entry]:
        params: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "#pk = :pk AND begins_with(#sk, :prefix)",
            "ExpressionAttributeNames": {"#pk": contract.WATCH_TABLE_KEY, "#sk": contract.WATCH_TABLE_SORT_KEY},
            "ExpressionAttributeValues": {":pk": {"S": logical_id}, ":prefix": {"S": PREFIX}},
            "ConsistentRead": True,
        }
        entries: list[Entry] = []
        try:
            for page in self.dynamodb.get_paginator("query").paginate(**params):
                for item in page.get("Items", []):
                    try:
                        entries.append(Entry.from_item(item))
                    except ValueError as error:
                        # Kept, not deleted: an entry a newer version wrote still holds what that version made.
                        log.warning("%s; left as it is", error)
        except ClientError as error:
            raise _failed("Query", self.table, error) from error
        return entries


def shared_union(entry: Entry, accounts: Sequence[str]) -> Entry:
    return dataclasses.replace(entry, shared_with=tuple(dict.fromkeys([*entry.shared_with, *accounts])))


def shared_without(entry: Entry, accounts: Sequence[str]) -> Entry:
    return dataclasses.replace(entry, shared_with=tuple(a for a in entry.shared_with if a not in accounts))


def _key(logical_id: str, key: str) -> dict[str, Any]:
    return {contract.WATCH_TABLE_KEY: {"S": logical_id}, contract.WATCH_TABLE_SORT_KEY: {"S": PREFIX + key}}


def _failed(action: str, table: str, error: ClientError) -> ProviderError:
    said = error.response.get("Error", {})
    return ProviderError(
        f"{action} on the provider's table {table} failed, so nothing more was done: check that the stack's table "
        f"exists and the provider role may use it ({said.get('Code', 'unknown')}: {said.get('Message', '')})"
    )
