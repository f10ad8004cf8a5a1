"""What WorkSpaces makes images from besides another image: a WorkSpace (CreateWorkspaceImage), an EC2 AMI
(ImportWorkspaceImage, Bring Your Own License) and the EC2 Image Builder import (ImportCustomWorkspaceImage, followed
with DescribeCustomWorkspaceImageImport).

A mixin of `WorkSpacesBackend` (aws_emulator/workspaces.py), which keeps the images, the plans and the ids; this
module keeps what images are made from, which tests add by hand (`add_workspace`, `add_ami`,
`add_image_build_version`, `add_import_task`, `add_infrastructure_configuration`), and the custom imports. Only
WorkSpaces is emulated: an AMI, an Image Builder image or infrastructure configuration and an EC2 import task are
records the backend holds, and neither EC2's nor Image Builder's own API or IAM is modelled (a caller allowed the
WorkSpaces action is never asked for ec2:* or imagebuilder:* here).

Each behaviour cites its page of the WorkSpaces API reference
(https://docs.aws.amazon.com/workspaces/latest/api/API_<Operation>.html) or says it is undocumented; undocumented
choices are options of the backend (see `ImageSources`).
"""

from __future__ import annotations

import random
import string
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from aws_emulator.iam import RequestContext, tag_context
from aws_emulator.service import Params, ServiceError, service_model

if TYPE_CHECKING:
    from aws_emulator.workspaces import OS, Image, Plan, Tenancy

# EC2's ImageState (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Image.html).
AmiState = Literal["pending", "available", "invalid", "deregistered", "transient", "failed", "error", "disabled"]
AMI_STATES = ("pending", "available", "invalid", "deregistered", "transient", "failed", "error", "disabled")

# The stages of a custom import before COMPLETED, in the order the import goes through them, with the
# ProgressPercentage and StateMessage each answers. The states are the model's CustomWorkspaceImageImportState;
# their order, percentages and messages are undocumented (the Administration Guide's BYOL page describes the steps:
# the source is processed, a test instance is made with EC2 Image Builder, the image is checked, updated,
# generalized, validated and published; https://docs.aws.amazon.com/workspaces/latest/adminguide/byol-windows-images.html).
IMPORT_STAGES: tuple[tuple[str, int, str], ...] = (
    ("PENDING", 0, "The import request was received."),
    ("IN_PROGRESS", 5, "The import has started."),
    ("PROCESSING_SOURCE_IMAGE", 10, "Processing the source image."),
    ("IMAGE_COMPATIBILITY_CHECKING", 20, "Checking that the image is compatible with WorkSpaces."),
    ("CREATING_TEST_INSTANCE", 30, "Creating a test instance with EC2 Image Builder."),
    ("IMAGE_TESTING_START", 40, "Testing the image."),
    ("UPDATING_OPERATING_SYSTEM", 50, "Updating the operating system."),
    ("INSTALLING_COMPONENTS", 60, "Installing the WorkSpaces components."),
    ("IMAGE_TESTING_GENERALIZATION", 70, "Testing that the image can be generalized."),
    ("GENERALIZING", 80, "Generalizing the image."),
    ("VALIDATING", 90, "Validating the image."),
    ("PUBLISHING", 95, "Publishing the image."),
)
# From this stage on the import names the EC2 Image Builder instance it tests on (undocumented when it appears).
_INSTANCE_STAGE = 4
COMPLETED_MESSAGE = "The image was imported."


def _workspace_states() -> tuple[str, ...]:
    return tuple(getattr(service_model("workspaces").shape_for("WorkspaceState"), "enum", []))


@dataclass
class Workspace:
    """A WorkSpace, as far as CreateWorkspaceImage needs one."""

    workspace_id: str
    state: str
    os_type: OS
    # A WorkSpace of a BYOL bundle runs on dedicated hardware: its image is DEDICATED too (undocumented that the
    # image inherits it; the WorkspaceImage page: DEDICATED "When Bring Your Own License (BYOL) is enabled").
    required_tenancy: Tenancy
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class Ami:
    """An EC2 AMI: whose it is, whether it is shared with this account, its EC2 state."""

    ami_id: str
    owner: str
    state: str
    os_type: OS
    shared: bool = False


@dataclass
class CustomImport:
    """One ImportCustomWorkspaceImage: its image (`images[image_id]`, whose plan drives it) and what it was asked."""

    image_id: str
    source: dict[str, str]
    infrastructure_configuration_arn: str
    instance_id: str
    # The furthest stage an answer has shown and when it began, for LastUpdatedTime.
    stage: int = 0
    stage_since: float = 0.0


