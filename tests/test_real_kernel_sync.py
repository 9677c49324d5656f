"""Kernel mode with processes that synchronise: Linux schedules the workers, the real
primitives settle every race, and the kernel's priority protocols cure a real priority
inversion."""

from __future__ import annotations

import time
from pathlib import Path

import psutil
import pytest
import yaml
from click.testing import CliRunner

from schedsim import load_workload
from schedsim.cli import main
from schedsim.errors import OptionError
from schedsim.real import measure
from schedsim.real.kernel_sync import realtime_priorities
from schedsim.real.pi_lock import PriorityLock, unavailable
from tests.test_real_kernel import linux_only, needs_spare_core, realtime_permitted

pytestmark = [pytest.mark.real, linux_only]
fifo_permitted = pytest.mark.skipif(not realtime_permitted(), reason="SCHED_FIFO not permitted")
PATHFINDER = Path(__file__).parent.parent / "workloads" / "pathfinder.yaml"


def test_workload_priorities_map_to_realtime_ones_in_order() -> None:
    """1 is the most urgent workload priority and 98 the most urgent real-time one: the
    least urgent process gets 1, equal priorities stay equal, gaps close."""
    assert realtime_priorities([3, 1, 2]) == [1, 3, 2]
    assert realtime_priorities([10, 10, 0, 50]) == [2, 2, 3, 1]
    with pytest.raises(OptionError, match="99 distinct priorities"):
        realtime_priorities(list(range(99)))


@pytest.mark.skipif(unavailable("inherit") is not None, reason="no PI mutexes here")
def test_a_priority_inheritance_mutex_is_a_lock() -> None:
    lock = PriorityLock("inherit")
    assert lock.acquire(False) is True
    assert lock.acquire(False) is False  # held (by us): a try fails rather than blocking
    lock.release()
    assert lock.acquire() is True
    lock.release()


def blocked(result: object, pid: str) -> float:
    """Time ``pid`` spent blocked on the bus lock."""
    processes = result.resources["processes"]  # type: ignore[attr-defined]
    return float(next(p for p in processes if p["pid"] == pid)["blocked"].get("lock", 0))


@needs_spare_core
@fifo_permitted
@pytest.mark.skipif(unavailable("inherit") is not None, reason="no PI mutexes here")
def test_pathfinder_inverts_for_real_and_inheritance_cures_it() -> None:
    """Pathfinder under SCHED_FIFO (L 1, M 2, H 3 as real-time priorities), one core.
    With ``multiprocessing.Lock`` H waits for the bus from 2 while M's 5 units run ahead of
    L's 3 left: blocked 8, finishing M H L — as the simulation of priority --preemptive
    with --locks none says.  With a priority-inheritance mutex L runs at H's priority
    while H waits: H is blocked only for L's 3 units, and finishes first (H M L)."""
    workload = load_workload(PATHFINDER)
    inverted = measure(workload, mode="kernel", kernel_policy="fifo", unit="10ms")
    assert inverted.measured.extra["rt_priorities"] == [1, 3, 2]
    assert inverted.comparison.summary["compared_with"].startswith("priority --preemptive")
    assert blocked(inverted.simulated, "H") == 8
    assert inverted.comparison.summary["completion_order"]["measured"] == ["M", "H", "L"]
    assert blocked(inverted.measured, "H") == pytest.approx(8, abs=1)

    cured = measure(workload, mode="kernel", kernel_policy="fifo", unit="10ms", locks="inherit")
    assert blocked(cured.simulated, "H") == 3
    assert cured.comparison.summary["completion_order"]["measured"] == ["H", "M", "L"]
    assert blocked(cured.measured, "H") == pytest.approx(3, abs=1)
    holds = [(h["pid"], h["acquired"], h["released"]) for h in cured.measured.resources["holds"]]
    assert [pid for pid, _, _ in holds] == ["L", "H"]
    assert holds[0][2] == pytest.approx(5, abs=1)  # L let go of the bus at 5, not after M


@needs_spare_core
@fifo_permitted
def test_a_kernel_mode_deadlock_is_found_and_every_worker_ended(tmp_path: Path) -> None:
    document = {
        "resources": {"locks": ["x", "y"]},
        "processes": [
            {"pid": "A", "run": [{"lock": "x"}, {"io": 1}, {"lock": "y"}, {"unlock": "y"}]},
            {"pid": "B", "run": [{"lock": "y"}, {"io": 1}, {"lock": "x"}, {"unlock": "x"}]},
        ],
    }
    path = tmp_path / "locks.yaml"
    path.write_text(yaml.safe_dump(document))
    started = time.monotonic()
    result = CliRunner().invoke(
        main, ["measure", str(path), "--mode", "kernel", "--kernel-policy", "fifo"]
    )
    assert result.exit_code == 3, result.output
    assert time.monotonic() - started < 5
    assert "A holds x and waits for y; B holds y and waits for x" in result.stderr
    assert not psutil.Process().children(recursive=True)


def test_the_ceiling_protocol_needs_a_realtime_class() -> None:
    with pytest.raises(OptionError, match="--locks ceiling in kernel mode"):
        measure(load_workload(PATHFINDER), mode="kernel", kernel_policy="other", locks="ceiling")


DAEMONS = {
    "resources": {"events": ["go", "never"], "locks": ["x"]},
    "processes": [
        {"pid": "Main", "run": [{"cpu": 2}, {"set": "go"}, {"join": "W"}, {"cpu": 1}]},
        {"pid": "W", "arrival": 1, "run": [{"wait": "go"}, {"lock": "x"}, {"cpu": 2}]},
        {"pid": "D", "daemon_of": "Main", "run": [{"cpu": 1}, {"io": 50}, {"cpu": 1}]},
        {"pid": "E", "daemon_of": "Main", "run": [{"wait": "never"}, {"cpu": 1}]},
    ],
}


def test_daemons_are_ended_with_their_parent_in_kernel_mode(tmp_path: Path) -> None:
    """Main sets go, joins W (which waits for go) and finishes at about 6: its daemons D,
    asleep in a 50-unit I/O, and E, waiting for an event nobody sets, are ended then —
    the run does not last 50 units, and no worker is left behind."""
    path = tmp_path / "daemons.yaml"
    path.write_text(yaml.safe_dump(DAEMONS))
    measurement = measure(load_workload(path), mode="kernel", unit="10ms")
    states = {p["pid"]: p["state"] for p in measurement.measured.resources["processes"]}
    assert states == {"Main": "finished", "W": "finished", "D": "ended", "E": "ended"}
    finish = dict(zip(measurement.measured.pids, measurement.measured.jobs["finish"], strict=True))
    assert finish["D"] == pytest.approx(finish["Main"], abs=0.5) and finish["D"] < 50
    assert not psutil.Process().children(recursive=True)
