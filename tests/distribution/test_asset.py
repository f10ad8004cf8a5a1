"""The handler asset: bundled with the vendored crhelper without Docker, and hashed on what it ships."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from support import ROOT
from support.construct import PROPS, new_stack, only

from cdk_workspaces_image import UpdatedWorkspaceImage, _bundling


def test_asset_bundles_the_handler_and_crhelper_without_docker(tmp_path: Path) -> None:
    stack = new_stack(bundle=True, outdir=str(tmp_path))
    UpdatedWorkspaceImage(stack, "Golden", **PROPS)
    assembly = cdk.App.of(stack).synth()  # type: ignore[union-attr]
    _, function = only(Template.from_stack(stack), "AWS::Lambda::Function")
    asset_hash = function["Properties"]["Code"]["S3Key"].removesuffix(".zip")
    asset = Path(assembly.directory) / f"asset.{asset_hash}"

    assert {path.name for path in asset.iterdir()} == {"index.py", "monitor.py", _bundling.PACKAGE, "crhelper"}
    # The function's handler setting names index.handler: the entry only re-exports the package's handler.
    assert (asset / "index.py").read_text() == _bundling.ENTRY
    shipped = {path.name for path in (asset / _bundling.PACKAGE).iterdir()}
    assert "__pycache__" not in shipped
    assert not [name for name in shipped if name.startswith("test_")]
    # crhelper's modules with its license and notice, from the copy the library ships; its stubs stay behind.
    shipped_crhelper = sorted(path.name for path in (asset / "crhelper").iterdir())
    assert {"__init__.py", "resource_helper.py", "LICENSE", "NOTICE"} <= set(shipped_crhelper)
    assert not [name for name in shipped_crhelper if name.endswith(".pyi")]
    for path in _bundling.crhelper_files(_bundling.CRHELPER_DIR):
        assert (asset / "crhelper" / path.name).read_bytes() == path.read_bytes()
    assert shipped_crhelper == sorted(path.name for path in _bundling.crhelper_files(_bundling.CRHELPER_DIR))
    for path in _bundling.handler_files(_bundling.handler_dir()):
        assert (asset / _bundling.PACKAGE / path.name).read_bytes() == path.read_bytes()
    assert {path.name for path in _bundling.handler_files(_bundling.handler_dir())} == shipped


def test_asset_hash_follows_the_handler_files(tmp_path: Path) -> None:
    copy = tmp_path / _bundling.PACKAGE
    shutil.copytree(_bundling.handler_dir(), copy, ignore=shutil.ignore_patterns("__pycache__"))
    original = _bundling.asset_hash(copy)

    (copy / "test_ignored.py").write_text("assert True\n")
    (copy / "notes.txt").write_text("not bundled\n")
    assert _bundling.asset_hash(copy) == original

    with (copy / "contract.py").open("a") as contract_file:
        contract_file.write("\n# changed\n")
    assert _bundling.asset_hash(copy) != original


def test_asset_hash_follows_the_vendored_crhelper_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "crhelper"
    shutil.copytree(_bundling.CRHELPER_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    original = _bundling.asset_hash(_bundling.handler_dir())
    monkeypatch.setattr(_bundling, "CRHELPER_DIR", copy)
    assert _bundling.asset_hash(_bundling.handler_dir()) == original

    # Type stubs are not bundled, so they do not count; a module and the notice do.
    (copy / "utils.pyi").write_text("# changed\n")
    assert _bundling.asset_hash(_bundling.handler_dir()) == original
    for name in ("utils.py", "NOTICE"):
        before = _bundling.asset_hash(_bundling.handler_dir())
        with (copy / name).open("a") as changed:
            changed.write("\n# changed\n")
        assert _bundling.asset_hash(_bundling.handler_dir()) != before


def test_bundling_refuses_an_incomplete_vendored_crhelper(tmp_path: Path) -> None:
    copy = tmp_path / "crhelper"
    shutil.copytree(_bundling.CRHELPER_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "NOTICE").unlink()
    with pytest.raises(RuntimeError, match="is incomplete; reinstall cdk-workspaces-image"):
        _bundling.crhelper_files(copy)


@pytest.mark.slow
def test_the_construct_imports_the_contract_from_a_plain_source_checkout() -> None:
    """No install of this project at all: constructs/ and lambda/ on sys.path are enough."""
    code = textwrap.dedent(
        """
        import json, sys
        # Drop the editable install's import hook, so only sys.path can find the two packages.
        sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in type(f).__module__]
        sys.path[:0] = [sys.argv[1] + "/constructs", sys.argv[1] + "/lambda"]
        import cdk_workspaces_image
        from cdk_workspaces_image_handler import contract
        print(json.dumps([cdk_workspaces_image.__file__, contract.__file__]))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(ROOT)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    package, contract = (Path(p) for p in json.loads(done.stdout.strip().splitlines()[-1]))
    assert package.is_relative_to(ROOT / "constructs")
    assert contract == ROOT / "lambda" / "cdk_workspaces_image_handler" / "contract.py"
