#!/usr/bin/env bash
# Idempotent set-up, sourced by main.sh and test.sh: Python venv, Node 22 and the CDK CLI from package.json.
# Needs only python3.11 and npm on the machine.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PYTHON="${PYTHON:-python3.11}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi

# Reinstall only when the requirement files change.
req_stamp=".venv/.requirements.sha256"
req_hash="$(cat requirements.txt requirements-dev.txt pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ ! -f "$req_stamp" ] || [ "$(cat "$req_stamp")" != "$req_hash" ]; then
  # pip and the build backend are chatty even with --quiet: keep their output for when it fails.
  if ! .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt \
      > .venv/pip-install.log 2>&1; then
    cat .venv/pip-install.log >&2
    exit 1
  fi
  echo "$req_hash" > "$req_stamp"
fi

# The oldest supported aws-cdk-lib and constructs, with what they require, as wheels: the test that installs the
# library beside them (tests/distribution/test_oldest.py) must not reach the network. Fetched again only when
# constraints-oldest.txt changes.
oldest_dir=".venv/wheelhouse-oldest"
oldest_stamp=".venv/.wheelhouse-oldest.sha256"
oldest_hash="$(sha256sum constraints-oldest.txt | cut -d' ' -f1)"
if [ ! -f "$oldest_stamp" ] || [ "$(cat "$oldest_stamp")" != "$oldest_hash" ]; then
  rm -rf "$oldest_dir"
  if ! .venv/bin/python -m pip download --quiet --disable-pip-version-check --only-binary=:all: \
      --dest "$oldest_dir" -r constraints-oldest.txt > .venv/pip-download-oldest.log 2>&1; then
    cat .venv/pip-download-oldest.log >&2
    exit 1
  fi
  echo "$oldest_hash" > "$oldest_stamp"
fi

# node_modules is stale when the lock file changed since the last `npm ci`.
npm_stamp="node_modules/.package-lock.sha256"
npm_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -f "$npm_stamp" ] || [ "$(cat "$npm_stamp")" != "$npm_hash" ]; then
  npm ci --silent --no-audit --no-fund
  echo "$npm_hash" > "$npm_stamp"
fi

# Node 22 from the `node` package must win over the machine's Node (jsii warns on Node 20).
export PATH="$ROOT/node_modules/.bin:$ROOT/.venv/bin:$PATH"
export VIRTUAL_ENV="$ROOT/.venv"
# Offline use: no version check or telemetry calls home (notices are off in cdk.json and by --no-notices).
export CDK_DISABLE_VERSION_CHECK=true
export CDK_DISABLE_CLI_TELEMETRY=true
