"""Shortest remaining time first (preemptive SJF, OSTEP's STCF)."""

from __future__ import annotations

from collections.abc import Sequence

from schedsim.formatting import fmt
from schedsim.policies.base import Time
from schedsim.policies.sjf import SJF


class SRTF(SJF):
    """Orders ready jobs by remaining time of the current CPU burst, then by the time they
    became ready, then file order.  A newly ready job preempts the running job with the
    longest remaining time if its own is strictly shorter: an equal one does not preempt.

    With ``--predict exp`` the remaining time is an estimate: the predicted burst minus the
    CPU time the job has used in it so far (0 once it outruns the prediction)."""

    name = "srtf"
    title = "shortest remaining time first (preemptive SJF / STCF)"
    preemptive = True

    def on_preempted(self, job: int, ran: Time) -> None:
        if self.predictor is not None:
            self.predictor.slice_ended(job, ran)
        self.on_ready(job)

    def preempt(self, running: Sequence[int]) -> int | None:
        if not self.heap:
            return None
        remaining_now = self.jobs.remaining_now if self.predictor is None else self._estimate_now
        if len(running) == 1:
            victim = running[0]
        else:
            victim = max(running, key=lambda job: (remaining_now(job), job))
        return victim if self.heap[0][0] < remaining_now(victim) else None

    def explain_preempt(self, victim: int, job: int) -> str:
        left = self._key(victim)
        return (
            f"{self.pid(job)} has {fmt(self._key(job))} left, less than {self.pid(victim)}'s "
            f"{fmt(left)}"
        )

    def _estimate_now(self, job: int) -> Time:
        """Predicted time left for running ``job``, counting its current slice."""
        assert self.predictor is not None
        running_for = self.jobs.remaining[job] - self.jobs.remaining_now(job)
        return self.predictor.remaining(job, running_for)
