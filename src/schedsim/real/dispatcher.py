"""The dispatcher: runs a policy over real worker processes, against the wall clock.

It feeds real events to the same :class:`~schedsim.core.Scheduler` the simulator feeds
simulated ones: the same policy object, the same rules of an instant, the same checks and
error messages, the same bookkeeping of ``remaining``/``running_since``/``burst_number``
that policies read through their ``JobsView`` (the sliver rule included).  What is left here
is the physical side: workers, signals, pipes and wall-clock timestamps.

Events and instants
===================

Timed events the dispatcher knows in advance: arrivals (released at their arrival time),
slice expiries (the instant a slice was granted plus its length), I/O completions (the end
of the CPU burst the worker reported, plus the I/O time — the worker sleeps to exactly that
deadline) and policy timers.  Events that only the workers know: the end of a CPU burst,
reported with the time it happened.

Simultaneous events are what schedulers disagree about, and real time never has two events
at exactly the same moment: a burst that the simulation ends at 4 ends here a few hundred
microseconds late, after the arrival that the simulation puts at the same time.  So the
dispatcher groups events into **instants**: from the earliest pending event, it waits
(briefly, at most twice the *coalescing window*) for every other event expected within the
window — timers, and burst ends it can predict from the workers' own reports — and then
handles them together, in the engine's documented order (CPUs release; arrivals, I/O
completions and expired jobs become ready; preemption; dispatch).

Two clocks
==========

Real time decides *when* instants happen and in what order.  The policy's bookkeeping,
though, runs on the schedule's own time line, exactly as the simulator's does: while it
handles an instant the policy's clock (a :class:`~schedsim.clock.WallClock` held still)
reads the time the schedule gives the instant — an arrival at its arrival time, a slice's
end at its start plus its length, an I/O completion at the end of the burst plus the I/O
time — and ``remaining`` drops by the slice granted at an expiry and by the time run at a
preemption, in that same time.  Measurement noise therefore never reaches the policy's
arithmetic: two jobs the simulation ties (SRTF with equal remaining times, SJF with equal
bursts) stay tied, and are ordered as the simulation orders them.  Slice expiries, on the
other hand, are timers in real time, from the moment the slice really began: a late
dispatch never shortens the next slice.  The worker's own CPU clock decides when its burst
ends.  What the measured trace records is real time throughout.

Hold, then tell the policy
==========================

A job leaves its CPU for real *before* the policy hears about it: at a slice expiry or a
preemption the worker is stopped first (SIGSTOP, and ``waitid`` until the kernel has
stopped it; or, cooperatively, its run flag cleared until it says it paused).  A burst
can end at any moment, also a microsecond before the stop took effect: the worker's report
is then already in the pipe, and the dispatcher treats the departure as the burst end it
was — so the policy is never told a job expired that had in fact finished.  When an
expiring job has nobody to give way to (nothing else is ready and nothing becomes ready),
it is not stopped at all: the policy picks it again and it simply continues, as in the
simulation.

Measurements kept in the trace's ``extra``: the CPU time each worker used (its own clock),
the time each held a CPU, dispatch latency (from the decision to the worker running),
kernel context switches, and whether the run looks disturbed (see :func:`disturbances`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import heapq
import math
import multiprocessing
import os
import select
import signal
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, NoReturn

import numpy as np

from schedsim.clock import WallClock
from schedsim.core import BLOCKED_SYNC, DONE, RUNNING, PolicyRun, Scheduler, policy_failed
from schedsim.errors import ExecutionError, SchedsimError
from schedsim.policies.base import Policy
from schedsim.program import CPU, IO
from schedsim.real.messages import CONTINUE, GO, QUIT, unpack
from schedsim.real.messages import END as END_WORD
from schedsim.real.messages import IO as IO_WORD
from schedsim.real.plan import CorePlan
from schedsim.real.safety import ParentSession, describe_exit, sigint_blocked
from schedsim.real.synchronising import RealSynchronisation
from schedsim.real.worker import COOPERATIVE, SIGNALS, RunFlag, WorkerSpec, worker_main
from schedsim.scripted import ScriptedScheduler
from schedsim.sync import Deadlock
from schedsim.trace import (
    BLOCKED,
    ENDED_REASON,
    EXPIRED,
    FINISHED,
    RESLICED,
    WAITED,
    Timeline,
    Trace,
)
from schedsim.workload import Workload

INF = math.inf

# What a worker is physically doing.
IDLE, ACTIVE, HELD = 0, 1, 2  # waiting for "go" (or in I/O) / running / stopped mid-burst

STARTUP_SECONDS = 10.0  # for every worker to report ready
HOLD_TIMEOUT_SECONDS = 2.0  # for a cooperative worker to yield
EXIT_TIMEOUT_SECONDS = 2.0  # for finished workers to exit
SPIN_BEFORE_SECONDS = 0.0015  # poll (instead of sleeping) this long before an expected event
SPIN_AFTER_SECONDS = 0.003  # ... and at most this long after it
GAP_SECONDS = 0.0001  # a worker whose clock jumps by more than this was not running
CHUNK_SECONDS = 0.00005  # cooperative: CPU time between two looks at the run event
COALESCE_SECONDS = 0.0015  # events this close together are one instant ...
LATE_END_SECONDS = 0.005  # ... and a burst the schedule ends in it is waited for this long
MAX_COALESCE_UNITS = 0.3  # ... but never more than this many time units apart

# Thresholds above which a run's measurements are reported as disturbed.
DISTURBED_LATENCY_SECONDS = 0.001  # dispatch latency p99
DISTURBED_LATENCY_UNITS = 0.1  # ... or this fraction of a time unit, whichever is larger
DISTURBED_CPU_SHARE = 0.90  # a worker got less than this share of the time it held a CPU
DISTURBED_LOST_SHARE = 0.02  # workers lost more than this share of the run to other programs


class InstantClock(WallClock):
    """The wall clock in workload units, held still at the time of the instant being
    handled while the policy's hooks run — so every hook of one instant sees the same
    ``now``, as in the simulation."""

    __slots__ = ("_held",)

    def __init__(self, unit_seconds: float) -> None:
        super().__init__(unit_seconds)
        self._held: float | None = None

    def hold(self, at: float | None) -> None:
        self._held = at

    @property
    def now(self) -> float:
        held = self._held
        return (time.monotonic() - self._t0) / self.unit_seconds if held is None else held


def coalesce_units(unit_seconds: float) -> float:
    """The coalescing window in time units for a given unit."""
    return min(MAX_COALESCE_UNITS, COALESCE_SECONDS / unit_seconds)


class Dispatcher:
    """One real run of ``workload`` under ``policy``.  Use :meth:`run` once."""

    def __init__(
        self,
        workload: Workload,
        policy: Policy,
        *,
        cpus: int,
        unit_seconds: float,
        cores: CorePlan,
        preemption: str = SIGNALS,
        ties: str = "arrivals-first",
        seed: int = 0,
        expected_seconds: float = 1.0,
        coalesce: float | None = None,
        locks: str = "none",
    ) -> None:
        if preemption not in (SIGNALS, COOPERATIVE):
            raise ValueError(f"preemption must be {SIGNALS!r} or {COOPERATIVE!r}")
        self.workload = workload
        self.policy = policy
        self.cpus = cpus
        self.unit = unit_seconds
        self.cores = cores
        self.preemption = preemption
        self.arrivals_first = ties == "arrivals-first"
        self.seed = seed
        self.coalesce = coalesce_units(unit_seconds) if coalesce is None else coalesce
        self.spin = cores.dispatcher_has_own_core
        self.expected_seconds = expected_seconds
        self.overrun_seconds = 3 * expected_seconds + 10.0

        n = len(workload)
        self.n = n
        self.seconds: list[tuple[float, ...]] = [
            tuple(v * unit_seconds for v in workload.bursts(i)) for i in range(n)
        ]
        self.clock = InstantClock(unit_seconds)
        # The rules: the scheduler core, told what happens; it tells back through callbacks.
        run = PolicyRun(workload, policy, clock=self.clock, seed=seed, levels=True)
        program = workload.program
        self.sync: RealSynchronisation | None = None
        self.core: Scheduler
        if program is None:
            self.core = Scheduler(run, cpus=cpus, ties=ties)
        else:
            scripted = ScriptedScheduler(
                run,
                program,
                pids=workload.pid,
                priorities=workload.priority.tolist(),
                locks=locks,
                cpus=cpus,
                ties=ties,
            )
            scripted.sync.log = []
            scripted.job_ended = self._end_daemon
            self.core = scripted
            self.sync = RealSynchronisation(program, self._send_now, self.clock.to_units)
            self.seconds = [
                tuple(value * unit_seconds if kind in (CPU, IO) else 0.0 for kind, value in script)
                for script in program.scripts
            ]
        self.locks = locks
        self.position = [0] * n  # the step each worker is at (its script, or its bursts)
        self.io_reported: dict[int, float] = {}  # job -> when its I/O step began (monotonic)
        self.io_awaited: dict[int, tuple[float, float]] = {}  # job -> (in the schedule, units)
        self.ended_daemons: set[int] = set()
        self.deadlock: Deadlock | None = None
        self.releasing = -1  # the job whose step end the core is handling
        self.parking: list[int] = []  # jobs off their CPU, to move to the dispatcher's core
        self.core.slice_ended = self._slice_ended
        self.core.take_off = self._take_off
        self.core.dispatched = self._dispatched
        self.arrival_order: list[int] = self.core.run.arrival_order.tolist()
        self.arrival_times: list[float] = [*self.core.run.arrival_times.tolist(), INF]
        self.cursor = 0
        # I/O completions: (real time, real start of the I/O, job, time in the schedule)
        self.io_heap: list[tuple[float, float, int, float]] = []
        self.schedule_now = 0.0
        self.timer_at: float = INF
        # Real time per CPU, in units: when its slice expires, when its job was dispatched.
        self.cpu_expiry = [INF] * cpus
        self.cpu_dispatched = [0.0] * cpus
        # What the measured trace reports: real first runs and finishes, in units.
        self.first_run: list[float | None] = [None] * n
        self.finish: list[float | None] = [None] * n
        # The instant being handled, for the core's callbacks.
        self.real = 0.0  # when its last event happened (units)
        self.continuing: set[int] = set()  # expiring jobs not stopped (nobody waits)
        self.starts: list[tuple[int, int]] = []  # (cpu, job) dispatched at this instant
        self.ended_at = 0.0  # when the burst being released really ended (units)

        # Physical state of the workers.
        self.processes: list[BaseProcess] = []
        self.connections: list[Connection] = []
        self.os_pid = [0] * n
        self.events: list[Any] = []
        self.phys = [IDLE] * n
        self.pinned = [-1] * n
        self.burst_report: list[tuple[float, float] | None] = [None] * n  # (at, cpu used)
        self.pending_start: list[float | None] = [None] * n  # decision time awaiting a report
        self.slice_started: list[float | None] = [None] * n  # when the worker really started
        self.expected_end: list[float] = [INF] * n  # monotonic seconds
        self.held_at = [0.0] * n
        self.exited: list[dict[str, Any] | None] = [None] * n
        self.gone = [False] * n  # sentinel seen and accounted for

        # Measurements.
        self.timeline = Timeline()
        self.io_periods: list[tuple[int, float, float]] = []
        self.measured_cpu = [0.0] * n  # seconds, the workers' own clocks
        self.on_cpu = [0.0] * n  # seconds between a slice's real start and its end
        self.latencies: list[float] = []  # seconds from a decision to the worker running
        self.reactions: list[float] = []  # seconds from an instant's last event to its decisions
        self.io_lateness: list[float] = []  # seconds a worker woke after its I/O deadline
        self.stolen = [0.0] * n  # seconds a running worker was not running, unasked
        self.stops = 0
        self.started = False
        self.overrun_at = INF
        self._descriptor_cache: dict[int, tuple[int, bool]] | None = None

    # -- the run ----------------------------------------------------------------------------
    def run(self) -> Trace:
        """Start the workers, run the schedule, collect the trace; always reap the workers."""
        session = ParentSession(self.processes, self.connections)
        try:
            self._start_workers()
            session.settle(self.cores.dispatcher_core)
            self._run_loop()
            if self.deadlock is None:
                self._collect_exits()
            return self._trace()
        finally:
            session.close()

    def _start_workers(self) -> None:
        context = _context()
        slots = context.Semaphore(self.cpus) if self.preemption == COOPERATIVE else None
        primitives = self.sync.primitives(context) if self.sync is not None else None
        first_core = self.cores.cpu_cores[0]
        parent = os.getpid()
        with sigint_blocked():
            for job in range(self.n):
                spec = WorkerSpec(
                    index=job,
                    pid=self.workload.pid[job],
                    bursts=self.seconds[job],
                    cores=(first_core,),
                    parent_pid=parent,
                    mechanism=self.preemption,
                    gap_seconds=GAP_SECONDS,
                    chunk_seconds=CHUNK_SECONDS,
                    steps=None if self.sync is None else self.sync.step_seconds(job, self.unit),
                )
                event = RunFlag(context) if slots is not None else None
                ours, theirs = context.Pipe(duplex=True)
                process = context.Process(
                    target=worker_main,
                    args=(spec, theirs, event, slots, primitives),
                    name=f"schedsim-worker-{self.workload.pid[job]}",
                    daemon=True,
                )
                self.processes.append(process)
                self.connections.append(ours)
                self.events.append(event)
                process.start()
                theirs.close()
                self.pinned[job] = first_core
        self._await_ready()

    def _await_ready(self) -> None:
        waiting = set(range(self.n))
        deadline = time.monotonic() + STARTUP_SECONDS + 0.05 * self.n
        by_fd = {self.connections[job].fileno(): job for job in waiting}
        sentinels = {self.processes[job].sentinel: job for job in waiting}
        while waiting:
            left = deadline - time.monotonic()
            if left <= 0:
                names = ", ".join(self.workload.pid[job] for job in sorted(waiting))
                raise ExecutionError(
                    f"worker(s) for {names} did not start within {STARTUP_SECONDS:g} s; "
                    "the machine may be overloaded"
                )
            readable, _, _ = select.select([*by_fd, *sentinels], [], [], min(left, 0.25))
            for fd in readable:
                if fd in sentinels:
                    job = sentinels[fd]
                    if job in waiting and not self.connections[job].poll():
                        self._died(job)
                    continue
                job = by_fd[fd]
                try:
                    message = unpack(self.connections[job].recv_bytes())
                except EOFError:
                    self._died(job)
                if message[0] == "ready":
                    self.os_pid[job] = int(message[1])
                    waiting.discard(job)
                elif message[0] == "error":
                    self._failed(job, message[1])

    # -- the loop -----------------------------------------------------------------------------
    def _run_loop(self) -> None:
        core = self.core
        self.clock.start(time.monotonic() + 0.002)
        self.started = True
        self.overrun_at = self.clock.origin + self.overrun_seconds
        self.timer_at = core.first_timer()
        while core.done < self.n:
            first = self._await_event()
            if first is None:
                return  # a deadlock: the workers are blocked in the primitives for real
            until = self._gather(first)
            try:
                self._instant(until)
            except (SchedsimError, OSError):
                raise
            except Exception as error:  # a policy hook raised: say which policy and when
                raise policy_failed(self.policy, self.clock.now, error) from error
            finally:
                self.clock.hold(None)

    def _next_timer(self) -> float:
        """The earliest timed event: arrival, slice expiry, I/O completion, policy timer."""
        due = self.arrival_times[self.cursor]
        for expiry in self.cpu_expiry:
            if expiry < due:
                due = expiry
        if self.io_heap and self.io_heap[0][0] < due:
            due = self.io_heap[0][0]
        if self.timer_at < due:
            due = self.timer_at
        return due

    def _timers_up_to(self, limit: float) -> list[float]:
        """Every timed event due at or before ``limit`` (units)."""
        found = []
        cursor = self.cursor
        while self.arrival_times[cursor] <= limit:
            found.append(self.arrival_times[cursor])
            cursor += 1
        found.extend(expiry for expiry in self.cpu_expiry if expiry <= limit)
        found.extend(entry[0] for entry in self.io_heap if entry[0] <= limit)
        if self.timer_at <= limit:
            found.append(self.timer_at)
        return found

    def _reported_ends(self) -> list[float]:
        """Burst ends reported by running workers but not yet handled (units)."""
        to_units = self.clock.to_units
        return [
            to_units(report[0])
            for job in self.core.cpu_job
            if job >= 0 and (report := self.burst_report[job]) is not None
        ]

    def _expected_ends(self) -> list[float]:
        """When the running workers that have not reported a burst end should (monotonic)."""
        return [
            self.expected_end[job]
            for job in self.core.cpu_job
            if job >= 0 and self.burst_report[job] is None
        ]

    def _late_ends(self, until: float) -> list[float]:
        """When the running workers whose burst ends, in the schedule, within this instant
        (by ``until``) but that have not reported it should (monotonic): a worker that
        started late, or lost time to the machine, ends a little after the schedule says;
        the instant waits for it (up to the window's cap), so that a burst ending at the
        same instant as an arrival or an expiry still ends first, as in the simulation."""
        core = self.core
        return [
            self.expected_end[job]
            for cpu, job in enumerate(core.cpu_job)
            if job >= 0
            and self.burst_report[job] is None
            and core.cpu_completes[cpu]
            and core.cpu_end[cpu] <= until
        ]

    def _await_event(self) -> float | None:
        """Wait until some event has happened; return the time of the earliest (units), or
        None when nothing can ever happen again: the processes wait for each other."""
        to_monotonic = self.clock.to_monotonic
        while True:
            self._receive(0.0)
            reported = self._reported_ends()
            timer = self._next_timer()
            if reported or timer <= self._now_units():
                return min([*reported, timer])
            if self._stalled(timer):
                return None
            expected = self._expected_ends()
            attention = min([*expected, to_monotonic(timer)])
            self._wait(to_monotonic(timer), attention)

    def _stalled(self, timer: float) -> bool:
        """Nothing is running or due but the policy's timer (``timer``): the core decides —
        a deadlock (True), the timer to wait for (False), or a policy that holds jobs it
        never picks (it raises)."""
        if any(job >= 0 for job in self.core.cpu_job) or self.io_awaited or self.io_heap:
            return False
        if self.arrival_times[self.cursor] < INF:
            return False
        now = self._now_units()
        if not self.core.stalled(max(now, self.schedule_now), self.timer_at):
            return False
        self.deadlock = getattr(self.core, "deadlock", None)
        self.deadlock_found = self._now_units()
        self._await_blocked()
        return True

    def _await_blocked(self) -> None:
        """After a deadlock, give the workers a moment to reach the primitive calls they will
        block in for ever (each reports it is about to block), so that what is measured is
        the real deadlock; they are ended with the run."""
        assert self.sync is not None
        deadline = time.monotonic() + HOLD_TIMEOUT_SECONDS
        blocked = {job for job, status in enumerate(self.core.status) if status == BLOCKED_SYNC}
        while time.monotonic() < deadline:
            waiting = {job for job, _ in self.sync.blocked_since}
            if blocked <= waiting:
                return
            self._receive(0.01)

    def _gather(self, first: float) -> float:
        """Wait for the events expected within the coalescing window after ``first``;
        return the end of the window (every event up to it belongs to this instant).  A
        burst the schedule ends within the window is waited for a little longer than the
        rest (``LATE_END_SECONDS``): it is the same instant, however late the worker."""
        until = first + self.coalesce
        to_monotonic = self.clock.to_monotonic
        cap = to_monotonic(first + 2 * self.coalesce)
        late_cap = max(cap, to_monotonic(first) + LATE_END_SECONDS)
        while True:
            self._receive(0.0)
            now = time.monotonic()
            late = self._late_ends(until)
            if now >= (late_cap if late else cap):
                return until
            pending = late
            if now < cap:
                pending.extend(
                    due for due in map(to_monotonic, self._timers_up_to(until)) if due > now
                )
                limit = to_monotonic(until)
                pending.extend(end for end in self._expected_ends() if end <= limit)
            if not pending:
                return until
            self._wait(min(late_cap if late else cap, max(pending)), min(pending))

    def _now_units(self) -> float:
        return (time.monotonic() - self.clock.origin) / self.unit

    def _wait(self, deadline: float, attention: float) -> None:
        """Sleep until ``deadline`` (monotonic) or a message arrives; with a core of its own
        the dispatcher polls instead of sleeping close to ``attention``."""
        now = time.monotonic()
        if now > self.overrun_at:
            raise ExecutionError(
                f"the run has taken {now - self.clock.origin:.1f} s, far more than the "
                f"{self.expected_seconds:.1f} s expected; it was stopped (is the machine "
                "overloaded?)"
            )
        if self.spin and attention - SPIN_BEFORE_SECONDS <= now <= attention + SPIN_AFTER_SECONDS:
            timeout = 0.0
        else:
            wake = deadline
            if self.spin and attention - SPIN_BEFORE_SECONDS > now:
                wake = min(wake, attention - SPIN_BEFORE_SECONDS)
            timeout = min(max(0.0, wake - now), 0.25)
        self._receive(timeout)

    # -- messages ------------------------------------------------------------------------------
    def _descriptors(self) -> dict[int, tuple[int, bool]]:
        """What to watch: each live worker's pipe and its process sentinel."""
        if self._descriptor_cache is None:
            out: dict[int, tuple[int, bool]] = {}
            for job in range(self.n):
                if not self.gone[job]:
                    out[self.connections[job].fileno()] = (job, False)
                    out[self.processes[job].sentinel] = (job, True)
            self._descriptor_cache = out
        return self._descriptor_cache

    def _receive(self, timeout: float) -> None:
        """Handle every message that has arrived (waiting up to ``timeout`` for one)."""
        descriptors = self._descriptors()
        if not descriptors:
            if timeout > 0:
                time.sleep(timeout)
            return
        readable, _, _ = select.select(list(descriptors), [], [], timeout)
        ended = []
        for fd in readable:
            job, is_sentinel = descriptors[fd]
            if is_sentinel:
                ended.append(job)
            else:
                self._drain(job)
        for job in ended:
            self._drain(job)
            self._check_ended(job)

    def _drain(self, job: int) -> None:
        connection = self.connections[job]
        try:
            while connection.poll():
                self._handle(job, unpack(connection.recv_bytes()))
        except (EOFError, OSError):
            self._check_ended(job)

    def _check_ended(self, job: int) -> None:
        """The worker's process ended: fine after its last burst, a failure otherwise."""
        if self.gone[job]:
            return
        process = self.processes[job]
        process.join(1.0)
        if job in self.ended_daemons or (self.exited[job] is not None and process.exitcode == 0):
            self.gone[job] = True
            self._descriptor_cache = None
            return
        self._died(job)

    def _died(self, job: int) -> NoReturn:
        process = self.processes[job]
        process.join(1.0)
        self.gone[job] = True
        self._descriptor_cache = None
        now = (time.monotonic() - self.clock.origin) / self.unit
        when = f" at t={now:.2f}" if self.started else " before time zero"
        held = self.core.sync.held_by(job) if self.sync is not None else []  # type: ignore[attr-defined]
        holding = f" holding {', '.join(held)}" if held else ""
        raise ExecutionError(
            f"worker for process {self._name(job)} {describe_exit(process.exitcode)}{when}"
            f"{holding}; the run was abandoned and the other workers were stopped"
        )

    def _failed(self, job: int, text: str) -> NoReturn:
        raise ExecutionError(f"worker for process {self._name(job)} failed: {text}")

    def _name(self, job: int) -> str:
        pid = self.processes[job].pid
        return f"{self.workload.pid[job]} (#{job + 1}, os pid {pid})"

    def _handle(self, job: int, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "run":
            self.position[job] = message[1]
            self._started(job, message[2], 0.0)
        elif self.sync is not None and self.sync.handle(job, message):
            return  # a synchronisation step: blocking, or done
        elif kind == "io_start":
            self._io_began(job, message[2])
        elif kind == "resumed":
            self._started(job, message[1], message[3])
        elif kind == "stolen":
            if self.phys[job] == ACTIVE and self.pending_start[job] is None:
                self.stolen[job] += message[1] - message[2]
        elif kind == "burst":
            self.position[job] = message[1]
            at, used = message[2], message[3]
            self.burst_report[job] = (at, used)
            self.measured_cpu[job] += used
        elif kind == "io":
            deadline, woke = message[2], message[3]
            self.io_lateness.append(woke - deadline)
        elif kind == "exit":
            self.exited[job] = message[1]
        elif kind == "error":
            self._failed(job, message[1])

    def _started(self, job: int, at: float, cpu_so_far: float) -> None:
        """The worker reports it runs (again) since ``at``."""
        decided = self.pending_start[job]
        if decided is None or at < decided:
            return  # not started by us, or a report timed before a later stop: stale
        self.latencies.append(at - decided)
        self.pending_start[job] = None
        self.slice_started[job] = at
        if self.first_run[job] is None:
            self.first_run[job] = self.clock.to_units(at)
        steps = self.seconds[job]
        position = self.position[job]
        need = steps[position] if position < len(steps) else 0.0
        self.expected_end[job] = at + max(0.0, need - cpu_so_far)

    # -- one instant ----------------------------------------------------------------------------
    def _instant(self, until: float) -> None:
        """Handle every event up to ``until`` (units) as one instant: tell the core what
        happened, in the engine's order, then act on what it decided."""
        happened = self._happened(until)
        if happened is None:
            return
        ending, expiring, arrivals, completions, timer, t, real = happened
        core = self.core
        self.schedule_now = t
        self.clock.hold(t)
        self.real = real
        self.starts = []
        self.parking = []
        self._release(ending, expiring, not (core.ready or arrivals or completions), t)
        core.make_ready(arrivals, completions)
        if timer and core.fire_timer(t):
            for cpu, job in enumerate(core.cpu_job):  # the slices restarted at t
                if job >= 0:
                    self._set_expiry(cpu, real)
        core.decide(t)
        self.timer_at = core.next_timer(self.timer_at if timer else -INF)
        self.clock.hold(None)
        if self.sync is not None:  # the steps performed: owed to their workers, in order
            self.sync.absorb(core.sync.log, real)  # type: ignore[attr-defined]

        # -- the physical side: hold jobs that did not get their CPU back, start the rest --
        continuing = self.continuing
        left_out = [job for job in continuing if core.status[job] != RUNNING]
        if left_out:  # cannot happen (each goes back to its own free CPU); never run two
            self._hold(left_out)
        if any(job not in continuing for _, job in self.starts):
            self.reactions.append(time.monotonic() - self.clock.to_monotonic(real))
        for cpu, job in self.starts:
            self._start(cpu, job, continuing, real)
        for job in self.parking:
            if core.status[job] != RUNNING:
                self._park(job)
        self.parking = []

    def _happened(
        self, until: float
    ) -> tuple[set[int], list[int], list[int], list[int], bool, float, float] | None:
        """The events up to ``until`` (units): CPUs whose job reported the end of its burst,
        CPUs whose slice expired, arrivals, I/O completions, the policy's timer; with the
        instant's time in the schedule (the latest time the schedule gives one of them, never
        before the previous instant) and in reality (when the last one really happened)."""
        core = self.core
        to_units = self.clock.to_units
        real_times: list[float] = []
        times: list[float] = []
        ending: set[int] = set()
        expiring: list[int] = []
        for cpu in range(self.cpus):
            job = core.cpu_job[cpu]
            if job < 0:
                continue
            report = self.burst_report[job]
            if report is not None and (
                to_units(report[0]) <= until  # (or late, for an end the schedule puts here)
                or (core.cpu_completes[cpu] and core.cpu_end[cpu] <= until)
            ):
                ending.add(cpu)
                real_times.append(to_units(report[0]))
                times.append(core.step_end(cpu))
            elif self.cpu_expiry[cpu] <= until:
                expiring.append(cpu)
                real_times.append(self.cpu_expiry[cpu])
                times.append(core.cpu_start[cpu] + core.cpu_slice[cpu])
        arrivals: list[int] = []
        while self.arrival_times[self.cursor] <= until:
            real_times.append(self.arrival_times[self.cursor])
            times.append(self.arrival_times[self.cursor])
            arrivals.append(self.arrival_order[self.cursor])
            self.cursor += 1
        completions: list[int] = []
        while self.io_heap and self.io_heap[0][0] <= until:
            due, _, job, scheduled = heapq.heappop(self.io_heap)
            real_times.append(due)
            times.append(scheduled)
            completions.append(job)
        timer = self.timer_at <= until
        if timer:
            real_times.append(self.timer_at)
            times.append(self.timer_at)
        if not times:
            return None
        t = max(max(times), self.schedule_now)
        return ending, expiring, arrivals, completions, timer, t, max(real_times)

    def _release(self, ending: set[int], expiring: list[int], nobody_waits: bool, t: float) -> None:
        """Step 1, physical side first: a job whose slice expired is stopped before the core
        hears of it — unless nobody waits for its CPU, when it just goes on (the policy will
        pick it again) — and one that turns out to have ended its burst meanwhile is released
        as the burst end it was."""
        core = self.core
        self.continuing = set()
        if expiring:
            if nobody_waits:
                self.continuing = {core.cpu_job[cpu] for cpu in expiring}
            else:
                finished_meanwhile = self._hold([core.cpu_job[cpu] for cpu in expiring])
                for cpu in list(expiring):
                    if core.cpu_job[cpu] in finished_meanwhile:
                        expiring.remove(cpu)
                        ending.add(cpu)
        for cpu in range(self.cpus):
            if cpu in ending:
                self._end_burst(cpu, t)
            elif cpu in expiring:
                core.expire(cpu, t)

    def _end_burst(self, cpu: int, t: float) -> None:
        """The job on ``cpu`` reported the end of its CPU burst (or step): the core blocks it
        for I/O, finishes it or, for a script, performs the steps that follow; the worker now
        waits for word (or sleeps through the I/O it began, to the real deadline)."""
        core = self.core
        job = core.cpu_job[cpu]
        report = self.burst_report[job]
        assert report is not None
        self.burst_report[job] = None
        ended = self.clock.to_units(report[0])
        scheduled_end = core.step_end(cpu)
        self.ended_at = ended
        self.releasing = job
        io = core.end_burst(cpu, t)
        self.releasing = -1
        if self.sync is not None:  # the steps it performed: owed to its worker at once
            self.sync.absorb(core.sync.log, ended)  # type: ignore[attr-defined]
        if core.status[job] == RUNNING:  # it goes on after its steps: "go" after the instant
            self._set_expiry(cpu, self.real)
            self.cpu_dispatched[cpu] = self._now_units()
            self.starts.append((cpu, job))
        elif core.status[job] == DONE:
            self.finish[job] = ended
            if self.sync is not None and self._ends_at_steps(job):
                self.sync.send(job, END_WORD)  # after the steps it has still to perform
        elif io is not None:
            self.io_awaited[job] = (min(scheduled_end, t) + io, io)
            if job in self.io_reported:
                self._io_began(job, self.io_reported.pop(job))
            if self.sync is not None and not self._io_follows_cpu(job):
                self.sync.send(job, IO_WORD)  # after its steps: start the I/O now
        self.phys[job] = IDLE
        if core.status[job] != RUNNING:
            self.parking.append(job)  # (after the instant's starts: it takes a while)
        if self.preemption == COOPERATIVE:
            self.events[job].clear()

    def _ends_at_steps(self, job: int) -> bool:
        """Whether ``job`` finished with steps (its script does not end with a ``cpu``
        step): its worker then waits, after them, for the word that it is done."""
        script = self.core.scripts[job]  # type: ignore[attr-defined]
        return bool(script[-1].kind != CPU)

    def _io_follows_cpu(self, job: int) -> bool:
        """Whether the I/O ``job`` starts comes right after the ``cpu`` step it reported
        the end of: its worker then starts it without a word."""
        core = self.core
        assert isinstance(core, ScriptedScheduler)
        reported = self.position[job]
        script = core.scripts[job]
        return script[reported].kind == CPU and core.pc[job] - 1 == reported + 1

    def _io_began(self, job: int, started: float) -> None:
        """The worker began its I/O at ``started`` (monotonic) and sleeps to exactly
        ``started`` + the I/O's length; the I/O completes then, in real time, and at the
        time the schedule gives, for the policy.  (The report may come before the core has
        heard of the burst's end: it waits until then.)"""
        awaited = self.io_awaited.pop(job, None)
        if awaited is None:
            self.io_reported[job] = started
            return
        scheduled, io = awaited
        to_units = self.clock.to_units
        begun, deadline = to_units(started), to_units(started + io * self.unit)
        heapq.heappush(self.io_heap, (deadline, begun, job, scheduled))
        self.io_periods.append((job, begun, deadline))

    # -- what the core tells the dispatcher ------------------------------------------------------
    def _slice_ended(self, cpu: int, job: int, t: float, reason: int) -> None:
        """Record the slice as it really ran: up to the reported end of the burst, the moment
        the worker was stopped, or — for a job that goes on without a stop (an expiry nobody
        waits for, a restarted slice) — the instant's real time, a new slice starting then."""
        end: float
        restart: float | None = None
        if job == self.releasing or reason in (BLOCKED, FINISHED, WAITED):
            end = self.ended_at  # its burst or step ended, as the worker reported
        elif reason == RESLICED or (reason == EXPIRED and job in self.continuing):
            end = restart = self.real
        elif reason == ENDED_REASON:
            end = self._now_units()
        else:
            end = self.clock.to_units(self.held_at[job])
        self._record_slice(cpu, job, end, reason, restart)
        if reason == RESLICED:
            self.cpu_dispatched[cpu] = self.real
            return
        self.cpu_expiry[cpu] = INF

    def _end_daemon(self, job: int) -> None:
        """The core ended ``job``, a daemon whose parent finished.  Its worker is killed,
        holding what it holds — unless it is blocked in an event's ``wait()`` (a ``join``
        too): killed there it would leave the event's condition waiting for it, and every
        later ``set()`` would wait for ever; it is left there, asleep, and ignored.  Its
        joiners are let go."""
        assert self.sync is not None
        self.ended_daemons.add(job)
        self.finish[job] = ended = self._now_units()
        self.sync.cancel(job, ended)
        waiting = self.core.sync.waiting[job]  # type: ignore[attr-defined]
        if waiting is None or waiting.kind not in ("events", "join"):
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.os_pid[job], signal.SIGKILL)
        self.sync.primitives_done(job)

    def _take_off(self, cpu: int, job: int) -> bool:
        """Before a preemption: stop the worker; False if it ended its burst before the stop
        took effect (it is then released as the burst end it was)."""
        if self._hold([job]):
            self._end_burst(cpu, self.schedule_now)
            return False
        return True

    def _dispatched(self, cpu: int, job: int) -> None:
        """The core put ``job`` on ``cpu``: its worker is started after the instant, and its
        slice's expiry timer runs in real time from the instant's real time.  A process
        dispatched at synchronisation steps (or to finish after them) has reached them
        already: that is handled at once, as the end of a step of no CPU, and its worker is
        told what to do there rather than woken to say where it is."""
        self._set_expiry(cpu, self.real)
        self.cpu_dispatched[cpu] = self._now_units()
        if self.sync is not None and self._at_steps(job):
            now = time.monotonic()
            self.position[job] = self.core.pc[job]  # type: ignore[attr-defined]
            self.burst_report[job] = (now, 0.0)
            if self.first_run[job] is None:
                self.first_run[job] = self.clock.to_units(now)
            return
        self.starts.append((cpu, job))

    def _at_steps(self, job: int) -> bool:
        """Whether ``job``'s current step is not a ``cpu`` step (or it is past its last)."""
        core = self.core
        assert isinstance(core, ScriptedScheduler)
        script, pc = core.scripts[job], core.pc[job]
        return pc >= len(script) or script[pc].kind != CPU

    def _set_expiry(self, cpu: int, real: float) -> None:
        core = self.core
        self.cpu_expiry[cpu] = INF if core.cpu_completes[cpu] else real + core.cpu_slice[cpu]

    def _record_slice(
        self, cpu: int, job: int, end: float, reason: int, restart: float | None
    ) -> None:
        """Close the slice running on ``cpu`` at ``end`` (units); ``restart``: the job goes
        on running without a stop, a new slice starting then."""
        to_units = self.clock.to_units
        started = self.slice_started[job]
        # No report of running in this slice: the worker never got to run in it.
        start = to_units(started) if started is not None else end
        if end < start:
            end = start
        self.timeline.append(
            cpu,
            job,
            min(self.cpu_dispatched[cpu], start),
            start,
            end,
            self.core.cpu_level[cpu],
            reason,
        )
        self.on_cpu[job] += (end - start) * self.unit
        self.pending_start[job] = None
        self.slice_started[job] = None if restart is None else self.clock.to_monotonic(restart)

    # -- the physical side -----------------------------------------------------------------
    def _hold(self, jobs: Sequence[int]) -> set[int]:
        """Take ``jobs`` off their CPUs for real; return those that turned out to have
        finished their burst before the stop took effect (they are let go on at once)."""
        if not jobs:
            return set()
        if self.preemption == SIGNALS:
            for job in jobs:
                self.held_at[job] = time.monotonic()
                self._signal(job, signal.SIGSTOP)
            for job in jobs:
                self._await_stopped(job)
                self._drain(job)
        else:
            for job in jobs:
                self.held_at[job] = time.monotonic()
                self.events[job].clear()
            for job in jobs:
                self._await_paused(job)
        finished = set()
        for job in jobs:
            self.stops += 1
            if self.burst_report[job] is not None:
                finished.add(job)
                if self.preemption == SIGNALS:
                    self._signal(job, signal.SIGCONT)
                self.phys[job] = IDLE
            else:
                self.phys[job] = HELD
        return finished

    def _signal(self, job: int, number: int) -> None:
        try:
            os.kill(self.os_pid[job], number)
        except ProcessLookupError:
            self._drain(job)
            self._check_ended(job)

    def _await_stopped(self, job: int) -> None:
        """Wait until the kernel has stopped the worker (or it ended).  ``WNOWAIT`` leaves
        the worker's state for :mod:`multiprocessing` to collect; with a core of its own the
        dispatcher polls briefly first (a stop takes effect within microseconds, and
        sleeping in ``waitid`` would cost a wake-up)."""
        flags = os.WSTOPPED | os.WEXITED | os.WNOWAIT
        info = None
        try:
            if self.spin:
                give_up = time.monotonic() + SPIN_AFTER_SECONDS
                while info is None and time.monotonic() < give_up:
                    info = os.waitid(os.P_PID, self.os_pid[job], flags | os.WNOHANG)
            if info is None:
                info = os.waitid(os.P_PID, self.os_pid[job], flags)
        except ChildProcessError:
            info = None
        if info is None or info.si_code != os.CLD_STOPPED:
            self._drain(job)
            self._check_ended(job)

    def _await_paused(self, job: int) -> None:
        """Cooperative mode: wait until the worker says it paused (or ended its burst)."""
        connection = self.connections[job]
        deadline = time.monotonic() + HOLD_TIMEOUT_SECONDS
        while True:
            before = self.burst_report[job]
            left = deadline - time.monotonic()
            if left <= 0:
                raise ExecutionError(
                    f"worker for process {self._name(job)} did not yield its CPU within "
                    f"{HOLD_TIMEOUT_SECONDS:g} s of being asked to"
                )
            try:
                if not connection.poll(left):
                    continue
                message = unpack(connection.recv_bytes())
            except (EOFError, OSError):
                self._check_ended(job)
                continue
            self._handle(job, message)
            if message[0] == "paused" or (before is None and self.burst_report[job] is not None):
                return

    def _park(self, job: int) -> None:
        """``job`` left its CPU (for I/O, a wait, or the end): its worker is moved to the
        dispatcher's own core, when it has one, so that waking from its sleep or its wait —
        and reporting it — takes no time from the worker running on the CPU's core."""
        core = self.cores.dispatcher_core
        if core is None or self.pinned[job] == core or not hasattr(os, "sched_setaffinity"):
            return
        try:
            os.sched_setaffinity(self.os_pid[job], {core})
        except ProcessLookupError:
            self._check_ended(job)
        self.pinned[job] = core

    def _start(self, cpu: int, job: int, continuing: set[int], real: float) -> None:
        """Put ``job``'s worker to work on ``cpu``'s core (it may already be there)."""
        core = self.cores.cpu_cores[cpu]
        if job in continuing and self.phys[job] == ACTIVE and self.pinned[job] == core:
            self.slice_started[job] = self.clock.to_monotonic(real)
            return
        if self.pinned[job] != core and hasattr(os, "sched_setaffinity"):
            try:
                os.sched_setaffinity(self.os_pid[job], {core})
            except ProcessLookupError:
                self._check_ended(job)
            self.pinned[job] = core
        decided = time.monotonic()
        self.pending_start[job] = decided
        self.slice_started[job] = None
        self.expected_end[job] = decided + max(0.0, float(self.core.remaining[job])) * self.unit
        if self.phys[job] == HELD:
            if self.preemption == SIGNALS:
                self._signal(job, signal.SIGCONT)
            else:
                self.events[job].set()
                try:
                    self.connections[job].send_bytes(CONTINUE)
                except OSError:
                    self._check_ended(job)
        else:
            if self.preemption == COOPERATIVE:
                self.events[job].set()
            if self.sync is not None:
                self.sync.send(job, GO)  # after the synchronisation steps it is owed
            else:
                self._send_now(job, GO)
        self.phys[job] = ACTIVE

    def _send_now(self, job: int, message: bytes) -> None:
        try:
            self.connections[job].send_bytes(message)
        except OSError:
            self._check_ended(job)

    def _synchronisation(self) -> dict[str, Any]:
        """What a run of processes that synchronise measured, for the trace: every hold,
        wait and queue item in real time, each process's blocked time, the daemons ended,
        and the deadlock if the run ended in one (the core's wait-for cycle, at the real
        time it was found).  CPU and I/O are what each script says it did."""
        assert self.sync is not None
        core = self.core
        assert isinstance(core, ScriptedScheduler)
        stop = self._now_units() if self.deadlock is None else self.deadlock_found
        if self.deadlock is not None:
            self.sync.still_blocked(stop)
        state = self.sync.measured_state(self.workload.priority.tolist(), self.locks)
        blocked = [0.0] * self.n
        for wait in state.waits:
            blocked[wait.job] += (wait.to if wait.to is not None else stop) - wait.since
        out: dict[str, Any] = {
            "sync": state,
            "ended": [job in self.ended_daemons for job in range(self.n)],
            "blocked_time": blocked,
            "cpu_time": [core.cpu_done(job) for job in range(self.n)],
            "io_time": [core.io_done(job) for job in range(self.n)],
        }
        if self.deadlock is not None:
            out["deadlock"] = dataclasses.replace(self.deadlock, time=stop)
        return out

    # -- the end -------------------------------------------------------------------------------
    def _collect_exits(self) -> None:
        """Every process finished: collect the workers' statistics, then let them exit."""
        deadline = time.monotonic() + EXIT_TIMEOUT_SECONDS
        expected = [job for job in range(self.n) if job not in self.ended_daemons]
        while any(self.exited[job] is None for job in expected) and time.monotonic() < deadline:
            self._receive(min(0.05, max(0.0, deadline - time.monotonic())))
        for connection in self.connections:
            with contextlib.suppress(OSError):
                connection.send_bytes(QUIT)
        for job in expected:
            self.processes[job].join(max(0.0, deadline - time.monotonic()))
            self.gone[job] = True
        self._descriptor_cache = None

    def _trace(self) -> Trace:
        unit = self.unit
        stats = [stat or {} for stat in self.exited]
        finished = [value for value in self.finish if value is not None]
        span = (max(finished) - min(self.arrival_times)) if finished else 0.0
        lost = [
            max(0.0, held - cpu) / unit
            for cpu, held in zip(self.measured_cpu, self.on_cpu, strict=True)
        ]
        extra: dict[str, Any] = {
            "io_periods": self.io_periods,
            "measured_cpu_time": [seconds / unit for seconds in self.measured_cpu],
            "on_cpu_time": [seconds / unit for seconds in self.on_cpu],
            "cpu_share": [
                cpu / held if held > 0 else None
                for cpu, held in zip(self.measured_cpu, self.on_cpu, strict=True)
            ],
            "stolen_time": [seconds / unit for seconds in self.stolen],
            "lost_time": lost,
            "lost_share": sum(lost) / span if span > 0 else 0.0,
            "dispatch_latency_ms": summarize_ms(self.latencies),
            "reaction_ms": summarize_ms(self.reactions),
            "io_wake_lateness_ms": summarize_ms(self.io_lateness),
            "stops": self.stops,
            "kernel_switches": {
                "voluntary": sum(int(s.get("voluntary_switches", 0)) for s in stats),
                "involuntary": sum(int(s.get("involuntary_switches", 0)) for s in stats),
            },
            "involuntary_switches": [int(s.get("involuntary_switches", 0)) for s in stats],
            "cores": list(self.cores.cpu_cores),
            "dispatcher_core": self.cores.dispatcher_core,
        }
        extra["disturbances"] = disturbances(extra, self.unit)
        extra["disturbed"] = bool(extra["disturbances"])
        if self.sync is not None:
            extra.update(self._synchronisation())
        return Trace(
            first_run=list(self.first_run),
            finish=list(self.finish),
            switch_time=[0.0] * self.n,
            slices=list(self.core.slices),
            context_switches=self.core.switches,
            timeline=self.timeline,
            extra=extra,
        )


def summarize_ms(samples: Sequence[float]) -> dict[str, float | int | None]:
    """p50 / p99 / max of a list of seconds, in milliseconds."""
    if not samples:
        return {"count": 0, "p50": None, "p99": None, "max": None}
    values = np.asarray(samples) * 1e3
    return {
        "count": len(values),
        "p50": round(float(np.percentile(values, 50)), 4),
        "p99": round(float(np.percentile(values, 99)), 4),
        "max": round(float(values.max()), 4),
    }


def disturbances(extra: dict[str, Any], unit_seconds: float) -> list[str]:
    """Why this run's numbers should not be trusted (empty when they can be).

    The symptoms of a machine busy with other work: workers started long after the
    dispatcher decided (dispatch latency) or the dispatcher decided long after the events
    (reaction: its own core was busy), and workers that held a CPU without getting its
    time — one worker's share well below 1, or CPU time lost across the run — because
    something else ran on their core.  On an idle machine (2-core VM, 10 ms unit) latency
    and reaction p99 stay under 0.7 ms, shares above 0.95 and the time lost under 1% of
    the run."""
    found = []
    limit_ms = max(DISTURBED_LATENCY_SECONDS, DISTURBED_LATENCY_UNITS * unit_seconds) * 1e3
    for key, what in (("dispatch_latency_ms", "dispatch latency"), ("reaction_ms", "reaction")):
        p99 = extra.get(key, {}).get("p99")
        if p99 is not None and p99 > limit_ms:
            found.append(f"{what} p99 {p99:.2f} ms is above {limit_ms:.2f} ms")
    shares = [share for share in extra.get("cpu_share", []) if share is not None]
    if shares and min(shares) < DISTURBED_CPU_SHARE:
        worst = min(shares)
        found.append(
            f"a worker got only {100 * worst:.0f}% of the CPU time while it held a CPU "
            f"(below {100 * DISTURBED_CPU_SHARE:.0f}%): something else ran on its core"
        )
    lost_share = extra.get("lost_share", 0.0)
    if lost_share > DISTURBED_LOST_SHARE:
        found.append(
            f"workers lost {100 * lost_share:.1f}% of the run's time to other programs "
            f"while holding a CPU (above {100 * DISTURBED_LOST_SHARE:.0f}%)"
        )
    return found


def _context() -> Any:
    """``fork`` where it exists: fast start-up, and no semaphore tracker process."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")
