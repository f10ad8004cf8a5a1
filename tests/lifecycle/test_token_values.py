"""A row per token-accepting prop (issue 23): a value synth cannot see, because the app passes a CfnParameter, is
judged by the handler once CloudFormation resolves it, in the words synth uses for the same value written as a
literal, and a bad one leaves nothing behind.

Every construct of the library that takes a token takes it here, in one app synthesized once (a stack per construct
shape, each prop a template parameter whose default is a good value). Each row deploys one stack into one shared
emulated account with one parameter set to a value synth refuses, and asserts:

- the stack rolls back (ROLLBACK_COMPLETE), and the one resource that failed is the construct's custom resource;
- its FAILED reason carries the words synth refuses the same value with, literally written (computed here by
  building the same construct with that literal: never written twice);
- nothing is left: no image (in any Region), no bundle, no share, no watch; a re-pointed bundle is back where it was.

A row per stack deploys the defaults (good token values) and deletes the stack again; for the props an Update
applies in place, a row deploys the defaults, then the bad value: the update rolls back in the same words, changing
nothing. The account is shared by the rows (a stack rolled back or deleted leaves it as it was, which each row
checks), so it is set up once and the app synthesized once; time is the virtual clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ssm as ssm
from support.lifecycle import World
from support.synth_cache import cached

from aws_emulator import Plan
from cdk_workspaces_image import (
    CapturedWorkspaceImage,
    ComputeType,
    ImageBuilderWorkspaceImage,
    ImportedWorkspaceImage,
    IngestionProcess,
    OsVersion,
    StreamingProtocol,
    UpdatedWorkspaceImage,
    WorkspaceBundle,
    WorkspaceImageCopy,
)
from cdk_workspaces_image_handler import contract
from cfn_driver.assembly import Assembly, load
from cfn_driver.cloud import ACCOUNT, REGION
from cfn_driver.engine import Stack

# What the stacks are made from, with fixed ids so that the app is synthesized once a session.
SOURCE_ID = "wsi-0123456789"
COPY_SOURCE_ID = "wsi-0123456780"
WORKSPACE_ID = "ws-01234567"
AMI_ID = "ami-0123456789abcdef0"
IMPORT_TASK_ID = "import-ami-0123456789abcdef0"
BUILD_ARN = f"arn:aws:imagebuilder:{REGION}:{ACCOUNT}:image/golden/1.0.0/1"
INFRA_ARN = f"arn:aws:imagebuilder:{REGION}:{ACCOUNT}:infrastructure-configuration/workspaces-import"
EXTERNAL_BUNDLE_ID = "wsb-01234567"
OTHER_ACCOUNT = "444455556666"
FRANKFURT = "eu-central-1"

# A value: the literal synth judges, or the template parameter of that name (whose default is `good`).
Value = Callable[[str, Any], Any]


def image_props(value: Value, kind: str) -> dict[str, Any]:
    """The props every image type takes and accepts as tokens."""
    return {
        "image_name": value("ImageName", f"golden-{kind}"),
        "description": value("Description", "Golden image"),
        "tags": {value("TagKey", "team"): value("TagValue", "euc")},
        "timeout": cdk.Duration.seconds(value("TimeoutSeconds", 3 * 3600)),
        "keep_previous": value("KeepPrevious", 1),
        "share_with_accounts": value("ShareWithAccounts", [OTHER_ACCOUNT]),
        "removal_policy": cdk.RemovalPolicy.DESTROY,
    }


def build_updated(stack: cdk.Stack, value: Value) -> None:
    # The copy takes the image's name, description, tags, timeout and retention: tokens too.
    image = UpdatedWorkspaceImage(
        stack,
        "Golden",
        source_image_id=value("SourceImageId", SOURCE_ID),
        copy_to_regions=[FRANKFURT],
        **image_props(value, "updated"),
    )
    cdk.CfnOutput(stack, "CopyId", value=image.image_id_in(FRANKFURT))


def build_updated_one(stack: cdk.Stack, value: Value) -> None:
    """share_with_accounts as a list of one string token, [param], not a list token."""
    UpdatedWorkspaceImage(
        stack,
        "Golden",
        source_image_id=SOURCE_ID,
        image_name="golden-one",
        description="Golden image",
        share_with_accounts=[value("SharedAccount", OTHER_ACCOUNT)],
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )


def build_captured(stack: cdk.Stack, value: Value) -> None:
    CapturedWorkspaceImage(
        stack, "Golden", workspace_id=value("WorkspaceId", WORKSPACE_ID), **image_props(value, "captured")
    )


def build_imported(stack: cdk.Stack, value: Value) -> None:
    ImportedWorkspaceImage(
        stack,
        "Golden",
        ec2_image_id=value("Ec2ImageId", AMI_ID),
        ingestion_process=IngestionProcess.BYOL_REGULAR_WSP,
        **image_props(value, "imported"),
    )


def _builder(stack: cdk.Stack, value: Value, **source: Any) -> None:
    ImageBuilderWorkspaceImage(
        stack,
        "Golden",
        infrastructure_configuration_arn=value("InfrastructureConfigurationArn", INFRA_ARN),
        os_version=OsVersion.WINDOWS_11,
        protocol=StreamingProtocol.DCV,
        **source,
        **image_props(value, "builder"),
    )


def build_builder(stack: cdk.Stack, value: Value) -> None:
    _builder(stack, value, image_build_version_arn=value("ImageBuildVersionArn", BUILD_ARN))


def build_builder_ami(stack: cdk.Stack, value: Value) -> None:
    _builder(stack, value, ec2_image_id=value("Ec2ImageId", AMI_ID))


def build_builder_task(stack: cdk.Stack, value: Value) -> None:
    _builder(stack, value, ec2_import_task_id=value("Ec2ImportTaskId", IMPORT_TASK_ID))


def build_bundle(stack: cdk.Stack, value: Value) -> None:
    WorkspaceBundle(
        stack,
        "Standard",
        image_id=value("ImageId", SOURCE_ID),
        bundle_name=value("BundleName", "golden-standard"),
        description=value("Description", "Standard bundle"),
        compute_type=ComputeType.STANDARD,
        user_storage_gib=value("UserStorageGib", 50),
        root_storage_gib=value("RootStorageGib", 80),
        tags={value("TagKey", "team"): value("TagValue", "euc")},
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )


def build_copy(stack: cdk.Stack, value: Value) -> None:
    WorkspaceImageCopy(
        stack,
        "Copy",
        source_image_id=value("SourceImageId", COPY_SOURCE_ID),
        source_region=value("SourceRegion", FRANKFURT),
        source_account=value("SourceAccount", ACCOUNT),
        image_name=value("ImageName", "golden-copy"),
        description=value("Description", "Golden copy"),
        tags={value("TagKey", "team"): value("TagValue", "euc")},
        timeout=cdk.Duration.seconds(value("TimeoutSeconds", 3 * 3600)),
        keep_previous=value("KeepPrevious", 1),
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )


def build_apply(stack: cdk.Stack, value: Value) -> None:
    image = UpdatedWorkspaceImage(
        stack,
        "Golden",
        source_image_id=SOURCE_ID,
        image_name="golden-applied",
        description="Golden image",
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    image.apply_to_bundle(value("BundleId", EXTERNAL_BUNDLE_ID), restore_on_delete=True, construct_id="ApplyTo")


# Each stack: how it is built, and the type of the custom resource its rows fail.
STACKS: dict[str, tuple[Callable[[cdk.Stack, Value], None], str]] = {
    "Updated": (build_updated, contract.IMAGE_TYPE),
    "UpdatedOne": (build_updated_one, contract.IMAGE_TYPE),
    "Captured": (build_captured, contract.CAPTURED_TYPE),
    "Imported": (build_imported, contract.IMPORTED_TYPE),
    "Builder": (build_builder, contract.IMAGE_BUILDER_TYPE),
    "BuilderAmi": (build_builder_ami, contract.IMAGE_BUILDER_TYPE),
    "BuilderTask": (build_builder_task, contract.IMAGE_BUILDER_TYPE),
    "Bundle": (build_bundle, contract.BUNDLE_TYPE),
    "Copy": (build_copy, contract.COPY_TYPE),
    "Apply": (build_apply, contract.BUNDLE_IMAGE_TYPE),
    # The strings and the list through SSM parameters read at deploy (ssm_parameters_of).
    "UpdatedSsm": (build_updated, contract.IMAGE_TYPE),
}
SSM_STACKS = ("UpdatedSsm",)


def ssm_name(name: str) -> str:
    return f"/tokens/{name}"


def parameters_of(stack: cdk.Stack) -> Value:
    """Each value a template parameter named `name`, whose default is `good`: a string, a number (Number) or a list
    (CommaDelimitedList), as its construct prop takes it."""

    def value(name: str, good: Any) -> Any:
        if isinstance(good, list):
            return cdk.CfnParameter(stack, name, type="CommaDelimitedList", default=",".join(good)).value_as_list
        if isinstance(good, (int, float)):
            return cdk.CfnParameter(stack, name, type="Number", default=good).value_as_number
        return cdk.CfnParameter(stack, name, default=good).value_as_string

    return value


def ssm_parameters_of(stack: cdk.Stack) -> Value:
    """Each string or list value the SSM parameter /tokens/`name`, read at deploy as an app reads one; numbers as
    given (SSM has no number type)."""

    def value(name: str, good: Any) -> Any:
        if isinstance(good, list):
            return ssm.StringListParameter.value_for_typed_list_parameter(stack, ssm_name(name))
        if isinstance(good, (int, float)):
            return good
        return ssm.StringParameter.value_for_string_parameter(stack, ssm_name(name))

    return value


def ssm_values(stack_name: str) -> dict[str, str]:
    """The good values of a stack of SSM_STACKS, by SSM parameter name, as Parameter Store holds them."""
    build, _ = STACKS[stack_name]
    goods: dict[str, str] = {}

    def value(name: str, good: Any) -> Any:
        if isinstance(good, (list, str)):
            goods[ssm_name(name)] = ",".join(good) if isinstance(good, list) else good
        return good

    build(cdk.Stack(cdk.App(), stack_name, env=cdk.Environment(account=ACCOUNT, region=REGION)), value)
    return goods


@cached
def token_app(outdir: Path) -> Path:
    """Every stack of STACKS, every value a template parameter (an SSM one in SSM_STACKS)."""
    app = cdk.App(outdir=str(outdir))
    for name, (build, _) in STACKS.items():
        stack = cdk.Stack(app, name, env=cdk.Environment(account=ACCOUNT, region=REGION))
        build(stack, (ssm_parameters_of if name in SSM_STACKS else parameters_of)(stack))
    app.synth()
    return outdir


def synth_refusal(stack_name: str, parameter: str, bad: Any) -> str:
    """The words synth refuses `bad` with, written as a literal where the row's parameter is: the broken rules after
    the construct's path."""
    build, _ = STACKS[stack_name]
    stack = cdk.Stack(cdk.App(), stack_name, env=cdk.Environment(account=ACCOUNT, region=REGION))
    with pytest.raises(ValueError, match=f"^{stack_name}/") as refused:
        build(stack, lambda name, good: bad if name == parameter else good)
    return str(refused.value).partition(": ")[2]


