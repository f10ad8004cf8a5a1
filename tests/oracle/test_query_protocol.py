"""The AWS query protocol of the emulator (aws_emulator.query), checked against botocore's own serializer and parser:
what botocore writes is read back, what the emulator writes botocore reads."""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import urlencode

import botocore.session
import pytest
from botocore.model import OperationModel, ServiceModel
from botocore.parsers import QueryParser
from botocore.serialize import create_serializer

from aws_emulator.query import error_xml, form_fields, read_params, result_xml

T = datetime.datetime(2026, 11, 26, 9, 30, 15, 250000, tzinfo=datetime.UTC)


def operation(service: str, name: str) -> OperationModel:
    return botocore.session.get_session().get_service_model(service).operation_model(name)


# A made-up query service with what the real models here lack: flattened lists and maps, both ways.
FLAT = ServiceModel(
    {
        "metadata": {
            "protocol": "query",
            "apiVersion": "2026-01-01",
            "xmlNamespace": "urn:flat",
            "endpointPrefix": "x",
        },
        "operations": {
            "Flat": {
                "name": "Flat",
                "http": {"method": "POST", "requestUri": "/"},
                "input": {"shape": "FlatRequest"},
                "output": {"shape": "FlatResult", "resultWrapper": "FlatResult"},
            }
        },
        "shapes": {
            "FlatRequest": {
                "type": "structure",
                "members": {"Names": {"shape": "Names"}, "Pairs": {"shape": "Pairs"}, "Count": {"shape": "Count"}},
            },
            "FlatResult": {
                "type": "structure",
                "members": {"Names": {"shape": "Names"}, "Pairs": {"shape": "Pairs"}, "Ok": {"shape": "Flag"}},
            },
            "Names": {"type": "list", "member": {"shape": "Name", "locationName": "Name"}, "flattened": True},
            "Pairs": {"type": "map", "key": {"shape": "Name"}, "value": {"shape": "Name"}, "flattened": True},
            "Name": {"type": "string"},
            "Count": {"type": "integer"},
            "Flag": {"type": "boolean"},
        },
    },
    "flat",
)


def sent(model: OperationModel, params: dict[str, Any]) -> dict[str, Any]:
    """What the emulator reads from botocore's request for `params`."""
    request = create_serializer("query").serialize_to_request(params, model)
    fields = form_fields(urlencode(request["body"]).encode())
    assert (fields["Action"], fields["Version"]) == (model.name, model.metadata["apiVersion"])
    return read_params(fields, model.input_shape)


def read_by_botocore(model: OperationModel, body: bytes, status: int = 200) -> dict[str, Any]:
    """What botocore's QueryParser makes of an answer (an error's shape is None to it)."""
    parser: Any = QueryParser()  # its stubs want a Shape even for an error
    answer: dict[str, Any] = parser.parse(
        {"body": body, "headers": {}, "status_code": status}, model.output_shape if status == 200 else None
    )
    return answer


def parsed(model: OperationModel, body: bytes, status: int = 200) -> dict[str, Any]:
    answer = read_by_botocore(model, body, status)
    answer.pop("ResponseMetadata")
    return answer


@pytest.mark.parametrize(
    ("service", "name", "params"),
    [
        (
            "cloudformation",
            "CreateStack",
            {
                "StackName": "S",
                "Parameters": [
                    {"ParameterKey": "K", "ParameterValue": "v"},
                    {"ParameterKey": "L", "UsePreviousValue": True},
                ],
                "Capabilities": [],
                "Tags": [{"Key": "team", "Value": "euc"}],
                "TimeoutInMinutes": 5,
                "DisableRollback": False,
            },
        ),
        ("cloudformation", "DescribeStackResources", {"StackName": "S", "LogicalResourceId": "R"}),
        ("sns", "CreatePlatformApplication", {"Name": "n", "Platform": "GCM", "Attributes": {"A": "1", "B": "2"}}),
        ("flat", "Flat", {"Names": ["a", "b"], "Pairs": {"k": "v"}, "Count": 3}),
    ],
)
def test_a_request_botocore_writes_is_read_back_whole(service: str, name: str, params: dict[str, Any]) -> None:
    model = FLAT.operation_model(name) if service == "flat" else operation(service, name)
    assert sent(model, params) == params


