"""Kernel mode with processes that synchronise: the kernel settles every race.

The workers run their scripts on their own from their arrival, calling the real primitives
(:mod:`schedsim.real.primitives`) as they reach each step; nothing is ordered by schedsim.
Under ``--kernel-policy fifo`` (and ``rr``) each worker runs at a real-time priority mapped
from its workload priority (:func:`realtime_priorities`), so the kernel's fixed-priority
preemptive scheduling meets real locks — and real priority inversion, which ``--locks
inherit`` or ``--locks ceiling`` cure with the kernel's own protocols
(:mod:`schedsim.real.pi_lock`).

What is measured comes from the workers' reports, as in dispatch mode: holds, waits and
queue items (:class:`~schedsim.real.synchronising.SyncMeasurement`).  This module adds what
the kernel-mode parent must decide on its own: when the run is deadlocked (every unfinished
worker has said it is blocking in a primitive's call, and none has come back for a while),
and when a daemon is ended (its parent process finished).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from schedsim.errors import OptionError
from schedsim.program import JOIN, WAIT, Program
from schedsim.real.pi_lock import PriorityLock, unavailable
from schedsim.real.synchronising import SyncMeasurement
from schedsim.sync import Deadlock, find_deadlock
from schedsim.workload import Workload

RT_PRIORITY_LEVELS = 98  # SCHED_FIFO priorities 1..98 (99 is left to the kernel's own)
DEADLOCK_GRACE_SECONDS = 0.05  # every worker blocked this long (and 5 units): a deadlock
DEADLOCK_GRACE_UNITS = 5
_EVENT_WAITS = (WAIT, JOIN)


def realtime_priorities(priorities: Sequence[int]) -> list[int]:
    """Workload priorities (the smaller, the more urgent) as real-time priorities (the
    larger, the more urgent), order kept: the least urgent process gets 1, the next 2, ...
    (equal priorities stay equal)."""
    distinct = sorted(set(priorities), reverse=True)
    if len(distinct) > RT_PRIORITY_LEVELS:
        raise OptionError(
            f"--kernel-policy: the workload has {len(distinct)} distinct priorities; the "
            f"kernel's real-time class has {RT_PRIORITY_LEVELS} levels for them"
        )
    rank = {priority: level for level, priority in enumerate(distinct, start=1)}
    return [rank[priority] for priority in priorities]


def kernel_locks(
    program: Program, protocol: str, rt_priority: Sequence[int], kernel_policy: str
) -> list[Any] | None:
    """The locks of a kernel-mode run: ``multiprocessing.Lock`` for ``--locks none`` (None
    here), else process-shared mutexes with the kernel's protocol — the ceiling of a lock
    being the highest real-time priority of the processes that use it."""
    if protocol == "none" or not program.resources.locks:
        return None
    if protocol == "ceiling" and kernel_policy == "other":
        raise OptionError(
            "--locks ceiling in kernel mode raises a lock's holder to a real-time priority: "
            "use it with --kernel-policy fifo or rr"
        )
    reason = unavailable(protocol)
    if reason is not None:
        raise OptionError(f"--locks {protocol} in kernel mode: {reason}; use --locks none")
    locks = []
    for index in range(len(program.resources.locks)):
        users = [rt_priority[job] for job in range(len(program.scripts))]
        users = [users[job] for job in range(len(users)) if program.uses(job, "locks", index)]
        locks.append(PriorityLock(protocol, ceiling=max(users, default=1)))
    return locks


class KernelSynchronisation:
    """The kernel-mode parent's view of a synchronising run: measurements, deadlock, daemons."""

    def __init__(
        self, workload: Workload, to_units: Callable[[float], float], unit_seconds: float
    ) -> None:
        program = workload.program
        assert program is not None
        self.workload = workload
        self.program = program
        self.measurement = SyncMeasurement(program, to_units)
        n = len(program.scripts)
        self.daemons: list[list[int]] = [[] for _ in range(n)]
        for job, parent in enumerate(program.daemon_of):
            if parent >= 0:
                self.daemons[parent].append(job)
        self.ended: set[int] = set()
        self.grace = max(DEADLOCK_GRACE_SECONDS, DEADLOCK_GRACE_UNITS * unit_seconds)
        self.all_blocked_since: float | None = None
        self.deadlock: Deadlock | None = None
        self.cpu_done = [0.0] * n
        self.io_done = [0.0] * n

    def step_seconds(self, job: int, unit: float) -> tuple[tuple[int, float], ...]:
        return self.measurement.step_seconds(job, unit)

    def handle(self, job: int, message: tuple[Any, ...]) -> bool:
        """A worker's report about its script: a synchronisation step, or the end of a
        ``cpu`` or ``io`` step (counted as done); False for anything else."""
        kind = message[0]
        if kind == "burst":
            self.cpu_done[job] += float(self.program.scripts[job][message[1]].value)
            return False  # the kernel run records the burst's intervals too
        if kind == "io":
            self.io_done[job] += float(self.program.scripts[job][message[1]].value)
            return False
        return self.measurement.handle(job, message)

    def daemons_to_end(self, job: int) -> list[int]:
        """``job`` finished: its daemons still running, which are to be ended."""
        return [daemon for daemon in self.daemons[job] if daemon not in self.ended]

    def end_daemon(self, job: int, at: float) -> bool:
        """The daemon ``job`` is ended at ``at`` (units): its waits end, its joiners go on.
        Returns whether its worker may be killed: not when it is blocked in an event's
        ``wait()`` (a ``join`` too), where a killed process would leave the event's
        condition waiting for it and every later ``set()`` hanging; it is left asleep."""
        self.ended.add(job)
        measurement = self.measurement
        in_event_wait = any(
            waiter == job and self.program.scripts[job][position].kind in _EVENT_WAITS
            for waiter, position in measurement.blocked_since
        )
        measurement.close_waits(job, at)
        measurement.primitives_done(job)
        return not in_event_wait

    def check_deadlock(self, now: float, unfinished: Sequence[int], all_arrived: bool) -> bool:
        """Whether the run is deadlocked at ``now`` (monotonic): every unfinished worker has
        been blocked in a primitive's call for the grace period (a worker says it is about
        to block just before the call; the grace lets a call that did not block, or a
        release just made, come back)."""
        blocked = self.measurement.blocked()
        if not all_arrived or not unfinished or not all(job in blocked for job in unfinished):
            self.all_blocked_since = None
            return False
        if self.all_blocked_since is None:
            self.all_blocked_since = now
            return False
        return now - self.all_blocked_since >= self.grace

    def found_deadlock(self, unfinished: Sequence[int], alive: Sequence[bool]) -> float:
        """Record the deadlock: it began when the last of the unfinished workers blocked;
        the waits still open stay open, and the cycle is read from what was measured.
        Returns when it began (monotonic)."""
        measurement = self.measurement
        began = max(
            since for (job, _), since in measurement.blocked_since.items() if job in unfinished
        )
        at = measurement.to_units(began)
        measurement.still_blocked(at)
        state = measurement.measured_state(self.workload.priority.tolist(), "none")
        self.deadlock = find_deadlock(state, list(unfinished), alive, self.workload.pid, at)
        return began

    def trace_extra(self, stop: float, protocol: str) -> dict[str, Any]:
        """What the trace carries about synchronisation (the keys the dispatcher gives)."""
        state = self.measurement.measured_state(self.workload.priority.tolist(), protocol)
        n = len(self.program.scripts)
        blocked = [0.0] * n
        for wait in state.waits:
            blocked[wait.job] += (wait.to if wait.to is not None else stop) - wait.since
        out: dict[str, Any] = {
            "sync": state,
            "ended": [job in self.ended for job in range(n)],
            "blocked_time": blocked,
            "cpu_time": list(self.cpu_done),
            "io_time": list(self.io_done),
        }
        if self.deadlock is not None:
            out["deadlock"] = dataclasses.replace(self.deadlock, time=stop)
        return out
