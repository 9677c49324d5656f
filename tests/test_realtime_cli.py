"""Real-time runs as a user meets them: the command line's tables, JSON, CSV, charts,
comparisons, sweeps, saved results read back, and ``schedsim generate --periodic``."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from schedsim import Result, load_workload
from schedsim.cli import main
from schedsim.realtime.generate import generate_tasks, uunifast

ROOT = Path(__file__).resolve().parent.parent
RM_SET = str(ROOT / "workloads" / "silberschatz_rm.yaml")
EDF_SET = str(ROOT / "workloads" / "silberschatz_edf.yaml")


def invoke(*arguments: str):
    return CliRunner().invoke(main, list(arguments))


def test_the_table_shows_jobs_tasks_and_the_analysis_beside_the_simulation() -> None:
    result = invoke("run", EDF_SET, "-p", "rm")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    row = next(line for line in lines if line.startswith(" P2#1 "))
    assert row.split("│")[4:] == ["       80 ", "            85 ", "       +5 ", " MISSED    "]
    assert " deadline misses  │      1 │" in result.output
    assert "  response-time analysis: P1 R = 25, P2 R > D = 80 -> not schedulable (exact)" in lines
    assert "  verdict: not schedulable (response-time analysis)" in lines
    assert (
        "  simulation: agree — 1 deadline(s) missed, first P2#1 (due 80), as the analysis "
        "predicts" in lines
    )


def test_json_has_one_record_per_job_with_its_deadline_and_verdict() -> None:
    result = invoke("run", EDF_SET, "-p", "rm", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    late = next(job for job in data["jobs"] if job["pid"] == "P2#1")
    assert {key: late[key] for key in ("task", "release", "deadline", "finish", "missed")} == {
        "task": "P2",
        "release": 0,
        "deadline": 80,
        "finish": 85,
        "missed": True,
    }
    assert late["turnaround"] == 85 and late["response"] == 25  # first run 25 - arrival 0
    assert data["summary"]["deadline_misses"] == 1
    assert data["settings"]["on_miss"] == "continue"
    tasks = {task["task"]: task for task in data["realtime"]["tasks"]}
    assert (tasks["P2"]["misses"], tasks["P2"]["worst_response_time"]) == (1, 85)
    # the saved result reads back to the same result
    assert Result.from_json(result.output).to_json() == result.output


def test_a_stopped_run_reads_back_with_its_unfinished_jobs() -> None:
    result = invoke("run", EDF_SET, "-p", "rm", "--on-miss", "stop", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["summary"]["stopped_at"] == 80
    assert next(job for job in data["jobs"] if job["pid"] == "P1#3")["missed"] is None
    back = Result.from_json(result.output)
    assert back.to_json() == result.output
    assert back.jobs["missed"].tolist().count(None) == 10


def test_csv_spells_task_names_and_flags() -> None:
    result = invoke("run", EDF_SET, "-p", "rm", "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.output)))
    late = next(row for row in rows if row["pid"] == "P2#1")
    assert (late["task"], late["deadline"], late["lateness"], late["missed"]) == (
        "P2",
        "80",
        "5",
        "true",
    )


def test_a_corrupt_task_column_in_a_saved_result_is_named() -> None:
    data = json.loads(invoke("run", RM_SET, "-p", "rm", "--format", "json").output)
    data["jobs"][0]["missed"] = "no"
    data["jobs"][1]["task"] = 7
    text = json.dumps(data)
    with pytest.raises(Exception) as caught:
        Result.from_json(text, source="r.json")
    assert str(caught.value) == (
        "r.json: jobs[1] (pid P1#2): task: must be a string, got 7\n"
        "       r.json: jobs[0] (pid P1#1): missed: must be true, false or null, got 'no'"
    )


def test_compare_adds_deadline_misses() -> None:
    result = invoke("compare", EDF_SET, "--policies", "rm,edf,llf", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    misses = {row["label"]: row["summary"]["deadline_misses"] for row in data["policies"]}
    assert misses == {"rm": 1, "edf": 0, "llf": 0}
    assert data["best"]["deadline_misses"] == ["edf", "llf"]
    table = invoke("compare", EDF_SET, "--policies", "rm,edf", "--rank-by", "misses")
    assert "deadline\nmisses" not in table.output and "misses" in table.output


def test_sweep_varies_what_a_miss_does() -> None:
    result = invoke(
        "sweep", EDF_SET, "-p", "rm", "--vary", "on_miss=continue,abort-job", "--format", "json"
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["runs"]
    assert [row["summary"]["deadline_misses"] for row in rows] == [1, 1]
    assert [row["summary"].get("aborted") for row in rows] == [None, 1]


def test_the_task_chart_marks_releases_deadlines_and_misses(tmp_path: Path) -> None:
    chart = tmp_path / "rm.svg"
    result = invoke("run", EDF_SET, "-p", "rm", "--gantt", str(chart), "--summary-only")
    assert result.exit_code == 0, result.output
    svg = chart.read_text()
    for gid in ("releases", "deadlines", "missed", "slices:P1", "slices:P2"):
        assert f'id="{gid}"' in svg, gid
    saved = tmp_path / "rm.json"
    assert invoke("run", EDF_SET, "-p", "rm", "-o", str(saved)).exit_code == 0
    redrawn = tmp_path / "again.svg"
    assert invoke("gantt", str(saved), "--by", "task", "-o", str(redrawn)).exit_code == 0
    assert 'id="missed"' in redrawn.read_text()


def test_the_text_chart_lists_the_misses() -> None:
    result = invoke("run", EDF_SET, "-p", "rm", "--ascii", "--summary-only", "--until", "100")
    assert result.exit_code == 0
    assert result.output.endswith("P2#1 missed its deadline 80, finished 85\n")


def test_a_task_chart_needs_tasks(tmp_path: Path) -> None:
    result = invoke(
        "run", str(ROOT / "workloads" / "classic.yaml"), "--gantt", str(tmp_path / "x.png"),
        "--gantt-by", "task",
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.output == (
        "Error: --gantt-by task: the workload has no real-time tasks; draw one row per process "
        "or per CPU\n"
    )
    assert not (tmp_path / "x.png").exists()


def test_measure_refuses_what_a_real_run_cannot_do() -> None:
    stop = invoke("measure", EDF_SET, "--on-miss", "stop")
    assert stop.exit_code == 2
    assert stop.output.startswith("Error: --on-miss stop: a real run measures continue")
    classic = invoke(
        "measure", str(ROOT / "workloads" / "classic.yaml"), "--mode", "kernel",
        "--kernel-policy", "deadline",
    )  # fmt: skip
    assert classic.exit_code == 2
    assert classic.output == (
        "Error: --kernel-policy deadline runs periodic tasks; the workload has none (give "
        "processes a period)\n"
    )


# -- generate --periodic --------------------------------------------------------------------------
def test_uunifast_draws_utilisations_that_add_up() -> None:
    rng = np.random.default_rng(1)
    for count in (1, 2, 5, 20):
        shares = uunifast(count, 0.9, rng)
        assert len(shares) == count and np.all(shares >= 0)
        assert shares.sum() == pytest.approx(0.9)


def test_generated_tasks_are_reproducible_and_near_the_target(tmp_path: Path) -> None:
    first = invoke("generate", "--periodic", "-n", "6", "--utilisation", "0.8", "--seed", "4")
    again = invoke("generate", "--periodic", "-n", "6", "--utilisation", "0.8", "--seed", "4")
    other = invoke("generate", "--periodic", "-n", "6", "--utilisation", "0.8", "--seed", "5")
    assert first.exit_code == 0 and first.stdout == again.stdout != other.stdout
    path = tmp_path / "tasks.yaml"
    path.write_text(first.stdout)
    workload = load_workload(path, until=50)
    assert workload.realtime is not None and len(workload.realtime.tasks) == 6
    total = sum(task.utilisation for task in workload.realtime.tasks)
    assert total == pytest.approx(0.8, abs=6 * 1e-4)  # wcets rounded to 4 decimals
    periods = [task.period for task in workload.realtime.tasks]
    assert all(10 <= period <= 100 for period in periods)
    assert "6 periodic tasks, utilisation 0.8" in first.stderr


def test_integer_task_sets_keep_wcets_within_their_periods() -> None:
    tasks = generate_tasks(10, 2.5, periods="2..20", seed=3, integer=True)
    for task in tasks:
        assert isinstance(task["period"], int) and 1 <= task["wcet"] <= task["period"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--bursts", "uniform:1..3"], "Error: --bursts: not with --periodic"),
        (["-o", "x.csv"], "Error: --output x.csv: periodic tasks are written as .yaml"),
        (["--utilisation", "0"], "Error: --utilisation: must be > 0 and at most the number"),
        (["--periods", "10..5"], "Error: --periods: need 0 < LOW <= HIGH"),
    ],
)
def test_generate_periodic_refuses_bad_options(arguments: list[str], message: str) -> None:
    result = invoke("generate", "--periodic", *arguments)
    assert result.exit_code == 2
    assert result.output.startswith(message)
