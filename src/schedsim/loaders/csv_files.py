"""CSV workloads (bulk): parsed and checked column by column; big unquoted files by pyarrow's
CSV reader, anything it would read differently by numpy, quoted files by the csv module."""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any

import numpy as np

from schedsim.columns import check_columns
from schedsim.digits import whole_number
from schedsim.errors import WorkloadError
from schedsim.limits import INT64_MAX, INT64_MIN
from schedsim.loaders.common import (
    ATTRIBUTES,
    Limits,
    build_workload,
    decode,
)
from schedsim.quoting import describe, plain, unknown_key_message
from schedsim.workload import Workload

CSV_REQUIRED = ("pid", "arrival")
CSV_COLUMNS = ("pid", "arrival", "burst", "bursts", "priority", "tickets", "nice", "slice")
_INTEGER = re.compile(r"\s*[+-]?[0-9]+\s*\Z")
_NUMBER = re.compile(r"\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*\Z")
_NON_FINITE = re.compile(r"\s*[+-]?(nan|inf|infinity)\s*\Z", re.IGNORECASE)


Column = bytes | list[str] | np.ndarray | tuple[np.ndarray, np.ndarray]
"""A CSV column: field texts each ended by a newline (fast path), a list of texts, or one
already parsed (numbers; bursts as CSR offsets and values)."""

_TO_NEWLINE = bytes.maketrans(b",", b"\n")
Locate = Callable[[str, int, "int | None"], str]


def load_csv(data: bytes, label: str, stem: str, limits: Limits) -> Workload:
    end = len(data)
    while end and data[end - 1] in b"\r\n":
        end -= 1
    newlines = data.count(b"\n", 0, end)
    returns = data.count(b"\r", 0, end) if b"\r" in data else 0
    lines = max(newlines, returns) + 1
    if lines - 1 > limits.processes:  # the header, then (at most) one process per line
        raise WorkloadError(
            f"{label}: {lines - 1:,} data lines, over the limit of {limits.processes:,} "
            "processes; raise it with --max-processes"
        )
    header, listed, fields = _csv_columns(data, label)
    names = _column_names(header)
    problems = _header_problems(names, label)
    if problems:
        raise WorkloadError(problems)
    column: dict[str, Column] = {}
    if fields is None:
        column.update(zip(names, listed, strict=True))
    else:
        text_columns = [names.index(name) for name in ("pid", "bursts") if name in names]
        parsed = fields.numbers(text_columns)
        integer_only = {key for key, _ in ATTRIBUTES}
        for index, name in enumerate(names):
            block = parsed.get(index)
            if block is None or (name in integer_only and block.dtype.kind == "f"):
                column[name] = fields.column(index)
            else:
                column[name] = block
    pids = _texts(column["pid"])
    count = len(pids)
    if count > limits.processes:  # lines ended by a lone carriage return are counted here
        raise WorkloadError(
            f"{label}: {count:,} rows, over the limit of {limits.processes:,} processes; "
            "raise it with --max-processes"
        )
    burst_column = "burst" if "burst" in column else "bursts"

    def locate(field: str, row: int, position: int | None) -> str:
        pid = pids[row]
        where = f"row {row + 1} (pid {plain(pid)})" if pid.strip() else f"row {row + 1}"
        if field == "bursts":
            field = burst_column
            if position is not None and burst_column == "bursts":
                field = f"bursts[{position}] ({'CPU' if position % 2 == 0 else 'I/O'})"
        return f"{label}: {where}: {field}"

    found: list[tuple[int, str]] = []
    arrival = _number_column(column["arrival"], count, "arrival", False, locate, found)
    if burst_column == "burst":
        values = _number_column(column["burst"], count, "bursts", False, locate, found)
        offsets = np.arange(count + 1, dtype=np.int64)
    else:
        offsets, values = _bursts_column(column["bursts"], count, locate, found)
    attributes = {
        key: _number_column(column[key], count, key, True, locate, found)
        for key, _ in ATTRIBUTES
        if key in column
    }
    if "slice" in column:
        attributes["slice"] = _slice_column(column["slice"], count, locate, found)
    refer: Callable[[int], str] = lambda row: f"row {row + 1}"  # noqa: E731
    found.extend(check_columns(pids, arrival, offsets, values, attributes, locate, refer))
    if found:
        found.sort(key=lambda item: item[0])
        raise WorkloadError([message for _, message in found])
    if arrival.dtype != values.dtype:  # checked first, so messages quote values as written
        arrival, values = arrival.astype(np.float64), values.astype(np.float64)
    return build_workload(pids, arrival, offsets, values, attributes, stem, label)


