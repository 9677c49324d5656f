"""Fixed-priority real-time scheduling: rate monotonic and deadline monotonic, preemptive.

Every job gets its task's priority once, before the run: **rate monotonic** (``rm``) ranks
tasks by period (shorter period = more important), **deadline monotonic** (``dm``) by
relative deadline (shorter = more important; with deadlines equal to periods it is rate
monotonic).  Ties between tasks go to the task written first.  Jobs without a period (for
``rm``) or without a deadline (for ``dm``) — aperiodic processes, and every process of a
workload without tasks — share the lowest priority and run in the background.  The
workload's ``priority`` column plays no part.

Among jobs of equal priority the one released first runs first, then file order.  A newly
ready job preempts a running one only with a *strictly* more important priority; on
several CPUs it preempts the least important running job (ties: the latest released, then
the last in file order).

Lock protocols (``--locks inherit|ceiling``, for jobs that run scripts): the protocols work
on these ranks — :meth:`FixedPriority.lock_priorities` hands them to the driver in place of
the workload's ``priority`` column — so a lock holder inherits the *rate-monotonic* rank of
the job it blocks, and a lock's ceiling is the best rank of the tasks whose jobs use it.
The policy hears an effective rank through ``on_priority`` and orders and preempts by it,
exactly as ``priority --preemptive`` does with the workload's priorities.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence

import numpy as np

from schedsim.clock import Clock
from schedsim.policies.base import JobsView, Policy, Time, remove_from_heap
from schedsim.policies.edf import periods_of


class FixedPriority(Policy):
    """Ready jobs in one heap keyed ``(effective rank, release, job)``; subclasses say how
    tasks are ranked (:meth:`rank_keys`)."""

    preemptive = True

    def rank_keys(self, jobs: JobsView) -> list[tuple[Time, int]]:
        """Per job, what ranks its task (smaller = more important)."""
        raise NotImplementedError

    def reset(self, jobs: JobsView, clock: Clock, rng: np.random.Generator) -> None:
        super().reset(jobs, clock, rng)
        keys = self.rank_keys(jobs)
        rank_of = {key: rank for rank, key in enumerate(sorted(set(keys)))}
        self.static: list[int] = [rank_of[key] for key in keys]
        self.priority: list[int] = list(self.static)  # effective (lock protocols)
        self.running_priority: list[int] = [0] * len(jobs)
        self.arrival = jobs.arrival
        self.heap: list[tuple[int, Time, int]] = []

    def lock_priorities(self) -> list[int]:
        """The static ranks (0 = most important), for lock protocols."""
        return list(self.static)

    def on_ready(self, job: int) -> None:
        heapq.heappush(self.heap, (self.priority[job], self.arrival[job], job))

    def pick_next(self) -> int:
        priority, _, job = heapq.heappop(self.heap)
        self.running_priority[job] = priority
        return job

    def preempt(self, running: Sequence[int]) -> int | None:
        if not self.heap:
            return None
        ranks, arrival = self.running_priority, self.arrival
        victim = max(running, key=lambda job: (ranks[job], arrival[job], job))
        return victim if self.heap[0][0] < ranks[victim] else None

    def on_priority(self, job: int, priority: int) -> None:
        """A lock protocol changed ``job``'s effective rank: a waiting job is re-filed, a
        running one competes with the new rank from now on."""
        self.priority[job] = priority
        if self.jobs.is_running(job):
            self.running_priority[job] = priority
            return
        for index, (_, arrival, entry) in enumerate(self.heap):
            if entry == job:
                self.heap[index] = (priority, arrival, job)
                heapq.heapify(self.heap)
                return

    def on_removed(self, job: int) -> None:
        remove_from_heap(self.heap, job)

    # -- explanations (schedsim run --explain) ---------------------------------------------------
    basis = "rank"  # what ranks the tasks, for explanations

    def explain_ready(self) -> str:
        shown = ", ".join(f"{self.pid(job)} {rank}" for rank, _, job in sorted(self.heap))
        return f"by {self.basis} rank (0 first): {shown or '-'}"

    def explain_pick(self, job: int) -> str:
        won = self.running_priority[job]
        if not self.heap:
            return f"the only ready job ({self.basis} rank {won})"
        rank, _, other = min(self.heap)
        if won < rank:
            return f"best {self.basis} rank, {won} < {rank} ({self.pid(other)})"
        return f"best {self.basis} rank {won}, tied with {self.pid(other)}: released earlier"

    def explain_preempt(self, victim: int, job: int) -> str:
        return (
            f"{self.pid(job)} has {self.basis} rank {self.running_priority[job]}, better than "
            f"{self.pid(victim)}'s {self.running_priority[victim]}"
        )


def _task_index(jobs: JobsView) -> list[int]:
    found = getattr(jobs, "task", None)
    return list(found) if found is not None else [0] * len(jobs)


class RateMonotonic(FixedPriority):
    """Shorter period, higher priority (Liu & Layland, 1973)."""

    name = "rm"
    title = "rate monotonic: shorter period first, fixed priorities, preemptive"
    basis = "period"

    def rank_keys(self, jobs: JobsView) -> list[tuple[Time, int]]:
        tasks = _task_index(jobs)
        return [
            (period, task if period < math.inf else 0)
            for period, task in zip(periods_of(jobs), tasks, strict=True)
        ]


class DeadlineMonotonic(FixedPriority):
    """Shorter relative deadline, higher priority (Leung & Whitehead, 1982)."""

    name = "dm"
    title = "deadline monotonic: shorter relative deadline first, fixed priorities, preemptive"
    basis = "deadline"

    def rank_keys(self, jobs: JobsView) -> list[tuple[Time, int]]:
        tasks = _task_index(jobs)
        found = getattr(jobs, "relative_deadline", None)
        relative = list(found) if found is not None else [math.inf] * len(jobs)
        return [
            (deadline, task if deadline < math.inf else 0)
            for deadline, task in zip(relative, tasks, strict=True)
        ]
