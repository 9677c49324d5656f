"""Summary statistics: exact on integer workloads, numpy's on float ones."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from schedsim.cli import main
from schedsim.metrics import summarize

ROOT = Path(__file__).resolve().parent.parent


def summary_of(turnaround: list[int] | list[float]) -> dict[str, object]:
    values = np.asarray(turnaround)
    zeros = np.zeros_like(values)
    columns = {
        "arrival": zeros,
        "finish": values,
        "turnaround": values,
        "waiting": values,
        "response": values,
        "cpu_time": zeros,
        "switch_time": zeros,
        "slices": np.ones(len(values), dtype=np.int64),
    }
    return summarize(columns, cpus=1, context_switches=0)


def test_textbook_srtf_percentiles_are_exact_in_the_json():
    """Silberschatz's SRTF example (§5.3.2): turnarounds P1..P4 = 17, 4, 24, 7.  Sorted
    4, 7, 17, 24; p95 sits at rank 3 x 0.95 = 2.85, so 17 + 0.85 x (24 - 17) = 22.95.
    Waiting 9, 0, 15, 2: p95 = 9 + 0.85 x 6 = 14.1, median (2 + 9) / 2 = 5.5."""
    result = CliRunner().invoke(
        main,
        [
            "run",
            str(ROOT / "workloads" / "silberschatz_srtf.yaml"),
            "-p",
            "srtf",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0
    assert '"p95_turnaround": 22.95,' in result.output
    summary = json.loads(result.output)["summary"]
    assert summary["p95_turnaround"] == 22.95
    assert summary["p95_waiting"] == 14.1
    assert summary["median_waiting"] == 5.5
    assert summary["median_turnaround"] == 12 and type(summary["median_turnaround"]) is int
    assert summary["avg_turnaround"] == 13 and type(summary["avg_turnaround"]) is int
    assert summary["avg_waiting"] == 6.5


@given(st.lists(st.integers(min_value=0, max_value=10**12), min_size=1, max_size=60))
def test_integer_statistics_are_the_exact_values_rounded_once(values):
    """The mean and the linearly interpolated percentiles of whole numbers, computed in
    fractions: an int when whole, else the float nearest the exact value (and within a few
    ulps of what numpy's float arithmetic gives)."""
    summary = summary_of(values)
    ordered = sorted(values)
    for name, percent in (("median", 50), ("p95", 95)):
        rank = Fraction((len(values) - 1) * percent, 100)
        below = int(rank)
        upper = ordered[min(below + 1, len(values) - 1)]
        exact = ordered[below] + (rank - below) * (upper - ordered[below])
        shown = summary[f"{name}_turnaround"]
        if exact.denominator == 1:
            assert type(shown) is int and shown == exact
        else:
            assert type(shown) is float and shown == float(exact)
        assert np.isclose(shown, np.percentile(values, percent), rtol=1e-12, atol=0)
    mean = Fraction(sum(values), len(values))
    expected_mean = int(mean) if mean.denominator == 1 else float(mean)
    assert summary["avg_turnaround"] == expected_mean
    assert type(summary["avg_turnaround"]) is type(expected_mean)


def test_float_statistics_stay_numpys():
    values = [0.1, 0.7, 2.5, 3.25]
    summary = summary_of(values)
    assert summary["p95_turnaround"] == float(np.percentile(values, 95))
    assert summary["avg_turnaround"] == float(np.mean(values))


def test_slices_of_policies_without_levels_carry_no_level():
    """``level`` is MLFQ's queue level; a round-robin slice has none, so the key is left
    out (it used to be written as -1)."""
    classic = str(ROOT / "workloads" / "classic.yaml")
    rr = json.loads(
        CliRunner().invoke(main, ["run", classic, "-p", "rr", "--format", "json"]).output
    )
    assert rr["timeline"] and all("level" not in piece for piece in rr["timeline"])
    mlfq = json.loads(
        CliRunner().invoke(main, ["run", classic, "-p", "mlfq", "--format", "json"]).output
    )
    assert [piece["level"] for piece in mlfq["timeline"]][:4] == [0, 0, 0, 1]
