"""The example app's cdk.json and each example's set CDK's recommended feature flags, so that `cdk synth` does not
warn that flags are not configured: the flags and values the pinned aws-cdk-lib recommends (scripts/feature_flags.py
reads its feature-flag report; run it to add a new release's flags)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

from support import ROOT


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("scripts_feature_flags", ROOT / "scripts" / "feature_flags.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_cdk_json_sets_each_flag_the_cli_warns_about_to_its_recommended_value() -> None:
    script = load_script()
    flags = script.recommended()
    # What the CDK CLI's warning counted before cdk.json set them ("85 feature flags are not configured").
    assert len(flags) >= 85
    assert flags["@aws-cdk/core:enablePartitionLiterals"] is True
    paths = script.cdk_json_files()
    assert [p.relative_to(ROOT).as_posix() for p in paths] == [
        "cdk.json",
        *(f"examples/{name}/cdk.json" for name in sorted(p.parent.name for p in ROOT.glob("examples/*/cdk.json"))),
    ]
    for path in paths:
        context = json.loads(path.read_text())["context"]
        assert {name: context.get(name) for name in flags} == flags, f"{path}: run python scripts/feature_flags.py"
    assert script.main(["--check"]) == 0


def test_the_script_adds_missing_flags_and_keeps_the_files_own_context(tmp_path: Path) -> None:
    script = load_script()
    path = tmp_path / "cdk.json"
    path.write_text(json.dumps({"app": "python3 app.py", "context": {"region": "eu-west-1", "@a:b": "mine"}}))
    script.add(path, {"@a:b": "theirs", "@c:d": True})
    assert json.loads(path.read_text()) == {
        "app": "python3 app.py",
        "context": {"region": "eu-west-1", "@a:b": "mine", "@c:d": True},
    }
    assert script.missing(path, {"@a:b": 1, "@c:d": 2, "@e:f": 3}) == {"@e:f": 3}
