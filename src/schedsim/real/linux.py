"""The running Linux kernel's fair scheduler: which algorithm, with which parameters, and
how to give a process its nice value and slice.

Since Linux 6.6 SCHED_OTHER is EEVDF; before, CFS.  EEVDF's parameters:

* the base slice ``sysctl_sched_base_slice``: 0.70 ms since 6.15 (0.75 ms before), scaled
  at boot by ``1 + ilog2(min(online CPUs, 8))``.  Read from
  ``/sys/kernel/debug/sched/base_slice_ns`` where that is readable (root, debugfs mounted,
  no lockdown), otherwise computed from the version;
* the tick, 1/``CONFIG_HZ``: the kernel looks at a running task at ticks, and with the
  HRTICK feature (off in mainline, invisible without debugfs: probed) also one request after
  switching to it, and at once again when it picks a task whose request is used up.
  ``CLOCK_MONOTONIC_COARSE`` is advanced by the tick, so its resolution is the tick period
  (else ``CONFIG_HZ`` from
  ``/proc/config.gz`` or ``/boot/config-<release>``); the ticks themselves fall on multiples
  of the period in ``CLOCK_MONOTONIC``, so kernel mode starts time zero on one and the
  model's ticks (multiples of the tick from time zero) are the kernel's;
* the features each version has: DELAY_DEQUEUE, DELAY_ZERO and PREEMPT_SHORT, and a slice
  per task through ``sched_setattr``'s ``sched_runtime``, since 6.12.

A process gets its nice and slice from ``sched_setattr(2)`` (through ``ctypes``; Python has
no wrapper), or ``setpriority(2)`` for nice alone where that system call is unknown.
"""

from __future__ import annotations

import gzip
import math
import os
import platform
import re
import time
from dataclasses import dataclass

from schedsim.errors import ExecutionError, WorkloadError
from schedsim.real import sched_attr
from schedsim.real.plan import format_unit
from schedsim.workload import NO_SLICE, Workload

EEVDF_SINCE = (6, 6)
SLICES_SINCE = (6, 12)  # sched_runtime as a SCHED_OTHER slice; DELAY_DEQUEUE; PREEMPT_SHORT
BASE_SLICE_070_SINCE = (6, 15)
BASE_SLICE_DEBUGFS = "/sys/kernel/debug/sched/base_slice_ns"
MIN_SLICE_NS = 100_000  # the kernel clamps a requested slice to 0.1 .. 100 ms
MAX_SLICE_NS = 100_000_000
CLOCK_MONOTONIC_COARSE = getattr(time, "CLOCK_MONOTONIC_COARSE", 6)  # Linux's number


@dataclass(frozen=True)
class FairScheduler:
    """What the kernel's SCHED_OTHER class is and how it is set up."""

    release: str
    version: tuple[int, int] | None
    online_cpus: int
    base_slice_ns: int | None  # EEVDF kernels only
    base_slice_from: str  # how it was found, for the report
    hz: int | None
    # Whether the kernel runs with HRTICK, from two tasks run against each other
    # (``kernel.slice_ends``): None when not probed (mainline's default, off, is assumed).
    exact_slices: bool | None = None
    probe_run_ms: float | None = None

    @property
    def eevdf(self) -> bool:
        return self.version is not None and self.version >= EEVDF_SINCE

    @property
    def slices(self) -> bool:
        """Whether this kernel takes a slice per task (sched_attr.sched_runtime)."""
        return self.version is not None and self.version >= SLICES_SINCE

    @property
    def name(self) -> str:
        shown = ".".join(map(str, self.version)) if self.version else self.release
        return f"Linux {shown}"

    def eevdf_options(self, unit_seconds: float) -> dict[str, object]:
        """The ``eevdf`` policy's options that model this kernel running schedsim's workers,
        times in units.  The workers exist before time zero and are woken at their arrival,
        so they are placed as waking tasks: no PLACE_DEADLINE_INITIAL."""
        assert self.base_slice_ns is not None
        options: dict[str, object] = {
            "base_slice": nice_number(self.base_slice_ns / 1e9 / unit_seconds),
            "tick": nice_number(1 / self.hz / unit_seconds) if self.hz else 0,
            "hrtick": bool(self.exact_slices),
            "place_deadline_initial": False,
        }
        if not self.slices:  # 6.6 .. 6.11: none of these yet
            options.update(preempt_short=False, delay_dequeue=False, delay_zero=False)
        return options

    def describe(self, unit_seconds: float) -> str:
        """``base slice 1.4 ms (...) = 0.14 units of 10ms, tick 4 ms (CONFIG_HZ=250) = ...``"""
        unit = format_unit(unit_seconds)
        options = self.eevdf_options(unit_seconds)
        assert self.base_slice_ns is not None
        text = (
            f"base slice {self.base_slice_ns / 1e6:g} ms ({self.base_slice_from}) = "
            f"{options['base_slice']} units of {unit}, "
        )
        probed = (
            f"two tasks competing ran {self.probe_run_ms:.2f} ms at a time"
            if self.probe_run_ms is not None
            else "not measured: mainline's default assumed"
        )
        if not self.hz:
            text += "tick unknown: slices end exactly (--tick 0)"
        else:
            text += (
                f"tick {1000 / self.hz:g} ms = {options['tick']} units, "
                f"{'with' if self.exact_slices else 'without'} HRTICK ({probed})"
            )
        text += "; arrivals are wake-ups of waiting workers (no PLACE_DEADLINE_INITIAL)"
        if not self.slices:
            text += "; no DELAY_DEQUEUE, DELAY_ZERO or PREEMPT_SHORT before Linux 6.12"
        return text


