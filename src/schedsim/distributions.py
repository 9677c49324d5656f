"""Probability distributions for synthetic workloads, written as short specs.

A spec is ``name:key=value,key=value``::

    exponential:mean=5          exponential, mean 5
    uniform:low=1,high=9        continuous uniform on [1, 9)
    uniform:0..7                whole numbers 0, 1, ..., 7 (both ends included)
    normal:mean=10,sd=3         normal truncated to values > 0 (see :class:`Normal`)
    lognormal:mean=8,sigma=1    lognormal whose *distribution* mean is 8
    pareto:alpha=2.5,min=1      classic Pareto, support [min, inf)
    constant:value=4            always 4 (also ``constant:4``)
    mix:0.8*exponential:mean=2,0.2*exponential:mean=50
                                mixture: each value comes from one component, picked with
                                the given weights (which must sum to 1)

Every distribution samples through a ``numpy.random.Generator`` handed to it, never the
global random state, so a seed reproduces a workload exactly.  Each one also knows its
analytic ``mean`` (``math.inf`` where the mean is infinite, e.g. Pareto with alpha <= 1),
which is what lets ``schedsim generate --load`` compute an arrival rate, and its support
(``low``, ``high``, ``integer``), which lets the generator refuse, before sampling, a
distribution that could produce a zero burst or a fractional priority.
"""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from collections.abc import Callable

import numpy as np

from schedsim.errors import OptionError
from schedsim.limits import MAX_TIME
from schedsim.options import shown

# Written into error messages; kept in one place so the list cannot drift from the parsers.
KNOWN = ("constant", "exponential", "lognormal", "mix", "normal", "pareto", "uniform")

MIX_WEIGHT_TOLERANCE = 1e-9

# Parameters are bounded so that no arithmetic on them can overflow a float or an int64:
# the largest time a workload may hold, and a lognormal spread of e**(20**2).
MAX_PARAMETER = MAX_TIME
MAX_SIGMA = 20


