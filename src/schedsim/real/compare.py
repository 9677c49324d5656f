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
from typing import TYPE_CHECKING, Any

import numpy as np
from rich.table import Table

from schedsim import __version__
from schedsim.gantt import plain_text
from schedsim.report import fmt, shortened
from schedsim.result import Result
from schedsim.text_console import text_console

if TYPE_CHECKING:
    from schedsim.atomic import Outputs

METRICS = ("turnaround", "waiting", "response")


@dataclass
class MeasuredComparison:
    """Per process rows and a summary (plain data: it is also the JSON form)."""

    rows: list[dict[str, Any]]
    summary: dict[str, Any]
    simulated: Result
    measured: Result

    def findings(self) -> dict[str, Any]:
        """What the comparison found, as JSON data for the measured result's ``extra``: the
        simulation it was compared with, the per-process rows and the summary."""
        return _finite(
            {
                "simulated": {
                    "policy": self.simulated.policy,
                    "options": self.simulated.options,
                    "summary": self.simulated.summary,
                },
                "processes": self.rows,
                "summary": self.summary,
            }
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "schedsim": __version__,
            "kind": "comparison",
            "workload": self.measured.workload,
            "policy": self.simulated.policy,
            "options": self.simulated.options,
            "measured_policy": self.measured.policy,
            "settings": self.measured.settings,
            "processes": self.rows,
            "summary": self.summary,
        }

    def to_json(self) -> str:
        return json.dumps(_finite(self.to_dict()), indent=2) + "\n"


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
            if math.isfinite(difference):  # (a process left in a deadlock has none)
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
    if simulated.resources is not None and measured.resources is not None:
        summary["synchronisation"] = synchronisation_summary(simulated, measured)
    if simulated.realtime is not None and measured.realtime is not None:
        summary["tasks"] = compare_tasks(simulated, measured)
        summary["miss_verdicts"] = compare_misses(simulated, measured)
    for key in ("admission_control", "isolated_cpu"):
        if key in extra:
            summary[key] = extra[key]
    return MeasuredComparison(rows=rows, summary=summary, simulated=simulated, measured=measured)


def compare_tasks(simulated: Result, measured: Result) -> list[dict[str, Any]]:
    """Per real-time task: mean and worst response time (finish − release) simulated and
    measured, with the relative difference of the means, and the misses on each side."""
    assert simulated.realtime is not None and measured.realtime is not None
    rows = []
    pairs = zip(simulated.realtime["tasks"], measured.realtime["tasks"], strict=True)
    for sim, meas in pairs:
        means = (sim.get("mean_response_time"), meas.get("mean_response_time"))
        relative = (
            round((means[1] - means[0]) / means[0], 5)
            if means[0] and means[1] is not None
            else None
        )
        rows.append(
            {
                "task": sim["task"],
                "mean_response_time": {
                    "simulated": means[0],
                    "measured": _round(means[1]),
                    "relative": relative,
                },
                "worst_response_time": {
                    "simulated": sim.get("worst_response_time"),
                    "measured": _round(meas.get("worst_response_time")),
                },
                "misses": {"simulated": sim.get("misses"), "measured": meas.get("misses")},
            }
        )
    return rows


def compare_misses(simulated: Result, measured: Result) -> dict[str, Any]:
    """Whether every job met or missed its deadline on both sides alike."""
    sim = simulated.jobs["missed"].tolist()
    meas = measured.jobs["missed"].tolist()
    differ = [
        pid
        for pid, one, other in zip(simulated.pids, sim, meas, strict=True)
        if bool(one) != bool(other)
    ]
    return {"matches": not differ, "differing": differ}


def order_matches(simulated_finish: np.ndarray, measured_finish: np.ndarray) -> bool:
    """Whether the measured finishing order agrees with every strict simulated order (the
    same processes must be left unfinished, by a deadlock, in both)."""
    finished = np.isfinite(simulated_finish)
    if not np.array_equal(finished, np.isfinite(measured_finish)):
        return False
    simulated_finish, measured_finish = simulated_finish[finished], measured_finish[finished]
    order = np.lexsort((measured_finish, simulated_finish))
    measured = measured_finish[order]
    return bool(np.all(measured[:-1] <= measured[1:]))


