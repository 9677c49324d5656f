"""Kernel mode with ``SCHED_DEADLINE``: Linux's own EDF runs the periodic tasks.

One worker process per *task* (not per job): it sets its own scheduling class with
``sched_setattr`` after it starts — a SCHED_DEADLINE task may not fork, so nothing is
forked after — and then, for each of its jobs, sleeps until the job's release, burns the
job's wcet of CPU (its own CPU time, so time the kernel gives others does not count) and
reports when it really ran.  The kernel gives each worker a runtime of its wcet plus a
small margin for the worker's own overhead (so the constant-bandwidth server does not
throttle a job for a few microseconds of Python), a deadline and a period as the task
says.  Everything else is the kernel's: who runs, when, on which CPU.

The CPUs: ``--cpus 1`` on a machine with more runs the workers in an exclusive one-CPU
cpuset, a root domain of its own (:mod:`schedsim.real.kernel_settings`, which also puts
every setting back however the run ends); ``--cpus`` equal to every CPU runs them over the
whole machine, where the kernel does global EDF.  Any other count is refused: the kernel
has no EDF over part of a root domain.  The simulation it is compared with is ``edf`` on as
many CPUs.

Ties: two jobs with the same absolute deadline are ordered by the kernel by nanoseconds of
wake-up latency — at random, run to run.  To make runs repeatable and comparable with the
simulator's rule (the job released first, then file order; for equal deadlines that is the
task with the longer relative deadline, then the task written first), each worker's
deadline as the kernel knows it is ``TIE_STEP_SECONDS`` shorter than that of the task after
it in that order: 0.3 ms apart, far below a time unit, far above wake-up jitter.  Releases,
response times and misses are the tasks' own.

``--on-miss abort-job``: a worker stops burning a job the moment its deadline passes, and
the job is ended there, as in the simulator.  (``continue``: a late job runs to its end and
the next one starts when it is done — on one CPU EDF runs them in that order anyway.)
"""

from __future__ import annotations

import contextlib
import math
import os
import select
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, NoReturn

from schedsim.errors import ExecutionError, OptionError
from schedsim.real.burn import burn_observed, core_reader
from schedsim.real.dispatcher import STARTUP_SECONDS, _context
from schedsim.real.kernel_settings import KernelSettings
from schedsim.real.plan import allowed_cores, format_unit
from schedsim.real.safety import (
    ParentSession,
    describe_exit,
    die_with_parent,
    ignore_interrupts_in_worker,
    set_timer_slack,
    sigint_blocked,
)
from schedsim.real.sched_deadline import (
    MIN_RUNTIME_NS,
    describe_errno,
    period_limits_seconds,
    privilege_problem,
    set_deadline,
)
from schedsim.realtime.tasks import APERIODIC
from schedsim.trace import ABORTED, FINISHED, PREEMPTED, Timeline, Trace
from schedsim.workload import Workload

GAP_SECONDS = 0.0002  # a clock jump longer than this: the kernel ran something else
STOLEN_SHARE = 0.01  # CPU lost to other work beyond this share of the run: disturbed
RUNTIME_MARGIN = 0.02  # budget above the wcet, as a share of it ...
RUNTIME_SLACK_SECONDS = 0.001  # ... plus this, for the worker's own overhead
START_DELAY_SECONDS = 0.1  # time zero is this long after the longest deadline has passed
TIE_STEP_SECONDS = 0.0003  # kernel deadlines of tasks in tie order are this far apart
EBUSY, EPERM = 16, 1


@dataclass(frozen=True)
class TaskPlan:
    """One worker's task: its jobs as ``(job, release, deadline)`` seconds after time zero,
    the CPU each needs, and the kernel parameters."""

    name: str
    jobs: tuple[tuple[int, float, float], ...]
    wcet_seconds: float
    runtime_ns: int
    deadline_ns: int
    period_ns: int


