"""``schedsim run``, ``schedsim policies`` and the command-line shell, as a user calls them."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from schedsim import __version__, report
from schedsim.cli import COMMANDS, main
from schedsim.policies import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = sorted((ROOT / "workloads").glob("*.yaml"))
CLASSIC = str(ROOT / "workloads" / "classic.yaml")


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_json_output_has_the_documented_shape_and_textbook_numbers():
    result = invoke("run", CLASSIC, "--policy", "fcfs", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["policy"] == "fcfs"
    assert data["workload"] == "classic"
    assert [job["pid"] for job in data["jobs"]] == ["P1", "P2", "P3"]
    assert [job["waiting"] for job in data["jobs"]] == [0, 24, 27]
    assert [job["finish"] for job in data["jobs"]] == [24, 27, 30]
    assert data["summary"]["avg_waiting"] == 17
    assert data["summary"]["avg_turnaround"] == 27
    assert data["summary"]["context_switches"] == 3
    assert data["timeline"] == [
        {
            "cpu": 0,
            "pid": "P1",
            "dispatched": 0,
            "start": 0,
            "end": 24,
            "reason": "finished",
        },
        {
            "cpu": 0,
            "pid": "P2",
            "dispatched": 24,
            "start": 24,
            "end": 27,
            "reason": "finished",
        },
        {
            "cpu": 0,
            "pid": "P3",
            "dispatched": 27,
            "start": 27,
            "end": 30,
            "reason": "finished",
        },
    ]


def test_csv_output_is_one_row_per_process():
    result = invoke("run", CLASSIC, "--policy", "rr", "--quantum", "4", "--format", "csv")
    assert result.exit_code == 0
    assert result.output.startswith("pid,arrival,first_run,finish,")  # no comment line
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [row["pid"] for row in rows] == ["P1", "P2", "P3"]
    assert [row["waiting"] for row in rows] == ["6", "4", "7"]
    assert [row["slices"] for row in rows] == ["6", "1", "1"]


def test_table_output_shows_processes_and_summary():
    result = invoke("run", CLASSIC, "--policy", "sjf")
    assert result.exit_code == 0
    assert "classic: policy sjf" in result.output
    lines = result.output.splitlines()
    p1 = next(line for line in lines if line.strip().startswith("P1 "))
    assert p1.split("│")[3].strip() == "30"  # finish
    waiting = next(line for line in lines if line.strip().startswith("waiting"))
    assert waiting.split("│")[1].strip() == "3"  # mean waiting under SJF: (6 + 0 + 3) / 3


def test_summary_only_omits_the_process_rows():
    result = invoke("run", CLASSIC, "--summary-only")
    assert result.exit_code == 0
    assert "Summary" in result.output and "Processes" not in result.output


def test_output_file_is_written_in_the_format_of_its_extension(tmp_path):
    target = tmp_path / "result.json"
    assert invoke("run", CLASSIC, "-p", "rr", "--quantum", "4", "-o", str(target)).exit_code == 0
    assert json.loads(target.read_text())["summary"]["avg_waiting"] == pytest.approx(17 / 3)
    jobs = tmp_path / "jobs.csv"
    assert invoke("run", CLASSIC, "-o", str(jobs)).exit_code == 0
    assert jobs.read_text().splitlines()[0].startswith("pid,arrival,first_run,finish")


def test_saved_records_read_back_exactly_across_chunks(tmp_path, monkeypatch):
    """Records are written a chunk at a time (here 2 rows): every row appears once, in file
    order, pids with commas, quotes and line breaks survive a CSV reader, and every number
    reads back as the exact value in the result."""
    monkeypatch.setattr(report, "CSV_CHUNK_ROWS", 2)
    pids = ["a,b", 'say "hi"', "two\nlines", "plain", "x\ry"]
    work = tmp_path / "odd.json"
    processes = [
        {"pid": pid, "arrival": index / 3, "burst": 1 + index / 7} for index, pid in enumerate(pids)
    ]
    work.write_text(json.dumps({"processes": processes}))
    saved, full = tmp_path / "jobs.csv", tmp_path / "full.json"
    assert invoke("run", str(work), "-p", "rr", "--quantum", "0.5", "-o", str(saved)).exit_code == 0
    assert invoke("run", str(work), "-p", "rr", "--quantum", "0.5", "-o", str(full)).exit_code == 0
    text = saved.read_bytes().decode()  # as written: no newline translation
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    expected = json.loads(full.read_text())["jobs"]
    assert [row["pid"] for row in rows] == pids
    for row, job in zip(rows, expected, strict=True):
        for name in ("arrival", "first_run", "finish", "turnaround", "waiting", "slices"):
            assert float(row[name]) == job[name], (row["pid"], name)


@pytest.mark.parametrize("workload", WORKLOADS, ids=lambda path: path.stem)
@pytest.mark.parametrize("policy", sorted(REGISTRY))
def test_every_bundled_workload_runs_under_every_policy(workload, policy):
    """Every bundled workload finishes under every policy on 2 CPUs — except the dining
    philosophers, whose deadlock is the point: exit 3, every philosopher unfinished."""
    result = invoke("run", str(workload), "--policy", policy, "--format", "json", "--cpus", "2")
    data = json.loads(result.stdout)
    if workload.stem == "philosophers":
        assert result.exit_code == 3, result.output
        assert all(job["finish"] is None for job in data["jobs"])
        return
    assert result.exit_code == 0, result.output
    assert all(job["finish"] >= job["arrival"] for job in data["jobs"])


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--policy", "nope"], "Error: unknown policy 'nope'; choose one of: fcfs, sjf"),
        (
            ["--policy", "fcfs", "--quantum", "2"],
            "Error: policy 'fcfs' does not take option(s) --quantum",
        ),
        (
            ["--policy", "rr", "--quantum", "0"],
            "Error: policy 'rr': --quantum: must be > 0, got '0'",
        ),
        (
            ["--policy", "rr", "--quantum", "abc"],
            "Error: policy 'rr': --quantum: expected a number, got 'abc'",
        ),
        (
            ["--policy", "rr", "--quantum", "nan"],
            "Error: policy 'rr': --quantum: expected a number, got 'nan'",
        ),
        (
            ["--policy", "mlfq", "--quantum", "1,2"],
            "Error: policy 'mlfq': --quantum: give one value or one per level (3), got 2",
        ),
        (
            ["--policy", "mlfq", "--quantum", "inf,2,4"],
            "Error: policy 'mlfq': --quantum: must be finite, got 'inf'",
        ),
        (["--cpus", "0"], "Error: --cpus: must be a whole number >= 1, got 0"),
        (["--context-switch", "-1"], "Error: --context-switch: must be >= 0, got '-1'"),
        (["--context-switch", "-0.5"], "Error: --context-switch: must be >= 0, got '-0.5'"),
        (
            ["--policy", "mlfq", "--boost", "-3"],
            "Error: policy 'mlfq': --boost: must be >= 0, got '-3'",
        ),
        (
            ["--output", "/nonexistent/dir/x.json"],
            "Error: /nonexistent/dir/x.json: directory '/nonexistent/dir' does not exist",
        ),
        (["--output", "result.txt"], "Error: --output result.txt: use a .json or .csv file name"),
    ],
)
def test_bad_options_give_one_error_line_and_exit_2(arguments, message):
    result = CliRunner().invoke(main, ["run", CLASSIC, *arguments])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_missing_workload_file_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(main, ["run", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 2
    assert "missing.yaml" in result.output and "Traceback" not in result.output


def test_policies_lists_every_policy_and_its_options():
    result = invoke("policies")
    assert result.exit_code == 0
    for name, cls in REGISTRY.items():
        assert any(line.startswith(name) for line in result.output.splitlines())
        for option in cls.options:
            assert option.cli_flag in result.output


def test_run_help_lists_every_policy_option():
    output = invoke("run", "--help").output
    for cls in REGISTRY.values():
        for option in cls.options:
            assert option.cli_flag in output


def test_every_command_has_help_and_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    for name, command in main.commands.items():
        assert command.help, name
        assert invoke(name, "--help").exit_code == 0
        assert f"schedsim {name}" in readme, f"README does not mention 'schedsim {name}'"


def test_version_and_python_dash_m():
    assert invoke("--version").output.strip() == f"schedsim, version {__version__}"
    completed = subprocess.run(
        [sys.executable, "-m", "schedsim", "run", CLASSIC, "--format", "csv"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0
    assert completed.stdout.splitlines()[1].startswith("P1,0,0,24,24,0,0,24,0,0,1")


def test_a_predicting_sjf_reports_its_prediction_error():
    result = invoke(
        "run",
        str(ROOT / "workloads" / "interactive_batch.yaml"),
        "-p",
        "sjf",
        "--predict",
        "exp",
        "--alpha",
        "0.5",
        "--tau0",
        "10",
        "--summary-only",
    )
    assert result.exit_code == 0
    assert "Burst prediction (exp, alpha=0.5, tau0=10): 14 bursts" in result.output
    oracle = invoke("run", str(ROOT / "workloads" / "interactive_batch.yaml"), "-p", "sjf")
    assert "Burst prediction" not in oracle.output


def test_a_command_loads_only_what_it_needs():
    """``schedsim --version`` must not import numpy, pydantic or the engine (a tenth of a
    second instead of half a second); ``schedsim run`` loads no other command's module."""
    probe = (
        "import sys\n"
        "from schedsim.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(name for name in ('numpy', 'pydantic', 'schedsim.engine',\n"
        "    'schedsim.cli.measure', 'schedsim.cli.sweep', 'matplotlib') if name in sys.modules))\n"
    )

    def loaded(*args: str) -> str:
        completed = subprocess.run(
            [sys.executable, "-c", probe, *args], capture_output=True, text=True, check=True
        )
        return completed.stdout.strip().splitlines()[-1]

    assert loaded("--version") == "[]"
    assert loaded("run", CLASSIC, "--summary-only") == "['numpy', 'pydantic', 'schedsim.engine']"


