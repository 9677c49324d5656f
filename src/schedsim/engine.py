"""The discrete-event simulator: runs any :class:`~schedsim.policies.base.Policy` over a
workload.

Time jumps from one event to the next: the earliest of the next arrival, the end of a CPU's
slice, the end of an I/O burst and the policy's timer.  Every event at that time is one
instant, handed to the :class:`~schedsim.core.Scheduler`, whose module docstring states the
order in which an instant's events are handled — the rules this loop and the real-process
dispatcher share.  This module only computes when events happen.

Integer workloads run on Python integers, so their results are exact.

Cost
====

Per-job state lives in flat lists indexed by the job id; arrivals are pre-sorted and consumed
by a cursor; I/O completions sit in a heap; hooks a policy does not override are never called;
the cyclic garbage collector is paused during the run.  Where the optional C extension
``schedsim._cengine`` was built, a float workload runs the same loop compiled (identical
results; round robin, whose hooks are deque methods, runs about 7 to 13 times faster,
policies with Python hooks 1.5 to 5 times, as their hooks then dominate); integer workloads,
and any run with ``SCHEDSIM_PURE_PYTHON=1`` in the environment, keep the Python loop.  A
policy that runs jobs to completion in an order known in advance (FCFS) on one CPU without
I/O skips the loop altogether (:func:`_run_fixed_order`).
"""

from __future__ import annotations

import gc
import heapq
import math
import os
from typing import Any

import numpy as np

from schedsim.clock import SimulatedClock
from schedsim.core import TIES, PolicyRun, Scheduler, policy_failed, too_many_slices
from schedsim.errors import LimitError, OptionError, PolicyError, SchedsimError
from schedsim.limits import (
    DEFAULT_MAX_SLICES,
    DEFAULT_MAX_SLICES_TIMELINE,
    MAX_CPUS,
    MAX_TIME,
)
from schedsim.policies.base import Policy, overrides
from schedsim.scripted import ScriptedScheduler
from schedsim.sync import LOCK_PROTOCOLS
from schedsim.trace import FINISHED, Timeline, Trace
from schedsim.workload import Workload

try:
    from schedsim import _cengine  # type: ignore[attr-defined,unused-ignore]
except ImportError:  # built only where a C compiler was available at install time
    _cengine = None

Time = int | float
INF = math.inf

ENGINES = ("auto", "python", "c")
# What a missed deadline does: nothing (it is reported), the job is ended at its deadline,
# or the run stops at the first miss.  The last two are events of the Python loop only.
ON_MISS = ("continue", "abort-job", "stop")

# Set to 1 to run the Python loop where the compiled one would apply (engine "auto").
PURE_PYTHON = "SCHEDSIM_PURE_PYTHON"


