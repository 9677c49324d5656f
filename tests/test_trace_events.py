"""``--trace``: a run as a Chrome Trace Event timeline (Perfetto, chrome://tracing).

Silberschatz's FCFS example (P1 24, P2 3, P3 3, all arriving at 0), worked by hand at the
default unit of 1 ms (1000 µs per time unit)::

    CPU 0:  P1 0-24000   P2 24000-27000   P3 27000-30000
    P2: ready 0-24000, running 24000-27000;  P3: ready 0-27000, running 27000-30000
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from pathlib import Path

import pytest
from click.testing import CliRunner

from schedsim import load_workload, simulate
from schedsim.cli import main
from schedsim.result import Result
from schedsim.trace_events import (
    CPU_TRACK_BASE,
    PROCESS_TRACK_BASE,
    parse_trace_unit,
    trace_document,
    trace_json,
)

ROOT = Path(__file__).resolve().parent.parent
CLASSIC = str(ROOT / "workloads" / "classic.yaml")
INTERACTIVE = str(ROOT / "workloads" / "interactive_batch.yaml")


def events_of(document, phase, tid=None):
    return [
        event
        for event in document["traceEvents"]
        if event["ph"] == phase and (tid is None or event["tid"] == tid)
    ]


def test_fcfs_trace_is_the_hand_worked_timeline(tmp_path):
    path = tmp_path / "fcfs.json"
    result = CliRunner().invoke(main, ["run", CLASSIC, "--trace", str(path)])
    assert result.exit_code == 0, result.output
    document = json.loads(path.read_text())
    cpu = [
        (event["name"], event["ts"], event["ts"] + event["dur"])
        for event in events_of(document, "X", CPU_TRACK_BASE)
    ]
    assert cpu == [("P1", 0, 24000), ("P2", 24000, 27000), ("P3", 27000, 30000)]
    p2 = events_of(document, "X", PROCESS_TRACK_BASE + 1)
    assert [(event["name"], event["ts"], event["dur"]) for event in p2] == [
        ("running on CPU 0", 24000, 3000),
        ("ready", 0, 24000),
    ]
    names = {
        event["tid"]: event["args"]["name"]
        for event in events_of(document, "M")
        if event["name"] == "thread_name"
    }
    assert names == {1: "CPU 0", 1000: "P1", 1001: "P2", 1002: "P3"}
    instants = [(event["name"], event["ts"]) for event in events_of(document, "i", 1002)]
    assert instants == [("arrival", 0), ("finish", 30000)]


def test_unit_scales_the_timestamps(tmp_path):
    path = tmp_path / "fcfs.json"
    CliRunner().invoke(main, ["run", CLASSIC, "--trace", str(path), "--unit", "10us"])
    document = json.loads(path.read_text())
    assert [event["dur"] for event in events_of(document, "X", CPU_TRACK_BASE)] == [240, 30, 30]


def test_every_slice_io_and_wait_is_on_the_tracks_without_overlap():
    """On two CPUs with I/O and preemption (MLFQ): each CPU track holds exactly the
    result's slices; each process track covers arrival to finish with running, ready and
    I/O intervals that never overlap (Perfetto requires nested slices per track)."""
    result = simulate(load_workload(INTERACTIVE), "mlfq", quantum=(2, 4, 8), cpus=2)
    document = json.loads(trace_json([("run", result)]))
    by_track = defaultdict(list)
    for event in events_of(document, "X"):
        by_track[event["tid"]].append(event)
    drawn = sorted(
        (event["tid"] - CPU_TRACK_BASE, event["name"], event["ts"], event["ts"] + event["dur"])
        for tid, events in by_track.items()
        if tid < PROCESS_TRACK_BASE
        for event in events
        if event["cat"] == "slice"
    )
    expected = sorted(
        (row["cpu"], row["pid"], row["start"] * 1000, row["end"] * 1000)
        for row in result.timeline_records()
    )
    assert drawn == expected
    for job, pid in enumerate(result.pids):
        events = sorted(by_track[PROCESS_TRACK_BASE + job], key=lambda event: event["ts"])
        for before, after in itertools.pairwise(events):
            assert before["ts"] + before["dur"] <= after["ts"] + 1e-6, pid
        covered = sum(event["dur"] for event in events)
        lifetime = (result.jobs["finish"][job] - result.jobs["arrival"][job]) * 1000
        assert covered == pytest.approx(lifetime), pid
        io = sum(event["dur"] for event in events if event["cat"] == "io")
        assert io == pytest.approx(result.jobs["io_time"][job] * 1000)
    preempted = sum(1 for row in result.timeline_records() if row["reason"] == "preempted")
    assert len([e for e in events_of(document, "i") if e["name"] == "preempted"]) == preempted
    levels = {
        event["args"].get("level") for event in events_of(document, "X") if event["cat"] == "slice"
    }
    assert levels == {0, 1, 2}


def test_measured_and_simulated_runs_are_two_processes_of_one_trace():
    simulated = simulate(load_workload(CLASSIC), "rr", quantum=4)
    measured = Result.from_json(simulated.to_json())
    measured.kind = "measured"
    measured.settings = {**measured.settings, "unit_seconds": 0.01}
    document = trace_document([("simulated", simulated), ("measured", measured)])
    processes = {
        event["pid"]: event["args"]["name"]
        for event in events_of(document, "M")
        if event["name"] == "process_name"
    }
    assert processes == {1: "simulated — classic", 2: "measured — classic"}
    first = [e for e in events_of(document, "X", CPU_TRACK_BASE) if e["pid"] == 1][1]
    second = [e for e in events_of(document, "X", CPU_TRACK_BASE) if e["pid"] == 2][1]
    assert (first["ts"], second["ts"]) == (4000, 40000)  # 1 ms and the measured 10 ms units


def test_the_trace_is_deterministic_and_gantt_exports_saved_results(tmp_path):
    saved = tmp_path / "rr.json"
    CliRunner().invoke(main, ["run", CLASSIC, "-p", "rr", "-o", str(saved)])
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    CliRunner().invoke(main, ["run", CLASSIC, "-p", "rr", "--trace", str(first)])
    result = CliRunner().invoke(main, ["gantt", str(saved), "--trace", str(second)])
    assert result.exit_code == 0 and result.output == ""
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--trace", "out.txt"], "--trace out.txt: a trace is JSON; name it FILE.json"),
        (["--trace", "missing/out.json"], "directory 'missing' does not exist"),
        (["--trace", "out.json", "--unit", "fast"], "--unit: expected a duration"),
        (["--trace", "out.json", "--no-timeline"], "--trace needs the timeline"),
    ],
)
def test_bad_trace_options_are_refused_before_work(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["run", CLASSIC, *args])
    assert result.exit_code == 2
    assert result.output.startswith("Error: ") and message in result.output
    assert list(tmp_path.iterdir()) == []


def test_trace_units():
    assert parse_trace_unit("1ms") == 1e-3
    assert parse_trace_unit("10us") == pytest.approx(1e-5)
    assert parse_trace_unit("2") == 2.0
    with pytest.raises(Exception, match="from 1ns to 3600s"):
        parse_trace_unit("7200")
