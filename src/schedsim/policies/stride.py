"""Stride scheduling: deterministic proportional share (Waldspurger & Weihl, 1995; Waldspurger's
thesis, MIT 1995, ch. 4; OSTEP ch. 9).

Each job has a *stride* inversely proportional to its tickets,

    stride = L / tickets        with L = 10 000 (OSTEP's constant)

and a *pass*, its virtual time.  The ready job with the lowest pass runs for one quantum
and its pass advances by its stride; a job that uses only part of its quantum (its burst
ended) advances by the same fraction of its stride, ``stride × ran / quantum`` — the
thesis's rule for non-uniform quanta, so a job is charged exactly for the CPU it used.
Passes thus grow at the same rate for everyone per ticket, and every CPU-bound job's share
of the CPU tracks its share of the tickets to within one quantum, deterministically.

A job that arrives, or returns from I/O, starts at the *global pass* — the lowest pass of
the jobs that are ready or running, counting a running job's progress in its current
quantum — or keeps its own pass if that is higher.  Without this a newcomer (pass 0) or a
long sleeper would monopolise the CPU until it caught up; with it, sleeping earns no credit.
When nothing is runnable the global pass stays where it was.

Strides are ``L / tickets`` exactly when that divides, and floating point otherwise (the
original used integer strides with a huge L to keep the rounding small; a float keeps the
ratios exact to 16 digits, so shares still match the tickets).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any

import numpy as np

from schedsim.clock import Clock
from schedsim.formatting import fmt
from schedsim.options import time_option
from schedsim.policies.base import JobsView, Policy, Time, remove_from_heap
from schedsim.policies.lottery import ticket_counts

STRIDE_CONSTANT = 10_000  # L: stride = L / tickets
DEFAULT_QUANTUM = 1


def exact_quotient(numerator: Time, denominator: Time) -> Time:
    """``numerator / denominator``, as an integer when both are integers and it divides —
    integer workloads then keep exact virtual times, and exact ties."""
    if isinstance(numerator, int) and isinstance(denominator, int):
        whole, rest = divmod(numerator, denominator)
        if rest == 0:
            return whole
    return numerator / denominator


def lowest_virtual_time(
    heap: list[tuple[Any, ...]],
    on_cpu: dict[int, Time],
    value: list[Time],
    advance: Callable[[int, Time], Time],
    jobs: JobsView,
    also: Time | None,
    *,
    floor: Time,
) -> Time:
    """Stride's global pass and fair share's minimum vruntime, computed the same way: the
    lowest virtual time among ready jobs (the heap's head), running jobs (counting the part
    of their slice run so far) and ``also``; never below ``floor``, the previous value, so
    it does not move backwards (and stays put when nothing is runnable)."""
    lowest = heap[0][0] if heap else None
    if also is not None and (lowest is None or also < lowest):
        lowest = also
    remaining_now = jobs.remaining_now
    for job, remaining_at_dispatch in on_cpu.items():
        used = remaining_at_dispatch - remaining_now(job)
        current = value[job] + (advance(job, used) if used else 0)
        if lowest is None or current < lowest:
            lowest = current
    return lowest if lowest is not None and lowest > floor else floor


class Stride(Policy):
    """Lowest pass first (ties in file order), one quantum per dispatch."""

    name = "stride"
    title = "stride scheduling: deterministic proportional share by tickets"
    options = (time_option("quantum", DEFAULT_QUANTUM, "length of a time slice (default 1)"),)

    quantum: Time

    def reset(self, jobs: JobsView, clock: Clock, rng: np.random.Generator) -> None:
        super().reset(jobs, clock, rng)
        n = len(jobs)
        self.stride: list[Time] = [
            exact_quotient(STRIDE_CONSTANT, tickets) for tickets in ticket_counts(jobs, self.name)
        ]
        self.pass_value: list[Time] = [0] * n
        self.heap: list[tuple[Time, int]] = []
        # Jobs on a CPU (or just off it, before the driver hands them back): the remaining
        # time they had when dispatched, to see how far into their quantum they are.
        self.on_cpu: dict[int, Time] = {}
        self.global_pass: Time = 0

    # -- hooks -----------------------------------------------------------------------------
    def on_ready(self, job: int) -> None:
        floor = self._global_pass()
        if self.jobs.burst_number(job) == 0 or self.pass_value[job] < floor:
            self.pass_value[job] = floor
        heapq.heappush(self.heap, (self.pass_value[job], job))

    def pick_next(self) -> int:
        job = heapq.heappop(self.heap)[1]
        self.on_cpu[job] = self.jobs.remaining[job]
        return job

    def on_removed(self, job: int) -> None:
        remove_from_heap(self.heap, job)

    def on_burst_extended(self, job: int, added: Time) -> None:
        self.on_cpu[job] += added

    def time_slice(self, job: int) -> Time:
        return self.quantum

    def on_expired(self, job: int) -> None:
        del self.on_cpu[job]
        self.pass_value[job] += self.stride[job]
        heapq.heappush(self.heap, (self.pass_value[job], job))

    def on_burst_end(self, job: int, ran: Time) -> None:
        del self.on_cpu[job]
        self.pass_value[job] += self._advance(job, ran)
        self._global_pass(also=self.pass_value[job])  # the floor counts the leaving job

    # -- explanations ------------------------------------------------------------------------
    def explain_ready(self) -> str:
        shown = ", ".join(f"{self.pid(job)} {fmt(value)}" for value, job in sorted(self.heap))
        return f"passes: {shown or '-'}"

    def explain_pick(self, job: int) -> str:
        mine = self.pass_value[job]
        stride = f"; its stride is {fmt(self.stride[job])}"
        if not self.heap:
            return f"the only ready job (pass {fmt(mine)}){stride}"
        other_pass, other = self.heap[0]
        if mine < other_pass:
            return f"lowest pass, {fmt(mine)} < {fmt(other_pass)} ({self.pid(other)}){stride}"
        return f"lowest pass {fmt(mine)}, tied with {self.pid(other)}: file order{stride}"

    # -- virtual time ------------------------------------------------------------------------
    def _advance(self, job: int, ran: Time) -> Time:
        if ran == self.quantum:
            return self.stride[job]
        return exact_quotient(self.stride[job] * ran, self.quantum)

    def _global_pass(self, also: Time | None = None) -> Time:
        """The lowest pass among runnable jobs (and ``also``), never moving backwards; the
        last value when none is runnable."""
        self.global_pass = lowest_virtual_time(
            self.heap,
            self.on_cpu,
            self.pass_value,
            self._advance,
            self.jobs,
            also,
            floor=self.global_pass,
        )
        return self.global_pass

    def longest_slice(self) -> Time:
        return self.quantum
