"""Earliest deadline first: preemptive, the ready job with the earliest absolute deadline runs.

Each job's absolute deadline comes from its task (``jobs.deadline``: release + relative
deadline; see :mod:`schedsim.realtime.tasks`).  A job without one (an aperiodic process
without a deadline, or any process of a workload without tasks) has an infinite deadline:
it runs only when no job with a deadline is ready, first come first served among its kind.

Ties: equal deadlines go to the job released first (``arrival``), then to file order (the
task written first).  A newly ready job preempts only when its deadline is *strictly*
earlier than that of a running job; on several CPUs it preempts the running job with the
latest deadline (ties: the latest released, then the last in file order).  On one CPU EDF
is optimal: with implicit deadlines it misses none whenever the utilisation is at most 1
(Liu & Layland, 1973).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence

import numpy as np

from schedsim.clock import Clock
from schedsim.formatting import fmt
from schedsim.policies.base import JobsView, Policy, Time, remove_from_heap


def deadlines_of(jobs: JobsView) -> list[Time]:
    """Each job's absolute deadline; inf for every job of a workload without tasks."""
    found = getattr(jobs, "deadline", None)
    return list(found) if found is not None else [math.inf] * len(jobs)


def periods_of(jobs: JobsView) -> list[Time]:
    """Each job's task period; inf for a job without one."""
    found = getattr(jobs, "period", None)
    return list(found) if found is not None else [math.inf] * len(jobs)


class EDF(Policy):
    """Ready jobs in one heap keyed ``(absolute deadline, release, job)``."""

    name = "edf"
    title = "earliest (absolute) deadline first, preemptive"
    preemptive = True

    def reset(self, jobs: JobsView, clock: Clock, rng: np.random.Generator) -> None:
        super().reset(jobs, clock, rng)
        self.deadline = deadlines_of(jobs)
        self.arrival = jobs.arrival
        self.heap: list[tuple[Time, Time, int]] = []

    def on_ready(self, job: int) -> None:
        heapq.heappush(self.heap, (self.deadline[job], self.arrival[job], job))

    def pick_next(self) -> int:
        return heapq.heappop(self.heap)[2]

    def preempt(self, running: Sequence[int]) -> int | None:
        if not self.heap:
            return None
        deadline, arrival = self.deadline, self.arrival
        victim = max(running, key=lambda job: (deadline[job], arrival[job], job))
        return victim if self.heap[0][0] < deadline[victim] else None

    def on_removed(self, job: int) -> None:
        remove_from_heap(self.heap, job)

    # -- explanations (schedsim run --explain) ---------------------------------------------------
    def explain_ready(self) -> str:
        shown = ", ".join(
            f"{self.pid(job)} {_due(deadline)}" for deadline, _, job in sorted(self.heap)
        )
        return f"by deadline: {shown or '-'}"

    def explain_pick(self, job: int) -> str:
        if not self.heap:
            return f"the only ready job (due {_due(self.deadline[job])})"
        other = min(self.heap)
        if self.deadline[job] < other[0]:
            return (
                f"earliest deadline, {_due(self.deadline[job])} < {_due(other[0])} "
                f"({self.pid(other[2])})"
            )
        return (
            f"earliest deadline {_due(self.deadline[job])}, tied with {self.pid(other[2])}: "
            "released earlier"
        )

    def explain_preempt(self, victim: int, job: int) -> str:
        return (
            f"{self.pid(job)} is due at {_due(self.deadline[job])}, before {self.pid(victim)}'s "
            f"{_due(self.deadline[victim])}"
        )


def _due(deadline: Time) -> str:
    """A deadline as explanations show it (``none`` for a job without one)."""
    return "none" if deadline == math.inf else fmt(deadline)
