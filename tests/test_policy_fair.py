"""The CFS-like fair policy: lowest weighted virtual runtime first, slices split the target
latency by weight, newcomers and sleepers placed relative to min_vruntime."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import numpy as np
import pytest

from schedsim import OptionError, Workload, WorkloadError, simulate
from schedsim.clock import SimulatedClock
from schedsim.policies import make_policy
from schedsim.policies.base import standalone_view
from schedsim.policies.weights import NICE_TO_WEIGHT, nice_to_weight


def _workload(rows: list[tuple[str, Any, Any, int]]) -> Workload:
    """Rows of (pid, arrival, burst or bursts, nice)."""
    return Workload.from_processes(
        [
            {"pid": pid, "arrival": arrival, "bursts": _list(bursts), "nice": nice}
            for pid, arrival, bursts, nice in rows
        ]
    )


def _list(bursts: Any) -> list[Any]:
    return bursts if isinstance(bursts, list) else [bursts]


def _slices(result: Any) -> list[tuple[str, Any, Any]]:
    return [(row["pid"], row["start"], row["end"]) for row in result.timeline_records()]


def test_weight_table_is_the_kernels() -> None:
    """Linux kernel/sched/core.c, sched_prio_to_weight: 40 entries, nice 0 -> 1024, each
    step about 1.25x."""
    assert len(NICE_TO_WEIGHT) == 40
    assert (nice_to_weight(-20), nice_to_weight(0), nice_to_weight(5), nice_to_weight(19)) == (
        88761,
        1024,
        335,
        15,
    )
    assert all(1.19 < a / b < 1.29 for a, b in pairwise(NICE_TO_WEIGHT))


def test_newcomer_joins_at_min_vruntime_hand_schedule() -> None:
    """Target latency 6, both nice 0.

    A runs alone 0-6 (slice 6·1024/1024).  B arrives at 6 and starts at min_vruntime = 6
    (A's vruntime), not 0; A's expired slice also leaves it at 6: tie, file order.  Slices
    are now 6·1024/2048 = 3: A 6-9, B 9-12, A 12-15 (A's 12 done), B 15-18.
    """
    workload = _workload([("A", 0, 12, 0), ("B", 6, 6, 0)])
    result = simulate(workload, "fair")
    assert _slices(result) == [
        ("A", 0, 6),
        ("A", 6, 9),
        ("B", 9, 12),
        ("A", 12, 15),
        ("B", 15, 18),
    ]
    assert result.jobs["finish"].tolist() == [15, 18]  # integer times stay exact


def test_cpu_shares_follow_weights() -> None:
    """Nice 0 and nice 5 (weights 1024 and 335), both CPU-bound from 0: slices are
    6·1024/1359 and 6·335/1359, and each advances vruntime by the same amount, so they
    alternate.  In the window [0, 600) A's CPU time is 600·1024/1359 within one slice."""
    workload = _workload([("A", 0, 1000, 0), ("B", 0, 1000, 5)])
    result = simulate(workload, "fair")
    used = {"A": 0.0, "B": 0.0}
    for pid, start, end in _slices(result):
        if start < 600:
            used[pid] += min(end, 600) - start
    assert used["A"] + used["B"] == pytest.approx(600)
    assert abs(used["A"] - 600 * 1024 / 1359) <= 6 * 1024 / 1359
    assert _slices(result)[0][2] == pytest.approx(6 * 1024 / 1359)
    assert _slices(result)[1][2] - _slices(result)[1][1] == pytest.approx(6 * 335 / 1359)


def test_min_granularity_floors_the_slice() -> None:
    """Ten nice-0 jobs: 6 / 10 = 0.6 < 0.75, so every slice is 0.75; three jobs get 2."""
    crowd = _workload([(f"P{i}", 0, 3, 0) for i in range(10)])
    first = _slices(simulate(crowd, "fair"))[0]
    assert first[2] - first[1] == 0.75
    few = _workload([(f"P{i}", 0, 3, 0) for i in range(3)])
    assert _slices(simulate(few, "fair"))[0] == ("P0", 0, 2)
    wide = simulate(crowd, "fair", target_latency=20, min_granularity=1)
    assert _slices(wide)[0] == ("P0", 0, 2)


def test_a_late_arrival_does_not_monopolise_the_cpu() -> None:
    """A runs alone for 500; B arrives then.  Starting at min_vruntime (about 500, not 0),
    B gets about half the CPU from then on instead of the next 500 time units."""
    workload = _workload([("A", 0, 2000, 0), ("B", 500, 300, 0)])
    result = simulate(workload, "fair")
    used = {"A": 0, "B": 0}
    for pid, start, end in _slices(result):
        if 500 <= start < 600:
            used[pid] += end - start
    assert 44 <= used["B"] <= 56
    assert 44 <= used["A"] <= 56


def test_a_waking_job_gets_at_most_half_a_latency_of_credit() -> None:
    """B (bursts 3, I/O 20, 30) and CPU-bound A, nice 0, target latency 6.

    A 0-3, B 3-6 (vruntime 3), B sleeps 6-26 while A runs 6-slices from 6.  At 26 A's
    vruntime is 23 (dispatched at 24 with 21, 2 into its slice): B is placed at
    max(3, 23 − 6/2) = 20.  A's slice ends at 30 (vruntime 27); B runs three 3-slices,
    30-39, reaching 29, then they alternate.  (With no sleeper credit B would get only
    30-36; placed at its own 3 it would run 30-51.)
    """
    workload = _workload([("A", 0, 100, 0), ("B", 0, [3, 20, 30], 0)])
    slices = _slices(simulate(workload, "fair"))
    assert slices[:10] == [
        ("A", 0, 3),
        ("B", 3, 6),
        ("A", 6, 12),
        ("A", 12, 18),
        ("A", 18, 24),
        ("A", 24, 30),
        ("B", 30, 33),
        ("B", 33, 36),
        ("B", 36, 39),
        ("A", 39, 42),
    ]


def test_virtual_runtime_advances_by_ran_times_1024_over_weight() -> None:
    """A nice-5 job (weight 335) that runs 335 time units ages 1024 in virtual time."""
    clock = SimulatedClock(0)
    remaining = [335]
    view = standalone_view(remaining, nice=[5], clock=clock)  # type: ignore[arg-type]
    policy = make_policy("fair", target_latency=1000)
    policy.reset(view, clock, np.random.default_rng(0))
    policy.on_ready(0)
    assert policy.pick_next() == 0
    assert policy.time_slice(0) == 1000
    clock.now = 335
    remaining[0] = 0
    policy.on_burst_end(0, 335)
    assert policy.vruntime[0] == 1024  # type: ignore[attr-defined]


def test_bad_nice_and_options_are_rejected() -> None:
    workload = Workload.from_processes([{"pid": "A", "bursts": [1], "nice": 20}])
    with pytest.raises(WorkloadError, match=r"process #1 \(pid A\): nice: must be in -20..19"):
        simulate(workload, "fair")
    with pytest.raises(OptionError, match="--target-latency: must be > 0"):
        make_policy("fair", target_latency="0")
    with pytest.raises(OptionError, match="--min-granularity: expected a number"):
        make_policy("fair", min_granularity="fast")
    assert make_policy("fair").describe() == "fair(target_latency=6, min_granularity=0.75)"
