"""``measure``: simulate, check the limits, run for real, compare — the library entry point.

>>> from schedsim import load_workload
>>> from schedsim.real import measure
>>> measurement = measure(load_workload("workloads/classic.yaml"), "rr", quantum=4)
>>> measurement.comparison.summary["turnaround_error"]["median"]
"""

from __future__ import annotations

import copy
import signal
from dataclasses import dataclass
from typing import Any

from schedsim.api import simulate
from schedsim.engine import check_run_options
from schedsim.errors import OptionError
from schedsim.policies import Policy, make_policy
from schedsim.real.compare import MeasuredComparison, compare_measured
from schedsim.real.deadline import DeadlineRun, check_cpus, plan_tasks
from schedsim.real.dispatcher import Dispatcher
from schedsim.real.executors import executor_named, refuse_processes_options, run_hosted
from schedsim.real.kernel import KERNEL_POLICIES, KernelRun, counterpart, slice_ends
from schedsim.real.linux import check_workload_slices, fair_scheduler
from schedsim.real.plan import (
    DEFAULT_MAX_PROCESSES,
    DEFAULT_MAX_SECONDS,
    DEFAULT_UNIT,
    check_duration,
    check_processes,
    check_slices,
    format_unit,
    parse_unit,
    plan_cores,
)
from schedsim.real.worker import COOPERATIVE, SIGNALS
from schedsim.result import Result
from schedsim.workload import Workload

MODES = ("dispatch", "kernel")
KERNEL_CLASSES = (*KERNEL_POLICIES, "deadline")  # --kernel-policy
PREEMPTIONS = (SIGNALS, COOPERATIVE)
STARTUP_ALLOWANCE_SECONDS = 0.02  # per worker, in the duration estimate
DISTURBED_UTILISATION = 0.85  # kernel mode: cores this much less busy than simulated


@dataclass
class Measurement:
    """A real run beside its simulation."""

    simulated: Result
    measured: Result
    comparison: MeasuredComparison


