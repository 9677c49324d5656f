"""A sweep's results: one summary per run, and each point's mean and deviation over seeds."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from schedsim.sweep.grid import SweepPoint


@dataclass(frozen=True)
class SweepResult:
    """A point and the summary metrics of its run (see :func:`schedsim.metrics.summarize`)."""

    point: SweepPoint
    summary: dict[str, Any]


@dataclass(frozen=True)
class Aggregate:
    """The runs of one point over all its seeds: mean and sample standard deviation of each
    summary metric (the deviation is 0 with a single seed)."""

    workload: str
    name: str
    varied: tuple[tuple[str, Any], ...]
    seeds: tuple[int, ...]
    mean: dict[str, float]
    deviation: dict[str, float]


class SweepResults(list[SweepResult]):
    """A sweep's results in grid order: a list, with a short ``repr``, a notebook view, a
    DataFrame and a plot."""

    def __repr__(self) -> str:
        from schedsim.notebook import sweep_repr

        return sweep_repr(self)

    def _repr_html_(self) -> str:
        from schedsim.notebook import sweep_html

        return sweep_html(self)

    def frame(self) -> Any:
        """One row per run: workload, the varied values, the seed and every summary metric,
        as a pandas DataFrame (needs pandas)."""
        from schedsim.frames import rows_frame

        rows = []
        for result in self:
            point = result.point
            row: dict[str, Any] = {"workload": point.workload}
            row.update((name, value) for name, value in point.varied)
            row["seed"] = point.seed
            row.update(
                (key, value)
                for key, value in result.summary.items()
                if isinstance(value, int | float) and not isinstance(value, bool)
            )
            rows.append(row)
        return rows_frame(rows, None)

    def plot(self, metric: str = "avg_turnaround") -> Any:
        """``metric`` against the first varied parameter (a matplotlib Figure)."""
        from schedsim.sweep.plot import sweep_figure

        return sweep_figure(self, metric_key=metric)


def parameters_of(results: Sequence[SweepResult]) -> list[str]:
    """The varied parameters' names, in the order they were given."""
    return [name for name, _ in results[0].point.varied] if results else []


def aggregate(results: Sequence[SweepResult]) -> list[Aggregate]:
    """Group each point's runs over its seeds (grid order kept)."""
    groups: dict[tuple[str, tuple[tuple[str, Any], ...]], list[SweepResult]] = {}
    for result in results:
        groups.setdefault((result.point.workload, result.point.varied), []).append(result)
    aggregates = []
    for (workload, varied), runs in groups.items():
        mean: dict[str, float] = {}
        deviation: dict[str, float] = {}
        for key, value in runs[0].summary.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            values = [float(run.summary[key]) for run in runs]
            mean[key] = statistics.fmean(values)
            deviation[key] = statistics.stdev(values) if len(values) > 1 else 0.0
        aggregates.append(
            Aggregate(
                workload,
                runs[0].point.name,
                varied,
                tuple(run.point.seed for run in runs),
                mean,
                deviation,
            )
        )
    return aggregates


def seeds_of(results: Sequence[SweepResult]) -> list[int]:
    """The distinct seeds, in the order they ran."""
    return list(dict.fromkeys(result.point.seed for result in results))
