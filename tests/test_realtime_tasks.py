"""Periodic, sporadic and aperiodic tasks: how a file becomes job instances, and every rule
a task file must keep (each refusal one line naming the file, process and field)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner

from schedsim import load_workload
from schedsim.cli import main
from schedsim.errors import OptionError, WorkloadError
from schedsim.realtime.tasks import hyperperiod


def write(tmp_path: Path, text: str, name: str = "tasks.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def problems(path: Path, **options) -> list[str]:
    with pytest.raises(WorkloadError) as caught:
        load_workload(path, **options)
    return caught.value.problems


def test_each_release_is_one_job_named_after_its_task(tmp_path: Path) -> None:
    """Periods 4 and 6: hyperperiod 12, the last phase 1, so releases before 13.  T1: 0, 4,
    8, 12; T2 (phase 1): 1, 7; A (aperiodic, deadline 5 after its arrival 3): one job."""
    path = write(
        tmp_path,
        "processes:\n"
        "  - {pid: T1, period: 4, wcet: 1}\n"
        "  - {pid: T2, period: 6, wcet: 2, phase: 1, deadline: 5}\n"
        "  - {pid: A, arrival: 3, burst: 1, deadline: 5}\n",
    )
    workload = load_workload(path)
    assert workload.pid == ["T1#1", "T1#2", "T1#3", "T1#4", "T2#1", "T2#2", "A"]
    assert workload.arrival.tolist() == [0, 4, 8, 12, 1, 7, 3]
    realtime = workload.realtime
    assert realtime is not None
    assert realtime.deadline.tolist() == [4, 8, 12, 16, 6, 12, 8]
    assert realtime.task.tolist() == [0, 0, 0, 0, 1, 1, 2]
    assert realtime.number.tolist() == [1, 2, 3, 4, 1, 2, 1]
    assert (realtime.horizon, realtime.hyperperiod) == (13, 12)
    assert [task.kind for task in realtime.tasks] == ["periodic", "periodic", "aperiodic"]
    assert workload.is_integer


def test_until_jobs_and_sporadic_releases(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "processes:\n"
        "  - {pid: T, period: 10, wcet: 2}\n"
        "  - {pid: J, period: 7, wcet: 1, jobs: 2}\n"
        "  - {pid: S, period: 5, wcet: 1, releases: [2, 9, 30]}\n",
    )
    workload = load_workload(path, until=25)
    assert workload.pid == ["T#1", "T#2", "T#3", "J#1", "J#2", "S#1", "S#2", "S#3"]
    assert workload.arrival.tolist() == [0, 10, 20, 0, 7, 2, 9, 30]
    assert workload.realtime is not None and workload.realtime.tasks[2].kind == "sporadic"


def test_float_releases_are_exact_multiples(tmp_path: Path) -> None:
    """phase + k × period in exact arithmetic, rounded once: the fourth release of period
    0.1 is 0.3 (adding 0.1 three times in floats gives 0.30000000000000004)."""
    path = write(tmp_path, "processes:\n  - {pid: T, period: 0.1, wcet: 0.05}\n")
    workload = load_workload(path, until=0.35)
    assert workload.arrival.tolist() == [0.0, 0.1, 0.2, 0.3]
    assert workload.realtime is not None
    assert workload.realtime.deadline.tolist() == [0.1, 0.2, 0.3, 0.4]


def test_hyperperiod_is_exact_for_decimal_periods() -> None:
    assert hyperperiod([0.3, 0.2]) == Fraction("0.6")
    assert hyperperiod([4, 6, 10]) == 60


def test_a_script_runs_in_every_job(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "resources: {locks: [bus]}\n"
        "processes:\n"
        "  - {pid: T, period: 10, run: [{lock: bus}, {cpu: 2}, {unlock: bus}], jobs: 2}\n"
        "  - {pid: P, arrival: 1, burst: 3}\n",
    )
    workload = load_workload(path)
    assert workload.pid == ["T#1", "T#2", "P"]
    assert workload.program is not None
    assert len(workload.program.scripts) == 3
    assert workload.program.scripts[0] == workload.program.scripts[1]
    assert workload.realtime is not None and workload.realtime.tasks[0].wcet == 2


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            "{pid: T, period: 10, wcet: 2, deadline: 12}",
            "process #1 (pid T): deadline: must be <= period (10), got 12 (constrained "
            "deadlines: each job is due before the next is released)",
        ),
        (
            "{pid: T, period: 10, wcet: 2, arrival: 3}",
            "process #1 (pid T): arrival: a periodic task's first release is its phase; write "
            "phase: 3 instead",
        ),
        (
            "{pid: T, burst: 2, phase: 3}",
            "process #1 (pid T): phase: only for a periodic task (give period)",
        ),
        (
            "{pid: T, wcet: 2}",
            "process #1 (pid T): wcet: only for a periodic task (give period)",
        ),
        (
            "{pid: T, period: 10, wcet: 2, jobs: 2, releases: [0, 10]}",
            "process #1 (pid T): releases: a sporadic task lists its releases; leave out phase "
            "and jobs",
        ),
        (
            "{pid: T, period: 10, wcet: 2, releases: [0, 4]}",
            "process #1 (pid T): releases[1]: 4 comes 4 after the release before it, less than "
            "the period 10 (the least time between two releases)",
        ),
        (
            "{pid: T, period: 0, wcet: 2}",
            "process #1 (pid T): period: must be > 0, got 0",
        ),
        (
            "{pid: T, period: 10, wcet: -1}",
            "process #1 (pid T): wcet: must be > 0, got -1",
        ),
        (
            "{pid: T, period: 10, deadline: 0, wcet: 1}",
            "process #1 (pid T): deadline: must be > 0, got 0",
        ),
        (
            "{pid: T, period: 10, wcet: 1, jobs: 0}",
            "process #1 (pid T): jobs: must be >= 1, got 0",
        ),
        (
            "{pid: T, period: 10}",
            "process #1 (pid T): wcet: field required (give wcet: N, the CPU time of each job, "
            "or bursts: [cpu, io, cpu, ...] or run: [steps] for each job)",
        ),
        (
            "{pid: T, period: 10, wcet: 1, burst: 1}",
            "process #1 (pid T): burst, bursts, run, wcet: give only one of them (wcet for the "
            "CPU time of each job of a task)",
        ),
    ],
)
def test_each_task_rule_has_its_message(tmp_path: Path, entry: str, message: str) -> None:
    path = write(tmp_path, f"processes:\n  - {entry}\n")
    assert problems(path) == [f"{path}: {message}"]


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "processes:\n"
        "  - {pid: T, period: 10, wcet: 2, deadline: 12}\n"
        "  - {pid: U, burst: 1, jobs: 3}\n",
    )
    assert len(problems(path)) == 2


def test_the_hyperperiod_explosion_is_refused_with_advice(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "processes:\n"
        "  - {pid: A, period: 99991, wcet: 1}\n"
        "  - {pid: B, period: 99989, wcet: 1}\n"
        "  - {pid: C, period: 99971, wcet: 1}\n"
        "  - {pid: D, period: 99961, wcet: 1}\n",
    )
    assert problems(path) == [
        f"{path}: the hyperperiod of the periods (99991, 99989, 99971, 99961) is 9.991e+19 "
        "time units, past the longest run allowed (1e+15); give --until T (or jobs: N per "
        "task) to say how long to run"
    ]
    assert len(load_workload(path, until=150000)) == 8  # a horizon makes it fine


def test_too_many_jobs_count_against_the_process_limit(tmp_path: Path) -> None:
    path = write(tmp_path, "processes:\n  - {pid: A, period: 1, wcet: 1}\n")
    assert problems(path, until=1001, max_processes=1000) == [
        f"{path}: the tasks release 1,001 jobs before --until 1001, over the limit of 1,000 "
        "processes (each job is one); give a shorter --until, jobs: N per task, or raise "
        "--max-processes"
    ]


def test_a_job_name_may_not_be_another_pid(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "processes:\n  - {pid: T, period: 10, wcet: 1, jobs: 2}\n  - {pid: 'T#2', burst: 1}\n",
    )
    assert problems(path) == [
        f"{path}: process #2 (pid T#2): pid: T#2 is also the name of job 2 of periodic task "
        "T; rename one of them"
    ]


def test_a_periodic_task_is_never_joined_nor_a_daemons_parent(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "processes:\n"
        "  - {pid: T, period: 10, wcet: 1}\n"
        "  - {pid: P, run: [{cpu: 1}, {join: T}]}\n"
        "  - {pid: D, burst: 1, daemon_of: T}\n",
    )
    assert problems(path) == [
        f"{path}: process #2 (pid P): run[1] (join): T is a periodic task, whose jobs come and "
        "go; only an ordinary process can be joined",
        f"{path}: process #3 (pid D): daemon_of: T is a periodic task; a daemon belongs to an "
        "ordinary process",
    ]


def test_until_must_be_a_positive_time_and_needs_tasks(tmp_path: Path) -> None:
    with pytest.raises(OptionError, match=r"^--until: must be > 0, got -1$"):
        load_workload(write(tmp_path, "processes:\n  - {pid: T, period: 1, wcet: 1}\n"), until=-1)
    plain = write(tmp_path, "processes:\n  - {pid: P, burst: 1}\n", "plain.yaml")
    assert problems(plain, until=10) == [
        f"{plain}: --until 10: the workload has no periodic tasks whose releases it could "
        "bound; leave it out"
    ]


def test_bad_until_through_the_cli_is_one_error_line(tmp_path: Path) -> None:
    path = write(tmp_path, "processes:\n  - {pid: T, period: 5, wcet: 1}\n")
    result = CliRunner().invoke(main, ["run", str(path), "-p", "edf", "--until", "soon"])
    assert result.exit_code == 2
    assert result.output == "Error: --until: expected a number, got 'soon'\n"


def test_validate_counts_the_jobs(tmp_path: Path) -> None:
    path = write(tmp_path, "processes:\n  - {pid: T, period: 5, wcet: 1}\n")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 0
    assert result.output == f"{path}: OK (1 processes, 0 with I/O, total CPU 1)\n"
