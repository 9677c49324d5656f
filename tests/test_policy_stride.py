"""Stride scheduling: lowest pass runs one quantum; pass += L / tickets per quantum used."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import numpy as np
import pytest

from schedsim import Workload, WorkloadError, simulate
from schedsim.clock import SimulatedClock
from schedsim.policies import make_policy
from schedsim.policies.base import standalone_view


def _workload(rows: list[tuple[str, Any, Any, int]]) -> Workload:
    """Rows of (pid, arrival, burst or bursts, tickets)."""
    return Workload.from_processes(
        [
            {"pid": pid, "arrival": arrival, "bursts": _list(bursts), "tickets": tickets}
            for pid, arrival, bursts, tickets in rows
        ]
    )


def _list(bursts: Any) -> list[Any]:
    return bursts if isinstance(bursts, list) else [bursts]


def _pids(result: Any) -> list[str]:
    return [row["pid"] for row in result.timeline_records()]


def test_ostep_stride_trace() -> None:
    """OSTEP (Arpaci-Dusseau), ch. 9 "Scheduling: Proportional Share", Figure 9.3: A, B, C
    with 100, 50 and 250 tickets have strides 100, 200 and 40 (L = 10 000).

    ======  ======  ======  ==========
    pass A  pass B  pass C  who runs
    ======  ======  ======  ==========
    0       0       0       A
    100     0       0       B
    100     200     0       C
    100     200     40      C
    100     200     80      C
    100     200     120     A
    200     200     120     C
    200     200     160     C
    200     200     200     A (tie: file order)
    ======  ======  ======  ==========
    """
    workload = _workload([("A", 0, 20, 100), ("B", 0, 20, 50), ("C", 0, 20, 250)])
    result = simulate(workload, "stride")
    assert _pids(result)[:9] == ["A", "B", "C", "C", "C", "A", "C", "C", "A"]
    assert all(row["end"] - row["start"] == 1 for row in result.timeline_records())


def test_shares_match_tickets_within_one_quantum_at_every_instant() -> None:
    """Tickets 100:200:300, quantum 1, all CPU-bound from 0: after every quantum t (up to
    3000) each job's CPU time is within one quantum of t × its ticket share, and over the
    window it is exactly 500, 1000 and 1500."""
    tickets = [100, 200, 300]
    workload = _workload([(f"P{i}", 0, 3000, count) for i, count in enumerate(tickets)])
    result = simulate(workload, "stride")
    used = [0, 0, 0]
    worst = 0.0
    for row in result.timeline_records():
        if row["end"] > 3000:
            break
        used[workload.index_of(row["pid"])] += row["end"] - row["start"]
        for job, count in enumerate(tickets):
            worst = max(worst, abs(used[job] - row["end"] * count / 600))
    assert used == [500, 1000, 1500]
    assert worst <= 1


def test_a_newcomer_starts_at_the_global_pass() -> None:
    """A and B (equal tickets) run alone for 100 quanta; C arrives at 100.  Starting at the
    global pass (not 0) C does not monopolise the CPU: in [100, 160) each job gets 20
    quanta, and C never runs two quanta in a row."""
    workload = _workload([("A", 0, 200, 100), ("B", 0, 200, 100), ("C", 100, 100, 100)])
    result = simulate(workload, "stride")
    window = [row for row in result.timeline_records() if 100 <= row["start"] < 160]
    counts = {pid: sum(1 for row in window if row["pid"] == pid) for pid in "ABC"}
    assert counts == {"A": 20, "B": 20, "C": 20}
    after = [row["pid"] for row in result.timeline_records() if row["start"] >= 100]
    assert all(not (a == b == "C") for a, b in pairwise(after))


def test_sleeping_earns_no_credit() -> None:
    """B blocks for 50 while A runs alone; on return B's pass is raised to the global pass,
    so it alternates with A instead of running 50 quanta straight to catch up."""
    workload = _workload([("A", 0, 200, 100), ("B", 0, [10, 50, 100], 100)])
    result = simulate(workload, "stride")
    rows = result.timeline_records()
    back = next(row["start"] for row in rows if row["pid"] == "B" and row["start"] > 20)
    after = [row["pid"] for row in rows if back <= row["start"] < back + 40]
    assert after.count("B") == 20
    assert all(a != b for a, b in pairwise(after))


def test_a_partial_quantum_is_charged_its_fraction_of_the_stride() -> None:
    """Quantum 4, stride 100: a job whose burst ends after 1 time unit advances its pass by
    100 × 1/4 = 25; a full quantum costs the whole stride."""
    clock = SimulatedClock(0)
    remaining = [1, 8]
    view = standalone_view(remaining, tickets=[100, 100], clock=clock)  # type: ignore[arg-type]
    policy = make_policy("stride", quantum=4)
    policy.reset(view, clock, np.random.default_rng(0))
    policy.on_ready(0)
    policy.on_ready(1)
    assert policy.pick_next() == 0
    assert policy.time_slice(0) == 4
    clock.now = 1
    remaining[0] = 0
    policy.on_burst_end(0, 1)
    assert policy.pass_value[0] == 25  # type: ignore[attr-defined]
    assert policy.pick_next() == 1
    clock.now = 5
    remaining[1] = 4
    policy.on_expired(1)
    assert policy.pass_value[1] == 100  # type: ignore[attr-defined]


def test_zero_tickets_are_rejected() -> None:
    workload = _workload([("A", 0, 1, 0)])
    with pytest.raises(WorkloadError, match=r"process #1 \(pid A\): tickets: must be >= 1"):
        simulate(workload, "stride")
