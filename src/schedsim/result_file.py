"""The result file: a run's :class:`~schedsim.result.Result` as JSON, written and read back.

The JSON form is the project's trace format: ``schedsim run --format json``,
``schedsim measure --output`` and anything else that writes a result produce it, and
``schedsim gantt`` / ``schedsim compare`` read it back, whoever produced it.

Writing streams the document in pieces (:func:`json_chunks`): two-space indents and one
record per line, each record formatted with one ``%``, so a million records are written
without holding the whole text.  Reading (:func:`load_result_file`, :func:`result_fields`)
trusts nothing: a result file may come from anywhere and charts size themselves from it, so
every field is checked before it is used and every problem is reported at once, each naming
the field (``jobs[2] (pid P3): finish: must be a finite number, got inf``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from schedsim import __version__
from schedsim.errors import SchedsimError
from schedsim.limits import INT64_MAX, INT64_MIN, MAX_CPUS, MAX_RESULT_BYTES
from schedsim.metrics import JOB_COLUMNS, OPTIONAL_JOB_COLUMNS
from schedsim.schema import plain
from schedsim.trace import REASON_NAMES, Timeline

if TYPE_CHECKING:
    from schedsim.result import Result

FORMAT_VERSION = 1
# Levels a saved timeline may hold: the timeline stores them as int16 (-1: no level).
LEVEL_RANGE = (-1, 2**15 - 1)
# Records formatted per chunk when a result is written as JSON.
RECORD_CHUNK = 65_536
HOW_TO_SAVE = "write one with 'schedsim run FILE --format json --output RESULT.json'"
_MAX_PROBLEMS = 50


class ResultFileError(SchedsimError):
    """A saved result file is not in the result format."""


# -- writing ------------------------------------------------------------------------------------
def result_document(result: Result, *, include_timeline: bool = True) -> dict[str, Any]:
    """The JSON form as plain data (what :func:`json_chunks` writes)."""
    convert = time_converter(result.integer_times)
    out = _outline(result, include_timeline)
    out["jobs"] = result.job_records()
    if "timeline" in out:
        out["timeline"] = result.timeline_records()
        out["io"] = [
            {"pid": result.pids[job], "start": convert(start), "end": convert(end)}
            for job, start, end in result.io_periods
        ]
    return out


def _outline(result: Result, include_timeline: bool) -> dict[str, Any]:
    """The JSON form's keys in order, with None for the lists of records."""
    out: dict[str, Any] = {
        "schedsim": result.version,
        "format": FORMAT_VERSION,
        "kind": result.kind,
        "policy": result.policy,
        "options": result.options,
        "settings": result.settings,
        "workload": result.workload,
        "workload_file": result.source,
        "jobs": None,
        "summary": {key: _json_number(value) for key, value in result.summary.items()},
    }
    if result.resources is not None:
        out["resources"] = result.resources
    if result.deadlock is not None:
        out["deadlock"] = result.deadlock
    if include_timeline and result.timeline is not None:
        out["timeline"] = out["io"] = None
    if result.extra:
        out["extra"] = result.extra
    return out


def json_chunks(result: Result, *, include_timeline: bool = True) -> Iterator[str]:
    """The JSON form of :func:`result_document` in pieces, for writing without holding it all.

    Laid out with two-space indents and one record per line, which keeps a million records
    readable and diffable, and lets them be formatted with one ``%`` per record (json's
    indenting encoder is pure Python and holds every fragment of the document at once:
    gigabytes at a million records)."""
    document = _outline(result, include_timeline)
    records: dict[str, Callable[[Result], Iterator[str]]] = {
        "jobs": _job_lines,
        "timeline": _slice_lines,
        "io": _io_lines,
    }
    yield "{"
    for index, (key, value) in enumerate(document.items()):
        yield ",\n  " if index else "\n  "
        yield json.dumps(key) + ": "
        lines = records.get(key)
        if lines is None:
            yield json.dumps(value, indent=2).replace("\n", "\n  ")
            continue
        empty = True
        for chunk in lines(result):
            yield ("[\n    " if empty else ",\n    ") + chunk
            empty = False
        yield "[]" if empty else "\n  ]"
    yield "\n}\n"


