"""Real-time tasks: periodic, sporadic and aperiodic processes with deadlines, and their jobs.

A process with a ``period`` is a **periodic task**: it releases a job every period from its
``phase`` (default 0), each needing ``wcet`` of CPU (or the same ``bursts``/``run`` script),
each due ``deadline`` after its release (default: the period)::

    processes:
      - pid: T1
        period: 50
        wcet: 20            # or burst:, bursts: [...] or run: [...] for each job
        deadline: 40        # relative, <= period (default: the period)
        phase: 0            # first release (default 0)
        jobs: 4             # how many jobs (default: every release before the horizon)
      - pid: S
        period: 30          # sporadic: releases at least 30 apart, listed
        releases: [5, 40, 100]
        wcet: 3
      - pid: A              # aperiodic: an ordinary process, optionally with a deadline
        arrival: 12
        burst: 4
        deadline: 30

When the workload is loaded every job becomes one process, named ``T1#1``, ``T1#2``, ...,
arriving at its release — so the engine, the metrics and the charts see ordinary processes —
and :class:`RealTime` keeps what the processes alone do not say: each job's task, number,
absolute deadline and period, and the task definitions themselves (for the analysis and the
per-task report).  Jobs are listed task by task, in file order.

Releases stop at the **horizon**: ``--until T`` (releases strictly before T), by default one
hyperperiod (the least common multiple of the periods, computed exactly from the periods as
written) after the last phase.  A task that says ``jobs: N`` releases exactly N jobs; a
sporadic task releases what it lists.  Times are exact: ``phase + k × period`` is computed in
rational arithmetic and then rounded once, so a float period never accumulates drift.

Rules checked on load (each problem named with its file, process and field): period,
deadline, wcet > 0; deadline <= period (constrained deadlines: a job is due before the
next one is released, so jobs of a task never overlap unless one is late); a periodic task
has no ``arrival`` (its first release is its phase), is no daemon and is never joined (its
jobs are); a sporadic task's releases are at least a period apart; and the jobs in all stay
within the process limit.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from schedsim.limits import MAX_HORIZON
from schedsim.program import CPU, IO, JOIN, Program, Step

Time = int | float

REALTIME_KEYS = ("period", "deadline", "wcet", "phase", "jobs", "releases")
PERIODIC_ONLY = ("wcet", "phase", "jobs", "releases")
PERIODIC, SPORADIC, APERIODIC = "periodic", "sporadic", "aperiodic"


@dataclass(frozen=True)
class Task:
    """One task as written: a periodic or sporadic task, or an aperiodic process (one
    job).  Times are in the workload's unit; ``None`` where a task has no such time."""

    name: str
    index: int  # the process's position in the file
    kind: str  # periodic, sporadic or aperiodic
    period: Time | None  # a sporadic task's minimum time between releases
    deadline: Time | None  # relative to each release
    wcet: Time  # CPU time of each job (its bursts or script summed)
    phase: Time  # first release (an aperiodic process's arrival)
    jobs: int  # jobs released in this run
    suspends: bool = False  # its jobs do I/O: they suspend themselves
    scripted: bool = False  # its jobs run a script of steps

    @property
    def utilisation(self) -> float:
        """wcet / period (0 for an aperiodic process)."""
        return float(self.wcet) / float(self.period) if self.period else 0.0

    def as_record(self) -> dict[str, Any]:
        return {
            "task": self.name,
            "kind": self.kind,
            "period": self.period,
            "deadline": self.deadline,
            "wcet": self.wcet,
            "phase": self.phase,
            "jobs": self.jobs,
        }


