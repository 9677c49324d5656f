"""Parameter sweeps (``schedsim.sweep`` and ``schedsim sweep``).

The grid is the product of the varied values in the order given (first outermost), times
the seeds (innermost), for each workload file in turn; every value is validated before
anything runs; results come back in grid order and are identical whether the points run
in-process, on a local process pool or on Dask.

Reference numbers: Silberschatz's classic workload (P1=24, P2=3, P3=3, all at 0) under
round robin with quantum 4 has mean waiting 17/3 = 5.667 and mean turnaround 47/3 = 15.667.
"""

from __future__ import annotations

import csv
import io
import json
import os
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from schedsim import load_workload, simulate
from schedsim.cli import main
from schedsim.cli.sweep import progress_bar
from schedsim.errors import ExecutionError, LimitError, OptionError, WorkloadError
from schedsim.sweep import (
    SweepPoint,
    aggregate,
    executors,
    grid,
    parse_seeds,
    parse_vary,
    plan_sweep,
    run_sweep,
    sweep_csv,
    sweep_figure,
    task,
)

CLASSIC = """\
name: classic
processes:
  - {pid: P1, arrival: 0, burst: 24}
  - {pid: P2, arrival: 0, burst: 3}
  - {pid: P3, arrival: 0, burst: 3}
"""
MIXED = """\
name: mixed
processes:
  - {pid: batch, arrival: 0, burst: 30}
  - {pid: edit, arrival: 1, bursts: [2, 6, 2, 6, 2]}
  - {pid: shell, arrival: 2, bursts: [1, 4, 1, 4, 1]}
  - {pid: job, arrival: 3, burst: 12}
"""
CLASSIC_TABLE = """\
rr on classic: 8 points × 1 seed = 8 runs; context switch 0; seed 0
         ┃      ┃      ┃       mean ┃    mean ┃     mean ┃     p95 ┃      p95 ┃            ┃         CPU ┃  context
 quantum ┃ cpus ┃ seed ┃ turnaround ┃ waiting ┃ response ┃ waiting ┃ response ┃ throughput ┃ utilisation ┃ switches
━━━━━━━━━╇━━━━━━╇━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━
       1 │    1 │    0 │     15.667 │   5.667 │        1 │       6 │      1.9 │        0.1 │      100.0% │       10
       1 │    2 │    0 │     11.333 │   1.333 │    0.333 │     1.9 │      0.9 │       0.12 │       60.0% │        8
       2 │    1 │    0 │     16.333 │   6.333 │        2 │     6.9 │      3.8 │        0.1 │      100.0% │        7
       2 │    2 │    0 │     11.667 │   1.667 │    0.667 │       2 │      1.8 │       0.12 │       60.0% │        6
       3 │    1 │    0 │         15 │       5 │        3 │       6 │      5.7 │        0.1 │      100.0% │        4
       3 │    2 │    0 │         11 │       1 │        1 │     2.7 │      2.7 │      0.125 │       62.5% │        4
       4 │    1 │    0 │     15.667 │   5.667 │    3.667 │     6.9 │      6.7 │        0.1 │      100.0% │        4
       4 │    2 │    0 │         11 │       1 │        1 │     2.7 │      2.7 │      0.125 │       62.5% │        3
"""  # noqa: E501 (the table as printed)
CSV_HEADER = (
    "workload,quantum,seed,avg_turnaround,avg_waiting,avg_response,p95_waiting,p95_response,"
    "throughput,cpu_utilisation,context_switches"
)


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(arg) for arg in args], env={"COLUMNS": "80"})


def failed(result: Result, code: int = 2) -> str:
    """The single error line of a failed command (asserting one line, no traceback)."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)
    lines = result.output.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


@pytest.fixture
def classic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """classic.yaml in the current directory, so outputs show the short relative name."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "classic.yaml").write_text(CLASSIC)
    return Path("classic.yaml")


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    path = tmp_path / "mixed.yaml"
    path.write_text(MIXED)
    return path


