"""Shared fixtures: hypothesis profiles, and a guard that no test leaves child processes."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import time

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

os.environ.setdefault("MPLBACKEND", "Agg")


def _children() -> list[int]:
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil is a test dependency
        return [p.pid for p in multiprocessing.active_children()]
    return [child.pid for child in psutil.Process().children(recursive=True)]


@pytest.fixture(autouse=True)
def no_leftover_processes():
    """Fail any test that leaves a child process alive (a worker not reaped is a bug)."""
    yield
    deadline = time.monotonic() + 2.0
    left = _children()
    while left and time.monotonic() < deadline:
        multiprocessing.active_children()  # reaps finished multiprocessing children
        time.sleep(0.05)
        left = _children()
    if left:
        for pid in left:
            with contextlib.suppress(OSError):
                os.kill(pid, 9)
        pytest.fail(f"test left child process(es) running: {left}")
