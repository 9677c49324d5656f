"""Kernel mode: the operating system's scheduler decides, schedsim only releases and watches.

Each worker is pinned to the run's cores and, at its arrival time, told to go; from then on
it burns its CPU bursts and sleeps through its I/O on its own, and Linux decides who runs:

``other``  ``SCHED_OTHER``, the default time-sharing class (CFS, EEVDF since Linux 6.6);
``fifo``   ``SCHED_FIFO``: real-time, run until blocking or exit, in the order ready;
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

The comparison is with the textbook policy closest to the kernel's: ``fifo`` → ``fcfs``;
``rr`` → ``rr`` with the kernel's timeslice converted to time units; ``other`` → ``fair``
(the CFS model) with the classic CFS latency 6 ms and minimum granularity 0.75 ms in time
units, or, where that policy is not available, ``rr`` with a 3 ms quantum.
"""

from __future__ import annotations

import contextlib
import os
import select
import time
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, NoReturn

import numpy as np

from schedsim.errors import ExecutionError, OptionError
from schedsim.policies import REGISTRY, Policy, make_policy
from schedsim.real.dispatcher import STARTUP_SECONDS, _context, summarize_ms
from schedsim.real.messages import GO, QUIT, unpack
from schedsim.real.plan import CorePlan, format_unit
from schedsim.real.safety import ParentSession, describe_exit, sigint_blocked
from schedsim.real.worker import KERNEL, WorkerSpec, worker_main
from schedsim.trace import BLOCKED, FINISHED, PREEMPTED, Timeline, Trace
from schedsim.workload import Workload

KERNEL_POLICIES = ("other", "fifo", "rr")
KERNEL_GAP_SECONDS = 0.0002  # a clock jump longer than this: the kernel ran something else
RT_PRIORITY = 1
DEFAULT_RR_TIMESLICE_MS = 100.0
CFS_LATENCY_SECONDS = 0.006
CFS_MIN_GRANULARITY_SECONDS = 0.00075
FALLBACK_QUANTUM_SECONDS = 0.003


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


def counterpart(kernel_policy: str, unit_seconds: float) -> tuple[Policy, str]:
    """The textbook policy to compare ``kernel_policy`` with, and why it is that one."""
    unit = format_unit(unit_seconds)
    if kernel_policy == "fifo":
        return make_policy("fcfs"), "fcfs: SCHED_FIFO runs each process until it blocks or ends"
    if kernel_policy == "rr":
        quantum = rr_timeslice_seconds() / unit_seconds
        return (
            make_policy("rr", quantum=_nice_number(quantum)),
            f"rr with the kernel's SCHED_RR timeslice ({rr_timeslice_seconds() * 1e3:g} ms = "
            f"{_nice_number(quantum):g} units of {unit})",
        )
    if "fair" in REGISTRY:
        latency = _nice_number(CFS_LATENCY_SECONDS / unit_seconds)
        granularity = _nice_number(CFS_MIN_GRANULARITY_SECONDS / unit_seconds)
        return (
            make_policy("fair", target_latency=latency, min_granularity=granularity),
            f"fair (the CFS model) with CFS's classic 6 ms latency and 0.75 ms minimum "
            f"granularity ({latency:g} and {granularity:g} units of {unit})",
        )
    quantum = _nice_number(FALLBACK_QUANTUM_SECONDS / unit_seconds)
    return (
        make_policy("rr", quantum=quantum),
        f"rr with a 3 ms quantum ({quantum:g} units of {unit}): SCHED_OTHER shares the CPU "
        "in slices of a few milliseconds",
    )