def _column_names(header: Sequence[str]) -> list[str]:
    return [name.strip().lower() for name in header]


def _header_problems(names: Sequence[str], label: str) -> list[str]:
    """Every problem with a CSV header's column names (already stripped and lower-cased)."""
    problems: list[str] = []
    for name in names:
        if name not in CSV_COLUMNS:
            problems.append(f"{label}: header: {unknown_key_message(name, CSV_COLUMNS, 'column')}")
    for name in sorted({name for name in names if names.count(name) > 1}):
        problems.append(f"{label}: header: column {name!r} appears more than once")
    for name in CSV_REQUIRED:
        if name not in names:
            problems.append(f"{label}: header: required column {name!r} is missing")
    if ("burst" in names) == ("bursts" in names):
        problems.append(
            f"{label}: header: give exactly one of the columns 'burst' (one CPU burst) or "
            "'bursts' (space-separated CPU, I/O, CPU, ... values)"
        )
    return problems


def _csv_columns(data: bytes, label: str) -> tuple[list[str], list[Column], _CsvFields | None]:
    """The header and either the columns (quoted files) or the field map (the fast path).

    Files without quotes take a fast path: pyarrow's CSV reader parses the whole body in C
    (see :func:`_arrow_columns`); a body it cannot take exactly goes to numpy, which finds
    every separator, checks that every line has as many fields as the header, and cuts out
    each column's bytes, so numbers are parsed without creating a Python object per field
    and every bad field is reported.  Quoted files go through the csv module."""
    if not data.isascii():  # ASCII is valid UTF-8: only other files need the full check
        decode(data, label)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b'"' in data:
        return *_csv_module_columns(data.decode("utf-8"), label), None
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    end = len(data)
    while end and data[end - 1] == ord("\n"):
        end -= 1
    if not data or data.isspace():  # the same test as data[:end].strip(), without a copy
        raise WorkloadError(f"{label}: file is empty; expected a header such as pid,arrival,burst")
    header_end = data.find(b"\n", 0, end)
    if header_end < 0:
        raise WorkloadError(f"{label}: no rows after the header; give at least one process")
    header = data[:header_end].decode("utf-8").split(",")
    names = _column_names(header)
    if end - header_end - 1 >= ARROW_CSV_BYTES and not _header_problems(names, label):
        columns = _arrow_columns(data, header_end + 1, end, names)
        if columns is not None:
            return header, columns, None
    if end == len(data):
        data += b"\n"
    raw = np.frombuffer(data, dtype=np.uint8)[header_end + 1 : end + 1]
    separators = np.flatnonzero((raw == ord(",")) | (raw == ord("\n")))
    width = len(header)
    rows = int(np.count_nonzero(raw[separators] == ord("\n")))
    if len(separators) != rows * width or not bool(
        np.all(raw[separators[width - 1 :: width]] == ord("\n"))
    ):
        lines = data[header_end + 1 : end].split(b"\n")
        _raise_field_counts([line.count(b",") + 1 for line in lines], header, label)
    padded = b" " in data or b"\t" in data
    return header, [], _CsvFields(raw, separators, width, padded)


ARROW_CSV_BYTES: float = 2 * 2**20
"""Unquoted CSV bodies of at least this many bytes are read by pyarrow first: from about
this size its speed pays for importing it (~0.02 s).  Smaller bodies -- and every body when
set to ``math.inf`` -- are read by numpy alone; the tests set 0 and inf to compare the two."""

_ARROW_BLOCK = 2**30
_NUMBER_BYTES = b"0123456789+-.eE"
_INTEGER_COLUMNS = frozenset(key for key, _ in ATTRIBUTES)
_SPACE_TO_NEWLINE = bytes.maketrans(b" ", b"\n")


