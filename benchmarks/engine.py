"""Engine benchmark: jobs/s, events/s and peak memory per policy and size, next to SimPy.

Workloads are Poisson arrivals at load 0.9 on one CPU: exponential inter-arrival times with
rate 0.09 and exponential CPU bursts with mean 10 (seeded), one burst per process.  Each
policy runs through ``schedsim.engine.run`` with a policy from
``schedsim.policies.make_policy`` — the same pluggable path users extend — without a
timeline; round robin also runs once with the timeline at the largest size, to show what
the timeline costs in memory.

Every measurement runs in its own fresh Python process, so its peak resident memory
(``ru_maxrss``) belongs to that measurement alone and no garbage from an earlier run skews
it.  A measurement is the best of ``--repeat`` runs (more for small sizes, until the runs
took ``--min-time`` seconds in all, as ``timeit`` does); workload generation is not timed.

Definitions:
    jobs/s    processes simulated per second of wall-clock time spent in ``engine.run``
    events/s  (arrivals + slices) per second, where slices = dispatches (sum of the
              trace's per-job ``slices``); each slice ends in one event (finish, expiry
              or preemption).  Round robin with quantum 1 and mean burst 10 makes about
              11.5 events per process; fcfs and sjf make exactly 2.
    peak RSS  the measuring process's peak resident set size: Python, numpy, schedsim,
              the workload and the run together.

The SimPy model of each policy (``simpy_models.py``) runs on the same workload in the same
benchmark run, for sizes up to ``--simpy-max-size``; its mean turnaround and slice count must
agree with schedsim's (mean turnaround within 1e-6 relative), marked ✓ or ✗.

Usage:
    python benchmarks/engine.py                          # 10^4, 10^5, 10^6; all policies
    python benchmarks/engine.py --sizes 1e4,1e5 --policies rr,mlfq
    python benchmarks/engine.py --no-simpy --repeat 1
    python benchmarks/engine.py --profile rr --profile-size 1e5

Results go to benchmarks/results/engine-<date>.json (git-ignored).  The exit status is 1 when
a SimPy model disagrees with schedsim or a measurement fails, 0 otherwise: the PASS/FAIL
targets are reported, not enforced.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import gc
import json
import os
import platform
import pstats
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"

ARRIVAL_RATE = 0.09  # processes per time unit: load 0.09 x 10 = 0.9
MEAN_BURST = 10.0
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
DEFAULT_SEED = 2024
TARGET_SIZE = 1_000_000
SCALING_LIMIT = 0.85  # jobs/s at 10^6 must stay within 15% of jobs/s at 10^4
MEMORY_LIMIT = 500 * 2**20  # peak RSS at 10^6 without a timeline
AGREEMENT = 1e-6  # relative tolerance on mean turnaround
MAX_RUNS = 100  # runs per measurement when --min-time asks for more than --repeat


@dataclass(frozen=True)
class PolicyCase:
    """One benchmarked policy: its schedsim options, SimPy model options and target."""

    name: str
    label: str
    schedsim_options: dict[str, Any]
    simpy_options: dict[str, Any]
    target_jobs_per_second: int


CASES = {
    case.name: case
    for case in (
        PolicyCase("fcfs", "fcfs", {}, {}, 2_000_000),
        PolicyCase("sjf", "sjf", {}, {}, 1_500_000),
        PolicyCase("srtf", "srtf", {}, {}, 400_000),
        PolicyCase("rr", "rr q=1", {"quantum": 1}, {"quantum": 1}, 500_000),
        PolicyCase(
            "mlfq",
            "mlfq q=1,2,4",
            {"levels": 3, "quantum": "1,2,4"},
            {"quanta": (1, 2, 4)},
            500_000,
        ),
    )
}


# -- workload -------------------------------------------------------------------------------------
def make_workload(size: int, seed: int) -> Any:
    """Poisson arrivals at load 0.9, exponential bursts with mean 10, float64 times."""
    from schedsim.workload import Workload

    rng = np.random.default_rng(seed)
    arrival = np.cumsum(rng.exponential(1 / ARRIVAL_RATE, size))
    burst = rng.exponential(MEAN_BURST, size)
    return Workload(
        pid=[f"P{i}" for i in range(size)],
        arrival=arrival,
        burst_offsets=np.arange(size + 1, dtype=np.int64),
        burst_values=burst,
        priority=np.zeros(size, dtype=np.int64),
        tickets=np.full(size, 100, dtype=np.int64),
        nice=np.zeros(size, dtype=np.int64),
        name=f"poisson-load0.9-n{size}-seed{seed}",
    )


# -- one measurement (runs in a fresh child process) ----------------------------------------------
def measure(spec: dict[str, Any]) -> dict[str, Any]:
    """Time one (engine, policy, size) and report speed, agreement figures and peak memory."""
    case = CASES[spec["policy"]]
    size = int(spec["size"])
    workload = make_workload(size, int(spec["seed"]))
    arrival = workload.arrival
    gc.collect()
    baseline = current_rss()
    seconds: list[float] = []
    out: dict[str, Any] = {}
    while len(seconds) < int(spec["repeat"]) or (
        sum(seconds) < float(spec.get("min_time", 0)) and len(seconds) < MAX_RUNS
    ):
        if spec["engine"] == "schedsim":
            elapsed, figures = _run_schedsim(
                workload, case, bool(spec["timeline"]), int(spec.get("cpus", 1))
            )
        else:
            elapsed, figures = _run_simpy(workload, case)
        seconds.append(elapsed)
        out = figures
        gc.collect()
    finish = out.pop("finish")
    best = min(seconds)
    return {
        **spec,
        "seconds": best,
        "all_seconds": seconds,
        "jobs_per_second": size / best,
        "events": size + out["slices"],
        "events_per_second": (size + out["slices"]) / best,
        "mean_turnaround": float(np.mean(finish - arrival)),
        "baseline_rss_bytes": baseline,
        "peak_rss_bytes": peak_rss(),
        **out,
    }


def _run_schedsim(
    workload: Any, case: PolicyCase, timeline: bool, cpus: int = 1
) -> tuple[float, dict[str, Any]]:
    from schedsim.engine import run
    from schedsim.policies import make_policy

    policy = make_policy(case.name, **case.schedsim_options)
    start = time.perf_counter()
    trace = run(workload, policy, record_timeline=timeline, cpus=cpus)
    elapsed = time.perf_counter() - start
    figures: dict[str, Any] = {
        "finish": np.asarray(trace.finish, dtype=np.float64),
        "slices": int(sum(trace.slices)),
    }
    if trace.timeline is not None:
        columns = trace.timeline.arrays()
        figures["timeline_rows"] = len(trace.timeline)
        figures["timeline_bytes"] = int(sum(column.nbytes for column in columns.values()))
    return elapsed, figures


def _run_simpy(workload: Any, case: PolicyCase) -> tuple[float, dict[str, Any]]:
    import simpy_models

    arrival, burst = simpy_models.workload_columns(workload)
    start = time.perf_counter()
    model = simpy_models.build(case.name, arrival, burst, **case.simpy_options)
    finish = model.run()
    elapsed = time.perf_counter() - start
    return elapsed, {"finish": np.asarray(finish, dtype=np.float64), "slices": model.slices}


def current_rss() -> int:
    """Resident set size now, in bytes (Linux /proc; falls back to the peak elsewhere)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return peak_rss()