def _job_lines(result: Result) -> Iterator[str]:
    names = result.job_column_names
    columns = [result.jobs[name] for name in names]
    pids = list(map(encode_basestring_ascii, result.pids))
    # pids go in already encoded (%s); numbers as repr, which is JSON's spelling (%r)
    template = '{"pid": %s' + "".join(f', "{name}": %r' for name in names) + "}"
    for start in range(0, len(pids), RECORD_CHUNK):
        stop = start + RECORD_CHUNK
        values = [column[start:stop] for column in columns]
        if all(np.all(np.isfinite(column)) for column in values):
            rows = zip(pids[start:stop], *(column.tolist() for column in values), strict=True)
            yield ",\n    ".join(map(template.__mod__, rows))
        else:  # NaN, a time that never came (a process left in a deadlock), is null
            lists = [[_never_as_null(value) for value in column.tolist()] for column in values]
            yield ",\n    ".join(
                json.dumps({"pid": result.pids[start + i], **dict(zip(names, row, strict=True))})
                for i, row in enumerate(zip(*lists, strict=True))
            )


def _slice_lines(result: Result) -> Iterator[str]:
    assert result.timeline is not None
    ordered = result.timeline.sorted_by_start().arrays()
    pids = list(map(encode_basestring_ascii, result.pids))
    reasons = [encode_basestring_ascii(name) for name in REASON_NAMES]
    template = (
        '{"cpu": %r, "pid": %s, "dispatched": %r, "start": %r, "end": %r, '
        '"level": %r, "reason": %s}'
    )
    for start in range(0, len(ordered["job"]), RECORD_CHUNK):
        stop = start + RECORD_CHUNK
        times = [
            _json_times(ordered[name][start:stop], result.integer_times)
            for name in ("dispatched", "start", "end")
        ]
        rows = zip(
            ordered["cpu"][start:stop].tolist(),
            [pids[job] for job in ordered["job"][start:stop].tolist()],
            *times,
            ordered["level"][start:stop].tolist(),
            [reasons[reason] for reason in ordered["reason"][start:stop].tolist()],
            strict=True,
        )
        yield ",\n    ".join(map(template.__mod__, rows))


def _io_lines(result: Result) -> Iterator[str]:
    convert = time_converter(result.integer_times)
    for start in range(0, len(result.io_periods), RECORD_CHUNK):
        yield ",\n    ".join(
            json.dumps({"pid": result.pids[job], "start": convert(begin), "end": convert(end)})
            for job, begin, end in result.io_periods[start : start + RECORD_CHUNK]
        )


def _json_times(values: np.ndarray, integer_times: bool) -> list[Any]:
    """Timeline times as :func:`result_document` writes them: whole numbers as ints in an
    integer-time result, floats otherwise; JSON's spelling for non-finite values."""
    if not bool(np.all(np.isfinite(values))):
        convert = time_converter(integer_times)
        return [_RawJson(json.dumps(convert(value))) for value in values.tolist()]
    if not integer_times:
        return values.tolist()
    whole = values == np.floor(values)
    if bool(np.all(whole)) and bool(np.all(np.abs(values) < 2**63)):
        return values.astype(np.int64).tolist()
    convert = time_converter(True)
    return [convert(value) for value in values.tolist()]


class _RawJson(str):
    """Text already spelled as JSON (a non-finite number), which ``%r`` writes as it is."""

    def __repr__(self) -> str:
        return str(self)


def time_converter(integer: bool) -> Any:
    """How a time is written: in an integer-time result, whole numbers as ints."""
    if integer:
        return lambda value: int(value) if float(value).is_integer() else value
    return float


def _never_as_null(value: Any) -> Any:
    """NaN (a time that never came) as None; other values, infinities too, as they are."""
    return None if isinstance(value, float) and value != value else value


