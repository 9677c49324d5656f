"""What a real run will use, decided and checked before any process starts: the time unit,
the cores, the limits.

Cores: each simulated CPU is one real core.  When the machine has more cores than the run
needs, the dispatcher (the parent) takes the first allowed core for itself and the CPUs get
the next ones — so on a 2-core machine ``--cpus 1`` runs the workers on core 1 and the
dispatcher on core 0.  When the run needs every core (``--cpus 2`` on 2 cores), the CPUs
take them all and the dispatcher shares them, unpinned; it then sleeps between events
instead of polling, so it takes as little as it can from the workers.  More CPUs than cores
is refused.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass

from schedsim.errors import LimitError, OptionError

DEFAULT_UNIT = "10ms"
MIN_UNIT_SECONDS = 0.001
MAX_UNIT_SECONDS = 10.0
DEFAULT_MAX_SECONDS = 60.0
DEFAULT_MAX_PROCESSES = 64
MIN_AVERAGE_SLICE_SECONDS = 0.0005

_UNIT_PATTERN = re.compile(
    r"^\s*(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(?P<suffix>s|ms|us|µs|ns)?\s*$"
)
_SUFFIX_SECONDS = {None: 1.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


def parse_unit(text: str) -> float:
    """``"10ms"`` -> 0.01 seconds.  Suffixes ``s``, ``ms``, ``us`` (or ``µs``), ``ns``; a bare
    number is seconds (``0.01`` = ``10ms``).  Accepted range: 1 ms to 10 s per unit."""
    match = _UNIT_PATTERN.match(str(text))
    if match is None:
        raise OptionError(f"--unit: expected a duration such as 10ms, 0.5s or 200us, got {text!r}")
    seconds = float(match["number"]) * _SUFFIX_SECONDS[match["suffix"]]
    if not (math.isfinite(seconds) and MIN_UNIT_SECONDS <= seconds <= MAX_UNIT_SECONDS):
        raise OptionError(
            f"--unit: must be between 1ms and 10s per time unit, got {text!r}; shorter units "
            "drown in dispatch latency, longer ones make runs needlessly long"
        )
    return seconds


def format_unit(seconds: float) -> str:
    """0.01 -> ``"10ms"``, 0.5 -> ``"500ms"``, 2 -> ``"2s"``."""
    if seconds >= 1:
        return f"{seconds:g}s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:g}ms"
    return f"{seconds * 1e6:g}us"


@dataclass(frozen=True)
class CorePlan:
    """Which real core each simulated CPU uses, and where the dispatcher runs."""

    cpu_cores: tuple[int, ...]
    dispatcher_core: int | None  # None: shares the CPUs' cores, unpinned

    @property
    def dispatcher_has_own_core(self) -> bool:
        return self.dispatcher_core is not None


def allowed_cores() -> list[int]:
    """The cores this process may run on (all of them where affinity is not supported)."""
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))


def plan_cores(cpus: int, *, reserve_dispatcher: bool = True) -> CorePlan:
    """Map ``cpus`` simulated CPUs to real cores (see the module docstring)."""
    cores = allowed_cores()
    if cpus > len(cores):
        raise OptionError(
            f"--cpus {cpus}: this machine lets schedsim use {len(cores)} core(s) "
            f"({', '.join(map(str, cores))}); a real run needs one core per simulated CPU"
        )
    if reserve_dispatcher and len(cores) > cpus:
        return CorePlan(tuple(cores[1 : 1 + cpus]), cores[0])
    return CorePlan(tuple(cores[:cpus]), None)


def check_processes(count: int, limit: int) -> None:
    if count > limit:
        raise LimitError(
            f"the workload has {count} processes; a real run starts one worker process per "
            f"process and is limited to {limit} — pass --max-processes {count} to allow it, "
            "or simulate it with 'schedsim run'"
        )


def check_duration(estimate_seconds: float, limit: float, makespan: float, unit: float) -> None:
    if estimate_seconds > limit:
        raise LimitError(
            f"the run would take about {estimate_seconds:.1f} s of real time (the simulated "
            f"schedule ends at {makespan:g} units x {format_unit(unit)}), above the "
            f"{limit:g} s limit; pass --max-seconds {math.ceil(estimate_seconds * 1.2)} to "
            "allow it, or use a smaller --unit"
        )


def check_slices(slices: int, duration_seconds: float) -> None:
    """Refuse schedules whose slices are too short to measure (a tiny quantum)."""
    if slices and duration_seconds / slices < MIN_AVERAGE_SLICE_SECONDS:
        average = duration_seconds / slices * 1e6
        raise LimitError(
            f"the schedule has {slices:,} slices averaging {average:.0f} us of real time; "
            f"slices shorter than {MIN_AVERAGE_SLICE_SECONDS * 1e6:.0f} us cannot be measured "
            "(dispatching one costs tens of microseconds) — use a larger --unit or quantum"
        )
