"""The grid of a sweep: parsing ``--vary`` and ``--seeds``, and planning the points.

The grid is the cartesian product of the varied values, in the order they were given (the
first varied parameter outermost), times the seeds (innermost), for each workload file in
turn.  Everything is validated before anything runs: every workload file is loaded, every
value is parsed, and the policy is constructed for every combination of its varied options,
so a bad value fails at once with the option and the value named.
"""

from __future__ import annotations

import itertools
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from schedsim.engine import ON_MISS, TIES, check_run_options
from schedsim.errors import LimitError, OptionError
from schedsim.limits import MAX_SWEEP_POINTS
from schedsim.options import (
    Option,
    parse_int,
    parse_nonnegative_time,
    parse_positive_int,
)
from schedsim.options import shown as quoted
from schedsim.policies import REGISTRY, make_policy, policy_class
from schedsim.sweep.task import cached_workload
from schedsim.sync import LOCK_PROTOCOLS
from schedsim.workload import Workload

ENGINE_PARAMETERS = ("cpus", "context_switch", "ties", "locks", "on_miss")

_RANGE = re.compile(r"^\s*(-?[0-9]{1,18})\s*\.\.\s*(-?[0-9]{1,18})\s*$")


@dataclass(frozen=True)
class SweepPoint:
    """One run of the grid.

    ``workload`` is the file as the user named it (shown in output), ``path`` its absolute
    path (what workers open), ``name`` the workload's own name.  ``options`` are the policy
    options (fixed and varied, already parsed), ``settings`` the engine settings including
    the seed, and ``varied`` the varied values of this point as ``(name, value)`` pairs in
    the order the parameters were given."""

    workload: str
    path: str
    name: str
    policy: str
    options: Mapping[str, Any]
    settings: Mapping[str, Any]
    varied: tuple[tuple[str, Any], ...] = ()
    max_slices: int | None = None
    until: int | float | None = None  # the horizon of periodic tasks

    @property
    def seed(self) -> int:
        return int(self.settings.get("seed", 0))

    def describe(self) -> str:
        """``workloads/x.yaml: quantum=2, cpus=1, seed 3`` — where a failure happened."""
        values = [f"{name}={label(value)}" for name, value in self.varied]
        return f"{self.workload}: {', '.join([*values, f'seed {self.seed}'])}"


def label(value: Any) -> str:
    """A varied value as text: ``4``, ``0.5``, ``1e-09``, ``inf``, ``1/2/4``, ``true``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return "/".join(label(item) for item in value)
    if isinstance(value, float) and math.isinf(value):
        return "inf"
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return str(value)


def is_number(value: Any) -> bool:
    """A number as a value of a parameter (bools are not numbers here)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def parse_vary(spec: str) -> tuple[str, list[str]]:
    """``quantum=1,2,4`` or ``quantum=1..8`` or ``cpus=1..2,4`` -> name and value texts.

    Items are separated by commas; ``A..B`` is every whole number from A to B inclusive; a
    list-valued option (MLFQ's per-level quantum) writes each list with ``/``: ``1/2/4``."""
    name, sign, values = spec.partition("=")
    if not sign or not name.strip():
        raise OptionError(
            f"--vary {spec!r}: expected NAME=VALUES, e.g. quantum=1,2,4 or quantum=1..8"
        )
    name = option_name(name)
    return name, expand_values(values, f"--vary {name}")


def parse_vary_specs(specs: Iterable[str]) -> dict[str, list[str]]:
    """Several ``--vary`` specs -> ``{name: value texts}`` in the order given; every
    malformed spec is reported at once, and a name may appear only once."""
    parsed: dict[str, list[str]] = {}
    problems: list[str] = []
    for spec in specs:
        try:
            name, values = parse_vary(spec)
        except OptionError as error:
            problems.append(str(error))
            continue
        if name in parsed:
            problems.append(f"--vary {name}: given twice; list all its values in one --vary")
            continue
        parsed[name] = values
    _raise_all(problems)
    return parsed


def option_name(text: str) -> str:
    """``--Context-Switch`` -> ``context_switch``."""
    return text.strip().lstrip("-").strip().lower().replace("-", "_")


