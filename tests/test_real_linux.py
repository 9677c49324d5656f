"""What kernel mode knows about the running kernel's SCHED_OTHER, and how it models it.

The kernel facts are from ``kernel/sched/fair.c`` (``sysctl_sched_base_slice``, 0.75 ms
until 6.14 and 0.70 ms since 6.15, scaled by ``1 + ilog2(min(CPUs, 8))``) and the 6.12
feature set (DELAY_DEQUEUE, PREEMPT_SHORT, ``sched_attr.sched_runtime`` as a slice)."""

from __future__ import annotations

import dataclasses
import os
import sys
import time

import pytest

from schedsim import Workload, WorkloadError
from schedsim.real.kernel import counterpart
from schedsim.real.linux import (
    FairScheduler,
    check_workload_slices,
    default_base_slice_ns,
    exact_slices,
    get_nice_and_slice,
    parse_release,
    set_nice_and_slice,
)

LINUX_6_18 = FairScheduler(
    release="6.18.44-custom",
    version=(6, 18),
    online_cpus=2,
    base_slice_ns=1_400_000,
    base_slice_from="as the kernel sets it",
    hz=250,
)


def test_release_and_default_base_slice() -> None:
    assert parse_release("6.18.44-fc-v1272") == (6, 18)
    assert parse_release("5.15.0-91-generic") == (5, 15)
    assert parse_release("unknown") is None
    assert default_base_slice_ns((6, 18), 1) == 700_000
    assert default_base_slice_ns((6, 18), 2) == 1_400_000
    assert default_base_slice_ns((6, 14), 4) == 2_250_000  # 0.75 ms x (1 + log2 4)
    assert default_base_slice_ns((6, 15), 64) == 2_800_000  # CPUs count up to 8


def test_slices_end_where_the_probe_says() -> None:
    """Two tasks competing with a 1.4 ms base slice and a 4 ms tick: runs of about 1.4 ms
    mean the request's end cuts the slice (HRTICK), about 4 ms the tick."""
    assert exact_slices(1.38, 1_400_000, 250)
    assert not exact_slices(3.9, 1_400_000, 250)
    assert not exact_slices(2.9, 2_800_000, 1000)  # 2.8 ms rounds up to 3 ticks of 1 ms


def test_other_is_compared_with_eevdf_on_6_6_and_later_and_fair_before() -> None:
    without = dataclasses.replace(LINUX_6_18, exact_slices=False)
    policy, why = counterpart("other", 0.01, scheduler=without)
    assert policy.name == "eevdf"
    assert policy.settings["base_slice"] == 0.14
    assert policy.settings["tick"] == 0.4
    assert policy.settings["place_deadline_initial"] is False  # workers are woken, not forked
    assert policy.settings["delay_dequeue"] is True
    assert why.startswith("eevdf (the model of Linux 6.18's EEVDF) with base slice 1.4 ms")
    assert "tick 4 ms = 0.4 units, without HRTICK" in why
    exact = dataclasses.replace(LINUX_6_18, exact_slices=True, probe_run_ms=1.41)
    policy, why = counterpart("other", 0.01, scheduler=exact)
    assert policy.settings["tick"] == 0.4 and policy.settings["hrtick"] is True
    assert "tick 4 ms = 0.4 units, with HRTICK (two tasks competing ran 1.41 ms at a time)" in why
    older = dataclasses.replace(LINUX_6_18, version=(6, 8), base_slice_ns=750_000)
    policy, why = counterpart("other", 0.01, scheduler=older)
    assert policy.settings["delay_dequeue"] is False and policy.settings["preempt_short"] is False
    assert why.endswith("no DELAY_DEQUEUE, DELAY_ZERO or PREEMPT_SHORT before Linux 6.12")
    cfs = dataclasses.replace(LINUX_6_18, version=(5, 15), base_slice_ns=None)
    policy, why = counterpart("other", 0.01, scheduler=cfs)
    assert policy.name == "fair"
    assert policy.settings == {"target_latency": 0.6, "min_granularity": 0.075}
    assert why.startswith("fair (the CFS model; Linux 5.15 runs CFS)")


def test_slices_the_kernel_would_not_honour_are_refused() -> None:
    workload = Workload.from_processes(
        [
            {"pid": "A", "bursts": [5], "slice": 0.5},
            {"pid": "B", "bursts": [5]},
            {"pid": "C", "bursts": [5], "slice": 20},
            {"pid": "D", "bursts": [5], "slice": 0.001},
        ],
        source="w.yaml",
    )
    with pytest.raises(WorkloadError) as caught:
        check_workload_slices(workload, 0.01, LINUX_6_18)
    assert caught.value.problems == [
        "w.yaml: process #3 (pid C): slice: 20 units of 10ms = 200 ms, outside the 0.1 .. 100 "
        "ms the kernel accepts for a SCHED_OTHER slice; use another --unit or slice",
        "w.yaml: process #4 (pid D): slice: 0.001 units of 10ms = 0.01 ms, outside the 0.1 .. "
        "100 ms the kernel accepts for a SCHED_OTHER slice; use another --unit or slice",
    ]
    older = dataclasses.replace(LINUX_6_18, version=(6, 11))
    with pytest.raises(WorkloadError, match=r"process #1 \(pid A\): slice: Linux 6.11 takes no"):
        check_workload_slices(workload, 0.01, older)
    check_workload_slices(Workload.from_processes([{"pid": "A", "bursts": [1]}]), 0.01, older)


@pytest.mark.real
@pytest.mark.skipif(
    not sys.platform.startswith("linux") or (parse_release(os.uname().release) or (0, 0)) < (6, 12),
    reason="per-task slices need Linux 6.12",
)
def test_a_process_gets_its_nice_and_slice() -> None:
    """sched_setattr on a sleeping child; sched_getattr reads both back (a negative nice
    needs privilege, so this uses a positive one)."""
    child = os.fork()
    if child == 0:  # pragma: no cover - the child only sleeps until killed
        time.sleep(30)
        os._exit(0)
    try:
        set_nice_and_slice(child, 7, 3_000_000)
        assert get_nice_and_slice(child) == (7, 3_000_000)
        assert os.getpriority(os.PRIO_PROCESS, child) == 7
    finally:
        os.kill(child, 9)
        os.waitpid(child, 0)
