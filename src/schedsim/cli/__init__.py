"""The ``schedsim`` command line: a thin shell over the library.

Each command parses its options, calls the library, and renders.  Library errors
(:class:`~schedsim.errors.SchedsimError`) become one ``Error:`` line and the documented exit
code; Ctrl-C exits 130; anything unexpected is a bug and exits 70 with a one-line report.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from schedsim import __version__
from schedsim.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, SchedsimError

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


# Each command's module is imported only when that command runs (or help lists them all),
# so a command does not pay for the others' imports (matplotlib, asyncio, dask, ...).
COMMANDS = {
    "run": "schedsim.cli.run:run",
    "policies": "schedsim.cli.info:policies",
    "generate": "schedsim.cli.generate:generate",
    "gantt": "schedsim.cli.gantt:gantt",
    "compare": "schedsim.cli.compare:compare",
    "sweep": "schedsim.cli.sweep:sweep",
    "measure": "schedsim.cli.measure:measure_command",
    "compare-executors": "schedsim.cli.compare_executors:compare_executors_command",
    "validate": "schedsim.cli.validate:validate",
    "exercise": "schedsim.cli.exercise:exercise",
    "report": "schedsim.cli.report:report",
    "import": "schedsim.cli.import_trace:import_trace_command",
}


class SchedsimGroup(click.Group):
    """Turns every failure into one line and an exit code — never a traceback — and loads
    each command's module when that command is asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS and cmd_name not in self.commands:
            module, attribute = COMMANDS[cmd_name].split(":")
            command = getattr(importlib.import_module(module), attribute)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SchedsimError as error:
            click.echo(f"Error: {error}", err=True)
            ctx.exit(error.exit_code)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except BrokenPipeError:
            sys.stderr.close()
            ctx.exit(1)
        except MemoryError:
            click.echo("Error: out of memory; reduce the workload or use --summary-only", err=True)
            ctx.exit(EXIT_INTERNAL)
        except Exception as error:  # a bug in schedsim: say so briefly, never a traceback
            click.echo(
                f"Internal error: {type(error).__name__}: {_brief(error)}. This is a bug in "
                f"schedsim {__version__}; please report it with the command you ran.",
                err=True,
            )
            ctx.exit(EXIT_INTERNAL)


def _brief(error: BaseException) -> str:
    """The first line of an exception's message, at most 200 characters (it may be huge,
    or fail to render at all)."""
    try:
        text = str(error)
    except Exception:  # a message that cannot render is still worth a bug report
        return "(message cannot be shown)"
    first = text.splitlines()[0] if text else ""
    return first if len(first) <= 200 else first[:197] + "..."


@click.group(cls=SchedsimGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "-V", "--version", prog_name="schedsim")
def main() -> None:
    """schedsim: simulate CPU-scheduling policies on workload files, chart and compare them,
    and run the same policies on real processes.

    \b
    Quick start:
      schedsim run workloads/classic.yaml --policy mlfq
      schedsim policies
    """


__all__ = ["main"]
