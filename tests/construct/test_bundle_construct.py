"""Template tests of WorkspaceBundle, apply_to_bundle and the provider's bundle permissions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template
from cdk_nag import AwsSolutionsChecks
from support.construct import (
    ACCOUNT,
    NO_BUNDLING,
    PROPS,
    REGION,
    actions,
    cdk_context,
    load_example_app,
    new_stack,
    only,
    owned_by_this_stack,
    refused,
    render,
    sids,
    statement_sid,
    statements,
)

from cdk_workspaces_image import ComputeType, UpdatedWorkspaceImage, WorkspaceBundle, WorkspaceBundleImage

OWNER_TAG_KEY = "cdk-workspaces-image:owner"
APPLIED_TAG_KEY = "cdk-workspaces-image:applied"
BUNDLE_PROPS: dict[str, Any] = {
    "bundle_name": "golden-standard",
    "description": "Standard bundle",
    "compute_type": ComputeType.STANDARD,
    "user_storage_gib": 50,
}
ARN = f"arn:<AWS::Partition>:workspaces:{REGION}:{ACCOUNT}:"


def bundle_stack(**overrides: Any) -> tuple[cdk.Stack, UpdatedWorkspaceImage, WorkspaceBundle]:
    stack = new_stack()
    image = UpdatedWorkspaceImage(stack, "Golden", **PROPS)
    bundle = WorkspaceBundle(stack, "Standard", **{"image_id": image.image_id, **BUNDLE_PROPS, **overrides})
    return stack, image, bundle


def bundle_actions(template: Template) -> list[str]:
    return sorted(a for s in statements(template) for a in actions(s) if "Bundle" in a and "Describe" not in a)


# --- resources -----------------------------------------------------------------------------------------------------


def test_images_and_bundles_share_one_provider() -> None:
    stack, image, _ = bundle_stack()
    WorkspaceBundle(stack, "Power", image_id=image.image_id, **{**BUNDLE_PROPS, "bundle_name": "golden-power"})
    image.apply_to_bundle("wsb-0123456789")
    template = Template.from_stack(stack)
    template.resource_count_is("Custom::WorkspaceBundle", 2)
    template.resource_count_is("Custom::WorkspaceBundleImage", 1)
    template.resource_count_is("AWS::Lambda::Function", 1)
    template.resource_count_is("AWS::IAM::Role", 1)
    template.resource_count_is("AWS::IAM::Policy", 1)


def test_bundle_properties_mirror_create_workspace_bundle() -> None:
    stack, image, bundle = bundle_stack(root_storage_gib=80, tags={"team": "euc", "cost-center": "42"})
    template = Template.from_stack(stack)
    function, _ = only(template, "AWS::Lambda::Function")
    template.has_resource_properties(
        "Custom::WorkspaceBundle",
        Match.object_equals(
            {
                "ServiceToken": {"Fn::GetAtt": [function, "Arn"]},
                "ServiceTimeout": "3600",
                "BundleName": "golden-standard",
                "BundleDescription": "Standard bundle",
                "ImageId": stack.resolve(image.image_id),
                "ComputeType": {"Name": "STANDARD"},
                "UserStorage": {"Capacity": "50"},
                "RootStorage": {"Capacity": "80"},
                "Tags": [{"Key": "cost-center", "Value": "42"}, {"Key": "team", "Value": "euc"}],
            }
        ),
    )
    resource, _ = only(template, "Custom::WorkspaceBundle")
    assert stack.resolve(bundle.bundle_id) == {"Fn::GetAtt": [resource, "BundleId"]}


def test_the_bundle_waits_for_the_available_image_and_so_is_deleted_before_it() -> None:
    stack, _, _ = bundle_stack()
    template = Template.from_stack(stack)
    condition, _ = only(template, "AWS::CloudFormation::WaitCondition")
    _, bundle = only(template, "Custom::WorkspaceBundle")
    assert {"Ref": condition} in bundle["Properties"]["ImageId"]["Fn::Select"][1]


def test_root_storage_and_tags_are_left_out_when_not_given() -> None:
    stack, _, _ = bundle_stack(user_storage_gib=100)
    _, resource = only(Template.from_stack(stack), "Custom::WorkspaceBundle")
    assert "RootStorage" not in resource["Properties"]
    assert "Tags" not in resource["Properties"]
    assert resource["Properties"]["UserStorage"] == {"Capacity": "100"}


@pytest.mark.parametrize(
    ("policy", "deletion", "replace"),
    [
        (None, "RetainExceptOnCreate", "Retain"),
        (cdk.RemovalPolicy.RETAIN, "Retain", "Retain"),
        (cdk.RemovalPolicy.DESTROY, "Delete", "Delete"),
    ],
)
def test_bundle_removal_policy(policy: cdk.RemovalPolicy | None, deletion: str, replace: str) -> None:
    stack, _, _ = bundle_stack(removal_policy=policy)
    _, resource = only(Template.from_stack(stack), "Custom::WorkspaceBundle")
    assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == (deletion, replace)


def test_compute_type_is_the_api_enum() -> None:
    import botocore.session

    compute: Any = botocore.session.get_session().get_service_model("workspaces").shape_for("Compute")
    # rules.COMPUTE_TYPES, which judges the handler's input, is held to the same model in test_rules.py.
    assert [member.value for member in ComputeType] == list(compute.enum)
    assert all(member.name == member.value for member in ComputeType)


# --- apply_to_bundle -----------------------------------------------------------------------------------------------


def test_apply_to_bundle_re_points_with_the_image_id_and_keeps_the_bundle_by_default() -> None:
    stack = new_stack()
    image = UpdatedWorkspaceImage(stack, "Golden", **PROPS)
    applied = image.apply_to_bundle("wsb-0123456789")
    template = Template.from_stack(stack)
    logical, resource = only(template, "Custom::WorkspaceBundleImage")
    assert applied.node.path == "Test/Golden/ApplyTowsb-0123456789"
    assert resource["Properties"]["BundleId"] == "wsb-0123456789"
    assert resource["Properties"]["ImageId"] == stack.resolve(image.image_id)
    assert resource["Properties"]["ServiceTimeout"] == "3600"
    assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain")
    assert stack.resolve(applied.bundle_id) == {"Fn::GetAtt": [logical, "BundleId"]}
    assert stack.resolve(applied.previous_image_id) == {"Fn::GetAtt": [logical, "PreviousImageId"]}


def test_restore_on_delete_lets_cloudformation_send_the_delete_that_restores() -> None:
    stack = new_stack()
    UpdatedWorkspaceImage(stack, "Golden", **PROPS).apply_to_bundle("wsb-0123456789", restore_on_delete=True)
    _, resource = only(Template.from_stack(stack), "Custom::WorkspaceBundleImage")
    assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == ("Delete", "Delete")


def test_apply_to_bundle_needs_an_id_for_a_token_bundle() -> None:
    stack = new_stack()
    image = UpdatedWorkspaceImage(stack, "Golden", **PROPS)
    bundle_id = cdk.CfnParameter(stack, "BundleId", type="String").value_as_string
    with pytest.raises(ValueError, match="needs construct_id when bundle_id is a token"):
        image.apply_to_bundle(bundle_id)
    applied = image.apply_to_bundle(bundle_id, construct_id="Production")
    assert isinstance(applied, WorkspaceBundleImage)
    statement = statement_sid(Template.from_stack(stack), "RepointBundles")
    named = ["arn:", {"Ref": "AWS::Partition"}, f":workspaces:{REGION}:{ACCOUNT}:workspacebundle/", {"Ref": "BundleId"}]
    assert statement["Resource"] == {"Fn::Join": ["", named]}


def test_apply_to_bundle_rejects_a_bad_bundle_id_at_synth() -> None:
    stack = new_stack()
    image = UpdatedWorkspaceImage(stack, "Golden", **PROPS)
    with pytest.raises(ValueError, match=r"bundle_id \(BundleId\) 'wsb-123' must match the pattern wsb-\[0-9a-z\]"):
        image.apply_to_bundle("wsb-123")


# --- IAM -----------------------------------------------------------------------------------------------------------


def test_a_stack_without_bundles_gets_no_bundle_permissions() -> None:
    stack = new_stack()
    UpdatedWorkspaceImage(stack, "Golden", **PROPS)
    assert bundle_actions(Template.from_stack(stack)) == []


def test_bundle_writes_are_scoped_to_bundle_and_image_arns_and_to_this_stacks_bundles() -> None:
    stack, _, _ = bundle_stack()
    template = Template.from_stack(stack)
    create = statement_sid(template, "CreateBundles")
    assert actions(create) == ["workspaces:CreateWorkspaceBundle"]
    assert render(create["Resource"]) == f"{ARN}workspacebundle/*"
    assert "Condition" not in create, "a new bundle's id does not exist before it is made"
    # Re-pointing and deleting: only a bundle carrying this stack's ownership tag, whatever the handler asks.
    for sid, action in (("UpdateOwnBundles", "UpdateWorkspaceBundle"), ("DeleteOwnBundles", "DeleteWorkspaceBundle")):
        statement = statement_sid(template, sid)
        assert actions(statement) == [f"workspaces:{action}"]
        assert render(statement["Resource"]) == f"{ARN}workspacebundle/*"
        assert owned_by_this_stack(statement), sid
    # The image a bundle is made on or moves to is authorized on its own: any image this account may use, its
    # own or one shared with it by another account (named by its owner's account), in this Region.
    images = statement_sid(template, "BundleImages")
    assert (actions(images), render(images["Resource"])) == (
        ["workspaces:CreateWorkspaceBundle", "workspaces:UpdateWorkspaceBundle"],
        f"arn:<AWS::Partition>:workspaces:{REGION}:*:workspaceimage/*",
    )


def test_a_stack_with_only_bundles_gets_no_image_rights() -> None:
    stack = new_stack()
    WorkspaceBundle(stack, "Standard", **{"image_id": "wsi-0123456789", **BUNDLE_PROPS})
    names = sids(Template.from_stack(stack))
    assert "CreateImages" not in names
    assert "DeleteOwnImages" not in names
    assert "ImagePermissions" not in names
    assert "ShareOwnImages" not in names
    assert {"CreateBundles", "UpdateOwnBundles", "DeleteOwnBundles", "TagAtCreation"} <= set(names)


def test_apply_to_bundle_alone_creates_and_deletes_nothing() -> None:
    stack = new_stack()
    WorkspaceBundleImage(stack, "Apply", bundle_id="wsb-0123456789", image_id="wsi-0123456789")
    template = Template.from_stack(stack)
    assert sids(template) == [
        "BundleImages",
        "CreateTags",
        "DeleteTags",
        "Describe",
        "Logs",
        "PutEvents",
        "ReadOwnStack",
        "RepointBundles",
        "WatchRule",
        "WatchTable",
    ]
    assert actions(statement_sid(template, "BundleImages")) == [
        "workspaces:CreateWorkspaceBundle",
        "workspaces:UpdateWorkspaceBundle",
    ], "on images only: no bundle can be created, the bundle side has no statement"
    create = statement_sid(template, "CreateTags")
    assert create["Condition"]["ForAllValues:StringEquals"]["aws:TagKeys"] == [APPLIED_TAG_KEY]


def test_apply_to_bundle_alone_may_only_update_the_named_bundles() -> None:
    stack = new_stack()
    image = UpdatedWorkspaceImage(stack, "Golden", **PROPS)
    image.apply_to_bundle("wsb-0123456789")
    image.apply_to_bundle("wsb-abcdefghij")
    template = Template.from_stack(stack)
    statement = statement_sid(template, "RepointBundles")
    assert actions(statement) == ["workspaces:UpdateWorkspaceBundle"]
    assert [render(r) for r in statement["Resource"]] == [
        f"{ARN}workspacebundle/wsb-0123456789",
        f"{ARN}workspacebundle/wsb-abcdefghij",
    ]
    bundle_arns = [
        render(r)
        for s in statements(template)
        for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])
        if "workspacebundle" in str(render(r))
    ]
    assert bundle_arns == [f"{ARN}workspacebundle/wsb-0123456789", f"{ARN}workspacebundle/wsb-abcdefghij"]


def test_create_tags_allows_the_bundle_tag_keys_too() -> None:
    stack, _, _ = bundle_stack(tags={"cost-center": "42"})
    template = Template.from_stack(stack)
    create = statement_sid(template, "CreateTags")
    assert create["Condition"] == {
        "ForAllValues:StringEquals": {"aws:TagKeys": ["cost-center"]},
        "Null": {"aws:TagKeys": "false"},
    }
    at_creation = statement_sid(template, "TagAtCreation")["Condition"]
    assert at_creation["ForAllValues:StringEquals"] == {"aws:TagKeys": [OWNER_TAG_KEY, "cost-center"]}


def test_create_tags_allows_the_marker_of_apply_to_bundle() -> None:
    stack = new_stack()
    UpdatedWorkspaceImage(stack, "Golden", **PROPS).apply_to_bundle("wsb-0123456789")
    create = statement_sid(Template.from_stack(stack), "CreateTags")
    assert create["Condition"]["ForAllValues:StringEquals"]["aws:TagKeys"] == [APPLIED_TAG_KEY]


# --- synth-time validation -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"bundle_name": "bad name"}, ["bundle_name (BundleName)", "'bad name'", "pattern"]),
        ({"bundle_name": "n" * 65}, ["bundle_name (BundleName)", "65 characters", "1 to 64"]),
        ({"description": "d" * 256}, ["description (BundleDescription)", "256 characters", "1 to 255"]),
        ({"image_id": "ami-0123456789"}, ["image_id (ImageId)", "'ami-0123456789'", "wsi-"]),
        ({"user_storage_gib": 60}, ["user_storage_gib (UserStorage.Capacity) 60 is in no documented pair"]),
        (
            {"user_storage_gib": 50, "root_storage_gib": 175},
            ["user_storage_gib (UserStorage.Capacity) 50 with root_storage_gib (RootStorage.Capacity) 175", "root 80"],
        ),
        ({"user_storage_gib": 50.5}, ["user_storage_gib (UserStorage.Capacity) 50.5 must be a whole number of GB"]),
        ({"tags": {"aws:team": "x"}}, ["tags (Tags) key", "'aws:team'", "reserves"]),
        ({"tags": {OWNER_TAG_KEY: "x"}}, ["tags (Tags) key", OWNER_TAG_KEY, "ownership"]),
        ({"tags": {APPLIED_TAG_KEY: "x"}}, ["tags (Tags) key", APPLIED_TAG_KEY, "reserved for the tag apply_to"]),
    ],
)
def test_bad_bundle_values_are_rejected_at_synth(override: dict[str, Any], expected: list[str]) -> None:
    stack = new_stack()
    with pytest.raises(ValueError, match=r"^Test/Standard: ") as raised:
        WorkspaceBundle(stack, "Standard", **{"image_id": "wsi-0123456789", **BUNDLE_PROPS, **override})
    for part in expected:
        assert part in str(raised.value)


def test_compute_type_must_be_the_enum() -> None:
    with pytest.raises(ValueError, match=r"^Test/Standard: compute_type \(ComputeType.Name\) 'STANDARD' must be a "):
        bundle_stack(compute_type="STANDARD")


@pytest.mark.parametrize(
    ("override", "words"),
    [
        # None was taken for "unknown yet": the property was left out of the template, to fail only at deploy.
        ({"image_id": None}, "image_id (ImageId) is missing (None); it is required"),
        ({"bundle_name": None}, "bundle_name (BundleName) is missing (None); it is required"),
        ({"description": None}, "description (BundleDescription) is missing (None); it is required"),
        ({"compute_type": None}, "compute_type (ComputeType.Name) is missing (None); it is required"),
        ({"user_storage_gib": None}, "user_storage_gib (UserStorage.Capacity) is missing (None); it is required"),
        # NaN and the infinities crashed the jsii kernel, and every later synth of the process with it.
        (
            {"user_storage_gib": float("nan")},
            "user_storage_gib (UserStorage.Capacity) nan must be a whole number of GB",
        ),
        (
            {"user_storage_gib": float("inf")},
            "user_storage_gib (UserStorage.Capacity) inf must be a whole number of GB",
        ),
        (
            {"root_storage_gib": float("-inf")},
            "root_storage_gib (RootStorage.Capacity) -inf must be a whole number of GB",
        ),
        ({"user_storage_gib": "50"}, "user_storage_gib (UserStorage.Capacity) '50' must be a number"),
        ({"root_storage_gib": True}, "root_storage_gib (RootStorage.Capacity) True must be a number"),
        ({"tags": ["team"]}, "tags (Tags) ['team'] must be a mapping of tag keys to values"),
        ({"tags": {"team": 1}}, "tags (Tags) value of 'team' 1 must be a string"),
        ({"removal_policy": 0}, "removal_policy (DeletionPolicy) 0 must be a RemovalPolicy"),
    ],
)
def test_none_and_wrong_types_fail_synth_naming_construct_prop_and_value(override: dict[str, Any], words: str) -> None:
    stack = new_stack()
    with refused(f"Test/Standard: {words}"):
        WorkspaceBundle(stack, "Standard", **{"image_id": "wsi-0123456789", **BUNDLE_PROPS, **override})


def test_snapshot_fails_synth_for_a_bundle_too() -> None:
    with refused("Test/Standard: removal_policy (DeletionPolicy) RemovalPolicy.SNAPSHOT must be one of ", whole=False):
        bundle_stack(removal_policy=cdk.RemovalPolicy.SNAPSHOT)


def test_a_bundle_name_used_twice_in_the_app_fails_synth() -> None:
    stack, image, _ = bundle_stack()
    message = (
        "Test/Power: bundle_name (BundleName) 'golden-standard' is also the bundle_name of Test/Standard "
        "(in this stack); choose another bundle_name: each bundle of an account and Region needs a name of its own"
    )
    with refused(message):
        WorkspaceBundle(stack, "Power", image_id=image.image_id, **BUNDLE_PROPS)
    # An image may share its name with a bundle: they are named apart.
    WorkspaceBundle(stack, "Named", image_id=image.image_id, **{**BUNDLE_PROPS, "bundle_name": PROPS["image_name"]})


def regional_app() -> tuple[cdk.App, UpdatedWorkspaceImage]:
    app = cdk.App(context=NO_BUNDLING)
    images = cdk.Stack(app, "Images", env=cdk.Environment(account=ACCOUNT, region="us-east-1"))
    return app, UpdatedWorkspaceImage(images, "Golden", **PROPS)


def test_a_bundle_on_an_image_of_another_region_fails_synth() -> None:
    """Even where CDK could pass the id across Regions (cross_region_references), WorkSpaces could not use it."""
    app, image = regional_app()
    bundles = cdk.Stack(
        app, "Bundles", env=cdk.Environment(account=ACCOUNT, region=REGION), cross_region_references=True
    )
    message = (
        "Bundles/Standard: image_id (ImageId) is the image_id of Images/Golden, made in Region us-east-1, but this "
        f"stack deploys to {REGION}; make the image in {REGION} (or this stack in us-east-1): a bundle can use only "
        "an image of its own Region"
    )
    with refused(message):
        WorkspaceBundle(bundles, "Standard", image_id=image.image_id, **BUNDLE_PROPS)
    with refused(message.replace("Bundles/Standard", "Bundles/Apply"), whole=False):
        WorkspaceBundleImage(bundles, "Apply", bundle_id="wsb-0123456789", image_id=image.image_id)


def test_a_bundle_on_an_image_of_another_stack_of_its_region_is_fine() -> None:
    app, image = regional_app()
    bundles = cdk.Stack(app, "Bundles", env=cdk.Environment(account=ACCOUNT, region="us-east-1"))
    WorkspaceBundle(bundles, "Standard", image_id=image.image_id, **BUNDLE_PROPS)


def test_applying_an_image_to_a_bundle_of_a_workspace_bundle_in_the_stack_fails_synth() -> None:
    stack, image, bundle = bundle_stack()
    problem = (
        "bundle_id (BundleId) is the bundle_id of the WorkspaceBundle Test/Standard, in this stack, where re-pointing "
        "it would make a circular dependency (cfn-lint E3004); change that WorkspaceBundle's image_id instead of "
        "applying an image to it"
    )
    with refused(f"Test/Golden: apply_to_bundle: {problem}"):
        image.apply_to_bundle(bundle.bundle_id, construct_id="Own")
    with refused(f"Test/Ref: {problem}", whole=False):
        WorkspaceBundleImage(stack, "Ref", bundle_id=bundle.resource.ref, image_id=image.image_id)


@pytest.mark.parametrize("construct_id", [None, 5])
def test_applying_an_image_to_a_workspace_bundles_id_names_the_cycle_first(construct_id: object) -> None:
    """The bundle_id of a WorkspaceBundle is a token: the cycle is named before any question about construct_id, which
    would not help (issue 23: it asked for construct_id, and said the real problem only once that was given)."""
    _, image, bundle = bundle_stack()
    with refused(
        "Test/Golden: apply_to_bundle: bundle_id (BundleId) is the bundle_id of the WorkspaceBundle Test/Standard, in "
        "this stack, where re-pointing it would make a circular dependency (cfn-lint E3004); change that "
        "WorkspaceBundle's image_id instead of applying an image to it"
    ):
        image.apply_to_bundle(bundle.bundle_id, construct_id=construct_id)  # type: ignore[arg-type]


def test_applying_an_image_to_a_bundle_of_a_workspace_bundle_in_the_stack_is_a_cycle(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The fact behind the rule: without it, the template has a circular dependency (through the provider's
    policy, which names the bundle it may update)."""
    from cfnlint.api import ManualArgs, lint

    from cdk_workspaces_image import _image_base
    from cdk_workspaces_image import bundle as bundle_module

    monkeypatch.setattr(bundle_module, "managed_bundle_problem", lambda *_: None)
    monkeypatch.setattr(_image_base, "managed_bundle_problem", lambda *_: None)
    app = cdk.App(context=NO_BUNDLING, outdir=str(tmp_path))
    stack = cdk.Stack(app, "Test", env=cdk.Environment(account=ACCOUNT, region=REGION))
    image = UpdatedWorkspaceImage(stack, "Golden", **PROPS)
    bundle = WorkspaceBundle(stack, "Standard", image_id=image.image_id, **BUNDLE_PROPS)
    image.apply_to_bundle(bundle.bundle_id, construct_id="Own")
    template = app.synth().get_stack_by_name("Test").template
    assert "E3004" in {m.rule.id for m in lint(json.dumps(template), config=ManualArgs(regions=[REGION]))}


