"""Figures 1 and 2: synth time of each app in a fresh process, and what each app adds to its stack.

Every app runs as ``python <app>`` in a new process, the way the CDK CLI runs an app: the interpreter, the jsii
runtime (Node), aws-cdk-lib, the app's constructs, local bundling of assets, and writing the cloud assembly are
all inside the measured wall-clock time. The CLI itself (``cdk synth``, another Node process) is not. The context
is what the CLI passes by default (path and asset metadata on), without version reporting; bundling is on for
every stack, as with the CLI, so this library's local bundling of its handler is measured too.

Besides wall-clock time, the CPU time of the app's process tree (Python, the jsii Node runtime) is taken from
``RUSAGE_CHILDREN``: it is much less disturbed by other work on the machine.
"""

from __future__ import annotations

import json
import os
import resource as rusage
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from benchmarks import _props

ROOT = Path(__file__).resolve().parent.parent
PROVIDER_PATH = "CdkWorkspacesImageProvider"
# The singleton function AwsCustomResource shares per stack (aws-cdk-lib custom-resources).
PEER_PROVIDER_PATH = "AWS679f53fac002430cb0da5b7982bd2287"
CLI_CONTEXT = {"aws:cdk:enable-path-metadata": True, "aws:cdk:enable-asset-metadata": True}


@dataclass(frozen=True)
class AppSpec:
    key: str
    label: str
    argv: tuple[str, ...]
    stack: str = _props.STACK_NAME
    images: int = 1
    context: Mapping[str, Any] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    provider_path: str = ""

    def with_images(self, images: int) -> AppSpec:
        return replace(self, key=f"{self.key.rstrip('0123456789')}{images}", images=images)


EMPTY = AppSpec("empty", "empty app", ("-m", "benchmarks.empty_app"))
FLOOR = AppSpec("floor", "floor", ("-m", "benchmarks.floor_app"))
PEER = AppSpec("peer1", "AwsCustomResource", ("-m", "benchmarks.peer_app"), provider_path=PEER_PROVIDER_PATH)
LIBRARY = AppSpec("lib1", "this library", ("-m", "benchmarks.image_app"), provider_path=PROVIDER_PATH)
# The example app as the README's commands run it: one image, cdk-nag's AwsSolutions checks at synth.
EXAMPLE = AppSpec(
    "example",
    "example app.py",
    ("app.py",),
    stack="WorkspacesImageExample",
    context={"source_image_id": _props.SOURCE_IMAGE_ID, "image_name": _props.IMAGE_NAME},
    provider_path=PROVIDER_PATH,
)


def environment(spec: AppSpec, outdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    node_bin = ROOT / "node_modules" / ".bin"
    if node_bin.is_dir():  # the pinned Node 22, as scripts/bootstrap.sh puts it first
        env["PATH"] = f"{node_bin}{os.pathsep}{env.get('PATH', '')}"
    env.update(
        {
            "CDK_OUTDIR": str(outdir),
            "CDK_CONTEXT_JSON": json.dumps({**CLI_CONTEXT, **spec.context}),
            "BENCH_IMAGES": str(spec.images),
            **spec.env,
        }
    )
    return env


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float


def _children_cpu() -> float:
    usage = rusage.getrusage(rusage.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def synth(spec: AppSpec, outdir: Path) -> Timing:
    """Synthesize the app in a fresh process; the wall-clock and CPU seconds it took."""
    outdir.mkdir(parents=True, exist_ok=True)
    cpu = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *spec.argv],
        cwd=ROOT,
        env=environment(spec, outdir),
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = Timing(time.perf_counter() - started, _children_cpu() - cpu)
    if done.returncode != 0:
        raise RuntimeError(f"synth of {spec.key} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return elapsed


@dataclass
class SynthRuns:
    """Wall-clock and CPU seconds per app and repetition (repetition i of every app ran in the same round), and
    the first repetition's outputs."""

    times: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)
    outdirs: dict[str, Path] = field(default_factory=dict)


def measure(apps: Sequence[AppSpec], reps: int, workdir: Path) -> SynthRuns:
    """Interleaved: each round synthesizes every app once, in an order rotated by one app per round."""
    runs = SynthRuns({spec.key: [] for spec in apps}, {spec.key: [] for spec in apps})
    for rep in range(reps):
        shift = rep % len(apps)
        for spec in [*apps[shift:], *apps[:shift]]:
            outdir = workdir / f"{spec.key}-{rep}"
            timing = synth(spec, outdir)
            runs.times[spec.key].append(timing.wall)
            runs.cpu[spec.key].append(timing.cpu)
            runs.outdirs.setdefault(spec.key, outdir)
    return runs


# ---------------------------------------------------------------- footprint (figure 2)


def template(outdir: Path, stack: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((outdir / f"{stack}.template.json").read_text())
    return loaded


@dataclass(frozen=True)
class Footprint:
    """What a template holds: resources, Lambda functions, identity-policy statements, managed policies.

    Statements are those of AWS::IAM::Policy, AWS::IAM::ManagedPolicy and roles' inline policies; trust policies
    and Lambda resource policies (AWS::Lambda::Permission, counted as resources) are not statements here.
    """

    resources: int
    functions: int
    statements: int
    managed_policies: int

    def __sub__(self, other: Footprint) -> Footprint:
        return Footprint(
            self.resources - other.resources,
            self.functions - other.functions,
            self.statements - other.statements,
            self.managed_policies - other.managed_policies,
        )


def _statements(document: Mapping[str, Any]) -> int:
    statement = document.get("Statement", [])
    return len(statement) if isinstance(statement, list) else 1


def footprint(resources: Mapping[str, Any], under: str = "") -> Footprint:
    """Count the template's resources, or only those whose construct path has ``under`` as a path segment."""
    chosen = [
        r
        for r in resources.values()
        if r["Type"] != "AWS::CDK::Metadata"
        and (not under or f"/{under}/" in str(r.get("Metadata", {}).get("aws:cdk:path", "")))
    ]
    statements = 0
    managed = 0
    for resource in chosen:
        props = resource.get("Properties", {})
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            statements += _statements(props.get("PolicyDocument", {}))
        if resource["Type"] == "AWS::IAM::Role":
            statements += sum(_statements(p.get("PolicyDocument", {})) for p in props.get("Policies", []))
            managed += len(props.get("ManagedPolicyArns", []))
    functions = sum(1 for r in chosen if r["Type"] == "AWS::Lambda::Function")
    return Footprint(len(chosen), functions, statements, managed)


@dataclass(frozen=True)
class Gain:
    """What an app adds to an empty stack, and the part of it that is the shared provider."""

    images: int
    total: Footprint
    provider: Footprint

    @property
    def per_image(self) -> Footprint:
        return self.total - self.provider


def gain(spec: AppSpec, outdir: Path, empty: Footprint) -> Gain:
    resources = template(outdir, spec.stack).get("Resources", {})
    provider = footprint(resources, spec.provider_path) if spec.provider_path else Footprint(0, 0, 0, 0)
    return Gain(spec.images, footprint(resources) - empty, provider)