def _arrow_columns(data: bytes, start: int, end: int, names: Sequence[str]) -> list[Column] | None:
    """The columns of the unquoted CSV body ``data[start:end]`` as read by pyarrow, or None
    when pyarrow would not read it exactly as the numpy path does.

    pyarrow reads the pid and bursts columns as text and infers int64 or float64 for the
    others; its float parsing is correctly rounded, as numpy's and Python's are, so every
    value is bit-identical.  It is trusted only where its rules and the numpy path's
    coincide: number fields hold only digits, signs, dots and exponents (so no hex integers,
    padding, nan or inf), every number column is int64 or float64 (the integer-only ones
    int64), and a float64 column has a field written with a dot or an exponent.  Any other
    body -- a short row, an empty field, text in a number column -- gives None, and the
    numpy path then reports each bad field."""
    import pyarrow as arrow

    keys = [str(index) for index in range(len(names))]
    text = [index for index, name in enumerate(names) if name in ("pid", "bursts")]
    body = arrow.py_buffer(data).slice(start, end - start)

    def written(index: int) -> bytes:
        return _string_bytes(_arrow_read(body, keys, [index], [index]).column(0).combine_chunks())

    try:
        table = _arrow_read(body, keys, range(len(keys)), text)
        texts = {index: table.column(index).combine_chunks() for index in text}
        # every byte other than a digit, sign, dot, exponent or separator lies in the
        # header or a text column: none is in a number field
        separators = _NUMBER_BYTES + b",\n"
        stray = {
            index: _string_bytes(texts[index]).translate(None, _NUMBER_BYTES) for index in text
        }
        outside = len(data.translate(None, separators))
        within = len(data[:start].translate(None, separators)) + sum(map(len, stray.values()))
        if outside != within:
            return None
        columns: list[Column] = []
        for index, name in enumerate(names):
            column: Column | None
            if name == "pid":
                column = texts[index].to_pylist()
            elif name == "bursts":  # numbers and spaces only, else the numpy path reads it
                plain_numbers = not stray[index].translate(None, b" ")
                column = (plain_numbers and _arrow_bursts(texts[index])) or _newline_ended(
                    texts[index]
                )
            else:
                column = _arrow_numbers(
                    table.column(index), name in _INTEGER_COLUMNS, partial(written, index)
                )
            if column is None:
                return None
            columns.append(column)
    except arrow.ArrowException:  # a body it cannot parse, or one too big for its arrays
        return None
    return columns


