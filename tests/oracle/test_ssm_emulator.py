"""The local SSM Parameter Store: PutParameter, GetParameter and DeleteParameter through an unmodified boto3,
in-process and over the endpoint LocalCloud gives a hosted Lambda. Sources:
https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html,
https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameter.html."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from support.emulator import attached, code_of

from aws_emulator import SSMBackend, VirtualClock
from cfn_driver.cloud import ACCOUNT, REGION, LocalCloud


@pytest.fixture
def ssm(clock: VirtualClock) -> SSMBackend:
    return SSMBackend(clock)


@pytest.fixture
def client(ssm: SSMBackend) -> Any:
    return attached("ssm", ssm)


def test_a_put_parameter_is_read_back_and_each_overwrite_is_a_new_version(
    client: Any, ssm: SSMBackend, clock: VirtualClock
) -> None:
    assert code_of(client.get_parameter, Name="/golden/image-id") == "ParameterNotFound"
    first = client.put_parameter(Name="/golden/image-id", Value="wsi-1", Type="String", Description="the image")
    assert (first["Version"], first["Tier"]) == (1, "Standard")
    clock.advance(60)
    again = client.put_parameter(Name="/golden/image-id", Value="wsi-2", Overwrite=True)  # no Type needed to update
    assert (again["Version"], again["Tier"]) == (2, "Standard")
    parameter = client.get_parameter(Name="/golden/image-id", WithDecryption=True)["Parameter"]
    assert {k: v for k, v in parameter.items() if k != "LastModifiedDate"} == {
        "Name": "/golden/image-id",
        "Type": "String",
        "Value": "wsi-2",
        "Version": 2,
        "ARN": "arn:aws:ssm:eu-west-1:123456789012:parameter/golden/image-id",
        "DataType": "text",
    }
    assert parameter["LastModifiedDate"] == datetime.datetime.fromtimestamp(clock.now(), tz=datetime.UTC)
    assert ssm.parameters["/golden/image-id"].description == "the image", "an overwrite keeps the description"
    assert ssm.value("/golden/image-id") == "wsi-2"


def test_an_existing_name_needs_overwrite_and_a_new_one_a_type(client: Any, ssm: SSMBackend) -> None:
    ssm.put("/golden/image-id", "wsi-1")
    assert code_of(client.put_parameter, Name="/golden/image-id", Value="wsi-2", Type="String") == (
        "ParameterAlreadyExists"
    )
    assert code_of(client.put_parameter, Name="/golden/other", Value="x") == "ValidationException"
    assert ssm.value("/golden/image-id") == "wsi-1"
    assert "/golden/other" not in ssm.store


def test_a_one_level_name_with_a_leading_slash_is_the_name_without_it(client: Any, ssm: SSMBackend) -> None:
    """Observed, undocumented: "If a single name is passed with a leading slash, the AWS API normalizes it to the
    name without the slash" (hashicorp/terraform-provider-aws#49116); moto does the same."""
    client.put_parameter(Name="image-id", Value="plain", Type="String")
    assert code_of(client.put_parameter, Name="/image-id", Value="slashed", Type="String") == "ParameterAlreadyExists"
    client.put_parameter(Name="/image-id", Value="slashed", Overwrite=True)
    plain = client.get_parameter(Name="image-id")["Parameter"]
    assert plain == client.get_parameter(Name="/image-id")["Parameter"]
    assert (plain["Name"], plain["Value"], plain["Version"]) == ("image-id", "slashed", 2)
    assert plain["ARN"] == "arn:aws:ssm:eu-west-1:123456789012:parameter/image-id"
    assert dict(ssm.store) == {"image-id": "slashed"}


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("golden/image-id", "ValidationException"),  # a hierarchy begins with a slash
        ("/golden//image-id", "ValidationException"),
        ("/golden/image id", "ValidationException"),
        ("/aws/mine", "ValidationException"),
        ("SSM-mine", "ValidationException"),
        ("/" + "/".join("l" * 16), "HierarchyLevelLimitExceededException"),
        ("x" * 2049, "ValidationException"),  # the model's maximum length
    ],
)
def test_names_the_api_refuses(client: Any, ssm: SSMBackend, name: str, code: str) -> None:
    assert code_of(client.put_parameter, Name=name, Value="v", Type="String") == code
    assert ssm.parameters == {}


def test_fifteen_levels_and_surrounding_spaces_are_taken(client: Any, ssm: SSMBackend) -> None:
    deep = "/" + "/".join("l" * 15)
    client.put_parameter(Name=deep, Value="v", Type="String")
    client.put_parameter(Name=" padded ", Value="v", Type="String")
    assert sorted(ssm.store) == sorted([deep, "padded"])


