"""The textbook Gantt bar in plain text, scaled to the terminal (Silberschatz's FCFS example
at 80 columns)::

    |                      P1                       | P2  | P3  |
    0                                               24    27    30

Times go under the bars, each starting under its ``|``; multi-CPU runs get one bar and one
time line per CPU, prefixed ``CPU n``.  Like the graphic charts it reads only a
:class:`~schedsim.result.Result`.

Each slice is one segment labelled with its pid, so round robin shows every quantum, as the
textbooks draw it.  Idle time is ``--`` (or dashes when narrow), context-switch time is
filled with ``#``.

Scaling: segment widths are proportional to time, at the largest scale that fits the width.
A segment gets at least the room its label needs; the scale is rounded down to a whole
number of columns per time unit when that still gives every label its room without pushing
any segment, so integer schedules come out exactly proportional.

When the labels cannot all fit on one line, the chart wraps like a line of text: the time
axis is cut into consecutive bands printed one under another, as many as fit in
:data:`MAX_LINES` lines
(a slice that crosses a cut appears in both), at one scale for all of them -- the largest
that needs no more bands than the fewest possible.  Only when even that many bands cannot
hold every label are the labels that do not fit dropped, and then neighbouring short
segments merged (``~`` marks a merged run of several processes) until the bar fits; a last
line then says so.
"""

from __future__ import annotations

import itertools
import shutil
from dataclasses import dataclass

import numpy as np

from schedsim.errors import OptionError
from schedsim.gantt import Schedule, check_chart_size
from schedsim.limits import MAX_TEXT_CHART_WIDTH
from schedsim.report import fmt
from schedsim.result import Result

MINIMUM_WIDTH = 20
MAX_LINES = 40  # a chart wraps onto at most this many lines before it drops labels, merges
MERGED_NOTE = "~ several short slices merged: a wider --width, or an image chart, shows them"
IDLE, RUN, SWITCH, MIXED = "idle", "run", "switch", "mixed"
FILLER = {IDLE: "-", RUN: " ", SWITCH: "#", MIXED: "~"}


@dataclass(frozen=True)
class Segment:
    """A stretch of one CPU's time: a process running, a context switch, idle, or merged."""

    start: float
    end: float
    kind: str
    label: str = ""

    @property
    def duration(self) -> float:
        return self.end - self.start


def ascii_gantt(result: Result, width: int | None = None) -> str:
    """The text Gantt chart of ``result``, at most ``width`` columns wide (default: the
    terminal's width)."""
    if width is None:  # the terminal's (or $COLUMNS'), kept within the bounds
        width = min(max(shutil.get_terminal_size().columns, MINIMUM_WIDTH), MAX_TEXT_CHART_WIDTH)
    check_width(width)
    schedule = Schedule.of(result)
    check_chart_size(1, len(schedule))
    low, high = schedule.time_range
    lines = [_segments(schedule, cpu, low, high) for cpu in range(schedule.cpus)]
    prefixes = [f"CPU {cpu} " for cpu in range(schedule.cpus)] if schedule.cpus > 1 else [""]
    available = width - max(len(prefix) for prefix in prefixes)
    bands = _wrapped(lines, low, high, available)
    if bands is None:  # one line, labels dropped and short segments merged as needed
        scale, fitted, label_room = _fit(lines, low, high, available, schedule.integer_times)
        bands = [(low, scale, fitted, label_room)]
    out: list[str] = []
    for band, (start, scale, band_lines, label_room) in enumerate(bands):
        if band:
            out.append("")
        for prefix, segments in zip(prefixes, band_lines, strict=True):
            positions = _positions(segments, start, scale, label_room)
            out.append(prefix + _bar(segments, positions))
            out.append(" " * len(prefix) + _times(segments, positions, start))
    if any(
        segment.kind == MIXED
        for *_, band_lines, _ in bands
        for line in band_lines
        for segment in line
    ):
        out.append(MERGED_NOTE)
    out.extend(_synchronisation(schedule))
    out.extend(_misses(schedule))
    return "\n".join(line.rstrip() for line in out) + "\n"


def _misses(schedule: Schedule) -> list[str]:
    """Under the bars, for real-time tasks: each missed deadline, with when its job ended."""
    if schedule.missed is None or schedule.deadline is None:
        return []
    lines = []
    for job in np.flatnonzero(schedule.missed).tolist():
        finish = schedule.finish[job]
        ended = f", finished {fmt_time(finish)}" if finish == finish else ", never finished"
        lines.append(
            f"{schedule.pids[job]} missed its deadline {fmt_time(schedule.deadline[job])}{ended}"
        )
    return lines


Band = tuple[float, float, list[list["Segment"]], bool]  # start, scale, lines, label room


