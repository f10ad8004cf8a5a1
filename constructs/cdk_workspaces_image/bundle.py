"""``WorkspaceBundle`` and ``WorkspaceBundleImage``: the bundle that launches WorkSpaces from an image."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, Optional, Union

from aws_cdk import CfnElement, CustomResource, RemovalPolicy, Stack, Token, Tokenization
from aws_cdk import aws_events as events
from constructs import Construct

from cdk_workspaces_image_handler import contract, rules
from cdk_workspaces_image_handler.contract import BundleImageProps
from cdk_workspaces_image_handler.contract import BundleProps as P

from ._bus import event_bus_problems
from ._exports import warn_on_exports
from ._kind import CREATING, Named, Permissions, PolicyContext, ResourceKind, Statement
from ._props import (
    duplicate_name_problem,
    enrol,
    enrolled,
    judged,
    judged_number,
    judged_tags,
    judged_text,
    refers_to,
    refuse,
    region_of,
    removal_policy_problem,
    tag_list,
)
from ._provider import WorkspacesImageProvider
from .interfaces import IWorkspaceBundle, IWorkspaceImage, bundle_id_of, image_id_of


def _usable_images(context: PolicyContext) -> str:
    return context.arns("workspaceimage", "*", account="*")


def _bundles(context: PolicyContext) -> str:
    return context.arns("workspacebundle", "*")


# The image a bundle is created on or moved to, authorized on its own: any image this account may use, its own or one
# another account shares with it (which IAM names by its owner's account: undocumented, so the account is left open),
# since a bundle may use an image this stack did not make. A bundle and apply_to_bundle both require it.
BUNDLE_IMAGES = Permissions(
    statements=(
        Statement(
            "BundleImages", ("workspaces:CreateWorkspaceBundle", "workspaces:UpdateWorkspaceBundle"), _usable_images
        ),
    ),
    wildcard_reason=(
        "A bundle may be created on, or moved to, any image this account may use: its own, made by another stack, or "
        "shared with it; scoped to this Region, images only, and to the two bundle actions, whose bundle side is "
        "limited by its own statement"
    ),
)

# Lets the handler create bundles, and re-point and delete only those this stack made. Service Authorization
# Reference: Create/UpdateWorkspaceBundle act on a workspacebundle and the workspaceimage it uses, each authorized with
# its own tags (BundleImages); DeleteWorkspaceBundle on the workspacebundle alone.
BUNDLE = ResourceKind(
    contract.BUNDLE_TYPE,
    Permissions(
        statements=(
            Statement("CreateBundles", ("workspaces:CreateWorkspaceBundle",), _bundles),
            Statement("UpdateOwnBundles", ("workspaces:UpdateWorkspaceBundle",), _bundles, PolicyContext.owned),
            Statement("DeleteOwnBundles", ("workspaces:DeleteWorkspaceBundle",), _bundles, PolicyContext.owned),
        ),
        requires=(CREATING, BUNDLE_IMAGES),
        wildcard_reason=(
            "The id of a new bundle is chosen by WorkSpaces when it is created, so it cannot be named in advance; "
            "scoped to workspacebundle ARNs of this account and Region"
        ),
    ),
)

# Lets the handler point bundles the stack does not manage at images (apply_to_bundle): no delete. Each re-pointed
# bundle adds its ARN (Named). The handler also tags the bundle with the marker a retried request reads.
REPOINT = ResourceKind(
    contract.BUNDLE_IMAGE_TYPE,
    Permissions(
        statements=(Statement("RepointBundles", ("workspaces:UpdateWorkspaceBundle",)),),
        requires=(BUNDLE_IMAGES,),
        tag_keys=(contract.APPLIED_TAG_KEY,),
    ),
)


class ComputeType(enum.Enum):
    """The bundle's hardware: ``ComputeType.Name`` of CreateWorkspaceBundle, every value of the API's enum.

    Which of them a Region, an operating system or your quotas allow is WorkSpaces' to judge at deploy time
    (some, such as ``GRAPHICS`` and ``GRAPHICSPRO``, have reached end of life).
    """

    VALUE = "VALUE"
    STANDARD = "STANDARD"
    PERFORMANCE = "PERFORMANCE"
    POWER = "POWER"
    GRAPHICS = "GRAPHICS"
    POWERPRO = "POWERPRO"
    GENERALPURPOSE_4XLARGE = "GENERALPURPOSE_4XLARGE"
    GENERALPURPOSE_8XLARGE = "GENERALPURPOSE_8XLARGE"
    GRAPHICSPRO = "GRAPHICSPRO"
    GRAPHICS_G4DN = "GRAPHICS_G4DN"
    GRAPHICSPRO_G4DN = "GRAPHICSPRO_G4DN"
    GRAPHICS_G6_XLARGE = "GRAPHICS_G6_XLARGE"
    GRAPHICS_G6_2XLARGE = "GRAPHICS_G6_2XLARGE"
    GRAPHICS_G6_4XLARGE = "GRAPHICS_G6_4XLARGE"
    GRAPHICS_G6_8XLARGE = "GRAPHICS_G6_8XLARGE"
    GRAPHICS_G6_16XLARGE = "GRAPHICS_G6_16XLARGE"
    GRAPHICS_GR6_4XLARGE = "GRAPHICS_GR6_4XLARGE"
    GRAPHICS_GR6_8XLARGE = "GRAPHICS_GR6_8XLARGE"
    GRAPHICS_G6F_LARGE = "GRAPHICS_G6F_LARGE"
    GRAPHICS_G6F_XLARGE = "GRAPHICS_G6F_XLARGE"
    GRAPHICS_G6F_2XLARGE = "GRAPHICS_G6F_2XLARGE"
    GRAPHICS_G6F_4XLARGE = "GRAPHICS_G6F_4XLARGE"
    GRAPHICS_GR6F_4XLARGE = "GRAPHICS_GR6F_4XLARGE"
    GRAPHICS_G7_2XLARGE = "GRAPHICS_G7_2XLARGE"
    GRAPHICS_G7_4XLARGE = "GRAPHICS_G7_4XLARGE"
    GRAPHICS_G7_8XLARGE = "GRAPHICS_G7_8XLARGE"
    GRAPHICS_G7_12XLARGE = "GRAPHICS_G7_12XLARGE"


def _capacity(gigabytes: float) -> str:
    """A volume size as CreateWorkspaceBundle takes it: a string of whole GB."""
    if isinstance(gigabytes, str):
        return gigabytes  # a string token
    if Token.is_unresolved(gigabytes):
        return Tokenization.stringify_number(gigabytes)
    return str(int(gigabytes))


def _image_elsewhere_problem(scope: Construct, image_id: object) -> Optional[str]:
    """An image_id of an image or copy of the app that is in another Region than the stack of `scope`.

    Images and bundles belong to one Region: a bundle uses an image of its own Region, and an image is taken to
    another only by copying it (https://docs.aws.amazon.com/workspaces/latest/adminguide/copy-custom-image.html).
    An image, or a WorkspaceImageCopy, is in its stack's Region; a copy of copy_to_regions in the Region it names,
    whatever its stack's.
    """
    from ._image_base import WorkspaceImageBase
    from .copy import WorkspaceImageCopy  # copy.py and _image_base.py import this module

    here = region_of(scope)
    if not here:
        return None
    images: list[Union[WorkspaceImageBase, WorkspaceImageCopy]] = [
        *enrolled(scope, WorkspaceImageBase),
        *enrolled(scope, WorkspaceImageCopy),
    ]
    made: list[tuple[Construct, str, Optional[str], str]] = [
        (image, image.image_id, region_of(image), "the image_id of")
        for image in images
        if Stack.of(image) is not Stack.of(scope)
    ]
    for updated in enrolled(scope, WorkspaceImageBase):
        made += [(c, c.image_id, region, f"image_id_in({region!r}) of") for region, c in updated.copies.items()]
    for image, made_id, there, what in made:
        if not (refers_to(image_id, made_id) and there and there != here):
            continue
        if what.startswith("image_id_in"):
            owner = image.node.scope
            assert owner is not None
            return (
                f"image_id (ImageId) is {what} {owner.node.path}, the copy in Region {there}, but this stack deploys "
                f"to {here}; use image_id_in({here!r}), copying the image to {here} if it is not made there: a bundle "
                "can use only an image of its own Region"
            )
        return (
            f"image_id (ImageId) is {what} {image.node.path}, made in Region {there}, but this stack deploys to "
            f"{here}; make the image in {here} (or this stack in {there}): a bundle can use only an image of its "
            "own Region"
        )
    return None


class WorkspaceBundle(Construct):
    """A custom WorkSpaces bundle (CreateWorkspaceBundle): an image plus compute and storage to launch WorkSpaces.

    A new ``image_id`` is applied in place (UpdateWorkspaceBundle, same ``bundle_id``): the monthly path of a new
    image and the same bundle. A change to ``tags`` only is applied in place; any other change makes a new bundle
    (a replacement: change ``bundle_name`` with it). Existing WorkSpaces pick up a new image only when rebuilt.

    :param scope: the parent construct.
    :param construct_id: the construct id.
    :param image_id: the image: an ``UpdatedWorkspaceImage`` (which makes the bundle wait until the image is
        AVAILABLE, and be deleted before it), an image imported with ``UpdatedWorkspaceImage.from_image_id``, or an
        image id, ``wsi-`` and 9 to 63 of ``[0-9a-z]`` (a string or a token). An image of the bundle's Region: synth
        refuses an image or copy of the app made in another Region (use ``image_id_in`` of the bundle's Region).
    :param bundle_name: 1 to 64 characters of ``[a-zA-Z0-9_./()\\-]``; unique among your bundles.
    :param description: 1 to 255 characters of ``[a-zA-Z0-9_./() -]``.
    :param compute_type: the hardware, a :class:`ComputeType`.
    :param user_storage_gib: user volume in GB, a whole number (or a number token).
    :param root_storage_gib: root volume in GB. Default: not sent; WorkSpaces then chooses it (undocumented).
        With it, the sizes must be a documented pair: root 80 with user 10, 50 or 100, or root 175 to 2000 with
        user 100 to 2000. Without it, the user size must belong to one of those pairs.
    :param tags: tags of the bundle. Default: no tags. At most 49 (one is the ownership tag); the keys
        ``cdk-workspaces-image:owner`` and ``cdk-workspaces-image:applied`` are this library's.
    :param removal_policy: what happens to the bundle when the resource is deleted or replaced. Default:
        ``RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE`` (kept on stack delete and replacement, deleted only when its
        first deployment rolls back). Whatever the policy, only a bundle this resource created is ever deleted.
    :param event_bus: the event bus the provider puts this bundle's ``WorkSpaces Bundle Image Changed`` events on.
        Default: None, the account's default bus. With a bus, the library adds to its policy a statement that keeps
        the library's source to the stack's provider and monitor roles; see ``UpdatedWorkspaceImage``'s
        ``event_bus``. Every image, copy and bundle of a stack names the same bus, or none (they share one provider).
    """

    bundle_id: str
    """The bundle's id (``wsb-...``), a token: the resource's attribute ``BundleId``, also its physical id."""
    resource: CustomResource
    """The ``Custom::WorkspaceBundle`` resource."""
    event_bus: Optional[events.IEventBus]
    """The ``event_bus`` prop; None, the account's default bus."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        image_id: Union[str, IWorkspaceImage],
        bundle_name: str,
        description: str,
        compute_type: ComputeType,
        user_storage_gib: float,
        root_storage_gib: Optional[float] = None,
        tags: Optional[Mapping[str, str]] = None,
        removal_policy: Optional[RemovalPolicy] = None,
        event_bus: Optional[events.IEventBus] = None,
    ) -> None:
        super().__init__(scope, construct_id)
        image_id = image_id_of(image_id)
        self._validate(
            image_id, bundle_name, description, compute_type, user_storage_gib, root_storage_gib, tags, removal_policy
        )
        refuse(self, event_bus_problems(self, event_bus))
        self._bundle_name = bundle_name
        tags = dict(tags or {})

        provider = WorkspacesImageProvider.get_or_create(self)
        provider.put_events_on(self, event_bus)
        self.event_bus = event_bus
        provider.register_tag_keys(tags)
        provider.allow(BUNDLE)

        properties: dict[str, Any] = {
            P.BUNDLE_NAME: bundle_name,
            P.BUNDLE_DESCRIPTION: description,
            P.IMAGE_ID: image_id,
            P.COMPUTE_TYPE: {P.NAME: compute_type.value},
            P.USER_STORAGE: {P.CAPACITY: _capacity(user_storage_gib)},
        }
        if root_storage_gib is not None:
            properties[P.ROOT_STORAGE] = {P.CAPACITY: _capacity(root_storage_gib)}
        if tags:
            properties[P.TAGS] = tag_list(tags)
        self.resource = provider.serve(self, BUNDLE, properties, removal_policy)
        # The attribute, not the Ref: the same value, but it reads as what it is.
        self.bundle_id: str = self.resource.get_att_string(contract.Attributes.BUNDLE_ID)
        resource = self.resource.node.default_child
        assert isinstance(resource, CfnElement)
        warn_on_exports(self, [resource], "bundle_id", "bundle.bundle_id")
        # The tokens that stand for the bundle's id (its attribute and its Ref), for apply_to_bundle to recognise.
        self._names = (self.bundle_id, self.resource.ref)
        enrol(self)

    @classmethod
    def from_bundle_id(cls, scope: Construct, construct_id: str, bundle_id: str) -> IWorkspaceBundle:
        """A bundle made elsewhere (another stack or app, or by hand), for ``apply_to_bundle`` to re-point.

        Nothing is created, and this stack never deletes or changes the bundle on its own: only an
        ``apply_to_bundle`` of it does, and only its image.

        :param scope: the parent construct.
        :param construct_id: the construct id.
        :param bundle_id: ``wsb-`` and 8 to 63 of ``[0-9a-z]``; a token (an SSM parameter read at deploy time, for
            example) is checked at deploy time.
        """
        return _ImportedWorkspaceBundle(scope, construct_id, bundle_id)

    def _validate(
        self,
        image_id: object,
        bundle_name: object,
        description: object,
        compute_type: object,
        user_storage_gib: object,
        root_storage_gib: object,
        tags: object,
        removal_policy: object,
    ) -> None:
        """Every rule the props break, at once: the handler's rules on each value synth knows (None and wrong
        types included), what a custom resource cannot be, the names of the app's other bundles, and the
        Region of its image."""
        problems: list[str] = []
        compute: object = rules.UNKNOWN
        if isinstance(compute_type, ComputeType):
            compute = compute_type.value
        else:
            label = rules.label_of("compute_type", "ComputeType.Name")
            problems.append(rules.type_problem(label, compute_type, "a ComputeType"))
        user, user_problems = judged_number("user_storage_gib", "UserStorage.Capacity", user_storage_gib)
        root, root_problems = judged_number("root_storage_gib", "RootStorage.Capacity", root_storage_gib)
        problems = (
            rules.bundle_problems(
                bundle_name=judged(bundle_name),
                description=judged(description),
                image_id=judged_text(image_id),
                compute_type=compute,
                tags={} if tags is None else judged_tags(tags),
            )
            + problems
            + user_problems
            + root_problems
            # A pair is judged only when both sizes are known (an absent root size is known).
            + rules.storage_problems(user, root)
        )
        others = [(bundle, bundle._bundle_name) for bundle in enrolled(self, WorkspaceBundle)]
        # CreateWorkspaceBundle refuses a name in use (ResourceAlreadyExistsException), even one of a bundle deleted
        # less than 2 hours ago: https://docs.aws.amazon.com/workspaces/latest/adminguide/delete_bundle.html
        duplicate = duplicate_name_problem(self, "bundle", "bundle_name", P.BUNDLE_NAME, bundle_name, others)
        elsewhere = _image_elsewhere_problem(self, image_id)
        refuse(self, problems + [p for p in (removal_policy_problem(removal_policy), duplicate, elsewhere) if p])


class _ImportedWorkspaceBundle(Construct):
    """A bundle known by its id alone: see ``WorkspaceBundle.from_bundle_id``."""

    def __init__(self, scope: Construct, construct_id: str, bundle_id: str) -> None:
        super().__init__(scope, construct_id)
        refuse(self, rules.bundle_image_problems(bundle_id=judged_text(bundle_id)))
        self.bundle_id = bundle_id


def managed_bundle_problem(scope: Construct, bundle_id: object) -> Optional[str]:
    """A bundle_id of a WorkspaceBundle of the app: that construct manages the bundle's image itself."""
    for bundle in enrolled(scope, WorkspaceBundle):
        if not any(refers_to(bundle_id, token) for token in bundle._names):
            continue
        if Stack.of(bundle) is Stack.of(scope):
            # The provider's role may update that bundle only, so its policy names the bundle, which needs the
            # provider to exist: a circular dependency (cfn-lint E3004).
            why = "in this stack, where re-pointing it would make a circular dependency (cfn-lint E3004)"
        else:
            why = "whose bundle the handler would refuse to re-point at deploy time"
        return (
            f"bundle_id (BundleId) is the bundle_id of the WorkspaceBundle {bundle.node.path}, {why}; "
            f"{rules.MANAGED_BUNDLE_FIX}"
        )
    return None


class WorkspaceBundleImage(Construct):
    """Points a bundle the stack does not manage at an image (UpdateWorkspaceBundle); see ``apply_to_bundle``.

    The bundle's previous image is recorded in the resource's physical id. Existing WorkSpaces pick up the new
    image only when they are rebuilt.

    :param scope: the parent construct.
    :param construct_id: the construct id.
    :param bundle_id: the bundle to re-point: one imported with ``WorkspaceBundle.from_bundle_id``, or its id,
        ``wsb-`` and 8 to 63 of ``[0-9a-z]``. One of your custom bundles, not a public one and not one a
        ``WorkspaceBundle`` manages.
    :param image_id: the image to point it at: an ``IWorkspaceImage`` or an image id.
    :param restore_on_delete: ``False`` (default): deleting the stack, or moving to another ``bundle_id``, leaves
        the bundle on the image (DeletionPolicy ``RetainExceptOnCreate``); only a rollback of the deployment that
        first applied it restores the previous image. ``True``: deleting the stack or the resource, or moving to
        another ``bundle_id``, points the bundle back at its previous image, unless someone re-pointed it since.
    """

    bundle_id: str
    """The bundle's id, a token (the attribute ``BundleId``): referencing it waits until the bundle uses the image."""
    previous_image_id: str
    """The image the bundle used before, a token (the attribute ``PreviousImageId``): referencing it waits until the
    bundle uses the image."""
    resource: CustomResource
    """The ``Custom::WorkspaceBundleImage`` resource; its physical id is ``wsb-...:wsi-<previous image>``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bundle_id: Union[str, IWorkspaceBundle],
        image_id: Union[str, IWorkspaceImage],
        restore_on_delete: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        bundle_id, image_id = bundle_id_of(bundle_id), image_id_of(image_id)
        problems = rules.bundle_image_problems(bundle_id=judged_text(bundle_id), image_id=judged_text(image_id))
        if not isinstance(restore_on_delete, bool):
            label = rules.label_of("restore_on_delete", "DeletionPolicy")
            problems.append(rules.type_problem(label, restore_on_delete, "a bool"))
        managed = managed_bundle_problem(self, bundle_id)
        elsewhere = _image_elsewhere_problem(self, image_id)
        refuse(self, problems + [p for p in (managed, elsewhere) if p])
        provider = WorkspacesImageProvider.get_or_create(self)
        provider.allow(REPOINT, named=[Named(provider.context.arns("workspacebundle", bundle_id), ("RepointBundles",))])
        provider.template_says(contract.ENV_APPLY_BUNDLES, [bundle_id])
        # The handler restores on every Delete it gets; the policy decides whether CloudFormation sends one (None:
        # the kind's, RETAIN_ON_UPDATE_OR_DELETE).
        self.resource = provider.serve(
            self,
            REPOINT,
            {BundleImageProps.BUNDLE_ID: bundle_id, BundleImageProps.IMAGE_ID: image_id},
            RemovalPolicy.DESTROY if restore_on_delete else None,
        )
        # Referencing these waits until the bundle uses the image.
        self.bundle_id: str = self.resource.get_att_string(contract.Attributes.BUNDLE_ID)
        self.previous_image_id: str = self.resource.get_att_string(contract.Attributes.PREVIOUS_IMAGE_ID)
        enrol(self)
