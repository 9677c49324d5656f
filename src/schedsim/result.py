"""A run's result: per-job records, summary metrics, the timeline — and its JSON form.

The JSON form is the project's trace format: ``schedsim run --format json``,
``schedsim measure --output`` and anything else that writes a result produce it, and
``schedsim gantt`` / ``schedsim compare`` read it back, whoever produced it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from json.encoder import encode_basestring_ascii
from typing import Any

import numpy as np

from schedsim import __version__
from schedsim.errors import SchedsimError
from schedsim.limits import INT64_MAX, INT64_MIN, MAX_CPUS
from schedsim.metrics import JOB_COLUMNS, job_columns, summarize
from schedsim.schema import plain
from schedsim.trace import REASON_NAMES, Timeline, Trace
from schedsim.workload import Workload

FORMAT_VERSION = 1


class ResultFileError(SchedsimError):
    """A saved result file is not in the result format."""


@dataclass
class Result:
    """Everything a run produced.  ``jobs`` maps column name -> numpy array (file order)."""

    policy: str
    options: dict[str, Any]
    workload: str
    pids: list[str]
    jobs: dict[str, np.ndarray]
    summary: dict[str, Any]
    timeline: Timeline | None
    io_periods: list[tuple[int, Any, Any]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    kind: str = "simulated"
    source: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    version: str = __version__

    @classmethod
    def from_trace(
        cls,
        workload: Workload,
        trace: Trace,
        *,
        policy: str,
        options: dict[str, Any],
        settings: dict[str, Any],
        kind: str = "simulated",
    ) -> Result:
        columns = job_columns(workload, trace)
        summary = summarize(
            columns, cpus=int(settings.get("cpus", 1)), context_switches=trace.context_switches
        )
        return cls(
            policy=policy,
            options=options,
            workload=workload.name,
            pids=workload.pid,
            jobs=columns,
            summary=summary,
            timeline=trace.timeline,
            io_periods=list(trace.extra.get("io_periods", [])),
            settings=settings,
            kind=kind,
            source=workload.source,
            extra={k: v for k, v in trace.extra.items() if k != "io_periods"},
        )

    # -- views ----------------------------------------------------------------------------------
    @property
    def integer_times(self) -> bool:
        return self.jobs["finish"].dtype.kind in "iu"

    def job_records(self) -> list[dict[str, Any]]:
        """One plain dict per process, in file order."""
        lists = {name: self.jobs[name].tolist() for name in JOB_COLUMNS}
        return [
            {"pid": pid, **{name: lists[name][i] for name in JOB_COLUMNS}}
            for i, pid in enumerate(self.pids)
        ]

    def timeline_records(self) -> list[dict[str, Any]]:
        """Slices ordered by dispatch time then CPU."""
        if self.timeline is None:
            return []
        ordered = self.timeline.sorted_by_start().arrays()
        convert = _time_converter(self.integer_times)
        pids = self.pids
        return [
            {
                "cpu": int(cpu),
                "pid": pids[job],
                "dispatched": convert(dispatched),
                "start": convert(start),
                "end": convert(end),
                "level": int(level),
                "reason": REASON_NAMES[reason],
            }
            for cpu, job, dispatched, start, end, level, reason in zip(
                *(ordered[name].tolist() for name in Timeline.COLUMNS), strict=True
            )
        ]

    # -- JSON -------------------------------------------------------------------------------------
    def to_dict(self, *, include_timeline: bool = True) -> dict[str, Any]:
        convert = _time_converter(self.integer_times)
        out = self._outline(include_timeline)
        out["jobs"] = self.job_records()
        if "timeline" in out:
            out["timeline"] = self.timeline_records()
            out["io"] = [
                {"pid": self.pids[job], "start": convert(start), "end": convert(end)}
                for job, start, end in self.io_periods
            ]
        return out

    def _outline(self, include_timeline: bool) -> dict[str, Any]:
        """The JSON form's keys in order, with None for the lists of records."""
        out: dict[str, Any] = {
            "schedsim": self.version,
            "format": FORMAT_VERSION,
            "kind": self.kind,
            "policy": self.policy,
            "options": self.options,
            "settings": self.settings,
            "workload": self.workload,
            "workload_file": self.source,
            "jobs": None,
            "summary": {key: _json_number(value) for key, value in self.summary.items()},
        }
        if include_timeline and self.timeline is not None:
            out["timeline"] = out["io"] = None
        if self.extra:
            out["extra"] = self.extra
        return out

    def to_json(self, *, include_timeline: bool = True) -> str:
        """The JSON form (see :meth:`json_chunks` for its layout)."""
        return "".join(self.json_chunks(include_timeline=include_timeline))

    def json_chunks(self, *, include_timeline: bool = True) -> Iterator[str]:
        """The JSON form of :meth:`to_dict` in pieces, for writing without holding it all.

        Laid out with two-space indents and one record per line, which keeps a million
        records readable and diffable, and lets them be formatted with one ``%`` per record
        (json's indenting encoder is pure Python and holds every fragment of the document
        at once: gigabytes at a million records)."""
        document = self._outline(include_timeline)
        records: dict[str, Callable[[], Iterator[str]]] = {
            "jobs": self._job_lines,
            "timeline": self._slice_lines,
            "io": self._io_lines,
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
            for chunk in lines():
                yield ("[\n    " if empty else ",\n    ") + chunk
                empty = False
            yield "[]" if empty else "\n  ]"
        yield "\n}\n"

    def _job_lines(self) -> Iterator[str]:
        columns = [self.jobs[name] for name in JOB_COLUMNS]
        pids = list(map(encode_basestring_ascii, self.pids))
        # pids go in already encoded (%s); numbers as repr, which is JSON's spelling (%r)
        template = '{"pid": %s' + "".join(f', "{name}": %r' for name in JOB_COLUMNS) + "}"
        for start in range(0, len(pids), RECORD_CHUNK):
            stop = start + RECORD_CHUNK
            values = [column[start:stop] for column in columns]
            if all(np.all(np.isfinite(column)) for column in values):
                rows = zip(pids[start:stop], *(column.tolist() for column in values), strict=True)
                yield ",\n    ".join(map(template.__mod__, rows))
            else:  # json's own spelling of non-finite numbers
                lists = [column.tolist() for column in values]
                yield ",\n    ".join(
                    json.dumps(
                        {"pid": self.pids[start + i], **dict(zip(JOB_COLUMNS, row, strict=True))}
                    )
                    for i, row in enumerate(zip(*lists, strict=True))
                )

    def _slice_lines(self) -> Iterator[str]:
        assert self.timeline is not None
        ordered = self.timeline.sorted_by_start().arrays()
        pids = list(map(encode_basestring_ascii, self.pids))
        reasons = [encode_basestring_ascii(name) for name in REASON_NAMES]
        template = (
            '{"cpu": %r, "pid": %s, "dispatched": %r, "start": %r, "end": %r, '
            '"level": %r, "reason": %s}'
        )
        for start in range(0, len(ordered["job"]), RECORD_CHUNK):
            stop = start + RECORD_CHUNK
            times = [
                self._json_times(ordered[name][start:stop])
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

    def _io_lines(self) -> Iterator[str]:
        convert = _time_converter(self.integer_times)
        for start in range(0, len(self.io_periods), RECORD_CHUNK):
            yield ",\n    ".join(
                json.dumps({"pid": self.pids[job], "start": convert(begin), "end": convert(end)})
                for job, begin, end in self.io_periods[start : start + RECORD_CHUNK]
            )

    def _json_times(self, values: np.ndarray) -> list[Any]:
        """Timeline times as to_dict writes them: whole numbers as ints in an integer-time
        result, floats otherwise; JSON's spelling for non-finite values."""
        if not bool(np.all(np.isfinite(values))):
            convert = _time_converter(self.integer_times)
            return [_RawJson(json.dumps(convert(value))) for value in values.tolist()]
        if not self.integer_times:
            return values.tolist()
        whole = values == np.floor(values)
        if bool(np.all(whole)) and bool(np.all(np.abs(values) < 2**63)):
            return values.astype(np.int64).tolist()
        convert = _time_converter(True)
        return [convert(value) for value in values.tolist()]

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "<result>") -> Result:
        """Rebuild a result from its JSON form (as written by any schedsim command).

        Every field is checked before it is used, and every problem is reported at once,
        each naming the field (``jobs[2] (pid P3): finish: must be a finite number, got
        inf``): a result file may come from anywhere, and charts size themselves from it."""
        if not isinstance(data, dict) or "jobs" not in data or "policy" not in data:
            raise ResultFileError(
                f"{source}: not a schedsim result file (no 'policy' and 'jobs' keys); "
                "write one with 'schedsim run FILE --format json --output RESULT.json'"
            )
        reader = _ResultReader(source)
        result = reader.read(data)
        if reader.problems or result is None:
            raise ResultFileError(reader.message())
        return result

    @classmethod
    def from_json(cls, text: str, *, source: str = "<result>") -> Result:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ResultFileError(f"{source}: not valid JSON: {error}") from None
        except RecursionError:
            raise ResultFileError(
                f"{source}: not a schedsim result file (nested too deeply)"
            ) from None
        return cls.from_dict(data, source=source)


# Levels a saved timeline may hold: the timeline stores them as int16 (-1: no level).
LEVEL_RANGE = (-1, 2**15 - 1)
_MAX_PROBLEMS = 50


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

    def read(self, data: dict[str, Any]) -> Result | None:
        try:
            return self._read(data)
        except _TooManyProblems:
            self.problems.append(f"{self.source}: ... and more problems (stopped counting)")
            return None

    def _read(self, data: dict[str, Any]) -> Result | None:
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
        pids, jobs = self.jobs(data["jobs"])
        if not pids:
            return None
        index = {pid: position for position, pid in enumerate(pids)}
        timeline = self.timeline(data["timeline"], index) if "timeline" in data else None
        io_periods = self.io(data.get("io", []), index)
        if self.problems:
            return None
        return Result(
            policy=str(texts["policy"]),
            options=mappings["options"],
            workload=str(texts["workload"]),
            pids=pids,
            jobs=jobs,
            summary=summary,
            timeline=timeline,
            io_periods=io_periods,
            settings=mappings["settings"],
            kind=str(texts["kind"]),
            source=source,
            extra=mappings["extra"],
            version=str(texts["schedsim"]),
        )

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

    def jobs(self, rows: Any) -> tuple[list[str], dict[str, np.ndarray]]:
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
                    f"jobs[{position}] (pid {_short(pid)})",
                    f"pid: duplicate of jobs[{seen[pid]}]; pids must be unique",
                )
            seen.setdefault(pid, position)
            pids.append(pid)
        jobs: dict[str, np.ndarray] = {}
        for name in JOB_COLUMNS:
            values = []
            for position, record in enumerate(records):
                value = record.get(name)
                where = f"jobs[{position}] (pid {_short(pids[position])})"
                if name == "slices":
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


def _short(text: str) -> str:
    return plain(text)


# Records formatted per chunk when a result is written as JSON.
RECORD_CHUNK = 65_536


class _RawJson(str):
    """Text already spelled as JSON (a non-finite number), which ``%r`` writes as it is."""

    def __repr__(self) -> str:
        return str(self)


def _time_converter(integer: bool) -> Any:
    if integer:
        return lambda value: int(value) if float(value).is_integer() else value
    return float


def _json_number(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
