"""Multilevel feedback queue, with the rules as OSTEP (ch. 8) states them.

1. A higher level always runs first; a job that arrives or returns from I/O into a higher
   level than a running job preempts it at once.  The preempted job keeps the rest of its
   slice and stays at the head of its queue.
2. Round robin within a level, with that level's quantum (``inf`` allowed at the bottom).
3. New jobs enter the top level.
4. A job's CPU use at a level is summed across I/O: it goes to the tail of its queue each
   time that use reaches a multiple of the level's quantum, and moves down a level (with
   fresh accounting) when it reaches the level's allotment — mid-slice if the allotment is
   not a multiple of the quantum.  At the bottom level it just keeps round-robin.
5. Every ``boost`` time units every job moves to the top level with fresh accounting:
   queued jobs join the top queue behind those already there, higher levels first, keeping
   their order; a running job keeps running at the top level with a fresh slice; jobs in
   I/O return to the top level.

``io_resets`` restores the old, gameable rule 4: a job that gives up the CPU before its slice
ends keeps its level and its accounting restarts — so a job that issues I/O just before its
quantum ends stays at the top forever.

Defaults follow OSTEP's ``mlfq.py``: 3 levels, quantum 10 at every level, allotment one
quantum, no boost.

Float times: sums such as 0.1 + 0.2 + ... land a few ulps off a quantum boundary, and a
slice of a few ulps would end at the instant it starts, again and again.  So a job whose use
is within ``TOLERANCE`` x quantum of a boundary gets a fresh quantum, and use within
``TOLERANCE`` x allotment below the allotment reaches it.  Integer runs stay exact.

When the driver asks for compiled hooks (``JobsView.native``: a float workload in the
compiled loop) the hooks are the methods of ``schedsim.policies._mlfq_core.MLFQCore`` (when
that extension was built): the same rules with the same float operations in the same order,
so the schedule is bit-identical, about ten times faster.  The Python hooks below remain the
specification and run everything else.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from typing import Any

import numpy as np

from schedsim.clock import Clock
from schedsim.errors import OptionError
from schedsim.formatting import fmt
from schedsim.options import (
    MAX_LEVELS,
    Option,
    parse_count,
    parse_flag,
    parse_nonnegative_time,
    parse_time_list,
)
from schedsim.policies.base import JobsView, Policy, Time

try:
    from schedsim.policies._mlfq_core import (  # type: ignore[import-not-found,unused-ignore]
        MLFQCore,
    )
except ImportError:  # built without a C compiler: the Python hooks run everything
    MLFQCore = None

INF = math.inf
# How close (relative to the quantum or allotment) float use must come to a boundary to count
# as reaching it; see the module docstring.
TOLERANCE = 1e-9
# The hooks that MLFQCore's methods replace, besides the four that _bind_slice_hooks binds.
_CORE_HOOKS = ("on_preempted", "on_burst_end", "preempt", "slice_level")
# Integers a double holds exactly: quanta beyond this keep the Python hooks.
_EXACT_DOUBLE = 2**53


class MLFQ(Policy):
    """Multilevel feedback queue (level 0 is the top, most important level)."""

    name = "mlfq"
    title = "multilevel feedback queue (OSTEP rules)"
    preemptive = True
    options = (
        Option(
            "levels",
            lambda text: parse_count(text, MAX_LEVELS),
            3,
            f"number of queues, at most {MAX_LEVELS} (default 3)",
            "N",
        ),
        Option(
            "quantum",
            parse_time_list,
            (10,),
            "quantum per level, top first: Q or q1,q2,... (inf allowed last; default 10)",
            "Q",
        ),
        Option(
            "allotment",
            parse_time_list,
            None,
            "CPU time a job may use at a level before it moves down: A or a1,a2,... "
            "(default: one quantum)",
            "A",
        ),
        Option(
            "boost",
            parse_nonnegative_time,
            0,
            "every S time units move every job to the top level (0 = never, the default)",
            "S",
        ),
        Option(
            "io_resets",
            parse_flag,
            False,
            "old gameable rule: giving up the CPU early keeps the level and resets accounting",
            flag=True,
        ),
    )

    levels: int
    quantum: tuple[Time, ...]
    allotment: tuple[Time, ...] | None
    boost: Time
    io_resets: bool

    def validate(self) -> None:
        self.quanta = _per_level("--quantum", self.quantum, self.levels)
        self.allotments = (
            self.quanta
            if self.allotment is None
            else _per_level("--allotment", self.allotment, self.levels)
        )
        for level, quantum in enumerate(self.quanta[:-1]):
            if quantum == INF:
                raise OptionError(
                    f"--quantum: inf is allowed only for the bottom level, not level {level}"
                )

    def reset(self, jobs: JobsView, clock: Clock, rng: np.random.Generator) -> None:
        super().reset(jobs, clock, rng)
        n = len(jobs)
        self.bottom = self.levels - 1
        self.next_boost: Time = self.boost if self.boost > 0 else INF
        if self.boost > 0:  # without boosting there is no timer for the driver to watch
            self.next_timer = self._boost_time  # type: ignore[method-assign]
        for hook in _CORE_HOOKS:  # a previous run's core methods, if any
            self.__dict__.pop(hook, None)
        self.core = self._make_core(jobs)
        if self.core is not None:
            self._bind_core_hooks(self.core)
            return
        self.queues: list[deque[int]] = [deque() for _ in range(self.levels)]
        self.level = [0] * n
        self.used: list[Time] = [0] * n
        self.granted: list[Time] = [0] * n
        self.seen = [False] * n
        # Integer use of an integer allotment is compared exactly; float use with tolerance.
        self.thresholds: tuple[Time, ...] = tuple(
            allotment
            if jobs.integer_times and isinstance(allotment, int)
            else allotment * (1 - TOLERANCE)
            for allotment in self.allotments
        )
        self._bind_slice_hooks()

    def _make_core(self, jobs: JobsView) -> Any:
        """The compiled core for a float run, or None where the Python hooks must run."""
        if (
            MLFQCore is None
            or not jobs.native
            or jobs.integer_times
            or any(
                isinstance(value, int) and abs(value) > _EXACT_DOUBLE
                for value in self.quanta + self.allotments
            )
        ):
            return None
        return MLFQCore(len(jobs), self.quanta, self.allotments, self.io_resets)

    def _bind_core_hooks(self, core: Any) -> None:
        """Every per-slice hook straight to a C method: no Python frame per call."""
        for hook in ("on_ready", "pick_next", "time_slice", "on_expired", *_CORE_HOOKS):
            setattr(self, hook, getattr(core, hook))

    def _bind_slice_hooks(self) -> None:
        """The four hooks called for every slice, as closures over this run's state.

        They read lists and constants from local variables instead of ``self`` attributes,
        which roughly halves their cost; the state they share with the other hooks is the
        same list objects (never rebound, only changed in place)."""
        queues = self.queues
        top = queues[0]
        level = self.level
        used = self.used
        granted_by_job = self.granted
        seen = self.seen
        quanta = self.quanta
        allotments = self.allotments
        thresholds = self.thresholds
        bottom = self.bottom

        def on_ready(job: int) -> None:
            """Rule 3: a new job enters the top level; one back from I/O keeps its level
            and its accounting (rule 4)."""
            if seen[job]:
                queues[level[job]].append(job)
            else:
                seen[job] = True
                top.append(job)

        def pick_next() -> int:
            """Rule 1: the head of the highest non-empty queue."""
            for queue in queues:
                if queue:
                    return queue.popleft()
            raise IndexError("pick_next called with no ready job")

        def time_slice(job: int) -> Time:
            """Up to the next multiple of the level's quantum, but not past its allotment.
            Float use within TOLERANCE x quantum of a multiple gets a whole quantum."""
            current = level[job]
            spent = used[job]
            quantum = quanta[current]
            if quantum != INF:
                remainder = spent % quantum
                granted = quantum - remainder
                if remainder.__class__ is float and (
                    remainder < quantum * TOLERANCE or granted < quantum * TOLERANCE
                ):
                    granted = quantum
            else:
                granted = INF
            if current < bottom:
                to_allotment = allotments[current] - spent
                if to_allotment < granted:
                    granted = to_allotment
            granted_by_job[job] = granted
            return granted

        def on_expired(job: int) -> None:
            """The whole slice was used: charge it (rule 4) and go to the tail."""
            current = level[job]
            spent = used[job] + granted_by_job[job]
            if current < bottom and spent >= thresholds[current]:
                current += 1
                level[job] = current
                spent = 0
            used[job] = spent
            queues[current].append(job)

        self.on_ready = on_ready  # type: ignore[method-assign]
        self.pick_next = pick_next  # type: ignore[method-assign]
        self.time_slice = time_slice  # type: ignore[method-assign]
        self.on_expired = on_expired  # type: ignore[method-assign]

    def on_preempted(self, job: int, ran: Time) -> None:
        level = self._charge(job, ran)
        self.queues[level].appendleft(job)

    def on_burst_end(self, job: int, ran: Time) -> None:
        if self.io_resets and ran < self.granted[job]:
            self.used[job] = 0
        else:
            self._charge(job, ran)

    def on_removed(self, job: int) -> None:
        """A ready job leaves (an ended daemon): out of its level's queue.  (The compiled
        core is bound only for the compiled loop, which never ends a job.)"""
        self.queues[self.level[job]].remove(job)

    def preempt(self, running: Sequence[int]) -> int | None:
        best = next((level for level, queue in enumerate(self.queues) if queue), None)
        if best is None:
            return None
        level = self.level
        victim = (
            running[0] if len(running) == 1 else max(running, key=lambda job: (level[job], job))
        )
        return victim if level[victim] > best else None

    def longest_slice(self) -> Time:
        return max(self.quanta)

    def timer_period(self) -> Time:
        return self.boost if self.boost > 0 else INF

    def _boost_time(self) -> Time | None:
        return self.next_boost

    def on_timer(self) -> bool:
        """Rule 5, the priority boost: everything to the top, running slices restart."""
        self.next_boost += self.boost
        if self.core is not None:
            self.core.boost()
            return True
        top = self.queues[0]
        for queue in self.queues[1:]:  # behind the top queue, higher levels first
            top.extend(queue)
            queue.clear()
        self.level[:] = [0] * len(self.level)
        self.used[:] = [0] * len(self.used)
        return True

    def slice_level(self, job: int) -> int:
        return self.level[job]

    # -- explanations ------------------------------------------------------------------------
    def explain_ready(self) -> str:
        return " | ".join(
            f"L{level}: {self.pids(queue)}" for level, queue in enumerate(self.queues)
        )

    def explain_pick(self, job: int) -> str:
        level = self.level[job]
        higher = " (the levels above are empty)" if level > 0 else ""
        return f"head of L{level}{higher}, quantum {fmt(self.quanta[level])}"

    def explain_preempt(self, victim: int, job: int) -> str:
        return (
            f"{self.pid(job)} at L{self.level[job]} is above {self.pid(victim)} at "
            f"L{self.level[victim]}: a higher level runs first"
        )

    def explain_level(self, job: int, before: int, after: int) -> str:
        if after > before:
            return (
                f"{self.pid(job)} demoted to L{after}: used its allotment of "
                f"{fmt(self.allotments[before])} at L{before}"
            )
        return f"{self.pid(job)} back to L{after}"

    def explain_timer(self) -> str:
        return f"boost: every job moves to L0 (every {fmt(self.boost)})"

    # -- accounting ---------------------------------------------------------------------------
    def _charge(self, job: int, ran: Time) -> int:
        """Add ``ran`` to the job's use at its level; move it down at its allotment (rule
        4).  Returns the level it is at now."""
        level = self.level[job]
        used = self.used[job] + ran
        if level < self.bottom and used >= self.thresholds[level]:
            level += 1
            self.level[job] = level
            used = 0
        self.used[job] = used
        return level


def _per_level(flag: str, values: tuple[Time, ...], levels: int) -> tuple[Time, ...]:
    if len(values) == 1:
        return values * levels
    if len(values) != levels:
        raise OptionError(f"{flag}: give one value or one per level ({levels}), got {len(values)}")
    return values
