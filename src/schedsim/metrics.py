"""Metrics computed from a trace — never inside the engine — so simulated and measured runs
are measured by the same code.

Per process:
    turnaround = finish - arrival
    response   = first run - arrival (first run = when it first *executes*, after any
                 context switch)
    waiting    = time spent ready but not running
               = turnaround - CPU time - I/O time - blocked time - its context-switch share
                 (blocked: waiting for a lock, semaphore, event, queue or join; only
                 processes that synchronise have it, and their CPU and I/O times are what
                 they really ran: a daemon ended early or a deadlocked process ran less)
                 (with float times, a residue of that subtraction within a few ulps of the
                 times involved is the rounding of a zero wait, and is written as 0)
Summary: mean / median / p95 / max of each, throughput (processes per time unit over the
makespan), CPU utilisation (CPU time / (makespan x CPUs)), makespan (last finish - first
arrival), context switches and the time they cost.  Processes that did not finish (left in a
deadlock, or daemons ended with their parent) have no turnaround (NaN) or are left out of
the distributions; the summary counts them.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

from schedsim.trace import Trace
from schedsim.workload import Workload

JOB_COLUMNS = (
    "arrival",
    "first_run",
    "finish",
    "turnaround",
    "waiting",
    "response",
    "cpu_time",
    "io_time",
    "switch_time",
    "slices",
)
# Columns only some runs have: time blocked on resources (processes that synchronise); each
# job's task, release, absolute deadline, lateness and whether it missed its deadline
# (real-time tasks: schedsim.realtime.results).  Most are times; these two are not.
OPTIONAL_JOB_COLUMNS = ("blocked_time", "task", "release", "deadline", "lateness", "missed")
TEXT_COLUMNS = frozenset({"task"})  # strings
FLAG_COLUMNS = frozenset({"missed"})  # true, false or null (undecided)
DISTRIBUTED = ("turnaround", "waiting", "response")


def job_columns(workload: Workload, trace: Trace) -> dict[str, np.ndarray]:
    """Per-job metric columns (numpy arrays in file order); NaN times for a process that
    never finished (a deadlock)."""
    sources = (trace.first_run, trace.finish, trace.switch_time)
    exact = workload.is_integer and all(_integral(source) for source in sources)
    dtype = np.int64 if exact else np.float64
    first_run, finish, switch_time = (_column(source, dtype) for source in sources)
    arrival = workload.arrival.astype(dtype)
    extra = trace.extra
    cpu_time = _column(extra.get("cpu_time", workload.cpu_total()), dtype)
    io_time = _column(extra.get("io_time", workload.io_total()), dtype)
    turnaround = finish - arrival
    waiting = turnaround - cpu_time - io_time - switch_time
    blocked = None
    if "blocked_time" in extra:
        blocked = _column(extra["blocked_time"], dtype)
        waiting = waiting - blocked
    if waiting.dtype.kind == "f":
        # A job dispatched the moment it arrived gets finish = start + burst, rounded, and
        # finish - arrival - burst is then +-1e-16 rather than 0: a "waiting" a reader
        # would take for a bug (or a negative wait).
        residue = 8 * np.spacing(np.maximum(np.abs(finish), np.abs(arrival)))
        waiting[np.abs(waiting) <= residue] = 0.0
    columns = {
        "arrival": arrival,
        "first_run": first_run,
        "finish": finish,
        "turnaround": turnaround,
        "waiting": waiting,
        "response": first_run - arrival,
        "cpu_time": cpu_time,
        "io_time": io_time,
        "switch_time": switch_time,
        "slices": np.asarray(trace.slices, dtype=np.int64),
    }
    if blocked is not None:
        columns["blocked_time"] = blocked
    return columns


def _integral(values: Any) -> bool:
    """Whether a trace column holds only integers (a time that never came aside)."""
    if isinstance(values, np.ndarray):
        return values.dtype.kind in "iu"
    return all(type(value) is int or value is None for value in values)


def _column(values: Any, dtype: Any) -> np.ndarray:
    """A trace column as an array of ``dtype``; a time that never came (None) is NaN, which
    makes that column float."""
    if not isinstance(values, np.ndarray) and any(value is None for value in values):
        return np.asarray([math.nan if value is None else value for value in values], float)
    return np.asarray(values).astype(dtype)


def summarize(
    columns: dict[str, np.ndarray],
    *,
    cpus: int,
    context_switches: int,
    counted: np.ndarray | None = None,
    end: Any = None,
) -> dict[str, Any]:
    """Summary statistics of the per-job columns, over the processes ``counted`` (default:
    all; processes that synchronise leave out those that did not finish); ``end`` is when
    the run stopped, if it stopped before every process finished (a deadlock).

    Percentiles interpolate linearly between the two nearest ranks (numpy's default).  On
    integer columns (an integer workload) every statistic is computed exactly, in integers
    and fractions, and written as an int when it is whole, else as the float nearest the
    exact value: p95 of [4, 7, 17, 24] is 22.95, not the 22.949999999999996 that
    interpolating in floats gives."""
    n = len(columns["finish"])
    summary: dict[str, Any] = {"processes": n}
    selected = {
        name: values if counted is None else values[counted] for name, values in columns.items()
    }
    finished = len(selected["finish"])
    for metric in DISTRIBUTED:
        values = selected[metric]
        exact = values.dtype.kind in "iu"
        summary[f"avg_{metric}"] = (
            (_exact_mean(values) if exact else _plain(values.mean())) if finished else 0
        )
        for name, percent in (("median", 50), ("p95", 95)):
            if not finished:
                summary[f"{name}_{metric}"] = 0
            elif exact:
                summary[f"{name}_{metric}"] = _exact_percentile(values, percent)
            else:
                summary[f"{name}_{metric}"] = _plain(np.percentile(values, percent))
        summary[f"max_{metric}"] = _plain(values.max()) if finished else 0
    finishes = columns["finish"]
    known = finishes[~np.isnan(finishes)] if finishes.dtype.kind == "f" else finishes
    last = _plain(known.max()) if len(known) else None
    if end is not None and (last is None or end > last):
        last = end
    makespan = _plain(last - columns["arrival"].min()) if n and last is not None else 0
    cpu_total = _plain(columns["cpu_time"].sum())
    summary["makespan"] = makespan
    summary["throughput"] = finished / makespan if makespan else 0.0
    summary["cpu_utilisation"] = cpu_total / (makespan * cpus) if makespan else 0.0
    summary["cpu_time"] = cpu_total
    summary["context_switches"] = context_switches
    summary["switch_time"] = _plain(columns["switch_time"].sum())
    summary["slices"] = int(columns["slices"].sum())
    if counted is not None:
        summary["finished"] = finished
    if "blocked_time" in columns:
        summary["blocked_time"] = _plain(columns["blocked_time"].sum())
    return summary


def _exact_mean(values: np.ndarray) -> int | float:
    """The mean of whole numbers: an int when whole, else the float nearest the fraction."""
    bound = int(np.abs(values).max()) if len(values) else 0
    total = int(values.sum()) if bound * len(values) < 2**62 else sum(values.tolist())
    return _nearest(Fraction(total, len(values)))


def _exact_percentile(values: np.ndarray, percent: int) -> int | float:
    """numpy's linear percentile of whole numbers, computed exactly: the rank
    (n - 1) * percent / 100 is a fraction between two order statistics."""
    rank = Fraction((len(values) - 1) * percent, 100)
    below = int(rank)
    ranks = [below, below + 1] if rank > below else [below]
    ordered = np.partition(values, ranks)
    low = int(ordered[below])
    if len(ranks) == 1:
        return low
    return _nearest(low + (rank - below) * (int(ordered[below + 1]) - low))


def _nearest(value: Fraction | int) -> int | float:
    value = Fraction(value)
    return int(value) if value.denominator == 1 else float(value)


def _plain(value: Any) -> Any:
    """A numpy scalar as a plain int or float (ints stay ints: exact output)."""
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        as_float = float(value)
        return as_float
    return value
