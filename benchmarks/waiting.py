"""Figure 4: what waiting for an image costs, on the lifecycle driver's virtual clock.

This library is measured: a synthesized app is deployed by the CloudFormation lifecycle driver
(``cfn_driver``) into the WorkSpaces/EventBridge emulator, with the real bundled handler running in a separate
warm process. The image turns AVAILABLE ``after_seconds`` after it was created (emulator ``Plan``). Counted:
the emulator's log of WorkSpaces and EventBridge calls, the driver's Lambda invocations and the real seconds
the handler ran (``LambdaHost.billed_seconds``: measured here, against a loopback emulator, not in Lambda), and
when the stack saw the image (the wait condition's CREATE_COMPLETE event).

The baselines are models, played on the same emulator and virtual clock with the same ``after_seconds``: the
poller looks at the image with DescribeWorkspaceImages on its schedule until it is AVAILABLE; what else it
does per look and around the wait is counted from its source (see ``CRHELPER`` and ``PROVIDER_FRAMEWORK``).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from aws_emulator import Plan, VirtualClock, WorkSpacesBackend
from cdk_workspaces_image_handler import contract
from cfn_driver.assembly import Assembly, load
from cfn_driver.cloud import ACCOUNT, REGION, LocalCloud
from cfn_driver.engine import CloudFormation

HOUR = 3600.0
IMAGE_TYPE = "Custom::UpdatedWorkspaceImage"
WAIT_TYPE = "AWS::CloudFormation::WaitCondition"
# Custom resources answer within ServiceTimeout, at most 3600 s (AWS::CloudFormation::CustomResource:
# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-cloudformation-customresource.html);
# the Provider framework's total_timeout is at most 1 hour too (aws-cdk-lib
# custom_resources.ProviderProps.totalTimeout).
CUSTOM_RESOURCE_LIMIT_SECONDS = 3600.0


def phase_offsets(reps: int, period: float = 60.0) -> list[float]:
    """Seconds added to an image's duration, one per repetition: the midpoints of ``reps`` equal slices of
    the watch's period, so the image turns AVAILABLE at evenly spread phases of the 1-minute schedule."""
    return [round((k + 0.5) * period / reps, 3) for k in range(reps)]


def _construct(resource: Mapping[str, object], logical_id: str) -> str:
    metadata = resource.get("Metadata")
    path = str(metadata.get("aws:cdk:path", "")) if isinstance(metadata, Mapping) else ""
    parts = path.split("/")
    return parts[1] if len(parts) > 2 else logical_id


@dataclass
class WaitRun:
    """One deployment of ``images`` images that each take ``after_seconds`` to become AVAILABLE."""

    images: int
    after_seconds: float
    status: str = ""
    lags: list[float] = field(default_factory=list)
    workspaces_calls: Counter[str] = field(default_factory=Counter)
    create_calls: int = 0  # WorkSpaces calls made before the first watch tick (at Create)
    describe_ids: list[int] = field(default_factory=list)  # image ids asked for by each watch Describe call
    events_calls: Counter[str] = field(default_factory=Counter)
    dynamodb_calls: Counter[str] = field(default_factory=Counter)
    invocations: int = 0
    ticks: int = 0  # invocations by the stack's watch rule
    billed_seconds: float = 0.0
    memory_mb: int = 128

    @property
    def image_hours(self) -> float:
        """Hours the images were PENDING, summed over images: the waiting being paid for."""
        return self.images * self.after_seconds / HOUR

    def per_image_hour(self, count: float) -> float:
        return count / self.image_hours

    def per_minute(self, count: float) -> float:
        """Per minute the stack waited: until it saw the last image AVAILABLE (the images wait side by side,
        so this is per stack, not per image)."""
        return count / ((self.after_seconds + max(self.lags, default=0.0)) / 60)

    @property
    def gb_seconds(self) -> float:
        return self.memory_mb / 1024 * self.billed_seconds


