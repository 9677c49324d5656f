"""Synthetic workloads: processes whose arrivals, bursts and attributes are drawn at random.

:func:`generate_workload` builds a :class:`~schedsim.workload.Workload` from distribution
specs (see :mod:`schedsim.distributions`).  The rules a user needs to predict the output:

* **Pids** are ``P1`` .. ``Pn`` in arrival order.
* **Arrivals**: ``batch`` puts every process at 0.  Otherwise the first process arrives at
  0 and each later one a random gap after the previous one: ``poisson:rate=R`` draws
  exponential gaps with mean 1/R; any other distribution spec is the gap distribution
  itself (``uniform:low=0,high=4``, ``constant:2``...).
* **Load**: ``load=L`` (instead of a rate) makes the arrivals Poisson with
  ``rate = L * cpus / mean CPU demand per process``, where the mean demand is the analytic
  mean CPU burst times the expected number of CPU bursts per process; the gaps drawn are
  then scaled by one factor so that the workload's offered load (its CPU bursts over the
  span of its arrivals, per CPU) is exactly ``L`` up to the rounding of times: the bursts
  actually drawn rarely sum to their mean.  Bursts without a finite mean (Pareto with
  alpha <= 1) cannot be given a load.
* **Bursts** default to ``exponential:mean=10`` when neither ``bursts`` nor a preset
  gives them.
* **I/O**: ``io="fraction=F,bursts=DIST,count=K"`` gives exactly ``round(F * n)`` randomly
  chosen processes ``K`` I/O bursts each, so their bursts read CPU, I/O, CPU, ... with
  ``K + 1`` CPU bursts, every CPU burst drawn from the burst distribution.
* **Times** are rounded to 4 decimal places (a burst is never below 0.0001), which keeps
  files readable and identical across platforms; with ``integer=True`` they are rounded up
  to whole numbers instead (bursts >= 1), like textbook workloads.  Rounding up raises the
  mean burst by about 0.5, so the offered load of an ``integer`` workload is a little above
  the target when bursts are short.  When every time comes out whole, the workload has
  integer times (and exact integer results).
* **Randomness**: one ``numpy`` seed, split into independent streams per column (class
  assignment, I/O choice, CPU bursts, I/O bursts, arrivals, priority, tickets, nice).  The
  same arguments and seed give the same workload; changing, say, ``priorities`` does not
  change the bursts or the arrivals, and changing ``load`` only rescales the arrival times.

A **preset** is a named set of these settings, possibly with several process classes
(``interactive-batch`` mixes short interactive processes that do I/O with long CPU-bound
ones).  Any argument given explicitly overrides the preset's value, for every class.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from schedsim.distributions import Distribution, Exponential, parse_distribution, parse_parameters
from schedsim.errors import LimitError, OptionError
from schedsim.limits import (
    MAX_GENERATED_BURSTS,
    MAX_GENERATED_IO_BURSTS,
    MAX_GENERATED_PROCESSES,
    MAX_GENERATED_TIME,
)
from schedsim.workload import DEFAULT_NICE, DEFAULT_PRIORITY, DEFAULT_TICKETS, Workload

DEFAULT_PROCESSES = 100
# CPU bursts when neither --bursts nor a preset says: the benchmarks' workload (mean 10).
DEFAULT_BURSTS = "exponential:mean=10"
DECIMALS = 4
RESOLUTION = 10.0**-DECIMALS
NICE_RANGE = (-20, 19)

T = TypeVar("T")

# Independent random streams, one per column, in this fixed order.
STREAMS = (
    "classes",
    "io_choice",
    "cpu_bursts",
    "io_bursts",
    "arrivals",
    "priority",
    "tickets",
    "nice",
    "io_count",  # appended: the streams before it (and so older workloads) are unchanged
)


@dataclass(frozen=True)
class IOSpec:
    """Which processes do I/O and how much: ``fraction=0.3,bursts=exponential:mean=5,count=2``.

    ``count`` is the number of I/O bursts of each chosen process: a whole number, or a
    distribution of whole numbers (``count=uniform:1..5``) drawn for each process."""

    fraction: float
    bursts: Distribution
    count: int | Distribution = 1

    @property
    def most(self) -> int:
        """The largest number of I/O bursts a process can get."""
        return self.count if isinstance(self.count, int) else int(self.count.high)

    def __str__(self) -> str:
        return f"fraction={self.fraction:g},bursts={self.bursts},count={self.count}"


@dataclass(frozen=True)
class Arrivals:
    """How processes arrive: ``batch`` (all at 0), or gaps drawn from ``gaps``.

    ``poisson`` without a rate has ``gaps=None`` until a load fixes the rate."""

    kind: str  # "batch", "poisson" or "gaps"
    gaps: Distribution | None = None

    def __str__(self) -> str:
        if self.kind == "batch":
            return "batch"
        if self.kind == "poisson":
            return f"poisson:rate={1 / self.gaps.mean:g}" if self.gaps else "poisson"
        return str(self.gaps)


@dataclass(frozen=True)
class ProcessClass:
    """A share of a preset's processes with its own burst and I/O settings."""

    name: str
    share: float
    bursts: str
    io: str | None = None