def expand_values(text: str, where: str) -> list[str]:
    """Split a comma list and expand whole-number ranges ``A..B`` (inclusive).  A list
    value is written ``1/2/4`` or in brackets, ``[1,2,4]``: commas inside brackets do not
    separate values."""
    items = [item.strip() for item in _split_outside_brackets(text)]
    if not text.strip():
        raise OptionError(f"{where}: no values; give a comma-separated list or a range A..B")
    if any(item == "" for item in items):
        raise OptionError(f"{where}: empty value in {text.strip()!r}")
    values: list[str] = []
    for item in items:
        if ".." not in item:
            values.append(item)
            continue
        match = _RANGE.match(item)
        if match is None:
            raise OptionError(
                f"{where}: a range takes whole numbers of at most 18 digits, A..B, got "
                f"{quoted(item)}"
            )
        low, high = int(match.group(1)), int(match.group(2))
        if low > high:
            raise OptionError(f"{where}: range {item!r} is empty; write it low..high")
        if high - low >= MAX_SWEEP_POINTS:
            raise LimitError(f"{where}: range {item!r} has more than {MAX_SWEEP_POINTS:,} values")
        values.extend(str(number) for number in range(low, high + 1))
    return values


def _split_outside_brackets(text: str) -> list[str]:
    """``[1,2,4],[2,4,8],3`` -> ``['[1,2,4]', '[2,4,8]', '3']``."""
    items: list[str] = []
    current: list[str] = []
    depth = 0
    for character in text:
        if character == "," and depth == 0:
            items.append("".join(current))
            current = []
            continue
        depth += {"[": 1, "]": -1}.get(character, 0)
        current.append(character)
    items.append("".join(current))
    return items


def parse_seeds(seeds: str | int | Sequence[int | str]) -> tuple[int, ...]:
    """``0..9``, ``1,5,7`` or a sequence of whole numbers >= 0, none repeated."""
    items: list[Any]
    if isinstance(seeds, str):
        items = list(expand_values(seeds, "--seeds"))
    elif isinstance(seeds, int):
        items = [seeds]
    else:
        items = list(seeds)
    if not items:
        raise OptionError("--seeds: no seeds; give a list or a range such as 0..9")
    parsed: list[int] = []
    seen: set[int] = set()
    for item in items:
        if isinstance(item, bool):
            raise OptionError(f"--seeds: expected a whole number, got {item!r}")
        try:
            value = parse_int(item)
        except OptionError as error:
            raise OptionError(f"--seeds: {error}") from None
        if value < 0:
            raise OptionError(f"--seeds: a seed must be >= 0, got {item!r}")
        if value in seen:
            raise OptionError(f"--seeds: seed {value} is given twice")
        seen.add(value)
        parsed.append(value)
    return tuple(parsed)


def plan_sweep(
    workloads: Sequence[str | Path],
    policy: str,
    vary: Mapping[str, str | Sequence[Any]] | None = None,
    *,
    seeds: str | int | Sequence[int | str] = (0,),
    options: Mapping[str, Any] | None = None,
    cpus: int = 1,
    context_switch: int | float = 0,
    ties: str = "arrivals-first",
    locks: str = "none",
    on_miss: str = "continue",
    until: int | float | None = None,
    max_slices: int | None = None,
) -> list[SweepPoint]:
    """The grid: for each workload, the product of the ``vary`` values (first key outermost)
    times the seeds (innermost).

    ``vary`` maps a policy option or engine setting (``cpus``, ``context_switch``, ``ties``)
    to its values: a sequence (text or typed values) or a string in the ``--vary`` syntax
    (``"1..8"``, ``"1,2,4"``).  ``options`` are fixed policy options; ``until`` is the
    horizon of periodic tasks, ``on_miss`` what a missed deadline does.  Raises OptionError
    naming the option and the value, for every problem found, before anything runs; and
    WorkloadError if a workload file is missing or invalid."""
    if not workloads:
        raise OptionError("no workload file given")
    cls = policy_class(policy)
    fixed = {key: value for key, value in (options or {}).items() if value is not None}
    declared = {option.name: option for option in cls.options}
    parameters = _varied_parameters(vary or {}, cls.name, declared, fixed)
    engine: dict[str, Any] = {"cpus": cpus, "context_switch": context_switch, "ties": ties}
    if locks != LOCK_PROTOCOLS[0]:  # only workloads that synchronise use it
        engine["locks"] = locks
    if on_miss != ON_MISS[0]:  # only workloads with deadlines use it
        engine["on_miss"] = on_miss
    seed_values = _checked_settings(parameters, engine, max_slices, seeds)
    if len(seed_values) > 1 and not cls.randomised:
        randomised = [name for name, other in REGISTRY.items() if other.randomised]
        raise OptionError(
            f"--seeds: {cls.name} draws no random numbers, so every seed gives the same "
            f"schedule ({len(seed_values)} identical runs per point); give one seed, or sweep "
            f"a randomised policy ({', '.join(randomised)})"
        )
    count = len(workloads) * len(seed_values) * math.prod(len(values) for _, values in parameters)
    if count > MAX_SWEEP_POINTS:
        raise LimitError(
            f"the sweep has {count:,} points, above the limit of {MAX_SWEEP_POINTS:,}; "
            "vary fewer values or split it into several sweeps"
        )
    option_parameters = [(name, values) for name, values in parameters if name in declared]
    _raise_all(_policy_problems(cls.name, fixed, option_parameters))
    files = _load_workloads(workloads, until)
    constructed = make_policy(cls.name, **{**fixed, **{n: v[0] for n, v in option_parameters}})
    fixed = {key: getattr(constructed, key) for key in fixed}  # parsed: "4" -> 4
    template = SweepPoint("", "", "", cls.name, fixed, engine, max_slices=max_slices, until=until)
    return _points(template, files, parameters, seed_values)


