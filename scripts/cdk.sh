#!/usr/bin/env bash
# The pinned CDK CLI (Node 22 from package.json) with the project's Python environment (set-up included, as for
# main.sh), run in the folder you call it from, so that it reads that folder's cdk.json:
#
#   ./scripts/cdk.sh deploy -c source_image_id=wsi-...                  # the example app (app.py), from the root
#   cd examples/minimal && ../../scripts/cdk.sh deploy -c source_image_id=wsi-...   # an example, from its folder
#
# The examples' cdk.json run `python3 app.py`: the .venv's python3, first on PATH here.
set -euo pipefail
# shellcheck source=scripts/bootstrap.sh
source "$(dirname "$0")/bootstrap.sh"
cd "$CALLER_DIR"
exec cdk "$@"
