"""Real synchronisation in the order the simulation gives it: no race can reorder it.

A real primitive settles races its own way: two workers blocked in ``lock.acquire()`` are
woken in whatever order the kernel chooses.  The simulator's rule is a FIFO hand-off.  So a
measured run never lets a race happen: a worker performs a synchronisation step only when
the dispatcher says so (``do k``), and the dispatcher says so in the order the scheduler
core performed the steps, per resource, under these rules:

- **takers** of a resource (``lock``, ``acquire``, a ``put``, which takes a free place, a
  ``get``, which takes an item) go one at a time, in the core's order: the next taker is
  told only when the previous one's call has returned.  At most one worker is ever blocked
  in a given primitive's call, so the release that wakes it can wake nobody else;
- **givers** (``unlock``, ``release``, the item a ``put`` brings, the place a ``get``
  frees) go at once: they never block, and they can only help the one taker waiting;
- on an **event**, ``set`` and ``clear`` keep their order, a ``wait`` goes after the
  ``set``/``clear`` before it, and a ``clear`` waits until every ``wait`` the core has
  already satisfied has returned — no woken waiter can miss its ``set``;
- a **join** waits on the joined process's done event and goes at once.

Each physical order follows one consistent logical order, so the real run cannot deadlock
where the simulation does not, and where the simulation deadlocks, the workers really block
in the primitives' own calls.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from schedsim.program import (
    ACQUIRE,
    CLEAR,
    GET,
    JOIN,
    LOCK,
    PUT,
    RELEASE,
    SET,
    UNLOCK,
    WAIT,
    Step,
)

TAKER, GIVER, WAITER, SIGNAL = range(4)
Side = tuple[str, int]

ROLES: dict[int, tuple[tuple[str, int], ...]] = {
    LOCK: (("lock", TAKER),),
    UNLOCK: (("lock", GIVER),),
    ACQUIRE: (("semaphore", TAKER),),
    RELEASE: (("semaphore", GIVER),),
    PUT: (("place", TAKER), ("item", GIVER)),
    GET: (("item", TAKER), ("place", GIVER)),
    WAIT: (("event", WAITER),),
    SET: (("event", SIGNAL),),
    CLEAR: (("event", SIGNAL),),
    JOIN: (),
}


@dataclass
class Operation:
    """One synchronisation step of one job, as the core performed it."""

    job: int
    position: int  # the step's index in the job's script
    kind: int
    order: int  # the core's order
    sides: tuple[tuple[Side, int], ...]
    satisfied: bool  # the core let it complete (at once, or by waking the job)
    issued: bool = False  # the worker was told to perform it
    done: bool = False  # the worker's call returned


class Sequencer:
    """The synchronisation steps the core performed, and which may be performed for real."""

    def __init__(self) -> None:
        self.by_side: dict[Side, list[Operation]] = defaultdict(list)
        self.pending: dict[tuple[int, int], Operation] = {}  # (job, position) -> not done
        self.count = 0

    def record(self, job: int, position: int, step: Step, satisfied: bool) -> Operation:
        """The core performed ``job``'s step at ``position`` (``satisfied``: it went on)."""
        index = int(step.value)
        sides = tuple(((name, index), role) for name, role in ROLES[step.kind])
        operation = Operation(job, position, step.kind, self.count, sides, satisfied)
        self.count += 1
        for side, _ in sides:
            self.by_side[side].append(operation)
        self.pending[(job, position)] = operation
        return operation

    def satisfy(self, job: int, position: int) -> None:
        """The core woke ``job``, blocked at ``position``: its step is now complete there."""
        operation = self.pending.get((job, position))
        if operation is not None:
            operation.satisfied = True

    def may_issue(self, operation: Operation) -> bool:
        """Whether the worker may be told to perform ``operation`` now (see the module
        docstring for the rules)."""
        for side, role in operation.sides:
            for earlier in self.by_side[side]:
                if earlier.order >= operation.order:
                    break
                if earlier.done:
                    continue
                earlier_role = dict(earlier.sides)[side]
                if role == TAKER and earlier_role == TAKER:
                    return False
                if role in (WAITER, SIGNAL) and earlier_role == SIGNAL:
                    return False
                if operation.kind == CLEAR and earlier_role == WAITER and earlier.satisfied:
                    return False
        return True

    def completed(self, job: int, position: int) -> None:
        """The worker's call for ``job``'s step at ``position`` returned."""
        operation = self.pending.pop((job, position), None)
        if operation is None:
            return
        operation.done = True
        for side, _ in operation.sides:
            queue = self.by_side[side]
            while queue and queue[0].done:
                queue.pop(0)

    def cancel(self, job: int) -> None:
        """``job`` was ended (a daemon): its steps not done will never be."""
        for key in [key for key in self.pending if key[0] == job]:
            self.completed(*key)
