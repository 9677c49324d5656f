"""Processes that synchronise: the ``run:`` scripts of a workload and the resources they use.

A process may give a script of steps instead of ``burst``/``bursts``::

    resources:
      locks: [bus]                  # mutexes
      semaphores: {slots: 2}        # counting semaphores: initial value
      events: [go]                  # initially clear
      queues: {buffer: 1}           # bounded queues: capacity (>= 1)
    processes:
      - pid: L
        run: [{lock: bus}, {cpu: 4}, {unlock: bus}, {cpu: 1}]

Steps: ``cpu: T`` and ``io: T`` take time; ``lock``/``unlock`` (a mutex), ``acquire``/
``release`` (a semaphore), ``wait``/``set``/``clear`` (an event), ``put``/``get`` (a bounded
queue) and ``join: PID`` take none.  A process may also say ``daemon_of: PID``: like a
``multiprocessing`` daemon it is ended the moment that process finishes.

This module holds the workload side: the steps, the declared resources, and the checks made
when a file is loaded (every problem named with its file, process, step and field).  What the
steps *do* at run time is :mod:`schedsim.sync`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from schedsim.limits import MAX_TIME

Time = int | float

# Step kinds.  The numbers appear nowhere outside a run.
CPU, IO, LOCK, UNLOCK, ACQUIRE, RELEASE, WAIT, SET, CLEAR, PUT, GET, JOIN = range(12)
STEP_NAMES = (
    "cpu",
    "io",
    "lock",
    "unlock",
    "acquire",
    "release",
    "wait",
    "set",
    "clear",
    "put",
    "get",
    "join",
)
KIND_OF = {name: kind for kind, name in enumerate(STEP_NAMES)}
# Steps after which a process may have to wait (a CPU burst, for SJF and SRTF, ends at one).
CAN_BLOCK = frozenset({IO, LOCK, ACQUIRE, WAIT, PUT, GET, JOIN})

# The resource kinds and the steps that use each.
RESOURCE_KINDS = ("locks", "semaphores", "events", "queues")
RESOURCE_OF_STEP = {
    LOCK: "locks",
    UNLOCK: "locks",
    ACQUIRE: "semaphores",
    RELEASE: "semaphores",
    WAIT: "events",
    SET: "events",
    CLEAR: "events",
    PUT: "queues",
    GET: "queues",
}
SINGULAR = {"locks": "lock", "semaphores": "semaphore", "events": "event", "queues": "queue"}
MAX_RESOURCES = 10_000  # of each kind
MAX_CAPACITY = 10**9  # semaphore values and queue capacities


class Step(NamedTuple):
    """One step: its kind and its argument — a time (``cpu``, ``io``), the index of a
    resource among those of its kind, or a job index (``join``)."""

    kind: int
    value: Time


@dataclass(frozen=True)
class Resources:
    """The declared resources, each kind in declaration order (indices name them)."""

    locks: tuple[str, ...] = ()
    semaphores: tuple[tuple[str, int], ...] = ()  # name, initial value
    events: tuple[str, ...] = ()
    queues: tuple[tuple[str, int], ...] = ()  # name, capacity

    def names(self, kind: str) -> tuple[str, ...]:
        entries: Sequence[Any] = getattr(self, kind)
        return tuple(entry if isinstance(entry, str) else entry[0] for entry in entries)

    def name_of(self, step: Step) -> str:
        return self.names(RESOURCE_OF_STEP[step.kind])[int(step.value)]

    def as_document(self) -> dict[str, Any]:
        """The ``resources:`` mapping of a workload file (empty kinds left out)."""
        out: dict[str, Any] = {}
        if self.locks:
            out["locks"] = list(self.locks)
        if self.semaphores:
            out["semaphores"] = dict(self.semaphores)
        if self.events:
            out["events"] = list(self.events)
        if self.queues:
            out["queues"] = dict(self.queues)
        return out


@dataclass(frozen=True)
class Program:
    """Every process's script (a plain process's bursts become ``cpu``/``io`` steps), the
    resources, and each process's daemon parent (-1: none)."""

    resources: Resources
    scripts: tuple[tuple[Step, ...], ...]
    daemon_of: tuple[int, ...]
    scripted: tuple[bool, ...] = field(default=())  # which processes gave a run: script

    def uses(self, job: int, kind: str, index: int) -> bool:
        return any(
            step.kind in RESOURCE_OF_STEP
            and RESOURCE_OF_STEP[step.kind] == kind
            and step.value == index
            for step in self.scripts[job]
        )

    def summary_bursts(self, job: int) -> list[Time]:
        """CPU and I/O in the alternating form of ``bursts``: the CPU between two ``io``
        steps summed (0 where two ``io`` steps meet or one starts or ends the script)."""
        out: list[Time] = [0]
        for step in self.scripts[job]:
            if step.kind == CPU:
                out[-1] = out[-1] + step.value
            elif step.kind == IO:
                out.extend([step.value, 0])
        return out

    def step_text(self, job: int, position: int, pids: Sequence[str]) -> str:
        """``lock bus``, ``cpu 4``, ``join P2``: a step as a person reads it."""
        step = self.scripts[job][position]
        name = STEP_NAMES[step.kind]
        if step.kind in (CPU, IO):
            return f"{name} {step.value}"
        if step.kind == JOIN:
            return f"join {pids[int(step.value)]}"
        return f"{name} {self.resources.name_of(step)}"


