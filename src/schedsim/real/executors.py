"""Three units of execution — processes, threads, coroutines — each measured against its model.

=========  ===========================  ==========================  =======================
executor   one workload process is ...  who decides who runs        compared with
=========  ===========================  ==========================  =======================
processes  a worker process             schedsim's dispatcher, or   the policy it runs, or
                                        Linux (kernel mode)         the kernel's counterpart
threads    a thread of one worker       CPython's GIL and the OS    ``gil``
           process
asyncio    a coroutine on one event     the event loop              ``asyncio``
           loop in one worker process
=========  ===========================  ==========================  =======================

``processes`` is :func:`schedsim.real.measure`'s dispatcher and kernel modes.  The other two
are *hosted* runs: one worker process runs the whole workload (:mod:`~schedsim.real.host`),
nobody dispatches, and the run is compared with the simulator's model of its runtime —
options such as ``switch_interval`` (``gil``) and ``yield_every`` (``asyncio``) go to both
the model and the real run.  ``switch_interval`` is in time units; left out, it is
CPython's own ``sys.getswitchinterval()`` (5 ms) converted with the run's unit.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Any

from schedsim.api import simulate
from schedsim.engine import check_run_options
from schedsim.errors import OptionError
from schedsim.policies import Policy, make_policy
from schedsim.real.compare import MeasuredComparison, compare_measured
from schedsim.real.coroutines import run_coroutines
from schedsim.real.host import Body, HostedRun, HostPlan
from schedsim.real.plan import (
    check_duration,
    check_processes,
    check_slices,
    format_unit,
    plan_cores,
)
from schedsim.real.tenures import tenure_trace
from schedsim.real.threads import run_threads
from schedsim.result import Result
from schedsim.workload import Workload

STARTUP_SECONDS = 0.1  # the host's start-up and lead time, in the duration estimate


@dataclass(frozen=True)
class Executor:
    """One way of running a workload's processes."""

    name: str
    what: str  # what one workload process becomes
    decides: str  # who decides who runs
    model: str | None  # the policy it is compared with (None: the policy given)
    body: Body | None  # what the hosting worker process runs (None: not hosted)


EXECUTORS: dict[str, Executor] = {
    executor.name: executor
    for executor in (
        Executor("processes", "a worker process", "schedsim's dispatcher or Linux", None, None),
        Executor("threads", "a thread of one worker process", "CPython's GIL", "gil", run_threads),
        Executor(
            "asyncio",
            "a coroutine on one event loop",
            "the event loop",
            "asyncio",
            run_coroutines,
        ),
    )
}
HOSTED = tuple(name for name, executor in EXECUTORS.items() if executor.body is not None)


def executor_named(name: str) -> Executor:
    try:
        return EXECUTORS[name]
    except KeyError:
        raise OptionError(
            f"--executor: choose one of {', '.join(EXECUTORS)}, got {name!r}"
        ) from None


def refuse_processes_options(executor: str, given: list[str]) -> None:
    """Threads and coroutines are not dispatched: an option only processes take (``given``:
    the flags used) is an error that says why, and what is compared instead."""
    if not given:
        return
    model = EXECUTORS[executor].model
    passes = "--switch-interval" if executor == "threads" else "--yield-every"
    raise OptionError(
        f"{given[0]} applies to --executor processes: with --executor {executor} nobody "
        f"dispatches ({EXECUTORS[executor].decides} decides) and the run is compared with "
        f"the {model} policy ({passes} passes through to both)"
    )


