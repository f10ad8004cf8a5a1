"""The input rules of the three image types made from a WorkSpace, an AMI or EC2 Image Builder (rules.py), and the
pure reading of an import's progress (image_builder.merge_import): no mocks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cdk_workspaces_image_handler import rules
from cdk_workspaces_image_handler.image_builder import merge_import
from cdk_workspaces_image_handler.workspaces import Image

BUILD = "arn:aws:imagebuilder:eu-west-1:111122223333:image/win11-golden/1.0.0/1"
AMI = "ami-0123456789abcdef0"


def test_a_workspace_id_must_match_the_api_pattern() -> None:
    assert rules.captured_problems(workspace_id="ws-abcd1234") == []
    assert rules.captured_problems(workspace_id="wsi-abcd1234") == [
        "workspace_id (WorkspaceId) 'wsi-abcd1234' must match the pattern ws-[0-9a-z]{8,63}"
    ]
    assert rules.captured_problems(workspace_id=None) == [
        "workspace_id (WorkspaceId) is missing (None); it is required"
    ]
    assert rules.captured_problems(workspace_id=rules.UNKNOWN) == []


def test_an_import_takes_an_ami_an_ingestion_process_and_at_most_one_application() -> None:
    assert rules.imported_problems(ec2_image_id=AMI, ingestion_process="BYOL_REGULAR_WSP") == []
    found = rules.imported_problems(
        ec2_image_id="ami-XYZ",
        ingestion_process="BYOL",
        applications=["Microsoft_Office_2016", "Microsoft_Office_2019"],
    )
    assert found[0] == "ec2_image_id (Ec2ImageId) 'ami-XYZ' must match the pattern ami-([a-f0-9]{8}|[a-f0-9]{17})"
    assert found[1].startswith("ingestion_process (IngestionProcess) 'BYOL' must be one of BYOL_REGULAR, ")
    assert "takes exactly one at this time" in found[2]
    assert rules.imported_problems(ec2_image_id=AMI, ingestion_process="BYOL_REGULAR", applications=["Office"])[
        0
    ].startswith("applications (Applications) item 'Office' must be one of Microsoft_Office_2016")


@pytest.mark.parametrize(
    ("sources", "given"),
    [
        ({}, "none"),
        (
            {"ImageBuildVersionArn": BUILD, "Ec2ImageId": AMI},
            "image_build_version_arn (ImageSource.ImageBuildVersionArn), ec2_image_id (ImageSource.Ec2ImageId)",
        ),
    ],
)
def test_image_builder_takes_exactly_one_source(sources: dict[str, str], given: str) -> None:
    (problem,) = rules.image_source_problems(sources)
    assert problem == (
        "give exactly one image source, image_build_version_arn (ImageSource.ImageBuildVersionArn) or ec2_image_id "
        f"(ImageSource.Ec2ImageId) or ec2_import_task_id (ImageSource.Ec2ImportTaskId); given: {given}"
    )


def test_each_source_is_judged_by_its_pattern_and_a_token_is_left_to_the_handler() -> None:
    assert rules.image_source_problems({"ImageBuildVersionArn": BUILD}) == []
    assert rules.image_source_problems({"Ec2ImportTaskId": "import-ami-0123456789abcdef0"}) == []
    assert rules.image_source_problems({"ImageBuildVersionArn": rules.UNKNOWN}) == []
    (problem,) = rules.image_source_problems({"Ec2ImportTaskId": "import-1"})
    assert problem.startswith("ec2_import_task_id (ImageSource.Ec2ImportTaskId) 'import-1' must match the pattern")


def test_windows_11_is_refused_with_pcoip_as_the_api_documents() -> None:
    arn = "arn:aws:imagebuilder:eu-west-1:111122223333:infrastructure-configuration/ws"
    ok = {"infrastructure_configuration_arn": arn, "compute_type": "BASE"}
    assert (
        rules.image_builder_problems(image_source={"Ec2ImageId": AMI}, os_version="Windows_11", protocol="DCV", **ok)
        == []
    )
    (problem,) = rules.image_builder_problems(
        image_source={"Ec2ImageId": AMI}, os_version="Windows_11", protocol="PCOIP", **ok
    )
    assert problem.startswith("protocol (Protocol) 'PCOIP' can't stream os_version (OsVersion) 'Windows_11'")
    assert (
        rules.image_builder_problems(image_source={"Ec2ImageId": AMI}, os_version="Windows_10", protocol="PCOIP", **ok)
        == []
    )


def test_the_shared_rules_name_the_apis_own_property_names() -> None:
    found = rules.made_image_problems(
        name_api="ImageName", description_api="ImageDescription", image_name="no spaces allowed", description=""
    )
    assert found[0].startswith("image_name (ImageName) 'no spaces allowed' must match the pattern")
    assert found[1].startswith("description (ImageDescription) '' is 0 characters long")


CREATED = datetime.fromtimestamp(1_800_000_000, tz=UTC)


def test_an_import_under_way_is_pending_with_its_progress_whatever_the_image_says() -> None:
    imported = {
        "State": "INSTALLING_COMPONENTS",
        "ProgressPercentage": 60,
        "StateMessage": "Installing",
        "Created": CREATED,
    }
    unlisted = merge_import("wsi-abcdefghi", None, imported)
    assert unlisted is not None
    assert (unlisted.state, unlisted.progress, unlisted.created) == (
        "PENDING",
        " (import INSTALLING_COMPONENTS, 60%: Installing)",
        CREATED,
    )
    listed = merge_import("wsi-abcdefghi", Image("wsi-abcdefghi", "n", "AVAILABLE"), imported)
    assert listed is not None
    assert listed.state == "PENDING", "not ready before the import completed"


def test_a_completed_import_is_ready_only_once_the_image_is_listed_available() -> None:
    done = {"State": "COMPLETED", "ProgressPercentage": 100}
    unlisted = merge_import("wsi-abcdefghi", None, done)
    assert unlisted is not None
    assert unlisted.state == "PENDING"
    listed = merge_import("wsi-abcdefghi", Image("wsi-abcdefghi", "n", "AVAILABLE"), done)
    assert listed is not None
    assert listed.state == "AVAILABLE"


def test_an_import_in_error_is_error_with_its_details_and_unknown_to_both_is_gone() -> None:
    failed = {"State": "ERROR", "ErrorDetails": [{"ErrorCode": "E1", "ErrorMessage": "broken"}]}
    seen = merge_import("wsi-abcdefghi", None, failed)
    assert seen is not None
    assert (seen.state, seen.error_details) == ("ERROR", (("E1", "broken"),))
    assert merge_import("wsi-abcdefghi", None, None) is None
    plain = Image("wsi-abcdefghi", "n", "AVAILABLE")
    assert merge_import("wsi-abcdefghi", plain, None) is plain
