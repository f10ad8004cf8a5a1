"""``WorkspaceImageCopy``: a copy, in this stack's account and Region, of an image of another Region of the account or
of an image another account shares with this one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Optional, Union

from aws_cdk import Duration, RemovalPolicy, Stack, Token
from aws_cdk import aws_events as events
from constructs import Construct

from cdk_workspaces_image_handler import rules
from cdk_workspaces_image_handler.contract import CopyProps as P

from ._bus import event_bus_problems
from ._copy import ImageCopyBase, image_arn
from ._props import (
    agnostic_region_problem,
    duplicate_name_problem,
    enrol,
    enrolled,
    is_token,
    judged,
    judged_number,
    judged_tags,
    judged_text,
    judged_timeout,
    place,
    refuse,
    removal_policy_problem,
)
from .interfaces import IWorkspaceImage, image_id_of


class WorkspaceImageCopy(ImageCopyBase):
    """A copy of an image, made in this stack's account and Region (CopyWorkspaceImage, called in this Region).

    The source is an image of another Region of this account (``source_region``), or, with ``source_region`` left
    out, an image of this Region: one another account shares with this one (the consumer side of
    ``share_with_accounts``: copy the shared image, then build bundles on the copy, since a bundle cannot use a
    shared image itself), or one of this account.

    ``image_id`` resolves only once the copy is AVAILABLE: whatever references it is created after that. A change to
    ``source_image_id``, ``source_region``, ``image_name`` or ``description`` makes a new copy (a replacement); one
    to ``tags`` only is applied in place, and one to ``timeout`` only re-arms the wait. It is an ``IWorkspaceImage``:
    ``WorkspaceBundle(image_id=copy)`` builds a bundle on it.

    :param scope: the parent construct.
    :param construct_id: the construct id.
    :param source_image_id: the image to copy: ``wsi-`` and 9 to 63 characters of ``[0-9a-z]``, a token, or an
        ``IWorkspaceImage`` (an image made in this app, or one imported with ``UpdatedWorkspaceImage.from_image_id``).
        A shared image is known only by its id: verify that the account sharing it is the one you expect
        (DescribeWorkspaceImages, DescribeWorkspaceImagePermissions).
    :param image_name: name of the copy, 1 to 64 characters of ``[a-zA-Z0-9_./()\\-]``; a string or a token. Synth
        refuses a name another image or copy of the app has in the same account and Region.
    :param description: description of the copy, 1 to 256 characters of ``[a-zA-Z0-9_./() -]``.
    :param source_region: the Region of the source image, such as ``eu-west-1``. Default: None, the stack's Region (a
        shared image, which is shared within its Region only). A Region botocore's endpoint data lists WorkSpaces in
        (as is the stack's). Images are copied within one partition only; in the China (Ningxia) Region only within
        that Region, and to or from AWS GovCloud (US) only through AWS Support.
    :param tags: tags of the copy. Default: no tags. At most 49 (one of the image's 50 is the ownership tag
        ``cdk-workspaces-image:owner``); keys 1 to 127 characters, not starting with ``aws:``, and neither
        ``cdk-workspaces-image:owner`` nor ``cdk-workspaces-image:applied``; values at most 255 characters. The
        source's tags are not copied.
    :param timeout: longest wait for the copy to become AVAILABLE before the deployment fails. Default: 3 hours.
        Allowed: 15 minutes to 12 hours.
    :param removal_policy: what happens to the copy when the resource is deleted or replaced. Default:
        ``RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE`` (kept on stack delete and replacement, deleted only when its
        first deployment rolls back). ``RETAIN`` and ``DESTROY`` are accepted; ``SNAPSHOT`` is not (a custom resource
        has no snapshot). The source image is never deleted.
    :param source_account: the 12-digit id of the account that must own the source image. Default: None, no check.
        Set it for a shared image: before anything is copied the provider reads the source (DescribeWorkspaceImages)
        and fails, copying nothing, when another account owns it; WorkSpaces asks to verify who shares an image
        before copying it.
    :param keep_previous: how many of the copies this construct made before the current one to keep when a
        replacement succeeds. Default: None, which keeps every copy (as the removal policy says). A whole number, 0 or
        more; a copy a bundle uses, the copy being replaced, or one without this construct's ownership tag is never
        deleted.
    :param event_bus: the event bus the provider puts this copy's events on, and :meth:`on_image_available` and
        :meth:`on_image_failed` make their rules on. Default: None, the account's default bus. With a bus, the
        library adds to its policy a statement that keeps the library's source to the stack's provider and monitor
        roles; see ``UpdatedWorkspaceImage``'s ``event_bus``. Every image, copy and bundle of a stack names the same
        bus, or none.

    Synth refuses a prop that is None (but for the optional ones) or of another type, naming the construct's path.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source_image_id: Union[str, IWorkspaceImage],
        image_name: str,
        description: str,
        source_region: Optional[str] = None,
        tags: Optional[Mapping[str, str]] = None,
        timeout: Optional[Duration] = None,
        removal_policy: Optional[RemovalPolicy] = None,
        keep_previous: Optional[int] = None,
        source_account: Optional[str] = None,
        event_bus: Optional[events.IEventBus] = None,
    ) -> None:
        super().__init__(scope, construct_id)
        source_id = image_id_of(source_image_id)
        stack = Stack.of(self)
        self._validate(
            source_id,
            source_region,
            image_name,
            description,
            tags,
            timeout,
            removal_policy,
            keep_previous,
            source_account,
            event_bus,
        )
        self._make(
            source_image_id=source_id,
            source_region=stack.region if source_region is None else source_region,
            region=stack.region,
            image_name=image_name,
            description=description,
            tags=tags,
            timeout=timeout,
            removal_policy=removal_policy,
            keep_previous=keep_previous,
            source_arn=_source_arn(self, source_id, source_region),
            source_account=source_account,
            event_bus=event_bus,
        )
        enrol(self)

    def _validate(
        self,
        source_image_id: object,
        source_region: object,
        image_name: object,
        description: object,
        tags: object,
        timeout: object,
        removal_policy: object,
        keep_previous: object,
        source_account: object,
        event_bus: object,
    ) -> None:
        """Every rule the props break, at once: the handler's rules on each value synth knows (None and wrong types
        included), what a custom resource cannot be, and the names of the app's other images of this Region."""
        problems: list[str] = []
        own_region = judged(Stack.of(self).region)
        keep, keep_problems = judged_number("keep_previous", P.KEEP_PREVIOUS, keep_previous)
        seconds, timeout_problems = judged_timeout(timeout)
        problems += timeout_problems
        problems = (
            rules.copy_problems(
                source_image_id=judged_text(source_image_id),
                # Left out, the source is in the stack's own Region, whatever it is.
                source_region=own_region if source_region is None else judged_text(source_region),
                region=own_region,
                image_name=judged(image_name),
                description=judged(description),
                tags={} if tags is None else judged_tags(tags),
                timeout_seconds=seconds,
                keep_previous=keep,
                source_account=None if source_account is None else judged(source_account),
            )
            + keep_problems
            + event_bus_problems(self, event_bus)
            + problems
        )
        duplicate = duplicate_name_problem(self, "image", "image_name", P.NAME, image_name, named_images(self))
        # In an environment-agnostic stack, a source Region says which Regions the copy can be made in (its own, or
        # one it is copied to from there), which the stack's other constructs must leave one of.
        what = f"source_region ({P.SOURCE_REGION}) {source_region!r}"
        known = isinstance(source_region, str) and not is_token(source_region) and not problems
        targets = [r for r in rules.WORKSPACES_REGIONS if not rules.copy_route_problem(str(source_region), r, "")]
        together = agnostic_region_problem(self, what, targets) if known else None
        refuse(self, problems + [p for p in (removal_policy_problem(removal_policy), duplicate, together) if p])
        if known:
            place(self, what, targets)


def named_images(scope: Construct) -> list[tuple[Construct, object]]:
    """The images and copies of the app made in their stack's Region, with their names: those a name may clash
    with. Imported here, not at the top: _image_base.py makes the copies of copy_to_regions from this module's base."""
    from ._image_base import WorkspaceImageBase

    made: list[Union[WorkspaceImageCopy, WorkspaceImageBase]] = [
        *enrolled(scope, WorkspaceImageBase),
        *enrolled(scope, WorkspaceImageCopy),
    ]
    return [(other, other._image_name) for other in made]


def _source_arn(scope: Construct, source_image_id: str, source_region: Optional[str]) -> str:
    """What the policy allows copying from. The owner of the source is not known: another account's shared image is
    named by its owner's account (undocumented, like a bundle's shared image, bundle.BUNDLE_IMAGES), and an
    image of this account by this one, so the account is left open. A literal id names the one image; a token (an
    image of this stack, whose id does not exist when the policy is made, or a parameter) any image of its Region."""
    known = isinstance(source_image_id, str) and not Token.is_unresolved(source_image_id)
    return image_arn(scope, region=source_region, account="*", image_id=source_image_id if known else "*")
