"""The fault matrix's rows of the three image types made from something else than an image (issue 22): a WorkSpace
captured, an AMI imported, an EC2 Image Builder image imported. Each plays through the lifecycle driver with IAM
enforced (the lifecycle conftest fails a row whose calls the provider's policy refuses), and each ends by checking
that nothing is left behind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from support.lifecycle import STANDARD_BUNDLE, World, provider_statements, without_statement
from support.synth_cache import cached

from aws_emulator import Plan
from cdk_workspaces_image import (
    CapturedWorkspaceImage,
    ImageBuilderWorkspaceImage,
    ImportedWorkspaceImage,
    IngestionProcess,
    OsVersion,
    StreamingProtocol,
    WorkspaceBundle,
)
from cdk_workspaces_image_handler.contract import (
    CAPTURED_TYPE,
    IMAGE_BUILDER_TYPE,
    IMPORTED_TYPE,
    OWNER_TAG_KEY,
    DetailTypes,
)
from cfn_driver.assembly import Assembly, load
from cfn_driver.cloud import ACCOUNT, REGION
from cfn_driver.model import Faults

FAST = Plan.available(after_seconds=1800)
KINDS = ("captured", "imported", "builder")
# The call that makes each kind's image.
CREATE_CALL = {
    "captured": "CreateWorkspaceImage",
    "imported": "ImportWorkspaceImage",
    "builder": "ImportCustomWorkspaceImage",
}
OTHER_ACCOUNT = "444455556666"
FRANKFURT = "eu-central-1"


@pytest.fixture
def world() -> Iterator[World]:
    w = World.new(sources=0, default_plan=FAST)
    yield w
    w.close()


def sources(world: World) -> dict[str, str]:
    """What each type is made from, held by the emulated account."""
    ws = world.cloud.workspaces
    return {
        "workspace": ws.add_workspace(),
        "ami": ws.add_ami(),
        "build": ws.add_image_build_version(),
        "infra": ws.add_infrastructure_configuration(),
    }


def left(world: World) -> dict[str, str]:
    """Every image the account holds, listed or not (an import under way may not be listed), with its state."""
    return {image_id: image.state for image_id, image in world.cloud.workspaces.images.items()}


@cached
def golden(
    outdir: Path,
    kind: str,
    made_from: dict[str, str],
    *,
    generation: int = 1,
    keep_previous: int | None = None,
    bundle: bool = False,
    timeout_minutes: int | None = None,
    share_with: tuple[str, ...] = (),
    copy_to: tuple[str, ...] = (),
    retain: bool = False,
) -> Assembly:
    """One image of `kind`, named for its generation (a new generation replaces it), its id in the output ImageId."""
    name = f"{kind}-g{generation}-{keep_previous}-{bundle}-{timeout_minutes}-{'.'.join(share_with + copy_to)}-{retain}"
    app = cdk.App(outdir=str(outdir / name))
    stack = cdk.Stack(app, "Golden", env=cdk.Environment(account=ACCOUNT, region=REGION))
    shared: dict[str, Any] = {
        "image_name": f"golden-{kind}-{generation}",
        "description": f"Golden image {generation}",
        "tags": {"team": "euc"},
        "keep_previous": keep_previous,
        # The default (kept on replacement and stack delete) with `retain`; else deleted with the stack.
        "removal_policy": None if retain else cdk.RemovalPolicy.DESTROY,
        "timeout": None if timeout_minutes is None else cdk.Duration.minutes(timeout_minutes),
        "share_with_accounts": list(share_with) or None,
        "copy_to_regions": list(copy_to) or None,
    }
    image: Any
    if kind == "captured":
        image = CapturedWorkspaceImage(stack, "Golden", workspace_id=made_from["workspace"], **shared)
    elif kind == "imported":
        image = ImportedWorkspaceImage(
            stack,
            "Golden",
            ec2_image_id=made_from["ami"],
            ingestion_process=IngestionProcess.BYOL_REGULAR_WSP,
            **shared,
        )
    else:
        image = ImageBuilderWorkspaceImage(
            stack,
            "Golden",
            image_build_version_arn=made_from["build"],
            infrastructure_configuration_arn=made_from["infra"],
            os_version=OsVersion.WINDOWS_11,
            protocol=StreamingProtocol.DCV,
            **shared,
        )
    cdk.CfnOutput(stack, "ImageId", value=image.image_id)
    for region in copy_to:
        cdk.CfnOutput(stack, f"CopyIn{region.replace('-', '')}", value=image.image_id_in(region))
    if bundle:
        standard = WorkspaceBundle(
            stack, "Standard", image_id=image.image_id, **STANDARD_BUNDLE, removal_policy=cdk.RemovalPolicy.DESTROY
        )
        cdk.CfnOutput(stack, "BundleId", value=standard.bundle_id)
    app.synth()
    return load(outdir / name, "Golden")


@pytest.mark.parametrize("kind", KINDS)
def test_each_source_deploys_an_available_image_a_bundle_launches_from_and_deletes_leave_nothing(
    world: World, tmp_path: Path, kind: str
) -> None:
    made_from = sources(world)
    stack = world.deploy(golden(tmp_path, kind, made_from, bundle=True))
    assert stack.status == "CREATE_COMPLETE", stack.reason
    image = world.cloud.workspaces.images[str(stack.outputs["ImageId"])]
    assert image.state == "AVAILABLE"
    assert image.tags[OWNER_TAG_KEY].startswith(stack.stack_id.split("/")[2])
    bundle = world.cloud.workspaces.bundles[str(stack.outputs["BundleId"])]
    assert bundle.image_id == image.image_id
    assert [n["ImageId"] for n in world.news(DetailTypes.IMAGE_AVAILABLE)] == [image.image_id]

    deleted = world.cfn.delete("Golden")
    assert deleted.status == "DELETE_COMPLETE", deleted.reason
    assert left(world) == {}, "the image is deleted with the stack (DESTROY)"
    assert not world.cloud.workspaces.bundles


@pytest.mark.parametrize("kind", KINDS)
def test_an_image_in_error_rolls_the_create_back_and_leaves_no_image(world: World, tmp_path: Path, kind: str) -> None:
    made_from = sources(world)
    world.cloud.workspaces.plan_next_images(
        Plan.error("ImageFailed", "The image could not be made", after_seconds=1200)
    )
    stack = world.deploy(golden(tmp_path, kind, made_from))
    assert stack.status == "ROLLBACK_COMPLETE"
    assert "ERROR" in " ".join(world.reasons())
    assert left(world) == {}, "the rollback deletes the image that went to ERROR"


@pytest.mark.parametrize("kind", KINDS)
def test_each_months_image_replaces_the_last_and_keep_previous_0_deletes_all_but_the_rollback_target(
    world: World, tmp_path: Path, kind: str
) -> None:
    """Under the default removal policy (kept on replacement), keep_previous=0 deletes every earlier image but the
    one being replaced, which the stack may still roll back to."""
    made_from = sources(world)
    ids = []
    for generation in (1, 2, 3):
        stack = world.deploy(golden(tmp_path, kind, made_from, generation=generation, keep_previous=0, retain=True))
        assert stack.status in ("CREATE_COMPLETE", "UPDATE_COMPLETE"), stack.reason
        ids.append(str(stack.outputs["ImageId"]))
    assert len(set(ids)) == 3, "each generation is a new image"
    assert set(left(world)) == {ids[1], ids[2]}, "generation 1 deleted; generation 2, the rollback target, kept"
    retention = [n for n in world.news(DetailTypes.IMAGE_RETENTION) if ids[0] in str(n)]
    assert retention, "the deletion is on the bus"


@pytest.mark.parametrize("kind", KINDS)
def test_next_months_image_in_error_rolls_the_update_back_to_this_months(
    world: World, tmp_path: Path, kind: str
) -> None:
    made_from = sources(world)
    first = world.deploy(golden(tmp_path, kind, made_from))
    assert first.status == "CREATE_COMPLETE", first.reason
    world.cloud.workspaces.plan_next_images(Plan.error("ImageFailed", "The image could not be made", after_seconds=600))
    second = world.deploy(golden(tmp_path, kind, made_from, generation=2))
    assert second.status == "UPDATE_ROLLBACK_COMPLETE"
    assert "ERROR" in " ".join(world.reasons())
    assert set(left(world)) == {first.outputs["ImageId"]}, "the failed image is deleted, this month's kept"
    assert world.watching() == []


def test_an_account_without_byol_fails_the_import_saying_so_and_leaves_nothing(tmp_path: Path) -> None:
    world = World.new(sources=0, default_plan=FAST, byol_enabled=False)
    try:
        made_from = sources(world)
        stack = world.deploy(golden(tmp_path, "imported", made_from))
        assert stack.status == "ROLLBACK_COMPLETE"
        assert any("enable it for Bring Your Own License" in r for r in world.reasons()), world.reasons()
        assert left(world) == {}
    finally:
        world.close()


def test_a_workspace_that_is_stopped_fails_the_capture_saying_to_start_it(world: World, tmp_path: Path) -> None:
    made_from = sources(world)
    made_from["workspace"] = world.cloud.workspaces.add_workspace(state="STOPPED")
    stack = world.deploy(golden(tmp_path, "captured", made_from))
    assert stack.status == "ROLLBACK_COMPLETE"
    assert any("is not in a state that can be imaged; start it" in r for r in world.reasons()), world.reasons()
    assert left(world) == {}


@pytest.mark.parametrize("kind", KINDS)
def test_the_deadline_passed_fails_naming_the_image_and_what_it_last_said_and_leaves_nothing(
    tmp_path: Path, kind: str
) -> None:
    # Where WorkSpaces deletes an image still PENDING or importing (emulator options; whether it does is undocumented;
    # where it refuses, the Delete waits: test_watch_lifecycle).
    world = World.new(sources=0, default_plan=Plan.never(), delete_pending_error=None, delete_importing_error=None)
    try:
        made_from = sources(world)
        stack = world.deploy(golden(tmp_path, kind, made_from, timeout_minutes=15))
        assert stack.status == "ROLLBACK_COMPLETE"
        assert "timed out: image wsi-" in stack.reason, stack.reason
        assert "is still PENDING" in stack.reason
        if kind == "builder":
            # The import's own words: its State, StateMessage and ProgressPercentage when the wait gave up.
            assert "import " in stack.reason, stack.reason
            assert "%" in stack.reason, stack.reason
        assert left(world) == {}
        assert world.watching() == []
    finally:
        world.close()


@pytest.mark.parametrize("kind", KINDS)
def test_a_duplicate_create_delivery_makes_one_image(tmp_path: Path, kind: str) -> None:
    probe = World.new(sources=0, default_plan=FAST)
    assembly = golden(tmp_path, kind, sources(probe))
    probe.close()
    resource_type = {"captured": CAPTURED_TYPE, "imported": IMPORTED_TYPE, "builder": IMAGE_BUILDER_TYPE}[kind]
    (logical_id,) = [k for k, r in assembly.template["Resources"].items() if r["Type"] == resource_type]
    world = World.new(sources=0, default_plan=FAST, faults=Faults(duplicate={(logical_id, "Create")}))
    try:
        sources(world)
        stack = world.deploy(assembly)
        assert stack.status == "CREATE_COMPLETE", stack.reason
        assert world.calls(CREATE_CALL[kind]) == 1
        assert set(left(world)) == {stack.outputs["ImageId"]}
    finally:
        world.close()


@pytest.mark.parametrize(
    ("kind", "listed"),
    [("captured", True), ("imported", True), ("builder", False), ("builder", True)],
    ids=["captured", "imported", "builder-unlisted-while-importing", "builder-listed-while-importing"],
)
def test_a_lambda_timeout_mid_create_never_orphans_the_image(tmp_path: Path, kind: str, listed: bool) -> None:
    """The create call works but its answer is lost: the retry adopts the image by its ownership tag. An Image Builder
    import not yet listed (the default reading) cannot be adopted yet: the Create fails saying so, the record keeps
    its claim, and the rollback's Delete fails until the import is listed; a delete then finds it and deletes it."""
    world = World.new(sources=0, default_plan=FAST, real_limit_seconds=4, custom_import_listed_while_importing=listed)
    try:
        made_from = sources(world)
        world.cloud.stall_after(CREATE_CALL[kind], 6)
        stack = world.deploy(golden(tmp_path, kind, made_from))
        assert any(e.status == "LAMBDA_ERROR" and "timed out" in e.reason for e in world.events)
        made = [c for c in world.cloud.workspaces.calls_to(CREATE_CALL[kind]) if not c.error]
        assert len(made) == 1, "the retry never makes a second image"
        if kind == "builder" and not listed:
            assert stack.status == "ROLLBACK_FAILED"
            reasons = " ".join(world.reasons())
            assert "most likely the one an earlier attempt of this Create made" in reasons, reasons
            assert "is not listed yet" in reasons, reasons
            [image] = left(world)
            world.cfn.settle()
            world.cloud.clock.set(world.cloud.clock.now() + 3600)  # the import has ended and is listed
            again = world.cfn.delete(stack.name)
            assert again.status == "DELETE_COMPLETE", again.reason
            assert image not in left(world)
            assert left(world) == {}, "the claim found the import once listed, and the delete deleted it"
        else:
            assert stack.status == "CREATE_COMPLETE", stack.reason
            assert set(left(world)) == {stack.outputs["ImageId"]}
        assert world.watching() == []
    finally:
        world.close()


