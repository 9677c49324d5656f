"""One point of a sweep run on its own: what every executor's workers do.

Workers receive the workload's *path*, never the workload itself, and load each file once
per worker process (a small cache keyed by the file's path, modification time and size).
Each task returns only the run's summary metrics (a small dict), never its timeline.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from schedsim.api import load_workload, simulate
from schedsim.workload import Workload

if TYPE_CHECKING:
    from schedsim.sweep.grid import SweepPoint

CACHED_WORKLOADS = 8  # workloads each process keeps loaded

_cache: OrderedDict[tuple[str, int, int, int | float | None], Workload] = OrderedDict()
_cache_lock = threading.Lock()


def cached_workload(path: str | Path, until: int | float | None = None) -> Workload:
    """Load a workload file, or reuse this process's copy if the file is unchanged (same
    absolute path, modification time and size) and the horizon of its periodic tasks is
    the same."""
    try:
        status = os.stat(path)
    except OSError:
        return _load(path, until)  # the loader reports the missing file properly
    key = (os.path.abspath(path), status.st_mtime_ns, status.st_size, until)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    workload = _load(path, until)
    with _cache_lock:
        _cache[key] = workload
        while len(_cache) > CACHED_WORKLOADS:
            _cache.popitem(last=False)
    return workload


def _load(path: str | Path, until: int | float | None) -> Workload:
    return load_workload(path) if until is None else load_workload(path, until=until)


def run_point(point: SweepPoint) -> dict[str, Any]:
    """Simulate one point without a timeline and return its summary (what a worker does)."""
    result = simulate(
        cached_workload(point.path, point.until),
        point.policy,
        timeline=False,
        max_slices=point.max_slices,
        **point.settings,
        **point.options,
    )
    return result.summary
