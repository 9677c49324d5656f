"""Parameter sweeps: one policy over a grid of option and engine values, seeds and workloads,
run on a local process pool (the default), in-process, or on a Dask cluster.

Example::

    from schedsim.sweep import plan_sweep, run_sweep, sweep_table

    points = plan_sweep(["workloads/interactive_batch.yaml"], "rr", {"quantum": "1..8"})
    results = run_sweep(points)                  # local process pool
    results = run_sweep(points, executor="tcp://scheduler:8786")   # an existing Dask cluster
    print(sweep_table(results))

Modules
=======

:mod:`~schedsim.sweep.grid`       parsing ``--vary`` and ``--seeds``; planning the points
:mod:`~schedsim.sweep.task`       one point run on its own (what every worker does)
:mod:`~schedsim.sweep.executors`  running the points: in-process, local pool, Dask
:mod:`~schedsim.sweep.results`    the results, and their mean and deviation over seeds
:mod:`~schedsim.sweep.rendering`  the results as a table, CSV or JSON
:mod:`~schedsim.sweep.plot`       one metric against the first varied parameter
"""

from __future__ import annotations

from schedsim.sweep.executors import EXECUTORS, Progress, available_cpus, run_sweep
from schedsim.sweep.grid import (
    ENGINE_PARAMETERS,
    SweepPoint,
    expand_values,
    label,
    option_name,
    parse_seeds,
    parse_vary,
    parse_vary_specs,
    plan_sweep,
)
from schedsim.sweep.plot import Series, save_sweep_plot, sweep_figure, sweep_series
from schedsim.sweep.rendering import SWEEP_METRICS, sweep_csv, sweep_json, sweep_table, sweep_title
from schedsim.sweep.results import (
    Aggregate,
    SweepResult,
    SweepResults,
    aggregate,
    parameters_of,
    seeds_of,
)
from schedsim.sweep.task import cached_workload, run_point

__all__ = [
    "ENGINE_PARAMETERS",
    "EXECUTORS",
    "SWEEP_METRICS",
    "Aggregate",
    "Progress",
    "Series",
    "SweepPoint",
    "SweepResult",
    "SweepResults",
    "aggregate",
    "available_cpus",
    "cached_workload",
    "expand_values",
    "label",
    "option_name",
    "parameters_of",
    "parse_seeds",
    "parse_vary",
    "parse_vary_specs",
    "plan_sweep",
    "run_point",
    "run_sweep",
    "save_sweep_plot",
    "seeds_of",
    "sweep_csv",
    "sweep_figure",
    "sweep_json",
    "sweep_series",
    "sweep_table",
    "sweep_title",
]
