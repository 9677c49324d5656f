"""Reading and writing workload files: YAML, JSON, CSV and NPZ, chosen by extension.

Every loader validates fully and reports *every* problem it finds in one
:class:`~schedsim.errors.WorkloadError`, each phrased ``file: process #3 (pid P4): field:
message`` (YAML, JSON), ``file: row 17 (pid P17): field: message`` (CSV; row N is the N-th
data row, i.e. line N + 1 of the file) or ``file: array[index] (pid P): message`` (NPZ).

Formats:

* YAML / JSON -- a mapping with an optional ``name`` and a ``processes`` list (a bare list
  of processes is accepted too); see :mod:`schedsim.schema` for the fields.
* CSV -- bulk: a header ``pid,arrival,burst`` (or ``bursts``, space-separated CPU, I/O,
  CPU, ... values) plus optional ``priority``, ``tickets``, ``nice`` columns in any order.
  Parsed and checked column-wise, so a million rows load in well under a second: big
  unquoted files by pyarrow's CSV reader, anything it would read differently by numpy.
* NPZ -- bulk: arrays ``pid``, ``arrival``, ``burst_offsets``, ``burst_values`` and optional
  ``priority``, ``tickets``, ``nice``, ``name``; always read with ``allow_pickle=False``.

Limits, so that no file -- hostile or mistaken -- can exhaust memory or time.  Each is
checked before the expensive work it guards (size before reading, counts while parsing):

* YAML and JSON build one Python object per value, so they are meant for hand-written
  files: at most :data:`MAX_BYTES` (64 MiB), :data:`MAX_PROCESSES` (200,000) processes and
  :data:`BURSTS_PER_PROCESS` (10) times as many burst values in all (2,000,000); at most
  :data:`MAX_KEYS` keys in a mapping and :data:`NODES_PER_PROCESS` values per process
  allowed overall, so a document cannot hide millions of values inside one process.
* CSV and NPZ (bulk): at most :data:`MAX_BULK_BYTES` (512 MiB; for NPZ the size of the
  arrays once decompressed, so a "zip bomb" is refused before inflating) and
  :data:`MAX_BULK_PROCESSES` (10,000,000) processes, counted from the lines before parsing.
* YAML anchors, aliases and tags are rejected (workloads need none, aliases make "billion
  laughs" documents possible, and tags such as ``!!python/object`` would run code in an
  unsafe loader), as is nesting deeper than :data:`MAX_DEPTH` levels.

``load_workload(path, max_bytes=..., max_processes=...)`` overrides the byte and process
limits for any format (None lifts them; the burst and value budgets scale with the process
limit).
Whole-number times stay integers: the workload's time dtype is int64 unless some arrival
or burst is written as a non-integer, in which case it is float64.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import warnings
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import pairwise
from pathlib import Path
from typing import Any, Final

import numpy as np
import yaml

from schedsim.errors import OptionError, WorkloadError
from schedsim.output import write_atomic
from schedsim.schema import (
    FILE_KEYS,
    INT64_MAX,
    INT64_MIN,
    MAX_TOTAL_TIME,
    PROCESS_KEYS,
    check_columns,
    describe,
    plain,
    unknown_key_message,
    validate_processes,
    workload_json_schema,
)
from schedsim.workload import DEFAULT_NICE, DEFAULT_PRIORITY, DEFAULT_TICKETS, Workload

__all__ = [
    "FORMAT_DEFAULT",
    "MAX_BULK_BYTES",
    "MAX_BULK_PROCESSES",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_PROCESSES",
    "SUPPORTED_EXTENSIONS",
    "load_workload",
    "save_workload",
    "workload_json_schema",
]

SUPPORTED_EXTENSIONS = (".yaml", ".yml", ".json", ".csv", ".npz")
MAX_BYTES = 64 * 1024 * 1024
MAX_PROCESSES = 200_000
BURSTS_PER_PROCESS = 10
NODES_PER_PROCESS = 16
MAX_KEYS = 64
MAX_DEPTH = 32
MAX_BULK_BYTES = 512 * 1024 * 1024
MAX_BULK_PROCESSES = 10_000_000
BULK_ADVICE = "use CSV or NPZ for bulk workloads"
ATTRIBUTES = (
    ("priority", DEFAULT_PRIORITY),
    ("tickets", DEFAULT_TICKETS),
    ("nice", DEFAULT_NICE),
)


def _extension(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_EXTENSIONS:
        shown = f"extension {suffix!r}" if suffix else "no extension"
        raise WorkloadError(
            f"{path}: unknown workload format ({shown}); "
            f"use one of {', '.join(SUPPORTED_EXTENSIONS)}"
        )
    return suffix


class _FormatDefault:
    """The default of a limit: the format's own (see the module docstring)."""

    def __repr__(self) -> str:
        return "FORMAT_DEFAULT"


