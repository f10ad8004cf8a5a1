#!/usr/bin/env bash
# Set everything up, then lint, type-check and run the whole test suite; arguments go to pytest
# (./scripts/test.sh tests/unit -k name). Each check is one line with its time; a failing one prints what it found.
set -euo pipefail
# shellcheck source=scripts/bootstrap.sh
source "$(dirname "$0")/bootstrap.sh"

run_step "ruff check" "$LOGS/ruff-check.log" "Fix what it reports (ruff check --fix . fixes some)." ruff check .
run_step "ruff format --check" "$LOGS/ruff-format.log" "Run: .venv/bin/ruff format ." ruff format --check .
run_step "mypy (strict)" "$LOGS/mypy.log" "Fix the types it reports (settings: [tool.mypy] in pyproject.toml)." mypy

# pytest's own output is the progress: it runs in the terminal, not in a log.
echo "==> pytest -q $* (the whole suite takes a few minutes; -m 'not slow' is the fast lane):" >&2
start="$(_step_clock)"
status=0
pytest -q "$@" || status=$?
if [ "$status" -ne 0 ]; then
  echo "!! pytest failed after $(_step_elapsed "$start") (exit status $status): the failures are above." >&2
  exit "$status"
fi
echo "==> pytest: done in $(_step_elapsed "$start")" >&2
