"""The benchmark's SimPy models (benchmarks/simpy_models.py) give schedsim's exact schedule.

The engine benchmark reports schedsim's speed-up over these models, which is only
meaningful if both simulate the same thing: every per-job finish time (and the number of
dispatches) must be equal — to the last bit on float workloads, since both compute a slice's
end as ``start + length``.  Hand-worked examples pin the tie rules: simultaneous events at
``t`` go (1) the running job leaves, (2) arrivals join in file order, then an expired job
re-queues behind them, (3) preemption, (4) dispatch.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

import schedsim
from schedsim.workload import Workload

pytest.importorskip("simpy")

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def load(name: str) -> ModuleType:
    """Import a benchmarks/ script by path (benchmarks/ is not a package)."""
    if str(BENCHMARKS) not in sys.path:
        sys.path.append(str(BENCHMARKS))  # engine.py imports simpy_models by name
    module_name = f"schedsim_benchmarks_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


models = load("simpy_models")

# policy -> (schedsim options, SimPy model options)
POLICIES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "fcfs": ({}, {}),
    "sjf": ({}, {}),
    "srtf": ({}, {}),
    "rr": ({"quantum": 1}, {"quantum": 1}),
    "mlfq": ({"levels": 3, "quantum": "1,2,4"}, {"quanta": (1, 2, 4)}),
}


def columns(arrival: Any, burst: Any) -> Workload:
    size = len(arrival)
    return Workload(
        pid=[f"P{i + 1}" for i in range(size)],
        arrival=np.asarray(arrival),
        burst_offsets=np.arange(size + 1, dtype=np.int64),
        burst_values=np.asarray(burst),
        priority=np.zeros(size, dtype=np.int64),
        tickets=np.full(size, 100, dtype=np.int64),
        nice=np.zeros(size, dtype=np.int64),
    )


def both(
    policy: str, workload: Workload, schedsim_options: dict[str, Any], **model_options: Any
) -> tuple[list[Any], list[Any], int, int]:
    """(schedsim finish times, SimPy finish times, schedsim slices, SimPy slices)."""
    result = schedsim.simulate(workload, policy, timeline=False, **schedsim_options)
    arrival, burst = models.workload_columns(workload)
    model = models.build(policy, arrival, burst, **model_options)
    finish = model.run()
    return result.jobs["finish"].tolist(), finish, int(result.jobs["slices"].sum()), model.slices


# Hand-worked schedules (integer times, so equality is exact by construction):
#
# fcfs   P1 0-3, P2 3-5 (P1 and P2 tie at 0: file order); P3 arrives at 5 as P2 ends: 5-6;
#        P4 (also at 5, after P3 in the file) 6-8.
# sjf    P1 0-4; at 4 P3 (burst 1) and P4 (burst 3) arrive as P1 ends and are considered
#        before the dispatch: P3 4-5; P2 and P4 tie on burst 3, P2 became ready first: P2
#        5-8, P4 8-11.
# srtf   P1 0-1, preempted by P2 (4 < 7); P3 arrives at 2 with 3 = P2's remaining 3: an equal
#        time does not preempt.  P2 ends at 5 as P4 (burst 1) arrives: P4 5-6, P3 6-9, P1
#        9-16.
# rr q=2 P1 0-2; P2 arrives at 2 as P1's slice expires and goes first: P2 2-4; P3 arrives at
#        4 behind P1: P1 4-6, P3 6-7, P1 7-8; P4 alone from 10: 10-12 then, with nobody
#        waiting, continues 12-13 (a second slice).
# mlfq 1,2,4  P1 0-1 at level 0, then level 1 from 1; P2 arrives at 2 (level 0) and preempts
#        it (P1 keeps 1 of its slice of 2, head of level 1); P2 2-3 expires as P3 arrives:
#        P3 joins level 0 and P2 level 1 behind P1; P3 3-4, P1 4-5 (rest of its slice,
#        then level 2), P2 5-6 (level 1, finishes), P1 6-9 (level 2).
HAND_CASES = [
    ("fcfs", {}, {}, [0, 0, 5, 5], [3, 2, 1, 2], [3, 5, 6, 8], 4),
    ("sjf", {}, {}, [0, 1, 4, 4], [4, 3, 1, 3], [4, 8, 5, 11], 4),
    ("srtf", {}, {}, [0, 1, 2, 5], [8, 4, 3, 1], [16, 5, 9, 6], 5),
    ("rr", {"quantum": 2}, {"quantum": 2}, [0, 2, 4, 10], [5, 2, 1, 3], [8, 4, 7, 13], 7),
    (
        "mlfq",
        {"levels": 3, "quantum": "1,2,4"},
        {"quanta": (1, 2, 4)},
        [0, 2, 3],
        [6, 2, 1],
        [9, 6, 4],
        7,
    ),
]


@pytest.mark.parametrize(
    ("policy", "schedsim_options", "model_options", "arrival", "burst", "finish", "slices"),
    HAND_CASES,
    ids=[case[0] for case in HAND_CASES],
)
def test_hand_worked_schedules(
    policy: str,
    schedsim_options: dict[str, Any],
    model_options: dict[str, Any],
    arrival: list[int],
    burst: list[int],
    finish: list[int],
    slices: int,
) -> None:
    ours, theirs, our_slices, their_slices = both(
        policy, columns(arrival, burst), schedsim_options, **model_options
    )
    assert ours == finish
    assert theirs == finish
    assert (our_slices, their_slices) == (slices, slices)


def poisson(seed: int, size: int = 150) -> Workload:
    """Load 0.9 like the benchmark: exponential gaps (rate 0.09) and bursts (mean 10)."""
    rng = np.random.default_rng(seed)
    return columns(np.cumsum(rng.exponential(1 / 0.09, size)), rng.exponential(10, size))


def crowded(seed: int, size: int = 60) -> Workload:
    """Integer times in a narrow window, unsorted: full of simultaneous events."""
    rng = np.random.default_rng(seed)
    return columns(rng.integers(0, 40, size), rng.integers(1, 8, size))


@pytest.mark.parametrize("policy", list(POLICIES))
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_models_match_schedsim_on_random_floats(policy: str, seed: int) -> None:
    schedsim_options, model_options = POLICIES[policy]
    ours, theirs, our_slices, their_slices = both(
        policy, poisson(seed), schedsim_options, **model_options
    )
    assert theirs == ours  # bit for bit: same arithmetic in both
    assert their_slices == our_slices


@pytest.mark.parametrize("policy", list(POLICIES))
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_models_match_schedsim_on_ties(policy: str, seed: int) -> None:
    schedsim_options, model_options = POLICIES[policy]
    ours, theirs, our_slices, their_slices = both(
        policy, crowded(seed), schedsim_options, **model_options
    )
    assert theirs == ours
    assert their_slices == our_slices


@pytest.mark.parametrize("quanta", [(2, 3, 5), (0.5, 1.5), (1, 2, float("inf"))])
def test_mlfq_model_with_other_quanta(quanta: tuple[float, ...]) -> None:
    text = ",".join(str(q) for q in quanta)
    for workload in (poisson(7, 80), crowded(7, 40)):
        ours, theirs, _, _ = both(
            "mlfq", workload, {"levels": len(quanta), "quantum": text}, quanta=quanta
        )
        assert theirs == ours


def test_float_sliver_does_not_cost_an_extra_slice() -> None:
    """0.4 - 0.1 - 0.1 - 0.1 leaves 0.10000000000000003: the fourth slice finishes the job."""
    ours, theirs, our_slices, their_slices = both(
        "rr", columns([0.0, 0.05], [0.4, 0.3]), {"quantum": 0.1}, quantum=0.1
    )
    assert theirs == ours
    assert our_slices == their_slices == 7


def test_waypoints_land_exactly_where_a_direct_delay_cannot() -> None:
    now, when = 1.3, 3.6
    assert now + (when - now) != when  # the reason waypoints exist
    points = models.waypoints(now, when)
    assert points[-1] == when
    reached = now
    for point in points:
        reached = reached + (point - reached)
        assert reached == point
    assert models.waypoints(2, 7) == [7]  # integers: one direct hop


def test_models_reject_workloads_with_io() -> None:
    workload = Workload.from_processes([{"pid": "A", "arrival": 0, "bursts": [2, 3, 1]}])
    with pytest.raises(ValueError, match="single-burst"):
        models.finish_times("fcfs", workload)


def test_engine_benchmark_measures_both_engines_alike() -> None:
    """The benchmark's own plumbing: same workload, events = arrivals + slices, agreement."""
    bench = load("engine")
    spec = {"policy": "rr", "size": 300, "seed": 5, "repeat": 1, "timeline": False}
    ours = bench.measure({**spec, "engine": "schedsim"})
    theirs = bench.measure({**spec, "engine": "simpy"})
    assert ours["events"] == 300 + ours["slices"]
    assert ours["slices"] == theirs["slices"] > 300
    assert ours["mean_turnaround"] == theirs["mean_turnaround"] > 10
    assert bench.agrees(ours, theirs) is True
    assert (
        bench.agrees(ours, {**theirs, "mean_turnaround": theirs["mean_turnaround"] * 1.01}) is False
    )
    workload = bench.make_workload(1000, 5)
    load_factor = bench.ARRIVAL_RATE * float(workload.burst_values.mean())
    assert workload.arrival.dtype == np.float64 and 0.8 < load_factor < 1.0
