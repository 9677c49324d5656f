"""CLI: ``schedsim run --gantt/--ascii``, ``schedsim gantt``, ``schedsim compare`` — exact
output, exit codes, and one ``Error:`` line (never a traceback) for bad input."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from schedsim.cli import main
from schedsim.loaders import load_workload, save_workload
from schedsim.policies import REGISTRY

CLASSIC = """\
name: classic
processes:
  - {pid: P1, arrival: 0, burst: 24}
  - {pid: P2, arrival: 0, burst: 3}
  - {pid: P3, arrival: 0, burst: 3}
"""
SJF = """\
name: silberschatz-sjf
processes:
  - {pid: P1, arrival: 0, burst: 6}
  - {pid: P2, arrival: 0, burst: 8}
  - {pid: P3, arrival: 0, burst: 7}
  - {pid: P4, arrival: 0, burst: 3}
"""
TEXTBOOK_BAR = (
    "|                      P1                       | P2  | P3  |\n"
    "0                                               24    27    30\n"
)
HOW_TO_SAVE = "write one with 'schedsim run FILE --format json --output RESULT.json'"


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(arg) for arg in args], env={"COLUMNS": "80"})


def failed(result: Result, code: int = 2) -> str:
    """The single error line of a failed command (asserting it is one line, no traceback)."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)
    lines = result.output.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


@pytest.fixture
def classic(tmp_path: Path) -> Path:
    path = tmp_path / "classic.yaml"
    path.write_text(CLASSIC)
    return path


@pytest.fixture
def sjf(tmp_path: Path) -> Path:
    path = tmp_path / "sjf.yaml"
    path.write_text(SJF)
    return path


@pytest.fixture
def saved(tmp_path: Path, classic: Path) -> Path:
    path = tmp_path / "fcfs.json"
    assert invoke("run", classic, "--output", path).exit_code == 0
    return path


# -- schedsim run --gantt / --ascii --------------------------------------------------------------
@pytest.mark.parametrize("flag", [["--ascii"], ["--gantt", "-"]])
def test_run_prints_the_textbook_bar_after_the_table(classic, flag):
    result = invoke("run", classic, *flag)
    assert result.exit_code == 0, result.output
    assert result.output.endswith("ties arrivals-first, seed 0\n\n" + TEXTBOOK_BAR)
    assert "context switches │      3 │" in result.output


