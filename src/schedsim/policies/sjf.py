"""Shortest job first: non-preemptive, shortest *next CPU burst* first."""

from __future__ import annotations

import heapq
from typing import Any

import numpy as np

from schedsim.clock import Clock
from schedsim.errors import OptionError
from schedsim.formatting import fmt
from schedsim.policies.base import JobsView, Policy, Time, remove_from_heap
from schedsim.policies.predict import (
    DEFAULT_ALPHA,
    DEFAULT_TAU0,
    PREDICTION_OPTION_NAMES,
    PREDICTION_OPTIONS,
    ExponentialAverage,
)


class SJF(Policy):
    """Orders ready jobs by (next CPU burst, time it became ready, file order).

    By default the burst length is known exactly (the "oracle" SJF of the textbooks).  With
    ``--predict exp`` it is predicted from the job's past bursts by exponential averaging
    (:mod:`schedsim.policies.predict`), as a real scheduler would have to, and
    :attr:`report` holds the prediction errors."""

    name = "sjf"
    title = "shortest job (next CPU burst) first, non-preemptive"
    options = PREDICTION_OPTIONS

    predict: str
    alpha: float | None
    tau0: Time | None

    def validate(self) -> None:
        if self.predict == "none":
            given = [f"--{name}" for name in ("alpha", "tau0") if getattr(self, name) is not None]
            if given:
                verb = "applies" if len(given) == 1 else "apply"
                raise OptionError(
                    f"{' and '.join(given)} only {verb} with --predict exp "
                    "(without it the burst length is known exactly)"
                )
            return
        if self.alpha is None:
            self.alpha = DEFAULT_ALPHA
        if self.tau0 is None:
            self.tau0 = DEFAULT_TAU0

    @property
    def settings(self) -> dict[str, Any]:
        """The oracle SJF shows no prediction settings; a predicting one shows all three."""
        values = {k: v for k, v in super().settings.items() if k not in PREDICTION_OPTION_NAMES}
        if self.predict != "none":
            values.update(predict=self.predict, alpha=self.alpha, tau0=self.tau0)
        return values

    def reset(self, jobs: JobsView, clock: Clock, rng: np.random.Generator) -> None:
        super().reset(jobs, clock, rng)
        self.heap: list[tuple[Time, Time, int]] = []
        self.predictor: ExponentialAverage | None = None
        if self.predict == "exp":
            assert self.alpha is not None and self.tau0 is not None  # filled in by validate
            self.predictor = ExponentialAverage(len(jobs), self.alpha, self.tau0)
            # Only a predicting SJF needs to hear about burst ends.
            self.on_burst_end = self.predictor.burst_ended  # type: ignore[method-assign]
        else:
            self._bind_oracle_hooks()

    def _bind_oracle_hooks(self) -> None:
        """The oracle's hooks as closures over locals: the same rule as :meth:`on_ready` and
        :meth:`pick_next`, without attribute look-ups, since they run for every job."""
        heap = self.heap
        remaining = self.jobs.remaining
        clock = self.clock
        push = heapq.heappush
        pop = heapq.heappop

        def on_ready(job: int) -> None:
            push(heap, (remaining[job], clock.now, job))

        def pick_next() -> int:
            return pop(heap)[2]

        self.on_ready = on_ready  # type: ignore[method-assign]
        self.pick_next = pick_next  # type: ignore[method-assign]

    def on_ready(self, job: int) -> None:
        predictor = self.predictor
        burst = self.jobs.remaining[job] if predictor is None else predictor.remaining(job)
        heapq.heappush(self.heap, (burst, self.clock.now, job))

    def pick_next(self) -> int:
        return heapq.heappop(self.heap)[2]

    def on_removed(self, job: int) -> None:
        remove_from_heap(self.heap, job)

    # -- explanations ------------------------------------------------------------------------
    def _rule(self) -> str:
        what = "remaining time" if self.preemptive else "next burst"
        return f"shortest {'predicted ' if self.predictor is not None else ''}{what}"

    def explain_ready(self) -> str:
        label = "remaining" if self.preemptive else "next burst"
        ordered = sorted(self.heap)
        shown = ", ".join(f"{self.pid(job)} {fmt(key)}" for key, _, job in ordered)
        return f"by {'predicted ' if self.predictor is not None else ''}{label}: {shown or '-'}"

    def _key(self, job: int) -> Time:
        return self.jobs.remaining[job] if self.predictor is None else self.predictor.remaining(job)

    def explain_pick(self, job: int) -> str:
        key = self._key(job)
        if not self.heap:
            return f"the only ready job ({self._rule()} {fmt(key)})"
        other_key, _, other = self.heap[0]
        if key < other_key:
            return f"{self._rule()}, {fmt(key)} < {fmt(other_key)} ({self.pid(other)})"
        return (
            f"{self._rule()}, tied at {fmt(key)} with {self.pid(other)}: it became ready "
            "first (or, at the same time, comes first in the file)"
        )

    @property
    def report(self) -> dict[str, Any]:
        """Prediction errors so far (mean absolute and relative error per CPU burst); empty
        for the oracle, which makes none."""
        return self.prediction_report()

    def prediction_report(self) -> dict[str, Any]:
        predictor = getattr(self, "predictor", None)
        return {} if predictor is None else predictor.report()
