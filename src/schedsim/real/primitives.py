"""The real synchronisation primitives of a measured run, and how a worker uses them.

The parent creates, before it starts the workers (so that every worker inherits them):

``Lock``                 one per declared lock (``multiprocessing.Lock``)
``Semaphore``            one per declared semaphore, with its initial value (not a
                         ``BoundedSemaphore``: a script may release a semaphore it never
                         acquired, the way one process signals another)
``Event``                one per declared event
bounded queue            one per declared queue, made of what ``multiprocessing.Queue`` is
                         made of — a ``Pipe``, a lock for each end, a ``BoundedSemaphore`` of
                         its capacity — but without its feeder thread, which writes an item
                         to the pipe some time after ``put()`` returned (two producers' items
                         could then reach a consumer in either order), and waiting for an
                         item before taking the reading lock (a process ended while it waits
                         holds no lock)
``Event`` per process    set by the process's worker when its script is done (and by the
                         parent when it ends a daemon): what ``join`` waits on, since a worker
                         cannot ``join()`` a sibling ``Process`` object, only its parent can

A worker performs a step with :func:`perform`: it first tries without blocking; if the step
would block it reports that it is about to, then blocks in the primitive's own call
(``lock.acquire()``, ``event.wait()``, ``queue.get()`` ...), and reports when the call
returns.  Which worker may call what, and when, is the dispatcher's business
(:mod:`schedsim.real.sequencer`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from typing import Any

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
    Program,
    Step,
)


class BoundedQueue:
    """A queue of at most ``capacity`` items between processes (see the module docstring)."""

    def __init__(self, context: Any, capacity: int) -> None:
        self.reader, self.writer = context.Pipe(duplex=False)
        self.read_lock = context.Lock()
        self.write_lock = context.Lock()
        self.places = context.BoundedSemaphore(capacity)

    def put(self, item: Any, block: bool = True) -> bool:
        if not self.places.acquire(block):
            return False
        with self.write_lock:
            self.writer.send(item)
        return True

    def get(self, block: bool = True) -> Any:
        """The next item; None when ``block`` is False and there is none yet."""
        if not (block or self.reader.poll()):
            return None
        wait([self.reader])
        with self.read_lock:
            item = self.reader.recv()
        self.places.release()
        return item


@dataclass
class Primitives:
    """The real primitives of one run, indexed as the program's resources are."""

    locks: list[Any] = field(default_factory=list)
    semaphores: list[Any] = field(default_factory=list)
    events: list[Any] = field(default_factory=list)
    queues: list[BoundedQueue] = field(default_factory=list)
    done: list[Any] = field(default_factory=list)  # per process: its script is done


def set_within(event: Any, seconds: float) -> bool:
    """Set ``event`` from the parent, waiting at most ``seconds``; False if it did not return.

    ``Event.set`` takes the lock of the event's condition and then waits, without a timeout,
    for every process asleep in ``wait`` to acknowledge its wake-up: a worker killed while
    holding that lock, or while asleep there, would block the caller for ever.  The parent
    must never wait on a worker's death, so the set runs in a daemon thread and the parent
    waits for it only so long."""
    setter = threading.Thread(target=event.set, name="schedsim-event-set", daemon=True)
    setter.start()
    setter.join(seconds)
    return not setter.is_alive()


def make_primitives(context: Any, program: Program, locks: list[Any] | None = None) -> Primitives:
    """The run's primitives; ``locks``: other lock objects to use (priority-protocol mutexes,
    :mod:`schedsim.real.pi_lock`) in place of ``multiprocessing.Lock``."""
    resources = program.resources
    return Primitives(
        locks=locks if locks is not None else [context.Lock() for _ in resources.locks],
        semaphores=[context.Semaphore(value) for _, value in resources.semaphores],
        events=[context.Event() for _ in resources.events],
        queues=[BoundedQueue(context, capacity) for _, capacity in resources.queues],
        done=[context.Event() for _ in program.scripts],
    )


Report = Callable[[float], None]


def perform(step: Step, primitives: Primitives, item: Any, blocking: Report) -> Any:
    """Carry out a synchronisation step for real.  ``item`` is what a ``put`` puts;
    ``blocking(at)`` is called just before the step blocks.  Returns the item a ``get``
    got (None for other steps)."""
    kind, index = step.kind, int(step.value)
    if kind in (UNLOCK, RELEASE, SET, CLEAR):
        if kind == UNLOCK:
            primitives.locks[index].release()
        elif kind == RELEASE:
            primitives.semaphores[index].release()
        elif kind == SET:
            primitives.events[index].set()
        else:
            primitives.events[index].clear()
        return None
    if kind == LOCK:
        return _acquire(primitives.locks[index], blocking)
    if kind == ACQUIRE:
        return _acquire(primitives.semaphores[index], blocking)
    if kind == PUT:
        queue = primitives.queues[index]
        if not queue.put(item, block=False):
            blocking(time.monotonic())
            queue.put(item)
        return None
    if kind == GET:
        queue = primitives.queues[index]
        got = queue.get(block=False)
        if got is None:
            blocking(time.monotonic())
            got = queue.get()
        return got
    if kind in (WAIT, JOIN):
        event = primitives.events[index] if kind == WAIT else primitives.done[index]
        if not event.is_set():
            blocking(time.monotonic())
            event.wait()
        return None
    raise ValueError(f"not a synchronisation step: {step}")


def _acquire(primitive: Any, blocking: Report) -> None:
    if not primitive.acquire(False):
        blocking(time.monotonic())
        primitive.acquire()
