"""Simulated against measured: per process differences and a summary, as a table or JSON.

Both sides are ordinary :class:`~schedsim.result.Result` objects, so this works on any pair
— a fresh run, or two result files saved by ``schedsim run`` and ``schedsim measure``.

Relative differences are ``(measured - simulated) / simulated``; where the simulated value
is 0 (the first process's waiting and response, typically) there is no relative
difference and the table shows a dash.  The headline error is the relative difference of
turnaround, which is never 0.

Completion order "matches" when the measured finishing order agrees with the simulated one
wherever the simulation orders two processes strictly (processes the simulation finishes
at the same time may finish in either order).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from schedsim.report import fmt
from schedsim.result import Result

METRICS = ("turnaround", "waiting", "response")


@dataclass
class MeasuredComparison:
    """Per process rows and a summary (plain data: it is also the JSON form)."""

    rows: list[dict[str, Any]]
    summary: dict[str, Any]
    simulated: Result
    measured: Result

    def to_dict(self) -> dict[str, Any]:
        return {
            "workload": self.measured.workload,
            "policy": self.simulated.policy,
            "options": self.simulated.options,
            "measured_policy": self.measured.policy,
            "settings": self.measured.settings,
            "processes": self.rows,
            "summary": self.summary,
        }

    def to_json(self) -> str:
        return json.dumps(json_safe(self.to_dict()), indent=2) + "\n"


def compare_measured(
    simulated: Result, measured: Result, *, counterpart: str | None = None
) -> MeasuredComparison:
    """Lay ``measured`` beside ``simulated`` (same workload, same processes)."""
    if simulated.pids != measured.pids:
        raise ValueError("the two results are not of the same processes")
    rows = []
    relative: dict[str, list[float]] = {metric: [] for metric in METRICS}
    absolute: dict[str, list[float]] = {metric: [] for metric in METRICS}
    for index, pid in enumerate(simulated.pids):
        row: dict[str, Any] = {"pid": pid}
        for metric in METRICS:
            sim = _number(simulated.jobs[metric][index])
            meas = _number(measured.jobs[metric][index])
            difference = meas - sim
            ratio = difference / sim if sim else None
            row[metric] = {
                "simulated": sim,
                "measured": round(meas, 4),
                "difference": round(difference, 4),
                "relative": None if ratio is None else round(ratio, 5),
            }
            absolute[metric].append(abs(difference))
            if ratio is not None:
                relative[metric].append(abs(ratio))
        rows.append(row)
    errors = relative["turnaround"]
    worst_index = int(np.argmax(errors)) if errors else None
    sim_finish = simulated.jobs["finish"].astype(float)
    meas_finish = measured.jobs["finish"].astype(float)
    extra = measured.extra
    summary: dict[str, Any] = {
        "turnaround_error": {
            "mean": _round(np.mean(errors)) if errors else None,
            "median": _round(np.median(errors)) if errors else None,
            "worst": _round(max(errors)) if errors else None,
            "worst_pid": simulated.pids[worst_index] if worst_index is not None else None,
        },
        "mean_absolute_difference": {
            metric: _round(np.mean(absolute[metric])) if absolute[metric] else None
            for metric in METRICS
        },
        "completion_order": {
            "simulated": _order(simulated.pids, sim_finish),
            "measured": _order(measured.pids, meas_finish),
            "matches": order_matches(sim_finish, meas_finish),
        },
        "makespan": {
            "simulated": simulated.summary.get("makespan"),
            "measured": _round(measured.summary.get("makespan")),
        },
        "context_switches": {
            "simulated": simulated.summary.get("context_switches"),
            "measured": measured.summary.get("context_switches"),
            "kernel": extra.get("kernel_switches"),
        },
        "dispatch_latency_ms": extra.get("dispatch_latency_ms"),
        "disturbed": bool(extra.get("disturbed", False)),
        "disturbances": list(extra.get("disturbances", [])),
    }
    if counterpart is not None:
        summary["compared_with"] = counterpart
    return MeasuredComparison(rows=rows, summary=summary, simulated=simulated, measured=measured)


def order_matches(simulated_finish: np.ndarray, measured_finish: np.ndarray) -> bool:
    """Whether the measured finishing order agrees with every strict simulated order."""
    order = np.lexsort((measured_finish, simulated_finish))
    measured = measured_finish[order]
    return bool(np.all(measured[:-1] <= measured[1:]))


def render_comparison(comparison: MeasuredComparison, *, width: int | None = None) -> str:
    """The comparison as plain-text tables."""
    console = Console(width=width or 100, record=True, force_terminal=False, color_system=None)
    simulated, measured = comparison.simulated, comparison.measured
    summary = comparison.summary
    settings = measured.settings
    with console.capture() as capture:
        console.print(
            f"{measured.workload}: {_describe_run(simulated, measured)}, "
            f"unit {settings.get('unit', '?')}"
        )
        if summary.get("compared_with"):
            console.print(f"compared with the simulation of {summary['compared_with']}")
        console.print(_process_table(comparison))
        console.print(_summary_table(comparison))
        gil = measured.extra.get("gil")
        if isinstance(gil, dict):
            for line in gil_lines(gil):
                console.print(line)
        for problem in summary["disturbances"]:
            console.print(f"Warning: measurements were disturbed: {problem}")
    return capture.get()


HOSTED_RUNS = {
    "threads": "threads of one worker process (CPython's GIL decides)",
    "asyncio": "coroutines on one asyncio event loop (the loop decides)",
}


def _describe_run(simulated: Result, measured: Result) -> str:
    settings = measured.settings
    if settings.get("executor") in HOSTED_RUNS:
        how = HOSTED_RUNS[settings["executor"]]
    elif settings.get("mode") == "kernel":
        how = f"kernel mode ({measured.policy})"
    else:
        options = ", ".join(
            f"{key}={_join(value)}" for key, value in simulated.options.items() if value is not None
        )
        policy = simulated.policy + (f" ({options})" if options else "")
        how = f"policy {policy}, dispatch mode ({settings.get('preemption', 'signals')})"
    cpus = settings.get("cpus", 1)
    return how + (f", {cpus} CPUs" if cpus != 1 else "")


def _process_table(comparison: MeasuredComparison) -> Table:
    table = Table(title="Simulated vs measured", title_justify="left", show_edge=False)
    for heading in ("pid", "metric", "simulated", "measured", "difference", "relative"):
        table.add_column(heading, justify="left" if heading in ("pid", "metric") else "right")
    for index, row in enumerate(comparison.rows):
        if index:
            table.add_section()
        for position, metric in enumerate(METRICS):
            values = row[metric]
            table.add_row(
                row["pid"] if position == 0 else "",
                metric,
                fmt(values["simulated"]),
                fmt(values["measured"]),
                _signed(values["difference"]),
                percent(values["relative"]),
            )
    return table


def _summary_table(comparison: MeasuredComparison) -> Table:
    summary = comparison.summary
    table = Table(title="Summary", title_justify="left", show_edge=False)
    table.add_column("", justify="left")
    table.add_column("simulated", justify="right")
    table.add_column("measured", justify="right")
    error = summary["turnaround_error"]
    table.add_row("turnaround error, mean", "", percent(error["mean"], signed=False))
    table.add_row("turnaround error, median", "", percent(error["median"], signed=False))
    worst = percent(error["worst"], signed=False)
    table.add_row("turnaround error, worst", "", f"{worst} ({error['worst_pid']})")
    for metric in METRICS:
        difference = summary["mean_absolute_difference"][metric]
        table.add_row(f"{metric}, mean |difference|", "", fmt(difference))
    order = summary["completion_order"]
    table.add_row(
        "completion order",
        " ".join(order["simulated"]),
        " ".join(order["measured"]) + ("  (matches)" if order["matches"] else "  (DIFFERS)"),
    )
    makespan = summary["makespan"]
    table.add_row("makespan", fmt(makespan["simulated"]), fmt(makespan["measured"]))
    switches = summary["context_switches"]
    table.add_row("context switches", fmt(switches["simulated"]), fmt(switches["measured"]))
    kernel = switches.get("kernel")
    if kernel:
        table.add_row(
            "kernel context switches",
            "",
            f"{kernel['voluntary']} voluntary, {kernel['involuntary']} involuntary",
        )
    latency = summary.get("dispatch_latency_ms")
    if latency and latency.get("count"):
        table.add_row(
            "dispatch latency",
            "",
            f"p50 {latency['p50']:.3f} ms, p99 {latency['p99']:.3f} ms",
        )
    return table


def gil_lines(gil: dict[str, Any]) -> list[str]:
    """What CPython's GIL did in a threads run, in words (see :mod:`schedsim.real.threads`)."""
    lines = []
    held = gil.get("held_before_forced_switch_ms") or {}
    handoff = gil.get("handoff_us") or {}
    forced = gil.get("forced") or {}
    if held.get("median") is not None:
        lines.append(
            f"GIL: a holder kept it {held['median']:g} ms (median) before a forced switch; "
            f"switch interval {gil.get('switch_interval_ms', 0):g} ms"
        )
    if forced.get("contended"):
        lines.append(
            f"GIL: after {forced['contended']} forced switches with 2+ threads waiting, the "
            f"longest-waiting thread (the model's choice) got it {forced['longest_waiting']} "
            f"times, the newest waiter {forced['newest_waiting']} times"
        )
    if handoff.get("median") is not None:
        lines.append(
            f"GIL: handoffs took {handoff['median']:g} µs (median; p90 {handoff['p90']:g} µs); "
            f"switch times are known to within one work unit "
            f"({gil.get('work_unit_us') or 0:g} µs)"
        )
    return lines


