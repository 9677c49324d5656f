"""Parameter sweeps: one policy over a grid of option and engine values, seeds and workloads,
run on a local process pool (the default), in-process, or on a Dask cluster.

Example::

    from schedsim.sweep import plan_sweep, run_sweep, sweep_table

    points = plan_sweep(["workloads/interactive_batch.yaml"], "rr", {"quantum": "1..8"})
    results = run_sweep(points)                  # local process pool
    results = run_sweep(points, executor="tcp://scheduler:8786")   # an existing Dask cluster
    print(sweep_table(results))

The grid is the cartesian product of the varied values, in the order they were given (the
first varied parameter outermost), times the seeds (innermost), for each workload file in
turn.  Everything is validated before anything runs: every workload file is loaded, every
value is parsed, and the policy is constructed for every combination of its varied options,
so a bad value fails at once with the option and the value named.

Determinism: a point's result depends only on the point (workload, policy, options, engine
settings, seed), and results come back in grid order whatever order the workers finish in,
so a sweep gives identical output run serially, on any number of local workers or on Dask.
When points fail, the error reported is that of the failing point first in grid order.

Workers receive the workload's *path*, never the workload itself, and load each file once
per worker process (a small cache keyed by the file's path, modification time and size).
On a local pool the workers are forked from the process that already loaded the files, so
they start with them.  Dask workers open the same absolute path, so they must share the
file system with the machine that submits the sweep.  Each task returns only the run's
summary metrics (a small dict), never its timeline.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import multiprocessing
import os
import re
import signal
import socket
import statistics
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from schedsim import __version__
from schedsim.api import load_workload, simulate
from schedsim.compare import METRIC_BY_KEY, Metric
from schedsim.engine import TIES, check_run_options
from schedsim.errors import ExecutionError, LimitError, OptionError, SchedsimError
from schedsim.limits import MAX_SWEEP_POINTS
from schedsim.options import (
    Option,
    parse_int,
    parse_nonnegative_time,
    parse_positive_int,
    parse_time_list,
)
from schedsim.policies import make_policy, policy_class
from schedsim.report import fmt
from schedsim.workload import Workload

if TYPE_CHECKING:
    from matplotlib.figure import Figure

ENGINE_PARAMETERS = ("cpus", "context_switch", "ties")
SERIAL_BELOW = 4  # fewer points than this run in-process: a pool would only add start-up time
CONNECT_TIMEOUT = 5.0  # seconds to wait for a Dask scheduler to answer
CACHED_WORKLOADS = 8  # workloads each process keeps loaded
SWEEP_METRICS = (
    "avg_turnaround",
    "avg_waiting",
    "avg_response",
    "p95_response",
    "throughput",
    "cpu_utilisation",
    "context_switches",
)
EXECUTORS = ("local", "serial", "dask-local")

_RANGE = re.compile(r"^\s*(-?\d+)\s*\.\.\s*(-?\d+)\s*$")

Progress = Callable[[], None]


# -- the grid --------------------------------------------------------------------------------
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

    @property
    def seed(self) -> int:
        return int(self.settings.get("seed", 0))

    def describe(self) -> str:
        """``workloads/x.yaml: quantum=2, cpus=1, seed 3`` — where a failure happened."""
        values = [f"{name}={label(value)}" for name, value in self.varied]
        return f"{self.workload}: {', '.join([*values, f'seed {self.seed}'])}"


@dataclass(frozen=True)
class SweepResult:
    """A point and the summary metrics of its run (see :func:`schedsim.metrics.summarize`)."""

    point: SweepPoint
    summary: dict[str, Any]


@dataclass(frozen=True)
class Aggregate:
    """The runs of one point over all its seeds: mean and sample standard deviation of each
    summary metric (the deviation is 0 with a single seed)."""

    workload: str
    name: str
    varied: tuple[tuple[str, Any], ...]
    seeds: tuple[int, ...]
    mean: dict[str, float]
    deviation: dict[str, float]


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
    """Split a comma list and expand whole-number ranges ``A..B`` (inclusive)."""
    items = [item.strip() for item in text.split(",")]
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
            raise OptionError(f"{where}: a range takes whole numbers, A..B, got {item!r}")
        low, high = int(match.group(1)), int(match.group(2))
        if low > high:
            raise OptionError(f"{where}: range {item!r} is empty; write it low..high")
        if high - low >= MAX_SWEEP_POINTS:
            raise LimitError(f"{where}: range {item!r} has more than {MAX_SWEEP_POINTS:,} values")
        values.extend(str(number) for number in range(low, high + 1))
    return values


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
    for item in items:
        if isinstance(item, bool):
            raise OptionError(f"--seeds: expected a whole number, got {item!r}")
        try:
            value = parse_int(item)
        except OptionError as error:
            raise OptionError(f"--seeds: {error}") from None
        if value < 0:
            raise OptionError(f"--seeds: a seed must be >= 0, got {item!r}")
        if value in parsed:
            raise OptionError(f"--seeds: seed {value} is given twice")
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
    max_slices: int | None = None,
) -> list[SweepPoint]:
    """The grid: for each workload, the product of the ``vary`` values (first key outermost)
    times the seeds (innermost).

    ``vary`` maps a policy option or engine setting (``cpus``, ``context_switch``, ``ties``)
    to its values: a sequence (text or typed values) or a string in the ``--vary`` syntax
    (``"1..8"``, ``"1,2,4"``).  ``options`` are fixed policy options.  Raises OptionError
    naming the option and the value, for every problem found, before anything runs; and
    WorkloadError if a workload file is missing or invalid."""
    if not workloads:
        raise OptionError("no workload file given")
    cls = policy_class(policy)
    fixed = {key: value for key, value in (options or {}).items() if value is not None}
    declared = {option.name: option for option in cls.options}
    problems: list[str] = []
    parameters: list[tuple[str, list[Any]]] = []
    for raw_name, raw_values in (vary or {}).items():
        name = option_name(raw_name)
        try:
            values = _parameter_values(name, raw_values, cls.name, declared, fixed)
        except OptionError as error:
            problems.append(str(error))
            continue
        if any(name == known for known, _ in parameters):
            problems.append(f"--vary {name}: given twice; list all its values in one --vary")
            continue
        parameters.append((name, values))
    engine = {"cpus": cpus, "context_switch": context_switch, "ties": ties}
    _raise_all(problems)
    varied_engine = {name for name, _ in parameters if name in ENGINE_PARAMETERS}
    try:
        check_run_options(  # a varied setting's values were checked one by one
            1 if "cpus" in varied_engine else cpus,
            0 if "context_switch" in varied_engine else context_switch,
            TIES[0] if "ties" in varied_engine else ties,
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
    count = len(workloads) * len(seed_values) * math.prod(len(values) for _, values in parameters)
    if count > MAX_SWEEP_POINTS:
        raise LimitError(
            f"the sweep has {count:,} points, above the limit of {MAX_SWEEP_POINTS:,}; "
            "vary fewer values or split it into several sweeps"
        )
    option_parameters = [(name, values) for name, values in parameters if name in declared]
    _raise_all(_policy_problems(cls.name, fixed, option_parameters))
    files = _load_workloads(workloads)
    constructed = make_policy(cls.name, **{**fixed, **{n: v[0] for n, v in option_parameters}})
    fixed = {key: getattr(constructed, key) for key in fixed}  # parsed: "4" -> 4
    names = [name for name, _ in parameters]
    points: list[SweepPoint] = []
    for shown, path, workload in files:
        for combination in itertools.product(*(values for _, values in parameters)):
            varied = tuple(zip(names, combination, strict=True))
            point_options = dict(fixed)
            point_settings: dict[str, Any] = dict(engine)
            for name, value in varied:
                (point_settings if name in ENGINE_PARAMETERS else point_options)[name] = value
            points.extend(
                SweepPoint(
                    workload=shown,
                    path=path,
                    name=workload.name,
                    policy=cls.name,
                    options=point_options,
                    settings={**point_settings, "seed": seed},
                    varied=varied,
                    max_slices=max_slices,
                )
                for seed in seed_values
            )
    return points


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
    problems: list[str] = []
    for text in texts:
        given = text
        if isinstance(text, str) and "/" in text and parse is parse_time_list:
            given = text.replace("/", ",")  # MLFQ's per-level list: 1/2/4
        try:
            value = parse(given)
        except OptionError as error:
            problems.append(f"{where}: {error}")
            continue
        if value in values:
            problems.append(f"{where}: value {label(value)!r} is given twice")
            continue
        values.append(value)
    _raise_all(problems)
    return values


def _parse_ties(text: str) -> str:
    value = str(text).strip().lower()
    if value not in TIES:
        raise OptionError(f"must be one of {', '.join(TIES)}, got {text!r}")
    return value


def _parse_cpus(text: str | int) -> int:
    if isinstance(text, bool | float):
        raise OptionError(f"expected a whole number, got {text!r}")
    return parse_positive_int(text)


_ENGINE_PARSERS: dict[str, Callable[[Any], Any]] = {
    "cpus": _parse_cpus,
    "context_switch": parse_nonnegative_time,
    "ties": _parse_ties,
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


def _load_workloads(workloads: Sequence[str | Path]) -> list[tuple[str, str, Workload]]:
    """Load (and so validate) every workload file once, before anything runs."""
    files: list[tuple[str, str, Workload]] = []
    seen: dict[str, str] = {}
    for given in workloads:
        shown = str(given)
        path = os.path.abspath(given)
        if path in seen:
            raise OptionError(f"{shown}: workload file given twice (also as {seen[path]!r})")
        seen[path] = shown
        files.append((shown, path, cached_workload(shown)))
    return files


# -- running one point -----------------------------------------------------------------------
_cache: OrderedDict[tuple[str, int, int], Workload] = OrderedDict()
_cache_lock = threading.Lock()


def cached_workload(path: str | Path) -> Workload:
    """Load a workload file, or reuse this process's copy if the file is unchanged (same
    absolute path, modification time and size)."""
    try:
        status = os.stat(path)
    except OSError:
        return load_workload(path)  # the loader reports the missing file properly
    key = (os.path.abspath(path), status.st_mtime_ns, status.st_size)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    workload = load_workload(path)
    with _cache_lock:
        _cache[key] = workload
        while len(_cache) > CACHED_WORKLOADS:
            _cache.popitem(last=False)
    return workload


def run_point(point: SweepPoint) -> dict[str, Any]:
    """Simulate one point without a timeline and return its summary (what a worker does)."""
    result = simulate(
        cached_workload(point.path),
        point.policy,
        timeline=False,
        max_slices=point.max_slices,
        **point.settings,
        **point.options,
    )
    return result.summary


# -- running the grid ------------------------------------------------------------------------
def run_sweep(
    points: Sequence[SweepPoint],
    *,
    executor: Any = "local",
    jobs: int | None = None,
    progress: Progress | None = None,
) -> list[SweepResult]:
    """Run every point and return the results in grid order.

    ``executor``: ``"local"`` (a process pool of ``jobs`` workers, default one per CPU;
    fewer than 4 points or ``jobs=1`` run in-process), ``"serial"`` (in-process),
    ``"dask-local"`` (a Dask LocalCluster of ``jobs`` worker processes, for this run only),
    a Dask scheduler address (``"tcp://host:8786"``) or a ``distributed.Client``.
    ``progress`` is called once per finished point.

    A failing point stops the sweep: the points after it are cancelled and its error is
    raised, prefixed with where it happened (:meth:`SweepPoint.describe`)."""
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise OptionError(f"--jobs: must be a whole number >= 1, got {jobs!r}")
    points = list(points)
    collector = _Collector(points, progress)
    if not points:
        return []
    if isinstance(executor, str) and executor in ("local", "serial"):
        if executor == "serial" or jobs == 1 or len(points) < SERIAL_BELOW:
            _run_serial(collector)
        else:
            _run_pool(collector, min(jobs or available_cpus(), len(points)))
    elif isinstance(executor, str) and executor != "dask-local" and ":" not in executor:
        raise OptionError(
            f"unknown executor {executor!r}; use {', '.join(EXECUTORS)}, "
            "a Dask scheduler address (tcp://host:8786) or a distributed.Client"
        )
    else:
        _run_dask(collector, executor, jobs)
    return collector.results()


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the system has one)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class _Collector:
    """Results by grid index, and the failure first in grid order."""

    def __init__(self, points: list[SweepPoint], progress: Progress | None) -> None:
        self.points = points
        self.summaries: list[dict[str, Any] | None] = [None] * len(points)
        self.progress = progress
        self.failed_index: int | None = None
        self.failure: BaseException | None = None

    def wanted(self, index: int) -> bool:
        """Whether the point still matters: everything before the first failure does."""
        return self.failed_index is None or index < self.failed_index

    def done(self, index: int, summary: dict[str, Any]) -> None:
        self.summaries[index] = summary
        if self.progress is not None:
            self.progress()

    def failed(self, index: int, error: BaseException) -> None:
        if isinstance(error, KeyboardInterrupt):
            raise KeyboardInterrupt
        if self.wanted(index):
            self.failed_index, self.failure = index, error

    def results(self) -> list[SweepResult]:
        if self.failed_index is not None and self.failure is not None:
            raise _located(self.failure, self.points[self.failed_index])
        summaries = self.summaries
        return [
            SweepResult(point, summary)
            for point, summary in zip(self.points, summaries, strict=True)
            if summary is not None
        ]


def _located(error: BaseException, point: SweepPoint) -> BaseException:
    """The same kind of error, saying which point failed."""
    where = point.describe()
    if isinstance(error, BrokenProcessPool):
        return ExecutionError(
            f"{where}: a worker process died before this point finished (killed, or out of "
            "memory?); the sweep stopped"
        )
    if isinstance(error, SchedsimError):
        try:
            located = type(error)(f"{where}: {error}")
        except Exception:
            located = SchedsimError(f"{where}: {error}")
            located.exit_code = error.exit_code
        return located
    if type(error).__name__ == "KilledWorker":
        return ExecutionError(f"{where}: Dask workers died running this point ({error})")
    if isinstance(error, ImportError):
        return ExecutionError(
            f"{where}: a worker cannot import schedsim ({error}); install schedsim on every "
            "Dask worker"
        )
    return RuntimeError(f"{where}: {type(error).__name__}: {error}")


def _run_serial(collector: _Collector) -> None:
    for index, point in enumerate(collector.points):
        try:
            summary = run_point(point)
        except Exception as error:  # reported as a pool or Dask run would report it
            collector.failed(index, error)
            return
        collector.done(index, summary)


def _ignore_interrupts() -> None:
    """Pool workers leave Ctrl-C to the parent, which stops them (no traceback per worker)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _pool_context() -> Any:
    """Fork on Linux: workers start at once, inherit the workloads already loaded, and leave
    no helper process behind (spawn and forkserver keep a resource tracker, forkserver its
    server, alive until the program exits).  A forked worker only unpickles points and
    simulates, so it needs no lock another thread of the parent could have held.  Elsewhere
    the platform's default (spawn), where workers load the workloads themselves."""
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def _run_pool(collector: _Collector, workers: int) -> None:
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=_pool_context(), initializer=_ignore_interrupts
    )
    finished = False
    try:
        futures: dict[Future[dict[str, Any]], int] = {
            pool.submit(run_point, point): index for index, point in enumerate(collector.points)
        }
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=futures.__getitem__):
                index = futures[future]
                if future.cancelled() or not collector.wanted(index):
                    continue
                error = future.exception()
                if error is None:
                    collector.done(index, future.result())
                else:
                    collector.failed(index, error)
            if collector.failed_index is not None:
                for future in pending:
                    if not collector.wanted(futures[future]):
                        future.cancel()
                pending = {future for future in pending if collector.wanted(futures[future])}
        finished = collector.failed_index is None
    finally:
        _stop_pool(pool, terminate=not finished)