@dataclass(frozen=True, eq=False)
class RealTime:
    """The tasks of a workload and, per job (process), what the tasks say about it."""

    tasks: tuple[Task, ...]
    task: np.ndarray  # per job: its task's position in ``tasks``
    number: np.ndarray  # per job: 1 for its task's first job, 2 for the next, ...
    deadline: np.ndarray  # per job: its absolute deadline (inf: none)
    period: np.ndarray  # per job: its task's period (inf: none)
    relative_deadline: np.ndarray  # per job: its task's relative deadline (inf: none)
    horizon: Time | None = None  # releases were cut here (None: no task needed one)
    hyperperiod: Time | None = None

    def job_columns(self) -> dict[str, np.ndarray]:
        """The per-job columns a policy reads (``jobs.deadline[job]``, ...)."""
        return {
            "deadline": self.deadline,
            "period": self.period,
            "relative_deadline": self.relative_deadline,
            "task": self.task,
            "job_number": self.number,
        }

    @property
    def periodic(self) -> tuple[Task, ...]:
        """The periodic and sporadic tasks (those the schedulability analysis covers)."""
        return tuple(task for task in self.tasks if task.kind != APERIODIC)

    def task_names(self) -> list[str]:
        """Each job's task name."""
        names = [task.name for task in self.tasks]
        return [names[index] for index in self.task.tolist()]


class TaskProblems(Exception):
    """Problems found in the tasks of a file (the loader reports them with the rest)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def has_tasks(processes: Sequence[Any]) -> bool:
    """Whether any process entry says something only tasks say (then the workload is a
    real-time one and every process becomes a task)."""
    return any(
        isinstance(process, dict) and any(key in process for key in REALTIME_KEYS)
        for process in processes
    )


def exact(value: Time) -> Fraction:
    """A time as the exact number it was written as (a float by its shortest decimal, so
    0.1 is one tenth)."""
    if isinstance(value, float):
        return Fraction(repr(value))
    return Fraction(value)


def hyperperiod(periods: Sequence[Time], limit: Fraction = Fraction(MAX_HORIZON)) -> Fraction:
    """The least common multiple of ``periods``, exactly (lcm of a/b and c/d, in lowest
    terms, is lcm(a, c) / gcd(b, d)); raises ValueError as soon as it passes ``limit``."""
    result = Fraction(1) if not periods else exact(periods[0])
    for period in periods[1:]:
        value = exact(period)
        numerator = math.lcm(result.numerator, value.numerator)
        denominator = math.gcd(result.denominator, value.denominator)
        result = Fraction(numerator, denominator)
        if result > limit:
            raise ValueError(result)
    if result > limit:
        raise ValueError(result)
    return result


def expand(
    processes: Sequence[dict[str, Any]],
    program: Program | None,
    *,
    label: str,
    labels: Sequence[str],
    until: Time | None,
    max_jobs: float,
) -> tuple[list[dict[str, Any]], Program | None, RealTime]:
    """The processes, one per job, the program with one script per job, and the tasks.

    ``processes`` are entries whose fields passed :func:`field_problems` and were
    :func:`normalise`-d; ``labels[i]`` is ``process #i (pid P)``.  Raises
    :class:`TaskProblems` with every problem found."""
    problems: list[str] = []
    _check_joins(processes, program, label, labels, problems)
    horizon, period_lcm = _horizon(processes, until, label, problems)
    if problems:
        raise TaskProblems(problems)
    counts = [_release_count(process, horizon) for process in processes]
    if sum(counts) > max_jobs:
        raise TaskProblems([_too_many_jobs(label, sum(counts), max_jobs, horizon, until)])
    if sum(counts) == 0:
        raise TaskProblems(
            [f"{label}: no job is released before --until {_show(until)}; give a later --until"]
        )
    releases = [_releases(process, count) for process, count in zip(processes, counts, strict=True)]
    _check_names(processes, counts, label, labels, problems)
    if problems:
        raise TaskProblems(problems)
    jobs, owners, numbers, deadlines = _jobs(processes, releases)
    integer = _integer_times(processes)
    tasks = tuple(
        _task(process, index, counts[index], program) for index, process in enumerate(processes)
    )
    realtime = RealTime(
        tasks=tasks,
        task=np.asarray(owners, dtype=np.int64),
        number=np.asarray(numbers, dtype=np.int64),
        deadline=_time_column(deadlines, integer),
        period=_time_column(
            [_exact_or_none(processes[owner].get("period")) for owner in owners], integer
        ),
        relative_deadline=_time_column(
            [_exact_or_none(_relative_deadline(processes[owner])) for owner in owners], integer
        ),
        horizon=_plain(horizon, integer) if horizon is not None else None,
        hyperperiod=_plain(period_lcm, integer) if period_lcm is not None else None,
    )
    return jobs, _expand_program(program, owners, processes), realtime


def normalise(processes: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copies of the entries with ``wcet`` written as ``burst`` (the same thing for a job),
    so that everything downstream reads one name."""
    out = []
    for process in processes:
        entry = dict(process)
        if "wcet" in entry:
            entry["burst"] = entry.pop("wcet")
        out.append(entry)
    return out