@dataclass(frozen=True)
class Row:
    stack: str
    parameter: str
    # The literal synth refuses, as a prop takes it (a number, a list); the parameter gets it as CloudFormation
    # passes it: a string, a list as a comma-delimited string.
    bad: Any

    @property
    def deployed(self) -> str:
        return ",".join(self.bad) if isinstance(self.bad, list) else str(self.bad)

    def __str__(self) -> str:
        return f"{self.stack}-{self.parameter}-{self.deployed[:20]}"


def _image_rows(stack: str, *, every: bool = True) -> list[Row]:
    """The rows of the props every image type shares. Not `every`: those whose words name the type's own API (the
    name), and the numbers; the rest is judged by the same code for every type made from something else than a
    WorkSpaces image (rules.made_image_problems, image.made_problems), which the Captured rows play in full."""
    if not every:
        return [
            Row(stack, "ImageName", "golden image!"),
            Row(stack, "TimeoutSeconds", 900.5),
            Row(stack, "KeepPrevious", -1),
            Row(stack, "ShareWithAccounts", [ACCOUNT]),
        ]
    return [
        Row(stack, "ImageName", "golden image!"),
        Row(stack, "Description", "Golden; image"),
        Row(stack, "TagKey", "aws:team"),
        Row(stack, "TagValue", "v" * 256),
        Row(stack, "TimeoutSeconds", 60),
        Row(stack, "TimeoutSeconds", 900.5),
        Row(stack, "KeepPrevious", -1),
        Row(stack, "KeepPrevious", 1.5),
        Row(stack, "ShareWithAccounts", ["1234"]),
        Row(stack, "ShareWithAccounts", [ACCOUNT]),
        Row(stack, "ShareWithAccounts", [OTHER_ACCOUNT, OTHER_ACCOUNT]),
    ]


