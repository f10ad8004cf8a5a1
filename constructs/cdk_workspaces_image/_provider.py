"""The one Lambda function per stack that serves every image and bundle resource in it."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

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
from ._props import refuse

PROVIDER_ID = "CdkWorkspacesImageProvider"


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
        self._image_arns = self._workspaces_arns("workspaceimage", "*")
        self._tag_keys = _TagKeys()
        # The ownership tag's value starts with the stack id's GUID (kernel.Ownership): writes to an existing image
        # or bundle are allowed only on what carries it, so the role cannot touch what its stack never made.
        self._owned_by_this_stack = Fn.join("", [stack_guid, ".*"])
        # Image and bundle permissions exist only in stacks with images or bundles (allow_images, allow_bundles,
        # allow_repoint).
        self._images_allowed = self._bundles_allowed = self._creating = self._tagging = self._image_ack = False
        self._bundle_images = False
        self._repoint: iam.PolicyStatement | None = None
        # What the template says, which a request cannot: the bundles apply_to_bundle may re-point, and the accounts
        # images may be shared with.
        self._bundle_ids = _Joined()
        self._share_accounts = _Joined()
        # Copies (allow_copies): their statements, and the ARNs each already holds, by their rendered form (the same
        # ARN made twice is two tokens).
        self._copies: dict[str, iam.PolicyStatement] = {}
        self._copy_arns: dict[str, set[str]] = {}
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
                contract.ENV_APPLY_BUNDLES: Lazy.string(self._bundle_ids),
                contract.ENV_SHARE_ACCOUNTS: Lazy.string(self._share_accounts),
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
        return self._image_arns

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
        resource = _compat.custom_resource(
            scope,
            "Resource",
            service_token=self.service_token,
            resource_type=resource_type,
            properties=properties,
            service_timeout=Duration.seconds(contract.SERVICE_TIMEOUT_SECONDS),
            removal_policy=removal_policy,
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
        if keys and not self._tagging:
            self._tagging = True
            # CreateTags and DeleteTags take no resource ARN (Service Authorization Reference), so the tag keys
            # are what can be limited. ForAllValues holds for a request without keys: Null requires some.
            self.role.add_to_policy(
                iam.PolicyStatement(
                    sid="CreateTags",
                    actions=["workspaces:CreateTags"],
                    resources=["*"],
                    conditions={
                        "ForAllValues:StringEquals": {"aws:TagKeys": Lazy.list(self._tag_keys)},
                        "Null": {"aws:TagKeys": "false"},
                    },
                )
            )

    def _allow_creation(self) -> None:
        """Tags given at creation are authorized as CreateTags too: there the ownership key is allowed, and only
        with this stack's value. The image or bundle id is not known before it exists."""
        if self._creating:
            return
        self._creating = True
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="TagAtCreation",
                actions=["workspaces:CreateTags"],
                resources=["*"],
                conditions={
                    "ForAllValues:StringEquals": {"aws:TagKeys": Lazy.list(self._tag_keys.with_owner())},
                    "StringLike": {f"aws:RequestTag/{contract.OWNER_TAG_KEY}": self._owned_by_this_stack},
                },
            )
        )

    def _acknowledge_image_wildcard(self) -> None:
        if self._image_ack:
            return
        self._image_ack = True
        self._acknowledge_wildcards(
            {
                self._image_arns: (
                    "The id of an updated image is chosen by WorkSpaces when it is created, so it cannot be named "
                    "in advance; scoped to workspaceimage ARNs of this account and Region, and deletes to those "
                    "carrying this stack's ownership tag"
                ),
            }
        )

    def _owned(self) -> Mapping[str, Any]:
        """The condition that a resource carries this stack's ownership tag."""
        return {"StringLike": {f"aws:ResourceTag/{contract.OWNER_TAG_KEY}": self._owned_by_this_stack}}

    def allow_images(self) -> None:
        """Lets the handler create images, and delete only those this stack made (a stack with an image)."""
        if self._images_allowed:
            return
        self._images_allowed = True
        self._allow_creation()
        self._acknowledge_image_wildcard()
        # Service Authorization Reference: DeleteWorkspaceImage takes aws:ResourceTag; the new image's id is not
        # known before it exists, so creating is on workspaceimage/*.
        for statement in (
            iam.PolicyStatement(
                sid="CreateImages", actions=["workspaces:CreateUpdatedWorkspaceImage"], resources=[self._image_arns]
            ),
            iam.PolicyStatement(
                sid="DeleteOwnImages",
                actions=["workspaces:DeleteWorkspaceImage"],
                resources=[self._image_arns],
                conditions=self._owned(),
            ),
            # Read before sharing and before a delete, and to name the accounts an image is shared with.
            iam.PolicyStatement(
                sid="ImagePermissions",
                actions=["workspaces:DescribeWorkspaceImagePermissions"],
                resources=[self._image_arns],
            ),
            # Service Authorization Reference: UpdateWorkspaceImagePermission acts on the workspaceimage, whose
            # resource type takes aws:ResourceTag. Granted to every stack with an image, not only to one that
            # shares now: a template whose list was emptied, or that dropped the sharing image, must still
            # unshare what the earlier template shared (IAM changes before the resources do).
            iam.PolicyStatement(
                sid="ShareOwnImages",
                actions=["workspaces:UpdateWorkspaceImagePermission"],
                resources=[self._image_arns],
                conditions=self._owned(),
            ),
        ):
            self.role.add_to_policy(statement)

    def allow_copies(self, *, regions: Iterable[str], sources: Iterable[str]) -> None:
        """Lets the handler copy images into `regions` (CopyWorkspaceImage is called in the destination Region) from
        the `sources` (workspaceimage ARNs), and delete there only the copies this stack made.

        Statements are made at the first copy and grow with each Region and source, so that a stack without copies
        keeps its policy as it was.
        """
        if not self._copies:
            self._allow_creation()
            # The copy's tags, the ownership tag among them, come with the request: WorkSpaces authorizes the new image
            # and the source with them, so the condition names this stack's ownership value.
            copy = iam.PolicyStatement(
                sid="CopyImages",
                actions=["workspaces:CopyWorkspaceImage"],
                conditions={
                    "StringLike": {f"aws:RequestTag/{contract.OWNER_TAG_KEY}": self._owned_by_this_stack},
                },
            )
            # Service Authorization Reference: DeleteWorkspaceImage takes aws:ResourceTag, in any Region.
            delete = iam.PolicyStatement(
                sid="DeleteOwnCopies", actions=["workspaces:DeleteWorkspaceImage"], conditions=self._owned()
            )
            # Read before a copy is deleted, to name the accounts it is shared with when WorkSpaces refuses.
            permissions = iam.PolicyStatement(
                sid="CopyImagePermissions", actions=["workspaces:DescribeWorkspaceImagePermissions"]
            )
            self._copies = {"copy": copy, "delete": delete, "permissions": permissions}
            for statement in self._copies.values():
                self.role.add_to_policy(statement)
        stack = Stack.of(self)
        for region in regions:
            # The stack's own Region as a token renders as AWS::Region, like the image ARNs of the other statements.
            arn = self._image_arns if region == stack.region else self._workspaces_arns("workspaceimage", "*", region)
            self._add_copy_resource(("copy", "delete", "permissions"), arn, _COPIES_REASON)
        for source in sources:
            self._add_copy_resource(("copy",), source, _SOURCES_REASON)

    def _add_copy_resource(self, kinds: Iterable[str], arn: str, reason: str) -> None:
        rendered = json.dumps(Stack.of(self).resolve(arn), sort_keys=True)
        for kind in kinds:
            if rendered not in self._copy_arns.setdefault(kind, set()):
                self._copy_arns[kind].add(rendered)
                self._copies[kind].add_resources(arn)
        if "*" in rendered:
            self._acknowledge_wildcards({arn: reason})

    def allow_bundles(self) -> None:
        """Lets the handler create bundles, and re-point and delete only those this stack made (a stack with a
        WorkspaceBundle)."""
        if self._bundles_allowed:
            return
        self._bundles_allowed = True
        self._allow_creation()
        bundle_arns = self._workspaces_arns("workspacebundle", "*")
        # Service Authorization Reference: Create/UpdateWorkspaceBundle act on a workspacebundle and the
        # workspaceimage it uses, each authorized with its own tags (BundleImages); DeleteWorkspaceBundle on the
        # workspacebundle alone.
        self._allow_bundle_images()
        for statement in (
            iam.PolicyStatement(
                sid="CreateBundles", actions=["workspaces:CreateWorkspaceBundle"], resources=[bundle_arns]
            ),
            iam.PolicyStatement(
                sid="UpdateOwnBundles",
                actions=["workspaces:UpdateWorkspaceBundle"],
                resources=[bundle_arns],
                conditions=self._owned(),
            ),
            iam.PolicyStatement(
                sid="DeleteOwnBundles",
                actions=["workspaces:DeleteWorkspaceBundle"],
                resources=[bundle_arns],
                conditions=self._owned(),
            ),
        ):
            self.role.add_to_policy(statement)
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
        self._bundle_ids.add([bundle_id])
        self._allow_bundle_images()
        bundle_arn = self._workspaces_arns("workspacebundle", bundle_id)
        if self._repoint is None:
            self._repoint = iam.PolicyStatement(
                sid="RepointBundles", actions=["workspaces:UpdateWorkspaceBundle"], resources=[bundle_arn]
            )
            self.role.add_to_policy(self._repoint)
        else:
            self._repoint.add_resources(bundle_arn)

    def _allow_bundle_images(self) -> None:
        """The image a bundle is created on or moved to, authorized on its own: any image this account may use,
        its own or one another account shares with it (which IAM names by its owner's account: undocumented,
        so the account is left open), since a bundle may use an image this stack did not make."""
        if self._bundle_images:
            return
        self._bundle_images = True
        usable = Stack.of(self).format_arn(
            service="workspaces", resource="workspaceimage", resource_name="*", account="*"
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="BundleImages",
                actions=["workspaces:CreateWorkspaceBundle", "workspaces:UpdateWorkspaceBundle"],
                resources=[usable],
            )
        )
        self._acknowledge_wildcards(
            {
                usable: (
                    "A bundle may be created on, or moved to, any image this account may use: its own, made by "
                    "another stack, or shared with it; scoped to this Region, images only, and to the two bundle "
                    "actions, whose bundle side is limited by its own statement"
                )
            }
        )

    def register_share_accounts(self, accounts: Sequence[str]) -> None:
        """The accounts an image of the stack is shared with (a list, or a list token): the handler shares with no
        other, whatever a request says."""
        self._share_accounts.add(accounts)

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

    def _workspaces_arns(self, resource: str, name: str, region: str | None = None) -> str:
        return Stack.of(self).format_arn(service="workspaces", resource=resource, resource_name=name, region=region)

    def _acknowledge_wildcards(self, reasons: Mapping[str, str]) -> None:
        _function.acknowledge_wildcards(self.role, reasons)


_COPIES_REASON = (
    "The id of a copy is chosen by WorkSpaces when it is made, so it cannot be named in advance; scoped to "
    "workspaceimage ARNs of this account in each Region copied to, copies to requests carrying this stack's ownership "
    "tag, and deletes to images carrying it"
)
_SOURCES_REASON = (
    "The image copied: one this stack makes (its id does not exist at synth), one named by a deploy-time value, or "
    "one another account shares (IAM names it by its owner's account, which this stack does not know); scoped to "
    "workspaceimage ARNs of the source Region, and to requests carrying this stack's ownership tag"
)


def _rate(minutes: int) -> str:
    """An EventBridge rate expression: the unit is singular for 1 and plural otherwise
    (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html)."""
    return f"rate({minutes} {'minute' if minutes == 1 else 'minutes'})"
