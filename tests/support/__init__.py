"""Helpers shared by the test layers: `handler` (the Stubber harness), `construct` (template helpers) and
`lifecycle` (whole deployments through the CloudFormation driver). Import the one you need by name."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
"""The repository root: tests/support/ is two levels below it."""

STACK_ID = "arn:aws:cloudformation:eu-west-1:111122223333:stack/Golden/8e6f0a10-0000-4000-8000-000000000000"
"""The stack whose provider the handler tests play: the function's STACK_ID."""