def _stop_pool(pool: ProcessPoolExecutor, *, terminate: bool) -> None:
    """Shut the pool down and reap its workers; after a failure or Ctrl-C, without waiting
    for points still running."""
    if terminate:
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join()
    pool.shutdown(wait=True, cancel_futures=True)


def _run_dask(collector: _Collector, executor: Any, jobs: int | None) -> None:
    try:
        import distributed
        from dask.base import tokenize
    except ImportError:
        raise OptionError(
            "running on Dask needs Dask installed: pip install 'schedsim[dask]'"
        ) from None
    cluster: Any = None
    client: Any = None
    owned = not isinstance(executor, distributed.Client)
    try:
        if executor == "dask-local":
            import logging

            cluster = distributed.LocalCluster(
                n_workers=jobs or available_cpus(),
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.CRITICAL,  # a failed point is reported once, by us
            )
            client = distributed.Client(cluster)
        elif owned:
            client = _connect(distributed, str(executor))
        else:
            client = executor
        keys = [
            f"schedsim-sweep-{tokenize(point, _stamp(point.path))}" for point in collector.points
        ]
        futures = client.map(run_point, collector.points, key=keys, pure=True)
        index_of = {future.key: index for index, future in enumerate(futures)}
        try:
            for future in distributed.as_completed(futures, loop=client.loop):
                index = index_of[future.key]
                if future.cancelled() or not collector.wanted(index):
                    continue
                if future.status == "error":
                    collector.failed(index, future.exception())
                    client.cancel([f for f in futures if not collector.wanted(index_of[f.key])])
                else:
                    collector.done(index, future.result())
        finally:
            client.cancel([future for future in futures if not future.done()])
            del futures
    finally:
        if owned and client is not None:
            client.close()
        if cluster is not None:
            cluster.close()


