"""Reading and writing workload files: YAML, JSON, CSV and NPZ, chosen by extension.

Every loader validates fully and reports *every* problem it finds in one
:class:`~schedsim.errors.WorkloadError`, each phrased ``file: process #3 (pid P4): field:
message`` (YAML, JSON), ``file: row 17 (pid P17): field: message`` (CSV; row N is the N-th
data row, i.e. line N + 1 of the file) or ``file: array[index] (pid P): message`` (NPZ).

One module per format -- :mod:`~schedsim.loaders.documents` (YAML and JSON),
:mod:`~schedsim.loaders.csv_files`, :mod:`~schedsim.loaders.npz_files` -- plus
:mod:`~schedsim.loaders.writers` for saving and :mod:`~schedsim.loaders.common` for what
they share (the limits of one load, reading the file, building the Workload).

Formats:

* YAML / JSON -- a mapping with an optional ``name`` and a ``processes`` list (a bare list
  of processes is accepted too); see :mod:`schedsim.schema` for the fields.
* CSV -- bulk: a header ``pid,arrival,burst`` (or ``bursts``, space-separated CPU, I/O,
  CPU, ... values) plus optional ``priority``, ``tickets``, ``nice`` columns in any order.
  Parsed and checked column-wise, so a million rows load in well under a second: big
  unquoted files by pyarrow's CSV reader, anything it would read differently by numpy.
* NPZ -- bulk: arrays ``pid``, ``arrival``, ``burst_offsets``, ``burst_values`` and optional
  ``priority``, ``tickets``, ``nice``, ``name``; always read with ``allow_pickle=False``.

Limits (their values are in :mod:`schedsim.limits`), so that no file -- hostile or mistaken
-- can exhaust memory or time.  Each is checked before the expensive work it guards (size
before reading, counts while parsing):

* YAML and JSON build one Python object per value, so they are meant for hand-written
  files: at most ``MAX_DOCUMENT_BYTES`` (64 MiB), ``MAX_DOCUMENT_PROCESSES`` (200,000)
  processes and ``BURSTS_PER_PROCESS`` (10) times as many burst values in all (2,000,000);
  at most ``MAX_KEYS`` keys in a mapping and ``NODES_PER_PROCESS`` values per process
  allowed overall, so a document cannot hide millions of values inside one process.
* CSV and NPZ (bulk): at most ``MAX_BULK_BYTES`` (512 MiB; for NPZ the size of the arrays
  once decompressed, so a "zip bomb" is refused before inflating) and
  ``MAX_BULK_PROCESSES`` (10,000,000) processes, counted from the lines before parsing.
* YAML anchors, aliases and tags are rejected (workloads need none, aliases make "billion
  laughs" documents possible, and tags such as ``!!python/object`` would run code in an
  unsafe loader), as is nesting deeper than ``MAX_DEPTH`` levels.

``load_workload(path, max_bytes=..., max_processes=...)`` overrides the byte and process
limits for any format (None lifts them; the burst and value budgets scale with the process
limit).
Whole-number times stay integers: the workload's time dtype is int64 unless some arrival
or burst is written as a non-integer, in which case it is float64.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from schedsim.errors import OptionError, WorkloadError
from schedsim.limits import MAX_HORIZON
from schedsim.loaders.common import (
    FORMAT_DEFAULT,
    SUPPORTED_EXTENSIONS,
    Limit,
    decode,
    format_of,
    limits_for,
    read_file,
)
from schedsim.loaders.csv_files import load_csv
from schedsim.loaders.npz_files import load_npz
from schedsim.loaders.writers import (
    save_workload,
    workload_to_csv,
    workload_to_json,
    workload_to_npz,
    workload_to_yaml,
)
from schedsim.options import parse_time, shown
from schedsim.workload import Time, Workload

TEXT_FORMATS = ("yaml", "json", "csv")

__all__ = [
    "FORMAT_DEFAULT",
    "SUPPORTED_EXTENSIONS",
    "load_workload",
    "load_workload_text",
    "save_workload",
    "workload_from_records",
    "workload_json_schema",
    "workload_to_csv",
    "workload_to_json",
    "workload_to_npz",
    "workload_to_yaml",
]


def load_workload(
    path: str | Path,
    *,
    max_bytes: Limit = FORMAT_DEFAULT,
    max_processes: Limit = FORMAT_DEFAULT,
    until: Time | None = None,
) -> Workload:
    """Read a workload file, fully validated (format chosen by extension).

    ``max_bytes`` and ``max_processes`` bound the file (defaults: 64 MiB and 200,000 for
    YAML and JSON, 512 MiB and 10,000,000 for CSV and NPZ; None: no bound); the job
    instances of periodic tasks count as processes.  ``until`` is the horizon of periodic
    tasks: jobs are released before it (default: one hyperperiod after the last phase)."""
    if until is not None:
        until = check_until(until)
    target = Path(path)
    label = str(path)
    if target.is_dir():
        raise WorkloadError(f"{label}: is a directory, not a workload file")
    suffix = format_of(target)
    bulk = suffix in (".csv", ".npz")
    limits = limits_for(bulk, max_bytes, max_processes)
    data = read_file(target, label, limits.bytes, bulk)
    if suffix in (".csv", ".npz"):
        if until is not None:
            from schedsim.loaders.documents import no_tasks_to_bound

            raise no_tasks_to_bound(label, until)
        load = load_csv if suffix == ".csv" else load_npz
        return load(data, label, target.stem, limits)
    # YAML and JSON are validated with pydantic, imported only for them: a CSV or NPZ
    # run starts faster without it.
    from schedsim.loaders.documents import check_pid_keys, from_document, parse_json, parse_yaml

    text = decode(data, label)
    check_pid_keys(text, label, limits, suffix == ".json")
    if suffix == ".json":
        document: Any = parse_json(text, label, limits)
    else:
        document = parse_yaml(text, label, limits)
    return from_document(document, label, target.stem, limits, until)


def check_until(value: Any) -> Time:
    """A horizon: a number > 0 and at most the longest time allowed (an int stays exact)."""
    try:
        parsed = parse_time(value)
    except OptionError as error:
        raise OptionError(f"--until: {error}") from None
    if parsed > MAX_HORIZON:
        raise OptionError(f"--until: must be <= {MAX_HORIZON:.0e}, got {shown(value)}")
    return parsed


def workload_json_schema() -> dict[str, Any]:
    """The JSON Schema of a workload file, for editors (:mod:`schedsim.schema`)."""
    from schedsim.schema import workload_json_schema as json_schema

    return json_schema()


def load_workload_text(
    text: str,
    *,
    format: str = "yaml",
    name: str = "workload",
    max_processes: Limit = FORMAT_DEFAULT,
) -> Workload:
    """A workload written in a string (a notebook cell, a test), validated exactly like a
    file of that ``format`` (``yaml``, ``json`` or ``csv``); problems are reported against
    ``<text>``."""
    chosen = str(format).strip().lower().lstrip(".")
    if chosen == "yml":
        chosen = "yaml"
    if chosen not in TEXT_FORMATS:
        raise WorkloadError(
            f"<text>: unknown workload format {format!r}; use one of {', '.join(TEXT_FORMATS)}"
        )
    if not isinstance(text, str):
        raise WorkloadError(f"<text>: expected the workload as a string, got {type(text).__name__}")
    label = "<text>"
    bulk = chosen == "csv"
    limits = limits_for(bulk, FORMAT_DEFAULT, max_processes)
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > limits.bytes:
        raise WorkloadError(
            f"{label}: {size:,} bytes, over the {limits.bytes:,}-byte limit for "
            f"{chosen.upper()}; use a file (load_workload(path, max_bytes=...))"
        )
    if bulk:
        return load_csv(text.encode("utf-8", "surrogatepass"), label, name, limits)
    from schedsim.loaders.documents import check_pid_keys, from_document, parse_json, parse_yaml

    check_pid_keys(text, label, limits, chosen == "json")
    document = (
        parse_json(text, label, limits) if chosen == "json" else parse_yaml(text, label, limits)
    )
    return from_document(document, label, name, limits)


def workload_from_records(
    records: Any, *, name: str = "workload", max_processes: Limit = FORMAT_DEFAULT
) -> Workload:
    """A workload from process records (dicts with the keys of a YAML file's processes:
    pid, arrival, burst or bursts, priority, tickets, nice), validated exactly like a file;
    problems are reported against ``<records>``."""
    label = "<records>"
    limits = limits_for(False, FORMAT_DEFAULT, max_processes)
    if isinstance(records, dict | str | bytes):
        raise WorkloadError(
            f"{label}: expected a list of process records (dicts), got {type(records).__name__}"
        )
    try:
        processes = list(records)
    except TypeError:
        raise WorkloadError(
            f"{label}: expected a list of process records (dicts), got {type(records).__name__}"
        ) from None
    from schedsim.loaders.documents import from_document

    return from_document({"name": name, "processes": processes}, label, name, limits)
