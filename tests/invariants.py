"""Checks every schedule must pass, whatever the policy (used by property tests)."""

from __future__ import annotations

import itertools
from collections import defaultdict
from typing import Any

import numpy as np

from schedsim import Result, Workload
from schedsim.policies import REGISTRY

EPSILON = 1e-9


def check_schedule(workload: Workload, result: Result, cpus: int) -> None:
    rows = result.timeline_records()
    n = len(workload)
    finish = result.jobs["finish"]
    # Every process finishes, after it arrived.
    assert np.all(np.isfinite(finish.astype(float)))
    assert np.all(finish >= workload.arrival)

    # CPU time per process (from the slices) equals its CPU bursts.
    executed: dict[str, float] = defaultdict(float)
    for row in rows:
        assert row["dispatched"] <= row["start"] + EPSILON or row["reason"] == "preempted"
        assert row["start"] <= row["end"] + EPSILON
        executed[row["pid"]] += row["end"] - row["start"]
    cpu_total = workload.cpu_total()
    for index, pid in enumerate(workload.pid):
        assert abs(executed[pid] - float(cpu_total[index])) <= 1e-6 * max(
            1.0, float(cpu_total[index])
        ), pid

    # No CPU runs two slices at once; no process runs on two CPUs at once.
    by_cpu: dict[int, list[tuple[float, float]]] = defaultdict(list)
    by_job: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for row in rows:
        assert 0 <= row["cpu"] < cpus
        by_cpu[row["cpu"]].append((row["dispatched"], row["end"]))
        by_job[row["pid"]].append((row["dispatched"], row["end"]))
    for intervals in (*by_cpu.values(), *by_job.values()):
        intervals.sort()
        for (_, end), (start, _) in itertools.pairwise(intervals):
            assert start >= end - EPSILON

    # waiting = turnaround - CPU - I/O - switch share, never negative.
    jobs = result.jobs
    identity = jobs["turnaround"] - jobs["cpu_time"] - jobs["io_time"] - jobs["switch_time"]
    assert np.allclose(jobs["waiting"].astype(float), identity.astype(float))
    assert np.all(jobs["waiting"] >= -1e-6)
    assert np.allclose(jobs["turnaround"], jobs["finish"] - jobs["arrival"])

    # Work conservation: whenever a process waits, every CPU is busy (running or switching) —
    # every CPU the policy lets run at once: one, for a lock one thread holds at a time.
    # And never more than that many run at once.
    limit = REGISTRY[result.policy].max_running if result.policy in REGISTRY else None
    usable = cpus if limit is None else min(cpus, limit)
    waiting = _waiting_intervals(workload, result, by_job)
    points = sorted(
        {t for a, b in waiting for t in (a, b)}
        | {t for iv in by_cpu.values() for a, b in iv for t in (a, b)}
    )
    for left, right in itertools.pairwise(points):
        if right - left <= EPSILON:
            continue
        middle = (left + right) / 2
        busy = sum(any(a <= middle < b for a, b in by_cpu[c]) for c in range(cpus))
        assert busy <= usable, f"{busy} CPUs busy at {middle}; the policy allows {usable}"
        if any(a < middle < b for a, b in waiting):
            assert busy == usable, f"CPU idle at {middle} while a process waits"
    assert n == len(result.pids)


def _waiting_intervals(
    workload: Workload, result: Result, by_job: dict[str, list[tuple[float, float]]]
) -> list[tuple[float, float]]:
    """Ready-but-not-running intervals: lifetime minus running/switching minus I/O."""
    io: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for job, start, end in result.io_periods:
        io[result.pids[job]].append((float(start), float(end)))
    out: list[tuple[float, float]] = []
    for index, pid in enumerate(workload.pid):
        busy = sorted(by_job[pid] + io[pid])
        cursor = float(workload.arrival[index])
        for start, end in busy:
            if start > cursor + EPSILON:
                out.append((cursor, start))
            cursor = max(cursor, end)
    return out


def finish_times(result: Result) -> list[Any]:
    return result.jobs["finish"].tolist()
