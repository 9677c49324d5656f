"""A real Linux scheduling trace turned into a workload, so that what a machine really ran
can be replayed under any policy.

Reads the text of ``perf sched script`` / ``perf script`` and of ftrace's ``trace`` file,
in both layouts of the scheduler events: ``key=value`` fields (``prev_comm=bash prev_pid=12
prev_prio=120 prev_state=S ==> next_comm=... next_pid=...``, every kernel since 3.x) and the
compact form of older kernels and perf versions (``bash:12 [120] S ==> swapper/0:0 [120]``).
Only ``sched_switch`` and the wake-up events (``sched_wakeup``, ``sched_wakeup_new``,
``sched_waking``) are read; every other line is skipped.  Whatever precedes an event — perf's
``comm pid [cpu] time:`` or ftrace's ``comm-pid [cpu] flags time:`` — only its CPU and time
are used, so both tools' headers (and their optional columns) read alike.

How a task becomes a process
============================

* It **arrives** when it first appears (woken, created, or switched in or out).
* It **runs** from each switch onto a CPU until the switch off it.  A task switched out in
  state ``R`` (``R+``) was preempted and its CPU burst goes on; switched out in any sleeping
  state (``S``, ``D``, ...) it ends its CPU burst and **blocks**: the I/O burst lasts until it
  is woken (or, without a wake-up event, until it next runs).  ``X``/``Z`` (dead) ends it.
* A task already running when the trace starts ran, on its CPU, since the CPU's previous
  switch (or the trace's first event).  One still running at the end runs to the last event;
  one asleep at the end ends with its last CPU burst.
* The idle task (pid 0) is never a process; tasks that never ran are left out.

Times are seconds in the trace; the workload counts in ``unit`` (1 ms by default) from the
first process's arrival, rounded to ``precision`` decimals.  A CPU burst that rounds to
nothing is kept at one step of that precision; an I/O burst that rounds to nothing joins
the two CPU bursts around it.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schedsim.errors import WorkloadError
from schedsim.limits import MAX_BULK_BYTES
from schedsim.workload import Workload

# "<anything> [CPU] <anything> TIME: [system:]EVENT: FIELDS"
_EVENT = re.compile(
    r"\[(?P<cpu>\d+)\][^\n]*?\s(?P<time>\d+\.\d+):\s+(?:\w+:)?"
    r"(?P<event>sched_switch|sched_wakeup_new|sched_wakeup|sched_waking):\s*(?P<fields>.*)$"
)
_KEY_VALUE = re.compile(r"(\w+)=(\S*)")
# compact sched_switch: "prev:12 [120] S ==> next:0 [120]" (older ftrace: "task prev:12 [120] (S)")
_COMPACT_SWITCH = re.compile(
    r"^(?:task\s+)?(?P<prev_comm>.*?):(?P<prev_pid>\d+)\s+\[-?\d+\]\s+\(?(?P<prev_state>[A-Za-z+|]*)\)?"
    r"\s*==>\s*(?P<next_comm>.*?):(?P<next_pid>\d+)\s+\[-?\d+\]"
)
_COMPACT_WAKE = re.compile(r"^(?:task\s+)?(?P<comm>.*?):(?P<pid>\d+)\s+\[-?\d+\]")
SLEEPING_ENDS = "XZx"  # dead: the task exits

# Scheduler events are a few hundred characters; longer lines are something else, and are
# skipped unread (the event pattern's cost grows with the length of a line).
MAX_LINE = 4096
DEFAULT_UNIT_SECONDS = 1e-3
DEFAULT_PRECISION = 3


@dataclass
class _Task:
    pid: int
    comm: str
    arrival: float
    running_since: float | None = None
    asleep_since: float | None = None
    woken_at: float | None = None
    exited: bool = False
    bursts: list[float] = field(default_factory=list)  # CPU, I/O, CPU, ... in seconds
    current_cpu: float = 0.0  # CPU run in the burst under way
    in_burst: bool = False

    def run_until(self, time: float) -> None:
        if self.running_since is not None:
            self.current_cpu += max(0.0, time - self.running_since)
            self.running_since = None
            self.in_burst = True

    def sleep(self, time: float) -> None:
        self.end_burst()
        self.asleep_since = time
        self.woken_at = None

    def end_burst(self) -> None:
        if self.in_burst:
            self.bursts.append(self.current_cpu)
            self.current_cpu = 0.0
            self.in_burst = False

    def wake(self, time: float) -> None:
        if self.asleep_since is not None and self.woken_at is None:
            self.woken_at = time

    def start(self, time: float) -> None:
        if self.asleep_since is not None:
            if self.bursts:
                woke = self.woken_at if self.woken_at is not None else time
                self.bursts.append(max(0.0, woke - self.asleep_since))
            self.asleep_since = None
            self.woken_at = None
        self.running_since = time


@dataclass(frozen=True)
class TraceSelection:
    """Which tasks and which part of the trace to import."""

    commands: tuple[str, ...] = ()  # glob patterns on the task name
    pids: tuple[int, ...] = ()
    start: float | None = None  # trace seconds
    end: float | None = None

    def wants(self, pid: int, comm: str) -> bool:
        if not self.commands and not self.pids:
            return True
        return pid in self.pids or any(fnmatch.fnmatchcase(comm, p) for p in self.commands)


@dataclass(frozen=True)
class ImportedTrace:
    """The workload and what was read to make it."""

    workload: Workload
    events: int
    tasks_seen: int
    first: float
    last: float

    def describe(self, label: str) -> str:
        processes = len(self.workload)
        bursts = (len(self.workload.burst_values) + processes) // 2
        return (
            f"{label}: {processes} process{'es' if processes != 1 else ''} ({bursts} CPU "
            f"bursts) from {self.events:,} scheduler events of {self.tasks_seen} tasks, "
            f"{self.first:.6f}s to {self.last:.6f}s"
        )


def import_trace(
    path: str | Path,
    *,
    selection: TraceSelection | None = None,
    unit_seconds: float = DEFAULT_UNIT_SECONDS,
    precision: int = DEFAULT_PRECISION,
    max_bytes: int | None = MAX_BULK_BYTES,
) -> ImportedTrace:
    """Read a trace file (see the module docstring) into a workload named after it."""
    label = str(path)
    target = Path(path)
    try:
        size = target.stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise WorkloadError(
                f"{label}: trace is {size:,} bytes, over the limit of {max_bytes:,}; select a "
                "time window when recording, or split the file"
            )
        with target.open("rb") as handle:
            head = handle.read(8)
            if head.startswith(b"PERFILE"):
                raise WorkloadError(
                    f"{label}: this is perf's binary data; turn it into text first: "
                    f"perf sched script -i {label} > trace.txt"
                )
            handle.seek(0)
            lines = (raw.decode("utf-8", "replace") for raw in handle)
            return read_trace(
                lines,
                label=label,
                name=target.stem,
                selection=selection,
                unit_seconds=unit_seconds,
                precision=precision,
            )
    except FileNotFoundError:
        raise WorkloadError(f"{label}: no such file") from None
    except IsADirectoryError:
        raise WorkloadError(f"{label}: is a directory, not a trace file") from None
    except OSError as error:
        raise WorkloadError(f"{label}: cannot read: {error.strerror or error}") from None


def read_trace(
    lines: Iterable[str],
    *,
    label: str = "<trace>",
    name: str = "trace",
    selection: TraceSelection | None = None,
    unit_seconds: float = DEFAULT_UNIT_SECONDS,
    precision: int = DEFAULT_PRECISION,
) -> ImportedTrace:
    """The workload in a trace's lines (see the module docstring)."""
    if not unit_seconds > 0:
        raise WorkloadError(f"{label}: the time unit must be > 0 seconds, got {unit_seconds!r}")
    if not 0 <= precision <= 9:
        raise WorkloadError(f"{label}: precision must be 0 to 9 decimals, got {precision!r}")
    chosen = selection or TraceSelection()
    tasks: dict[int, _Task] = {}
    cpu_since: dict[int, float] = {}
    events = 0
    first: float | None = None
    last = 0.0
    switches = 0
    for line in lines:
        if len(line) > MAX_LINE or "sched_" not in line:
            continue
        match = _EVENT.search(line)
        if match is None:
            continue
        time = float(match["time"])
        if (chosen.start is not None and time < chosen.start) or (
            chosen.end is not None and time > chosen.end
        ):
            continue
        events += 1
        first = time if first is None else first
        last = max(last, time)
        cpu = int(match["cpu"])
        kind, text = match["event"], match["fields"]
        if kind == "sched_switch":
            fields = _switch_fields(text)
            if fields is None:
                continue
            switches += 1
            since = cpu_since.get(cpu, first)
            _switch_out(tasks, fields, time, since)
            _switch_in(tasks, fields, time)
            cpu_since[cpu] = time
        else:
            woken = _wake_fields(text)
            if woken is not None and woken[0] != 0:
                task = _task(tasks, woken[0], woken[1], time)
                task.wake(time)
    if not switches:
        raise WorkloadError(
            f"{label}: no sched_switch events found; give the text of `perf sched script` (after "
            "`perf sched record`) or of ftrace's trace file with events/sched/sched_switch on"
        )
    for task in tasks.values():  # the end of the trace
        task.run_until(last)
        task.end_burst()
    records = _records(tasks.values(), chosen, unit_seconds, precision)
    if not records:
        raise WorkloadError(
            f"{label}: no selected task ran in the trace; check --comm, --pid and the window"
        )
    workload = Workload.from_records(records, name=name)
    return ImportedTrace(workload, events, len(tasks), first or 0.0, last)


