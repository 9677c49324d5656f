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
import shlex
from collections.abc import Callable, Iterator
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from schedsim import __version__
from schedsim.digits import HugeInteger, digit_count, whole_number
from schedsim.errors import SchedsimError
from schedsim.limits import (
    INT64_MAX,
    INT64_MIN,
    MAX_CPUS,
    MAX_KEYS,
    MAX_RESULT_BYTES,
    MAX_TOTAL_TIME,
)
from schedsim.metrics import FLAG_COLUMNS, JOB_COLUMNS, OPTIONAL_JOB_COLUMNS, TEXT_COLUMNS
from schedsim.quoting import is_text, plain
from schedsim.trace import REASON_NAMES, Timeline

if TYPE_CHECKING:
    from schedsim.result import Result

FORMAT_VERSION = 1
# Levels a saved timeline may hold: the timeline stores them as int16 (-1: no level).
LEVEL_RANGE = (-1, 2**15 - 1)
# Records formatted per chunk when a result is written as JSON.
RECORD_CHUNK = 65_536
HOW_TO_SAVE = "write one with 'schedsim run FILE --format json --output RESULT.json'"
# A file with one of these extensions is a workload (the loaders' formats other than JSON).
WORKLOAD_SUFFIXES = (".yaml", ".yml", ".csv", ".npz")
_MAX_PROBLEMS = 50


class ResultFileError(SchedsimError):
    """A saved result file is not in the result format."""


# -- writing ------------------------------------------------------------------------------------
def result_document(
    result: Result, *, include_timeline: bool = True, include_jobs: bool = True
) -> dict[str, Any]:
    """The JSON form as plain data (what :func:`json_chunks` writes)."""
    convert = time_converter(result.integer_times)
    out = _outline(result, include_timeline, include_jobs)
    if include_jobs:
        out["jobs"] = result.job_records()
    if "timeline" in out:
        out["timeline"] = result.timeline_records()
        out["io"] = [
            {"pid": result.pids[job], "start": convert(start), "end": convert(end)}
            for job, start, end in result.io_periods
        ]
    return out


def _outline(result: Result, include_timeline: bool, include_jobs: bool = True) -> dict[str, Any]:
    """The JSON form's keys in order, with None for the lists of records.  Without the
    jobs (a summary-only document) there is no timeline and no resources either: slices,
    holds and waits are records of processes too."""
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
    if result.resources is not None and include_jobs:  # holds and waits are records too
        out["resources"] = result.resources
    if result.deadlock is not None:
        out["deadlock"] = result.deadlock
    if result.realtime is not None:
        out["realtime"] = _finite_json(result.realtime)
    if not include_jobs:
        del out["jobs"]
    elif include_timeline and result.timeline is not None:
        out["timeline"] = out["io"] = None
    if result.extra:
        out["extra"] = result.extra
    return out


