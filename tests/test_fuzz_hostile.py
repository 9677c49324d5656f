"""Hostile input of every class, generated: no input may reach exit 70.

The contract (README, "Limits and guarantees"): every path that reads user data ends in
success or in one ``Error:`` line and exit 2.  Exit 70 means a bug.  Each class of input
that once escaped as exit 70 is generated here, not just its first example:

- numbers Python cannot hold: integers of thousands of digits (past the 4,300-digit
  conversion limit), integers and floats beyond 1e308, in every numeric field of every
  workload format, in saved results, in every numeric option, ``--vary`` range, ``--seeds``
  range and distribution parameter;
- text that is not plain: lone surrogates, characters the output encoding lacks,
  matplotlib's ``$`` mathtext, rich's ``[markup]``, control characters, very long names, in
  every name (pid, workload name) and through every renderer (table, CSV, JSON, text chart,
  PNG/SVG charts);
- NPZ archives built by hand: headers declaring huge shapes, members that are not arrays,
  corrupt compressed streams, code points that are not characters;
- saved results mutated field by field;
- outputs a command cannot write.

The examples run in-process through click's CliRunner; ``HYPOTHESIS_PROFILE=thorough``
runs many more.  ``test_no_invocation_in_the_corpus_exits_70`` replays a fixed corpus of
one command per class (the cases found by hand) and fails on any exit 70.
"""

from __future__ import annotations

import copy
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from click.testing import Result as Invocation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schedsim import engine
from schedsim.cli import main
from tests.test_fuzz import check_outcome, check_validate_outcome

ROOT = Path(__file__).resolve().parent.parent
CLASSIC = str(ROOT / "workloads" / "classic.yaml")
WITH_IO = str(ROOT / "workloads" / "interactive_batch.yaml")
FUNCTION_SCOPED = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


def examples(default: int) -> int:
    """``default`` examples in the CI profile (the suite's time budget); the profile's own
    count under a larger one (``HYPOTHESIS_PROFILE=thorough``: 1,000 each)."""
    profile = settings.default.max_examples
    return default if profile <= 100 else profile


