"""The handler asset: bundled with crhelper without Docker, and hashed on what it ships."""

from __future__ import annotations

import shutil
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from support.construct import PROPS, new_stack, only

from cdk_workspaces_image import UpdatedWorkspaceImage, _asset, _bundling


def test_asset_bundles_the_handler_and_crhelper_without_docker(tmp_path: Path) -> None:
    stack = new_stack(bundle=True, outdir=str(tmp_path))
    UpdatedWorkspaceImage(stack, "Golden", **PROPS)
    assembly = cdk.App.of(stack).synth()  # type: ignore[union-attr]
    _, function = only(Template.from_stack(stack), "AWS::Lambda::Function")
    asset_hash = function["Properties"]["Code"]["S3Key"].removesuffix(".zip")
    asset = Path(assembly.directory) / f"asset.{asset_hash}"

    names = {path.name for path in asset.iterdir()}
    assert {"index.py", "rules.py", "crhelper"} <= names
    assert "__pycache__" not in names
    assert not [name for name in names if name.startswith("test_")]
    assert (asset / "crhelper" / "__init__.py").is_file()
    assert (asset / "crhelper" / "resource_helper.py").is_file()
    for path in _bundling.handler_files(_asset.handler_dir()):
        assert (asset / path.name).read_bytes() == path.read_bytes()


def test_asset_hash_follows_the_handler_files(tmp_path: Path) -> None:
    copy = tmp_path / "lambda"
    shutil.copytree(_asset.handler_dir(), copy, ignore=shutil.ignore_patterns("__pycache__"))
    original = _bundling.asset_hash(copy)

    (copy / "test_ignored.py").write_text("assert True\n")
    (copy / "notes.txt").write_text("not bundled\n")
    assert _bundling.asset_hash(copy) == original

    with (copy / "rules.py").open("a") as rules_file:
        rules_file.write("\n# changed\n")
    assert _bundling.asset_hash(copy) != original


def test_asset_hash_follows_the_crhelper_version(monkeypatch: pytest.MonkeyPatch) -> None:
    original = _bundling.asset_hash(_asset.handler_dir())
    monkeypatch.setattr(_bundling, "installed_crhelper_version", lambda: "2.0.13")
    assert _bundling.asset_hash(_asset.handler_dir()) != original


def test_bundling_refuses_another_crhelper_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_bundling, "installed_crhelper_version", lambda: "2.0.11")
    with pytest.raises(RuntimeError, match=r"crhelper==2\.0\.12.*crhelper 2\.0\.11 is installed"):
        _bundling.crhelper_dir()
