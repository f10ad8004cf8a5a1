"""The one AWS client module: every WorkSpaces call the handler makes, what the service says, and what each
refusal means to the user.

Error meanings follow the "Errors" sections of the WorkSpaces API reference
(https://docs.aws.amazon.com/workspaces/latest/api/API_Operations.html) and the botocore model. Throttling is
retried by botocore (standard mode, see index.py); an error that survives the retries is reported, not hidden.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import ClientError

from . import rules
from .errors import ServiceError, StillPendingError
from .kernel import kind_of

if TYPE_CHECKING:
    from mypy_boto3_workspaces import WorkSpacesClient
    from mypy_boto3_workspaces.literals import ComputeType
    from mypy_boto3_workspaces.type_defs import CreateWorkspaceBundleRequestTypeDef, TagTypeDef

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- what the service says


@dataclass(frozen=True)
class Image:
    """What DescribeWorkspaceImages says of one image."""

    image_id: str
    name: str
    state: str
    created: datetime | None = None
    update_available: bool = False
    # Updates.Description: what the available update holds, in the service's words.
    update_description: str = ""
    error_code: str = ""
    error_message: str = ""
    error_details: Sequence[tuple[str, str]] = ()
    # DEDICATED for a Bring Your Own License image, which may be shared only with BYOL-enabled accounts.
    required_tenancy: str = "DEFAULT"
    owner_account_id: str = ""
    # An import that reports its progress (DescribeCustomWorkspaceImageImport): its own State, StateMessage and
    # ProgressPercentage, which the image's state and reasons carry while it runs.
    import_state: str = ""
    state_message: str = ""
    progress_percentage: int | None = None

    @property
    def progress(self) -> str:
        """How far the import got, in the service's words, ready to follow the state in a reason; empty without an
        import."""
        if not self.import_state:
            return ""
        done = "" if self.progress_percentage is None else f", {self.progress_percentage}%"
        said = f": {self.state_message}" if self.state_message else ""
        return f" (import {self.import_state}{done}{said})"

    @property
    def problem(self) -> str:
        """The service's own account of an ERROR, ready to follow the state in a reason."""
        parts = [p for p in (self.error_code, self.error_message) if p]
        details = [": ".join(p for p in d if p) for d in self.error_details]
        text = ": ".join(parts)
        if details:
            text = f"{text} (details: {'; '.join(details)})" if text else f"details: {'; '.join(details)}"
        return f" - {text}" if text else ""


@dataclass(frozen=True)
class Bundle:
    """What DescribeWorkspaceBundles says of one bundle."""

    bundle_id: str
    name: str = ""
    image_id: str = ""
    owner: str = ""
    state: str = "AVAILABLE"

    # A bundle reports no progress.
    progress: str = ""

    @property
    def problem(self) -> str:
        # The model gives a bundle in ERROR no error code or message.
        return ""


def image_from(raw: Mapping[str, Any]) -> Image:
    updates = raw.get("Updates") or {}
    return Image(
        image_id=raw["ImageId"],
        name=raw.get("Name", ""),
        state=raw.get("State", "PENDING"),
        created=raw.get("Created"),
        update_available=bool(updates.get("UpdateAvailable", False)),
        update_description=str(updates.get("Description", "")),
        error_code=raw.get("ErrorCode", ""),
        error_message=raw.get("ErrorMessage", ""),
        error_details=tuple((d.get("ErrorCode", ""), d.get("ErrorMessage", "")) for d in raw.get("ErrorDetails", [])),
        required_tenancy=str(raw.get("RequiredTenancy", "DEFAULT")),
        owner_account_id=str(raw.get("OwnerAccountId", "")),
    )


def bundle_from(raw: Mapping[str, Any]) -> Bundle:
    return Bundle(
        bundle_id=raw["BundleId"],
        name=raw.get("Name", ""),
        image_id=raw.get("ImageId", ""),
        owner=raw.get("Owner", ""),
        # State is optional in the model; a bundle described without one is taken as usable.
        state=raw.get("State", "AVAILABLE"),
    )


# ---------------------------------------------------------------- what a refusal means

