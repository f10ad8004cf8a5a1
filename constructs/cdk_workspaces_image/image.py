"""``UpdatedWorkspaceImage``: a WorkSpaces image with the latest updates, declared in a CDK stack."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import Any, Optional, Union

from aws_cdk import CfnWaitCondition, CustomResource, Duration, RemovalPolicy, Stack, Token
from aws_cdk import aws_events as events
from constructs import Construct

from cdk_workspaces_image_handler import contract, rules
from cdk_workspaces_image_handler.contract import ImageProps as P

from ._bus import event_bus_problems
from ._copy import ImageCopyBase
from ._events import ImageEvents
from ._kind import CREATING, Permissions, PolicyContext, ResourceKind, Statement
from ._props import (
    duplicate_name_problem,
    enrol,
    enrolled,
    is_token,
    judged,
    judged_accounts,
    judged_number,
    judged_tags,
    judged_timeout,
    refuse,
    removal_policy_problem,
    tag_list,
)
from ._provider import WorkspacesImageProvider
from ._wait import AvailableWait, timeout_seconds
from .bundle import WorkspaceBundleImage
from .copy import WorkspaceImageCopy
from .interfaces import IWorkspaceBundle, IWorkspaceImage, bundle_id_of

# Lets the handler create images, and delete only those this stack made. Service Authorization Reference:
# DeleteWorkspaceImage takes aws:ResourceTag; the new image's id is not known before it exists, so creating is on
# workspaceimage/*.
IMAGE = ResourceKind(
    contract.IMAGE_TYPE,
    Permissions(
        statements=(
            Statement("CreateImages", ("workspaces:CreateUpdatedWorkspaceImage",), PolicyContext.images),
            Statement(
                "DeleteOwnImages", ("workspaces:DeleteWorkspaceImage",), PolicyContext.images, PolicyContext.owned
            ),
            # Read before sharing and before a delete, and to name the accounts an image is shared with.
            Statement("ImagePermissions", ("workspaces:DescribeWorkspaceImagePermissions",), PolicyContext.images),
            # Service Authorization Reference: UpdateWorkspaceImagePermission acts on the workspaceimage, whose
            # resource type takes aws:ResourceTag. Granted to every stack with an image, not only to one that
            # shares now: a template whose list was emptied, or that dropped the sharing image, must still
            # unshare what the earlier template shared (IAM changes before the resources do).
            Statement(
                "ShareOwnImages",
                ("workspaces:UpdateWorkspaceImagePermission",),
                PolicyContext.images,
                PolicyContext.owned,
            ),
        ),
        requires=(CREATING,),
        wildcard_reason=(
            "The id of an updated image is chosen by WorkSpaces when it is created, so it cannot be named in advance; "
            "scoped to workspaceimage ARNs of this account and Region, and deletes to those carrying this stack's "
            "ownership tag"
        ),
    ),
)


class NoUpdateBehavior(enum.Enum):
    """What to do when the source image has no update available."""

    FAIL = "FAIL"
    """Fail the deployment with a message naming the source image."""
    USE_SOURCE = "USE_SOURCE"
    """Succeed with the source image's id; the source image is never modified or deleted."""


