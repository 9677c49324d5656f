"""A run's result: per-job records, summary metrics and the timeline.

Results are plain records, computed from a driver's trace, so a simulated and a measured run
are reported, drawn and compared alike.  Their JSON form, the project's trace format, is
written and read by :mod:`schedsim.result_file`; :class:`Result` keeps thin methods for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from schedsim import __version__, result_file
from schedsim.limits import MAX_RESULT_BYTES
from schedsim.metrics import JOB_COLUMNS, OPTIONAL_JOB_COLUMNS, job_columns, summarize
from schedsim.result_file import ResultFileError, time_converter
from schedsim.sync import Deadlock, resource_report
from schedsim.trace import REASON_NAMES, Timeline, Trace
from schedsim.workload import Workload

__all__ = ["Result", "ResultFileError"]


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
    # Processes that synchronise: every hold and wait, per-resource figures, each process's
    # state and blocked time (see schedsim.sync.resource_report); and the deadlock, if the
    # run ended in one ({"time", "kind", "cycle", "unfinished", ...}).
    resources: dict[str, Any] | None = None
    deadlock: dict[str, Any] | None = None
    # Real-time tasks: per task its definition and statistics, the horizon, the jobs ended
    # at their deadline or left unfinished, and the schedulability analysis (see
    # schedsim.realtime.results and schedsim.realtime.analysis).
    realtime: dict[str, Any] | None = None

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
        result = cls._from_trace(workload, trace, policy, options, settings, kind)
        if workload.realtime is not None:
            from schedsim.realtime.results import attach

            attach(result, workload, trace)
        return result

    @classmethod
    def _from_trace(
        cls,
        workload: Workload,
        trace: Trace,
        policy: str,
        options: dict[str, Any],
        settings: dict[str, Any],
        kind: str,
    ) -> Result:
        columns = job_columns(workload, trace)
        sync = trace.extra.get("sync")
        if sync is not None:
            return _synchronising(cls, workload, trace, columns, policy, options, settings, kind)
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
            extra={k: v for k, v in trace.extra.items() if k not in _TRACE_ONLY},
        )

    # -- views ----------------------------------------------------------------------------------
    def __repr__(self) -> str:
        """What the result is, in one line (never its arrays: it may hold a million jobs)."""
        from schedsim.notebook import result_repr

        return result_repr(self)

    def _repr_html_(self) -> str:
        """A notebook's view: the summary, the first processes and the Gantt chart."""
        from schedsim.notebook import result_html

        return result_html(self)

    def jobs_frame(self) -> Any:
        """The per-process records as a pandas DataFrame indexed by pid (needs pandas)."""
        from schedsim.frames import jobs_frame

        return jobs_frame(self)

    def timeline_frame(self) -> Any:
        """The slices as a pandas DataFrame, in dispatch order (needs pandas)."""
        from schedsim.frames import timeline_frame

        return timeline_frame(self)

    def summary_frame(self) -> Any:
        """The summary metrics as a one-row pandas DataFrame indexed by policy (needs pandas)."""
        from schedsim.frames import summary_frame

        return summary_frame(self)

    def plot(self, ax: Any = None, *, by: str | None = None) -> Any:
        """Draw the Gantt chart on ``ax`` (a matplotlib Axes; a new figure's when None) and
        return the Axes.  ``by``: ``"process"`` or ``"cpu"`` (default: by the CPU count)."""
        from schedsim.gantt import plot_gantt

        return plot_gantt(self, ax, by=by)

    @property
    def job_column_names(self) -> tuple[str, ...]:
        """The per-job columns this result has, in output order."""
        return (*JOB_COLUMNS, *(name for name in OPTIONAL_JOB_COLUMNS if name in self.jobs))

    @property
    def integer_times(self) -> bool:
        """Whether the run's times are integers (a deadlock leaves some NaN in float
        columns: the arrivals still say)."""
        return self.jobs["arrival"].dtype.kind in "iu"

    def job_records(self) -> list[dict[str, Any]]:
        """One plain dict per process, in file order."""
        names = self.job_column_names
        lists = {
            name: [None if value != value else value for value in self.jobs[name].tolist()]
            for name in names
        }
        return [
            {"pid": pid, **{name: lists[name][i] for name in names}}
            for i, pid in enumerate(self.pids)
        ]

    def timeline_records(self) -> list[dict[str, Any]]:
        """Slices ordered by dispatch time then CPU; ``level`` only where the policy has
        queue levels (MLFQ)."""
        if self.timeline is None:
            return []
        ordered = self.timeline.sorted_by_start().arrays()
        convert = time_converter(self.integer_times)
        pids = self.pids
        return [
            {
                "cpu": int(cpu),
                "pid": pids[job],
                "dispatched": convert(dispatched),
                "start": convert(start),
                "end": convert(end),
                **({"level": int(level)} if level >= 0 else {}),  # levels: MLFQ only
                "reason": REASON_NAMES[reason],
            }
            for cpu, job, dispatched, start, end, level, reason in zip(
                *(ordered[name].tolist() for name in Timeline.COLUMNS), strict=True
            )
        ]

    # -- the result file (schedsim.result_file) --------------------------------------------------
    def to_dict(
        self, *, include_timeline: bool = True, include_jobs: bool = True
    ) -> dict[str, Any]:
        """The JSON form as plain data (``include_jobs=False``: the summary document,
        without per-process records or timeline)."""
        return result_file.result_document(
            self, include_timeline=include_timeline, include_jobs=include_jobs
        )

    def to_json(self, *, include_timeline: bool = True, include_jobs: bool = True) -> str:
        """The JSON form (see :func:`schedsim.result_file.json_chunks` for its layout)."""
        return "".join(
            self.json_chunks(include_timeline=include_timeline, include_jobs=include_jobs)
        )

    def json_chunks(
        self, *, include_timeline: bool = True, include_jobs: bool = True
    ) -> Iterator[str]:
        """The JSON form in pieces, for writing a million records without holding them."""
        return result_file.json_chunks(
            self, include_timeline=include_timeline, include_jobs=include_jobs
        )

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "<result>") -> Result:
        """Rebuild a result from its JSON form (as written by any schedsim command); every
        field is checked and every problem reported in one :class:`ResultFileError`."""
        return cls(**result_file.result_fields(data, source=source))

    @classmethod
    def from_json(cls, text: str, *, source: str = "<result>") -> Result:
        """:meth:`from_dict` of a JSON text."""
        return cls(**result_file.parse_result(text, source=source))

    @classmethod
    def load(cls, path: str | Path, *, max_bytes: int | None = MAX_RESULT_BYTES) -> Result:
        """Read a saved result file; files over ``max_bytes`` are refused before reading
        (None: no bound)."""
        return cls(**result_file.load_result_file(path, max_bytes))