# -- checks --------------------------------------------------------------------------------------
def field_problems(
    processes: Sequence[dict[str, Any]], label: str, labels: Sequence[str]
) -> list[str]:
    """The rules one entry's task fields must keep (see the module docstring), on entries
    that passed the schema, before ``wcet`` is renamed."""
    problems: list[str] = []
    for index, process in enumerate(processes):
        where = f"{label}: {labels[index]}"
        period = process.get("period")
        if period is None:
            problems.extend(
                f"{where}: {key}: only for a periodic task (give period)"
                for key in PERIODIC_ONLY
                if key in process
            )
            continue
        if "arrival" in process:
            problems.append(
                f"{where}: arrival: a periodic task's first release is its phase; write "
                f"phase: {_show(process['arrival'])} instead"
            )
        if "releases" in process and ("phase" in process or "jobs" in process):
            problems.append(
                f"{where}: releases: a sporadic task lists its releases; leave out phase and jobs"
            )
        deadline = process.get("deadline")
        if deadline is not None and deadline > period:
            problems.append(
                f"{where}: deadline: must be <= period ({_show(period)}), got {_show(deadline)} "
                "(constrained deadlines: each job is due before the next is released)"
            )
        if "daemon_of" in process:
            problems.append(f"{where}: daemon_of: a periodic task cannot be a daemon")
        _check_sporadic(process.get("releases"), period, where, problems)
    return problems


def _check_sporadic(
    releases: list[Time] | None, period: Time, where: str, problems: list[str]
) -> None:
    if releases is None:
        return
    for position in range(1, len(releases)):
        gap = exact(releases[position]) - exact(releases[position - 1])
        if gap < exact(period):
            whole = all(isinstance(value, int) for value in (*releases, period))
            problems.append(
                f"{where}: releases[{position}]: {_show(releases[position])} comes "
                f"{_show(_plain(gap, whole))} after the release before it, less than the "
                f"period {_show(period)} (the least time between two releases)"
            )


def _check_joins(
    processes: Sequence[dict[str, Any]],
    program: Program | None,
    label: str,
    labels: Sequence[str],
    problems: list[str],
) -> None:
    """Nobody joins a periodic task (its jobs come and go), no periodic task joins, and no
    daemon belongs to one."""
    if program is None:
        return
    periodic = {index for index, process in enumerate(processes) if "period" in process}
    for index, script in enumerate(program.scripts):
        where = f"{label}: {labels[index]}"
        for position, step in enumerate(script):
            if step.kind != JOIN:
                continue
            target = int(step.value)
            if index in periodic:
                problems.append(f"{where}: run[{position}] (join): a periodic task cannot join")
            elif target in periodic:
                name = processes[target]["pid"]
                problems.append(
                    f"{where}: run[{position}] (join): {name} is a periodic task, whose jobs "
                    "come and go; only an ordinary process can be joined"
                )
        parent = program.daemon_of[index]
        if parent in periodic:
            problems.append(
                f"{where}: daemon_of: {processes[parent]['pid']} is a periodic task; a daemon "
                "belongs to an ordinary process"
            )


def _check_names(
    processes: Sequence[dict[str, Any]],
    counts: Sequence[int],
    label: str,
    labels: Sequence[str],
    problems: list[str],
) -> None:
    """A job's name (``T1#3``) must not be another process's pid."""
    plain = {
        str(process["pid"]): index
        for index, process in enumerate(processes)
        if "period" not in process and "#" in str(process["pid"])
    }
    for index, process in enumerate(processes):
        if "period" not in process:
            continue
        for name, other in plain.items():
            task, _, number = name.rpartition("#")
            if (
                task == str(process["pid"])
                and number.isdigit()
                and 1 <= int(number) <= counts[index]
            ):
                problems.append(
                    f"{label}: {labels[other]}: pid: {name} is also the name of job {number} "
                    f"of periodic task {task}; rename one of them"
                )


