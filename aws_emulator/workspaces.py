"""An in-memory Amazon WorkSpaces (images, bundles, tags) for one account and Region; a `Regions` registry joins
the backends of one account's Regions (for routing and CopyWorkspaceImage).

Request and response shapes are botocore's `workspaces` 2015-04-08 model. Each
behaviour names its source: a page of the WorkSpaces API reference
(https://docs.aws.amazon.com/workspaces/latest/api/API_<Operation>.html) or of the
Administration Guide (https://docs.aws.amazon.com/workspaces/latest/adminguide/);
"undocumented" marks a choice made here, usually behind an option so tests can
cover both outcomes.
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from aws_emulator.iam import RequestContext, tag_context
from aws_emulator.service import Backend, Clock, Params, ServiceError, service_model
from aws_emulator.workspaces_sources import ImageSources, imageable_states

OS = Literal["WINDOWS", "LINUX"]
State = Literal["PENDING", "AVAILABLE", "ERROR"]
# DescribeWorkspaceImages' RequiredTenancy (the model's WorkspaceImageRequiredTenancy): DEDICATED is a BYOL image.
Tenancy = Literal["DEFAULT", "DEDICATED"]

# Administration Guide, "Tag WorkSpaces resources": 50 tags per resource.
# https://docs.aws.amazon.com/workspaces/latest/adminguide/tag-workspaces-resources.html
MAX_TAGS = 50
RESERVED_TAG_PREFIX = "aws:"  # same page: the aws: prefix is reserved for AWS use
# Same page: letters, numbers, spaces and _ . : / = + - @ ; \w covers Unicode letters and digits.
TAG_CHARACTERS = r"[\w .:/=+\-@]*"

# Administration Guide, "Copy a custom WorkSpaces image"
# (https://docs.aws.amazon.com/workspaces/latest/adminguide/copy-custom-image.html) and the CopyWorkspaceImage
# reference: in China (Ningxia) images are copied only within the Region; in AWS GovCloud (US) copies to and from
# other Regions go through AWS Support.
NINGXIA = "cn-northwest-1"
GOVCLOUD_PREFIX = "us-gov-"
# A Region's name (eu-west-1, us-gov-west-1, cn-northwest-1); the model's pattern for SourceRegion is looser.
REGION_NAME = r"[a-z]{2}(-[a-z]+)+-\d+"


def partition_of(region: str) -> str:
    """The partition of a Region, as ARNs name it (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html):
    aws-cn for China, aws-us-gov for AWS GovCloud (US), aws for the rest."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith(GOVCLOUD_PREFIX):
        return "aws-us-gov"
    return "aws"


def _error_detail_codes() -> frozenset[str]:
    shape = service_model("workspaces").shape_for("WorkspaceImageErrorDetailCode")
    return frozenset(getattr(shape, "enum", []))


@dataclass(frozen=True)
class Plan:
    """How a PENDING image ends: after `after_seconds` of virtual time since Created, or after
    `after_describes` DescribeWorkspaceImages answers that showed it PENDING, whichever comes
    first (None: never by that route). How long the real service takes is undocumented
    (plan for hours). A custom import (ImportCustomWorkspaceImage) goes through its stages over
    the same time, and DescribeCustomWorkspaceImageImport answers count as describes too."""

    state: Literal["AVAILABLE", "ERROR"] = "AVAILABLE"
    after_seconds: float | None = 3600.0
    after_describes: int | None = None
    error_code: str = ""
    error_message: str = ""
    error_details: tuple[tuple[str, str], ...] = ()

    @classmethod
    def available(cls, after_seconds: float | None = 3600.0, after_describes: int | None = None) -> Plan:
        return cls("AVAILABLE", after_seconds, after_describes)

    @classmethod
    def error(
        cls,
        error_code: str = "UpdateFailed",
        error_message: str = "The image could not be updated",
        details: Iterable[tuple[str, str]] = (("WindowsUpdatesRequired", "Windows updates are required"),),
        after_seconds: float | None = 3600.0,
        after_describes: int | None = None,
    ) -> Plan:
        plan = cls("ERROR", after_seconds, after_describes, error_code, error_message, tuple(details))
        unknown = [code for code, _ in plan.error_details if code not in _error_detail_codes()]
        if unknown:
            # ErrorDetails[].ErrorCode is an enum in the model: anything else would be an invalid response.
            raise ValueError(f"error detail codes not in the model's WorkspaceImageErrorDetailCode: {unknown}")
        return plan

    @classmethod
    def never(cls) -> Plan:
        return cls("AVAILABLE", None, None)


@dataclass
class Image:
    image_id: str
    name: str
    description: str
    os_type: OS
    state: State
    created: float
    owner_account_id: str
    update_available: bool
    update_description: str = ""
    updatable: bool = True
    required_tenancy: Tenancy = "DEFAULT"
    error_code: str = ""
    error_message: str = ""
    error_details: tuple[tuple[str, str], ...] = ()
    tags: dict[str, str] = field(default_factory=dict)
    shared_with: list[str] = field(default_factory=list)
    source_image_id: str | None = None
    # The Region of the source of a copy (CopyWorkspaceImage); None for an image made or updated in its own Region.
    source_region: str | None = None
    plan: Plan | None = None
    describes: int = 0
    # When it left PENDING (by its plan's time, or when a request found the plan's describes done).
    finished: float | None = None

    def to_api(self) -> Params:
        answer: Params = {
            "ImageId": self.image_id,
            "Name": self.name,
            "OperatingSystem": {"Type": self.os_type},
            "State": self.state,
            "RequiredTenancy": self.required_tenancy,
            "Created": self.created,
            "OwnerAccountId": self.owner_account_id,
            "Updates": {"UpdateAvailable": self.update_available},
        }
        if self.description:
            answer["Description"] = self.description
        if self.update_description:
            answer["Updates"]["Description"] = self.update_description
        if self.state == "ERROR":
            answer["ErrorCode"] = self.error_code
            answer["ErrorMessage"] = self.error_message
            answer["ErrorDetails"] = [{"ErrorCode": c, "ErrorMessage": m} for c, m in self.error_details]
        return answer