@pytest.mark.parametrize(
    "arguments, message",
    [
        (
            ["run", CLASSIC, "--policy", "rrr"],
            "Error: unknown policy 'rrr'; did you mean 'rr'? choose one of: fcfs, sjf, srtf, "
            "rr, mlfq, priority, hrrn, lottery, stride, fair, eevdf, gil, asyncio, edf, rm, dm, "
            "llf",
        ),
        (
            ["rnu", CLASSIC],
            "Error: unknown command 'rnu' (did you mean 'run'?); commands: "
            f"{', '.join(sorted(COMMANDS))} (see 'schedsim --help')",
        ),
        (
            ["run", CLASSIC, "--format", "jsn"],
            "Error: Invalid value for '--format': 'jsn' is not one of table, json, csv; did you "
            "mean 'json'? (see 'schedsim run --help')",
        ),
        (
            ["run", CLASSIC, "--gantt-by", "processes"],
            "Error: Invalid value for '--gantt-by': 'processes' is not one of process, cpu, task; "
            "did you mean 'process'? (see 'schedsim run --help')",
        ),
        (["run"], "Error: Missing argument 'FILE'. (see 'schedsim run --help')"),
        (
            ["run", CLASSIC, "--cpus"],
            "Error: Option '--cpus' requires an argument. (see 'schedsim run --help')",
        ),
        (["--bogus"], "Error: No such option '--bogus'. (see 'schedsim --help')"),
    ],
)
def test_command_line_mistakes_are_one_error_line_with_a_suggestion(arguments, message):
    """Unknown policies, commands and choices get the closest word suggested, and click's
    usage errors are the one ``Error:`` line every bad input gets (no usage block)."""
    result = CliRunner().invoke(main, arguments, prog_name="schedsim")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == message + "\n"


