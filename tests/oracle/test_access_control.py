"""The emulator enforcing IAM: who a signed request comes from, and what each operation asks IAM to allow.

The evaluator itself is tested in test_iam_evaluator.py. Here: the credentials AccessControl issues, the
AccessDeniedException the services answer through an unmodified boto3, what is never checked (calls straight
through Backend.handle, enforcement off), and the request contexts of every operation the provider's handler
calls, after the Service Authorization Reference
(https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonworkspaces.html, and the
EventBridge and DynamoDB pages).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import ClientError
from support import ROOT

from aws_emulator import (
    AccessControl,
    Backend,
    CodePipelineBackend,
    DynamoDBBackend,
    EmulatorServer,
    EventBridgeBackend,
    VirtualClock,
    WorkSpacesBackend,
    attach,
    serve,
)
from aws_emulator.iam import PolicyType
from cfn_driver.cloud import LocalCloud

ACCOUNT = "111122223333"
REGION = "eu-west-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/Golden-ProviderRole-ABC"
PRINCIPAL = f"arn:aws:sts::{ACCOUNT}:assumed-role/Golden-ProviderRole-ABC/Golden-Handler-XYZ"
OWNER = "cdk-workspaces-image:owner"
NO_RETRIES = Config(retries={"max_attempts": 1, "mode": "standard"})


def image_arn(image_id: str) -> str:
    return f"arn:aws:workspaces:{REGION}:{ACCOUNT}:workspaceimage/{image_id}"


def bundle_arn(bundle_id: str) -> str:
    return f"arn:aws:workspaces:{REGION}:{ACCOUNT}:workspacebundle/{bundle_id}"


def allow(actions: Any, resources: Any = "*", **extra: Any) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resources, **extra}],
    }


class Cloud:
    """Three backends behind one endpoint, with access control, and a role whose policies the test sets."""

    def __init__(self, enforce: bool = True) -> None:
        self.clock = VirtualClock()
        self.workspaces = WorkSpacesBackend(self.clock, ACCOUNT, REGION, seed=1)
        self.events = EventBridgeBackend(self.clock, ACCOUNT, REGION)
        self.dynamodb = DynamoDBBackend(self.clock, ACCOUNT, REGION)
        self.backends: list[Backend] = [self.workspaces, self.events, self.dynamodb]
        self.access = AccessControl(enforce=enforce)
        for backend in self.backends:
            backend.access = self.access
        self.policies: list[dict[str, Any]] = []
        self.credentials = self.access.assume_role(ROLE, "Golden-Handler-XYZ", lambda: self.policies)
        self.server: EmulatorServer = serve(self.backends)

    def client(self, service: str, access_key_id: str | None = None) -> Any:
        credentials = self.credentials
        make: Any = boto3.client  # typed per literal service name
        return make(
            service,
            endpoint_url=self.server.url,
            region_name=REGION,
            aws_access_key_id=access_key_id or credentials.access_key_id,
            aws_secret_access_key=credentials.secret_access_key,
            aws_session_token=credentials.session_token,
            config=NO_RETRIES,
        )


@pytest.fixture
def cloud() -> Iterator[Cloud]:
    made = Cloud()
    yield made
    made.server.stop()
    assert made.server.failures == []


def refusal(call: Any, **params: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return dict(caught.value.response)


# ---------------------------------------------------------------- credentials and principals


def test_assumed_role_credentials_name_the_session_and_are_stable() -> None:
    access = AccessControl()
    first = access.assume_role(ROLE, "Golden-Handler-XYZ", list)
    again = access.assume_role(ROLE, "Golden-Handler-XYZ", list)
    other = access.assume_role(ROLE, "Other-Function", list)
    assert first == again, "a function updated in place keeps its key"
    assert first.access_key_id != other.access_key_id, "each function has its own key"
    assert re.fullmatch(r"ASIA[0-9A-F]{16}", first.access_key_id), "temporary credentials start with ASIA"
    principal = access.principal(first.access_key_id)
    assert principal is not None
    assert principal.arn == PRINCIPAL
    assert principal.role_arn == ROLE
    assert set(first.environ()) == {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}
    path_role = access.assume_role(f"arn:aws:iam::{ACCOUNT}:role/service/Provider", "fn", list)
    assert access.principal(path_role.access_key_id).arn == f"arn:aws:sts::{ACCOUNT}:assumed-role/Provider/fn"  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="not a role ARN"):
        access.assume_role(f"arn:aws:iam::{ACCOUNT}:user/alice", "fn", list)


# ---------------------------------------------------------------- through an unmodified boto3


def test_a_signed_request_is_allowed_only_by_the_role_policy(cloud: Cloud) -> None:
    source = cloud.workspaces.add_image("golden")
    cloud.policies = [allow("workspaces:DescribeWorkspaceImages")]
    client = cloud.client("workspaces")
    assert [i["ImageId"] for i in client.describe_workspace_images()["Images"]] == [source]
    answer = refusal(client.delete_workspace_image, ImageId=source)
    assert answer["Error"]["Code"] == "AccessDeniedException"
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert answer["Error"]["Message"] == (
        f"User: {PRINCIPAL} is not authorized to perform: workspaces:DeleteWorkspaceImage on resource: "
        f"{image_arn(source)} because no identity-based policy allows the workspaces:DeleteWorkspaceImage action"
    )
    assert source in cloud.workspaces.images, "a denied request changes nothing"
    assert [d.request.action for d in cloud.access.denials] == ["workspaces:DeleteWorkspaceImage"]
    last = cloud.workspaces.calls[-1]
    assert (last.operation, last.error, last.caller) == (
        "DeleteWorkspaceImage",
        "AccessDeniedException",
        cloud.credentials.access_key_id,
    )


def test_sharing_is_allowed_only_on_images_the_policy_names_by_tag(cloud: Cloud) -> None:
    owned = cloud.workspaces.add_image("owned", tags={OWNER: "a.b.c"})
    foreign = cloud.workspaces.add_image("foreign")
    cloud.policies = [
        allow(
            "workspaces:UpdateWorkspaceImagePermission",
            f"arn:aws:workspaces:{REGION}:{ACCOUNT}:workspaceimage/*",
            Condition={"Null": {f"aws:ResourceTag/{OWNER}": "false"}},
        )
    ]
    client = cloud.client("workspaces")
    client.update_workspace_image_permission(ImageId=owned, SharedAccountId="444455556666", AllowCopyImage=True)
    assert cloud.workspaces.images[owned].shared_with == ["444455556666"]
    answer = refusal(
        client.update_workspace_image_permission, ImageId=foreign, SharedAccountId="444455556666", AllowCopyImage=True
    )
    assert answer["Error"]["Code"] == "AccessDeniedException"
    assert answer["Error"]["Message"] == (
        f"User: {PRINCIPAL} is not authorized to perform: workspaces:UpdateWorkspaceImagePermission on resource: "
        f"{image_arn(foreign)} because no identity-based policy allows the workspaces:UpdateWorkspaceImagePermission "
        "action"
    )
    assert cloud.workspaces.images[foreign].shared_with == [], "a denied request changes nothing"


def test_an_explicit_deny_is_named_so(cloud: Cloud) -> None:
    source = cloud.workspaces.add_image("golden")
    cloud.policies = [
        allow("workspaces:*"),
        {"Statement": {"Effect": "Deny", "Action": "workspaces:Delete*", "Resource": "*"}},
    ]
    message = refusal(cloud.client("workspaces").delete_workspace_image, ImageId=source)["Error"]["Message"]
    assert message.endswith("with an explicit deny in an identity-based policy")


def test_eventbridge_and_dynamodb_answer_access_denied_too(cloud: Cloud) -> None:
    cloud.events.handle("PutRule", {"Name": "cdkwsi-1", "ScheduleExpression": "rate(1 minute)"})
    table = {
        "TableName": "watch",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    cloud.dynamodb.handle("CreateTable", table)
    cloud.clock.advance(60)
    rule = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/cdkwsi-1"
    cloud.policies = [allow("events:DisableRule", rule)]
    events = cloud.client("events")
    events.disable_rule(Name="cdkwsi-1")
    denied = refusal(events.enable_rule, Name="cdkwsi-1")["Error"]
    assert denied["Code"] == "AccessDeniedException"
    assert f"events:EnableRule on resource: {rule} because" in denied["Message"]
    dynamodb = cloud.client("dynamodb")
    denied = refusal(dynamodb.put_item, TableName="watch", Item={"pk": {"S": "a"}})["Error"]
    assert denied["Code"] == "AccessDeniedException"
    assert f"dynamodb:PutItem on resource: arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/watch because" in denied["Message"]
    cloud.policies = [allow(["dynamodb:PutItem", "dynamodb:Scan"], f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/watch")]
    dynamodb.put_item(TableName="watch", Item={"pk": {"S": "a"}})
    assert dynamodb.scan(TableName="watch")["Count"] == 1


# -- a table's resource-based policy, judged with each caller's identity-based policies (one account)

READER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/Golden-Reader-DEF"
READER = f"arn:aws:sts::{ACCOUNT}:assumed-role/Golden-Reader-DEF/reader"
WATCH = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/watch"
# The DynamoDB reads AmazonDynamoDBReadOnlyAccess grants on every resource: what the review found could read the
# watch table's presigned URLs.
READS_EVERYWHERE = allow(
    [
        "dynamodb:BatchGetItem",
        "dynamodb:Describe*",
        "dynamodb:List*",
        "dynamodb:GetItem",
        "dynamodb:Query",
        "dynamodb:Scan",
        "dynamodb:PartiQLSelect",
    ]
)
DATA_PLANE = [
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:PartiQLSelect",
    "dynamodb:PartiQLInsert",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete",
]
# The policy the watch table is to get: every data-plane action denied to all but the provider's role; no Allow.
ONLY_THE_PROVIDER = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": DATA_PLANE,
            "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:PrincipalArn": ROLE}},
        }
    ],
}
RECORDS = {
    "TableName": "watch",
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    "AttributeDefinitions": [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "S"},
    ],
    "BillingMode": "PAY_PER_REQUEST",
}


def watch_table(cloud: Cloud, policy: dict[str, Any] | None) -> None:
    """The table as CloudFormation makes it: straight through the backend, with the deployer's credentials."""
    extra = {"ResourcePolicy": json.dumps(policy)} if policy is not None else {}
    cloud.dynamodb.handle("CreateTable", {**RECORDS, **extra})
    cloud.clock.advance(60)