def _connect(distributed: Any, address: str) -> Any:
    advice = (
        "start one with 'dask scheduler' and workers with 'dask worker ADDRESS', "
        "or use --dask local"
    )
    try:
        _probe(distributed, address)
        return distributed.Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as error:
        reason = str(error).strip() or type(error).__name__
        raise ExecutionError(
            f"--dask {address}: cannot connect to a Dask scheduler ({reason}); {advice}"
        ) from None


def _probe(distributed: Any, address: str) -> None:
    """Check the address, and open and close a TCP connection to a tcp:// or tls://
    scheduler first: a refused connection then fails at once instead of after the client's
    retries, and a malformed address never reaches the client."""
    from distributed.comm import parse_address, parse_host_port
    from distributed.comm.registry import get_backend

    scheme, location = parse_address(address)
    get_backend(scheme)  # ValueError naming the known schemes
    if scheme not in ("tcp", "tls"):
        return
    try:
        host, port = parse_host_port(location)
    except ValueError:
        raise ValueError(f"expected HOST:PORT after {scheme}://, got {location!r}") from None
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT):
            pass
    except ConnectionRefusedError:
        raise OSError(f"nothing is listening at {host}:{port}") from None
    except socket.gaierror as error:
        raise OSError(f"unknown host {host!r}: {error.strerror}") from None


