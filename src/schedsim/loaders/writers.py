"""Saving workloads: YAML, JSON, CSV or NPZ by extension, written atomically."""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Callable, Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from schedsim.atomic import write_atomic
from schedsim.loaders.common import (
    ATTRIBUTES,
    format_of,
)
from schedsim.program import CPU, IO, JOIN, RESOURCE_KINDS, STEP_NAMES, Program, Resources
from schedsim.realtime.tasks import APERIODIC, SPORADIC, Task
from schedsim.workload import NO_SLICE, Workload


def save_workload(workload: Workload, path: str | Path) -> None:
    """Write ``workload`` to ``path`` (.yaml/.yml, .json, .csv or .npz, by extension).

    The file is written atomically, and loading it back gives the same columns (and the
    same time dtype).  YAML and JSON output is deterministic: the same workload always
    gives a byte-identical file.  Attributes at their default (priority 0, tickets 100,
    nice 0, no slice) are omitted.  YAML and JSON also hold ``run:`` scripts with their
    ``resources:`` and daemons, and real-time tasks as declared (a periodic task with the
    number of jobs it released, so the reload has the same jobs whatever its horizon); CSV
    and NPZ hold columns only, and raise ``ValueError`` for a workload they cannot hold."""
    target = Path(path)
    suffix = format_of(target)
    data: str | bytes
    if suffix in (".yaml", ".yml"):
        data = workload_to_yaml(workload)
    elif suffix == ".json":
        data = workload_to_json(workload)
    elif suffix == ".csv":
        data = workload_to_csv(workload)
    else:
        data = workload_to_npz(workload)
    write_atomic(target, data)


def _attribute_lists(workload: Workload) -> list[tuple[str, list[int], int]]:
    return [(key, getattr(workload, key).tolist(), default) for key, default in ATTRIBUTES]