# The errors each action's API reference page lists under "Errors", as the botocore model declares them
# (https://docs.aws.amazon.com/workspaces/latest/api/API_Operations.html). A code means what the reference says
# only for the actions that list it; another is reported with the service's words and no meaning of ours.
ERRORS: Mapping[str, frozenset[str]] = {
    action: frozenset(codes)
    for action, codes in {
        "CreateTags": (
            "InvalidParameterValuesException",
            "ResourceLimitExceededException",
            "ResourceNotFoundException",
        ),
        "CopyWorkspaceImage": (
            "AccessDeniedException",
            "InvalidParameterValuesException",
            "OperationNotSupportedException",
            "ResourceAlreadyExistsException",
            "ResourceLimitExceededException",
            "ResourceNotFoundException",
            "ResourceUnavailableException",
        ),
        "CreateUpdatedWorkspaceImage": (
            "AccessDeniedException",
            "InvalidParameterValuesException",
            "InvalidResourceStateException",
            "OperationNotSupportedException",
            "ResourceAlreadyExistsException",
            "ResourceLimitExceededException",
            "ResourceNotFoundException",
        ),
        "CreateWorkspaceImage": (
            "AccessDeniedException",
            "InvalidParameterValuesException",
            "InvalidResourceStateException",
            "OperationNotSupportedException",
            "ResourceAlreadyExistsException",
            "ResourceLimitExceededException",
            "ResourceNotFoundException",
        ),
        "ImportWorkspaceImage": (
            "AccessDeniedException",
            "InvalidParameterValuesException",
            "OperationNotSupportedException",
            "ResourceAlreadyExistsException",
            "ResourceLimitExceededException",
            "ResourceNotFoundException",
        ),
        "ImportCustomWorkspaceImage": (
            "AccessDeniedException",
            "InvalidParameterValuesException",
            "OperationNotSupportedException",
            "ResourceAlreadyExistsException",
            "ResourceLimitExceededException",
            "ResourceNotFoundException",
        ),
        "DescribeCustomWorkspaceImageImport": ("AccessDeniedException", "ResourceNotFoundException"),
        "CreateWorkspaceBundle": (
            "AccessDeniedException",
            "InvalidParameterValuesException",
            "ResourceAlreadyExistsException",
            "ResourceLimitExceededException",
            "ResourceNotFoundException",
            "ResourceUnavailableException",
        ),
        "DeleteTags": ("InvalidParameterValuesException", "ResourceNotFoundException"),
        "DeleteWorkspaceBundle": (
            "AccessDeniedException",
            "InvalidParameterValuesException",
            "ResourceAssociatedException",
            "ResourceNotFoundException",
        ),
        "DeleteWorkspaceImage": (
            "AccessDeniedException",
            "InvalidResourceStateException",
            "ResourceAssociatedException",
        ),
        "DescribeTags": ("ResourceNotFoundException",),
        "DescribeWorkspaceBundles": ("InvalidParameterValuesException",),
        "DescribeWorkspaceImagePermissions": (
            "AccessDeniedException",
            "InvalidParameterValuesException",
            "ResourceNotFoundException",
        ),
        "DescribeWorkspaceImages": ("AccessDeniedException",),
        "UpdateWorkspaceBundle": (
            "AccessDeniedException",
            "InvalidParameterValuesException",
            "OperationNotSupportedException",
            "ResourceNotFoundException",
            "ResourceUnavailableException",
        ),
        "UpdateWorkspaceImagePermission": (
            "AccessDeniedException",
            "InvalidParameterValuesException",
            "OperationNotSupportedException",
            "ResourceNotFoundException",
            "ResourceUnavailableException",
        ),
    }.items()
}
# Errors any action may answer: a denial by IAM and throttling
# (https://docs.aws.amazon.com/workspaces/latest/api/CommonErrors.html).
ANY_ACTION: frozenset[str] = frozenset({"AccessDeniedException", "ThrottlingException"})