FORMAT_DEFAULT: Final = _FormatDefault()
Limit = int | None | _FormatDefault


@dataclass(frozen=True)
class _Limits:
    """The bounds one load works within (math.inf: none)."""

    bytes: float
    processes: float

    @property
    def bursts(self) -> float:
        return BURSTS_PER_PROCESS * self.processes

    @property
    def values(self) -> float:
        """Values (scalars, lists, mappings) a YAML or JSON document may hold in all."""
        return NODES_PER_PROCESS * self.processes + self.bursts


def _limits(bulk: bool, max_bytes: Limit, max_processes: Limit) -> _Limits:
    defaults = (MAX_BULK_BYTES, MAX_BULK_PROCESSES) if bulk else (MAX_BYTES, MAX_PROCESSES)
    chosen: list[float] = []
    for name, given, default in zip(
        ("max_bytes", "max_processes"), (max_bytes, max_processes), defaults, strict=True
    ):
        if isinstance(given, _FormatDefault):
            chosen.append(default)
        elif given is None:
            chosen.append(math.inf)
        elif isinstance(given, bool) or not isinstance(given, int) or given < 1:
            raise OptionError(f"{name}: must be a whole number >= 1 or None, got {given!r}")
        else:
            chosen.append(given)
    return _Limits(*chosen)


def load_workload(
    path: str | Path,
    *,
    max_bytes: Limit = FORMAT_DEFAULT,
    max_processes: Limit = FORMAT_DEFAULT,
) -> Workload:
    """Read a workload file, fully validated (format chosen by extension).

    ``max_bytes`` and ``max_processes`` bound the file (defaults: 64 MiB and 200,000 for
    YAML and JSON, 512 MiB and 10,000,000 for CSV and NPZ; None: no bound)."""
    target = Path(path)
    label = str(path)
    if target.is_dir():
        raise WorkloadError(f"{label}: is a directory, not a workload file")
    suffix = _extension(target)
    bulk = suffix in (".csv", ".npz")
    limits = _limits(bulk, max_bytes, max_processes)
    data = _read(target, label, limits.bytes, bulk)
    if suffix == ".csv":
        return _load_csv(data, label, target.stem, limits)
    if suffix == ".npz":
        return _load_npz(data, label, target.stem, limits)
    text = _decode(data, label)
    _check_pid_keys(text, label, limits, suffix == ".json")
    if suffix == ".json":
        document: Any = _parse_json(text, label, limits)
    else:
        document = _parse_yaml(text, label, limits)
    return _from_document(document, label, target.stem, limits)


def _check_pid_keys(text: str, label: str, limits: _Limits, is_json: bool) -> None:
    """Refuse, before parsing, a YAML or JSON file with more ``pid`` keys than the process
    limit allows: every process has exactly one, so counting them (three passes at C speed)
    bounds the processes without building a single object.  The messages are those of the
    checks made while parsing (which catch files that leave out their pids)."""
    keys = text.count("pid:") + text.count('pid":') + text.count("pid':")
    if keys <= limits.processes:
        return
    if is_json:
        raise WorkloadError(
            f"{label}: {keys:,} processes, over the limit of {limits.processes:,} for YAML "
            f"and JSON; {BULK_ADVICE}"
        )
    raise WorkloadError(
        f"{label}: more than {limits.processes:,} processes, the limit for YAML and JSON; "
        f"{BULK_ADVICE}"
    )


def _read(path: Path, label: str, max_bytes: float, bulk: bool) -> bytes:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            kind = "CSV and NPZ" if bulk else "YAML and JSON"
            advice = "raise it with --max-file-size" if bulk else BULK_ADVICE
            raise WorkloadError(
                f"{label}: file is {size:,} bytes, over the {max_bytes:,}-byte limit for "
                f"{kind}; {advice}"
            )
        if not path.is_file():
            raise WorkloadError(f"{label}: not a regular file; give a workload file")
        return path.read_bytes()
    except FileNotFoundError:
        raise WorkloadError(f"{label}: no such file") from None
    except OSError as error:
        raise WorkloadError(f"{label}: cannot read: {error.strerror or error}") from None


