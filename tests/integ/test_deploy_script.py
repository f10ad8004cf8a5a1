"""scripts/integ-deploy.sh refuses to start without what a real run needs, before any set-up or AWS call.

The script itself deploys to a real account and is never run to the end here; every run below stops at a refusal
(and has no network where the machine allows it: ``assembly.without_network``).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from assembly import HERE, ROOT, main, snapshot_dir, without_network

SCRIPT = ROOT / "scripts" / "integ-deploy.sh"
SOURCE = "wsi-abcdefghij"
BUNDLE = "wsb-abcdefghij"


def run(*args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    environment = {name: value for name, value in os.environ.items() if not name.startswith("INTEG_")}
    return subprocess.run(
        [*without_network(), str(SCRIPT), *args],
        cwd=ROOT,
        env={**environment, **variables},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_script_parses() -> None:
    assert subprocess.run(["bash", "-n", str(SCRIPT)], capture_output=True).returncode == 0


@pytest.mark.parametrize(
    ("args", "variables", "refusal"),
    [
        ((), {}, "set INTEG_SOURCE_IMAGE_ID to an image of yours"),
        ((), {"INTEG_SOURCE_IMAGE_ID": "wsi-0123456789"}, "not the snapshot's placeholder wsi-0123456789"),
        ((), {"INTEG_SOURCE_IMAGE_ID": "ami-0123456789"}, "got 'ami-0123456789'"),
        ((), {"INTEG_SOURCE_IMAGE_ID": SOURCE}, "integ_apply_to_bundle needs INTEG_BUNDLE_ID"),
        (
            ("integ_apply_to_bundle",),
            {"INTEG_SOURCE_IMAGE_ID": SOURCE, "INTEG_BUNDLE_ID": "wsb-0123456789"},
            "not the snapshot's placeholder wsb-0123456789",
        ),
        (("integ_nothing",), {"INTEG_SOURCE_IMAGE_ID": SOURCE}, "unknown test or option: integ_nothing"),
    ],
    ids=["no-source", "placeholder-source", "not-an-image", "no-bundle", "placeholder-bundle", "unknown-test"],
)
def test_it_refuses_without_the_ids_it_needs(args: tuple[str, ...], variables: dict[str, str], refusal: str) -> None:
    done = run(*args, **variables)
    assert done.returncode == 2, done.stderr
    assert refusal in done.stderr
    assert "REAL AWS account" not in done.stderr  # refused before the warning, let alone the set-up


def test_without_a_terminal_it_warns_then_needs_yes() -> None:
    done = run("integ_image_bundle", INTEG_SOURCE_IMAGE_ID=SOURCE, INTEG_BUNDLE_ID=BUNDLE)
    assert done.returncode == 2, done.stderr
    assert "this deploys to a REAL AWS account" in done.stderr
    assert "It takes HOURS" in done.stderr
    assert done.stderr.rstrip().endswith("not a terminal; pass --yes to go ahead")


def test_it_deploys_the_stacks_integ_json_names(capsys: pytest.CaptureFixture[str]) -> None:
    snapshot = snapshot_dir(HERE / "integ_image_bundle.py")
    assert main(["stacks", str(snapshot), "tests"]) == 0
    assert main(["stacks", str(snapshot), "assertions"]) == 0
    assert capsys.readouterr().out.split() == [
        "WorkspacesImageIntegBundle",
        "ImageWithBundleDefaultTestDeployAssertB4226E0B",
    ]


@pytest.mark.parametrize(
    ("results", "code"),
    [
        ([{"status": "success"}, {"status": "success"}], 0),
        ([{"status": "success"}, {"status": "fail", "message": "Expected AVAILABLE but received PENDING"}], 1),
        ([], 1),
    ],
    ids=["all-succeed", "one-fails", "none"],
)
def test_it_passes_only_when_every_assertion_succeeded(
    results: list[dict[str, str]], code: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The outputs file `cdk deploy --outputs-file` writes: an AssertionResults output per assertion."""
    outputs = {f"AssertionResultsCall{n}": json.dumps(result) for n, result in enumerate(results)}
    (tmp_path / "outputs.json").write_text(json.dumps({"Assert": {**outputs, "Other": "x"}}))
    assert main(["results", str(tmp_path / "outputs.json")]) == code
    printed = capsys.readouterr().out
    assert printed.count("Assert AssertionResultsCall") == len(results)
    if code and results:
        assert "fail Expected AVAILABLE but received PENDING" in printed
