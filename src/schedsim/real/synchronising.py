"""The dispatcher's side of processes that synchronise, in a real run.

The scheduler core (:class:`~schedsim.scripted.ScriptedScheduler`) decides, in the
schedule's time, what each synchronisation step does: who goes on, who waits, whom a release
wakes.  The workers then perform the same steps for real, with real ``multiprocessing``
primitives (:mod:`schedsim.real.primitives`), at the moments the
:class:`~schedsim.real.sequencer.Sequencer` allows, so that the kernel never gets to settle
a race differently.  This class keeps, per worker, the messages it is owed in order (``do k``
for a step, ``go`` to run on), sends each one as soon as it may, and turns the workers'
reports (``blocking``, ``did``) into the measured holds, waits and queue items — in real
time, as the rest of the measured trace.  In kernel mode nothing is ordered — the kernel
settles every race — and only the measuring half (:class:`SyncMeasurement`) is used.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from schedsim.errors import ExecutionError
from schedsim.program import (
    ACQUIRE,
    CPU,
    GET,
    IO,
    JOIN,
    LOCK,
    PUT,
    RELEASE,
    RESOURCE_OF_STEP,
    UNLOCK,
    Program,
)
from schedsim.real.messages import do_step
from schedsim.real.primitives import Primitives, make_primitives, set_within
from schedsim.real.sequencer import Operation, Sequencer
from schedsim.real.worker import ITEMS_PER_PROCESS
from schedsim.sync import Hold, Item, SyncState, Wait

EVENT_SET_SECONDS = 2.0  # for the parent's set of a done event (see primitives_done)


class SyncMeasurement:
    """What the workers of a measured run did with the real primitives: every hold, wait
    and queue item, in units, from their ``blocking`` and ``did`` reports."""

    def __init__(self, program: Program, to_units: Callable[[float], float]) -> None:
        n = len(program.scripts)
        self.program = program
        self.to_units = to_units
        self.blocked_since: dict[tuple[int, int], float] = {}  # (job, step) -> monotonic
        self.reached: dict[tuple[int, int], float] = {}  # (job, step) -> units
        self.puts = [0] * n
        # Measured, in units.
        self.holds: list[Hold] = []
        self.open_holds: dict[tuple[str, int, int], list[Hold]] = {}
        self.waits: list[Wait] = []
        self.items: dict[int, Item] = {}

    def primitives(self, context: Any, locks: list[Any] | None = None) -> Primitives:
        self.made = make_primitives(context, self.program, locks)
        return self.made

    def primitives_done(self, job: int) -> None:
        """``job`` was ended: set its done event, which its joiners wait on (within a
        bound: a joiner killed in its ``wait`` would otherwise block the parent for ever)."""
        if not set_within(self.made.done[job], EVENT_SET_SECONDS):
            raise ExecutionError(
                f"process #{job + 1} was ended, but a worker waiting to join it did not wake "
                f"within {EVENT_SET_SECONDS:g} s: it died while waiting; the run was abandoned "
                "and the other workers were stopped"
            )

    def step_seconds(self, job: int, unit: float) -> tuple[tuple[int, float], ...]:
        """A worker's script: times in seconds, resources by index."""
        return tuple(
            (step.kind, step.value * unit if step.kind in (CPU, IO) else step.value)
            for step in self.program.scripts[job]
        )

    # -- what the workers did -------------------------------------------------------------------
    def handle(self, job: int, message: tuple[Any, ...]) -> bool:
        """A worker's ``blocking`` or ``did`` report; False for any other message."""
        kind = message[0]
        if kind == "blocking":
            self.blocked_since[(job, message[1])] = message[2]
            return True
        if kind != "did":
            return False
        position, at, got = message[1], message[2], message[3]
        self._measure(job, position, self.to_units(at), got)
        return True

    def blocked(self) -> set[int]:
        """The jobs whose workers said they are blocking in a primitive's call and have not
        said it returned."""
        return {job for job, _ in self.blocked_since}

    def held_by(self, job: int) -> list[str]:
        """The resources ``job``'s worker holds, as measured: ``x``, ``slots``."""
        names = self.program.resources.names
        return [
            names(kind)[index]
            for (kind, index, holder), holds in self.open_holds.items()
            if holder == job
            for _ in holds
        ]

    def close_waits(self, job: int, at: float) -> None:
        """``job``'s worker was ended at ``at`` (units): a wait it was in ends then."""
        for waiter, position in sorted({*self.blocked_since, *self.reached}):
            if waiter == job:
                self._close_wait(job, position, at)

    def _measure(self, job: int, position: int, at: float, got: int) -> None:
        step = self.program.scripts[job][position]
        index = int(step.value)
        self._close_wait(job, position, at)
        if step.kind in (LOCK, ACQUIRE):
            kind = RESOURCE_OF_STEP[step.kind]
            hold = Hold(kind, index, job, at)
            self.holds.append(hold)
            self.open_holds.setdefault((kind, index, job), []).append(hold)
        elif step.kind in (UNLOCK, RELEASE):
            held = self.open_holds.get((RESOURCE_OF_STEP[step.kind], index, job))
            if held:
                held.pop(0).released = at
        elif step.kind == PUT:
            number = job * ITEMS_PER_PROCESS + self.puts[job]
            self.puts[job] += 1
            self.items[number] = Item(index, job, at)
        elif step.kind == GET and got in self.items:
            self.items[got].getter = job
            self.items[got].got = at

    def _close_wait(self, job: int, position: int, at: float | None) -> None:
        """Record the wait ``job`` had at the step at ``position``, if it had one, as ending
        at ``at`` (None: open at the run's end)."""
        since = self._waited_since(job, position)
        if since is None:
            return
        step = self.program.scripts[job][position]
        kind = "join" if step.kind == JOIN else RESOURCE_OF_STEP[step.kind]
        self.waits.append(Wait(kind, int(step.value), job, since, at, position))

    def _waited_since(self, job: int, position: int) -> float | None:
        """When (units) ``job`` began to wait at the step at ``position``: from reaching it,
        if the step blocked in the schedule; from entering the primitive's call if only the
        real call blocked; None if it did not wait."""
        blocking = self.blocked_since.pop((job, position), None)
        reached = self.reached.pop((job, position), None)
        if reached is not None:
            return reached
        return None if blocking is None else self.to_units(blocking)

    def still_blocked(self, stop: float) -> None:
        """The run stopped (a deadlock): the workers waiting at a step wait on, their waits
        open."""
        for job, position in sorted({*self.blocked_since, *self.reached}):
            self._close_wait(job, position, None)

    def measured_state(self, priorities: Sequence[int], protocol: str) -> SyncState:
        """The holds, waits and items as measured, in the form results are built from."""
        state = SyncState(self.program, priorities, protocol)
        state.holds = self.holds
        state.waits = sorted(self.waits, key=lambda wait: (wait.since, wait.job))
        state.items = list(self.items.values())
        state.open_holds = {key: held for key, held in self.open_holds.items() if held}
        scripts = self.program.scripts
        for wait in state.waits:
            if wait.to is None:
                state.waiting[wait.job] = wait
                if wait.kind == "queues" and scripts[wait.job][wait.position].kind == PUT:
                    state.queue_putters[wait.index].append((wait.job, -1))
        return state


