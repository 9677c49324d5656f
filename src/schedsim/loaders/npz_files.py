"""NPZ workloads (bulk): numpy arrays, read with ``allow_pickle=False`` and checked before
anything is inflated."""

from __future__ import annotations

import io
import math
import zipfile
from collections.abc import Callable

import numpy as np

from schedsim.columns import check_columns
from schedsim.errors import WorkloadError
from schedsim.limits import INT64_MAX
from schedsim.loaders.common import (
    ATTRIBUTES,
    Limits,
    build_workload,
)
from schedsim.quoting import describe, plain, unknown_key_message
from schedsim.workload import Workload

NPZ_REQUIRED = ("pid", "arrival", "burst_offsets", "burst_values")
NPZ_ARRAYS = (*NPZ_REQUIRED, "priority", "tickets", "nice", "slice", "name")


def load_npz(data: bytes, label: str, stem: str, limits: Limits) -> Workload:
    if data.startswith(b"\x93NUMPY"):
        raise WorkloadError(f"{label}: a single .npy array, not an .npz archive of arrays")
    if not data.startswith(b"PK"):
        raise WorkloadError(f"{label}: not an .npz archive (not a zip file)")
    try:
        archive = np.load(io.BytesIO(data), allow_pickle=False)
    except Exception as error:  # any failure to parse untrusted bytes is a bad archive
        raise WorkloadError(f"{label}: not a readable .npz archive: {_brief(error)}") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise WorkloadError(f"{label}: not an .npz archive (a single .npy array?)")
    with archive:
        members = archive.zip.infolist() if archive.zip is not None else []
        inflated = sum(member.file_size for member in members)
        if inflated > limits.bytes:  # checked before inflating anything: no zip bombs
            raise WorkloadError(
                f"{label}: arrays of {inflated:,} bytes once decompressed, over the "
                f"{limits.bytes:,}-byte limit for CSV and NPZ; raise it with --max-file-size"
            )
        problems = [f"{label}: {problem}" for problem in _member_problems(archive.zip)]
        if problems:
            raise WorkloadError(problems)
        for key in archive.files:
            if key not in NPZ_ARRAYS:
                problems.append(f"{label}: {unknown_key_message(key, NPZ_ARRAYS, 'array')}")
        for key in NPZ_REQUIRED:
            if key not in archive.files:
                problems.append(f"{label}: required array {key!r} is missing")
        if problems:
            raise WorkloadError(problems)
        arrays: dict[str, np.ndarray] = {}
        for key in archive.files:
            try:
                arrays[key] = archive[key]
            except Exception as error:  # a corrupt stream, an unsupported compression, ...
                problems.append(
                    f"{label}: {key}: cannot be read: {_brief(error)} (object arrays are never "
                    "loaded; save strings as a str array, numbers as int or float arrays)"
                )
        if problems:
            raise WorkloadError(problems)
    return _npz_workload(arrays, label, stem, limits)


def _member_problems(archive: zipfile.ZipFile | None) -> list[str]:
    """What is wrong with the archive's members, read from their headers before any array
    is built: a member that is not a ``.npy`` array, an object array, or a header that
    declares more data than the member holds (``shape (10**12,)`` in a kilobyte would make
    numpy allocate terabytes before finding out)."""
    if archive is None:
        return []
    problems = []
    for member in archive.infolist():
        name = plain(member.filename)
        if not member.filename.endswith(".npy"):
            problems.append(f"member {name!r} is not a .npy array; an .npz holds only arrays")
            continue
        try:
            with archive.open(member) as stream:
                version = np.lib.format.read_magic(stream)
                reader = (
                    np.lib.format.read_array_header_1_0
                    if version == (1, 0)
                    else np.lib.format.read_array_header_2_0
                )
                shape, _, dtype = reader(stream)
                header_end = stream.tell()
        except Exception as error:  # any failure here means a bad member
            problems.append(f"{name}: not a readable .npy array: {_brief(error)}")
            continue
        if dtype.hasobject:
            continue  # refused with its own message when read (allow_pickle=False)
        declared = math.prod(shape) * dtype.itemsize
        if declared > member.file_size - header_end:
            problems.append(
                f"{name}: its header declares shape {_shape(shape)} of {dtype} "
                f"({declared:,} bytes), but the member holds {member.file_size:,} bytes"
            )
    return problems


def _shape(shape: tuple[int, ...]) -> str:
    text = str(shape)
    return text if len(text) <= 60 else text[:57] + "..."


