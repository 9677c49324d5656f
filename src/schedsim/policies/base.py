"""The policy interface: a few small hooks, called by a driver that the policy never sees.

A policy owns its ready structure (a deque, a heap, a list of deques) and answers questions
about it.  It identifies jobs by an integer id (the process's index in the workload file) and
reads what it needs about them through a read-only :class:`JobsView`; it reads the time from
``self.clock.now``.  It never sees the engine, so the same policy object drives the
discrete-event simulator and the real-process dispatcher.

Hook protocol (the driver guarantees the order; ``now`` is ``self.clock.now``):

``on_ready(job)``
    ``job`` starts a new CPU burst and is ready: it arrived, or its I/O completed.
``pick_next() -> job | None``
    Called only when at least one job is ready and a CPU is free.  Remove one ready job
    from the ready structure and return it; it will run on a CPU.  A policy that wants a
    free CPU left idle for now (a model of a lock that lets one thread run at a time) returns
    None: no more jobs are dispatched at this instant, and it is asked again at the next
    one.  (After a preemption it must name a job: the CPU was freed for it.)
``time_slice(job) -> time``
    How long ``job`` may run before the driver asks again (``math.inf``: until its burst
    ends).  Called right after ``pick_next`` returned ``job``.  Must be > 0.  A policy whose
    slice never varies may instead set ``self.time_slice`` to that number in ``reset``
    (round robin sets its quantum): drivers then use it without a call per dispatch.
``on_expired(job)``
    ``job`` used its whole slice and still has work: it is ready again and the policy must
    hold it.  (Default: treat it as ``on_ready``.)
``on_preempted(job, ran)``
    ``job`` was taken off a CPU (because :meth:`preempt` chose it) after running ``ran`` of
    its slice; it is ready again.  (Default: ``on_ready``.)
``on_burst_end(job, ran)``
    ``job`` finished its current CPU burst, having run ``ran`` in this last slice; it now
    blocks for I/O or exits.
``preempt(running) -> job | None``
    Only for ``preemptive = True`` policies, called after jobs became ready while every CPU
    is busy.  Return the running job that must give its CPU to the best ready job, or None.
``next_timer() -> time | None`` / ``on_timer() -> bool``
    A policy that acts at times of its own (MLFQ boost, aging) returns the next such
    absolute time (asked at the start and again after every instant); the driver calls
    ``on_timer`` then, after the jobs of that instant became ready.  ``on_timer`` returns
    True when the slices of running jobs must restart now (MLFQ's boost gives the running
    job a fresh top-level slice); the driver then asks ``time_slice`` for each of them.
    A policy that needs no timer in its current configuration simply does not provide
    ``next_timer`` (MLFQ binds it in ``reset`` only when boosting is on).

``on_priority(job, priority)``
    For processes that synchronise under ``--locks inherit`` or ``ceiling``: ``job``'s
    effective priority is now ``priority`` (it inherited one, entered a lock's ceiling, or
    got its own back).  A policy that orders jobs by priority re-files ``job`` if it holds
    it; the driver then asks :meth:`preempt`.  ``jobs.priority`` stays the static one.
``on_burst_extended(job, added)``
    For processes that synchronise: a running job passed a step that could have made it
    wait (it did not), so its CPU burst goes on and ``remaining[job]`` grew by ``added``.  A
    policy that measures a running job's progress as the drop of ``remaining`` since it
    picked the job adds ``added`` to its snapshot.
``on_removed(job)``
    A ready job leaves the system without running: a daemon process ended because its
    parent finished, or a job ended at its deadline (``--on-miss abort-job``).  Drop it from
    the ready structure.  (Default: the run fails with a message saying the policy cannot
    do it.)
``lock_priorities() -> list | None``
    The static priorities (lower = more important) lock protocols work with, one per job:
    a policy that ranks jobs its own way (rate monotonic) returns its ranks, so that a lock
    holder inherits, and a lock's ceiling is, a rank the policy orders by.  Called once,
    after ``reset``.  (Default None: the workload's ``priority`` column.)
``explain_ready()``, ``explain_pick(job)``, ``explain_preempt(victim, job)``,
``explain_level(job, before, after)``, ``explain_timer()``
    Used only by ``schedsim run --explain`` (an observer of the scheduler, see
    :mod:`schedsim.explain`), never during an ordinary run: the ready structure as a person
    would draw it, and the rule behind a pick, a preemption, a change of level, a timer.
    Each has a plain default; a policy overrides them where it can say more ("shortest next
    burst, 2 < 4").

``fixed_order(arrival_order) -> order | None``
    An optional shortcut (``arrival_order``: the job ids by arrival time, file order on
    ties, as a numpy array).  A policy that, on one CPU and a workload without I/O, runs every
    job to the end of its burst in an order known before the run (FCFS: the order of
    arrival) may return that order; the driver then lays out the schedule in one pass
    instead of calling the other hooks.  The result is identical (a property test checks
    it for FCFS); the driver checks that the order is a permutation of the jobs.

Hooks a policy leaves at their defaults are not called at all, so a simple policy costs
the driver nothing for what it does not use.  A policy may also bind a hook to a C method
of its ready structure (FCFS binds ``on_ready`` to ``deque.append``) in ``reset``.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from schedsim.clock import Clock, SimulatedClock
from schedsim.errors import OptionError, PolicyError
from schedsim.options import Option

if TYPE_CHECKING:
    from schedsim.workload import Workload

Time = int | float


class JobsView:
    """What a policy may know about jobs: static attributes and burst progress, read-only.

    The sequences are shared with the driver for speed; policies must not modify them.
    ``remaining[job]`` is the CPU time left in ``job``'s current burst as of the moment it
    last became ready (exact while it waits); :meth:`remaining_now` also accounts for the
    time it has been running on a CPU.  ``integer_times`` is True when every time of the run
    is a Python int (an integer workload in the simulator), so a policy may keep exact
    integer arithmetic; drivers with float or measured times leave it False.  ``native`` is
    True when the driver runs compiled code and wants compiled hooks where a policy has them
    (float times, the extension built, ``SCHEDSIM_PURE_PYTHON`` not set): MLFQ then binds
    its hooks to its compiled core.

    The static columns (``arrival``, ``priority``, ``tickets``, ``nice``, and whatever else
    the workload declares in :meth:`Workload.job_columns`) are attributes of the view.
    """

    arrival: Sequence[Time]
    priority: Sequence[int]
    tickets: Sequence[int]
    nice: Sequence[int]

    def __init__(
        self,
        *,
        pid: Sequence[str],
        columns: Mapping[str, Any],
        remaining: Sequence[Time],
        running_since: Sequence[Time | None],
        burst_number: Sequence[int],
        clock: Clock,
        integer_times: bool = False,
        native: bool = False,
    ) -> None:
        self.pid = pid
        self.integer_times = integer_times
        self.native = native
        # Static columns are turned into lists only when a policy first reads them: most
        # policies read none, and at a million jobs each list costs time and tens of MB.
        self._sources = dict(columns)
        self.remaining = remaining
        self._running_since = running_since
        self._burst_number = burst_number
        self.clock = clock

    @classmethod
    def of_workload(
        cls,
        workload: Workload,
        *,
        remaining: Sequence[Time],
        running_since: Sequence[Time | None],
        burst_number: Sequence[int],
        clock: Clock,
        integer_times: bool = False,
        native: bool = False,
    ) -> JobsView:
        """The view every driver gives its policy over ``workload``'s jobs."""
        return cls(
            pid=workload.pid,
            columns=workload.job_columns(),
            remaining=remaining,
            running_since=running_since,
            burst_number=burst_number,
            clock=clock,
            integer_times=integer_times,
            native=native,
        )

    def __getattr__(self, name: str) -> Any:
        sources = self.__dict__.get("_sources", {})
        if name in sources:
            source = sources[name]
            column = source.tolist() if hasattr(source, "tolist") else list(source)
            setattr(self, name, column)  # later reads are plain attribute reads
            return column
        raise AttributeError(name)

    def __len__(self) -> int:
        return len(self.pid)

    def remaining_now(self, job: int) -> Time:
        """CPU time ``job`` still needs in its current burst, counting the current slice."""
        since = self._running_since[job]
        if since is None:
            return self.remaining[job]
        return self.remaining[job] - max(0, self.clock.now - since)

    def is_running(self, job: int) -> bool:
        """Whether ``job`` is on a CPU now."""
        return self._running_since[job] is not None

    def burst_number(self, job: int) -> int:
        """0 for the first CPU burst, 1 for the one after the first I/O, ..."""
        return self._burst_number[job]


