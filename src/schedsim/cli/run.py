"""``schedsim run``: simulate one workload under one policy and report."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from schedsim.api import load_workload, simulate
from schedsim.atomic import AtomicFile, check_writable, write_atomic
from schedsim.cli.common import (
    build_policy,
    check_trace_file,
    engine_options,
    engine_settings,
    format_option,
    policy_options,
    split_policy_options,
    trace_option,
    trace_unit_option,
    workload_limit_options,
    workload_limits,
)
from schedsim.cli.gantt import ChartRequest, chart_options
from schedsim.errors import EXIT_DEADLOCK, OptionError
from schedsim.explain import Explainer, explain_text, explanation_json
from schedsim.report import jobs_csv_chunks, render_table
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
@format_option("table", "json", "csv")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False),
    default=None,
    help="also save the result: .json (result format) or .csv (per-process records)",
)
@click.option(
    "--summary-only",
    is_flag=True,
    help="print only the summary (no per-process rows, no timeline kept)",
)
@click.option(
    "--no-timeline", is_flag=True, help="do not keep the timeline (saves memory on big runs)"
)
@click.option(
    "--max-slices",
    type=int,
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
    max_slices: int | None,
    gantt: str | None,
    gantt_by: str | None,
    ascii_chart: bool,
    max_processes: str | None,
    max_file_size: str | None,
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
    """
    policy = build_policy(policy_name, split_policy_options(kwargs))
    settings = engine_settings(**kwargs)
    limits = workload_limits(max_processes, max_file_size)
    if output is not None:
        if Path(output).suffix.lower() not in (".json", ".csv"):
            raise OptionError(f"--output {output}: use a .json or .csv file name")
        check_writable(output, inputs=[workload_file])
    charts = ChartRequest.from_options(
        gantt, gantt_by, ascii_chart, output_format=output_format, no_timeline=no_timeline
    )
    unit_seconds = parse_trace_unit(trace_unit) if trace_unit is not None else None
    check_trace_file(trace_file, [workload_file])
    if trace_file is not None and no_timeline:
        raise OptionError("--trace needs the timeline; drop --no-timeline")
    if explain and output_format == "csv":
        raise OptionError(
            "--explain prints a table's worth of text or JSON records; use --format table or json"
        )
    explainer = Explainer() if explain else None
    workload = load_workload(workload_file, **limits)
    charts.check_rows(len(workload), settings["cpus"])
    keep_timeline = (
        not (summary_only or no_timeline)
        or output_format == "json"
        or charts.wanted
        or trace_file is not None
    )
    result = simulate(
        workload,
        policy,
        timeline=keep_timeline,
        max_slices=max_slices,
        observer=explainer,
        **settings,
    )
    # Everything is rendered before anything is written: a failure leaves no file changed.
    # (Per-process records go straight into the output's temporary file, which becomes the
    # output only when the block completes: a million records need not sit in memory.)
    with contextlib.ExitStack() as pending:
        if output is not None:
            saved = pending.enter_context(AtomicFile(output))
            if output.lower().endswith(".json"):
                saved.writelines(result.json_chunks())
            else:
                saved.writelines(jobs_csv_chunks(result))
        chart = charts.prepare(result, separated=output_format == "table")
        timeline = (
            trace_json([(run_label(result), result)], unit_seconds=unit_seconds)
            if trace_file is not None
            else None
        )
        shown: Iterable[str]
        if explainer is not None and output_format == "json":
            shown = [explanation_json(result, explainer)]
        elif output_format == "json":
            shown = result.json_chunks()  # formatted as it is printed: no copy in memory
        elif output_format == "csv":
            shown = jobs_csv_chunks(result)
        else:
            shown = [render_table(result, summary_only=summary_only)]
            if explainer is not None:
                cpus = settings["cpus"]
                shown.insert(0, explain_text(explainer.instants, cpus=cpus) + "\n")
    chart.save()
    if trace_file is not None and timeline is not None:
        write_atomic(trace_file, timeline)
    for piece in shown:
        click.echo(piece, nl=False)
    click.echo(chart.text, nl=False)
    if result.deadlock is not None:  # what happened up to it was shown: exit 3 says so
        if output_format != "table":
            click.echo(f"Deadlock: {result.deadlock['message']}", err=True)
        raise SystemExit(EXIT_DEADLOCK)
