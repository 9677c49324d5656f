"""The body of a worker process: one per workload process, burning CPU and sleeping through
I/O for real, and telling the parent about every transition.

A worker measures its CPU bursts in its **own CPU time** (``time.thread_time``): time it
spends stopped (SIGSTOP), paused (cooperative mode) or waiting for a core does not count,
so a burst of 3 units is 3 units of real computation however often it is interrupted.  I/O
bursts are real sleeps to an absolute deadline (the end of the CPU burst plus the I/O
time), so the deadline the parent computes from the reported end is exactly the worker's.

Messages to the parent (over the worker's end of a ``Pipe``, in the compact format of
:mod:`schedsim.real.messages`; times are ``time.monotonic()`` seconds, CPU amounts
seconds):

``("ready", os_pid)``                              set up, pinned, waiting for time zero
``("run", burst, at)``                             started CPU burst ``burst`` (dispatch mode)
``("resumed", at, stopped_at, cpu_so_far)``        running again after a stop or pause
``("stolen", at, since)``                          was not running from ``since`` to ``at``,
                                                   unasked (another process had its core)
``("paused", at, cpu_so_far)``                     cooperative mode: yielded the CPU
``("burst", step, at, cpu_used, intervals)``       CPU step done (``intervals``: kernel mode)
``("io_start", step, at)``                         I/O step started (dispatch mode)
``("io", step, deadline, woke_at)``                I/O step done
``("blocking", step, at)``                         synchronisation step about to block
``("did", step, at, item)``                        synchronisation step done (``item``: what a
                                                   ``get`` got, -1 otherwise)
``("exit", stats)``                                all done; ``stats`` from getrusage/schedstat
``("error", text)``                                something went wrong inside the worker

Messages from the parent: ``go`` — start (or go on with) the next CPU step (in kernel
mode: start the whole process, the kernel decides the rest); ``do k`` — perform the
synchronisation step at position ``k`` of the script now (see
:mod:`schedsim.real.sequencer` for when the parent says so); ``continue`` — cooperative
mode: a paused worker may run again; ``quit`` — the run is over, exit (a worker that has
reported its statistics waits for this, so that no interpreter shuts down on a core while
other processes are still being measured there).

In dispatch mode a worker runs its script step by step: a ``cpu`` step when told ``go``
(and after it, reports and waits for the parent's word again), an ``io`` step at once (a
sleep to an absolute deadline, reported when it starts), a synchronisation step when told
``do k``, with the real primitive (:mod:`schedsim.real.primitives`); ``io`` — start the
``io`` step it is at now (one that follows synchronisation steps); ``end`` — the steps it
performed last finished its script.  At the end of its script it sets its done event,
which is what ``join`` waits for.  A plain process's bursts are a script of ``cpu`` and
``io`` steps.

Dispatch mode, ``signals`` preemption: the parent stops the worker with SIGSTOP and
continues it with SIGCONT; a handler for SIGCONT raises a flag that the worker's loop looks
at, so it reports every resumption, however short the stop.  A jump of the monotonic clock
between two iterations without that flag means the kernel ran something else on the core:
the worker reports that as stolen time.  ``cooperative``
preemption: between short chunks of CPU the worker looks at its own :class:`RunFlag`; when
the parent has cleared it, the worker releases its slot of the CPU ``Semaphore``, reports,
and waits for ``continue`` on its pipe; on resuming it takes a slot again without blocking —
failing to get one would mean more workers run than there are CPUs, which the worker
reports as an error.

The parent never takes a lock or a semaphore that a worker may hold: a worker can be killed
at any instant, and whatever it held stays held.  (A ``multiprocessing.Event`` is unsafe
here: its ``set`` takes the lock of an internal ``Condition`` that a worker takes at every
look, and then waits, without a timeout, for every worker sleeping in ``wait`` to
acknowledge — a worker killed in either place blocks the parent for ever.)
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import signal
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from schedsim.program import CLEAR, CPU, IO, PUT, RELEASE, SET, UNLOCK, Step
from schedsim.real.burn import burn_observed, core_reader
from schedsim.real.messages import CONTINUE, GO, do_step, pack_pickled, packer
from schedsim.real.messages import END as END_WORD
from schedsim.real.messages import IO as IO_WORD
from schedsim.real.primitives import Primitives, perform
from schedsim.real.safety import (
    die_with_parent,
    ignore_interrupts_in_worker,
    set_timer_slack,
)

# Items a worker puts are numbered job * ITEMS_PER_PROCESS + its count of puts.
ITEMS_PER_PROCESS = 1_000_000
GIVES = (UNLOCK, RELEASE, SET, CLEAR)  # steps that never block
SIGNALS = "signals"
COOPERATIVE = "cooperative"
KERNEL = "kernel"


@dataclass(frozen=True)
class WorkerSpec:
    """Everything a worker needs, fixed before it starts."""

    index: int
    pid: str
    bursts: tuple[float, ...]  # seconds: CPU, I/O, CPU, ...
    cores: tuple[int, ...]  # where it may run at first
    parent_pid: int
    mechanism: str  # signals | cooperative | kernel
    gap_seconds: float  # a jump of the clock longer than this means "was not running"
    chunk_seconds: float  # cooperative: CPU time between two looks at the run event
    kernel_policy: str = "other"
    # A script: (kind, seconds or resource index) per step, as in schedsim.program; None:
    # the bursts, as alternating cpu and io steps.
    steps: tuple[tuple[int, float], ...] | None = None

    def script(self) -> tuple[tuple[int, float], ...]:
        if self.steps is not None:
            return self.steps
        return tuple((CPU if i % 2 == 0 else IO, value) for i, value in enumerate(self.bursts))


class RunFlag:
    """Cooperative preemption: one byte of shared memory, set while the worker may run.

    The parent writes it and the worker only reads it, both with plain memory accesses: no
    lock, so nothing a killed worker leaves behind can block the parent.  A paused worker
    does not watch the flag: it waits for ``continue`` on its pipe, which the parent sends
    after setting the flag."""

    def __init__(self, context: Any) -> None:
        self._value = context.RawValue(ctypes.c_bool, False)

    def set(self) -> None:
        self._value.value = True

    def clear(self) -> None:
        self._value.value = False

    def is_set(self) -> bool:
        return bool(self._value.value)


class _Stopped(Exception):
    """The parent said ``quit`` to a paused worker: the run is over."""


def worker_main(
    spec: WorkerSpec,
    connection: Connection,
    run_flag: Any = None,
    cpu_slots: Any = None,
    primitives: Primitives | None = None,
) -> None:
    """Process target: set up, report ready, then follow the parent's lead."""
    ignore_interrupts_in_worker()
    die_with_parent(spec.parent_pid)
    set_timer_slack(1)
    try:
        if spec.cores and hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, set(spec.cores))
        worker = _Worker(spec, connection, run_flag, cpu_slots, primitives)
        connection.send_bytes(packer("ready")(os.getpid()))
        if spec.mechanism == KERNEL:
            worker.run_kernel()
        else:
            worker.run_dispatched()
        connection.send_bytes(pack_pickled("exit", _exit_stats()))
        # Exit only when the parent says so: a worker tearing down its interpreter would
        # take CPU from the processes still being measured on its core.
        with contextlib.suppress(EOFError):
            connection.recv_bytes()
    except (EOFError, BrokenPipeError, KeyboardInterrupt, _Stopped):
        return  # the parent is gone or stopping us: nothing to report to
    except Exception as error:  # report, never print a traceback from a worker
        with contextlib.suppress(OSError):
            connection.send_bytes(pack_pickled("error", f"{type(error).__name__}: {error}"))
        raise SystemExit(3) from None
    finally:
        connection.close()