ROWS = [
    Row("Updated", "SourceImageId", "ami-0123456789"),
    *_image_rows("Updated"),
    Row("UpdatedOne", "SharedAccount", "1234"),
    Row("UpdatedOne", "SharedAccount", ACCOUNT),
    Row("Captured", "WorkspaceId", "i-0123456789"),
    *_image_rows("Captured"),
    Row("Imported", "Ec2ImageId", "ami-0123"),
    *_image_rows("Imported", every=False),
    Row("Builder", "InfrastructureConfigurationArn", "workspaces-import"),
    Row("Builder", "ImageBuildVersionArn", AMI_ID),
    *_image_rows("Builder", every=False),
    Row("BuilderAmi", "Ec2ImageId", "ami-0123"),
    Row("BuilderTask", "Ec2ImportTaskId", "import-0123"),
    Row("Bundle", "ImageId", "ami-0123456789"),
    Row("Bundle", "BundleName", "golden standard"),
    Row("Bundle", "Description", "Standard; bundle"),
    Row("Bundle", "UserStorageGib", 60),
    Row("Bundle", "UserStorageGib", 50.5),
    Row("Bundle", "UserStorageGib", -1),
    Row("Bundle", "RootStorageGib", 100),
    Row("Bundle", "RootStorageGib", 80.5),
    Row("Bundle", "TagKey", "aws:team"),
    Row("Bundle", "TagValue", "v" * 256),
    Row("Copy", "SourceImageId", "ami-0123456789"),
    Row("Copy", "SourceRegion", "frankfurt"),
    Row("Copy", "SourceRegion", "cn-north-1"),
    Row("Copy", "SourceAccount", "1234"),
    Row("Copy", "ImageName", "golden copy"),
    Row("Copy", "Description", "Golden; copy"),
    Row("Copy", "TagKey", "aws:team"),
    Row("Copy", "TagValue", "v" * 256),
    Row("Copy", "TimeoutSeconds", 60),
    Row("Copy", "TimeoutSeconds", 900.5),
    Row("Copy", "KeepPrevious", -1),
    Row("Copy", "KeepPrevious", 1.5),
    Row("Apply", "BundleId", "production"),
    Row("UpdatedSsm", "SourceImageId", "ami-0123456789"),
    Row("UpdatedSsm", "ImageName", "golden image!"),
    Row("UpdatedSsm", "Description", "Golden; image"),
    Row("UpdatedSsm", "TagKey", "aws:team"),
    Row("UpdatedSsm", "TagValue", "v" * 256),
    Row("UpdatedSsm", "ShareWithAccounts", ["1234"]),
    Row("UpdatedSsm", "ShareWithAccounts", [OTHER_ACCOUNT, ACCOUNT]),
]


