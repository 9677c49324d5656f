"""``SCHED_DEADLINE`` through ``sched_setattr(2)``, called with :mod:`ctypes`.

Python's :mod:`os` has no ``sched_setattr``, the only way to ask Linux for its
earliest-deadline-first class, so this module calls the system call by number with the
kernel's ``struct sched_attr`` (its first version, 48 bytes).  A task in the class is given
a *runtime* (its CPU budget per period), a relative *deadline* and a *period*; the kernel
runs the ready task with the earliest absolute deadline (global EDF over the CPUs of its
root domain) and, through its constant-bandwidth server, never lets one run more than its
runtime per period.

What the kernel requires (and this module checks before any process starts, so that the
refusal is a clear message rather than ``EINVAL`` from a worker): root or CAP_SYS_NICE;
1024 ns <= runtime <= deadline <= period; a period within
``kernel.sched_deadline_period_{min,max}_us``; a task whose CPU affinity covers its whole
root domain; a task that never forks.
"""

from __future__ import annotations

import os
import platform

from schedsim.real.sched_attr import SCHED_DEADLINE, SCHED_NORMAL, SchedAttr, known, set_attr

MIN_RUNTIME_NS = 1024
CAP_SYS_NICE = 23
PERIOD_LIMITS = (
    "/proc/sys/kernel/sched_deadline_period_min_us",
    "/proc/sys/kernel/sched_deadline_period_max_us",
)
DEFAULT_PERIOD_LIMITS_US = (100, 4_194_304)


def set_attributes(
    policy: int, runtime_ns: int = 0, deadline_ns: int = 0, period_ns: int = 0
) -> int:
    """``sched_setattr`` on the calling thread: 0, or the errno the kernel answered."""
    attributes = SchedAttr(
        sched_policy=policy,
        sched_runtime=runtime_ns,
        sched_deadline=deadline_ns,
        sched_period=period_ns,
    )
    return set_attr(0, attributes)


def set_deadline(runtime_ns: int, deadline_ns: int, period_ns: int) -> int:
    """This thread becomes a SCHED_DEADLINE task: 0, or the errno."""
    return set_attributes(SCHED_DEADLINE, runtime_ns, deadline_ns, period_ns)


def set_normal() -> int:
    """This thread returns to SCHED_OTHER: 0, or the errno."""
    return set_attributes(SCHED_NORMAL)


def privilege_problem() -> str | None:
    """Why this process may not use SCHED_DEADLINE (None: it may)."""
    if platform.system() != "Linux":
        return "SCHED_DEADLINE is a Linux scheduling class"
    if not known():
        return f"schedsim does not know sched_setattr's number on {platform.machine()}"
    if os.geteuid() == 0 or has_capability(CAP_SYS_NICE):
        return None
    return "SCHED_DEADLINE needs root or CAP_SYS_NICE (run as root)"


def has_capability(bit: int) -> bool:
    """Whether this process holds capability ``bit`` (its effective set, from /proc)."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("CapEff:"):
                    return bool(int(line.split()[1], 16) >> bit & 1)
    except (OSError, ValueError, IndexError):
        pass
    return False


def period_limits_seconds() -> tuple[float, float]:
    """The shortest and longest period the kernel accepts, in seconds."""
    values = []
    for path, default in zip(PERIOD_LIMITS, DEFAULT_PERIOD_LIMITS_US, strict=True):
        try:
            with open(path) as handle:
                values.append(int(handle.read().split()[0]) / 1e6)
        except (OSError, ValueError, IndexError):
            values.append(default / 1e6)
    return values[0], values[1]


def describe_errno(code: int) -> str:
    """``EBUSY`` -> "Device or resource busy (EBUSY)"."""
    import errno

    name = errno.errorcode.get(code, f"errno {code}")
    return f"{os.strerror(code)} ({name})"
