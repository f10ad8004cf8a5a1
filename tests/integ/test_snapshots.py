"""The integ apps' committed snapshots, checked by the pinned ``@aws-cdk/integ-runner`` itself, offline.

integ-runner 2.197.10 reads cloud assembly schema 53 at most and this project's aws-cdk-lib 2.275.0 writes 55, so
integ-runner runs the apps with the python of the session's environment on the oldest supported set
(``oldest_python``: the wheel beside aws-cdk-lib 2.90.0 and integ-tests-alpha 2.90.0a0, which write schema 33).
The check is what a developer would type, with no deploying flag: integ-runner synthesizes each app and compares
its test stacks with ``integ_<name>.py.snapshot/``. No test here can reach AWS: the runs have a network namespace
of their own where the machine allows one, placeholder credentials and no config file, integ-runner's or AWS's.

integ-runner compares the test stacks only (``IntegTestSuite.stacks``); the assertion stacks, which hold what
the tests assert, are compared here with the ones integ-runner writes afresh, the ``salt`` aside.

After a deliberate change, ``UPDATE_SNAPSHOTS=1 ./scripts/test.sh tests/integ`` has integ-runner write the
snapshots (``--update-on-failed --dry-run``, which synthesizes and never deploys) and keeps each committed one
whose templates are the same but for the salt; review the diff.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from assembly import HERE, ROOT, apps, snapshot_dir, stack_names, synth_environment, without_network

INTEG_RUNNER = ROOT / "node_modules" / ".bin" / "integ-runner"
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"
HINT = "; after a deliberate change run UPDATE_SNAPSHOTS=1 ./scripts/test.sh tests/integ and review the diff"
APPS = [app.stem for app in apps()]
# How integ-runner reports each test: "  UNCHANGED  integ_image_bundle 14.9s".
VERDICT = re.compile(r"^  (UNCHANGED|CHANGED|NEW|SUCCESS|ERROR|FAILED|ASSERT|WARN) +(\S+) ", re.MULTILINE)
# The assertion resources of integ-tests-alpha, and the property it sets to Date.now() at each synth so that a
# redeploy runs them again.
ASSERTION_TYPE = re.compile(r"^Custom::DeployAssert@")
SALT = "salt"


def integ_runner(python: Path, directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The pinned integ-runner on the apps under ``directory``, each run by ``python``; ``args`` add to its
    snapshot check. ``--config`` names no file, so no integ.config.json can add a flag."""
    environment = {
        name: value
        for name, value in synth_environment().items()
        if not name.startswith("AWS_") and name not in ("PYTHONPATH", "VIRTUAL_ENV", "FORCE_COLOR")
    }
    environment.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "eu-west-1",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "FORCE_COLOR": "0",
        }
    )
    command = [
        *without_network(),
        str(INTEG_RUNNER),
        *("--config", os.devnull, "--directory", directory.name, "--language", "python"),
        *("--app", f"{python} {{filePath}}"),
        *args,
    ]
    return subprocess.run(
        command, cwd=directory.parent, env=environment, capture_output=True, text=True, timeout=600, check=False
    )


def verdicts(done: subprocess.CompletedProcess[str]) -> dict[str, str]:
    return {test: verdict for verdict, test in VERDICT.findall(done.stdout + done.stderr)}


def without_salt(template: dict[str, Any]) -> dict[str, Any]:
    masked = copy.deepcopy(template)
    for resource in masked.get("Resources", {}).values():
        if ASSERTION_TYPE.match(resource.get("Type", "")) and SALT in resource.get("Properties", {}):
            resource["Properties"][SALT] = f"<{SALT}>"
    return masked


def templates(snapshot: Path, stacks: list[str]) -> dict[str, dict[str, Any]]:
    return {stack: without_salt(json.loads((snapshot / f"{stack}.template.json").read_text())) for stack in stacks}


