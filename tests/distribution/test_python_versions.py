"""The wheel installs on the newer Pythons the README's tested-with table names, 3.12 and 3.13, and synthesizes
examples/minimal there, when this machine has them (the rest of the suite runs on the project's own, 3.11).

Cheap by design: one wheel for both, and per interpreter one new environment and one synth. pip installs the wheel
itself into the new environment (checking its Requires-Python and tags for that interpreter); aws-cdk-lib 2.275.0,
constructs, cdk-nag, jsii and what they require come from the project's environment, read-only, as in
test_wheel.py: they are pure-Python wheels (py3-none-any), the same files whichever Python 3 reads them. pip
resolving the requirements against the oldest supported set is test_oldest.py's, on 3.11.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sysconfig
from collections.abc import Callable
from pathlib import Path

import pytest
from support import ROOT, distribution

VERSIONS = ("3.12", "3.13")


def find_python(version: str) -> Path | None:
    """A python of that X.Y that runs: python3.X on PATH (not a pyenv shim of an unselected version), else one of
    pyenv's installed versions, else the usual system places."""
    candidates = [shutil.which(f"python{version}")]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += sorted(glob.glob(str(pyenv / "versions" / f"{version}.*" / "bin" / f"python{version}")), reverse=True)
    candidates += [f"/usr/bin/python{version}", f"/usr/local/bin/python{version}"]
    for candidate in candidates:
        if not candidate or not Path(candidate).is_file():
            continue
        done = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode == 0 and done.stdout.strip() == version:
            return Path(candidate)
    return None


@pytest.fixture(scope="module")
def module_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One wheel for every interpreter, built from a clean copy of the checkout."""
    work = tmp_path_factory.mktemp("python-versions")
    return distribution.build_wheel(distribution.copy_source(work / "source"), work / "dist")


@pytest.mark.slow
@pytest.mark.parametrize("version", VERSIONS)
def test_the_wheel_installs_and_synthesizes_the_minimal_example(
    version: str,
    module_wheel: Path,
    sh: Callable[..., str],
    app_env: dict[str, str],
    tmp_path: Path,
    pytestconfig: pytest.Config,
) -> None:
    interpreter = find_python(version)
    if interpreter is None:
        pytest.skip(
            f"no Python {version} here (python{version} on PATH, pyenv's versions, /usr/bin, /usr/local/bin): "
            f"install one to run this test; the README's table says {version} was tested this way"
        )
    sh(interpreter, "-m", "venv", "--without-pip", tmp_path / "venv", cwd=tmp_path)
    python = tmp_path / "venv" / "bin" / "python"
    distribution.pip_install(python, "--no-deps", module_wheel)
    site = Path(sh(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=tmp_path).strip())
    (site / "project_deps.pth").write_text(sysconfig.get_path("purelib") + "\n")

    app = tmp_path / "app"
    shutil.copytree(ROOT / "examples" / "minimal", app)
    # What `cdk synth` gives the app: cdk.json's context (the recommended feature flags) with the -c values, and an
    # output directory. That Python's bytecode goes to pytest's cache folder (kept for the next run: compiling the
    # modules aws-cdk-lib imports takes seconds), never beside the project's own.
    context = {**json.loads((app / "cdk.json").read_text())["context"], "source_image_id": "wsi-0123456789"}
    pycache = pytestconfig.cache.mkdir("pycache-other-pythons") if pytestconfig.cache else tmp_path / "pycache"
    env = {
        **app_env,
        "CDK_CONTEXT_JSON": json.dumps(context),
        "CDK_OUTDIR": str(tmp_path / "cdk.out"),
        "PYTHONPYCACHEPREFIX": str(pycache),
    }
    probe = (
        "import json, runpy, sys, cdk_workspaces_image, aws_cdk; runpy.run_path('app.py', run_name='__main__'); "
        "print(json.dumps({'python': '%d.%d' % sys.version_info[:2], 'package': cdk_workspaces_image.__file__, "
        "'version': cdk_workspaces_image.__version__}))"
    )
    out = sh(python, "-c", probe, cwd=app, env=env, timeout=240)
    report = json.loads(out.strip().splitlines()[-1])
    assert report["python"] == version
    assert Path(report["package"]).is_relative_to(tmp_path / "venv"), "the library comes from the wheel"
    assert report["version"] == module_wheel.name.split("-")[1]
    template = json.loads((tmp_path / "cdk.out" / "MinimalWorkspaceImage.template.json").read_text())
    types = [resource["Type"] for resource in template["Resources"].values()]
    assert types.count("Custom::UpdatedWorkspaceImage") == 1
    # cdk-nag's AwsSolutions checks ran in the synth and found nothing.
    found = json.loads((tmp_path / "cdk.out" / "validation-report.json").read_text())
    assert [v for plugin in found["pluginReports"] for v in plugin["violations"]] == []