def _stamp(path: str) -> tuple[int, int]:
    """The file's modification time and size: a changed file gets new task keys."""
    try:
        status = os.stat(path)
    except OSError:
        return (0, 0)
    return (status.st_mtime_ns, status.st_size)


# -- results -----------------------------------------------------------------------------------
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


def parameters_of(results: Sequence[SweepResult]) -> list[str]:
    """The varied parameters' names, in the order they were given."""
    return [name for name, _ in results[0].point.varied] if results else []


def aggregate(results: Sequence[SweepResult]) -> list[Aggregate]:
    """Group each point's runs over its seeds (grid order kept)."""
    groups: dict[tuple[str, tuple[tuple[str, Any], ...]], list[SweepResult]] = {}
    for result in results:
        groups.setdefault((result.point.workload, result.point.varied), []).append(result)
    aggregates = []
    for (workload, varied), runs in groups.items():
        mean: dict[str, float] = {}
        deviation: dict[str, float] = {}
        for key, value in runs[0].summary.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            values = [float(run.summary[key]) for run in runs]
            mean[key] = statistics.fmean(values)
            deviation[key] = statistics.stdev(values) if len(values) > 1 else 0.0
        aggregates.append(
            Aggregate(
                workload,
                runs[0].point.name,
                varied,
                tuple(run.point.seed for run in runs),
                mean,
                deviation,
            )
        )
    return aggregates


