"""The three image types made from something else than an image (issue 22) at run time, through a Stubber that checks
each call against the API model: CreateWorkspaceImage, ImportWorkspaceImage, ImportCustomWorkspaceImage and the
import's progress (DescribeCustomWorkspaceImageImport)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from support import STACK_ID
from support.handler import FUNCTION_ARN, HANDLE_URL, T0, World, event, image

from cdk_workspaces_image_handler import contract
from cdk_workspaces_image_handler.captured import read_captured_request
from cdk_workspaces_image_handler.image_builder import read_image_builder_request
from cdk_workspaces_image_handler.imported import read_imported_request
from cdk_workspaces_image_handler.kernel import Ownership

NEW = "wsi-made00001"
WORKSPACE = "ws-golden0001"
AMI = "ami-0123456789abcdef0"
BUILD = "arn:aws:imagebuilder:eu-west-1:111122223333:image/win11-golden/1.0.0/1"
INFRA = "arn:aws:imagebuilder:eu-west-1:111122223333:infrastructure-configuration/workspaces-import"
LOGICAL = "GoldenResource"


def shared(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "ServiceToken": FUNCTION_ARN,
        "Tags": [{"Key": "team", "Value": "euc"}],
        "TimeoutSeconds": "10800",
        "WaitHandle": HANDLE_URL,
    }
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def captured_props(**over: Any) -> dict[str, Any]:
    return shared(
        **{"WorkspaceId": WORKSPACE, "Name": "golden-captured", "Description": "Captured golden image", **over}
    )


def imported_props(**over: Any) -> dict[str, Any]:
    own = {
        "Ec2ImageId": AMI,
        "IngestionProcess": "BYOL_REGULAR_WSP",
        "ImageName": "golden-byol",
        "ImageDescription": "Windows 11 BYOL",
        "Applications": ["Microsoft_Office_2019"],
    }
    return shared(**{**own, **over})


def builder_props(**over: Any) -> dict[str, Any]:
    own = {
        "ImageName": "golden-win11",
        "ImageDescription": "Windows 11 from Image Builder",
        "ImageSource": {"ImageBuildVersionArn": BUILD},
        "InfrastructureConfigurationArn": INFRA,
        "OsVersion": "Windows_11",
        "Protocol": "DCV",
        "ComputeType": "BASE",
    }
    return shared(**{**own, **over})


def owner_tags(properties: Mapping[str, Any], read: Any) -> list[dict[str, str]]:
    tag = Ownership.of(STACK_ID, LOGICAL, read(properties), "Create-request").tag_value
    return [*properties["Tags"], {"Key": contract.OWNER_TAG_KEY, "Value": tag}]


def importing(world: World, image_id: str, state: str, percent: int, message: str, **extra: Any) -> None:
    """DescribeWorkspaceImages does not list the image while it is imported (the emulator's default), and
    DescribeCustomWorkspaceImageImport tells how far it got."""
    world.describe(image_id, None)
    world.ws.add_response(
        "describe_custom_workspace_image_import",
        {"ImageId": image_id, "State": state, "ProgressPercentage": percent, "StateMessage": message, **extra},
        {"ImageId": image_id},
    )


def test_a_captured_image_is_made_of_the_workspace_then_waited_for_and_signalled(world: World) -> None:
    p = captured_props()
    world.ws.add_response(
        "create_workspace_image",
        {"ImageId": NEW, "State": "PENDING"},
        {
            "Name": "golden-captured",
            "Description": "Captured golden image",
            "WorkspaceId": WORKSPACE,
            "Tags": owner_tags(p, read_captured_request),
        },
    )
    world.describe(NEW, image(NEW, name="golden-captured", state="PENDING"))
    world.watch_started()
    world.run(event("Create", p, resource_type=contract.CAPTURED_TYPE))
    assert (world.response()["Status"], world.recorded_ids()) == ("SUCCESS", {NEW})

    world.clock.advance(2700)
    world.describe(NEW, image(NEW, name="golden-captured"))
    world.watch_stopped()
    world.tick()
    assert world.signal()["Data"] == NEW
    ((detail_type, detail),) = world.news()
    assert (detail_type, detail["WorkspaceId"], detail["ImageId"]) == (
        contract.DetailTypes.IMAGE_AVAILABLE,
        WORKSPACE,
        NEW,
    )


def test_a_workspace_that_cannot_be_imaged_fails_the_create_saying_what_to_do_first(world: World) -> None:
    p = captured_props()
    world.ws.add_client_error(
        "create_workspace_image", "InvalidResourceStateException", "The WorkSpace is STOPPED", 400
    )
    world.run(event("Create", p, resource_type=contract.CAPTURED_TYPE))
    answer = world.response()
    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith(f"WorkSpace {WORKSPACE} is not in a state that can be imaged; start it")
    assert "InvalidResourceStateException: The WorkSpace is STOPPED" in answer["Reason"]
    assert world.recorded_ids() == set(), "a refused create leaves no claim behind"


def test_an_imported_image_is_imported_with_its_application_and_its_error_quotes_the_service(world: World) -> None:
    p = imported_props()
    world.ws.add_response(
        "import_workspace_image",
        {"ImageId": NEW},
        {
            "Ec2ImageId": AMI,
            "IngestionProcess": "BYOL_REGULAR_WSP",
            "ImageName": "golden-byol",
            "ImageDescription": "Windows 11 BYOL",
            "Applications": ["Microsoft_Office_2019"],
            "Tags": owner_tags(p, read_imported_request),
        },
    )
    world.describe(NEW, image(NEW, name="golden-byol", state="PENDING", RequiredTenancy="DEDICATED"))
    world.watch_started()
    world.run(event("Create", p, resource_type=contract.IMPORTED_TYPE))
    assert world.response()["Status"] == "SUCCESS"

    failed = image(
        NEW,
        state="ERROR",
        ErrorCode="ImportFailed",
        ErrorMessage="The image failed validation",
        ErrorDetails=[{"ErrorCode": "WindowsUpdatesRequired", "ErrorMessage": "Install the pending updates"}],
    )
    world.describe(NEW, failed)
    world.watch_stopped()
    world.tick()
    signal = world.signal()
    assert signal["Status"] == "FAILURE"
    assert "WindowsUpdatesRequired: Install the pending updates" in signal["Reason"]


def test_an_account_without_byol_fails_the_import_saying_to_enable_byol(world: World) -> None:
    world.ws.add_client_error("import_workspace_image", "OperationNotSupportedException", "BYOL is not enabled", 400)
    world.run(event("Create", imported_props(), resource_type=contract.IMPORTED_TYPE))
    reason = world.response()["Reason"]
    assert reason.startswith(f"WorkSpaces does not ImportWorkspaceImage for AMI {AMI} in this account; enable it for")
    assert "Bring Your Own License" in reason


def builder_created(world: World, p: Mapping[str, Any]) -> None:
    world.ws.add_response(
        "import_custom_workspace_image",
        {"ImageId": NEW, "State": "PENDING"},
        {
            "ImageName": "golden-win11",
            "ImageDescription": "Windows 11 from Image Builder",
            "ComputeType": "BASE",
            "Protocol": "DCV",
            "ImageSource": {"ImageBuildVersionArn": BUILD},
            "InfrastructureConfigurationArn": INFRA,
            "Platform": "WINDOWS",
            "OsVersion": "Windows_11",
            "Tags": owner_tags(p, read_image_builder_request),
        },
    )
    importing(world, NEW, "PENDING", 0, "The import request was received.", Created=datetime.fromtimestamp(T0, tz=UTC))
    world.watch_started()
    world.run(event("Create", p, resource_type=contract.IMAGE_BUILDER_TYPE))
    assert world.response()["Status"] == "SUCCESS"


def test_an_image_builder_import_is_waited_for_until_completed_and_listed_available(world: World) -> None:
    p = builder_props()
    builder_created(world, p)
    world.clock.advance(1800)
    importing(world, NEW, "INSTALLING_COMPONENTS", 60, "Installing the WorkSpaces components.")
    world.tick()
    assert world.waits(), "an import under way keeps the wait"

    world.clock.advance(1800)
    # COMPLETED but not listed yet: still waiting, not "gone".
    importing(world, NEW, "COMPLETED", 100, "The image was imported.")
    world.tick()
    assert world.waits()

    world.clock.advance(60)
    world.describe(NEW, image(NEW, name="golden-win11", RequiredTenancy="DEDICATED"))
    world.watch_stopped()
    world.tick()
    assert world.signal()["Data"] == NEW


def test_an_import_that_times_out_quotes_its_last_state_message_and_progress(world: World) -> None:
    p = builder_props(TimeoutSeconds="3600")
    builder_created(world, p)
    world.clock.advance(3700)
    importing(world, NEW, "GENERALIZING", 80, "Generalizing the image.")
    world.watch_stopped()
    world.tick()
    reason = world.signal()["Reason"]
    assert f"timed out: image {NEW} is still PENDING (import GENERALIZING, 80%: Generalizing the image.)" in reason


def test_the_wait_keeps_the_imports_latest_progress_and_quotes_it_when_the_image_is_gone(world: World) -> None:
    p = builder_props()
    builder_created(world, p)
    world.clock.advance(1800)
    importing(world, NEW, "INSTALLING_COMPONENTS", 60, "Installing the WorkSpaces components.")
    world.tick()
    [wait] = world.waits()
    assert wait["progress"] == " (import INSTALLING_COMPONENTS, 60%: Installing the WorkSpaces components.)"

    world.clock.advance(1800)
    # Deleted outside the stack: neither API knows it any more.
    world.describe(NEW, None)
    world.ws.add_client_error(
        "describe_custom_workspace_image_import",
        service_error_code="ResourceNotFoundException",
        expected_params={"ImageId": NEW},
    )
    world.watch_stopped()
    world.tick()
    reason = world.signal()["Reason"]
    assert f"image {NEW} no longer exists" in reason
    assert "last seen (import INSTALLING_COMPONENTS, 60%: Installing the WorkSpaces components.)" in reason


def test_an_import_in_error_fails_the_wait_with_its_error_details(world: World) -> None:
    p = builder_props()
    builder_created(world, p)
    world.clock.advance(600)
    importing(
        world,
        NEW,
        "ERROR",
        30,
        "The test instance could not be created.",
        ErrorDetails=[{"ErrorCode": "InstanceProfileMissing", "ErrorMessage": "Add an instance profile"}],
    )
    world.watch_stopped()
    world.tick()
    signal = world.signal()
    assert signal["Status"] == "FAILURE"
    assert "went to ERROR (import ERROR, 30%: The test instance could not be created.)" in signal["Reason"]
    assert "InstanceProfileMissing: Add an instance profile" in signal["Reason"]
    ((detail_type, detail),) = world.news()
    assert (detail_type, detail["ImportState"], detail["ProgressPercentage"]) == (
        contract.DetailTypes.IMAGE_FAILED,
        "ERROR",
        30,
    )


def test_two_sources_are_refused_before_anything_is_imported(world: World) -> None:
    p = builder_props(ImageSource={"ImageBuildVersionArn": BUILD, "Ec2ImageId": AMI})
    world.run(event("Create", p, resource_type=contract.IMAGE_BUILDER_TYPE))
    reason = world.response()["Reason"]
    assert "give exactly one image source" in reason
    assert (
        "given: image_build_version_arn (ImageSource.ImageBuildVersionArn), ec2_image_id (ImageSource.Ec2ImageId)"
        in reason
    )


@pytest.mark.parametrize(
    ("resource_type", "properties"),
    [
        (contract.CAPTURED_TYPE, captured_props),
        (contract.IMPORTED_TYPE, imported_props),
        (contract.IMAGE_BUILDER_TYPE, builder_props),
    ],
)
def test_a_forged_delete_of_a_made_image_deletes_nothing(world: World, resource_type: str, properties: Any) -> None:
    """A Delete CloudFormation does not stand behind (the stack is settled, the resource CREATE_COMPLETE): no
    DeleteWorkspaceImage, nor any other WorkSpaces call, and the record keeps the image."""
    p = properties()
    world.record(NEW, "owner")
    world.stack_resource(LOGICAL, resource_type, "CREATE_COMPLETE", NEW)
    world.stack_status("CREATE_COMPLETE")
    world.run(event("Delete", p, physical_id=NEW, resource_type=resource_type), genuine=False)
    answer = world.response()
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", NEW)
    assert world.recorded_ids() == {NEW}
