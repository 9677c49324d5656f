"""The library API: ``load_workload`` and ``simulate``.

>>> from schedsim import load_workload, simulate
>>> result = simulate(load_workload("workloads/classic.yaml"), "rr", quantum=4)
>>> result.summary["avg_waiting"]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from schedsim import engine
from schedsim.policies import Policy, make_policy
from schedsim.result import Result
from schedsim.workload import Time, Workload


def load_workload(
    path: str | Path | None = None,
    *,
    text: str | None = None,
    format: str = "yaml",
    name: str = "workload",
    **limits: Any,
) -> Workload:
    """Read a workload file (YAML, JSON, CSV or .npz by extension), fully validated.

    ``max_bytes`` and ``max_processes`` raise or (None) lift the size and process limits
    (YAML/JSON: 64 MiB and 200,000 processes, since bulk belongs in CSV or NPZ; CSV/NPZ:
    512 MiB and 10,000,000 processes; the jobs of periodic tasks count as processes).
    ``until`` is the horizon of periodic tasks (default: one hyperperiod after the last
    phase).

    ``load_workload(text=..., format="yaml")`` reads a workload written in a string instead
    (``yaml``, ``json`` or ``csv``; named ``name``), validated exactly like a file."""
    from schedsim import loaders

    if text is not None:
        if path is not None:
            raise TypeError("give a path or text=, not both")
        if "max_bytes" in limits:
            raise TypeError("max_bytes applies to files; a text is bounded by its length")
        return loaders.load_workload_text(text, format=format, name=name, **limits)
    if path is None:
        raise TypeError("load_workload() needs a path, or text=")
    return loaders.load_workload(path, **limits)


def simulate(
    workload: Workload,
    policy: str | Policy,
    *,
    cpus: int = 1,
    context_switch: Time = 0,
    ties: str = "arrivals-first",
    seed: int = 0,
    timeline: bool = True,
    max_slices: int | None = None,
    observer: Any = None,
    locks: str = "none",
    on_miss: str = "continue",
    **options: Any,
) -> Result:
    """Run ``workload`` under ``policy`` (a name plus options, or a Policy instance).

    ``on_miss`` says what a missed deadline does (``continue``, ``abort-job`` or
    ``stop``; workloads with deadlines only).  Same workload, policy, options and seed give
    an identical result.  ``observer`` (a :class:`schedsim.explain.Explainer`) is told of
    every event; the run then takes the Python event loop."""
    if isinstance(policy, str):
        policy = make_policy(policy, **options)
    elif options:
        raise TypeError("pass options to the Policy constructor when giving a Policy instance")
    trace = engine.run(
        workload,
        policy,
        cpus=cpus,
        context_switch=context_switch,
        ties=ties,
        seed=seed,
        record_timeline=timeline,
        max_slices=max_slices,
        observer=observer,
        locks=locks,
        on_miss=on_miss,
    )
    settings = {"cpus": cpus, "context_switch": context_switch, "ties": ties, "seed": seed}
    if workload.program is not None:
        settings["locks"] = locks
    if workload.realtime is not None:
        settings["on_miss"] = on_miss
    result = Result.from_trace(
        workload, trace, policy=policy.name, options=policy.settings, settings=settings
    )
    report = getattr(policy, "report", None)  # e.g. burst-prediction errors of sjf --predict
    if report:
        result.extra["prediction"] = report
    return result
