"""The rich console every text report is drawn on.

A report prints names the user chose (workload names, pids, labels): on this console they
are text, whatever they contain — ``[/x]`` is not rich markup (it would be a crash),
``:smile:`` is not an emoji code, a number in a name is not highlighted — and the output is
plain text unless colour is asked for, so it reads the same in a terminal, a pipe or a file.
"""

from __future__ import annotations

from rich.console import Console


def text_console(width: int, *, color: bool = False, markup: bool = False) -> Console:
    """A recording console ``width`` columns wide.  ``markup=True`` only for a report that
    styles its own text and escapes every name it prints (``rich.markup.escape``)."""
    return Console(
        width=width,
        record=True,
        force_terminal=color,
        color_system="standard" if color else None,
        markup=markup,
        emoji=False,
        highlight=False,
    )
