"""Custom resources: CloudFormation sends their function an event and waits for its answer at the ResponseURL.

Sources (AWS CloudFormation User Guide): "Custom resources", "Custom resource request objects", "Custom resource
response objects": the events, ResponseURL, the 4096-byte response limit, the non-empty PhysicalResourceId, a changed
PhysicalResourceId making a replacement whose old id gets a Delete, and ServiceTimeout (1 to 3600 s). Undocumented,
and modelled as stated where it is used: property values arrive as strings; a custom resource that never answered
gets a rollback Delete with a made-up physical id.
"""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import replace
from typing import Any

from cfn_driver.kinds.base import Change, Driver, Provisioner
from cfn_driver.model import Pending, Resource, Result, Stack

MAX_RESPONSE_BYTES = 4096
MAX_SERVICE_TIMEOUT = 3600


class CustomResource(Provisioner):
    """Custom::<name>: a Create, an Update (carrying the physical id it holds) or a Delete event; the answer's
    PhysicalResourceId is Ref, its Data the attributes of Fn::GetAtt. A rollback sends the resource an Update back
    to its previous properties, also when the update replaced it (`reverts_replacement`)."""

    types = ("Custom::*",)
    reverts_replacement = True

    def provision(self, driver: Driver, change: Change) -> Result | Pending:
        old = change.old
        resource = change.resource(old.physical_id if old else "", {})
        if old is not None:
            driver.attempting(change.logical_id, change.properties)
        kind = "Update" if old else "Create"
        return self._send(
            driver, change.stack, resource, kind, change.properties, old.properties if old else None, record=True
        )

    def delete(self, driver: Driver, stack: Stack, resource: Resource) -> Result:
        return self._answered(driver, stack, resource, "Delete", resource.properties, None)

    def revert(self, driver: Driver, stack: Stack, current: Resource, old: Resource) -> Result:
        # An Update carrying the current physical id: the same one when it was updated in place, the new one when it
        # was replaced.
        target = replace(old, physical_id=current.physical_id)
        return self._answered(driver, stack, target, "Update", old.properties, current.properties)

    def _answered(
        self,
        driver: Driver,
        stack: Stack,
        resource: Resource,
        kind: str,
        props: dict[str, Any],
        old_props: dict[str, Any] | None,
    ) -> Result:
        """Send the event and wait for its answer (or the timeout) on the virtual clock."""
        pending = self._send(driver, stack, resource, kind, props, old_props, record=False)
        if isinstance(pending, Result):
            return pending
        while True:
            result = pending.poll()
            if result is None and driver.clock.now() >= pending.deadline:
                result = pending.on_timeout()
            if result is not None:
                return result
            driver.advance(pending.deadline)

    def _send(
        self,
        driver: Driver,
        stack: Stack,
        resource: Resource,
        kind: str,
        props: dict[str, Any],
        old_props: dict[str, Any] | None,
        *,
        record: bool,
    ) -> Pending | Result:
        """Send a custom resource event; its answer is awaited for ServiceTimeout, at most 3600 s. With `record`,
        the stack records what the answer names."""
        request_id = str(uuid.uuid4())
        token = str(props["ServiceToken"])
        event: dict[str, Any] = {
            "RequestType": kind,
            "ServiceToken": token,
            "ResponseURL": driver.inbox.response_url(request_id),
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
        if token not in driver.hosts:
            return Result(False, f"ServiceToken {token} is not a function of this account and Region")
        driver.requests.append(copy.deepcopy(event))
        driver.invoke_async(token, event)
        if (resource.logical_id, kind) in driver.faults.duplicate:
            driver.invoke_async(token, event)

        def poll() -> Result | None:
            raw = driver.inbox.take_response(request_id)
            if raw is None:
                return None
            result = _judge_response(raw, request_id)
            # A failed Create still has the physical id its response named: the rollback Delete gets it.
            if record and (result.ok or (kind == "Create" and result.physical_id)):
                attributes = result.attributes if result.ok else {}
                driver.record(stack, replace(resource, physical_id=result.physical_id, attributes=attributes))
            return result

        def timed_out() -> Result:
            if record and kind == "Create":
                made_up = driver.generated_name(stack, resource.logical_id)
                driver.record(stack, replace(resource, physical_id=made_up, properties=props, attributes={}))
            return Result(
                False,
                "CloudFormation did not receive a response from your Custom Resource. "
                f"Please check your logs for requestId [{request_id}].",
            )

        return Pending(driver.clock.now() + service_timeout, poll, timed_out)


class UntypedCustomResource(CustomResource):
    """AWS::CloudFormation::CustomResource, the type of a custom resource not given one: its Create and Update are
    sent, but not its Delete nor a rollback's Update, as the driver did before its kinds were split out of the
    engine. This project's custom resources are all Custom::<name>."""

    types = ("AWS::CloudFormation::CustomResource",)
    reverts_replacement = False

    def delete(self, driver: Driver, stack: Stack, resource: Resource) -> Result:
        return Result(True)

    def revert(self, driver: Driver, stack: Stack, current: Resource, old: Resource) -> Result:
        return Result(True)


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
