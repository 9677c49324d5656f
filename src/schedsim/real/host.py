"""One worker process hosting a whole run: the threads executor's threads, or the asyncio
executor's event loop.

Nobody dispatches: inside the host, CPython's GIL and the operating system (threads) or the
event loop (coroutines) decide who runs.  The parent only starts the host, says go, and
waits for the report — while making sure the host never outlives the run.  Threads cannot
be killed one by one, and a busy coroutine cannot be interrupted at all; the process that
hosts them can, so every way out of a run ends it:

* **errors and Ctrl-C**: the parent reaps the host in a ``finally`` block (SIGKILL, join),
  through the same :class:`~schedsim.real.safety.ParentSession` the other drivers use;
* **the parent's death**, even by SIGKILL: the host asks for ``PR_SET_PDEATHSIG`` first
  thing (:func:`~schedsim.real.safety.die_with_parent`);
* **a hung run**: the parent gives up after three times the expected duration plus ten
  seconds, and kills the host;
* **the terminal**: the host leaves the terminal's process group and ignores SIGINT, so
  Ctrl-C reaches the parent alone, which exits with code 130 once the host is gone.

Protocol over a ``Pipe`` (pickled tuples; nothing here is latency-critical): the host sends
``("ready", os_pid)`` once set up and pinned, waits for ``"go"``, runs, sends
``("done", HostReport)`` or ``("error", text)``, and exits when the parent sends ``"quit"``.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from schedsim.errors import ExecutionError
from schedsim.real.dispatcher import STARTUP_SECONDS, _context
from schedsim.real.plan import CorePlan
from schedsim.real.safety import (
    LINUX,
    ParentSession,
    describe_exit,
    die_with_parent,
    ignore_interrupts_in_worker,
    set_timer_slack,
    sigint_blocked,
)

GO = "go"
QUIT = "quit"
EXIT_TIMEOUT_SECONDS = 2.0
POLL_SECONDS = 0.25  # how often the waiting parent looks at the clock


@dataclass(frozen=True)
class HostPlan:
    """What the host runs, fixed before it starts.  Times in seconds."""

    executor: str
    pids: tuple[str, ...]
    arrivals: tuple[float, ...]
    bursts: tuple[tuple[float, ...], ...]  # CPU, I/O, CPU, ... per process
    cores: tuple[int, ...]
    parent_pid: int
    settings: dict[str, Any] = field(default_factory=dict)  # the executor's own (seconds)


@dataclass
class HostReport:
    """What the host measured.  Times are seconds from the run's time zero.

    ``tenures``: ``(job, start, end, reason, core)`` — a stretch during which ``job`` ran
    (held the GIL, or was the coroutine the loop was running), and why it ended (the reason
    codes of :mod:`schedsim.trace`).  ``io_periods``: ``(job, start, end)``.  ``cpu_used``:
    each process's own CPU time in seconds.  ``extra``: the executor's own measurements."""

    tenures: list[tuple[int, float, float, int, int]]
    io_periods: list[tuple[int, float, float]]
    cpu_used: list[float]
    extra: dict[str, Any] = field(default_factory=dict)


Body = Callable[[HostPlan], HostReport]


# -- the host's side -----------------------------------------------------------------------------
def host_main(plan: HostPlan, body: Body, connection: Connection) -> None:
    """Process target: set up safely, pin, report ready, run ``body`` on "go", report."""
    ignore_interrupts_in_worker()
    die_with_parent(plan.parent_pid)
    set_timer_slack(1)
    try:
        if plan.cores and hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, set(plan.cores))
        connection.send(("ready", os.getpid()))
        if connection.recv() != GO:
            return
        report = body(plan)
        connection.send(("done", report))
        with contextlib.suppress(EOFError):
            connection.recv()  # "quit": exit only once the parent has the report
    except (EOFError, BrokenPipeError, KeyboardInterrupt):
        return  # the parent is gone or stopping us
    except Exception as error:  # report, never print a traceback from the host
        with contextlib.suppress(OSError):
            connection.send(("error", f"{type(error).__name__}: {error}"))
        raise SystemExit(3) from None
    finally:
        connection.close()


def core_reader() -> Callable[[], int]:
    """A function returning the core the calling thread runs on (-1 where unknown).

    Called through ``ctypes.PyDLL``, which keeps the GIL: a ``CDLL`` call releases it, and a
    thread recording that it took the GIL would hand it straight to a waiting thread."""
    if LINUX:
        try:
            getcpu = ctypes.PyDLL(None).sched_getcpu
            getcpu.restype = ctypes.c_int
            getcpu.argtypes = []
            return getcpu
        except (OSError, AttributeError):  # pragma: no cover - glibc and musl both have it
            pass
    return lambda: -1


# -- the parent's side --------------------------------------------------------------------------
class HostedRun:
    """Start the host, let it run ``body``, return its report; always end the host."""

    def __init__(
        self,
        plan: HostPlan,
        body: Body,
        *,
        cores: CorePlan,
        expected_seconds: float,
        overrun_seconds: float | None = None,
    ) -> None:
        self.plan = plan
        self.body = body
        self.cores = cores
        self.expected_seconds = expected_seconds
        # A run still going after this long is hung (or the machine is swamped): stopped.
        self.overrun_seconds = (
            3 * expected_seconds + 10.0 if overrun_seconds is None else overrun_seconds
        )
        self.processes: list[BaseProcess] = []
        self.connections: list[Connection] = []

    def run(self) -> HostReport:
        session = ParentSession(self.processes, self.connections)
        try:
            self._start()
            session.settle(self.cores.dispatcher_core)
            connection = self.connections[0]
            connection.send(GO)
            started = time.monotonic()
            report = self._await_report(started + self.overrun_seconds, started)
            with contextlib.suppress(OSError):
                connection.send(QUIT)
            self.processes[0].join(EXIT_TIMEOUT_SECONDS)
            return report
        finally:
            session.close()

    def _start(self) -> None:
        context = _context()
        ours, theirs = context.Pipe(duplex=True)
        process = context.Process(
            target=host_main,
            args=(self.plan, self.body, theirs),
            name=f"schedsim-{self.plan.executor}",
            daemon=True,
        )
        self.processes.append(process)
        self.connections.append(ours)
        with sigint_blocked():
            process.start()
        theirs.close()
        message = self._receive(time.monotonic() + STARTUP_SECONDS, None)
        if message[0] != "ready":
            raise ExecutionError(f"the {self._what()} sent {message[0]!r} before 'ready'")

    def _await_report(self, give_up: float, started: float) -> HostReport:
        message = self._receive(give_up, started)
        if message[0] != "done" or not isinstance(message[1], HostReport):
            raise ExecutionError(f"the {self._what()} sent {message[0]!r} instead of its report")
        return message[1]

    def _receive(self, give_up: float, started: float | None) -> tuple[Any, ...]:
        """The host's next message; an error if it reports one, dies, or takes too long."""
        connection = self.connections[0]
        process = self.processes[0]
        while True:
            left = give_up - time.monotonic()
            if left <= 0:
                raise self._overrun(started)
            ready, _, _ = select.select(
                [connection.fileno(), process.sentinel], [], [], min(left, POLL_SECONDS)
            )
            if connection.fileno() in ready or connection.poll():
                try:
                    message = connection.recv()
                except (EOFError, OSError):
                    raise self._died(started) from None
                if message[0] == "error":
                    raise ExecutionError(f"the {self._what()} failed: {message[1]}")
                return tuple(message)
            if process.sentinel in ready:
                raise self._died(started)

    def _what(self) -> str:
        pid = self.processes[0].pid if self.processes else None
        return f"worker process hosting the {self.plan.executor} run (os pid {pid})"

    def _died(self, started: float | None) -> ExecutionError:
        process = self.processes[0]
        process.join(1.0)
        when = (
            f" {time.monotonic() - started:.2f} s into the run"
            if started is not None
            else " before time zero"
        )
        return ExecutionError(
            f"the {self._what()} {describe_exit(process.exitcode)}{when}; the run was abandoned"
        )

    def _overrun(self, started: float | None) -> ExecutionError:
        if started is None:
            return ExecutionError(
                f"the {self._what()} did not start within {STARTUP_SECONDS:g} s; the machine "
                "may be overloaded"
            )
        return ExecutionError(
            f"the run has taken {time.monotonic() - started:.1f} s, far more than the "
            f"{self.expected_seconds:.1f} s expected; it was stopped (is the machine "
            "overloaded?)"
        )
