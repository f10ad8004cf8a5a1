"""The one Lambda function per stack that serves every image and bundle resource in it.

Like aws-cdk's BucketDeployment, each construct is thin over this singleton. It knows no resource type by name: each
type's module declares a ResourceKind (_kind.py), whose statements :meth:`WorkspacesImageProvider.allow` grants and
whose resources :meth:`WorkspacesImageProvider.serve` makes. What every type shares is here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Optional

import jsii
from aws_cdk import (
    CustomResource,
    Duration,
    Fn,
    IStableListProducer,
    IStableStringProducer,
    Lazy,
    RemovalPolicy,
    Stack,
)
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from constructs import Construct

from cdk_workspaces_image_handler import contract

from . import _compat, _function
from ._bus import BusGuard, bus_key, shown
from ._kind import Named, Permissions, PolicyContext, ResourceKind, Statement, every_resource
from ._props import refuse

PROVIDER_ID = "CdkWorkspacesImageProvider"
# The handler's environment lists of what the template says, which a request cannot (trust.py): the bundles
# apply_to_bundle may re-point, and the accounts images may be shared with. Constructs add to them (template_says).
TEMPLATE_LISTS = (contract.ENV_APPLY_BUNDLES, contract.ENV_SHARE_ACCOUNTS)


@jsii.implements(IStableListProducer)
class _TagKeys:
    """Renders a CreateTags allow-list only at synth, after every image and bundle of the stack has registered."""

    def __init__(self, keys: set[str] | None = None, extra: str = "") -> None:
        self.keys: set[str] = set() if keys is None else keys
        self._extra = extra

    def with_owner(self) -> _TagKeys:
        """The same keys, and the ownership key first (tags given at creation)."""
        return _TagKeys(self.keys, contract.OWNER_TAG_KEY)

    def produce(self) -> list[str]:
        keys = sorted(self.keys - {contract.OWNER_TAG_KEY})
        return [self._extra, *keys] if self._extra else keys


@jsii.implements(IStableStringProducer)
class _BusArn:
    """The ARN of the bus the provider puts its events on, rendered at synth: the default bus's, or the event_bus
    the stack's constructs name (which the first of them chooses, after the provider's policy is made)."""

    def __init__(self, default: str) -> None:
        self.arn = default

    def produce(self) -> str:
        return self.arn


@jsii.implements(IStableStringProducer)
class _Joined:
    """Renders values registered until synth as one comma-separated string, for the function's environment. A list
    token (a CommaDelimitedList parameter) joins into it at deploy time, so no value needs resolving at synth."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def add(self, values: Sequence[str]) -> None:
        self.parts.append(Fn.join(",", list(values)))

    def produce(self) -> str:
        return Fn.join(",", self.parts) if self.parts else ""


# The data-plane actions of DynamoDB (Service Authorization Reference, Amazon DynamoDB:
# https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html) that read or write
# items, or copy them out of the table (a backup or an export can be restored or read elsewhere). The table's resource
# policy denies them to every principal but the provider's role; the control-plane actions CloudFormation needs to
# create, update, tag and delete the table stay as the account's policies say.
DATA_PLANE_ACTIONS = (
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:CreateBackup",
    "dynamodb:DeleteItem",
    "dynamodb:ExportTableToPointInTime",
    "dynamodb:GetItem",
    "dynamodb:PartiQLDelete",
    "dynamodb:PartiQLInsert",
    "dynamodb:PartiQLSelect",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:RestoreTableToPointInTime",
    "dynamodb:Scan",
    "dynamodb:UpdateItem",
)