@pytest.fixture(scope="module")
def account() -> Iterator[World]:
    """One emulated account for every row: what the stacks are made from, and a bundle of the account's own."""
    world = World.new(sources=0, default_plan=Plan.available(after_seconds=300), byol_accounts=[OTHER_ACCOUNT])
    ws = world.cloud.workspaces
    world.sources = [ws.add_image("golden-src", update_available=True, image_id=SOURCE_ID)]
    world.cloud.workspaces_in(FRANKFURT).add_image("golden-frankfurt", image_id=COPY_SOURCE_ID)
    ws.add_workspace(WORKSPACE_ID)
    ws.add_ami(AMI_ID)
    ws.add_import_task(IMPORT_TASK_ID)
    ws.add_image_build_version(BUILD_ARN)
    ws.add_infrastructure_configuration()
    ws.add_bundle(SOURCE_ID, name="production", bundle_id=EXTERNAL_BUNDLE_ID)
    for name in SSM_STACKS:
        world.cfn.ssm_parameters.update(ssm_values(name))
    yield world
    world.close()


@pytest.fixture
def world(account: World) -> World:
    """The shared account, checked by the lifecycle conftest after each row like a world of its own."""
    World.made.append(account)
    return account


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return token_app(tmp_path_factory.mktemp("tokens"))


def assembly(app: Path, stack: str) -> Assembly:
    return load(app, stack)


def resource_of(template: Mapping[str, Any], resource_type: str) -> str:
    (logical_id,) = [lid for lid, r in template["Resources"].items() if r["Type"] == resource_type]
    return str(logical_id)


def left_behind(world: World) -> dict[str, Any]:
    """What the account holds that it did not before the rows: images (in both Regions), bundles, shares, the
    re-pointed bundle's image, watches."""
    ws = world.cloud.workspaces
    frankfurt = world.cloud.workspaces_in(FRANKFURT)
    found: dict[str, Any] = {
        "images": sorted(i for i in ws.images if i != SOURCE_ID),
        "copies": sorted(i for i in frankfurt.images if i != COPY_SOURCE_ID),
        "bundles": sorted(b for b in ws.bundles if b != EXTERNAL_BUNDLE_ID),
        "shares": {i: sorted(image.shared_with) for i, image in ws.images.items() if image.shared_with},
        "watching": world.watching(),
    }
    if ws.bundles[EXTERNAL_BUNDLE_ID].image_id != SOURCE_ID:
        found["re-pointed"] = ws.bundles[EXTERNAL_BUNDLE_ID].image_id
    return {k: v for k, v in found.items() if v}


