"""CloudFormation's stack operations, played on a virtual clock for the resource types this project emits.

Sources (AWS CloudFormation User Guide unless named otherwise):
- "Custom resources", "Custom resource request objects", "Custom resource
  response objects": the events, ResponseURL, the 4096-byte response limit,
  the non-empty PhysicalResourceId, a changed PhysicalResourceId making a
  replacement whose old id gets a Delete, and ServiceTimeout (1 to 3600 s).
- "AWS::CloudFormation::WaitCondition" and "...WaitConditionHandle": Count,
  Timeout (at most 43200 s), the Data attribute, and that signals sent before
  the condition starts still count (the guide's own example makes the wait
  condition depend on the instance that signals it).
- "DeletionPolicy attribute", "UpdateReplacePolicy attribute": Delete,
  Retain, RetainExceptOnCreate.
- "Stack failure options" / rollback: a failed create deletes what it created;
  a failed update returns to the previous resources.
- AWS Lambda Developer Guide, "Asynchronous invocation": CloudFormation
  invokes the function asynchronously; a failed or timed-out invocation is
  retried twice, about 1 and then 2 minutes later.
- "AWS::DynamoDB::Table" and "AWS::Events::Rule" (resource reference): their
  properties, Ref (the name) and Fn::GetAtt Arn, which properties replace the
  resource, and that a custom name forbids a replacement ("Name type").
- "AWS::SSM::Parameter" (resource reference): Ref is the parameter's name; Name
  requires replacement, Value, Type and Description update in place; SecureString
  is not supported by CloudFormation.
- "AWS::SNS::Topic" (resource reference): Ref is the topic's ARN, Fn::GetAtt
  TopicArn and TopicName; a topic without TopicName gets a generated one;
  TopicName and FifoTopic replace it.
- "AWS::Events::EventBus" and "AWS::Events::EventBusPolicy" (resource
  reference): a custom bus by Name, with its Policy; one statement of a bus's
  policy by EventBusName and StatementId; and rules on the bus EventBusName names.
- "Update behaviors of stack resources"
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-update-behaviors.html):
  a replacement is created first, with a new physical id, references move to it, and the old resource is deleted.
- API Reference, Stack and StackResourceDetail (StackStatus, ResourceStatus): the status codes a stack and each of
  its resources go through, which the driver keeps at every step for CloudFormation's read API (cfn_driver.api).
Undocumented, and modelled as stated where it is used: custom resource
property values arrive as strings; a custom resource that never answered gets
a rollback Delete with a made-up physical id. What DescribeStackResource says
of a logical id at each step: a failed Create holds the id its FAILED answer
named (or the made-up one) until the rollback deletes it; the cleanup Delete
of a replaced resource leaves the logical id on its new one; during the
rollback Update of a replacement, the id the request carries (an option says
the previous one); a logical id the template dropped is no longer described
once the update is over.
"""

from __future__ import annotations

import copy
import functools
import heapq
import itertools
import json
import random
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from aws_emulator.service import Backend, ServiceError
from aws_emulator.ssm import SSMBackend
from cfn_driver.api import CloudFormationAPI
from cfn_driver.assembly import Assembly
from cfn_driver.inbox import Inbox
from cfn_driver.intrinsics import NO_VALUE, Resolver, TemplateError, references
from cfn_driver.lambda_host import Invocation, LambdaHost

MAX_RESPONSE_BYTES = 4096
MAX_SERVICE_TIMEOUT = 3600
MAX_WAIT_CONDITION_TIMEOUT = 43200
LAMBDA_RETRY_DELAYS = (60, 120)
TABLE = "AWS::DynamoDB::Table"
RULE = "AWS::Events::Rule"
ROLE = "AWS::IAM::Role"
POLICY = "AWS::IAM::Policy"
# How often the driver looks at a table that is not ACTIVE or not gone yet, and for how long; CloudFormation's
# own polling is undocumented.
TABLE_POLL_SECONDS = 5
TABLE_WAIT_SECONDS = 3600
# https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-dynamodb-table.html:
# the properties the driver turns into API calls; the ones it accepts and ignores (nothing in the emulator
# shows them); anything else fails the resource rather than be silently dropped.
TABLE_PROPERTIES = {
    "TableName",
    "KeySchema",
    "AttributeDefinitions",
    "BillingMode",
    "ProvisionedThroughput",
    "TimeToLiveSpecification",
    "ResourcePolicy",
}
TABLE_IGNORED = {"SSESpecification", "PointInTimeRecoverySpecification", "Tags", "TableClass"}
# https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-events-rule.html
RULE_PROPERTIES = {
    "Name",
    "EventBusName",
    "ScheduleExpression",
    "EventPattern",
    "State",
    "Description",
    "RoleArn",
    "Targets",
    "Tags",
}
# A target's input (Input, InputPath, InputTransformer) is what EventBridge sends it; DeadLetterConfig and RetryPolicy
# are stored by EventBridge and have no effect here (a delivery is never lost).
TARGET_PROPERTIES = {
    "Id",
    "Arn",
    "Input",
    "InputPath",
    "InputTransformer",
    "RoleArn",
    "DeadLetterConfig",
    "RetryPolicy",
}
SSM_PARAMETER = "AWS::SSM::Parameter"
# https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ssm-parameter.html: the properties
# a parameter may have. All but Tags go to PutParameter, which refuses what the emulator does not model; Tags are
# recorded only (CloudFormation adds them with AddTagsToResource, which is not emulated); anything else fails the
# resource rather than be silently dropped.
SSM_PARAMETER_PROPERTIES = {"Name", "Type", "Value", "Description", "AllowedPattern", "DataType", "Policies", "Tier"}
SSM_PARAMETER_IGNORED = {"Tags"}
TOPIC = "AWS::SNS::Topic"
# https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sns-topic.html: the properties a
# topic may have. Nothing calls SNS here (no SNS backend: a rule's deliveries to a topic are recorded by EventBridge),
# so they are recorded; anything else fails the resource rather than be silently dropped.
TOPIC_PROPERTIES = {
    "TopicName",
    "DisplayName",
    "KmsMasterKeyId",
    "Tags",
    "FifoTopic",
    "ContentBasedDeduplication",
    "Subscription",
    "SignatureVersion",
    "TracingConfig",
    "ArchivePolicy",
    "DataProtectionPolicy",
    "DeliveryStatusLogging",
    "FifoThroughputScope",
}
# SNS CreateTopic (https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html): "Topic names must be made up of
# only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256
# characters long"; a FIFO topic's name ends with .fifo.
TOPIC_NAME = re.compile(r"[A-Za-z0-9_-]{1,256}")
KMS_KEY = "AWS::KMS::Key"
BUS = "AWS::Events::EventBus"
# https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-events-eventbus.html: Name
# (required; a new one replaces the bus), Description, Tags and Policy ("A JSON string that describes the permission
# policy statement for the event bus", an object in the template), as CreateEventBus and PutPermission take them. A
# partner bus (EventSourceName), KmsKeyIdentifier, DeadLetterConfig and LogConfig are not modelled: they fail the
# resource.
BUS_PROPERTIES = {"Name", "Description", "Tags", "Policy"}
BUS_POLICY = "AWS::Events::EventBusPolicy"
# https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-events-eventbuspolicy.html:
# EventBusName (default: the default bus) and StatementId ("Each StatementId must be unique") replace the resource;
# Statement ("A JSON string that describes the permission policy statement") updates it in place, and so do the
# deprecated Action, Principal and Condition, which PutPermission takes as they are.
BUS_POLICY_PROPERTIES = {"EventBusName", "StatementId", "Statement", "Action", "Principal", "Condition"}
# What `cdk bootstrap` writes to /cdk-bootstrap/<qualifier>/version; CDK's templates check it is at least 6.
BOOTSTRAP_VERSION = "30"

# Recorded only (no API calls); roles and policies are read back to give each function its role's permissions.
PLAIN_TYPES = {
    ROLE,
    POLICY,
    "AWS::Logs::LogGroup",
    "AWS::Lambda::Permission",
    "AWS::CDK::Metadata",
    # A topic's resource-based policy: recorded, with no effect (the emulator enforces identity-based policies only,
    # and nothing publishes to a topic here).
    "AWS::SNS::TopicPolicy",
}


class Cloud(Protocol):
    """The emulated services, as the driver needs them."""

    def lambda_env(self) -> dict[str, str]: ...

    def assume_role(
        self, role_arn: str, session_name: str, policies: Callable[[], Sequence[Mapping[str, Any]]]
    ) -> dict[str, str]: ...

    def revoke(self, access_key_id: str) -> None: ...

    # The Region's parameter store, which AWS::SSM::Parameter resources write and SSM-typed template parameters read.
    @property
    def ssm(self) -> SSMBackend: ...

    def call(self, service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]: ...

    def due_targets(self, now: float) -> list[tuple[str, Any]]: ...

    def next_due(self, now: float) -> float | None: ...

    # Serve one more service at the cloud's endpoint, its access control the cloud's: CloudFormation's own API.
    def add_backend(self, backend: Backend) -> None: ...


class Clock(Protocol):
    def now(self) -> float: ...

    def set(self, when: float) -> float: ...


@dataclass
class Resource:
    logical_id: str
    type: str
    physical_id: str
    properties: dict[str, Any]
    attributes: dict[str, Any] = field(default_factory=dict)
    deletion_policy: str = "Delete"
    update_replace_policy: str = "Delete"


