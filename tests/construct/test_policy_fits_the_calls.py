"""The provider's policy grants every AWS call the handler makes, and nothing it never makes; likewise the update
monitor's policy and the calls of its module.

Adding a WorkSpaces, EventBridge or DynamoDB call without its IAM statement would otherwise show first in a
user's account, as AccessDenied hours into a deploy. The calls are read from the handler's source (every
operation named on ``self.client``, ``self.events``, ``self.dynamodb`` or ``self.codepipeline``, and every paginator)
and named as IAM names them, through botocore's service models. The monitor's module (contract.MONITOR_HANDLER) runs
in its own function with its own role, so its calls are checked against that role, and the rest against the
provider's.
"""

from __future__ import annotations

import ast
import fnmatch
import functools
from pathlib import Path

import aws_cdk as cdk
import botocore.session
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk.assertions import Template
from botocore import xform_name
from support.construct import NO_BUNDLING, PROPS, actions, every_resource_type, new_stack, statements

from cdk_workspaces_image import UpdatedWorkspaceImage, WorkspaceImageUpdateMonitor, _bundling

HANDLER = Path(__file__).resolve().parents[2] / "lambda" / "cdk_workspaces_image_handler"
# Which attribute of the handler's objects holds which service's client.
CLIENTS = {
    "client": "workspaces",
    "events": "events",
    "dynamodb": "dynamodb",
    "codepipeline": "codepipeline",
    "ssm": "ssm",
    "cloudformation": "cloudformation",
}
MONITOR = HANDLER / f"{_bundling.MONITOR_MODULE}.py"
# What the monitor does, as issue 11 describes it: describe the images, put its events, start the pipeline, and
# ask for the next generation in its parameter.
MONITOR_CALLS = {
    "workspaces:DescribeWorkspaceImages",
    "events:PutEvents",
    "codepipeline:StartPipelineExecution",
    "ssm:GetParameter",
    "ssm:PutParameter",
}


@functools.cache
def operations(service: str) -> dict[str, str]:
    """The service's operations by their names in Python: botocore's model, read once (not once a call)."""
    model = botocore.session.get_session().get_service_model(service)
    return {xform_name(name): name for name in model.operation_names}


def iam_name(service: str, snake: str) -> str:
    return f"{service}:{operations(service)[snake]}"


def handler_calls(paths: list[Path] | None = None) -> set[str]:
    """`service:Operation` for every operation of a client attribute the modules name (by default the provider's:
    every module but the monitor's): called, or passed on to be called (``self._call("PutItem",
    self.dynamodb.put_item, ...)``), or paginated."""
    found: set[str] = set()
    for path in paths if paths is not None else [p for p in HANDLER.glob("*.py") if p != MONITOR]:
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


def granted(stack: cdk.Stack | None = None) -> set[str]:
    """Every action on a service the handler calls, of the policies of `stack`: by default the provider's, in a
    stack with every resource type, copies included."""
    stack = stack or every_resource_type(cdk.App(context=NO_BUNDLING), copies=True)
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
    assert missing == [], "add these actions to the provider's policy (the ResourceKind of the type's module)"


def test_nothing_is_granted_that_the_handler_never_calls() -> None:
    calls = handler_calls()
    unused = sorted(action for action in granted() if not any(fnmatch.fnmatchcase(c, action) for c in calls))
    assert unused == [], "remove these actions from the provider's policy (a ResourceKind, or _provider.py)"


def monitor_granted() -> set[str]:
    """The actions of the monitor's policy with a pipeline and a generation parameter (its own policy only: the
    stack holds the image's provider too)."""
    stack = new_stack()
    pipeline = codepipeline.Pipeline.from_pipeline_arn(stack, "Pipeline", "arn:aws:codepipeline:eu-west-1:1:golden")
    image = UpdatedWorkspaceImage(stack, "Golden", **{**PROPS, "image_name": "golden-{generation}", "generation": 1})
    WorkspaceImageUpdateMonitor(stack, "Monitor", images=[image], pipeline=pipeline, generation_parameter="/g/n")
    policies = Template.from_stack(stack).find_resources("AWS::IAM::Policy")
    return {
        action
        for logical_id, policy in policies.items()
        if logical_id.startswith("Monitor")
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        for action in actions(statement)
        if action.split(":")[0] in CLIENTS.values()
    }


def test_the_monitor_is_granted_what_it_does_and_nothing_else() -> None:
    assert monitor_granted() == MONITOR_CALLS


def test_every_call_of_the_monitors_module_is_granted_to_the_monitor() -> None:
    """The monitor's own calls, and the bus's it puts its events through; its one WorkSpaces call goes through
    WorkSpaces.describe_images (DescribeWorkspaceImages), the only method of it the monitor's module names."""
    calls = handler_calls([MONITOR, HANDLER / "bus.py"])
    names = {node.attr for node in ast.walk(ast.parse(MONITOR.read_text())) if isinstance(node, ast.Attribute)}
    assert "describe_images" in names
    assert not names & {"create_updated_image", "delete_image", "update_bundle", "set_tags", "delete_tags"}
    assert calls | {"workspaces:DescribeWorkspaceImages"} == monitor_granted()
