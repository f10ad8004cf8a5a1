"""Every Python snippet the docs show (README.md, docs/*.md) is a file of examples/snippets/: the doc's block is, word
for word, the file's lines between ``# snippet start`` and ``# snippet end`` (dedented), and each file is a whole app
that synthesizes on the pinned aws-cdk-lib and on the oldest the library supports (constraints-oldest.txt, the
session's ``oldest_python``), with the same stacks of the same resource types.

In a doc, the line before the block names the file: ``<!-- snippet: examples/snippets/NAME.py -->``. After changing a
snippet file, ``UPDATE_SNAPSHOTS=1 ./scripts/test.sh tests/examples/test_snippets.py`` copies it into the docs.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest
from support import ROOT
from support.distribution import OLDEST, app_env, run, run_at_once

SNIPPETS = ROOT / "examples" / "snippets"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"
HINT = "; after changing the file, UPDATE_SNAPSHOTS=1 ./scripts/test.sh tests/examples/test_snippets.py copies it"

PYTHON_FENCE = re.compile(r"^```python$", re.MULTILINE)
# The marker naming the file, then the fenced block it stands for.
SNIPPET = re.compile(r"^<!-- snippet: (?P<file>\S+) -->\n```python\n(?P<block>.*?)^```$", re.MULTILINE | re.DOTALL)


def region(path: Path) -> str:
    """The lines of `path` between its one ``# snippet start`` and ``# snippet end``, dedented."""
    lines = path.read_text().splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.strip() == "# snippet start"]
    ends = [i for i, line in enumerate(lines) if line.strip() == "# snippet end"]
    assert len(starts) == len(ends) == 1, f"{path}: one '# snippet start' and one '# snippet end'"
    assert starts[0] < ends[0], path
    return textwrap.dedent("".join(lines[starts[0] + 1 : ends[0]]))


def shown(doc: Path) -> list[tuple[str, str]]:
    """Each snippet of `doc`: the file it names, and its block."""
    return [(match["file"], match["block"]) for match in SNIPPET.finditer(doc.read_text())]


def snippet_files() -> list[Path]:
    return sorted(SNIPPETS.glob("*.py"))


@pytest.mark.parametrize("doc", DOCS, ids=lambda doc: doc.relative_to(ROOT).as_posix())
def test_every_python_block_of_the_doc_is_a_snippet_file(doc: Path) -> None:
    fences = len(PYTHON_FENCE.findall(doc.read_text()))
    assert len(shown(doc)) == fences, f"{doc.name}: each ```python block follows a <!-- snippet: FILE --> line"
    for file, _ in shown(doc):
        assert (ROOT / file).parent == SNIPPETS, f"{doc.name} names {file}, not a file of examples/snippets/"


@pytest.mark.parametrize("doc", DOCS, ids=lambda doc: doc.relative_to(ROOT).as_posix())
def test_each_block_is_its_files_snippet_word_for_word(doc: Path) -> None:
    text = doc.read_text()
    if UPDATE:
        text = SNIPPET.sub(lambda m: f"<!-- snippet: {m['file']} -->\n```python\n{region(ROOT / m['file'])}```", text)
        doc.write_text(text)
    for file, block in shown(doc):
        assert block == region(ROOT / file), f"{doc.name}'s block differs from {file}{HINT}"


def test_every_snippet_file_is_shown_in_the_docs() -> None:
    named = Counter(file for doc in DOCS for file, _ in shown(doc))
    assert {ROOT / file for file in named} == set(snippet_files())


# Per snippet: what its app synthesized, and how its process ended.
Synths = dict[str, tuple[Path, "subprocess.CompletedProcess[str]"]]


def synthesize(python: Path | str, env: dict[str, str], outdir: Path) -> Synths:
    """Each snippet file run as a user runs an app (``python FILE``), all at once, each writing its cloud assembly to
    its own CDK_OUTDIR."""
    outdir.mkdir(parents=True)
    names = [path.stem for path in snippet_files()]
    done = run_at_once(
        {path.stem: [str(python), str(path)] for path in snippet_files()},
        cwd=dict.fromkeys(names, outdir),
        env={name: {**env, "CDK_OUTDIR": str(outdir / name)} for name in names},
    )
    return {name: (outdir / name, done[name]) for name in names}


def stacks(outdir: Path) -> dict[str, list[str]]:
    """Each stack of the assembly in `outdir`, by name, with the types of its resources, sorted."""
    manifest = json.loads((outdir / "manifest.json").read_text())
    found = {}
    for artifact_id, artifact in manifest["artifacts"].items():
        if artifact["type"] == "aws:cloudformation:stack":
            template = json.loads((outdir / artifact["properties"]["templateFile"]).read_text())
            types = (r["Type"] for r in template["Resources"].values())
            found[artifact_id] = sorted(t for t in types if t != "AWS::CDK::Metadata")
    return found


def pinned_oldest_aws_cdk_lib() -> str:
    (pin,) = [line.split("==")[1] for line in OLDEST.read_text().splitlines() if line.startswith("aws-cdk-lib==")]
    return pin


@pytest.mark.slow
def test_each_snippet_synthesizes_alike_on_the_pinned_and_the_oldest_aws_cdk_lib(
    oldest_python: Path, tmp_path: Path
) -> None:
    version = "import importlib.metadata; print(importlib.metadata.version('aws-cdk-lib'))"
    assert run(oldest_python, "-c", version, cwd=tmp_path, env=app_env()).strip() == pinned_oldest_aws_cdk_lib()
    # This environment's python, the checkout's package first (PYTHONPATH, as the tests run); the oldest one holds
    # the wheel built from the checkout, and nothing of this environment.
    pinned = synthesize(sys.executable, dict(os.environ), (tmp_path / "pinned").resolve())
    oldest = synthesize(oldest_python, app_env(), (tmp_path / "oldest").resolve())
    for name in pinned:
        for where, (_, done) in (("pinned", pinned[name]), ("oldest", oldest[name])):
            assert done.returncode == 0, f"{name} on the {where} aws-cdk-lib: {done.stdout}\n{done.stderr}"
        assert stacks(pinned[name][0]) == stacks(oldest[name][0]), name
        types = {t for resource_types in stacks(pinned[name][0]).values() for t in resource_types}
        assert any(t.startswith("Custom::") for t in types), f"{name} makes none of the library's resources"
