"""The synthesized templates stay as committed: same logical ids, construct ids and properties.

Only the handler asset's hash may change, so it is masked before comparing. After a deliberate change to a
template, rewrite the snapshots with ``UPDATE_SNAPSHOTS=1 ./scripts/test.sh -k snapshot`` and review the diff.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from support.construct import NO_BUNDLING, cdk_context, every_resource_type, load_example_app

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
# A SHA-256 in hex: the asset hash, wherever the template carries it (S3Key, asset metadata).
ASSET_HASH = re.compile(r"\b[0-9a-f]{64}\b")


def masked(template: dict[str, Any]) -> Any:
    return json.loads(ASSET_HASH.sub("<asset-hash>", json.dumps(template)))


def example_app(app: cdk.App) -> cdk.Stack:
    stack: cdk.Stack = load_example_app().build_app(app)
    return stack


APPS: dict[str, Callable[[cdk.App], cdk.Stack]] = {
    "WorkspacesImageExample": example_app,
    "EveryResourceType": every_resource_type,
}


@pytest.mark.parametrize("name", sorted(APPS))
def test_template_matches_its_snapshot(name: str, tmp_path: Path) -> None:
    context = cdk_context()
    app = cdk.App(context={**context, **NO_BUNDLING}, outdir=str(tmp_path))
    stack = APPS[name](app)
    template = masked(app.synth().get_stack_by_name(stack.stack_name).template)
    snapshot = SNAPSHOTS / f"{name}.template.json"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        snapshot.write_text(json.dumps(template, indent=1, sort_keys=True) + "\n")
    assert template == json.loads(snapshot.read_text()), f"{name} changed; see the module docstring"