class WorkspacesImageProvider(Construct):
    """Function, role, log group, watch table and watch rule shared by a stack's images and bundles.

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

        # The watch rule's name comes from the stack id's GUID: unique per stack in an account and Region, also
        # for two stacks with one construct path and for environment-agnostic stacks. The function and its
        # policy use the name, not a reference, because the rule's target references the function.
        stack_guid = Fn.select(2, Fn.split("/", stack.stack_id))
        self.watch_rule_name = Fn.join("", [contract.WATCH_RULE_PREFIX, stack_guid])
        watch_rule_arn = stack.format_arn(service="events", resource="rule", resource_name=self.watch_rule_name)
        self._tag_keys = _TagKeys()
        # What every kind's statements are made of; the ownership value starts with the stack id's GUID, as the
        # watch rule's name does.
        self.context = PolicyContext(
            stack=stack,
            image_arns=stack.format_arn(service="workspaces", resource="workspaceimage", resource_name="*"),
            owned_by_this_stack=Fn.join("", [stack_guid, ".*"]),
            tag_keys=Lazy.list(self._tag_keys),
            tag_keys_with_owner=Lazy.list(self._tag_keys.with_owner()),
        )
        # What the kinds of the stack's constructs were granted (allow): their permissions, their statements by Sid,
        # and the ARNs each statement already holds from a construct, by their rendered form.
        self._granted: set[Permissions] = set()
        # The wildcard resources the kinds' statements acknowledged, as rendered.
        self._acknowledged: set[str] = set()
        self._statements: dict[str, iam.PolicyStatement] = {}
        self._named: dict[str, set[str]] = {}
        # What the template says, which a request cannot (template_says).
        self._template_lists = {variable: _Joined() for variable in TEMPLATE_LISTS}
        # The bus every event goes on (put_events_on), and the construct that chose it.
        self._bus_arn = _BusArn(_function.default_bus_arn(self))
        self._bus: events.IEventBus | None = None
        self._bus_chooser: Construct | None = None

        self.log_group, self.role = _function.logged_role(
            self, description="cdk-workspaces-image: creates, tags, watches and deletes WorkSpaces images and bundles"
        )

        # What the provider waits for, with the presigned URL to tell: state of this stack only, deleted with it
        # whatever the images' removal policy (watch.py says why a table and not the rule's Input).
        # L1: the template says exactly what the table is; nothing of the L2's is used here.
        self.watch_table = dynamodb.CfnTable(
            self,
            "WatchTable",
            key_schema=[
                dynamodb.CfnTable.KeySchemaProperty(attribute_name=contract.WATCH_TABLE_KEY, key_type="HASH"),
                dynamodb.CfnTable.KeySchemaProperty(attribute_name=contract.WATCH_TABLE_SORT_KEY, key_type="RANGE"),
            ],
            attribute_definitions=[
                dynamodb.CfnTable.AttributeDefinitionProperty(attribute_name=name, attribute_type="S")
                for name in (contract.WATCH_TABLE_KEY, contract.WATCH_TABLE_SORT_KEY)
            ],
            billing_mode="PAY_PER_REQUEST",
            time_to_live_specification=dynamodb.CfnTable.TimeToLiveSpecificationProperty(
                attribute_name=contract.WATCH_TABLE_TTL, enabled=True
            ),
        )
        self.watch_table.apply_removal_policy(RemovalPolicy.DESTROY)
        # The items hold presigned URLs (credentials) and the record of what the provider made: only its own role may
        # read or write them, whatever DynamoDB rights the account grants anyone else. In one account an explicit
        # Deny in a resource-based policy wins over any Allow
        # (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html). aws:PrincipalArn
        # of a role session is the role's ARN. "Resource": "*" in a table's policy is that table and its indexes.
        # Written as a property override: aws-cdk-lib releases before ResourcePolicy (2024) lack the L1 property.
        self.watch_table.add_property_override(
            "ResourcePolicy",
            {
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "OnlyTheProvider",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": list(DATA_PLANE_ACTIONS),
                            "Resource": "*",
                            "Condition": {"StringNotEquals": {"aws:PrincipalArn": self.role.role_arn}},
                        }
                    ],
                }
            },
        )
        _compat.acknowledge(
            self.watch_table,
            {
                "AwsSolutions-DDB3": (
                    "The table holds only waits in progress, each deleted when its wait ends; a restored wait "
                    "would carry a presigned URL that no longer works, so point-in-time recovery has nothing to save"
                ),
            },
        )

        statements = [
            iam.PolicyStatement(
                sid="Describe",
                actions=[
                    "workspaces:DescribeTags",
                    "workspaces:DescribeWorkspaceBundles",
                    "workspaces:DescribeWorkspaceImages",
                ],
                resources=["*"],
            ),
            iam.PolicyStatement(
                sid="DeleteTags",
                actions=["workspaces:DeleteTags"],
                resources=["*"],
                # A tag dropped from the template is absent from it, so only the ownership tag can be protected.
                conditions={
                    "ForAllValues:StringNotEquals": {"aws:TagKeys": [contract.OWNER_TAG_KEY]},
                    "Null": {"aws:TagKeys": "false"},
                },
            ),
            iam.PolicyStatement(
                sid="WatchTable",
                actions=["dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Query", "dynamodb:Scan"],
                resources=[self.watch_table.attr_arn],
            ),
            # Every request is confirmed with CloudFormation before anything is written (trust.py), about this very
            # stack only: DescribeStacks, DescribeStackResource and ListStackResources act on the stack's ARN
            # (Service Authorization Reference, AWS CloudFormation).
            iam.PolicyStatement(
                sid="ReadOwnStack",
                actions=[
                    "cloudformation:DescribeStackResource",
                    "cloudformation:DescribeStacks",
                    "cloudformation:ListStackResources",
                ],
                resources=[stack.stack_id],
            ),
            iam.PolicyStatement(
                sid="WatchRule",
                actions=["events:EnableRule", "events:DisableRule"],
                resources=[watch_rule_arn],
            ),
            # Every provider tells the bus when an image's wait ends, what a bundle now uses and what retention
            # did (contract.DetailTypes): the default bus, or the event_bus of the stack's constructs.
            _function.put_events(self, Lazy.string(self._bus_arn)),
        ]
        for statement in statements:
            self.role.add_to_policy(statement)

        self.function = _function.function(
            self,
            "Handler",
            description="cdk-workspaces-image: provider of WorkSpaces image and bundle custom resources",
            handler="index.handler",
            role=self.role,
            log_group=self.log_group,
            environment={
                contract.ENV_WATCH_TABLE: self.watch_table.ref,
                contract.ENV_WATCH_RULE: self.watch_rule_name,
                # Anyone allowed to invoke the function can send it a request naming another stack.
                contract.ENV_STACK_ID: stack.stack_id,
                # What the template says, which a request cannot (trust.py).
                **{variable: Lazy.string(joined) for variable, joined in self._template_lists.items()},
                **self._trusted_hosts(),
            },
        )

        # One rule per stack ticks every pending wait. Its Input is a constant that the handler does not read.
        self.watch_rule = events.CfnRule(
            self,
            "WatchRule",
            name=self.watch_rule_name,
            description="cdk-workspaces-image: looks at this stack's images and bundles until they are AVAILABLE",
            schedule_expression=_rate(contract.POLL_MINUTES),
            targets=[
                events.CfnRule.TargetProperty(id="tick", arn=self.function.function_arn, input=contract.TICK_INPUT)
            ],
        )
        # Only this very rule may invoke the function, so no other rule's event ever reaches it from EventBridge.
        self.function.add_permission(
            "WatchRuleInvoke",
            principal=iam.ServicePrincipal("events.amazonaws.com"),
            action="lambda:InvokeFunction",
            source_arn=self.watch_rule.attr_arn,
            source_account=stack.account,
        )
        self._invoke_permission = self.function.node.find_child("WatchRuleInvoke")

        self._acknowledge_wildcards(
            {
                "*": (
                    "workspaces:DescribeWorkspaceImages, DescribeTags, DescribeWorkspaceBundles, CreateTags and "
                    "DeleteTags support no resource-level permissions (Service Authorization Reference); the tag "
                    "actions are limited by aws:TagKeys, and the ownership key by its value"
                ),
            }
        )

    @property
    def image_arns(self) -> str:
        """The workspaceimage ARNs of this stack's account and Region."""
        return self.context.image_arns

    @property
    def service_token(self) -> str:
        return self.function.function_arn

    def serve(
        self,
        scope: Construct,
        kind: ResourceKind,
        properties: Mapping[str, Any],
        removal_policy: Optional[RemovalPolicy] = None,
    ) -> CustomResource:
        """The custom resource `Resource` of `kind` under `scope`, served by this function, whose role is granted what
        the kind needs (allow); `removal_policy` None is the kind's.

        ServiceTimeout is the hour a custom resource may take: the handler answers within it, from a watch
        when what it waits for is not AVAILABLE yet.
        """
        self.allow(kind)
        resource = _compat.custom_resource(
            scope,
            "Resource",
            service_token=self.service_token,
            resource_type=kind.type_name,
            properties=properties,
            service_timeout=Duration.seconds(contract.SERVICE_TIMEOUT_SECONDS),
            removal_policy=kind.removal_policy if removal_policy is None else removal_policy,
        )
        # A request may start a wait: the rule that ticks it, and its permission to invoke, must exist by then.
        resource.node.add_dependency(self.watch_rule, self._invoke_permission)
        return resource

    def put_events_on(self, user: Construct, bus: events.IEventBus | None) -> None:
        """Put every event on `bus` (None: the account's default bus), as `user` (an image, copy or bundle) asks.

        The stack has one provider, one function: every image, copy and bundle of the stack must name the same bus,
        or none; synth fails naming both constructs otherwise. The first with a bus gives the function the bus's
        name (contract.ENV_EVENT_BUS), moves its PutEvents statement to that bus, and has the bus's guard spare
        the provider's role.
        """
        if self._bus_chooser is None:
            self._bus_chooser, self._bus = user, bus
            if bus is not None:
                self._bus_arn.arn = bus.event_bus_arn
                self.function.add_environment(contract.ENV_EVENT_BUS, bus.event_bus_name)
                BusGuard.of(user, bus).admit(self.role)
            return
        if bus_key(bus) != bus_key(self._bus):
            refuse(
                user,
                [
                    f"event_bus {shown(bus)} is not the event_bus of {self._bus_chooser.node.path}, "
                    f"{shown(self._bus)}; the images, copies and bundles of a stack share one provider, which puts "
                    "every event on one bus: give each of them the same event_bus, or none"
                ],
            )

    def register_tag_keys(self, keys: Iterable[str]) -> None:
        """Allows the handler to set these tag keys (CreateTags); the ownership key only at creation."""
        keys = set(keys)
        self._tag_keys.keys.update(keys)
        if keys:
            self.allow(_TAGGING)

    def allow(self, kind: ResourceKind | Permissions, *, named: Iterable[Named] = (), _shared: bool = False) -> None:
        """Grants what `kind` needs, its statements once per stack (what it requires first, what it is followed_by
        last), then the ARNs one construct of the kind names (`named`), each once. Statements are made at the first
        construct that asks, so that a stack without the kind keeps its policy as it was, and in the order the
        constructs ask."""
        permissions = kind.permissions if isinstance(kind, ResourceKind) else kind
        self.register_tag_keys(permissions.tag_keys)
        if permissions not in self._granted:
            self._granted.add(permissions)
            for required in permissions.requires:
                self.allow(required)
            # The statements' own resources, by their rendered form, whose wildcards the kind gives a reason for.
            wildcards: dict[str, str] = {}
            for grant in permissions.statements:
                resource = None if grant.resource is None else grant.resource(self.context)
                statement = iam.PolicyStatement(
                    sid=grant.sid,
                    actions=list(grant.actions),
                    resources=None if resource is None else [resource],
                    conditions=None if grant.conditions is None else dict(grant.conditions(self.context)),
                )
                self._statements[grant.sid] = statement
                self.role.add_to_policy(statement)
                if resource is not None:
                    wildcards.setdefault(self._rendered(resource), resource)
            reason = permissions.wildcard_reason
            if reason is not None:
                # What kinds share (followed_by) is acknowledged only where the kind that asked did not already.
                fresh = {
                    r: arn for r, arn in wildcards.items() if "*" in r and not (_shared and r in self._acknowledged)
                }
                self._acknowledged.update(fresh)
                self._acknowledge_wildcards(dict.fromkeys(fresh.values(), reason))
            for shared in permissions.followed_by:
                self.allow(shared, _shared=True)
        for name in named:
            rendered = self._rendered(name.arn)
            for sid in name.sids:
                if rendered not in self._named.setdefault(sid, set()):
                    self._named[sid].add(rendered)
                    self._statements[sid].add_resources(name.arn)
            if "*" in rendered and name.reason is not None:
                self._acknowledge_wildcards({name.arn: name.reason})

    def _rendered(self, arn: str) -> str:
        """An ARN as the template has it: the same ARN made twice is two tokens."""
        return json.dumps(Stack.of(self).resolve(arn), sort_keys=True)

    def template_says(self, variable: str, values: Sequence[str]) -> None:
        """Adds `values` (a list, or a list token) to the handler's environment list `variable`, one of
        TEMPLATE_LISTS: what the template says, which a request cannot (trust.py)."""
        self._template_lists[variable].add(values)

    def _trusted_hosts(self) -> dict[str, str]:
        """Hosts besides Amazon S3's that the app trusts CloudFormation's presigned URLs to be on (context
        contract.TRUSTED_RESPONSE_HOSTS_CONTEXT, a list of host names): for a host CloudFormation may presign that
        trust.py does not know. Absent by default: the handler answers only on S3's hosts."""
        hosts = self.node.try_get_context(contract.TRUSTED_RESPONSE_HOSTS_CONTEXT)
        if hosts is None:
            return {}
        if isinstance(hosts, str):
            hosts = [h for h in hosts.split(",") if h]
        if not isinstance(hosts, list) or not all(isinstance(h, str) and h and "/" not in h for h in hosts):
            raise ValueError(
                f"{self.node.path}: the context value {contract.TRUSTED_RESPONSE_HOSTS_CONTEXT} {hosts!r} must be a "
                'list of host names (such as ["s3.example.amazonaws.com"]), or one string of them separated by commas'
            )
        return {contract.ENV_TRUSTED_RESPONSE_HOSTS: ",".join(sorted(set(hosts)))}

    def _acknowledge_wildcards(self, reasons: Mapping[str, str]) -> None:
        _function.acknowledge_wildcards(self.role, reasons)


def _tagged(context: PolicyContext) -> Mapping[str, Any]:
    return {"ForAllValues:StringEquals": {"aws:TagKeys": context.tag_keys}, "Null": {"aws:TagKeys": "false"}}


# Tags the stack's constructs set, once the first of them has any (register_tag_keys). CreateTags and DeleteTags take
# no resource ARN (Service Authorization Reference), so the tag keys are what can be limited. ForAllValues holds for a
# request without keys: Null requires some.
_TAGGING = Permissions(statements=(Statement("CreateTags", ("workspaces:CreateTags",), every_resource, _tagged),))


def _rate(minutes: int) -> str:
    """An EventBridge rate expression: the unit is singular for 1 and plural otherwise
    (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html)."""
    return f"rate({minutes} {'minute' if minutes == 1 else 'minutes'})"
