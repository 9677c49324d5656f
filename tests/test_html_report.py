"""``schedsim report`` and ``measure --report``: one self-contained HTML page, checked as a
file and, where Chromium is installed, in a real headless browser: the page loads without
console errors and asks for nothing but itself, the slices it draws are the result's
timeline, hovering a slice shows its pid, times and why it ended, clicking a process
highlights it everywhere, the wheel zooms, and a screenshot shows the charts."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from schedsim import Workload, load_workload, simulate
from schedsim.cli import main
from schedsim.colors import process_colour
from schedsim.compare import compare_policies
from schedsim.html_report import comparison_report, measurement_report
from schedsim.result import Result
from tests.browser import Page, find_browser

ROOT = Path(__file__).resolve().parent.parent
CLASSIC = ROOT / "workloads" / "classic.yaml"
INTERACTIVE = ROOT / "workloads" / "interactive_batch.yaml"
SPECS = "fcfs,sjf,rr:quantum=2,mlfq:quantum=1/2/4"

needs_browser = pytest.mark.skipif(
    find_browser() is None,
    reason="Chromium is not installed (Debian: apt-get install chromium; .ci/run installs it)",
)


def embedded(page: str) -> dict:
    found = re.search(r'<script type="application/json" id="schedsim-data">(.*?)</script>', page)
    assert found is not None
    return json.loads(found.group(1))


def drawn_slices(page: Page, selector: str) -> list[tuple]:
    rows = page.evaluate(
        f"""Array.from(document.querySelectorAll({json.dumps(selector)})).map(e => [
            e.dataset.pid, +e.dataset.cpu, +e.dataset.start, +e.dataset.end,
            e.dataset.reason, +e.dataset.level])"""
    )
    return sorted(tuple(row) for row in rows)


def timeline_of(result: Result) -> list[tuple]:
    return sorted(
        (row["pid"], row["cpu"], row["start"], row["end"], row["reason"], row.get("level", -1))
        for row in result.timeline_records()
    )


def centre_of(page: Page, selector: str) -> tuple[float, float]:
    return tuple(
        page.evaluate(
            f"""(() => {{ const e = document.querySelector({json.dumps(selector)});
            e.scrollIntoView({{block: 'center'}}); const r = e.getBoundingClientRect();
            return [r.x + r.width / 2, r.y + r.height / 2]; }})()"""
        )
    )


# -- the file --------------------------------------------------------------------------------
def test_report_command_writes_one_self_contained_page(tmp_path):
    output = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", str(INTERACTIVE), "-P", SPECS, "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert result.output == f"{output}: 4 policies\n"
    page = output.read_text()
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", page)
    assert "@import" not in page and "url(http" not in page
    data = embedded(page)
    assert [run["label"] for run in data["runs"]] == [
        "fcfs",
        "sjf",
        "rr(quantum=2)",
        "mlfq(levels=3, quantum=1,2,4, boost=0, io_resets=False)",
    ]
    assert [row["rank"] for row in data["comparison"]["rows"]] == [4, 3, 1, 2]
    assert data["colours"] == [process_colour(i) for i in range(5)]


def test_report_refuses_bad_outputs_before_work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for output, message in (
        ("report.txt", "--output report.txt: a report is a web page; name it FILE.html"),
        ("missing/report.html", "directory 'missing' does not exist"),
    ):
        result = CliRunner().invoke(main, ["report", str(CLASSIC), "-o", output])
        assert result.exit_code == 2 and result.output.startswith("Error: ")
        assert message in result.output
    assert list(tmp_path.iterdir()) == []


def test_hostile_pids_cannot_break_out_of_the_page():
    workload = Workload.from_records(
        [{"pid": "</script><script>alert(1)</script>", "burst": 2}, {"pid": "<b>&amp;", "burst": 1}]
    )
    comparison = compare_policies(workload, "fcfs")
    page = comparison_report(comparison, workload)
    assert page.count("<script") == 2  # the data and the script, nothing from a pid
    assert embedded(page)["pids"] == ["</script><script>alert(1)</script>", "<b>&amp;"]


# -- in the browser --------------------------------------------------------------------------
@needs_browser
def test_page_loads_cleanly_and_draws_every_slice_of_every_policy(tmp_path):
    workload = load_workload(INTERACTIVE)
    comparison = compare_policies(workload, SPECS)
    path = tmp_path / "report.html"
    path.write_text(comparison_report(comparison, workload))
    with Page() as page:
        page.open(path.as_uri())
        assert page.evaluate("document.body.dataset.ready") == "yes"
        for index, entry in enumerate(comparison.entries):
            drawn = drawn_slices(page, f'[data-chart="run-{index}"] rect.slice')
            assert drawn == timeline_of(entry.result), entry.label
        bars = page.evaluate(
            "Array.from(document.querySelectorAll('rect.bar')).map(e => +e.dataset.value)"
        )
        assert bars == [
            value
            for key in ("avg_turnaround", "avg_waiting", "avg_response")
            for value in comparison.values(key)
        ]
        assert page.errors() == []
        assert page.requests() == [path.as_uri()]


@needs_browser
def test_hover_highlight_and_zoom(tmp_path):
    """Round robin (quantum 4) on Silberschatz's example: P1 runs 0-4 and its slice
    expires; P2 runs 4-7 and finishes."""
    workload = load_workload(CLASSIC)
    comparison = compare_policies(workload, "rr:quantum=4")
    path = tmp_path / "report.html"
    path.write_text(comparison_report(comparison, workload))
    with Page() as page:
        page.open(path.as_uri())
        page.hover(*centre_of(page, 'rect.slice[data-pid="P1"][data-start="0"]'))
        tip = page.evaluate("document.getElementById('tooltip').textContent")
        assert tip == "P1\nCPU 0: 0 – 4 (ran 4)\nended: slice expired"
        page.hover(*centre_of(page, 'rect.slice[data-pid="P2"]'))
        tip = page.evaluate("document.getElementById('tooltip').textContent")
        assert tip == "P2\nCPU 0: 4 – 7 (ran 3)\nended: finished"

        page.click(*centre_of(page, '.legend .entry[data-pid="P2"]'))
        dimmed = page.evaluate(
            "Array.from(document.querySelectorAll('rect.slice.dim')).map(e => e.dataset.pid)"
        )
        assert sorted(set(dimmed)) == ["P1", "P3"] and len(dimmed) == 7
        assert page.evaluate("document.querySelector('tr.highlight').dataset.pid") == "P2"
        page.click(*centre_of(page, '.legend .entry[data-pid="P2"]'))
        assert page.evaluate("document.querySelectorAll('.dim').length") == 0

        shown = "(s => [+s.dataset.low, +s.dataset.high])(document.querySelector('.chart svg'))"
        assert page.evaluate(shown) == [0, 30]
        x, y = centre_of(page, 'rect.slice[data-pid="P2"]')  # time 5.5, the slice's middle
        page.wheel(x, y, -120)
        page.wheel(x, y, -120)
        low, high = page.evaluate(shown)
        assert high - low == pytest.approx(30 * 0.8 * 0.8)
        assert (5.5 - low) / (high - low) == pytest.approx(5.5 / 30, abs=0.01)  # stays put
        assert drawn_slices(page, "rect.slice") == timeline_of(comparison.entries[0].result)
        assert page.errors() == []


@needs_browser
def test_screenshot_shows_the_charts(tmp_path):
    from matplotlib.image import imread

    workload = load_workload(INTERACTIVE)
    comparison = compare_policies(workload, "fcfs,rr:quantum=2")
    path = tmp_path / "report.html"
    path.write_text(comparison_report(comparison, workload))
    with Page(width=1200, height=1400) as page:
        page.open(path.as_uri())
        pixels = imread(io.BytesIO(page.screenshot()))
    assert pixels.shape[:2] == (1400, 1200)
    colours = {tuple(np.round(pixel[:3] * 255).astype(int)) for pixel in pixels.reshape(-1, 4)[::7]}
    assert len(colours) > 50
    for index in range(len(workload)):  # every process's colour is painted somewhere
        hexa = process_colour(index).lstrip("#")
        rgb = tuple(int(hexa[i : i + 2], 16) for i in (0, 2, 4))
        assert rgb in colours, process_colour(index)


@needs_browser
def test_measured_run_is_drawn_over_its_simulation(tmp_path):
    workload = load_workload(CLASSIC)
    simulated = simulate(workload, "rr", quantum=4)
    measured = Result.from_json(simulated.to_json())
    measured.kind = "measured"
    measured.jobs = {**measured.jobs, "finish": measured.jobs["finish"] + 1}
    path = tmp_path / "measured.html"
    path.write_text(measurement_report(simulated, measured, workload))
    with Page() as page:
        page.open(path.as_uri())
        for layer in ("simulated", "measured"):
            drawn = drawn_slices(page, f'[data-chart="overlay"] rect.slice[data-layer="{layer}"]')
            assert drawn == timeline_of(simulated)
        assert page.errors() == []


@needs_browser
def test_hostile_pids_are_shown_as_text(tmp_path):
    workload = Workload.from_records(
        [{"pid": "</script><script>alert(1)</script>", "burst": 2}, {"pid": "<b>&amp;", "burst": 1}]
    )
    path = tmp_path / "hostile.html"
    path.write_text(comparison_report(compare_policies(workload, "fcfs"), workload))
    with Page() as page:
        page.open(path.as_uri())
        labels = page.evaluate(
            "Array.from(document.querySelectorAll('.rowlabel')).map(e => e.textContent)"
        )
        assert labels == ["</script><script>alert(1)</script>", "<b>&amp;"]
        assert page.errors() == []
        assert not any(event["method"] == "Page.javascriptDialogOpening" for event in page.events)
