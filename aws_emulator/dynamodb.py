"""An in-memory Amazon DynamoDB: simple-key tables, their items in wire format, Scan and Query, and tables'
resource-based policies, on a virtual clock.

Shapes are botocore's `dynamodb` 2012-08-10 model (AWS JSON 1.0). Each behaviour names its
source: a page of the DynamoDB API reference
(https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_<Operation>.html) or of
the Developer Guide (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/);
"undocumented" marks a choice made here, usually the one a careless caller would notice, or
an option so tests can cover both outcomes. Error messages imitate the service's wording,
which the API reference does not document: callers should act on codes, not words.

Not modelled, and refused with a ValidationException naming the parameter rather than
silently ignored: secondary indexes, streams (and their policies), projections, filters, parallel scans,
legacy parameters (Expected, AttributesToGet, ScanFilter, KeyConditions, QueryFilter), consumed capacity,
every ConditionExpression but `attribute_exists(name)` / `attribute_not_exists(name)`, and every
KeyConditionExpression but the partition key's equality, optionally AND one comparison of the sort key (=, <,
<=, >, >=, BETWEEN, begins_with), in that order.
Also not modelled: TTL expiry (items are never deleted for expiring; the service deletes
them "typically within two days", API_UpdateTimeToLive, and until then they "still show
up in reads, queries, and scans"), eventual consistency (every read sees the latest write,
ConsistentRead or not; a resource-based policy applies from the moment it is put or deleted), and throughput
limits (inject ProvisionedThroughputExceededException or ThrottlingException instead).

IAM is enforced for credentialed callers (`request_contexts`), and a table's resource-based policy
(CreateTable's ResourcePolicy, PutResourcePolicy) is evaluated with the caller's identity-based policies for every
request on the table or its indexes (`resource_policy`). Such a policy is checked when it is put: one the
evaluator (aws_emulator.iam) could not judge is refused. Its action names are not checked against DynamoDB's list,
nor its principals against the roles that exist.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Context, Decimal, InvalidOperation
from typing import Any, ClassVar

from aws_emulator.dynamodb_reserved import RESERVED_WORDS
from aws_emulator.iam import Decision, PolicyDocument, PolicyError, RequestContext, check_policy
from aws_emulator.service import Backend, Clock, Params, ServiceError, validation_message

# Developer Guide, "Service, account, and table quotas": an item is at most 400 KB, and a Scan
# reads at most 1 MB per call (API_Scan). Whether a KB is 1000 or 1024 bytes is undocumented:
# 1000 here, the stricter reading (larger items refused, shorter pages).
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html
MAX_ITEM_BYTES = 400_000
# Query reads at most 1 MB per call too (API_Query: "a maximum of 1 MB of data").
MAX_SCAN_PAGE_BYTES = 1_000_000
# API_PutResourcePolicy, Policy: "The maximum size supported for a resource-based policy document is 20 KB.
# DynamoDB counts whitespaces"; counted here in UTF-8 bytes, 1000 to the KB (undocumented: the stricter reading).
MAX_POLICY_BYTES = 20_000
# Developer Guide, "Resource-based policy considerations" (rbac-considerations.html): "Subsequent updates to a
# policy for a given resource are blocked for 15 seconds after a successful update of the policy".
POLICY_UPDATE_BLOCK_SECONDS = 15.0
# API_PutResourcePolicy, ExpectedRevisionId: "To conditionally attach a policy when no policy exists for the
# resource, specify NO_POLICY for the revision ID."
NO_POLICY = "NO_POLICY"
# Same page: 2,500 tables per account and Region (a default quota).
DEFAULT_TABLE_QUOTA = 2500
# API_UpdateTimeToLive: "It can take up to one hour for the change to fully process. Any
# additional UpdateTimeToLive calls for the same table during this one hour duration result
# in a ValidationException."
TTL_CHANGE_SECONDS = 3600.0
# Developer Guide, "Naming rules": table names are 3 to 255 of a-z, A-Z, 0-9, _ - .
# (the model's TableArn shape also allows ARNs, so the name rule is checked here).
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html
TABLE_NAME = re.compile(r"[a-zA-Z0-9_.\-]+")
# Same page, "Number": up to 38 significant digits, magnitudes 1E-130 to 9.99...E+125.
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
MAX_NUMBER_DIGITS = 38
_NUMBERS = Context(prec=MAX_NUMBER_DIGITS + 2)
TYPES = ("S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL")

# Developer Guide, "Condition expressions" and "Expression attribute names": a bare name, or a
# #placeholder from ExpressionAttributeNames. Document paths (a.b, a[0]) are not modelled.
_CONDITION = re.compile(r"\s*(attribute_exists|attribute_not_exists)\s*\(\s*(#?[A-Za-z0-9_]+)\s*\)\s*")
_BARE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# API_Query, KeyConditionExpression: "partitionKeyName = :partitionkeyval", optionally combined "using AND with the
# condition for the sort key": "sortKeyName = :sortkeyval" (or <, <=, >, >=), "sortKeyName BETWEEN :sortkeyval1 AND
# :sortkeyval2", "begins_with ( sortKeyName, :sortkeyval )" ("the function name begins_with is case-sensitive").
# Keywords are not (the reserved words page: "any case"). Whether the sort key's condition may come first, or
# parentheses be added, is undocumented: refused.
_NAME_TOKEN = r"#?[A-Za-z0-9_]+"
_VALUE_TOKEN = r":[A-Za-z0-9_]+"
_KEY_CONDITION = re.compile(
    rf"\s*(?P<name>{_NAME_TOKEN})\s*=\s*(?P<value>{_VALUE_TOKEN})(?:\s+(?i:AND)\s+(?P<sort>.*?))?\s*", re.DOTALL
)
_SORT_CONDITIONS = (
    re.compile(rf"(?P<op>begins_with)\s*\(\s*(?P<name>{_NAME_TOKEN})\s*,\s*(?P<value>{_VALUE_TOKEN})\s*\)"),
    re.compile(
        rf"(?P<name>{_NAME_TOKEN})\s+(?P<op>(?i:BETWEEN))\s+(?P<value>{_VALUE_TOKEN})\s+(?i:AND)\s+(?P<high>{_VALUE_TOKEN})"
    ),
    re.compile(rf"(?P<name>{_NAME_TOKEN})\s*(?P<op><=|>=|<|>|=)\s*(?P<value>{_VALUE_TOKEN})"),
)

KeyTuple = tuple[Any, ...]
KeyTest = Callable[[KeyTuple], bool]


def _sortable(key: KeyTuple) -> tuple[Any, ...]:
    """Key values in the order DynamoDB sorts them: numbers by value, strings by their UTF-8 bytes, binary by its
    unsigned bytes (API_Query, ScanIndexForward)."""
    return tuple(v.encode() if isinstance(v, str) else v for v in key)


def _arn_name(value: str) -> str:
    """API reference, TableName of every item operation: "You can also provide the Amazon Resource
    Name (ARN) of the table in this parameter." """
    marker = ":table/"
    return value.split(marker, 1)[1] if value.startswith("arn:") and marker in value else value


