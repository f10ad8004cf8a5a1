"""AWS::DynamoDB::Table, made for real in the emulator's DynamoDB.

Source: "AWS::DynamoDB::Table" (resource reference): its properties, Ref (the name) and Fn::GetAtt Arn, which
properties replace the resource, and that a custom name forbids a replacement ("Name type").
"""

from __future__ import annotations

import json
from typing import Any

from aws_emulator.service import ServiceError
from cfn_driver.kinds.base import Change, Driver, Provisioner, custom_name_replacement, service_reason, unmodelled
from cfn_driver.model import Pending, Resource, Result, Stack

TABLE = "AWS::DynamoDB::Table"
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


class Table(Provisioner):
    """CreateTable, then wait for ACTIVE (and UpdateTimeToLive); an update in place or a replacement.

    Template reference: TableName and KeySchema require replacement, and so does changing the type of a key attribute
    (AttributeDefinitions); "If you specify a name, you cannot perform updates that require replacement of this
    resource." BillingMode, ProvisionedThroughput, TimeToLiveSpecification and ResourcePolicy update in place. Ref is
    the table name, Fn::GetAtt Arn its ARN. A ResourcePolicy's PolicyDocument goes to CreateTable as JSON text
    ("CloudFormation converts YAML to JSON before submitting it to DynamoDB",
    aws-properties-dynamodb-table-resourcepolicy.html; how it lays the text out, which counts against the 20 KB, is
    undocumented: json.dumps's spacing here). A rollback puts the previous properties back in place.
    """

    types = (TABLE,)

    def provision(self, driver: Driver, change: Change) -> Result | Pending:
        stack, lid, props, old = change.stack, change.logical_id, change.properties, change.old
        refused = unmodelled(TABLE, props, TABLE_PROPERTIES | TABLE_IGNORED)
        if refused is not None:
            return refused
        try:
            policy = _table_policy(props)
        except ValueError as error:
            return Result(False, str(error))
        if old is not None and not _table_replaced(old.properties, props):
            driver.attempting(lid, props)
            return self._in_place(driver, change, old)
        if old is not None and props.get("TableName") and props.get("TableName") == old.physical_id:
            return Result(False, custom_name_replacement(str(props["TableName"])))
        name = str(props.get("TableName") or driver.short_name(stack, lid, 255))
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
            arn = driver.aws("dynamodb", "CreateTable", request)["TableDescription"]["TableArn"]
        except ServiceError as error:
            return Result(False, service_reason(error))
        # Recorded at once, so a rollback deletes the table even if it never got ACTIVE.
        driver.record(stack, change.resource(name, {"Arn": arn}))
        deadline = driver.clock.now() + TABLE_WAIT_SECONDS

        def poll() -> Result | None:
            try:
                status = driver.aws("dynamodb", "DescribeTable", {"TableName": name})["Table"]["TableStatus"]
            except ServiceError as error:
                return Result(False, service_reason(error))
            if status != "ACTIVE":
                driver.schedule(min(driver.clock.now() + TABLE_POLL_SECONDS, deadline), lambda: None)
                return None
            ttl = _ttl(props)
            if ttl is not None and ttl["Enabled"]:
                try:
                    driver.aws("dynamodb", "UpdateTimeToLive", {"TableName": name, "TimeToLiveSpecification": ttl})
                except ServiceError as error:
                    return Result(False, service_reason(error))
            return Result(True, physical_id=name)

        return Pending(deadline, poll, lambda: Result(False, f"Table {name} did not become ACTIVE"))

    def revert(self, driver: Driver, stack: Stack, current: Resource, old: Resource) -> Result:
        return self._in_place(driver, Change.back(stack, current, old), current)

    def delete(self, driver: Driver, stack: Stack, resource: Resource) -> Result:
        """DeleteTable, then wait until it is gone; a table already gone is deleted (what CloudFormation does
        then is undocumented). A table still CREATING is waited for first."""
        name = resource.physical_id
        deadline = driver.clock.now() + TABLE_WAIT_SECONDS
        deleting = False
        while True:
            try:
                if not deleting:
                    driver.aws("dynamodb", "DeleteTable", {"TableName": name})
                    deleting = True
                driver.aws("dynamodb", "DescribeTable", {"TableName": name})
            except ServiceError as error:
                if error.code == "ResourceNotFoundException":
                    return Result(True)
                if error.code != "ResourceInUseException":
                    return Result(False, service_reason(error))
            if driver.clock.now() >= deadline:
                return Result(False, f"Table {name} was not deleted within {TABLE_WAIT_SECONDS} seconds")
            driver.advance(min(driver.clock.now() + TABLE_POLL_SECONDS, deadline))

    def _in_place(self, driver: Driver, change: Change, old: Resource) -> Result:
        props = change.properties
        name = old.physical_id
        for key in ("BillingMode", "ProvisionedThroughput"):
            if props.get(key) != old.properties.get(key):
                return Result(False, f"the lifecycle driver does not model changing {TABLE} {key} (UpdateTable)")
        try:
            policy = _table_policy(props)
        except ValueError as error:
            return Result(False, str(error))
        if policy != _table_policy(old.properties):
            failed = self._policy_in_place(driver, str(old.attributes["Arn"]), policy)
            if failed is not None:
                return failed
        # A TimeToLiveSpecification taken out of the template switches TTL off (undocumented).
        wanted = _ttl(props) or ({"Enabled": False} if _ttl(old.properties) else None)
        if wanted is not None:
            # Reconciled with what the table has, not with the old template: a rollback after a failed change
            # asks for the state the table never left (how CloudFormation's handler decides is undocumented).
            try:
                now = driver.aws("dynamodb", "DescribeTimeToLive", {"TableName": name})["TimeToLiveDescription"]
            except ServiceError as error:
                return Result(False, service_reason(error))
            enabled = now["TimeToLiveStatus"] in ("ENABLED", "ENABLING")
            attribute = wanted.get("AttributeName") or now.get("AttributeName", "")
            if enabled != wanted["Enabled"] or (enabled and attribute != now.get("AttributeName")):
                # The template reference: AttributeName "is required when enabling the TTL, or when TTL is
                # already enabled"; disabling takes the attribute the table has.
                spec = {"AttributeName": attribute, "Enabled": wanted["Enabled"]}
                try:
                    driver.aws("dynamodb", "UpdateTimeToLive", {"TableName": name, "TimeToLiveSpecification": spec})
                except ServiceError as error:
                    return Result(False, service_reason(error))
        driver.record(change.stack, change.resource(name, dict(old.attributes)))
        return Result(True, physical_id=name)

    def _policy_in_place(self, driver: Driver, arn: str, policy: str | None) -> Result | None:
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
        deadline = driver.clock.now() + TABLE_WAIT_SECONDS
        while True:
            try:
                driver.aws("dynamodb", operation, request)
                return None
            except ServiceError as error:
                if error.code != "ResourceInUseException" or driver.clock.now() >= deadline:
                    return Result(False, service_reason(error))
            driver.advance(min(driver.clock.now() + TABLE_POLL_SECONDS, deadline))


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