class _Worker:
    def __init__(
        self,
        spec: WorkerSpec,
        connection: Connection,
        run_flag: Any,
        cpu_slots: Any,
        primitives: Primitives | None = None,
    ) -> None:
        self.spec = spec
        self.connection = connection
        self.run_flag = run_flag
        self.cpu_slots = cpu_slots
        self.primitives = primitives
        self.items_put = 0
        self.sched_getcpu = core_reader()
        self.continued = False
        if spec.mechanism == SIGNALS:
            signal.signal(signal.SIGCONT, self._on_continue)
        send = connection.send_bytes
        self.report_run = _sender(send, "run")
        self.report_resumed = _sender(send, "resumed")
        self.report_stolen = _sender(send, "stolen")
        self.report_paused = _sender(send, "paused")
        self.report_burst = _sender(send, "burst")
        self.report_io = _sender(send, "io")
        self.report_io_start = _sender(send, "io_start")
        self.report_blocking = _sender(send, "blocking")
        self.report_did = _sender(send, "did")

    def _on_continue(self, number: int, frame: Any) -> None:
        self.continued = True

    # -- dispatch mode: the parent's policy decides ------------------------------------------
    def run_dispatched(self) -> None:
        """The script, step by step, at the parent's word (see the module docstring)."""
        recv = self.connection.recv_bytes
        steps = self.spec.script()
        after_cpu = False  # the step before was a cpu step this worker just ran
        for position, (kind, value) in enumerate(steps):
            if kind == CPU:
                if recv() != GO:
                    return
                self._run_step(position, value)
            elif kind == IO:
                # Right after a cpu step the I/O starts at once; after synchronisation
                # steps (or once dispatched at it) only when the parent says so.
                if not after_cpu and not self._await_word(IO_WORD):
                    return
                started = time.monotonic()
                self.report_io_start(position, started)
                deadline = started + value
                self.report_io(position, deadline, _sleep_until(deadline))
            else:
                if not self._await_word(do_step(position)):
                    return
                self._synchronise(position, Step(kind, value))
            after_cpu = kind == CPU
        if steps and not after_cpu and not self._await_word(END_WORD):
            return  # it ended with steps: it finishes at the parent's word
        if self.primitives is not None:
            self.primitives.done[self.spec.index].set()

    def _await_word(self, expected: bytes) -> bool:
        """At a step that is not a ``cpu`` step (or past the last), wait for the parent's
        word to go on; False if it says anything else (``quit``: the run is over)."""
        return bool(self.connection.recv_bytes() == expected)

    def _run_step(self, position: int, need: float) -> None:
        """Burn one ``cpu`` step, preemptible as the mechanism says, and report its end."""
        cooperative = self.spec.mechanism == COOPERATIVE
        if cooperative:
            if not self.run_flag.is_set():  # taken off its CPU before it started
                self.report_paused(time.monotonic(), 0.0)
                self._await_continue()
            self._take_slot()
        self.continued = False
        self.report_run(position, time.monotonic())
        used = self._burn_cooperative(need) if cooperative else self._burn_signalled(need)
        ended = time.monotonic()
        if cooperative:
            self.cpu_slots.release()
        self.report_burst(position, ended, used)

    def _synchronise(self, position: int, step: Step) -> None:
        """Perform a synchronisation step with the real primitive; a ``put`` puts this
        worker's next item, numbered so that the parent can follow it."""
        assert self.primitives is not None
        item = -1
        if step.kind == PUT:
            item = self.spec.index * ITEMS_PER_PROCESS + self.items_put
            self.items_put += 1
        before = time.monotonic()
        got = perform(step, self.primitives, item, lambda at: self.report_blocking(position, at))
        # A give happens when it is called (the woken process may preempt this one before
        # the call even returns, with a priority protocol); a take when its call returns.
        at = before if step.kind in GIVES else time.monotonic()
        self.report_did(position, at, -1 if got is None else int(got))

    def _burn_signalled(self, need: float) -> float:
        """Burn ``need`` seconds of own CPU time; report resumptions after a stop, and time
        taken by other processes."""
        thread_time = time.thread_time
        monotonic = time.monotonic
        gap = self.spec.gap_seconds
        begin = thread_time()
        target = begin + need
        last = monotonic()
        while True:
            cpu = thread_time()
            if cpu >= target:
                return cpu - begin
            now = monotonic()
            if self.continued:
                self.continued = False
                self.report_resumed(now, last, cpu - begin)
            elif now - last > gap:
                self.report_stolen(now, last)
            last = now

    def _burn_cooperative(self, need: float) -> float:
        """Burn ``need`` seconds of own CPU time in chunks, yielding when told to."""
        thread_time = time.thread_time
        monotonic = time.monotonic
        flag = self.run_flag
        chunk = self.spec.chunk_seconds
        begin = thread_time()
        target = begin + need
        check_at = begin + chunk
        while True:
            cpu = thread_time()
            if cpu >= target:
                return cpu - begin
            if cpu >= check_at:
                check_at = cpu + chunk
                if not flag.is_set():
                    self.cpu_slots.release()
                    paused = monotonic()
                    self.report_paused(paused, cpu - begin)
                    self._await_continue()
                    self._take_slot()
                    self.report_resumed(monotonic(), paused, thread_time() - begin)

    def _await_continue(self) -> None:
        """Paused: sleep until the parent says ``continue`` (anything else ends the run)."""
        if self.connection.recv_bytes() != CONTINUE:
            raise _Stopped

    def _take_slot(self) -> None:
        if not self.cpu_slots.acquire(False):
            raise RuntimeError(
                "more workers running than there are CPUs (the CPU semaphore had no free slot)"
            )

    # -- kernel mode: the operating system decides -------------------------------------------
    def run_kernel(self) -> None:
        """The whole script at once, from ``go`` (the process's arrival): the kernel decides
        who runs; a synchronisation step is the real primitive's call, as the kernel lets
        it happen.  Each ``cpu`` step reports when the process really ran in it."""
        send = self.connection.send_bytes
        if self.connection.recv_bytes() != GO:
            return
        for position, (kind, value) in enumerate(self.spec.script()):
            if kind == CPU:
                self.report_run(position, time.monotonic())
                used, intervals, _ = burn_observed(value, self.spec.gap_seconds, self.sched_getcpu)
                send(pack_pickled("observed", (position, intervals[-1][1], used, intervals)))
            elif kind == IO:
                started = time.monotonic()
                self.report_io_start(position, started)
                deadline = started + value
                self.report_io(position, deadline, _sleep_until(deadline))
            else:
                self._synchronise(position, Step(kind, value))
        if self.primitives is not None:
            self.primitives.done[self.spec.index].set()


