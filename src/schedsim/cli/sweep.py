"""``schedsim sweep``: one policy over a grid of option values, seeds and workloads, run on a
local process pool or a Dask cluster."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from schedsim.atomic import Outputs
from schedsim.cli.common import (
    INTEGER,
    engine_options,
    engine_settings,
    format_option,
    policy_options,
    realtime_options,
    split_policy_options,
)
from schedsim.compare import metric
from schedsim.errors import OptionError
from schedsim.gantt import image_format
from schedsim.loaders import check_until
from schedsim.sweep import (
    ENGINE_PARAMETERS,
    Progress,
    parse_seeds,
    parse_vary_specs,
    plan_sweep,
    run_sweep,
    save_sweep_plot,
    sweep_csv,
    sweep_json,
    sweep_table,
)


@click.command()
@click.argument(
    "workload_files", metavar="FILE...", nargs=-1, required=True, type=click.Path(dir_okay=False)
)
@click.option(
    "--policy",
    "-p",
    "policy_name",
    default="fcfs",
    show_default=True,
    help="scheduling policy (see 'schedsim policies')",
)
@click.option(
    "--vary",
    "vary_specs",
    multiple=True,
    metavar="NAME=VALUES",
    help="a policy option or engine setting (cpus, context_switch, ties) and its values: "
    "a comma list and/or whole-number ranges A..B, e.g. quantum=1..8 or cpus=1,2 "
    "(MLFQ lists with '/': quantum=1/2/4,2/4/8); repeat for a grid",
)
@click.option(
    "--seeds",
    default=None,
    metavar="SEEDS",
    help="run every point with each of these seeds, e.g. 0..9 or 1,5,7 (default: --seed)",
)
@policy_options
@engine_options
@realtime_options
@click.option(
    "--max-slices",
    type=INTEGER,
    default=None,
    help="refuse or stop a run past this many slices (default 200 million)",
)
@click.option(
    "--jobs",
    "-j",
    type=INTEGER,
    default=None,
    help="worker processes (default: one per CPU); 1 runs in this process",
)
@click.option(
    "--dask",
    "dask_address",
    default=None,
    metavar="ADDRESS|local",
    help="run on the Dask scheduler at ADDRESS (tcp://host:8786; workers must see the "
    "workload files at the same path), or 'local' for a Dask cluster on this machine",
)
@format_option(
    "table",
    "csv",
    "json",
    help="what to print.  table: a title line, one row per run (or per point, mean ± sd over "
    "the seeds) with the varied values and the metrics of 'compare'.  csv: a header line and "
    "the same rows (aggregated: a _mean and an _sd column per metric).  json: the version, "
    "policy, fixed options and settings, parameters, seeds, every run's full summary and, "
    "aggregated, each point's mean and sd",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False),
    default=None,
    help="also save the results: .csv or .json",
)
@click.option(
    "--aggregate/--no-aggregate",
    default=None,
    help="one row per point with mean ± standard deviation over the seeds "
    "(default: on with several seeds)",
)
@click.option(
    "--plot",
    type=click.Path(dir_okay=False),
    default=None,
    help="also draw --metric against the first varied parameter, one line per value of the "
    "others (.png, .svg, .pdf)",
)
@click.option(
    "--metric",
    "metric_name",
    default="avg_turnaround",
    show_default=True,
    metavar="METRIC",
    help="metric --plot draws: turnaround, waiting, response, p95_response, throughput, "
    "utilisation, switches, ...",
)
def sweep(
    workload_files: tuple[str, ...],
    policy_name: str,
    vary_specs: tuple[str, ...],
    seeds: str | None,
    max_slices: int | None,
    jobs: int | None,
    dask_address: str | None,
    output_format: str,
    output: str | None,
    aggregate: bool | None,
    plot: str | None,
    metric_name: str,
    until: str | None,
    **kwargs: Any,
) -> None:
    """Simulate FILE... under one policy for every combination of the --vary values and
    seeds, and print one row of summary metrics per point, in grid order.  Runs on a local
    process pool, or on Dask with --dask.  The output is the same however it runs.

    \b
    Examples:
      schedsim sweep workloads/interactive_batch.yaml -p rr --vary quantum=1..8
      schedsim sweep workloads/*.yaml -p rr --vary quantum=1,2,4,8 --vary cpus=1,2 --format csv
      schedsim sweep big.csv -p lottery --vary quantum=1..4 --seeds 0..9 --plot lottery.png
      schedsim sweep big.csv -p rr --vary quantum=1..32 --dask tcp://scheduler:8786
    """
    context = click.get_current_context()
    fixed_options = split_policy_options(kwargs)
    vary = parse_vary_specs(vary_specs)
    for name in ENGINE_PARAMETERS:
        if name in vary and _given(context, name):
            flag = "--" + name.replace("_", "-")
            raise OptionError(f"--vary {name}: {flag} is also given; give one of them")
    if seeds is not None and _given(context, "seed"):
        raise OptionError("--seeds: --seed is also given; give one of them")
    settings = engine_settings(**kwargs)
    chosen_metric = _metric(metric_name)
    executor = _executor(dask_address, jobs)
    outputs = Outputs(inputs=workload_files)
    _check_outputs(outputs, output, plot, varied=bool(vary))
    points = plan_sweep(
        workload_files,
        policy_name,
        vary,
        seeds=parse_seeds(seeds) if seeds is not None else (settings.pop("seed"),),
        options=fixed_options,
        cpus=settings["cpus"],
        context_switch=settings["context_switch"],
        ties=settings["ties"],
        locks=settings["locks"],
        on_miss=settings.get("on_miss", "continue"),
        until=check_until(until) if until is not None else None,
        max_slices=max_slices,
    )
    with progress_bar(len(points)) as advance:
        results = run_sweep(points, executor=executor, jobs=jobs, progress=advance)
    aggregated = aggregate if aggregate is not None else len({p.seed for p in points}) > 1
    with outputs:  # both files, or neither
        if plot is not None:
            save_sweep_plot(results, plot, metric_key=chosen_metric, outputs=outputs)
        if output is not None:
            saved = sweep_json if output.lower().endswith(".json") else sweep_csv
            outputs.write(output, saved(results, aggregated=aggregated))
    if output_format == "json":
        click.echo(sweep_json(results, aggregated=aggregated), nl=False)
    elif output_format == "csv":
        click.echo(sweep_csv(results, aggregated=aggregated), nl=False)
    else:
        click.echo(sweep_table(results, aggregated=aggregated), nl=False)


def _given(context: click.Context, name: str) -> bool:
    """Whether the user set this option (rather than leaving its default)."""
    return context.get_parameter_source(name) not in (None, ParameterSource.DEFAULT)


def _metric(name: str) -> str:
    try:
        return metric(name).key
    except OptionError as error:
        raise OptionError(f"--metric: {error}") from None


def _executor(dask_address: str | None, jobs: int | None) -> str:
    if jobs is not None and jobs < 1:
        raise OptionError(f"--jobs: must be a whole number >= 1, got {jobs}")
    if dask_address is None:
        return "local"
    address = dask_address.strip()
    if address.lower() == "local":
        return "dask-local"
    if jobs is not None:
        raise OptionError(
            "--jobs: a Dask cluster's size is set by its workers; use --jobs with the local "
            "pool or --dask local"
        )
    if ":" not in address:
        raise OptionError(
            f"--dask {dask_address!r}: give a scheduler address such as tcp://host:8786, or 'local'"
        )
    return address


def _check_outputs(outputs: Outputs, output: str | None, plot: str | None, *, varied: bool) -> None:
    """Fail before the sweep runs if a requested file could not be written or drawn."""
    if output is not None:
        outputs.check(output)
        if Path(output).suffix.lower() not in (".json", ".csv"):
            raise OptionError(f"--output {output}: use a .json or .csv file name")
    if plot is not None:
        if not varied:
            raise OptionError("--plot needs at least one --vary parameter to put on the x axis")
        image_format(plot)
        outputs.check(plot)


@contextlib.contextmanager
def progress_bar(total: int) -> Iterator[Progress | None]:
    """A progress bar on standard error when it is a terminal; nothing otherwise.

    The bar refreshes from the finished-point callback (no refresh thread), at most ten
    times a second, so the local pool can still fork a single-threaded process."""
    if sys.stderr is None or not sys.stderr.isatty():  # closed, or not a terminal
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    bar = Progress(
        "sweep",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
        auto_refresh=False,
    )
    task = bar.add_task("sweep", total=total)
    last = 0.0

    def advance() -> None:
        nonlocal last
        bar.advance(task)
        now = time.monotonic()
        if now - last >= 0.1:
            last = now
            bar.refresh()

    with bar:
        bar.refresh()
        yield advance
