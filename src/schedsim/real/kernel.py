"""Kernel mode: the operating system's scheduler decides, schedsim only releases and watches.

Each worker is pinned to the run's cores and, at its arrival time, told to go; from then on
it burns its CPU bursts and sleeps through its I/O on its own, and Linux decides who runs:

``other``  ``SCHED_OTHER``, the default time-sharing class (CFS, EEVDF since Linux 6.6);
``fifo``   ``SCHED_FIFO``: real-time, run until blocking or exit, in the order ready (all
           at one priority; processes that synchronise at their workload priorities,
           mapped to real-time ones, see :mod:`schedsim.real.kernel_sync`);
``rr``     ``SCHED_RR``: ``SCHED_FIFO`` with a time slice
           (``/proc/sys/kernel/sched_rr_timeslice_ms``, 100 ms by default).

The real-time classes need privilege (root or CAP_SYS_NICE); without it the run is refused
with a clear message.  They also need a core the workers do not use, so that a spinning
real-time worker can never starve the dispatcher.

What was measured: each worker records when it actually ran (every jump of its clock longer
than a threshold is a time the kernel ran something else, and ``sched_getcpu`` says where),
which gives the measured timeline, and reports the kernel's own scheduler statistics from
``/proc/self/schedstat`` — CPU time, time spent waiting on a run queue, and the number of
timeslices.

The comparison is with the policy closest to the kernel's: ``fifo`` → ``fcfs``
(``priority --preemptive`` for processes that synchronise); ``rr`` → ``rr`` with the
kernel's timeslice converted to time units; ``other`` → ``eevdf`` with this kernel's base
slice, tick and HRTICK (see :mod:`schedsim.real.linux`) on Linux 6.6 and later, else
``fair`` (the CFS model) with the classic CFS latency 6 ms and minimum granularity 0.75 ms in
time units.

Each worker gets its process's ``nice`` and ``slice`` (SCHED_OTHER only) before time zero,
through ``sched_setattr``; workers are started one at a time, so each waits for time zero
with no lag.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import select
import signal
import statistics
import time
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, NoReturn

import numpy as np

from schedsim.errors import ExecutionError, OptionError
from schedsim.policies import Policy, make_policy
from schedsim.program import CPU, IO
from schedsim.real.dispatcher import STARTUP_SECONDS, _context, summarize_ms
from schedsim.real.kernel_sync import KernelSynchronisation, kernel_locks, realtime_priorities
from schedsim.real.linux import (
    FairScheduler,
    exact_slices,
    fair_scheduler,
    next_tick_edge,
    nice_number,
    set_nice_and_slice,
)
from schedsim.real.messages import GO, QUIT, unpack
from schedsim.real.plan import CorePlan, format_unit
from schedsim.real.safety import ParentSession, describe_exit, sigint_blocked
from schedsim.real.worker import KERNEL, WorkerSpec, worker_main
from schedsim.trace import BLOCKED, FINISHED, PREEMPTED, STEPPED, WAITED, Timeline, Trace
from schedsim.workload import NO_SLICE, Workload

KERNEL_POLICIES = ("other", "fifo", "rr")
KERNEL_GAP_SECONDS = 0.0002  # a clock jump longer than this: the kernel ran something else
RT_PRIORITY = 1
DEFAULT_RR_TIMESLICE_MS = 100.0
CFS_LATENCY_SECONDS = 0.006
CFS_MIN_GRANULARITY_SECONDS = 0.00075
PROBE_BURST_SECONDS = 0.03


def rr_timeslice_seconds() -> float:
    """The kernel's SCHED_RR timeslice."""
    try:
        with open("/proc/sys/kernel/sched_rr_timeslice_ms") as handle:
            milliseconds = float(handle.read().split()[0])
        if milliseconds > 0:
            return milliseconds / 1e3
    except (OSError, ValueError, IndexError):
        pass
    return DEFAULT_RR_TIMESLICE_MS / 1e3