def peak_rss() -> int:
    """This process's peak resident set size in bytes (ru_maxrss is KiB on Linux)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def run_child(spec: dict[str, Any]) -> dict[str, Any]:
    """Run :func:`measure` in a fresh interpreter; a failure becomes an ``error`` entry."""
    command = [sys.executable, str(Path(__file__).resolve()), "--measure", json.dumps(spec)]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        tail = completed.stderr.strip().splitlines()[-5:]
        return {**spec, "error": " | ".join(tail) or f"exit status {completed.returncode}"}
    return json.loads(completed.stdout.strip().splitlines()[-1])


# -- the benchmark --------------------------------------------------------------------------------
def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    largest = max(args.sizes)
    for size in args.sizes:
        for name in args.policies:
            base = {
                "policy": name,
                "size": size,
                "seed": args.seed,
                "repeat": args.repeat,
                "min_time": args.min_time,
                "cpus": args.cpus,
            }
            row = run_child({**base, "engine": "schedsim", "timeline": False})
            report_progress(row)
            if args.simpy and size <= args.simpy_max_size and args.cpus == 1:
                reference = run_child({**base, "engine": "simpy", "timeline": False})
                report_progress(reference)
                row["simpy"] = reference
                row["agrees"] = agrees(row, reference)
            rows.append(row)
        if size == largest and "rr" in args.policies and args.timeline_variant and args.cpus == 1:
            base = {"policy": "rr", "size": size, "seed": args.seed, "repeat": 1, "min_time": 0}
            row = run_child({**base, "engine": "schedsim", "timeline": True})
            report_progress(row)
            rows.append(row)
    return {
        "machine": machine_info(),
        "command": " ".join(["python", "benchmarks/engine.py", *sys.argv[1:]]),
        "started": args.started,
        "workload": {
            "arrivals": f"Poisson, rate {ARRIVAL_RATE}",
            "bursts": f"exponential, mean {MEAN_BURST}",
            "load": ARRIVAL_RATE * MEAN_BURST,
            "seed": args.seed,
            "cpus": args.cpus,
        },
        "repeat": args.repeat,
        "min_time": args.min_time,
        "rows": rows,
    }


def agrees(row: dict[str, Any], reference: dict[str, Any]) -> bool | None:
    if "error" in row or "error" in reference:
        return None
    ours, theirs = row["mean_turnaround"], reference["mean_turnaround"]
    close = abs(ours - theirs) <= AGREEMENT * abs(theirs)
    return bool(close and row["slices"] == reference["slices"])


def report_progress(row: dict[str, Any]) -> None:
    what = f"{row['engine']:8} {row['policy']:5} n={row['size']:>9,}"
    if row.get("timeline"):
        what += " +timeline"
    if "error" in row:
        print(f"  {what}  ERROR {row['error']}", file=sys.stderr, flush=True)
        return
    print(
        f"  {what}  {row['seconds']:8.3f} s  {row['jobs_per_second']:>12,.0f} jobs/s  "
        f"peak {row['peak_rss_bytes'] / 2**20:7.1f} MB",
        file=sys.stderr,
        flush=True,
    )


def machine_info() -> dict[str, Any]:
    import schedsim

    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        cpu = platform.processor() or "unknown"
    info: dict[str, Any] = {
        "cpu": cpu,
        "logical_cpus": os.cpu_count(),
        "load_average": [round(value, 2) for value in os.getloadavg()],
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "numpy": np.__version__,
        "schedsim": schedsim.__version__,
        "platform": platform.platform(),
    }
    try:
        import simpy

        info["simpy"] = simpy.__version__
    except ImportError:
        info["simpy"] = None
    commit = subprocess.run(
        ["git", "describe", "--always", "--dirty"],
        cwd=HERE,
        capture_output=True,
        text=True,
        check=False,
    )
    info["commit"] = commit.stdout.strip() or None
    return info


# -- reporting ------------------------------------------------------------------------------------
def megabytes(value: float) -> str:
    return f"{value / 2**20:,.0f}"


def mark(passed: bool | None) -> str:
    return "—" if passed is None else ("PASS" if passed else "FAIL")


def render(results: dict[str, Any]) -> str:
    rows = results["rows"]
    machine = results["machine"]
    lines = [
        "",
        f"Machine: {machine['cpu']}, {machine['logical_cpus']} logical CPUs "
        f"(load average {', '.join(map(str, machine['load_average']))} at start); "
        f"{machine['implementation']} {machine['python']}, numpy {machine['numpy']}, "
        f"SimPy {machine['simpy']}; schedsim {machine['schedsim']} ({machine['commit']}).",
        f"Workload: Poisson arrivals (rate {ARRIVAL_RATE}), exponential bursts (mean "
        f"{MEAN_BURST:g}), load 0.9 of one CPU, {_cpus_text(results)}, seed "
        f"{results['workload']['seed']}; best of "
        f"{results['repeat']}+ runs (small sizes repeated to {results['min_time']:g} s); "
        "each measurement in a fresh process.",
        f"Command: {results['command']}",
        "",
        "| policy | processes | events/process | schedsim s | jobs/s | events/s | µs/job "
        "| peak RSS MB | SimPy jobs/s | speed-up | same result | target jobs/s @10^6 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|:-:|---|",
    ]
    for row in rows:
        case = CASES[row["policy"]]
        label = case.label + (" + timeline" if row.get("timeline") else "")
        if "error" in row:
            lines.append(f"| {label} | {row['size']:,} | error: {row['error']} |")
            continue
        simpy_row = row.get("simpy")
        if simpy_row is None:
            simpy_cells = "— | — | —"
        elif "error" in simpy_row:
            simpy_cells = "error | — | —"
        else:
            speedup = row["jobs_per_second"] / simpy_row["jobs_per_second"]
            agreement = "✓" if row["agrees"] else "✗"
            simpy_cells = f"{simpy_row['jobs_per_second']:,.0f} | {speedup:.1f}x | {agreement}"
        target = ""
        if row["size"] == TARGET_SIZE and not row.get("timeline") and row.get("cpus", 1) == 1:
            passed = row["jobs_per_second"] >= case.target_jobs_per_second
            target = f"≥ {case.target_jobs_per_second:,} {mark(passed)}"
        lines.append(
            f"| {label} | {row['size']:,} | {row['events'] / row['size']:.2f} | "
            f"{row['seconds']:.3f} | {row['jobs_per_second']:,.0f} | "
            f"{row['events_per_second']:,.0f} | {1e6 * row['seconds'] / row['size']:.2f} | "
            f"{megabytes(row['peak_rss_bytes'])} | {simpy_cells} | {target} |"
        )
    lines += ["", *render_scaling(rows), "", *render_targets(rows)]
    return "\n".join(lines)


def render_scaling(rows: list[dict[str, Any]]) -> list[str]:
    plain = [row for row in rows if not row.get("timeline") and "error" not in row]
    sizes = sorted({row["size"] for row in plain})
    if not sizes:
        return []
    lines = [
        "Per-job time (µs) by size, and jobs/s at the largest size over jobs/s at the smallest "
        f"(bar: ≥ {SCALING_LIMIT:.2f} between 10^4 and 10^6):",
        "",
        "| policy | " + " | ".join(f"{size:,}" for size in sizes) + " | ratio |",
        "|---|" + "---:|" * len(sizes) + "---|",
    ]
    for name in CASES:
        by_size = {row["size"]: row for row in plain if row["policy"] == name}
        if not by_size:
            continue
        cells = [
            f"{1e6 * by_size[size]['seconds'] / size:.2f}" if size in by_size else "—"
            for size in sizes
        ]
        ratio = ""
        low, high = min(by_size), max(by_size)
        if low < high:
            value = by_size[high]["jobs_per_second"] / by_size[low]["jobs_per_second"]
            judged = low == 10_000 and high == TARGET_SIZE
            ratio = f"{value:.2f}" + (f" {mark(value >= SCALING_LIMIT)}" if judged else "")
        lines.append(f"| {CASES[name].label} | " + " | ".join(cells) + f" | {ratio} |")
    return lines


def _cpus_text(results: dict[str, Any]) -> str:
    cpus = int(results["workload"].get("cpus", 1))
    return "simulated on one CPU" if cpus == 1 else f"simulated on {cpus} CPUs"


def render_targets(rows: list[dict[str, Any]]) -> list[str]:
    lines = ["Targets at 10^6 processes (one simulated CPU):"]
    for row in rows:
        if row["size"] != TARGET_SIZE or "error" in row or row.get("cpus", 1) != 1:
            continue
        case = CASES[row["policy"]]
        if row.get("timeline"):
            lines.append(
                f"  {case.label} with timeline: peak RSS {megabytes(row['peak_rss_bytes'])} MB "
                f"({megabytes(row['baseline_rss_bytes'])} MB before the run), "
                f"{row['timeline_rows']:,} slices in "
                f"{megabytes(row['timeline_bytes'])} MB "
                f"({row['timeline_bytes'] / max(row['timeline_rows'], 1):.0f} bytes/slice)"
            )
            continue
        speed = row["jobs_per_second"] >= case.target_jobs_per_second
        memory = row["peak_rss_bytes"] < MEMORY_LIMIT
        lines.append(
            f"  {case.label:13} {row['jobs_per_second']:>12,.0f} jobs/s "
            f"(≥ {case.target_jobs_per_second:>9,}) {mark(speed)}   "
            f"peak RSS {megabytes(row['peak_rss_bytes']):>5} MB (< 500) {mark(memory)}  "
            f"[{megabytes(row['baseline_rss_bytes'])} MB before the run: interpreter + workload]"
        )
    if len(lines) == 1:
        lines.append("  (no 10^6 measurement in this run)")
    return lines


def save(results: dict[str, Any], name: str = "engine") -> Path:
    """Write ``results`` to benchmarks/results/<name>-<date>[-N].json, never overwriting."""
    RESULTS.mkdir(exist_ok=True)
    stem = f"{name}-{datetime.date.today().isoformat()}"
    path = RESULTS / f"{stem}.json"
    number = 2
    while path.exists():
        path = RESULTS / f"{stem}-{number}.json"
        number += 1
    path.write_text(json.dumps(results, indent=2) + "\n")
    return path


# -- profiling ------------------------------------------------------------------------------------
def profile(name: str, size: int, seed: int) -> None:
    """cProfile one schedsim run and print the 25 functions with the most own time."""
    from schedsim.engine import run
    from schedsim.policies import make_policy

    case = CASES[name]
    workload = make_workload(size, seed)
    policy = make_policy(case.name, **case.schedsim_options)
    profiler = cProfile.Profile()
    profiler.enable()
    run(workload, policy, record_timeline=False)
    profiler.disable()
    print(f"cProfile: {case.label}, {size:,} processes (times include profiling overhead)")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


# -- command line ---------------------------------------------------------------------------------
def parse_size(text: str) -> int:
    """``10000``, ``1e4`` or ``10^4``."""
    raw = text.strip()
    try:
        if "^" in raw:
            base, exponent = raw.split("^", 1)
            value = int(base) ** int(exponent)
        else:
            value = int(float(raw))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (use 10000, 1e4 or 10^4)") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"a size must be >= 1, got {text!r}")
    return value


def parse_sizes(text: str) -> list[int]:
    return sorted({parse_size(item) for item in text.split(",") if item.strip()})


def parse_policies(text: str) -> list[str]:
    names = [item.strip().lower() for item in text.split(",") if item.strip()]
    unknown = [name for name in names if name not in CASES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown policy {', '.join(unknown) or text!r}; choose from {', '.join(CASES)}"
        )
    return [name for name in CASES if name in names]


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark schedsim's engine against SimPy models of the same policies.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Results are also written to benchmarks/results/engine-<date>.json.",
    )
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=list(DEFAULT_SIZES),
        help="comma-separated numbers of processes (default 1e4,1e5,1e6)",
    )
    parser.add_argument(
        "--policies",
        type=parse_policies,
        default=list(CASES),
        help=f"comma-separated policies (default {','.join(CASES)})",
    )
    parser.add_argument(
        "--simpy",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run the SimPy model of each policy (default on)",
    )
    parser.add_argument(
        "--simpy-max-size",
        type=parse_size,
        default=100_000,
        help="largest size the SimPy models run at (default 1e5; rr at 1e6 takes minutes)",
    )
    parser.add_argument(
        "--timeline-variant",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run rr with the timeline at the largest size (default on)",
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per measurement, best kept (default 3)"
    )
    parser.add_argument(
        "--min-time",
        type=float,
        default=0.5,
        help="repeat small measurements until they took this many seconds in all "
        f"(at most {MAX_RUNS} runs; default 0.5)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="workload seed")
    parser.add_argument(
        "--cpus",
        type=int,
        default=1,
        help="simulated CPUs (default 1; the speed targets, SimPy and the timeline variant "
        "are for one CPU)",
    )
    parser.add_argument(
        "--profile",
        metavar="POLICY",
        choices=list(CASES),
        help="instead of benchmarking, profile one policy with cProfile",
    )
    parser.add_argument(
        "--profile-size",
        type=parse_size,
        default=100_000,
        help="processes for --profile (default 1e5)",
    )
    parser.add_argument("--no-save", action="store_true", help="do not write the JSON results file")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # internal: one child measurement
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error(f"--repeat must be >= 1, got {args.repeat}")
    if args.cpus < 1:
        parser.error(f"--cpus must be >= 1, got {args.cpus}")
    args.started = datetime.datetime.now().isoformat(timespec="seconds")
    return args


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    if args.measure:
        print(json.dumps(measure(json.loads(args.measure))))
        return 0
    if args.profile:
        profile(args.profile, args.profile_size, args.seed)
        return 0
    print(
        f"Benchmarking {', '.join(args.policies)} at {', '.join(f'{s:,}' for s in args.sizes)} "
        "processes (progress on stderr)...",
        file=sys.stderr,
    )
    results = benchmark(args)
    print(render(results))
    if not args.no_save:
        print(f"\nResults saved to {save(results).relative_to(HERE.parent)}")
    failed = any(
        "error" in row or row.get("agrees") is False or "error" in row.get("simpy", {})
        for row in results["rows"]
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
