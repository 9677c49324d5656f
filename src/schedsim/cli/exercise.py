"""``schedsim exercise``: a random scheduling problem, its worked solution, and grading."""

from __future__ import annotations

import shlex
import sys
from typing import Any

import click

from schedsim.cli.common import (
    build_policy,
    engine_options,
    engine_settings,
    policy_options,
    split_policy_options,
)
from schedsim.errors import EXIT_FAILURE
from schedsim.exercise import (
    MAX_PROCESSES,
    grade,
    make_exercise,
    problem_text,
    read_answers,
    solution_text,
)


@click.command()
@click.option(
    "--policy",
    "-p",
    "policy_name",
    default="fcfs",
    show_default=True,
    help="scheduling policy the problem is about (see 'schedsim policies')",
)
@policy_options
@engine_options
@click.option(
    "--processes",
    "-n",
    type=click.IntRange(2, MAX_PROCESSES),
    default=4,
    show_default=True,
    help="how many processes the problem has",
)
@click.option("--io", is_flag=True, help="some processes do I/O between two CPU bursts")
@click.option("--solve", is_flag=True, help="print the worked solution")
@click.option(
    "--check",
    "answers_file",
    metavar="ANSWERS.yaml",
    default=None,
    help="grade the answers in this YAML file (exit 1 if any is wrong or missing)",
)
@click.option(
    "--width", type=click.IntRange(40, 400), default=80, show_default=True, help="text width"
)
def exercise(
    policy_name: str,
    processes: int,
    io: bool,
    solve: bool,
    answers_file: str | None,
    width: int,
    **kwargs: Any,
) -> None:
    """Print a random scheduling problem, as OSTEP's homework does: a few processes, a
    policy, and the questions (finish, turnaround, waiting and response time of each
    process; the average waiting time).  The same seed always gives the same problem.

    \b
    Examples:
      schedsim exercise --policy rr --quantum 2 --seed 7
      schedsim exercise --policy rr --quantum 2 --seed 7 --solve
      schedsim exercise --policy rr --quantum 2 --seed 7 --check answers.yaml
      schedsim exercise --policy mlfq --quantum 1,2,4 --io --seed 3 --solve
    """
    given = split_policy_options(kwargs)
    policy = build_policy(policy_name, given)
    settings = engine_settings(**kwargs)
    problem = make_exercise(policy, processes=processes, io=io, **settings)
    if answers_file is not None:
        marks = grade(problem, read_answers(answers_file), answers_file)
        click.echo(marks.text(), nl=False)
        if not marks.passed:
            sys.exit(EXIT_FAILURE)
        return
    if solve:
        click.echo(solution_text(problem, width=width), nl=False)
        return
    command = _command_line(policy_name, given, kwargs, processes, io)
    click.echo(problem_text(problem, command=command), nl=False)


def _command_line(
    policy_name: str, given: dict[str, Any], engine: dict[str, Any], processes: int, io: bool
) -> str:
    """The command that poses this same problem (to show how to check or solve it)."""
    words = ["schedsim", "exercise", "--policy", policy_name]
    for name, value in given.items():
        flag = "--" + name.replace("_", "-")
        if value is True:
            words.append(flag)
        elif value not in (None, False):
            words += [flag, str(value)]
    defaults = {"cpus": "1", "context_switch": "0", "ties": "arrivals-first", "locks": "none"}
    for name, value in engine.items():
        if name != "seed" and str(value) != defaults.get(name):
            words += ["--" + name.replace("_", "-"), str(value)]
    words += ["--seed", str(engine.get("seed", "0"))]
    if processes != 4:
        words += ["--processes", str(processes)]
    if io:
        words.append("--io")
    return shlex.join(words)
