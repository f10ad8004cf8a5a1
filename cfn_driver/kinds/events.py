"""EventBridge: AWS::Events::Rule, AWS::Events::EventBus and AWS::Events::EventBusPolicy, made for real in the
emulator's EventBridge.

Sources: "AWS::Events::Rule" (resource reference): its properties, Ref (the name) and Fn::GetAtt Arn, which
properties replace the resource, and that a custom name forbids a replacement ("Name type").
"AWS::Events::EventBus" and "AWS::Events::EventBusPolicy" (resource reference): a custom bus by Name, with its Policy;
one statement of a bus's policy by EventBusName and StatementId; and rules on the bus EventBusName names.
A rollback puts each one's previous properties back the same way (`PutBack`).
"""

from __future__ import annotations

import json
from typing import Any

from aws_emulator.service import ServiceError
from cfn_driver.kinds.base import (
    Change,
    Driver,
    PutBack,
    custom_name_replacement,
    required,
    service_reason,
    unmodelled,
)
from cfn_driver.model import Resource, Result, Stack

RULE = "AWS::Events::Rule"
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


class Rule(PutBack):
    """A rule on the bus EventBusName names (by name or ARN; the default bus without it): PutRule, then its targets
    (PutTargets, and RemoveTargets for those an update drops). A schedule rule fires on the virtual clock; a rule with
    an EventPattern (an object in the template, JSON text to the API) gets the events put on its bus that match it.
    Its targets may be functions (the driver invokes those it hosts) or anything else, an SNS topic say, whose
    deliveries the emulator records (`LocalCloud.events.deliveries`).

    Template reference: Name and EventBusName require replacement (a new rule, the old one deleted after the update);
    without Name, CloudFormation generates one; everything else updates in place; State defaults to ENABLED
    (API_PutRule). Ref is the rule name, Fn::GetAtt Arn its ARN.
    """

    types = (RULE,)

    def put(self, driver: Driver, change: Change) -> Result:
        props, old = change.properties, change.old
        refused = unmodelled(RULE, props, RULE_PROPERTIES)
        if refused is not None:
            return refused
        targets = [dict(t) for t in props.get("Targets", [])]
        for target in targets:
            refused = unmodelled(RULE, target, TARGET_PROPERTIES, "Target properties")
            if refused is not None:
                return refused
        in_place = old is not None and all(old.properties.get(k) == props.get(k) for k in ("Name", "EventBusName"))
        if old is not None and in_place:
            name = old.physical_id
        else:
            name = str(props.get("Name") or driver.short_name(change.stack, change.logical_id, 64))
        if old is not None and not in_place and props.get("Name") and name == old.physical_id:
            return Result(False, custom_name_replacement(name))
        bus = {"EventBusName": props["EventBusName"]} if props.get("EventBusName") else {}
        request: dict[str, Any] = {"Name": name, "State": props.get("State", "ENABLED"), **bus}
        for key in ("ScheduleExpression", "Description", "RoleArn", "Tags"):
            if key in props:
                request[key] = props[key]
        if "EventPattern" in props:
            pattern = props["EventPattern"]
            request["EventPattern"] = pattern if isinstance(pattern, str) else json.dumps(pattern)
        try:
            arn = driver.aws("events", "PutRule", request)["RuleArn"]
            driver.record(change.stack, change.resource(name, {"Arn": arn}))
            kept = {t["Id"] for t in targets}
            had = {t["Id"] for t in old.properties.get("Targets", [])} if old is not None and in_place else set()
            dropped = sorted(had - kept)
            if dropped:
                removed = driver.aws("events", "RemoveTargets", {"Rule": name, "Ids": dropped, **bus})
                _all_entries(removed, "RemoveTargets")
            if targets:
                put = driver.aws("events", "PutTargets", {"Rule": name, "Targets": targets, **bus})
                _all_entries(put, "PutTargets")
        except ServiceError as error:
            return Result(False, service_reason(error))
        except ValueError as error:
            return Result(False, str(error))
        return Result(True, physical_id=name)

    def delete(self, driver: Driver, stack: Stack, resource: Resource) -> Result:
        """RemoveTargets of every target the rule has (API_DeleteRule: "you must remove all targets"), then
        DeleteRule, on the rule's bus; a rule already gone (or its bus) is deleted."""
        name, event_bus = resource.physical_id, resource.properties.get("EventBusName")
        bus = {"EventBusName": event_bus} if event_bus else {}
        try:
            ids: list[str] = []
            token: str | None = None
            while True:
                page = driver.aws(
                    "events", "ListTargetsByRule", {"Rule": name, **bus, **({"NextToken": token} if token else {})}
                )
                ids += [t["Id"] for t in page.get("Targets", [])]
                token = page.get("NextToken")
                if not token:
                    break
            for start in range(0, len(ids), 100):  # API_RemoveTargets: at most 100 ids a call
                _all_entries(
                    driver.aws("events", "RemoveTargets", {"Rule": name, "Ids": ids[start : start + 100], **bus}),
                    "RemoveTargets",
                )
            driver.aws("events", "DeleteRule", {"Name": name, **bus})
        except ServiceError as error:
            if error.code == "ResourceNotFoundException":
                return Result(True)
            return Result(False, service_reason(error))
        except ValueError as error:
            return Result(False, str(error))
        return Result(True)


