"""The workload file model (pydantic), and its errors phrased for people.

One :class:`Process` model describes a process entry in YAML and JSON files; it gives the
precise location of every problem and the JSON Schema that editors use for completion.
Pydantic's own messages are never shown: :func:`validate_processes` turns each error into
``process #3 (pid P4): bursts: must have odd length (CPU first and last), got 4 values``.

Times (arrival, bursts) are at most :data:`~schedsim.limits.MAX_TIME` and whole-number
attributes fit in int64; :mod:`schedsim.limits` says why.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Sequence
from typing import Annotated, Any

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from schedsim.digits import HugeInteger, digit_count
from schedsim.limits import INT64_MAX, INT64_MIN, MAX_TIME
from schedsim.workload import DEFAULT_NICE, DEFAULT_PRIORITY, DEFAULT_TICKETS

NICE_MIN, NICE_MAX = -20, 19


def _check_pid(value: object) -> str:
    """A pid is a non-empty string; an integer is accepted and becomes its decimal string."""
    if isinstance(value, bool) or not isinstance(value, str | int | HugeInteger):
        raise PydanticCustomError("pid_type", "must be a string or an integer")
    if isinstance(value, HugeInteger) or (isinstance(value, int) and digit_count(value) > 100):
        raise PydanticCustomError("pid_long", "an integer pid may have at most 100 digits")
    text = str(value)
    if not text.strip():
        raise PydanticCustomError("pid_empty", "must not be empty")
    if not is_text(text):
        raise PydanticCustomError("pid_text", "must be valid Unicode text (no lone surrogate)")
    return text


def _check_odd(values: list[float]) -> list[float]:
    if len(values) % 2 == 0:
        raise PydanticCustomError(
            "bursts_even",
            "must have odd length (CPU first and last), got {count} values",
            {"count": len(values)},
        )
    return values


Pid = Annotated[
    str,
    BeforeValidator(_check_pid, json_schema_input_type=str | int),
    Field(description="unique process id (integers are read as their decimal string)"),
]
TimeValue = Annotated[float, Field(strict=True, allow_inf_nan=False, le=MAX_TIME)]
Burst = Annotated[TimeValue, Field(gt=0)]
Integer = Annotated[int, Field(strict=True, ge=INT64_MIN, le=INT64_MAX)]


class Process(BaseModel):
    """One process: when it arrives, its bursts, and its scheduling attributes."""

    model_config = ConfigDict(
        extra="forbid",
        title="Process",
        json_schema_extra={
            "oneOf": [
                {"required": ["burst"]},
                {"required": ["bursts"]},
                {"required": ["run"]},
                {"required": ["wcet"]},
            ]
        },
    )

    pid: Pid
    arrival: Annotated[TimeValue, Field(ge=0, description="arrival time, >= 0")] = 0
    burst: Annotated[
        Burst | None, Field(description="one CPU burst, > 0 (give burst or bursts)")
    ] = None
    bursts: Annotated[
        Annotated[list[Burst], Field(min_length=1), AfterValidator(_check_odd)] | None,
        Field(description="CPU, I/O, CPU, ... bursts: odd length, each > 0"),
    ] = None
    run: Annotated[
        list[Any] | None,
        Field(
            description=(
                "a script of steps instead of bursts: {cpu: T}, {io: T}, {lock|unlock: L}, "
                "{acquire|release: S}, {wait|set|clear: E}, {put|get: Q}, {join: PID}"
            ),
        ),
    ] = None
    daemon_of: Annotated[
        Pid | None,
        Field(description="a daemon process: ended the moment this process finishes"),
    ] = None
    period: Annotated[
        Burst | None,
        Field(
            description=(
                "a periodic task: a job is released every period (> 0), named PID#1, PID#2, "
                "...; with releases, the minimum time between two (a sporadic task)"
            )
        ),
    ] = None
    deadline: Annotated[
        Burst | None,
        Field(description="relative deadline of each job, > 0 (default for a task: its period)"),
    ] = None
    wcet: Annotated[
        Burst | None,
        Field(description="CPU time of each job of a task, > 0 (like burst)"),
    ] = None
    phase: Annotated[
        TimeValue | None, Field(ge=0, description="first release of a periodic task, >= 0")
    ] = None
    jobs: Annotated[
        Annotated[int, Field(strict=True, ge=1, le=INT64_MAX)] | None,
        Field(description="how many jobs a periodic task releases (default: up to the horizon)"),
    ] = None
    releases: Annotated[
        Annotated[list[Annotated[TimeValue, Field(ge=0)]], Field(min_length=1)] | None,
        Field(description="a sporadic task's release times (gaps >= period)"),
    ] = None
    priority: Annotated[
        Integer, Field(description="lower is more important (priority policies)")
    ] = DEFAULT_PRIORITY
    tickets: Annotated[Integer, Field(ge=1, description="lottery tickets / stride share, >= 1")] = (
        DEFAULT_TICKETS
    )
    nice: Annotated[
        Integer,
        Field(ge=NICE_MIN, le=NICE_MAX, description="fair-share weight, -20..19"),
    ] = DEFAULT_NICE
    slice: Annotated[
        Burst | None,
        Field(
            description="EEVDF request size (the kernel's sched_runtime), > 0; "
            "default: the policy's base slice"
        ),
    ] = None

    @model_validator(mode="after")
    def _one_burst_field(self) -> Process:
        given = [
            self.burst is not None,
            self.bursts is not None,
            self.run is not None,
            self.wcet is not None,
        ]
        if sum(given) != 1:
            raise PydanticCustomError(
                "burst_choice",
                "both given" if sum(given) > 1 else "neither given",
            )
        return self


class WorkloadFile(BaseModel):
    """A workload file: an optional name and the list of processes (in tie-breaking order)."""

    model_config = ConfigDict(extra="forbid", title="schedsim workload")

    name: Annotated[str, Field(description="workload name (default: the file name)")] = "workload"
    resources: Annotated[
        dict[str, Any] | None,
        Field(
            description=(
                "resources for run: scripts: locks: [names], semaphores: {name: initial "
                "value}, events: [names], queues: {name: capacity}"
            )
        ),
    ] = None
    processes: Annotated[list[Process], Field(min_length=1)]


PROCESS_KEYS = tuple(Process.model_fields)
FILE_KEYS = tuple(WorkloadFile.model_fields)
_PROCESSES = TypeAdapter(list[Process])


def workload_json_schema() -> dict[str, Any]:
    """The JSON Schema of a workload file, for editors (YAML language servers, VS Code)."""
    schema = WorkloadFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


# ---------------------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------------------
def is_text(value: str) -> bool:
    """Whether ``value`` can be written out as UTF-8: no lone surrogate (JSON's
    ``"\\ud800"``, which no output file or terminal can hold)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def plain(text: str, limit: int = 40) -> str:
    """``text`` for an error message: unprintable characters (line breaks, controls) escaped
    so a message stays on its line, and cut to ``limit`` characters."""
    if not text.isprintable():
        text = repr(text)[1:-1]
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe(value: object) -> str:
    """A short, safe rendering of a bad value (never a huge or recursive repr)."""
    if isinstance(value, bool):
        word = "true" if value else "false"
        return (
            f"boolean {word} (YAML reads yes/no/on/off/true/false as booleans; "
            "write a number, or quote text)"
        )
    if value is None:
        return "nothing (null)"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"string {shown!r}"
    if isinstance(value, HugeInteger):
        return value.describe()
    if isinstance(value, int):
        if abs(value) < 10**30:
            return str(value)
        return f"an integer of {digit_count(value):,} digits"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else repr(value)
    if isinstance(value, list | tuple):
        return f"a list of {len(value)} item(s)"
    if isinstance(value, dict):
        keys = ", ".join(plain(str(key), 20) for key in list(value)[:6])
        return f"a mapping (keys: {keys})" if value else "an empty mapping"
    return f"{type(value).__name__} {str(value)[:40]!r}"


