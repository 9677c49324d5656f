"""The GIL model: one thread runs at a time on any number of CPUs; a waiting thread makes the
holder drop the GIL ``switch_interval`` after the later of (the holder took it, the
longest-waiting thread began waiting); I/O releases it; waiters take it first come, first
served.  Rules from CPython's ``Python/ceval_gil.h``; each schedule below is worked by hand."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from schedsim import simulate
from schedsim.cli import main
from schedsim.errors import OptionError
from schedsim.policies import make_policy
from tests.helpers import slices_of, workload
from tests.invariants import finish_times
from tests.strategies import workloads


def tenures(result) -> list[tuple[str, float, float]]:
    """(pid, start, end) of each stretch a thread held the GIL: consecutive slices of the
    same thread (a holder carrying on after a slice with nobody waiting) are one stretch."""
    merged: list[tuple[str, float, float]] = []
    for row in sorted(result.timeline_records(), key=lambda row: row["start"]):
        if merged and merged[-1][0] == row["pid"] and merged[-1][2] == row["start"]:
            merged[-1] = (row["pid"], merged[-1][1], row["end"])
        else:
            merged.append((row["pid"], row["start"], row["end"]))
    return merged


@pytest.mark.parametrize("cpus", [1, 2, 4])
def test_two_cpu_bound_threads_take_turns_every_interval(cpus):
    """A(0, 5), B(0, 3), switch interval 2 — on one CPU or several, the same turns:

    | t | event                                   | holder | waiting (since) |
    |---|-----------------------------------------|--------|-----------------|
    | 0 | A, B arrive; A takes the free GIL       | A      | B (0)           |
    | 2 | B has waited 2: A drops it, B takes it  | B      | A (2)           |
    | 4 | A has waited 2: forced switch           | A      | B (4)           |
    | 6 | forced switch; B has 1 left             | B      | A (6)           |
    | 7 | B finishes: releases, A takes it        | A      |                 |
    | 8 | A finishes                              |        |                 |
    """
    result = simulate(workload(("A", 0, 5), ("B", 0, 3)), "gil", switch_interval=2, cpus=cpus)
    assert tenures(result) == [("A", 0, 2), ("B", 2, 4), ("A", 4, 6), ("B", 6, 7), ("A", 7, 8)]
    assert finish_times(result) == [8, 7]
    assert {row["cpu"] for row in result.timeline_records()} == {0}  # the others stay idle


def test_a_newcomer_waits_a_full_interval_even_mid_slice():
    """A(0, 10) alone, B arrives at 3; interval 2.  A's slices end every 2 (at 2, 4) and it
    carries on; B's drop request comes at 3 + 2 = 5, not at A's next slice end (4) — so B
    first runs at 5, where round robin with quantum 2 would run it at 4.

    | t | holder | waiting (since) | A's slice      |
    |---|--------|-----------------|----------------|
    | 0 | A      |                 | 0-2 (nobody waits: one interval) |
    | 2 | A      |                 | 2-4            |
    | 3 | A      | B (3)           |                |
    | 4 | A      | B (3)           | 4-5: up to 3 + 2 |
    | 5 | B      | A (5)           | B's: 5-7       |
    | 7 | A      | B (7)           | 7-9            |
    | 9 | B      | A (9)           | 9-11 ...       |
    """
    result = simulate(workload(("A", 0, 10), ("B", 3, 4)), "gil", switch_interval=2)
    assert tenures(result)[:4] == [("A", 0, 5), ("B", 5, 7), ("A", 7, 9), ("B", 9, 11)]
    assert result.jobs["first_run"].tolist() == [0, 5]
    assert slices_of(result, "A")[:3] == [(0, 2), (2, 4), (4, 5)]
    round_robin = simulate(workload(("A", 0, 10), ("B", 3, 4)), "rr", quantum=2)
    assert round_robin.jobs["first_run"].tolist() == [0, 4]


def test_io_releases_the_gil_and_a_returning_thread_waits_for_the_holder():
    """A bursts [1, 3, 1] (an I/O-bound thread), B(0, 10) CPU-bound; interval 4.

    | t | event                                              | holder | waiting (since) |
    |---|----------------------------------------------------|--------|-----------------|
    | 0 | A takes the GIL                                    | A      | B (0)           |
    | 1 | A blocks for I/O: releases; B takes it             | B      |                 |
    | 4 | A's I/O ends: the GIL is held, A waits             | B      | A (4)           |
    | 8 | A has waited 4: B drops it                         | A      | B (8)           |
    | 9 | A finishes: releases; B takes it, 3 left           | B      |                 |
    | 12| B finishes                                         |        |                 |

    A waits 4 for a CPU that nobody else wants (the convoy effect of CPU-bound threads)."""
    result = simulate(workload(("A", 0, [1, 3, 1]), ("B", 0, 10)), "gil", switch_interval=4)
    assert tenures(result) == [("A", 0, 1), ("B", 1, 8), ("A", 8, 9), ("B", 9, 12)]
    assert finish_times(result) == [9, 12]
    assert result.jobs["waiting"].tolist() == [4, 2]


def test_waiters_take_the_gil_first_come_first_served():
    """A, B, C (0, 3 each), interval 1: the GIL goes round in the order the threads began
    waiting — A B C A B C A B C — and each thread that drops it joins the back."""
    result = simulate(workload(("A", 0, 3), ("B", 0, 3), ("C", 0, 3)), "gil", switch_interval=1)
    assert [pid for pid, *_ in tenures(result)] == ["A", "B", "C"] * 3
    assert finish_times(result) == [7, 8, 9]


def test_a_float_interval_leaves_no_sliver_slices():
    """0.1 + 0.1 + 0.1 is not 0.3 in floats; deadlines a few ulps away still count as
    reached, so A(0, 0.3) and B(0, 0.3) with interval 0.1 take six turns of 0.1 each."""
    result = simulate(workload(("A", 0.0, 0.3), ("B", 0.0, 0.3)), "gil", switch_interval=0.1)
    lengths = [end - start for _, start, end in tenures(result)]
    assert len(lengths) == 6
    assert all(abs(length - 0.1) < 1e-12 for length in lengths)


@given(workloads(), st.integers(1, 3))
def test_with_an_interval_longer_than_every_burst_it_is_fcfs(work, cpus):
    """No drop request can come before a burst ends: first come, first served, one at a
    time — on any number of CPUs the schedule of FCFS on one."""
    longest = max(work.burst_values.tolist())
    gil = simulate(work, "gil", switch_interval=longest + 1, cpus=cpus)
    assert finish_times(gil) == finish_times(simulate(work, "fcfs"))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "policy 'gil': --switch-interval: must be > 0, got 0"),
        (-1, "policy 'gil': --switch-interval: must be > 0, got -1"),
        ("soon", "policy 'gil': --switch-interval: expected a number, got 'soon'"),
    ],
)
def test_a_bad_switch_interval_is_refused(value, message):
    with pytest.raises(OptionError) as caught:
        make_policy("gil", switch_interval=value)
    assert str(caught.value) == message


def test_the_command_line_runs_the_model(tmp_path):
    path = tmp_path / "two.yaml"
    path.write_text("processes:\n  - {pid: A, burst: 5}\n  - {pid: B, burst: 3}\n")
    outcome = CliRunner().invoke(
        main,
        ["run", str(path), "--policy", "gil", "--switch-interval", "2", "--cpus", "2",
         "--format", "csv"],
    )  # fmt: skip
    assert outcome.exit_code == 0, outcome.output
    rows = [line.split(",") for line in outcome.output.splitlines() if line[:2] in ("A,", "B,")]
    assert [(row[0], row[3]) for row in rows] == [("A", "8"), ("B", "7")]  # pid, finish