@dataclass
class StackEvent:
    time: float
    logical_id: str
    status: str
    reason: str = ""


@dataclass
class Result:
    ok: bool
    reason: str = ""
    physical_id: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class Pending:
    deadline: float
    poll: Callable[[], Result | None]
    on_timeout: Callable[[], Result]


@dataclass
class Reported:
    """What CloudFormation says of one logical id (DescribeStackResource, DescribeStackResources, ListStackResources):
    the physical resource it holds for it now ("" while a create has none yet), its type, its status and when that
    last changed, and the reason of that status."""

    logical_id: str
    type: str
    physical_id: str
    status: str
    updated: float
    reason: str = ""


@dataclass
class Stack:
    """A stack as the driver plays it. `resources` are the physical resources it manages, with their properties;
    `status` (with `status_reason`) and `reported` are what CloudFormation's read API answers at this moment, kept
    at every step of an operation (`CloudFormation._stack_status`, `_resource_status`). `reason` is why the last
    operation failed."""

    name: str
    stack_id: str
    template: dict[str, Any] = field(default_factory=dict)
    assembly: Assembly | None = None
    resources: dict[str, Resource] = field(default_factory=dict)
    status: str = "REVIEW_IN_PROGRESS"
    reason: str = ""
    outputs: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    status_reason: str = ""
    created: float = 0.0
    last_updated: float | None = None
    deleted: float | None = None
    reported: dict[str, Reported] = field(default_factory=dict)


@dataclass
class Faults:
    """Driver-side faults for the fault matrix."""

    # (logical id, request type) whose event Lambda delivers twice.
    duplicate: set[tuple[str, str]] = field(default_factory=set)


