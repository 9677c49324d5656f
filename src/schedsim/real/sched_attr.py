"""``struct sched_attr`` and the ``sched_setattr(2)``/``sched_getattr(2)`` system calls.

Python's :mod:`os` wraps neither, and they are the only way to give a SCHED_OTHER process a
slice of its own (EEVDF reads ``sched_runtime`` as the slice, Linux 6.12+) or to put one in
SCHED_DEADLINE.  Both are called by number through :mod:`ctypes` with the kernel's first
version of the structure (48 bytes), which every kernel since 3.14 accepts.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform

from schedsim.real.libc import libc

SCHED_NORMAL = 0  # SCHED_OTHER
SCHED_DEADLINE = 6

# (sched_setattr, sched_getattr) by machine (asm/unistd.h).
_NUMBERS = {
    "x86_64": (314, 315),
    "amd64": (314, 315),
    "aarch64": (274, 275),
    "arm64": (274, 275),
    "riscv64": (274, 275),
    "i386": (351, 352),
    "i686": (351, 352),
    "armv7l": (380, 381),
    "ppc64le": (355, 356),
    "s390x": (345, 346),
}


class SchedAttr(ctypes.Structure):
    """``struct sched_attr``, first version (SCHED_ATTR_SIZE_VER0, 48 bytes)."""

    _fields_ = (
        ("size", ctypes.c_uint32),
        ("sched_policy", ctypes.c_uint32),
        ("sched_flags", ctypes.c_uint64),
        ("sched_nice", ctypes.c_int32),
        ("sched_priority", ctypes.c_uint32),
        ("sched_runtime", ctypes.c_uint64),
        ("sched_deadline", ctypes.c_uint64),
        ("sched_period", ctypes.c_uint64),
    )


def known() -> bool:
    """Whether this is Linux on a machine whose system call numbers schedsim knows."""
    return libc() is not None and platform.machine().lower() in _NUMBERS


def set_attr(pid: int, attr: SchedAttr) -> int:
    """``sched_setattr`` on process ``pid`` (0: the calling thread): 0, or the errno the
    kernel answered (ENOSYS where the call is not known)."""
    if not known():
        return errno.ENOSYS
    attr.size = ctypes.sizeof(SchedAttr)
    number = _NUMBERS[platform.machine().lower()][0]
    if libc().syscall(number, pid, ctypes.byref(attr), 0) == 0:
        return 0
    return ctypes.get_errno()


def get_attr(pid: int) -> SchedAttr:
    """``sched_getattr`` of process ``pid``; OSError where it fails or is not known."""
    if not known():
        raise OSError(errno.ENOSYS, "sched_getattr is not available here")
    attr = SchedAttr()
    number = _NUMBERS[platform.machine().lower()][1]
    if libc().syscall(number, pid, ctypes.byref(attr), ctypes.sizeof(attr), 0) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    return attr