def _nice_number(value: float) -> float | int:
    rounded = round(value, 6)
    return int(rounded) if float(rounded).is_integer() else rounded


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
        self.t0 = 0.0

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
        context = _context()
        parent = os.getpid()
        with sigint_blocked():
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
                )
                ours, theirs = context.Pipe(duplex=True)
                process = context.Process(
                    target=worker_main,
                    args=(spec, theirs),
                    name=f"schedsim-worker-{self.workload.pid[job]}",
                    daemon=True,
                )
                self.processes.append(process)
                self.connections.append(ours)
                process.start()
                theirs.close()
        deadline = time.monotonic() + STARTUP_SECONDS + 0.05 * self.n
        waiting = set(range(self.n))
        while waiting:
            if time.monotonic() > deadline:
                raise ExecutionError(
                    f"{len(waiting)} worker(s) did not start within {STARTUP_SECONDS:g} s"
                )
            self._receive(0.05, waiting=waiting)

    def _set_scheduler(self) -> None:
        if self.kernel_policy == "other":
            return
        kind = {"fifo": "SCHED_FIFO", "rr": "SCHED_RR"}[self.kernel_policy]
        number = getattr(os, kind, None)
        if number is None or not hasattr(os, "sched_setscheduler"):
            raise ExecutionError(f"--kernel-policy {self.kernel_policy}: {kind} is not available")
        for job in range(self.n):
            try:
                os.sched_setscheduler(self.os_pid[job], number, os.sched_param(RT_PRIORITY))
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

    def _release_and_watch(self) -> None:
        self.t0 = time.monotonic() + 0.002
        overrun_at = self.t0 + self.overrun_seconds
        cursor = 0
        while not all(stat is not None for stat in self.exited):
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
            if cursor < self.n:
                wait = self.t0 + self.arrival_times[cursor] * self.unit - time.monotonic()
            else:
                wait = 0.25
            self._receive(min(0.25, max(0.0, wait)))
        for connection in self.connections:
            with contextlib.suppress(OSError):
                connection.send_bytes(QUIT)

    def _receive(self, timeout: float, *, waiting: set[int] | None = None) -> None:
        watched: dict[int, tuple[int, bool]] = {}
        for job in range(self.n):
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
        if kind == "ready":
            self.os_pid[job] = int(message[1])
            if waiting is not None:
                waiting.discard(job)
        elif kind == "burst":
            self.bursts[job].append((message[2], message[3], [tuple(i) for i in message[4]]))
            position = message[1]
            if position + 1 < len(self.seconds[job]):
                end = message[2]
                self.io_periods.append((job, end, end + self.seconds[job][position + 1]))
        elif kind == "io":
            self.io_lateness.append(message[3] - message[2])
        elif kind == "exit":
            self.exited[job] = message[1]
        elif kind == "error":
            raise ExecutionError(
                f"worker for process {self.workload.pid[job]} (#{job + 1}) failed: {message[1]}"
            )

    def _died(self, job: int) -> NoReturn:
        process = self.processes[job]
        process.join(1.0)
        when = f" at t={(time.monotonic() - self.t0) / self.unit:.2f}" if self.t0 else ""
        raise ExecutionError(
            f"worker for process {self.workload.pid[job]} (#{job + 1}, os pid {process.pid}) "
            f"{describe_exit(process.exitcode)}{when}; the run was abandoned and the other "
            "workers were stopped"
        )

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
                last_burst = number == len(bursts) - 1
                for position, (start, end, core) in enumerate(intervals):
                    cpu = cores.index(core) if core in cores else 0
                    final = position == len(intervals) - 1
                    reason = (FINISHED if last_burst else BLOCKED) if final else PREEMPTED
                    records.append(((end - t0) / unit, cpu, job, (start - t0) / unit, reason))
                    on_cpu[job] += end - start
                    slices[job] += 1
            if bursts:
                first_run[job] = (bursts[0][2][0][0] - t0) / unit
                finish[job] = (bursts[-1][0] - t0) / unit
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
        return Trace(
            first_run=first_run,
            finish=finish,
            switch_time=[0.0] * self.n,
            slices=slices,
            context_switches=switches,
            timeline=timeline,
            extra=extra,
        )
