"""Accuracy of ``schedsim measure`` on processes that synchronise: real primitives against
the simulation.

Runs every bundled synchronising workload (``workloads/*.yaml`` with ``run:`` scripts) in
dispatch mode, on one CPU, under

    fcfs, rr (quantum 4), priority --preemptive, priority --preemptive --locks inherit

and reports, per policy:

* the median and worst relative error of per-process turnaround over every process that
  finished, ``|measured - simulated| / simulated``;
* whether the completion order matched the simulation in every workload (and, for a
  workload that deadlocks, whether the measured deadlock is the simulated one);
* the largest shift of a measured lock or semaphore hold — its acquisition or release —
  from the simulated one, in time units;
* how many runs flagged their measurements as disturbed.

Bars, on an otherwise idle 2-core machine at unit 10 ms: median error <= 3%, completion
order identical, every hold within 2 units.  They are reported, not enforced.  A run that
reports itself disturbed is repeated after waiting for idle cores (``--retry``,
``--quiet-wait``), as in ``measure_accuracy.py``.

Usage:
    python benchmarks/sync_accuracy.py
    python benchmarks/sync_accuracy.py --unit 5ms --repeat 3 --details
    python benchmarks/sync_accuracy.py --kernel     # also: SCHED_FIFO on Pathfinder (root)

``--kernel`` adds the kernel-mode view of priority inversion: Pathfinder under SCHED_FIFO
with ``multiprocessing.Lock`` and with a priority-inheritance mutex, the high-priority
process's measured blocked time next to the simulated one.

Results are printed as markdown and saved as JSON under ``benchmarks/results/``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure_accuracy import RESULTS, ROOT, wait_for_quiet

from schedsim import __version__, load_workload
from schedsim.real import measure

VARIANTS: dict[str, tuple[str, dict[str, Any], str]] = {
    "fcfs": ("fcfs", {}, "none"),
    "rr": ("rr", {"quantum": 4}, "none"),
    "priority": ("priority", {"preemptive": True}, "none"),
    "priority+inherit": ("priority", {"preemptive": True}, "inherit"),
}
MEDIAN_BAR = 0.03
HOLD_BAR = 2.0


def synchronising_workloads(names: list[str] | None) -> list[Path]:
    if names:
        return [Path(name) if Path(name).exists() else ROOT / "workloads" / name for name in names]
    return [
        path
        for path in sorted((ROOT / "workloads").glob("*.yaml"))
        if load_workload(path).program is not None
    ]


def one_run(path: Path, variant: str, unit: str, retry: int, quiet_wait: float) -> dict[str, Any]:
    policy, options, locks = VARIANTS[variant]
    workload = load_workload(path)
    started = time.monotonic()

    def attempt() -> Any:
        return measure(workload, policy, unit=unit, locks=locks, max_seconds=120, **options)

    measurement = attempt()
    retried = 0
    while measurement.comparison.summary["disturbed"] and retried < retry:
        retried += 1
        wait_for_quiet(quiet_wait)
        measurement = attempt()
    summary = measurement.comparison.summary
    simulated, measured = measurement.simulated, measurement.measured
    errors = [
        abs(row["turnaround"]["relative"])
        for row in measurement.comparison.rows
        if row["turnaround"]["relative"] is not None
        and not math.isnan(row["turnaround"]["relative"])  # left in a deadlock
    ]
    simulated_deadlock, measured_deadlock = cycle(simulated), cycle(measured)
    return {
        "variant": variant,
        "workload": path.name,
        "retried": retried,
        "seconds": round(time.monotonic() - started, 2),
        "errors": errors,
        "order_matches": bool(summary["completion_order"]["matches"]),
        "deadlock_matches": simulated_deadlock == measured_deadlock,
        "deadlocked": simulated_deadlock is not None,
        "hold_shift": summary["synchronisation"]["hold_shift"],
        "disturbed": summary["disturbed"],
        "disturbances": summary["disturbances"],
    }


def cycle(result: Any) -> list[tuple[Any, ...]] | None:
    """A run's deadlock as who holds what and waits for what (not when); None if none."""
    if result.deadlock is None:
        return None
    return [
        (member["pid"], tuple(member["holds"]), member["waits_for"])
        for member in result.deadlock["cycle"]
    ]