@dataclass(frozen=True)
class Preset:
    """Named settings for :func:`generate_workload`; explicit arguments override them."""

    name: str
    description: str
    processes: int
    classes: tuple[ProcessClass, ...]
    load: float | None = None
    arrivals: str | None = None

    def settings(self) -> list[str]:
        """The preset's values as the flags a user would type, one line per process class."""
        arrivals = (
            f"--load {self.load:g}" if self.load is not None else f"--arrivals {self.arrivals}"
        )
        lines = [f"--processes {self.processes} {arrivals}"]
        for process_class in self.classes:
            io = f"--io '{process_class.io}'" if process_class.io else "(no I/O)"
            prefix = (
                f"{process_class.share:.0%} {process_class.name}: " if len(self.classes) > 1 else ""
            )
            lines.append(f"{prefix}--bursts {process_class.bursts} {io}")
        return lines


PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset(
            "interactive-batch",
            "short interactive processes that block for I/O between CPU bursts, mixed with "
            "long CPU-bound batch jobs",
            processes=200,
            load=0.8,
            classes=(
                ProcessClass(
                    "interactive",
                    0.8,
                    "exponential:mean=2",
                    "fraction=1,bursts=exponential:mean=10,count=4",
                ),
                ProcessClass("batch", 0.2, "exponential:mean=40"),
            ),
        ),
        Preset(
            "heavy-tail",
            "CPU-bound processes whose bursts follow a Pareto law (alpha 1.5: finite mean 6, "
            "infinite variance) — a few huge jobs among many small ones",
            processes=1000,
            load=0.7,
            classes=(ProcessClass("all", 1.0, "pareto:alpha=1.5,min=2"),),
        ),
        Preset(
            "io-bound",
            "most processes alternate short CPU bursts with long I/O waits",
            processes=200,
            load=0.6,
            classes=(
                ProcessClass(
                    "all",
                    1.0,
                    "exponential:mean=2",
                    "fraction=0.9,bursts=exponential:mean=20,count=5",
                ),
            ),
        ),
    )
}


# -- parsing the arrivals and I/O specs ------------------------------------------------------

_IO_KEY = re.compile(r"(?:^|,)\s*(fraction|bursts|count)\s*=", re.IGNORECASE)
_IO_EXAMPLE = "fraction=0.3,bursts=exponential:mean=5,count=2"