def test_an_ami_another_account_owns_fails_the_import_saying_so(world: World, tmp_path: Path) -> None:
    made_from = sources(world)
    made_from["ami"] = world.cloud.workspaces.add_ami(owner=OTHER_ACCOUNT, shared=True)
    stack = world.deploy(golden(tmp_path, "imported", made_from))
    assert stack.status == "ROLLBACK_COMPLETE"
    reasons = " ".join(world.reasons())
    assert made_from["ami"] in reasons, reasons
    assert "own" in reasons, reasons
    assert left(world) == {}


@pytest.mark.parametrize("kind", KINDS)
def test_each_image_is_shared_once_available_and_unshared_before_its_delete(tmp_path: Path, kind: str) -> None:
    # The imports are BYOL images: shared only with BYOL-enabled accounts (the emulator's byol_accounts).
    world = World.new(sources=0, default_plan=FAST, accounts=(OTHER_ACCOUNT,), byol_accounts=(OTHER_ACCOUNT,))
    try:
        made_from = sources(world)
        stack = world.deploy(golden(tmp_path, kind, made_from, share_with=(OTHER_ACCOUNT,)))
        assert stack.status == "CREATE_COMPLETE", stack.reason
        image = str(stack.outputs["ImageId"])
        assert sorted(world.cloud.workspaces.images[image].shared_with) == [OTHER_ACCOUNT]
        deleted = world.cfn.delete("Golden")
        assert deleted.status == "DELETE_COMPLETE", deleted.reason
        assert left(world) == {}
        shares = world.cloud.workspaces.calls_to("UpdateWorkspaceImagePermission")
        assert [c.params["AllowCopyImage"] for c in shares] == [True, False], "unshared before the delete"
    finally:
        world.close()


