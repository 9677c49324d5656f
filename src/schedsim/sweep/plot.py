"""A sweep's plot: one summary metric against the first varied parameter."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from schedsim.compare import METRIC_BY_KEY
from schedsim.errors import OptionError
from schedsim.gantt import chart_text, plain_text
from schedsim.sweep.grid import is_number, label
from schedsim.sweep.rendering import sweep_title
from schedsim.sweep.results import SweepResult, aggregate, parameters_of, seeds_of

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from schedsim.atomic import Outputs


@dataclass
class Series:
    """One plotted line: its label and (x, mean, deviation) per value of the x parameter."""

    label: str
    x: list[Any] = field(default_factory=list)
    mean: list[float] = field(default_factory=list)
    deviation: list[float] = field(default_factory=list)


def sweep_series(results: Sequence[SweepResult], metric_key: str) -> tuple[str, list[Series]]:
    """The x parameter (the first varied one) and one series per combination of the other
    varied values (and per workload, when there are several)."""
    names = parameters_of(results)
    if not names:
        raise OptionError("--plot needs at least one --vary parameter to put on the x axis")
    several = len({result.point.workload for result in results}) > 1
    series: dict[tuple[Any, ...], Series] = {}
    for group in aggregate(results):
        rest = group.varied[1:]
        key = (group.workload, rest) if several else (rest,)
        parts = [f"{name}={label(value)}" for name, value in rest]
        if several:
            parts.insert(0, group.name)
        line = series.setdefault(key, Series(", ".join(parts) or names[0]))
        line.x.append(group.varied[0][1])
        line.mean.append(group.mean.get(metric_key, math.nan))
        line.deviation.append(group.deviation.get(metric_key, 0.0))
    return names[0], list(series.values())


@plain_text
def sweep_figure(results: Sequence[SweepResult], *, metric_key: str = "avg_turnaround") -> Figure:
    """A line chart of one summary metric against the first varied parameter, one line per
    value of the others; with several seeds each line is the mean, its band ± one standard
    deviation."""
    from matplotlib.figure import Figure

    chosen = METRIC_BY_KEY.get(metric_key)
    heading = chosen.heading if chosen else metric_key
    x_name, series = sweep_series(results, metric_key)
    figure = Figure(figsize=(7.5, 4.5), dpi=110)
    axes = figure.add_subplot()
    numeric = all(is_number(value) and math.isfinite(value) for line in series for value in line.x)
    categories = list(dict.fromkeys(label(value) for line in series for value in line.x))
    position = {category: index for index, category in enumerate(categories)}
    seeds = seeds_of(results)
    for line in series:
        x = line.x if numeric else [position[label(value)] for value in line.x]
        drawn = axes.plot(x, line.mean, marker="o", markersize=4, label=line.label)
        if len(seeds) > 1:
            low = [m - d for m, d in zip(line.mean, line.deviation, strict=True)]
            high = [m + d for m, d in zip(line.mean, line.deviation, strict=True)]
            axes.fill_between(x, low, high, color=drawn[0].get_color(), alpha=0.15, linewidth=0)
    if not numeric:
        axes.set_xticks(range(len(categories)), categories)
    axes.set_xlabel(x_name.replace("_", " "))
    unit = " (mean ± sd over seeds)" if len(seeds) > 1 else ""
    axes.set_ylabel(heading + unit)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    if len(series) > 1:
        axes.legend(fontsize=8, frameon=False)
    axes.set_title(chart_text(sweep_title(results).split(";")[0], 120), fontsize=10, loc="left")
    figure.tight_layout()
    return figure


def save_sweep_plot(
    results: Sequence[SweepResult],
    path: str | Path,
    *,
    metric_key: str = "avg_turnaround",
    outputs: Outputs | None = None,
) -> None:
    """Draw :func:`sweep_figure` and write it atomically (format from the extension);
    with ``outputs``, as one of a command's outputs, written when they all are."""
    from schedsim.atomic import Outputs
    from schedsim.gantt import figure_bytes, image_format

    image_format(path)
    figure = figure_bytes(sweep_figure(results, metric_key=metric_key), path)
    if outputs is not None:
        outputs.write(path, figure)
    else:
        with Outputs() as alone:
            alone.write(path, figure)
