"""Every schedule stays what it was: a digest of the full trace of every registered policy
(with several option sets) on every bundled workload, on float variants of them and on
seeded random workloads with I/O and ties, on 1, 2 and 3 CPUs, with and without a context
switch, under both tie rules — for the compiled loop and the Python loop alike.

The digests in ``golden/schedules.json`` were written by ``python tests/test_golden_schedules.py
--write`` from the engine before its loops were rewritten; a digest that changes means a
schedule changed.  Rewrite them only for a deliberate change of the rules, and say so in the
commit.  ``--diff CASE`` prints a case's trace to compare with another checkout's.
"""

from __future__ import annotations

import hashlib
import json
import struct
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from schedsim import engine
from schedsim.loaders import load_workload
from schedsim.policies import make_policy
from schedsim.workload import Workload

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden" / "schedules.json"

POLICIES: dict[str, tuple[str, dict[str, Any]]] = {
    "fcfs": ("fcfs", {}),
    "sjf": ("sjf", {}),
    "sjf-exp": ("sjf", {"predict": "exp", "alpha": 0.5, "tau0": 3}),
    "srtf": ("srtf", {}),
    "srtf-exp": ("srtf", {"predict": "exp"}),
    "rr2": ("rr", {"quantum": 2}),
    "rr0.7": ("rr", {"quantum": 0.7}),
    "mlfq": ("mlfq", {}),
    "mlfq-124-boost": ("mlfq", {"quantum": "1,2,4", "boost": 25}),
    "mlfq-allot-io": (
        "mlfq",
        {"quantum": "2,4", "levels": 2, "allotment": "3,8", "io_resets": True},
    ),
    "priority": ("priority", {}),
    "priority-pre": ("priority", {"preemptive": True}),
    "priority-aging": ("priority", {"aging": 2}),
    "priority-pre-aging": ("priority", {"preemptive": True, "aging": 3}),
    "hrrn": ("hrrn", {}),
    "lottery": ("lottery", {"quantum": 1}),
    "lottery-comp": ("lottery", {"quantum": 2, "compensate": True}),
    "stride": ("stride", {"quantum": 1}),
    "fair": ("fair", {}),
    "eevdf": ("eevdf", {}),
    "eevdf-tick": ("eevdf", {"base_slice": 1, "tick": 0.5, "delay_dequeue": False}),
    "eevdf-hrtick": ("eevdf", {"base_slice": 0.7, "tick": 2, "hrtick": True}),
    "gil": ("gil", {}),
    "gil-2": ("gil", {"switch_interval": 2}),
    "asyncio": ("asyncio", {}),
    "asyncio-yield2": ("asyncio", {"yield_every": 2}),
    "edf": ("edf", {}),
    "rm": ("rm", {}),
    "dm": ("dm", {}),
    "llf": ("llf", {}),
    "llf-recheck": ("llf", {"recheck": 2}),
}


def _scaled(work: Workload, factor: float) -> Workload:
    """The same workload with every time multiplied by ``factor``: float times."""
    return Workload(
        pid=list(work.pid),
        arrival=work.arrival.astype(np.float64) * factor,
        burst_offsets=work.burst_offsets.copy(),
        burst_values=work.burst_values.astype(np.float64) * factor,
        priority=work.priority.copy(),
        tickets=work.tickets.copy(),
        nice=work.nice.copy(),
        name=f"{work.name}*{factor}",
    )


def _random(seed: int, n: int, integer: bool) -> Workload:
    """Arrivals and bursts on a coarse grid (many ties), a third of the jobs with I/O."""
    rng = np.random.default_rng(seed)
    processes = []
    arrival = 0.0
    for i in range(n):
        arrival += float(rng.choice([0, 0, 0.5, 1, 2.5]))
        count = 1 + 2 * int(rng.integers(0, 3)) if i % 3 == 0 else 1
        bursts = [float(rng.choice([0.5, 1, 1.5, 2, 3, 4.25, 7])) for _ in range(count)]
        if integer:
            bursts = [int(np.ceil(b)) for b in bursts]
        processes.append(
            {
                "pid": f"R{i}",
                "arrival": int(arrival) if integer else arrival,
                "bursts": bursts,
                "priority": int(rng.integers(0, 4)),
                "tickets": int(rng.choice([50, 100, 300])),
                "nice": int(rng.integers(-3, 4)),
            }
        )
    return Workload.from_processes(processes, name=f"random{seed}")