@pytest.fixture(autouse=True)
def short_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep every fuzzed run short (the slice limit itself is tested in test_limits.py)."""
    monkeypatch.setattr(engine, "DEFAULT_MAX_SLICES_TIMELINE", 100_000)
    monkeypatch.setattr(engine, "DEFAULT_MAX_SLICES", 100_000)


def invoke(*args: Any, env: dict[str, str] | None = None) -> Invocation:
    return CliRunner().invoke(main, [str(arg) for arg in args], env=env)


# -- numbers Python cannot hold ------------------------------------------------------------------
def _digits(count: int, sign: str = "") -> str:
    return sign + "1" * count


giant_numbers = st.one_of(
    st.integers(300, 320).map(lambda n: "1" + "0" * n),  # ints beyond 1e308 (no float)
    st.integers(4_290, 4_310).map(_digits),  # around Python's conversion limit
    st.integers(4_301, 20_000).map(_digits),
    st.integers(4_301, 6_000).map(lambda n: _digits(n, "-")),
    st.sampled_from(["1e309", "-1e309", "1e-400", "1e308", "9223372036854775808", "1" * 19]),
    st.sampled_from(["18446744073709551616", "-9223372036854775809", "0x" + "f" * 2000]),
)
NUMERIC_FIELDS = ["arrival", "burst", "priority", "tickets", "nice"]


def _workload_text(extension: str, field: str, number: str) -> str:
    """classic-like workload with ``number`` written verbatim into ``field`` of P2."""
    values = {"arrival": "0", "burst": "3", "priority": "1", "tickets": "100", "nice": "0"}
    values[field] = number
    if extension == ".csv":
        header = ",".join(["pid", *values])
        return f"{header}\nP1,0,24,0,100,0\nP2,{','.join(values.values())}\n"
    if extension == ".json":
        fields = ", ".join(f'"{key}": {value}' for key, value in values.items())
        return f'{{"processes": [{{"pid": "P1", "burst": 24}}, {{"pid": "P2", {fields}}}]}}'
    lines = "\n".join(f"    {key}: {value}" for key, value in values.items())
    return f"processes:\n  - pid: P1\n    burst: 24\n  - pid: P2\n{lines}\n"


@settings(suppress_health_check=FUNCTION_SCOPED, max_examples=examples(25))
@given(
    number=giant_numbers,
    field=st.sampled_from([*NUMERIC_FIELDS, "pid", "bursts"]),
    extension=st.sampled_from([".yaml", ".json", ".csv"]),
)
def test_giant_numbers_in_every_field_of_every_format(
    tmp_path: Path, number: str, field: str, extension: str
) -> None:
    path = tmp_path / f"w{extension}"
    if field == "pid":
        text = _workload_text(extension, "burst", "3").replace("P2", number)
    elif field == "bursts":
        bursts = f"[{number}, 1, 2]" if extension != ".csv" else f"{number} 1 2"
        text = _workload_text(extension, "burst", "3")
        if extension == ".csv":
            text = text.replace("pid,arrival,burst", "pid,arrival,bursts").replace(
                ",0,3,", f",0,{bursts},", 1
            )
        else:
            text = text.replace("burst: 3", f"bursts: {bursts}").replace(
                '"burst": 3', f'"bursts": {bursts}'
            )
    else:
        text = _workload_text(extension, field, number)
    path.write_text(text)
    check_validate_outcome(invoke("validate", path))
    check_outcome(invoke("run", path, "-p", "hrrn", "--format", "csv"))


OPTION_FLAGS = {
    "run": [
        "--quantum",
        "--levels",
        "--allotment",
        "--boost",
        "--aging",
        "--alpha",
        "--tau0",
        "--target-latency",
        "--min-granularity",
        "--cpus",
        "--context-switch",
        "--seed",
        "--max-slices",
        "--max-processes",
        "--max-file-size",
    ],
    "generate": ["--processes", "--load", "--cpus", "--seed"],
}


@settings(max_examples=examples(30))
@given(
    command=st.sampled_from(["run", "compare", "generate"]),
    flag=st.sampled_from(sorted({flag for flags in OPTION_FLAGS.values() for flag in flags})),
    number=giant_numbers,
)
def test_giant_numbers_in_every_option(command: str, flag: str, number: str) -> None:
    if command == "generate":
        flag = flag if flag in OPTION_FLAGS["generate"] else "--seed"
        arguments = ["generate", "-n", "5", "--arrivals", "batch", "--bursts", "constant:2"]
    elif command == "compare":
        if flag in ("--max-slices", "--alpha", "--tau0"):
            flag = "--quantum"
        arguments = ["compare", CLASSIC, "-P", "fcfs,rr,mlfq,fair", "--format", "csv"]
    else:
        arguments = ["run", WITH_IO, "-p", "mlfq", "--summary-only"]
    check_outcome(invoke(*arguments, flag, number))


@settings(max_examples=examples(30))
@given(
    number=giant_numbers,
    where=st.sampled_from(["vary-high", "vary-low", "vary-list", "seeds", "seeds-list", "mlfq"]),
)
def test_giant_numbers_in_sweep_ranges_and_seeds(number: str, where: str) -> None:
    arguments = ["sweep", CLASSIC, "-p", "rr", "--jobs", "1", "--format", "csv"]
    if where == "vary-high":
        arguments += ["--vary", f"quantum=1..{number}"]
    elif where == "vary-low":
        arguments += ["--vary", f"quantum={number}..2"]
    elif where == "vary-list":
        arguments += ["--vary", f"quantum=1,{number}"]
    elif where == "mlfq":
        arguments = [*arguments[:3], "mlfq", *arguments[4:], "--vary", f"quantum=1/{number}"]
    else:
        arguments[3] = "lottery"
        arguments += ["--seeds", f"0..{number}" if where == "seeds" else f"1,{number}"]
    check_outcome(invoke(*arguments))


DISTRIBUTION_TEMPLATES = [
    "exponential:mean={}",
    "uniform:low=1,high={}",
    "uniform:{}..5",
    "uniform:1..{}",
    "normal:mean={},sd=1",
    "normal:mean=5,sd={}",
    "lognormal:mean={},sigma=1",
    "lognormal:mean=5,sigma={}",
    "pareto:alpha={},min=1",
    "pareto:alpha=2,min={}",
    "constant:{}",
    "mix:{}*constant:1,1*constant:2",
]


@settings(max_examples=examples(30))
@given(
    template=st.sampled_from(DISTRIBUTION_TEMPLATES),
    number=giant_numbers | st.sampled_from(["1e200", "1e15", "1e-300", "5e-324", "30"]),
    flag=st.sampled_from(["--bursts", "--arrivals", "--priorities", "--tickets", "--nice"]),
)
def test_giant_numbers_in_every_distribution_parameter(
    template: str, number: str, flag: str
) -> None:
    spec = template.format(number)
    arguments = ["generate", "-n", "5", "--arrivals", "batch", "--bursts", "constant:2"]
    if flag == "--arrivals":
        arguments[4] = spec
    elif flag == "--bursts":
        arguments[6] = spec
    else:
        arguments += [flag, spec]
    result = invoke(*arguments)
    check_outcome(result)
    assert len(result.stderr) < 1_000, "a long spec is quoted short"


# -- text that is not plain text -----------------------------------------------------------------
HOSTILE_TEXT = [
    "$x$",
    "$",
    "P$2",
    "a$b\\frac{1}{",
    "[/]",
    "[bold]",
    "[link=file:///etc]x",
    ":smile:",
    "%s%d",
    "{0}",
    "\u202eRTL",
    "zero\u200bwidth",
    "e\u0301\u0301\u0301",
    "漢字",
    "🙂",
    "tab\there",
    "line\nbreak",
    "\x1b[31mred",
    "\\",
    "'\"",
    "<svg>&amp;",
    "P" * 150,
    "Q" * 5_000,
]
names = st.sampled_from(HOSTILE_TEXT) | st.text(min_size=1, max_size=30).filter(str.strip)


@settings(suppress_health_check=FUNCTION_SCOPED, max_examples=examples(15))
@given(pid=names, name=names, surrogate=st.booleans())
def test_hostile_names_through_every_renderer(
    tmp_path: Path, pid: str, name: str, surrogate: bool
) -> None:
    """A pid and a workload name of any text: the table, CSV, JSON, the text chart and the
    PNG chart either show it or the file is refused; nothing crashes (a lone surrogate can
    only come from JSON's escapes, and is refused)."""
    pids = [pid, "P2"] if pid != "P2" else [pid, "P3"]
    if surrogate:
        pids[1] = "\ud800"
    document = {
        "name": name,
        "processes": [
            {"pid": pids[0], "bursts": [2, 1, 2]},
            {"pid": pids[1], "arrival": 1, "burst": 3},
        ],
    }
    path = tmp_path / "names.json"
    path.write_text(json.dumps(document))  # ensure_ascii: surrogates as \ud800 escapes
    first = invoke("run", path, "-p", "rr", "--ascii", "--gantt", tmp_path / "c.png")
    check_outcome(first)
    if surrogate:
        assert first.exit_code == 2 and "valid Unicode text" in first.stderr
        return
    assert first.exit_code == 0
    for arguments in (
        ["--format", "json", "-o", tmp_path / "r.csv"],
        ["--format", "csv", "-o", tmp_path / "r.json"],
        ["--gantt", tmp_path / "c.svg", "--gantt-by", "cpu"],
    ):
        check_outcome(invoke("run", path, "-p", "rr", *arguments), allowed=(0,))
    check_outcome(invoke("gantt", tmp_path / "r.json", "-o", tmp_path / "g.png"), allowed=(0,))
    check_outcome(invoke("compare", path, "-P", "fcfs,rr"), allowed=(0,))


def test_an_encoding_without_the_characters_escapes_them(tmp_path: Path) -> None:
    """``PYTHONIOENCODING=latin-1`` and a pid such as 漢: printed as an escape, not a crash
    after the chart was already written."""
    path = tmp_path / "han.yaml"
    path.write_text("processes:\n  - pid: 漢\n    burst: 3\n", encoding="utf-8")
    import subprocess
    import sys

    completed = subprocess.run(
        [sys.executable, "-m", "schedsim", "run", str(path), "--gantt", str(tmp_path / "h.png")],
        capture_output=True,
        env={**__import__("os").environ, "PYTHONIOENCODING": "latin-1"},
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert b"\\u6f22" in completed.stdout
    assert completed.stderr == b""  # no warning about the missing glyph either


# -- NPZ archives built by hand ------------------------------------------------------------------
def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array)
    return buffer.getvalue()


def _header(shape: tuple[int, ...], descr: str) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": descr, "fortran_order": False, "shape": shape}
    )
    return buffer.getvalue()