def parse_arrivals(spec: str | Arrivals, *, option: str = "--arrivals") -> Arrivals:
    """``batch``, ``poisson:rate=R``, ``poisson`` (rate from a load) or a gap distribution."""
    if isinstance(spec, Arrivals):
        return spec
    text = spec.strip()
    name, _, body = text.partition(":")
    if name.strip().lower() == "batch" and not body.strip():
        return Arrivals("batch")
    if name.strip().lower() == "poisson":
        if not body.strip():
            return Arrivals("poisson")
        try:
            rate = parse_parameters("poisson", body, ("rate",))["rate"]
            if not rate > 0:
                raise OptionError(f"rate must be > 0, got {rate:g}")
        except OptionError as error:
            raise OptionError(f"{option} {spec!r}: {error}") from None
        return Arrivals("poisson", Exponential(1 / rate))
    gaps = parse_distribution(text, option=option)
    if gaps.low < 0:
        raise OptionError(
            f"{option} {spec!r}: inter-arrival gaps must be >= 0, but this can give "
            f"{gaps.low:g}; use batch, poisson:rate=R or a distribution of non-negative gaps"
        )
    return Arrivals("gaps", gaps)


def parse_io(spec: str | IOSpec | None, *, option: str = "--io") -> IOSpec | None:
    """``fraction=F,bursts=DISTRIBUTION,count=K`` (fraction default 1, count default 1);
    ``none`` for no I/O."""
    if spec is None or isinstance(spec, IOSpec):
        return spec
    text = spec.strip()
    if text.lower() == "none":
        return None
    where = f"{option} {spec!r}"
    matches = list(_IO_KEY.finditer(text))
    if not matches or matches[0].start() != 0:
        head = text[: matches[0].start()] if matches else text
        key = head.partition("=")[0].strip()
        problem = f"unknown key {key!r}" if "=" in head else "expected key=value pairs"
        raise OptionError(
            f"{where}: {problem}; write {_IO_EXAMPLE} (keys fraction, bursts, count) or none"
        )
    values: dict[str, str] = {}
    for position, match in enumerate(matches):
        key = match.group(1).lower()
        end = matches[position + 1].start() if position + 1 < len(matches) else len(text)
        if key in values:
            raise OptionError(f"{where}: {key} is given twice")
        values[key] = text[match.end() : end].strip()
    for key in ("fraction", "count"):
        if key in values and "," in values[key] and not (key == "count" and ":" in values[key]):
            extra = values[key].split(",", 1)[1].partition("=")[0].strip()
            raise OptionError(
                f"{where}: unknown key {extra!r}; the keys are fraction, bursts and count"
            )
    if "bursts" not in values:
        raise OptionError(f"{where}: missing bursts=DISTRIBUTION; write {_IO_EXAMPLE}")
    fraction = 1.0
    if "fraction" in values:
        try:
            fraction = float(values["fraction"])
        except ValueError:
            fraction = math.nan
        if not 0 <= fraction <= 1:
            raise OptionError(
                f"{where}: fraction must be a number from 0 to 1, got {values['fraction']!r}"
            )
    count: int | Distribution = 1
    if "count" in values:
        count = _io_count(values["count"], where)
    bursts = parse_distribution(values["bursts"], option=f"{option} bursts")
    _check_positive(bursts, f"{option} bursts", "I/O bursts")
    return IOSpec(fraction, bursts, count)


def _io_count(text: str, where: str) -> int | Distribution:
    """``count=``: a whole number, or a distribution of whole numbers, from 1 to 10,000."""
    rule = (
        f"count must be a whole number from 1 to {MAX_GENERATED_IO_BURSTS:,} or a distribution "
        "of them (e.g. uniform:1..5)"
    )
    if ":" not in text:
        try:
            count = int(text)
        except ValueError:
            count = 0
        if not 1 <= count <= MAX_GENERATED_IO_BURSTS:
            raise OptionError(f"{where}: {rule}, got {text!r}")
        return count
    counts = parse_distribution(text, option=f"{where} count")
    if not counts.integer or counts.low < 1 or counts.high > MAX_GENERATED_IO_BURSTS:
        raise OptionError(
            f"{where}: {rule}, but {counts.spec!r} can give "
            + (
                "values that are not whole numbers"
                if not counts.integer
                else f"values from {counts.low:g} to {counts.high:g}"
            )
        )
    return counts


def _check_positive(distribution: Distribution, option: str, what: str) -> None:
    if not distribution.positive:
        raise OptionError(
            f"{option} {distribution.spec!r}: {what} must be > 0, but this can give "
            f"{distribution.low:g}; choose a distribution of positive values"
        )