def workloads() -> dict[str, Workload]:
    found: dict[str, Workload] = {}
    for path in sorted((ROOT / "workloads").glob("*.yaml")):
        work = load_workload(path)
        if work.program is not None:
            continue  # processes that synchronise: tests/test_sync.py works them out
        found[path.stem] = work
        found[path.stem + "*0.3"] = _scaled(work, 0.3)
    found["random1"] = _random(1, 60, integer=False)
    found["random2"] = _random(2, 60, integer=True)
    found["random3"] = _random(3, 40, integer=False)
    return found


SETTINGS = (
    {"cpus": 1},
    {"cpus": 2},
    {"cpus": 3},
    {"cpus": 1, "context_switch": 1, "ties": "requeue-first"},
    {"cpus": 2, "context_switch": 0.25, "ties": "requeue-first", "seed": 7},
)


def cases() -> list[tuple[str, str, str, dict[str, Any]]]:
    out = []
    for work_name in workloads():
        for policy_key in POLICIES:
            for index, setting in enumerate(SETTINGS):
                out.append((f"{work_name}|{policy_key}|{index}", work_name, policy_key, setting))
    return out


def _number(value: Any) -> bytes:
    return b"N" if value is None else struct.pack("<d", float(value))


def digest(trace: Any) -> str:
    """A digest of every number in the trace, exact to the bit.  (Whether a column holds
    Python ints or float64 differs between loops by design; the values may not.)"""
    hasher = hashlib.sha256()
    for column in (trace.first_run, trace.finish, trace.switch_time, trace.slices):
        values = column.tolist() if isinstance(column, np.ndarray) else list(column)
        hasher.update(b"|".join(_number(v) for v in values) + b"#")
    hasher.update(_number(trace.context_switches))
    if trace.timeline is not None:
        for name, values in trace.timeline.arrays().items():
            hasher.update(name.encode() + np.ascontiguousarray(values).tobytes())
    for job, start, end in trace.extra.get("io_periods", []):
        hasher.update(_number(job) + _number(start) + _number(end))
    return hasher.hexdigest()[:20]


def run_case(work: Workload, policy_key: str, setting: dict[str, Any], loop: str) -> str:
    name, options = POLICIES[policy_key]
    trace = engine.run(work, make_policy(name, **options), engine=loop, **setting)
    return digest(trace)


_WORKLOADS = workloads()
_GOLDEN: dict[str, str] = json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}
_CASES = cases()


def _python_loop(setting: dict[str, Any]) -> str:
    """The name of the engine argument that forces the Python event loop."""
    return (
        "python"
        if "python" in engine.ENGINES
        else ("single" if setting["cpus"] == 1 else "general")
    )


@pytest.mark.parametrize("work_name", sorted(_WORKLOADS))
def test_every_schedule_is_unchanged(work_name: str) -> None:
    work = _WORKLOADS[work_name]
    changed = []
    for case, name, policy_key, setting in _CASES:
        if name != work_name:
            continue
        expected = _GOLDEN[case]
        loops = ["auto", _python_loop(setting)]
        if engine._cengine is not None and not work.is_integer:
            loops.append("c")
        for loop in loops:
            got = run_case(work, policy_key, setting, loop)
            if got != expected:
                changed.append(f"{case} ({loop})")
    assert not changed, f"{len(changed)} schedule(s) changed: {changed[:10]}"


def test_the_golden_file_covers_every_case() -> None:
    assert set(_GOLDEN) == {case for case, *_ in _CASES}


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        result = {case: run_case(_WORKLOADS[w], p, s, "auto") for case, w, p, s in _CASES}
        GOLDEN.write_text(json.dumps(result, indent=0, sort_keys=True) + "\n")
        print(f"wrote {len(result)} digests to {GOLDEN}")
    elif sys.argv[1:2] == ["--diff"]:
        case = sys.argv[2]
        _, w, p, s = next(c for c in _CASES if c[0] == case)
        name, options = POLICIES[p]
        trace = engine.run(_WORKLOADS[w], make_policy(name, **options), **s)
        print(
            json.dumps(
                {
                    "first_run": list(map(float, trace.first_run)),
                    "finish": list(map(float, trace.finish)),
                    "timeline": {k: v.tolist() for k, v in trace.timeline.arrays().items()},
                }
            )
        )
