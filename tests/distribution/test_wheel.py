"""The package installs as a wheel and synthesizes, with its handler asset, outside this repository."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path

from support import ROOT

# What a clean checkout has not: environments, caches and build output.
NOT_SOURCES = (".git", ".venv", "node_modules", "build", "dist", "cdk.out*", "*.egg-info", "__pycache__", ".*_cache")

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
    print(json.dumps({"package": cdk_workspaces_image.__file__, "contract": contract.__file__}))
    """
)


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_wheel_installs_and_synthesizes_outside_the_repository(tmp_path: Path) -> None:
    # Build from a copy of the sources: setuptools keeps build/ in the tree it builds, and a stale build/lib
    # there (a module since deleted) would be packed into the wheel.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_SOURCES))
    dist = tmp_path / "dist"
    run(sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", dist, source, cwd=tmp_path)
    (wheel,) = dist.glob("cdk_workspaces_image-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        packages = {name.split("/")[0] for name in archive.namelist() if name.endswith(".py")}
    assert packages == {"cdk_workspaces_image", "cdk_workspaces_image_handler"}

    # A clean venv without pip; the project's pip installs into it, with no index and no dependencies...
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "--quiet",
        "--no-index",
        "--no-deps",
        wheel,
        cwd=tmp_path,
    )
    # ...and the dependencies come from the project's environment, read-only, so the test needs no network.
    # Only a site dir's .pth files run, so the project's editable install of this package stays invisible.
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=tmp_path).strip())
    (site / "project_deps.pth").write_text(sysconfig.get_path("purelib") + "\n")

    app_dir = tmp_path / "app"
    app_dir.mkdir()
    (app_dir / "app.py").write_text(APP)
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    out = run(python, "app.py", cwd=app_dir, env=env)

    imported = json.loads(out.strip().splitlines()[-1])
    # The construct and the contract it imports both come from the wheel.
    for name in ("package", "contract"):
        assert Path(imported[name]).is_relative_to(venv), imported
    template = json.loads((app_dir / "cdk.out" / "WheelTest.template.json").read_text())
    types = [resource["Type"] for resource in template["Resources"].values()]
    assert types.count("Custom::UpdatedWorkspaceImage") == 1
    assert types.count("AWS::Lambda::Function") == 1
    (function,) = (r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function")
    asset = app_dir / "cdk.out" / ("asset." + function["Properties"]["Code"]["S3Key"].removesuffix(".zip"))
    assert {path.name for path in asset.iterdir()} == {"index.py", "cdk_workspaces_image_handler", "crhelper"}
    for shipped in (ROOT / "lambda" / "cdk_workspaces_image_handler").glob("*.py"):
        assert (asset / "cdk_workspaces_image_handler" / shipped.name).read_bytes() == shipped.read_bytes()
