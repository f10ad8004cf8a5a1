"""Figure 3: the handler asset as synth bundles it, its zipped size, and how long importing it takes when cold.

The cold import runs ``import index`` from the bundled asset directory in a fresh interpreter, with the
provider's environment (WATCH_TABLE, WATCH_RULE, STACK_ID, AWS_REGION), and times only the import statement;
the reference is ``import boto3`` alone, timed the same way. Both run with ``-I -B``: the asset ships no
bytecode and Lambda's code directory is read-only, so the handler's modules (and the bundled crhelper) are
compiled on every cold start, while boto3 comes precompiled, as in the Lambda Python runtime.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROBE = """
import json, sys, time
sys.path[:0] = {paths!r}
started, cpu = time.perf_counter(), time.process_time()
import boto3
if {stub_clients}:
    boto3.client = lambda *args, **kwargs: object()
import {module}
elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
# The provider's entry re-exports its handler; whether its set-up failed is the package's to say.
protocol = getattr(sys.modules.get("cdk_workspaces_image_handler.index"), "protocol", None)
failed = str(getattr(protocol, "init_error", None) or "")
print(json.dumps({{"seconds": elapsed, "cpu": cpu, "init_failed": failed}}))
"""


def function_asset_dir(outdir: Path, stack: str, path_segment: str) -> Path:
    """The staged code directory of the one Lambda function whose construct path has ``path_segment``."""
    template = json.loads((outdir / f"{stack}.template.json").read_text())
    for resource in template.get("Resources", {}).values():
        metadata = resource.get("Metadata", {})
        if resource["Type"] == "AWS::Lambda::Function" and f"/{path_segment}/" in metadata.get("aws:cdk:path", ""):
            return outdir / str(metadata["aws:asset:path"])
    raise LookupError(f"no Lambda function under {path_segment} in {stack}")


def bundled_files(asset_dir: Path) -> list[Path]:
    return sorted(p for p in asset_dir.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def zipped_size(asset_dir: Path) -> int:
    """Bytes of the asset zipped as the CDK CLI zips it for upload (deflate, level 9)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in bundled_files(asset_dir):
            archive.write(path, path.relative_to(asset_dir).as_posix())
    return len(buffer.getvalue())


def probe_environment(region: str = "eu-west-1") -> dict[str, str]:
    """What the provider function's process has: its variables and a Region; no credentials are needed to import."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "HOME", "SYSTEMROOT")}
    guid = "00000000-0000-4000-8000-000000000000"
    env.update(
        {
            "WATCH_TABLE": "Bench-CdkWorkspacesImageProviderWatchTable-0000",
            "WATCH_RULE": f"cdkwsi-{guid}",
            "STACK_ID": f"arn:aws:cloudformation:{region}:111122223333:stack/Bench/{guid}",
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }
    )
    return env


@dataclass(frozen=True)
class ImportTime:
    wall: float
    cpu: float


def cold_import(module: str, asset_dir: Path | None = None, *, stub_clients: bool = False) -> ImportTime:
    """Wall-clock and CPU seconds the ``import`` statement takes in a fresh interpreter (boto3 included).

    ``stub_clients`` replaces ``boto3.client`` by a stub that creates nothing: what the import costs
    without creating boto3 clients (a diagnosis, not something the handler can run with)."""
    code = PROBE.format(paths=[str(asset_dir)] if asset_dir else [], module=module, stub_clients=stub_clients)
    done = subprocess.run(
        [sys.executable, "-I", "-B", "-c", code],
        cwd=str(asset_dir) if asset_dir else None,
        env=probe_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"import {module} failed:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if result["init_failed"]:
        raise RuntimeError(f"import {module} ran, but the handler's set-up failed: {result['init_failed']}")
    return ImportTime(float(result["seconds"]), float(result["cpu"]))


def compiled_copy(asset_dir: Path, destination: Path) -> Path:
    """A copy of the asset with bytecode beside its sources: what shipping ``.pyc`` files would give."""
    shutil.copytree(asset_dir, destination, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-I", "-m", "compileall", "-q", str(destination)], check=True)
    return destination


@dataclass
class ImportRuns:
    boto3: list[ImportTime] = field(default_factory=list)
    handler: list[ImportTime] = field(default_factory=list)
    handler_compiled: list[ImportTime] = field(default_factory=list)
    handler_without_clients: list[ImportTime] = field(default_factory=list)


def measure_imports(asset_dir: Path, compiled_dir: Path, reps: int) -> ImportRuns:
    """Interleaved: each round imports boto3 alone, the handler as bundled, the handler with bytecode, and the
    handler without creating clients, in an order rotated by one per round."""
    runs = ImportRuns()
    probes = [
        (runs.boto3, "boto3", None, False),
        (runs.handler, "index", asset_dir, False),
        (runs.handler_compiled, "index", compiled_dir, False),
        (runs.handler_without_clients, "index", asset_dir, True),
    ]
    for rep in range(reps):
        shift = rep % len(probes)
        for results, module, directory, stub in [*probes[shift:], *probes[:shift]]:
            results.append(cold_import(module, directory, stub_clients=stub))
    return runs