def _brief(error: BaseException) -> str:
    """The first line of an error from numpy or zipfile, at most 120 characters."""
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _valid_text(array: np.ndarray) -> bool:
    """A str array holds only characters: no surrogate, nothing above U+10FFFF (numpy
    stores any 32-bit value; Python refuses to turn the invalid ones into a str)."""
    if array.dtype.kind != "U" or array.size == 0:
        return True
    codes = np.ascontiguousarray(array).view(np.uint32)
    invalid = (codes > 0x10FFFF) | ((codes >= 0xD800) & (codes <= 0xDFFF))
    return not bool(np.any(invalid))


def _npz_workload(arrays: dict[str, np.ndarray], label: str, stem: str, limits: Limits) -> Workload:
    problems: list[str] = []

    def shape_problem(key: str, kinds: str, what: str, length: int | None) -> bool:
        array = arrays[key]
        if array.ndim != 1 or array.dtype.kind not in kinds:
            problems.append(
                f"{label}: {key}: must be a 1-D array of {what}, got {array.ndim}-D {array.dtype}"
            )
            return True
        if length is not None and len(array) != length:
            problems.append(f"{label}: {key}: must have {length} entries, got {len(array)}")
            return True
        return False

    if shape_problem("pid", "UiuS", "strings", None):
        raise WorkloadError(problems)
    pid_array = arrays["pid"]
    if pid_array.dtype.kind == "S":
        pid_array = np.char.decode(pid_array, "utf-8", errors="replace")
    if not _valid_text(pid_array):
        raise WorkloadError(
            f"{label}: pid: holds a code point that is not a character (a surrogate, or "
            "above U+10FFFF); save the pids as valid Unicode text"
        )
    if len(pid_array) > limits.processes:
        raise WorkloadError(
            f"{label}: pid: {len(pid_array):,} processes, over the limit of "
            f"{limits.processes:,}; raise it with --max-processes"
        )
    pids = [str(pid) for pid in pid_array.tolist()]
    count = len(pids)
    if count == 0:
        raise WorkloadError(f"{label}: pid: must not be empty; give at least one process")
    shape_problem("arrival", "iuf", "numbers", count)
    shape_problem("burst_offsets", "iu", "integers", count + 1)
    shape_problem("burst_values", "iuf", "numbers", None)
    attributes: dict[str, np.ndarray] = {}
    for key, _ in ATTRIBUTES:
        if key in arrays and not shape_problem(key, "iu", "integers", count):
            column = arrays[key]
            if column.dtype.kind == "u" and len(column) and int(column.max()) > INT64_MAX:
                problems.append(f"{label}: {key}: values must fit in int64")
            attributes[key] = column.astype(np.int64)
    if "slice" in arrays and not shape_problem("slice", "iuf", "numbers", count):
        column = arrays["slice"]
        if column.dtype.kind == "u" and len(column) and int(column.max()) > INT64_MAX:
            problems.append(f"{label}: slice: values must fit in int64")
        attributes["slice"] = column.astype(np.float64 if column.dtype.kind == "f" else np.int64)
    name = stem
    if "name" in arrays:
        given = arrays["name"]
        if given.dtype.kind != "U" or given.size != 1 or not _valid_text(given):
            problems.append(
                f"{label}: name: must be a single string of valid Unicode text, got {given.dtype}"
            )
        else:
            name = str(given.reshape(()).item())
    if problems:
        raise WorkloadError(problems)
    offsets = arrays["burst_offsets"].astype(np.int64)
    values = arrays["burst_values"]
    if offsets[0] != 0 or offsets[-1] != len(values) or bool(np.any(np.diff(offsets) < 0)):
        raise WorkloadError(
            f"{label}: burst_offsets: must start at 0, never decrease, and end at "
            f"len(burst_values) = {len(values)}; got {describe(offsets[0].item())} .. "
            f"{describe(offsets[-1].item())}"
        )
    arrival = arrays["arrival"]
    floating = arrival.dtype.kind == "f" or values.dtype.kind == "f"
    dtype = np.float64 if floating else np.int64
    arrival, values = arrival.astype(dtype), values.astype(dtype)

    def locate(field: str, row: int, position: int | None) -> str:
        pid = f" (pid {plain(pids[row])})" if pids[row].strip() else ""
        if field != "bursts":
            return f"{label}: {field}[{row}]{pid}"
        if position is None:
            return f"{label}: burst_offsets[{row}:{row + 2}]{pid}: bursts"
        kind = "CPU" if position % 2 == 0 else "I/O"
        where = f"pid {plain(pids[row])}, " if pid else ""
        return f"{label}: burst_values[{int(offsets[row]) + position}] ({where}{kind} burst)"

    refer: Callable[[int], str] = lambda row: f"pid[{row}]"  # noqa: E731
    found = check_columns(pids, arrival, offsets, values, attributes, locate, refer)
    if found:
        raise WorkloadError([message for _, message in found])
    return build_workload(pids, arrival, offsets, values, attributes, name, label)
