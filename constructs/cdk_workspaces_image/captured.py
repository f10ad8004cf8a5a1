"""``CapturedWorkspaceImage``: an image of a WorkSpace you configured, declared in a CDK stack
(CreateWorkspaceImage)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Optional

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_events as events
from constructs import Construct

from cdk_workspaces_image_handler import contract, rules
from cdk_workspaces_image_handler.contract import CapturedProps as P

from ._image_base import WorkspaceImageBase, image_kind
from ._kind import Named, PolicyContext, Statement
from ._props import judged_text

# Service Authorization Reference for Amazon WorkSpaces
# (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonworkspaces.html):
# CreateWorkspaceImage takes two resources, the workspaceid and the new workspaceimage. The new image's id is not
# known before it exists (workspaceimage/*); each construct names the one WorkSpace it captures.
CAPTURED = image_kind(
    contract.CAPTURED_TYPE,
    Statement("CaptureWorkspaces", ("workspaces:CreateWorkspaceImage",), PolicyContext.images),
    wildcard_reason=(
        "The id of a captured image is chosen by WorkSpaces when it is made, so it cannot be named in advance; "
        "scoped to workspaceimage ARNs of this account and Region, and to the WorkSpaces this stack's constructs name"
    ),
)


class CapturedWorkspaceImage(WorkspaceImageBase):
    """A new WorkSpaces image captured from a WorkSpace you configured (CreateWorkspaceImage).

    The WorkSpace must be AVAILABLE with modification state None
    (https://docs.aws.amazon.com/workspaces/latest/api/API_CreateWorkspaceImage.html); this stack never changes or
    deletes it. ``image_id`` resolves only once the image is AVAILABLE. A change to ``workspace_id``, ``image_name``
    or ``description`` makes a new image (a replacement); one to ``tags`` or ``share_with_accounts`` is applied in
    place, and one to ``timeout`` only re-arms the wait.

    :param scope: the parent construct.
    :param construct_id: the construct id.
    :param workspace_id: the WorkSpace to capture, ``ws-`` and 8 to 63 characters of ``[0-9a-z]``; a string or a
        token. The provider's role may call CreateWorkspaceImage on this WorkSpace only.
    :param image_name: name of the new image, 1 to 64 characters of ``[a-zA-Z0-9_./()\\-]``; unique among the app's
        images of the same account and Region.
    :param description: description of the new image, 1 to 256 characters of ``[a-zA-Z0-9_./() -]``.
    :param tags: tags of the new image. Default: no tags. The rules of ``UpdatedWorkspaceImage``'s ``tags``.
    :param timeout: longest wait for the image to become AVAILABLE. Default: 3 hours. Allowed: 15 minutes to 12 hours.
    :param removal_policy: Default: ``RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE``; as for ``UpdatedWorkspaceImage``.
    :param keep_previous: how many earlier images of this construct to keep after a replacement. Default: None, keep
        them all; as for ``UpdatedWorkspaceImage``.
    :param share_with_accounts: accounts to share the image with. Default: not shared; as for
        ``UpdatedWorkspaceImage``.
    :param copy_to_regions: other Regions to copy the image to. Default: no copies; as for ``UpdatedWorkspaceImage``.
    :param event_bus: the bus the provider puts this image's events on. Default: the account's default bus; as for
        ``UpdatedWorkspaceImage``.

    Synth refuses a prop that is None (but for the optional ones) or of another type, naming the construct's path.
    """

    workspace_id: str
    """The ``workspace_id`` prop: the WorkSpace the image is captured from."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        workspace_id: str,
        image_name: str,
        description: str,
        tags: Optional[Mapping[str, str]] = None,
        timeout: Optional[Duration] = None,
        removal_policy: Optional[RemovalPolicy] = None,
        keep_previous: Optional[int] = None,
        share_with_accounts: Optional[Sequence[str]] = None,
        copy_to_regions: Optional[Sequence[str]] = None,
        event_bus: Optional[events.IEventBus] = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.workspace_id = workspace_id
        self._judge_and_make(
            CAPTURED,
            rules.captured_problems(workspace_id=judged_text(workspace_id)),
            [],
            lambda: {P.WORKSPACE_ID: workspace_id},
            name_api=P.NAME,
            description_api=P.DESCRIPTION,
            image_name=image_name,
            description=description,
            tags=tags,
            timeout=timeout,
            removal_policy=removal_policy,
            keep_previous=keep_previous,
            share_with_accounts=share_with_accounts,
            copy_to_regions=copy_to_regions,
            event_bus=event_bus,
            # Once judged: an ARN of a workspace_id of another type would fail in CDK, naming no construct.
            named=lambda: [Named(_workspace_arn(self, workspace_id), ("CaptureWorkspaces",))],
        )


def _workspace_arn(scope: Construct, workspace_id: str) -> str:
    return Stack.of(scope).format_arn(service="workspaces", resource="workspace", resource_name=workspace_id)