def coordinates(points: list[SweepPoint]) -> list[tuple[Any, ...]]:
    """Each point's workload name, varied values and seed."""
    return [(point.name, *(value for _, value in point.varied), point.seed) for point in points]


# -- planning ------------------------------------------------------------------------------------
def test_the_grid_is_the_product_in_the_order_given_with_seeds_innermost(classic, mixed):
    points = plan_sweep(
        [classic, mixed],
        "lottery",
        {"quantum": "1,2", "cpus": [1, 2]},
        seeds="0..1",
        ties="requeue-first",
    )
    expected = [
        (name, quantum, cpus, seed)
        for name in ("classic", "mixed")
        for quantum in (1, 2)
        for cpus in (1, 2)
        for seed in (0, 1)
    ]
    assert coordinates(points) == expected
    first = points[0]
    assert first.workload == "classic.yaml" and first.path == os.path.abspath("classic.yaml")
    assert first.policy == "lottery" and first.options == {"quantum": 1}
    assert first.settings == {"cpus": 1, "context_switch": 0, "ties": "requeue-first", "seed": 0}
    assert points[-1].options == {"quantum": 2} and points[-1].settings["cpus"] == 2
    assert first.describe() == "classic.yaml: quantum=1, cpus=1, seed 0"


def test_values_are_parsed_by_the_option_they_belong_to(classic):
    points = plan_sweep(
        [classic],
        "mlfq",
        {"quantum": "1/2/4,2/4/inf", "io-resets": "true,false", "context_switch": "0,0.5"},
        options={"levels": "3", "boost": "50"},
    )
    assert [point.options["quantum"] for point in points[::4]] == [(1, 2, 4), (2, 4, float("inf"))]
    assert [point.options["io_resets"] for point in points[:4:2]] == [True, False]
    assert [point.settings["context_switch"] for point in points[:2]] == [0, 0.5]
    assert points[0].options["levels"] == 3 and points[0].options["boost"] == 50
    assert (
        points[0].describe()
        == "classic.yaml: quantum=1/2/4, io_resets=true, context_switch=0, seed 0"
    )


def test_parse_vary_expands_ranges_and_normalises_names():
    assert parse_vary("quantum=1..3,8") == ("quantum", ["1", "2", "3", "8"])
    assert parse_vary("--Context-Switch = 0, 0.5") == ("context_switch", ["0", "0.5"])
    assert parse_vary("cpus=-1..1") == ("cpus", ["-1", "0", "1"])
    assert parse_seeds("0..2,7") == (0, 1, 2, 7)
    assert parse_seeds([3, "4"]) == (3, 4)


@pytest.mark.parametrize(
    ("vary", "message"),
    [
        ({"quantum": "0,1"}, "--vary quantum: must be > 0, got '0'"),
        ({"quantum": "x"}, "--vary quantum: expected a number, got 'x'"),
        (
            {"quantum": "1..x"},
            "--vary quantum: a range takes whole numbers of at most 18 digits, A..B, got '1..x'",
        ),
        ({"quantum": "8..1"}, "--vary quantum: range '8..1' is empty; write it low..high"),
        ({"quantum": "1,,2"}, "--vary quantum: empty value in '1,,2'"),
        ({"quantum": ""}, "--vary quantum: no values; give a comma-separated list or a range A..B"),
        ({"quantum": "1,1.0"}, "--vary quantum: value '1' is given twice"),
        ({"cpus": "0"}, "--vary cpus: must be >= 1, got '0'"),
        ({"cpus": [1.5]}, "--vary cpus: expected a whole number, got 1.5"),
        (
            {"ties": "random"},
            "--vary ties: must be one of arrivals-first, requeue-first, got 'random'",
        ),
        ({"seed": "1,2"}, "--vary seed: give the seeds with --seeds (e.g. --seeds 0..9)"),
        (
            {"quantm": "1"},
            "--vary quantm: policy 'rr' has no option 'quantm' (did you mean quantum?); "
            "vary one of: quantum, cpus, context_switch, ties, locks, on_miss",
        ),
        (
            {"quantum": "1,x", "cpus": "0"},
            "--vary quantum: expected a number, got 'x'\n       --vary cpus: must be >= 1, got '0'",
        ),
    ],
)
def test_bad_values_are_refused_before_anything_runs(classic, vary, message):
    with pytest.raises(OptionError) as caught:
        plan_sweep([classic], "rr", vary)
    assert str(caught.value) == message


