"""The local DynamoDB emulator, reached by an unmodified boto3 (AWS JSON 1.0). No sleeping: virtual time.

Query: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Query.html. Resource-based policies:
API_PutResourcePolicy, API_GetResourcePolicy, API_DeleteResourcePolicy, and the Developer Guide's "Resource-based
policy considerations" (rbac-considerations.html).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.validate import ParamValidator
from support import ROOT

sys.path.insert(0, str(ROOT))

from aws_emulator import DynamoDBBackend, VirtualClock, attach, serve
from aws_emulator.dynamodb import MAX_ITEM_BYTES, MAX_POLICY_BYTES, MAX_SCAN_PAGE_BYTES, item_size
from aws_emulator.service import service_model

RETRIES = Config(retries={"mode": "standard", "max_attempts": 3})
SIMPLE = {
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
    "BillingMode": "PAY_PER_REQUEST",
}


def code_of(error: ClientError) -> str:
    return str(error.response["Error"]["Code"])


def raises_code(code: str, call: Any, *args: Any, **kwargs: Any) -> ClientError:
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    assert code_of(caught.value) == code, caught.value.response["Error"]
    return caught.value


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def ddb(clock: VirtualClock) -> DynamoDBBackend:
    return DynamoDBBackend(clock)


@pytest.fixture
def client(ddb: DynamoDBBackend) -> Any:
    dynamodb = boto3.client("dynamodb", config=RETRIES)
    attach(dynamodb, ddb)
    return dynamodb


@pytest.fixture
def table(ddb: DynamoDBBackend) -> str:
    ddb.add_table("watch", "pk")
    return "watch"


def s(text: str) -> dict[str, str]:
    return {"S": text}


# -- tables --------------------------------------------------------------------------


def test_a_table_is_creating_then_active_then_deleting_then_gone(client: Any, clock: VirtualClock) -> None:
    created = client.create_table(TableName="stack-watch", **SIMPLE)["TableDescription"]
    assert created["TableStatus"] == "CREATING"
    assert created["TableArn"] == "arn:aws:dynamodb:eu-west-1:123456789012:table/stack-watch"
    # API reference, ResourceNotFoundException: the table's "status might not be ACTIVE".
    raises_code("ResourceNotFoundException", client.put_item, TableName="stack-watch", Item={"pk": s("a")})
    raises_code("ResourceInUseException", client.delete_table, TableName="stack-watch")
    clock.advance(5)
    assert client.describe_table(TableName="stack-watch")["Table"]["TableStatus"] == "ACTIVE"
    client.put_item(TableName="stack-watch", Item={"pk": s("a")})
    assert client.delete_table(TableName="stack-watch")["TableDescription"]["TableStatus"] == "DELETING"
    raises_code("ResourceNotFoundException", client.get_item, TableName="stack-watch", Key={"pk": s("a")})
    raises_code("ResourceInUseException", client.create_table, TableName="stack-watch", **SIMPLE)
    client.delete_table(TableName="stack-watch")  # API_DeleteTable: DELETING already is no error
    clock.advance(5)
    raises_code("ResourceNotFoundException", client.describe_table, TableName="stack-watch")
    raises_code("ResourceNotFoundException", client.delete_table, TableName="stack-watch")
    raises_code("ResourceNotFoundException", client.scan, TableName="nope")


def test_items_may_be_served_while_deleting_as_an_option(clock: VirtualClock) -> None:
    ddb = DynamoDBBackend(clock, serve_items_while_deleting=True)
    ddb.add_table("watch")
    ddb.handle("PutItem", {"TableName": "watch", "Item": {"pk": s("a")}})
    ddb.handle("DeleteTable", {"TableName": "watch"})
    assert ddb.handle("GetItem", {"TableName": "watch", "Key": {"pk": s("a")}}) == {"Item": {"pk": s("a")}}


def test_create_table_validation(client: Any, ddb: DynamoDBBackend) -> None:
    error = raises_code("ValidationException", client.create_table, TableName="no", **SIMPLE)
    assert "Member must have length between 3 and 255" in str(error)
    raises_code("ValidationException", client.create_table, TableName="has space", **SIMPLE)
    raises_code("ValidationException", client.create_table, TableName="tab", KeySchema=SIMPLE["KeySchema"])
    extra = [*SIMPLE["AttributeDefinitions"], {"AttributeName": "other", "AttributeType": "S"}]
    error = raises_code(
        "ValidationException", client.create_table, TableName="tab", **{**SIMPLE, "AttributeDefinitions": extra}
    )
    assert "does not exactly match number of attributes defined in AttributeDefinitions" in str(error)
    range_first = [{"AttributeName": "pk", "KeyType": "RANGE"}]
    raises_code("ValidationException", client.create_table, TableName="tab", **{**SIMPLE, "KeySchema": range_first})
    provisioned = {k: v for k, v in SIMPLE.items() if k != "BillingMode"}
    error = raises_code("ValidationException", client.create_table, TableName="tab", **provisioned)
    assert "must both be specified when BillingMode is PROVISIONED" in str(error)
    units = {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
    raises_code("ValidationException", client.create_table, TableName="tab", ProvisionedThroughput=units, **SIMPLE)
    index = {"IndexName": "by-pk", "KeySchema": SIMPLE["KeySchema"], "Projection": {"ProjectionType": "ALL"}}
    error = raises_code(
        "ValidationException", client.create_table, TableName="tab", GlobalSecondaryIndexes=[index], **SIMPLE
    )
    assert "does not model GlobalSecondaryIndexes" in str(error)
    table = client.create_table(TableName="tab", ProvisionedThroughput=units, **provisioned)["TableDescription"]
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 1
    assert ddb.tables.keys() == {"tab"}


def test_time_to_live_is_recorded_and_expiry_is_not_modelled(
    client: Any, ddb: DynamoDBBackend, clock: VirtualClock, table: str
) -> None:
    spec = {"AttributeName": "expires", "Enabled": True}
    assert client.update_time_to_live(TableName=table, TimeToLiveSpecification=spec)["TimeToLiveSpecification"] == spec
    assert client.describe_time_to_live(TableName=table)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLING",
        "AttributeName": "expires",
    }
    # API_UpdateTimeToLive: another change within the hour is a ValidationException.
    off = {"AttributeName": "expires", "Enabled": False}
    raises_code("ValidationException", client.update_time_to_live, TableName=table, TimeToLiveSpecification=off)
    client.put_item(TableName=table, Item={"pk": s("old"), "expires": {"N": str(int(clock.now()) - 86400)}})
    clock.advance(3600)
    assert client.describe_time_to_live(TableName=table)["TimeToLiveDescription"]["TimeToLiveStatus"] == "ENABLED"
    raises_code("ValidationException", client.update_time_to_live, TableName=table, TimeToLiveSpecification=spec)
    # Expired a day ago, still there: the service deletes "typically within two days".
    assert client.get_item(TableName=table, Key={"pk": s("old")})["Item"]["pk"] == s("old")
    client.update_time_to_live(TableName=table, TimeToLiveSpecification=off)
    assert ddb.tables[table].ttl_enabled is False


# -- items ---------------------------------------------------------------------------


def test_items_round_trip_in_wire_format(client: Any, ddb: DynamoDBBackend, table: str) -> None:
    item = {
        "pk": s("image#wsi-0123456789"),
        "deadline": {"N": "1704070800.50"},
        "blob": {"B": b"\x00\xff"},
        "tags": {"SS": ["a", "b"]},
        "nested": {"M": {"list": {"L": [{"N": "007"}, {"NULL": True}, {"BOOL": False}]}}},
    }
    assert set(client.put_item(TableName=table, Item=item)) == {"ResponseMetadata"}
    got = client.get_item(TableName=table, Key={"pk": item["pk"]}, ConsistentRead=True)["Item"]
    # Numbers come back without leading or trailing zeros (undocumented; see the emulator).
    assert got["deadline"] == {"N": "1704070800.5"}
    assert got["nested"]["M"]["list"]["L"][0] == {"N": "7"}
    assert got["blob"] == {"B": b"\x00\xff"}
    assert ddb.items(table)[0]["blob"] == {"B": "AP8="}, "kept in wire format: base64 text"
    replaced = client.put_item(TableName=table, Item={"pk": item["pk"]}, ReturnValues="ALL_OLD")["Attributes"]
    assert replaced["tags"] == {"SS": ["a", "b"]}
    assert client.get_item(TableName=table, Key={"pk": item["pk"]})["Item"] == {"pk": item["pk"]}
    assert "Item" not in client.get_item(TableName=table, Key={"pk": s("missing")})
    assert client.delete_item(TableName=table, Key={"pk": item["pk"]}, ReturnValues="ALL_OLD")["Attributes"] == {
        "pk": item["pk"]
    }
    assert "Attributes" not in client.delete_item(TableName=table, Key={"pk": item["pk"]}, ReturnValues="ALL_OLD")
    raises_code("ValidationException", client.put_item, TableName=table, Item=item, ReturnValues="ALL_NEW")
    # API reference: TableName may be the table's ARN.
    client.put_item(TableName=ddb.tables[table].arn, Item={"pk": s("by-arn")})
    assert [i["pk"] for i in ddb.items(table)] == [s("by-arn")]


def test_a_key_must_match_the_schema(client: Any, ddb: DynamoDBBackend, table: str) -> None:
    wrong = "The provided key element does not match the schema"
    for key in ({"id": s("a")}, {"pk": s("a"), "sk": s("b")}, {"pk": {"N": "1"}}, {}):
        assert wrong in str(raises_code("ValidationException", client.get_item, TableName=table, Key=key))
        assert wrong in str(raises_code("ValidationException", client.delete_item, TableName=table, Key=key))
    error = raises_code("ValidationException", client.put_item, TableName=table, Item={"id": s("a")})
    assert "Missing the key pk in the item" in str(error)
    error = raises_code("ValidationException", client.put_item, TableName=table, Item={"pk": {"N": "1"}})
    assert "Type mismatch for key pk expected: S actual: N" in str(error)
    error = raises_code("ValidationException", client.put_item, TableName=table, Item={"pk": s("")})
    assert "cannot contain an empty string value" in str(error)
    raises_code("ValidationException", client.put_item, TableName=table, Item={"pk": s("a"), "n": {"N": "x"}})
    raises_code("ValidationException", client.put_item, TableName=table, Item={"pk": s("a"), "e": {}})
    raises_code("ValidationException", client.put_item, TableName=table, Item={"pk": s("a"), "n": {"NS": []}})
    assert ddb.items(table) == []


def test_hash_and_range_keys(client: Any, ddb: DynamoDBBackend) -> None:
    ddb.add_table("pairs", "pk", "S", "sk", "N")
    for sort in ("10", "9", "1.0"):
        client.put_item(TableName="pairs", Item={"pk": s("a"), "sk": {"N": sort}})
    client.put_item(TableName="pairs", Item={"pk": s("a"), "sk": {"N": "1"}, "v": s("same key as 1.0")})
    # Within one partition key, items are in sort key order (numbers by value).
    assert [i["sk"]["N"] for i in ddb.items("pairs")] == ["1", "9", "10"]
    got = client.get_item(TableName="pairs", Key={"pk": s("a"), "sk": {"N": "1.00"}})["Item"]
    assert got["v"] == s("same key as 1.0")
    raises_code("ValidationException", client.get_item, TableName="pairs", Key={"pk": s("a")})


def test_an_item_over_400_kb_is_refused(client: Any, ddb: DynamoDBBackend, table: str) -> None:
    overhead = item_size({"pk": s("a"), "blob": {"B": ""}})
    exactly = {"pk": s("a"), "blob": {"B": b"x" * (MAX_ITEM_BYTES - overhead)}}
    client.put_item(TableName=table, Item=exactly)
    over = {"pk": s("b"), "blob": {"B": b"x" * (MAX_ITEM_BYTES - overhead + 1)}}
    error = raises_code("ValidationException", client.put_item, TableName=table, Item=over)
    assert "Item size has exceeded the maximum allowed size" in str(error)
    big_name = {"pk": s("c"), "n" * (MAX_ITEM_BYTES - overhead + 4): s("")}
    raises_code("ValidationException", client.put_item, TableName=table, Item=big_name)
    assert [i["pk"] for i in ddb.items(table)] == [s("a")]


def test_conditions_on_attribute_existence(client: Any, ddb: DynamoDBBackend, table: str) -> None:
    new = {"TableName": table, "Item": {"pk": s("a"), "v": s("1")}, "ConditionExpression": "attribute_not_exists(pk)"}
    client.put_item(**new)
    error = raises_code(
        "ConditionalCheckFailedException", client.put_item, **new, ReturnValuesOnConditionCheckFailure="ALL_OLD"
    )
    assert dict(error.response).get("Item") == {"pk": s("a"), "v": s("1")}
    assert "Item" not in raises_code("ConditionalCheckFailedException", client.put_item, **new).response
    raises_code(
        "ConditionalCheckFailedException",
        client.delete_item,
        TableName=table,
        Key={"pk": s("gone")},
        ConditionExpression="attribute_exists(#k)",
        ExpressionAttributeNames={"#k": "pk"},
    )
    client.delete_item(TableName=table, Key={"pk": s("a")}, ConditionExpression="attribute_exists(v)")
    assert ddb.items(table) == []
    bad: list[tuple[dict[str, Any], str]] = [
        ({"ConditionExpression": "attribute_not_exists(status)"}, "reserved keyword: status"),
        ({"ConditionExpression": "attribute_not_exists(#s)"}, "attribute name: #s"),
        (
            {"ConditionExpression": "attribute_not_exists(pk)", "ExpressionAttributeNames": {"#s": "status"}},
            "unused in expressions: keys: {#s}",
        ),
        (
            {"ConditionExpression": "attribute_not_exists(pk)", "ExpressionAttributeValues": {":v": s("x")}},
            "unused in expressions: keys: {:v}",
        ),
        ({"ConditionExpression": "v = :v", "ExpressionAttributeValues": {":v": s("x")}}, "models only"),
        ({"ExpressionAttributeNames": {"#s": "status"}}, "can only be specified when using expressions"),
        ({"Expected": {"pk": {"Exists": False}}}, "does not model Expected"),
    ]
    for extra, words in bad:
        error = raises_code("ValidationException", client.put_item, TableName=table, Item={"pk": s("b")}, **extra)
        assert words in str(error), (extra, str(error))
    assert ddb.items(table) == []


# -- Scan ----------------------------------------------------------------------------


def scan_all(client: Any, table: str, **params: Any) -> list[dict[str, Any]]:
    pages = []
    start: dict[str, Any] | None = None
    while True:
        answer = client.scan(TableName=table, **params, **({"ExclusiveStartKey": start} if start else {}))
        assert answer["Count"] == answer["ScannedCount"] == len(answer["Items"])
        pages.append(answer)
        start = answer.get("LastEvaluatedKey")
        if start is None:
            return pages


def test_scan_pages_by_limit_in_a_hashed_order(client: Any, ddb: DynamoDBBackend, table: str) -> None:
    names = [f"item-{n:02d}" for n in range(25)]
    for name in names:
        client.put_item(TableName=table, Item={"pk": s(name)})
    pages = scan_all(client, table, Limit=10, ConsistentRead=True)
    assert [p["Count"] for p in pages] == [10, 10, 5]
    seen = [i["pk"]["S"] for p in pages for i in p["Items"]]
    assert sorted(seen) == names
    assert seen != names, "a scan is in hash order, not insertion or key order"
    # A page that ends on Limit carries LastEvaluatedKey even when nothing follows: an empty last page.
    assert [p["Count"] for p in scan_all(client, table, Limit=5)] == [5, 5, 5, 5, 5, 0]
    # The start key is a position: it works after its item is gone.
    first = client.scan(TableName=table, Limit=3)
    client.delete_item(TableName=table, Key=first["LastEvaluatedKey"])
    rest = client.scan(TableName=table, ExclusiveStartKey=first["LastEvaluatedKey"])
    assert rest["Count"] == 22
    assert "LastEvaluatedKey" not in rest
    # boto3's own paginator follows LastEvaluatedKey.
    paged = client.get_paginator("scan").paginate(TableName=table, PaginationConfig={"PageSize": 7})
    assert sum(page["Count"] for page in paged) == 24
    raises_code("ValidationException", client.scan, TableName=table, ExclusiveStartKey={"id": s("x")})
    raises_code("ValidationException", client.scan, TableName=table, FilterExpression="attribute_exists(pk)")
    raises_code("ValidationException", client.scan, TableName=table, Segment=0, TotalSegments=2)


def test_scan_pages_stop_before_one_megabyte(client: Any, ddb: DynamoDBBackend, table: str) -> None:
    for n in range(4):
        client.put_item(TableName=table, Item={"pk": s(f"big-{n}"), "blob": {"B": b"x" * 300_000}})
    client.put_item(TableName=table, Item={"pk": s("small")})
    pages = scan_all(client, table)
    assert sum(p["Count"] for p in pages) == 5
    assert [sum(item_size(i) for i in p["Items"]) <= MAX_SCAN_PAGE_BYTES for p in pages] == [True, True]


# -- Query ---------------------------------------------------------------------------


@pytest.fixture
def ranged(ddb: DynamoDBBackend) -> str:
    ddb.add_table("records", "pk", range_key="sk")
    return "records"


def query(client: Any, table: str, expression: str, **values: Any) -> list[str]:
    """The sort keys a Query answers, one page (values given as name=text, each becoming :name)."""
    answer = client.query(
        TableName=table,
        KeyConditionExpression=expression,
        ExpressionAttributeValues={f":{k}": s(v) for k, v in values.items()},
    )
    assert answer["Count"] == answer["ScannedCount"] == len(answer["Items"])
    return [item["sk"]["S"] for item in answer["Items"]]


def test_query_answers_one_partition_in_sort_key_order(client: Any, ddb: DynamoDBBackend, ranged: str) -> None:
    # UTF-8 byte order: "B" < "a" < "b" < "é"; inserted in no order at all.
    for sk in ["b", "é", "image#2", "a", "B", "image#10", "image#1"]:
        client.put_item(TableName=ranged, Item={"pk": s("stack"), "sk": s(sk), "n": {"N": "1"}})
    client.put_item(TableName=ranged, Item={"pk": s("other"), "sk": s("a")})
    everything = ["B", "a", "b", "image#1", "image#10", "image#2", "é"]
    assert query(client, ranged, "pk = :p", p="stack") == everything
    assert query(client, ranged, "pk = :p", p="nobody") == []
    assert query(client, ranged, "pk = :p AND begins_with(sk, :s)", p="stack", s="image#1") == ["image#1", "image#10"]
    assert query(client, ranged, "pk = :p and sk = :s", p="stack", s="b") == ["b"]
    assert query(client, ranged, "pk = :p AND sk < :s", p="stack", s="b") == ["B", "a"]
    assert query(client, ranged, "pk = :p AND sk <= :s", p="stack", s="b") == ["B", "a", "b"]
    assert query(client, ranged, "pk = :p AND sk > :s", p="stack", s="image#2") == ["é"]
    assert query(client, ranged, "pk = :p AND sk >= :s", p="stack", s="image#2") == ["image#2", "é"]
    assert query(client, ranged, "pk = :p AND sk BETWEEN :a AND :b", p="stack", a="a", b="image#10") == [
        "a",
        "b",
        "image#1",
        "image#10",
    ]
    # Placeholders for the names; a reserved word may only be named through one.
    placeheld = client.query(
        TableName=ranged,
        KeyConditionExpression="#p = :p AND begins_with(#s, :s)",
        ExpressionAttributeNames={"#p": "pk", "#s": "sk"},
        ExpressionAttributeValues={":p": s("stack"), ":s": s("image")},
        ScanIndexForward=False,
        ConsistentRead=True,
    )
    assert [i["sk"]["S"] for i in placeheld["Items"]] == ["image#2", "image#10", "image#1"]
    assert placeheld["Items"][0] == {"pk": s("stack"), "sk": s("image#2"), "n": {"N": "1"}}


def test_query_orders_numbers_by_value(client: Any, ddb: DynamoDBBackend) -> None:
    ddb.add_table("numbers", "pk", range_key="seq", range_type="N")
    for seq in ["10", "9", "-1", "1.5", "100"]:
        client.put_item(TableName="numbers", Item={"pk": s("x"), "seq": {"N": seq}})
    answer = client.query(
        TableName="numbers", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": s("x")}
    )
    assert [i["seq"]["N"] for i in answer["Items"]] == ["-1", "1.5", "9", "10", "100"]
    error = raises_code(
        "ValidationException",
        client.query,
        TableName="numbers",
        KeyConditionExpression="pk = :p AND begins_with(seq, :a)",
        ExpressionAttributeValues={":p": s("x"), ":a": {"N": "1"}},
    )
    assert "begins_with" in str(error), "begins_with takes no Number sort key"


def test_query_pages_by_limit_and_start_key_both_ways(client: Any, ddb: DynamoDBBackend, ranged: str) -> None:
    for n in range(7):
        client.put_item(TableName=ranged, Item={"pk": s("stack"), "sk": s(f"r{n}")})
    client.put_item(TableName=ranged, Item={"pk": s("other"), "sk": s("r0")})
    for forward, expected in ((True, [f"r{n}" for n in range(7)]), (False, [f"r{n}" for n in reversed(range(7))])):
        pages, start = [], None
        while True:
            answer = client.query(
                TableName=ranged,
                KeyConditionExpression="pk = :p",
                ExpressionAttributeValues={":p": s("stack")},
                Limit=3,
                ScanIndexForward=forward,
                **({"ExclusiveStartKey": start} if start else {}),
            )
            pages.append([i["sk"]["S"] for i in answer["Items"]])
            start = answer.get("LastEvaluatedKey")
            if start is None:
                break
            assert start == {"pk": s("stack"), "sk": s(pages[-1][-1])}, "the key of the last item read"
        assert pages == [expected[0:3], expected[3:6], expected[6:]]
    paged = client.get_paginator("query").paginate(
        TableName=ranged,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": s("stack")},
        PaginationConfig={"PageSize": 2},
    )
    assert sum(page["Count"] for page in paged) == 7
    # A page that ends on Limit answers a start key even when nothing follows.
    last = client.query(
        TableName=ranged,
        KeyConditionExpression="pk = :p AND sk >= :s",
        ExpressionAttributeValues={":p": s("stack"), ":s": s("r5")},
        Limit=2,
    )
    assert last["LastEvaluatedKey"] == {"pk": s("stack"), "sk": s("r6")}
    raises_code(
        "ValidationException",
        client.query,
        TableName=ranged,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": s("stack")},
        ExclusiveStartKey={"pk": s("other"), "sk": s("r0")},
    )


def test_query_pages_stop_before_one_megabyte(client: Any, ddb: DynamoDBBackend, ranged: str) -> None:
    for n in range(4):
        client.put_item(TableName=ranged, Item={"pk": s("p"), "sk": s(f"{n}"), "blob": {"B": b"x" * 300_000}})
    first = client.query(TableName=ranged, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": s("p")})
    assert first["Count"] == 3
    assert sum(item_size(i) for i in first["Items"]) <= MAX_SCAN_PAGE_BYTES
    rest = client.query(
        TableName=ranged,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": s("p")},
        ExclusiveStartKey=first["LastEvaluatedKey"],
    )
    assert [i["sk"]["S"] for i in rest["Items"]] == ["3"]
    assert "LastEvaluatedKey" not in rest


def test_query_of_a_table_with_only_a_partition_key(client: Any, ddb: DynamoDBBackend, table: str) -> None:
    client.put_item(TableName=table, Item={"pk": s("a"), "v": s("1")})
    client.put_item(TableName=table, Item={"pk": s("b")})
    answer = client.query(TableName=table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": s("a")})
    assert answer["Items"] == [{"pk": s("a"), "v": s("1")}]
    error = raises_code(
        "ValidationException",
        client.query,
        TableName=table,
        KeyConditionExpression="pk = :p AND sk = :s",
        ExpressionAttributeValues={":p": s("a"), ":s": s("x")},
    )
    assert "Query key condition not supported" in str(error)


P = {":p": s("stack")}
PS = {":p": s("stack"), ":s": s("x")}


@pytest.mark.parametrize(
    ("params", "values", "words"),
    [
        ({}, P, "KeyConditionExpression parameter must be specified"),
        ({"KeyConditionExpression": "sk = :s AND pk = :p"}, PS, "missed key schema element: pk"),
        ({"KeyConditionExpression": "n = :p"}, P, "missed key schema element: pk"),
        ({"KeyConditionExpression": "pk = :p AND n = :s"}, PS, "Query key condition not supported"),
        ({"KeyConditionExpression": "pk = :p AND sk <> :s"}, PS, "does not model the sort key condition"),
        ({"KeyConditionExpression": "(pk = :p)"}, P, "models only"),
        ({"KeyConditionExpression": "pk = :p AND BEGINS_WITH(sk, :s)"}, PS, "does not model the sort key condition"),
        ({"KeyConditionExpression": "pk = :q"}, P, "attribute value used in expression is not defined"),
        ({"KeyConditionExpression": "pk = :p"}, PS, "ExpressionAttributeValues unused in expressions: keys: {:s}"),
        ({"KeyConditionExpression": "#k = :p AND sk = :s"}, PS, "attribute name: #k"),
        ({"KeyConditionExpression": "pk = :p AND size = :s"}, PS, "reserved keyword: size"),
        ({"KeyConditionExpression": "pk = :p", "FilterExpression": "attribute_exists(n)"}, P, "FilterExpression"),
        ({"KeyConditionExpression": "pk = :p", "IndexName": "by-sk"}, P, "IndexName"),
        ({"KeyConditionExpression": "pk = :p", "ProjectionExpression": "sk"}, P, "ProjectionExpression"),
        ({"KeyConditionExpression": "pk = :p", "Select": "COUNT"}, P, "Select"),
    ],
)
def test_what_query_refuses(
    client: Any, ranged: str, params: dict[str, Any], values: dict[str, Any], words: str
) -> None:
    error = raises_code(
        "ValidationException", client.query, TableName=ranged, ExpressionAttributeValues=values, **params
    )
    assert words in str(error), str(error)


def test_query_values_must_have_the_key_types(client: Any, ranged: str) -> None:
    error = raises_code(
        "ValidationException",
        client.query,
        TableName=ranged,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"N": "1"}},
    )
    assert "Condition parameter type does not match schema type" in str(error)
    raises_code(
        "ValidationException",
        client.query,
        TableName=ranged,
        KeyConditionExpression="pk = :p AND sk BETWEEN :b AND :a",
        ExpressionAttributeValues={":p": s("stack"), ":a": s("a"), ":b": s("b")},
    )
    raises_code(
        "ResourceNotFoundException",
        client.query,
        TableName="missing",
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": s("a")},
    )


# -- resource-based policies -------------------------------------------------------------

ACCOUNT = "123456789012"
PROVIDER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/Provider"
GRANT: dict[str, Any] = {
    "Effect": "Allow",
    "Principal": {"AWS": PROVIDER_ROLE},
    "Action": "dynamodb:GetItem",
    "Resource": "*",
}
OPEN = {"Version": "2012-10-17", "Statement": [GRANT]}
CLOSED = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"],
            "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:PrincipalArn": PROVIDER_ROLE}},
        }
    ],
}


def test_a_resource_policy_is_put_read_replaced_and_deleted(
    client: Any, ddb: DynamoDBBackend, clock: VirtualClock, table: str
) -> None:
    arn = ddb.tables[table].arn
    raises_code("PolicyNotFoundException", client.get_resource_policy, ResourceArn=arn)
    first = client.put_resource_policy(ResourceArn=arn, Policy=json.dumps(OPEN), ExpectedRevisionId="NO_POLICY")
    revision = first["RevisionId"]
    assert client.get_resource_policy(ResourceArn=arn) | {"ResponseMetadata": None} == {
        "Policy": json.dumps(OPEN),
        "RevisionId": revision,
        "ResponseMetadata": None,
    }
    # Idempotent: the same document again answers the same revision (and is no update, so nothing blocks it).
    assert client.put_resource_policy(ResourceArn=arn, Policy=json.dumps(OPEN))["RevisionId"] == revision
    # ExpectedRevisionId: another revision, or NO_POLICY while there is one, answers PolicyNotFoundException.
    for expected in ("NO_POLICY", "1"):
        raises_code(
            "PolicyNotFoundException",
            client.put_resource_policy,
            ResourceArn=arn,
            Policy=json.dumps(CLOSED),
            ExpectedRevisionId=expected,
        )
    # Another update within 15 seconds of the last is blocked.
    blocked = raises_code(
        "ResourceInUseException", client.put_resource_policy, ResourceArn=arn, Policy=json.dumps(CLOSED)
    )
    assert "changed 0 seconds ago" in str(blocked)
    clock.advance(15)
    second = client.put_resource_policy(ResourceArn=arn, Policy=json.dumps(CLOSED), ExpectedRevisionId=revision)
    assert second["RevisionId"] != revision
    assert json.loads(client.get_resource_policy(ResourceArn=arn)["Policy"]) == CLOSED
    clock.advance(15)
    raises_code("PolicyNotFoundException", client.delete_resource_policy, ResourceArn=arn, ExpectedRevisionId=revision)
    deleted = client.delete_resource_policy(ResourceArn=arn, ExpectedRevisionId=second["RevisionId"])
    assert deleted["RevisionId"] == second["RevisionId"]
    raises_code("PolicyNotFoundException", client.get_resource_policy, ResourceArn=arn)
    # Deleting no policy succeeds, unless a revision is expected.
    assert "RevisionId" not in client.delete_resource_policy(ResourceArn=arn)
    raises_code(
        "PolicyNotFoundException", client.delete_resource_policy, ResourceArn=arn, ExpectedRevisionId="NO_POLICY"
    )
    assert ddb.tables[table].policy_document is None


def test_a_table_may_be_created_with_its_policy(client: Any, ddb: DynamoDBBackend, clock: VirtualClock) -> None:
    created = client.create_table(TableName="guarded", ResourcePolicy=json.dumps(CLOSED), **SIMPLE)
    arn = created["TableDescription"]["TableArn"]
    assert json.loads(client.get_resource_policy(ResourceArn=arn)["Policy"]) == CLOSED
    # A table still CREATING cannot have its policy changed.
    raises_code("ResourceInUseException", client.delete_resource_policy, ResourceArn=arn)
    clock.advance(15)
    client.delete_resource_policy(ResourceArn=arn)
    error = raises_code("ValidationException", client.create_table, TableName="broken", ResourcePolicy="{", **SIMPLE)
    assert "Invalid policy document" in str(error)
    assert "broken" not in ddb.tables


@pytest.mark.parametrize(
    ("policy", "words"),
    [
        ("not json", "not JSON"),
        (json.dumps({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}), "Principal"),
        (
            json.dumps({"Statement": [{**GRANT, "Principal": {"AWS": "arn:aws:iam::1:user/x"}}]}),
            "not modelled",
        ),
        (
            json.dumps({"Statement": [{**GRANT, "Condition": {"DateLessThan": {"k": "x"}}}]}),
            "DateLessThan",
        ),
    ],
)
def test_a_policy_the_emulator_cannot_judge_is_refused(
    client: Any, ddb: DynamoDBBackend, table: str, policy: str, words: str
) -> None:
    error = raises_code(
        "ValidationException", client.put_resource_policy, ResourceArn=ddb.tables[table].arn, Policy=policy
    )
    assert "Invalid policy document" in str(error)
    assert words in str(error), str(error)


def test_a_policy_is_at_most_20_kb_whitespace_counted(client: Any, ddb: DynamoDBBackend, table: str) -> None:
    arn = ddb.tables[table].arn
    text = json.dumps(OPEN)
    padded = text[:-1] + " " * (MAX_POLICY_BYTES - len(text)) + "}"
    assert len(padded) == MAX_POLICY_BYTES
    client.put_resource_policy(ResourceArn=arn, Policy=padded)
    ddb.tables[table].policy_changed_at = None
    error = raises_code("ValidationException", client.put_resource_policy, ResourceArn=arn, Policy=" " + padded)
    assert "maximum size of 20 KB" in str(error)


def test_the_resource_arn_of_a_policy(client: Any, ddb: DynamoDBBackend, table: str) -> None:
    arn = ddb.tables[table].arn
    raises_code("ResourceNotFoundException", client.get_resource_policy, ResourceArn=arn.replace(table, "gone"))
    raises_code(
        "ResourceNotFoundException", client.get_resource_policy, ResourceArn=arn.replace(ACCOUNT, "444455556666")
    )
    stream = raises_code(
        "ValidationException", client.get_resource_policy, ResourceArn=f"{arn}/stream/2024-01-01T00:00:00.000"
    )
    assert "streams" in str(stream)
    raises_code("ValidationException", client.get_resource_policy, ResourceArn=f"{arn}/index/by-sk")
    raises_code("ValidationException", client.get_resource_policy, ResourceArn="arn:aws:s3:::bucket")


# -- the model is the judge ----------------------------------------------------------


def test_every_response_validates_against_botocores_output_shape(clock: VirtualClock) -> None:
    ddb = DynamoDBBackend(clock, create_seconds=0, check_responses=False)
    answers: list[tuple[str, dict[str, Any]]] = []

    def call(operation: str, **params: Any) -> dict[str, Any]:
        answer = ddb.handle(operation, params)
        answers.append((operation, answer))
        return answer

    units = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    call("CreateTable", TableName="prov", ProvisionedThroughput=units, **{**SIMPLE, "BillingMode": "PROVISIONED"})
    call("CreateTable", TableName="tab", **SIMPLE)
    call("DescribeTable", TableName="tab")
    call("UpdateTimeToLive", TableName="tab", TimeToLiveSpecification={"AttributeName": "ttl", "Enabled": True})
    call("DescribeTimeToLive", TableName="tab")
    call("PutItem", TableName="tab", Item={"pk": s("a"), "n": {"N": "1"}})
    call("PutItem", TableName="tab", Item={"pk": s("a")}, ReturnValues="ALL_OLD")
    call("GetItem", TableName="tab", Key={"pk": s("a")})
    call("GetItem", TableName="tab", Key={"pk": s("b")})
    call("Scan", TableName="tab", Limit=1)
    call("Query", TableName="tab", KeyConditionExpression="pk = :a", ExpressionAttributeValues={":a": s("a")}, Limit=1)
    revision = call("PutResourcePolicy", ResourceArn=ddb.tables["tab"].arn, Policy=json.dumps(OPEN))["RevisionId"]
    call("GetResourcePolicy", ResourceArn=ddb.tables["tab"].arn)
    clock.advance(15)
    call("DeleteResourcePolicy", ResourceArn=ddb.tables["tab"].arn, ExpectedRevisionId=revision)
    call("DeleteResourcePolicy", ResourceArn=ddb.tables["tab"].arn)
    call("DeleteItem", TableName="tab", Key={"pk": s("a")}, ReturnValues="ALL_OLD")
    call("DeleteTable", TableName="tab")
    validator = ParamValidator()
    for operation, answer in answers:
        shape = service_model("dynamodb").operation_model(operation).output_shape
        assert shape is not None
        report = validator.validate(answer, shape)
        assert not report.has_errors(), (operation, report.generate_report())
        ddb.check_response(operation, answer)
    assert len({op for op, _ in answers}) == 13


# -- transports ----------------------------------------------------------------------


@pytest.fixture
def server(ddb: DynamoDBBackend, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with serve([ddb]) as running:
        for key, value in running.environ().items():
            monkeypatch.setenv(key, value)
        yield running
    assert running.failures == []


def test_http_server_speaks_json_1_0_with_a_crc32_to_an_unmodified_boto3(server: Any, ddb: DynamoDBBackend) -> None:
    # botocore names the variable after the service id "DynamoDB".
    assert server.environ() == {"AWS_ENDPOINT_URL_DYNAMODB": server.url}
    dynamodb = boto3.client("dynamodb", config=RETRIES)
    assert dynamodb.meta.endpoint_url == server.url
    ddb.add_table("watch")
    answer = dynamodb.put_item(TableName="watch", Item={"pk": s("a")})
    headers = answer["ResponseMetadata"]["HTTPHeaders"]
    assert headers["content-type"] == "application/x-amz-json-1.0"
    assert "x-amz-crc32" in headers
    assert answer["ResponseMetadata"]["RetryAttempts"] == 0, "botocore retries a DynamoDB answer whose CRC32 is wrong"
    assert dynamodb.scan(TableName="watch")["Items"] == [{"pk": s("a")}]
    raises_code("ResourceNotFoundException", dynamodb.get_item, TableName="other", Key={"pk": s("a")})
