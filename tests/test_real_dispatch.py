"""Dispatch mode on real worker processes: the policy's schedule, for real.

Workloads are tiny (a few processes, bursts of a few units at a 5 ms unit) and chosen so the
schedule has no near-simultaneous events whose order real time could flip: every assertion
is about structure — the completion order, a well-formed timeline, the CPU each worker
burned — never about exact wall times.  Each test also relies on the autouse fixture in
conftest.py that fails it if any worker process is left behind.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from schedsim.real import Measurement, measure
from schedsim.result import Result
from schedsim.workload import Workload

pytestmark = pytest.mark.real

UNIT = "5ms"


def workload(*rows: tuple[str, float, list[float]], name: str = "tiny") -> Workload:
    return Workload.from_processes(
        [{"pid": pid, "arrival": arrival, "bursts": bursts} for pid, arrival, bursts in rows],
        name=name,
    )


# Silberschatz's SRTF example (Operating System Concepts, §5.3.2): P2 preempts P1 at 1.
SRTF = workload(("P1", 0, [8]), ("P2", 1, [4]), ("P3", 2, [9]), ("P4", 3, [5]))

CASES = {
    # FCFS: in order of arrival.
    "fcfs": (workload(("P1", 0, [6]), ("P2", 0.5, [3]), ("P3", 1, [4])), {}, ["P1", "P2", "P3"]),
    # SJF: when P1 ends at 5, P3 (2) then P4 (4) then P2 (6).
    "sjf": (
        workload(("P1", 0, [5]), ("P2", 0.5, [6]), ("P3", 1, [2]), ("P4", 1.5, [4])),
        {},
        ["P1", "P3", "P4", "P2"],
    ),
    "srtf": (SRTF, {}, ["P2", "P4", "P1", "P3"]),
    # RR q=2: P1 0-2, P2 2-4, P3 4-6 (done), P1 6-8, P2 8-9 (done), P1 9-10 (done).
    "rr": (
        workload(("P1", 0, [5]), ("P2", 0.5, [3]), ("P3", 1, [2])),
        {"quantum": 2},
        ["P3", "P2", "P1"],
    ),
    # MLFQ 2 levels, quantum 2: P1 drops to level 1 at 2; P2 (2-4) and P3 (4-6, drops) run at
    # level 0; then round robin at level 1: P1 6-8, P3 8-9 (done), P1 9-11 (done).
    "mlfq": (
        workload(("P1", 0, [6]), ("P2", 1, [2]), ("P3", 1.5, [3])),
        {"levels": 2, "quantum": 2},
        ["P2", "P3", "P1"],
    ),
}


def check_order(measurement: Measurement, expected: list[str]) -> bool:
    """The measured completion order is the simulated one — unless the run itself reported
    that its measurements were disturbed (another program took its cores): never silently
    wrong.  Returns whether the run was undisturbed (and the order checked)."""
    summary = measurement.comparison.summary
    assert summary["completion_order"]["simulated"] == expected
    if summary["disturbed"]:
        assert summary["disturbances"]
        return False
    assert summary["completion_order"]["measured"] == expected
    assert summary["completion_order"]["matches"] is True
    return True


def check_well_formed(result: Result, cpus: int = 1) -> None:
    """Slices inside the run, never two on one CPU at once, never one process on two CPUs,
    each process first running after its arrival and its last slice ending at its finish."""
    timeline = result.timeline
    assert timeline is not None and len(timeline) > 0
    columns = timeline.arrays()
    start, end, cpu, job = columns["start"], columns["end"], columns["cpu"], columns["job"]
    makespan_end = float(result.jobs["finish"].max())
    assert np.all(start >= 0)
    assert np.all(end >= start)
    assert np.all(end <= makespan_end + 1e-9)
    assert np.all(columns["dispatched"] <= start + 1e-9)
    assert set(cpu.tolist()) <= set(range(cpus))
    for key, values in (("cpu", cpu), ("job", job)):
        for owner in set(values.tolist()):
            mask = values == owner
            order = np.argsort(start[mask], kind="stable")
            starts, ends = start[mask][order], end[mask][order]
            overlap = starts[1:] < ends[:-1] - 1e-9
            assert not overlap.any(), f"two slices overlap on {key} {owner}"
    arrival = result.jobs["arrival"].astype(float)
    first_run = result.jobs["first_run"].astype(float)
    finish = result.jobs["finish"].astype(float)
    assert np.all(first_run >= arrival)
    for index in range(len(result.pids)):
        mine = job == index
        ran = mine & (end > start)  # a slice cut short before the worker ran is empty
        assert start[ran].min() == pytest.approx(first_run[index])
        assert end[mine].max() == pytest.approx(finish[index])


def check_cpu_burned(result: Result) -> None:
    """Each worker burned its bursts, measured by its own CPU clock (generous tolerance)."""
    measured = np.asarray(result.extra["measured_cpu_time"])
    nominal = result.jobs["cpu_time"].astype(float)
    assert np.all(measured >= nominal * 0.98)
    assert np.all(measured <= nominal * 1.10 + 0.2)


@pytest.mark.parametrize("policy", sorted(CASES))
def test_completion_order_matches_the_simulation(policy: str) -> None:
    work, options, expected = CASES[policy]
    measurement = measure(work, policy, unit=UNIT, **options)
    measured = measurement.measured
    assert measured.kind == "measured"
    assert measured.settings["unit"] == "5ms"
    assert measured.settings["preemption"] == "signals"
    check_well_formed(measured)
    check_cpu_burned(measured)
    if check_order(measurement, expected):
        # Same policy decisions: as many dispatches as the simulation, per process.
        assert measured.jobs["slices"].tolist() == measurement.simulated.jobs["slices"].tolist()


def test_cooperative_preemption_gives_the_same_schedule() -> None:
    work, options, expected = CASES["rr"]
    measurement = measure(work, "rr", unit=UNIT, preemption="cooperative", **options)
    check_order(measurement, expected)
    assert measurement.measured.settings["preemption"] == "cooperative"
    check_well_formed(measurement.measured)
    check_cpu_burned(measurement.measured)


def test_cooperative_srtf_preempts_mid_burst() -> None:
    measurement = measure(SRTF, "srtf", unit=UNIT, preemption="cooperative")
    check_well_formed(measurement.measured)
    if check_order(measurement, CASES["srtf"][2]):
        reasons = [record["reason"] for record in measurement.measured.timeline_records()]
        assert reasons.count("preempted") == 1  # P1, by P2 at time 1


def test_io_bursts_are_slept_through_for_real() -> None:
    # FCFS: P1 runs 0-2 then sleeps 2.5; P2 2-5; P3 5-7, sleeps 1.5; P1 7-9; P3 9-10.
    work = workload(("P1", 0, [2, 2.5, 2]), ("P2", 0.5, [3]), ("P3", 1, [2, 1.5, 1]))
    measurement = measure(work, "fcfs", unit=UNIT)
    check_order(measurement, ["P2", "P1", "P3"])
    measured = measurement.measured
    check_well_formed(measured)
    check_cpu_burned(measured)
    periods = {
        (measured.pids[job], round(end - start, 6)) for job, start, end in measured.io_periods
    }
    assert periods == {("P1", 2.5), ("P3", 1.5)}
    assert measured.extra["io_wake_lateness_ms"]["count"] == 2


def test_two_cpus_run_two_workers_at_once() -> None:
    # Two CPUs, FCFS: P1 and P2 start at once; P3 takes the CPU P2 frees at 3.
    work = workload(("P1", 0, [6]), ("P2", 0, [3]), ("P3", 0.5, [2]))
    measurement = measure(work, "fcfs", cpus=2, unit=UNIT)
    check_well_formed(measurement.measured, cpus=2)
    if check_order(measurement, ["P2", "P3", "P1"]):
        records = measurement.measured.timeline_records()
        assert {(r["pid"], r["cpu"]) for r in records} == {("P1", 0), ("P2", 1), ("P3", 1)}


def test_measured_result_round_trips_through_json_for_other_commands() -> None:
    work, options, _ = CASES["rr"]
    measured = measure(work, "rr", unit=UNIT, **options).measured
    data = json.loads(measured.to_json())
    assert data["kind"] == "measured"
    assert data["policy"] == "rr" and data["options"] == {"quantum": 2}
    assert data["settings"]["mode"] == "dispatch"
    for key in ("measured_cpu_time", "dispatch_latency_ms", "disturbed", "kernel_switches"):
        assert key in data["extra"]
    again = Result.from_json(measured.to_json())
    assert again.pids == measured.pids
    assert again.jobs["finish"].tolist() == pytest.approx(measured.jobs["finish"].tolist())
    assert len(again.timeline_records()) == len(measured.timeline_records())


def test_a_policy_instance_is_not_shared_with_the_simulation() -> None:
    from schedsim.policies import make_policy

    policy = make_policy("rr", quantum=2)
    work, _, expected = CASES["rr"]
    measurement = measure(work, policy, unit=UNIT)
    check_order(measurement, expected)
    assert measurement.simulated.policy == "rr"
