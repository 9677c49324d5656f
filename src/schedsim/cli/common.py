"""Option bundles shared by commands (policy options, engine options), declared once."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

import click

from schedsim.atomic import Outputs
from schedsim.engine import ON_MISS, TIES, check_run_options
from schedsim.errors import OptionError
from schedsim.limits import MAX_CPUS, MAX_TIME
from schedsim.loaders import check_until
from schedsim.options import (
    Option,
    parse_limit,
    parse_nonnegative_time,
    parse_size,
    shown,
)
from schedsim.policies import REGISTRY, Policy, make_policy
from schedsim.sync import LOCK_PROTOCOLS
from schedsim.workload import Time

F = Callable[..., Any]


class Choice(click.Choice):
    """click's choice of fixed words, whose error suggests the closest word."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter:
            words = [str(choice) for choice in self.choices]
            close = difflib.get_close_matches(str(value).lower(), words, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            self.fail(f"{shown(value)} is not one of {', '.join(words)}{hint}", param, ctx)


class _Number(click.ParamType):
    """click's int and float, quoting a bad value short: a pasted megabyte of digits must
    not become a megabyte of error message."""

    def __init__(self, kind: type[int] | type[float]) -> None:
        self.kind = kind
        self.name = "integer" if kind is int else "number"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, self.kind) and not isinstance(value, bool):
            return value
        text = str(value).strip()
        try:
            if self.kind is int and len(text) > 1_000:
                raise ValueError
            return self.kind(text)
        except (ValueError, OverflowError):
            self.fail(
                f"expected {'a whole number' if self.kind is int else 'a number'}, "
                f"got {shown(value)}",
                param,
                ctx,
            )


INTEGER = _Number(int)
FLOAT = _Number(float)


def declared_options() -> dict[str, tuple[Option, list[tuple[str, list[str]]]]]:
    """Every option any registered policy declares, with its help text per group of policies
    (policies that share a flag may differ in default, e.g. --quantum)."""
    found: dict[str, tuple[Option, list[tuple[str, list[str]]]]] = {}
    for name, cls in REGISTRY.items():
        for option in cls.options:
            _, helps = found.setdefault(option.name, (option, []))
            for text, owners in helps:
                if text == option.help:
                    owners.append(name)
                    break
            else:
                helps.append((option.help, [name]))
    return found


def policy_options(function: F) -> F:
    """Add one flag per declared policy option (``--quantum``, ``--levels``, ...).

    The flags are built from the policies' own declarations, so help cannot drift."""
    for name, (option, helps) in reversed(list(declared_options().items())):
        help_text = "; ".join(f"[{', '.join(owners)}] {text}" for text, owners in helps)
        if option.flag:
            decorator = click.option(
                option.cli_flag, name, is_flag=True, default=None, help=help_text
            )
        else:
            decorator = click.option(
                option.cli_flag, name, default=None, metavar=option.metavar, help=help_text
            )
        function = decorator(function)
    return function


def engine_options(function: F) -> F:
    """--cpus, --context-switch, --ties, --seed, --locks."""
    decorators = [
        click.option(
            "--cpus",
            default="1",
            metavar="N",
            show_default=True,
            help=f"identical CPUs sharing one ready queue (at most {MAX_CPUS:,})",
        ),
        click.option(
            "--context-switch",
            "context_switch",
            default="0",
            metavar="C",
            show_default=True,
            help="time charged whenever a CPU switches to a different process",
        ),
        click.option(
            "--ties",
            type=Choice(TIES),
            default="arrivals-first",
            show_default=True,
            help="order at equal times: arrivals-first or requeue-first (see README)",
        ),
        click.option(
            "--seed",
            default="0",
            metavar="N",
            show_default=True,
            help="seed for randomised policies (a whole number >= 0)",
        ),
        click.option(
            "--locks",
            type=Choice(LOCK_PROTOCOLS),
            default="none",
            show_default=True,
            help="lock protocol for processes that synchronise: none, inherit (priority "
            "inheritance) or ceiling (immediate priority ceiling); such workloads run the "
            "Python loop",
        ),
    ]
    for decorator in reversed(decorators):
        function = decorator(function)
    return function


def realtime_options(function: F) -> F:
    """--until, --on-miss: the horizon of periodic tasks and what a missed deadline does."""
    decorators = [
        click.option(
            "--until",
            metavar="T",
            default=None,
            help="periodic tasks release jobs before time T (default: one hyperperiod after "
            "the last phase)",
        ),
        click.option(
            "--on-miss",
            "on_miss",
            type=click.Choice(ON_MISS),
            default="continue",
            show_default=True,
            help="what a missed deadline does: continue (the job runs on), abort-job (the job "
            "is ended at its deadline) or stop (the run ends at the first miss)",
        ),
    ]
    for decorator in reversed(decorators):
        function = decorator(function)
    return function


def build_policy(name: str, options: dict[str, Any]) -> Policy:
    """Construct the named policy from the flags the user actually gave."""
    given = {key: value for key, value in options.items() if value is not None}
    return make_policy(name, **given)


