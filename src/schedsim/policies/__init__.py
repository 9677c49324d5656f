"""The policy registry: an explicit map from the names users type to policy classes."""

from __future__ import annotations

import difflib
from typing import Any

from schedsim.errors import OptionError
from schedsim.policies.base import JobsView, Policy
from schedsim.policies.coroutines import EventLoop
from schedsim.policies.edf import EDF
from schedsim.policies.eevdf import EEVDF
from schedsim.policies.fair import Fair
from schedsim.policies.fcfs import FCFS
from schedsim.policies.fixed_priority import DeadlineMonotonic, RateMonotonic
from schedsim.policies.gil import GIL
from schedsim.policies.hrrn import HRRN
from schedsim.policies.llf import LLF
from schedsim.policies.lottery import Lottery
from schedsim.policies.mlfq import MLFQ
from schedsim.policies.priority import Priority
from schedsim.policies.rr import RoundRobin
from schedsim.policies.sjf import SJF
from schedsim.policies.srtf import SRTF
from schedsim.policies.stride import Stride

_CLASSES: tuple[type[Policy], ...] = (
    *(FCFS, SJF, SRTF, RoundRobin, MLFQ, Priority, HRRN, Lottery, Stride, Fair, EEVDF),
    *(GIL, EventLoop),  # models of Python runtimes: the GIL, an asyncio event loop
    *(EDF, RateMonotonic, DeadlineMonotonic, LLF),  # real-time: deadlines and periods
)
REGISTRY: dict[str, type[Policy]] = {cls.name: cls for cls in _CLASSES}


def policy_class(name: str) -> type[Policy]:
    """The policy class registered as ``name`` (any case); an unknown name gets the closest
    known one suggested."""
    try:
        return REGISTRY[name.strip().lower()]
    except KeyError:
        known = ", ".join(REGISTRY)
        close = difflib.get_close_matches(name.strip().lower(), list(REGISTRY), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise OptionError(f"unknown policy {name!r}; {hint}choose one of: {known}") from None


def make_policy(name: str, **options: Any) -> Policy:
    """``make_policy("rr", quantum=2)``: look up and construct (options validated)."""
    return policy_class(name)(**options)


__all__ = ["REGISTRY", "JobsView", "Policy", "make_policy", "policy_class"]
