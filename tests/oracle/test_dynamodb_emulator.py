"""The local DynamoDB emulator, reached by an unmodified boto3 (AWS JSON 1.0). No sleeping: virtual time."""

from __future__ import annotations

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
from aws_emulator.dynamodb import MAX_ITEM_BYTES, MAX_SCAN_PAGE_BYTES, item_size
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
    call("DeleteItem", TableName="tab", Key={"pk": s("a")}, ReturnValues="ALL_OLD")
    call("DeleteTable", TableName="tab")
    validator = ParamValidator()
    for operation, answer in answers:
        shape = service_model("dynamodb").operation_model(operation).output_shape
        assert shape is not None
        report = validator.validate(answer, shape)
        assert not report.has_errors(), (operation, report.generate_report())
        ddb.check_response(operation, answer)
    assert len({op for op, _ in answers}) == 9


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
