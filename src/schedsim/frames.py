"""Results as pandas DataFrames, for analysis in a notebook or a script.

pandas is optional (``pip install 'schedsim[pandas]'``) and imported only when a frame is
asked for.  Frames are built from the in-memory results, column by column from their numpy
arrays (a million processes cost no Python object per row), so integer runs keep exact
``int64`` times.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from schedsim.trace import REASON_NAMES

if TYPE_CHECKING:
    import pandas

    from schedsim.result import Result
    from schedsim.workload import Workload


def pandas_module() -> Any:
    """pandas, or an ImportError that says how to install it."""
    try:
        import pandas
    except ImportError:
        raise ImportError(
            "pandas is not installed; install it with: pip install 'schedsim[pandas]'"
        ) from None
    return pandas


def jobs_frame(result: Result) -> pandas.DataFrame:
    """One row per process, indexed by pid, in file order: the per-process metrics, and the
    columns only some runs have (``blocked_time`` where processes synchronise; ``task``,
    ``release``, ``deadline``, ``lateness`` and ``missed`` for real-time jobs) — the same
    columns as :meth:`Result.job_records`."""
    pd = pandas_module()
    frame = pd.DataFrame({name: result.jobs[name] for name in result.job_column_names})
    frame.index = pd.Index(result.pids, name="pid")
    return frame


def timeline_frame(result: Result) -> pandas.DataFrame:
    """One row per slice, ordered by dispatch time then CPU: cpu, pid, dispatched, start,
    end, level (-1 without levels) and reason (why the slice ended, a categorical)."""
    pd = pandas_module()
    columns: dict[str, Any] = {
        "cpu": np.zeros(0, dtype=np.int16),
        "pid": [],
        "dispatched": [],
        "start": [],
        "end": [],
        "level": np.zeros(0, dtype=np.int16),
        "reason": [],
    }
    if result.timeline is not None and len(result.timeline):
        arrays = result.timeline.sorted_by_start().arrays()
        times = np.int64 if result.integer_times else np.float64
        pids = np.asarray(result.pids, dtype=object)
        columns = {
            "cpu": arrays["cpu"],
            "pid": pids[arrays["job"]],
            "dispatched": arrays["dispatched"].astype(times),
            "start": arrays["start"].astype(times),
            "end": arrays["end"].astype(times),
            "level": arrays["level"],
            "reason": pd.Categorical.from_codes(arrays["reason"], categories=REASON_NAMES),
        }
    return pd.DataFrame(columns)


def summary_row(result: Result, label: str | None = None) -> dict[str, Any]:
    """The summary metrics of a run as one flat record (lists and dicts left out)."""
    row: dict[str, Any] = {"policy": label or result.policy}
    row.update(
        (key, value)
        for key, value in result.summary.items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    )
    return row


def summary_frame(result: Result, label: str | None = None) -> pandas.DataFrame:
    """The run's summary as a one-row frame indexed by its policy."""
    return _rows_frame([summary_row(result, label or result.policy)], "policy")


def rows_frame(rows: Iterable[Mapping[str, Any]], index: str | list[str] | None) -> Any:
    return _rows_frame(list(rows), index)


def _rows_frame(rows: list[Mapping[str, Any]], index: str | list[str] | None) -> Any:
    pd = pandas_module()
    frame = pd.DataFrame(rows)
    if index is not None and len(frame):
        frame = frame.set_index(index)
    return frame


def workload_frame(workload: Workload) -> pandas.DataFrame:
    """One row per process: arrival, its bursts (a tuple), CPU and I/O totals, priority,
    tickets, nice."""
    pd = pandas_module()
    frame = pd.DataFrame(
        {
            "arrival": workload.arrival,
            "bursts": list(workload.iter_bursts()),
            "cpu": workload.cpu_total(),
            "io": workload.io_total(),
            "priority": workload.priority,
            "tickets": workload.tickets,
            "nice": workload.nice,
        }
    )
    frame.index = pd.Index(workload.pid, name="pid")
    return frame
