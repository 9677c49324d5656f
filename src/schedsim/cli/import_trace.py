"""``schedsim import``: a real Linux scheduling trace (perf or ftrace text) as a workload."""

from __future__ import annotations

import click

from schedsim.errors import OptionError


@click.command("import")
@click.argument("trace_file", metavar="TRACE", type=click.Path(dir_okay=False))
@click.option(
    "--output",
    "-o",
    default=None,
    metavar="FILE",
    help="workload file to write (.yaml, .json, .csv, .npz); default: YAML on standard output",
)
@click.option(
    "--comm",
    "commands",
    multiple=True,
    metavar="NAME",
    help="import only tasks with this name (a glob such as 'python*'; repeatable)",
)
@click.option(
    "--pid",
    "pids",
    multiple=True,
    type=int,
    metavar="PID",
    help="import only this task (repeatable)",
)
@click.option(
    "--start",
    type=float,
    default=None,
    metavar="SECONDS",
    help="ignore events before this trace time",
)
@click.option(
    "--end", type=float, default=None, metavar="SECONDS", help="ignore events after this trace time"
)
@click.option(
    "--unit",
    default="1ms",
    show_default=True,
    metavar="DURATION",
    help="real length of one time unit of the workload: 1ms, 100us, 0.01s",
)
@click.option(
    "--precision",
    type=click.IntRange(0, 9),
    default=3,
    show_default=True,
    help="decimals kept in the workload's times",
)
def import_trace_command(
    trace_file: str,
    output: str | None,
    commands: tuple[str, ...],
    pids: tuple[int, ...],
    start: float | None,
    end: float | None,
    unit: str,
    precision: int,
) -> None:
    """Turn a Linux scheduling trace into a workload: one process per task, its CPU bursts
    from the times it ran, its I/O from the times it slept (prev_state S or D) until woken,
    its arrival when it first appears.  The idle task is left out.  Then replay what the
    machine ran under any policy.

    TRACE is the text of `perf sched script` (or `perf script` with the sched events) or of
    ftrace's trace file with sched_switch and sched_wakeup on.

    \b
    Examples:
      perf sched record -- make -j2 && perf sched script > trace.txt
      schedsim import trace.txt --comm 'cc1*' -o build.yaml
      schedsim run build.yaml --policy mlfq
    """
    from schedsim.loaders import save_workload, workload_to_yaml
    from schedsim.trace_events import parse_trace_unit
    from schedsim.trace_import import TraceSelection, import_trace

    if start is not None and end is not None and end <= start:
        raise OptionError(f"--end {end} must be after --start {start}")
    seconds = parse_trace_unit(unit)
    if output is not None:
        from pathlib import Path

        from schedsim.atomic import check_writable
        from schedsim.loaders import SUPPORTED_EXTENSIONS

        if Path(output).suffix.lower() not in SUPPORTED_EXTENSIONS:
            formats = ", ".join(SUPPORTED_EXTENSIONS)
            raise OptionError(f"--output {output}: name the workload with one of {formats}")
        check_writable(output, inputs=[trace_file])
    selection = TraceSelection(tuple(commands), tuple(pids), start, end)
    imported = import_trace(
        trace_file, selection=selection, unit_seconds=seconds, precision=precision
    )
    if output is None:
        click.echo(workload_to_yaml(imported.workload), nl=False)
    else:
        save_workload(imported.workload, output)
    click.echo(imported.describe(trace_file), err=True)