def closest(word: str, choices: Sequence[str]) -> str | None:
    """The allowed name a typo most likely meant (``brust`` -> ``burst``), if any."""
    matches = difflib.get_close_matches(word.lower(), choices, n=1, cutoff=0.6)
    return matches[0] if matches else None


def unknown_key_message(key: object, allowed: Sequence[str], kind: str = "key") -> str:
    """``unknown key 'brust' (did you mean 'burst'?); allowed keys: pid, ...``."""
    text = f"unknown {kind} {plain(str(key), 60)!r}"
    suggestion = closest(str(key), allowed) if isinstance(key, str) else None
    if suggestion:
        text += f" (did you mean {suggestion!r}?)"
    return f"{text}; allowed {kind}s: {', '.join(allowed)}"


def _message(error: Any, field: str) -> str:
    kind = error["type"]
    value = error.get("input")
    context = error.get("ctx") or {}
    got = f", got {describe(value)}"
    if kind == "missing":
        return "field required"
    if isinstance(value, HugeInteger) and field != "pid":
        return f"out of range, got {describe(value)}"
    if kind == "float_type":
        return f"must be a number{got}"
    if kind == "int_type":
        return f"must be an integer{got}"
    if kind == "finite_number":
        return f"must be a finite number{got}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        if field == "nice":
            return f"must be in {NICE_MIN}..{NICE_MAX}{got}"
        operator = {
            "greater_than": ">",
            "greater_than_equal": ">=",
            "less_than": "<",
            "less_than_equal": "<=",
        }[kind]
        bound = next(iter(context.values()))
        if isinstance(bound, float) and bound.is_integer():
            bound = int(bound)
        return f"must be {operator} {bound}{got}"
    if kind == "too_short" and field == "releases":
        return "must not be empty: list the release times, e.g. releases: [0, 40, 95]"
    if kind == "too_short":
        return "must not be empty: give at least one CPU burst, e.g. bursts: [5, 3, 2]"
    if kind == "list_type":
        if field == "run":
            return f"must be a list of steps, e.g. [{{cpu: 2}}, {{lock: bus}}]{got}"
        return f"must be a list of numbers, e.g. [5, 3, 2]{got}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"must be a mapping with keys pid, arrival, burst or bursts, ...{got}"
    if kind in ("pid_type", "pid_empty", "pid_long", "pid_text"):
        return f"{error['msg']}{got}"
    if kind == "bursts_even":
        return str(error["msg"])
    if kind in ("extra_forbidden", "invalid_key"):
        return unknown_key_message(field, PROCESS_KEYS)
    text = str(error["msg"])
    return f"{text[:1].lower()}{text[1:]}{got}"


