"""Rendering results for people (rich tables) and for programs (CSV).

Every CSV schedsim writes is a plain table — one header line, then one row per record, no
comment or blank lines — so ``pandas.read_csv(path)`` and :class:`csv.DictReader` read it
with no extra arguments.  What produced it (version, policy, options, settings, seed) is
recorded in the JSON forms and on the table's last line, never inside a CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from rich.table import Table

from schedsim.formatting import fmt
from schedsim.metrics import FLAG_COLUMNS, TEXT_COLUMNS
from schedsim.result import Result
from schedsim.table_text import table_text
from schedsim.text_console import text_console

SUMMARY_ROWS = (
    ("turnaround", "turnaround"),
    ("waiting", "waiting"),
    ("response", "response"),
)


# Processes the table lists by default: past this, a note says how to get the rows (a table
# of 10^5 rows took minutes to print and nobody reads it).
TABLE_ROWS = 100


def shortened(text: str, limit: int = 40) -> str:
    """A name as a table shows it: at most ``limit`` characters (laying out a name of tens
    of thousands of characters would take minutes; JSON and CSV keep it whole)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_table(
    result: Result,
    *,
    summary_only: bool = False,
    all_rows: bool = False,
    width: int | None = None,
) -> str:
    """The per-process table and the summary block, as plain text.  Past :data:`TABLE_ROWS`
    processes the table is replaced by a note saying how to get the rows, unless
    ``all_rows``; ``summary_only`` leaves the processes out without a note."""
    console = text_console(width or 100)
    long_table: Table | None = None  # past TABLE_ROWS rows: drawn by table_text, at once
    with console.capture() as capture:
        console.print(shortened(f"{result.workload}: {describe(result)}", 200))
        listed = not summary_only and (all_rows or len(result.pids) <= TABLE_ROWS)
        if listed:
            table = _rows_table(result)
            if table.row_count <= TABLE_ROWS:
                console.print(table)
            else:
                long_table = table  # (rich lays out about a thousand rows a second)
        elif not summary_only:
            console.print(rows_left_out(len(result.pids)), soft_wrap=True)
    parts = [capture.get()]
    if long_table is not None:
        parts.append(table_text(long_table))
    with console.capture() as capture:
        if result.realtime is not None:
            from schedsim.realtime import report as realtime_report

            console.print(realtime_report.task_table(result))
        console.print(summary_table(result))
        if result.resources is not None and result.resources.get("summary") and not summary_only:
            console.print(resource_table(result))  # (daemons alone declare no resource)
        if result.deadlock is not None:
            # one line, as the provenance line: a message to read (or grep) whole
            console.print(f"Deadlock: {result.deadlock.get('message', '')}", soft_wrap=True)
        prediction = result.extra.get("prediction")
        if prediction:
            console.print(prediction_line(prediction))
        if result.realtime is not None:
            for line in realtime_report.analysis_lines(result):
                console.print(line, soft_wrap=True)
        console.print(provenance(result), style="dim", soft_wrap=True)  # one line to copy
    parts.append(capture.get())
    return "".join(parts)


def _rows_table(result: Result) -> Table:
    """The table of processes, or of real-time jobs."""
    if result.realtime is not None:
        from schedsim.realtime import report as realtime_report

        return realtime_report.job_table(result)
    return job_table(result)


def rows_left_out(processes: int) -> str:
    """The note that replaces a table of more than :data:`TABLE_ROWS` processes."""
    return (
        f"Processes: {processes:,} rows not shown (over {TABLE_ROWS}); --all-rows lists them, "
        "--format csv or --output jobs.csv gives them to a program"
    )


def policy_label(result: Result) -> str:
    """``rr(quantum=4)``: the policy and its options, as comparisons label it."""
    options = ", ".join(f"{k}={_join(v)}" for k, v in result.options.items() if v is not None)
    return f"{result.policy}({options})" if options else result.policy


