"""Copies of an image in other Regions and of images other accounts share: the synth side.

``UpdatedWorkspaceImage(copy_to_regions=...)`` makes one Custom::WorkspaceImageCopy per Region in the image's own
stack (its provider calls CopyWorkspaceImage in the destination Region), and ``WorkspaceImageCopy`` makes one in its
stack's own Region, from another Region or from an image another account shares. Each waits for AVAILABLE as the
image does; synth judges the props by the contract's rules, in the handler's words; the provider's policy grows
copy statements only in stacks that copy, so that every other template stays byte-identical.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks
from support.construct import (
    ACCOUNT,
    COPY_REGION,
    NO_BUNDLING,
    PROPS,
    REGION,
    image_stack,
    new_stack,
    only,
    owned_by_this_stack,
    refused,
    render,
    resources,
    sids,
    statement_sid,
)

from cdk_workspaces_image import ComputeType, UpdatedWorkspaceImage, WorkspaceBundle, WorkspaceImageCopy
from cdk_workspaces_image._copy import ImageCopyBase
from cdk_workspaces_image_handler.regions import BOTOCORE_VERSION

COPY_TYPE = "Custom::WorkspaceImageCopy"
SHARED = "wsi-9876543210"
COPY: dict[str, Any] = {"source_image_id": SHARED, "image_name": "shared", "description": "Shared image"}
COPY_SIDS = {"CopyImages", "DeleteOwnCopies", "CopyImagePermissions"}
OWNER_REQUEST_TAG = "aws:RequestTag/cdk-workspaces-image:owner"
BUNDLE: dict[str, Any] = {
    "bundle_name": "golden-standard",
    "description": "Standard bundle",
    "compute_type": ComputeType.STANDARD,
    "user_storage_gib": 50,
    "root_storage_gib": 80,
}


def stack_in(region: str, account: str = ACCOUNT) -> cdk.Stack:
    return cdk.Stack(cdk.App(context=NO_BUNDLING), "Test", env=cdk.Environment(account=account, region=region))


def agnostic_stack() -> cdk.Stack:
    return cdk.Stack(cdk.App(context=NO_BUNDLING), "Test")


def template_json(stack: cdk.Stack) -> str:
    return json.dumps(Template.from_stack(stack).to_json(), sort_keys=True)


def copies_of(template: Template) -> dict[str, dict[str, Any]]:
    return resources(template, COPY_TYPE)


def image_id_of(copy_id: str, template: Template) -> dict[str, Any]:
    """What a copy's image_id renders as: its attribute, and a reference to its own wait condition."""
    (condition,) = (
        lid
        for lid, r in resources(template, "AWS::CloudFormation::WaitCondition").items()
        if copy_id in r.get("DependsOn", [])
    )
    return {"Fn::Select": [0, [{"Fn::GetAtt": [copy_id, "ImageId"]}, {"Ref": condition}]]}


def logical_id(copy: ImageCopyBase) -> str:
    element = copy.resource.node.default_child
    assert isinstance(element, cdk.CfnElement)
    return str(cdk.Stack.of(copy).resolve(element.logical_id))


def arn(region: str, account: str = ACCOUNT, name: str = "*") -> str:
    """A workspaceimage ARN as render() spells it."""
    return f"arn:<AWS::Partition>:workspaces:{region}:{account}:workspaceimage/{name}"


def rendered_resources(statement: dict[str, Any]) -> list[str]:
    value = statement["Resource"]
    return sorted(render(r) for r in (value if isinstance(value, list) else [value]))


# --- copy_to_regions: one copy per Region ----------------------------------------------------------------------------


