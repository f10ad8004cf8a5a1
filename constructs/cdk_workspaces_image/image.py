"""``UpdatedWorkspaceImage``: a WorkSpaces image with the latest updates, declared in a CDK stack."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import Optional

from aws_cdk import CfnWaitCondition, CustomResource, Duration, RemovalPolicy, Stack
from aws_cdk import aws_events as events
from constructs import Construct

from cdk_workspaces_image_handler import contract, rules
from cdk_workspaces_image_handler.contract import ImageProps as P

from ._copy import ImageCopyBase
from ._image_base import WorkspaceImageBase, image_kind
from ._kind import PolicyContext, Statement
from ._props import is_token, judged, judged_accounts, judged_number, judged_tags, judged_text, judged_timeout, shown

# Lets the handler create images; what it may do to them once made is OWNED_IMAGES. Service Authorization Reference
# (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonworkspaces.html): the new image's id
# is not known before it exists, so creating is on workspaceimage/*.
IMAGE = image_kind(
    contract.IMAGE_TYPE,
    Statement("CreateImages", ("workspaces:CreateUpdatedWorkspaceImage",), PolicyContext.images),
    wildcard_reason=(
        "The id of an updated image is chosen by WorkSpaces when it is created, so it cannot be named in advance; "
        "scoped to workspaceimage ARNs of this account and Region, and deletes to those carrying this stack's "
        "ownership tag"
    ),
)


class NoUpdateBehavior(enum.Enum):
    """What to do when the source image has no update available."""

    FAIL = "FAIL"
    """Fail the deployment with a message naming the source image."""
    USE_SOURCE = "USE_SOURCE"
    """Succeed with the source image's id; the source image is never modified or deleted."""


class UpdatedWorkspaceImage(WorkspaceImageBase):
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
        one botocore's endpoint data lists WorkSpaces in (at the botocore this release was made with), of the stack's
        partition; not to or from China (Ningxia), where images are copied only within the Region,
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
        # The monitor's generation parameter starts from it.
        self.generation: Optional[int] = generation
        self._make(
            IMAGE,
            source={P.SOURCE_IMAGE_ID: source_image_id},
            name_key=P.NAME,
            description_key=P.DESCRIPTION,
            name=str(name),
            description=description,
            after={P.NO_UPDATE_BEHAVIOR: no_update_behavior.value},
            tags=tags,
            timeout=timeout,
            removal_policy=removal_policy,
            keep_previous=keep_previous,
            share_with_accounts=share_with_accounts,
            copy_to_regions=copy_to_regions,
            event_bus=event_bus,
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
                f"generation {shown(generation)!r} is a token (unresolved at synth); it must be a whole number known "
                "at synth, since it is part of the image name and of the template"
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
        first = (
            rules.image_problems(
                source_image_id=judged_text(source_image_id),
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
        )
        self._refuse_problems(
            first,
            problems,
            name=name,
            name_api=P.NAME,
            copy_to_regions=copy_to_regions,
            event_bus=event_bus,
            removal_policy=removal_policy,
        )


def _generation_name(image_name: object, generation: object) -> object:
    """The name of the image of this generation; `image_name` as given where the generation rule refuses the pair
    (which :meth:`UpdatedWorkspaceImage._validate` then reports)."""
    if not isinstance(image_name, str) or not (generation is None or isinstance(generation, int)):
        return image_name
    if rules.generation_problems(image_name, generation):
        return image_name
    return rules.generation_name(image_name, generation)