def _sender(send: Any, kind: str) -> Any:
    pack = packer(kind)
    return lambda *values: send(pack(*values))


def _sleep_until(deadline: float) -> float:
    """Sleep to an absolute monotonic deadline (robust to stops and early wake-ups);
    return the time it actually woke."""
    monotonic = time.monotonic
    while True:
        left = deadline - monotonic()
        if left <= 0:
            return monotonic()
        time.sleep(left)


def _exit_stats() -> dict[str, Any]:
    """What the worker knows about itself at the end: context switches and, on Linux, the
    kernel's scheduler statistics (CPU time, run-queue wait, timeslices)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    stats: dict[str, Any] = {
        "voluntary_switches": int(usage.ru_nvcsw),
        "involuntary_switches": int(usage.ru_nivcsw),
        "cpu_seconds": float(usage.ru_utime + usage.ru_stime),
    }
    schedstat = read_schedstat("self")
    if schedstat is not None:
        stats["schedstat"] = schedstat
    return stats


def read_schedstat(pid: int | str) -> dict[str, float] | None:
    """``/proc/<pid>/schedstat``: seconds on a CPU, seconds waiting on a run queue, and the
    number of timeslices run; None where the file does not exist."""
    try:
        with open(f"/proc/{pid}/schedstat") as handle:
            fields = handle.read().split()
        return {
            "cpu_seconds": int(fields[0]) / 1e9,
            "wait_seconds": int(fields[1]) / 1e9,
            "timeslices": int(fields[2]),
        }
    except (OSError, ValueError, IndexError):
        return None
