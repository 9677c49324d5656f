"""The scheduler core for processes that synchronise (workloads with ``run:`` scripts).

It extends :class:`~schedsim.core.Scheduler`, whose rules of an instant stay as they are, with
what a script adds (the README quotes these rules; :mod:`schedsim.sync` holds what each
synchronisation step does):

- **Steps take no time.**  A running process performs them the moment the step before ends,
  in script order, until it reaches a ``cpu`` step (it keeps its CPU and the rest of its
  slice), an ``io`` step (it blocks for the I/O), a step that blocks, or the end of its
  script.  Leaving the CPU at a step is like starting I/O: it happens in step 1 (CPUs
  release) of the instant.  A process whose script starts with steps performs them when it
  first runs, as a real process must run to call ``acquire()``; so does a woken process
  whose next step is not ``cpu``.
- **Wake-ups** (a hand-off, see :mod:`schedsim.sync`) make the woken processes ready in step
  2, after arrivals and I/O completions, in wake-up order; preemption (step 3) then applies
  as usual, so a woken important process preempts the one that woke it.
- **A CPU burst**, for policies (``remaining``, SJF's and SRTF's oracle), is the CPU time up
  to the next step that may make the process wait (``io``, ``lock``, ``acquire``, ``wait``,
  ``put``, ``get``, ``join``) or the end; ``unlock``, ``release``, ``set`` and ``clear`` never
  end one.  When a step that may block does not, the process keeps its CPU and slice and
  its ``remaining`` becomes the CPU up to its next such step: the burst goes on, no hook is
  called.  ``on_burst_end`` is called when the process really leaves the CPU (I/O, a step
  that blocks, the end), with the CPU it ran since it was dispatched.
- **Effective priorities** (``locks="inherit"`` or ``"ceiling"``): a change counts as an
  event of the instant — the policy hears it through ``on_priority(job, priority)`` and the
  preemption step runs.
- **Daemons** (``daemon_of``): ended the moment their parent finishes, whatever they were
  doing; they release nothing they hold.  A ready daemon is taken from the policy with
  ``on_removed(job)``.
- **Deadlock**: when no event is left and every unfinished process waits for a resource,
  the run ends at that instant with the wait-for cycle (:class:`~schedsim.sync.Deadlock`).
- **A job ended at its deadline** (``--on-miss abort-job``) is ended as a daemon is: it
  leaves its CPU, the policy or the queue it waits in, releases nothing it holds, and its
  joiners and daemons go on as when a process finishes.

A workload with scripts runs the Python loop; the compiled loop declines it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from schedsim.core import (
    BLOCKED_IO,
    BLOCKED_SYNC,
    DONE,
    ENDED,
    INF,
    NEW,
    READY,
    RUNNING,
    PolicyRun,
    Scheduler,
    covers,
)
from schedsim.errors import PolicyError
from schedsim.program import CAN_BLOCK, CPU, IO, Program, Step
from schedsim.sync import Deadlock, SyncState, find_deadlock
from schedsim.trace import (
    ABORTED,
    BLOCKED,
    ENDED_REASON,
    EXPIRED,
    FINISHED,
    STEPPED,
    WAITED,
    Trace,
)

Time = int | float

GO_ON, STARTS_IO, WAITS, FINISHES = range(4)  # what a process does after its steps


def cpu_to_stop(script: Sequence[Step]) -> list[Time]:
    """For each position (and one past the end): the CPU from there up to the next step
    that may make the process wait, or the end — the burst a policy sees."""
    out: list[Time] = [0] * (len(script) + 1)
    total: Time = 0
    for position in range(len(script) - 1, -1, -1):
        step = script[position]
        if step.kind == CPU:
            total = step.value + total
        elif step.kind in CAN_BLOCK:
            total = 0
        out[position] = total
    return out


class ScriptedScheduler(Scheduler):
    """The core's rules, for jobs that run scripts of steps (see the module docstring)."""

    def __init__(
        self,
        run: PolicyRun,
        program: Program,
        *,
        pids: Sequence[str],
        priorities: Sequence[int],
        locks: str = "none",
        cpus: int = 1,
        context_switch: Time = 0,
        ties: str = "arrivals-first",
        max_slices: int = 0,
    ) -> None:
        super().__init__(
            run, cpus=cpus, context_switch=context_switch, ties=ties, max_slices=max_slices
        )
        n = run.n
        self.program = program
        self.pids = pids
        self.scripts = program.scripts
        self.to_stop = [cpu_to_stop(script) for script in self.scripts]
        self.pc = [0] * n  # each job's current step
        # CPU left in its current step (the whole step until it starts; 0 at other steps)
        self.piece_left: list[Time] = [
            script[0].value if script and script[0].kind == CPU else 0 for script in self.scripts
        ]
        self.cpu_ran: list[Time] = [0] * cpus  # CPU run in the slice before its current piece
        self.io_started: list[Time] = [0] * n
        self.io_cut: dict[int, Time] = {}  # the I/O an ended daemon really did of its last
        self.sync = SyncState(program, priorities, locks)
        self.daemons: list[list[int]] = [[] for _ in range(n)]
        for job, parent in enumerate(program.daemon_of):
            if parent >= 0:
                self.daemons[parent].append(job)
        self.deadlock: Deadlock | None = None
        # A driver that runs real processes hears when one is ended (it stops the process).
        self.job_ended: Callable[[int], None] | None = None
        self.on_priority = run.hook("on_priority")
        self.on_removed = self.policy.on_removed

    # -- a job reaches the end of a cpu step ------------------------------------------------------
    def end_burst(self, cpu: int, t: Time) -> Time | None:
        """The job on ``cpu`` ran to the end of its current ``cpu`` step at ``t`` (or was
        dispatched at steps): it performs the steps that follow.  Returns the length of the
        I/O it starts, if it starts one."""
        job = self.cpu_job[cpu]
        piece = self.piece_left[job]
        ran = self.cpu_ran[cpu] + piece  # since it was dispatched
        script = self.scripts[job]
        pc = self.pc[job]
        if pc < len(script) and script[pc].kind == CPU:
            pc += 1
        outcome, io = self._perform(job, pc, t)
        if self.observer is not None:
            self.observer.stepped(cpu, job, t, pc, outcome, io)
        self._apply_priorities()
        if outcome == GO_ON:
            self._go_on(cpu, job, t, piece, ran)
            return None
        self.running_since[job] = None
        self.cpu_job[cpu] = -1
        self.cpu_end[cpu] = INF
        self.remaining[job] = 0
        if outcome == STARTS_IO:
            self.status[job] = BLOCKED_IO
            self.io_started[job] = t
            reason = BLOCKED
        elif outcome == WAITS:
            self.status[job] = BLOCKED_SYNC
            reason = WAITED
        else:
            self.status[job] = DONE
            self.finish[job] = t
            self.done += 1
            reason = FINISHED
        if self.on_burst_end is not None:
            self.on_burst_end(job, ran)
        if self.slice_ended is not None:
            self.slice_ended(cpu, job, t, reason)
        if outcome == FINISHES:
            self._finished(job, t)
        return io

    def _perform(self, job: int, pc: int, t: Time) -> tuple[int, Time | None]:
        """The steps from ``pc`` on, until one that is not a synchronisation step or one
        that blocks (the job's ``pc`` is left at a blocking step, past an ``io`` step)."""
        script = self.scripts[job]
        perform = self.sync.perform
        while pc < len(script):
            step = script[pc]
            if step.kind == CPU:
                self._move_to(job, pc)
                return GO_ON, None
            if step.kind == IO:
                self._move_to(job, pc + 1)
                return STARTS_IO, step.value
            if not perform(job, step, t, pc):
                self._move_to(job, pc)
                return WAITS, None
            pc += 1
        self._move_to(job, pc)
        return FINISHES, None

    def _move_to(self, job: int, pc: int) -> None:
        """``job``'s current step is now ``pc``, with all its CPU still to run if a ``cpu``
        step."""
        script = self.scripts[job]
        self.pc[job] = pc
        self.piece_left[job] = (
            script[pc].value if pc < len(script) and script[pc].kind == CPU else 0
        )

    def _go_on(self, cpu: int, job: int, t: Time, piece: Time, ran: Time) -> None:
        """After its steps the job runs on: with the rest of its slice, or — when the slice
        ended at this very step — back to the policy as a job whose slice expired."""
        self.remaining[job] = self.to_stop[job][self.pc[job]]
        granted = self.cpu_slice[cpu]
        if covers(piece, granted):  # the slice ran out here
            self.running_since[job] = None
            self.cpu_job[cpu] = -1
            self.cpu_end[cpu] = INF
            self.status[job] = READY
            self.expired.append(job)
            if self.slice_ended is not None:
                self.slice_ended(cpu, job, t, EXPIRED)
            return
        if self.slice_ended is not None and (piece or self.cpu_dispatched[cpu] != t):
            self.slice_ended(cpu, job, t, STEPPED)  # (steps at dispatch leave no slice)
        left = granted - piece
        self.cpu_ran[cpu] = ran
        self.cpu_start[cpu] = t
        self.cpu_dispatched[cpu] = t
        self.cpu_slice[cpu] = left
        self.running_since[job] = t
        self._set_slice_end(cpu, job, t, left)

    def step_end(self, cpu: int) -> Time:
        """When the job on ``cpu`` reaches its next step (the end of its ``cpu`` step)."""
        return self.cpu_start[cpu] + min(self.piece_left[self.cpu_job[cpu]], self.cpu_slice[cpu])

    def _set_slice_end(self, cpu: int, job: int, start: Time, granted: Time) -> None:
        """The CPU's next event: the end of the job's current ``cpu`` step if the slice
        covers it (:func:`~schedsim.core.covers`), else the end of the slice."""
        piece = self.piece_left[job]
        if covers(granted, piece):
            self.cpu_end[cpu] = start + piece
            self.cpu_completes[cpu] = True
        else:
            self.cpu_end[cpu] = start + granted
            self.cpu_completes[cpu] = False

    # -- the core's other moments, with a step's CPU kept track of --------------------------------
    def expire(self, cpu: int, t: Time) -> None:
        job = self.cpu_job[cpu]
        granted = self.cpu_slice[cpu]
        super().expire(cpu, t)
        self.piece_left[job] -= granted

    def _charge_preemption(self, cpu: int, job: int, ran: Time) -> Time:
        super()._charge_preemption(cpu, job, ran)
        left = self.piece_left[job] - ran
        self.piece_left[job] = left if left > 0 else 0
        return self.cpu_ran[cpu] + ran

    def _dispatch(self, cpu: int, job: int, t: Time) -> None:
        self.cpu_ran[cpu] = 0
        super()._dispatch(cpu, job, t)

    def _reslice(self, t: Time) -> None:
        for cpu, job in enumerate(self.cpu_job):
            if job >= 0:
                ran = t - self.cpu_start[cpu]
                if ran > 0:
                    self.piece_left[job] -= ran
                self.cpu_ran[cpu] = 0
        super()._reslice(t)

    def _start_burst(self, job: int) -> None:
        """Ready at its current step: ``remaining`` is the CPU up to its next stop, the
        current piece its ``cpu`` step (none when steps come first)."""
        self.remaining[job] = self.to_stop[job][self.pc[job]]
        self.status[job] = READY
        self.on_ready(job)
        self.ready += 1
        self.preemption_due = True

    def make_ready(self, arrivals: Sequence[int], completions: Sequence[int]) -> None:
        """As the core's, with the processes woken at this instant after the I/O completions
        (like them, they start a new burst); ended daemons stay out."""
        woken = [job for job in self.sync.woken if self.status[job] == BLOCKED_SYNC]
        self.sync.woken = []  # (a daemon woken and then ended at the same instant stays out)
        if self.observer is not None:
            self.observer.woken(woken)
        for job in woken:
            self._move_to(job, self.pc[job] + 1)  # the step it waited for is done
        returning = [job for job in completions if self.status[job] == BLOCKED_IO]
        super().make_ready(
            [job for job in arrivals if self.status[job] == NEW], [*returning, *woken]
        )

    # -- priorities, endings, deadlock ------------------------------------------------------------
    def _apply_priorities(self) -> None:
        for job, priority in self.sync.priority_changes():
            if self.observer is not None:
                self.observer.priority_changed(job, priority)
            if self.on_priority is not None:
                self.on_priority(job, priority)
            self.preemption_due = True

    def _finished(self, job: int, t: Time) -> None:
        """Its joiners go on; its daemons are ended."""
        self.sync.finish(job, t)
        for daemon in self.daemons[job]:
            if self.status[daemon] not in (DONE, ENDED):
                self._end(daemon, t)

    def end_job(self, job: int, t: Time) -> None:
        """End ``job`` at its deadline (``--on-miss abort-job``), as a daemon is ended."""
        self._end(job, t, ABORTED)

    def _cancel_io(self, job: int, t: Time) -> Time:
        """The run stops while ``job`` is in I/O: the I/O it did so far counts."""
        self.io_cut[job] = t - self.io_started[job]
        return self.io_cut[job]

    def _keep_work(self, job: int, status: int, io_partial: Time | None) -> None:
        return None  # the trace reads what each job did from its script position

    def _end(self, job: int, t: Time, reason: int = ENDED_REASON) -> None:
        """End ``job`` (a daemon whose parent finished) at ``t``, whatever it is doing; what
        it holds stays held."""
        status = self.status[job]
        if self.observer is not None and reason == ENDED_REASON:  # (a deadline says itself)
            self.observer.ended(job, t)
        if self.job_ended is not None:
            self.job_ended(job)
        if status == RUNNING:
            cpu = self.last_cpu[job]
            ran = max(0, t - self.cpu_start[cpu])
            self.piece_left[job] = max(0, self.piece_left[job] - ran)
            self.running_since[job] = None
            self.cpu_job[cpu] = -1
            self.cpu_end[cpu] = INF
            if self.on_burst_end is not None:
                self.on_burst_end(job, self.cpu_ran[cpu] + ran)
            if self.slice_ended is not None:
                self.slice_ended(cpu, job, t, reason)
        elif status == READY:
            if job in self.expired:
                self.expired.remove(job)
            else:
                self.ready -= 1
                try:
                    self.on_removed(job)
                except NotImplementedError:
                    raise PolicyError(
                        f"policy {self.policy.name!r} cannot end daemon {self.pids[job]} while "
                        "it is ready: the policy has no on_removed hook"
                    ) from None
        elif status == BLOCKED_SYNC:
            self.sync.cancel_wait(job, t)
        elif status == BLOCKED_IO:
            self.io_cut[job] = t - self.io_started[job]
            if self.io_cancelled is not None:  # the driver drops the completion, cuts the period
                self.io_cancelled(job, t)
        self.status[job] = ENDED
        self.finish[job] = max(t, self.run.view.arrival[job])  # (one that never came: then)
        self.done += 1
        self.remaining[job] = 0
        self._finished(job, t)

    def stalled(self, t: Time, timer_at: Time) -> bool:
        """Nothing but the policy's timer can happen any more: if every unfinished process
        waits for a resource (none ready or running), no timer can change that — a
        deadlock, recorded, and the run ends; otherwise as the core decides."""
        blocked = [job for job, status in enumerate(self.status) if status == BLOCKED_SYNC]
        busy = self.ready or any(job >= 0 for job in self.cpu_job)
        if not blocked or busy or any(status in (NEW, BLOCKED_IO) for status in self.status):
            return super().stalled(t, timer_at)
        alive = [status not in (DONE, ENDED) for status in self.status]
        self.deadlock = find_deadlock(self.sync, blocked, alive, self.pids, t)
        self.end_time = t
        if self.observer is not None:
            self.observer.deadlocked(t, self.deadlock)
        return True

    # -- the result -------------------------------------------------------------------------------
    def trace(self, timeline: Any, extra: dict[str, Any]) -> Trace:
        """The core's trace, with what each process really did (CPU, I/O and blocked time:
        an ended or deadlocked process did less than its script), the holds, waits and
        queue items, the ended daemons and the deadlock, if any."""
        end = getattr(self, "end_time", self.stopped_at)
        extra = {
            **extra,
            "cpu_time": [self.cpu_done(job) for job in range(self.n)],
            "io_time": [self.io_done(job) for job in range(self.n)],
            "blocked_time": self._blocked_time(end),
            "ended": [status == ENDED for status in self.status],
            "sync": self.sync,
        }
        if self.deadlock is not None:
            extra["deadlock"] = self.deadlock
        return super().trace(timeline, extra)

    def cpu_done(self, job: int) -> Time:
        """The CPU ``job`` has run of its script so far."""
        script = self.scripts[job]
        pc = self.pc[job]
        done: Time = 0
        for step in script[:pc]:
            if step.kind == CPU:
                done = done + step.value
        if pc < len(script) and script[pc].kind == CPU:
            done = done + (script[pc].value - self.piece_left[job])
        return done

    def io_done(self, job: int) -> Time:
        """The I/O ``job`` has done of its script so far."""
        steps = [step.value for step in self.scripts[job][: self.pc[job]] if step.kind == IO]
        if job in self.io_cut:  # ended during its last I/O
            steps[-1] = self.io_cut[job]
        done: Time = 0
        for value in steps:
            done = done + value
        return done

    def _blocked_time(self, end: Time | None) -> list[Time]:
        blocked: list[Time] = [0] * self.n
        for wait in self.sync.waits:
            to = wait.to if wait.to is not None else end
            if to is not None:
                blocked[wait.job] = blocked[wait.job] + (to - wait.since)
        return blocked
