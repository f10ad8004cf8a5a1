"""Deploy real synthesized apps through the CloudFormation lifecycle driver into the emulator.

Every run uses the real bundled handler asset in a separate process, the
emulator behind a loopback HTTP endpoint, and a virtual clock.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar

import aws_cdk as cdk
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sns as sns

from aws_emulator import Plan
from cdk_workspaces_image import ComputeType, NoUpdateBehavior, UpdatedWorkspaceImage, WorkspaceBundle
from cfn_driver.assembly import Assembly, load
from cfn_driver.cloud import ACCOUNT, REGION, LocalCloud
from cfn_driver.engine import CloudFormation, Faults, Stack, StackEvent

# A fixed seed makes the emulator's ids the same in every fresh cloud, so one synthesized app serves many rows.
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
        """The words of every call IAM refused (not injected AccessDenied faults)."""
        return [d.message for d in self.cloud.access.denials]
