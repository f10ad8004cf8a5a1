"""What the distribution tests share, as fixtures: a clean copy of the sources, builds from it, fresh virtual
environments, and commands that must pass (``support.distribution``; the environment on the oldest supported set
is the session's ``oldest_python``, in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from support import distribution

Run = Callable[..., str]


@pytest.fixture
def sh() -> Run:
    return distribution.run


@pytest.fixture
def builder() -> Callable[..., None]:
    return distribution.build


@pytest.fixture
def pip() -> Callable[..., None]:
    return distribution.pip_install


@pytest.fixture
def app_env() -> dict[str, str]:
    return distribution.app_env()


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A copy of the checkout to build from (``distribution.copy_source`` says why)."""
    return distribution.copy_source(tmp_path / "source")


@pytest.fixture
def wheel(source: Path, tmp_path: Path) -> Path:
    """The wheel built from the source tree."""
    return distribution.build_wheel(source, tmp_path / "dist")


@pytest.fixture
def new_venv(tmp_path: Path) -> Callable[[str], Path]:
    """Makes a virtual environment without pip (this project's pip installs into it with --python): its python."""
    return lambda name: distribution.new_venv(tmp_path / name)