def synchronisation_summary(simulated: Result, measured: Result) -> dict[str, Any]:
    """Processes that synchronise: each resource's total wait, simulated and measured; how
    far the measured holds of each lock and semaphore moved from the simulated ones (each
    process's n-th hold of a resource against its n-th simulated hold, at acquisition and
    release); and each run's deadlock, if any."""
    assert simulated.resources is not None and measured.resources is not None
    waits = {
        f"{entry['kind']} {entry['resource']}": {"simulated": entry["total_wait"]}
        for entry in simulated.resources["summary"]
    }
    for entry in measured.resources["summary"]:
        waits.setdefault(f"{entry['kind']} {entry['resource']}", {})["measured"] = _round(
            entry["total_wait"]
        )
    return {
        "total_wait": waits,
        "hold_shift": hold_shift(simulated.resources["holds"], measured.resources["holds"]),
        "deadlock": {
            "simulated": (simulated.deadlock or {}).get("message"),
            "measured": (measured.deadlock or {}).get("message"),
        },
    }


def hold_shift(simulated: list[dict[str, Any]], measured: list[dict[str, Any]]) -> Any:
    """The largest distance (time units) between a measured hold's acquisition or release
    and the simulated one it corresponds to; None if the holds do not correspond (a
    different number of them); 0 when there are none."""

    def grouped(holds: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
        out: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for hold in holds:
            out.setdefault((hold["resource"], hold["pid"]), []).append(hold)
        return out

    expected, got = grouped(simulated), grouped(measured)
    if {key: len(v) for key, v in expected.items()} != {key: len(v) for key, v in got.items()}:
        return None
    largest = 0.0
    for key, holds in expected.items():
        for wanted, seen in zip(holds, got[key], strict=True):
            for field in ("acquired", "released"):
                if wanted[field] is not None and seen[field] is not None:
                    largest = max(largest, abs(float(seen[field]) - float(wanted[field])))
    return _round(largest)


def render_comparison(comparison: MeasuredComparison, *, width: int | None = None) -> str:
    """The comparison as plain-text tables."""
    console = text_console(width or 100)
    simulated, measured = comparison.simulated, comparison.measured
    summary = comparison.summary
    settings = measured.settings
    with console.capture() as capture:
        console.print(
            shortened(
                f"{measured.workload}: {_describe_run(simulated, measured)}, "
                f"unit {settings.get('unit', '?')}",
                200,
            )
        )
        if summary.get("compared_with"):
            console.print(f"compared with the simulation of {summary['compared_with']}")
        if "tasks" in summary:
            console.print(_task_table(comparison))
        else:
            console.print(_process_table(comparison))
        console.print(_summary_table(comparison))
        gil = measured.extra.get("gil")
        if isinstance(gil, dict):
            for line in gil_lines(gil):
                console.print(line)
    return capture.get()


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


def disturbance_warnings(result: Result) -> list[str]:
    """One ``Warning:`` line per thing that disturbed a measured run (none for a clean or a
    simulated run): commands print them on standard error whatever the format."""
    return [
        f"Warning: measurements were disturbed: {problem}"
        for problem in result.extra.get("disturbances", []) or []
        if isinstance(problem, str)
    ] or (["Warning: measurements were disturbed"] if result.extra.get("disturbed") else [])


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
                _percent(values["relative"]),
            )
    return table


