#!/usr/bin/env bash
# Set everything up, synthesize the example app (cdk-nag AwsSolutions runs as part of synth), then deploy it
# into the local WorkSpaces emulator through the CloudFormation lifecycle driver, month after month: the first
# image; a month later the update monitor reports AWS's updates and generation 2 replaces it, the bundle moving
# along; a month after that generation 3, when keep_previous=1 deletes generation 1; then a month whose update
# fails in WorkSpaces and rolls back. The events the provider and the monitor put on the bus are in the timeline.
set -euo pipefail
# shellcheck source=scripts/bootstrap.sh
source "$(dirname "$0")/bootstrap.sh"

rm -rf cdk.out cdk.out.month2 cdk.out.month3 cdk.out.failing cdk.out.update
# The demo shares each month's image with a second account of the Region, copies it to a second Region, and imports
# a BYOL image from an AMI beside it (the example's defaults do none of these).
set -- -c share_with_accounts=444455556666 -c copy_to_regions=eu-central-1 -c byol_ami=ami-0123456789abcdef0 "$@"

# One synth per month the demo deploys: the same app, only the generation changing, as a pipeline would bump it.
# Each is a new CDK CLI process, so each bundles the handler asset again (the same files, the same hash); what the
# CLI prints is in .venv/logs/synth-*.log, shown when a synth fails.
synth() {
  local out="$1" month="$2" why="$3"
  shift 3
  run_step "cdk synth, month $month: $why -> $out" "$LOGS/synth-$out.log" \
    "The example app did not synthesize; the log above says why. See it live: ./scripts/cdk.sh synth $*" \
    cdk synth --no-notices --quiet --output "$out" "$@"
}
synth cdk.out 1 "the first image (cdk-nag checks it)" "$@"
synth cdk.out.month2 2 "-c generation=2, the next image" -c generation=2 "$@"
synth cdk.out.month3 3 "-c generation=3; keep_previous=1 deletes generation 1" -c generation=3 "$@"
synth cdk.out.failing 4 "-c generation=4, whose update the emulator fails" -c generation=4 "$@"
echo "Synthesized $ROOT/cdk.out/WorkspacesImageExample.template.json" >&2

echo "==> Local deployment of months 1 to 4 (python -m cfn_driver.demo), on a virtual clock:" >&2
echo
start="$(_step_clock)"
status=0
python -m cfn_driver.demo cdk.out cdk.out.month2 cdk.out.month3 --failing cdk.out.failing || status=$?
if [ "$status" -ne 0 ]; then
  echo "!! The local deployment failed after $(_step_elapsed "$start") (exit status $status): its output is above." >&2
  exit "$status"
fi
echo "==> Local deployment: done in $(_step_elapsed "$start")" >&2
