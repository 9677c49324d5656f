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
from schedsim.colors import ALTERNATING, COLOUR_BUDGET, PALETTE, level_colour, process_colour
from schedsim.errors import OutputError
from schedsim.gantt import BAR_HEIGHT, LABEL_LIMIT, Schedule, gantt_figure, save_gantt


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


def notes(figure: Any) -> list[str]:
    """The notes under a chart's title, which say how it was drawn."""
    return [text.get_text() for text in figure.texts if text.get_gid() == "note"]


def legend_entries(figure: Any) -> list[tuple[Any, Any]]:
    """(text, handle) of each entry of the figure's legend."""
    legend = figure.legends[0]
    return list(zip(legend.get_texts(), legend.legend_handles, strict=True))


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


def test_mlfq_levels_are_labelled_and_banded():
    """Quantum 2 at every level: P3 (8 units) runs at L0, L1, then L2 twice.  Each slice
    keeps its process's colour; a band along its bottom shows its level (darkest at the top
    level), with one legend entry per level in the band's colour."""
    result = simulate(workload(("P1", 0, 8), ("P2", 0, 8), ("P3", 0, 8)), "mlfq", quantum=2)
    figure = gantt_figure(result)
    assert {"L0", "L1", "L2"} <= set(texts(figure))
    drawn = collections(figure)
    levels = [r["level"] for r in result.timeline_records() if r["pid"] == "P3"]
    assert levels == [0, 1, 2, 2]
    assert {to_hex(c) for c in drawn["slices:P3"].get_facecolor()} == {process_colour(2)}
    bands = [to_hex(c) for c in drawn["levels:P3"].get_facecolor()]
    assert bands == [level_colour(level, 2) for level in levels]
    grey = [int(colour[1:3], 16) for colour in bands]
    assert grey[0] < grey[1] < grey[2] == grey[3]  # darker the higher the level
    assert extents(drawn["levels:P3"]) == extents(drawn["slices:P3"])
    legend = {text.get_text(): handle for text, handle in legend_entries(figure)}
    for level, name in enumerate(
        ["queue level 0 (top)", "queue level 1", "queue level 2 (bottom)"]
    ):
        assert to_hex(legend[name].get_facecolor()) == level_colour(level, 2)


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


def test_as_many_processes_as_colours_get_distinct_colours_and_a_full_legend():
    """Up to the colour budget (20) every process has its own colour on rows per CPU, and
    the legend lists every one of them (it used to stop at 12, and colours repeated)."""
    many = workload(*((f"P{i}", 0, 1) for i in range(1, COLOUR_BUDGET + 1)))
    figure = gantt_figure(simulate(many, "fcfs"), by="cpu")
    bars = collections(figure)["slices:cpu0"]
    assert len({to_hex(colour) for colour in bars.get_facecolor()}) == COLOUR_BUDGET
    listed = [text.get_text() for text, _ in legend_entries(figure)]
    assert listed[:COLOUR_BUDGET] == many.pid
    assert not notes(figure)


def test_past_the_colour_budget_rows_per_cpu_alternate_two_shades_and_say_so():
    """21 processes cannot all be told apart by colour (P4 and P35 used to share a red):
    slices alternate two shades, each labelled with its pid where it fits, the legend lists
    no process, and a note says what was done."""
    many = workload(*((f"P{i}", 0, 4) for i in range(1, COLOUR_BUDGET + 2)))
    figure = gantt_figure(simulate(many, "fcfs"), by="cpu")
    bars = collections(figure)["slices:cpu0"]
    shades = [to_hex(colour) for colour in bars.get_facecolor()]
    assert set(shades) == set(ALTERNATING) and shades[:3] == [*ALTERNATING, ALTERNATING[0]]
    assert not any(text.get_text().startswith("P") for text, _ in legend_entries(figure))
    assert notes(figure) == [
        "more processes than 20 colours: slices alternate two shades, with their pid where it fits"
    ]
    assert "P21" in texts(figure)  # 4 units of 84 are wide enough for a label


def test_colours_depend_only_on_position():
    """A pure function of the index: the first colours are tab10's, no greys (grey = idle),
    and a thousand processes still get a thousand different colours."""
    assert [process_colour(index) for index in range(3)] == ["#1f77b4", "#ff7f0e", "#2ca02c"]
    assert "#7f7f7f" not in PALETTE and "#c7c7c7" not in PALETTE
    assert len(set(PALETTE)) == COLOUR_BUDGET == 20
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


# -- charts of every size: the view, the markers, the narrowest slice ----------------------------
def row_labels(figure: Any) -> list[str]:
    return [label.get_text() for label in figure.axes[0].get_yticklabels()]


