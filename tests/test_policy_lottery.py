"""Lottery scheduling: each quantum goes to a ticket drawn uniformly from the ready jobs'
tickets, using the run's seeded generator."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from schedsim import OptionError, Workload, WorkloadError, simulate
from schedsim.policies import make_policy
from schedsim.policies.lottery import TicketTree


def _cpu_bound(tickets: list[int], burst: int) -> Workload:
    """Always-ready CPU-bound jobs P1, P2, ... arriving at 0."""
    return Workload.from_processes(
        [
            {"pid": f"P{i + 1}", "arrival": 0, "bursts": [burst], "tickets": count}
            for i, count in enumerate(tickets)
        ]
    )


def _cpu_in_window(workload: Workload, result: object, horizon: int) -> list[int]:
    """CPU time each job received in [0, horizon) (quantum 1, integer times)."""
    used = [0] * len(workload)
    for row in result.timeline_records():  # type: ignore[attr-defined]
        start, end = row["start"], min(row["end"], horizon)
        if start < horizon:
            used[workload.index_of(row["pid"])] += end - start
    return used


def test_winners_are_the_seeded_draws_walked_in_file_order() -> None:
    """The reference procedure (OSTEP ch. 9): draw ``winner`` uniformly in
    [0, total tickets), walk the ready jobs in file order summing tickets, and the job
    whose running sum first exceeds ``winner`` runs one quantum.  The policy must pick
    exactly those jobs, from the run's generator ``default_rng(seed)``."""
    tickets = [100, 50, 250]
    workload = _cpu_bound(tickets, burst=40)  # nobody can finish within 40 quanta
    seed = 7
    result = simulate(workload, "lottery", seed=seed)
    picked = [row["pid"] for row in result.timeline_records()[:40]]

    rng = np.random.default_rng(seed)
    expected = []
    for _ in range(40):
        winner = int(rng.integers(sum(tickets)))
        counter = 0
        for index, count in enumerate(tickets):
            counter += count
            if counter > winner:
                expected.append(f"P{index + 1}")
                break
    assert picked == expected
    assert all(row["end"] - row["start"] == 1 for row in result.timeline_records()[:40])


def test_shares_converge_to_ticket_ratios() -> None:
    """Tickets 100:200:300, quantum 1: in the first N = 6000 quanta job i wins
    Binomial(N, p_i) quanta with p = 1/6, 2/6, 3/6 (all three stay ready).  Each count must
    be within 4 standard deviations, sqrt(N p (1 - p)) (about 29, 37 and 39 quanta), of
    N p_i.  The seeds are fixed, so this cannot flake; five seeds guard against a policy
    that is merely lucky once."""
    horizon = 6000
    tickets = [100, 200, 300]
    workload = _cpu_bound(tickets, burst=horizon)
    total = sum(tickets)
    for seed in range(5):
        used = _cpu_in_window(workload, simulate(workload, "lottery", seed=seed), horizon)
        assert sum(used) == horizon
        for count, share in zip(used, tickets, strict=True):
            p = share / total
            assert abs(count - horizon * p) <= 4 * math.sqrt(horizon * p * (1 - p)), (seed, used)


def test_same_seed_same_schedule_other_seed_other_schedule() -> None:
    workload = _cpu_bound([100, 100, 100], burst=50)
    first = simulate(workload, "lottery", seed=3).to_json()
    assert simulate(workload, "lottery", seed=3).to_json() == first
    assert simulate(workload, "lottery", seed=4).to_json() != first


def test_quantum_option() -> None:
    """A win runs one quantum (default 1); --quantum changes it, meaning what it means for
    rr: the length of a time slice."""
    workload = _cpu_bound([100, 300], burst=12)
    result = simulate(workload, "lottery", quantum=4, seed=1)
    lengths = {row["end"] - row["start"] for row in result.timeline_records()}
    assert lengths == {4}
    with pytest.raises(OptionError, match="policy 'lottery': --quantum: must be > 0, got '0'"):
        make_policy("lottery", quantum="0")


def test_thousands_of_ready_jobs() -> None:
    """3000 jobs ready at once, quantum 1: every one finishes, and picking stays cheap
    (O(log n) per draw: 15 000 draws here)."""
    rng = np.random.default_rng(0)
    workload = Workload.from_processes(
        [
            {"pid": f"P{i}", "arrival": 0, "bursts": [5], "tickets": int(t)}
            for i, t in enumerate(rng.integers(1, 1000, size=3000))
        ]
    )
    result = simulate(workload, "lottery", seed=1, timeline=False)
    assert result.summary["slices"] == 15_000
    assert result.jobs["finish"].max() == 15_000


def test_zero_tickets_are_rejected() -> None:
    workload = Workload.from_processes(
        [{"pid": "A", "bursts": [1]}, {"pid": "B", "bursts": [1], "tickets": 0}]
    )
    with pytest.raises(WorkloadError, match=r"process #2 \(pid B\): tickets: must be >= 1"):
        simulate(workload, "lottery")


@given(st.lists(st.tuples(st.integers(0, 19), st.integers(1, 50)), min_size=1, max_size=40))
def test_ticket_tree_finds_the_owner_of_every_ticket(operations: list[tuple[int, int]]) -> None:
    """After any sequence of additions the tree agrees with a plain walk over the jobs in
    id order, for every ticket number."""
    tree = TicketTree(20)
    counts = [0] * 20
    for job, tickets in operations:
        tree.add(job, tickets)
        counts[job] += tickets
    assert tree.total == sum(counts)
    owners = [job for job, count in enumerate(counts) for _ in range(count)]
    assert [tree.owner(ticket) for ticket in range(tree.total)] == owners
    # Removing a job's tickets removes exactly its range.
    job = operations[0][0]
    tree.add(job, -counts[job])
    owners = [other for other in owners if other != job]
    assert [tree.owner(ticket) for ticket in range(tree.total)] == owners
