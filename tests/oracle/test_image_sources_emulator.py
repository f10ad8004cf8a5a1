"""The emulator's images made from other sources than an image: a WorkSpace (CreateWorkspaceImage), an EC2 AMI
(ImportWorkspaceImage) and EC2 Image Builder (ImportCustomWorkspaceImage, DescribeCustomWorkspaceImageImport), through
an unmodified boto3, on the virtual clock."""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from aws_emulator import AccessControl, Plan, VirtualClock, WorkSpacesBackend, attach
from aws_emulator.service import service_model
from aws_emulator.workspaces_sources import IMPORT_STAGES

ACCOUNT = "123456789012"
OTHER = "210987654321"
NO_RETRIES = Config(retries={"max_attempts": 1, "mode": "standard"})
ROLE = f"arn:aws:iam::{ACCOUNT}:role/Builder"


def backend(clock: VirtualClock, **options: Any) -> WorkSpacesBackend:
    return WorkSpacesBackend(clock, ACCOUNT, seed=11, **options)


def client_for(ws: WorkSpacesBackend) -> Any:
    client = boto3.client("workspaces", region_name="eu-west-1", config=NO_RETRIES)
    attach(client, ws)
    return client


@pytest.fixture
def ws(clock: VirtualClock) -> WorkSpacesBackend:
    return backend(clock)


@pytest.fixture
def client(ws: WorkSpacesBackend) -> Any:
    return client_for(ws)


def raises_code(code: str, call: Any, **kwargs: Any) -> ClientError:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    assert caught.value.response["Error"]["Code"] == code, caught.value.response["Error"]
    return caught.value


def listed(client: Any) -> dict[str, str]:
    return {i["ImageId"]: i["State"] for i in client.describe_workspace_images()["Images"]}


def custom_import(client: Any, ws: WorkSpacesBackend, name: str = "custom", **extra: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "ImageName": name,
        "ImageDescription": "Imported",
        "ComputeType": "BASE",
        "Protocol": "DCV",
        "ImageSource": {"Ec2ImageId": ws.add_ami()},
        "InfrastructureConfigurationArn": ws.add_infrastructure_configuration(),
        "Platform": "WINDOWS",
        "OsVersion": "Windows_11",
        **extra,
    }
    return dict(client.import_custom_workspace_image(**request))


def byol_import(client: Any, ami: str, name: str = "byol", **extra: Any) -> str:
    answer = client.import_workspace_image(
        Ec2ImageId=ami, IngestionProcess="BYOL_REGULAR_WSP", ImageName=name, ImageDescription="BYOL", **extra
    )
    return str(answer["ImageId"])


# -- CreateWorkspaceImage --------------------------------------------------------------


def test_an_image_of_a_workspace_is_pending_then_follows_its_plan(
    client: Any, ws: WorkSpacesBackend, clock: VirtualClock
) -> None:
    workspace = ws.add_workspace()
    assert workspace.startswith("ws-")
    ws.plan_next_images(Plan.available(after_seconds=600))
    answer = client.create_workspace_image(
        WorkspaceId=workspace, Name="from-ws", Description="From a WorkSpace", Tags=[{"Key": "team", "Value": "euc"}]
    )
    image = answer["ImageId"]
    assert {k: v for k, v in answer.items() if k not in ("ResponseMetadata", "Created")} == {
        "ImageId": image,
        "Name": "from-ws",
        "Description": "From a WorkSpace",
        "OperatingSystem": {"Type": "WINDOWS"},
        "State": "PENDING",
        "RequiredTenancy": "DEFAULT",
        "OwnerAccountId": ACCOUNT,
    }
    assert isinstance(answer["Created"], datetime.datetime)
    assert client.describe_tags(ResourceId=image)["TagList"] == [{"Key": "team", "Value": "euc"}]
    assert listed(client)[image] == "PENDING"
    clock.advance(600)
    assert listed(client)[image] == "AVAILABLE"