def test_copy_to_regions_makes_one_copy_per_region_with_the_images_values() -> None:
    stack, image = image_stack(
        copy_to_regions=[COPY_REGION, "us-east-1"],
        tags={"team": "euc"},
        timeout=cdk.Duration.hours(4),
        keep_previous=2,
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    template = Template.from_stack(stack)
    copies = copies_of(template)
    assert sorted(copies) == sorted(logical_id(c) for c in image.copies.values())
    image_lid, image_resource = only(template, "Custom::UpdatedWorkspaceImage")
    handles = resources(template, "AWS::CloudFormation::WaitConditionHandle")
    by_region = {c["Properties"]["Region"]: (lid, c) for lid, c in copies.items()}
    assert sorted(by_region) == [COPY_REGION, "us-east-1"]
    for region, (lid, copy) in by_region.items():
        properties = copy["Properties"]
        handle = properties.pop("WaitHandle")["Ref"]
        assert handle in handles
        assert properties == {
            "ServiceToken": image_resource["Properties"]["ServiceToken"],
            "ServiceTimeout": "3600",
            # The image's id, which waits for the image's wait condition: the copy is made once it is AVAILABLE.
            "SourceImageId": stack.resolve(image.image_id),
            "SourceRegion": REGION,
            "Region": region,
            "Name": "golden",
            "Description": "Golden image",
            "TimeoutSeconds": 4 * 3600,
            "KeepPrevious": 2,
            "Tags": [{"Key": "team", "Value": "euc"}],
        }
        assert (copy["DeletionPolicy"], copy["UpdateReplacePolicy"]) == (
            image_resource["DeletionPolicy"],
            image_resource["UpdateReplacePolicy"],
        )
        # Its own wait condition, on its own handle, waiting as long as the image's.
        condition = image_id_of(lid, template)["Fn::Select"][1][1]["Ref"]
        waited = resources(template, "AWS::CloudFormation::WaitCondition")[condition]
        assert waited["Properties"] == {"Count": 1, "Handle": {"Ref": handle}, "Timeout": str(4 * 3600 + 600)}
    assert image_lid not in by_region


def test_the_copies_have_stable_construct_ids_named_after_their_regions() -> None:
    _, image = image_stack(copy_to_regions=[COPY_REGION, "ap-southeast-2"])
    assert [c.node.id for c in image.copies.values()] == ["CopyToEuCentral1", "CopyToApSoutheast2"]
    assert list(image.copies) == [COPY_REGION, "ap-southeast-2"]


def test_copies_default_to_the_images_removal_policy() -> None:
    stack, _ = image_stack(copy_to_regions=[COPY_REGION])
    template = Template.from_stack(stack)
    _, image = only(template, "Custom::UpdatedWorkspaceImage")
    _, copy = only(template, COPY_TYPE)
    assert copy["DeletionPolicy"] == image["DeletionPolicy"]
    assert copy["UpdateReplacePolicy"] == image["UpdateReplacePolicy"]
    assert "KeepPrevious" not in copy["Properties"]
    assert "Tags" not in copy["Properties"]


def test_a_new_image_makes_the_copies_wait_again() -> None:
    """The copy's SourceImageId references the image's wait condition, whose id changes with the image: the copy
    is replaced and its own wait ids change with it. A change to tags only changes neither."""

    def wait_ids(**overrides: Any) -> set[str]:
        stack, _ = image_stack(copy_to_regions=[COPY_REGION], **overrides)
        template = Template.from_stack(stack)
        copy_lid, _ = only(template, COPY_TYPE)
        return {
            lid
            for lid, r in resources(template, "AWS::CloudFormation::WaitCondition").items()
            if copy_lid in r.get("DependsOn", [])
        }

    before = wait_ids()
    assert wait_ids(source_image_id="wsi-abcdefghij") != before
    assert wait_ids(description="Another") != before
    assert wait_ids(tags={"team": "euc"}) == before


# --- image_id_in --------------------------------------------------------------------------------------------------


def test_image_id_in_a_copied_region_waits_for_that_copy() -> None:
    stack, image = image_stack(copy_to_regions=[COPY_REGION, "us-east-1"])
    template = Template.from_stack(stack)
    copy_lid = logical_id(image.copies[COPY_REGION])
    assert stack.resolve(image.image_id_in(COPY_REGION)) == image_id_of(copy_lid, template)
    assert stack.resolve(image.image_id_in("us-east-1")) != stack.resolve(image.image_id_in(COPY_REGION))


def test_image_id_in_the_stacks_own_region_is_the_image_id() -> None:
    _, image = image_stack(copy_to_regions=[COPY_REGION])
    assert image.image_id_in(REGION) == image.image_id
    _, plain = image_stack()
    assert plain.image_id_in(REGION) == plain.image_id
    agnostic = UpdatedWorkspaceImage(agnostic_stack(), "Golden", **PROPS)
    assert agnostic.image_id_in(cdk.Stack.of(agnostic).region) == agnostic.image_id


def test_image_id_in_another_region_names_the_regions_the_image_is_in() -> None:
    _, image = image_stack(copy_to_regions=[COPY_REGION, "us-east-1"])
    with refused(
        "Test/Golden: image_id_in('ap-southeast-2'): the image is in the stack's own Region eu-west-1 and copied to "
        "eu-central-1, us-east-1; add the Region to copy_to_regions"
    ):
        image.image_id_in("ap-southeast-2")
    agnostic = UpdatedWorkspaceImage(agnostic_stack(), "Golden", **PROPS)
    with refused(
        "Test/Golden: image_id_in('us-east-1'): the image is in the stack's own Region (known only at deploy time) "
        "and copied to no other Region; add the Region to copy_to_regions"
    ):
        agnostic.image_id_in("us-east-1")


def test_a_bundle_in_the_images_stack_takes_the_copy_of_the_stacks_region_only() -> None:
    """A bundle uses an image of its own Region: in the image's stack, that is image_id (or image_id_in of the
    stack's Region); a copy's id is for a stack in the copy's Region (cross_region_references, or a parameter)."""
    stack, image = image_stack(copy_to_regions=[COPY_REGION])
    WorkspaceBundle(
        stack,
        "Standard",
        image_id=image.image_id_in(REGION),
        bundle_name="golden-standard",
        description="Standard bundle",
        compute_type=ComputeType.STANDARD,
        user_storage_gib=50,
        root_storage_gib=80,
    )
    _, bundle = only(Template.from_stack(stack), "Custom::WorkspaceBundle")
    assert bundle["Properties"]["ImageId"] == stack.resolve(image.image_id)


# --- copy_to_regions: the rules -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("regions", "words"),
    [
        ([REGION], "copy_to_regions names eu-west-1, the stack's own Region, where the image is already"),
        ([COPY_REGION, COPY_REGION], "copy_to_regions names Region eu-central-1 more than once"),
        (["Frankfurt"], "copy_to_regions Region 'Frankfurt' must be a Region name such as eu-west-1"),
        ([5], "copy_to_regions Region 5 must be a Region name such as eu-west-1, as a string"),
        (COPY_REGION, "copy_to_regions 'eu-central-1' must be a list of Region names such as eu-central-1"),
        (
            ["cn-northwest-1"],
            "copy_to_regions Region 'cn-northwest-1': it is in partition aws-cn and the image in eu-west-1 (aws), and "
            "an image is never copied from one partition to another",
        ),
    ],
)
def test_copy_to_regions_rules_fail_synth_naming_the_construct(regions: object, words: str) -> None:
    with refused(f"Test/Golden: {words}"):
        image_stack(copy_to_regions=regions)


