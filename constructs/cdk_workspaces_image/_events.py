"""The rules that match this library's events: ``on_image_available``, ``on_image_failed``, ``on_update_available``.

The provider and the update monitor put them on the account's default bus with source ``contract.EVENT_SOURCE``
(WorkSpaces itself sends no image events to EventBridge). As aws-cdk's ``onXxx`` methods do (``IRepository.onEvent``
of ECR, those of EC2 Image Builder's L2), each returns such a rule, made in the scope of the resource it is about.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Optional

from aws_cdk import aws_events as events
from constructs import Construct

from cdk_workspaces_image_handler import contract


def event_rule(
    scope: Construct,
    construct_id: str,
    *,
    detail_type: str,
    detail: Mapping[str, Sequence[Any]],
    target: Optional[events.IRuleTarget],
    description: str,
) -> events.Rule:
    """A rule on the default bus for this library's events of one detail type whose Detail has these values
    (each key matches any of its list: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html)."""
    return events.Rule(
        scope,
        construct_id,
        description=description,
        event_pattern=events.EventPattern(
            source=[contract.EVENT_SOURCE], detail_type=[detail_type], detail=dict(detail)
        ),
        targets=None if target is None else [target],
    )