class CloudFormation:
    def __init__(
        self,
        cloud: Cloud,
        clock: Clock,
        *,
        region: str = "eu-west-1",
        account: str = "111122223333",
        real_limit_seconds: float = 20.0,
        on_event: Callable[[StackEvent], None] | None = None,
        faults: Faults | None = None,
        rollback_updates_replacements: bool = True,
        rollback_reports_previous_id: bool = False,
    ) -> None:
        self.cloud = cloud
        self.clock = clock
        self.region = region
        self.account = account
        self.real_limit_seconds = real_limit_seconds
        self.on_event = on_event
        self.faults = faults or Faults()
        # Whether rolling back a replaced custom resource first sends the new resource an Update back to the
        # previous properties (carrying the new id) before the cleanup Delete: undocumented, reported both ways.
        # On by default: more requests are the case the handler must survive.
        self.rollback_updates_replacements = rollback_updates_replacements
        # During that rollback Update, which physical id DescribeStackResource reports: undocumented. By default the
        # one the request carries (the new one), so that a provider checking a request against CloudFormation
        # accepts it; with this option the previous one, which CloudFormation holds again once the rollback is done.
        self.rollback_reports_previous_id = rollback_reports_previous_id
        self.inbox = Inbox(region=region, now=clock.now).start()
        # The stacks by name (the latest of each name), and every stack made, by id: a deleted stack is still
        # described by its id (API_DescribeStacks: "Deleted stacks: You must specify the unique stack ID").
        self.stacks: dict[str, Stack] = {}
        self.stack_ids: dict[str, Stack] = {}
        self.hosts: dict[str, LambdaHost] = {}
        self.events: list[StackEvent] = []
        # Every custom resource request CloudFormation sent, in order, as sent: a test replays one (a late delivery).
        self.requests: list[dict[str, Any]] = []
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._random = random.Random(7)
        self._started = clock.now()
        # Properties each custom resource was last asked to take in this stack operation, answered or not:
        # a failed update is rolled back with an Update back to the old properties even for the resource
        # that failed (undocumented; reported in aws/aws-cdk#17040), which may have half-applied them.
        self._attempted: dict[str, dict[str, Any]] = {}
        # CloudFormation's read API (DescribeStacks, DescribeStackResource(s), ListStackResources) on these stacks,
        # at the cloud's endpoint: what the functions it hosts reach through AWS_ENDPOINT_URL_CLOUDFORMATION.
        self.api = CloudFormationAPI(self)
        cloud.add_backend(self.api)

    @property
    def ssm_parameters(self) -> MutableMapping[str, str]:
        """The Region's SSM parameters by name, as values (the cloud's parameter store, where the AWS::SSM::Parameter
        resources of every stack are); setting one puts a new version, as a test or another tool would."""
        return self.cloud.ssm.store

    def close(self) -> None:
        for host in self.hosts.values():
            host.stop()
        self.inbox.stop()

    # ------------------------------------------------------------ stack operations

    def deploy(self, assembly: Assembly, parameters: dict[str, Any] | None = None) -> Stack:
        """Create the stack, or update it to this assembly; `parameters` override the template's defaults."""
        stack = self.stacks.get(assembly.stack_name)
        if stack is None or stack.status in ("ROLLBACK_COMPLETE", "DELETE_COMPLETE"):
            if stack is not None and stack.deleted is None:
                # `cdk deploy` deletes a ROLLBACK_COMPLETE stack before it creates the stack again; nothing is left
                # in it to delete.
                stack.status, stack.status_reason, stack.deleted = "DELETE_COMPLETE", "", self.clock.now()
            stack = Stack(
                assembly.stack_name,
                f"arn:aws:cloudformation:{self.region}:{self.account}:stack/{assembly.stack_name}/{uuid.uuid4()}",
                created=self.clock.now(),
            )
            self.stacks[stack.name] = stack
            self.stack_ids[stack.stack_id] = stack
            stack.parameters = dict(parameters or {})
            return self._create(stack, assembly)
        previous = stack.parameters
        stack.parameters = dict(parameters or {})
        return self._update(stack, assembly, previous)

    def delete(self, name: str) -> Stack:
        stack = self.stacks[name]
        self._stack_status(stack, "DELETE_IN_PROGRESS")
        reason = self._delete_all(stack, stack.resources.values(), stack.template, rollback_of_create=False)
        stack.reason = reason or ""
        self._stack_status(stack, "DELETE_FAILED" if reason else "DELETE_COMPLETE", stack.reason)
        return stack

    def _create(self, stack: Stack, assembly: Assembly) -> Stack:
        stack.template, stack.assembly = assembly.template, assembly
        self._stack_status(stack, "CREATE_IN_PROGRESS")
        created: list[str] = []
        reason = self._run(stack, self._wanted(stack, assembly.template), assembly.template, created, update=False)
        if reason is None:
            stack.outputs = self._outputs(stack)
            self._stack_status(stack, "CREATE_COMPLETE")
            return stack
        stack.reason = reason
        self._stack_status(stack, "ROLLBACK_IN_PROGRESS", reason)
        doomed = [stack.resources[lid] for lid in created if lid in stack.resources]
        failed = self._delete_all(stack, doomed, assembly.template, rollback_of_create=True)
        self._stack_status(stack, "ROLLBACK_FAILED" if failed else "ROLLBACK_COMPLETE", failed or "")
        return stack

    def _update(self, stack: Stack, assembly: Assembly, previous_parameters: dict[str, Any]) -> Stack:
        old_template, old_assembly = stack.template, stack.assembly
        before = {lid: Resource(**vars(r)) for lid, r in stack.resources.items()}
        self._attempted = {}
        stack.template, stack.assembly = assembly.template, assembly
        self._stack_status(stack, "UPDATE_IN_PROGRESS")
        created: list[str] = []
        reason = self._run(stack, self._wanted(stack, assembly.template), assembly.template, created, update=True)
        if reason is None:
            stack.outputs = self._outputs(stack)
            self._stack_status(stack, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
            # Replaced resources and resources gone from the template are deleted only after success.
            replaced = [
                r
                for lid, r in before.items()
                if lid in stack.resources and stack.resources[lid].physical_id != r.physical_id
            ]
            gone = [r for lid, r in before.items() if lid not in assembly.template["Resources"]]
            for r in gone:
                stack.resources.pop(r.logical_id, None)
            self._delete_all(stack, replaced, old_template, rollback_of_create=False, replaced=True)
            self._delete_all(stack, gone, old_template, rollback_of_create=False)
            self._forget_gone(stack)
            self._stack_status(stack, "UPDATE_COMPLETE")
            return stack
        stack.reason = reason
        self._stack_status(stack, "UPDATE_ROLLBACK_IN_PROGRESS", reason)
        stack.template, stack.assembly, stack.parameters = old_template, old_assembly, previous_parameters
        # What this update made anew: resources new to the template, and the new physical resources of
        # replacements. The previous physical resources were never deleted, so they simply come back.
        doomed = [
            r for lid, r in stack.resources.items() if lid not in before or r.physical_id != before[lid].physical_id
        ]
        # What it changed in place goes back to its previous properties; so, by the option above, does what it
        # replaced, through the new resource.
        reverted: str | None = None
        for lid, old in before.items():
            current = stack.resources.get(lid)
            failure: str | None = None
            if current is not None and (current.physical_id == old.physical_id or self._reverts(current)):
                asked = self._attempted.get(lid, current.properties)
                if asked != old.properties:
                    failure = self._revert(stack, replace(current, properties=asked), old)
                    reverted = reverted or failure
            stack.resources[lid] = old
            self._hold_again(stack, old, failed=failure is not None)
        self._stack_status(stack, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
        failed = self._delete_all(stack, doomed, assembly.template, rollback_of_create=True, keep_records=True)
        for r in doomed:
            if r.logical_id not in before:
                stack.resources.pop(r.logical_id, None)
        self._forget_gone(stack)
        stack.outputs = self._outputs(stack)
        failed = failed or reverted
        self._stack_status(stack, "UPDATE_ROLLBACK_FAILED" if failed else "UPDATE_ROLLBACK_COMPLETE", failed or "")
        return stack

    def _hold_again(self, stack: Stack, old: Resource, *, failed: bool) -> None:
        """After an update rollback, CloudFormation holds the previous physical resource again ("Update behaviors of
        stack resources": a replacement's previous resource was never deleted), UPDATE_COMPLETE unless putting it
        back failed; a resource the update never touched keeps its status."""
        now = stack.reported.get(old.logical_id)
        status = "UPDATE_FAILED" if failed else "UPDATE_COMPLETE"
        if now is None or now.physical_id != old.physical_id or (now.status != status and (failed or _busy(now))):
            # No event of its own: the stack's events already told the rollback of this resource.
            reason = now.reason if now is not None and failed else ""
            stack.reported[old.logical_id] = Reported(
                old.logical_id, old.type, old.physical_id, status, self.clock.now(), reason
            )

    def _forget_gone(self, stack: Stack) -> None:
        """Once an update (or its rollback) is over, a logical id the stack no longer has is no longer described
        (undocumented: its events stay in the stack's history)."""
        for lid in [lid for lid in stack.reported if lid not in stack.resources]:
            del stack.reported[lid]

    def _reverts(self, replacement: Resource) -> bool:
        return self.rollback_updates_replacements and replacement.type.startswith("Custom::")

    def _revert(self, stack: Stack, current: Resource, old: Resource) -> str | None:
        """Roll one resource back to its previous properties; the reason, if that failed.

        A custom resource gets an Update carrying its current physical id: the same one when it was updated in
        place, the new one when it was replaced.
        """
        shown = old.physical_id if self.rollback_reports_previous_id else current.physical_id
        self._resource_status(stack, old.logical_id, "UPDATE_IN_PROGRESS", "rollback", physical_id=shown)
        if current.type.startswith("Custom::"):
            target = replace(old, physical_id=current.physical_id)
            result = self._custom(stack, target, "Update", old.properties, current.properties, wait=True)
            assert isinstance(result, Result)
            status = "UPDATE_COMPLETE" if result.ok else "UPDATE_FAILED"
            self._resource_status(stack, old.logical_id, status, result.reason)
            return None if result.ok else f"{old.logical_id}: {result.reason}"
        policies = {"deletion_policy": old.deletion_policy, "update_replace_policy": old.update_replace_policy}
        if current.type == "AWS::Lambda::Function":
            self._function(stack, stack.template, old.logical_id, old.properties, policies)
        if current.type in (TABLE, RULE, BUS, BUS_POLICY):
            # Updated in place (the same name): put the previous properties back the same way.
            if current.type == TABLE:
                back = self._table_in_place(stack, old.logical_id, old.properties, current, policies)
            elif current.type == RULE:
                back = self._rule(stack, old.logical_id, old.properties, current, policies)
            elif current.type == BUS:
                back = self._bus(stack, old.logical_id, old.properties, current, policies)
            else:
                back = self._bus_policy(stack, old.logical_id, old.properties, current, policies)
            self._resource_status(stack, old.logical_id, "UPDATE_COMPLETE" if back.ok else "UPDATE_FAILED", back.reason)
            return None if back.ok else f"{old.logical_id}: {back.reason}"
        self._resource_status(stack, old.logical_id, "UPDATE_COMPLETE")
        return None

    # ------------------------------------------------------------ the event loop

    def _wanted(self, stack: Stack, template: dict[str, Any]) -> dict[str, set[str]]:
        resolver = self._resolver(stack, template)
        wanted: dict[str, set[str]] = {}
        for lid, definition in template["Resources"].items():
            if "Condition" in definition and not resolver.condition(definition["Condition"]):
                continue
            depends = definition.get("DependsOn", [])
            depends = [depends] if isinstance(depends, str) else depends
            wanted[lid] = (set(depends) | references(definition.get("Properties", {}))) & set(template["Resources"])
        return wanted

    def _run(
        self, stack: Stack, wanted: dict[str, set[str]], template: dict[str, Any], created: list[str], *, update: bool
    ) -> str | None:
        done: set[str] = set()
        started: set[str] = set()
        in_flight: dict[str, Pending] = {}
        failure: str | None = None
        while True:
            self._deliver_due()
            progressed = False
            if failure is None:
                for lid in wanted:
                    if lid not in started and wanted[lid] <= done:
                        started.add(lid)
                        progressed = True
                        outcome = self._start(stack, template, lid, created)
                        if isinstance(outcome, Pending):
                            in_flight[lid] = outcome
                        elif not self._finish(stack, template, lid, outcome, done, created):
                            failure = failure or f"{lid}: {outcome.reason}"
            for lid, pending in list(in_flight.items()):
                result = pending.poll()
                if result is None and self.clock.now() >= pending.deadline:
                    result = pending.on_timeout()
                if result is not None:
                    del in_flight[lid]
                    progressed = True
                    if not self._finish(stack, template, lid, result, done, created):
                        failure = failure or f"{lid}: {result.reason}"
            if progressed:
                continue
            if not in_flight:
                if failure is None and len(done) < len(wanted):
                    stuck = sorted(set(wanted) - done)
                    failure = f"circular or unsatisfiable dependencies: {', '.join(stuck)}"
                return failure
            self._advance(min(p.deadline for p in in_flight.values()))

    def _advance(self, limit: float) -> None:
        """Move the virtual clock to the next thing that can happen, and make it happen."""
        candidates = [limit]
        if self._timers:
            candidates.append(self._timers[0][0])
        due = self.cloud.next_due(self.clock.now())
        if due is not None:
            candidates.append(due)
        self.clock.set(max(self.clock.now(), min(candidates)))
        while self._timers and self._timers[0][0] <= self.clock.now():
            _, _, action = heapq.heappop(self._timers)
            action()
        self._deliver_due()

    def _deliver_due(self) -> None:
        """Invoke the hosted functions EventBridge has deliveries for by now: schedules that fell due, and events a
        function put, whose Lambda targets thus run as soon as the driver has control again (EventBridge's own
        delay is undocumented; here none)."""
        for arn, event in self.cloud.due_targets(self.clock.now()):
            self._invoke_async(arn, event)

    def _finish(
        self, stack: Stack, template: dict[str, Any], lid: str, result: Result, done: set[str], created: list[str]
    ) -> bool:
        action = "CREATE" if lid in created else "UPDATE"
        rtype = str(template["Resources"][lid]["Type"])
        # What CloudFormation holds now: what the resource recorded (a failed custom resource Create, the id its
        # FAILED answer named or the made-up one), else what it held before.
        held = stack.resources.get(lid)
        physical = held.physical_id if held is not None else None
        if not result.ok:
            self._resource_status(stack, lid, f"{action}_FAILED", result.reason, physical_id=physical, rtype=rtype)
            return False
        done.add(lid)
        if result.physical_id:
            self._resource_status(stack, lid, f"{action}_COMPLETE", physical_id=physical or result.physical_id)
        return True

    # ------------------------------------------------------------ resources

    def _start(self, stack: Stack, template: dict[str, Any], lid: str, created: list[str]) -> Result | Pending:
        definition = template["Resources"][lid]
        rtype = definition["Type"]
        try:
            props = self._resolver(stack, template).resolve(definition.get("Properties", {}))
        except (TemplateError, KeyError) as error:
            return Result(False, f"cannot resolve properties: {error}")
        old = stack.resources.get(lid)
        if old is not None and old.type == rtype and old.properties == props:
            return Result(True)  # unchanged: CloudFormation leaves it alone
        policies = {
            "deletion_policy": definition.get("DeletionPolicy", "Delete"),
            "update_replace_policy": definition.get("UpdateReplacePolicy", "Delete"),
        }
        # A create in flight has no physical id yet; an update in flight is on the one CloudFormation holds.
        if old is None:
            created.append(lid)
            self._resource_status(stack, lid, "CREATE_IN_PROGRESS", physical_id="", rtype=rtype)
        else:
            self._resource_status(stack, lid, "UPDATE_IN_PROGRESS", physical_id=old.physical_id, rtype=rtype)
        if rtype.startswith("Custom::") or rtype == "AWS::CloudFormation::CustomResource":
            resource = Resource(lid, rtype, old.physical_id if old else "", props, **policies)
            kind = "Update" if old else "Create"
            if old is not None:
                self._attempted[lid] = props
            return self._custom(stack, resource, kind, props, old.properties if old else None, record=True)
        if rtype == "AWS::CloudFormation::WaitConditionHandle":
            if old is not None:
                return Result(False, "Updates aren't supported for AWS::CloudFormation::WaitConditionHandle")
            token = f"{stack.name}-{lid}-{uuid.uuid4().hex[:8]}"
            self._record(stack, Resource(lid, rtype, self.inbox.handle_url(token), props, {"token": token}, **policies))
            return Result(True, physical_id=stack.resources[lid].physical_id)
        if rtype == "AWS::CloudFormation::WaitCondition":
            if old is not None:
                return Result(False, "Updates aren't supported for AWS::CloudFormation::WaitCondition")
            return self._wait_condition(stack, template, lid, props, policies)
        if rtype == "AWS::Lambda::Function":
            return self._function(stack, template, lid, props, policies)
        if rtype == TABLE:
            return self._table(stack, lid, props, old, policies)
        if rtype in (RULE, BUS, BUS_POLICY) and old is not None:
            self._attempted[lid] = props
        if rtype == RULE:
            return self._rule(stack, lid, props, old, policies)
        if rtype == SSM_PARAMETER:
            return self._ssm_parameter(stack, lid, props, old, policies)
        if rtype == ROLE:
            return self._role(stack, lid, props, old, policies)
        if rtype == TOPIC:
            return self._topic(stack, lid, props, old, policies)
        if rtype == KMS_KEY:
            return self._key(stack, lid, props, old, policies)
        if rtype == BUS:
            return self._bus(stack, lid, props, old, policies)
        if rtype == BUS_POLICY:
            return self._bus_policy(stack, lid, props, old, policies)
        if rtype in PLAIN_TYPES:
            physical = old.physical_id if old else self._name(stack, lid)
            arn = f"arn:aws:{rtype.split('::')[1].lower()}:{self.region}:{self.account}:{physical}"
            self._record(stack, Resource(lid, rtype, physical, props, {"Arn": arn}, **policies))
            return Result(True, physical_id=physical)
        return Result(False, f"the lifecycle driver does not model {rtype}")

    def _record(self, stack: Stack, resource: Resource) -> None:
        stack.resources[resource.logical_id] = resource

    def _ssm_parameter(
        self, stack: Stack, lid: str, props: dict[str, Any], old: Resource | None, policies: dict[str, str]
    ) -> Result:
        """AWS::SSM::Parameter: PutParameter in the Region's parameter store (`cloud.ssm`), the one functions read
        and write and SSM-typed template parameters read. A create does not overwrite (a name another stack or a
        function already holds fails it with ParameterAlreadyExists); an update in place overwrites, a new version,
        whatever a function wrote since. Ref is the parameter's name; a new Name replaces it (the old name goes in
        the cleanup, simplified here to at once, after the new one is written)."""
        unknown = sorted(set(props) - SSM_PARAMETER_PROPERTIES - SSM_PARAMETER_IGNORED)
        if unknown:
            return Result(False, f"the lifecycle driver does not model {SSM_PARAMETER} properties {', '.join(unknown)}")
        name = str(props.get("Name") or (old.physical_id if old else f"CFN-{self._name(stack, lid)}"))
        request: dict[str, Any] = {key: props[key] for key in sorted(set(props) - SSM_PARAMETER_IGNORED - {"Name"})}
        request.update(
            Name=name, Value=str(props.get("Value", "")), Overwrite=old is not None and old.physical_id == name
        )
        try:
            self._aws("ssm", "PutParameter", request)
            if old is not None and old.physical_id != name:
                self._delete_parameter(old.physical_id)
        except ServiceError as error:
            return Result(False, _service_reason(error))
        attributes = {"Type": str(props.get("Type", "String")), "Value": str(props.get("Value", ""))}
        self._record(stack, Resource(lid, SSM_PARAMETER, name, props, attributes, **policies))
        return Result(True, physical_id=name)

    def _delete_parameter(self, name: str) -> None:
        """DeleteParameter; one already gone is deleted (what CloudFormation does then is undocumented)."""
        try:
            self._aws("ssm", "DeleteParameter", {"Name": name})
        except ServiceError as error:
            if error.code != "ParameterNotFound":
                raise

    def _ssm_value(self, name: str) -> str:
        """An SSM-typed template parameter's value, read straight from the store (not logged as a GetParameter: the
        driver resolves templates many times per operation, where CloudFormation reads once)."""
        try:
            return self.cloud.ssm.value(name)
        except KeyError:
            pass
        if name.startswith("/cdk-bootstrap/") and name.endswith("/version"):
            return BOOTSTRAP_VERSION  # the account is bootstrapped (CDK's BootstrapVersion parameter)
        raise KeyError(f"Unable to fetch parameters [{name}] from parameter store for this account.")

    def _name(self, stack: Stack, lid: str) -> str:
        suffix = "".join(self._random.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(12))
        return f"{stack.name}-{lid[:30]}-{suffix}"

    def _short_name(self, stack: Stack, lid: str, limit: int) -> str:
        """A generated name within a service's length limit, keeping its random suffix."""
        name = self._name(stack, lid)
        return name if len(name) <= limit else name[: limit - 13] + name[-13:]

    def _role(
        self, stack: Stack, lid: str, props: dict[str, Any], old: Resource | None, policies: dict[str, str]
    ) -> Result:
        """AWS::IAM::Role, recorded: Ref is the role name (RoleName, else generated, at most 64 characters),
        Fn::GetAtt Arn is arn:aws:iam::<account>:role<Path><name> (the template reference; Path defaults to /).
        A new RoleName or Path replaces the role (the same reference)."""
        name = str(props.get("RoleName") or "")
        if not name:
            same = old is not None and not old.properties.get("RoleName")
            name = old.physical_id if old is not None and same else self._short_name(stack, lid, 64)
        path = str(props.get("Path") or "/")
        arn = f"arn:aws:iam::{self.account}:role{path}{name}"
        self._record(stack, Resource(lid, ROLE, name, props, {"Arn": arn}, **policies))
        return Result(True, physical_id=name)

    def _key(
        self, stack: Stack, lid: str, props: dict[str, Any], old: Resource | None, policies: dict[str, str]
    ) -> Result:
        """AWS::KMS::Key, recorded (nothing here calls KMS or encrypts): Ref is its key id, Fn::GetAtt Arn and KeyId
        (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-kms-key.html). Every
        property updates the key in place; the id is a UUID, as KMS makes them, derived from the stack and logical id
        so that a run is repeatable."""
        key_id = old.physical_id if old else str(uuid.uuid5(uuid.NAMESPACE_URL, f"{stack.stack_id}/{lid}"))
        arn = f"arn:aws:kms:{self.region}:{self.account}:key/{key_id}"
        self._record(stack, Resource(lid, KMS_KEY, key_id, props, {"Arn": arn, "KeyId": key_id}, **policies))
        return Result(True, physical_id=key_id)

    def _topic(
        self, stack: Stack, lid: str, props: dict[str, Any], old: Resource | None, policies: dict[str, str]
    ) -> Result:
        """AWS::SNS::Topic, recorded (nothing here calls SNS): Ref is its ARN, arn:aws:sns:<region>:<account>:<name>,
        Fn::GetAtt TopicArn and TopicName. Without TopicName, CloudFormation generates the name; a FIFO topic's ends
        with .fifo, as SNS requires. A new TopicName or FifoTopic replaces the topic, anything else updates it in
        place (the template reference). KmsMasterKeyId (a key, or an alias such as alias/aws/sns) is recorded and
        not checked: no KMS here."""
        unknown = sorted(set(props) - TOPIC_PROPERTIES)
        if unknown:
            return Result(False, f"the lifecycle driver does not model {TOPIC} properties {', '.join(unknown)}")
        fifo = str(props.get("FifoTopic", False)).lower() == "true"
        in_place = old is not None and all(old.properties.get(k) == props.get(k) for k in ("TopicName", "FifoTopic"))
        name = str(props.get("TopicName") or "")
        if not name:
            if old is not None and in_place:
                name = str(old.attributes["TopicName"])
            else:
                name = self._short_name(stack, lid, 251 if fifo else 256) + (".fifo" if fifo else "")
        base = name.removesuffix(".fifo") if fifo else name
        if not TOPIC_NAME.fullmatch(base) or len(name) > 256 or name.endswith(".fifo") != fifo:
            return Result(False, f"Invalid parameter: Topic Name {name!r} (Error Code: InvalidParameter)")
        arn = f"arn:aws:sns:{self.region}:{self.account}:{name}"
        if old is not None and not in_place and old.physical_id == arn:
            return Result(False, _custom_name_replacement(name))
        self._record(stack, Resource(lid, TOPIC, arn, props, {"TopicArn": arn, "TopicName": name}, **policies))
        return Result(True, physical_id=arn)

    def role_policies(self, role_arn: str) -> list[Mapping[str, Any]]:
        """The identity-based policies a role has now: its inline Policies and every AWS::IAM::Policy whose Roles
        name it, in any stack the driver holds. ManagedPolicyArns are not read (the driver knows no managed
        policy's document), so here they grant nothing."""
        resources = [r for stack in list(self.stacks.values()) for r in list(stack.resources.values())]
        role = next((r for r in resources if r.type == ROLE and r.attributes.get("Arn") == role_arn), None)
        if role is None:
            return []
        found: list[Mapping[str, Any]] = [p.get("PolicyDocument", {}) for p in role.properties.get("Policies", [])]
        found += [
            r.properties.get("PolicyDocument", {})
            for r in resources
            if r.type == POLICY and role.physical_id in r.properties.get("Roles", [])
        ]
        return found

    def _function(
        self, stack: Stack, template: dict[str, Any], lid: str, props: dict[str, Any], policies: dict[str, str]
    ) -> Result:
        """AWS::Lambda::Function: a warm worker process with the function's environment and its execution role's
        credentials, a session named after the function; the cloud checks that role's policies on every call the
        function makes (LocalCloud.assume_role). Role is required (the template reference; CloudFormation's words
        for a missing one are undocumented)."""
        assert stack.assembly is not None
        role_arn = str(props.get("Role") or "")
        if not role_arn:
            return Result(False, f"Properties validation failed for resource {lid}: required key [Role] not found")
        old = stack.resources.get(lid)
        name = old.physical_id if old else self._name(stack, lid)[:64]
        arn = f"arn:aws:lambda:{self.region}:{self.account}:function:{name}"
        credentials = self.cloud.assume_role(role_arn, name, lambda: self.role_policies(role_arn))
        if arn in self.hosts:
            self.hosts[arn].stop()
            previous = self.hosts[arn].env.get("AWS_ACCESS_KEY_ID", "")
            if previous != credentials["AWS_ACCESS_KEY_ID"]:
                self.cloud.revoke(previous)
        env = {
            **{k: str(v) for k, v in props.get("Environment", {}).get("Variables", {}).items()},
            **self.cloud.lambda_env(),
            # CloudFormation's presigned URLs are on its S3 buckets; the function reaches them at the inbox.
            "AWS_ENDPOINT_URL_S3": self.inbox.endpoint,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_LAMBDA_FUNCTION_NAME": name,
            **credentials,
        }
        self.hosts[arn] = LambdaHost(
            name=name,
            arn=arn,
            asset_dir=stack.assembly.asset_dir(template["Resources"][lid]).resolve(),
            handler=props["Handler"],
            env=env,
            timeout_seconds=int(props.get("Timeout", 3)),
            memory=int(props.get("MemorySize", 128)),
            real_limit_seconds=self.real_limit_seconds,
        )
        self._record(stack, Resource(lid, "AWS::Lambda::Function", name, props, {"Arn": arn}, **policies))
        return Result(True, physical_id=name)

    # ------------------------------------------------------------ DynamoDB tables and EventBridge rules

    def _aws(self, service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        return self.cloud.call(service, operation, params)

    def _table(
        self, stack: Stack, lid: str, props: dict[str, Any], old: Resource | None, policies: dict[str, str]
    ) -> Result | Pending:
        """AWS::DynamoDB::Table: CreateTable, then wait for ACTIVE (and UpdateTimeToLive); an update in place
        or a replacement.

        Template reference: TableName and KeySchema require replacement, and so does changing the type of a
        key attribute (AttributeDefinitions); "If you specify a name, you cannot perform updates that require
        replacement of this resource." BillingMode, ProvisionedThroughput, TimeToLiveSpecification and
        ResourcePolicy update in place. Ref is the table name, Fn::GetAtt Arn its ARN. A ResourcePolicy's
        PolicyDocument goes to CreateTable as JSON text ("CloudFormation converts YAML to JSON before submitting it
        to DynamoDB", aws-properties-dynamodb-table-resourcepolicy.html; how it lays the text out, which counts
        against the 20 KB, is undocumented: json.dumps's spacing here).
        """
        unknown = sorted(set(props) - TABLE_PROPERTIES - TABLE_IGNORED)
        if unknown:
            return Result(False, f"the lifecycle driver does not model {TABLE} properties {', '.join(unknown)}")
        try:
            policy = _table_policy(props)
        except ValueError as error:
            return Result(False, str(error))
        if old is not None and not _table_replaced(old.properties, props):
            self._attempted[lid] = props
            return self._table_in_place(stack, lid, props, old, policies)
        if old is not None and props.get("TableName") and props.get("TableName") == old.physical_id:
            return Result(False, _custom_name_replacement(str(props["TableName"])))
        name = str(props.get("TableName") or self._short_name(stack, lid, 255))
        request: dict[str, Any] = {
            "TableName": name,
            "KeySchema": props.get("KeySchema"),
            "AttributeDefinitions": props.get("AttributeDefinitions"),
            "BillingMode": props.get("BillingMode", "PROVISIONED"),
        }
        if "ProvisionedThroughput" in props:
            request["ProvisionedThroughput"] = {k: int(v) for k, v in props["ProvisionedThroughput"].items()}
        if policy is not None:
            request["ResourcePolicy"] = policy
        try:
            arn = self._aws("dynamodb", "CreateTable", request)["TableDescription"]["TableArn"]
        except ServiceError as error:
            return Result(False, _service_reason(error))
        # Recorded at once, so a rollback deletes the table even if it never got ACTIVE.
        self._record(stack, Resource(lid, TABLE, name, props, {"Arn": arn}, **policies))
        deadline = self.clock.now() + TABLE_WAIT_SECONDS

        def poll() -> Result | None:
            try:
                status = self._aws("dynamodb", "DescribeTable", {"TableName": name})["Table"]["TableStatus"]
            except ServiceError as error:
                return Result(False, _service_reason(error))
            if status != "ACTIVE":
                self.schedule(min(self.clock.now() + TABLE_POLL_SECONDS, deadline), lambda: None)
                return None
            ttl = _ttl(props)
            if ttl is not None and ttl["Enabled"]:
                try:
                    self._aws("dynamodb", "UpdateTimeToLive", {"TableName": name, "TimeToLiveSpecification": ttl})
                except ServiceError as error:
                    return Result(False, _service_reason(error))
            return Result(True, physical_id=name)

        return Pending(deadline, poll, lambda: Result(False, f"Table {name} did not become ACTIVE"))

    def _table_in_place(
        self, stack: Stack, lid: str, props: dict[str, Any], old: Resource, policies: dict[str, str]
    ) -> Result:
        name = old.physical_id
        for key in ("BillingMode", "ProvisionedThroughput"):
            if props.get(key) != old.properties.get(key):
                return Result(False, f"the lifecycle driver does not model changing {TABLE} {key} (UpdateTable)")
        try:
            policy = _table_policy(props)
        except ValueError as error:
            return Result(False, str(error))
        if policy != _table_policy(old.properties):
            failed = self._table_policy_in_place(str(old.attributes["Arn"]), policy)
            if failed is not None:
                return failed
        # A TimeToLiveSpecification taken out of the template switches TTL off (undocumented).
        wanted = _ttl(props) or ({"Enabled": False} if _ttl(old.properties) else None)
        if wanted is not None:
            # Reconciled with what the table has, not with the old template: a rollback after a failed change
            # asks for the state the table never left (how CloudFormation's handler decides is undocumented).
            try:
                now = self._aws("dynamodb", "DescribeTimeToLive", {"TableName": name})["TimeToLiveDescription"]
            except ServiceError as error:
                return Result(False, _service_reason(error))
            enabled = now["TimeToLiveStatus"] in ("ENABLED", "ENABLING")
            attribute = wanted.get("AttributeName") or now.get("AttributeName", "")
            if enabled != wanted["Enabled"] or (enabled and attribute != now.get("AttributeName")):
                # The template reference: AttributeName "is required when enabling the TTL, or when TTL is
                # already enabled"; disabling takes the attribute the table has.
                spec = {"AttributeName": attribute, "Enabled": wanted["Enabled"]}
                try:
                    self._aws("dynamodb", "UpdateTimeToLive", {"TableName": name, "TimeToLiveSpecification": spec})
                except ServiceError as error:
                    return Result(False, _service_reason(error))
        self._record(stack, Resource(lid, TABLE, name, props, dict(old.attributes), **policies))
        return Result(True, physical_id=name)

    def _table_policy_in_place(self, arn: str, policy: str | None) -> Result | None:
        """Put the template's policy, or delete it when the template no longer has one; a failure, if any.

        Compared with the previous template, not with the table: "Resource-based policies don't support out-of-band
        changes. If you add, update, or delete a policy outside of the CloudFormation template, the change won't be
        overwritten if there are no changes to the policy within the template" (the ResourcePolicy page). A change
        within 15 seconds of the last is refused by DynamoDB (ResourceInUseException, "wait for the ongoing update to
        complete and attempt the request again"): the driver waits and tries again, as a rollback right after an
        update must (how CloudFormation's handler waits is undocumented).
        """
        operation = "DeleteResourcePolicy" if policy is None else "PutResourcePolicy"
        request = {"ResourceArn": arn} if policy is None else {"ResourceArn": arn, "Policy": policy}
        deadline = self.clock.now() + TABLE_WAIT_SECONDS
        while True:
            try:
                self._aws("dynamodb", operation, request)
                return None
            except ServiceError as error:
                if error.code != "ResourceInUseException" or self.clock.now() >= deadline:
                    return Result(False, _service_reason(error))
            self._advance(min(self.clock.now() + TABLE_POLL_SECONDS, deadline))

    def _delete_table(self, name: str) -> Result:
        """DeleteTable, then wait until it is gone; a table already gone is deleted (what CloudFormation does
        then is undocumented). A table still CREATING is waited for first."""
        deadline = self.clock.now() + TABLE_WAIT_SECONDS
        deleting = False
        while True:
            try:
                if not deleting:
                    self._aws("dynamodb", "DeleteTable", {"TableName": name})
                    deleting = True
                self._aws("dynamodb", "DescribeTable", {"TableName": name})
            except ServiceError as error:
                if error.code == "ResourceNotFoundException":
                    return Result(True)
                if error.code != "ResourceInUseException":
                    return Result(False, _service_reason(error))
            if self.clock.now() >= deadline:
                return Result(False, f"Table {name} was not deleted within {TABLE_WAIT_SECONDS} seconds")
            self._advance(min(self.clock.now() + TABLE_POLL_SECONDS, deadline))

    def _rule(
        self, stack: Stack, lid: str, props: dict[str, Any], old: Resource | None, policies: dict[str, str]
    ) -> Result:
        """AWS::Events::Rule on the bus EventBusName names (by name or ARN; the default bus without it): PutRule, then
        its targets (PutTargets, and RemoveTargets for those an update drops). A schedule rule fires on the virtual
        clock; a rule with an EventPattern (an object in the template, JSON text to the API) gets the events put on
        its bus that match it. Its targets may be
        functions (the driver invokes those it hosts) or anything else, an SNS topic say, whose deliveries the
        emulator records (`LocalCloud.events.deliveries`).

        Template reference: Name and EventBusName require replacement (a new rule, the old one deleted after the
        update); without Name, CloudFormation generates one; everything else updates in place; State defaults to
        ENABLED (API_PutRule). Ref is the rule name, Fn::GetAtt Arn its ARN.
        """
        unknown = sorted(set(props) - RULE_PROPERTIES)
        if unknown:
            return Result(False, f"the lifecycle driver does not model {RULE} properties {', '.join(unknown)}")
        targets = [dict(t) for t in props.get("Targets", [])]
        for target in targets:
            extra = sorted(set(target) - TARGET_PROPERTIES)
            if extra:
                return Result(False, f"the lifecycle driver does not model {RULE} Target properties {', '.join(extra)}")
        in_place = old is not None and all(old.properties.get(k) == props.get(k) for k in ("Name", "EventBusName"))
        if old is not None and in_place:
            name = old.physical_id
        else:
            name = str(props.get("Name") or self._short_name(stack, lid, 64))
        if old is not None and not in_place and props.get("Name") and name == old.physical_id:
            return Result(False, _custom_name_replacement(name))
        bus = {"EventBusName": props["EventBusName"]} if props.get("EventBusName") else {}
        request: dict[str, Any] = {"Name": name, "State": props.get("State", "ENABLED"), **bus}
        for key in ("ScheduleExpression", "Description", "RoleArn", "Tags"):
            if key in props:
                request[key] = props[key]
        if "EventPattern" in props:
            pattern = props["EventPattern"]
            request["EventPattern"] = pattern if isinstance(pattern, str) else json.dumps(pattern)
        try:
            arn = self._aws("events", "PutRule", request)["RuleArn"]
            self._record(stack, Resource(lid, RULE, name, props, {"Arn": arn}, **policies))
            kept = {t["Id"] for t in targets}
            had = {t["Id"] for t in old.properties.get("Targets", [])} if old is not None and in_place else set()
            dropped = sorted(had - kept)
            if dropped:
                removed = self._aws("events", "RemoveTargets", {"Rule": name, "Ids": dropped, **bus})
                _all_entries(removed, "RemoveTargets")
            if targets:
                _all_entries(self._aws("events", "PutTargets", {"Rule": name, "Targets": targets, **bus}), "PutTargets")
        except ServiceError as error:
            return Result(False, _service_reason(error))
        except ValueError as error:
            return Result(False, str(error))
        return Result(True, physical_id=name)

    def _delete_rule(self, name: str, event_bus: str | None = None) -> Result:
        """RemoveTargets of every target the rule has (API_DeleteRule: "you must remove all targets"), then
        DeleteRule, on the rule's bus; a rule already gone (or its bus) is deleted."""
        bus = {"EventBusName": event_bus} if event_bus else {}
        try:
            ids: list[str] = []
            token: str | None = None
            while True:
                page = self._aws(
                    "events", "ListTargetsByRule", {"Rule": name, **bus, **({"NextToken": token} if token else {})}
                )
                ids += [t["Id"] for t in page.get("Targets", [])]
                token = page.get("NextToken")
                if not token:
                    break
            for start in range(0, len(ids), 100):  # API_RemoveTargets: at most 100 ids a call
                _all_entries(
                    self._aws("events", "RemoveTargets", {"Rule": name, "Ids": ids[start : start + 100], **bus}),
                    "RemoveTargets",
                )
            self._aws("events", "DeleteRule", {"Name": name, **bus})
        except ServiceError as error:
            if error.code == "ResourceNotFoundException":
                return Result(True)
            return Result(False, _service_reason(error))
        except ValueError as error:
            return Result(False, str(error))
        return Result(True)

    def _bus(
        self, stack: Stack, lid: str, props: dict[str, Any], old: Resource | None, policies: dict[str, str]
    ) -> Result:
        """AWS::Events::EventBus: CreateEventBus, then PutPermission with its Policy (the resource handler's create
        asks for both: aws-cloudformation-resource-providers-events, aws-events-eventbus.json); in place, Policy is put
        again, or removed (RemovePermission, RemoveAllPermissions) when the template drops it, and Tags are recorded
        only (TagResource is not emulated). A new Name makes a new bus, the old one deleted after the update; a new
        Description is not modelled (UpdateEventBus). Ref is the name, Fn::GetAtt Arn, Name and Policy."""
        unknown = sorted(set(props) - BUS_PROPERTIES)
        if unknown:
            return Result(False, f"the lifecycle driver does not model {BUS} properties {', '.join(unknown)}")
        name = str(props.get("Name") or "")
        if not name:
            return Result(False, f"Properties validation failed for resource {lid}: required key [Name] not found")
        policy = props.get("Policy")
        text = None if policy is None else policy if isinstance(policy, str) else json.dumps(policy)
        in_place = old is not None and old.physical_id == name
        try:
            if not in_place:
                request: dict[str, Any] = {"Name": name}
                for key in ("Description", "Tags"):
                    if key in props:
                        request[key] = props[key]
                arn = self._aws("events", "CreateEventBus", request)["EventBusArn"]
                # Recorded at once, so a rollback deletes the bus even if its policy is refused.
                self._record(stack, Resource(lid, BUS, name, props, {"Arn": arn, "Name": name}, **policies))
            else:
                assert old is not None
                if props.get("Description") != old.properties.get("Description"):
                    return Result(False, f"the lifecycle driver does not model changing {BUS} Description")
                arn = str(old.attributes["Arn"])
            if text is not None:
                self._aws("events", "PutPermission", {"EventBusName": name, "Policy": text})
            elif in_place and old is not None and old.properties.get("Policy") is not None:
                self._aws("events", "RemovePermission", {"EventBusName": name, "RemoveAllPermissions": True})
        except ServiceError as error:
            return Result(False, _service_reason(error))
        attributes = {"Arn": arn, "Name": name, **({"Policy": text} if text is not None else {})}
        self._record(stack, Resource(lid, BUS, name, props, attributes, **policies))
        return Result(True, physical_id=name)

    def _delete_bus(self, name: str) -> Result:
        try:
            self._aws("events", "DeleteEventBus", {"Name": name})
        except ServiceError as error:
            return Result(False, _service_reason(error))
        return Result(True)

    def _bus_policy(
        self, stack: Stack, lid: str, props: dict[str, Any], old: Resource | None, policies: dict[str, str]
    ) -> Result:
        """AWS::Events::EventBusPolicy: one statement of a bus's policy. With Statement, the bus's policy is read
        (DescribeEventBus) and put back whole (PutPermission with Policy) with the statement added, its Sid the
        StatementId; with the deprecated Action, Principal and Condition, PutPermission takes them as they are. How
        the resource handler merges the statement is undocumented; this is the reading under which every other
        statement of the bus stays. A StatementId the bus's policy already holds fails the create (undocumented:
        the template reference says only that each "must be unique"). Ref is EventBusName|StatementId
        (undocumented)."""
        unknown = sorted(set(props) - BUS_POLICY_PROPERTIES)
        if unknown:
            return Result(False, f"the lifecycle driver does not model {BUS_POLICY} properties {', '.join(unknown)}")
        sid = str(props.get("StatementId") or "")
        if not sid:
            missing = f"Properties validation failed for resource {lid}: required key [StatementId] not found"
            return Result(False, missing)
        if ("Statement" in props) == any(k in props for k in ("Action", "Principal", "Condition")):
            return Result(False, "Give either Statement, or Action and Principal (and Condition)")
        bus = str(props.get("EventBusName") or "default")
        physical = f"{bus}|{sid}"
        in_place = old is not None and old.physical_id == physical
        try:
            statements = self._bus_statements(bus)
            if not in_place and any(s.get("Sid") == sid for s in statements):
                return Result(False, f"Statement {sid} already exists on event bus {bus}")
            if "Statement" in props:
                statement = {**dict(props["Statement"]), "Sid": sid}
                kept = [s for s in statements if s.get("Sid") != sid]
                document = {"Version": "2012-10-17", "Statement": [*kept, statement]}
                self._aws("events", "PutPermission", {"EventBusName": bus, "Policy": json.dumps(document)})
            else:
                request: dict[str, Any] = {k: props[k] for k in ("Action", "Principal", "Condition") if k in props}
                self._aws("events", "PutPermission", {"EventBusName": bus, "StatementId": sid, **request})
        except ServiceError as error:
            return Result(False, _service_reason(error))
        self._record(stack, Resource(lid, BUS_POLICY, physical, props, {}, **policies))
        return Result(True, physical_id=physical)

    def _bus_statements(self, bus: str) -> list[dict[str, Any]]:
        policy = self._aws("events", "DescribeEventBus", {"Name": bus}).get("Policy")
        if policy is None:
            return []
        raw = json.loads(policy).get("Statement", [])
        return [raw] if isinstance(raw, dict) else list(raw)

    def _delete_bus_statement(self, props: dict[str, Any]) -> Result:
        """RemovePermission of the statement; one already gone, or its bus, is deleted."""
        bus = str(props.get("EventBusName") or "default")
        try:
            self._aws("events", "RemovePermission", {"EventBusName": bus, "StatementId": str(props["StatementId"])})
        except ServiceError as error:
            if error.code != "ResourceNotFoundException":
                return Result(False, _service_reason(error))
        return Result(True)

    def _wait_condition(
        self, stack: Stack, template: dict[str, Any], lid: str, props: dict[str, Any], policies: dict[str, str]
    ) -> Pending:
        handle_url = str(props["Handle"])
        handle = next(r for r in stack.resources.values() if r.physical_id == handle_url)
        token = handle.attributes["token"]
        count = int(props.get("Count", 1))
        timeout = int(props["Timeout"])
        if not 0 < timeout <= MAX_WAIT_CONDITION_TIMEOUT:
            return Pending(
                self.clock.now(), lambda: Result(False, f"Timeout {timeout} is outside 1..43200"), lambda: Result(False)
            )
        physical = f"arn:aws:cloudformation:{self.region}:{self.account}:stack/{stack.name}/{lid}"

        def poll() -> Result | None:
            signals = self.inbox.signals.get(token, [])
            for s in signals:
                if s.get("Status") == "FAILURE":
                    return Result(
                        False,
                        f"WaitCondition received failed message: '{s.get('Reason', '')}' "
                        f"for uniqueId: {s.get('UniqueId')}",
                    )
            ok = {str(s.get("UniqueId")): s.get("Data", "") for s in signals if s.get("Status") == "SUCCESS"}
            if len(ok) < count:
                return None
            self._record(
                stack,
                Resource(
                    lid, "AWS::CloudFormation::WaitCondition", physical, props, {"Data": json.dumps(ok)}, **policies
                ),
            )
            return Result(True, physical_id=physical)

        def timed_out() -> Result:
            received = len({s.get("UniqueId") for s in self.inbox.signals.get(token, [])})
            return Result(False, f"WaitCondition timed out. Received {received} conditions when expecting {count}")

        return Pending(self.clock.now() + timeout, poll, timed_out)

    def _custom(
        self,
        stack: Stack,
        resource: Resource,
        kind: str,
        props: dict[str, Any],
        old_props: dict[str, Any] | None,
        *,
        record: bool = False,
        wait: bool = False,
    ) -> Pending | Result:
        """Send a custom resource event, and wait for its answer (ServiceTimeout, at most 3600 s)."""
        request_id = str(uuid.uuid4())
        token = str(props["ServiceToken"])
        event: dict[str, Any] = {
            "RequestType": kind,
            "ServiceToken": token,
            "ResponseURL": self.inbox.response_url(request_id),
            "StackId": stack.stack_id,
            "RequestId": request_id,
            "LogicalResourceId": resource.logical_id,
            "ResourceType": resource.type,
            "ResourceProperties": stringified(props),
        }
        if resource.physical_id:
            event["PhysicalResourceId"] = resource.physical_id
        if old_props is not None and kind == "Update":
            event["OldResourceProperties"] = stringified(old_props)
        service_timeout = int(props.get("ServiceTimeout", MAX_SERVICE_TIMEOUT))
        if not 1 <= service_timeout <= MAX_SERVICE_TIMEOUT:
            return Result(False, f"ServiceTimeout {service_timeout} must be 1 to {MAX_SERVICE_TIMEOUT}")
        if token not in self.hosts:
            return Result(False, f"ServiceToken {token} is not a function of this account and Region")
        self.requests.append(copy.deepcopy(event))
        self._invoke_async(token, event)
        if (resource.logical_id, kind) in self.faults.duplicate:
            self._invoke_async(token, event)

        def poll() -> Result | None:
            raw = self.inbox.take_response(request_id)
            if raw is None:
                return None
            result = _judge_response(raw, request_id)
            # A failed Create still has the physical id its response named: the rollback Delete gets it.
            if record and (result.ok or (kind == "Create" and result.physical_id)):
                attributes = result.attributes if result.ok else {}
                self._record(stack, replace(resource, physical_id=result.physical_id, attributes=attributes))
            return result

        def timed_out() -> Result:
            if record and kind == "Create":
                self._record(
                    stack,
                    Resource(
                        resource.logical_id,
                        resource.type,
                        self._name(stack, resource.logical_id),
                        props,
                        {},
                        resource.deletion_policy,
                        resource.update_replace_policy,
                    ),
                )
            return Result(
                False,
                "CloudFormation did not receive a response from your Custom Resource. "
                f"Please check your logs for requestId [{request_id}].",
            )

        pending = Pending(self.clock.now() + service_timeout, poll, timed_out)
        if not wait:
            return pending
        while True:
            result = pending.poll()
            if result is None and self.clock.now() >= pending.deadline:
                result = pending.on_timeout()
            if result is not None:
                return result
            self._advance(pending.deadline)

    def _delete_all(
        self,
        stack: Stack,
        resources: Iterable[Resource],
        template: dict[str, Any],
        *,
        rollback_of_create: bool,
        replaced: bool = False,
        keep_records: bool = False,
    ) -> str | None:
        """Delete in reverse dependency order, honouring DeletionPolicy (or UpdateReplacePolicy for replacements)."""
        doomed = {r.logical_id: r for r in resources}
        deps = _dependencies(doomed, template)
        order = _reverse_order(doomed, deps)
        failure: str | None = None
        # What a resource that failed to delete depends on stays: CloudFormation stops there.
        held: set[str] = set()
        for lid in order:
            resource = doomed[lid]
            # The delete of a physical resource the logical id no longer holds (a replaced one, in the cleanup of an
            # update or of its rollback) shows in the stack's events only: CloudFormation still reports the one it
            # holds ("Update behaviors of stack resources", Replacement).
            reported = stack.reported.get(lid)
            own = reported is None or reported.physical_id == resource.physical_id
            status = functools.partial(
                self._resource_status, stack, lid, physical_id=resource.physical_id, rtype=resource.type, held=own
            )
            if lid in held:
                status("DELETE_SKIPPED", "a resource that depends on it could not be deleted")
                continue
            policy = resource.update_replace_policy if replaced else resource.deletion_policy
            if policy == "Retain" or (policy == "RetainExceptOnCreate" and not rollback_of_create):
                status("DELETE_SKIPPED", f"{'UpdateReplacePolicy' if replaced else 'DeletionPolicy'} {policy}")
                if not replaced and not keep_records:
                    stack.resources.pop(lid, None)
                continue
            status("DELETE_IN_PROGRESS")
            result = self._delete_one(stack, resource)
            if not result.ok:
                status("DELETE_FAILED", result.reason)
                failure = failure or f"{lid}: {result.reason}"
                held |= _closure(lid, deps)
                continue
            status("DELETE_COMPLETE")
            if not replaced and not keep_records and stack.resources.get(lid) is resource:
                stack.resources.pop(lid, None)
        return failure

    def _delete_one(self, stack: Stack, resource: Resource) -> Result:
        if resource.type.startswith("Custom::"):
            result = self._custom(stack, resource, "Delete", resource.properties, None, wait=True)
            assert isinstance(result, Result)
            return result
        if resource.type == "AWS::Lambda::Function":
            host = self.hosts.pop(resource.attributes["Arn"], None)
            if host is not None:
                host.stop()
                self.cloud.revoke(host.env.get("AWS_ACCESS_KEY_ID", ""))
        if resource.type == SSM_PARAMETER:
            try:
                self._delete_parameter(resource.physical_id)
            except ServiceError as error:
                return Result(False, _service_reason(error))
        if resource.type == TABLE:
            return self._delete_table(resource.physical_id)
        if resource.type == RULE:
            return self._delete_rule(resource.physical_id, resource.properties.get("EventBusName"))
        if resource.type == BUS:
            return self._delete_bus(resource.physical_id)
        if resource.type == BUS_POLICY:
            return self._delete_bus_statement(resource.properties)
        return Result(True)

    # ------------------------------------------------------------ Lambda

    def invoke(self, arn: str, event: Any) -> Invocation:
        """Invoke a hosted function synchronously (RequestResponse) with any event, as a principal allowed
        lambda:InvokeFunction on it may: no retries, the outcome to the caller. KeyError for a function not hosted."""
        return self.hosts[arn].invoke(event, self.clock.now(), str(uuid.uuid4()))

    def invoke_async(self, arn: str, event: Any) -> None:
        """Invoke a hosted function asynchronously (Event) with any event, as CloudFormation or anyone allowed
        lambda:InvokeFunction may: Lambda retries a failure 1 and 3 minutes later, as the clock reaches them
        (`settle`)."""
        self._invoke_async(arn, event)

    def _invoke_async(self, arn: str, event: Any, attempt: int = 0) -> None:
        """Invoke a function as CloudFormation and EventBridge do, asynchronously: a failure is retried twice.
        `event` is any JSON value (an EventBridge target's InputPath or InputTransformer may make it a string)."""
        host = self.hosts.get(arn)
        if host is None:
            return  # the function is gone; EventBridge's invocation fails and nobody is told
        outcome = host.invoke(event, self.clock.now(), str(uuid.uuid4()))
        if outcome.ok:
            return
        fields = event if isinstance(event, dict) else {}
        what = fields.get("RequestType") or fields.get("detail-type") or "event"
        self._emit(host.name, "LAMBDA_ERROR", f"{what}, attempt {attempt + 1}: {outcome.error}")
        if attempt < len(LAMBDA_RETRY_DELAYS):
            when = self.clock.now() + LAMBDA_RETRY_DELAYS[attempt]
            heapq.heappush(self._timers, (when, next(self._seq), lambda: self._invoke_async(arn, event, attempt + 1)))

    # ------------------------------------------------------------ intrinsics and outputs

    def _resolver(self, stack: Stack, template: dict[str, Any]) -> Resolver:
        def ref(lid: str) -> Any:
            if lid not in stack.resources:
                raise KeyError(f"Ref to {lid}, which does not exist (yet)")
            return stack.resources[lid].physical_id

        def get_att(lid: str, attribute: str) -> Any:
            resource = stack.resources.get(lid)
            if resource is None:
                raise KeyError(f"Fn::GetAtt of {lid}, which does not exist (yet)")
            if attribute not in resource.attributes:
                raise KeyError(f"CustomResource attribute error: Vendor response doesn't contain {attribute} key")
            return resource.attributes[attribute]

        parameters = {name: spec.get("Default") for name, spec in template.get("Parameters", {}).items()}
        parameters.update(stack.parameters)
        for name, spec in template.get("Parameters", {}).items():
            # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html:
            # an SSM parameter type's value is the parameter's name; CloudFormation reads it at each deploy.
            if str(spec.get("Type", "")).startswith("AWS::SSM::Parameter::Value<"):
                parameters[name] = self._ssm_value(str(parameters[name]))
        return Resolver(
            pseudo={
                "AWS::Region": self.region,
                "AWS::AccountId": self.account,
                "AWS::Partition": "aws",
                "AWS::URLSuffix": "amazonaws.com",
                "AWS::StackName": stack.name,
                "AWS::StackId": stack.stack_id,
            },
            parameters=parameters,
            conditions=template.get("Conditions", {}),
            ref=ref,
            get_att=get_att,
        )

    def _outputs(self, stack: Stack) -> dict[str, Any]:
        resolver = self._resolver(stack, stack.template)
        outputs = {}
        for name, spec in stack.template.get("Outputs", {}).items():
            if "Condition" in spec and not resolver.condition(spec["Condition"]):
                continue
            value = resolver.resolve(spec["Value"])
            if value is not NO_VALUE:
                outputs[name] = value
        return outputs

    def _stack_status(self, stack: Stack, status: str, reason: str = "") -> None:
        """The stack enters `status` (what DescribeStacks answers from now on, with `reason` as StackStatusReason),
        and the event is emitted. The status codes and their order are the API Reference's (Stack, StackStatus:
        https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_Stack.html) and the User Guide's
        "Stack status codes"; LastUpdatedTime moves with each operation after the create (when exactly is
        undocumented)."""
        stack.status, stack.status_reason = status, reason
        if status.endswith("_IN_PROGRESS") and status != "CREATE_IN_PROGRESS":
            stack.last_updated = self.clock.now()
        if status == "DELETE_COMPLETE":
            stack.deleted = self.clock.now()
        self._emit(stack.name, status, reason)

    def _resource_status(
        self,
        stack: Stack,
        lid: str,
        status: str,
        reason: str = "",
        *,
        physical_id: str | None = None,
        rtype: str | None = None,
        held: bool = True,
    ) -> None:
        """A resource event; unless `held` is False (the physical resource is no longer the one the logical id
        holds), also what DescribeStackResource answers for `lid` from now on. `physical_id` and `rtype` default to
        what it reported before. Resource status codes: the API Reference's StackResourceDetail, ResourceStatus
        (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_StackResourceDetail.html)."""
        self._emit(lid, status, reason)
        if not held:
            return
        before = stack.reported.get(lid)
        stack.reported[lid] = Reported(
            lid,
            rtype if rtype is not None else (before.type if before else ""),
            physical_id if physical_id is not None else (before.physical_id if before else ""),
            status,
            self.clock.now(),
            reason,
        )

    def _emit(self, logical_id: str, status: str, reason: str = "") -> None:
        event = StackEvent(self.clock.now() - self._started, logical_id, status, reason)
        self.events.append(event)
        if self.on_event:
            self.on_event(event)

    def settle(self, seconds: float = 3600) -> None:
        """Let what outlives a stack operation happen: Lambda's pending retries and the watch schedules.

        A check for orphans after a deployment is only honest once late retries have had their chance.
        """
        limit = self.clock.now() + seconds
        while True:
            upcoming = [t for t in (self._timers[0][0] if self._timers else None, self.cloud.next_due(0)) if t]
            if not upcoming or min(upcoming) > limit:
                return
            self._advance(min(upcoming))

    def schedule(self, when: float, action: Callable[[], None]) -> None:
        """Run `action` when the virtual clock reaches `when` (for tests that change the world mid-deploy)."""
        heapq.heappush(self._timers, (when, next(self._seq), action))


def _busy(reported: Reported) -> bool:
    return reported.status.endswith(("_IN_PROGRESS", "_FAILED"))


def _service_reason(error: ServiceError) -> str:
    return f"{error.message} (Error Code: {error.code})"


def _custom_name_replacement(name: str) -> str:
    # The template reference (TableName, "Name type"): a custom-named resource cannot be replaced; the words
    # CloudFormation uses are undocumented.
    return (
        "CloudFormation cannot update a stack when a custom-named resource requires replacing. "
        f"Rename {name} and update the stack again."
    )


def _key_types(props: dict[str, Any]) -> dict[str, str]:
    keys = {e.get("AttributeName") for e in props.get("KeySchema", [])}
    return {
        d.get("AttributeName"): d.get("AttributeType")
        for d in props.get("AttributeDefinitions", [])
        if d.get("AttributeName") in keys
    }


def _table_replaced(old: dict[str, Any], new: dict[str, Any]) -> bool:
    return (
        old.get("TableName") != new.get("TableName")
        or old.get("KeySchema") != new.get("KeySchema")
        or _key_types(old) != _key_types(new)
    )


def _table_policy(props: dict[str, Any]) -> str | None:
    """ResourcePolicy's PolicyDocument (Json: an object, or JSON text) as the text DynamoDB takes; ValueError for a
    ResourcePolicy without one (the template reference marks PolicyDocument required)."""
    policy = props.get("ResourcePolicy")
    if policy is None:
        return None
    document = policy.get("PolicyDocument") if isinstance(policy, dict) else None
    if document is None:
        raise ValueError(f"{TABLE} ResourcePolicy needs a PolicyDocument")
    return document if isinstance(document, str) else json.dumps(document)


def _ttl(props: dict[str, Any]) -> dict[str, Any] | None:
    """TimeToLiveSpecification as the API takes it; Enabled may arrive as a string in a template."""
    spec = props.get("TimeToLiveSpecification")
    if spec is None:
        return None
    enabled = spec.get("Enabled")
    answer: dict[str, Any] = {"Enabled": enabled is True or str(enabled).lower() == "true"}
    if spec.get("AttributeName"):
        answer["AttributeName"] = str(spec["AttributeName"])
    return answer


def _all_entries(answer: dict[str, Any], operation: str) -> None:
    """PutTargets and RemoveTargets report an entry they could not handle in the answer, not as an error."""
    if answer.get("FailedEntryCount"):
        raise ValueError(f"{operation} failed for {answer.get('FailedEntries')}")


def stringified(value: Any) -> Any:
    # Observed, not documented: CloudFormation hands custom resources every scalar as a string.
    if isinstance(value, dict):
        return {k: stringified(v) for k, v in value.items()}
    if isinstance(value, list):
        return [stringified(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def _judge_response(raw: bytes, request_id: str) -> Result:
    if len(raw) > MAX_RESPONSE_BYTES:
        return Result(False, "Response object is too long.")
    try:
        body = json.loads(raw)
    except ValueError:
        return Result(False, "Invalid response object: not JSON.")
    physical = str(body.get("PhysicalResourceId") or "")
    if body.get("Status") == "FAILED":
        return Result(
            False,
            f"Received response status [FAILED] from custom resource. Message returned: {body.get('Reason', '')} "
            f"(RequestId: {request_id})",
            physical_id=physical,
        )
    if body.get("Status") != "SUCCESS":
        return Result(False, f"Invalid response status {body.get('Status')!r}.")
    if not physical or len(physical.encode()) > 1024:
        return Result(False, "Invalid PhysicalResourceId")
    return Result(True, physical_id=physical, attributes=dict(body.get("Data") or {}))


def _dependencies(doomed: dict[str, Resource], template: dict[str, Any]) -> dict[str, set[str]]:
    resources = template.get("Resources", {})
    deps: dict[str, set[str]] = {}
    for lid in doomed:
        definition = resources.get(lid, {})
        depends = definition.get("DependsOn", [])
        depends = [depends] if isinstance(depends, str) else depends
        deps[lid] = (set(depends) | references(definition.get("Properties", {}))) & set(doomed)
    return deps


def _closure(lid: str, deps: dict[str, set[str]]) -> set[str]:
    found: set[str] = set()
    todo = list(deps.get(lid, ()))
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo += deps.get(current, ())
    return found


def _reverse_order(doomed: dict[str, Resource], deps: dict[str, set[str]]) -> list[str]:
    """Dependents first: a resource is deleted only after everything that depends on it."""
    order: list[str] = []
    remaining = set(doomed)
    while remaining:
        # Delete those no remaining resource depends on.
        leaves = sorted(lid for lid in remaining if not any(lid in deps[o] for o in remaining if o != lid))
        if not leaves:
            leaves = sorted(remaining)
        order += leaves
        remaining -= set(leaves)
    return order
