"""Threads and coroutines run for real, in one hosting worker process: what CPython's GIL and
the event loop really do, with tiny units and tolerance bands (never exact wall times); the
options only processes take refused with why; and the host ended on every way out — an
error, a hung run, its own death, Ctrl-C, the parent killed."""

from __future__ import annotations

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

from schedsim import Workload
from schedsim.cli import main
from schedsim.errors import ExecutionError, OptionError
from schedsim.real import measure
from schedsim.real.host import HostedRun, HostPlan, HostReport
from schedsim.real.plan import allowed_cores, plan_cores
from tests.test_real_faults import gone_or_dead, wait_for_children, write_workload

pytestmark = pytest.mark.real

CPUS = min(2, len(allowed_cores()))


def workload(*rows: tuple[str, float, list[float]]) -> Workload:
    return Workload.from_processes(
        [{"pid": pid, "arrival": arrival, "bursts": bursts} for pid, arrival, bursts in rows],
        name="executors",
    )


def close_unless_disturbed(result: Any, value: float, expected: float, rel: float) -> None:
    """Timing is checked within a band — unless the run said its measurements were disturbed
    (other programs took its cores): then it must have said so, never been silently off."""
    if not result.extra["disturbed"]:
        assert value == pytest.approx(expected, rel=rel)


def tenures(result: Any) -> list[tuple[str, float, float]]:
    return [
        (row["pid"], row["start"], row["end"])
        for row in sorted(result.timeline_records(), key=lambda row: row["start"])
    ]


# -- threads -------------------------------------------------------------------------------------
def test_cpu_bound_threads_take_turns_on_every_core():
    """Four threads each burning 4 units of their own CPU time, on two cores: in parallel
    they would take 8 units; under the GIL they take the 16 the model says."""
    work = workload(*((pid, 0, [4]) for pid in "ABCD"))
    measurement = measure(work, executor="threads", cpus=CPUS, unit="2ms", switch_interval=0.5)
    measured = measurement.measured
    assert measurement.simulated.summary["makespan"] == 16
    assert measured.summary["makespan"] >= 0.9 * 16
    assert measured.extra["measured_cpu_time"] == pytest.approx([4] * 4, rel=0.05)
    assert measured.summary["cpu_utilisation"] <= 1.05 / CPUS
    gil = measured.extra["gil"]
    assert gil["forced"]["handoffs"] >= 8  # turns of about 0.5 units, not one run each
    assert gil["work_unit_us"] < 50


def test_a_thread_in_io_leaves_the_gil_to_the_others():
    """A blocks for 6 units after 1 unit of CPU; B computes 8: A's I/O overlaps B's CPU
    (the makespan is well below the 15 of running them back to back)."""
    work = workload(("A", 0, [1, 6, 1]), ("B", 0, [8]))
    measurement = measure(work, executor="threads", unit="2ms", switch_interval=0.5)
    makespan = measurement.measured.summary["makespan"]
    simulated = measurement.simulated.summary["makespan"]
    close_unless_disturbed(measurement.measured, makespan, simulated, 0.25)
    assert measurement.measured.extra["disturbed"] or makespan < 12


# -- coroutines ----------------------------------------------------------------------------------
def test_a_coroutine_runs_to_the_end_of_its_burst_in_arrival_order():
    work = workload(("A", 0, [4]), ("B", 0.5, [2]), ("C", 1, [1]))
    measurement = measure(work, executor="asyncio", cpus=CPUS, unit="2ms")
    runs = tenures(measurement.measured)
    assert [pid for pid, *_ in runs] == ["A", "B", "C"]  # one stretch each, no interleaving
    assert measurement.comparison.summary["completion_order"]["matches"] is True
    worst = measurement.comparison.summary["turnaround_error"]["worst"]
    assert measurement.measured.extra["disturbed"] or worst < 0.3


def test_yield_every_makes_coroutines_take_turns():
    work = workload(("A", 0, [3]), ("B", 0, [3]))
    measurement = measure(work, executor="asyncio", unit="2ms", yield_every=1)
    assert [pid for pid, *_ in tenures(measurement.measured)] == ["A", "B"] * 3
    close_unless_disturbed(measurement.measured, measurement.measured.summary["makespan"], 6, 0.25)


def test_a_coroutine_waiting_for_io_lets_the_loop_run_the_others():
    work = workload(("A", 0, [1, 5, 1]), ("B", 0, [4]))
    measurement = measure(work, executor="asyncio", unit="2ms")
    assert [pid for pid, *_ in tenures(measurement.measured)] == ["A", "B", "A"]
    close_unless_disturbed(measurement.measured, measurement.measured.summary["makespan"], 7, 0.25)


