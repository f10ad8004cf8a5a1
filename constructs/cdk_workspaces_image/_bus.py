"""``event_bus``: the bus the library's events go on, and the statement of its policy that keeps them the library's.

On the account's default bus anyone allowed ``events:PutEvents`` there can put an event with the source
``cdk-workspaces-image``, and a rule cannot tell it from the provider's: the policy evaluation logic allows a request of
the account that its identity-based policy allows
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html). A bus of the user's own
carries a resource-based policy ("Permissions for event buses",
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-perms.html), which EventBridge evaluates with the
caller's identity-based policy; it may use IAM conditions, events:source among them (the guide's example policies, such
as eb-event-bus-example-policy-cross-account-custom-bus-source.html, and the Service Authorization Reference's PutEvents
row, https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridge.html), and global keys
such as aws:PrincipalArn, the role's ARN for a role session
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html). An explicit Deny in it wins
over any Allow, also for a caller of the bus's own account (the evaluation logic: "an explicit deny in any policy
overrides any allows"; EventBridge's own pages show only Allow statements in bus policies, so that it applies a Deny to
its own account's callers is IAM's general rule, undocumented for EventBridge in particular). So :class:`BusGuard` adds
to the bus one statement: Deny ``events:PutEvents`` of any entry whose source is the library's to every principal but
the roles of the stack that put them, the provider's and the monitors'. (The user guide's "Using resource-based policies
for Amazon EventBridge", https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html, is about
the policies of the targets a rule invokes, not of the bus.)

The statement is an ``AWS::Events::EventBusPolicy`` with ``Statement`` (an L1, ``CfnEventBusPolicy``), whatever the
bus: one the stack makes or one it imports. ``EventBus.add_to_resource_policy`` is not used: imported buses ignore
it, and in aws-cdk-lib 2.90.0, this library's floor, it adds only the first statement a bus is given and drops any
later one without a word (``statementAdded`` false), where newer releases add each under another construct id and
StatementId (``cdk-`` and the Sid): a statement another part of the app gave the bus would cost the library its own,
and the template would differ between releases.

One statement per bus and stack, naming every role of the stack that puts events there; two stacks' statements on
one bus would each refuse the other's roles, so synth refuses a bus another stack of the app names, where it can
tell (the same bus construct, or the same literal name in the same account and Region).
"""

from __future__ import annotations

import hashlib
import weakref
from typing import Optional, cast

import jsii
from aws_cdk import Fn, IStableListProducer, Lazy, Stack, Token
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from constructs import Construct, IConstruct

from cdk_workspaces_image_handler import contract, rules

from ._props import refuse, shared_place

# Each stack's guards, by bus key, in the app (by root): what a bus named by two stacks is found with.
_GUARDS: weakref.WeakKeyDictionary[IConstruct, list[BusGuard]] = weakref.WeakKeyDictionary()


def event_bus_problems(scope: Construct, bus: object) -> list[str]:
    """What is wrong with an ``event_bus`` prop: its type, or a bus of another account or Region than the stack's,
    where synth knows both (the provider and the monitor put their events in their own Region)."""
    if bus is None:
        return []
    if not all(hasattr(bus, key) for key in ("event_bus_arn", "event_bus_name", "node", "env")):
        return [rules.type_problem("event_bus", bus, "an aws_events.IEventBus")]
    given = cast(events.IEventBus, bus)
    stack = Stack.of(scope)
    places = (("Region", given.env.region, stack.region), ("account", given.env.account, stack.account))
    for what, theirs, ours in places:
        if not (Token.is_unresolved(theirs) or Token.is_unresolved(ours)) and theirs != ours:
            return [
                f"event_bus {shown(given)} is in {what} {theirs}, but this stack deploys to {ours}; name a bus of the "
                f"stack's own account and Region: the provider and the monitor put their events there"
            ]
    return []