def seeds_of(results: Sequence[SweepResult]) -> list[int]:
    """The distinct seeds, in the order they ran."""
    return list(dict.fromkeys(result.point.seed for result in results))


def sweep_csv(results: Sequence[SweepResult], *, aggregated: bool = False) -> str:
    """One row per run (workload, varied values, seed, metrics), or per point with the mean
    and standard deviation of each metric over the seeds (``aggregated``)."""
    names = parameters_of(results)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if aggregated:
        metric_columns = [f"{key}_{kind}" for key in SWEEP_METRICS for kind in ("mean", "sd")]
        writer.writerow(["workload", *names, "seeds", *metric_columns])
        for group in aggregate(results):
            cells: list[Any] = []
            for key in SWEEP_METRICS:
                cells += [_number(group.mean.get(key)), _number(group.deviation.get(key))]
            values = [label(value) for _, value in group.varied]
            writer.writerow([group.workload, *values, len(group.seeds), *cells])
    else:
        writer.writerow(["workload", *names, "seed", *SWEEP_METRICS])
        for result in results:
            point = result.point
            writer.writerow(
                [
                    point.workload,
                    *(label(value) for _, value in point.varied),
                    point.seed,
                    *(_number(result.summary.get(key)) for key in SWEEP_METRICS),
                ]
            )
    return buffer.getvalue()


