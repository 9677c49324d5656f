"""``schedsim measure`` on processes that synchronise: real multiprocessing primitives, in the
order the simulation gives them, and every worker ended whatever happens.

Tiny workloads and short units; times are checked within tolerance bands, orders exactly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil
import pytest
from click.testing import CliRunner

from schedsim.cli import main
from schedsim.errors import ExecutionError
from schedsim.loaders.common import limits_for
from schedsim.loaders.documents import from_document
from schedsim.real import measure
from schedsim.workload import Workload
from tests.test_real_faults import gone_or_dead, wait_for_children

pytestmark = pytest.mark.real
UNIT = "10ms"


def scripted(document: dict[str, Any]) -> Workload:
    return from_document(document, "test.yaml", "test", limits_for(False, None, None))


def holds(result: Any, resource: str) -> list[tuple[str, float, float | None]]:
    return [
        (hold["pid"], hold["acquired"], hold["released"])
        for hold in sorted(result.resources["holds"], key=lambda hold: hold["acquired"])
        if hold["resource"] == resource
    ]


HANDOVER = {
    "resources": {"locks": ["x"]},
    "processes": [
        {"pid": "L", "run": [{"lock": "x"}, {"io": 3}, {"unlock": "x"}, {"cpu": 1}]},
        {"pid": "B", "run": [{"lock": "x"}, {"cpu": 1}, {"unlock": "x"}]},
        {"pid": "C", "run": [{"lock": "x"}, {"cpu": 1}, {"unlock": "x"}]},
    ],
}


def test_a_lock_is_handed_over_in_the_simulated_order() -> None:
    """L takes x and sleeps (I/O) holding it; B, then C, wait for x in real
    ``lock.acquire()`` calls — but only the first in line is ever inside one, so when L
    unlocks at 3 the kernel can only wake B, and C gets x when B unlocks.  FCFS, one CPU:
    L (dispatched at 3 to unlock) runs its last unit 3-4, B 4-5 and unlocks at 5, C 5-6.
    The measured holds are the simulated ones: L 0-3, B 3-5, C 5-6 (within half a unit)."""
    measurement = measure(scripted(HANDOVER), "fcfs", unit=UNIT)
    simulated, measured = measurement.simulated, measurement.measured
    assert holds(simulated, "x") == [("L", 0, 3), ("B", 3, 5), ("C", 5, 6)]
    got = holds(measured, "x")
    assert [pid for pid, _, _ in got] == ["L", "B", "C"]  # whatever the load: the sequencer
    waits = {w["pid"]: w for w in measured.resources["waits"]}
    assert set(waits) == {"B", "C"}  # each really blocked in acquire() until handed x
    if undisturbed(measurement):
        for (_, start, end), (_, expected_start, expected_end) in zip(
            got, holds(simulated, "x"), strict=True
        ):
            assert abs(start - expected_start) < 0.5 and abs(end - expected_end) < 0.5
        assert measurement.comparison.summary["completion_order"]["matches"]
        assert measurement.comparison.summary["synchronisation"]["hold_shift"] < 0.5
        # C waits from reaching its lock step at 0, though it is kept out of acquire()
        # until B is through: blocked time is the same quantity as in the simulation.
        assert abs(waits["C"]["from"]) < 0.5 and abs(waits["C"]["to"] - 5) < 0.5


def undisturbed(measurement: Any) -> bool:
    """Whether the run's times can be held to the simulation's: not when the run itself
    reported that another program took its cores (then it must say so)."""
    summary = measurement.comparison.summary
    if summary["disturbed"]:
        assert summary["disturbances"]
        return False
    return True


PAIR = {
    "resources": {"queues": {"q": 1}},
    "processes": [
        {"pid": "producer", "run": [{"cpu": 1}, {"put": "q"}, {"cpu": 1}, {"put": "q"}]},
        {"pid": "consumer", "run": [{"get": "q"}, {"cpu": 2}, {"get": "q"}, {"cpu": 2}]},
    ],
}


def test_a_producer_and_a_consumer_pass_the_items_the_simulation_passes() -> None:
    """On two CPUs: the consumer waits in ``get()`` from 0; the producer's item at 1 goes
    straight to it; the second item, put at 2, waits in the queue until the consumer takes
    it at 3.  Items, in order, and finishes match the simulation."""
    measurement = measure(scripted(PAIR), "fcfs", cpus=2, unit=UNIT)
    simulated, measured = measurement.simulated, measurement.measured

    def items(result: Any) -> list[tuple[str, str]]:
        return [(i["putter"], i["getter"]) for i in result.resources["items"]]

    assert items(measured) == items(simulated) == [("producer", "consumer")] * 2
    assert [i["got"] for i in simulated.resources["items"]] == [1, 3]
    assert simulated.jobs["finish"].tolist() == [2, 5]
    if undisturbed(measurement):
        got = [i["got"] for i in measured.resources["items"]]
        assert got == pytest.approx([1, 3], abs=0.5)
        assert measured.jobs["finish"].tolist() == pytest.approx([2, 5], abs=0.5)


TWO_LOCKS = {
    "resources": {"locks": ["x", "y"]},
    "processes": [
        {"pid": "A", "run": [{"lock": "x"}, {"cpu": 1}, {"lock": "y"}, {"unlock": "y"}]},
        {"pid": "B", "run": [{"lock": "y"}, {"cpu": 1}, {"lock": "x"}, {"unlock": "x"}]},
    ],
}


def test_a_deadlock_is_found_reported_and_every_worker_ended(tmp_path: Path) -> None:
    """Two workers really block in ``acquire()``, each holding what the other wants: the
    dispatcher sees it, reports the simulator's cycle, ends both and exits 3, in well under
    the run's time limit."""
    path = tmp_path / "locks.yaml"
    import yaml

    path.write_text(yaml.safe_dump(TWO_LOCKS))
    started = time.monotonic()
    result = CliRunner().invoke(
        main, ["measure", str(path), "-p", "rr", "--cpus", "2", "--unit", UNIT]
    )
    assert result.exit_code == 3, result.output
    assert time.monotonic() - started < 5
    assert "Deadlock (measured): deadlock at t=" in result.stderr
    assert "A holds x and waits for y; B holds y and waits for x" in result.stderr


