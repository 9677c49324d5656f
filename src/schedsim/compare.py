"""Comparing policies: run several policy specs on one workload, tabulate, rank and plot.

Example::

    from schedsim import load_workload
    from schedsim.compare import compare_policies, comparison_table

    comparison = compare_policies(load_workload("workloads/classic.yaml"), "fcfs,sjf,rr:quantum=4")
    comparison.ranking("waiting")  # [(1, 'sjf', 3.0), (2, 'rr(quantum=4)', 5.67), (3, ...)]
    print(comparison_table(comparison))

Every policy runs on the same workload with the same engine settings (CPUs, context-switch
cost, tie rule, seed), so the differences are the policies' alone.  Rankings use competition
ranking (equal values share a rank: 1, 2, 2, 4); a metric's best value is the lowest, except
throughput and CPU utilisation where it is the highest.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from schedsim.api import simulate
from schedsim.atomic import Outputs
from schedsim.errors import OptionError
from schedsim.gantt import plain_text
from schedsim.policy_spec import LabelledPolicy, PolicySpec, build_policies
from schedsim.report import fmt, policy_label, shortened
from schedsim.result import Result
from schedsim.text_console import text_console
from schedsim.workload import Time, Workload

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass(frozen=True)
class Metric:
    """A summary metric shown in the comparison: its summary key, heading, and direction."""

    key: str
    heading: str
    higher_is_better: bool = False

    def format(self, value: Any) -> str:
        if self.key == "cpu_utilisation":
            return f"{100 * float(value):.1f}%"
        return fmt(value)


METRICS = (
    Metric("avg_turnaround", "mean turnaround"),
    Metric("avg_waiting", "mean waiting"),
    Metric("avg_response", "mean response"),
    Metric("p95_waiting", "p95 waiting"),
    Metric("p95_response", "p95 response"),
    Metric("throughput", "throughput", higher_is_better=True),
    Metric("cpu_utilisation", "CPU utilisation", higher_is_better=True),
    Metric("context_switches", "context switches"),
)
# Shown only when the workload has deadlines (real-time tasks).
DEADLINE_MISSES = Metric("deadline_misses", "deadline misses")
METRIC_BY_KEY = {metric.key: metric for metric in (*METRICS, DEADLINE_MISSES)}
# Short names accepted for --rank-by.
METRIC_ALIASES = {
    "turnaround": "avg_turnaround",
    "waiting": "avg_waiting",
    "response": "avg_response",
    "utilisation": "cpu_utilisation",
    "utilization": "cpu_utilisation",
    "switches": "context_switches",
    "misses": "deadline_misses",
}
DEFAULT_RANK_BY = "avg_turnaround"
# The engine settings a comparison's header shows.
ENGINE_SETTINGS = ("cpus", "context_switch", "ties", "seed")
PLOTTED_MEANS = ("avg_turnaround", "avg_waiting", "avg_response")


def metric(name: str) -> Metric:
    """Look up a metric by summary key or short name (``waiting`` = ``avg_waiting``)."""
    key = METRIC_ALIASES.get(name.strip().lower(), name.strip().lower())
    if key not in METRIC_BY_KEY:
        choices = ", ".join([*METRIC_ALIASES, *METRIC_BY_KEY])
        raise OptionError(f"unknown metric {name!r}; choose one of: {choices}")
    return METRIC_BY_KEY[key]


@dataclass(frozen=True)
class Entry:
    """One compared policy: its label, the spec it came from, and its result."""

    label: str
    spec: PolicySpec
    result: Result


@dataclass
class PolicyComparison:
    """The results of several policies on one workload, in the order they were given."""

    workload: str
    source: str | None
    settings: dict[str, Any]
    entries: list[Entry] = field(default_factory=list)
    rank_by: str = DEFAULT_RANK_BY

    @property
    def results(self) -> list[tuple[str, Result]]:
        return [(entry.label, entry.result) for entry in self.entries]

    @property
    def labels(self) -> list[str]:
        return [entry.label for entry in self.entries]

    @property
    def metrics(self) -> tuple[Metric, ...]:
        """The metrics shown: the standard ones, and deadline misses for tasks with
        deadlines."""
        if any("deadline_misses" in entry.result.summary for entry in self.entries):
            return (*METRICS, DEADLINE_MISSES)
        return METRICS

    def values(self, key: str) -> list[Any]:
        return [entry.result.summary.get(metric(key).key) for entry in self.entries]

    def ranks(self, key: str | None = None) -> list[int]:
        """Competition rank of each entry (1 = best) on a metric (default ``rank_by``)."""
        chosen = metric(key or self.rank_by)
        scores = [_score(value, chosen) for value in self.values(chosen.key)]
        return [1 + sum(1 for other in scores if _better(other, score)) for score in scores]

    def ranking(self, key: str | None = None) -> list[tuple[int, str, Any]]:
        """``(rank, label, value)`` best first (ties keep the order given)."""
        chosen = metric(key or self.rank_by)
        rows = zip(self.ranks(chosen.key), self.labels, self.values(chosen.key), strict=True)
        return sorted(rows, key=lambda row: row[0])

    def best(self, key: str) -> list[str]:
        """Labels of the entries with the best value of a metric (all of them on a tie)."""
        return [label for rank, label, _ in self.ranking(key) if rank == 1]

    # -- renderings ---------------------------------------------------------------------------
    def __repr__(self) -> str:
        from schedsim.notebook import comparison_repr

        return comparison_repr(self)

    def _repr_html_(self) -> str:
        """A notebook's view: the comparison table and, when small, the stacked charts."""
        from schedsim.notebook import comparison_html

        return comparison_html(self)

    def frame(self) -> Any:
        """One row per policy (indexed by its label): rank and every summary metric, as a
        pandas DataFrame (needs pandas)."""
        from schedsim.frames import rows_frame, summary_row

        return rows_frame(
            (
                {**summary_row(entry.result, entry.label), "rank": rank}
                for entry, rank in zip(self.entries, self.ranks(), strict=True)
            ),
            "policy",
        )

    def plot(self, *, by: str | None = None) -> Figure:
        """Every policy's Gantt chart on one time axis, then bars of the means (needs the
        timelines: compare with ``timeline=True``, the default)."""
        return comparison_figure(self, by=by)

    def to_dict(self) -> dict[str, Any]:
        ranks = self.ranks()
        return {
            "workload": self.workload,
            "workload_file": self.source,
            "settings": self.settings,
            "rank_by": self.rank_by,
            "policies": [
                {
                    "label": entry.label,
                    "spec": entry.spec.text,
                    "kind": entry.result.kind,
                    "policy": entry.result.policy,
                    "options": entry.result.options,
                    "rank": rank,
                    "summary": {
                        key: _json_number(value) for key, value in entry.result.summary.items()
                    },
                }
                for entry, rank in zip(self.entries, ranks, strict=True)
            ],
            "best": {m.key: self.best(m.key) for m in self.metrics},
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["rank", "label", "policy", *(m.key for m in self.metrics)])
        for entry, rank in zip(self.entries, self.ranks(), strict=True):
            summary = entry.result.summary
            writer.writerow(
                [
                    rank,
                    entry.label,
                    entry.result.policy,
                    *(_json_number(summary.get(m.key)) for m in self.metrics),
                ]
            )
        return buffer.getvalue()


