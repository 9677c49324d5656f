"""The threads executor: one thread per workload process, all in one worker process.

Nobody dispatches.  Each thread sleeps until its arrival, then works through its bursts: a
CPU burst is pure-Python work (an empty ``for`` loop), which needs the GIL, counted in the
thread's own CPU time (``time.thread_time_ns``), so time spent waiting for the GIL does
not count; an I/O burst is a blocking ``time.sleep`` to an absolute deadline (the end of
the CPU burst plus the I/O time), which releases the GIL.  The interpreter's switch
interval is set to the run's (``sys.setswitchinterval``).  CPython's GIL and the operating
system decide the rest.  The host's main thread waits on one event that the last thread to
finish sets, so it never competes for the GIL.

Who held the GIL, and when
==========================

Only the thread holding the GIL executes Python code, so the threads record the GIL's
handoffs themselves.  They share ``holder`` (who last said it holds the GIL) and each
thread's ``last_seen`` (the last time it was seen running).  A CPU burst runs in work
units of about a microsecond; after each, the thread notes the time in ``last_seen`` and,
if ``holder`` is not itself, it has just got the GIL back: it records the handoff — the
time now, the previous holder and that holder's ``last_seen``, the moment the previous
holder was last seen running.  A thread also records a handoff the moment it wakes from a
sleep (it holds the GIL then), and a release when it ends a CPU burst.  Reading and
writing ``holder`` involve no call and no loop, so no switch can fall between them.

Resolution: the previous holder's tenure ends at its last ``last_seen`` and the next one's
starts when it records the handoff, so both ends are known to within one work unit (about
1–2 µs: ``extra["gil"]["work_unit_us"]`` gives the measured figure); the time between them is
the handoff itself — the GIL dropped, the next thread being woken by the OS — which the
measured schedule shows as a gap (``handoff_us``).

What CPython did (``extra["gil"]``)
===================================

Each handoff between two threads is classified: ``forced`` (the holder still had work: a
waiting thread's drop request took it away) or ``released`` (the holder blocked for I/O or
finished).  Where two or more threads were waiting, the choice of the next holder was
CPython's (the OS's): it is compared with the GIL model's first-come-first-served choice
(the thread waiting longest) and with the newest waiter.  Also reported: how long a holder
kept the GIL before a forced switch, against the switch interval.
"""

from __future__ import annotations

import bisect
import itertools
import statistics
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from schedsim.real.host import HostPlan, HostReport, core_reader
from schedsim.real.safety import set_timer_slack
from schedsim.trace import BLOCKED, EXPIRED, FINISHED

WORK_UNIT = 100  # iterations of an empty loop between two looks at the clock (~1 µs)
LEAD_SECONDS = 0.02  # from "go" to time zero, so that every thread is asleep by then ...
LEAD_SECONDS_PER_THREAD = 0.0005  # ... however many threads there are
NANOSECONDS = 1_000_000_000

ACQUIRED, RELEASED = 0, 1
# An event: (time ns, ACQUIRED, job, previous holder or -1, previous holder last seen ns, core)
#       or  (time ns, RELEASED, job, reason, time ns, -1)
Event = tuple[int, int, int, int, int, int]


class GilLog:
    """The handoffs of the GIL, recorded by the threads themselves (module docstring)."""

    def __init__(self, threads: int) -> None:
        self.holder = [-1]  # a list: threads update it in place
        self.last_seen = [-1] * threads
        self.events: list[Event] = []
        self.clock: Callable[[], int] = time.monotonic_ns
        self.core = core_reader()

    def took(self, job: int) -> None:
        """``job`` runs, so it holds the GIL: record a handoff if it did not before."""
        holder = self.holder
        previous = holder[0]
        if previous == job:
            return
        holder[0] = job  # no call between the read and this write: no switch between them
        seen = self.last_seen[previous] if previous >= 0 else -1
        now = self.clock()
        self.last_seen[job] = now
        self.events.append((now, ACQUIRED, job, previous, seen, self.core()))

    def released(self, job: int, reason: int) -> int:
        """``job`` ends a CPU burst and is about to release the GIL: record it, return when."""
        holder = self.holder
        if holder[0] == job:
            holder[0] = -1
        now = self.clock()
        self.events.append((now, RELEASED, job, reason, now, -1))
        return now