def _arrow_read(body: Any, keys: Sequence[str], columns: Iterable[int], text: Iterable[int]) -> Any:
    """pyarrow's table of the header-less CSV ``body`` (a pyarrow buffer) whose columns
    ``keys`` names: only ``columns``, those in ``text`` as strings and the others typed by
    inference over the whole body; nothing is read as null."""
    import pyarrow as arrow
    from pyarrow import csv as arrow_csv

    return arrow_csv.read_csv(
        arrow.BufferReader(body),
        # malloc hands large blocks back when freed; pyarrow's default pool would keep them
        # resident for the whole simulation
        memory_pool=arrow.system_memory_pool(),
        read_options=arrow_csv.ReadOptions(
            use_threads=False,  # a simulation gets one core
            column_names=keys,
            block_size=min(max(body.size, 1), _ARROW_BLOCK),  # one block: types seen whole
        ),
        parse_options=arrow_csv.ParseOptions(ignore_empty_lines=False),
        convert_options=arrow_csv.ConvertOptions(
            include_columns=[keys[index] for index in columns],
            column_types={keys[index]: arrow.string() for index in text},
            null_values=[],
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


def _arrow_numbers(column: Any, integer: bool, written: Callable[[], bytes]) -> np.ndarray | None:
    """A number column read by pyarrow, as the numpy path has it: int64 when every value is
    written as an integer, else float64 (``integer``: only int64 will do); None when the
    two paths could differ.  ``written()`` gives the column's text, needed only when every
    float is a whole number."""
    import pyarrow as arrow

    if column.type == arrow.int64():
        values = _arrow_values(column, np.dtype(np.int64))
    elif column.type == arrow.float64() and not integer:
        values = _arrow_values(column, np.dtype(np.float64))
        with np.errstate(invalid="ignore"):  # inf - inf: not fractional
            fractional = bool(np.any(values - np.floor(values) > 0))
        # a fractional value can only be written with a dot or an exponent; whole values
        # may be integers beyond int64 or written +5, which the numpy path reads otherwise
        if not fractional and not any(mark in written() for mark in (b".", b"e", b"E")):
            return None
    else:
        return None
    return values


def _arrow_values(column: Any, dtype: np.dtype[Any]) -> np.ndarray:
    """A pyarrow column of int64 or float64 (no nulls: the reader is told there are none) as
    one numpy array, copied straight from its chunks' data buffers: ``to_numpy()`` would
    import pandas, which takes longer than reading a million rows."""
    parts = [
        np.frombuffer(
            chunk.buffers()[1], dtype=dtype, count=len(chunk), offset=chunk.offset * dtype.itemsize
        )
        for chunk in column.chunks
    ]
    return np.concatenate(parts) if parts else np.empty(0, dtype)


def _arrow_bursts(array: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """A bursts column of numbers and spaces (a pyarrow string array) as CSR offsets and
    values, or None unless every field is numbers separated by single spaces."""
    import pyarrow as arrow

    text = _newline_ended(array)
    raw = np.frombuffer(text, dtype=np.uint8)
    spaces = np.flatnonzero(raw == ord(" "))
    # one space between numbers: a field with k spaces holds k + 1 of them
    lengths = np.diff(np.searchsorted(spaces, np.flatnonzero(raw == ord("\n"))), prepend=0) + 1
    offsets = np.zeros(len(array) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    # one number a line; a stray space leaves an empty line, which is no number
    tokens = arrow.py_buffer(text.translate(_SPACE_TO_NEWLINE))
    values = _arrow_numbers(_arrow_read(tokens, ["0"], [0], []).column(0), False, lambda: text)
    if values is None or len(values) != offsets[-1]:
        return None
    return offsets, values


def _string_bytes(array: Any) -> bytes:
    """The text of a pyarrow string array, every field run together."""
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int32)
    first, last = int(offsets[array.offset]), int(offsets[array.offset + len(array)])
    return array.buffers()[2].slice(first, last - first).to_pybytes()


def _newline_ended(array: Any) -> bytes:
    """A pyarrow string array as the numpy path's text column: newline-ended field texts."""
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int32)
    offsets = offsets[array.offset : array.offset + len(array) + 1]
    joined = np.full(int(offsets[-1] - offsets[0]) + len(array), ord("\n"), dtype=np.uint8)
    keep = np.ones(len(joined), dtype=np.bool_)
    keep[offsets[1:] - offsets[0] + np.arange(len(array))] = False
    joined[keep] = np.frombuffer(_string_bytes(array), dtype=np.uint8)
    return joined.tobytes()


class _CsvFields:
    """Where every field of an unquoted CSV body lies (found once, with numpy)."""

    def __init__(self, raw: np.ndarray, separators: np.ndarray, width: int, padded: bool) -> None:
        self.raw = raw
        self.separators = separators
        self.rows = len(separators) // width
        self.width = width
        self.ends = separators.reshape(self.rows, width)
        starts = np.empty_like(separators)
        starts[0] = 0
        starts[1:] = separators[:-1] + 1
        self.starts = starts.reshape(self.rows, width)
        self.padded = padded
        self.empty_fields = bool(np.any(self.ends == self.starts))
        self._masks: dict[int, np.ndarray] = {}

    def mask(self, index: int) -> np.ndarray:
        """True on the bytes of column ``index`` and the separator ending each field."""
        if index not in self._masks:
            bounds = np.empty(2 * self.rows + 2, dtype=np.int64)
            bounds[0] = 0
            bounds[1:-1:2] = self.starts[:, index]
            bounds[2:-1:2] = self.ends[:, index] + 1
            bounds[-1] = len(self.raw)
            inside = np.zeros(len(bounds) - 1, dtype=np.bool_)
            inside[1::2] = True
            self._masks[index] = np.repeat(inside, np.diff(bounds))
        return self._masks[index]

    def column(self, index: int) -> bytes:
        """Column ``index`` as newline-ended field texts."""
        return self.raw[self.mask(index)].tobytes().translate(_TO_NEWLINE)

    def numbers(self, skip: Sequence[int]) -> dict[int, np.ndarray]:
        """Every column not in ``skip`` parsed in one go: int64 for a column written with
        integers only, float64 otherwise.  Empty when some field is empty, padded or not a
        plain number (and any column may be missing): the per-column path then decides, and
        reports each bad field."""
        if self.empty_fields:
            return {}
        keep = [index for index in range(self.width) if index not in skip]
        if self.padded:  # spaces are fine inside the skipped text columns only
            skipped = np.zeros(len(self.raw), dtype=np.bool_)
            for index in skip:
                skipped |= self.mask(index)
            blank = (self.raw == ord(" ")) | (self.raw == ord("\t"))
            if bool(np.any(blank & ~skipped)):
                return {}
        text = self.raw.copy()
        for index in skip:
            np.copyto(text, ord(" "), where=self.mask(index))
        text[self.separators] = ord(" ")
        text.flags.writeable = False
        count = self.rows * len(keep)
        values = _parse_tokens(text, count, integer=True)  # stops at the first non-integer
        if values is not None:
            block = values.reshape(self.rows, len(keep))
            return {index: block[:, position] for position, index in enumerate(keep)}
        values = _parse_tokens(text, count, integer=False)
        if values is None:
            return {}
        block = values.reshape(self.rows, len(keep))
        # A finite value with a fractional part can only be written with a dot or an
        # exponent, so such a column is written as floats without looking at its text.
        with np.errstate(invalid="ignore"):  # inf - inf: not fractional
            fractional = [
                bool(np.any(block[:, position] - np.floor(block[:, position]) > 0))
                for position in range(len(keep))
            ]
        float_columns = [False] * self.width
        for position, index in enumerate(keep):
            float_columns[index] = fractional[position]
        if not all(fractional):
            marks = ((text == ord(".")) | (text == ord("e")) | (text == ord("E"))).view(np.uint8)
            written_float = np.maximum.reduceat(marks, self.starts.ravel())
            float_columns = np.any(written_float.reshape(self.rows, self.width), axis=0).tolist()
        parsed: dict[int, np.ndarray] = {}
        for position, index in enumerate(keep):
            values = block[:, position]
            if float_columns[index]:
                parsed[index] = values
            # only integers below 2**53 read as floats below it, and exactly (2**53 itself
            # may be 2**53 + 1 rounded to even)
            elif bool(np.all(np.abs(values) < 2**53)):
                parsed[index] = values.astype(np.int64)
        return parsed


def _raise_field_counts(counts: Sequence[int], header: Sequence[str], label: str) -> None:
    """Report every data row whose field count differs from the header's."""
    width = len(header)
    raise WorkloadError(
        [
            f"{label}: row {row + 1} (line {row + 2}): expected {width} fields "
            f"({','.join(header)}), got {count}"
            for row, count in enumerate(counts)
            if count != width
        ]
    )


def _csv_module_columns(text: str, label: str) -> tuple[list[str], list[Column]]:
    """Header and columns via the csv module (files with quoted fields)."""
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise WorkloadError(f"{label}: CSV error: {error}") from None
    while rows and not rows[-1]:
        rows.pop()
    if not rows:
        raise WorkloadError(f"{label}: file is empty; expected a header such as pid,arrival,burst")
    header, body = rows[0], rows[1:]
    if not body:
        raise WorkloadError(f"{label}: no rows after the header; give at least one process")
    width = len(header)
    if any(len(row) != width for row in body):
        _raise_field_counts([len(row) for row in body], header, label)
    columns: list[Column] = [list(column) for column in zip(*body, strict=True)]
    return header, columns


def _texts(column: Column) -> list[str]:
    if isinstance(column, list):
        return column
    if isinstance(column, bytes):
        return column.decode("utf-8").split("\n")[:-1]
    if isinstance(column, tuple):
        raise TypeError("a parsed bursts column has no field texts")
    return [str(value) for value in column.tolist()]


def _token_counts(column: bytes, count: int) -> np.ndarray:
    """How many whitespace-separated tokens each newline-ended field holds."""
    raw = np.frombuffer(column, dtype=np.uint8)
    line_ends = np.flatnonzero(raw == ord("\n"))
    tidy = not any(mark in column for mark in (b"  ", b"\t", b" \n", b"\n ", b"\n\n")) and column[
        :1
    ] not in (b" ", b"\n")
    if tidy:  # one space between tokens: count the spaces
        spaces = np.flatnonzero(raw == ord(" "))
        return np.diff(np.searchsorted(spaces, line_ends), prepend=0) + 1
    is_token = (raw != ord(" ")) & (raw != ord("\n")) & (raw != ord("\t"))
    starts = np.flatnonzero(is_token & ~np.concatenate(([False], is_token[:-1])))
    return np.bincount(np.searchsorted(line_ends, starts), minlength=count)


def _as_bytes(column: Column) -> bytes | None:
    """Newline-ended field bytes (None when a field itself holds a newline)."""
    if isinstance(column, bytes):
        return column
    if not isinstance(column, list):  # already parsed
        return None
    if any("\n" in text for text in column):
        return None
    return ("\n".join(column) + "\n").encode() if column else b""


def _parse_tokens(text: bytes | np.ndarray, tokens: int, integer: bool) -> np.ndarray | None:
    """All whitespace-separated numbers in ``text`` (int64 if all are written as integers),
    or None when any token is not a plain number: the caller then reports each one."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for dtype in (np.int64,) if integer else (np.int64, np.float64):
            try:
                # numpy reads a read-only uint8 array as bytes, saving a copy
                values = np.fromstring(text, dtype=dtype, sep=" ")  # type: ignore[arg-type]
            except ValueError:
                continue
            # numpy saturates int64 overflow; such values go to the exact slow path
            if len(values) == tokens and not (
                dtype is np.int64 and bool(np.any((values == INT64_MAX) | (values == INT64_MIN)))
            ):
                return values
            return None
    return None


def _number_column(
    column: Column,
    count: int,
    name: str,
    integer: bool,
    locate: Locate,
    problems: list[tuple[int, str]],
) -> np.ndarray:
    """Parse a one-number-per-row column: int64 when every value is written as an integer,
    else float64 (``integer``: only integers allowed).  Unparsable values are reported and
    replaced by 1 so that the remaining checks still run."""
    if isinstance(column, np.ndarray):
        return column
    encoded = _as_bytes(column)
    if encoded is not None:
        single = not (
            b" " in encoded or b"\t" in encoded or b"\n\n" in encoded or encoded[:1] == b"\n"
        ) or bool(np.all(_token_counts(encoded, count) == 1))
        if single:
            values = _parse_tokens(encoded, count, integer)
            if values is not None:
                return values
    parsed: list[int | float] = []
    for row, text in enumerate(_texts(column)):
        value = _parse_number(text, integer)
        if isinstance(value, str):
            problems.append((row, f"{locate(name, row, None)}: {value}, got {_shown(text)}"))
            value = 1
        parsed.append(value)
    floating = any(type(value) is float for value in parsed)
    return np.asarray(parsed, dtype=np.float64 if floating else np.int64)


def _slice_column(
    column: Column, count: int, locate: Locate, problems: list[tuple[int, str]]
) -> np.ndarray:
    """The optional ``slice`` column: a number per row, an empty field meaning none (0)."""
    if not isinstance(column, np.ndarray | tuple):
        texts = _texts(column)
        if any(not text.strip() for text in texts):
            column = [text if text.strip() else "0" for text in texts]
    return _number_column(column, count, "slice", False, locate, problems)


def _shown(text: str) -> str:
    """A bad field as an error shows it: a long run of digits by its length (quoting
    thousands of digits helps nobody), anything else as the text it is."""
    if len(text) > 40 and _INTEGER.match(text):
        return describe(whole_number(text.strip()))
    return describe(text)


def _parse_number(text: str, integer: bool) -> int | float | str:
    """A number, or the reason it is not one."""
    if _INTEGER.match(text):
        value = int(text) if len(text) <= 40 else INT64_MAX + 1  # never convert thousands
        if INT64_MIN <= value <= INT64_MAX:
            return value
        return f"must be between {INT64_MIN} and {INT64_MAX}"
    if integer:
        return "must be an integer"
    if _NUMBER.match(text):
        return float(text)
    if _NON_FINITE.match(text):
        return "must be a finite number"
    return "must be a number"


def _bursts_column(
    column: Column,
    count: int,
    locate: Locate,
    problems: list[tuple[int, str]],
) -> tuple[np.ndarray, np.ndarray]:
    """Space-separated CPU, I/O, CPU, ... bursts per row -> CSR offsets and values."""
    if isinstance(column, tuple):
        return column
    encoded = _as_bytes(column)
    if encoded is not None:
        lengths = _token_counts(encoded, count)
        offsets = np.zeros(count + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        values = _parse_tokens(encoded, int(offsets[-1]), False)
        if values is not None:
            return offsets, values
    flat: list[int | float] = []
    lengths_list: list[int] = []
    for row, text in enumerate(_texts(column)):
        tokens = text.split()
        lengths_list.append(len(tokens))
        for position, token in enumerate(tokens):
            value = _parse_number(token, False)
            if isinstance(value, str):
                problems.append(
                    (row, f"{locate('bursts', row, position)}: {value}, got {_shown(token)}")
                )
                value = 1
            flat.append(value)
    offsets = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(lengths_list, out=offsets[1:])
    floating = any(type(value) is float for value in flat)
    return offsets, np.asarray(flat, dtype=np.float64 if floating else np.int64)
