"""Gantt charts of a run, drawn with matplotlib from a :class:`~schedsim.result.Result` only.

Charts read the result's timeline, I/O periods and per-process records — never the engine —
so a measured run is drawn exactly like a simulated one, and ``schedsim gantt`` can redraw a
result saved last week.

Three views:

``process``
    one row per process (the default for one CPU, up to :data:`PROCESS_VIEW_LIMIT`
    processes): its CPU slices in its colour, its I/O periods hatched, its arrival marked
    with a triangle whose tip touches the arrival time in its own row, a thin line over its
    lifetime (arrival to finish, so time spent waiting is visible), and a bottom ``idle`` row
    where CPUs sat idle (as tall as the share of CPUs idle).
``cpu``
    one row per CPU (the default for several CPUs, or for more processes than a slide can
    list): slices in their process's colour, idle gaps hatched and labelled ``idle`` where
    there is room, arrivals marked above the rows (simultaneous ones stacked).
``task``
    one row per real-time task (the default for results with tasks): every job's slices
    in the task's colour, labelled with the job's number where there is room, each release
    an up arrow under the row, each deadline a down arrow over it; a missed deadline's
    arrow is red, and so is what its job ran after it.

In all, a context switch is a dark segment from the slice's dispatch to the start of its
execution, and when the policy has queue levels (MLFQ) a band along the bottom of each slice
shows its level, darkest at the top level, with one legend entry per level (and ``L0``,
``L1`` ... inside slices wide enough).  How a chart adapts to its size -- colours, markers,
row labels, the narrowest slice -- is decided in :mod:`schedsim.gantt_plan`, and every such
decision is said in a note under the title.  The time axis names its unit when the result
knows it (a measured run's ``--unit``).

Speed: each row is one :class:`~matplotlib.collections.PolyCollection` built from numpy
arrays (one artist per row, not per slice), and text labels are drawn only on small charts
(at most :data:`LABEL_LIMIT` slices), so a 50,000-slice chart renders to PNG in one to two
seconds.  matplotlib is imported inside the functions, so commands that draw no chart do
not pay for it.
"""

from __future__ import annotations

import functools
import io
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import numpy as np

from schedsim.atomic import check_writable, write_atomic
from schedsim.colors import (
    ALTERNATING,
    BLOCKED_COLOUR,
    BLOCKED_FILL,
    DEADLINE_COLOUR,
    DEADLOCK_COLOUR,
    HOLD_COLOUR,
    IDLE_STYLE,
    IDLE_TRACK,
    MISSED_COLOUR,
    RUNNING_SHARE,
    SWITCH_COLOUR,
    level_colour,
    process_colour,
    text_colour,
)
from schedsim.errors import LimitError, OptionError
from schedsim.gantt_plan import ALTERNATING as ALTERNATE_SHADES
from schedsim.gantt_plan import DISTINCT, ChartPlan, plan_chart
from schedsim.limits import MAX_CHART_ROWS, MAX_CHART_SLICES, MAX_VECTOR_CHART_SHAPES
from schedsim.report import describe, fmt
from schedsim.result import Result

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

P = ParamSpec("P")
R = TypeVar("R")

VIEWS = ("process", "cpu", "task")
FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}

LABEL_LIMIT = 400  # charts with more slices than this get no text inside bars
PROCESS_VIEW_LIMIT = 40  # one row per process by default up to this many processes
HATCH_LIMIT = 5_000  # charts with more slices and I/O periods than this fill without hatching
BAR_HEIGHT = 0.72
LEVEL_BAND = 0.26  # of a bar's height: the band showing a slice's queue level
FONT_SIZE = 7.5
DPI = 110
FIGURE_WIDTH = 11.0  # inches
ROW_HEIGHT = 0.34  # inches per row, shrinking on tall charts
SLIDE_HEIGHT = 8.0  # inches: charts stay within a slide unless their rows cannot
MIN_ROW_HEIGHT = 0.1  # inches per row, past a slide
MAX_AXES_HEIGHT = 22.0  # inches
LEFT, RIGHT, TOP, BOTTOM = 0.3, 0.3, 0.75, 0.75  # margins (inches) around the chart
NOTE_HEIGHT = 0.2  # inches per note line under the title
LEGEND_ROW = 0.24  # inches per row of the legend
STACK_LIMIT = 3  # simultaneous arrivals stacked above rows per CPU (more: "+n")
STACK_POINTS = 7.0  # the height of one stacked arrival marker


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
    unit: str | None = None  # the real length of one time unit, when known (measured runs)
    # Processes that synchronise: time blocked on a resource, and locks or semaphore units
    # held, as (job, start, end, resource) rows; when the run ended in a deadlock, its time.
    blocked: list[tuple[int, float, float, str]] = field(default_factory=list)
    holds: list[tuple[int, float, float, str]] = field(default_factory=list)
    deadlock_at: float | None = None
    # Real-time tasks: each job's task (a row of the task view), the task names in row
    # order, each job's absolute deadline (NaN: none) and whether it missed it.
    task_of: np.ndarray | None = None
    tasks: list[str] = field(default_factory=list)
    deadline: np.ndarray | None = None
    missed: np.ndarray | None = None

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
            pids=[chart_text(pid) for pid in result.pids],
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
            unit=_unit(result),
            blocked=blocked,
            holds=holds,
            deadlock_at=deadlock_at,
            **_tasks(result),
        )

    def __len__(self) -> int:
        return len(self.job)

    @property
    def time_label(self) -> str:
        """The time axis's label, with the unit when the result knows it."""
        return f"time (1 unit = {self.unit})" if self.unit else "time"

    @property
    def levels(self) -> list[int]:
        """The queue levels the slices ran at (MLFQ), top first."""
        return sorted(int(level) for level in np.unique(self.level) if level >= 0)

    @property
    def shapes(self) -> int:
        """What drawing costs grow with: slices, I/O periods, blocked periods and holds
        (idle gaps are at most one per slice and CPU)."""
        return len(self.job) + len(self.io_job) + len(self.blocked) + len(self.holds)

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

    @property
    def deadline_range(self) -> tuple[float, float]:
        """The time range, stretched to the last deadline (the task view draws them)."""
        low, high = self.time_range
        if self.deadline is not None and np.any(~np.isnan(self.deadline)):
            high = max(high, float(np.nanmax(self.deadline)))
        return low, high

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


