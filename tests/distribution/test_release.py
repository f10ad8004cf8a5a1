"""Release hygiene: an sdist and a wheel that PyPI would take, an sdist that alone builds the very same wheel, and
one version number, pyproject.toml's, that the package reports as ``__version__``."""

from __future__ import annotations

import hashlib
import sys
import tarfile
import tomllib
import zipfile
from collections.abc import Callable
from email.parser import HeaderParser
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from support import ROOT

import cdk_workspaces_image
from cdk_workspaces_image import _version

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

# The sdist's top level: the two source folders, what PEP 517 and setuptools need, and what a reader needs.
SDIST_TOP = {
    "CHANGELOG.md",
    "LICENSE",
    "MANIFEST.in",
    "PKG-INFO",
    "README.md",
    "cdk_workspaces_image.egg-info",
    "constructs",
    "lambda",
    "pyproject.toml",
    "setup.cfg",
}


def entries(wheel: Path) -> list[tuple[str, str]]:
    """Each member of a wheel, in order, with the digest of its bytes."""
    with zipfile.ZipFile(wheel) as archive:
        return [(name, hashlib.sha256(archive.read(name)).hexdigest()) for name in archive.namelist()]


@pytest.mark.slow
def test_sdist_and_wheel_pass_twine_and_the_sdist_alone_builds_the_same_wheel(
    source: Path, tmp_path: Path, sh: Callable[..., str], builder: Callable[..., None]
) -> None:
    dist = tmp_path / "dist"
    builder(source, dist, "--sdist")
    builder(source, dist, "--wheel")
    (sdist,) = dist.glob("*.tar.gz")
    (wheel,) = dist.glob("*.whl")
    sh(sys.executable, "-m", "twine", "check", "--strict", sdist, wheel, cwd=tmp_path)

    unpacked = tmp_path / "unpacked"
    with tarfile.open(sdist) as archive:
        archive.extractall(unpacked, filter="data")
    (tree,) = unpacked.iterdir()
    assert {path.name for path in tree.iterdir()} == SDIST_TOP
    vendored = tree / "constructs" / "cdk_workspaces_image" / "_vendor" / "crhelper"
    assert {"__init__.py", "resource_helper.py", "LICENSE", "NOTICE"} <= {path.name for path in vendored.iterdir()}

    again = tmp_path / "again"
    builder(tree, again, "--wheel")
    (rebuilt,) = again.glob("*.whl")
    assert rebuilt.name == wheel.name
    assert entries(rebuilt) == entries(wheel)


@pytest.mark.slow
def test_wheel_metadata_names_the_readme_licenses_and_ranges(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        (metadata_name,) = (name for name in archive.namelist() if name.endswith(".dist-info/METADATA"))
        metadata = HeaderParser().parsestr(archive.read(metadata_name).decode())
        names = set(archive.namelist())
    assert metadata["Version"] == PYPROJECT["version"]
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata["Description-Content-Type"] == "text/markdown"
    assert str(metadata.get_payload()).strip() == (ROOT / "README.md").read_text().strip()
    # The library's ranges, and the status command's extra (boto3, rich) under its marker only.
    extras = PYPROJECT.get("optional-dependencies", {})
    declared = {Requirement(line) for line in PYPROJECT["dependencies"]} | {
        Requirement(f'{line}; extra == "{extra}"') for extra, lines in extras.items() for line in lines
    }
    assert set(extras) == {"status"}
    assert {Requirement(line) for line in metadata.get_all("Requires-Dist") or []} == declared
    for license_file in metadata.get_all("License-File") or []:
        assert f"{metadata_name.split('/')[0]}/licenses/{license_file}" in names
    assert set(metadata.get_all("License-File") or []) == set(PYPROJECT["license-files"])


def test_license_is_the_full_apache_2_text() -> None:
    text = (ROOT / "LICENSE").read_text()
    # The canonical text (https://www.apache.org/licenses/LICENSE-2.0.txt): all nine sections and the appendix.
    assert "Apache License\n                           Version 2.0, January 2004" in text
    for section in range(1, 10):
        assert f"\n   {section}. " in text
    assert "END OF TERMS AND CONDITIONS" in text
    assert "APPENDIX: How to apply the Apache License to your work." in text
    assert hashlib.md5((ROOT / "LICENSE").read_bytes(), usedforsecurity=False).hexdigest() == (
        "3b83ef96387f14655fc854ddc3c6bd57"
    )


def test_version_is_pyprojects() -> None:
    assert cdk_workspaces_image.__version__ == PYPROJECT["version"]
    assert "__version__" in cdk_workspaces_image.__all__


def test_version_outside_a_source_tree_comes_from_metadata_or_is_unknown(tmp_path: Path) -> None:
    module = tmp_path / "site-packages" / "cdk_workspaces_image" / "_version.py"
    assert _version.from_source_tree(module) is None
    # A pyproject.toml of another project next to it says nothing about this one.
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "other"\nversion = "9.9.9"\n')
    assert _version.from_source_tree(module) is None
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "cdk-workspaces-image"\nversion = "1.2.3"\n')
    assert _version.from_source_tree(module) == "1.2.3"
    assert _version.UNKNOWN == "0+unknown"
