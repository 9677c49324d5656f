"""The engine's contract: event order at an instant, context switches, CPUs, I/O, and the
checks it makes on what a policy returns (see the engine module docstring)."""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np
import pytest

from schedsim import PolicyError, engine, simulate
from schedsim.engine import run
from schedsim.errors import LimitError, OptionError
from schedsim.policies import make_policy
from schedsim.policies.base import Policy
from tests.helpers import exact, slices_of, workload


def order_of_dispatch(result) -> list[str]:
    return [row["pid"] for row in result.timeline_records()]


def test_ties_arrivals_first_puts_an_arrival_ahead_of_the_expired_job():
    """A's quantum (2) expires at 2, when B arrives.  Default: B runs first."""
    w = workload(("A", 0, 4), ("B", 2, 2))
    assert order_of_dispatch(simulate(w, "rr", quantum=2)) == ["A", "B", "A"]


def test_ties_requeue_first_puts_the_expired_job_ahead_of_the_arrival():
    """OSTEP's convention: the expired job re-enters the queue before the newcomer."""
    w = workload(("A", 0, 4), ("B", 2, 2), ("C", 0, 3))
    result = simulate(w, "rr", quantum=2, ties="requeue-first")
    # t=0: A, C ready; A runs [0,2]; at 2 A expires and B arrives: A is queued before B.
    assert order_of_dispatch(result)[:4] == ["A", "C", "A", "B"]
    default = simulate(w, "rr", quantum=2)
    assert order_of_dispatch(default)[:4] == ["A", "C", "B", "A"]


def test_io_completions_queue_after_arrivals_and_in_the_order_their_io_began():
    """At t=5: C arrives, and A and B both finish I/O (A's began at 1, B's at 3)."""
    w = workload(("A", 0, [1, 4, 1]), ("B", 0, [2, 2, 1]), ("C", 5, 1), ("D", 0, 2))
    result = simulate(w, "fcfs")
    # 0-1 A, 1-3 B, 3-5 D; at 5: C (arrival) then A (I/O began at 1) then B (at 3).
    assert order_of_dispatch(result) == ["A", "B", "D", "C", "A", "B"]


def test_context_switch_is_charged_on_every_change_of_process_only():
    w = workload(("A", 0, 5), ("B", 0, 2))
    result = simulate(w, "rr", quantum=2, context_switch=1)
    # A: switch [0,1] run [1,3]; B: switch [3,4] run [4,6]; A: switch [6,7] run [7,10].
    rows = [(r["pid"], r["dispatched"], r["start"], r["end"]) for r in result.timeline_records()]
    assert rows == [("A", 0, 1, 3), ("B", 3, 4, 6), ("A", 6, 7, 9), ("A", 9, 9, 10)]
    assert result.summary["context_switches"] == 3
    assert result.jobs["switch_time"].tolist() == [2, 1]
    assert result.jobs["waiting"].tolist() == [3, 3]  # A: 3-6 ; B: 0-3
    assert result.jobs["response"].tolist() == [1, 4]


def test_a_job_alone_continues_without_a_context_switch():
    result = simulate(workload(("A", 0, 10)), "rr", quantum=3, context_switch=1)
    assert result.summary["context_switches"] == 1
    assert result.jobs["finish"].tolist() == [11]


def test_free_cpus_take_work_in_cpu_number_order_and_jobs_keep_their_cpu():
    w = workload(("A", 0, 4), ("B", 0, 4), ("C", 0, 4))
    result = simulate(w, "rr", quantum=2, cpus=2)
    rows = [(r["pid"], r["cpu"], r["start"], r["end"]) for r in result.timeline_records()]
    # A on CPU 0, B on CPU 1; at 2 both expire: C, A, B queued; C takes CPU 0 (lowest
    # free), A returns to CPU 0? no: A's CPU is taken, so A takes CPU 1.
    assert rows[:2] == [("A", 0, 0, 2), ("B", 1, 0, 2)]
    assert {(pid, start) for pid, _, start, _ in rows[2:4]} == {("C", 2), ("A", 2)}
    assert result.jobs["finish"].tolist() == [6, 6, 6] or sorted(
        result.jobs["finish"].tolist()
    ) == [4, 6, 6]


def test_more_cpus_than_processes_means_no_waiting():
    w = workload(("A", 0, 3), ("B", 1, [2, 1, 2]), ("C", 1, 5))
    result = simulate(w, "srtf", cpus=3)
    assert result.jobs["waiting"].tolist() == [0, 0, 0]


