"""The asyncio executor: one coroutine per workload process, on one event loop in one worker
process.

Nobody dispatches: the event loop runs whichever coroutine is ready next, in its own order.
Arrivals are timers on the loop's clock (``loop.call_at``; processes arriving at the same
time are started by one timer, in file order, so that the loop's timer heap never has to
order equal times).  A CPU burst is busy work (an empty ``for`` loop) with no ``await`` in
it, counted in the loop thread's own CPU time (``time.thread_time_ns``); with
``yield_every`` it ``await asyncio.sleep(0)`` after every that much CPU.  An I/O burst
awaits a future that a timer completes at an absolute deadline (the end of the CPU burst
plus the I/O time) — what ``asyncio.sleep`` does, to a deadline rather than a delay.

The loop is a ``SelectorEventLoop`` over ``select()``: Linux's default selector, epoll,
rounds every timeout up to a whole millisecond, so an idle loop would wake up to 1 ms late
for a timer — 10% of a 10 ms time unit.  ``select()`` takes microseconds.

Measured schedule: a coroutine records when it resumes and when it next awaits (the loop's
clock, ``time.monotonic_ns``); those stretches are exact — nothing can interrupt a
coroutine between its awaits — and the gaps between them are the loop's own work.
"""

from __future__ import annotations

import asyncio
import selectors
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from schedsim.real.host import HostPlan, HostReport, core_reader
from schedsim.trace import BLOCKED, EXPIRED, FINISHED

WORK_UNIT = 100  # iterations of an empty loop between two looks at the CPU clock
LEAD_SECONDS = 0.02  # from "go" to time zero
NANOSECONDS = 1_000_000_000


def run_coroutines(plan: HostPlan) -> HostReport:
    """The body of the host process: run every coroutine on a fresh event loop."""
    loop = asyncio.SelectorEventLoop(selectors.SelectSelector())
    try:
        return loop.run_until_complete(_run(plan, loop))
    finally:
        loop.close()


class _Recorder:
    """What the coroutines measured: their stretches of running, I/O and CPU time."""

    def __init__(self, count: int, origin: int) -> None:
        self.origin = origin
        self.tenures: list[tuple[int, float, float, int, int]] = []
        self.io_periods: list[tuple[int, float, float]] = []
        self.cpu_used = [0.0] * count
        self.core = core_reader()

    def seconds(self, ns: int) -> float:
        return (ns - self.origin) / NANOSECONDS

    def ran(self, job: int, start: int, end: int, reason: int, core: int) -> None:
        self.tenures.append((job, self.seconds(start), self.seconds(end), reason, core))


async def _run(plan: HostPlan, loop: asyncio.AbstractEventLoop) -> HostReport:
    count = len(plan.pids)
    clock = time.monotonic_ns  # the loop's clock (loop.time() is time.monotonic())
    origin = clock() + round(LEAD_SECONDS * NANOSECONDS)
    recorder = _Recorder(count, origin)
    finished: asyncio.Future[None] = loop.create_future()
    state: dict[str, Any] = {"left": count, "tasks": []}
    if not count:
        finished.set_result(None)
    arriving: dict[float, list[int]] = defaultdict(list)
    for job, arrival in enumerate(plan.arrivals):
        arriving[arrival].append(job)
    for arrival, jobs in arriving.items():
        when = origin / NANOSECONDS + arrival
        loop.call_at(when, _start, loop, jobs, plan, recorder, finished, state)
    await finished
    return HostReport(
        tenures=recorder.tenures, io_periods=recorder.io_periods, cpu_used=recorder.cpu_used
    )


def _start(
    loop: asyncio.AbstractEventLoop,
    jobs: list[int],
    plan: HostPlan,
    recorder: _Recorder,
    finished: asyncio.Future[None],
    state: dict[str, Any],
) -> None:
    """A timer's callback: the processes arriving now become tasks, in file order.  (The
    loop holds tasks only weakly: ``state`` keeps them.)"""
    for job in jobs:
        state["tasks"].append(loop.create_task(_process(job, plan, recorder, finished, state)))


async def _process(
    job: int,
    plan: HostPlan,
    recorder: _Recorder,
    finished: asyncio.Future[None],
    state: dict[str, Any],
) -> None:
    """One workload process as a coroutine; an error ends the whole run."""
    try:
        await _bursts(job, plan, recorder)
    except Exception as error:
        if not finished.done():
            finished.set_exception(
                RuntimeError(f"process {plan.pids[job]}: {type(error).__name__}: {error}")
            )
        return
    state["left"] -= 1  # one coroutine at a time: no race
    if state["left"] == 0 and not finished.done():
        finished.set_result(None)


async def _bursts(job: int, plan: HostPlan, recorder: _Recorder) -> None:
    loop = asyncio.get_running_loop()
    clock = time.monotonic_ns
    yield_every = plan.settings.get("yield_every")
    quantum = round(yield_every * NANOSECONDS) if yield_every else None
    bursts = [round(seconds * NANOSECONDS) for seconds in plan.bursts[job]]
    for position in range(0, len(bursts), 2):
        left = bursts[position]
        while True:
            start = clock()
            core = recorder.core()
            used = _burn(left if quantum is None else min(quantum, left))
            recorder.cpu_used[job] += used / NANOSECONDS
            left -= used
            if left <= 0:
                break
            recorder.ran(job, start, clock(), EXPIRED, core)
            await asyncio.sleep(0)  # back to the end of the loop's ready queue
        last = position + 1 == len(bursts)
        ended = clock()
        recorder.ran(job, start, ended, FINISHED if last else BLOCKED, core)
        if not last:
            deadline = ended + bursts[position + 1]
            recorder.io_periods.append((job, recorder.seconds(ended), recorder.seconds(deadline)))
            await _sleep_until(loop, deadline / NANOSECONDS)


def _burn(need: int, thread_ns: Callable[[], int] = time.thread_time_ns) -> int:
    """Busy work without an await: ``need`` ns of the loop thread's CPU time."""
    work = range(WORK_UNIT)
    begin = thread_ns()
    while True:
        for _ in work:
            pass
        used = thread_ns() - begin
        if used >= need:
            return used


async def _sleep_until(loop: asyncio.AbstractEventLoop, deadline: float) -> None:
    """``asyncio.sleep`` to an absolute time of the loop's clock: a timer completes a
    future, and the future's completion schedules this coroutine's next step."""
    future: asyncio.Future[None] = loop.create_future()
    handle = loop.call_at(deadline, _complete, future)
    try:
        await future
    finally:
        handle.cancel()


def _complete(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
