"""Benchmarks of cdk-workspaces-image: synth overhead, provider footprint, asset and cold start, waiting cost.

Run them all with ``./scripts/bench.sh`` (or ``python -m benchmarks`` inside the set-up environment).
"""