def test_mlfq_lists_take_commas_slashes_or_brackets_in_every_command():
    """``1,2,4``, ``1/2/4`` and ``[1,2,4]`` are the same per-level list in ``run`` flags,
    ``compare`` specs and ``sweep`` values and flags (in ``--vary`` a bare comma separates
    values, so there a list takes the slash or the brackets)."""
    mlfq = str(ROOT / "workloads" / "mlfq.yaml")
    runs = {
        written: invoke("run", mlfq, "-p", "mlfq", "--quantum", written, "--format", "json")
        for written in ("1,2,4", "1/2/4", "[1,2,4]")
    }
    assert {result.exit_code for result in runs.values()} == {0}
    documents = [json.loads(result.output) for result in runs.values()]
    assert all(document["options"]["quantum"] == [1, 2, 4] for document in documents)
    assert documents[0] == documents[1] == documents[2]

    specs = "mlfq:quantum=1,2,4,mlfq:quantum=1/2/4,mlfq:quantum=[1,2,4]"
    compared = invoke("compare", mlfq, "-P", specs, "--format", "json")
    assert compared.exit_code == 0, compared.output
    summaries = [policy["summary"] for policy in json.loads(compared.output)["policies"]]
    assert len(summaries) == 3 and summaries[0] == summaries[1] == summaries[2]
    assert summaries[0]["avg_turnaround"] == documents[0]["summary"]["avg_turnaround"]

    swept = invoke(
        "sweep", mlfq, "-p", "mlfq", "--vary", "quantum=1/2/4,[2,4,8]", "--format", "csv"
    )
    assert swept.exit_code == 0, swept.output
    rows = list(csv.DictReader(io.StringIO(swept.output)))
    assert [row["quantum"] for row in rows] == ["1/2/4", "2/4/8"]
    assert float(rows[0]["avg_turnaround"]) == documents[0]["summary"]["avg_turnaround"]
    fixed = invoke("sweep", mlfq, "-p", "mlfq", "--quantum", "1/2/4", "--vary", "boost=0,50")
    assert fixed.exit_code == 0, fixed.output