def _switch_fields(text: str) -> dict[str, Any] | None:
    pairs = dict(_KEY_VALUE.findall(text))
    if "prev_pid" in pairs and "next_pid" in pairs:
        prev_comm = re.search(r"prev_comm=(.*?) prev_pid=", text)
        next_comm = re.search(r"next_comm=(.*?) next_pid=", text)
        values: dict[str, Any] = {
            "prev_comm": prev_comm.group(1) if prev_comm else pairs.get("prev_comm", ""),
            "prev_pid": pairs["prev_pid"],
            "prev_state": pairs.get("prev_state", "R"),
            "next_comm": next_comm.group(1) if next_comm else pairs.get("next_comm", ""),
            "next_pid": pairs["next_pid"],
        }
    else:
        compact = _COMPACT_SWITCH.search(text)
        if compact is None:
            return None
        values = compact.groupdict()
    try:
        values["prev_pid"] = int(values["prev_pid"])
        values["next_pid"] = int(values["next_pid"])
    except ValueError:
        return None
    return values


def _wake_fields(text: str) -> tuple[int, str] | None:
    pairs = dict(_KEY_VALUE.findall(text))
    if "pid" in pairs:
        comm = re.search(r"comm=(.*?) pid=", text)
        try:
            return int(pairs["pid"]), comm.group(1) if comm else pairs.get("comm", "")
        except ValueError:
            return None
    compact = _COMPACT_WAKE.search(text)
    return (int(compact["pid"]), compact["comm"]) if compact else None


