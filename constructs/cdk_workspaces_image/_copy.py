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
from ._kind import CREATING, Named, Permissions, PolicyContext, ResourceKind, Statement
from ._props import is_token, tag_list
from ._provider import WorkspacesImageProvider
from ._wait import AvailableWait, timeout_seconds

# Lets the handler copy images into the Regions its copies are made in (CopyWorkspaceImage is called in the
# destination Region) from their sources, and delete there only the copies this stack made. The statements have no
# resource of their own: each copy adds its Region's image ARNs and its source (Named).
COPY = ResourceKind(
    contract.COPY_TYPE,
    Permissions(
        statements=(
            # The copy's tags, the ownership tag among them, come with the request: WorkSpaces authorizes the new image
            # and the source with them, so the condition names this stack's ownership value.
            Statement(
                "CopyImages", ("workspaces:CopyWorkspaceImage",), conditions=PolicyContext.requested_by_this_stack
            ),
            # Service Authorization Reference: DeleteWorkspaceImage takes aws:ResourceTag, in any Region.
            Statement("DeleteOwnCopies", ("workspaces:DeleteWorkspaceImage",), conditions=PolicyContext.owned),
            # Read before a copy is deleted, to name the accounts it is shared with when WorkSpaces refuses.
            Statement("CopyImagePermissions", ("workspaces:DescribeWorkspaceImagePermissions",)),
        ),
        requires=(CREATING,),
    ),
)
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
        # The stack's own Region as a token renders as AWS::Region, like the image ARNs of the other statements.
        copies = (
            provider.image_arns if region == Stack.of(self).region else image_arn(self, region=region, image_id="*")
        )
        provider.allow(
            COPY,
            named=[
                Named(copies, ("CopyImages", "DeleteOwnCopies", "CopyImagePermissions"), _COPIES_REASON),
                Named(source_arn, ("CopyImages",), _SOURCES_REASON),
            ],
        )

        seconds = timeout_seconds(timeout)
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
        self.resource = provider.serve(self, COPY, properties, removal_policy)
        self.image_id = wait.image_id(self.resource, seconds, "image_id of the copy", "copy.image_id")
        self.wait_condition = wait.wait_condition


def image_arn(scope: Construct, *, region: Optional[str], image_id: str, account: Optional[str] = None) -> str:
    """A workspaceimage ARN; None for the stack's own Region or account."""
    return Stack.of(scope).format_arn(
        service="workspaces", resource="workspaceimage", resource_name=image_id, region=region, account=account
    )