def _attribute(spec: str | Distribution, option: str) -> Distribution:
    """A priority/tickets/nice distribution: whole numbers within the attribute's range."""
    distribution = (
        spec if isinstance(spec, Distribution) else parse_distribution(spec, option=option)
    )
    where = f"{option} {distribution.spec!r}"
    if not distribution.integer:
        raise OptionError(
            f"{where}: {option.lstrip('-')} must be whole numbers; use uniform:LOW..HIGH or "
            "constant:N"
        )
    if option == "--tickets" and distribution.low < 1:
        raise OptionError(
            f"{where}: tickets must be >= 1, but this can give {distribution.low:g}; "
            "e.g. uniform:1..100"
        )
    if option == "--nice" and not (
        NICE_RANGE[0] <= distribution.low and distribution.high <= NICE_RANGE[1]
    ):
        raise OptionError(
            f"{where}: nice values must lie in {NICE_RANGE[0]}..{NICE_RANGE[1]}, but this can "
            f"give {distribution.low:g}..{distribution.high:g}"
        )
    return distribution


# -- generation --------------------------------------------------------------------------------


def generate_workload(
    *,
    processes: int | None = None,
    arrivals: str | Arrivals | None = None,
    bursts: str | Distribution | None = None,
    io: str | IOSpec | None = None,
    priorities: str | Distribution | None = None,
    tickets: str | Distribution | None = None,
    nice: str | Distribution | None = None,
    seed: int = 0,
    load: float | None = None,
    cpus: int = 1,
    name: str = "generated",
    integer: bool = False,
    preset: str | None = None,
) -> Workload:
    """A random workload; see the module docstring for the rules.

    Without a ``preset``, one of ``arrivals``/``load`` is required, ``bursts`` defaults to
    :data:`DEFAULT_BURSTS` and ``io=None`` means no I/O.  With one, every argument left at
    None takes the preset's value (``io="none"`` removes the preset's I/O).  Every bad
    argument is reported, in one :class:`OptionError`, before anything is sampled."""
    plan = _plan(
        processes=processes,
        arrivals=arrivals,
        bursts=bursts,
        io=io,
        attributes={"--priorities": priorities, "--tickets": tickets, "--nice": nice},
        seed=seed,
        load=load,
        cpus=cpus,
        name=name,
        preset=preset,
    )
    return _sample(plan, seed=seed, integer=integer)


@dataclass(frozen=True)
class _Plan:
    """Validated settings, ready to sample."""

    count: int
    arrivals: Arrivals
    load: float | None
    cpus: int
    classes: list[tuple[float, Distribution, IOSpec | None]]  # (share, bursts, io)
    attributes: dict[str, Distribution]  # by option name: --priorities, --tickets, --nice
    name: str