def reader(cloud: Cloud, policies: list[dict[str, Any]]) -> Any:
    """A client signed as a session of another role of the account."""
    keys = cloud.access.assume_role(READER_ROLE, "reader", lambda: policies)
    return cloud.client("dynamodb", keys.access_key_id)


def test_the_watch_table_policy_refuses_every_reader_but_the_provider(cloud: Cloud) -> None:
    watch_table(cloud, ONLY_THE_PROVIDER)
    cloud.policies = [
        allow(["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:DeleteItem", "dynamodb:Scan"], WATCH)
    ]
    provider = cloud.client("dynamodb")
    record = {"pk": {"S": "wait"}, "sk": {"S": "wsi-1"}, "url": {"S": "https://presigned"}}
    provider.put_item(TableName="watch", Item=record)
    key = {"pk": record["pk"], "sk": record["sk"]}
    assert provider.get_item(TableName="watch", Key=key)["Item"] == record
    by_partition = {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "wait"}}}
    assert provider.query(TableName="watch", **by_partition)["Items"] == [record]
    assert provider.scan(TableName="watch")["Count"] == 1
    assert cloud.access.denials == [], "the provider works under the table's policy"
    nosy = reader(cloud, [READS_EVERYWHERE])
    for action, call, params in (
        ("Scan", nosy.scan, {}),
        ("Query", nosy.query, by_partition),
        ("GetItem", nosy.get_item, {"Key": key}),
    ):
        error = refusal(call, TableName="watch", **params)["Error"]
        assert error["Code"] == "AccessDeniedException"
        assert error["Message"] == (
            f"User: {READER} is not authorized to perform: dynamodb:{action} on resource: {WATCH} "
            "with an explicit deny in a resource-based policy"
        )
    assert [(d.principal.arn, d.policy_type) for d in cloud.access.denials] == [(READER, PolicyType.RESOURCE)] * 3
    assert nosy.describe_table(TableName="watch")["Table"]["TableArn"] == WATCH, "the control plane stays open"
    # Without the table's policy, the same reader reads the records: what the review found.
    cloud.dynamodb.handle("DeleteResourcePolicy", {"ResourceArn": WATCH})
    assert nosy.scan(TableName="watch")["Items"] == [record]


