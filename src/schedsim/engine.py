"""The discrete-event engine: runs any :class:`~schedsim.policies.base.Policy` over a workload.

Events and their order
======================

Time jumps from one event to the next; nothing happens between events.  There are four kinds
of event: a CPU's slice ends, a process arrives, a process's I/O completes, a policy timer
fires.  All events at the same time ``t`` are handled as one instant, always in this order:

1. **CPUs release** (in CPU-number order): each running job whose burst or slice ends at
   ``t`` leaves its CPU — it finishes, blocks for I/O, or its slice expired.
2. **Jobs become ready**: arrivals at ``t`` in file order, then I/O completions at ``t`` in
   the order their I/O began (file order on ties).  With ``ties="arrivals-first"`` (the
   default) jobs whose slice expired in step 1 are handed back to the policy *after* these;
   with ``ties="requeue-first"`` (what OSTEP's simulators do) *before* them.  Then policy
   timers due at ``t`` fire (MLFQ boost, aging).
3. **Preemption**: a preemptive policy is asked, while more jobs are ready than CPUs are
   free, which running job (if any) must give way; the freed CPU goes at once to the job
   the policy picks next.
4. **Dispatch**: while jobs are ready and CPUs free, the policy picks a job; it goes to the
   CPU it last ran on if that CPU is free, else to the lowest-numbered free CPU.  (So a job
   whose slice expires with nobody else waiting simply continues, with no context switch.)

Dispatching a job to a CPU whose previous job was a different one (or that has run nothing
yet) is a context switch: the CPU spends ``context_switch`` time units before the job runs.

Integer workloads run on Python integers, so their results are exact.

Cost
====

Per-job state lives in flat lists indexed by the job id; arrivals are pre-sorted and consumed
by a cursor; I/O completions sit in a heap; hooks a policy does not override are never
called; the cyclic garbage collector is paused during the run.  The single-CPU case uses a
specialised loop (:func:`_run_single`) whose results are identical to the general loop's
(a property test checks this on random workloads).  Where the optional C extension
``schedsim._cengine`` was built, a float workload runs the same loop compiled — the one-CPU
loop, or the general loop on several CPUs (identical results; round robin, whose hooks are
deque methods, runs about 7 to 13 times faster, policies with Python hooks 1.5 to 5 times, as
their hooks then dominate); integer workloads, and any run with ``SCHEDSIM_PURE_PYTHON=1``
in the environment, keep the Python loops.
"""

from __future__ import annotations

import gc
import heapq
import math
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from schedsim.clock import SimulatedClock
from schedsim.errors import LimitError, OptionError, PolicyError, SchedsimError
from schedsim.options import MAX_CPUS
from schedsim.policies.base import JobsView, Policy, overrides, slice_source
from schedsim.schema import MAX_TIME
from schedsim.trace import BLOCKED, EXPIRED, FINISHED, PREEMPTED, RESLICED, Timeline, Trace
from schedsim.workload import Workload

try:
    from schedsim import _cengine  # type: ignore[attr-defined,unused-ignore]
except ImportError:  # built only where a C compiler was available at install time
    _cengine = None

Time = int | float
INF = math.inf

TIES = ("arrivals-first", "requeue-first")
ENGINES = ("auto", "single", "c", "general")

# Job states.
NEW, READY, RUNNING, BLOCKED_IO, DONE = 0, 1, 2, 3, 4

# Default limits on slices (dispatches) per run: a timeline costs about 31 bytes a slice,
# so 20 million is about 620 MB; without one only time is at stake (about a minute and a
# half at 2 million slices a second).  Overridden by ``max_slices`` / ``--max-slices``.
DEFAULT_MAX_SLICES_TIMELINE = 20_000_000
DEFAULT_MAX_SLICES = 200_000_000

# A float burst whose remainder after a slice would be below this fraction of itself is
# finished by that slice (its end is still start + the exact remainder, so no CPU time is
# lost).  Without it, 0.4 - 0.1 - 0.1 - 0.1 = 0.10000000000000003 would leave a 3e-17 sliver
# for a fifth, spurious dispatch.  Integer times are exact and never take this path.
SLIVER = 1e-9