def chart_text(text: str, limit: int = 24) -> str:
    """``text`` as a chart shows it: control characters escaped, at most ``limit``
    characters (a 150-character pid would leave the bars no room, a 60,000-character title
    would take minutes to lay out).  Dollar signs stay dollar signs: charts are drawn with
    matplotlib's mathtext off (see :func:`plain_text`)."""
    if not text.isprintable():
        text = repr(text)[1:-1]
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain_text(build: Callable[P, R]) -> Callable[P, R]:
    """Build (and later render) a figure with mathtext off: a ``$`` in a pid or a workload
    name is a character, not the start of a formula matplotlib would fail to parse."""

    @functools.wraps(build)
    def built(*args: P.args, **kwargs: P.kwargs) -> R:
        from matplotlib import rc_context

        with rc_context({"text.parse_math": False}):
            return build(*args, **kwargs)

    return built


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


def _tasks(result: Result) -> dict[str, Any]:
    """The task view's columns, for a result with real-time tasks (none otherwise)."""
    if "task" not in result.jobs:
        return {}
    names = [chart_text(str(name)) for name in result.jobs["task"].tolist()]
    rows: dict[str, int] = {}
    for name in names:
        rows.setdefault(name, len(rows))
    return {
        "task_of": np.asarray([rows[name] for name in names], dtype=np.int64),
        "tasks": list(rows),
        "deadline": np.asarray(result.jobs["deadline"], dtype=np.float64),
        "missed": np.asarray([value is True for value in result.jobs["missed"].tolist()]),
    }


def _unit(result: Result) -> str | None:
    """A measured run's time unit (``10ms``), as its settings record it."""
    unit = result.settings.get("unit") if result.kind == "measured" else None
    return unit if isinstance(unit, str) and unit else None


def automatic_view(processes: int, cpus: int) -> str:
    """``process`` for one CPU and at most :data:`PROCESS_VIEW_LIMIT` processes, else
    ``cpu``: more rows than that no longer fit a slide."""
    return "cpu" if cpus > 1 or processes > PROCESS_VIEW_LIMIT else "process"


def default_view(result: Result) -> str:
    """``task`` for real-time tasks, else :func:`automatic_view` of the result's processes
    and CPUs."""
    if "task" in result.jobs:
        return "task"
    return automatic_view(len(result.pids), int(result.settings.get("cpus") or 1))


def view_note(by: str | None, view: str, result: Result) -> list[str]:
    """The note a chart carries when its size chose the CPU view for one CPU."""
    if by is None and view == "cpu" and int(result.settings.get("cpus") or 1) == 1:
        return [f"{len(result.pids):,} processes: one row per CPU (--gantt-by process: one each)"]
    return []


def disturbance_note(result: Result) -> list[str]:
    """A measured run's warning, for its chart."""
    if result.kind == "measured" and result.extra.get("disturbed"):
        problems = [p for p in result.extra.get("disturbances") or [] if isinstance(p, str)]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return [
            f"Warning: measurements were disturbed: {problems[0]}{more}"
            if problems
            else ("Warning: measurements were disturbed")
        ]
    return []


def check_view(by: str | None, result: Result | None = None) -> str:
    if by is None:
        return default_view(result) if result is not None else "process"
    if by not in VIEWS:
        raise OptionError(f"chart view {by!r}: choose one of {', '.join(VIEWS)}")
    if by == "task" and result is not None and "task" not in result.jobs:
        raise OptionError(
            "chart view 'task': the result has no real-time tasks; draw one row per process "
            "or per CPU"
        )
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


def chart_rows(view: str, processes: int, cpus: int, tasks: int | None = None) -> int:
    """How many rows a chart has: one per CPU, or one per process (or real-time task) plus
    the idle row."""
    if view == "cpu":
        return cpus
    if view == "task" and tasks is not None:
        return tasks + 1
    return processes + 1


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
            f"a chart of {slices:,} slices and I/O periods is over the limit of "
            f"{MAX_CHART_SLICES:,}; chart a smaller workload or use a larger quantum"
        )


