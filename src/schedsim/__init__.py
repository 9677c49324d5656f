"""schedsim: a CPU-scheduling simulator with a discrete-event engine, textbook and modern
policies, Gantt charts, and a driver that runs the same policies on real processes."""

from __future__ import annotations

__version__ = "0.1.0"

from schedsim.api import load_workload, simulate
from schedsim.errors import (
    OptionError,
    PolicyError,
    SchedsimError,
    WorkloadError,
)
from schedsim.result import Result
from schedsim.workload import Workload

__all__ = [
    "OptionError",
    "PolicyError",
    "Result",
    "SchedsimError",
    "Workload",
    "WorkloadError",
    "__version__",
    "load_workload",
    "simulate",
]
