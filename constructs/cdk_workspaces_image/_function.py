"""What the library's Lambda functions share: the provider's and the update monitor's.

Each has its own role (no managed policy: AWSLambdaBasicExecutionRole would grant logs on every log group), its
own log group kept a year, the one handler asset, and may put events only of this library's source on the
account's default bus, or on the ``event_bus`` the constructs name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Optional

from aws_cdk import CfnResource, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk_workspaces_image_handler import contract

from . import _compat
from ._bundling import handler_code

# The newest Python runtime Lambda offers: cdk-nag's AwsSolutions-L1 accepts only the latest.
RUNTIME = _compat.python_runtime()

LOG_RETENTION = logs.RetentionDays.ONE_YEAR


def logged_role(scope: Construct, *, description: str) -> tuple[logs.LogGroup, iam.Role]:
    """The log group ``LogGroup`` and the role ``Role`` under `scope`, the role allowed to write to that log
    group only."""
    log_group = logs.LogGroup(scope, "LogGroup", retention=LOG_RETENTION)
    role = iam.Role(scope, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"), description=description)
    role.add_to_policy(
        iam.PolicyStatement(
            sid="Logs",
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[log_group.log_group_arn],
        )
    )
    return log_group, role


def function(
    scope: Construct,
    construct_id: str,
    *,
    role: iam.Role,
    log_group: logs.ILogGroup,
    description: str,
    handler: str,
    environment: Mapping[str, str],
) -> lambda_.Function:
    """A function of the handler asset, run as `role` (from :func:`logged_role`) and logging to `log_group`."""
    made = _compat.function(
        scope,
        construct_id,
        description=description,
        runtime=RUNTIME,
        handler=handler,
        code=handler_code(RUNTIME),
        memory_size=128,
        timeout=Duration.minutes(5),
        role=role,
        log_group=log_group,
        environment=environment,
    )
    # The function must not run before its policy exists. CDK also makes it depend on the role, which its
    # GetAtt already does; cfn-lint flags that (W3005), so keep only the policy.
    policy = role.node.find_child("DefaultPolicy").node.default_child
    assert isinstance(policy, CfnResource)
    cfn_function = made.node.default_child
    assert isinstance(cfn_function, CfnResource)
    cfn_function.add_override("DependsOn", [Stack.of(scope).get_logical_id(policy)])
    return made


def default_bus_arn(scope: Construct) -> str:
    """The ARN of the account's default bus in the stack's Region."""
    return Stack.of(scope).format_arn(service="events", resource="event-bus", resource_name="default")


def put_events(scope: Construct, bus_arn: Optional[str] = None) -> iam.PolicyStatement:
    """PutEvents on one bus (`bus_arn`, a token is fine; default: the account's default bus), of this library's
    source only.

    PutEvents authorizes the event bus it writes to, and ``events:source`` names the Source of each entry
    (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridge.html,
    https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-conditions.html). A ForAllValues condition
    holds for a request without the key, so Null requires it.
    """
    return iam.PolicyStatement(
        sid="PutEvents",
        actions=["events:PutEvents"],
        resources=[bus_arn or default_bus_arn(scope)],
        conditions={
            "ForAllValues:StringEquals": {contract.EVENT_SOURCE_CONDITION_KEY: [contract.EVENT_SOURCE]},
            "Null": {contract.EVENT_SOURCE_CONDITION_KEY: "false"},
        },
    )


def acknowledge_wildcards(role: iam.Role, reasons: Mapping[str, str]) -> None:
    """cdk-nag AwsSolutions-IAM5 findings of `role` that are inherent, each resource with its reason."""
    stack = Stack.of(role)
    _compat.acknowledge(
        role,
        {
            f"AwsSolutions-IAM5[Resource::{_nag_resource(stack, resource)}]": reason
            for resource, reason in reasons.items()
        },
    )


def _nag_resource(stack: Stack, value: str) -> str:
    """How cdk-nag spells a resource in a finding id: pseudo parameters as <AWS::Name>."""
    resolved = stack.resolve(value)
    if isinstance(resolved, str):
        return resolved
    parts = resolved["Fn::Join"][1]
    return "".join(part if isinstance(part, str) else f"<{part['Ref']}>" for part in parts)
