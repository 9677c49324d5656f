"""A hosted run's report turned into the trace every driver writes.

The threads and asyncio executors report *tenures*: stretches of time during which one
process ran (held the GIL, or was the coroutine the loop was running).  Laid end to end
they are the measured schedule: a tenure is a slice of the timeline, the first tenure of a
process is its first run, the end of its last its finish.  The trace then goes through
the same metrics, charts and comparison as every simulated or measured run.
"""

from __future__ import annotations

from typing import Any

from schedsim.real.dispatcher import DISTURBED_LOST_SHARE
from schedsim.real.host import HostReport
from schedsim.trace import FINISHED, Timeline, Trace


def tenure_trace(
    report: HostReport, *, jobs: int, unit_seconds: float, cores: tuple[int, ...]
) -> Trace:
    """The measured :class:`Trace` of a hosted run, in time units.

    Each tenure's core becomes the CPU it is drawn on (its position among the run's cores;
    0 where the core is unknown).  A context switch is counted whenever a CPU starts a
    tenure of a process other than the one it ran last, as the simulator counts them."""
    unit = unit_seconds
    first_run: list[float | None] = [None] * jobs
    finish: list[float | None] = [None] * jobs
    slices = [0] * jobs
    on_cpu = [0.0] * jobs
    last_on_cpu: dict[int, int] = {}
    switches = 0
    records = []
    for job, start, end, reason, core in sorted(report.tenures, key=lambda t: (t[1], t[2])):
        cpu = cores.index(core) if core in cores else 0
        if last_on_cpu.get(cpu) != job:
            switches += 1
            last_on_cpu[cpu] = job
        records.append((end / unit, start / unit, cpu, job, reason))
        if first_run[job] is None:
            first_run[job] = start / unit
        if reason == FINISHED:
            finish[job] = end / unit
        slices[job] += 1
        on_cpu[job] += end - start
    timeline = Timeline()
    for end, start, cpu, job, reason in sorted(records):  # in the order the slices ended
        timeline.append(cpu, job, start, start, end, -1, reason)
    extra: dict[str, Any] = {
        "io_periods": [(job, start / unit, end / unit) for job, start, end in report.io_periods],
        "measured_cpu_time": [seconds / unit for seconds in report.cpu_used],
        "on_cpu_time": [seconds / unit for seconds in on_cpu],
        "cores": list(cores),
        **report.extra,
    }
    extra["disturbances"] = disturbances(on_cpu, report.cpu_used, finish, unit)
    extra["disturbed"] = bool(extra["disturbances"])
    return Trace(
        first_run=first_run,
        finish=finish,
        switch_time=[0.0] * jobs,
        slices=slices,
        context_switches=switches,
        timeline=timeline,
        extra=extra,
    )


def disturbances(
    on_cpu: list[float], cpu_used: list[float], finish: list[float | None], unit: float
) -> list[str]:
    """Why this run's numbers should not be trusted (empty when they can be): processes that
    were running — held the GIL, or had the loop — without getting the CPU's time, because
    another program ran on the core.  (On an idle machine they lose well under 1%.)"""
    finished = [value for value in finish if value is not None]
    span = max(finished) * unit if finished else 0.0
    lost = sum(max(0.0, held - used) for held, used in zip(on_cpu, cpu_used, strict=True))
    if span > 0 and lost / span > DISTURBED_LOST_SHARE:
        return [
            f"processes lost {100 * lost / span:.1f}% of the run's time to other programs "
            f"while running (above {100 * DISTURBED_LOST_SHARE:.0f}%)"
        ]
    return []