@pytest.mark.parametrize("kind", KINDS)
def test_each_image_is_copied_to_another_region_and_the_copy_deleted_with_it(
    world: World, tmp_path: Path, kind: str
) -> None:
    made_from = sources(world)
    stack = world.deploy(golden(tmp_path, kind, made_from, copy_to=(FRANKFURT,)))
    assert stack.status == "CREATE_COMPLETE", stack.reason
    copy_id = str(stack.outputs[f"CopyIn{FRANKFURT.replace('-', '')}"])
    assert world.cloud.workspaces_in(FRANKFURT).images[copy_id].state == "AVAILABLE"
    deleted = world.cfn.delete("Golden")
    assert deleted.status == "DELETE_COMPLETE", deleted.reason
    assert left(world) == {}
    assert world.images_in(FRANKFURT) == {}


# Each kind's own statement, and the action whose refusal the reason names without it. The EC2 statements of an AMI
# import (DescribeAmis, ShareAmisForImport) are for WorkSpaces' use of the caller's permissions, which the emulator
# does not model (docs/design.md).
OWN_STATEMENT = {
    "captured": ("CaptureWorkspaces", "workspaces:CreateWorkspaceImage"),
    "imported": ("ImportAmis", "workspaces:ImportWorkspaceImage"),
    "builder": ("ImportBuiltImages", "workspaces:ImportCustomWorkspaceImage"),
}


