"""The fixed-order pass (FCFS on one CPU without I/O): its three implementations — the Python
loop that defines it, the compiled copy of that loop for float times and the int64 closed
form for integer times — agree exactly, and a run through it equals the event loop's run."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from schedsim import Workload, engine, simulate
from schedsim.metrics import job_columns
from schedsim.policies import make_policy
from tests.helpers import exact, workload

SWITCHES = st.sampled_from([0, 0.0, 1, 2, 0.5, 0.1])


def columns(times: tuple[Any, ...]) -> list[list[Any] | None]:
    return [None if column is None else exact(column) for column in times]


@given(
    st.lists(st.integers(0, 20), min_size=1, max_size=30),
    st.lists(st.integers(1, 6), min_size=30, max_size=30),
    SWITCHES,
    st.booleans(),
)
def test_the_closed_form_is_the_loop_on_integer_times(arrivals, bursts, switch, dispatched):
    """Integers full of ties and idle gaps: the closed form gives the loop's exact values."""
    arrival = np.sort(np.asarray(arrivals, dtype=np.int64))
    burst = np.asarray(bursts[: len(arrivals)], dtype=np.int64)
    loop = engine._fixed_order_times(arrival, burst, switch, dispatched, method="python")
    if isinstance(switch, float) and switch != 0:
        compiled = engine._fixed_order_times(arrival, burst, switch, dispatched, method="auto")
        assert columns(compiled) == columns(loop)
        return
    closed = engine._fixed_order_times(arrival, burst, switch, dispatched, method="numpy")
    assert columns(closed) == columns(loop)
    assert all(column is None or column.dtype == np.int64 for column in closed)


@given(
    st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=40),
    st.lists(st.floats(1e-6, 1e3, allow_nan=False), min_size=40, max_size=40),
    SWITCHES,
    st.booleans(),
)
def test_the_compiled_pass_is_the_loop_bit_for_bit(arrivals, bursts, switch, dispatched):
    pytest.importorskip("schedsim._cengine")
    arrival = np.sort(np.asarray(arrivals, dtype=np.float64))
    burst = np.asarray(bursts[: len(arrivals)], dtype=np.float64)
    loop = engine._fixed_order_times(arrival, burst, switch, dispatched, method="python")
    compiled = engine._fixed_order_times(arrival, burst, switch, dispatched, method="c")
    for ours, theirs in zip(compiled, loop, strict=True):
        assert (ours is None) == (theirs is None)
        if ours is not None:
            assert ours.tobytes() == theirs.tobytes()


def test_sums_that_could_overflow_int64_stay_exact():
    """Bursts of 10^15 sum past int64's range: the unbounded Python loop takes over."""
    count = 10_000
    arrival = np.zeros(count, dtype=np.int64)
    burst = np.full(count, 10**15, dtype=np.int64)
    assert not engine._fits_int64(arrival, burst, 0)
    _, starts, ends = engine._fixed_order_times(arrival, burst, 0, False)
    assert ends[-1] == count * 10**15  # past 2**63 - 1: held as a Python int
    assert starts[-1] == (count - 1) * 10**15


@given(st.sampled_from([0, 0.0, 3, 0.25]), st.booleans())
def test_fcfs_through_the_pass_gives_the_event_loops_metrics(switch, floats):
    """Same trace columns and the same metric dtypes (exact ints stay ints) as the event loop,
    whatever type the context switch is given in."""
    if floats:
        work = workload(("A", 0.5, 3.25), ("B", 0.5, 1.0), ("C", 9.0, 2.0), ("D", 9.5, 0.5))
    else:
        work = workload(("A", 0, 3), ("B", 0, 1), ("C", 9, 2), ("D", 10, 1))
    options: dict[str, Any] = {"context_switch": switch}
    fast = engine.run(work, make_policy("fcfs"), **options)
    slow = engine.run(work, make_policy("fcfs"), engine="python", **options)
    for name in ("first_run", "finish", "switch_time", "slices"):
        assert exact(getattr(fast, name)) == exact(getattr(slow, name)), name
    ours, theirs = job_columns(work, fast), job_columns(work, slow)
    for name, column in theirs.items():
        assert ours[name].dtype == column.dtype, name
        assert ours[name].tolist() == column.tolist(), name


def test_a_long_run_keeps_textbook_fcfs_arithmetic():
    """A long run with idle gaps: each job starts when it arrives or when the one before it
    ends, whichever is later (checked with numpy on the result, not by the engine)."""
    rng = np.random.default_rng(5)
    count = 200_000
    arrival = np.cumsum(rng.integers(0, 20, count))
    burst = rng.integers(1, 20, count)
    work = Workload(
        pid=[f"P{i}" for i in range(count)],
        arrival=arrival,
        burst_offsets=np.arange(count + 1, dtype=np.int64),
        burst_values=burst,
        priority=np.zeros(count, dtype=np.int64),
        tickets=np.full(count, 100, dtype=np.int64),
        nice=np.zeros(count, dtype=np.int64),
    )
    result = simulate(work, "fcfs", timeline=False)
    finish = result.jobs["finish"]
    start = result.jobs["first_run"]
    assert finish.dtype == np.int64
    assert np.array_equal(start[1:], np.maximum(arrival[1:], finish[:-1]))
    assert np.array_equal(finish, start + burst)


def test_a_job_that_never_waited_has_a_waiting_of_exactly_zero():
    """finish - arrival - burst in floats is +-1e-16 for a job run on arrival (finish =
    start + burst is rounded): such residues are zero waits, and a real wait of 1e-4 at
    time 10^4 is kept."""
    rng = np.random.default_rng(11)
    arrival = np.cumsum(rng.uniform(20.0, 30.0, 2000)).round(4)  # gaps longer than bursts
    burst = rng.uniform(0.1, 10.0, 2000).round(4)
    pairs = zip(arrival.tolist(), burst.tolist(), strict=True)
    processes = [(f"P{i}", a, b) for i, (a, b) in enumerate(pairs)]
    processes.append(("late", float(arrival[-1]), 1.0))  # waits for the last job's burst
    work = workload(*processes)
    jobs = simulate(work, "fcfs", timeline=False).jobs
    assert np.all(jobs["waiting"][:-1] == 0.0)
    raw = jobs["turnaround"] - jobs["cpu_time"]
    assert np.any(raw[:-1] != 0.0)  # without the rule some would be +-1e-16
    assert jobs["waiting"][-1] == pytest.approx(burst[-1], rel=1e-12)

    tiny = workload(("A", 10_000.0, 0.0001), ("B", 10_000.0, 1.0))
    assert simulate(tiny, "fcfs").jobs["waiting"].tolist() == [0.0, pytest.approx(0.0001)]