def _decode(data: bytes, label: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise WorkloadError(
            f"{label}: line {line}: not valid UTF-8 (byte 0x{data[error.start]:02x} at offset "
            f"{error.start}); save the file as UTF-8"
        ) from None


def _build(
    pids: list[str],
    arrival: np.ndarray,
    offsets: np.ndarray,
    values: np.ndarray,
    attributes: dict[str, np.ndarray],
    name: str,
    label: str,
) -> Workload:
    """The Workload from checked columns; attribute columns not given take their default."""
    count = len(pids)
    # float sums cannot overflow; the last arrival plus all the work bounds every time
    total = float(np.sum(values, dtype=np.float64)) + float(np.max(arrival, initial=0))
    if total > MAX_TOTAL_TIME:
        raise WorkloadError(
            f"{label}: the last arrival plus all bursts add up to {total:.4g} time units, over "
            f"the limit of {MAX_TOTAL_TIME:.4g} (2**62, so that every time fits in 64-bit "
            "integers); express the times in a larger unit"
        )
    full = {
        key: attributes.get(key, np.full(count, default, dtype=np.int64))
        for key, default in ATTRIBUTES
    }
    return Workload(
        pid=pids,
        arrival=arrival,
        burst_offsets=offsets,
        burst_values=values,
        priority=full["priority"],
        tickets=full["tickets"],
        nice=full["nice"],
        name=name,
        source=label,
    )


# ---------------------------------------------------------------------------------------
# YAML
# ---------------------------------------------------------------------------------------
_YamlParser: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RESOLVER = yaml.resolver.Resolver()
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_RESOLVED_STARTS = frozenset(key for key in yaml.resolver.Resolver.yaml_implicit_resolvers if key)
_TEXT_TAGS = frozenset(
    {"tag:yaml.org,2002:str", "tag:yaml.org,2002:merge", "tag:yaml.org,2002:value"}
)
_NO_KEY = object()


def _plain_scalar(value: str) -> Any:
    """An untagged plain scalar as YAML 1.1 (PyYAML's safe loader) reads it: 5 is an int,
    5.0 a float, yes a bool, ~ null; everything else a string."""
    if value and value[0] not in _RESOLVED_STARTS:
        return value
    if value.isascii() and value.isdigit() and (value[0] != "0" or len(value) == 1):
        return int(value)
    tag = _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))
    if tag in _TEXT_TAGS:
        return value
    return _CONSTRUCTOR.yaml_constructors[tag](_CONSTRUCTOR, yaml.ScalarNode(tag, value))


def _at(label: str, mark: Any) -> str:
    if mark is None:
        return label
    return f"{label}: line {mark.line + 1}, column {mark.column + 1}"


def _parse_yaml(text: str, label: str, limits: _Limits) -> Any:
    """Build plain Python data from the parser's event stream.

    Building from events (not ``yaml.safe_load``) lets the loader refuse anchors, aliases
    and tags, bound the nesting depth before libyaml's recursive composer could overflow the
    C stack, stop early on oversized lists, mappings and documents (counting values as they
    come), and reject duplicate keys, which PyYAML would silently overwrite.  It is also
    several times faster than ``safe_load``."""
    parser = _YamlParser(text)
    containers: list[Any] = []
    keys: list[Any] = []
    root: Any = None
    documents = 0
    nodes = 0
    max_items, max_nodes = limits.processes, limits.values
    scalar_event, mapping_start, sequence_start = (
        yaml.ScalarEvent,
        yaml.MappingStartEvent,
        yaml.SequenceStartEvent,
    )
    ends = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    try:
        while True:
            event = parser.get_event()
            kind = type(event)
            if kind is scalar_event or kind is mapping_start or kind is sequence_start:
                nodes += 1
                if nodes > max_nodes:
                    raise _too_many_values(label, limits)
            if kind is scalar_event:
                if event.anchor is not None:
                    raise _anchor_error(label, event)
                if event.implicit[0]:
                    value = _plain_scalar(event.value)
                elif event.implicit[1] or event.tag == "!":
                    value = event.value
                else:
                    raise _tag_error(label, event)
            elif kind is mapping_start or kind is sequence_start:
                if event.anchor is not None:
                    raise _anchor_error(label, event)
                if event.tag is not None and not event.implicit:
                    raise _tag_error(label, event)
                if len(containers) >= MAX_DEPTH:
                    raise WorkloadError(
                        f"{_at(label, event.start_mark)}: nested deeper than {MAX_DEPTH} levels; "
                        "a workload needs 4 (file, processes, process, bursts)"
                    )
                if containers and keys[-1] is _NO_KEY and type(containers[-1]) is dict:
                    raise WorkloadError(
                        f"{_at(label, event.start_mark)}: a mapping key must be a plain "
                        "value, not a list or mapping"
                    )
                containers.append({} if kind is mapping_start else [])
                keys.append(_NO_KEY)
                continue
            elif kind in ends:
                keys.pop()
                value = containers.pop()
            elif kind is yaml.AliasEvent:
                raise _anchor_error(label, event)
            elif kind is yaml.StreamEndEvent or event is None:
                break
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise WorkloadError(
                        f"{_at(label, event.start_mark)}: more than one YAML document (---); "
                        "a workload file holds exactly one"
                    )
                continue
            else:
                continue
            if not containers:
                root = value
                continue
            parent = containers[-1]
            if type(parent) is list:
                parent.append(value)
                if len(parent) > max_items and len(containers) <= 2:
                    raise WorkloadError(
                        f"{label}: more than {max_items:,} processes, the limit for YAML and "
                        f"JSON; {BULK_ADVICE}"
                    )
            elif keys[-1] is _NO_KEY:
                keys[-1] = value
            else:
                key = keys[-1]
                if key in parent:
                    raise WorkloadError(
                        f"{_at(label, event.start_mark)}: duplicate key {str(key)!r} in the "
                        "same mapping; give each key once"
                    )
                if len(parent) >= MAX_KEYS:
                    raise _too_many_keys(f"{_at(label, event.start_mark)}")
                parent[key] = value
                keys[-1] = _NO_KEY
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or error.context or "invalid YAML"
        if "nesting depth" in problem:  # newer libyaml stops deep documents in its scanner
            raise WorkloadError(
                f"{_at(label, mark)}: nested deeper than {MAX_DEPTH} levels; a workload "
                "needs 4 (file, processes, process, bursts)"
            ) from None
        context = f" ({error.context})" if error.context and error.problem else ""
        index = getattr(mark, "index", -1)
        if 0 <= index < len(text) and text[index] == "\t":
            context += "; indent YAML with spaces, not tabs"
        raise WorkloadError(f"{_at(label, mark)}: YAML syntax error: {problem}{context}") from None
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        column = error.position - text.rfind("\n", 0, error.position)
        character = error.character
        code = character if isinstance(character, int) else ord(character[:1] or "\0")
        raise WorkloadError(
            f"{label}: line {line}, column {column}: character U+{code:04X} is not allowed "
            f"in YAML ({error.reason}); remove it"
        ) from None
    except yaml.YAMLError as error:
        raise WorkloadError(f"{label}: YAML error: {error}") from None
    finally:
        parser.dispose()
    return root


