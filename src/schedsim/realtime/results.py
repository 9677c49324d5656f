"""What a run of real-time tasks adds to its result: per job its task, release, deadline,
lateness and whether it missed; per task its response times and misses; and the summary's
count of missed deadlines.

Definitions (the README quotes them):

- a job **misses** its deadline when it finishes after it (``finish > deadline``; finishing
  at the deadline meets it), when it is ended at its deadline (``--on-miss abort-job``), or
  when the run stops at its deadline (``--on-miss stop``).  A job whose deadline had not
  come when the run stopped is undecided (``missed`` null); a job without a deadline never
  misses.
- a job's **response time** is ``finish − release`` — the real-time literature's name for
  what the per-process table calls turnaround (the table's ``response`` keeps its
  operating-systems meaning, first run − arrival).
- **lateness** is ``finish − deadline`` (negative: early).
- per task: jobs released, completed (finished, not ended), misses, ended at the deadline;
  worst and mean response time over completed jobs; **response jitter**, the spread (max −
  min) of their response times, and **start jitter**, the spread of their first run −
  release.

Measured results are computed the same way, so a kernel run and its simulation compare
task by task.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from schedsim.metrics import JOB_COLUMNS, summarize
from schedsim.realtime.analysis import agreement, analyse
from schedsim.realtime.tasks import RealTime

if TYPE_CHECKING:
    from schedsim.result import Result
    from schedsim.trace import Trace
    from schedsim.workload import Workload

Time = int | float


def attach(result: Result, workload: Workload, trace: Trace) -> None:
    """Add the real-time columns, the per-task statistics and the miss counts to
    ``result`` (built from ``trace`` of ``workload``), in place."""
    realtime = workload.realtime
    assert realtime is not None
    jobs = result.jobs
    aborted = np.zeros(len(workload), dtype=bool)
    aborted[list(trace.extra.get("aborted", []))] = True
    stopped_at = trace.extra.get("stopped_at")
    finish = jobs["finish"].astype(np.float64)
    deadline = realtime.deadline.astype(np.float64)
    missed = _missed(finish, deadline, aborted, stopped_at)
    completed = ~np.isnan(finish) & ~aborted
    jobs["task"] = np.asarray(realtime.task_names(), dtype=object)
    jobs["release"] = jobs["arrival"].copy()
    jobs["deadline"] = _time_or_nan(realtime.deadline, jobs["arrival"])
    lateness = finish - deadline
    lateness[~np.isfinite(lateness)] = math.nan
    jobs["lateness"] = _like_times(lateness, jobs["arrival"])
    jobs["missed"] = np.asarray(missed, dtype=object)
    if aborted.any() or stopped_at is not None:
        _recount(result, completed, stopped_at)
        _restate(result, trace, aborted, stopped_at)
    summary = result.summary
    summary["deadline_misses"] = sum(1 for value in missed if value is True)
    if aborted.any():
        summary["aborted"] = int(aborted.sum())
    if stopped_at is not None:
        summary["stopped_at"] = stopped_at
        summary["unfinished"] = int(np.isnan(finish).sum())
    result.realtime = {
        "tasks": task_statistics(result, realtime, completed),
        "horizon": realtime.horizon,
        "hyperperiod": realtime.hyperperiod,
        "on_miss": result.settings.get("on_miss", "continue"),
        "aborted": [result.pids[job] for job in np.flatnonzero(aborted).tolist()],
        "unfinished": [result.pids[job] for job in np.flatnonzero(np.isnan(finish)).tolist()],
    }
    if result.kind == "simulated":
        result.realtime["analysis"] = _analysis(result, workload, missed, deadline)


def _analysis(
    result: Result, workload: Workload, missed: list[bool | None], deadline: np.ndarray
) -> dict[str, Any]:
    """The schedulability analysis for this run's policy, and whether the run agrees."""
    realtime = workload.realtime
    assert realtime is not None
    settings = result.settings
    analysis = analyse(
        realtime,
        workload.program,
        policy=result.policy,
        cpus=int(settings.get("cpus", 1)),
        locks=str(settings.get("locks", "none")),
    )
    late = [job for job, value in enumerate(missed) if value is True]
    first = min(late, key=lambda job: (deadline[job], job)) if late else None
    first_miss = None
    if first is not None:
        first_miss = {
            "pid": result.pids[first],
            "deadline": result.jobs["deadline"][first].item(),
            "finish": _none_if_nan(result.jobs["finish"][first].item()),
        }
    horizon, period = realtime.horizon, realtime.hyperperiod
    whole = horizon is None or (period is not None and horizon >= period)
    analysis["simulation"] = {"misses": len(late), "first_miss": first_miss}
    analysis["agreement"], analysis["agreement_reason"] = agreement(
        analysis,
        len(late),
        first_miss,
        switch=settings.get("context_switch", 0),
        whole_hyperperiod=whole and result.summary.get("stopped_at") is None,
    )
    return analysis


