#!/usr/bin/env bash
# Idempotent set-up, sourced by main.sh, test.sh and the other scripts: Python venv, Node 22 and the CDK CLI from
# package.json. Needs Python 3.11 or newer and npm on the machine: PYTHON=python3.12 picks the interpreter (default:
# python3.11, else python3 when it is 3.11 or newer). Each step prints one line on stderr with its time; pip's and
# npm's output goes to .venv/logs/, and the log of a step that fails is printed with what to do.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Where the script was started from, for the scripts that work there (cdk.sh in an example's folder).
CALLER_DIR="$PWD"
cd "$ROOT"
LOGS=".venv/logs"

# --- how a step is shown --------------------------------------------------------------------------------------------

_step_clock() { date +%s%N; }

# The time since $1 (from _step_clock): tenths of a second below 10 s, whole seconds from there.
_step_elapsed() {
  local ns=$(($(date +%s%N) - $1))
  if ((ns < 10000000000)); then
    printf '%d.%d s' $((ns / 1000000000)) $((ns / 100000000 % 10))
  else
    printf '%d s' $(((ns + 500000000) / 1000000000))
  fi
}

# A step that is up to date: one line saying so.
step_skip() {
  printf '==> %s: %s\n' "$1" "$2" >&2
}

# run_step TITLE LOG HINT COMMAND...: runs COMMAND with its output in LOG, showing TITLE and then its time. When it
# fails: the last lines of LOG, which step failed, and HINT (what to do); the scripts then stop with its status.
run_step() {
  local title="$1" log="$2" hint="$3" start status=0
  shift 3
  mkdir -p "$(dirname "$log")"
  start="$(_step_clock)"
  printf '==> %s ... ' "$title" >&2
  "$@" > "$log" 2>&1 || status=$?
  if [ "$status" -eq 0 ]; then
    printf '%s\n' "$(_step_elapsed "$start")" >&2
    return 0
  fi
  printf 'FAILED after %s (exit status %s)\n' "$(_step_elapsed "$start")" "$status" >&2
  show_failure "$title" "$log" "$hint"
  exit "$status"
}

# show_failure TITLE LOG HINT: the end of the failed step's log, and what to do.
show_failure() {
  local lines=60
  {
    if [ "$(wc -l < "$2")" -gt "$lines" ]; then
      echo "--- the last $lines lines of $2 (the whole log is there):"
      tail -n "$lines" "$2"
    else
      echo "--- $2:"
      cat "$2"
    fi
    echo "---"
    echo "!! The step \"$1\" failed. $3"
  } >&2
}

# --- Python ---------------------------------------------------------------------------------------------------------

# The X.Y.Z of a Python interpreter, or nothing when it does not run (a pyenv shim of a version not selected).
python_version() {
  "$1" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2> /dev/null || true
}

# Whether X.Y.Z is 3.11 or newer.
supported() {
  local major minor
  IFS=. read -r major minor _ <<< "$1"
  [ -n "$major" ] && { [ "$major" -gt 3 ] || { [ "$major" -eq 3 ] && [ "$minor" -ge 11 ]; }; }
}

refuse() {
  echo "!! $*" >&2
  exit 2
}

if [ -n "${PYTHON:-}" ]; then
  wanted="$PYTHON"
  wanted_version="$(python_version "$wanted")"
  [ -n "$wanted_version" ] || refuse "PYTHON=$PYTHON does not run; set PYTHON to a Python 3.11 or newer"
  supported "$wanted_version" ||
    refuse "PYTHON=$PYTHON is Python $wanted_version; this project needs 3.11 or newer (e.g. PYTHON=python3.12)"
elif wanted_version="$(python_version python3.11)" && [ -n "$wanted_version" ]; then
  wanted=python3.11
elif wanted_version="$(python_version python3)" && supported "$wanted_version"; then
  wanted=python3
else
  refuse "no Python 3.11 or newer: python3.11 does not run here and python3 is ${wanted_version:-missing}." \
    "Install one, or name it: PYTHON=/path/to/python3.12 $0"
fi

# An existing .venv is kept when its Python runs and is 3.11 or newer, unless PYTHON names another X.Y; one made by
# an older or vanished Python, or another X.Y than PYTHON asks for, is made again (the packages follow).
venv_version="$(python_version .venv/bin/python)"
remake=""
if [ -e .venv/bin/python ] && [ -z "$venv_version" ]; then
  remake="its Python no longer runs"
elif [ -e .venv ] && [ ! -e .venv/bin/python ]; then
  remake="it has no Python (an earlier set-up stopped)"
elif [ -n "$venv_version" ] && ! supported "$venv_version"; then
  remake="it has Python $venv_version, older than 3.11"
