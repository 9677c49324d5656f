"""Static priority scheduling, optionally preemptive, optionally with aging.

Each process's ``priority`` comes from the workload; a lower number is more important (the
Silberschatz convention).  Equal priorities run first come, first served: the job that
became ready earlier first, then file order.

Starvation and its cure
=======================

Under a steady stream of important jobs an unimportant one may wait forever.  ``--aging
RATE`` cures this: a waiting job's *effective* priority improves by one step for every RATE
time units it has been waiting,

    effective = max(priority − ⌊(now − ready_since) / RATE⌋, top)

where ``top`` is the most important static priority in the workload — the top of the
scale, as in Silberschatz's example where a process ages towards priority 0.  Once there,
first come, first served among equals puts it ahead of every newcomer, because it has
waited longest: starvation is cured without aged jobs overtaking one another forever.

Aging measures the wait since the job last became ready (arrived, came back from I/O, or
was preempted).  A dispatched job keeps the effective priority it won the CPU with until
it leaves the CPU, and starts again from its static priority the next time it waits.
(Dropping it back to its static priority at dispatch would let the very jobs it just
overtook preempt it at once.)

Without ``--preemptive`` aging only changes which job is picked next, and is evaluated at
pick time.  With ``--preemptive`` a newly ready job whose effective priority is strictly
better than that of the worst running job preempts it, and so does a waiting job whose
priority ages past it: the policy asks the driver for a timer at the aging steps of the
job that would be picked next.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

import numpy as np

from schedsim.clock import Clock
from schedsim.options import Option, parse_flag, parse_time
from schedsim.policies.base import JobsView, Policy, Time, remove_from_heap


class Priority(Policy):
    """Lowest (effective) priority number first; FCFS among equals.

    Without aging the ready jobs sit in one heap keyed ``(priority, ready since, job)``.
    With aging the order of two waiting jobs changes as time passes, so no single heap key
    stays valid; but among jobs of the *same static priority* the one that became ready
    first is always ahead (it has aged at least as much, and wins ties).  So each static
    priority keeps its own heap keyed ``(ready since, job)``, and picking compares only the
    heads: O(number of distinct priorities) per pick.  The aging timer likewise only
    watches the heads, since only the best ready job can preempt.
    """

    name = "priority"
    title = "static priority (lower number first), optional preemption and aging"
    options = (
        Option(
            "preemptive",
            parse_flag,
            False,
            "a newly ready (or aged) job with a strictly better priority preempts the worst "
            "running one",
            flag=True,
        ),
        Option(
            "aging",
            parse_time,
            None,
            "improve a waiting job's priority by one step every RATE time units it waits, "
            "up to the best priority in the workload (default: no aging)",
            "RATE",
        ),
    )

    aging: Time | None

    def reset(self, jobs: JobsView, clock: Clock, rng: np.random.Generator) -> None:
        super().reset(jobs, clock, rng)
        self.priority: list[int] = [int(value) for value in jobs.priority]
        self.top = min(self.priority, default=0)
        self.heap: list[tuple[int, Time, int]] = []  # without aging
        self.classes: dict[int, list[tuple[Time, int]]] = {}  # with aging: per priority
        self.running_priority: list[int] = [0] * len(jobs)
        if self.aging is not None and self.preemptive:
            self.next_timer = self._next_step  # type: ignore[method-assign]

    # -- hooks -----------------------------------------------------------------------------
    def on_ready(self, job: int) -> None:
        now = self.clock.now
        priority = self.priority[job]
        if self.aging is None:
            heapq.heappush(self.heap, (priority, now, job))
        else:
            heapq.heappush(self.classes.setdefault(priority, []), (now, job))

    def pick_next(self) -> int:
        if self.aging is None:
            priority, _, job = heapq.heappop(self.heap)
        else:
            priority, _, job = self._best_aged()
            waiting = self.classes[self.priority[job]]
            heapq.heappop(waiting)
            if not waiting:
                del self.classes[self.priority[job]]
        self.running_priority[job] = priority
        return job

    def on_priority(self, job: int, priority: int) -> None:
        """A lock protocol changed ``job``'s effective priority (inherited, a ceiling, or
        its own back): a waiting job is re-filed, keeping the time it became ready; a running
        job competes with the new priority from now on."""
        before = self.priority[job]
        self.priority[job] = priority
        if self.jobs.is_running(job):
            self.running_priority[job] = priority
            return
        if self.aging is None:
            for index, (_, since, entry) in enumerate(self.heap):
                if entry == job:
                    self.heap[index] = (priority, since, job)
                    heapq.heapify(self.heap)
                    return
            return
        waiting = self.classes.get(before, [])
        for index, (since, entry) in enumerate(waiting):
            if entry == job:
                del waiting[index]
                heapq.heapify(waiting)
                if not waiting:
                    del self.classes[before]
                heapq.heappush(self.classes.setdefault(priority, []), (since, job))
                return

    def on_removed(self, job: int) -> None:
        if self.aging is None:
            remove_from_heap(self.heap, job)
            return
        priority = self.priority[job]
        remove_from_heap(self.classes[priority], job)
        if not self.classes[priority]:
            del self.classes[priority]

    def preempt(self, running: Sequence[int]) -> int | None:
        if self.aging is None:
            if not self.heap:
                return None
            best = self.heap[0][0]
        else:
            if not self.classes:
                return None
            best = self._best_aged()[0]
        running_priority = self.running_priority
        victim = max(running, key=lambda job: (running_priority[job], job))
        return victim if best < running_priority[victim] else None

    def _next_step(self) -> Time | None:
        """The next instant the head of a priority class ages by a step (heads that have
        reached the top priority age no further)."""
        assert self.aging is not None
        now = self.clock.now
        aging = self.aging
        upcoming: Time | None = None
        for priority, waiting in self.classes.items():
            since = waiting[0][0]
            step = aging_steps(since, now, aging) + 1
            if priority - step < self.top:
                continue
            at = since + step * aging
            while at <= now:  # float rounding must never ask for a timer in the past
                step += 1
                at = since + step * aging
            if upcoming is None or at < upcoming:
                upcoming = at
        return upcoming

    def on_timer(self) -> bool:
        """An aging step: nothing to rearrange (priorities are computed when compared); the
        driver now asks :meth:`preempt`, which sees the improved priority."""
        return False

    # -- explanations ------------------------------------------------------------------------
    def _waiting(self) -> list[tuple[int, Time, int]]:
        """``(effective priority, ready since, job)`` of every ready job, best first."""
        if self.aging is None:
            return sorted(self.heap)
        now = self.clock.now
        return sorted(
            (max(priority - aging_steps(since, now, self.aging), self.top), since, job)
            for priority, waiting in self.classes.items()
            for since, job in waiting
        )

    def explain_ready(self) -> str:
        shown = ", ".join(f"{self.pid(job)} {priority}" for priority, _, job in self._waiting())
        return f"by priority: {shown or '-'}"

    def explain_pick(self, job: int) -> str:
        won = self.running_priority[job]
        aged = ""
        if won != self.priority[job]:
            aged = f" (aged from {self.priority[job]})"
        waiting = self._waiting()
        if not waiting:
            return f"the only ready job (priority {won}{aged})"
        other_priority, _, other = waiting[0]
        if won < other_priority:
            return f"best priority, {won}{aged} < {other_priority} ({self.pid(other)})"
        return f"best priority {won}{aged}, tied with {self.pid(other)}: ready earlier"

    def explain_preempt(self, victim: int, job: int) -> str:
        return (
            f"{self.pid(job)} has priority {self.running_priority[job]}, better than "
            f"{self.pid(victim)}'s {self.running_priority[victim]}"
        )

    def explain_timer(self) -> str:
        return f"aging: a waiting job's priority improves by one every {self.aging}"

    # -- aging -------------------------------------------------------------------------------
    def _best_aged(self) -> tuple[int, Time, int]:
        """``(effective priority, ready since, job)`` of the best ready job."""
        assert self.aging is not None
        now = self.clock.now
        aging = self.aging
        top = self.top
        best: tuple[int, Time, int] | None = None
        for priority, waiting in self.classes.items():
            since, job = waiting[0]
            effective = max(priority - aging_steps(since, now, aging), top)
            key = (effective, since, job)
            if best is None or key < best:
                best = key
        assert best is not None, "no ready job"
        return best


def aging_steps(since: Time, now: Time, aging: Time) -> int:
    """How many aging steps a job waiting since ``since`` has taken by ``now``.

    The k-th step happens at ``since + k * aging``, computed exactly this way for the timers
    too, so that with float times a timer and the priority it announces always agree."""
    steps = int((now - since) // aging)
    if since + (steps + 1) * aging <= now:
        steps += 1
    elif steps > 0 and since + steps * aging > now:
        steps -= 1
    return steps