@dataclass
class Table:
    name: str
    arn: str
    table_id: str
    hash_key: str
    hash_type: str
    range_key: str | None
    range_type: str | None
    attribute_definitions: list[Params]
    billing_mode: str
    read_capacity: int
    write_capacity: int
    created: float
    ready_at: float
    deleted_at: float | None = None
    gone_at: float | None = None
    ttl_attribute: str | None = None
    ttl_enabled: bool = False
    ttl_changed_at: float | None = None
    items: dict[KeyTuple, Params] = field(default_factory=dict)
    # The resource-based policy as it was put (its text, which GetResourcePolicy answers), parsed, its revision,
    # and when it last changed (for the 15-second block).
    policy: str | None = None
    policy_document: PolicyDocument | None = None
    policy_revision: str | None = None
    policy_changed_at: float | None = None

    def status(self, now: float) -> str:
        if self.deleted_at is not None:
            return "DELETING"
        return "ACTIVE" if now >= self.ready_at else "CREATING"

    def key_schema(self) -> list[Params]:
        schema = [{"AttributeName": self.hash_key, "KeyType": "HASH"}]
        if self.range_key is not None:
            schema.append({"AttributeName": self.range_key, "KeyType": "RANGE"})
        return schema

    def key_names(self) -> dict[str, str]:
        names = {self.hash_key: self.hash_type}
        if self.range_key is not None and self.range_type is not None:
            names[self.range_key] = self.range_type
        return names

    def describe(self, now: float) -> Params:
        answer: Params = {
            "TableName": self.name,
            "TableArn": self.arn,
            "TableId": self.table_id,
            "TableStatus": self.status(now),
            "CreationDateTime": self.created,
            "KeySchema": self.key_schema(),
            "AttributeDefinitions": copy.deepcopy(self.attribute_definitions),
            # API_TableDescription: ItemCount and TableSizeBytes are "updated approximately every
            # six hours"; here they are always current.
            "ItemCount": len(self.items),
            "TableSizeBytes": sum(item_size(i) for i in self.items.values()),
            # NumberOfDecreasesToday is left out: the model gives it a minimum of 1, so 0 would break it.
            "ProvisionedThroughput": {
                "ReadCapacityUnits": self.read_capacity,
                "WriteCapacityUnits": self.write_capacity,
            },
            "DeletionProtectionEnabled": False,
        }
        if self.billing_mode == "PAY_PER_REQUEST":
            answer["BillingModeSummary"] = {
                "BillingMode": "PAY_PER_REQUEST",
                "LastUpdateToPayPerRequestDateTime": self.created,
            }
        return answer


# -- attribute values ---------------------------------------------------------------------


def _number(text: Any) -> Decimal:
    """A DynamoDB number, checked as the Developer Guide's "Number" data type describes."""
    if not isinstance(text, str) or not NUMBER.fullmatch(text.strip()):
        raise _invalid("A value provided cannot be converted into a number")
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise _invalid("A value provided cannot be converted into a number") from None
    if _significant_digits(value) > MAX_NUMBER_DIGITS:
        raise _invalid("Attempting to store more than 38 significant digits in a Number")
    if value and value.adjusted() > 125:
        raise _invalid("Number overflow. Attempting to store a number with magnitude larger than supported range")
    if value and value.adjusted() < -130:
        raise _invalid("Number underflow. Attempting to store a number with magnitude smaller than supported range")
    return value.normalize(_NUMBERS)


def _significant_digits(value: Decimal) -> int:
    if not value:
        return 1
    return len(value.normalize(Context(prec=1000)).as_tuple().digits)


