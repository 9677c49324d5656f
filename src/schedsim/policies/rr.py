"""Round robin: FIFO order, each dispatch limited to one quantum."""

from __future__ import annotations

from collections import deque

import numpy as np

from schedsim.clock import Clock
from schedsim.options import time_option
from schedsim.policies.base import JobsView, Policy, Time


class RoundRobin(Policy):
    """A job that finishes or blocks early gives up the rest of its slice; a job back from
    I/O gets a fresh quantum; an expired job goes to the tail (behind jobs that became ready
    at the same instant unless ``--ties requeue-first``).  With nobody waiting the running
    job simply continues, without a context switch (the engine keeps it on its CPU)."""

    name = "rr"
    title = "round robin with a fixed quantum"
    options = (time_option("quantum", 4, "length of a time slice (default 4)"),)

    quantum: Time

    def reset(self, jobs: JobsView, clock: Clock, rng: np.random.Generator) -> None:
        super().reset(jobs, clock, rng)
        self.queue: deque[int] = deque()
        self.on_ready = self.queue.append  # type: ignore[method-assign, assignment]
        self.on_expired = self.queue.append  # type: ignore[method-assign, assignment]
        self.pick_next = self.queue.popleft  # type: ignore[method-assign]
        self.on_removed = self.queue.remove  # type: ignore[method-assign, assignment]
        self.time_slice = self.quantum  # type: ignore[method-assign, assignment]

    def explain_ready(self) -> str:
        return f"queue: {self.pids(self.queue)}"

    def explain_pick(self, job: int) -> str:
        if not self.queue:
            return "the only ready job"
        return f"head of the queue (then {self.pids(self.queue)})"

    def longest_slice(self) -> Time:
        return self.quantum
