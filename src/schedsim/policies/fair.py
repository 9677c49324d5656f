"""A fair-share scheduler in the style of Linux's CFS (the SCHED_OTHER class, 2.6.23–6.5).

Each process has a weight from its ``nice`` value (-20..19) through the kernel's own table
(``sched_prio_to_weight``, see :mod:`schedsim.policies.weights`; nice 0 → 1024, each nice
step about 1.25×, i.e. about 10% of CPU).  Every job keeps a *virtual runtime* that advances more
slowly the heavier it is,

    vruntime += ran × 1024 / weight

and the runnable job with the lowest vruntime runs next (ties in file order).  Over time
all runnable vruntimes stay close together, so CPU-bound jobs receive CPU in proportion to
their weights.

Slices.  A dispatched job may run for

    slice = max(min_granularity, target_latency × weight / total runnable weight)

so that every runnable job gets a turn within about ``target_latency``, but no slice is
shorter than ``min_granularity``.  (Linux instead stretches the period to
``nr_running × min_granularity`` when it is crowded; for equal weights that is the same.)
Defaults are the kernel's classic ``sched_latency`` 6 ms and ``sched_min_granularity``
0.75 ms, read as 6 and 0.75 workload time units.  The policy is non-preemptive between
slices: a newly ready job waits for the current slice to end.

Placement.  ``min_vruntime`` is the lowest vruntime among runnable jobs (ready or on a CPU,
counting a running job's progress in its current slice); it never moves backwards and
keeps its last value while nothing is runnable.

* A newcomer starts at ``min_vruntime`` — with 0 it would monopolise the CPU until it
  caught up with jobs that have been running for a long time.
* A job returning from I/O gets ``max(its vruntime, min_vruntime − target_latency / 2)``:
  sleeping earns at most half a latency period of credit, so an interactive job is served
  promptly on wake-up without being able to bank CPU by sleeping (the kernel's
  ``place_entity`` with ``GENTLE_FAIR_SLEEPERS``).
"""

from __future__ import annotations

import heapq

import numpy as np

from schedsim.clock import Clock
from schedsim.formatting import fmt
from schedsim.options import time_option
from schedsim.policies.base import JobsView, Policy, Time, remove_from_heap
from schedsim.policies.stride import exact_quotient, lowest_virtual_time
from schedsim.policies.weights import NICE_0_WEIGHT, job_weights


class Fair(Policy):
    """Lowest virtual runtime first, weighted slices; see the module docstring."""

    name = "fair"
    title = "fair share like Linux CFS: lowest weighted virtual runtime first (nice weights)"
    options = (
        time_option(
            "target_latency",
            6,
            "period within which every runnable job should run once; slices are this "
            "period split by weight (default 6)",
        ),
        time_option("min_granularity", 0.75, "shortest slice a job is given (default 0.75)"),
    )

    target_latency: Time
    min_granularity: Time

    def reset(self, jobs: JobsView, clock: Clock, rng: np.random.Generator) -> None:
        super().reset(jobs, clock, rng)
        n = len(jobs)
        self.weight: list[int] = job_weights(jobs, self.name)
        self.vruntime: list[Time] = [0] * n
        self.heap: list[tuple[Time, int]] = []
        self.total_weight = 0  # of the runnable jobs: ready or on a CPU
        # Jobs on a CPU (or just off it, before the driver hands them back): the remaining
        # time they had when dispatched, to see how far into their slice they are.
        self.on_cpu: dict[int, Time] = {}
        self.granted: list[Time] = [0] * n
        self.min_vruntime: Time = 0
        self.sleeper_credit = exact_quotient(self.target_latency, 2)

    # -- hooks -----------------------------------------------------------------------------
    def on_ready(self, job: int) -> None:
        floor = self._min_vruntime()
        if self.jobs.burst_number(job) == 0:
            self.vruntime[job] = floor
        else:
            credited = floor - self.sleeper_credit
            if self.vruntime[job] < credited:
                self.vruntime[job] = credited
        self.total_weight += self.weight[job]
        heapq.heappush(self.heap, (self.vruntime[job], job))

    def pick_next(self) -> int:
        job = heapq.heappop(self.heap)[1]
        self.on_cpu[job] = self.jobs.remaining[job]
        return job

    def on_removed(self, job: int) -> None:
        remove_from_heap(self.heap, job)
        self.total_weight -= self.weight[job]

    def on_burst_extended(self, job: int, added: Time) -> None:
        self.on_cpu[job] += added

    def time_slice(self, job: int) -> Time:
        share = exact_quotient(self.target_latency * self.weight[job], self.total_weight)
        granted = share if share > self.min_granularity else self.min_granularity
        self.granted[job] = granted
        return granted

    def on_expired(self, job: int) -> None:
        del self.on_cpu[job]
        self.vruntime[job] += self._virtual(job, self.granted[job])
        heapq.heappush(self.heap, (self.vruntime[job], job))

    def on_burst_end(self, job: int, ran: Time) -> None:
        del self.on_cpu[job]
        self.vruntime[job] += self._virtual(job, ran)
        self._min_vruntime(also=self.vruntime[job])  # the floor counts the leaving job
        self.total_weight -= self.weight[job]

    # -- explanations ------------------------------------------------------------------------
    def explain_ready(self) -> str:
        shown = ", ".join(f"{self.pid(job)} {fmt(value)}" for value, job in sorted(self.heap))
        return f"vruntimes: {shown or '-'} (min_vruntime {fmt(self.min_vruntime)})"

    def explain_pick(self, job: int) -> str:
        mine = self.vruntime[job]
        share = (
            f"; slice max({fmt(self.min_granularity)}, {fmt(self.target_latency)} × "
            f"{self.weight[job]} / {self.total_weight}) = {fmt(self.granted[job])}"
        )
        if not self.heap:
            return f"the only runnable job (vruntime {fmt(mine)}){share}"
        other_value, other = self.heap[0]
        if mine < other_value:
            return f"lowest vruntime, {fmt(mine)} < {fmt(other_value)} ({self.pid(other)}){share}"
        return f"lowest vruntime {fmt(mine)}, tied with {self.pid(other)}: file order{share}"

    # -- virtual time ------------------------------------------------------------------------
    def _virtual(self, job: int, ran: Time) -> Time:
        weight = self.weight[job]
        return ran if weight == NICE_0_WEIGHT else exact_quotient(ran * NICE_0_WEIGHT, weight)

    def _min_vruntime(self, also: Time | None = None) -> Time:
        """The lowest vruntime among runnable jobs (and ``also``), never moving backwards;
        the last value when none is runnable."""
        self.min_vruntime = lowest_virtual_time(
            self.heap,
            self.on_cpu,
            self.vruntime,
            self._virtual,
            self.jobs,
            also,
            floor=self.min_vruntime,
        )
        return self.min_vruntime

    def longest_slice(self) -> Time:
        """A share of the target latency, or the minimum granularity if that is longer."""
        return max(self.target_latency, self.min_granularity)
