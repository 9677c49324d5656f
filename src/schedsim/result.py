"""A run's result: per-job records, summary metrics, the timeline — and its JSON form.

The JSON form is the project's trace format: ``schedsim run --format json``,
``schedsim measure --output`` and anything else that writes a result produce it, and
``schedsim gantt`` / ``schedsim compare`` read it back, whoever produced it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from schedsim import __version__
from schedsim.errors import SchedsimError
from schedsim.metrics import JOB_COLUMNS, job_columns, summarize
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
        out: dict[str, Any] = {
            "schedsim": self.version,
            "format": FORMAT_VERSION,
            "kind": self.kind,
            "policy": self.policy,
            "options": self.options,
            "settings": self.settings,
            "workload": self.workload,
            "workload_file": self.source,
            "jobs": self.job_records(),
            "summary": {key: _json_number(value) for key, value in self.summary.items()},
        }
        if include_timeline and self.timeline is not None:
            out["timeline"] = self.timeline_records()
            out["io"] = [
                {"pid": self.pids[job], "start": convert(start), "end": convert(end)}
                for job, start, end in self.io_periods
            ]
        if self.extra:
            out["extra"] = self.extra
        return out

    def to_json(self, *, include_timeline: bool = True, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(include_timeline=include_timeline), indent=indent) + "\n"

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "<result>") -> Result:
        """Rebuild a result from its JSON form (as written by any schedsim command)."""
        try:
            return _from_dict(data)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as error:
            raise ResultFileError(
                f"{source}: not a schedsim result file ({type(error).__name__}: {error}); "
                "write one with 'schedsim run FILE --format json --output RESULT.json'"
            ) from None

    @classmethod
    def from_json(cls, text: str, *, source: str = "<result>") -> Result:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ResultFileError(f"{source}: not valid JSON: {error}") from None
        return cls.from_dict(data, source=source)


def _from_dict(data: dict[str, Any]) -> Result:
    if not isinstance(data, dict) or "jobs" not in data or "policy" not in data:
        raise KeyError("missing 'policy' or 'jobs'")
    records = data["jobs"]
    pids = [str(record["pid"]) for record in records]
    index = {pid: i for i, pid in enumerate(pids)}
    if len(index) != len(pids):
        raise ValueError("duplicate pid in 'jobs'")
    jobs: dict[str, np.ndarray] = {}
    for name in JOB_COLUMNS:
        values = [record[name] for record in records]
        for value in values:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"jobs.{name}: expected numbers, got {value!r}")
        jobs[name] = np.asarray(values, dtype=np.int64 if name == "slices" else None)
        if name != "slices" and jobs[name].dtype.kind not in "iuf":
            jobs[name] = jobs[name].astype(np.float64)
    timeline = None
    if "timeline" in data:
        rows = data["timeline"]
        columns: dict[str, list[Any]] = {name: [] for name in Timeline.COLUMNS}
        for row in rows:
            columns["cpu"].append(int(row["cpu"]))
            columns["job"].append(index[str(row["pid"])])
            for name in ("dispatched", "start", "end"):
                value = float(row[name])
                if not math.isfinite(value):
                    raise ValueError(f"timeline.{name}: not a finite number: {row[name]!r}")
                columns[name].append(value)
            columns["level"].append(int(row.get("level", -1)))
            columns["reason"].append(REASON_NAMES.index(row.get("reason", "expired")))
        timeline = Timeline.from_arrays(columns)
    io_periods = [(index[str(row["pid"])], row["start"], row["end"]) for row in data.get("io", [])]
    summary = data.get("summary", {})
    if not isinstance(summary, dict):
        raise TypeError("summary: expected a mapping")
    return Result(
        policy=str(data["policy"]),
        options=dict(data.get("options") or {}),
        workload=str(data.get("workload", "workload")),
        pids=pids,
        jobs=jobs,
        summary=summary,
        timeline=timeline,
        io_periods=io_periods,
        settings=dict(data.get("settings") or {}),
        kind=str(data.get("kind", "simulated")),
        source=data.get("workload_file"),
        extra=dict(data.get("extra") or {}),
        version=str(data.get("schedsim", "unknown")),
    )


def _time_converter(integer: bool) -> Any:
    if integer:
        return lambda value: int(value) if float(value).is_integer() else value
    return float


def _json_number(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
