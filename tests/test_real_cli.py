"""``schedsim measure`` as a user calls it: bad input ends with one ``Error:`` line and exit
code 2 before any worker starts; good input prints the comparison, saves the measured
result for the other commands, and draws the simulated and measured schedules."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from schedsim import __version__
from schedsim.cli import main
from schedsim.real.plan import allowed_cores
from schedsim.result import Result

WORKLOAD = """\
name: tiny
processes:
  - {pid: P1, arrival: 0, bursts: [5]}
  - {pid: P2, arrival: 0.5, bursts: [3]}
  - {pid: P3, arrival: 1, bursts: [2]}
"""


@pytest.fixture
def workload_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(WORKLOAD)
    return path


def invoke(*arguments: str) -> tuple[int, str]:
    outcome = CliRunner().invoke(main, ["measure", *arguments])
    return outcome.exit_code, outcome.output


CORES = len(allowed_cores())

BAD = [
    (["--unit", "abc"], "--unit: expected a duration such as 10ms, 0.5s or 200us, got 'abc'"),
    (["--unit", "0"], "--unit: must be between 1ms and 10s per time unit, got '0'; shorter"),
    (["--unit", "20s"], "--unit: must be between 1ms and 10s per time unit, got '20s'"),
    (["--mode", "bogus"], "--mode: choose one of dispatch, kernel, got 'bogus'"),
    (["--mode", "kernel", "--kernel-policy", "idle"], "--kernel-policy: choose one of other, fifo"),
    (["--preemption", "polite"], "--preemption: choose one of signals, cooperative, got 'polite'"),
    (["--format", "xml"], "--format: choose one of table, json, got 'xml'"),
    (["--ties", "random"], "--ties: choose one of arrivals-first, requeue-first, got 'random'"),
    (["--cpus", "0"], "--cpus: must be >= 1, got '0'"),
    (["--cpus", "two"], "--cpus: expected a whole number, got 'two'"),
    (["--cpus", str(CORES + 1)], f"--cpus {CORES + 1}: this machine lets schedsim use {CORES} "),
    (["--seed", "x"], "--seed: expected a whole number, got 'x'"),
    (["--max-seconds", "-1"], "--max-seconds: must be a finite number > 0, got '-1'"),
    (["--max-seconds", "inf"], "--max-seconds: must be a finite number > 0, got 'inf'"),
    (["--max-processes", "0"], "--max-processes: must be >= 1, got '0'"),
    (["--policy", "nosuch"], "unknown policy 'nosuch'; choose one of: fcfs, "),
    (["--quantum", "3"], "policy 'fcfs' does not take option(s) --quantum (it takes no options)"),
    (["--policy", "rr", "--quantum", "0"], "policy 'rr': --quantum: must be > 0, got '0'"),
    (["--output", "result.txt"], "--output result.txt: the measured result is saved as .json"),
    (["--output", "/nonexistent/r.json"], "/nonexistent/r.json: directory '/nonexistent' does"),
    (["--gantt", "chart.bmp"], "--gantt chart.bmp: name the image with one of .png, .svg, .pdf"),
    (["--mode", "kernel", "--policy", "rr"], "--policy applies to --mode dispatch; in kernel"),
    (["--mode", "kernel", "--quantum", "2"], "--quantum: policy options apply to --mode dispatch"),
    (["--mode", "kernel", "--preemption", "signals"], "--preemption applies to --mode dispatch"),
    # Limits, estimated from the simulation before anything starts:
    (
        ["--max-seconds", "0.01"],
        "the run would take about 0.2 s of real time (the simulated schedule ends at 10 units "
        "x 10ms), above the 0.01 s limit; pass --max-seconds 1 to allow it",
    ),
    (["--max-processes", "2"], "the workload has 3 processes; a real run starts one worker "),
    (
        ["--policy", "rr", "--quantum", "0.01", "--unit", "1ms"],
        "the schedule has 1,000 slices averaging 10 us of real time; slices shorter than 500 us",
    ),
]


@pytest.mark.parametrize(("arguments", "message"), BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_is_one_error_line_and_exit_code_2(
    workload_file: Path, arguments: list[str], message: str
) -> None:
    code, output = invoke(str(workload_file), *arguments)
    assert code == 2
    lines = output.splitlines()
    assert len(lines) == 1, output
    assert lines[0].startswith("Error: " + message), lines[0]


def test_a_missing_workload_file_is_exit_code_2(tmp_path: Path) -> None:
    code, output = invoke(str(tmp_path / "missing.yaml"))
    assert code == 2
    assert output.startswith("Error: ") and output.count("\n") == 1


def test_help_documents_the_modes_and_an_example() -> None:
    code, output = invoke("--help")
    assert code == 0
    for text in ("--mode", "--kernel-policy", "--preemption", "--unit", "--gantt", "--output",
                 "--max-seconds", "--max-processes", "--quantum",
                 "schedsim measure workloads/classic.yaml --policy rr --quantum 4"):  # fmt: skip
        assert text in output


@pytest.mark.real
def test_table_output_compares_every_process(workload_file: Path) -> None:
    code, output = invoke(str(workload_file), "--policy", "rr", "--quantum", "2", "--unit", "5ms")
    assert code == 0, output
    lines = output.splitlines()
    assert lines[0] == "tiny: policy rr (quantum=2), dispatch mode (signals), unit 5ms"
    assert lines[1].startswith("Simulated vs measured")
    for pid in ("P1", "P2", "P3"):
        assert any(line.startswith(f" {pid}  │ turnaround │") for line in lines)
    order = next(line for line in lines if line.startswith(" completion order"))
    assert "│  P3 P2 P1 │" in order
    disturbed = any(line.startswith("Warning: measurements were disturbed: ") for line in lines)
    assert order.endswith("P3 P2 P1  (matches) ") or disturbed, output
    assert any(line.startswith(" dispatch latency") and "p99" in line for line in lines)


@pytest.mark.real
def test_json_output_saved_result_and_gantt(workload_file: Path, tmp_path: Path) -> None:
    saved = tmp_path / "measured.json"
    chart = tmp_path / "both.png"
    code, output = invoke(
        str(workload_file), "--policy", "sjf", "--unit", "5ms", "--format", "json",
        "--output", str(saved), "--gantt", str(chart),
    )  # fmt: skip
    assert code == 0, output
    document = json.loads(saved.read_text())
    assert output.startswith(saved.read_text())
    assert document["policy"] == "sjf" and document["kind"] == "measured"
    report = document["extra"]["comparison"]
    assert report["simulated"]["policy"] == "sjf"
    assert [row["pid"] for row in report["processes"]] == ["P1", "P2", "P3"]
    assert set(report["processes"][0]) == {"pid", "turnaround", "waiting", "response"}
    assert set(report["processes"][0]["turnaround"]) == {
        "simulated",
        "measured",
        "difference",
        "relative",
    }
    summary = report["summary"]
    assert summary["completion_order"]["simulated"] == ["P1", "P3", "P2"]
    assert summary["completion_order"]["matches"] is True or summary["disturbed"] is True
    assert summary["dispatch_latency_ms"]["count"] == 3
    measured = Result.from_json(saved.read_text(), source=str(saved))
    assert measured.kind == "measured" and measured.policy == "sjf"
    assert measured.settings["unit"] == "5ms" and measured.settings["mode"] == "dispatch"
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["both.png", "measured.json", "tiny.yaml"]


@pytest.mark.real
def test_a_saved_measured_result_is_drawn_by_schedsim_gantt(
    workload_file: Path, tmp_path: Path
) -> None:
    saved = tmp_path / "measured.json"
    code, output = invoke(str(workload_file), "--unit", "5ms", "--output", str(saved))
    assert code == 0, output
    chart = tmp_path / "measured.svg"
    drawn = CliRunner().invoke(main, ["gantt", str(saved), "--output", str(chart)])
    assert drawn.exit_code == 0, drawn.output
    assert chart.read_text().lstrip().startswith("<?xml")


def fake_measurement(workload_file: Path, disturbed: bool) -> Any:
    """A measurement whose "measured" side is the simulation itself, marked as measured
    (and disturbed, if asked): the command's own handling, without real workers."""
    from dataclasses import replace

    from schedsim import load_workload, simulate
    from schedsim.real.compare import compare_measured
    from schedsim.real.measure import Measurement

    simulated = simulate(load_workload(workload_file), "rr", quantum=2)
    problems = ["dispatch latency p99 4.20 ms is above 1.00 ms"] if disturbed else []
    measured = replace(
        simulated,
        kind="measured",
        settings={**simulated.settings, "mode": "dispatch", "unit": "5ms"},
        extra={"disturbed": disturbed, "disturbances": problems},
    )
    comparison = compare_measured(simulated, measured)
    measured.extra["comparison"] = comparison.findings()
    return Measurement(simulated, measured, comparison)