def test_a_byol_workspace_makes_a_dedicated_image_and_errors_follow_the_plan(
    client: Any, ws: WorkSpacesBackend, clock: VirtualClock
) -> None:
    workspace = ws.add_workspace(required_tenancy="DEDICATED")
    ws.plan_next_images(Plan.error(after_seconds=60))
    answer = client.create_workspace_image(WorkspaceId=workspace, Name="byol-ws", Description="d")
    assert answer["RequiredTenancy"] == "DEDICATED"
    clock.advance(60)
    (image,) = client.describe_workspace_images(ImageIds=[answer["ImageId"]])["Images"]
    assert image["State"] == "ERROR"
    assert image["ErrorDetails"] == [
        {"ErrorCode": "WindowsUpdatesRequired", "ErrorMessage": "Windows updates are required"}
    ]


def test_create_workspace_image_refusals(clock: VirtualClock) -> None:
    ws = backend(clock, image_quota=2)
    client = client_for(ws)
    raises_code(
        "ResourceNotFoundException",
        client.create_workspace_image,
        WorkspaceId="ws-none12345",
        Name="n",
        Description="d",
    )
    stopped = ws.add_workspace(state="STOPPED")
    raises_code(
        "InvalidResourceStateException", client.create_workspace_image, WorkspaceId=stopped, Name="n", Description="d"
    )
    ws.add_image("taken")
    running = ws.add_workspace()
    raises_code(
        "ResourceAlreadyExistsException",
        client.create_workspace_image,
        WorkspaceId=running,
        Name="taken",
        Description="d",
    )
    client.create_workspace_image(WorkspaceId=running, Name="second", Description="d")
    raises_code(
        "ResourceLimitExceededException",
        client.create_workspace_image,
        WorkspaceId=running,
        Name="third",
        Description="d",
    )
    raises_code(
        "InvalidParameterValuesException",
        client.create_workspace_image,
        WorkspaceId="not-a-workspace",
        Name="n",
        Description="d",
    )


def test_which_workspace_states_can_be_imaged_is_an_option(clock: VirtualClock) -> None:
    ws = backend(clock, imageable_workspace_states=("AVAILABLE", "STOPPED"))
    client = client_for(ws)
    stopped = ws.add_workspace(state="STOPPED")
    client.create_workspace_image(WorkspaceId=stopped, Name="n", Description="d")
    with pytest.raises(ValueError, match="WorkspaceState"):
        backend(clock, imageable_workspace_states=("RUNNING",))
    with pytest.raises(ValueError, match="WorkspaceState"):
        ws.add_workspace(state="RUNNING")


# -- ImportWorkspaceImage ------------------------------------------------------------------


def test_a_byol_import_is_dedicated_and_follows_its_plan(
    client: Any, ws: WorkSpacesBackend, clock: VirtualClock
) -> None:
    ami = ws.add_ami()
    assert ami.startswith("ami-")
    assert len(ami) == 21
    ws.plan_next_images(Plan.available(after_seconds=None, after_describes=2))
    image = byol_import(client, ami, Tags=[{"Key": "k", "Value": "v"}], Applications=["Microsoft_Office_2019"])
    (found,) = client.describe_workspace_images(ImageIds=[image])["Images"]
    assert (found["State"], found["RequiredTenancy"], found["Name"]) == ("PENDING", "DEDICATED", "byol")
    assert listed(client)[image] == "PENDING"
    assert listed(client)[image] == "AVAILABLE"
    assert client.describe_tags(ResourceId=image)["TagList"] == [{"Key": "k", "Value": "v"}]


def test_byol_import_refusals(clock: VirtualClock) -> None:
    ws = backend(clock, image_quota=2)
    client = client_for(ws)
    raises_code("ResourceNotFoundException", byol_import, client=client, ami="ami-0123456789abcdef0")
    not_shared = ws.add_ami(owner=OTHER)
    raises_code("ResourceNotFoundException", byol_import, client=client, ami=not_shared)
    shared = ws.add_ami(owner=OTHER, shared=True)
    raises_code("InvalidParameterValuesException", byol_import, client=client, ami=shared)
    pending = ws.add_ami(state="pending")
    raises_code("InvalidParameterValuesException", byol_import, client=client, ami=pending)
    ami = ws.add_ami()
    ws.add_image("taken")
    raises_code("ResourceAlreadyExistsException", byol_import, client=client, ami=ami, name="taken")
    byol_import(client, ami, name="second")
    raises_code("ResourceLimitExceededException", byol_import, client=client, ami=ami, name="third")


