"""The workload rules of :class:`schedsim.schema.Process`, checked column-wise.

CSV and NPZ files hold a million processes as columns; checking them one process at a time
through pydantic would take longer than reading them.  These are the same rules, vectorised
with numpy, and every message names the row and the column as the per-process check does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from schedsim.limits import MAX_TIME
from schedsim.quoting import describe

NICE_MIN, NICE_MAX = -20, 19

Locate = Callable[[str, int, "int | None"], str]


def _bad_rows(
    problems: list[tuple[int, str]],
    mask: np.ndarray,
    values: np.ndarray,
    locate: Locate,
    column: str,
    rule: str,
) -> None:
    """Add ``locate(column, row, None): rule, got value`` for every True row in ``mask``."""
    for row in np.flatnonzero(mask).tolist():
        value = values[row].item()
        problems.append((row, f"{locate(column, row, None)}: {rule}, got {describe(value)}"))


def _may_repeat(pids: Sequence[str]) -> bool:
    """False when the pids are certainly all different: their hashes are (equal strings
    have equal hashes).  Sorting a million hashes is several times faster than building a
    set of the strings; a repeated hash, real duplicate or not, sends the caller to the
    exact check."""
    hashes = np.fromiter(map(hash, pids), dtype=np.int64, count=len(pids))
    hashes.sort()
    return bool(np.any(hashes[1:] == hashes[:-1]))


def check_columns(
    pids: Sequence[str],
    arrival: np.ndarray,
    burst_offsets: np.ndarray,
    burst_values: np.ndarray,
    attributes: dict[str, np.ndarray],
    locate: Locate,
    refer: Callable[[int], str],
) -> list[tuple[int, str]]:
    """Every rule violation in already-parsed columns, as (row, message) sorted by row.

    ``locate(column, row, position)`` phrases where a problem is (``position`` is the index
    within a process's bursts, or None); ``refer(row)`` names another row, for duplicates.
    Columns must already have consistent lengths; values are checked here."""
    problems: list[tuple[int, str]] = []
    count = len(pids)
    # str.split() stops at the first whitespace: a cheap test before looking at each pid
    blank = "" in pids or (
        len("\x00".join(pids).split(maxsplit=1)) > 1 and any(map(str.isspace, pids))
    )
    if blank:
        for row, pid in enumerate(pids):
            if not pid.strip():
                problems.append((row, f"{locate('pid', row, None)}: must not be empty"))
    if _may_repeat(pids):
        first_seen: dict[str, int] = {}
        for row, pid in enumerate(pids):
            if pid in first_seen and pid.strip():
                problems.append(
                    (
                        row,
                        f"{locate('pid', row, None)}: duplicate of {refer(first_seen[pid])}; "
                        "pids must be unique",
                    )
                )
            first_seen.setdefault(pid, row)
    finite = np.isfinite(arrival) if arrival.dtype.kind == "f" else np.ones(count, dtype=bool)
    _bad_rows(problems, ~finite, arrival, locate, "arrival", "must be a finite number")
    _bad_rows(problems, finite & (arrival < 0), arrival, locate, "arrival", "must be >= 0")
    _bad_rows(
        problems,
        finite & (arrival > MAX_TIME),
        arrival,
        locate,
        "arrival",
        f"must be <= {MAX_TIME}",
    )
    lengths = np.diff(burst_offsets)
    for row in np.flatnonzero(lengths == 0).tolist():
        problems.append(
            (row, f"{locate('bursts', row, None)}: must not be empty: give at least one CPU burst")
        )
    for row in np.flatnonzero(lengths % 2 == 0).tolist():
        if lengths[row]:
            problems.append(
                (
                    row,
                    f"{locate('bursts', row, None)}: must have odd length (CPU first and last), "
                    f"got {int(lengths[row])} values",
                )
            )
    bad = ~(burst_values > 0) | (burst_values > MAX_TIME)
    if burst_values.dtype.kind == "f":
        bad |= ~np.isfinite(burst_values)
    if bad.any():
        owners = np.searchsorted(burst_offsets, np.arange(len(burst_values)), side="right") - 1
        positions = np.arange(len(burst_values)) - burst_offsets[owners]
        for flat in np.flatnonzero(bad).tolist():
            value = burst_values[flat].item()
            if isinstance(value, float) and not math.isfinite(value):
                rule = "must be a finite number"
            elif value > MAX_TIME:
                rule = f"must be <= {MAX_TIME}"
            else:
                rule = "must be > 0"
            row, position = int(owners[flat]), int(positions[flat])
            problems.append(
                (row, f"{locate('bursts', row, position)}: {rule}, got {describe(value)}")
            )
    if "tickets" in attributes:
        tickets = attributes["tickets"]
        _bad_rows(problems, tickets < 1, tickets, locate, "tickets", "must be >= 1")
    if "slice" in attributes:
        slices = attributes["slice"]
        finite = np.isfinite(slices) if slices.dtype.kind == "f" else np.ones(count, dtype=bool)
        _bad_rows(problems, ~finite, slices, locate, "slice", "must be a finite number")
        _bad_rows(problems, finite & (slices < 0), slices, locate, "slice", "must be > 0 (0: none)")
        too_long = finite & (slices > MAX_TIME)
        _bad_rows(problems, too_long, slices, locate, "slice", f"must be <= {MAX_TIME}")
    if "nice" in attributes:
        nice = attributes["nice"]
        _bad_rows(
            problems,
            (nice < NICE_MIN) | (nice > NICE_MAX),
            nice,
            locate,
            "nice",
            f"must be in {NICE_MIN}..{NICE_MAX}",
        )
    problems.sort(key=lambda item: item[0])
    return problems
