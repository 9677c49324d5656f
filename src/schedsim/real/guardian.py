"""Undo schedsim's changes to kernel settings after a run that could not undo them itself.

Run as ``python guardian.py JOURNAL`` (the file itself, not ``-m``: it must start fast and
import nothing but the standard library) in a session of its own, so that neither Ctrl-C
nor the death of schedsim reaches it.  It waits for its standard input to close — which
happens when schedsim exits, however it exits, SIGKILL included — and then, if the journal
still exists (schedsim did not get to undo its changes), applies it and deletes it.

The journal (written by :mod:`schedsim.real.kernel_settings` before each change) is JSON:
``{"owner": PID, "undo": [STEP, ...]}``, applied last step first; a step is ``{"write":
PATH, "value": TEXT}`` (put a setting back) or ``{"rmdir": PATH, "tasks_to": PATH}``
(remove a cgroup, first moving any task still in it to the cgroup ``tasks_to``).  Every
step is idempotent, so applying a journal twice does no harm.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
from typing import Any

RMDIR_SECONDS = 5.0  # how long a cgroup's last tasks may take to leave it


def apply_journal(path: str) -> bool:
    """Undo what the journal at ``path`` records, then delete it; False if there was none."""
    try:
        with open(path) as handle:
            journal = json.load(handle)
    except FileNotFoundError:
        return False
    except (OSError, ValueError):
        journal = {"undo": []}
    for step in reversed(journal.get("undo", [])):
        with contextlib.suppress(OSError, KeyError, TypeError):
            apply_step(step)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    return True


def apply_step(step: dict[str, Any]) -> None:
    if "write" in step:
        with open(step["write"], "w") as handle:
            handle.write(str(step["value"]))
        return
    directory = step["rmdir"]
    deadline = time.monotonic() + RMDIR_SECONDS
    while os.path.isdir(directory):
        _move_tasks(directory, step.get("tasks_to"))
        try:
            os.rmdir(directory)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _move_tasks(directory: str, target: str | None) -> None:
    if target is None:
        return
    with contextlib.suppress(OSError):
        with open(os.path.join(directory, "tasks")) as handle:
            pids = handle.read().split()
        for pid in pids:
            with contextlib.suppress(OSError), open(os.path.join(target, "tasks"), "w") as out:
                out.write(pid)


def main(arguments: list[str]) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    journal = arguments[0]
    with contextlib.suppress(OSError):
        while sys.stdin.buffer.read(4096):
            pass  # schedsim writes nothing; end of file means it has gone
    apply_journal(journal)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
