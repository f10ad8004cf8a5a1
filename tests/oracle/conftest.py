"""What the oracle tests of the emulator share."""

from __future__ import annotations

import pytest

from aws_emulator import VirtualClock


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()
