"""Hypothesis strategies: random workloads full of ties, synchronising scripts, and policy
configurations."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from schedsim import Workload
from schedsim.policies import REGISTRY


@st.composite
def workloads(
    draw: st.DrawFn,
    *,
    max_processes: int = 7,
    io: bool = True,
    floats: bool | None = None,
    same_arrival: bool = False,
) -> Workload:
    """Small workloads.  Integer ones draw from tiny ranges so simultaneous events abound."""
    use_floats = draw(st.booleans()) if floats is None else floats
    n = draw(st.integers(1, max_processes))
    if use_floats:
        time = st.floats(0.1, 10.0, allow_nan=False, allow_infinity=False).map(
            lambda x: round(x, 3)
        )
        start = st.floats(0.0, 10.0, allow_nan=False).map(lambda x: round(x, 3))
    else:
        time = st.integers(1, 6)
        start = st.integers(0, 6)
    processes: list[dict[str, Any]] = []
    for index in range(n):
        bursts_count = draw(st.sampled_from([1, 1, 3, 5])) if io else 1
        processes.append(
            {
                "pid": f"P{index + 1}",
                "arrival": 0 if same_arrival else draw(start),
                "bursts": [draw(time) for _ in range(bursts_count)],
                "priority": draw(st.integers(0, 3)),
                "tickets": draw(st.sampled_from([50, 100, 200])),
                "nice": draw(st.integers(-5, 5)),
            }
        )
    return Workload.from_processes(processes)


# Option variants worth exercising, per policy; any registered policy not listed runs with
# its defaults, so new policies are covered automatically.
VARIANTS: dict[str, list[dict[str, Any]]] = {
    "rr": [{"quantum": 1}, {"quantum": 2}, {"quantum": 3}],
    "mlfq": [
        {},
        {"levels": 3, "quantum": "1,2,4"},
        {"levels": 2, "quantum": "2,inf", "allotment": "3"},
        {"levels": 3, "quantum": 2, "boost": 7},
        {"levels": 3, "quantum": 2, "io_resets": True},
    ],
    "gil": [{}, {"switch_interval": 1}, {"switch_interval": 2}, {"switch_interval": 0.3}],
    "asyncio": [{}, {"yield_every": 1}, {"yield_every": 2}, {"yield_every": 0.7}],
}


def policy_configurations() -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    choices = []
    for name in REGISTRY:
        for options in VARIANTS.get(name, [{}]):
            choices.append((name, options))
    return st.sampled_from(choices)


RESOURCES = {"locks": ["a", "b"], "semaphores": {"s": 2}, "events": ["e"], "queues": {"q": 1}}


@st.composite
def scripts(draw: st.DrawFn, processes: int) -> dict[str, Any]:
    """A workload document of ``processes`` scripted processes."""
    time = st.integers(1, 3)
    out = []
    for index in range(processes):
        steps: list[dict[str, Any]] = []
        for _ in range(draw(st.integers(1, 4))):
            kind = draw(
                st.sampled_from(
                    [
                        "cpu",
                        "io",
                        "lock",
                        "nested",
                        "semaphore",
                        "set",
                        "wait",
                        "put",
                        "get",
                        "join",
                    ]
                )
            )
            if kind in ("cpu", "io"):
                steps.append({kind: draw(time)})
            elif kind == "lock":
                lock = draw(st.sampled_from(["a", "b"]))
                steps += [{"lock": lock}, {"cpu": draw(time)}, {"unlock": lock}]
            elif kind == "nested":
                first, second = draw(st.permutations(["a", "b"]))
                steps += [
                    {"lock": first},
                    {"cpu": draw(time)},
                    {"lock": second},
                    {"cpu": draw(time)},
                    {"unlock": second},
                    {"unlock": first},
                ]
            elif kind == "semaphore":
                steps += [{"acquire": "s"}, {draw(st.sampled_from(["cpu", "io"])): draw(time)}]
                steps.append({"release": "s"})
            elif kind in ("set", "wait"):
                steps.append({kind: "e"})
            elif kind in ("put", "get"):
                steps.append({kind: "q"})
            elif processes > 1:
                other = draw(st.sampled_from([i for i in range(processes) if i != index]))
                steps.append({"join": f"P{other + 1}"})
        if not any("cpu" in step for step in steps):
            steps.append({"cpu": draw(time)})
        process = {"pid": f"P{index + 1}", "arrival": draw(st.integers(0, 3)), "run": steps}
        if processes > 1 and draw(st.integers(0, 4)) == 0:  # a daemon, ended with its parent
            parent = draw(st.sampled_from([i for i in range(processes) if i != index]))
            process["daemon_of"] = f"P{parent + 1}"
        out.append(process)
    return {"resources": RESOURCES, "processes": out}