VALID = {
    "pid": np.array(["P1", "P2"]),
    "arrival": np.array([0.0, 1.0]),
    "burst_offsets": np.array([0, 1, 2]),
    "burst_values": np.array([3.0, 2.0]),
}


@st.composite
def npz_archives(draw: st.DrawFn) -> bytes:
    """A valid archive with one member replaced by something hostile."""
    members = {f"{key}.npy": _npy(value) for key, value in VALID.items()}
    target = draw(st.sampled_from([*members, "name.npy", "extra.txt", "pid"]))
    kind = draw(st.sampled_from(["huge", "header", "bytes", "codepoints", "truncated", "object"]))
    if kind == "huge":
        size = draw(st.sampled_from([10**12, 2**62, 2**40, 10**6]))
        extra = draw(st.sampled_from([(), (size,), (size, size)]))
        members[target] = _header((size, *extra), draw(st.sampled_from(["<f8", "<U50", "|u1"])))
    elif kind == "header":
        descr = draw(st.sampled_from(["<f8", "|O", "V8", "<U0", ">i8", "<c16", "|b1", "<M8[s]"]))
        shape = draw(st.sampled_from([(2,), (), (2, 2), (0,), (3,)]))
        members[target] = _header(shape, descr) + draw(st.binary(max_size=64))
    elif kind == "bytes":
        members[target] = draw(st.binary(max_size=200))
    elif kind == "codepoints":
        codes = np.array(draw(st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=3)))
        members[target] = _npy(codes.astype(np.uint32).view("<U1"))
    elif kind == "truncated":
        data = members.get(target, _npy(VALID["pid"]))
        members[target] = data[: draw(st.integers(0, len(data)))]
    else:
        members[target] = _header((2,), "|O") + b"\x80\x04N."
    method = draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    raw = bytearray(buffer.getvalue())
    if draw(st.booleans()) and method == zipfile.ZIP_DEFLATED:  # corrupt a compressed stream
        position = draw(st.integers(40, max(40, len(raw) - 100)))
        raw[position : position + 8] = draw(st.binary(min_size=8, max_size=8))
    return bytes(raw)


