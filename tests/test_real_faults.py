"""Faults during ``schedsim measure``, done for real: a worker killed, Ctrl-C at
any moment, the parent killed with SIGKILL, an overloaded machine.  After every one: no
worker left (stopped or spinning), nothing misleading written, and for the in-process
tests the conftest fixture checks that no child process of the test survives."""

from __future__ import annotations

import multiprocessing
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
from click.testing import CliRunner

from schedsim.cli import main
from schedsim.errors import ExecutionError
from schedsim.real import measure
from schedsim.real.plan import plan_cores
from schedsim.real.safety import PR_SET_PDEATHSIG, prctl
from schedsim.workload import Workload

pytestmark = pytest.mark.real


def workload(*rows: tuple[str, float, list[float]]) -> Workload:
    return Workload.from_processes(
        [{"pid": pid, "arrival": arrival, "bursts": bursts} for pid, arrival, bursts in rows],
        name="faults",
    )


def write_workload(path: Path, rows: list[tuple[str, float, list[float]]]) -> Path:
    lines = ["name: faults", "processes:"]
    for pid, arrival, bursts in rows:
        lines.append(f"  - {{pid: {pid}, arrival: {arrival}, bursts: {list(bursts)}}}")
    path.write_text("\n".join(lines) + "\n")
    return path


LONG_RR = [("P1", 0, [60]), ("P2", 0, [60]), ("P3", 0, [60])]  # 180 units: 0.9 s at 5 ms


def wait_for_children(parent: psutil.Process, count: int, timeout: float = 15.0) -> list:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            children = parent.children()
        except psutil.NoSuchProcess:
            break
        if len(children) >= count:
            return children
        time.sleep(0.005)
    pytest.fail(f"the run did not start {count} workers within {timeout} s")


def gone_or_dead(processes: list, timeout: float) -> list:
    """Wait up to ``timeout`` for every process to disappear (a zombie is dead, too); return
    those still alive — stopped or running."""
    deadline = time.monotonic() + timeout
    alive = list(processes)
    while alive:
        still = []
        for process in alive:
            try:
                if process.status() != psutil.STATUS_ZOMBIE:
                    still.append(process)
            except psutil.NoSuchProcess:
                pass
        alive = still
        if not alive or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    return alive


def schedsim_command(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "schedsim", "measure", *arguments]


# -- a worker dies ---------------------------------------------------------------------------
def test_a_killed_worker_stops_the_run_names_the_process_and_writes_nothing(
    tmp_path: Path,
) -> None:
    path = write_workload(tmp_path / "work.yaml", LONG_RR)
    output = tmp_path / "measured.json"
    killed: list[int] = []

    def kill_one() -> None:
        children = wait_for_children(psutil.Process(), 3)
        time.sleep(0.3)  # mid-run: one worker running, two stopped
        victim = sorted(children, key=lambda child: child.pid)[1]  # the second worker: P2
        killed.append(victim.pid)
        victim.send_signal(signal.SIGKILL)

    killer = threading.Thread(target=kill_one)
    killer.start()
    outcome = CliRunner().invoke(
        main,
        ["measure", str(path), "--policy", "rr", "--quantum", "2", "--unit", "5ms",
         "--output", str(output)],
    )  # fmt: skip
    killer.join()
    assert outcome.exit_code == 1
    lines = outcome.output.strip().splitlines()
    assert len(lines) == 1
    assert re.fullmatch(
        rf"Error: worker for process P2 \(#2, os pid {killed[0]}\) died with signal 9 "
        r"\(SIGKILL\) at t=\d+\.\d\d; the run was abandoned and the other workers were stopped",
        lines[0],
    ), lines[0]
    assert not output.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["work.yaml"]  # no temporary files


def test_a_killed_worker_raises_execution_error_from_the_library() -> None:
    def kill_first() -> None:
        children = wait_for_children(psutil.Process(), 3)
        time.sleep(0.15)
        min(children, key=lambda child: child.pid).send_signal(signal.SIGKILL)

    killer = threading.Thread(target=kill_first)
    killer.start()
    try:
        with pytest.raises(ExecutionError, match=r"worker for process P1 \(#1, os pid \d+\) died"):
            measure(workload(*LONG_RR), "rr", quantum=2, unit="5ms")
    finally:
        killer.join()
    assert ExecutionError.exit_code == 1


