"""``schedsim run``: simulate one workload under one policy and report."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from schedsim.api import load_workload, simulate
from schedsim.atomic import Outputs
from schedsim.cli.common import (
    INTEGER,
    Choice,
    build_policy,
    check_trace_file,
    engine_options,
    engine_settings,
    policy_options,
    realtime_options,
    split_policy_options,
    trace_option,
    trace_unit_option,
    workload_limit_options,
    workload_limits,
)
from schedsim.cli.gantt import ChartRequest, chart_options
from schedsim.errors import EXIT_DEADLOCK, OptionError
from schedsim.explain import Explainer, explain_text, explanation_json
from schedsim.report import TABLE_ROWS, jobs_csv_chunks, render_table, summary_csv
from schedsim.result import Result
from schedsim.trace_events import parse_trace_unit, run_label, trace_json


@click.command()
@click.argument("workload_file", metavar="FILE", type=click.Path(dir_okay=False))
@click.option(
    "--policy",
    "-p",
    "policy_name",
    default="fcfs",
    show_default=True,
    help="scheduling policy (see 'schedsim policies')",
)
@policy_options
@engine_options
@realtime_options
@click.option(
    "--format",
    "output_format",
    type=Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
    help=f"what to print.  table: the per-process table (over {TABLE_ROWS} processes: a note "
    "instead, "
    "see --all-rows), the summary and a line naming version, policy, options and seed.  "
    "json: the result document: those names, per-process records ('jobs'), the summary, "
    "the timeline of slices and I/O ('timeline', 'io').  csv: one row per process, after "
    "a header line",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False),
    default=None,
    help="also save the result: .json (as --format json) or .csv (as --format csv), with "
    "the same --summary-only and --no-timeline",
)
@click.option(
    "--summary-only",
    is_flag=True,
    help="only the summary, in every format and in --output: the table without its "
    "processes, json without 'jobs', 'timeline' and 'io', csv as one summary row",
)
@click.option(
    "--no-timeline",
    is_flag=True,
    help="keep no timeline (saves memory on big runs): json without 'timeline' and 'io'; "
    "table and csv never show it",
)
@click.option("--all-rows", is_flag=True, help="list every process in the table, even over 100")
@click.option(
    "--max-slices",
    type=INTEGER,
    default=None,
    help="refuse or stop a run past this many slices (default 20 million with a timeline, "
    "200 million without)",
)
@workload_limit_options
@chart_options
@trace_option
@trace_unit_option
@click.option(
    "--explain",
    is_flag=True,
    help="print, for each instant, what happened, the ready structure and why the policy "
    "decided as it did (before the table; with --format json, as records instead of the "
    "result); explained runs take the Python event loop",
)
def run(
    workload_file: str,
    policy_name: str,
    output_format: str,
    output: str | None,
    summary_only: bool,
    no_timeline: bool,
    all_rows: bool,
    max_slices: int | None,
    gantt: str | None,
    gantt_by: str | None,
    ascii_chart: bool,
    width: int | None,
    max_processes: str | None,
    max_file_size: str | None,
    until: str | None,
    trace_file: str | None,
    trace_unit: str | None,
    explain: bool,
    **kwargs: Any,
) -> None:
    """Simulate FILE under one scheduling policy and print per-process and summary metrics.

    \b
    Examples:
      schedsim run workloads/classic.yaml --policy mlfq
      schedsim run workloads/classic.yaml --policy rr --quantum 4 --format json
      schedsim run big.csv --policy rr --quantum 1 --summary-only
      schedsim run workloads/classic.yaml --policy rr --gantt rr.png --ascii
      schedsim run workloads/classic.yaml --policy rr --trace rr.trace.json
      schedsim run workloads/silberschatz_srtf.yaml --policy srtf --explain
      schedsim run workloads/silberschatz_edf.yaml --policy rm --on-miss abort-job
    """
    policy = build_policy(policy_name, split_policy_options(kwargs))
    settings = engine_settings(**kwargs)
    limits = workload_limits(max_processes, max_file_size, until)
    outputs = Outputs(inputs=[workload_file])
    if output is not None:
        if Path(output).suffix.lower() not in (".json", ".csv"):
            raise OptionError(f"--output {output}: use a .json or .csv file name")
        outputs.check(output)
    charts = ChartRequest.from_options(
        gantt,
        gantt_by,
        ascii_chart,
        output_format=output_format,
        no_timeline=no_timeline,
        width=width,
        outputs=outputs,
    )
    unit_seconds = parse_trace_unit(trace_unit) if trace_unit is not None else None
    check_trace_file(trace_file, outputs)
    if trace_file is not None and no_timeline:
        raise OptionError("--trace needs the timeline; drop --no-timeline")
    if explain and output_format == "csv":
        raise OptionError(
            "--explain prints a table's worth of text or JSON records; use --format table or json"
        )
    explainer = Explainer() if explain else None
    workload = load_workload(workload_file, **limits)
    tasks = len(workload.realtime.tasks) if workload.realtime is not None else None
    charts.check_rows(len(workload), settings["cpus"], tasks)
    contents = Contents(summary_only=summary_only, timeline=not (summary_only or no_timeline))
    json_wanted = output_format == "json" or (output or "").lower().endswith(".json")
    keep_timeline = charts.wanted or (json_wanted and contents.timeline) or trace_file is not None
    result = simulate(
        workload,
        policy,
        timeline=keep_timeline,
        max_slices=max_slices,
        observer=explainer,
        **settings,
    )
    # Every output is written to its temporary file, and all are renamed only once all are
    # complete: a failure leaves no file changed.  (Per-process records go straight into
    # the output's temporary file: a million records need not sit in memory.)
    with outputs:
        if output is not None:
            with outputs.stream(output) as saved:
                kind = "json" if output.lower().endswith(".json") else "csv"
                saved.writelines(contents.render(result, kind))
        chart = charts.prepare(result, separated=output_format == "table")
        chart.save(outputs)
        if trace_file is not None:
            outputs.write(
                trace_file, trace_json([(run_label(result), result)], unit_seconds=unit_seconds)
            )
        shown: Iterable[str]
        if explainer is not None and output_format == "json":
            shown = [explanation_json(result, explainer)]
        elif output_format != "table":
            shown = contents.render(result, output_format)  # formatted as printed
        else:
            shown = [render_table(result, summary_only=summary_only, all_rows=all_rows)]
            if explainer is not None:
                cpus = settings["cpus"]
                shown.insert(0, explain_text(explainer.instants, cpus=cpus) + "\n")
    for piece in shown:
        click.echo(piece, nl=False)
    click.echo(chart.text, nl=False)
    if result.deadlock is not None:  # what happened up to it was shown: exit 3 says so
        if output_format != "table":
            click.echo(f"Deadlock: {result.deadlock['message']}", err=True)
        raise SystemExit(EXIT_DEADLOCK)


@dataclass(frozen=True)
class Contents:
    """What --summary-only and --no-timeline leave in the JSON and CSV forms (the same on
    standard output and in --output)."""

    summary_only: bool
    timeline: bool

    def render(self, result: Result, kind: str) -> Iterable[str]:
        """The result as ``json`` or ``csv`` text, in pieces."""
        if kind == "json":
            return result.json_chunks(
                include_timeline=self.timeline, include_jobs=not self.summary_only
            )
        return [summary_csv(result)] if self.summary_only else jobs_csv_chunks(result)
