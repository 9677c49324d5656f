"""Saving workloads: YAML, JSON, CSV or NPZ by extension, written atomically."""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Callable, Sequence
from itertools import pairwise
from pathlib import Path

import numpy as np

from schedsim.atomic import write_atomic
from schedsim.loaders.common import (
    ATTRIBUTES,
    format_of,
)
from schedsim.workload import NO_SLICE, Workload


def save_workload(workload: Workload, path: str | Path) -> None:
    """Write ``workload`` to ``path`` (.yaml/.yml, .json, .csv or .npz, by extension).

    The file is written atomically, and loading it back gives the same columns (and the
    same time dtype).  YAML and JSON output is deterministic: the same workload always
    gives a byte-identical file.  Attributes at their default (priority 0, tickets 100,
    nice 0, no slice) are omitted."""
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


def _records(
    workload: Workload,
    number: Callable[[int | float], str],
    string: Callable[[str], str],
) -> list[list[str]]:
    """Per process, its ``key: value`` fields in file order, already formatted (shared by
    the YAML and JSON writers, which differ only in how they spell numbers and strings)."""
    arrivals = workload.arrival.tolist()
    attributes = _attribute_lists(workload)
    keys = {key: string(key) for key in ("pid", "arrival", "burst", "bursts")}
    keys.update({key: string(key) for key, _, _ in attributes})
    keys["slice"] = string("slice")
    slices = workload.slice.tolist()
    records: list[list[str]] = []
    for index, bursts in enumerate(workload.iter_bursts()):
        fields = [
            f"{keys['pid']}: {string(workload.pid[index])}",
            f"{keys['arrival']}: {number(arrivals[index])}",
        ]
        if len(bursts) == 1:
            fields.append(f"{keys['burst']}: {number(bursts[0])}")
        else:
            fields.append(f"{keys['bursts']}: [{', '.join(map(number, bursts))}]")
        for key, values, default in attributes:
            if values[index] != default:
                fields.append(f"{keys[key]}: {values[index]}")
        if slices[index] != NO_SLICE:
            fields.append(f"{keys['slice']}: {number(slices[index])}")
        records.append(fields)
    return records


def workload_to_yaml(workload: Workload) -> str:
    """The canonical YAML form: ``name:`` then a ``processes:`` list in block style."""
    lines = [f"name: {_yaml_string(workload.name)}", "processes:"]
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
    return f'{{\n  "name": {_json_string(workload.name)},\n  "processes": {processes}\n}}\n'


def _csv_field(text: str) -> str:
    if any(character in text for character in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def workload_to_csv(workload: Workload) -> str:
    """The bulk CSV form: ``pid,arrival,burst`` (or ``bursts``, space-separated) and any
    attribute column that is not at its default everywhere (``slice``: empty for none)."""
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
