"""Engine-wide invariants for the policies beyond the textbook five — priority, hrrn,
lottery, stride, fair, and SJF/SRTF on predicted bursts — on random workloads full of
simultaneous events, integer and float, with and without I/O, on 1 to 3 CPUs.

Every schedule must satisfy:

* every process finishes, no earlier than arrival + its CPU and I/O time;
* the CPU time of each process's slices adds up to its CPU bursts;
* no CPU runs two slices at once, no process runs on two CPUs at once or during its I/O;
* waiting = turnaround − CPU − I/O − context-switch time, and is never negative;
* the same workload, options and seed give the same result, byte for byte.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import pairwise
from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from schedsim import Result, Workload, simulate
from schedsim.engine import TIES
from schedsim.policies import REGISTRY

EPSILON = 1e-6

CONFIGURATIONS: list[tuple[str, dict[str, Any]]] = [
    ("priority", {}),
    ("priority", {"preemptive": True}),
    ("priority", {"aging": 1}),
    ("priority", {"aging": 2, "preemptive": True}),
    ("priority", {"aging": 0.7, "preemptive": True}),
    ("hrrn", {}),
    ("lottery", {}),
    ("lottery", {"quantum": 2}),
    ("lottery", {"quantum": 0.5}),
    ("stride", {}),
    ("stride", {"quantum": 3}),
    ("fair", {}),
    ("fair", {"target_latency": 2, "min_granularity": 0.5}),
    ("sjf", {"predict": "exp"}),
    ("sjf", {"predict": "exp", "alpha": 1, "tau0": 1}),
    ("srtf", {"predict": "exp", "alpha": 0.5, "tau0": 3}),
    ("srtf", {"predict": "exp", "alpha": 1, "tau0": 0.5}),
]


@st.composite
def workloads(draw: st.DrawFn, *, io: bool | None = None) -> Workload:
    """Small workloads.  Integer ones draw from tiny ranges so simultaneous events abound;
    attributes include the extremes (1 ticket, nice -20 and 19) and plenty of ties."""
    floats = draw(st.booleans())
    with_io = draw(st.booleans()) if io is None else io
    if floats:
        time = st.floats(0.1, 8.0).map(lambda x: round(x, 2))
        start: st.SearchStrategy[Any] = st.floats(0.0, 8.0).map(lambda x: round(x, 2))
    else:
        time = st.integers(1, 5)
        start = st.integers(0, 5)
    processes = []
    for index in range(draw(st.integers(1, 7))):
        cpu_bursts = draw(st.sampled_from([1, 1, 2, 3])) if with_io else 1
        bursts = [draw(time)]
        for _ in range(cpu_bursts - 1):
            bursts += [draw(time), draw(time)]
        processes.append(
            {
                "pid": f"P{index + 1}",
                "arrival": draw(start),
                "bursts": bursts,
                "priority": draw(st.integers(0, 3)),
                "tickets": draw(st.sampled_from([1, 50, 100, 300])),
                "nice": draw(st.sampled_from([-20, -1, 0, 0, 5, 19])),
            }
        )
    return Workload.from_processes(processes)


def check_schedule(workload: Workload, result: Result, cpus: int) -> None:
    jobs = result.jobs
    finish = jobs["finish"].astype(float)
    arrival = workload.arrival.astype(float)
    cpu_total = workload.cpu_total().astype(float)
    io_total = workload.io_total().astype(float)
    assert np.all(np.isfinite(finish))
    assert np.all(finish >= arrival + cpu_total + io_total - EPSILON)

    rows = result.timeline_records()
    executed: dict[str, float] = defaultdict(float)
    by_cpu: dict[int, list[tuple[float, float]]] = defaultdict(list)
    by_job: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for row in rows:
        assert 0 <= row["cpu"] < cpus
        assert row["start"] <= row["end"] + EPSILON
        executed[row["pid"]] += row["end"] - row["start"]
        by_cpu[row["cpu"]].append((row["dispatched"], row["end"]))
        by_job[row["pid"]].append((row["start"], row["end"]))
    for index, pid in enumerate(workload.pid):
        assert abs(executed[pid] - cpu_total[index]) <= EPSILON * max(1.0, cpu_total[index]), pid
    for job, start, end in result.io_periods:
        by_job[result.pids[job]].append((float(start), float(end)))
    for intervals in (*by_cpu.values(), *by_job.values()):
        intervals.sort()
        for (_, end), (start, _) in pairwise(intervals):
            assert start >= end - EPSILON

    identity = jobs["turnaround"] - jobs["cpu_time"] - jobs["io_time"] - jobs["switch_time"]
    assert np.allclose(jobs["waiting"].astype(float), identity.astype(float))
    assert np.all(jobs["waiting"].astype(float) >= -EPSILON)


def test_every_new_policy_is_registered() -> None:
    for name in ("priority", "hrrn", "lottery", "stride", "fair"):
        assert REGISTRY[name].name == name
        assert REGISTRY[name].title


@given(
    workloads(),
    st.sampled_from(CONFIGURATIONS),
    st.integers(1, 3),
    st.sampled_from([0, 0, 1]),
    st.sampled_from(TIES),
    st.integers(0, 3),
)
def test_every_schedule_is_valid(
    workload: Workload,
    configuration: tuple[str, dict[str, Any]],
    cpus: int,
    switch: int,
    ties: str,
    seed: int,
) -> None:
    name, options = configuration
    result = simulate(
        workload, name, cpus=cpus, context_switch=switch, ties=ties, seed=seed, **options
    )
    check_schedule(workload, result, cpus)


@given(workloads(), st.sampled_from(CONFIGURATIONS), st.integers(1, 3), st.integers(0, 3))
def test_same_seed_same_result(
    workload: Workload, configuration: tuple[str, dict[str, Any]], cpus: int, seed: int
) -> None:
    name, options = configuration
    first = simulate(workload, name, cpus=cpus, seed=seed, **options).to_json()
    second = simulate(workload, name, cpus=cpus, seed=seed, **options).to_json()
    assert first == second


@given(workloads(io=False), st.integers(1, 3))
def test_without_aging_or_io_equal_priorities_are_fcfs(workload: Workload, cpus: int) -> None:
    """With one priority for everyone, priority scheduling is first come, first served —
    preemptive or not (an equal priority never preempts)."""
    fcfs = simulate(workload, "fcfs", cpus=cpus).jobs["finish"].tolist()
    same = Workload.from_processes([{**process, "priority": 2} for process in _processes(workload)])
    for options in ({}, {"preemptive": True}, {"aging": 1}, {"aging": 1, "preemptive": True}):
        assert simulate(same, "priority", cpus=cpus, **options).jobs["finish"].tolist() == fcfs


@given(workloads(io=False))
def test_share_policies_with_one_job_at_a_time_are_fcfs(workload: Workload) -> None:
    """Sharing only matters among jobs competing: spaced-out jobs that never overlap finish
    when FCFS finishes them (up to float rounding of the many slices)."""
    spaced = []
    clock: Any = 0
    for process in _processes(workload):
        spaced.append({**process, "arrival": clock})
        clock += sum(process["bursts"]) + 1
    spaced_workload = Workload.from_processes(spaced)
    fcfs = simulate(spaced_workload, "fcfs").jobs["finish"].astype(float)
    for name in ("stride", "lottery", "fair", "hrrn"):
        finish = simulate(spaced_workload, name).jobs["finish"].astype(float)
        assert np.allclose(finish, fcfs, rtol=0, atol=EPSILON), name


def _processes(workload: Workload) -> list[dict[str, Any]]:
    """The workload's processes as dicts ``Workload.from_processes`` accepts."""
    return [
        {
            "pid": workload.pid[index],
            "arrival": workload.arrival[index].item(),
            "bursts": list(workload.bursts(index)),
            "priority": int(workload.priority[index]),
            "tickets": int(workload.tickets[index]),
            "nice": int(workload.nice[index]),
        }
        for index in range(len(workload))
    ]