@pytest.mark.parametrize("kind", KINDS)
def test_without_its_own_statement_each_kind_fails_with_access_denied_and_makes_nothing(
    world: World, tmp_path: Path, kind: str
) -> None:
    world.expect_denials = True
    sid, action = OWN_STATEMENT[kind]
    stack = world.deploy(without_statement(golden(tmp_path, kind, sources(world)), sid))
    assert stack.status == "ROLLBACK_COMPLETE"
    assert f"is not authorized to perform: {action}" in stack.reason, stack.reason
    assert left(world) == {}


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_has_its_own_statement_and_the_owned_image_ones_once(tmp_path: Path, kind: str) -> None:
    probe = World.new(sources=0, default_plan=FAST)
    try:
        sids = [s.get("Sid") for s in provider_statements(golden(tmp_path, kind, sources(probe)))]
    finally:
        probe.close()
    assert OWN_STATEMENT[kind][0] in sids
    assert [sid for sid in sids if sid in ("DeleteOwnImages", "ImagePermissions", "ShareOwnImages")] == [
        "DeleteOwnImages",
        "ImagePermissions",
        "ShareOwnImages",
    ]
    assert "CreateImages" not in sids, "no CreateUpdatedWorkspaceImage for a stack without an updated image"


# What the account lacks, per kind, and the words the reason starts fixing it with (workspaces.py's hints).
REFUSALS: dict[str, tuple[str, dict[str, str], dict[str, Any], str]] = {
    "workspace-missing": ("captured", {"workspace": "ws-zzzzzzzzzz"}, {}, "check workspace_id and the stack's Region"),
    "ami-missing": ("imported", {"ami": "ami-0fedcba9876543210"}, {}, "that the AMI is this account's own"),
    "build-missing": (
        "builder",
        {"build": f"arn:aws:imagebuilder:{REGION}:{ACCOUNT}:image/missing/1.0.0/1"},
        {},
        "or its infrastructure configuration; check both ARNs",
    ),
    "builder-byol-disabled": ("builder", {}, {"byol_enabled": False}, "enable it for Bring Your Own License"),
    "captured-quota": ("captured", {}, {"image_quota": 0}, "image quota is used up"),
    "imported-quota": ("imported", {}, {"image_quota": 0}, "image quota is used up"),
    "builder-quota": ("builder", {}, {"image_quota": 0}, "image quota is used up"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_each_documented_refusal_fails_saying_what_to_fix_and_leaves_nothing(tmp_path: Path, case: str) -> None:
    kind, instead, options, words = REFUSALS[case]
    world = World.new(sources=0, default_plan=FAST, **options)
    try:
        made_from = {**sources(world), **instead}
        stack = world.deploy(golden(tmp_path, kind, made_from))
        assert stack.status == "ROLLBACK_COMPLETE"
        assert any(words in r for r in world.reasons()), world.reasons()
        assert left(world) == {}
        assert world.watching() == []
    finally:
        world.close()