def compare_policies(
    workload: Workload,
    specs: str | Sequence[PolicySpec] | Sequence[LabelledPolicy],
    *,
    defaults: Mapping[str, Any] | None = None,
    rank_by: str = DEFAULT_RANK_BY,
    cpus: int = 1,
    context_switch: Time = 0,
    ties: str = "arrivals-first",
    seed: int = 0,
    locks: str = "none",
    on_miss: str = "continue",
    timeline: bool = True,
    records: bool = True,
) -> PolicyComparison:
    """Run each policy spec on ``workload`` with the same engine settings.

    ``specs`` is a spec string (``"fcfs,rr:quantum=2"``, see :mod:`schedsim.policy_spec`),
    parsed specs, or already built policies; ``defaults`` fill in options specs leave unset.
    ``records=False`` keeps only each result's summary (its per-process columns are emptied
    as soon as it is summarised), so comparing many policies on a million processes needs
    the memory of one run, not of all of them.
    """
    rank_key = metric(rank_by).key
    policies = _labelled_policies(specs, defaults)
    settings: dict[str, Any] = {
        "cpus": cpus,
        "context_switch": context_switch,
        "ties": ties,
        "seed": seed,
        "locks": locks,
    }
    entries = []
    for labelled in policies:
        result = simulate(workload, labelled.policy, timeline=timeline, on_miss=on_miss, **settings)
        if not records:
            result = _summary_only(result)
        entries.append(Entry(labelled.label, labelled.spec, result))
    if workload.realtime is not None:
        settings["on_miss"] = on_miss
    return PolicyComparison(workload.name, workload.source, settings, entries, rank_key)