def test_an_unparsable_scalar_is_kept_as_sent_for_validation_to_report() -> None:
    model = operation("cloudformation", "CreateStack")
    fields = {"Action": "CreateStack", "StackName": "S", "TimeoutInMinutes": "soon", "DisableRollback": "maybe"}
    assert read_params(fields, model.input_shape) == {
        "StackName": "S",
        "TimeoutInMinutes": "soon",
        "DisableRollback": "maybe",
    }


@pytest.mark.parametrize(
    ("service", "name", "result"),
    [
        (
            "cloudformation",
            "DescribeStacks",
            {
                "Stacks": [
                    {
                        "StackId": "arn:aws:cloudformation:eu-west-1:111122223333:stack/S/guid",
                        "StackName": "S",
                        "CreationTime": T,
                        "StackStatus": "UPDATE_ROLLBACK_IN_PROGRESS",
                        "StackStatusReason": 'R: <failed> & "quoted"',
                        "DisableRollback": False,
                        "Outputs": [{"OutputKey": "A", "OutputValue": "1"}],
                    }
                ],
                "NextToken": "next",
            },
        ),
        (
            "cloudformation",
            "DescribeStackResource",
            {
                "StackResourceDetail": {
                    "StackName": "S",
                    "LogicalResourceId": "R",
                    "PhysicalResourceId": "id-1",
                    "ResourceType": "Custom::Thing",
                    "LastUpdatedTimestamp": T,
                    "ResourceStatus": "DELETE_IN_PROGRESS",
                }
            },
        ),
        ("cloudformation", "ListStackResources", {"StackResourceSummaries": []}),
        (
            "ses",
            "GetIdentityDkimAttributes",
            {
                "DkimAttributes": {
                    "a.example": {"DkimEnabled": True, "DkimVerificationStatus": "Success", "DkimTokens": ["t1", "t2"]}
                }
            },
        ),
        ("flat", "Flat", {"Names": ["a"], "Pairs": {"k": "v", "l": "w"}, "Ok": True}),
    ],
)
def test_an_answer_the_emulator_writes_is_read_by_botocore_whole(
    service: str, name: str, result: dict[str, Any]
) -> None:
    model = FLAT.operation_model(name) if service == "flat" else operation(service, name)
    body = result_xml(model, result, "request-1")
    assert parsed(model, body) == result
    assert read_by_botocore(model, body)["ResponseMetadata"]["RequestId"] == "request-1"


def test_epoch_seconds_are_written_as_iso_8601() -> None:
    model = operation("cloudformation", "DescribeStacks")
    stack = {"StackName": "S", "CreationTime": T.timestamp(), "StackStatus": "CREATE_COMPLETE"}
    body = result_xml(model, {"Stacks": [stack]}, "r")
    assert b"<CreationTime>2026-11-26T09:30:15.250Z</CreationTime>" in body
    assert parsed(model, body)["Stacks"][0]["CreationTime"] == T


def test_an_error_is_read_by_botocore_with_its_code_message_and_type() -> None:
    model = operation("cloudformation", "DescribeStacks")
    body = error_xml("ValidationError", "Stack with id S does not exist", 400, "request-2", "urn:ns")
    answer = read_by_botocore(model, body, 400)
    assert answer["Error"] == {"Type": "Sender", "Code": "ValidationError", "Message": "Stack with id S does not exist"}
    assert answer["ResponseMetadata"]["RequestId"] == "request-2"
    assert parsed(model, error_xml("InternalFailure", "x", 500, "r"), 500)["Error"]["Type"] == "Receiver"
