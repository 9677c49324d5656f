"""Kernel settings a SCHED_DEADLINE run changes, and the guarantee that they come back.

Two changes, each made only when the run needs it:

* **An exclusive one-CPU cpuset** (``--cpus 1`` on a machine with more CPUs).  The kernel
  refuses SCHED_DEADLINE to a task whose affinity is narrower than its *root domain* (the
  set of CPUs its EDF runs over), so a one-CPU EDF needs a root domain of one CPU: a cgroup
  v1 cpuset ``schedsim-PID`` holding that CPU with ``cpuset.cpu_exclusive`` on, and load
  balancing off in the root cpuset (``cpuset.sched_load_balance`` 0), which makes the
  kernel build a root domain of the child's CPUs alone (Documentation/scheduler/
  sched-deadline.rst, section 5).  The workers join it; nothing else is moved.
* **Admission control lifted** (``kernel.sched_rt_runtime_us`` -1), only if the kernel
  refuses a task with EBUSY: it admits deadline tasks up to 95% of each CPU, less what its
  own servers reserve, and a textbook task set at U = 0.94 asks for more.  The scheduling
  itself is unchanged: the kernel's EDF still decides.

Every change is recorded in a journal (``/run/schedsim/kernel-settings-PID.json``) *before*
it is made, and undone, last first, when the run ends — in a ``finally`` block (errors,
Ctrl-C) and, should schedsim die without running it (SIGKILL, a crash of the interpreter),
by a guardian process (:mod:`schedsim.real.guardian`) that waits for schedsim's end and
applies the journal if it is still there.  A journal left by a run whose process and
guardian are both gone (the machine lost power mid-run, say) is applied by the next
SCHED_DEADLINE run before it changes anything.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from schedsim.errors import ExecutionError
from schedsim.real.guardian import apply_journal
from schedsim.real.safety import sigint_blocked

RT_RUNTIME = "/proc/sys/kernel/sched_rt_runtime_us"
MOUNTS = "/proc/mounts"
GUARDIAN_SECONDS = 10.0  # how long the guardian may take to exit once the run is over


def journal_directory() -> Path:
    """Where journals live: /run/schedsim where /run is writable, else the temporary
    directory."""
    run = Path("/run")
    if run.is_dir() and os.access(run, os.W_OK):
        return run / "schedsim"
    return Path(tempfile.gettempdir()) / "schedsim"


def cpuset_root() -> tuple[Path, str] | None:
    """The cgroup v1 cpuset hierarchy's root and its files' prefix (``cpuset.`` unless it
    is mounted with ``noprefix``), or None where there is none."""
    try:
        with open(MOUNTS) as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        if len(fields) >= 4 and fields[2] == "cgroup" and "cpuset" in fields[3].split(","):
            root = Path(fields[1])
            prefix = "" if "noprefix" in fields[3].split(",") else "cpuset."
            if (root / f"{prefix}cpus").exists():
                return root, prefix
    return None


def recover_stale(directory: Path | None = None) -> list[Path]:
    """Apply every journal whose run is gone (its owner process is not alive); return
    them."""
    found = []
    folder = directory or journal_directory()
    for path in sorted(folder.glob("kernel-settings-*.json")) if folder.is_dir() else []:
        owner = path.stem.rpartition("-")[2]
        if owner.isdigit() and not _alive(int(owner)):
            apply_journal(str(path))
            found.append(path)
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class KernelSettings:
    """The changes one run makes (a context manager: leaving it undoes them all)."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or journal_directory()
        self.journal = self.directory / f"kernel-settings-{os.getpid()}.json"
        self.undo: list[dict[str, Any]] = []
        self.guardian: subprocess.Popen[bytes] | None = None
        self.cpuset: Path | None = None
        self.prefix = "cpuset."
        self.admission_lifted = False

    def __enter__(self) -> KernelSettings:
        recover_stale(self.directory)
        return self

    def __exit__(self, *exc: object) -> None:
        self.restore()

    # -- changes -----------------------------------------------------------------------------------
    def isolate_cpu(self, cpu: int) -> Path:
        """A cpuset holding ``cpu`` alone, exclusive, with load balancing off in the root:
        a root domain of one CPU.  Returns its directory."""
        found = cpuset_root()
        if found is None:
            raise ExecutionError(
                "--cpus 1 with --kernel-policy deadline needs the cgroup v1 cpuset controller "
                "(a one-CPU root domain is made with an exclusive cpuset), and none is mounted; "
                "use --cpus with every CPU (global EDF)"
            )
        root, prefix = found
        self.prefix = prefix
        directory = root / f"schedsim-{os.getpid()}"
        self._record({"rmdir": str(directory), "tasks_to": str(root)})
        try:
            directory.mkdir()
            self._write(directory / f"{prefix}cpus", str(cpu))
            self._write(directory / f"{prefix}mems", self._read(root / f"{prefix}mems"))
            self.set(root / f"{prefix}cpu_exclusive", "1")
            self.set(root / f"{prefix}sched_load_balance", "0")
            self._write(directory / f"{prefix}cpu_exclusive", "1")
        except OSError as error:
            raise ExecutionError(
                f"could not set up an exclusive cpuset for CPU {cpu} in {root}: "
                f"{error.strerror or error} (another exclusive cpuset may hold it)"
            ) from None
        self.cpuset = directory
        return directory

    def add_task(self, pid: int) -> None:
        """Move process ``pid`` into the isolated CPU's cpuset."""
        assert self.cpuset is not None
        try:
            self._write(self.cpuset / "tasks", str(pid))
        except OSError as error:
            raise ExecutionError(
                f"could not move worker {pid} into {self.cpuset}: {error.strerror or error}"
            ) from None

    def lift_admission(self) -> None:
        """Turn off SCHED_DEADLINE admission control (``sched_rt_runtime_us`` -1)."""
        try:
            self.set(Path(RT_RUNTIME), "-1")
        except OSError as error:
            raise ExecutionError(
                f"the kernel refused the task set (admission control), and {RT_RUNTIME} "
                f"could not be changed: {error.strerror or error}"
            ) from None
        self.admission_lifted = True

    def set(self, path: Path, value: str) -> None:
        """Write ``value`` into the setting ``path``, its old value recorded first (no
        change, no record, when it already holds it)."""
        original = self._read(path)
        if original == value:
            return
        self._record({"write": str(path), "value": original})
        self._write(path, value)

    # -- the journal and the guardian -------------------------------------------------------------
    def _record(self, step: dict[str, Any]) -> None:
        """Add an undo step to the journal (written to disk before the change it undoes)."""
        if self.guardian is None:
            self._start_guardian()
        self.undo.append(step)
        temporary = self.journal.with_suffix(".tmp")
        temporary.write_text(json.dumps({"owner": os.getpid(), "undo": self.undo}))
        os.replace(temporary, self.journal)

    def _start_guardian(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        script = Path(__file__).with_name("guardian.py")
        self.guardian = subprocess.Popen(
            [sys.executable, "-I", str(script), str(self.journal)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def restore(self) -> None:
        """Undo every change (last first), delete the journal, and let the guardian go."""
        with sigint_blocked():
            if self.undo:
                apply_journal(str(self.journal))
                self.undo = []
            if self.guardian is not None:
                with contextlib.suppress(OSError):
                    assert self.guardian.stdin is not None
                    self.guardian.stdin.close()
                try:
                    self.guardian.wait(GUARDIAN_SECONDS)
                except subprocess.TimeoutExpired:  # pragma: no cover - it has nothing to do
                    self.guardian.kill()
                    self.guardian.wait()
                self.guardian = None

    @staticmethod
    def _read(path: Path) -> str:
        return path.read_text().strip()

    @staticmethod
    def _write(path: Path, value: str) -> None:
        with open(path, "w") as handle:
            handle.write(value)
