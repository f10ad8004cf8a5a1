"""Synthesize an integ app on this project's pinned aws-cdk-lib with the context integ-runner gives its apps, for
what cannot use integ-runner: the local deploy (``test_local_deploy.py``) and the real-account script
(``scripts/integ-deploy.sh``). The newest ``@aws-cdk/integ-runner`` (2.197.10, pinned in package.json) reads cloud
assembly schema 53 at most, and aws-cdk-lib 2.275.0 writes 55; integ-runner itself checks the committed snapshots,
made on the oldest supported set (``test_snapshots.py``).

integ-runner's context: the feature flags it recommends (read from the pinned package), no lookups, no version
reporting; and nothing of the machine: no ``CDK_*`` variable, no context of the user's beyond what the caller passes.

Run as a script, it does what ``scripts/integ-deploy.sh`` needs: ``synth APP OUTDIR [key=value ...]``
synthesizes an app with those context values; ``stacks OUTDIR tests|assertions`` prints the test stacks or the
assertion stacks; ``results FILE`` prints each assertion's outcome from ``cdk deploy --outputs-file`` and fails
unless there are some and all succeeded.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
INTEG_RUNNER = ROOT / "node_modules" / "@aws-cdk" / "integ-runner"

# What integ-runner's engine (toolkit-lib) puts in the context of every synth: no version reporting, bundling for
# every stack, and (by leaving their keys out) no path or asset metadata. Stack traces are off too (integ-runner
# strips them from its snapshots' manifest), so the metadata holds no path of the machine that synthesized it.
SYNTH_CONTEXT: dict[str, Any] = {
    "aws:cdk:disable-version-reporting": True,
    "aws:cdk:bundling-stacks": ["**"],
    "aws:cdk:disable-stack-trace": True,
}
# integ-runner sets this recommended flag to undefined (runner-base.ts, getContext), which leaves it out.
UNSET_FLAGS = ("@aws-cdk/core:target-partitions",)


def apps() -> list[Path]:
    """The integ apps, found as integ-runner's Python preset finds them (``^integ_.*\\.py$``)."""
    return sorted(path for path in HERE.glob("integ_*.py") if path.is_file())


def snapshot_dir(app: Path) -> Path:
    return app.with_name(f"{app.name}.snapshot")


def synth_context(extra: Mapping[str, str] | None = None) -> dict[str, Any]:
    flags: dict[str, Any] = json.loads((INTEG_RUNNER / "lib" / "recommended-feature-flags.json").read_text())
    for flag in UNSET_FLAGS:
        flags.pop(flag, None)
    return {**flags, **SYNTH_CONTEXT, **(extra or {})}


def synth_environment() -> dict[str, str]:
    """This process's environment without anything CDK reads of the machine (account, Region, context)."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("CDK_")}
    # Node 22 from package.json for jsii, as scripts/bootstrap.sh sets it up.
    environment["PATH"] = os.pathsep.join([str(ROOT / "node_modules" / ".bin"), environment.get("PATH", "")])
    return environment


@functools.cache
def without_network() -> list[str]:
    """A command prefix that gives a process a network namespace of its own, with no way out: ``unshare --net``
    where this machine allows it (root on Linux, as in CI), else nothing."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "--net", "true"], capture_output=True).returncode == 0:
        return [unshare, "--net"]
    return []


def synthesize(app: Path, outdir: Path, context: Mapping[str, str] | None = None, *, offline: bool = False) -> Path:
    """Run the app as the CDK toolkit does (``CDK_OUTDIR``, ``CDK_CONTEXT_JSON``) from the repository root;
    ``offline``: with no network at all where the machine allows it."""
    environment = synth_environment()
    environment["CDK_OUTDIR"] = str(outdir)
    environment["CDK_CONTEXT_JSON"] = json.dumps(synth_context(context))
    command = [*(without_network() if offline else []), sys.executable, str(app)]
    done = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"{app.name} failed to synthesize ({done.returncode}):\n{done.stdout}{done.stderr}")
    return outdir


@functools.cache
def synthesized(app: Path) -> Path:
    """The app's cloud assembly synthesized offline once per process (for the tests), removed at exit."""
    outdir = Path(tempfile.mkdtemp(prefix=f"{app.stem}."))
    atexit.register(shutil.rmtree, outdir, ignore_errors=True)
    return synthesize(app, outdir / "cdk.out", offline=True)


def integ_manifest(assembly: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((assembly / "integ.json").read_text())
    return manifest


def stack_names(assembly: Path) -> tuple[list[str], list[str]]:
    """The test cases' stacks and their assertion stacks, as ``integ.json`` names them."""
    tests: list[str] = []
    assertions: list[str] = []
    for case in integ_manifest(assembly)["testCases"].values():
        tests += case["stacks"]
        if "assertionStackName" in case:
            assertions.append(case["assertionStackName"])
    return tests, assertions


def assertion_results(outputs_file: Path) -> Iterator[tuple[str, str, str]]:
    """(stack, assertion, status and message) of each assertion in a ``cdk deploy --outputs-file`` file."""
    outputs: dict[str, dict[str, str]] = json.loads(outputs_file.read_text())
    for stack, values in sorted(outputs.items()):
        for name, value in sorted(values.items()):
            if name.startswith("AssertionResults"):
                result = json.loads(value)
                yield stack, name, " ".join(str(part) for part in (result.get("status"), result.get("message")) if part)


def main(argv: list[str]) -> int:
    """The commands scripts/integ-deploy.sh uses; see the module docstring."""
    if len(argv) >= 3 and argv[0] == "synth":
        pairs = dict(pair.split("=", 1) for pair in argv[3:])
        synthesize(Path(argv[1]).resolve(), Path(argv[2]).resolve(), pairs)
        return 0
    if len(argv) == 3 and argv[0] == "stacks" and argv[2] in ("tests", "assertions"):
        tests, assertions = stack_names(Path(argv[1]))
        print("\n".join(tests if argv[2] == "tests" else assertions))
        return 0
    if len(argv) == 2 and argv[0] == "results":
        results = list(assertion_results(Path(argv[1])))
        for stack, name, outcome in results:
            print(f"{stack} {name}: {outcome}")
        failed = [outcome for *_, outcome in results if not outcome.startswith("success")]
        return 1 if failed or not results else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