def test_an_allow_in_a_table_policy_alone_lets_a_role_of_the_account_read(cloud: Cloud) -> None:
    """Policy evaluation logic: within one account an Allow in the resource-based policy suffices."""
    only_gets = {"Effect": "Allow", "Principal": {"AWS": READER_ROLE}, "Action": "dynamodb:GetItem", "Resource": "*"}
    watch_table(cloud, {"Version": "2012-10-17", "Statement": [only_gets]})
    nobody = reader(cloud, [])
    assert "Item" not in nobody.get_item(TableName="watch", Key={"pk": {"S": "a"}, "sk": {"S": "b"}})
    error = refusal(nobody.scan, TableName="watch")["Error"]
    assert error["Message"].endswith("because no identity-based policy allows the dynamodb:Scan action")


def test_a_caller_must_confirm_a_policy_that_takes_its_own_access_away(cloud: Cloud) -> None:
    """API_PutResourcePolicy, ConfirmRemoveSelfResourceAccess: "Set this parameter to true to confirm that you want to
    remove your permissions to change the policy of this resource in the future"."""
    watch_table(cloud, None)
    cloud.policies = [allow("dynamodb:*", WATCH)]
    client = cloud.client("dynamodb")
    locked = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "dynamodb:PutResourcePolicy", "Resource": "*"}],
    }
    error = refusal(client.put_resource_policy, ResourceArn=WATCH, Policy=json.dumps(locked))["Error"]
    assert error["Code"] == "ValidationException"
    assert "ConfirmRemoveSelfResourceAccess" in error["Message"]
    assert cloud.dynamodb.tables["watch"].policy is None
    # A policy that leaves the caller its own access needs no confirmation.
    client.put_resource_policy(ResourceArn=WATCH, Policy=json.dumps(ONLY_THE_PROVIDER))
    cloud.clock.advance(15)
    client.put_resource_policy(ResourceArn=WATCH, Policy=json.dumps(locked), ConfirmRemoveSelfResourceAccess=True)
    cloud.clock.advance(15)
    error = refusal(client.put_resource_policy, ResourceArn=WATCH, Policy=json.dumps(ONLY_THE_PROVIDER))["Error"]
    assert error["Message"].endswith("with an explicit deny in a resource-based policy")
    assert client.delete_resource_policy(ResourceArn=WATCH)["RevisionId"], "deleting is still the caller's"


# The provider's and the monitor's statement for PutEvents: only their own source, and never without one
# (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-conditions.html).
BUS = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default"
OWN_SOURCE = {
    "ForAllValues:StringEquals": {"events:source": ["cdk-workspaces-image"]},
    "Null": {"events:source": "false"},
}


def event_entry(source: str | None = "cdk-workspaces-image", detail_type: str = "WorkSpaces Image Available") -> Any:
    entry = {"DetailType": detail_type, "Detail": "{}"}
    return entry if source is None else {**entry, "Source": source}


def test_put_events_is_allowed_only_for_the_sources_the_policy_names(cloud: Cloud) -> None:
    cloud.policies = [allow("events:PutEvents", BUS, Condition=OWN_SOURCE)]
    events = cloud.client("events")
    assert events.put_events(Entries=[event_entry(), event_entry()])["FailedEntryCount"] == 0
    denied = refusal(events.put_events, Entries=[event_entry(), event_entry("someone-else")])["Error"]
    assert denied["Code"] == "AccessDeniedException"
    assert f"events:PutEvents on resource: {BUS} because no identity-based policy allows" in denied["Message"]
    assert cloud.access.denials[-1].request.keys["events:source"] == ("cdk-workspaces-image", "someone-else")
    # Entries without a Source: no events:source in the request, so the Null condition refuses it (ForAllValues
    # alone would allow it: it is true for a key the request lacks).
    nameless = refusal(events.put_events, Entries=[event_entry(None)])["Error"]
    assert nameless["Code"] == "AccessDeniedException"
    assert "events:source" not in cloud.access.denials[-1].request.keys
    assert len(cloud.events.events_put) == 2, "a refused call puts nothing"
    # Without the Null condition, the same call is allowed, and then fails as the API says it must.
    only_for_all = {k: v for k, v in OWN_SOURCE.items() if k != "Null"}
    cloud.policies = [allow("events:PutEvents", BUS, Condition=only_for_all)]
    assert refusal(events.put_events, Entries=[event_entry(None)])["Error"]["Code"] == "ValidationException"
    # The detail type is a condition key too.
    cloud.policies = [
        allow(
            "events:PutEvents",
            BUS,
            Condition={"ForAllValues:StringLike": {"events:detail-type": ["WorkSpaces Image *"]}},
        )
    ]
    events.put_events(Entries=[event_entry(detail_type="WorkSpaces Image Failed")])
    refused = refusal(events.put_events, Entries=[event_entry(detail_type="WorkSpaces Bundle Image Changed")])
    assert refused["Error"]["Code"] == "AccessDeniedException"