@pytest.mark.parametrize(
    ("own", "regions", "words"),
    [
        (
            "cn-northwest-1",
            ["cn-north-1"],
            "copy_to_regions Region 'cn-north-1': Amazon WorkSpaces is not offered in Region cn-north-1 (botocore "
            f"{BOTOCORE_VERSION}'s endpoint data lists no WorkSpaces endpoint there); choose one of the Regions of "
            "partition aws-cn it is in: cn-northwest-1",
        ),
        (
            "us-gov-east-1",
            ["us-gov-west-1"],
            "copy_to_regions Region 'us-gov-west-1': in AWS GovCloud (US) images are copied to and from other Regions "
            "only through AWS Support; ask them, and leave it out",
        ),
    ],
)
def test_copy_routes_workspaces_refuses_fail_synth(own: str, regions: list[str], words: str) -> None:
    with refused(f"Test/Golden: {words}"):
        UpdatedWorkspaceImage(stack_in(own), "Golden", **PROPS, copy_to_regions=regions)


WORKSPACES_IN_AWS = (
    "af-south-1, ap-northeast-1, ap-northeast-2, ap-south-1, ap-southeast-1, ap-southeast-2, ap-southeast-5, "
    "ca-central-1, eu-central-1, eu-west-1, eu-west-2, eu-west-3, il-central-1, sa-east-1, us-east-1, us-east-2, "
    "us-west-2"
)


@pytest.mark.parametrize(
    ("regions", "words"),
    [
        (
            ["eu-central-3"],
            f"copy_to_regions Region 'eu-central-3' is no AWS Region (botocore {BOTOCORE_VERSION}'s endpoint data "
            "knows none of that name); did you mean eu-central-1?",
        ),
        (
            ["ap-southeast-7"],
            "copy_to_regions Region 'ap-southeast-7': Amazon WorkSpaces is not offered in Region ap-southeast-7 "
            f"(botocore {BOTOCORE_VERSION}'s endpoint data lists no WorkSpaces endpoint there); choose one of the "
            f"Regions of partition aws it is in: {WORKSPACES_IN_AWS}",
        ),
        (
            ["us-iso-east-1"],
            "copy_to_regions Region 'us-iso-east-1': it is in partition aws-iso and the image in eu-west-1 (aws), and "
            "an image is never copied from one partition to another",
        ),
    ],
)
def test_regions_that_do_not_exist_or_have_no_workspaces_fail_synth(regions: list[str], words: str) -> None:
    """Each would synthesize and fail at deploy: CopyWorkspaceImage called where there is no WorkSpaces endpoint."""
    with refused(f"Test/Golden: {words}"):
        image_stack(copy_to_regions=regions)


@pytest.mark.parametrize(
    ("regions", "words"),
    [
        (
            ["cn-north-1"],
            "copy_to_regions Region 'cn-north-1': Amazon WorkSpaces is not offered in Region cn-north-1 (botocore "
            f"{BOTOCORE_VERSION}'s endpoint data lists no WorkSpaces endpoint there); choose one of the Regions of "
            "partition aws-cn it is in: cn-northwest-1",
        ),
        (
            ["cn-northwest-1"],
            "copy_to_regions ['cn-northwest-1']: no Region WorkSpaces is in can make the image and copy it there, so "
            "this environment-agnostic stack would fail wherever it is deployed (in partition aws-cn WorkSpaces is in "
            "cn-northwest-1 only, leaving no other Region); copy to Regions that one Region can reach, or give the "
            "stack its Region (env)",
        ),
        (
            [COPY_REGION, "cn-northwest-1"],
            "copy_to_regions ['eu-central-1', 'cn-northwest-1']: no Region WorkSpaces is in can make the image and "
            "copy it to all of them, so this environment-agnostic stack would fail wherever it is deployed (they are "
            "in partitions aws, aws-cn, and an image is never copied from one to another); copy to Regions that one "
            "Region can reach, or give the stack its Region (env)",
        ),
        (
            ["us-gov-west-1"],
            "copy_to_regions ['us-gov-west-1']: no Region WorkSpaces is in can make the image and copy it there, so "
            "this environment-agnostic stack would fail wherever it is deployed (from us-gov-east-1, Region "
            "'us-gov-west-1': in AWS GovCloud (US) images are copied to and from other Regions only through AWS "
            "Support; ask them, and leave it out); copy to Regions that one Region can reach, or give the stack its "
            "Region (env)",
        ),
    ],
)
def test_copies_no_region_could_make_fail_synth_in_an_agnostic_stack(regions: list[str], words: str) -> None:
    """Synth does not know the stack's Region, but the Regions named rule out every Region it could deploy to."""
    with refused(f"Test/Golden: {words}"):
        UpdatedWorkspaceImage(agnostic_stack(), "Golden", **PROPS, copy_to_regions=regions)


