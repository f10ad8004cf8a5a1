"""A local deployment of the example app: what `cdk deploy` would do, month after month, played against the emulator.

    python -m cfn_driver.demo MONTH1 [MONTH2 ...] [--failing LAST]

Each argument is a cloud assembly of the same app (`cdk synth -c generation=N`). The first is deployed into an
emulated account whose source image takes 2 h 17 min to update, and that holds the AMIs the app imports. Before
each later month, AWS publishes updates (the emulator sets Updates.UpdateAvailable on the newest image) and a day
passes, so that the app's update monitor reports them; then that month's assembly is deployed: the next
generation, the bundle moving to it, and keep_previous deleting what it no longer keeps. `--failing` deploys one
more month whose new image fails in WorkSpaces, rolled back cleanly. CloudFormation's events and what the provider
and the monitor put on the default bus are printed on a virtual clock, from the start of each deployment. An hour into
the first deployment, while the image is still being made, the status command runs (`python -m cdk_workspaces_image
status`, in its own process, over HTTP against the emulator, as a read-only user) and its output is printed.
Nothing here talks to AWS.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_emulator import Plan
from cfn_driver.assembly import Assembly, load
from cfn_driver.cloud import ACCOUNT, REGION, LocalCloud
from cfn_driver.engine import CloudFormation, Stack, StackEvent

FIRST_UPDATE = Plan.available(after_seconds=2 * 3600 + 17 * 60)
MONTHLY_UPDATE = Plan.available(after_seconds=1 * 3600 + 52 * 60)
FAILED_UPDATE = Plan.error(
    "UpdateFailed",
    "The image could not be updated",
    details=(("InsufficientDiskSpace", "The C: drive of the source image is full"),),
    after_seconds=41 * 60,
)
DAY = 86400
# When the status command looks, from the start of the first deployment: the image is still PENDING then.
STATUS_AFTER = 3600
# The status command's IAM actions (docs/usage.md, "Watching a deploy"): its user is allowed these and nothing else,
# so a call it makes beyond them fails the demo (the emulator is an oracle: it never imports the library's code, and
# tests/lifecycle/test_demo.py checks this list is the command's).
STATUS_ACTIONS = (
    "cloudformation:DescribeStacks",
    "cloudformation:GetTemplate",
    "cloudformation:ListStackResources",
    "workspaces:DescribeWorkspaceImages",
    "workspaces:DescribeWorkspaceBundles",
    "workspaces:DescribeTags",
    "workspaces:DescribeCustomWorkspaceImageImport",
)
STATUS_READER = f"arn:aws:iam::{ACCOUNT}:role/WorkspacesStatusReader"
# The library's event source, and the update monitor's environment variables that name its generation parameter
# and the generation it watches (the emulator is an oracle: it never imports the library's code).
SOURCE = "cdk-workspaces-image"
GENERATION_PARAMETER = "GENERATION_PARAMETER"
MONITORED_GENERATION = "MONITORED_GENERATION"


def _sources(assembly: Assembly) -> list[str]:
    return sorted(
        {
            str(r["Properties"]["SourceImageId"])
            for r in assembly.template["Resources"].values()
            if r["Type"] == "Custom::UpdatedWorkspaceImage"
        }
    )


def _amis(assembly: Assembly) -> list[str]:
    """The AMIs the app imports images from, which the emulated account holds."""
    return sorted(
        {
            str(r["Properties"]["Ec2ImageId"])
            for r in assembly.template["Resources"].values()
            if r["Type"] == "Custom::ImportedWorkspaceImage"
        }
    )


def _names(assembly: Assembly) -> dict[str, str]:
    """Logical id -> construct path, the name a CDK user recognises."""
    names = {}
    for lid, resource in assembly.template["Resources"].items():
        path = str(resource.get("Metadata", {}).get("aws:cdk:path", lid))
        names[lid] = path.split("/", 1)[-1].removesuffix("/Resource").removesuffix("/Default")
    return names


def _monitor_environment(assembly: Assembly) -> dict[str, Any]:
    """The environment of the update monitor's function in the template ({} without a monitor)."""
    for resource in assembly.template["Resources"].values():
        variables = resource.get("Properties", {}).get("Environment", {}).get("Variables", {})
        if resource["Type"] == "AWS::Lambda::Function" and GENERATION_PARAMETER in variables:
            return dict(variables)
    return {}