def test_options_that_constrain_each_other_are_checked_for_every_combination(classic):
    with pytest.raises(OptionError) as caught:
        plan_sweep([classic], "mlfq", {"levels": "2,3", "quantum": "1/2,1/2/4"})
    assert str(caught.value) == (
        "levels=2, quantum=1/2/4: policy 'mlfq': --quantum: give one value or one per level (2), "
        "got 3\n"
        "       levels=3, quantum=1/2: policy 'mlfq': --quantum: give one value or one per level "
        "(3), got 2"
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"seeds": "-1"}, "--seeds: a seed must be >= 0, got '-1'"),
        ({"seeds": "1,1"}, "--seeds: seed 1 is given twice"),
        ({"seeds": "a"}, "--seeds: expected a whole number, got 'a'"),
        ({"options": {"quantum": 2}}, "--vary quantum: --quantum is also given; give one of them"),
        (
            {"options": {"levels": 2}},
            "policy 'rr' does not take option(s) --levels (it takes --quantum)",
        ),
        ({"cpus": 0}, "--cpus: must be a whole number from 1 to 1024, got 0"),
        ({"max_slices": 0}, "--max-slices: must be a whole number >= 1, got 0"),
    ],
)
def test_bad_fixed_settings_and_seeds_are_refused(classic, arguments, message):
    with pytest.raises(OptionError) as caught:
        plan_sweep([classic], "rr", {"quantum": "1,2"}, **arguments)
    assert str(caught.value) == message


def test_workload_files_are_validated_and_the_grid_size_bounded(classic, monkeypatch):
    with pytest.raises(WorkloadError, match=r"^missing\.yaml: "):
        plan_sweep([classic, "missing.yaml"], "rr", {"quantum": "1,2"})
    with pytest.raises(OptionError) as twice:
        plan_sweep([os.path.abspath(classic), classic], "rr")
    assert str(twice.value) == (
        f"classic.yaml: workload file given twice (also as {os.path.abspath(classic)!r})"
    )
    monkeypatch.setattr(grid, "MAX_SWEEP_POINTS", 10)
    with pytest.raises(LimitError) as caught:
        plan_sweep([classic], "lottery", {"quantum": "1..4"}, seeds="0..2")
    assert str(caught.value) == (
        "the sweep has 12 points, above the limit of 10; vary fewer values or split it into "
        "several sweeps"
    )


def test_the_largest_grid_allowed_is_planned_in_linear_time(classic):
    """99,999 values of one option and 100,000 seeds: each value is checked against those
    before it through a set (a list made planning quadratic, minutes before the first
    run); range bounds longer than 18 digits are refused before conversion."""
    started = time.perf_counter()
    points = plan_sweep([classic], "rr", {"quantum": "1..99999"})
    seeds = plan_sweep([classic], "lottery", {"quantum": "1"}, seeds="0..99999")
    elapsed = time.perf_counter() - started
    assert len(points) == 99_999 and len(seeds) == 100_000
    assert elapsed < 60  # quadratic checking takes far longer (10^10 comparisons)
    for huge in ("1.." + "9" * 19, "1.." + "1" * 5000):
        with pytest.raises(OptionError, match="at most 18 digits"):
            plan_sweep([classic], "rr", {"quantum": huge})
        with pytest.raises(OptionError, match=r"^--seeds: a range takes whole numbers of at"):
            plan_sweep([classic], "lottery", seeds=huge)


