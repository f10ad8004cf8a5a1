"""Reading a synthesized cloud assembly (cdk.out): the stack template and where its assets are."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Assembly:
    outdir: Path
    stack_name: str
    template: dict[str, Any]

    def asset_dir(self, resource: dict[str, Any]) -> Path:
        """The local directory of a Lambda function's code asset."""
        metadata = resource.get("Metadata", {})
        if "aws:asset:path" in metadata:
            return self.outdir / str(metadata["aws:asset:path"])
        key = str(resource["Properties"]["Code"]["S3Key"])
        assets = json.loads((self.outdir / f"{self.stack_name}.assets.json").read_text())
        return self.outdir / str(assets["files"][key.split(".")[0]]["source"]["path"])


def load(outdir: str | Path, stack_name: str | None = None) -> Assembly:
    out = Path(outdir)
    manifest = json.loads((out / "manifest.json").read_text())
    stacks = {
        name: artifact
        for name, artifact in manifest["artifacts"].items()
        if artifact.get("type") == "aws:cloudformation:stack"
    }
    if stack_name is None:
        if len(stacks) != 1:
            raise ValueError(f"the assembly holds stacks {sorted(stacks)}; name one")
        stack_name = next(iter(stacks))
    artifact = stacks[stack_name]
    template_file = artifact["properties"]["templateFile"]
    template = json.loads((out / template_file).read_text())
    return Assembly(out, artifact.get("properties", {}).get("stackName", stack_name), template)