def _points(
    template: SweepPoint,
    files: Sequence[tuple[str, str, Workload]],
    parameters: Sequence[tuple[str, list[Any]]],
    seeds: Sequence[int],
) -> list[SweepPoint]:
    """Every point of the grid, in grid order: ``template`` (policy, fixed options, engine
    settings) with each workload, combination of varied values and seed filled in."""
    names = [name for name, _ in parameters]
    points: list[SweepPoint] = []
    for shown, path, workload in files:
        for combination in itertools.product(*(values for _, values in parameters)):
            varied = tuple(zip(names, combination, strict=True))
            options = dict(template.options)
            settings: dict[str, Any] = dict(template.settings)
            for name, value in varied:
                (settings if name in ENGINE_PARAMETERS else options)[name] = value
            points.extend(
                replace(
                    template,
                    workload=shown,
                    path=path,
                    name=workload.name,
                    options=options,
                    settings={**settings, "seed": seed},
                    varied=varied,
                )
                for seed in seeds
            )
    return points


def _varied_parameters(
    vary: Mapping[str, str | Sequence[Any]],
    policy: str,
    declared: Mapping[str, Option],
    fixed: Mapping[str, Any],
) -> list[tuple[str, list[Any]]]:
    """Each varied parameter's parsed values, in the order given; every problem at once."""
    problems: list[str] = []
    parameters: list[tuple[str, list[Any]]] = []
    for raw_name, raw_values in vary.items():
        name = option_name(raw_name)
        try:
            values = _parameter_values(name, raw_values, policy, declared, fixed)
        except OptionError as error:
            problems.append(str(error))
            continue
        if any(name == known for known, _ in parameters):
            problems.append(f"--vary {name}: given twice; list all its values in one --vary")
            continue
        parameters.append((name, values))
    _raise_all(problems)
    return parameters


def _checked_settings(
    parameters: Sequence[tuple[str, list[Any]]],
    engine: Mapping[str, Any],
    max_slices: int | None,
    seeds: str | int | Sequence[int | str],
) -> tuple[int, ...]:
    """Check the fixed engine settings and the slice limit, and parse the seeds; every
    problem at once."""
    problems: list[str] = []
    varied_engine = {name for name, _ in parameters if name in ENGINE_PARAMETERS}
    try:
        check_run_options(  # a varied setting's values were checked one by one
            1 if "cpus" in varied_engine else engine["cpus"],
            0 if "context_switch" in varied_engine else engine["context_switch"],
            TIES[0] if "ties" in varied_engine else engine["ties"],
            locks=engine.get("locks", LOCK_PROTOCOLS[0]),
            on_miss=engine.get("on_miss", ON_MISS[0]),
        )
    except OptionError as error:
        problems.append(str(error))
    if max_slices is not None and (
        isinstance(max_slices, bool) or not isinstance(max_slices, int) or max_slices < 1
    ):
        problems.append(f"--max-slices: must be a whole number >= 1, got {max_slices!r}")
    seed_values: tuple[int, ...] = ()
    try:
        seed_values = parse_seeds(seeds)
    except OptionError as error:
        problems.append(str(error))
    _raise_all(problems)
    return seed_values