def _plan(
    *,
    processes: int | None,
    arrivals: str | Arrivals | None,
    bursts: str | Distribution | None,
    io: str | IOSpec | None,
    attributes: dict[str, str | Distribution | None],
    seed: int,
    load: float | None,
    cpus: int,
    name: str,
    preset: str | None,
) -> _Plan:
    """Check every argument and merge in the preset; raise one error listing all problems."""
    problems: list[str] = []

    def check(function: Callable[..., T], *args: Any) -> T | None:
        try:
            return function(*args)
        except OptionError as error:
            problems.append(str(error))
            return None

    chosen = check(_preset, preset)
    unknown_preset = preset is not None and chosen is None  # reported; skip follow-on errors
    requested = processes if processes is not None else chosen.processes if chosen else None
    count = check(_process_count, DEFAULT_PROCESSES if requested is None else requested)
    check(_check_seed, seed)
    check(_check_cpus, cpus)
    if load is not None:
        check(_check_load, load)
    if not isinstance(name, str) or not name.strip():
        problems.append(f"--name: must be a non-empty name, got {name!r}")

    if arrivals is None and load is None:
        if chosen is not None:
            arrivals, load = chosen.arrivals, chosen.load
        elif not unknown_preset:
            problems.append(
                "--arrivals or --load is required: e.g. --arrivals poisson:rate=0.5, "
                "--load 0.8, or --arrivals batch"
            )
    arrival_process: Arrivals | None = None
    if arrivals is not None:
        arrival_process = check(parse_arrivals, arrivals)
    elif load is not None:
        arrival_process = Arrivals("poisson")
    if arrival_process is not None:
        if load is not None and arrival_process.kind != "poisson":
            problems.append(
                f"--load sets a Poisson arrival rate; it cannot be combined with --arrivals "
                f"{arrivals!r} (use --arrivals poisson, or drop --load)"
            )
        elif load is not None and arrival_process.gaps is not None:
            problems.append(
                f"--load and --arrivals {arrivals!r} both set the arrival rate; give only one"
            )
        elif load is None and arrival_process.kind == "poisson" and arrival_process.gaps is None:
            problems.append(f"--arrivals {arrivals!r}: give a rate (poisson:rate=R) or --load L")

    classes: list[tuple[float, Distribution | None, IOSpec | None]] = []
    if chosen is not None:
        for process_class in chosen.classes:
            burst_spec = bursts if bursts is not None else process_class.bursts
            io_spec = io if io is not None else process_class.io
            classes.append(
                (process_class.share, check(_bursts, burst_spec), check(parse_io, io_spec))
            )
    elif not unknown_preset:
        burst_spec = bursts if bursts is not None else DEFAULT_BURSTS
        classes.append((1.0, check(_bursts, burst_spec), check(parse_io, io)))
    if load is not None:
        infinite = sorted({str(d) for _, d, _ in classes if d and math.isinf(d.mean)})
        if infinite:
            problems.append(
                f"--load: the bursts {', '.join(infinite)} have an infinite mean, so no arrival "
                "rate gives a finite load; use pareto with alpha > 1, or --arrivals "
                "poisson:rate=R"
            )
    checked = {
        option: check(_attribute, spec, option)
        for option, spec in attributes.items()
        if spec is not None
    }
    if count is not None:  # bound the bursts a workload may need before sampling any
        most_io = max((io_spec.most for _, _, io_spec in classes if io_spec), default=0)
        if count * (2 * most_io + 1) > MAX_GENERATED_BURSTS:
            problems.append(
                f"--io: {count:,} processes with up to {most_io:,} I/O bursts each would be "
                f"more than {MAX_GENERATED_BURSTS:,} bursts in all; use fewer processes or a "
                "smaller count"
            )
    if problems:
        raise OptionError("\n       ".join(dict.fromkeys(problems)))
    assert arrival_process is not None and count is not None  # guaranteed when no problems
    return _Plan(
        count=count,
        arrivals=arrival_process,
        load=load,
        cpus=cpus,
        classes=[(share, d, io_spec) for share, d, io_spec in classes if d is not None],
        attributes={option: d for option, d in checked.items() if d is not None},
        name=name.strip(),
    )


