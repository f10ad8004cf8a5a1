"""scripts/bootstrap.sh picks a Python 3.11 or newer (PYTHON=, else python3.11, else python3), refuses an older one
with words that say what to do, makes a .venv of another version again, and shows a failing step's log with what to
do: run on a copy of the script in a folder of its own, with stand-in pythons on a PATH of nothing else, so nothing
is installed and the project's .venv is never touched. What the real set-up prints is CI's (.ci/run, a fresh clone).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from support import ROOT

# What bootstrap.sh runs besides python, pip and npm.
TOOLS = ("bash", "cat", "cp", "cut", "date", "dirname", "mkdir", "readlink", "rm", "sha256sum", "tail", "wc")

# A stand-in python of one version: answers bootstrap's version probe, makes a "venv" of itself, and fails as pip
# would without a network.
FAKE_PYTHON = """#!/bin/sh
case "$1" in
  -c) echo "{version}" ;;
  -m)
    if [ "$2" = venv ]; then mkdir -p "$3/bin" && cp "$0" "$3/bin/python" && echo "made $3"; exit 0; fi
    echo "ERROR: Could not find a version that satisfies the requirement aws-cdk-lib (no network here)" >&2
    exit 1 ;;
esac
"""


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A folder with bootstrap.sh and the files it hashes: its ROOT."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "bootstrap.sh", tmp_path / "scripts")
    for name in ("requirements.txt", "requirements-dev.txt", "pyproject.toml", "constraints-oldest.txt"):
        (tmp_path / name).write_text(f"# {name}\n")
    return tmp_path


def fake_python(bin_dir: Path, name: str, version: str) -> Path:
    path = bin_dir / name
    path.write_text(FAKE_PYTHON.format(version=version))
    path.chmod(0o755)
    return path


def bootstrap(checkout: Path, pythons: dict[str, str], **env: str) -> subprocess.CompletedProcess[str]:
    """`source scripts/bootstrap.sh` with only TOOLS and these stand-in pythons (name: version) on PATH."""
    bin_dir = checkout / "bin"
    bin_dir.mkdir(exist_ok=True)
    for tool in TOOLS:
        found = shutil.which(tool)
        assert found, tool
        if not (bin_dir / tool).exists():
            (bin_dir / tool).symlink_to(found)
    for name, version in pythons.items():
        fake_python(bin_dir, name, version)
    return subprocess.run(
        [str(bin_dir / "bash"), "-c", "source scripts/bootstrap.sh"],
        cwd=checkout,
        env={"PATH": str(bin_dir), "HOME": str(checkout), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_python311_is_the_default_and_a_failing_step_prints_its_log_and_what_to_do(checkout: Path) -> None:
    done = bootstrap(checkout, {"python3.11": "3.11.9", "python3": "3.13.1"})
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert lines[0].startswith("==> Python 3.11.9 (python3.11) in .venv ... ")
    assert lines[0].endswith(" s")
    assert lines[1].startswith(
        "==> Python packages (pip install -r requirements-dev.txt; a few minutes the first time) ... "
    )
    assert "FAILED after" in lines[1]
    assert lines[2] == "--- .venv/logs/pip-install.log:"
    assert "no network here" in done.stderr
    assert lines[-1].startswith('!! The step "Python packages (pip install -r requirements-dev.txt; ')
    assert "Check that PyPI (or your PIP_INDEX_URL) can be reached" in lines[-1]
    assert (checkout / ".venv" / "logs" / "pip-install.log").is_file()
    assert not (checkout / ".venv" / ".requirements.sha256").exists(), "a failed install is tried again next time"


def test_python3_serves_when_it_is_new_enough_and_python311_is_absent(checkout: Path) -> None:
    done = bootstrap(checkout, {"python3": "3.12.4"})
    assert done.stderr.startswith("==> Python 3.12.4 (python3) in .venv ... ")


@pytest.mark.parametrize(
    ("pythons", "env", "words"),
    [
        (
            {"python3": "3.10.12"},
            {},
            "!! no Python 3.11 or newer: python3.11 does not run here and python3 is 3.10.12.",
        ),
        ({}, {}, "!! no Python 3.11 or newer: python3.11 does not run here and python3 is missing."),
        (
            {"python3.11": "3.11.9", "python3.10": "3.10.12"},
            {"PYTHON": "python3.10"},
            "!! PYTHON=python3.10 is Python 3.10.12; this project needs 3.11 or newer (e.g. PYTHON=python3.12)",
        ),
        (
            {"python3.11": "3.11.9"},
            {"PYTHON": "python3.14"},
            "!! PYTHON=python3.14 does not run; set PYTHON to a Python 3.11 or newer",
        ),
    ],
    ids=["old-python3", "no-python", "old-PYTHON", "missing-PYTHON"],
)
def test_an_older_or_missing_python_is_refused_before_anything_is_made(
    checkout: Path, pythons: dict[str, str], env: dict[str, str], words: str
) -> None:
    done = bootstrap(checkout, pythons, **env)
    assert done.returncode == 2
    assert done.stderr.startswith(words), done.stderr
    assert not (checkout / ".venv").exists()


def test_a_venv_of_another_version_is_kept_without_python_and_made_again_with_it(checkout: Path) -> None:
    pythons = {"python3.11": "3.11.9", "python3.13": "3.13.1"}
    bootstrap(checkout, pythons, PYTHON="python3.13")
    kept = bootstrap(checkout, pythons)
    assert kept.stderr.startswith("==> Python 3.13.1 in .venv: up to date (PYTHON=python3.X makes it again ")

    again = bootstrap(checkout, pythons, PYTHON="python3.11")
    lines = again.stderr.splitlines()
    assert lines[0] == "==> .venv: making it again, as it has Python 3.13.1 and PYTHON=python3.11 is 3.11.9"
    assert lines[1].startswith("==> Python 3.11.9 (python3.11) in .venv ... ")


def test_a_linked_venv_of_another_version_is_refused_not_replaced(checkout: Path) -> None:
    """A worktree's .venv linked to the main checkout's is never removed, nor what it links to."""
    pythons = {"python3.11": "3.11.9", "python3.13": "3.13.1"}
    elsewhere = checkout / "elsewhere"
    (elsewhere / "bin").mkdir(parents=True)
    fake_python(elsewhere / "bin", "python", "3.13.1")
    (checkout / ".venv").symlink_to(elsewhere)
    done = bootstrap(checkout, pythons, PYTHON="python3.11")
    assert done.returncode == 2
    assert done.stderr.startswith(f"!! .venv is a link to {elsewhere}, and it has Python 3.13.1 and PYTHON=")
    assert (elsewhere / "bin" / "python").is_file()
