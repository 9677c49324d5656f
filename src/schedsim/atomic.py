"""Writing output files safely: all or nothing.

Everything is written to a temporary file (``.NAME.XXXX.tmp``) in the destination directory
and renamed into place only once complete, so a failed or interrupted run never leaves a
half-written file or a temporary file behind, and an existing file is replaced atomically:
readers see either the old content or the new, never a mix.

:func:`check_writable` runs before any long work: it refuses a missing directory, a
directory given as the file, a path whose parent is a file, and an output that is one of the
command's input files (writing it would destroy the input).  It checks by creating (and
removing) a temporary file, because permission bits say nothing to root, and read-only or
virtual file systems (``/proc``, ``/sys``) refuse only when a file is actually created.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from schedsim.errors import OutputError


def check_writable(path: str | Path, *, inputs: Iterable[str | Path] = ()) -> Path:
    """Fail early — before a long run — if ``path`` cannot be written, or is one of
    ``inputs`` (the same file, also through a link)."""
    target = Path(path)
    if not str(path).strip():
        raise OutputError("output file name is empty; give a file name")
    parent = target.parent
    if target.is_dir():
        raise OutputError(f"{target}: is a directory; give a file name inside it")
    if not parent.is_dir():
        if parent.exists():
            raise OutputError(
                f"{target}: {str(parent)!r} is a file, not a directory; give a path in an "
                "existing directory"
            )
        raise OutputError(f"{target}: directory {str(parent)!r} does not exist; create it first")
    for given in inputs:
        if _same_file(target, Path(given)):
            raise OutputError(
                f"{target}: is the input file {str(given)!r}; writing it would destroy the "
                "input, give another output name"
            )
    if target.exists() and not target.is_file():
        raise OutputError(f"{target}: exists and is not a regular file; give another name")
    _probe(target)
    return target


def _same_file(first: Path, second: Path) -> bool:
    try:
        return first.exists() and second.exists() and os.path.samefile(first, second)
    except OSError:
        return first.absolute() == second.absolute()


def _probe(target: Path) -> None:
    """Create and remove a temporary file beside ``target``: the only test root cannot
    pass by privilege and that a read-only or virtual file system answers truthfully."""
    fd, temporary = _temporary(target)
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(temporary)
    if target.exists() and not os.access(target, os.W_OK):
        raise OutputError(f"{target}: file exists and is not writable")


def _temporary(target: Path) -> tuple[int, str]:
    try:
        return tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as error:
        raise OutputError(
            f"{target}: cannot write in directory {str(target.parent)!r}: {error.strerror or error}"
        ) from None


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
    """Write ``data`` to ``path`` via a temporary file and a rename; an existing file is
    replaced atomically (keeping its mode)."""
    target = check_writable(path)
    payload = data.encode() if isinstance(data, str) else data
    fd, temporary = _temporary(target)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.chmod(temporary, _default_mode(target))
        os.replace(temporary, target)
    except BaseException as error:
        with contextlib.suppress(OSError):
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

    def __enter__(self) -> IO[Any]:
        fd, self.temporary = _temporary(self.target)
        try:
            newline = None if "b" in self.mode else ""
            self.handle: IO[Any] = os.fdopen(fd, self.mode, newline=newline)
        except BaseException:
            os.close(fd)
            os.unlink(self.temporary)
            raise
        return self.handle

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        try:
            self.handle.close()
            if kind is None:
                os.chmod(self.temporary, _default_mode(self.target))
                os.replace(self.temporary, self.target)
        except OSError as error:
            with contextlib.suppress(OSError):
                os.unlink(self.temporary)
            raise OutputError(f"{self.target}: cannot write: {error.strerror or error}") from None
        if kind is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.temporary)