# What a trace carries that a Result holds elsewhere (or not at all).
_TRACE_ONLY = (
    "io_periods",
    "sync",
    "deadlock",
    "ended",
    "cpu_time",
    "io_time",
    "blocked_time",
    "aborted",
    "stopped_at",
)


def _synchronising(
    cls: type[Result],
    workload: Workload,
    trace: Trace,
    columns: dict[str, np.ndarray],
    policy: str,
    options: dict[str, Any],
    settings: dict[str, Any],
    kind: str,
) -> Result:
    """The result of a run whose processes synchronise: the summary counts only processes
    that finished (not ended daemons, not those left in a deadlock), and the result carries
    the resources and the deadlock."""
    extra = trace.extra
    ended = np.asarray(extra["ended"], dtype=bool)
    finished = ~np.isnan(columns["finish"].astype(np.float64)) & ~ended
    deadlock: Deadlock | None = extra.get("deadlock")
    summary = summarize(
        columns,
        cpus=int(settings.get("cpus", 1)),
        context_switches=trace.context_switches,
        counted=finished,
        end=deadlock.time if deadlock is not None else None,
    )
    summary["ended"] = int(ended.sum())
    summary["deadlocked"] = int((~finished & ~ended).sum())
    start = columns["arrival"].min().item() if len(columns["arrival"]) else 0
    end = start + summary["makespan"]
    resources = resource_report(extra["sync"], workload.pid, start, end)
    states = np.where(finished, "finished", np.where(ended, "ended", "deadlocked")).tolist()
    resources["processes"] = [
        {"pid": pid, "state": state, "blocked": blocked}
        for pid, state, blocked in zip(
            workload.pid, states, _blocked_by_kind(resources, workload.pid, end), strict=True
        )
    ]
    deadlock_record = None
    if deadlock is not None:
        deadlock_record = {
            **deadlock.as_record(),
            "message": deadlock.describe(),
            "unfinished": [
                pid
                for pid, state in zip(workload.pid, states, strict=True)
                if state == "deadlocked"
            ],
        }
    return cls(
        policy=policy,
        options=options,
        workload=workload.name,
        pids=workload.pid,
        jobs=columns,
        summary=summary,
        timeline=trace.timeline,
        io_periods=list(extra.get("io_periods", [])),
        settings=settings,
        kind=kind,
        source=workload.source,
        extra={k: v for k, v in extra.items() if k not in _TRACE_ONLY},
        resources=resources,
        deadlock=deadlock_record,
    )


def _blocked_by_kind(resources: dict[str, Any], pids: list[str], end: Any) -> list[dict[str, Any]]:
    """Each process's blocked time per kind of resource (lock, semaphore, event, queue,
    join); a wait still open at the end counts up to it."""
    index = {pid: position for position, pid in enumerate(pids)}
    out: list[dict[str, Any]] = [{} for _ in pids]
    for wait in resources["waits"]:
        to = wait["to"] if wait["to"] is not None else end
        entry = out[index[wait["pid"]]]
        entry[wait["kind"]] = entry.get(wait["kind"], 0) + (to - wait["from"])
    return out