# -- reading and checking ------------------------------------------------------------------------
def parse_resources(raw: Any, problems: list[str], label: str) -> Resources:
    """The ``resources:`` mapping; every problem is added to ``problems``."""
    if raw is None:
        return Resources()
    if not isinstance(raw, dict):
        problems.append(f"{label}: resources: must be a mapping of {', '.join(RESOURCE_KINDS)}")
        return Resources()
    found: dict[str, Any] = {kind: () for kind in RESOURCE_KINDS}
    seen: dict[str, str] = {}
    for kind, entries in raw.items():
        where = f"{label}: resources: {_plain(kind)}"
        if kind not in RESOURCE_KINDS:
            problems.append(
                f"{label}: resources: unknown kind {_plain(kind)!r}; "
                f"allowed: {', '.join(RESOURCE_KINDS)}"
            )
            continue
        valued = kind in ("semaphores", "queues")
        items = _resource_entries(entries, valued, where, problems)
        if len(items) > MAX_RESOURCES:
            problems.append(f"{where}: more than {MAX_RESOURCES:,} {kind}")
            continue
        kept = []
        for name, value in items:
            if name in seen:
                problems.append(f"{where}: {name!r} is declared twice (also in {seen[name]})")
                continue
            seen[name] = kind
            if kind == "semaphores" and value < 0:
                problems.append(f"{where}: {name}: initial value must be >= 0, got {value}")
            elif kind == "queues" and value < 1:
                problems.append(f"{where}: {name}: capacity must be >= 1, got {value}")
            kept.append((name, value) if valued else name)
        found[kind] = tuple(kept)
    return Resources(**found)


def _resource_entries(
    entries: Any, valued: bool, where: str, problems: list[str]
) -> list[tuple[str, int]]:
    """Names (lists) or name -> number mappings, checked."""
    if valued:
        if not isinstance(entries, dict):
            problems.append(f"{where}: must be a mapping of name: number, e.g. {{slots: 2}}")
            return []
        out = []
        for name, value in entries.items():
            text = _name(name)
            if text is None:
                problems.append(f"{where}: names must be non-empty strings, got {_show(name)}")
            elif isinstance(value, bool) or not isinstance(value, int):
                problems.append(f"{where}: {text}: must be a whole number, got {_show(value)}")
            elif abs(value) > MAX_CAPACITY:
                problems.append(f"{where}: {text}: must be at most {MAX_CAPACITY:,}")
            else:
                out.append((text, value))
        return out
    if not isinstance(entries, list):
        problems.append(f"{where}: must be a list of names, e.g. [bus]")
        return []
    out = []
    for name in entries:
        text = _name(name)
        if text is None:
            problems.append(f"{where}: names must be non-empty strings, got {_show(name)}")
        else:
            out.append((text, 0))
    return out


def parse_script(
    raw: Any,
    job: int,
    resources: Resources,
    pid_index: dict[str, int],
    where: str,
    problems: list[str],
) -> tuple[Step, ...]:
    """One process's ``run:`` list as steps; ``where`` is ``file: process #i (pid P)``."""
    if not isinstance(raw, list) or not raw:
        problems.append(
            f"{where}: run: must be a non-empty list of steps, e.g. "
            "[{cpu: 2}, {lock: bus}, {cpu: 1}, {unlock: bus}]"
        )
        return ()
    steps: list[Step] = []
    for position, entry in enumerate(raw):
        at = f"{where}: run[{position}]"
        if not isinstance(entry, dict) or len(entry) != 1:
            problems.append(
                f"{at}: a step is a mapping with one key ({', '.join(STEP_NAMES)}), "
                f"got {_show(entry)}"
            )
            continue
        ((key, value),) = entry.items()
        kind = KIND_OF.get(key) if isinstance(key, str) else None
        if kind is None:
            problems.append(f"{at}: unknown step {_plain(key)!r}; steps: {', '.join(STEP_NAMES)}")
            continue
        step = _step(kind, value, job, resources, pid_index, f"{at} ({STEP_NAMES[kind]})")
        if isinstance(step, str):
            problems.append(step)
        else:
            steps.append(step)
    if len(steps) == len(raw):
        _check_locking(steps, resources, where, problems)
    return tuple(steps)


