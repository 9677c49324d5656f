"""The workload file model (pydantic), and its errors phrased for people.

One :class:`Process` model describes a process entry in YAML and JSON files; it gives the
precise location of every problem and the JSON Schema that editors use for completion.
Pydantic's own messages are never shown: :func:`validate_processes` turns each error into
``process #3 (pid P4): bursts: must have odd length (CPU first and last), got 4 values``.

Times (arrival, bursts) are at most :data:`~schedsim.limits.MAX_TIME` and whole-number
attributes fit in int64; :mod:`schedsim.limits` says why.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from schedsim.columns import NICE_MAX, NICE_MIN
from schedsim.digits import HugeInteger, digit_count
from schedsim.limits import INT64_MAX, INT64_MIN, MAX_TIME
from schedsim.quoting import describe, is_text, plain, unknown_key_message
from schedsim.workload import DEFAULT_NICE, DEFAULT_PRIORITY, DEFAULT_TICKETS


def _check_pid(value: object) -> str:
    """A pid is a non-empty string; an integer is accepted and becomes its decimal string."""
    if isinstance(value, bool) or not isinstance(value, str | int | HugeInteger):
        raise PydanticCustomError("pid_type", "must be a string or an integer")
    if isinstance(value, HugeInteger) or (isinstance(value, int) and digit_count(value) > 100):
        raise PydanticCustomError("pid_long", "an integer pid may have at most 100 digits")
    text = str(value)
    if not text.strip():
        raise PydanticCustomError("pid_empty", "must not be empty")
    if not is_text(text):
        raise PydanticCustomError("pid_text", "must be valid Unicode text (no lone surrogate)")
    return text


def _check_odd(values: list[float]) -> list[float]:
    if len(values) % 2 == 0:
        raise PydanticCustomError(
            "bursts_even",
            "must have odd length (CPU first and last), got {count} values",
            {"count": len(values)},
        )
    return values


Pid = Annotated[
    str,
    BeforeValidator(_check_pid, json_schema_input_type=str | int),
    Field(description="unique process id (integers are read as their decimal string)"),
]
TimeValue = Annotated[float, Field(strict=True, allow_inf_nan=False, le=MAX_TIME)]
Burst = Annotated[TimeValue, Field(gt=0)]
Integer = Annotated[int, Field(strict=True, ge=INT64_MIN, le=INT64_MAX)]


class Process(BaseModel):
    """One process: when it arrives, its bursts, and its scheduling attributes."""

    model_config = ConfigDict(
        extra="forbid",
        title="Process",
        json_schema_extra={
            "oneOf": [
                {"required": ["burst"]},
                {"required": ["bursts"]},
                {"required": ["run"]},
                {"required": ["wcet"]},
            ]
        },
    )

    pid: Pid
    arrival: Annotated[TimeValue, Field(ge=0, description="arrival time, >= 0")] = 0
    burst: Annotated[
        Burst | None, Field(description="one CPU burst, > 0 (give burst or bursts)")
    ] = None
    bursts: Annotated[
        Annotated[list[Burst], Field(min_length=1), AfterValidator(_check_odd)] | None,
        Field(description="CPU, I/O, CPU, ... bursts: odd length, each > 0"),
    ] = None
    run: Annotated[
        list[Any] | None,
        Field(
            description=(
                "a script of steps instead of bursts: {cpu: T}, {io: T}, {lock|unlock: L}, "
                "{acquire|release: S}, {wait|set|clear: E}, {put|get: Q}, {join: PID}"
            ),
        ),
    ] = None
    daemon_of: Annotated[
        Pid | None,
        Field(description="a daemon process: ended the moment this process finishes"),
    ] = None
    period: Annotated[
        Burst | None,
        Field(
            description=(
                "a periodic task: a job is released every period (> 0), named PID#1, PID#2, "
                "...; with releases, the minimum time between two (a sporadic task)"
            )
        ),
    ] = None
    deadline: Annotated[
        Burst | None,
        Field(description="relative deadline of each job, > 0 (default for a task: its period)"),
    ] = None
    wcet: Annotated[
        Burst | None,
        Field(description="CPU time of each job of a task, > 0 (like burst)"),
    ] = None
    phase: Annotated[
        TimeValue | None, Field(ge=0, description="first release of a periodic task, >= 0")
    ] = None
    jobs: Annotated[
        Annotated[int, Field(strict=True, ge=1, le=INT64_MAX)] | None,
        Field(description="how many jobs a periodic task releases (default: up to the horizon)"),
    ] = None
    releases: Annotated[
        Annotated[list[Annotated[TimeValue, Field(ge=0)]], Field(min_length=1)] | None,
        Field(description="a sporadic task's release times (gaps >= period)"),
    ] = None
    priority: Annotated[
        Integer, Field(description="lower is more important (priority policies)")
    ] = DEFAULT_PRIORITY
    tickets: Annotated[Integer, Field(ge=1, description="lottery tickets / stride share, >= 1")] = (
        DEFAULT_TICKETS
    )
    nice: Annotated[
        Integer,
        Field(ge=NICE_MIN, le=NICE_MAX, description="fair-share weight, -20..19"),
    ] = DEFAULT_NICE
    slice: Annotated[
        Burst | None,
        Field(
            description="EEVDF request size (the kernel's sched_runtime), > 0; "
            "default: the policy's base slice"
        ),
    ] = None

    @model_validator(mode="after")
    def _one_burst_field(self) -> Process:
        given = [
            self.burst is not None,
            self.bursts is not None,
            self.run is not None,
            self.wcet is not None,
        ]
        if sum(given) != 1:
            raise PydanticCustomError(
                "burst_choice",
                "both given" if sum(given) > 1 else "neither given",
            )
        return self


class WorkloadFile(BaseModel):
    """A workload file: an optional name and the list of processes (in tie-breaking order)."""

    model_config = ConfigDict(extra="forbid", title="schedsim workload")

    name: Annotated[str, Field(description="workload name (default: the file name)")] = "workload"
    resources: Annotated[
        dict[str, Any] | None,
        Field(
            description=(
                "resources for run: scripts: locks: [names], semaphores: {name: initial "
                "value}, events: [names], queues: {name: capacity}"
            )
        ),
    ] = None
    processes: Annotated[list[Process], Field(min_length=1)]


PROCESS_KEYS = tuple(Process.model_fields)
FILE_KEYS = tuple(WorkloadFile.model_fields)
_PROCESSES = TypeAdapter(list[Process])


def workload_json_schema() -> dict[str, Any]:
    """The JSON Schema of a workload file, for editors (YAML language servers, VS Code)."""
    schema = WorkloadFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


# ---------------------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------------------
def _message(error: Any, field: str) -> str:
    kind = error["type"]
    value = error.get("input")
    context = error.get("ctx") or {}
    got = f", got {describe(value)}"
    if kind == "missing":
        return "field required"
    if isinstance(value, HugeInteger) and field != "pid":
        return f"out of range, got {describe(value)}"
    if kind == "float_type":
        return f"must be a number{got}"
    if kind == "int_type":
        return f"must be an integer{got}"
    if kind == "finite_number":
        return f"must be a finite number{got}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        if field == "nice":
            return f"must be in {NICE_MIN}..{NICE_MAX}{got}"
        operator = {
            "greater_than": ">",
            "greater_than_equal": ">=",
            "less_than": "<",
            "less_than_equal": "<=",
        }[kind]
        bound = next(iter(context.values()))
        if isinstance(bound, float) and bound.is_integer():
            bound = int(bound)
        return f"must be {operator} {bound}{got}"
    if kind == "too_short" and field == "releases":
        return "must not be empty: list the release times, e.g. releases: [0, 40, 95]"
    if kind == "too_short":
        return "must not be empty: give at least one CPU burst, e.g. bursts: [5, 3, 2]"
    if kind == "list_type":
        if field == "run":
            return f"must be a list of steps, e.g. [{{cpu: 2}}, {{lock: bus}}]{got}"
        return f"must be a list of numbers, e.g. [5, 3, 2]{got}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"must be a mapping with keys pid, arrival, burst or bursts, ...{got}"
    if kind in ("pid_type", "pid_empty", "pid_long", "pid_text"):
        return f"{error['msg']}{got}"
    if kind == "bursts_even":
        return str(error["msg"])
    if kind in ("extra_forbidden", "invalid_key"):
        return unknown_key_message(field, PROCESS_KEYS)
    text = str(error["msg"])
    return f"{text[:1].lower()}{text[1:]}{got}"


def process_label(index: int, raw: object) -> str:
    """``process #3 (pid P4)``: 1-based position, and the pid when it is usable."""
    pid = raw.get("pid") if isinstance(raw, dict) else None
    if isinstance(pid, int) and not isinstance(pid, bool):
        pid = str(pid)
    if isinstance(pid, str) and pid.strip():
        return f"process #{index + 1} (pid {plain(pid)})"
    return f"process #{index + 1}"