def test_three_hundred_processes_on_one_cpu_get_one_row_per_cpu_and_say_so():
    """300 rows do not fit a slide (a 1210x2640 image where slices vanished): past 40
    processes the default is the CPU view, the arrival markers (which made a black band)
    are left out, and the notes say both."""
    many = workload(*((f"P{i}", i, 2) for i in range(300)))
    figure = gantt_figure(simulate(many, "fcfs"))
    assert row_labels(figure) == ["CPU 0"]
    assert "arrivals" not in collections(figure)
    assert notes(figure)[:2] == [
        "300 processes: one row per CPU (--gantt-by process: one each)",
        "arrivals not marked (over 60 processes)",
    ]
    assert figure.get_size_inches()[1] < 6  # a slide, not a scroll
    forty = workload(*((f"P{i}", i, 2) for i in range(40)))
    assert row_labels(gantt_figure(simulate(forty, "fcfs")))[:2] == ["P0", "P1"]


def test_a_forced_row_per_process_labels_every_kth_row_and_says_so():
    many = workload(*((f"P{i}", i, 2) for i in range(300)))
    figure = gantt_figure(simulate(many, "fcfs"), by="process")
    labels = row_labels(figure)
    every = int(notes(figure)[-1].split()[1][:-2])  # "every 2nd row labelled"
    assert every > 1 and labels == [f"P{i}" for i in range(0, 300, every)]
    assert notes(figure)[-1] == f"every {every}{'nd' if every == 2 else 'th'} row labelled"


def test_too_many_slices_to_draw_show_each_rows_share_of_time_busy():
    """20,000 short jobs at 25% load: drawn one by one at a visible width they would cover
    the idle time and show a busy CPU.  Each row shows instead, per step of the axis, the
    share of it busy: the bars' area is the CPU's busy time."""
    many = workload(*((f"P{i}", 4 * i, 1) for i in range(20_000)))
    result = simulate(many, "fcfs")
    figure = gantt_figure(result)
    share = collections(figure)["share:cpu0"]
    area = 0.0
    for path in share.get_paths():
        width = float(np.ptp(path.vertices[:, 0]))
        height = float(np.ptp(path.vertices[:, 1]))
        area += width * height / BAR_HEIGHT
    assert area == pytest.approx(result.summary["cpu_time"], rel=1e-9)
    assert "slices:cpu0" not in collections(figure) and "idle:cpu0" not in collections(figure)
    assert "rows show the share of each time step busy (too many slices to draw one by one)" in (
        notes(figure)
    )
    assert [text.get_text() for text, _ in legend_entries(figure)] == ["share of time busy"]


def test_a_short_slice_is_drawn_at_least_the_minimum_width():
    """P2's 0.001-unit slice in a 100-unit chart would be a thousandth of a pixel: it is
    drawn 1.5 points wide, the exact span of its slice kept in the timeline, and a note
    says so.  Contiguous slices are not widened past each other's starts' worth of idle."""
    result = simulate(workload(("P1", 0, 50), ("P2", 50, 0.001), ("P3", 60, 40)), "fcfs")
    figure = gantt_figure(result)
    axes = figure.axes[0]
    ((left, right),) = extents(collections(figure)["slices:P2"])
    points_per_unit = axes.get_position().width * figure.get_figwidth() * 72 / 100
    assert left == 50 and (right - left) * points_per_unit == pytest.approx(1.5, rel=0.02)
    assert notes(figure)[-1].startswith("slices shorter than ")
    assert notes(gantt_figure(simulate(SILBERSCHATZ_FCFS, "fcfs"))) == []


def test_arrivals_sit_in_their_own_row_just_before_their_time():
    """A right-pointing triangle whose tip is at the arrival time, on the process's own
    row (it used to sit between rows), so simultaneous arrivals never cover each other."""
    result = simulate(workload(("P1", 0, 3), ("P2", 0, 2), ("P3", 4, 1)), "fcfs")
    figure = gantt_figure(result)
    marks = collections(figure)["arrivals"]
    assert marks.get_offsets().tolist() == [[0, 0], [0, 1], [4, 2]]
    tip = marks.get_paths()[0].vertices
    assert tip[:, 0].max() == 0 and tip[np.argmax(tip[:, 0]), 1] == 0  # the tip is the time


def test_simultaneous_arrivals_above_cpu_rows_are_stacked():
    """Rows per CPU mark arrivals above the rows: arrivals at the same time stack, three
    high, the third counting the rest."""
    three = simulate(workload(("A", 0, 2), ("B", 0, 2), ("C", 0, 2), ("D", 5, 1)), "rr", cpus=2)
    offsets = collections(gantt_figure(three))["arrivals"].get_offsets()
    assert offsets[:, 0].tolist() == [0, 0, 0, 5]
    assert len(set(offsets[:3, 1].tolist())) == 3 and offsets[3, 1] == offsets[0, 1]
    five = workload(*((f"P{i}", 0, 2) for i in range(5)))
    figure = gantt_figure(simulate(five, "rr", cpus=2))
    assert len(collections(figure)["arrivals"].get_offsets()) == 2
    assert "+3" in texts(figure)


