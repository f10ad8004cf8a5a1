"""What every benchmark app declares: the example app's image (app.py, cdk.json), so the apps compare like for like.

Each app runs as a fresh process (``python -m benchmarks.<app>``) and reads how many images to declare from
``BENCH_IMAGES``; ``BENCH_TIMEOUT_HOURS`` sets the construct's timeout for the waiting benchmark.
"""

from __future__ import annotations

import os

STACK_NAME = "Bench"
SOURCE_IMAGE_ID = "wsi-0123456789"
IMAGE_NAME = "golden-updated"
DESCRIPTION = "Golden image with the latest WorkSpaces updates"
TAGS = {"team": "euc"}
# The construct's defaults, rendered as UpdatedWorkspaceImage renders them.
TIMEOUT_SECONDS = 3 * 3600
NO_UPDATE_BEHAVIOR = "FAIL"
SERVICE_TIMEOUT_SECONDS = 3600


def images() -> int:
    return int(os.environ.get("BENCH_IMAGES", "1"))


def timeout_hours() -> float | None:
    value = os.environ.get("BENCH_TIMEOUT_HOURS")
    return float(value) if value else None


def image_name(index: int, count: int) -> str:
    """One name per image: WorkSpaces image names are unique in an account."""
    return IMAGE_NAME if count == 1 else f"{IMAGE_NAME}-{index}"


def construct_id(index: int, count: int) -> str:
    return "Golden" if count == 1 else f"Golden{index}"
