"""Gantt charts of a run, drawn with matplotlib from a :class:`~schedsim.result.Result` only.

Charts read the result's timeline, I/O periods and per-process records — never the engine —
so a measured run is drawn exactly like a simulated one, and ``schedsim gantt`` can redraw a
result saved last week.

Two views:

``process``
    one row per process (the default for one CPU): its CPU slices in its colour, its I/O
    periods hatched, its arrival marked with a triangle, a thin line over its lifetime
    (arrival to finish, so time spent waiting is visible), and a bottom ``idle`` row where
    CPUs sat idle (darker = more CPUs idle).
``cpu``
    one row per CPU (the default for several CPUs): slices in their process's colour,
    idle gaps in hatched grey labelled ``idle`` where there is room.

In both, a context switch is a dark segment from the slice's dispatch to the start of its
execution, and when the policy has queue levels (MLFQ) each slice is labelled ``L0``, ``L1``
... where it is wide enough and shaded lighter the lower its level.

Speed: each row is one :class:`~matplotlib.collections.PolyCollection` built from numpy
arrays (one artist per row, not per slice), and text labels are drawn only on small charts
(at most :data:`LABEL_LIMIT` slices), so a 50,000-slice chart renders to PNG in one to two
seconds.  matplotlib is imported inside the functions, so commands that draw no chart do
not pay for it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from schedsim.atomic import check_writable, write_atomic
from schedsim.colors import (
    BLOCKED_COLOUR,
    BLOCKED_FILL,
    DEADLOCK_COLOUR,
    HOLD_COLOUR,
    IDLE_COLOUR,
    SWITCH_COLOUR,
    process_colour,
    text_colour,
)
from schedsim.errors import LimitError, OptionError
from schedsim.limits import MAX_CHART_ROWS, MAX_CHART_SLICES
from schedsim.report import describe, fmt
from schedsim.result import Result

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

VIEWS = ("process", "cpu")
FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}

LABEL_LIMIT = 400  # charts with more slices than this get no text inside bars
BAR_HEIGHT = 0.72
FONT_SIZE = 7.5
DPI = 110
FIGURE_WIDTH = 11.0  # inches
ROW_HEIGHT = 0.34  # inches per row, shrinking on very tall charts
MAX_AXES_HEIGHT = 22.0  # inches
LEFT, RIGHT, TOP, BOTTOM = 0.3, 0.3, 0.75, 1.25  # margins (inches) around the chart
DEEPEST_LIGHTENING = 0.6  # the lowest queue level's colour is mixed this much with white


@dataclass
class Schedule:
    """The columns a chart needs, as numpy arrays, pulled once out of a result."""

    pids: list[str]
    cpu: np.ndarray
    job: np.ndarray
    dispatched: np.ndarray
    start: np.ndarray
    end: np.ndarray
    level: np.ndarray
    io_job: np.ndarray
    io_start: np.ndarray
    io_end: np.ndarray
    arrival: np.ndarray
    finish: np.ndarray
    cpus: int
    integer_times: bool
    measured: bool = False  # real runs: dispatched..start is dispatch latency, not a switch
    # Processes that synchronise: time blocked on a resource, and locks or semaphore units
    # held, as (job, start, end, resource) rows; when the run ended in a deadlock, its time.
    blocked: list[tuple[int, float, float, str]] = field(default_factory=list)
    holds: list[tuple[int, float, float, str]] = field(default_factory=list)
    deadlock_at: float | None = None

    @classmethod
    def of(cls, result: Result) -> Schedule:
        if result.timeline is None:
            raise OptionError(
                f"{result.source or result.workload}: the result has no timeline to draw; "
                "run again without --summary-only / --no-timeline"
            )
        columns = result.timeline.arrays()
        order = np.lexsort((columns["dispatched"], columns["cpu"]))
        io_rows = np.asarray(result.io_periods, dtype=np.float64).reshape(-1, 3)
        cpus_used = int(columns["cpu"].max()) + 1 if len(order) else 1
        blocked, holds, deadlock_at = _synchronisation(result)
        return cls(
            pids=list(result.pids),
            cpu=columns["cpu"][order].astype(np.int64),
            job=columns["job"][order].astype(np.int64),
            dispatched=columns["dispatched"][order].astype(np.float64),
            start=columns["start"][order].astype(np.float64),
            end=columns["end"][order].astype(np.float64),
            level=columns["level"][order].astype(np.int64),
            io_job=io_rows[:, 0].astype(np.int64),
            io_start=io_rows[:, 1],
            io_end=io_rows[:, 2],
            arrival=np.asarray(result.jobs["arrival"], dtype=np.float64),
            finish=np.asarray(result.jobs["finish"], dtype=np.float64),
            cpus=max(int(result.settings.get("cpus") or 1), cpus_used),
            integer_times=result.integer_times,
            measured=result.kind == "measured",
            blocked=blocked,
            holds=holds,
            deadlock_at=deadlock_at,
        )

    def __len__(self) -> int:
        return len(self.job)

    @property
    def has_levels(self) -> bool:
        return bool(len(self.level)) and int(self.level.max()) >= 0

    @property
    def time_range(self) -> tuple[float, float]:
        """From time 0 (or the first arrival, if earlier) to the last thing that happened."""
        lows = [0.0, *(array.min() for array in (self.arrival, self.dispatched) if len(array))]
        highs = [
            *(
                array[~np.isnan(array)].max()
                for array in (self.end, self.finish, self.io_end)
                if np.any(~np.isnan(array))
            ),
            *(end for _, _, end, _ in self.blocked),
            0.0,
        ]
        if self.deadlock_at is not None:
            highs.append(self.deadlock_at)
        low, high = float(min(lows)), float(max(highs))
        return low, high if high > low else low + 1.0

    def idle_periods(self, cpu: int) -> tuple[np.ndarray, np.ndarray]:
        """Gaps in ``cpu``'s schedule (dispatch to end counts as busy) over the chart range."""
        low, high = self.time_range
        mask = self.cpu == cpu
        busy_from, busy_to = self.dispatched[mask], self.end[mask]
        starts = np.maximum.accumulate(np.concatenate(([low], busy_to)))
        ends = np.concatenate((busy_from, [high]))
        keep = ends > starts
        return starts[keep], ends[keep]

    def idle_profile(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Intervals where at least one CPU is idle, with the number of idle CPUs."""
        low, high = self.time_range
        times = np.concatenate(([low], self.dispatched, self.end, [high]))
        steps = np.concatenate(([0], np.ones(len(self)), -np.ones(len(self)), [0]))
        order = np.argsort(times, kind="stable")
        times, busy = times[order], np.cumsum(steps[order])
        starts, ends, idle = times[:-1], times[1:], self.cpus - busy[:-1]
        keep = (ends > starts) & (idle > 0)
        starts, ends, idle = starts[keep], ends[keep], idle[keep]
        # Join touching intervals with the same idle count (events in between changed nothing).
        joins = np.flatnonzero((starts[1:] == ends[:-1]) & (idle[1:] == idle[:-1])) + 1
        first = np.ones(len(starts), dtype=bool)
        first[joins] = False
        heads = np.flatnonzero(first)
        tails = np.concatenate((heads[1:] - 1, [len(starts) - 1])) if len(heads) else heads
        return starts[heads], ends[tails], idle[heads]


def _synchronisation(
    result: Result,
) -> tuple[list[tuple[int, float, float, str]], list[tuple[int, float, float, str]], float | None]:
    """Blocked periods and holds from a result's ``resources`` (a wait or hold still open
    when the run stopped ends then), and the deadlock's time."""
    if result.resources is None:
        return [], [], None
    index = {pid: job for job, pid in enumerate(result.pids)}
    deadlock_at = float(result.deadlock["time"]) if result.deadlock is not None else None
    finishes = np.asarray(result.jobs["finish"], dtype=np.float64)
    stop = deadlock_at if deadlock_at is not None else float(np.nanmax(finishes))

    def rows(key: str, start: str, end: str) -> list[tuple[int, float, float, str]]:
        out = []
        for row in result.resources.get(key, []):  # type: ignore[union-attr]
            until = row.get(end)
            out.append(
                (
                    index[row["pid"]],
                    float(row[start]),
                    float(until) if until is not None else stop,
                    f"{row['resource']}",
                )
            )
        return out

    return rows("waits", "from", "to"), rows("holds", "acquired", "released"), deadlock_at


