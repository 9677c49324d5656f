"""Burning CPU time while watching when the kernel really ran this process, and where.

A worker measures a CPU burst in its own CPU time (``time.thread_time()``) and watches the
monotonic clock beside it: a jump of the clock longer than a gap threshold between two
looks is a time the kernel ran something else.  The intervals between jumps, each with the
core it ran on (``sched_getcpu``), are what kernel and SCHED_DEADLINE runs report as the
measured schedule.
"""

from __future__ import annotations

import ctypes
import math
import time
from collections.abc import Callable
from typing import cast

from schedsim.real.libc import libc

Interval = tuple[float, float, int]  # monotonic start, end, core


def core_reader() -> Callable[[], int]:
    """A function returning the core this process runs on (-1 where unknown)."""
    library = libc()
    try:
        getcpu = library.sched_getcpu
    except AttributeError:  # pragma: no cover - glibc and musl both have it; None off Linux
        return lambda: -1
    getcpu.restype, getcpu.argtypes = ctypes.c_int, []
    return cast(Callable[[], int], getcpu)


def burn_observed(
    need: float, gap: float, getcpu: Callable[[], int], give_up: float = math.inf
) -> tuple[float, list[Interval], bool]:
    """Burn ``need`` seconds of this thread's CPU time; stop early at the monotonic time
    ``give_up`` (a job aborted at its deadline).  Returns the CPU time used, the intervals
    it really ran, and whether it stopped short."""
    thread_time, monotonic = time.thread_time, time.monotonic
    intervals: list[Interval] = []
    begin = thread_time()
    target = begin + need
    start = last = monotonic()
    core = getcpu()
    while True:
        cpu = thread_time()
        now = monotonic()
        if now - last > gap:
            intervals.append((start, last, core))
            start = now
            core = getcpu()
        last = now
        if cpu >= target or now >= give_up:
            intervals.append((start, now, core))
            return cpu - begin, intervals, cpu < target