@dataclass
class Bundle:
    bundle_id: str
    name: str
    description: str
    image_id: str
    owner: str
    compute: str
    user_storage: str
    root_storage: str
    created: float
    updated: float
    tags: dict[str, str] = field(default_factory=dict)

    def to_api(self) -> Params:
        return {
            "BundleId": self.bundle_id,
            "Name": self.name,
            "Owner": self.owner,
            "Description": self.description,
            "ImageId": self.image_id,
            "RootStorage": {"Capacity": self.root_storage},
            "UserStorage": {"Capacity": self.user_storage},
            "ComputeType": {"Name": self.compute},
            "LastUpdatedTime": self.updated,
            "CreationTime": self.created,
            "State": "AVAILABLE",
            "BundleType": "REGULAR",
        }


class Regions:
    """The WorkSpaces Regions of one account: each Region's backend, made by `make` the first time it is named.

    WorkSpaces is a regional service: each Region has its own images, bundles, quotas and ids, and a client reaches
    one Region's endpoint. CopyWorkspaceImage is called in the destination Region and reads the source image in
    another, so the backends must find each other: this registry. They share one lock, so an operation of one
    Region that reads another sees both consistent, and two copies going opposite ways cannot deadlock.
    """

    def __init__(self, home: WorkSpacesBackend, make: Callable[[str], WorkSpacesBackend]) -> None:
        self.home = home
        self.lock = home.lock
        self._make = make
        self._backends: dict[str, WorkSpacesBackend] = {home.region: home}
        home.regions = self

    def get(self, region: str) -> WorkSpacesBackend:
        """The backend of `region`, made now if no request or test named it before."""
        with self.lock:
            backend = self._backends.get(region)
            if backend is None:
                backend = self._make(region)
                if backend.region != region:
                    raise ValueError(f"asked for a backend of {region}, made one of {backend.region}")
                backend.lock = self.lock
                backend.regions = self
                self._backends[region] = backend
            return backend

    def known(self, region: str) -> WorkSpacesBackend | None:
        """The backend of `region` if it was made; a Region nobody named has nothing in it yet."""
        with self.lock:
            return self._backends.get(region)

    def all(self) -> dict[str, WorkSpacesBackend]:
        with self.lock:
            return dict(self._backends)