class Policy:
    """Base class: declare ``name``, ``title``, ``options``; implement the hooks you need."""

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    options: ClassVar[tuple[Option, ...]] = ()
    preemptive: ClassVar[bool] = False
    # How many jobs the policy lets run at once, whatever the number of CPUs (None: one per
    # CPU).  A model of a lock that one thread holds at a time (CPython's GIL, an asyncio
    # event loop) says 1: its other CPUs stay idle while jobs wait, and the checks that a
    # schedule wastes no CPU (tests, reports) must know it.
    max_running: ClassVar[int | None] = None
    # Whether the policy draws from ``rng``: only then can the seed change its schedule.
    randomised: ClassVar[bool] = False

    jobs: JobsView
    clock: Clock
    rng: np.random.Generator

    def __init__(self, **values: Any) -> None:
        known = {option.name: option for option in self.options}
        unknown = sorted(set(values) - set(known))
        if unknown:
            takes = ", ".join(o.cli_flag for o in self.options) or "no options"
            raise OptionError(
                f"policy {self.name!r} does not take option(s) "
                f"{', '.join('--' + u.replace('_', '-') for u in unknown)} (it takes {takes})"
            )
        self._values: dict[str, Any] = {}
        for option in self.options:
            raw = values.get(option.name)
            if raw is None:
                value = option.default
            else:
                try:
                    value = option.parse(raw)
                except OptionError as error:
                    raise OptionError(f"policy {self.name!r}: {option.cli_flag}: {error}") from None
            self._values[option.name] = value
            setattr(self, option.name, value)
        try:
            self.validate()
        except OptionError as error:
            raise OptionError(f"policy {self.name!r}: {error}") from None

    def validate(self) -> None:
        """Check options against each other; raise OptionError.  Runs in the constructor."""

    @property
    def settings(self) -> dict[str, Any]:
        """The option values in effect (defaults filled in), for reports and output."""
        return {key: _plain(value) for key, value in self._values.items()}

    def describe(self) -> str:
        """``rr(quantum=4)``: the policy and its options, for titles and tables."""
        shown = ", ".join(f"{k}={_format(v)}" for k, v in self.settings.items() if v is not None)
        return f"{self.name}({shown})" if shown else self.name

    # -- lifecycle -------------------------------------------------------------------------
    def reset(self, jobs: JobsView, clock: Clock, rng: np.random.Generator) -> None:
        """Forget any previous run and prepare an empty ready structure.

        Subclasses extend this (call ``super().reset(...)`` first)."""
        self.jobs = jobs
        self.clock = clock
        self.rng = rng

    # -- hooks -------------------------------------------------------------------------------
    def on_ready(self, job: int) -> None:
        raise NotImplementedError

    def pick_next(self) -> int | None:
        raise NotImplementedError

    def time_slice(self, job: int) -> Time:
        return math.inf

    def on_expired(self, job: int) -> None:
        self.on_ready(job)

    def on_preempted(self, job: int, ran: Time) -> None:
        self.on_ready(job)

    def on_burst_end(self, job: int, ran: Time) -> None:
        return None

    def preempt(self, running: Sequence[int]) -> int | None:
        return None

    def on_priority(self, job: int, priority: int) -> None:
        return None

    def on_burst_extended(self, job: int, added: Time) -> None:
        return None

    def on_removed(self, job: int) -> None:
        raise NotImplementedError(f"policy {self.name!r} cannot remove a ready job")

    def lock_priorities(self) -> Sequence[int] | None:
        return None

    def next_timer(self) -> Time | None:
        return None

    def on_timer(self) -> bool:
        return False

    def fixed_order(self, arrival_order: np.ndarray) -> Sequence[int] | np.ndarray | None:
        return None

    def timer_period(self) -> Time:
        """The shortest interval between this policy's timer events (MLFQ's boost period,
        the aging step), or inf; drivers use it to refuse a run that would fire too many."""
        return math.inf

    def longest_slice(self) -> Time:
        """The longest slice this policy ever grants (its quantum), or inf.  Drivers use it
        to refuse, before starting, a run that would need more slices than allowed."""
        return math.inf

    def slice_level(self, job: int) -> int:
        """The queue level ``job`` runs at (MLFQ) for charts; -1 when levels mean nothing."""
        return -1

    # -- explanations (``run --explain`` only) ---------------------------------------------------
    def explain_ready(self) -> str | None:
        """The ready structure before a decision, e.g. ``queue: P2 P3``; None lets the
        explanation list the ready jobs in file order."""
        return None

    def explain_pick(self, job: int) -> str:
        """Why ``job`` was picked, asked right after :meth:`pick_next` returned it."""
        return f"picked by {self.name}"

    def explain_preempt(self, victim: int, job: int) -> str:
        """Why ``job`` takes ``victim``'s CPU, asked right after the preemption."""
        return f"{self.pid(job)} preempts {self.pid(victim)}"

    def explain_level(self, job: int, before: int, after: int) -> str:
        """Why ``job`` moved from level ``before`` to ``after`` (see :meth:`slice_level`)."""
        return f"{self.pid(job)} moves from L{before} to L{after}"

    def explain_timer(self) -> str:
        """What the policy's timer did."""
        return f"{self.name} timer"

    def pid(self, job: int) -> str:
        """The process name of ``job``, for explanations."""
        return str(self.jobs.pid[job])

    def pids(self, jobs: Any) -> str:
        """``P1 P2 P3``: process names in the given order, ``-`` for none."""
        names = [self.pid(job) for job in jobs]
        return " ".join(names) if names else "-"