def default_view(result: Result) -> str:
    """``process`` for one CPU, ``cpu`` for several."""
    return "cpu" if int(result.settings.get("cpus") or 1) > 1 else "process"


def check_view(by: str | None, result: Result | None = None) -> str:
    if by is None:
        return default_view(result) if result is not None else "process"
    if by not in VIEWS:
        raise OptionError(f"chart view {by!r}: choose one of {', '.join(VIEWS)}")
    return by


def image_format(path: str | Path, *, text_hint: bool = False) -> str:
    """The image format for ``path``'s extension (png, svg, pdf).  ``text_hint``: the
    option also takes '-' for a text chart (``run --gantt``), so the error says so."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        shown = repr(suffix) if suffix else "no extension"
        hint = " (or use '-' for a text chart)" if text_hint else ""
        raise OptionError(
            f"{path}: cannot draw a chart as {shown}; "
            f"name the file with one of {', '.join(FORMATS)}{hint}"
        )
    return FORMATS[suffix]


def chart_rows(view: str, processes: int, cpus: int) -> int:
    """How many rows a chart has: one per CPU, or one per process plus the idle row."""
    return cpus if view == "cpu" else processes + 1


def check_chart_size(rows: int, slices: int = 0) -> None:
    """Refuse a chart past :data:`MAX_CHART_ROWS` rows or :data:`MAX_CHART_SLICES` slices
    (callers check the rows before a run, when they are already known)."""
    if rows > MAX_CHART_ROWS:
        raise LimitError(
            f"a chart of {rows:,} rows (one per process) is over the limit of "
            f"{MAX_CHART_ROWS:,}; draw one row per CPU (--gantt-by cpu, --by cpu, "
            "--plot-by cpu) or chart a smaller workload"
        )
    if slices > MAX_CHART_SLICES:
        raise LimitError(
            f"a chart of {slices:,} slices is over the limit of {MAX_CHART_SLICES:,}; chart a "
            "smaller workload or use a larger quantum"
        )


def gantt_figure(result: Result, *, by: str | None = None) -> Figure:
    """One Gantt chart of ``result`` (``by``: ``process`` or ``cpu``; default by CPU count)."""
    from matplotlib.figure import Figure

    view = check_view(by, result)
    schedule = Schedule.of(result)
    check_chart_size(chart_rows(view, len(schedule.pids), schedule.cpus), len(schedule))
    rows = _row_count(schedule, view)
    axes_height = min(MAX_AXES_HEIGHT, max(1.0, ROW_HEIGHT * rows))
    left = LEFT + 0.075 * max(len(label) for label in _row_labels(schedule, view))
    height = axes_height + TOP + BOTTOM
    figure = Figure(figsize=(FIGURE_WIDTH, height), dpi=DPI)
    axes = figure.add_axes(
        (
            left / FIGURE_WIDTH,
            BOTTOM / height,
            (FIGURE_WIDTH - left - RIGHT) / FIGURE_WIDTH,
            axes_height / height,
        )
    )
    handles = draw_gantt(axes, schedule, view, axes_width=FIGURE_WIDTH - left - RIGHT)
    figure.suptitle(f"{result.workload}: {describe(result)}", fontsize=11, y=1 - 0.25 / height)
    if handles:
        figure.legend(
            handles=handles,
            loc="center",
            bbox_to_anchor=(0.5, 0.58 / height),
            ncol=min(len(handles), 8),
            fontsize=8,
            frameon=False,
            handlelength=1.6,
        )
    figure.text(0.5, 0.2 / height, caption(result), ha="center", va="center", fontsize=8.5)
    return figure


def plot_gantt(result: Result, ax: Axes | None = None, *, by: str | None = None) -> Axes:
    """Draw ``result``'s Gantt chart on ``ax`` (a new pyplot figure sized for the rows when
    None, as a notebook expects) and return the Axes, with a legend of what it shows."""
    view = check_view(by, result)
    schedule = Schedule.of(result)
    check_chart_size(chart_rows(view, len(schedule.pids), schedule.cpus), len(schedule))
    if ax is None:
        import matplotlib.pyplot as plt

        rows = _row_count(schedule, view)
        _, ax = plt.subplots(figsize=(FIGURE_WIDTH, min(MAX_AXES_HEIGHT, 1.6 + ROW_HEIGHT * rows)))
    figure = ax.get_figure(root=True)
    width = ax.get_position().width * (
        figure.get_figwidth() if figure is not None else FIGURE_WIDTH
    )
    handles = draw_gantt(ax, schedule, view, axes_width=width)
    ax.set_title(f"{result.workload}: {describe(result)}", fontsize=10)
    if handles:
        ax.legend(
            handles=handles, fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0)
        )
    return ax


def caption(result: Result) -> str:
    """Key summary metrics in one line."""
    summary = result.summary
    parts = []
    if summary.get("finished", summary.get("processes")):
        parts += [
            f"avg turnaround {fmt(summary.get('avg_turnaround'))}",
            f"avg waiting {fmt(summary.get('avg_waiting'))}",
            f"avg response {fmt(summary.get('avg_response'))}",
        ]
    parts += [
        f"CPU utilisation {100 * float(summary.get('cpu_utilisation') or 0):.1f}%",
        f"context switches {fmt(summary.get('context_switches'))}",
    ]
    if result.deadlock is not None:
        parts.append(f"deadlock at t={fmt(result.deadlock.get('time'))}")
    return "   ·   ".join(parts)


def save_gantt(result: Result, path: str | Path, by: str | None = None) -> None:
    """Draw ``result`` and write the image to ``path`` (format from the extension), all or
    nothing: the image is rendered in memory first, then written atomically."""
    image_format(path)
    check_writable(path)
    write_atomic(path, figure_bytes(gantt_figure(result, by=by), path))


def figure_bytes(figure: Figure, path: str | Path) -> bytes:
    """Render ``figure`` in the format ``path``'s extension names, without dates embedded
    (the same result gives the same file)."""
    kind = image_format(path)
    metadata: dict[str, Any] = {"png": {}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}[
        kind
    ]
    from matplotlib import rc_context

    buffer = io.BytesIO()
    with rc_context({"svg.hashsalt": "schedsim"}):  # stable element ids in SVG
        figure.savefig(buffer, format=kind, dpi=DPI, metadata=metadata)
    return buffer.getvalue()


# -- drawing -------------------------------------------------------------------------------------
def draw_gantt(
    axes: Axes,
    schedule: Schedule,
    view: str,
    *,
    axes_width: float,
    time_range: tuple[float, float] | None = None,
) -> list[Any]:
    """Draw ``schedule`` on ``axes``; return legend handles for what the chart shows.

    ``axes_width`` (inches) decides which slices are wide enough for a text label;
    ``time_range`` sets a shared x range when several charts are stacked."""
    from matplotlib.ticker import MaxNLocator

    low, high = time_range or schedule.time_range
    points_per_unit = axes_width * 72 / (high - low)
    labels_allowed = len(schedule) <= LABEL_LIMIT
    colours = _slice_colours(schedule)
    drawn = _Drawn()
    if view == "process":
        _draw_process_rows(axes, schedule, colours, drawn, points_per_unit, labels_allowed)
    else:
        _draw_cpu_rows(axes, schedule, colours, drawn, points_per_unit, labels_allowed)
    labels = _row_labels(schedule, view)
    rows = len(labels)
    every = max(1, rows // 60)
    axes.set_yticks(range(0, rows, every), [labels[i] for i in range(0, rows, every)], fontsize=8)
    axes.set_ylim(rows - 0.5, -0.5 - (0.25 if view == "cpu" else 0))
    axes.set_xlim(low, high + (high - low) * 0.005)
    if schedule.integer_times:
        axes.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
    axes.set_xlabel("time", fontsize=9)
    axes.tick_params(axis="x", labelsize=8)
    axes.grid(axis="x", color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return drawn.legend_handles(schedule, view)


def _slices_and_switches(
    axes: Any,
    schedule: Schedule,
    chosen: np.ndarray,
    row: int,
    name: str,
    colours: np.ndarray,
    edges: bool,
    drawn: _Drawn,
) -> None:
    """One row's slices (``gid`` ``slices:NAME``) and the switch time before each
    (``switch:NAME``), in both views."""
    _bars(
        axes,
        schedule.start[chosen],
        schedule.end[chosen],
        row,
        facecolors=colours[chosen],
        gid=f"slices:{name}",
        edgecolor="white" if edges else "none",
        linewidth=0.6 if edges else 0,
        zorder=3,
    )
    switching = chosen[schedule.dispatched[chosen] < schedule.start[chosen]]
    if len(switching):
        drawn.switches = True
        _bars(
            axes,
            schedule.dispatched[switching],
            schedule.start[switching],
            row,
            facecolors=SWITCH_COLOUR,
            gid=f"switch:{name}",
            zorder=3,
        )


class _Drawn:
    """What a chart ended up showing, for its legend."""

    def __init__(self) -> None:
        self.switches = False
        self.io = False
        self.idle = False
        self.arrivals = False
        self.blocked = False
        self.holds = False

    def legend_handles(self, schedule: Schedule, view: str) -> list[Any]:
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        handles: list[Any] = []
        if view == "cpu" and len(schedule.pids) <= 12:
            handles += [
                Patch(facecolor=process_colour(i), label=pid) for i, pid in enumerate(schedule.pids)
            ]
        if self.arrivals:
            handles.append(
                Line2D(
                    [],
                    [],
                    marker="^" if view == "process" else "v",
                    linestyle="none",
                    markerfacecolor="white",
                    markeredgecolor="black",
                    label="arrival",
                )
            )
        if self.io:
            handles.append(Patch(facecolor="white", edgecolor="#555555", hatch="////", label="I/O"))
        if self.blocked:
            handles.append(
                Patch(
                    facecolor=BLOCKED_FILL, edgecolor=BLOCKED_COLOUR, hatch="..", label="blocked on"
                )
            )
        if self.holds:
            handles.append(Patch(facecolor=HOLD_COLOUR, label="holds"))
        if schedule.deadlock_at is not None:
            handles.append(Line2D([], [], color=DEADLOCK_COLOUR, linestyle="--", label="deadlock"))
        if self.switches:
            label = "dispatch latency" if schedule.measured else "context switch"
            handles.append(Patch(facecolor=SWITCH_COLOUR, label=label))
        if self.idle:
            handles.append(
                Patch(facecolor="#f2f2f2", edgecolor=IDLE_COLOUR, hatch="xx", label="idle")
            )
        if schedule.has_levels:
            handles.append(
                Patch(facecolor="#888888", edgecolor="none", label="L0 (dark) … lower (light)")
            )
        return handles


def _draw_process_rows(
    axes: Axes,
    schedule: Schedule,
    colours: np.ndarray,
    drawn: _Drawn,
    points_per_unit: float,
    labels_allowed: bool,
) -> None:
    from matplotlib.collections import LineCollection

    count = len(schedule.pids)
    rows = np.arange(count, dtype=np.float64)
    ended = np.where(np.isnan(schedule.finish), schedule.time_range[1], schedule.finish)
    lifetimes = np.stack(
        (
            np.column_stack((schedule.arrival, rows)),
            np.column_stack((np.maximum(ended, schedule.arrival), rows)),
        ),
        axis=1,
    )
    axes.add_collection(
        LineCollection(
            lifetimes,  # type: ignore[arg-type]
            colors="#b0b0b0",
            linewidths=0.8,
            zorder=1,
            gid="lifetimes",
        )
    )
    slice_order = np.argsort(schedule.job, kind="stable")
    slice_bounds = np.searchsorted(schedule.job[slice_order], np.arange(count + 1))
    io_order = np.argsort(schedule.io_job, kind="stable")
    io_bounds = np.searchsorted(schedule.io_job[io_order], np.arange(count + 1))
    edges = len(schedule) <= 2000
    for job, pid in enumerate(schedule.pids):
        colour = process_colour(job)
        chosen = slice_order[slice_bounds[job] : slice_bounds[job + 1]]
        _slices_and_switches(axes, schedule, chosen, job, pid, colours, edges, drawn)
        in_io = io_order[io_bounds[job] : io_bounds[job + 1]]
        if len(in_io):
            drawn.io = True
            _bars(
                axes,
                schedule.io_start[in_io],
                schedule.io_end[in_io],
                job,
                height=BAR_HEIGHT * 0.7,
                facecolors=_with_alpha(colour, 0.22),
                edgecolor=colour,
                linewidth=0.6,
                hatch="////",
                gid=f"io:{pid}",
                zorder=2,
            )
        if labels_allowed and schedule.has_levels:
            for index in chosen:
                if schedule.level[index] >= 0:
                    _label(
                        axes,
                        schedule.start[index],
                        schedule.end[index],
                        job,
                        f"L{schedule.level[index]}",
                        colours[index],
                        points_per_unit,
                    )
    if count:
        drawn.arrivals = True
        axes.scatter(
            schedule.arrival,
            rows + BAR_HEIGHT / 2 + 0.02,
            s=28 if count <= 60 else 10,
            marker="^",
            c=[process_colour(job) for job in range(count)],
            edgecolors="black",
            linewidths=0.5,
            zorder=4,
            gid="arrivals",
            clip_on=False,
        )
    _draw_synchronisation(axes, schedule, drawn, points_per_unit, labels_allowed)
    starts, ends, idle = schedule.idle_profile()
    if len(starts):
        drawn.idle = True
        shade = 0.35 + 0.65 * idle / schedule.cpus
        facecolors = np.tile(np.array([[0.74, 0.74, 0.74, 1.0]]), (len(starts), 1))
        facecolors[:, 3] = shade
        _bars(
            axes,
            starts,
            ends,
            count,
            facecolors=facecolors,
            edgecolor="#999999",
            linewidth=0.4,
            hatch="xx",
            gid="idle",
            zorder=2,
        )


def _draw_synchronisation(
    axes: Axes, schedule: Schedule, drawn: _Drawn, points_per_unit: float, labels_allowed: bool
) -> None:
    """Process rows: time blocked on a resource (dotted, labelled with the resource), the
    locks and semaphore units a process holds (a dark strip along the top of its row, with
    the resource's name), and a dashed line where the run ended in a deadlock."""
    for job, start, end, resource in schedule.blocked:
        drawn.blocked = True
        _bars(
            axes,
            np.array([start]),
            np.array([end]),
            job,
            height=BAR_HEIGHT * 0.7,
            facecolors=BLOCKED_FILL,
            edgecolor=BLOCKED_COLOUR,
            linewidth=0.6,
            hatch="..",
            gid=f"blocked:{schedule.pids[job]}",
            zorder=2,
        )
        if labels_allowed:
            _label(axes, start, end, job, resource, BLOCKED_FILL, points_per_unit)
    for job, start, end, resource in schedule.holds:
        drawn.holds = True
        strip = job - BAR_HEIGHT / 2 - 0.06
        _bars(
            axes,
            np.array([start]),
            np.array([end]),
            strip,
            height=0.08,
            facecolors=HOLD_COLOUR,
            edgecolor="none",
            gid=f"holds:{schedule.pids[job]}",
            zorder=3,
        )
        if labels_allowed and (end - start) * points_per_unit > len(resource) * 5:
            axes.text(start, strip, resource, fontsize=6, va="bottom", ha="left", color=HOLD_COLOUR)
    if schedule.deadlock_at is not None:
        axes.axvline(schedule.deadlock_at, color=DEADLOCK_COLOUR, linestyle="--", linewidth=1.2)
        axes.text(
            schedule.deadlock_at,
            -0.5,
            f"deadlock at {schedule.deadlock_at:g} ",
            color=DEADLOCK_COLOUR,
            fontsize=8,
            va="bottom",
            ha="right",
        )


def _draw_cpu_rows(
    axes: Axes,
    schedule: Schedule,
    colours: np.ndarray,
    drawn: _Drawn,
    points_per_unit: float,
    labels_allowed: bool,
) -> None:
    edges = len(schedule) <= 2000
    for cpu in range(schedule.cpus):
        chosen = np.flatnonzero(schedule.cpu == cpu)
        _slices_and_switches(axes, schedule, chosen, cpu, f"cpu{cpu}", colours, edges, drawn)
        idle_starts, idle_ends = schedule.idle_periods(cpu)
        if len(idle_starts):
            drawn.idle = True
            _bars(
                axes,
                idle_starts,
                idle_ends,
                cpu,
                facecolors="#f2f2f2",
                edgecolor=IDLE_COLOUR,
                linewidth=0.5,
                hatch="xx",
                gid=f"idle:cpu{cpu}",
                zorder=2,
            )
            if labels_allowed:
                for low, high in zip(idle_starts.tolist(), idle_ends.tolist(), strict=True):
                    _label(axes, low, high, cpu, "idle", "#f2f2f2", points_per_unit)
        if labels_allowed:
            for index in chosen:
                level = schedule.level[index]
                text = schedule.pids[schedule.job[index]]
                if level >= 0:
                    text = f"{text} L{level}"
                _label(
                    axes,
                    schedule.start[index],
                    schedule.end[index],
                    cpu,
                    text,
                    colours[index],
                    points_per_unit,
                )
    if len(schedule.pids):
        drawn.arrivals = True
        axes.scatter(
            schedule.arrival,
            np.full(len(schedule.arrival), -0.5 - 0.12),
            s=22,
            marker="v",
            c=[process_colour(job) for job in range(len(schedule.pids))],
            edgecolors="black",
            linewidths=0.5,
            zorder=4,
            gid="arrivals",
            clip_on=False,
        )


def _bars(
    axes: Axes,
    lows: np.ndarray,
    highs: np.ndarray,
    row: float,
    *,
    height: float = BAR_HEIGHT,
    gid: str,
    **style: Any,
) -> None:
    """One PolyCollection of rectangles [low, high] x row±height/2 (one artist per row)."""
    from matplotlib.collections import PolyCollection

    if not len(lows):
        return
    top, bottom = row - height / 2, row + height / 2
    xs = np.column_stack((lows, lows, highs, highs))
    ys = np.broadcast_to(np.array([top, bottom, bottom, top]), xs.shape)
    vertices = np.stack((xs, ys), axis=2)
    collection = PolyCollection(vertices, closed=True, **style)  # type: ignore[arg-type]
    collection.set_gid(gid)
    axes.add_collection(collection, autolim=False)


def _label(
    axes: Axes,
    low: float,
    high: float,
    row: int,
    text: str,
    background: Any,
    points_per_unit: float,
) -> None:
    """Text centred in a bar, only if the bar is wide enough to hold it."""
    if (high - low) * points_per_unit < len(text) * FONT_SIZE * 0.62 + 4:
        return
    if not isinstance(background, str):
        red, green, blue, alpha = (float(value) for value in background)
        background = "#{:02x}{:02x}{:02x}".format(
            *(round(255 * (alpha * channel + 1 - alpha)) for channel in (red, green, blue))
        )
    axes.text(
        (low + high) / 2,
        row,
        text,
        ha="center",
        va="center",
        fontsize=FONT_SIZE,
        color=text_colour(background),
        zorder=5,
        clip_on=True,
    )


def _slice_colours(schedule: Schedule) -> np.ndarray:
    """RGBA per slice: its process's colour, lighter the lower its queue level (opaque, so
    the lifetime line behind a bar stays hidden)."""
    from matplotlib.colors import to_rgba_array

    palette = to_rgba_array([process_colour(job) for job in range(len(schedule.pids))] or ["k"])
    colours = palette[schedule.job] if len(schedule) else np.zeros((0, 4))
    if schedule.has_levels:
        deepest = max(1, int(schedule.level.max()))
        depth = np.clip(schedule.level, 0, None) / deepest
        whiteness = (DEEPEST_LIGHTENING * depth)[:, None]
        colours[:, :3] = colours[:, :3] * (1.0 - whiteness) + whiteness
    return colours


def _with_alpha(colour: str, alpha: float) -> tuple[float, float, float, float]:
    from matplotlib.colors import to_rgba

    return to_rgba(colour, alpha)


def _row_labels(schedule: Schedule, view: str) -> list[str]:
    if view == "cpu":
        return [f"CPU {cpu}" for cpu in range(schedule.cpus)]
    labels = list(schedule.pids)
    if len(schedule.idle_profile()[0]):
        labels.append("idle" if schedule.cpus == 1 else "idle CPUs")
    return labels or [""]


def _row_count(schedule: Schedule, view: str) -> int:
    return len(_row_labels(schedule, view))