def _task_table(comparison: MeasuredComparison) -> Table:
    """Real-time tasks: response times (finish − release) and misses, simulated and
    measured."""
    table = Table(title="Tasks: simulated vs measured", title_justify="left", show_edge=False)
    for heading in (
        "task",
        "mean R sim",
        "mean R measured",
        "relative",
        "worst R sim",
        "worst R measured",
        "misses sim",
        "misses measured",
    ):
        table.add_column(heading, justify="left" if heading == "task" else "right")
    for row in comparison.summary["tasks"]:
        mean, worst, misses = row["mean_response_time"], row["worst_response_time"], row["misses"]
        table.add_row(
            row["task"],
            fmt(mean["simulated"]) if mean["simulated"] is not None else "-",
            fmt(mean["measured"]) if mean["measured"] is not None else "-",
            _percent(mean["relative"]),
            fmt(worst["simulated"]) if worst["simulated"] is not None else "-",
            fmt(worst["measured"]) if worst["measured"] is not None else "-",
            fmt(misses["simulated"]),
            fmt(misses["measured"]),
        )
    return table


def _summary_table(comparison: MeasuredComparison) -> Table:
    summary = comparison.summary
    table = Table(title="Summary", title_justify="left", show_edge=False)
    table.add_column("", justify="left")
    table.add_column("simulated", justify="right")
    table.add_column("measured", justify="right")
    error = summary["turnaround_error"]
    table.add_row("turnaround error, mean", "", _percent(error["mean"], signed=False))
    table.add_row("turnaround error, median", "", _percent(error["median"], signed=False))
    worst = _percent(error["worst"], signed=False)
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
    verdicts = summary.get("miss_verdicts")
    if verdicts is not None:
        differing = verdicts["differing"]
        table.add_row(
            "deadline met or missed",
            "",
            "identical for every job"
            if verdicts["matches"]
            else f"DIFFERS for {len(differing)} job(s): {' '.join(differing[:8])}",
        )
    if summary.get("admission_control"):
        table.add_row("admission control", "", str(summary["admission_control"]))
    latency = summary.get("dispatch_latency_ms")
    if latency and latency.get("count"):
        table.add_row(
            "dispatch latency",
            "",
            f"p50 {latency['p50']:.3f} ms, p99 {latency['p99']:.3f} ms",
        )
    sync = summary.get("synchronisation")
    if sync:
        for resource, wait in sync["total_wait"].items():
            table.add_row(
                f"blocked on {resource}",
                fmt(wait.get("simulated")),
                fmt(wait.get("measured")),
            )
        shift = sync["hold_shift"]
        table.add_row("holds, largest shift", "", "holds differ" if shift is None else fmt(shift))
        for run in ("simulated", "measured"):
            if sync["deadlock"][run]:
                table.add_row(f"deadlock ({run})", "", sync["deadlock"][run])
    problems = len(summary.get("disturbances") or [])
    table.add_row(
        "measurements",
        "",
        f"DISTURBED ({problems} warning{'s' if problems != 1 else ''})"
        if summary.get("disturbed")
        else "undisturbed",
    )
    return table


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


def _percent(value: float | None, *, signed: bool = True) -> str:
    if value is None:
        return "—"
    text = f"{100 * value:.1f}%"
    return f"+{text}" if signed and value >= 0 else text


def _join(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def _finite(value: Any) -> Any:
    """Replace non-finite floats by None so the JSON stays standard."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


@plain_text
def comparison_gantt(comparison: MeasuredComparison, *, by: str | None = None) -> Any:
    """One figure: the simulated schedule above the measured one, on a shared time axis in
    the measured unit, row for row (both panels have the same rows, the idle row too), and
    the measurement's warnings in red when it was disturbed."""
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
        f"{_percent(error['mean'], signed=False)}, worst {_percent(error['worst'], signed=False)}"
        f"; completion order {'matches' if order['matches'] else 'differs'}"
    )
    return stacked_gantt([simulated, measured], titles, headline, by=by)