# What a code means for every action that lists it; {action} and {subject} are filled in.
_HINTS: Mapping[str, str] = {
    "AccessDeniedException": "the provider's role may not call workspaces:{action} on {subject}; "
    "check its policy, permission boundary and any SCP",
    "InvalidParameterValuesException": "WorkSpaces rejected a parameter of {action} for {subject}",
    "InvalidResourceStateException": "{subject} is not in a state that allows {action}",
    "OperationNotSupportedException": "WorkSpaces does not support {action} for {subject}",
    "ResourceNotFoundException": "{subject} was not found by {action}",
    "ResourceAssociatedException": "{subject} is still associated with another resource",
    "ThrottlingException": "WorkSpaces kept throttling {action} for {subject} after every retry; "
    "deploy again later or with fewer images at once",
}

_BUNDLE_NAME_TAKEN = (
    "a bundle with the requested name already exists ({subject}); choose another bundle_name "
    "(WorkSpaces asks to wait 2 hours after deleting a bundle before reusing its name)"
)
# In the error lists of Create/UpdateWorkspaceBundle; what it means there is undocumented.
_BUNDLE_IMAGE_UNAVAILABLE = (
    "WorkSpaces reports a resource of {action} for {subject} as not available; the image must be AVAILABLE"
)

# What the image-making actions share. The images a Region may hold
# (https://docs.aws.amazon.com/workspaces/latest/adminguide/workspaces-limits.html).
_IMAGE_NAME_TAKEN = "an image with the requested name already exists ({subject}); choose another image_name"
_IMAGE_QUOTA = (
    "the Region's WorkSpaces image quota is used up, so {action} failed for {subject}; delete unused images or ask "
    "for a higher quota"
)
# Which code an account that is not enabled for BYOL gets is undocumented; OperationNotSupportedException is the one
# the import pages list for an operation the account can't do.
_BYOL_NOT_ENABLED = (
    "WorkSpaces does not {action} for {subject} in this account; enable it for Bring Your Own License first "
    "(https://docs.aws.amazon.com/workspaces/latest/adminguide/byol-windows-images.html), in this Region"
)

