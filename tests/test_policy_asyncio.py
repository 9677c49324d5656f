"""The asyncio model: one coroutine at a time, each until its next await; ready coroutines in
the event loop's order — passes over the ready queue, where a timer (an arrival, the end of
an I/O sleep) joins at the start of the next pass behind every coroutine that yielded, and
the coroutine itself one pass later (``asyncio/base_events.py``, ``_run_once``).  Each
schedule below is worked by hand."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schedsim import simulate
from schedsim.errors import OptionError
from schedsim.policies import make_policy
from tests.helpers import slices_of, workload
from tests.invariants import finish_times
from tests.strategies import workloads


def order_of_runs(result) -> list[str]:
    return [row["pid"] for row in sorted(result.timeline_records(), key=lambda r: r["start"])]


@pytest.mark.parametrize("cpus", [1, 2])
def test_a_busy_coroutine_runs_to_its_next_await(cpus):
    """A(0, 5), B(1, 2): B arrives while A computes and waits for all of it (no await in a
    CPU burst), on one CPU or two: A 0-5, B 5-7."""
    result = simulate(workload(("A", 0, 5), ("B", 1, 2)), "asyncio", cpus=cpus)
    assert slices_of(result, "A") == [(0, 5)]
    assert slices_of(result, "B") == [(5, 7)]
    assert {row["cpu"] for row in result.timeline_records()} == {0}


def test_ready_coroutines_run_in_the_order_their_timers_expired():
    """A bursts [2, 1, 2], B(0, 4), C arrives at 1 with 1.

    | t | event                                  | runs | the loop's queue         |
    |---|----------------------------------------|------|--------------------------|
    | 0 | A, B start (one timer, file order)     | A    | B                        |
    | 1 | C's arrival timer expires              | A    | B; timers: C             |
    | 2 | A awaits its I/O sleep (until 3)       | B    | timers: C                |
    | 3 | A's sleep timer expires                | B    | timers: C, A             |
    | 6 | B ends; next pass: C's and A's callbacks, then their steps | C | A |
    | 7 | C ends                                 | A    |                          |
    | 9 | A ends                                 |      |                          |
    """
    result = simulate(workload(("A", 0, [2, 1, 2]), ("B", 0, 4), ("C", 1, 1)), "asyncio")
    assert order_of_runs(result) == ["A", "B", "C", "A"]
    assert finish_times(result) == [9, 6, 7]


def test_yield_every_takes_turns():
    """A(0, 3), B(0, 3), yield every 1: A B A B A B, each a quantum; A ends at 5, B at 6."""
    result = simulate(workload(("A", 0, 3), ("B", 0, 3)), "asyncio", yield_every=1)
    assert order_of_runs(result) == ["A", "B"] * 3
    assert finish_times(result) == [5, 6]


def test_a_newcomer_enters_two_passes_later_than_round_robin_lets_it():
    """A(0, 4), B(0, 4), yield every 1; C(0.5, 1) arrives while A runs.

    | pass | the ready queue at its start | runs                                 |
    |------|------------------------------|--------------------------------------|
    | 1    | A, B (steps)                 | A 0-1 (C's timer expires at 0.5), B 1-2 |
    | 2    | A, B, C's timer callback      | A 2-3, B 3-4; the callback schedules C |
    | 3    | A, B, C                      | A 4-5, B 5-6, C 6-7                  |

    C first runs at 6 (response 5.5); round robin with quantum 1 runs it at 2."""
    work = workload(("A", 0, 4), ("B", 0, 4), ("C", 0.5, 1))
    result = simulate(work, "asyncio", yield_every=1)
    assert slices_of(result, "C") == [(6, 7)]
    assert order_of_runs(result)[:7] == ["A", "B", "A", "B", "A", "B", "C"]
    assert slices_of(simulate(work, "rr", quantum=1), "C") == [(2, 3)]


def test_arrivals_at_the_same_time_start_in_file_order():
    result = simulate(workload(("C", 0, 1), ("A", 0, 1), ("B", 0, 1)), "asyncio")
    assert order_of_runs(result) == ["C", "A", "B"]


@given(workloads(), st.integers(1, 3))
def test_without_yields_it_is_fcfs_on_one_cpu(work, cpus):
    """Run to the end of each burst, in the order coroutines became ready: first come, first
    served — on any number of CPUs, the schedule FCFS gives on one."""
    coroutines = simulate(work, "asyncio", cpus=cpus)
    assert finish_times(coroutines) == finish_times(simulate(work, "fcfs"))


@given(workloads(io=False, same_arrival=True), st.integers(1, 3))
def test_coroutines_arriving_together_take_plain_round_robin_turns(work, quantum):
    """With everyone ready from the start nobody enters mid-way: exactly round robin."""
    coroutines = simulate(work, "asyncio", yield_every=quantum)
    assert finish_times(coroutines) == finish_times(simulate(work, "rr", quantum=quantum))


def test_a_bad_yield_every_is_refused():
    with pytest.raises(OptionError) as caught:
        make_policy("asyncio", yield_every=0)
    assert str(caught.value) == "policy 'asyncio': --yield-every: must be > 0, got 0"
