"""IAM roles and policies, recorded (no API calls): the driver reads them back to give each function its role's
permissions (`role_policies`), which the cloud then enforces."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from cfn_driver.kinds.base import Change, Driver, Provisioner
from cfn_driver.model import Pending, Result, Stack

ROLE = "AWS::IAM::Role"
POLICY = "AWS::IAM::Policy"


class Role(Provisioner):
    """Ref is the role name (RoleName, else generated, at most 64 characters), Fn::GetAtt Arn is
    arn:aws:iam::<account>:role<Path><name> (the template reference; Path defaults to /). A new RoleName or Path
    replaces the role (the same reference)."""

    types = (ROLE,)

    def provision(self, driver: Driver, change: Change) -> Result | Pending:
        props, old = change.properties, change.old
        name = str(props.get("RoleName") or "")
        if not name:
            same = old is not None and not old.properties.get("RoleName")
            name = (
                old.physical_id if old is not None and same else driver.short_name(change.stack, change.logical_id, 64)
            )
        path = str(props.get("Path") or "/")
        arn = f"arn:aws:iam::{driver.account}:role{path}{name}"
        driver.record(change.stack, change.resource(name, {"Arn": arn}))
        return Result(True, physical_id=name)


def role_policies(stacks: Iterable[Stack], role_arn: str) -> list[Mapping[str, Any]]:
    """The identity-based policies a role has now: its inline Policies and every AWS::IAM::Policy whose Roles name it,
    in any of `stacks`. ManagedPolicyArns are not read (the driver knows no managed policy's document), so here they
    grant nothing."""
    resources = [r for stack in stacks for r in list(stack.resources.values())]
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