def saved_entry(result: Result, path: str | Path) -> Entry:
    """A saved result (of ``schedsim run`` or ``measure``) as a row of a comparison,
    labelled by its policy, its kind and its file: ``rr(quantum=4) (measured, run.json)``."""
    label = f"{policy_label(result)} ({result.kind}, {Path(path).name})"
    options = {key: str(value) for key, value in result.options.items() if value is not None}
    return Entry(label, PolicySpec(result.policy, options, str(path), 0), result)


def compare_saved(
    saved: Sequence[tuple[str | Path, Result]],
    comparison: PolicyComparison | None = None,
    *,
    workload: Workload | None = None,
    rank_by: str = DEFAULT_RANK_BY,
) -> PolicyComparison:
    """Saved results laid beside each other, after the policies of ``comparison`` when one
    is given (``workload``: the workload its policies ran on).  Every result must be of the
    same processes -- the workload's, else the first result's -- or the rows would compare
    different work."""
    entries = [saved_entry(result, path) for path, result in saved]
    if comparison is None:
        if not entries:
            raise OptionError("nothing to compare: give a workload or saved results")
        first = entries[0].result
        settings = {key: first.settings[key] for key in ENGINE_SETTINGS if key in first.settings}
        comparison = PolicyComparison(
            first.workload, first.source, settings, [], metric(rank_by).key
        )
    if workload is not None:
        reference, origin = list(workload.pid), workload.source or workload.name
    else:
        reference, origin = entries[0].result.pids, entries[0].spec.text
    for entry in entries:
        if entry.result.pids != reference:
            raise OptionError(
                f"{entry.spec.text}: its {len(entry.result.pids):,} processes are not those of "
                f"{origin} ({len(reference):,}); compare results of the same workload"
            )
    comparison.entries.extend(entries)
    return comparison


def _summary_only(result: Result) -> Result:
    """``result`` without its per-process records (empty columns of the same types)."""
    return replace(
        result,
        jobs={name: column[:0].copy() for name, column in result.jobs.items()},
        pids=[],
        timeline=None,
        io_periods=[],
    )


def _labelled_policies(
    specs: str | Sequence[PolicySpec] | Sequence[LabelledPolicy],
    defaults: Mapping[str, Any] | None,
) -> list[LabelledPolicy]:
    if isinstance(specs, str):
        return build_policies(specs, defaults)
    built = [item for item in specs if isinstance(item, LabelledPolicy)]
    parsed = [item for item in specs if isinstance(item, PolicySpec)]
    if len(built) == len(specs):
        return built
    if len(parsed) == len(specs):
        return build_policies(parsed, defaults)
    raise TypeError("specs: give a spec string, PolicySpec records or LabelledPolicy records")


def comparison_table(
    comparison: PolicyComparison, *, color: bool = False, width: int | None = None
) -> str:
    """The comparison as a text table: one row per policy, the best value of each column
    marked ``*`` (and bold when ``color``) unless the whole column ties.

    ``width`` bounds the table (a terminal's width); by default it takes the room it needs."""
    from rich.table import Table

    table = Table(show_edge=False, header_style="bold" if color else "")
    table.add_column("rank", justify="right")
    table.add_column("policy", justify="left", overflow="fold", max_width=36)
    shown = comparison.metrics
    for m in shown:
        table.add_column(m.heading.replace(" ", "\n", 1), justify="right", no_wrap=True)
    marked = {}
    for m in shown:
        best = set(comparison.best(m.key))
        marked[m.key] = best if len(best) < len(comparison.entries) else set()
    for entry, rank in zip(comparison.entries, comparison.ranks(), strict=True):
        cells = []
        for m in shown:
            text = m.format(entry.result.summary.get(m.key))
            if entry.label in marked[m.key]:
                text = f"[bold]{text} *[/bold]" if color else f"{text} *"
            else:
                text = f"{text}  "
            cells.append(text)
        table.add_row(str(rank), _escape(entry.label), *cells)
    console = text_console(width or 1000, color=color, markup=True)  # names escaped
    rank_metric = metric(comparison.rank_by)
    direction = "higher" if rank_metric.higher_is_better else "lower"
    with console.capture() as capture:
        console.print(
            shortened(f"{comparison.workload}: {_settings_text(comparison.settings)}", 200),
            markup=False,
        )
        console.print(table)
        console.print(f"* best in column; ranked by {rank_metric.heading} ({direction} is better)")
    return "\n".join(line.rstrip() for line in capture.get().splitlines()) + "\n"