def _too_many_values(label: str, limits: _Limits) -> WorkloadError:
    return WorkloadError(
        f"{label}: more than {limits.values:,} values (numbers, strings, lists, mappings), the "
        f"limit for YAML and JSON ({NODES_PER_PROCESS} per process for "
        f"{limits.processes:,} processes, plus {limits.bursts:,} burst values); {BULK_ADVICE}"
    )


def _too_many_keys(where: str) -> WorkloadError:
    return WorkloadError(
        f"{where}: a mapping with more than {MAX_KEYS} keys; a process has at most "
        f"{len(PROCESS_KEYS)} (pid, arrival, burst or bursts, priority, tickets, nice)"
    )


def _anchor_error(label: str, event: Any) -> WorkloadError:
    return WorkloadError(
        f"{_at(label, event.start_mark)}: YAML anchors and aliases (&name, *name) are not "
        "supported in workload files; write each value out"
    )


def _tag_error(label: str, event: Any) -> WorkloadError:
    return WorkloadError(
        f"{_at(label, event.start_mark)}: YAML tag {event.tag!r} is not supported in workload "
        "files; write plain values"
    )


# ---------------------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------------------
class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    if len(pairs) > MAX_KEYS:
        raise _TooManyKeys
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return result


class _TooManyKeys(Exception):
    pass


def _parse_json(text: str, label: str, limits: _Limits) -> Any:
    """Parse JSON after a cheap upper bound on its size in values: every value but the
    first in a list or mapping follows a comma, and every list or mapping opens with a
    bracket, so a file within the limits has few enough of them (a comma or bracket inside
    a string only makes the bound looser)."""
    separators = text.count(",") + text.count("[") + text.count("{")
    if separators > limits.values:
        raise _too_many_values(label, limits)
    try:
        return json.loads(text, object_pairs_hook=_json_object)
    except json.JSONDecodeError as error:
        raise WorkloadError(
            f"{label}: line {error.lineno}, column {error.colno}: JSON syntax error: {error.msg}"
        ) from None
    except _DuplicateKey as error:
        raise WorkloadError(
            f"{label}: duplicate key {error.key!r} in the same JSON object; give each key once"
        ) from None
    except _TooManyKeys:
        raise _too_many_keys(label) from None
    except RecursionError:
        raise WorkloadError(
            f"{label}: nested too deeply; a workload needs 4 levels "
            "(file, processes, process, bursts)"
        ) from None