def deploy_bad(world: World, template: Assembly, row: Row) -> Stack:
    """Deploy with the row's bad value: as the template parameter's value, or in its SSM parameter (put back
    afterwards)."""
    if row.stack not in SSM_STACKS:
        return world.deploy(template, {row.parameter: row.deployed})
    name = ssm_name(row.parameter)
    good = world.cfn.ssm_parameters[name]
    world.cfn.ssm_parameters[name] = row.deployed
    try:
        return world.deploy(template)
    finally:
        world.cfn.ssm_parameters[name] = good


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_a_bad_token_value_fails_with_synths_words_naming_the_resource_and_leaves_nothing(
    world: World, app: Path, row: Row
) -> None:
    words = synth_refusal(row.stack, row.parameter, row.bad)
    template = assembly(app, row.stack)
    _, resource_type = STACKS[row.stack]
    seen = len(world.events)
    stack = deploy_bad(world, template, row)
    world.cfn.settle()
    failed = [e for e in world.events[seen:] if e.status.endswith("_FAILED")]
    assert stack.status == "ROLLBACK_COMPLETE", stack.reason
    assert [e.logical_id for e in failed] == [resource_of(template.template, resource_type)], failed
    assert words in failed[0].reason, f"synth says: {words}\nthe handler says: {failed[0].reason}"
    assert left_behind(world) == {}


@pytest.mark.parametrize("name", list(STACKS))
def test_good_token_values_deploy_and_delete_cleanly(world: World, app: Path, name: str) -> None:
    stack = world.deploy(assembly(app, name))
    assert stack.status == "CREATE_COMPLETE", stack.reason
    assert world.cfn.delete(name).status == "DELETE_COMPLETE"
    world.cfn.settle()
    assert left_behind(world) == {}


# The props whose change an Update applies in place (or, for a bundle's image and apply_to_bundle's bundle, by
# re-pointing): a bad value there must be refused before anything is changed.
UPDATE_ROWS = [
    Row("Updated", "TagValue", "v" * 256),
    Row("Updated", "TimeoutSeconds", 60),
    Row("Updated", "KeepPrevious", -1),
    Row("Updated", "ShareWithAccounts", ["1234"]),
    Row("Bundle", "ImageId", "ami-0123456789"),
    Row("Bundle", "TagValue", "v" * 256),
    Row("Copy", "TagValue", "v" * 256),
    Row("Copy", "KeepPrevious", 1.5),
    Row("Apply", "BundleId", "production"),
]


def held(world: World) -> dict[str, Any]:
    """What the account holds, as far as a stack of these rows can change it. Of apply_to_bundle's marker, the image
    it would restore: the rollback Update of a refused one marks the bundle again, under its own request id."""
    ws, frankfurt = world.cloud.workspaces, world.cloud.workspaces_in(FRANKFURT)

    def tags(of: Mapping[str, str]) -> dict[str, str]:
        return {k: v.rpartition(".")[2] if k == contract.APPLIED_TAG_KEY else v for k, v in of.items()}

    return {
        "images": {i: (image.state, dict(image.tags), sorted(image.shared_with)) for i, image in ws.images.items()},
        "copies": {i: (image.state, dict(image.tags)) for i, image in frankfurt.images.items()},
        "bundles": {b: (bundle.image_id, tags(bundle.tags)) for b, bundle in ws.bundles.items()},
    }


@pytest.mark.parametrize("row", UPDATE_ROWS, ids=str)
def test_a_bad_token_value_in_an_update_fails_with_synths_words_and_changes_nothing(
    world: World, app: Path, row: Row
) -> None:
    words = synth_refusal(row.stack, row.parameter, row.bad)
    template = assembly(app, row.stack)
    _, resource_type = STACKS[row.stack]
    assert world.deploy(template).status == "CREATE_COMPLETE"
    before = held(world)
    seen = len(world.events)
    stack = deploy_bad(world, template, row)
    world.cfn.settle()
    failed = [e for e in world.events[seen:] if e.status.endswith("_FAILED")]
    assert stack.status == "UPDATE_ROLLBACK_COMPLETE", stack.reason
    assert [e.logical_id for e in failed] == [resource_of(template.template, resource_type)], failed
    assert words in failed[0].reason, f"synth says: {words}\nthe handler says: {failed[0].reason}"
    assert held(world) == before, "the refused update changed something"
    assert world.cfn.delete(row.stack).status == "DELETE_COMPLETE"
    world.cfn.settle()
    assert left_behind(world) == {}