def shown(bus: Optional[events.IEventBus]) -> str:
    """An event_bus as a reason names it: its construct path, and its name when synth knows it."""
    if bus is None:
        return "None (the account's default bus)"
    name = bus.event_bus_name
    return bus.node.path if Token.is_unresolved(name) else f"{bus.node.path} (event bus {name})"


def bus_key(bus: Optional[events.IEventBus]) -> Optional[str]:
    """What tells two event_bus props apart: the bus's name when synth knows it, else the bus construct; None for
    the default bus."""
    if bus is None:
        return None
    name = bus.event_bus_name
    return f"construct:{bus.node.path}" if Token.is_unresolved(name) else f"name:{name}"


@jsii.implements(IStableListProducer)
class _Roles:
    """The ARNs of the roles the statement spares, rendered at synth, once every construct of the stack has come."""

    def __init__(self) -> None:
        self.arns: list[str] = []

    def produce(self) -> list[str]:
        return list(self.arns)


class BusGuard(Construct):
    """The ``AWS::Events::EventBusPolicy`` statement (``Policy``) of one bus in one stack: Deny ``events:PutEvents``
    of the library's source to every principal but the roles :meth:`admit` names. Use :meth:`of`."""

    @staticmethod
    def of(user: Construct, bus: events.IEventBus) -> BusGuard:
        """The guard of `bus` in the stack of `user` (the construct whose event_bus names it), made the first time.
        Synth fails when another stack of the app has a guard on the same bus, naming both constructs."""
        stack = Stack.of(user)
        key = bus_key(bus)
        assert key is not None
        construct_id = "CdkWorkspacesImageBus" + hashlib.sha256(key.encode()).hexdigest()[:8]
        existing = stack.node.try_find_child(construct_id)
        if isinstance(existing, BusGuard):
            return existing
        for other in _GUARDS.get(stack.node.root, []):
            where = shared_place(user, other) if other.key == key else None
            if where:
                refuse(
                    user,
                    [
                        f"event_bus {shown(bus)} is also the event_bus of {other.first_user} ({where}); a bus carries "
                        "the library's events of one stack only, since each stack's statement on it refuses every "
                        "role but its own: give each stack a bus of its own"
                    ],
                )
        guard = BusGuard(stack, construct_id, bus, key, user.node.path)
        _GUARDS.setdefault(stack.node.root, []).append(guard)
        return guard

    def __init__(self, scope: Construct, construct_id: str, bus: events.IEventBus, key: str, first_user: str) -> None:
        super().__init__(scope, construct_id)
        self.bus = bus
        self.key = key
        self.first_user = first_user
        self._roles = _Roles()
        stack = Stack.of(self)
        # Unique in the bus's policy for this stack and bus (the stack id's GUID, as the watch rule's name has it),
        # and new whenever the resource is replaced, so a replacement's cleanup never removes the new statement:
        # [a-zA-Z0-9-_], at most 64 (API_PutPermission).
        stack_guid = Fn.select(2, Fn.split("/", stack.stack_id))
        statement_id = Fn.join("-", ["cdkwsi", construct_id.removeprefix("CdkWorkspacesImageBus"), stack_guid])
        self.policy = events.CfnEventBusPolicy(
            self,
            "Policy",
            event_bus_name=bus.event_bus_name,
            statement_id=statement_id,
            statement={
                "Sid": statement_id,
                "Effect": "Deny",
                "Principal": "*",
                "Action": "events:PutEvents",
                "Resource": bus.event_bus_arn,
                "Condition": {
                    # Any entry of the library's source refuses the call, whatever else it puts.
                    "ForAnyValue:StringEquals": {contract.EVENT_SOURCE_CONDITION_KEY: [contract.EVENT_SOURCE]},
                    "StringNotEquals": {"aws:PrincipalArn": Lazy.list(self._roles)},
                },
            },
        )

    def admit(self, role: iam.IRole) -> None:
        """Spare `role` (the provider's or a monitor's), whose events of the library's source go on this bus."""
        self._roles.arns.append(role.role_arn)