def test_run_saves_an_image_and_still_prints_json(tmp_path, classic):
    image = tmp_path / "rr.png"
    result = invoke("run", classic, "--policy", "rr", "--gantt", image, "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["policy"] == "rr"
    assert image.read_bytes().startswith(b"\x89PNG")


def test_run_keeps_the_timeline_for_a_chart_even_with_summary_only(tmp_path, classic):
    image = tmp_path / "chart.svg"
    result = invoke("run", classic, "--summary-only", "--gantt", image, "--gantt-by", "cpu")
    assert result.exit_code == 0, result.output
    assert image.read_bytes().startswith(b"<?xml")


def test_run_refuses_an_unknown_image_extension_before_running(tmp_path, classic):
    error = failed(invoke("run", tmp_path / "missing.yaml", "--gantt", tmp_path / "chart.jpg"))
    assert error == (
        f"Error: {tmp_path / 'chart.jpg'}: cannot draw a chart as '.jpg'; name the file with one "
        "of .png, .svg, .pdf (or use '-' for a text chart)"
    )
    assert not (tmp_path / "chart.jpg").exists()


def test_run_text_chart_conflicts_with_data_formats(classic):
    error = failed(invoke("run", classic, "--ascii", "--format", "csv"))
    assert error.startswith("Error: --ascii / --gantt -: the text chart goes to standard output")


def test_run_chart_needs_the_timeline(tmp_path, classic):
    error = failed(invoke("run", classic, "--no-timeline", "--gantt", tmp_path / "g.png"))
    assert error == "Error: --gantt / --ascii need the timeline; drop --no-timeline"


def test_run_gantt_by_choices_come_from_click(classic):
    result = invoke("run", classic, "--gantt-by", "gpu", "--ascii")
    assert (
        result.exit_code == 2
        and "'gpu' is not one of process, cpu, task; did you mean 'cpu'?" in result.output
    )


# -- schedsim gantt ------------------------------------------------------------------------------
def test_gantt_prints_the_text_chart_by_default(saved):
    result = invoke("gantt", saved)
    assert (result.exit_code, result.output) == (0, TEXTBOOK_BAR)


@pytest.mark.parametrize(
    ("name", "magic"), [("g.png", b"\x89PNG"), ("g.svg", b"<?xml"), ("g.pdf", b"%PDF")]
)
def test_gantt_writes_images(tmp_path, saved, name, magic):
    result = invoke("gantt", saved, "-o", tmp_path / name, "--by", "cpu")
    assert (result.exit_code, result.output) == (0, "")
    assert (tmp_path / name).read_bytes().startswith(magic)


def test_gantt_image_and_text_together(tmp_path, saved):
    result = invoke("gantt", saved, "-o", tmp_path / "g.png", "--ascii", "--width", "20")
    assert (result.exit_code, result.output) == (0, "|  P1   | P2 | P3 |\n0       24   27   30\n")


def test_gantt_missing_result_file(tmp_path):
    error = failed(invoke("gantt", tmp_path / "nope.json"))
    assert error == f"Error: {tmp_path / 'nope.json'}: no such file; {HOW_TO_SAVE}"


def test_gantt_json_that_is_not_a_result(tmp_path):
    path = tmp_path / "other.json"
    path.write_text('{"name": "classic", "policies": []}')
    error = failed(invoke("gantt", path))
    assert error.startswith(f"Error: {path}: not a schedsim result file (")
    assert error.endswith("write one with 'schedsim run FILE --format json --output RESULT.json'")


def test_gantt_file_that_is_not_json(tmp_path):
    path = tmp_path / "notes.json"
    path.write_text("P1 arrives at 0\n")
    error = failed(invoke("gantt", path))
    assert error.startswith(f"Error: {path}: not valid JSON: ")


@pytest.mark.parametrize("name", ["classic.yaml", "classic.json", "classic.csv"])
def test_gantt_on_a_workload_says_how_to_make_a_result(tmp_path, classic, name):
    """A workload (any format, JSON included) given to ``gantt`` is named for what it is,
    with the commands that draw it or save a result to draw."""
    path = tmp_path / name
    save_workload(load_workload(classic), path)
    error = failed(invoke("gantt", path, "-o", tmp_path / "g.png"))
    assert error == (
        f"Error: {path}: this is a workload, not a saved result; draw it with "
        f"'schedsim run {path} --gantt chart.png', or save a result to draw later with "
        f"'schedsim run {path} -o result.json'"
    )
    assert not (tmp_path / "g.png").exists()


def test_gantt_result_without_timeline(tmp_path, classic):
    path = tmp_path / "summary.json"
    data = json.loads(invoke("run", classic, "--format", "json").output)
    del data["timeline"]
    path.write_text(json.dumps(data))
    error = failed(invoke("gantt", path, "-o", tmp_path / "g.png"))
    assert "the result has no timeline to draw" in error
    assert not (tmp_path / "g.png").exists()


def test_gantt_bad_extension_and_width(tmp_path, saved):
    assert "cannot draw a chart as '.bmp'" in failed(
        invoke("gantt", saved, "-o", tmp_path / "g.bmp")
    )
    assert failed(invoke("gantt", saved, "--width", "5")) == (
        "Error: text chart width: must be >= 20 columns, got 5"
    )


# -- schedsim compare ----------------------------------------------------------------------------
def test_compare_table(sjf):
    result = invoke("compare", sjf, "--policies", "fcfs,sjf")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "silberschatz-sjf: 1 CPU, context switch 0"
    assert lines[4] == (
        "    2 │ fcfs   │      16.25 │   10.25 │    10.25 │   19.95 │    19.95 │      0.167 │"
        "      100.0% │        4"
    )
    assert lines[5] == (
        "    1 │ sjf    │       13 * │     7 * │      7 * │ 14.95 * │  14.95 * │      0.167 │"
        "      100.0% │        4"
    )
    assert lines[6] == "* best in column; ranked by mean turnaround (lower is better)"


def test_compare_csv_and_json(sjf):
    csv_out = invoke("compare", sjf, "-P", "fcfs,sjf", "--format", "csv", "--rank-by", "waiting")
    assert csv_out.exit_code == 0
    assert csv_out.output.splitlines()[1:] == [
        "2,fcfs,fcfs,16.25,10.25,10.25,19.95,19.95,0.166666666667,1.0,4",
        "1,sjf,sjf,13,7,7,14.95,14.95,0.166666666667,1.0,4",
    ]
    data = json.loads(invoke("compare", sjf, "-P", "fcfs,sjf", "--format", "json").output)
    assert [p["summary"]["avg_waiting"] for p in data["policies"]] == [10.25, 7]


def test_compare_defaults_to_every_registered_policy(sjf):
    result = invoke("compare", sjf, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [row["policy"] for row in rows] == list(REGISTRY)


def test_compare_policy_flags_are_defaults_for_specs(sjf):
    result = invoke("compare", sjf, "-P", "rr,rr:quantum=8", "--quantum", "2", "--format", "json")
    assert [p["label"] for p in json.loads(result.output)["policies"]] == [
        "rr(quantum=2)",
        "rr(quantum=8)",
    ]
    error = failed(invoke("compare", sjf, "-P", "fcfs", "--quantum", "2"))
    assert error.startswith("Error: --quantum: none of the policies given (fcfs) takes this option")


def test_compare_engine_options(sjf):
    result = invoke("compare", sjf, "-P", "fcfs", "--cpus", "2", "--format", "json")
    assert json.loads(result.output)["settings"]["cpus"] == 2
    assert "--cpus: must be a whole number >= 1" in failed(invoke("compare", sjf, "--cpus", "0"))


def test_compare_bad_spec(sjf):
    error = failed(invoke("compare", sjf, "--policies", "fcfs,sfj"))
    assert error.startswith(
        "Error: policy spec #2 'sfj': unknown policy 'sfj'; did you mean 'sjf'?"
    )


def test_compare_bad_rank_metric(sjf):
    assert failed(invoke("compare", sjf, "--rank-by", "speed")).startswith(
        "Error: --rank-by: unknown metric 'speed'; choose one of: turnaround, waiting"
    )


def test_compare_plot(tmp_path, sjf):
    image = tmp_path / "cmp.png"
    result = invoke("compare", sjf, "-P", "fcfs,sjf,rr:quantum=2", "--plot", image)
    assert result.exit_code == 0, result.output
    assert image.read_bytes().startswith(b"\x89PNG")


def test_compare_plot_bad_extension_is_refused_before_running(tmp_path):
    error = failed(invoke("compare", tmp_path / "missing.yaml", "--plot", tmp_path / "cmp.gif"))
    assert "cannot draw a chart as '.gif'" in error


def test_compare_missing_workload(tmp_path):
    error = failed(invoke("compare", tmp_path / "missing.yaml", "-P", "fcfs"))
    assert str(tmp_path / "missing.yaml") in error


def test_commands_have_help():
    for command in ("gantt", "compare"):
        result = invoke(command, "-h")
        assert result.exit_code == 0 and "Examples:" in result.output


# -- compare with saved results ------------------------------------------------------------------
def measured_copy(tmp_path: Path, classic: Path, quantum: int, name: str) -> Path:
    """A result saved as a measurement would be: RR's simulation, relabelled "measured"."""
    plain = tmp_path / "plain.json"
    assert invoke("run", classic, "-p", "rr", "--quantum", quantum, "-o", plain).exit_code == 0
    document = json.loads(plain.read_text())
    document["kind"] = "measured"
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


def test_compare_lays_saved_results_beside_the_simulations(tmp_path, classic):
    """A saved result is one more row, labelled with its kind and file: beside the same
    policy simulated its numbers are equal (RR q4 on the FCFS example: waiting 17/3)."""
    run_json = measured_copy(tmp_path, classic, 4, "run.json")
    result = invoke("compare", classic, run_json, "-P", "rr:quantum=4,fcfs", "--format", "json")
    assert result.exit_code == 0, result.output
    policies = json.loads(result.stdout)["policies"]
    assert [(row["label"], row["kind"]) for row in policies] == [
        ("rr(quantum=4)", "simulated"),
        ("fcfs", "simulated"),
        ("rr(quantum=4) (measured, run.json)", "measured"),
    ]
    assert policies[0]["summary"] == policies[2]["summary"]
    assert policies[2]["summary"]["avg_waiting"] == pytest.approx(17 / 3)
    assert [row["rank"] for row in policies] == [1, 3, 1]


def test_compare_takes_saved_results_alone(tmp_path, classic):
    first = measured_copy(tmp_path, classic, 4, "q4.json")
    second = measured_copy(tmp_path, classic, 1, "q1.json")
    result = invoke("compare", first, second, "--format", "csv", "--rank-by", "response")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(row["rank"], row["label"]) for row in rows] == [
        ("2", "rr(quantum=4) (measured, q4.json)"),
        ("1", "rr(quantum=1) (measured, q1.json)"),
    ]
    table = invoke("compare", first)
    assert table.exit_code == 0 and "rr(quantum=4) (measured, q4.json)" in table.stdout


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["{classic}", "{sjf}"], "Error: compare takes one workload file, got 2 ({classic}, "
         "{sjf}); 'schedsim sweep' runs a policy over several"),
        (["{saved}", "--quantum", "3", "-P", "rr"], "Error: --policies, --quantum: these choose "
         "what to simulate, and no workload file was given; give one too"),
        (["{saved}", "--cpus", "2"], "Error: --cpus: this chooses what to simulate, and no "
         "workload file was given; give one too"),
        (["{sjf}", "{saved}"], "Error: {saved}: its 3 processes are not those of {sjf} (4); "
         "compare results of the same workload"),
    ],
)  # fmt: skip
def test_compare_with_saved_results_refuses_what_cannot_be_compared(
    tmp_path, classic, sjf, saved, arguments, message
):
    paths = {"classic": classic, "sjf": sjf, "saved": saved}
    error = failed(invoke("compare", *(argument.format(**paths) for argument in arguments)))
    assert error == message.format(**paths)