def _none_if_nan(value: Any) -> Any:
    return None if isinstance(value, float) and value != value else value


def _missed(
    finish: np.ndarray, deadline: np.ndarray, aborted: np.ndarray, stopped_at: Time | None
) -> list[bool | None]:
    out: list[bool | None] = []
    for end, due, ended in zip(finish.tolist(), deadline.tolist(), aborted.tolist(), strict=True):
        if due == math.inf:
            out.append(False)
        elif ended:
            out.append(True)
        elif end != end:  # unfinished when the run stopped
            out.append(True if stopped_at is not None and due <= stopped_at else None)
        else:
            out.append(end > due)
    return out


def _recount(result: Result, completed: np.ndarray, stopped_at: Time | None) -> None:
    """The summary over the jobs that completed (jobs ended at their deadline, or left
    unfinished when the run stopped, have no turnaround worth averaging)."""
    kept = {key: value for key, value in result.summary.items() if key == "blocked_time"}
    numeric = {
        name: result.jobs[name] for name in (*JOB_COLUMNS, "blocked_time") if name in result.jobs
    }
    summary = summarize(
        numeric,
        cpus=int(result.settings.get("cpus", 1)),
        context_switches=int(result.summary.get("context_switches", 0)),
        counted=completed,
        end=stopped_at,
    )
    result.summary = {**summary, **kept}


def _restate(result: Result, trace: Trace, aborted: np.ndarray, stopped_at: Time | None) -> None:
    """For processes that synchronise: a job ended at its deadline is ``aborted`` and one
    the run stopped before it finished ``unfinished`` — neither an ended daemon nor
    deadlocked."""
    if "ended" not in trace.extra:
        return
    ended = np.asarray(trace.extra["ended"], dtype=bool) & ~aborted
    result.summary["ended"] = int(ended.sum())
    result.summary["deadlocked"] = 0
    unfinished = np.isnan(result.jobs["finish"].astype(np.float64))
    if result.resources is None:
        return
    for job, entry in enumerate(result.resources.get("processes", [])):
        if aborted[job]:
            entry["state"] = "aborted"
        elif stopped_at is not None and unfinished[job]:
            entry["state"] = "unfinished"


def task_statistics(
    result: Result, realtime: RealTime, completed: np.ndarray
) -> list[dict[str, Any]]:
    """One record per task: its definition and what its jobs did (see the module
    docstring)."""
    jobs = result.jobs
    finish = jobs["finish"].astype(np.float64)
    release = jobs["arrival"].astype(np.float64)
    first_run = jobs["first_run"].astype(np.float64)
    owners = realtime.task
    missed = jobs["missed"]
    records = []
    for index, task in enumerate(realtime.tasks):
        mine = owners == index
        done = mine & completed
        response = finish[done] - release[done]
        started = first_run[done] - release[done]
        records.append(
            {
                **task.as_record(),
                "utilisation": round(task.utilisation, 6),
                "released": int(mine.sum()),
                "completed": int(done.sum()),
                "misses": int(sum(1 for value in missed[mine] if value is True)),
                "aborted": int((mine & ~completed & ~np.isnan(finish)).sum()),
                "worst_response_time": _stat(response, np.max),
                "mean_response_time": _stat(response, np.mean),
                "response_jitter": _stat(response, np.ptp),
                "start_jitter": _stat(started, np.ptp),
            }
        )
    return records


def _stat(values: np.ndarray, how: Any) -> float | int | None:
    if not len(values):
        return None
    value = float(how(values))
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def _time_or_nan(values: np.ndarray, like: np.ndarray) -> np.ndarray:
    """Deadlines as the result holds times: NaN (written null) where a job has none."""
    out = values.astype(np.float64)
    out[~np.isfinite(out)] = math.nan
    return _like_times(out, like)


def _like_times(values: np.ndarray, like: np.ndarray) -> np.ndarray:
    """int64 in an integer-time result when every value is whole, else float64 (NaN for
    the values a job does not have)."""
    if (
        like.dtype.kind in "iu"
        and not np.isnan(values).any()
        and np.all(values == np.floor(values))
    ):
        return values.astype(np.int64)
    return values