def test_applying_an_image_to_a_bundle_of_a_workspace_bundle_elsewhere_fails_synth() -> None:
    app = cdk.App(context=NO_BUNDLING)
    first = cdk.Stack(app, "First", env=cdk.Environment(account=ACCOUNT, region=REGION))
    image = UpdatedWorkspaceImage(first, "Golden", **PROPS)
    bundle = WorkspaceBundle(first, "Standard", image_id=image.image_id, **BUNDLE_PROPS)
    second = cdk.Stack(app, "Second", env=cdk.Environment(account=ACCOUNT, region=REGION))
    other = UpdatedWorkspaceImage(second, "Other", **{**PROPS, "image_name": "other"})
    message = (
        "Second/Other: apply_to_bundle: bundle_id (BundleId) is the bundle_id of the WorkspaceBundle First/Standard, "
        "whose bundle "
        "the handler would refuse to re-point at deploy time; change that WorkspaceBundle's image_id instead of "
        "applying an image to it"
    )
    with refused(message):
        other.apply_to_bundle(bundle.bundle_id, construct_id="Own")


def test_bundle_image_refuses_none_and_non_bool_restore() -> None:
    stack = new_stack()
    with refused(
        "Test/Apply: bundle_id (BundleId) is missing (None); it is required; image_id (ImageId) 5 must be a string"
    ):
        WorkspaceBundleImage(stack, "Apply", bundle_id=None, image_id=5)  # type: ignore[arg-type]
    # A string is truthy: "false" made the DeletionPolicy Delete, so deleting the stack restored the bundle.
    with refused("Test/Again: restore_on_delete (DeletionPolicy) 'false' must be a bool"):
        WorkspaceBundleImage(
            stack,
            "Again",
            bundle_id="wsb-0123456789",
            image_id="wsi-0123456789",
            restore_on_delete="false",  # type: ignore[arg-type]
        )


