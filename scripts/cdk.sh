#!/usr/bin/env bash
# The pinned CDK CLI (Node 22 from package.json) with the project's Python environment:
# ./scripts/cdk.sh deploy -c source_image_id=wsi-... (set-up included, as for main.sh).
set -euo pipefail
# shellcheck source=scripts/bootstrap.sh
source "$(dirname "$0")/bootstrap.sh"
exec cdk "$@"
