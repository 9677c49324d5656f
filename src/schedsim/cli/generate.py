"""``schedsim generate``: write a random workload drawn from distributions."""

from __future__ import annotations

import textwrap
from pathlib import Path

import click

from schedsim.atomic import Outputs
from schedsim.cli.common import FLOAT, INTEGER
from schedsim.errors import OptionError
from schedsim.generate import (
    DEFAULT_BURSTS,
    PRESETS,
    generate_workload,
    summary,
    target_load,
)
from schedsim.limits import MAX_GENERATED_PROCESSES
from schedsim.loaders import SUPPORTED_EXTENSIONS, save_workload, workload_to_yaml
from schedsim.realtime.generate import (
    DEFAULT_PERIODS,
    DEFAULT_TASKS,
    DEFAULT_UTILISATION,
    generate_tasks,
    task_summary,
    tasks_document,
)

HELP = """Generate a random workload: arrival times, CPU and I/O bursts and attributes drawn
from distributions, with one seed (same options and seed, byte-identical file).

\b
Examples:
  schedsim generate --processes 200 --arrivals poisson:rate=0.08 \\
      --bursts lognormal:mean=8,sigma=1 --io 'fraction=0.3,bursts=exponential:mean=5' \\
      --priorities uniform:0..7 --seed 42 -o workloads/generated.yaml
  schedsim generate --processes 100000 --load 0.9 -o big.csv
  schedsim generate --preset interactive-batch --load 0.9 --cpus 2 -o mixed.csv
  schedsim generate -n 6 --arrivals batch --bursts uniform:1..10 --integer

\b
Distributions (DIST):
  exponential:mean=M        uniform:low=A,high=B      uniform:0..7 (whole numbers)
  normal:mean=M,sd=S (values <= 0 redrawn)          lognormal:mean=M,sigma=S (M = its mean)
  pareto:alpha=A,min=X      constant:V                mix:0.8*DIST,0.2*DIST

\b
Arrivals: batch (all at 0), poisson:rate=R, or a DIST of gaps between arrivals; the first
process arrives at 0.  --load L picks the Poisson rate that keeps L x --cpus CPUs busy,
and scales the gaps so that the bursts drawn offer exactly that load.
Times are rounded to 4 decimals; --integer rounds them up to whole numbers instead.
The summary line goes to standard error; without -o the YAML goes to standard output.

\b
Periodic tasks (--periodic): -n tasks T1..Tn with utilisations drawn by UUniFast to add up
to --utilisation (default 0.7), periods log-uniform in --periods (default 10..100),
deadlines equal to periods; YAML or JSON only.
  schedsim generate --periodic -n 5 --utilisation 0.9 --periods 10..1000 --integer --seed 3
"""


def _presets_help() -> str:
    """The presets section of the help, built from the presets themselves."""
    lines = ["\b", "Presets (--preset NAME; options you give override the preset's):"]
    for preset in PRESETS.values():
        lines.append(f"  {preset.name}")
        lines.extend(
            textwrap.wrap(
                preset.description + ".", 88, initial_indent=" " * 4, subsequent_indent=" " * 4
            )
        )
        lines.extend(f"    {setting}" for setting in preset.settings())
    return "\n".join(lines)


