"""SJF and SRTF on predicted bursts: τ(n+1) = α·t(n) + (1 − α)·τ(n), first burst τ0.

The default stays the exact ("oracle") burst; ``predict="exp"`` switches to the prediction
and the policy's ``report`` holds the prediction errors."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schedsim import OptionError, Workload, simulate
from schedsim.policies import make_policy
from schedsim.policies.predict import ExponentialAverage


def _workload(rows: list[tuple[str, Any, list[Any]]]) -> Workload:
    """Rows of (pid, arrival, bursts)."""
    return Workload.from_processes(
        [{"pid": pid, "arrival": arrival, "bursts": bursts} for pid, arrival, bursts in rows]
    )


def _slices(result: Any) -> list[tuple[str, Any, Any]]:
    return [(row["pid"], row["start"], row["end"]) for row in result.timeline_records()]


def test_silberschatz_exponential_average() -> None:
    """Silberschatz, *Operating System Concepts*, 10th ed. Figure 5.4 (9th ed. Figure 6.3):
    α = 1/2, τ0 = 10.

    ============  ===  ===  ===  ===  ===  ===  ===  ===
    burst t(i)    6    4    6    4    13   13   13
    guess τ(i)    10   8    6    6    5    9    11   12
    ============  ===  ===  ===  ===  ===  ===  ===  ===

    Absolute errors 4, 4, 0, 2, 8, 4, 2: mean 24/7.
    """
    cpu = [6, 4, 6, 4, 13, 13, 13]
    bursts: list[Any] = []
    for length in cpu:
        bursts += [length, 1]
    workload = _workload([("P1", 0, bursts[:-1])])
    policy = make_policy("sjf", predict="exp", alpha="0.5", tau0="10")
    simulate(workload, policy)
    assert policy.predictor is not None  # type: ignore[attr-defined]
    records = policy.predictor.records  # type: ignore[attr-defined]
    assert [predicted for _, predicted, _ in records] == [10, 8, 6, 6, 5, 9, 11]
    assert [actual for _, _, actual in records] == cpu
    assert policy.predictor.prediction == [12]  # type: ignore[attr-defined]
    report = policy.report  # type: ignore[attr-defined]
    assert report["bursts"] == 7
    assert report["mean_absolute_error"] == pytest.approx(24 / 7)
    relative = (4 / 6 + 4 / 4 + 0 / 6 + 2 / 4 + 8 / 13 + 4 / 13 + 2 / 13) / 7
    assert report["mean_relative_error"] == pytest.approx(relative)
    assert (report["method"], report["alpha"], report["tau0"]) == ("exp", 0.5, 10)


def test_predicted_sjf_schedules_on_the_prediction() -> None:
    """α = 1 (the next burst is guessed to equal the last), τ0 = 10.

    ===  ============  ===========================================================
    t    ready (τ)     decision
    ===  ============  ===========================================================
    0    A 10, B 10,   all guessed 10: first come, first served (file order): A 0-8
         C 10
    8    B 10, C 10    B 8-10 (file order); A back from I/O at 9, guessed 8
    10   C 10, A 8     A 10-18: its guess 8 beats C's τ0 = 10, though C's real
                       burst (5) is shorter
    18   C 10, B 2     B 18-20 (back at 11, guessed 2), then C 20-25, I/O, C 26-31
    ===  ============  ===========================================================

    The oracle runs the truly shortest first: B 0-2, C 2-7, B 7-9, C 9-14, A 14-22, A 23-31.
    """
    workload = _workload([("A", 0, [8, 1, 8]), ("B", 0, [2, 1, 2]), ("C", 0, [5, 1, 5])])
    predicted = simulate(workload, "sjf", predict="exp", alpha=1, tau0=10)
    assert _slices(predicted) == [
        ("A", 0, 8),
        ("B", 8, 10),
        ("A", 10, 18),
        ("B", 18, 20),
        ("C", 20, 25),
        ("C", 26, 31),
    ]
    oracle = simulate(workload, "sjf")
    assert _slices(oracle) == [
        ("B", 0, 2),
        ("C", 2, 7),
        ("B", 7, 9),
        ("C", 9, 14),
        ("A", 14, 22),
        ("A", 23, 31),
    ]


def test_predicted_srtf_counts_a_preempted_burst_as_the_sum_of_its_pieces() -> None:
    """α = 1, τ0 = 4.  A's first burst (10) ends at 10, so its second is guessed 10.  A is
    back from I/O at 11; B arrives at 12 guessed 4, while A's estimate is 10 − 1 = 9: B
    preempts.  A resumes 14-23: its second burst measured 1 + 9 = 10, exactly as guessed.

    Predictions (guess, actual): A (4, 10), B (4, 2), A (10, 10): mean absolute error 8/3,
    mean relative error (0.6 + 1 + 0) / 3.
    """
    workload = _workload([("A", 0, [10, 1, 10]), ("B", 12, [2])])
    policy = make_policy("srtf", predict="exp", alpha=1, tau0=4)
    result = simulate(workload, policy)
    rows = result.timeline_records()
    assert [(row["pid"], row["start"], row["end"], row["reason"]) for row in rows] == [
        ("A", 0, 10, "blocked"),
        ("A", 11, 12, "preempted"),
        ("B", 12, 14, "finished"),
        ("A", 14, 23, "finished"),
    ]
    assert policy.predictor.records == [(0, 4, 10), (1, 4, 2), (0, 10, 10)]  # type: ignore[attr-defined]
    assert policy.report["mean_absolute_error"] == pytest.approx(8 / 3)  # type: ignore[attr-defined]
    assert policy.report["mean_relative_error"] == pytest.approx(1.6 / 3)  # type: ignore[attr-defined]


def test_a_newcomer_is_judged_by_its_guess_not_its_real_burst() -> None:
    """τ0 = 10: at 3, A's estimate is 10 − 3 = 7 and the newcomer B is guessed 10, so B
    waits — although its real burst (1) is shorter than A's real remainder (5), and the
    oracle SRTF preempts A at once."""
    workload = _workload([("A", 0, [8]), ("B", 3, [1])])
    predicted = simulate(workload, "srtf", predict="exp", tau0=10)
    assert _slices(predicted) == [("A", 0, 8), ("B", 8, 9)]
    oracle = simulate(workload, "srtf")
    assert _slices(oracle) == [("A", 0, 3), ("B", 3, 4), ("A", 4, 9)]


def test_remaining_estimate_never_goes_below_zero() -> None:
    """A job that has outrun its prediction is "about to finish": estimate 0."""
    predictor = ExponentialAverage(1, 0.5, 4)
    assert predictor.remaining(0) == 4
    assert predictor.remaining(0, running_for=3) == 1
    predictor.slice_ended(0, 3)
    assert predictor.remaining(0, running_for=2) == 0
    predictor.burst_ended(0, 3)  # the burst was 3 + 3 = 6
    assert predictor.records == [(0, 4, 6)]
    assert predictor.remaining(0) == 5  # 0.5·6 + 0.5·4


@st.composite
def _constant_burst_workloads(draw: st.DrawFn) -> tuple[Workload, int]:
    """Every CPU burst of every process has the same length L; I/O lengths vary."""
    length = draw(st.integers(1, 6))
    processes = []
    for index in range(draw(st.integers(1, 6))):
        cpu_bursts = draw(st.integers(1, 3))
        bursts: list[int] = [length]
        for _ in range(cpu_bursts - 1):
            bursts += [draw(st.integers(1, 6)), length]
        processes.append({"pid": f"P{index}", "arrival": draw(st.integers(0, 8)), "bursts": bursts})
    return Workload.from_processes(processes), length


@given(_constant_burst_workloads(), st.sampled_from(["sjf", "srtf"]), st.integers(1, 2))
def test_perfect_prediction_schedules_like_the_oracle(
    case: tuple[Workload, int], name: str, cpus: int
) -> None:
    """With α = 1 and τ0 equal to the first burst, on bursts that repeat, every guess is
    exact, so the predicting policy makes the oracle's decisions, slice for slice, and
    reports zero error."""
    workload, length = case
    policy = make_policy(name, predict="exp", alpha=1, tau0=length)
    predicted = simulate(workload, policy, cpus=cpus)
    oracle = simulate(workload, name, cpus=cpus)
    assert predicted.timeline_records() == oracle.timeline_records()
    assert predicted.jobs["finish"].tolist() == oracle.jobs["finish"].tolist()
    assert policy.report["mean_absolute_error"] == 0  # type: ignore[attr-defined]


def test_the_oracle_is_the_default_and_shows_no_prediction_settings() -> None:
    oracle = make_policy("sjf")
    assert oracle.describe() == "sjf"
    assert oracle.settings == {}
    assert oracle.report == {}  # type: ignore[attr-defined]
    predicting = make_policy("srtf", predict="exp")
    assert predicting.settings == {"predict": "exp", "alpha": 0.5, "tau0": 10}
    assert predicting.describe() == "srtf(predict=exp, alpha=0.5, tau0=10)"
    result = simulate(_workload([("A", 0, [3])]), "sjf", predict="exp", tau0=2)
    assert result.options == {"predict": "exp", "alpha": 0.5, "tau0": 2}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"predict": "linear"}, "policy 'sjf': --predict: must be one of none, exp, got 'linear'"),
        ({"predict": "exp", "alpha": "0"}, "--alpha: must be > 0 and <= 1, got '0'"),
        ({"predict": "exp", "alpha": "1.5"}, "--alpha: must be > 0 and <= 1, got '1.5'"),
        ({"predict": "exp", "alpha": "half"}, "--alpha: expected a number"),
        ({"predict": "exp", "tau0": "-3"}, "--tau0: must be > 0, got '-3'"),
        ({"alpha": "0.3"}, "--alpha only applies with --predict exp"),
        ({"tau0": "5"}, "--tau0 only applies with --predict exp"),
        ({"alpha": "1", "tau0": "5"}, "--alpha and --tau0 only apply with --predict exp"),
    ],
)
def test_option_errors(options: dict[str, str], message: str) -> None:
    with pytest.raises(OptionError, match=message):
        make_policy("sjf", **options)
    with pytest.raises(OptionError, match=message.replace("'sjf'", "'srtf'")):
        make_policy("srtf", **options)