def content(snapshot: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """What a snapshot says, but for the salts: its integ.json and every template."""
    stacks = sorted(path.name.removesuffix(".template.json") for path in snapshot.glob("*.template.json"))
    return json.loads((snapshot / "integ.json").read_text()), templates(snapshot, stacks)


def assertions(snapshot: Path) -> dict[str, dict[str, Any]]:
    return templates(snapshot, stack_names(snapshot)[1])


def replace_snapshot(fresh: Path, committed: Path) -> None:
    """integ-runner keeps integ-tests-alpha's handler in the snapshot (2 MB of JavaScript, under asset.*); no
    check reads it and a deployment synthesizes afresh, so it is not committed."""
    shutil.rmtree(committed, ignore_errors=True)
    shutil.copytree(fresh, committed, ignore=lambda _dir, names: [n for n in names if n.startswith("asset.")])


@pytest.fixture(scope="module")
def regenerated(oldest_python: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """integ-runner's own snapshots of the apps as they are: in a copy of the apps without snapshots, it finds each
    test NEW and, with --update-on-failed --dry-run, writes its snapshot (synthesis only: --dry-run skips deploy
    and destroy, integ-test-runner.js). With UPDATE_SNAPSHOTS=1, each replaces a committed one it differs from."""
    directory = tmp_path_factory.mktemp("regenerated") / "integ"
    directory.mkdir()
    for source in [*apps(), HERE / "harness.py"]:
        shutil.copy(source, directory)
    done = integ_runner(oldest_python, directory, "--update-on-failed", "--dry-run")
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert set(verdicts(done).values()) == {"NEW", "SUCCESS"}, output
    for app in apps():
        fresh = directory / snapshot_dir(app).name
        assert fresh.is_dir(), output
        committed = snapshot_dir(app)
        if UPDATE and (not committed.is_dir() or content(committed) != content(fresh)):
            replace_snapshot(fresh, committed)
    return directory


def test_integ_runner_finds_the_snapshots_unchanged(oldest_python: Path, request: pytest.FixtureRequest) -> None:
    if UPDATE:
        request.getfixturevalue("regenerated")
    done = integ_runner(oldest_python, HERE)
    output = done.stdout + done.stderr
    assert verdicts(done) == dict.fromkeys(APPS, "UNCHANGED"), f"{output}{HINT}"
    assert done.returncode == 0, output
    assert f"Tests:    {len(APPS)} passed, {len(APPS)} total" in output, output
    assert "Running integration tests" not in output, "integ-runner went on to its deploying phase"


@pytest.mark.parametrize("app", APPS)
def test_the_assertions_are_the_committed_ones(app: str, regenerated: Path) -> None:
    """What integ-runner does not compare: the assertion stack, as integ-runner writes it now."""
    committed = snapshot_dir(HERE / f"{app}.py")
    assert assertions(committed) == assertions(regenerated / committed.name), f"{app}'s assertions changed{HINT}"


def test_a_changed_app_fails_the_check(oldest_python: Path, tmp_path: Path) -> None:
    """A copy of the apps and snapshots, one app with a bundle of another compute type: integ-runner names it."""
    directory = tmp_path / "integ"
    shutil.copytree(HERE, directory, ignore=shutil.ignore_patterns("__pycache__", "cdk-integ.out.*"))
    app = directory / "integ_image_bundle.py"
    source = app.read_text()
    changed = source.replace("ComputeType.STANDARD", "ComputeType.PERFORMANCE")
    assert changed != source
    app.write_text(changed)

    done = integ_runner(oldest_python, directory, app.name)

    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert verdicts(done) == {"integ_image_bundle": "CHANGED"}, output
    assert "[~] Custom::WorkspaceBundle Standard6231A280" in output, output
    assert re.search(r"\[-\] STANDARD\n.*\[\+\] PERFORMANCE\n", output), output


def test_only_the_salt_is_set_aside() -> None:
    """The comparison of assertion stacks sees a changed expectation, not a later synth's salt."""
    snapshot = snapshot_dir(HERE / "integ_image_bundle.py")
    [stack] = stack_names(snapshot)[1]
    template = json.loads((snapshot / f"{stack}.template.json").read_text())
    calls = [r for r in template["Resources"].values() if ASSERTION_TYPE.match(r["Type"])]
    assert len(calls) == 2
    assert all(SALT in call["Properties"] for call in calls)

    later = copy.deepcopy(template)
    for call in (r for r in later["Resources"].values() if ASSERTION_TYPE.match(r["Type"])):
        call["Properties"][SALT] = str(int(call["Properties"][SALT]) + 60_000)
    assert without_salt(later) == without_salt(template)

    text = json.dumps(template)
    available = '\\"State\\":\\"AVAILABLE\\"'
    assert available in text, "the committed assertions expect the image AVAILABLE"
    pending = json.loads(text.replace(available, '\\"State\\":\\"PENDING\\"'))
    assert without_salt(pending) != without_salt(template)
