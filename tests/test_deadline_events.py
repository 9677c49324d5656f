"""What a missed deadline does: ``--on-miss continue`` (nothing), ``abort-job`` (the job is
ended at its deadline wherever it is: on a CPU, ready, in I/O, waiting) and ``stop`` (the
run ends at the first miss) — deadlines as an event of the Python loop, which the compiled
loop declines."""

from __future__ import annotations

from pathlib import Path

import pytest

from schedsim import engine, load_workload, simulate
from schedsim.errors import OptionError
from schedsim.policies import make_policy

ROOT = Path(__file__).resolve().parent.parent
EDF_SET = ROOT / "workloads" / "silberschatz_edf.yaml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tasks.yaml"
    path.write_text(text)
    return path


def records(result) -> dict[str, dict]:
    return {record["pid"]: record for record in result.job_records()}


def slices(result) -> list[tuple[str, object, object, str]]:
    return [
        (row["pid"], row["start"], row["end"], row["reason"]) for row in result.timeline_records()
    ]


def test_abort_job_ends_a_running_job_at_its_deadline() -> None:
    """Silberschatz's second set under RM: P2#1 (due 80) is running at 80 with 5 to go; it
    is ended there, and P2#2, released at 80, runs at once."""
    result = simulate(load_workload(EDF_SET), "rm", on_miss="abort-job")
    assert slices(result)[3:5] == [("P2#1", 75, 80, "aborted"), ("P2#2", 80, 100, "preempted")]
    late = records(result)["P2#1"]
    assert (late["finish"], late["missed"], late["cpu_time"]) == (80, True, 30)
    assert result.summary["aborted"] == 1 and result.summary["deadline_misses"] == 1
    assert result.realtime["aborted"] == ["P2#1"]
    assert result.summary["finished"] == len(result.pids) - 1  # averages over completed jobs


def test_abort_job_takes_a_ready_job_from_the_policy(tmp_path: Path) -> None:
    """T1 (period 2, wcet 2) keeps the CPU busy under RM; T2#1 (due 10) never runs and is
    removed from the ready queue at 10 (on_removed)."""
    path = write(
        tmp_path,
        "processes:\n  - {pid: T1, period: 2, wcet: 2}\n  - {pid: T2, period: 10, wcet: 1}\n",
    )
    result = simulate(load_workload(path), "rm", on_miss="abort-job")
    late = records(result)["T2#1"]
    assert (late["finish"], late["first_run"], late["cpu_time"], late["missed"]) == (
        10,
        None,
        0,
        True,
    )
    assert result.summary["aborted"] == 1


@pytest.mark.parametrize(
    "job",
    [
        "{pid: A, bursts: [1, 10, 1], deadline: 5}",
        "{pid: A, run: [{cpu: 1}, {io: 10}, {cpu: 1}], deadline: 5}",
    ],
)
def test_abort_job_ends_a_job_in_io(tmp_path: Path, job: str) -> None:
    """A runs 0-1, starts 10 of I/O, is due at 5: ended in its I/O, which ends there too;
    it never comes back (its I/O completion at 11 is dropped)."""
    path = write(tmp_path, f"processes:\n  - {job}\n  - {{pid: B, arrival: 20, burst: 1}}\n")
    result = simulate(load_workload(path), "fcfs", on_miss="abort-job")
    late = records(result)["A"]
    assert (late["finish"], late["cpu_time"], late["io_time"], late["missed"]) == (5, 1, 4, True)
    assert [(pid, start, end) for pid, start, end, _ in slices(result)] == [
        ("A", 0, 1),
        ("B", 20, 21),
    ]
    assert result.io_periods == [(0, 1, 5)]


def test_a_job_ended_holding_a_lock_leaves_it_held(tmp_path: Path) -> None:
    """Ended like a daemon, a job releases nothing: T#1 holds the lock at its deadline (10),
    so T#2, released then, waits for it until its own deadline (20) ends it too."""
    path = write(
        tmp_path,
        "resources: {locks: [bus]}\n"
        "processes:\n"
        "  - {pid: T, period: 10, jobs: 2, run: [{lock: bus}, {cpu: 12}, {unlock: bus}]}\n",
    )
    result = simulate(load_workload(path), "rm", on_miss="abort-job")
    assert result.deadlock is None
    jobs = records(result)
    assert (jobs["T#1"]["finish"], jobs["T#1"]["cpu_time"]) == (10, 10)
    assert (jobs["T#2"]["finish"], jobs["T#2"]["blocked_time"], jobs["T#2"]["cpu_time"]) == (
        20,
        10,
        0,
    )
    assert [entry["state"] for entry in result.resources["processes"]] == ["aborted", "aborted"]
    assert result.resources["holds"][0]["released"] is None  # still held
    assert (result.summary["aborted"], result.summary["ended"]) == (2, 0)


def test_stop_ends_the_run_at_the_first_miss() -> None:
    """RM on the second set stops at 80: P2#1 missed; jobs due later are undecided, and
    those released later never ran."""
    result = simulate(load_workload(EDF_SET), "rm", on_miss="stop")
    assert result.summary["stopped_at"] == 80 and result.summary["deadline_misses"] == 1
    assert slices(result)[-1] == ("P2#1", 75, 80, "aborted")
    jobs = records(result)
    assert jobs["P2#1"]["missed"] is True and jobs["P2#1"]["finish"] is None
    assert jobs["P1#2"]["missed"] is False  # finished at 75, due 100
    assert jobs["P1#3"]["missed"] is None and jobs["P1#3"]["first_run"] is None
    assert result.summary["finished"] == 2  # P1#1 and P1#2


def test_continue_and_abort_job_agree_when_nothing_misses() -> None:
    work = load_workload(EDF_SET)
    continued = simulate(work, "edf")
    aborting = simulate(work, "edf", on_miss="abort-job")
    assert continued.timeline_records() == aborting.timeline_records()
    assert continued.summary == aborting.summary


def test_the_compiled_loop_declines_deadline_events(tmp_path: Path) -> None:
    """Float times would take the compiled loop; a run that acts on deadlines takes the
    Python loop instead (engine 'auto'), and asking for the compiled one is refused."""
    path = write(
        tmp_path,
        "processes:\n  - {pid: A, period: 5.5, wcet: 3.25}\n  - {pid: B, period: 8.0, wcet: 3.5}\n",
    )
    work = load_workload(path, until=100)
    with pytest.raises(OptionError) as caught:
        engine.run(work, make_policy("rm"), engine="c", on_miss="abort-job")
    assert str(caught.value) == (
        "engine 'c': the compiled loop has no deadline events (--on-miss abort-job); use "
        "engine 'auto' or 'python'"
    )
    auto = engine.run(work, make_policy("rm"), engine="auto", on_miss="abort-job")
    python = engine.run(work, make_policy("rm"), engine="python", on_miss="abort-job")
    assert list(auto.finish) == list(python.finish) and auto.extra["aborted"]
    if engine._cengine is not None:  # continue needs no event: the compiled loop takes it
        compiled = engine.run(work, make_policy("rm"), engine="c")
        assert list(compiled.finish) != list(auto.finish)


def test_a_bad_on_miss_is_refused() -> None:
    with pytest.raises(
        OptionError, match=r"^--on-miss: must be one of continue, abort-job, stop, got 'skip'$"
    ):
        simulate(load_workload(EDF_SET), "edf", on_miss="skip")
