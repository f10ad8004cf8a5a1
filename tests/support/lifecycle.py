"""Deploy real synthesized apps through the CloudFormation lifecycle driver into the emulator.

Every run uses the real bundled handler asset in a separate process, the
emulator behind a loopback HTTP endpoint, and a virtual clock.
"""

from __future__ import annotations

import copy
import json
import threading
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import aws_cdk as cdk
import boto3
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sns as sns

from aws_emulator import Plan
from cdk_workspaces_image import ComputeType, NoUpdateBehavior, UpdatedWorkspaceImage, WorkspaceBundle
from cfn_driver.assembly import Assembly, load
from cfn_driver.cloud import ACCOUNT, REGION, LocalCloud
from cfn_driver.engine import CloudFormation, Faults, Stack, StackEvent, stringified
from cfn_driver.lambda_host import Invocation
from support.emulator import NO_RETRIES
from support.synth_cache import cached

# A fixed seed makes the emulator's ids the same in every fresh cloud, so one synthesized app serves many rows: `synth`,
# `every_resource_type` and `distributed` synthesize once a session for the same arguments (support.synth_cache).
SEED = 20261126


@dataclass
class ImageSpec:
    construct_id: str = "Golden"
    source_image_id: str = ""
    image_name: str = "golden-2026-11"
    description: str = "Golden image"
    tags: dict[str, str] | None = None
    timeout: cdk.Duration | None = None
    no_update_behavior: NoUpdateBehavior = NoUpdateBehavior.FAIL
    removal_policy: cdk.RemovalPolicy | None = None


# The bundle the lifecycle tests put on their image, as a user would write it.
STANDARD_BUNDLE: dict[str, Any] = {
    "bundle_name": "golden-standard",
    "description": "Standard bundle",
    "compute_type": ComputeType.STANDARD,
    "user_storage_gib": 50,
    "root_storage_gib": 80,
}


@cached
def synth(outdir: Path, specs: list[ImageSpec], stack_name: str = "Golden") -> Assembly:
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, stack_name, env=cdk.Environment(account=ACCOUNT, region=REGION))
    for spec in specs:
        image = UpdatedWorkspaceImage(
            stack,
            spec.construct_id,
            source_image_id=spec.source_image_id,
            image_name=spec.image_name,
            description=spec.description,
            tags=spec.tags,
            timeout=spec.timeout,
            no_update_behavior=spec.no_update_behavior,
            removal_policy=spec.removal_policy,
        )
        cdk.CfnOutput(stack, f"{spec.construct_id[:200]}ImageId", value=image.image_id)
    app.synth()
    return load(outdir, stack_name)


# The ids `every_resource_type` names: the source image it updates and the bundle it re-points (apply_to_bundle).
SOURCE_ID = "wsi-0123456789"
NEXT_SOURCE_ID = "wsi-0123456790"
EXTERNAL_BUNDLE_ID = "wsb-0123456789"


@cached
def every_resource_type(
    outdir: Path,
    *,
    source_image_id: str = SOURCE_ID,
    image_name: str = "golden-2026-11",
    tags: dict[str, str] | None = None,
    removal_policy: cdk.RemovalPolicy | None = cdk.RemovalPolicy.DESTROY,
    stack_name: str = "Golden",
    bundle: bool = True,
    share_with_accounts: list[str] | None = None,
) -> Assembly:
    """An image, a bundle on it and apply_to_bundle of a bundle the stack does not manage (restored on delete): the
    example app with every resource type (tests/support/construct.py's `every_resource_type`, deployable)."""
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, stack_name, env=cdk.Environment(account=ACCOUNT, region=REGION))
    image = UpdatedWorkspaceImage(
        stack,
        "Golden",
        source_image_id=source_image_id,
        image_name=image_name,
        description="Golden image",
        tags={"team": "euc"} if tags is None else tags,
        removal_policy=removal_policy,
        share_with_accounts=share_with_accounts,
    )
    cdk.CfnOutput(stack, "ImageId", value=image.image_id)
    if bundle:
        standard = WorkspaceBundle(
            stack,
            "Standard",
            image_id=image.image_id,
            **STANDARD_BUNDLE,
            removal_policy=removal_policy,
        )
        cdk.CfnOutput(stack, "BundleId", value=standard.bundle_id)
    image.apply_to_bundle(EXTERNAL_BUNDLE_ID, restore_on_delete=True)
    app.synth()
    return load(outdir, stack_name)