def exact_slices(run_ms: float, base_slice_ns: int, hz: int) -> bool:
    """Whether tasks that ran ``run_ms`` at a time (the median, two CPU-bound tasks
    competing) had their slices cut at the end of the request (HRTICK) rather than at a tick:
    whichever of the two predicts the length better."""
    base = base_slice_ns / 1e6
    tick = 1000 / hz
    at_tick = math.ceil(base / tick - 1e-9) * tick
    return abs(math.log(run_ms / base)) <= abs(math.log(run_ms / at_tick))


def nice_number(value: float) -> float | int:
    """A time in units rounded to 6 decimals, as an int when whole (readable reports)."""
    rounded = round(value, 6)
    return int(rounded) if float(rounded).is_integer() else rounded


def parse_release(release: str) -> tuple[int, int] | None:
    """``"6.18.44-fc-v1272"`` -> (6, 18); None if it does not start with a version."""
    match = re.match(r"(\d+)\.(\d+)", release)
    return (int(match[1]), int(match[2])) if match else None


def default_base_slice_ns(version: tuple[int, int], cpus: int) -> int:
    """``sysctl_sched_base_slice`` as the kernel sets it at boot (SCHED_TUNABLESCALING_LOG):
    0.70 ms (0.75 ms before 6.15) times ``1 + ilog2(min(cpus, 8))``."""
    normalized = 700_000 if version >= BASE_SLICE_070_SINCE else 750_000
    return normalized * (1 + int(math.log2(max(1, min(cpus, 8)))))


def online_cpus() -> int:
    """How many CPUs the kernel has online (``/sys/devices/system/cpu/online``)."""
    try:
        with open("/sys/devices/system/cpu/online") as handle:
            text = handle.read().strip()
        count = 0
        for part in text.split(","):
            low, _, high = part.partition("-")
            count += int(high or low) - int(low) + 1
        return max(count, 1)
    except (OSError, ValueError):
        return os.cpu_count() or 1


def read_hz(release: str) -> int | None:
    """The tick rate: from the resolution of the coarse clock (the tick advances it), else
    CONFIG_HZ from the kernel's own config, else None."""
    tick = coarse_tick_seconds()
    if tick is not None:
        return round(1 / tick)
    for path in ("/proc/config.gz", f"/boot/config-{release}"):
        try:
            if path.endswith(".gz"):
                with gzip.open(path, "rt") as packed:
                    text = packed.read()
            else:
                with open(path) as handle:
                    text = handle.read()
        except (OSError, EOFError, ValueError):
            continue
        match = re.search(r"^CONFIG_HZ=(\d+)\s*$", text, re.MULTILINE)
        if match:
            return int(match[1])
    return None


def coarse_tick_seconds() -> float | None:
    """The tick period, as the resolution of ``CLOCK_MONOTONIC_COARSE`` (None off Linux)."""
    if platform.system() != "Linux":
        return None
    try:
        resolution = time.clock_getres(CLOCK_MONOTONIC_COARSE)
    except (OSError, AttributeError):
        return None
    return resolution if 1e-4 <= resolution <= 0.1 else None


def next_tick_edge(after: float) -> float:
    """The first scheduler tick at or after monotonic time ``after`` (``after`` itself where
    the tick period is unknown).  The kernel aligns its ticks to multiples of the period in
    ``CLOCK_MONOTONIC`` (``tick_init_jiffy_update``), the clock of ``time.monotonic``."""
    tick = coarse_tick_seconds()
    if tick is None:
        return after
    return math.ceil(after / tick) * tick