# -- the horizon and the releases ----------------------------------------------------------------
def _horizon(
    processes: Sequence[dict[str, Any]], until: Time | None, label: str, problems: list[str]
) -> tuple[Fraction | None, Fraction | None]:
    """Releases before this time: ``until``, or one hyperperiod after the last phase of the
    periodic tasks that need a horizon (no ``jobs``, no ``releases``).  Also returns the
    hyperperiod of every periodic task (None without one)."""
    bounded = [
        process
        for process in processes
        if "period" in process and "jobs" not in process and "releases" not in process
    ]
    periods = [process["period"] for process in processes if "period" in process]
    lcm: Fraction | None = None
    try:
        lcm = hyperperiod(periods) if periods else None
    except ValueError as error:
        if until is None and bounded:
            problems.append(_explosion(label, periods, error.args[0]))
            return None, None
    if until is not None:
        return exact(until), lcm
    if not bounded:
        return None, lcm
    assert lcm is not None
    last_phase = max(exact(process.get("phase", 0)) for process in bounded)
    horizon = last_phase + lcm
    if horizon > MAX_HORIZON:
        problems.append(_explosion(label, periods, horizon))
        return None, None
    return horizon, lcm


def _explosion(label: str, periods: Sequence[Time], value: Fraction) -> str:
    shown = ", ".join(_show(period) for period in periods[:8]) + (
        ", ..." if len(periods) > 8 else ""
    )
    return (
        f"{label}: the hyperperiod of the periods ({shown}) is {float(value):.4g} time units, "
        f"past the longest run allowed ({MAX_HORIZON:.0e}); give --until T (or jobs: N per "
        "task) to say how long to run"
    )


def _too_many_jobs(
    label: str, count: int, limit: float, horizon: Fraction | None, until: Time | None
) -> str:
    where = (
        f"before --until {_show(until)}"
        if until is not None
        else f"in one hyperperiod (up to time {_show(_plain(horizon, True))})"
        if horizon is not None
        else "in all"
    )
    return (
        f"{label}: the tasks release {count:,} jobs {where}, over the limit of {limit:,.0f} "
        "processes (each job is one); give a shorter --until, jobs: N per task, or raise "
        "--max-processes"
    )


def _release_count(process: dict[str, Any], horizon: Fraction | None) -> int:
    """How many jobs a task releases: one for an aperiodic process, its list for a sporadic
    task, ``jobs`` or every release before the horizon for a periodic one."""
    if "period" not in process:
        return 1
    if "releases" in process:
        return len(process["releases"])
    if "jobs" in process:
        return int(process["jobs"])
    assert horizon is not None
    phase, period = exact(process.get("phase", 0)), exact(process["period"])
    return max(0, math.ceil((horizon - phase) / period))


def _releases(process: dict[str, Any], count: int) -> list[Fraction]:
    """One task's ``count`` release times, exactly."""
    if "period" not in process:
        return [exact(process.get("arrival", 0))]
    if "releases" in process:
        return [exact(value) for value in process["releases"]]
    phase, period = exact(process.get("phase", 0)), exact(process["period"])
    return [phase + number * period for number in range(count)]


def _jobs(
    processes: Sequence[dict[str, Any]], releases: Sequence[list[Fraction]]
) -> tuple[list[dict[str, Any]], list[int], list[int], list[Fraction | None]]:
    """One process entry per job (task by task, in file order), with its owner, number and
    absolute deadline."""
    jobs: list[dict[str, Any]] = []
    owners: list[int] = []
    numbers: list[int] = []
    deadlines: list[Fraction | None] = []
    for index, process in enumerate(processes):
        base = {key: value for key, value in process.items() if key not in REALTIME_KEYS}
        periodic = "period" in process
        relative = _relative_deadline(process)
        integer = _integer_times([process])
        for number, release in enumerate(releases[index], start=1):
            entry = dict(base)
            if periodic:
                entry["pid"] = f"{process['pid']}#{number}"
                entry["arrival"] = _plain(release, integer)
            jobs.append(entry)
            owners.append(index)
            numbers.append(number)
            deadlines.append(release + exact(relative) if relative is not None else None)
    return jobs, owners, numbers, deadlines