def test_byol_not_enabled_and_the_ami_codes_are_options(clock: VirtualClock) -> None:
    off = backend(clock, byol_enabled=False)
    raises_code("OperationNotSupportedException", byol_import, client=client_for(off), ami=off.add_ami())
    lenient = backend(clock, ami_not_owned_error=None, ami_not_found_error="InvalidParameterValuesException")
    client = client_for(lenient)
    image = byol_import(client, lenient.add_ami(owner=OTHER, shared=True))
    assert lenient.images[image].required_tenancy == "DEDICATED"
    raises_code("InvalidParameterValuesException", byol_import, client=client, ami="ami-0123456789abcdef0")
    strict = backend(clock, ami_unavailable_error="InvalidResourceStateException")
    raises_code(
        "InvalidResourceStateException", byol_import, client=client_for(strict), ami=strict.add_ami(state="failed")
    )


# -- ImportCustomWorkspaceImage and DescribeCustomWorkspaceImageImport ---------------------


def test_a_custom_import_goes_through_its_stages_on_the_virtual_clock_to_completed(
    client: Any, ws: WorkSpacesBackend, clock: VirtualClock
) -> None:
    ws.plan_next_images(Plan.available(after_seconds=1200))
    answer = custom_import(client, ws, Tags=[{"Key": "team", "Value": "euc"}], ImageValidationMode="SERVICE_MANAGED")
    image = answer["ImageId"]
    assert answer["State"] == "PENDING"
    seen: list[tuple[str, int]] = []
    updated: list[datetime.datetime] = []
    for _ in range(len(IMPORT_STAGES)):
        status = client.describe_custom_workspace_image_import(ImageId=image)
        seen.append((status["State"], status["ProgressPercentage"]))
        updated.append(status["LastUpdatedTime"])
        assert status["StateMessage"]
        assert status["ImageSource"] == {"Ec2ImageId": next(iter(ws.amis))}
        assert status["InfrastructureConfigurationArn"].endswith(":infrastructure-configuration/workspaces-import")
        assert image not in listed(client), "not listed while importing (the default)"
        clock.advance(100)
    assert [state for state, _ in seen] == [stage for stage, _, _ in IMPORT_STAGES]
    model_states = set(getattr(service_model("workspaces").shape_for("CustomWorkspaceImageImportState"), "enum", []))
    assert {state for state, _ in seen} == model_states - {"COMPLETED", "ERROR"}
    percents = [percent for _, percent in seen]
    assert all(a < b for a, b in itertools.pairwise(percents)), "progress rises at every stage"
    assert all(a < b for a, b in itertools.pairwise(updated)), "each stage has its own start"
    done = client.describe_custom_workspace_image_import(ImageId=image)
    assert (done["State"], done["ProgressPercentage"]) == ("COMPLETED", 100)
    assert done["ImageBuilderInstanceId"].startswith("i-")
    assert "ErrorDetails" not in done
    (found,) = client.describe_workspace_images(ImageIds=[image])["Images"]
    assert (found["State"], found["RequiredTenancy"]) == ("AVAILABLE", "DEDICATED")
    assert client.describe_tags(ResourceId=image)["TagList"] == [{"Key": "team", "Value": "euc"}]


def test_a_failed_custom_import_answers_error_details_and_stays_unlisted(
    client: Any, ws: WorkSpacesBackend, clock: VirtualClock
) -> None:
    ws.plan_next_images(
        Plan.error("ImportFailed", "The image failed validation", (("ProtocolOSIncompatibility", "DCV only"),), 300)
    )
    image = custom_import(client, ws)["ImageId"]
    clock.advance(300)
    status = client.describe_custom_workspace_image_import(ImageId=image)
    assert status["State"] == "ERROR"
    assert status["StateMessage"] == "The image failed validation"
    assert status["ErrorDetails"] == [{"ErrorCode": "ProtocolOSIncompatibility", "ErrorMessage": "DCV only"}]
    assert image not in listed(client)
    client.delete_workspace_image(ImageId=image)  # a failed import's image can be deleted
    raises_code("ResourceNotFoundException", client.describe_custom_workspace_image_import, ImageId=image)


