"""The worst case each work limit allows, timed: run by hand on an idle machine.

    python benchmarks/worst_cases.py            # about a minute
    python benchmarks/worst_cases.py --quick    # smaller sizes, a few seconds

- HRRN, every process arriving at once (a scan's worst case: O(n) a pick), at the YAML/JSON
  process limit (200,000), integer and float times;
- a Gantt chart at its shape limit: 500,000 slices and I/O periods as a PNG, 100,000 shapes
  as an SVG;
- planning a sweep of the largest grid allowed (100,000 points).

Each line prints the seconds and the process's peak memory so far.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from schedsim import Workload, simulate
from schedsim.gantt import figure_bytes, gantt_figure
from schedsim.sweep import plan_sweep

ROOT = Path(__file__).resolve().parent.parent


def timed(label: str, work: Callable[[], object]) -> None:
    started = time.perf_counter()
    work()
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{label:<58} {seconds:7.2f} s   peak {peak:6.0f} MB", flush=True)


def hrrn_workload(count: int, floats: bool) -> Workload:
    rng = np.random.default_rng(1)
    if floats:
        arrival = np.zeros(count)
        bursts = rng.exponential(500.0, count) + 0.01
    else:
        arrival = np.zeros(count, dtype=np.int64)
        bursts = rng.integers(1, 1000, count)
    return Workload(
        pid=[f"P{i}" for i in range(count)],
        arrival=arrival,
        burst_offsets=np.arange(count + 1),
        burst_values=bursts,
        priority=np.zeros(count, dtype=np.int64),
        tickets=np.full(count, 100, dtype=np.int64),
        nice=np.zeros(count, dtype=np.int64),
        name="simultaneous",
        source="benchmark",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of each size")
    quick = parser.parse_args().quick
    scale = 10 if quick else 1
    processes = 200_000 // scale
    for floats in (False, True):
        work = hrrn_workload(processes, floats)
        kind = "float" if floats else "integer"
        timed(
            f"hrrn, {processes:,} processes arriving at once ({kind})",
            lambda work=work: simulate(work, "hrrn", timeline=False),
        )
    bursts = 25_000 // scale
    rows = [
        {"pid": f"P{i}", "arrival": 0, "bursts": [1, 5] * (bursts - 1) + [1]} for i in range(10)
    ]
    with_io = simulate(Workload.from_processes(rows), "fcfs", cpus=4)
    shapes = len(with_io.timeline or []) + len(with_io.io_periods)
    with tempfile.TemporaryDirectory() as folder:
        timed(
            f"PNG chart of {shapes:,} slices and I/O periods",
            lambda: figure_bytes(gantt_figure(with_io, by="process"), Path(folder) / "c.png"),
        )
        slices = 90_000 // scale
        rows = [{"pid": f"P{i}", "arrival": 0, "bursts": [slices // 10]} for i in range(10)]
        round_robin = simulate(Workload.from_processes(rows), "rr", quantum=1)
        timed(
            f"SVG chart of {slices:,} slices",
            lambda: figure_bytes(gantt_figure(round_robin, by="cpu"), Path(folder) / "c.svg"),
        )
    classic = ROOT / "workloads" / "classic.yaml"
    values = 99_999 // scale
    timed(
        f"planning a sweep of {values:,} values",
        lambda: plan_sweep([classic], "rr", {"quantum": f"1..{values}"}),
    )


if __name__ == "__main__":
    main()
