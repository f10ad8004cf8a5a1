"""EventBridge's PutEvents and the rules whose event patterns match what is put, through an unmodified boto3.

Sources: https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html and its entry shapes, the
user guide's event pattern pages (cited in aws_emulator/event_patterns.py). The IAM side of PutEvents is in
test_access_control.py.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from support.emulator import attached, code_of

from aws_emulator import EventBridgeBackend, VirtualClock
from aws_emulator.event_patterns import fill, json_path, matches, parse_pattern

SOURCE = "cdk-workspaces-image"
FUNCTION = "arn:aws:lambda:eu-west-1:123456789012:function:monitor"
TOPIC = "arn:aws:sns:eu-west-1:123456789012:alerts"


@pytest.fixture
def events(clock: VirtualClock) -> EventBridgeBackend:
    return EventBridgeBackend(clock)


@pytest.fixture
def eb(events: EventBridgeBackend) -> Any:
    return attached("events", events)


def entry(detail: Any = None, detail_type: str = "WorkSpaces Image Available", **extra: Any) -> dict[str, Any]:
    shown = {"StackId": "arn:stack/S/1", "LogicalId": "Image", "ImageId": "wsi-1"} if detail is None else detail
    return {"Source": SOURCE, "DetailType": detail_type, "Detail": json.dumps(shown), **extra}


# -- PutEvents ------------------------------------------------------------------------------------------------


def test_each_event_gets_an_id_and_is_kept_in_order_with_its_time(
    eb: Any, events: EventBridgeBackend, clock: VirtualClock
) -> None:
    answer = eb.put_events(Entries=[entry(), entry(detail_type="WorkSpaces Image Failed", Resources=["arn:x"])])
    assert answer["FailedEntryCount"] == 0
    ids = [e["EventId"] for e in answer["Entries"]]
    assert len(set(ids)) == 2
    assert [p.event_id for p in events.events_put] == ids
    first, second = events.events_put
    assert (first.at, first.source, first.detail_type) == (clock.now(), SOURCE, "WorkSpaces Image Available")
    assert first.detail == {"StackId": "arn:stack/S/1", "LogicalId": "Image", "ImageId": "wsi-1"}
    credentials = boto3.Session().get_credentials()
    assert credentials is not None
    assert first.caller == credentials.access_key, "who put it: the access key id it was signed with"
    # The event as rules and targets see it (user guide, "Amazon EventBridge events").
    assert second.event == {
        "version": "0",
        "id": ids[1],
        "detail-type": "WorkSpaces Image Failed",
        "source": SOURCE,
        "account": "123456789012",
        "time": "2024-01-01T00:00:00Z",
        "region": "eu-west-1",
        "resources": ["arn:x"],
        "detail": first.detail,
    }
    later = datetime.datetime(2024, 3, 1, 12, 0, tzinfo=datetime.UTC)
    eb.put_events(Entries=[entry(Time=later, EventBusName="default")])
    assert events.events_put[-1].event["time"] == "2024-03-01T12:00:00Z", "an entry's Time is the event's time"
    assert events.events_put[-1].at == clock.now(), "when it was put stays the clock's"
    events.handle("PutEvents", {"Entries": [entry()]})
    assert events.events_put[-1].caller is None, "straight through handle: no caller"


def test_an_incomplete_or_malformed_entry_fails_alone(eb: Any, events: EventBridgeBackend) -> None:
    bus_arn = "arn:aws:events:eu-west-1:123456789012:event-bus/default"
    answer = eb.put_events(
        Entries=[
            entry(),
            {"Source": SOURCE, "DetailType": "x"},
            entry(detail=["not", "an", "object"]),
            {**entry(), "Detail": "{not json"},
            entry(EventBusName="other"),
            entry(EventBusName=bus_arn),
        ]
    )
    assert answer["FailedEntryCount"] == 4
    codes = [e.get("ErrorCode") for e in answer["Entries"]]
    assert codes == [None, "InvalidArgument", "MalformedDetail", "MalformedDetail", "InvalidArgument", None]
    assert "Detail" in answer["Entries"][1]["ErrorMessage"]
    assert all(("EventId" in e) != ("ErrorCode" in e) for e in answer["Entries"])
    assert len(events.events_put) == 2


def test_a_request_no_entry_of_which_is_complete_fails_whole(eb: Any, events: EventBridgeBackend) -> None:
    # API_PutEventsRequestEntry: "If you submit a request in which none of the entries have each of these
    # properties, EventBridge fails the entire request."
    assert code_of(eb.put_events, Entries=[{"Source": SOURCE, "DetailType": "x"}]) == "ValidationException"
    # The model: 1 to 10 entries (botocore checks the minimum itself; the backend checks both).
    assert code_of(eb.put_events, Entries=[entry()] * 11) == "ValidationException"
    with pytest.raises(Exception, match="length"):
        events.handle("PutEvents", {"Entries": []})
    big = entry(detail={"x": "y" * (256 * 1024)})
    assert code_of(eb.put_events, Entries=[big]) == "ValidationException"
    assert events.events_put == []


# -- rules with event patterns --------------------------------------------------------------------------------

PATTERN = {
    "source": [SOURCE],
    "detail-type": ["WorkSpaces Image Available", "WorkSpaces Image Failed"],
    "detail": {"StackId": ["arn:stack/S/1"], "LogicalId": ["Image"]},
}


def rule_with(eb: Any, name: str, pattern: dict[str, Any], *targets: dict[str, Any], state: str = "ENABLED") -> None:
    eb.put_rule(Name=name, EventPattern=json.dumps(pattern), State=state)
    if targets:
        eb.put_targets(Rule=name, Targets=list(targets))


def test_a_matching_event_is_delivered_to_each_target_of_each_enabled_rule(
    eb: Any, events: EventBridgeBackend, clock: VirtualClock
) -> None:
    rule_with(eb, "image", PATTERN, {"Id": "fn", "Arn": FUNCTION}, {"Id": "topic", "Arn": TOPIC})
    rule_with(eb, "paused", PATTERN, {"Id": "fn", "Arn": FUNCTION}, state="DISABLED")
    rule_with(eb, "other-stack", {**PATTERN, "detail": {"StackId": ["arn:stack/T/2"]}}, {"Id": "fn", "Arn": FUNCTION})
    rule_with(eb, "no-targets", PATTERN)
    eb.put_events(Entries=[entry(), entry(detail_type="WorkSpaces Image Retention")])
    (put, unmatched) = events.events_put
    assert [(d.rule, d.target_id, d.arn) for d in events.deliveries] == [
        ("image", "fn", FUNCTION),
        ("image", "topic", TOPIC),
    ]
    assert all(d.event == put.event and d.event_id == put.event_id and d.at == clock.now() for d in events.deliveries)
    # The deliveries are due at once, each returned once, with the rules' schedules.
    assert events.next_due() == clock.now()
    assert [d.target_id for d in events.due()] == ["fn", "topic"]
    assert events.due() == []
    assert events.next_due() is None
    assert unmatched.event_id not in {d.event_id for d in events.deliveries}


def test_pattern_matching() -> None:
    event = {
        "source": SOURCE,
        "detail-type": "WorkSpaces Image Available",
        "resources": ["arn:a", "arn:b"],
        "detail": {"ImageId": "wsi-123", "Count": 1, "Kept": None, "Flag": True, "Inner": {"Name": "x"}},
    }

    def check(pattern: dict[str, Any]) -> bool:
        parsed, problem = parse_pattern(json.dumps(pattern))
        assert problem is None, problem
        assert parsed is not None
        return matches(parsed, event)

    assert check({"source": [SOURCE, "other"]})
    assert not check({"source": ["other"]})
    assert check({"resources": ["arn:b", "arn:z"]}), "an event array matches when the intersection is non-empty"
    assert not check({"resources": ["arn:z"]})
    assert check({"detail": {"ImageId": [{"prefix": "wsi-"}]}})
    assert not check({"detail": {"ImageId": [{"prefix": "wsb-"}]}})
    assert check({"detail": {"ImageId": [{"exists": True}], "Missing": [{"exists": False}]}})
    assert not check({"detail": {"Missing": [{"exists": True}]}})
    assert not check({"detail": {"Inner": [{"exists": True}]}}), "exists works on leaf nodes only"
    assert check({"nowhere": {"deep": [{"exists": False}]}})
    assert check({"detail": {"Count": [1], "Kept": [None], "Flag": [True]}})
    assert not check({"detail": {"Count": [1.0]}})
    assert not check({"detail": {"Count": ["1"]}})
    assert not check({"detail": {"Flag": [1]}}), "true is not 1"
    assert check({"detail": {"Inner": {"Name": ["x"]}}})
    assert not check({"detail": {"Missing": ["x"]}}), "the event must have every field the pattern names"
    assert not check({"detail": {"ImageId": {"Deeper": ["x"]}}})


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("{not json", "not JSON"),
        ("[]", "non-empty object"),
        ("{}", "non-empty object"),
        ('{"source": "x"}', "must be an object or an array"),
        ('{"source": []}', "empty array"),
        ('{"source": [["x"]]}', "cannot hold an array"),
        ('{"detail": {"n": [{"numeric": [">", 0]}]}}', "'numeric' operator is not modelled"),
        ('{"state": [{"anything-but": "x"}]}', "'anything-but' operator is not modelled"),
        ('{"$or": [{"a": ["b"]}]}', "$or is not modelled"),
        ('{"a": [{"prefix": 1}]}', "prefix takes a string"),
        ('{"a": [{"exists": "yes"}]}', "exists takes a boolean"),
        ('{"a": [{"prefix": "x", "exists": true}]}', "exactly one operator"),
    ],
)
def test_patterns_the_emulator_does_not_model_are_refused_at_put_rule(eb: Any, pattern: str, reason: str) -> None:
    with pytest.raises(ClientError) as caught:
        eb.put_rule(Name="r", EventPattern=pattern)
    assert caught.value.response["Error"]["Code"] == "InvalidEventPatternException"
    assert reason in caught.value.response["Error"]["Message"]


def test_what_each_target_receives(eb: Any, events: EventBridgeBackend) -> None:
    transformer = {
        "InputPathsMap": {"image": "$.detail.ImageId", "first": "$.resources[0]", "gone": "$.detail.Nope"},
        "InputTemplate": '"Image <image> of <aws.events.rule-name> (<first>)<gone>"',
    }
    as_json = {
        "InputPathsMap": {"detail": "$.detail", "image": "$.detail.ImageId"},
        "InputTemplate": '{"d": <detail>, "i": "<image>", "missing": <nope>, "rule": "<aws.events.rule-arn>"}',
    }
    rule_with(
        eb,
        "image",
        PATTERN,
        {"Id": "whole", "Arn": FUNCTION},
        {"Id": "input", "Arn": FUNCTION, "Input": '{"fixed": true}'},
        {"Id": "path", "Arn": FUNCTION, "InputPath": "$.detail"},
        {"Id": "text", "Arn": TOPIC, "InputTransformer": transformer},
        {"Id": "json", "Arn": FUNCTION, "InputTransformer": as_json},
    )
    eb.put_events(Entries=[entry(Resources=["arn:r"])])
    (put,) = events.events_put
    sent = {d.target_id: d.event for d in events.deliveries}
    assert sent["whole"] == put.event
    assert sent["input"] == {"fixed": True}
    assert sent["path"] == put.detail
    assert sent["text"] == "Image wsi-1 of image (arn:r)"
    # <nope> is no variable: it stays as written, and the template is then not JSON: sent as text.
    assert isinstance(sent["json"], str)
    assert '"i": "wsi-1"' in sent["json"]
    assert fill('{"d": <d>, "i": "<i>", "n": <n>}', {"d": {"a": 1}, "i": 'say "hi"', "n": 2}) == {
        "d": {"a": 1},
        "i": 'say "hi"',
        "n": 2,
    }
    assert json_path("$") == ()
    assert json_path("$.detail.a-b[2]") == ("detail", "a-b", 2)
    assert json_path("$.detail.*") is None
    with pytest.raises(ClientError, match="is not modelled"):
        eb.put_targets(Rule="image", Targets=[{"Id": "wild", "Arn": FUNCTION, "InputPath": "$.detail.*"}])


def test_a_schedule_sends_the_scheduled_event_or_its_input(
    eb: Any, events: EventBridgeBackend, clock: VirtualClock
) -> None:
    start = clock.now()
    eb.put_rule(Name="daily", ScheduleExpression="rate(1 day)")
    eb.put_targets(
        Rule="daily",
        Targets=[{"Id": "plain", "Arn": FUNCTION}, {"Id": "tick", "Arn": FUNCTION, "Input": '{"Tick": 1}'}],
    )
    clock.advance(86400)
    plain, tick = events.due()
    assert tick.event == {"Tick": 1}
    # The user guide's "Scheduled Event" (eb-run-lambda-schedule.html).
    assert plain.event == {
        "version": "0",
        "id": plain.event_id,
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": datetime.datetime.fromtimestamp(start + 86400, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "eu-west-1",
        "resources": ["arn:aws:events:eu-west-1:123456789012:rule/daily"],
        "detail": {},
    }
    assert events.deliveries == [], "deliveries lists what put events delivered"


# -- custom event buses ---------------------------------------------------------------------------------------
# API_CreateEventBus, API_DescribeEventBus, API_DeleteEventBus, API_PutPermission, API_RemovePermission.

NEWS = "arn:aws:events:eu-west-1:123456789012:event-bus/news"


def test_a_custom_bus_is_created_described_and_deleted(eb: Any, events: EventBridgeBackend) -> None:
    made = eb.create_event_bus(Name="news", Description="the library's news", Tags=[{"Key": "team", "Value": "euc"}])
    assert made["EventBusArn"] == NEWS
    assert made["Description"] == "the library's news"
    described = eb.describe_event_bus(Name="news")
    assert (described["Name"], described["Arn"], described["Description"]) == ("news", NEWS, "the library's news")
    assert "Policy" not in described, "a new bus has no policy"
    assert eb.describe_event_bus(Name=NEWS)["Name"] == "news", "by ARN too"
    assert eb.describe_event_bus()["Name"] == "default", "without a name: the default bus"
    assert code_of(eb.create_event_bus, Name="news") == "ResourceAlreadyExistsException"
    assert code_of(eb.create_event_bus, Name="default") == "ValidationException"
    assert code_of(eb.create_event_bus, Name="a/b") == "ValidationException", "no / in a custom bus's name"
    assert code_of(eb.describe_event_bus, Name="nothing") == "ResourceNotFoundException"
    other = "arn:aws:events:eu-west-1:999999999999:event-bus/news"
    assert code_of(eb.describe_event_bus, Name=other) == "ResourceNotFoundException", "another account's bus"
    eb.delete_event_bus(Name="news")
    assert "news" not in events.buses
    eb.delete_event_bus(Name="news")  # gone already: no error (the page lists no ResourceNotFoundException)
    assert code_of(eb.delete_event_bus, Name="default") == "ValidationException"


def test_rules_belong_to_their_bus_and_hear_only_its_events(eb: Any, events: EventBridgeBackend) -> None:
    eb.create_event_bus(Name="news")
    rule_with(eb, "image", PATTERN, {"Id": "fn", "Arn": FUNCTION})
    arn = eb.put_rule(Name="image", EventPattern=json.dumps(PATTERN), EventBusName="news")["RuleArn"]
    assert arn == "arn:aws:events:eu-west-1:123456789012:rule/news/image", "rule/<bus>/<name> on a custom bus"
    eb.put_targets(Rule="image", EventBusName=NEWS, Targets=[{"Id": "topic", "Arn": TOPIC}])
    assert list(events.rules) == ["image"], "events.rules are the default bus's"
    assert list(events.buses["news"].rules) == ["image"]
    assert eb.describe_rule(Name="image", EventBusName="news")["EventBusName"] == "news"
    assert [r["Arn"] for r in eb.list_rules(EventBusName="news")["Rules"]] == [arn]
    assert eb.list_targets_by_rule(Rule="image", EventBusName="news")["Targets"] == [{"Id": "topic", "Arn": TOPIC}]
    eb.put_events(Entries=[entry(EventBusName="news")])
    eb.put_events(Entries=[entry()])
    on_news, on_default = events.events_put
    assert (on_news.bus, on_default.bus) == ("news", "default")
    assert [(d.rule, d.target_id, d.event_id) for d in events.deliveries] == [
        ("image", "topic", on_news.event_id),
        ("image", "fn", on_default.event_id),
    ], "each event reaches the rules of its own bus only"
    assert code_of(eb.put_rule, Name="tick", ScheduleExpression="rate(1 minute)", EventBusName="news") == (
        "ValidationException"
    ), "schedules run on the default bus"
    missing = eb.put_events(Entries=[entry(EventBusName="nothing")])
    assert missing["Entries"][0]["ErrorCode"] == "InvalidArgument", "a bus that does not exist fails its entry"
    assert code_of(eb.put_rule, Name="x", EventPattern=json.dumps(PATTERN), EventBusName="nothing") == (
        "ResourceNotFoundException"
    )
    # API_DeleteEventBus: "All rules associated with this event bus need to be deleted".
    assert code_of(eb.delete_event_bus, Name="news") == "ValidationException"
    eb.remove_targets(Rule="image", EventBusName="news", Ids=["topic"])
    eb.delete_rule(Name="image", EventBusName="news")
    eb.delete_event_bus(Name="news")
    assert list(events.rules) == ["image"], "the default bus's rule of the same name is untouched"


def test_the_other_reading_deletes_a_bus_with_its_rules(clock: VirtualClock) -> None:
    """The user guide's "Deleting an event bus": "Deleting an event bus deletes the rules associated with that event
    bus"."""
    events = EventBridgeBackend(clock, delete_bus_with_rules=True)
    eb = attached("events", events)
    eb.create_event_bus(Name="news")
    eb.put_rule(Name="image", EventPattern=json.dumps(PATTERN), EventBusName="news")
    eb.delete_event_bus(Name="news")
    assert list(events.buses) == ["default"]


