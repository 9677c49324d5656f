"""What synchronisation steps do at run time: locks, semaphores, events, queues and join.

The rules (the README quotes them; the core applies them at the instant a step is reached):

- A step takes no time.  It either lets the process go on, or **blocks** it: the lock is
  held, the semaphore is 0, the event is clear, the queue is full (``put``) or empty
  (``get``), the joined process has not finished.
- Waiters wait in FIFO order, and a wake-up is a **hand-off**: ``unlock`` gives the mutex to
  the first waiter (it holds it from that instant), ``release`` gives the unit to the first
  waiter, ``put`` gives the item straight to the first waiting getter, ``get`` takes an item
  and lets the first waiting putter's item in, ``set`` wakes every waiter, a finishing
  process wakes its joiners.  So nobody can barge in between the wake-up and the woken
  process's turn to run.
- Every item put is numbered; each is got exactly once or left in its queue.

Holds (who held which lock or semaphore unit, from when to when) and waits (who waited for
what, from when to when) are recorded for the results.  Effective priorities under
``--locks inherit`` (a holder runs at the best priority of itself and of everyone blocked,
transitively, on locks it holds) and ``--locks ceiling`` (a holder runs at the best priority
of every process that uses a lock it holds) are computed here too, and so is the wait-for
graph of a deadlock.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from schedsim.formatting import fmt
from schedsim.program import (
    ACQUIRE,
    CLEAR,
    GET,
    JOIN,
    LOCK,
    PUT,
    RELEASE,
    RESOURCE_OF_STEP,
    SET,
    SINGULAR,
    UNLOCK,
    WAIT,
    Program,
    Step,
)

Time = int | float
LOCK_PROTOCOLS = ("none", "inherit", "ceiling")


@dataclass
class Hold:
    """A lock or a semaphore unit held by a process; ``released`` None while held."""

    kind: str
    index: int
    job: int
    acquired: Time
    released: Time | None = None


@dataclass
class Wait:
    """A process blocked on a resource (or a join); ``to`` None while it waits."""

    kind: str  # locks, semaphores, events, queues or join
    index: int  # the resource, or the joined job
    job: int
    since: Time
    to: Time | None = None
    position: int = -1  # the blocking step's index in the job's script


@dataclass
class Item:
    """One item put in a queue: who put it and when, who got it and when."""

    queue: int
    putter: int
    put: Time
    getter: int = -1
    got: Time | None = None
    dropped: bool = False  # its putter was ended while waiting to put it


class SyncState:
    """The resources of one run and everyone waiting for them."""

    def __init__(self, program: Program, priorities: Sequence[int], protocol: str) -> None:
        resources = program.resources
        self.program = program
        n = len(program.scripts)
        self.lock_holder = [-1] * len(resources.locks)
        self.lock_waiters: list[deque[int]] = [deque() for _ in resources.locks]
        self.semaphore_value = [value for _, value in resources.semaphores]
        self.semaphore_waiters: list[deque[int]] = [deque() for _ in resources.semaphores]
        self.event_set = [False] * len(resources.events)
        self.event_waiters: list[deque[int]] = [deque() for _ in resources.events]
        self.queue_capacity = [capacity for _, capacity in resources.queues]
        self.queue_items: list[deque[int]] = [deque() for _ in resources.queues]
        self.queue_getters: list[deque[int]] = [deque() for _ in resources.queues]
        self.queue_putters: list[deque[tuple[int, int]]] = [deque() for _ in resources.queues]
        self.joiners: list[list[int]] = [[] for _ in range(n)]
        self.finished = [False] * n
        self.waiting: list[Wait | None] = [None] * n  # what each job is blocked on
        self.open_holds: dict[tuple[str, int, int], list[Hold]] = {}
        self.holds: list[Hold] = []
        self.waits: list[Wait] = []
        self.items: list[Item] = []
        self.woken: list[int] = []  # handed what they waited for at this instant, in order
        # For a driver that performs the steps for real (schedsim measure): every step
        # performed, in order, as (job, position, outcome), and every wake-up.
        self.log: list[tuple[int, int, str]] | None = None
        # Effective priorities.
        self.protocol = protocol
        self.position = -1  # of the step being performed
        self.static = [int(p) for p in priorities]
        self.effective = list(self.static)
        self.ceiling = [
            min(
                (self.static[job] for job in range(n) if program.uses(job, "locks", index)),
                default=0,
            )
            for index in range(len(resources.locks))
        ]

    # -- steps ------------------------------------------------------------------------------------
    def perform(self, job: int, step: Step, t: Time, position: int = -1) -> bool:
        """Carry out ``job``'s synchronisation step (at ``position`` in its script) at ``t``:
        True if it goes on, False if it must wait (it is then queued, FIFO, on what it waits
        for)."""
        self.position = position
        proceeds = self._perform(job, step, t)
        if self.log is not None:
            self.log.append((job, position, "proceeded" if proceeds else "blocked"))
        return proceeds

    def _perform(self, job: int, step: Step, t: Time) -> bool:
        kind, index = step.kind, int(step.value)
        if kind == LOCK:
            if self.lock_holder[index] < 0:
                self._take("locks", index, job, t)
                return True
            return self._block(job, "locks", index, t, self.lock_waiters[index])
        if kind == UNLOCK:
            self._give_back("locks", index, job, t)
            waiters = self.lock_waiters[index]
            self.lock_holder[index] = -1
            if waiters:
                self._take("locks", index, self._wake(waiters.popleft(), t), t)
            return True
        if kind == ACQUIRE:
            if self.semaphore_value[index] > 0:
                self.semaphore_value[index] -= 1
                self._take("semaphores", index, job, t)
                return True
            return self._block(job, "semaphores", index, t, self.semaphore_waiters[index])
        if kind == RELEASE:
            self._give_back("semaphores", index, job, t)
            waiters = self.semaphore_waiters[index]
            if waiters:
                self._take("semaphores", index, self._wake(waiters.popleft(), t), t)
            else:
                self.semaphore_value[index] += 1
            return True
        if kind == WAIT:
            if self.event_set[index]:
                return True
            return self._block(job, "events", index, t, self.event_waiters[index])
        if kind == SET:
            self.event_set[index] = True
            waiters, self.event_waiters[index] = self.event_waiters[index], deque()
            for waiter in waiters:
                self._wake(waiter, t)
            return True
        if kind == CLEAR:
            self.event_set[index] = False
            return True
        if kind == PUT:
            return self._put(job, index, t)
        if kind == GET:
            return self._get(job, index, t)
        if kind == JOIN:
            if self.finished[index]:
                return True
            self.joiners[index].append(job)
            return self._block(job, "join", index, t, None)
        raise ValueError(f"not a synchronisation step: {step}")

    def _put(self, job: int, queue: int, t: Time) -> bool:
        item = len(self.items)
        self.items.append(Item(queue, job, t))
        getters = self.queue_getters[queue]
        if getters:  # straight into a waiting getter's hands
            self._got(item, self._wake(getters.popleft(), t), t)
        elif len(self.queue_items[queue]) < self.queue_capacity[queue]:
            self.queue_items[queue].append(item)
        else:
            self.queue_putters[queue].append((job, item))
            return self._block(job, "queues", queue, t, None)
        return True

    def _get(self, job: int, queue: int, t: Time) -> bool:
        items = self.queue_items[queue]
        if not items:
            self.queue_getters[queue].append(job)
            return self._block(job, "queues", queue, t, None)
        self._got(items.popleft(), job, t)
        putters = self.queue_putters[queue]
        if putters:  # a waiting putter's item takes the freed place
            putter, item = putters.popleft()
            items.append(item)
            self._wake(putter, t)
        return True

    def _got(self, item: int, job: int, t: Time) -> None:
        record = self.items[item]
        record.getter = job
        record.got = t

    def _block(self, job: int, kind: str, index: int, t: Time, queue: deque[int] | None) -> bool:
        if queue is not None:
            queue.append(job)
        wait = Wait(kind, index, job, t, position=self.position)
        self.waiting[job] = wait
        self.waits.append(wait)
        return False

    def _wake(self, job: int, t: Time) -> int:
        """``job`` got what it waited for at ``t``: it becomes ready in step 2."""
        wait = self.waiting[job]
        assert wait is not None, f"job {job} was not waiting"
        wait.to = t
        self.waiting[job] = None
        self.woken.append(job)
        if self.log is not None:
            self.log.append((job, wait.position, "woken"))
        return job

    def _take(self, kind: str, index: int, job: int, t: Time) -> None:
        if kind == "locks":
            self.lock_holder[index] = job
        hold = Hold(kind, index, job, t)
        self.holds.append(hold)
        self.open_holds.setdefault((kind, index, job), []).append(hold)

    def _give_back(self, kind: str, index: int, job: int, t: Time) -> None:
        """Close ``job``'s oldest open hold of the resource (a semaphore may be released by
        a process that never acquired it: there is nothing to close then)."""
        held = self.open_holds.get((kind, index, job))
        if held:
            held.pop(0).released = t
            if not held:
                del self.open_holds[(kind, index, job)]

    # -- processes that finish or are ended -------------------------------------------------------
    def finish(self, job: int, t: Time) -> None:
        """``job`` finished (or was ended): its joiners go on."""
        self.finished[job] = True
        for joiner in self.joiners[job]:
            self._wake(joiner, t)
        self.joiners[job] = []

    def cancel_wait(self, job: int, t: Time) -> None:
        """``job`` was ended while blocked: it leaves the queue it waited in.  Whatever it
        holds stays held, as a terminated process leaves a ``multiprocessing.Lock`` locked."""
        wait = self.waiting[job]
        if wait is None:
            return
        wait.to = t
        self.waiting[job] = None
        index = wait.index
        if wait.kind == "locks":
            self.lock_waiters[index].remove(job)
        elif wait.kind == "semaphores":
            self.semaphore_waiters[index].remove(job)
        elif wait.kind == "events":
            self.event_waiters[index].remove(job)
        elif wait.kind == "join":
            self.joiners[index].remove(job)
        elif job in self.queue_getters[index]:
            self.queue_getters[index].remove(job)
        else:
            for putter, item in self.queue_putters[index]:
                if putter == job:
                    self.items[item].dropped = True
            self.queue_putters[index] = deque(p for p in self.queue_putters[index] if p[0] != job)

    def held_by(self, job: int) -> list[str]:
        """The locks and semaphores ``job`` holds now, by name (a semaphore once per unit)."""
        resources = self.program.resources
        return [
            resources.names(kind)[index]
            for (kind, index, holder), holds in self.open_holds.items()
            if holder == job
            for _ in holds
        ]

    # -- effective priorities ---------------------------------------------------------------------
    def priority_changes(self) -> list[tuple[int, int]]:
        """Jobs whose effective priority changed since the last call, with the new value."""
        if self.protocol == "none":
            return []
        effective = self._inherited() if self.protocol == "inherit" else self._ceilings()
        changed = [
            (job, value)
            for job, (value, before) in enumerate(zip(effective, self.effective, strict=True))
            if value != before
        ]
        self.effective = effective
        return changed

    def _ceilings(self) -> list[int]:
        effective = list(self.static)
        for index, holder in enumerate(self.lock_holder):
            if holder >= 0:
                effective[holder] = min(effective[holder], self.ceiling[index])
        return effective

    def _inherited(self) -> list[int]:
        """Each job's priority lowered to that of everyone blocked on a lock it holds,
        transitively (a waiter's own inherited priority counts)."""
        effective = list(self.static)
        changed = True
        while changed:  # a chain of n holders settles in n rounds
            changed = False
            for index, holder in enumerate(self.lock_holder):
                if holder < 0:
                    continue
                for waiter in self.lock_waiters[index]:
                    if effective[waiter] < effective[holder]:
                        effective[holder] = effective[waiter]
                        changed = True
        return effective

    # -- deadlock ---------------------------------------------------------------------------------
    def waits_on(self, job: int, alive: Sequence[bool]) -> list[int]:
        """Who could give ``job`` what it waits for: the lock's holder, the semaphore's
        holders, the joined process, and for events and queues every live process whose
        script still has a step that would (set the event, put, get)."""
        wait = self.waiting[job]
        if wait is None:
            return []
        index = wait.index
        if wait.kind == "join":
            return [index]
        if wait.kind in ("locks", "semaphores"):
            return sorted(
                {
                    holder
                    for (kind, i, holder) in self.open_holds
                    if kind == wait.kind and i == index
                }
            )
        if wait.kind == "events":
            wanted: tuple[int, ...] = (SET,)
        else:  # a queue: a blocked putter waits for a get, a getter for a put
            putting = any(j == job for j, _ in self.queue_putters[index])
            wanted = (GET,) if putting else (PUT,)
        return [
            other
            for other, live in enumerate(alive)
            if live
            and other != job
            and any(
                step.kind in wanted and step.value == index for step in self.program.scripts[other]
            )
        ]


@dataclass(frozen=True)
class DeadlockMember:
    pid: str
    holds: tuple[str, ...]
    waits_for: str
    since: Time

    def as_record(self) -> dict[str, Any]:
        return {
            "pid": self.pid,
            "holds": list(self.holds),
            "waits_for": self.waits_for,
            "since": self.since,
        }


@dataclass(frozen=True)
class Deadlock:
    """No process can ever proceed: the members of a wait-for cycle, or (``kind``
    "waiting") every process left waiting for what nobody can give it any more."""

    time: Time
    kind: str  # "cycle" or "waiting"
    members: tuple[DeadlockMember, ...]
    ended: tuple[str, ...] = ()  # daemons that were ended holding what the members wait for

    def describe(self) -> str:
        """``deadlock at t=4: A holds x and waits for y; B holds y and waits for x``."""
        parts = []
        for member in self.members:
            holds = f"holds {', '.join(member.holds)} and " if member.holds else ""
            parts.append(f"{member.pid} {holds}waits for {member.waits_for}")
        text = f"deadlock at t={fmt(self.time)}: " + "; ".join(parts)
        if self.kind == "waiting":
            text += " (nobody left can give it)" if len(self.members) == 1 else " (nobody left can)"
        if self.ended:
            text += f"; held by ended daemon(s) {', '.join(self.ended)}"
        return text

    def as_record(self) -> dict[str, Any]:
        return {
            "time": self.time,
            "kind": self.kind,
            "cycle": [member.as_record() for member in self.members],
            "ended_daemons": list(self.ended),
        }


def find_deadlock(
    state: SyncState, blocked: Sequence[int], alive: Sequence[bool], pids: Sequence[str], t: Time
) -> Deadlock:
    """The wait-for cycle among the blocked jobs (following each job's first possible
    helper that is itself blocked), or every blocked job when there is none."""
    blocked_set = set(blocked)
    cycle: list[int] = []
    for start in blocked:
        path: list[int] = []
        seen: dict[int, int] = {}
        job: int | None = start
        while job is not None and job not in seen:
            seen[job] = len(path)
            path.append(job)
            helpers = [h for h in state.waits_on(job, alive) if h in blocked_set]
            job = helpers[0] if helpers else None
        if job is not None:
            cycle = path[seen[job] :]
            break
    members = cycle or list(blocked)
    ended = sorted(
        {
            pids[holder]
            for member in members
            for holder in state.waits_on(member, alive)
            if not alive[holder]
            and state.waiting[member] is not None
            and state.waiting[member].kind in ("locks", "semaphores")  # type: ignore[union-attr]
        }
    )
    return Deadlock(
        time=t,
        kind="cycle" if cycle else "waiting",
        members=tuple(_member(state, job, pids) for job in members),
        ended=tuple(ended),
    )


def _member(state: SyncState, job: int, pids: Sequence[str]) -> DeadlockMember:
    wait = state.waiting[job]
    assert wait is not None
    if wait.kind == "join":
        target = f"{pids[wait.index]} to finish"
    else:
        target = state.program.resources.names(wait.kind)[wait.index]
    return DeadlockMember(pids[job], tuple(state.held_by(job)), target, wait.since)


def resource_label(kind: str, index: int, program: Program, pids: Sequence[str]) -> str:
    """``lock bus``, ``queue buffer``, ``join P2``: for charts and tables."""
    if kind == "join":
        return f"join {pids[index]}"
    return f"{SINGULAR[kind]} {program.resources.names(kind)[index]}"


__all__ = [
    "LOCK_PROTOCOLS",
    "RESOURCE_OF_STEP",
    "Deadlock",
    "Hold",
    "Item",
    "SyncState",
    "Wait",
    "find_deadlock",
    "resource_label",
]


def resource_report(
    state: SyncState, pids: Sequence[str], start: Time, end: Time
) -> dict[str, Any]:
    """The ``resources`` section of a result: every hold and wait, what each queue item went
    through, and per resource its figures — how many acquisitions (or gets, waits, joins)
    had to wait (``contention``, a fraction), the longest and total wait, and for locks and
    semaphores the share of the run ``[start, end]`` their units were held
    (``utilisation``).  Holds and waits still open at the end have ``released``/``to`` null."""
    program = state.program
    span = end - start

    def name(kind: str, index: int) -> str:
        return pids[index] if kind == "join" else program.resources.names(kind)[index]

    holds = [
        {
            "resource": name(hold.kind, hold.index),
            "kind": SINGULAR[hold.kind],
            "pid": pids[hold.job],
            "acquired": hold.acquired,
            "released": hold.released,
        }
        for hold in state.holds
    ]
    waits = [
        {
            "resource": name(wait.kind, wait.index),
            "kind": "join" if wait.kind == "join" else SINGULAR[wait.kind],
            "pid": pids[wait.job],
            "from": wait.since,
            "to": wait.to,
        }
        for wait in state.waits
    ]
    items = [
        {
            "queue": program.resources.names("queues")[item.queue],
            "putter": pids[item.putter],
            "put": item.put,
            "getter": pids[item.getter] if item.getter >= 0 else None,
            "got": item.got,
            "dropped": item.dropped,
        }
        for item in state.items
    ]
    summary = []
    units = {"locks": [1] * len(program.resources.locks)}
    units["semaphores"] = [max(value, 1) for _, value in program.resources.semaphores]
    for kind in ("locks", "semaphores", "events", "queues"):
        for index, resource in enumerate(program.resources.names(kind)):
            waited = [w for w in state.waits if w.kind == kind and w.index == index]
            lengths = [(w.to if w.to is not None else end) - w.since for w in waited]
            uses = _uses(state, kind, index, len(waited))
            entry: dict[str, Any] = {
                "resource": resource,
                "kind": SINGULAR[kind],
                "uses": uses,
                "waits": len(waited),
                "contention": len(waited) / uses if uses else 0.0,
                "longest_wait": max(lengths, default=0),
                "total_wait": sum(lengths),
            }
            if kind in units:
                held = [
                    (h.released if h.released is not None else end) - h.acquired
                    for h in state.holds
                    if h.kind == kind and h.index == index
                ]
                capacity = span * units[kind][index]
                entry["utilisation"] = sum(held) / capacity if capacity else 0.0
            summary.append(entry)
    return {"holds": holds, "waits": waits, "items": items, "summary": summary}


def _uses(state: SyncState, kind: str, index: int, waits: int) -> int:
    """Acquisitions of a lock or semaphore; items got from a queue plus puts that waited;
    for an event, how many processes waited on it (each ``wait`` that found it set never
    shows)."""
    if kind in ("locks", "semaphores"):
        return sum(1 for h in state.holds if h.kind == kind and h.index == index)
    if kind == "queues":
        return sum(1 for item in state.items if item.queue == index)
    return waits
