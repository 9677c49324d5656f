"""Scheduling exercises in the style of OSTEP's homework: a small random problem, its worked
solution, and the grading of a student's answers.

A problem is a handful of processes with whole-number arrival and burst times drawn from
one seed, so the same command always poses the same problem and a student can be told
"seed 7".  The questions are those the textbooks ask: each process's finish time,
turnaround, waiting and response time, and the average waiting time.  The solution is the
simulator's own result, laid out as a worked answer: the schedule (a text Gantt chart and
each slice), then each process's arithmetic (turnaround = finish − arrival = 14 − 2 = 12),
then the averages as exact fractions.  Grading compares each answer with that result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from schedsim.api import simulate
from schedsim.errors import OptionError, WorkloadError
from schedsim.explain import Explainer, explain_text
from schedsim.policies import Policy
from schedsim.quoting import plain, unknown_key_message
from schedsim.report import fmt
from schedsim.result import Result
from schedsim.workload import Workload

MIN_PROCESSES, MAX_PROCESSES = 2, 10
QUESTIONS = ("finish", "turnaround", "waiting", "response")
AVERAGES = ("avg_waiting",)
AVERAGE_NAMES = {"avg_waiting": "average waiting"}
# Answers within this of the exact value count as right (an average written to two decimals).
TOLERANCE = Fraction(1, 100)
MAX_ANSWERS_BYTES = 1 << 20
_ANSWER = re.compile(r"^-?\d+(\.\d+)?(/\d+)?$")
# Which workload column a policy reads, beyond arrival and bursts: shown in the problem.
ATTRIBUTE_OF = {"priority": "priority", "lottery": "tickets", "stride": "tickets", "fair": "nice"}


@dataclass(frozen=True)
class Exercise:
    """A problem (workload, policy, engine settings, seed) and its solution (the result)."""

    workload: Workload
    policy: Policy
    seed: int
    settings: dict[str, Any]
    result: Result
    explanation: str = ""  # the run explained instant by instant (schedsim.explain)

    @property
    def attribute(self) -> str | None:
        return ATTRIBUTE_OF.get(self.policy.name)


def make_exercise(
    policy: Policy,
    *,
    seed: int = 0,
    processes: int = 4,
    io: bool = False,
    cpus: int = 1,
    context_switch: int | float = 0,
    ties: str = "arrivals-first",
    locks: str = "none",
) -> Exercise:
    """Draw a problem from ``seed`` and solve it with ``policy``.

    ``processes`` processes (2 to 10) arrive at whole-number times from 0, with CPU bursts
    of 1 to 9; with ``io`` about half of them do one I/O burst of 2 to 6 between two CPU
    bursts.  Priorities (1 to 5), tickets (50 to 300 in fifties) or nice values (-5 to 5)
    are drawn for the policies that read them.  The seed also seeds randomised policies."""
    if isinstance(processes, bool) or not isinstance(processes, int):
        raise OptionError(f"--processes: must be a whole number, got {processes!r}")
    if not MIN_PROCESSES <= processes <= MAX_PROCESSES:
        raise OptionError(
            f"--processes: must be from {MIN_PROCESSES} to {MAX_PROCESSES} (an exercise is "
            f"solved by hand), got {processes}"
        )
    workload = draw_workload(seed, processes, io)
    settings: dict[str, Any] = {
        "cpus": cpus,
        "context_switch": context_switch,
        "ties": ties,
        "seed": seed,
    }
    explainer = Explainer()
    result = simulate(
        workload,
        policy,
        cpus=cpus,
        context_switch=context_switch,
        ties=ties,
        seed=seed,
        locks=locks,
        observer=explainer,
    )
    explanation = explain_text(explainer.instants, cpus=cpus)
    return Exercise(workload, policy, seed, settings, result, explanation)


def draw_workload(seed: int, processes: int, io: bool) -> Workload:
    """The problem's processes, drawn from ``seed`` alone (same seed, same problem)."""
    rng = np.random.default_rng([seed, processes, int(io)])
    arrivals = sorted(int(value) for value in rng.integers(0, 2 * processes, processes))
    arrivals[0] = 0
    records: list[dict[str, Any]] = []
    for index, arrival in enumerate(arrivals):
        bursts = [int(rng.integers(1, 10))]
        if io and rng.random() < 0.5:
            bursts += [int(rng.integers(2, 7)), int(rng.integers(1, 6))]
        records.append(
            {
                "pid": f"P{index + 1}",
                "arrival": arrival,
                "bursts": bursts,
                "priority": int(rng.integers(1, 6)),
                "tickets": 50 * int(rng.integers(1, 7)),
                "nice": int(rng.integers(-5, 6)),
            }
        )
    return Workload.from_records(records, name=f"exercise-{seed}")


