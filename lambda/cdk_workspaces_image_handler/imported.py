"""Custom::ImportedWorkspaceImage: a Bring Your Own License image ImportWorkspaceImage makes of an EC2 AMI.

Once it exists it is an image like an updated one (image.py); only how it is made differs
(https://docs.aws.amazon.com/workspaces/latest/api/API_ImportWorkspaceImage.html). The image is DEDICATED, so
sharing follows the BYOL rules (sharing.py), and a copy needs BYOL in the destination Region
(https://docs.aws.amazon.com/workspaces/latest/adminguide/copy-custom-image.html). The AMI is read by WorkSpaces,
never by this provider: it is not this stack's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import contract, rules
from .contract import Detail
from .contract import ImportedProps as C
from .image import BaseImageLifecycle, ImageRequest, made_problems, read_request, strings


@dataclass(frozen=True)
class ImportedRequest(ImageRequest):
    ec2_image_id: str = ""
    ingestion_process: str = ""
    applications: tuple[str, ...] = ()

    @property
    def replacing_values(self) -> tuple[str, ...]:
        return (self.ec2_image_id, self.ingestion_process, self.name, self.description, *self.applications)


def imported_problems(props: Mapping[str, Any]) -> list[str]:
    """Every input rule the properties break, in the words synth uses for the same values; unknown ones first."""
    own = rules.imported_problems(
        ec2_image_id=props.get(C.EC2_IMAGE_ID),
        ingestion_process=props.get(C.INGESTION_PROCESS),
        applications=props.get(C.APPLICATIONS),
    )
    return made_problems(props, contract.IMPORTED_TYPE, C.NAME, C.DESCRIPTION, own)


def read_imported_request(props: Mapping[str, Any]) -> ImportedRequest:
    """The request of Custom::ImportedWorkspaceImage in its properties, unjudged."""
    return read_request(
        props,
        (C.EC2_IMAGE_ID, C.INGESTION_PROCESS),
        ImportedRequest,
        name_key=C.NAME,
        description_key=C.DESCRIPTION,
        ec2_image_id=str(props[C.EC2_IMAGE_ID]),
        ingestion_process=str(props[C.INGESTION_PROCESS]),
        applications=strings(props.get(C.APPLICATIONS)),
        share_with_accounts=strings(props.get(C.SHARE_WITH_ACCOUNTS)),
    )


class ImportedLifecycle(BaseImageLifecycle[ImportedRequest]):
    RESOURCE_TYPE = contract.IMPORTED_TYPE

    def problems(self, properties: Mapping[str, Any]) -> list[str]:
        return imported_problems(properties)

    def read(self, properties: Mapping[str, Any]) -> ImportedRequest:
        return read_imported_request(properties)

    def create_resource(self, request: ImportedRequest, tags: Mapping[str, str]) -> str:
        return self.ws.import_image(
            request.ec2_image_id,
            request.ingestion_process,
            request.name,
            request.description,
            request.applications,
            tags,
        )

    def news_of(self, request: ImportedRequest) -> dict[str, str]:
        return {Detail.EC2_IMAGE_ID: request.ec2_image_id, Detail.NAME: request.name}