def _sample(plan: _Plan, *, seed: int, integer: bool) -> Workload:
    """Draw the workload: classes, I/O choice, bursts, then arrivals (a load needs the
    realised number of CPU bursts), then attributes; each from its own stream."""
    seeds = np.random.SeedSequence(seed).spawn(len(STREAMS))
    streams = {
        name: np.random.default_rng(child) for name, child in zip(STREAMS, seeds, strict=True)
    }
    count = plan.count
    class_of = _assign_classes(count, [share for share, _, _ in plan.classes], streams["classes"])
    io_count = np.zeros(count, dtype=np.int64)
    for index, (_, _, io_spec) in enumerate(plan.classes):
        if io_spec is None:
            continue
        members = np.flatnonzero(class_of == index)
        chosen_count = math.floor(io_spec.fraction * len(members) + 0.5)
        picked = streams["io_choice"].choice(members, size=chosen_count, replace=False)
        if isinstance(io_spec.count, int):
            io_count[np.sort(picked)] = io_spec.count
        else:
            io_count[np.sort(picked)] = io_spec.count.sample(streams["io_count"], chosen_count)

    lengths = 2 * io_count + 1
    offsets = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    owner = np.repeat(np.arange(count), lengths)
    is_cpu = (np.arange(offsets[-1]) - offsets[:-1][owner]) % 2 == 0
    values = np.empty(int(offsets[-1]), dtype=np.float64)
    demand = 0.0  # expected total CPU time, for the load
    for index, (_, distribution, io_spec) in enumerate(plan.classes):
        in_class = class_of[owner] == index
        cpu_slots = np.flatnonzero(in_class & is_cpu)
        values[cpu_slots] = distribution.sample(streams["cpu_bursts"], len(cpu_slots))
        demand += len(cpu_slots) * distribution.mean
        if io_spec is not None:
            io_slots = np.flatnonzero(in_class & ~is_cpu)
            values[io_slots] = io_spec.bursts.sample(streams["io_bursts"], len(io_slots))

    values = _round_times(values, integer=integer, minimum=1.0 if integer else RESOLUTION)
    gaps = plan.arrivals.gaps
    if plan.load is not None:
        gaps = Exponential(demand / count / (plan.load * plan.cpus))  # mean gap = 1 / rate
    arrival = np.zeros(count, dtype=np.float64)
    if gaps is not None and count > 1:
        np.cumsum(gaps.sample(streams["arrivals"], count - 1), out=arrival[1:])
    if plan.load is not None and count > 1 and arrival[-1] > 0:
        # The drawn bursts sum to more or less than their mean (by 20% for 200 processes of
        # the interactive-batch preset), so the Poisson gaps are scaled to make the offered
        # load -- the bursts drawn over the span of the arrivals -- the load asked for.
        total_cpu = float(values[is_cpu].sum())
        arrival *= total_cpu / (plan.load * plan.cpus) / arrival[-1]
    arrival = _round_times(arrival, integer=integer, minimum=0.0)
    _check_magnitude(arrival, values, plan)
    whole = integer or (
        bool(np.all(arrival == np.floor(arrival))) and bool(np.all(values == np.floor(values)))
    )
    time_type = np.int64 if whole else np.float64

    def column(option: str, default: int, stream: str) -> np.ndarray:
        distribution = plan.attributes.get(option)
        if distribution is None:
            return np.full(count, default, dtype=np.int64)
        return distribution.sample(streams[stream], count).astype(np.int64)

    return Workload(
        pid=[f"P{i}" for i in range(1, count + 1)],
        arrival=arrival.astype(time_type),
        burst_offsets=offsets,
        burst_values=values.astype(time_type),
        priority=column("--priorities", DEFAULT_PRIORITY, "priority"),
        tickets=column("--tickets", DEFAULT_TICKETS, "tickets"),
        nice=column("--nice", DEFAULT_NICE, "nice"),
        name=plan.name,
    )


def target_load(
    *, preset: str | None = None, arrivals: object = None, load: float | None = None
) -> float | None:
    """The load :func:`generate_workload` aims at for these arguments (None: no target)."""
    if load is not None:
        return load
    if arrivals is None and preset in PRESETS:
        return PRESETS[preset].load
    return None


def _preset(name: str | None) -> Preset | None:
    if name is None:
        return None
    if name not in PRESETS:
        raise OptionError(f"--preset: unknown preset {name!r}; known: {', '.join(PRESETS)}")
    return PRESETS[name]