def _news(detail_type: str, detail: Mapping[str, Any]) -> str:
    """One event of the bus, in a line."""
    image = detail.get("ImageId", "")
    if "Retention" in detail_type:
        deleted = ", ".join(detail.get("Deleted", [])) or "nothing"
        kept = "; ".join(f"{k['ImageId']}: {k['Reason']}" for k in detail.get("Kept", [])) or "nothing"
        return f"{detail_type}: deleted {deleted}; kept {kept}"
    if "Bundle" in detail_type:
        return f"{detail_type}: {detail.get('BundleId')} {detail.get('PreviousImageId')} -> {image}"
    if "Failed" in detail_type:
        return f"{detail_type}: {image} {detail.get('Failure')} {detail.get('ErrorCode', '')}".rstrip()
    if "Update Available" in detail_type:
        asked = f"; generation {detail['NextGeneration']} asked for" if detail.get("NextGeneration") else ""
        return f"{detail_type}: {image} ({detail.get('Name')}): {detail.get('UpdateDescription', '')}{asked}"
    where = f" in {detail['Region']}" if detail.get("Region") else ""
    return f"{detail_type}: {image} ({detail.get('Name', '')}){where}"


class Printer:
    """Prints the stack's events, the images' states and the bus's events, each once, on the virtual clock."""

    def __init__(self, cloud: LocalCloud, names: dict[str, str]) -> None:
        self.cloud = cloud
        self.names = names
        self.states: dict[str, str] = {}
        self.shares: dict[str, tuple[str, ...]] = {}
        # StackEvent.time counts from the driver's start, made at this same virtual moment; the rest is clock time.
        self.start = self.origin = cloud.clock.now()
        self.seen = 0

    def _stamp(self, moment: float) -> str:
        hours, rest = divmod(int(moment - self.origin), 3600)
        return f"+{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"

    def __call__(self, event: StackEvent) -> None:
        self.catch_up()
        name = self.names.get(event.logical_id, event.logical_id)
        reason = f"  {event.reason}" if event.reason else ""
        print(f"{self._stamp(self.start + event.time)}  {name[:44]:44s} {event.status}{reason}")

    def catch_up(self) -> None:
        """What changed since the last line: image states, then events put on the bus."""
        for region, image in _every_image(self.cloud):
            if self.states.get(image.image_id) != image.state:
                self.states[image.image_id] = image.state
                where = "" if region == REGION else f" in {region}"
                print(f"{'':10s}  image {image.image_id} ({image.name}){where} is {image.state}")
            shared = tuple(sorted(image.shared_with))
            if self.shares.get(image.image_id, ()) != shared:
                self.shares[image.image_id] = shared
                whom = f"shared with {', '.join(shared)}" if shared else "no longer shared"
                print(f"{'':10s}  image {image.image_id} ({image.name}) is {whom}")
        calls = self.cloud.events.calls
        for call in calls[self.seen :]:
            if call.operation != "PutEvents" or call.error is not None:
                continue
            for entry in call.params["Entries"]:
                if entry.get("Source") == SOURCE:
                    line = _news(entry["DetailType"], json.loads(entry["Detail"]))
                    print(f"{self._stamp(call.at)}  [bus] {line}")
        self.seen = len(calls)


def _every_image(cloud: LocalCloud) -> list[tuple[str, Any]]:
    """The account's images in every Region it has any, the stack's own Region first."""
    regions = cloud.workspaces_regions.all()
    order = [REGION, *sorted(r for r in regions if r != REGION)]
    return [(region, image) for region in order if region in regions for image in regions[region].owned_images()]


def _summary(cloud: LocalCloud, stack: Stack) -> None:
    print(f"\nStack {stack.name}: {stack.status}" + (f" ({stack.reason})" if stack.reason else ""))
    for key, value in stack.outputs.items():
        print(f"  Output {key} = {value}")
    images = ", ".join(
        f"{i.image_id} {i.name} {i.state}"
        + ("" if region == REGION else f" in {region}")
        + (f" shared with {', '.join(i.shared_with)}" if i.shared_with else "")
        for region, i in _every_image(cloud)
    )
    print(f"  Images in the account: {images}")
    enabled = [name for name, rule in cloud.events.rules.items() if rule.state != "DISABLED" and rule.schedule]
    watches = [name for name in cloud.events.rules if name.startswith("cdkwsi-")]
    # The provider's record of what it made shares the table; a wait is an item with a Watch.
    waits = sum(1 for table in cloud.dynamodb.tables for item in cloud.dynamodb.items(table) if "Watch" in item)
    print(f"  Schedules: {len(enabled)} enabled ({len(watches)} watch rule(s)); {waits} wait(s) pending")
    checked = sum(c.caller is not None for backend in cloud.backends.values() for c in backend.calls)
    denied = len(cloud.access.denials)
    print(f"  IAM: {checked} call(s) of the provider and the monitor checked against their roles, {denied} denied")