def json_chunks(
    result: Result, *, include_timeline: bool = True, include_jobs: bool = True
) -> Iterator[str]:
    """The JSON form of :func:`result_document` in pieces, for writing without holding it all.

    Laid out with two-space indents and one record per line, which keeps a million records
    readable and diffable, and lets them be formatted with one ``%`` per record (json's
    indenting encoder is pure Python and holds every fragment of the document at once:
    gigabytes at a million records)."""
    document = _outline(result, include_timeline, include_jobs)
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
    # pids, task names and flags go in already spelled as JSON (%s); numbers as repr,
    # which is JSON's spelling (%r)
    spelled = [name in TEXT_COLUMNS or name in FLAG_COLUMNS for name in names]
    template = (
        '{"pid": %s'
        + "".join(
            f', "{name}": %s' if text else f', "{name}": %r'
            for name, text in zip(names, spelled, strict=True)
        )
        + "}"
    )
    for start in range(0, len(pids), RECORD_CHUNK):
        stop = start + RECORD_CHUNK
        values = [column[start:stop] for column in columns]
        numbers = [column for column, text in zip(values, spelled, strict=True) if not text]
        if all(np.all(np.isfinite(column)) for column in numbers):
            lists = [
                [json.dumps(value) for value in column.tolist()] if text else column.tolist()
                for column, text in zip(values, spelled, strict=True)
            ]
            rows = zip(pids[start:stop], *lists, strict=True)
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
    # A slice has a level only under a policy with queue levels (MLFQ): elsewhere the key
    # is left out rather than written as a meaningless -1.
    with_level = (
        '{"cpu": %r, "pid": %s, "dispatched": %r, "start": %r, "end": %r, '
        '"level": %r, "reason": %s}'
    )
    without_level = '{"cpu": %r, "pid": %s, "dispatched": %r, "start": %r, "end": %r, "reason": %s}'
    levels = ordered["level"]
    if not len(levels) or int(levels.max()) < 0:
        template = without_level
    elif int(levels.min()) >= 0:
        template = with_level
    else:
        template = None  # some slices with a level, some without: chosen row by row
    for start in range(0, len(ordered["job"]), RECORD_CHUNK):
        stop = start + RECORD_CHUNK
        times = [
            _json_times(ordered[name][start:stop], result.integer_times)
            for name in ("dispatched", "start", "end")
        ]
        columns = [
            ordered["cpu"][start:stop].tolist(),
            [pids[job] for job in ordered["job"][start:stop].tolist()],
            *times,
            levels[start:stop].tolist(),
            [reasons[reason] for reason in ordered["reason"][start:stop].tolist()],
        ]
        if template is with_level:
            yield ",\n    ".join(map(template.__mod__, zip(*columns, strict=True)))
        elif template is without_level:
            del columns[5]
            yield ",\n    ".join(map(template.__mod__, zip(*columns, strict=True)))
        else:
            yield ",\n    ".join(
                with_level % row if row[5] >= 0 else without_level % (*row[:5], row[6])
                for row in zip(*columns, strict=True)
            )


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


def _finite_json(value: Any) -> Any:
    """Plain data with every non-finite float as null (JSON has no spelling for them)."""
    if isinstance(value, dict):
        return {key: _finite_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite_json(item) for item in value]
    return _json_number(value)


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
        if target.suffix.lower() in WORKLOAD_SUFFIXES and target.is_file():
            raise workload_given(path)
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


def saved_result_fields(
    path: str | Path, max_bytes: int | None = MAX_RESULT_BYTES
) -> dict[str, Any] | None:
    """The :class:`~schedsim.result.Result` fields of ``path`` if it is a saved result (a
    ``.json`` file whose top level has ``policy`` and ``jobs`` or ``summary`` keys), checked
    as :func:`result_fields` checks them; None if it is anything else -- a workload, most
    likely -- for the caller to load as such (and report on)."""
    target = Path(path)
    try:
        if target.suffix.lower() != ".json" or not target.is_file():
            return None
        if max_bytes is not None and target.stat().st_size > max_bytes:
            return None
        data = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None
    is_result = (
        isinstance(data, dict)
        and "processes" not in data
        and "policy" in data
        and ("jobs" in data or "summary" in data)
    )
    return result_fields(data, source=str(path)) if is_result else None


def parse_result(text: str, *, source: str = "<result>") -> dict[str, Any]:
    """:func:`result_fields` of a JSON text."""
    try:
        data = json.loads(text, parse_int=whole_number)
    except json.JSONDecodeError as error:
        raise ResultFileError(f"{source}: not valid JSON: {error}") from None
    except RecursionError:
        raise ResultFileError(f"{source}: not a schedsim result file (nested too deeply)") from None
    return result_fields(data, source=source)


def result_fields(data: Any, *, source: str = "<result>") -> dict[str, Any]:
    """The keyword arguments of a :class:`~schedsim.result.Result` rebuilt from its JSON
    form (as written by any schedsim command), every field checked."""
    if isinstance(data, list) or (
        isinstance(data, dict) and "processes" in data and "jobs" not in data
    ):
        raise workload_given(source)
    if isinstance(data, dict) and "policy" in data and "summary" in data and "jobs" not in data:
        raise ResultFileError(
            f"{source}: a summary-only result (saved with --summary-only): it has no "
            "per-process records or timeline; run again without --summary-only"
        )
    if not isinstance(data, dict) or "jobs" not in data or "policy" not in data:
        raise ResultFileError(
            f"{source}: not a schedsim result file (no 'policy' and 'jobs' keys); {HOW_TO_SAVE}"
        )
    reader = _ResultReader(source)
    fields = reader.read(data)
    if reader.problems or fields is None:
        raise ResultFileError(reader.message())
    return fields


