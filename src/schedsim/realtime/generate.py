"""Random periodic task sets, reproducible from one seed.

Utilisations come from **UUniFast** (Bini & Buttazzo, "Measuring the performance of
schedulability tests", 2005): n utilisations uniformly distributed over the set whose sum
is the target U.  Above U = 1 a task could need more than its period, so such sets are
redrawn until no task does (UUniFast-Discard, Davis & Burns, 2009).  Periods are
**log-uniform** between two bounds (Emberson, Stafford & Davis, 2010), so that every order
of magnitude is as likely; each task's wcet is its utilisation times its period, and its
deadline is its period (implicit deadlines).

Times are rounded to 4 decimals; ``integer=True`` rounds periods to whole numbers and
wcets to the nearest whole number (at least 1, at most the period), as textbook task sets
are written — the utilisation then moves a little, and the summary line says by how much.
The same options and seed give the same file, byte for byte (for a given numpy version).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from schedsim.errors import LimitError, OptionError
from schedsim.limits import MAX_GENERATED_TASKS, MAX_GENERATED_TIME, MAX_HORIZON
from schedsim.realtime.tasks import hyperperiod

DECIMALS = 4
DEFAULT_TASKS = 5
DEFAULT_UTILISATION = 0.7
DEFAULT_PERIODS = (10.0, 100.0)
MAX_DISCARDS = 10_000  # UUniFast-Discard draws at most this many sets

_RANGE = re.compile(r"^\s*([0-9.eE+-]+)\s*\.\.\s*([0-9.eE+-]+)\s*$")


def uunifast(count: int, utilisation: float, rng: np.random.Generator) -> np.ndarray:
    """``count`` utilisations summing to ``utilisation``, uniformly over that simplex."""
    out = np.empty(count)
    remaining = utilisation
    for index in range(count - 1):
        following = remaining * rng.random() ** (1.0 / (count - 1 - index))
        out[index] = remaining - following
        remaining = following
    out[count - 1] = remaining
    return out


def parse_periods(text: str | Sequence[float]) -> tuple[float, float]:
    """``"10..100"`` -> (10.0, 100.0): the bounds of log-uniform periods."""
    if isinstance(text, str):
        match = _RANGE.match(text)
        if match is None:
            raise OptionError(
                f"--periods: expected a range LOW..HIGH such as 10..100, got {text!r}"
            )
        try:
            low, high = float(match[1]), float(match[2])
        except ValueError:
            raise OptionError(f"--periods: expected numbers, got {text!r}") from None
    else:
        low, high = (float(value) for value in text)
    if not (0 < low <= high < MAX_GENERATED_TIME) or math.isnan(low + high):
        raise OptionError(
            f"--periods: need 0 < LOW <= HIGH < {MAX_GENERATED_TIME:.0e}, got {low:g}..{high:g}"
        )
    return low, high


def generate_tasks(
    count: int = DEFAULT_TASKS,
    utilisation: float = DEFAULT_UTILISATION,
    *,
    periods: str | Sequence[float] = DEFAULT_PERIODS,
    seed: int = 0,
    integer: bool = False,
) -> list[dict[str, Any]]:
    """``count`` periodic tasks (``pid`` T1..Tn, ``period``, ``wcet``) whose utilisations
    add up to ``utilisation`` (see the module docstring)."""
    _check(count, utilisation, seed)
    low, high = parse_periods(periods)
    rng = np.random.default_rng(seed)
    for _ in range(MAX_DISCARDS):
        shares = uunifast(count, utilisation, rng)
        if shares.max() <= 1:
            break
    else:  # pragma: no cover - needs U close to count
        raise LimitError(
            f"--utilisation {utilisation:g}: no set of {count} tasks with every task's "
            f"utilisation <= 1 in {MAX_DISCARDS:,} draws; ask for less utilisation or more tasks"
        )
    drawn = np.exp(rng.uniform(math.log(low), math.log(high), count))
    tasks = []
    for index, (share, period) in enumerate(zip(shares.tolist(), drawn.tolist(), strict=True)):
        if integer:
            whole = max(1, round(period))
            tasks.append(
                {
                    "pid": f"T{index + 1}",
                    "period": whole,
                    "wcet": min(whole, max(1, round(share * whole))),
                }
            )
        else:
            rounded = round(period, DECIMALS)
            wcet = min(rounded, max(10.0**-DECIMALS, round(share * rounded, DECIMALS)))
            tasks.append({"pid": f"T{index + 1}", "period": rounded, "wcet": wcet})
    return tasks


def _check(count: int, utilisation: float, seed: int) -> None:
    problems = []
    if (
        isinstance(count, bool)
        or not isinstance(count, int)
        or not 1 <= count <= MAX_GENERATED_TASKS
    ):
        problems.append(
            f"--processes: the number of tasks must be 1..{MAX_GENERATED_TASKS:,}, got {count!r}"
        )
    elif (
        isinstance(utilisation, bool)
        or not isinstance(utilisation, int | float)
        or not 0 < utilisation <= count
    ):
        problems.append(
            f"--utilisation: must be > 0 and at most the number of tasks ({count}), got "
            f"{utilisation!r}"
        )
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        problems.append(f"--seed: must be a whole number >= 0, got {seed!r}")
    if problems:
        raise OptionError("\n       ".join(problems))


def tasks_document(tasks: Sequence[dict[str, Any]], name: str, *, json_format: bool = False) -> str:
    """The task set as a workload file: YAML (deterministic, one task a line) or JSON."""
    if json_format:
        import json

        return json.dumps({"name": name, "processes": list(tasks)}, indent=2) + "\n"
    lines = [f"name: {_yaml_name(name)}", "processes:"]
    for task in tasks:
        lines.append(
            f"  - {{pid: {task['pid']}, period: {_number(task['period'])}, "
            f"wcet: {_number(task['wcet'])}}}"
        )
    return "\n".join(lines) + "\n"


def task_summary(tasks: Sequence[dict[str, Any]], name: str, target: float) -> str:
    """One line: how many tasks, the utilisation written (and the target), the periods and
    the hyperperiod (and the advice to give --until when it is long)."""
    utilisation = sum(Fraction(str(task["wcet"])) / Fraction(str(task["period"])) for task in tasks)
    periods = [task["period"] for task in tasks]
    try:
        whole = hyperperiod(periods)
        length = f"hyperperiod {whole.numerator if whole.denominator == 1 else float(whole)!r}"
    except ValueError:
        length = f"hyperperiod over {MAX_HORIZON:.0e}: give --until when you run it"
    return (
        f"{name}: {len(tasks)} periodic tasks, utilisation {float(utilisation):.4f} (target "
        f"{target:g}), periods {_number(min(periods))}..{_number(max(periods))}, {length}"
    )


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return f"{value:.1f}"
    return repr(value) if isinstance(value, float) else str(value)


def _yaml_name(name: str) -> str:
    import json

    return name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", name) else json.dumps(name)
