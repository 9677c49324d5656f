"""Regenerate the example charts in docs/images/ (run from anywhere):

    python scripts/make_docs_images.py

Uses the bundled workloads under workloads/ when they exist, else the same workloads
written inline, so the images can be rebuilt from a bare checkout of the library.
"""

from __future__ import annotations

import sys
from pathlib import Path

from schedsim import Workload, load_workload, simulate
from schedsim.compare import compare_policies, save_comparison_plot
from schedsim.gantt import save_gantt

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"
LIMIT = 100_000  # bytes: committed images stay small

INLINE = {
    "interactive_batch": [
        {"pid": "batch1", "arrival": 0, "bursts": [60]},
        {"pid": "edit", "arrival": 1, "bursts": [2, 8, 2, 8, 2, 8, 2]},
        {"pid": "shell", "arrival": 2, "bursts": [1, 5, 1, 5, 1, 5, 1, 5, 1]},
        {"pid": "batch2", "arrival": 3, "bursts": [45]},
        {"pid": "browser", "arrival": 5, "bursts": [4, 12, 3, 12, 4]},
    ],
    "multicpu": [
        {"pid": "P1", "arrival": 0, "bursts": [12]},
        {"pid": "P2", "arrival": 0, "bursts": [4, 6, 4]},
        {"pid": "P3", "arrival": 1, "bursts": [9]},
        {"pid": "P4", "arrival": 2, "bursts": [3, 2, 3, 2, 3]},
        {"pid": "P5", "arrival": 3, "bursts": [15]},
        {"pid": "P6", "arrival": 5, "bursts": [2]},
        {"pid": "P7", "arrival": 6, "bursts": [5, 10, 5]},
        {"pid": "P8", "arrival": 8, "bursts": [7]},
    ],
    "silberschatz_sjf": [
        {"pid": "P1", "arrival": 0, "bursts": [6]},
        {"pid": "P2", "arrival": 0, "bursts": [8]},
        {"pid": "P3", "arrival": 0, "bursts": [7]},
        {"pid": "P4", "arrival": 0, "bursts": [3]},
    ],
}


def workload(stem: str) -> Workload:
    path = ROOT / "workloads" / f"{stem}.yaml"
    if path.exists():
        return load_workload(path)
    return Workload.from_processes(INLINE[stem], name=stem.replace("_", "-"))


def main() -> int:
    IMAGES.mkdir(parents=True, exist_ok=True)
    made = {
        "gantt_mlfq.png": lambda target: save_gantt(
            simulate(workload("interactive_batch"), "mlfq", quantum="2,4,8", context_switch=0.5),
            target,
        ),
        "gantt_multicpu.png": lambda target: save_gantt(
            simulate(workload("multicpu"), "rr", quantum=3, cpus=2), target
        ),
        "compare.png": lambda target: save_comparison_plot(
            compare_policies(
                workload("silberschatz_sjf"), "fcfs,sjf,rr:quantum=2,mlfq:quantum=1/2/4"
            ),
            target,
        ),
    }
    too_big = []
    for name, draw in made.items():
        target = IMAGES / name
        draw(target)
        size = target.stat().st_size
        print(f"{target.relative_to(ROOT)}: {size / 1000:.1f} kB")
        if size > LIMIT:
            too_big.append(name)
    if too_big:
        print(f"too big (> {LIMIT / 1000:.0f} kB): {', '.join(too_big)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
