"""The status command against the emulator, through an unmodified boto3 over HTTP, signed as a user allowed exactly
the actions the command documents: CloudFormation's answers come from the driver's stacks (set here to each moment of
a deploy), WorkSpaces' from the emulator, "now" from the Date header of the virtual clock. No sleeps: --watch's sleep
advances the virtual clock."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from support.status import STACK, image_id_of, template

from aws_emulator import Plan
from cdk_workspaces_image import _status_cli
from cdk_workspaces_image._status_read import ACTIONS
from cdk_workspaces_image_handler import contract, kernel
from cfn_driver.cloud import ACCOUNT, REGION, LocalCloud
from cfn_driver.engine import CloudFormation, Reported, Stack

COPY_REGION = "eu-central-1"


class Local:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.cloud = LocalCloud(seed=7)
        self.cfn = CloudFormation(self.cloud, self.cloud.clock, account=ACCOUNT, region=REGION)
        self.stack = Stack(
            STACK,
            f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK}/{uuid.uuid4()}",
            template=template(),
            status="CREATE_IN_PROGRESS",
            created=self.cloud.clock.now(),
        )
        self.cfn.stacks[STACK] = self.stack
        self.cfn.stack_ids[self.stack.stack_id] = self.stack
        self.user(ACTIONS)

    def user(self, actions: tuple[str, ...]) -> None:
        """The command's environment: the emulator's endpoints and a user allowed `actions`, no AWS configuration."""
        policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]}
        keys = self.cloud.assume_role(f"arn:aws:iam::{ACCOUNT}:role/StatusReader", "status", lambda: [policy])
        for name in [k for k in os.environ if k.startswith("AWS_")]:
            self.monkeypatch.delenv(name)
        for name, value in {**self.cloud.server.environ(), **keys}.items():
            self.monkeypatch.setenv(name, value)
        self.monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
        self.monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
        self.monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)

    def report(self, lid: str, status: str, physical_id: str = "", reason: str = "") -> None:
        rtype = str(self.stack.template["Resources"][lid]["Type"])
        self.stack.reported[lid] = Reported(lid, rtype, physical_id, status, self.cloud.clock.now(), reason)

    def owner_tag(self, lid: str, stack_id: str | None = None) -> dict[str, str]:
        sid = stack_id or self.stack.stack_id
        value = f"{kernel.stack_key(sid)}.{kernel.resource_key(sid, lid)}.{kernel.digest('request')}"
        return {contract.OWNER_TAG_KEY: value}

    def run(self, *args: str, tty: bool = False, sleep: Any = None) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = _status_cli.main(
            ["status", *args], out=out, err=err, tty=tty, width=160, sleep=sleep or (lambda _: None)
        )
        return code, out.getvalue(), err.getvalue()

    def json(self, *args: str) -> tuple[int, dict[str, Any]]:
        code, out, err = self.run(STACK, "--json", *args)
        assert not err
        return code, json.loads(out)

    def close(self) -> None:
        self.cfn.close()
        self.cloud.close()


@pytest.fixture
def local(monkeypatch: pytest.MonkeyPatch) -> Iterator[Local]:
    world = Local(monkeypatch)
    yield world
    try:
        assert world.cloud.access.denials == [], "the documented actions are enough"
    finally:
        world.close()


def rows(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["logical_id"]: r for r in document["resources"]}


def mid_create(local: Local) -> dict[str, str]:
    """An hour into a create: the updated image made and waited for, its copy and the bundle not started, the import
    under way. Answers the ids."""
    ws = local.cloud.workspaces
    ws.plan_next_images(Plan.available(after_seconds=3 * 3600))
    golden = ws.add_image("golden-1", state="PENDING", tags=local.owner_tag("Golden"), plan=Plan.never())
    local.report("Golden", "CREATE_COMPLETE", golden)
    local.report("GoldenAvailable", "CREATE_IN_PROGRESS")
    built = ws.handle(
        "ImportCustomWorkspaceImage",
        {
            "ImageName": "golden-built",
            "ImageDescription": "Imported",
            "ComputeType": "BASE",
            "Protocol": "DCV",
            "ImageSource": {"Ec2ImageId": ws.add_ami()},
            "InfrastructureConfigurationArn": ws.add_infrastructure_configuration(),
            "Platform": "WINDOWS",
            "OsVersion": "Windows_11",
        },
    )["ImageId"]
    local.report("Built", "CREATE_COMPLETE", built)
    local.report("BuiltAvailable", "CREATE_IN_PROGRESS")
    local.cloud.clock.advance(3600)
    return {"Golden": golden, "Built": built}


def test_mid_create_each_row_says_its_state_deadline_progress_and_next_step(local: Local) -> None:
    ids = mid_create(local)
    code, document = local.json()
    assert code == 2
    assert document["now"] == "2024-01-01T01:00:00Z", "the Date header of the virtual clock"
    assert document["now_from"] == "the Date header of AWS's latest answer"
    assert (document["phase"], document["exit_code"], document["stack"]["status"]) == (
        "waiting",
        2,
        "CREATE_IN_PROGRESS",
    )
    shown = rows(document)
    golden = shown["Golden"]
    assert (golden["resource_id"], golden["workspaces_state"], golden["found_by"]) == (
        ids["Golden"],
        "PENDING",
        "physical id",
    )
    assert (golden["began"], golden["deadline"], golden["elapsed_seconds"]) == (
        "2024-01-01T00:00:00Z",
        "2024-01-01T03:00:00Z",
        3600.0,
    )
    assert golden["next"] == (
        "waits until AVAILABLE, fails at 2024-01-01 03:00:00 UTC; then CloudFormation creates GoldenCopy, Parameter, "
        "Standard"
    )
    # The Image Builder import reports how far it got (DescribeCustomWorkspaceImageImport); the image is not listed.
    built = shown["Built"]
    assert built["workspaces_state"] == "PENDING"
    assert 0 < built["progress_percentage"] < 100
    assert built["progress"].startswith("import ")
    assert built["began_from"] == "the image's Created in DescribeCustomWorkspaceImageImport", "it is not listed yet"
    # The bundle and the copy wait on the image, which CloudFormation has not finished waiting for.
    assert shown["Standard"]["next"] == "not started: CloudFormation starts it once Golden is done"
    assert (shown["GoldenCopy"]["region"], shown["GoldenCopy"]["cloudformation_status"]) == (COPY_REGION, "")


def test_the_json_document_has_the_documented_shape(local: Local) -> None:
    mid_create(local)
    _, document = local.json()
    assert set(document) == {"stack", "now", "now_from", "phase", "exit_code", "resources"}
    assert set(document["stack"]) == {"name", "id", "status", "reason", "region"}
    assert {tuple(sorted(r)) for r in document["resources"]} == {
        tuple(
            sorted(
                [
                    "logical_id", "type", "kind", "path", "region", "phase", "cloudformation_status", "wait_status",
                    "workspaces_state", "resource_id", "found_by", "began", "began_from", "deadline", "deadline_from",
                    "elapsed_seconds", "progress_percentage", "progress", "next",
                ]
            )
        )
    }  # fmt: skip
    assert [r["kind"] for r in document["resources"]] == ["image", "copy", "bundle", "image"]


def test_an_image_in_progress_is_found_by_its_tag_before_cloudformation_has_an_id(local: Local) -> None:
    ws = local.cloud.workspaces
    # Another stack's image of the same name, and an older one of another name, are not this resource's.
    ws.add_image("golden-1", state="PENDING", tags=local.owner_tag("Golden", "arn:other"), plan=Plan.never())
    ws.add_image("golden-0", state="AVAILABLE", tags=local.owner_tag("Golden"))
    mine = ws.add_image("golden-1", state="PENDING", tags=local.owner_tag("Golden"), plan=Plan.never())
    local.report("Golden", "CREATE_IN_PROGRESS")
    code, document = local.json()
    golden = rows(document)["Golden"]
    assert code == 2
    assert (golden["resource_id"], golden["found_by"], golden["cloudformation_status"]) == (
        mine,
        "name and ownership tag",
        "CREATE_IN_PROGRESS",
    )
    assert golden["next"].startswith("waits for the provider's answer, then until AVAILABLE")


def test_a_bundle_being_made_is_found_by_its_tag(local: Local) -> None:
    ws = local.cloud.workspaces
    image = ws.add_image("golden-1", tags=local.owner_tag("Golden"))
    local.report("Golden", "CREATE_COMPLETE", image)
    local.report("GoldenAvailable", "CREATE_COMPLETE")
    bundle = ws.add_bundle(image, "golden-standard", tags=local.owner_tag("Standard"))
    local.report("Standard", "CREATE_IN_PROGRESS")
    _, document = local.json()
    standard = rows(document)["Standard"]
    assert (standard["resource_id"], standard["found_by"], standard["deadline"]) == (
        bundle,
        "name and ownership tag",
        "2024-01-01T01:00:00Z",
    )


def test_a_copy_is_read_in_its_own_region(local: Local) -> None:
    ws = local.cloud.workspaces
    golden = ws.add_image("golden-1", tags=local.owner_tag("Golden"))
    local.report("Golden", "CREATE_COMPLETE", golden)
    local.report("GoldenAvailable", "CREATE_COMPLETE")
    copied = local.cloud.workspaces_in(COPY_REGION).add_image(
        "golden-1", state="PENDING", tags=local.owner_tag("GoldenCopy"), plan=Plan.never()
    )
    local.report("GoldenCopy", "CREATE_COMPLETE", copied)
    local.report("GoldenCopyAvailable", "CREATE_IN_PROGRESS")
    assert copied not in ws.images, "the copy is not in the stack's Region"
    _, document = local.json()
    copy = rows(document)["GoldenCopy"]
    assert (copy["region"], copy["resource_id"], copy["workspaces_state"], copy["phase"]) == (
        COPY_REGION,
        copied,
        "PENDING",
        "waiting",
    )
    assert rows(document)["Golden"]["phase"] == "done"


def test_apply_to_bundle_shows_the_bundle_it_repoints(local: Local) -> None:
    ws = local.cloud.workspaces
    golden = ws.add_image("golden-1", tags=local.owner_tag("Golden"))
    older = ws.add_image("older")
    yours = ws.add_bundle(older, "yours")
    local.stack.template["Resources"]["Applied"] = {
        "Type": contract.BUNDLE_IMAGE_TYPE,
        "Properties": {"ServiceToken": "arn", "BundleId": yours, "ImageId": image_id_of("Golden")},
    }
    local.report("Golden", "CREATE_COMPLETE", golden)
    local.report("GoldenAvailable", "CREATE_COMPLETE")
    local.report("Applied", "CREATE_IN_PROGRESS")
    _, document = local.json()
    applied = rows(document)["Applied"]
    assert (applied["kind"], applied["resource_id"], applied["found_by"], applied["workspaces_state"]) == (
        "bundle image",
        yours,
        "BundleId",
        "AVAILABLE",
    )
    assert (
        applied["next"]
        == "waits for the provider's answer, fails at 2024-01-01 01:00:00 UTC; then CloudFormation goes on"
    )


def test_a_failed_wait_exits_1_with_cloudformations_reason(local: Local) -> None:
    ws = local.cloud.workspaces
    golden = ws.add_image("golden-1", state="PENDING", tags=local.owner_tag("Golden"))
    ws.images[golden].state = "ERROR"
    ws.images[golden].error_code, ws.images[golden].error_message = "UpdateFailed", "The image could not be updated"
    local.report("Golden", "CREATE_COMPLETE", golden)
    reason = "WaitCondition received failed message: 'image went to ERROR' for uniqueId: Golden"
    local.report("GoldenAvailable", "CREATE_FAILED", reason=reason)
    local.stack.status = "ROLLBACK_IN_PROGRESS"
    code, out, err = local.run(STACK)
    assert (code, err) == (1, "")
    assert f"next: failed: {reason}" in out
    assert out.rstrip().endswith("something failed (exit code 1)")


def test_all_done_exits_0(local: Local) -> None:
    ws = local.cloud.workspaces
    for lid, region in (("Golden", REGION), ("GoldenCopy", COPY_REGION), ("Built", REGION)):
        image = local.cloud.workspaces_in(region).add_image("x", tags=local.owner_tag(lid))
        local.report(lid, "CREATE_COMPLETE", image)
        local.report(f"{lid}Available", "CREATE_COMPLETE")
    local.report("Standard", "CREATE_COMPLETE", ws.add_bundle(next(iter(ws.images)), "golden-standard"))
    local.stack.status = "CREATE_COMPLETE"
    code, out, _ = local.run(STACK)
    assert code == 0
    assert out.count("next: done") == 4
    assert out.rstrip().endswith("all done (exit code 0)")


def test_plain_lines_when_not_a_terminal_and_a_table_with_bars_when_it_is(local: Local) -> None:
    mid_create(local)
    _, plain, _ = local.run(STACK)
    assert "\x1b[" not in plain
    lines = plain.splitlines()
    assert lines[0] == f"Stack {STACK} in {REGION}: CREATE_IN_PROGRESS"
    assert lines[1] == "Now 2024-01-01 01:00:00 UTC, from the Date header of AWS's latest answer"
    assert lines[2].startswith("WAITING  Golden (Custom::UpdatedWorkspaceImage): wsi-")
    assert "         waiting 1h00m, since 2024-01-01 00:00:00 UTC (the image's Created in DescribeWorkspaceImages); " \
        "deadline 2024-01-01 03:00:00 UTC, in 2h00m" in lines  # fmt: skip
    _, table, _ = local.run(STACK, tty=True)
    assert "\x1b[" in table, "rich draws for a terminal"
    assert "━" in table, "a progress bar"
    assert "1h00m of 3h00m allowed" in table


def done_at_the_second_look(local: Local, ids: dict[str, str], slept: list[float]) -> Callable[[float], None]:
    """--watch's sleep: time passes (virtually) by the interval, and at the second look everything is over."""

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        local.cloud.clock.advance(seconds)
        if len(slept) == 2:
            local.cloud.workspaces.images[ids["Golden"]].state = "AVAILABLE"
            for lid in ("GoldenAvailable", "BuiltAvailable"):
                local.report(lid, "CREATE_COMPLETE")
            local.cloud.workspaces.images[ids["Built"]].state = "AVAILABLE"
            for lid, region in (("GoldenCopy", COPY_REGION),):
                image = local.cloud.workspaces_in(region).add_image("c", tags=local.owner_tag(lid))
                local.report(lid, "CREATE_COMPLETE", image)
                local.report(f"{lid}Available", "CREATE_COMPLETE")
            local.report("Standard", "CREATE_COMPLETE", local.cloud.workspaces.add_bundle(ids["Golden"], "s"))
            local.stack.status = "CREATE_COMPLETE"

    return sleep