@pytest.mark.parametrize(
    "extra",
    [
        {"Type": "SecureString"},
        {"Type": "StringList"},
        {"Type": "String", "Tier": "Advanced"},
        {"Type": "String", "KeyId": "alias/aws/ssm"},
        {"Type": "String", "AllowedPattern": "^wsi-.*$"},
        {"Type": "String", "DataType": "aws:ec2:image"},
    ],
)
def test_what_is_not_emulated_is_refused_by_name(client: Any, ssm: SSMBackend, extra: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as caught:
        client.put_parameter(Name="/p", Value="v", **extra)
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert error["Message"].startswith("The emulator does not model ")
    assert ssm.parameters == {}


def test_a_value_over_4_kb_and_version_selectors_are_refused(client: Any, ssm: SSMBackend) -> None:
    assert code_of(client.put_parameter, Name="/p", Value="x" * 4097, Type="String") == "ValidationException"
    client.put_parameter(Name="/p", Value="x" * 4096, Type="String")
    assert code_of(client.get_parameter, Name="/p:1") == "ValidationException"


def test_delete_parameter_and_the_direct_helpers(client: Any, ssm: SSMBackend) -> None:
    assert ssm.put("/p", "one") == 1
    assert ssm.put("/p", "two") == 2
    ssm.store["/p"] = "three"
    assert client.get_parameter(Name="/p")["Parameter"]["Version"] == 3
    client.delete_parameter(Name="/p")
    assert code_of(client.delete_parameter, Name="/p") == "ParameterNotFound"
    with pytest.raises(KeyError):
        ssm.value("/p")
    assert ssm.put("/p", "again") == 1, "a parameter made again starts at version 1"


def test_iam_asks_for_the_parameter_arn_without_its_leading_slash(ssm: SSMBackend) -> None:
    for operation in ("GetParameter", "PutParameter", "DeleteParameter"):
        (slashed,) = ssm.request_contexts(operation, {"Name": "/golden/image-id", "Value": "v"})
        (plain,) = ssm.request_contexts(operation, {"Name": "image-id", "Value": "v"})
        assert (slashed.action, slashed.resource, dict(slashed.keys)) == (
            f"ssm:{operation}",
            "arn:aws:ssm:eu-west-1:123456789012:parameter/golden/image-id",
            {},
        )
        assert plain.resource == "arn:aws:ssm:eu-west-1:123456789012:parameter/image-id"


@pytest.fixture
def cloud() -> Iterator[LocalCloud]:
    made = LocalCloud()
    yield made
    made.close()


def test_a_hosted_lambda_reaches_it_through_its_endpoint_and_its_role(
    cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = cloud.lambda_env()
    assert env["AWS_ENDPOINT_URL_SSM"] == cloud.server.url
    cloud.ssm.put("/golden/image-id", "wsi-1")
    cloud.ssm.put("/other", "x")
    role = f"arn:aws:iam::{ACCOUNT}:role/Reader"
    policy = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["ssm:GetParameter", "ssm:PutParameter"],
                "Resource": f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/golden/*",
            }
        ]
    }
    credentials = cloud.assume_role(role, "reader-fn", lambda: [policy])
    for key, value in {**env, **credentials}.items():
        monkeypatch.setenv(key, value)
    client = boto3.Session().client("ssm", region_name=REGION)  # a fresh session reads the variables
    assert client.get_parameter(Name="/golden/image-id")["Parameter"]["Value"] == "wsi-1"
    client.put_parameter(Name="/golden/image-id", Value="wsi-2", Overwrite=True)
    assert cloud.ssm.value("/golden/image-id") == "wsi-2"
    assert cloud.ssm.calls_to("PutParameter")[-1].caller == credentials["AWS_ACCESS_KEY_ID"]
    assert code_of(client.get_parameter, Name="/other") == "AccessDeniedException"
    assert code_of(client.put_parameter, Name="/other", Value="y", Overwrite=True) == "AccessDeniedException"
    assert cloud.ssm.value("/other") == "x"
    assert cloud.access.denials[-1].message.startswith(
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/Reader/reader-fn is not authorized to perform: ssm:PutParameter "
        f"on resource: arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/other"
    )


def test_each_backend_has_its_own_parameters(clock: VirtualClock) -> None:
    """moto's parameters live in the backend's own moto store, not moto's process-wide one: each LocalCloud starts
    empty, whatever an earlier one in the process wrote."""
    one, other = SSMBackend(clock), SSMBackend(clock)
    one.put("/golden/image-id", "wsi-1")
    assert "/golden/image-id" not in other.store
    assert code_of(attached("ssm", other).get_parameter, Name="/golden/image-id") == "ParameterNotFound"