# ---------------------------------------------------------------------------------------
# YAML / JSON documents
# ---------------------------------------------------------------------------------------
def _from_document(document: Any, label: str, stem: str, limits: _Limits) -> Workload:
    name = stem
    problems: list[str] = []
    processes: Any = None
    if isinstance(document, list):
        processes = document
    elif isinstance(document, dict):
        for key in document:
            if key not in FILE_KEYS:
                problems.append(f"{label}: {unknown_key_message(key, FILE_KEYS)}")
        if "name" in document:
            given = document["name"]
            if isinstance(given, int) and not isinstance(given, bool):
                name = str(given)
            elif isinstance(given, str) and given.strip():
                name = given
            else:
                problems.append(f"{label}: name: must be a non-empty string, got {describe(given)}")
        if "processes" not in document:
            problems.append(
                f"{label}: processes: field required (a list of processes, each with pid, "
                "arrival and burst or bursts)"
            )
        else:
            processes = document["processes"]
            if not isinstance(processes, list):
                problems.append(
                    f"{label}: processes: must be a list of processes, got {describe(processes)}"
                )
                processes = None
    elif document is None:
        raise WorkloadError(f"{label}: file is empty; expected a mapping with a 'processes' list")
    else:
        raise WorkloadError(
            f"{label}: top level must be a mapping with a 'processes' list (or a list of "
            f"processes), got {describe(document)}"
        )
    if processes is not None:
        if not processes:
            problems.append(f"{label}: processes: must not be empty; give at least one process")
        elif len(processes) > limits.processes:
            raise WorkloadError(
                f"{label}: {len(processes):,} processes, over the limit of "
                f"{limits.processes:,} for YAML and JSON; {BULK_ADVICE}"
            )
        else:
            bursts = sum(
                len(process["bursts"])
                for process in processes
                if type(process) is dict and type(process.get("bursts")) is list
            )
            if bursts > limits.bursts:
                raise WorkloadError(
                    f"{label}: {bursts:,} burst values in all, over the limit of "
                    f"{limits.bursts:,} for YAML and JSON ({BURSTS_PER_PROCESS} per process "
                    f"allowed); {BULK_ADVICE}"
                )
            problems.extend(f"{label}: {message}" for _, message in validate_processes(processes))
    if problems:
        raise WorkloadError(problems)
    return _assemble(processes, name, label)


def _assemble(processes: list[dict[str, Any]], name: str, label: str) -> Workload:
    """Columns from validated process entries (ints stay ints: int64 unless any float)."""
    pids = [str(process["pid"]) for process in processes]
    arrivals = [process.get("arrival", 0) for process in processes]
    lengths: list[int] = []
    flat: list[Any] = []
    for process in processes:
        burst = process.get("burst")
        if burst is not None:
            flat.append(burst)
            lengths.append(1)
        else:
            bursts = process["bursts"]
            flat.extend(bursts)
            lengths.append(len(bursts))
    floating = any(type(value) is float for value in arrivals) or any(
        type(value) is float for value in flat
    )
    dtype = np.float64 if floating else np.int64
    offsets = np.zeros(len(processes) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    attributes = {
        key: np.fromiter(
            (process.get(key, default) for process in processes),
            dtype=np.int64,
            count=len(processes),
        )
        for key, default in ATTRIBUTES
    }
    return _build(
        pids,
        np.asarray(arrivals, dtype=dtype),
        offsets,
        np.asarray(flat, dtype=dtype),
        attributes,
        name,
        label,
    )


# ---------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------
CSV_REQUIRED = ("pid", "arrival")
CSV_COLUMNS = ("pid", "arrival", "burst", "bursts", "priority", "tickets", "nice")
_INTEGER = re.compile(r"\s*[+-]?[0-9]+\s*\Z")
_NUMBER = re.compile(r"\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*\Z")
_NON_FINITE = re.compile(r"\s*[+-]?(nan|inf|infinity)\s*\Z", re.IGNORECASE)


Column = bytes | list[str] | np.ndarray | tuple[np.ndarray, np.ndarray]
"""A CSV column: field texts each ended by a newline (fast path), a list of texts, or one
already parsed (numbers; bursts as CSR offsets and values)."""

_TO_NEWLINE = bytes.maketrans(b",", b"\n")
Locate = Callable[[str, int, "int | None"], str]


def _load_csv(data: bytes, label: str, stem: str, limits: _Limits) -> Workload:
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
    refer: Callable[[int], str] = lambda row: f"row {row + 1}"  # noqa: E731
    found.extend(check_columns(pids, arrival, offsets, values, attributes, locate, refer))
    if found:
        found.sort(key=lambda item: item[0])
        raise WorkloadError([message for _, message in found])
    if arrival.dtype != values.dtype:  # checked first, so messages quote values as written
        arrival, values = arrival.astype(np.float64), values.astype(np.float64)
    return _build(pids, arrival, offsets, values, attributes, stem, label)


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
        _decode(data, label)
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
        values = column.to_numpy()
    elif column.type == arrow.float64() and not integer:
        values = column.to_numpy()
        with np.errstate(invalid="ignore"):  # inf - inf: not fractional
            fractional = bool(np.any(values - np.floor(values) > 0))
        # a fractional value can only be written with a dot or an exponent; whole values
        # may be integers beyond int64 or written +5, which the numpy path reads otherwise
        if not fractional and not any(mark in written() for mark in (b".", b"e", b"E")):
            return None
    else:
        return None
    return values if values.flags.writeable else values.copy()


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
            problems.append((row, f"{locate(name, row, None)}: {value}, got {describe(text)}"))
            value = 1
        parsed.append(value)
    floating = any(type(value) is float for value in parsed)
    return np.asarray(parsed, dtype=np.float64 if floating else np.int64)


def _parse_number(text: str, integer: bool) -> int | float | str:
    """A number, or the reason it is not one."""
    if _INTEGER.match(text):
        value = int(text)
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
                    (row, f"{locate('bursts', row, position)}: {value}, got {describe(token)}")
                )
                value = 1
            flat.append(value)
    offsets = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(lengths_list, out=offsets[1:])
    floating = any(type(value) is float for value in flat)
    return offsets, np.asarray(flat, dtype=np.float64 if floating else np.int64)