@settings(suppress_health_check=FUNCTION_SCOPED, max_examples=examples(40))
@given(archive=npz_archives())
def test_hand_built_npz_archives(tmp_path: Path, archive: bytes) -> None:
    path = tmp_path / "w.npz"
    path.write_bytes(archive)
    check_validate_outcome(invoke("validate", path))


def test_a_header_declaring_a_terabyte_is_refused_before_allocating(tmp_path: Path) -> None:
    members = {f"{key}.npy": _npy(value) for key, value in VALID.items()}
    members["arrival.npy"] = _header((10**12,), "<f8")
    path = tmp_path / "w.npz"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    result = invoke("validate", path)
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {path}: arrival.npy: its header declares shape (1000000000000,) of float64 "
        "(8,000,000,000,000 bytes), but the member holds 128 bytes\n"
    )


# -- saved results, mutated field by field --------------------------------------------------------
@pytest.fixture(scope="module")
def saved_text() -> str:
    result = CliRunner().invoke(main, ["run", WITH_IO, "-p", "mlfq", "--cpus", "2", "-o", "-"])
    del result
    output = CliRunner().invoke(main, ["run", WITH_IO, "-p", "mlfq", "--format", "json"])
    return output.stdout


def _leaves(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found.extend(_leaves(value, (*prefix, key)))
    elif isinstance(node, list):
        for position, value in enumerate(node[:3]):
            found.extend(_leaves(value, (*prefix, position)))
    return found


result_values = giant_numbers | st.sampled_from(
    ['"\\ud800"', '"$x$"', '"[/]"', '"' + "N" * 3000 + '"', "[1]", "{}", "-1", "1e60", "true"]
)


@settings(suppress_health_check=FUNCTION_SCOPED, max_examples=examples(40))
@given(data=st.data())
def test_saved_results_mutated_field_by_field(
    tmp_path: Path, saved_text: str, data: st.DataObject
) -> None:
    """Each field of a saved result replaced by a number Python cannot hold, a huge or
    negative time, a wrong type, hostile text: drawn, or refused naming the field."""
    document = json.loads(saved_text)
    paths = _leaves(document)
    path = data.draw(st.sampled_from(paths))
    raw = data.draw(result_values)
    mutated = copy.deepcopy(document)
    parent = mutated
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = "@@HOSTILE@@"
    text = json.dumps(mutated).replace('"@@HOSTILE@@"', raw)
    file = tmp_path / "result.json"
    file.write_text(text)
    image = tmp_path / "chart.png"
    image.unlink(missing_ok=True)  # hypothesis reuses the test's directory
    result = invoke("gantt", file, "-o", image, "--ascii", "--width", "80")
    check_outcome(result)
    if result.exit_code != 0:
        assert not image.exists()


def test_slices_out_of_order_or_far_away_are_refused(tmp_path: Path, saved_text: str) -> None:
    """A slice dispatched after it ended, a start of 1e308, an end of 1e60 (which once sent
    the text chart into an endless loop), a utilisation that is a list."""
    document = json.loads(saved_text)
    cases = [
        (("timeline", 0, "dispatched"), 10**6, "must have dispatched <= start <= end"),
        (("timeline", 0, "start"), 1e308, "start: must be a finite number of magnitude"),
        (("timeline", 0, "end"), 1e60, "end: must be a finite number of magnitude"),
        (
            ("summary", "cpu_utilisation"),
            [1],
            "summary.cpu_utilisation: must be a finite number or null",
        ),
        (("io", 0, "start"), 10**6, "must have start <= end"),
    ]
    for path, value, message in cases:
        mutated = copy.deepcopy(document)
        parent = mutated
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = value
        file = tmp_path / "result.json"
        file.write_text(json.dumps(mutated))
        result = invoke("gantt", file, "--width", "80")
        assert result.exit_code == 2, (path, result.stderr)
        assert message in result.stderr, (path, result.stderr)


# -- the corpus: one command per class of what once reached exit 70 ------------------------------
def _corpus(folder: Path) -> list[list[Any]]:
    """Every hand-found case of the hardening campaign, as files and command lines."""
    huge = "1" * 5_000

    def write(name: str, text: str) -> Path:
        path = folder / name
        path.write_text(text, encoding="utf-8")
        return path

    yaml_huge = write("huge.yaml", f"processes:\n  - pid: P1\n    burst: {huge}\n")
    json_huge = write("huge.json", f'{{"processes": [{{"pid": "P1", "burst": {huge}}}]}}')
    csv_huge = write("huge.csv", f"pid,arrival,burst\nP1,0,{huge}\n")
    surrogate = write("sur.json", '{"processes": [{"pid": "\\ud800", "burst": 3}]}')
    dollar = write("dollar.yaml", 'name: "a$b"\nprocesses:\n  - pid: "$x"\n    burst: 3\n')
    markup = write("markup.yaml", 'name: "[/x]"\nprocesses:\n  - pid: "[/]"\n    burst: 3\n')
    long_pid = write("long.yaml", f"processes:\n  - pid: {'P' * 150}\n    burst: 3\n")
    long_column = write("column.csv", f"pid,arrival,burst,{'c' * 30_000}\nP1,0,3,1\n")
    saved = folder / "saved.json"
    document = json.loads(invoke("run", CLASSIC, "-p", "rr", "--format", "json").stdout)
    document["timeline"][0]["end"] = "@@"
    saved.write_text(json.dumps(document).replace('"@@"', huge))
    archive = folder / "huge.npz"
    with zipfile.ZipFile(archive, "w") as zipped:
        for key, value in VALID.items():
            data = _header((10**12,), "<f8") if key == "arrival" else _npy(value)
            zipped.writestr(f"{key}.npy", data)
    answers = write("answers.yaml", f"P1: {{finish: 0x{'f' * 5_000}}}\navg_waiting: 1\n")
    link = folder / "link.png"
    link.symlink_to(yaml_huge)
    (folder / "a.json").write_text("{}")
    twice = folder / "twice.png"
    twice.symlink_to(folder / "a.json")
    return [
        ["run", yaml_huge],
        ["run", json_huge],
        ["run", csv_huge],
        ["run", CLASSIC, "-p", "rr", "--quantum", huge],
        ["sweep", CLASSIC, "-p", "rr", "--vary", f"quantum=1..{huge}"],
        ["sweep", CLASSIC, "-p", "lottery", "--seeds", f"0..{huge}"],
        ["generate", "-n", "5", "--arrivals", "batch", "--bursts", "lognormal:mean=5,sigma=1e200"],
        [
            "generate",
            "-n",
            "5",
            "--arrivals",
            "batch",
            "--bursts",
            "constant:3",
            "--tickets",
            "constant:" + "9" * 19,
        ],
        ["run", surrogate],
        ["run", surrogate, "--gantt", folder / "s.png"],
        ["run", dollar, "--gantt", folder / "d.png"],
        ["run", markup, "--ascii"],
        ["compare", markup, "-P", "fcfs,rr"],
        ["run", long_pid, "--gantt", folder / "l.png"],
        ["run", long_column],
        ["validate", archive],
        ["gantt", saved, "--width", "80"],
        ["run", CLASSIC, "-o", folder / ("x" * 300 + ".json")],
        ["run", CLASSIC, "-o", folder / ("d/" * 3_000 + "x.json")],
        ["run", CLASSIC, "-o", folder / "a.json", "--gantt", twice],
        ["run", yaml_huge, "--gantt", link],
        ["sweep", CLASSIC, "-p", "rr", "--vary", "quantum=1..3", "--jobs", "1"],
        ["exercise", "--policy", "rr", "--quantum", "2", "--seed", "7", "--check", answers],
    ]


def test_no_invocation_in_the_corpus_exits_70(tmp_path: Path) -> None:
    failures = []
    for arguments in _corpus(tmp_path):
        result = invoke(*arguments)
        if result.exit_code not in (0, 1, 2) or "Internal error" in result.stderr:
            shown = [str(argument)[:60] for argument in arguments]
            failures.append((shown, result.exit_code, result.stderr[:300]))
        elif result.exit_code == 2:
            check_outcome(result)
    assert failures == []


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("huge.yaml", "processes:\n  - pid: P1\n    burst: {huge}\n"),
        ("huge.json", '{{"processes": [{{"pid": "P1", "burst": {huge}}}]}}'),
        ("huge.csv", "pid,arrival,burst\nP1,0,{huge}\n"),
    ],
)
def test_a_number_of_thousands_of_digits_is_named_with_its_field(
    tmp_path: Path, name: str, text: str
) -> None:
    """The reader names file, process and field, and says how long the number was rather
    than quoting 5,000 digits."""
    path = tmp_path / name
    path.write_text(text.format(huge="1" * 5_000))
    result = invoke("run", path)
    assert result.exit_code == 2
    assert "P1" in result.stderr and "burst" in result.stderr and name in result.stderr
    assert "an integer of 5,000 digits" in result.stderr
    assert "1" * 100 not in result.stderr


def test_a_digit_limit_no_reader_caught_is_still_bad_input(monkeypatch: pytest.MonkeyPatch) -> None:
    """The last line of defence: Python's refusal to convert thousands of digits, wherever
    it comes from, is one Error line and exit 2 (the readers name the field where they can)."""

    def convert(*args: Any, **kwargs: Any) -> None:
        int("1" * 5_000)

    monkeypatch.setattr("schedsim.cli.run.simulate", convert)
    result = invoke("run", CLASSIC)
    assert (result.exit_code, result.stderr) == (
        2,
        "Error: a number with more than 4,300 digits was given; no value schedsim takes needs "
        "more than 30\n",
    )