# What a code means for one action, where that differs from _HINTS. ResourceLimitExceededException ("Your
# resource limits have been exceeded") is a different limit for each action that lists it.
_ACTION_HINTS: Mapping[str, Mapping[str, str]] = {
    "CreateUpdatedWorkspaceImage": {
        "OperationNotSupportedException": "WorkSpaces cannot {action} for {subject}; only Windows 10, "
        "Windows Server 2016 and Windows Server 2019 images can be updated programmatically",
        "ResourceAlreadyExistsException": "an image with the requested name already exists ({subject}); "
        "choose another image_name",
        # The images a Region may hold (https://docs.aws.amazon.com/workspaces/latest/adminguide/workspaces-limits.html);
        # the tags it is created with are at most 50, which the input rules ensure.
        "ResourceLimitExceededException": "the Region's WorkSpaces image quota is used up, so {action} failed for "
        "{subject}; delete unused images or ask for a higher quota",
    },
    # https://docs.aws.amazon.com/workspaces/latest/adminguide/copy-custom-image.html
    "CopyWorkspaceImage": {
        "OperationNotSupportedException": "WorkSpaces does not {action} for {subject}; images are copied within "
        "their partition only, in the China (Ningxia) Region only within the Region, and to and from AWS GovCloud "
        "(US) Regions only through AWS Support",
        "ResourceAlreadyExistsException": "an image with the requested name already exists in the destination "
        "Region ({subject}); choose another image_name",
        "ResourceLimitExceededException": "the destination Region's WorkSpaces image quota is used up, so {action} "
        "failed for {subject}; delete unused images there or ask for a higher quota",
        "ResourceNotFoundException": "{action} did not find {subject}; check the source image id and Region, and "
        "for an image of another account that it is shared with this one",
        "ResourceUnavailableException": "{action} found {subject} not available; an image is copied once it is "
        "AVAILABLE",
    },
    # https://docs.aws.amazon.com/workspaces/latest/adminguide/create-custom-bundle.html: the WorkSpace must be
    # AVAILABLE, with no modification under way, to be imaged.
    "CreateWorkspaceImage": {
        "InvalidResourceStateException": "{subject} is not in a state that can be imaged; start it, wait until it "
        "is AVAILABLE and not being imaged already, then deploy again",
        "OperationNotSupportedException": "WorkSpaces cannot image {subject}; check that its operating system and "
        'bundle can make a custom image (admin guide, "Create a custom WorkSpaces image and bundle")',
        "ResourceAlreadyExistsException": _IMAGE_NAME_TAKEN,
        "ResourceLimitExceededException": _IMAGE_QUOTA,
        "ResourceNotFoundException": "{action} did not find {subject}; check workspace_id and the stack's Region",
    },
    # https://docs.aws.amazon.com/workspaces/latest/adminguide/byol-windows-images.html: the account must be enabled
    # for BYOL, and the AMI must be the account's own.
    "ImportWorkspaceImage": {
        "OperationNotSupportedException": _BYOL_NOT_ENABLED,
        "InvalidParameterValuesException": "WorkSpaces refused to import {subject}; check that it is a Windows 10 or "
        "11 AMI this account owns, that it is available, and that ingestion_process suits it ({action})",
        "ResourceAlreadyExistsException": _IMAGE_NAME_TAKEN,
        "ResourceLimitExceededException": _IMAGE_QUOTA,
        "ResourceNotFoundException": "{action} did not find {subject}; check the id, and that the AMI is this "
        "account's own in the stack's Region (an AMI shared with the account can't be imported)",
    },
    "ImportCustomWorkspaceImage": {
        "OperationNotSupportedException": _BYOL_NOT_ENABLED,
        "InvalidParameterValuesException": "WorkSpaces refused to import {subject}; check the source, os_version, "
        "protocol and compute_type, and that the infrastructure configuration is this account's ({action})",
        "ResourceAlreadyExistsException": _IMAGE_NAME_TAKEN,
        "ResourceLimitExceededException": _IMAGE_QUOTA,
        "ResourceNotFoundException": "{action} did not find {subject}, or its infrastructure configuration; check "
        "both ARNs and the stack's Region",
    },
    "CreateTags": {
        # 50 tags per resource (https://docs.aws.amazon.com/workspaces/latest/adminguide/tag-workspaces-resources.html):
        # the only limit a call that adds tags can reach. Tags set outside the stack count too.
        "ResourceLimitExceededException": f"{{subject}} would hold more than {rules.MAX_TAGS} tags, the most a "
        "WorkSpaces resource holds, so {action} failed; remove tags from it that were set outside this stack, "
        "or give it fewer",
    },
    "CreateWorkspaceBundle": {
        "ResourceAlreadyExistsException": _BUNDLE_NAME_TAKEN,
        # The custom bundles a Region may hold (same quotas page).
        "ResourceLimitExceededException": f"the Region's {rules.MAX_CUSTOM_BUNDLES} custom bundles are used up "
        "(a quota that cannot be raised), so {action} failed for {subject}; delete unused bundles",
        "ResourceUnavailableException": _BUNDLE_IMAGE_UNAVAILABLE,
    },
    "UpdateWorkspaceBundle": {
        "ResourceUnavailableException": _BUNDLE_IMAGE_UNAVAILABLE,
    },
    # Which code the service answers for an account that does not exist, or one that may not receive the image,
    # is undocumented: each reason names the account and says what to check.
    "UpdateWorkspaceImagePermission": {
        "InvalidParameterValuesException": "WorkSpaces refused {action} for {subject}; check that the account id "
        "is right and names an existing account other than the stack's own",
        "OperationNotSupportedException": "WorkSpaces does not support {action} for {subject}; a Bring Your Own "
        "License image can be shared only with BYOL-enabled accounts of the same organization, and not across "
        "accounts in AWS GovCloud (US)",
        "ResourceNotFoundException": "{action} did not find {subject}; check that the account id is right",
        "ResourceUnavailableException": "{action} for {subject} found the image not available; an image is "
        "shared once it is AVAILABLE",
    },
}


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", "Unknown"))


def _message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", "")).strip() or "(no message)"


def listed(action: str, code: str) -> bool:
    """Does the API reference list this error for this action (or for every action)?"""
    return code in ERRORS.get(action, frozenset()) or code in ANY_ACTION


def explain(error: ClientError, action: str, subject: str) -> ServiceError:
    """Turn an API error into a reason: what failed first, then the service's own code and words."""
    code = _code(error)
    hint = _ACTION_HINTS.get(action, {}).get(code) or (_HINTS.get(code) if listed(action, code) else None)
    text = (hint or "{action} failed for {subject}").format(action=action, subject=subject)
    return ServiceError(code, f"{text} ({code}: {_message(error)})")