def counterpart(
    kernel_policy: str,
    unit_seconds: float,
    synchronising: bool = False,
    scheduler: FairScheduler | None = None,
) -> tuple[Policy, str]:
    """The policy to compare ``kernel_policy`` with, and why it is that one (``scheduler``:
    the SCHED_OTHER class to model, by default this machine's)."""
    unit = format_unit(unit_seconds)
    if kernel_policy == "fifo" and synchronising:
        return make_policy("priority", preemptive=True), (
            "priority --preemptive: SCHED_FIFO at real-time priorities mapped from the "
            "workload's runs the most urgent ready process until it blocks or ends"
        )
    if kernel_policy == "fifo":
        return make_policy("fcfs"), "fcfs: SCHED_FIFO runs each process until it blocks or ends"
    if kernel_policy == "rr":
        quantum = rr_timeslice_seconds() / unit_seconds
        return (
            make_policy("rr", quantum=nice_number(quantum)),
            f"rr with the kernel's SCHED_RR timeslice ({rr_timeslice_seconds() * 1e3:g} ms = "
            f"{nice_number(quantum):g} units of {unit})",
        )
    scheduler = scheduler or fair_scheduler()
    if scheduler.eevdf:
        options = scheduler.eevdf_options(unit_seconds)
        return (
            make_policy("eevdf", **options),
            f"eevdf (the model of {scheduler.name}'s EEVDF) with "
            + scheduler.describe(unit_seconds),
        )
    policy = cfs_model(unit_seconds)
    latency, granularity = policy.settings["target_latency"], policy.settings["min_granularity"]
    return (
        policy,
        f"fair (the CFS model; {scheduler.name} runs CFS) with CFS's classic 6 ms latency and "
        f"0.75 ms minimum granularity ({latency:g} and {granularity:g} units of {unit})",
    )


_probed: dict[tuple[int, int, int], float] = {}


def slice_ends(scheduler: FairScheduler, cores: CorePlan) -> FairScheduler:
    """``scheduler`` with whether the kernel runs with HRTICK, measured: two CPU-bound nice-0
    workers run against each other for 30 ms each on the run's first core, and the median
    length of their runs tells whether a slice ends one request after the switch (HRTICK)
    or at a tick.  Measured once per process and core."""
    if not scheduler.eevdf or not scheduler.hz or scheduler.base_slice_ns is None:
        return scheduler
    key = (cores.cpu_cores[0], scheduler.base_slice_ns, scheduler.hz)
    if key not in _probed:
        probe = Workload.from_processes(
            [{"pid": pid, "bursts": [PROBE_BURST_SECONDS * 1000]} for pid in ("P1", "P2")],
            name="slice-probe",
        )
        single = CorePlan(cores.cpu_cores[:1], cores.dispatcher_core)
        trace = KernelRun(probe, "other", cpus=1, unit_seconds=0.001, cores=single).run()
        assert trace.timeline is not None
        arrays = trace.timeline.arrays()
        runs = [
            end - start
            for start, end, reason in zip(
                arrays["start"].tolist(),
                arrays["end"].tolist(),
                arrays["reason"].tolist(),
                strict=True,
            )
            if reason == PREEMPTED
        ]
        _probed[key] = statistics.median(runs) if runs else PROBE_BURST_SECONDS * 2000
    run_ms = _probed[key]
    exact = exact_slices(run_ms, scheduler.base_slice_ns, scheduler.hz)
    return dataclasses.replace(scheduler, exact_slices=exact, probe_run_ms=run_ms)


def cfs_model(unit_seconds: float) -> Policy:
    """``fair`` with CFS's classic 6 ms latency and 0.75 ms granularity in time units."""
    return make_policy(
        "fair",
        target_latency=nice_number(CFS_LATENCY_SECONDS / unit_seconds),
        min_granularity=nice_number(CFS_MIN_GRANULARITY_SECONDS / unit_seconds),
    )


