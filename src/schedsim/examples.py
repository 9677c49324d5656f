"""The bundled example workloads: the files of the repository's ``workloads/`` directory.

A clone has them at ``workloads/``; an installed schedsim carries every file of that
directory as package data (``schedsim/workloads/``, mapped by ``setup.py``, so a file added
there is shipped without further change).  :func:`examples` lists them with a one-line
description taken from each file's leading comment, and :func:`copy_examples` writes them
where a user can run them (``schedsim examples -o workloads``), so the examples in the
README and in ``--help`` work after ``pip install schedsim`` as well as in a clone.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

from schedsim.atomic import write_atomic
from schedsim.errors import OptionError

PACKAGED = Path(__file__).resolve().parent / "workloads"  # an installed schedsim
CHECKOUT = Path(__file__).resolve().parents[2] / "workloads"  # a clone (src layout)
DESCRIPTION_LENGTH = 76  # characters: beside the longest name, within 100 columns
SHORTEST = 30  # characters a description runs to at least, when the comment has them
WORKLOAD_SUFFIXES = (".yaml", ".yml", ".json", ".csv", ".npz")
# Words that end with a dot without ending a sentence ("OSTEP ch. 7").
_ABBREVIATIONS = {"ch", "e.g", "i.e", "cf", "vs", "fig", "no", "al", "etc", "p", "pp", "sec"}


@dataclass(frozen=True)
class Example:
    """One bundled workload: its name (the file name without extension), path, and the
    first phrase of its leading comment."""

    name: str
    path: Path
    description: str

    @property
    def file_name(self) -> str:
        return self.path.name

    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")


def examples_directory() -> Path:
    """Where the bundled workloads are: the installed package data, else the clone's
    ``workloads/`` (an editable install or ``PYTHONPATH=src``)."""
    for directory in (PACKAGED, CHECKOUT):
        if directory.is_dir():
            return directory
    raise OptionError(
        "the bundled workloads are missing from this installation (reinstall schedsim)"
    )


def examples() -> list[Example]:
    """Every bundled workload, by name."""
    return [
        Example(path.stem, path, describe(path))
        for path in sorted(examples_directory().iterdir())
        if path.is_file() and path.suffix.lower() in WORKLOAD_SUFFIXES
    ]


def find_example(name: str) -> Example:
    """The bundled workload called ``name`` (``classic`` or ``classic.yaml``)."""
    known = examples()
    wanted = Path(name.strip()).name
    for example in known:
        if wanted in (example.name, example.file_name):
            return example
    names = [example.name for example in known]
    close = difflib.get_close_matches(Path(wanted).stem, names, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise OptionError(f"no bundled workload {name!r}; {hint}the examples are: {', '.join(names)}")


def example_for(path: str | Path) -> Example | None:
    """The bundled workload a missing file was meant to be (``workloads/classic.yaml``:
    the name matches), or None."""
    try:
        return next(item for item in examples() if item.file_name == Path(path).name)
    except (OptionError, OSError, StopIteration):
        return None


def copy_examples(chosen: list[Example], directory: str | Path) -> list[tuple[Path, bool]]:
    """Write ``chosen`` into ``directory`` (made if missing; its parent must exist).  A file
    already there with the same text is left alone; one with other text is an error raised
    before anything is written, so a user's edited copy is never overwritten.  Returns each
    target and whether it was written."""
    target = Path(directory)
    if target.exists() and not target.is_dir():
        raise OptionError(f"-o {directory}: not a directory")
    if not target.exists() and not target.parent.is_dir():
        raise OptionError(f"-o {directory}: directory '{target.parent}' does not exist")
    plan: list[tuple[Path, Example, bool]] = []
    clashes: list[str] = []
    for example in chosen:
        destination = target / example.file_name
        if destination.exists():
            same = destination.is_file() and destination.read_bytes() == example.path.read_bytes()
            if not same:
                clashes.append(str(destination))
            plan.append((destination, example, False))
        else:
            plan.append((destination, example, True))
    if clashes:
        raise OptionError(
            f"{', '.join(clashes)}: already there with other contents; remove or rename "
            f"{'it' if len(clashes) == 1 else 'them'}, or copy into another directory"
        )
    target.mkdir(exist_ok=True)
    for destination, example, write in plan:
        if write:
            write_atomic(destination, example.path.read_bytes())
    return [(destination, write) for destination, _, write in plan]


def describe(path: Path) -> str:
    """The first phrase of the file's leading ``#`` comment (see :func:`_first_phrase`), at
    most :data:`DESCRIPTION_LENGTH` characters."""
    lines = []
    try:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if not line.startswith("#"):
                    break
                lines.append(line.lstrip("#").strip())
    except (OSError, UnicodeDecodeError):
        return ""
    return _first_phrase(" ".join(line for line in lines if line))


def _first_phrase(text: str) -> str:
    """Up to the first stop (a colon, or a dot ending a sentence, outside brackets and
    quotes) that leaves at least :data:`SHORTEST` characters: "OSTEP ch. 7" alone says
    little, so it runs on to the next stop."""
    depth, quoted = 0, False
    for index, character in enumerate(text):
        if character in "([":
            depth += 1
        elif character in ")]":
            depth = max(0, depth - 1)
        elif character == '"':
            quoted = not quoted
        elif depth == 0 and not quoted and text[index + 1 : index + 2] in (" ", ""):
            word = re.split(r"\s", text[:index])[-1].lower()
            stop = character == ":" or (character == "." and word not in _ABBREVIATIONS)
            if stop and index >= SHORTEST:
                text = text[:index]
                break
    text = text.strip().rstrip(".:")
    if len(text) > DESCRIPTION_LENGTH:
        text = text[: DESCRIPTION_LENGTH - 1].rsplit(" ", 1)[0].rstrip(",;") + "…"
    return text
