"""The distribution spec language: parsing, analytic means, sampling, and error messages.

Sample-mean checks use 100,000 draws and a tolerance of five standard errors
(5 * sd / sqrt(n)) computed from each distribution's analytic variance, so a correct sampler
fails with probability below 1e-6 — and the seeds are fixed, so the tests are deterministic.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from schedsim.distributions import (
    Constant,
    Mixture,
    Normal,
    Pareto,
    parse_distribution,
)
from schedsim.errors import OptionError

DRAWS = 100_000


def draw(spec: str, seed: int = 7, size: int = DRAWS) -> np.ndarray:
    return parse_distribution(spec).sample(np.random.default_rng(seed), size)


def assert_mean(values: np.ndarray, mean: float, variance: float) -> None:
    tolerance = 5 * math.sqrt(variance / len(values))
    assert abs(values.mean() - mean) < tolerance, (values.mean(), mean, tolerance)


# -- each distribution -------------------------------------------------------------------------


def test_exponential() -> None:
    distribution = parse_distribution("exponential:mean=2")
    assert distribution.spec == "exponential:mean=2"
    assert distribution.mean == 2.0
    values = draw("exponential:mean=2")
    assert values.dtype == np.float64
    assert values.min() > 0
    assert_mean(values, 2.0, 4.0)
    assert (distribution.low, distribution.high) == (0.0, math.inf)
    assert distribution.positive and not distribution.integer


def test_uniform_continuous() -> None:
    distribution = parse_distribution("uniform:low=1,high=3")
    assert distribution.mean == 2.0
    values = draw("uniform:low=1,high=3")
    assert values.min() >= 1 and values.max() < 3
    assert_mean(values, 2.0, 2.0**2 / 12)


def test_uniform_integer_range_is_inclusive() -> None:
    distribution = parse_distribution("uniform:0..7")
    assert distribution.spec == "uniform:0..7"
    assert distribution.integer and distribution.mean == 3.5
    values = draw("uniform:0..7")
    assert values.dtype == np.int64
    assert set(values.tolist()) == set(range(8))  # both ends appear
    assert_mean(values, 3.5, (8**2 - 1) / 12)
    # A zero is possible, so it cannot be a burst length; 1..7 can.
    assert not distribution.positive
    assert parse_distribution("uniform:1..7").positive


def test_uniform_integer_negative_and_single_value() -> None:
    assert set(draw("uniform:-20..19", size=5000).tolist()) == set(range(-20, 20))
    assert set(draw("uniform:3..3", size=10).tolist()) == {3}


def test_normal_is_truncated_above_zero_by_redrawing() -> None:
    """mean=1, sd=2: a = -0.5, so the truncated mean is 1 + 2 * phi(0.5) / Phi(0.5)
    = 1 + 2 * 0.3520653 / 0.6914625 = 2.0183209."""
    distribution = parse_distribution("normal:mean=1,sd=2")
    assert distribution.mean == pytest.approx(2.0183209, abs=1e-6)
    values = draw("normal:mean=1,sd=2")
    assert values.min() > 0
    # Redrawing (not clipping): no pile-up of tiny values.
    assert (values < 0.01).mean() < 0.01
    assert_mean(values, distribution.mean, 4.0)  # the truncated variance is below sd^2


def test_normal_far_from_zero_keeps_its_mean() -> None:
    distribution = Normal(100, 5)
    assert distribution.mean == pytest.approx(100, abs=1e-9)
    assert_mean(draw("normal:mean=100,sd=5"), 100, 25)


def test_lognormal_mean_is_the_distribution_mean() -> None:
    """mean=8, sigma=1: mu = ln 8 - 1/2, so the median is 8 e^-0.5 = 4.852 and the
    variance (e^1 - 1) * 64 = 109.97."""
    distribution = parse_distribution("lognormal:mean=8,sigma=1")
    assert distribution.mean == 8.0
    values = draw("lognormal:mean=8,sigma=1")
    assert_mean(values, 8.0, (math.e - 1) * 64)
    below_median = (values < 8 * math.exp(-0.5)).mean()
    assert abs(below_median - 0.5) < 5 * 0.5 / math.sqrt(DRAWS)


def test_pareto_classic_with_finite_mean() -> None:
    """alpha=3, min=2: mean 3*2/2 = 3, variance 4*3 / (2^2 * 1) = 3."""
    distribution = parse_distribution("pareto:alpha=3,min=2")
    assert distribution.mean == 3.0
    values = draw("pareto:alpha=3,min=2")
    assert values.min() >= 2.0
    assert_mean(values, 3.0, 3.0)


def test_pareto_heavy_tail_median() -> None:
    """alpha=1.5 has infinite variance, so compare the median min * 2^(1/alpha)."""
    distribution = Pareto(1.5, 2)
    assert distribution.mean == pytest.approx(6.0)
    values = draw("pareto:alpha=1.5,min=2")
    below_median = (values < distribution.median).mean()
    assert abs(below_median - 0.5) < 5 * 0.5 / math.sqrt(DRAWS)


def test_pareto_mean_is_infinite_for_alpha_at_most_one() -> None:
    assert parse_distribution("pareto:alpha=1,min=1").mean == math.inf
    assert parse_distribution("pareto:alpha=0.5,min=3").mean == math.inf


def test_constant_both_forms() -> None:
    for spec in ("constant:4", "constant:value=4"):
        distribution = parse_distribution(spec)
        assert distribution.spec == "constant:4"
        assert distribution.integer and distribution.mean == 4.0
        values = distribution.sample(np.random.default_rng(0), 5)
        assert values.dtype == np.int64 and values.tolist() == [4] * 5
    fractional = parse_distribution("constant:2.5")
    assert not fractional.integer
    assert fractional.sample(np.random.default_rng(0), 3).tolist() == [2.5, 2.5, 2.5]
    assert not parse_distribution("constant:0").positive


def test_mixture() -> None:
    """0.8 * Exp(2) + 0.2 * Exp(50): mean 11.6; E[X^2] = 0.8*8 + 0.2*5000 = 1006.4."""
    spec = "mix:0.8*exponential:mean=2,0.2*exponential:mean=50"
    distribution = parse_distribution(spec)
    assert isinstance(distribution, Mixture)
    assert distribution.spec == spec
    assert distribution.mean == pytest.approx(11.6)
    values = draw(spec)
    assert_mean(values, 11.6, 1006.4 - 11.6**2)


def test_mixture_components_with_several_parameters() -> None:
    spec = "mix:0.5*uniform:low=1,high=2,0.5*lognormal:mean=10,sigma=0.5"
    distribution = parse_distribution(spec)
    assert distribution.spec == spec
    assert distribution.mean == pytest.approx(0.5 * 1.5 + 0.5 * 10)
    values = draw(spec, size=20_000)
    share_in_first = ((values >= 1) & (values < 2)).mean()
    assert 0.48 < share_in_first < 0.53  # the lognormal rarely lands in [1, 2)


def test_mixture_of_integers_is_integer() -> None:
    distribution = parse_distribution("mix:0.5*uniform:0..3,0.5*constant:10")
    assert distribution.integer
    values = draw("mix:0.5*uniform:0..3,0.5*constant:10", size=1000)
    assert values.dtype == np.int64
    assert set(values.tolist()) == {0, 1, 2, 3, 10}
    assert (distribution.low, distribution.high) == (0.0, 10.0)


def test_mixture_with_an_infinite_mean_component() -> None:
    assert parse_distribution("mix:0.9*constant:1,0.1*pareto:alpha=0.8,min=1").mean == math.inf


def test_mixture_weights_within_tolerance_are_accepted() -> None:
    distribution = Mixture([0.3, 0.7 + 1e-12], [Constant(1), Constant(2)])
    assert math.fsum(distribution.weights) == pytest.approx(1.0)


# -- determinism -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec",
    [
        "exponential:mean=2",
        "uniform:low=1,high=3",
        "uniform:0..7",
        "normal:mean=1,sd=2",
        "lognormal:mean=8,sigma=1",
        "pareto:alpha=3,min=2",
        "mix:0.8*exponential:mean=2,0.2*exponential:mean=50",
    ],
)
def test_same_seed_same_values_different_seed_different(spec: str) -> None:
    first = draw(spec, seed=11, size=1000)
    assert np.array_equal(first, draw(spec, seed=11, size=1000))
    assert not np.array_equal(first, draw(spec, seed=12, size=1000))


def test_sampling_never_touches_the_global_random_state() -> None:
    np.random.seed(5)
    expected = np.random.random()
    np.random.seed(5)
    draw("mix:0.5*normal:mean=1,sd=3,0.5*pareto:alpha=2,min=1", size=1000)
    assert np.random.random() == expected


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            "expo:mean=2",
            "--bursts 'expo:mean=2': unknown distribution 'expo'; known distributions: "
            "constant, exponential, lognormal, mix, normal, pareto, uniform",
        ),
        ("", "--bursts '': empty distribution; write e.g. exponential:mean=5"),
        (
            "exponential",
            "--bursts 'exponential': missing parameter mean; write exponential:mean=...",
        ),
        (
            "lognormal:mean=3",
            "--bursts 'lognormal:mean=3': missing parameter sigma; "
            "write lognormal:mean=...,sigma=...",
        ),
        (
            "normal",
            "--bursts 'normal': missing parameters mean, sd; write normal:mean=...,sd=...",
        ),
        (
            "exponential:sd=1",
            "--bursts 'exponential:sd=1': unknown parameter 'sd' for exponential; it takes "
            "mean (write exponential:mean=...)",
        ),
        (
            "exponential:mean=1,mean=2",
            "--bursts 'exponential:mean=1,mean=2': parameter 'mean' is given twice",
        ),
        (
            "exponential:5",
            "--bursts 'exponential:5': '5' is not key=value; write exponential:mean=...",
        ),
        (
            "exponential:mean=abc",
            "--bursts 'exponential:mean=abc': mean must be a number, got 'abc'",
        ),
        (
            "exponential:mean=inf",
            "--bursts 'exponential:mean=inf': mean must be a finite number, got 'inf'",
        ),
        ("exponential:mean=0", "--bursts 'exponential:mean=0': mean must be > 0, got 0"),
        ("normal:mean=-1,sd=1", "--bursts 'normal:mean=-1,sd=1': mean must be > 0, got -1"),
        ("normal:mean=1,sd=0", "--bursts 'normal:mean=1,sd=0': sd must be > 0, got 0"),
        (
            "lognormal:mean=2,sigma=-1",
            "--bursts 'lognormal:mean=2,sigma=-1': sigma must be in 0..20 (the spread grows as "
            "e**(sigma**2)), got -1",
        ),
        (
            "pareto:alpha=0,min=1",
            "--bursts 'pareto:alpha=0,min=1': alpha must be > 0, got 0",
        ),
        (
            "pareto:alpha=2,min=-1",
            "--bursts 'pareto:alpha=2,min=-1': min must be > 0, got -1",
        ),
        (
            "uniform:low=3,high=1",
            "--bursts 'uniform:low=3,high=1': high must be greater than low, got low=3 high=1",
        ),
        (
            "uniform:5..1",
            "--bursts 'uniform:5..1': the range 5..1 is empty; write the smaller number first",
        ),
        (
            "uniform:0.5..2",
            "--bursts 'uniform:0.5..2': the LOW..HIGH form takes whole numbers, got '0.5'; "
            "for real values write uniform:low=A,high=B",
        ),
        (
            "uniform:1..x",
            "--bursts 'uniform:1..x': '1..x' is not a range; write uniform:LOW..HIGH, e.g. 0..7",
        ),
        (
            "mix:0.5*exponential:mean=1,0.4*constant:1",
            "--bursts 'mix:0.5*exponential:mean=1,0.4*constant:1': the weights must sum to 1, "
            "got 0.9",
        ),
        (
            "mix:exponential:mean=1",
            "--bursts 'mix:exponential:mean=1': component 'exponential:mean=1' has no weight; "
            "write WEIGHT*DISTRIBUTION as in mix:0.8*exponential:mean=2,0.2*exponential:mean=50",
        ),
        (
            "mix:1*mix:1*constant:1",
            "--bursts 'mix:1*mix:1*constant:1': a mixture cannot contain another mixture; "
            "flatten the weights",
        ),
        (
            "mix:0.5*exponential:mean=1,0.5*exponential:mean=-2",
            "--bursts 'mix:0.5*exponential:mean=1,0.5*exponential:mean=-2': component "
            "'exponential:mean=-2': mean must be > 0, got -2",
        ),
        (
            "mix:",
            "--bursts 'mix:': a mixture needs components; write "
            "mix:0.8*exponential:mean=2,0.2*exponential:mean=50",
        ),
        ("constant:x", "--bursts 'constant:x': value must be a number, got 'x'"),
    ],
)
def test_error_messages(spec: str, message: str) -> None:
    with pytest.raises(OptionError) as caught:
        parse_distribution(spec, option="--bursts")
    assert str(caught.value) == message


def test_error_without_an_option_name_quotes_the_spec() -> None:
    with pytest.raises(OptionError, match=r"^'exponential:mean=0': mean must be > 0, got 0$"):
        parse_distribution("exponential:mean=0")


def test_names_and_keys_are_case_insensitive_and_spaces_ignored() -> None:
    distribution = parse_distribution(" Exponential: Mean = 2 ")
    assert distribution.spec == "exponential:mean=2"