def _relative_deadline(process: dict[str, Any]) -> Time | None:
    """A task's deadline after each release: as given, else its period, else none."""
    deadline: Time | None = process.get("deadline", process.get("period"))
    return deadline


def _task(process: dict[str, Any], index: int, jobs: int, program: Program | None) -> Task:
    period = process.get("period")
    scripted = "run" in process
    if program is not None and scripted:
        cpu_steps = [step.value for step in program.scripts[index] if step.kind == CPU]
        suspends = any(step.kind == IO for step in program.scripts[index])
        wcet: Time = _sum(cpu_steps)
    else:
        bursts = [process["burst"]] if process.get("burst") is not None else process["bursts"]
        wcet = _sum(bursts[0::2])
        suspends = len(bursts) > 1
    if period is None:
        kind, phase = APERIODIC, process.get("arrival", 0)
    elif "releases" in process:
        kind, phase = SPORADIC, process["releases"][0]
    else:
        kind, phase = PERIODIC, process.get("phase", 0)
    return Task(
        name=str(process["pid"]),
        index=index,
        kind=kind,
        period=period,
        deadline=_relative_deadline(process),
        wcet=wcet,
        phase=phase,
        jobs=jobs,
        suspends=suspends,
        scripted=scripted,
    )


def _expand_program(
    program: Program | None, owners: Sequence[int], processes: Sequence[dict[str, Any]]
) -> Program | None:
    """One script per job (a task's jobs share its script), joins and daemons pointing at
    the new positions of the ordinary processes they name."""
    if program is None:
        return None
    position = {owner: job for job, owner in enumerate(owners) if "period" not in processes[owner]}
    scripts = tuple(
        tuple(
            Step(step.kind, position[int(step.value)]) if step.kind == JOIN else step
            for step in program.scripts[owner]
        )
        for owner in owners
    )
    daemon_of = tuple(
        position[program.daemon_of[owner]] if program.daemon_of[owner] >= 0 else -1
        for owner in owners
    )
    scripted = tuple(program.scripted[owner] for owner in owners) if program.scripted else ()
    return dataclasses.replace(program, scripts=scripts, daemon_of=daemon_of, scripted=scripted)


# -- numbers -------------------------------------------------------------------------------------
def _integer_times(processes: Sequence[dict[str, Any]]) -> bool:
    """Whether every time these entries give is a whole number written as one."""
    for process in processes:
        for key in ("arrival", "period", "deadline", "phase", "burst"):
            if isinstance(process.get(key), float):
                return False
        for key in ("bursts", "releases"):
            if any(isinstance(value, float) for value in process.get(key) or ()):
                return False
    return True


def _plain(value: Fraction, integer: bool) -> Time:
    """An exact time as the workload holds it: an int in an integer workload (when whole),
    else the nearest float."""
    if integer and value.denominator == 1:
        return int(value)
    return float(value)


def _exact_or_none(value: Time | None) -> Fraction | None:
    return None if value is None else exact(value)


def _time_column(values: Sequence[Fraction | None], integer: bool) -> np.ndarray:
    """int64 when every value is a whole number in an integer workload, else float64 (inf
    where a job has none)."""
    if integer and all(value is not None and value.denominator == 1 for value in values):
        return np.asarray([int(value) for value in values if value is not None], dtype=np.int64)
    return np.asarray(
        [math.inf if value is None else float(value) for value in values], dtype=np.float64
    )


def _sum(values: Sequence[Time]) -> Time:
    total: Time = 0
    for value in values:
        total = total + value
    return total


def _show(value: Any) -> str:
    """A time as written (floats keep their dot)."""
    return repr(value) if isinstance(value, float) else str(value)
