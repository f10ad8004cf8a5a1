"""Every lifecycle row runs with IAM enforced: a call the provider's policy does not allow fails the row, and so
does an emulator failure."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.lifecycle import World


@pytest.fixture(autouse=True)
def no_unexpected_denials() -> Iterator[None]:
    World.made.clear()
    yield
    worlds = list(World.made)
    World.made.clear()
    unexpected = [message for world in worlds if not world.expect_denials for message in world.denials()]
    assert unexpected == [], "the provider's policy refused calls the handler makes (a policy gap?)"
    # An emulator bug (a policy it cannot evaluate, say) is answered 500 and kept here.
    assert [failure for world in worlds for failure in world.cloud.server.failures] == []
