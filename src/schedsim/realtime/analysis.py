"""Schedulability analysis of periodic tasks on one CPU, printed beside the simulation.

The tests, each on the periodic and sporadic tasks (a sporadic task counts with its
least time between releases as its period; aperiodic processes are left out):

- **utilisation** U = Σ Ci/Ti;
- **Liu & Layland's bound** (rate monotonic, deadlines = periods): schedulable if
  U <= n(2^(1/n) − 1) — about 0.828 for two tasks, tending to ln 2 ≈ 0.693; sufficient only;
- **the hyperbolic bound** (Bini, Buttazzo & Buttazzo, 2003; same setting): schedulable if
  Π(Ui + 1) <= 2; sufficient only, and never weaker than Liu & Layland's;
- **response-time analysis** (Joseph & Pandya, 1986; Audsley et al., 1993) for fixed
  priorities (rm, dm): the worst response time of task i is the least fixed point of
  Ri = Ci + Bi + Σ_{j more important} ⌈Ri/Tj⌉·Cj, exact for deadlines <= periods when every
  task may be released at the same instant.  Bi is the longest blocking by less important
  tasks through locks: under ``--locks ceiling`` the longest critical section of a less
  important task on a lock whose ceiling is at least task i's priority; under
  ``--locks inherit`` the sum, over the less important tasks, of each one's longest such
  section (Sha, Rajkumar & Lehoczky, 1990).  A critical section is the CPU a script runs
  between ``lock`` and its ``unlock``.  Without a lock protocol blocking is unbounded, and
  the test gives no verdict;
- **EDF** (edf, and llf, which is optimal too): with deadlines = periods, schedulable if
  and only if U <= 1 (Liu & Layland, 1973); with shorter deadlines, the processor-demand
  test (Baruah, Rosier & Howell, 1990): the demand Σ max(0, ⌊(t − Di)/Ti⌋ + 1)·Ci is at most
  t at every absolute deadline t up to the synchronous busy period.

All arithmetic is exact (rational numbers).  The tests are for one CPU; on several, and for
tasks that do I/O (they suspend themselves), synchronise other than through locks, or share
the CPU with aperiodic jobs that have deadlines, the analysis states why it gives no
verdict.  The result then says whether the simulation agrees: no miss where the analysis
guarantees none, a miss where an exact test predicts one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from schedsim.program import CPU, IO, LOCK, UNLOCK, Program
from schedsim.realtime.tasks import APERIODIC, RealTime, Task, exact

Time = int | float

SCHEDULABLE, NOT_SCHEDULABLE, UNKNOWN = "schedulable", "not schedulable", "unknown"
FIXED_PRIORITY = ("rm", "dm")
DYNAMIC = ("edf", "llf")
MAX_DEMAND_POINTS = 1_000_000  # deadlines the processor-demand test checks at most


def liu_layland_bound(n: int) -> float:
    """n(2^(1/n) − 1): the utilisation below which rate monotonic meets every deadline of
    n periodic tasks with deadlines equal to their periods."""
    if n < 1:
        raise ValueError(f"the bound is for n >= 1 tasks, got {n}")
    return n * (2 ** (1 / n) - 1)


@dataclass(frozen=True)
class Periodic:
    """What the tests read of a task, exactly."""

    name: str
    wcet: Fraction
    period: Fraction
    deadline: Fraction
    phase: Fraction

    @property
    def utilisation(self) -> Fraction:
        return self.wcet / self.period


def analyse(
    realtime: RealTime,
    program: Program | None,
    *,
    policy: str,
    cpus: int = 1,
    locks: str = "none",
) -> dict[str, Any]:
    """The analysis of ``realtime``'s periodic tasks for ``policy`` (see the module
    docstring), as plain data: the utilisation, each test's verdict, the verdict that
    counts (``verdict``, ``decided_by``) and the reasons a test does not apply
    (``notes``)."""
    periodic = [task for task in realtime.tasks if task.kind != APERIODIC]
    tasks = [_periodic(task) for task in periodic]
    utilisation = sum((task.utilisation for task in tasks), Fraction(0))
    out: dict[str, Any] = {
        "policy": policy,
        "tasks": len(tasks),
        "utilisation": float(utilisation),
        "tests": [],
        "verdict": UNKNOWN,
        "decided_by": None,
        "notes": [],
    }
    notes: list[str] = out["notes"]
    if not tasks:
        notes.append("no periodic or sporadic task to analyse")
        return out
    implicit = all(task.deadline == task.period for task in tasks)
    if policy in FIXED_PRIORITY or policy in DYNAMIC:
        _not_covered(realtime, periodic, program, policy, cpus, locks, notes)
    else:
        notes.append(f"no schedulability test for policy {policy} (tests: rm, dm, edf, llf)")
    if policy in FIXED_PRIORITY:
        if implicit:
            out["tests"].append(_liu_layland(utilisation, len(tasks)))
            out["tests"].append(_hyperbolic(tasks))
        order = _priority_order(periodic, policy)
        blocking = _blocking(realtime, periodic, program, order, locks, notes)
        out["tests"].append(_response_times(tasks, order, blocking))
    elif policy in DYNAMIC:
        out["tests"].append(_edf(tasks, utilisation, implicit))
    if utilisation > cpus:
        out["tests"].append(
            {
                "test": f"utilisation <= {cpus} (CPUs)",
                "exact": False,
                "verdict": NOT_SCHEDULABLE,
                "value": float(utilisation),
                "bound": cpus,
            }
        )
    _decide(out, covered=not notes or _only_soft(notes))
    return out


def _only_soft(notes: Sequence[str]) -> bool:
    return all(note.startswith(SOFT_NOTES) for note in notes)


# -- the tests -----------------------------------------------------------------------------------
def _liu_layland(utilisation: Fraction, n: int) -> dict[str, Any]:
    bound = liu_layland_bound(n)
    return {
        "test": "Liu & Layland bound",
        "exact": False,
        "value": float(utilisation),
        "bound": bound,
        "verdict": SCHEDULABLE if float(utilisation) <= bound else UNKNOWN,
    }


def _hyperbolic(tasks: Sequence[Periodic]) -> dict[str, Any]:
    product = Fraction(1)
    for task in tasks:
        product *= task.utilisation + 1
    return {
        "test": "hyperbolic bound",
        "exact": False,
        "value": float(product),
        "bound": 2,
        "verdict": SCHEDULABLE if product <= 2 else UNKNOWN,
    }


def _response_times(
    tasks: Sequence[Periodic], order: Sequence[int], blocking: Sequence[Fraction] | None
) -> dict[str, Any]:
    """Response-time analysis in priority ``order`` (positions in ``tasks``); ``blocking``
    None: unbounded (no verdict)."""
    rows = []
    verdict = SCHEDULABLE
    for rank, index in enumerate(order):
        task = tasks[index]
        higher = [tasks[other] for other in order[:rank]]
        if blocking is None:  # unbounded: no response time to speak of
            rows.append(
                {
                    "task": task.name,
                    "response_time": None,
                    "blocking": None,
                    "deadline": _plain(task.deadline),
                    "meets": None,
                }
            )
            continue
        block = blocking[index]
        response = worst_response_time(task, higher, block)
        meets = response is not None and response <= task.deadline
        rows.append(
            {
                "task": task.name,
                "response_time": _plain(response) if response is not None else None,
                "blocking": _plain(block),
                "deadline": _plain(task.deadline),
                "meets": meets,
            }
        )
        if not meets:
            verdict = NOT_SCHEDULABLE
    return {
        "test": "response-time analysis",
        "exact": True,
        "verdict": verdict if blocking is not None else UNKNOWN,
        "response_times": rows,
    }


def worst_response_time(
    task: Periodic, higher: Sequence[Periodic], blocking: Fraction = Fraction(0)
) -> Fraction | None:
    """The least fixed point of R = C + B + Σ ⌈R/Tj⌉·Cj over the more important tasks, or
    None once R passes the deadline (the task can miss)."""
    response = task.wcet + blocking + sum((other.wcet for other in higher), Fraction(0))
    while True:
        demand = task.wcet + blocking
        for other in higher:
            demand += math.ceil(response / other.period) * other.wcet
        if demand > task.deadline:
            return None
        if demand == response:
            return response
        response = demand


def _edf(tasks: Sequence[Periodic], utilisation: Fraction, implicit: bool) -> dict[str, Any]:
    if implicit or utilisation > 1:
        return {
            "test": "utilisation <= 1 (EDF)",
            "exact": implicit,
            "value": float(utilisation),
            "bound": 1,
            "verdict": SCHEDULABLE if utilisation <= 1 else NOT_SCHEDULABLE,
        }
    failed_at, checked = processor_demand(tasks)
    test: dict[str, Any] = {
        "test": "processor demand (EDF)",
        "exact": True,
        "value": float(utilisation),
        "deadlines_checked": checked,
    }
    if checked is None:
        test["verdict"] = UNKNOWN
        test["note"] = f"more than {MAX_DEMAND_POINTS:,} deadlines to check"
    elif failed_at is not None:
        test["verdict"] = NOT_SCHEDULABLE
        test["demand_exceeded_at"] = _plain(failed_at)
    else:
        test["verdict"] = SCHEDULABLE
    return test


def processor_demand(tasks: Sequence[Periodic]) -> tuple[Fraction | None, int | None]:
    """The first absolute deadline t (synchronous release) at which the demand of jobs due
    by t exceeds t, or None; and how many deadlines were checked (None: too many)."""
    busy = sum((task.wcet for task in tasks), Fraction(0))
    while True:
        longer = sum((math.ceil(busy / task.period) * task.wcet for task in tasks), Fraction(0))
        if longer == busy:
            break
        busy = longer
    points = sum(
        math.floor((busy - task.deadline) / task.period) + 1
        for task in tasks
        if busy >= task.deadline
    )
    if points > MAX_DEMAND_POINTS:
        return None, None
    deadlines = sorted(
        {
            task.deadline + number * task.period
            for task in tasks
            for number in range(max(0, math.floor((busy - task.deadline) / task.period) + 1))
        }
    )
    for due in deadlines:
        demand = sum(
            (
                (math.floor((due - task.deadline) / task.period) + 1) * task.wcet
                for task in tasks
                if due >= task.deadline
            ),
            Fraction(0),
        )
        if demand > due:
            return due, len(deadlines)
    return None, len(deadlines)


# -- what the tests cannot cover -----------------------------------------------------------------
SOFT_NOTES = ("the tasks are not all released together",)


def _not_covered(
    realtime: RealTime,
    periodic: Sequence[Task],
    program: Program | None,
    policy: str,
    cpus: int,
    locks: str,
    notes: list[str],
) -> None:
    if cpus > 1:
        notes.append(f"the tests are for one CPU; this run has {cpus}")
    suspending = [task.name for task in periodic if task.suspends]
    if suspending:
        notes.append(
            f"{', '.join(suspending)} do I/O (suspend themselves), which the tests do not cover"
        )
    competing = [
        task.name
        for task in realtime.tasks
        if task.kind == APERIODIC
        and task.deadline is not None
        and (policy in DYNAMIC or policy == "dm")
    ]
    if competing:
        notes.append(
            f"aperiodic {', '.join(competing)} compete by deadline under {policy} and are not "
            "in the tests"
        )
    if program is not None and _synchronises_beyond_locks(realtime, program):
        notes.append("scripts use semaphores, events, queues or join, which the tests do not cover")
    if program is not None and policy in DYNAMIC and _uses_locks(program):
        notes.append(f"the tests take no lock blocking into account under {policy}")
    if any(task.phase != 0 for task in periodic):
        notes.append(
            "the tasks are not all released together: the tests assume they may be (the "
            "critical instant), so a 'not schedulable' verdict may never show"
        )


def _synchronises_beyond_locks(realtime: RealTime, program: Program) -> bool:
    from schedsim.program import ACQUIRE, GET, JOIN, PUT, RELEASE, SET, WAIT

    kinds = {ACQUIRE, RELEASE, WAIT, SET, PUT, GET, JOIN}
    return any(step.kind in kinds for script in program.scripts for step in script)


def _uses_locks(program: Program) -> bool:
    return any(step.kind == LOCK for script in program.scripts for step in script)


def _priority_order(tasks: Sequence[Task], policy: str) -> list[int]:
    """Positions in ``tasks``, most important first: rate monotonic by period, deadline
    monotonic by relative deadline, ties by file order (as the policies rank them)."""

    def key(position: int) -> tuple[Fraction, int]:
        task = tasks[position]
        chosen = task.period if policy == "rm" else task.deadline
        assert chosen is not None
        return exact(chosen), task.index

    return sorted(range(len(tasks)), key=key)


def _blocking(
    realtime: RealTime,
    tasks: Sequence[Task],
    program: Program | None,
    order: Sequence[int],
    locks: str,
    notes: list[str],
) -> list[Fraction] | None:
    """Each task's blocking term under the lock protocol (zeros without locks; None when
    blocking is unbounded)."""
    zero = [Fraction(0)] * len(tasks)
    if program is None or not _uses_locks(program):
        return zero
    first_job = {int(task): job for job, task in reversed(list(enumerate(realtime.task.tolist())))}
    sections = [_critical_sections(program, first_job[task.index]) for task in tasks]
    rank = {position: place for place, position in enumerate(order)}
    if any(length is None for found in sections for length in found.values()):
        notes.append("a lock is held across I/O: blocking is not bounded by CPU time")
        return None
    used_by: dict[int, list[int]] = {}
    for position, found in enumerate(sections):
        for lock in found:
            used_by.setdefault(lock, []).append(position)
    shared = any(len({rank[user] for user in users}) > 1 for users in used_by.values())
    if not shared:
        return zero
    if locks == "none":
        notes.append(
            "tasks of different priorities share a lock without a lock protocol: priority "
            "inversion is unbounded (use --locks inherit or ceiling)"
        )
        return None
    ceiling = {lock: min(rank[user] for user in users) for lock, users in used_by.items()}
    out = []
    for position in range(len(tasks)):
        lower = [other for other in range(len(tasks)) if rank[other] > rank[position]]
        per_task = [
            max(
                (
                    length
                    for lock, length in sections[other].items()
                    if ceiling[lock] <= rank[position] and length is not None
                ),
                default=Fraction(0),
            )
            for other in lower
        ]
        if locks == "ceiling":
            out.append(max(per_task, default=Fraction(0)))
        else:
            per_lock = [
                max(
                    (
                        sections[other][lock] or Fraction(0)
                        for other in lower
                        if lock in sections[other]
                    ),
                    default=Fraction(0),
                )
                for lock in used_by
                if ceiling[lock] <= rank[position]
            ]
            out.append(min(sum(per_task, Fraction(0)), sum(per_lock, Fraction(0))))
    return out


def _critical_sections(program: Program, job: int) -> dict[int, Fraction | None]:
    """Per lock a job's script uses: the most CPU it runs between a ``lock`` and the
    matching ``unlock`` (None if it does I/O while holding it)."""
    held: dict[int, Fraction | None] = {}
    longest: dict[int, Fraction | None] = {}
    for step in program.scripts[job]:
        if step.kind == LOCK:
            held[int(step.value)] = Fraction(0)
        elif step.kind == UNLOCK:
            lock = int(step.value)
            length = held.pop(lock, Fraction(0))
            before = longest.get(lock, Fraction(0))
            longest[lock] = None if length is None or before is None else max(length, before)
        elif step.kind in (CPU, IO):
            for lock, length in held.items():
                if length is not None:
                    held[lock] = length + exact(step.value) if step.kind == CPU else None
    return longest


# -- the verdict and the simulation --------------------------------------------------------------
def _decide(out: dict[str, Any], *, covered: bool) -> None:
    """The verdict that counts: an exact test's, else a sufficient test that says
    schedulable; none when the tests do not cover the task set."""
    tests = out["tests"]
    for test in tests:  # more work than CPUs: no policy can keep up
        if test["verdict"] == NOT_SCHEDULABLE and "CPUs" in test["test"]:
            out["verdict"], out["decided_by"] = NOT_SCHEDULABLE, test["test"]
            return
    if not covered:
        return
    for test in tests:
        if test["verdict"] == NOT_SCHEDULABLE and test["exact"]:
            out["verdict"], out["decided_by"] = NOT_SCHEDULABLE, test["test"]
            return
    for test in tests:
        if test["verdict"] == SCHEDULABLE:
            out["verdict"], out["decided_by"] = SCHEDULABLE, test["test"]
            return


def agreement(
    analysis: dict[str, Any],
    misses: int,
    first_miss: dict[str, Any] | None,
    *,
    switch: Time = 0,
    whole_hyperperiod: bool = True,
) -> tuple[str, str]:
    """Whether the simulation agrees with the analysis: ``agree``, ``consistent`` (an
    exact 'not schedulable' that this run could not show: the tasks are not released
    together, or the run stopped before a hyperperiod) or ``disagree``, with why."""
    verdict = analysis["verdict"]
    if verdict == UNKNOWN:
        return "no verdict", "the analysis gives no verdict to compare with"
    seen = "no deadline missed" if not misses else f"{misses} deadline(s) missed"
    if misses and first_miss is not None:
        seen += f", first {first_miss['pid']} (due {first_miss['deadline']})"
    if verdict == SCHEDULABLE:
        if not misses:
            return "agree", f"{seen}, as the analysis guarantees"
        why = " (the analysis counts no context-switch time)" if switch else ""
        return "disagree", f"{seen}, yet the analysis guarantees every deadline{why}"
    if misses:
        return "agree", f"{seen}, as the analysis predicts"
    if any(note.startswith(SOFT_NOTES) for note in analysis["notes"]):
        return "consistent", f"{seen}: these release times never bring the worst case about"
    if not whole_hyperperiod:
        return "consistent", f"{seen}: the run ended before the worst case the analysis found"
    return "disagree", f"{seen} in a whole hyperperiod, yet the analysis predicts a miss"


def _periodic(task: Task) -> Periodic:
    assert task.period is not None and task.deadline is not None
    return Periodic(
        name=task.name,
        wcet=exact(task.wcet),
        period=exact(task.period),
        deadline=exact(task.deadline),
        phase=exact(task.phase),
    )


def _plain(value: Fraction) -> Time:
    return int(value) if value.denominator == 1 else float(value)