def test_the_import_progresses_by_describes_when_the_plan_says_so(client: Any, ws: WorkSpacesBackend) -> None:
    ws.plan_next_images(Plan.available(after_seconds=None, after_describes=3))
    image = custom_import(client, ws)["ImageId"]
    states = [client.describe_custom_workspace_image_import(ImageId=image)["State"] for _ in range(4)]
    assert states[0] == "PENDING"
    assert states[-1] == "COMPLETED"
    assert len(set(states)) == 4


def test_listing_while_importing_is_an_option(clock: VirtualClock) -> None:
    ws = backend(clock, custom_import_listed_while_importing=True)
    client = client_for(ws)
    ws.plan_next_images(Plan.available(after_seconds=100), Plan.error(after_seconds=100))
    good = custom_import(client, ws, name="good")["ImageId"]
    bad = custom_import(client, ws, name="bad")["ImageId"]
    assert listed(client) == {good: "PENDING", bad: "PENDING"}
    clock.advance(100)
    assert listed(client) == {good: "AVAILABLE", bad: "ERROR"}


def test_deleting_during_an_import_is_refused_unless_the_option_allows(clock: VirtualClock) -> None:
    ws = backend(clock)
    client = client_for(ws)
    image = custom_import(client, ws)["ImageId"]
    raises_code("InvalidResourceStateException", client.delete_workspace_image, ImageId=image)
    lenient = backend(clock, delete_importing_error=None)
    client = client_for(lenient)
    image = custom_import(client, lenient)["ImageId"]
    client.delete_workspace_image(ImageId=image)
    raises_code("ResourceNotFoundException", client.describe_custom_workspace_image_import, ImageId=image)


def test_each_source_kind_is_found_or_not(client: Any, ws: WorkSpacesBackend) -> None:
    build = ws.add_image_build_version()
    assert build == f"arn:aws:imagebuilder:eu-west-1:{ACCOUNT}:image/golden/1.0.0/1"
    task = ws.add_import_task()
    assert task.startswith("import-ami-")
    for name, source in (("build", {"ImageBuildVersionArn": build}), ("task", {"Ec2ImportTaskId": task})):
        made = custom_import(client, ws, name=name, ImageSource=source)
        assert client.describe_custom_workspace_image_import(ImageId=made["ImageId"])["ImageSource"] == source
    missing_build = f"arn:aws:imagebuilder:eu-west-1:{ACCOUNT}:image/other/1.0.0/1"
    missing = [
        {"ImageBuildVersionArn": missing_build},
        {"Ec2ImportTaskId": "import-ami-0123456789abcdef0"},
        {"Ec2ImageId": "ami-0123456789abcdef0"},
    ]
    for source in missing:
        raises_code("ResourceNotFoundException", custom_import, client=client, ws=ws, name="n", ImageSource=source)
    unknown_configuration = f"arn:aws:imagebuilder:eu-west-1:{ACCOUNT}:infrastructure-configuration/none"
    raises_code(
        "ResourceNotFoundException",
        client.import_custom_workspace_image,
        ImageName="n",
        ImageDescription="d",
        ComputeType="BASE",
        Protocol="DCV",
        ImageSource={"Ec2ImageId": ws.add_ami()},
        InfrastructureConfigurationArn=unknown_configuration,
        Platform="WINDOWS",
        OsVersion="Windows_10",
    )