def test_tokens_skip_synth_validation_and_reach_the_handler() -> None:
    stack = new_stack()
    name = cdk.CfnParameter(stack, "Name", type="String").value_as_string
    user = cdk.CfnParameter(stack, "User", type="Number").value_as_number
    WorkspaceBundle(
        stack,
        "Standard",
        **{**BUNDLE_PROPS, "image_id": "wsi-0123456789", "bundle_name": name, "user_storage_gib": user},
    )
    _, resource = only(Template.from_stack(stack), "Custom::WorkspaceBundle")
    assert resource["Properties"]["BundleName"] == {"Ref": "Name"}
    assert resource["Properties"]["UserStorage"] == {"Capacity": {"Ref": "User"}}


# --- cdk-nag and cfn-lint on a stack with every bundle feature -----------------------------------------------------


@pytest.fixture(scope="module")
def bundles_assembly(tmp_path_factory: pytest.TempPathFactory) -> cdk.cx_api.CloudAssembly:
    app = cdk.App(context=NO_BUNDLING, outdir=str(tmp_path_factory.mktemp("bundles")))
    stack = cdk.Stack(app, "Bundles")
    image = UpdatedWorkspaceImage(stack, "Golden", **PROPS, tags={"team": "euc"})
    WorkspaceBundle(stack, "Standard", image_id=image.image_id, **BUNDLE_PROPS, root_storage_gib=80, tags={"a": "b"})
    image.apply_to_bundle("wsb-0123456789", restore_on_delete=True)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app.synth()


