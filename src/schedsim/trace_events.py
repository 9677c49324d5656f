"""Results as a Chrome Trace Event timeline, the JSON that ui.perfetto.dev and
chrome://tracing open.

Each run is one trace *process* (a simulated and a measured run of the same workload sit
side by side in one file).  Inside it, one *thread* (a track) per CPU and one per process:

* a CPU's track holds its slices, named by the process that ran, and the context switch
  (or, in a measured run, the dispatch latency) before each;
* a process's track holds when it ran (``running on CPU n``), when it was ready but waiting
  (``ready``), its I/O (``I/O``), and instants for its arrival, each preemption and its
  finish.

Timestamps are microseconds: workload time × the real length of one time unit (``unit``,
1 ms by default for a simulation; a measured run's own ``--unit``).  The document is built
from the result alone (timeline, I/O periods, per-process records), so any saved result
can be exported.  Output is deterministic: the same result gives the same bytes.

Format: https://docs.google.com/document/d/1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU
(``X`` complete events, ``i`` instants, ``M`` metadata for track names and order).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from schedsim import __version__
from schedsim.atomic import write_atomic
from schedsim.errors import OptionError
from schedsim.result import Result
from schedsim.trace import PREEMPTED, REASON_NAMES

DEFAULT_UNIT_SECONDS = 1e-3
MIN_UNIT_SECONDS, MAX_UNIT_SECONDS = 1e-9, 3600.0
CPU_TRACK_BASE = 1  # thread ids of CPU tracks: 1 + CPU number
PROCESS_TRACK_BASE = 1000  # thread ids of process tracks: 1000 + file index
_DURATION = re.compile(
    r"^\s*(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(?P<suffix>s|ms|us|µs|ns)?\s*$"
)
_SECONDS = {None: 1.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


def parse_trace_unit(text: str | float) -> float:
    """The real length of one time unit: ``1ms``, ``10us``, ``0.5s``; a bare number is
    seconds.  From 1 ns to an hour."""
    match = _DURATION.match(str(text))
    if match is None:
        raise OptionError(
            f"--unit: expected a duration such as 1ms, 10us or 0.5s, got {str(text)[:40]!r}"
        )
    seconds = float(match["number"]) * _SECONDS[match["suffix"]]
    if not (math.isfinite(seconds) and MIN_UNIT_SECONDS <= seconds <= MAX_UNIT_SECONDS):
        raise OptionError(f"--unit: must be from 1ns to 3600s per time unit, got {text!r}")
    return seconds


def unit_of(result: Result, default: float = DEFAULT_UNIT_SECONDS) -> float:
    """The result's own time unit in seconds (a measured run records it), else ``default``."""
    given = result.settings.get("unit_seconds")
    if (
        isinstance(given, int | float)
        and not isinstance(given, bool)
        and math.isfinite(given)
        and MIN_UNIT_SECONDS <= given <= MAX_UNIT_SECONDS
    ):
        return float(given)
    return default


def trace_document(
    runs: Sequence[tuple[str, Result]], *, unit_seconds: float | None = None
) -> dict[str, Any]:
    """The trace of several runs, each ``(label, result)`` one trace process.

    ``unit_seconds`` scales every run; None takes each run's own unit (measured runs) or
    1 ms."""
    events: list[dict[str, Any]] = []
    for number, (label, result) in enumerate(runs, start=1):
        unit = unit_seconds if unit_seconds is not None else unit_of(result)
        events.extend(_run_events(number, label, result, unit * 1e6))
    first = runs[0][1] if runs else None
    return {
        "traceEvents": events,
        "displayTimeUnit": "ms",
        "otherData": {
            "schedsim": __version__,
            "workload": first.workload if first is not None else "",
            "runs": [label for label, _ in runs],
        },
    }


def trace_json(runs: Sequence[tuple[str, Result]], *, unit_seconds: float | None = None) -> str:
    """:func:`trace_document` as JSON text, one event a line (diffs and greps read well)."""
    document = trace_document(runs, unit_seconds=unit_seconds)
    events = document.pop("traceEvents")
    head = json.dumps(document, sort_keys=True)[1:-1]
    lines = ",\n".join(json.dumps(event, sort_keys=True, allow_nan=False) for event in events)
    return '{"traceEvents": [\n' + lines + "\n], " + head + "}\n"