class UpdatedWorkspaceImage(ImageEvents, Construct):
    """A new WorkSpaces image made from ``source_image_id`` with the latest updates (CreateUpdatedWorkspaceImage).

    ``image_id`` resolves only once the image is AVAILABLE: whatever references it is created after that.
    A change to ``source_image_id``, ``image_name`` (or ``generation``) or ``description`` makes a new image (a
    replacement); a change to ``tags`` or ``share_with_accounts`` only is applied in place, and one to ``timeout``
    only re-arms the wait.

    :param scope: the parent construct.
    :param construct_id: the construct id.
    :param source_image_id: the image to update (``wsi-`` and 9 to 63 characters of ``[0-9a-z]``); a string or
        a token. Only Windows 10, Server 2016 and Server 2019 images can be updated.
    :param image_name: name of the new image, 1 to 64 characters of ``[a-zA-Z0-9_./()\\-]``; a string or a token.
        Synth refuses a name another image of the app has in the same account and Region. With ``generation``, a
        template holding ``{generation}`` (``golden-{generation}``), whose name is the template filled in.
    :param description: description of the new image, 1 to 256 characters of ``[a-zA-Z0-9_./() -]``.
    :param tags: tags of the new image. Default: no tags. At most 49 (one of the image's 50 is the ownership
        tag ``cdk-workspaces-image:owner``); keys 1 to 127 characters, not starting with ``aws:``, and neither
        ``cdk-workspaces-image:owner`` nor ``cdk-workspaces-image:applied`` (this library's); values at most 255
        characters.
    :param timeout: longest wait for the image to become AVAILABLE before the deployment fails.
        Default: 3 hours. Allowed: 15 minutes to 12 hours.
    :param no_update_behavior: what to do when the source has no update available. Default:
        ``NoUpdateBehavior.FAIL``.
    :param removal_policy: what happens to the image when the resource is deleted or replaced. Default:
        ``RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE`` (kept on stack delete and replacement, deleted only when its
        first deployment rolls back). ``RETAIN`` and ``DESTROY`` are accepted; ``SNAPSHOT`` is not (a custom
        resource has no snapshot).
    :param keep_previous: how many of the images this construct made before the current one to keep. Default:
        None, which keeps every image (as the removal policy says). When a replacement succeeds, the images this
        construct made earlier beyond the ``keep_previous`` most recent are deleted, but never one a bundle uses,
        one shared with an account ``share_with_accounts`` does not name (its own shares are removed first), the
        source image, the image being replaced (the stack may still roll back to it), or one without this
        construct's ownership tag; what was deleted, what was kept and why is logged and put on the default event
        bus, or on ``event_bus`` (``WorkSpaces Image Retention``). A whole number, 0 or more.
    :param generation: the generation of the image, a whole number from 1, filled into ``image_name``'s
        ``{generation}``. Default: None, and ``image_name`` is the name as given. Raising it makes a new image
        with a new name (a replacement) from ``source_image_id``'s latest updates; redeploying the same
        generation changes nothing. Known at synth: it is part of the template.
    :param share_with_accounts: other AWS accounts to share the image with, by 12-digit id. Default: not shared.
        Once the image is AVAILABLE the provider grants each account permission to copy it
        (UpdateWorkspaceImagePermission with AllowCopyImage true) before the stack goes on. A changed list adds and
        removes permissions in place: no new image. Before this construct deletes an image (a replacement's
        cleanup, ``keep_previous`` retention, ``RemovalPolicy.DESTROY``) it removes the permissions it granted, and
        it never deletes an image shared with an account the list does not name. Sharing is within the stack's
        Region only: a recipient copies the image to use it
        (https://docs.aws.amazon.com/workspaces/latest/adminguide/share-custom-image.html), and a BYOL image may
        be shared only with BYOL-enabled accounts of the same organization. Each id once, not the stack's own
        account, and only with ``no_update_behavior`` ``FAIL`` (``USE_SOURCE`` may answer the source image, which
        this construct did not make). A list token (a ``CommaDelimitedList`` parameter), or a token among the ids,
        is judged by the handler at deploy time. Written as the property ``ShareWithAccounts`` only when not empty.
    :param copy_to_regions: other Regions of the account to copy the image to, such as ``["eu-central-1"]``.
        Default: None, no copies. For each Region a ``Custom::WorkspaceImageCopy`` of this stack (under this construct,
        id ``CopyTo`` and the Region in CamelCase, ``CopyToEuCentral1``) copies the image there once it is AVAILABLE
        (CopyWorkspaceImage, called in that Region by this stack's provider) and waits until the copy is AVAILABLE;
        :meth:`image_id_in` gives its id. The copy has the image's name, description, tags, timeout, removal policy
        and ``keep_previous``; a new image makes new copies. Each Region once, known at synth, not the stack's own,
        of the stack's partition; not to or from China (Ningxia), where images are copied only within the Region,
        nor to AWS GovCloud (US), where only AWS Support copies between Regions
        (https://docs.aws.amazon.com/workspaces/latest/adminguide/copy-custom-image.html). Each copy takes an image
        of its Region's quota. The copies are not shared: ``share_with_accounts`` shares the image in this Region.
    :param event_bus: the event bus the provider puts this image's events on (and its copies', and its
        ``apply_to_bundle``'s), and :meth:`on_image_available` and :meth:`on_image_failed` make their rules on. Default:
        None, the account's default bus, where anyone allowed ``events:PutEvents`` in the account can put an event
        with the library's source. With a bus (one of the stack's account and Region), the library adds to the bus's
        policy a statement that denies ``events:PutEvents`` of the source ``cdk-workspaces-image`` to every principal
        but the stack's provider and monitor roles (``AWS::Events::EventBusPolicy``), and the provider's role may put
        events on that bus only. Every image, copy and bundle of a stack names the same bus, or none (they share one
        provider), and a bus carries the events of one stack: synth refuses either, naming both constructs.

    Synth refuses a prop that is None (but for the optional ones) or of another type, naming the construct's path.
    """

    image_id: str
    """The image's id (``wsi-...``), a token that resolves only once the image is AVAILABLE: whatever references it is
    created after that."""
    resource: CustomResource
    """The ``Custom::UpdatedWorkspaceImage`` resource; its physical id and its attribute ``ImageId`` are the image's
    id."""
    wait_condition: CfnWaitCondition
    """The wait for the image to become AVAILABLE, which ``image_id`` references."""
    copies: dict[str, ImageCopyBase]
    """The copies ``copy_to_regions`` makes, by Region in the order given, each with ``image_id``, ``resource``,
    ``wait_condition``, ``on_image_available`` and ``on_image_failed``; :meth:`image_id_in` reads them."""
    generation: Optional[int]
    """The ``generation`` prop; None without one."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source_image_id: str,
        image_name: str,
        description: str,
        tags: Optional[Mapping[str, str]] = None,
        timeout: Optional[Duration] = None,
        no_update_behavior: NoUpdateBehavior = NoUpdateBehavior.FAIL,
        removal_policy: Optional[RemovalPolicy] = None,
        keep_previous: Optional[int] = None,
        generation: Optional[int] = None,
        share_with_accounts: Optional[Sequence[str]] = None,
        copy_to_regions: Optional[Sequence[str]] = None,
        event_bus: Optional[events.IEventBus] = None,
    ) -> None:
        super().__init__(scope, construct_id)
        name = _generation_name(image_name, generation)
        self._validate(
            source_image_id,
            image_name,
            name,
            description,
            tags,
            timeout,
            no_update_behavior,
            removal_policy,
            keep_previous,
            generation,
            share_with_accounts,
            copy_to_regions,
            event_bus,
        )
        # The name the image gets, which the app's other images are compared with.
        self._image_name = name
        # The monitor's generation parameter starts from it.
        self.generation: Optional[int] = generation
        tags = dict(tags or {})

        provider = WorkspacesImageProvider.get_or_create(self)
        provider.put_events_on(self, event_bus)
        self.event_bus = event_bus
        provider.allow(IMAGE)
        provider.register_tag_keys(tags)
        seconds = timeout_seconds(timeout)
        replacing = {
            P.SOURCE_IMAGE_ID: source_image_id,
            P.NAME: name,
            P.DESCRIPTION: description,
            P.TIMEOUT_SECONDS: seconds,
        }
        wait = AvailableWait(self, replacing)
        properties: dict[str, Any] = {
            **replacing,
            P.NO_UPDATE_BEHAVIOR: no_update_behavior.value,
            P.WAIT_HANDLE: wait.handle_ref,
        }
        if keep_previous is not None:
            # Written only when given, so that the templates of stacks that never set it stay as they were. Not a
            # replacing property: it is read when a replacement succeeds.
            properties[P.KEEP_PREVIOUS] = keep_previous if is_token(keep_previous) else int(keep_previous)
        if share_with_accounts:
            # Written only when not empty, so that the templates of stacks that never share stay as they were. Not a
            # replacing property: the handler adds and removes permissions on the image it has.
            properties[P.SHARE_WITH_ACCOUNTS] = list(share_with_accounts)
            provider.template_says(contract.ENV_SHARE_ACCOUNTS, list(share_with_accounts))
        if tags:
            properties[P.TAGS] = tag_list(tags)
        self.resource = provider.serve(self, IMAGE, properties, removal_policy)
        self.image_id: str = wait.image_id(self.resource, seconds, "image_id", "image.image_id")
        self.wait_condition = wait.wait_condition
        # The copies, by Region, in the order given.
        self.copies: dict[str, ImageCopyBase] = {}
        for region in copy_to_regions or ():
            self.copies[region] = self._copy_to(
                region, str(name), description, tags, timeout, removal_policy, keep_previous, provider
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
        return _ImportedWorkspaceImage(scope, construct_id, image_id)

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
        if construct_id is None:
            # The default id is made of the bundle id, which must be a string synth knows; the same id whether the
            # bundle is given by its id or imported, so that switching between the two does not replace anything.
            if not isinstance(bundle_id, str):
                refuse(self, [p for p in [rules.bundle_id_problem(bundle_id)] if p])
            if not Token.is_unresolved(bundle_id):
                construct_id = f"ApplyTo{bundle_id}"
            elif imported is not None:
                construct_id = f"ApplyTo{imported.node.id}"
            else:
                raise ValueError(f"{self.node.path}: apply_to_bundle needs construct_id when bundle_id is a token")
        elif not isinstance(construct_id, str):
            refuse(self, [rules.type_problem("construct_id", construct_id, "a string")])
        return WorkspaceBundleImage(
            self, construct_id, bundle_id=bundle_id, image_id=self.image_id, restore_on_delete=restore_on_delete
        )

    def _validate(
        self,
        source_image_id: object,
        image_name: object,
        name: object,
        description: object,
        tags: object,
        timeout: object,
        no_update_behavior: object,
        removal_policy: object,
        keep_previous: object,
        generation: object,
        share_with_accounts: object,
        copy_to_regions: object,
        event_bus: object,
    ) -> None:
        """Every rule the props break, at once: the handler's rules on each value synth knows (None and wrong
        types included), what a custom resource cannot be, and the names of the app's other images.

        `name` is `image_name` with its generation filled in: the name the handler, and the app's other images,
        see. The generation is synth's alone (the handler sees only the name), so its rule reads the template as
        written, tokens included."""
        problems: list[str] = []
        if is_token(generation):
            problems.append(
                f"generation {generation!r} is a token; it must be a whole number known at synth, since it is part of "
                "the image name and of the template"
            )
        else:
            problems += rules.generation_problems(image_name, generation)
        # A name still holding the placeholder is the generation rule's to name; the name rules would only repeat
        # it in other words (braces are not allowed in a name).
        unfilled = isinstance(name, str) and rules.GENERATION_PLACEHOLDER in name
        keep, keep_problems = judged_number("keep_previous", P.KEEP_PREVIOUS, keep_previous)
        behavior: object = rules.UNKNOWN
        if isinstance(no_update_behavior, NoUpdateBehavior):
            behavior = no_update_behavior.value
        else:
            label = rules.label_of("no_update_behavior", P.NO_UPDATE_BEHAVIOR)
            problems.append(rules.type_problem(label, no_update_behavior, "a NoUpdateBehavior"))
        seconds, timeout_problems = judged_timeout(timeout)
        problems += timeout_problems
        problems = (
            rules.image_problems(
                source_image_id=judged(source_image_id),
                image_name=rules.UNKNOWN if unfilled else judged(name),
                description=judged(description),
                tags={} if tags is None else judged_tags(tags),
                timeout_seconds=seconds,
                no_update_behavior=behavior,
                keep_previous=keep,
                share_with_accounts=judged_accounts(share_with_accounts),
                own_account=judged(Stack.of(self).account),
            )
            + keep_problems
            + copy_to_regions_problems(copy_to_regions, Stack.of(self).region)
            + event_bus_problems(self, event_bus)
            + problems
        )
        # A copy made in this stack's Region takes a name there too.
        made: list[Union[UpdatedWorkspaceImage, WorkspaceImageCopy]] = [
            *enrolled(self, UpdatedWorkspaceImage),
            *enrolled(self, WorkspaceImageCopy),
        ]
        others = [(image, image._image_name) for image in made]
        # Whether WorkSpaces lets two images share a name is undocumented, but CreateUpdatedWorkspaceImage lists
        # ResourceAlreadyExistsException (https://docs.aws.amazon.com/workspaces/latest/api/API_CreateUpdatedWorkspaceImage.html),
        # and the handler finds the image a retry made by its name.
        duplicate = duplicate_name_problem(self, "image", "image_name", P.NAME, name, others)
        refuse(self, problems + [p for p in (removal_policy_problem(removal_policy), duplicate) if p])


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


def _copy_id(region: str) -> str:
    """The construct id of the copy in `region`: eu-central-1 gives CopyToEuCentral1, stable as long as the Region."""
    return "CopyTo" + "".join(part.capitalize() for part in region.split("-"))


def _generation_name(image_name: object, generation: object) -> object:
    """The name of the image of this generation; `image_name` as given where the generation rule refuses the pair
    (which :meth:`UpdatedWorkspaceImage._validate` then reports)."""
    if not isinstance(image_name, str) or not (generation is None or isinstance(generation, int)):
        return image_name
    if rules.generation_problems(image_name, generation):
        return image_name
    return rules.generation_name(image_name, generation)


class _ImportedWorkspaceImage(Construct):
    """An image known by its id alone: see ``UpdatedWorkspaceImage.from_image_id``."""

    def __init__(self, scope: Construct, construct_id: str, image_id: str) -> None:
        super().__init__(scope, construct_id)
        refuse(self, rules.bundle_image_problems(image_id=judged(image_id)))
        self.image_id = image_id
