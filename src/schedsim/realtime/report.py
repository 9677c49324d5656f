"""The real-time part of a result's table: jobs with their deadlines, tasks with their
response times, and the schedulability analysis beside what the simulation saw."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from schedsim.report import fmt
from schedsim.result import Result


def job_table(result: Result) -> Table:
    """One row per job: release, first run, finish, deadline, response time (finish −
    release), lateness, and whether it met its deadline."""
    table = Table(title="Jobs", title_justify="left", show_edge=False)
    headings = ("pid", "release", "first run", "finish", "deadline", "response time", "lateness")
    for heading in headings:
        table.add_column(heading, justify="left" if heading == "pid" else "right")
    table.add_column("deadline?", justify="left", no_wrap=True)
    jobs = result.jobs
    columns = [
        jobs[name].tolist() for name in ("release", "first_run", "finish", "deadline", "lateness")
    ]
    releases, first_runs, finishes, deadlines, lateness = columns
    aborted = set(result.realtime.get("aborted", [])) if result.realtime else set()
    for index, pid in enumerate(result.pids):
        finish = finishes[index]
        response = finish - releases[index] if finish == finish else float("nan")
        table.add_row(
            pid,
            fmt(releases[index]),
            fmt(first_runs[index]),
            fmt(finish),
            fmt(deadlines[index]),
            fmt(response),
            _signed(lateness[index]),
            _outcome(jobs["missed"][index], pid in aborted),
        )
    return table


def _outcome(missed: Any, aborted: bool) -> str:
    if missed is None:
        return "undecided"
    if aborted:
        return "MISSED (ended)"
    return "MISSED" if missed else "met"


def _signed(value: Any) -> str:
    text = fmt(value)
    return f"+{text}" if text not in ("-", "0") and not text.startswith("-") else text


def task_table(result: Result) -> Table:
    """One row per task: its definition, utilisation, jobs, misses, and its worst and mean
    response times and response jitter (with the analysis's worst case beside them, for
    fixed priorities)."""
    assert result.realtime is not None
    analysed = _analysed_response_times(result.realtime.get("analysis"))
    table = Table(title="Tasks", title_justify="left", show_edge=False)
    headings = [
        "task",
        "period",
        "deadline",
        "wcet",
        "U",
        "jobs",
        "misses",
        "worst R",
        "mean R",
        "jitter",
    ]
    if analysed:
        headings.append("analysed R")
    for heading in headings:
        table.add_column(heading, justify="left" if heading == "task" else "right")
    for task in result.realtime.get("tasks", []):
        cells = [
            str(task.get("task")),
            fmt(task.get("period")) if task.get("period") is not None else "-",
            fmt(task.get("deadline")) if task.get("deadline") is not None else "-",
            fmt(task.get("wcet")),
            f"{float(task.get('utilisation') or 0):.3f}",
            fmt(task.get("released")),
            fmt(task.get("misses")),
            _maybe(task.get("worst_response_time")),
            _maybe(task.get("mean_response_time")),
            _maybe(task.get("response_jitter")),
        ]
        if analysed:
            cells.append(analysed.get(str(task.get("task")), "-"))
        table.add_row(*cells)
    return table


def _maybe(value: Any) -> str:
    return "-" if value is None else fmt(value)


def _analysed_response_times(analysis: dict[str, Any] | None) -> dict[str, str]:
    """Response-time analysis's worst case per task (``> D`` where it can miss)."""
    if not analysis:
        return {}
    for test in analysis.get("tests", []):
        if test.get("test") == "response-time analysis":
            return {
                row["task"]: fmt(row["response_time"])
                if row.get("response_time") is not None
                else "unbounded"
                if row.get("blocking", 0) is None
                else f"> {fmt(row['deadline'])}"
                for row in test.get("response_times", [])
            }
    return {}


def analysis_lines(result: Result) -> list[str]:
    """The schedulability analysis in a few lines, ending with whether the simulation
    agrees."""
    assert result.realtime is not None
    analysis = result.realtime.get("analysis")
    if not analysis:
        return []
    lines = [
        f"Schedulability ({analysis.get('policy')}, one CPU): {analysis.get('tasks')} periodic "
        f"task(s), utilisation U = {float(analysis.get('utilisation') or 0):.4f}"
    ]
    for test in analysis.get("tests", []):
        lines.append("  " + _test_line(test))
    for note in analysis.get("notes", []):
        lines.append(f"  note: {note}")
    verdict = analysis.get("verdict")
    decided = f" ({analysis['decided_by']})" if analysis.get("decided_by") else ""
    lines.append(f"  verdict: {verdict}{decided}")
    lines.append(
        f"  simulation: {analysis.get('agreement', '')} — {analysis.get('agreement_reason', '')}"
    )
    return lines


def _test_line(test: dict[str, Any]) -> str:
    name = test.get("test")
    verdict = test.get("verdict")
    kind = "exact" if test.get("exact") else "sufficient"
    if name == "Liu & Layland bound":
        return (
            f"{name}: U = {test['value']:.4f} {'<=' if test['value'] <= test['bound'] else '>'} "
            f"n(2^(1/n) - 1) = {test['bound']:.4f} -> {_word(verdict)} ({kind})"
        )
    if name == "hyperbolic bound":
        return (
            f"{name}: prod(Ui + 1) = {test['value']:.4f} "
            f"{'<=' if test['value'] <= 2 else '>'} 2 -> {_word(verdict)} ({kind})"
        )
    if name == "response-time analysis":
        parts = [
            f"{row['task']} R = {fmt(row['response_time'])}"
            + (f" (blocking {fmt(row['blocking'])})" if row.get("blocking") else "")
            if row.get("response_time") is not None
            else f"{row['task']} R unbounded"
            if row.get("blocking", 0) is None
            else f"{row['task']} R > D = {fmt(row['deadline'])}"
            for row in test.get("response_times", [])
        ]
        return f"{name}: {', '.join(parts)} -> {_word(verdict)} ({kind})"
    if "value" in test and "bound" in test:
        return (
            f"{name}: U = {test['value']:.4f} -> {_word(verdict)} ({kind})"
            if "EDF" in str(name)
            else f"{name}: {test['value']:.4f} > {test['bound']} -> {_word(verdict)}"
        )
    where = (
        f", demand exceeds time at t = {fmt(test['demand_exceeded_at'])}"
        if test.get("demand_exceeded_at") is not None
        else ""
    )
    return f"{name}: {test.get('deadlines_checked')} deadlines checked{where} -> {_word(verdict)}"


def _word(verdict: Any) -> str:
    return "inconclusive" if verdict == "unknown" else str(verdict)
