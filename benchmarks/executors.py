"""Processes, threads and coroutines: the same workloads run three ways, each against its model.

Checks, on an idle machine (unit 10 ms by default):

1. **Four equal CPU-bound jobs on two cores** (``workloads/four_equal.yaml``, ``--cpus 2``):
   processes' measured makespan within 5% of the simulation's (two in parallel); threads'
   makespan at least 1.8 times the processes' (the GIL serialises them); asyncio finishes
   the jobs strictly in arrival order, each in one uninterrupted stretch.
2. **Accuracy against the models**: the median per-process turnaround error, over every
   process of the bundled CPU-only workloads plus a mixed CPU/I-O workload
   (``interactive_batch.yaml``), on one CPU: threads against ``gil`` <= 10%, asyncio
   against ``asyncio`` <= 3%.
3. **Where the GIL model departs from CPython**: pooled over the threads runs on one core
   (the accuracy runs) and on two (the four jobs), how long a holder kept the GIL before a
   forced switch (the model: exactly the switch interval once
   a thread waits), how long a handoff took, and — after a forced switch with two or more
   threads waiting — how often the thread that got the GIL was the longest-waiting one (the
   model's choice) or the newest waiter.
4. **Free-threaded CPython**: whether this interpreter runs without a GIL, and whether a
   free-threaded interpreter (``python3.13t``, ``python3.14t``) is on the PATH; if one is,
   four CPU-bound threads are timed on it against the GIL build.

The machine is shared: the script waits (up to ``--quiet-wait`` seconds) for the load
average to fall below ``--max-load`` before starting, re-runs a run that flags itself as
disturbed (up to ``--retry`` times), and reports the load average before and after.  The
bars are reported, not enforced: the exit status is 0 unless a run fails outright.

Usage:
    python benchmarks/executors.py                    # everything, unit 10ms
    python benchmarks/executors.py --skip-accuracy    # only the four-jobs check and GIL facts
    python benchmarks/executors.py --details          # one line per workload run

Results are printed as markdown and saved as JSON under ``benchmarks/results/``.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from schedsim import __version__, load_workload
from schedsim.real import Measurement, measure
from schedsim.real.executors import gil_enabled

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
FOUR_EQUAL = ROOT / "workloads" / "four_equal.yaml"
MIXED = ROOT / "workloads" / "interactive_batch.yaml"
MAKESPAN_BAR = 0.05  # processes against the simulation
SERIALISED_BAR = 1.8  # threads' makespan over processes'
ERROR_BARS = {"threads": 0.10, "asyncio": 0.03}
FREE_THREADED = ("python3.13t", "python3.14t", "python3.15t")


def wait_for_load(max_load: float, limit: float) -> float:
    """Wait (up to ``limit`` seconds) for the 1-minute load average to fall below
    ``max_load``; return it."""
    deadline = time.monotonic() + limit
    while os.getloadavg()[0] >= max_load and time.monotonic() < deadline:
        time.sleep(5)
    return os.getloadavg()[0]


def measured(
    path: Path, executor: str, *, cpus: int, unit: str, retry: int, **options: Any
) -> tuple[Measurement, int]:
    """One run, repeated while it reports itself disturbed (at most ``retry`` times)."""
    workload = load_workload(path)
    run = measure(workload, executor=executor, cpus=cpus, unit=unit, max_seconds=120, **options)
    retried = 0
    while run.comparison.summary["disturbed"] and retried < retry:
        retried += 1
        time.sleep(2)
        run = measure(workload, executor=executor, cpus=cpus, unit=unit, max_seconds=120, **options)
    return run, retried


def four_equal_jobs(unit: str, retry: int) -> dict[str, Any]:
    """Check 1."""
    runs = {
        name: measured(FOUR_EQUAL, name, cpus=2, unit=unit, retry=retry)[0]
        for name in ("processes", "threads", "asyncio")
    }
    processes = runs["processes"]
    simulated = float(processes.simulated.summary["makespan"])
    makespans = {name: float(run.measured.summary["makespan"]) for name, run in runs.items()}
    asyncio_runs = sorted(runs["asyncio"].measured.timeline_records(), key=lambda row: row["start"])
    arrival_order = list(runs["asyncio"].measured.pids)
    one_stretch_each = [row["pid"] for row in asyncio_runs] == arrival_order
    no_overlap = all(
        before["end"] <= after["start"] for before, after in itertools.pairwise(asyncio_runs)
    )
    return {
        "makespan": makespans,
        "simulated_makespan": {
            name: run.simulated.summary["makespan"] for name, run in runs.items()
        },
        "processes_vs_simulation": makespans["processes"] / simulated - 1,
        "threads_over_processes": makespans["threads"] / makespans["processes"],
        "asyncio_in_arrival_order_without_interleaving": one_stretch_each and no_overlap,
        "disturbed": {name: run.comparison.summary["disturbed"] for name, run in runs.items()},
        "gil": runs["threads"].measured.extra.get("gil"),
    }


def accuracy(unit: str, retry: int) -> list[dict[str, Any]]:
    """Check 2: every CPU-only bundled workload and the mixed one, threads and asyncio."""
    paths = [p for p in sorted((ROOT / "workloads").glob("*.yaml")) if not _has_io(p)]
    paths.append(MIXED)
    entries = []
    for executor in ("threads", "asyncio"):
        for path in paths:
            started = time.monotonic()
            run, retried = measured(path, executor, cpus=1, unit=unit, retry=retry)
            rows = run.comparison.rows
            entries.append(
                {
                    "executor": executor,
                    "workload": path.name,
                    "retried": retried,
                    "seconds": round(time.monotonic() - started, 2),
                    "errors": [
                        abs(row["turnaround"]["relative"])
                        for row in rows
                        if row["turnaround"]["relative"] is not None
                    ],
                    "order_matches": run.comparison.summary["completion_order"]["matches"],
                    "disturbed": run.comparison.summary["disturbed"],
                    "gil": run.measured.extra.get("gil"),
                }
            )
    return entries


def _has_io(path: Path) -> bool:
    """Whether the workload does I/O — or synchronises (scripts), which threads and
    coroutines do not run: left out as well."""
    workload = load_workload(path)
    return bool(workload.has_io) or workload.program is not None


def per_executor(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for executor, bar in ERROR_BARS.items():
        mine = [entry for entry in entries if entry["executor"] == executor]
        errors = [error for entry in mine for error in entry["errors"]]
        cpu_only = [e for entry in mine if entry["workload"] != MIXED.name for e in entry["errors"]]
        mixed = [e for entry in mine if entry["workload"] == MIXED.name for e in entry["errors"]]
        median = statistics.median(errors) if errors else None
        rows.append(
            {
                "executor": executor,
                "runs": len(mine),
                "processes": len(errors),
                "median_error": median,
                "median_error_cpu_only": statistics.median(cpu_only) if cpu_only else None,
                "median_error_mixed": statistics.median(mixed) if mixed else None,
                "worst_error": max(errors) if errors else None,
                "order_matches": f"{sum(entry['order_matches'] for entry in mine)}/{len(mine)}",
                "disturbed_runs": sum(entry["disturbed"] for entry in mine),
                "bar": bar,
                "passes": median is not None and median <= bar,
            }
        )
    return rows


def gil_departures(gils: list[dict[str, Any]]) -> dict[str, Any]:
    """Check 3: the GIL's behaviour pooled over every threads run."""
    pooled: dict[str, Any] = {}
    for kind in ("forced", "released"):
        pooled[kind] = {
            key: sum(gil[kind][key] for gil in gils)
            for key in ("handoffs", "contended", "longest_waiting", "newest_waiting")
        }
    held = [gil["held_before_forced_switch_ms"]["median"] for gil in gils]
    gaps = [gil["handoff_us"]["median"] for gil in gils]
    pooled["held_before_forced_switch_ms_median_of_runs"] = _median([v for v in held if v])
    pooled["handoff_us_median_of_runs"] = _median([v for v in gaps if v])
    pooled["work_unit_us"] = _median([gil["work_unit_us"] for gil in gils if gil["work_unit_us"]])
    pooled["switch_interval_ms"] = gils[0]["switch_interval_ms"] if gils else None
    return pooled


