"""An asyncio event loop: coroutines switch only where they ``await``.

Each workload process is a coroutine (an ``asyncio`` task) on one event loop, which is one
thread: its CPU bursts are busy work with no ``await`` in them, and its I/O bursts are
``await asyncio.sleep(...)``.  The model follows the loop in CPython's
``asyncio/base_events.py`` (``BaseEventLoop._run_once``):

1. **One at a time.**  The loop runs one coroutine at a time, on one CPU; with more CPUs
   the others stay idle (``max_running = 1``): an event loop is a single thread.
2. **Run to the next await.**  A running coroutine keeps the CPU until its CPU burst ends,
   however long that is: nothing can preempt it.  With ``yield_every`` Q, a CPU burst also
   ``await asyncio.sleep(0)`` after every Q of CPU, which puts the coroutine at the back of
   the loop's ready queue (round robin with quantum Q).
3. **The loop's FIFO, pass by pass.**  The loop runs in passes: each pass runs, in order,
   the callbacks that were ready when it began.  A coroutine that yields is ready for the
   next pass.  A timer that expires — an arrival, the end of an I/O sleep — is noticed only
   when the running coroutine gives the loop control, and joins the ready callbacks at the
   start of the next pass, *behind* every coroutine that yielded in the current one; its
   callback (creating the task, or completing the sleep's future) then schedules the
   coroutine itself for the pass after.  Timers join in the order they expired.

Without ``yield_every`` rule 3 comes down to first come, first served in the order the
coroutines became ready: a coroutine that arrives while another computes waits for the
whole of that burst.  With it, a newcomer waits up to two passes of the coroutines already
taking turns — not the one pass of a plain round robin.

``--ties`` changes nothing: coroutines that yield and timers that expire at the same
instant are ordered by rule 3 alone.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from schedsim.clock import Clock
from schedsim.formatting import fmt
from schedsim.options import time_option
from schedsim.policies.base import JobsView, Policy, Time

# What the loop's ready queue holds: a coroutine's next step, or a timer's callback, which
# schedules the coroutine's step for the next pass.
STEP, CALLBACK = 0, 1


class EventLoop(Policy):
    """One coroutine at a time, each to its next ``await``, in the event loop's order (see
    the module docstring)."""

    name = "asyncio"
    title = "an asyncio event loop: coroutines run until they await (cooperative, one CPU)"
    options = (
        time_option(
            "yield_every",
            None,
            "CPU bursts await asyncio.sleep(0) after every this much CPU (default: never; "
            "a coroutine runs until its burst ends)",
        ),
    )
    max_running = 1

    yield_every: Time | None

    def reset(self, jobs: JobsView, clock: Clock, rng: np.random.Generator) -> None:
        super().reset(jobs, clock, rng)
        self.this_pass: deque[tuple[int, int]] = deque()  # (kind, job) left to run in this pass
        self.next_pass: deque[tuple[int, int]] = deque()  # scheduled during this pass
        self.expired_timers: list[int] = []  # noticed at the start of the next pass
        self.current = -1  # the coroutine the loop runs (-1: none)
        self.new_passes = 0  # passes begun by the last pick, for explanations
        if self.yield_every is not None:
            self.time_slice = self.yield_every  # type: ignore[method-assign, assignment]

    def on_ready(self, job: int) -> None:
        """Its arrival or its I/O sleep's timer expired."""
        self.expired_timers.append(job)

    def on_expired(self, job: int) -> None:
        """``await asyncio.sleep(0)``: ready again in the next pass."""
        self.current = -1
        self.next_pass.append((STEP, job))

    def on_burst_end(self, job: int, ran: Time) -> None:
        """It awaits (its I/O sleep, or a lock) or returns: nothing is scheduled for it."""
        self.current = -1

    def on_removed(self, job: int) -> None:
        """A ready daemon coroutine was cancelled with its parent."""
        for queue in (self.this_pass, self.next_pass):
            for entry in [entry for entry in queue if entry[1] == job]:
                queue.remove(entry)
        if job in self.expired_timers:
            self.expired_timers.remove(job)

    def pick_next(self) -> int | None:
        if self.current >= 0 and self.jobs.is_running(self.current):
            return None  # the loop's one thread is busy
        self.new_passes = 0
        while True:
            if not self.this_pass:
                self._begin_pass()
            kind, job = self.this_pass.popleft()
            if kind == STEP:
                self.current = job
                return job
            self.next_pass.append((STEP, job))  # a timer's callback schedules the step

    def _begin_pass(self) -> None:
        """The loop's next pass: what was scheduled during the last one, then the timers
        that expired meanwhile, as their callbacks."""
        self.this_pass = self.next_pass
        self.this_pass.extend((CALLBACK, job) for job in self.expired_timers)
        self.next_pass = deque()
        self.expired_timers = []
        self.new_passes += 1

    def longest_slice(self) -> Time:
        return self.yield_every if self.yield_every is not None else super().longest_slice()

    # -- explanations ------------------------------------------------------------------------
    def explain_ready(self) -> str:
        def entries(queue: deque[tuple[int, int]]) -> str:
            return " ".join(
                self.pid(job) + ("(timer)" if kind == CALLBACK else "") for kind, job in queue
            )

        return (
            f"this pass: {entries(self.this_pass) or '-'} | next pass: "
            f"{entries(self.next_pass) or '-'} | timers: {self.pids(self.expired_timers)}"
        )

    def explain_pick(self, job: int) -> str:
        until = (
            "its next await"
            if self.yield_every is None
            else (f"its next await (at most {fmt(self.yield_every)})")
        )
        if self.new_passes > 1:
            return f"its timer's callback ran in a pass of its own; it runs until {until}"
        if self.new_passes == 1:
            return f"first in a new pass of the loop; it runs until {until}"
        return f"next in this pass of the loop; it runs until {until}"
