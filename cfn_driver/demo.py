"""A local deployment of the example app: what `cdk deploy` would do, played against the emulator.

    python -m cfn_driver.demo cdk.out [cdk.out.update]

Deploys the first assembly into an emulated account whose source image takes
2 h 17 min to update, printing CloudFormation's events on a virtual clock and
the stack's outputs. With a second assembly (the same app, next month's source
image), it then shows an update whose new image fails in WorkSpaces, rolled
back cleanly. Nothing here talks to AWS.
"""

from __future__ import annotations

import sys
from pathlib import Path

from aws_emulator import Plan
from cfn_driver.assembly import Assembly, load
from cfn_driver.cloud import ACCOUNT, REGION, LocalCloud
from cfn_driver.engine import CloudFormation, Stack, StackEvent

FIRST_UPDATE = Plan.available(after_seconds=2 * 3600 + 17 * 60)
FAILED_UPDATE = Plan.error(
    "UpdateFailed",
    "The image could not be updated",
    details=(("InsufficientDiskSpace", "The C: drive of the source image is full"),),
    after_seconds=41 * 60,
)


def _sources(assembly: Assembly) -> list[str]:
    return sorted(
        {
            str(r["Properties"]["SourceImageId"])
            for r in assembly.template["Resources"].values()
            if r["Type"] == "Custom::UpdatedWorkspaceImage"
        }
    )


def _names(assembly: Assembly) -> dict[str, str]:
    """Logical id -> construct path, the name a CDK user recognises."""
    names = {}
    for lid, resource in assembly.template["Resources"].items():
        path = str(resource.get("Metadata", {}).get("aws:cdk:path", lid))
        names[lid] = path.split("/", 1)[-1].removesuffix("/Resource").removesuffix("/Default")
    return names


class Printer:
    def __init__(self, cloud: LocalCloud, names: dict[str, str]) -> None:
        self.cloud = cloud
        self.names = names
        self.states: dict[str, str] = {}

    def __call__(self, event: StackEvent) -> None:
        self._image_states(event.time)
        hours, rest = divmod(int(event.time), 3600)
        stamp = f"+{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
        name = self.names.get(event.logical_id, event.logical_id)
        reason = f"  {event.reason}" if event.reason else ""
        print(f"{stamp}  {name[:44]:44s} {event.status}{reason}")

    def _image_states(self, elapsed: float) -> None:
        for image in self.cloud.workspaces.owned_images():
            if self.states.get(image.image_id) != image.state:
                self.states[image.image_id] = image.state
                print(f"{'':10s}  image {image.image_id} ({image.name}) is {image.state}")


def _summary(cloud: LocalCloud, stack: Stack) -> None:
    print(f"\nStack {stack.name}: {stack.status}" + (f" ({stack.reason})" if stack.reason else ""))
    for key, value in stack.outputs.items():
        print(f"  Output {key} = {value}")
    images = ", ".join(f"{i.image_id} {i.name} {i.state}" for i in cloud.workspaces.owned_images())
    print(f"  Images in the account: {images}")
    enabled = [name for name, rule in cloud.events.rules.items() if rule.state != "DISABLED"]
    waits = sum(len(cloud.dynamodb.items(table)) for table in cloud.dynamodb.tables)
    print(f"  Watch: {len(cloud.events.rules)} rule(s), {len(enabled)} enabled; {waits} wait(s) pending")
    checked = sum(c.caller is not None for backend in cloud.backends.values() for c in backend.calls)
    denied = len(cloud.access.denials)
    print(f"  IAM: {checked} call(s) of the provider checked against its role's policy, {denied} denied")


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    first = load(Path(argv[0]))
    cloud = LocalCloud()
    for source in _sources(first):
        cloud.workspaces.add_image("golden-source", update_available=True, image_id=source)
    cloud.workspaces.plan_next_images(FIRST_UPDATE)
    printer = Printer(cloud, _names(first))
    cfn = CloudFormation(cloud, cloud.clock, account=ACCOUNT, region=REGION, on_event=printer)
    try:
        print(f"== cdk deploy {first.stack_name} (emulated: the image update takes 2 h 17 min)\n")
        stack = cfn.deploy(first)
        _summary(cloud, stack)
        if stack.status != "CREATE_COMPLETE":
            return 1
        if len(argv) > 1:
            update = load(Path(argv[1]))
            for source in _sources(update):
                if source not in cloud.workspaces.images:
                    cloud.workspaces.add_image("golden-source-next", update_available=True, image_id=source)
            cloud.workspaces.plan_next_images(FAILED_UPDATE)
            printer.names.update(_names(update))
            print(f"\n== cdk deploy {update.stack_name} with next month's source (emulated: WorkSpaces fails it)\n")
            stack = cfn.deploy(update)
            _summary(cloud, stack)
            if stack.status != "UPDATE_ROLLBACK_COMPLETE":
                return 1
        print("\nNext step, against a real account: cdk deploy -c source_image_id=wsi-... (see README).")
        return 0
    finally:
        cfn.close()
        cloud.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
