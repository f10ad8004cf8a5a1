"""Fixtures of the handler tests (image and bundle): a fresh Stubber harness per test."""

from __future__ import annotations

import pytest
from support.handler import World


@pytest.fixture
def world() -> World:
    return World()