def test_watch_reads_again_until_nothing_waits(local: Local) -> None:
    slept: list[float] = []
    sleep = done_at_the_second_look(local, mid_create(local), slept)
    code, out, _ = local.run(STACK, "--watch", "--interval", "600", "--json", sleep=sleep)
    documents = [json.loads(line) for line in out.splitlines()]
    assert (code, slept) == (0, [600.0, 600.0])
    assert [d["exit_code"] for d in documents] == [2, 2, 0]
    assert [d["now"] for d in documents] == ["2024-01-01T01:00:00Z", "2024-01-01T01:10:00Z", "2024-01-01T01:20:00Z"]


def test_watch_in_a_terminal_redraws_one_table_in_place(local: Local) -> None:
    slept: list[float] = []
    sleep = done_at_the_second_look(local, mid_create(local), slept)
    code, out, _ = local.run(STACK, "--watch", "--interval", "600", tty=True, sleep=sleep)
    assert (code, slept) == (0, [600.0, 600.0])
    # rich's Live moves the cursor up over the last drawing and draws the next over it: three readings, one table.
    cursor_up = "\x1b[1A"
    frames = out.split("\x1b[2K" + cursor_up)
    assert cursor_up in out
    assert "1h00m of 3h00m allowed" in out, "the first reading"
    assert "all done (exit code 0)" in out.rsplit(cursor_up, 1)[-1], "the last drawing is the last reading"
    assert len(frames) > 2
    _, once, _ = local.run(STACK, tty=True)
    assert cursor_up not in once, "without --watch, a table is printed, not redrawn"