_PLAIN_SAFE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
_YAML_WORDS = frozenset({"yes", "no", "on", "off", "true", "false", "null", "y", "n"})
# characters YAML may hold literally inside double quotes (not line breaks such as U+2028,
# not the byte-order mark, not C0/C1 controls)
_YAML_PRINTABLE = re.compile(
    "[\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)


def _yaml_string(text: str) -> str:
    """``text`` as a YAML scalar that reads back as exactly this string."""
    if _PLAIN_SAFE.match(text) and text.lower() not in _YAML_WORDS:
        return text
    out = ['"']
    for character in text:
        if character in '"\\':
            out.append("\\" + character)
        elif _YAML_PRINTABLE.match(character):
            out.append(character)
        elif ord(character) < 0x10000:
            out.append(f"\\u{ord(character):04x}")
        else:
            out.append(f"\\U{ord(character):08x}")
    out.append('"')
    return "".join(out)


def _yaml_number(value: int | float) -> str:
    """A number as YAML 1.1 reads it back: floats keep a dot so they stay floats."""
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    if "." not in text and "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}.0e{exponent}"
    return text


def _json_number(value: int | float) -> str:
    if isinstance(value, int) or math.isfinite(value):
        return repr(value)  # the shortest text that reads back as the same float
    return json.dumps(value)


class _Fields:
    """Each process's ``key: value`` fields in file order, already formatted (shared by
    the YAML and JSON writers, which differ only in how they spell numbers and strings)."""

    def __init__(
        self,
        workload: Workload,
        number: Callable[[int | float], str],
        string: Callable[[str], str],
    ) -> None:
        self.workload = workload
        self.number = number
        self.string = string
        self.arrivals = workload.arrival.tolist()
        self.attributes = _attribute_lists(workload)
        self.slices = workload.slice.tolist()
        self.bursts = list(workload.iter_bursts())
        self.keys: dict[str, str] = {}  # each key as the format spells it

    def key(self, name: str, value: str) -> str:
        spelled = self.keys.get(name)
        if spelled is None:
            spelled = self.keys[name] = self.string(name)
        return f"{spelled}: {value}"

    def process(self, index: int, *, pid: str | None = None, arrival: bool = True) -> list[str]:
        """One process as written: pid, arrival, its bursts or script, the attributes not
        at their default, its slice and its daemon parent."""
        workload, number = self.workload, self.number
        fields = [self.key("pid", self.string(workload.pid[index] if pid is None else pid))]
        if arrival:
            fields.append(self.key("arrival", number(self.arrivals[index])))
        fields.append(self._body(index))
        for key, values, default in self.attributes:
            if values[index] != default:
                fields.append(self.key(key, str(values[index])))
        if self.slices[index] != NO_SLICE:
            fields.append(self.key("slice", number(self.slices[index])))
        program = workload.program
        if program is not None and program.daemon_of[index] >= 0:
            parent = workload.pid[program.daemon_of[index]]
            fields.append(self.key("daemon_of", self.string(parent)))
        return fields

    def _body(self, index: int) -> str:
        program = self.workload.program
        if program is not None and _scripted(program, index):
            return self.key("run", f"[{', '.join(self._steps(program, index))}]")
        bursts = self.bursts[index]
        if len(bursts) == 1:
            return self.key("burst", self.number(bursts[0]))
        return self.key("bursts", f"[{', '.join(map(self.number, bursts))}]")

    def _steps(self, program: Program, index: int) -> list[str]:
        out = []
        for step in program.scripts[index]:
            if step.kind in (CPU, IO):
                value = self.number(step.value)
            elif step.kind == JOIN:
                value = self.string(self.workload.pid[int(step.value)])
            else:
                value = self.string(program.resources.name_of(step))
            out.append("{" + self.key(STEP_NAMES[step.kind], value) + "}")
        return out

    def task(self, task: Task, jobs: Sequence[int]) -> list[str]:
        """A real-time task as declared: a periodic task with the number of jobs it
        released (so a reload releases the same jobs whatever the horizon), a sporadic one
        with its releases, an aperiodic process with its deadline."""
        number = self.number
        if task.kind == APERIODIC:
            fields = self.process(jobs[0])
            if task.deadline is not None:
                fields.append(self.key("deadline", number(task.deadline)))
            return fields
        if jobs:
            fields = self.process(jobs[0], pid=task.name, arrival=False)
        elif task.suspends or task.scripted:
            raise ValueError(
                f"task {task.name} released no job before the horizon, so the bursts of "
                "its jobs are not known; load the workload with a later --until to save it"
            )
        else:
            fields = [self.key("pid", self.string(task.name)), self.key("wcet", number(task.wcet))]
        assert task.period is not None
        fields.append(self.key("period", number(task.period)))
        if task.deadline is not None and task.deadline != task.period:
            fields.append(self.key("deadline", number(task.deadline)))
        if task.kind == SPORADIC:
            releases = ", ".join(number(self.arrivals[job]) for job in jobs)
            fields.append(self.key("releases", f"[{releases}]"))
            return fields
        if task.phase != 0:
            fields.append(self.key("phase", number(task.phase)))
        if jobs:
            fields.append(self.key("jobs", str(len(jobs))))
        return fields


def _scripted(program: Program, index: int) -> bool:
    """Whether a process is written with ``run:`` (a plain process's bursts, which its
    script merely repeats as ``cpu``/``io`` steps, are written as bursts)."""
    if program.scripted:
        return program.scripted[index]
    return any(step.kind not in (CPU, IO) for step in program.scripts[index])


def _records(
    workload: Workload,
    number: Callable[[int | float], str],
    string: Callable[[str], str],
) -> list[list[str]]:
    """Per process (or per real-time task), its formatted fields in file order."""
    fields = _Fields(workload, number, string)
    realtime = workload.realtime
    if realtime is None:
        return [fields.process(index) for index in range(len(workload.pid))]
    jobs: list[list[int]] = [[] for _ in realtime.tasks]
    for job, task in enumerate(realtime.task.tolist()):
        jobs[task].append(job)
    return [fields.task(task, jobs[position]) for position, task in enumerate(realtime.tasks)]


def _resource_lines(
    resources: Resources, number: Callable[[int | float], str], string: Callable[[str], str]
) -> list[str]:
    """The declared resources, one ``kind: [names]`` or ``kind: {name: value}`` each."""
    lines = []
    for kind in RESOURCE_KINDS:
        entries: Sequence[Any] = getattr(resources, kind)
        if not entries:
            continue
        if kind in ("locks", "events"):
            body = "[" + ", ".join(map(string, entries)) + "]"
        else:
            body = (
                "{" + ", ".join(f"{string(name)}: {number(value)}" for name, value in entries) + "}"
            )
        lines.append(f"{string(kind)}: {body}")
    return lines


def workload_to_yaml(workload: Workload) -> str:
    """The canonical YAML form: ``name:`` then a ``processes:`` list in block style."""
    lines = [f"name: {_yaml_string(workload.name)}"]
    if workload.program is not None:
        resources = _resource_lines(workload.program.resources, _yaml_number, _yaml_string)
        if resources:
            lines.append("resources:")
            lines.extend(f"  {line}" for line in resources)
    lines.append("processes:")
    for fields in _records(workload, _yaml_number, _yaml_string):
        lines.append(f"  - {fields[0]}")
        lines.extend(f"    {field}" for field in fields[1:])
    return "\n".join(lines) + "\n"


_JSON_PLAIN = re.compile(r"[A-Za-z0-9_.:@/+ -]*\Z")


def _json_string(text: str) -> str:
    if _JSON_PLAIN.match(text):
        return f'"{text}"'
    return json.dumps(text, ensure_ascii=False)


def workload_to_json(workload: Workload) -> str:
    """The JSON form: the same structure as YAML, one process per line."""
    records = _records(workload, _json_number, _json_string)
    body = ",\n    ".join("{" + ", ".join(fields) + "}" for fields in records)
    processes = f"[\n    {body}\n  ]" if records else "[]"
    resources = ""
    if workload.program is not None:
        lines = _resource_lines(workload.program.resources, _json_number, _json_string)
        if lines:
            resources = f'  "resources": {{{", ".join(lines)}}},\n'
    name = _json_string(workload.name)
    return f'{{\n  "name": {name},\n{resources}  "processes": {processes}\n}}\n'


def _csv_field(text: str) -> str:
    if any(character in text for character in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _columns_only(workload: Workload, form: str) -> None:
    """CSV and NPZ hold columns: refuse what they cannot hold rather than drop it."""
    if workload.program is not None and any(
        _scripted(workload.program, index) or workload.program.daemon_of[index] >= 0
        for index in range(len(workload.pid))
    ):
        what = "run: scripts, resources and daemons"
    elif workload.realtime is not None:
        what = "real-time tasks (period, deadline, phase, jobs)"
    else:
        return
    raise ValueError(f"a {form} workload cannot hold {what}; save it as .yaml or .json")


def workload_to_csv(workload: Workload) -> str:
    """The bulk CSV form: ``pid,arrival,burst`` (or ``bursts``, space-separated) and any
    attribute column that is not at its default everywhere (``slice``: empty for none)."""
    _columns_only(workload, "CSV")
    pids = workload.pid
    joined = "\x00".join(pids)
    if any(character in joined for character in ',"\r\n'):
        pids = [_csv_field(pid) for pid in pids]
    header = ["pid", "arrival"]
    columns: list[Sequence[str]] = [pids, list(map(str, workload.arrival.tolist()))]
    if workload.has_io:
        header.append("bursts")
        values = list(map(str, workload.burst_values.tolist()))
        offsets = workload.burst_offsets.tolist()
        columns.append([" ".join(values[start:end]) for start, end in pairwise(offsets)])
    else:
        header.append("burst")
        columns.append(list(map(str, workload.burst_values.tolist())))
    for key, default in ATTRIBUTES:
        values = getattr(workload, key)
        if bool(np.any(values != default)):
            header.append(key)
            columns.append(list(map(str, values.tolist())))
    if workload.has_slices:  # an empty field: no slice of its own
        header.append("slice")
        slices = workload.slice.tolist()
        columns.append([str(value) if value != NO_SLICE else "" for value in slices])
    rows = map(",".join, zip(*columns, strict=True))
    return ",".join(header) + "\n" + "\n".join(rows) + "\n"


def workload_to_npz(workload: Workload) -> bytes:
    """The NPZ form: one array per column, bursts in CSR form (offsets + values)."""
    _columns_only(workload, "NPZ")
    buffer = io.BytesIO()
    arrays: dict[str, np.ndarray] = {
        "pid": np.asarray(workload.pid, dtype=np.str_),
        "arrival": workload.arrival,
        "burst_offsets": workload.burst_offsets,
        "burst_values": workload.burst_values,
        "priority": workload.priority,
        "tickets": workload.tickets,
        "nice": workload.nice,
    }
    if workload.has_slices:
        arrays["slice"] = workload.slice
    arrays["name"] = np.asarray(workload.name, dtype=np.str_)
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    return buffer.getvalue()
