"""Comparing policies (schedsim.compare) on textbook workloads, with exact numbers.

Sources: Silberschatz, *Operating System Concepts* §5.3.2 (SJF example: FCFS waits 10.25 on
average, SJF 7); OSTEP ch. 7 (A=100, B=10, C=10 at 0: FIFO average turnaround 110, SJF 50).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from matplotlib.colors import to_hex

from schedsim import OptionError, Workload
from schedsim.colors import process_colour
from schedsim.compare import (
    MEAN_SHADES,
    METRICS,
    compare_policies,
    comparison_figure,
    comparison_table,
    metric,
    save_comparison_plot,
)
from schedsim.policy_spec import build_policies


def workload(*specs: tuple[str, Any, Any], name: str = "test") -> Workload:
    return Workload.from_processes(
        [{"pid": pid, "arrival": arrival, "bursts": [burst]} for pid, arrival, burst in specs],
        name=name,
    )


SILBERSCHATZ_SJF = workload(("P1", 0, 6), ("P2", 0, 8), ("P3", 0, 7), ("P4", 0, 3), name="sjf")
OSTEP = workload(("A", 0, 100), ("B", 0, 10), ("C", 0, 10), name="ostep-fifo")


def test_silberschatz_sjf_has_the_best_mean_waiting():
    comparison = compare_policies(SILBERSCHATZ_SJF, "fcfs,sjf")
    assert comparison.values("avg_waiting") == [10.25, 7]
    assert comparison.best("waiting") == ["sjf"]
    assert comparison.ranking("waiting") == [(1, "sjf", 7), (2, "fcfs", 10.25)]


def test_ostep_fifo_turnaround_110_sjf_50():
    comparison = compare_policies(OSTEP, "fcfs,sjf,rr:quantum=10")
    assert comparison.labels == ["fcfs", "sjf", "rr(quantum=10)"]
    assert comparison.values("turnaround")[:2] == [110, 50]
    assert [label for _, label, _ in comparison.ranking()] == ["sjf", "rr(quantum=10)", "fcfs"]
    assert comparison.ranks() == [3, 1, 2]
    assert comparison.best("response") == ["sjf", "rr(quantum=10)"]  # both 10: a tie


def test_a_summary_only_comparison_ranks_and_renders_alike():
    """records=False (the CLI without --plot) drops each run's per-process columns, and
    nothing shown depends on them."""
    full = compare_policies(OSTEP, "fcfs,sjf,rr:quantum=10,mlfq")
    lean = compare_policies(OSTEP, "fcfs,sjf,rr:quantum=10,mlfq", timeline=False, records=False)
    assert lean.to_json() == full.to_json() and lean.to_csv() == full.to_csv()
    assert comparison_table(lean) == comparison_table(full)
    assert all(len(result.jobs["finish"]) == 0 and not result.pids for _, result in lean.results)
    assert all(result.integer_times for _, result in lean.results)


def test_equal_values_share_a_rank():
    comparison = compare_policies(SILBERSCHATZ_SJF, "fcfs,sjf,srtf")
    assert comparison.ranks("waiting") == [3, 1, 1]
    assert comparison.best("waiting") == ["sjf", "srtf"]


def test_higher_throughput_and_utilisation_rank_first():
    comparison = compare_policies(OSTEP, "fcfs,rr:quantum=1", context_switch=1)
    utilisation = comparison.values("cpu_utilisation")
    assert utilisation[0] > utilisation[1]  # fewer switches, more useful CPU time
    assert comparison.best("utilisation") == ["fcfs"]
    assert comparison.best("throughput") == ["fcfs"]
    assert comparison.best("switches") == ["fcfs"]


def test_every_policy_sees_the_same_engine_settings():
    comparison = compare_policies(SILBERSCHATZ_SJF, "fcfs,rr", cpus=2, context_switch=1, seed=3)
    for _, result in comparison.results:
        assert result.settings == {
            "cpus": 2,
            "context_switch": 1,
            "ties": "arrivals-first",
            "seed": 3,
        }


def test_defaults_and_prebuilt_policies():
    comparison = compare_policies(OSTEP, "fcfs,rr", defaults={"quantum": "50"})
    assert comparison.labels == ["fcfs", "rr(quantum=50)"]
    again = compare_policies(OSTEP, build_policies("sjf,rr:quantum=5"))
    assert again.labels == ["sjf", "rr(quantum=5)"]


def test_unknown_metric_is_an_option_error():
    with pytest.raises(OptionError, match="unknown metric 'speed'"):
        metric("speed")
    with pytest.raises(OptionError, match="unknown metric"):
        compare_policies(OSTEP, "fcfs", rank_by="speed")


def test_table_marks_the_best_of_each_column_in_plain_text():
    table = comparison_table(compare_policies(OSTEP, "fcfs,sjf"))
    lines = table.splitlines()
    assert lines[0] == "ostep-fifo: 1 CPU, context switch 0"
    fcfs = next(line for line in lines if "│ fcfs" in line)
    sjf = next(line for line in lines if "│ sjf" in line)
    assert sjf.split("│")[2].strip() == "50 *"  # mean turnaround
    assert fcfs.split("│")[2].strip() == "110"
    assert [cell.strip() for cell in sjf.split("│")[:2]] == ["1", "sjf"]
    assert [cell.strip() for cell in fcfs.split("│")[:2]] == ["2", "fcfs"]
    # a column where everyone ties (utilisation, switches) marks nobody
    assert "100.0% *" not in table
    assert lines[-1] == "* best in column; ranked by mean turnaround (lower is better)"
    assert "\x1b[" not in table


def test_table_in_colour_is_bold_and_still_marked():
    table = comparison_table(compare_policies(OSTEP, "fcfs,sjf"), color=True)
    assert "\x1b[1m" in table and "50 *" in table


def test_json_and_csv_carry_the_same_numbers():
    comparison = compare_policies(SILBERSCHATZ_SJF, "fcfs,sjf")
    data = json.loads(comparison.to_json())
    assert [entry["label"] for entry in data["policies"]] == ["fcfs", "sjf"]
    assert [entry["summary"]["avg_waiting"] for entry in data["policies"]] == [10.25, 7]
    assert [entry["rank"] for entry in data["policies"]] == [2, 1]
    assert data["best"]["avg_waiting"] == ["sjf"]
    assert data["rank_by"] == "avg_turnaround"
    rows = list(csv.DictReader(io.StringIO(comparison.to_csv())))
    assert list(rows[0]) == ["rank", "label", "policy", *(m.key for m in METRICS)]
    assert [(row["label"], float(row["avg_waiting"])) for row in rows] == [
        ("fcfs", 10.25),
        ("sjf", 7.0),
    ]


# -- the comparison plot ---------------------------------------------------------------------------
def _slices(axes: Any) -> Any:
    return next(c for c in axes.collections if c.get_gid() == "slices:cpu0")


def test_plot_stacks_one_chart_per_policy_with_shared_colours_and_time():
    comparison = compare_policies(SILBERSCHATZ_SJF, "fcfs,sjf,rr:quantum=2")
    figure = comparison_figure(comparison)
    charts, bars = figure.axes[:3], figure.axes[3]
    assert len(figure.axes) == 4
    assert [axes.get_title(loc="left").split("   ")[0] for axes in charts] == [
        "fcfs",
        "sjf",
        "rr(quantum=2)",
    ]
    assert {axes.get_xlim() for axes in charts} == {charts[0].get_xlim()}
    for axes, (_, result) in zip(charts, comparison.results, strict=True):
        slices = _slices(axes)
        records = result.timeline_records()
        assert len(slices.get_paths()) == len(records)
        drawn = sorted(
            (float(path.vertices[:, 0].min()), to_hex(colour))
            for path, colour in zip(slices.get_paths(), slices.get_facecolor(), strict=True)
        )
        assert drawn == sorted(
            (r["start"], process_colour(result.pids.index(r["pid"]))) for r in records
        )
    assert len(bars.containers) == 3  # one set of bars per mean, one bar per policy
    means = [[round(patch.get_height(), 6) for patch in container] for container in bars.containers]
    assert [row[0] for row in means] == [16.25, 10.25, 10.25]  # fcfs: turnaround, waiting, ...
    assert [row[1] for row in means] == [13, 7, 7]  # sjf


@pytest.mark.parametrize(
    ("name", "magic"), [("c.png", b"\x89PNG"), ("c.svg", b"<?xml"), ("c.pdf", b"%PDF")]
)
def test_plot_saves_in_every_format(tmp_path, name, magic):
    save_comparison_plot(compare_policies(OSTEP, "fcfs,sjf"), tmp_path / name, by="process")
    assert (tmp_path / name).read_bytes().startswith(magic)


def test_plot_needs_timelines():
    comparison = compare_policies(OSTEP, "fcfs", timeline=False)
    with pytest.raises(OptionError, match="no timeline"):
        comparison_figure(comparison)


def test_plot_layout_reads_as_one_slide():
    """The bars span the charts' full width (they filled half), in slate shades that no
    process colour uses (they used viridis), grouped under each policy's name; the process
    legend sits above the charts (it was at the bottom of the figure, under the bars)."""
    comparison = compare_policies(SILBERSCHATZ_SJF, "fcfs,sjf,rr:quantum=2")
    figure = comparison_figure(comparison)
    charts, bars = figure.axes[:3], figure.axes[3]
    assert bars.get_position().x0 == pytest.approx(charts[0].get_position().x0)
    assert bars.get_position().x1 == pytest.approx(charts[0].get_position().x1)
    colours = {to_hex(patch.get_facecolor()) for patch in bars.patches}
    assert colours == set(MEAN_SHADES)
    assert not colours & {process_colour(index) for index in range(20)}
    assert [label.get_text() for label in bars.get_xticklabels()] == comparison.labels
    legend = figure.legends[0]
    assert [text.get_text() for text in legend.get_texts()][:4] == ["P1", "P2", "P3", "P4"]
    figure.canvas.draw()
    above = legend.get_window_extent().y0
    assert above >= charts[0].get_window_extent().y1  # above the first chart
    assert figure._suptitle.get_fontsize() == 11


def test_stacked_charts_keep_the_same_rows():
    """FCFS runs A (6) first and B's I/O then leaves the CPU idle from 7 to 9; SJF runs B
    first and overlaps its I/O with A.  Both panels still get the idle row, so rows line up
    across the stack."""
    processes = [
        {"pid": "A", "arrival": 0, "bursts": [6]},
        {"pid": "B", "arrival": 0, "bursts": [1, 2, 1]},
    ]
    comparison = compare_policies(Workload.from_processes(processes), "fcfs,sjf")
    figure = comparison_figure(comparison, by="process")
    labels = [[label.get_text() for label in axes.get_yticklabels()] for axes in figure.axes[:2]]
    assert labels[0] == labels[1] == ["A", "B", "idle"]
    assert figure.axes[0].get_ylim() == figure.axes[1].get_ylim()