def test_copies_some_region_could_make_are_left_to_the_handler_in_an_agnostic_stack() -> None:
    """Within one partition, from another of its Regions: fine from most Regions, refused by the handler from the
    ones that are the target or cannot reach it; synth cannot tell which Region the stack goes to."""
    stack = agnostic_stack()
    UpdatedWorkspaceImage(stack, "Golden", **PROPS, copy_to_regions=[COPY_REGION, "us-east-1"])
    assert len(copies_of(Template.from_stack(stack))) == 2
    isolated = agnostic_stack()
    UpdatedWorkspaceImage(isolated, "Iso", **PROPS, copy_to_regions=["us-iso-east-1"])
    assert len(copies_of(Template.from_stack(isolated))) == 1


def test_constructs_of_an_agnostic_stack_that_need_regions_of_two_partitions_fail_synth() -> None:
    """Each alone could be deployed somewhere; together they rule out every Region the stack could go to: the stack's
    partition is known without its Region."""
    stack = agnostic_stack()
    UpdatedWorkspaceImage(stack, "Golden", **PROPS, copy_to_regions=[COPY_REGION])
    with refused(
        "Test/Iso: copy_to_regions ['us-iso-east-1'] and copy_to_regions ['eu-central-1'] of Test/Golden leave no "
        "Region this environment-agnostic stack could be deployed to: the first needs one of us-iso-west-1, the "
        "second one of 16 Regions of partition aws (af-south-1, ap-northeast-1, ap-northeast-2, ...), and WorkSpaces "
        "copies within one partition only; give the stack its Region (env), or put them in stacks of their own"
    ):
        UpdatedWorkspaceImage(stack, "Iso", **{**PROPS, "image_name": "iso"}, copy_to_regions=["us-iso-east-1"])
    with refused(
        "Test/Copy: source_region (SourceRegion) 'cn-northwest-1' and copy_to_regions ['eu-central-1'] of Test/Golden "
        "leave no Region",
        whole=False,
    ):
        WorkspaceImageCopy(stack, "Copy", **COPY, source_region="cn-northwest-1")
    # Within the partition the image already fixes: fine (from us-east-1, say).
    WorkspaceImageCopy(stack, "Virginia", **{**COPY, "image_name": "virginia"}, source_region="us-east-1")
    # Stacks are judged alone.
    other = cdk.Stack(cdk.App.of(stack), "Other")
    UpdatedWorkspaceImage(other, "Iso", **{**PROPS, "image_name": "iso"}, copy_to_regions=["us-iso-east-1"])


def test_regions_must_be_known_at_synth() -> None:
    """Each Region names a construct and a resource: CloudFormation makes no resources from a list."""
    stack = new_stack()
    region = cdk.CfnParameter(stack, "Region").value_as_string
    with refused(
        f"Test/Golden: copy_to_regions names the token {region!r}; each Region must be known at synth, since it "
        "names the copy's resource"
    ):
        UpdatedWorkspaceImage(stack, "Golden", **PROPS, copy_to_regions=[COPY_REGION, region])
    regions = cdk.CfnParameter(stack, "Regions", type="CommaDelimitedList").value_as_list
    with refused(
        "Test/Other: copy_to_regions is a list token; it must be a list of Region names known at synth, one copy each"
    ):
        UpdatedWorkspaceImage(stack, "Other", **{**PROPS, "image_name": "other"}, copy_to_regions=regions)


def test_an_agnostic_stacks_own_region_is_the_handlers_to_judge() -> None:
    """Synth does not know which Region an environment-agnostic stack deploys to; the handler judges the route."""
    stack = agnostic_stack()
    UpdatedWorkspaceImage(stack, "Golden", **PROPS, copy_to_regions=[REGION])
    _, copy = only(Template.from_stack(stack), COPY_TYPE)
    assert (copy["Properties"]["SourceRegion"], copy["Properties"]["Region"]) == ({"Ref": "AWS::Region"}, REGION)


# --- without copies, nothing changes --------------------------------------------------------------------------------


def test_without_copies_the_template_is_as_it_was() -> None:
    plain = template_json(image_stack()[0])
    assert template_json(image_stack(copy_to_regions=None)[0]) == plain
    assert template_json(image_stack(copy_to_regions=[])[0]) == plain
    assert not COPY_SIDS & set(sids(Template.from_json(json.loads(plain))))
    assert COPY_TYPE not in plain


# --- WorkspaceImageCopy -------------------------------------------------------------------------------------------


