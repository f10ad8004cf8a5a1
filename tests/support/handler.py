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
from typing import TYPE_CHECKING, Any, cast

import boto3
from botocore.stub import Stubber

from aws_emulator import DynamoDBBackend, EventBridgeBackend, VirtualClock, attach
from cdk_workspaces_image_handler import contract, index
from cdk_workspaces_image_handler.bundle import parse_bundle_request
from cdk_workspaces_image_handler.bundle_image import Marker
from cdk_workspaces_image_handler.image import parse_request
from cdk_workspaces_image_handler.kernel import Ownership
from cdk_workspaces_image_handler.record import Entry, Records, adopted_key, applied_key, is_record, made_key
from support import STACK_ID

if TYPE_CHECKING:
    from mypy_boto3_workspaces import WorkSpacesClient

FUNCTION_ARN = "arn:aws:lambda:eu-west-1:111122223333:function:Provider"


def response_url(region: str = "eu-west-1", name: str = "request") -> str:
    """A presigned URL of CloudFormation's custom resource response bucket of `region`, as it hands them out
    (trust.py); its signature is a credential, which must never be logged."""
    return (
        f"https://cloudformation-custom-resource-response-{region.replace('-', '')}.s3.{region}.amazonaws.com/"
        f"arn%3Aaws%3Acloudformation%3A{region}%3A111122223333%3Astack/Golden/{name}"
        "?X-Amz-Signature=secret-response-signature"
    )


def handle_url(name: str = "handle", region: str = "eu-west-1") -> str:
    """The URL of a WaitConditionHandle of the stack (its physical id): a presigned URL of CloudFormation's wait
    condition bucket of `region`."""
    return (
        f"https://cloudformation-waitcondition-{region}.s3.{region}.amazonaws.com/"
        f"arn%3Aaws%3Acloudformation%3A{region}%3A111122223333%3Astack/Golden/{name}"
        "?X-Amz-Signature=secret-handle-signature"
    )