@pytest.mark.parametrize(("cpus", "by"), [(1, "process"), (2, "process"), (1, "cpu")])
def test_the_idle_swatch_is_the_idle_boxes(cpus, by):
    result = simulate(workload(("P1", 0, 2), ("P2", 5, 2), ("P3", 5, 1)), "fcfs", cpus=cpus)
    figure = gantt_figure(result, by=by)
    box = collections(figure)["idle" if by == "process" else "idle:cpu0"]
    swatch = dict((text.get_text(), handle) for text, handle in legend_entries(figure))["idle"]
    assert to_hex(swatch.get_facecolor()) == to_hex(box.get_facecolor()[0])
    assert to_hex(swatch.get_edgecolor()) == to_hex(box.get_edgecolor()[0])
    assert swatch.get_hatch() == box.get_hatch()


def test_the_idle_row_is_as_tall_as_the_share_of_cpus_idle():
    """Two CPUs: from 2 to 5 both are idle (full height), from 5 to 6 one is (half)."""
    result = simulate(workload(("P1", 0, 2), ("P2", 5, 2), ("P3", 5, 1)), "fcfs", cpus=2)
    box = collections(gantt_figure(result, by="process"))["idle"]
    heights = {
        extent: round(float(np.ptp(path.vertices[:, 1])) / BAR_HEIGHT, 6)
        for extent, path in zip(extents(box), box.get_paths(), strict=True)
    }
    assert heights[(2, 5)] == 1 and heights[(6, 7)] == 0.5


def test_every_chart_names_its_time_unit_when_the_result_knows_it():
    result = simulate(WITH_IO, "rr", quantum=2)
    assert gantt_figure(result).axes[0].get_xlabel() == "time"
    measured = Result.from_dict(
        {**result.to_dict(), "kind": "measured", "settings": {**result.settings, "unit": "10ms"}}
    )
    assert gantt_figure(measured).axes[0].get_xlabel() == "time (1 unit = 10ms)"


def test_a_disturbed_measurement_is_marked_in_its_chart():
    result = simulate(WITH_IO, "rr", quantum=2)
    problems = ["dispatch latency p99 4.20 ms is above 1.00 ms", "a worker lost 10% of its CPU"]
    document = {**result.to_dict(), "kind": "measured"}
    document["extra"] = {"disturbed": True, "disturbances": problems}
    figure = gantt_figure(Result.from_dict(document))
    warning = [text for text in figure.texts if text.get_text().startswith("Warning:")]
    assert [text.get_text() for text in warning] == [
        "Warning: measurements were disturbed: dispatch latency p99 4.20 ms is above 1.00 ms "
        "(and 1 more)"
    ]
    assert to_hex(warning[0].get_color()) == "#cc0000"


def test_simulated_and_measured_panels_line_up_in_the_measured_unit():
    """``measure --gantt``: the measured run left the CPU idle where the simulation did not,
    yet both panels have the same rows (the idle row too) at the same heights, and both
    name the time unit."""
    from schedsim.real.compare import compare_measured, comparison_gantt

    simulated = simulate(SILBERSCHATZ_FCFS, "fcfs")
    document = simulated.to_dict()
    document.update(kind="measured", settings={**simulated.settings, "unit": "5ms"})
    for index, piece in enumerate(document["timeline"]):  # each slice starts 0.5 later
        piece.update(
            dispatched=piece["start"] + 0.5 * (index + 1),
            start=piece["start"] + 0.5 * (index + 1),
            end=piece["end"] + 0.5 * (index + 1),
        )
    for job, piece in zip(document["jobs"], document["timeline"], strict=True):
        job.update(first_run=piece["start"], finish=piece["end"])
    measured = Result.from_dict(document)
    figure = comparison_gantt(compare_measured(simulated, measured))
    top, bottom = figure.axes[:2]
    labels = [[label.get_text() for label in axes.get_yticklabels()] for axes in (top, bottom)]
    assert labels[0] == labels[1] == ["P1", "P2", "P3", "idle"]
    assert top.get_ylim() == bottom.get_ylim()
    assert top.get_position().height == pytest.approx(bottom.get_position().height)
    assert top.get_position().x0 == bottom.get_position().x0
    assert top.get_xlim() == bottom.get_xlim()
    assert {axes.get_xlabel() for axes in (top, bottom)} == {"time (1 unit = 5ms)"}