@pytest.mark.parametrize("disturbed", [True, False])
@pytest.mark.parametrize("output_format", ["table", "json"])
def test_a_disturbed_measurement_is_visible_in_every_output(
    workload_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, disturbed: bool,
    output_format: str,
) -> None:  # fmt: skip
    """The warning goes to standard error whatever the format (it was missing with --format
    json); the table says DISTURBED; the JSON printed is the saved result, byte for byte,
    with ``extra.disturbed``; a chart of the saved result carries the warning."""
    from schedsim.cli import measure as measure_command

    monkeypatch.setattr(
        measure_command,
        "measure",
        lambda *args, **kwargs: fake_measurement(workload_file, disturbed),
    )
    saved = tmp_path / "run.json"
    outcome = CliRunner().invoke(
        main,
        ["measure", str(workload_file), "-p", "rr", "--quantum", "2", "--format", output_format,
         "-o", str(saved)],
    )  # fmt: skip
    assert outcome.exit_code == 0, outcome.output
    warning = (
        "Warning: measurements were disturbed: dispatch latency p99 4.20 ms is above 1.00 ms\n"
    )
    assert outcome.stderr == (warning if disturbed else "")
    if output_format == "json":
        assert outcome.stdout == saved.read_text()
        document = json.loads(outcome.stdout)
        assert (document["schedsim"], document["format"], document["kind"]) == (
            __version__, 1, "measured",
        )  # fmt: skip
        assert document["extra"]["disturbed"] is disturbed
        rows = document["extra"]["comparison"]["processes"]
        assert [row["pid"] for row in rows] == ["P1", "P2", "P3"]
    else:
        marked = "DISTURBED (1 warning)" if disturbed else "undisturbed"
        assert any(
            line.startswith(" measurements ") and marked in line
            for line in outcome.stdout.splitlines()
        ), outcome.stdout
    drawn = CliRunner().invoke(main, ["gantt", str(saved), "-o", str(tmp_path / "g.png")])
    assert drawn.exit_code == 0
    assert drawn.stderr == (warning if disturbed else "")


