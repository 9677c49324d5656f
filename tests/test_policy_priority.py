"""Priority scheduling: static priorities (lower = more important), FCFS among equals,
optional preemption, optional aging that cures starvation."""

from __future__ import annotations

from typing import Any

import pytest

from schedsim import OptionError, Workload, simulate
from schedsim.policies import make_policy
from schedsim.policies.priority import aging_steps


def _workload(rows: list[tuple[str, Any, Any, int]]) -> Workload:
    """Rows of (pid, arrival, burst or bursts, priority)."""
    return Workload.from_processes(
        [
            {"pid": pid, "arrival": arrival, "bursts": _list(bursts), "priority": priority}
            for pid, arrival, bursts, priority in rows
        ]
    )


def _list(bursts: Any) -> list[Any]:
    return bursts if isinstance(bursts, list) else [bursts]


def _order(result: Any) -> list[str]:
    return [row["pid"] for row in result.timeline_records()]


def test_silberschatz_priority_example() -> None:
    """Silberschatz, Galvin & Gagne, *Operating System Concepts*, 10th ed. §5.3.4 (9th ed.
    §6.3.3): five processes at time 0, non-preemptive priority.

    ====  =====  ========  =====  ======  =======
    pid   burst  priority  start  finish  waiting
    ====  =====  ========  =====  ======  =======
    P2    1      1         0      1       0
    P5    5      2         1      6       1
    P1    10     3         6      16      6
    P3    2      4         16     18      16
    P4    1      5         18     19      18
    ====  =====  ========  =====  ======  =======

    Average waiting time (0 + 1 + 6 + 16 + 18) / 5 = 8.2.
    """
    workload = _workload(
        [("P1", 0, 10, 3), ("P2", 0, 1, 1), ("P3", 0, 2, 4), ("P4", 0, 1, 5), ("P5", 0, 5, 2)]
    )
    result = simulate(workload, "priority")
    assert _order(result) == ["P2", "P5", "P1", "P3", "P4"]
    assert result.jobs["finish"].tolist() == [16, 1, 18, 19, 6]
    assert result.jobs["waiting"].tolist() == [6, 0, 16, 18, 1]
    assert result.summary["avg_waiting"] == 8.2


def test_equal_priorities_run_first_come_first_served() -> None:
    """Equal priorities go by the time they became ready, then file order.

    A runs 0-1, B 1-2 then does I/O until 4, Z (most important) arrives at 2 and runs 2-8.
    At 8 the priority-5 jobs are C (ready since 3), then B, E and D (all since 4: file
    order — E is listed before D), so C 8-9, B 9-10, E 10-11, D 11-12.
    """
    workload = _workload(
        [
            ("A", 0, 1, 0),
            ("B", 0, [1, 2, 1], 5),
            ("Z", 2, 6, 0),
            ("E", 4, 1, 5),
            ("D", 4, 1, 5),
            ("C", 3, 1, 5),
        ]
    )
    result = simulate(workload, "priority")
    assert _order(result) == ["A", "B", "Z", "C", "B", "E", "D"]
    assert result.jobs["finish"].tolist() == [1, 10, 8, 11, 12, 9]


def test_preemptive_priority_hand_schedule() -> None:
    """A newly arrived job with a strictly better priority preempts; an equal one does not.

    ====  =======  =====  ========  ==============================
    pid   arrival  burst  priority  runs
    ====  =======  =====  ========  ==============================
    P1    0        5      3         0-1 (preempted by P2), 8-12
    P2    1        3      1         1-4
    P3    2        2      2         4-6 (worse than P2: waits)
    P4    5        2      2         6-8 (equal to the running P3: waits)
    ====  =======  =====  ========  ==============================
    """
    workload = _workload([("P1", 0, 5, 3), ("P2", 1, 3, 1), ("P3", 2, 2, 2), ("P4", 5, 2, 2)])
    result = simulate(workload, "priority", preemptive=True)
    slices = [
        (row["pid"], row["start"], row["end"], row["reason"]) for row in result.timeline_records()
    ]
    assert slices == [
        ("P1", 0, 1, "preempted"),
        ("P2", 1, 4, "finished"),
        ("P3", 4, 6, "finished"),
        ("P4", 6, 8, "finished"),
        ("P1", 8, 12, "finished"),
    ]
    # Non-preemptive, P1 keeps the CPU until 5.
    assert simulate(workload, "priority").jobs["finish"].tolist() == [5, 8, 10, 12]


