"""What every workload format shares: the limits of one load, reading and decoding a file,
and building the checked Workload."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np

from schedsim.errors import OptionError, WorkloadError
from schedsim.limits import (
    BURSTS_PER_PROCESS,
    MAX_BULK_BYTES,
    MAX_BULK_PROCESSES,
    MAX_DOCUMENT_BYTES,
    MAX_DOCUMENT_PROCESSES,
    MAX_TOTAL_TIME,
    NODES_PER_PROCESS,
)
from schedsim.workload import DEFAULT_NICE, DEFAULT_PRIORITY, DEFAULT_TICKETS, Workload

SUPPORTED_EXTENSIONS = (".yaml", ".yml", ".json", ".csv", ".npz")
BULK_ADVICE = "use CSV or NPZ for bulk workloads"
ATTRIBUTES = (
    ("priority", DEFAULT_PRIORITY),
    ("tickets", DEFAULT_TICKETS),
    ("nice", DEFAULT_NICE),
)


def format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_EXTENSIONS:
        shown = f"extension {suffix!r}" if suffix else "no extension"
        raise WorkloadError(
            f"{path}: unknown workload format ({shown}); "
            f"use one of {', '.join(SUPPORTED_EXTENSIONS)}"
        )
    return suffix


class _FormatDefault:
    """The default of a limit: the format's own (see the module docstring)."""

    def __repr__(self) -> str:
        return "FORMAT_DEFAULT"


FORMAT_DEFAULT: Final = _FormatDefault()
Limit = int | None | _FormatDefault


@dataclass(frozen=True)
class Limits:
    """The bounds one load works within (math.inf: none)."""

    bytes: float
    processes: float

    @property
    def bursts(self) -> float:
        return BURSTS_PER_PROCESS * self.processes

    @property
    def values(self) -> float:
        """Values (scalars, lists, mappings) a YAML or JSON document may hold in all."""
        return NODES_PER_PROCESS * self.processes + self.bursts


def limits_for(bulk: bool, max_bytes: Limit, max_processes: Limit) -> Limits:
    defaults = (
        (MAX_BULK_BYTES, MAX_BULK_PROCESSES)
        if bulk
        else (MAX_DOCUMENT_BYTES, MAX_DOCUMENT_PROCESSES)
    )
    chosen: list[float] = []
    for name, given, default in zip(
        ("max_bytes", "max_processes"), (max_bytes, max_processes), defaults, strict=True
    ):
        if isinstance(given, _FormatDefault):
            chosen.append(default)
        elif given is None:
            chosen.append(math.inf)
        elif isinstance(given, bool) or not isinstance(given, int) or given < 1:
            raise OptionError(f"{name}: must be a whole number >= 1 or None, got {given!r}")
        else:
            chosen.append(given)
    return Limits(*chosen)


def read_file(path: Path, label: str, max_bytes: float, bulk: bool) -> bytes:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            kind = "CSV and NPZ" if bulk else "YAML and JSON"
            advice = "raise it with --max-file-size" if bulk else BULK_ADVICE
            raise WorkloadError(
                f"{label}: file is {size:,} bytes, over the {max_bytes:,}-byte limit for "
                f"{kind}; {advice}"
            )
        if not path.is_file():
            raise WorkloadError(f"{label}: not a regular file; give a workload file")
        return path.read_bytes()
    except FileNotFoundError:
        from schedsim.examples import example_for

        bundled = example_for(path)
        hint = (
            f"; it is a bundled example: 'schedsim examples {bundled.name} -o "
            f"{path.parent}' writes it there"
            if bundled is not None
            else ""
        )
        raise WorkloadError(f"{label}: no such file{hint}") from None
    except OSError as error:
        raise WorkloadError(f"{label}: cannot read: {error.strerror or error}") from None


def decode(data: bytes, label: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise WorkloadError(
            f"{label}: line {line}: not valid UTF-8 (byte 0x{data[error.start]:02x} at offset "
            f"{error.start}); save the file as UTF-8"
        ) from None


def build_workload(
    pids: list[str],
    arrival: np.ndarray,
    offsets: np.ndarray,
    values: np.ndarray,
    attributes: dict[str, np.ndarray],
    name: str,
    label: str,
) -> Workload:
    """The Workload from checked columns; attribute columns not given take their default
    (``slice``, when given, is among ``attributes``: 0 for no slice)."""
    count = len(pids)
    # float sums cannot overflow; the last arrival plus all the work bounds every time
    total = float(np.sum(values, dtype=np.float64)) + float(np.max(arrival, initial=0))
    if total > MAX_TOTAL_TIME:
        raise WorkloadError(
            f"{label}: the last arrival plus all bursts add up to {total:.4g} time units, over "
            f"the limit of {MAX_TOTAL_TIME:.4g} (2**62, so that every time fits in 64-bit "
            "integers); express the times in a larger unit"
        )
    full = {
        key: attributes.get(key, np.full(count, default, dtype=np.int64))
        for key, default in ATTRIBUTES
    }
    return Workload(
        pid=pids,
        arrival=arrival,
        burst_offsets=offsets,
        burst_values=values,
        priority=full["priority"],
        tickets=full["tickets"],
        nice=full["nice"],
        name=name,
        source=label,
        slice=attributes.get("slice", np.zeros(count, dtype=np.int64)),
    )
