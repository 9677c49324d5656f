"""``schedsim import``: Linux scheduling traces (perf and ftrace text) become workloads.

Hand-written traces, worked by hand (times in ms from the first arrival, unit 1 ms):

``perf_sched_script.txt`` (perf's key=value layout, one CPU)::

    1.000 worker created and switched in          worker arrives 0, runs
    1.004 helper created                           helper arrives 4
    1.006 worker preempted (R+) by helper          worker ran 6; its burst goes on
    1.008 helper sleeps (S) -> worker              helper ran 2, then never runs again
    1.011 worker sleeps (D)                        worker ran 3 more: burst 9
    1.015 worker woken;  1.016 switched in         I/O 4
    1.018 worker exits (X)                         last burst 2
    bash (pid 100) is seen only leaving the CPU at the first event: it never ran.
    => worker: arrival 0, bursts [9, 4, 2];  helper: arrival 4, burst 2

``ftrace_compact.txt`` (the compact layout of older kernels, two CPUs)::

    CPU 0: cruncher runs from 0; preempted (R) at 20 by other (ran 20-21, sleeps);
           cruncher runs again 21 to the end of the trace (30): burst 29
    CPU 1: early was running when the trace began (0) and sleeps at 5: burst 5;
           reader runs 5-8, sleeps, woken at 12, runs 12-14, sleeps, woken at 30 (end)
    => cruncher 0 [29]; early 0 [5]; reader 5 [3, 4, 2]; other 20 [1]

The ``*_real.txt`` files are real captures on this project's machine (Linux 6.1): a dash
script that counts to 30,000, sleeps 20 ms and counts again, recorded with ftrace
(``events/sched/sched_switch``, ``sched_wakeup``, ``sched_wakeup_new``) and with
``perf sched record``; only the lines that name the script's task were kept (its pid:
24304 and 24659).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from schedsim import load_workload
from schedsim.cli import main
from schedsim.trace_import import TraceSelection, import_trace, read_trace

TRACES = Path(__file__).resolve().parent / "data" / "traces"


def workload_of(imported):
    workload = imported.workload
    return [
        (pid, workload.arrival[index].item(), list(workload.bursts(index)))
        for index, pid in enumerate(workload.pid)
    ]


def test_perf_sched_script_is_the_hand_worked_workload():
    imported = import_trace(TRACES / "perf_sched_script.txt")
    assert workload_of(imported) == [
        ("worker-101", 0.0, [9.0, 4.0, 2.0]),
        ("helper-102", 4.0, [2.0]),
    ]


def test_compact_ftrace_on_two_cpus_is_the_hand_worked_workload():
    imported = import_trace(TRACES / "ftrace_compact.txt")
    assert workload_of(imported) == [
        ("cruncher-201", 0.0, [29.0]),
        ("early-203", 0.0, [5.0]),
        ("reader-202", 5.0, [3.0, 4.0, 2.0]),
        ("other-300", 20.0, [1.0]),
    ]


def test_tasks_and_a_time_window_can_be_selected():
    path = TRACES / "ftrace_compact.txt"
    by_name = import_trace(path, selection=TraceSelection(commands=("r*",)))
    assert workload_of(by_name) == [("reader-202", 0.0, [3.0, 4.0, 2.0])]
    by_pid = import_trace(path, selection=TraceSelection(pids=(300, 203)))
    assert workload_of(by_pid) == [("early-203", 0.0, [5.0]), ("other-300", 20.0, [1.0])]
    window = import_trace(path, selection=TraceSelection(start=2000.010, end=2000.0145))
    assert workload_of(window) == [("reader-202", 0.0, [2.0])]


def test_units_and_rounding():
    """At 10 ms a unit the perf trace's worker runs 0.9, sleeps 0.4 and runs 0.2; with no
    decimals kept its I/O rounds to nothing, so its two CPU bursts join."""
    path = TRACES / "perf_sched_script.txt"
    tenths = import_trace(path, unit_seconds=0.01)
    assert workload_of(tenths)[0] == ("worker-101", 0.0, [0.9, 0.4, 0.2])
    whole = import_trace(path, unit_seconds=0.01, precision=0)
    assert workload_of(whole)[0] == ("worker-101", 0.0, [1.0])


def test_the_old_perf_layout_reads_like_the_new():
    new = [
        " a  7 [000]  5.000000: sched:sched_switch: prev_comm=swapper/0 prev_pid=0 "
        "prev_prio=120 prev_state=R ==> next_comm=a next_pid=7 next_prio=120",
        " a  7 [000]  5.002500: sched:sched_switch: prev_comm=a prev_pid=7 prev_prio=120 "
        "prev_state=S ==> next_comm=swapper/0 next_pid=0 next_prio=120",
    ]
    old = [
        " a  7 [000]  5.000000: sched:sched_switch: swapper/0:0 [120] R ==> a:7 [120]",
        " a  7 [000]  5.002500: sched:sched_switch: a:7 [120] S ==> swapper/0:0 [120]",
    ]
    assert workload_of(read_trace(new)) == workload_of(read_trace(old)) == [("a-7", 0.0, [2.5])]


@pytest.mark.parametrize("name, pid", [("ftrace_real.txt", 24304), ("perf_real.txt", 24659)])
def test_real_captures_show_the_scripts_sleep_between_two_cpu_bursts(name, pid):
    imported = import_trace(TRACES / name, selection=TraceSelection(pids=(pid,)))
    assert len(imported.workload) == 1
    bursts = list(imported.workload.bursts(0))
    cpu, io = bursts[0::2], bursts[1::2]
    first, second = sorted(range(len(cpu)), key=lambda i: cpu[i])[-2:]
    low, high = sorted((first, second))
    assert cpu[low] > 5 and cpu[high] > 5  # each count to 30,000 takes milliseconds
    slept = max(io[low:high])  # the 20 ms sleep lies between them
    assert 20 <= slept < 40


def test_import_command_writes_a_workload_that_runs(tmp_path):
    output = tmp_path / "trace.yaml"
    result = CliRunner().invoke(
        main, ["import", str(TRACES / "perf_sched_script.txt"), "-o", str(output)]
    )
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(
        f"{TRACES / 'perf_sched_script.txt'}: 2 processes (3 CPU bursts)"
    )
    workload = load_workload(output)
    assert workload.pid == ["worker-101", "helper-102"]
    run = CliRunner().invoke(main, ["run", str(output), "-p", "rr", "--quantum", "2"])
    assert run.exit_code == 0


def test_without_output_the_yaml_goes_to_standard_output():
    result = CliRunner().invoke(main, ["import", str(TRACES / "ftrace_compact.txt")])
    assert result.exit_code == 0
    assert result.stdout.startswith("name: ftrace_compact\nprocesses:\n  - pid: cruncher-201\n")


@pytest.mark.parametrize(
    "content, message",
    [
        ("hello\nworld\n", "no sched_switch events found"),
        ("PERFILE2\x00\x00binary", "this is perf's binary data; turn it into text first"),
    ],
)
def test_files_that_are_not_traces_are_one_error(tmp_path, content, message):
    path = tmp_path / "trace.txt"
    path.write_bytes(content.encode())
    result = CliRunner().invoke(main, ["import", str(path)])
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: {path}: ") and message in result.output


def test_selecting_nothing_is_an_error():
    result = CliRunner().invoke(main, ["import", str(TRACES / "ftrace_compact.txt"), "--comm", "x"])
    assert result.exit_code == 2 and "no selected task ran in the trace" in result.output


def test_bad_options_are_refused(tmp_path):
    trace = str(TRACES / "ftrace_compact.txt")
    for args, message in (
        (["--start", "3", "--end", "2"], "--end 2.0 must be after --start 3.0"),
        (["--unit", "soon"], "--unit: expected a duration"),
        (["-o", str(tmp_path / "w.txt")], "name the workload with one of"),
    ):
        result = CliRunner().invoke(main, ["import", trace, *args])
        assert result.exit_code == 2 and message in result.output, result.output


def test_lines_that_cannot_be_events_are_skipped_unread():
    """A line of a megabyte of brackets (no scheduler event is that long) costs nothing;
    the events around it are read."""
    lines = [
        " a  7 [000]  5.000000: sched:sched_switch: swapper/0:0 [120] R ==> a:7 [120]",
        "[1] sched_" * 100_000,
        " a  7 [000]  5.002500: sched:sched_switch: a:7 [120] S ==> swapper/0:0 [120]",
    ]
    assert workload_of(read_trace(lines)) == [("a-7", 0.0, [2.5])]