def run_threads(plan: HostPlan) -> HostReport:
    """The body of the host process: start the threads, run them, return the report."""
    sys.setswitchinterval(plan.settings["switch_interval"])
    count = len(plan.pids)
    log = GilLog(count)
    go = threading.Event()
    all_done = threading.Event()
    state: dict[str, Any] = {
        "origin": 0,
        "left": count,
        "lock": threading.Lock(),
        "cpu_used": [0] * count,
        "chunks": [0] * count,
        "io": [],
        "errors": [],
    }
    threads = [
        threading.Thread(
            target=_thread,
            args=(job, plan, log, go, all_done, state),
            name=f"schedsim-{plan.pids[job]}",
            daemon=True,
        )
        for job in range(count)
    ]
    for thread in threads:
        thread.start()
    lead = LEAD_SECONDS + LEAD_SECONDS_PER_THREAD * count
    state["origin"] = origin = log.clock() + round(lead * NANOSECONDS)
    go.set()
    if count:
        all_done.wait()  # one wait, woken once: the main thread never asks for the GIL
    for thread in threads:
        thread.join()
    if state["errors"]:
        raise RuntimeError(state["errors"][0])
    return _report(plan, log, state, origin)


def _thread(
    job: int,
    plan: HostPlan,
    log: GilLog,
    go: threading.Event,
    all_done: threading.Event,
    state: dict[str, Any],
) -> None:
    try:
        set_timer_slack(1)  # per thread: sleeps end on time, not 50 µs late
        go.wait()
        clock = log.clock
        bursts = [round(seconds * NANOSECONDS) for seconds in plan.bursts[job]]
        _sleep_until(state["origin"] + round(plan.arrivals[job] * NANOSECONDS), clock)
        for position in range(0, len(bursts), 2):
            log.took(job)
            used, chunks = _burn(job, bursts[position], log)
            state["cpu_used"][job] += used
            state["chunks"][job] += chunks
            last = position + 1 == len(bursts)
            ended = log.released(job, FINISHED if last else BLOCKED)
            if not last:
                deadline = ended + bursts[position + 1]
                state["io"].append((job, ended, deadline))
                _sleep_until(deadline, clock)
    except BaseException as error:  # reported by the main thread; never a traceback here
        state["errors"].append(f"process {plan.pids[job]}: {type(error).__name__}: {error}")
    finally:
        with state["lock"]:
            state["left"] -= 1
            if state["left"] == 0:
                all_done.set()


def _burn(job: int, need: int, log: GilLog) -> tuple[int, int]:
    """Burn ``need`` ns of this thread's CPU time in pure Python; after each work unit note
    the time, and record a handoff if the GIL came back meanwhile.  Returns the CPU time
    used and the number of work units."""
    thread_ns = time.thread_time_ns
    clock = log.clock
    holder = log.holder
    last_seen = log.last_seen
    work = range(WORK_UNIT)
    chunks = 0
    begin = thread_ns()
    while True:
        for _ in work:
            pass
        if holder[0] != job:
            log.took(job)
        last_seen[job] = clock()
        chunks += 1
        used = thread_ns() - begin
        if used >= need:
            return used, chunks


def _sleep_until(deadline: int, clock: Callable[[], int]) -> None:
    """Blocking sleep to an absolute time (ns of ``clock``), robust to early wake-ups."""
    while True:
        left = deadline - clock()
        if left <= 0:
            return
        time.sleep(left / NANOSECONDS)


def _report(plan: HostPlan, log: GilLog, state: dict[str, Any], origin: int) -> HostReport:
    def seconds(ns: int) -> float:
        return (ns - origin) / NANOSECONDS

    tenures = [
        (job, seconds(start), seconds(end), reason, core)
        for job, start, end, reason, core in gil_tenures(log.events)
    ]
    io_periods = [(job, seconds(start), seconds(end)) for job, start, end in state["io"]]
    cpu_used = [ns / NANOSECONDS for ns in state["cpu_used"]]
    chunks = sum(state["chunks"])
    extra = {
        "gil": {
            "switch_interval_ms": plan.settings["switch_interval"] * 1e3,
            "work_unit_us": round(sum(cpu_used) / chunks * 1e6, 3) if chunks else None,
            **gil_handoffs(tenures, plan.arrivals, io_periods),
        }
    }
    return HostReport(tenures=tenures, io_periods=io_periods, cpu_used=cpu_used, extra=extra)


