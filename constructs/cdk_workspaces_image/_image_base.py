"""What every image a stack makes has, however WorkSpaces makes it: the custom resource and its wait for AVAILABLE,
tags, retention, sharing, copies to other Regions, events, bundles, and the rules those props follow at synth.

``UpdatedWorkspaceImage`` (image.py), ``CapturedWorkspaceImage`` (captured.py), ``ImportedWorkspaceImage``
(imported.py) and ``ImageBuilderWorkspaceImage`` (image_builder.py) are this base with their own source props,
their own ResourceKind and their own rules.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Optional, Union

from aws_cdk import CfnWaitCondition, CustomResource, Duration, RemovalPolicy, Stack, Token
from aws_cdk import aws_events as events
from constructs import Construct

from cdk_workspaces_image_handler import contract, rules
from cdk_workspaces_image_handler.contract import MadeImageProps as M

from ._bus import event_bus_problems
from ._copy import ImageCopyBase
from ._events import ImageEvents
from ._kind import CREATING, Named, Permissions, PolicyContext, ResourceKind, Statement
from ._props import (
    agnostic_region_problem,
    construct_id_problem,
    duplicate_name_problem,
    enrol,
    is_token,
    judged,
    judged_accounts,
    judged_number,
    judged_tags,
    judged_text,
    judged_timeout,
    place,
    refuse,
    removal_policy_problem,
    tag_list,
)
from ._provider import WorkspacesImageProvider
from ._wait import AvailableWait, timeout_seconds
from .bundle import WorkspaceBundleImage, managed_bundle_problem
from .copy import named_images
from .interfaces import IWorkspaceBundle, IWorkspaceImage, bundle_id_of

# What the handler may do to the images any image type of the stack made, granted once after that type's own
# statements. Service Authorization Reference for Amazon WorkSpaces
# (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonworkspaces.html):
# DeleteWorkspaceImage and UpdateWorkspaceImagePermission act on the workspaceimage, whose resource type takes
# aws:ResourceTag, so writes are limited to the images carrying this stack's ownership tag.
OWNED_IMAGES = Permissions(
    statements=(
        Statement("DeleteOwnImages", ("workspaces:DeleteWorkspaceImage",), PolicyContext.images, PolicyContext.owned),
        # Read before sharing and before a delete, and to name the accounts an image is shared with.
        Statement("ImagePermissions", ("workspaces:DescribeWorkspaceImagePermissions",), PolicyContext.images),
        # Granted to every stack with an image, not only to one that shares now: a template whose list was emptied,
        # or that dropped the sharing image, must still unshare what the earlier template shared (IAM changes before
        # the resources do).
        Statement(
            "ShareOwnImages",
            ("workspaces:UpdateWorkspaceImagePermission",),
            PolicyContext.images,
            PolicyContext.owned,
        ),
    ),
    requires=(CREATING,),
    wildcard_reason=(
        "An image's id is chosen by WorkSpaces when it is made, so it cannot be named in advance; scoped to "
        "workspaceimage ARNs of this account and Region, and deletes and sharing to those carrying this stack's "
        "ownership tag"
    ),
)


def image_kind(type_name: str, *statements: Statement, wildcard_reason: str) -> ResourceKind:
    """The ResourceKind of an image type: its own statements (how it is made), tagging at creation first and
    OWNED_IMAGES after."""
    return ResourceKind(
        type_name,
        Permissions(
            statements=statements,
            requires=(CREATING,),
            followed_by=(OWNED_IMAGES,),
            wildcard_reason=wildcard_reason,
        ),
    )


class WorkspaceImageBase(ImageEvents, Construct):
    """An image this stack makes; each type's ``__init__`` judges its props (:meth:`_refuse_problems`), then
    :meth:`_make`."""

    image_id: str
    """The image's id (``wsi-...``), a token that resolves only once the image is AVAILABLE: whatever references it is
    created after that."""
    resource: CustomResource
    """The image's custom resource; its physical id and its attribute ``ImageId`` are the image's id."""
    wait_condition: CfnWaitCondition
    """The wait for the image to become AVAILABLE, which ``image_id`` references."""
    copies: dict[str, ImageCopyBase]
    """The copies ``copy_to_regions`` makes, by Region in the order given, each with ``image_id``, ``resource``,
    ``wait_condition``, ``on_image_available`` and ``on_image_failed``; :meth:`image_id_in` reads them."""

    # The name the image gets, which the app's other images are compared with.
    _image_name: object

    def _refuse_problems(
        self,
        first: list[str],
        then: list[str],
        *,
        name: object,
        name_api: str,
        copy_to_regions: object,
        event_bus: object,
        removal_policy: object,
    ) -> None:
        """Fail synth with every rule the props break at once: `first` (the type's rules on its values), the Regions
        to copy to and the bus, `then` (what only synth judges), the removal policy, and a name another image of the
        app has in the same account and Region."""
        copies = copy_to_regions_problems(copy_to_regions, Stack.of(self).region)
        # In an environment-agnostic stack, the Regions that can make the copies, which the stack's other constructs
        # must leave one of.
        what = f"{rules.COPY_TO_REGIONS_LABEL} {copy_to_regions!r}"
        sources = None
        if isinstance(copy_to_regions, Sequence) and not isinstance(copy_to_regions, str) and copy_to_regions:
            sources = None if copies else rules.copy_sources([str(r) for r in copy_to_regions])
        together = agnostic_region_problem(self, what, sources) if sources is not None else None
        problems = first + copies + event_bus_problems(self, event_bus) + then
        # Whether WorkSpaces lets two images share a name is undocumented, but CreateUpdatedWorkspaceImage lists
        # ResourceAlreadyExistsException (https://docs.aws.amazon.com/workspaces/latest/api/API_CreateUpdatedWorkspaceImage.html),
        # and the handler finds the image a retry made by its name.
        duplicate = duplicate_name_problem(self, "image", "image_name", name_api, name, named_images(self))
        refuse(self, problems + [p for p in (together, removal_policy_problem(removal_policy), duplicate) if p])
        if sources is not None:
            place(self, what, sources)

    def _made_problems(
        self,
        *,
        name_api: str,
        description_api: str,
        image_name: object,
        description: object,
        tags: object,
        timeout: object,
        keep_previous: object,
        share_with_accounts: object,
    ) -> list[str]:
        """The rules every image type made from something other than a WorkSpaces image shares, in the handler's
        words (rules.made_image_problems)."""
        keep, keep_problems = judged_number("keep_previous", M.KEEP_PREVIOUS, keep_previous)
        seconds, timeout_problems = judged_timeout(timeout)
        return (
            rules.made_image_problems(
                name_api=name_api,
                description_api=description_api,
                image_name=judged(image_name),
                description=judged(description),
                tags={} if tags is None else judged_tags(tags),
                timeout_seconds=seconds,
                keep_previous=keep,
                share_with_accounts=judged_accounts(share_with_accounts),
                own_account=judged(Stack.of(self).account),
            )
            + keep_problems
            + timeout_problems
        )

    def _judge_and_make(
        self,
        kind: ResourceKind,
        own: list[str],
        types: list[str],
        source: Callable[[], Mapping[str, Any]],
        *,
        name_api: str,
        description_api: str,
        image_name: str,
        description: str,
        tags: Optional[Mapping[str, str]],
        timeout: Optional[Duration],
        removal_policy: Optional[RemovalPolicy],
        keep_previous: Optional[int],
        share_with_accounts: Optional[Sequence[str]],
        copy_to_regions: Optional[Sequence[str]],
        event_bus: Optional[events.IEventBus],
        named: Callable[[], Iterable[Named]] = tuple,
    ) -> None:
        """An image type made from something other than a WorkSpaces image: `own` (the rules on its source, in the
        handler's words) and `types` (wrong types synth found) with the rules every such type shares, refused at
        once; then the resource, its `source` properties and the ARNs it `named` (ARNs of the values) read only once
        the props are judged."""
        self._refuse_problems(
            own
            + self._made_problems(
                name_api=name_api,
                description_api=description_api,
                image_name=image_name,
                description=description,
                tags=tags,
                timeout=timeout,
                keep_previous=keep_previous,
                share_with_accounts=share_with_accounts,
            ),
            types,
            name=image_name,
            name_api=name_api,
            copy_to_regions=copy_to_regions,
            event_bus=event_bus,
            removal_policy=removal_policy,
        )
        self._make(
            kind,
            source=source(),
            name_key=name_api,
            description_key=description_api,
            name=image_name,
            description=description,
            after={},
            tags=tags,
            timeout=timeout,
            removal_policy=removal_policy,
            keep_previous=keep_previous,
            share_with_accounts=share_with_accounts,
            copy_to_regions=copy_to_regions,
            event_bus=event_bus,
            named=named(),
        )

    def _make(
        self,
        kind: ResourceKind,
        *,
        source: Mapping[str, Any],
        name_key: str,
        description_key: str,
        name: str,
        description: str,
        after: Mapping[str, Any],
        tags: Optional[Mapping[str, str]],
        timeout: Optional[Duration],
        removal_policy: Optional[RemovalPolicy],
        keep_previous: Optional[int],
        share_with_accounts: Optional[Sequence[str]],
        copy_to_regions: Optional[Sequence[str]],
        event_bus: Optional[events.IEventBus],
        named: Iterable[Named] = (),
    ) -> None:
        """The custom resource of `kind`, its wait and its copies, from judged props.

        The properties in template order: `source` (what the image is made from), the name, the description and the
        timeout (together the replacing properties, which the wait's logical ids follow), then `after`, the wait
        handle, and the optional ones only when given, so that the templates of stacks that never set them stay
        as they were. `named`: ARNs this construct adds to its kind's statements.
        """
        self._image_name = name
        tags = dict(tags or {})
        provider = WorkspacesImageProvider.get_or_create(self)
        provider.put_events_on(self, event_bus)
        self.event_bus = event_bus
        provider.allow(kind, named=named)
        provider.register_tag_keys(tags)
        seconds = timeout_seconds(timeout)
        replacing = {**source, name_key: name, description_key: description, M.TIMEOUT_SECONDS: seconds}
        wait = AvailableWait(self, replacing)
        properties: dict[str, Any] = {**replacing, **after, M.WAIT_HANDLE: wait.handle_ref}
        if keep_previous is not None:
            # Not a replacing property: it is read when a replacement succeeds.
            properties[M.KEEP_PREVIOUS] = keep_previous if is_token(keep_previous) else int(keep_previous)
        if share_with_accounts:
            # Not a replacing property: the handler adds and removes permissions on the image it has.
            properties[M.SHARE_WITH_ACCOUNTS] = list(share_with_accounts)
            provider.template_says(contract.ENV_SHARE_ACCOUNTS, list(share_with_accounts))
        if tags:
            properties[M.TAGS] = tag_list(tags)
        self.resource = provider.serve(self, kind, properties, removal_policy)
        self.image_id = wait.image_id(self.resource, seconds, "image_id", "image.image_id")
        self.wait_condition = wait.wait_condition
        self.copies = {}
        for region in copy_to_regions or ():
            self.copies[region] = self._copy_to(
                region, name, description, tags, timeout, removal_policy, keep_previous, provider
            )
        enrol(self)

    def _copy_to(
        self,
        region: str,
        name: str,
        description: str,
        tags: Mapping[str, str],
        timeout: Optional[Duration],
        removal_policy: Optional[RemovalPolicy],
        keep_previous: Optional[int],
        provider: WorkspacesImageProvider,
    ) -> ImageCopyBase:
        """The copy in `region`, made by this stack's provider (CopyWorkspaceImage is called in `region`): the
        image's name (names are per Region), description, tags, timeout, removal policy and retention."""
        copy = ImageCopyBase(self, _copy_id(region))
        stack = Stack.of(self)
        copy._make(
            source_image_id=self.image_id,
            source_region=stack.region,
            region=region,
            image_name=name,
            description=description,
            tags=tags,
            timeout=timeout,
            removal_policy=removal_policy,
            keep_previous=keep_previous,
            # The source is this stack's image: of this account and Region, its id unknown until it is made.
            source_arn=provider.image_arns,
            event_bus=self.event_bus,
        )
        return copy

    def image_id_in(self, region: str) -> str:
        """The id of the image in `region`: ``image_id`` in the stack's own Region, else the id of the copy that
        ``copy_to_regions`` makes there, which resolves only once that copy is AVAILABLE.

        :param region: the stack's Region, or one of ``copy_to_regions``.
        :raises ValueError: for any other Region, naming the Regions the image is in.
        """
        if region == Stack.of(self).region:
            return self.image_id
        copy = self.copies.get(region) if isinstance(region, str) else None
        if copy is None:
            own = Stack.of(self).region
            known = " (known only at deploy time)" if Token.is_unresolved(own) else f" {own}"
            here = f"the stack's own Region{known}"
            copied = f"copied to {', '.join(self.copies)}" if self.copies else "copied to no other Region"
            raise ValueError(
                f"{self.node.path}: image_id_in({region!r}): the image is in {here} and {copied}; "
                "add the Region to copy_to_regions"
            )
        return copy.image_id

    @classmethod
    def from_image_id(cls, scope: Construct, construct_id: str, image_id: str) -> IWorkspaceImage:
        """An image made elsewhere (another stack, account or pipeline, or by hand), to build bundles on.

        Nothing is created, and this stack never changes or deletes the image. A bundle on it does not wait for
        anything: the image must be AVAILABLE when the bundle is deployed.

        :param scope: the parent construct.
        :param construct_id: the construct id.
        :param image_id: ``wsi-`` and 9 to 63 of ``[0-9a-z]``; a token (an SSM parameter read at deploy time, for
            example) is checked at deploy time.
        """
        return _ImageById(scope, construct_id, image_id)

    def apply_to_bundle(
        self,
        bundle_id: Union[str, IWorkspaceBundle],
        *,
        restore_on_delete: bool = False,
        construct_id: Optional[str] = None,
    ) -> WorkspaceBundleImage:
        """Point an existing bundle that this stack does not manage at this image (UpdateWorkspaceBundle).

        The bundle's previous image is recorded. Existing WorkSpaces pick up the new image only when rebuilt.

        :param bundle_id: the bundle: one imported with ``WorkspaceBundle.from_bundle_id``, or its id, ``wsb-...``.
            One of your custom bundles, not one a ``WorkspaceBundle`` manages.
        :param restore_on_delete: Default ``False``: deleting the stack leaves the bundle on this image (only a
            rollback of the deployment that first applied it restores the previous one). ``True``: deleting the
            stack, or moving to another bundle, points the bundle back at its previous image.
        :param construct_id: id of the new construct under this one. Default: ``ApplyTo`` and the bundle id, or, when
            the id is a token, ``ApplyTo`` and the id of the imported bundle's construct; required when ``bundle_id``
            is a token string.
        """
        imported = bundle_id if isinstance(bundle_id, IWorkspaceBundle) else None
        bundle_id = bundle_id_of(bundle_id)
        # The real problem first: the bundle_id of a WorkspaceBundle is a token, so naming it would otherwise ask for
        # a construct_id, and only once given say that this bundle can't be re-pointed at all.
        managed = managed_bundle_problem(self, bundle_id)
        if managed:
            refuse(self, [f"apply_to_bundle: {managed}"])
        if construct_id is None:
            # The default id is made of the bundle id, which must be a string synth knows; the same id whether the
            # bundle is given by its id or imported, so that switching between the two does not replace anything.
            if not isinstance(bundle_id, str):
                refuse(self, [p for p in [rules.bundle_id_problem(judged_text(bundle_id))] if p])
            if not Token.is_unresolved(bundle_id):
                construct_id = f"ApplyTo{bundle_id}"
            elif imported is not None:
                construct_id = f"ApplyTo{imported.node.id}"
            else:
                raise ValueError(f"{self.node.path}: apply_to_bundle needs construct_id when bundle_id is a token")
            taken = self.node.try_find_child(construct_id)
            if taken is not None:
                already = f"this image is already applied to that bundle ({taken.node.path}); apply it once"
                refuse(self, [f"apply_to_bundle: {already}"])
        else:
            refuse(self, [f"apply_to_bundle: {p}" for p in [construct_id_problem(self, construct_id)] if p])
        return WorkspaceBundleImage(
            self, construct_id, bundle_id=bundle_id, image_id=self.image_id, restore_on_delete=restore_on_delete
        )


def copy_to_regions_problems(regions: object, own_region: str) -> list[str]:
    """The contract's rules on copy_to_regions, and what only synth refuses: a Region it does not know, since each
    Region names a construct and a resource of the template (CloudFormation makes no resources from a list)."""
    label = rules.COPY_TO_REGIONS_LABEL
    # A list of names, each token UNKNOWN (judged_accounts judges any list of strings so).
    judged_regions = judged_accounts(regions)
    if judged_regions is rules.UNKNOWN:
        return [f"{label} is a list token; it must be a list of Region names known at synth, one copy each"]
    tokens = [
        f"{label} names the token {region!r}; each Region must be known at synth, since it names the copy's resource"
        for region in (regions if isinstance(regions, Sequence) and not isinstance(regions, (str, bytes)) else ())
        if is_token(region)
    ]
    return rules.copy_to_regions_problems(judged_regions, own_region=judged(own_region)) + tokens


def enum_value(
    problems: list[str], python_name: str, api_name: str, value: object, enum_type: type[enum.Enum]
) -> object:
    """The value of an enum prop for the contract's rules; a value of another type is a problem named here (the rules
    then skip it as UNKNOWN), None as given (for the rule to say whether it may be left out)."""
    if value is None:
        return None
    if isinstance(value, enum_type):
        return value.value
    name = enum_type.__name__
    article = "an" if name[0] in "AEIOU" else "a"
    problems.append(rules.type_problem(rules.label_of(python_name, api_name), value, f"{article} {name}"))
    return rules.UNKNOWN


def _copy_id(region: str) -> str:
    """The construct id of the copy in `region`: eu-central-1 gives CopyToEuCentral1, stable as long as the Region."""
    return "CopyTo" + "".join(part.capitalize() for part in region.split("-"))


class _ImageById(Construct):
    """An image known by its id alone: see ``WorkspaceImageBase.from_image_id``."""

    def __init__(self, scope: Construct, construct_id: str, image_id: str) -> None:
        super().__init__(scope, construct_id)
        refuse(self, rules.bundle_image_problems(image_id=judged_text(image_id)))
        self.image_id = image_id
