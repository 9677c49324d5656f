"""What each output of ``schedsim run`` holds, and the one rule every CSV follows.

* ``--summary-only`` means "only the summary" everywhere: the table without its processes,
  the JSON without ``jobs``, ``timeline`` and ``io``, the CSV as one summary row; and
  ``--output`` holds what standard output would.
* ``--no-timeline`` keeps no timeline: the JSON without ``timeline`` and ``io``; the table
  and the CSV never show one, so they are unchanged.
* The table lists at most ``TABLE_ROWS`` processes; past that a note says how to get them.
* Every CSV schedsim writes (run, compare, sweep) is a header line and rows: no comment
  line, so ``pandas.read_csv`` and ``csv.DictReader`` read it with no extra arguments.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from schedsim import simulate
from schedsim.cli import main
from schedsim.cli import run as run_command
from schedsim.loaders import load_workload, save_workload
from schedsim.report import TABLE_ROWS
from schedsim.workload import Workload

ROOT = Path(__file__).resolve().parent.parent
CLASSIC = str(ROOT / "workloads" / "classic.yaml")
RR = ["-p", "rr", "--quantum", "4"]


def invoke(*args: Any) -> Any:
    return CliRunner().invoke(main, [str(arg) for arg in args], catch_exceptions=False)


def output(*args: Any) -> str:
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    return result.output


def test_summary_only_is_only_the_summary_in_every_format(tmp_path):
    """RR with quantum 4 on Silberschatz's FCFS example: waiting 6, 4, 7, mean 17/3."""
    full = json.loads(output("run", CLASSIC, *RR, "--format", "json"))
    table = output("run", CLASSIC, *RR, "--summary-only")
    assert "Summary" in table and "Processes" not in table and "P1 " not in table

    document = json.loads(output("run", CLASSIC, *RR, "--summary-only", "--format", "json"))
    assert "jobs" not in document and "timeline" not in document and "io" not in document
    assert document["summary"] == full["summary"]
    assert document["summary"]["avg_waiting"] == pytest.approx(17 / 3)
    assert {key: document[key] for key in ("schedsim", "policy", "options", "settings")} == {
        key: full[key] for key in ("schedsim", "policy", "options", "settings")
    }

    text = output("run", CLASSIC, *RR, "--summary-only", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 1 and text.count("\n") == 2
    assert (rows[0]["workload"], rows[0]["policy"]) == ("classic", "rr(quantum=4)")
    assert rows[0]["avg_waiting"] == repr(17 / 3) and rows[0]["max_waiting"] == "7"
    assert list(rows[0])[2:] == list(full["summary"])

    for extension, printed in (("json", None), ("csv", text)):
        saved = tmp_path / f"summary.{extension}"
        shown = output("run", CLASSIC, *RR, "--summary-only", "-o", saved, "--format", extension)
        assert saved.read_text() == (printed or shown)


def test_no_timeline_drops_only_the_timeline(tmp_path):
    full = json.loads(output("run", CLASSIC, *RR, "--format", "json"))
    document = json.loads(output("run", CLASSIC, *RR, "--no-timeline", "--format", "json"))
    assert "timeline" not in document and "io" not in document
    assert document["jobs"] == full["jobs"] and document["summary"] == full["summary"]
    for kind in ("table", "csv"):
        assert output("run", CLASSIC, *RR, "--no-timeline", "--format", kind) == output(
            "run", CLASSIC, *RR, "--format", kind
        )
    saved = tmp_path / "result.json"
    output("run", CLASSIC, *RR, "--no-timeline", "-o", saved)
    assert json.loads(saved.read_text()) == document


@pytest.mark.parametrize(
    ("arguments", "kept"),
    [
        (["--format", "json"], True),
        (["--format", "json", "--summary-only"], False),
        (["--format", "json", "--no-timeline"], False),
        (["--format", "csv"], False),
        ([], False),
        (["-o", "result.json"], True),
        (["-o", "result.json", "--summary-only"], False),
        (["--summary-only", "--ascii"], True),
    ],
)
def test_the_timeline_is_kept_only_when_something_shows_it(tmp_path, monkeypatch, arguments, kept):
    """A million-slice timeline costs seconds and hundreds of MB: a run keeps it only for
    an output that holds it (JSON without --summary-only/--no-timeline) or for a chart."""
    asked: list[bool] = []

    def spy(*args: Any, timeline: bool, **kwargs: Any) -> Any:
        asked.append(timeline)
        return simulate(*args, timeline=timeline, **kwargs)

    monkeypatch.setattr(run_command, "simulate", spy)
    monkeypatch.chdir(tmp_path)
    output("run", CLASSIC, *RR, *arguments)
    assert asked == [kept]


def many(count: int) -> Workload:
    return Workload.from_processes(
        [{"pid": f"P{i}", "arrival": i, "bursts": [2]} for i in range(1, count + 1)], name="many"
    )


def test_a_table_of_more_than_table_rows_processes_is_a_note(tmp_path):
    """Listing 10^5 processes took minutes and hundreds of MB of text; past TABLE_ROWS the
    table says how to get the rows instead, and --all-rows lists them anyway."""
    small, big = tmp_path / "small.csv", tmp_path / "big.csv"
    save_workload(many(TABLE_ROWS), small)
    save_workload(many(TABLE_ROWS + 1), big)
    listed = output("run", small)
    assert f"P{TABLE_ROWS} " in listed and "not shown" not in listed
    summarised = output("run", big)
    assert (
        f"Processes: {TABLE_ROWS + 1:,} rows not shown (over {TABLE_ROWS}); --all-rows lists "
        "them, --format csv or --output jobs.csv gives them to a program\n"
    ) in summarised
    assert "P1 " not in summarised and "Summary" in summarised
    every = output("run", big, "--all-rows")
    assert f"P{TABLE_ROWS + 1} " in every and "not shown" not in every
    assert "not shown" not in output("run", big, "--summary-only")


def test_a_summary_only_result_is_named_when_a_chart_is_asked_of_it(tmp_path):
    saved = tmp_path / "summary.json"
    output("run", CLASSIC, "--summary-only", "-o", saved)
    result = CliRunner().invoke(main, ["gantt", str(saved)])
    assert result.exit_code == 2
    assert result.output == (
        f"Error: {saved}: a summary-only result (saved with --summary-only): it has no "
        "per-process records or timeline; run again without --summary-only\n"
    )


def csv_outputs(tmp_path: Path) -> dict[str, str]:
    """Every CSV the commands write, from standard output and from files."""
    saved = tmp_path / "jobs.csv"
    output("run", CLASSIC, *RR, "-o", saved)
    sweep = ["sweep", CLASSIC, "-p", "lottery", "--vary", "quantum=1,2", "--seeds", "0,1"]
    return {
        "run": output("run", CLASSIC, *RR, "--format", "csv"),
        "run --output": saved.read_text(),
        "run --summary-only": output("run", CLASSIC, *RR, "--format", "csv", "--summary-only"),
        "compare": output("compare", CLASSIC, "-P", "fcfs,sjf,rr", "--format", "csv"),
        "sweep": output(*sweep, "--format", "csv", "--no-aggregate"),
        "sweep, aggregated": output(*sweep, "--format", "csv"),
    }


def test_every_csv_is_a_header_and_rows(tmp_path):
    """The rule, checked with the csv module: the first line is the header, no line is a
    comment, every row has the header's fields, and every number column parses."""
    for name, text in csv_outputs(tmp_path).items():
        lines = text.splitlines()
        assert not any(line.startswith("#") for line in lines), name
        rows = list(csv.reader(io.StringIO(text)))
        header, body = rows[0], rows[1:]
        assert body and all(len(row) == len(header) for row in body), name
        assert all(cell and not cell[0].isdigit() for cell in header), name
        for row in body:
            record = dict(zip(header, row, strict=True))
            for key in ("avg_waiting", "avg_waiting_mean", "waiting"):
                if key in record:
                    float(record[key])


def test_pandas_reads_every_csv_with_no_arguments(tmp_path):
    pandas = pytest.importorskip("pandas")
    for name, text in csv_outputs(tmp_path).items():
        frame = pandas.read_csv(io.StringIO(text))
        rows = list(csv.DictReader(io.StringIO(text)))
        assert list(frame.columns) == list(rows[0]), name
        assert len(frame) == len(rows), name
        numeric = [column for column in frame.columns if "waiting" in column]
        assert numeric and all(frame[column].dtype.kind in "if" for column in numeric), name


def test_the_workload_writer_follows_the_rule_too(tmp_path):
    path = tmp_path / "classic.csv"
    save_workload(load_workload(CLASSIC), path)
    assert path.read_text().splitlines()[0] == "pid,arrival,burst"
