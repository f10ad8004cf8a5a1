#!/usr/bin/env bash
# Set everything up, then run the benchmarks (synth, footprint, asset, waiting cost) and print one Markdown table.
# Takes about five minutes; options: --reps N (synth and imports), --wait-reps N (1 h image), --long-reps N (6 h image).
set -euo pipefail
# shellcheck source=scripts/bootstrap.sh
source "$(dirname "$0")/bootstrap.sh"

python -m benchmarks "$@"
