"""Gantt charts (schedsim.gantt, schedsim.colors): the drawn bars are the timeline.

Each row of a chart is one PolyCollection whose gid names what it holds (``slices:P1``,
``switch:P1``, ``io:P1``, ``idle``, ``slices:cpu0`` ...), so these tests read the bars back
from the matplotlib objects and compare them with the result's timeline.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from matplotlib.colors import to_hex

from schedsim import OptionError, Result, Workload, simulate
from schedsim.colors import PALETTE, process_colour
from schedsim.errors import OutputError
from schedsim.gantt import LABEL_LIMIT, Schedule, gantt_figure, save_gantt


def workload(*specs: tuple[str, Any, Any], name: str = "test") -> Workload:
    """``workload(("P1", 0, 24), ("P2", 0, [3, 2, 1]))``: (pid, arrival, burst or bursts)."""
    return Workload.from_processes(
        [
            {
                "pid": pid,
                "arrival": arrival,
                "bursts": bursts if isinstance(bursts, list) else [bursts],
            }
            for pid, arrival, bursts in specs
        ],
        name=name,
    )


SILBERSCHATZ_FCFS = workload(("P1", 0, 24), ("P2", 0, 3), ("P3", 0, 3), name="classic")
WITH_IO = workload(("P1", 0, [5, 3, 4]), ("P2", 1, 3), ("P3", 2, 8), name="io")


def collections(figure: Any) -> dict[str, Any]:
    """gid -> collection on the chart's (first) axes."""
    return {c.get_gid(): c for c in figure.axes[0].collections if c.get_gid()}


def extents(collection: Any) -> list[tuple[float, float]]:
    """(left, right) of each rectangle in a PolyCollection, in drawing order."""
    return [
        (float(path.vertices[:, 0].min()), float(path.vertices[:, 0].max()))
        for path in collection.get_paths()
    ]


def rows(collection: Any) -> set[float]:
    return {
        round(float(path.vertices[:, 1].min() + path.vertices[:, 1].max()) / 2, 6)
        for path in collection.get_paths()
    }


def texts(figure: Any) -> list[str]:
    return [text.get_text() for axes in figure.axes for text in axes.texts]


# -- process view ----------------------------------------------------------------------------------
def test_round_robin_bars_are_the_textbook_slices():
    """Silberschatz RR q=4: P1 [0,4] P2 [4,7] P3 [7,10] then P1's five quanta to 30."""
    figure = gantt_figure(simulate(SILBERSCHATZ_FCFS, "rr", quantum=4))
    drawn = collections(figure)
    assert extents(drawn["slices:P1"]) == [(0, 4), (10, 14), (14, 18), (18, 22), (22, 26), (26, 30)]
    assert extents(drawn["slices:P2"]) == [(4, 7)]
    assert extents(drawn["slices:P3"]) == [(7, 10)]
    assert rows(drawn["slices:P1"]) == {0.0}
    assert rows(drawn["slices:P3"]) == {2.0}
    assert "switch:P1" not in drawn  # no context-switch cost: nothing dark drawn
    assert "idle" not in drawn  # the CPU is never idle


def test_every_pid_row_holds_exactly_its_timeline_slices():
    result = simulate(WITH_IO, "mlfq", quantum="1,2,4", context_switch=1)
    drawn = collections(gantt_figure(result))
    for pid in result.pids:
        expected = [(r["start"], r["end"]) for r in result.timeline_records() if r["pid"] == pid]
        assert sorted(extents(drawn[f"slices:{pid}"])) == sorted(expected)


def test_context_switch_segments_span_dispatch_to_start():
    result = simulate(SILBERSCHATZ_FCFS, "fcfs", context_switch=1)
    drawn = collections(gantt_figure(result))
    assert extents(drawn["switch:P1"]) == [(0, 1)]
    assert extents(drawn["switch:P2"]) == [(25, 26)]
    assert extents(drawn["slices:P2"]) == [(26, 29)]
    assert to_hex(drawn["switch:P2"].get_facecolor()[0]) == "#222222"