def test_a_copy_of_a_shared_image_is_made_in_the_stacks_region() -> None:
    stack = new_stack()
    copy = WorkspaceImageCopy(stack, "Copy", **COPY, tags={"team": "euc"}, keep_previous=0)
    template = Template.from_stack(stack)
    lid, resource = only(template, COPY_TYPE)
    handle, _ = only(template, "AWS::CloudFormation::WaitConditionHandle")
    properties = resource["Properties"]
    assert {k: v for k, v in properties.items() if k not in ("ServiceToken", "ServiceTimeout")} == {
        "SourceImageId": SHARED,
        # Left out, the source is in the stack's own Region: a shared image is shared within its Region.
        "SourceRegion": REGION,
        "Region": REGION,
        "Name": "shared",
        "Description": "Shared image",
        "TimeoutSeconds": 3 * 3600,
        "WaitHandle": {"Ref": handle},
        "KeepPrevious": 0,
        "Tags": [{"Key": "team", "Value": "euc"}],
    }
    assert list(properties)[2:] == [
        "SourceImageId",
        "SourceRegion",
        "Region",
        "Name",
        "Description",
        "TimeoutSeconds",
        "WaitHandle",
        "KeepPrevious",
        "Tags",
    ]
    assert stack.resolve(copy.image_id) == image_id_of(lid, template)
    _, image = image_stack()
    image_resource = only(Template.from_stack(cdk.Stack.of(image)), "Custom::UpdatedWorkspaceImage")[1]
    assert resource["DeletionPolicy"] == image_resource["DeletionPolicy"]


def test_a_copy_from_another_region_of_the_account() -> None:
    stack = new_stack()
    WorkspaceImageCopy(stack, "Copy", **COPY, source_region="us-east-1", removal_policy=cdk.RemovalPolicy.DESTROY)
    _, resource = only(Template.from_stack(stack), COPY_TYPE)
    assert (resource["Properties"]["SourceRegion"], resource["Properties"]["Region"]) == ("us-east-1", REGION)
    assert resource["DeletionPolicy"] == "Delete"


def test_the_copys_region_is_always_the_stacks() -> None:
    stack = agnostic_stack()
    WorkspaceImageCopy(stack, "Copy", **COPY)
    _, resource = only(Template.from_stack(stack), COPY_TYPE)
    region = {"Ref": "AWS::Region"}
    assert (resource["Properties"]["SourceRegion"], resource["Properties"]["Region"]) == (region, region)


def test_a_copy_of_an_image_of_the_app_waits_for_it() -> None:
    stack, image = image_stack()
    WorkspaceImageCopy(stack, "Copy", **{**COPY, "source_image_id": image})
    _, resource = only(Template.from_stack(stack), COPY_TYPE)
    assert resource["Properties"]["SourceImageId"] == stack.resolve(image.image_id)


def test_the_consumer_copies_the_shared_image_and_builds_a_bundle_on_its_copy(tmp_path: Path) -> None:
    """The other account's stack: a copy of the image shared with it, and a bundle on the copy (a bundle cannot use
    a shared image itself); cdk-nag's AwsSolutions pack finds nothing."""
    app = cdk.App(context=NO_BUNDLING, outdir=str(tmp_path))
    stack = cdk.Stack(app, "Consumer", env=cdk.Environment(account="444455556666", region=REGION))
    copy = WorkspaceImageCopy(stack, "Golden", **COPY)
    WorkspaceBundle(
        stack,
        "Standard",
        image_id=copy,
        bundle_name="golden-standard",
        description="Standard bundle",
        compute_type=ComputeType.STANDARD,
        user_storage_gib=50,
        root_storage_gib=80,
    )
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    assembly = app.synth()
    assert json.loads((Path(assembly.directory) / "validation-report.json").read_text())["pluginReports"] == []
    template = Template.from_json(assembly.get_stack_by_name("Consumer").template)
    copy_lid, _ = only(template, COPY_TYPE)
    _, bundle = only(template, "Custom::WorkspaceBundle")
    assert bundle["Properties"]["ImageId"] == image_id_of(copy_lid, template)
    assert resources(template, "Custom::UpdatedWorkspaceImage") == {}
    # No image of its own: only the copy statements, not CreateImages nor ShareOwnImages.
    assert {"CreateImages", "ShareOwnImages"}.isdisjoint(sids(template))


def test_tokens_are_written_as_is_and_judged_by_the_handler() -> None:
    stack = new_stack()
    source, name, description, region, tag = (
        cdk.CfnParameter(stack, n).value_as_string for n in ("Source", "Name", "Description", "SourceRegion", "Tag")
    )
    seconds = cdk.CfnParameter(stack, "Seconds", type="Number").value_as_number
    keep = cdk.CfnParameter(stack, "Keep", type="Number").value_as_number
    WorkspaceImageCopy(
        stack,
        "Copy",
        source_image_id=source,
        image_name=name,
        description=description,
        source_region=region,
        tags={"team": tag},
        timeout=cdk.Duration.seconds(seconds),
        keep_previous=keep,  # type: ignore[arg-type]
    )
    template = Template.from_stack(stack)
    _, resource = only(template, COPY_TYPE)
    properties = resource["Properties"]
    assert [properties[k] for k in ("SourceImageId", "Name", "Description", "SourceRegion", "TimeoutSeconds")] == [
        {"Ref": n} for n in ("Source", "Name", "Description", "SourceRegion", "Seconds")
    ]
    assert properties["KeepPrevious"] == {"Ref": "Keep"}
    assert properties["Tags"] == [{"Key": "team", "Value": {"Ref": "Tag"}}]
    # A deploy-time timeout cannot be added to: the wait condition waits the maximum, the handler the real one.
    _, condition = only(template, "AWS::CloudFormation::WaitCondition")
    assert condition["Properties"]["Timeout"] == "43200"
    # A token source is named by no ARN: its Region's images, whoever owns them.
    copy = statement_sid(template, "CopyImages")
    assert "arn:<AWS::Partition>:workspaces:<SourceRegion>:*:workspaceimage/*" in rendered_resources(copy)