def test_cdk_nag_reports_nothing_on_a_stack_with_bundles(bundles_assembly: cdk.cx_api.CloudAssembly) -> None:
    report = json.loads((Path(bundles_assembly.directory) / "validation-report.json").read_text())
    assert report["pluginReports"] == []


def test_cfn_lint_reports_nothing_on_a_stack_with_bundles(bundles_assembly: cdk.cx_api.CloudAssembly) -> None:
    from cfnlint.api import ManualArgs, lint

    template = bundles_assembly.get_stack_by_name("Bundles").template
    matches = lint(json.dumps(template), config=ManualArgs(regions=["us-east-1", REGION]))
    assert [f"{m.rule.id} {m.message}" for m in matches] == []


def test_example_app_outputs_the_bundle_id(tmp_path: Path) -> None:
    context = cdk_context()
    app = cdk.App(context={**context, **NO_BUNDLING}, outdir=str(tmp_path))
    stack = load_example_app().build_app(app)
    template = Template.from_stack(stack)
    resource, bundle = only(template, "Custom::WorkspaceBundle")
    output = template.to_json()["Outputs"]["BundleId"]
    assert output == {"Value": {"Fn::GetAtt": [resource, "BundleId"]}}, "no export: it would block replacements"
    assert bundle["Properties"]["ImageId"] == template.to_json()["Outputs"]["ImageId"]["Value"]


def test_a_bundle_id_exported_to_another_stack_warns_at_synth() -> None:
    app = cdk.App(context=NO_BUNDLING)
    env = cdk.Environment(account=ACCOUNT, region=REGION)
    producer = cdk.Stack(app, "Bundles", env=env)
    bundle = WorkspaceBundle(producer, "Standard", **{"image_id": "wsi-0123456789", **BUNDLE_PROPS})
    cdk.CfnOutput(cdk.Stack(app, "Desktops", env=env), "Used", value=bundle.bundle_id)
    messages = app.synth().get_stack_by_name("Bundles").messages
    warnings = [str(m.entry.data) for m in messages if m.level == cdk.cx_api.SynthesisMessageLevel.WARNING]
    assert any(w.startswith("bundle_id is used by another stack through a CloudFormation export") for w in warnings)
