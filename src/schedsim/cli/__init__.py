"""The ``schedsim`` command line: a thin shell over the library.

Each command parses its options, calls the library, and renders.  Library errors
(:class:`~schedsim.errors.SchedsimError`) become one ``Error:`` line and the documented exit
code; Ctrl-C exits 130; anything unexpected is a bug and exits 70 with a one-line report.
"""

from __future__ import annotations

import contextlib
import difflib
import errno
import importlib
import os
import sys
import warnings
from typing import Any, NoReturn

import click

from schedsim import __version__
from schedsim.errors import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    SchedsimError,
    capped,
)

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
    "examples": "schedsim.cli.examples:examples_command",
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

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """Like click's, but an unknown command gets the closest known one suggested."""
        name = click.utils.make_str(args[0]) if args else ""
        if args and self.get_command(ctx, name) is None and not name.startswith("-"):
            close = difflib.get_close_matches(name, self.list_commands(ctx), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            choices = ", ".join(self.list_commands(ctx))
            raise click.UsageError(f"unknown command {name!r}{hint}; commands: {choices}", ctx)
        return super().resolve_command(ctx, args)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as error:
            _usage_error(error, ctx)

    def invoke(self, ctx: click.Context) -> Any:
        _tolerant_streams()
        with warnings.catch_warnings():
            # schedsim says what matters in its own words; a library's warning (numpy's
            # RuntimeWarning, matplotlib's missing glyph) is noise before an Error: line
            warnings.simplefilter("ignore")
            return self._invoke(ctx)

    def _invoke(self, ctx: click.Context) -> Any:
        try:
            answer = super().invoke(ctx)
            if sys.stdout is not None:
                sys.stdout.flush()  # a full device fails here, not at the interpreter's exit
            return answer
        except click.UsageError as error:
            _usage_error(error, ctx)
        except SchedsimError as error:
            click.echo(f"Error: {capped(str(error))}", err=True)
            ctx.exit(error.exit_code)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except BrokenPipeError:
            sys.stderr.close()
            ctx.exit(1)
        except OSError as error:
            if error.errno not in OUTPUT_ERRORS:
                raise
            _silence_stdout()
            click.echo(f"Error: cannot write the output: {error.strerror}", err=True)
            ctx.exit(EXIT_USAGE)
        except ValueError as error:
            if not _digit_limit(error):
                raise
            # a number of thousands of digits reached a conversion no reader caught: still
            # bad input, not a bug to report (the readers name the field where they can)
            click.echo(
                "Error: a number with more than 4,300 digits was given; no value schedsim "
                "takes needs more than 30",
                err=True,
            )
            ctx.exit(EXIT_USAGE)
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


def _usage_error(error: click.UsageError, ctx: click.Context) -> NoReturn:
    """A command-line mistake as the one ``Error:`` line every other bad input gets (click
    would print the usage and a hint on three more lines), naming the help to read."""
    message = error.format_message().rstrip()
    if error.ctx is not None:
        command = error.ctx.command_path
    else:  # raised while the command's own options were parsed, before its context existed
        command = " ".join(filter(None, (ctx.command_path, ctx.invoked_subcommand)))
    click.echo(f"Error: {capped(message)} (see '{command} --help')", err=True)
    raise click.exceptions.Exit(EXIT_USAGE)


# What writing to a device can answer that is no bug: the device is full, over a file-size
# or quota limit, or failing.
OUTPUT_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})


def _digit_limit(error: ValueError) -> bool:
    """Whether ``error`` is Python's refusal to convert an integer of 4,300+ digits."""
    return "limit" in str(error) and "integer string conversion" in str(error)


def _tolerant_streams() -> None:
    """Standard output and error never fail on a character their encoding lacks (a pid
    such as 漢 with ``PYTHONIOENCODING=latin-1``): it is written as an escape instead."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors="backslashreplace")


def _silence_stdout() -> None:
    """Standard output failed: point it at /dev/null so that what is left in its buffer
    does not fail again when the interpreter exits."""
    with contextlib.suppress(AttributeError, OSError, ValueError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)


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

    The examples use the bundled workloads under workloads/: a clone has them; elsewhere
    'schedsim examples -o workloads' copies them into ./workloads.

    \b
    Quick start:
      schedsim examples -o workloads        # only outside a clone
      schedsim run workloads/classic.yaml --policy mlfq
      schedsim policies
    """


__all__ = ["main"]