def free_threaded() -> dict[str, Any]:
    """Check 4."""
    found = {name: shutil.which(name) for name in FREE_THREADED}
    report: dict[str, Any] = {
        "this_interpreter_has_a_gil": gil_enabled(),
        "free_threaded_interpreters_found": {k: v for k, v in found.items() if v},
    }
    for name, path in found.items():
        if path is None:
            continue
        report[name] = {
            "four_threads_seconds": _time_threads(path, "-X", "gil=0"),
            "with_the_gil_seconds": _time_threads(path, "-X", "gil=1"),
        }
    return report


THREADS_SNIPPET = """
import threading, time
def burn():
    end = time.thread_time() + 0.25
    while time.thread_time() < end:
        for _ in range(100):
            pass
threads = [threading.Thread(target=burn) for _ in range(4)]
start = time.perf_counter()
for t in threads: t.start()
for t in threads: t.join()
print(time.perf_counter() - start)
"""


def _time_threads(python: str, *flags: str) -> float | None:
    try:
        completed = subprocess.run(
            [python, *flags, "-c", THREADS_SNIPPET],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return round(float(completed.stdout.strip()), 3)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.2f}%"


def report(record: dict[str, Any]) -> str:
    lines = []
    four = record["four_equal"]
    if four:
        m = four["makespan"]
        lines += [
            f"Four equal CPU-bound jobs (20 units each), --cpus 2, unit {record['unit']}:",
            "",
            "| executor | measured makespan | model makespan | check | bar |",
            "|---|---:|---:|---|---|",
            f"| processes | {m['processes']:.2f} | {four['simulated_makespan']['processes']} | "
            f"{four['processes_vs_simulation']:+.2%} from the simulation | "
            f"{'PASS' if abs(four['processes_vs_simulation']) <= MAKESPAN_BAR else 'FAIL'} |",
            f"| threads | {m['threads']:.2f} | {four['simulated_makespan']['threads']} | "
            f"{four['threads_over_processes']:.2f}x the processes' | "
            f"{'PASS' if four['threads_over_processes'] >= SERIALISED_BAR else 'FAIL'} |",
            f"| asyncio | {m['asyncio']:.2f} | {four['simulated_makespan']['asyncio']} | "
            f"arrival order, no interleaving: "
            f"{'yes' if four['asyncio_in_arrival_order_without_interleaving'] else 'NO'} | "
            f"{'PASS' if four['asyncio_in_arrival_order_without_interleaving'] else 'FAIL'} |",
            "",
        ]
    if record["accuracy"]:
        lines += [
            "Turnaround error against each executor's model, one CPU (CPU-only bundled "
            f"workloads + {MIXED.name}):",
            "",
            "| executor | median error | CPU-only | mixed | worst | completion order | "
            "disturbed runs | bar |",
            "|---|---:|---:|---:|---:|---|---|---|",
        ]
        for row in record["accuracy"]:
            lines.append(
                f"| {row['executor']} | {_percent(row['median_error'])} | "
                f"{_percent(row['median_error_cpu_only'])} | {_percent(row['median_error_mixed'])}"
                f" | {_percent(row['worst_error'])} | {row['order_matches']} match | "
                f"{row['disturbed_runs']} of {row['runs']} | ≤ {row['bar']:.0%}: "
                f"{'PASS' if row['passes'] else 'FAIL'} |"
            )
        lines.append("")
    for cores, gil in record["gil"].items():
        if not gil:
            continue
        forced = gil["forced"]
        contended = max(1, forced["contended"])
        lines += [
            f"The GIL, threads on {cores} (pooled over the runs):",
            "- held before a forced switch: median "
            f"{gil['held_before_forced_switch_ms_median_of_runs']} ms (switch interval "
            f"{gil['switch_interval_ms']} ms; the model: exactly the interval)",
            f"- handoff: median {gil['handoff_us_median_of_runs']} µs; work unit (resolution) "
            f"{gil['work_unit_us']} µs",
            f"- after {forced['contended']} forced switches with 2+ threads waiting: the "
            f"longest-waiting thread (the model's choice) got the GIL {forced['longest_waiting']}"
            f" times ({forced['longest_waiting'] / contended:.0%}), the newest waiter "
            f"{forced['newest_waiting']} times ({forced['newest_waiting'] / contended:.0%})",
            "",
        ]
    threaded = record["free_threaded"]
    found = threaded["free_threaded_interpreters_found"]
    lines.append(
        "Free-threaded CPython: "
        + (
            ", ".join(f"{name}: {threaded[name]}" for name in found)
            if found
            else "no free-threaded interpreter (python3.13t, 3.14t) is installed here"
        )
    )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--unit", default="10ms")
    parser.add_argument("--retry", type=int, default=3)
    parser.add_argument("--max-load", type=float, default=0.5)
    parser.add_argument("--quiet-wait", type=float, default=600.0)
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument("--details", action="store_true")
    arguments = parser.parse_args()
    load_before = wait_for_load(arguments.max_load, arguments.quiet_wait)
    print(f"schedsim {__version__}: load average {load_before:.2f} at the start", file=sys.stderr)
    four = four_equal_jobs(arguments.unit, arguments.retry)
    entries = [] if arguments.skip_accuracy else accuracy(arguments.unit, arguments.retry)
    one_core = [entry["gil"] for entry in entries if entry.get("gil")]
    two_cores = [four["gil"]] if four.get("gil") else []
    load_after = os.getloadavg()[0]
    record: dict[str, Any] = {
        "schedsim": __version__,
        "unit": arguments.unit,
        "load_average_before": load_before,
        "load_average_after": load_after,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "four_equal": four,
        "accuracy": per_executor(entries) if entries else [],
        "gil": {
            "one core": gil_departures(one_core) if one_core else None,
            "two cores": gil_departures(two_cores) if two_cores else None,
        },
        "free_threaded": free_threaded(),
        "runs": entries,
    }
    if arguments.details:
        for entry in entries:
            worst = max(entry["errors"]) if entry["errors"] else None
            print(
                f"{entry['executor']:>8} {entry['workload']:<28} median "
                f"{_percent(statistics.median(entry['errors']) if entry['errors'] else None):>7}"
                f" worst {_percent(worst):>7} order "
                f"{'ok' if entry['order_matches'] else 'DIFFERS'}"
                + (" disturbed" if entry["disturbed"] else "")
            )
        print()
    print(report(record))
    print(
        f"\nload average {load_before:.2f} before, {load_after:.2f} after; {os.cpu_count()} cores;"
        f" {platform.python_implementation()} {platform.python_version()}"
    )
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    (RESULTS / f"executors-{stamp}.json").write_text(json.dumps(record, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
