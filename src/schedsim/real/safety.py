"""Keeping real runs safe: no worker outlives its run, whatever happens to the parent.

Three layers, from the strongest guarantee to the most ordinary:

* **The kernel kills orphans.**  Each worker asks for ``PR_SET_PDEATHSIG`` = SIGKILL (Linux
  ``prctl`` option 1, called through :mod:`ctypes`) as the first thing it does, so when the
  parent dies — even by SIGKILL, which no clean-up code survives — the kernel kills the
  worker.  SIGKILL also kills a *stopped* process, so a worker frozen by SIGSTOP mid-slice
  cannot linger either.  The request only covers a parent that dies after it is made, so
  the worker then checks ``os.getppid()``: if the parent already died, the worker exits.
  Elsewhere than Linux a small watchdog thread polls ``os.getppid()`` instead (weaker: it
  cannot help a stopped worker).
* **The parent always reaps.**  :func:`reap` runs in a ``finally`` block: it continues
  every worker (SIGCONT, so nothing stays stopped), kills it (SIGKILL) and joins it.
  Workers are also ``daemon`` processes, so :mod:`multiprocessing` kills and joins any that
  a bug might leave behind when the parent exits normally.
* **The terminal talks only to the parent.**  Each worker moves to a process group of its
  own, so Ctrl-C, Ctrl-Z and ``fg`` (SIGINT, SIGTSTP, SIGCONT sent by the terminal to its
  foreground group) reach the parent alone — a ``fg`` must not wake workers the dispatcher
  holds stopped — and workers ignore SIGINT besides.  The parent turns Ctrl-C into
  KeyboardInterrupt, reaps the workers in its ``finally`` block and the command line exits
  with code 130.  SIGINT is blocked while workers are forked (:func:`sigint_blocked`), so no
  worker can be hit between ``fork`` and the moment it ignores the signal; one that arrives
  meanwhile is delivered to the parent as soon as the workers are started.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from multiprocessing.process import BaseProcess
from typing import Any

from schedsim.real.libc import libc

PR_SET_PDEATHSIG = 1
PR_SET_TIMERSLACK = 29
PR_GET_TIMERSLACK = 30

LINUX = sys.platform.startswith("linux")


def prctl(option: int, value: int) -> int:
    """Call ``prctl(option, value, 0, 0, 0)``; raise OSError if the kernel refuses."""
    library = libc()
    if library is None:
        raise OSError("prctl is only available on Linux")
    result = int(library.prctl(option, ctypes.c_ulong(value), 0, 0, 0))
    if result == -1:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno))
    return result


def die_with_parent(parent_pid: int) -> None:
    """In a worker: make sure this process dies when ``parent_pid`` (its parent) dies.

    Exits at once (code 0, nothing to report to a parent that is gone) if the parent has
    already died before the request took effect."""
    if libc() is not None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    else:  # pragma: no cover - exercised on macOS only
        _start_parent_watchdog(parent_pid)
    if os.getppid() != parent_pid:
        os._exit(0)


def _start_parent_watchdog(parent_pid: int) -> None:  # pragma: no cover - non-Linux fallback
    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(0.2)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def set_timer_slack(nanoseconds: int) -> int | None:
    """Set this thread's timer slack (how late the kernel may wake a sleep); return the old
    value, or None where that cannot be done.

    The default slack (50 µs) would add its own lateness to every sleep and every timed wait
    of a run whose time unit is a few milliseconds."""
    if libc() is None:
        return None
    try:
        previous = prctl(PR_GET_TIMERSLACK, 0)
        prctl(PR_SET_TIMERSLACK, nanoseconds)
    except OSError:
        return None
    return previous


@contextlib.contextmanager
def sigint_blocked() -> Iterator[None]:
    """Hold SIGINT back for the duration of the block (delivered when it ends).

    Used around forking workers, and around the clean-up so that a second Ctrl-C cannot
    interrupt the reaping of the first."""
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not (
        threading.main_thread()
    ):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def ignore_interrupts_in_worker() -> None:
    """In a worker: leave the terminal's process group, ignore SIGINT (the parent stops us),
    then unblock it.

    The order matters: a SIGINT that arrived while it was blocked is discarded, not raised."""
    if hasattr(os, "setpgid"):
        with contextlib.suppress(OSError):
            os.setpgid(0, 0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def reap(processes: Iterable[BaseProcess], *, timeout: float = 2.0) -> list[BaseProcess]:
    """Continue, kill and join every process; return those still not reaped (none, unless
    the kernel itself is stuck).

    Safe to call on processes that never started, already exited or were already joined."""
    started = [p for p in processes if getattr(p, "_popen", None) is not None]
    for process in started:
        if process.exitcode is None and process.pid is not None:
            with contextlib.suppress(OSError):
                os.kill(process.pid, signal.SIGCONT)
            with contextlib.suppress(OSError):
                process.kill()
    deadline = time.monotonic() + timeout
    left = []
    for process in started:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.exitcode is None:
            left.append(process)
    return left


def signal_name(number: int) -> str:
    """``9`` -> ``"SIGKILL"``."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def describe_exit(exitcode: int | None) -> str:
    """How a process ended, in words: ``died with signal 9 (SIGKILL)``."""
    if exitcode is None:
        return "did not exit"
    if exitcode < 0:
        return f"died with signal {-exitcode} ({signal_name(-exitcode)})"
    return f"exited with code {exitcode}"


class ParentSession:
    """The parent's side of a real run: its own core and a fine timer slack while the run
    lasts, and on the way out — however the run ends — the old settings back, every worker
    reaped and every pipe closed.  Used by both drivers (dispatch and kernel mode)."""

    def __init__(self, processes: list[BaseProcess], connections: list[Any]) -> None:
        self.processes = processes  # filled by the driver as it starts workers
        self.connections = connections
        self.original_affinity = (
            os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
        )
        self.slack: int | None = None

    def settle(self, dispatcher_core: int | None) -> None:
        """Move the parent to its own core (when it has one) and tighten its timer slack."""
        if dispatcher_core is not None and self.original_affinity is not None:
            os.sched_setaffinity(0, {dispatcher_core})
        self.slack = set_timer_slack(1)

    def close(self) -> None:
        with sigint_blocked():
            if self.slack is not None:
                set_timer_slack(self.slack)
            if self.original_affinity is not None:
                with contextlib.suppress(OSError):
                    os.sched_setaffinity(0, self.original_affinity)
            reap(self.processes)
            for connection in self.connections:
                connection.close()