class WorkSpacesBackend(ImageSources, Backend):
    """WorkSpaces images, bundles and tags, with a state machine and faults under the test's control.

    Images made from WorkSpaces, EC2 AMIs and EC2 Image Builder (CreateWorkspaceImage, ImportWorkspaceImage,
    ImportCustomWorkspaceImage, DescribeCustomWorkspaceImageImport) and their options are `ImageSources`'
    (aws_emulator/workspaces_sources.py).

    Options (each an undocumented behaviour, or a quota, of the real service):
    - unique_names: CreateUpdatedWorkspaceImage refuses a Name an image of the account
      already has (ResourceAlreadyExistsException is in its error list; that names must be
      unique is undocumented).
    - no_update_error: the error code CreateUpdatedWorkspaceImage answers when the source
      has Updates.UpdateAvailable false (undocumented); None creates the image anyway.
    - delete_pending_error: the error DeleteWorkspaceImage answers for a PENDING image.
      Whether the service deletes an image still being made is undocumented; refusing is the
      safe assumption, so it is the default, with InvalidResourceStateException, which the
      operation's error list has
      (https://docs.aws.amazon.com/workspaces/latest/api/API_DeleteWorkspaceImage.html).
      None allows the deletion.
    - delete_missing_error: the error DeleteWorkspaceImage answers for an unknown image.
      Its error list has no ResourceNotFoundException (undocumented); None answers success.
    - image_quota: owned images per Region (20 by default; Administration Guide quotas,
      https://docs.aws.amazon.com/workspaces/latest/adminguide/workspaces-limits.html).
    - bundle_quota: custom bundles per Region (50, not adjustable; same page).
    - default_plan: what new images do when no plan was queued or set.

    Sharing (UpdateWorkspaceImagePermission,
    https://docs.aws.amazon.com/workspaces/latest/api/API_UpdateWorkspaceImagePermission.html, and the
    Administration Guide's https://docs.aws.amazon.com/workspaces/latest/adminguide/share-custom-image.html):
    - accounts: the AWS accounts that exist; None (the default) means every 12-digit id does.
    - unknown_account_error: the error for granting to an account not in `accounts`
      (undocumented which code; InvalidParameterValuesException by default).
    - byol_accounts: the accounts a DEDICATED (BYOL) image can be shared with: the Administration
      Guide allows only accounts "enabled for BYOL" and in the same organization (same payer
      account). Empty by default, so a BYOL image is shareable with nobody until a test says so.
    - byol_share_error: the error for a BYOL share the guide rules out, including any in an AWS
      GovCloud (US) Region (us-gov-*), where cross-account BYOL sharing is not supported. Which code
      is undocumented; OperationNotSupportedException is in the operation's error list.
    - self_share_error: the error for SharedAccountId naming this account (undocumented;
      InvalidParameterValuesException). None answers success and changes nothing.
    - share_unavailable_error: the error for granting on an image that is not AVAILABLE
      (undocumented whether a PENDING or ERROR image can be shared; refusing is the safe reading,
      with ResourceUnavailableException from the error list). None shares it anyway.
    - already_shared_error: the error for granting to an account the image is shared with already
      (undocumented); None (the default) answers success, and the account is listed once.

    Regions: one backend is one Region. `regions` (a `Regions`, set by whoever serves several, as LocalCloud does)
    lets a request signed for another Region reach that Region's backend (`in_region`) and CopyWorkspaceImage read
    its source there; a backend used alone knows only itself, and answers every request whatever its Region.
    CopyWorkspaceImage (https://docs.aws.amazon.com/workspaces/latest/api/API_CopyWorkspaceImage.html,
    https://docs.aws.amazon.com/workspaces/latest/adminguide/copy-custom-image.html):
    - govcloud_copy_routes: the (source Region, destination Region) pairs in AWS GovCloud (US) that AWS Support
      has enabled for the account; the documentation sends every GovCloud copy to or from another Region through
      AWS Support, so none is allowed by default.
    """

    service_name = "workspaces"
    target_prefix = "WorkspacesService"
    iam_prefix = "workspaces"
    # Every operation here lists InvalidParameterValuesException ("One or more parameter
    # values are not valid"); whether the service answers model violations with it or
    # with the common ValidationException is undocumented.
    validation_error_code = "InvalidParameterValuesException"

    def __init__(
        self,
        clock: Clock | None = None,
        account_id: str = "123456789012",
        region: str = "eu-west-1",
        *,
        unique_names: bool = True,
        no_update_error: str | None = "InvalidResourceStateException",
        delete_pending_error: str | None = "InvalidResourceStateException",
        delete_missing_error: str | None = None,
        image_quota: int = 20,
        bundle_quota: int = 50,
        default_plan: Plan | None = None,
        bundle_page_size: int = 25,
        accounts: Collection[str] | None = None,
        unknown_account_error: str = "InvalidParameterValuesException",
        byol_accounts: Collection[str] = (),
        byol_share_error: str = "OperationNotSupportedException",
        self_share_error: str | None = "InvalidParameterValuesException",
        share_unavailable_error: str | None = "ResourceUnavailableException",
        already_shared_error: str | None = None,
        govcloud_copy_routes: Collection[tuple[str, str]] = (),
        imageable_workspace_states: Collection[str] = ("AVAILABLE",),
        byol_enabled: bool = True,
        byol_disabled_error: str = "OperationNotSupportedException",
        ami_not_found_error: str = "ResourceNotFoundException",
        ami_not_owned_error: str | None = "InvalidParameterValuesException",
        ami_unavailable_error: str = "InvalidParameterValuesException",
        custom_import_listed_while_importing: bool = False,
        delete_importing_error: str | None = "InvalidResourceStateException",
        seed: int | None = None,
        check_responses: bool = True,
    ) -> None:
        super().__init__(clock, account_id, region, check_responses)
        self.unique_names = unique_names
        self.no_update_error = no_update_error
        self.delete_pending_error = delete_pending_error
        self.delete_missing_error = delete_missing_error
        self.image_quota = image_quota
        self.bundle_quota = bundle_quota
        self.default_plan = default_plan or Plan.available()
        self.bundle_page_size = bundle_page_size
        self.accounts: frozenset[str] | None = None if accounts is None else frozenset(accounts)
        self.unknown_account_error = unknown_account_error
        self.byol_accounts = frozenset(byol_accounts)
        self.byol_share_error = byol_share_error
        self.self_share_error = self_share_error
        self.share_unavailable_error = share_unavailable_error
        self.already_shared_error = already_shared_error
        self.govcloud_copy_routes = frozenset(govcloud_copy_routes)
        self.imageable_workspace_states = imageable_states(imageable_workspace_states)
        self.byol_enabled = byol_enabled
        self.byol_disabled_error = byol_disabled_error
        self.ami_not_found_error = ami_not_found_error
        self.ami_not_owned_error = ami_not_owned_error
        self.ami_unavailable_error = ami_unavailable_error
        self.custom_import_listed_while_importing = custom_import_listed_while_importing
        self.delete_importing_error = delete_importing_error
        self.regions: Regions | None = None
        self.images: dict[str, Image] = {}
        self.bundles: dict[str, Bundle] = {}
        self._next_plans: list[Plan] = []
        self._random = random.Random(seed)
        # Ids drawn for the next image or bundle a create makes, by prefix: IAM authorizes the new resource's ARN
        # before the create runs, so the id is drawn then and the create takes it.
        self._reserved: dict[str, str] = {}
        self._init_sources()

    # -- test helpers --------------------------------------------------------------

    def add_image(
        self,
        name: str,
        state: State = "AVAILABLE",
        update_available: bool = True,
        os: OS = "WINDOWS",
        *,
        description: str = "Source image",
        update_description: str = "",
        updatable: bool | None = None,
        owner_account_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        created: float | None = None,
        plan: Plan | None = None,
        image_id: str | None = None,
        required_tenancy: Tenancy = "DEFAULT",
    ) -> str:
        """Add an image as if it existed already; returns its id. An owner other than this
        account makes it an image shared with this account (ImageType SHARED).
        `updatable` defaults to True for WINDOWS: only Windows 10, Server 2016 and Server
        2019 images can be updated (CreateUpdatedWorkspaceImage reference). `image_id` picks
        the id, for a synthesized template that names its source already. `required_tenancy`
        "DEDICATED" makes it a Bring Your Own License image (which accounts it can be shared
        with is narrower: see UpdateWorkspaceImagePermission)."""
        with self.lock:
            if image_id is not None and image_id in self.images:
                raise ValueError(f"{image_id} exists already")
            image = Image(
                image_id=image_id or self._new_id("wsi-", 9),
                name=name,
                description=description,
                os_type=os,
                state=state,
                created=self.now() if created is None else created,
                owner_account_id=owner_account_id or self.account_id,
                update_available=update_available,
                update_description=update_description,
                updatable=(os == "WINDOWS") if updatable is None else updatable,
                required_tenancy=required_tenancy,
                tags=dict(tags or {}),
                plan=(plan or self.default_plan) if state == "PENDING" else None,
            )
            self.images[image.image_id] = image
            return image.image_id

    def add_bundle(
        self,
        image_id: str,
        name: str | None = None,
        owner: str | None = None,
        compute: str = "STANDARD",
        *,
        bundle_id: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> str:
        """Add a bundle that uses `image_id` (no checks); owner "AMAZON" makes it an Amazon bundle. `bundle_id`
        picks the id, for a synthesized template that names the bundle already."""
        with self.lock:
            if bundle_id is not None and bundle_id in self.bundles:
                raise ValueError(f"{bundle_id} exists already")
            bundle_id = bundle_id or self._new_id("wsb-", 9)
            now = self.now()
            self.bundles[bundle_id] = Bundle(
                bundle_id, name or f"bundle-{bundle_id[4:]}", "Test bundle", image_id,
                owner or self.account_id, compute, "50", "80", now, now, dict(tags or {}),
            )  # fmt: skip
            return bundle_id

    def share_image(self, image_id: str, account_id: str) -> None:
        """Share by hand, past every rule UpdateWorkspaceImagePermission applies (a state the test wants, however
        it came about); `images[id].shared_with` is what both change and what DescribeWorkspaceImagePermissions
        answers."""
        with self.lock:
            shared = self.images[image_id].shared_with
            if account_id not in shared:
                shared.append(account_id)

    def unshare_image(self, image_id: str, account_id: str) -> None:
        with self.lock:
            self.images[image_id].shared_with.remove(account_id)

    def set_update_available(self, image_id: str, available: bool, description: str = "") -> None:
        with self.lock:
            self.images[image_id].update_available = available
            self.images[image_id].update_description = description

    def plan_next_images(self, *plans: Plan) -> None:
        """Plans for the next images CreateUpdatedWorkspaceImage, CopyWorkspaceImage, CreateWorkspaceImage,
        ImportWorkspaceImage or ImportCustomWorkspaceImage makes in this Region, in order."""
        with self.lock:
            self._next_plans.extend(plans)

    def set_plan(self, image_id: str, plan: Plan) -> None:
        """Replace a PENDING image's plan; time still counts from Created, describes from the first."""
        with self.lock:
            image = self.images[image_id]
            if image.state != "PENDING":
                raise ValueError(f"{image_id} is {image.state}, not PENDING")
            image.plan = plan
            self._settle()

    def image(self, image_id: str) -> Image:
        with self.lock:
            self._settle()
            return self.images[image_id]

    def tick(self) -> None:
        """Apply every time-based transition that is due at the clock's current time."""
        with self.lock:
            self._settle()

    def owned_images(self) -> list[Image]:
        with self.lock:
            return [i for i in self.images.values() if i.owner_account_id == self.account_id]

    def in_region(self, region: str) -> WorkSpacesBackend:
        return self.regions.get(region) if self.regions is not None else self

    def _backend_of(self, region: str) -> WorkSpacesBackend | None:
        """Another Region's backend to read from, without making one: a Region nobody named holds no images."""
        if region == self.region:
            return self
        return self.regions.known(region) if self.regions is not None else None

    # -- state machine -------------------------------------------------------------

    def _handle(self, operation: str, params: Params, caller: str | None = None) -> Params:
        self._settle()
        return super()._handle(operation, params, caller)

    def _settle(self) -> None:
        now = self.now()
        for image in self.images.values():
            plan = image.plan
            if image.state != "PENDING" or plan is None:
                continue
            if plan.after_seconds is not None and now >= image.created + plan.after_seconds:
                self._finish(image, plan, image.created + plan.after_seconds)
            elif plan.after_describes is not None and image.describes >= plan.after_describes:
                self._finish(image, plan, now)

    @staticmethod
    def _finish(image: Image, plan: Plan, at: float) -> None:
        image.state = plan.state
        image.plan = None
        image.finished = at
        if plan.state == "ERROR":
            image.error_code, image.error_message = plan.error_code, plan.error_message
            image.error_details = plan.error_details

    # -- images --------------------------------------------------------------------

    def _describe_workspace_images(self, params: Params) -> Params:
        # API_DescribeWorkspaceImages: ImageIds and/or ImageType (OWNED, SHARED) filter; without
        # either, every image the account can use. Unknown ids are left out (undocumented).
        ids = params.get("ImageIds")
        kind = params.get("ImageType")
        images = [
            i
            for i in self.images.values()
            if (ids is None or i.image_id in ids)
            and (kind is None or (kind == "OWNED") == (i.owner_account_id == self.account_id))
            and self._listed(i)
        ]
        # The default page size is undocumented; 25 is MaxResults' maximum.
        query = {"ImageIds": ids, "ImageType": kind, "MaxResults": params.get("MaxResults")}
        chunk, token = self.page(images, params.get("NextToken"), params.get("MaxResults", 25), query)
        answer: Params = {"Images": [i.to_api() for i in chunk]}
        for image in chunk:
            # An answer showing the image PENDING counts toward its after_describes plan.
            if image.state == "PENDING":
                image.describes += 1
        self._settle()
        if token:
            answer["NextToken"] = token
        return answer

    def _create_updated_workspace_image(self, params: Params) -> Params:
        source = self.images.get(params["SourceImageId"])
        # ResourceNotFoundException: in the operation's error list. Updating an image shared
        # with this account is undocumented; here only owned images are found.
        if source is None or source.owner_account_id != self.account_id:
            raise _not_found(params["SourceImageId"], "The specified image could not be found.")
        # InvalidResourceStateException ("The state of the resource is not valid for this
        # operation"): a source that is not AVAILABLE (undocumented which states are refused).
        if source.state != "AVAILABLE":
            raise ServiceError(
                "InvalidResourceStateException", f"Image {source.image_id} is in state {source.state}, not AVAILABLE."
            )
        # API reference note: only Windows 10, Server 2016 and Server 2019 images can be
        # updated programmatically; OperationNotSupportedException is in the error list.
        if not source.updatable:
            raise ServiceError(
                "OperationNotSupportedException", f"Image {source.image_id} cannot be updated programmatically."
            )
        # Without an update available: undocumented; configurable.
        if not source.update_available and self.no_update_error:
            raise ServiceError(self.no_update_error, f"Image {source.image_id} has no updates available.")
        # The source is never modified (reference: "The source WorkSpace image is not
        # deleted"); the copy carries the latest updates, so none is available on it.
        return self._make_from(source, params, params["Description"])

    def _check_room_for(self, name: str) -> None:
        """A new image of this Region: its name free (when `unique_names`) and a slot left in the image quota."""
        if self.unique_names and any(
            i.name == name for i in self.images.values() if i.owner_account_id == self.account_id
        ):
            raise ServiceError("ResourceAlreadyExistsException", f"An image with name {name} already exists.")
        if len(self.owned_images()) >= self.image_quota:
            raise ServiceError(
                "ResourceLimitExceededException", f"The limit of {self.image_quota} images in this Region is reached."
            )

    def _copy_workspace_image(self, params: Params) -> Params:
        """https://docs.aws.amazon.com/workspaces/latest/api/API_CopyWorkspaceImage.html: "Copies the specified
        image from the specified Region to the current Region" (this backend's). Which checks come first is
        undocumented: here the route, then the source, then the destination's name and quota, then the tags."""
        source_region, source_id = params["SourceRegion"], params["SourceImageId"]
        self._check_copy_route(source_region)
        source = self._copy_source(source_region, source_id)
        # ResourceNotFoundException is in the error list. An image of another account is found only when it is
        # shared with this one (the reference's warning about copying shared images), as DescribeWorkspaceImages
        # answers it with ImageType SHARED.
        if source is None:
            raise _not_found(source_id, f"The specified image could not be found in {source_region}.")
        # ResourceUnavailableException ("The specified resource is not available") is in the error list; that it
        # answers a source still PENDING, or in ERROR, is undocumented (refusing is the safe reading: the
        # Administration Guide copies images whose status is AVAILABLE).
        if source.state != "AVAILABLE":
            raise ServiceError(
                "ResourceUnavailableException",
                f"Image {source_id} in {source_region} is {source.state}, not AVAILABLE.",
                ResourceId=source_id,
            )
        # ResourceAlreadyExistsException and ResourceLimitExceededException are in the error list; as for
        # CreateUpdatedWorkspaceImage, the name is one no image of the account has in this Region (undocumented)
        # and the copy takes a slot of this Region's image quota.
        # The copy is this account's own image (undocumented for a shared source, but the point of copying one);
        # it keeps what the image is (its operating system, whether it can be updated, and RequiredTenancy: a BYOL
        # image stays BYOL) and takes Name, Description and Tags from the request. Description is optional in the
        # request; the copy keeping the source's when it is left out is undocumented. Whether an update is
        # available on a fresh copy is undocumented: none here, as for an updated image.
        return self._make_from(source, params, params.get("Description", source.description), source_region)

    def _check_copy_route(self, source_region: str) -> None:
        """Whether WorkSpaces copies from `source_region` to this Region (OperationNotSupportedException is in the
        operation's error list; that these refusals use it is undocumented)."""
        here = self.region
        if re.fullmatch(REGION_NAME, source_region) is None:
            # The model's pattern admits any short lowercase word; what the service answers for one that names no
            # Region is undocumented.
            raise self.invalid(f"The SourceRegion {source_region} is not a Region.")
        if source_region == here:
            return
        # A partition is a group of Regions isolated from the others
        # (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html): nothing is copied across.
        if partition_of(source_region) != partition_of(here):
            raise ServiceError(
                "OperationNotSupportedException",
                f"Images cannot be copied from {source_region} (partition {partition_of(source_region)}) to {here} "
                f"(partition {partition_of(here)}): an image is never copied from one partition to another.",
            )
        if NINGXIA in (source_region, here):
            raise ServiceError(
                "OperationNotSupportedException",
                f"In the China (Ningxia) Region ({NINGXIA}) images can be copied only within the same Region, not "
                f"from {source_region} to {here}.",
            )
        if here.startswith(GOVCLOUD_PREFIX) and (source_region, here) not in self.govcloud_copy_routes:
            raise ServiceError(
                "OperationNotSupportedException",
                f"In AWS GovCloud (US), images are copied to and from other Regions only through AWS Support: "
                f"contact AWS Support to copy from {source_region} to {here}.",
            )

    def _copy_source(self, region: str, image_id: str) -> Image | None:
        """The image CopyWorkspaceImage copies, as it is now in its Region; None when this account cannot see it
        there. Every image of another account a backend holds is one shared with this account (`add_image`)."""
        backend = self._backend_of(region)
        if backend is None:
            return None
        backend._settle()
        return backend.images.get(image_id)

    def _make_from(self, source: Image, params: Params, description: str, source_region: str | None = None) -> Params:
        """A new PENDING image of this account made from `source` (an update or a copy), named and tagged as the
        request says, following the next plan; the name and the quota are checked first."""
        name = params["Name"]
        self._check_room_for(name)
        tags = self._tags_of(params.get("Tags", []))
        image = self._new_image(
            name,
            description,
            source.os_type,
            tags,
            required_tenancy=source.required_tenancy,
            updatable=source.updatable,
        )
        image.source_image_id, image.source_region = source.image_id, source_region
        self._settle()
        return {"ImageId": image.image_id}

    def _new_image(
        self,
        name: str,
        description: str,
        os_type: OS,
        tags: dict[str, str],
        *,
        required_tenancy: Tenancy,
        updatable: bool,
    ) -> Image:
        """A new PENDING image of this account, under the id IAM authorized, following the next plan; no update is
        available on it (it is as new as it gets)."""
        plan = self._next_plans.pop(0) if self._next_plans else self.default_plan
        image = Image(
            image_id=self._take_id("wsi-"),
            name=name,
            description=description,
            os_type=os_type,
            state="PENDING",
            created=self.now(),
            owner_account_id=self.account_id,
            update_available=False,
            updatable=updatable,
            required_tenancy=required_tenancy,
            tags=tags,
            plan=plan,
        )
        self.images[image.image_id] = image
        return image

    def _delete_workspace_image(self, params: Params) -> Params:
        image_id = params["ImageId"]
        image = self.images.get(image_id)
        if image is None or image.owner_account_id != self.account_id:
            if self.delete_missing_error:
                raise _not_found(image_id, "The specified image could not be found.", self.delete_missing_error)
            return {}
        # https://docs.aws.amazon.com/workspaces/latest/api/API_DeleteWorkspaceImage.html: "you must first
        # delete any bundles that are associated with the image and unshare the image if it is shared with
        # other accounts".
        users = [b.bundle_id for b in self.bundles.values() if b.image_id == image_id]
        if users:
            raise ServiceError("ResourceAssociatedException", f"Image {image_id} is associated with bundles.")
        if image.shared_with:
            raise ServiceError("InvalidResourceStateException", f"Image {image_id} is shared with other accounts.")
        pending_error = self._pending_delete_error(image, self.delete_pending_error)
        if image.state == "PENDING" and pending_error:
            raise ServiceError(pending_error, f"Image {image_id} is in state PENDING.")
        del self.images[image_id]
        self._forget_import(image_id)
        return {}

    def _describe_workspace_image_permissions(self, params: Params) -> Params:
        image_id = params["ImageId"]
        image = self.images.get(image_id)
        # ResourceNotFoundException is in the operation's error list; images of other
        # accounts are not found here (undocumented).
        if image is None or image.owner_account_id != self.account_id:
            raise _not_found(image_id, "The specified image could not be found.")
        query = {"ImageId": image_id, "MaxResults": params.get("MaxResults")}
        chunk, token = self.page(image.shared_with, params.get("NextToken"), params.get("MaxResults", 25), query)
        answer: Params = {"ImageId": image_id, "ImagePermissions": [{"SharedAccountId": a} for a in chunk]}
        if token:
            answer["NextToken"] = token
        return answer

    def _update_workspace_image_permission(self, params: Params) -> Params:
        # https://docs.aws.amazon.com/workspaces/latest/api/API_UpdateWorkspaceImagePermission.html: "If the copy
        # image permission is granted, the image is shared with that account. If [it] is revoked, the image is
        # unshared with the account." The answer is empty.
        image_id, account, grant = params["ImageId"], params["SharedAccountId"], params["AllowCopyImage"]
        image = self.images.get(image_id)
        # ResourceNotFoundException is in the error list; an image shared with this account is not this
        # account's to share (undocumented whether the service says not found or access denied).
        if image is None or image.owner_account_id != self.account_id:
            raise _not_found(image_id, "The specified image could not be found.")
        if account == self.account_id:
            # Undocumented: the image is the account's own already.
            if self.self_share_error is None:
                return {}
            raise ServiceError(self.self_share_error, f"Image {image_id} cannot be shared with its own account.")
        if not grant:
            # The AllowCopyImage member: "This permission can be revoked only after an image has been shared."
            if account not in image.shared_with:
                raise self.invalid(
                    f"Image {image_id} is not shared with {account}: this permission can be revoked only after an "
                    "image has been shared."
                )
            image.shared_with.remove(account)
            return {}
        if image.state != "AVAILABLE" and self.share_unavailable_error:
            raise ServiceError(
                self.share_unavailable_error, f"Image {image_id} is {image.state}, not AVAILABLE.", ResourceId=image_id
            )
        if self.accounts is not None and account not in self.accounts:
            raise ServiceError(self.unknown_account_error, f"The AWS account {account} does not exist.")
        if image.required_tenancy == "DEDICATED":
            self._check_byol_share(image, account)
        if account in image.shared_with:
            if self.already_shared_error:
                raise ServiceError(self.already_shared_error, f"Image {image_id} is already shared with {account}.")
            return {}
        image.shared_with.append(account)
        return {}

    def _check_byol_share(self, image: Image, account: str) -> None:
        # https://docs.aws.amazon.com/workspaces/latest/adminguide/share-custom-image.html, "Share Bring Your Own
        # License images".
        if self.region.startswith("us-gov-"):
            raise ServiceError(
                self.byol_share_error,
                f"Image {image.image_id} is a BYOL image: sharing BYOL images across AWS accounts is not supported "
                f"in the AWS GovCloud (US) Regions ({self.region}); contact AWS Support.",
            )
        if account not in self.byol_accounts:
            raise ServiceError(
                self.byol_share_error,
                f"Image {image.image_id} is a BYOL image: BYOL images can be shared only with AWS accounts that are "
                f"enabled for BYOL and in the same organization, and {account} is not.",
            )

    # -- tags ----------------------------------------------------------------------

    def _tagged(self, resource_id: str) -> dict[str, str]:
        # API_CreateTags/DescribeTags: ResourceId names a WorkSpace, image, bundle, ... ; only
        # images and bundles are emulated, so any other id is not found.
        image = self.images.get(resource_id)
        if image is not None and image.owner_account_id == self.account_id:
            return image.tags
        if resource_id in self.bundles:
            return self.bundles[resource_id].tags
        raise _not_found(resource_id, "The resource could not be found.")

    def _tags_of(self, raw: list[Params]) -> dict[str, str]:
        keys = [t["Key"] for t in raw]
        for key in keys:
            self._check_tag_key(key)
        for tag in raw:
            if not _matches_tag_characters(tag.get("Value", "")):
                raise self.invalid(f"The tag value for key {tag['Key']} contains characters that are not allowed.")
        if len(set(keys)) != len(keys):
            raise self.invalid("The same tag key is given more than once.")  # undocumented
        if len(raw) > MAX_TAGS:
            # Which code a create answers for more than 50 tags is undocumented; both
            # CreateUpdatedWorkspaceImage and CreateTags list ResourceLimitExceededException.
            raise ServiceError("ResourceLimitExceededException", f"A resource can have at most {MAX_TAGS} tags.")
        return {t["Key"]: t.get("Value", "") for t in raw}

    def _check_tag_key(self, key: str) -> None:
        if key.lower().startswith(RESERVED_TAG_PREFIX):
            raise self.invalid(f"Tag keys starting with {RESERVED_TAG_PREFIX} are reserved for AWS use: {key}")
        if not _matches_tag_characters(key):
            raise self.invalid(f"The tag key {key} contains characters that are not allowed.")

    def _describe_tags(self, params: Params) -> Params:
        tags = self._tagged(params["ResourceId"])
        return {"TagList": [{"Key": k, "Value": v} for k, v in tags.items()]}

    def _create_tags(self, params: Params) -> Params:
        tags = self._tagged(params["ResourceId"])
        new = self._tags_of(params["Tags"])
        # Existing keys take the new value (API_CreateTags: "adds or overwrites").
        if len(tags.keys() | new.keys()) > MAX_TAGS:
            raise ServiceError("ResourceLimitExceededException", f"A resource can have at most {MAX_TAGS} tags.")
        tags.update(new)
        return {}

    def _delete_tags(self, params: Params) -> Params:
        tags = self._tagged(params["ResourceId"])
        for key in params["TagKeys"]:
            if key.lower().startswith(RESERVED_TAG_PREFIX):
                raise self.invalid(f"Tag keys starting with {RESERVED_TAG_PREFIX} are reserved for AWS use: {key}")
        for key in params["TagKeys"]:
            tags.pop(key, None)  # a key the resource lacks is ignored (undocumented)
        return {}

    # -- bundles -------------------------------------------------------------------

    def _describe_workspace_bundles(self, params: Params) -> Params:
        ids, owner = params.get("BundleIds"), params.get("Owner")
        # API_DescribeWorkspaceBundles: filter by bundle ids or by owner, not both; no Owner
        # means the account's own bundles, AMAZON the ones AWS provides.
        if ids is not None and owner is not None:
            raise self.invalid("BundleIds and Owner cannot be combined.")
        if ids is not None:
            bundles = [b for b in self.bundles.values() if b.bundle_id in ids]
        else:
            wanted = self.account_id if owner is None else owner
            bundles = [b for b in self.bundles.values() if b.owner == wanted]
        # The page size (no MaxResults member) is undocumented.
        query = {"BundleIds": ids, "Owner": owner}
        chunk, token = self.page(bundles, params.get("NextToken"), self.bundle_page_size, query)
        answer: Params = {"Bundles": [b.to_api() for b in chunk]}
        if token:
            answer["NextToken"] = token
        return answer

    def _usable_image(self, image_id: str) -> Image:
        image = self.images.get(image_id)
        if image is None:
            raise _not_found(image_id, "The specified image could not be found.")
        # ResourceUnavailableException ("The specified resource is not available") is in the
        # error lists of Create/UpdateWorkspaceBundle; that it means a non-AVAILABLE image is
        # undocumented.
        if image.state != "AVAILABLE":
            raise ServiceError(
                "ResourceUnavailableException", f"Image {image_id} is {image.state}.", ResourceId=image_id
            )
        return image

    def _create_workspace_bundle(self, params: Params) -> Params:
        image = self._usable_image(params["ImageId"])
        name = params["BundleName"]
        mine = [b for b in self.bundles.values() if b.owner == self.account_id]
        if any(b.name == name for b in mine):
            raise ServiceError("ResourceAlreadyExistsException", f"A bundle with name {name} already exists.")
        if len(mine) >= self.bundle_quota:
            raise ServiceError(
                "ResourceLimitExceededException", f"The limit of {self.bundle_quota} bundles in this Region is reached."
            )
        compute = params["ComputeType"].get("Name")
        if compute is None:
            raise self.invalid("ComputeType.Name is required.")  # undocumented: the model lets it be absent
        tags = self._tags_of(params.get("Tags", []))
        now = self.now()
        bundle = Bundle(
            bundle_id=self._take_id("wsb-"),
            name=name,
            description=params["BundleDescription"],
            image_id=image.image_id,
            owner=self.account_id,
            compute=compute,
            user_storage=params["UserStorage"]["Capacity"],
            # The default root volume size when RootStorage is omitted is undocumented.
            root_storage=params.get("RootStorage", {}).get("Capacity", "80"),
            created=now,
            updated=now,
            tags=tags,
        )
        self.bundles[bundle.bundle_id] = bundle
        return {"WorkspaceBundle": bundle.to_api()}

    def _update_workspace_bundle(self, params: Params) -> Params:
        # Both members are optional in the model; what the service does without them is
        # undocumented: here both are needed.
        if "BundleId" not in params or "ImageId" not in params:
            raise self.invalid("BundleId and ImageId are required.")
        bundle = self.bundles.get(params["BundleId"])
        if bundle is None or bundle.owner != self.account_id:
            raise _not_found(params["BundleId"], "The specified bundle could not be found.")
        image = self._usable_image(params["ImageId"])
        # API_UpdateWorkspaceBundle: existing WorkSpaces keep their image until rebuilt
        # (no WorkSpaces are emulated, so nothing else changes).
        bundle.image_id = image.image_id
        bundle.updated = self.now()
        return {}

    def _delete_workspace_bundle(self, params: Params) -> Params:
        if "BundleId" not in params:
            raise self.invalid("BundleId is required.")  # optional in the model; undocumented
        bundle = self.bundles.get(params["BundleId"])
        if bundle is None or bundle.owner != self.account_id:
            raise _not_found(params["BundleId"], "The specified bundle could not be found.")
        del self.bundles[bundle.bundle_id]
        return {}

    # -- authorization -------------------------------------------------------------
    #
    # What IAM authorizes for each operation the provider's handler calls, after the Service Authorization
    # Reference for Amazon WorkSpaces
    # (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonworkspaces.html): the
    # resource types of each action (one request context per resource, every one must be allowed; an action
    # with none is authorized on "*"), the resource ARNs (workspaceimage: ...:workspaceimage/<ImageId>,
    # workspacebundle: ...:workspacebundle/<BundleId>), and the condition keys: aws:ResourceTag/<key> of each
    # existing image or bundle (the resource types' condition key), aws:RequestTag/<key> and aws:TagKeys of the
    # tags a request sets (the actions' condition keys). Where the reference leaves a reading open, the comment
    # says "undocumented" and the stricter reading is taken.

    def _image_arn(self, image_id: str) -> str:
        image = self.images.get(image_id)
        owner = image.owner_account_id if image is not None else self.account_id
        return image_arn(self.region, owner, image_id)

    def _bundle_arn(self, bundle_id: str) -> str:
        return f"arn:{partition_of(self.region)}:workspaces:{self.region}:{self.account_id}:workspacebundle/{bundle_id}"

    def _image_context(self, action: str, image_id: str, **request: Any) -> RequestContext:
        """An existing (or unknown) image: its tags are aws:ResourceTag."""
        image = self.images.get(image_id)
        keys = tag_context(image.tags if image is not None else None, **request)
        return RequestContext(self.action(action), self._image_arn(image_id), keys)

    def _bundle_context(self, action: str, bundle_id: str, **request: Any) -> RequestContext:
        bundle = self.bundles.get(bundle_id)
        keys = tag_context(bundle.tags if bundle is not None else None, **request)
        return RequestContext(self.action(action), self._bundle_arn(bundle_id), keys)

    def _anywhere(self, action: str, **request: Any) -> RequestContext:
        """An action with no resource types: authorized on "*"."""
        return RequestContext(self.action(action), "*", tag_context(**request))

    @staticmethod
    def _request_tags(params: Params) -> dict[str, Any]:
        tags = {t["Key"]: t.get("Value", "") for t in params.get("Tags", [])}
        return {"request_tags": tags, "tag_keys": list(tags)}

    def _tagging_on_create(self, params: Params) -> list[RequestContext]:
        """The API reference of CreateUpdatedWorkspaceImage and CreateWorkspaceBundle (Tags): "To add tags at the
        same time when you're creating the ..., you must create an IAM policy that grants your IAM user permissions
        to use workspaces:CreateTags"; the Service Authorization Reference lists workspaces:CreateTags as a
        dependent action of CreateWorkspaceBundle. So a create with tags also needs CreateTags, with the
        request's tag keys (CreateTags has no resource types)."""
        return [self._anywhere("CreateTags", **self._request_tags(params))] if params.get("Tags") else []

    def _authorize_describe_workspace_images(self, params: Params) -> list[RequestContext]:
        return [self._anywhere("DescribeWorkspaceImages")]  # no resource types

    def _authorize_describe_workspace_bundles(self, params: Params) -> list[RequestContext]:
        return [self._anywhere("DescribeWorkspaceBundles")]  # no resource types

    def _authorize_describe_tags(self, params: Params) -> list[RequestContext]:
        return [self._anywhere("DescribeTags")]  # no resource types

    def _authorize_describe_workspace_image_permissions(self, params: Params) -> list[RequestContext]:
        return [self._image_context("DescribeWorkspaceImagePermissions", params["ImageId"])]  # workspaceimage*

    def _authorize_create_updated_workspace_image(self, params: Params) -> list[RequestContext]:
        """workspaceimage*, with aws:RequestTag and aws:TagKeys. Which image, the source or the one being made, is
        undocumented: both here (the stricter reading), the source with its tags as aws:ResourceTag, the new image
        (under the id it will get) with none. Tags also need workspaces:CreateTags."""
        request = self._request_tags(params)
        new = RequestContext(
            self.action("CreateUpdatedWorkspaceImage"), self._image_arn(self._next_id("wsi-")), tag_context(**request)
        )
        source = self._image_context("CreateUpdatedWorkspaceImage", params["SourceImageId"], **request)
        return [new, source, *self._tagging_on_create(params)]

    def _authorize_copy_workspace_image(self, params: Params) -> list[RequestContext]:
        """workspaceimage*, with aws:RequestTag and aws:TagKeys, as for CreateUpdatedWorkspaceImage: which image
        is undocumented, so both (the stricter reading): the copy being made in this Region (under the id it will
        get) with no tags of its own, and the source in the source Region, named by its owner's account, with its
        tags as aws:ResourceTag. Tags also need workspaces:CreateTags. The reference lists
        workspaces:DescribeWorkspaceImages as a dependent action of CopyWorkspaceImage (no resource types: "*")."""
        request = self._request_tags(params)
        action = self.action("CopyWorkspaceImage")
        new = RequestContext(action, self._image_arn(self._next_id("wsi-")), tag_context(**request))
        region, source_id = params["SourceRegion"], params["SourceImageId"]
        backend = self._backend_of(region)
        image = backend.images.get(source_id) if backend is not None else None
        owner = image.owner_account_id if image is not None else self.account_id
        keys = tag_context(image.tags if image is not None else None, **request)
        source = RequestContext(action, image_arn(region, owner, source_id), keys)
        return [new, source, *self._tagging_on_create(params), self._anywhere("DescribeWorkspaceImages")]

    def _authorize_update_workspace_image_permission(self, params: Params) -> list[RequestContext]:
        # workspaceimage*, whose resource type carries aws:ResourceTag/${TagKey}: the image, with its tags. The
        # account it is shared with is no resource and no condition key.
        return [self._image_context("UpdateWorkspaceImagePermission", params["ImageId"])]

    def _authorize_delete_workspace_image(self, params: Params) -> list[RequestContext]:
        return [self._image_context("DeleteWorkspaceImage", params["ImageId"])]  # workspaceimage*

    def _authorize_create_workspace_bundle(self, params: Params) -> list[RequestContext]:
        """workspacebundle* (the bundle being made, under the id it will get) and workspaceimage* (the image it
        uses, with its tags), both with aws:RequestTag and aws:TagKeys; tags also need workspaces:CreateTags."""
        request = self._request_tags(params)
        bundle = RequestContext(
            self.action("CreateWorkspaceBundle"), self._bundle_arn(self._next_id("wsb-")), tag_context(**request)
        )
        image = self._image_context("CreateWorkspaceBundle", params["ImageId"], **request)
        return [bundle, image, *self._tagging_on_create(params)]

    def _authorize_update_workspace_bundle(self, params: Params) -> list[RequestContext]:
        """workspacebundle* and workspaceimage*: the bundle and the image it is pointed at, each with its tags.
        Both members are optional in the model; one left out names no resource here (the operation refuses it)."""
        found = []
        if "BundleId" in params:
            found.append(self._bundle_context("UpdateWorkspaceBundle", params["BundleId"]))
        if "ImageId" in params:
            found.append(self._image_context("UpdateWorkspaceBundle", params["ImageId"]))
        return found

    def _authorize_delete_workspace_bundle(self, params: Params) -> list[RequestContext]:
        # workspacebundle*; BundleId is optional in the model (the operation refuses a request without it).
        return [self._bundle_context("DeleteWorkspaceBundle", params["BundleId"])] if "BundleId" in params else []

    def _authorize_create_tags(self, params: Params) -> list[RequestContext]:
        """No resource types; aws:RequestTag and aws:TagKeys. The reference lists no aws:ResourceTag for the tag
        actions, so the tagged resource's own tags are not in the context (undocumented whether the service
        adds them; leaving them out is the stricter reading for an Allow that names them)."""
        return [self._anywhere("CreateTags", **self._request_tags(params))]

    def _authorize_delete_tags(self, params: Params) -> list[RequestContext]:
        """No resource types; aws:TagKeys from TagKeys. The reference also lists aws:RequestTag, but the request
        carries no tag values, so there is none."""
        return [self._anywhere("DeleteTags", tag_keys=params["TagKeys"])]

    # -- ids -----------------------------------------------------------------------

    def _new_id(self, prefix: str, length: int) -> str:
        alphabet = string.digits + string.ascii_lowercase
        while True:
            candidate = prefix + "".join(self._random.choice(alphabet) for _ in range(length))
            taken = candidate in self.images or candidate in self.bundles or candidate in self._reserved.values()
            if not taken:
                return candidate

    def _next_id(self, prefix: str) -> str:
        """The id the next create of this kind will make (drawn now, kept until that create)."""
        if prefix not in self._reserved:
            self._reserved[prefix] = self._new_id(prefix, 9)
        return self._reserved[prefix]

    def _take_id(self, prefix: str) -> str:
        return self._reserved.pop(prefix, None) or self._new_id(prefix, 9)


def image_arn(region: str, owner: str, image_id: str) -> str:
    """A workspaceimage's ARN (Service Authorization Reference): its Region, and the account that owns it."""
    return f"arn:{partition_of(region)}:workspaces:{region}:{owner}:workspaceimage/{image_id}"


def _matches_tag_characters(text: str) -> bool:
    return re.fullmatch(TAG_CHARACTERS, text) is not None


def _not_found(resource_id: str, message: str, code: str = "ResourceNotFoundException") -> ServiceError:
    if code == "ResourceNotFoundException":
        return ServiceError(code, message, ResourceId=resource_id)
    return ServiceError(code, message)