def workload_given(path: str | Path) -> ResultFileError:
    """The error for a workload given where a saved result is read: say what each is and
    the command that makes a result (or draws the workload at once)."""
    quoted = shlex.quote(plain(str(path), 200))
    return ResultFileError(
        f"{plain(str(path), 200)}: this is a workload, not a saved result; draw it with "
        f"'schedsim run {quoted} --gantt chart.png', or save a result to draw later with "
        f"'schedsim run {quoted} -o result.json'"
    )


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
        for key in ("options", "settings"):  # shown in titles and captions: plain values only
            for name, value in mappings[key].items():
                if not _plain_value(name, value):
                    self.problem(
                        f"{key}.{plain(str(name))}",
                        "must be a number, a short text, true/false, null or a short list of "
                        f"them, got {_show(value)}",
                    )
        summary = self.mapping(data, "summary")
        for name, value in summary.items():
            if not (value is None or _finite(value)):
                self.problem(
                    f"summary.{plain(str(name))}",
                    f"must be a finite number or null, got {_show(value)}",
                )
        cpus = mappings["settings"].get("cpus", 1)
        if type(cpus) is not int or not 1 <= cpus <= MAX_CPUS:
            self.problem(
                "settings.cpus",
                f"must be a whole number in 1..{MAX_CPUS}, got {_show(cpus)}",
            )
        deadlock = self.mapping(data, "deadlock") or None
        realtime = self.mapping(data, "realtime") or None
        unfinished = self.unfinished(deadlock) | self.cut_short(realtime)
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
            "realtime": realtime,
        }

    # -- fields -----------------------------------------------------------------------------
    def text(self, data: dict[str, Any], key: str, default: str | None) -> str | None:
        value = data.get(key, default)
        if not isinstance(value, str) or (default is None and not value.strip()):
            self.problem(key, f"must be a non-empty string, got {_show(value)}")
            return default
        if not is_text(value):
            self.problem(key, f"must be valid Unicode text, got {_show(value)}")
            return default
        return value

    def mapping(self, data: dict[str, Any], key: str) -> dict[str, Any]:
        value = data.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(key, f"must be a mapping, got {_show(value)}")
            return {}
        if len(value) > MAX_KEYS and key != "extra":
            self.problem(key, f"must have at most {MAX_KEYS} keys, got {len(value):,}")
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

    def cut_short(self, realtime: dict[str, Any] | None) -> set[str]:
        """Jobs of real-time tasks ended at their deadline, or left unfinished when the run
        stopped: some of their times never came (null)."""
        if realtime is None:
            return set()
        names: list[Any] = []
        for key in ("aborted", "unfinished"):
            listed = realtime.get(key, [])
            if not isinstance(listed, list) or not all(isinstance(name, str) for name in listed):
                self.problem(f"realtime.{key}", "must be a list of pids")
                continue
            names.extend(listed)
        tasks = realtime.get("tasks", [])
        if not isinstance(tasks, list) or not all(isinstance(task, dict) for task in tasks):
            self.problem("realtime.tasks", "must be a list of mappings")
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
                began = self.time(row, start, where)
                if row.get(end) is not None and not began <= self.time(row, end, where):
                    self.problem(where, f"must have {start} <= {end}")
                name = row.get("resource")
                if not isinstance(name, str) or len(name) > 200 or not is_text(name):
                    self.problem(where, f"resource: must be a name, got {_show(name)}")
        states = section.get("processes", [])
        for position, row in enumerate(self.rows(states, "resources.processes")):
            state = row.get("state", "finished")
            if not isinstance(state, str) or len(state) > 40 or not is_text(state):
                self.problem(
                    f"resources.processes[{position}]",
                    f"state: must be a short name, got {_show(state)}",
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
            if not isinstance(pid, str) or not pid.strip() or not is_text(pid):
                self.problem(
                    f"jobs[{position}]",
                    f"pid: must be a non-empty string of valid Unicode text, got {_show(pid)}",
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
        for name in optional:
            if name in TEXT_COLUMNS or name in FLAG_COLUMNS:
                jobs[name] = self.labels(records, pids, name)
        for name in (*JOB_COLUMNS, *optional):
            if name in jobs:
                continue
            values = []
            for position, record in enumerate(records):
                value = record.get(name)
                where = f"jobs[{position}] (pid {plain(pids[position])})"
                if value is None and pids[position] in unfinished and name in _UNFINISHED:
                    value = math.nan  # a time that never came
                elif value is None and name in _OPTIONAL_TIMES:
                    value = math.nan  # no deadline, so no lateness either
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

    def labels(self, records: list[dict[str, Any]], pids: list[str], name: str) -> np.ndarray:
        """A column of task names (strings) or flags (true, false or null)."""
        values: list[Any] = []
        for position, record in enumerate(records):
            value = record.get(name)
            if name in TEXT_COLUMNS and not isinstance(value, str):
                self.problem(
                    f"jobs[{position}] (pid {plain(pids[position])})",
                    f"{name}: must be a string, got {_show(value)}",
                )
                value = ""
            elif name in FLAG_COLUMNS and value is not None and not isinstance(value, bool):
                self.problem(
                    f"jobs[{position}] (pid {plain(pids[position])})",
                    f"{name}: must be true, false or null, got {_show(value)}",
                )
                value = None
            values.append(value)
        return np.asarray(values, dtype=object)

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
            times = [self.time(row, name, where) for name in ("dispatched", "start", "end")]
            if not times[0] <= times[1] <= times[2]:
                self.problem(
                    where,
                    "must have dispatched <= start <= end, got "
                    + ", ".join(_show(time) for time in times),
                )
            for name, value in zip(("dispatched", "start", "end"), times, strict=True):
                columns[name].append(value)
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
            start, end = self.time(row, "start", where), self.time(row, "end", where)
            if not start <= end:
                self.problem(where, f"must have start <= end, got {_show(start)}, {_show(end)}")
            periods.append((job, start, end))
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
        self.problem(
            where,
            f"{name}: must be a finite number of magnitude at most 2**62, got {_show(value)}",
        )
        return 0


# The times a process left in a deadlock (or a job cut short at its deadline) never reached.
_UNFINISHED = ("first_run", "finish", "turnaround", "waiting", "response")
# Times a job without a deadline, or one that never finished, does not have.
_OPTIONAL_TIMES = ("deadline", "lateness")


class _TooManyProblems(Exception):
    """Raised to stop checking a hopeless file after many problems."""


def _finite(value: Any) -> bool:
    """A number a result may hold: an int or finite float of magnitude at most 2**62 (the
    limit on every time a run reaches), so that any sum of a few of them stays finite."""
    kind = type(value)
    if kind is not int and not (kind is float and math.isfinite(value)):
        return False
    return bool(-MAX_TOTAL_TIME <= value <= MAX_TOTAL_TIME)


def _plain_value(name: object, value: Any, *, lists: bool = True) -> bool:
    """An option or setting as titles show it: a short name and a scalar (or a short list
    of scalars, as MLFQ's per-level quanta)."""
    if not isinstance(name, str) or len(name) > 64 or not is_text(name):
        return False
    if lists and isinstance(value, list):
        return len(value) <= 64 and all(_plain_value(name, item, lists=False) for item in value)
    if value is None or isinstance(value, bool) or _finite(value):
        return True
    return isinstance(value, str) and len(value) <= 200 and is_text(value)


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
    if isinstance(value, HugeInteger):
        return value.describe()
    if isinstance(value, int):
        if abs(value) < 10**30:
            return str(value)
        return f"an integer of {digit_count(value):,} digits"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return repr(plain(value, 40))
    if isinstance(value, list):
        return f"a list of {len(value)} item(s)"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
