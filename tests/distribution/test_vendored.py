"""The vendored crhelper is upstream's release, unmodified: byte-identical to the installed distribution of the
version that _vendor/vendor.txt and requirements-dev.txt both pin (scripts/vendor-crhelper.sh refreshes it)."""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path

from packaging.requirements import Requirement
from support import ROOT

import cdk_workspaces_image
from cdk_workspaces_image import _bundling

VENDOR_TXT = _bundling.CRHELPER_DIR.parent / "vendor.txt"


def pinned(path: Path) -> str:
    """The crhelper version a requirements file pins."""
    (version,) = (
        spec.version
        for line in path.read_text().splitlines()
        if line.startswith("crhelper")
        for spec in Requirement(line).specifier
        if spec.operator == "=="
    )
    return version


def test_vendored_version_is_the_one_the_tests_install() -> None:
    assert pinned(VENDOR_TXT) == pinned(ROOT / "requirements-dev.txt") == importlib.metadata.version("crhelper")


def test_vendored_files_are_the_installed_distributions_byte_for_byte() -> None:
    distribution = importlib.metadata.distribution("crhelper")
    upstream: dict[str, bytes] = {}
    for file in distribution.files or []:
        module = file.parts[0] == "crhelper" and len(file.parts) == 2
        notice = file.parts[0].endswith(".dist-info") and file.name in _bundling.CRHELPER_NOTICES
        if module or notice:
            upstream[file.name] = Path(str(distribution.locate_file(file))).read_bytes()
    assert {"__init__.py", "resource_helper.py", "LICENSE", "NOTICE"} <= set(upstream)
    vendored = {path.name: path.read_bytes() for path in _bundling.CRHELPER_DIR.iterdir() if path.is_file()}
    assert vendored == upstream


def test_the_library_never_imports_its_vendored_crhelper() -> None:
    assert cdk_workspaces_image.__file__ is not None
    assert not [name for name in sys.modules if name.startswith(f"{cdk_workspaces_image.__name__}._vendor")]
    assert not [
        module
        for module in list(sys.modules.values())
        if Path(str(getattr(module, "__file__", None) or "/")).resolve().is_relative_to(_bundling.CRHELPER_DIR)
    ]
