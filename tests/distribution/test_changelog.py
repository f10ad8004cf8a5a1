"""CHANGELOG.md and the README keep up with the one version number."""

from __future__ import annotations

import re
import tomllib

from support import ROOT

import cdk_workspaces_image


def test_the_changelog_has_a_section_for_this_version_and_one_for_what_is_unreleased() -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert cdk_workspaces_image.__version__ == version
    headings = re.findall(r"^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$", (ROOT / "CHANGELOG.md").read_text(), re.M)
    assert headings[0] == ("Unreleased", ""), "keep-a-changelog: [Unreleased] first"
    assert headings[1][0] == version, f"the newest released section must be {version}, the version of pyproject.toml"
    assert headings[1][1], "a released section carries its date"


def test_the_readme_names_this_version_where_it_names_one() -> None:
    """The install commands and the stability note spell the version out; they follow pyproject.toml."""
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    readme = (ROOT / "README.md").read_text()
    named = set(re.findall(r"cdk_workspaces_image-(\d+\.\d+\.\d+)", readme)) | set(
        re.findall(r"Version (\d+\.\d+\.\d+)", readme)
    )
    assert named == {version}