elif [ -n "$venv_version" ] && [ -n "${PYTHON:-}" ] && [ "${venv_version%.*}" != "${wanted_version%.*}" ]; then
  remake="it has Python $venv_version and PYTHON=$PYTHON is $wanted_version"
fi
if [ -n "$remake" ]; then
  if [ -L .venv ]; then
    refuse ".venv is a link to $(readlink .venv), and $remake; not making it again there." \
      "Run without PYTHON, or remove the link."
  fi
  echo "==> .venv: making it again, as $remake" >&2
  rm -rf .venv
fi
if [ -x .venv/bin/python ]; then
  step_skip "Python $venv_version in .venv" "up to date (PYTHON=python3.X makes it again with another version)"
else
  mkdir -p "$LOGS"
  run_step "Python $wanted_version ($wanted) in .venv" "$LOGS/venv.log" \
    "On Debian or Ubuntu, python3.X -m venv needs the package python3.X-venv." \
    "$wanted" -m venv .venv
fi

# Reinstall only when the requirement files change.
req_stamp=".venv/.requirements.sha256"
req_hash="$(cat requirements.txt requirements-dev.txt pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ -f "$req_stamp" ] && [ "$(cat "$req_stamp")" = "$req_hash" ]; then
  step_skip "Python packages (pip install -r requirements-dev.txt)" \
    "up to date (requirements.txt, requirements-dev.txt and pyproject.toml unchanged)"
else
  run_step "Python packages (pip install -r requirements-dev.txt; a few minutes the first time)" "$LOGS/pip-install.log" \
    "Check that PyPI (or your PIP_INDEX_URL) can be reached and that the pins suit Python $wanted_version, then run again." \
    .venv/bin/python -m pip install --disable-pip-version-check --progress-bar off -r requirements-dev.txt
  echo "$req_hash" > "$req_stamp"
fi

# The oldest supported aws-cdk-lib and constructs, with what they require, as wheels: the tests that install the
# library beside them (tests/distribution/test_oldest.py) must not reach the network. Fetched again only when
# constraints-oldest.txt changes.
oldest_dir=".venv/wheelhouse-oldest"
oldest_stamp=".venv/.wheelhouse-oldest.sha256"
oldest_hash="$(sha256sum constraints-oldest.txt | cut -d' ' -f1)"
download_oldest() {
  rm -rf "$oldest_dir"
  .venv/bin/python -m pip download --disable-pip-version-check --progress-bar off --only-binary=:all: \
    --dest "$oldest_dir" -r constraints-oldest.txt
}
if [ -f "$oldest_stamp" ] && [ "$(cat "$oldest_stamp")" = "$oldest_hash" ]; then
  step_skip "Oldest supported aws-cdk-lib (pip download into $oldest_dir)" "up to date (constraints-oldest.txt unchanged)"
else
  run_step "Oldest supported aws-cdk-lib (pip download into $oldest_dir)" "$LOGS/pip-download-oldest.log" \
    "Check that PyPI (or your PIP_INDEX_URL) can be reached, then run again." \
    download_oldest
  echo "$oldest_hash" > "$oldest_stamp"
fi

# node_modules is stale when the lock file changed since the last `npm ci`.
npm_stamp="node_modules/.package-lock.sha256"
npm_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ -f "$npm_stamp" ] && [ "$(cat "$npm_stamp")" = "$npm_hash" ]; then
  step_skip "Node 22 and the CDK CLI (npm ci)" "up to date (package-lock.json unchanged)"
else
  command -v npm > /dev/null || refuse "npm is not on PATH: install Node.js (any version) with npm, then run again"
  run_step "Node 22 and the CDK CLI (npm ci; takes a minute)" "$LOGS/npm-ci.log" \
    "Check that the npm registry can be reached (npm config get registry), then run again." \
    npm ci --no-audit --no-fund --loglevel=warn
  echo "$npm_hash" > "$npm_stamp"
fi

# Node 22 from the `node` package must win over the machine's Node: jsii prints an end-of-life banner on every
# call under Node 20, whose support it dropped.
export PATH="$ROOT/node_modules/.bin:$ROOT/.venv/bin:$PATH"
export VIRTUAL_ENV="$ROOT/.venv"
node_version="$(node --version 2> /dev/null || true)"
if [[ "$node_version" != v22.* ]]; then
  refuse "node on PATH is '${node_version:-missing}' ($(command -v node || true)), not the Node 22 of package.json" \
    "(node_modules/.bin/node): remove node_modules/.package-lock.sha256 and run again, so that npm ci reinstalls it"
fi
# Offline use: no version check or telemetry calls home (notices are off in cdk.json and by --no-notices).
export CDK_DISABLE_VERSION_CHECK=true
export CDK_DISABLE_CLI_TELEMETRY=true