def process_label(index: int, raw: object) -> str:
    """``process #3 (pid P4)``: 1-based position, and the pid when it is usable."""
    pid = raw.get("pid") if isinstance(raw, dict) else None
    if isinstance(pid, int) and not isinstance(pid, bool):
        pid = str(pid)
    if isinstance(pid, str) and pid.strip():
        return f"process #{index + 1} (pid {plain(pid)})"
    return f"process #{index + 1}"


def _field_label(location: tuple[Any, ...]) -> str:
    if not location:
        return ""
    field = str(location[0])
    if field == "bursts" and len(location) > 1 and isinstance(location[1], int):
        position = location[1]
        return f"bursts[{position}] ({'CPU' if position % 2 == 0 else 'I/O'})"
    if field == "releases" and len(location) > 1 and isinstance(location[1], int):
        return f"releases[{location[1]}]"
    return plain(field)  # an unknown key may hold a line break


def validate_processes(processes: list[Any]) -> list[tuple[int, str]]:
    """Every problem in a list of raw process entries, as (index, message) in file order.

    Messages start at ``process #i (pid P)``; the caller prefixes the file name."""
    problems: list[tuple[int, int, str]] = []
    try:
        _PROCESSES.validate_python(processes)
    except ValidationError as error:
        for order, detail in enumerate(error.errors(include_url=False)):
            location = detail["loc"]
            index = int(location[0])
            rest = tuple(location[1:])
            raw = processes[index]
            if detail["type"] == "burst_choice":
                periodic = isinstance(raw, dict) and "period" in raw
                if detail["msg"] == "both given" and isinstance(raw, dict) and "wcet" in raw:
                    text = (
                        "burst, bursts, run, wcet: give only one of them (wcet for the CPU "
                        "time of each job of a task)"
                    )
                elif detail["msg"] == "both given":
                    text = (
                        "burst, bursts, run: give only one of them (burst for one CPU burst, "
                        "run for a script of steps)"
                    )
                elif periodic:
                    text = (
                        "wcet: field required (give wcet: N, the CPU time of each job, or "
                        "bursts: [cpu, io, cpu, ...] or run: [steps] for each job)"
                    )
                else:
                    text = (
                        "burst: field required (give burst: N for one CPU burst, "
                        "bursts: [cpu, io, cpu, ...], or run: [steps])"
                    )
            else:
                field = _field_label(rest)
                text = f"{field}: {_message(detail, str(rest[0]) if rest else '')}"
                if not field:
                    text = _message(detail, "")
            problems.append((index, order, f"{process_label(index, raw)}: {text}"))
    problems.extend((index, -1, message) for index, message in _duplicate_pids(processes))
    problems.sort(key=lambda item: (item[0], item[1]))
    return [(index, message) for index, _, message in problems]