def measure(
    workload: Workload,
    policy: str | Policy | None = None,
    *,
    executor: str = "processes",
    cpus: int = 1,
    unit: str | float = DEFAULT_UNIT,
    mode: str = "dispatch",
    kernel_policy: str = "other",
    preemption: str | None = None,
    ties: str = "arrivals-first",
    seed: int = 0,
    locks: str = "none",
    max_seconds: float = DEFAULT_MAX_SECONDS,
    max_processes: int = DEFAULT_MAX_PROCESSES,
    on_miss: str = "continue",
    **options: Any,
) -> Measurement:
    """Run ``workload`` for real and compare with its simulation.

    ``executor="processes"`` (one worker process per process): with ``mode="dispatch"``,
    ``policy`` (a name plus options, or a Policy instance; default fcfs) decides, as in the
    simulator; with ``mode="kernel"`` Linux decides (``kernel_policy``), and the simulation
    is of the closest policy (``eevdf`` with this kernel's parameters for SCHED_OTHER on
    Linux 6.6+; the workers get their processes' nice and slice). ``executor="threads"`` or
    ``"asyncio"``: the processes are threads, or coroutines, of one worker process, compared
    with the ``gil`` or ``asyncio`` model; ``options`` go to the model and the real run
    alike (see :mod:`schedsim.real.executors`). ``unit``: real duration of one time unit
    (``"10ms"``, or seconds as a number). ``kernel_policy="deadline"`` runs periodic tasks
    under SCHED_DEADLINE and compares them with ``edf`` on ``cpus`` CPUs; there ``on_miss``
    may be ``continue`` or ``abort-job``, elsewhere only ``continue``. Refused up front:
    more than ``max_processes`` processes, or an estimated real duration above
    ``max_seconds``."""
    unit_seconds = _unit_seconds(unit)
    executor_named(executor)
    if executor != "processes":
        _check_hosted(executor, policy, mode, kernel_policy, preemption, locks)
        if on_miss != "continue":
            raise OptionError(f"--on-miss {on_miss}: --executor {executor} measures continue only")
        if not max_seconds > 0:
            raise OptionError(f"--max-seconds: must be > 0, got {max_seconds!r}")
        simulated, measured, comparison = run_hosted(
            workload,
            executor,
            cpus=cpus,
            unit_seconds=unit_seconds,
            ties=ties,
            seed=seed,
            max_seconds=max_seconds,
            max_processes=max_processes,
            options=options,
        )
        return Measurement(simulated=simulated, measured=measured, comparison=comparison)
    if policy is None:
        policy = "fcfs"
    if mode not in MODES:
        raise OptionError(f"--mode: choose one of {', '.join(MODES)}, got {mode!r}")
    check_run_options(cpus, 0, ties, locks=locks, on_miss=on_miss)
    deadline_class = mode == "kernel" and kernel_policy == "deadline"
    if on_miss == "stop":
        raise OptionError(
            "--on-miss stop: a real run measures continue (or, with --kernel-policy deadline, "
            "abort-job); it cannot stop every process at once at a deadline"
        )
    if on_miss != "continue" and not deadline_class:
        raise OptionError(
            f"--on-miss {on_miss}: a real run in this mode measures continue only (kernel "
            "mode with --kernel-policy deadline also measures abort-job)"
        )
    if not max_seconds > 0:
        raise OptionError(f"--max-seconds: must be > 0, got {max_seconds!r}")
    if max_processes < 1:
        raise OptionError(f"--max-processes: must be >= 1, got {max_processes!r}")
    if not deadline_class:  # (one worker per task, not per job)
        check_processes(len(workload), max_processes)
    description = None
    if mode == "dispatch":
        preemption = preemption or default_preemption()
        if preemption not in PREEMPTIONS:
            raise OptionError(
                f"--preemption: choose one of {', '.join(PREEMPTIONS)}, got {preemption!r}"
            )
        if preemption == SIGNALS and not hasattr(signal, "SIGSTOP"):
            raise OptionError("--preemption signals: this system has no SIGSTOP; use cooperative")
        if isinstance(policy, str):
            policy = make_policy(policy, **options)
        elif options:
            raise TypeError("pass options to the Policy constructor when giving a Policy instance")
        simulated_policy = copy.deepcopy(policy)
    elif deadline_class:
        check_cpus(cpus)
        plan_tasks(workload, unit_seconds)  # every task refused now, not after the simulation
        simulated_policy, description = deadline_counterpart(cpus)
    else:
        if kernel_policy not in KERNEL_CLASSES:
            raise OptionError(
                f"--kernel-policy: choose one of {', '.join(KERNEL_CLASSES)}, got {kernel_policy!r}"
            )
        scheduler = fair_scheduler() if kernel_policy == "other" else None
        if scheduler is not None:
            check_workload_slices(workload, unit_seconds, scheduler)
            scheduler = slice_ends(scheduler, plan_cores(cpus))
        simulated_policy, description = counterpart(
            kernel_policy, unit_seconds, workload.program is not None, scheduler
        )
    simulated = simulate(
        workload,
        simulated_policy,
        cpus=cpus,
        context_switch=0,
        ties=ties,
        seed=seed,
        locks=locks,
        on_miss=on_miss,
    )
    end = float(simulated.summary["makespan"]) + float(workload.arrival.min(initial=0))
    estimate = end * unit_seconds + STARTUP_ALLOWANCE_SECONDS * len(workload)
    check_duration(estimate, max_seconds, end, unit_seconds)
    cores = plan_cores(cpus) if not deadline_class else None
    settings: dict[str, Any] = {
        "cpus": cpus,
        "context_switch": 0,
        "ties": ties,
        "seed": seed,
        "mode": mode,
        "unit": format_unit(unit_seconds),
        "unit_seconds": unit_seconds,
    }
    if workload.program is not None:
        settings["locks"] = locks
    if workload.realtime is not None:
        settings["on_miss"] = on_miss
    if mode == "dispatch":
        assert isinstance(policy, Policy) and preemption is not None and cores is not None
        check_slices(int(simulated.summary["slices"]), end * unit_seconds)
        trace = Dispatcher(
            workload,
            policy,
            cpus=cpus,
            unit_seconds=unit_seconds,
            cores=cores,
            preemption=preemption,
            ties=ties,
            seed=seed,
            expected_seconds=estimate,
            locks=locks,
        ).run()
        settings["preemption"] = preemption
        name, policy_options = policy.name, policy.settings
    elif deadline_class:
        trace = DeadlineRun(
            workload,
            cpus=cpus,
            unit_seconds=unit_seconds,
            expected_seconds=estimate,
            on_miss=on_miss,
        ).run()
    else:
        assert cores is not None
        trace = KernelRun(
            workload,
            kernel_policy,
            cpus=cpus,
            unit_seconds=unit_seconds,
            cores=cores,
            expected_seconds=estimate,
            locks=locks,
        ).run()
    if mode == "kernel":
        settings["kernel_policy"] = kernel_policy
        name, policy_options = f"sched_{kernel_policy}", {}
        trace.extra["compared_with"] = description
    measured = Result.from_trace(
        workload, trace, policy=name, options=policy_options, settings=settings, kind="measured"
    )
    if mode == "kernel":
        found = [*measured.extra.get("disturbances", [])]
        found += utilisation_disturbances(simulated, measured)
        measured.extra["disturbances"] = found
        measured.extra["disturbed"] = bool(found)
    comparison = compare_measured(simulated, measured, counterpart=description)
    # The measured result carries its comparison, so the saved file and `--format json` are
    # one document: a result like any other, plus what the measurement found.
    measured.extra["comparison"] = comparison.findings()
    return Measurement(simulated=simulated, measured=measured, comparison=comparison)


