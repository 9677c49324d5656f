"""edf, rm, dm and llf on hand-worked schedules: their order, their tie rules, lock protocols
under rate monotonic, and the policies on workloads without tasks."""

from __future__ import annotations

from pathlib import Path

import pytest

from schedsim import load_workload, simulate
from tests.helpers import workload

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tasks.yaml"
    path.write_text(text)
    return path


def slices(result) -> list[tuple[str, object, object]]:
    return [
        (row["pid"], row["start"], row["end"])
        for row in result.timeline_records()
        if row["end"] > row["start"]
    ]


def test_edf_keeps_the_running_job_on_an_equal_deadline(tmp_path: Path) -> None:
    """A (0, burst 4, due 10) runs; B arrives at 2 due at 10 too: no preemption, A 0-4,
    B 4-5.  Due at 9 instead, B preempts: A 0-2, B 2-3, A 3-5."""
    tie = write(
        tmp_path,
        "processes:\n"
        "  - {pid: A, burst: 4, deadline: 10}\n"
        "  - {pid: B, arrival: 2, burst: 1, deadline: 8}\n",
    )
    assert slices(simulate(load_workload(tie), "edf")) == [("A", 0, 4), ("B", 4, 5)]
    earlier = write(
        tmp_path,
        "processes:\n"
        "  - {pid: A, burst: 4, deadline: 10}\n"
        "  - {pid: B, arrival: 2, burst: 1, deadline: 7}\n",
    )
    assert slices(simulate(load_workload(earlier), "edf")) == [
        ("A", 0, 2),
        ("B", 2, 3),
        ("A", 3, 5),
    ]


def test_deadline_monotonic_beats_rate_monotonic_with_short_deadlines(tmp_path: Path) -> None:
    """T1 (period 10, wcet 3), T2 (period 20, wcet 4, due 5 after release).  RM ranks T1
    first: T1 0-3, T2 3-7, late for 5.  DM ranks T2 first: T2 0-4, T1 4-7, all on time."""
    path = write(
        tmp_path,
        "processes:\n"
        "  - {pid: T1, period: 10, wcet: 3}\n"
        "  - {pid: T2, period: 20, wcet: 4, deadline: 5}\n",
    )
    rm = simulate(load_workload(path), "rm")
    assert slices(rm)[:2] == [("T1#1", 0, 3), ("T2#1", 3, 7)]
    assert rm.summary["deadline_misses"] == 1
    dm = simulate(load_workload(path), "dm")
    assert slices(dm)[:2] == [("T2#1", 0, 4), ("T1#1", 4, 7)]
    assert dm.summary["deadline_misses"] == 0
    assert dm.realtime["analysis"]["verdict"] == "schedulable"


def test_llf_takes_the_least_laxity_where_edf_takes_the_earliest_deadline() -> None:
    """Silberschatz's second set at 200: P2#3 (due 240) has 10 to run, laxity 30; P1#5 is
    released (due 250, 25 to run), laxity 25.  EDF keeps P2#3 (240 < 250); LLF switches to
    P1#5 (25 < 30): P1#5 200-225, P2#3 225-235."""
    work = load_workload(ROOT / "workloads" / "silberschatz_edf.yaml")
    edf = slices(simulate(work, "edf"))
    assert ("P2#3", 175, 210) in edf and ("P1#5", 210, 235) in edf
    llf = slices(simulate(work, "llf"))
    assert ("P2#3", 175, 200) in llf and ("P1#5", 200, 225) in llf and ("P2#3", 225, 235) in llf


