"""``schedsim validate``: check workload files and report every problem found."""

from __future__ import annotations

import json

import click
import numpy as np

from schedsim.cli.common import workload_limit_options, workload_limits
from schedsim.errors import EXIT_USAGE, WorkloadError, capped
from schedsim.loaders import load_workload, workload_json_schema
from schedsim.report import fmt


@click.command()
@click.argument("files", metavar="FILE...", nargs=-1)
@click.option(
    "--schema",
    is_flag=True,
    help="print the JSON Schema of YAML/JSON workload files (for editors) and exit",
)
@workload_limit_options
@click.pass_context
def validate(
    ctx: click.Context,
    files: tuple[str, ...],
    schema: bool,
    max_processes: str | None,
    max_file_size: str | None,
) -> None:
    """Check workload files (YAML, JSON, CSV, NPZ) and report every problem in each.

    Prints 'FILE: OK (...)' for each valid file and one 'Error:' line per problem
    otherwise; exits 0 when every file is valid, 2 when any is not.

    \b
    Examples:
      schedsim validate workloads/classic.yaml big.csv
      schedsim validate --schema > workload.schema.json
    """
    if schema:
        if files:
            raise click.UsageError("--schema takes no FILE arguments")
        click.echo(json.dumps(workload_json_schema(), indent=2))
        return
    if not files:
        raise click.UsageError("give at least one FILE to check (or --schema)")
    limits = workload_limits(max_processes, max_file_size)
    invalid = 0
    for path in files:
        try:
            workload = load_workload(path, **limits)
        except WorkloadError as error:
            invalid += 1
            for problem in error.problems:
                click.echo(f"Error: {capped(problem)}", err=True)
            continue
        with_io = int(np.count_nonzero(np.diff(workload.burst_offsets) > 1))
        total_cpu = fmt(workload.cpu_total().sum().item())
        click.echo(
            f"{path}: OK ({len(workload)} processes, {with_io} with I/O, total CPU {total_cpu})"
        )
    if invalid:
        ctx.exit(EXIT_USAGE)