# -- running -------------------------------------------------------------------------------------
def expected_summaries(points: list[SweepPoint]) -> list[dict[str, Any]]:
    """Each point simulated on its own, the plain way."""
    return [
        simulate(load_workload(point.path), point.policy, **point.settings, **point.options).summary
        for point in points
    ]


@pytest.fixture
def lottery_points(classic: Path, mixed: Path) -> list[SweepPoint]:
    """A randomised policy, two workloads, several seeds: 24 points."""
    return plan_sweep([classic, mixed], "lottery", {"quantum": "1,2,3"}, seeds="0..3")


def test_serial_and_pool_results_equal_simulating_each_point(lottery_points):
    expected = expected_summaries(lottery_points)
    assert len({json.dumps(summary) for summary in expected}) > 12  # the seeds matter
    ticks: list[int] = []
    serial = run_sweep(lottery_points, executor="serial", progress=lambda: ticks.append(1))
    pooled = run_sweep(lottery_points, jobs=2)
    assert [result.point for result in serial] == lottery_points
    assert [result.summary for result in serial] == expected
    assert [result.point for result in pooled] == lottery_points
    assert [result.summary for result in pooled] == expected
    assert len(ticks) == len(lottery_points)


def test_dask_results_equal_the_serial_ones(lottery_points):
    distributed = pytest.importorskip("distributed")
    expected = expected_summaries(lottery_points)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
    ):
        ticks: list[int] = []
        results = run_sweep(lottery_points, executor=client, progress=lambda: ticks.append(1))
        assert client.status == "running"  # a client we were given stays open
    assert [result.point for result in results] == lottery_points
    assert [result.summary for result in results] == expected
    assert len(ticks) == len(lottery_points)