# Set to 1 to run the Python loop where the compiled one would apply (engine "auto").
PURE_PYTHON = "SCHEDSIM_PURE_PYTHON"


def check_run_options(cpus: int, context_switch: Time, ties: str, seed: int = 0) -> None:
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
) -> Trace:
    """Simulate ``workload`` under ``policy`` and return the raw :class:`Trace`.

    ``engine`` selects the loop: ``"auto"`` (the fastest that applies), ``"single"`` (the
    one-CPU event loop in Python, never the policy's fixed-order shortcut), ``"c"`` (the
    compiled one-CPU loop, or the compiled multi-CPU loop for ``cpus > 1``, for float
    workloads, even with ``SCHEDSIM_PURE_PYTHON=1``) or ``"general"`` (the multi-CPU loop in
    Python, even for one CPU).  Tests use the last three to check that the specialised paths
    give identical results.
    """
    check_run_options(cpus, context_switch, ties, seed)
    if context_switch == 0:
        context_switch = 0  # a float 0.0 charges nothing either: integer times stay exact
    if engine not in ENGINES:
        raise OptionError(f"engine: must be one of {', '.join(ENGINES)}, got {engine!r}")
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
    limit = max_slices
    was_enabled = gc.isenabled()
    gc.disable()
    clock = SimulatedClock(0)
    try:
        if (
            cpus == 1
            and engine == "auto"
            and not workload.has_io
            and overrides(policy, "fixed_order")
        ):
            trace = _run_fixed_order(workload, policy, seed, context_switch, record_timeline, limit)
            if trace is not None:
                return trace
        state = _State(workload, policy, seed)
        clock = state.clock
        arrivals_first = ties == "arrivals-first"
        compiled = (
            _cengine
            if not workload.is_integer
            and (engine == "c" or (engine == "auto" and os.environ.get(PURE_PYTHON) != "1"))
            else None
        )
        if cpus == 1 and engine != "general":
            if compiled is not None:
                return compiled.run_single(
                    state, context_switch, arrivals_first, record_timeline, limit
                )
            return _run_single(state, context_switch, arrivals_first, record_timeline, limit)
        if compiled is not None:
            return compiled.run_general(
                state, cpus, context_switch, arrivals_first, record_timeline, limit
            )
        return _run_general(state, cpus, context_switch, arrivals_first, record_timeline, limit)
    except SchedsimError:
        raise
    except Exception as error:  # a policy hook raised: say which policy and when
        raise PolicyError(
            f"policy {policy.name!r} failed at time {clock.now}: {type(error).__name__}: {error}"
        ) from error
    finally:
        if was_enabled:
            gc.enable()


class _State:
    """Per-run job state: the workload's arrays, which only the engine reads, and the flat
    lists shared with the policy through a JobsView.

    The workload stays in numpy arrays (the compiled loop reads them in place, so a run
    creates no Python object per job up front); the Python loops take lists of them with
    :meth:`workload_lists`."""

    def __init__(self, workload: Workload, policy: Policy, seed: int) -> None:
        n = len(workload)
        self.n = n
        self.policy = policy
        self.burst_values: np.ndarray = workload.burst_values
        self.burst_offsets: np.ndarray = workload.burst_offsets
        self.remaining: list[Time] = [0] * n
        self.running_since: list[Time | None] = [None] * n
        self.burst_number: list[int] = [0] * n
        self.arrival_order: np.ndarray = np.argsort(workload.arrival, kind="stable")
        self.arrival_times: np.ndarray = workload.arrival[self.arrival_order]
        self.clock = SimulatedClock(0)
        self.view = JobsView.of_workload(
            workload,
            remaining=self.remaining,
            running_since=self.running_since,
            burst_number=self.burst_number,
            clock=self.clock,
            integer_times=workload.is_integer,
        )
        policy.reset(self.view, self.clock, np.random.default_rng(seed))

    def slice_hook(self) -> tuple[Callable[[int], Time] | None, Time]:
        return slice_source(self.policy)

    def workload_lists(
        self,
    ) -> tuple[list[Time], list[int], list[int], list[int], list[Time]]:
        """Burst values, each job's first and past-the-last burst position, the arrival
        order and the arrival times, as lists (Python ints stay exact)."""
        offsets: list[int] = self.burst_offsets.tolist()
        return (
            self.burst_values.tolist(),
            offsets[:-1],
            offsets[1:],
            self.arrival_order.tolist(),
            self.arrival_times.tolist(),
        )

    def hook(self, name: str) -> Callable[..., Any] | None:
        policy = self.policy
        return getattr(policy, name) if overrides(policy, name) else None


