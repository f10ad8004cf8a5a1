"""A harness that runs the real handler (lambda/index.py) against botocore Stubbers.

Every WorkSpaces, EventBridge and CloudFormation request the handler makes is checked by the
Stubber against botocore's service model and against the parameters the test
expects, in order. The watch table (waits and the provider's record) is the emulator's DynamoDB. Time is a
virtual clock; nothing sleeps.

CloudFormation stands behind every request a test runs, unless the test says otherwise: `World.run` expects the
handler to ask DescribeStackResource and DescribeStacks (and ListStackResources for a WaitHandle) and answers as
CloudFormation would while it sends that very request (`World.confirms`). A test of a forged request passes
`genuine=False` and expects what CloudFormation would say instead.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.stub import Stubber

from aws_emulator import DynamoDBBackend, EventBridgeBackend, VirtualClock, attach
from cdk_workspaces_image_handler import contract, index
from cdk_workspaces_image_handler.bundle import parse_bundle_request
from cdk_workspaces_image_handler.image import parse_request
from cdk_workspaces_image_handler.kernel import Ownership
from cdk_workspaces_image_handler.record import Entry, Records, adopted_key
from support import STACK_ID

FUNCTION_ARN = "arn:aws:lambda:eu-west-1:111122223333:function:Provider"
# Presigned URLs of CloudFormation's own buckets for eu-west-1, as it hands them out (trust.py); their signatures are
# credentials, which must never be logged.
RESPONSE_URL = (
    "https://cloudformation-custom-resource-response-euwest1.s3.eu-west-1.amazonaws.com/"
    "arn%3Aaws%3Acloudformation%3Aeu-west-1%3A111122223333%3Astack/Golden/request"
    "?X-Amz-Signature=secret-response-signature"
)
HANDLE_URL = (
    "https://cloudformation-waitcondition-eu-west-1.s3.eu-west-1.amazonaws.com/"
    "arn%3Aaws%3Acloudformation%3Aeu-west-1%3A111122223333%3Astack/Golden/handle"
    "?X-Amz-Signature=secret-handle-signature"
)
SOURCE = "wsi-source0001"
NEW = "wsi-updated0001"
T0 = 1_800_000_000.0
ACCOUNT = "111122223333"
IMAGE_TYPE = "Custom::UpdatedWorkspaceImage"
BUNDLE_TYPE = "Custom::WorkspaceBundle"
BUNDLE_IMAGE_TYPE = "Custom::WorkspaceBundleImage"
BUNDLE = "wsb-bundle0001"
BUNDLE_LOGICAL_ID = "StandardResource"


@dataclass
class Context:
    """What Lambda passes as context, with a remaining time."""

    invoked_function_arn: str = FUNCTION_ARN
    function_name: str = "Provider"
    aws_request_id: str = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


@dataclass
class Clock:
    now: float = T0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def props(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "ServiceToken": FUNCTION_ARN,
        "ServiceTimeout": "3600",
        "SourceImageId": SOURCE,
        "Name": "golden-2026-11",
        "Description": "Golden image with the latest WorkSpaces updates",
        "Tags": [{"Key": "team", "Value": "euc"}],
        "NoUpdateBehavior": "FAIL",
        "TimeoutSeconds": "10800",
        "WaitHandle": HANDLE_URL,
    }
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def event(
    request_type: str,
    properties: Mapping[str, Any],
    *,
    logical_id: str = "GoldenResource",
    physical_id: str | None = None,
    old: Mapping[str, Any] | None = None,
    resource_type: str = IMAGE_TYPE,
) -> dict[str, Any]:
    ev: dict[str, Any] = {
        "RequestType": request_type,
        "ServiceToken": FUNCTION_ARN,
        "ResponseURL": RESPONSE_URL,
        "StackId": STACK_ID,
        "RequestId": f"{request_type}-request",
        "LogicalResourceId": logical_id,
        "ResourceType": resource_type,
        "ResourceProperties": dict(properties),
    }
    if physical_id is not None:
        ev["PhysicalResourceId"] = physical_id
    if old is not None:
        ev["OldResourceProperties"] = dict(old)
    return ev


def image(
    image_id: str,
    *,
    name: str = "golden-2026-11",
    state: str = "AVAILABLE",
    update: bool = False,
    created: float = T0,
    **extra: Any,
) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "ImageId": image_id,
        "Name": name,
        "State": state,
        "Created": datetime.fromtimestamp(created, tz=UTC),
        "Updates": {"UpdateAvailable": update, **({"Description": "WorkSpaces agent and drivers"} if update else {})},
    }
    raw.update(extra)
    return raw


def available_signal(image_id: str) -> dict[str, Any]:
    """The wait condition signal that says the image is AVAILABLE."""
    return {"Status": "SUCCESS", "Reason": f"image {image_id} is AVAILABLE", "UniqueId": "ImageId", "Data": image_id}


def owner_tag(properties: Mapping[str, Any], logical_id: str = "GoldenResource", request_type: str = "") -> str:
    """The ownership tag for these properties; with `request_type`, as the request of that type writes it
    (with its delivery key), else as a version before delivery keys wrote it."""
    request_id = f"{request_type}-request" if request_type else ""
    return Ownership.of(STACK_ID, logical_id, parse_request(properties, check=False), request_id).tag_value


# ---------------------------------------------------------------- bundles


def bundle_props(**over: Any) -> dict[str, Any]:
    """Custom::WorkspaceBundle properties as CloudFormation passes them (every value a string)."""
    base: dict[str, Any] = {
        "ServiceToken": FUNCTION_ARN,
        "ServiceTimeout": "3600",
        "BundleName": "golden-standard",
        "BundleDescription": "Standard bundle on the golden image",
        "ImageId": NEW,
        "ComputeType": {"Name": "STANDARD"},
        "UserStorage": {"Capacity": "50"},
        "RootStorage": {"Capacity": "80"},
        "Tags": [{"Key": "team", "Value": "euc"}],
    }
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def bundle_event(request_type: str, properties: Mapping[str, Any], **kwargs: Any) -> dict[str, Any]:
    return event(request_type, properties, logical_id=BUNDLE_LOGICAL_ID, resource_type=BUNDLE_TYPE, **kwargs)


def bundle_image_event(request_type: str, properties: Mapping[str, Any], **kwargs: Any) -> dict[str, Any]:
    return event(request_type, properties, logical_id="ApplyResource", resource_type=BUNDLE_IMAGE_TYPE, **kwargs)


def bundle_image_props(bundle_id: str = BUNDLE, image_id: str = NEW) -> dict[str, Any]:
    return {"ServiceToken": FUNCTION_ARN, "ServiceTimeout": "3600", "BundleId": bundle_id, "ImageId": image_id}


def bundle(
    bundle_id: str,
    *,
    name: str = "golden-standard",
    image_id: str = NEW,
    state: str = "AVAILABLE",
    owner: str = ACCOUNT,
) -> dict[str, Any]:
    """A bundle as DescribeWorkspaceBundles answers it."""
    return {
        "BundleId": bundle_id,
        "Name": name,
        "Owner": owner,
        "Description": "Standard bundle on the golden image",
        "ImageId": image_id,
        "RootStorage": {"Capacity": "80"},
        "UserStorage": {"Capacity": "50"},
        "ComputeType": {"Name": "STANDARD"},
        "CreationTime": datetime.fromtimestamp(T0, tz=UTC),
        "LastUpdatedTime": datetime.fromtimestamp(T0, tz=UTC),
        "State": state,
        "BundleType": "REGULAR",
    }


def bundle_owner_tag(properties: Mapping[str, Any], logical_id: str = BUNDLE_LOGICAL_ID, request_type: str = "") -> str:
    request_id = f"{request_type}-request" if request_type else ""
    return Ownership.of(STACK_ID, logical_id, parse_bundle_request(properties, check=False), request_id).tag_value


WATCH_TABLE = "Golden-WatchTable-ABC123"
WATCH_RULE = "cdkwsi-7f0a2c1e-0000-4000-8000-000000000001"
TICK = json.loads(contract.TICK_INPUT)


@dataclass
class World:
    """Stubbed clients wired into the handler, plus what it sent to CloudFormation.

    WorkSpaces and EventBridge are Stubbers (every call expected, in order); the watch table is the emulator's
    DynamoDB, validated against botocore's model, so a test reads what the handler keeps there. The events the
    handler puts on the default bus go to the emulator's EventBridge too (`news()` reads them), so that a test
    of something else need not expect them among the Stubber's calls.
    """

    clock: Clock = field(default_factory=Clock)
    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    # Set by watch_stopped(): the next tick ends the last wait (and disables the rule), and after the next
    # run no wait is left in the table, unless watch_started() says the run starts one.
    _stop_expected: bool = False
    _start_expected: bool = False
    # WorkSpaces of other Regions (where copies are made), each a Stubber of its own: `in_region(region)`.
    regions: dict[str, Stubber] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.ws_client = boto3.client("workspaces")
        self.events_client = boto3.client("events")
        self.dynamodb_client = boto3.client("dynamodb")
        self.cf_client = boto3.client("cloudformation")
        self.ws = Stubber(self.ws_client)
        self.ev = Stubber(self.events_client)
        self.cf = Stubber(self.cf_client)
        self.ws.activate()
        self.ev.activate()
        self.cf.activate()
        self.table = DynamoDBBackend(VirtualClock(), ACCOUNT, "eu-west-1")
        self.table.add_table(
            WATCH_TABLE,
            contract.WATCH_TABLE_KEY,
            range_key=contract.WATCH_TABLE_SORT_KEY,
            ttl_attribute=contract.WATCH_TABLE_TTL,
        )
        self.detach = attach(self.dynamodb_client, self.table)
        self.bus_client = boto3.client("events")
        self.bus = EventBridgeBackend(VirtualClock(), ACCOUNT, "eu-west-1")
        attach(self.bus_client, self.bus)
        index.deps = index.Deps(
            workspaces=self.ws_client,
            events=self.events_client,
            bus=self.bus_client,
            dynamodb=self.dynamodb_client,
            watch_table=WATCH_TABLE,
            watch_rule=WATCH_RULE,
            stack_id=STACK_ID,
            cloudformation=self.cf_client,
            send=lambda url, body: self.sent.append((url, json.loads(json.dumps(body)))),
            clock=self.clock,
            workspaces_in=lambda region: self.in_region(region).client,
            apply_bundles=frozenset({BUNDLE}),
        )

    def in_region(self, region: str) -> Stubber:
        """The Stubber of WorkSpaces in `region` (made on first use), whose calls a test expects like `ws`'s."""
        if region not in self.regions:
            stubber = Stubber(boto3.client("workspaces", region_name=region))
            stubber.activate()
            self.regions[region] = stubber
        return self.regions[region]

    # ------------------------------------------------------------ running

    def waits(self) -> list[dict[str, Any]]:
        """The waits the handler keeps in the stack's watch table, as it wrote them."""
        return [json.loads(item["Watch"]["S"]) for item in self.table.items(WATCH_TABLE) if "Watch" in item]

    def tick(self) -> None:
        """Fire the stack's watch rule the way EventBridge would: its constant Input as the event."""
        if self._stop_expected and not self._start_expected:
            self.ev.add_response("disable_rule", {}, {"Name": WATCH_RULE})
        self.run(TICK)

    def run(self, ev: Mapping[str, Any], *, genuine: bool = True) -> None:
        """Run one event. A custom resource request is one CloudFormation sends (it confirms it) unless `genuine`
        is False: then the test expects what CloudFormation says of it."""
        if genuine and "RequestType" in ev:
            self.confirms(ev)
        index.handler(dict(ev), Context())
        self.ws.assert_no_pending_responses()
        for stubber in self.regions.values():
            stubber.assert_no_pending_responses()
        self.ev.assert_no_pending_responses()
        self.cf.assert_no_pending_responses()
        if self._start_expected:
            assert self.waits(), "a wait should have started"
        elif self._stop_expected:
            assert not self.waits(), "the wait should have ended"
        self._stop_expected = self._start_expected = False

    def response(self) -> dict[str, Any]:
        """The one custom resource response sent since the last call."""
        responses = [b for url, b in self.sent if url == RESPONSE_URL]
        assert len(responses) == 1, f"expected one response, got {responses}"
        self.sent = [(u, b) for u, b in self.sent if u != RESPONSE_URL]
        return responses[0]

    def news(self) -> list[tuple[str, dict[str, Any]]]:
        """Every event the handler put on the default bus, in order: (DetailType, Detail)."""
        return [
            (entry["DetailType"], json.loads(entry["Detail"]))
            for call in self.bus.calls
            if call.operation == "PutEvents" and call.error is None
            for entry in call.params["Entries"]
            if entry.get("Source") == contract.EVENT_SOURCE
        ]

    def signal(self) -> dict[str, Any]:
        signals = [b for url, b in self.sent if url == HANDLE_URL]
        assert len(signals) == 1, f"expected one signal, got {signals}"
        self.sent = [(u, b) for u, b in self.sent if u != HANDLE_URL]
        return signals[0]

    # ------------------------------------------------------------ CloudFormation

    def confirms(
        self,
        ev: Mapping[str, Any],
        *,
        stack_status: str | None = None,
        resource_status: str | None = None,
        physical_id: str | None = None,
        handles: tuple[str, ...] = (HANDLE_URL,),
    ) -> None:
        """CloudFormation's answers while it sends `ev` itself: the stack in the operation that sends that request
        type, and the resource in progress with the physical id the request names (or those given)."""
        kind = ev["RequestType"]
        operation = {"Create": "CREATE_IN_PROGRESS", "Update": "UPDATE_IN_PROGRESS", "Delete": "DELETE_IN_PROGRESS"}
        status = resource_status or operation[kind]
        held = ev.get("PhysicalResourceId") if physical_id is None else physical_id
        self.stack_resource(ev["LogicalResourceId"], ev.get("ResourceType", ""), status, held or None)
        self.stack_status(stack_status or operation[kind])
        if kind != "Delete" and ev.get("ResourceProperties", {}).get("WaitHandle"):
            self.wait_handles(*handles)

    def stack_resource(self, logical_id: str, resource_type: str, status: str, physical_id: str | None) -> None:
        """DescribeStackResource of `logical_id`, as CloudFormation holds it now; an empty type: no such resource."""
        params = {"StackName": STACK_ID, "LogicalResourceId": logical_id}
        if not resource_type:
            self.cf.add_client_error(
                "describe_stack_resource",
                "ValidationError",
                f"Resource {logical_id} does not exist for stack Golden",
                expected_params=params,
            )
            return
        detail: dict[str, Any] = {
            "StackName": "Golden",
            "StackId": STACK_ID,
            "LogicalResourceId": logical_id,
            "ResourceType": resource_type,
            "LastUpdatedTimestamp": datetime.fromtimestamp(T0, tz=UTC),
            "ResourceStatus": status,
        }
        if physical_id:
            detail["PhysicalResourceId"] = physical_id
        self.cf.add_response("describe_stack_resource", {"StackResourceDetail": detail}, params)

    def stack_status(self, status: str) -> None:
        stack = {
            "StackName": "Golden",
            "StackId": STACK_ID,
            "CreationTime": datetime.fromtimestamp(T0, tz=UTC),
            "StackStatus": status,
        }
        self.cf.add_response("describe_stacks", {"Stacks": [stack]}, {"StackName": STACK_ID})

    def wait_handles(self, *urls: str) -> None:
        """ListStackResources: the stack's WaitConditionHandles, whose physical ids are their URLs."""
        summaries = [
            {
                "LogicalResourceId": f"AvailableHandle{n}",
                "PhysicalResourceId": url,
                "ResourceType": "AWS::CloudFormation::WaitConditionHandle",
                "LastUpdatedTimestamp": datetime.fromtimestamp(T0, tz=UTC),
                "ResourceStatus": "CREATE_COMPLETE",
            }
            for n, url in enumerate(urls)
        ]
        self.cf.add_response("list_stack_resources", {"StackResourceSummaries": summaries}, {"StackName": STACK_ID})

    # ------------------------------------------------------------ the provider's record

    def recorded(self, logical_id: str = "GoldenResource") -> list[Entry]:
        """What the provider's record holds for `logical_id`, read from the table as the handler wrote it."""
        return list(Records(self.dynamodb_client, WATCH_TABLE).of(logical_id).entries.values())

    def recorded_ids(self, logical_id: str = "GoldenResource") -> set[str]:
        return {e.resource_id for e in self.recorded(logical_id) if e.resource_id}

    def record(self, resource_id: str, tag: str = "", logical_id: str = "GoldenResource", **fields: Any) -> None:
        """Put in the record what an earlier request made (as the handler would have recorded it)."""
        entry = Entry(adopted_key(resource_id), resource_id=resource_id, physical_id=resource_id, tag=tag, **fields)
        Records(self.dynamodb_client, WATCH_TABLE).put(logical_id, entry)

    # ------------------------------------------------------------ expectations

    def owned(
        self,
        images: list[dict[str, Any]],
        tags: Mapping[str, Mapping[str, str]] | None = None,
        name: str = "golden-2026-11",
    ) -> None:
        """DescribeWorkspaceImages(OWNED), then DescribeTags for each image of that name."""
        self.ws.add_response("describe_workspace_images", {"Images": images}, {"ImageType": "OWNED"})
        for raw in images:
            if raw.get("Name") == name:
                self.tags(raw["ImageId"], (tags or {}).get(raw["ImageId"], {}))

    def tags(self, image_id: str, tags: Mapping[str, str]) -> None:
        self.ws.add_response(
            "describe_tags", {"TagList": [{"Key": k, "Value": v} for k, v in tags.items()]}, {"ResourceId": image_id}
        )

    def describe(self, image_id: str, raw: dict[str, Any] | None) -> None:
        self.ws.add_response("describe_workspace_images", {"Images": [raw] if raw else []}, {"ImageIds": [image_id]})

    def create(
        self,
        properties: Mapping[str, Any],
        new_id: str = NEW,
        logical_id: str = "GoldenResource",
        request_type: str = "Create",
    ) -> None:
        """CreateUpdatedWorkspaceImage, tagged as the request of `request_type` writes the ownership tag."""
        tags = [
            *properties.get("Tags", []),
            {"Key": contract.OWNER_TAG_KEY, "Value": owner_tag(properties, logical_id, request_type)},
        ]
        self.ws.add_response(
            "create_updated_workspace_image",
            {"ImageId": new_id},
            {
                "Name": properties["Name"],
                "Description": properties["Description"],
                "SourceImageId": properties["SourceImageId"],
                "Tags": tags,
            },
        )

    def watch_started(self) -> None:
        """The request starts a wait: it is kept in the table, and the stack's rule is enabled."""
        self.ev.add_response("enable_rule", {}, {"Name": WATCH_RULE})
        self._start_expected = True

    def watch_stopped(self) -> None:
        """The request or tick ends this resource's wait: none is left in the table after it runs (and a tick
        that ends the last one disables the rule)."""
        self._stop_expected = True

    def fresh_create(self, properties: Mapping[str, Any], *, new_state: str = "PENDING") -> None:
        """The calls of a first Create that makes a new image: three, whatever the account holds (the source, the
        create, the new image)."""
        self.describe(SOURCE, image(SOURCE, name="golden-src", update=True))
        self.create(properties)
        self.describe(NEW, image(NEW, state=new_state))

    # ------------------------------------------------------------ bundle expectations

    def owned_bundles(
        self,
        bundles: list[dict[str, Any]],
        tags: Mapping[str, Mapping[str, str]] | None = None,
        name: str = "golden-standard",
    ) -> None:
        """DescribeWorkspaceBundles (the account's own), then DescribeTags for each bundle of that name."""
        self.ws.add_response("describe_workspace_bundles", {"Bundles": bundles}, {})
        for raw in bundles:
            if raw.get("Name") == name:
                self.tags(raw["BundleId"], (tags or {}).get(raw["BundleId"], {}))

    def describe_bundle(self, bundle_id: str, raw: dict[str, Any] | None) -> None:
        self.ws.add_response(
            "describe_workspace_bundles", {"Bundles": [raw] if raw else []}, {"BundleIds": [bundle_id]}
        )

    def create_bundle(
        self,
        properties: Mapping[str, Any],
        new_id: str = BUNDLE,
        logical_id: str = BUNDLE_LOGICAL_ID,
        request_type: str = "Create",
    ) -> None:
        tags = [
            *properties.get("Tags", []),
            {"Key": contract.OWNER_TAG_KEY, "Value": bundle_owner_tag(properties, logical_id, request_type)},
        ]
        expected = {
            "BundleName": properties["BundleName"],
            "BundleDescription": properties["BundleDescription"],
            "ImageId": properties["ImageId"],
            "ComputeType": properties["ComputeType"],
            "UserStorage": properties["UserStorage"],
            "Tags": tags,
        }
        if "RootStorage" in properties:
            expected["RootStorage"] = properties["RootStorage"]
        answer = bundle(new_id, name=properties["BundleName"], image_id=properties["ImageId"], state="PENDING")
        self.ws.add_response("create_workspace_bundle", {"WorkspaceBundle": answer}, expected)

    def update_bundle(self, bundle_id: str, image_id: str) -> None:
        self.ws.add_response("update_workspace_bundle", {}, {"BundleId": bundle_id, "ImageId": image_id})

    def fresh_bundle(
        self,
        properties: Mapping[str, Any],
        *,
        new_id: str = BUNDLE,
        new_state: str = "AVAILABLE",
        request_type: str = "Create",
    ) -> None:
        """The calls of a request (a Create, or an Update that replaces) that makes a new bundle: the create and the
        new bundle."""
        name = properties["BundleName"]
        self.create_bundle(properties, new_id, request_type=request_type)
        made = bundle(new_id, name=name, image_id=properties["ImageId"], state=new_state)
        self.describe_bundle(new_id, made)