# ---------------------------------------------------------------------------------------
# NPZ
# ---------------------------------------------------------------------------------------
NPZ_REQUIRED = ("pid", "arrival", "burst_offsets", "burst_values")
NPZ_ARRAYS = (*NPZ_REQUIRED, "priority", "tickets", "nice", "name")


def _load_npz(data: bytes, label: str, stem: str, limits: _Limits) -> Workload:
    if data.startswith(b"\x93NUMPY"):
        raise WorkloadError(f"{label}: a single .npy array, not an .npz archive of arrays")
    if not data.startswith(b"PK"):
        raise WorkloadError(f"{label}: not an .npz archive (not a zip file)")
    try:
        archive = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as error:
        raise WorkloadError(f"{label}: not a readable .npz archive: {error}") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise WorkloadError(f"{label}: not an .npz archive (a single .npy array?)")
    with archive:
        members = archive.zip.infolist() if archive.zip is not None else []
        inflated = sum(member.file_size for member in members)
        if inflated > limits.bytes:  # checked before inflating anything: no zip bombs
            raise WorkloadError(
                f"{label}: arrays of {inflated:,} bytes once decompressed, over the "
                f"{limits.bytes:,}-byte limit for CSV and NPZ; raise it with --max-file-size"
            )
        problems: list[str] = []
        for key in archive.files:
            if key not in NPZ_ARRAYS:
                problems.append(f"{label}: {unknown_key_message(key, NPZ_ARRAYS, 'array')}")
        for key in NPZ_REQUIRED:
            if key not in archive.files:
                problems.append(f"{label}: required array {key!r} is missing")
        if problems:
            raise WorkloadError(problems)
        arrays: dict[str, np.ndarray] = {}
        for key in archive.files:
            try:
                arrays[key] = archive[key]
            except (ValueError, OSError, zipfile.BadZipFile, EOFError) as error:
                problems.append(
                    f"{label}: {key}: cannot be read: {error} (object arrays are never "
                    "loaded; save strings as a str array, numbers as int or float arrays)"
                )
        if problems:
            raise WorkloadError(problems)
    return _npz_workload(arrays, label, stem, limits)