# -- plotting ------------------------------------------------------------------------------------
@plain_text
def comparison_figure(comparison: PolicyComparison, *, by: str | None = None) -> Figure:
    """Each policy's Gantt chart stacked on a shared time axis (same colour per process in
    all, one legend above them), then bars of the mean turnaround, waiting and response
    times per policy across the full width.

    ``by`` defaults to the compact ``cpu`` view (one row per CPU) whatever the CPU count."""
    from matplotlib.figure import Figure

    from schedsim.gantt import (
        Schedule,
        arrival_strip,
        chart_rows,
        chart_text,
        check_chart_size,
        check_view,
        draw_gantt,
        legend_columns,
        place_notes,
    )

    view = check_view(by or "cpu", comparison.entries[0].result if comparison.entries else None)
    if not comparison.entries:
        raise OptionError("nothing to plot: the comparison has no policies")
    schedules = [Schedule.of(entry.result) for entry in comparison.entries]
    ranges = [
        schedule.deadline_range if view == "task" else schedule.time_range for schedule in schedules
    ]
    time_range = (min(low for low, _ in ranges), max(high for _, high in ranges))
    rows = [
        chart_rows(view, len(schedule.pids), schedule.cpus, len(schedule.tasks))
        for schedule in schedules
    ]
    check_chart_size(sum(rows), sum(schedule.shapes for schedule in schedules))
    idle_row = any(len(schedule.idle_profile()[0]) for schedule in schedules)
    row_height = 0.3 if view == "cpu" else 0.22
    strips = [arrival_strip(schedule) / 72 if view == "cpu" else 0.0 for schedule in schedules]
    heights = [
        max(0.45, row_height * count) + strip for count, strip in zip(rows, strips, strict=True)
    ]
    gap, title_room, bars_height, bottom = 0.75, 0.3, 2.4, 0.5
    width, left, right = 11.0, 1.2, 0.3
    axes_width = width - left - right
    charts_height = sum(heights) + len(heights) * title_room + (len(heights) - 1) * 0.25
    figure = Figure(figsize=(width, charts_height + gap + bars_height + 2), dpi=110)
    panels: list[Any] = []
    handles: dict[str, Any] = {}
    notes: list[str] = []
    for entry, schedule, height in zip(comparison.entries, schedules, heights, strict=True):
        axes = figure.add_axes((0, 0, 1, 1), sharex=panels[0] if panels else None)
        key = draw_gantt(
            axes,
            schedule,
            view,
            axes_width=axes_width,
            axes_height=height,
            time_range=time_range,
            idle_row=idle_row,
        )
        for handle in key.handles:
            handles.setdefault(handle.get_label(), handle)
        notes += [note for note in key.notes if note not in notes]
        summary = entry.result.summary
        axes.set_title(
            f"{entry.label}   —   turnaround {fmt(summary.get('avg_turnaround'))} · "
            f"waiting {fmt(summary.get('avg_waiting'))} · "
            f"response {fmt(summary.get('avg_response'))}",
            loc="left",
            fontsize=9,
        )
        axes.set_xlabel("")
        panels.append(axes)
    legend = list(handles.values())
    columns = legend_columns(legend, width)
    legend_height = 0.24 * math.ceil(len(legend) / columns) if legend else 0.0
    top = 0.6 + 0.2 * len(notes) + legend_height + 0.15
    total = top + charts_height + gap + bars_height + bottom
    figure.set_size_inches(width, total)
    cursor = total - top
    for axes, height in zip(panels, heights, strict=True):
        cursor -= title_room + height
        axes.set_position((left / width, cursor / total, axes_width / width, height / total))
        cursor -= 0.25
    for axes in panels[:-1]:
        axes.tick_params(axis="x", labelbottom=False)
    panels[-1].set_xlabel(schedules[-1].time_label, fontsize=9)
    bar_axes = figure.add_axes(
        (left / width, bottom / total, axes_width / width, (bars_height - 0.3) / total)
    )
    _draw_mean_bars(bar_axes, comparison)
    figure.suptitle(
        chart_text(
            f"{comparison.workload}: {len(comparison.entries)} policies, "
            f"{_settings_text(comparison.settings)}",
            160,
        ),
        fontsize=11,
        y=1 - 0.25 / total,
    )
    place_notes(figure, notes, [], below=0.55, height=total)
    if legend:
        figure.legend(
            handles=legend,
            loc="upper center",
            bbox_to_anchor=(0.5, 1 - (0.45 + 0.2 * len(notes)) / total),
            fontsize=8,
            frameon=False,
            ncol=columns,
            handlelength=1.4,
        )
    return figure


