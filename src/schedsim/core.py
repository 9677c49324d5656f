"""The rules of one scheduling instant, written once for every driver.

A :class:`Scheduler` applies what happens at an instant to a policy: jobs leaving CPUs, jobs
becoming ready, timers, preemption, dispatch.  It checks every answer the policy gives and
keeps the state a policy shares with its driver (``remaining``, ``running_since``,
``burst_number``, through a :class:`~schedsim.policies.base.JobsView`).  It does not know where
events come from: the simulator (:mod:`schedsim.engine`) feeds it events computed from the
workload, the real-process dispatcher (:mod:`schedsim.real.dispatcher`) events that really
happened.  Both therefore follow the same rules, raise the same errors and count the same
way; only their clocks differ.  The compiled loop (``schedsim._cengine``) translates the
simulator's loop together with these methods, line for line.

Events and their order
======================

Time jumps from one event to the next; nothing happens between events.  There are four kinds
of event: a CPU's slice ends, a process arrives, a process's I/O completes, a policy timer
fires.  All events at the same time ``t`` are handled as one instant, always in this order:

1. **CPUs release** (in CPU-number order): each running job whose burst or slice ends at
   ``t`` leaves its CPU — it finishes, blocks for I/O, or its slice expired.
   **Deadlines** (only in runs that act on a missed deadline, ``--on-miss abort-job`` or
   ``stop``): each job whose absolute deadline is ``t`` and that has not finished missed it
   — it is ended wherever it is (on a CPU, ready, waiting, in I/O), or the run stops at
   this instant.  A job that finishes at its deadline has met it.
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

Adding a kind of event means a method here (its rule, in its docstring), a line in the
simulator's loop that feeds it, and the same two in the compiled loop; the dispatcher feeds
it from the real world.  See ``docs/design.md``.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from schedsim.clock import Clock
from schedsim.errors import LimitError, PolicyError
from schedsim.policies.base import JobsView, Policy, overrides, slice_source
from schedsim.trace import (
    ABORTED,
    BLOCKED,
    EXPIRED,
    FINISHED,
    PREEMPTED,
    RESLICED,
    Timeline,
    Trace,
)
from schedsim.workload import Workload

Time = int | float
INF = math.inf

# Job states (the last two only for processes that synchronise: waiting for a resource, and
# a daemon ended when its parent finished).
NEW, READY, RUNNING, BLOCKED_IO, DONE, BLOCKED_SYNC, ENDED = 0, 1, 2, 3, 4, 5, 6

# A float burst whose remainder after a slice would be below this fraction of itself is
# finished by that slice (its end is still start + the exact remainder, so no CPU time is
# lost).  Without it, 0.4 - 0.1 - 0.1 - 0.1 = 0.10000000000000003 would leave a 3e-17 sliver
# for a fifth, spurious dispatch.  Integer times are exact and never take this path.
SLIVER = 1e-9

TIES = ("arrivals-first", "requeue-first")

SliceEnded = Callable[[int, int, Time, int], None]
IoCancelled = Callable[[int, Time], Time]


class PolicyRun:
    """A policy bound to a workload for one run: the view it reads, the lists it shares with
    the driver, the workload's arrays, and its hooks looked up once.

    Every driver builds one; the compiled loop reads its attributes directly, so it holds
    no Python object per job beyond the three shared lists."""

    def __init__(
        self,
        workload: Workload,
        policy: Policy,
        *,
        clock: Clock,
        seed: int = 0,
        integer_times: bool = False,
        native: bool = False,
        levels: bool = False,
    ) -> None:
        n = len(workload)
        self.n = n
        self.policy = policy
        self.clock = clock
        self.burst_values: np.ndarray = workload.burst_values
        self.burst_offsets: np.ndarray = workload.burst_offsets
        self.arrival_order: np.ndarray = np.argsort(workload.arrival, kind="stable")
        self.arrival_times: np.ndarray = workload.arrival[self.arrival_order]
        self.remaining: list[Time] = [0] * n
        self.running_since: list[Time | None] = [None] * n
        self.burst_number: list[int] = [0] * n
        self.view = JobsView.of_workload(
            workload,
            remaining=self.remaining,
            running_since=self.running_since,
            burst_number=self.burst_number,
            clock=clock,
            integer_times=integer_times,
            native=native,
        )
        policy.reset(self.view, clock, np.random.default_rng(seed))
        # Hooks a policy leaves at their defaults are never called.
        self.on_ready = policy.on_ready
        self.pick_next = policy.pick_next
        self.time_slice, self.fixed_slice = slice_source(policy)
        self.on_expired = policy.on_expired
        self.on_preempted = policy.on_preempted
        self.on_burst_end = self.hook("on_burst_end")
        self.preempt = policy.preempt if policy.preemptive else None
        self.next_timer = self.hook("next_timer")
        self.on_timer = policy.on_timer
        # Levels are only for charts: asked for only when slices are recorded.
        self.slice_level = self.hook("slice_level") if levels else None

    def hook(self, name: str) -> Callable[..., Any] | None:
        policy = self.policy
        return getattr(policy, name) if overrides(policy, name) else None


class Scheduler:
    """The rules of an instant applied to one run's jobs and CPUs (see the module docstring).

    A driver calls, for each instant at time ``t``: :meth:`release` (or :meth:`end_burst` /
    :meth:`expire`) for every CPU whose slice ends, :meth:`make_ready` with the arrivals and
    I/O completions, :meth:`fire_timer` when the policy's timer is due, then :meth:`decide`,
    and finally :meth:`next_timer`.  Between instants it reads ``cpu_end`` (when each CPU's
    slice ends, in the schedule's time) to find the next one.

    Three optional callbacks let a driver act on the world: ``slice_ended(cpu, job, t,
    reason)`` when a slice ends (record it), ``take_off(cpu, job)`` before a preemption (stop
    the job; False if it turned out to have finished its burst, which the driver then
    reports through :meth:`end_burst`), and ``dispatched(cpu, job)`` after a dispatch.
    A driver that feeds :meth:`pass_deadlines` also sets ``io_cancelled(job, t)``: a job in
    I/O was ended at ``t``, so its I/O will not complete (return the I/O time it did).
    """

    __slots__ = (
        "aborted",
        "arrivals_first",
        "burst_end",
        "burst_number",
        "burst_pos",
        "clock",
        "context_switch",
        "cpu_completes",
        "cpu_dispatched",
        "cpu_end",
        "cpu_job",
        "cpu_last",
        "cpu_level",
        "cpu_slice",
        "cpu_start",
        "cpus",
        "dispatched",
        "done",
        "events",
        "expired",
        "finish",
        "first_run",
        "fixed_slice",
        "io_cancelled",
        "last_cpu",
        "max_slices",
        "n",
        "observer",
        "on_burst_end",
        "on_expired",
        "on_preempted",
        "on_ready",
        "on_timer",
        "pick_next",
        "policy",
        "preempt",
        "preemption_due",
        "ready",
        "remaining",
        "run",
        "running_since",
        "slice_ended",
        "slice_level",
        "slices",
        "status",
        "stopped_at",
        "switch_time",
        "switches",
        "take_off",
        "time_slice",
        "values",
        "work_cut",
    )

    def __init__(
        self,
        run: PolicyRun,
        *,
        cpus: int = 1,
        context_switch: Time = 0,
        ties: str = "arrivals-first",
        max_slices: int = 0,
    ) -> None:
        n = run.n
        self.run = run
        self.policy = run.policy
        self.clock = run.clock
        self.n = n
        self.cpus = cpus
        self.context_switch = context_switch
        self.arrivals_first = ties == "arrivals-first"
        self.max_slices = max_slices  # slices and timer events allowed; 0 for no limit

        self.remaining = run.remaining
        self.running_since = run.running_since
        self.burst_number = run.burst_number
        self.values: list[Time] = run.burst_values.tolist()
        offsets: list[int] = run.burst_offsets.tolist()
        self.burst_pos = offsets[:-1]  # each job's current burst: an index into values
        self.burst_end = offsets[1:]

        self.status = [NEW] * n
        self.first_run: list[Time | None] = [None] * n
        self.finish: list[Time | None] = [None] * n
        self.switch_time: list[Time] = [0] * n
        self.slices = [0] * n
        self.last_cpu = [-1] * n

        self.cpu_job = [-1] * cpus  # -1: idle
        self.cpu_end: list[Time] = [INF] * cpus  # when its slice ends
        self.cpu_start: list[Time] = [0] * cpus  # when the job began executing (after a switch)
        self.cpu_dispatched: list[Time] = [0] * cpus  # when the job was dispatched
        self.cpu_slice: list[Time] = [0] * cpus  # the slice granted
        self.cpu_completes = [False] * cpus  # the slice runs to the end of the burst
        self.cpu_last = [-1] * cpus  # the job it ran last
        self.cpu_level = [-1] * cpus  # slice_level() of its slice, for charts

        self.ready = 0  # jobs the policy holds
        self.done = 0
        self.switches = 0
        self.events = 0  # slices and timer events, counted against max_slices
        self.expired: list[int] = []  # jobs whose slice expired at this instant
        self.preemption_due = False  # something at this instant may change who should run

        self.slice_ended: SliceEnded | None = None
        self.take_off: Callable[[int, int], bool] | None = None
        self.dispatched: Callable[[int, int], None] | None = None
        self.io_cancelled: IoCancelled | None = None
        self.aborted: list[int] = []  # jobs ended at their deadline, in order
        self.stopped_at: Time | None = None  # the run stopped at a missed deadline
        self.work_cut: dict[int, tuple[Time, Time]] = {}  # CPU and I/O of jobs cut short
        # Told of every event as it happens (schedsim.explain); None in an ordinary run.
        self.observer: Any = None

        # The policy's hooks, copied here: each is read at least once a slice.
        self.on_ready = run.on_ready
        self.pick_next = run.pick_next
        self.time_slice = run.time_slice
        self.fixed_slice = run.fixed_slice
        self.on_expired = run.on_expired
        self.on_preempted = run.on_preempted
        self.on_burst_end = run.on_burst_end
        self.preempt = run.preempt
        self.on_timer = run.on_timer
        self.slice_level = run.slice_level

    # -- 1. CPUs release ---------------------------------------------------------------------------
    def release(self, cpu: int, t: Time) -> Time | None:
        """``cpu``'s slice ends at ``t``: the job finishes its burst, or its slice expired.
        Returns the length of the I/O the job now starts (None if it did not start one)."""
        if self.cpu_completes[cpu]:
            return self.end_burst(cpu, t)
        self.expire(cpu, t)
        return None

    def end_burst(self, cpu: int, t: Time) -> Time | None:
        """The job on ``cpu`` ended its CPU burst at ``t``: it blocks for the I/O burst that
        follows (whose length is returned: the driver schedules its completion) or, after its
        last burst, finishes (None)."""
        job = self.cpu_job[cpu]
        self.running_since[job] = None
        self.cpu_job[cpu] = -1
        self.cpu_end[cpu] = INF
        ran = self.remaining[job]
        self.remaining[job] = 0
        position = self.burst_pos[job] + 1
        io: Time | None
        if position < self.burst_end[job]:
            self.status[job] = BLOCKED_IO
            self.burst_pos[job] = position + 1
            io = self.values[position]
            reason = BLOCKED
        else:
            self.status[job] = DONE
            self.finish[job] = t
            self.done += 1
            io = None
            reason = FINISHED
        if self.on_burst_end is not None:
            self.on_burst_end(job, ran)
        if self.slice_ended is not None:
            self.slice_ended(cpu, job, t, reason)
        if self.observer is not None:
            self.observer.burst_ended(cpu, job, t, io)
        return io

    def expire(self, cpu: int, t: Time) -> None:
        """The job on ``cpu`` used its whole slice and still has work: it is ready again, and
        goes back to the policy in step 2 (see :meth:`make_ready`)."""
        job = self.cpu_job[cpu]
        self.running_since[job] = None
        self.cpu_job[cpu] = -1
        self.cpu_end[cpu] = INF
        self.remaining[job] -= self.cpu_slice[cpu]
        self.status[job] = READY
        self.expired.append(job)
        if self.slice_ended is not None:
            self.slice_ended(cpu, job, t, EXPIRED)
        if self.observer is not None:
            self.observer.expired(cpu, job, t)

    # -- 1b. deadlines -----------------------------------------------------------------------------
    def pass_deadlines(self, jobs: Sequence[int], t: Time, stop: bool) -> bool:
        """The absolute deadline of each of ``jobs`` is ``t`` (after the CPUs released, so a
        job that finishes at its deadline meets it; before jobs become ready, so one whose
        I/O ends at its deadline never becomes ready).  A job that has not finished missed
        it: with ``stop`` the run ends at this instant — every running slice is recorded up
        to ``t`` and True is returned; otherwise each is ended now (:meth:`end_job`)."""
        missed = [job for job in jobs if self.status[job] not in (DONE, ENDED)]
        if not missed:
            return False
        if self.observer is not None:
            for job in missed:
                self.observer.deadline_missed(job, t, stop)
        if stop:
            self.stopped_at = t
            for job in range(self.n):
                if self.status[job] not in (DONE, ENDED):
                    self._cut(job, t)
            return True
        for job in missed:
            self.end_job(job, t)
            self.aborted.append(job)
        return False

    def end_job(self, job: int, t: Time) -> None:
        """End ``job`` at ``t``, whatever it is doing: a running job leaves its CPU (its
        slice is recorded, its burst ends for the policy), a ready job leaves the policy
        (``on_removed``), a job in I/O never comes back.  It counts as done, finished at
        ``t``."""
        status = self.status[job]
        self._cut(job, t)
        if status == READY:
            if job in self.expired:
                self.expired.remove(job)
            else:
                self.ready -= 1
                try:
                    self.policy.on_removed(job)
                except NotImplementedError:
                    raise PolicyError(
                        f"policy {self.policy.name!r} cannot end job {job} at its deadline "
                        "while it is ready: the policy has no on_removed hook"
                    ) from None
        self.status[job] = ENDED
        self.finish[job] = t
        self.done += 1

    def _cut(self, job: int, t: Time) -> None:
        """``job`` stops short at ``t`` (ended, or the run stops): a running job's slice is
        recorded and charged, and the CPU and I/O it did are kept for the result."""
        status = self.status[job]
        io_partial: Time | None = None
        if status == RUNNING:
            cpu = self.last_cpu[job]
            ran = t - self.cpu_start[cpu]
            if ran < 0:  # still in its context switch
                ran = 0
            ran = self._charge_preemption(cpu, job, ran)
            self.running_since[job] = None
            self.cpu_job[cpu] = -1
            self.cpu_end[cpu] = INF
            if self.on_burst_end is not None:
                self.on_burst_end(job, ran)
            if self.slice_ended is not None:
                self.slice_ended(cpu, job, t, ABORTED)
        elif status == BLOCKED_IO:
            io_partial = self._cancel_io(job, t)
        self._keep_work(job, status, io_partial)

    def _cancel_io(self, job: int, t: Time) -> Time:
        """The driver drops the pending completion of ``job``'s I/O; the I/O it did."""
        assert self.io_cancelled is not None, "a driver feeding deadlines sets io_cancelled"
        return self.io_cancelled(job, t)

    def _keep_work(self, job: int, status: int, io_partial: Time | None) -> None:
        self.work_cut[job] = self._work_done(job, status, io_partial)

    def _work_done(self, job: int, status: int, io_partial: Time | None) -> tuple[Time, Time]:
        """The CPU and I/O ``job`` has done (its bursts before the current one, and what it
        ran of the current one, or the ``io_partial`` of the I/O it was in)."""
        start = int(self.run.burst_offsets[job])
        position = self.burst_pos[job]
        values = self.values
        cpu: Time = 0
        io: Time = 0
        if status == NEW:
            return cpu, io
        for index in range(start, position):
            if (index - start) % 2 == 0:
                cpu = cpu + values[index]
            else:
                io = io + values[index]
        if status in (READY, RUNNING):
            cpu = cpu + (values[position] - self.remaining[job])
        elif status == BLOCKED_IO and io_partial is not None:
            io = io - values[position - 1] + io_partial
        return cpu, io

    # -- 2. jobs become ready ----------------------------------------------------------------------
    def make_ready(self, arrivals: Sequence[int], completions: Sequence[int]) -> None:
        """Arrivals (file order), then I/O completions (the order their I/O began) start a
        CPU burst and go to the policy; jobs whose slice expired go after them, or before them
        with ``ties="requeue-first"``."""
        requeued = list(self.expired) if self.observer is not None else ()
        if self.expired and not self.arrivals_first:
            self._requeue_expired()
        for job in arrivals:
            self._start_burst(job)
        for job in completions:
            self.burst_number[job] += 1
            self._start_burst(job)
        if self.expired:
            self._requeue_expired()
        if self.observer is not None:
            self.observer.became_ready(self.clock.now, arrivals, completions, requeued)

    def _start_burst(self, job: int) -> None:
        self.remaining[job] = self.values[self.burst_pos[job]]
        self.status[job] = READY
        self.on_ready(job)
        self.ready += 1
        self.preemption_due = True

    def _requeue_expired(self) -> None:
        on_expired = self.on_expired
        for job in self.expired:
            on_expired(job)
        self.ready += len(self.expired)
        self.expired.clear()
        self.preemption_due = True

    def fire_timer(self, t: Time) -> bool:
        """The policy's timer, due at ``t``, fires after the instant's jobs became ready.  It
        counts against the slice limit like a slice.  If the policy asks (MLFQ's boost), every
        running job's slice restarts now: True is returned."""
        self._count_event(t)
        self.preemption_due = True
        if not self.on_timer():
            if self.observer is not None:
                self.observer.timer_fired(t, False)
            return False
        self._reslice(t)
        if self.observer is not None:
            self.observer.timer_fired(t, True)
        return True

    def _reslice(self, t: Time) -> None:
        """Restart the slice of every running job at ``t``: what it ran so far is charged, and
        the policy grants a new slice from now (no context switch)."""
        for cpu in range(self.cpus):
            job = self.cpu_job[cpu]
            if job < 0:
                continue
            ran = t - self.cpu_start[cpu]
            if ran > 0:
                self.remaining[job] -= ran
                if self.slice_ended is not None:
                    self.slice_ended(cpu, job, t, RESLICED)
                self.cpu_dispatched[cpu] = t
                self.cpu_start[cpu] = t
            self._grant(cpu, job, self.cpu_start[cpu], t)

    # -- 3. preemption and 4. dispatch -------------------------------------------------------------
    def decide(self, t: Time) -> None:
        """Steps 3 and 4 at ``t``: preempt where the policy says so (only when something became
        ready or a timer fired at this instant), then fill the free CPUs."""
        if self.observer is not None:
            self.observer.deciding(t)
        if self.preempt is not None and self.preemption_due and self.ready:
            self._preempt(t)
        self.preemption_due = False
        # 4. While jobs are ready and a CPU is free, the policy picks one; it goes to the CPU
        # it ran on last if that one is free, else to the lowest-numbered free CPU.
        cpu_job = self.cpu_job
        while self.ready and -1 in cpu_job:
            job = self._picked(t)
            if job is None:  # the policy leaves the free CPUs idle for now
                break
            self.ready -= 1
            cpu = self.last_cpu[job]
            if cpu < 0 or cpu_job[cpu] != -1:
                cpu = cpu_job.index(-1)
            self._dispatch(cpu, job, t)

    def _preempt(self, t: Time) -> None:
        """While more jobs are ready than CPUs are free, the policy names a running job that
        must give way (or None); the freed CPU goes at once to the job it picks next.  A job
        placed at this instant may not be preempted at the same instant."""
        preempt = self.preempt
        assert preempt is not None
        cpu_job = self.cpu_job
        placed: list[int] = []
        while self.ready > cpu_job.count(-1):
            running = [job for job in cpu_job if job >= 0]
            if not running:
                break
            named = preempt(running)
            if named is None:
                break
            victim = self._victim(named, running, placed, t)
            cpu = self.last_cpu[victim]
            if self.take_off is not None and not self.take_off(cpu, victim):
                continue  # it ended its burst before it could be stopped
            ran = t - self.cpu_start[cpu]
            if ran < 0:  # preempted while the context switch was still in progress
                ran = 0
            ran = self._charge_preemption(cpu, victim, ran)
            if self.slice_ended is not None:
                self.slice_ended(cpu, victim, t, PREEMPTED)
            self.running_since[victim] = None
            self.cpu_job[cpu] = -1
            self.cpu_end[cpu] = INF
            self.status[victim] = READY
            self.on_preempted(victim, ran)
            job = self._picked(t)
            # (the ready count is unchanged: the victim became ready, the picked job left)
            if job is None or job == victim:
                raise picked_again(self.policy, victim, t, job)
            if self.observer is not None:
                self.observer.preempted(cpu, victim, job, t)
            self._dispatch(cpu, job, t)
            placed.append(job)

    def _charge_preemption(self, cpu: int, job: int, ran: Time) -> Time:
        """What ``job`` ran before it was preempted comes off its burst; returns the run the
        policy is told of (here the same)."""
        left = self.remaining[job] - ran
        if left > 0:
            self.remaining[job] = left
        return ran

    def _victim(self, named: Any, running: list[int], placed: list[int], t: Time) -> int:
        """The job ``preempt()`` named, checked: a running job not placed at this instant."""
        victim = named if type(named) is int else _as_job_id(named)
        if victim is None or victim not in running or victim in placed:
            raise bad_victim(self.policy, named, t, victim in placed)
        return victim

    def _picked(self, t: Time) -> int | None:
        """``pick_next()``, checked: it must name a ready job, or be None."""
        picked = self.pick_next()
        if picked is None:
            return None
        job = picked if type(picked) is int else _as_job_id(picked)
        if job is None or not 0 <= job < self.n:
            raise bad_pick(self.policy, picked, t, -1)
        if self.status[job] != READY:
            raise bad_pick(self.policy, picked, t, self.status[job])
        return job

    def _dispatch(self, cpu: int, job: int, t: Time) -> None:
        """``job`` goes to ``cpu`` at ``t``: a context switch first unless the CPU ran it
        last, then the slice the policy grants."""
        self.status[job] = RUNNING
        if self.cpu_last[cpu] != job:
            self.switches += 1
            start = t + self.context_switch
            self.switch_time[job] += self.context_switch
        else:
            start = t
        if self.first_run[job] is None:
            self.first_run[job] = start
        self.cpu_job[cpu] = job
        self.cpu_dispatched[cpu] = t
        self.cpu_start[cpu] = start
        self.cpu_last[cpu] = job
        self.last_cpu[job] = cpu
        self._grant(cpu, job, start, t)
        self.slices[job] += 1
        self.events += 1
        if self.events == self.max_slices:
            raise too_many_slices(self.max_slices, t)
        if self.observer is not None:
            self.observer.dispatched(cpu, job, t)
        if self.dispatched is not None:
            self.dispatched(cpu, job)

    def _grant(self, cpu: int, job: int, start: Time, t: Time) -> None:
        """The policy's slice for ``job`` on ``cpu`` from ``start``: it must be > 0.  The
        slice covers the rest of the burst when it is at least as long, or when what it would
        leave is a float sliver (below ``SLIVER`` of the remaining time); the CPU's slice then
        ends with the burst."""
        time_slice = self.time_slice
        granted = time_slice(job) if time_slice is not None else self.fixed_slice
        if not granted > 0:
            raise bad_slice(self.policy, job, t, granted)
        self._set_slice_end(cpu, job, start, granted)
        self.cpu_slice[cpu] = granted
        self.running_since[job] = start
        if self.slice_level is not None:
            self.cpu_level[cpu] = self.slice_level(job)

    def step_end(self, cpu: int) -> Time:
        """When, in the schedule, the job on ``cpu`` ends its burst if it runs that far in
        its slice (a real run's driver needs it when a worker reports the end first)."""
        return self.cpu_start[cpu] + min(self.remaining[self.cpu_job[cpu]], self.cpu_slice[cpu])

    def _set_slice_end(self, cpu: int, job: int, start: Time, granted: Time) -> None:
        """When ``cpu``'s slice ends: with the burst, if the slice covers it (see
        :func:`covers`), else when the slice runs out."""
        left = self.remaining[job]
        if covers(granted, left):
            self.cpu_end[cpu] = start + left
            self.cpu_completes[cpu] = True
        else:
            self.cpu_end[cpu] = start + granted
            self.cpu_completes[cpu] = False

    def _count_event(self, t: Time) -> None:
        self.events += 1
        if self.events == self.max_slices:
            raise too_many_slices(self.max_slices, t)

    # -- timers ------------------------------------------------------------------------------------
    def first_timer(self) -> Time:
        """When the policy's timer first fires (INF: never)."""
        next_timer = self.run.next_timer
        upcoming = next_timer() if next_timer is not None else None
        return INF if upcoming is None else upcoming

    def next_timer(self, after: Time) -> Time:
        """When the policy's timer fires next, asked after every instant; it must be later
        than ``after`` (the simulator passes the instant's time; a real run, whose instants
        gather events up to a window apart, the time of the timer that just fired)."""
        next_timer = self.run.next_timer
        if next_timer is None:
            return INF
        upcoming = next_timer()
        timer_at = INF if upcoming is None else upcoming
        if timer_at <= after:
            raise bad_timer(self.policy, upcoming, after)
        return timer_at

    def stuck(self) -> PolicyError:
        """No event is left, yet jobs are unfinished: the policy holds jobs it never picks."""
        return stuck(self.policy, self.ready, self.n - self.done)

    def stalled(self, t: Time, timer_at: Time) -> bool:
        """Nothing but the policy's timer (at ``timer_at``, maybe never) can happen any more,
        yet jobs are unfinished (``t``: the last instant).  The run goes on to the timer if
        there is one (False); without one the policy holds jobs it never picks (an error).
        Processes that synchronise may instead all wait for each other: the run then ends
        (True; :class:`schedsim.scripted.ScriptedScheduler`)."""
        if timer_at == INF:
            raise self.stuck()
        return False

    # -- the result --------------------------------------------------------------------------------
    def trace(self, timeline: Timeline | None, extra: dict[str, Any]) -> Trace:
        if self.aborted or self.work_cut or self.stopped_at is not None:
            extra = {**extra, **self._cut_extra(extra)}
        return Trace(
            first_run=self.first_run,
            finish=self.finish,
            switch_time=self.switch_time,
            slices=self.slices,
            context_switches=self.switches,
            timeline=timeline,
            extra=extra,
        )

    def _cut_extra(self, extra: dict[str, Any]) -> dict[str, Any]:
        """What a run that ended jobs at their deadlines, or stopped at one, adds to its
        trace: the CPU and I/O each job really did (unless the extra has them already), the
        jobs ended, and when the run stopped."""
        added: dict[str, Any] = {"aborted": list(self.aborted)}
        if self.stopped_at is not None:
            added["stopped_at"] = self.stopped_at
        if "cpu_time" not in extra:
            offsets = self.run.burst_offsets.tolist()
            cpu_time: list[Time] = []
            io_time: list[Time] = []
            for job in range(self.n):
                if job in self.work_cut:
                    cpu, io = self.work_cut[job]
                else:
                    cpu, io = self._work_done(job, NEW, None)
                    for index in range(offsets[job], offsets[job + 1]):
                        if (index - offsets[job]) % 2 == 0:
                            cpu = cpu + self.values[index]
                        else:
                            io = io + self.values[index]
                cpu_time.append(cpu)
                io_time.append(io)
            added["cpu_time"] = cpu_time
            added["io_time"] = io_time
        return added

    def schedule_recorder(self, timeline: Timeline) -> SliceEnded:
        """A ``slice_ended`` callback that records each slice in the schedule's own time (what
        the simulator reports): dispatched, start of execution, end, level, reason."""
        append = timeline.append
        dispatched = self.cpu_dispatched
        started = self.cpu_start
        level = self.cpu_level

        def record(cpu: int, job: int, end: Time, reason: int) -> None:
            start = started[cpu]
            append(
                cpu, job, dispatched[cpu], start if start < end else end, end, level[cpu], reason
            )

        return record


def covers(granted: Time, left: Time) -> bool:
    """Whether a slice of ``granted`` runs the ``left`` of a burst (or of a step) to its end:
    when it is at least as long, or when what it would leave is a float sliver (at most
    ``SLIVER`` of ``left``)."""
    return granted >= left or (
        left.__class__ is float and left < INF and left - granted <= SLIVER * left
    )


# -- errors: one wording for every driver (the compiled loop raises through these too) -------------
def bad_pick(policy: Policy, job: Any, now: Time, status: int) -> PolicyError:
    what = {
        NEW: "has not arrived",
        RUNNING: "is already running",
        BLOCKED_IO: "is in I/O",
        DONE: "has finished",
        BLOCKED_SYNC: "waits for a resource",
        ENDED: "was ended",
        -1: "is not a job of this workload (ids run from 0 to the number of jobs - 1)",
    }.get(status, "is not ready")
    return PolicyError(f"policy {policy.name!r} picked job {job!r} at time {now}, but it {what}")


def bad_slice(policy: Policy, job: int, now: Time, value: Any) -> PolicyError:
    return PolicyError(
        f"policy {policy.name!r} gave job {job} a time slice of {value!r} at time {now}; "
        "a slice must be > 0"
    )


def bad_victim(policy: Policy, named: Any, now: Time, placed: bool) -> PolicyError:
    what = "it placed on a CPU at this same instant" if placed else "is not running"
    return PolicyError(
        f"policy {policy.name!r} asked to preempt job {named!r} at time {now}, which {what}"
    )


def picked_again(policy: Policy, victim: int, now: Time, picked: int | None) -> PolicyError:
    what = "picked it again" if picked is not None else "picked no job for the CPU it freed"
    return PolicyError(
        f"policy {policy.name!r} preempted job {victim} at time {now} and then {what}"
    )


def bad_timer(policy: Policy, upcoming: Any, after: Time) -> PolicyError:
    return PolicyError(
        f"policy {policy.name!r} asked for a timer at {upcoming}, which is not after {after}"
    )


def stuck(policy: Policy, ready: int, unfinished: int) -> PolicyError:
    return PolicyError(
        f"policy {policy.name!r} holds {ready} ready job(s) it never picks "
        f"({unfinished} job(s) unfinished)"
    )


def too_many_slices(max_slices: int, now: Time) -> LimitError:
    return LimitError(
        f"the run exceeded {max_slices:,} slices and timer events at time {now}; raise "
        "--max-slices or use a larger quantum or timer period"
    )


def policy_failed(policy: Policy, now: Time, error: Exception) -> PolicyError:
    """A policy hook raised: say which policy and when (the original is chained)."""
    return PolicyError(
        f"policy {policy.name!r} failed at time {now}: {type(error).__name__}: {error}"
    )


def _as_job_id(value: Any) -> int | None:
    """A job id a policy gave that is not a plain int: any integer type (numpy's too) but
    bool; None for anything else."""
    if isinstance(value, bool):
        return None
    try:
        return operator.index(value)
    except TypeError:
        return None
