"""The one Lambda function per stack that serves every image and bundle resource in it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

import jsii
from aws_cdk import (
    Acknowledgment,
    CfnResource,
    CustomResource,
    Duration,
    IStableListProducer,
    Lazy,
    RemovalPolicy,
    Stack,
    Token,
    Validations,
)
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk_workspaces_image_handler import contract

from ._bundling import handler_code

PROVIDER_ID = "CdkWorkspacesImageProvider"

# The newest Python runtime this aws-cdk-lib knows: cdk-nag's AwsSolutions-L1 accepts only the latest.
RUNTIME = lambda_.Runtime.PYTHON_3_14

LOG_RETENTION = logs.RetentionDays.ONE_YEAR


@jsii.implements(IStableListProducer)
class _TagKeys:
    """Renders the CreateTags allow-list only at synth, after every image of the stack has registered."""

    def __init__(self, owner_key: str) -> None:
        self._owner_key = owner_key
        self.keys: set[str] = set()

    def produce(self) -> list[str]:
        return [self._owner_key, *sorted(self.keys - {self._owner_key})]


class WorkspacesImageProvider(Construct):
    """Function, role, log group and EventBridge invoke permission shared by a stack's images and bundles.

    Use :meth:`get_or_create`; a second instance in the same stack would duplicate the function.
    """

    @staticmethod
    def get_or_create(scope: Construct) -> WorkspacesImageProvider:
        stack = Stack.of(scope)
        existing = stack.node.try_find_child(PROVIDER_ID)
        if existing is None:
            return WorkspacesImageProvider(stack, PROVIDER_ID)
        if not isinstance(existing, WorkspacesImageProvider):
            raise TypeError(f"{existing.node.path} is not a cdk-workspaces-image provider; pick another construct id")
        return existing

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)

        # The handler names its watch rules with this prefix; IAM and the invoke permission are scoped to it.
        self.rule_prefix = f"cdkwsi-{_stack_key(stack)}-"
        rule_arns = stack.format_arn(service="events", resource="rule", resource_name=f"{self.rule_prefix}*")
        self._image_arns = image_arns = self._workspaces_arns("workspaceimage", "*")
        self._tag_keys = _TagKeys(contract.OWNER_TAG_KEY)
        # Bundle permissions exist only in stacks with bundles (allow_bundles, allow_repoint).
        self._bundles_allowed = False
        self._repoint: iam.PolicyStatement | None = None

        self.log_group = logs.LogGroup(self, "LogGroup", retention=LOG_RETENTION)

        # No managed policy (AWSLambdaBasicExecutionRole would grant logs on every log group).
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="cdk-workspaces-image: creates, tags, watches and deletes WorkSpaces images and bundles",
        )
        statements = [
            iam.PolicyStatement(
                sid="Logs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            ),
            iam.PolicyStatement(
                sid="Images",
                actions=["workspaces:CreateUpdatedWorkspaceImage", "workspaces:DeleteWorkspaceImage"],
                resources=[image_arns],
            ),
            iam.PolicyStatement(
                sid="Describe",
                actions=[
                    "workspaces:DescribeTags",
                    "workspaces:DescribeWorkspaceBundles",
                    "workspaces:DescribeWorkspaceImagePermissions",
                    "workspaces:DescribeWorkspaceImages",
                ],
                resources=["*"],
            ),
            iam.PolicyStatement(
                sid="CreateTags",
                actions=["workspaces:CreateTags"],
                resources=["*"],
                conditions={
                    "ForAllValues:StringEquals": {"aws:TagKeys": Lazy.list(self._tag_keys)},
                },
            ),
            iam.PolicyStatement(
                sid="DeleteTags",
                actions=["workspaces:DeleteTags"],
                resources=["*"],
                # A tag dropped from the template is absent from it, so only the ownership tag can be protected.
                conditions={
                    "ForAllValues:StringNotEquals": {"aws:TagKeys": [contract.OWNER_TAG_KEY]},
                },
            ),
            iam.PolicyStatement(
                sid="WatchRules",
                actions=["events:PutRule", "events:PutTargets", "events:RemoveTargets", "events:DeleteRule"],
                resources=[rule_arns],
            ),
        ]
        for statement in statements:
            self.role.add_to_policy(statement)

        self.function = lambda_.Function(
            self,
            "Handler",
            description="cdk-workspaces-image: provider of WorkSpaces image and bundle custom resources",
            runtime=RUNTIME,
            handler="index.handler",
            code=handler_code(RUNTIME),
            memory_size=128,
            timeout=Duration.minutes(5),
            role=self.role,
            log_group=self.log_group,
            environment={
                contract.ENV_RULE_PREFIX: self.rule_prefix,
                contract.ENV_POLL_MINUTES: str(contract.POLL_MINUTES),
                # Anyone allowed to invoke the function can send it a request naming another stack.
                contract.ENV_STACK_ID: stack.stack_id,
            },
        )
        # The function must not run before its policy exists. CDK also makes it depend on the role, which its
        # GetAtt already does; cfn-lint flags that (W3005), so keep only the policy.
        policy = self.role.node.find_child("DefaultPolicy").node.default_child
        assert isinstance(policy, CfnResource)
        cfn_function = self.function.node.default_child
        assert isinstance(cfn_function, CfnResource)
        cfn_function.add_override("DependsOn", [stack.get_logical_id(policy)])

        # The template grants the invoke once, so the handler never needs lambda:AddPermission.
        self.function.add_permission(
            "WatchRulesInvoke",
            principal=iam.ServicePrincipal("events.amazonaws.com"),
            action="lambda:InvokeFunction",
            source_arn=rule_arns,
            source_account=stack.account,
        )

        self._acknowledge_wildcards(
            {
                "*": (
                    "workspaces:DescribeWorkspaceImages, DescribeTags, DescribeWorkspaceBundles, "
                    "DescribeWorkspaceImagePermissions, CreateTags and DeleteTags support no resource-level "
                    "permissions (Service Authorization Reference); the tag actions are limited by aws:TagKeys"
                ),
                image_arns: (
                    "The id of an updated image is chosen by WorkSpaces when it is created, so it cannot be named "
                    "in advance; scoped to workspaceimage ARNs of this account and Region"
                ),
                rule_arns: (
                    "The handler creates one EventBridge watch rule per image or bundle, named after the stack and "
                    "logical id; scoped to this stack's rule name prefix"
                ),
            }
        )

    @property
    def service_token(self) -> str:
        return self.function.function_arn

    def serve(
        self, scope: Construct, resource_type: str, properties: Mapping[str, Any], removal_policy: RemovalPolicy
    ) -> CustomResource:
        """The custom resource `Resource` under `scope`, served by this function.

        ServiceTimeout is the hour a custom resource may take: the handler answers within it, from a watch
        when what it waits for is not AVAILABLE yet.
        """
        return CustomResource(
            scope,
            "Resource",
            service_token=self.service_token,
            resource_type=resource_type,
            properties=dict(properties),
            service_timeout=Duration.seconds(contract.SERVICE_TIMEOUT_SECONDS),
            removal_policy=removal_policy,
        )

    def register_tag_keys(self, keys: Iterable[str]) -> None:
        """Allows the handler to set these tag keys (CreateTags), in addition to the ownership key."""
        self._tag_keys.keys.update(keys)

    def allow_bundles(self) -> None:
        """Lets the handler create, re-point and delete the bundles it makes (a stack with a WorkspaceBundle)."""
        if self._bundles_allowed:
            return
        self._bundles_allowed = True
        bundle_arns = self._workspaces_arns("workspacebundle", "*")
        # Service Authorization Reference: Create/UpdateWorkspaceBundle act on a workspacebundle and the
        # workspaceimage it uses; DeleteWorkspaceBundle on the workspacebundle alone.
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="Bundles",
                actions=["workspaces:CreateWorkspaceBundle", "workspaces:UpdateWorkspaceBundle"],
                resources=[bundle_arns, self._image_arns],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="DeleteBundles", actions=["workspaces:DeleteWorkspaceBundle"], resources=[bundle_arns]
            )
        )
        self._acknowledge_wildcards(
            {
                bundle_arns: (
                    "The id of a new bundle is chosen by WorkSpaces when it is created, so it cannot be named in "
                    "advance; scoped to workspacebundle ARNs of this account and Region"
                )
            }
        )

    def allow_repoint(self, bundle_id: str) -> None:
        """Lets the handler point one bundle the stack does not manage at images (apply_to_bundle): no delete.

        It also tags that bundle with the marker a retried request reads (contract.APPLIED_TAG_KEY).
        """
        self.register_tag_keys([contract.APPLIED_TAG_KEY])
        bundle_arn = self._workspaces_arns("workspacebundle", bundle_id)
        if self._repoint is None:
            self._repoint = iam.PolicyStatement(
                sid="RepointBundles", actions=["workspaces:UpdateWorkspaceBundle"], resources=[self._image_arns]
            )
            self.role.add_to_policy(self._repoint)
        self._repoint.add_resources(bundle_arn)

    def _workspaces_arns(self, resource: str, name: str) -> str:
        return Stack.of(self).format_arn(service="workspaces", resource=resource, resource_name=name)

    def _acknowledge_wildcards(self, reasons: Mapping[str, str]) -> None:
        """cdk-nag AwsSolutions-IAM5 findings that are inherent, each with its reason."""
        stack = Stack.of(self)
        Validations.of(self.role).acknowledge(
            *(
                Acknowledgment(id=f"AwsSolutions-IAM5[Resource::{_nag_resource(stack, resource)}]", reason=reason)
                for resource, reason in reasons.items()
            )
        )


def _nag_resource(stack: Stack, value: str) -> str:
    """How cdk-nag spells a resource in a finding id: pseudo parameters as <AWS::Name>."""
    resolved = stack.resolve(value)
    if isinstance(resolved, str):
        return resolved
    parts = resolved["Fn::Join"][1]
    return "".join(part if isinstance(part, str) else f"<{part['Ref']}>" for part in parts)


def _stack_key(stack: Stack) -> str:
    """8 hex that tell this stack's watch rules from any other stack's in the account and Region.

    Two stacks deployed there have different names, while their construct paths may be the same (the same
    app deployed as dev-golden and prod-golden); a nested stack's name is known only at deploy time, and
    its construct path tells it apart instead.
    """
    name = stack.stack_name
    identity = stack.node.addr if Token.is_unresolved(name) else f"{name}|{stack.node.addr}"
    return hashlib.sha256(identity.encode()).hexdigest()[:8]