@pytest.mark.parametrize(
    ("override", "words"),
    [
        (
            {"source_image_id": "ami-1"},
            "source_image_id (SourceImageId) 'ami-1' must match the pattern wsi-[0-9a-z]{9,63}",
        ),
        ({"source_image_id": None}, "source_image_id (SourceImageId) is missing (None); it is required"),
        ({"image_name": None}, "image_name (Name) is missing (None); it is required"),
        ({"image_name": "bad name!"}, "image_name (Name) 'bad name!' must match the pattern [a-zA-Z0-9_./()\\-]+"),
        ({"description": ""}, "description (Description) '' is 0 characters long; it must be 1 to 256"),
        (
            {"source_region": "Ireland"},
            "source_region (SourceRegion) 'Ireland' must be a Region name such as eu-west-1",
        ),
        (
            {"source_region": 5},
            "source_region (SourceRegion) 5 must be a Region name such as eu-west-1, as a string",
        ),
        (
            {"source_region": "cn-northwest-1"},
            "region (Region) 'eu-west-1': it is in partition aws and the image in cn-northwest-1 (aws-cn), and an "
            "image is never copied from one partition to another",
        ),
        ({"timeout": 60}, "timeout (TimeoutSeconds) 60 must be a Duration"),
        (
            {"timeout": cdk.Duration.minutes(5)},
            "timeout (TimeoutSeconds) 300 s is out of range; it must be 900 s (15 minutes) to 43200 s (12 hours), the "
            "longest a CloudFormation wait condition can wait",
        ),
        ({"keep_previous": -1}, "keep_previous (KeepPrevious) -1 must be a whole number of images, 0 or more"),
        ({"keep_previous": "2"}, "keep_previous (KeepPrevious) '2' must be a number"),
        ({"tags": {"aws:x": "1"}}, "tags (Tags) key 'aws:x' starts with 'aws:', which AWS reserves for its own tags"),
    ],
)
def test_copy_rules_fail_synth_naming_the_construct_property_value_and_rule(
    override: dict[str, Any], words: str
) -> None:
    with refused(f"Test/Copy: {words}"):
        WorkspaceImageCopy(new_stack(), "Copy", **{**COPY, **override})


def test_every_broken_rule_is_named_at_once() -> None:
    with refused(
        "Test/Copy: image_name (Name) is missing (None); it is required; "
        "description (Description) '' is 0 characters long; it must be 1 to 256",
    ):
        WorkspaceImageCopy(new_stack(), "Copy", **{**COPY, "image_name": None, "description": ""})


def test_a_snapshot_removal_policy_is_refused() -> None:
    with refused("Test/Copy: removal_policy (DeletionPolicy) RemovalPolicy.SNAPSHOT must be one of", whole=False):
        WorkspaceImageCopy(new_stack(), "Copy", **COPY, removal_policy=cdk.RemovalPolicy.SNAPSHOT)


@pytest.mark.parametrize(
    ("own", "source", "words"),
    [
        (
            "us-gov-west-1",
            "us-gov-east-1",
            "region (Region) 'us-gov-west-1': in AWS GovCloud (US) images are copied to and from other Regions only "
            "through AWS Support; ask them, and leave it out",
        ),
        (
            "cn-north-1",
            "cn-northwest-1",
            "region (Region) 'cn-north-1': Amazon WorkSpaces is not offered in Region cn-north-1 (botocore "
            f"{BOTOCORE_VERSION}'s endpoint data lists no WorkSpaces endpoint there); choose one of the Regions of "
            "partition aws-cn it is in: cn-northwest-1",
        ),
    ],
)
def test_a_copy_workspaces_makes_only_through_support_or_not_at_all_fails_synth(
    own: str, source: str, words: str
) -> None:
    with refused(f"Test/Copy: {words}"):
        WorkspaceImageCopy(stack_in(own), "Copy", **COPY, source_region=source)


@pytest.mark.parametrize(
    ("own", "source", "words"),
    [
        (
            REGION,
            "eu-central-3",
            f"source_region (SourceRegion) 'eu-central-3' is no AWS Region (botocore {BOTOCORE_VERSION}'s endpoint "
            "data knows none of that name); did you mean eu-central-1?",
        ),
        (
            "ap-southeast-7",
            None,
            "region (Region) 'ap-southeast-7': Amazon WorkSpaces is not offered in Region ap-southeast-7 (botocore "
            f"{BOTOCORE_VERSION}'s endpoint data lists no WorkSpaces endpoint there); choose one of the Regions of "
            f"partition aws it is in: {WORKSPACES_IN_AWS}",
        ),
    ],
)
def test_a_copy_from_or_in_a_region_without_workspaces_fails_synth(own: str, source: str | None, words: str) -> None:
    with refused(f"Test/Copy: {words}"):
        WorkspaceImageCopy(stack_in(own), "Copy", **COPY, source_region=source)