def deadline_counterpart(cpus: int) -> tuple[Policy, str]:
    """SCHED_DEADLINE is compared with ``edf`` on as many CPUs, and why."""
    how = (
        "on one CPU in an exclusive cpuset (a root domain of its own)"
        if cpus == 1
        else f"global EDF over all {cpus} CPUs"
    )
    plural = "s" if cpus > 1 else ""
    return (
        make_policy("edf"),
        f"edf on {cpus} CPU{plural}: SCHED_DEADLINE runs the earliest absolute deadline "
        f"first, {how}",
    )


def _check_hosted(
    executor: str,
    policy: Any,
    mode: str,
    kernel_policy: str,
    preemption: str | None,
    locks: str,
) -> None:
    """Threads and coroutines are not dispatched: what only processes take is an error."""
    given = [
        flag
        for flag, value, default in (
            ("--policy", policy, None),
            ("--mode", mode, "dispatch"),
            ("--kernel-policy", kernel_policy, "other"),
            ("--preemption", preemption, None),
            ("--locks", locks, "none"),
        )
        if value != default
    ]
    refuse_processes_options(executor, given)


def utilisation_disturbances(simulated: Result, measured: Result) -> list[str]:
    """Kernel mode: did the workers get their cores?  The simulation keeps the CPUs busy a
    certain fraction of the schedule; if the workers' own CPU time fills much less of the
    measured schedule, something else ran on their cores."""
    expected = float(simulated.summary.get("cpu_utilisation") or 0)
    makespan = float(measured.summary.get("makespan") or 0)
    cpus = int(measured.settings.get("cpus", 1))
    burned = sum(measured.extra.get("measured_cpu_time", []))
    if not expected or not makespan:
        return []
    got = burned / (makespan * cpus)
    if got < DISTURBED_UTILISATION * expected:
        return [
            f"the workers kept their cores {100 * got:.0f}% busy where the simulation keeps "
            f"them {100 * expected:.0f}% busy: other processes ran on their cores"
        ]
    return []


def default_preemption() -> str:
    """``signals`` where SIGSTOP exists (POSIX), ``cooperative`` elsewhere."""
    return SIGNALS if hasattr(signal, "SIGSTOP") else COOPERATIVE


def _unit_seconds(unit: str | float) -> float:
    if isinstance(unit, str):
        return parse_unit(unit)
    if isinstance(unit, bool) or not isinstance(unit, int | float):
        raise OptionError(f"--unit: expected a duration such as 10ms, got {unit!r}")
    return parse_unit(repr(float(unit)))