class RealSynchronisation(SyncMeasurement):
    """Sends the workers their synchronisation steps in an order no race can change (the
    dispatch mode), and measures what they did."""

    def __init__(
        self,
        program: Program,
        send: Callable[[int, bytes], None],
        to_units: Callable[[float], float],
    ) -> None:
        super().__init__(program, to_units)
        self.send_now = send
        self.sequencer = Sequencer()
        self.outbox: list[deque[bytes | Operation]] = [deque() for _ in program.scripts]

    # -- what the core decided ---------------------------------------------------------------------
    def absorb(self, log: list[tuple[int, int, str]], reached: float) -> None:
        """The steps the core performed and the wake-ups it made, in its order: each step
        is owed to its worker as ``do k``; a wake-up completes the step the job waited at.
        ``reached``: when (units, measured) the workers got to these steps — a step that
        blocks is waited at from then, whether the worker is held back by the sequencer
        (on its pipe) or blocks inside the primitive's call."""
        scripts = self.program.scripts
        for job, position, outcome in log:
            if outcome == "woken":
                self.sequencer.satisfy(job, position)
                continue
            if outcome == "blocked":
                self.reached[(job, position)] = reached
            step = scripts[job][position]
            operation = self.sequencer.record(job, position, step, outcome == "proceeded")
            self.outbox[job].append(operation)
        log.clear()
        self.pump()

    def send(self, job: int, message: bytes) -> None:
        """``message`` (``go``) for ``job``, after the steps it is owed."""
        self.outbox[job].append(message)
        self.pump()

    def pump(self) -> None:
        """Send every message whose turn has come, worker by worker, in order."""
        sequencer = self.sequencer
        for job, box in enumerate(self.outbox):
            while box:
                head = box[0]
                if isinstance(head, Operation):
                    if not sequencer.may_issue(head):
                        break
                    head.issued = True
                    self.send_now(job, do_step(head.position))
                else:
                    self.send_now(job, head)
                box.popleft()

    def cancel(self, job: int, at: float) -> None:
        """``job``'s worker was ended at ``at`` (units): nothing more goes to it, and a wait
        it was in ends then."""
        self.outbox[job].clear()
        self.sequencer.cancel(job)
        self.close_waits(job, at)
        self.pump()

    def handle(self, job: int, message: tuple[Any, ...]) -> bool:
        if not super().handle(job, message):
            return False
        if message[0] == "did":  # the step's call returned: the next in line may go
            self.sequencer.completed(job, message[1])
            self.pump()
        return True