KILL_LOOP = """
import random, signal, sys, threading, time
import psutil
from schedsim.errors import ExecutionError
from schedsim.real import measure
from schedsim.workload import Workload

work = Workload.from_processes(
    [{"pid": f"P{i}", "arrival": 0, "bursts": [100]} for i in range(1, 4)], name="kill"
)
chance = random.Random(7)
died = 0
for attempt in range(int(sys.argv[1])):
    delay = chance.uniform(0.0, 0.1)
    def kill_one() -> None:
        me = psutil.Process()
        give_up = time.monotonic() + 5
        while len(me.children()) < 3 and time.monotonic() < give_up:
            time.sleep(0.001)
        time.sleep(delay)
        children = me.children()
        if children:
            chance.choice(children).send_signal(signal.SIGKILL)
    killer = threading.Thread(target=kill_one)
    killer.start()
    try:
        measure(work, "rr", quantum=1, unit="1ms", preemption="cooperative")
    except ExecutionError as error:
        died += "died with signal 9" in str(error)
    killer.join()
print(died)
"""


def test_killing_a_cooperative_worker_at_any_moment_never_hangs_the_parent() -> None:
    """A worker SIGKILLed at a random moment of a cooperative run, many times over: every
    run must end with the "worker died" error.  The parent must never wait on a primitive
    a worker may hold when it dies (a ``multiprocessing.Event`` hung it in about one run in
    two at this pace: ``set`` waits, without a timeout, for a sleeper that will never wake).
    Thirty runs catch a race of one in seven with a probability of 99%."""
    runs = 30
    completed = subprocess.run(
        [sys.executable, "-c", KILL_LOOP, str(runs)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        start_new_session=True,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert int(completed.stdout) == runs, completed.stderr[-2000:]


# -- Ctrl-C ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("moment", "rows", "delay"),
    [
        ("before time zero", LONG_RR, 0.0),
        ("mid-slice", LONG_RR, 0.3),
        ("during I/O", [("P1", 0, [1, 200, 1]), ("P2", 0, [1, 200, 1])], 0.3),
    ],
)
def test_ctrl_c_stops_every_worker_within_a_second_and_exits_130(
    tmp_path: Path, moment: str, rows: list, delay: float
) -> None:
    path = write_workload(tmp_path / "work.yaml", rows)
    output = tmp_path / "measured.json"
    command = schedsim_command(str(path), "--policy", "rr", "--quantum", "2", "--unit", "5ms",
                               "--output", str(output))  # fmt: skip
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as run:
        parent = psutil.Process(run.pid)
        children = wait_for_children(parent, 1 if delay == 0 else len(rows))
        time.sleep(delay)
        if delay:
            assert len(parent.children()) == len(rows)
        run.send_signal(signal.SIGINT)
        sent = time.monotonic()
        out, err = run.communicate(timeout=10)
        workers = children + [c for c in _safe_children(parent) if c not in children]
        assert gone_or_dead(workers, max(0.0, sent + 1.0 - time.monotonic())) == []
    assert run.returncode == 130, (moment, err)
    assert err.strip() == "Interrupted.", err
    assert out == ""
    assert not output.exists()


def _safe_children(process: psutil.Process) -> list:
    try:
        return process.children()
    except psutil.NoSuchProcess:
        return []


# -- the parent is killed ------------------------------------------------------------------------
def test_no_worker_survives_its_parent_killed_with_sigkill_not_even_a_stopped_one(
    tmp_path: Path,
) -> None:
    path = write_workload(tmp_path / "work.yaml", LONG_RR)
    command = schedsim_command(str(path), "--policy", "rr", "--quantum", "2", "--unit", "5ms")
    with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as run:
        parent = psutil.Process(run.pid)
        children = wait_for_children(parent, 3)
        # Wait until the round robin has stopped a worker (SIGSTOP): that is the orphan that
        # must not linger.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            states = [child.status() for child in children]
            if psutil.STATUS_STOPPED in states:
                break
            time.sleep(0.005)
        assert psutil.STATUS_STOPPED in states
        run.kill()
        run.wait()
        assert gone_or_dead(children, 1.0) == []


def test_the_parent_death_signal_kills_a_stopped_orphan() -> None:
    """The kernel guarantee the workers rely on, shown directly: a child asks for
    PR_SET_PDEATHSIG = SIGKILL, stops itself, and dies when its parent does."""
    script = (
        "import os, signal, sys, time\n"
        "from schedsim.real.safety import die_with_parent\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    die_with_parent(os.getppid())\n"
        "    os.kill(os.getpid(), signal.SIGSTOP)\n"
        "    time.sleep(60)\n"
        "    os._exit(0)\n"
        "print(pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True) as run:
        assert run.stdout is not None
        orphan = psutil.Process(int(run.stdout.readline()))
        deadline = time.monotonic() + 5
        while orphan.status() != psutil.STATUS_STOPPED and time.monotonic() < deadline:
            time.sleep(0.005)
        assert orphan.status() == psutil.STATUS_STOPPED
        run.kill()
        run.wait()
        assert gone_or_dead([orphan], 1.0) == []


def test_prctl_reports_a_refused_option() -> None:
    with pytest.raises(OSError):
        prctl(PR_SET_PDEATHSIG, 1000)  # not a signal number


# -- an overloaded machine ------------------------------------------------------------------
def _hog(core: int) -> None:
    os.sched_setaffinity(0, {core})
    while True:
        pass


def test_an_overloaded_core_is_flagged_as_disturbed_not_reported_silently() -> None:
    core = plan_cores(1).cpu_cores[0]  # the core the worker will run on
    hog = multiprocessing.get_context("fork").Process(target=_hog, args=(core,), daemon=True)
    hog.start()
    try:
        time.sleep(0.05)
        measurement = measure(
            workload(("P1", 0, [10]), ("P2", 0, [10]), ("P3", 0.5, [6])), "fcfs", unit="5ms"
        )
    finally:
        hog.kill()
        hog.join()
    extra = measurement.measured.extra
    assert extra["disturbed"] is True
    assert any("of the CPU time while it held a CPU" in text for text in extra["disturbances"])
    summary = measurement.comparison.summary
    assert summary["disturbed"] is True
    from schedsim.real import render_comparison
    from schedsim.real.compare import disturbance_warnings

    assert "DISTURBED" in render_comparison(measurement.comparison)
    warnings = disturbance_warnings(measurement.measured)
    assert warnings and all(
        line.startswith("Warning: measurements were disturbed: ") for line in warnings
    )
    # The run still completed with the policy's schedule.
    assert summary["completion_order"]["matches"] is True


def test_an_idle_machine_is_not_flagged(request: pytest.FixtureRequest) -> None:
    """The flag must not cry wolf: with nothing hogging the worker's core, a short run is
    clean.  (Skipped when the machine is visibly busy with other work.)"""
    if psutil.cpu_percent(interval=0.2) > 40:
        pytest.skip("the machine is busy with other work right now")
    measurement = measure(workload(("P1", 0, [6]), ("P2", 0, [4])), "fcfs", unit="5ms")
    assert measurement.measured.extra["disturbances"] == []


def _sleep_on(event: object) -> None:
    event.wait()  # type: ignore[attr-defined]


def test_the_parent_never_blocks_setting_an_event_a_killed_worker_slept_on() -> None:
    """The primitive behind the hang: ``Event.set`` waits, without a timeout, for every
    process asleep in ``wait`` to acknowledge its wake-up, so a worker SIGKILLed there blocks
    the setter for ever.  The parent sets a process's done event (which joiners wait on)
    only through ``set_within``, which gives up after a bound; with a live sleeper it sets
    the event and the sleeper wakes."""
    from schedsim.real.primitives import set_within

    context = multiprocessing.get_context("fork")
    for killed in (False, True):
        event = context.Event()
        sleeper = context.Process(target=_sleep_on, args=(event,), daemon=True)
        sleeper.start()
        time.sleep(0.2)  # asleep in wait()
        if killed:
            sleeper.kill()
            sleeper.join()
        assert set_within(event, 0.5) is not killed
        if not killed:
            sleeper.join(2)
            assert sleeper.exitcode == 0