def save_trace(
    path: str | Path,
    runs: Sequence[tuple[str, Result]],
    *,
    unit_seconds: float | None = None,
) -> None:
    """Write the trace of ``runs`` to ``path`` atomically."""
    write_atomic(path, trace_json(runs, unit_seconds=unit_seconds))


def run_label(result: Result) -> str:
    """``simulated rr(quantum=4)``: the kind of run and its policy, for the track group."""
    options = ", ".join(
        f"{key}={_text(value)}" for key, value in result.options.items() if value is not None
    )
    policy = f"{result.policy}({options})" if options else result.policy
    return f"{result.kind} {policy}"


def _run_events(number: int, label: str, result: Result, scale: float) -> list[dict[str, Any]]:
    """Every event of one run (trace process ``number``), times multiplied by ``scale``."""
    if result.timeline is None:
        raise OptionError(
            f"{result.source or result.workload}: the result has no timeline to export; run "
            "again without --summary-only / --no-timeline"
        )

    def at(value: float) -> float:
        return round(float(value) * scale, 3)

    events: list[dict[str, Any]] = [
        _meta(number, 0, "process_name", {"name": f"{label} — {result.workload}"}),
        _meta(number, 0, "process_sort_index", {"sort_index": number}),
    ]
    columns = result.timeline.arrays()
    order = np.lexsort((columns["cpu"], columns["dispatched"]))
    cpus = max(int(result.settings.get("cpus") or 1), int(columns["cpu"].max(initial=-1)) + 1)
    for cpu in range(cpus):
        tid = CPU_TRACK_BASE + cpu
        events.append(_meta(number, tid, "thread_name", {"name": f"CPU {cpu}"}))
        events.append(_meta(number, tid, "thread_sort_index", {"sort_index": tid}))
    for job, pid in enumerate(result.pids):
        tid = PROCESS_TRACK_BASE + job
        events.append(_meta(number, tid, "thread_name", {"name": pid}))
        events.append(_meta(number, tid, "thread_sort_index", {"sort_index": tid}))
    switch_name = "dispatch latency" if result.kind == "measured" else "context switch"
    rows = zip(*(columns[name][order].tolist() for name in result.timeline.COLUMNS), strict=True)
    busy: dict[int, list[tuple[float, float]]] = {}
    for cpu, job, dispatched, start, end, level, reason in rows:
        pid = result.pids[job]
        track = CPU_TRACK_BASE + cpu
        if start > dispatched:
            events.append(
                _complete(
                    number, track, switch_name, "switch", at(dispatched), at(start), {"pid": pid}
                )
            )
        arguments: dict[str, Any] = {"pid": pid, "cpu": cpu, "end": REASON_NAMES[reason]}
        if level >= 0:
            arguments["level"] = level
        events.append(_complete(number, track, pid, "slice", at(start), at(end), arguments))
        tid = PROCESS_TRACK_BASE + job
        events.append(
            _complete(
                number, tid, f"running on CPU {cpu}", "running", at(start), at(end), arguments
            )
        )
        if reason == PREEMPTED:
            events.append(_instant(number, tid, "preempted", at(end), {"cpu": cpu}))
        busy.setdefault(job, []).append((dispatched, end))
    for job, start, end in result.io_periods:
        tid = PROCESS_TRACK_BASE + int(job)
        events.append(_complete(number, tid, "I/O", "io", at(start), at(end), {}))
        busy.setdefault(int(job), []).append((float(start), float(end)))
    last = _last_time(result)
    events.extend(_sync_events(number, result, at, busy, last))
    arrival = result.jobs["arrival"].tolist()
    finish: list[float] = [float(value) for value in result.jobs["finish"].tolist()]
    for job in range(len(result.pids)):
        tid = PROCESS_TRACK_BASE + job
        events.append(_instant(number, tid, "arrival", at(arrival[job]), {}))
        finished = math.isfinite(finish[job])  # a deadlocked process never finishes
        end = finish[job] if finished else last
        for low, high in _gaps(busy.get(job, []), arrival[job], end):
            events.append(_complete(number, tid, "ready", "waiting", at(low), at(high), {}))
        if finished:
            events.append(_instant(number, tid, "finish", at(finish[job]), {}))
    return events


