"""Custom::CapturedWorkspaceImage: an image CreateWorkspaceImage makes of a WorkSpace.

Once it exists it is an image like an updated one (image.py): the ownership tag and record, adoption, the wait for
AVAILABLE, news, sharing, keep_previous and delete-or-keep. Only how it is made differs
(https://docs.aws.amazon.com/workspaces/latest/api/API_CreateWorkspaceImage.html). The WorkSpace is read, never
written: it is not this stack's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import contract, rules
from .contract import CapturedProps as C
from .contract import Detail
from .image import BaseImageLifecycle, ImageRequest, made_problems, read_request, strings


@dataclass(frozen=True)
class CapturedRequest(ImageRequest):
    workspace_id: str = ""

    @property
    def replacing_values(self) -> tuple[str, ...]:
        return (self.workspace_id, self.name, self.description)


def captured_problems(props: Mapping[str, Any]) -> list[str]:
    """Every input rule the properties break, in the words synth uses for the same values; unknown ones first."""
    own = rules.captured_problems(workspace_id=props.get(C.WORKSPACE_ID))
    return made_problems(props, contract.CAPTURED_TYPE, C.NAME, C.DESCRIPTION, own)


def read_captured_request(props: Mapping[str, Any]) -> CapturedRequest:
    """The request of Custom::CapturedWorkspaceImage in its properties, unjudged."""
    return read_request(
        props,
        (C.WORKSPACE_ID,),
        CapturedRequest,
        name_key=C.NAME,
        description_key=C.DESCRIPTION,
        workspace_id=str(props[C.WORKSPACE_ID]),
        share_with_accounts=strings(props.get(C.SHARE_WITH_ACCOUNTS)),
    )


class CapturedLifecycle(BaseImageLifecycle[CapturedRequest]):
    RESOURCE_TYPE = contract.CAPTURED_TYPE

    def problems(self, properties: Mapping[str, Any]) -> list[str]:
        return captured_problems(properties)

    def read(self, properties: Mapping[str, Any]) -> CapturedRequest:
        return read_captured_request(properties)

    def create_resource(self, request: CapturedRequest, tags: Mapping[str, str]) -> str:
        # No pre-flight: CreateWorkspaceImage itself refuses a WorkSpace that is missing or not AVAILABLE, and
        # workspaces.py turns its refusal into what to fix first. Reading the WorkSpace first would add an action
        # (DescribeWorkspaces) to the role and still race its state.
        return self.ws.create_image_of_workspace(request.workspace_id, request.name, request.description, tags)

    def news_of(self, request: CapturedRequest) -> dict[str, str]:
        return {Detail.WORKSPACE_ID: request.workspace_id, Detail.NAME: request.name}