def sweep_json(results: Sequence[SweepResult], *, aggregated: bool = False) -> str:
    """Every run's full summary, the sweep's fixed settings and, when ``aggregated``, the
    mean and standard deviation of each point over its seeds."""
    first = results[0].point if results else None
    names = parameters_of(results)
    document: dict[str, Any] = {
        "version": __version__,
        "policy": first.policy if first else None,
        "options": _fixed(first.options, names) if first else {},
        "settings": _fixed(first.settings, [*names, "seed"]) if first else {},
        "parameters": names,
        "seeds": seeds_of(results),
        "runs": [
            {
                "workload": result.point.workload,
                "name": result.point.name,
                **{name: _json_value(value) for name, value in result.point.varied},
                "seed": result.point.seed,
                "summary": {key: _number(value) for key, value in result.summary.items()},
            }
            for result in results
        ],
    }
    if aggregated:
        document["aggregates"] = [
            {
                "workload": group.workload,
                "name": group.name,
                **{name: _json_value(value) for name, value in group.varied},
                "seeds": len(group.seeds),
                "mean": {key: _number(value) for key, value in group.mean.items()},
                "sd": {key: _number(value) for key, value in group.deviation.items()},
            }
            for group in aggregate(results)
        ]
    return json.dumps(document, indent=2) + "\n"