def _order(pids: list[str], finish: np.ndarray) -> list[str]:
    return [pids[i] for i in np.argsort(finish, kind="stable")]


def _number(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _round(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return round(number, 6) if math.isfinite(number) else None


def _signed(value: float) -> str:
    text = fmt(value)
    return text if text.startswith("-") or text == "0" else f"+{text}"


def percent(value: float | None, *, signed: bool = True) -> str:
    if value is None:
        return "—"
    text = f"{100 * value:.1f}%"
    return f"+{text}" if signed and value >= 0 else text


def _join(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def json_safe(value: Any) -> Any:
    """Replace non-finite floats by None so the JSON stays standard."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    return value


def comparison_gantt(comparison: MeasuredComparison, *, by: str | None = None) -> Any:
    """One figure: the simulated schedule above the measured one, on a shared time axis."""
    from schedsim import gantt

    simulated, measured = comparison.simulated, comparison.measured
    titles = [
        f"simulated: {gantt.describe(simulated)}",
        f"measured: {_describe_run(simulated, measured)}, unit "
        f"{measured.settings.get('unit', '?')}",
    ]
    error = comparison.summary["turnaround_error"]
    order = comparison.summary["completion_order"]
    headline = (
        f"{measured.workload}: simulated vs measured — turnaround error mean "
        f"{percent(error['mean'], signed=False)}, worst {percent(error['worst'], signed=False)}"
        f"; completion order {'matches' if order['matches'] else 'differs'}"
    )
    return stacked_gantt([simulated, measured], titles, headline, by=by)


def stacked_gantt(
    results: list[Result], titles: list[str], headline: str, *, by: str | None = None
) -> Any:
    """One figure: the schedules of ``results`` (runs of the same processes) one above the
    other, on a shared time axis, each under its title."""
    from matplotlib.figure import Figure

    from schedsim import gantt

    first = results[0]
    view = gantt.check_view(by, first)
    schedules = [gantt.Schedule.of(result) for result in results]
    ranges = [schedule.time_range for schedule in schedules]
    shared = (min(low for low, _ in ranges), max(high for _, high in ranges))
    rows = len(first.pids) + 1 if view == "process" else max(s.cpus for s in schedules)
    count = len(results)
    axes_height = min(gantt.MAX_AXES_HEIGHT / count, max(1.0, gantt.ROW_HEIGHT * rows))
    width = gantt.FIGURE_WIDTH
    left = gantt.LEFT + 0.075 * max(len(pid) for pid in [*first.pids, "idle", "CPU 0"])
    gap, top, bottom = 0.6, gantt.TOP, gantt.BOTTOM
    height = top + count * axes_height + (count - 1) * gap + bottom
    figure = Figure(figsize=(width, height), dpi=gantt.DPI)
    handles: list[Any] = []
    for position, (schedule, title) in enumerate(zip(schedules, titles, strict=True)):
        lower = bottom + (count - 1 - position) * (axes_height + gap)
        axes = figure.add_axes(
            (
                left / width,
                lower / height,
                (width - left - gantt.RIGHT) / width,
                axes_height / height,
            )
        )
        drawn = gantt.draw_gantt(
            axes, schedule, view, axes_width=width - left - gantt.RIGHT, time_range=shared
        )
        axes.set_title(title, fontsize=9, loc="left")
        if len(drawn) > len(handles):
            handles = drawn
    figure.suptitle(headline, fontsize=10.5, y=1 - 0.2 / height)
    if handles:
        figure.legend(
            handles=handles,
            loc="center",
            bbox_to_anchor=(0.5, 0.45 / height),
            ncol=min(len(handles), 8),
            fontsize=8,
            frameon=False,
        )
    return figure


def save_comparison_gantt(
    comparison: MeasuredComparison, path: str, *, by: str | None = None
) -> None:
    """Draw :func:`comparison_gantt` and write it to ``path`` (png, svg or pdf), atomically."""
    from schedsim import gantt
    from schedsim.atomic import write_atomic

    gantt.image_format(path)
    write_atomic(path, gantt.figure_bytes(comparison_gantt(comparison, by=by), path))
