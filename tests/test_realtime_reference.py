"""Real-time scheduling against published numbers.

Silberschatz, Galvin & Gagne, *Operating System Concepts* (10th ed.), §5.6.3-5.6.4:

* P1 (period 50, burst 20) and P2 (period 100, burst 35), rate monotonic: utilisation 75%,
  every deadline met, the published schedule P1 0-20, P2 20-50, P1 50-70, P2 70-75.
* The same set with P2 given the higher priority: P1 misses its first deadline (P2 runs
  0-35, P1 35-55 past its deadline at 50).
* P1 (50, 25) and P2 (80, 35), utilisation 94%: rate monotonic lets P2 miss its deadline at
  80 (it finishes at 85); EDF meets every deadline, with the published schedule P1 0-25,
  P2 25-60, P1 60-85, P2 85-100 (preempted: P1 is due at 150, P2 at 160), P1 100-125,
  P2 125-145, idle until 150.
* The bound for two tasks, 2(√2 − 1) ≈ 83%.

Liu & Layland, "Scheduling algorithms for multiprogramming in a hard-real-time
environment", JACM 20(1), 1973, Theorem 5: n(2^(1/n) − 1) for n = 1..10 (to three decimals:
1.000, 0.828, 0.780, 0.757, 0.743, 0.735, 0.729, 0.724, 0.721, 0.718), tending to ln 2.

Burns & Wellings, *Real-Time Systems and Programming Languages*, the worked example of
response-time analysis for fixed priorities: processes a (T 7, C 3), b (12, 3), c (20, 5)
under rate monotonic, U = 0.929 above the three-task bound 0.780, yet R_a = 3, R_b = 6 and
R_c = 20 <= 20: schedulable.  By hand, R_c's iterations are 11, 14 (5 + 2·3 + 1·3), 17
(5 + 2·3 + 2·3), 20 (5 + 3·3 + 2·3), 20.  A simulation of the synchronous release (the
critical instant) shows the same worst responses.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest

from schedsim import load_workload, simulate
from schedsim.realtime.analysis import liu_layland_bound

ROOT = Path(__file__).resolve().parent.parent
RM = ROOT / "workloads" / "silberschatz_rm.yaml"
EDF = ROOT / "workloads" / "silberschatz_edf.yaml"


def slices(result) -> list[tuple[str, object, object]]:
    return [(row["pid"], row["start"], row["end"]) for row in result.timeline_records()]


def test_rate_monotonic_meets_every_deadline_of_the_first_set() -> None:
    result = simulate(load_workload(RM), "rm")
    assert slices(result)[:4] == [
        ("P1#1", 0, 20),
        ("P2#1", 20, 50),
        ("P1#2", 50, 70),
        ("P2#1", 70, 75),
    ]
    assert result.summary["deadline_misses"] == 0
    analysis = result.realtime["analysis"]
    assert analysis["utilisation"] == 0.75
    assert analysis["verdict"] == "schedulable"
    assert analysis["agreement"] == "agree"


def test_giving_p2_the_higher_priority_makes_p1_miss(tmp_path: Path) -> None:
    path = tmp_path / "inverted.yaml"
    path.write_text(
        "processes:\n"
        "  - {pid: P1, period: 50, wcet: 20, priority: 2}\n"
        "  - {pid: P2, period: 100, wcet: 35, priority: 1}\n"
    )
    result = simulate(load_workload(path), "priority", preemptive=True)
    assert slices(result)[:2] == [("P2#1", 0, 35), ("P1#1", 35, 55)]
    records = {record["pid"]: record for record in result.job_records()}
    assert records["P1#1"]["missed"] is True and records["P1#1"]["lateness"] == 5


def test_rate_monotonic_misses_p2_at_80_in_the_second_set() -> None:
    result = simulate(load_workload(EDF), "rm")
    assert slices(result)[:4] == [
        ("P1#1", 0, 25),
        ("P2#1", 25, 50),
        ("P1#2", 50, 75),
        ("P2#1", 75, 85),
    ]
    records = {record["pid"]: record for record in result.job_records()}
    assert records["P2#1"]["deadline"] == 80 and records["P2#1"]["finish"] == 85
    assert records["P2#1"]["missed"] is True
    analysis = result.realtime["analysis"]
    assert round(analysis["utilisation"], 2) == 0.94
    assert analysis["verdict"] == "not schedulable"
    assert analysis["decided_by"] == "response-time analysis"


def test_edf_meets_every_deadline_of_the_second_set_with_the_published_schedule() -> None:
    result = simulate(load_workload(EDF), "edf")
    assert slices(result)[:7] == [
        ("P1#1", 0, 25),
        ("P2#1", 25, 60),
        ("P1#2", 60, 85),
        ("P2#2", 85, 100),
        ("P1#3", 100, 125),
        ("P2#2", 125, 145),
        ("P1#4", 150, 175),
    ]
    assert result.summary["deadline_misses"] == 0
    assert result.realtime["analysis"]["verdict"] == "schedulable"
    assert result.realtime["analysis"]["agreement"] == "agree"


def test_the_two_task_bound_is_about_83_percent() -> None:
    assert liu_layland_bound(2) == pytest.approx(2 * (math.sqrt(2) - 1))
    assert round(100 * liu_layland_bound(2)) == 83


@pytest.mark.parametrize(
    ("tasks", "published"),
    [
        (1, 1.000),
        (2, 0.828),
        (3, 0.780),
        (4, 0.757),
        (5, 0.743),
        (6, 0.735),
        (7, 0.729),
        (8, 0.724),
        (9, 0.721),
        (10, 0.718),
    ],
)
def test_liu_and_layland_bound(tasks: int, published: float) -> None:
    assert round(liu_layland_bound(tasks), 3) == published


def test_the_bound_falls_towards_ln_2() -> None:
    bounds = [liu_layland_bound(n) for n in range(1, 200)]
    assert all(later < earlier for earlier, later in itertools.pairwise(bounds))
    assert bounds[-1] == pytest.approx(math.log(2), abs=2e-3)


def test_burns_and_wellings_response_times(tmp_path: Path) -> None:
    path = tmp_path / "burns.yaml"
    path.write_text(
        "processes:\n"
        "  - {pid: a, period: 7, wcet: 3}\n"
        "  - {pid: b, period: 12, wcet: 3}\n"
        "  - {pid: c, period: 20, wcet: 5}\n"
    )
    result = simulate(load_workload(path), "rm")
    tests = {test["test"]: test for test in result.realtime["analysis"]["tests"]}
    assert tests["Liu & Layland bound"]["verdict"] == "unknown"  # U = 0.929 > 0.780
    responses = tests["response-time analysis"]["response_times"]
    assert [(row["task"], row["response_time"]) for row in responses] == [
        ("a", 3),
        ("b", 6),
        ("c", 20),
    ]
    assert result.realtime["analysis"]["verdict"] == "schedulable"
    worst = {task["task"]: task["worst_response_time"] for task in result.realtime["tasks"]}
    assert worst == {"a": 3, "b": 6, "c": 20}  # the critical instant, simulated
    assert result.summary["deadline_misses"] == 0
