"""Offline packaging of the handler asset: the handler package, its entry module and the pinned crhelper, no Docker.

The asset holds ``cdk_workspaces_image_handler/`` (the package this library ships beside the constructs),
``index.py`` (the entry the function's ``index.handler`` names) and ``crhelper/``.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import shutil
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

import cdk_workspaces_image_handler

CRHELPER_VERSION = "2.0.12"
PACKAGE = cdk_workspaces_image_handler.__name__
# The function's handler setting names the module `index`; it only re-exports the package's handler.
ENTRY_FILE = "index.py"
ENTRY = f"from {PACKAGE}.index import handler\n\n__all__ = ['handler']\n"


def handler_dir() -> Path:
    """The handler package, wherever it is installed (a source checkout, an editable install or a wheel)."""
    return Path(cdk_workspaces_image_handler.__file__).resolve().parent


def handler_files(package_dir: Path) -> list[Path]:
    """The handler modules that go into the asset: tests and caches stay behind."""
    return sorted(
        path
        for path in package_dir.glob("*.py")
        if path.is_file() and not path.name.startswith("test_") and path.name != "conftest.py"
    )


def installed_crhelper_version() -> str | None:
    try:
        return importlib.metadata.version("crhelper")
    except importlib.metadata.PackageNotFoundError:
        return None


def crhelper_dir() -> Path:
    """The installed crhelper package, after checking it is the version the handler was written against."""
    installed = installed_crhelper_version()
    if installed != CRHELPER_VERSION:
        raise RuntimeError(
            f"cdk-workspaces-image bundles crhelper=={CRHELPER_VERSION} into its Lambda asset, "
            f"but {'no crhelper' if installed is None else f'crhelper {installed}'} is installed; "
            f"run: pip install crhelper=={CRHELPER_VERSION}"
        )
    spec = importlib.util.find_spec("crhelper")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("cdk-workspaces-image: crhelper is installed but its package directory was not found")
    return Path(next(iter(spec.submodule_search_locations)))


def asset_hash(package_dir: Path) -> str:
    """Changes whenever a bundled handler module, the entry or the crhelper version changes, and only then."""
    digest = hashlib.sha256()
    for path in handler_files(package_dir):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(ENTRY.encode() + b"\0")
    digest.update(f"crhelper=={installed_crhelper_version()}".encode())
    return digest.hexdigest()


def _copy_modules(target: Path, files: list[Path]) -> None:
    target.mkdir(exist_ok=True)
    for path in files:
        shutil.copy2(path, target / path.name)


@jsii.implements(ILocalBundling)
class LocalBundler:
    """Fills the asset directory with the handler and crhelper, so synth needs neither Docker nor a network."""

    def __init__(self, package_dir: Path) -> None:
        self._package_dir = package_dir

    # jsii spreads the BundlingOptions struct into keyword arguments; none of them matter here.
    def try_bundle(self, output_dir: str, *, image: DockerImage, **options: Any) -> bool:
        out = Path(output_dir)
        _copy_modules(out / PACKAGE, handler_files(self._package_dir))
        (out / ENTRY_FILE).write_text(ENTRY)
        source = crhelper_dir()
        _copy_modules(out / "crhelper", sorted(source.glob("*.py")))
        return True


def handler_code(runtime: lambda_.Runtime) -> lambda_.Code:
    """The function code; Docker bundling is only the fallback CDK requires to be named, never used."""
    package_dir = handler_dir()
    return lambda_.Code.from_asset(
        str(package_dir),
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=asset_hash(package_dir),
        bundling=BundlingOptions(image=runtime.bundling_image, local=LocalBundler(package_dir)),
    )
