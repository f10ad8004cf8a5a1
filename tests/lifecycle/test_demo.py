"""The demo main.sh runs (cfn_driver/demo.py) on the example app: three months and a failed one, with the news."""

from __future__ import annotations

import re
from pathlib import Path

import aws_cdk as cdk
import pytest
from support.construct import cdk_context, load_example_app

from cdk_workspaces_image._status_read import ACTIONS
from cfn_driver import demo

SHARED_WITH = "444455556666"
COPIED_TO = "eu-central-1"
BYOL_AMI = "ami-0123456789abcdef0"


def synth(outdir: Path, generation: int) -> Path:
    """The example app as main.sh's `cdk synth -c generation=N -c share_with_accounts=... -c copy_to_regions=...`
    makes it, with its real asset."""
    context = {key: value for key, value in cdk_context().items() if key != "image_name"}
    app = cdk.App(
        outdir=str(outdir),
        context={
            **context,
            "generation": str(generation),
            "share_with_accounts": SHARED_WITH,
            "copy_to_regions": COPIED_TO,
            "byol_ami": BYOL_AMI,
        },
    )
    load_example_app().build_app(app)
    app.synth()
    return outdir


def test_the_demo_shows_the_monthly_loop(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    months = [synth(tmp_path / f"month{n}", n) for n in (1, 2, 3)]
    failing = synth(tmp_path / "failing", 4)
    assert demo.main([*map(str, months), "--failing", str(failing)]) == 0
    out = capsys.readouterr().out
    news = re.findall(r"\[bus\] (WorkSpaces [A-Za-z ]+):", out)
    month = [
        "WorkSpaces Image Available",
        "WorkSpaces Image Retention",
        "WorkSpaces Bundle Image Changed",
        "WorkSpaces Image Available",  # the copy in COPIED_TO
        "WorkSpaces Image Retention",  # keep_previous among the copies there
        "WorkSpaces Image Update Available",
    ]
    assert news == [
        "WorkSpaces Image Available",
        "WorkSpaces Image Available",
        "WorkSpaces Image Available",  # the BYOL image imported beside it
        "WorkSpaces Image Update Available",
        *month,
        *month,
        "WorkSpaces Image Failed",
    ]
    first = re.search(r"image (wsi-\w+) \(golden-updated-1\) is AVAILABLE", out)
    assert first is not None
    assert f"WorkSpaces Image Retention: deleted {first[1]};" in out, "month 3 deletes generation 1 (keep_previous=1)"
    # Each month's image is shared once AVAILABLE, before the stack goes on; the failed month's image never is.
    shared = re.findall(rf"image (wsi-\w+) \((golden-updated-\d)\) is shared with {SHARED_WITH}", out)
    assert [name for _, name in shared] == ["golden-updated-1", "golden-updated-2", "golden-updated-3"]
    assert out.index(f"{first[1]} (golden-updated-1) is shared") < out.index("[bus] WorkSpaces Image Available")
    # And copied to the second Region, where month 3 deletes the first month's copy.
    copies = re.findall(rf"Available: (wsi-\w+) \((golden-updated-\d)\) in {COPIED_TO}", out)
    assert [name for _, name in copies] == ["golden-updated-1", "golden-updated-2", "golden-updated-3"]
    assert f"WorkSpaces Image Retention: deleted {copies[0][0]};" in out
    assert out.count(", 0 denied") == 4
    # The BYOL image imported from the AMI beside the updated one, made once and kept through every month.
    byol = set(re.findall(r"Output ByolImageId = (wsi-\w+)", out))
    assert len(byol) == 1
    assert out.count(f"{next(iter(byol))} golden-byol AVAILABLE") == 4
    # Each later month is the generation the monitor asked for in its parameter, as a pipeline would read it.
    asked = re.findall(r"\[ssm\] /cdk-workspaces-image/example/golden-generation = (\d+)", out)
    assert asked == ["2", "3", "4"]
    assert "UPDATE_ROLLBACK_COMPLETE" in out


def test_the_demo_runs_the_status_command_mid_wait(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An hour into the first deploy the status command (its own process, over HTTP, as a user allowed only the
    actions it documents) shows the image and the import still being made, and the bundle and copy waiting on them."""
    assert demo.STATUS_ACTIONS == ACTIONS, "the demo's user is allowed exactly what the command documents"
    assert demo.main([str(synth(tmp_path / "month1", 1))]) == 0
    out = capsys.readouterr().out
    start = out.index("+01:00:00  $ cdk-workspaces-image status WorkspacesImageExample\n")
    end = out.index("(exit code 2)", start)
    shown = out[start:end]
    made = re.search(r"Golden\w* +CREATE_COMPLETE", out)
    assert made is not None
    assert made.start() < start, "the image is made..."
    assert end < out.index("[bus] WorkSpaces Image Available"), "...and not AVAILABLE yet"
    assert all(line.startswith(" " * 12) for line in shown.splitlines()[1:]), "indented"
    lines = [line.strip() for line in shown.splitlines()[1:]]
    assert lines[0] == "Stack WorkspacesImageExample in eu-west-1: CREATE_IN_PROGRESS"
    assert lines[1] == "Now 2024-01-01 01:00:00 UTC, from the Date header of AWS's latest answer"
    assert re.search(r"WAITING  Golden\w+ \(Custom::UpdatedWorkspaceImage\): wsi-\w+", shown)
    assert re.search(r"WAITING  Byol\w+ \(Custom::ImportedWorkspaceImage\): wsi-\w+", shown)
    assert lines.count("state: CloudFormation CREATE_COMPLETE, wait CREATE_IN_PROGRESS, WorkSpaces PENDING") == 2
    assert "next: waits until AVAILABLE, fails at 2024-01-01 03:00:05 UTC; then CloudFormation creates" in shown
    # The copy and the bundle wait for the image.
    assert len([line for line in lines if re.fullmatch(r"next: not started: .* once Golden\w+ is done", line)]) == 2
    assert lines[-1] == "still waiting"
