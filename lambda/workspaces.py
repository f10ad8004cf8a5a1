"""The WorkSpaces calls the handler makes, and what each API error means to the user.

Error meanings follow the "Errors" sections of the WorkSpaces API reference
(CreateUpdatedWorkspaceImage, DeleteWorkspaceImage) in shared/reference.
Throttling is retried by botocore (standard mode, see index.py); an error that
survives the retries is reported, not hidden.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError
from decisions import Image

log = logging.getLogger(__name__)

MAX_IDS_PER_DESCRIBE = 25  # DescribeWorkspaceImages: ImageIds holds 1 to 25 ids


class WorkSpacesError(RuntimeError):
    """An API error, already put in words that say what to fix."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", "Unknown"))


def _message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", "")).strip() or "(no message)"


def explain(error: ClientError, action: str, subject: str) -> WorkSpacesError:
    """Turn an API error into a reason: what failed first, then the service's own words."""
    code, said = _code(error), _message(error)
    hints = {
        "AccessDeniedException": f"the provider's role may not call workspaces:{action} on {subject}; "
        "check its policy, permission boundary and any SCP",
        "InvalidParameterValuesException": f"WorkSpaces rejected a parameter of {action} for {subject}",
        "InvalidResourceStateException": f"{subject} is not in a state that allows {action}",
        "OperationNotSupportedException": f"WorkSpaces cannot {action} for {subject}; only Windows 10, "
        "Windows Server 2016 and Windows Server 2019 images can be updated programmatically",
        "ResourceAlreadyExistsException": f"an image with the requested name already exists ({subject}); "
        "choose another image_name",
        "ResourceLimitExceededException": f"the Region's WorkSpaces image quota is used up, so {action} failed "
        f"for {subject}; delete unused images or ask for a higher quota",
        "ResourceNotFoundException": f"{subject} was not found by {action}",
        "ResourceAssociatedException": f"{subject} is still associated with another resource",
        "ThrottlingException": f"WorkSpaces kept throttling {action} for {subject} after every retry; "
        "deploy again later or with fewer images at once",
    }
    hint = hints.get(code, f"{action} failed for {subject}")
    return WorkSpacesError(code, f"{hint} ({code}: {said})")


def image_from(raw: Mapping[str, Any]) -> Image:
    updates = raw.get("Updates") or {}
    return Image(
        image_id=raw["ImageId"],
        name=raw.get("Name", ""),
        state=raw.get("State", "PENDING"),
        created=raw.get("Created"),
        update_available=bool(updates.get("UpdateAvailable", False)),
        update_description=updates.get("Description", ""),
        error_code=raw.get("ErrorCode", ""),
        error_message=raw.get("ErrorMessage", ""),
        error_details=tuple((d.get("ErrorCode", ""), d.get("ErrorMessage", "")) for d in raw.get("ErrorDetails", [])),
    )


class WorkSpaces:
    """Thin wrapper over a boto3 `workspaces` client."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def describe_image(self, image_id: str) -> Image | None:
        """The image, or None when it does not exist (the API may answer either empty or not-found)."""
        try:
            found = self.client.describe_workspace_images(ImageIds=[image_id])["Images"]
        except ClientError as error:
            if _code(error) in ("ResourceNotFoundException", "InvalidParameterValuesException"):
                return None
            raise explain(error, "DescribeWorkspaceImages", f"image {image_id}") from error
        return next((image_from(i) for i in found if i["ImageId"] == image_id), None)

    def owned_images_named(self, name: str) -> list[Image]:
        images: list[Image] = []
        try:
            for page in self.client.get_paginator("describe_workspace_images").paginate(ImageType="OWNED"):
                images += [image_from(i) for i in page["Images"] if i.get("Name") == name]
        except ClientError as error:
            raise explain(error, "DescribeWorkspaceImages", "the account's images") from error
        return images

    def tags(self, image_id: str) -> dict[str, str] | None:
        """The image's tags, or None when the image is gone."""
        try:
            listed = self.client.describe_tags(ResourceId=image_id)["TagList"]
        except ClientError as error:
            if _code(error) == "ResourceNotFoundException":
                return None
            raise explain(error, "DescribeTags", f"image {image_id}") from error
        return {t["Key"]: t.get("Value", "") for t in listed}

    def create_updated_image(self, source_image_id: str, name: str, description: str, tags: Mapping[str, str]) -> str:
        try:
            answer = self.client.create_updated_workspace_image(
                Name=name,
                Description=description,
                SourceImageId=source_image_id,
                Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
            )
        except ClientError as error:
            raise explain(error, "CreateUpdatedWorkspaceImage", f"source image {source_image_id}") from error
        return str(answer["ImageId"])

    def set_tags(self, image_id: str, tags: Mapping[str, str]) -> None:
        if not tags:
            return
        try:
            self.client.create_tags(ResourceId=image_id, Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
        except ClientError as error:
            raise explain(error, "CreateTags", f"image {image_id}") from error

    def delete_tags(self, image_id: str, keys: list[str]) -> None:
        if not keys:
            return
        try:
            self.client.delete_tags(ResourceId=image_id, TagKeys=keys)
        except ClientError as error:
            raise explain(error, "DeleteTags", f"image {image_id}") from error

    def delete_image(self, image_id: str) -> None:
        """Delete an image, naming what holds it when the service refuses."""
        try:
            self.client.delete_workspace_image(ImageId=image_id)
        except ClientError as error:
            code = _code(error)
            if code == "ResourceNotFoundException":
                return  # already gone: a repeated Delete
            if code == "ResourceAssociatedException":
                bundles = self.bundles_using(image_id)
                held = f"bundles {', '.join(bundles)}" if bundles else "a bundle"
                raise WorkSpacesError(
                    code,
                    f"image {image_id} cannot be deleted: {held} still use it; point them at another image "
                    f"or delete them first ({code}: {_message(error)})",
                ) from error
            if code == "InvalidResourceStateException":
                raise WorkSpacesError(code, self._why_not_deletable(image_id, _message(error))) from error
            raise explain(error, "DeleteWorkspaceImage", f"image {image_id}") from error

    def _why_not_deletable(self, image_id: str, said: str) -> str:
        accounts = self.shared_with(image_id)
        if accounts:
            return (
                f"image {image_id} cannot be deleted: it is shared with accounts {', '.join(accounts)}; "
                f"unshare it first (InvalidResourceStateException: {said})"
            )
        image = self.describe_image(image_id)
        state = image.state if image else "unknown"
        return (
            f"image {image_id} cannot be deleted in state {state}; retry the deletion once it is AVAILABLE "
            f"or ERROR (InvalidResourceStateException: {said})"
        )

    def bundles_using(self, image_id: str) -> list[str]:
        """Bundle ids whose ImageId is this image (DescribeImageAssociations covers only applications)."""
        found: list[str] = []
        try:
            for page in self.client.get_paginator("describe_workspace_bundles").paginate():
                found += [b["BundleId"] for b in page.get("Bundles", []) if b.get("ImageId") == image_id]
        except ClientError as error:
            log.warning("could not list bundles to explain a blocked delete: %s", _code(error))
        return found

    def shared_with(self, image_id: str) -> list[str]:
        try:
            answer = self.client.describe_workspace_image_permissions(ImageId=image_id)
        except ClientError as error:
            log.warning("could not read the image's permissions to explain a blocked delete: %s", _code(error))
            return []
        return [p["SharedAccountId"] for p in answer.get("ImagePermissions", [])]
