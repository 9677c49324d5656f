"""The same workload run three ways — processes, threads, coroutines — in one table.

Each executor's run is compared with its own model (see :mod:`schedsim.real.executors`);
the table lays the three side by side: makespan, mean turnaround and CPU utilisation across
the run's cores as measured (and as each model predicts), and each executor's turnaround
error against its model.  The figure stacks the three measured schedules on one time axis.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from rich.table import Table

from schedsim.errors import OptionError
from schedsim.policies import Policy, policy_class
from schedsim.real.compare import (
    HOSTED_RUNS,
    _finite,
    _percent,
    disturbance_warnings,
    gil_lines,
    stacked_gantt,
)
from schedsim.real.executors import EXECUTORS
from schedsim.real.measure import Measurement, measure
from schedsim.report import fmt
from schedsim.text_console import text_console
from schedsim.workload import Workload


@dataclass
class ExecutorComparison:
    """One measured run per executor, each beside the simulation of its model."""

    workload: str
    settings: dict[str, Any]
    runs: dict[str, Measurement]

    def rows(self) -> list[dict[str, Any]]:
        """One plain record per executor (also the JSON form)."""
        rows = []
        for name, run in self.runs.items():
            simulated, measured = run.simulated, run.measured
            summary = run.comparison.summary
            rows.append(
                {
                    "executor": name,
                    "model": simulated.policy,
                    "model_options": simulated.options,
                    "compared_with": summary.get("compared_with"),
                    "makespan": _pair(simulated, measured, "makespan"),
                    "mean_turnaround": _pair(simulated, measured, "avg_turnaround"),
                    "cpu_utilisation": _pair(simulated, measured, "cpu_utilisation"),
                    "turnaround_error": summary["turnaround_error"],
                    "completion_order_matches": summary["completion_order"]["matches"],
                    "completion_order": summary["completion_order"]["measured"],
                    "disturbed": summary["disturbed"],
                    "disturbances": summary["disturbances"],
                    **({"gil": measured.extra["gil"]} if "gil" in measured.extra else {}),
                }
            )
        return rows

    def warnings(self) -> list[str]:
        """One ``Warning:`` line per thing that disturbed a run, naming its executor."""
        return [
            warning.replace("Warning: ", f"Warning: {name}: ", 1)
            for name, run in self.runs.items()
            for warning in disturbance_warnings(run.measured)
        ]

    def to_json(self) -> str:
        data = {"workload": self.workload, "settings": self.settings, "executors": self.rows()}
        return json.dumps(_finite(data), indent=2) + "\n"


def compare_executors(
    workload: Workload,
    *,
    policy: str | None = None,
    cpus: int = 1,
    unit: str | float = "10ms",
    mode: str = "dispatch",
    kernel_policy: str = "other",
    executors: tuple[str, ...] = tuple(EXECUTORS),
    max_seconds: float = 60.0,
    max_processes: int = 64,
    **options: Any,
) -> ExecutorComparison:
    """Run ``workload`` with each executor in turn (processes under ``policy``, default
    fcfs, in ``mode``) and compare each with its model.  Each option goes to every
    executor whose policy takes it (``quantum`` to the processes' round robin,
    ``switch_interval`` to threads, ``yield_every`` to asyncio); one that none takes is an
    error."""
    processes_policy = policy or "fcfs"
    routed = _route_options(options, processes_policy, mode, executors)
    runs: dict[str, Measurement] = {}
    for name in executors:
        if name == "processes":
            runs[name] = measure(
                workload,
                processes_policy if mode == "dispatch" else None,
                executor=name,
                cpus=cpus,
                unit=unit,
                mode=mode,
                kernel_policy=kernel_policy,
                max_seconds=max_seconds,
                max_processes=max_processes,
                **routed[name],
            )
        else:
            runs[name] = measure(
                workload,
                executor=name,
                cpus=cpus,
                unit=unit,
                max_seconds=max_seconds,
                max_processes=max_processes,
                **routed[name],
            )
    first = next(iter(runs.values()))
    settings = {"cpus": cpus, "unit": first.measured.settings.get("unit"), "mode": mode}
    return ExecutorComparison(workload=workload.name, settings=settings, runs=runs)


def _route_options(
    options: dict[str, Any], processes_policy: str, mode: str, executors: tuple[str, ...]
) -> dict[str, dict[str, Any]]:
    """Each executor's share of ``options``: those its policy declares."""
    takes: dict[str, type[Policy] | None] = {}
    for name in executors:
        model = EXECUTORS[name].model
        if model is None:
            takes[name] = policy_class(processes_policy) if mode == "dispatch" else None
        else:
            takes[name] = policy_class(model)
    routed: dict[str, dict[str, Any]] = {name: {} for name in executors}
    for option, value in options.items():
        owners = [
            name
            for name, cls in takes.items()
            if cls is not None and any(known.name == option for known in cls.options)
        ]
        if not owners:
            flag = "--" + option.replace("_", "-")
            policies = ", ".join(
                f"{name}: {cls.name if cls is not None else 'the kernel'}"
                for name, cls in takes.items()
            )
            raise OptionError(f"{flag}: no executor's policy takes it ({policies})")
        for name in owners:
            routed[name][option] = value
    return routed