def engine_settings(
    cpus: str,
    context_switch: str,
    ties: str,
    seed: str,
    locks: str = "none",
    on_miss: str = "continue",
) -> dict[str, Any]:
    """The engine's settings from the flags' text, every problem reported at once."""
    problems: list[str] = []

    def parsed(flag: str, parse: Callable[[str], Any], text: str) -> Any:
        try:
            return parse(text)
        except OptionError as error:
            problems.append(f"{flag}: {error}")
            return None

    count = parsed("--cpus", parse_cpus, cpus)
    cost = parsed("--context-switch", parse_switch_cost, context_switch)
    number = parsed("--seed", parse_seed, seed)
    if problems:
        raise OptionError("\n       ".join(problems))
    check_run_options(count, cost, ties, locks=locks, on_miss=on_miss)
    settings = {"cpus": count, "context_switch": cost, "ties": ties, "seed": number, "locks": locks}
    if on_miss != "continue":  # (only commands that take --on-miss pass it on)
        settings["on_miss"] = on_miss
    return settings


def parse_switch_cost(text: str) -> Time:
    """A context-switch cost: a time >= 0, at most the longest time a workload may hold (a
    larger cost would push the run's times towards infinity)."""
    cost = parse_nonnegative_time(text)
    if cost > MAX_TIME:
        raise OptionError(f"must be <= {MAX_TIME:,} (the longest time allowed), got {shown(text)}")
    return cost


def parse_cpus(text: str | int) -> int:
    """A CPU count: a whole number in 1..MAX_CPUS."""
    try:
        value = int(str(text).strip())
    except ValueError:
        raise OptionError(f"must be a whole number >= 1, got {shown(text)}") from None
    if value < 1:
        raise OptionError(f"must be a whole number >= 1, got {value}")
    if value > MAX_CPUS:
        raise OptionError(f"must be at most {MAX_CPUS:,}, got {shown(value)}")
    return value


def parse_seed(text: str | int) -> int:
    """A seed: any whole number >= 0 (numpy's generators take integers of any size; a
    thousand digits is plenty)."""
    raw = str(text).strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 1000:
        raise OptionError(f"must be a whole number >= 0, got {shown(text)}")
    return int(raw)


def workload_limit_options(function: F) -> F:
    """--max-processes, --max-file-size: raise (or lift, with 'none') the loader's limits."""
    decorators = [
        click.option(
            "--max-processes",
            metavar="N|none",
            default=None,
            help="refuse workloads with more processes (default 200,000 for YAML/JSON, "
            "10,000,000 for CSV/NPZ)",
        ),
        click.option(
            "--max-file-size",
            metavar="SIZE|none",
            default=None,
            help="refuse larger files, e.g. 2G (default 64M for YAML/JSON, 512M for CSV/NPZ)",
        ),
    ]
    for decorator in reversed(decorators):
        function = decorator(function)
    return function


def workload_limits(
    max_processes: str | None, max_file_size: str | None, until: str | None = None
) -> dict[str, Any]:
    """Keyword arguments for ``load_workload`` from the limit flags and ``--until``
    (absent: the defaults)."""
    limits: dict[str, Any] = {}
    if until is not None:
        limits["until"] = check_until(until)
    try:
        if max_processes is not None:
            limits["max_processes"] = parse_limit(max_processes)
    except OptionError as error:
        raise OptionError(f"--max-processes: {error}") from None
    try:
        if max_file_size is not None:
            limits["max_bytes"] = parse_size(max_file_size)
    except OptionError as error:
        raise OptionError(f"--max-file-size: {error}") from None
    return limits


def split_policy_options(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Pop the policy flags out of a command's keyword arguments."""
    return {name: kwargs.pop(name) for name in list(declared_options()) if name in kwargs}


def format_option(*choices: str, help: str = "what to print") -> Callable[[F], F]:
    """``--format`` for a command's standard output (the first choice is the default);
    ``help`` says what each choice holds."""
    return click.option(
        "--format",
        "output_format",
        type=Choice(list(choices)),
        default=choices[0],
        show_default=True,
        help=help,
    )


def trace_option(function: F) -> F:
    """``--trace FILE.json``: also write the run as a Chrome Trace Event / Perfetto timeline."""
    return click.option(
        "--trace",
        "trace_file",
        metavar="FILE.json",
        default=None,
        help="also write a Chrome Trace Event timeline (open it in ui.perfetto.dev or "
        "chrome://tracing): one track per CPU and per process",
    )(function)


def trace_unit_option(function: F) -> F:
    """``--unit DURATION``: the real length of one time unit in a ``--trace`` timeline."""
    return click.option(
        "--unit",
        "trace_unit",
        metavar="DURATION",
        default=None,
        help="real length of one time unit in the --trace timeline: 1ms (the default for a "
        "simulation; a measured result keeps its own), 10us, 0.5s",
    )(function)


def check_trace_file(trace_file: str | None, outputs: Outputs) -> None:
    """Refuse a bad ``--trace`` name before any work: it must be a writable ``.json`` (and
    not an input, nor another output's file)."""
    if trace_file is None:
        return
    from pathlib import Path

    if Path(trace_file).suffix.lower() != ".json":
        raise OptionError(f"--trace {trace_file}: a trace is JSON; name it FILE.json")
    outputs.check(trace_file)
