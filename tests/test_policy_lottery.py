"""Lottery scheduling: each quantum goes to a ticket drawn uniformly from the ready jobs'
tickets, using the run's seeded generator."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from schedsim import OptionError, Workload, WorkloadError, simulate
from schedsim.clock import SimulatedClock
from schedsim.policies import make_policy
from schedsim.policies.base import overrides, standalone_view
from schedsim.policies.lottery import MAX_COMPENSATION, TicketTree


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


def _io_bound_and_two_cpu_bound(bursts: int) -> Workload:
    """P1 does 1 unit of CPU then 1 of I/O, ``bursts`` times; P2 and P3 never block."""
    pattern = [1, 1] * (bursts - 1) + [1]
    return Workload.from_processes(
        [
            {"pid": "P1", "arrival": 0, "bursts": pattern},
            {"pid": "P2", "arrival": 0, "bursts": [100_000]},
            {"pid": "P3", "arrival": 0, "bursts": [100_000]},
        ]
    )


def _holder(ready: list[tuple[str, int]], ticket: int) -> str:
    """Who holds ticket number ``ticket``, counting the ready jobs' tickets in file order."""
    for pid, count in ready:
        if ticket < count:
            return pid
        ticket -= count
    raise AssertionError(f"ticket {ticket} is past the last one")


def test_compensation_tickets_follow_waldspurger_and_weihl() -> None:
    """Quantum 4: P1 uses 1/4 of a quantum and blocks, so until it next wins it draws with
    4 x 100 tickets (Waldspurger & Weihl, OSDI 1994, compensation tickets).  The reference:
    replay the seeded draws over the ready jobs in file order, P1 holding 400 tickets after
    each of its bursts and 100 again once it wins; P1's I/O (1 unit) always ends inside the
    next winner's quantum (4 units), so no two events share an instant."""
    seed = 5
    workload = _io_bound_and_two_cpu_bound(bursts=30)
    result = simulate(workload, "lottery", quantum=4, compensate=True, seed=seed)
    picked = [row["pid"] for row in result.timeline_records()[:60]]

    rng = np.random.default_rng(seed)
    expected: list[str] = []
    now, p1_back, p1_tickets, p1_left = 0, 0, 100, 30
    while len(expected) < 60:
        ready = [("P1", p1_tickets)] if p1_left and p1_back <= now else []
        ready += [("P2", 100), ("P3", 100)]
        pid = _holder(ready, int(rng.integers(sum(count for _, count in ready))))
        expected.append(pid)
        if pid == "P1":
            now, p1_back, p1_tickets, p1_left = now + 1, now + 2, 400, p1_left - 1
        else:
            now += 4
    assert picked == expected
    assert result.policy == "lottery" and result.options["compensate"] is True


def test_compensation_gives_an_io_bound_job_its_share() -> None:
    """Without compensation P1 wins a third of the draws but runs a quarter quantum each
    time; with it, P1 wins about two thirds of the draws it takes part in, so its 200 bursts
    finish far sooner (seeded, five seeds)."""
    workload = _io_bound_and_two_cpu_bound(bursts=200)
    for seed in range(5):
        plain = simulate(workload, "lottery", quantum=4, seed=seed, timeline=False)
        fair = simulate(workload, "lottery", quantum=4, compensate=True, seed=seed, timeline=False)
        assert fair.jobs["finish"][0] < 0.7 * plain.jobs["finish"][0], seed


def test_compensation_is_capped_and_off_by_default() -> None:
    lottery = make_policy("lottery", compensate=True)
    lottery.reset(standalone_view([1.0, 1.0]), SimulatedClock(), np.random.default_rng(0))
    lottery.on_burst_end(0, 1e-12)  # a few ulps of a quantum: capped at 1000 x
    lottery.on_burst_end(1, 1.0)  # the whole quantum: nothing to compensate
    assert lottery.holding == [100 * MAX_COMPENSATION, 100]
    assert make_policy("lottery").describe() == "lottery(quantum=1)"
    assert lottery.describe() == "lottery(quantum=1, compensate=True)"
    assert not overrides(make_policy("lottery"), "on_burst_end")  # plain lottery: no hook


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
