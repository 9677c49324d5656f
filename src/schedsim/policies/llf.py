"""Least laxity first: the ready job with the least slack runs, preemptive.

A job's laxity at time t is how long it could still wait and meet its deadline:
``deadline − t − remaining CPU``.  A waiting job's laxity falls as time passes; a running
job's stays put.  Compared at every instant, two jobs of equal laxity would take the CPU
from each other again and again (the *thrashing* of strict LLF), so schedsim compares
laxities only at scheduling events — when a job becomes ready and when one leaves a CPU —
which is Liu's *non-strict* LLF (Real-Time Systems, 2000, §6.2); ``--recheck R`` adds an
event every R time units of a job's run (strict LLF in steps of R, one switch per step at
most).

Ties, in order: the job whose slice has just ended keeps the CPU (on equal laxity the running
job is never displaced), then the earlier absolute deadline, the earlier release, file
order.  A newly ready job preempts only with a laxity *strictly* below that of a running
job (the running job with the most laxity, on several CPUs).  Jobs without a deadline have
infinite laxity and run in the background.  On one CPU LLF, like EDF, meets every deadline
whenever any schedule does (Mok, 1983).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from schedsim.clock import Clock
from schedsim.formatting import fmt
from schedsim.options import Option, parse_time
from schedsim.policies.base import JobsView, Policy, Time
from schedsim.policies.edf import deadlines_of


class LLF(Policy):
    """Ready jobs in a list, searched for the least laxity (real-time task sets are small)."""

    name = "llf"
    title = "least laxity first (non-strict: laxities compared at scheduling events), preemptive"
    preemptive = True
    options = (
        Option(
            "recheck",
            parse_time,
            None,
            "also compare laxities every R time units of a job's run (strict LLF in steps of "
            "R; default: only when a job becomes ready or leaves a CPU)",
            "R",
        ),
    )

    recheck: Time | None

    def reset(self, jobs: JobsView, clock: Clock, rng: np.random.Generator) -> None:
        super().reset(jobs, clock, rng)
        self.deadline = deadlines_of(jobs)
        self.arrival = jobs.arrival
        self.ready: list[int] = []
        self.continuing = -1  # the job whose slice ended at `continuing_at`
        self.continuing_at: Time = -math.inf
        if self.recheck is not None:
            self.time_slice = self.recheck  # type: ignore[assignment]

    def laxity(self, job: int) -> Time:
        """``deadline − now − remaining`` (inf without a deadline)."""
        deadline = self.deadline[job]
        if deadline == math.inf:
            return math.inf
        return deadline - self.clock.now - self.jobs.remaining_now(job)

    def on_ready(self, job: int) -> None:
        self.ready.append(job)

    def on_expired(self, job: int) -> None:
        self.ready.append(job)
        self.continuing = job
        self.continuing_at = self.clock.now

    def pick_next(self) -> int:
        now = self.clock.now
        continuing = self.continuing if self.continuing_at == now else -1
        deadline, arrival, laxity = self.deadline, self.arrival, self.laxity
        job = min(
            self.ready,
            key=lambda job: (laxity(job), job != continuing, deadline[job], arrival[job], job),
        )
        self.ready.remove(job)
        return job

    def preempt(self, running: Sequence[int]) -> int | None:
        if not self.ready:
            return None
        deadline, arrival, laxity = self.deadline, self.arrival, self.laxity
        best = min(laxity(job) for job in self.ready)
        victim = max(running, key=lambda job: (laxity(job), deadline[job], arrival[job], job))
        return victim if best < laxity(victim) else None

    def on_removed(self, job: int) -> None:
        self.ready.remove(job)

    # -- explanations (schedsim run --explain) ---------------------------------------------------
    def explain_ready(self) -> str:
        ordered = sorted(self.ready, key=lambda job: (self.laxity(job), job))
        shown = ", ".join(f"{self.pid(job)} {_slack(self.laxity(job))}" for job in ordered)
        return f"by laxity: {shown or '-'}"

    def explain_pick(self, job: int) -> str:
        mine = self.laxity(job)
        if not self.ready:
            return f"the only ready job (laxity {_slack(mine)})"
        other = min(self.ready, key=lambda entry: (self.laxity(entry), entry))
        theirs = self.laxity(other)
        if mine < theirs:
            return f"least laxity, {_slack(mine)} < {_slack(theirs)} ({self.pid(other)})"
        return f"least laxity {_slack(mine)}, tied with {self.pid(other)}"

    def explain_preempt(self, victim: int, job: int) -> str:
        return (
            f"{self.pid(job)} has laxity {_slack(self.laxity(job))}, less than "
            f"{self.pid(victim)}'s {_slack(self.laxity(victim))}"
        )


def _slack(laxity: Time) -> str:
    return "none" if laxity == math.inf else fmt(laxity)

    def longest_slice(self) -> Time:
        return self.recheck if self.recheck is not None else math.inf