def save_comparison_plot(
    comparison: PolicyComparison,
    path: str | Path,
    by: str | None = None,
    *,
    outputs: Outputs | None = None,
) -> None:
    """Draw :func:`comparison_figure` and write it atomically (format from the extension);
    with ``outputs``, as one of a command's outputs, written when they all are."""
    from schedsim.gantt import figure_bytes, image_format

    image_format(path)
    figure = figure_bytes(comparison_figure(comparison, by=by), path)
    if outputs is not None:
        outputs.write(path, figure)
    else:
        with Outputs() as alone:
            alone.write(path, figure)


# The three means, in shades of one slate hue: nothing like a process's colour.
MEAN_SHADES = ("#3d4a5c", "#7f8fa6", "#c4cedb")


def _draw_mean_bars(axes: Any, comparison: PolicyComparison) -> None:
    """The mean turnaround, waiting and response of each policy: one group of three bars
    per policy, across the whole width, each bar labelled with its value."""
    import numpy as np

    count = len(comparison.entries)
    positions = np.arange(count)
    width = 0.8 / len(PLOTTED_MEANS)
    for index, key in enumerate(PLOTTED_MEANS):
        values = [float(result.summary.get(key) or 0) for _, result in comparison.results]
        bars = axes.bar(
            positions - 0.4 + width * (index + 0.5),
            values,
            width * 0.92,
            color=MEAN_SHADES[index],
            label=METRIC_BY_KEY[key].heading,
            gid=f"means:{key}",
        )
        if count <= 12:
            axes.bar_label(bars, labels=[fmt(v) for v in values], fontsize=7, padding=1)
    axes.set_xticks(positions, [_short(label) for label in comparison.labels], fontsize=8)
    axes.set_xlim(-0.5, count - 0.5)
    axes.tick_params(axis="y", labelsize=8)
    axes.set_ylabel("time", fontsize=9)
    axes.margins(y=0.15)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.legend(fontsize=8, frameon=False, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=3)


def _short(label: str, limit: int = 28) -> str:
    """A policy label for an axis tick: cut, with an ellipsis, past ``limit`` characters."""
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _settings_text(settings: Mapping[str, Any]) -> str:
    parts = [f"{settings.get('cpus', 1)} CPU{'s' if settings.get('cpus', 1) != 1 else ''}"]
    parts.append(f"context switch {fmt(settings.get('context_switch', 0))}")
    if settings.get("ties", "arrivals-first") != "arrivals-first":
        parts.append(f"ties {settings['ties']}")
    return ", ".join(parts)


def _score(value: Any, chosen: Metric) -> float:
    """A number where lower is better (missing values rank last)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return math.inf
    return -float(value) if chosen.higher_is_better else float(value)


def _better(first: float, second: float) -> bool:
    return first < second and not math.isclose(first, second, rel_tol=1e-9, abs_tol=1e-12)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _json_number(value: Any) -> Any:
    """Floats to 12 significant digits (percentiles carry noise like 19.949999999999996),
    non-finite ones as null."""
    if isinstance(value, float):
        return float(f"{value:.12g}") if math.isfinite(value) else None
    return value