def subject(resource_id: str) -> str:
    """How a reason names a resource: by its kind and id."""
    return f"{kind_of(resource_id).noun} {resource_id}"


# ---------------------------------------------------------------- the calls

# ImageIds and BundleIds take at most 25 ids per call (the API model's list length):
# https://docs.aws.amazon.com/workspaces/latest/api/API_DescribeWorkspaceImages.html
# https://docs.aws.amazon.com/workspaces/latest/api/API_DescribeWorkspaceBundles.html
DESCRIBE_BATCH = 25
# The error each describe lists for a parameter it refuses, which an id that does not exist may be.
_REFUSED_ID: Mapping[str, frozenset[str]] = {
    "DescribeWorkspaceImages": frozenset(),
    "DescribeWorkspaceBundles": frozenset({"InvalidParameterValuesException"}),
}


def _describe_batches(
    ids: Sequence[str], describe: Callable[[list[str]], list[dict[str, Any]]], action: str, key: str
) -> list[dict[str, Any]]:
    """Describe `ids` 25 at a time. An id that does not exist is left out of the answer (the emulator's choice;
    undocumented). Should the service refuse a whole batch with the one error its action lists for a bad
    parameter, each id of that batch is described alone, so one deleted resource never hides the others, and
    an id refused alone counts as gone.

    Only DescribeWorkspaceBundles lists such an error (InvalidParameterValuesException); DescribeWorkspaceImages
    lists AccessDeniedException alone, so any refusal of it is reported, never taken for "gone": a refusal
    that meant something else would otherwise fail a wait and undo what it waited for.
    """
    gone = _REFUSED_ID[action]
    found: list[dict[str, Any]] = []
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), DESCRIBE_BATCH):
        batch = unique[start : start + DESCRIBE_BATCH]
        try:
            found += describe(batch)
        except ClientError as error:
            if _code(error) not in gone:
                raise explain(error, action, ", ".join(subject(i) for i in batch)) from error
            if len(batch) > 1:
                for one in batch:
                    found += _describe_batches([one], describe, action, key)
    return [item for item in found if item.get(key) in unique]