def test_tiny_sweeps_run_in_process(classic, monkeypatch):
    def no_pool(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a pool was started for a tiny sweep")

    monkeypatch.setattr(executors, "ProcessPoolExecutor", no_pool)
    points = plan_sweep([classic], "rr", {"quantum": "2,4,8"})
    results = run_sweep(points, jobs=4)
    assert [result.summary["avg_waiting"] for result in results][1] == pytest.approx(17 / 3)
    assert [result.summary["avg_turnaround"] for result in results][1] == pytest.approx(47 / 3)
    assert len(run_sweep(plan_sweep([classic], "rr", {"quantum": "1..8"}), jobs=1)) == 8


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked on Linux")
def test_workers_reuse_the_workloads_loaded_while_planning(classic, mixed, monkeypatch):
    points = plan_sweep([classic, mixed], "rr", {"quantum": "1..4"})

    def no_loading(path: Any) -> None:
        raise AssertionError(f"{path} was loaded again")

    monkeypatch.setattr(task, "load_workload", no_loading)
    assert len(run_sweep(points, jobs=2)) == 8
    mixed.write_text(MIXED.replace("burst: 12", "burst: 120"))  # a changed file ...
    with pytest.raises(RuntimeError) as caught:
        run_sweep(points, executor="serial")  # ... is read again
    assert str(caught.value) == (
        f"{mixed}: quantum=1, seed 0: AssertionError: {os.path.abspath(mixed)} was loaded again"
    )


@pytest.mark.parametrize("executor", ["serial", "local"])
def test_a_failing_point_is_named_and_the_first_in_grid_order_wins(classic, executor):
    points = plan_sweep([classic], "rr", {"quantum": "1,1e-9,2,1e-8,4"})
    with pytest.raises(LimitError) as caught:
        run_sweep(points, executor=executor, jobs=2)
    assert str(caught.value) == (
        "classic.yaml: quantum=1e-09, seed 0: policy rr(quantum=1e-09) needs at least 3e+10 "
        "slices for this workload's 30 units of CPU in 3 bursts, above the limit of "
        "200,000,000; use a larger quantum, or --max-slices N to allow more"
    )


def die_on_second_quantum(point: SweepPoint) -> dict[str, Any]:
    """A worker task that kills its process at quantum 2 (as the kernel's OOM killer would)."""
    if point.options["quantum"] == 2:
        os._exit(3)
    return {"processes": 3}


def test_a_worker_that_dies_stops_the_sweep_with_an_execution_error(classic, monkeypatch):
    monkeypatch.setattr(executors, "run_point", die_on_second_quantum)
    points = plan_sweep([classic], "rr", {"quantum": "1..4"})
    with pytest.raises(ExecutionError, match=r"^classic\.yaml: quantum=\d, seed 0: a worker"):
        run_sweep(points, jobs=2)


def test_an_interrupted_pool_is_stopped_and_reaped(classic):
    points = plan_sweep([classic], "lottery", {"quantum": "1..8"}, seeds="0..3")

    def interrupt() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(points, jobs=2, progress=interrupt)
    # the autouse fixture fails the test if a worker process is left


def test_executor_and_jobs_are_checked(classic):
    points = plan_sweep([classic], "rr")
    with pytest.raises(OptionError, match=r"^unknown executor 'threads'; use local, serial"):
        run_sweep(points, executor="threads")
    with pytest.raises(OptionError, match=r"^--jobs: must be a whole number >= 1, got 0$"):
        run_sweep(points, jobs=0)
    assert run_sweep([], jobs=2) == []


def test_aggregates_are_mean_and_sample_deviation_over_the_seeds(lottery_points):
    results = run_sweep(lottery_points, executor="serial")
    groups = aggregate(results)
    assert len(groups) == 6 and all(group.seeds == (0, 1, 2, 3) for group in groups)
    waits = [result.summary["avg_waiting"] for result in results[:4]]
    mean = sum(waits) / 4
    assert groups[0].mean["avg_waiting"] == pytest.approx(mean)
    deviation = (sum((w - mean) ** 2 for w in waits) / 3) ** 0.5
    assert groups[0].deviation["avg_waiting"] == pytest.approx(deviation)
    assert groups[0].varied == (("quantum", 1),) and groups[0].name == "classic"


def test_the_figure_has_one_line_per_value_of_the_second_parameter(classic):
    points = plan_sweep([classic], "rr", {"quantum": "1..4", "cpus": "1..3"})
    figure = sweep_figure(run_sweep(points, executor="serial"), metric_key="avg_waiting")
    lines = figure.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["cpus=1", "cpus=2", "cpus=3"]
    assert list(lines[0].get_xdata()) == [1, 2, 3, 4]
    assert list(lines[0].get_ydata())[3] == pytest.approx(17 / 3)
    assert figure.axes[0].get_xlabel() == "quantum"
    only_seeds = run_sweep(plan_sweep([classic], "rr"), executor="serial")
    with pytest.raises(OptionError, match=r"^--plot needs at least one --vary"):
        sweep_figure(only_seeds)


# -- command line --------------------------------------------------------------------------------
def test_cli_table(classic):
    result = invoke("sweep", classic, "-p", "rr", "--vary", "quantum=1..4", "--vary", "cpus=1,2")
    assert result.exit_code == 0, result.output
    assert result.output == CLASSIC_TABLE


def test_cli_csv_is_identical_on_one_or_two_workers(classic, mixed):
    arguments = ["sweep", classic, mixed, "-p", "lottery", "--vary", "quantum=1..3"]
    arguments += ["--seeds", "0..2", "--no-aggregate", "--format", "csv"]
    one = invoke(*arguments, "--jobs", "1")
    two = invoke(*arguments, "--jobs", "2")
    assert one.exit_code == 0 and two.exit_code == 0, one.output + two.output
    assert one.output == two.output
    rows = list(csv.reader(io.StringIO(one.output)))
    assert ",".join(rows[0]) == CSV_HEADER
    assert [(row[0], row[1], row[2]) for row in rows[1:4]] == [
        ("classic.yaml", "1", "0"),
        ("classic.yaml", "1", "1"),
        ("classic.yaml", "1", "2"),
    ]
    assert len(rows) == 1 + 2 * 3 * 3 and rows[-1][0] == str(mixed)


def test_cli_csv_exact(classic):
    result = invoke("sweep", classic, "-p", "rr", "--vary", "quantum=2,4", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"{CSV_HEADER}\n"
        "classic.yaml,2,0,16.3333333333,6.33333333333,2,6.9,3.8,0.1,1.0,7\n"
        "classic.yaml,4,0,15.6666666667,5.66666666667,3.66666666667,6.9,6.7,0.1,1.0,4\n"
    )


def lottery_summaries(classic: Path, quantum: int, seeds: tuple[int, ...]) -> list[dict[str, Any]]:
    """Lottery on classic, one plain run per seed."""
    workload = load_workload(classic)
    return [simulate(workload, "lottery", quantum=quantum, seed=seed).summary for seed in seeds]


def test_cli_aggregates_by_default_with_several_seeds(classic, tmp_path):
    saved = tmp_path / "sweep.csv"
    result = invoke(
        "sweep", classic, "-p", "lottery", "--vary", "quantum=2", "--seeds", "0,1", "-o", saved
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:2] == [
        "lottery on classic: 1 point × 2 seeds = 2 runs; 1 CPU, context switch 0; seeds 0..1",
        "mean ± sample standard deviation over the seeds",
    ]
    runs = [summary["avg_turnaround"] for summary in lottery_summaries(classic, 2, (0, 1))]
    assert runs[0] != runs[1]  # the seed matters
    row = next(csv.DictReader(io.StringIO(saved.read_text())))
    assert (row["quantum"], row["seeds"]) == ("2", "2")
    assert float(row["avg_turnaround_mean"]) == pytest.approx(statistics.fmean(runs))
    assert float(row["avg_turnaround_sd"]) == pytest.approx(statistics.stdev(runs))


def test_cli_json(classic):
    result = invoke(
        "sweep", classic, "-p", "lottery", "--vary", "quantum=2,4", "--seeds", "0,1",
        "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["policy"] == "lottery" and document["parameters"] == ["quantum"]
    assert document["settings"] == {"cpus": 1, "context_switch": 0, "ties": "arrivals-first"}
    assert document["seeds"] == [0, 1]
    assert [(run["quantum"], run["seed"]) for run in document["runs"]] == [
        (2, 0),
        (2, 1),
        (4, 0),
        (4, 1),
    ]
    plain = lottery_summaries(classic, 4, (0, 1))
    assert document["runs"][2]["summary"]["avg_waiting"] == pytest.approx(plain[0]["avg_waiting"])
    turnarounds = [summary["avg_turnaround"] for summary in plain]
    mean, deviation = document["aggregates"][1]["mean"], document["aggregates"][1]["sd"]
    assert mean["avg_turnaround"] == pytest.approx(statistics.fmean(turnarounds))
    assert deviation["avg_turnaround"] == pytest.approx(statistics.stdev(turnarounds))


def test_cli_refuses_several_seeds_for_a_policy_that_draws_no_random_numbers(classic):
    """Round robin never reads its random generator, so ten seeds would be ten identical
    runs presented as a spread: the sweep says so instead of running them."""
    error = failed(
        invoke("sweep", classic, "-p", "rr", "--vary", "quantum=1..4", "--seeds", "0..9")
    )
    assert error == (
        "Error: --seeds: rr draws no random numbers, so every seed gives the same schedule "
        "(10 identical runs per point); give one seed, or sweep a randomised policy (lottery)"
    )
    assert (
        invoke("sweep", classic, "-p", "rr", "--vary", "quantum=1,2", "--seeds", "7").exit_code == 0
    )


def test_every_metric_the_plot_takes_is_a_column(classic):
    """``--metric p95_waiting`` was accepted by --plot but missing from the table, CSV and
    JSON; every metric of the comparison table is in all three."""
    from schedsim.compare import METRICS

    table = invoke("sweep", classic, "-p", "rr", "--vary", "quantum=1,4")
    assert "p95 ┃" in table.output and "waiting ┃" in table.output
    rows = list(csv.DictReader(io.StringIO(invoke(
        "sweep", classic, "-p", "rr", "--vary", "quantum=1,4", "--format", "csv"
    ).output)))  # fmt: skip
    assert all(metric.key in rows[0] for metric in METRICS)
    # RR on Silberschatz's FCFS example: waiting 6, 5, 6 (q1) and 6, 4, 7 (q4); the p95 of
    # three values sits 0.9 of the way from the second to the third: 6 and 6.9.
    assert [row["p95_waiting"] for row in rows] == ["6", "6.9"]


def test_cli_plot_writes_a_png(classic, tmp_path):
    image = tmp_path / "sweep.png"
    result = invoke(
        "sweep", classic, "-p", "rr", "--vary", "quantum=1..4", "--vary", "cpus=1,2",
        "--plot", image, "--metric", "waiting", "--format", "csv",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--vary", "levels=2"], "Error: --vary levels: policy 'rr' has no option 'levels'; "
         "vary one of: quantum, cpus, context_switch, ties, locks, on_miss"),
        (["--vary", "quantum=0"], "Error: --vary quantum: must be > 0, got '0'"),
        (["--vary", "quantum"], "Error: --vary 'quantum': expected NAME=VALUES, e.g. "
         "quantum=1,2,4 or quantum=1..8"),
        (["--vary", "quantum=1", "--vary", "quantum=2"],
         "Error: --vary quantum: given twice; list all its values in one --vary"),
        (["--vary", "cpus=1,2", "--cpus", "2"],
         "Error: --vary cpus: --cpus is also given; give one of them"),
        (["--seeds", "0..3", "--seed", "1"],
         "Error: --seeds: --seed is also given; give one of them"),
        (["--metric", "speed"], "Error: --metric: unknown metric 'speed'; choose one of: "
         "turnaround, waiting, response, utilisation, utilization, switches, misses, "
         "avg_turnaround, avg_waiting, avg_response, p95_waiting, p95_response, throughput, "
         "cpu_utilisation, context_switches, deadline_misses"),
        (["--jobs", "0"], "Error: --jobs: must be a whole number >= 1, got 0"),
        (["--dask", "tcp://127.0.0.1:8786", "--jobs", "2"], "Error: --jobs: a Dask cluster's "
         "size is set by its workers; use --jobs with the local pool or --dask local"),
        (["--output", "out.txt"], "Error: --output out.txt: use a .json or .csv file name"),
        (["--plot", "out.png"],
         "Error: --plot needs at least one --vary parameter to put on the x axis"),
        (["--policy", "nope"], "Error: unknown policy 'nope'; choose one of: fcfs, sjf, srtf, "
         "rr, mlfq, priority, hrrn, lottery, stride, fair, eevdf, gil, asyncio, edf, rm, dm, "
         "llf"),
    ],
)  # fmt: skip
def test_cli_bad_input_is_one_error_line(classic, arguments, message):
    result = invoke("sweep", classic, "-p", "rr", *arguments)
    assert failed(result) == message