def _bad_pick(policy: Policy, job: Any, now: Time, status: int) -> PolicyError:
    what = {
        NEW: "has not arrived",
        RUNNING: "is already running",
        BLOCKED_IO: "is in I/O",
        DONE: "has finished",
    }.get(status, "is not ready")
    return PolicyError(f"policy {policy.name!r} picked job {job!r} at time {now}, but it {what}")


def _bad_slice(policy: Policy, job: int, now: Time, value: Any) -> PolicyError:
    return PolicyError(
        f"policy {policy.name!r} gave job {job} a time slice of {value!r} at time {now}; "
        "a slice must be > 0"
    )


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
    arrival_order = np.argsort(workload.arrival, kind="stable")
    view = JobsView.of_workload(
        workload,
        remaining=[0] * n,
        running_since=[None] * n,
        burst_number=[0] * n,
        clock=SimulatedClock(0),
    )
    policy.reset(view, view.clock, np.random.default_rng(seed))
    order = policy.fixed_order(arrival_order)
    if order is None:
        return None
    jobs = np.asarray(order)
    if jobs.shape != (n,) or not _is_permutation(jobs, n):
        raise PolicyError(
            f"policy {policy.name!r} gave a fixed order that is not a permutation of the {n} jobs"
        )
    if 0 < max_slices < n:
        raise _too_many_slices(max_slices, 0)
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


def _too_many_slices(max_slices: int, now: Time) -> LimitError:
    return LimitError(
        f"the run exceeded {max_slices:,} slices and timer events at time {now}; raise "
        "--max-slices or use a larger quantum or timer period"
    )


def _bad_timer(policy: Policy, upcoming: Time | None, now: Time) -> PolicyError:
    return PolicyError(
        f"policy {policy.name!r} asked for a timer at {upcoming}, not after now ({now})"
    )


def _stuck(policy: Policy, ready: int, unfinished: int) -> PolicyError:
    return PolicyError(
        f"policy {policy.name!r} holds {ready} ready job(s) it never picks "
        f"({unfinished} job(s) unfinished)"
    )