def status_command(cloud: LocalCloud, stack_name: str) -> subprocess.CompletedProcess[str]:
    """`python -m cdk_workspaces_image status STACK` in its own process, as a user would run it: boto3 reaches the
    emulator's HTTP endpoint through the AWS_ENDPOINT_URL_* variables, signed with the keys of a read-only session
    the emulator knows, and no AWS configuration of this machine."""
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": list(STATUS_ACTIONS), "Resource": "*"}],
    }
    keys = cloud.assume_role(STATUS_READER, "status", lambda: [policy])
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CDK_"))}
    environment.update(cloud.server.environ())
    environment.update(keys)
    environment.update(AWS_DEFAULT_REGION=REGION, AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    command = [sys.executable, "-m", "cdk_workspaces_image", "status", stack_name]
    return subprocess.run(command, env=environment, capture_output=True, text=True, timeout=120, check=False)


def _show_status(printer: Printer, stack_name: str) -> None:
    printer.catch_up()
    print(f"{printer._stamp(printer.cloud.clock.now())}  $ cdk-workspaces-image status {stack_name}")
    done = status_command(printer.cloud, stack_name)
    said = (done.stdout + done.stderr).rstrip()
    for line in said.splitlines():
        print(f"{'':12s}{line}")
    if not said.endswith(f"(exit code {done.returncode})"):
        print(f"{'':12s}(exit code {done.returncode})")


def _deploy(cfn: CloudFormation, printer: Printer, assembly: Assembly) -> Stack:
    printer.names.update(_names(assembly))
    printer.origin = printer.cloud.clock.now()
    stack = cfn.deploy(assembly)
    printer.catch_up()
    _summary(printer.cloud, stack)
    return stack


def _asked_for(cloud: LocalCloud, assembly: Assembly) -> bool:
    """Is this month's assembly the generation the monitor asked for in its parameter (what a pipeline would
    synthesize with)? Says which; an app without a generation parameter is taken as is."""
    environment = _monitor_environment(assembly)
    if not environment:
        return True
    name, generation = str(environment[GENERATION_PARAMETER]), str(environment.get(MONITORED_GENERATION, ""))
    asked = cloud.ssm.value(name)
    print(f"{'':10s}  [ssm] {name} = {asked}: the pipeline synthesizes with -c generation={asked}")
    if asked != generation:
        print(f"the parameter asks for generation {asked}, but this assembly is generation {generation}")
        return False
    return True


def _a_month_later(cfn: CloudFormation, printer: Printer, stack: Stack) -> None:
    """AWS publishes updates for the newest image; within a day the monitor says so."""
    cloud = printer.cloud
    image_id = str(stack.outputs.get("ImageId", ""))
    if image_id in cloud.workspaces.images:
        cloud.workspaces.set_update_available(image_id, True, "WorkSpaces agent and driver updates")
    print(f"\n== A month later AWS publishes updates for {image_id}; the update monitor looks once a day\n")
    printer.origin = cloud.clock.now()
    cfn.settle(DAY + 60)
    printer.catch_up()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m cfn_driver.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("months", nargs="+", type=Path)
    parser.add_argument("--failing", type=Path)
    args = parser.parse_args(argv)
    months = [load(path) for path in args.months]
    cloud = LocalCloud()
    for source in _sources(months[0]):
        cloud.workspaces.add_image("golden-source", update_available=True, image_id=source)
    amis = _amis(months[0])
    for ami in amis:
        cloud.workspaces.add_ami(ami)
    # The update and each import, whichever CloudFormation starts first.
    cloud.workspaces.plan_next_images(*[FIRST_UPDATE] * (1 + len(amis)))
    printer = Printer(cloud, {})
    cfn = CloudFormation(cloud, cloud.clock, account=ACCOUNT, region=REGION, on_event=printer)
    try:
        imports = ", as does the BYOL import beside it" if amis else ""
        print(f"== cdk deploy {months[0].stack_name}, month 1 (emulated: the image update takes 2 h 17 min{imports})\n")
        first = months[0].stack_name
        cfn.schedule(cloud.clock.now() + STATUS_AFTER, lambda: _show_status(printer, first))
        stack = _deploy(cfn, printer, months[0])
        if stack.status != "CREATE_COMPLETE":
            return 1
        later = [
            (assembly, MONTHLY_UPDATE, f"month {number}: the next generation, as a pipeline would", "UPDATE_COMPLETE")
            for number, assembly in enumerate(months[1:], start=2)
        ]
        if args.failing:
            heading = "one more month (emulated: WorkSpaces fails the update)"
            later.append((load(args.failing), FAILED_UPDATE, heading, "UPDATE_ROLLBACK_COMPLETE"))
        for assembly, plan, heading, expected in later:
            _a_month_later(cfn, printer, stack)
            cloud.workspaces.plan_next_images(plan)
            if not _asked_for(cloud, assembly):
                return 1
            print(f"\n== cdk deploy {assembly.stack_name}, {heading}\n")
            stack = _deploy(cfn, printer, assembly)
            if stack.status != expected:
                return 1
        print("\nNext step, against a real account: cdk deploy -c source_image_id=wsi-... (see README).")
        return 0
    finally:
        cfn.close()
        cloud.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