def deploy(assembly: Assembly, after_seconds: float) -> WaitRun:
    """Deploy the app into a fresh emulated account; every image takes ``after_seconds`` to become AVAILABLE."""
    resources = assembly.template["Resources"]
    images = {lid: r for lid, r in resources.items() if r["Type"] == IMAGE_TYPE}
    sources = {str(r["Properties"]["SourceImageId"]) for r in images.values()}
    cloud = LocalCloud(default_plan=Plan.available(after_seconds=after_seconds), image_quota=len(images) + 20)
    for source in sorted(sources):
        cloud.workspaces.add_image("bench-source", update_available=True, image_id=source)
    start = cloud.clock.now()
    cfn = CloudFormation(cloud, cloud.clock, account=ACCOUNT, region=REGION)
    run = WaitRun(len(images), after_seconds)
    invoke = cfn._invoke_async

    def counting(arn: str, event: dict[str, object], attempt: int = 0) -> None:
        if contract.WATCH_KEY in event:
            run.ticks += 1
        invoke(arn, event, attempt)

    cfn._invoke_async = counting  # type: ignore[method-assign]
    try:
        stack = cfn.deploy(assembly)
        run.status = stack.status
        waits = {_construct(r, lid): lid for lid, r in resources.items() if r["Type"] == WAIT_TYPE}
        for lid, resource in images.items():
            image = cloud.workspaces.image(stack.resources[lid].physical_id)
            available_at = image.created - start + after_seconds
            # Pair each image with the wait condition of the same construct (aws:cdk:path metadata).
            wait = waits[_construct(resource, lid)] if len(waits) > 1 else next(iter(waits.values()))
            seen = next(e.time for e in cfn.events if e.logical_id == wait and e.status == "CREATE_COMPLETE")
            run.lags.append(seen - available_at)
        # A tick starts by reading the stack's waits: calls before the first Scan were made by the Creates.
        first_tick = min((c.at for c in cloud.dynamodb.calls if c.operation == "Scan"), default=start)
        for call in cloud.workspaces.calls:
            run.workspaces_calls[call.operation] += 1
            if call.at < first_tick:
                run.create_calls += 1
            elif call.operation == "DescribeWorkspaceImages":
                run.describe_ids.append(len(call.params.get("ImageIds", [])))
        run.events_calls.update(c.operation for c in cloud.events.calls)
        run.dynamodb_calls.update(c.operation for c in cloud.dynamodb.calls)
        for host in cfn.hosts.values():
            run.invocations += host.invocations
            run.billed_seconds += host.billed_seconds
            run.memory_mb = host.memory
    finally:
        cfn.close()
        cloud.close()
    return run


def load_assembly(outdir: Path, stack: str) -> Assembly:
    return load(outdir, stack)


# ---------------------------------------------------------------- baselines (models)


@dataclass(frozen=True)
class PollerModel:
    """A poller that looks at one image with DescribeWorkspaceImages every ``interval`` seconds."""

    name: str
    interval: float
    first_look: float  # seconds after CreateUpdatedWorkspaceImage
    start_invocations: int  # Lambda invocations that create the image and start the wait
    invocations_per_look: int
    transitions_per_look: int  # Step Functions state transitions
    # Calls to other AWS APIs (EventBridge, Lambda, Step Functions), counted from the poller's source.
    control_calls_start: Mapping[str, int] = field(default_factory=dict)
    control_calls_per_look: Mapping[str, int] = field(default_factory=dict)
    control_calls_end: Mapping[str, int] = field(default_factory=dict)
    limit_seconds: float = CUSTOM_RESOURCE_LIMIT_SECONDS


