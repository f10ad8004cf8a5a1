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
cdk synth --no-notices --quiet --output cdk.out "$@" > /dev/null
echo "Synthesized $ROOT/cdk.out/WorkspacesImageExample.template.json"
# The same app in the months that follow: only the generation changes, as a pipeline would bump it.
for generation in 2 3; do
  cdk synth --no-notices --quiet --output "cdk.out.month$generation" -c generation="$generation" "$@" > /dev/null
done
cdk synth --no-notices --quiet --output cdk.out.failing -c generation=4 "$@" > /dev/null
echo

python -m cfn_driver.demo cdk.out cdk.out.month2 cdk.out.month3 --failing cdk.out.failing
