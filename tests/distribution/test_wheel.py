"""The package installs as a wheel and synthesizes, with its handler asset, outside this repository."""

from __future__ import annotations

import json
import sysconfig
import textwrap
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from support import ROOT

from cdk_workspaces_image import _bundling

APP = textwrap.dedent(
    """
    import json
    import aws_cdk as cdk
    import cdk_workspaces_image
    from cdk_workspaces_image import UpdatedWorkspaceImage

    app = cdk.App(outdir="cdk.out")
    stack = cdk.Stack(app, "WheelTest")
    image = UpdatedWorkspaceImage(
        stack, "Golden", source_image_id="wsi-0123456789", image_name="wheel", description="From the wheel"
    )
    cdk.CfnOutput(stack, "ImageId", value=image.image_id)
    app.synth()
    from cdk_workspaces_image_handler import contract
    print(json.dumps({
        "package": cdk_workspaces_image.__file__,
        "contract": contract.__file__,
        "version": cdk_workspaces_image.__version__,
    }))
    """
)


@pytest.mark.slow
def test_wheel_installs_and_synthesizes_outside_the_repository(
    wheel: Path,
    new_venv: Callable[[str], Path],
    pip: Callable[..., None],
    sh: Callable[..., str],
    app_env: dict[str, str],
    tmp_path: Path,
) -> None:
    with zipfile.ZipFile(wheel) as archive:
        packages = {name.split("/")[0] for name in archive.namelist() if name.endswith(".py")}
        info = next(name.split("/")[0] for name in archive.namelist() if name.endswith(".dist-info/METADATA"))
        entry_points = archive.read(f"{info}/entry_points.txt").decode()
        metadata = archive.read(f"{info}/METADATA").decode()
    assert packages == {"cdk_workspaces_image", "cdk_workspaces_image_handler"}
    # The status command is a console script, and what it needs beyond the library is the `status` extra.
    assert "[console_scripts]\ncdk-workspaces-image = cdk_workspaces_image._status_cli:console" in entry_points
    assert "Provides-Extra: status" in metadata
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    assert [r for r in requires if "extra ==" in r] == [
        'Requires-Dist: boto3>=1.40.10; extra == "status"',
        'Requires-Dist: rich>=13; extra == "status"',
    ]

    # A clean venv; the project's pip installs the wheel into it, with no index and no dependencies...
    python = new_venv("venv")
    venv = python.parent.parent
    pip(python, "--no-deps", wheel)
    # ...and the dependencies come from the project's environment, read-only, so the test needs no network.
    # Only a site dir's .pth files run, so the project's editable install of this package stays invisible.
    site = Path(sh(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=tmp_path).strip())
    (site / "project_deps.pth").write_text(sysconfig.get_path("purelib") + "\n")

    app_dir = tmp_path / "app"
    app_dir.mkdir()
    (app_dir / "app.py").write_text(APP)
    out = sh(python, "app.py", cwd=app_dir, env=app_env)

    # The console script runs from the wheel (boto3 and rich come from the project's environment here).
    helped = sh(venv / "bin" / "cdk-workspaces-image", "status", "--help", cwd=app_dir, env=app_env)
    assert "cloudformation:GetTemplate" in helped

    imported = json.loads(out.strip().splitlines()[-1])
    # The construct and the contract it imports both come from the wheel, whose metadata gives the version.
    for name in ("package", "contract"):
        assert Path(imported[name]).is_relative_to(venv), imported
    assert imported["version"] == wheel.name.split("-")[1]
    template = json.loads((app_dir / "cdk.out" / "WheelTest.template.json").read_text())
    types = [resource["Type"] for resource in template["Resources"].values()]
    assert types.count("Custom::UpdatedWorkspaceImage") == 1
    assert types.count("AWS::Lambda::Function") == 1
    (function,) = (r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function")
    asset = app_dir / "cdk.out" / ("asset." + function["Properties"]["Code"]["S3Key"].removesuffix(".zip"))
    entries = {"index.py", "monitor.py"}
    assert {path.name for path in asset.iterdir()} == {*entries, "cdk_workspaces_image_handler", "crhelper"}
    for shipped in (ROOT / "lambda" / "cdk_workspaces_image_handler").glob("*.py"):
        assert (asset / "cdk_workspaces_image_handler" / shipped.name).read_bytes() == shipped.read_bytes()
    # crhelper comes from the wheel's vendored copy, whatever the environment has installed.
    vendored = _bundling.crhelper_files(_bundling.CRHELPER_DIR)
    assert sorted(p.name for p in (asset / "crhelper").iterdir()) == sorted(p.name for p in vendored)
    for path in vendored:
        assert (asset / "crhelper" / path.name).read_bytes() == path.read_bytes()
