"""``schedsim report``: one self-contained HTML page of a workload under several policies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from schedsim.api import load_workload
from schedsim.atomic import check_writable
from schedsim.cli.common import (
    engine_options,
    engine_settings,
    policy_options,
    split_policy_options,
    workload_limit_options,
    workload_limits,
)
from schedsim.errors import OptionError
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
    help="policies to report, e.g. 'fcfs,sjf,rr:quantum=2,mlfq' (default: every policy; see "
    "'Policy specs' in the README)",
)
@click.option(
    "--output",
    "-o",
    metavar="FILE.html",
    required=True,
    help="the page to write (one self-contained file: it needs no network to open)",
)
@policy_options
@engine_options
@workload_limit_options
def report(
    workload_file: str,
    specs: str | None,
    output: str,
    max_processes: str | None,
    max_file_size: str | None,
    **kwargs: Any,
) -> None:
    """Write one HTML page of FILE under each policy: the workload, each policy's interactive
    Gantt chart (hover a slice for its times and why it ended, click a process to highlight
    it, wheel to zoom), per-process and summary tables, and the comparison table and bars.

    \b
    Examples:
      schedsim report workloads/classic.yaml --policies fcfs,sjf,rr:quantum=2,mlfq -o report.html
      schedsim report workloads/mlfq.yaml -P mlfq:quantum=1/2/4 -o mlfq.html
    """
    from schedsim.compare import compare_policies
    from schedsim.html_report import comparison_report, save_report

    if Path(output).suffix.lower() not in (".html", ".htm"):
        raise OptionError(f"--output {output}: a report is a web page; name it FILE.html")
    check_writable(output, inputs=[workload_file])
    defaults = split_policy_options(kwargs)
    settings = engine_settings(**kwargs)
    limits = workload_limits(max_processes, max_file_size)
    policies = build_policies(specs if specs is not None else ",".join(REGISTRY), defaults)
    workload = load_workload(workload_file, **limits)
    comparison = compare_policies(workload, policies, **settings)
    save_report(output, comparison_report(comparison, workload))
    click.echo(f"{output}: {len(policies)} {'policy' if len(policies) == 1 else 'policies'}")