def _stream() -> Workload:
    """L (priority 10, burst 5) at time 0 against twenty important jobs H0..H19 (priority
    1, burst 2) arriving every 2 time units: the CPU is never free of important work
    until 40."""
    return _workload(
        [("L", 0, 5, 10)] + [(f"H{k}", 2 * k, 2, 1) for k in range(20)]
    )  # fmt: skip


@pytest.mark.parametrize("preemptive", [False, True])
def test_starvation_without_aging(preemptive: bool) -> None:
    """Without aging L runs only when the stream dries up, at 40."""
    result = simulate(_stream(), "priority", preemptive=preemptive)
    assert result.jobs["first_run"].tolist()[0] == 40
    assert result.jobs["finish"].tolist()[0] == 45


@pytest.mark.parametrize("preemptive", [False, True])
def test_aging_cures_starvation(preemptive: bool) -> None:
    """Aging 2: L's effective priority is 10 − ⌊t/2⌋, capped at 1 (the best priority in the
    workload).  It reaches 1 at t = 18, when H8 finishes and H9 arrives; among equals L has
    waited longest, so it runs 18-23 and no aged or new H can preempt it (equal, not
    better).  H9..H19 each finish 5 later than they would have."""
    result = simulate(_stream(), "priority", preemptive=preemptive, aging=2)
    finish = result.jobs["finish"].tolist()
    assert finish[0] == 23
    assert result.jobs["first_run"].tolist()[0] == 18
    assert finish[1:] == [2 * k + 2 for k in range(9)] + [25 + 2 * k for k in range(11)]


def test_aging_timer_lets_a_waiting_job_preempt() -> None:
    """Preemptive with aging 1: M (priority 3) runs from 0; L (priority 5) waits, ageing to
    4 at t=1, 3 at t=2 (equal: no preemption) and 2 at t=3, when it preempts M — an
    instant with no arrival or completion, only the aging timer.  L keeps priority 2 while
    it runs 3-5; M (back to 3, waiting since 3) reaches 2 at t=4: equal, no preemption.
    H (priority 1) fixes the top of the scale and arrives at 20, when the CPU is idle.

    ====  =====  ========  ===============
    pid   burst  priority  runs
    ====  =====  ========  ===============
    M     10     3         0-3, 5-12
    L     2      5         3-5
    H     1      1         20-21
    ====  =====  ========  ===============
    """
    workload = _workload([("M", 0, 10, 3), ("L", 0, 2, 5), ("H", 20, 1, 1)])
    result = simulate(workload, "priority", preemptive=True, aging=1)
    slices = [
        (row["pid"], row["start"], row["end"], row["reason"]) for row in result.timeline_records()
    ]
    assert slices == [
        ("M", 0, 3, "preempted"),
        ("L", 3, 5, "finished"),
        ("M", 5, 12, "finished"),
        ("H", 20, 21, "finished"),
    ]
    # Non-preemptive aging only reorders the queue: M keeps the CPU to 10.
    assert simulate(workload, "priority", aging=1).jobs["finish"].tolist() == [10, 12, 21]


def test_aging_with_float_times_steps_exactly_on_time() -> None:
    """The k-th step is at ``since + k·rate`` even when the division rounds badly
    ((1.0 − 0.1) / 0.3 is 2.9999999999999996 in floating point)."""
    assert aging_steps(0.1, 1.0, 0.3) == 3
    assert aging_steps(0.1, 0.99, 0.3) == 2
    assert aging_steps(0, 7, 2) == 3
    assert aging_steps(5, 5, 2) == 0


def test_options_are_validated() -> None:
    with pytest.raises(OptionError, match="--aging: must be > 0, got '-1'"):
        make_policy("priority", aging="-1")
    with pytest.raises(OptionError, match="--aging"):
        make_policy("priority", aging="soon")
    with pytest.raises(
        OptionError, match=r"--preemptive: expected on or off \(or true/false, yes/no, 1/0\), got "
    ):
        make_policy("priority", preemptive="maybe")
    policy = make_policy("priority", preemptive=True, aging="2.5")
    assert policy.describe() == "priority(preemptive=True, aging=2.5)"
    assert make_policy("priority").describe() == "priority(preemptive=False)"
