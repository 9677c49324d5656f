"""``schedsim compare``: run several policies on one workload and rank them."""

from __future__ import annotations

import sys
from typing import Any

import click

from schedsim.api import load_workload
from schedsim.atomic import Outputs
from schedsim.cli.common import (
    engine_options,
    engine_settings,
    format_option,
    policy_options,
    split_policy_options,
    workload_limit_options,
    workload_limits,
)
from schedsim.compare import compare_policies, comparison_table, metric, save_comparison_plot
from schedsim.errors import OptionError
from schedsim.gantt import VIEWS, chart_rows, check_chart_size, image_format
from schedsim.policies import REGISTRY
from schedsim.policy_spec import build_policies


@click.command()
@click.argument("workload_file", metavar="FILE", type=click.Path(dir_okay=False))
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
@click.option(
    "--rank-by",
    default="turnaround",
    show_default=True,
    metavar="METRIC",
    help="metric that ranks the policies: turnaround, waiting, response, p95_waiting, "
    "p95_response, throughput, utilisation, switches",
)
@format_option("table", "json", "csv")
@click.option(
    "--plot",
    type=click.Path(dir_okay=False),
    default=None,
    help="also draw every policy's Gantt chart on one time axis plus bar charts (.png, .svg, .pdf)",
)
@click.option(
    "--plot-by",
    type=click.Choice(VIEWS),
    default=None,
    help="rows of the plotted charts: per CPU (default, compact) or per process",
)
@workload_limit_options
def compare(
    workload_file: str,
    specs: str | None,
    rank_by: str,
    output_format: str,
    plot: str | None,
    plot_by: str | None,
    max_processes: str | None,
    max_file_size: str | None,
    **kwargs: Any,
) -> None:
    """Simulate FILE under several policies and print one row of metrics per policy, the
    best value of each column marked '*'.  Policy options given as flags (--quantum 4) apply
    to every policy spec that takes them and does not set them itself.

    \b
    Examples:
      schedsim compare workloads/classic.yaml --policies fcfs,sjf,rr:quantum=4
      schedsim compare workloads/mlfq.yaml -P rr:quantum=2,rr:quantum=8,mlfq --plot cmp.png
      schedsim compare workloads/classic.yaml --quantum 2 --context-switch 1 --format csv
    """
    defaults = split_policy_options(kwargs)
    settings = engine_settings(**kwargs)
    limits = workload_limits(max_processes, max_file_size)
    policies = build_policies(specs if specs is not None else ",".join(REGISTRY), defaults)
    try:
        rank_key = metric(rank_by).key
    except OptionError as error:
        raise OptionError(f"--rank-by: {error}") from None
    outputs = Outputs(inputs=[workload_file])
    if plot is not None:
        image_format(plot)
        outputs.check(plot)
    workload = load_workload(workload_file, **limits)
    if plot is not None:
        rows = chart_rows(plot_by or "cpu", len(workload), settings["cpus"])
        check_chart_size(rows * len(policies))
    charted = plot is not None
    comparison = compare_policies(
        workload, policies, rank_by=rank_key, timeline=charted, records=charted, **settings
    )
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