def _json_number(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# -- reading ------------------------------------------------------------------------------------
def load_result_file(path: str | Path, max_bytes: int | None = MAX_RESULT_BYTES) -> dict[str, Any]:
    """Read a saved result file into the keyword arguments of a
    :class:`~schedsim.result.Result`, with one clear error for every way that can fail;
    files over ``max_bytes`` are refused before reading (None: no bound)."""
    target = Path(path)
    try:
        size = target.stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise ResultFileError(
                f"{path}: file is {size:,} bytes, over the {max_bytes:,}-byte limit for result "
                "files; raise it with --max-file-size"
            )
        if not target.is_file() and not target.is_dir():
            raise ResultFileError(f"{path}: not a regular file; give a result file")
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ResultFileError(f"{path}: no such file; {HOW_TO_SAVE}") from None
    except IsADirectoryError:
        raise ResultFileError(f"{path}: is a directory; give a result file") from None
    except UnicodeDecodeError:
        raise ResultFileError(f"{path}: not a text file; {HOW_TO_SAVE}") from None
    except OSError as error:
        raise ResultFileError(f"{path}: cannot read: {error.strerror or error}") from None
    return parse_result(text, source=str(path))


def parse_result(text: str, *, source: str = "<result>") -> dict[str, Any]:
    """:func:`result_fields` of a JSON text."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ResultFileError(f"{source}: not valid JSON: {error}") from None
    except RecursionError:
        raise ResultFileError(f"{source}: not a schedsim result file (nested too deeply)") from None
    return result_fields(data, source=source)


def result_fields(data: Any, *, source: str = "<result>") -> dict[str, Any]:
    """The keyword arguments of a :class:`~schedsim.result.Result` rebuilt from its JSON
    form (as written by any schedsim command), every field checked."""
    if not isinstance(data, dict) or "jobs" not in data or "policy" not in data:
        raise ResultFileError(
            f"{source}: not a schedsim result file (no 'policy' and 'jobs' keys); {HOW_TO_SAVE}"
        )
    reader = _ResultReader(source)
    fields = reader.read(data)
    if reader.problems or fields is None:
        raise ResultFileError(reader.message())
    return fields


class _ResultReader:
    """Checks a parsed result document field by field, collecting every problem."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[str] = []

    def problem(self, where: str, text: str) -> None:
        if len(self.problems) < _MAX_PROBLEMS:
            self.problems.append(f"{self.source}: {where}: {text}")
        else:
            raise _TooManyProblems

    def message(self) -> str:
        return "\n       ".join(self.problems)

    def read(self, data: dict[str, Any]) -> dict[str, Any] | None:
        try:
            return self._read(data)
        except _TooManyProblems:
            self.problems.append(f"{self.source}: ... and more problems (stopped counting)")
            return None

    def _read(self, data: dict[str, Any]) -> dict[str, Any] | None:
        version = data.get("format", FORMAT_VERSION)
        if version != FORMAT_VERSION or type(version) is not int:
            self.problem(
                "format",
                f"result format {_show(version)} is not supported (this schedsim "
                f"{__version__} reads format {FORMAT_VERSION})",
            )
            return None
        texts = {
            key: self.text(data, key, default)
            for key, default in (
                ("policy", None),
                ("workload", "workload"),
                ("kind", "simulated"),
                ("schedsim", "unknown"),
            )
        }
        source = data.get("workload_file")
        if source is not None and not isinstance(source, str):
            self.problem("workload_file", f"must be a string or null, got {_show(source)}")
            source = None
        mappings = {key: self.mapping(data, key) for key in ("options", "settings", "extra")}
        summary = self.mapping(data, "summary")
        cpus = mappings["settings"].get("cpus", 1)
        if type(cpus) is not int or not 1 <= cpus <= MAX_CPUS:
            self.problem(
                "settings.cpus",
                f"must be a whole number in 1..{MAX_CPUS}, got {_show(cpus)}",
            )
        deadlock = self.mapping(data, "deadlock") or None
        unfinished = self.unfinished(deadlock)
        pids, jobs = self.jobs(data["jobs"], unfinished)
        if not pids:
            return None
        index = {pid: position for position, pid in enumerate(pids)}
        timeline = self.timeline(data["timeline"], index) if "timeline" in data else None
        io_periods = self.io(data.get("io", []), index)
        resources = self.resources(data.get("resources"), index)
        if self.problems:
            return None
        return {
            "policy": str(texts["policy"]),
            "options": mappings["options"],
            "workload": str(texts["workload"]),
            "pids": pids,
            "jobs": jobs,
            "summary": summary,
            "timeline": timeline,
            "io_periods": io_periods,
            "settings": mappings["settings"],
            "kind": str(texts["kind"]),
            "source": source,
            "extra": mappings["extra"],
            "version": str(texts["schedsim"]),
            "resources": resources,
            "deadlock": deadlock,
        }

    # -- fields -----------------------------------------------------------------------------
    def text(self, data: dict[str, Any], key: str, default: str | None) -> str | None:
        value = data.get(key, default)
        if not isinstance(value, str) or (default is None and not value.strip()):
            self.problem(key, f"must be a non-empty string, got {_show(value)}")
            return default
        return value

    def mapping(self, data: dict[str, Any], key: str) -> dict[str, Any]:
        value = data.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(key, f"must be a mapping, got {_show(value)}")
            return {}
        return value

    def rows(self, rows: Any, key: str) -> list[dict[str, Any]]:
        if not isinstance(rows, list):
            self.problem(key, f"must be a list, got {_show(rows)}")
            return []
        good = []
        for position, row in enumerate(rows):
            if isinstance(row, dict):
                good.append(row)
            else:
                self.problem(f"{key}[{position}]", f"must be a mapping, got {_show(row)}")
        return good

    def unfinished(self, deadlock: dict[str, Any] | None) -> set[str]:
        """The processes a deadlock left unfinished: their times may be null."""
        if deadlock is None:
            return set()
        if not _finite(deadlock.get("time")):
            self.problem(
                "deadlock", f"time: must be a finite number, got {_show(deadlock.get('time'))}"
            )
        names = deadlock.get("unfinished", [])
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            self.problem("deadlock", "unfinished: must be a list of pids")
            return set()
        return set(names)

    def resources(self, section: Any, index: dict[str, int]) -> dict[str, Any] | None:
        """The holds and waits the charts draw: pids known, times finite (the end of a hold
        or wait still open when the run stopped may be null)."""
        if section is None:
            return None
        if not isinstance(section, dict):
            self.problem("resources", f"must be a mapping, got {_show(section)}")
            return None
        for key, start, end in (("holds", "acquired", "released"), ("waits", "from", "to")):
            for position, row in enumerate(self.rows(section.get(key, []), f"resources.{key}")):
                where = f"resources.{key}[{position}]"
                self.pid(row, where, index)
                self.time(row, start, where)
                if row.get(end) is not None:
                    self.time(row, end, where)
                if not isinstance(row.get("resource"), str):
                    self.problem(
                        where, f"resource: must be a name, got {_show(row.get('resource'))}"
                    )
        return section

    def jobs(
        self, rows: Any, unfinished: set[str] | None = None
    ) -> tuple[list[str], dict[str, np.ndarray]]:
        unfinished = unfinished or set()
        records = self.rows(rows, "jobs")
        if not records and not self.problems:
            self.problem("jobs", "must list at least one process")
        pids: list[str] = []
        seen: dict[str, int] = {}
        for position, record in enumerate(records):
            pid = record.get("pid")
            if type(pid) is int:
                pid = str(pid)
            if not isinstance(pid, str) or not pid.strip():
                self.problem(
                    f"jobs[{position}]", f"pid: must be a non-empty string, got {_show(pid)}"
                )
                pid = f"#{position + 1}"
            elif pid in seen:
                self.problem(
                    f"jobs[{position}] (pid {plain(pid)})",
                    f"pid: duplicate of jobs[{seen[pid]}]; pids must be unique",
                )
            seen.setdefault(pid, position)
            pids.append(pid)
        jobs: dict[str, np.ndarray] = {}
        optional = [name for name in OPTIONAL_JOB_COLUMNS if records and name in records[0]]
        for name in (*JOB_COLUMNS, *optional):
            values = []
            for position, record in enumerate(records):
                value = record.get(name)
                where = f"jobs[{position}] (pid {plain(pids[position])})"
                if value is None and pids[position] in unfinished and name in _UNFINISHED:
                    value = math.nan  # a time that never came
                elif name == "slices":
                    if type(value) is not int or not 0 <= value <= INT64_MAX:
                        self.problem(
                            where, f"slices: must be a whole number >= 0, got {_show(value)}"
                        )
                        value = 0
                elif not _finite(value):
                    self.problem(where, f"{name}: must be a finite number, got {_show(value)}")
                    value = 0
                values.append(value)
            jobs[name] = (
                _time_column(values) if name != "slices" else np.asarray(values, dtype=np.int64)
            )
        return pids, jobs

    def timeline(self, rows: Any, index: dict[str, int]) -> Timeline | None:
        columns: dict[str, list[Any]] = {name: [] for name in Timeline.COLUMNS}
        for position, row in enumerate(self.rows(rows, "timeline")):
            where = f"timeline[{position}]"
            job = self.pid(row, where, index)
            cpu = row.get("cpu")
            if type(cpu) is not int or not 0 <= cpu < MAX_CPUS:
                self.problem(
                    where,
                    f"cpu: must be a whole number in 0..{MAX_CPUS - 1}, got {_show(cpu)}",
                )
                cpu = 0
            level = row.get("level", -1)
            if type(level) is not int or not LEVEL_RANGE[0] <= level <= LEVEL_RANGE[1]:
                self.problem(
                    where,
                    f"level: must be a whole number in {LEVEL_RANGE[0]}..{LEVEL_RANGE[1]}, "
                    f"got {_show(level)}",
                )
                level = -1
            reason = row.get("reason", "expired")
            if reason not in REASON_NAMES:
                self.problem(
                    where, f"reason: must be one of {', '.join(REASON_NAMES)}, got {_show(reason)}"
                )
                reason = "expired"
            columns["cpu"].append(cpu)
            columns["job"].append(job)
            for name in ("dispatched", "start", "end"):
                columns[name].append(self.time(row, name, where))
            columns["level"].append(level)
            columns["reason"].append(REASON_NAMES.index(reason))
        if self.problems:
            return None
        return Timeline.from_arrays(columns)

    def io(self, rows: Any, index: dict[str, int]) -> list[tuple[int, Any, Any]]:
        periods = []
        for position, row in enumerate(self.rows(rows, "io")):
            where = f"io[{position}]"
            job = self.pid(row, where, index)
            periods.append((job, self.time(row, "start", where), self.time(row, "end", where)))
        return periods

    def pid(self, row: dict[str, Any], where: str, index: dict[str, int]) -> int:
        pid = row.get("pid")
        if type(pid) is int:
            pid = str(pid)
        if isinstance(pid, str) and pid in index:
            return index[pid]
        self.problem(where, f"pid: must be the pid of a process in 'jobs', got {_show(pid)}")
        return 0

    def time(self, row: dict[str, Any], name: str, where: str) -> Any:
        value = row.get(name)
        if _finite(value):
            return value
        self.problem(where, f"{name}: must be a finite number, got {_show(value)}")
        return 0


# The times a process left in a deadlock never reached.
_UNFINISHED = ("first_run", "finish", "turnaround", "waiting", "response")


class _TooManyProblems(Exception):
    """Raised to stop checking a hopeless file after many problems."""


def _finite(value: Any) -> bool:
    kind = type(value)
    if kind is int:
        return True
    return kind is float and math.isfinite(value)


def _time_column(values: list[Any]) -> np.ndarray:
    """int64 when every value is an integer that fits, else float64 (huge integers too)."""
    if all(type(value) is int and INT64_MIN <= value <= INT64_MAX for value in values):
        return np.asarray(values, dtype=np.int64)
    return np.asarray([float(value) for value in values], dtype=np.float64)


def _show(value: Any) -> str:
    """A short rendering of a bad value (never a huge repr)."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if abs(value) < 10**30 else f"an integer of {len(str(value))} digits"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:37] + "...")
    if isinstance(value, list):
        return f"a list of {len(value)} item(s)"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
