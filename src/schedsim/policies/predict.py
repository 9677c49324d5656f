"""Predicting the next CPU burst by exponential averaging, for SJF and SRTF.

A real scheduler does not know how long a process's next CPU burst will be; the textbook
remedy (Silberschatz, *Operating System Concepts*, §5.3.2 in the 10th edition, Figure 5.4;
§6.3.2 and Figure 6.3 in the 9th) is to predict it from the bursts already seen:

    τ(n+1) = α·t(n) + (1 − α)·τ(n)

where ``t(n)`` is the measured length of the job's n-th CPU burst and ``τ(n)`` was the
prediction for it; each job's first burst is predicted as ``tau0``.  ``α = 1`` trusts only
the last burst, a small ``α`` remembers a long history.

The predictor only *observes*: it learns a burst's length by adding up the CPU time of the
slices the job ran in that burst (a preempted burst is the sum of its pieces), exactly as a
kernel would account it, so it works unchanged with the real-process dispatcher.

It also keeps the error of every prediction, so a run can report how good the guesses were
(:meth:`ExponentialAverage.report`).
"""

from __future__ import annotations

from typing import Any

from schedsim.errors import OptionError
from schedsim.options import Option, parse_time

Time = int | float

PREDICTION_METHODS = ("none", "exp")


def parse_predict(text: str) -> str:
    """``none`` (the exact "oracle" burst) or ``exp`` (exponential averaging)."""
    value = str(text).strip().lower()
    if value not in PREDICTION_METHODS:
        raise OptionError(f"must be one of {', '.join(PREDICTION_METHODS)}, got {text!r}")
    return value


def parse_alpha(text: str | int | float) -> float:
    """The averaging weight α of the newest burst: 0 < α <= 1."""
    if isinstance(text, bool):
        raise OptionError(f"expected a number, got {text!r}")
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise OptionError(f"expected a number between 0 (exclusive) and 1, got {text!r}") from None
    if not 0 < value <= 1:
        raise OptionError(f"must be > 0 and <= 1, got {text!r}")
    return value


PREDICTION_OPTIONS = (
    Option(
        "predict",
        parse_predict,
        "none",
        "how the next CPU burst is known: none = exactly (the textbook oracle, default), "
        "exp = predicted by exponential averaging",
        "none|exp",
    ),
    Option(
        "alpha",
        parse_alpha,
        None,
        "weight of the last burst in the prediction, 0 < A <= 1 (default 0.5; needs --predict exp)",
        "A",
    ),
    Option(
        "tau0",
        parse_time,
        None,
        "prediction for each process's first CPU burst (default 10; needs --predict exp)",
        "T",
    ),
)
PREDICTION_OPTION_NAMES = tuple(option.name for option in PREDICTION_OPTIONS)
DEFAULT_ALPHA = 0.5
DEFAULT_TAU0 = 10


class ExponentialAverage:
    """Per-job burst predictions, the CPU used so far in the current burst, and the errors.

    ``prediction[job]`` is the prediction for ``job``'s current (or next) CPU burst.
    """

    def __init__(self, jobs: int, alpha: float, tau0: Time) -> None:
        self.alpha = alpha
        self.tau0 = tau0
        self.prediction: list[Time] = [tau0] * jobs
        self.used: list[Time] = [0] * jobs
        self.records: list[tuple[int, Time, Time]] = []  # (job, predicted, actual)
        self.absolute_error_sum: float = 0.0
        self.relative_error_sum: float = 0.0

    def remaining(self, job: int, running_for: Time = 0) -> Time:
        """Predicted CPU time left in ``job``'s burst: the prediction minus what it has
        used (``running_for`` is its current, unfinished slice).  A job that has already
        outrun its prediction is estimated at 0 — "about to finish" — never negative."""
        left = self.prediction[job] - self.used[job] - running_for
        return left if left > 0 else 0

    def slice_ended(self, job: int, ran: Time) -> None:
        """``job`` left the CPU after ``ran`` with its burst unfinished (preempted, expired)."""
        self.used[job] += ran

    def burst_ended(self, job: int, ran: Time) -> None:
        """``job``'s burst ended with a last slice of ``ran``: record the error, update τ."""
        actual = self.used[job] + ran
        predicted = self.prediction[job]
        self.records.append((job, predicted, actual))
        error = abs(predicted - actual)
        self.absolute_error_sum += error
        self.relative_error_sum += error / actual if actual > 0 else 0.0
        alpha = self.alpha
        self.prediction[job] = actual if alpha == 1 else alpha * actual + (1 - alpha) * predicted
        self.used[job] = 0

    def report(self) -> dict[str, Any]:
        """Mean absolute and mean relative error over every burst predicted so far."""
        count = len(self.records)
        return {
            "method": "exp",
            "alpha": self.alpha,
            "tau0": self.tau0,
            "bursts": count,
            "mean_absolute_error": self.absolute_error_sum / count if count else 0.0,
            "mean_relative_error": self.relative_error_sum / count if count else 0.0,
        }