class WorkSpaces:
    """Thin wrapper over a boto3 `workspaces` client: one method per call, each raising ServiceError."""

    def __init__(self, client: WorkSpacesClient) -> None:
        self.client = client

    @staticmethod
    def _pages(paginator: Any, key: str, **params: Any) -> list[dict[str, Any]]:
        """Every item of every page: an answer may hold fewer than the ids asked for, with a NextToken."""
        items: list[dict[str, Any]] = []
        for page in paginator.paginate(**params):
            items += page.get(key, [])
        return items

    # ------------------------------------------------------------ images

    def describe_image(self, image_id: str) -> Image | None:
        """The image, or None when it does not exist (the API may answer either empty or not-found)."""
        return self.describe_images([image_id]).get(image_id)

    def describe_images(self, image_ids: Sequence[str]) -> dict[str, Image]:
        """The images that exist among these, by id: one call per 25 ids."""
        found = _describe_batches(
            image_ids,
            lambda ids: self._pages(self.client.get_paginator("describe_workspace_images"), "Images", ImageIds=ids),
            "DescribeWorkspaceImages",
            "ImageId",
        )
        return {i["ImageId"]: image_from(i) for i in found}

    def owned_images(self) -> list[Image]:
        """Every image this account owns in the Region, from every page."""
        images: list[Image] = []
        try:
            for page in self.client.get_paginator("describe_workspace_images").paginate(ImageType="OWNED"):
                images += [image_from(i) for i in page["Images"]]
        except ClientError as error:
            raise explain(error, "DescribeWorkspaceImages", "the account's images") from error
        return images

    def owned_images_named(self, name: str) -> list[Image]:
        return [image for image in self.owned_images() if image.name == name]

    def create_updated_image(self, source_image_id: str, name: str, description: str, tags: Mapping[str, str]) -> str:
        try:
            answer = self.client.create_updated_workspace_image(
                Name=name,
                Description=description,
                SourceImageId=source_image_id,
                Tags=_tag_list(tags),
            )
        except ClientError as error:
            raise explain(error, "CreateUpdatedWorkspaceImage", f"source image {source_image_id}") from error
        return str(answer["ImageId"])

    def copy_image(
        self, source_image_id: str, source_region: str, name: str, description: str, tags: Mapping[str, str]
    ) -> str:
        """Copy an image into this client's Region (CopyWorkspaceImage is called in the destination Region:
        https://docs.aws.amazon.com/workspaces/latest/api/API_CopyWorkspaceImage.html); return the copy's id."""
        try:
            answer = self.client.copy_workspace_image(
                Name=name,
                Description=description,
                SourceImageId=source_image_id,
                SourceRegion=source_region,
                Tags=_tag_list(tags),
            )
        except ClientError as error:
            subject = f"source image {source_image_id} of Region {source_region}"
            raise explain(error, "CopyWorkspaceImage", subject) from error
        return str(answer["ImageId"])

    def create_image_of_workspace(self, workspace_id: str, name: str, description: str, tags: Mapping[str, str]) -> str:
        """Image a WorkSpace (https://docs.aws.amazon.com/workspaces/latest/api/API_CreateWorkspaceImage.html)."""
        try:
            answer = self.client.create_workspace_image(
                Name=name, Description=description, WorkspaceId=workspace_id, Tags=_tag_list(tags)
            )
        except ClientError as error:
            raise explain(error, "CreateWorkspaceImage", f"WorkSpace {workspace_id}") from error
        return str(answer["ImageId"])

    def import_image(
        self,
        ec2_image_id: str,
        ingestion_process: str,
        name: str,
        description: str,
        applications: Sequence[str],
        tags: Mapping[str, str],
    ) -> str:
        """Import a BYOL AMI (https://docs.aws.amazon.com/workspaces/latest/api/API_ImportWorkspaceImage.html)."""
        extra: dict[str, Any] = {"Applications": list(applications)} if applications else {}
        try:
            answer = self.client.import_workspace_image(
                Ec2ImageId=ec2_image_id,
                IngestionProcess=ingestion_process,  # type: ignore[arg-type]
                ImageName=name,
                ImageDescription=description,
                Tags=_tag_list(tags),
                **extra,
            )
        except ClientError as error:
            raise explain(error, "ImportWorkspaceImage", f"AMI {ec2_image_id}") from error
        return str(answer["ImageId"])

    def import_custom_image(self, request: Mapping[str, Any], tags: Mapping[str, str], subject: str) -> str:
        """Import through EC2 Image Builder
        (https://docs.aws.amazon.com/workspaces/latest/api/API_ImportCustomWorkspaceImage.html); `request`: its
        parameters but Tags, `subject`: how a reason names the source."""
        try:
            answer = self.client.import_custom_workspace_image(**request, Tags=_tag_list(tags))
        except ClientError as error:
            raise explain(error, "ImportCustomWorkspaceImage", subject) from error
        return str(answer["ImageId"])

    def describe_import(self, image_id: str) -> Mapping[str, Any] | None:
        """DescribeCustomWorkspaceImageImport's answer, or None when there is no such import
        (https://docs.aws.amazon.com/workspaces/latest/api/API_DescribeCustomWorkspaceImageImport.html)."""
        try:
            return self.client.describe_custom_workspace_image_import(ImageId=image_id)
        except ClientError as error:
            if _code(error) == "ResourceNotFoundException":
                return None
            raise explain(error, "DescribeCustomWorkspaceImageImport", f"image {image_id}") from error

    def delete_image(self, image_id: str) -> None:
        """Delete an image, naming what holds it when the service refuses; an image already gone is no error."""
        try:
            self.client.delete_workspace_image(ImageId=image_id)
        except ClientError as error:
            code = _code(error)
            if not listed("DeleteWorkspaceImage", code) and self.describe_image(image_id) is None:
                # What DeleteWorkspaceImage answers for an image that is gone is undocumented: its error list has
                # no ResourceNotFoundException. So no code counts as "gone"; DescribeWorkspaceImages says so.
                log.info("image %s is gone already (DeleteWorkspaceImage answered %s)", image_id, code)
                return
            if code == "ResourceAssociatedException":
                bundles = self.bundles_using(image_id)
                held = f"bundles {', '.join(bundles)}" if bundles else "a bundle"
                raise ServiceError(
                    code,
                    f"image {image_id} cannot be deleted: {held} still use it; point them at another image "
                    f"or delete them first ({code}: {_message(error)})",
                ) from error
            if code == "InvalidResourceStateException":
                raise self._why_not_deletable(image_id, _message(error)) from error
            raise explain(error, "DeleteWorkspaceImage", f"image {image_id}") from error

    def _why_not_deletable(self, image_id: str, said: str) -> ServiceError:
        code = "InvalidResourceStateException"
        accounts = self.shared_with(image_id)
        if accounts:
            return ServiceError(
                code,
                f"image {image_id} cannot be deleted: it is shared with accounts {', '.join(accounts)}; "
                f"unshare it first ({code}: {said})",
            )
        image = self.describe_image(image_id)
        state = image.state if image else "unknown"
        reason = (
            f"image {image_id} cannot be deleted in state {state}; retry the deletion once it is AVAILABLE "
            f"or ERROR ({code}: {said})"
        )
        return StillPendingError(code, reason, image_id) if state == "PENDING" else ServiceError(code, reason)

    def shared_with(self, image_id: str, *, strict: bool = False) -> list[str]:
        """The accounts the image is shared with, from every page (botocore has no paginator for this call).

        `strict`: raise ServiceError when they can't be read, rather than answer what was read (enough to
        explain a refusal; not to decide that an image is shared with nobody)."""
        accounts: list[str] = []
        params: dict[str, Any] = {"ImageId": image_id}
        try:
            while True:
                answer = self.client.describe_workspace_image_permissions(**params)
                accounts += [p["SharedAccountId"] for p in answer.get("ImagePermissions", [])]
                if not answer.get("NextToken"):
                    return accounts
                params["NextToken"] = answer["NextToken"]
        except ClientError as error:
            if strict:
                raise explain(error, "DescribeWorkspaceImagePermissions", f"image {image_id}") from error
            log.warning("could not read the image's permissions to explain a blocked delete: %s", _code(error))
            return accounts

    def set_image_permission(self, image_id: str, account_id: str, *, allow: bool) -> None:
        """Share the image with the account (allow) or stop sharing it (UpdateWorkspaceImagePermission:
        https://docs.aws.amazon.com/workspaces/latest/api/API_UpdateWorkspaceImagePermission.html)."""
        try:
            self.client.update_workspace_image_permission(
                ImageId=image_id, AllowCopyImage=allow, SharedAccountId=account_id
            )
        except ClientError as error:
            raise explain(
                error, "UpdateWorkspaceImagePermission", f"image {image_id} and account {account_id}"
            ) from error

    def bundles_by_image(self) -> dict[str, list[str]]:
        """The ids of the account's own bundles, by the image each uses. Raises ServiceError."""
        by_image: dict[str, list[str]] = {}
        try:
            for bundle in self._own_bundles():
                by_image.setdefault(bundle.image_id, []).append(bundle.bundle_id)
        except ClientError as error:
            raise explain(error, "DescribeWorkspaceBundles", "the account's bundles") from error
        return by_image

    def bundles_using(self, image_id: str) -> list[str]:
        """Bundle ids whose ImageId is this image (DescribeImageAssociations covers only applications)."""
        try:
            return [b.bundle_id for b in self._own_bundles() if b.image_id == image_id]
        except ClientError as error:
            log.warning("could not list bundles to explain a blocked delete: %s", _code(error))
        return []

    # ------------------------------------------------------------ tags

    def tags(self, resource_id: str) -> dict[str, str] | None:
        """The image's or bundle's tags, or None when it is gone."""
        try:
            listed = self.client.describe_tags(ResourceId=resource_id)["TagList"]
        except ClientError as error:
            if _code(error) == "ResourceNotFoundException":
                return None
            raise explain(error, "DescribeTags", subject(resource_id)) from error
        return {t["Key"]: t.get("Value", "") for t in listed}

    def set_tags(self, resource_id: str, tags: Mapping[str, str]) -> None:
        if not tags:
            return
        try:
            self.client.create_tags(ResourceId=resource_id, Tags=_tag_list(tags))
        except ClientError as error:
            raise explain(error, "CreateTags", subject(resource_id)) from error

    def delete_tags(self, resource_id: str, keys: Sequence[str]) -> None:
        if not keys:
            return
        try:
            self.client.delete_tags(ResourceId=resource_id, TagKeys=list(keys))
        except ClientError as error:
            raise explain(error, "DeleteTags", subject(resource_id)) from error

    # ------------------------------------------------------------ bundles

    def _own_bundles(self) -> list[Bundle]:
        # DescribeWorkspaceBundles without BundleIds or Owner lists the account's own bundles.
        bundles: list[Bundle] = []
        for page in self.client.get_paginator("describe_workspace_bundles").paginate():
            bundles += [bundle_from(b) for b in page.get("Bundles", [])]
        return bundles

    def owned_bundles_named(self, name: str) -> list[Bundle]:
        try:
            return [b for b in self._own_bundles() if b.name == name]
        except ClientError as error:
            raise explain(error, "DescribeWorkspaceBundles", "the account's bundles") from error

    def describe_bundle(self, bundle_id: str) -> Bundle | None:
        """The bundle, or None when it does not exist."""
        return self.describe_bundles([bundle_id]).get(bundle_id)

    def describe_bundles(self, bundle_ids: Sequence[str]) -> dict[str, Bundle]:
        """The bundles that exist among these, by id: one call per 25 ids."""
        found = _describe_batches(
            bundle_ids,
            lambda ids: self._pages(self.client.get_paginator("describe_workspace_bundles"), "Bundles", BundleIds=ids),
            "DescribeWorkspaceBundles",
            "BundleId",
        )
        return {b["BundleId"]: bundle_from(b) for b in found}

    def create_bundle(
        self,
        *,
        name: str,
        description: str,
        image_id: str,
        compute_type: str,
        user_storage: str,
        root_storage: str | None,
        tags: Mapping[str, str],
    ) -> str:
        params: CreateWorkspaceBundleRequestTypeDef = {
            "BundleName": name,
            "BundleDescription": description,
            "ImageId": image_id,
            # One of COMPUTE_TYPES (rules.py), the model's enum, as the input rules checked.
            "ComputeType": {"Name": cast("ComputeType", compute_type)},
            "UserStorage": {"Capacity": user_storage},
            "Tags": _tag_list(tags),
        }
        if root_storage:
            params["RootStorage"] = {"Capacity": root_storage}
        try:
            answer = self.client.create_workspace_bundle(**params)
        except ClientError as error:
            raise explain(error, "CreateWorkspaceBundle", f"bundle {name!r} on image {image_id}") from error
        return str(answer["WorkspaceBundle"]["BundleId"])

    def update_bundle(self, bundle_id: str, image_id: str) -> None:
        """Point the bundle at another image; WorkSpaces launched from it keep their image until rebuilt."""
        try:
            self.client.update_workspace_bundle(BundleId=bundle_id, ImageId=image_id)
        except ClientError as error:
            raise explain(error, "UpdateWorkspaceBundle", f"bundle {bundle_id} or image {image_id}") from error

    def delete_bundle(self, bundle_id: str) -> None:
        """Delete a bundle; one already gone is no error."""
        try:
            self.client.delete_workspace_bundle(BundleId=bundle_id)
        except ClientError as error:
            code = _code(error)
            if code == "ResourceNotFoundException":
                return  # already gone: a repeated Delete
            if code == "ResourceAssociatedException":
                # "To delete a bundle, you must first delete all of the WorkSpaces that are based on the bundle":
                # https://docs.aws.amazon.com/workspaces/latest/adminguide/delete_bundle.html
                raise ServiceError(
                    code,
                    f"bundle {bundle_id} cannot be deleted: WorkSpaces are still based on it; terminate them or "
                    f"keep the bundle (removal_policy RETAIN) ({code}: {_message(error)})",
                ) from error
            raise explain(error, "DeleteWorkspaceBundle", f"bundle {bundle_id}") from error


def _tag_list(tags: Mapping[str, str]) -> list[TagTypeDef]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]