def test_custom_import_refusals(clock: VirtualClock) -> None:
    ws = backend(clock, image_quota=2)
    client = client_for(ws)
    raises_code("InvalidParameterValuesException", custom_import, client=client, ws=ws, Protocol="PCOIP")
    custom_import(client, ws, name="win10", Protocol="PCOIP", OsVersion="Windows_10")
    raises_code("InvalidParameterValuesException", custom_import, client=client, ws=ws, ImageSource={
        "Ec2ImageId": ws.add_ami(state="pending")
    })  # fmt: skip
    raises_code("ResourceAlreadyExistsException", custom_import, client=client, ws=ws, name="win10")
    custom_import(client, ws, name="second")
    raises_code("ResourceLimitExceededException", custom_import, client=client, ws=ws, name="third")
    off = backend(clock, byol_enabled=False)
    raises_code("OperationNotSupportedException", custom_import, client=client_for(off), ws=off)
    # boto3 refuses a union with two members before sending; the backend refuses it too.
    two = {"Ec2ImageId": ws.add_ami(), "Ec2ImportTaskId": ws.add_import_task()}
    with pytest.raises(Exception, match="InvalidParameterValuesException"):
        ws.handle(
            "ImportCustomWorkspaceImage",
            {
                "ImageName": "n",
                "ImageDescription": "d",
                "ComputeType": "BASE",
                "Protocol": "DCV",
                "ImageSource": two,
                "InfrastructureConfigurationArn": ws.add_infrastructure_configuration(),
                "Platform": "WINDOWS",
                "OsVersion": "Windows_10",
            },
        )


def test_describing_an_image_not_made_by_a_custom_import_is_not_found(client: Any, ws: WorkSpacesBackend) -> None:
    made = byol_import(client, ws.add_ami())
    raises_code("ResourceNotFoundException", client.describe_custom_workspace_image_import, ImageId=made)
    raises_code("ResourceNotFoundException", client.describe_custom_workspace_image_import, ImageId="wsi-000000000")


# -- IAM ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "operation",
    [
        "CreateWorkspaceImage",
        "ImportWorkspaceImage",
        "ImportCustomWorkspaceImage",
        "DescribeCustomWorkspaceImageImport",
    ],
)
def test_each_operation_is_refused_to_a_role_without_its_action(clock: VirtualClock, operation: str) -> None:
    ws = backend(clock)
    access = AccessControl()
    ws.access = access
    others = [name for name in ("CreateWorkspaceImage", "ImportWorkspaceImage", "ImportCustomWorkspaceImage",
                                "DescribeCustomWorkspaceImageImport", "CreateTags") if name != operation]  # fmt: skip
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [f"workspaces:{o}" for o in others],
                                                      "Resource": "*"}]}  # fmt: skip
    credentials = access.assume_role(ROLE, "builder", lambda: [policy])
    client = boto3.client(
        "workspaces",
        region_name="eu-west-1",
        aws_access_key_id=credentials.access_key_id,
        aws_secret_access_key=credentials.secret_access_key,
        aws_session_token=credentials.session_token,
        config=NO_RETRIES,
    )
    attach(client, ws)
    ws.plan_next_images(Plan.never())
    imported = ws.handle(
        "ImportCustomWorkspaceImage",
        {
            "ImageName": "existing",
            "ImageDescription": "d",
            "ComputeType": "BASE",
            "Protocol": "DCV",
            "ImageSource": {"Ec2ImageId": ws.add_ami()},
            "InfrastructureConfigurationArn": ws.add_infrastructure_configuration(),
            "Platform": "WINDOWS",
            "OsVersion": "Windows_10",
        },
    )["ImageId"]
    calls: dict[str, Callable[[], Any]] = {
        "CreateWorkspaceImage": lambda: client.create_workspace_image(
            WorkspaceId=ws.add_workspace(), Name="n", Description="d"
        ),
        "ImportWorkspaceImage": lambda: byol_import(client, ws.add_ami()),
        "ImportCustomWorkspaceImage": lambda: custom_import(client, ws, OsVersion="Windows_10"),
        "DescribeCustomWorkspaceImageImport": lambda: client.describe_custom_workspace_image_import(ImageId=imported),
    }
    error = raises_code("AccessDeniedException", calls[operation])
    assert f"workspaces:{operation}" in error.response["Error"]["Message"]
    for name, call in calls.items():
        if name != operation:
            call()  # the same role, allowed the others, is let through