@cached
def distributed(
    outdir: Path,
    source_image_id: str,
    *,
    generation: int = 1,
    share_with_accounts: Sequence[str] = (),
    copy_to_regions: Sequence[str] = (),
    keep_previous: int | None = None,
    removal_policy: cdk.RemovalPolicy | None = cdk.RemovalPolicy.DESTROY,
    notify_copies: bool = False,
) -> Assembly:
    """One generation of a golden image, shared and copied as asked (issue 12): its id in the output ImageId, and
    each copy's in ImageIdIn<region without dashes>; with `notify_copies`, each copy's on_image_available and
    on_image_failed notify a topic (its ARN in the output TopicArn)."""
    name = (
        f"g{generation}-{'-'.join([*share_with_accounts, *copy_to_regions]) or 'none'}-{keep_previous}-{removal_policy}"
    )
    app = cdk.App(outdir=str(outdir / name))
    stack = cdk.Stack(app, "Golden", env=cdk.Environment(account=ACCOUNT, region=REGION))
    image = UpdatedWorkspaceImage(
        stack,
        "Golden",
        source_image_id=source_image_id,
        image_name="golden-{generation}",
        generation=generation,
        description="Golden image",
        share_with_accounts=list(share_with_accounts),
        copy_to_regions=list(copy_to_regions),
        keep_previous=keep_previous,
        removal_policy=removal_policy,
    )
    cdk.CfnOutput(stack, "ImageId", value=image.image_id)
    for region in copy_to_regions:
        cdk.CfnOutput(stack, f"ImageIdIn{region.replace('-', '')}", value=image.image_id_in(region))
    if notify_copies:
        topic = sns.Topic(stack, "Notifications")
        cdk.CfnOutput(stack, "TopicArn", value=topic.topic_arn)
        for region, copy in image.copies.items():
            copy.on_image_available(f"Available{region.replace('-', '')}", target=targets.SnsTopic(topic))
            copy.on_image_failed(f"Failed{region.replace('-', '')}", target=targets.SnsTopic(topic))
    app.synth()
    return load(outdir / name, "Golden")


def provider_statements(assembly: Assembly) -> list[dict[str, Any]]:
    """The statements of the provider role's policies, unresolved, as the template has them."""
    found: list[dict[str, Any]] = []
    for resource in assembly.template["Resources"].values():
        if resource["Type"] == "AWS::IAM::Policy":
            found += resource["Properties"]["PolicyDocument"]["Statement"]
    return found


def without_statement(assembly: Assembly, sid: str) -> Assembly:
    """The same assembly with the statement `sid` taken out of the provider's policy (and nothing else)."""
    template = copy.deepcopy(assembly.template)
    removed = 0
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::IAM::Policy":
            statements = resource["Properties"]["PolicyDocument"]["Statement"]
            kept = [s for s in statements if s.get("Sid") != sid]
            removed += len(statements) - len(kept)
            resource["Properties"]["PolicyDocument"]["Statement"] = kept
    if removed != 1:
        raise ValueError(f"expected one statement {sid!r} in the provider's policy, found {removed}")
    return replace(assembly, template=template)


