"""The ``schedsim`` command line: a thin shell over the library.

Each command parses its options, calls the library, and renders.  Library errors
(:class:`~schedsim.errors.SchedsimError`) become one ``Error:`` line and the documented exit
code; Ctrl-C exits 130; anything unexpected is a bug and exits 70 with a one-line report.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from schedsim import __version__
from schedsim.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, SchedsimError

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class SchedsimGroup(click.Group):
    """Turns every failure into one line and an exit code — never a traceback."""

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


from schedsim.cli import compare, gantt, generate, info, measure, run, sweep, validate  # noqa: E402

main.add_command(run.run)
main.add_command(info.policies)
main.add_command(generate.generate)
main.add_command(gantt.gantt)
main.add_command(compare.compare)
main.add_command(sweep.sweep)
main.add_command(measure.measure_command)
main.add_command(validate.validate)

__all__ = ["main"]