def read_base_slice_ns() -> int | None:
    """``base_slice_ns`` from debugfs, where readable."""
    try:
        with open(BASE_SLICE_DEBUGFS) as handle:
            value = int(handle.read().strip())
    except (OSError, ValueError):
        return None
    return value if value > 0 else None


def fair_scheduler() -> FairScheduler:
    """Describe this machine's SCHED_OTHER class."""
    release = platform.release()
    version = parse_release(release) if platform.system() == "Linux" else None
    cpus = online_cpus()
    base: int | None = None
    found = ""
    if version is not None and version >= EEVDF_SINCE:
        base = read_base_slice_ns()
        if base is not None:
            found = f"read from {BASE_SLICE_DEBUGFS}"
        else:
            base = default_base_slice_ns(version, cpus)
            normal = 0.7 if version >= BASE_SLICE_070_SINCE else 0.75
            found = (
                f"{normal:.2f} ms x {base / (normal * 1e6):g} for {cpus} CPU(s), the default of "
                f"Linux {version[0]}.{version[1]}; {BASE_SLICE_DEBUGFS} not readable"
            )
    return FairScheduler(release, version, cpus, base, found, read_hz(release))


def check_workload_slices(
    workload: Workload, unit_seconds: float, scheduler: FairScheduler
) -> None:
    """Refuse per-process slices this kernel would not honour as given: before 6.12 it has
    none, and it clamps a slice to 0.1 .. 100 ms.  Every problem is reported at once."""
    slices = workload.slice.tolist()
    if not any(value != NO_SLICE for value in slices):
        return
    label = workload.source or workload.name
    unit = format_unit(unit_seconds)
    problems: list[str] = []
    for index, value in enumerate(slices):
        if value == NO_SLICE:
            continue
        where = f"{label}: process #{index + 1} (pid {workload.pid[index]}): slice"
        if not scheduler.slices:
            problems.append(
                f"{where}: {scheduler.name} takes no per-task slice (Linux 6.12 and later "
                "do); remove the slices or run where the kernel is newer"
            )
            continue
        nanoseconds = value * unit_seconds * 1e9
        if not MIN_SLICE_NS <= nanoseconds <= MAX_SLICE_NS:
            problems.append(
                f"{where}: {value:g} units of {unit} = {nanoseconds / 1e6:g} ms, outside the "
                "0.1 .. 100 ms the kernel accepts for a SCHED_OTHER slice; use another --unit "
                "or slice"
            )
    if problems:
        raise WorkloadError(problems)


def set_nice_and_slice(pid: int, nice: int, slice_ns: int | None) -> None:
    """Give process ``pid`` its nice value and (if not None) its slice, as SCHED_OTHER.

    Raises ExecutionError with the kernel's reason (a negative nice needs root or
    CAP_SYS_NICE)."""
    if not sched_attr.known():
        if slice_ns is not None:
            raise ExecutionError(
                f"cannot give process {pid} a slice: sched_setattr is not known on "
                f"{platform.system()} {platform.machine()}"
            )
        _setpriority(pid, nice)
        return
    attr = sched_attr.SchedAttr(
        sched_policy=sched_attr.SCHED_NORMAL, sched_nice=nice, sched_runtime=slice_ns or 0
    )
    error = sched_attr.set_attr(pid, attr)
    if error:
        raise ExecutionError(
            f"the kernel refused nice {nice}"
            + (f" and a {slice_ns / 1e6:g} ms slice" if slice_ns else "")
            + f" for process {pid}: {os.strerror(error)}"
            + ("; a negative nice needs root or CAP_SYS_NICE" if nice < 0 else "")
        )


def get_nice_and_slice(pid: int) -> tuple[int, int]:
    """``(nice, slice in ns)`` of a SCHED_OTHER process, from ``sched_getattr(2)`` (Linux
    6.12+ reports the slice as ``sched_runtime``)."""
    attr = sched_attr.get_attr(pid)
    return attr.sched_nice, attr.sched_runtime


def _setpriority(pid: int, nice: int) -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, pid, nice)
    except OSError as error:
        raise ExecutionError(
            f"the kernel refused nice {nice} for process {pid}: {error.strerror or error}"
            + ("; a negative nice needs root or CAP_SYS_NICE" if nice < 0 else "")
        ) from None
