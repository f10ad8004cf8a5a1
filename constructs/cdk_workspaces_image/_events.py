"""The rules that match this library's events: ``on_image_available``, ``on_image_failed``, ``on_update_available``.

The provider and the update monitor put them on the account's default bus, or on the ``event_bus`` the constructs
name, with source ``contract.EVENT_SOURCE`` (WorkSpaces itself sends no image events to EventBridge). As aws-cdk's
``onXxx`` methods do (``IRepository.onEvent`` of ECR, those of EC2 Image Builder's L2), each returns such a rule,
made in the scope of the resource it is about, on the bus the events go on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Optional

from aws_cdk import CfnElement, CustomResource, Stack
from aws_cdk import aws_events as events
from constructs import Construct

from cdk_workspaces_image_handler import contract, rules

from ._props import construct_id_problem, judged_text, refuse


def event_rule(
    scope: Construct,
    construct_id: str,
    *,
    detail_type: str,
    detail: Mapping[str, Sequence[Any]],
    target: Optional[events.IRuleTarget],
    description: str,
    event_bus: Optional[events.IEventBus] = None,
) -> events.Rule:
    """A rule on `event_bus` (None: the default bus) for this library's events of one detail type whose Detail has
    these values (each key matches any of its list:
    https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html). A rule hears the events of its
    own bus only."""
    # Judged here, naming the construct: jsii's TypeError names neither, an infinite number crashes its kernel, and
    # a target of another type fails only inside aws_events.Rule ("Unable to deserialize value as RuleProps").
    problems = [p for p in [construct_id_problem(scope, construct_id)] if p]
    if target is not None and not callable(getattr(target, "bind", None)):
        problems.append(
            rules.type_problem(
                "target", judged_text(target), "an aws_events.IRuleTarget (an aws_events_targets target)"
            )
        )
    refuse(scope, problems)
    return events.Rule(
        scope,
        construct_id,
        description=description,
        event_bus=event_bus,
        event_pattern=events.EventPattern(
            source=[contract.EVENT_SOURCE], detail_type=[detail_type], detail=dict(detail)
        ),
        targets=None if target is None else [target],
    )


class ImageEvents:
    """``on_image_available`` and ``on_image_failed`` of a construct whose custom resource makes an image: an
    ``UpdatedWorkspaceImage``, and each copy (``WorkspaceImageCopy``, and the copies of ``copy_to_regions``, whose
    events also carry ``Region`` and ``SourceRegion``)."""

    resource: CustomResource
    event_bus: Optional[events.IEventBus] = None
    """The ``event_bus`` prop: the bus the provider puts this resource's events on, where the rules of
    :meth:`on_image_available` and :meth:`on_image_failed` are made; None, the account's default bus."""

    def on_image_available(self, construct_id: str, *, target: Optional[events.IRuleTarget] = None) -> events.Rule:
        """A rule, under this construct, matching the event the provider puts on the default bus (or on the
        construct's ``event_bus``, where the rule is made) when this resource's image is AVAILABLE (DetailType
        ``WorkSpaces Image Available``, source ``cdk-workspaces-image``), this month's image and every later one.

        The rule matches the stack's id and the custom resource's logical id, not the image id, so it outlives
        the image's replacement. The event's detail holds ``ImageId``, ``SourceImageId`` and ``Name`` (and for a
        copy ``Region`` and ``SourceRegion``).

        :param construct_id: the rule's construct id.
        :param target: where the event goes (an ``aws_events_targets`` target). Default: none; add targets to
            the rule later with ``add_target``.
        """
        return self._on(construct_id, contract.DetailTypes.IMAGE_AVAILABLE, target, "is AVAILABLE")

    def on_image_failed(self, construct_id: str, *, target: Optional[events.IRuleTarget] = None) -> events.Rule:
        """A rule, under this construct, matching the event the provider puts on the default bus (or on the
        construct's ``event_bus``) when this resource's image will not become AVAILABLE (DetailType ``WorkSpaces
        Image Failed``): it went to ERROR, is gone, or the wait timed out, or it is AVAILABLE but could not be shared
        (``Failure`` in the detail: ``ERROR``, ``GONE``, ``TIMEOUT`` or ``SHARE``, with the service's ``ErrorCode`` and
        ``ErrorMessage`` for ERROR, and the ``Reason`` the deployment fails with).

        Like :meth:`on_image_available`, it matches the resource, not the image id, so it survives replacement.

        :param construct_id: the rule's construct id.
        :param target: where the event goes. Default: none; add targets to the rule later with ``add_target``.
        """
        return self._on(construct_id, contract.DetailTypes.IMAGE_FAILED, target, "failed")

    def _on(self, construct_id: str, detail_type: str, target: Optional[events.IRuleTarget], what: str) -> events.Rule:
        assert isinstance(self, Construct)
        resource = self.resource.node.default_child
        assert isinstance(resource, CfnElement)
        return event_rule(
            self,
            construct_id,
            detail_type=detail_type,
            detail={
                contract.Detail.STACK_ID: [Stack.of(self).stack_id],
                contract.Detail.LOGICAL_ID: [resource.logical_id],
            },
            target=target,
            description=f"cdk-workspaces-image: the image of {self.node.path} {what}",
            event_bus=self.event_bus,
        )
