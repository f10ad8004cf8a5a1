"""Offline packaging of the handler asset: its own modules plus the pinned crhelper, no Docker."""

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

CRHELPER_VERSION = "2.0.12"


def handler_files(handler_dir: Path) -> list[Path]:
    """The handler modules that go into the asset: tests and caches stay behind."""
    return sorted(
        path
        for path in handler_dir.glob("*.py")
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


def asset_hash(handler_dir: Path) -> str:
    """Changes whenever a bundled handler module or the crhelper version changes, and only then."""
    digest = hashlib.sha256()
    for path in handler_files(handler_dir):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(f"crhelper=={installed_crhelper_version()}".encode())
    return digest.hexdigest()


@jsii.implements(ILocalBundling)
class LocalBundler:
    """Copies the handler and crhelper into the asset directory, so synth needs neither Docker nor a network."""

    def __init__(self, handler_dir: Path) -> None:
        self._handler_dir = handler_dir

    # jsii spreads the BundlingOptions struct into keyword arguments; none of them matter here.
    def try_bundle(self, output_dir: str, *, image: DockerImage, **options: Any) -> bool:
        out = Path(output_dir)
        for path in handler_files(self._handler_dir):
            shutil.copy2(path, out / path.name)
        source = crhelper_dir()
        target = out / "crhelper"
        target.mkdir(exist_ok=True)
        for path in sorted(source.glob("*.py")):
            shutil.copy2(path, target / path.name)
        return True


def handler_code(handler_dir: Path, runtime: lambda_.Runtime) -> lambda_.Code:
    """The function code; Docker bundling is only the fallback CDK requires to be named, never used."""
    return lambda_.Code.from_asset(
        str(handler_dir),
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=asset_hash(handler_dir),
        bundling=BundlingOptions(image=runtime.bundling_image, local=LocalBundler(handler_dir)),
    )
