"""What every copy of an image is made of, whichever Region it is made in: the Custom::WorkspaceImageCopy resource
and the wait for the copy to become AVAILABLE.

``WorkspaceImageCopy`` (copy.py) makes a copy in its own stack's Region; ``UpdatedWorkspaceImage(copy_to_regions=...)``
makes one in each other Region it names. Both are this base with another ``region``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

from aws_cdk import CfnWaitCondition, CustomResource, Duration, RemovalPolicy, Stack
from aws_cdk import aws_events as events
from constructs import Construct

from cdk_workspaces_image_handler import contract
from cdk_workspaces_image_handler.contract import CopyProps as P

from ._events import ImageEvents
from ._props import is_token, tag_list
from ._provider import WorkspacesImageProvider
from ._wait import AvailableWait, timeout_seconds

DEFAULT_TIMEOUT = Duration.hours(3)
DEFAULT_REMOVAL_POLICY = RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE


class ImageCopyBase(ImageEvents, Construct):
    """A copy of an image, made by the stack's provider in `region`; :meth:`_make` once the props are judged."""

    image_id: str
    """The copy's id (``wsi-...``), a token that resolves only once the copy is AVAILABLE."""
    resource: CustomResource
    """The ``Custom::WorkspaceImageCopy`` resource; its physical id and its attribute ``ImageId`` are the copy's id."""
    wait_condition: CfnWaitCondition
    """The wait for the copy to become AVAILABLE, which ``image_id`` references."""
    _image_name: object

    def _make(
        self,
        *,
        source_image_id: str,
        source_region: str,
        region: str,
        image_name: str,
        description: str,
        tags: Optional[Mapping[str, str]],
        timeout: Optional[Duration],
        removal_policy: Optional[RemovalPolicy],
        keep_previous: Optional[int],
        source_arn: str,
        source_account: Optional[str] = None,
        event_bus: Optional[events.IEventBus] = None,
    ) -> None:
        """`source_arn`: the workspaceimage ARN the provider's policy allows copying from; `event_bus`: where the
        copy's events go (its own prop, or its image's)."""
        # The name the copy gets, which the app's other images of the same Region are compared with.
        self._image_name = image_name
        tags = dict(tags or {})
        provider = WorkspacesImageProvider.get_or_create(self)
        provider.put_events_on(self, event_bus)
        self.event_bus = event_bus
        provider.register_tag_keys(tags)
        provider.allow_copies(regions=[region], sources=[source_arn])

        seconds = timeout_seconds(DEFAULT_TIMEOUT if timeout is None else timeout)
        # A change to any of these makes a new copy (the handler replaces it), and the timeout re-arms the wait.
        replacing = {
            P.SOURCE_IMAGE_ID: source_image_id,
            P.SOURCE_REGION: source_region,
            P.REGION: region,
            P.NAME: image_name,
            P.DESCRIPTION: description,
            P.TIMEOUT_SECONDS: seconds,
        }
        wait = AvailableWait(self, replacing)
        properties: dict[str, Any] = {**replacing, P.WAIT_HANDLE: wait.handle_ref}
        if keep_previous is not None:
            properties[P.KEEP_PREVIOUS] = keep_previous if is_token(keep_previous) else int(keep_previous)
        if source_account is not None:
            # A check before the copy, not a replacing value: the same source id, checked against another owner.
            properties[P.SOURCE_ACCOUNT] = source_account
        if tags:
            properties[P.TAGS] = tag_list(tags)
        self.resource = provider.serve(self, contract.COPY_TYPE, properties, removal_policy or DEFAULT_REMOVAL_POLICY)
        self.image_id = wait.image_id(self.resource, seconds, "image_id of the copy", "copy.image_id")
        self.wait_condition = wait.wait_condition


def image_arn(scope: Construct, *, region: Optional[str], account: Optional[str], image_id: str) -> str:
    """A workspaceimage ARN; None for the stack's own Region or account."""
    return Stack.of(scope).format_arn(
        service="workspaces", resource="workspaceimage", resource_name=image_id, region=region, account=account
    )