def plan_tasks(workload: Workload, unit_seconds: float) -> list[TaskPlan]:
    """The workers of a SCHED_DEADLINE run, every task checked first: periodic or sporadic
    tasks whose jobs are one CPU burst, with periods the kernel accepts."""
    realtime = workload.realtime
    if realtime is None:
        raise OptionError(
            "--kernel-policy deadline runs periodic tasks; the workload has none (give "
            "processes a period)"
        )
    problems = []
    shortest, longest = period_limits_seconds()
    order = sorted(
        range(len(realtime.tasks)),
        key=lambda index: (-float(realtime.tasks[index].deadline or 0), index),
    )
    tie_rank = {index: place for place, index in enumerate(order)}
    plans = []
    deadlines = realtime.deadline.tolist()
    arrivals = workload.arrival.tolist()
    owners = realtime.task.tolist()
    for index, task in enumerate(realtime.tasks):
        if task.kind == APERIODIC:
            problems.append(f"{task.name}: aperiodic; SCHED_DEADLINE runs periodic tasks only")
            continue
        if task.suspends or task.scripted:
            problems.append(f"{task.name}: its jobs do I/O or run a script; give one CPU burst")
            continue
        assert task.period is not None and task.deadline is not None
        period = float(task.period) * unit_seconds
        if not shortest <= period <= longest:
            problems.append(
                f"{task.name}: its period is {period:g} s with --unit {format_unit(unit_seconds)}, "
                f"outside the kernel's {shortest:g}..{longest:g} s "
                "(kernel.sched_deadline_period_min_us/max_us); choose another --unit"
            )
            continue
        wcet = float(task.wcet) * unit_seconds
        tie = (len(order) - 1 - tie_rank[index]) * TIE_STEP_SECONDS
        deadline = max(float(task.deadline) * unit_seconds - tie, MIN_RUNTIME_NS / 1e9)
        runtime = min(wcet * (1 + RUNTIME_MARGIN) + RUNTIME_SLACK_SECONDS, deadline)
        jobs = tuple(
            (job, arrivals[job] * unit_seconds, deadlines[job] * unit_seconds)
            for job in range(len(workload))
            if owners[job] == index
        )
        plans.append(
            TaskPlan(
                name=task.name,
                jobs=jobs,
                wcet_seconds=wcet,
                runtime_ns=max(MIN_RUNTIME_NS, int(runtime * 1e9)),
                deadline_ns=int(deadline * 1e9),
                period_ns=int(period * 1e9),
            )
        )
    if problems:
        raise OptionError("--kernel-policy deadline: " + "\n       ".join(problems))
    return plans


def check_cpus(cpus: int) -> tuple[int | None, int | None]:
    """Where the run goes: ``(isolated CPU, core for schedsim)`` for one CPU, ``(None,
    None)`` for every CPU; anything else is refused."""
    cores = allowed_cores()
    online = os.cpu_count() or len(cores)
    if cpus == len(cores) == online:
        return None, None
    if cpus == 1 and len(cores) > 1:
        return cores[-1], cores[0]
    raise OptionError(
        f"--cpus {cpus} with --kernel-policy deadline: the kernel's EDF runs over a whole root "
        f"domain, so give --cpus 1 (an exclusive one-CPU cpuset) or --cpus {online} (every "
        "CPU: global EDF)"
        + ("" if len(cores) == online else f"; schedsim may use only cores {cores}")
    )


