"""``schedsim measure``: run a workload on real worker processes and compare with the simulation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from schedsim.api import load_workload
from schedsim.atomic import check_writable, write_atomic
from schedsim.cli.common import (
    build_policy,
    check_trace_file,
    choose,
    policy_options,
    positive_seconds,
    split_policy_options,
    trace_option,
    whole_number,
)
from schedsim.engine import TIES
from schedsim.errors import OptionError
from schedsim.real.compare import render_comparison, save_comparison_gantt
from schedsim.real.executors import EXECUTORS, HOSTED, refuse_processes_options
from schedsim.real.kernel import KERNEL_POLICIES
from schedsim.real.measure import MODES, PREEMPTIONS, default_preemption, measure
from schedsim.real.plan import DEFAULT_MAX_PROCESSES, DEFAULT_MAX_SECONDS, DEFAULT_UNIT

FORMATS = ("table", "json")


@click.command("measure")
@click.argument("workload_file", metavar="FILE", type=click.Path(dir_okay=False))
@click.option(
    "--executor",
    default="processes",
    metavar="processes|threads|asyncio",
    show_default=True,
    help="each process runs as a worker process, a thread of one process (the GIL decides), "
    "or a coroutine on one event loop",
)
@click.option(
    "--policy",
    "-p",
    "policy_name",
    default=None,
    help="scheduling policy the dispatcher runs (processes, dispatch mode; default fcfs)",
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
    help="dispatch: schedsim's policy decides; kernel: Linux decides",
)
@click.option(
    "--kernel-policy",
    "kernel_policy",
    default="other",
    metavar="other|fifo|rr",
    show_default=True,
    help="kernel mode: SCHED_OTHER, SCHED_FIFO or SCHED_RR",
)
@click.option(
    "--preemption",
    default=None,
    metavar="signals|cooperative",
    help="dispatch mode: SIGSTOP/SIGCONT (default on POSIX) or workers yielding on request",
)
@click.option(
    "--ties",
    default="arrivals-first",
    metavar="arrivals-first|requeue-first",
    show_default=True,
    help="order at equal times (see README)",
)
@click.option(
    "--seed", default="0", metavar="N", show_default=True, help="seed for randomised policies"
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
    "--output",
    "-o",
    default=None,
    metavar="FILE.json",
    help="save the measured result (the format of 'schedsim run'; for gantt and compare)",
)
@click.option(
    "--gantt",
    "gantt_file",
    default=None,
    metavar="IMAGE",
    help="draw the simulated schedule above the measured one (.png, .svg or .pdf)",
)
@click.option(
    "--max-seconds",
    default=str(DEFAULT_MAX_SECONDS),
    metavar="S",
    show_default=True,
    help="refuse runs estimated to take longer (real seconds)",
)
@click.option(
    "--max-processes",
    default=str(DEFAULT_MAX_PROCESSES),
    metavar="N",
    show_default=True,
    help="refuse workloads with more processes (one worker process each)",
)
@trace_option
@click.option(
    "--report",
    "report_file",
    default=None,
    metavar="FILE.html",
    help="also write one self-contained HTML page: the measured schedule over the simulated "
    "one, and each with its tables",
)
def measure_command(
    workload_file: str,
    executor: str,
    policy_name: str | None,
    cpus: str,
    unit: str,
    mode: str,
    kernel_policy: str,
    preemption: str | None,
    ties: str,
    seed: str,
    output_format: str,
    output: str | None,
    gantt_file: str | None,
    max_seconds: str,
    max_processes: str,
    trace_file: str | None,
    report_file: str | None,
    **kwargs: Any,
) -> None:
    """Run FILE for real — burning real CPU and sleeping through real I/O — and compare per
    process with the simulation of its model.

    With --executor processes (the default) each process is a worker process: in dispatch
    mode (the default) schedsim's own policy decides who runs, against the wall clock,
    preempting with SIGSTOP/SIGCONT; in kernel mode Linux decides and the run is compared
    with the closest textbook policy.  With --executor threads each process is a thread of
    one worker process, CPython's GIL decides, and the run is compared with the gil policy
    (--switch-interval, in time units, applies to both; default CPython's 5 ms).  With
    --executor asyncio each process is a coroutine on one event loop, compared with the
    asyncio policy (--yield-every applies to both).  Nothing outlives the command, even if
    it is killed; Ctrl-C stops everything and exits with code 130.

    \b
    Examples:
      schedsim measure workloads/classic.yaml --policy rr --quantum 4
      schedsim measure workloads/classic.yaml --policy srtf --unit 5ms --gantt both.png
      schedsim measure workloads/classic.yaml --mode kernel --kernel-policy fifo
      schedsim measure workloads/classic.yaml --policy rr --trace both.trace.json
      schedsim measure workloads/classic.yaml --policy rr --report measured.html
      schedsim measure workloads/four_equal.yaml --executor threads --cpus 2
      schedsim measure workloads/classic.yaml --executor asyncio --yield-every 2
    """
    given_options = {k: v for k, v in split_policy_options(kwargs).items() if v is not None}
    choose("--executor", executor, tuple(EXECUTORS))
    choose("--format", output_format, FORMATS)
    choose("--ties", ties, TIES)
    hosted = executor in HOSTED
    if hosted:
        refuse_processes_options(executor, _processes_only_flags())
    elif mode == "kernel":
        choose("--kernel-policy", kernel_policy, KERNEL_POLICIES)
        for flag, value in (("--policy", policy_name), ("--preemption", preemption)):
            if value is not None:
                raise OptionError(
                    f"{flag} applies to --mode dispatch; in kernel mode Linux decides "
                    "(choose its class with --kernel-policy)"
                )
        if given_options:
            flags = ", ".join("--" + name.replace("_", "-") for name in given_options)
            raise OptionError(f"{flags}: policy options apply to --mode dispatch only")
    else:
        choose("--mode", mode, MODES)
        choose("--preemption", preemption or default_preemption(), PREEMPTIONS)
    if output is not None:
        if Path(output).suffix.lower() != ".json":
            raise OptionError(f"--output {output}: the measured result is saved as .json")
        check_writable(output)
    if gantt_file is not None:
        from schedsim.gantt import FORMATS as IMAGE_FORMATS

        if Path(gantt_file).suffix.lower() not in IMAGE_FORMATS:
            raise OptionError(
                f"--gantt {gantt_file}: name the image with one of {', '.join(IMAGE_FORMATS)}"
            )
        check_writable(gantt_file)
    check_trace_file(trace_file, [workload_file])
    if report_file is not None:
        if Path(report_file).suffix.lower() not in (".html", ".htm"):
            raise OptionError(f"--report {report_file}: a report is a web page; name it FILE.html")
        check_writable(report_file, inputs=[workload_file])
    policy = (
        build_policy(policy_name or "fcfs", given_options)
        if mode == "dispatch" and not hosted
        else None
    )
    workload = load_workload(workload_file)
    measurement = measure(
        workload,
        policy,
        executor=executor,
        cpus=whole_number("--cpus", cpus),
        unit=unit,
        mode=mode,
        kernel_policy=kernel_policy,
        preemption=preemption,
        ties=ties,
        seed=whole_number("--seed", seed, minimum=None),
        max_seconds=positive_seconds("--max-seconds", max_seconds),
        max_processes=whole_number("--max-processes", max_processes),
        **(given_options if hosted else {}),
    )
    timeline = None
    if trace_file is not None:
        from schedsim.trace_events import run_label, trace_json, unit_of

        runs = [measurement.simulated, measurement.measured]
        timeline = trace_json(
            [(run_label(run), run) for run in runs], unit_seconds=unit_of(measurement.measured)
        )
    page = None
    if report_file is not None:
        from schedsim.html_report import measurement_report

        page = measurement_report(measurement.simulated, measurement.measured, workload)
    if output is not None:
        write_atomic(output, measurement.measured.to_json())
    if report_file is not None and page is not None:
        write_atomic(report_file, page)
    if trace_file is not None and timeline is not None:
        write_atomic(trace_file, timeline)
    if gantt_file is not None:
        save_comparison_gantt(measurement.comparison, gantt_file)
    if output_format == "json":
        click.echo(measurement.comparison.to_json(), nl=False)
    else:
        click.echo(render_comparison(measurement.comparison), nl=False)


def _processes_only_flags() -> list[str]:
    """The options only processes take that were given on the command line."""
    context = click.get_current_context()
    return [
        flag
        for flag, name in (
            ("--policy", "policy_name"),
            ("--mode", "mode"),
            ("--kernel-policy", "kernel_policy"),
            ("--preemption", "preemption"),
        )
        if context.get_parameter_source(name) is ParameterSource.COMMANDLINE
    ]
