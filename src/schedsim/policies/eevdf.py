"""EEVDF, the scheduler behind Linux's SCHED_OTHER since 6.6, as ``kernel/sched/fair.c``
implements it.

Sources: I. Stoica and H. Abdel-Wahab, *Earliest Eligible Virtual Deadline First: A Flexible
and Accurate Mechanism for Proportional Share Resource Allocation*, Technical Report
TR-95-22, Old Dominion University, 1995; the Linux kernel's
``Documentation/scheduler/sched-eevdf.rst`` and ``kernel/sched/fair.c`` (the rules below
follow Linux 6.18: ``update_curr``, ``update_deadline``, ``avg_vruntime``,
``entity_eligible``, ``__pick_eevdf``, ``place_entity``, ``update_entity_lag``,
``dequeue_entity`` with ``DELAY_DEQUEUE``, ``requeue_delayed_entity``, ``set_protect_slice``
and ``check_preempt_wakeup_fair``), and ``kernel/sched/features.h`` for the features'
names and defaults.

The rules
=========

*Weights and virtual time.*  A job's weight ``w`` comes from its ``nice`` through the
kernel's ``sched_prio_to_weight`` (nice 0 → 1024).  Running for ``ran`` advances its
virtual runtime by ``ran × 1024 / w``.

*The queue's virtual time* ``V`` is the weighted mean of the virtual runtimes of every
runnable job: waiting, running (counted as far as it has run) and delayed (see below).  A
job's **lag** is ``w × (V − vruntime)``: positive when it is owed CPU, negative when it has
had more than its share.  Lags sum to zero over the queue, by definition of ``V``.  A job is
**eligible** when its lag is >= 0, i.e. ``V >= vruntime``; the test is done as the kernel
does it, cross-multiplied (``Σ w_j (v_j − v0) >= (v − v0) Σ w_j``), which is exact on
integers.  When nothing is runnable ``V`` keeps its last value.

*Requests and deadlines.*  Each job asks for a **slice** ``r``: its own ``slice`` from the
workload (the kernel's ``sched_attr.sched_runtime``), else ``--base-slice``.  Its virtual
deadline is ``vruntime + r × 1024 / w``.  When a running job's vruntime reaches its deadline
its request is renewed: a new deadline ``vruntime + r × 1024 / w`` (``update_deadline``).

*The pick* is the eligible job with the earliest virtual deadline (equal deadlines: the one
queued first, as the kernel's tree keeps them).  When the job just switched in, it is
**protected** (``set_protect_slice``): it runs until its vruntime reaches
``min(deadline, vruntime + slice' × 1024 / w)`` with ``slice'`` the shortest request among
the queued jobs (RUN_TO_PARITY; without it, the base slice), and the slice ends there.  A job
picked again right after its own slice ended is not protected afresh: the kernel calls
``set_protect_slice`` only on a switch, so any wake-up meanwhile triggers a fresh pick, as
``update_curr``'s ``!protect_slice(curr)`` does (how long it runs: see the tick).

*The tick* (``--tick T``, 0 by default) is the kernel's periodic scheduler tick (1/HZ).
The kernel looks at a running task at ticks and wake-ups: a slice ends at the first tick
boundary (multiples of T from time 0) at which the job has passed the end of its protection,
and a job picked again right after its slice runs to the next tick.  HRTICK (``--hrtick
on``, off by default as in mainline) adds a timer one request after each switch
(``hrtick_start_fair``), so a switched-in job's slice ends then if no tick came first; a job
picked again, already past its request, is looked at again at once and runs while it stays
the pick (until it passes the others' mean vruntime, a waiting job with an earlier deadline
becomes eligible, or it reaches its deadline).  ``--tick 0`` idealises the tick away: slices
end exactly where the protection does, and a job picked again runs while it stays the pick.

*Placement* (``place_entity``) when a job becomes ready: a new job has lag 0; a job
back from I/O keeps the lag it had when it blocked (PLACE_LAG), clamped there to the
kernel's bound ``± max(2r, tick) × 1024 / w``.  Since adding the job moves ``V`` by
``w × lag / (W + w)``, the stored lag is inflated by ``(W + w) / W`` (``W``: the weight
already queued), so that the lag after placement is the lag it left with; the job's
vruntime becomes ``V − lag'``.  Nothing queued: no lag.  Its deadline is
``vruntime + r × 1024 / w``, or half that for a new job (PLACE_DEADLINE_INITIAL: "existing
tasks will be, on average, halfway through their slice").

*Blocking with negative lag* (DELAY_DEQUEUE): a job whose CPU burst ends while it is not
eligible stays in the queue, counted in ``V``, until it would be picked (or a CPU finds
nothing else to run); only then does it leave, with its lag, which DELAY_ZERO caps at 0.
If its I/O completes first it simply continues with its vruntime and deadline — unless its
lag has turned positive meanwhile, when DELAY_ZERO places it afresh with lag 0.  So a job
cannot shed negative lag by sleeping briefly.  A job whose last burst ends leaves at once
(the kernel never delays an exiting task's dequeue).

*Wake-up preemption* (``check_preempt_wakeup_fair``, WAKEUP_PREEMPTION): when a job becomes
ready while every CPU is busy, it takes a running job's CPU if it is now the EEVDF pick with
that job counted as running (a running job that is still protected and eligible keeps its
CPU).  PREEMPT_SHORT: a job with a shorter request than the running one ignores that
protection; if it still does not win, the running job's protection is cut to the shortest
queued request (the slice then ends there, checked at the next tick).

*Several CPUs* share one queue here (the kernel has one per CPU and balances them): ``V``
counts every running job; a waking job is checked against the running jobs in CPU order.
If no queued job is eligible (the running ones hold ``V`` back), the one with the lowest
vruntime runs.

Arithmetic: integer workloads stay in integers as long as every division divides (nice 0
with integer slices and no placement lag keeps every time exact); otherwise the value is a
float.  See the README for what each feature switch shows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from schedsim.clock import Clock
from schedsim.formatting import fmt
from schedsim.options import Option, parse_flag, parse_nonnegative_time, time_option
from schedsim.policies.base import JobsView, Policy, Time
from schedsim.policies.stride import exact_quotient
from schedsim.policies.weights import NICE_0_WEIGHT, job_weights

DEFAULT_BASE_SLICE = 0.7  # the kernel's sysctl_sched_base_slice since 6.15: 0.70 ms
TICK_EPSILON = 1e-9  # float times this close to a tick boundary (in ticks) are on it
SLIVER = 1e-9  # a run shorter than this fraction of a request is none (float rounding)


def feature(name: str, help: str, default: bool = True) -> Option:
    """A kernel scheduler feature (``kernel/sched/features.h``), on by default."""
    shown = "on" if default else "off"
    return Option(name, parse_flag, default, f"{help} (on|off, default {shown})", "on|off")


@dataclass
class _OnCpu:
    """A job on a CPU: how far its current slice has been charged to its vruntime."""

    dispatched: Time  # remaining CPU in the burst when the slice began
    charged: Time  # remaining CPU when its progress was last added to its vruntime
    granted: Time  # the slice granted
    target: Time | None  # the vruntime the slice ends at, when it ends exactly there
    picked_at: Time


class EEVDF(Policy):
    """Earliest eligible virtual deadline first; see the module docstring for the rules."""

    name = "eevdf"
    title = "Linux's EEVDF (SCHED_OTHER since 6.6): earliest eligible virtual deadline first"
    preemptive = True
    options = (
        time_option(
            "base_slice",
            DEFAULT_BASE_SLICE,
            "request size of jobs without a slice of their own (the kernel's "
            "sysctl_sched_base_slice, 0.70 ms, which it scales by 1 + log2(CPUs, at most 8): "
            "give 1.4 for 2 CPUs; default 0.7)",
        ),
        Option(
            "tick",
            parse_nonnegative_time,
            0,
            "scheduler tick period (1/HZ): slices end at tick boundaries; 0: exactly (default 0)",
            "TIME",
        ),
        feature(
            "hrtick",
            "HRTICK, with a tick: a switched-in job's slice also ends one request after the "
            "switch, and a job picked again runs while it stays the pick",
            default=False,
        ),
        feature(
            "run_to_parity",
            "RUN_TO_PARITY: a switched-in job keeps the CPU to its deadline (or for the "
            "shortest waiting job's slice)",
        ),
        feature("place_lag", "PLACE_LAG: a waking job keeps the lag it blocked with"),
        feature(
            "place_deadline_initial",
            "PLACE_DEADLINE_INITIAL: a new job's first deadline is half a slice away",
        ),
        feature("wakeup_preemption", "WAKEUP_PREEMPTION: a waking job may preempt at once"),
        feature(
            "preempt_short",
            "PREEMPT_SHORT: a waking job with a shorter slice ignores the running job's protection",
        ),
        feature(
            "delay_dequeue",
            "DELAY_DEQUEUE: a job blocking with negative lag stays queued until eligible",
        ),
        feature("delay_zero", "DELAY_ZERO: a delayed job leaves with its lag capped at 0"),
    )

    base_slice: Time
    tick: Time
    hrtick: bool
    run_to_parity: bool
    place_lag: bool
    place_deadline_initial: bool
    wakeup_preemption: bool
    preempt_short: bool
    delay_dequeue: bool
    delay_zero: bool

    # -- lifecycle -----------------------------------------------------------------------------
    def reset(self, jobs: JobsView, clock: Clock, rng: np.random.Generator) -> None:
        super().reset(jobs, clock, rng)
        n = len(jobs)
        self.weight: list[int] = job_weights(jobs, self.name)
        # the slice each job asks for: its own (0 in the column: none), else the base slice
        self.request: list[Time] = [own or self.base_slice for own in jobs.slice]
        self.last_burst: list[int] = [count - 1 for count in jobs.cpu_bursts]
        self.vruntime: list[Time] = [0] * n
        self.deadline: list[Time] = [0] * n
        self.vlag: list[Time] = [0] * n  # V − vruntime when it last left the queue
        self.vprot: list[Time] = [0] * n  # protected until its vruntime reaches this
        self.queued: dict[int, int] = {}  # waiting (and delayed) jobs -> insertion number
        self.delayed: set[int] = set()
        self.on_cpu: dict[int, _OnCpu] = {}
        self.inserted = 0
        self.last_virtual_time: Time = 0  # V, kept while nothing is runnable
        self.woken: list[int] = []  # jobs that became ready at ``woken_at``
        self.woken_at: Time = -math.inf
        self.stopped_at: dict[int, Time] = {}  # when a job's slice last expired
        self.protect_timer: dict[int, Time] = {}  # a cut protection ends then
        self.due: set[int] = set()
        self.pending: int | None = None  # the job a preemption promised the CPU to
        self.pick_kind = "pick"  # how the last pick and preemption came about (explanations)
        self.instead_of = -1
        self.preempt_kind = "woke"

    def longest_slice(self) -> Time:
        """A request of the base slice, to the next tick (slices of their own may be longer;
        the engine only uses this to refuse runs needing too many slices)."""
        return max(self.base_slice, self.tick)

    # -- hooks ---------------------------------------------------------------------------------
    def on_ready(self, job: int) -> None:
        self._charge_running()
        if job in self.delayed:
            self._requeue_delayed(job)
        else:
            if self.jobs.burst_number(job) == 0:
                self.vlag[job] = 0
            self._place(job, initial=self.jobs.burst_number(job) == 0)
            self._enqueue(job)
        now = self.clock.now
        if self.woken_at != now:
            self.woken, self.woken_at = [], now
        self.woken.append(job)

    def pick_next(self) -> int:
        self._charge_running()
        job, self.pending = self.pending, None
        self.pick_kind = "woke"  # for explanations only
        if job is None or job not in self.queued:
            self.pick_kind = "pick"
            job = self._pick_runnable()
            assert job is not None, "picked from an empty queue"
            if self._picked_again_for_nothing(job):  # the kernel switches at once
                self.pick_kind, self.instead_of = "instead", job
                job = self._next_in_line(job)
        del self.queued[job]
        remaining = self.jobs.remaining[job]
        self.on_cpu[job] = _OnCpu(remaining, remaining, 0, None, self.clock.now)
        return job

    def time_slice(self, job: int) -> Time:
        now = self.clock.now
        if self.stopped_at.get(job) != now:  # a switch: the kernel's set_next_entity
            self._set_protect(job)
        protected = self.vruntime[job] < self.vprot[job]
        end = self.vprot[job] if protected else self._pick_ends_at(job)
        if not end - self.vruntime[job] > self._sliver(job):
            end = self.deadline[job]
        exact = self._real(job, end - self.vruntime[job])
        granted = exact
        target: Time | None = end
        if not protected and self.tick and not self.hrtick:  # nothing looks before the tick
            granted, target = self._next_tick(now) - now, None
        elif protected and self.tick:  # the tick notices the end of the protection
            granted = self._tick_at_or_after(now + exact) - now
            if self.hrtick and self.request[job] < granted:  # hrtick_start_fair
                granted = self.request[job]
            if granted != exact:
                target = None
        if not granted > 0:  # rounding only: never hand the engine an empty slice
            granted, target = self.request[job], None
        running = self.on_cpu[job]
        running.granted, running.target = granted, target
        return granted

    def on_expired(self, job: int) -> None:
        self._release(job, self.on_cpu[job].granted)
        self.stopped_at[job] = self.clock.now
        self._enqueue(job)

    def on_preempted(self, job: int, ran: Time) -> None:
        self._release(job, ran)
        self.vprot[job] = self.vruntime[job]  # cancel_protect_slice
        self._enqueue(job)

    def on_burst_end(self, job: int, ran: Time) -> None:
        self._release(job, ran)
        if self.jobs.burst_number(job) == self.last_burst[job]:
            return  # exits: gone from the queue, no lag to keep
        if self.delay_dequeue and not self._eligible(job, self._average(also=job)):
            self.delayed.add(job)
            self._enqueue(job)
        else:
            self.vlag[job] = self._lag_of(job, self._virtual_time(also=job))
        if not any(other not in self.delayed for other in self.queued):
            self._drain_delayed()  # the CPU that goes idle picks (and dequeues) them

    def preempt(self, running: Sequence[int]) -> int | None:
        self._charge_running()
        now = self.clock.now
        woken = [
            job
            for job in (self.woken if self.woken_at == now else ())
            if job in self.queued and job not in self.delayed
        ]
        candidates = [job for job in running if self.on_cpu[job].picked_at != now]
        due, self.due = self.due, set()
        for job in due:  # its cut protection has ended (whatever the rounding says)
            self.vprot[job] = min(self.vprot[job], self.vruntime[job])
        for job in candidates:  # update_curr: an unprotected job is rescheduled now
            if (woken or job in due) and not self._protected(job):
                best = self._pick_runnable(curr=job)
                if best is not None and best != job:
                    self.pending, self.preempt_kind = best, "fresh"
                    return job
        if not self.wakeup_preemption:
            return None
        for waking in woken:
            for job in candidates:
                short = self.preempt_short and self.request[waking] < self.request[job]
                if self._pick(curr=job, protect=not short) == waking:
                    self.pending, self.preempt_kind = waking, "short" if short else "woke"
                    return job
                if short and self.run_to_parity:
                    self._update_protect(job)
        return None

    def next_timer(self) -> Time | None:
        now = self.clock.now
        for job in [job for job, at in self.protect_timer.items() if at <= now]:
            del self.protect_timer[job]
        return min(self.protect_timer.values(), default=None)

    def on_timer(self) -> bool:
        """A cut protection ended: the preemption step that follows asks for a fresh pick."""
        now = self.clock.now
        self.due = {job for job, at in self.protect_timer.items() if at == now}
        return False

    # -- explanations (``run --explain`` only) --------------------------------------------------
    def _current_virtual_time(self) -> Time:
        """``V`` as last charged, computed without touching any state (explanations must
        not change the run they explain)."""
        origin, keys, weight = self._average()
        return origin + exact_quotient(keys, weight) if weight else self.last_virtual_time

    def explain_ready(self) -> str:
        now_v = self._current_virtual_time()
        average = self._average()

        def entry(job: int) -> str:
            mark = "d" if job in self.delayed else ("*" if self._eligible(job, average) else "")
            return f"{self.pid(job)} {fmt(self.vruntime[job])}/{fmt(self.deadline[job])}{mark}"

        waiting = sorted(self.queued, key=lambda job: (self.deadline[job], self.queued[job]))
        shown = ", ".join(entry(job) for job in waiting) or "-"
        return f"V {fmt(now_v)}; vruntime/deadline (* eligible, d delayed): {shown}"

    def explain_pick(self, job: int) -> str:
        mine = f"vruntime {fmt(self.vruntime[job])}, deadline {fmt(self.deadline[job])}"
        if self.pick_kind == "woke":
            return f"it woke up as the EEVDF pick ({mine})"
        if not any(
            other not in self.delayed for other in self.queued
        ) and not self.on_cpu.keys() - {job}:
            return f"the only runnable job ({mine})"
        now_v = self._current_virtual_time()
        if self.vruntime[job] > now_v:
            return f"nothing waiting is eligible, the lowest vruntime runs ({mine}, V {fmt(now_v)})"
        text = f"eligible ({fmt(self.vruntime[job])} <= V {fmt(now_v)}) with the earliest deadline"
        text += f" {fmt(self.deadline[job])}"
        if self.pick_kind == "instead":
            text += (
                f"; {self.pid(self.instead_of)}, picked again, would stop being the pick at once"
            )
        return text

    def explain_preempt(self, victim: int, job: int) -> str:
        if self.preempt_kind == "fresh":
            return (
                f"{self.pid(victim)} was past its protected slice, so a wake-up made a fresh "
                f"pick: {self.pid(job)}"
            )
        if self.preempt_kind == "short":
            return (
                f"{self.pid(job)} asks for a shorter slice than {self.pid(victim)} "
                "(PREEMPT_SHORT) and is now the EEVDF pick"
            )
        return f"{self.pid(job)} woke up and is now the EEVDF pick; {self.pid(victim)} gives way"

    def explain_timer(self) -> str:
        return "a running job's protection, cut short by a waiting shorter slice, ended"

    # -- introspection (tests, teaching) -------------------------------------------------------
    def virtual_time(self) -> Time:
        """``V`` now: the weighted mean vruntime of the runnable jobs."""
        self._charge_running()
        return self._virtual_time()

    def lag(self, job: int) -> Time:
        """``w × (V − vruntime)`` of a runnable job now (positive: it is owed CPU)."""
        return self.weight[job] * (self.virtual_time() - self.vruntime[job])

    def runnable(self) -> list[int]:
        """The jobs counted in ``V``: waiting, delayed and running."""
        return [*self.queued, *self.on_cpu]

    def lag_limit(self, job: int) -> Time:
        """The bound the kernel clamps a stored lag to, in virtual time:
        ``max(2 × slice, tick) × 1024 / w`` (``update_entity_lag``)."""
        return self._virtual(job, max(2 * self.request[job], self.tick))

    # -- virtual time --------------------------------------------------------------------------
    def _virtual(self, job: int, real: Time) -> Time:
        weight = self.weight[job]
        return real if weight == NICE_0_WEIGHT else exact_quotient(real * NICE_0_WEIGHT, weight)

    def _real(self, job: int, virtual: Time) -> Time:
        weight = self.weight[job]
        return (
            virtual if weight == NICE_0_WEIGHT else exact_quotient(virtual * weight, NICE_0_WEIGHT)
        )

    def _average(self, also: int | None = None) -> tuple[Time, Time, int]:
        """``(v0, Σ w (v − v0), Σ w)`` over the runnable jobs (and ``also``), with ``v0`` the
        first one's vruntime, so the sums stay small (the kernel's ``zero_vruntime``)."""
        members = [*self.queued, *self.on_cpu] + ([also] if also is not None else [])
        if not members:
            return self.last_virtual_time, 0, 0
        origin = self.vruntime[members[0]]
        keys = [self.weight[job] * (self.vruntime[job] - origin) for job in members]
        exact = all(type(key) is int for key in keys)
        total = sum(keys) if exact else math.fsum(keys)
        return origin, total, sum(self.weight[job] for job in members)

    def _virtual_time(
        self, also: int | None = None, average: tuple[Time, Time, int] | None = None
    ) -> Time:
        origin, keys, weight = average if average is not None else self._average(also)
        if weight:
            self.last_virtual_time = origin + exact_quotient(keys, weight)
        return self.last_virtual_time

    def _eligible(self, job: int, average: tuple[Time, Time, int]) -> bool:
        origin, keys, weight = average
        return keys >= (self.vruntime[job] - origin) * weight

    def _protected(self, job: int) -> bool:
        return self.vruntime[job] < self.vprot[job]

    def _lag_of(self, job: int, now_v: Time) -> Time:
        """``V − vruntime`` clamped to the kernel's bound (``update_entity_lag``)."""
        limit = self.lag_limit(job)
        return max(-limit, min(limit, now_v - self.vruntime[job]))

    def _advance(self, job: int, running: _OnCpu, left: Time) -> None:
        """``update_curr``: charge a running job's progress to its vruntime (``left``: CPU
        still to run in its burst now), and renew its request if it reached its deadline.
        A slice that ran in full ends exactly on the vruntime it was computed to reach."""
        if running.target is not None and left == running.dispatched - running.granted:
            self.vruntime[job] = running.target
        elif running.charged != left:
            self.vruntime[job] += self._virtual(job, running.charged - left)
        running.charged = left
        if self.vruntime[job] >= self.deadline[job]:  # update_deadline
            self.deadline[job] = self.vruntime[job] + self._virtual(job, self.request[job])

    def _charge_running(self) -> None:
        remaining_now = self.jobs.remaining_now
        for job, running in self.on_cpu.items():
            self._advance(job, running, remaining_now(job))

    def _release(self, job: int, ran: Time) -> None:
        """A job leaves its CPU having run ``ran`` of this slice."""
        running = self.on_cpu[job]
        self._advance(job, running, running.dispatched - ran)
        del self.on_cpu[job]
        self.protect_timer.pop(job, None)
        self._charge_running()

    # -- the queue ------------------------------------------------------------------------------
    def _enqueue(self, job: int) -> None:
        self.inserted += 1
        self.queued[job] = self.inserted

    def _place(self, job: int, *, initial: bool) -> None:
        """``place_entity``: vruntime = V − inflated lag; deadline one request later."""
        average = self._average()
        now_v = self._virtual_time(average=average)
        weight = average[2]
        lag: Time = 0
        if self.place_lag and weight and self.vlag[job]:
            lag = exact_quotient(self.vlag[job] * (weight + self.weight[job]), weight)
        self.vruntime[job] = now_v - lag
        virtual_slice = self._virtual(job, self.request[job])
        if initial and self.place_deadline_initial:
            virtual_slice = exact_quotient(virtual_slice, 2)
        self.deadline[job] = self.vruntime[job] + virtual_slice

    def _requeue_delayed(self, job: int) -> None:
        """``requeue_delayed_entity``: a delayed job woke before leaving the queue."""
        self.delayed.discard(job)
        if self.delay_zero and self._lag_of(job, self._virtual_time()) > 0:
            del self.queued[job]
            self.vlag[job] = 0
            self._place(job, initial=False)
            self._enqueue(job)

    def _finish_delayed(self, job: int) -> None:
        """A delayed job leaves the queue with its lag (capped at 0 with DELAY_ZERO)."""
        lag = self._lag_of(job, self._virtual_time())
        self.vlag[job] = min(lag, 0) if self.delay_zero else lag
        self.delayed.discard(job)
        del self.queued[job]

    def _drain_delayed(self) -> None:
        while self.delayed:
            chosen = self._pick(curr=None, protect=True)
            self._finish_delayed(chosen if chosen is not None else self._fallback(self.delayed))

    def _pick(self, curr: int | None, protect: bool, exclude: int | None = None) -> int | None:
        """``__pick_eevdf``: the eligible queued job with the earliest deadline, or ``curr``
        (a running job) if it is eligible and protected, or strictly earlier.  ``exclude``:
        a queued job counted in ``V`` but not a candidate."""
        queued = self.queued
        if len(queued) + (curr is not None) == 1:
            only = curr if curr is not None else next(iter(queued))
            return None if only == exclude else only
        average = self._average()
        if curr is not None and not self._eligible(curr, average):
            curr = None
        if curr is not None and protect and self._protected(curr):
            return curr
        best: int | None = None
        best_key: tuple[Time, int] | None = None
        for job, order in queued.items():
            if job == exclude:
                continue
            key = (self.deadline[job], order)
            if (best_key is None or key < best_key) and self._eligible(job, average):
                best, best_key = job, key
        if best is None or (curr is not None and self.deadline[curr] < self.deadline[best]):
            return curr
        return best

    def _pick_runnable(self, curr: int | None = None) -> int | None:
        """What the CPU runs next: the EEVDF pick, dequeuing delayed jobs it meets
        (``pick_next_entity``); the lowest vruntime if nothing queued is eligible."""
        while True:
            chosen = self._pick(curr, protect=True)
            if chosen is None:
                real = [job for job in self.queued if job not in self.delayed]
                chosen = self._fallback(real) if real else curr
            if chosen is None or chosen not in self.delayed:
                return chosen
            self._finish_delayed(chosen)

    def _next_in_line(self, job: int) -> int:
        """The pick if ``job`` were not a candidate (delayed jobs met are dequeued); ``job``
        itself when no other job is eligible."""
        while True:
            other = self._pick(None, protect=True, exclude=job)
            if other is None:
                return job
            if other not in self.delayed:
                return other
            self._finish_delayed(other)

    def _pick_ends_at(self, job: int) -> Time:
        """The vruntime at which ``job``, picked again without protection, stops being the
        pick: when it passes the weighted mean of the others (it is no longer eligible),
        when ``V`` reaches a waiting job with a deadline no later than its own (that job
        becomes the pick), or at its own deadline (its request is renewed and the pick made
        again).  Linux with HRTICK looks again at once at a task picked again past its slice
        (``hrtick_start_fair``), and keeps doing so: the task runs while it stays the pick."""
        end = self.deadline[job]
        others = [other for other in (*self.queued, *self.on_cpu) if other != job]
        if not others:
            return end
        origin = self.vruntime[job]
        weight = self.weight[job]
        others_weight = sum(self.weight[other] for other in others)
        keys = [self.weight[other] * (self.vruntime[other] - origin) for other in others]
        others_keys = sum(keys) if all(type(key) is int for key in keys) else math.fsum(keys)
        end = min(end, origin + exact_quotient(others_keys, others_weight))
        total = others_weight + weight
        for other in self.queued:
            if other == job or other in self.delayed or self.deadline[other] > self.deadline[job]:
                continue
            reach = exact_quotient((self.vruntime[other] - origin) * total - others_keys, weight)
            end = min(end, origin + reach)
        return end

    def _picked_again_for_nothing(self, job: int) -> bool:
        """Whether ``job``, just picked again right after its own slice, would stop being the
        pick at once (without a tick the kernel would switch before it runs)."""
        return (
            (not self.tick or self.hrtick)
            and self.stopped_at.get(job) == self.clock.now
            and not self._protected(job)
            and not self._pick_ends_at(job) - self.vruntime[job] > self._sliver(job)
        )

    def _sliver(self, job: int) -> Time:
        """A virtual run this short is rounding, not a run (0 on exact integers)."""
        if self.jobs.integer_times and isinstance(self.vruntime[job], int):
            return 0
        return SLIVER * self._virtual(job, self.request[job])

    def _fallback(self, jobs: Sequence[int] | set[int]) -> int:
        return min(jobs, key=lambda job: (self.vruntime[job], self.queued[job]))

    # -- protection and the tick -----------------------------------------------------------------
    def _shortest_queued_request(self) -> Time | None:
        return min((self.request[job] for job in self.queued), default=None)

    def _set_protect(self, job: int) -> None:
        """``set_protect_slice``: protected to the deadline, or sooner if a queued job asks
        for a shorter slice (RUN_TO_PARITY) or the base slice is shorter (without it)."""
        shortest = self._shortest_queued_request() if self.run_to_parity else self.base_slice
        own = self.request[job]
        protect = self.deadline[job]
        if shortest is not None and shortest < own:
            protect = min(protect, self.vruntime[job] + self._virtual(job, shortest))
        self.vprot[job] = protect

    def _update_protect(self, job: int) -> None:
        """``update_protect_slice``: cut a running job's protection to the shortest queued
        request; its slice then ends there (at the next tick), by a timer."""
        shortest = self._shortest_queued_request()
        if shortest is None:
            return
        cut = self.vruntime[job] + self._virtual(job, shortest)
        if not cut < self.vprot[job]:
            return
        self.vprot[job] = cut
        now = self.clock.now
        at = now + self._real(job, cut - self.vruntime[job])
        if self.tick:
            at = self._tick_at_or_after(at)
        running = self.on_cpu[job]
        ends = now + running.granted - (running.dispatched - running.charged)
        if at < ends:
            self.protect_timer[job] = at

    def _tick_at_or_after(self, time: Time) -> Time:
        """The first tick boundary at or after ``time`` (and after now)."""
        tick = self.tick
        if isinstance(time, int) and isinstance(tick, int):
            boundary: Time = -(-time // tick) * tick
        else:
            boundary = math.ceil(time / tick - TICK_EPSILON) * tick
        return boundary if boundary > self.clock.now else self._next_tick(self.clock.now)

    def _next_tick(self, time: Time) -> Time:
        """The first tick boundary strictly after ``time``."""
        tick = self.tick
        if isinstance(time, int) and isinstance(tick, int):
            return (time // tick + 1) * tick
        return (math.floor(time / tick + TICK_EPSILON) + 1) * tick