def _pair(simulated: Any, measured: Any, key: str) -> dict[str, Any]:
    return {"model": simulated.summary.get(key), "measured": measured.summary.get(key)}


def render_executor_comparison(comparison: ExecutorComparison, *, width: int = 100) -> str:
    """The comparison as a plain-text table (model values in brackets), the models below it,
    then what CPython's GIL did.  (Warnings of disturbed runs: :meth:`warnings`.)"""
    console = text_console(width)
    settings = comparison.settings
    cpus = settings.get("cpus", 1)
    table = Table(
        title=f"{comparison.workload}: {cpus} CPU{'s' if cpus != 1 else ''}, unit "
        f"{settings.get('unit')}; measured (model)",
        title_justify="left",
        show_edge=False,
    )
    headings = ("executor", "makespan", "mean turnaround", "CPU use", "error median", "worst")
    for heading in (*headings, "order"):
        table.add_column(heading, justify="left" if heading == "executor" else "right")
    rows = comparison.rows()
    for row in rows:
        error = row["turnaround_error"]
        table.add_row(
            row["executor"],
            *(
                f"{_short(row[key]['measured'])} ({_short(row[key]['model'])})"
                for key in ("makespan", "mean_turnaround")
            ),
            f"{_percent(row['cpu_utilisation']['measured'], signed=False)} "
            f"({_percent(row['cpu_utilisation']['model'], signed=False)})",
            _percent(error["median"], signed=False),
            _percent(error["worst"], signed=False),
            "matches" if row["completion_order_matches"] else "differs",
        )
    with console.capture() as capture:
        console.print(table)
        for row in rows:
            model = row["compared_with"] or f"{_model(row)}, the policy the dispatcher ran"
            console.print(f"{row['executor']}: compared with {model}")
        for row in rows:
            if "gil" in row:
                for line in gil_lines(row["gil"]):
                    console.print(line)
    return capture.get()


def _model(row: dict[str, Any]) -> str:
    shown = ", ".join(
        f"{key}={value}" for key, value in row["model_options"].items() if value is not None
    )
    return row["model"] + (f" ({shown})" if shown else "")


def _short(value: Any) -> str:
    """Four significant digits: enough to compare runs, short enough for one table line."""
    if isinstance(value, float):
        return f"{value:.4g}"
    return fmt(value)


def executor_comparison_figure(comparison: ExecutorComparison) -> Any:
    """The measured schedules of every executor, one above the other on one time axis."""
    results = [run.measured for run in comparison.runs.values()]
    titles = []
    for name, run in comparison.runs.items():
        how = HOSTED_RUNS.get(name, f"worker processes ({run.simulated.policy})")
        makespan = run.measured.summary.get("makespan") or 0
        titles.append(f"{name}: {how} — makespan {makespan:.4g}")
    cpus = comparison.settings.get("cpus", 1)
    headline = (
        f"{comparison.workload}: the same processes as processes, threads and coroutines "
        f"({cpus} CPU{'s' if cpus != 1 else ''}, unit {comparison.settings.get('unit')})"
    )
    return stacked_gantt(results, titles, headline, by="process")


def save_executor_comparison_plot(comparison: ExecutorComparison, path: str) -> None:
    """Draw :func:`executor_comparison_figure` to ``path`` (png, svg or pdf), atomically."""
    from schedsim import gantt
    from schedsim.atomic import Outputs

    gantt.image_format(path)
    figure = gantt.figure_bytes(executor_comparison_figure(comparison), path)
    with Outputs() as outputs:
        outputs.write(path, figure)
