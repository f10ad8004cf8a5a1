"""The Regions the input rules know (cdk_workspaces_image_handler/regions.py) are botocore's endpoint data.

regions.py is generated here from the installed botocore's ``endpoints.json`` (each partition's Regions and the
Regions with a WorkSpaces endpoint) and ``partitions.json`` (each partition's Region pattern), so that neither the
constructs nor the handler read botocore to judge a Region. When botocore is updated (requirements-dev.txt) and its
data differs, this test fails; ``UPDATE_SNAPSHOTS=1 pytest -n 0 tests/unit/test_regions_data.py`` rewrites the module,
and the diff is the review.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import botocore
from support import ROOT

from cdk_workspaces_image_handler import regions

MODULE = ROOT / "lambda" / "cdk_workspaces_image_handler" / "regions.py"
SERVICE = "workspaces"


def _data(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((Path(botocore.__file__).parent / "data" / f"{name}.json").read_text())
    return data


def generated() -> str:
    """regions.py as the installed botocore's data makes it."""
    patterns = {p["id"]: p["regionRegex"] for p in _data("partitions")["partitions"]}
    lines: list[str] = []
    for partition in _data("endpoints")["partitions"]:
        name = partition["partition"]
        pattern = patterns.get(name, partition["regionRegex"])
        # Pseudo-Regions (aws-global) and FIPS endpoints (fips-us-east-1) do not match the partition's pattern.
        known = sorted(r for r in partition["regions"] if re.match(pattern, r))
        endpoints = partition["services"].get(SERVICE, {}).get("endpoints", {})
        with_workspaces = sorted(r for r in endpoints if re.match(pattern, r) and r in known)
        lines.append(
            f"    Partition(\n        {name!r},\n        {pattern!r},\n"
            f"        regions={_tuple(known)},\n        workspaces={_tuple(with_workspaces)},\n    ),"
        )
    text = _TEMPLATE.format(version=botocore.__version__, partitions="\n".join(lines))
    # In the project's format, so that ruff format --check passes on the module as generated.
    formatted = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--stdin-filename", str(MODULE), "-"],
        input=text,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return formatted.stdout


def _tuple(names: list[str]) -> str:
    if not names:
        return "()"
    return "(" + ", ".join(repr(n) for n in names) + ("," if len(names) == 1 else "") + ")"


_TEMPLATE = '''"""The AWS Regions of each partition, and those with a WorkSpaces endpoint: data for the input rules.

Generated from botocore {version}'s endpoint data (``botocore/data/endpoints.json``: each partition's Regions and
the ``workspaces`` service's endpoints; ``botocore/data/partitions.json``: each partition's Region pattern) by
tests/unit/test_regions_data.py, which fails when the installed botocore's data differs. Do not edit it by hand:
after a botocore update, regenerate it with ``UPDATE_SNAPSHOTS=1 pytest -n 0 tests/unit/test_regions_data.py``.

Stdlib only, no botocore: the constructs import it too (through rules.py).
"""

from __future__ import annotations

from typing import Final, NamedTuple


class Partition(NamedTuple):
    """A partition: its name, the pattern of its Region names, its Regions, and those WorkSpaces is offered in."""

    name: str
    pattern: str
    regions: tuple[str, ...]
    workspaces: tuple[str, ...]


BOTOCORE_VERSION: Final = {version!r}

PARTITIONS: Final = (
{partitions}
)
'''


def test_the_regions_module_is_the_installed_botocores_data() -> None:
    text = generated()
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        MODULE.write_text(text)
    assert MODULE.read_text() == text, (
        "regions.py differs from the installed botocore's endpoint data: regenerate it with "
        "UPDATE_SNAPSHOTS=1 pytest -n 0 tests/unit/test_regions_data.py, and review the diff"
    )


def test_the_module_says_which_botocore_it_came_from() -> None:
    assert botocore.__version__ == regions.BOTOCORE_VERSION