# A custom bus whose policy keeps the library's source to the provider's role (what event_bus adds to the bus).
NEWS = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/news"
ONLY_THE_PROVIDER_PUTS = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "OnlyTheProvider",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "events:PutEvents",
            "Resource": NEWS,
            "Condition": {
                "ForAnyValue:StringEquals": {"events:source": ["cdk-workspaces-image"]},
                "StringNotEquals": {"aws:PrincipalArn": [ROLE]},
            },
        }
    ],
}


def test_a_bus_policy_refuses_the_library_source_to_all_but_the_provider(cloud: Cloud) -> None:
    """The bus's policy is evaluated with the caller's own (the launch post of bus policies: an API call "considers
    both the user's IAM policy and the event bus resource policy"); its explicit Deny wins over any Allow."""
    cloud.events.handle("CreateEventBus", {"Name": "news"})
    cloud.events.handle("PutPermission", {"EventBusName": "news", "Policy": json.dumps(ONLY_THE_PROVIDER_PUTS)})
    cloud.policies = [allow("events:PutEvents", NEWS, Condition=OWN_SOURCE)]
    provider = cloud.client("events")
    assert provider.put_events(Entries=[{**event_entry(), "EventBusName": "news"}])["FailedEntryCount"] == 0
    keys = cloud.access.assume_role(READER_ROLE, "reader", lambda: [allow("events:PutEvents")])
    attacker = cloud.client("events", keys.access_key_id)
    error = refusal(attacker.put_events, Entries=[{**event_entry(), "EventBusName": NEWS}])["Error"]
    assert error["Code"] == "AccessDeniedException"
    assert error["Message"] == (
        f"User: {READER} is not authorized to perform: events:PutEvents on resource: {NEWS} "
        "with an explicit deny in a resource-based policy"
    )
    # One entry of the library's source among others refuses the whole call.
    mixed = [{**event_entry("someone-else"), "EventBusName": "news"}, {**event_entry(), "EventBusName": "news"}]
    assert refusal(attacker.put_events, Entries=mixed)["Error"]["Code"] == "AccessDeniedException"
    # Other sources on that bus, and the library's on the default bus, are the attacker's own policy's to allow.
    assert attacker.put_events(Entries=[mixed[0]])["FailedEntryCount"] == 0
    assert attacker.put_events(Entries=[event_entry()])["FailedEntryCount"] == 0
    assert [(p.bus, p.source) for p in cloud.events.events_put] == [
        ("news", "cdk-workspaces-image"),
        ("news", "someone-else"),
        ("default", "cdk-workspaces-image"),
    ]
    # The policy applies to the operations on the bus's rules too (the user guide: PutRule and PutTargets).
    rule_guard = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "events:PutRule", "Resource": "*"}],
    }
    cloud.events.handle("PutPermission", {"EventBusName": "news", "Policy": json.dumps(rule_guard)})
    cloud.policies = [allow("events:PutRule")]
    error = refusal(provider.put_rule, Name="r", EventBusName="news", EventPattern='{"source":["x"]}')["Error"]
    rule = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/news/r"
    assert error["Message"].endswith(f"on resource: {rule} with an explicit deny in a resource-based policy")
    provider.put_rule(Name="r", EventPattern='{"source":["x"]}')  # the default bus has no such policy


def test_every_signed_request_carries_the_principal_keys(cloud: Cloud) -> None:
    """aws:PrincipalArn (the role's ARN for a role session), aws:PrincipalAccount and aws:PrincipalType
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html), so identity-based
    policies may use them too."""
    by_session = {"StringEquals": {"aws:PrincipalArn": PRINCIPAL}}
    cloud.policies = [allow("workspaces:DescribeWorkspaceImages", Condition=by_session)]
    client = cloud.client("workspaces")
    assert refusal(client.describe_workspace_images)["Error"]["Code"] == "AccessDeniedException"
    assert {k: v for k, v in cloud.access.denials[-1].request.keys.items() if k.startswith("aws:Principal")} == {
        "aws:PrincipalArn": ROLE,
        "aws:PrincipalAccount": ACCOUNT,
        "aws:PrincipalType": "AssumedRole",
    }
    by_role = {"ArnEquals": {"aws:PrincipalArn": ROLE}, "StringEquals": {"aws:PrincipalType": "AssumedRole"}}
    cloud.policies = [allow("workspaces:DescribeWorkspaceImages", Condition=by_role)]
    assert client.describe_workspace_images()["Images"] == []


def test_the_policies_are_read_at_every_request(cloud: Cloud) -> None:
    client = cloud.client("workspaces")
    assert refusal(client.describe_workspace_images)["Error"]["Code"] == "AccessDeniedException"
    cloud.policies.append(allow("workspaces:Describe*"))
    assert client.describe_workspace_images()["Images"] == []


def test_an_unknown_or_revoked_key_is_not_recognised(cloud: Cloud) -> None:
    cloud.policies = [allow("*")]
    stranger = refusal(cloud.client("workspaces", access_key_id="ASIAUNKNOWNUNKNOWN00").describe_workspace_images)
    assert stranger["Error"]["Code"] == "UnrecognizedClientException"
    cloud.access.revoke(cloud.credentials.access_key_id)
    revoked = refusal(cloud.client("workspaces").describe_workspace_images)
    assert revoked["Error"]["Code"] == "UnrecognizedClientException"