def _step(
    kind: int,
    value: Any,
    job: int,
    resources: Resources,
    pid_index: dict[str, int],
    at: str,
) -> Step | str:
    """The step, or the problem with it."""
    if kind in (CPU, IO):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"{at}: must be a number of time units, got {_show(value)}"
        if not (value > 0 and value <= MAX_TIME):  # also false for nan
            return f"{at}: must be > 0 and <= {MAX_TIME:.0e}, got {_show(value)}"
        return Step(kind, value)
    name = _name(value)
    if name is None:
        return f"{at}: must name a {_target(kind)}, got {_show(value)}"
    if kind == JOIN:
        if name not in pid_index:
            return f"{at}: no process with pid {name!r}"
        if pid_index[name] == job:
            return f"{at}: a process cannot join itself"
        return Step(kind, pid_index[name])
    kind_name = RESOURCE_OF_STEP[kind]
    names = resources.names(kind_name)
    if name not in names:
        declared = ", ".join(names) if names else "none"
        return (
            f"{at}: unknown {SINGULAR[kind_name]} {name!r}{_suggest(name, names)}; "
            f"declared {kind_name}: {declared}"
        )
    return Step(kind, names.index(name))


def _check_locking(
    steps: Sequence[Step], resources: Resources, where: str, problems: list[str]
) -> None:
    """``unlock`` only what the script holds at that point (a ``multiprocessing.Lock`` may be
    released by anyone, but a mutex released by a process that does not hold it is a bug the
    file should not hide)."""
    held: set[int] = set()
    for position, step in enumerate(steps):
        if step.kind == LOCK:
            held.add(int(step.value))
        elif step.kind == UNLOCK:
            if step.value not in held:
                name = resources.locks[int(step.value)]
                problems.append(
                    f"{where}: run[{position}] (unlock): {name!r} is not held at this point of "
                    "the script (lock it first)"
                )
            held.discard(int(step.value))


def build_program(
    processes: Sequence[dict[str, Any]],
    raw_resources: Any,
    pids: Sequence[str],
    label: str,
    labels: Sequence[str],
) -> Program | None:
    """The workload's Program, or None when no process synchronises (no ``run:``, no
    ``daemon_of`` and no ``resources``).  Raises nothing: the caller turns ``problems`` into
    one error; ``labels[i]`` is ``process #i (pid P)``."""
    problems: list[str] = []
    if (
        raw_resources is None
        and not any("run" in p for p in processes)
        and not any("daemon_of" in p for p in processes)
    ):
        return None
    resources = parse_resources(raw_resources, problems, label)
    pid_index = {pid: index for index, pid in enumerate(pids)}
    scripts: list[tuple[Step, ...]] = []
    daemon_of: list[int] = []
    for job, process in enumerate(processes):
        where = f"{label}: {labels[job]}"
        if "run" in process:
            scripts.append(parse_script(process["run"], job, resources, pid_index, where, problems))
        else:
            scripts.append(_plain_script(process))
        daemon_of.append(_daemon_parent(process.get("daemon_of"), job, pid_index, where, problems))
    if problems:
        raise ProgramError(problems)
    return Program(
        resources=resources,
        scripts=tuple(scripts),
        daemon_of=tuple(daemon_of),
        scripted=tuple("run" in process for process in processes),
    )


class ProgramError(Exception):
    """Problems found in scripts and resources (the loaders report them with the rest)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _plain_script(process: dict[str, Any]) -> tuple[Step, ...]:
    bursts = [process["burst"]] if process.get("burst") is not None else process["bursts"]
    return tuple(Step(CPU if i % 2 == 0 else IO, value) for i, value in enumerate(bursts))


def _daemon_parent(
    raw: Any, job: int, pid_index: dict[str, int], where: str, problems: list[str]
) -> int:
    if raw is None:
        return -1
    name = _name(raw)
    if name is None or name not in pid_index:
        problems.append(f"{where}: daemon_of: no process with pid {_show(raw)}")
        return -1
    if pid_index[name] == job:
        problems.append(f"{where}: daemon_of: a process cannot be its own daemon parent")
        return -1
    return pid_index[name]


def _target(kind: int) -> str:
    return "process" if kind == JOIN else SINGULAR[RESOURCE_OF_STEP[kind]]


def _name(value: Any) -> str | None:
    """Names are strings; integers are read as their decimal string (as pids are)."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value)
    return text if text.strip() else None


def _suggest(name: str, names: Sequence[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _plain(value: Any) -> str:
    text = str(value)
    if not text.isprintable():
        text = repr(text)[1:-1]
    return text if len(text) <= 40 else text[:37] + "..."


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(_plain(value))
    if isinstance(value, dict):
        return f"a mapping with {len(value)} key(s)"
    if isinstance(value, list):
        return f"a list of {len(value)} item(s)"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**30:
        return f"an integer of {len(str(abs(value)))} digits"
    return _plain(repr(value))
