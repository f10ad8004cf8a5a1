"""Custom::ImageBuilderWorkspaceImage: a Bring Your Own License image ImportCustomWorkspaceImage imports through EC2
Image Builder (https://docs.aws.amazon.com/workspaces/latest/api/API_ImportCustomWorkspaceImage.html).

Once it exists it is an image like an updated one (image.py). What differs besides how it is made: the import reports
its progress (DescribeCustomWorkspaceImageImport: State, StateMessage, ProgressPercentage, ErrorDetails), and whether
DescribeWorkspaceImages lists the image while it is imported is undocumented. So the wait reads both, and takes the
safe reading: the image is ready only once the import is COMPLETED and the image AVAILABLE, it failed once either says
ERROR, and it is gone only when neither knows it (merge_import).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import contract, rules
from .contract import Detail
from .contract import ImageBuilderProps as C
from .errors import ServiceError, StillPendingError
from .image import BaseImageLifecycle, ImageRequest, made_problems, read_request, strings
from .workspaces import Image

# The import states after which it makes no more progress (the model's CustomWorkspaceImageImportState; which states
# are final is undocumented, these two are by their names).
IMPORT_DONE = "COMPLETED"
IMPORT_FAILED = "ERROR"


@dataclass(frozen=True)
class ImageBuilderRequest(ImageRequest):
    # The one key of ImageSource given, and its value.
    source_key: str = ""
    source: str = ""
    infrastructure_configuration_arn: str = ""
    os_version: str = ""
    protocol: str = ""
    compute_type: str = "BASE"
    image_validation_mode: str = ""

    @property
    def replacing_values(self) -> tuple[str, ...]:
        return (
            self.source_key,
            self.source,
            self.infrastructure_configuration_arn,
            self.os_version,
            self.protocol,
            self.compute_type,
            self.image_validation_mode,
            self.name,
            self.description,
        )

    def api_request(self) -> dict[str, Any]:
        """ImportCustomWorkspaceImage's parameters but Tags."""
        request: dict[str, Any] = {
            "ImageName": self.name,
            "ImageDescription": self.description,
            "ComputeType": self.compute_type,
            "Protocol": self.protocol,
            "ImageSource": {self.source_key: self.source},
            "InfrastructureConfigurationArn": self.infrastructure_configuration_arn,
            "Platform": "WINDOWS",
            "OsVersion": self.os_version,
        }
        if self.image_validation_mode:
            request["ImageValidationMode"] = self.image_validation_mode
        return request


def _source(props: Mapping[str, Any]) -> Mapping[str, Any]:
    raw = props.get(C.IMAGE_SOURCE)
    return raw if isinstance(raw, Mapping) else {}


def image_builder_problems(props: Mapping[str, Any]) -> list[str]:
    """Every input rule the properties break, in the words synth uses for the same values; unknown ones first."""
    raw = props.get(C.IMAGE_SOURCE)
    own = rules.image_builder_problems(
        image_source=raw if isinstance(raw, Mapping) else (raw if raw is not None else {}),
        infrastructure_configuration_arn=props.get(C.INFRASTRUCTURE_CONFIGURATION_ARN),
        os_version=props.get(C.OS_VERSION),
        protocol=props.get(C.PROTOCOL),
        compute_type=props.get(C.COMPUTE_TYPE, "BASE"),
        image_validation_mode=props.get(C.IMAGE_VALIDATION_MODE),
    )
    return made_problems(props, contract.IMAGE_BUILDER_TYPE, C.NAME, C.DESCRIPTION, own)


def read_image_builder_request(props: Mapping[str, Any]) -> ImageBuilderRequest:
    """The request of Custom::ImageBuilderWorkspaceImage in its properties, unjudged; the first source given."""
    given = [(k, str(v)) for k, v in _source(props).items() if k in contract.IMAGE_SOURCE_KEYS and v]
    key, value = given[0] if given else ("", "")
    return read_request(
        props,
        (C.INFRASTRUCTURE_CONFIGURATION_ARN, C.OS_VERSION, C.PROTOCOL),
        ImageBuilderRequest,
        name_key=C.NAME,
        description_key=C.DESCRIPTION,
        source_key=key,
        source=value,
        infrastructure_configuration_arn=str(props[C.INFRASTRUCTURE_CONFIGURATION_ARN]),
        os_version=str(props[C.OS_VERSION]),
        protocol=str(props[C.PROTOCOL]),
        compute_type=str(props.get(C.COMPUTE_TYPE) or "BASE"),
        image_validation_mode=str(props.get(C.IMAGE_VALIDATION_MODE) or ""),
        share_with_accounts=strings(props.get(C.SHARE_WITH_ACCOUNTS)),
    )


