"""First come, first served: run jobs in the order they became ready, each to the end of its
CPU burst."""

from __future__ import annotations

from collections import deque

import numpy as np

from schedsim.clock import Clock
from schedsim.policies.base import JobsView, Policy


class FCFS(Policy):
    """Non-preemptive FIFO.  A job back from I/O joins the tail like a new arrival."""

    name = "fcfs"
    title = "first come, first served (non-preemptive FIFO)"

    def reset(self, jobs: JobsView, clock: Clock, rng: np.random.Generator) -> None:
        super().reset(jobs, clock, rng)
        self.queue: deque[int] = deque()
        # The ready structure's own C methods are the hooks: no Python frame per event.
        self.on_ready = self.queue.append  # type: ignore[method-assign, assignment]
        self.on_expired = self.queue.append  # type: ignore[method-assign, assignment]
        self.pick_next = self.queue.popleft  # type: ignore[method-assign]
        self.on_removed = self.queue.remove  # type: ignore[method-assign, assignment]

    def explain_ready(self) -> str:
        return f"queue: {self.pids(self.queue)}"

    def explain_pick(self, job: int) -> str:
        return "first in the queue: first come, first served"

    def fixed_order(self, arrival_order: np.ndarray) -> np.ndarray:
        """Without preemption or I/O, FCFS runs jobs exactly in the order they arrive."""
        return arrival_order
