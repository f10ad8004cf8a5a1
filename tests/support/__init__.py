"""Helpers shared by the test layers: `handler` (the Stubber harness), `construct` (template helpers) and
`lifecycle` (whole deployments through the CloudFormation driver). Import the one you need by name."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
"""The repository root: tests/support/ is two levels below it."""
