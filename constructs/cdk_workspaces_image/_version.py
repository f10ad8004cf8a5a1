"""The library's version, whose one source is pyproject.toml.

An installed wheel reads it from its distribution's metadata (importlib.metadata). Code that runs from a source
tree (a plain checkout, or one installed editable) reads the pyproject.toml of that tree: the version of the code
that runs, even when the install's metadata is stale or another copy is installed. Anything else is "0+unknown".
"""

from __future__ import annotations

import importlib.metadata
import tomllib
from pathlib import Path

DISTRIBUTION = "cdk-workspaces-image"
UNKNOWN = "0+unknown"


def from_source_tree(module: Path) -> str | None:
    """The version in the pyproject.toml of the source tree ``module`` sits in (constructs/cdk_workspaces_image/),
    if it is this project's."""
    pyproject = module.resolve().parents[2] / "pyproject.toml"
    try:
        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
    except (OSError, tomllib.TOMLDecodeError):
        return None
    version = project.get("version")
    return version if project.get("name") == DISTRIBUTION and isinstance(version, str) else None


def from_distribution() -> str | None:
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return None


__version__: str = from_source_tree(Path(__file__)) or from_distribution() or UNKNOWN