@plain_text
def gantt_figure(result: Result, *, by: str | None = None) -> Figure:
    """One Gantt chart of ``result`` (``by``: ``process`` or ``cpu``; default by size)."""
    from matplotlib.figure import Figure

    view = check_view(by, result)
    schedule = Schedule.of(result)
    check_chart_size(
        chart_rows(view, len(schedule.pids), schedule.cpus, len(schedule.tasks)), schedule.shapes
    )
    rows = _row_count(schedule, view)
    axes_height = chart_height(rows) + (arrival_strip(schedule) if view == "cpu" else 0.0) / 72
    left = LEFT + 0.075 * max(len(label) for label in _row_labels(schedule, view))
    axes_width = FIGURE_WIDTH - left - RIGHT
    figure = Figure(figsize=(FIGURE_WIDTH, axes_height + TOP + BOTTOM), dpi=DPI)
    axes = figure.add_axes((0, 0, 1, 1))  # placed below, once the notes and legend are known
    key = draw_gantt(axes, schedule, view, axes_width=axes_width, axes_height=axes_height)
    notes = [*view_note(by, view, result), *key.notes]
    warnings = disturbance_note(result)
    columns = legend_columns(key.handles)
    legend_rows = math.ceil(len(key.handles) / columns) if key.handles else 0
    top = TOP + NOTE_HEIGHT * (len(notes) + len(warnings))
    bottom = BOTTOM + 0.3 + LEGEND_ROW * legend_rows
    height = axes_height + top + bottom
    figure.set_size_inches(FIGURE_WIDTH, height)
    axes.set_position(
        (left / FIGURE_WIDTH, bottom / height, axes_width / FIGURE_WIDTH, axes_height / height)
    )
    title = chart_text(f"{result.workload}: {describe(result)}", 160)
    figure.suptitle(title, fontsize=11, y=1 - 0.25 / height)
    place_notes(figure, notes, warnings, below=0.55, height=height)
    if key.handles:
        figure.legend(
            handles=key.handles,
            loc="upper center",
            bbox_to_anchor=(0.5, (bottom - 0.55) / height),
            ncol=columns,
            fontsize=8,
            frameon=False,
            handlelength=1.6,
        )
    figure.text(0.5, 0.2 / height, caption(result), ha="center", va="center", fontsize=8.5)
    return figure


def chart_height(rows: float) -> float:
    """Inches of chart for ``rows`` rows: 0.34 a row, shrinking to fit a slide, and past a
    slide only as far as rows need to stay apart."""
    return min(
        MAX_AXES_HEIGHT,
        max(1.0, min(ROW_HEIGHT * rows, max(SLIDE_HEIGHT, MIN_ROW_HEIGHT * rows))),
    )


def legend_columns(handles: list[Any], width: float = FIGURE_WIDTH) -> int:
    """As many legend entries a row as fit the figure's width."""
    longest = max((len(str(handle.get_label())) for handle in handles), default=1)
    return max(1, min(len(handles), int(width * 72 / (longest * 5.5 + 34))))


def place_notes(
    figure: Figure, notes: list[str], warnings: list[str], *, below: float, height: float
) -> None:
    """The chart's notes, one a line, ``below`` inches under the top: what the chart did
    to stay readable, then warnings in red."""
    for line, text in enumerate([*notes, *warnings]):
        figure.text(
            0.5,
            1 - (below + NOTE_HEIGHT * line) / height,
            text,
            ha="center",
            va="center",
            fontsize=8.5,
            style="italic",
            color=DEADLOCK_COLOUR if line >= len(notes) else "#444444",
            gid="note",
        )


