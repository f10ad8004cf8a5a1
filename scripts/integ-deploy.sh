#!/usr/bin/env bash
# Deploy the integ tests (tests/integ/integ_*.py) to a REAL AWS account, check their assertions, then destroy them.
# It takes HOURS and creates real resources; the tests never run it. Your usual AWS CLI credentials and Region,
# an account bootstrapped once (./scripts/cdk.sh bootstrap), and:
#
#   INTEG_SOURCE_IMAGE_ID=wsi-...  an image of yours to update: Windows 10, Server 2016 or Server 2019, AVAILABLE,
#                                  with an update available (every test updates it)
#   INTEG_BUNDLE_ID=wsb-...        a custom bundle of yours, for integ_apply_to_bundle only: it is pointed at the
#                                  new image, then back at its previous image when the test is destroyed
#
#   INTEG_SOURCE_IMAGE_ID=wsi-... INTEG_BUNDLE_ID=wsb-... ./scripts/integ-deploy.sh [--yes] [TEST ...]
#
# TEST is integ_image_bundle or integ_apply_to_bundle (default: both, one after the other). For each it
# synthesizes the app with your ids, deploys the test stack (waiting until the image is AVAILABLE: hours, at most
# 12), deploys the assertion stack (DescribeWorkspaceImages and DescribeWorkspaceBundles), then destroys both.
# --yes skips the question asked before anything is created.
#
# It synthesizes with the project's pinned aws-cdk-lib (as integ-runner would: tests/integ/assembly.py) and deploys
# with the pinned CDK CLI, doing what `integ-runner --force` would. integ-runner itself cannot: the newest
# (2.197.10) reads cloud assemblies up to schema 53, and aws-cdk-lib 2.275.0 writes 55 (the offline check runs it
# on the oldest supported aws-cdk-lib instead); nor can it pass your ids to the apps as context.
set -euo pipefail

ALL_TESTS=(integ_image_bundle integ_apply_to_bundle)
usage() {
  sed -n '2,16s/^# \{0,1\}//p' "$0" >&2
  exit 2
}

confirmed=false
tests=()
for arg in "$@"; do
  case "$arg" in
    --yes) confirmed=true ;;
    -h | --help) usage ;;
    integ_image_bundle | integ_apply_to_bundle) tests+=("$arg") ;;
    *) echo "integ-deploy: unknown test or option: $arg (tests: ${ALL_TESTS[*]})" >&2; exit 2 ;;
  esac
done
[ ${#tests[@]} -gt 0 ] || tests=("${ALL_TESTS[@]}")

# Refuse before any set-up or AWS call: a missing or placeholder id would fail only after the deploy began.
source_image_id="${INTEG_SOURCE_IMAGE_ID:-}"
bundle_id="${INTEG_BUNDLE_ID:-}"
if [[ ! "$source_image_id" =~ ^wsi-[0-9a-z]{9,63}$ ]] || [ "$source_image_id" = wsi-0123456789 ]; then
  echo "integ-deploy: set INTEG_SOURCE_IMAGE_ID to an image of yours (wsi- then 9 to 63 of [0-9a-z]," \
    "not the snapshot's placeholder wsi-0123456789); got '${source_image_id}'" >&2
  exit 2
fi
context=("source_image_id=$source_image_id")
if [[ " ${tests[*]} " == *" integ_apply_to_bundle "* ]]; then
  if [[ ! "$bundle_id" =~ ^wsb-[0-9a-z]{8,63}$ ]] || [ "$bundle_id" = wsb-0123456789 ]; then
    echo "integ-deploy: integ_apply_to_bundle needs INTEG_BUNDLE_ID, a custom bundle of yours (wsb- then 8 to 63" \
      "of [0-9a-z], not the snapshot's placeholder wsb-0123456789); got '${bundle_id}'." \
      "Run only integ_image_bundle to do without one." >&2
    exit 2
  fi
  context+=("bundle_id=$bundle_id")
fi

applied=""
if [[ " ${tests[*]} " == *" integ_apply_to_bundle "* ]]; then
  applied="the bundle $bundle_id re-pointed at one of them, "
fi
cat >&2 <<EOF
!! integ-deploy: this deploys to a REAL AWS account, in the Region your credentials and profile select.
!! It creates real resources: for each test (${tests[*]}) an updated WorkSpaces image of $source_image_id,
!! ${applied}a new bundle (integ_image_bundle), Lambda functions, a DynamoDB table, an EventBridge rule,
!! log groups and Step Functions state machines.
!! It takes HOURS: each test waits until its image is AVAILABLE (at most 12 hours), one test after the other.
!! Use credentials that last (or refresh) that long. Everything is destroyed at the end, pass or fail; if the
!! script is interrupted, it prints the command that destroys what is left. The names are fixed (cdk-wsi-integ-*),
!! and WorkSpaces refuses a deleted bundle's name for 2 hours: leave that long between two runs.
EOF
if [ "$confirmed" != true ]; then
  if [ ! -t 0 ]; then
    echo "integ-deploy: not a terminal; pass --yes to go ahead" >&2
    exit 2
  fi
  read -r -p "Deploy? [y/N] " answer
  [[ "$answer" =~ ^[yY]$ ]] || exit 1
fi

# shellcheck source=scripts/bootstrap.sh
source "$(dirname "$0")/bootstrap.sh"

work="$(mktemp -d)"
left_behind=""
# Interrupted in the middle of a test: say how to destroy what it deployed (its cloud assembly stays in $work).
trap 'if [ -n "$left_behind" ]; then
  echo "integ-deploy: stopped; destroy what is left with: ./scripts/cdk.sh destroy --app $left_behind --force --all" >&2
fi' EXIT

run_test() {
  local name="$1" out="$work/$1.out" status=0 test_stacks assertion_stacks
  python tests/integ/assembly.py synth "tests/integ/$name.py" "$out" "${context[@]}" || return 1
  mapfile -t test_stacks < <(python tests/integ/assembly.py stacks "$out" tests)
  mapfile -t assertion_stacks < <(python tests/integ/assembly.py stacks "$out" assertions)
  if [ ${#test_stacks[@]} -eq 0 ] || [ ${#assertion_stacks[@]} -eq 0 ]; then
    echo "integ-deploy: $name: no test or assertion stack in $out/integ.json" >&2
    return 1
  fi
  echo "integ-deploy: $name: deploying ${test_stacks[*]} (hours), then ${assertion_stacks[*]}" >&2
  left_behind="$out"
  cdk deploy --app "$out" --require-approval never --no-notices "${test_stacks[@]}" \
    && cdk deploy --app "$out" --require-approval never --no-notices --no-rollback --exclusively \
      --outputs-file "$out/assertion-results.json" "${assertion_stacks[@]}" \
    && python tests/integ/assembly.py results "$out/assertion-results.json" \
    || status=1
  if ! cdk destroy --app "$out" --force --all --no-notices; then
    echo "integ-deploy: $name: destroy failed; retry with: ./scripts/cdk.sh destroy --app $out --force --all" >&2
    status=1
  fi
  left_behind=""
  return "$status"
}

failed=()
for name in "${tests[@]}"; do
  run_test "$name" || failed+=("$name")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "integ-deploy: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "integ-deploy: passed: ${tests[*]}" >&2