def _last_time(result: Result) -> float:
    """The last moment of the run: its last slice, I/O or deadlock."""
    times = [0.0]
    if result.timeline is not None and len(result.timeline):
        times.append(float(max(result.timeline.end)))
    times += [float(end) for _, _, end in result.io_periods]
    if result.deadlock and isinstance(result.deadlock.get("time"), int | float):
        times.append(float(result.deadlock["time"]))
    return max(times)


def _sync_events(
    number: int,
    result: Result,
    at: Any,
    busy: dict[int, list[tuple[float, float]]],
    last: float,
) -> list[dict[str, Any]]:
    """Processes that synchronise: each wait on its process's track (``blocked: lock bus``),
    each hold as an async slice (holds of a semaphore may overlap), the deadlock as a global
    instant."""
    resources = result.resources
    if not resources:
        return []
    index = {pid: job for job, pid in enumerate(result.pids)}
    events: list[dict[str, Any]] = []
    for wait in resources.get("waits", []):
        job = index.get(wait.get("pid"))
        if job is None:
            continue
        start = float(wait["from"])
        end = float(wait["to"]) if wait.get("to") is not None else last
        what = f"{wait.get('kind', '')} {wait.get('resource', '')}".strip()
        events.append(
            _complete(
                number,
                PROCESS_TRACK_BASE + job,
                f"blocked: {what}",
                "blocked",
                at(start),
                at(end),
                {"resource": what},
            )
        )
        busy.setdefault(job, []).append((start, end))
    for serial, hold in enumerate(resources.get("holds", []), start=1):
        what = f"{hold.get('kind', '')} {hold.get('resource', '')}".strip()
        name = f"{hold.get('pid')} holds {what}"
        released = hold.get("released")
        end = float(released) if released is not None else last
        common = {"pid": number, "tid": 0, "cat": "hold", "name": name, "id": serial}
        acquired = float(hold.get("acquired") or 0)
        events.append({**common, "ph": "b", "ts": at(acquired), "args": {}})
        events.append({**common, "ph": "e", "ts": at(end), "args": {}})
    if result.deadlock:
        time = result.deadlock.get("time")
        if isinstance(time, int | float):
            events.append(
                {
                    "ph": "i",
                    "s": "g",
                    "pid": number,
                    "tid": 0,
                    "name": "deadlock",
                    "ts": at(time),
                    "args": {"deadlock": result.deadlock.get("description", "")},
                }
            )
    return events


def _gaps(busy: list[tuple[float, float]], low: float, high: float) -> list[tuple[float, float]]:
    """The parts of [low, high] no busy interval covers: when the process was ready."""
    gaps = []
    cursor = low
    for start, end in sorted(busy):
        if start > cursor:
            gaps.append((cursor, start))
        cursor = max(cursor, end)
    if high > cursor:
        gaps.append((cursor, high))
    return gaps


def _meta(pid: int, tid: int, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {"ph": "M", "pid": pid, "tid": tid, "name": name, "args": arguments}


def _complete(
    pid: int,
    tid: int,
    name: str,
    category: str,
    start: float,
    end: float,
    arguments: dict[str, Any],
) -> dict[str, Any]:
    return {
        "ph": "X",
        "pid": pid,
        "tid": tid,
        "name": name,
        "cat": category,
        "ts": start,
        "dur": round(end - start, 3),
        "args": arguments,
    }


def _instant(
    pid: int, tid: int, name: str, time: float, arguments: dict[str, Any]
) -> dict[str, Any]:
    return {
        "ph": "i",
        "s": "t",
        "pid": pid,
        "tid": tid,
        "name": name,
        "ts": time,
        "args": arguments,
    }


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return str(value)