def _run_general(
    state: _State,
    cpus: int,
    context_switch: Time,
    arrivals_first: bool,
    record: bool,
    max_slices: int,
) -> Trace:
    policy = state.policy
    n = state.n
    clock = state.clock
    values, burst_pos, burst_end, arrival_order, arrival_times = state.workload_lists()
    remaining = state.remaining
    running_since = state.running_since
    burst_number = state.burst_number

    status = [NEW] * n
    first_run: list[Time | None] = [None] * n
    finish: list[Time | None] = [None] * n
    switch_time: list[Time] = [0] * n
    slices = [0] * n
    last_cpu = [-1] * n

    cpu_job = [-1] * cpus
    cpu_end: list[Time] = [INF] * cpus
    cpu_start: list[Time] = [0] * cpus
    cpu_dispatched: list[Time] = [0] * cpus
    cpu_slice: list[Time] = [0] * cpus
    cpu_completes = [False] * cpus
    cpu_last = [-1] * cpus
    cpu_level = [-1] * cpus

    on_ready = policy.on_ready
    pick_next = policy.pick_next
    time_slice, fixed_slice = state.slice_hook()
    on_expired = policy.on_expired
    on_preempted = policy.on_preempted
    on_burst_end = state.hook("on_burst_end")
    preempt = policy.preempt if policy.preemptive else None
    next_timer = state.hook("next_timer")
    on_timer = policy.on_timer
    slice_level = state.hook("slice_level")

    timeline = Timeline() if record else None
    io_periods: list[tuple[int, Time, Time]] | None = [] if record else None
    io_heap: list[tuple[Time, Time, int]] = []
    heappush = heapq.heappush
    heappop = heapq.heappop

    ready = 0
    done = 0
    cursor = 0
    switches = 0
    dispatches = 0
    timer_at = next_timer() if next_timer is not None else None
    if timer_at is None:
        timer_at = INF

    def dispatch(cpu: int, job: int, now: Time) -> None:
        nonlocal switches, dispatches
        status[job] = RUNNING
        granted = time_slice(job) if time_slice is not None else fixed_slice
        if not granted > 0:
            raise _bad_slice(policy, job, now, granted)
        if cpu_last[cpu] != job:
            switches += 1
            start = now + context_switch
            switch_time[job] += context_switch
        else:
            start = now
        if first_run[job] is None:
            first_run[job] = start
        left = remaining[job]
        if granted >= left or (left.__class__ is float and left - granted <= SLIVER * left):
            cpu_end[cpu] = start + left
            cpu_completes[cpu] = True
        else:
            cpu_end[cpu] = start + granted
            cpu_completes[cpu] = False
        cpu_job[cpu] = job
        cpu_start[cpu] = start
        cpu_dispatched[cpu] = now
        cpu_slice[cpu] = granted
        cpu_last[cpu] = job
        last_cpu[job] = cpu
        running_since[job] = start
        if slice_level is not None:
            cpu_level[cpu] = slice_level(job)
        slices[job] += 1
        dispatches += 1
        if dispatches == max_slices:
            raise _too_many_slices(max_slices, now)

    def reslice(now: Time) -> None:
        """Restart the slice of every running job at ``now`` (the policy asked for it)."""
        for cpu in range(cpus):
            job = cpu_job[cpu]
            if job < 0:
                continue
            ran = now - cpu_start[cpu]
            if ran > 0:
                remaining[job] -= ran
                if timeline is not None:
                    timeline.append(
                        cpu, job, cpu_dispatched[cpu], cpu_start[cpu], now, cpu_level[cpu], RESLICED
                    )
                cpu_dispatched[cpu] = now
                cpu_start[cpu] = now
            granted = time_slice(job) if time_slice is not None else fixed_slice
            if not granted > 0:
                raise _bad_slice(policy, job, now, granted)
            left = remaining[job]
            start = cpu_start[cpu]
            completes = granted >= left or (
                left.__class__ is float and left - granted <= SLIVER * left
            )
            cpu_completes[cpu] = completes
            cpu_end[cpu] = start + (left if completes else granted)
            cpu_slice[cpu] = granted
            running_since[job] = start
            if slice_level is not None:
                cpu_level[cpu] = slice_level(job)

    while done < n:
        # -- the next instant ---------------------------------------------------------------
        t = arrival_times[cursor] if cursor < n else INF
        for cpu in range(cpus):
            if cpu_end[cpu] < t:
                t = cpu_end[cpu]
        if io_heap and io_heap[0][0] < t:
            t = io_heap[0][0]
        if timer_at < t:
            t = timer_at
        if t == INF:
            raise _stuck(policy, ready, n - done)
        clock.now = t

        # -- 1. CPUs release ------------------------------------------------------------------
        expired: list[int] = []
        for cpu in range(cpus):
            if cpu_end[cpu] != t:
                continue
            job = cpu_job[cpu]
            running_since[job] = None
            cpu_job[cpu] = -1
            cpu_end[cpu] = INF
            if cpu_completes[cpu]:
                ran = remaining[job]
                remaining[job] = 0
                position = burst_pos[job] + 1
                if position < burst_end[job]:
                    status[job] = BLOCKED_IO
                    burst_pos[job] = position + 1
                    io_done = t + values[position]
                    heappush(io_heap, (io_done, t, job))
                    if io_periods is not None:
                        io_periods.append((job, t, io_done))
                    reason = BLOCKED
                else:
                    status[job] = DONE
                    finish[job] = t
                    done += 1
                    reason = FINISHED
                if on_burst_end is not None:
                    on_burst_end(job, ran)
            else:
                remaining[job] -= cpu_slice[cpu]
                status[job] = READY
                expired.append(job)
                reason = EXPIRED
            if timeline is not None:
                timeline.append(
                    cpu, job, cpu_dispatched[cpu], cpu_start[cpu], t, cpu_level[cpu], reason
                )

        # -- 2. jobs become ready -------------------------------------------------------------
        became_ready = False
        if expired and not arrivals_first:
            for job in expired:
                on_expired(job)
            ready += len(expired)
            became_ready = True
        while cursor < n and arrival_times[cursor] == t:
            job = arrival_order[cursor]
            cursor += 1
            remaining[job] = values[burst_pos[job]]
            status[job] = READY
            on_ready(job)
            ready += 1
            became_ready = True
        while io_heap and io_heap[0][0] == t:
            job = heappop(io_heap)[2]
            remaining[job] = values[burst_pos[job]]
            burst_number[job] += 1
            status[job] = READY
            on_ready(job)
            ready += 1
            became_ready = True
        if expired and arrivals_first:
            for job in expired:
                on_expired(job)
            ready += len(expired)
            became_ready = True
        if timer_at == t:
            dispatches += 1  # timer events count against the limit like slices
            if dispatches == max_slices:
                raise _too_many_slices(max_slices, t)
            if on_timer():
                reslice(t)
            became_ready = True

        # -- 3. preemption --------------------------------------------------------------------
        if preempt is not None and became_ready and ready:
            free = cpu_job.count(-1)
            placed: set[int] = set()
            while ready > free:
                running = [job for job in cpu_job if job >= 0]
                if not running:
                    break
                victim = preempt(running)
                if victim is None:
                    break
                if victim not in running or victim in placed:
                    raise PolicyError(
                        f"policy {policy.name!r} asked to preempt job {victim!r} at time {t}, "
                        + (
                            "which it placed on a CPU at this same instant"
                            if victim in placed
                            else "which is not running"
                        )
                    )
                cpu = last_cpu[victim]
                ran = t - cpu_start[cpu]
                if ran < 0:  # preempted while the context switch was still in progress
                    ran = 0
                left = remaining[victim] - ran
                remaining[victim] = left if left > 0 else remaining[victim]
                if timeline is not None:
                    timeline.append(
                        cpu,
                        victim,
                        cpu_dispatched[cpu],
                        min(cpu_start[cpu], t),
                        t,
                        cpu_level[cpu],
                        PREEMPTED,
                    )
                running_since[victim] = None
                status[victim] = READY
                cpu_job[cpu] = -1
                cpu_end[cpu] = INF
                on_preempted(victim, ran)
                job = pick_next()
                # (ready count unchanged: the victim became ready, the picked job left)
                if job == victim:
                    raise PolicyError(
                        f"policy {policy.name!r} preempted job {victim} at time {t} and then "
                        "picked it again"
                    )
                if status[job] != READY or job < 0:  # a negative id would index from the end
                    raise _bad_pick(policy, job, t, status[job] if job >= 0 else -1)
                dispatch(cpu, job, t)
                placed.add(job)

        # -- 4. dispatch ----------------------------------------------------------------------
        while ready:
            if -1 not in cpu_job:
                break
            job = pick_next()
            if status[job] != READY or job < 0:  # a negative id would index from the end
                raise _bad_pick(policy, job, t, status[job] if job >= 0 else -1)
            ready -= 1
            cpu = last_cpu[job]
            if cpu < 0 or cpu_job[cpu] != -1:
                cpu = cpu_job.index(-1)
            dispatch(cpu, job, t)

        if next_timer is not None:
            upcoming = next_timer()
            timer_at = INF if upcoming is None else upcoming
            if timer_at <= t:
                raise _bad_timer(policy, upcoming, t)

    return Trace(
        first_run=first_run,
        finish=finish,
        switch_time=switch_time,
        slices=slices,
        context_switches=switches,
        timeline=timeline,
        extra={"io_periods": io_periods} if io_periods else {},
    )


