"""The Python and notebook API: DataFrames of results, short reprs, HTML views, plots, and
workloads built from records or text, validated exactly like files."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from schedsim import Workload, WorkloadError, load_workload, simulate
from schedsim.compare import compare_policies
from schedsim.sweep import plan_sweep, run_sweep
from schedsim.trace import REASON_NAMES

pd = pytest.importorskip("pandas")

ROOT = Path(__file__).resolve().parent.parent
CLASSIC = ROOT / "workloads" / "classic.yaml"


@pytest.fixture
def rr():
    return simulate(load_workload(CLASSIC), "rr", quantum=4)


def test_jobs_frame_is_the_job_records(rr):
    frame = rr.jobs_frame()
    assert list(frame.index) == ["P1", "P2", "P3"] and frame.index.name == "pid"
    assert frame.reset_index().to_dict("records") == rr.job_records()
    assert frame["waiting"].dtype == np.int64  # integer runs stay exact


@pytest.mark.parametrize(
    ("name", "policy", "extra"),
    [
        ("pathfinder", "priority", ["blocked_time"]),
        ("silberschatz_rm", "rm", ["task", "release", "deadline", "lateness", "missed"]),
    ],
)
def test_jobs_frame_has_the_columns_only_some_runs_have(name, policy, extra):
    """Blocked time and deadline misses are what a notebook user analyses in these runs."""
    result = simulate(load_workload(ROOT / "workloads" / f"{name}.yaml"), policy)
    frame = result.jobs_frame()
    assert set(extra) <= set(frame.columns)
    assert frame.reset_index().to_dict("records") == result.job_records()


def test_timeline_frame_is_the_timeline_records(rr):
    frame = rr.timeline_frame()
    records = frame.assign(reason=frame["reason"].astype(str)).to_dict("records")
    assert records == [{"level": -1, **row} for row in rr.timeline_records()]
    assert list(frame["reason"].cat.categories) == list(REASON_NAMES)


def test_timeline_frame_of_a_run_without_timeline_is_empty():
    result = simulate(load_workload(CLASSIC), "fcfs", timeline=False)
    frame = result.timeline_frame()
    assert len(frame) == 0
    assert list(frame.columns) == ["cpu", "pid", "dispatched", "start", "end", "level", "reason"]


def test_summary_comparison_and_sweep_frames():
    workload = load_workload(CLASSIC)
    summary = simulate(workload, "sjf").summary_frame()
    assert summary.loc["sjf", "avg_waiting"] == 3  # P2, P3, P1 wait 0, 3 and 6
    comparison = compare_policies(workload, "fcfs,sjf,rr:quantum=4")
    frame = comparison.frame()
    assert list(frame.index) == ["fcfs", "sjf", "rr(quantum=4)"]
    assert frame["avg_waiting"].tolist() == pytest.approx([17, 3, 17 / 3])
    assert frame["rank"].tolist() == [3, 1, 2]
    sweep = run_sweep(plan_sweep([str(CLASSIC)], "rr", {"quantum": "1..3"}), executor="serial")
    table = sweep.frame()
    assert table[["quantum", "seed"]].to_dict("records") == [
        {"quantum": q, "seed": 0} for q in (1, 2, 3)
    ]
    assert table["avg_waiting"].tolist() == [run.summary["avg_waiting"] for run in sweep]


def test_without_pandas_the_error_says_how_to_install_it(rr, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"pip install 'schedsim\[pandas\]'"):
        rr.jobs_frame()


def test_reprs_are_short_even_for_big_results():
    n = 20_000
    workload = Workload.from_records([{"pid": f"P{i}", "burst": 1} for i in range(n)])
    result = simulate(workload, "rr", quantum=4)
    assert repr(result) == (
        "<Result rr(quantum=4) on 'workload': 20,000 processes, 20,000 slices, mean waiting "
        "9999.5, simulated>"
    )
    assert repr(workload) == (
        "<Workload 'workload': 20,000 processes (0 with I/O), total CPU 20000, integer times>"
    )
    page = result._repr_html_()
    assert "19,970 more processes not shown" in page
    assert "chart left out: 20,000 slices" in page and "<svg" not in page
    assert len(page) < 20_000


def test_html_views_show_tables_and_charts_and_escape_names(rr):
    page = rr._repr_html_()
    assert "<td>mean waiting</td><td>5.667</td>" in page and "<svg" in page
    hostile = Workload.from_records([{"pid": "<img src=x onerror=alert(1)>", "burst": 2}])
    page = simulate(hostile, "fcfs")._repr_html_()
    assert "<img" not in page.split("<svg")[0] and "&lt;img src=x" in page
    assert "<table>" in hostile._repr_html_()
    comparison = compare_policies(load_workload(CLASSIC), "fcfs,sjf")
    assert (
        repr(comparison) == "<PolicyComparison on 'classic': fcfs, sjf; ranked by avg_turnaround>"
    )
    assert "<svg" in comparison._repr_html_()


def test_plot_draws_on_given_axes_and_returns_them(rr):
    from matplotlib.figure import Figure

    axes = Figure(figsize=(8, 3)).add_subplot()
    assert rr.plot(axes, by="cpu") is axes
    drawn = {collection.get_gid() for collection in axes.collections}
    assert {"slices:cpu0"} <= drawn
    fresh = rr.plot()
    assert {"slices:P1", "slices:P2", "slices:P3"} <= {c.get_gid() for c in fresh.collections}
    import matplotlib.pyplot as plt

    plt.close("all")
    figure = compare_policies(load_workload(CLASSIC), "fcfs,sjf").plot()
    assert len(figure.axes) == 3  # two Gantt charts and the bars


def test_from_records_validates_like_a_file():
    workload = Workload.from_records(
        [{"pid": "A", "burst": 3}, {"pid": "B", "arrival": 1, "bursts": [2, 4, 1], "nice": -5}]
    )
    assert list(workload.iter_bursts()) == [(3,), (2, 4, 1)]
    assert workload.nice.tolist() == [0, -5]
    with pytest.raises(WorkloadError) as error:
        Workload.from_records(
            [{"pid": "A", "burst": 3, "arrival": -1}, {"pid": "A", "bursts": [1, 2]}]
        )
    assert error.value.problems == [
        "<records>: process #1 (pid A): arrival: must be >= 0, got -1",
        "<records>: process #2 (pid A): pid: duplicate of process #1; pids must be unique",
        "<records>: process #2 (pid A): bursts: must have odd length (CPU first and last), got 2 "
        "values",
    ]
    with pytest.raises(WorkloadError, match="expected a list of process records"):
        Workload.from_records({"pid": "A"})  # type: ignore[arg-type]
    with pytest.raises(WorkloadError, match=r"<records>: processes: must not be empty"):
        Workload.from_records([])


def test_load_workload_from_text_in_every_text_format():
    yaml_text = "processes:\n  - {pid: A, burst: 2}\n  - {pid: B, arrival: 1, burst: 3}\n"
    json_text = '{"processes": [{"pid": "A", "burst": 2}, {"pid": "B", "arrival": 1, "burst": 3}]}'
    csv_text = "pid,arrival,burst\nA,0,2\nB,1,3\n"
    loaded = [
        load_workload(text=yaml_text),
        load_workload(text=json_text, format="json"),
        load_workload(text=csv_text, format="csv", name="mine"),
    ]
    for workload in loaded:
        assert workload.pid == ["A", "B"] and list(workload.iter_bursts()) == [(2,), (3,)]
    assert loaded[2].name == "mine"
    with pytest.raises(WorkloadError, match=r"<text>: process #1 \(pid A\): burst: must be > 0"):
        load_workload(text="processes: [{pid: A, burst: -2}]")
    with pytest.raises(WorkloadError, match=r"<text>: row 1 \(pid A\): burst"):
        load_workload(text="pid,arrival,burst\nA,0,x\n", format="csv")
    with pytest.raises(WorkloadError, match="anchors and aliases"):
        load_workload(text="processes: [&a {pid: A, burst: 1}, *a]")
    with pytest.raises(WorkloadError, match="unknown workload format 'toml'"):
        load_workload(text="x", format="toml")
    with pytest.raises(TypeError, match="a path or text="):
        load_workload(CLASSIC, text="x")