# -- the problem ----------------------------------------------------------------------------
def problem_text(exercise: Exercise, command: str | None = None) -> str:
    """The problem as a student reads it: the processes, the rules, the questions."""
    workload = exercise.workload
    lines: list[str | None] = [
        f"Exercise (seed {exercise.seed}): schedule these {len(workload)} processes under "
        f"{exercise.policy.describe()}{_settings_clause(exercise.settings)}.",
        "",
        *process_table(exercise),
        "",
        "Bursts alternate CPU, I/O, CPU; I/O runs in parallel and needs no CPU."
        if workload.has_io
        else "Each process needs one CPU burst.",
        _attribute_note(exercise.attribute),
        "Questions: for each process, its finish time, turnaround (finish - arrival), waiting",
        "(time ready but not running) and response (first run - arrival); then the average",
        "waiting time, as a fraction (20/3) or to two decimals.",
    ]
    text = [line for line in lines if line is not None]
    if command:
        text += [
            "",
            "Answer in a YAML file such as",
            "",
            *answers_template(exercise),
            "",
            f"then check it:   {command} --check answers.yaml",
            f"or see the solution:   {command} --solve",
        ]
    return "\n".join(text) + "\n"


def process_table(exercise: Exercise) -> list[str]:
    """The processes as an aligned table: pid, arrival, bursts and the policy's attribute."""
    workload = exercise.workload
    headings = ["pid", "arrival", "bursts (CPU, I/O, CPU)" if workload.has_io else "CPU burst"]
    attribute = exercise.attribute
    if attribute:
        headings.append(attribute)
    rows = [headings]
    for index, pid in enumerate(workload.pid):
        bursts = workload.bursts(index)
        row = [pid, fmt(workload.arrival[index].item()), ", ".join(fmt(b) for b in bursts)]
        if attribute:
            row.append(str(int(getattr(workload, attribute)[index])))
        rows.append(row)
    widths = [max(len(row[column]) for row in rows) for column in range(len(headings))]
    return [
        "  "
        + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def answers_template(exercise: Exercise) -> list[str]:
    """The shape of an answers file, every value left blank."""
    blank = ", ".join(f"{name}: " for name in QUESTIONS)
    lines = [f"  {pid}: {{{blank}}}" for pid in exercise.workload.pid]
    return [*lines, *(f"  {name}: " for name in AVERAGES)]


def _settings_clause(settings: dict[str, Any]) -> str:
    parts = []
    if settings.get("cpus", 1) != 1:
        parts.append(f"{settings['cpus']} CPUs")
    if settings.get("context_switch"):
        parts.append(f"a context switch costing {fmt(settings['context_switch'])}")
    if settings.get("ties", "arrivals-first") != "arrivals-first":
        parts.append(f"ties {settings['ties']}")
    return f" ({', '.join(parts)})" if parts else " on one CPU"


def _attribute_note(attribute: str | None) -> str | None:
    return {
        "priority": "A lower priority number is more important.",
        "tickets": "Tickets set each process's share of the CPU.",
        "nice": "Nice values set each process's weight (nice 0 weighs 1024).",
    }.get(attribute or "")


# -- the solution ---------------------------------------------------------------------------
def solution_text(exercise: Exercise, *, width: int = 80, steps: bool = True) -> str:
    """The worked solution: the schedule, how the scheduler decided at each instant (with
    ``steps``: MLFQ's levels, lottery's draws, ...), each process's arithmetic, the
    averages."""
    from schedsim.ascii_gantt import ascii_gantt

    result = exercise.result
    lines = [f"Solution (seed {exercise.seed}, {exercise.policy.describe()})", "", "Gantt chart:"]
    lines += [
        "  " + line if line else "" for line in ascii_gantt(result, width=width - 2).splitlines()
    ]
    lines += ["", "Slices:", *slice_lines(result)]
    if steps and exercise.explanation:
        lines += [
            "",
            "How the scheduler decided:",
            *("  " + line if line else "" for line in exercise.explanation.splitlines()),
        ]
    lines += ["", "Per process:"]
    for index in range(len(result.pids)):
        lines += process_arithmetic(result, index)
    lines += ["", *average_lines(result)]
    return "\n".join(lines) + "\n"


def slice_lines(result: Result) -> list[str]:
    """Each slice: when it ran, where, at which level, and why it ended."""
    records = result.timeline_records()
    many_cpus = int(result.settings.get("cpus", 1)) > 1
    out = []
    for row in records:
        when = f"{fmt(row['start'])}-{fmt(row['end'])}"
        parts = [f"  {when:>9}  {row['pid']}"]
        if many_cpus:
            parts.append(f"on CPU {row['cpu']}")
        if row.get("level", -1) >= 0:
            parts.append(f"at level {row.get('level')}")
        if row["dispatched"] != row["start"]:
            parts.append(f"(switch from {fmt(row['dispatched'])})")
        parts.append(_ending(row["reason"]))
        out.append("  ".join(parts))
    return out


def _ending(reason: str) -> str:
    return {
        "finished": "finishes",
        "blocked": "starts I/O",
        "expired": "slice expires",
        "preempted": "preempted",
        "resliced": "slice restarted",
        "stepped": "goes on after its steps",
        "waited": "waits for a resource",
        "ended": "ended with its parent",
    }.get(reason, reason)


def process_arithmetic(result: Result, index: int) -> list[str]:
    """``P1: turnaround = finish - arrival = 14 - 2 = 12`` and the other three."""
    jobs = result.jobs
    value = {name: fmt(jobs[name][index].item()) for name in jobs}
    pid = result.pids[index]
    lines = [f"  {pid}: finish {value['finish']} (its last slice ends then)"]
    pad = " " * (len(pid) + 4)
    lines.append(
        f"{pad}turnaround = finish - arrival = {value['finish']} - {value['arrival']} "
        f"= {value['turnaround']}"
    )
    terms = ["turnaround", "CPU", "I/O"]
    numbers = [value["turnaround"], value["cpu_time"], value["io_time"]]
    if jobs["switch_time"][index]:
        terms.append("switching")
        numbers.append(value["switch_time"])
    lines.append(f"{pad}waiting = {' - '.join(terms)} = {' - '.join(numbers)} = {value['waiting']}")
    lines.append(
        f"{pad}response = first run - arrival = {value['first_run']} - {value['arrival']} "
        f"= {value['response']}"
    )
    return lines


def average_lines(result: Result) -> list[str]:
    """The averages as sums over the processes, exact fractions where times are whole."""
    lines = []
    for name, column in (("waiting", "waiting"), ("turnaround", "turnaround")):
        values = result.jobs[column].tolist()
        total = sum(values)
        shown = " + ".join(fmt(value) for value in values)
        lines.append(
            f"Average {name} = ({shown}) / {len(values)} = {exact_text(total, len(values))}"
        )
    return lines


def exact_text(total: int | float, count: int) -> str:
    """``total / count`` worked out: ``20/3 ≈ 6.667``, ``18/4 = 9/2 = 4.5``, ``20/4 = 5``
    when both are whole; a decimal otherwise."""
    if not isinstance(total, int):
        return fmt(total / count)
    value = Fraction(total, count)
    steps = [f"{total}/{count}"]
    if value.denominator == 1:
        steps.append(str(value.numerator))
        return " = ".join(steps)
    if value.denominator != count:
        steps.append(f"{value.numerator}/{value.denominator}")
    decimal = float(value)
    exact = Fraction(fmt(decimal)) == value
    return " = ".join(steps) + (" = " if exact else " ≈ ") + fmt(decimal)


# -- grading ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Mark:
    """One graded answer."""

    question: str  # "P1 finish", "average waiting"
    expected: Any
    given: Any  # None: not answered
    correct: bool
    hint: str = ""


@dataclass
class Grade:
    """Every graded answer, in question order."""

    marks: list[Mark] = field(default_factory=list)

    @property
    def correct(self) -> int:
        return sum(mark.correct for mark in self.marks)

    @property
    def passed(self) -> bool:
        return self.correct == len(self.marks)

    def text(self) -> str:
        width = max(len(mark.question) for mark in self.marks)
        lines = []
        for mark in self.marks:
            question = mark.question.ljust(width)
            if mark.given is None:
                lines.append(f"  missing  {question}  expected {fmt(mark.expected)}")
            elif mark.correct:
                lines.append(f"  right    {question}  {_shown(mark.given)}")
            else:
                hint = f" ({mark.hint})" if mark.hint else ""
                lines.append(
                    f"  wrong    {question}  {_shown(mark.given)}: expected "
                    f"{fmt(mark.expected)}{hint}"
                )
        lines.append(f"Score: {self.correct}/{len(self.marks)} right")
        return "\n".join(lines) + "\n"


def grade(exercise: Exercise, answers: dict[str, Any], label: str = "answers") -> Grade:
    """Compare ``answers`` (as read by :func:`read_answers`) with the solution."""
    result = exercise.result
    problems = _unknown_answers(answers, result.pids, label)
    marks = []
    wanted: list[tuple[str, Any, Any, str]] = []
    for index, pid in enumerate(result.pids):
        given_row = answers.get(pid)
        given_row = given_row if isinstance(given_row, dict) else {}
        for name in QUESTIONS:
            expected = result.jobs[name][index].item()
            hint = _hint(result, index, name)
            wanted.append((f"{pid} {name}", expected, given_row.get(name), hint))
    for name in AVERAGES:
        values = result.jobs[name.removeprefix("avg_")].tolist()
        exact: Any = (
            Fraction(sum(values), len(values))
            if all(isinstance(value, int) for value in values)
            else sum(values) / len(values)
        )
        wanted.append((AVERAGE_NAMES[name], exact, answers.get(name), ""))
    for question, expected, given, hint in wanted:
        try:
            marks.append(_mark(question, expected, given, hint, label))
        except WorkloadError as error:
            problems.extend(error.problems)
    if problems:
        raise WorkloadError(problems)
    return Grade(marks)


def _mark(question: str, expected: Any, given: Any, hint: str, label: str) -> Mark:
    if given is None:
        return Mark(question, expected, None, False, hint)
    value = _number(given, f"{label}: {question}")
    right = abs(value - Fraction(expected)) <= TOLERANCE
    return Mark(question, expected, given, right, hint)


def _hint(result: Result, index: int, name: str) -> str:
    jobs = result.jobs
    value = {key: fmt(jobs[key][index].item()) for key in jobs}
    return {
        "finish": "when its last slice ends",
        "turnaround": f"finish {value['finish']} - arrival {value['arrival']}",
        "waiting": f"turnaround {value['turnaround']} - CPU {value['cpu_time']} - I/O "
        f"{value['io_time']}"
        + (f" - switching {value['switch_time']}" if jobs["switch_time"][index] else ""),
        "response": f"first run {value['first_run']} - arrival {value['arrival']}",
    }[name]


def _number(value: Any, where: str) -> Fraction:
    """An answer as an exact number: an int, a float, or text such as ``20/3`` or ``6.67``."""
    if isinstance(value, bool):
        raise WorkloadError(f"{where}: expected a number, got {value}")
    if isinstance(value, int | float):
        try:
            return Fraction(value)
        except (ValueError, OverflowError):
            raise WorkloadError(f"{where}: expected a finite number, got {value}") from None
    text = value.strip().replace(" ", "") if isinstance(value, str) else ""
    if len(text) <= 40 and _ANSWER.match(text):  # no exponents: 1e999999999 is not an answer
        try:
            return Fraction(text)
        except (ValueError, ZeroDivisionError):
            pass
    raise WorkloadError(
        f"{where}: expected a number or a fraction such as 20/3, got {plain(str(value))!r}"
    )


def _unknown_answers(answers: dict[str, Any], pids: list[str], label: str) -> list[str]:
    problems = []
    allowed = [*pids, *AVERAGES]
    for key, value in answers.items():
        if key in AVERAGES:
            continue
        if key not in pids:
            problems.append(f"{label}: {unknown_key_message(key, allowed)}")
        elif value is not None and not isinstance(value, dict):
            problems.append(
                f"{label}: {key}: give a mapping such as {{finish: 14, turnaround: 12, ...}}"
            )
        elif value:
            problems.extend(
                f"{label}: {key}: {unknown_key_message(name, QUESTIONS)}"
                for name in value
                if name not in QUESTIONS
            )
    return problems


def read_answers(path: str | Path) -> dict[str, Any]:
    """A student's answers file (YAML), read under the workload loader's safe rules."""
    from schedsim.loaders.common import FORMAT_DEFAULT, decode, limits_for, read_file
    from schedsim.loaders.documents import parse_yaml

    label = str(path)
    data = read_file(Path(path), label, MAX_ANSWERS_BYTES, False)
    document = parse_yaml(decode(data, label), label, limits_for(False, FORMAT_DEFAULT, 1000))
    if document is None:
        raise WorkloadError(f"{label}: file is empty; give one line per process")
    if not isinstance(document, dict):
        raise WorkloadError(
            f"{label}: top level must be a mapping of pid to answers, e.g. "
            "P1: {finish: 14, turnaround: 12, waiting: 7, response: 1}"
        )
    return {str(key): value for key, value in document.items()}


def _shown(value: Any) -> str:
    return plain(str(value), 20) if isinstance(value, str) else fmt(value)


__all__ = [
    "Exercise",
    "Grade",
    "Mark",
    "grade",
    "make_exercise",
    "problem_text",
    "read_answers",
    "solution_text",
]
