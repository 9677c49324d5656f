"""Shortest remaining time first (preemptive SJF, OSTEP's STCF)."""

from __future__ import annotations

from collections.abc import Sequence

from schedsim.policies.base import Time
from schedsim.policies.sjf import SJF


class SRTF(SJF):
    """Orders ready jobs by remaining time of the current CPU burst, then by the time they
    became ready, then file order.  A newly ready job preempts the running job with the
    longest remaining time if its own is strictly shorter: an equal one does not preempt."""

    name = "srtf"
    title = "shortest remaining time first (preemptive SJF / STCF)"
    preemptive = True

    def on_preempted(self, job: int, ran: Time) -> None:
        self.on_ready(job)

    def preempt(self, running: Sequence[int]) -> int | None:
        if not self.heap:
            return None
        remaining_now = self.jobs.remaining_now
        victim = max(running, key=lambda job: (remaining_now(job), job))
        return victim if self.heap[0][0] < remaining_now(victim) else None
