"""``ImageBuilderWorkspaceImage``: a Bring Your Own License image imported through EC2 Image Builder, declared in a
CDK stack (ImportCustomWorkspaceImage): the way to a Windows 11 image."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import Optional

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_events as events
from constructs import Construct

from cdk_workspaces_image_handler import contract, rules
from cdk_workspaces_image_handler.contract import ImageBuilderProps as P

from ._image_base import WorkspaceImageBase, enum_value, image_kind
from ._kind import Statement, every_resource
from ._props import judged, judged_accounts, judged_text

# Service Authorization Reference for Amazon WorkSpaces
# (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonworkspaces.html): neither action
# takes a resource type. No page names other actions for the caller: EC2 Image Builder builds with its service-linked
# role and the infrastructure configuration's instance profile
# (https://docs.aws.amazon.com/workspaces/latest/adminguide/byol-windows-images.html), so none are granted.
IMAGE_BUILDER = image_kind(
    contract.IMAGE_BUILDER_TYPE,
    Statement(
        "ImportBuiltImages",
        ("workspaces:ImportCustomWorkspaceImage", "workspaces:DescribeCustomWorkspaceImageImport"),
        every_resource,
    ),
    wildcard_reason=(
        "workspaces:ImportCustomWorkspaceImage and DescribeCustomWorkspaceImageImport support no resource-level "
        "permissions (Service Authorization Reference)"
    ),
)


class OsVersion(enum.Enum):
    """The Windows version of the imported image (ImportCustomWorkspaceImage's OsVersion)."""

    WINDOWS_10 = "Windows_10"
    """Windows 10."""
    WINDOWS_11 = "Windows_11"
    """Windows 11: UEFI boot, and not with ``StreamingProtocol.PCOIP``."""


class StreamingProtocol(enum.Enum):
    """The protocol WorkSpaces streams the image's WorkSpaces with (ImportCustomWorkspaceImage's Protocol)."""

    PCOIP = "PCOIP"
    """PCoIP; not for Windows 11."""
    DCV = "DCV"
    """Amazon DCV."""
    BYOP = "BYOP"
    """Bring your own protocol."""


class ImageComputeType(enum.Enum):
    """The compute type the image is made for (ImportCustomWorkspaceImage's ComputeType)."""

    BASE = "BASE"
    """Every bundle but the graphics ones."""
    GRAPHICS_G4DN = "GRAPHICS_G4DN"
    """Graphics.g4dn bundles."""
    GRAPHICS_G6 = "GRAPHICS_G6"
    """Graphics.g6 bundles."""
    GRAPHICS_G7 = "GRAPHICS_G7"
    """Graphics.g7 bundles."""


class ImageValidationMode(enum.Enum):
    """Who validates the imported image (ImportCustomWorkspaceImage's ImageValidationMode)."""

    CUSTOMER_MANAGED = "CUSTOMER_MANAGED"
    """You validate it."""
    SERVICE_MANAGED = "SERVICE_MANAGED"
    """WorkSpaces validates it."""


class ImageBuilderWorkspaceImage(WorkspaceImageBase):
    """A new Bring Your Own License image imported through EC2 Image Builder (ImportCustomWorkspaceImage), from an
    Image Builder image build version, an AMI or a VM Import task: the way to a Windows 11 image.

    The account must be enabled for BYOL in the Region, and the source must be a licensed image of this account
    (https://docs.aws.amazon.com/workspaces/latest/api/API_ImportCustomWorkspaceImage.html). WorkSpaces builds the
    image with EC2 Image Builder in this account, using the infrastructure configuration's instance profile; see
    https://docs.aws.amazon.com/workspaces/latest/adminguide/byol-windows-images.html for the network and the
    permissions that build needs. ``image_id`` resolves only once the import is COMPLETED and the image AVAILABLE;
    meanwhile the provider's log, and a timeout or failure reason, quote the import's ``State``, ``StateMessage``
    and ``ProgressPercentage``. A change to any prop but ``tags``, ``share_with_accounts`` and ``timeout`` makes a
    new image (a replacement).

    :param scope: the parent construct.
    :param construct_id: the construct id.
    :param infrastructure_configuration_arn: the EC2 Image Builder infrastructure configuration the import builds
        with, ``arn:aws:imagebuilder:<region>:<account>:infrastructure-configuration/<name>``; a string or a token
        (``CfnInfrastructureConfiguration.attr_arn``).
    :param os_version: the image's Windows version.
    :param protocol: the streaming protocol; Windows 11 does not support PCoIP.
    :param image_name: name of the new image, 1 to 64 characters of ``[a-zA-Z0-9_./()\\-]``; unique among the app's
        images of the same account and Region.
    :param description: description of the new image, 1 to 256 characters of ``[a-zA-Z0-9_./() -]``.
    :param image_build_version_arn: the source, an EC2 Image Builder image build version
        (``CfnImage.attr_arn``, ``arn:aws:imagebuilder:<region>:<account>:image/<name>/<version>/<build>``).
        Default: None. Exactly one of ``image_build_version_arn``, ``ec2_image_id`` and ``ec2_import_task_id``.
    :param ec2_image_id: the source, an AMI, ``ami-`` and 8 or 17 hexadecimal characters. Default: None.
    :param ec2_import_task_id: the source, a VM Import/Export task, ``import-ami-`` and 8 or 17 characters.
        Default: None.
    :param compute_type: the compute type the image is for. Default: None, which WorkSpaces gets as
        ``ImageComputeType.BASE``.
    :param image_validation_mode: who validates the image. Default: None, the service's default.
    :param tags: tags of the new image. Default: no tags. The rules of ``UpdatedWorkspaceImage``'s ``tags``.
    :param timeout: longest wait for the image to become AVAILABLE. Default: 3 hours. Allowed: 15 minutes to 12 hours.
    :param removal_policy: Default: ``RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE``; as for ``UpdatedWorkspaceImage``.
        An image still being imported is deleted once its import ends.
    :param keep_previous: how many earlier images of this construct to keep after a replacement. Default: None, keep
        them all; as for ``UpdatedWorkspaceImage``.
    :param share_with_accounts: accounts to share the image with. Default: not shared; as for
        ``UpdatedWorkspaceImage`` (a BYOL image only with BYOL-enabled accounts of the same organization).
    :param copy_to_regions: other Regions to copy the image to. Default: no copies; as for ``UpdatedWorkspaceImage``
        (a BYOL image only to Regions enabled for BYOL).
    :param event_bus: the bus the provider puts this image's events on. Default: the account's default bus; as for
        ``UpdatedWorkspaceImage``.

    Synth refuses a prop that is None (but for the optional ones) or of another type, naming the construct's path.
    """

    infrastructure_configuration_arn: str
    """The ``infrastructure_configuration_arn`` prop: the EC2 Image Builder infrastructure configuration the import
    builds with."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        infrastructure_configuration_arn: str,
        os_version: OsVersion,
        protocol: StreamingProtocol,
        image_name: str,
        description: str,
        image_build_version_arn: Optional[str] = None,
        ec2_image_id: Optional[str] = None,
        ec2_import_task_id: Optional[str] = None,
        compute_type: Optional[ImageComputeType] = None,
        image_validation_mode: Optional[ImageValidationMode] = None,
        tags: Optional[Mapping[str, str]] = None,
        timeout: Optional[Duration] = None,
        removal_policy: Optional[RemovalPolicy] = None,
        keep_previous: Optional[int] = None,
        share_with_accounts: Optional[Sequence[str]] = None,
        copy_to_regions: Optional[Sequence[str]] = None,
        event_bus: Optional[events.IEventBus] = None,
    ) -> None:
        super().__init__(scope, construct_id)
        sources = {
            key: value
            for key, value in zip(
                contract.IMAGE_SOURCE_KEYS, (image_build_version_arn, ec2_image_id, ec2_import_task_id), strict=True
            )
            if value is not None
        }
        types: list[str] = []
        os_value = enum_value(types, "os_version", P.OS_VERSION, os_version, OsVersion)
        shown_protocol = enum_value(types, "protocol", P.PROTOCOL, protocol, StreamingProtocol)
        compute = enum_value(types, "compute_type", P.COMPUTE_TYPE, compute_type, ImageComputeType)
        mode = enum_value(
            types, "image_validation_mode", P.IMAGE_VALIDATION_MODE, image_validation_mode, ImageValidationMode
        )
        self.infrastructure_configuration_arn = infrastructure_configuration_arn
        # Always a BYOL image (ImportWorkspaceImage, ImportCustomWorkspaceImage), which GovCloud does not share.
        types += [
            p
            for p in [rules.byol_share_problem(judged_accounts(share_with_accounts), judged(Stack.of(self).region))]
            if p
        ]
        self._judge_and_make(
            IMAGE_BUILDER,
            rules.image_builder_problems(
                image_source={key: judged_text(value) for key, value in sources.items()},
                infrastructure_configuration_arn=judged_text(infrastructure_configuration_arn),
                os_version=os_value,
                protocol=shown_protocol,
                compute_type=rules.UNKNOWN if compute is None else compute,
                image_validation_mode=mode,
            ),
            types,
            lambda: {
                P.IMAGE_SOURCE: sources,
                P.INFRASTRUCTURE_CONFIGURATION_ARN: infrastructure_configuration_arn,
                P.OS_VERSION: os_version.value,
                P.PROTOCOL: protocol.value,
                # Written only when given: WorkSpaces gets the handler's default (BASE), or the service's.
                **({} if compute_type is None else {P.COMPUTE_TYPE: compute_type.value}),
                **({} if image_validation_mode is None else {P.IMAGE_VALIDATION_MODE: image_validation_mode.value}),
            },
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
        )
