"""Run every benchmark and print one Markdown table: ``python -m benchmarks [--reps 5] ...``.

Every figure is measured in this run: a ratio of interleaved repetitions (median, min, max) or a count.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from benchmarks.report import COMMAND, Options, machine, run


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    defaults = Options()
    parser.add_argument("--reps", type=int, default=defaults.reps, help="synth and import repetitions")
    parser.add_argument("--wait-reps", type=int, default=defaults.wait_reps, help="deployments of the 1 h image")
    parser.add_argument("--long-reps", type=int, default=defaults.long_reps, help="deployments of the 6 h image")
    args = parser.parse_args(argv)
    opts = Options(reps=args.reps, wait_reps=args.wait_reps, long_reps=args.long_reps)
    print(f"Machine: {machine()}. Command: {COMMAND}", flush=True)
    with tempfile.TemporaryDirectory(prefix="cdkwsi-bench-") as tmp:
        print(run(opts, Path(tmp)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