def plot_gantt(result: Result, ax: Axes | None = None, *, by: str | None = None) -> Axes:
    """Draw ``result``'s Gantt chart on ``ax`` (a new pyplot figure sized for the rows when
    None, as a notebook expects) and return the Axes, with a legend of what it shows."""
    view = check_view(by, result)
    schedule = Schedule.of(result)
    check_chart_size(
        chart_rows(view, len(schedule.pids), schedule.cpus, len(schedule.tasks)), len(schedule)
    )
    if ax is None:
        import matplotlib.pyplot as plt

        rows = _row_count(schedule, view)
        _, ax = plt.subplots(figsize=(FIGURE_WIDTH, min(MAX_AXES_HEIGHT, 1.6 + ROW_HEIGHT * rows)))
    figure = ax.get_figure(root=True)
    width = ax.get_position().width * (
        figure.get_figwidth() if figure is not None else FIGURE_WIDTH
    )
    key = draw_gantt(ax, schedule, view, axes_width=width)
    notes = [*view_note(by, view, result), *key.notes, *disturbance_note(result)]
    ax.set_title("\n".join([f"{result.workload}: {describe(result)}", *notes]), fontsize=10)
    if key.handles:
        ax.legend(
            handles=key.handles,
            fontsize=7,
            frameon=False,
            loc="upper left",
            bbox_to_anchor=(1.0, 1.0),
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
    if "deadline_misses" in summary:
        parts.append(f"deadline misses {fmt(summary.get('deadline_misses'))}")
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
    if kind != "png":
        check_vector_shapes(figure, kind)
    metadata: dict[str, Any] = {"png": {}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}[
        kind
    ]
    from matplotlib import rc_context

    buffer = io.BytesIO()
    # stable element ids in SVG; a "$" drawn as itself (tick labels are made while saving)
    with rc_context({"svg.hashsalt": "schedsim", "text.parse_math": False}):
        figure.savefig(buffer, format=kind, dpi=DPI, metadata=metadata)
    return buffer.getvalue()


def check_vector_shapes(figure: Figure, kind: str) -> None:
    """Refuse an SVG or PDF of more than :data:`MAX_VECTOR_CHART_SHAPES` shapes: vector
    formats write every shape out, about ten times slower than a PNG rasterises it."""
    shapes = 0
    for axes in figure.axes:
        for collection in axes.collections:
            shapes += max(len(collection.get_paths()), len(np.asarray(collection.get_offsets())))
    if shapes > MAX_VECTOR_CHART_SHAPES:
        raise LimitError(
            f"a .{kind} chart of {shapes:,} shapes is over the limit of "
            f"{MAX_VECTOR_CHART_SHAPES:,} for vector images; draw a .png (up to "
            f"{MAX_CHART_SLICES:,} slices and I/O periods) or chart a smaller workload"
        )


# -- drawing -------------------------------------------------------------------------------------
@dataclass
class ChartKey:
    """What a drawn chart shows (legend handles) and the notes that say how it was drawn."""

    handles: list[Any]
    notes: list[str]


def draw_gantt(
    axes: Axes,
    schedule: Schedule,
    view: str,
    *,
    axes_width: float,
    axes_height: float | None = None,
    time_range: tuple[float, float] | None = None,
    idle_row: bool | None = None,
) -> ChartKey:
    """Draw ``schedule`` on ``axes``; return the legend handles and notes.

    ``axes_width`` and ``axes_height`` (inches) decide which slices are wide enough for a
    text label, how narrow a slice may be and which rows carry labels; ``time_range`` sets
    a shared x range and ``idle_row`` a shared idle row when several charts are stacked."""
    from matplotlib.ticker import MaxNLocator

    low, high = time_range or (schedule.deadline_range if view == "task" else schedule.time_range)
    labels = _row_labels(schedule, view, idle_row)
    rows = len(labels)
    plan = plan_chart(
        len(schedule.tasks) if view == "task" else len(schedule.pids),
        "process" if view == "task" else view,
        rows,
        axes_width=axes_width,
        axes_height=axes_height if axes_height is not None else chart_height(rows),
        span=high - low,
    )
    points_per_unit = axes_width * 72 / (high - low)
    labels_allowed = len(schedule) <= LABEL_LIMIT
    colours = _slice_colours(schedule, plan)
    # I/O and blocked periods and idle gaps (at most one per slice and CPU) are hatched.
    drawn = _Drawn(plan, (low, high), axes_width, hatching=schedule.shapes <= HATCH_LIMIT)
    plan.choose_density(_busy_rows(schedule, view), high - low)
    height = axes_height if axes_height is not None else chart_height(rows)
    strip = arrival_strip(schedule) if view == "cpu" and plan.markers else 0.0
    drawn.row_points = max(1.0, (height * 72 - strip) / rows)
    drawn.strip_rows = strip / drawn.row_points
    if view == "process":
        _draw_process_rows(axes, schedule, colours, drawn, points_per_unit, labels_allowed)
        if len(labels) > len(schedule.pids):
            _draw_idle_row(axes, schedule, len(schedule.pids), drawn)
    elif view == "task":
        _draw_task_rows(axes, schedule, drawn, points_per_unit, labels_allowed)
        if len(labels) > len(schedule.tasks):
            _draw_idle_row(axes, schedule, len(schedule.tasks), drawn)
    else:
        _draw_cpu_rows(axes, schedule, colours, drawn, points_per_unit, labels_allowed)
    every = plan.label_every
    axes.set_yticks(
        range(0, rows, every), [labels[i] for i in range(0, rows, every)], fontsize=plan.label_size
    )
    axes.set_ylim(rows - 0.5, -0.5 - (0.25 + drawn.strip_rows if view == "cpu" else 0))
    pad = 9 / points_per_unit if view == "process" and plan.markers else 0.0  # room for ▶ at 0
    axes.set_xlim(low - pad, high + (high - low) * 0.005)
    if schedule.integer_times:
        axes.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
    axes.set_xlabel(schedule.time_label, fontsize=9)
    axes.tick_params(axis="x", labelsize=8)
    axes.grid(axis="x", color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return ChartKey(drawn.legend_handles(schedule, view), plan.notes)


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
    """One row's slices (``gid`` ``slices:NAME``), each at least the plan's minimum width,
    the switch time before each (``switch:NAME``) and, under MLFQ, the band showing each
    slice's queue level (``levels:NAME``), in both views."""
    starts, ends = schedule.start[chosen], schedule.end[chosen]
    if drawn.plan.dense:
        _draw_running_share(axes, schedule.dispatched[chosen], ends, row, name, drawn)
        return
    if len(chosen):
        drawn.plan.widened(float((ends - starts).min()))
        drawn.plan.alternated()
    shown_ends = np.maximum(ends, starts + drawn.plan.min_width)
    _bars(
        axes,
        starts,
        shown_ends,
        row,
        facecolors=colours[chosen],
        gid=f"slices:{name}",
        edgecolor="white" if edges else "none",
        linewidth=0.6 if edges else 0,
        zorder=3,
    )
    levels = schedule.level[chosen]
    if schedule.has_levels and len(chosen):
        deepest = max(schedule.levels)
        _bars(
            axes,
            starts,
            shown_ends,
            row + BAR_HEIGHT * (1 - LEVEL_BAND) / 2,
            height=BAR_HEIGHT * LEVEL_BAND,
            facecolors=[level_colour(int(level), deepest) for level in levels],
            edgecolor="none",
            gid=f"levels:{name}",
            zorder=3.5,
        )
    switching = chosen[schedule.dispatched[chosen] < schedule.start[chosen]]
    if len(switching):
        drawn.switches = True
        dispatched = schedule.dispatched[switching]
        _bars(
            axes,
            dispatched,
            np.maximum(schedule.start[switching], dispatched + drawn.plan.min_width),
            row,
            facecolors=SWITCH_COLOUR,
            gid=f"switch:{name}",
            zorder=3,
        )


def _busy_rows(schedule: Schedule, view: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each row's busy intervals (dispatch to end), per CPU, process or task."""
    owner = schedule.cpu if view == "cpu" else schedule.job
    count = schedule.cpus if view == "cpu" else len(schedule.pids)
    if view == "task" and schedule.task_of is not None:
        owner, count = schedule.task_of[schedule.job], len(schedule.tasks)
    order = np.argsort(owner, kind="stable")
    bounds = np.searchsorted(owner[order], np.arange(count + 1))
    return [
        (schedule.dispatched[order[a:b]], schedule.end[order[a:b]])
        for a, b in itertools.pairwise(bounds)
    ]


def _draw_running_share(
    axes: Axes, starts: np.ndarray, ends: np.ndarray, row: float, name: str, drawn: _Drawn
) -> None:
    """A row of too many slices to draw one by one: the time axis cut into steps of about
    two points, each drawn as tall as the share of it the row spent running (``gid``
    ``share:NAME``), over a light background (``track:NAME``)."""
    low, high = drawn.time_range
    steps = max(1, int(drawn.axes_width * 72 / 2))
    edges = np.linspace(low, high, steps + 1)
    busy = _busy_before(np.sort(starts), edges) - _busy_before(np.sort(ends), edges)
    share = np.clip(np.diff(busy) / np.diff(edges), 0.0, 1.0)
    drawn.share = True
    _bars(axes, np.array([low]), np.array([high]), row, gid=f"track:{name}", **IDLE_TRACK)
    heights = BAR_HEIGHT * share
    _bars(
        axes,
        edges[:-1],
        edges[1:],
        row + (BAR_HEIGHT - heights) / 2,
        height=heights,
        facecolors=RUNNING_SHARE,
        edgecolor="none",
        gid=f"share:{name}",
        zorder=3,
    )


def _busy_before(times: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """For sorted ``times``: the sum over them of max(0, edge - time), at each edge (the
    running time before each edge is this for the starts minus this for the ends)."""
    count = np.searchsorted(times, edges, side="right")
    before = np.concatenate(([0.0], np.cumsum(times, dtype=np.float64)))
    return count * edges - before[count]


class _Drawn:
    """What a chart ended up showing, for its legend."""

    def __init__(
        self,
        plan: ChartPlan,
        time_range: tuple[float, float],
        axes_width: float,
        *,
        hatching: bool = True,
    ) -> None:
        self.plan = plan
        self.time_range = time_range
        self.span = time_range[1] - time_range[0]
        self.axes_width = axes_width
        self.share = False
        self.row_points = 24.0  # the height of a row, in points
        self.strip_rows = 0.0  # rows of room above the rows, for stacked arrivals
        self.switches = False
        self.io = False
        self.idle = False
        self.arrivals = False
        self.blocked = False
        self.holds = False
        self.releases = False
        self.missed = False
        self.hatching = hatching

    def hatch(self, pattern: str) -> str | None:
        """``pattern``, or None on a chart with too many shapes to hatch: Agg draws a hatch
        shape by shape (about half a millisecond each), a plain fill costs next to nothing."""
        return pattern if self.hatching else None

    def idle_style(self) -> dict[str, Any]:
        """The one idle style, for the boxes and the legend alike (unhatched when hatches
        would cost too much)."""
        return {**IDLE_STYLE, "hatch": self.hatch(IDLE_STYLE["hatch"])}

    def legend_handles(self, schedule: Schedule, view: str) -> list[Any]:
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        handles: list[Any] = []
        if view == "cpu" and self.plan.colours == DISTINCT:
            handles += [
                Patch(facecolor=process_colour(i), label=pid) for i, pid in enumerate(schedule.pids)
            ]
        if self.releases:
            handles += [
                Line2D([], [], marker="^", linestyle="none", color="black", label="release"),
                Line2D(
                    [], [], marker="v", linestyle="none", color=DEADLINE_COLOUR, label="deadline"
                ),
            ]
        if self.missed:
            handles.append(
                Patch(facecolor=MISSED_COLOUR, edgecolor="black", label="missed deadline")
            )
        if self.arrivals:
            handles.append(
                Line2D(
                    [],
                    [],
                    marker=_arrival_marker() if view == "process" else "v",
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
            handles.append(Patch(**self.idle_style(), label="idle"))
        if self.share:
            handles.append(Patch(facecolor=RUNNING_SHARE, label="share of time busy"))
        handles += _level_handles(schedule)
        return handles


def _level_handles(schedule: Schedule) -> list[Any]:
    """One legend entry per queue level a slice ran at (at most six: the first four, an
    ellipsis, the deepest)."""
    from matplotlib.patches import Patch

    levels = schedule.levels
    if not levels:
        return []
    deepest = max(levels)
    shown: list[int | None] = list(levels)
    if len(levels) > 6:
        shown = [*levels[:4], None, levels[-1]]
    handles = []
    for level in shown:
        if level is None:
            handles.append(Patch(facecolor="none", edgecolor="none", label="…"))
            continue
        place = " (top)" if level == 0 else " (bottom)" if level == deepest and level else ""
        handles.append(
            Patch(facecolor=level_colour(level, deepest), label=f"queue level {level}{place}")
        )
    return handles


# A triangle pointing right whose tip is at the arrival time: drawn in the process's own
# row, before its arrival, where that row is otherwise empty.
_ARRIVAL_MARKER: Any = None


def _arrival_marker() -> Any:
    global _ARRIVAL_MARKER
    if _ARRIVAL_MARKER is None:
        from matplotlib.path import Path as MarkerPath

        _ARRIVAL_MARKER = MarkerPath(
            [(-1.0, -0.8), (0.0, 0.0), (-1.0, 0.8), (-1.0, -0.8)], closed=True
        )
    return _ARRIVAL_MARKER


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
    edges = _edges(schedule, points_per_unit)
    for job, pid in enumerate(schedule.pids):
        colour = process_colour(job)
        chosen = slice_order[slice_bounds[job] : slice_bounds[job + 1]]
        _slices_and_switches(axes, schedule, chosen, job, pid, colours, edges, drawn)
        in_io = io_order[io_bounds[job] : io_bounds[job + 1]]
        if len(in_io):
            _io_bars(axes, schedule, in_io, job, colour, pid, drawn)
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
    if count and drawn.plan.markers:
        drawn.arrivals = True
        size = min(7.0, 0.55 * chart_height(count + 1) * 72 / (count + 1))
        axes.scatter(
            schedule.arrival,
            rows,
            s=size**2,
            marker=_arrival_marker(),
            c=[process_colour(job) for job in range(count)],
            edgecolors="black",
            linewidths=0.5,
            zorder=4,
            gid="arrivals",
            clip_on=False,
        )
    _draw_synchronisation(axes, schedule, drawn, points_per_unit, labels_allowed)


def _draw_task_rows(
    axes: Axes,
    schedule: Schedule,
    drawn: _Drawn,
    points_per_unit: float,
    labels_allowed: bool,
) -> None:
    """One row per task: its jobs' slices in its colour, labelled ``#n``; releases under
    the row, deadlines over it; a missed deadline and what its job ran after it in red."""
    from matplotlib.colors import to_rgba_array

    assert schedule.task_of is not None and schedule.deadline is not None
    assert schedule.missed is not None
    task_of, deadline, missed = schedule.task_of, schedule.deadline, schedule.missed
    slice_rows = task_of[schedule.job] if len(schedule) else np.zeros(0, dtype=np.int64)
    palette = [process_colour(row) for row in range(len(schedule.tasks))]
    colours = to_rgba_array(palette)[slice_rows] if len(schedule) and palette else np.zeros((0, 4))
    numbers = [pid.rpartition("#")[2] if "#" in pid else "" for pid in schedule.pids]
    edges = _edges(schedule, points_per_unit)
    for row, name in enumerate(schedule.tasks):
        chosen = np.flatnonzero(slice_rows == row)
        _slices_and_switches(axes, schedule, chosen, row, name, colours, edges, drawn)
        if labels_allowed and not drawn.plan.dense:
            for index in chosen.tolist():
                number = numbers[schedule.job[index]]
                if number:
                    _label(
                        axes,
                        schedule.start[index],
                        schedule.end[index],
                        row,
                        f"#{number}",
                        palette[row],
                        points_per_unit,
                    )
    late = missed[schedule.job] if len(schedule) else np.zeros(0, dtype=bool)
    overdue = np.flatnonzero(late & (schedule.end > deadline[schedule.job])) if len(late) else late
    if len(overdue):
        _bars(
            axes,
            np.maximum(schedule.start[overdue], deadline[schedule.job[overdue]]),
            schedule.end[overdue],
            slice_rows[overdue].astype(np.float64),
            facecolors=MISSED_COLOUR,
            edgecolor="black",
            linewidth=0.4,
            gid="missed",
            zorder=3.6,
        )
    _draw_io_by_task(axes, schedule, drawn)
    if len(schedule.pids):
        drawn.releases = True
        drawn.missed = bool(missed.any())
        has_deadline = ~np.isnan(deadline)
        axes.scatter(
            schedule.arrival,
            task_of + BAR_HEIGHT / 2 + 0.1,
            s=26,
            marker="^",
            c="black",
            zorder=4,
            gid="releases",
            clip_on=False,
        )
        axes.scatter(
            deadline[has_deadline],
            task_of[has_deadline] - BAR_HEIGHT / 2 - 0.1,
            s=30,
            marker="v",
            c=[MISSED_COLOUR if flag else DEADLINE_COLOUR for flag in missed[has_deadline]],
            zorder=4,
            gid="deadlines",
            clip_on=False,
        )
    _draw_synchronisation(
        axes, schedule, drawn, points_per_unit, labels_allowed, row_of=task_of.tolist()
    )


def _draw_io_by_task(axes: Axes, schedule: Schedule, drawn: _Drawn) -> None:
    """I/O periods on their task's row, hatched in the task's colour."""
    assert schedule.task_of is not None
    if not len(schedule.io_job):
        return
    drawn.io = True
    rows = schedule.task_of[schedule.io_job]
    for row in sorted(set(rows.tolist())):
        _io_bars(axes, schedule, rows == row, row, process_colour(row), schedule.tasks[row], drawn)


def _io_bars(
    axes: Axes,
    schedule: Schedule,
    chosen: np.ndarray,
    row: int,
    colour: Any,
    name: str,
    drawn: _Drawn,
) -> None:
    """The I/O periods ``chosen`` (indices or a mask) on ``row``: pale, hatched bars in the
    row's colour, at least the plan's narrowest width."""
    drawn.io = True
    _bars(
        axes,
        schedule.io_start[chosen],
        np.maximum(schedule.io_end[chosen], schedule.io_start[chosen] + drawn.plan.min_width),
        row,
        height=BAR_HEIGHT * 0.7,
        facecolors=_with_alpha(colour, 0.22),
        edgecolor=colour,
        linewidth=0.6,
        hatch=drawn.hatch("////"),
        gid=f"io:{name}",
        zorder=2,
    )


def _draw_idle_row(axes: Axes, schedule: Schedule, row: int, drawn: _Drawn) -> None:
    """The bottom row of the process view: where CPUs sat idle, each bar as tall as the
    share of the CPUs idle then (full height on one CPU), in the one idle style."""
    starts, ends, idle = schedule.idle_profile()
    if not len(starts):
        return
    drawn.idle = True
    heights = BAR_HEIGHT * idle / schedule.cpus
    _bars(
        axes,
        starts,
        ends,
        row + (BAR_HEIGHT - heights) / 2,
        height=heights,
        **drawn.idle_style(),
        gid="idle",
        zorder=2,
    )


def _by_job(
    periods: list[tuple[int, float, float, str]],
) -> dict[int, list[tuple[float, float, str]]]:
    """Periods grouped by process, in their order."""
    grouped: dict[int, list[tuple[float, float, str]]] = {}
    for job, start, end, resource in periods:
        grouped.setdefault(job, []).append((start, end, resource))
    return grouped


def _draw_synchronisation(
    axes: Axes,
    schedule: Schedule,
    drawn: _Drawn,
    points_per_unit: float,
    labels_allowed: bool,
    row_of: list[int] | None = None,
) -> None:
    """Process rows: time blocked on a resource (dotted, labelled with the resource), the
    locks and semaphore units a process holds (a dark strip along the top of its row, with
    the resource's name), and a dashed line where the run ended in a deadlock.  ``row_of``
    puts a job on another row (its task's)."""
    # One collection per process (an artist each would cost a millisecond per period).
    for job, periods in _by_job(schedule.blocked).items():
        drawn.blocked = True
        row = job if row_of is None else row_of[job]
        _bars(
            axes,
            np.array([start for start, _, _ in periods]),
            np.array([end for _, end, _ in periods]),
            row,
            height=BAR_HEIGHT * 0.7,
            facecolors=BLOCKED_FILL,
            edgecolor=BLOCKED_COLOUR,
            linewidth=0.6,
            hatch=drawn.hatch(".."),
            gid=f"blocked:{schedule.pids[job]}",
            zorder=2,
        )
        if labels_allowed:
            for start, end, resource in periods:
                _label(axes, start, end, row, resource, BLOCKED_FILL, points_per_unit)
    for job, periods in _by_job(schedule.holds).items():
        drawn.holds = True
        strip = (job if row_of is None else row_of[job]) - BAR_HEIGHT / 2 - 0.06
        _bars(
            axes,
            np.array([start for start, _, _ in periods]),
            np.array([end for _, end, _ in periods]),
            strip,
            height=0.08,
            facecolors=HOLD_COLOUR,
            edgecolor="none",
            gid=f"holds:{schedule.pids[job]}",
            zorder=3,
        )
        for start, end, resource in periods:
            if labels_allowed and (end - start) * points_per_unit > len(resource) * 5:
                axes.text(
                    start, strip, resource, fontsize=6, va="bottom", ha="left", color=HOLD_COLOUR
                )
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
    edges = _edges(schedule, points_per_unit)
    for cpu in range(schedule.cpus):
        chosen = np.flatnonzero(schedule.cpu == cpu)
        _slices_and_switches(axes, schedule, chosen, cpu, f"cpu{cpu}", colours, edges, drawn)
        if drawn.plan.dense:
            continue  # the share drawn says where the CPU was idle
        idle_starts, idle_ends = schedule.idle_periods(cpu)
        if len(idle_starts):
            drawn.idle = True
            _bars(
                axes,
                idle_starts,
                idle_ends,
                cpu,
                **drawn.idle_style(),
                gid=f"idle:cpu{cpu}",
                zorder=2,
            )
            if labels_allowed:
                for low, high in zip(idle_starts.tolist(), idle_ends.tolist(), strict=True):
                    _label(axes, low, high, cpu, "idle", IDLE_STYLE["facecolor"], points_per_unit)
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
    if len(schedule.pids) and drawn.plan.markers:
        drawn.arrivals = True
        _draw_stacked_arrivals(axes, schedule, drawn, points_per_unit)


def _edges(schedule: Schedule, points_per_unit: float) -> bool:
    """Whether slices get white edges, which part neighbours: only on charts small enough
    and slices wide enough (4 points at the median) that an edge does not cover a slice."""
    if not len(schedule) or len(schedule) > 2000:
        return False
    return float(np.median(schedule.end - schedule.start)) * points_per_unit >= 4


def arrival_strip(schedule: Schedule) -> float:
    """Points of room above the CPU rows for the stacked arrival markers (the most that
    arrive at one time, up to :data:`STACK_LIMIT`, each :data:`STACK_POINTS` high)."""
    from schedsim.gantt_plan import MARKER_LIMIT

    if not len(schedule.pids) or len(schedule.pids) > MARKER_LIMIT:
        return 0.0
    _, counts = np.unique(schedule.arrival, return_counts=True)
    return STACK_POINTS * (min(int(counts.max()), STACK_LIMIT) - 1)


def _draw_stacked_arrivals(
    axes: Axes, schedule: Schedule, drawn: _Drawn, points_per_unit: float
) -> None:
    """Arrivals above the CPU rows: markers of arrivals closer than a marker's width are
    stacked, up to :data:`STACK_LIMIT` high, the top one counting the rest (``+4``), so no
    arrival hides another.  Process colours only when every process has its own."""
    order = np.argsort(schedule.arrival, kind="stable")
    times = schedule.arrival[order]
    columns = np.floor((times - times[0]) * points_per_unit / 8.0) if len(times) else times
    first = np.searchsorted(columns, columns, side="left")
    height = np.arange(len(order)) - first
    last = np.searchsorted(columns, columns, side="right") - 1
    size = last - first + 1
    shown = (height < STACK_LIMIT - 1) | (size <= STACK_LIMIT)
    step = STACK_POINTS / drawn.row_points
    base = -0.5 - 0.1 - step / 2
    distinct = drawn.plan.colours == DISTINCT
    faces = [process_colour(int(job)) if distinct else "white" for job in order[shown]]
    axes.scatter(
        times[shown],
        base - step * height[shown],
        s=30,
        marker="v",
        c=faces,
        edgecolors="black",
        linewidths=0.5,
        zorder=4,
        gid="arrivals",
        clip_on=False,
    )
    for index in np.flatnonzero((height == STACK_LIMIT - 1) & (size > STACK_LIMIT)):
        axes.text(
            times[index],
            base - step * height[index],
            f"+{int(size[index]) - STACK_LIMIT + 1}",
            ha="center",
            va="center",
            fontsize=7,
            zorder=4,
            clip_on=False,
        )


def _bars(
    axes: Axes,
    lows: np.ndarray,
    highs: np.ndarray,
    row: float | np.ndarray,
    *,
    height: float | np.ndarray = BAR_HEIGHT,
    gid: str,
    **style: Any,
) -> None:
    """One PolyCollection of rectangles [low, high] x row±height/2 (one artist per row;
    ``row`` and ``height`` may give each rectangle its own)."""
    from matplotlib.collections import PolyCollection

    if not len(lows):
        return
    centre = np.broadcast_to(np.asarray(row, dtype=np.float64), np.shape(lows))
    half = np.broadcast_to(np.asarray(height, dtype=np.float64) / 2, np.shape(lows))
    top, bottom = centre - half, centre + half
    xs = np.column_stack((lows, lows, highs, highs))
    ys = np.column_stack((top, bottom, bottom, top))
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


def _slice_colours(schedule: Schedule, plan: ChartPlan) -> np.ndarray:
    """RGBA per slice: its process's colour (opaque, so the lifetime line behind a bar stays
    hidden), or two shades in turn along each CPU's row when processes outnumber colours."""
    from matplotlib.colors import to_rgba_array

    if not len(schedule):
        return np.zeros((0, 4))
    if plan.colours == ALTERNATE_SHADES:
        shades = to_rgba_array(list(ALTERNATING))
        first_of_row = np.searchsorted(schedule.cpu, schedule.cpu, side="left")
        return shades[(np.arange(len(schedule)) - first_of_row) % 2]
    palette = to_rgba_array([process_colour(job) for job in range(len(schedule.pids))] or ["k"])
    return palette[schedule.job] if len(schedule) else np.zeros((0, 4))


def _with_alpha(colour: str, alpha: float) -> tuple[float, float, float, float]:
    from matplotlib.colors import to_rgba

    return to_rgba(colour, alpha)


def _row_labels(schedule: Schedule, view: str, idle_row: bool | None = None) -> list[str]:
    """Each row's label: CPUs, or processes and (when CPUs sat idle, or ``idle_row``) the
    idle row."""
    if view == "cpu":
        return [f"CPU {cpu}" for cpu in range(schedule.cpus)]
    labels = list(schedule.tasks) if view == "task" else list(schedule.pids)
    if idle_row if idle_row is not None else len(schedule.idle_profile()[0]):
        labels.append("idle" if schedule.cpus == 1 else "idle CPUs")
    return labels or [""]


def _row_count(schedule: Schedule, view: str) -> int:
    return len(_row_labels(schedule, view))