def test_io_periods_are_drawn_hatched_on_the_process_row():
    result = simulate(WITH_IO, "fcfs")
    assert result.io_periods  # the workload does I/O
    drawn = collections(gantt_figure(result))
    expected = [(start, end) for job, start, end in result.io_periods if job == 0]
    assert extents(drawn["io:P1"]) == expected
    assert drawn["io:P1"].get_hatch() == "////"
    assert rows(drawn["io:P1"]) == {0.0}
    assert "io:P2" not in drawn


def test_arrivals_are_marked_on_their_rows():
    result = simulate(WITH_IO, "fcfs")
    marks = collections(gantt_figure(result))["arrivals"].get_offsets()
    assert marks[:, 0].tolist() == [0, 1, 2]
    assert np.allclose(np.diff(marks[:, 1]), 1)  # one per row, top to bottom


def test_idle_time_is_visible_in_both_views():
    result = simulate(workload(("P1", 0, 2), ("P2", 5, 2)), "fcfs")
    by_process = collections(gantt_figure(result, by="process"))
    assert extents(by_process["idle"]) == [(2, 5)]
    by_cpu = collections(gantt_figure(result, by="cpu"))
    assert extents(by_cpu["idle:cpu0"]) == [(2, 5)]
    assert "idle" in texts(gantt_figure(result, by="cpu"))


def test_mlfq_levels_are_labelled_and_shaded():
    """Quantum 2 at every level: P3 (8 units) runs at L0, L1, then L2 twice."""
    result = simulate(workload(("P1", 0, 8), ("P2", 0, 8), ("P3", 0, 8)), "mlfq", quantum=2)
    figure = gantt_figure(result)
    assert {"L0", "L1", "L2"} <= set(texts(figure))
    colours = collections(figure)["slices:P3"].get_facecolor()
    levels = [r["level"] for r in result.timeline_records() if r["pid"] == "P3"]
    assert levels == [0, 1, 2, 2]
    brightness = colours[:, :3].sum(axis=1)
    assert brightness[0] < brightness[1] < brightness[2] == brightness[3]
    assert to_hex(colours[0]) == process_colour(2)  # the top level has the pure colour


def test_slices_of_policies_without_levels_are_unlabelled():
    figure = gantt_figure(simulate(SILBERSCHATZ_FCFS, "rr", quantum=4))
    assert not any(text.startswith("L") for text in texts(figure))


def test_title_and_caption_name_the_run():
    result = simulate(SILBERSCHATZ_FCFS, "rr", quantum=4)
    figure = gantt_figure(result)
    assert figure.get_suptitle() == "classic: policy rr (quantum=4)"
    caption = [t.get_text() for t in figure.texts if "avg turnaround" in t.get_text()]
    assert caption == [
        "avg turnaround 15.667   ·   avg waiting 5.667   ·   avg response 3.667   ·   "
        "CPU utilisation 100.0%   ·   context switches 4"
    ]


def test_integer_workloads_get_integer_ticks():
    figure = gantt_figure(simulate(workload(("P1", 0, 3), ("P2", 1, 2)), "fcfs"))
    ticks = figure.axes[0].get_xticks()
    assert len(ticks) >= 2
    assert all(float(tick).is_integer() for tick in ticks)


# -- cpu view --------------------------------------------------------------------------------------
def test_cpu_view_rows_hold_each_cpus_slices_in_process_colours():
    result = simulate(WITH_IO, "rr", quantum=2, cpus=2)
    figure = gantt_figure(result)  # several CPUs: the cpu view is the default
    drawn = collections(figure)
    assert [label.get_text() for label in figure.axes[0].get_yticklabels()] == ["CPU 0", "CPU 1"]
    records = result.timeline_records()
    for cpu in (0, 1):
        mine = sorted((r["start"], r["end"], r["pid"]) for r in records if r["cpu"] == cpu)
        bars = drawn[f"slices:cpu{cpu}"]
        drawn_bars = sorted(
            (left, right, to_hex(colour))
            for (left, right), colour in zip(extents(bars), bars.get_facecolor(), strict=True)
        )
        assert drawn_bars == [
            (start, end, process_colour(result.pids.index(pid))) for start, end, pid in mine
        ]
        assert rows(bars) == {float(cpu)}


def test_unknown_view_is_an_option_error():
    with pytest.raises(OptionError, match="chart view 'gpu': choose one of process, cpu"):
        gantt_figure(simulate(SILBERSCHATZ_FCFS, "fcfs"), by="gpu")


