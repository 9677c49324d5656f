"""The pyarrow CSV path reads every file exactly as the numpy path does.

Rule under test (schedsim.loaders.csv_files): an unquoted CSV body of ``ARROW_CSV_BYTES`` or more is
read by pyarrow; a body that pyarrow would not read exactly as numpy does (hex integers,
padding, nan, empty fields, short rows, integers beyond int64, ...) goes to the numpy path.
Either way the workload -- pids, every array's dtype and bits -- and every error message
are the same.  The tests force the threshold to 0 (pyarrow tried on every file) and to inf
(numpy alone) and compare the two loads on generated files: clean ones, which pyarrow must
then read itself, and messy ones full of bad and odd fields.  pyarrow's float parsing is
checked bit for bit against Python's ``float`` (correct rounding) on hard cases.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable, Iterator
from decimal import Decimal, getcontext
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from schedsim import schema
from schedsim.errors import WorkloadError
from schedsim.loaders import csv_files as csv_loader
from schedsim.loaders import load_workload
from schedsim.workload import Workload

ARRAYS = ("arrival", "burst_offsets", "burst_values", "priority", "tickets", "nice")
FAST, NUMPY = 0.0, math.inf

Outcome = Workload | list[str]


class Recorder:
    """Wraps ``csv_loader._arrow_columns``, noting whether pyarrow read each file itself."""

    def __init__(self) -> None:
        self.read: list[bool] = []
        self.real: Callable[..., Any] = csv_loader._arrow_columns

    def __call__(self, *args: Any) -> Any:
        columns = self.real(*args)
        self.read.append(columns is not None)
        return columns


def outcome(path: Path, threshold: float) -> tuple[Outcome, list[bool]]:
    """The workload read from ``path`` (or its problems), and whether pyarrow read it."""
    recorder = Recorder()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(csv_loader, "ARROW_CSV_BYTES", threshold)
        patch.setattr(csv_loader, "_arrow_columns", recorder)
        try:
            return load_workload(path), recorder.read
        except WorkloadError as error:
            return error.problems, recorder.read


def assert_same(fast: Outcome, slow: Outcome) -> None:
    if isinstance(slow, list):
        assert fast == slow
        return
    assert isinstance(fast, Workload), fast
    assert fast.pid == slow.pid
    for name in ARRAYS:
        mine, theirs = getattr(fast, name), getattr(slow, name)
        assert mine.dtype == theirs.dtype, name
        assert mine.tobytes() == theirs.tobytes(), name


def compare(path: Path, text: str | bytes) -> list[bool]:
    """Write ``text``, load it both ways, check the outcomes agree; whether pyarrow read it."""
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8", newline="")
    else:
        path.write_bytes(text)
    fast, read = outcome(path, FAST)
    slow, never = outcome(path, NUMPY)
    assert never == []
    assert_same(fast, slow)
    return read


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fast") / "w.csv"


# ---------------------------------------------------------------------------------------
# Generated files
# ---------------------------------------------------------------------------------------
def exact_floats() -> st.SearchStrategy[str]:
    """Floats as Python writes them: up to 17 significant digits, any exponent."""
    return st.floats(allow_nan=False, allow_infinity=False).map(repr)


CLEAN_TIMES = st.one_of(
    st.integers(0, 10**6).map(str),
    st.integers(-(2**63), 2**63 - 1).map(str),
    exact_floats(),
    st.floats(0, 1e4).map(lambda value: f"{value:.4f}"),
    st.integers(0, 100).map(lambda value: f"{value}.0"),
)
ODD_TOKENS = [
    "5.0", "+5", "1e5", "1E5", ".5", "5.", "-0", "-0.0", "+.5e-3", "0x10", "0X1f", "nan",
    "NaN", "inf", "-inf", "Infinity", " 5", "5 ", "\t5", "", "abc", "1_0", "1e999", "1e-400",
    "4.9e-324", "2.2250738585072011e-308", "9007199254740993", "--1", "5e", "e5", ".", "-",
    "9223372036854775807", "9223372036854775808", "-9223372036854775808",
    "-9223372036854775809", "١٢", "5\x0b", "\x00",
]  # fmt: skip
MESSY_TIMES = st.one_of(CLEAN_TIMES, st.sampled_from(ODD_TOKENS))
CLEAN_INTEGERS = st.one_of(st.integers(-30, 300), st.integers(-(2**63), 2**63 - 1)).map(str)
MESSY_INTEGERS = st.one_of(CLEAN_INTEGERS, st.sampled_from(ODD_TOKENS))
MESSY_PIDS = st.one_of(
    st.integers(0, 30).map(lambda index: f"P{index}"),
    st.text(alphabet="Pab xXnN09\t._-é\x00", max_size=5),
)


@st.composite
def csv_files(draw: st.DrawFn, clean: bool) -> str:
    """A CSV workload.  Clean ones pyarrow must read itself (their values may still break
    the rules, e.g. be negative); messy ones have odd pids, tokens, spacing and rows."""
    bursts = draw(st.booleans())
    extras = draw(st.lists(st.sampled_from(["priority", "tickets", "nice"]), unique=True))
    columns = draw(st.permutations(["pid", "arrival", "bursts" if bursts else "burst", *extras]))
    times = CLEAN_TIMES if clean else MESSY_TIMES
    integers = CLEAN_INTEGERS if clean else MESSY_INTEGERS
    # one kind per column now and then, so that whole int64 and float64 columns occur
    kinds = {
        name: draw(st.sampled_from([times, times, st.integers(0, 99).map(str), exact_floats()]))
        for name in ("arrival", "burst", "bursts")
    }
    rows: list[str] = []
    for row in range(draw(st.integers(1, 8))):
        fields: list[str] = []
        for name in columns:
            if name == "pid":
                fields.append(f"P{row}" if clean else draw(MESSY_PIDS))
            elif name == "bursts":
                values = draw(st.lists(kinds[name], min_size=1, max_size=5))
                space = " " if clean else draw(st.sampled_from([" ", " ", " ", "  ", "\t"]))
                fields.append(space.join(values))
            elif name in ("arrival", "burst"):
                fields.append(draw(kinds[name]))
            else:
                fields.append(draw(integers))
        if not clean and draw(st.integers(0, 9)) == 0:
            fields.append("1")  # a row with a field too many
        rows.append(",".join(fields))
    if clean:
        return ",".join(columns) + "\n" + "\n".join(rows) + draw(st.sampled_from(["\n", ""]))
    header = ",".join(draw(st.sampled_from([name, name.upper(), f" {name} "])) for name in columns)
    if draw(st.integers(0, 9)) == 0:
        rows.insert(draw(st.integers(0, len(rows))), "")  # a blank line
    newline = draw(st.sampled_from(["\n", "\n", "\r\n", "\r"]))
    ending = draw(st.sampled_from(["", newline, newline * 2]))
    bom = draw(st.sampled_from(["", "", "\ufeff"]))
    return bom + header + newline + newline.join(rows) + ending


@given(csv_files(clean=True))
def test_pyarrow_reads_clean_files_as_numpy_does(scratch: Path, text: str) -> None:
    assert compare(scratch, text) == [True]


@given(csv_files(clean=False))
def test_messy_files_load_the_same_either_way(scratch: Path, text: str) -> None:
    compare(scratch, text)


# ---------------------------------------------------------------------------------------
# Which files pyarrow takes
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("token", "read"),
    [
        ("2.5", True),
        ("5.0", True),  # whole values written as floats: float64 after a second look
        ("1e5", True),
        ("-0", True),
        ("9223372036854775807", True),
        ("0x10", False),  # pyarrow reads hex integers; Python does not
        ("+5", False),  # pyarrow: float64; numpy: int64
        ("9223372036854775808", False),  # beyond int64: pyarrow float64, numpy an error
        (" 5", False),
        ("nan", False),
        ("inf", False),
        ("1_0", False),
        ("", False),
    ],
)
def test_pyarrow_leaves_what_it_reads_otherwise(scratch: Path, token: str, read: bool) -> None:
    assert compare(scratch, f"pid,arrival,burst\nP1,{token},3\nP2,1,2\n") == [read]


def test_integer_columns_written_as_floats_go_to_numpy(scratch: Path) -> None:
    assert compare(scratch, "pid,arrival,burst,nice\nP1,0,3,1.5\nP2,1,2,0\n") == [False]


def test_bursts_with_odd_spacing_are_read_by_numpy(scratch: Path) -> None:
    """pyarrow still reads the rest; the bursts text goes to the numpy reader."""
    for bursts in ("5  3 2", " 5 3 2", "5 3 2 ", "5\t3 2", "5 x 2", "0x5 3 2"):
        assert compare(scratch, f"pid,arrival,bursts\nP1,0,{bursts}\nP2,1,4\n") == [True]


def test_quoted_files_never_reach_pyarrow(scratch: Path) -> None:
    assert compare(scratch, 'pid,arrival,burst\n"P1",0,3\nP2,1,2.5\n') == []


def test_small_files_are_read_by_numpy_alone(tmp_path: Path) -> None:
    """Below the threshold numpy reads the file without trying pyarrow (or importing it)."""
    small = tmp_path / "small.csv"
    small.write_text("pid,arrival,burst\nP1,0,3\n")
    recorder = Recorder()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(csv_loader, "_arrow_columns", recorder)
        load_workload(small)
        assert recorder.read == []
        patch.setattr(csv_loader, "ARROW_CSV_BYTES", len("P1,0,3"))
        load_workload(small)
        assert recorder.read == [True]


def test_a_big_file_takes_the_fast_path_by_default(tmp_path: Path) -> None:
    rows = 150_000  # a body over 2 MiB
    path = tmp_path / "big.csv"
    arrival = np.cumsum(np.random.default_rng(3).exponential(0.5, rows)).tolist()
    lines = (f"P{index},{value!r},{index % 7 + 1}\n" for index, value in enumerate(arrival))
    path.write_text("pid,arrival,burst\n" + "".join(lines))
    fast, read = outcome(path, csv_loader.ARROW_CSV_BYTES)
    slow, _ = outcome(path, NUMPY)
    assert read == [True]
    assert_same(fast, slow)
    assert isinstance(fast, Workload) and fast.arrival.tolist() == arrival


# ---------------------------------------------------------------------------------------
# Correct rounding
# ---------------------------------------------------------------------------------------
HARD_FLOATS = [
    "9007199254740993",  # 2**53 + 1: halfway, rounds to even
    "9007199254740993.0000000000000000001",
    "4.9e-324",
    "2.4703282292062327e-324",  # just under half the smallest subnormal: 0
    "2.4703282292062328e-324",  # just over: the smallest subnormal
    "2.2250738585072011e-308",
    "2.2250738585072012e-308",
    "1e300",
    "1.7976931348623157e308",
    "1.7976931348623158e308",
    "1e23",
    "8.98846567431158e307",
    "0.1",
    "1.00000000000000011102230246251565404236316680908203125",  # halfway, to even
    "1.00000000000000011102230246251565404236316680908203125000000000001",
    "123456789012345678901234567890",
    "1e-400",
    "-0.0",
]


def random_floats(count: int) -> Iterator[str]:
    """Random finite doubles written four ways: repr, 17 and 25 significant digits, and
    the exact midpoint with the next double (where rounding is hardest)."""
    getcontext().prec = 800
    generator = np.random.default_rng(11)
    for bits in generator.integers(0, 2**64, count, dtype=np.uint64).tolist():
        value = struct.unpack("<d", struct.pack("<Q", bits))[0]
        if not math.isfinite(value):
            continue
        yield repr(value)
        yield f"{value:.16e}"
        yield f"{value:.24e}"
        following = math.nextafter(value, math.inf)
        if math.isfinite(following):
            yield format((Decimal(value) + Decimal(following)) / 2, "e")


def test_pyarrow_rounds_floats_as_python_does() -> None:
    texts = [*HARD_FLOATS, *random_floats(3000)]
    body = "".join(f"P{index},{text},1\n" for index, text in enumerate(texts)).encode()
    data = b"pid,arrival,burst\n" + body
    columns = csv_loader._arrow_columns(data, 18, len(data) - 1, ["pid", "arrival", "burst"])
    assert columns is not None
    arrival = columns[1]
    assert isinstance(arrival, np.ndarray) and arrival.dtype == np.float64
    expected = np.array([float(text) for text in texts])
    wrong = np.flatnonzero(arrival.view(np.uint64) != expected.view(np.uint64))
    assert [texts[index] for index in wrong] == []


# ---------------------------------------------------------------------------------------
# The duplicate check
# ---------------------------------------------------------------------------------------
def test_colliding_hashes_are_not_duplicates(tmp_path: Path) -> None:
    """Pids whose hashes collide get the exact check: only real duplicates are reported."""
    path = tmp_path / "w.csv"
    path.write_text("pid,arrival,burst\nA,0,1\nB,0,1\nC,0,1\nB,1,1\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(schema, "hash", lambda text: 7, raising=False)
        with pytest.raises(WorkloadError) as caught:
            load_workload(path)
        assert caught.value.problems == [
            f"{path}: row 4 (pid B): pid: duplicate of row 2; pids must be unique"
        ]
        path.write_text("pid,arrival,burst\nA,0,1\nB,0,1\nC,0,1\n")
        assert load_workload(path).pid == ["A", "B", "C"]