class DeadlineRun:
    """One SCHED_DEADLINE run of a periodic workload.  Use :meth:`run` once."""

    def __init__(
        self,
        workload: Workload,
        *,
        cpus: int,
        unit_seconds: float,
        expected_seconds: float = 1.0,
        on_miss: str = "continue",
        journal_directory: Path | None = None,
    ) -> None:
        refusal = privilege_problem()
        if refusal is not None:
            raise ExecutionError(f"--kernel-policy deadline: {refusal}")
        if on_miss not in ("continue", "abort-job"):
            raise OptionError(
                f"--on-miss {on_miss}: kernel mode measures continue or abort-job (a real run "
                "cannot stop every task at once at a deadline)"
            )
        self.isolated, self.own_core = check_cpus(cpus)
        if self.isolated is not None and os.geteuid() != 0:
            raise ExecutionError(
                "--cpus 1 with --kernel-policy deadline needs root (it sets up an exclusive "
                "cpuset); run as root, or use every CPU"
            )
        self.workload = workload
        self.cpus = cpus
        self.unit = unit_seconds
        self.abort = on_miss == "abort-job"
        self.plans = plan_tasks(workload, unit_seconds)
        self.journal_directory = journal_directory
        self.overrun_seconds = 3 * expected_seconds + 10.0
        self.processes: list[BaseProcess] = []
        self.connections: list[Connection] = []
        self.os_pid = [0] * len(self.plans)
        self.reports: list[tuple[int, float, float, list[tuple[float, float, int]], bool]] = []
        self.finished = [False] * len(self.plans)
        self.stats: list[dict[str, Any]] = [{} for _ in self.plans]
        self.t0 = 0.0
        self.admission_lifted = False

    def run(self) -> Trace:
        with KernelSettings(self.journal_directory) as settings:
            session = ParentSession(self.processes, self.connections)
            try:
                if self.isolated is not None:
                    settings.isolate_cpu(self.isolated)
                self._start_workers()
                if self.isolated is not None:
                    for pid in self.os_pid:
                        settings.add_task(pid)
                session.settle(self.own_core)
                self._set_attributes(settings)
                self._go_and_watch()
                return self._trace()
            finally:
                session.close()

    # -- start-up ----------------------------------------------------------------------------------
    def _start_workers(self) -> None:
        context = _context()
        parent = os.getpid()
        with sigint_blocked():
            for plan in self.plans:
                ours, theirs = context.Pipe(duplex=True)
                process = context.Process(
                    target=worker_main,
                    args=(plan, theirs, parent, self.abort),
                    name=f"schedsim-deadline-{plan.name}",
                    daemon=True,
                )
                self.processes.append(process)
                self.connections.append(ours)
                process.start()
                theirs.close()
        for index in range(len(self.plans)):
            message = self._expect(index, STARTUP_SECONDS)
            if message[0] != "ready":
                self._unexpected(index, message)
            self.os_pid[index] = int(message[1])

    def _set_attributes(self, settings: KernelSettings) -> None:
        """Each worker in turn asks for SCHED_DEADLINE; a refusal for lack of bandwidth
        (EBUSY) lifts the kernel's admission control once and asks again."""
        for index, plan in enumerate(self.plans):
            while True:
                self.connections[index].send(
                    ("attributes", plan.runtime_ns, plan.deadline_ns, plan.period_ns)
                )
                message = self._expect(index, STARTUP_SECONDS)
                if message[0] != "attributes":
                    self._unexpected(index, message)
                code = int(message[1])
                if code == 0:
                    break
                if code == EBUSY and not settings.admission_lifted:
                    settings.lift_admission()
                    self.admission_lifted = True
                    continue
                raise ExecutionError(self._refusal(plan, code))

    def _refusal(self, plan: TaskPlan, code: int) -> str:
        why = {
            EPERM: " (a deadline task's CPUs must cover its whole root domain, and it needs "
            "root or CAP_SYS_NICE)",
            EBUSY: " (not enough deadline bandwidth left, even with admission control off)",
        }.get(code, "")
        return (
            f"the kernel refused SCHED_DEADLINE for task {plan.name} (runtime "
            f"{plan.runtime_ns / 1e6:g} ms, deadline {plan.deadline_ns / 1e6:g} ms, period "
            f"{plan.period_ns / 1e6:g} ms): {describe_errno(code)}{why}"
        )

    # -- the run -----------------------------------------------------------------------------------
    def _go_and_watch(self) -> None:
        """Time zero comes once every deadline the kernel set when a worker became a
        deadline task has passed: its first release then starts from a fresh budget and
        deadline (the kernel's CBS keeps an unexpired deadline across a wake-up, and even
        cuts the budget of a task whose deadline is shorter than its period)."""
        longest = max(plan.deadline_ns for plan in self.plans) / 1e9
        self.t0 = time.monotonic() + longest + START_DELAY_SECONDS
        for connection in self.connections:
            connection.send(("go", self.t0))
        overrun_at = self.t0 + self.overrun_seconds
        while not all(self.finished):
            if time.monotonic() > overrun_at:
                raise ExecutionError(
                    f"the run has taken {time.monotonic() - self.t0:.1f} s, far more than "
                    "expected; it was stopped (is the machine overloaded?)"
                )
            self._receive(0.25)
        for connection in self.connections:
            with contextlib.suppress(OSError):
                connection.send(("quit",))

    def _receive(self, timeout: float) -> None:
        watched: dict[int, tuple[int, bool]] = {}
        for index in range(len(self.plans)):
            if not self.finished[index]:
                watched[self.connections[index].fileno()] = (index, False)
                watched[self.processes[index].sentinel] = (index, True)
        readable, _, _ = select.select(list(watched), [], [], timeout)
        for fd in readable:
            index, is_sentinel = watched[fd]
            connection = self.connections[index]
            try:
                while connection.poll():
                    self._handle(index, connection.recv())
            except (EOFError, OSError):
                self._died(index)
            if is_sentinel and not self.finished[index]:
                self._died(index)

    def _handle(self, index: int, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "job":
            _, job, woke, used, intervals, aborted = message
            self.reports.append((job, woke, used, [tuple(i) for i in intervals], aborted))
        elif kind == "done":
            self.finished[index] = True
            self.stats[index] = message[1]
        else:
            self._unexpected(index, message)

    def _expect(self, index: int, seconds: float) -> tuple[Any, ...]:
        connection = self.connections[index]
        deadline = time.monotonic() + seconds
        while not connection.poll(0.05):
            if not self.processes[index].is_alive():
                self._died(index)
            if time.monotonic() > deadline:
                raise ExecutionError(
                    f"the worker for task {self.plans[index].name} did not answer within "
                    f"{seconds:g} s"
                )
        try:
            message: tuple[Any, ...] = connection.recv()
        except (EOFError, OSError):
            self._died(index)
        return message

    def _unexpected(self, index: int, message: tuple[Any, ...]) -> NoReturn:
        if message and message[0] == "error":
            raise ExecutionError(f"worker for task {self.plans[index].name} failed: {message[1]}")
        raise ExecutionError(
            f"worker for task {self.plans[index].name} sent {str(message)[:80]!r} out of turn"
        )

    def _died(self, index: int) -> NoReturn:
        process = self.processes[index]
        process.join(1.0)
        when = f" at t={(time.monotonic() - self.t0) / self.unit:.2f}" if self.t0 else ""
        raise ExecutionError(
            f"worker for task {self.plans[index].name} (os pid {process.pid}) "
            f"{describe_exit(process.exitcode)}{when}; the run was abandoned and the other "
            "workers were stopped"
        )

    # -- the result --------------------------------------------------------------------------------
    def _trace(self) -> Trace:
        n = len(self.workload)
        unit, t0 = self.unit, self.t0
        cores = allowed_cores() if self.isolated is None else [self.isolated]
        first_run: list[float | None] = [None] * n
        finish: list[float | None] = [None] * n
        slices = [0] * n
        used_cpu = [0.0] * n
        aborted: list[int] = []
        records: list[tuple[float, int, int, float, int]] = []
        deadlines = self.workload.realtime.deadline.tolist() if self.workload.realtime else []
        for job, _, used, intervals, was_aborted in self.reports:
            used_cpu[job] = used / unit
            if was_aborted:
                # Ended at its deadline.  A job the kernel throttled just before it (its
                # budget spent on the worker's own overhead) notices only when it runs
                # again; it was ended at the deadline all the same.
                aborted.append(job)
                due = t0 + deadlines[job] * unit
                intervals = [(start, min(end, due), core) for start, end, core in intervals]
                intervals = [interval for interval in intervals if interval[1] > interval[0]]
            for position, (start, end, core) in enumerate(intervals):
                last = position == len(intervals) - 1
                reason = (ABORTED if was_aborted else FINISHED) if last else PREEMPTED
                cpu = cores.index(core) if core in cores else 0
                records.append(((end - t0) / unit, cpu, job, (start - t0) / unit, reason))
                slices[job] += 1
            if intervals:
                first_run[job] = (intervals[0][0] - t0) / unit
                finish[job] = (intervals[-1][1] - t0) / unit
            if was_aborted:
                finish[job] = deadlines[job]
        records.sort()
        timeline = Timeline()
        for end, cpu, job, start, reason in records:
            timeline.append(cpu, job, start, start, end, -1, reason)
        nominal = self.workload.cpu_total().tolist()
        stolen = stolen_time(
            self.workload.arrival.tolist(), finish, [(r[3], r[0]) for r in records], self.cpus
        )
        makespan = max((end for end in finish if end is not None), default=0.0)
        disturbances = []
        if stolen > STOLEN_SHARE * makespan:
            disturbances.append(
                f"the CPUs ran other work for {stolen:.3g} time units while jobs were ready "
                f"({100 * stolen / makespan:.1f}% of the run): other processes on these CPUs "
                "(the kernel's fair server lets them have up to 5%)"
            )
        extra: dict[str, Any] = {
            "aborted": sorted(aborted),
            "cpu_time": [used_cpu[job] if job in aborted else nominal[job] for job in range(n)],
            "io_time": [0] * n,
            "measured_cpu_time": used_cpu,
            "kernel_switches": {
                "voluntary": sum(int(s.get("voluntary_switches", 0)) for s in self.stats),
                "involuntary": sum(int(s.get("involuntary_switches", 0)) for s in self.stats),
            },
            "cores": cores,
            "isolated_cpu": self.isolated,
            "admission_control": "lifted for the run" if self.admission_lifted else "the kernel's",
            "stolen_time": stolen,
            "disturbances": disturbances,
            "disturbed": bool(disturbances),
        }
        return Trace(
            first_run=first_run,
            finish=finish,
            switch_time=[0.0] * n,
            slices=slices,
            context_switches=_switches(records),
            timeline=timeline,
            extra=extra,
        )


def stolen_time(
    releases: list[float],
    finishes: list[float | None],
    busy: list[tuple[float, float]],
    cpus: int,
) -> float:
    """Time (in units) during which fewer CPUs ran the workers than there were jobs released
    and unfinished (up to one per CPU): time the kernel gave to something else."""
    events: list[tuple[float, int, int]] = []  # time, change in pending, change in running
    for release, finish in zip(releases, finishes, strict=True):
        if finish is not None:
            events += [(release, 1, 0), (finish, -1, 0)]
    for start, end in busy:
        events += [(start, 0, 1), (end, 0, -1)]
    events.sort()
    pending = running = 0
    stolen = 0.0
    previous = events[0][0] if events else 0.0
    for moment, pending_change, running_change in events:
        if moment > previous:
            short = min(cpus, pending) - running
            if short > 0:
                stolen += short * (moment - previous)
            previous = moment
        pending += pending_change
        running += running_change
    return stolen


def _switches(records: list[tuple[float, int, int, float, int]]) -> int:
    """Dispatches of a different job than the CPU ran last."""
    last: dict[int, int] = {}
    switches = 0
    for _, cpu, job, _, _ in sorted(records, key=lambda record: (record[3], record[1])):
        if last.get(cpu) != job:
            switches += 1
            last[cpu] = job
    return switches


# -- the worker ------------------------------------------------------------------------------------
def worker_main(plan: TaskPlan, connection: Connection, parent_pid: int, abort: bool) -> None:
    """Process target: report, become a SCHED_DEADLINE task when told, run the jobs."""
    ignore_interrupts_in_worker()
    die_with_parent(parent_pid)
    set_timer_slack(1)
    try:
        connection.send(("ready", os.getpid()))
        while True:
            message = connection.recv()
            if message[0] == "quit":
                return
            code = set_deadline(*message[1:4])
            connection.send(("attributes", code))
            if code == 0:
                break
        message = connection.recv()
        if message[0] != "go":
            return
        t0 = float(message[1])
        getcpu = core_reader()
        for job, release, deadline in plan.jobs:
            woke = _sleep_until(t0 + release)
            give_up = t0 + deadline if abort else math.inf
            used, intervals, aborted = burn_observed(
                plan.wcet_seconds, GAP_SECONDS, getcpu, give_up
            )
            connection.send(("job", job, woke, used, intervals, aborted))
        connection.send(("done", _usage()))
        with contextlib.suppress(EOFError):
            connection.recv()
    except (EOFError, BrokenPipeError, KeyboardInterrupt):
        return
    except Exception as error:  # report, never print a traceback from a worker
        with contextlib.suppress(OSError):
            connection.send(("error", f"{type(error).__name__}: {error}"))
        raise SystemExit(3) from None
    finally:
        connection.close()


def _sleep_until(moment: float) -> float:
    """Sleep to an absolute monotonic time; return when it really woke."""
    monotonic = time.monotonic
    while True:
        left = moment - monotonic()
        if left <= 0:
            return monotonic()
        time.sleep(left)


def _usage() -> dict[str, Any]:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "voluntary_switches": int(usage.ru_nvcsw),
        "involuntary_switches": int(usage.ru_nivcsw),
    }
