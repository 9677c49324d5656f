"""Locks that the kernel boosts: process-shared POSIX mutexes with a priority protocol.

``multiprocessing.Lock`` is a POSIX semaphore: the kernel does not know who holds it, so it
cannot lend the holder a waiter's priority — under ``SCHED_FIFO`` a low-priority holder can
be kept off the CPU by a medium-priority process while a high-priority one waits (priority
inversion, as on Mars Pathfinder).  A ``pthread_mutex_t`` set up with

``PTHREAD_PRIO_INHERIT``  is a futex the kernel tracks the owner of: while a process waits
                          for it, the owner runs at the waiter's priority if higher (the
                          kernel's rt-mutex priority inheritance);
``PTHREAD_PRIO_PROTECT``  raises its owner to the mutex's priority ceiling while it holds
                          it (glibc changes the owner's real-time priority on lock and unlock);

and ``PTHREAD_PROCESS_SHARED``, placed in memory shared by the workers (an anonymous shared
mapping made before they are forked), is a lock between processes with exactly the interface
the workers use of ``multiprocessing.Lock``: ``acquire(block)`` and ``release()``.

These are reached through :mod:`ctypes`, from the C library; :func:`unavailable` says why a
platform cannot have them (no ``fork``, no such functions, a kernel refusing the protocol).
"""

from __future__ import annotations

import ctypes
import errno
import mmap
import multiprocessing
import os
import sys
from typing import Any

from schedsim.real.libc import libc

PTHREAD_PROCESS_SHARED = 1
PTHREAD_PRIO_INHERIT = 1
PTHREAD_PRIO_PROTECT = 2
PROTOCOLS = {"inherit": PTHREAD_PRIO_INHERIT, "ceiling": PTHREAD_PRIO_PROTECT}
MUTEX_BYTES = 64  # sizeof(pthread_mutex_t) is 40 on x86-64 glibc, 48 on arm64: room for both
ATTR_BYTES = 16  # sizeof(pthread_mutexattr_t) is 4

_FUNCTIONS = (
    "pthread_mutexattr_init",
    "pthread_mutexattr_setpshared",
    "pthread_mutexattr_setprotocol",
    "pthread_mutexattr_setprioceiling",
    "pthread_mutexattr_destroy",
    "pthread_mutex_init",
    "pthread_mutex_lock",
    "pthread_mutex_trylock",
    "pthread_mutex_unlock",
)


def _libc() -> Any:
    """The C library where it has every pthread call a priority-protocol mutex needs."""
    found = libc()
    if found is None or not all(hasattr(found, name) for name in _FUNCTIONS):
        return None
    return found


def unavailable(protocol: str) -> str | None:
    """Why this platform cannot give process-shared mutexes with ``protocol``
    ("inherit" or "ceiling"); None when it can."""
    if not sys.platform.startswith("linux"):
        return "priority-inheritance and priority-ceiling mutexes are measured on Linux only"
    if "fork" not in multiprocessing.get_all_start_methods():
        return "the workers must be forked to share a mutex"  # pragma: no cover - Linux forks
    if _libc() is None:
        return "the C library has no process-shared priority-protocol mutexes"
    try:
        PriorityLock(protocol, ceiling=1)
    except OSError as error:
        return f"the C library refused a {protocol} mutex: {error.strerror}"
    return None


class PriorityLock:
    """A process-shared mutex with a priority protocol, used like ``multiprocessing.Lock``.

    Made in the parent before the workers are forked; ``ceiling`` (a real-time priority) is
    used by the ``ceiling`` protocol only."""

    def __init__(self, protocol: str, ceiling: int = 1) -> None:
        libc = _libc()
        if libc is None:
            raise OSError(errno.ENOSYS, "no process-shared priority-protocol mutexes")
        self.protocol = protocol
        self._memory = mmap.mmap(-1, MUTEX_BYTES + ATTR_BYTES)  # MAP_SHARED | MAP_ANONYMOUS
        base = ctypes.addressof(ctypes.c_char.from_buffer(self._memory))
        self._mutex = ctypes.c_void_p(base)
        attr = ctypes.c_void_p(base + MUTEX_BYTES)
        _check(libc.pthread_mutexattr_init(attr))
        try:
            _check(libc.pthread_mutexattr_setpshared(attr, PTHREAD_PROCESS_SHARED))
            _check(libc.pthread_mutexattr_setprotocol(attr, PROTOCOLS[protocol]))
            if protocol == "ceiling":
                _check(libc.pthread_mutexattr_setprioceiling(attr, ctypes.c_int(ceiling)))
            _check(libc.pthread_mutex_init(self._mutex, attr))
        finally:
            libc.pthread_mutexattr_destroy(attr)
        self._lock = libc.pthread_mutex_lock
        self._trylock = libc.pthread_mutex_trylock
        self._unlock = libc.pthread_mutex_unlock

    def acquire(self, block: bool = True) -> bool:
        """Take the mutex; with ``block`` False, only if it is free (True if taken)."""
        if not block:
            code = self._trylock(self._mutex)
            if code == errno.EBUSY:
                return False
            _check(code)
            return True
        _check(self._lock(self._mutex))  # the call releases the GIL; a signal cannot stop it
        return True

    def release(self) -> None:
        _check(self._unlock(self._mutex))


def _check(code: int) -> None:
    if code != 0:
        raise OSError(code, os.strerror(code))