def test_integer_workloads_give_exact_integers():
    w = workload(*[(f"P{i}", i * 3, 7 + i) for i in range(50)])
    result = simulate(w, "rr", quantum=3)
    assert result.jobs["finish"].dtype.kind == "i"
    data = result.to_dict()
    assert all(isinstance(job["turnaround"], int) for job in data["jobs"])


def test_float_remainders_do_not_leave_a_sliver_slice():
    """0.4 in quanta of 0.1 is four slices, not five (0.4 - 3 * 0.1 > 0.1 in floats)."""
    result = simulate(
        workload(("A", 0, 0.4), ("B", 0, 0.4)), "rr", quantum=0.1, context_switch=0.01
    )
    assert result.jobs["slices"].tolist() == [4, 4]
    assert result.jobs["finish"].tolist() == pytest.approx([0.77, 0.88])


def test_a_run_that_must_exceed_the_slice_limit_is_refused_up_front():
    with pytest.raises(LimitError) as error:
        simulate(workload(("A", 0, 1000), ("B", 0, 1000)), "rr", quantum=1, max_slices=100)
    assert str(error.value) == (
        "policy rr(quantum=1) needs at least 2e+03 slices for this workload's 2000 units of "
        "CPU in 2 bursts, above the limit of 100; use a larger quantum, or --max-slices N to "
        "allow more"
    )


def test_a_run_stops_at_the_slice_limit_when_no_estimate_was_possible():
    """A policy that declares no longest slice is stopped when it reaches the limit."""
    with pytest.raises(LimitError, match="the run exceeded 100 slices and timer events at time 99"):
        run(workload(("A", 0, 1000), ("B", 0, 1000)), Stubborn("none"), max_slices=100)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"cpus": 0}, "--cpus: must be a whole number from 1 to 1024, got 0"),
        ({"cpus": 10**9}, "--cpus: must be a whole number from 1 to 1024, got 1000000000"),
        ({"context_switch": -1}, "--context-switch: must be a number from 0 to 1e+15, got -1"),
        ({"seed": -1}, "--seed: must be a whole number >= 0, got -1"),
        ({"ties": "random"}, "--ties: must be one of arrivals-first, requeue-first, got 'random'"),
    ],
)
def test_bad_engine_options_are_rejected(options, message):
    with pytest.raises(OptionError) as error:
        simulate(workload(("A", 0, 1)), "fcfs", **options)
    assert str(error.value) == message


class Stubborn(Policy):
    """A broken policy for testing the engine's checks: configurable misbehaviour."""

    name = "stubborn"

    def __init__(self, fault: str) -> None:
        super().__init__()
        self.fault = fault

    def reset(self, jobs, clock, rng) -> None:
        super().reset(jobs, clock, rng)
        self.queue: deque[int] = deque()
        self.picked = 0

    def on_ready(self, job: int) -> None:
        self.queue.append(job)

    def pick_next(self) -> int:
        self.picked += 1
        if self.fault == "twice" and self.picked == 2:
            return 0  # job 0 is already running
        if self.fault == "future":
            return len(self.jobs) - 1  # has not arrived yet
        return self.queue.popleft()

    def time_slice(self, job: int):
        return {"zero": 0, "negative": -1, "nan": float("nan"), "long": 10}.get(self.fault, 1)


FAULTS = [
    ("twice", "policy 'stubborn' picked job 0 at time 0, but it is already running"),
    ("future", "policy 'stubborn' picked job 1 at time 0, but it has not arrived"),
    ("zero", "policy 'stubborn' gave job 0 a time slice of 0 at time 0; a slice must be > 0"),
    ("negative", "gave job 0 a time slice of -1"),
    ("nan", "gave job 0 a time slice of nan"),
]


@pytest.mark.parametrize(
    ("fault", "message", "cpus"),
    # On one CPU job 0 is legitimately ready again by the second pick, so "twice" needs two.
    [
        (fault, message, cpus)
        for fault, message in FAULTS
        for cpus in (1, 2)
        if not (fault == "twice" and cpus == 1)
    ],
)
def test_the_engine_rejects_what_a_buggy_policy_returns(fault, message, cpus):
    w = workload(("A", 0, 3), ("B", 0 if fault != "future" else 5, 3))
    with pytest.raises(PolicyError) as error:
        run(w, Stubborn(fault), cpus=cpus, engine="python")
    assert message in str(error.value)


