"""Builds and fresh environments: what the distribution tests use, and the environment with the wheel beside the
oldest supported set that ``tests/distribution/test_oldest.py`` and the integ tests (``tests/integ``) share.

The oldest set is constraints-oldest.txt; scripts/bootstrap.sh downloads it, with everything it requires, into
.venv/wheelhouse-oldest, so pip installs from there with no index.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support import ROOT

OLDEST = ROOT / "constraints-oldest.txt"
WHEELHOUSE = ROOT / ".venv" / "wheelhouse-oldest"

# What a clean checkout has not: environments, caches and build output.
NOT_SOURCES = (".git", ".venv", "node_modules", "build", "dist", "cdk.out*", "*.egg-info", "__pycache__", ".*_cache")


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120) -> str:
    """Runs a command to success and answers its standard output; a failure shows both outputs."""
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def run_at_once(
    commands: dict[str, list[str]], *, cwd: dict[str, Path], env: dict[str, dict[str, str]], timeout: float = 300
) -> dict[str, subprocess.CompletedProcess[str]]:
    """Each named command started at once (in its own folder and environment), and how each ended; those still
    running when one fails to finish are killed."""
    running: dict[str, subprocess.Popen[str]] = {}
    results = {}
    try:
        for name, command in commands.items():
            running[name] = subprocess.Popen(
                command, cwd=cwd[name], env=env[name], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
        for name, process in running.items():
            stdout, stderr = process.communicate(timeout=timeout)
            results[name] = subprocess.CompletedProcess(commands[name], process.returncode, stdout, stderr)
    finally:
        for process in running.values():
            if process.poll() is None:  # only after a failure above
                process.kill()
                process.wait()
    return results


def app_env() -> dict[str, str]:
    """This process's environment (PATH has Node 22 first), minus what would make another interpreter see this
    project's venv: for an app run by another environment's python."""
    return {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}


def copy_source(copy: Path) -> Path:
    """A copy of the checkout to build from: setuptools keeps build/ in the tree it builds, and a stale build/lib
    there (a module since deleted) would be packed into the wheel."""
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(*NOT_SOURCES))
    return copy


def build(source: Path, outdir: Path, *what: str) -> None:
    """``python -m build`` with the project's own setuptools (no network, no isolated environment)."""
    run(sys.executable, "-m", "build", *what, "--no-isolation", "--outdir", outdir, source, cwd=source.parent)


def build_wheel(source: Path, dist: Path) -> Path:
    build(source, dist, "--wheel")
    (built,) = dist.glob("cdk_workspaces_image-*.whl")
    return built


def new_venv(venv: Path) -> Path:
    """A virtual environment without pip (this project's pip installs into it with --python): its python."""
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=venv.parent)
    return venv / "bin" / "python"


def pip_install(python: Path, *args: str | Path) -> None:
    """This project's pip installs into another environment, from no index: only what ``args`` offer."""
    run(sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-index", *args, cwd=python.parent)


def oldest_environment(work: Path) -> Path:
    """The wheel built from a copy of the checkout, installed with pip resolving its requirements against the
    oldest set (integ-tests-alpha included): the environment's python."""
    if not WHEELHOUSE.is_dir():
        pytest.fail(f"{WHEELHOUSE} is missing: run `source scripts/bootstrap.sh` (it downloads the oldest set)")
    wheel = build_wheel(copy_source(work / "source"), work / "dist")
    python = new_venv(work / "venv")
    pip_install(python, "--find-links", WHEELHOUSE, "--no-compile", "-r", OLDEST, wheel)
    # aws-cdk-lib releases this old import every service module at `import aws_cdk` (160 MB of Python): without
    # bytecode (PYTHONDONTWRITEBYTECODE, or a read-only site) each process compiles them again, 16 s instead of 6,
    # and integ-runner starts several. Compiled here once, on every core; pip's own compiling is serial.
    site = run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=work).strip()
    run(python, "-m", "compileall", "-q", "-j0", site, cwd=work, timeout=300)
    return python
