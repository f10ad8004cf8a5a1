"""Custom::WorkspaceImageCopy: a copy of an image made by CopyWorkspaceImage in the copy's own Region.

A copy is an image like any other once it exists: the same ownership tag, adoption, wait for AVAILABLE, news,
keep_previous and delete-or-keep as an updated image (image.py), in the Region the copy is in. Only how it is made
differs: CopyWorkspaceImage, called in the destination Region with the source's id and Region
(https://docs.aws.amazon.com/workspaces/latest/api/API_CopyWorkspaceImage.html).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import contract, rules
from .cloudformation import Answer, ResourceEvent
from .contract import CopyProps as C
from .contract import Detail
from .errors import InvalidInputError
from .image import BaseImageLifecycle, ImageRequest, judged, read_request
from .kernel import refuse
from .workspaces import Image


@dataclass(frozen=True)
class CopyRequest(ImageRequest):
    """A copy's request: an image's, and where it is copied from and to."""

    # The Region of the source, and the copy's own.
    source_region: str = ""
    region: str = ""
    # The account that must own the source; empty: any.
    source_account: str = ""

    @property
    def replacing_values(self) -> tuple[str, ...]:
        # Another Region makes another copy. An updated image's values stay three, so that the ownership tags of
        # images made before copies match.
        return (*super().replacing_values, self.source_region, self.region)


def copy_problems(props: Mapping[str, Any]) -> list[str]:
    """Every input rule the properties break, in the words synth uses for the same values; unknown ones first."""
    return judged(
        props,
        contract.COPY_TYPE,
        lambda tags, timeout: rules.copy_problems(
            source_image_id=props.get(C.SOURCE_IMAGE_ID),
            source_region=props.get(C.SOURCE_REGION),
            region=props.get(C.REGION),
            image_name=props.get(C.NAME),
            description=props.get(C.DESCRIPTION),
            tags=tags,
            timeout_seconds=timeout,
            keep_previous=props.get(C.KEEP_PREVIOUS),
            source_account=props.get(C.SOURCE_ACCOUNT),
        ),
    )


def parse_copy_request(props: Mapping[str, Any], *, check: bool = True) -> CopyRequest:
    """Read the properties of a copy; `check` applies the input rules (rules.py) to what tokens hid at synth."""
    if check:
        refuse(copy_problems(props))
    return read_copy_request(props)


def read_copy_request(props: Mapping[str, Any]) -> CopyRequest:
    """The request of Custom::WorkspaceImageCopy in its properties, unjudged."""
    return read_request(
        props,
        (C.SOURCE_IMAGE_ID, C.SOURCE_REGION, C.REGION),
        CopyRequest,
        source_image_id=str(props[C.SOURCE_IMAGE_ID]),
        source_region=str(props.get(C.SOURCE_REGION, "")),
        region=str(props.get(C.REGION, "")),
        source_account=str(props.get(C.SOURCE_ACCOUNT) or ""),
    )


def owner_problem(request: CopyRequest, source: Image | None) -> str | None:
    """Whether the source a copy is asked for is the expected account's ("before copying a shared image, be sure
    to verify that it has been shared from the correct AWS account":
    https://docs.aws.amazon.com/workspaces/latest/adminguide/copy-custom-image.html)."""
    sid, region, expected = request.source_image_id, request.source_region, request.source_account
    if source is None:
        return (
            f"source image {sid} was not found in Region {region} (DescribeWorkspaceImages): check its id, and that "
            f"account {expected} shares it with this account; nothing was copied"
        )
    if source.owner_account_id != expected:
        return (
            f"source image {sid} of Region {region} belongs to account {source.owner_account_id or 'unknown'}, not "
            f"to source_account (SourceAccount) {expected}; nothing was copied: check the image id you were given"
        )
    return None


class CopyLifecycle(BaseImageLifecycle[CopyRequest]):
    RESOURCE_TYPE = contract.COPY_TYPE

    def create(self, ev: ResourceEvent) -> Answer:
        self._enter(ev.properties)
        return super().create(ev)

    def update(self, ev: ResourceEvent) -> Answer:
        # A new Region replaces the copy (a replacing value): the request acts in the new one, and CloudFormation's
        # cleanup Delete, carrying the old properties, in the old one.
        self._enter(ev.properties)
        return super().update(ev)

    def delete(self, ev: ResourceEvent) -> Answer | None:
        self._enter(ev.properties)
        return super().delete(ev)

    def adopt_current(self, ev: ResourceEvent) -> None:
        # Runs before every request: the copy CloudFormation holds is in the Region of the properties it was made
        # with (an Update's old ones), where its tag is read and its entry recorded.
        self._enter(ev.old_properties if ev.request_type == "Update" else ev.properties)
        super().adopt_current(ev)

    def _enter(self, properties: Mapping[str, Any]) -> None:
        # Only the spelling: a copy asked for in a Region WorkSpaces is not in (the rules refuse it before anything is
        # made) must still be deletable there, or its rollback Delete would fail.
        region = properties.get(C.REGION)
        problem = rules.region_name_problem(region, rules.label_of("region", C.REGION))
        if problem or not isinstance(region, str):
            raise InvalidInputError(problem or "")
        self.enter(region)

    # ------------------------------------------------------------ hooks

    def problems(self, properties: Mapping[str, Any]) -> list[str]:
        return copy_problems(properties)

    def read(self, properties: Mapping[str, Any]) -> CopyRequest:
        return read_copy_request(properties)

    def preflight(self, request: CopyRequest) -> str | None:
        """With source_account: the source must belong to that account, or nothing is copied. Otherwise nothing:
        CopyWorkspaceImage itself says why a source can't be copied, and needs no update to be available."""
        if request.source_account:
            problem = owner_problem(
                request, self.elsewhere(request.source_region).describe_image(request.source_image_id)
            )
            if problem:
                raise InvalidInputError(problem)
        return None

    def create_resource(self, request: CopyRequest, tags: Mapping[str, str]) -> str:
        return self.ws.copy_image(
            request.source_image_id, request.source_region, request.name, request.description, tags
        )

    def news_of(self, request: CopyRequest) -> dict[str, str]:
        return {
            **super().news_of(request),
            Detail.REGION: request.region,
            Detail.SOURCE_REGION: request.source_region,
        }
