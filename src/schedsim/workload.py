"""The workload: a set of processes with arrival times, CPU/I-O bursts and attributes.

Stored column-wise (numpy arrays, bursts in CSR form: ``burst_values[burst_offsets[i]:
burst_offsets[i + 1]]`` are process ``i``'s alternating CPU, I/O, CPU, ... bursts) so that a
million-process CSV costs a few arrays, not a million objects, and validation is vectorised.

Times are in the workload's own unit.  A workload whose arrivals and bursts are all integers
keeps an ``int64`` time dtype and the engine then computes in Python integers: results are
exact, with no floating-point drift.

``slice`` is an optional per-process time, the request size EEVDF gives the process (the
kernel's ``sched_attr.sched_runtime``); 0 means none given (the policy's base slice
applies).  Its dtype is int64 when every slice given is an integer, float64 otherwise,
independently of the times' dtype.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from schedsim.errors import WorkloadError

if TYPE_CHECKING:
    from schedsim.program import Program
    from schedsim.realtime.tasks import RealTime

Time = int | float

ARRAY_COLUMNS = (
    "arrival",
    "burst_offsets",
    "burst_values",
    "priority",
    "tickets",
    "nice",
    "slice",
)

DEFAULT_PRIORITY = 0
DEFAULT_TICKETS = 100
DEFAULT_NICE = 0
NO_SLICE = 0  # in the slice column: none given


@dataclass(frozen=True, eq=False)
class Workload:
    """Processes to schedule, in file order (the order breaks every tie)."""

    pid: list[str]
    arrival: np.ndarray
    burst_offsets: np.ndarray
    burst_values: np.ndarray
    priority: np.ndarray
    tickets: np.ndarray
    nice: np.ndarray
    name: str = "workload"
    source: str | None = None
    program: Program | None = None  # scripts and resources, when processes synchronise
    realtime: RealTime | None = None  # tasks and deadlines, when processes have them
    # default: no slice for anyone (filled with zeros for every process)
    slice: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    _index: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Columns are contiguous arrays: loaders may hand over strided views (one column of
        # a parsed block), and the compiled engine reads the arrays in place.
        for column in ARRAY_COLUMNS:
            object.__setattr__(self, column, np.ascontiguousarray(getattr(self, column)))
        n = len(self.pid)
        if len(self.slice) == 0 and n:
            object.__setattr__(self, "slice", np.zeros(n, dtype=np.int64))
        for column in ("arrival", "priority", "tickets", "nice", "slice"):
            if len(getattr(self, column)) != n:
                raise ValueError(
                    f"column {column!r} has {len(getattr(self, column))} rows, not {n}"
                )
        if len(self.burst_offsets) != n + 1:
            raise ValueError("burst_offsets must have one entry more than there are processes")

    # -- construction -------------------------------------------------------------------
    @classmethod
    def from_records(
        cls, records: Sequence[dict[str, object]], *, name: str = "workload"
    ) -> Workload:
        """A workload from process records, validated exactly like a workload file: the
        keys of a YAML file's processes (``pid``, ``arrival``, ``burst`` or ``bursts``,
        ``priority``, ``tickets``, ``nice``, ``slice``), every problem reported in one
        :class:`~schedsim.errors.WorkloadError`.

        >>> Workload.from_records(
        ...     [{"pid": "A", "burst": 3}, {"pid": "B", "arrival": 1, "bursts": [2, 4, 1]}]
        ... )
        """
        from schedsim.loaders import workload_from_records

        return workload_from_records(records, name=name)

    @classmethod
    def from_processes(
        cls,
        processes: Sequence[dict[str, object]],
        *,
        name: str = "workload",
        source: str | None = None,
    ) -> Workload:
        """Assemble columns from dicts that are already valid (keys pid, arrival, bursts
        and optional priority, tickets, nice, slice): nothing is checked, so tests can build
        workloads no file may hold.  Everything else uses :meth:`from_records`, which
        validates."""
        pids = [str(p["pid"]) for p in processes]
        arrivals = [p.get("arrival", 0) for p in processes]
        bursts: list[tuple[Any, ...]] = [
            tuple(p["bursts"]) if "bursts" in p else (p["burst"],)  # type: ignore[arg-type]
            for p in processes
        ]
        lengths = np.fromiter((len(b) for b in bursts), dtype=np.int64, count=len(bursts))
        offsets = np.zeros(len(bursts) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        flat = [value for b in bursts for value in b]
        dtype = time_dtype([*arrivals, *flat])
        return cls(
            pid=pids,
            arrival=np.asarray(arrivals, dtype=dtype),
            burst_offsets=offsets,
            burst_values=np.asarray(flat, dtype=dtype),
            priority=_int_column(processes, "priority", DEFAULT_PRIORITY),
            tickets=_int_column(processes, "tickets", DEFAULT_TICKETS),
            nice=_int_column(processes, "nice", DEFAULT_NICE),
            name=name,
            source=source,
            slice=slice_column([p.get("slice") for p in processes]),
        )

    # -- queries ----------------------------------------------------------------------
    def __repr__(self) -> str:
        """What the workload is, in one line (never its arrays)."""
        from schedsim.notebook import workload_repr

        return workload_repr(self)

    def _repr_html_(self) -> str:
        """A notebook's view: the first processes as a table."""
        from schedsim.notebook import workload_html

        return workload_html(self)

    def to_frame(self) -> Any:
        """The processes as a pandas DataFrame indexed by pid (needs pandas)."""
        from schedsim.frames import workload_frame

        return workload_frame(self)

    def __len__(self) -> int:
        return len(self.pid)

    @property
    def is_integer(self) -> bool:
        """True when every time is an integer, so results are exact integers too."""
        return self.arrival.dtype.kind in "iu"

    def bursts(self, index: int) -> tuple[Time, ...]:
        """Process ``index``'s bursts: CPU, I/O, CPU, ... (always odd length)."""
        start, end = int(self.burst_offsets[index]), int(self.burst_offsets[index + 1])
        return tuple(self.burst_values[start:end].tolist())

    def iter_bursts(self) -> Iterator[tuple[Time, ...]]:
        values = self.burst_values.tolist()
        offsets = self.burst_offsets.tolist()
        for i in range(len(self.pid)):
            yield tuple(values[offsets[i] : offsets[i + 1]])

    def cpu_total(self) -> np.ndarray:
        """Total CPU demand per process (sum of the even-position bursts)."""
        return self._sum_bursts(parity=0)

    def io_total(self) -> np.ndarray:
        """Total I/O time per process (sum of the odd-position bursts)."""
        return self._sum_bursts(parity=1)

    def _sum_bursts(self, parity: int) -> np.ndarray:
        n = len(self.pid)
        if len(self.burst_values) == n and parity == 0:
            return self.burst_values.copy()
        position = np.arange(len(self.burst_values)) - np.repeat(
            self.burst_offsets[:-1], np.diff(self.burst_offsets)
        )
        owner = np.repeat(np.arange(n), np.diff(self.burst_offsets))
        mask = (position % 2) == parity
        out = np.zeros(n, dtype=self.burst_values.dtype)
        np.add.at(out, owner[mask], self.burst_values[mask])
        return out

    def job_columns(self) -> dict[str, np.ndarray]:
        """The per-process attributes a policy may read (through its ``JobsView``); a
        workload with deadlines adds each job's absolute ``deadline``, its task's ``period``
        (inf for none), ``task`` (the task's position among the tasks) and ``job_number``
        (1 for a task's first job).  ``cpu_bursts`` (how many CPU bursts each process has)
        lets a policy tell a process that finishes from one that blocks for I/O when its
        burst ends, as an operating system does (an exiting task leaves its run queue at
        once)."""
        columns = {
            "arrival": self.arrival,
            "priority": self.priority,
            "tickets": self.tickets,
            "nice": self.nice,
            "slice": self.slice,
            "cpu_bursts": np.diff(self.burst_offsets) // 2 + 1,
        }
        if self.realtime is not None:
            columns.update(self.realtime.job_columns())
        return columns

    @property
    def has_slices(self) -> bool:
        """True when some process asks for a slice of its own."""
        return bool(np.any(self.slice != NO_SLICE))

    @property
    def has_io(self) -> bool:
        return len(self.burst_values) > len(self.pid)

    def index_of(self, pid: str) -> int:
        if not self._index:
            self._index.update({p: i for i, p in enumerate(self.pid)})
        try:
            return self._index[pid]
        except KeyError:
            raise WorkloadError(f"{self.name}: no process with pid {pid!r}") from None


def time_dtype(values: Sequence[object]) -> type:
    """int64 when every value is an integer (bools excluded), float64 otherwise."""
    if all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in values):
        return np.int64
    return np.float64


def slice_column(values: Sequence[object]) -> np.ndarray:
    """The slice column from per-process values (None: not given): int64 when every given
    value is an integer, float64 otherwise."""
    given = [NO_SLICE if value is None else value for value in values]
    return np.asarray(given, dtype=time_dtype(given))


def _int_column(processes: Sequence[dict[str, object]], key: str, default: int) -> np.ndarray:
    return np.asarray([p.get(key, default) for p in processes], dtype=np.int64)
