"""CPython's global interpreter lock (GIL): threads of one Python process take turns, however
many CPUs there are.

Each workload process is a thread of one CPython process; its CPU bursts are pure-Python
work, which needs the GIL, and its I/O bursts are blocking calls, which release it.  The
model follows the rules of CPython's ``Python/ceval_gil.h`` (3.2 onwards):

1. **One holder.**  At most one thread holds the GIL, so at most one runs, on any number of
   CPUs; the other CPUs stay idle (``max_running = 1``).  Threads that are ready wait for
   the GIL in a queue, in the order they began waiting.
2. **Taking a free GIL.**  A thread that becomes ready (it arrived, or its I/O ended) while
   the GIL is free takes it at once.  Otherwise it waits.
3. **Releasing.**  A thread that ends a CPU burst (it blocks for I/O, or exits) releases the
   GIL; the thread that has waited longest takes it.
4. **The drop request.**  A waiting thread waits ``switch_interval``; if the GIL has not
   changed hands meanwhile, it asks the holder to drop it, and the holder does so at its
   next check (at once, in the model).  So the holder keeps the GIL until ``switch_interval``
   after the later of *it took the GIL* and *the longest-waiting thread began waiting*;
   then the longest-waiting thread takes it and the old holder joins the back of the queue
   (CPython's forced switching: the dropper waits until another thread has taken it).

Who takes the GIL after a release is the operating system's choice in reality (whichever
waiter its condition variable wakes); the model says first come, first served.
``benchmarks/executors.py`` measures how often CPython agrees: on one core almost always;
on two, the thread that has just lost the GIL — the first to ask for it back — mostly gets
it again, and threads ping-pong in pairs (see the README).

What else the model leaves out: a waiter's timed waits keep their own phase, so a drop
request can come up to one more interval later than rule 4 says when the GIL changed
hands during a wait; on a single core the requesting thread must first be given the core
by the OS (about 1.4 ms later on Linux 6.18); and every handoff costs the time it takes
the OS to wake the next thread (tens of microseconds).

How the model is driven: the holder's slice ends exactly when rule 4 makes it drop the GIL.
When nobody waits, the slice is one ``switch_interval`` and the holder simply carries on
when it ends (no context switch; a new slice in the timeline): a thread that starts waiting
in the middle is then still asked to wait its full interval, because the next slice is cut
to end exactly then.  (A slice, not a timer with a preemption: the engine asks a policy to
preempt only when more jobs are ready than CPUs are free, which never holds while the GIL
leaves CPUs idle.)

With ``--context-switch C`` each new holder first pays C.  ``--ties`` changes nothing here:
the old holder joins the queue behind every thread that became ready at the same instant.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from schedsim.clock import Clock
from schedsim.formatting import fmt
from schedsim.options import time_option
from schedsim.policies.base import JobsView, Policy, Time

# How a pick went: the GIL was free, its holder keeps it, a drop request forced a switch.
FREE, KEEPS, FORCED = 0, 1, 2

DEFAULT_SWITCH_INTERVAL = 0.5  # CPython's 5 ms (sys.getswitchinterval()) in 10 ms units
# A float deadline reached within this fraction of the interval counts as reached: slices
# computed as deadline - now land a few ulps short of it, and must not leave a sliver.
DEADLINE_TOLERANCE = 1e-9


class GIL(Policy):
    """One thread at a time; a waiter forces a switch after ``switch_interval``; first come,
    first served among waiters (see the module docstring for the rules)."""

    name = "gil"
    title = "CPython's GIL: one thread runs at a time on any number of CPUs"
    options = (
        time_option(
            "switch_interval",
            DEFAULT_SWITCH_INTERVAL,
            "a waiting thread makes the holder drop the GIL after this long (default 0.5: "
            "CPython's 5 ms in measure's default 10 ms unit)",
        ),
    )
    max_running = 1

    switch_interval: Time

    def reset(self, jobs: JobsView, clock: Clock, rng: np.random.Generator) -> None:
        super().reset(jobs, clock, rng)
        self.waiting: deque[int] = deque()  # threads waiting for the GIL, longest first
        self.waiting_since: dict[int, Time] = {}
        self.holder = -1  # the thread holding the GIL; -1: the GIL is free
        self.holder_back = False  # its slice ended: it is ready, still holding the GIL
        self.acquired: Time = 0  # when the holder took the GIL
        self.last_pick = FREE  # how the last pick went, for explanations

    def on_ready(self, job: int) -> None:
        self.waiting.append(job)
        self.waiting_since[job] = self.clock.now

    def pick_next(self) -> int | None:
        holder = self.holder
        if holder >= 0:
            if self.jobs.is_running(holder):
                return None  # the GIL is taken: the free CPUs stay idle
            if not self.holder_back:
                holder = self.holder = -1  # it left without ending a burst (a daemon ended)
        now = self.clock.now
        if holder >= 0:  # its slice ended: it keeps the GIL unless a drop is due
            self.holder_back = False
            tolerance = DEADLINE_TOLERANCE * self.switch_interval
            if not self.waiting or now < self._drop_deadline() - tolerance:
                self.last_pick = KEEPS
                return holder
            self.on_ready(holder)  # forced switch: the old holder queues up again
            self.last_pick = FORCED
        else:
            self.last_pick = FREE
        return self._hand_over(now)

    def _hand_over(self, now: Time) -> int:
        """The longest-waiting thread takes the GIL."""
        job = self.waiting.popleft()
        del self.waiting_since[job]
        self.holder = job
        self.acquired = now
        return job

    def _drop_deadline(self) -> Time:
        """When the holder must drop the GIL: ``switch_interval`` after the later of its
        taking the GIL and the longest-waiting thread's beginning to wait."""
        since = self.waiting_since[self.waiting[0]]
        return max(self.acquired, since) + self.switch_interval

    def time_slice(self, job: int) -> Time:
        """Up to the drop deadline while threads wait; one interval while nobody does."""
        if not self.waiting:
            return self.switch_interval
        return self._drop_deadline() - self.clock.now

    def on_expired(self, job: int) -> None:
        self.holder_back = True

    def on_burst_end(self, job: int, ran: Time) -> None:
        """Blocking (for I/O, or on a lock), or exiting, releases the GIL."""
        self.holder = -1
        self.holder_back = False

    def on_removed(self, job: int) -> None:
        """A ready daemon thread ended with its parent."""
        if job == self.holder:
            self.holder = -1
            self.holder_back = False
        else:
            self.waiting.remove(job)
            del self.waiting_since[job]

    def longest_slice(self) -> Time:
        return self.switch_interval

    # -- explanations ------------------------------------------------------------------------
    def explain_ready(self) -> str:
        waiting = " ".join(
            f"{self.pid(job)} (since {fmt(self.waiting_since[job])})" for job in self.waiting
        )
        holder = self.pid(self.holder) if self.holder >= 0 else "nobody"
        return f"GIL held by {holder}; waiting: {waiting or '-'}"

    def explain_pick(self, job: int) -> str:
        interval = fmt(self.switch_interval)
        if self.last_pick == KEEPS:
            if not self.waiting:
                return "keeps the GIL: nobody waits"
            return (
                f"keeps the GIL: {self.pid(self.waiting[0])} asks it to drop it only at "
                f"{fmt(self._drop_deadline())}"
            )
        if self.last_pick == FORCED:
            return (
                f"{self.pid(self.waiting[-1])} held the GIL while {self.pid(job)} waited "
                f"{interval}: forced switch; {self.pid(job)} waited longest"
            )
        return "takes the free GIL" + (" (waited longest)" if self.waiting else "")