# -- what threads and coroutines do not take ------------------------------------------------------
@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--executor", "threads", "--policy", "rr"],
         "Error: --policy applies to --executor processes: with --executor threads nobody "
         "dispatches (CPython's GIL decides) and the run is compared with the gil policy "
         "(--switch-interval passes through to both)"),
        (["--executor", "asyncio", "--mode", "kernel"],
         "Error: --mode applies to --executor processes: with --executor asyncio nobody "
         "dispatches (the event loop decides) and the run is compared with the asyncio policy "
         "(--yield-every passes through to both)"),
        (["--executor", "threads", "--preemption", "signals"],
         "Error: --preemption applies to --executor processes: with --executor threads"),
        (["--executor", "asyncio", "--switch-interval", "1"],
         "Error: --executor asyncio is compared with the asyncio model: policy 'asyncio' does "
         "not take option(s) --switch-interval (it takes --yield-every)"),
        (["--executor", "threads", "--switch-interval", "0"],
         "Error: --executor threads is compared with the gil model: policy 'gil': "
         "--switch-interval: must be > 0, got '0'"),
        (["--executor", "fibres"],
         "Error: --executor: choose one of processes, threads, asyncio, got 'fibres'"),
        (["--executor", "threads", "--max-seconds", "0.01"],
         "Error: the run would take about 0.2 s of real time"),
    ],
)  # fmt: skip
def test_options_only_processes_take_are_refused_with_why(tmp_path, arguments, message):
    path = write_workload(tmp_path / "work.yaml", [("P1", 0, [5]), ("P2", 0, [5])])
    outcome = CliRunner().invoke(main, ["measure", str(path), *arguments])
    assert outcome.exit_code == 2
    assert outcome.output.startswith(message), outcome.output
    assert len(outcome.output.strip().splitlines()) == 1


def test_the_library_refuses_a_policy_for_threads():
    with pytest.raises(OptionError, match="--policy applies to --executor processes"):
        measure(workload(("A", 0, [1])), "rr", executor="threads")


# -- compare-executors ---------------------------------------------------------------------------
def test_compare_executors_prints_one_row_per_executor(tmp_path):
    path = write_workload(tmp_path / "work.yaml", [("A", 0, [3]), ("B", 0, [3])])
    plot = tmp_path / "three.png"
    outcome = CliRunner().invoke(
        main,
        ["compare-executors", str(path), "--cpus", str(CPUS), "--unit", "2ms",
         "--switch-interval", "0.5", "--plot", str(plot)],
    )  # fmt: skip
    assert outcome.exit_code == 0, outcome.output
    lines = outcome.output.splitlines()
    assert lines[0].startswith(f"faults: {CPUS} CPU")
    for name in ("processes", "threads", "asyncio"):
        assert sum(line.startswith(f" {name} ") for line in lines) == 1, outcome.output
    assert "threads: compared with gil: one thread runs at a time; switch interval 0.5" in (
        outcome.output
    )
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_compare_executors_json_gives_each_executors_figures(tmp_path):
    import json

    path = write_workload(tmp_path / "work.yaml", [("A", 0, [2]), ("B", 0, [2])])
    outcome = CliRunner().invoke(
        main, ["compare-executors", str(path), "--unit", "2ms", "--format", "json"]
    )
    assert outcome.exit_code == 0, outcome.output
    data = json.loads(outcome.stdout)  # (a disturbed run also warns, on standard error)
    rows = {row["executor"]: row for row in data["executors"]}
    assert list(rows) == ["processes", "threads", "asyncio"]
    assert [rows[name]["model"] for name in rows] == ["fcfs", "gil", "asyncio"]
    assert rows["asyncio"]["makespan"]["model"] == 4
    assert "gil" in rows["threads"] and "gil" not in rows["asyncio"]


def test_compare_executors_prints_names_as_they_are(tmp_path):
    """A workload name and pid that rich would read as markup or an emoji code are printed
    verbatim (the name "[/x]" once ended the report with an internal error)."""
    path = tmp_path / "work.yaml"
    path.write_text('name: "[/x] :smile:"\nprocesses:\n  - {pid: "[/p]", burst: 1}\n')
    outcome = CliRunner().invoke(main, ["compare-executors", str(path), "--unit", "2ms"])
    assert outcome.exit_code == 0, outcome.output
    assert outcome.output.splitlines()[0].startswith("[/x] :smile:: 1 CPU")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--quantum", "2"],
         "Error: --quantum: no executor's policy takes it (processes: fcfs, threads: gil, "
         "asyncio: asyncio)"),
        (["--plot", "three.bmp"], "Error: --plot three.bmp: name the image with one of .png"),
        (["--mode", "kernel", "--policy", "rr"], "Error: --policy applies to --mode dispatch"),
        (["--policy", "nosuch"], "Error: unknown policy 'nosuch'; choose one of: fcfs"),
    ],
)  # fmt: skip
def test_compare_executors_bad_input_is_one_error_line(tmp_path, arguments, message):
    path = write_workload(tmp_path / "work.yaml", [("A", 0, [2])])
    outcome = CliRunner().invoke(main, ["compare-executors", str(path), *arguments])
    assert outcome.exit_code == 2
    assert outcome.output.startswith(message), outcome.output