class Sink:
    """An attacker's own HTTP server, to hand a provider as a ResponseURL: `received` is every PUT it got, as (path,
    body); `url(name)` an http:// URL on it. A provider that PUTs nothing there leaves `received` empty."""

    def __init__(self) -> None:
        self.received: list[tuple[str, bytes]] = []
        lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with lock:
                    sink.received.append((self.path, body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def url(self, name: str = "response") -> str:
        return f"http://127.0.0.1:{self._server.server_port}/{name}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass
class World:
    """A fresh emulated account and a driver, with what the run left behind.

    IAM is enforced (LocalCloud's default; `World.new(enforce_iam=False)` turns it off). After each test of
    tests/lifecycle, its conftest checks that no call of any world was denied by IAM, unless the test set
    `expect_denials`: a denial nobody expected is a permission the provider's policy lacks.
    """

    cloud: LocalCloud
    cfn: CloudFormation
    sources: list[str] = field(default_factory=list)
    events: list[StackEvent] = field(default_factory=list)
    expect_denials: bool = False
    # The attackers' roles (client_as), whose refused calls are not the provider's policy gaps.
    attackers: set[str] = field(default_factory=set)
    sinks: list[Sink] = field(default_factory=list)
    # Every world made since the lifecycle conftest last looked.
    made: ClassVar[list[World]] = []

    @classmethod
    def new(
        cls,
        *,
        sources: int = 1,
        real_limit_seconds: float = 20.0,
        faults: Faults | None = None,
        rollback_updates_replacements: bool = True,
        rollback_reports_previous_id: bool = False,
        **options: Any,
    ) -> World:
        cloud = LocalCloud(seed=SEED, **options)
        ids = [cloud.workspaces.add_image(f"golden-src-{i}", update_available=True) for i in range(sources)]
        world = cls(cloud, None, ids)  # type: ignore[arg-type]
        world.cfn = CloudFormation(
            cloud,
            cloud.clock,
            account=ACCOUNT,
            region=REGION,
            real_limit_seconds=real_limit_seconds,
            on_event=world.events.append,
            faults=faults,
            rollback_updates_replacements=rollback_updates_replacements,
            rollback_reports_previous_id=rollback_reports_previous_id,
        )
        cls.made.append(world)
        return world

    @classmethod
    def for_every_resource_type(cls, **options: Any) -> World:
        """A world with what `every_resource_type` names: its source image, next month's, and the bundle it
        re-points (on the source image)."""
        world = cls.new(sources=0, default_plan=Plan.available(after_seconds=300), **options)
        workspaces = world.cloud.workspaces
        world.sources = [
            workspaces.add_image("golden-src", update_available=True, image_id=SOURCE_ID),
            workspaces.add_image("golden-src-next", update_available=True, image_id=NEXT_SOURCE_ID),
        ]
        workspaces.add_bundle(SOURCE_ID, name="production", bundle_id=EXTERNAL_BUNDLE_ID)
        return world

    def close(self) -> None:
        for sink in self.sinks:
            sink.close()
        self.cfn.close()
        self.cloud.close()

    def deploy(self, assembly: Assembly, parameters: dict[str, Any] | None = None) -> Stack:
        return self.cfn.deploy(assembly, parameters)

    # ------------------------------------------------------------ what is left behind

    def images(self) -> dict[str, str]:
        """Every image that is not a source, with its state."""
        return {i.image_id: i.state for i in self.cloud.workspaces.owned_images() if i.image_id not in self.sources}

    def images_in(self, region: str) -> dict[str, str]:
        """Every image the account owns in `region` (sources too), with its state."""
        return {i.image_id: i.state for i in self.cloud.workspaces_in(region).owned_images()}

    def stack_images(self, stack: Stack) -> set[str]:
        return {r.physical_id for r in stack.resources.values() if r.type == "Custom::UpdatedWorkspaceImage"}

    def orphans(self, stack: Stack, retained: set[str] = frozenset()) -> set[str]:  # type: ignore[assignment]
        """Images neither in the stack nor retained on purpose: what the user would pay a quota slot for."""
        return set(self.images()) - self.stack_images(stack) - set(retained)

    def rules(self) -> list[str]:
        return sorted(self.cloud.events.rules)

    def enabled_rules(self) -> list[str]:
        return sorted(name for name, rule in self.cloud.events.rules.items() if rule.state != "DISABLED")

    def tables(self) -> list[str]:
        return sorted(self.cloud.dynamodb.tables)

    def waits(self) -> list[dict[str, Any]]:
        """Every wait kept in any stack's watch table, as the handler wrote it."""
        found = []
        for table in self.tables():
            found += [json.loads(item["Watch"]["S"]) for item in self.cloud.dynamodb.items(table) if "Watch" in item]
        return found

    def watching(self) -> list[str]:
        """What still watches after a stack operation: enabled watch rules, and waits in watch tables."""
        return self.enabled_rules() + [f"wait of {w['logical_id']}" for w in self.waits()]

    def calls(self, operation: str) -> int:
        return len(self.cloud.workspaces.calls_to(operation))

    def news(self, detail_type: str | None = None) -> list[dict[str, Any]]:
        """The Detail of every event put on the default bus with the library's source (of one DetailType), in
        order, as the provider and the monitor put them: read from the emulator's call log."""
        return [
            json.loads(entry["Detail"])
            for call in self.cloud.events.calls
            if call.operation == "PutEvents" and call.error is None
            for entry in call.params["Entries"]
            if entry.get("Source") == "cdk-workspaces-image" and detail_type in (None, entry.get("DetailType"))
        ]

    def reasons(self) -> list[str]:
        return [e.reason for e in self.events if e.reason]

    # ------------------------------------------------------------ IAM

    def checked(self) -> int:
        """How many calls the provider made that the emulator checked against its role's policies."""
        if not self.cloud.access.enforce:
            return 0
        backends = [*self.cloud.backends.values(), *self.cloud.workspaces_regions.all().values()]
        # The home Region's WorkSpaces backend is in both lists: count it once.
        unique = {id(b): b for b in backends}.values()
        return sum(c.caller is not None for backend in unique for c in backend.calls)

    def denials(self) -> list[str]:
        """The words of every call IAM refused (not injected AccessDenied faults), but an attacker's (client_as)."""
        return [d.message for d in self.cloud.access.denials if d.principal.role_arn not in self.attackers]

    def client_as(self, service: str, statements: Sequence[Mapping[str, Any]], name: str = "attacker") -> Any:
        """A boto3 client of `service` at the emulator's endpoint, signed with the credentials of a session of role
        `name` whose identity-based policy is `statements`: IAM is evaluated for it as for any caller. No retries,
        so a refusal is seen as answered."""
        role = f"arn:aws:iam::{ACCOUNT}:role/{name}"
        document = {"Version": "2012-10-17", "Statement": [dict(s) for s in statements]}
        credentials = self.cloud.assume_role(role, name, lambda: [document])
        self.attackers.add(role)
        make: Any = boto3.client  # its typed overloads want a literal service name
        return make(
            service,
            region_name=REGION,
            endpoint_url=self.cloud.server.url,
            aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=credentials["AWS_SESSION_TOKEN"],
            config=NO_RETRIES,
        )

    # ------------------------------------------------------------ forged requests

    def provider_arn(self, stack: Stack) -> str:
        """The function the stack's custom resources name as ServiceToken (one provider per stack)."""
        tokens = {
            str(r.properties["ServiceToken"])
            for r in stack.resources.values()
            if r.type.startswith("Custom::") and "ServiceToken" in r.properties
        }
        if len(tokens) != 1:
            raise ValueError(f"expected one provider in stack {stack.name}, found {sorted(tokens)}")
        return tokens.pop()

    def invoke(self, stack: Stack, event: Mapping[str, Any]) -> Invocation:
        """Invoke the stack's provider synchronously with `event`, as any principal allowed lambda:InvokeFunction on
        it may: no retries; the Invocation says whether it failed (`ok`, `error`)."""
        return self.cfn.invoke(self.provider_arn(stack), dict(event))

    def invoke_async(self, stack: Stack, event: Mapping[str, Any]) -> None:
        """Invoke the stack's provider asynchronously with `event`, as CloudFormation does: a failure is retried 1 and
        3 minutes later, once the virtual clock gets there (`cfn.settle`)."""
        self.cfn.invoke_async(self.provider_arn(stack), dict(event))

    def forged(
        self,
        stack: Stack,
        request_type: str,
        logical_id: str,
        properties: Mapping[str, Any],
        *,
        physical_id: str | None = None,
        old_properties: Mapping[str, Any] | None = None,
        resource_type: str | None = None,
        response_url: str | None = None,
    ) -> dict[str, Any]:
        """A custom resource request shaped as CloudFormation's, with the stack's real StackId and ServiceToken, that
        CloudFormation never sent. `resource_type` defaults to the type of the stack's `logical_id` (else
        Custom::UpdatedWorkspaceImage); `response_url` to a CloudFormation-looking URL the inbox never issued.
        Properties are stringified as CloudFormation sends them, with the ServiceToken first."""
        token = self.provider_arn(stack)
        held = stack.resources.get(logical_id)
        event: dict[str, Any] = {
            "RequestType": request_type,
            "ServiceToken": token,
            "ResponseURL": response_url or self.unissued_url(),
            "StackId": stack.stack_id,
            "RequestId": str(uuid.uuid4()),
            "LogicalResourceId": logical_id,
            "ResourceType": resource_type or (held.type if held else "Custom::UpdatedWorkspaceImage"),
            "ResourceProperties": stringified({"ServiceToken": token, **properties}),
        }
        if physical_id is not None:
            event["PhysicalResourceId"] = physical_id
        if old_properties is not None:
            event["OldResourceProperties"] = stringified({"ServiceToken": token, **old_properties})
        return event

    def sink(self) -> Sink:
        """An attacker's HTTP server (closed with the world)."""
        made = Sink()
        self.sinks.append(made)
        return made

    def unissued_url(self, kind: str = "response") -> str:
        """A URL on CloudFormation's bucket ("response" or "signal") that the inbox never issued: a PUT there is
        answered 403 and kept in `cfn.inbox.forged`."""
        return self.cfn.inbox.unissued_url(kind)