def sweep_table(
    results: Sequence[SweepResult], *, aggregated: bool | None = None, width: int | None = None
) -> str:
    """The sweep as a text table: one row per run, or per point with ``mean ± sd`` over the
    seeds (``aggregated``; by default when there are several seeds)."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    seeds = seeds_of(results)
    if aggregated is None:
        aggregated = len(seeds) > 1
    names = parameters_of(results)
    workloads = list(dict.fromkeys(result.point.workload for result in results))
    several = len(workloads) > 1
    metrics = [METRIC_BY_KEY[key] for key in SWEEP_METRICS]
    table = Table(show_edge=False, header_style="")
    if several:
        table.add_column("workload", no_wrap=True)
    for index, name in enumerate(names):
        numeric = all(_is_number(result.point.varied[index][1]) for result in results)
        table.add_column(name.replace("_", " "), justify="right" if numeric else "left")
    table.add_column("seeds" if aggregated else "seed", justify="right")
    for chosen in metrics:
        table.add_column(chosen.heading.replace(" ", "\n", 1), justify="right", no_wrap=True)
    if aggregated:
        for group in aggregate(results):
            cells = [_spread(chosen, group) for chosen in metrics]
            shown = [label(value) for _, value in group.varied]
            leading = [escape(group.workload)] if several else []
            table.add_row(*leading, *map(escape, shown), str(len(group.seeds)), *cells)
    else:
        for result in results:
            point = result.point
            shown = [label(value) for _, value in point.varied]
            leading = [escape(point.workload)] if several else []
            cells = [chosen.format(result.summary.get(chosen.key)) for chosen in metrics]
            table.add_row(*leading, *map(escape, shown), str(point.seed), *cells)
    console = Console(
        width=width or 1000, record=True, force_terminal=False, color_system=None, highlight=False
    )
    with console.capture() as capture:
        console.print(escape(sweep_title(results, aggregated=aggregated)))
        console.print(table)
    return "\n".join(line.rstrip() for line in capture.get().splitlines()) + "\n"


def sweep_title(results: Sequence[SweepResult], *, aggregated: bool = False) -> str:
    """``rr on interactive-batch: 8 points × 1 seed = 8 runs; 1 CPU, context switch 0``."""
    if not results:
        return "empty sweep"
    first = results[0].point
    names = parameters_of(results)
    fixed_options = _fixed(first.options, names)
    policy = first.policy
    if fixed_options:
        policy += "(" + ", ".join(f"{k}={label(v)}" for k, v in fixed_options.items()) + ")"
    workloads = list(dict.fromkeys(result.point.name for result in results))
    seeds = seeds_of(results)
    points = len(results) // len(seeds)
    settings = []
    if "cpus" not in names:
        cpus = first.settings.get("cpus", 1)
        settings.append(f"{cpus} CPU{'s' if cpus != 1 else ''}")
    if "context_switch" not in names:
        settings.append(f"context switch {fmt(first.settings.get('context_switch', 0))}")
    if "ties" not in names and first.settings.get("ties", TIES[0]) != TIES[0]:
        settings.append(f"ties {first.settings['ties']}")
    seed_text = f"seed {seeds[0]}" if len(seeds) == 1 else f"seeds {_seed_list(seeds)}"
    text = (
        f"{policy} on {', '.join(workloads)}: {points} point{'s' if points != 1 else ''} × "
        f"{len(seeds)} seed{'s' if len(seeds) != 1 else ''} = {len(results)} "
        f"run{'s' if len(results) != 1 else ''}; {', '.join(settings) or 'engine settings varied'}"
        f"; {seed_text}"
    )
    if aggregated and len(seeds) > 1:
        text += "\nmean ± sample standard deviation over the seeds"
    return text


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _seed_list(seeds: Sequence[int]) -> str:
    if list(seeds) == list(range(seeds[0], seeds[0] + len(seeds))):
        return f"{seeds[0]}..{seeds[-1]}"
    return ",".join(map(str, seeds))


def _spread(chosen: Metric, group: Aggregate) -> str:
    mean, deviation = group.mean.get(chosen.key), group.deviation.get(chosen.key)
    if mean is None or deviation is None:
        return "-"
    if len(group.seeds) == 1:
        return chosen.format(mean)
    return f"{chosen.format(mean)} ± {chosen.format(deviation)}"


def _fixed(values: Mapping[str, Any], varied: Iterable[str]) -> dict[str, Any]:
    skip = set(varied)
    return {key: _json_value(value) for key, value in values.items() if key not in skip}


def _json_value(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_json_value(item) for item in value]
    if isinstance(value, float) and math.isinf(value):
        return "inf"
    return value


def _number(value: Any) -> Any:
    """Floats to 12 significant digits (summaries carry noise like 12.799999999999999),
    non-finite ones as null."""
    if isinstance(value, float):
        return float(f"{value:.12g}") if math.isfinite(value) else None
    return value


# -- plotting ------------------------------------------------------------------------------------
@dataclass
class Series:
    """One plotted line: its label and (x, mean, deviation) per value of the x parameter."""

    label: str
    x: list[Any] = field(default_factory=list)
    mean: list[float] = field(default_factory=list)
    deviation: list[float] = field(default_factory=list)


def sweep_series(results: Sequence[SweepResult], metric_key: str) -> tuple[str, list[Series]]:
    """The x parameter (the first varied one) and one series per combination of the other
    varied values (and per workload, when there are several)."""
    names = parameters_of(results)
    if not names:
        raise OptionError("--plot needs at least one --vary parameter to put on the x axis")
    several = len({result.point.workload for result in results}) > 1
    series: dict[tuple[Any, ...], Series] = {}
    for group in aggregate(results):
        rest = group.varied[1:]
        key = (group.workload, rest) if several else (rest,)
        parts = [f"{name}={label(value)}" for name, value in rest]
        if several:
            parts.insert(0, group.name)
        line = series.setdefault(key, Series(", ".join(parts) or names[0]))
        line.x.append(group.varied[0][1])
        line.mean.append(group.mean.get(metric_key, math.nan))
        line.deviation.append(group.deviation.get(metric_key, 0.0))
    return names[0], list(series.values())


def sweep_figure(results: Sequence[SweepResult], *, metric_key: str = "avg_turnaround") -> Figure:
    """A line chart of one summary metric against the first varied parameter, one line per
    value of the others; with several seeds each line is the mean, its band ± one standard
    deviation."""
    from matplotlib.figure import Figure

    chosen = METRIC_BY_KEY.get(metric_key)
    heading = chosen.heading if chosen else metric_key
    x_name, series = sweep_series(results, metric_key)
    figure = Figure(figsize=(7.5, 4.5), dpi=110)
    axes = figure.add_subplot()
    numeric = all(_is_number(value) and math.isfinite(value) for line in series for value in line.x)
    categories = list(dict.fromkeys(label(value) for line in series for value in line.x))
    seeds = seeds_of(results)
    for line in series:
        x = line.x if numeric else [categories.index(label(value)) for value in line.x]
        drawn = axes.plot(x, line.mean, marker="o", markersize=4, label=line.label)
        if len(seeds) > 1:
            low = [m - d for m, d in zip(line.mean, line.deviation, strict=True)]
            high = [m + d for m, d in zip(line.mean, line.deviation, strict=True)]
            axes.fill_between(x, low, high, color=drawn[0].get_color(), alpha=0.15, linewidth=0)
    if not numeric:
        axes.set_xticks(range(len(categories)), categories)
    axes.set_xlabel(x_name.replace("_", " "))
    unit = " (mean ± sd over seeds)" if len(seeds) > 1 else ""
    axes.set_ylabel(heading + unit)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    if len(series) > 1:
        axes.legend(fontsize=8, frameon=False)
    axes.set_title(sweep_title(results).split(";")[0], fontsize=10, loc="left")
    figure.tight_layout()
    return figure


def save_sweep_plot(
    results: Sequence[SweepResult], path: str | Path, *, metric_key: str = "avg_turnaround"
) -> None:
    """Draw :func:`sweep_figure` and write it atomically (format from the extension)."""
    from schedsim.atomic import check_writable, write_atomic
    from schedsim.gantt import figure_bytes, image_format

    image_format(path)
    check_writable(path)
    write_atomic(path, figure_bytes(sweep_figure(results, metric_key=metric_key), path))