def test_the_in_process_hook_is_checked_like_the_server(cloud: Cloud) -> None:
    client = boto3.client(
        "workspaces",
        region_name=REGION,
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id=cloud.credentials.access_key_id,
        aws_secret_access_key="x",
        config=NO_RETRIES,
    )
    attach(client, cloud.workspaces)
    assert refusal(client.describe_workspace_images)["Error"]["Code"] == "AccessDeniedException"


def test_calls_straight_through_the_backend_and_enforcement_off_are_not_checked(cloud: Cloud) -> None:
    # A test, or the driver acting for CloudFormation with the deployer's credentials: no caller, no check.
    source = cloud.workspaces.add_image("golden")
    cloud.workspaces.handle("DeleteWorkspaceImage", {"ImageId": source})
    assert cloud.workspaces.calls[-1].caller is None
    relaxed = Cloud(enforce=False)
    try:
        relaxed.workspaces.add_image("golden")
        anyone = relaxed.client("workspaces", access_key_id="ASIAUNKNOWNUNKNOWN00")
        assert len(anyone.describe_workspace_images()["Images"]) == 1
    finally:
        relaxed.server.stop()


def test_an_operation_without_a_mapping_is_refused(cloud: Cloud) -> None:
    cloud.policies = [allow("*")]
    error = refusal(cloud.client("events").list_targets_by_rule, Rule="none")["Error"]
    assert error["Code"] == "ResourceNotFoundException", "a mapped operation runs"
    error = refusal(cloud.client("workspaces").describe_workspaces)["Error"]
    assert error["Code"] == "AccessDeniedException"
    assert "does not model which resources this action authorizes" in error["Message"]


def test_authorization_comes_after_validation(cloud: Cloud) -> None:
    # Which comes first is undocumented; the resources IAM authorizes are named by the validated members.
    error = refusal(cloud.client("workspaces").delete_workspace_image, ImageId="not-an-image")["Error"]
    assert error["Code"] == "InvalidParameterValuesException"


def test_a_create_authorizes_the_id_it_then_makes(cloud: Cloud) -> None:
    """The new image's ARN is authorized before it exists: its id is drawn then, and the create takes it."""
    source = cloud.workspaces.add_image("golden")
    request = {"SourceImageId": source, "Name": "n", "Description": "d"}
    new = cloud.workspaces.request_contexts("CreateUpdatedWorkspaceImage", request)[0].resource
    cloud.policies = [allow("workspaces:CreateUpdatedWorkspaceImage", [new, image_arn(source)])]
    made = cloud.client("workspaces").create_updated_workspace_image(**request)["ImageId"]
    assert image_arn(made) == new


# ---------------------------------------------------------------- what each operation asks IAM to allow