def _binary(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    try:
        return base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        raise ServiceError("SerializationException", "Base64 encoded binary value is not valid") from None


def _invalid(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


def _only_type(value: Any) -> tuple[str, Any]:
    """API AttributeValue: "Each attribute value is described as a name-value pair": exactly one data type."""
    if not isinstance(value, Mapping):
        raise _invalid("Supplied AttributeValue is not a structure")
    present = [t for t in TYPES if value.get(t) is not None]
    if not present:
        raise _invalid("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
    if len(present) > 1 or len(value) > 1:
        raise _invalid(
            "Supplied AttributeValue has more than one datatypes set, "
            "must contain exactly one of the supported datatypes"
        )
    kind = present[0]
    return kind, value[kind]


def stored(value: Mapping[str, Any]) -> Params:
    """A checked value as the table keeps it: numbers without leading or trailing zeros ("Item sizes and
    formats": "Leading and trailing zeroes are trimmed"; that reads answer the trimmed form, "1.5" for
    "1.50", is undocumented, and the choice a caller comparing strings would notice)."""
    kind, payload = _only_type(value)
    if kind == "N":
        return {"N": _plain(payload)}
    if kind == "NS":
        return {"NS": [_plain(n) for n in payload]}
    if kind == "M":
        return {"M": {k: stored(v) for k, v in payload.items()}}
    if kind == "L":
        return {"L": [stored(v) for v in payload]}
    return {kind: copy.deepcopy(payload)}


def _plain(text: str) -> str:
    value = _number(text)
    return "0" if not value else format(value, "f")


def check_value(value: Any) -> None:
    """Refuse an attribute value the service refuses (Developer Guide, "Supported data types")."""
    kind, payload = _only_type(value)
    if kind == "S" and not isinstance(payload, str):
        raise _invalid("Supplied AttributeValue S is not a string")
    elif kind == "N":
        _number(payload)
    elif kind == "B":
        _binary(payload)
    elif kind in ("SS", "NS", "BS"):
        # "Supported data types", sets: a set must hold at least one element, each unique.
        if not isinstance(payload, list) or not payload:
            raise _invalid(f"One or more parameter values were invalid: An {kind} set may not be empty")
        if kind == "SS":
            members: list[Any] = list(payload)
        elif kind == "NS":
            members = [_number(n) for n in payload]
        else:
            members = [_binary(b) for b in payload]
        if len(set(members)) != len(members):
            raise _invalid(f"Input collection {payload} of type {kind} contains duplicates.")
    elif kind == "M":
        if not isinstance(payload, Mapping):
            raise _invalid("Supplied AttributeValue M is not a map")
        for nested in payload.values():
            check_value(nested)
    elif kind == "L":
        if not isinstance(payload, list):
            raise _invalid("Supplied AttributeValue L is not a list")
        for nested in payload:
            check_value(nested)
    elif kind == "NULL" and payload is not True:
        raise _invalid(
            "One or more parameter values were invalid: Null attribute value types must have the value of true"
        )
    elif kind == "BOOL" and not isinstance(payload, bool):
        raise _invalid("Supplied AttributeValue BOOL is not a boolean")


def value_size(value: Mapping[str, Any]) -> int:
    """The size DynamoDB counts for a value, per the Developer Guide's "Item sizes and formats":
    strings by UTF-8 bytes, binary by raw bytes, numbers about one byte per two significant
    digits plus one, NULL and BOOL one byte, a list or map 3 bytes plus one per element plus
    its elements. https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
    """
    kind, payload = _only_type(value)
    if kind == "S":
        return len(str(payload).encode())
    if kind == "N":
        return (_significant_digits(Decimal(str(payload).strip())) + 1) // 2 + 1
    if kind == "B":
        return len(_binary(payload))
    if kind == "SS":
        return sum(len(s.encode()) for s in payload)
    if kind == "NS":
        return sum((_significant_digits(Decimal(n.strip())) + 1) // 2 + 1 for n in payload)
    if kind == "BS":
        return sum(len(_binary(b)) for b in payload)
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(v) + 1 for k, v in payload.items())
    if kind == "L":
        return 3 + sum(value_size(v) + 1 for v in payload)
    return 1  # NULL, BOOL


def item_size(item: Mapping[str, Any]) -> int:
    """Attribute names (UTF-8 bytes) plus values, as "Item sizes and formats" counts them."""
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


# -- the backend ---------------------------------------------------------------------------


class DynamoDBBackend(Backend):
    """Tables with a HASH key, or HASH and RANGE, and PutItem, GetItem, DeleteItem and Scan on them.

    A table is CREATING for `create_seconds` of virtual time after CreateTable, then ACTIVE;
    after DeleteTable it is DELETING for `delete_seconds`, then gone. How long either takes
    is undocumented (seconds to minutes). API_DeleteTable: "DynamoDB might continue to accept
    data read and write operations, such as GetItem and PutItem, on a table in the DELETING
    state"; `serve_items_while_deleting` chooses, and by default item operations on a
    DELETING (or CREATING) table answer ResourceNotFoundException, whose page says the
    table's "status might not be ACTIVE".
    """

    service_name = "dynamodb"
    target_prefix = "DynamoDB_20120810"
    iam_prefix = "dynamodb"
    # API reference, "Common Errors", and each operation's errors: ValidationException.
    validation_error_code = "ValidationException"
    # Developer Guide, "DynamoDB low-level API": responses carry a CRC32 of the payload in
    # x-amz-crc32, which botocore checks.
    # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.LowLevelAPI.html
    crc32_header: ClassVar[bool] = True

    def __init__(
        self,
        clock: Clock | None = None,
        account_id: str = "123456789012",
        region: str = "eu-west-1",
        *,
        create_seconds: float = 5.0,
        delete_seconds: float = 5.0,
        serve_items_while_deleting: bool = False,
        table_quota: int = DEFAULT_TABLE_QUOTA,
        ttl_change_seconds: float = TTL_CHANGE_SECONDS,
        policy_update_block_seconds: float = POLICY_UPDATE_BLOCK_SECONDS,
        check_responses: bool = True,
    ) -> None:
        super().__init__(clock, account_id, region, check_responses)
        self.create_seconds = create_seconds
        self.delete_seconds = delete_seconds
        self.serve_items_while_deleting = serve_items_while_deleting
        self.table_quota = table_quota
        self.ttl_change_seconds = ttl_change_seconds
        self.policy_update_block_seconds = policy_update_block_seconds
        self.tables: dict[str, Table] = {}
        self._last_revision = 0

    # -- test controls -------------------------------------------------------------

    def add_table(
        self,
        name: str,
        hash_key: str = "pk",
        hash_type: str = "S",
        range_key: str | None = None,
        range_type: str = "S",
        *,
        ttl_attribute: str | None = None,
        resource_policy: PolicyDocument | None = None,
    ) -> str:
        """An ACTIVE on-demand table, as if created long ago (TTL enabled on `ttl_attribute`, with this resource-based
        policy); its ARN."""
        with self.lock:
            schema = [{"AttributeName": hash_key, "KeyType": "HASH"}]
            definitions = [{"AttributeName": hash_key, "AttributeType": hash_type}]
            if range_key is not None:
                schema.append({"AttributeName": range_key, "KeyType": "RANGE"})
                definitions.append({"AttributeName": range_key, "AttributeType": range_type})
            request: Params = {
                "TableName": name,
                "KeySchema": schema,
                "AttributeDefinitions": definitions,
                "BillingMode": "PAY_PER_REQUEST",
            }
            if resource_policy is not None:
                request["ResourcePolicy"] = json.dumps(resource_policy)
            # Straight to the operation: no call logged, no fault consumed.
            self._create_table(request)
            table = self.tables[name]
            table.ready_at = table.created
            table.policy_changed_at = None
            if ttl_attribute is not None:
                table.ttl_attribute, table.ttl_enabled = ttl_attribute, True
            return table.arn

    def items(self, table_name: str) -> list[Params]:
        """A copy of every item of a table, in Scan order."""
        with self.lock:
            self._sweep()
            table = self.tables[table_name]
            return [copy.deepcopy(table.items[k]) for k in sorted(table.items, key=lambda k: self._position(table, k))]

    # -- tables --------------------------------------------------------------------

    def _sweep(self) -> None:
        now = self.now()
        for name in [n for n, t in self.tables.items() if t.gone_at is not None and now >= t.gone_at]:
            del self.tables[name]

    def _table(self, params: Params, *, items: bool = False) -> Table:
        """The table a request names; for an item operation, only a table that serves items."""
        self._sweep()
        name = _arn_name(params["TableName"])
        table = self.tables.get(name)
        if table is None:
            raise self._not_found(name)
        if items:
            status = table.status(self.now())
            if status == "CREATING" or (status == "DELETING" and not self.serve_items_while_deleting):
                raise self._not_found(name)
        return table

    # -- authorization -------------------------------------------------------------------

    def request_contexts(self, operation: str, params: Params) -> list[RequestContext]:
        """Service Authorization Reference for Amazon DynamoDB
        (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html): every
        operation that names a table (PutItem, DeleteItem, GetItem, Scan, CreateTable, DescribeTable, DeleteTable,
        UpdateTimeToLive, DescribeTimeToLive, ...) acts on the resource type table*,
        arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}; Scan and Query of an index act on the
        index, .../table/${TableName}/index/${IndexName}. TableName may be the table's ARN. Tables carry no tags
        here, so there is no aws:ResourceTag; the dynamodb: condition keys (LeadingKeys, Attributes, ...) are not
        modelled. Operations that name no table are mapped one by one (ListTables: no resource types)."""
        if "TableName" not in params:
            return super().request_contexts(operation, params)
        name = str(params["TableName"])
        arn = name if name.startswith("arn:") else f"arn:aws:dynamodb:{self.region}:{self.account_id}:table/{name}"
        if operation in ("Scan", "Query") and params.get("IndexName"):
            arn = f"{arn}/index/{params['IndexName']}"
        contexts = [RequestContext(self.action(operation), arn)]
        if operation == "CreateTable" and params.get("ResourcePolicy") is not None:
            # API_CreateTable, ResourcePolicy: "You need to specify the CreateTable and PutResourcePolicy IAM actions
            # for authorizing a user to create a table with a resource-based policy."
            contexts.append(RequestContext(self.action("PutResourcePolicy"), arn))
        return contexts

    def _authorize_list_tables(self, params: Params) -> list[RequestContext]:
        return [RequestContext(self.action("ListTables"), "*")]

    # The Service Authorization Reference: PutResourcePolicy, GetResourcePolicy and DeleteResourcePolicy act on the
    # table (or stream) their ResourceArn names.

    def _authorize_put_resource_policy(self, params: Params) -> list[RequestContext]:
        return [RequestContext(self.action("PutResourcePolicy"), str(params["ResourceArn"]))]

    def _authorize_get_resource_policy(self, params: Params) -> list[RequestContext]:
        return [RequestContext(self.action("GetResourcePolicy"), str(params["ResourceArn"]))]

    def _authorize_delete_resource_policy(self, params: Params) -> list[RequestContext]:
        return [RequestContext(self.action("DeleteResourcePolicy"), str(params["ResourceArn"]))]

    def resource_policy(self, request: RequestContext) -> PolicyDocument | None:
        """The policy of the table a request context names, for a request on the table or one of its indexes
        (API_PutResourcePolicy, ResourceArn: "You can control index permissions using the base table's policy")."""
        parts = request.resource.split(":", 5)
        if len(parts) != 6 or parts[2:5] != ["dynamodb", self.region, self.account_id]:
            return None
        if not parts[5].startswith("table/"):
            return None
        with self.lock:
            self._sweep()
            table = self.tables.get(parts[5].removeprefix("table/").split("/", 1)[0])
            return table.policy_document if table is not None else None

    def _not_found(self, name: str) -> ServiceError:
        # API reference, ResourceNotFoundException: "The operation tried to access a nonexistent
        # table or index. The resource might not be specified correctly, or its status might not be ACTIVE."
        return ServiceError("ResourceNotFoundException", f"Requested resource not found: Table: {name} not found")

    def _not_modelled(self, params: Params, *names: str, allowed: Mapping[str, Any] | None = None) -> None:
        for name in names:
            value = params.get(name)
            if value is None or (allowed is not None and value == allowed.get(name)):
                continue
            raise self.invalid(f"The emulator does not model {name} (asked: {value!r}).")

    def _create_table(self, params: Params) -> Params:
        """API_CreateTable."""
        self._sweep()
        self._not_modelled(
            params,
            "LocalSecondaryIndexes",
            "GlobalSecondaryIndexes",
            "StreamSpecification",
            "GlobalTableSourceArn",
            "GlobalTableSettingsReplicationMode",
            "VectorIndexes",
            "WarmThroughput",
            "OnDemandThroughput",
            "DeletionProtectionEnabled",
            allowed={"DeletionProtectionEnabled": False},
        )
        # SSESpecification, Tags and TableClass change nothing this emulator can show: accepted.
        name = params["TableName"]
        problems = []
        if not 3 <= len(name) <= 255:
            problems.append(
                f"Value '{name}' at 'tableName' failed to satisfy constraint: Member must have length between 3 and 255"
            )
        if not TABLE_NAME.fullmatch(name):
            problems.append(
                f"Value '{name}' at 'tableName' failed to satisfy constraint: "
                "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
            )
        if problems:
            raise self.invalid(validation_message(problems))
        schema, definitions = params.get("KeySchema"), params.get("AttributeDefinitions")
        # The model leaves both optional; API_CreateTable says each is required.
        if not schema or definitions is None:
            raise self.invalid(
                "One or more parameter values were invalid: KeySchema and AttributeDefinitions are required"
            )
        kinds = [e["KeyType"] for e in schema]
        if kinds not in (["HASH"], ["HASH", "RANGE"]):
            raise self.invalid(
                "1 validation error detected: Value in KeySchema failed to satisfy constraint: "
                "a HASH key, optionally followed by one RANGE key"
            )
        types = {d["AttributeName"]: d["AttributeType"] for d in definitions}
        keys = [e["AttributeName"] for e in schema]
        if len(types) != len(definitions):
            raise self.invalid("Cannot have two attributes with the same name")
        if len(set(keys)) != len(keys):
            raise self.invalid("Both the Hash Key and the Range Key element in the KeySchema have the same name")
        # API_CreateTable, AttributeDefinitions: "An array of attributes that describe the key schema
        # for the table and indexes"; with no index, exactly the key attributes.
        if set(keys) != set(types):
            raise self.invalid(
                "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly "
                "match number of attributes defined in AttributeDefinitions"
            )
        mode = params.get("BillingMode", "PROVISIONED")  # API_CreateTable: PROVISIONED is the default
        throughput = params.get("ProvisionedThroughput")
        if mode == "PROVISIONED" and throughput is None:
            raise self.invalid(
                "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be "
                "specified when BillingMode is PROVISIONED"
            )
        if mode == "PAY_PER_REQUEST" and throughput is not None:
            raise self.invalid(
                "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be "
                "specified when BillingMode is PAY_PER_REQUEST"
            )
        policy = params.get("ResourcePolicy")
        document = self._policy_document(policy) if policy is not None else None
        if name in self.tables:
            # API_CreateTable, ResourceInUseException: "you attempted to recreate an existing table".
            raise ServiceError("ResourceInUseException", f"Table already exists: {name}")
        if len(self.tables) >= self.table_quota:
            raise ServiceError("LimitExceededException", f"Subscriber limit exceeded: {self.table_quota} tables")
        now = self.now()
        table = Table(
            name=name,
            arn=f"arn:aws:dynamodb:{self.region}:{self.account_id}:table/{name}",
            table_id=str(uuid.uuid4()),
            hash_key=keys[0],
            hash_type=types[keys[0]],
            range_key=keys[1] if len(keys) > 1 else None,
            range_type=types[keys[1]] if len(keys) > 1 else None,
            attribute_definitions=[dict(d) for d in definitions],
            billing_mode=mode,
            read_capacity=int(throughput["ReadCapacityUnits"]) if throughput else 0,
            write_capacity=int(throughput["WriteCapacityUnits"]) if throughput else 0,
            created=now,
            ready_at=now + self.create_seconds,
        )
        if document is not None:
            # API_CreateTable, ResourcePolicy: "When you attach a resource-based policy while creating a table, the
            # policy application is strongly consistent." Whether it starts the 15-second block is undocumented: it
            # does, as an update of the policy would.
            table.policy, table.policy_document, table.policy_revision = policy, document, self._revision()
            table.policy_changed_at = now
        self.tables[name] = table
        # API_CreateTable: "DynamoDB immediately returns a response with a TableStatus of CREATING".
        return {"TableDescription": {**table.describe(now), "TableStatus": "CREATING"}}

    def _describe_table(self, params: Params) -> Params:
        """API_DescribeTable."""
        return {"Table": self._table(params).describe(self.now())}

    def _delete_table(self, params: Params) -> Params:
        """API_DeleteTable: DELETING until done; CREATING answers ResourceInUseException; "If table is
        already in the DELETING state, no error is returned." """
        table = self._table(params)
        now = self.now()
        status = table.status(now)
        if status == "CREATING":
            raise ServiceError(
                "ResourceInUseException",
                f"Attempt to change a resource which is still in use: Table is being created: {table.name}",
            )
        if table.deleted_at is None:
            table.deleted_at, table.gone_at = now, now + self.delete_seconds
        return {"TableDescription": table.describe(now)}

    def _update_time_to_live(self, params: Params) -> Params:
        """API_UpdateTimeToLive: records the attribute; expiry itself is not modelled (see the module)."""
        table = self._table(params)
        now = self.now()
        if table.status(now) != "ACTIVE":
            # Which code a CREATING or DELETING table answers is undocumented.
            raise ServiceError(
                "ResourceInUseException", f"Attempt to change a resource which is still in use: Table: {table.name}"
            )
        spec = params["TimeToLiveSpecification"]
        enabled, attribute = bool(spec["Enabled"]), spec["AttributeName"]
        if table.ttl_changed_at is not None and now - table.ttl_changed_at < self.ttl_change_seconds:
            raise self.invalid("Time to live has been modified multiple times within a fixed interval")
        # Asking for the state the table is already in is refused (undocumented).
        if enabled and table.ttl_enabled:
            raise self.invalid("TimeToLive is already enabled")
        if not enabled and not table.ttl_enabled:
            raise self.invalid("TimeToLive is already disabled")
        table.ttl_attribute, table.ttl_enabled, table.ttl_changed_at = attribute, enabled, now
        return {"TimeToLiveSpecification": {"AttributeName": attribute, "Enabled": enabled}}

    def _describe_time_to_live(self, params: Params) -> Params:
        """API_DescribeTimeToLive; ENABLING / DISABLING for the hour API_UpdateTimeToLive allows a change."""
        table = self._table(params)
        settling = table.ttl_changed_at is not None and self.now() - table.ttl_changed_at < self.ttl_change_seconds
        status = (
            ("ENABLING" if settling else "ENABLED") if table.ttl_enabled else ("DISABLING" if settling else "DISABLED")
        )
        description: Params = {"TimeToLiveStatus": status}
        if table.ttl_attribute is not None:
            description["AttributeName"] = table.ttl_attribute
        return {"TimeToLiveDescription": description}

    # -- resource-based policies -----------------------------------------------------

    def _put_resource_policy(self, params: Params) -> Params:
        """API_PutResourcePolicy: "an idempotent operation; running it multiple times on the same resource using the
        same policy document will return the same revision ID" (the same text here: undocumented whether a document
        differing only in whitespace is the same); an ExpectedRevisionId that does not match answers
        PolicyNotFoundException, and NO_POLICY asks that there be no policy yet."""
        table = self._policy_table(str(params["ResourceArn"]), changing=True)
        self._expect_revision(table, params, no_policy=True)
        text = params["Policy"]
        document = self._policy_document(text)
        if text == table.policy:
            return {"RevisionId": table.policy_revision}
        self._unblocked(table)
        self._keeps_own_access(table, document, params)
        table.policy, table.policy_document, table.policy_revision = text, document, self._revision()
        table.policy_changed_at = self.now()
        return {"RevisionId": table.policy_revision}

    def _get_resource_policy(self, params: Params) -> Params:
        """API_GetResourcePolicy: the policy as it was put and its RevisionId; PolicyNotFoundException without one.
        (Its eventual consistency after a put or a delete is not modelled.)"""
        table = self._policy_table(str(params["ResourceArn"]), changing=False)
        if table.policy is None:
            raise self._no_policy(table)
        return {"Policy": table.policy, "RevisionId": table.policy_revision}

    def _delete_resource_policy(self, params: Params) -> Params:
        """API_DeleteResourcePolicy: "an idempotent operation; running it multiple times on the same resource doesn't
        result in an error response, unless you specify an ExpectedRevisionId"; RevisionId, "empty if you make a
        request against a resource without a policy", is left out then (the model allows no empty string). Its
        lockout safeguard, that the account's root principal may always delete the policy, has nothing to act on:
        the emulator issues no root credentials (calls straight through `handle` are never checked)."""
        table = self._policy_table(str(params["ResourceArn"]), changing=True)
        self._expect_revision(table, params, no_policy=False)
        if table.policy is None:
            return {}
        self._unblocked(table)
        revision = table.policy_revision
        table.policy = table.policy_document = table.policy_revision = None
        table.policy_changed_at = self.now()
        return {"RevisionId": revision}

    def _policy_table(self, arn: str, *, changing: bool) -> Table:
        """The table a ResourceArn names (a stream's is not modelled); to change its policy, an ACTIVE one (which code
        a CREATING or DELETING table answers is undocumented: ResourceInUseException, as for UpdateTimeToLive)."""
        self._sweep()
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[:3] != ["arn", "aws", "dynamodb"] or not parts[5].startswith("table/"):
            raise self.invalid(f"Invalid ResourceArn provided as input {arn}")
        name, _, rest = parts[5].removeprefix("table/").partition("/")
        if rest.startswith("stream/"):
            raise self.invalid(f"The emulator does not model the resource-based policies of streams (asked: {arn!r}).")
        if rest:
            raise self.invalid(f"Invalid ResourceArn provided as input {arn}")
        table = self.tables.get(name) if parts[3:5] == [self.region, self.account_id] else None
        if table is None:
            raise self._not_found(name)
        if changing and table.status(self.now()) != "ACTIVE":
            raise ServiceError(
                "ResourceInUseException", f"Attempt to change a resource which is still in use: Table: {table.name}"
            )
        return table

    def _policy_document(self, text: Any) -> PolicyDocument:
        """A policy as CreateTable and PutResourcePolicy take it: JSON text of at most MAX_POLICY_BYTES, that the
        evaluator can judge. The words of the refusals are undocumented (an invalid document is seen answered "One
        or more parameter values were invalid: Invalid policy document ...")."""
        if len(str(text).encode()) > MAX_POLICY_BYTES:
            raise self.invalid(
                f"Policy document exceeds the maximum size of {MAX_POLICY_BYTES // 1000} KB "
                f"({len(str(text).encode())} bytes, whitespace counted)"
            )
        try:
            document = json.loads(text)
        except (TypeError, ValueError):
            raise self.invalid("One or more parameter values were invalid: Invalid policy document: not JSON") from None
        try:
            check_policy(document, resource_based=True)
        except PolicyError as error:
            raise self.invalid(
                f"One or more parameter values were invalid: Invalid policy document: {error} "
                "(the emulator refuses a policy it cannot evaluate)"
            ) from None
        return document  # type: ignore[no-any-return]

    def _revision(self) -> str:
        """A new RevisionId, "A unique string" (API_PutResourcePolicy): milliseconds of the clock, never one given
        before (what AWS's are made of is undocumented; compare them as strings, as the reference asks)."""
        self._last_revision = max(self._last_revision + 1, int(self.now() * 1000))
        return str(self._last_revision)

    def _expect_revision(self, table: Table, params: Params, *, no_policy: bool) -> None:
        """ExpectedRevisionId: "if the revision ID of the existing policy on the resource doesn't match or if there's no
        policy attached to the resource, your request will be rejected with a PolicyNotFoundException"; NO_POLICY
        (PutResourcePolicy's only) matches a table without a policy."""
        expected = params.get("ExpectedRevisionId")
        if expected is None:
            return
        if table.policy is None:
            if no_policy and expected == NO_POLICY:
                return
        elif expected == table.policy_revision:
            return
        raise self._no_policy(table, expected)

    def _no_policy(self, table: Table, expected: str | None = None) -> ServiceError:
        # API reference, PolicyNotFoundException: "The operation tried to access a nonexistent resource-based policy.
        # If you specified an ExpectedRevisionId, it's possible that a policy is present for the resource but its
        # revision ID didn't match the expected value."
        message = f"Resource-based policy not found for the provided ResourceArn: {table.arn}"
        if expected is not None:
            message += f" (expected revision {expected}, found {table.policy_revision or NO_POLICY})"
        return ServiceError("PolicyNotFoundException", message)

    def _unblocked(self, table: Table) -> None:
        """rbac-considerations: changes to a policy are blocked for POLICY_UPDATE_BLOCK_SECONDS after a successful one.
        What a blocked call answers is undocumented: ResourceInUseException, whose page says "You tried to update a
        resource that was already being updated ... wait for the ongoing update to complete and attempt the request
        again"."""
        since = None if table.policy_changed_at is None else self.now() - table.policy_changed_at
        if since is not None and since < self.policy_update_block_seconds:
            raise ServiceError(
                "ResourceInUseException",
                f"Attempt to change a resource which is still in use: the resource-based policy of table {table.name} "
                f"was changed {since:g} seconds ago",
            )

    def _keeps_own_access(self, table: Table, document: PolicyDocument, params: Params) -> None:
        """ConfirmRemoveSelfResourceAccess: "Set this parameter to true to confirm that you want to remove your
        permissions to change the policy of this resource in the future." So a caller whose new policy would take
        away its own PutResourcePolicy or DeleteResourcePolicy on the table, without that confirmation, is refused;
        with it, the policy is put. What AWS answers then is undocumented: a ValidationException here. A call straight
        through `handle` (CloudFormation's, or a test's) has no caller to lock out."""
        if params.get("ConfirmRemoveSelfResourceAccess") or self.access is None or not self.access.enforce:
            return
        principal = self.access.principal(self.caller or "")
        if principal is None:
            return
        for operation in ("PutResourcePolicy", "DeleteResourcePolicy"):
            request = self.access.signed(principal, RequestContext(self.action(operation), table.arn))
            before = self.access.verdict(principal, request, table.policy_document).decision
            after = self.access.verdict(principal, request, document).decision
            if before is Decision.ALLOW and after is not Decision.ALLOW:
                raise self.invalid(
                    f"The policy would remove your permission to {self.action(operation)} on {table.arn}: set "
                    "ConfirmRemoveSelfResourceAccess to true to confirm"
                )

    # -- keys ----------------------------------------------------------------------

    def _key_value(self, name: str, kind: str, value: Any, *, in_item: bool) -> Any:
        """The comparable form of one key attribute's value."""
        actual, payload = _only_type(value)
        if actual != kind:
            if in_item:
                raise self.invalid(
                    f"One or more parameter values were invalid: Type mismatch for key {name} "
                    f"expected: {kind} actual: {actual}"
                )
            raise self.invalid("The provided key element does not match the schema")
        check_value(value)
        # API_PutItem, Item: "Attribute values of type String and Binary must have a length greater
        # than zero if the attribute is used as a key attribute".
        if kind == "S":
            if payload == "":
                raise self.invalid(
                    "One or more parameter values are not valid. The AttributeValue for a key attribute cannot "
                    f"contain an empty string value. Key: {name}"
                )
            return payload
        if kind == "N":
            return _number(payload)
        raw = _binary(payload)
        if not raw:
            raise self.invalid(
                "One or more parameter values are not valid. The AttributeValue for a key attribute cannot "
                f"contain an empty binary value. Key: {name}"
            )
        return raw

    def _key(
        self, table: Table, key: Any, message: str = "The provided key element does not match the schema"
    ) -> KeyTuple:
        """The key of GetItem and DeleteItem (and Scan's ExclusiveStartKey): exactly the key attributes.

        API_GetItem, Key: "you must provide all of the attributes" of the primary key; the
        wording of the refusal is undocumented.
        """
        names = table.key_names()
        if not isinstance(key, Mapping) or set(key) != set(names):
            raise self.invalid(message)
        try:
            return tuple(self._key_value(n, names[n], key[n], in_item=False) for n in names)
        except ServiceError as error:
            if error.message == "The provided key element does not match the schema":
                raise self.invalid(message) from None
            raise

    def _item_key(self, table: Table, item: Mapping[str, Any]) -> KeyTuple:
        """API_PutItem, Item: "You must provide all of the attributes for the primary key"."""
        names = table.key_names()
        for name in names:
            if name not in item:
                raise self.invalid(f"One or more parameter values were invalid: Missing the key {name} in the item")
        return tuple(self._key_value(n, names[n], item[n], in_item=True) for n in names)

    def _position(self, table: Table, key: KeyTuple) -> tuple[Any, ...]:
        """Scan order: by a hash of the partition key, then the sort key (Developer Guide, "Partitions
        and data distribution": items are spread by a hash of the partition key; within one,
        ordered by sort key, strings by UTF-8 bytes). Which hash is undocumented: never insertion order."""
        hashed = key[0]
        text = hashed.hex() if isinstance(hashed, bytes) else str(hashed)
        digest = hashlib.sha256(f"{table.hash_type}:{text}".encode()).digest()
        if len(key) == 1:
            return (digest,)
        ranged = key[1]
        return (digest, ranged.encode() if isinstance(ranged, str) else ranged)

    def _key_attributes(self, table: Table, item: Mapping[str, Any]) -> Params:
        return {n: copy.deepcopy(item[n]) for n in table.key_names()}

    # -- expressions ---------------------------------------------------------------

    def _condition(self, params: Params, current: Params | None) -> None:
        """ConditionExpression: only attribute_exists(name) and attribute_not_exists(name).

        Developer Guide, "Condition expressions"; reserved words may not be bare names
        ("Reserved words in DynamoDB"); every ExpressionAttributeNames / ...Values entry must
        be used ("Expression attribute names", "Expression attribute values"; the wording of
        those refusals is undocumented).
        """
        self._not_modelled(params, "Expected", "ConditionalOperator")
        expression = params.get("ConditionExpression")
        names: Mapping[str, str] = params.get("ExpressionAttributeNames") or {}
        values: Mapping[str, Any] = params.get("ExpressionAttributeValues") or {}
        if expression is None:
            if "ExpressionAttributeNames" in params:
                raise self.invalid("ExpressionAttributeNames can only be specified when using expressions")
            if "ExpressionAttributeValues" in params:
                raise self.invalid("ExpressionAttributeValues can only be specified when using expressions")
            return
        match = _CONDITION.fullmatch(expression)
        if match is None:
            raise self.invalid(
                f"Invalid ConditionExpression: the emulator models only attribute_exists(name) and "
                f"attribute_not_exists(name), not {expression!r}"
            )
        function, token = match.group(1), match.group(2)
        used: set[str] = set()
        attribute = self._attribute_name("ConditionExpression", token, names, used)
        self._all_used(names, values, used)
        exists = current is not None and attribute in current
        if exists != (function == "attribute_exists"):
            fields: dict[str, Any] = {}
            # API_PutItem, ReturnValuesOnConditionCheckFailure: ALL_OLD returns the item as it was.
            if params.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current is not None:
                fields["Item"] = copy.deepcopy(current)
            raise ServiceError("ConditionalCheckFailedException", "The conditional request failed", **fields)

    def _attribute_name(self, parameter: str, token: str, names: Mapping[str, str], used: set[str]) -> str:
        """The attribute a name token of an expression stands for: a #placeholder from ExpressionAttributeNames (noted
        in `used`), or a bare name that is no reserved word ("Reserved words in DynamoDB")."""
        if token.startswith("#"):
            if token not in names:
                raise self.invalid(
                    f"Invalid {parameter}: An expression attribute name used in the document path is not "
                    f"defined; attribute name: {token}"
                )
            used.add(token)
            return names[token]
        if not _BARE_NAME.fullmatch(token):
            raise self.invalid(f'Invalid {parameter}: Syntax error; token: "{token}"')
        if token.upper() in RESERVED_WORDS:
            raise self.invalid(f"Invalid {parameter}: Attribute name is a reserved keyword; reserved keyword: {token}")
        return token

    def _all_used(self, names: Mapping[str, str], values: Mapping[str, Any], used: set[str]) -> None:
        """Every ExpressionAttributeNames and ExpressionAttributeValues entry must be used ("Expression attribute
        names", "Expression attribute values"; the wording of those refusals is undocumented)."""
        unused = sorted(set(names) - used)
        if unused:
            raise self.invalid(
                f"Value provided in ExpressionAttributeNames unused in expressions: keys: {{{', '.join(unused)}}}"
            )
        unused = sorted(set(values) - used)
        if unused:
            keys = ", ".join(unused)
            raise self.invalid(f"Value provided in ExpressionAttributeValues unused in expressions: keys: {{{keys}}}")

    def _return_values(self, params: Params) -> bool:
        """API_PutItem / API_DeleteItem, ReturnValues: only NONE and ALL_OLD; whether to answer the old item."""
        asked = params.get("ReturnValues", "NONE")
        if asked not in ("NONE", "ALL_OLD"):
            raise self.invalid("Return values set to invalid value")
        return bool(asked == "ALL_OLD")

    # -- items ---------------------------------------------------------------------

    def _put_item(self, params: Params) -> Params:
        """API_PutItem: a new item, or a whole replacement of the item with that key."""
        self._not_modelled(
            params,
            "ReturnConsumedCapacity",
            "ReturnItemCollectionMetrics",
            allowed={"ReturnConsumedCapacity": "NONE", "ReturnItemCollectionMetrics": "NONE"},
        )
        table = self._table(params, items=True)
        item: Params = params["Item"]
        for value in item.values():
            check_value(value)
        key = self._item_key(table, item)
        if item_size(item) > MAX_ITEM_BYTES:
            raise self.invalid("Item size has exceeded the maximum allowed size")
        wants_old = self._return_values(params)
        current = table.items.get(key)
        self._condition(params, current)
        table.items[key] = {name: stored(value) for name, value in item.items()}
        return {"Attributes": current} if wants_old and current is not None else {}

    def _get_item(self, params: Params) -> Params:
        """API_GetItem: the item, or no Item member when there is none."""
        self._not_modelled(
            params,
            "AttributesToGet",
            "ProjectionExpression",
            "ExpressionAttributeNames",
            "ReturnConsumedCapacity",
            allowed={"ReturnConsumedCapacity": "NONE"},
        )
        table = self._table(params, items=True)
        item = table.items.get(self._key(table, params["Key"]))
        return {"Item": item} if item is not None else {}

    def _delete_item(self, params: Params) -> Params:
        """API_DeleteItem: deleting an item that does not exist succeeds (unless a condition fails)."""
        self._not_modelled(
            params,
            "ReturnConsumedCapacity",
            "ReturnItemCollectionMetrics",
            allowed={"ReturnConsumedCapacity": "NONE", "ReturnItemCollectionMetrics": "NONE"},
        )
        table = self._table(params, items=True)
        key = self._key(table, params["Key"])
        wants_old = self._return_values(params)
        current = table.items.get(key)
        self._condition(params, current)
        table.items.pop(key, None)
        return {"Attributes": current} if wants_old and current is not None else {}

    def _scan(self, params: Params) -> Params:
        """API_Scan: every item in a stable, hashed order, a page at a time (`_page`): a page ends after `Limit`
        items or before it would pass 1 MB ("If the total size of scanned items exceeds the maximum dataset size
        limit of 1 MB, the scan completes and results are returned to the user"), 1 MB being MAX_SCAN_PAGE_BYTES.
        """
        self._not_modelled(
            params,
            "IndexName",
            "AttributesToGet",
            "ScanFilter",
            "ConditionalOperator",
            "TotalSegments",
            "Segment",
            "ProjectionExpression",
            "FilterExpression",
            "ExpressionAttributeNames",
            "ExpressionAttributeValues",
            "Select",
            "ReturnConsumedCapacity",
            allowed={"Select": "ALL_ATTRIBUTES", "ReturnConsumedCapacity": "NONE"},
        )
        table = self._table(params, items=True)
        ordered = sorted(table.items, key=lambda k: self._position(table, k))
        start = params.get("ExclusiveStartKey")
        if start is not None:
            after = self._position(
                table,
                self._key(
                    table,
                    start,
                    "The provided starting key is invalid: The provided key element does not match the schema",
                ),
            )
            ordered = [k for k in ordered if self._position(table, k) > after]
        return self._page(table, ordered, params.get("Limit"))

    def _page(self, table: Table, ordered: list[KeyTuple], limit: int | None) -> Params:
        """One page of Scan or Query: it ends after `limit` items or before it would pass 1 MB (whether the item
        crossing 1 MB is included is undocumented: it is not); LastEvaluatedKey is answered whenever a page ended on
        Limit or size, even if nothing follows (undocumented: the service does not promise to look ahead, so a caller
        must accept an empty last page)."""
        page: list[Params] = []
        size = 0
        stopped = False
        for key in ordered:
            item = table.items[key]
            if limit is not None and len(page) >= limit:
                stopped = True
                break
            if page and size + item_size(item) > MAX_SCAN_PAGE_BYTES:
                stopped = True
                break
            page.append(item)
            size += item_size(item)
        if limit is not None and len(page) == limit:
            stopped = True
        answer: Params = {"Items": page, "Count": len(page), "ScannedCount": len(page)}
        if stopped and page:
            answer["LastEvaluatedKey"] = self._key_attributes(table, page[-1])
        return answer

    def _query(self, params: Params) -> Params:
        """API_Query: the items of one partition key value, "always sorted by the sort key value. If the data type of
        the sort key is Number, the results are returned in numeric order; otherwise, the results are returned in
        order of UTF-8 bytes" (Binary: "each byte ... as unsigned", ScanIndexForward), descending when
        ScanIndexForward is false, a page at a time as Scan pages them ("A single Query operation will read up to
        the maximum number of items set (if using the Limit parameter) or a maximum of 1 MB of data").
        ExclusiveStartKey must be a key of the queried partition (what a start key outside it answers is
        undocumented: a ValidationException). ConsistentRead changes nothing: every read is consistent here.
        """
        self._not_modelled(
            params,
            "IndexName",
            "Select",
            "AttributesToGet",
            "KeyConditions",
            "QueryFilter",
            "ConditionalOperator",
            "ProjectionExpression",
            "FilterExpression",
            "ReturnConsumedCapacity",
            allowed={"Select": "ALL_ATTRIBUTES", "ReturnConsumedCapacity": "NONE"},
        )
        expression = params.get("KeyConditionExpression")
        if expression is None:
            raise self.invalid(
                "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request."
            )
        table = self._table(params, items=True)
        partition, matches = self._key_condition(table, str(expression), params)
        keys = sorted((k for k in table.items if k[0] == partition and matches(k)), key=lambda k: _sortable(k[1:]))
        if params.get("ScanIndexForward") is False:
            keys.reverse()
        start = params.get("ExclusiveStartKey")
        if start is not None:
            after = self._key(
                table, start, "The provided starting key is invalid: The provided key element does not match the schema"
            )
            if after[0] != partition:
                raise self.invalid("The provided starting key is outside query boundaries based on provided conditions")
            if params.get("ScanIndexForward") is False:
                keys = [k for k in keys if _sortable(k[1:]) < _sortable(after[1:])]
            else:
                keys = [k for k in keys if _sortable(k[1:]) > _sortable(after[1:])]
        return self._page(table, keys, params.get("Limit"))

    def _key_condition(self, table: Table, expression: str, params: Params) -> tuple[Any, KeyTest]:
        """KeyConditionExpression (see _KEY_CONDITION): the partition key's value, and a test of a key's sort key.

        Errors: "Query condition missed key schema element" for a condition on another attribute, a value of
        another type than the key's ("Condition parameter type does not match schema type"), begins_with on a
        Number ("You cannot use this function with a sort key that is of type Number"); the words are undocumented.
        """
        names: Mapping[str, str] = params.get("ExpressionAttributeNames") or {}
        values: Mapping[str, Any] = params.get("ExpressionAttributeValues") or {}
        parameter = "KeyConditionExpression"
        used: set[str] = set()
        match = _KEY_CONDITION.fullmatch(expression)
        if match is None:
            raise self.invalid(
                f"Invalid {parameter}: the emulator models only 'partitionKey = :value', optionally AND one "
                f"condition on the sort key, not {expression!r}"
            )
        if self._attribute_name(parameter, match["name"], names, used) != table.hash_key:
            raise self.invalid(f"Query condition missed key schema element: {table.hash_key}")
        partition = self._key_operand(table, table.hash_key, table.hash_type, match["value"], values, used)
        test = self._sort_condition(table, match["sort"], names, values, used) if match["sort"] is not None else None
        self._all_used(names, values, used)
        return partition, test or (lambda key: True)

    def _sort_condition(
        self, table: Table, text: str, names: Mapping[str, str], values: Mapping[str, Any], used: set[str]
    ) -> KeyTest:
        parameter = "KeyConditionExpression"
        found = next((m for m in (p.fullmatch(text) for p in _SORT_CONDITIONS) if m is not None), None)
        if found is None:
            raise self.invalid(f"Invalid {parameter}: the emulator does not model the sort key condition {text!r}")
        attribute = self._attribute_name(parameter, found["name"], names, used)
        if table.range_key is None or table.range_type is None or attribute != table.range_key:
            raise self.invalid("Query key condition not supported")
        kind, operator = table.range_type, found["op"].upper() if found["op"] != "begins_with" else "begins_with"
        low = _sortable((self._key_operand(table, attribute, kind, found["value"], values, used),))
        if operator == "begins_with":
            if kind == "N":
                raise self.invalid(
                    f"Invalid {parameter}: Incorrect operand type for operator or function; operator or function: "
                    "begins_with, operand type: N"
                )
            return lambda key: _sortable(key[1:])[0].startswith(low[0])
        if operator == "BETWEEN":
            high = _sortable((self._key_operand(table, attribute, kind, found["high"], values, used),))
            if high < low:
                raise self.invalid(
                    f"Invalid {parameter}: The BETWEEN operator requires upper bound to be greater than or equal to "
                    f"lower bound; lower operand: {found['value']}, upper operand: {found['high']}"
                )
            return lambda key: low <= _sortable(key[1:]) <= high
        compare: dict[str, Callable[[Any], bool]] = {
            "=": lambda v: v == low,
            "<": lambda v: v < low,
            "<=": lambda v: v <= low,
            ">": lambda v: v > low,
            ">=": lambda v: v >= low,
        }
        chosen = compare[operator]
        return lambda key: chosen(_sortable(key[1:]))

    def _key_operand(
        self, table: Table, name: str, kind: str, token: str, values: Mapping[str, Any], used: set[str]
    ) -> Any:
        """The comparable form of a :value a key condition compares a key attribute with."""
        if token not in values:
            raise self.invalid(
                "Invalid KeyConditionExpression: An expression attribute value used in expression is not defined; "
                f"attribute value: {token}"
            )
        used.add(token)
        value = values[token]
        if _only_type(value)[0] != kind:
            raise self.invalid(
                "One or more parameter values were invalid: Condition parameter type does not match schema type"
            )
        return self._key_value(name, kind, value, in_item=False)
