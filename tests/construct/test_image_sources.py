"""The three image types made from something other than a WorkSpaces image, on the synth side (issue 22): what each
writes, what it refuses in the handler's words naming the construct path, and the IAM each adds to a stack (and
only to a stack that has it)."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from support.construct import ACCOUNT, PROPS, REGION, new_stack, only, render, statement_with, statements

from cdk_workspaces_image import (
    Application,
    CapturedWorkspaceImage,
    ImageBuilderWorkspaceImage,
    ImageComputeType,
    ImportedWorkspaceImage,
    IngestionProcess,
    OsVersion,
    StreamingProtocol,
    UpdatedWorkspaceImage,
)
from cdk_workspaces_image_handler import contract, rules

WORKSPACE = "ws-0123456789"
AMI = "ami-0123456789abcdef0"
BUILD = f"arn:aws:imagebuilder:{REGION}:{ACCOUNT}:image/win11/1.0.0/1"
INFRA = f"arn:aws:imagebuilder:{REGION}:{ACCOUNT}:infrastructure-configuration/build"
NAMED = {"image_name": "golden", "description": "Golden image"}
CAPTURED: dict[str, Any] = {"workspace_id": WORKSPACE, **NAMED}
IMPORTED: dict[str, Any] = {"ec2_image_id": AMI, "ingestion_process": IngestionProcess.BYOL_REGULAR_WSP, **NAMED}
BUILT: dict[str, Any] = {
    "image_build_version_arn": BUILD,
    "infrastructure_configuration_arn": INFRA,
    "os_version": OsVersion.WINDOWS_11,
    "protocol": StreamingProtocol.DCV,
    **NAMED,
}
KINDS: dict[str, tuple[type, dict[str, Any], str]] = {
    "captured": (CapturedWorkspaceImage, CAPTURED, contract.CAPTURED_TYPE),
    "imported": (ImportedWorkspaceImage, IMPORTED, contract.IMPORTED_TYPE),
    "builder": (ImageBuilderWorkspaceImage, BUILT, contract.IMAGE_BUILDER_TYPE),
}


def properties(kind: str, **overrides: Any) -> dict[str, Any]:
    construct, props, type_name = KINDS[kind]
    stack = new_stack()
    construct(stack, "Golden", **{**props, **overrides})
    _, resource = only(Template.from_stack(stack), type_name)
    return dict(resource["Properties"])


def refusal(kind: str, **overrides: Any) -> str:
    construct, props, _ = KINDS[kind]
    with pytest.raises(ValueError, match=r"^Test/Golden: ") as raised:
        construct(new_stack(), "Golden", **{**props, **overrides})
    return str(raised.value)


def test_each_type_writes_the_api_names_and_only_what_is_given() -> None:
    captured = properties("captured")
    assert {k: v for k, v in captured.items() if k not in ("WaitHandle", "ServiceToken", "ServiceTimeout")} == {
        "WorkspaceId": WORKSPACE,
        "Name": "golden",
        "Description": "Golden image",
        "TimeoutSeconds": contract.DEFAULT_TIMEOUT_SECONDS,
    }
    imported = properties("imported", applications=[Application.MICROSOFT_OFFICE_2019])
    assert (imported["Ec2ImageId"], imported["IngestionProcess"]) == (AMI, "BYOL_REGULAR_WSP")
    assert (imported["ImageName"], imported["ImageDescription"]) == ("golden", "Golden image")
    assert imported["Applications"] == ["Microsoft_Office_2019"]
    built = properties("builder")
    assert built["ImageSource"] == {"ImageBuildVersionArn": BUILD}
    assert (built["InfrastructureConfigurationArn"], built["OsVersion"], built["Protocol"]) == (
        INFRA,
        "Windows_11",
        "DCV",
    )
    assert "ComputeType" not in built, "written only when given: the handler sends BASE"
    assert properties("builder", compute_type=ImageComputeType.GRAPHICS_G4DN)["ComputeType"] == "GRAPHICS_G4DN"
    for kind in KINDS:
        assert rules.unknown_properties_problem(KINDS[kind][2], properties(kind)) is None


@pytest.mark.parametrize(
    ("kind", "overrides", "words"),
    [
        ("captured", {"workspace_id": "wsp-123"}, "workspace_id (WorkspaceId) 'wsp-123'"),
        ("captured", {"workspace_id": None}, "workspace_id (WorkspaceId) is missing"),
        ("imported", {"ec2_image_id": "ami-12"}, "ec2_image_id (Ec2ImageId) 'ami-12'"),
        ("imported", {"ingestion_process": "BYOL_REGULAR"}, "must be an IngestionProcess"),
        (
            "imported",
            {"applications": [Application.MICROSOFT_OFFICE_2016, Application.MICROSOFT_OFFICE_2019]},
            "applications (Applications)",
        ),
        ("imported", {"image_name": "no spaces allowed"}, "image_name (ImageName) 'no spaces allowed'"),
        ("builder", {"ec2_image_id": AMI}, "give exactly one image source"),
        ("builder", {"image_build_version_arn": None}, "given: none"),
        ("builder", {"protocol": StreamingProtocol.PCOIP}, "can't stream os_version (OsVersion) 'Windows_11'"),
        ("builder", {"infrastructure_configuration_arn": "build"}, "infrastructure_configuration_arn"),
        ("builder", {"os_version": "Windows_11"}, "must be an OsVersion"),
        ("builder", {"description": "x" * 257}, "description (ImageDescription)"),
    ],
)
def test_synth_refuses_what_the_api_refuses_naming_the_construct_and_property(
    kind: str, overrides: dict[str, Any], words: str
) -> None:
    assert words in refusal(kind, **overrides)


def test_windows_10_may_stream_pcoip() -> None:
    built = properties("builder", os_version=OsVersion.WINDOWS_10, protocol=StreamingProtocol.PCOIP)
    assert (built["OsVersion"], built["Protocol"]) == ("Windows_10", "PCOIP")


def test_tokens_are_left_to_the_handler() -> None:
    stack = new_stack()
    parameter = cdk.CfnParameter(stack, "Ami").value_as_string
    ImportedWorkspaceImage(stack, "Golden", **{**IMPORTED, "ec2_image_id": parameter})
    ImageBuilderWorkspaceImage(stack, "Built", **{**BUILT, "image_name": "built", "image_build_version_arn": parameter})
    template = Template.from_stack(stack)
    _, imported = only(template, contract.IMPORTED_TYPE)
    assert imported["Properties"]["Ec2ImageId"] == {"Ref": "Ami"}
    _, built = only(template, contract.IMAGE_BUILDER_TYPE)
    assert built["Properties"]["ImageSource"] == {"ImageBuildVersionArn": {"Ref": "Ami"}}


def test_a_name_another_image_type_of_the_app_has_is_refused() -> None:
    stack = new_stack()
    UpdatedWorkspaceImage(stack, "Updated", **{**PROPS, "image_name": "golden"})
    with pytest.raises(ValueError, match=r"Test/Golden: .*image_name.*'golden'.*Test/Updated"):
        CapturedWorkspaceImage(stack, "Golden", **CAPTURED)


def sids(stack: cdk.Stack) -> list[str]:
    return [str(s.get("Sid")) for s in statements(Template.from_stack(stack))]


def test_a_capture_may_image_only_the_workspaces_its_constructs_name() -> None:
    stack = new_stack()
    CapturedWorkspaceImage(stack, "Golden", **CAPTURED)
    CapturedWorkspaceImage(stack, "Other", **{**CAPTURED, "workspace_id": "ws-9876543210", "image_name": "other"})
    capture = statement_with(Template.from_stack(stack), "workspaces:CreateWorkspaceImage")
    named = sorted(render(r) for r in capture["Resource"])
    assert named == [
        f"arn:<AWS::Partition>:workspaces:{REGION}:{ACCOUNT}:workspace/ws-0123456789",
        f"arn:<AWS::Partition>:workspaces:{REGION}:{ACCOUNT}:workspace/ws-9876543210",
        f"arn:<AWS::Partition>:workspaces:{REGION}:{ACCOUNT}:workspaceimage/*",
    ]


def test_an_ami_import_may_modify_only_the_amis_its_constructs_name() -> None:
    stack = new_stack()
    ImportedWorkspaceImage(stack, "Golden", **IMPORTED)
    template = Template.from_stack(stack)
    share = statement_with(template, "ec2:ModifyImageAttribute")
    assert render(share["Resource"]) == f"arn:<AWS::Partition>:ec2:{REGION}::image/{AMI}"
    assert statement_with(template, "workspaces:ImportWorkspaceImage")["Resource"] == "*"


def test_each_kind_adds_its_statements_once_and_only_to_a_stack_that_has_it() -> None:
    lone = new_stack()
    UpdatedWorkspaceImage(lone, "Updated", **PROPS)
    alone = sids(lone)
    stack = new_stack()
    UpdatedWorkspaceImage(stack, "Updated", **PROPS)
    assert not {"CaptureWorkspaces", "ImportAmis", "ImportBuiltImages", "ShareAmisForImport"} & set(alone)
    for name, (construct, props, _) in KINDS.items():
        construct(stack, name.title(), **{**props, "image_name": name})
    every = sids(stack)
    assert len(every) == len(set(every)), "each statement once, whichever image types share it"
    assert {"CaptureWorkspaces", "ImportAmis", "DescribeAmis", "ShareAmisForImport", "ImportBuiltImages"} <= set(every)
    assert every[: len(alone)] == alone, "a stack's earlier statements stay as they were"


# --- sharing a BYOL image in AWS GovCloud (US) (issue 23) -----------------------------------------------------------


def gov_stack(region: str = "us-gov-west-1") -> cdk.Stack:
    app = cdk.App(context={"aws:cdk:bundling-stacks": []})
    return cdk.Stack(app, "Test", env=cdk.Environment(account=ACCOUNT, region=region))


@pytest.mark.parametrize("kind", ["imported", "builder"])
def test_an_imported_image_shared_in_govcloud_fails_synth(kind: str) -> None:
    """Both imports make a BYOL image, which GovCloud does not share across accounts: the handler refused it only once
    the image was made, hours later (sharing.byol_share_problem), in the same words."""
    construct, props, _ = KINDS[kind]
    props = (
        {**props, "image_build_version_arn": BUILD.replace("arn:aws:", "arn:aws-us-gov:")}
        if kind == "builder"
        else props
    )
    with pytest.raises(ValueError, match=r"^Test/Golden: share_with_accounts") as raised:
        construct(gov_stack(), "Golden", **props, share_with_accounts=["444455556666"])
    assert str(raised.value) == (
        "Test/Golden: share_with_accounts (ShareWithAccounts) ['444455556666']: an imported image is a Bring Your Own "
        "License image, and AWS GovCloud (US) Regions such as us-gov-west-1 do not share BYOL images across accounts; "
        "remove share_with_accounts, or ask AWS Support to share it"
    )


def test_what_may_not_be_byol_or_may_not_be_shared_is_left_to_the_handler() -> None:
    """An updated or captured image is BYOL only if its source is; a list token may be empty; an environment-agnostic
    stack may deploy outside GovCloud."""
    stack = gov_stack()
    CapturedWorkspaceImage(stack, "Captured", **CAPTURED, share_with_accounts=["444455556666"])
    UpdatedWorkspaceImage(stack, "Updated", **{**PROPS, "image_name": "updated"}, share_with_accounts=["444455556666"])
    accounts = cdk.CfnParameter(stack, "Accounts", type="CommaDelimitedList").value_as_list
    ImportedWorkspaceImage(stack, "Listed", **{**IMPORTED, "image_name": "listed"}, share_with_accounts=accounts)
    ImportedWorkspaceImage(stack, "Unshared", **{**IMPORTED, "image_name": "unshared"}, share_with_accounts=[])
    agnostic = cdk.Stack(cdk.App(context={"aws:cdk:bundling-stacks": []}), "Agnostic")
    ImportedWorkspaceImage(agnostic, "Golden", **IMPORTED, share_with_accounts=["444455556666"])