def gil_tenures(events: list[Event]) -> list[tuple[int, int, int, int, int]]:
    """The GIL's tenures ``(job, start, end, reason, core)`` from the recorded events.

    A handoff ends the previous holder's tenure where that holder was last seen running (a
    forced switch: ``EXPIRED``) and starts the new one; a release ends the holder's tenure
    with its reason.  Events are taken in time order (a thread may be switched out between
    reading the clock and appending its event)."""
    open_tenures: dict[int, tuple[int, int]] = {}  # job -> (start, core)
    tenures = []
    for at, kind, job, other, seen, core in sorted(events):
        if kind == RELEASED:
            start, started_on = open_tenures.pop(job, (at, -1))
            tenures.append((job, start, max(start, at), other, started_on))
            continue
        for holder, (start, started_on) in list(open_tenures.items()):
            if holder == job:
                continue
            end = seen if holder == other and seen >= 0 else at
            tenures.append((holder, start, min(max(start, end), at), EXPIRED, started_on))
            del open_tenures[holder]
        open_tenures.setdefault(job, (at, core))
    return tenures


def gil_handoffs(
    tenures: list[tuple[int, float, float, int, int]],
    arrivals: tuple[float, ...],
    io_periods: list[tuple[int, float, float]],
) -> dict[str, Any]:
    """What CPython did at each handoff of the GIL between two threads (module docstring).
    Times in seconds from time zero."""
    ordered = sorted(tenures, key=lambda tenure: tenure[1])
    timelines = _Timelines(ordered, arrivals, io_periods)
    counts = {
        kind: {"handoffs": 0, "contended": 0, "longest_waiting": 0, "newest_waiting": 0}
        for kind in ("forced", "released")
    }
    held_before_forced: list[float] = []
    gaps: list[float] = []
    for before, after in itertools.pairwise(ordered):
        if before[0] == after[0]:
            continue
        kind = "forced" if before[3] == EXPIRED else "released"
        switch = before[2]
        counts[kind]["handoffs"] += 1
        gaps.append(after[1] - switch)
        if kind == "forced":
            held_before_forced.append(before[2] - before[1])
        waiting = timelines.waiting_at(switch, before[0])
        if len(waiting) < 2 or after[0] not in waiting:
            continue
        counts[kind]["contended"] += 1
        longest = min(waiting, key=lambda job: (waiting[job], job))
        newest = max(waiting, key=lambda job: (waiting[job], -job))
        counts[kind]["longest_waiting"] += after[0] == longest
        counts[kind]["newest_waiting"] += after[0] == newest
    return {
        **counts,
        "held_before_forced_switch_ms": _quantiles([1e3 * value for value in held_before_forced]),
        "handoff_us": _quantiles([1e6 * value for value in gaps]),
    }


class _Timelines:
    """Each thread's tenures and I/O, sorted, to ask who waited for the GIL at a moment."""

    def __init__(
        self,
        tenures: list[tuple[int, float, float, int, int]],
        arrivals: tuple[float, ...],
        io_periods: list[tuple[int, float, float]],
    ) -> None:
        self.arrivals = arrivals
        count = len(arrivals)
        self.starts: list[list[float]] = [[] for _ in range(count)]
        self.ends: list[list[float]] = [[] for _ in range(count)]
        self.io_starts: list[list[float]] = [[] for _ in range(count)]
        self.io_ends: list[list[float]] = [[] for _ in range(count)]
        for job, start, end, *_ in tenures:
            self.starts[job].append(start)
            self.ends[job].append(end)
        for job, start, end in sorted(io_periods, key=lambda period: period[1]):
            self.io_starts[job].append(start)
            self.io_ends[job].append(end)
        for column in (*self.starts, *self.ends):
            column.sort()

    def waiting_at(self, at: float, holder: int) -> dict[int, float]:
        """The threads other than ``holder`` waiting for the GIL at ``at``, each with when it
        began waiting: arrived, not in I/O, with a tenure still to come."""
        waiting: dict[int, float] = {}
        for job, arrival in enumerate(self.arrivals):
            if job == holder or arrival > at or not self.starts[job]:
                continue
            if self.starts[job][-1] < at:
                continue  # no tenure to come: it finished
            io = bisect.bisect_right(self.io_starts[job], at)
            if io and self.io_ends[job][io - 1] > at:
                continue  # in I/O
            since = arrival
            if io:
                since = max(since, self.io_ends[job][io - 1])
            ended = bisect.bisect_right(self.ends[job], at)
            if ended:
                since = max(since, self.ends[job][ended - 1])
            waiting[job] = since
        return waiting


def _quantiles(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"count": 0, "p10": None, "median": None, "p90": None}
    ordered = sorted(values)
    return {
        "count": len(ordered),
        "p10": round(ordered[len(ordered) // 10], 3),
        "median": round(statistics.median(ordered), 3),
        "p90": round(ordered[(9 * len(ordered)) // 10], 3),
    }
