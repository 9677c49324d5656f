"""``schedsim measure``: run a workload on real worker processes and compare with the simulation."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from schedsim.api import load_workload
from schedsim.atomic import Outputs
from schedsim.cli.common import (
    build_policy,
    check_trace_file,
    policy_options,
    split_policy_options,
    trace_option,
)
from schedsim.engine import ON_MISS, TIES
from schedsim.errors import EXIT_DEADLOCK, OptionError
from schedsim.loaders import check_until
from schedsim.real.compare import (
    disturbance_warnings,
    render_comparison,
    save_comparison_gantt,
)
from schedsim.real.executors import EXECUTORS, HOSTED, refuse_processes_options
from schedsim.real.measure import KERNEL_CLASSES, MODES, PREEMPTIONS, default_preemption, measure
from schedsim.real.plan import DEFAULT_MAX_PROCESSES, DEFAULT_MAX_SECONDS, DEFAULT_UNIT
from schedsim.sync import LOCK_PROTOCOLS

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
    "--locks",
    type=click.Choice(LOCK_PROTOCOLS),
    default="none",
    show_default=True,
    help="lock protocol for processes that synchronise (as in 'schedsim run'); the workers "
    "use real multiprocessing locks, semaphores, events and queues",
)
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
    metavar="other|fifo|rr|deadline",
    show_default=True,
    help="kernel mode: SCHED_OTHER, SCHED_FIFO, SCHED_RR, or SCHED_DEADLINE for periodic "
    "tasks (compared with edf; --cpus 1 or every CPU)",
)
@click.option(
    "--until",
    metavar="T",
    default=None,
    help="periodic tasks release jobs before time T (default: one hyperperiod)",
)
@click.option(
    "--on-miss",
    "on_miss",
    default="continue",
    metavar="continue|abort-job",
    show_default=True,
    help="what a missed deadline does (abort-job: --kernel-policy deadline only)",
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
    help="what to print.  table: each process simulated vs measured, and a summary.  json: "
    "the measured result that --output saves (the result format of 'schedsim run', with "
    "the comparison in 'extra.comparison' and 'extra.disturbed'); warnings go to standard "
    "error in both",
)
@click.option(
    "--output",
    "-o",
    default=None,
    metavar="FILE.json",
    help="save the measured result, as --format json prints it (for gantt and compare)",
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
    locks: str,
    until: str | None,
    on_miss: str,
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
      schedsim measure workloads/silberschatz_edf.yaml --mode kernel --kernel-policy deadline
    """
    given_options = {k: v for k, v in split_policy_options(kwargs).items() if v is not None}
    _choice("--executor", executor, tuple(EXECUTORS))
    _choice("--format", output_format, FORMATS)
    _choice("--ties", ties, TIES)
    _choice("--on-miss", on_miss, ON_MISS)
    hosted = executor in HOSTED
    if hosted:
        refuse_processes_options(executor, _processes_only_flags())
    elif mode == "kernel":
        _choice("--kernel-policy", kernel_policy, KERNEL_CLASSES)
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
        _choice("--mode", mode, MODES)
        _choice("--preemption", preemption or default_preemption(), PREEMPTIONS)
    outputs = Outputs(inputs=[workload_file])
    if output is not None:
        if Path(output).suffix.lower() != ".json":
            raise OptionError(f"--output {output}: the measured result is saved as .json")
        outputs.check(output)
    if gantt_file is not None:
        from schedsim.gantt import FORMATS as IMAGE_FORMATS

        if Path(gantt_file).suffix.lower() not in IMAGE_FORMATS:
            raise OptionError(
                f"--gantt {gantt_file}: name the image with one of {', '.join(IMAGE_FORMATS)}"
            )
        outputs.check(gantt_file)
    check_trace_file(trace_file, outputs)
    if report_file is not None:
        if Path(report_file).suffix.lower() not in (".html", ".htm"):
            raise OptionError(f"--report {report_file}: a report is a web page; name it FILE.html")
        outputs.check(report_file)
    policy = (
        build_policy(policy_name or "fcfs", given_options)
        if mode == "dispatch" and not hosted
        else None
    )
    horizon = check_until(until) if until is not None else None
    workload = (
        load_workload(workload_file)
        if horizon is None
        else load_workload(workload_file, until=horizon)
    )
    measurement = measure(
        workload,
        policy,
        executor=executor,
        cpus=_integer("--cpus", cpus),
        unit=unit,
        mode=mode,
        kernel_policy=kernel_policy,
        preemption=preemption,
        ties=ties,
        seed=_integer("--seed", seed, minimum=None),
        max_seconds=_positive("--max-seconds", max_seconds),
        max_processes=_integer("--max-processes", max_processes),
        locks=locks,
        on_miss=on_miss,
        **(given_options if hosted else {}),
    )
    document = measurement.measured.to_json()  # the saved file and --format json alike
    with outputs:  # every file, or none
        if output is not None:
            outputs.write(output, document)
        if report_file is not None:
            from schedsim.html_report import measurement_report

            page = measurement_report(measurement.simulated, measurement.measured, workload)
            outputs.write(report_file, page)
        if trace_file is not None:
            from schedsim.trace_events import run_label, trace_json, unit_of

            runs = [measurement.simulated, measurement.measured]
            timeline = trace_json(
                [(run_label(run), run) for run in runs], unit_seconds=unit_of(measurement.measured)
            )
            outputs.write(trace_file, timeline)
        if gantt_file is not None:
            save_comparison_gantt(measurement.comparison, gantt_file, outputs=outputs)
    if output_format == "json":
        click.echo(document, nl=False)
    else:
        click.echo(render_comparison(measurement.comparison), nl=False)
    for warning in disturbance_warnings(measurement.measured):
        click.echo(warning, err=True)
    deadlock = measurement.measured.deadlock
    if deadlock is not None:  # the workers really blocked: they were ended; exit 3 says so
        click.echo(f"Deadlock (measured): {deadlock['message']}", err=True)
        raise SystemExit(EXIT_DEADLOCK)


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
            ("--locks", "locks"),
        )
        if context.get_parameter_source(name) is ParameterSource.COMMANDLINE
    ]


def _choice(flag: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        close = difflib.get_close_matches(value.lower(), choices, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise OptionError(f"{flag}: choose one of {', '.join(choices)}, got {value!r}{hint}")


def _integer(flag: str, text: str, *, minimum: int | None = 1) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise OptionError(f"{flag}: expected a whole number, got {text!r}") from None
    if minimum is not None and value < minimum:
        raise OptionError(f"{flag}: must be >= {minimum}, got {text!r}")
    return value


def _positive(flag: str, text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise OptionError(f"{flag}: expected a number of seconds, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise OptionError(f"{flag}: must be a finite number > 0, got {text!r}")
    return value