RESPONSE_URL = response_url()
HANDLE_URL = handle_url()
SOURCE = "wsi-source0001"
NEW = "wsi-updated0001"
T0 = 1_800_000_000.0
ACCOUNT = "111122223333"
IMAGE_TYPE = "Custom::UpdatedWorkspaceImage"
BUNDLE_TYPE = "Custom::WorkspaceBundle"
BUNDLE_IMAGE_TYPE = "Custom::WorkspaceBundleImage"
BUNDLE = "wsb-bundle0001"
# The accounts the template the handler tests play shares its images with (the provider's SHARE_ACCOUNTS).
TEMPLATE_SHARES = frozenset({"444455556666", "777788889999", "222233334444"})
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
            workspaces_in=lambda region: cast("WorkSpacesClient", self.in_region(region).client),
            apply_bundles=frozenset({BUNDLE}),
            share_accounts=TEMPLATE_SHARES,
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
        return [json.loads(item["Watch"]["S"]) for item in self.table.items(WATCH_TABLE) if not is_record(item)]

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

    def response(self, url: str = RESPONSE_URL) -> dict[str, Any]:
        """The one custom resource response sent (to `url`) since the last call."""
        responses = [b for u, b in self.sent if u == url]
        assert len(responses) == 1, f"expected one response, got {responses}"
        self.sent = [(u, b) for u, b in self.sent if u != url]
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

    def signal(self, url: str = HANDLE_URL) -> dict[str, Any]:
        """The one wait condition signal sent to `url` since the last call."""
        signals = [b for u, b in self.sent if u == url]
        assert len(signals) == 1, f"expected one signal, got {signals}"
        self.sent = [(u, b) for u, b in self.sent if u != url]
        return signals[0]

    # ------------------------------------------------------------ CloudFormation

    @property
    def stack_id(self) -> str:
        """The provider's own stack, which it asks CloudFormation about (a test may move it to another Region)."""
        assert index.deps is not None
        return index.deps.stack_id

    def template_shares(self, *accounts: str) -> None:
        """The accounts the stack's images are shared with (the provider's environment)."""
        assert index.deps is not None
        index.deps.share_accounts = frozenset(accounts)

    def template_names(self, *bundle_ids: str) -> None:
        """The bundles the stack's apply_to_bundle names (the provider's environment)."""
        assert index.deps is not None
        index.deps.apply_bundles = frozenset(bundle_ids)

    def confirms(
        self,
        ev: Mapping[str, Any],
        *,
        stack_status: str | None = None,
        resource_status: str | None = None,
        physical_id: str | None = None,
        handles: tuple[str, ...] | None = None,
    ) -> None:
        """CloudFormation's answers while it sends `ev` itself: the stack in the operation that sends that request
        type, and the resource in progress with the physical id the request names (or those given). The stack's
        WaitConditionHandles are HANDLE_URL's and the one the request names, unless `handles` says which."""
        kind = ev["RequestType"]
        operation = {"Create": "CREATE_IN_PROGRESS", "Update": "UPDATE_IN_PROGRESS", "Delete": "DELETE_IN_PROGRESS"}
        status = resource_status or operation[kind]
        held = ev.get("PhysicalResourceId") if physical_id is None else physical_id
        self.stack_resource(ev["LogicalResourceId"], ev.get("ResourceType", ""), status, held or None)
        self.stack_status(stack_status or operation[kind])
        named = ev.get("ResourceProperties", {}).get("WaitHandle")
        if kind != "Delete" and named:
            self.wait_handles(*(handles if handles is not None else tuple(dict.fromkeys([HANDLE_URL, named]))))

    def stack_resource(self, logical_id: str, resource_type: str, status: str, physical_id: str | None) -> None:
        """DescribeStackResource of `logical_id`, as CloudFormation holds it now; an empty type: no such resource."""
        params = {"StackName": self.stack_id, "LogicalResourceId": logical_id}
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
            "StackId": self.stack_id,
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
            "StackId": self.stack_id,
            "CreationTime": datetime.fromtimestamp(T0, tz=UTC),
            "StackStatus": status,
        }
        self.cf.add_response("describe_stacks", {"Stacks": [stack]}, {"StackName": self.stack_id})

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
        self.cf.add_response(
            "list_stack_resources", {"StackResourceSummaries": summaries}, {"StackName": self.stack_id}
        )

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

    def claim(
        self,
        properties: Mapping[str, Any],
        *,
        claimed_until: float,
        resource_id: str = "",
        logical_id: str = "GoldenResource",
        request_type: str = "Create",
    ) -> None:
        """The claim an image request writes before its create call (record.py), as a delivery of the request of
        `request_type` left it: without `resource_id`, its create call never answered."""
        request_id = f"{request_type}-request"
        ownership = Ownership.of(STACK_ID, logical_id, parse_request(properties, check=False), request_id)
        entry = Entry(
            made_key(request_id),
            resource_id=resource_id,
            physical_id=resource_id,
            request_key=ownership.request_key,
            tag=ownership.tag_value,
            claimed_until=claimed_until,
        )
        Records(self.dynamodb_client, WATCH_TABLE).put(logical_id, entry)

    def record_applied(
        self, bundle_id: str, previous: str, *, logical_id: str = "ApplyResource", request_type: str = "Create"
    ) -> None:
        """Put in the record a re-point apply_to_bundle made (the bundle had `previous` before)."""
        marker = Marker.of(STACK_ID, logical_id, f"{request_type}-request", previous)
        entry = Entry(
            applied_key(bundle_id),
            resource_id=bundle_id,
            physical_id=f"{bundle_id}:{previous}",
            tag=marker.value,
            previous_image_id=previous,
        )
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

    def listed(self, images: list[dict[str, Any]]) -> None:
        """DescribeWorkspaceImages(OWNED) alone: which images bear a name, to say whose it is."""
        self.ws.add_response("describe_workspace_images", {"Images": images}, {"ImageType": "OWNED"})

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

    def fresh_create(
        self,
        properties: Mapping[str, Any],
        *,
        new_state: str = "PENDING",
        new_id: str = NEW,
        logical_id: str = "GoldenResource",
        request_type: str = "Create",
    ) -> None:
        """The calls of a request that makes a new image: three, whatever the account holds (the source, the
        create, the new image)."""
        source = str(properties["SourceImageId"])
        self.describe(source, image(source, name="golden-src", update=True))
        self.create(properties, new_id, logical_id, request_type)
        self.describe(new_id, image(new_id, state=new_state))

    def created(self, properties: Mapping[str, Any], *, new_id: str = NEW, logical_id: str = "GoldenResource") -> None:
        """A genuine Create that made `new_id`, AVAILABLE at once, answered and signalled: what a later request of
        the test acts on is then in the provider's record as the handler itself wrote it."""
        self.fresh_create(properties, new_state="AVAILABLE", new_id=new_id, logical_id=logical_id)
        self.run(event("Create", properties, logical_id=logical_id))
        assert self.response()["PhysicalResourceId"] == new_id
        if properties.get("WaitHandle"):
            assert self.signal(str(properties["WaitHandle"]))["Data"] == new_id

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

    def listed_bundles(self, bundles: list[dict[str, Any]]) -> None:
        """DescribeWorkspaceBundles (the account's own) alone: which bundles bear a name, to say whose it is."""
        self.ws.add_response("describe_workspace_bundles", {"Bundles": bundles}, {})

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

    def created_bundle(self, properties: Mapping[str, Any], *, new_id: str = BUNDLE) -> None:
        """A genuine Create that made bundle `new_id`, AVAILABLE at once, and answered: in the record as the handler
        wrote it."""
        self.fresh_bundle(properties, new_id=new_id)
        self.run(bundle_event("Create", properties))
        assert self.response()["PhysicalResourceId"] == new_id
