"""Shortest job first: non-preemptive, shortest *next CPU burst* first."""

from __future__ import annotations

import heapq

import numpy as np

from schedsim.clock import Clock
from schedsim.policies.base import JobsView, Policy, Time


class SJF(Policy):
    """Orders ready jobs by (next CPU burst, time it became ready, file order).

    The burst length is known exactly (the "oracle" SJF of the textbooks)."""

    name = "sjf"
    title = "shortest job (next CPU burst) first, non-preemptive"

    def reset(self, jobs: JobsView, clock: Clock, rng: np.random.Generator) -> None:
        super().reset(jobs, clock, rng)
        self.heap: list[tuple[Time, Time, int]] = []

    def on_ready(self, job: int) -> None:
        heapq.heappush(self.heap, (self.jobs.remaining[job], self.clock.now, job))

    def pick_next(self) -> int:
        return heapq.heappop(self.heap)[2]
