"""Test set-up shared by every test: the checkout's handler package on sys.path, an AWS-free environment, the
environment on the oldest supported set that the distribution and integ tests share, and the `slow` mark of whole
directories."""

from __future__ import annotations

import collections
import fcntl
import os
import sys
import tempfile
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
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
    which only read it: building and installing take about 15 seconds. Under pytest-xdist each worker has a base
    temporary directory of its own in one the run's workers share: the first worker to ask makes it there, under a
    lock, and the others wait for it."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    made = base / "oldest-python"
    with open(base / "oldest-python.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not made.is_file():
            work = Path(tempfile.mkdtemp(prefix="oldest-", dir=base))
            made.write_text(str(distribution.oldest_environment(work)))
    return Path(made.read_text())


# Directories whose every test is slow (`-m "not slow"` leaves them out): whole deployments through the driver with
# the handler in subprocesses, integ-runner and the integ apps, the benchmarks' fresh processes. Slow tests elsewhere
# carry their own mark.
SLOW_DIRECTORIES = ("lifecycle", "integ", "bench")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(TESTS) and item.path.relative_to(TESTS).parts[0] in SLOW_DIRECTORIES:
            item.add_marker(pytest.mark.slow)
    if os.environ.get("PYTEST_XDIST_WORKER"):
        # pytest-xdist hands out whole files in this order (--dist loadfile --no-loadscope-reorder): the files with
        # slow tests first, then the others, each the larger first, so that the last files to start are short and
        # no worker is left alone with a long one.
        slow = {item.path for item in items if item.get_closest_marker("slow")}
        tests = collections.Counter(item.path for item in items)
        items.sort(key=lambda item: (item.path not in slow, -tests[item.path]))
