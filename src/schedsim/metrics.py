"""Metrics computed from a trace — never inside the engine — so simulated and measured runs
are measured by the same code.

Per process:
    turnaround = finish - arrival
    response   = first run - arrival (first run = when it first *executes*, after any
                 context switch)
    waiting    = time spent ready but not running
               = turnaround - CPU time - I/O time - its context-switch share
                 (with float times, a residue of that subtraction within a few ulps of the
                 times involved is the rounding of a zero wait, and is written as 0)
Summary: mean / median / p95 / max of each, throughput (processes per time unit over the
makespan), CPU utilisation (CPU time / (makespan x CPUs)), makespan (last finish - first
arrival), context switches and the time they cost.
"""

from __future__ import annotations

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
DISTRIBUTED = ("turnaround", "waiting", "response")


def job_columns(workload: Workload, trace: Trace) -> dict[str, np.ndarray]:
    """Per-job metric columns (numpy arrays in file order)."""
    raw = [np.asarray(trace.first_run), np.asarray(trace.finish), np.asarray(trace.switch_time)]
    exact = workload.is_integer and all(column.dtype.kind in "iu" for column in raw)
    dtype = np.int64 if exact else np.float64
    first_run, finish, switch_time = (column.astype(dtype) for column in raw)
    arrival = workload.arrival.astype(dtype)
    cpu_time = workload.cpu_total().astype(dtype)
    io_time = workload.io_total().astype(dtype)
    turnaround = finish - arrival
    waiting = turnaround - cpu_time - io_time - switch_time
    if waiting.dtype.kind == "f":
        # A job dispatched the moment it arrived gets finish = start + burst, rounded, and
        # finish - arrival - burst is then +-1e-16 rather than 0: a "waiting" a reader
        # would take for a bug (or a negative wait).
        residue = 8 * np.spacing(np.maximum(np.abs(finish), np.abs(arrival)))
        waiting[np.abs(waiting) <= residue] = 0.0
    return {
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


def summarize(
    columns: dict[str, np.ndarray], *, cpus: int, context_switches: int
) -> dict[str, Any]:
    """Summary statistics of the per-job columns.

    Percentiles interpolate linearly between the two nearest ranks (numpy's default).  On
    integer columns (an integer workload) every statistic is computed exactly, in integers
    and fractions, and written as an int when it is whole, else as the float nearest the
    exact value: p95 of [4, 7, 17, 24] is 22.95, not the 22.949999999999996 that
    interpolating in floats gives."""
    n = len(columns["finish"])
    summary: dict[str, Any] = {"processes": n}
    for metric in DISTRIBUTED:
        values = columns[metric]
        exact = values.dtype.kind in "iu"
        summary[f"avg_{metric}"] = (
            (_exact_mean(values) if exact else _plain(values.mean())) if n else 0
        )
        for name, percent in (("median", 50), ("p95", 95)):
            if not n:
                summary[f"{name}_{metric}"] = 0
            elif exact:
                summary[f"{name}_{metric}"] = _exact_percentile(values, percent)
            else:
                summary[f"{name}_{metric}"] = _plain(np.percentile(values, percent))
        summary[f"max_{metric}"] = _plain(values.max()) if n else 0
    makespan = _plain(columns["finish"].max() - columns["arrival"].min()) if n else 0
    cpu_total = _plain(columns["cpu_time"].sum())
    summary["makespan"] = makespan
    summary["throughput"] = n / makespan if makespan else 0.0
    summary["cpu_utilisation"] = cpu_total / (makespan * cpus) if makespan else 0.0
    summary["cpu_time"] = cpu_total
    summary["context_switches"] = context_switches
    summary["switch_time"] = _plain(columns["switch_time"].sum())
    summary["slices"] = int(columns["slices"].sum())
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