@pytest.mark.real
def test_measure_json_is_the_saved_result_and_compare_reads_it(
    workload_file: Path, tmp_path: Path
) -> None:
    """``measure --format json`` prints what ``-o`` saves, and ``compare`` lays that file
    beside the simulations of its workload (the README's promise)."""
    saved = tmp_path / "run.json"
    code, output = invoke(
        str(workload_file), "-p", "rr", "--quantum", "2", "--unit", "5ms", "--format", "json",
        "-o", str(saved),
    )  # fmt: skip
    assert code == 0, output
    assert output.startswith(saved.read_text())  # then any warning lines (stderr)
    compared = CliRunner().invoke(
        main, ["compare", str(workload_file), str(saved), "-P", "rr:quantum=2", "--format", "csv"]
    )
    assert compared.exit_code == 0, compared.output
    rows = list(csv.DictReader(io.StringIO(compared.stdout)))
    assert [row["label"] for row in rows] == ["rr(quantum=2)", "rr(quantum=2) (measured, run.json)"]
    measured = json.loads(saved.read_text())["summary"]
    assert float(rows[1]["avg_turnaround"]) == pytest.approx(measured["avg_turnaround"])
    alone = CliRunner().invoke(main, ["compare", str(saved)])
    assert alone.exit_code == 0 and "(measured, run.json)" in alone.stdout
