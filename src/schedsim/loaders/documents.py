"""YAML and JSON workloads: hand-written files, parsed under the safe loader's rules with
every value counted against the limits, then validated process by process."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import numpy as np
import yaml

from schedsim.digits import HugeInteger, whole_number
from schedsim.errors import WorkloadError
from schedsim.limits import BURSTS_PER_PROCESS, MAX_DEPTH, MAX_KEYS, NODES_PER_PROCESS
from schedsim.loaders.common import ATTRIBUTES, BULK_ADVICE, Limits, build_workload
from schedsim.program import Program, ProgramError, build_program
from schedsim.quoting import describe, is_text, unknown_key_message
from schedsim.realtime.tasks import (
    RealTime,
    TaskProblems,
    expand,
    field_problems,
    has_tasks,
    normalise,
)
from schedsim.schema import FILE_KEYS, PROCESS_KEYS, process_label, validate_processes
from schedsim.workload import Time, Workload, slice_column


def check_pid_keys(text: str, label: str, limits: Limits, is_json: bool) -> None:
    """Refuse, before parsing, a YAML or JSON file with more ``pid`` keys than the process
    limit allows: every process has exactly one, so counting them (three passes at C speed)
    bounds the processes without building a single object.  The messages are those of the
    checks made while parsing (which catch files that leave out their pids)."""
    keys = text.count("pid:") + text.count('pid":') + text.count("pid':")
    if keys <= limits.processes:
        return
    if is_json:
        raise WorkloadError(
            f"{label}: {keys:,} processes, over the limit of {limits.processes:,} for YAML "
            f"and JSON; {BULK_ADVICE}"
        )
    raise WorkloadError(
        f"{label}: more than {limits.processes:,} processes, the limit for YAML and JSON; "
        f"{BULK_ADVICE}"
    )


_YamlParser: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RESOLVER = yaml.resolver.Resolver()
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_RESOLVED_STARTS = frozenset(key for key in yaml.resolver.Resolver.yaml_implicit_resolvers if key)
_TEXT_TAGS = frozenset(
    {"tag:yaml.org,2002:str", "tag:yaml.org,2002:merge", "tag:yaml.org,2002:value"}
)
_NO_KEY = object()


def _plain_scalar(value: str) -> Any:
    """An untagged plain scalar as YAML 1.1 (PyYAML's safe loader) reads it: 5 is an int,
    5.0 a float, yes a bool, ~ null; everything else a string."""
    if value and value[0] not in _RESOLVED_STARTS:
        return value
    if value.isascii() and value.isdigit() and (value[0] != "0" or len(value) == 1):
        return whole_number(value)
    tag = _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))
    if tag in _TEXT_TAGS:
        return value
    try:
        return _CONSTRUCTOR.yaml_constructors[tag](_CONSTRUCTOR, yaml.ScalarNode(tag, value))
    except ValueError:  # an integer too long to convert (+1111..., 1_111..., 1:1111...)
        return HugeInteger(value)


def _at(label: str, mark: Any) -> str:
    if mark is None:
        return label
    return f"{label}: line {mark.line + 1}, column {mark.column + 1}"


def parse_yaml(text: str, label: str, limits: Limits) -> Any:
    """Build plain Python data from the parser's event stream.

    Building from events (not ``yaml.safe_load``) lets the loader refuse anchors, aliases
    and tags, bound the nesting depth before libyaml's recursive composer could overflow the
    C stack, stop early on oversized lists, mappings and documents (counting values as they
    come), and reject duplicate keys, which PyYAML would silently overwrite.  It is also
    several times faster than ``safe_load``."""
    parser = _YamlParser(text)
    containers: list[Any] = []
    keys: list[Any] = []
    root: Any = None
    documents = 0
    nodes = 0
    max_items, max_nodes = limits.processes, limits.values
    scalar_event, mapping_start, sequence_start = (
        yaml.ScalarEvent,
        yaml.MappingStartEvent,
        yaml.SequenceStartEvent,
    )
    ends = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    try:
        while True:
            event = parser.get_event()
            kind = type(event)
            if kind is scalar_event or kind is mapping_start or kind is sequence_start:
                nodes += 1
                if nodes > max_nodes:
                    raise _too_many_values(label, limits)
            if kind is scalar_event:
                if event.anchor is not None:
                    raise _anchor_error(label, event)
                if event.implicit[0]:
                    value = _plain_scalar(event.value)
                elif event.implicit[1] or event.tag == "!":
                    value = event.value
                else:
                    raise _tag_error(label, event)
            elif kind is mapping_start or kind is sequence_start:
                if event.anchor is not None:
                    raise _anchor_error(label, event)
                if event.tag is not None and not event.implicit:
                    raise _tag_error(label, event)
                if len(containers) >= MAX_DEPTH:
                    raise WorkloadError(
                        f"{_at(label, event.start_mark)}: nested deeper than {MAX_DEPTH} levels; "
                        "a workload needs 4 (file, processes, process, bursts)"
                    )
                if containers and keys[-1] is _NO_KEY and type(containers[-1]) is dict:
                    raise WorkloadError(
                        f"{_at(label, event.start_mark)}: a mapping key must be a plain "
                        "value, not a list or mapping"
                    )
                containers.append({} if kind is mapping_start else [])
                keys.append(_NO_KEY)
                continue
            elif kind in ends:
                keys.pop()
                value = containers.pop()
            elif kind is yaml.AliasEvent:
                raise _anchor_error(label, event)
            elif kind is yaml.StreamEndEvent or event is None:
                break
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise WorkloadError(
                        f"{_at(label, event.start_mark)}: more than one YAML document (---); "
                        "a workload file holds exactly one"
                    )
                continue
            else:
                continue
            if not containers:
                root = value
                continue
            parent = containers[-1]
            if type(parent) is list:
                parent.append(value)
                if len(parent) > max_items and len(containers) <= 2:
                    raise WorkloadError(
                        f"{label}: more than {max_items:,} processes, the limit for YAML and "
                        f"JSON; {BULK_ADVICE}"
                    )
            elif keys[-1] is _NO_KEY:
                keys[-1] = value
            else:
                key = keys[-1]
                if key in parent:
                    raise WorkloadError(
                        f"{_at(label, event.start_mark)}: duplicate key {str(key)!r} in the "
                        "same mapping; give each key once"
                    )
                if len(parent) >= MAX_KEYS:
                    raise _too_many_keys(f"{_at(label, event.start_mark)}")
                parent[key] = value
                keys[-1] = _NO_KEY
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or error.context or "invalid YAML"
        if "nesting depth" in problem:  # newer libyaml stops deep documents in its scanner
            raise WorkloadError(
                f"{_at(label, mark)}: nested deeper than {MAX_DEPTH} levels; a workload "
                "needs 4 (file, processes, process, bursts)"
            ) from None
        context = f" ({error.context})" if error.context and error.problem else ""
        index = getattr(mark, "index", -1)
        if 0 <= index < len(text) and text[index] == "\t":
            context += "; indent YAML with spaces, not tabs"
        raise WorkloadError(f"{_at(label, mark)}: YAML syntax error: {problem}{context}") from None
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        column = error.position - text.rfind("\n", 0, error.position)
        character = error.character
        code = character if isinstance(character, int) else ord(character[:1] or "\0")
        raise WorkloadError(
            f"{label}: line {line}, column {column}: character U+{code:04X} is not allowed "
            f"in YAML ({error.reason}); remove it"
        ) from None
    except yaml.YAMLError as error:
        raise WorkloadError(f"{label}: YAML error: {error}") from None
    finally:
        parser.dispose()
    return root


def _too_many_values(label: str, limits: Limits) -> WorkloadError:
    return WorkloadError(
        f"{label}: more than {limits.values:,} values (numbers, strings, lists, mappings), the "
        f"limit for YAML and JSON ({NODES_PER_PROCESS} per process for "
        f"{limits.processes:,} processes, plus {limits.bursts:,} burst values); {BULK_ADVICE}"
    )


def _too_many_keys(where: str) -> WorkloadError:
    return WorkloadError(
        f"{where}: a mapping with more than {MAX_KEYS} keys; a process has at most "
        f"{len(PROCESS_KEYS)} (pid, arrival, burst or bursts, priority, tickets, nice, slice)"
    )


def _anchor_error(label: str, event: Any) -> WorkloadError:
    return WorkloadError(
        f"{_at(label, event.start_mark)}: YAML anchors and aliases (&name, *name) are not "
        "supported in workload files; write each value out"
    )


def _tag_error(label: str, event: Any) -> WorkloadError:
    return WorkloadError(
        f"{_at(label, event.start_mark)}: YAML tag {event.tag!r} is not supported in workload "
        "files; write plain values"
    )


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    if len(pairs) > MAX_KEYS:
        raise _TooManyKeys
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return result


class _TooManyKeys(Exception):
    pass


def parse_json(text: str, label: str, limits: Limits) -> Any:
    """Parse JSON after a cheap upper bound on its size in values: every value but the
    first in a list or mapping follows a comma, and every list or mapping opens with a
    bracket, so a file within the limits has few enough of them (a comma or bracket inside
    a string only makes the bound looser)."""
    separators = text.count(",") + text.count("[") + text.count("{")
    if separators > limits.values:
        raise _too_many_values(label, limits)
    try:
        return json.loads(text, object_pairs_hook=_json_object, parse_int=whole_number)
    except json.JSONDecodeError as error:
        raise WorkloadError(
            f"{label}: line {error.lineno}, column {error.colno}: JSON syntax error: {error.msg}"
        ) from None
    except _DuplicateKey as error:
        raise WorkloadError(
            f"{label}: duplicate key {error.key!r} in the same JSON object; give each key once"
        ) from None
    except _TooManyKeys:
        raise _too_many_keys(label) from None
    except RecursionError:
        raise WorkloadError(
            f"{label}: nested too deeply; a workload needs 4 levels "
            "(file, processes, process, bursts)"
        ) from None


def from_document(
    document: Any, label: str, stem: str, limits: Limits, until: Time | None = None
) -> Workload:
    name = stem
    problems: list[str] = []
    processes: Any = None
    if isinstance(document, list):
        processes = document
    elif isinstance(document, dict):
        if (
            "processes" not in document
            and "policy" in document
            and ("jobs" in document or "summary" in document)
        ):
            raise WorkloadError(
                f"{label}: this is a saved result (of schedsim run or measure), not a workload; "
                f"'schedsim gantt {label}' draws it, 'schedsim compare {label}' tabulates it"
            )
        for key in document:
            if key not in FILE_KEYS:
                problems.append(f"{label}: {unknown_key_message(key, FILE_KEYS)}")
        if "name" in document:
            given = document["name"]
            if isinstance(given, int) and not isinstance(given, bool):
                name = str(given)
            elif isinstance(given, str) and given.strip() and is_text(given):
                name = given
            else:
                problems.append(f"{label}: name: must be a non-empty string, got {describe(given)}")
        if "processes" not in document:
            problems.append(
                f"{label}: processes: field required (a list of processes, each with pid, "
                "arrival and burst or bursts)"
            )
        else:
            processes = document["processes"]
            if not isinstance(processes, list):
                problems.append(
                    f"{label}: processes: must be a list of processes, got {describe(processes)}"
                )
                processes = None
    elif document is None:
        raise WorkloadError(f"{label}: file is empty; expected a mapping with a 'processes' list")
    else:
        raise WorkloadError(
            f"{label}: top level must be a mapping with a 'processes' list (or a list of "
            f"processes), got {describe(document)}"
        )
    if processes is not None:
        if not processes:
            problems.append(f"{label}: processes: must not be empty; give at least one process")
        elif len(processes) > limits.processes:
            raise WorkloadError(
                f"{label}: {len(processes):,} processes, over the limit of "
                f"{limits.processes:,} for YAML and JSON; {BULK_ADVICE}"
            )
        else:
            bursts = sum(
                len(process["bursts"])
                for process in processes
                if type(process) is dict and type(process.get("bursts")) is list
            )
            if bursts > limits.bursts:
                raise WorkloadError(
                    f"{label}: {bursts:,} burst values in all, over the limit of "
                    f"{limits.bursts:,} for YAML and JSON ({BURSTS_PER_PROCESS} per process "
                    f"allowed); {BULK_ADVICE}"
                )
            problems.extend(f"{label}: {message}" for _, message in validate_processes(processes))
    program = None
    realtime: RealTime | None = None
    if not problems and processes is not None:
        labels = [process_label(index, process) for index, process in enumerate(processes)]
        periodic = has_tasks(processes)
        if periodic:
            problems.extend(field_problems(processes, label, labels))
            processes = normalise(processes)
    if not problems and processes is not None:
        pids = [str(process["pid"]) for process in processes]
        resources = document.get("resources") if isinstance(document, dict) else None
        try:
            program = build_program(processes, resources, pids, label, labels)
        except ProgramError as error:
            problems.extend(error.problems)
        if periodic and not problems:
            try:
                processes, program, realtime = expand(
                    processes,
                    program,
                    label=label,
                    labels=labels,
                    until=until,
                    max_jobs=limits.processes,
                )
            except TaskProblems as error:
                problems.extend(error.problems)
    if problems:
        raise WorkloadError(problems)
    if until is not None and realtime is None:
        raise no_tasks_to_bound(label, until)
    workload = _assemble(processes, name, label, program)
    return workload if realtime is None else dataclasses.replace(workload, realtime=realtime)


def no_tasks_to_bound(label: str, until: Time) -> WorkloadError:
    """``--until`` given for a workload without periodic tasks: nothing it could bound."""
    return WorkloadError(
        f"{label}: --until {until}: the workload has no periodic tasks whose releases it "
        "could bound; leave it out"
    )


def _assemble(
    processes: list[dict[str, Any]], name: str, label: str, program: Program | None = None
) -> Workload:
    """Columns from validated process entries (ints stay ints: int64 unless any float).  A
    script's CPU and I/O enter the burst columns summed between its ``io`` steps."""
    pids = [str(process["pid"]) for process in processes]
    arrivals = [process.get("arrival", 0) for process in processes]
    lengths: list[int] = []
    flat: list[Any] = []
    for job, process in enumerate(processes):
        burst = process.get("burst")
        if burst is not None:
            bursts = [burst]
        elif process.get("bursts") is not None:
            bursts = process["bursts"]
        else:
            assert program is not None
            bursts = program.summary_bursts(job)
        flat.extend(bursts)
        lengths.append(len(bursts))
    floating = any(type(value) is float for value in arrivals) or any(
        type(value) is float for value in flat
    )
    dtype = np.float64 if floating else np.int64
    offsets = np.zeros(len(processes) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    attributes = {
        key: np.fromiter(
            (process.get(key, default) for process in processes),
            dtype=np.int64,
            count=len(processes),
        )
        for key, default in ATTRIBUTES
    }
    attributes["slice"] = slice_column([process.get("slice") for process in processes])
    workload = build_workload(
        pids,
        np.asarray(arrivals, dtype=dtype),
        offsets,
        np.asarray(flat, dtype=dtype),
        attributes,
        name,
        label,
    )
    if program is None:
        return workload
    return dataclasses.replace(workload, program=program)