def merge_import(image_id: str, image: Image | None, imported: Mapping[str, Any] | None) -> Image | None:
    """The image as its wait sees it, from what DescribeWorkspaceImages (`image`) and DescribeCustomWorkspaceImageImport
    (`imported`) say of it; None when neither knows it (gone)."""
    if imported is None:
        return image
    state = str(imported.get("State", "PENDING"))
    progress = imported.get("ProgressPercentage")
    base = image or Image(image_id=image_id, name="", state="PENDING", created=imported.get("Created"))
    seen = dataclasses.replace(
        base,
        import_state=state,
        state_message=str(imported.get("StateMessage") or ""),
        progress_percentage=None if progress is None else int(progress),
    )
    if state == IMPORT_FAILED:
        details = tuple((d.get("ErrorCode", ""), d.get("ErrorMessage", "")) for d in imported.get("ErrorDetails", []))
        return dataclasses.replace(seen, state="ERROR", error_details=details or seen.error_details)
    if seen.state == "ERROR":
        return seen
    if state != IMPORT_DONE:
        # Undocumented whether a listed image can be AVAILABLE before its import completed: not ready until it did.
        return dataclasses.replace(seen, state="PENDING")
    # COMPLETED, but not listed yet: still PENDING until DescribeWorkspaceImages lists it AVAILABLE.
    return seen


class ImageBuilderLifecycle(BaseImageLifecycle[ImageBuilderRequest]):
    RESOURCE_TYPE = contract.IMAGE_BUILDER_TYPE

    def problems(self, properties: Mapping[str, Any]) -> list[str]:
        return image_builder_problems(properties)

    def read(self, properties: Mapping[str, Any]) -> ImageBuilderRequest:
        return read_image_builder_request(properties)

    def unlisted_for(self) -> float:
        # Undocumented whether DescribeWorkspaceImages lists an image while it is imported: the safe reading is that
        # it may not until the import ends, which the longest wait bounds.
        return float(rules.MAX_TIMEOUT_SECONDS)

    def create_resource(self, request: ImageBuilderRequest, tags: Mapping[str, str]) -> str:
        subject = f"{rules.image_source_label(request.source_key)} {request.source}"
        return self.ws.import_custom_image(request.api_request(), tags, subject)

    def describe_all(self, resource_ids: Sequence[str]) -> Mapping[str, Image]:
        """DescribeWorkspaceImages for all, then the import of each that is not AVAILABLE yet (one call each: the
        API takes one id)."""
        images = self.ws.describe_images(resource_ids)
        found: dict[str, Image] = {}
        for image_id in resource_ids:
            image = images.get(image_id)
            imported = None if image is not None and image.state == "AVAILABLE" else self.ws.describe_import(image_id)
            merged = merge_import(image_id, image, imported)
            if merged is not None:
                found[image_id] = merged
        return found

    def delete_resource(self, resource_id: str) -> None:
        """An image still being imported may not be listed, and DeleteWorkspaceImage's refusal of it would not say
        why: the Delete waits for the import to end, as for a PENDING image (lifecycle.py)."""
        try:
            super().delete_resource(resource_id)
        except StillPendingError:
            raise
        except ServiceError as error:
            seen = self.describe(resource_id)
            if seen is not None and seen.state == "PENDING":
                raise StillPendingError(
                    error.code, f"image {resource_id} is still being imported", resource_id
                ) from error
            raise

    def news_of(self, request: ImageBuilderRequest) -> dict[str, str]:
        return {Detail.IMAGE_SOURCE: request.source, Detail.NAME: request.name}
