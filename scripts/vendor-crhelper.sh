#!/usr/bin/env bash
# Refreshes the vendored crhelper from PyPI: the version named in _vendor/vendor.txt, unmodified.
# The Lambda asset takes crhelper from there, so the asset (and its hash) depend on this library's version only,
# not on what a user has installed. After a version change, pin the same version in requirements-dev.txt: the
# handler tests import it, and tests/distribution/test_vendored.py checks both copies are byte-identical.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENDOR="$ROOT/constructs/cdk_workspaces_image/_vendor"
PYTHON="${PYTHON:-python3.11}"
[ -x "$ROOT/.venv/bin/python" ] && PYTHON="$ROOT/.venv/bin/python"

requirement="$(grep -E '^crhelper==' "$VENDOR/vendor.txt")"
download="$(mktemp -d)"
trap 'rm -rf "$download"' EXIT
"$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: --dest "$download" "$requirement"

# The package's files as the wheel has them, and its LICENSE and NOTICE (Apache-2.0 asks that both travel with it).
"$PYTHON" - "$download"/crhelper-*.whl "$VENDOR/crhelper" <<'PY'
import shutil
import sys
import zipfile
from pathlib import Path

wheel, target = Path(sys.argv[1]), Path(sys.argv[2])
shutil.rmtree(target, ignore_errors=True)
target.mkdir(parents=True)
with zipfile.ZipFile(wheel) as archive:
    for name in archive.namelist():
        top, _, rest = name.partition("/")
        if top == "crhelper" and rest and "/" not in rest:
            (target / rest).write_bytes(archive.read(name))
        elif top.endswith(".dist-info") and rest in ("LICENSE", "NOTICE"):
            (target / rest).write_bytes(archive.read(name))
print(f"vendored {wheel.name} into {target}: {', '.join(sorted(p.name for p in target.iterdir()))}")
PY
