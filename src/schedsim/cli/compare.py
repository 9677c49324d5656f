"""``schedsim compare``: run several policies on one workload and rank them."""

from __future__ import annotations

import sys
from typing import Any

import click
from click.core import ParameterSource

from schedsim.api import load_workload
from schedsim.atomic import Outputs
from schedsim.cli.common import (
    Choice,
    engine_options,
    engine_settings,
    format_option,
    policy_options,
    realtime_options,
    split_policy_options,
    workload_limit_options,
    workload_limits,
)
from schedsim.compare import (
    compare_policies,
    compare_saved,
    comparison_table,
    metric,
    save_comparison_plot,
)
from schedsim.errors import OptionError
from schedsim.gantt import VIEWS, chart_rows, check_chart_size, image_format
from schedsim.policies import REGISTRY
from schedsim.policy_spec import build_policies
from schedsim.result import Result
from schedsim.result_file import saved_result_fields


@click.command()
@click.argument(
    "files", metavar="FILE...", nargs=-1, required=True, type=click.Path(dir_okay=False)
)
@click.option(
    "--policies",
    "-P",
    "specs",
    metavar="SPECS",
    default=None,
    help="policies to compare, e.g. 'fcfs,sjf,rr:quantum=2,mlfq:quantum=1/2/4' "
    "(default: every policy; see 'Policy specs' in the README)",
)
@policy_options
@engine_options
@realtime_options
@click.option(
    "--rank-by",
    default="turnaround",
    show_default=True,
    metavar="METRIC",
    help="metric that ranks the policies: turnaround, waiting, response, p95_waiting, "
    "p95_response, throughput, utilisation, switches",
)
@format_option(
    "table",
    "json",
    "csv",
    help="what to print.  table: a line naming the workload and settings, one row per policy "
    "(rank, label, the metrics; the best of each marked '*'), and what ranks them.  json: "
    "the workload, settings, rank_by, one record per policy (label, spec, kind, policy, "
    "options, rank, summary) and the best labels per metric.  csv: a header line and one "
    "row per policy (rank, label, policy, the metrics)",
)
@click.option(
    "--plot",
    type=click.Path(dir_okay=False),
    default=None,
    help="also draw every policy's Gantt chart on one time axis plus bar charts (.png, .svg, .pdf)",
)
@click.option(
    "--plot-by",
    type=Choice(VIEWS),
    default=None,
    help="rows of the plotted charts: per CPU (default, compact) or per process",
)
@workload_limit_options
def compare(
    files: tuple[str, ...],
    specs: str | None,
    rank_by: str,
    output_format: str,
    plot: str | None,
    plot_by: str | None,
    max_processes: str | None,
    max_file_size: str | None,
    until: str | None,
    **kwargs: Any,
) -> None:
    """Simulate a workload FILE under several policies and print one row of metrics per
    policy, the best value of each column marked '*'.  Policy options given as flags
    (--quantum 4) apply to every policy spec that takes them and does not set them itself.

    A FILE may also be a saved result ('schedsim run ... -o result.json', 'schedsim measure
    ... -o run.json'): it becomes one more row, so a measured run sits beside the
    simulations of its workload.  Results alone are compared with each other.

    \b
    Examples:
      schedsim compare workloads/classic.yaml --policies fcfs,sjf,rr:quantum=4
      schedsim compare workloads/mlfq.yaml -P rr:quantum=2,rr:quantum=8,mlfq --plot cmp.png
      schedsim compare workloads/classic.yaml --quantum 2 --context-switch 1 --format csv
      schedsim measure workloads/classic.yaml -p rr --quantum 4 -o run.json
      schedsim compare workloads/classic.yaml run.json -P rr:quantum=4
    """
    context = click.get_current_context()
    defaults = split_policy_options(kwargs)
    settings = engine_settings(**kwargs)
    limits = workload_limits(max_processes, max_file_size, until)
    try:
        rank_key = metric(rank_by).key
    except OptionError as error:
        raise OptionError(f"--rank-by: {error}") from None
    saved, workload_files = _inputs(files)
    if len(workload_files) > 1:
        raise OptionError(
            f"compare takes one workload file, got {len(workload_files)} "
            f"({', '.join(workload_files)}); 'schedsim sweep' runs a policy over several"
        )
    if not workload_files:
        simulation_flags = [
            "--" + name.replace("_", "-")
            for name in (
                "specs",
                *defaults,
                "cpus",
                "context_switch",
                "ties",
                "seed",
                "locks",
                "on_miss",
                "until",
            )
            if _given(context, name)
        ]
        if simulation_flags:
            flags = ", ".join(simulation_flags).replace("--specs", "--policies")
            verb = "these choose" if len(simulation_flags) > 1 else "this chooses"
            raise OptionError(
                f"{flags}: {verb} what to simulate, and no workload file was given; give one too"
            )
    policies = (
        build_policies(specs if specs is not None else ",".join(REGISTRY), defaults)
        if workload_files
        else []
    )
    outputs = Outputs(inputs=[*workload_files, *(path for path, _ in saved)])
    if plot is not None:
        image_format(plot)
        outputs.check(plot)
        _check_timelines(saved)
    comparison = None
    workload = None
    if workload_files:
        workload = load_workload(workload_files[0], **limits)
        if plot is not None:
            tasks = len(workload.realtime.tasks) if workload.realtime is not None else None
            if plot_by == "task" and tasks is None:
                raise OptionError(
                    "--plot-by task: the workload has no real-time tasks; draw one row per "
                    "process or per CPU"
                )
            rows = chart_rows(plot_by or "cpu", len(workload), settings["cpus"], tasks)
            check_chart_size(rows * (len(policies) + len(saved)))
        charted = plot is not None
        comparison = compare_policies(
            workload, policies, rank_by=rank_key, timeline=charted, records=charted, **settings
        )
    comparison = compare_saved(saved, comparison, workload=workload, rank_by=rank_key)
    if plot is not None:
        with outputs:
            save_comparison_plot(comparison, plot, by=plot_by, outputs=outputs)
    if output_format == "json":
        click.echo(comparison.to_json(), nl=False)
    elif output_format == "csv":
        click.echo(comparison.to_csv(), nl=False)
    else:
        click.echo(
            comparison_table(comparison, color=sys.stdout is not None and sys.stdout.isatty()),
            nl=False,
        )


def _inputs(files: tuple[str, ...]) -> tuple[list[tuple[str, Result]], list[str]]:
    """Split the FILE arguments into saved results (read and checked) and workload files."""
    saved: list[tuple[str, Result]] = []
    workloads: list[str] = []
    for path in files:
        fields = saved_result_fields(path)
        if fields is None:
            workloads.append(path)
        else:
            saved.append((path, Result(**fields)))
    return saved, workloads


def _check_timelines(saved: list[tuple[str, Result]]) -> None:
    for path, result in saved:
        if result.timeline is None:
            raise OptionError(
                f"--plot: {path} was saved without its timeline (--no-timeline), so it cannot "
                "be drawn; save it again without that flag, or drop --plot"
            )


def _given(context: click.Context, name: str) -> bool:
    """Whether the user set this option (rather than leaving its default)."""
    return context.get_parameter_source(name) not in (None, ParameterSource.DEFAULT)
