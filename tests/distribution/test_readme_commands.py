"""The README's commands work as written: each script, file and folder its Quick start, install and examples
sections name exists where the command runs; `build` is in .venv; the wheel it names is the one the build makes;
each example's README deploys through scripts/cdk.sh with context its app reads; and scripts/cdk.sh, run from an
example's folder as the README says, synthesizes that example with no warning about feature flags and no Node
end-of-life banner. Running them all from a fresh clone (set-up, main.sh, the whole suite) is CI's: .ci/run.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import subprocess
import tomllib
from pathlib import Path

import pytest
from support import ROOT

# The README's sections whose commands a user types.
SECTIONS = ("Quick start", "Install in your project", "Examples")
EXAMPLES = sorted(p.parent.name for p in ROOT.glob("examples/*/cdk.json"))
CDK_COMMANDS = {"bootstrap", "deploy", "synth", "diff", "destroy"}


def section(text: str, title: str) -> str:
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def fenced_commands(text: str) -> list[tuple[str, str]]:
    """Each line of the ```bash blocks: the command and its comment (what follows ``  #``)."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            command, _, comment = line.partition("  #")
            if command.strip() and not command.lstrip().startswith("#"):
                commands.append((command.strip(), comment.strip()))
    return commands


def expected_dist() -> tuple[str, str]:
    """The wheel and sdist names a build of pyproject.toml makes (PEP 427 and PEP 625: the name normalized)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    name = re.sub(r"[-_.]+", "_", project["name"]).lower()
    return f"{name}-{project['version']}-py3-none-any.whl", f"{name}-{project['version']}.tar.gz"


def check(command: str, cwd: Path) -> Path:
    """Checks what a command names against the repository, as run in cwd; answers the folder the next one runs in."""
    words = shlex.split(command)
    if words[0] == "cd":
        folder = Path(os.path.normpath(cwd / words[1]))
        assert folder.is_dir(), command
        return folder
    if words[0] == "pip":
        wheel, _ = expected_dist()
        assert words[1] == "install"
        assert Path(words[2]).name == wheel, f"{command}: the build makes {wheel}"
        return cwd
    program = Path(os.path.normpath(cwd / words[0])) if "/" in words[0] else None
    assert program is not None, f"{command}: names no file of the repository"
    assert program.is_relative_to(ROOT), command
    if words[0].startswith(".venv/"):
        assert words[1:3] == ["-m", "build"], command
        return cwd
    assert program.is_file(), f"{command}: no {program}"
    assert os.access(program, os.X_OK), f"{command}: {program} is not executable"
    if program.name == "cdk.sh":
        assert words[1] in CDK_COMMANDS, command
        assert (cwd / "cdk.json").is_file(), f"{command}: cdk.sh runs in {cwd}, which has no cdk.json"
    return cwd


def test_the_readme_commands_name_what_the_repository_has() -> None:
    readme = (ROOT / "README.md").read_text()
    commands = [command for title in SECTIONS for command in fenced_commands(section(readme, title))]
    named = [command for command, _ in commands]
    # The two scripts, the real deploy, the build and install, and an example deployed from its folder.
    assert named[:2] == ["./scripts/main.sh", "./scripts/test.sh"]
    assert "./scripts/cdk.sh bootstrap" in named
    assert ".venv/bin/python -m build" in named
    assert "cd examples/minimal" in named
    cwd = ROOT
    for command, _ in commands:
        if command.startswith("cd "):
            cwd = ROOT  # each block starts at the root; a cd holds for the lines after it
        cwd = check(command, cwd)

    # The comment on the build says what dist/ gets.
    (build_comment,) = (comment for command, comment in commands if command.endswith("-m build"))
    wheel, sdist = expected_dist()
    assert f"dist/ gets {sdist} and {wheel}" in build_comment


def test_build_is_in_the_venv_the_scripts_make() -> None:
    requirements = (ROOT / "requirements-dev.txt").read_text().splitlines()
    assert any(line.startswith("build==") for line in requirements)
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-m", "build", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("name", EXAMPLES)
def test_each_example_readme_deploys_from_its_folder_with_context_its_app_reads(name: str) -> None:
    folder = ROOT / "examples" / name
    commands = [command for command, _ in fenced_commands((folder / "README.md").read_text())]
    assert f"cd examples/{name}" in commands
    deploys = [command for command in commands if "cdk.sh deploy" in command]
    assert deploys, f"{name}: no ../../scripts/cdk.sh deploy"
    cwd = ROOT
    for command in commands:
        if "scripts/cdk.sh" in command or command.startswith("cd "):
            cwd = check(command, cwd)
    app = (folder / "app.py").read_text()
    for command in deploys:
        assert command.startswith("../../scripts/cdk.sh deploy"), command
        for key in re.findall(r"-c (\w+)=", command):
            assert f'"{key}"' in app, f"{name}: its app reads no context value {key}"


def set_up_is_current() -> str | None:
    """Why scripts/cdk.sh would install something now (it must not, here: .venv may be another checkout's), or
    None when bootstrap.sh would find everything up to date, as after scripts/test.sh."""
    stamps = {
        ".venv/.requirements.sha256": ("requirements.txt", "requirements-dev.txt", "pyproject.toml"),
        ".venv/.wheelhouse-oldest.sha256": ("constraints-oldest.txt",),
        "node_modules/.package-lock.sha256": ("package-lock.json",),
    }
    for stamp, sources in stamps.items():
        digest = hashlib.sha256(b"".join((ROOT / source).read_bytes() for source in sources)).hexdigest()
        if not (ROOT / stamp).is_file() or (ROOT / stamp).read_text().strip() != digest:
            return f"{stamp} is not that of {', '.join(sources)}: scripts/cdk.sh would install; run ./scripts/test.sh"
    return None


@pytest.mark.slow
def test_cdk_sh_synthesizes_an_example_from_its_folder_without_warnings(tmp_path: Path) -> None:
    stale = set_up_is_current()
    if stale:
        pytest.skip(stale)
    # The machine's PATH, without this project's Node 22 and venv (the machine's node may be Node 20): cdk.sh puts
    # them first itself. Without PYTHON, bootstrap.sh keeps the .venv as it is.
    path = [p for p in os.environ["PATH"].split(os.pathsep) if "node_modules" not in p and ".venv" not in p]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHON", "VIRTUAL_ENV")} | {"PATH": os.pathsep.join(path)}
    done = subprocess.run(
        ["../../scripts/cdk.sh", "synth", "--quiet", "-c", "source_image_id=wsi-0123456789", "--output", tmp_path],
        cwd=ROOT / "examples" / "minimal",
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    # The set-up's lines, each up to date; then only what the CLI says of the synth.
    assert "\n==> Node 22 and the CDK CLI (npm ci): up to date (" in done.stderr
    assert "feature flags are not configured" not in done.stderr
    assert "end-of-life" not in done.stderr + done.stdout
    template = json.loads((tmp_path / "MinimalWorkspaceImage.template.json").read_text())
    assert "Custom::UpdatedWorkspaceImage" in {r["Type"] for r in template["Resources"].values()}
