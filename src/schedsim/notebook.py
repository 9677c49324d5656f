"""How results look in a notebook: short ``repr`` texts and ``_repr_html_`` pages.

A notebook prints an object's ``repr`` and shows its ``_repr_html_``.  A result may hold a
million processes, so the ``repr`` states only what the object is, and the HTML shows the
summary, at most :data:`MAX_ROWS` rows of any table (saying how many were left out) and a
Gantt chart drawn as inline SVG only while it stays small enough to read (at most
:data:`MAX_CHART_SLICES` slices and :data:`MAX_CHART_ROWS` rows).  Every text taken from the
data (pids, names) is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from schedsim.report import fmt

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from schedsim.compare import PolicyComparison
    from schedsim.result import Result
    from schedsim.sweep.results import SweepResult
    from schedsim.workload import Workload

MAX_ROWS = 30
MAX_CHART_SLICES = 3000
MAX_CHART_ROWS = 60
SUMMARY_KEYS = (
    ("avg_turnaround", "mean turnaround"),
    ("avg_waiting", "mean waiting"),
    ("avg_response", "mean response"),
    ("p95_waiting", "p95 waiting"),
    ("makespan", "makespan"),
    ("throughput", "throughput"),
    ("cpu_utilisation", "CPU utilisation"),
    ("context_switches", "context switches"),
)


# -- repr ----------------------------------------------------------------------------------------
def result_repr(result: Result) -> str:
    summary = result.summary
    return (
        f"<Result {_policy_text(result)} on {result.workload!r}: {len(result.pids):,} processes, "
        f"{int(summary.get('slices') or 0):,} slices, mean waiting "
        f"{fmt(summary.get('avg_waiting'))}, {result.kind}>"
    )


def workload_repr(workload: Workload) -> str:
    times = "integer" if workload.is_integer else "float"
    io = sum(
        1
        for index in range(len(workload))
        if workload.burst_offsets[index + 1] - workload.burst_offsets[index] > 1
    )
    return (
        f"<Workload {workload.name!r}: {len(workload):,} processes ({io:,} with I/O), "
        f"total CPU {fmt(workload.cpu_total().sum().item())}, {times} times>"
    )


def comparison_repr(comparison: PolicyComparison) -> str:
    labels = ", ".join(comparison.labels)
    return (
        f"<PolicyComparison on {comparison.workload!r}: {labels}; ranked by {comparison.rank_by}>"
    )


def sweep_repr(results: Sequence[SweepResult]) -> str:
    if not results:
        return "<SweepResults: no runs>"
    point = results[0].point
    varied = ", ".join(name for name, _ in point.varied) or "nothing"
    seeds = len({result.point.seed for result in results})
    return f"<SweepResults {point.policy}: {len(results):,} runs varying {varied}, {seeds} seed(s)>"


# -- HTML ----------------------------------------------------------------------------------------
def result_html(result: Result) -> str:
    parts = [f"<h4>{_escape(result.workload)}: {_escape(_policy_text(result))}</h4>"]
    parts.append(_table(["metric", "value"], _summary_rows(result.summary)))
    records = result.job_records()
    shown = records[:MAX_ROWS]
    rows = [
        [
            row["pid"],
            *(fmt(row[key]) for key in ("arrival", "finish", "turnaround", "waiting", "response")),
        ]
        for row in shown
    ]
    parts.append(_table(["pid", "arrival", "finish", "turnaround", "waiting", "response"], rows))
    parts.append(_left_out(len(records), len(shown), "processes", "result.jobs_frame()"))
    parts.append(_chart(result))
    return "<div>" + "".join(parts) + "</div>"


def workload_html(workload: Workload) -> str:
    shown = range(min(len(workload), MAX_ROWS))
    rows = [
        [
            workload.pid[index],
            fmt(workload.arrival[index].item()),
            ", ".join(fmt(value) for value in workload.bursts(index)),
            str(int(workload.priority[index])),
            str(int(workload.tickets[index])),
            str(int(workload.nice[index])),
        ]
        for index in shown
    ]
    heading = f"<h4>{_escape(workload_repr(workload)[1:-1])}</h4>"
    table = _table(["pid", "arrival", "bursts", "priority", "tickets", "nice"], rows)
    more = _left_out(len(workload), len(shown), "processes", "workload.to_frame()")
    return f"<div>{heading}{table}{more}</div>"


def comparison_html(comparison: PolicyComparison) -> str:
    from schedsim.compare import METRICS

    ranks = comparison.ranks()
    rows = [
        [str(rank), entry.label, *(m.format(entry.result.summary.get(m.key)) for m in METRICS)]
        for entry, rank in zip(comparison.entries, ranks, strict=True)
    ]
    parts = [
        f"<h4>{_escape(comparison.workload)}: {len(rows)} policies</h4>",
        _table(["rank", "policy", *(m.heading for m in METRICS)], rows),
    ]
    charted = all(entry.result.timeline is not None for entry in comparison.entries)
    slices = sum(len(entry.result.timeline or ()) for entry in comparison.entries)
    if charted and comparison.entries and slices <= MAX_CHART_SLICES:
        from schedsim.compare import comparison_figure

        parts.append(_svg(comparison_figure(comparison)))
    return "<div>" + "".join(parts) + "</div>"


def sweep_html(results: Sequence[SweepResult]) -> str:
    from schedsim.sweep.rendering import sweep_table

    if not results:
        return "<div>no runs</div>"
    return f"<pre>{_escape(sweep_table(results))}</pre>"


# -- pieces --------------------------------------------------------------------------------------
def _chart(result: Result) -> str:
    from schedsim.gantt import default_view

    if result.timeline is None:
        return "<p>(no timeline kept: no chart)</p>"
    view = default_view(result)
    rows = len(result.pids) + 1 if view == "process" else int(result.settings.get("cpus") or 1)
    if len(result.timeline) > MAX_CHART_SLICES or rows > MAX_CHART_ROWS:
        return (
            f"<p>(chart left out: {len(result.timeline):,} slices in {rows:,} rows; draw it with "
            'result.plot(by="cpu") or save it with schedsim.gantt.save_gantt)</p>'
        )
    from schedsim.gantt import gantt_figure

    return _svg(gantt_figure(result))


def _svg(figure: Figure) -> str:
    from schedsim.gantt import figure_bytes

    text = figure_bytes(figure, "chart.svg").decode("utf-8")
    return text[text.index("<svg") :]


def _summary_rows(summary: dict[str, Any]) -> list[list[str]]:
    rows = []
    for key, heading in SUMMARY_KEYS:
        value = summary.get(key)
        shown = f"{100 * float(value or 0):.1f}%" if key == "cpu_utilisation" else fmt(value)
        rows.append([heading, shown])
    return rows


def _table(headings: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{_escape(heading)}</th>" for heading in headings)
    body = "".join(
        "<tr>" + "".join(f"<td>{_escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _left_out(total: int, shown: int, what: str, how: str) -> str:
    if total <= shown:
        return ""
    return f"<p>({total - shown:,} more {what} not shown; all of them: {_escape(how)})</p>"


def _policy_text(result: Result) -> str:
    options = ", ".join(
        f"{key}={','.join(map(str, value)) if isinstance(value, list) else value}"
        for key, value in result.options.items()
        if value is not None
    )
    return f"{result.policy}({options})" if options else result.policy


def _escape(text: Any) -> str:
    return html.escape(str(text))