# crhelper 2.0.12 resource_helper.py, @helper.poll_create with the default polling_interval=2:
# the Create invocation runs the create function, then _setup_polling: PutRule, AddPermission, PutTargets;
# the rule fires rate(2 minutes) from its creation; a poll that is not done calls nothing else; the poll that
# is done runs _remove_polling: RemoveTargets, RemovePermission, DeleteRule. The answer goes to CloudFormation
# only then, so the wait is bounded by the custom resource's ServiceTimeout.
CRHELPER = PollerModel(
    name="crhelper 2-min polling",
    interval=120.0,
    first_look=120.0,
    start_invocations=1,
    invocations_per_look=1,
    transitions_per_look=0,
    control_calls_start={"events:PutRule": 1, "lambda:AddPermission": 1, "events:PutTargets": 1},
    control_calls_end={"events:RemoveTargets": 1, "lambda:RemovePermission": 1, "events:DeleteRule": 1},
)

# aws-cdk-lib 2.275 custom_resources.Provider with is_complete_handler and the default query_interval of 5 s:
# the framework's onEvent Lambda invokes the user's onEvent Lambda (lambda:Invoke), then StartExecution; the
# waiter state machine's one Task invokes the framework's isComplete Lambda at once and, Retry with
# IntervalSeconds 5 and BackoffRate 1, again every 5 s; each attempt invokes the user's isComplete Lambda
# (lambda:Invoke) and is one state transition (Step Functions bills retries as transitions).
PROVIDER_FRAMEWORK = PollerModel(
    name="Provider framework 5 s",
    interval=5.0,
    first_look=0.0,
    start_invocations=2,
    invocations_per_look=2,
    transitions_per_look=1,
    control_calls_start={"lambda:Invoke": 1, "states:StartExecution": 1},
    control_calls_per_look={"lambda:Invoke": 1},
)


@dataclass
class BaselineRun:
    model: PollerModel
    after_seconds: float
    looks: int = 0
    lag: float = 0.0
    workspaces_calls: int = 0
    invocations: int = 0
    control_calls: int = 0
    transitions: int = 0

    @property
    def image_hours(self) -> float:
        return self.after_seconds / HOUR

    @property
    def can_wait(self) -> bool:
        """Whether CloudFormation still waits when the image turns AVAILABLE."""
        return self.after_seconds + self.lag <= self.model.limit_seconds

    def per_image_hour(self, count: float) -> float:
        return count / self.image_hours

    def gb_seconds(self, seconds_per_invocation: float, memory_mb: int = 128) -> float:
        """Every invocation billed ``seconds_per_invocation`` at ``memory_mb``: for the Provider framework a
        lower bound, since its isComplete Lambda waits for the user's one it invokes."""
        return self.invocations * seconds_per_invocation * memory_mb / 1024


def simulate(model: PollerModel, after_seconds: float) -> BaselineRun:
    """Play the poller against the emulator on a virtual clock; the model adds what its source calls."""
    clock = VirtualClock()
    workspaces = WorkSpacesBackend(clock, ACCOUNT, REGION, default_plan=Plan.available(after_seconds=after_seconds))
    source = workspaces.add_image("bench-source", update_available=True)
    created = clock.now()
    image_id = workspaces.handle(
        "CreateUpdatedWorkspaceImage", {"SourceImageId": source, "Name": "bench", "Description": "bench"}
    )["ImageId"]
    run = BaselineRun(model, after_seconds)
    when = created + model.first_look
    while True:
        clock.set(when)
        run.looks += 1
        (image,) = workspaces.handle("DescribeWorkspaceImages", {"ImageIds": [image_id]})["Images"]
        if image["State"] != "PENDING":
            break
        when += model.interval
    run.lag = clock.now() - (created + after_seconds)
    run.workspaces_calls = len(workspaces.calls)
    run.invocations = model.start_invocations + run.looks * model.invocations_per_look
    run.control_calls = (
        sum(model.control_calls_start.values())
        + run.looks * sum(model.control_calls_per_look.values())
        + sum(model.control_calls_end.values())
    )
    run.transitions = run.looks * model.transitions_per_look
    return run


def seconds_per_invocation(runs: Sequence[WaitRun]) -> float:
    """This library's measured handler seconds per invocation (cold start included), median over runs."""
    return statistics.median(r.billed_seconds / r.invocations for r in runs if r.invocations)