class Account:
    """A WorkSpaces, EventBridge, DynamoDB and CodePipeline account with tagged and untagged resources."""

    def __init__(self) -> None:
        clock = VirtualClock()
        self.workspaces = WorkSpacesBackend(clock, ACCOUNT, REGION, seed=3)
        self.events = EventBridgeBackend(clock, ACCOUNT, REGION)
        self.dynamodb = DynamoDBBackend(clock, ACCOUNT, REGION)
        self.codepipeline = CodePipelineBackend(clock, ACCOUNT, REGION)
        self.codepipeline.add_pipeline("golden-image")
        self.tagged = self.workspaces.add_image("tagged", tags={OWNER: "a.b.c", "team": "euc"})
        self.untagged = self.workspaces.add_image("untagged")
        self.bundle = self.workspaces.add_bundle(self.tagged, tags={OWNER: "d.e.f"})
        self.plain_bundle = self.workspaces.add_bundle(self.untagged)
        self.workspace = self.workspaces.add_workspace(tags={"team": "euc"})
        self.events.handle(
            "PutRule",
            {"Name": "cdkwsi-1", "ScheduleExpression": "rate(1 minute)", "Tags": [{"Key": "k", "Value": "v"}]},
        )

    def backend(self, action: str) -> Backend:
        prefix = action.split(":")[0]
        backends: dict[str, Backend] = {
            "workspaces": self.workspaces,
            "events": self.events,
            "dynamodb": self.dynamodb,
            "codepipeline": self.codepipeline,
        }
        return backends[prefix]

    def contexts(self, action: str, params: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
        found = self.backend(action).request_contexts(action.split(":")[1], params)
        return [(c.action, c.resource, dict(c.keys)) for c in found]


@pytest.fixture(scope="module")
def account() -> Account:
    return Account()


def owner_tags(value: str = "x.y.z") -> list[dict[str, str]]:
    return [{"Key": OWNER, "Value": value}, {"Key": "team", "Value": "euc"}]


REQUEST_TAGS = {"aws:RequestTag/" + OWNER: "x.y.z", "aws:RequestTag/team": "euc", "aws:TagKeys": (OWNER, "team")}
TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/Golden-WatchTable-ABC"
RULE = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/cdkwsi-1"
INFRASTRUCTURE = f"arn:aws:imagebuilder:{REGION}:{ACCOUNT}:infrastructure-configuration/c"


def expected(account: Account) -> dict[str, tuple[dict[str, Any], list[tuple[str, str, dict[str, Any]]]]]:
    """Every operation the handler calls: a request, and what IAM is asked (action, resource, condition keys)."""
    tagged, untagged, bundle = account.tagged, account.untagged, account.bundle
    tagged_keys = {f"aws:ResourceTag/{OWNER}": "a.b.c", "aws:ResourceTag/team": "euc"}
    new_image = image_arn(account.workspaces._next_id("wsi-"))
    new_bundle = bundle_arn(account.workspaces._next_id("wsb-"))
    create_tags = ("workspaces:CreateTags", "*", REQUEST_TAGS)
    return {
        # No resource types: "*".
        "workspaces:DescribeWorkspaceImages": (
            {"ImageIds": [tagged]},
            [("workspaces:DescribeWorkspaceImages", "*", {})],
        ),
        "workspaces:DescribeWorkspaceBundles": ({}, [("workspaces:DescribeWorkspaceBundles", "*", {})]),
        "workspaces:DescribeTags": ({"ResourceId": tagged}, [("workspaces:DescribeTags", "*", {})]),
        # workspaceimage*, with the image's tags.
        "workspaces:DescribeWorkspaceImagePermissions": (
            {"ImageId": tagged},
            [("workspaces:DescribeWorkspaceImagePermissions", image_arn(tagged), tagged_keys)],
        ),
        # workspaceimage*, with the image's tags; the account it is shared with is no resource.
        "workspaces:UpdateWorkspaceImagePermission": (
            {"ImageId": tagged, "SharedAccountId": "444455556666", "AllowCopyImage": True},
            [("workspaces:UpdateWorkspaceImagePermission", image_arn(tagged), tagged_keys)],
        ),
        "workspaces:DeleteWorkspaceImage": (
            {"ImageId": untagged},
            [("workspaces:DeleteWorkspaceImage", image_arn(untagged), {})],
        ),
        # Both the image being made and its source (undocumented which: both), and CreateTags for its tags.
        "workspaces:CreateUpdatedWorkspaceImage": (
            {"SourceImageId": tagged, "Name": "n", "Description": "d", "Tags": owner_tags()},
            [
                ("workspaces:CreateUpdatedWorkspaceImage", new_image, REQUEST_TAGS),
                ("workspaces:CreateUpdatedWorkspaceImage", image_arn(tagged), {**tagged_keys, **REQUEST_TAGS}),
                create_tags,
            ],
        ),
        # The copy being made and its source in SourceRegion (undocumented which: both), CreateTags for its tags,
        # and the dependent action DescribeWorkspaceImages.
        "workspaces:CopyWorkspaceImage": (
            {"SourceImageId": tagged, "SourceRegion": REGION, "Name": "n", "Tags": owner_tags()},
            [
                ("workspaces:CopyWorkspaceImage", new_image, REQUEST_TAGS),
                ("workspaces:CopyWorkspaceImage", image_arn(tagged), {**tagged_keys, **REQUEST_TAGS}),
                create_tags,
                ("workspaces:DescribeWorkspaceImages", "*", {}),
            ],
        ),
        # The WorkSpace (workspace*, with its tags) and the image being made; CreateTags for its tags.
        "workspaces:CreateWorkspaceImage": (
            {"WorkspaceId": account.workspace, "Name": "n", "Description": "d", "Tags": owner_tags()},
            [
                (
                    "workspaces:CreateWorkspaceImage",
                    f"arn:aws:workspaces:{REGION}:{ACCOUNT}:workspace/{account.workspace}",
                    {"aws:ResourceTag/team": "euc", **REQUEST_TAGS},
                ),
                ("workspaces:CreateWorkspaceImage", new_image, REQUEST_TAGS),
                create_tags,
            ],
        ),
        # The image being made (the reference is unclear whether it is "*"); the AMI, the Image Builder source and
        # infrastructure configuration are EC2's and Image Builder's, not modelled.
        "workspaces:ImportWorkspaceImage": (
            {
                "Ec2ImageId": "ami-0123456789abcdef0",
                "IngestionProcess": "BYOL_REGULAR",
                "ImageName": "n",
                "ImageDescription": "d",
                "Tags": owner_tags(),
            },
            [("workspaces:ImportWorkspaceImage", new_image, REQUEST_TAGS), create_tags],
        ),
        "workspaces:ImportCustomWorkspaceImage": (
            {
                "ImageName": "n",
                "ImageDescription": "d",
                "ComputeType": "BASE",
                "Protocol": "DCV",
                "ImageSource": {"Ec2ImageId": "ami-0123456789abcdef0"},
                "InfrastructureConfigurationArn": INFRASTRUCTURE,
                "Platform": "WINDOWS",
                "OsVersion": "Windows_10",
            },
            [("workspaces:ImportCustomWorkspaceImage", new_image, {})],
        ),
        "workspaces:DescribeCustomWorkspaceImageImport": (
            {"ImageId": tagged},
            [("workspaces:DescribeCustomWorkspaceImageImport", image_arn(tagged), tagged_keys)],
        ),
        # workspacebundle* and workspaceimage*, each with its own tags; CreateTags for the bundle's tags.
        "workspaces:CreateWorkspaceBundle": (
            {
                "BundleName": "b",
                "BundleDescription": "d",
                "ImageId": untagged,
                "ComputeType": {"Name": "STANDARD"},
                "UserStorage": {"Capacity": "50"},
                "Tags": owner_tags(),
            },
            [
                ("workspaces:CreateWorkspaceBundle", new_bundle, REQUEST_TAGS),
                ("workspaces:CreateWorkspaceBundle", image_arn(untagged), REQUEST_TAGS),
                create_tags,
            ],
        ),
        "workspaces:UpdateWorkspaceBundle": (
            {"BundleId": bundle, "ImageId": untagged},
            [
                ("workspaces:UpdateWorkspaceBundle", bundle_arn(bundle), {f"aws:ResourceTag/{OWNER}": "d.e.f"}),
                ("workspaces:UpdateWorkspaceBundle", image_arn(untagged), {}),
            ],
        ),
        "workspaces:DeleteWorkspaceBundle": (
            {"BundleId": account.plain_bundle},
            [("workspaces:DeleteWorkspaceBundle", bundle_arn(account.plain_bundle), {})],
        ),
        # The tag actions: "*", the request's tags only (not the tagged resource's).
        "workspaces:CreateTags": ({"ResourceId": tagged, "Tags": owner_tags()}, [create_tags]),
        "workspaces:DeleteTags": (
            {"ResourceId": tagged, "TagKeys": ["team"]},
            [("workspaces:DeleteTags", "*", {"aws:TagKeys": ("team",)})],
        ),
        # The stack's watch rule, with its tags; the stack's watch table.
        "events:EnableRule": ({"Name": "cdkwsi-1"}, [("events:EnableRule", RULE, {"aws:ResourceTag/k": "v"})]),
        "events:DisableRule": ({"Name": "cdkwsi-1"}, [("events:DisableRule", RULE, {"aws:ResourceTag/k": "v"})]),
        # The event bus of each entry, with the entries' sources and detail types, each value once.
        "events:PutEvents": (
            {
                "Entries": [
                    {"Source": "cdk-workspaces-image", "DetailType": "A", "Detail": "{}"},
                    {"Source": "cdk-workspaces-image", "DetailType": "B", "Detail": "{}"},
                ]
            },
            [
                (
                    "events:PutEvents",
                    f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default",
                    {"events:source": ("cdk-workspaces-image",), "events:detail-type": ("A", "B")},
                )
            ],
        ),
        "dynamodb:PutItem": (
            {"TableName": "Golden-WatchTable-ABC", "Item": {"pk": {"S": "a"}}},
            [("dynamodb:PutItem", TABLE, {})],
        ),
        "dynamodb:DeleteItem": ({"TableName": TABLE, "Key": {"pk": {"S": "a"}}}, [("dynamodb:DeleteItem", TABLE, {})]),
        "dynamodb:Scan": ({"TableName": "Golden-WatchTable-ABC"}, [("dynamodb:Scan", TABLE, {})]),
        "dynamodb:Query": (
            {"TableName": "Golden-WatchTable-ABC", "KeyConditionExpression": "pk = :p"},
            [("dynamodb:Query", TABLE, {})],
        ),
        # The update monitor's pipeline.
        "codepipeline:StartPipelineExecution": (
            {"name": "golden-image"},
            [
                (
                    "codepipeline:StartPipelineExecution",
                    f"arn:aws:codepipeline:{REGION}:{ACCOUNT}:golden-image",
                    {},
                )
            ],
        ),
    }


def handler_operations() -> set[str]:
    """`service:Operation` for every client call and paginator in the handler's source (read as text: neither the
    emulator nor its tests import the handler)."""
    clients = {"client": "workspaces", "events": "events", "dynamodb": "dynamodb", "codepipeline": "codepipeline"}
    session = botocore.session.get_session()
    found: set[str] = set()
    for path in (ROOT / "lambda" / "cdk_workspaces_image_handler").glob("*.py"):
        text = path.read_text()
        pairs = re.findall(r"self\.(client|events|dynamodb|codepipeline)\.(\w+)", text)
        pairs += re.findall(r"self\.(client|events|dynamodb|codepipeline)\.get_paginator\(\"(\w+)\"\)", text)
        for owner, snake in pairs:
            if snake in ("get_paginator", "exceptions", "meta"):
                continue
            model = session.get_service_model(clients[owner])
            names = {xform_name(name): name for name in model.operation_names}
            found.add(f"{clients[owner]}:{names[snake]}")
    return found


def test_every_operation_of_the_handler_is_mapped(account: Account) -> None:
    calls = handler_operations()
    assert {"workspaces:CreateUpdatedWorkspaceImage", "dynamodb:Scan", "events:EnableRule"} <= calls
    assert sorted(calls - set(expected(account))) == [], "map these operations (request_contexts) and list them here"


@pytest.mark.parametrize("action", sorted(expected(Account())))
def test_what_each_operation_asks_iam(account: Account, action: str) -> None:
    params, wanted = expected(account)[action]
    assert account.contexts(action, params) == wanted


def test_a_create_without_tags_needs_no_create_tags(account: Account) -> None:
    found = account.contexts(
        "workspaces:CreateUpdatedWorkspaceImage", {"SourceImageId": account.untagged, "Name": "n", "Description": "d"}
    )
    assert [action for action, _, _ in found] == ["workspaces:CreateUpdatedWorkspaceImage"] * 2
    assert all(keys == {} for _, _, keys in found)


def test_sharing_asks_iam_for_the_image_with_its_tags(account: Account) -> None:
    """Granting and revoking alike: one workspaceimage* context, the image's ARN and its tags as aws:ResourceTag
    (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonworkspaces.html)."""
    for allow_copy in (True, False):
        request = {"ImageId": account.tagged, "SharedAccountId": "444455556666", "AllowCopyImage": allow_copy}
        assert account.contexts("workspaces:UpdateWorkspaceImagePermission", request) == [
            (
                "workspaces:UpdateWorkspaceImagePermission",
                image_arn(account.tagged),
                {f"aws:ResourceTag/{OWNER}": "a.b.c", "aws:ResourceTag/team": "euc"},
            )
        ]


def test_an_image_of_another_account_is_named_by_its_owner(account: Account) -> None:
    shared = account.workspaces.add_image("shared", owner_account_id="444455556666")
    ((_, resource, _),) = account.contexts("workspaces:DescribeWorkspaceImagePermissions", {"ImageId": shared})
    assert resource == f"arn:aws:workspaces:{REGION}:444455556666:workspaceimage/{shared}"


def test_a_copy_asks_for_the_source_in_its_own_region_and_owner() -> None:
    """CopyWorkspaceImage is called in the destination Region: the copy's ARN names it, the source's ARN names
    SourceRegion and the account that owns the source (another one for an image shared with this account), with
    the source's tags; a source Region nobody named holds nothing, so no tags. ARNs carry the Regions' partition."""
    cloud = LocalCloud(seed=9)
    try:
        source = cloud.workspaces.add_image("theirs", owner_account_id="444455556666", tags={"team": "euc"})
        destination = cloud.workspaces_in("eu-central-1")
        new = destination._next_id("wsi-")
        found = destination.request_contexts(
            "CopyWorkspaceImage", {"SourceImageId": source, "SourceRegion": REGION, "Name": "n"}
        )
        assert [(c.action, c.resource, dict(c.keys)) for c in found] == [
            ("workspaces:CopyWorkspaceImage", f"arn:aws:workspaces:eu-central-1:{ACCOUNT}:workspaceimage/{new}", {}),
            (
                "workspaces:CopyWorkspaceImage",
                f"arn:aws:workspaces:{REGION}:444455556666:workspaceimage/{source}",
                {"aws:ResourceTag/team": "euc"},
            ),
            ("workspaces:DescribeWorkspaceImages", "*", {}),
        ]
        china = cloud.workspaces_in("cn-north-1")
        unknown = "wsi-000000000"
        found = china.request_contexts(
            "CopyWorkspaceImage", {"SourceImageId": unknown, "SourceRegion": "cn-northwest-1", "Name": "n"}
        )
        assert found[1].resource == f"arn:aws-cn:workspaces:cn-northwest-1:{ACCOUNT}:workspaceimage/{unknown}"
        assert dict(found[1].keys) == {}
        assert found[0].resource.startswith(f"arn:aws-cn:workspaces:cn-north-1:{ACCOUNT}:workspaceimage/wsi-")
        assert "cn-northwest-1" not in cloud.workspaces_regions.all(), "authorizing reads, it makes no Region"
    finally:
        cloud.close()


def test_put_events_authorizes_each_bus_its_entries_name(account: Account) -> None:
    mine = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/mine"
    found = account.contexts(
        "events:PutEvents",
        {
            "Entries": [
                {"Source": "a", "DetailType": "x", "Detail": "{}", "EventBusName": mine},
                {"DetailType": "y", "Detail": "{}", "EventBusName": "default"},
                {"Source": "b", "Detail": "{}", "EventBusName": "mine"},
            ]
        },
    )
    assert found == [
        ("events:PutEvents", mine, {"events:source": ("a", "b"), "events:detail-type": ("x",)}),
        ("events:PutEvents", f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default", {"events:detail-type": ("y",)}),
    ]


def test_tables_named_by_arn_and_indexes(account: Account) -> None:
    assert account.contexts("dynamodb:Scan", {"TableName": TABLE, "IndexName": "byImage"}) == [
        ("dynamodb:Scan", f"{TABLE}/index/byImage", {})
    ]
    assert account.contexts("dynamodb:ListTables", {}) == [("dynamodb:ListTables", "*", {})]


def test_a_table_policy_is_put_read_and_deleted_on_the_table(account: Account) -> None:
    """The Service Authorization Reference: PutResourcePolicy, GetResourcePolicy and DeleteResourcePolicy act on the
    table their ResourceArn names; API_CreateTable, ResourcePolicy: "You need to specify the CreateTable and
    PutResourcePolicy IAM actions for authorizing a user to create a table with a resource-based policy"."""
    for operation in ("PutResourcePolicy", "GetResourcePolicy", "DeleteResourcePolicy"):
        found = account.contexts(f"dynamodb:{operation}", {"ResourceArn": TABLE, "Policy": "{}"})
        assert found == [(f"dynamodb:{operation}", TABLE, {})]
    create = {"TableName": "Golden-WatchTable-ABC", "KeySchema": [], "AttributeDefinitions": []}
    assert account.contexts("dynamodb:CreateTable", create) == [("dynamodb:CreateTable", TABLE, {})]
    guarded = account.contexts("dynamodb:CreateTable", {**create, "ResourcePolicy": "{}"})
    assert guarded == [("dynamodb:CreateTable", TABLE, {}), ("dynamodb:PutResourcePolicy", TABLE, {})]


def test_rules_of_a_custom_bus_and_put_rule_tags(account: Account) -> None:
    custom = account.contexts("events:DisableRule", {"Name": "r", "EventBusName": "mine"})
    assert custom == [("events:DisableRule", f"arn:aws:events:{REGION}:{ACCOUNT}:rule/mine/r", {})]
    tagged = account.contexts(
        "events:PutRule", {"Name": "new", "ScheduleExpression": "rate(1 minute)", "Tags": [{"Key": "a", "Value": "b"}]}
    )
    assert tagged == [
        (
            "events:PutRule",
            f"arn:aws:events:{REGION}:{ACCOUNT}:rule/new",
            {"aws:RequestTag/a": "b", "aws:TagKeys": ("a",)},
        )
    ]


def test_the_emulator_and_the_driver_never_import_the_handler() -> None:
    """The emulator is an independent oracle: it must not share code with what it checks."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import aws_emulator, cfn_driver.engine, cfn_driver.cloud; "
        "sys.exit(1 if any(m.startswith('cdk_workspaces_image_handler') for m in sys.modules) else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code, str(ROOT)], check=False).returncode == 0


def test_the_policy_module_is_pure() -> None:
    source = (Path(ROOT) / "aws_emulator" / "iam.py").read_text()
    imports = set(re.findall(r"^(?:from|import) ([\w.]+)", source, re.MULTILINE))
    assert imports <= {"__future__", "enum", "functools", "re", "collections.abc", "dataclasses", "typing"}