def provenance(result: Result) -> str:
    """Everything needed to reproduce the result: version, workload, policy and options,
    engine settings, seed."""
    options = ", ".join(f"{k}={_join(v)}" for k, v in result.options.items() if v is not None)
    settings = result.settings
    return (
        f"schedsim {result.version}: workload {result.workload}, policy {result.policy}"
        + (f" ({options})" if options else "")
        + f", cpus {settings.get('cpus', 1)}, context switch {settings.get('context_switch', 0)}"
        + f", ties {settings.get('ties', 'arrivals-first')}, seed {settings.get('seed', 0)}"
    )


def prediction_line(report: dict[str, Any]) -> str:
    """One line on how well a predicting policy guessed CPU bursts."""
    return (
        f"Burst prediction ({report.get('method', 'exp')}, alpha={fmt(report.get('alpha'))}, "
        f"tau0={fmt(report.get('tau0'))}): {report.get('bursts', 0)} bursts, mean absolute "
        f"error {fmt(report.get('mean_absolute_error'))}, mean relative error "
        f"{100 * float(report.get('mean_relative_error') or 0):.1f}%"
    )


def describe(result: Result) -> str:
    options = ", ".join(f"{k}={_join(v)}" for k, v in result.options.items() if v is not None)
    settings = result.settings
    parts = [f"policy {result.policy}" + (f" ({options})" if options else "")]
    if settings.get("cpus", 1) != 1:
        parts.append(f"{settings['cpus']} CPUs")
    if settings.get("context_switch"):
        parts.append(f"context switch {settings['context_switch']}")
    if settings.get("ties", "arrivals-first") != "arrivals-first":
        parts.append(f"ties {settings['ties']}")
    if settings.get("locks", "none") != "none":
        parts.append(f"locks {settings['locks']}")
    if settings.get("on_miss", "continue") != "continue":
        parts.append(f"on miss {settings['on_miss']}")
    if result.kind != "simulated":
        parts.append(result.kind)
    return ", ".join(parts)


def job_table(result: Result) -> Table:
    table = Table(title="Processes", title_justify="left", show_edge=False)
    headings: tuple[str, ...] = (
        "pid",
        "arrival",
        "first run",
        "finish",
        "turnaround",
        "waiting",
        "response",
        "CPU",
        "I/O",
        "slices",
    )
    names: tuple[str, ...] = (
        "arrival",
        "first_run",
        "finish",
        "turnaround",
        "waiting",
        "response",
        "cpu_time",
        "io_time",
        "slices",
    )
    if "blocked_time" in result.jobs:  # processes that synchronise
        headings = (*headings[:-1], "blocked", headings[-1])
        names = (*names[:-1], "blocked_time", names[-1])
    states = _states(result)
    shown_states = any(state != "finished" for state in states)
    for heading in headings:
        table.add_column(heading, justify="left" if heading == "pid" else "right")
    if shown_states:
        table.add_column("state", no_wrap=True, min_width=len("deadlocked"))
    columns = [result.jobs[name].tolist() for name in names]
    for i, pid in enumerate(result.pids):
        cells = [fmt(column[i]) for column in columns]
        table.add_row(shortened(pid), *cells, *([states[i]] if shown_states else []))
    return table


def _states(result: Result) -> list[str]:
    if result.resources is None:
        return ["finished"] * len(result.pids)
    return [entry.get("state", "finished") for entry in result.resources.get("processes", [])]


def resource_table(result: Result) -> Table:
    """Per resource: uses, how many had to wait (contention), the longest and total wait,
    and how busy each lock or semaphore was."""
    assert result.resources is not None
    table = Table(title="Resources", title_justify="left", show_edge=False)
    for heading in (
        "resource",
        "uses",
        "waits",
        "contention",
        "longest wait",
        "total wait",
        "held",
    ):
        table.add_column(heading, justify="left" if heading == "resource" else "right")
    for entry in result.resources.get("summary", []):
        held = entry.get("utilisation")
        table.add_row(
            f"{entry['kind']} {entry['resource']}",
            fmt(entry["uses"]),
            fmt(entry["waits"]),
            f"{100 * float(entry['contention']):.0f}%",
            fmt(entry["longest_wait"]),
            fmt(entry["total_wait"]),
            "" if held is None else f"{100 * float(held):.1f}%",
        )
    return table


