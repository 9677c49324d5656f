"""Kernel mode: Linux schedules the workers; schedsim releases them at their arrival times,
watches, and compares with the closest textbook policy."""

from __future__ import annotations

import os
import sys
from itertools import groupby, pairwise

import pytest

from schedsim.errors import OptionError
from schedsim.real import measure
from schedsim.real.kernel import counterpart, rr_timeslice_seconds
from schedsim.real.linux import fair_scheduler
from schedsim.real.plan import allowed_cores
from schedsim.workload import Workload

pytestmark = pytest.mark.real

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux scheduler")
needs_spare_core = pytest.mark.skipif(len(allowed_cores()) < 2, reason="needs 2 cores")


def workload(*rows: tuple[str, float, list[float]]) -> Workload:
    return Workload.from_processes(
        [{"pid": pid, "arrival": arrival, "bursts": bursts} for pid, arrival, bursts in rows],
        name="kernel",
    )


def realtime_permitted() -> bool:
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
    except (OSError, AttributeError):
        return False
    os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
    return True


def test_counterparts_are_the_closest_textbook_policies() -> None:
    policy, why = counterpart("fifo", 0.005)
    assert policy.name == "fcfs" and why.startswith("fcfs: SCHED_FIFO")
    policy, why = counterpart("rr", 0.005)
    quantum = rr_timeslice_seconds() / 0.005
    assert policy.name == "rr" and policy.settings["quantum"] == pytest.approx(quantum)
    assert "SCHED_RR timeslice" in why
    policy, why = counterpart("other", 0.01)
    assert (policy.name, why.split(" ")[0]) in (("eevdf", "eevdf"), ("fair", "fair"))


@linux_only
@needs_spare_core
def test_realtime_classes_need_a_core_the_dispatcher_does_not_share() -> None:
    cores = len(allowed_cores())
    with pytest.raises(OptionError, match=r"--kernel-policy fifo: real-time workers need a core"):
        measure(workload(("P1", 0, [1])), mode="kernel", kernel_policy="fifo", cpus=cores)


@linux_only
@needs_spare_core
@pytest.mark.skipif(not realtime_permitted(), reason="SCHED_FIFO not permitted here")
def test_sched_fifo_runs_like_fcfs() -> None:
    work = workload(("P1", 0, [12]), ("P2", 1, [4]), ("P3", 2, [6]))
    measurement = measure(work, mode="kernel", kernel_policy="fifo", unit="5ms")
    measured = measurement.measured
    assert measured.policy == "sched_fifo"
    assert measured.settings["kernel_policy"] == "fifo"
    summary = measurement.comparison.summary
    assert summary["compared_with"].startswith("fcfs")
    assert summary["completion_order"]["measured"] == ["P1", "P2", "P3"]
    assert summary["completion_order"]["matches"] is True
    # FIFO never preempts between equals: the processes ran one after the other, never
    # interleaved (a process's run may still show gaps where the machine itself paused it).
    records = measured.timeline_records()
    runs = [pid for pid, _ in groupby(record["pid"] for record in records)]
    assert runs == ["P1", "P2", "P3"]
    # ... and the kernel's own statistics came back for every worker.
    schedstat = measured.extra["schedstat"]
    assert all(value is not None and value > 0 for value in schedstat["cpu_time"])
    assert all(count >= 1 for count in schedstat["timeslices"])


@linux_only
@needs_spare_core
@pytest.mark.skipif(not realtime_permitted(), reason="SCHED_RR not permitted here")
def test_sched_rr_uses_the_kernel_timeslice() -> None:
    quantum = rr_timeslice_seconds() / 0.005  # 20 units with the default 100 ms
    # RR with that quantum: P1 expires at q, P2 (q/2) finishes, P3 (1.25 q) expires with a
    # quarter quantum left, P1 finishes its last half quantum, then P3.
    work = workload(("P1", 0, [1.5 * quantum]), ("P2", 1, [0.5 * quantum]),
                    ("P3", 2, [1.25 * quantum]))  # fmt: skip
    measurement = measure(work, mode="kernel", kernel_policy="rr", unit="5ms", max_seconds=5)
    summary = measurement.comparison.summary
    assert summary["completion_order"]["simulated"] == ["P2", "P1", "P3"]
    assert summary["completion_order"]["matches"] is True
    # P2 needs half a quantum, so the kernel runs it in one timeslice; a worker sees a gap
    # whenever the machine pauses it (an interrupt, a kernel thread), so allow one extra.
    # P1 (1.5 quanta) was preempted at least once.
    slices = measurement.measured.jobs["slices"].tolist()
    assert 1 <= slices[1] <= 2, slices
    assert slices[0] >= 2, slices


@linux_only
def test_sched_other_timeline_is_well_formed() -> None:
    work = workload(("P1", 0, [8]), ("P2", 0, [4, 2, 2]))
    measurement = measure(work, mode="kernel", kernel_policy="other", unit="5ms")
    measured = measurement.measured
    assert measured.policy == "sched_other"
    records = measured.timeline_records()
    assert records
    for pid in ("P1", "P2"):
        mine = sorted((r["start"], r["end"]) for r in records if r["pid"] == pid)
        assert all(start <= end for start, end in mine)
        assert all(a_end <= b_start + 1e-9 for (_, a_end), (b_start, _) in pairwise(mine))
    cpu = measured.extra["measured_cpu_time"]
    assert cpu[0] == pytest.approx(8, rel=0.05) and cpu[1] == pytest.approx(6, rel=0.05)
    assert [pid for job, _, _ in measured.io_periods for pid in [measured.pids[job]]] == ["P2"]


@linux_only
@pytest.mark.skipif(not fair_scheduler().eevdf, reason="SCHED_OTHER is EEVDF since Linux 6.6")
def test_sched_other_gives_workers_their_nice_and_is_compared_with_eevdf() -> None:
    """A at nice 0 and B at nice 10 (weights 1024 and 110), 6 units each from 0: B gets about
    a tenth of the CPU, so A finishes first (at about 6.6) — only if B really got its nice.
    As root, C at nice -5 arriving at 1 finishes before both."""
    rows = [{"pid": "A", "bursts": [6]}, {"pid": "B", "bursts": [6], "nice": 10}]
    if os.geteuid() == 0:
        rows.append({"pid": "C", "arrival": 1, "bursts": [2], "nice": -5})
    work = Workload.from_processes(rows, name="nice")
    measurement = measure(work, mode="kernel", kernel_policy="other", unit="5ms")
    summary = measurement.comparison.summary
    assert summary["compared_with"].startswith("eevdf (the model of Linux")
    assert measurement.simulated.policy == "eevdf"
    order = summary["completion_order"]["measured"]
    assert order.index("A") < order.index("B")
    if "C" in order:
        assert order[0] == "C"