def check_run_options(
    cpus: int,
    context_switch: Time,
    ties: str,
    seed: int = 0,
    locks: str = "none",
    on_miss: str = "continue",
) -> None:
    """Reject bad engine options up front, with the value quoted (the same limits as the
    command line's, so library callers get them too)."""
    if isinstance(cpus, bool) or not isinstance(cpus, int) or not 1 <= cpus <= MAX_CPUS:
        raise OptionError(f"--cpus: must be a whole number from 1 to {MAX_CPUS}, got {cpus!r}")
    if (
        isinstance(context_switch, bool)
        or not isinstance(context_switch, int | float)
        or not 0 <= context_switch <= MAX_TIME
    ):
        raise OptionError(
            f"--context-switch: must be a number from 0 to {MAX_TIME:.0e}, got {context_switch!r}"
        )
    if ties not in TIES:
        raise OptionError(f"--ties: must be one of {', '.join(TIES)}, got {ties!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise OptionError(f"--seed: must be a whole number >= 0, got {seed!r}")
    if locks not in LOCK_PROTOCOLS:
        raise OptionError(f"--locks: must be one of {', '.join(LOCK_PROTOCOLS)}, got {locks!r}")
    if on_miss not in ON_MISS:
        raise OptionError(f"--on-miss: must be one of {', '.join(ON_MISS)}, got {on_miss!r}")


def run(
    workload: Workload,
    policy: Policy,
    *,
    cpus: int = 1,
    context_switch: Time = 0,
    ties: str = "arrivals-first",
    seed: int = 0,
    record_timeline: bool = True,
    max_slices: int | None = None,
    engine: str = "auto",
    locks: str = "none",
    on_miss: str = "continue",
    observer: Any = None,
) -> Trace:
    """Simulate ``workload`` under ``policy`` and return the raw :class:`Trace`.

    ``engine`` selects the loop: ``"auto"`` (the fastest that applies), ``"python"`` (the
    event loop in Python, never the policy's fixed-order shortcut) or ``"c"`` (the compiled
    loop, for float workloads, even with ``SCHEDSIM_PURE_PYTHON=1``).  Tests use the last
    two to check that the compiled loop and the shortcut give identical results.  A workload
    whose processes synchronise (``run:`` scripts) always runs the Python loop, with
    ``locks`` (``none``, ``inherit`` or ``ceiling``) as the lock protocol.  ``on_miss``
    says what a missed deadline does: ``continue`` (nothing: it is reported from the
    result), ``abort-job`` (the job is ended at its deadline) or ``stop`` (the run ends at
    the first miss); the last two are events the Python loop alone has, so such runs
    always take it.

    ``observer`` (e.g. a :class:`schedsim.explain.Explainer`) is told of every event as the
    :class:`~schedsim.core.Scheduler` handles it.  Only the Python loop can tell it, so an
    observed run always takes the Python loop (``engine="c"`` is then refused).
    """
    check_run_options(cpus, context_switch, ties, seed, locks, on_miss)
    if context_switch == 0:
        context_switch = 0  # a float 0.0 charges nothing either: integer times stay exact
    if engine not in ENGINES:
        raise OptionError(f"engine: must be one of {', '.join(ENGINES)}, got {engine!r}")
    if observer is not None:
        if engine == "c":
            raise OptionError("engine 'c': an observed run needs the Python loop; use 'auto'")
        engine = "python"
    program = workload.program
    deadlines = deadline_events(workload) if on_miss != "continue" else None
    if engine == "c" and program is not None:
        raise OptionError(
            "engine 'c': the compiled loop does not run processes that synchronise (run: "
            "scripts); use engine 'auto' or 'python'"
        )
    if engine == "c" and deadlines:
        raise OptionError(
            f"engine 'c': the compiled loop has no deadline events (--on-miss {on_miss}); "
            "use engine 'auto' or 'python'"
        )
    if engine == "c" and _cengine is None:
        raise OptionError(
            "engine 'c': the compiled engine schedsim._cengine is not built; reinstall schedsim "
            "where a C compiler is available (pip install .), or use engine 'auto'"
        )
    if max_slices is None:
        max_slices = DEFAULT_MAX_SLICES_TIMELINE if record_timeline else DEFAULT_MAX_SLICES
    elif max_slices < 1:
        raise OptionError(f"--max-slices: must be >= 1, got {max_slices}")
    _check_slice_estimate(workload, policy, max_slices, cpus)
    was_enabled = gc.isenabled()
    gc.disable()
    clock = SimulatedClock(0)
    try:
        if (
            cpus == 1
            and engine == "auto"
            and program is None
            and not deadlines
            and not workload.has_io
            and overrides(policy, "fixed_order")
        ):
            trace = _run_fixed_order(
                workload, policy, seed, context_switch, record_timeline, max_slices
            )
            if trace is not None:
                return trace
        compiled = (
            program is None
            and not deadlines
            and not workload.is_integer
            and (engine == "c" or (engine == "auto" and os.environ.get(PURE_PYTHON) != "1"))
        )
        clock = SimulatedClock(0)
        policy_run = PolicyRun(
            workload,
            policy,
            clock=clock,
            seed=seed,
            integer_times=workload.is_integer,
            native=compiled and _cengine is not None,
            levels=record_timeline,
        )
        if compiled and _cengine is not None:
            return _cengine.simulate(
                policy_run,
                cpus,
                context_switch,
                ties == "arrivals-first",
                record_timeline,
                max_slices,
            )
        scheduler: Scheduler
        if program is None:
            scheduler = Scheduler(
                policy_run,
                cpus=cpus,
                context_switch=context_switch,
                ties=ties,
                max_slices=max_slices,
            )
        else:
            scheduler = ScriptedScheduler(
                policy_run,
                program,
                pids=workload.pid,
                priorities=lock_priorities(policy, workload),
                locks=locks,
                cpus=cpus,
                context_switch=context_switch,
                ties=ties,
                max_slices=max_slices,
            )
        if observer is not None:
            scheduler.observer = observer
            observer.attach(scheduler)
        if deadlines:
            return simulate(scheduler, record_timeline, deadlines, stop=on_miss == "stop")
        return simulate(scheduler, record_timeline)
    except SchedsimError:
        raise
    except Exception as error:  # a policy hook raised: say which policy and when
        raise policy_failed(policy, clock.now, error) from error
    finally:
        if was_enabled:
            gc.enable()


def lock_priorities(policy: Policy, workload: Workload) -> list[int]:
    """The static priorities lock protocols work with: the policy's own ranks (rate
    monotonic) if it has any, else the workload's ``priority`` column."""
    ranks = policy.lock_priorities()
    return list(ranks) if ranks is not None else workload.priority.tolist()


def deadline_events(workload: Workload) -> list[tuple[Time, int]]:
    """Every finite absolute deadline as ``(time, job)``, in time order (file order on
    ties): the instants at which a run that acts on missed deadlines looks."""
    realtime = workload.realtime
    if realtime is None:
        return []
    deadlines = realtime.deadline.tolist()
    if workload.is_integer:  # (the column of a workload with a job without one is float)
        deadlines = [
            int(value) if value < INF and value == int(value) else value for value in deadlines
        ]
    return sorted((deadline, job) for job, deadline in enumerate(deadlines) if deadline < INF)


def simulate(
    scheduler: Scheduler,
    record: bool,
    deadlines: list[tuple[Time, int]] | None = None,
    *,
    stop: bool = False,
) -> Trace:
    """The event loop: find the next instant, feed its events to the scheduler in order.

    The scheduler applies the rules; this loop only knows when things happen: arrivals from
    the workload (sorted, file order on ties), the end of each CPU's slice (``cpu_end``),
    I/O completions (a heap keyed by completion time, then the time the I/O began, then the
    job, which is file order), the policy's timer, and — in a run that acts on missed
    deadlines — the jobs' absolute ``deadlines`` (sorted ``(time, job)``; ``stop``: the
    run ends at the first miss rather than ending the late job)."""
    run = scheduler.run
    n = scheduler.n
    clock = scheduler.clock
    assert isinstance(clock, SimulatedClock), "the simulator moves its own clock"
    cpu_end = scheduler.cpu_end
    cpu_job = scheduler.cpu_job
    arrival_order: list[int] = run.arrival_order.tolist()
    arrival_times: list[Time] = [*run.arrival_times.tolist(), INF]
    cpus = range(scheduler.cpus)
    io_heap: list[tuple[Time, Time, int]] = []
    timeline = Timeline() if record else None
    io_periods: list[tuple[int, Time, Time]] = []
    if timeline is not None:
        scheduler.slice_ended = scheduler.schedule_recorder(timeline)
    cursor = 0
    timer_at = scheduler.first_timer()
    timed = run.next_timer is not None
    due: list[tuple[Time, int]] = [*(deadlines or ()), (INF, -1)]
    deadline_at, passed = due[0][0], 0
    scheduler.io_cancelled = _io_canceller(io_heap, io_periods)
    while scheduler.done < n:
        t = arrival_times[cursor]  # the next instant: the earliest event
        for end in cpu_end:
            if end < t:
                t = end
        if io_heap and io_heap[0][0] < t:
            t = io_heap[0][0]
        if deadline_at < t:
            t = deadline_at
        if t == INF and scheduler.stalled(clock.now, timer_at):
            break  # the processes left wait for each other: a deadlock
        if timer_at < t:
            t = timer_at
        clock.now = t
        for cpu in cpus:  # 1. CPUs release
            if cpu_end[cpu] == t:
                job = cpu_job[cpu]
                io = scheduler.release(cpu, t)
                if io is not None:
                    heapq.heappush(io_heap, (t + io, t, job))
                    if timeline is not None:
                        io_periods.append((job, t, t + io))
        if deadline_at == t:  # deadlines, after the CPUs released
            jobs = []
            while due[passed][0] == t:
                jobs.append(due[passed][1])
                passed += 1
            deadline_at = due[passed][0]
            if scheduler.pass_deadlines(jobs, t, stop):
                break  # --on-miss stop
        arrivals: list[int] | tuple[()] = ()  # 2. jobs become ready, then timers
        if arrival_times[cursor] == t:
            arrivals = []
            while arrival_times[cursor] == t:
                arrivals.append(arrival_order[cursor])
                cursor += 1
        completions: list[int] | tuple[()] = ()
        if io_heap and io_heap[0][0] == t:
            completions = []
            while io_heap and io_heap[0][0] == t:
                completions.append(heapq.heappop(io_heap)[2])
        scheduler.make_ready(arrivals, completions)
        if timer_at == t:
            scheduler.fire_timer(t)
        scheduler.decide(t)  # 3. preemption, 4. dispatch
        if timed:
            timer_at = scheduler.next_timer(t)
    return scheduler.trace(timeline, {"io_periods": io_periods} if io_periods else {})


def _io_canceller(
    io_heap: list[tuple[Time, Time, int]], io_periods: list[tuple[int, Time, Time]]
) -> Any:
    """The ``io_cancelled`` callback: a job ended while in I/O (at its deadline, or a
    daemon whose parent finished) leaves the heap (its completion never comes), and its
    recorded I/O period ends now; returns the I/O it did."""

    def cancel(job: int, t: Time) -> Time:
        began = next(start for _, start, entry in io_heap if entry == job)
        io_heap[:] = [entry for entry in io_heap if entry[2] != job]
        heapq.heapify(io_heap)
        for index in range(len(io_periods) - 1, -1, -1):
            if io_periods[index][0] == job:
                io_periods[index] = (job, io_periods[index][1], t)
                break
        return t - began

    return cancel


def _run_fixed_order(
    workload: Workload,
    policy: Policy,
    seed: int,
    context_switch: Time,
    record: bool,
    max_slices: int,
) -> Trace | None:
    """One CPU, no I/O, a policy that runs jobs to completion in a known order: one pass.

    Each job is dispatched when both the CPU is free and it has arrived, exactly as the
    event loop would (same arithmetic, in the same order, so floats match bit for bit; see
    :func:`_fixed_order_times`).  Works on the workload's arrays directly, so it costs a few
    tens of nanoseconds a job.  None when the policy declines (the event loop then runs)."""
    n = len(workload)
    policy_run = PolicyRun(workload, policy, clock=SimulatedClock(0), seed=seed)
    order = policy.fixed_order(policy_run.arrival_order)
    if order is None:
        return None
    jobs = np.asarray(order)
    if jobs.shape != (n,) or not _is_permutation(jobs, n):
        raise PolicyError(
            f"policy {policy.name!r} gave a fixed order that is not a permutation of the {n} jobs"
        )
    if 0 < max_slices < n:
        raise too_many_slices(max_slices, 0)
    arrivals = workload.arrival[jobs]
    bursts = workload.burst_values[workload.burst_offsets[:-1][jobs]]
    sent, starts, ends = _fixed_order_times(
        arrivals, bursts, context_switch, record and context_switch != 0
    )
    timeline = None
    if record:
        timeline = Timeline.from_arrays(
            {
                "cpu": np.zeros(n, dtype=np.int16),
                "job": jobs,
                "dispatched": sent if sent is not None else starts,
                "start": starts,
                "end": ends,
                "level": np.full(n, -1, dtype=np.int16),
                "reason": np.full(n, FINISHED, dtype=np.int8),
            }
        )
    return Trace(
        first_run=_scatter(starts, jobs),
        finish=_scatter(ends, jobs),
        switch_time=np.full(n, context_switch),  # one dispatch each (run() made a 0 an int)
        slices=np.ones(n, dtype=np.int64),
        context_switches=n,
        timeline=timeline,
    )


def _fixed_order_times(
    arrivals: np.ndarray,
    bursts: np.ndarray,
    context_switch: Time,
    dispatched: bool,
    method: str = "auto",
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Dispatch (when ``dispatched``), start and end times of jobs run one after the other in
    the given order: each is dispatched when the CPU is free and it has arrived, charged the
    context switch, then runs its burst.

    The Python loop is the definition.  Float times go through the compiled copy of that
    loop (the same double operations in the same order, so the same bits); integer times
    through its closed form, exact in int64 — with ``c_i = switch + burst_i`` and ``C`` their
    prefix sums, ``end_i = C_i + max over j <= i of (arrival_j - C_(j-1))`` — unless the
    sums could overflow, when the Python loop's unbounded ints take over.  ``method`` forces
    one of them: ``"c"``, ``"numpy"`` or ``"python"`` (tests compare them)."""
    floats = arrivals.dtype.kind == "f" or (
        isinstance(context_switch, float) and context_switch != 0
    )
    if method == "auto":
        if floats:
            compiled = _cengine is not None and os.environ.get(PURE_PYTHON) != "1"
            method = "c" if compiled else "python"
        else:
            method = "numpy" if _fits_int64(arrivals, bursts, context_switch) else "python"
    if method == "c":
        assert _cengine is not None, "the compiled engine is not built"
        arrivals = np.ascontiguousarray(arrivals, dtype=np.float64)
        bursts = np.ascontiguousarray(bursts, dtype=np.float64)
        starts = np.empty(len(arrivals))
        ends = np.empty(len(arrivals))
        sent = np.empty(len(arrivals)) if dispatched else None
        _cengine.fixed_order_times(arrivals, bursts, context_switch, sent, starts, ends)
        return sent, starts, ends
    if method == "numpy":
        assert not floats and _fits_int64(arrivals, bursts, context_switch)
        charged = bursts.astype(np.int64) + int(context_switch)
        total = np.cumsum(charged)
        before = total - charged  # C_(j-1)
        exact_ends = total + np.maximum.accumulate(arrivals.astype(np.int64) - before)
        exact_starts = exact_ends - bursts
        sent = exact_starts - int(context_switch) if dispatched else None
        return sent, exact_starts, exact_ends
    sent_list: list[Time] = []
    start_list: list[Time] = []
    end_list: list[Time] = []
    begin = start_list.append
    close = end_list.append
    send = sent_list.append if dispatched else None
    charging = context_switch != 0
    now: Time = -INF
    for arrived, burst in zip(arrivals.tolist(), bursts.tolist(), strict=True):
        if arrived > now:
            now = arrived
        if send is not None:
            send(now)
        if charging:
            now = now + context_switch
        begin(now)
        now = now + burst
        close(now)
    dtype = np.float64 if floats else None  # exact ints stay ints (object beyond int64)
    return (
        np.asarray(sent_list, dtype=dtype) if dispatched else None,
        np.asarray(start_list, dtype=dtype),
        np.asarray(end_list, dtype=dtype),
    )


def _fits_int64(arrivals: np.ndarray, bursts: np.ndarray, context_switch: Time) -> bool:
    """Whether every sum the closed form takes stays far inside int64 (estimated in floats,
    whose rounding is negligible next to the margin)."""
    if not len(arrivals):
        return True
    largest = (
        abs(float(arrivals.max()))
        + abs(float(arrivals.min()))
        + float(np.abs(bursts).sum(dtype=np.float64))
        + abs(float(context_switch)) * len(arrivals)
    )
    return largest < 2.0**62


def _scatter(values: np.ndarray, jobs: np.ndarray) -> np.ndarray:
    """``values[i]`` belongs to job ``jobs[i]``: put them back in job order."""
    out = np.empty_like(values)
    out[jobs] = values
    return out


def _is_permutation(jobs: Any, n: int) -> bool:
    try:
        ids = np.asarray(jobs, dtype=np.int64)
        return bool(ids.min() >= 0 and np.bincount(ids, minlength=n).max() == 1) if n else True
    except (TypeError, ValueError, OverflowError):
        return False


def _check_slice_estimate(workload: Workload, policy: Policy, max_slices: int, cpus: int) -> None:
    """Refuse up front a run that must exceed the slice limit — a tiny quantum on long
    bursts, a tiny timer period — instead of discovering it minutes and gigabytes later.

    Lower bounds: every CPU burst takes at least one slice, and at least CPU / longest slice
    in all; the run lasts at least CPU / cpus, so a timer of period P fires at least that
    divided by P times."""
    if len(workload) == 0:
        return
    cpu = float(workload.cpu_total().sum())
    bursts = (len(workload.burst_values) + len(workload)) // 2
    slices = max(cpu / policy.longest_slice(), bursts)
    if slices > max_slices:
        raise LimitError(
            f"policy {policy.describe()} needs at least {slices:.3g} slices for this "
            f"workload's {cpu:.6g} units of CPU in {bursts:,} bursts, above the limit of "
            f"{max_slices:,}; use a larger quantum, or --max-slices N to allow more"
        )
    period = policy.timer_period()
    if period < INF and slices + cpu / cpus / period > max_slices:
        raise LimitError(
            f"policy {policy.describe()} sets a timer every {period:g} time units: at least "
            f"{cpu / cpus / period:.3g} timer events over this workload, above the limit of "
            f"{max_slices:,} slices and timer events; use a longer period, or --max-slices N"
        )
