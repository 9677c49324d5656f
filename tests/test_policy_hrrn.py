"""Highest response ratio next: ratio = (waiting + burst) / burst, non-preemptive."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from schedsim import Workload, simulate
from schedsim.clock import Clock
from schedsim.policies.base import JobsView, Policy
from schedsim.policies.hrrn import RatioTournament
from tests.strategies import workloads


def _workload(rows: list[tuple[str, Any, Any]]) -> Workload:
    """Rows of (pid, arrival, burst or bursts)."""
    return Workload.from_processes(
        [
            {"pid": pid, "arrival": arrival, "bursts": b if isinstance(b, list) else [b]}
            for pid, arrival, b in rows
        ]
    )


def test_stallings_example() -> None:
    """Stallings, *Operating Systems: Internals and Design Principles*, Table 9.4 (the
    process set), Figure 9.5 and Table 9.5 (HRRN's schedule).

    ====  =======  =======
    pid   arrival  service
    ====  =======  =======
    A     0        3
    B     2        6
    C     4        4
    D     6        5
    E     8        2
    ====  =======  =======

    By hand: A runs 0-3; at 3 only B is ready: 3-9.  At 9 the ratios are
    C (5+4)/4 = 2.25, D (3+5)/5 = 1.6, E (1+2)/2 = 1.5: C runs 9-13.  At 13,
    D (7+5)/5 = 2.4, E (5+2)/2 = 3.5: E runs 13-15, then D 15-20.  Finish A 3, B 9, C 13,
    D 20, E 15; turnaround 3, 7, 9, 14, 7: average 8.0.
    """
    workload = _workload([("A", 0, 3), ("B", 2, 6), ("C", 4, 4), ("D", 6, 5), ("E", 8, 2)])
    result = simulate(workload, "hrrn")
    assert result.jobs["finish"].tolist() == [3, 9, 13, 20, 15]
    assert result.jobs["turnaround"].tolist() == [3, 7, 9, 14, 7]
    assert result.summary["avg_turnaround"] == 8.0
    # SJF would run E before C at 9 (shortest), FCFS C then D: HRRN is neither.
    assert simulate(workload, "sjf").jobs["finish"].tolist() == [3, 9, 15, 20, 11]
    assert simulate(workload, "fcfs").jobs["finish"].tolist() == [3, 9, 13, 18, 20]


def test_a_long_job_does_not_starve() -> None:
    """L (burst 10) waits while short jobs keep arriving.  Its ratio (w + 10)/10 grows
    while each newcomer (burst 2) starts at 1: at t = 2, L (1.2) beats S1 (waiting 0,
    ratio 1.0), so it runs 2-12 — SJF would keep running the short jobs first."""
    rows: list[tuple[str, Any, Any]] = [("S0", 0, 2), ("L", 0, 10)]
    rows += [(f"S{k}", 2 * k, 2) for k in range(1, 8)]
    workload = _workload(rows)
    hrrn = simulate(workload, "hrrn")
    assert hrrn.jobs["first_run"].tolist()[1] == 2
    assert hrrn.jobs["finish"].tolist()[1] == 12
    sjf = simulate(workload, "sjf")
    assert sjf.jobs["finish"].tolist()[1] == 26


def test_ties_go_to_the_earlier_ready_job_then_file_order() -> None:
    """At 4 (X finishes), B and C both have ratio 2 — B: waiting 2, burst 2; C: waiting 4,
    burst 4 — and B became ready later (2 vs 0), so C runs first.  D and E, arriving
    together with equal bursts, tie exactly: file order (E is listed first).

    X 0-4, C 4-8, B 8-10, E 10-11, D 11-12.
    """
    workload = _workload(
        [("X", 0, 4), ("B", 2, 2), ("C", 0, 4), ("E", 6, 1), ("D", 6, 1)]
    )  # fmt: skip
    result = simulate(workload, "hrrn")
    assert [row["pid"] for row in result.timeline_records()] == ["X", "C", "B", "E", "D"]


def test_io_return_starts_a_new_wait() -> None:
    """A job back from I/O is ready from that moment, with its next burst as the divisor.

    A runs 0-1, blocks 1-3, ready again at 3 with burst 4.  B (burst 6) runs 1-7.  At 7:
    A (4+4)/4 = 2.0, C (arrived 2, burst 5) (5+5)/5 = 2.0: equal — A became ready later
    (3 vs 2), so C runs 7-12 and A 12-16.
    """
    workload = _workload([("A", 0, [1, 2, 4]), ("B", 0, 6), ("C", 2, 5)])
    result = simulate(workload, "hrrn")
    assert [row["pid"] for row in result.timeline_records()] == ["A", "B", "C", "A"]
    assert result.jobs["finish"].tolist() == [16, 7, 12]


# -- the tournament picks what a scan of the ready jobs picks -----------------------------------
class ScanHRRN(Policy):
    """The rule written as the obvious O(n) scan: the reference the tournament must match,
    pick for pick (same cross-multiplied comparison, same tie-breaks)."""

    name = "hrrn"

    def reset(self, jobs: JobsView, clock: Clock, rng: np.random.Generator) -> None:
        super().reset(jobs, clock, rng)
        self.ready_since: dict[int, Any] = {}

    def on_ready(self, job: int) -> None:
        self.ready_since[job] = self.clock.now

    def pick_next(self) -> int:
        now, remaining = self.clock.now, self.jobs.remaining
        best = -1
        best_waiting: Any = 0
        best_burst: Any = 1
        best_since: Any = 0
        for job, since in self.ready_since.items():
            waiting, burst = now - since, remaining[job]
            left, right = waiting * best_burst, best_waiting * burst
            if best < 0 or left > right or (left == right and (since, job) < (best_since, best)):
                best, best_waiting, best_burst, best_since = job, waiting, burst, since
        del self.ready_since[best]
        return best


@given(workload=workloads(max_processes=12), cpus=st.integers(1, 3))
def test_the_tournament_schedules_exactly_as_a_scan(workload: Workload, cpus: int) -> None:
    fast = simulate(workload, "hrrn", cpus=cpus)
    scan = simulate(workload, ScanHRRN(), cpus=cpus)
    assert fast.timeline_records() == scan.timeline_records()


times = st.one_of(
    st.integers(0, 50),
    st.integers(0, 2**40),
    st.floats(0, 1e6, allow_nan=False),
    st.sampled_from([0.1, 0.2, 0.30000000000000004, 1e15, 1e15 - 0.125, 2.0**62]),
)
bursts = st.one_of(
    st.integers(1, 9),
    st.integers(1, 10**15),
    st.floats(1e-6, 1e15, allow_nan=False),
    st.sampled_from([1e15, 1e15 - 0.125, 1e15 - 0.25, 3.0, 3.0000000000000004, 1e-9]),
)


@given(
    steps=st.lists(st.tuples(st.booleans(), times, bursts), min_size=1, max_size=80),
)
def test_picks_match_a_scan_under_any_times_and_bursts(
    steps: list[tuple[bool, Any, Any]],
) -> None:
    """Random adds and picks at non-decreasing times, with huge, tiny and nearly equal
    bursts (where rounding decides): every pick is the scan's."""
    tournament = RatioTournament()
    ready: dict[int, tuple[Any, Any]] = {}
    now: Any = 0
    for job, (pick, step, burst) in enumerate(steps):
        now = max(now, step)
        if pick and ready:
            best = max(
                ready,
                key=lambda j: _ScanKey(now, ready[j][0], ready[j][1], j),
            )
            assert tournament.pop_best(now) == best
            del ready[best]
        else:
            tournament.add(job, now, burst)
            ready[job] = (now, burst)
    while ready:
        best = max(ready, key=lambda j: _ScanKey(now, ready[j][0], ready[j][1], j))
        assert tournament.pop_best(now) == best
        del ready[best]
        now = now + 1


class _ScanKey:
    """Orders jobs as the scan's comparison does (a higher key wins)."""

    def __init__(self, now: Any, since: Any, burst: Any, job: int) -> None:
        self.now, self.since, self.burst, self.job = now, since, burst, job

    def __lt__(self, other: _ScanKey) -> bool:
        left = (other.now - other.since) * self.burst
        right = (self.now - self.since) * other.burst
        return left > right or (left == right and (other.since, other.job) < (self.since, self.job))


def test_thirty_thousand_simultaneous_arrivals_are_scheduled_in_seconds() -> None:
    """The worst case for a scan (every job ready at once, O(n) per pick: over a minute at
    30,000 jobs) takes O(n log n) comparisons here; counted, not timed."""
    n = 30_000
    rows = [{"pid": f"P{i}", "arrival": 0, "bursts": [1 + (i * 7919) % 1000]} for i in range(n)]
    workload = Workload.from_processes(rows)
    calls = 0
    beats = RatioTournament._beats

    def counted(self: RatioTournament, first: int, second: int) -> bool:
        nonlocal calls
        calls += 1
        return beats(self, first, second)

    RatioTournament._beats = counted  # type: ignore[method-assign]
    try:
        result = simulate(workload, "hrrn", timeline=False)
    finally:
        RatioTournament._beats = beats  # type: ignore[method-assign]
    assert len(result.jobs["finish"]) == n
    assert calls < 40 * n * 17  # O(n log n): a scan would make n²/2 = 450 million
