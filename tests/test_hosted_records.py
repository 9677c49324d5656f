"""What a hosted run's records become: the GIL's tenures rebuilt from the handoffs the
threads recorded, what CPython chose at each handoff, and the trace every driver writes.
Hand-made records, worked by hand; no process is started."""

from __future__ import annotations

import pytest

from schedsim.real.host import HostReport
from schedsim.real.tenures import tenure_trace
from schedsim.real.threads import ACQUIRED, RELEASED, gil_handoffs, gil_tenures
from schedsim.trace import BLOCKED, EXPIRED, FINISHED


def test_tenures_end_where_the_previous_holder_was_last_seen():
    """A takes the free GIL at 100 (core 5); B takes it from A at 600, A last seen at 590;
    B blocks at 700; A takes the free GIL at 710 and finishes at 900:

    | thread | start | end | why it ended             |
    |--------|-------|-----|--------------------------|
    | A      | 100   | 590 | forced switch (EXPIRED)  |
    | B      | 600   | 700 | blocked for I/O          |
    | A      | 710   | 900 | finished                 |
    """
    events = [
        (100, ACQUIRED, 0, -1, -1, 5),
        (600, ACQUIRED, 1, 0, 590, 6),
        (700, RELEASED, 1, BLOCKED, 700, -1),
        (710, ACQUIRED, 0, -1, -1, 5),
        (900, RELEASED, 0, FINISHED, 900, -1),
    ]
    assert gil_tenures(events) == [
        (0, 100, 590, EXPIRED, 5),
        (1, 600, 700, BLOCKED, 6),
        (0, 710, 900, FINISHED, 5),
    ]


def test_events_are_taken_in_time_order_and_a_tenure_never_runs_backwards():
    """A thread switched out between reading the clock and appending its event appends it
    late; and a holder that lost the GIL before its first work unit was never seen in its
    tenure (last seen earlier): its tenure is empty, not negative."""
    events = [
        (100, ACQUIRED, 0, -1, -1, 0),
        (300, ACQUIRED, 2, 1, 150, 0),  # appended before B's own, earlier, event
        (200, ACQUIRED, 1, 0, 190, 0),
        (400, RELEASED, 2, FINISHED, 400, -1),
    ]
    assert gil_tenures(events) == [
        (0, 100, 190, EXPIRED, 0),
        (1, 200, 200, EXPIRED, 0),  # last seen at 150, before its tenure began at 200
        (2, 300, 400, FINISHED, 0),
    ]


def test_handoffs_compare_cpythons_choice_with_the_longest_waiting_thread():
    """Three CPU-bound threads arriving at 0, 1 and 2; tenures A 0-5, B 5-10, C 10-15
    (forced switches), then A 15-20, C 20-25, B 25-30 (each finishing: releases):

    | switch at | holder | waiting (since)         | longest | newest | got it |
    |-----------|--------|-------------------------|---------|--------|--------|
    | 5         | A      | B (1), C (2)            | B       | C      | B      |
    | 10        | B      | C (2), A (5)            | C       | A      | C      |
    | 15        | C      | A (5), B (10)           | A       | B      | A      |
    | 20        | A      | B (10), C (15)          | B       | C      | C      |
    | 25        | C      | B (10) only: no choice  |         |        | B      |
    """
    tenures = [
        (0, 0.0, 5.0, EXPIRED, 0),
        (1, 5.0, 10.0, EXPIRED, 0),
        (2, 10.0, 15.0, EXPIRED, 0),
        (0, 15.0, 20.0, FINISHED, 0),
        (2, 20.0, 25.0, FINISHED, 0),
        (1, 25.0, 30.0, FINISHED, 0),
    ]
    found = gil_handoffs(tenures, (0.0, 1.0, 2.0), [])
    assert found["forced"] == {
        "handoffs": 3,
        "contended": 3,
        "longest_waiting": 3,
        "newest_waiting": 0,
    }
    assert found["released"] == {
        "handoffs": 2,
        "contended": 1,
        "longest_waiting": 0,
        "newest_waiting": 1,
    }
    assert found["held_before_forced_switch_ms"]["median"] == 5000


def test_a_thread_in_io_is_not_waiting():
    """B sleeps 1-12 (I/O), so when A's tenure ends at 10 only C waits: no choice counted."""
    tenures = [
        (0, 0.0, 10.0, EXPIRED, 0),
        (2, 10.0, 20.0, FINISHED, 0),
        (1, 20.0, 21.0, FINISHED, 0),
        (0, 21.0, 22.0, FINISHED, 0),
    ]
    found = gil_handoffs(tenures, (0.0, 0.0, 0.0), [(1, 1.0, 12.0)])
    assert found["forced"]["contended"] == 0


def test_the_trace_of_a_hosted_run_is_in_time_units():
    """Tenures in seconds at 10 ms a unit; cores 4 and 5 are CPUs 0 and 1; an unknown core
    (-1) is drawn on CPU 0.  Context switches: A on CPU 0, B on CPU 1, A again on CPU 0 (no
    switch: it ran there last), B on CPU 0 (a switch)."""
    report = HostReport(
        tenures=[
            (0, 0.00, 0.02, EXPIRED, 4),
            (1, 0.02, 0.03, EXPIRED, 5),
            (0, 0.03, 0.05, FINISHED, 4),
            (1, 0.05, 0.06, FINISHED, -1),
        ],
        io_periods=[],
        cpu_used=[0.04, 0.02],
    )
    trace = tenure_trace(report, jobs=2, unit_seconds=0.01, cores=(4, 5))
    assert trace.first_run == pytest.approx([0.0, 2.0])
    assert trace.finish == pytest.approx([5.0, 6.0])
    assert trace.slices == [2, 2]
    assert trace.context_switches == 3
    assert trace.timeline is not None
    assert trace.timeline.cpu.tolist() == [0, 1, 0, 0]
    assert trace.extra["disturbed"] is False


def test_a_run_that_lost_its_cpu_to_other_programs_says_so():
    """A held the GIL for 50 ms but got only 20 ms of CPU: 30 ms lost of a 50 ms run."""
    report = HostReport(tenures=[(0, 0.0, 0.05, FINISHED, 0)], io_periods=[], cpu_used=[0.02])
    trace = tenure_trace(report, jobs=1, unit_seconds=0.01, cores=(0,))
    assert trace.extra["disturbances"] == [
        "processes lost 60.0% of the run's time to other programs while running (above 2%)"
    ]
