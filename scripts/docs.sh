#!/usr/bin/env bash
# Set everything up, then write the API reference from the docstrings: docs/api/index.html (or into the folder given).
set -euo pipefail
# shellcheck source=scripts/bootstrap.sh
source "$(dirname "$0")/bootstrap.sh"
exec python scripts/docs.py "$@"
