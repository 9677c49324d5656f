"""The C library, for the calls Python's :mod:`os` does not wrap.

Real runs need a few: ``prctl`` (a worker dies with its parent; timer slack), the
``sched_setattr``/``sched_getattr`` system calls (a SCHED_OTHER slice, SCHED_DEADLINE) and
the pthread mutex protocols (priority inheritance and ceiling).  All of them go through the
one handle made here, with ``errno`` kept so that :func:`ctypes.get_errno` says why the
kernel refused.
"""

from __future__ import annotations

import ctypes
import sys
from functools import cache
from typing import Any


@cache
def libc() -> Any:
    """The C library (errno kept), or None off Linux."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:  # pragma: no cover - every Linux has a C library
        return None