class Distribution(ABC):
    """A distribution of non-negative-or-any real values, sampled through an injected RNG."""

    #: The canonical spec, e.g. ``exponential:mean=5`` (what ``str()`` shows).
    spec: str

    @abstractmethod
    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` independent values: int64 for integer distributions, float64 otherwise."""

    @property
    @abstractmethod
    def mean(self) -> float:
        """The analytic mean (``math.inf`` when it is infinite)."""

    @property
    @abstractmethod
    def low(self) -> float:
        """The smallest value the distribution can take (infimum of its support)."""

    @property
    @abstractmethod
    def high(self) -> float:
        """The largest value the distribution can take (``math.inf`` when unbounded)."""

    @property
    def integer(self) -> bool:
        """True when every value is a whole number."""
        return False

    @property
    def positive(self) -> bool:
        """True when every value is > 0 (what a burst length needs).

        A continuous distribution whose support starts at 0 counts as positive: it yields
        exactly 0 with probability zero."""
        return self.low > 0 or (self.low == 0 and not self.integer)

    def __str__(self) -> str:
        return self.spec

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.spec}>"


class _PositiveUnbounded(Distribution):
    """A distribution on (0, inf): exponential, lognormal, normal truncated at 0."""

    @property
    def low(self) -> float:
        return 0.0

    @property
    def high(self) -> float:
        return math.inf


class Exponential(_PositiveUnbounded):
    """Exponential with the given mean (rate 1/mean)."""

    def __init__(self, mean: float) -> None:
        self._mean = _positive("mean", mean)
        self.spec = f"exponential:mean={_number(self._mean)}"

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.exponential(self._mean, size)

    @property
    def mean(self) -> float:
        return self._mean


class Uniform(Distribution):
    """Continuous uniform on [low, high)."""

    def __init__(self, low: float, high: float) -> None:
        if not high > low:
            raise OptionError(
                f"high must be greater than low, got low={_number(low)} high={_number(high)}"
            )
        self._low, self._high = float(low), float(high)
        self.spec = f"uniform:low={_number(self._low)},high={_number(self._high)}"

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.uniform(self._low, self._high, size)

    @property
    def mean(self) -> float:
        return (self._low + self._high) / 2

    @property
    def low(self) -> float:
        return self._low

    @property
    def high(self) -> float:
        return self._high


class UniformInteger(Distribution):
    """Whole numbers low, low+1, ..., high, each equally likely (``uniform:0..7``)."""

    def __init__(self, low: int, high: int) -> None:
        if high < low:
            raise OptionError(f"the range {low}..{high} is empty; write the smaller number first")
        if not -(2**62) <= low <= high <= 2**62:
            raise OptionError(
                f"the range {low}..{high} is too wide; whole-number ranges must lie within "
                "-2**62..2**62"
            )
        self._low, self._high = int(low), int(high)
        self.spec = f"uniform:{self._low}..{self._high}"

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.integers(self._low, self._high, size, endpoint=True, dtype=np.int64)

    @property
    def mean(self) -> float:
        return (self._low + self._high) / 2

    @property
    def low(self) -> float:
        return float(self._low)

    @property
    def high(self) -> float:
        return float(self._high)

    @property
    def integer(self) -> bool:
        return True


class Normal(_PositiveUnbounded):
    """Normal(mean, sd) truncated to values > 0.

    Values <= 0 are *rejected and drawn again* (not clipped), so the result is the normal
    conditioned on being positive; no mass piles up near zero.  The parameters are those of
    the underlying normal, and ``mean`` reports the truncated distribution's mean,
    ``mean + sd * phi(a) / (1 - Phi(a))`` with ``a = -mean / sd``, which is slightly larger.
    Because the mean must be > 0, at least half of the draws are accepted."""

    def __init__(self, mean: float, sd: float) -> None:
        self._location = _positive("mean", mean)
        self._sd = _positive("sd", sd)
        self.spec = f"normal:mean={_number(self._location)},sd={_number(self._sd)}"

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        values = rng.normal(self._location, self._sd, size)
        rejected = np.flatnonzero(values <= 0)
        while len(rejected):
            values[rejected] = rng.normal(self._location, self._sd, len(rejected))
            rejected = rejected[values[rejected] <= 0]
        return values

    @property
    def mean(self) -> float:
        a = -self._location / self._sd
        density = math.exp(-a * a / 2) / math.sqrt(2 * math.pi)
        survival = 0.5 * math.erfc(a / math.sqrt(2))
        return self._location + self._sd * density / survival


class LogNormal(_PositiveUnbounded):
    """Lognormal parameterised by the mean *of the distribution itself* and sigma.

    ``mean`` is E[X], not the mean of the underlying normal: the underlying normal has
    ``mu = ln(mean) - sigma**2 / 2`` and standard deviation ``sigma``.  So
    ``lognormal:mean=8,sigma=1`` has mean 8 whatever sigma is (sigma only widens it), and
    load arithmetic uses 8 directly."""

    def __init__(self, mean: float, sigma: float) -> None:
        self._mean = _positive("mean", mean)
        if not 0 <= sigma <= MAX_SIGMA:
            raise OptionError(
                f"sigma must be in 0..{MAX_SIGMA} (the spread grows as e**(sigma**2)), got "
                f"{_number(sigma)}"
            )
        self._sigma = float(sigma)
        self.mu = math.log(self._mean) - self._sigma**2 / 2
        self.spec = f"lognormal:mean={_number(self._mean)},sigma={_number(self._sigma)}"

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.lognormal(self.mu, self._sigma, size)

    @property
    def mean(self) -> float:
        return self._mean


class Pareto(Distribution):
    """Classic (type I) Pareto with shape ``alpha`` and scale ``min``: support [min, inf),
    P(X > x) = (min / x) ** alpha.  Mean ``alpha * min / (alpha - 1)`` when alpha > 1,
    infinite otherwise; variance infinite when alpha <= 2.  (numpy's ``pareto`` is the Lomax
    form starting at 0; this adds 1 and scales by ``min``.)"""

    def __init__(self, alpha: float, minimum: float) -> None:
        self.alpha = _positive("alpha", alpha)
        self.minimum = _positive("min", minimum)
        self.spec = f"pareto:alpha={_number(self.alpha)},min={_number(self.minimum)}"

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return self.minimum * (1.0 + rng.pareto(self.alpha, size))

    @property
    def mean(self) -> float:
        if self.alpha <= 1:
            return math.inf
        return self.alpha * self.minimum / (self.alpha - 1)

    @property
    def median(self) -> float:
        return self.minimum * 2 ** (1 / self.alpha)

    @property
    def low(self) -> float:
        return self.minimum

    @property
    def high(self) -> float:
        return math.inf


class Constant(Distribution):
    """Always the same value (``constant:value=4`` or ``constant:4``)."""

    def __init__(self, value: float) -> None:
        if not math.isfinite(value):
            raise OptionError(f"value must be a finite number, got {value}")
        self.value = value
        self.spec = f"constant:{_number(value)}"

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        if self.integer:
            return np.full(size, int(self.value), dtype=np.int64)
        return np.full(size, float(self.value), dtype=np.float64)

    @property
    def mean(self) -> float:
        return float(self.value)

    @property
    def low(self) -> float:
        return float(self.value)

    @property
    def high(self) -> float:
        return float(self.value)

    @property
    def integer(self) -> bool:
        return float(self.value).is_integer()


class Mixture(Distribution):
    """Each value comes from one component, chosen at random with the given weights.

    The component of every value is drawn first (one draw per value), then each component
    samples its share in component order, so the result depends only on the seed."""

    def __init__(self, weights: list[float], components: list[Distribution]) -> None:
        if len(weights) != len(components) or not components:
            raise OptionError("a mixture needs one weight per component")
        for weight in weights:
            if not 0 < weight <= 1:
                raise OptionError(f"each weight must be in (0, 1], got {_number(weight)}")
        total = math.fsum(weights)
        if abs(total - 1) > MIX_WEIGHT_TOLERANCE:
            raise OptionError(f"the weights must sum to 1, got {_number(total)}")
        self.weights = [w / total for w in weights]
        self.components = list(components)
        self.spec = "mix:" + ",".join(
            f"{_number(w)}*{c.spec}" for w, c in zip(weights, components, strict=True)
        )

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        choice = rng.choice(len(self.components), size=size, p=self.weights)
        dtype = np.int64 if self.integer else np.float64
        out = np.empty(size, dtype=dtype)
        for index, component in enumerate(self.components):
            where = np.flatnonzero(choice == index)
            out[where] = component.sample(rng, len(where))
        return out

    @property
    def mean(self) -> float:
        means = [c.mean for c in self.components]
        if any(math.isinf(m) for m in means):
            return math.inf
        return math.fsum(w * m for w, m in zip(self.weights, means, strict=True))

    @property
    def low(self) -> float:
        return min(c.low for c in self.components)

    @property
    def high(self) -> float:
        return max(c.high for c in self.components)

    @property
    def integer(self) -> bool:
        return all(c.integer for c in self.components)

    @property
    def positive(self) -> bool:
        return all(c.positive for c in self.components)


# -- parsing ---------------------------------------------------------------------------------

_WEIGHT = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*\*(.*)$", re.DOTALL)
_RANGE = re.compile(r"^\s*(-?[0-9.]+)\s*\.\.\s*(-?[0-9.]+)\s*$")


def parse_distribution(spec: str, *, option: str = "") -> Distribution:
    """Parse ``name:key=value,...`` into a :class:`Distribution`.

    Raises :class:`OptionError` quoting ``spec`` (prefixed by ``option``, e.g. ``--bursts``)
    and saying what is wrong and how to write it."""
    where = f"{option} {shown(spec)}" if option else shown(spec)
    try:
        return _parse(spec)
    except OptionError as error:
        raise OptionError(f"{where}: {error}") from None


def _parse(spec: str) -> Distribution:
    text = spec.strip()
    if not text:
        raise OptionError("empty distribution; write e.g. exponential:mean=5")
    name, _, body = text.partition(":")
    name = name.strip().lower()
    if name == "mix":
        return _parse_mixture(body)
    if name == "uniform" and ".." in body:
        return _parse_range(body)
    if name == "constant" and body.strip() and "=" not in body:
        return Constant(_parse_number("value", body))
    if name not in _BUILDERS:
        raise OptionError(f"unknown distribution {name!r}; known distributions: {', '.join(KNOWN)}")
    keys, build = _BUILDERS[name]
    values = parse_parameters(name, body, keys)
    return build(values)


def parse_parameters(name: str, body: str, keys: tuple[str, ...]) -> dict[str, float]:
    """Parse ``key=value,key=value`` (every key in ``keys`` required, each once) into
    numbers; ``name`` is used in the messages, which show how to write the spec."""
    example = f"{name}:" + ",".join(f"{key}=..." for key in keys)
    values: dict[str, float] = {}
    for item in body.split(",") if body.strip() else []:
        key, equals, raw = item.partition("=")
        key = key.strip().lower()
        if not equals:
            raise OptionError(f"{item.strip()!r} is not key=value; write {example}")
        if key not in keys:
            raise OptionError(
                f"unknown parameter {key!r} for {name}; it takes {', '.join(keys)}"
                f" (write {example})"
            )
        if key in values:
            raise OptionError(f"parameter {key!r} is given twice")
        values[key] = _parse_number(key, raw)
    missing = [key for key in keys if key not in values]
    if missing:
        raise OptionError(
            f"missing parameter{'s' if len(missing) > 1 else ''} {', '.join(missing)}"
            f"; write {example}"
        )
    return values


def _parse_range(body: str) -> UniformInteger:
    match = _RANGE.match(body)
    if not match:
        raise OptionError(f"{body.strip()!r} is not a range; write uniform:LOW..HIGH, e.g. 0..7")
    ends = []
    for raw in match.groups():
        try:
            ends.append(int(raw) if len(raw) <= 30 else _too_long(raw))
        except ValueError:
            raise OptionError(
                f"the LOW..HIGH form takes whole numbers, got {shown(raw)}; for real values "
                "write uniform:low=A,high=B"
            ) from None
    return UniformInteger(ends[0], ends[1])


def _parse_mixture(body: str) -> Mixture:
    example = "mix:0.8*exponential:mean=2,0.2*exponential:mean=50"
    if not body.strip():
        raise OptionError(f"a mixture needs components; write {example}")
    # Component parameters are comma-separated too: a piece starting with "WEIGHT*" opens a
    # new component, anything else continues the previous one.
    pieces: list[str] = []
    for piece in body.split(","):
        if _WEIGHT.match(piece) or not pieces:
            pieces.append(piece)
        else:
            pieces[-1] += "," + piece
    weights: list[float] = []
    components: list[Distribution] = []
    for piece in pieces:
        match = _WEIGHT.match(piece)
        if not match:
            raise OptionError(
                f"component {piece.strip()!r} has no weight; write WEIGHT*DISTRIBUTION as in "
                f"{example}"
            )
        inner = match.group(2).strip()
        if inner.lower().startswith("mix:") or inner.lower() == "mix":
            raise OptionError("a mixture cannot contain another mixture; flatten the weights")
        try:
            components.append(_parse(inner))
        except OptionError as error:
            raise OptionError(f"component {inner!r}: {error}") from None
        weights.append(float(match.group(1)))
    return Mixture(weights, components)


def _too_long(raw: str) -> int:
    raise OptionError(f"a range end may have at most 30 digits, got {shown(raw)}")


def _parse_number(key: str, raw: str) -> float:
    """A parameter: a finite number of magnitude at most MAX_PARAMETER (a larger one only
    makes draws overflow to infinity, or a whole number that fits no integer type)."""
    text = raw.strip()
    try:
        value = float(text)
    except ValueError:
        raise OptionError(f"{key} must be a number, got {shown(text)}") from None
    if not math.isfinite(value):
        raise OptionError(f"{key} must be a finite number, got {shown(text)}")
    if abs(value) > MAX_PARAMETER:
        raise OptionError(f"{key} must be at most {MAX_PARAMETER:.0e} in size, got {shown(text)}")
    return value


def _positive(key: str, value: float) -> float:
    if not value > 0:
        raise OptionError(f"{key} must be > 0, got {_number(value)}")
    return float(value)


def _number(value: float) -> str:
    """Shortest text for a parameter: ``5`` rather than ``5.0``."""
    if float(value).is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(float(value))


_BUILDERS: dict[str, tuple[tuple[str, ...], Callable[[dict[str, float]], Distribution]]] = {
    "constant": (("value",), lambda v: Constant(v["value"])),
    "exponential": (("mean",), lambda v: Exponential(v["mean"])),
    "lognormal": (("mean", "sigma"), lambda v: LogNormal(v["mean"], v["sigma"])),
    "normal": (("mean", "sd"), lambda v: Normal(v["mean"], v["sd"])),
    "pareto": (("alpha", "min"), lambda v: Pareto(v["alpha"], v["min"])),
    "uniform": (("low", "high"), lambda v: Uniform(v["low"], v["high"])),
}
