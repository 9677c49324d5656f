"""Lottery scheduling (Waldspurger & Weihl, OSDI 1994; OSTEP ch. 9).

Each process holds ``tickets`` (from the workload; 100 unless given).  Every time a CPU
needs a job, the policy draws a winning ticket uniformly among the tickets of the ready
jobs, so a job wins with probability proportional to its tickets, and the winner runs for
one quantum.  Over many quanta each CPU-bound job's share of the CPU converges to its
share of the tickets — probabilistically: the error after n draws shrinks like √n, not to
zero, which is what :mod:`stride` fixes.

The draw uses the run's random generator (``--seed``), so a run is reproducible.  A job
that blocks for I/O before its quantum ends loses the rest of it, so by default an I/O-bound
job gets less CPU than its tickets say.  ``--compensate`` gives it Waldspurger & Weihl's
compensation tickets: a job that used only a fraction f of its quantum draws with its
tickets inflated by 1/f (rounded; at most ``MAX_COMPENSATION`` times) until it next wins.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from schedsim.clock import Clock
from schedsim.errors import WorkloadError
from schedsim.options import Option, parse_flag, time_option
from schedsim.policies.base import JobsView, Policy, Time

DEFAULT_QUANTUM = 1
# Compensation never inflates tickets more than this: a burst that ends a few ulps into its
# quantum would otherwise swamp every other job's tickets (and the draw's integer range).
MAX_COMPENSATION = 1000


class Lottery(Policy):
    """Proportional share by random draw; one quantum per win.

    The tickets of the ready jobs sit in a Fenwick (binary indexed) tree indexed by job id,
    so adding or removing a job and finding the owner of ticket number ``u`` each cost
    O(log n): thousands of ready jobs are cheap.  Ticket numbers are laid out in file order,
    as if the ready jobs stood in a list sorted by job id (OSTEP's walk over a list).
    """

    name = "lottery"
    title = "lottery scheduling: random draw weighted by tickets, one quantum per win"
    randomised = True
    options = (
        time_option("quantum", DEFAULT_QUANTUM, "length of a time slice (default 1)"),
        Option(
            "compensate",
            parse_flag,
            False,
            "compensation tickets: a job that used a fraction f of its quantum before I/O "
            "draws with 1/f times its tickets until it next wins",
            flag=True,
        ),
    )

    quantum: Time
    compensate: bool

    @property
    def settings(self) -> dict[str, Any]:
        """``compensate`` is shown only when on: plain lottery reads as it always has."""
        values = super().settings
        if not self.compensate:
            values.pop("compensate", None)
        return values

    def reset(self, jobs: JobsView, clock: Clock, rng: np.random.Generator) -> None:
        super().reset(jobs, clock, rng)
        self.tickets = ticket_counts(jobs, self.name)
        # what each job draws with now: its tickets, or more while compensated
        self.holding = list(self.tickets)
        self.tree = TicketTree(len(jobs))
        self.ready = 0
        if self.compensate:  # only then do burst ends matter (the engine skips the hook)
            self.on_burst_end = self._compensate  # type: ignore[method-assign]

    def on_ready(self, job: int) -> None:
        self.tree.add(job, self.holding[job])
        self.ready += 1

    def on_removed(self, job: int) -> None:
        self.tree.add(job, -self.holding[job])
        self.ready -= 1

    def pick_next(self) -> int:
        tree = self.tree
        winner = 0 if self.ready == 1 else int(self.rng.integers(tree.total))
        job = tree.owner(winner)
        self.drawn = (winner, tree.total, self.holding[job], self.ready)  # for explanations
        tree.add(job, -self.holding[job])
        self.holding[job] = self.tickets[job]  # compensation lasts until the next win
        self.ready -= 1
        return job

    def explain_ready(self) -> str:
        held = [(job, self.tree.value(job)) for job in range(self.tree.size)]
        shown = ", ".join(f"{self.pid(job)} {count}" for job, count in held if count)
        return f"tickets: {shown or '-'} ({self.tree.total} in all)"

    def explain_pick(self, job: int) -> str:
        winner, total, held, ready = self.drawn
        if ready == 1:
            return f"the only ready job (no draw; {held} tickets)"
        low = self.tree.prefix(job)
        return (
            f"drew ticket {winner} of 0-{total - 1}: {self.pid(job)} holds {low}-{low + held - 1}"
        )

    def _compensate(self, job: int, ran: Time) -> None:
        """The burst ended after ``ran`` of a quantum: inflate the job's tickets by
        quantum / ran for its next draw (nothing when it used the whole quantum)."""
        if 0 < ran < self.quantum:
            factor = min(self.quantum / ran, MAX_COMPENSATION)
            self.holding[job] = max(self.tickets[job], round(self.tickets[job] * factor))

    def time_slice(self, job: int) -> Time:
        return self.quantum

    def longest_slice(self) -> Time:
        return self.quantum


def ticket_counts(jobs: JobsView, policy: str) -> list[int]:
    """Each job's tickets, checked to be >= 1 (the loaders check this too; a workload
    built in code might not have been)."""
    tickets = [int(count) for count in jobs.tickets]
    bad = [
        f"process #{job + 1} (pid {jobs.pid[job]}): tickets: must be >= 1 for policy "
        f"{policy!r}, got {count}"
        for job, count in enumerate(tickets)
        if count < 1
    ]
    if bad:
        raise WorkloadError(bad)
    return tickets


class TicketTree:
    """Fenwick tree of per-job ticket counts: point update and "who holds ticket u"."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.sums = [0] * (size + 1)
        self.total = 0
        self.top = 1 << max(size.bit_length() - 1, 0) if size else 0

    def add(self, job: int, tickets: int) -> None:
        self.total += tickets
        sums = self.sums
        index = job + 1
        size = self.size
        while index <= size:
            sums[index] += tickets
            index += index & -index

    def prefix(self, job: int) -> int:
        """Tickets held by the jobs before ``job`` (ids 0 .. job - 1)."""
        total = 0
        index = job
        while index > 0:
            total += self.sums[index]
            index -= index & -index
        return total

    def value(self, job: int) -> int:
        """Tickets ``job`` holds in the tree."""
        return self.prefix(job + 1) - self.prefix(job)

    def owner(self, ticket: int) -> int:
        """The job holding ticket number ``ticket`` (0 <= ticket < total), counting the
        tickets of the jobs in the tree in job-id order."""
        sums = self.sums
        position = 0
        step = self.top
        while step:
            following = position + step
            if following <= self.size and sums[following] <= ticket:
                position = following
                ticket -= sums[following]
            step >>= 1
        return position  # the 1-based index position + 1, as a 0-based job id
