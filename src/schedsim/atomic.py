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
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from schedsim.errors import OutputError


def check_writable(path: str | Path, *, inputs: Iterable[str | Path] = ()) -> Path:
    """Fail early — before a long run — if ``path`` cannot be written, or is one of
    ``inputs`` (the same file, also through a link)."""
    if not str(path).strip():
        raise OutputError("output file name is empty; give a file name")
    if "\0" in str(path):
        raise OutputError(f"{_name(path)}: a file name cannot hold a NUL character")
    try:
        return _check_writable(Path(path), inputs)
    except OSError as error:  # a name too long for the file system, a loop of links, ...
        raise OutputError(f"{_name(path)}: cannot write: {error.strerror or error}") from None


def _check_writable(target: Path, inputs: Iterable[str | Path]) -> Path:
    parent = target.parent
    if target.is_dir():
        raise OutputError(f"{_name(target)}: is a directory; give a file name inside it")
    if not parent.is_dir():
        if parent.exists():
            raise OutputError(
                f"{_name(target)}: {_name(parent)!r} is a file, not a directory; give a path in an "
                "existing directory"
            )
        raise OutputError(
            f"{_name(target)}: directory {_name(parent)!r} does not exist; create it first"
        )
    for given in inputs:
        if _same_file(target, Path(given)):
            raise OutputError(
                f"{_name(target)}: is the input file {_name(given)!r}; writing it would "
                "destroy the input, give another output name"
            )
    if target.exists() and not target.is_file():
        raise OutputError(f"{_name(target)}: exists and is not a regular file; give another name")
    _probe(target)
    return target


def _name(path: str | Path) -> str:
    """A file name for a message: whole unless very long (a pasted path of thousands of
    characters must not become the message)."""
    text = str(path)
    text = text if text.isprintable() else repr(text)[1:-1]
    return text if len(text) <= 200 else f"{text[:120]}...{text[-60:]} ({len(text):,} characters)"


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
        raise OutputError(f"{_name(target)}: file exists and is not writable")


def _temporary(target: Path) -> tuple[int, str]:
    try:
        return tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as error:
        raise OutputError(
            f"{_name(target)}: cannot write in directory {_name(target.parent)!r}: "
            f"{error.strerror or error}"
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
            raise OutputError(f"{_name(target)}: cannot write: {error.strerror or error}") from None
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
            encoding = None if "b" in self.mode else "utf-8"
            self.handle: IO[Any] = os.fdopen(fd, self.mode, newline=newline, encoding=encoding)
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
            raise OutputError(
                f"{_name(self.target)}: cannot write: {error.strerror or error}"
            ) from None
        if kind is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.temporary)


class Outputs:
    """Every file one command writes, all or nothing.

    Each output is written to its own temporary file beside it as soon as it is ready;
    only when the command has produced all of them are they renamed into place, one after
    the other (a rename within a directory needs no space and cannot be half done).  If
    anything fails before that -- rendering the second file, a full disk while writing the
    first -- every temporary file is removed and no output changes::

        with Outputs(inputs=[workload_file]) as outputs:
            outputs.check(result_path)              # before the long work
            ...
            with outputs.stream(result_path) as handle:
                handle.writelines(chunks)
            outputs.write(image_path, image_bytes)
        # both files now exist, or neither changed

    ``inputs`` are the command's input files: an output that is one of them (also through a
    symbolic link) is refused, as is one file named for two outputs."""

    def __init__(self, inputs: Iterable[str | Path] = ()) -> None:
        self.inputs = [Path(given) for given in inputs]
        self.checked: list[Path] = []
        self.pending: list[tuple[str, Path]] = []  # (temporary file, target)

    def check(self, path: str | Path) -> Path:
        """Fail early if ``path`` cannot be written, is an input, or is already an output."""
        target = check_writable(path, inputs=self.inputs)
        for earlier in self.checked:
            if earlier.absolute() == target.absolute() or _same_file(earlier, target):
                raise OutputError(f"{_name(target)}: named for two outputs; give each its own file")
        self.checked.append(target)
        return target

    def write(self, path: str | Path, data: str | bytes) -> None:
        """Write ``data`` to ``path``'s temporary file (it replaces ``path`` at the end)."""
        payload = data.encode() if isinstance(data, str) else data
        with self.stream(path, "wb") as handle:
            handle.write(payload)

    @contextlib.contextmanager
    def stream(self, path: str | Path, mode: str = "w") -> Iterator[IO[Any]]:
        """``path``'s temporary file, open for writing; an error while writing it (a full
        disk, a file-size limit) is reported as this output's."""
        target = self._target(path)
        fd, temporary = _temporary(target)
        self.pending.append((temporary, target))
        try:
            newline = None if "b" in mode else ""
            encoding = None if "b" in mode else "utf-8"
            with os.fdopen(fd, mode, newline=newline, encoding=encoding) as handle:
                yield handle
        except OSError as error:
            raise OutputError(f"{_name(target)}: cannot write: {error.strerror or error}") from None

    def _target(self, path: str | Path) -> Path:
        given = Path(path)
        for target in self.checked:
            if target == given:
                return target
        return self.check(path)

    def commit(self) -> None:
        """Rename every temporary file into place."""
        try:
            for temporary, target in self.pending:
                os.chmod(temporary, _default_mode(target))
            for temporary, target in self.pending:
                os.replace(temporary, target)
        except OSError as error:
            self.discard()
            raise OutputError(f"cannot write the outputs: {error.strerror or error}") from None
        self.pending = []

    def discard(self) -> None:
        """Remove every temporary file: no output changes."""
        for temporary, _ in self.pending:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        self.pending = []

    def __enter__(self) -> Outputs:
        return self

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()