def _npz_workload(
    arrays: dict[str, np.ndarray], label: str, stem: str, limits: _Limits
) -> Workload:
    problems: list[str] = []

    def shape_problem(key: str, kinds: str, what: str, length: int | None) -> bool:
        array = arrays[key]
        if array.ndim != 1 or array.dtype.kind not in kinds:
            problems.append(
                f"{label}: {key}: must be a 1-D array of {what}, got {array.ndim}-D {array.dtype}"
            )
            return True
        if length is not None and len(array) != length:
            problems.append(f"{label}: {key}: must have {length} entries, got {len(array)}")
            return True
        return False

    if shape_problem("pid", "UiuS", "strings", None):
        raise WorkloadError(problems)
    pid_array = arrays["pid"]
    if pid_array.dtype.kind == "S":
        pid_array = np.char.decode(pid_array, "utf-8", errors="replace")
    if len(pid_array) > limits.processes:
        raise WorkloadError(
            f"{label}: pid: {len(pid_array):,} processes, over the limit of "
            f"{limits.processes:,}; raise it with --max-processes"
        )
    pids = [str(pid) for pid in pid_array.tolist()]
    count = len(pids)
    if count == 0:
        raise WorkloadError(f"{label}: pid: must not be empty; give at least one process")
    shape_problem("arrival", "iuf", "numbers", count)
    shape_problem("burst_offsets", "iu", "integers", count + 1)
    shape_problem("burst_values", "iuf", "numbers", None)
    attributes: dict[str, np.ndarray] = {}
    for key, _ in ATTRIBUTES:
        if key in arrays and not shape_problem(key, "iu", "integers", count):
            column = arrays[key]
            if column.dtype.kind == "u" and len(column) and int(column.max()) > INT64_MAX:
                problems.append(f"{label}: {key}: values must fit in int64")
            attributes[key] = column.astype(np.int64)
    name = stem
    if "name" in arrays:
        given = arrays["name"]
        if given.dtype.kind != "U" or given.size != 1:
            problems.append(f"{label}: name: must be a single string, got {given.dtype}")
        else:
            name = str(given.reshape(()).item())
    if problems:
        raise WorkloadError(problems)
    offsets = arrays["burst_offsets"].astype(np.int64)
    values = arrays["burst_values"]
    if offsets[0] != 0 or offsets[-1] != len(values) or bool(np.any(np.diff(offsets) < 0)):
        raise WorkloadError(
            f"{label}: burst_offsets: must start at 0, never decrease, and end at "
            f"len(burst_values) = {len(values)}; got {describe(offsets[0].item())} .. "
            f"{describe(offsets[-1].item())}"
        )
    arrival = arrays["arrival"]
    floating = arrival.dtype.kind == "f" or values.dtype.kind == "f"
    dtype = np.float64 if floating else np.int64
    arrival, values = arrival.astype(dtype), values.astype(dtype)

    def locate(field: str, row: int, position: int | None) -> str:
        pid = f" (pid {plain(pids[row])})" if pids[row].strip() else ""
        if field != "bursts":
            return f"{label}: {field}[{row}]{pid}"
        if position is None:
            return f"{label}: burst_offsets[{row}:{row + 2}]{pid}: bursts"
        kind = "CPU" if position % 2 == 0 else "I/O"
        where = f"pid {plain(pids[row])}, " if pid else ""
        return f"{label}: burst_values[{int(offsets[row]) + position}] ({where}{kind} burst)"

    refer: Callable[[int], str] = lambda row: f"pid[{row}]"  # noqa: E731
    found = check_columns(pids, arrival, offsets, values, attributes, locate, refer)
    if found:
        raise WorkloadError([message for _, message in found])
    return _build(pids, arrival, offsets, values, attributes, name, label)


# ---------------------------------------------------------------------------------------
# Saving
# ---------------------------------------------------------------------------------------
def save_workload(workload: Workload, path: str | Path) -> None:
    """Write ``workload`` to ``path`` (.yaml/.yml, .json, .csv or .npz, by extension).

    The file is written atomically, and loading it back gives the same columns (and the
    same time dtype).  YAML and JSON output is deterministic: the same workload always
    gives a byte-identical file.  Attributes at their default (priority 0, tickets 100,
    nice 0) are omitted."""
    target = Path(path)
    suffix = _extension(target)
    data: str | bytes
    if suffix in (".yaml", ".yml"):
        data = workload_to_yaml(workload)
    elif suffix == ".json":
        data = workload_to_json(workload)
    elif suffix == ".csv":
        data = workload_to_csv(workload)
    else:
        data = workload_to_npz(workload)
    write_atomic(target, data)


def _attribute_lists(workload: Workload) -> list[tuple[str, list[int], int]]:
    return [(key, getattr(workload, key).tolist(), default) for key, default in ATTRIBUTES]


