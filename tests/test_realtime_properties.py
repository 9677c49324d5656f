"""Properties of real-time runs on random periodic task sets (hypothesis).

- EDF misses no deadline whenever U <= 1 on one CPU with deadlines equal to periods
  (Liu & Layland, 1973), whatever the phases;
- rate and deadline monotonic miss none when response-time analysis says the set is
  schedulable (the analysis is exact for synchronous release and sufficient otherwise);
- the simulation never disagrees with the analysis;
- every completed job's response time (finish − release) is at least its wcet, under every
  policy;
- ``--on-miss abort-job`` changes nothing when nothing misses, and otherwise every job it
  ends is one that missed; the jobs a ``stop`` run completes are a prefix of the
  ``continue`` run's.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from schedsim import simulate
from schedsim.loaders.common import limits_for
from schedsim.loaders.documents import from_document
from schedsim.workload import Workload

PERIODS = (2, 3, 4, 5, 6, 8, 10, 12)  # divisors of 120: short hyperperiods


@st.composite
def task_sets(draw: st.DrawFn, *, constrained: bool = False, phases: bool = True) -> Workload:
    count = draw(st.integers(1, 4))
    processes: list[dict[str, Any]] = []
    for index in range(count):
        period = draw(st.sampled_from(PERIODS))
        entry: dict[str, Any] = {
            "pid": f"T{index + 1}",
            "period": period,
            "wcet": draw(st.integers(1, period)),
        }
        if constrained:
            entry["deadline"] = draw(st.integers(entry["wcet"], period))
        if phases and draw(st.booleans()):
            entry["phase"] = draw(st.integers(0, period))
        processes.append(entry)
    return from_document(
        {"processes": processes}, "<tasks>", "tasks", limits_for(False, None, None)
    )


def utilisation(workload: Workload) -> Fraction:
    assert workload.realtime is not None
    return sum(
        (Fraction(task.wcet) / Fraction(task.period) for task in workload.realtime.tasks),
        Fraction(0),
    )


@given(task_sets())
def test_edf_misses_nothing_when_utilisation_is_at_most_one(workload: Workload) -> None:
    result = simulate(workload, "edf")
    if utilisation(workload) <= 1:
        assert result.summary["deadline_misses"] == 0
        assert result.realtime["analysis"]["verdict"] == "schedulable"


@given(task_sets(constrained=True), st.sampled_from(["rm", "dm"]))
def test_fixed_priorities_miss_nothing_when_the_analysis_says_schedulable(
    workload: Workload, policy: str
) -> None:
    result = simulate(workload, policy)
    analysis = result.realtime["analysis"]
    if analysis["verdict"] == "schedulable":
        assert result.summary["deadline_misses"] == 0
    assert analysis["agreement"] != "disagree", analysis


@given(task_sets(constrained=True), st.sampled_from(["edf", "llf", "rm", "dm", "fcfs", "rr"]))
def test_no_job_responds_faster_than_its_wcet(workload: Workload, policy: str) -> None:
    result = simulate(workload, policy)
    assert workload.realtime is not None
    wcet = {task.name: task.wcet for task in workload.realtime.tasks}
    for record in result.job_records():
        assert record["finish"] - record["release"] >= wcet[record["task"]]
        assert record["missed"] == (record["finish"] > record["deadline"])


@given(task_sets(constrained=True), st.sampled_from(["edf", "rm", "dm", "llf"]))
def test_abort_job_only_ends_jobs_that_missed(workload: Workload, policy: str) -> None:
    continued = simulate(workload, policy)
    aborting = simulate(workload, policy, on_miss="abort-job")
    if continued.summary["deadline_misses"] == 0:
        assert aborting.timeline_records() == continued.timeline_records()
    jobs = {record["pid"]: record for record in aborting.job_records()}
    for pid in aborting.realtime["aborted"]:
        assert jobs[pid]["missed"] is True and jobs[pid]["finish"] == jobs[pid]["deadline"]


@given(task_sets(constrained=True), st.sampled_from(["edf", "rm"]))
def test_stop_runs_the_continue_schedule_up_to_the_first_miss(
    workload: Workload, policy: str
) -> None:
    continued = simulate(workload, policy)
    stopped = simulate(workload, policy, on_miss="stop")
    stopped_at = stopped.summary.get("stopped_at")
    if stopped_at is None:
        assert stopped.timeline_records() == continued.timeline_records()
        return
    full = {record["pid"]: record for record in continued.job_records()}
    for record in stopped.job_records():
        if record["finish"] is not None:
            assert (
                record["finish"] <= stopped_at and record["finish"] == full[record["pid"]]["finish"]
            )