def test_a_policy_that_loses_a_job_is_reported_not_hung():
    class Forgetful(Stubborn):
        def on_ready(self, job: int) -> None:
            if job != 1:
                self.queue.append(job)

    with pytest.raises(
        PolicyError, match="'stubborn' failed at time 3: IndexError: pop from an empty"
    ):
        run(workload(("A", 0, 3), ("B", 0, 3)), Forgetful("none"))


def test_preempting_a_job_that_is_not_running_is_rejected():
    class BadPreempt(Stubborn):
        preemptive = True

        def preempt(self, running):
            return 99

    with pytest.raises(
        PolicyError, match="asked to preempt job 99 at time 1, which is not running"
    ):
        run(workload(("A", 0, 3), ("B", 1, 3)), BadPreempt("long"))


def test_hooks_a_policy_does_not_override_are_never_called():
    """FCFS binds its hooks to deque methods; the engine must not call time_slice etc."""
    policy = make_policy("fcfs")
    run(workload(("A", 0, 3), ("B", 1, [1, 2, 1])), policy, engine="python")
    assert "on_ready" in vars(policy) and "time_slice" not in vars(policy)


def test_preemption_during_a_context_switch_runs_nothing():
    """B arrives while A's switch is in progress and preempts it: A ran 0."""
    w = workload(("A", 0, 10), ("B", 1, 2))
    result = simulate(w, "srtf", context_switch=2)
    a_rows = [
        (r["dispatched"], r["start"], r["end"], r["reason"])
        for r in result.timeline_records()
        if r["pid"] == "A"
    ]
    assert a_rows[0] == (0, 1, 1, "preempted")
    assert result.jobs["finish"].tolist() == [17, 5]
    assert slices_of(result, "B") == [(3, 5)]


@pytest.mark.parametrize("cpus", [1, 2])
def test_a_negative_job_id_is_rejected_not_read_from_the_end(cpus):
    class Negative(Stubborn):
        def pick_next(self) -> int:
            return -1

    with pytest.raises(PolicyError, match="picked job -1 at time 0, but it is not a job of"):
        run(workload(("A", 0, 3), ("B", 0, 3)), Negative("none"), cpus=cpus)


def test_an_unknown_engine_name_is_rejected():
    with pytest.raises(OptionError, match="engine: must be one of auto, python, c"):
        run(workload(("A", 0, 3)), make_policy("fcfs"), engine="turbo")


class OneAtATime(Policy):
    """FIFO that lets one job run at a time, however many CPUs there are (as a lock that one
    thread holds at a time would): ``pick_next`` answers None while a job runs."""

    name = "one-at-a-time"

    def reset(self, jobs: Any, clock: Any, rng: Any) -> None:
        super().reset(jobs, clock, rng)
        self.queue: deque[int] = deque()
        self.running = 0

    def on_ready(self, job: int) -> None:
        self.queue.append(job)

    def pick_next(self) -> int | None:
        if self.running:
            return None
        self.running += 1
        return self.queue.popleft()

    def on_burst_end(self, job: int, ran: Any) -> None:
        self.running -= 1


@pytest.mark.parametrize("loop", ["python", "c"])
def test_a_policy_may_leave_free_cpus_idle(loop):
    """Two CPUs, A(0, 3), B(0, 2), C(1, 1); one job at a time, first come first served:

    | t | event        | CPU 0 | CPU 1 |
    |---|--------------|-------|-------|
    | 0 | A, B arrive  | A     | idle (B waits: pick_next says None) |
    | 1 | C arrives    | A     | idle  |
    | 3 | A finishes   | B     | idle  |
    | 5 | B finishes   | C     | idle  |
    | 6 | C finishes   |       |       |
    """
    if loop == "c" and engine._cengine is None:
        pytest.skip("the compiled engine is not built")
    work = workload(("A", 0.0, 3.0), ("B", 0.0, 2.0), ("C", 1.0, 1.0))
    trace = run(work, OneAtATime(), cpus=2, engine=loop)
    assert exact(trace.finish) == [3.0, 5.0, 6.0]
    assert set(np.asarray(trace.timeline.cpu).tolist()) == {0}


def test_leaving_every_cpu_idle_for_ever_is_reported():
    class Never(OneAtATime):
        def pick_next(self) -> int | None:
            return None

    with pytest.raises(PolicyError, match="holds 2 ready job"):
        run(workload(("A", 0, 3), ("B", 0, 2)), Never())
