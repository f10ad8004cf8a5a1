"""CloudFormation's stack operations, played on a virtual clock for the resource types this project emits.

The engine plays an operation: the order of the resources and their dependencies, the rollback, the events and the
statuses CloudFormation reports, the virtual clock and the faults. It provisions each resource through the kind of
its type (`KINDS`, cfn_driver.kinds: one module each, which names the documentation of that type).

Sources (AWS CloudFormation User Guide unless named otherwise):
- "DeletionPolicy attribute", "UpdateReplacePolicy attribute": Delete,
  Retain, RetainExceptOnCreate.
- "Stack failure options" / rollback: a failed create deletes what it created;
  a failed update returns to the previous resources.
- AWS Lambda Developer Guide, "Asynchronous invocation": CloudFormation
  invokes the function asynchronously; a failed or timed-out invocation is
  retried twice, about 1 and then 2 minutes later.
- "Update behaviors of stack resources"
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-update-behaviors.html):
  a replacement is created first, with a new physical id, references move to it, and the old resource is deleted.
- API Reference, Stack and StackResourceDetail (StackStatus, ResourceStatus): the status codes a stack and each of
  its resources go through, which the driver keeps at every step for CloudFormation's read API (cfn_driver.api).
Undocumented, and modelled as stated where it is used: what DescribeStackResource says
of a logical id at each step: a failed Create holds the id its FAILED answer
named (or the made-up one) until the rollback deletes it; the cleanup Delete
of a replaced resource leaves the logical id on its new one; during the
rollback Update of a replacement, the id the request carries (an option says
the previous one); a logical id the template dropped is no longer described
once the update is over.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import random
import uuid
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import replace
from typing import Any

from cfn_driver.api import CloudFormationAPI
from cfn_driver.assembly import Assembly
from cfn_driver.inbox import Inbox
from cfn_driver.intrinsics import NO_VALUE, Resolver, TemplateError, references
from cfn_driver.kinds import KINDS
from cfn_driver.kinds.base import Change
from cfn_driver.kinds.custom import stringified
from cfn_driver.kinds.iam import role_policies
from cfn_driver.lambda_host import Invocation, LambdaHost
from cfn_driver.model import Clock, Cloud, Faults, Pending, Reported, Resource, Result, Stack, StackEvent

__all__ = [
    "Clock",
    "Cloud",
    "CloudFormation",
    "Faults",
    "Pending",
    "Reported",
    "Resource",
    "Result",
    "Stack",
    "StackEvent",
    "stringified",
]

LAMBDA_RETRY_DELAYS = (60, 120)

# What `cdk bootstrap` writes to /cdk-bootstrap/<qualifier>/version; CDK's templates check it is at least 6.
BOOTSTRAP_VERSION = "30"


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
        # Properties each resource (a custom resource, a table, a rule, a bus) was last asked to take in this stack
        # operation, answered or not: a failed update is rolled back with an Update back to the old properties even
        # for the resource that failed (undocumented; reported in aws/aws-cdk#17040), which may have half-applied them.
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
        kind = KINDS.get(replacement.type)
        return self.rollback_updates_replacements and kind is not None and kind.reverts_replacement

    def _revert(self, stack: Stack, current: Resource, old: Resource) -> str | None:
        """Roll one resource back to its previous properties, as its kind does (`Provisioner.revert`); the reason, if
        that failed."""
        shown = old.physical_id if self.rollback_reports_previous_id else current.physical_id
        self._resource_status(stack, old.logical_id, "UPDATE_IN_PROGRESS", "rollback", physical_id=shown)
        kind = KINDS.get(current.type)
        back = kind.revert(self, stack, current, old) if kind is not None else Result(True)
        self._resource_status(stack, old.logical_id, "UPDATE_COMPLETE" if back.ok else "UPDATE_FAILED", back.reason)
        return None if back.ok else f"{old.logical_id}: {back.reason}"

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
            self.advance(min(p.deadline for p in in_flight.values()))

    def advance(self, limit: float) -> None:
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
        # A create in flight has no physical id yet; an update in flight is on the one CloudFormation holds.
        if old is None:
            created.append(lid)
            self._resource_status(stack, lid, "CREATE_IN_PROGRESS", physical_id="", rtype=rtype)
        else:
            self._resource_status(stack, lid, "UPDATE_IN_PROGRESS", physical_id=old.physical_id, rtype=rtype)
        kind = KINDS.get(rtype)
        if kind is None:
            return Result(False, f"the lifecycle driver does not model {rtype}")
        deletion, update_replace = (
            definition.get("DeletionPolicy", "Delete"),
            definition.get("UpdateReplacePolicy", "Delete"),
        )
        return kind.provision(self, Change(stack, template, lid, rtype, props, old, deletion, update_replace))

    # ------------------------------------------------------------ what the engine offers a kind (kinds.base.Driver)

    def record(self, stack: Stack, resource: Resource) -> None:
        stack.resources[resource.logical_id] = resource

    def generated_name(self, stack: Stack, lid: str) -> str:
        suffix = "".join(self._random.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(12))
        return f"{stack.name}-{lid[:30]}-{suffix}"

    def short_name(self, stack: Stack, lid: str, limit: int) -> str:
        """A generated name within a service's length limit, keeping its random suffix."""
        name = self.generated_name(stack, lid)
        return name if len(name) <= limit else name[: limit - 13] + name[-13:]

    def role_policies(self, role_arn: str) -> list[Mapping[str, Any]]:
        """The identity-based policies a role has now, in any stack the driver holds (kinds.iam.role_policies)."""
        return role_policies(list(self.stacks.values()), role_arn)

    def aws(self, service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        return self.cloud.call(service, operation, params)

    def attempting(self, lid: str, properties: dict[str, Any]) -> None:
        self._attempted[lid] = properties

    # ------------------------------------------------------------ deletes

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
        kind = KINDS.get(resource.type)
        return kind.delete(self, stack, resource) if kind is not None else Result(True)

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
            kind = str(spec.get("Type", ""))
            if kind.startswith("AWS::SSM::Parameter::Value<"):
                parameters[name] = self._ssm_value(str(parameters[name]))
                kind = kind.removeprefix("AWS::SSM::Parameter::Value<").removesuffix(">")
            # The same page: the Ref of a CommaDelimitedList (or a List<...>) parameter, an SSM one too, is a list of
            # the strings between its commas ("test,dev,prod" gives ["test", "dev", "prod"]), not the string given.
            if (kind == "CommaDelimitedList" or kind.startswith("List<")) and isinstance(parameters[name], str):
                parameters[name] = parameters[name].split(",")
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
            self.advance(min(upcoming))

    def schedule(self, when: float, action: Callable[[], None]) -> None:
        """Run `action` when the virtual clock reaches `when` (for tests that change the world mid-deploy)."""
        heapq.heappush(self._timers, (when, next(self._seq), action))


def _busy(reported: Reported) -> bool:
    return reported.status.endswith(("_IN_PROGRESS", "_FAILED"))


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