def test_within_ningxia_a_shared_image_is_copied() -> None:
    stack = stack_in("cn-northwest-1")
    WorkspaceImageCopy(stack, "Copy", **COPY)
    _, resource = only(Template.from_stack(stack), COPY_TYPE)
    assert resource["Properties"]["Region"] == "cn-northwest-1"


def test_a_copys_name_is_compared_with_the_images_of_its_region() -> None:
    stack, _ = image_stack()
    with refused(
        "Test/Copy: image_name (Name) 'golden' is also the image_name of Test/Golden (in this stack); choose another "
        "image_name: each image of an account and Region needs a name of its own"
    ):
        WorkspaceImageCopy(stack, "Copy", **{**COPY, "image_name": "golden"})
    stack = new_stack()
    WorkspaceImageCopy(stack, "Copy", **{**COPY, "image_name": "golden"})
    with refused(
        "Test/Golden: image_name (Name) 'golden' is also the image_name of Test/Copy (in this stack); choose another "
        "image_name: each image of an account and Region needs a name of its own"
    ):
        UpdatedWorkspaceImage(stack, "Golden", **PROPS)
    # A copy in another Region takes its name there: the image's copies share its name.
    image_stack(copy_to_regions=[COPY_REGION])


# --- IAM -------------------------------------------------------------------------------------------------------------


def test_copy_statements_name_each_region_and_only_this_stacks_copies() -> None:
    stack, _ = image_stack(copy_to_regions=[COPY_REGION, "us-east-1"])
    template = Template.from_stack(stack)
    copy = statement_sid(template, "CopyImages")
    assert copy["Action"] == "workspaces:CopyWorkspaceImage"
    # The new copy in each destination Region, and the image it is made from, in this stack's Region.
    assert rendered_resources(copy) == sorted([arn(COPY_REGION), arn("us-east-1"), arn(REGION)])
    # WorkSpaces authorizes the copy and the source with the request's tags: the ownership tag with this stack's value.
    assert list(copy["Condition"]) == ["StringLike"]
    assert render(copy["Condition"]["StringLike"][OWNER_REQUEST_TAG]) == "<GUID>.*"

    delete = statement_sid(template, "DeleteOwnCopies")
    assert delete["Action"] == "workspaces:DeleteWorkspaceImage"
    assert rendered_resources(delete) == sorted([arn(COPY_REGION), arn("us-east-1")])
    assert owned_by_this_stack(delete)

    permissions = statement_sid(template, "CopyImagePermissions")
    assert permissions["Action"] == "workspaces:DescribeWorkspaceImagePermissions"
    assert rendered_resources(permissions) == sorted([arn(COPY_REGION), arn("us-east-1")])
    assert "Condition" not in permissions


def test_the_ownership_key_may_be_given_at_creation_with_this_stacks_value() -> None:
    """CopyWorkspaceImage carries the copy's tags, the ownership tag among them, which IAM authorizes as CreateTags."""
    stack = new_stack()
    WorkspaceImageCopy(stack, "Copy", **COPY, tags={"team": "euc"})
    tagging = statement_sid(Template.from_stack(stack), "TagAtCreation")
    assert tagging["Condition"]["ForAllValues:StringEquals"]["aws:TagKeys"] == ["cdk-workspaces-image:owner", "team"]
    assert render(tagging["Condition"]["StringLike"][OWNER_REQUEST_TAG]) == "<GUID>.*"


def test_a_shared_source_is_named_by_its_id_in_any_account() -> None:
    """The owner of a shared image is another account, unknown here: the account is left open, the id is not."""
    stack = new_stack()
    WorkspaceImageCopy(stack, "Copy", **COPY)
    WorkspaceImageCopy(stack, "FromVirginia", **{**COPY, "image_name": "virginia"}, source_region="us-east-1")
    template = Template.from_stack(stack)
    assert rendered_resources(statement_sid(template, "CopyImages")) == sorted(
        [arn(REGION), arn(REGION, "*", SHARED), arn("us-east-1", "*", SHARED)]
    )
    # One destination, the stack's Region, however many copies.
    assert rendered_resources(statement_sid(template, "DeleteOwnCopies")) == [arn(REGION)]


def test_copy_statements_exist_only_in_stacks_that_copy() -> None:
    assert not COPY_SIDS & set(sids(Template.from_stack(image_stack()[0])))
    assert set(sids(Template.from_stack(image_stack(copy_to_regions=[COPY_REGION])[0]))) >= COPY_SIDS
    stack = new_stack()
    WorkspaceImageCopy(stack, "Copy", **COPY)
    assert set(sids(Template.from_stack(stack))) >= COPY_SIDS


