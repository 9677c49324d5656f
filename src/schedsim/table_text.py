"""A long table as text, looking as rich draws it, in a fraction of the time.

rich lays out every cell of a table as styled segments, about a millisecond a row: a
table of 10^5 processes (``schedsim run --all-rows``) took minutes.  A table that long is
read in a pager or a file, so :func:`table_text` draws it without rich's layout: the same
heavy header rule, the same separators and justification, each column as wide as its
widest cell (no wrapping to the terminal's width), and one pass of string joins.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.table import Table

HEAD_SEPARATOR, BODY_SEPARATOR, HEAD_RULE, HEAD_CROSS = "┃", "│", "━", "╇"


def table_text(table: Table) -> str:
    """``table`` (plain text cells, no sections) as rich prints it on a console wide enough
    for every column: title, header, rule and rows, each line ending in a newline."""
    columns = table.columns
    cells = [[str(cell) for cell in column.cells] for column in columns]
    headers = [str(column.header) for column in columns]
    widths = [
        max(column.min_width or 0, _width(header), *map(_width, column_cells))
        for column, header, column_cells in zip(columns, headers, cells, strict=True)
    ]
    right = [column.justify == "right" for column in columns]

    def line(texts: list[str], separator: str) -> str:
        padded = []
        for text, width, flush_right in zip(texts, widths, right, strict=True):
            if flush_right:
                text = text.rstrip()  # as rich justifies: trailing whitespace dropped
            room = " " * (width - _width(text))
            padded.append(f" {room}{text} " if flush_right else f" {text}{room} ")
        return separator.join(padded)

    total = sum(widths) + 3 * len(widths) - 1
    out = []
    if table.title:
        title = str(table.title)
        out.append(title + " " * max(0, total - _width(title)))
    out.append(line(headers, HEAD_SEPARATOR))
    out.append(HEAD_CROSS.join(HEAD_RULE * (width + 2) for width in widths))
    out.extend(line(list(row), BODY_SEPARATOR) for row in zip(*cells, strict=True))
    return "\n".join(out) + "\n"


def _width(text: str) -> int:
    """Terminal cells ``text`` takes: its length for ASCII (numbers, most pids), rich's
    measure otherwise (wide letters take two)."""
    return len(text) if text.isascii() and text.isprintable() else cell_len(text)