def _duplicate_pids(processes: list[Any]) -> list[tuple[int, str]]:
    first_seen: dict[str, int] = {}
    found: list[tuple[int, str]] = []
    for index, raw in enumerate(processes):
        if not isinstance(raw, dict):
            continue
        pid = raw.get("pid")
        if isinstance(pid, bool) or not isinstance(pid, str | int) or not str(pid).strip():
            continue
        key = str(pid)
        if key in first_seen:
            found.append(
                (
                    index,
                    f"{process_label(index, raw)}: pid: duplicate of process "
                    f"#{first_seen[key] + 1}; pids must be unique",
                )
            )
        else:
            first_seen[key] = index
    return found


# ---------------------------------------------------------------------------------------
# Column-wise rules (CSV, NPZ): the same rules as Process, vectorised
# ---------------------------------------------------------------------------------------
Locate = Callable[[str, int, "int | None"], str]


def _bad_rows(
    problems: list[tuple[int, str]],
    mask: np.ndarray,
    values: np.ndarray,
    locate: Locate,
    column: str,
    rule: str,
) -> None:
    """Add ``locate(column, row, None): rule, got value`` for every True row in ``mask``."""
    for row in np.flatnonzero(mask).tolist():
        value = values[row].item()
        problems.append((row, f"{locate(column, row, None)}: {rule}, got {describe(value)}"))


def _may_repeat(pids: Sequence[str]) -> bool:
    """False when the pids are certainly all different: their hashes are (equal strings
    have equal hashes).  Sorting a million hashes is several times faster than building a
    set of the strings; a repeated hash, real duplicate or not, sends the caller to the
    exact check."""
    hashes = np.fromiter(map(hash, pids), dtype=np.int64, count=len(pids))
    hashes.sort()
    return bool(np.any(hashes[1:] == hashes[:-1]))


