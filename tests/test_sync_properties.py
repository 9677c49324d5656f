"""Properties of every run of processes that synchronise, on random scripts (hypothesis).

Random scripts mix CPU and I/O with critical sections on two locks (sometimes nested, in
either order: deadlocks happen), a semaphore of two, an event, a bounded queue and joins;
some processes are daemons of others.
Whatever the policy, CPUs and lock protocol:

- mutual exclusion: no two holds of a lock overlap; a semaphore of N never has more than N
  holders at once;
- nothing is lost: every item put is got exactly once, or is still in its queue (or with a
  putter waiting to put it) when the run ends;
- every process finishes, unless a deadlock is reported — and a reported deadlock is real:
  every unfinished process is blocked, nothing is running, ready or in I/O, and in a cycle
  each member waits for a lock or semaphore the next one holds;
- the time identity: turnaround = CPU + I/O + waiting + blocked + context-switch share,
  with waiting >= 0;
- work conservation: no CPU idles while a process is ready (blocked processes are not).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from schedsim import simulate
from schedsim.loaders.common import limits_for
from schedsim.loaders.documents import from_document
from schedsim.policies import REGISTRY
from schedsim.result import Result
from schedsim.sync import LOCK_PROTOCOLS
from schedsim.workload import Workload
from tests.strategies import policy_configurations, scripts

EPSILON = 1e-9


def load(document: dict[str, Any]) -> Workload:
    return from_document(document, "random.yaml", "random", limits_for(False, None, None))


@given(
    st.integers(1, 5).flatmap(scripts),
    policy_configurations(),
    st.integers(1, 3),
    st.sampled_from(LOCK_PROTOCOLS),
)
def test_synchronising_runs_keep_every_promise(document, configuration, cpus, locks):
    name, options = configuration
    work = load(document)
    result = simulate(work, name, cpus=cpus, locks=locks, max_slices=20_000, **options)
    assert result.resources is not None
    _mutual_exclusion(result)
    _nothing_lost(result)
    _finished_or_really_deadlocked(result)
    _time_identity(result)
    _work_conservation(work, result, cpus)


def _mutual_exclusion(result: Result) -> None:
    assert result.resources is not None
    end = result.summary["makespan"] + float(np.min(result.jobs["arrival"]))
    intervals: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for hold in result.resources["holds"]:
        released = hold["released"] if hold["released"] is not None else end
        intervals[hold["resource"]].append((hold["acquired"], released))
    for lock in ("a", "b"):
        ordered = sorted(intervals[lock])
        for (_, first_end), (second_start, _) in itertools.pairwise(ordered):
            assert second_start >= first_end - EPSILON, f"lock {lock} held twice at once"
    assert _most_at_once(intervals["s"]) <= 2


def _most_at_once(intervals: list[tuple[float, float]]) -> int:
    edges = sorted([(a, 1) for a, _ in intervals] + [(b, -1) for _, b in intervals])
    count = most = 0
    for _, step in edges:  # at equal times releases (-1) come first
        count += step
        most = max(most, count)
    return most


def _nothing_lost(result: Result) -> None:
    """Each item is got by one process, or was never got: then it is still queued (or
    waits with its putter) — the items not got are at most the queue's capacity plus the
    putters left waiting, none of which finished — or its putter was ended (a daemon) while
    waiting to put it."""
    assert result.resources is not None
    items = result.resources["items"]
    not_got = [item for item in items if item["getter"] is None and not item["dropped"]]
    states = {p["pid"]: p["state"] for p in result.resources["processes"]}
    waiting_putters = [
        w for w in result.resources["waits"] if w["resource"] == "q" and w["to"] is None
    ]
    assert len(not_got) <= 1 + len(waiting_putters)
    for item in items:
        if item["getter"] is not None:
            assert item["got"] >= item["put"] - EPSILON
    for wait in waiting_putters:
        assert states[wait["pid"]] != "finished"


def _finished_or_really_deadlocked(result: Result) -> None:
    assert result.resources is not None
    states = [p["state"] for p in result.resources["processes"]]
    if result.deadlock is None:
        assert all(state in ("finished", "ended") for state in states)
        assert np.all(np.isfinite(result.jobs["finish"].astype(float)))
        return
    unfinished = {p["pid"] for p in result.resources["processes"] if p["state"] == "deadlocked"}
    assert unfinished and set(result.deadlock["unfinished"]) == unfinished
    open_waits = {w["pid"] for w in result.resources["waits"] if w["to"] is None}
    assert open_waits == unfinished  # every unfinished process is blocked, and only they
    if result.deadlock["kind"] == "cycle":
        members = result.deadlock["cycle"]
        for member, following in zip(members, [*members[1:], members[0]], strict=True):
            holds_now = {
                h["resource"]
                for h in result.resources["holds"]
                if h["pid"] == following["pid"] and h["released"] is None
            }
            waited = member["waits_for"]
            assert (
                waited in holds_now
                or waited.startswith(following["pid"])
                or waited
                in (
                    "e",
                    "q",
                )
            ), (member, following)


def _time_identity(result: Result) -> None:
    jobs = result.jobs
    finished = np.isfinite(jobs["finish"].astype(float))
    identity = (
        jobs["turnaround"]
        - jobs["cpu_time"]
        - jobs["io_time"]
        - jobs["blocked_time"]
        - jobs["switch_time"]
    )
    assert np.allclose(jobs["waiting"][finished].astype(float), identity[finished].astype(float))
    assert np.all(jobs["waiting"][finished] >= -1e-6)


def _work_conservation(work: Workload, result: Result, cpus: int) -> None:
    """Whenever a live process is neither running, in I/O nor blocked, every CPU is busy —
    every CPU the policy lets run at once (one for the GIL and the event loop)."""
    assert result.resources is not None
    limit = REGISTRY[result.policy].max_running if result.policy in REGISTRY else None
    usable = cpus if limit is None else min(cpus, limit)
    rows = result.timeline_records()
    by_cpu: dict[int, list[tuple[float, float]]] = defaultdict(list)
    busy: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for row in rows:
        by_cpu[row["cpu"]].append((row["dispatched"], row["end"]))
        busy[row["pid"]].append((row["dispatched"], row["end"]))
    for job, start, end in result.io_periods:
        busy[result.pids[job]].append((float(start), float(end)))
    stop = float(np.min(result.jobs["arrival"])) + float(result.summary["makespan"])
    for wait in result.resources["waits"]:
        busy[wait["pid"]].append((wait["from"], wait["to"] if wait["to"] is not None else stop))
    waiting = []
    for index, pid in enumerate(work.pid):
        finish = float(result.jobs["finish"][index])
        end = finish if np.isfinite(finish) else stop
        cursor = float(work.arrival[index])
        for start, stop_at in sorted(busy[pid]):
            if start > cursor + EPSILON:
                waiting.append((cursor, start))
            cursor = max(cursor, stop_at)
        if end > cursor + EPSILON:
            waiting.append((cursor, end))
    points = sorted(
        {t for a, b in waiting for t in (a, b)}
        | {t for iv in by_cpu.values() for a, b in iv for t in (a, b)}
    )
    for left, right in itertools.pairwise(points):
        if right - left <= EPSILON:
            continue
        middle = (left + right) / 2
        if any(a < middle < b for a, b in waiting):
            running = sum(any(a <= middle < b for a, b in by_cpu[cpu]) for cpu in range(cpus))
            assert running == usable, f"a CPU idles at {middle} while a process is ready"