def _blocked_workload(path: Path, step: str) -> Path:
    """H takes x and sleeps 400 units holding it, W waits for x; or a consumer waits for an
    item a producer puts only after 400 units."""
    import yaml

    if step == "acquire":
        document = {
            "resources": {"locks": ["x"]},
            "processes": [
                {"pid": "H", "run": [{"lock": "x"}, {"io": 400}, {"unlock": "x"}]},
                {"pid": "W", "run": [{"lock": "x"}, {"cpu": 1}, {"unlock": "x"}]},
            ],
        }
    else:
        document = {
            "resources": {"queues": {"q": 1}},
            "processes": [
                {"pid": "P", "run": [{"io": 400}, {"put": "q"}]},
                {"pid": "W", "run": [{"get": "q"}, {"cpu": 1}]},
            ],
        }
    path.write_text(yaml.safe_dump(document))
    return path


def test_a_worker_killed_inside_acquire_ends_the_run_naming_it(tmp_path: Path) -> None:
    path = _blocked_workload(tmp_path / "blocked.yaml", "acquire")
    killed: list[int] = []

    def kill_the_waiter() -> None:
        children = wait_for_children(psutil.Process(), 2)
        time.sleep(0.3)  # W is inside lock.acquire() by now
        victim = sorted(children, key=lambda child: child.pid)[1]  # W, the second worker
        killed.append(victim.pid)
        victim.send_signal(signal.SIGKILL)

    killer = threading.Thread(target=kill_the_waiter)
    killer.start()
    started = time.monotonic()
    result = CliRunner().invoke(main, ["measure", str(path), "-p", "fcfs", "--unit", "5ms"])
    killer.join()
    assert result.exit_code == 1, result.output
    assert f"worker for process W (#2, os pid {killed[0]}) died with signal 9" in result.output
    assert time.monotonic() - started < 5  # not the 2 s the workload would take


def test_the_holder_killed_is_named_with_what_it_held(tmp_path: Path) -> None:
    path = _blocked_workload(tmp_path / "blocked.yaml", "acquire")

    def kill_the_holder() -> None:
        children = wait_for_children(psutil.Process(), 2)
        time.sleep(0.3)
        sorted(children, key=lambda child: child.pid)[0].send_signal(signal.SIGKILL)

    killer = threading.Thread(target=kill_the_holder)
    killer.start()
    with pytest.raises(ExecutionError, match=r"worker for process H .* holding x;"):
        from schedsim import load_workload

        measure(load_workload(path), "fcfs", unit="5ms")
    killer.join()


def test_a_worker_blocked_in_get_dies_with_its_parent(tmp_path: Path) -> None:
    """The parent is SIGKILLed while W waits in ``queue.get()``: W (and P, asleep in its
    I/O) die with it, through PR_SET_PDEATHSIG."""
    path = _blocked_workload(tmp_path / "queue.yaml", "get")
    command = [sys.executable, "-m", "schedsim", "measure", str(path), "--unit", "5ms"]
    parent = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        workers = wait_for_children(psutil.Process(parent.pid), 2)
        time.sleep(0.3)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(5)
        assert gone_or_dead(workers, 3.0) == []
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()


@pytest.mark.parametrize(
    "mode",
    [
        ["-p", "fcfs"],
        pytest.param(
            ["--mode", "kernel", "--kernel-policy", "fifo", "--locks", "inherit"],
            marks=pytest.mark.skipif(
                not sys.platform.startswith("linux") or os.geteuid() != 0,
                reason="SCHED_FIFO and PI mutexes need Linux and root",
            ),
        ),
    ],
    ids=["dispatch", "kernel-pi"],
)
def test_ctrl_c_ends_workers_blocked_in_acquire(tmp_path: Path, mode: list[str]) -> None:
    """Ctrl-C while W waits in ``acquire()`` (a ``multiprocessing.Lock``, or a PI mutex in
    kernel mode) and H sleeps holding it: exit 130, ``Interrupted.``, every worker gone."""
    path = _blocked_workload(tmp_path / "blocked.yaml", "acquire")
    command = [sys.executable, "-m", "schedsim", "measure", str(path), "--unit", "5ms", *mode]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as run:
        workers = wait_for_children(psutil.Process(run.pid), 2)
        time.sleep(0.3)
        run.send_signal(signal.SIGINT)
        out, err = run.communicate(timeout=10)
        assert gone_or_dead(workers, 3.0) == []
    assert run.returncode == 130, err
    assert err.strip() == "Interrupted." and out == ""
