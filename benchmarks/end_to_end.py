"""End-to-end benchmark: CSV parsing and the ``schedsim run`` command on a big workload.

Writes the engine benchmark's workload (Poisson arrivals at load 0.9, exponential bursts
with mean 10, float times) as a ``pid,arrival,burst`` CSV of ``--size`` rows (10^6 by
default) to a temporary directory, once, then measures:

* **CSV parsing**: ``schedsim.loaders.load_workload`` in this process, best of
  ``--repeat`` (bar: under 0.6 s per 10^6 rows);
* **end to end**: ``schedsim run big.csv --policy rr --quantum 1 --summary-only`` as a child
  process — interpreter start-up, imports, loading, simulation and the summary included —
  best of ``--repeat`` wall-clock times (bar: under 3.5 s at 10^6 rows);
* **peak memory** of that child: its ``ru_maxrss`` from ``os.wait4``, taken by a small
  launcher interpreter so that this script's own peak is not carried into it (bar: under
  500 MB at 10^6 rows);
* **against SimPy** (``--simpy``): the same file through the SimPy model of the same policy
  (``simpy_models.py``; the file read with schedsim's own loader, which only helps SimPy),
  timed in a child process, next to the ``schedsim run`` command's wall-clock time: rr with
  quantum 1 on the ``--size`` file (bar: schedsim at least 4.5x faster at 10^6 rows), and
  MLFQ with quanta 1,2,4 on a ``--mlfq-size`` file (10^5 by default; bar: at least 7.5x).

Usage:
    python benchmarks/end_to_end.py
    python benchmarks/end_to_end.py --size 1e5 --repeat 1
    python benchmarks/end_to_end.py --keep /tmp/big.csv      # keep the CSV for later use
    python benchmarks/end_to_end.py --simpy                  # and the SimPy comparison

Results go to benchmarks/results/end-to-end-<date>.json (git-ignored).  The exit status is 1
when a step fails (for example, the loader cannot read the file), 0 otherwise: the bars are
reported, not enforced.
"""

from __future__ import annotations

import argparse
import gc
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from engine import HERE, machine_info, make_workload, mark, parse_size, save

BAR_ROWS = 1_000_000
PARSE_BAR = 0.6  # seconds per 10^6 rows
END_TO_END_BAR = 3.5  # seconds at 10^6 rows
MEMORY_BAR = 500 * 2**20  # bytes at 10^6 rows
POLICY_ARGUMENTS = ["--policy", "rr", "--quantum", "1", "--summary-only"]
MLFQ_ARGUMENTS = ["--policy", "mlfq", "--levels", "3", "--quantum", "1,2,4", "--summary-only"]
SIMPY_BARS = {"rr": 4.5, "mlfq": 7.5}  # schedsim end to end vs the SimPy model, at least
SIMPY_CHILD = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from simpy_models import build, workload_columns
from schedsim.loaders import load_workload
policy, path, report = sys.argv[2], sys.argv[3], sys.argv[4]
options = {"quantum": 1} if policy == "rr" else {"quanta": (1, 2, 4)}
start = time.perf_counter()
arrival, burst = workload_columns(load_workload(path))
finish = build(policy, arrival, burst, **options).run()
elapsed = time.perf_counter() - start
json.dump({"seconds": elapsed, "mean_finish": sum(finish) / len(finish)}, open(report, "w"))
"""


def write_csv(workload: Any, path: Path) -> str:
    """Write with the loader's own writer when it exists (the format users get), else with
    a plain writer of the same ``pid,arrival,burst`` form; returns which one wrote it."""
    try:
        from schedsim import loaders
    except ImportError:
        loaders = None  # type: ignore[assignment]
    if loaders is not None and hasattr(loaders, "save_workload"):
        loaders.save_workload(workload, path)
        return "schedsim.loaders.save_workload"
    arrivals = workload.arrival.tolist()
    bursts = workload.burst_values.tolist()
    with open(path, "w") as out:
        out.write("pid,arrival,burst\n")
        out.writelines(
            f"{pid},{arrival!r},{burst!r}\n"
            for pid, arrival, burst in zip(workload.pid, arrivals, bursts, strict=True)
        )
    return "plain writer (schedsim.loaders.save_workload not available)"


def time_parsing(path: Path, rows: int, repeat: int) -> dict[str, Any]:
    try:
        from schedsim.loaders import load_workload
    except ImportError as error:
        return {"error": f"schedsim.loaders.load_workload not available: {error}"}
    seconds: list[float] = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        try:
            workload = load_workload(path)
        except Exception as error:
            return {"error": f"{type(error).__name__}: {error}"}
        seconds.append(time.perf_counter() - start)
        if len(workload) != rows:
            return {"error": f"loaded {len(workload):,} rows, expected {rows:,}"}
        del workload
    best = min(seconds)
    return {"seconds": best, "all_seconds": seconds, "seconds_per_million": best * 1e6 / rows}


def schedsim_command() -> list[str]:
    """The installed ``schedsim`` console script, or ``python -m schedsim`` without one."""
    script = shutil.which("schedsim")
    return [script] if script else [sys.executable, "-m", "schedsim"]


# Runs the command and reports its wall-clock time and peak RSS.  It exists because Linux
# carries a process's peak RSS over into the program it execs: a command started straight
# from this script (which holds the big workload) would report this script's peak, not its
# own.  Started from this small interpreter instead, the command's ru_maxrss is its own.
LAUNCHER = """
import json, os, subprocess, sys, time
report, command = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
child = subprocess.Popen(command)
_, status, usage = os.wait4(child.pid, 0)
elapsed = time.perf_counter() - start
with open(report, "w") as out:
    json.dump({"seconds": elapsed, "status": os.waitstatus_to_exitcode(status),
               "maxrss": usage.ru_maxrss}, out)
