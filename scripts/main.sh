#!/usr/bin/env bash
# Set everything up, synthesize the example app (cdk-nag AwsSolutions runs as part of synth), then
# deploy it into the local WorkSpaces emulator through the CloudFormation lifecycle driver: a timeline
# of a successful deployment, then of next month's update failing in WorkSpaces and rolling back.
set -euo pipefail
# shellcheck source=scripts/bootstrap.sh
source "$(dirname "$0")/bootstrap.sh"

rm -rf cdk.out cdk.out.update
cdk synth --no-notices --quiet --output cdk.out "$@" > /dev/null
echo "Synthesized $ROOT/cdk.out/WorkspacesImageExample.template.json"
# The same app a month later: a new source image and image name (a replacement).
cdk synth --no-notices --quiet --output cdk.out.update \
  -c source_image_id=wsi-0123456790 -c image_name=golden-updated-next "$@" > /dev/null
echo

python -m cfn_driver.demo cdk.out cdk.out.update
