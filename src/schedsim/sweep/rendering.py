"""A sweep's results as a text table, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from schedsim import __version__
from schedsim.compare import METRIC_BY_KEY, Metric
from schedsim.engine import TIES
from schedsim.report import fmt
from schedsim.sweep.grid import is_number, label
from schedsim.sweep.results import Aggregate, SweepResult, aggregate, parameters_of, seeds_of
from schedsim.text_console import text_console

SWEEP_METRICS = (
    "avg_turnaround",
    "avg_waiting",
    "avg_response",
    "p95_waiting",
    "p95_response",
    "throughput",
    "cpu_utilisation",
    "context_switches",
)


def sweep_csv(results: Sequence[SweepResult], *, aggregated: bool = False) -> str:
    """One row per run (workload, varied values, seed, metrics), or per point with the mean
    and standard deviation of each metric over the seeds (``aggregated``)."""
    names = parameters_of(results)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if aggregated:
        metric_columns = [f"{key}_{kind}" for key in SWEEP_METRICS for kind in ("mean", "sd")]
        writer.writerow(["workload", *names, "seeds", *metric_columns])
        for group in aggregate(results):
            cells: list[Any] = []
            for key in SWEEP_METRICS:
                cells += [_number(group.mean.get(key)), _number(group.deviation.get(key))]
            values = [label(value) for _, value in group.varied]
            writer.writerow([group.workload, *values, len(group.seeds), *cells])
    else:
        writer.writerow(["workload", *names, "seed", *SWEEP_METRICS])
        for result in results:
            point = result.point
            writer.writerow(
                [
                    point.workload,
                    *(label(value) for _, value in point.varied),
                    point.seed,
                    *(_number(result.summary.get(key)) for key in SWEEP_METRICS),
                ]
            )
    return buffer.getvalue()


def sweep_json(results: Sequence[SweepResult], *, aggregated: bool = False) -> str:
    """Every run's full summary, the sweep's fixed settings and, when ``aggregated``, the
    mean and standard deviation of each point over its seeds."""
    first = results[0].point if results else None
    names = parameters_of(results)
    document: dict[str, Any] = {
        "version": __version__,
        "policy": first.policy if first else None,
        "options": _fixed(first.options, names) if first else {},
        "settings": _fixed(first.settings, [*names, "seed"]) if first else {},
        "parameters": names,
        "seeds": seeds_of(results),
        "runs": [
            {
                "workload": result.point.workload,
                "name": result.point.name,
                **{name: _json_value(value) for name, value in result.point.varied},
                "seed": result.point.seed,
                "summary": {key: _number(value) for key, value in result.summary.items()},
            }
            for result in results
        ],
    }
    if aggregated:
        document["aggregates"] = [
            {
                "workload": group.workload,
                "name": group.name,
                **{name: _json_value(value) for name, value in group.varied},
                "seeds": len(group.seeds),
                "mean": {key: _number(value) for key, value in group.mean.items()},
                "sd": {key: _number(value) for key, value in group.deviation.items()},
            }
            for group in aggregate(results)
        ]
    return json.dumps(document, indent=2) + "\n"


def sweep_table(
    results: Sequence[SweepResult], *, aggregated: bool | None = None, width: int | None = None
) -> str:
    """The sweep as a text table: one row per run, or per point with ``mean ± sd`` over the
    seeds (``aggregated``; by default when there are several seeds)."""
    from rich.markup import escape
    from rich.table import Table

    seeds = seeds_of(results)
    if aggregated is None:
        aggregated = len(seeds) > 1
    names = parameters_of(results)
    workloads = list(dict.fromkeys(result.point.workload for result in results))
    several = len(workloads) > 1
    metrics = [METRIC_BY_KEY[key] for key in SWEEP_METRICS]
    table = Table(show_edge=False, header_style="")
    if several:
        table.add_column("workload", no_wrap=True)
    for index, name in enumerate(names):
        numeric = all(is_number(result.point.varied[index][1]) for result in results)
        table.add_column(name.replace("_", " "), justify="right" if numeric else "left")
    table.add_column("seeds" if aggregated else "seed", justify="right")
    for chosen in metrics:
        table.add_column(chosen.heading.replace(" ", "\n", 1), justify="right", no_wrap=True)
    if aggregated:
        for group in aggregate(results):
            cells = [_spread(chosen, group) for chosen in metrics]
            shown = [label(value) for _, value in group.varied]
            leading = [escape(group.workload)] if several else []
            table.add_row(*leading, *map(escape, shown), str(len(group.seeds)), *cells)
    else:
        for result in results:
            point = result.point
            shown = [label(value) for _, value in point.varied]
            leading = [escape(point.workload)] if several else []
            cells = [chosen.format(result.summary.get(chosen.key)) for chosen in metrics]
            table.add_row(*leading, *map(escape, shown), str(point.seed), *cells)
    console = text_console(width or 1000, markup=True)  # names escaped
    with console.capture() as capture:
        console.print(escape(sweep_title(results, aggregated=aggregated)))
        console.print(table)
    return "\n".join(line.rstrip() for line in capture.get().splitlines()) + "\n"


def sweep_title(results: Sequence[SweepResult], *, aggregated: bool = False) -> str:
    """``rr on interactive-batch: 8 points × 1 seed = 8 runs; 1 CPU, context switch 0``."""
    if not results:
        return "empty sweep"
    first = results[0].point
    names = parameters_of(results)
    fixed_options = _fixed(first.options, names)
    policy = first.policy
    if fixed_options:
        policy += "(" + ", ".join(f"{k}={label(v)}" for k, v in fixed_options.items()) + ")"
    workloads = list(dict.fromkeys(result.point.name for result in results))
    seeds = seeds_of(results)
    points = len(results) // len(seeds)
    settings = []
    if "cpus" not in names:
        cpus = first.settings.get("cpus", 1)
        settings.append(f"{cpus} CPU{'s' if cpus != 1 else ''}")
    if "context_switch" not in names:
        settings.append(f"context switch {fmt(first.settings.get('context_switch', 0))}")
    if "ties" not in names and first.settings.get("ties", TIES[0]) != TIES[0]:
        settings.append(f"ties {first.settings['ties']}")
    seed_text = f"seed {seeds[0]}" if len(seeds) == 1 else f"seeds {_seed_list(seeds)}"
    text = (
        f"{policy} on {', '.join(workloads)}: {points} point{'s' if points != 1 else ''} × "
        f"{len(seeds)} seed{'s' if len(seeds) != 1 else ''} = {len(results)} "
        f"run{'s' if len(results) != 1 else ''}; {', '.join(settings) or 'engine settings varied'}"
        f"; {seed_text}"
    )
    if aggregated and len(seeds) > 1:
        text += "\nmean ± sample standard deviation over the seeds"
    return text


def _seed_list(seeds: Sequence[int]) -> str:
    if list(seeds) == list(range(seeds[0], seeds[0] + len(seeds))):
        return f"{seeds[0]}..{seeds[-1]}"
    return ",".join(map(str, seeds))


def _spread(chosen: Metric, group: Aggregate) -> str:
    mean, deviation = group.mean.get(chosen.key), group.deviation.get(chosen.key)
    if mean is None or deviation is None:
        return "-"
    if len(group.seeds) == 1:
        return chosen.format(mean)
    return f"{chosen.format(mean)} ± {chosen.format(deviation)}"


def _fixed(values: Mapping[str, Any], varied: Iterable[str]) -> dict[str, Any]:
    skip = set(varied)
    return {key: _json_value(value) for key, value in values.items() if key not in skip}


def _json_value(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_json_value(item) for item in value]
    if isinstance(value, float) and math.isinf(value):
        return "inf"
    return value


def _number(value: Any) -> Any:
    """Floats to 12 significant digits (summaries carry noise like 12.799999999999999),
    non-finite ones as null."""
    if isinstance(value, float):
        return float(f"{value:.12g}") if math.isfinite(value) else None
    return value
