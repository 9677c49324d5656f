"""``schedsim compare-executors``: one workload run as processes, threads and coroutines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from schedsim.api import load_workload
from schedsim.atomic import Outputs
from schedsim.cli.common import policy_options, split_policy_options
from schedsim.cli.measure import FORMATS, _choice, _integer, _positive
from schedsim.errors import OptionError
from schedsim.real.executor_comparison import (
    compare_executors,
    render_executor_comparison,
    save_executor_comparison_plot,
)
from schedsim.real.kernel import KERNEL_POLICIES
from schedsim.real.measure import MODES
from schedsim.real.plan import DEFAULT_MAX_PROCESSES, DEFAULT_MAX_SECONDS, DEFAULT_UNIT


@click.command("compare-executors")
@click.argument("workload_file", metavar="FILE", type=click.Path(dir_okay=False))
@click.option(
    "--policy",
    "-p",
    "policy_name",
    default=None,
    help="the policy the processes run under (dispatch mode; default fcfs)",
)
@policy_options
@click.option("--cpus", default="1", metavar="N", show_default=True, help="CPUs = real cores used")
@click.option(
    "--unit",
    default=DEFAULT_UNIT,
    metavar="DURATION",
    show_default=True,
    help="real length of one time unit: 10ms, 0.5s, 200us (a bare number is seconds)",
)
@click.option(
    "--mode",
    default="dispatch",
    metavar="dispatch|kernel",
    show_default=True,
    help="processes: schedsim's policy decides, or Linux does",
)
@click.option(
    "--kernel-policy",
    "kernel_policy",
    default="other",
    metavar="other|fifo|rr",
    show_default=True,
    help="processes in kernel mode: SCHED_OTHER, SCHED_FIFO or SCHED_RR",
)
@click.option(
    "--format",
    "output_format",
    default="table",
    metavar="table|json",
    show_default=True,
    help="what to print on standard output",
)
@click.option(
    "--plot",
    "plot_file",
    default=None,
    metavar="IMAGE",
    help="draw the three measured schedules on one time axis (.png, .svg or .pdf)",
)
@click.option(
    "--max-seconds",
    default=str(DEFAULT_MAX_SECONDS),
    metavar="S",
    show_default=True,
    help="refuse a run estimated to take longer (real seconds, for each executor)",
)
@click.option(
    "--max-processes",
    default=str(DEFAULT_MAX_PROCESSES),
    metavar="N",
    show_default=True,
    help="refuse workloads with more processes",
)
def compare_executors_command(
    workload_file: str,
    policy_name: str | None,
    cpus: str,
    unit: str,
    mode: str,
    kernel_policy: str,
    output_format: str,
    plot_file: str | None,
    max_seconds: str,
    max_processes: str,
    **kwargs: Any,
) -> None:
    """Run FILE three ways — as worker processes, as threads of one process, as coroutines
    on one event loop — and compare each with its own model in one table: makespan, mean
    turnaround, CPU utilisation across the cores, turnaround error.

    Processes run under --policy (dispatch mode) or Linux (--mode kernel); threads are
    compared with the gil policy, coroutines with the asyncio policy.  Each policy option
    goes to every executor whose policy takes it (--quantum to the processes' rr,
    --switch-interval to threads, --yield-every to asyncio).

    \b
    Examples:
      schedsim compare-executors workloads/four_equal.yaml --cpus 2
      schedsim compare-executors workloads/interactive_batch.yaml --plot executors.png
      schedsim compare-executors workloads/classic.yaml -p rr --quantum 4 --yield-every 4
    """
    options = {k: v for k, v in split_policy_options(kwargs).items() if v is not None}
    _choice("--mode", mode, MODES)
    _choice("--format", output_format, FORMATS)
    if mode == "kernel":
        _choice("--kernel-policy", kernel_policy, KERNEL_POLICIES)
        if policy_name is not None:
            raise OptionError(
                "--policy applies to --mode dispatch; in kernel mode Linux decides "
                "(choose its class with --kernel-policy)"
            )
    if plot_file is not None:
        from schedsim.gantt import FORMATS as IMAGE_FORMATS

        if Path(plot_file).suffix.lower() not in IMAGE_FORMATS:
            raise OptionError(
                f"--plot {plot_file}: name the image with one of {', '.join(IMAGE_FORMATS)}"
            )
        Outputs(inputs=[workload_file]).check(plot_file)
    comparison = compare_executors(
        load_workload(workload_file),
        policy=policy_name,
        cpus=_integer("--cpus", cpus),
        unit=unit,
        mode=mode,
        kernel_policy=kernel_policy,
        max_seconds=_positive("--max-seconds", max_seconds),
        max_processes=_integer("--max-processes", max_processes),
        **options,
    )
    if plot_file is not None:
        save_executor_comparison_plot(comparison, plot_file)
    if output_format == "json":
        click.echo(comparison.to_json(), nl=False)
    else:
        click.echo(render_executor_comparison(comparison), nl=False)
    for warning in comparison.warnings():
        click.echo(warning, err=True)