def summary_table(result: Result) -> Table:
    s = result.summary
    table = Table(title="Summary", title_justify="left", show_edge=False)
    for heading in ("metric", "mean", "median", "p95", "max"):
        table.add_column(heading, justify="left" if heading == "metric" else "right")
    counted = s.get("finished", s.get("processes"))
    for label, key in SUMMARY_ROWS:
        table.add_row(
            label,
            *(
                fmt(s.get(f"{stat}_{key}")) if counted else "-"
                for stat in ("avg", "median", "p95", "max")
            ),
        )
    table.add_section()
    table.add_row("processes", fmt(s.get("processes")), "", "", "")
    for key in ("ended", "deadlocked"):
        if s.get(key):
            table.add_row(f"  {key}", fmt(s.get(key)), "", "", "")
    if s.get("blocked_time"):
        table.add_row("blocked time", fmt(s.get("blocked_time")), "", "", "")
    if "deadline_misses" in s:
        table.add_row("deadline misses", fmt(s.get("deadline_misses")), "", "", "")
    for key, label in (("aborted", "  ended at deadline"), ("unfinished", "  unfinished")):
        if s.get(key):
            table.add_row(label, fmt(s.get(key)), "", "", "")
    if s.get("stopped_at") is not None:
        table.add_row("stopped at", fmt(s.get("stopped_at")), "", "", "")
    table.add_row("makespan", fmt(s.get("makespan")), "", "", "")
    table.add_row("throughput", fmt(s.get("throughput")), "", "", "")
    table.add_row("CPU utilisation", f"{100 * float(s.get('cpu_utilisation', 0)):.1f}%", "", "", "")
    table.add_row("context switches", fmt(s.get("context_switches")), "", "", "")
    if s.get("switch_time"):
        table.add_row("switch time", fmt(s.get("switch_time")), "", "", "")
    return table


CSV_CHUNK_ROWS = 65_536


def summary_csv(result: Result) -> str:
    """The summary as CSV: a header and one row (the workload, the policy label, then every
    summary metric under its JSON name)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["workload", "policy", *result.summary])
    writer.writerow([result.workload, policy_label(result), *result.summary.values()])
    return buffer.getvalue()


def jobs_csv_chunks(result: Result) -> Iterator[str]:
    """Per-process records as CSV (a header, then one row per process: no comment line, so
    any CSV reader takes it as it is), in pieces of up to 65,536 rows, so that a million
    records are written without holding all their text at once.

    Numbers are written as :mod:`csv` writes them (``repr``: shortest round-trip floats,
    exact integers), one ``%`` format per row rather than a ``writerow`` call, and pids are
    quoted by the csv module's minimal rule, plus one: a pid holding a carriage return is
    quoted too (``csv.writer`` with a ``\\n`` terminator leaves it bare, and readers would
    take it for a line break)."""
    header = io.StringIO()
    names = result.job_column_names
    csv.writer(header, lineterminator="\n").writerow(["pid", *names])
    yield header.getvalue()
    spelled = [name in TEXT_COLUMNS or name in FLAG_COLUMNS for name in names]
    row = "%s" + "".join(",%s" if text else ",%r" for text in spelled) + "\n"
    pids = [_csv_field(pid) for pid in result.pids]
    for start in range(0, len(pids), CSV_CHUNK_ROWS):
        stop = start + CSV_CHUNK_ROWS
        columns = [
            [_csv_value(value) for value in result.jobs[name][start:stop].tolist()]
            if text
            else result.jobs[name][start:stop].tolist()
            for name, text in zip(names, spelled, strict=True)
        ]
        yield "".join(map(row.__mod__, zip(pids[start:stop], *columns, strict=True)))


def _csv_value(value: Any) -> str:
    """A task name or a flag in a CSV field: true, false, or empty for undecided."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _csv_field(str(value))


def _csv_field(text: str) -> str:
    """``text`` as csv.writer's minimal quoting writes it (one field among several)."""
    if any(mark in text for mark in (",", '"', "\r", "\n")):
        return '"' + text.replace('"', '""') + '"'
    return text


def _join(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)