def per_variant(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for variant in VARIANTS:
        mine = [entry for entry in runs if entry["variant"] == variant]
        if not mine:
            continue
        errors = [error for entry in mine for error in entry["errors"]]
        shifts = [entry["hold_shift"] for entry in mine]
        matched = sum(entry["order_matches"] and entry["deadlock_matches"] for entry in mine)
        median = statistics.median(errors) if errors else None
        worst_shift = None if None in shifts else max(shifts, default=0.0)
        rows.append(
            {
                "variant": variant,
                "runs": len(mine),
                "processes": len(errors),
                "median_error": median,
                "worst_error": max(errors) if errors else None,
                "order_matches": f"{matched}/{len(mine)}",
                "hold_shift": worst_shift,
                "disturbed_runs": sum(entry["disturbed"] for entry in mine),
                "retried_runs": sum(entry["retried"] > 0 for entry in mine),
                "passes": median is not None
                and median <= MEDIAN_BAR
                and matched == len(mine)
                and worst_shift is not None
                and worst_shift <= HOLD_BAR,
            }
        )
    return rows


def markdown(rows: list[dict[str, Any]], unit: str) -> str:
    lines = [
        f"| policy (unit {unit}) | median error | worst error | completion order | "
        "largest hold shift | runs retried / still disturbed | bar |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        shift = row["hold_shift"]
        lines.append(
            f"| {row['variant']} | {_percent(row['median_error'])} | "
            f"{_percent(row['worst_error'])} | {row['order_matches']} match | "
            f"{'holds differ' if shift is None else f'{shift:.2f} units'} | "
            f"{row['retried_runs']} / {row['disturbed_runs']} of {row['runs']} | "
            f"{'PASS' if row['passes'] else 'FAIL'} |"
        )
    return "\n".join(lines)


def kernel_inversion(unit: str) -> list[dict[str, Any]]:
    """Pathfinder under SCHED_FIFO: H's blocked time with a plain lock and with PI."""
    workload = load_workload(ROOT / "workloads" / "pathfinder.yaml")
    out = []
    for locks in ("none", "inherit", "ceiling"):
        measurement = measure(workload, mode="kernel", kernel_policy="fifo", unit=unit, locks=locks)

        def blocked(result: Any) -> float:
            processes = result.resources["processes"]
            return float(next(p for p in processes if p["pid"] == "H")["blocked"].get("lock", 0))

        out.append(
            {
                "locks": locks,
                "simulated_blocked": blocked(measurement.simulated),
                "measured_blocked": blocked(measurement.measured),
                "order": measurement.comparison.summary["completion_order"]["measured"],
                "order_matches": measurement.comparison.summary["completion_order"]["matches"],
            }
        )
    return out


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.2f}%"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--unit", default="10ms")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--workloads", default=None, help="comma-separated workload files")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--details", action="store_true", help="one line per workload run")
    parser.add_argument("--retry", type=int, default=3)
    parser.add_argument("--quiet-wait", type=float, default=30.0)
    parser.add_argument("--kernel", action="store_true", help="also SCHED_FIFO on Pathfinder")
    arguments = parser.parse_args()
    variants = [name.strip() for name in arguments.variants.split(",") if name.strip()]
    paths = synchronising_workloads(arguments.workloads.split(",") if arguments.workloads else None)
    load_before = os.getloadavg()
    print(
        f"schedsim {__version__}: {len(paths)} workloads x {len(variants)} policies, unit "
        f"{arguments.unit}, load average {load_before[0]:.2f}",
        file=sys.stderr,
    )
    runs = [
        one_run(path, variant, arguments.unit, arguments.retry, arguments.quiet_wait)
        for variant in variants
        for path in paths
        for _ in range(arguments.repeat)
    ]
    rows = per_variant(runs)
    if arguments.details:
        for entry in runs:
            worst = max(entry["errors"]) if entry["errors"] else None
            print(
                f"{entry['variant']:>16} {entry['workload']:<24} worst {_percent(worst):>7} "
                f"order {'ok' if entry['order_matches'] else 'DIFFERS'} "
                f"holds {entry['hold_shift']}"
                + (" deadlock ok" if entry["deadlocked"] and entry["deadlock_matches"] else "")
                + (f" retried {entry['retried']}x" if entry["retried"] else "")
                + (" disturbed" if entry["disturbed"] else "")
            )
        print()
    print(markdown(rows, arguments.unit))
    inversion = kernel_inversion(arguments.unit) if arguments.kernel else []
    if inversion:
        print("\n| Pathfinder, SCHED_FIFO | H blocked, simulated | H blocked, measured | order |")
        print("|---|---|---|---|")
        for entry in inversion:
            print(
                f"| --locks {entry['locks']} | {entry['simulated_blocked']:g} | "
                f"{entry['measured_blocked']:.2f} | {' '.join(entry['order'])}"
                f"{' (matches)' if entry['order_matches'] else ' (differs)'} |"
            )
    load_after = os.getloadavg()
    print(
        f"\nload average {load_before[0]:.2f} before, {load_after[0]:.2f} after; "
        f"{os.cpu_count()} cores; {platform.python_implementation()} {platform.python_version()}"
    )
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    record = {
        "schedsim": __version__,
        "unit": arguments.unit,
        "load_average_before": load_before,
        "load_average_after": load_after,
        "workloads": [path.name for path in paths],
        "variants": rows,
        "runs": runs,
        "kernel_inversion": inversion,
    }
    (RESULTS / f"sync-accuracy-{stamp}.json").write_text(json.dumps(record, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
