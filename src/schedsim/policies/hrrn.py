"""Highest response ratio next (Brinch Hansen; Stallings, *Operating Systems: Internals and
Design Principles*, §9.2).

SJF favours short jobs so strongly that a long one can starve.  HRRN picks, whenever a CPU
frees up, the ready job with the highest response ratio

    ratio = (waiting + burst) / burst

where ``waiting`` is how long the job has been ready (since it arrived or came back from
I/O) and ``burst`` is its next CPU burst.  A short job starts with a high ratio, and a long
job's ratio keeps growing while it waits, so it cannot wait forever.  Non-preemptive.
"""

from __future__ import annotations

import numpy as np

from schedsim.clock import Clock
from schedsim.formatting import fmt
from schedsim.policies.base import JobsView, Policy, Time


class HRRN(Policy):
    """Highest (waiting + burst) / burst first; ties go to the job ready earlier, then to
    file order.

    Every ratio changes as time passes, and not at the same rate, so no heap order stays
    valid: picking scans the ready jobs, O(n) per pick — fine for teaching-sized workloads.
    Ratios are compared by cross-multiplying (``w1·b2`` vs ``w2·b1``), so integer workloads
    tie exactly instead of through rounded divisions.
    """

    name = "hrrn"
    title = "highest response ratio next, non-preemptive"

    def reset(self, jobs: JobsView, clock: Clock, rng: np.random.Generator) -> None:
        super().reset(jobs, clock, rng)
        self.ready_since: dict[int, Time] = {}

    def on_ready(self, job: int) -> None:
        self.ready_since[job] = self.clock.now

    def on_removed(self, job: int) -> None:
        del self.ready_since[job]

    def explain_ready(self) -> str:
        """Every ready job's ratio now (kept for the picks of this instant, which do not
        change them)."""
        now = self.clock.now
        remaining = self.jobs.remaining
        self.explained = {
            job: (now - since, remaining[job]) for job, since in self._waiting_since().items()
        }
        ordered = sorted(self.explained.items(), key=lambda item: _ratio_key(*item[1]))
        shown = ", ".join(f"{self.pid(job)} {_ratio(*pair)}" for job, pair in ordered)
        return f"response ratios: {shown or '-'}"

    def _waiting_since(self) -> dict[int, Time]:
        """Each ready job and the time it became ready."""
        return self.ready_since

    def explain_pick(self, job: int) -> str:
        waiting, burst = getattr(self, "explained", {}).get(job, (0, 1))
        return f"highest response ratio (waiting + burst) / burst = {_ratio(waiting, burst)}"

    def pick_next(self) -> int:
        now = self.clock.now
        remaining = self.jobs.remaining
        best_job = -1
        best_waiting: Time = 0
        best_burst: Time = 1
        best_since: Time = 0
        for job, since in self.ready_since.items():
            waiting = now - since
            burst = remaining[job]
            # ratio - 1 = waiting / burst; compare those without dividing.
            if best_job < 0:
                better = True
            else:
                left = waiting * best_burst
                right = best_waiting * burst
                better = left > right or (left == right and (since, job) < (best_since, best_job))
            if better:
                best_job, best_waiting, best_burst, best_since = job, waiting, burst, since
        del self.ready_since[best_job]
        return best_job


def _ratio(waiting: Time, burst: Time) -> str:
    """``(4 + 3) / 3 = 2.333`` for an explanation."""
    if burst <= 0:  # a script that starts with steps: no CPU before them
        return f"({fmt(waiting)} + 0) / 0: steps first"
    return f"({fmt(waiting)} + {fmt(burst)}) / {fmt(burst)} = {fmt((waiting + burst) / burst)}"


def _ratio_key(waiting: Time, burst: Time) -> float:
    return -float("inf") if burst <= 0 else -(waiting + burst) / burst