def test_cli_unreachable_dask_scheduler_fails_without_waiting_for_the_client(classic, monkeypatch):
    """A refused connection is found by one probe, before a Dask client (which would retry
    until its timeout) is ever created."""
    distributed = pytest.importorskip("distributed")

    class NoClient(distributed.Client):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            raise AssertionError("a Dask client was created")

    monkeypatch.setattr(distributed, "Client", NoClient)
    result = invoke(
        "sweep", classic, "-p", "rr", "--vary", "quantum=1..4", "--dask", "tcp://127.0.0.1:1"
    )
    assert failed(result, 1) == (
        "Error: --dask tcp://127.0.0.1:1: cannot connect to a Dask scheduler (nothing is "
        "listening at 127.0.0.1:1); start one with 'dask scheduler' and workers with "
        "'dask worker ADDRESS', or use --dask local"
    )


def test_cli_without_dask_installed_says_how_to_install_it(classic, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    result = invoke("sweep", classic, "-p", "rr", "--vary", "quantum=1..4", "--dask", "local")
    assert failed(result) == (
        "Error: running on Dask needs Dask installed: pip install 'schedsim[dask]'"
    )


@pytest.fixture
def spawn_helper_stopped() -> Iterator[None]:
    """Dask starts its worker processes with multiprocessing's spawn, which also starts
    multiprocessing's resource tracker: a helper that lives until the program exits, not a
    worker of the sweep.  Stop it so the leftover-process check sees the cluster's own
    processes only."""
    yield
    from multiprocessing import resource_tracker

    stop = getattr(resource_tracker._resource_tracker, "_stop", None)
    if stop is not None:
        stop()


@pytest.mark.usefixtures("spawn_helper_stopped")
def test_cli_dask_local_cluster_gives_the_same_output(classic):
    pytest.importorskip("distributed")
    arguments = ["sweep", classic, "-p", "lottery", "--vary", "quantum=1..3", "--seeds", "0..2"]
    on_dask = invoke(*arguments, "--dask", "local", "--jobs", "2", "--format", "csv")
    local = invoke(*arguments, "--format", "csv")
    assert on_dask.exit_code == 0, on_dask.output
    assert on_dask.output == local.output
    # the cluster's processes are closed: the autouse fixture checks that none is left


def test_progress_bar_is_drawn_on_a_terminal_only(monkeypatch):
    with progress_bar(3) as advance:
        assert advance is None  # standard error is not a terminal under pytest

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with progress_bar(3) as advance:
        assert advance is not None
        for _ in range(3):
            advance()
            time.sleep(0.11)  # the bar redraws at most ten times a second
    assert "3/3" in terminal.getvalue()


def test_sweep_csv_of_the_library_matches_the_cli(classic):
    results = run_sweep(plan_sweep([classic], "rr", {"quantum": [2, 4]}), executor="serial")
    assert (
        sweep_csv(results)
        == invoke("sweep", classic, "-p", "rr", "--vary", "quantum=2,4", "--format", "csv").output
    )


def test_the_plot_reads_like_the_other_charts(classic):
    """Whole-number parameters get whole-number ticks (not 1.5, 2.5), the y axis starts at
    0, the legend sits beside the lines rather than over one, and the title names the
    workload and the policy at the size the other charts use."""
    points = plan_sweep([classic], "rr", {"quantum": "1..3", "cpus": "1,2"})
    figure = sweep_figure(run_sweep(points, executor="serial"), metric_key="p95_waiting")
    axes = figure.axes[0]
    figure.canvas.draw()
    ticks = [tick for tick in axes.get_xticks() if axes.get_xlim()[0] <= tick <= axes.get_xlim()[1]]
    assert ticks and all(float(tick).is_integer() for tick in ticks)
    assert axes.get_ylim()[0] == 0
    legend = axes.get_legend()
    assert legend.get_window_extent().x0 >= axes.get_window_extent().x1
    assert figure.get_suptitle() == ("classic: policy rr, p95 waiting against quantum (6 runs)")
    assert figure._suptitle.get_fontsize() == 11
    # RR on Silberschatz's FCFS example, one CPU: p95 waiting 6 (q1), 6.9 (q2), 6 (q3)
    line = axes.get_lines()[0]
    assert list(line.get_xdata()) == [1, 2, 3] and list(line.get_ydata()) == [6, 6.9, 6]