class ImageSources:
    """CreateWorkspaceImage, ImportWorkspaceImage, ImportCustomWorkspaceImage and DescribeCustomWorkspaceImageImport.

    Options (constructor arguments of `WorkSpacesBackend`; each an undocumented behaviour):
    - imageable_workspace_states: the WorkSpace states CreateWorkspaceImage makes an image from; ("AVAILABLE",) by
      default (the Administration Guide: the WorkSpace must be running,
      https://docs.aws.amazon.com/workspaces/latest/adminguide/create-custom-bundle.html); another state is
      refused with InvalidResourceStateException (in the operation's error list).
    - byol_enabled: whether the account is enabled for BYOL, which both imports need (API_ImportWorkspaceImage and
      API_ImportCustomWorkspaceImage import "Bring Your Own License (BYOL)" images); True by default so a test of
      an import needs no setup. Refused with `byol_disabled_error`, OperationNotSupportedException by default.
    - ami_not_found_error: an AMI the backend does not hold, or one of another account not shared with this one
      (ResourceNotFoundException by default).
    - ami_not_owned_error: an AMI of another account shared with this one: both API pages say "you must own the
      image"; InvalidParameterValuesException by default, None imports it.
    - ami_unavailable_error: an AMI whose EC2 state is not `available` (InvalidParameterValuesException).
    - custom_import_listed_while_importing: whether DescribeWorkspaceImages lists the image of a custom import that
      has not COMPLETED. False by default (the safe assumption for a client): absent while importing and after an
      ERROR, listed AVAILABLE once COMPLETED; True lists it PENDING while importing and ERROR after.
    - delete_importing_error: what DeleteWorkspaceImage answers for the image of a custom import still running
      (InvalidResourceStateException, as for a PENDING image); None deletes it, and the import with it.

    The image and its plan: every image made here is PENDING and follows the next plan queued with
    `plan_next_images` (else `default_plan`), like CreateUpdatedWorkspaceImage's. A custom import goes through
    IMPORT_STAGES spread evenly over the plan's `after_seconds` (or its `after_describes`, counting
    DescribeCustomWorkspaceImageImport answers and DescribeWorkspaceImages answers that show it), then COMPLETED
    (the image AVAILABLE) or ERROR (the image ERROR; ErrorDetails are the plan's `error_details`).
    """

    if TYPE_CHECKING:
        account_id: str
        region: str
        images: dict[str, Image]
        imageable_workspace_states: frozenset[str]
        byol_enabled: bool
        byol_disabled_error: str
        ami_not_found_error: str
        ami_not_owned_error: str | None
        ami_unavailable_error: str
        custom_import_listed_while_importing: bool
        delete_importing_error: str | None

        def now(self) -> float: ...
        def invalid(self, message: str) -> ServiceError: ...
        def action(self, operation: str) -> str: ...
        def _settle(self) -> None: ...
        def _check_room_for(self, name: str) -> None: ...
        def _tags_of(self, raw: list[Params]) -> dict[str, str]: ...
        def _next_id(self, prefix: str) -> str: ...
        def _image_arn(self, image_id: str) -> str: ...
        def _image_context(self, action: str, image_id: str, **request: Any) -> RequestContext: ...
        def _anywhere(self, action: str, **request: Any) -> RequestContext: ...
        def _request_tags(self, params: Params) -> dict[str, Any]: ...
        def _tagging_on_create(self, params: Params) -> list[RequestContext]: ...

        _random: random.Random

        def _new_image(
            self,
            name: str,
            description: str,
            os_type: OS,
            tags: dict[str, str],
            *,
            required_tenancy: Tenancy,
            updatable: bool,
        ) -> Image: ...

    def _init_sources(self) -> None:
        self.held_workspaces: dict[str, Workspace] = {}
        self.amis: dict[str, Ami] = {}
        self.image_build_versions: set[str] = set()
        self.import_tasks: set[str] = set()
        self.infrastructure_configurations: set[str] = set()
        self.custom_imports: dict[str, CustomImport] = {}

    # -- test helpers --------------------------------------------------------------

    def add_workspace(
        self,
        workspace_id: str | None = None,
        state: str = "AVAILABLE",
        os: OS = "WINDOWS",
        *,
        required_tenancy: Tenancy = "DEFAULT",
        tags: Mapping[str, str] | None = None,
    ) -> str:
        """Hold a WorkSpace CreateWorkspaceImage can make an image from; returns its id (ws- and 9 characters, as
        the model's ^ws-[0-9a-z]{8,63}$ allows). `state` is one of the model's WorkspaceState."""
        if state not in _workspace_states():
            raise ValueError(f"{state} is not a WorkspaceState: {_workspace_states()}")
        workspace_id = workspace_id or "ws-" + self._lower_alnum(9)
        if workspace_id in self.held_workspaces:
            raise ValueError(f"{workspace_id} exists already")
        self.held_workspaces[workspace_id] = Workspace(workspace_id, state, os, required_tenancy, dict(tags or {}))
        return workspace_id

    def add_ami(
        self,
        ami_id: str | None = None,
        owner: str | None = None,
        state: AmiState = "available",
        os: OS = "WINDOWS",
        *,
        shared: bool = False,
    ) -> str:
        """Hold an EC2 AMI (ami- and 17 hex digits); `owner` defaults to this account, and `shared` says whether an
        AMI of another account is shared with this one (its launch permissions)."""
        if state not in AMI_STATES:
            raise ValueError(f"{state} is not an EC2 image state: {AMI_STATES}")
        ami_id = ami_id or "ami-" + self._hex(17)
        self.amis[ami_id] = Ami(ami_id, owner or self.account_id, state, os, shared)
        return ami_id

    def add_image_build_version(self, arn: str | None = None, name: str = "golden") -> str:
        """Hold an EC2 Image Builder image build version; returns its ARN (…:image/<name>/1.0.0/1)."""
        arn = arn or f"arn:{self._partition}:imagebuilder:{self.region}:{self.account_id}:image/{name}/1.0.0/1"
        self.image_build_versions.add(arn)
        return arn

    def add_import_task(self, task_id: str | None = None) -> str:
        """Hold a finished EC2 VM import task (import-ami- and 17 hex digits)."""
        task_id = task_id or "import-ami-" + self._hex(17)
        self.import_tasks.add(task_id)
        return task_id

    def add_infrastructure_configuration(self, name: str = "workspaces-import") -> str:
        """Hold an EC2 Image Builder infrastructure configuration; returns its ARN."""
        arn = f"arn:{self._partition}:imagebuilder:{self.region}:{self.account_id}:infrastructure-configuration/{name}"
        self.infrastructure_configurations.add(arn)
        return arn

    @property
    def _partition(self) -> str:
        from aws_emulator.workspaces import partition_of  # here: workspaces.py imports this module

        return partition_of(self.region)

    # -- what DescribeWorkspaceImages and DeleteWorkspaceImage ask -----------------

    def _listed(self, image: Image) -> bool:
        """Whether DescribeWorkspaceImages shows the image (see custom_import_listed_while_importing)."""
        if image.image_id not in self.custom_imports or self.custom_import_listed_while_importing:
            return True
        return image.state == "AVAILABLE"

    def _pending_delete_error(self, image: Image, otherwise: str | None) -> str | None:
        return self.delete_importing_error if image.image_id in self.custom_imports else otherwise

    def _forget_import(self, image_id: str) -> None:
        self.custom_imports.pop(image_id, None)

    # -- CreateWorkspaceImage ------------------------------------------------------

    def _create_workspace_image(self, params: Params) -> Params:
        """https://docs.aws.amazon.com/workspaces/latest/api/API_CreateWorkspaceImage.html: "Creates a new WorkSpace
        image from an existing WorkSpace." Checked: the WorkSpace (ResourceNotFoundException), its state
        (InvalidResourceStateException), then the name and quota, then the tags (as CreateUpdatedWorkspaceImage);
        the order is undocumented."""
        workspace = self.held_workspaces.get(params["WorkspaceId"])
        if workspace is None:
            raise ServiceError(
                "ResourceNotFoundException",
                f"The WorkSpace {params['WorkspaceId']} could not be found.",
                ResourceId=params["WorkspaceId"],
            )
        if workspace.state not in self.imageable_workspace_states:
            raise ServiceError(
                "InvalidResourceStateException",
                f"The WorkSpace {workspace.workspace_id} is {workspace.state}: an image is made only from a WorkSpace "
                f"that is {' or '.join(sorted(self.imageable_workspace_states))}.",
            )
        self._check_room_for(params["Name"])
        tags = self._tags_of(params.get("Tags", []))
        # Whether the new image can be updated (CreateUpdatedWorkspaceImage) is undocumented: as add_image's default.
        image = self._new_image(
            params["Name"],
            params["Description"],
            workspace.os_type,
            tags,
            required_tenancy=workspace.required_tenancy,
            updatable=workspace.os_type == "WINDOWS",
        )
        answer: Params = {
            "ImageId": image.image_id,
            "Name": image.name,
            "Description": image.description,
            "OperatingSystem": {"Type": image.os_type},
            "State": "PENDING",
            "RequiredTenancy": image.required_tenancy,
            "Created": image.created,
            "OwnerAccountId": image.owner_account_id,
        }
        self._settle()
        return answer

    # -- ImportWorkspaceImage ------------------------------------------------------

    def _check_byol(self) -> None:
        if not self.byol_enabled:
            raise ServiceError(
                self.byol_disabled_error,
                f"The account {self.account_id} is not enabled for Bring Your Own License (BYOL) in {self.region}.",
            )

    def _importable_ami(self, ami_id: str) -> Ami:
        """The AMI an import reads: held, this account's (or shared with it, when `ami_not_owned_error` is None),
        `available`."""
        ami = self.amis.get(ami_id)
        if ami is None or (ami.owner != self.account_id and not ami.shared):
            code = self.ami_not_found_error
            fields: dict[str, Any] = {"ResourceId": ami_id} if code == "ResourceNotFoundException" else {}
            raise ServiceError(code, f"The EC2 image {ami_id} could not be found.", **fields)
        if ami.owner != self.account_id and self.ami_not_owned_error:
            raise ServiceError(
                self.ami_not_owned_error,
                f"The EC2 image {ami_id} belongs to {ami.owner}: you must own the image to import it.",
            )
        if ami.state != "available":
            raise ServiceError(self.ami_unavailable_error, f"The EC2 image {ami_id} is {ami.state}, not available.")
        return ami

    def _import_workspace_image(self, params: Params) -> Params:
        """https://docs.aws.amazon.com/workspaces/latest/api/API_ImportWorkspaceImage.html: imports a BYOL image from
        an EC2 AMI "that is in your Amazon Web Services account, and you must own the image". Checked, in this
        (undocumented) order: BYOL enabled (byol_disabled_error), the AMI (ami_not_found_error, ami_not_owned_error,
        ami_unavailable_error), the name and quota (ResourceAlreadyExistsException, ResourceLimitExceededException,
        as CreateUpdatedWorkspaceImage), the tags. The image is DEDICATED: the WorkspaceImage page's RequiredTenancy,
        "When Bring Your Own License (BYOL) is enabled, this value is set to DEDICATED". IngestionProcess and
        Applications are taken and not modelled further."""
        self._check_byol()
        ami = self._importable_ami(params["Ec2ImageId"])
        self._check_room_for(params["ImageName"])
        tags = self._tags_of(params.get("Tags", []))
        image = self._new_image(
            params["ImageName"],
            params["ImageDescription"],
            ami.os_type,
            tags,
            required_tenancy="DEDICATED",
            updatable=ami.os_type == "WINDOWS",
        )
        self._settle()
        return {"ImageId": image.image_id}

    # -- ImportCustomWorkspaceImage ------------------------------------------------

    def _import_custom_workspace_image(self, params: Params) -> Params:
        """https://docs.aws.amazon.com/workspaces/latest/api/API_ImportCustomWorkspaceImage.html: imports a Windows 10
        or 11 BYOL image "using EC2 Image Builder". Checked, in this (undocumented) order: ImageSource names exactly
        one source (the page: "Only one member of this object can be specified"; InvalidParameterValuesException),
        BYOL enabled (byol_disabled_error), the protocol ("Windows 11 does not support PCOIP protocol":
        InvalidParameterValuesException), the source (an AMI as for ImportWorkspaceImage; an image build version or
        import task the backend does not hold: ResourceNotFoundException), the infrastructure configuration
        (ResourceNotFoundException), the name and quota, the tags."""
        source = {k: v for k, v in params["ImageSource"].items() if v is not None}
        if len(source) != 1:
            raise self.invalid(
                "ImageSource must name exactly one of Ec2ImportTaskId, ImageBuildVersionArn, Ec2ImageId."
            )
        self._check_byol()
        if params["OsVersion"] == "Windows_11" and params["Protocol"] == "PCOIP":
            raise self.invalid("Windows 11 does not support PCOIP protocol.")
        ((kind, value),) = source.items()
        if kind == "Ec2ImageId":
            self._importable_ami(value)
        elif kind == "ImageBuildVersionArn" and value not in self.image_build_versions:
            raise ServiceError(
                "ResourceNotFoundException", f"The Image Builder image {value} could not be found.", ResourceId=value
            )
        elif kind == "Ec2ImportTaskId" and value not in self.import_tasks:
            raise ServiceError(
                "ResourceNotFoundException", f"The EC2 import task {value} could not be found.", ResourceId=value
            )
        configuration = params["InfrastructureConfigurationArn"]
        if configuration not in self.infrastructure_configurations:
            raise ServiceError(
                "ResourceNotFoundException",
                f"The infrastructure configuration {configuration} could not be found.",
                ResourceId=configuration,
            )
        self._check_room_for(params["ImageName"])
        tags = self._tags_of(params.get("Tags", []))
        # Whether a Windows 11 image can be updated by CreateUpdatedWorkspaceImage is undocumented (its page names
        # Windows 10 among the ones that can): Windows 10 only here.
        image = self._new_image(
            params["ImageName"],
            params["ImageDescription"],
            "WINDOWS",
            tags,
            required_tenancy="DEDICATED",
            updatable=params["OsVersion"] == "Windows_10",
        )
        record = CustomImport(image.image_id, source, configuration, "i-" + self._hex(17), 0, image.created)
        self.custom_imports[image.image_id] = record
        self._settle()
        return {"ImageId": image.image_id, "State": "PENDING"}

    # -- DescribeCustomWorkspaceImageImport ----------------------------------------

    def _describe_custom_workspace_image_import(self, params: Params) -> Params:
        """https://docs.aws.amazon.com/workspaces/latest/api/API_DescribeCustomWorkspaceImageImport.html. An image not
        made by ImportCustomWorkspaceImage is not found (ResourceNotFoundException, the operation's error list;
        undocumented what it answers for one)."""
        image_id = params["ImageId"]
        record = self.custom_imports.get(image_id)
        image = self.images.get(image_id)
        if record is None or image is None:
            raise ServiceError(
                "ResourceNotFoundException", f"No custom image import for {image_id}.", ResourceId=image_id
            )
        answer = self._import_status(record, image)
        if image.state == "PENDING":
            image.describes += 1  # counts toward an after_describes plan, as DescribeWorkspaceImages' answers do
        self._settle()
        return answer

    def _import_status(self, record: CustomImport, image: Image) -> Params:
        answer: Params = {
            "ImageId": record.image_id,
            "InfrastructureConfigurationArn": record.infrastructure_configuration_arn,
            "Created": image.created,
            "ImageSource": dict(record.source),
        }
        if image.state == "PENDING":
            stage = self._stage_now(record, image)
            state, percent, message = IMPORT_STAGES[stage]
            answer.update(State=state, ProgressPercentage=percent, StateMessage=message)
            answer["LastUpdatedTime"] = record.stage_since
            if stage >= _INSTANCE_STAGE:
                answer["ImageBuilderInstanceId"] = record.instance_id
            return answer
        answer["ImageBuilderInstanceId"] = record.instance_id
        answer["LastUpdatedTime"] = image.finished if image.finished is not None else record.stage_since
        if image.state == "AVAILABLE":
            answer.update(State="COMPLETED", ProgressPercentage=100, StateMessage=COMPLETED_MESSAGE)
            return answer
        # ERROR: the percentage of the last stage, where the plan's time ran out (undocumented how far a failed
        # import reports it got).
        answer.update(
            State="ERROR",
            ProgressPercentage=IMPORT_STAGES[-1][1],
            StateMessage=image.error_message or "The import failed.",
        )
        if image.error_details:
            answer["ErrorDetails"] = [{"ErrorCode": c, "ErrorMessage": m} for c, m in image.error_details]
        return answer

    def _stage_now(self, record: CustomImport, image: Image) -> int:
        """The stage a running import has reached: its plan's share done, by time or by describes, whichever is
        further; LastUpdatedTime is when that stage began (by the plan's time, else when an answer first showed
        it)."""
        plan = image.plan
        if plan is None:
            return record.stage
        shares: list[float] = []
        if plan.after_seconds is not None:
            shares.append((self.now() - image.created) / plan.after_seconds if plan.after_seconds > 0 else 1.0)
        if plan.after_describes is not None:
            shares.append(image.describes / plan.after_describes if plan.after_describes > 0 else 1.0)
        # A hair added so a share of exactly k/n (by float division) reaches stage k.
        stage = min(int(max(shares, default=0.0) * len(IMPORT_STAGES) + 1e-9), len(IMPORT_STAGES) - 1)
        if stage > record.stage:
            record.stage = stage
            record.stage_since = self._stage_start(image, plan, stage)
        return record.stage

    def _stage_start(self, image: Image, plan: Plan, stage: int) -> float:
        if plan.after_seconds is not None:
            by_time = image.created + plan.after_seconds * stage / len(IMPORT_STAGES)
            if by_time <= self.now():
                return by_time
        return self.now()

    def _hex(self, length: int) -> str:
        return "".join(self._random.choice(string.hexdigits[:16]) for _ in range(length))

    def _lower_alnum(self, length: int) -> str:
        return "".join(self._random.choice(string.digits + string.ascii_lowercase) for _ in range(length))

    # -- authorization -------------------------------------------------------------
    #
    # After the Service Authorization Reference for Amazon WorkSpaces
    # (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonworkspaces.html), as the other
    # operations in workspaces.py. EC2's and Image Builder's own authorization of the sources (reading an AMI, an
    # Image Builder image, an infrastructure configuration) is not modelled.

    def _workspace_arn(self, workspace_id: str) -> str:
        return f"arn:{self._partition}:workspaces:{self.region}:{self.account_id}:workspace/{workspace_id}"

    def _new_image_context(self, operation: str, params: Params) -> RequestContext:
        """The image being made, under the id it will get, with the request's tags (as CreateUpdatedWorkspaceImage's
        new image)."""
        request = self._request_tags(params)
        return RequestContext(self.action(operation), self._image_arn(self._next_id("wsi-")), tag_context(**request))

    def _authorize_create_workspace_image(self, params: Params) -> list[RequestContext]:
        """workspace* (the WorkSpace, arn:${Partition}:workspaces:${Region}:${Account}:workspace/${WorkspaceId},
        with its tags as aws:ResourceTag) and the image being made (workspaceimage, as CreateUpdatedWorkspaceImage:
        which resources the reference means is undocumented, so both, the stricter reading), each with
        aws:RequestTag and aws:TagKeys; tags also need workspaces:CreateTags."""
        workspace_id = params["WorkspaceId"]
        workspace = self.held_workspaces.get(workspace_id)
        request = self._request_tags(params)
        keys = tag_context(workspace.tags if workspace is not None else None, **request)
        held = RequestContext(self.action("CreateWorkspaceImage"), self._workspace_arn(workspace_id), keys)
        new = self._new_image_context("CreateWorkspaceImage", params)
        return [held, new, *self._tagging_on_create(params)]

    def _authorize_import_workspace_image(self, params: Params) -> list[RequestContext]:
        """The image being made (workspaceimage, with aws:RequestTag and aws:TagKeys), and workspaces:CreateTags for
        tags. The reference is unclear here: whether the action has a resource type at all (else it is authorized on
        "*") is not stated in a form this emulator can check; the image's ARN is taken, so a policy can scope imports
        by image as it scopes CreateUpdatedWorkspaceImage (a policy on "*" allows both readings). The AMI is EC2's,
        not modelled."""
        return [self._new_image_context("ImportWorkspaceImage", params), *self._tagging_on_create(params)]

    def _authorize_import_custom_workspace_image(self, params: Params) -> list[RequestContext]:
        """As ImportWorkspaceImage (and as unclear in the reference): the image being made, and CreateTags for tags.
        The source and the infrastructure configuration are EC2's and Image Builder's, not modelled."""
        return [self._new_image_context("ImportCustomWorkspaceImage", params), *self._tagging_on_create(params)]

    def _authorize_describe_custom_workspace_image_import(self, params: Params) -> list[RequestContext]:
        # workspaceimage*: the image being imported, with its tags as aws:ResourceTag.
        return [self._image_context("DescribeCustomWorkspaceImageImport", params["ImageId"])]


def imageable_states(states: Collection[str]) -> frozenset[str]:
    """The imageable_workspace_states option, each one of the model's WorkspaceState."""
    unknown = set(states) - set(_workspace_states())
    if unknown:
        raise ValueError(f"not WorkspaceState values: {sorted(unknown)}")
    return frozenset(states)
