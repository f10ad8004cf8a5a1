"""Offline packaging of the handler asset: the handler package, its entry module and the vendored crhelper, no Docker.

The asset holds ``cdk_workspaces_image_handler/`` (the package this library ships beside the constructs),
``index.py`` (the entry the provider's ``index.handler`` names), ``monitor.py`` (the entry of the update monitor's
``contract.MONITOR_HANDLER``) and ``crhelper/``, copied from the unmodified
crhelper this library ships as data (``_vendor/crhelper``, refreshed by scripts/vendor-crhelper.sh). Whatever
crhelper a user has installed, if any, plays no part: one library version always makes the same asset.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

import cdk_workspaces_image_handler
from cdk_workspaces_image_handler import contract

PACKAGE = cdk_workspaces_image_handler.__name__


def _entry(module: str) -> str:
    """A top-level module that only re-exports the handler of the package's module of the same name."""
    return f"from {PACKAGE}.{module} import handler\n\n__all__ = ['handler']\n"


# The provider's handler setting names the module `index`.
ENTRY_FILE = "index.py"
ENTRY = _entry("index")
# The update monitor's function, from the same asset: its handler setting is contract.MONITOR_HANDLER.
MONITOR_MODULE = contract.MONITOR_HANDLER.rpartition(".")[0]
MONITOR_ENTRY_FILE = f"{MONITOR_MODULE}.py"
MONITOR_ENTRY = _entry(MONITOR_MODULE)
# Every entry file of the asset, and what it holds.
ENTRIES = {ENTRY_FILE: ENTRY, MONITOR_ENTRY_FILE: MONITOR_ENTRY}


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


# Data of this package, never imported: the handler imports `crhelper` from the asset's top level, in Lambda.
CRHELPER_DIR = Path(__file__).resolve().parent / "_vendor" / "crhelper"
# Apache-2.0 (section 4) asks that the license and NOTICE travel with every copy, the asset's too.
CRHELPER_NOTICES = ("LICENSE", "NOTICE")


def crhelper_files(vendored: Path) -> list[Path]:
    """The vendored crhelper's modules and notices that go into the asset: its type stubs stay behind."""
    modules = sorted(vendored.glob("*.py"))
    notices = [vendored / name for name in CRHELPER_NOTICES]
    if not modules or not all(path.is_file() for path in notices):
        raise RuntimeError(
            f"cdk-workspaces-image: the crhelper it ships in {vendored} is incomplete; reinstall cdk-workspaces-image"
        )
    return modules + notices


def asset_hash(package_dir: Path) -> str:
    """Changes whenever a bundled handler module, the entry or a bundled crhelper file changes, and only then."""
    digest = hashlib.sha256()
    for folder, files in ((PACKAGE, handler_files(package_dir)), ("crhelper", crhelper_files(CRHELPER_DIR))):
        for path in files:
            digest.update(f"{folder}/{path.name}".encode() + b"\0" + path.read_bytes() + b"\0")
    for name, entry in sorted(ENTRIES.items()):
        digest.update(f"{name}\0{entry}\0".encode())
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
        for name, entry in ENTRIES.items():
            (out / name).write_text(entry)
        _copy_modules(out / "crhelper", crhelper_files(CRHELPER_DIR))
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