def test_a_stack_not_found_says_where_it_looked(local: Local) -> None:
    code, out, err = local.run("Nope")
    assert (code, out) == (1, "")
    assert err.startswith(
        f"cdk-workspaces-image status: stack Nope not found in Region {REGION}: check --region (or AWS_DEFAULT_REGION"
    )


def test_usage_errors_and_an_unknown_profile_exit_1_not_2(local: Local, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SystemExit) as caught:
        local.run()
    assert caught.value.code == 1, "2 means still waiting"
    monkeypatch.setenv("AWS_PROFILE", "nobody")
    code, _, err = local.run(STACK)
    assert code == 1
    assert err.startswith(
        "cdk-workspaces-image status: The config profile (nobody) could not be found: check AWS_PROFILE"
    )


def test_access_denied_names_the_action_to_allow(local: Local) -> None:
    local.user(tuple(a for a in ACTIONS if a != "cloudformation:GetTemplate"))
    code, _, err = local.run(STACK)
    assert code == 1
    assert err.startswith("cdk-workspaces-image status: your credentials may not call cloudformation:GetTemplate: ")
    local.cloud.access.denials.clear()


def test_without_boto3_or_rich_it_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "rich", None)
    err = io.StringIO()
    assert _status_cli.main(["status", STACK], out=io.StringIO(), err=err) == 1
    assert err.getvalue().strip() == (
        "the status command needs rich, which cdk-workspaces-image does not install by itself: "
        "pip install 'cdk-workspaces-image[status]'"
    )