def hosted_model(
    executor: Executor, unit_seconds: float, options: dict[str, Any]
) -> tuple[Policy, str, dict[str, Any]]:
    """The model ``executor`` is compared with, a sentence saying so, and the settings the
    real run takes from it (in seconds)."""
    assert executor.model is not None
    if executor.name == "threads" and not gil_enabled():
        raise OptionError(
            "--executor threads measures CPython's GIL, and this interpreter runs without one "
            "(a free-threaded build): its threads run in parallel, and the gil model does not "
            "apply; use --executor processes to see parallel execution"
        )
    given = dict(options)
    if executor.name == "threads" and given.get("switch_interval") is None:
        given["switch_interval"] = _nice_number(sys.getswitchinterval() / unit_seconds)
    try:
        policy = make_policy(executor.model, **given)
    except OptionError as error:
        raise OptionError(
            f"--executor {executor.name} is compared with the {executor.model} model: {error}"
        ) from None
    unit = format_unit(unit_seconds)
    if executor.name == "threads":
        interval = policy.settings["switch_interval"]
        seconds = interval * unit_seconds
        return (
            policy,
            f"gil: one thread runs at a time; switch interval {interval:g} units of {unit} "
            f"({seconds * 1e3:g} ms; CPython's default is "
            f"{sys.getswitchinterval() * 1e3:g} ms)",
            {"switch_interval": seconds},
        )
    every = policy.settings["yield_every"]
    how = (
        f"a CPU burst yields every {every:g} units of {unit}"
        if every is not None
        else "a coroutine runs until its CPU burst ends"
    )
    return (
        policy,
        f"asyncio: one coroutine at a time, in the event loop's order; {how}",
        {"yield_every": None if every is None else every * unit_seconds},
    )


def gil_enabled() -> bool:
    """False on a free-threaded CPython (3.13t and later) running without its GIL."""
    is_enabled = getattr(sys, "_is_gil_enabled", None)
    return True if is_enabled is None else bool(is_enabled())


def run_hosted(
    workload: Workload,
    executor_name: str,
    *,
    cpus: int,
    unit_seconds: float,
    ties: str,
    seed: int,
    max_seconds: float,
    max_processes: int,
    options: dict[str, Any],
) -> tuple[Result, Result, MeasuredComparison]:
    """Simulate the executor's model, run the workload for real in one hosting worker
    process, and compare: ``(simulated, measured, comparison)``."""
    executor = executor_named(executor_name)
    if executor.body is None:
        raise OptionError(f"--executor {executor.name} is not run in a hosting process")
    check_run_options(cpus, 0, ties, seed)
    if workload.program is not None:
        raise OptionError(
            f"--executor {executor.name}: {workload.source or workload.name}: processes that "
            "synchronise (run: scripts) are not run as threads or coroutines; simulate them "
            "with 'schedsim run'"
        )
    check_processes(len(workload), max_processes)
    policy, description, host_settings = hosted_model(executor, unit_seconds, options)
    simulated = simulate(workload, policy, cpus=cpus, context_switch=0, ties=ties, seed=seed)
    end = float(simulated.jobs["finish"].max()) if len(workload) else 0.0
    estimate = end * unit_seconds + STARTUP_SECONDS
    check_duration(estimate, max_seconds, end, unit_seconds)
    check_slices(int(simulated.summary["slices"]), end * unit_seconds)
    cores = plan_cores(cpus)
    plan = HostPlan(
        executor=executor.name,
        pids=tuple(workload.pid),
        arrivals=tuple(float(a) * unit_seconds for a in workload.arrival.tolist()),
        bursts=tuple(
            tuple(float(v) * unit_seconds for v in workload.bursts(job))
            for job in range(len(workload))
        ),
        cores=cores.cpu_cores,
        parent_pid=os.getpid(),
        settings=host_settings,
    )
    report = HostedRun(plan, executor.body, cores=cores, expected_seconds=estimate).run()
    trace = tenure_trace(
        report, jobs=len(workload), unit_seconds=unit_seconds, cores=cores.cpu_cores
    )
    settings: dict[str, Any] = {
        "cpus": cpus,
        "context_switch": 0,
        "ties": ties,
        "seed": seed,
        "executor": executor.name,
        "unit": format_unit(unit_seconds),
        "unit_seconds": unit_seconds,
    }
    measured = Result.from_trace(
        workload,
        trace,
        policy=executor.name,
        options=policy.settings,
        settings=settings,
        kind="measured",
    )
    comparison = compare_measured(simulated, measured, counterpart=description)
    return simulated, measured, comparison


def _nice_number(value: float) -> float | int:
    """``0.49999999999999994`` -> 0.5, ``5.0`` -> 5: a unit conversion without its float
    noise (nine significant digits are far finer than any timer)."""
    rounded = float(f"{value:.9g}")
    return int(rounded) if rounded.is_integer() else rounded
