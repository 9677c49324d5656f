"""The trace of a run: per-job records and the timeline of CPU slices.

Both drivers (simulated and real) write these same records, and everything downstream —
metrics, tables, charts, JSON — reads only these, so a measured run is drawn and compared
exactly like a simulated one.

The timeline is stored column-wise in :mod:`array` arrays (about 30 bytes per slice, not a
Python object per slice) because long runs produce tens of millions of slices.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# Why a slice ended.  Values are stable: they appear in saved results.
FINISHED = 0  # the job's last CPU burst ended: it exits
BLOCKED = 1  # a CPU burst ended and I/O follows
EXPIRED = 2  # the slice ran out with work left
PREEMPTED = 3  # the policy gave the CPU to another job
RESLICED = 4  # the policy restarted the slice (e.g. MLFQ boost); no context switch
STEPPED = 5  # ran up to synchronisation steps and went on (same CPU, rest of the slice)
WAITED = 6  # a step blocked: the process waits for a resource (or a join)
ENDED_REASON = 7  # a daemon ended because its parent finished
ABORTED = 8  # its deadline passed (--on-miss abort-job), or the run stopped there (stop)

REASON_NAMES = (
    "finished",
    "blocked",
    "expired",
    "preempted",
    "resliced",
    "stepped",
    "waited",
    "ended",
    "aborted",
)


@dataclass
class Timeline:
    """Slices in the order they ended: CPU, job id, dispatch time, start of execution (after
    any context switch), end, queue level (-1 if the policy has none) and end reason."""

    cpu: array = field(default_factory=lambda: array("h"))
    job: array = field(default_factory=lambda: array("q"))
    dispatched: array = field(default_factory=lambda: array("d"))
    start: array = field(default_factory=lambda: array("d"))
    end: array = field(default_factory=lambda: array("d"))
    level: array = field(default_factory=lambda: array("h"))
    reason: array = field(default_factory=lambda: array("b"))

    COLUMNS = ("cpu", "job", "dispatched", "start", "end", "level", "reason")

    def __len__(self) -> int:
        return len(self.job)

    def append(
        self,
        cpu: int,
        job: int,
        dispatched: float,
        start: float,
        end: float,
        level: int,
        reason: int,
    ) -> None:
        self.cpu.append(cpu)
        self.job.append(job)
        self.dispatched.append(dispatched)
        self.start.append(start)
        self.end.append(end)
        self.level.append(level)
        self.reason.append(reason)

    def arrays(self) -> dict[str, np.ndarray]:
        """Zero-copy numpy views of the columns."""
        return {
            name: np.frombuffer(getattr(self, name), dtype=getattr(self, name).typecode)
            if len(self)
            else np.zeros(0, dtype=getattr(self, name).typecode)
            for name in self.COLUMNS
        }

    def sorted_by_start(self) -> Timeline:
        """A copy ordered by (start, cpu), the order people read a schedule in."""
        cols = self.arrays()
        order = np.lexsort((cols["cpu"], cols["dispatched"]))
        out = Timeline()
        for name in self.COLUMNS:
            getattr(out, name).frombytes(cols[name][order].tobytes())
        return out

    @classmethod
    def from_arrays(cls, columns: dict[str, Any]) -> Timeline:
        out = cls()
        for name in cls.COLUMNS:
            target = getattr(out, name)
            values = np.asarray(columns[name], dtype=target.typecode)
            target.frombytes(values.tobytes())
        return out


Column = list[Any] | np.ndarray
"""A per-job trace column: a list (the Python loops, whose Python ints keep integer
workloads exact) or a numpy array (the compiled loop and the fixed-order pass, which create
no Python object per job).  Readers take ``np.asarray`` of it."""


@dataclass
class Trace:
    """What a driver hands back: raw per-job times and the timeline, before any metrics.

    ``first_run``/``finish`` are absolute times; ``switch_time`` is the context-switch
    time charged to each job's dispatches; ``slices`` counts its dispatches.
    """

    first_run: Column
    finish: Column
    switch_time: Column
    slices: Column
    context_switches: int
    timeline: Timeline | None
    extra: dict[str, Any] = field(default_factory=dict)