def slice_source(policy: Policy) -> tuple[Callable[[int], Time] | None, Time]:
    """How a driver learns slice lengths: ``(time_slice, inf)`` for a policy that computes
    them, ``(None, q)`` for one that set ``time_slice`` to a fixed number q (no call per
    dispatch), ``(None, inf)`` for one that lets every job run to the end of its burst.
    Shared by every driver so that they cannot drift apart."""
    value: Any = policy.time_slice
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not value > 0:
            raise PolicyError(
                f"policy {policy.name!r} set a fixed time slice of {value!r}; a slice must be > 0"
            )
        return None, value
    return (policy.time_slice if overrides(policy, "time_slice") else None), math.inf


def remove_from_heap(heap: list[tuple[Any, ...]], job: int) -> None:
    """Take ``job`` (the last field of its entry) out of a ready heap, in place (for
    ``on_removed``: rare, so a linear pass is fine)."""
    heap[:] = [entry for entry in heap if entry[-1] != job]
    heapq.heapify(heap)


def overrides(policy: Policy, hook: str) -> bool:
    """Whether ``policy`` provides its own ``hook`` (drivers skip default hooks)."""
    return hook in vars(policy) or getattr(type(policy), hook) is not getattr(Policy, hook)


def standalone_view(remaining: Sequence[Time], **columns: Any) -> JobsView:
    """A JobsView over plain sequences, for driving a policy by hand in tests and docs."""
    n = len(remaining)
    clock = columns.pop("clock", None) or SimulatedClock()
    pid = columns.pop("pid", [f"P{i + 1}" for i in range(n)])
    defaults = {"arrival": [0] * n, "priority": [0] * n, "tickets": [100] * n, "nice": [0] * n}
    return JobsView(
        pid=pid,
        columns={**defaults, **columns},
        remaining=remaining,
        running_since=[None] * n,
        burst_number=[0] * n,
        clock=clock,
    )


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float) and math.isinf(value):
        return "inf"
    return value


def _format(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(_format(v) for v in value)
    return str(value)