def _wrapped(
    lines: list[list[Segment]], low: float, high: float, available: int
) -> list[Band] | None:
    """The chart as bands of time one under another, every label in its room: one band if
    it fits, else the fewest bands (within :data:`MAX_LINES`) at the largest scale that
    needs no more of them.  None when not even that many bands hold every label."""
    most = max(1, (MAX_LINES + 1) // (2 * len(lines) + 1))
    if _largest_scale(lines, low, high - low, available, True) is not None:
        return None  # fits on one line: the one-line path handles it, whole-number scale too
    least = max(sum(len(item.label) + 3 if item.label else 2 for item in line) for line in lines)
    if least > most * available:
        return None  # more room than the bands have, whatever the scale
    cuts = sorted({segment.end for segment in itertools.chain(*lines)} - {high})
    fewest = _cut(lines, low, high, cuts, 0.0, available, most)
    if fewest is None:
        return None
    small, large = 0.0, available / (high - low)
    for _ in range(40):  # the largest scale that still needs only that many bands
        middle = (small + large) / 2
        trial = _cut(lines, low, high, cuts, middle, available, most)
        if trial is not None and len(trial) <= len(fewest):
            small = middle
        else:
            large = middle
    bounds = _cut(lines, low, high, cuts, small, available, most) or fewest
    return [
        (start, small, [_clipped(segments, start, end) for segments in lines], True)
        for start, end in bounds
    ]


def _cut(
    lines: list[list[Segment]],
    low: float,
    high: float,
    cuts: list[float],
    scale: float,
    available: int,
    most: int,
) -> list[tuple[float, float]] | None:
    """Bands from ``low`` to ``high``, each ending at one of ``cuts`` (or ``high``) as late
    as lets every CPU's line fit at ``scale`` with its labels; None if a band cannot reach
    even the next cut, or more than ``most`` bands are needed."""
    ends = [*cuts, high]
    bands: list[tuple[float, float]] = []
    start, first = low, 0
    while start < high:
        if len(bands) >= most:
            return None
        if first >= len(ends) or not _all_fit(lines, start, ends[first], scale, available):
            return None
        last = first  # the furthest end that fits, found by bisection (fitting is monotone)
        top = len(ends) - 1
        while last < top:
            middle = (last + top + 1) // 2
            if _all_fit(lines, start, ends[middle], scale, available):
                last = middle
            else:
                top = middle - 1
        bands.append((start, ends[last]))
        start, first = ends[last], last + 1
    return bands


def _all_fit(
    lines: list[list[Segment]], start: float, end: float, scale: float, available: int
) -> bool:
    """Whether every CPU's segments from ``start`` to ``end`` fit with their labels."""
    return all(_fits(_clipped(segments, start, end), start, scale, available) for segments in lines)


def _fits(segments: list[Segment], start: float, scale: float, available: int) -> bool:
    positions = _positions(segments, start, scale, True)
    last = fmt_time(segments[-1].end) if segments else ""
    return positions[-1] + max(1, len(last)) <= available


def _clipped(segments: list[Segment], start: float, end: float) -> list[Segment]:
    """The part of a CPU's segments between ``start`` and ``end`` (a segment crossing
    either is cut there, keeping its kind and label)."""
    return [
        Segment(max(segment.start, start), min(segment.end, end), segment.kind, segment.label)
        for segment in segments
        if segment.end > start and segment.start < end
    ]


def check_width(width: int) -> None:
    """Refuse a text chart width outside ``MINIMUM_WIDTH..MAX_TEXT_CHART_WIDTH``."""
    if not MINIMUM_WIDTH <= width <= MAX_TEXT_CHART_WIDTH:
        bound = f">= {MINIMUM_WIDTH}" if width < MINIMUM_WIDTH else f"<= {MAX_TEXT_CHART_WIDTH:,}"
        raise OptionError(f"text chart width: must be {bound} columns, got {width}")


def _synchronisation(schedule: Schedule) -> list[str]:
    """Under the bars, for processes that synchronise: who was blocked on what and who
    held what, from when to when, and the deadlock if the run ended in one."""
    pids = schedule.pids
    lines = [
        f"{pids[job]} blocked on {resource} {fmt_time(start)}-{fmt_time(end)}"
        for job, start, end, resource in schedule.blocked
        if end > start
    ]
    lines += [
        f"{pids[job]} holds {resource} {fmt_time(start)}-{fmt_time(end)}"
        for job, start, end, resource in schedule.holds
    ]
    if schedule.deadlock_at is not None:
        lines.append(f"deadlock at t={fmt_time(schedule.deadlock_at)}")
    return lines


def _segments(schedule: Schedule, cpu: int, low: float, high: float) -> list[Segment]:
    """``cpu``'s time from ``low`` to ``high`` as contiguous segments."""
    out: list[Segment] = []
    cursor = low
    rows = (schedule.cpu == cpu).nonzero()[0]
    for index in rows.tolist():
        dispatched = float(schedule.dispatched[index])
        start = float(schedule.start[index])
        end = float(schedule.end[index])
        if dispatched > cursor:
            out.append(Segment(cursor, dispatched, IDLE, "--"))
        if start > dispatched:
            out.append(Segment(max(dispatched, cursor), start, SWITCH))
        if end > start:
            out.append(Segment(start, end, RUN, schedule.pids[int(schedule.job[index])]))
        cursor = max(cursor, end)
    if high > cursor:
        out.append(Segment(cursor, high, IDLE, "--"))
    return out


def _fit(
    lines: list[list[Segment]], low: float, high: float, available: int, integer: bool
) -> tuple[float, list[list[Segment]], bool]:
    """The scale (characters per time unit), the segments to draw and whether every label
    gets room, so that every line fits in ``available`` columns."""
    span = high - low
    for label_room in (True, False):
        scale = _largest_scale(lines, low, span, available, label_room)
        if scale is not None:
            return scale, lines, label_room
    threshold = 2 * span / max(1, available)
    while True:
        merged = [_merge(segments, threshold) for segments in lines]
        scale = _largest_scale(merged, low, span, available, False)
        if scale is not None:
            return scale, merged, False
        threshold *= 2


def _largest_scale(
    lines: list[list[Segment]], low: float, span: float, available: int, label_room: bool
) -> float | None:
    def fits(scale: float) -> bool:
        for segments in lines:
            positions = _positions(segments, low, scale, label_room)
            last = fmt_time(segments[-1].end) if segments else ""
            if positions[-1] + max(1, len(last)) > available:
                return False
        return True

    if not fits(0.0):
        return None
    low_scale, high_scale = 0.0, available / span if span > 0 else 1.0
    if fits(high_scale):
        low_scale = high_scale
    else:
        for _ in range(60):
            middle = (low_scale + high_scale) / 2
            if fits(middle):
                low_scale = middle
            else:
                high_scale = middle
    whole = float(int(low_scale))
    if whole >= 1 and all(_proportional(segments, low, whole) for segments in lines):
        return whole  # a whole number of columns per time unit: exactly proportional
    return low_scale


def _positions(segments: list[Segment], low: float, scale: float, label_room: bool) -> list[int]:
    """Column of each ``|``: proportional to time, pushed right where a segment needs room."""
    positions = [0]
    for segment in segments:
        room = len(segment.label) + 3 if label_room and segment.label else 2
        ideal = round((segment.end - low) * scale)
        positions.append(max(ideal, positions[-1] + room))
    return positions


def _proportional(segments: list[Segment], low: float, scale: float) -> bool:
    """Whether every segment gets the room its label needs without being pushed right."""
    return (
        _positions(segments, low, scale, True)
        == _positions(segments, low, scale, False)
        == [
            0,
            *(round((segment.end - low) * scale) for segment in segments),
        ]
    )


def _bar(segments: list[Segment], positions: list[int]) -> str:
    parts = ["|"]
    for segment, left, right in zip(segments, positions, positions[1:], strict=False):
        inside = right - left - 1
        label = segment.label
        if label and inside >= len(label) + 2:
            before = (inside - len(label)) // 2
            parts.append(" " * before + label + " " * (inside - len(label) - before))
        elif label and inside >= len(label) and segment.kind != IDLE:
            parts.append(label + " " * (inside - len(label)))
        else:
            parts.append(FILLER[segment.kind] * inside)
        parts.append("|")
    return "".join(parts)


def _times(segments: list[Segment], positions: list[int], low: float) -> str:
    """Each boundary's time starting under its ``|``; a time that would touch the previous
    one is left out, and the last time is always shown."""
    times = [fmt_time(low), *(fmt_time(segment.end) for segment in segments)]
    last_position, last_text = positions[-1], times[-1]
    line = [" "] * (last_position + len(last_text))
    free_from = 0
    for position, text in zip(positions[:-1], times[:-1], strict=True):
        if position >= free_from and position + len(text) < last_position:
            line[position : position + len(text)] = text
            free_from = position + len(text) + 1
    line[last_position:] = last_text
    return "".join(line)


def _merge(segments: list[Segment], threshold: float) -> list[Segment]:
    """Join neighbouring segments shorter than ``threshold`` into one."""
    out: list[Segment] = []
    pending: Segment | None = None
    for segment in segments:
        if segment.duration >= threshold:
            if pending is not None:
                out.append(pending)
                pending = None
            out.append(segment)
            continue
        pending = segment if pending is None else _join(pending, segment)
        if pending.duration >= threshold:
            out.append(pending)
            pending = None
    if pending is not None:
        out.append(pending)
    return out


def _join(first: Segment, second: Segment) -> Segment:
    if first.kind == second.kind and first.label == second.label:
        return Segment(first.start, second.end, first.kind, first.label)
    return Segment(first.start, second.end, MIXED, "~")


def fmt_time(value: float) -> str:
    return fmt(float(value))
