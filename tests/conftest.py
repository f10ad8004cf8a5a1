"""Test set-up shared by every test: the checkout's handler package on sys.path, an AWS-free environment, and the
environment on the oldest supported set that the distribution and integ tests share."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HANDLER_DIR = ROOT / "lambda"

# lambda/ holds the handler package cdk_workspaces_image_handler (lambda, a keyword, is never imported).
sys.path.insert(0, str(HANDLER_DIR))
# aws_emulator/ and cfn_driver/ (and benchmarks/) are top-level folders of the repository, not installed packages.
sys.path.insert(1, str(ROOT))

from support import STACK_ID, distribution  # noqa: E402  (needs tests/ on sys.path, which pytest puts there for this file)

# No test may reach AWS: fake credentials, a fixed Region, no config files.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_REGION": "eu-west-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "WATCH_TABLE": "Golden-WatchTable-ABC123",
        "WATCH_RULE": "cdkwsi-7f0a2c1e-0000-4000-8000-000000000001",
        "STACK_ID": STACK_ID,
    }
)


@pytest.fixture(scope="session")
def oldest_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python of an environment with this checkout's wheel beside the oldest supported aws-cdk-lib, constructs
    and integ-tests-alpha (constraints-oldest.txt). Made once a run, for the distribution and integ tests alike,
    which only read it: building and installing take about 15 seconds."""
    return distribution.oldest_environment(tmp_path_factory.mktemp("oldest"))