def _task(tasks: dict[int, _Task], pid: int, comm: str, time: float) -> _Task:
    task = tasks.get(pid)
    if task is None:
        task = tasks[pid] = _Task(pid, comm, time)
    elif comm:
        task.comm = comm
    return task


def _switch_out(tasks: dict[int, _Task], fields: dict[str, Any], time: float, since: float) -> None:
    pid = fields["prev_pid"]
    if pid == 0:
        return
    task = _task(tasks, pid, fields["prev_comm"], since)
    if task.exited:
        return
    if task.running_since is None and task.asleep_since is None:
        task.running_since = since  # running when the trace (or the window) began
    task.run_until(time)
    state = (fields["prev_state"] or "R").strip()
    if state.startswith("R"):
        return  # preempted: still runnable, the burst goes on
    if state[:1] in SLEEPING_ENDS:
        task.end_burst()
        task.exited = True
        return
    task.sleep(time)


def _switch_in(tasks: dict[int, _Task], fields: dict[str, Any], time: float) -> None:
    pid = fields["next_pid"]
    if pid == 0:
        return
    task = _task(tasks, pid, fields["next_comm"], time)
    if not task.exited:
        task.start(time)


def _records(
    tasks: Iterable[_Task], selection: TraceSelection, unit: float, precision: int
) -> list[dict[str, Any]]:
    chosen = [
        task
        for task in tasks
        if selection.wants(task.pid, task.comm) and task.bursts and task.bursts[0] > 0
    ]
    if not chosen:
        return []
    chosen.sort(key=lambda task: (task.arrival, task.pid))
    origin = chosen[0].arrival
    step = 10.0**-precision
    records = []
    for task in chosen:
        bursts = _rounded(task.bursts, unit, precision, step)
        records.append(
            {
                "pid": f"{task.comm or 'task'}-{task.pid}",
                "arrival": round((task.arrival - origin) / unit, precision),
                "bursts": bursts,
            }
        )
    return records


def _rounded(seconds: Sequence[float], unit: float, precision: int, step: float) -> list[float]:
    """Bursts in workload units, rounded; nothing rounds to zero (see the module docstring)."""
    values: list[float] = []
    for index, value in enumerate(seconds):
        scaled = round(value / unit, precision)
        if index % 2 == 0:  # CPU
            if len(values) % 2 == 1:  # the I/O before rounded to nothing: join the bursts
                values[-1] = round(values[-1] + max(scaled, 0.0), precision)
                continue
            values.append(scaled if scaled > 0 else step)
        elif scaled > 0:
            values.append(scaled)
        # an I/O burst of nothing: the next CPU burst joins the previous one
    if len(values) % 2 == 0:
        values.pop()
    return values