"""


def time_simpy(policy: str, path: Path) -> dict[str, Any]:
    """The SimPy model of ``policy`` on the file at ``path``, reading included, in a child."""
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "simpy.json"
        command = [sys.executable, "-c", SIMPY_CHILD, str(HERE), policy, str(path), str(report)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            return {"error": done.stderr.strip()[-500:]}
        return dict(json.loads(report.read_text()))


def versus_simpy(path: Path, args: argparse.Namespace, cli: dict[str, Any]) -> dict[str, Any]:
    """schedsim end to end against SimPy: rr on the main file, MLFQ on a smaller one."""
    out: dict[str, Any] = {}
    if "error" not in cli:
        out["rr"] = {"rows": args.size, "schedsim": cli["seconds"], **time_simpy("rr", path)}
    mlfq_path = path.with_name("mlfq.csv")
    workload = make_workload(args.mlfq_size, args.seed)
    write_csv(workload, mlfq_path)
    del workload
    mlfq_cli = time_cli(mlfq_path, args.repeat, MLFQ_ARGUMENTS)
    if "error" not in mlfq_cli:
        simpy = time_simpy("mlfq", mlfq_path)
        out["mlfq"] = {"rows": args.mlfq_size, "schedsim": mlfq_cli["seconds"], **simpy}
    for entry in out.values():
        if "seconds" in entry:
            entry["speed_up"] = entry["seconds"] / entry["schedsim"]
    return out


def time_cli(path: Path, repeat: int, policy_arguments: list[str] | None = None) -> dict[str, Any]:
    command = [*schedsim_command(), "run", str(path), *(policy_arguments or POLICY_ARGUMENTS)]
    seconds: list[float] = []
    peaks: list[int] = []
    output = ""
    with (
        tempfile.TemporaryFile("w+") as stdout,
        tempfile.TemporaryFile("w+") as stderr,
        tempfile.TemporaryDirectory() as scratch,
    ):
        report = Path(scratch) / "report.json"
        for _ in range(repeat):
            stdout.seek(0)
            stdout.truncate()
            stderr.seek(0)
            stderr.truncate()
            launcher = [sys.executable, "-c", LAUNCHER, str(report), *command]
            subprocess.run(launcher, stdout=stdout, stderr=stderr, check=False)
            try:
                measured = json.loads(report.read_text())
            except (OSError, ValueError) as error:
                return {"command": command, "error": f"launcher failed: {error}"}
            stdout.seek(0)
            output = stdout.read()
            if measured["status"] != 0:
                stderr.seek(0)
                return {
                    "command": command,
                    "error": f"exit status {measured['status']}: {stderr.read().strip()[-500:]}",
                }
            seconds.append(measured["seconds"])
            peaks.append(measured["maxrss"] * (1 if sys.platform == "darwin" else 1024))
    return {
        "command": command,
        "seconds": min(seconds),
        "all_seconds": seconds,
        "peak_rss_bytes": max(peaks),
        "output": output,
    }


def render(results: dict[str, Any]) -> str:
    rows = results["rows"]
    at_bar = rows == BAR_ROWS
    machine = results["machine"]
    lines = [
        f"Machine: {machine['cpu']}, {machine['logical_cpus']} logical CPUs (load average "
        f"{', '.join(map(str, machine['load_average']))} at start); {machine['implementation']}"
        f" {machine['python']}, numpy {machine['numpy']}; schedsim {machine['schedsim']} "
        f"({machine['commit']}).",
        f"Workload: {rows:,} rows, {results['file_megabytes']:.1f} MB CSV written by "
        f"{results['writer']} in {results['write_seconds']:.2f} s; best of {results['repeat']}.",
        "",
    ]
    parsing = results["parsing"]
    if "error" in parsing:
        lines.append(f"CSV parsing:  ERROR {parsing['error']}")
    else:
        passed = parsing["seconds_per_million"] < PARSE_BAR
        lines.append(
            f"CSV parsing:  {parsing['seconds']:.3f} s ({parsing['seconds_per_million']:.3f} s "
            f"per 10^6 rows; bar < {PARSE_BAR} s at 10^6)  {mark(passed if at_bar else None)}"
        )
    cli = results["cli"]
    shown = " ".join(["schedsim", "run", "big.csv", *POLICY_ARGUMENTS])
    if "error" in cli:
        lines.append(f"End to end:   ERROR {cli['error']}")
    else:
        lines.append(
            f"End to end:   {cli['seconds']:.3f} s  `{shown}` (bar < {END_TO_END_BAR} s at "
            f"10^6)  {mark(cli['seconds'] < END_TO_END_BAR if at_bar else None)}"
        )
        lines.append(
            f"Peak memory:  {cli['peak_rss_bytes'] / 2**20:.0f} MB (bar < 500 MB at 10^6)  "
            f"{mark(cli['peak_rss_bytes'] < MEMORY_BAR if at_bar else None)}"
        )
        lines += ["", "Output of the last run:", cli["output"].rstrip()]
    for policy, entry in results.get("simpy", {}).items():
        if "error" in entry:
            lines.append(f"SimPy {policy}:  ERROR {entry['error']}")
            continue
        bar = SIMPY_BARS[policy]
        full_size = entry["rows"] == (BAR_ROWS if policy == "rr" else 100_000)
        lines.append(
            f"vs SimPy, {policy} at {entry['rows']:,} rows: schedsim run "
            f"{entry['schedsim']:.2f} s, SimPy model {entry['seconds']:.2f} s: "
            f"{entry['speed_up']:.1f}x (bar >= {bar}x)  "
            f"{mark(entry['speed_up'] >= bar if full_size else None)}"
        )
    return "\n".join(lines)


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time CSV parsing and `schedsim run` end to end on a big workload."
    )
    parser.add_argument(
        "--size", type=parse_size, default=BAR_ROWS, help="rows in the CSV (default 1e6)"
    )
    parser.add_argument("--seed", type=int, default=2024, help="workload seed")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each step, best kept (default 3)"
    )
    parser.add_argument(
        "--keep", type=Path, default=None, help="write the CSV here and keep it (default: temp)"
    )
    parser.add_argument("--no-save", action="store_true", help="do not write the JSON results")
    parser.add_argument("--simpy", action="store_true", help="also time the SimPy models")
    parser.add_argument(
        "--mlfq-size", type=parse_size, default=100_000, help="rows for MLFQ vs SimPy (1e5)"
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error(f"--repeat must be >= 1, got {args.repeat}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    with tempfile.TemporaryDirectory(prefix="schedsim-bench-") as scratch:
        path = args.keep if args.keep is not None else Path(scratch) / "big.csv"
        workload = make_workload(args.size, args.seed)
        start = time.perf_counter()
        writer = write_csv(workload, path)
        write_seconds = time.perf_counter() - start
        del workload
        print(f"Wrote {path} ({args.size:,} rows); timing...", file=sys.stderr, flush=True)
        results: dict[str, Any] = {
            "machine": machine_info(),
            "command": " ".join(["python", "benchmarks/end_to_end.py", *sys.argv[1:]]),
            "rows": args.size,
            "seed": args.seed,
            "repeat": args.repeat,
            "writer": writer,
            "write_seconds": write_seconds,
            "file_megabytes": path.stat().st_size / 2**20,
            "parsing": time_parsing(path, args.size, args.repeat),
            "cli": time_cli(path, args.repeat),
        }
        if args.simpy:
            print("Timing the SimPy models (about a minute)...", file=sys.stderr, flush=True)
            results["simpy"] = versus_simpy(path, args, results["cli"])
    print(render(results))
    if not args.no_save:
        print(f"\nResults saved to {save(results, 'end-to-end').relative_to(HERE.parent)}")
    return 1 if "error" in results["parsing"] or "error" in results["cli"] else 0


if __name__ == "__main__":
    sys.exit(main())
