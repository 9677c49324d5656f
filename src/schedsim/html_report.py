"""One self-contained HTML page to share a run: the workload, each policy's interactive
Gantt chart and tables, the comparison, and a measured run laid over its simulation.

The page needs no network: its style sheet and script (``schedsim/web/report.css`` and
``report.js``, plain SVG and JavaScript, no library) are inlined, and the results are
embedded as JSON that the script draws from.  Everything shown is read from
:class:`~schedsim.result.Result` objects, so a report of a measured run is built exactly
like one of a simulation.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from schedsim import __version__
from schedsim.atomic import write_atomic
from schedsim.colors import process_colour
from schedsim.errors import LimitError, OptionError
from schedsim.limits import MAX_REPORT_SLICES
from schedsim.report import describe
from schedsim.result import Result
from schedsim.trace import REASON_NAMES
from schedsim.workload import Workload

if TYPE_CHECKING:
    from schedsim.compare import PolicyComparison

BAR_METRICS = ("avg_turnaround", "avg_waiting", "avg_response")
SERIES_COLOURS = ("#3b528b", "#21918c", "#5ec962", "#fde725", "#440154", "#31688e", "#35b779")


@dataclass(frozen=True)
class ReportRun:
    """One run on the page: its heading and its result."""

    label: str
    result: Result


def report_html(
    runs: Sequence[ReportRun],
    *,
    title: str,
    workload: Workload | None = None,
    comparison: PolicyComparison | None = None,
    overlay: tuple[int, int] | None = None,
) -> str:
    """The page: ``runs`` (each drawn with its tables), the ``workload``'s processes, the
    ``comparison`` table and bars, and, with ``overlay=(simulated, measured)`` (indexes
    into ``runs``), a chart of the measured run over its simulation."""
    if not runs:
        raise OptionError("a report needs at least one run")
    total = sum(len(run.result.timeline or ()) for run in runs)
    if total > MAX_REPORT_SLICES:
        raise LimitError(
            f"a report of {total:,} slices is over the limit of {MAX_REPORT_SLICES:,} (a browser "
            "draws every slice); report a smaller workload or use a larger quantum"
        )
    pids = list(runs[0].result.pids)
    data: dict[str, Any] = {
        "title": title,
        "pids": pids,
        "colours": [process_colour(index) for index in range(len(pids))],
        "workload": _workload_rows(workload) if workload is not None else None,
        "runs": [_run_data(index, run) for index, run in enumerate(runs)],
        "comparison": _comparison_data(comparison) if comparison is not None else None,
        "overlay": {"simulated": overlay[0], "measured": overlay[1]} if overlay else None,
        "unit": runs[-1].result.settings.get("unit"),
    }
    payload = json.dumps(data, allow_nan=False, separators=(",", ":"))
    # Inside <script> only "</" could end the element early: escape every "<".
    payload = payload.replace("<", "\\u003c")
    style = _asset("report.css")
    script = _asset("report.js")
    heading = html.escape(title)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="schedsim {__version__}">\n'
        f"<title>{heading}</title>\n<style>\n{style}</style>\n</head>\n<body>\n"
        f"<h1>{heading}</h1>\n"
        f'<p class="subtitle">{html.escape(_subtitle(runs))}</p>\n'
        '<main id="report"></main>\n<div id="tooltip"></div>\n'
        f"<footer>Made by schedsim {html.escape(__version__)}. The page needs no network: "
        "its data, style and script are all in this file.</footer>\n"
        f'<script type="application/json" id="schedsim-data">{payload}</script>\n'
        f"<script>\n{script}</script>\n</body>\n</html>\n"
    )


def save_report(path: str | Path, page: str) -> None:
    """Write a report page atomically."""
    write_atomic(path, page)


def comparison_report(comparison: PolicyComparison, workload: Workload) -> str:
    """The page of a policy comparison (``compare_policies`` with timelines kept)."""
    runs = [ReportRun(entry.label, entry.result) for entry in comparison.entries]
    many = len(runs) > 1
    return report_html(
        runs,
        title=f"{workload.name}: " + (f"{len(runs)} policies" if many else runs[0].label),
        workload=workload,
        comparison=comparison if many else None,
    )


def measurement_report(simulated: Result, measured: Result, workload: Workload) -> str:
    """The page of a real run: the measured schedule over the simulated one, then each."""
    runs = [
        ReportRun(f"simulated {simulated.policy}", simulated),
        ReportRun(f"measured {measured.policy}", measured),
    ]
    return report_html(
        runs,
        title=f"{workload.name}: {measured.policy} measured and simulated",
        workload=workload,
        overlay=(0, 1),
    )


def _asset(name: str) -> str:
    return resources.files("schedsim").joinpath("web").joinpath(name).read_text(encoding="utf-8")


def _subtitle(runs: Sequence[ReportRun]) -> str:
    first = runs[0].result
    settings = first.settings
    parts = [f"workload {first.workload}", f"{len(first.pids)} processes"]
    parts.append(f"{settings.get('cpus', 1)} CPU" + ("s" if settings.get("cpus", 1) != 1 else ""))
    if settings.get("context_switch"):
        parts.append(f"context switch {settings['context_switch']}")
    return ", ".join(parts)


def _workload_rows(workload: Workload) -> list[dict[str, Any]]:
    program = workload.program

    def script(index: int) -> str | None:
        """A process's ``run:`` script as a person reads it (None for plain bursts)."""
        if program is None or not (program.scripted and program.scripted[index]):
            return None
        steps = range(len(program.scripts[index]))
        return ", ".join(program.step_text(index, step, workload.pid) for step in steps)

    return [
        {
            "pid": pid,
            "arrival": _number(workload.arrival[index].item()),
            "bursts": [_number(value) for value in workload.bursts(index)],
            "script": script(index),
            "priority": int(workload.priority[index]),
            "tickets": int(workload.tickets[index]),
            "nice": int(workload.nice[index]),
        }
        for index, pid in enumerate(workload.pid)
    ]


