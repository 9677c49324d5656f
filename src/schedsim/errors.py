"""Typed exceptions: the library raises these, the CLI turns each into one ``Error:`` line.

Every message says *where* (file, process, field), *what* (the bad value) and, where it
helps, *how to fix it*.  Exit codes are part of the CLI contract and live here so the
library and the CLI cannot disagree about them.
"""

from __future__ import annotations

from collections.abc import Sequence

EXIT_OK = 0
EXIT_FAILURE = 1  # a run failed for a reason outside the user's input (e.g. a worker died)
EXIT_USAGE = 2  # bad input: workload, options, policy spec, output path
EXIT_DEADLOCK = 3  # the run ended in a deadlock (its output shows what happened up to it)
EXIT_INTERNAL = 70  # a bug in schedsim (EX_SOFTWARE)
EXIT_INTERRUPTED = 130  # Ctrl-C


MAX_LINE = 500  # characters of one line of an error message


def capped(message: str) -> str:
    """``message`` with every line cut to about MAX_LINE characters, its middle left out:
    a quoted value may be megabytes long (a pasted number, a column name), the message
    must stay a line."""
    lines = []
    for line in message.split("\n"):
        if len(line) > MAX_LINE:
            left_out = len(line) - 400
            line = f"{line[:300]} … ({left_out:,} characters left out) … {line[-100:]}"
        lines.append(line)
    return "\n".join(lines)


class SchedsimError(Exception):
    """Base class of every error schedsim reports to a user."""

    exit_code = EXIT_USAGE


class WorkloadError(SchedsimError):
    """A workload file is unreadable or invalid.

    ``problems`` holds every problem found (not only the first), each already phrased as
    ``file: process #i (pid P): field: message``.
    """

    def __init__(self, problems: str | Sequence[str]) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        shown = self.problems[:20]
        more = len(self.problems) - len(shown)
        text = "\n       ".join(shown)
        if more > 0:
            text += f"\n       ... and {more} more problem(s)"
        super().__init__(text)


class OptionError(SchedsimError):
    """A policy option, a policy spec or a command-line option has a bad value."""


class PolicyError(SchedsimError):
    """A policy broke the engine's contract (returned a job that is not ready, a bad slice...).

    This is a bug in the policy, never in the user's input, so it maps to the internal exit code.
    """

    exit_code = EXIT_INTERNAL


class LimitError(SchedsimError):
    """A run would exceed a documented limit (processes, slices, real seconds)."""


class OutputError(SchedsimError):
    """An output file cannot be written."""


class ExecutionError(SchedsimError):
    """A real run failed: a worker died, or the machine refused an operation."""

    exit_code = EXIT_FAILURE