ONLY_THE_PROVIDER = {
    "Sid": "OnlyTheProvider",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "events:PutEvents",
    "Resource": NEWS,
    "Condition": {
        "ForAnyValue:StringEquals": {"events:source": [SOURCE]},
        "StringNotEquals": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/Provider"},
    },
}


def test_a_bus_policy_is_put_whole_or_a_statement_at_a_time_and_removed(
    eb: Any, events: EventBridgeBackend, clock: VirtualClock
) -> None:
    eb.create_event_bus(Name="news")
    created = eb.describe_event_bus(Name="news")["LastModifiedTime"]
    clock.advance(60)
    policy = json.dumps({"Version": "2012-10-17", "Statement": [ONLY_THE_PROVIDER]})
    eb.put_permission(EventBusName="news", Policy=policy)
    described = eb.describe_event_bus(Name="news")
    assert described["Policy"] == policy, "the policy as it was put"
    assert described["LastModifiedTime"] > created
    # StatementId, Action, Principal (and Condition) add one Allow statement of that Sid.
    eb.put_permission(EventBusName="news", StatementId="Partner", Action="events:PutEvents", Principal="444455556666")
    document = json.loads(eb.describe_event_bus(Name="news")["Policy"])
    assert [s["Sid"] for s in document["Statement"]] == ["OnlyTheProvider", "Partner"]
    assert document["Statement"][1] == {
        "Sid": "Partner",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
        "Action": "events:PutEvents",
        "Resource": NEWS,
    }
    eb.remove_permission(EventBusName="news", StatementId="Partner")
    assert [s["Sid"] for s in json.loads(events.buses["news"].policy or "")["Statement"]] == ["OnlyTheProvider"]
    assert code_of(eb.remove_permission, EventBusName="news", StatementId="Partner") == "ResourceNotFoundException"
    eb.remove_permission(EventBusName="news", RemoveAllPermissions=True)
    assert "Policy" not in eb.describe_event_bus(Name="news"), "no statement left: no policy"
    assert code_of(eb.put_permission, EventBusName="nothing", Policy=policy) == "ResourceNotFoundException"


def test_a_bus_policy_the_evaluator_cannot_judge_or_too_long_is_refused(eb: Any) -> None:
    eb.create_event_bus(Name="news")
    unjudgeable = {**ONLY_THE_PROVIDER, "Condition": {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}}
    bad = json.dumps({"Version": "2012-10-17", "Statement": [unjudgeable]})
    assert code_of(eb.put_permission, EventBusName="news", Policy=bad) == "ValidationException"
    assert code_of(eb.put_permission, EventBusName="news", Policy="not json") == "ValidationException"
    # API_PutPermission: "The permission policy on the event bus cannot exceed 10 KB in size".
    long = {**ONLY_THE_PROVIDER, "Sid": "x" * (10 * 1024)}
    too_long = json.dumps({"Version": "2012-10-17", "Statement": [long]})
    assert code_of(eb.put_permission, EventBusName="news", Policy=too_long) == "PolicyLengthExceededException"