def _parameter_values(
    name: str,
    raw_values: str | Sequence[Any],
    policy: str,
    declared: Mapping[str, Option],
    fixed: Mapping[str, Any],
) -> list[Any]:
    where = f"--vary {name}"
    if name == "seed":
        raise OptionError("--vary seed: give the seeds with --seeds (e.g. --seeds 0..9)")
    if name in fixed:
        raise OptionError(f"{where}: --{name.replace('_', '-')} is also given; give one of them")
    if name in ENGINE_PARAMETERS:
        parse = _ENGINE_PARSERS[name]
    elif name in declared:
        parse = declared[name].parse
    else:
        raise OptionError(_unknown_parameter(name, policy, declared))
    texts = expand_values(raw_values, where) if isinstance(raw_values, str) else list(raw_values)
    if not texts:
        raise OptionError(f"{where}: no values; give a comma-separated list or a range A..B")
    values: list[Any] = []
    seen: set[Any] = set()
    problems: list[str] = []
    for text in texts:
        try:
            value = parse(text)
        except OptionError as error:
            problems.append(f"{where}: {error}")
            continue
        if value in seen:  # a set: a range of 100,000 values is checked in linear time
            problems.append(f"{where}: value {label(value)!r} is given twice")
            continue
        seen.add(value)
        values.append(value)
    _raise_all(problems)
    return values


def _parse_ties(text: str) -> str:
    value = str(text).strip().lower()
    if value not in TIES:
        raise OptionError(f"must be one of {', '.join(TIES)}, got {text!r}")
    return value


def _parse_locks(text: str) -> str:
    if text not in LOCK_PROTOCOLS:
        raise OptionError(f"expected one of {', '.join(LOCK_PROTOCOLS)}, got {text!r}")
    return text


def _parse_on_miss(text: str) -> str:
    if text not in ON_MISS:
        raise OptionError(f"expected one of {', '.join(ON_MISS)}, got {text!r}")
    return text


def _parse_cpus(text: str | int) -> int:
    if isinstance(text, bool | float):
        raise OptionError(f"expected a whole number, got {text!r}")
    return parse_positive_int(text)


_ENGINE_PARSERS: dict[str, Callable[[Any], Any]] = {
    "cpus": _parse_cpus,
    "context_switch": parse_nonnegative_time,
    "ties": _parse_ties,
    "locks": _parse_locks,
    "on_miss": _parse_on_miss,
}


def _unknown_parameter(name: str, policy: str, declared: Mapping[str, Option]) -> str:
    import difflib

    choices = [*declared, *ENGINE_PARAMETERS]
    close = difflib.get_close_matches(name, choices, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return (
        f"--vary {name}: policy {policy!r} has no option {name!r}{hint}; "
        f"vary one of: {', '.join(choices)}"
    )


def _policy_problems(
    policy: str, fixed: Mapping[str, Any], parameters: Sequence[tuple[str, list[Any]]]
) -> list[str]:
    """Construct the policy for every combination of its varied options (options may
    constrain each other, e.g. MLFQ's levels and per-level quanta); one line per problem."""
    problems: dict[str, str] = {}  # each distinct problem, at the first combination with it
    counts: dict[str, int] = {}
    names = [name for name, _ in parameters]
    combinations = list(itertools.product(*(values for _, values in parameters)))
    for combination in combinations:
        chosen = dict(zip(names, combination, strict=True))
        try:
            make_policy(policy, **fixed, **chosen)
        except OptionError as error:
            shown = ", ".join(f"{name}={label(value)}" for name, value in chosen.items())
            problems.setdefault(str(error), f"{shown}: {error}" if shown else str(error))
            counts[str(error)] = counts.get(str(error), 0) + 1
    # a problem every combination has is not about the varied values: say it plainly
    return [
        text if counts[text] == len(combinations) else located for text, located in problems.items()
    ]


def _raise_all(problems: Sequence[str]) -> None:
    if not problems:
        return
    shown = list(problems[:20])
    if len(problems) > len(shown):
        shown.append(f"... and {len(problems) - len(shown)} more problem(s)")
    raise OptionError("\n       ".join(shown))


def _load_workloads(
    workloads: Sequence[str | Path], until: int | float | None = None
) -> list[tuple[str, str, Workload]]:
    """Load (and so validate) every workload file once, before anything runs."""
    files: list[tuple[str, str, Workload]] = []
    seen: dict[str, str] = {}
    for given in workloads:
        shown = str(given)
        path = os.path.abspath(given)
        if path in seen:
            raise OptionError(f"{shown}: workload file given twice (also as {seen[path]!r})")
        seen[path] = shown
        files.append((shown, path, cached_workload(shown, until)))
    return files
