"""Deploy real synthesized apps through the CloudFormation lifecycle driver into the emulator.

Every run uses the real bundled handler asset in a separate process, the
emulator behind a loopback HTTP endpoint, and a virtual clock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aws_cdk as cdk

from cdk_workspaces_image import NoUpdateBehavior, UpdatedWorkspaceImage
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


@dataclass
class World:
    """A fresh emulated account and a driver, with what the run left behind."""

    cloud: LocalCloud
    cfn: CloudFormation
    sources: list[str] = field(default_factory=list)
    events: list[StackEvent] = field(default_factory=list)

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
            found += [json.loads(item["Watch"]["S"]) for item in self.cloud.dynamodb.items(table)]
        return found

    def watching(self) -> list[str]:
        """What still watches after a stack operation: enabled watch rules, and waits in watch tables."""
        return self.enabled_rules() + [f"wait of {w['logical_id']}" for w in self.waits()]

    def calls(self, operation: str) -> int:
        return len(self.cloud.workspaces.calls_to(operation))

    def reasons(self) -> list[str]:
        return [e.reason for e in self.events if e.reason]