def stacked_gantt(
    results: list[Result], titles: list[str], headline: str, *, by: str | None = None
) -> Any:
    """One figure: the schedules of ``results`` (runs of the same processes; the last one
    measured) one above the other, on a shared time axis in the last one's unit, row for
    row, each under its title, with the warnings of every disturbed run in red."""
    import math

    from matplotlib.figure import Figure

    from schedsim import gantt

    first = results[0]
    view = gantt.check_view(by, first)
    schedules = [gantt.Schedule.of(result) for result in results]
    for schedule in schedules[:-1]:
        schedule.unit = schedules[-1].unit  # a simulation counts the same time units
    ranges = [
        schedule.deadline_range if view == "task" else schedule.time_range for schedule in schedules
    ]
    shared = (min(low for low, _ in ranges), max(high for _, high in ranges))
    idle_row = any(len(schedule.idle_profile()[0]) for schedule in schedules)
    count = len(schedules)
    cpus = max(schedule.cpus for schedule in schedules)
    if view == "cpu":
        rows = cpus
    else:
        named = len(schedules[0].tasks) if view == "task" else len(first.pids)
        rows = named + int(idle_row)
    gantt.check_chart_size(count * rows, sum(schedule.shapes for schedule in schedules))
    axes_height = min(gantt.MAX_AXES_HEIGHT / count, max(1.0, gantt.ROW_HEIGHT * rows))
    width = gantt.FIGURE_WIDTH
    labels = [*schedules[0].pids, "idle", "CPU 0"]
    left = gantt.LEFT + 0.075 * max(len(label) for label in labels)
    axes_width = width - left - gantt.RIGHT
    figure = Figure(figsize=(width, count * axes_height + 3), dpi=gantt.DPI)
    handles: dict[str, Any] = {}
    notes: list[str] = []
    panels: list[Any] = []
    for schedule, title in zip(schedules, titles, strict=True):
        axes = figure.add_axes((0, 0, 1, 1))
        key = gantt.draw_gantt(
            axes,
            schedule,
            view,
            axes_width=axes_width,
            axes_height=axes_height,
            time_range=shared,
            idle_row=idle_row,
        )
        for handle in key.handles:
            handles.setdefault(handle.get_label(), handle)
        notes += [note for note in key.notes if note not in notes]
        axes.set_title(gantt.chart_text(title, 160), fontsize=9, loc="left")
        panels.append(axes)
    warnings = [warning for result in results for warning in gantt.disturbance_note(result)]
    legend = list(handles.values())
    columns = gantt.legend_columns(legend, width)
    gap, top = 0.6, gantt.TOP + gantt.NOTE_HEIGHT * (len(notes) + len(warnings))
    bottom = gantt.BOTTOM + 0.1 + gantt.LEGEND_ROW * (math.ceil(len(legend) / columns))
    height = top + count * axes_height + (count - 1) * gap + bottom
    figure.set_size_inches(width, height)
    for position, axes in enumerate(panels):
        lower = bottom + (count - 1 - position) * (axes_height + gap)
        axes.set_position((left / width, lower / height, axes_width / width, axes_height / height))
    figure.suptitle(headline, fontsize=11, y=1 - 0.25 / height)
    gantt.place_notes(figure, notes, warnings, below=0.55, height=height)
    if legend:
        figure.legend(
            handles=legend,
            loc="upper center",
            bbox_to_anchor=(0.5, (bottom - 0.55) / height),
            ncol=columns,
            fontsize=8,
            frameon=False,
        )
    return figure


def save_comparison_gantt(
    comparison: MeasuredComparison,
    path: str,
    *,
    by: str | None = None,
    outputs: Outputs | None = None,
) -> None:
    """Draw :func:`comparison_gantt` and write it to ``path`` (png, svg or pdf), atomically;
    with ``outputs``, as one of a command's outputs, written when they all are."""
    from schedsim import gantt
    from schedsim.atomic import Outputs

    gantt.image_format(path)
    figure = gantt.figure_bytes(comparison_gantt(comparison, by=by), path)
    if outputs is not None:
        outputs.write(path, figure)
    else:
        with Outputs() as alone:
            alone.write(path, figure)
