"""SimPy models of schedsim's one-CPU policies: the reference the engine benchmark compares with.

A researcher who outgrows a toy simulator usually writes a SimPy model, so the benchmark
measures schedsim against one, on the same workload, in the same run, and checks that both
give the same schedule.  These models cover what the benchmark needs: one CPU, single-burst
jobs (no I/O), no context-switch cost, and the policies fcfs, sjf, srtf, rr (quantum q) and
mlfq (per-level quanta, allotment one quantum, no boost).

Modelling choice
================

Each model is three SimPy actors, written the way SimPy users write a server:

* a **source** process that sleeps until the next arrival time and puts every job arriving
  at that instant into the ready queue, in file order;
* a **ready queue**: a :class:`simpy.Store` (FIFO: fcfs, rr) or a
  :class:`simpy.PriorityStore` whose items are ``(key..., job)`` tuples (sjf, srtf, mlfq);
* a **CPU** process that takes the next job from the store, holds it for one slice with a
  timeout, and puts it back if its slice expired.  For preemptive policies the source
  interrupts the CPU process (:meth:`simpy.Process.interrupt`, SimPy's preemption idiom)
  after each batch of arrivals, and the CPU decides whether the running job gives way.

A dispatcher process with a store is the faster of the two usual SimPy designs (the other is
one process per job queueing on a ``PriorityResource``/``PreemptiveResource``), so the
speed-up the benchmark reports is measured against the stronger baseline.  Resources grant
the CPU the moment a request arrives, before the other arrivals of the same instant have
queued, so a resource-based model cannot follow schedsim's tie rules without extra
machinery; the dispatcher can.

Tie rules
=========

Events at the same time ``t`` follow schedsim's order (see ``schedsim.engine``):

1. the running job whose burst or slice ends at ``t`` leaves the CPU;
2. arrivals at ``t`` join the ready queue in file order, then a job whose slice expired is
   put back *after* them (schedsim's default ``ties="arrivals-first"``): the CPU process
   waits a zero-length timeout when an arrival is due at ``t``, which lets the source's
   already-scheduled wake-up for ``t`` run first;
3. preemption: srtf — a job with strictly less remaining time preempts; mlfq — a job at a
   higher level preempts, and the preempted job keeps the rest of its slice and goes back
   to the head of its queue (a decreasing sequence number puts it first in the store);
4. dispatch: the CPU takes the best item.  A job whose slice expires with nobody waiting
   takes the CPU again at once.

Times are computed with the same arithmetic as the engine (a slice ends at ``start +
length``, a job's remaining time drops by the slice it used, a float remainder below
``SLIVER`` of the remaining time is no reason for another slice), so finish times are equal
to the last bit, not just close.  SimPy schedules a timeout at ``now + delay``, which for
floats can miss an absolute time by one unit in the last place; the source reaches each
arrival time exactly through :func:`waypoints`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator, Sequence
from itertools import count
from typing import Any

import simpy

Time = int | float
INF = math.inf
# schedsim's rule for float bursts: a slice that would leave less than this fraction of the
# remaining time finishes the burst (at start + the exact remainder), so float rounding in
# ``0.4 - 0.1 - 0.1 - 0.1`` does not cause a spurious extra dispatch.
SLIVER = 1e-9
Process = Generator[simpy.Event, Any, None]


def waypoints(now: Time, when: Time) -> list[Time]:
    """Times to wake at, ending with ``when``, such that each timeout lands exactly.

    SimPy schedules a timeout at ``now + delay``.  With ``delay = when - now`` that is exact
    when ``now >= when / 2`` (the subtraction is exact then, Sterbenz's lemma), and for
    integers; otherwise it can miss ``when`` by one unit in the last place, and no other
    delay may hit it either.  Halving ``when`` until the first hop is exact, then doubling
    back, reaches ``when`` exactly (``m + (2m - m) == 2m``)."""
    points = [when]
    while now + (points[-1] - now) != points[-1]:
        points.append(points[-1] / 2)
    points.reverse()
    return points


class SingleCPUModel:
    """A source, a ready store and a CPU process on one :class:`simpy.Environment`.

    Subclasses choose the store and fill in the policy rules (:meth:`admit`,
    :meth:`time_slice`, :meth:`requeue`, :meth:`preempts`, :meth:`on_preempted`).
    :meth:`run` returns each job's finish time, in file order; :attr:`slices` counts
    dispatches, the same way schedsim counts them.
    """

    name = ""
    preemptive = False

    def __init__(self, arrival: Sequence[Time], burst: Sequence[Time]) -> None:
        if len(arrival) != len(burst):
            raise ValueError(f"{len(arrival)} arrival times but {len(burst)} bursts")
        self.env = simpy.Environment()
        self.arrival = list(arrival)
        self.remaining: list[Time] = list(burst)
        self.finish: list[Time | None] = [None] * len(self.arrival)
        self.slices = 0
        self.ready = self.make_store()
        self.running: int | None = None  # the job in a slice (the source may interrupt it)
        self.next_arrival: Time = INF  # time of the source's next batch
        self.cpu = self.env.process(self._cpu())
        self.env.process(self._source())

    def run(self) -> list[Time]:
        self.env.run()
        unfinished = [job for job, time in enumerate(self.finish) if time is None]
        if unfinished:
            raise RuntimeError(f"{self.name}: jobs {unfinished[:10]} never finished")
        return self.finish  # type: ignore[return-value]

    # -- policy rules (overridden per policy) ---------------------------------------------------
    def make_store(self) -> simpy.Store:
        return simpy.Store(self.env)

    def admit(self, job: int, now: Time) -> None:
        """A job arrived: put it in the ready store."""
        self.ready.put(job)

    def job_of(self, item: Any) -> int:
        return item

    def time_slice(self, job: int) -> Time:
        return INF

    def requeue(self, job: int, granted: Time, now: Time) -> None:
        """``job`` used its whole slice of ``granted`` and still has work: put it back."""
        self.ready.put(job)

    def preempts(self, job: int, left_now: Time) -> bool:
        """Whether the best ready job takes the CPU from ``job`` (``left_now`` to go)."""
        return False

    def on_preempted(self, job: int, ran: Time, now: Time) -> None:
        raise NotImplementedError

    # -- actors ---------------------------------------------------------------------------------
    def _source(self) -> Process:
        env = self.env
        arrival = self.arrival
        order = sorted(range(len(arrival)), key=arrival.__getitem__)  # stable: file order
        total = len(order)
        position = 0
        while position < total:
            instant = arrival[order[position]]
            self.next_arrival = instant
            for point in waypoints(env.now, instant):
                yield env.timeout(point - env.now)
            while position < total and arrival[order[position]] == instant:
                self.admit(order[position], instant)
                position += 1
            self.next_arrival = arrival[order[position]] if position < total else INF
            if self.preemptive and self.running is not None:
                self.cpu.interrupt()

    def _cpu(self) -> Process:
        env = self.env
        ready = self.ready
        remaining = self.remaining
        job_of = self.job_of
        time_slice = self.time_slice
        while True:
            job = job_of((yield ready.get()))
            self.slices += 1
            start = env.now
            left = remaining[job]
            granted = time_slice(job)
            completes = granted >= left or (
                left.__class__ is float and left - granted <= SLIVER * left
            )
            length = left if completes else granted
            end = start + length  # the instant SimPy's timeout fires
            slice_end = env.timeout(length)
            self.running = job
            preempted = False
            ran: Time = 0
            while True:
                try:
                    yield slice_end
                    break
                except simpy.Interrupt:
                    if env.now == end:  # the slice ends at this very instant: no preemption
                        break
                    ran = env.now - start
                    if self.preempts(job, left - ran):
                        preempted = True
                        break
            self.running = None
            if preempted:
                rest = left - ran
                remaining[job] = rest if rest > 0 else left
                self.on_preempted(job, ran, env.now)
                continue
            if completes:
                remaining[job] = 0
                self.finish[job] = env.now
            else:
                remaining[job] = left - granted
            if self.next_arrival == env.now:
                yield env.timeout(0)  # this instant's arrivals join the ready queue first
            if not completes:
                self.requeue(job, granted, env.now)


class FCFSModel(SingleCPUModel):
    """First come, first served: a FIFO store, each job runs its whole burst."""

    name = "fcfs"


class SJFModel(SingleCPUModel):
    """Shortest job first, non-preemptive: store items ``(burst, ready time, job)``."""

    name = "sjf"

    def make_store(self) -> simpy.Store:
        return simpy.PriorityStore(self.env)

    def admit(self, job: int, now: Time) -> None:
        self.ready.put((self.remaining[job], now, job))

    def job_of(self, item: Any) -> int:
        return item[-1]


class SRTFModel(SJFModel):
    """Shortest remaining time first: a job with strictly less remaining time than the
    running job's preempts it; the preempted job re-enters with its remaining time."""

    name = "srtf"
    preemptive = True

    def preempts(self, job: int, left_now: Time) -> bool:
        items = self.ready.items
        return bool(items) and items[0][0] < left_now

    def on_preempted(self, job: int, ran: Time, now: Time) -> None:
        self.admit(job, now)


class RoundRobinModel(SingleCPUModel):
    """Round robin: a FIFO store, slices of ``quantum``, an expired job goes to the tail."""

    name = "rr"

    def __init__(self, arrival: Sequence[Time], burst: Sequence[Time], *, quantum: Time) -> None:
        if not quantum > 0:
            raise ValueError(f"quantum must be > 0, got {quantum!r}")
        self.quantum = quantum
        super().__init__(arrival, burst)

    def time_slice(self, job: int) -> Time:
        return self.quantum


class MLFQModel(SingleCPUModel):
    """Multilevel feedback queue with schedsim's rules (``schedsim.policies.mlfq``), one
    allotment = one quantum per level, no boost.

    The levels share one priority store with items ``(level, sequence, job)``: new and
    expired jobs get the next increasing sequence number (tail of their level), a preempted
    job the next decreasing one (head of its level)."""

    name = "mlfq"
    preemptive = True

    def __init__(
        self, arrival: Sequence[Time], burst: Sequence[Time], *, quanta: Sequence[Time]
    ) -> None:
        self.quanta = tuple(quanta)
        if not self.quanta or any(not q > 0 for q in self.quanta):
            raise ValueError(f"quanta must be > 0, got {quanta!r}")
        if INF in self.quanta[:-1]:
            raise ValueError("only the bottom level's quantum may be inf")
        self.bottom = len(self.quanta) - 1
        n = len(arrival)
        self.level = [0] * n
        self.used: list[Time] = [0] * n
        self.tail: Callable[[], int] = count(1).__next__
        self.head: Callable[[], int] = count(-1, -1).__next__
        super().__init__(arrival, burst)

    def make_store(self) -> simpy.Store:
        return simpy.PriorityStore(self.env)

    def job_of(self, item: Any) -> int:
        return item[-1]

    def admit(self, job: int, now: Time) -> None:
        self.level[job] = 0
        self.used[job] = 0
        self.ready.put((0, self.tail(), job))

    def time_slice(self, job: int) -> Time:
        level = self.level[job]
        used = self.used[job]
        quantum = self.quanta[level]
        to_quantum_end = INF if quantum == INF else quantum - used % quantum
        if level < self.bottom:
            return min(to_quantum_end, quantum - used)  # allotment = one quantum
        return to_quantum_end

    def requeue(self, job: int, granted: Time, now: Time) -> None:
        self._charge(job, granted)
        self.ready.put((self.level[job], self.tail(), job))

    def preempts(self, job: int, left_now: Time) -> bool:
        items = self.ready.items
        return bool(items) and items[0][0] < self.level[job]

    def on_preempted(self, job: int, ran: Time, now: Time) -> None:
        self._charge(job, ran)
        self.ready.put((self.level[job], self.head(), job))

    def _charge(self, job: int, ran: Time) -> None:
        level = self.level[job]
        used = self.used[job] + ran
        if level < self.bottom and used >= self.quanta[level]:
            self.level[job] = level + 1
            used = 0
        self.used[job] = used


MODELS: dict[str, type[SingleCPUModel]] = {
    model.name: model for model in (FCFSModel, SJFModel, SRTFModel, RoundRobinModel, MLFQModel)
}


def build(policy: str, arrival: Sequence[Time], burst: Sequence[Time], **options: Any) -> Any:
    """``build("rr", arrival, burst, quantum=1)``: the model, ready to :meth:`run`."""
    try:
        model = MODELS[policy]
    except KeyError:
        raise ValueError(f"no SimPy model for {policy!r}; have {', '.join(MODELS)}") from None
    return model(arrival, burst, **options)


def workload_columns(workload: Any) -> tuple[list[Time], list[Time]]:
    """Arrival times and bursts of a single-burst :class:`schedsim.workload.Workload`."""
    if len(workload.burst_values) != len(workload.pid):
        raise ValueError(f"{workload.name}: the SimPy models take single-burst workloads (no I/O)")
    return workload.arrival.tolist(), workload.burst_values.tolist()


def finish_times(policy: str, workload: Any, **options: Any) -> list[Time]:
    """Each job's finish time under the SimPy model of ``policy``, in file order."""
    arrival, burst = workload_columns(workload)
    return build(policy, arrival, burst, **options).run()