def check_columns(
    pids: Sequence[str],
    arrival: np.ndarray,
    burst_offsets: np.ndarray,
    burst_values: np.ndarray,
    attributes: dict[str, np.ndarray],
    locate: Locate,
    refer: Callable[[int], str],
) -> list[tuple[int, str]]:
    """Every rule violation in already-parsed columns, as (row, message) sorted by row.

    ``locate(column, row, position)`` phrases where a problem is (``position`` is the index
    within a process's bursts, or None); ``refer(row)`` names another row, for duplicates.
    Columns must already have consistent lengths; values are checked here."""
    problems: list[tuple[int, str]] = []
    count = len(pids)
    # str.split() stops at the first whitespace: a cheap test before looking at each pid
    blank = "" in pids or (
        len("\x00".join(pids).split(maxsplit=1)) > 1 and any(map(str.isspace, pids))
    )
    if blank:
        for row, pid in enumerate(pids):
            if not pid.strip():
                problems.append((row, f"{locate('pid', row, None)}: must not be empty"))
    if _may_repeat(pids):
        first_seen: dict[str, int] = {}
        for row, pid in enumerate(pids):
            if pid in first_seen and pid.strip():
                problems.append(
                    (
                        row,
                        f"{locate('pid', row, None)}: duplicate of {refer(first_seen[pid])}; "
                        "pids must be unique",
                    )
                )
            first_seen.setdefault(pid, row)
    finite = np.isfinite(arrival) if arrival.dtype.kind == "f" else np.ones(count, dtype=bool)
    _bad_rows(problems, ~finite, arrival, locate, "arrival", "must be a finite number")
    _bad_rows(problems, finite & (arrival < 0), arrival, locate, "arrival", "must be >= 0")
    _bad_rows(
        problems,
        finite & (arrival > MAX_TIME),
        arrival,
        locate,
        "arrival",
        f"must be <= {MAX_TIME}",
    )
    lengths = np.diff(burst_offsets)
    for row in np.flatnonzero(lengths == 0).tolist():
        problems.append(
            (row, f"{locate('bursts', row, None)}: must not be empty: give at least one CPU burst")
        )
    for row in np.flatnonzero(lengths % 2 == 0).tolist():
        if lengths[row]:
            problems.append(
                (
                    row,
                    f"{locate('bursts', row, None)}: must have odd length (CPU first and last), "
                    f"got {int(lengths[row])} values",
                )
            )
    bad = ~(burst_values > 0) | (burst_values > MAX_TIME)
    if burst_values.dtype.kind == "f":
        bad |= ~np.isfinite(burst_values)
    if bad.any():
        owners = np.searchsorted(burst_offsets, np.arange(len(burst_values)), side="right") - 1
        positions = np.arange(len(burst_values)) - burst_offsets[owners]
        for flat in np.flatnonzero(bad).tolist():
            value = burst_values[flat].item()
            if isinstance(value, float) and not math.isfinite(value):
                rule = "must be a finite number"
            elif value > MAX_TIME:
                rule = f"must be <= {MAX_TIME}"
            else:
                rule = "must be > 0"
            row, position = int(owners[flat]), int(positions[flat])
            problems.append(
                (row, f"{locate('bursts', row, position)}: {rule}, got {describe(value)}")
            )
    if "tickets" in attributes:
        tickets = attributes["tickets"]
        _bad_rows(problems, tickets < 1, tickets, locate, "tickets", "must be >= 1")
    if "slice" in attributes:
        slices = attributes["slice"]
        finite = np.isfinite(slices) if slices.dtype.kind == "f" else np.ones(count, dtype=bool)
        _bad_rows(problems, ~finite, slices, locate, "slice", "must be a finite number")
        _bad_rows(problems, finite & (slices < 0), slices, locate, "slice", "must be > 0 (0: none)")
        too_long = finite & (slices > MAX_TIME)
        _bad_rows(problems, too_long, slices, locate, "slice", f"must be <= {MAX_TIME}")
    if "nice" in attributes:
        nice = attributes["nice"]
        _bad_rows(
            problems,
            (nice < NICE_MIN) | (nice > NICE_MAX),
            nice,
            locate,
            "nice",
            f"must be in {NICE_MIN}..{NICE_MAX}",
        )
    problems.sort(key=lambda item: item[0])
    return problems