def test_importing_the_library_imports_neither_boto3_nor_rich() -> None:
    """Nor do the command's decisions, or the handler's kernel they take the ownership tag's rules from."""
    modules = "cdk_workspaces_image, cdk_workspaces_image._status_decide, cdk_workspaces_image_handler.kernel"
    probe = f"import sys, {modules}; print(sorted({{'boto3', 'botocore', 'rich', 'crhelper'}} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120)
    assert done.stdout.strip() == "[]"


def test_the_help_names_the_iam_actions_and_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _status_cli.main(["status", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert all(action in shown for action in ACTIONS)
    assert "exit codes: 0 all done, 1 something failed (or the stack could not be read), 2 still waiting" in shown


def test_the_command_starts_without_aws_cdk_lib_or_node() -> None:
    """The package's constructs load on first use, so the command imports no aws-cdk-lib (whose jsii runtime needs
    Node.js and seconds to start): it runs on a machine with Python and boto3 alone. PATH holds no node here."""
    probe = (
        "import sys; from cdk_workspaces_image import _status_cli, _status_decide, _status_read, _status_view; "
        "print(sorted({'aws_cdk', 'jsii', 'constructs'} & set(sys.modules)))"
    )
    env = {k: v for k, v in os.environ.items() if k != "PATH"} | {"PATH": os.path.dirname(sys.executable)}
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120, env=env
    )
    assert done.stdout.strip() == "[]"
    helped = subprocess.run(
        [sys.executable, "-m", "cdk_workspaces_image", "status", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert helped.returncode == 0, helped.stderr
    assert "exit codes" in helped.stdout


def test_the_package_exports_each_public_name_from_its_module() -> None:
    import cdk_workspaces_image

    names = set(cdk_workspaces_image.__all__) - {"__version__"}
    assert names == set(cdk_workspaces_image._MODULES)
    for name in sorted(names):
        value = getattr(cdk_workspaces_image, name)
        assert value.__name__ == name
        assert value.__module__ == f"cdk_workspaces_image.{cdk_workspaces_image._MODULES[name]}"
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        _ = cdk_workspaces_image.Nope  # type: ignore[attr-defined]