# -- the host always ends ------------------------------------------------------------------------
def _plan(executor: str = "test") -> HostPlan:
    return HostPlan(
        executor=executor,
        pids=("A",),
        arrivals=(0.0,),
        bursts=((0.001,),),
        cores=plan_cores(1).cpu_cores,
        parent_pid=__import__("os").getpid(),
    )


def _hangs(plan: HostPlan) -> HostReport:
    time.sleep(3600)
    raise AssertionError("unreachable")


def _fails(plan: HostPlan) -> HostReport:
    raise RuntimeError("the work went wrong")


def test_a_hung_run_is_stopped_at_its_time_limit_and_the_host_killed():
    run = HostedRun(
        _plan(), _hangs, cores=plan_cores(1), expected_seconds=0.01, overrun_seconds=0.3
    )
    started = time.monotonic()
    with pytest.raises(ExecutionError, match=r"the run has taken 0\.\d s, far more than the"):
        run.run()
    assert time.monotonic() - started < 5
    assert [process.exitcode for process in run.processes] == [-signal.SIGKILL]  # reaped


def test_an_error_in_the_host_is_reported_and_the_host_ends():
    run = HostedRun(_plan(), _fails, cores=plan_cores(1), expected_seconds=0.01)
    with pytest.raises(
        ExecutionError,
        match=r"the worker process hosting the test run \(os pid \d+\) failed: "
        r"RuntimeError: the work went wrong",
    ):
        run.run()
    # it exited (code 3 after reporting) or was killed first by the reaping: gone either way
    assert [process.exitcode in (3, -signal.SIGKILL) for process in run.processes] == [True]


LONG = [("P1", 0, [100]), ("P2", 0, [100]), ("P3", 0, [100])]  # 300 units: 1.5 s at 5 ms


@pytest.mark.parametrize("executor", ["threads", "asyncio"])
def test_a_killed_host_stops_the_run_with_one_error_line(tmp_path, executor):
    path = write_workload(tmp_path / "work.yaml", LONG)
    killed: list[int] = []

    def kill_host() -> None:
        (host,) = wait_for_children(psutil.Process(), 1)
        time.sleep(0.3)
        killed.append(host.pid)
        host.send_signal(signal.SIGKILL)

    killer = threading.Thread(target=kill_host)
    killer.start()
    outcome = CliRunner().invoke(
        main, ["measure", str(path), "--executor", executor, "--unit", "5ms"]
    )
    killer.join()
    assert outcome.exit_code == 1
    lines = outcome.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(
        f"Error: the worker process hosting the {executor} run (os pid {killed[0]}) died with "
        "signal 9 (SIGKILL) 0."
    ), lines[0]
    assert lines[0].endswith("s into the run; the run was abandoned")


def schedsim(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "schedsim", *arguments]


@pytest.mark.parametrize("executor", ["threads", "asyncio"])
def test_ctrl_c_ends_the_host_and_exits_130(tmp_path: Path, executor: str) -> None:
    path = write_workload(tmp_path / "work.yaml", LONG)
    command = schedsim("measure", str(path), "--executor", executor, "--unit", "5ms")
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as run:
        (host,) = wait_for_children(psutil.Process(run.pid), 1)
        time.sleep(0.3)  # mid-run: threads or a coroutine busy
        run.send_signal(signal.SIGINT)
        sent = time.monotonic()
        out, err = run.communicate(timeout=10)
        assert gone_or_dead([host], max(0.0, sent + 1.0 - time.monotonic())) == []
    assert run.returncode == 130, err
    assert err.strip() == "Interrupted."
    assert out == ""


@pytest.mark.parametrize("executor", ["threads", "asyncio"])
def test_the_host_does_not_survive_its_parent_killed_with_sigkill(
    tmp_path: Path, executor: str
) -> None:
    path = write_workload(tmp_path / "work.yaml", LONG)
    command = schedsim("measure", str(path), "--executor", executor, "--unit", "5ms")
    with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as run:
        (host,) = wait_for_children(psutil.Process(run.pid), 1)
        time.sleep(0.3)
        run.kill()
        run.wait()
        assert gone_or_dead([host], 1.0) == []


def test_a_free_threaded_interpreter_is_refused_for_threads(monkeypatch):
    """Without a GIL the gil model does not apply: said before anything runs."""
    monkeypatch.setattr(sys, "_is_gil_enabled", lambda: False, raising=False)
    with pytest.raises(OptionError, match="runs without one \\(a free-threaded build\\)"):
        measure(workload(("A", 0, [1])), executor="threads")


def test_processes_that_synchronise_are_not_run_as_threads(tmp_path):
    path = tmp_path / "locks.yaml"
    path.write_text(
        "resources: {locks: [bus]}\nprocesses:\n"
        "  - {pid: A, run: [{cpu: 1}, {lock: bus}, {cpu: 1}, {unlock: bus}]}\n"
    )
    outcome = CliRunner().invoke(main, ["measure", str(path), "--executor", "threads"])
    assert outcome.exit_code == 2
    assert outcome.output == (
        f"Error: --executor threads: {path}: processes that synchronise (run: scripts) are "
        "not run as threads or coroutines; simulate them with 'schedsim run'\n"
    )