def _process_count(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise OptionError(f"--processes: must be a whole number >= 1, got {value!r}")
    if value > MAX_GENERATED_PROCESSES:
        raise OptionError(
            f"--processes: at most {MAX_GENERATED_PROCESSES:,} processes, got {value:,}"
        )
    return int(value)


def _check_seed(seed: int) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise OptionError(f"--seed: must be a whole number >= 0, got {seed!r}")


def _check_cpus(cpus: int) -> None:
    if isinstance(cpus, bool) or not isinstance(cpus, int | np.integer) or cpus < 1:
        raise OptionError(f"--cpus: must be a whole number >= 1, got {cpus!r}")


def _check_load(load: float) -> None:
    if isinstance(load, bool) or not isinstance(load, int | float) or not 0 < load < math.inf:
        raise OptionError(f"--load: must be a number > 0, got {load!r} (e.g. 0.8 for 80% busy)")


def _bursts(spec: str | Distribution) -> Distribution:
    distribution = (
        spec if isinstance(spec, Distribution) else parse_distribution(spec, option="--bursts")
    )
    _check_positive(distribution, "--bursts", "CPU bursts")
    return distribution


def _assign_classes(count: int, shares: Sequence[float], rng: np.random.Generator) -> np.ndarray:
    """Exactly ``round(share * count)`` processes per class (cumulatively rounded, so the
    sizes add up to ``count``), placed at random."""
    if len(shares) == 1:
        return np.zeros(count, dtype=np.int64)
    bounds = [math.floor(math.fsum(shares[: i + 1]) * count + 0.5) for i in range(len(shares))]
    sizes = np.diff([0, *bounds[:-1], count])
    return np.repeat(np.arange(len(shares)), sizes)[rng.permutation(count)]


def _round_times(values: np.ndarray, *, integer: bool, minimum: float) -> np.ndarray:
    rounded = np.ceil(values) if integer else np.round(values, DECIMALS)
    return np.maximum(rounded, minimum) if minimum > 0 else rounded


def _check_magnitude(arrival: np.ndarray, values: np.ndarray, plan: _Plan) -> None:
    if len(values) and not values.max() < MAX_GENERATED_TIME:
        specs = [str(d) for _, d, _ in plan.classes]
        specs += [str(io_spec.bursts) for _, _, io_spec in plan.classes if io_spec]
        raise LimitError(
            f"a burst drawn from {', '.join(dict.fromkeys(specs))} is {values.max():.3g}, "
            f"beyond the time limit {MAX_GENERATED_TIME:.0e}; use a distribution with a lighter "
            "tail (e.g. pareto with a larger alpha)"
        )
    if len(arrival) and not arrival[-1] < MAX_GENERATED_TIME:
        raise LimitError(
            f"--arrivals {plan.arrivals}: the last arrival is at {arrival[-1]:.3g}, beyond the "
            f"time limit {MAX_GENERATED_TIME:.0e}; use a higher rate or fewer processes"
        )


# -- summary -----------------------------------------------------------------------------------


def offered_load(workload: Workload, cpus: int = 1) -> float | None:
    """Total CPU demand / (last arrival - first arrival) / cpus; None if all arrive at once."""
    if len(workload) == 0:
        return None
    span = float(workload.arrival.max() - workload.arrival.min())
    if span <= 0:
        return None
    return float(workload.cpu_total().sum()) / span / cpus


def summary(workload: Workload, *, cpus: int = 1, load: float | None = None) -> str:
    """One line: processes, how many do I/O, mean CPU burst, offered load."""
    count = len(workload)
    lengths = np.diff(workload.burst_offsets)
    cpu_bursts = int(((lengths + 1) // 2).sum())
    mean_burst = float(workload.cpu_total().sum()) / cpu_bursts if cpu_bursts else 0.0
    with_io = int((lengths > 1).sum())
    measured = offered_load(workload, cpus)
    cpu_word = "CPU" if cpus == 1 else "CPUs"
    offered = (
        "offered load n/a (all arrive at once)"
        if measured is None
        else f"offered load {measured:.3f} on {cpus} {cpu_word}"
    )
    if load is not None:
        offered += f" (target {load:g}"
        if measured is not None and abs(measured - load) > 0.005 * load:
            offered += (
                ": arrival times rounded up to whole numbers"
                if workload.is_integer
                else ": too few arrivals to set it"
            )
        offered += ")"
    return (
        f"{workload.name}: {count:,} processes ({with_io:,} with I/O), "
        f"mean CPU burst {mean_burst:.4g}, {offered}"
    )