_PLAIN_SAFE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
_YAML_WORDS = frozenset({"yes", "no", "on", "off", "true", "false", "null", "y", "n"})
# characters YAML may hold literally inside double quotes (not line breaks such as U+2028,
# not the byte-order mark, not C0/C1 controls)
_YAML_PRINTABLE = re.compile(
    "[\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)


def _yaml_string(text: str) -> str:
    """``text`` as a YAML scalar that reads back as exactly this string."""
    if _PLAIN_SAFE.match(text) and text.lower() not in _YAML_WORDS:
        return text
    out = ['"']
    for character in text:
        if character in '"\\':
            out.append("\\" + character)
        elif _YAML_PRINTABLE.match(character):
            out.append(character)
        elif ord(character) < 0x10000:
            out.append(f"\\u{ord(character):04x}")
        else:
            out.append(f"\\U{ord(character):08x}")
    out.append('"')
    return "".join(out)


def _yaml_number(value: int | float) -> str:
    """A number as YAML 1.1 reads it back: floats keep a dot so they stay floats."""
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    if "." not in text and "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}.0e{exponent}"
    return text


def _json_number(value: int | float) -> str:
    if isinstance(value, int) or math.isfinite(value):
        return repr(value)  # the shortest text that reads back as the same float
    return json.dumps(value)


def _records(
    workload: Workload,
    number: Callable[[int | float], str],
    string: Callable[[str], str],
) -> list[list[str]]:
    """Per process, its ``key: value`` fields in file order, already formatted (shared by
    the YAML and JSON writers, which differ only in how they spell numbers and strings)."""
    arrivals = workload.arrival.tolist()
    attributes = _attribute_lists(workload)
    keys = {key: string(key) for key in ("pid", "arrival", "burst", "bursts")}
    keys.update({key: string(key) for key, _, _ in attributes})
    records: list[list[str]] = []
    for index, bursts in enumerate(workload.iter_bursts()):
        fields = [
            f"{keys['pid']}: {string(workload.pid[index])}",
            f"{keys['arrival']}: {number(arrivals[index])}",
        ]
        if len(bursts) == 1:
            fields.append(f"{keys['burst']}: {number(bursts[0])}")
        else:
            fields.append(f"{keys['bursts']}: [{', '.join(map(number, bursts))}]")
        for key, values, default in attributes:
            if values[index] != default:
                fields.append(f"{keys[key]}: {values[index]}")
        records.append(fields)
    return records


def workload_to_yaml(workload: Workload) -> str:
    """The canonical YAML form: ``name:`` then a ``processes:`` list in block style."""
    lines = [f"name: {_yaml_string(workload.name)}", "processes:"]
    for fields in _records(workload, _yaml_number, _yaml_string):
        lines.append(f"  - {fields[0]}")
        lines.extend(f"    {field}" for field in fields[1:])
    return "\n".join(lines) + "\n"


_JSON_PLAIN = re.compile(r"[A-Za-z0-9_.:@/+ -]*\Z")


def _json_string(text: str) -> str:
    if _JSON_PLAIN.match(text):
        return f'"{text}"'
    return json.dumps(text, ensure_ascii=False)


def workload_to_json(workload: Workload) -> str:
    """The JSON form: the same structure as YAML, one process per line."""
    records = _records(workload, _json_number, _json_string)
    body = ",\n    ".join("{" + ", ".join(fields) + "}" for fields in records)
    processes = f"[\n    {body}\n  ]" if records else "[]"
    return f'{{\n  "name": {_json_string(workload.name)},\n  "processes": {processes}\n}}\n'


def _csv_field(text: str) -> str:
    if any(character in text for character in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def workload_to_csv(workload: Workload) -> str:
    """The bulk CSV form: ``pid,arrival,burst`` (or ``bursts``, space-separated) and any
    attribute column that is not at its default everywhere."""
    pids = workload.pid
    joined = "\x00".join(pids)
    if any(character in joined for character in ',"\r\n'):
        pids = [_csv_field(pid) for pid in pids]
    header = ["pid", "arrival"]
    columns: list[Sequence[str]] = [pids, list(map(str, workload.arrival.tolist()))]
    if workload.has_io:
        header.append("bursts")
        values = list(map(str, workload.burst_values.tolist()))
        offsets = workload.burst_offsets.tolist()
        columns.append([" ".join(values[start:end]) for start, end in pairwise(offsets)])
    else:
        header.append("burst")
        columns.append(list(map(str, workload.burst_values.tolist())))
    for key, default in ATTRIBUTES:
        values = getattr(workload, key)
        if bool(np.any(values != default)):
            header.append(key)
            columns.append(list(map(str, values.tolist())))
    rows = map(",".join, zip(*columns, strict=True))
    return ",".join(header) + "\n" + "\n".join(rows) + "\n"


def workload_to_npz(workload: Workload) -> bytes:
    """The NPZ form: one array per column, bursts in CSR form (offsets + values)."""
    buffer = io.BytesIO()
    np.savez(
        buffer,
        pid=np.asarray(workload.pid, dtype=np.str_),
        arrival=workload.arrival,
        burst_offsets=workload.burst_offsets,
        burst_values=workload.burst_values,
        priority=workload.priority,
        tickets=workload.tickets,
        nice=workload.nice,
        name=np.asarray(workload.name, dtype=np.str_),
    )
    return buffer.getvalue()