def _field_label(location: tuple[Any, ...]) -> str:
    if not location:
        return ""
    field = str(location[0])
    if field == "bursts" and len(location) > 1 and isinstance(location[1], int):
        position = location[1]
        return f"bursts[{position}] ({'CPU' if position % 2 == 0 else 'I/O'})"
    if field == "releases" and len(location) > 1 and isinstance(location[1], int):
        return f"releases[{location[1]}]"
    return plain(field)  # an unknown key may hold a line break


def validate_processes(processes: list[Any]) -> list[tuple[int, str]]:
    """Every problem in a list of raw process entries, as (index, message) in file order.

    Messages start at ``process #i (pid P)``; the caller prefixes the file name."""
    problems: list[tuple[int, int, str]] = []
    try:
        _PROCESSES.validate_python(processes)
    except ValidationError as error:
        for order, detail in enumerate(error.errors(include_url=False)):
            location = detail["loc"]
            index = int(location[0])
            rest = tuple(location[1:])
            raw = processes[index]
            if detail["type"] == "burst_choice":
                periodic = isinstance(raw, dict) and "period" in raw
                if detail["msg"] == "both given" and isinstance(raw, dict) and "wcet" in raw:
                    text = (
                        "burst, bursts, run, wcet: give only one of them (wcet for the CPU "
                        "time of each job of a task)"
                    )
                elif detail["msg"] == "both given":
                    text = (
                        "burst, bursts, run: give only one of them (burst for one CPU burst, "
                        "run for a script of steps)"
                    )
                elif periodic:
                    text = (
                        "wcet: field required (give wcet: N, the CPU time of each job, or "
                        "bursts: [cpu, io, cpu, ...] or run: [steps] for each job)"
                    )
                else:
                    text = (
                        "burst: field required (give burst: N for one CPU burst, "
                        "bursts: [cpu, io, cpu, ...], or run: [steps])"
                    )
            else:
                field = _field_label(rest)
                text = f"{field}: {_message(detail, str(rest[0]) if rest else '')}"
                if not field:
                    text = _message(detail, "")
            problems.append((index, order, f"{process_label(index, raw)}: {text}"))
    problems.extend((index, -1, message) for index, message in _duplicate_pids(processes))
    problems.sort(key=lambda item: (item[0], item[1]))
    return [(index, message) for index, _, message in problems]


def _duplicate_pids(processes: list[Any]) -> list[tuple[int, str]]:
    first_seen: dict[str, int] = {}
    found: list[tuple[int, str]] = []
    for index, raw in enumerate(processes):
        if not isinstance(raw, dict):
            continue
        pid = raw.get("pid")
        if isinstance(pid, bool) or not isinstance(pid, str | int) or not str(pid).strip():
            continue
        key = str(pid)
        if key in first_seen:
            found.append(
                (
                    index,
                    f"{process_label(index, raw)}: pid: duplicate of process "
                    f"#{first_seen[key] + 1}; pids must be unique",
                )
            )
        else:
            first_seen[key] = index
    return found
