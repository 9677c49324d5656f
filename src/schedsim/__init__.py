"""schedsim: a CPU-scheduling simulator with a discrete-event engine, textbook and modern
policies, Gantt charts, and a driver that runs the same policies on real processes."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

from schedsim.errors import (
    OptionError,
    PolicyError,
    SchedsimError,
    WorkloadError,
)

if TYPE_CHECKING:
    from schedsim.api import load_workload, simulate
    from schedsim.result import Result
    from schedsim.workload import Workload

# Imported on first use, so that ``import schedsim`` (and so every command, even
# ``schedsim --version``) does not pay for numpy, pydantic and the engine up front.
_LAZY = {
    "load_workload": "schedsim.api",
    "simulate": "schedsim.api",
    "Result": "schedsim.result",
    "Workload": "schedsim.workload",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'schedsim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


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
