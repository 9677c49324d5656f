"""Small builders shared by the tests."""

from __future__ import annotations

from typing import Any

import numpy as np

from schedsim import Workload


def exact(values: Any) -> list[Any]:
    """A trace column as a list of Python numbers, whether the run returned a list (the
    Python loops) or a numpy array (the compiled ones), for exact comparisons."""
    return values.tolist() if isinstance(values, np.ndarray) else list(values)


def workload(*specs: tuple[Any, ...], **attributes: list[Any]) -> Workload:
    """``workload(("P1", 0, 24), ("P2", 0, [3, 2, 1]))``: (pid, arrival, burst or bursts)."""
    processes = []
    for index, (pid, arrival, bursts) in enumerate(specs):
        record: dict[str, Any] = {
            "pid": pid,
            "arrival": arrival,
            "bursts": list(bursts) if isinstance(bursts, list | tuple) else [bursts],
        }
        for key, values in attributes.items():
            record[key] = values[index]
        processes.append(record)
    return Workload.from_processes(processes)


def slices_of(result: Any, pid: str) -> list[tuple[Any, Any]]:
    """(start, end) of each executed slice of ``pid``, in time order."""
    return [
        (row["start"], row["end"])
        for row in result.timeline_records()
        if row["pid"] == pid and row["end"] > row["start"]
    ]