def test_compare_plots_a_saved_result_only_with_its_timeline(tmp_path, classic):
    bare = tmp_path / "bare.json"
    assert invoke("run", classic, "--no-timeline", "-o", bare).exit_code == 0
    image = tmp_path / "cmp.png"
    error = failed(invoke("compare", classic, bare, "-P", "fcfs", "--plot", image))
    assert error == (
        f"Error: --plot: {bare} was saved without its timeline (--no-timeline), so it cannot "
        "be drawn; save it again without that flag, or drop --plot"
    )
    assert not image.exists()


def test_a_saved_result_given_as_a_workload_is_named(saved):
    error = failed(invoke("run", saved))
    assert error == (
        f"Error: {saved}: this is a saved result (of schedsim run or measure), not a "
        f"workload; 'schedsim gantt {saved}' draws it, 'schedsim compare {saved}' tabulates it"
    )


def test_a_chart_of_thousands_of_processes_on_one_cpu_is_drawn_by_cpu(tmp_path):
    """The row limit counts the rows the chart will have: past 40 processes the default is
    one row per CPU, so 3,000 processes on one CPU chart fine (they were refused as 3,001
    process rows)."""
    path = tmp_path / "many.csv"
    path.write_text("pid,arrival,burst\n" + "".join(f"P{i},{i},1\n" for i in range(3000)))
    image = tmp_path / "many.png"
    result = invoke("run", path, "--gantt", image, "--summary-only")
    assert result.exit_code == 0, result.output
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    refused = invoke("run", path, "--gantt", image, "--gantt-by", "process")
    assert refused.exit_code == 2 and "3,001 rows" in refused.output


def test_run_takes_the_text_charts_width(classic):
    """``run`` had no --width (only ``gantt`` had): at 40 columns RR q2's chart wraps onto
    three bands instead of merging its slices into ``~``."""
    result = invoke("run", classic, "-p", "rr", "--quantum", "2", "--ascii", "--width", "40")
    assert result.exit_code == 0, result.output
    chart = result.output.split("seed 0\n\n", 1)[1]
    assert chart.count("\n\n") == 2 and "~" not in chart
    assert max(len(line) for line in chart.splitlines()) <= 40
    assert failed(invoke("run", classic, "--width", "40")) == (
        "Error: --width: sets the text chart's width; add --ascii"
    )
    assert failed(invoke("run", classic, "--ascii", "--width", "5")) == (
        "Error: text chart width: must be >= 20 columns, got 5"
    )
