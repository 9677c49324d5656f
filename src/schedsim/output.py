"""Writing output files safely: all or nothing.

Everything is written to a temporary file in the destination directory and renamed into
place only once complete, so a failed or interrupted run never leaves a half-written file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from schedsim.errors import OutputError


def check_writable(path: str | Path) -> Path:
    """Fail early — before a long run — if ``path`` cannot be written."""
    target = Path(path)
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"{target}: directory {str(parent)!r} does not exist; create it first")
    if target.is_dir():
        raise OutputError(f"{target}: is a directory; give a file name")
    if not os.access(parent, os.W_OK):
        raise OutputError(f"{target}: directory {str(parent)!r} is not writable")
    if target.exists() and not os.access(target, os.W_OK):
        raise OutputError(f"{target}: file exists and is not writable")
    return target


def _default_mode(target: Path) -> int:
    """The mode a plainly created file would get: the existing file's, else 0o666 & ~umask
    (mkstemp's temporary files are 0o600, which would leak into the result)."""
    try:
        return target.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and a rename."""
    target = check_writable(path)
    payload = data.encode() if isinstance(data, str) else data
    fd, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or "."
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.chmod(temporary, _default_mode(target))
        os.replace(temporary, target)
    except BaseException as error:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        if isinstance(error, OSError):
            raise OutputError(f"{target}: cannot write: {error.strerror or error}") from None
        raise


class AtomicFile:
    """Context manager for streamed output: ``with AtomicFile(path) as f: f.write(...)``;
    the file appears only if the block completes."""

    def __init__(self, path: str | Path, mode: str = "w") -> None:
        self.target = check_writable(path)
        self.mode = mode

    def __enter__(self):  # type: ignore[no-untyped-def]
        fd, self.temporary = tempfile.mkstemp(
            prefix=f".{self.target.name}.", suffix=".tmp", dir=self.target.parent or "."
        )
        self.handle = os.fdopen(fd, self.mode, **({"newline": ""} if "b" not in self.mode else {}))
        return self.handle

    def __exit__(self, kind, value, traceback) -> None:  # type: ignore[no-untyped-def]
        self.handle.close()
        if kind is None:
            try:
                os.chmod(self.temporary, _default_mode(self.target))
                os.replace(self.temporary, self.target)
            except OSError as error:
                os.unlink(self.temporary)
                raise OutputError(f"{self.target}: cannot write: {error.strerror}") from None
        else:
            os.unlink(self.temporary)
