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
    deviation.  Like the other charts: the title names the workload and the policy, the y
    axis starts at 0, whole-number parameters get whole-number ticks, and the legend sits
    beside the lines rather than over them."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    chosen = METRIC_BY_KEY.get(metric_key)
    heading = chosen.heading if chosen else metric_key
    x_name, series = sweep_series(results, metric_key)
    figure = Figure(figsize=(8.5, 4.8), dpi=110, layout="constrained")
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
    elif all(float(value).is_integer() for line in series for value in line.x):
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylim(bottom=0)
    axes.set_xlabel(x_name.replace("_", " "))
    spread = " (mean ± sd over seeds)" if len(seeds) > 1 else ""
    axes.set_ylabel(heading + spread)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    if len(series) > 1:
        axes.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    figure.suptitle(chart_text(sweep_plot_title(results, heading, x_name), 160), fontsize=11)
    return figure


def sweep_plot_title(results: Sequence[SweepResult], heading: str, x_name: str) -> str:
    """``interactive-batch: policy rr, mean waiting against quantum (16 runs)``: the form of
    the other charts' titles (workload, then policy)."""
    first = results[0].point
    workloads = ", ".join(dict.fromkeys(result.point.name for result in results))
    fixed = {
        key: value for key, value in first.options.items() if key not in parameters_of(results)
    }
    options = ", ".join(f"{key}={label(value)}" for key, value in fixed.items())
    policy = first.policy + (f" ({options})" if options else "")
    runs = f"{len(results)} run{'s' if len(results) != 1 else ''}"
    return f"{workloads}: policy {policy}, {heading} against {x_name.replace('_', ' ')} ({runs})"


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
