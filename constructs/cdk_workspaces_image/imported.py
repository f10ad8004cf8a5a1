"""``ImportedWorkspaceImage``: a Bring Your Own License image imported from an EC2 AMI, declared in a CDK stack
(ImportWorkspaceImage)."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import Optional

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_events as events
from constructs import Construct

from cdk_workspaces_image_handler import contract, rules
from cdk_workspaces_image_handler.contract import ImportedProps as P

from ._image_base import WorkspaceImageBase, enum_value, image_kind
from ._kind import Named, Statement, every_resource
from ._props import judged, judged_accounts, judged_text

# Service Authorization Reference for Amazon WorkSpaces
# (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonworkspaces.html):
# ImportWorkspaceImage takes no resource type. The Administration Guide asks the caller for ec2:DescribeImages and
# ec2:ModifyImageAttribute on the AMI, whose launch permissions WorkSpaces needs while it imports
# (https://docs.aws.amazon.com/workspaces/latest/adminguide/workspaces-access-control.html, "Perform all WorkSpaces
# tasks for BYOL WorkSpaces"); DescribeImages takes no resource, and each construct names the one AMI it imports.
IMPORTED = image_kind(
    contract.IMPORTED_TYPE,
    Statement("ImportAmis", ("workspaces:ImportWorkspaceImage",), every_resource),
    Statement("DescribeAmis", ("ec2:DescribeImages",), every_resource),
    Statement("ShareAmisForImport", ("ec2:ModifyImageAttribute",)),
    wildcard_reason=(
        "workspaces:ImportWorkspaceImage and ec2:DescribeImages support no resource-level permissions (Service "
        "Authorization Reference); ec2:ModifyImageAttribute is limited to the AMIs this stack's constructs name"
    ),
)


class IngestionProcess(enum.Enum):
    """How WorkSpaces ingests a BYOL AMI: its bundle type and streaming protocol (ImportWorkspaceImage's
    IngestionProcess, https://docs.aws.amazon.com/workspaces/latest/api/API_ImportWorkspaceImage.html)."""

    BYOL_REGULAR = "BYOL_REGULAR"
    """A regular bundle, PCoIP."""
    BYOL_GRAPHICS = "BYOL_GRAPHICS"
    """Graphics, PCoIP."""
    BYOL_GRAPHICSPRO = "BYOL_GRAPHICSPRO"
    """GraphicsPro, PCoIP."""
    BYOL_GRAPHICS_G4DN = "BYOL_GRAPHICS_G4DN"
    """Graphics.g4dn, PCoIP."""
    BYOL_REGULAR_WSP = "BYOL_REGULAR_WSP"
    """A regular bundle, DCV (WSP)."""
    BYOL_GRAPHICS_G4DN_WSP = "BYOL_GRAPHICS_G4DN_WSP"
    """Graphics.g4dn, DCV (WSP)."""
    BYOL_REGULAR_BYOP = "BYOL_REGULAR_BYOP"
    """A regular bundle, bring your own protocol."""
    BYOL_GRAPHICS_G4DN_BYOP = "BYOL_GRAPHICS_G4DN_BYOP"
    """Graphics.g4dn, bring your own protocol."""


class Application(enum.Enum):
    """A Microsoft Office version to subscribe to in the imported image (ImportWorkspaceImage's Applications)."""

    MICROSOFT_OFFICE_2016 = "Microsoft_Office_2016"
    """Microsoft Office 2016."""
    MICROSOFT_OFFICE_2019 = "Microsoft_Office_2019"
    """Microsoft Office 2019."""


class ImportedWorkspaceImage(WorkspaceImageBase):
    """A new Bring Your Own License image imported from an EC2 AMI you own (ImportWorkspaceImage).

    The account must be enabled for BYOL in the Region, and the AMI must be yours, AVAILABLE, and shareable throughout
    the import (https://docs.aws.amazon.com/workspaces/latest/adminguide/byol-windows-images.html); the provider's role
    gets ``ec2:DescribeImages`` (which takes no resource) and ``ec2:ModifyImageAttribute`` on that AMI alone, and this
    stack never deletes it.
    ``image_id`` resolves only once the image is AVAILABLE (an import takes 90 minutes or more). A change to any prop
    but ``tags``, ``share_with_accounts`` and ``timeout`` makes a new image (a replacement). A BYOL image can be shared
    only with BYOL-enabled accounts of the same organization, and copied only to Regions enabled for BYOL.

    :param scope: the parent construct.
    :param construct_id: the construct id.
    :param ec2_image_id: the AMI, ``ami-`` and 8 or 17 hexadecimal characters; a string or a token.
    :param ingestion_process: the bundle type and protocol WorkSpaces ingests the AMI for.
    :param image_name: name of the new image, 1 to 64 characters of ``[a-zA-Z0-9_./()\\-]``; unique among the app's
        images of the same account and Region.
    :param description: description of the new image, 1 to 256 characters of ``[a-zA-Z0-9_./() -]``.
    :param applications: the Microsoft Office version to subscribe to, a list of one (the API takes one item). Default:
        None, no Office subscription.
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

    ec2_image_id: str
    """The ``ec2_image_id`` prop: the AMI the image is imported from."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        ec2_image_id: str,
        ingestion_process: IngestionProcess,
        image_name: str,
        description: str,
        applications: Optional[Sequence[Application]] = None,
        tags: Optional[Mapping[str, str]] = None,
        timeout: Optional[Duration] = None,
        removal_policy: Optional[RemovalPolicy] = None,
        keep_previous: Optional[int] = None,
        share_with_accounts: Optional[Sequence[str]] = None,
        copy_to_regions: Optional[Sequence[str]] = None,
        event_bus: Optional[events.IEventBus] = None,
    ) -> None:
        super().__init__(scope, construct_id)
        types: list[str] = []
        process = enum_value(types, "ingestion_process", P.INGESTION_PROCESS, ingestion_process, IngestionProcess)
        apps = _applications(types, applications)
        self.ec2_image_id = ec2_image_id
        # Always a BYOL image (ImportWorkspaceImage, ImportCustomWorkspaceImage), which GovCloud does not share.
        types += [
            p
            for p in [rules.byol_share_problem(judged_accounts(share_with_accounts), judged(Stack.of(self).region))]
            if p
        ]
        self._judge_and_make(
            IMPORTED,
            rules.imported_problems(
                ec2_image_id=judged_text(ec2_image_id), ingestion_process=process, applications=apps
            ),
            types,
            # Applications replaces the image too (the handler's replacing values), so the wait follows it.
            lambda: {
                P.EC2_IMAGE_ID: ec2_image_id,
                P.INGESTION_PROCESS: ingestion_process.value,
                **({P.APPLICATIONS: [a.value for a in applications]} if applications else {}),
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
            # Once judged: an ARN of an ec2_image_id of another type would fail in CDK, naming no construct.
            named=lambda: [
                Named(
                    Stack.of(self).format_arn(service="ec2", account="", resource="image", resource_name=ec2_image_id),
                    ("ShareAmisForImport",),
                )
            ],
        )


def _applications(problems: list[str], applications: object) -> object:
    """The applications for the contract's rules: their values, each of another type a problem named here."""
    if applications is None or isinstance(applications, (str, bytes)) or not isinstance(applications, Sequence):
        return applications
    return [enum_value(problems, "applications", P.APPLICATIONS, a, Application) for a in applications]
