"""What the distribution tests share, as fixtures: a clean copy of the sources, builds from it, fresh virtual
environments, and commands that must pass."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from support import ROOT

# What a clean checkout has not: environments, caches and build output.
NOT_SOURCES = (".git", ".venv", "node_modules", "build", "dist", "cdk.out*", "*.egg-info", "__pycache__", ".*_cache")

Run = Callable[..., str]


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120) -> str:
    """Runs a command to success and answers its standard output; a failure shows both outputs."""
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def build(source: Path, outdir: Path, *what: str) -> None:
    """``python -m build`` with the project's own setuptools (no network, no isolated environment)."""
    run(sys.executable, "-m", "build", *what, "--no-isolation", "--outdir", outdir, source, cwd=source.parent)


@pytest.fixture
def sh() -> Run:
    return run


@pytest.fixture
def builder() -> Callable[..., None]:
    return build


def pip_install(python: Path, *args: str | Path) -> None:
    """This project's pip installs into another environment, from no index: only what ``args`` offer."""
    run(sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-index", *args, cwd=python.parent)


@pytest.fixture
def pip() -> Callable[..., None]:
    return pip_install


@pytest.fixture
def app_env() -> dict[str, str]:
    """This process's environment (PATH has Node 22 first), minus what would make another interpreter see this
    project's venv."""
    return {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A copy of the checkout to build from: setuptools keeps build/ in the tree it builds, and a stale build/lib
    there (a module since deleted) would be packed into the wheel."""
    copy = tmp_path / "source"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(*NOT_SOURCES))
    return copy


@pytest.fixture
def wheel(source: Path, tmp_path: Path) -> Path:
    """The wheel built from the source tree."""
    dist = tmp_path / "dist"
    build(source, dist, "--wheel")
    (built,) = dist.glob("cdk_workspaces_image-*.whl")
    return built


@pytest.fixture
def new_venv(tmp_path: Path) -> Callable[[str], Path]:
    """Makes a virtual environment without pip (this project's pip installs into it with --python): its python."""

    def make(name: str) -> Path:
        venv = tmp_path / name
        run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
        return venv / "bin" / "python"

    return make