def test_llf_does_not_thrash_on_equal_laxities(tmp_path: Path) -> None:
    """A and B both need 3 by 6 (laxity 3).  Non-strict LLF compares laxities only at
    events: A 0-3, B 3-6.  With --recheck 1 laxities are compared every unit, and on a tie
    the running job keeps the CPU:
        t=0  A 3, B 3 -> tie, deadline tie, file order: A
        t=1  A 6-1-2=3, B 6-1-3=2 -> B
        t=2  A 2, B 2 -> tie: B keeps running
        t=3  A 1, B 2 -> A;  t=4  A 1, B 1 -> A keeps running (and finishes at 5);  B 5-6
    Without the rule t=2 would go to A (file order) and the CPU would switch every unit."""
    path = write(
        tmp_path,
        "processes:\n  - {pid: A, burst: 3, deadline: 6}\n  - {pid: B, burst: 3, deadline: 6}\n",
    )
    assert slices(simulate(load_workload(path), "llf")) == [("A", 0, 3), ("B", 3, 6)]
    stepped = simulate(load_workload(path), "llf", recheck=1)
    merged: list[list[object]] = []
    for pid, start, end in slices(stepped):
        if merged and merged[-1][0] == pid and merged[-1][2] == start:
            merged[-1][2] = end
        else:
            merged.append([pid, start, end])
    assert merged == [["A", 0, 1], ["B", 1, 3], ["A", 3, 5], ["B", 5, 6]]
    assert stepped.summary["deadline_misses"] == 0


@pytest.mark.parametrize(
    ("locks", "finish", "missed"),
    [("none", 49, True), ("inherit", 19, False), ("ceiling", 19, False)],
)
def test_rate_monotonic_with_lock_protocols_on_pathfinder(
    locks: str, finish: int, missed: bool
) -> None:
    """workloads/pathfinder_periodic.yaml, worked by hand in its comment: meteo locks the bus
    at 0 for 15; bus#1 (released 10, due 35) blocks on it at 11.  Without a protocol comms
    (released 12, more important than meteo) runs 12-42 first, meteo unlocks at 46 and
    bus#1 finishes at 49, late.  Inheriting bus's rank, meteo keeps the CPU and unlocks at
    16; under the ceiling it holds bus's rank from 0, so bus#1 waits until 15: either way
    bus#1 finishes at 19."""
    result = simulate(
        load_workload(ROOT / "workloads" / "pathfinder_periodic.yaml"), "rm", locks=locks
    )
    record = next(record for record in result.job_records() if record["pid"] == "bus#1")
    assert (record["finish"], record["missed"]) == (finish, missed)
    assert result.summary["deadline_misses"] == int(missed)


def test_response_time_analysis_with_blocking_on_pathfinder() -> None:
    """Ceiling: bus can be blocked once by meteo's 15-unit critical section: R = 4 + 15 =
    19 <= 25; comms: 30 + 15 + ⌈49/50⌉·4 = 49; meteo: 20 + ⌈58/50⌉·4 + ⌈58/100⌉·30 = 58."""
    result = simulate(
        load_workload(ROOT / "workloads" / "pathfinder_periodic.yaml"), "rm", locks="ceiling"
    )
    (test,) = [
        test
        for test in result.realtime["analysis"]["tests"]
        if test["test"] == "response-time analysis"
    ]
    assert [
        (row["task"], row["response_time"], row["blocking"]) for row in test["response_times"]
    ] == [
        ("bus", 19, 15),
        ("comms", 49, 15),
        ("meteo", 58, 0),
    ]
    none = simulate(load_workload(ROOT / "workloads" / "pathfinder_periodic.yaml"), "rm")
    assert none.realtime["analysis"]["verdict"] == "unknown"
    assert any(
        "priority inversion is unbounded" in note for note in none.realtime["analysis"]["notes"]
    )


@pytest.mark.parametrize("policy", ["edf", "rm", "dm", "llf"])
def test_without_tasks_the_real_time_policies_serve_in_arrival_order(policy: str) -> None:
    """No deadlines and no periods: every job is background work, first come first served."""
    work = workload(("P1", 0, 5), ("P2", 1, 3), ("P3", 2, 1))
    assert slices(simulate(work, policy)) == [("P1", 0, 5), ("P2", 5, 8), ("P3", 8, 9)]


def test_aperiodic_jobs_run_in_the_background_under_rate_monotonic(tmp_path: Path) -> None:
    """A (aperiodic, arrives 0) waits while the periodic T (period 4, wcet 2) has work: T 0-2,
    A 2-4, T 4-6, A 6-7."""
    path = write(
        tmp_path,
        "processes:\n  - {pid: T, period: 4, wcet: 2, jobs: 2}\n  - {pid: A, burst: 3}\n",
    )
    assert slices(simulate(load_workload(path), "rm")) == [
        ("T#1", 0, 2),
        ("A", 2, 4),
        ("T#2", 4, 6),
        ("A", 6, 7),
    ]