@pytest.mark.parametrize("agnostic", [False, True])
def test_cdk_nag_finds_nothing_in_a_stack_that_copies(tmp_path: Path, agnostic: bool) -> None:
    app = cdk.App(context=NO_BUNDLING, outdir=str(tmp_path))
    env = None if agnostic else cdk.Environment(account=ACCOUNT, region=REGION)
    stack = cdk.Stack(app, "Test", env=env)
    image = UpdatedWorkspaceImage(stack, "Golden", **PROPS, copy_to_regions=[COPY_REGION, "us-east-1"])
    WorkspaceImageCopy(stack, "Shared", **COPY)
    WorkspaceImageCopy(stack, "FromImage", **{**COPY, "image_name": "from-image", "source_image_id": image})
    WorkspaceImageCopy(stack, "FromVirginia", **{**COPY, "image_name": "virginia"}, source_region="us-east-1")
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    assembly = app.synth()
    assert json.loads((Path(assembly.directory) / "validation-report.json").read_text())["pluginReports"] == []


# --- bundles use the image of their own Region ---------------------------------------------------------------------


def test_a_bundle_on_the_copy_of_another_region_fails_synth() -> None:
    stack, image = image_stack(copy_to_regions=[COPY_REGION])
    with refused(
        "Test/Standard: image_id (ImageId) is image_id_in('eu-central-1') of Test/Golden, the copy in Region "
        "eu-central-1, but this stack deploys to eu-west-1; use image_id_in('eu-west-1'), copying the image to "
        "eu-west-1 if it is not made there: a bundle can use only an image of its own Region"
    ):
        WorkspaceBundle(stack, "Standard", image_id=image.image_id_in(COPY_REGION), **BUNDLE)


def test_a_bundle_in_the_copys_region_takes_the_copy() -> None:
    app = cdk.App(context=NO_BUNDLING)
    images = cdk.Stack(app, "Images", env=cdk.Environment(account=ACCOUNT, region=REGION), cross_region_references=True)
    image = UpdatedWorkspaceImage(images, "Golden", **PROPS, copy_to_regions=[COPY_REGION])
    bundles = cdk.Stack(
        app, "Bundles", env=cdk.Environment(account=ACCOUNT, region=COPY_REGION), cross_region_references=True
    )
    WorkspaceBundle(bundles, "Standard", image_id=image.image_id_in(COPY_REGION), **BUNDLE)
    with refused("Bundles/Other: image_id (ImageId) is the image_id of Images/Golden, made in Region", whole=False):
        WorkspaceBundle(bundles, "Other", image_id=image.image_id, **{**BUNDLE, "bundle_name": "other"})


def test_a_bundle_on_a_workspace_image_copy_of_another_region_fails_synth() -> None:
    app = cdk.App(context=NO_BUNDLING)
    copies = cdk.Stack(app, "Copies", env=cdk.Environment(account=ACCOUNT, region=REGION), cross_region_references=True)
    copy = WorkspaceImageCopy(copies, "Copy", **COPY)
    bundles = cdk.Stack(
        app, "Bundles", env=cdk.Environment(account=ACCOUNT, region=COPY_REGION), cross_region_references=True
    )
    with refused(
        "Bundles/Standard: image_id (ImageId) is the image_id of Copies/Copy, made in Region eu-west-1", whole=False
    ):
        WorkspaceBundle(bundles, "Standard", image_id=copy, **BUNDLE)


def test_source_account_is_written_for_the_handler_to_check_before_copying() -> None:
    stack = new_stack()
    WorkspaceImageCopy(stack, "Copy", **COPY, source_account="444455556666")
    _, resource = only(Template.from_stack(stack), COPY_TYPE)
    assert resource["Properties"]["SourceAccount"] == "444455556666"
    plain = new_stack()
    WorkspaceImageCopy(plain, "Copy", **COPY)
    _, resource = only(Template.from_stack(plain), COPY_TYPE)
    assert "SourceAccount" not in resource["Properties"]


@pytest.mark.parametrize("account", ["4444-5555-6666", "44445555666", 444455556666])
def test_a_source_account_that_is_no_account_id_fails_synth(account: object) -> None:
    with refused(
        f"Test/Copy: source_account (SourceAccount) {account!r} must be a 12-digit AWS account id, as a string"
    ):
        WorkspaceImageCopy(new_stack(), "Copy", **COPY, source_account=account)  # type: ignore[arg-type]


def test_each_copy_has_the_images_event_rules_matching_its_own_resource() -> None:
    stack = stack_in(REGION)
    image = UpdatedWorkspaceImage(stack, "Golden", **PROPS, copy_to_regions=["eu-central-1"])
    image.copies["eu-central-1"].on_image_available("CopyAvailable")
    consumer = WorkspaceImageCopy(stack, "Copy", **COPY)
    consumer.on_image_failed("CopyFailed")
    template = Template.from_stack(stack)
    rules = template.find_resources("AWS::Events::Rule")
    patterns = {lid: rule["Properties"]["EventPattern"] for lid, rule in rules.items() if "Copy" in lid}
    assert {p["detail-type"][0] for p in patterns.values()} == {"WorkSpaces Image Available", "WorkSpaces Image Failed"}
    matched = {p["detail"]["LogicalId"][0] for p in patterns.values()}
    assert matched == {logical_id(image.copies["eu-central-1"]), logical_id(consumer)}