class KernelRun:
    """One run of ``workload`` under the kernel's ``kernel_policy``.  Use :meth:`run` once."""

    def __init__(
        self,
        workload: Workload,
        kernel_policy: str,
        *,
        cpus: int,
        unit_seconds: float,
        cores: CorePlan,
        expected_seconds: float = 1.0,
        locks: str = "none",
    ) -> None:
        if kernel_policy not in KERNEL_POLICIES:
            raise OptionError(
                f"--kernel-policy: choose one of {', '.join(KERNEL_POLICIES)}, "
                f"got {kernel_policy!r}"
            )
        if kernel_policy != "other" and not cores.dispatcher_has_own_core:
            raise OptionError(
                f"--kernel-policy {kernel_policy}: real-time workers need a core the "
                f"dispatcher does not share, and --cpus {cpus} uses every core schedsim may "
                f"use; run with --cpus {cpus - 1 or 1} or fewer"
                if cpus > 1
                else f"--kernel-policy {kernel_policy}: needs a machine with at least 2 cores "
                "(one for the workers, one for schedsim)"
            )
        self.workload = workload
        self.kernel_policy = kernel_policy
        self.cpus = cpus
        self.unit = unit_seconds
        self.cores = cores
        self.n = len(workload)
        self.overrun_seconds = 3 * expected_seconds + 10.0
        self.seconds = [tuple(v * unit_seconds for v in workload.bursts(i)) for i in range(self.n)]
        self.locks = locks
        self.rt_priority = [RT_PRIORITY] * self.n
        self.sync: KernelSynchronisation | None = None
        self.lock_objects: list[Any] | None = None
        self.steps: list[tuple[tuple[int, float], ...] | None] = [None] * self.n
        program = workload.program
        if program is not None:
            if kernel_policy == "fifo":  # fixed priorities meet the locks
                self.rt_priority = realtime_priorities(workload.priority.tolist())
            self.sync = KernelSynchronisation(workload, self._to_units, unit_seconds)
            self.steps = [self.sync.step_seconds(job, unit_seconds) for job in range(self.n)]
            self.seconds = [
                tuple(value if kind in (CPU, IO) else 0.0 for kind, value in steps)
                for steps in self.steps
                if steps is not None
            ]
            self.lock_objects = kernel_locks(program, locks, self.rt_priority, kernel_policy)
        order = np.argsort(workload.arrival, kind="stable")
        self.arrival_order: list[int] = order.tolist()
        self.arrival_times: list[float] = workload.arrival[order].tolist()
        self.processes: list[BaseProcess] = []
        self.connections: list[Connection] = []
        self.os_pid = [0] * self.n
        self.bursts: list[list[tuple[float, float, list[tuple[float, float, int]]]]] = [
            [] for _ in range(self.n)
        ]
        self.io_periods: list[tuple[int, float, float]] = []
        self.io_lateness: list[float] = []
        self.release_lateness: list[float] = []
        self.exited: list[dict[str, Any] | None] = [None] * self.n
        self.burst_positions: list[list[int]] = [[] for _ in range(self.n)]
        self.step_ended = [0.0] * self.n  # when each worker last completed a step (monotonic)
        self.ended_at: dict[int, float] = {}  # daemons ended, and when (monotonic)
        self.deadlock_at: float | None = None
        self.t0 = 0.0

    def _to_units(self, monotonic: float) -> float:
        return (monotonic - self.t0) / self.unit

    def run(self) -> Trace:
        session = ParentSession(self.processes, self.connections)
        try:
            self._start_workers()
            self._set_scheduler()
            session.settle(self.cores.dispatcher_core)
            self._release_and_watch()
            return self._trace()
        finally:
            session.close()

    def _start_workers(self) -> None:
        """Start the workers one after the other, each once the previous one waits for time
        zero: a worker then blocks alone on its core, so it leaves the run queue with no lag
        (EEVDF keeps a sleeper's lag, and the model places every arrival with none)."""
        context = _context()
        parent = os.getpid()
        primitives = None
        if self.sync is not None:
            primitives = self.sync.measurement.primitives(context, self.lock_objects)
        deadline = time.monotonic() + STARTUP_SECONDS + 0.05 * self.n
        for job in range(self.n):
            spec = WorkerSpec(
                index=job,
                pid=self.workload.pid[job],
                bursts=self.seconds[job],
                cores=self.cores.cpu_cores,
                parent_pid=parent,
                mechanism=KERNEL,
                gap_seconds=KERNEL_GAP_SECONDS,
                chunk_seconds=0.0,
                kernel_policy=self.kernel_policy,
                steps=self.steps[job],
            )
            with sigint_blocked():
                ours, theirs = context.Pipe(duplex=True)
                process = context.Process(
                    target=worker_main,
                    args=(spec, theirs, None, None, primitives),
                    name=f"schedsim-worker-{self.workload.pid[job]}",
                    daemon=True,
                )
                self.processes.append(process)
                self.connections.append(ours)
                process.start()
                theirs.close()
            waiting = {job}
            while waiting:
                if time.monotonic() > deadline:
                    raise ExecutionError(
                        f"worker {job + 1} of {self.n} did not start within "
                        f"{STARTUP_SECONDS + 0.05 * self.n:g} s"
                    )
                self._receive(0.05, waiting=waiting)

    def _set_scheduler(self) -> None:
        if self.kernel_policy == "other":
            self._set_nice_and_slices()
            return
        kind = {"fifo": "SCHED_FIFO", "rr": "SCHED_RR"}[self.kernel_policy]
        number = getattr(os, kind, None)
        if number is None or not hasattr(os, "sched_setscheduler"):
            raise ExecutionError(f"--kernel-policy {self.kernel_policy}: {kind} is not available")
        for job in range(self.n):
            try:
                os.sched_setscheduler(
                    self.os_pid[job], number, os.sched_param(self.rt_priority[job])
                )
            except PermissionError:
                raise ExecutionError(
                    f"--kernel-policy {self.kernel_policy}: the kernel refused {kind} "
                    "(operation not permitted); run as root or with CAP_SYS_NICE, or use "
                    "--kernel-policy other"
                ) from None
            except OSError as error:
                raise ExecutionError(
                    f"--kernel-policy {self.kernel_policy}: the kernel refused {kind}: "
                    f"{error.strerror or error}"
                ) from None

    def _set_nice_and_slices(self) -> None:
        """Each worker's nice and slice (in ns), set while it waits for time zero."""
        nices = self.workload.nice.tolist()
        slices = self.workload.slice.tolist()
        for job in range(self.n):
            if nices[job] == 0 and slices[job] == NO_SLICE:
                continue
            slice_ns = round(slices[job] * self.unit * 1e9) if slices[job] != NO_SLICE else None
            set_nice_and_slice(self.os_pid[job], int(nices[job]), slice_ns)

    def _release_and_watch(self) -> None:
        self.t0 = next_tick_edge(time.monotonic() + 0.002)  # the model's ticks are the kernel's
        overrun_at = self.t0 + self.overrun_seconds
        cursor = 0
        while not self._all_done():
            now = time.monotonic()
            if now > overrun_at:
                raise ExecutionError(
                    f"the run has taken {now - self.t0:.1f} s, far more than expected; it was "
                    "stopped (is the machine overloaded?)"
                )
            while cursor < self.n and self.t0 + self.arrival_times[cursor] * self.unit <= now:
                job = self.arrival_order[cursor]
                due = self.t0 + self.arrival_times[cursor] * self.unit
                self.connections[job].send_bytes(GO)
                self.release_lateness.append(time.monotonic() - due)
                cursor += 1
            if self._deadlocked(now, cursor == self.n):
                return  # the workers blocked for ever are ended with the run
            if cursor < self.n:
                wait = self.t0 + self.arrival_times[cursor] * self.unit - time.monotonic()
            else:
                wait = 0.25 if self.sync is None else 0.01
            self._receive(min(0.25, max(0.0, wait)))
        for connection in self.connections:
            with contextlib.suppress(OSError):
                connection.send_bytes(QUIT)

    def _all_done(self) -> bool:
        return all(stat is not None or job in self.ended_at for job, stat in enumerate(self.exited))

    def _unfinished(self) -> list[int]:
        return [
            job for job in range(self.n) if self.exited[job] is None and job not in self.ended_at
        ]

    def _deadlocked(self, now: float, all_arrived: bool) -> bool:
        """Synchronising workers: whether every unfinished one has been blocked in a
        primitive's call for a while (the deadlock is then recorded)."""
        if self.sync is None:
            return False
        unfinished = self._unfinished()
        if not self.sync.check_deadlock(now, unfinished, all_arrived):
            return False
        alive = [job in unfinished for job in range(self.n)]
        self.deadlock_at = self.sync.found_deadlock(unfinished, alive)
        return True

    def _finished(self, job: int) -> None:
        """A synchronising worker finished its script: its daemons are ended (killed, unless
        asleep in an event's wait, where they are left, ignored)."""
        assert self.sync is not None
        for daemon in self.sync.daemons_to_end(job):
            now = time.monotonic()
            self.ended_at[daemon] = now
            if self.sync.end_daemon(daemon, self._to_units(now)):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.os_pid[daemon], signal.SIGKILL)

    def _receive(self, timeout: float, *, waiting: set[int] | None = None) -> None:
        watched: dict[int, tuple[int, bool]] = {}
        for job in range(len(self.processes)):  # those started so far
            if job in self.ended_at:
                continue  # a daemon ended (killed, or left asleep): not watched any more
            watched[self.connections[job].fileno()] = (job, False)
            watched[self.processes[job].sentinel] = (job, True)
        readable, _, _ = select.select(list(watched), [], [], timeout)
        for fd in readable:
            job, is_sentinel = watched[fd]
            connection = self.connections[job]
            try:
                while connection.poll():
                    self._handle(job, unpack(connection.recv_bytes()), waiting)
            except (EOFError, OSError):
                self._died(job)
            if is_sentinel:
                self._died(job)

    def _handle(self, job: int, message: tuple[Any, ...], waiting: set[int] | None) -> None:
        kind = message[0]
        if self.sync is not None and self.sync.handle(job, message):
            if kind == "did":
                self.step_ended[job] = max(self.step_ended[job], message[2])
            return  # a synchronisation step: blocking, or done
        if kind == "ready":
            self.os_pid[job] = int(message[1])
            if waiting is not None:
                waiting.discard(job)
        elif kind == "burst":
            self.bursts[job].append((message[2], message[3], [tuple(i) for i in message[4]]))
            self.burst_positions[job].append(int(message[1]))
            self.step_ended[job] = max(self.step_ended[job], message[2])
        elif kind == "io_start":
            started = message[2]
            self.io_periods.append((job, started, started + self.seconds[job][message[1]]))
        elif kind == "io":
            self.io_lateness.append(message[3] - message[2])
            self.step_ended[job] = max(self.step_ended[job], message[3])
        elif kind == "exit":
            self.exited[job] = message[1]
            if self.sync is not None and job not in self.ended_at:
                self._finished(job)
        elif kind == "error":
            raise ExecutionError(
                f"worker for process {self.workload.pid[job]} (#{job + 1}) failed: {message[1]}"
            )

    def _died(self, job: int) -> NoReturn:
        process = self.processes[job]
        process.join(1.0)
        when = f" at t={(time.monotonic() - self.t0) / self.unit:.2f}" if self.t0 else ""
        held = self.sync.measurement.held_by(job) if self.sync is not None else []
        holding = f" holding {', '.join(held)}" if held else ""
        raise ExecutionError(
            f"worker for process {self.workload.pid[job]} (#{job + 1}, os pid {process.pid}) "
            f"{describe_exit(process.exitcode)}{when}{holding}; the run was abandoned and the "
            "other workers were stopped"
        )

    def _end_reason(self, job: int, position: int) -> int:
        """Why the ``cpu`` step at ``position`` left the CPU: the I/O or the wait that
        follows it, or the end of the script; STEPPED when it went on to another ``cpu``
        step through synchronisation steps that did not block."""
        script = self.steps[job]
        if script is None:  # bursts: CPU and I/O alternate
            return BLOCKED if position + 1 < len(self.seconds[job]) else FINISHED
        assert self.sync is not None
        waited = {wait.position for wait in self.sync.measurement.waits if wait.job == job}
        for later in range(position + 1, len(script)):
            kind = script[later][0]
            if kind == IO:
                return BLOCKED
            if kind == CPU:
                return STEPPED
            if later in waited:
                return WAITED
        return FINISHED

    def _trace(self) -> Trace:
        unit = self.unit
        t0 = self.t0
        cores = list(self.cores.cpu_cores)
        records: list[tuple[float, int, int, float, int]] = []  # end, cpu, job, start, reason
        first_run: list[float | None] = [None] * self.n
        finish: list[float | None] = [None] * self.n
        slices = [0] * self.n
        measured_cpu = [0.0] * self.n
        on_cpu = [0.0] * self.n
        for job, bursts in enumerate(self.bursts):
            for number, (_, used, intervals) in enumerate(bursts):
                measured_cpu[job] += used
                ending = self._end_reason(job, self.burst_positions[job][number])
                for position, (start, end, core) in enumerate(intervals):
                    cpu = cores.index(core) if core in cores else 0
                    reason = ending if position == len(intervals) - 1 else PREEMPTED
                    records.append(((end - t0) / unit, cpu, job, (start - t0) / unit, reason))
                    on_cpu[job] += end - start
                    slices[job] += 1
            if job in self.ended_at:
                finish[job] = (self.ended_at[job] - t0) / unit
            elif self.exited[job] is not None:
                finish[job] = (self.step_ended[job] - t0) / unit
            if bursts:
                first_run[job] = (bursts[0][2][0][0] - t0) / unit
            elif finish[job] is not None:
                first_run[job] = finish[job]
        records.sort()
        timeline = Timeline()
        last_on_cpu: dict[int, int] = {}
        switches = 0
        for _, cpu, job, _, _ in sorted(records, key=lambda record: (record[3], record[1])):
            if last_on_cpu.get(cpu) != job:
                switches += 1
                last_on_cpu[cpu] = job
        for end, cpu, job, start, reason in records:
            timeline.append(cpu, job, start, start, end, -1, reason)
        stats = [stat or {} for stat in self.exited]
        schedstat = [stat.get("schedstat") for stat in stats]
        extra: dict[str, Any] = {
            "io_periods": [
                (job, (start - t0) / unit, (end - t0) / unit) for job, start, end in self.io_periods
            ],
            "measured_cpu_time": [seconds / unit for seconds in measured_cpu],
            "on_cpu_time": [seconds / unit for seconds in on_cpu],
            "release_lateness_ms": summarize_ms(self.release_lateness),
            "io_wake_lateness_ms": summarize_ms(self.io_lateness),
            "kernel_switches": {
                "voluntary": sum(int(s.get("voluntary_switches", 0)) for s in stats),
                "involuntary": sum(int(s.get("involuntary_switches", 0)) for s in stats),
            },
            "involuntary_switches": [int(s.get("involuntary_switches", 0)) for s in stats],
            "schedstat": {
                "cpu_time": [None if s is None else s["cpu_seconds"] / unit for s in schedstat],
                "run_queue_wait": [
                    None if s is None else s["wait_seconds"] / unit for s in schedstat
                ],
                "timeslices": [None if s is None else s["timeslices"] for s in schedstat],
            },
            "cores": cores,
            "dispatcher_core": self.cores.dispatcher_core,
            "disturbances": [],
            "disturbed": False,
        }
        if self.sync is not None:
            stop = time.monotonic() if self.deadlock_at is None else self.deadlock_at
            extra.update(self.sync.trace_extra((stop - t0) / unit, self.locks))
            extra["rt_priorities"] = list(self.rt_priority)
        return Trace(
            first_run=first_run,
            finish=finish,
            switch_time=[0.0] * self.n,
            slices=slices,
            context_switches=switches,
            timeline=timeline,
            extra=extra,
        )
