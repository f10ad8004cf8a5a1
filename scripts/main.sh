#!/usr/bin/env bash
# Set everything up, then synthesize the example app (cdk-nag AwsSolutions runs as part of synth).
set -euo pipefail
# shellcheck source=scripts/bootstrap.sh
source "$(dirname "$0")/bootstrap.sh"

rm -rf cdk.out
cdk synth --no-notices --quiet --output cdk.out "$@" > /dev/null

template="cdk.out/WorkspacesImageExample.template.json"
echo "Synthesized $ROOT/$template"
python - "$template" <<'PY'
import json
import sys

with open(sys.argv[1]) as f:
    template = json.load(f)
print(json.dumps({"Outputs": template.get("Outputs", {})}, indent=2))
PY
