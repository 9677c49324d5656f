"""Clocks: the one thing a policy may ask about time.

A policy reads ``self.clock.now`` and never calls ``time``: the simulator hands it a
:class:`SimulatedClock` that the engine moves from event to event, the real-execution
dispatcher a :class:`WallClock` that reads a monotonic clock scaled to workload units.  The
same policy object therefore drives both.
"""

from __future__ import annotations

import time
from typing import Protocol

Time = int | float


class Clock(Protocol):
    @property
    def now(self) -> Time: ...


class SimulatedClock:
    """Simulated time: only the engine moves it, straight to the next event."""

    __slots__ = ("now",)

    def __init__(self, start: Time = 0) -> None:
        self.now: Time = start


class WallClock:
    """Real time in workload units since ``start()``: ``(monotonic - t0) / unit_seconds``."""

    __slots__ = ("_t0", "unit_seconds")

    def __init__(self, unit_seconds: float) -> None:
        if not unit_seconds > 0:
            raise ValueError(f"unit must be > 0 seconds, got {unit_seconds!r}")
        self.unit_seconds = unit_seconds
        self._t0 = time.monotonic()

    def start(self, t0: float | None = None) -> None:
        self._t0 = time.monotonic() if t0 is None else t0

    @property
    def origin(self) -> float:
        return self._t0

    @property
    def now(self) -> float:
        return (time.monotonic() - self._t0) / self.unit_seconds

    def to_units(self, monotonic_seconds: float) -> float:
        return (monotonic_seconds - self._t0) / self.unit_seconds

    def to_monotonic(self, units: float) -> float:
        return self._t0 + units * self.unit_seconds
