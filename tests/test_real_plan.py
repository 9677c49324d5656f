"""Planning a real run, before any process starts: units, cores, limits, and the comparison
of a simulated with a measured result (pure functions; no worker processes here)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from schedsim import simulate
from schedsim.errors import LimitError, OptionError
from schedsim.real.compare import compare_measured, order_matches, render_comparison
from schedsim.real.dispatcher import coalesce_units, disturbances, summarize_ms
from schedsim.real.plan import (
    allowed_cores,
    check_duration,
    check_processes,
    check_slices,
    format_unit,
    parse_unit,
    plan_cores,
)
from schedsim.result import Result
from schedsim.trace import Timeline
from schedsim.workload import Workload


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("10ms", 0.01),
        ("0.5s", 0.5),
        ("2s", 2.0),
        ("1500us", 0.0015),
        ("1500µs", 0.0015),
        ("5000000ns", 0.005),
        ("0.01", 0.01),  # a bare number is seconds
        (" 10 ms ", 0.01),
        ("1e-2s", 0.01),
    ],
)
def test_parse_unit_accepts_suffixes_and_bare_seconds(text: str, seconds: float) -> None:
    assert parse_unit(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "ms", "10 minutes", "-5ms", "nan", "inf", "10ms5", "1,5ms"])
def test_parse_unit_rejects_what_is_not_a_duration(text: str) -> None:
    with pytest.raises(OptionError, match=r"--unit: expected a duration such as 10ms"):
        parse_unit(text)


@pytest.mark.parametrize("text", ["0ms", "500us", "0.0009", "11s", "1e300s"])
def test_parse_unit_rejects_units_outside_one_millisecond_to_ten_seconds(text: str) -> None:
    with pytest.raises(OptionError, match=r"--unit: must be between 1ms and 10s"):
        parse_unit(text)


def test_format_unit_round_trips() -> None:
    assert [format_unit(parse_unit(t)) for t in ("10ms", "1.5ms", "2s", "0.25s")] == [
        "10ms",
        "1.5ms",
        "2s",
        "250ms",
    ]


def test_plan_cores_keeps_a_core_for_the_dispatcher_when_there_is_one_to_spare() -> None:
    cores = allowed_cores()
    plan = plan_cores(1)
    if len(cores) >= 2:
        assert plan.cpu_cores == (cores[1],)
        assert plan.dispatcher_core == cores[0]
        assert plan.dispatcher_has_own_core
    else:  # pragma: no cover - single-core machines
        assert plan.cpu_cores == (cores[0],) and plan.dispatcher_core is None


def test_plan_cores_shares_when_the_run_needs_every_core() -> None:
    cores = allowed_cores()
    plan = plan_cores(len(cores))
    assert plan.cpu_cores == tuple(cores)
    assert plan.dispatcher_core is None


def test_plan_cores_refuses_more_cpus_than_cores() -> None:
    count = len(allowed_cores())
    with pytest.raises(OptionError, match=rf"--cpus {count + 1}: this machine lets schedsim use"):
        plan_cores(count + 1)


def test_limits_refuse_with_the_flag_that_lifts_them() -> None:
    check_processes(64, 64)
    with pytest.raises(LimitError, match=r"65 processes.*limited to 64 — pass --max-processes 65"):
        check_processes(65, 64)
    check_duration(59.0, 60.0, 5900, 0.01)
    with pytest.raises(LimitError, match=r"about 75\.0 s .*7500 units x 10ms.*--max-seconds 90"):
        check_duration(75.0, 60.0, 7500, 0.01)
    check_slices(100, 1.0)
    with pytest.raises(LimitError, match=r"slices averaging 100 us"):
        check_slices(10_000, 1.0)


def test_coalescing_window_is_short_in_real_time_and_capped_in_units() -> None:
    assert coalesce_units(0.01) == pytest.approx(0.15)
    assert coalesce_units(0.001) == pytest.approx(0.3)  # capped
    assert coalesce_units(1.0) == pytest.approx(0.0015)


def test_summarize_ms_reports_percentiles_in_milliseconds() -> None:
    assert summarize_ms([]) == {"count": 0, "p50": None, "p99": None, "max": None}
    summary = summarize_ms([0.001] * 99 + [0.011])
    assert summary["count"] == 100
    assert summary["p50"] == pytest.approx(1.0)
    assert summary["max"] == pytest.approx(11.0)


def test_disturbances_flag_latency_reaction_low_cpu_share_and_lost_time() -> None:
    calm = {
        "dispatch_latency_ms": {"p99": 0.3},
        "reaction_ms": {"p99": 0.6},
        "cpu_share": [0.99, 1.0, None],
        "lost_share": 0.006,
    }
    assert disturbances(calm, 0.01) == []
    busy = {
        "dispatch_latency_ms": {"p99": 4.0},
        "reaction_ms": {"p99": 1.5},
        "cpu_share": [0.5, 1.0],
        "lost_share": 0.031,
    }
    assert disturbances(busy, 0.01) == [
        "dispatch latency p99 4.00 ms is above 1.00 ms",
        "reaction p99 1.50 ms is above 1.00 ms",
        "a worker got only 50% of the CPU time while it held a CPU (below 90%): something "
        "else ran on its core",
        "workers lost 3.1% of the run's time to other programs while holding a CPU (above 2%)",
    ]
    # The latency limit grows with long units: a tenth of a unit.
    assert disturbances({"dispatch_latency_ms": {"p99": 4.0}}, 0.05) == []


# -- the comparison ------------------------------------------------------------------------------
def test_order_matches_allows_any_order_among_simulated_ties() -> None:
    simulated = np.array([5.0, 5.0, 9.0])
    assert order_matches(simulated, np.array([5.2, 5.1, 9.3]))  # tie: either order
    assert not order_matches(simulated, np.array([5.2, 9.4, 9.3]))
    assert order_matches(np.array([3.0, 1.0, 2.0]), np.array([3.5, 1.1, 2.2]))
    assert not order_matches(np.array([3.0, 1.0, 2.0]), np.array([3.5, 2.3, 2.2]))


def _classic() -> Workload:
    return Workload.from_processes(
        [
            {"pid": "P1", "arrival": 0, "bursts": [24]},
            {"pid": "P2", "arrival": 0, "bursts": [3]},
            {"pid": "P3", "arrival": 0, "bursts": [3]},
        ],
        name="classic",
    )


def _shifted(result: Result, delays: list[float]) -> Result:
    """A copy of ``result`` whose processes start and finish later by ``delays``."""
    data = json.loads(result.to_json())
    for record, delay in zip(data["jobs"], delays, strict=True):
        for key in ("first_run", "finish", "turnaround", "waiting", "response"):
            record[key] = record[key] + delay
    data["kind"] = "measured"
    data["settings"]["unit"] = "10ms"
    data["extra"] = {"dispatch_latency_ms": {"count": 4, "p50": 0.1, "p99": 0.2, "max": 0.2}}
    return Result.from_dict(data)


def test_compare_reports_differences_per_process_and_the_summary() -> None:
    simulated = simulate(_classic(), "fcfs")  # P1 0-24, P2 24-27, P3 27-30
    measured = _shifted(simulated, [0.24, 0.27, 0.6])
    comparison = compare_measured(simulated, measured)
    first, _, third = comparison.rows
    assert first["turnaround"] == {
        "simulated": 24,
        "measured": 24.24,
        "difference": 0.24,
        "relative": 0.01,
    }
    assert first["waiting"]["relative"] is None  # simulated waiting 0: no relative difference
    assert third["turnaround"]["relative"] == pytest.approx(0.02)
    summary = comparison.summary
    assert summary["turnaround_error"]["mean"] == pytest.approx(0.04 / 3, abs=1e-6)
    assert summary["turnaround_error"]["median"] == pytest.approx(0.01)
    assert summary["turnaround_error"]["worst"] == pytest.approx(0.02)
    assert summary["turnaround_error"]["worst_pid"] == "P3"
    assert summary["completion_order"] == {
        "simulated": ["P1", "P2", "P3"],
        "measured": ["P1", "P2", "P3"],
        "matches": True,
    }
    assert summary["disturbed"] is False
    table = render_comparison(comparison)
    assert " P1  │ turnaround │        24 │    24.24 │      +0.24 │    +1.0% " in table
    assert "     │ waiting    │         0 │     0.24 │      +0.24 │        — " in table
    assert " turnaround error, worst       │           │                  2.0% (P3) " in table
    assert "completion order" in table and "(matches)" in table
    assert "p50 0.100 ms, p99 0.200 ms" in table
    assert json.loads(comparison.to_json())["summary"]["turnaround_error"]["worst_pid"] == "P3"


def test_compare_says_when_the_completion_order_differs() -> None:
    simulated = simulate(_classic(), "fcfs")
    measured = _shifted(simulated, [0.0, 4.0, 0.0])  # P2 now finishes after P3
    comparison = compare_measured(simulated, measured)
    assert comparison.summary["completion_order"]["matches"] is False
    assert comparison.summary["completion_order"]["measured"] == ["P1", "P3", "P2"]
    assert "(DIFFERS)" in render_comparison(comparison)


def test_compare_refuses_results_of_different_processes() -> None:
    simulated = simulate(_classic(), "fcfs")
    other = Workload.from_processes([{"pid": "X", "arrival": 0, "bursts": [1]}])
    with pytest.raises(ValueError, match="not of the same processes"):
        compare_measured(simulated, simulate(other, "fcfs"))


def test_comparison_gantt_draws_both_schedules_on_one_figure() -> None:
    from schedsim.real.compare import comparison_gantt

    simulated = simulate(_classic(), "rr", quantum=4)
    measured = _shifted(simulated, [0.5, 0.3, 0.4])
    measured.timeline = Timeline.from_arrays(simulated.timeline.arrays())  # type: ignore[union-attr]
    figure = comparison_gantt(compare_measured(simulated, measured))
    assert len(figure.axes) == 2
    first, second = figure.axes
    assert first.get_xlim() == second.get_xlim()  # a shared time axis
    assert first.get_title(loc="left").startswith("simulated: ")
    assert second.get_title(loc="left").startswith("measured: ")


def test_messages_round_trip_in_their_compact_form() -> None:
    from schedsim.real.messages import pack_pickled, packer, unpack

    burst = packer("burst")(2, 12.5, 0.0301)
    assert len(burst) == 25  # a kind byte, a position, two doubles: no pickling
    assert unpack(burst) == ("burst", 2, 12.5, 0.0301)
    assert unpack(packer("resumed")(1.0, 0.5, 0.25)) == ("resumed", 1.0, 0.5, 0.25)
    assert unpack(packer("ready")(4321)) == ("ready", 4321)
    assert unpack(pack_pickled("exit", {"involuntary_switches": 3})) == (
        "exit",
        {"involuntary_switches": 3},
    )
    intervals = [(1.0, 2.0, 1)]
    assert unpack(pack_pickled("observed", (0, 2.0, 1.0, intervals))) == (
        "burst",
        0,
        2.0,
        1.0,
        intervals,
    )