class EventBus(PutBack):
    """CreateEventBus, then PutPermission with its Policy (the resource handler's create asks for both:
    aws-cloudformation-resource-providers-events, aws-events-eventbus.json); in place, Policy is put again, or removed
    (RemovePermission, RemoveAllPermissions) when the template drops it, and Tags are recorded only (TagResource is
    not emulated). A new Name makes a new bus, the old one deleted after the update; a new Description is not
    modelled (UpdateEventBus). Ref is the name, Fn::GetAtt Arn, Name and Policy."""

    types = (BUS,)

    def put(self, driver: Driver, change: Change) -> Result:
        props, old = change.properties, change.old
        refused = unmodelled(BUS, props, BUS_PROPERTIES)
        if refused is not None:
            return refused
        name = str(props.get("Name") or "")
        if not name:
            return required(change.logical_id, "Name")
        policy = props.get("Policy")
        text = None if policy is None else policy if isinstance(policy, str) else json.dumps(policy)
        in_place = old is not None and old.physical_id == name
        try:
            if not in_place:
                request: dict[str, Any] = {"Name": name}
                for key in ("Description", "Tags"):
                    if key in props:
                        request[key] = props[key]
                arn = driver.aws("events", "CreateEventBus", request)["EventBusArn"]
                # Recorded at once, so a rollback deletes the bus even if its policy is refused.
                driver.record(change.stack, change.resource(name, {"Arn": arn, "Name": name}))
            else:
                assert old is not None
                if props.get("Description") != old.properties.get("Description"):
                    return Result(False, f"the lifecycle driver does not model changing {BUS} Description")
                arn = str(old.attributes["Arn"])
            if text is not None:
                driver.aws("events", "PutPermission", {"EventBusName": name, "Policy": text})
            elif in_place and old is not None and old.properties.get("Policy") is not None:
                driver.aws("events", "RemovePermission", {"EventBusName": name, "RemoveAllPermissions": True})
        except ServiceError as error:
            return Result(False, service_reason(error))
        attributes = {"Arn": arn, "Name": name, **({"Policy": text} if text is not None else {})}
        driver.record(change.stack, change.resource(name, attributes))
        return Result(True, physical_id=name)

    def delete(self, driver: Driver, stack: Stack, resource: Resource) -> Result:
        try:
            driver.aws("events", "DeleteEventBus", {"Name": resource.physical_id})
        except ServiceError as error:
            return Result(False, service_reason(error))
        return Result(True)


class EventBusPolicy(PutBack):
    """One statement of a bus's policy. With Statement, the bus's policy is read (DescribeEventBus) and put back whole
    (PutPermission with Policy) with the statement added, its Sid the StatementId; with the deprecated Action,
    Principal and Condition, PutPermission takes them as they are. How the resource handler merges the statement is
    undocumented; this is the reading under which every other statement of the bus stays. A StatementId the bus's
    policy already holds fails the create (undocumented: the template reference says only that each "must be
    unique"). Ref is EventBusName|StatementId (undocumented)."""

    types = (BUS_POLICY,)

    def put(self, driver: Driver, change: Change) -> Result:
        props, old = change.properties, change.old
        refused = unmodelled(BUS_POLICY, props, BUS_POLICY_PROPERTIES)
        if refused is not None:
            return refused
        sid = str(props.get("StatementId") or "")
        if not sid:
            return required(change.logical_id, "StatementId")
        if ("Statement" in props) == any(k in props for k in ("Action", "Principal", "Condition")):
            return Result(False, "Give either Statement, or Action and Principal (and Condition)")
        bus = str(props.get("EventBusName") or "default")
        physical = f"{bus}|{sid}"
        in_place = old is not None and old.physical_id == physical
        try:
            statements = _bus_statements(driver, bus)
            if not in_place and any(s.get("Sid") == sid for s in statements):
                return Result(False, f"Statement {sid} already exists on event bus {bus}")
            if "Statement" in props:
                statement = {**dict(props["Statement"]), "Sid": sid}
                kept = [s for s in statements if s.get("Sid") != sid]
                document = {"Version": "2012-10-17", "Statement": [*kept, statement]}
                driver.aws("events", "PutPermission", {"EventBusName": bus, "Policy": json.dumps(document)})
            else:
                request: dict[str, Any] = {k: props[k] for k in ("Action", "Principal", "Condition") if k in props}
                driver.aws("events", "PutPermission", {"EventBusName": bus, "StatementId": sid, **request})
        except ServiceError as error:
            return Result(False, service_reason(error))
        driver.record(change.stack, change.resource(physical, {}))
        return Result(True, physical_id=physical)

    def delete(self, driver: Driver, stack: Stack, resource: Resource) -> Result:
        """RemovePermission of the statement; one already gone, or its bus, is deleted."""
        props = resource.properties
        bus = str(props.get("EventBusName") or "default")
        try:
            driver.aws("events", "RemovePermission", {"EventBusName": bus, "StatementId": str(props["StatementId"])})
        except ServiceError as error:
            if error.code != "ResourceNotFoundException":
                return Result(False, service_reason(error))
        return Result(True)


def _bus_statements(driver: Driver, bus: str) -> list[dict[str, Any]]:
    policy = driver.aws("events", "DescribeEventBus", {"Name": bus}).get("Policy")
    if policy is None:
        return []
    raw = json.loads(policy).get("Statement", [])
    return [raw] if isinstance(raw, dict) else list(raw)


def _all_entries(answer: dict[str, Any], operation: str) -> None:
    """PutTargets and RemoveTargets report an entry they could not handle in the answer, not as an error."""
    if answer.get("FailedEntryCount"):
        raise ValueError(f"{operation} failed for {answer.get('FailedEntries')}")
