"""A virtual clock: tests and the lifecycle driver move time forward instead of sleeping."""

from __future__ import annotations

import threading

# 2024-01-01T00:00:00Z: a fixed start keeps timelines and Created values reproducible.
DEFAULT_START = 1_704_067_200.0


class VirtualClock:
    """Epoch seconds that only move when told to. Calling the clock returns the time."""

    def __init__(self, start: float = DEFAULT_START) -> None:
        self._now = float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    __call__ = now

    def advance(self, seconds: float) -> float:
        """Move forward by `seconds` (never backward: schedules and plans assume time only grows)."""
        if seconds < 0:
            raise ValueError(f"a virtual clock only moves forward, not by {seconds}")
        with self._lock:
            self._now += seconds
            return self._now

    def set(self, when: float) -> float:
        with self._lock:
            if when < self._now:
                raise ValueError(f"a virtual clock only moves forward: {when} < {self._now}")
            self._now = float(when)
            return self._now
