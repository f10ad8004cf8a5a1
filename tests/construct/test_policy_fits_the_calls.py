"""The provider's policy grants every AWS call the handler makes, and nothing it never makes.

Adding a WorkSpaces, EventBridge or DynamoDB call without its IAM statement would otherwise show first in a
user's account, as AccessDenied hours into a deploy. The calls are read from the handler's source (every
operation named on ``self.client``, ``self.events`` or ``self.dynamodb``, and every paginator) and named as IAM
names them, through botocore's service models.
"""

from __future__ import annotations

import ast
import fnmatch
from pathlib import Path

import aws_cdk as cdk
import botocore.session
from aws_cdk.assertions import Template
from botocore import xform_name
from support.construct import NO_BUNDLING, actions, every_resource_type, statements

HANDLER = Path(__file__).resolve().parents[2] / "lambda" / "cdk_workspaces_image_handler"
# Which attribute of the handler's objects holds which service's client.
CLIENTS = {"client": "workspaces", "events": "events", "dynamodb": "dynamodb"}
# Granted ahead of the calls: issue 11's contract says every provider puts events (contract.EVENT_SOURCE), and the
# construct side lands before the runtime that makes the call. Once the handler calls it, this changes nothing.
PROMISED = {"events:PutEvents"}


def iam_name(service: str, snake: str) -> str:
    model = botocore.session.get_session().get_service_model(service)
    operations = {xform_name(name): name for name in model.operation_names}
    return f"{service}:{operations[snake]}"


def handler_calls() -> set[str]:
    """`service:Operation` for every operation of a client attribute the handler package names: called, or
    passed on to be called (``self._call("PutItem", self.dynamodb.put_item, ...)``), or paginated."""
    found: set[str] = set()
    for path in HANDLER.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Attribute):
                continue
            owner = node.value
            if not (isinstance(owner, ast.Attribute) and owner.attr in CLIENTS):
                continue
            if node.attr in ("get_paginator", "exceptions", "meta"):
                continue
            found.add(iam_name(CLIENTS[owner.attr], node.attr))
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "get_paginator"
            ):
                owner = node.func.value
                assert isinstance(owner, ast.Attribute), ast.dump(node)
                assert owner.attr in CLIENTS, ast.dump(node)
                arg = node.args[0]
                assert isinstance(arg, ast.Constant)
                found.add(iam_name(CLIENTS[owner.attr], str(arg.value)))
    return found


def granted() -> set[str]:
    """Every workspaces, events and dynamodb action of the provider's policy, in a stack with every resource type."""
    stack = every_resource_type(cdk.App(context=NO_BUNDLING))
    return {
        action
        for statement in statements(Template.from_stack(stack))
        for action in actions(statement)
        if action.split(":")[0] in CLIENTS.values()
    }


def test_the_handler_calls_are_read_from_its_source() -> None:
    calls = handler_calls()
    assert {
        "workspaces:CreateUpdatedWorkspaceImage",
        "workspaces:DescribeWorkspaceBundles",
        "events:EnableRule",
        "dynamodb:PutItem",
        "dynamodb:Scan",
    } <= calls


def test_every_call_of_the_handler_is_granted() -> None:
    allowed = granted()
    missing = sorted(call for call in handler_calls() if not any(fnmatch.fnmatchcase(call, a) for a in allowed))
    assert missing == [], "add these actions to the provider's policy (_provider.py)"


def test_nothing_is_granted_that_the_handler_never_calls() -> None:
    calls = handler_calls()
    unused = sorted(action for action in granted() - PROMISED if not any(fnmatch.fnmatchcase(c, action) for c in calls))
    assert unused == [], "remove these actions from the provider's policy (_provider.py)"