# -- colours ---------------------------------------------------------------------------------------
def test_a_pid_has_the_same_colour_under_every_policy():
    first = collections(gantt_figure(simulate(SILBERSCHATZ_FCFS, "fcfs")))
    second = collections(gantt_figure(simulate(SILBERSCHATZ_FCFS, "rr", quantum=1)))
    for pid, index in (("P1", 0), ("P2", 1), ("P3", 2)):
        for drawn in (first, second):
            colours = {to_hex(c) for c in drawn[f"slices:{pid}"].get_facecolor()}
            assert colours == {process_colour(index)}


def test_sixty_processes_get_sixty_distinct_colours():
    many = workload(*((f"P{i}", 0, 1) for i in range(60)))
    bars = collections(gantt_figure(simulate(many, "fcfs"), by="cpu"))["slices:cpu0"]
    assert len({to_hex(colour) for colour in bars.get_facecolor()}) == 60


def test_colours_depend_only_on_position():
    """A pure function of the index: the first colours are tab10's, no greys (grey = idle),
    and a thousand processes still get a thousand different colours."""
    assert [process_colour(index) for index in range(3)] == ["#1f77b4", "#ff7f0e", "#2ca02c"]
    assert "#7f7f7f" not in PALETTE and "#c7c7c7" not in PALETTE
    assert process_colour(25) == process_colour(25)
    assert len({process_colour(index) for index in range(1000)}) == 1000
    with pytest.raises(ValueError):
        process_colour(-1)


# -- files -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "magic"), [("g.png", b"\x89PNG\r\n\x1a\n"), ("g.svg", b"<?xml"), ("g.pdf", b"%PDF-")]
)
def test_saves_png_svg_and_pdf(tmp_path, name, magic):
    target = tmp_path / name
    save_gantt(simulate(WITH_IO, "rr", quantum=2), target)
    assert target.read_bytes().startswith(magic)
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temporary file left behind


def test_same_result_gives_the_same_file(tmp_path):
    result = simulate(WITH_IO, "rr", quantum=2)
    for name in ("a.svg", "b.svg", "a.pdf", "b.pdf"):
        save_gantt(result, tmp_path / name)
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()


@pytest.mark.parametrize("name", ["chart.jpg", "chart", "chart.png.txt"])
def test_unsupported_extension_is_refused_before_drawing(tmp_path, name):
    with pytest.raises(OptionError, match="cannot draw a chart as") as caught:
        save_gantt(simulate(SILBERSCHATZ_FCFS, "fcfs"), tmp_path / name)
    assert ".png, .svg, .pdf" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_missing_directory_is_an_output_error(tmp_path):
    with pytest.raises(OutputError, match="does not exist"):
        save_gantt(simulate(SILBERSCHATZ_FCFS, "fcfs"), tmp_path / "no" / "chart.png")


# -- results from anywhere -------------------------------------------------------------------------
def test_a_saved_measured_result_draws_like_a_simulated_one():
    result = simulate(WITH_IO, "rr", quantum=2)
    data = result.to_dict()
    data["kind"] = "measured"
    import json

    reloaded = Result.from_json(json.dumps(data), source="saved.json")
    original, again = collections(gantt_figure(result)), collections(gantt_figure(reloaded))
    for pid in result.pids:
        assert extents(again[f"slices:{pid}"]) == extents(original[f"slices:{pid}"])
    assert extents(again["io:P1"]) == extents(original["io:P1"])
    assert gantt_figure(reloaded).get_suptitle().endswith(", measured")


def test_a_result_without_timeline_is_refused():
    result = simulate(SILBERSCHATZ_FCFS, "fcfs", timeline=False)
    with pytest.raises(OptionError, match="no timeline to draw"):
        gantt_figure(result)


def test_big_charts_carry_no_text_labels():
    many = workload(*((f"P{i}", 0, 30) for i in range(20)))
    result = simulate(many, "mlfq", quantum=1)
    assert len(Schedule.of(result)) > LABEL_LIMIT
    figure = gantt_figure(result, by="cpu")
    assert not [t for t in texts(figure) if t.startswith(("P", "L", "idle"))]
    assert len(collections(figure)["slices:cpu0"].get_paths()) == len(result.timeline)
