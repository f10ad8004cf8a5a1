"""CDK's recommended feature flags in the context of the example app's cdk.json and of each examples/*/cdk.json.

The flags and their values are the pinned aws-cdk-lib's own: the feature-flag report it writes into every cloud
assembly (the ``cdk:feature-flag-report`` artifact of manifest.json), which the CDK CLI reads for its warning
"N feature flags are not configured". A flag belongs here when that warning counts it: not set, and its recommended
value differs from how it behaves unset (``unconfiguredBehavesLike``, false when absent). A flag a cdk.json already
sets keeps its value.

    python scripts/feature_flags.py          # add the missing flags to every cdk.json
    python scripts/feature_flags.py --check  # exit 1, naming them, when a cdk.json lacks one

tests/examples/test_feature_flags.py runs the check, so a new aws-cdk-lib with new flags fails until this is run.
"""

from __future__ import annotations

import functools
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REPORT_TYPE = "cdk:feature-flag-report"


def cdk_json_files() -> list[Path]:
    """The example app's cdk.json and each example's."""
    return [ROOT / "cdk.json", *sorted((ROOT / "examples").glob("*/cdk.json"))]


@functools.cache
def recommended() -> dict[str, Any]:
    """The flags the CDK CLI's warning counts in an app that sets none, with aws-cdk-lib's recommended values."""
    import aws_cdk as cdk

    with tempfile.TemporaryDirectory() as outdir:
        assembly = cdk.App(outdir=outdir).synth()
        manifest = json.loads((Path(assembly.directory) / "manifest.json").read_text())
    (report,) = (a for a in manifest["artifacts"].values() if a["type"] == REPORT_TYPE)
    return {
        name: flag["recommendedValue"]
        for name, flag in report["properties"]["flags"].items()
        if flag["recommendedValue"] != flag.get("unconfiguredBehavesLike", {}).get("v2", False)
    }


def missing(path: Path, flags: dict[str, Any]) -> dict[str, Any]:
    """The flags of ``flags`` the cdk.json at path does not set."""
    context = json.loads(path.read_text()).get("context", {})
    return {name: value for name, value in flags.items() if name not in context}


def add(path: Path, flags: dict[str, Any]) -> None:
    """Adds the missing flags after the file's own context, keeping every other key and value."""
    settings = json.loads(path.read_text())
    settings["context"] = {**settings.get("context", {}), **missing(path, flags)}
    path.write_text(json.dumps(settings, indent=2) + "\n")


def main(argv: list[str]) -> int:
    flags = recommended()
    problems = []
    for path in cdk_json_files():
        lacking = missing(path, flags)
        if lacking and "--check" in argv:
            problems.append(f"{path.relative_to(ROOT)} lacks {', '.join(sorted(lacking))}")
        elif lacking:
            add(path, flags)
            print(f"{path.relative_to(ROOT)}: added {len(lacking)} flags")
    if problems:
        print("\n".join(problems), file=sys.stderr)
        print("run: .venv/bin/python scripts/feature_flags.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