def _run_data(index: int, run: ReportRun) -> dict[str, Any]:
    result = run.result
    if result.timeline is None:
        raise OptionError(
            f"{run.label}: the result has no timeline to draw; run again without "
            "--summary-only / --no-timeline"
        )
    columns = result.timeline.arrays()
    slices = [
        [cpu, job, _number(dispatched), _number(start), _number(end), level, REASON_NAMES[reason]]
        for cpu, job, dispatched, start, end, level, reason in zip(
            *(columns[name].tolist() for name in result.timeline.COLUMNS), strict=True
        )
    ]
    slices.sort(key=lambda row: (row[2], row[0]))
    cpus_used = max((row[0] for row in slices), default=0) + 1
    disturbed = result.extra.get("disturbances") if result.extra.get("disturbed") else None
    return {
        "index": index,
        "label": run.label,
        "description": describe(result),
        "kind": result.kind,
        "cpus": max(int(result.settings.get("cpus") or 1), cpus_used),
        "deepest": max((row[5] for row in slices), default=0),
        "slices": slices,
        "io": [[int(job), _number(start), _number(end)] for job, start, end in result.io_periods],
        "blocked": _blocked(result),
        "jobs": [
            {key: _number(value) for key, value in record.items()}
            for record in result.job_records()
        ],
        "summary": {key: _number(value) for key, value in result.summary.items()},
        "disturbed": "; ".join(str(item) for item in disturbed) if disturbed else None,
        "deadlock": (result.deadlock or {}).get("message"),
    }


def _blocked(result: Result) -> list[list[Any]]:
    """Processes that synchronise: each wait as ``[job, from, to, what]`` (``to`` None when
    it never ended: a deadlock)."""
    index = {pid: job for job, pid in enumerate(result.pids)}
    waits = (result.resources or {}).get("waits", [])
    return [
        [
            index[wait["pid"]],
            _number(wait.get("from")),
            _number(wait.get("to")),
            f"{wait.get('kind', '')} {wait.get('resource', '')}".strip(),
        ]
        for wait in waits
        if wait.get("pid") in index
    ]


def _comparison_data(comparison: PolicyComparison) -> dict[str, Any]:
    from schedsim.compare import METRIC_BY_KEY, METRICS, metric

    rows = []
    best = {m.key: set(comparison.best(m.key)) for m in METRICS}
    everyone = len(comparison.entries)
    for entry, rank in zip(comparison.entries, comparison.ranks(), strict=True):
        summary = entry.result.summary
        rows.append(
            {
                "rank": rank,
                "label": entry.label,
                "values": [m.format(summary.get(m.key)) for m in METRICS],
                "best": [
                    entry.label in best[m.key] and len(best[m.key]) < everyone for m in METRICS
                ],
            }
        )
    series = [
        {
            "label": entry.label,
            "colour": SERIES_COLOURS[index % len(SERIES_COLOURS)],
            "values": [float(entry.result.summary.get(key) or 0) for key in BAR_METRICS],
        }
        for index, entry in enumerate(comparison.entries)
    ]
    return {
        "metrics": [{"key": m.key, "heading": m.heading} for m in METRICS],
        "rows": rows,
        "rank_heading": metric(comparison.rank_by).heading,
        "bars": {"metrics": [METRIC_BY_KEY[key].heading for key in BAR_METRICS], "series": series},
    }


def _number(value: Any) -> Any:
    """A plain JSON number: ints stay ints; floats that are not finite become None."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "item"):
        return _number(value.item())
    return value