@click.command(help=HELP + "\n" + _presets_help())
@click.option(
    "--processes",
    "-n",
    type=INTEGER,
    default=None,
    help="how many processes, P1..Pn (default 100, or the preset's; "
    f"at most {MAX_GENERATED_PROCESSES:,})",
)
@click.option(
    "--arrivals",
    metavar="SPEC",
    default=None,
    help="batch, poisson:rate=R, or a DIST of inter-arrival gaps",
)
@click.option(
    "--load",
    type=FLOAT,
    default=None,
    metavar="L",
    help="instead of a rate: Poisson arrivals offering load L per CPU (e.g. 0.8)",
)
@click.option(
    "--cpus",
    type=INTEGER,
    default=1,
    show_default=True,
    help="CPUs the --load is meant for (and the summary uses)",
)
@click.option(
    "--bursts",
    metavar="DIST",
    default=None,
    help=f"CPU burst lengths (default {DEFAULT_BURSTS}, or the preset's)",
)
@click.option(
    "--io",
    metavar="SPEC",
    default=None,
    help="'fraction=F,bursts=DIST,count=K': round(F*n) processes get K I/O bursts each "
    "(F and K default to 1; K may be a whole-number distribution such as uniform:1..5, drawn "
    "per process); 'none' for no I/O",
)
@click.option("--priorities", metavar="DIST", default=None, help="priority, whole numbers")
@click.option("--tickets", metavar="DIST", default=None, help="lottery tickets, whole numbers >= 1")
@click.option("--nice", metavar="DIST", default=None, help="nice values, whole numbers -20..19")
@click.option("--preset", metavar="NAME", default=None, help="start from a preset (see below)")
@click.option("--seed", type=INTEGER, default=0, show_default=True, help="random seed (>= 0)")
@click.option(
    "--integer", is_flag=True, help="round times up to whole numbers (bursts >= 1), as in textbooks"
)
@click.option(
    "--periodic",
    is_flag=True,
    help="generate periodic tasks instead (-n tasks, --utilisation, --periods)",
)
@click.option(
    "--utilisation",
    "--utilization",
    "utilisation",
    type=FLOAT,
    default=None,
    metavar="U",
    help=f"--periodic: total utilisation of the tasks (default {DEFAULT_UTILISATION:g})",
)
@click.option(
    "--periods",
    default=None,
    metavar="LOW..HIGH",
    help="--periodic: periods are log-uniform in this range (default 10..100)",
)
@click.option("--name", default="generated", show_default=True, help="the workload's name")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False),
    default=None,
    help="write here (.yaml, .yml, .json, .csv or .npz); default: YAML on standard output",
)
def generate(
    processes: int | None,
    arrivals: str | None,
    load: float | None,
    cpus: int,
    bursts: str | None,
    io: str | None,
    priorities: str | None,
    tickets: str | None,
    nice: str | None,
    preset: str | None,
    seed: int,
    integer: bool,
    periodic: bool,
    utilisation: float | None,
    periods: str | None,
    name: str,
    output: str | None,
) -> None:
    if periodic:
        given = {
            "--arrivals": arrivals,
            "--load": load,
            "--bursts": bursts,
            "--io": io,
            "--priorities": priorities,
            "--tickets": tickets,
            "--nice": nice,
            "--preset": preset,
        }
        _periodic(
            [flag for flag, value in given.items() if value is not None],
            processes,
            utilisation,
            periods,
            seed,
            integer,
            name,
            output,
        )
        return
    for flag, value in (("--utilisation", utilisation), ("--periods", periods)):
        if value is not None:
            raise OptionError(f"{flag}: only with --periodic")
    if output is not None:
        if Path(output).suffix.lower() not in SUPPORTED_EXTENSIONS:
            raise OptionError(
                f"--output {output}: unknown format; use one of {', '.join(SUPPORTED_EXTENSIONS)}"
            )
        Outputs().check(output)
    workload = generate_workload(
        processes=processes,
        arrivals=arrivals,
        bursts=bursts,
        io=io,
        priorities=priorities,
        tickets=tickets,
        nice=nice,
        seed=seed,
        load=load,
        cpus=cpus,
        name=name,
        integer=integer,
        preset=preset,
    )
    target = target_load(preset=preset, arrivals=arrivals, load=load)
    if output is None:
        click.echo(workload_to_yaml(workload), nl=False)
    else:
        save_workload(workload, output)
    click.echo(summary(workload, cpus=cpus, load=target), err=True)


def _periodic(
    conflicting: list[str],
    count: int | None,
    utilisation: float | None,
    periods: str | None,
    seed: int,
    integer: bool,
    name: str,
    output: str | None,
) -> None:
    """``generate --periodic``: a task set on standard output or in a YAML/JSON file."""
    if conflicting:
        raise OptionError(
            f"{', '.join(conflicting)}: not with --periodic (periodic tasks take -n, "
            "--utilisation, --periods, --seed, --integer)"
        )
    outputs = Outputs()
    if output is not None:
        if Path(output).suffix.lower() not in (".yaml", ".yml", ".json"):
            raise OptionError(
                f"--output {output}: periodic tasks are written as .yaml, .yml or .json"
            )
        outputs.check(output)
    target = DEFAULT_UTILISATION if utilisation is None else utilisation
    tasks = generate_tasks(
        DEFAULT_TASKS if count is None else count,
        target,
        periods=periods or DEFAULT_PERIODS,
        seed=seed,
        integer=integer,
    )
    json_format = output is not None and output.lower().endswith(".json")
    text = tasks_document(tasks, name, json_format=json_format)
    if output is None:
        click.echo(text, nl=False)
    else:
        with outputs:
            outputs.write(output, text)
    click.echo(task_summary(tasks, name, target), err=True)