def _run_single(
    state: _State,
    context_switch: Time,
    arrivals_first: bool,
    record: bool,
    max_slices: int,
) -> Trace:
    """One CPU: the same rules as :func:`_run_general`, arranged for speed.

    Between two outside events (arrivals, I/O completions, timers) only the CPU acts: slices
    end and jobs are dispatched.  That stretch runs in a tight inner loop.  A single arrival
    with nothing else at its time takes a short path; any other instant (ties, I/O
    completions, timers) takes the full, general path.  Results are identical to the general
    loop's, hook call for hook call (a property test checks it).
    """
    policy = state.policy
    n = state.n
    clock = state.clock
    values, burst_pos, burst_end, arrival_order, arrival_times = state.workload_lists()
    arrival_times += [INF, INF]  # sentinels spare bounds checks
    remaining = state.remaining
    running_since = state.running_since
    burst_number = state.burst_number

    status = [NEW] * n
    first_run: list[Time | None] = [None] * n
    finish: list[Time | None] = [None] * n
    switch_time: list[Time] = [0] * n
    slices = [0] * n

    on_ready = policy.on_ready
    pick_next = policy.pick_next
    time_slice, fixed_slice = state.slice_hook()
    on_expired = policy.on_expired
    on_preempted = policy.on_preempted
    on_burst_end = state.hook("on_burst_end")
    preempt = policy.preempt if policy.preemptive else None
    next_timer = state.hook("next_timer")
    on_timer = policy.on_timer
    slice_level = state.hook("slice_level") if record else None

    timeline = Timeline() if record else None
    append_slice = timeline.append if timeline is not None else None
    io_periods: list[tuple[int, Time, Time]] | None = [] if record else None
    io_heap: list[tuple[Time, Time, int]] = []
    heappush = heapq.heappush
    heappop = heapq.heappop
    charging = context_switch != 0

    ready = done = cursor = switches = 0
    budget = max_slices if max_slices > 0 else -1
    # The CPU: running job (-1 idle), its slice, and the job it ran last.
    cur = -1
    cur_end: Time = INF
    cur_start: Time = 0
    cur_dispatched: Time = 0
    granted: Time = 0
    completes = False
    last = -1
    level = -1
    running = [-1]  # what preempt() sees
    t: Time = 0
    timer_at = next_timer() if next_timer is not None else None
    if timer_at is None:
        timer_at = INF

    while done < n:
        t_arrival = arrival_times[cursor]
        t_other = io_heap[0][0] if io_heap else INF
        if timer_at < t_other:
            t_other = timer_at
        t_next = t_arrival if t_arrival < t_other else t_other

        # -- until the next outside event, only the CPU acts --------------------------------
        while cur_end < t_next:
            t = cur_end
            clock.now = t
            job = cur
            running_since[job] = None
            if completes:
                ran = remaining[job]
                remaining[job] = 0
                position = burst_pos[job] + 1
                if position < burst_end[job]:
                    status[job] = BLOCKED_IO
                    burst_pos[job] = position + 1
                    io_done = t + values[position]
                    heappush(io_heap, (io_done, t, job))
                    if io_done < t_next:
                        t_next = io_done
                    if io_periods is not None:
                        io_periods.append((job, t, io_done))
                    if append_slice is not None:
                        append_slice(0, job, cur_dispatched, cur_start, t, level, BLOCKED)
                else:
                    status[job] = DONE
                    finish[job] = t
                    done += 1
                    if append_slice is not None:
                        append_slice(0, job, cur_dispatched, cur_start, t, level, FINISHED)
                if on_burst_end is not None:
                    on_burst_end(job, ran)
            else:
                remaining[job] -= granted
                status[job] = READY
                if append_slice is not None:
                    append_slice(0, job, cur_dispatched, cur_start, t, level, EXPIRED)
                on_expired(job)
                ready += 1
            if ready:
                job = pick_next()
                if status[job] != READY or job < 0:  # a negative id would index from the end
                    raise _bad_pick(policy, job, t, status[job] if job >= 0 else -1)
                ready -= 1
                status[job] = RUNNING
                granted = time_slice(job) if time_slice is not None else fixed_slice
                if not granted > 0:
                    raise _bad_slice(policy, job, t, granted)
                if job != last:
                    switches += 1
                    last = job
                    if charging:
                        cur_start = t + context_switch
                        switch_time[job] += context_switch
                    else:
                        cur_start = t
                else:
                    cur_start = t
                if first_run[job] is None:
                    first_run[job] = cur_start
                left = remaining[job]
                if granted >= left or (left.__class__ is float and left - granted <= SLIVER * left):
                    cur_end = cur_start + left
                    completes = True
                else:
                    cur_end = cur_start + granted
                    completes = False
                cur = job
                cur_dispatched = t
                running_since[job] = cur_start
                if slice_level is not None:
                    level = slice_level(job)
                slices[job] += 1
                budget -= 1
                if budget == 0:
                    raise _too_many_slices(max_slices, t)
            else:
                cur = -1
                cur_end = INF
            if next_timer is not None:
                upcoming = next_timer()
                timer_at = INF if upcoming is None else upcoming
                if timer_at <= t:
                    raise _bad_timer(policy, upcoming, t)
                if timer_at < t_next:
                    t_next = timer_at
        if done == n:
            break

        # -- the next instant involves an outside event -------------------------------------
        t_arrival = arrival_times[cursor]
        t_other = io_heap[0][0] if io_heap else INF
        if timer_at < t_other:
            t_other = timer_at
        if t_arrival < cur_end and t_arrival < t_other and arrival_times[cursor + 1] != t_arrival:
            # One process arrives, and nothing else happens at this time.
            t = t_arrival
            clock.now = t
            job = arrival_order[cursor]
            cursor += 1
            remaining[job] = values[burst_pos[job]]
            status[job] = READY
            on_ready(job)
            ready += 1
        else:
            # The general instant: several events at t, I/O completions, timers.
            t = cur_end
            if t_arrival < t:
                t = t_arrival
            if t_other < t:
                t = t_other
            if t == INF:
                raise _stuck(policy, ready, n - done)
            clock.now = t
            expired = -1
            if cur_end == t:  # 1. the CPU releases
                job = cur
                running_since[job] = None
                cur = -1
                cur_end = INF
                if completes:
                    ran = remaining[job]
                    remaining[job] = 0
                    position = burst_pos[job] + 1
                    if position < burst_end[job]:
                        status[job] = BLOCKED_IO
                        burst_pos[job] = position + 1
                        io_done = t + values[position]
                        heappush(io_heap, (io_done, t, job))
                        if io_periods is not None:
                            io_periods.append((job, t, io_done))
                        reason = BLOCKED
                    else:
                        status[job] = DONE
                        finish[job] = t
                        done += 1
                        reason = FINISHED
                    if on_burst_end is not None:
                        on_burst_end(job, ran)
                else:
                    remaining[job] -= granted
                    status[job] = READY
                    expired = job
                    reason = EXPIRED
                if append_slice is not None:
                    append_slice(0, job, cur_dispatched, cur_start, t, level, reason)
            # 2. jobs become ready
            if expired >= 0 and not arrivals_first:
                on_expired(expired)
                ready += 1
            while arrival_times[cursor] == t:
                job = arrival_order[cursor]
                cursor += 1
                remaining[job] = values[burst_pos[job]]
                status[job] = READY
                on_ready(job)
                ready += 1
            while io_heap and io_heap[0][0] == t:
                job = heappop(io_heap)[2]
                remaining[job] = values[burst_pos[job]]
                burst_number[job] += 1
                status[job] = READY
                on_ready(job)
                ready += 1
            if expired >= 0 and arrivals_first:
                on_expired(expired)
                ready += 1
            if timer_at == t:  # timer events count against the limit like slices
                budget -= 1
                if budget == 0:
                    raise _too_many_slices(max_slices, t)
            if timer_at == t and on_timer() and cur >= 0:  # restart the running slice now
                ran = t - cur_start
                if ran > 0:
                    remaining[cur] -= ran
                    if append_slice is not None:
                        append_slice(0, cur, cur_dispatched, cur_start, t, level, RESLICED)
                    cur_dispatched = t
                    cur_start = t
                granted = time_slice(cur) if time_slice is not None else fixed_slice
                if not granted > 0:
                    raise _bad_slice(policy, cur, t, granted)
                left = remaining[cur]
                completes = granted >= left or (
                    left.__class__ is float and left - granted <= SLIVER * left
                )
                cur_end = cur_start + (left if completes else granted)
                running_since[cur] = cur_start
                if slice_level is not None:
                    level = slice_level(cur)

        # -- 3. preemption (something became ready at t) ------------------------------------
        victim_now = -1
        if preempt is not None and cur >= 0 and ready:
            running[0] = cur
            victim = preempt(running)
            if victim is not None:
                if victim != cur:
                    raise PolicyError(
                        f"policy {policy.name!r} asked to preempt job {victim!r} at time {t}, "
                        "which is not running"
                    )
                ran = t - cur_start
                if ran < 0:  # preempted while the context switch was still in progress
                    ran = 0
                left = remaining[cur] - ran
                if left > 0:
                    remaining[cur] = left
                if append_slice is not None:
                    append_slice(0, cur, cur_dispatched, min(cur_start, t), t, level, PREEMPTED)
                running_since[cur] = None
                status[cur] = READY
                victim_now = cur
                cur = -1
                cur_end = INF
                on_preempted(victim_now, ran)
                ready += 1

        # -- 4. dispatch --------------------------------------------------------------------
        if cur < 0 and ready:
            job = pick_next()
            if status[job] != READY or job < 0:  # a negative id would index from the end
                raise _bad_pick(policy, job, t, status[job] if job >= 0 else -1)
            if job == victim_now:
                raise PolicyError(
                    f"policy {policy.name!r} preempted job {job} at time {t} and then "
                    "picked it again"
                )
            ready -= 1
            status[job] = RUNNING
            granted = time_slice(job) if time_slice is not None else fixed_slice
            if not granted > 0:
                raise _bad_slice(policy, job, t, granted)
            if job != last:
                switches += 1
                last = job
                cur_start = t + context_switch
                switch_time[job] += context_switch
            else:
                cur_start = t
            if first_run[job] is None:
                first_run[job] = cur_start
            left = remaining[job]
            completes = granted >= left or (
                left.__class__ is float and left - granted <= SLIVER * left
            )
            cur_end = cur_start + (left if completes else granted)
            cur = job
            cur_dispatched = t
            running_since[job] = cur_start
            if slice_level is not None:
                level = slice_level(job)
            slices[job] += 1
            budget -= 1
            if budget == 0:
                raise _too_many_slices(max_slices, t)
            if victim_now >= 0:  # the policy may not preempt the job it just placed
                running[0] = job
                if preempt(running) is not None:  # type: ignore[misc]
                    raise PolicyError(
                        f"policy {policy.name!r} asked to preempt job {job} at time {t}, "
                        "which it placed on a CPU at this same instant"
                    )

        if next_timer is not None:
            upcoming = next_timer()
            timer_at = INF if upcoming is None else upcoming
            if timer_at <= t:
                raise _bad_timer(policy, upcoming, t)

    return Trace(
        first_run=first_run,
        finish=finish,
        switch_time=switch_time,
        slices=slices,
        context_switches=switches,
        timeline=timeline,
        extra={"io_periods": io_periods} if io_periods else {},
    )
