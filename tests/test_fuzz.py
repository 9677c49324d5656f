"""Fuzzing every input path: no input ever produces a traceback.

The contract (README, "Limits and guarantees"): any input either works (exit 0) or ends with
exactly one ``Error:`` line -- continued on indented lines when there are several problems,
and after click's usage lines for a malformed command line -- and exit code 2.  Exit 70 is
reserved for bugs in schedsim, so it never appears here.

Inputs fuzzed: random bytes as YAML, JSON, CSV and NPZ workloads; structured workloads with
hostile values in every field; saved results (for ``schedsim gantt``) with hostile values in
every field; policy specs (``compare --policies``); every numeric option of ``run``,
``compare`` and ``generate``.  Most examples run in-process with click's CliRunner (fast);
a few real subprocess runs prove that nothing reaches stderr as a traceback, even when the
reader of the output goes away (a broken pipe).

Runs are kept short by lowering the default slice limit to 100,000 (the limit itself, which
counts policy timer events too, is tested in test_limits.py).
"""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from click.testing import Result as Invocation
from hypothesis import HealthCheck, currently_in_test_context, event, given, settings
from hypothesis import strategies as st

from schedsim import engine
from schedsim.cli import main
from schedsim.errors import OptionError
from schedsim.policies import REGISTRY
from schedsim.policy_spec import build_policies

ROOT = Path(__file__).resolve().parent.parent
CLASSIC = str(ROOT / "workloads" / "classic.yaml")
WITH_IO = str(ROOT / "workloads" / "interactive_batch.yaml")
FUZZ_SLICES = 100_000

# Each example writes files into one directory; hypothesis reuses the test's tmp_path.
FUNCTION_SCOPED = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


@pytest.fixture(autouse=True)
def short_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep every fuzzed run below FUZZ_SLICES slices (refused up front or stopped)."""
    monkeypatch.setattr(engine, "DEFAULT_MAX_SLICES_TIMELINE", FUZZ_SLICES)
    monkeypatch.setattr(engine, "DEFAULT_MAX_SLICES", FUZZ_SLICES)


def invoke(*args: Any, stdin: str | None = None) -> Invocation:
    return CliRunner().invoke(main, [str(arg) for arg in args], input=stdin)


def check_outcome(
    result: Invocation, *, allowed: tuple[int, ...] = (0, 2), one_error: bool = True
) -> None:
    """Works, or one ``Error:`` block and exit 2; never an escaped exception or a bug."""
    if currently_in_test_context():
        event(f"exit {result.exit_code}")  # shown by --hypothesis-show-statistics
    escaped = result.exception is not None and not isinstance(result.exception, SystemExit)
    assert not escaped, f"exception escaped the CLI: {result.exception!r}\n{result.stderr}"
    assert result.exit_code in allowed, (result.exit_code, result.stderr)
    assert "Traceback" not in result.stderr
    assert "Internal error" not in result.stderr
    if result.exit_code == 2 and one_error:
        check_error_block(result.stderr)


def check_error_block(stderr: str) -> None:
    lines = stderr.rstrip("\n").split("\n")
    starts = [index for index, line in enumerate(lines) if line.startswith("Error: ")]
    assert len(starts) == 1, stderr
    assert starts == [0], stderr  # nothing before it: no usage block either
    after = lines[starts[0] + 1 :]
    assert all(line.startswith("       ") for line in after), stderr
    assert len(stderr) < 20_000, "an error message must stay short"


def check_validate_outcome(result: Invocation) -> None:
    """``validate`` prints one ``Error:`` line per problem (its documented form)."""
    check_outcome(result, one_error=False)
    if result.exit_code == 2:
        lines = result.stderr.rstrip("\n").split("\n")
        assert all(line.startswith(("Error: ", "       ")) for line in lines), result.stderr


# -- values a hostile file may hold -----------------------------------------------------------
HOSTILE_NUMBERS = [
    0,
    -1,
    1e-300,
    -1e-300,
    1e300,
    10**100,
    -(10**100),
    2**63,
    2**63 - 1,
    -(2**63),
    10**15,
    10**15 + 1,
    float("nan"),
    float("inf"),
    float("-inf"),
    0.5,
    1e-9,
    5e-324,
]
scalars = st.one_of(
    st.sampled_from(HOSTILE_NUMBERS),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.text(max_size=12),
    st.sampled_from(["P1", "", " ", "1", "yes", "0x10", "1e3", ".nan", "~", "null", "inf"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=8,
)
FIELDS = ["pid", "arrival", "burst", "bursts", "priority", "tickets", "nice", "brust", "name"]


@st.composite
def processes(draw: st.DrawFn) -> dict[str, Any]:
    """A process entry: mostly valid, with hostile values in a few fields."""
    process: dict[str, Any] = {"pid": f"P{draw(st.integers(1, 5))}", "arrival": 0}
    if draw(st.booleans()):
        process["burst"] = draw(st.integers(1, 20))
    else:
        process["bursts"] = draw(st.lists(st.integers(1, 9), min_size=1, max_size=5))
    for field in draw(st.lists(st.sampled_from(FIELDS), max_size=3)):
        if field == "bursts" and draw(st.booleans()):
            process[field] = draw(st.lists(st.sampled_from(HOSTILE_NUMBERS) | scalars, max_size=5))
        else:
            process[field] = draw(values)
    for field in draw(st.lists(st.sampled_from(FIELDS), max_size=1)):
        process.pop(field, None)
    return process


documents = st.one_of(
    st.fixed_dictionaries(
        {"processes": st.lists(processes(), max_size=4)},
        optional={"name": values, "extra": values},
    ),
    st.lists(processes(), max_size=4),
    values,
)


def as_yaml(document: Any) -> str:
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


def as_json(document: Any) -> str:
    return json.dumps(document)  # NaN and Infinity included, as Python writes them


def as_csv(document: Any) -> str:
    """The process entries as CSV rows (every value as Python prints it)."""
    rows = document.get("processes") if isinstance(document, dict) else document
    rows = [row for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []
    columns = list(dict.fromkeys(key for row in rows for key in row)) or ["pid"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        cells = []
        for column in columns:
            value = row.get(column, "")
            cells.append(" ".join(map(str, value)) if isinstance(value, list) else str(value))
        writer.writerow(cells)
    return buffer.getvalue()


# -- workload files ---------------------------------------------------------------------------
@settings(suppress_health_check=FUNCTION_SCOPED)
@given(data=st.binary(max_size=600))
def test_random_bytes_in_every_workload_format(tmp_path: Path, data: bytes) -> None:
    paths = []
    for extension in (".yaml", ".yml", ".json", ".csv", ".npz"):
        path = tmp_path / f"random{extension}"
        path.write_bytes(data)
        paths.append(path)
    check_validate_outcome(invoke("validate", *paths))
    check_outcome(invoke("run", paths[0], "-p", "rr", "--quantum", "1"))


@settings(suppress_health_check=FUNCTION_SCOPED)
@given(
    text=st.text(
        alphabet=st.sampled_from(list("-:[]{},&*!|>'\"#%@`?. \n\t0P1pidburst")), max_size=200
    )
)
def test_yaml_made_of_syntax_characters(tmp_path: Path, text: str) -> None:
    path = tmp_path / "syntax.yaml"
    path.write_text(text)
    check_validate_outcome(invoke("validate", path))


@settings(suppress_health_check=FUNCTION_SCOPED)
@given(document=documents, policy=st.sampled_from(list(REGISTRY)))
def test_hostile_values_in_every_field_and_format(
    tmp_path: Path, document: Any, policy: str
) -> None:
    written = {
        "w.yaml": as_yaml(document),
        "w.json": as_json(document),
        "w.csv": as_csv(document),
    }
    paths = []
    for name, text in written.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    check_validate_outcome(invoke("validate", *paths))
    for path in paths:
        result = invoke("run", path, "-p", policy, "--cpus", "2", "--format", "json")
        check_outcome(result)
        if result.exit_code == 0:
            assert json.loads(result.stdout)["policy"] == policy


@settings(suppress_health_check=FUNCTION_SCOPED, max_examples=30)
@given(
    arrays=st.dictionaries(
        st.sampled_from(["pid", "arrival", "burst_offsets", "burst_values", "priority", "nice"]),
        st.one_of(
            st.lists(st.sampled_from(HOSTILE_NUMBERS), max_size=4).map(np.asarray),
            st.lists(st.integers(-3, 9), max_size=4).map(lambda v: np.asarray(v, np.int64)),
            st.lists(st.text(max_size=3), max_size=4).map(lambda v: np.asarray(v, np.str_)),
            st.just(np.zeros((2, 2))),
            st.just(np.asarray(5)),
        ),
    )
)
def test_hostile_npz_archives(tmp_path: Path, arrays: dict[str, np.ndarray]) -> None:
    path = tmp_path / "w.npz"
    np.savez(path, **arrays)
    check_validate_outcome(invoke("validate", path))


class Planted:
    """Unpickling this creates a file: proof that code from the archive ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (str(self.marker), "w"))


def test_an_npz_holding_python_objects_is_never_unpickled(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "pickle.npz"
    np.savez(
        path,
        pid=np.asarray([Planted(marker)], dtype=object),
        arrival=np.zeros(1),
        burst_offsets=np.asarray([0, 1]),
        burst_values=np.ones(1),
    )
    result = invoke("validate", path)
    check_validate_outcome(result)
    assert "object arrays are never loaded" in result.stderr
    assert not marker.exists()


# -- saved results (schedsim gantt) -------------------------------------------------------------
@pytest.fixture(scope="module")
def saved_result() -> dict[str, Any]:
    output = (
        CliRunner()
        .invoke(main, ["run", WITH_IO, "-p", "mlfq", "--cpus", "2", "--format", "json"])
        .stdout
    )
    data: dict[str, Any] = json.loads(output)
    return data


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path in a JSON document (lists: their first two items)."""
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for position, value in enumerate(node[:2]):
            found.extend(_paths(value, (*prefix, position)))
    return found


@settings(suppress_health_check=[*FUNCTION_SCOPED])
@given(data=st.data())
def test_hostile_values_anywhere_in_a_saved_result(
    tmp_path: Path, saved_result: dict[str, Any], data: st.DataObject
) -> None:
    document = copy.deepcopy(saved_result)
    paths = _paths(document)
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths))
        parent = document
        try:
            for key in path[:-1]:
                parent = parent[key]
            if data.draw(st.booleans()) and isinstance(parent, dict):
                del parent[path[-1]]
            else:
                parent[path[-1]] = data.draw(values)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed this path
    path = tmp_path / "result.json"
    path.write_text(json.dumps(document))
    check_outcome(invoke("gantt", path, "--width", "60"))


@settings(suppress_health_check=FUNCTION_SCOPED, max_examples=8)
@given(
    document=st.sampled_from(["{}", "[]", "null", '{"policy": 1, "jobs": 2}'])
    | values.map(json.dumps)
)
def test_results_that_are_not_results_draw_nothing(tmp_path: Path, document: str) -> None:
    path = tmp_path / "result.json"
    path.write_text(document)
    image = tmp_path / "chart.png"
    result = invoke("gantt", path, "-o", image)
    check_outcome(result, allowed=(2,))
    assert not image.exists()


@settings(suppress_health_check=FUNCTION_SCOPED)
@given(data=st.binary(max_size=300))
def test_random_bytes_as_a_saved_result(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "result.json"
    path.write_bytes(data)
    check_outcome(invoke("gantt", path), allowed=(2,))


# -- policy specs -----------------------------------------------------------------------------
SPEC_WORDS = [
    *REGISTRY,
    "rr",
    "mlfq",
    "bogus",
    "RR",
    ":",
    ":",
    "=",
    ",",
    ",",
    "/",
    " ",
    "quantum",
    "levels",
    "allotment",
    "io_resets",
    "io-resets",
    "preemptive",
    "target_latency",
    "min_granularity",
    "alpha",
    "tau0",
    "predict",
    "exp",
    "none",
    "inf",
    "nan",
    "-1",
    "0",
    "1",
    "2",
    "4",
    "0.5",
    "1e-9",
    "1e300",
    "1e400",
    "10" * 40,
    "true",
]
spec_texts = st.lists(st.sampled_from(SPEC_WORDS), max_size=14).map("".join)


@given(text=spec_texts)
def test_policy_specs_build_or_raise_option_error(text: str) -> None:
    try:
        policies = build_policies(text)
    except OptionError as error:
        assert str(error)
        assert "\n" not in str(error).replace("\n       ", "")
        return
    assert policies and all(entry.policy.name in REGISTRY for entry in policies)


@settings(max_examples=40)
@given(text=spec_texts)
def test_policy_specs_through_compare(text: str) -> None:
    check_outcome(invoke("compare", CLASSIC, "--policies", text, "--format", "csv"))


# -- numeric options --------------------------------------------------------------------------
HOSTILE_TEXT = [
    "0",
    "-1",
    "1",
    "3",
    "0.5",
    "1e-9",
    "1e-300",
    "5e-324",
    "1e300",
    "1e400",
    "inf",
    "-inf",
    "nan",
    "NaN",
    str(10**100),
    "9" * 5000,
    "",
    " ",
    "x",
    "1,2,3",
    "1,2,inf",
    "inf,1",
    "1,,2",
    "0x10",
    "1_000",
    "١٢",
    "true",
    "--help",
]
option_text = st.sampled_from(HOSTILE_TEXT) | st.text(max_size=8)
RUN_FLAGS = {
    option.cli_flag: option.flag for policy in REGISTRY.values() for option in policy.options
}
ENGINE_FLAGS = ["--cpus", "--context-switch", "--seed", "--max-slices"]


@given(
    policy=st.sampled_from(list(REGISTRY)),
    flags=st.dictionaries(st.sampled_from([*RUN_FLAGS, *ENGINE_FLAGS]), option_text, max_size=3),
)
def test_every_numeric_option_of_run(policy: str, flags: dict[str, str]) -> None:
    arguments: list[str] = ["run", WITH_IO, "-p", policy, "--summary-only"]
    for flag, text in flags.items():
        arguments += [flag] if RUN_FLAGS.get(flag) else [flag, text]
    check_outcome(invoke(*arguments))


@given(
    flags=st.dictionaries(
        st.sampled_from(["--quantum", "--levels", "--cpus", "--context-switch", "--seed"]),
        option_text,
        max_size=2,
    )
)
def test_every_numeric_option_of_compare(flags: dict[str, str]) -> None:
    arguments = ["compare", CLASSIC, "--policies", "fcfs,rr,mlfq,lottery", "--format", "csv"]
    for flag, text in flags.items():
        arguments += [flag, text]
    check_outcome(invoke(*arguments))


GENERATE_FLAGS = ["--processes", "--load", "--cpus", "--seed"]
DISTRIBUTIONS = [
    "exponential:mean=5",
    "uniform:1..10",
    "normal:mean=5,sd=2",
    "lognormal:mean=5,sigma=1",
    "pareto:alpha=1.5,min=2",
    "constant:3",
]


@settings(max_examples=40)
@given(
    flags=st.dictionaries(st.sampled_from(GENERATE_FLAGS), option_text, max_size=2),
    bursts=st.sampled_from(DISTRIBUTIONS),
    value=st.sampled_from(["1e-300", "1e300", "nan", "inf", "0", "-1", "1e-9", str(10**100)]),
)
def test_every_numeric_option_of_generate(flags: dict[str, str], bursts: str, value: str) -> None:
    arguments = ["generate", "--processes", "20", "--arrivals", "batch", "--bursts", bursts]
    for flag, text in flags.items():
        digits = text.strip()
        if flag == "--processes" and digits.isdigit() and 6 <= len(digits) <= 1000:
            text = "100001"  # the count limit itself is tested in test_limits.py
        arguments += [flag, text]
    check_outcome(invoke(*arguments))
    name, _, parameters = bursts.partition(":")
    key = parameters.split("=")[0] if "=" in parameters else None
    if key is not None:  # the same distribution with one hostile parameter
        hostile = f"{name}:{key}={value}"
        check_outcome(invoke("generate", "-n", "5", "--arrivals", "batch", "--bursts", hostile))


def test_a_stdin_workload_name_is_just_a_missing_file() -> None:
    check_outcome(invoke("run", "-", "-p", "fcfs"), allowed=(2,))


# -- real processes: nothing reaches stderr as a traceback --------------------------------------
def run_schedsim(*args: Any, **options: Any) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "COLUMNS": "80"}
    return subprocess.run(
        [sys.executable, "-m", "schedsim", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
        check=False,
        **options,
    )


def test_subprocess_errors_are_one_line_without_traceback(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.yaml"
    garbage.write_bytes(bytes(range(256)) * 4)
    bad_result = tmp_path / "result.json"
    bad_result.write_text('{"policy": "rr", "jobs": [{"pid": "P1", "finish": NaN}]}')
    cases = [
        (["run", garbage], 2),
        (["run", CLASSIC, "--quantum", "nan", "-p", "rr"], 2),
        (["run", CLASSIC, "--cpus", str(10**9)], 2),
        (["gantt", bad_result], 2),
        (["compare", CLASSIC, "--policies", "rr:quantum=0,nope"], 2),
        (["run", CLASSIC, "--no-such-flag"], 2),
    ]
    for arguments, code in cases:
        completed = run_schedsim(*arguments)
        assert completed.returncode == code, (arguments, completed.stderr)
        assert "Traceback" not in completed.stderr
        check_error_block(completed.stderr)


def test_a_reader_that_goes_away_is_no_traceback(tmp_path: Path) -> None:
    """``schedsim ... | head -1``: the pipe closes while schedsim is still writing."""
    big = tmp_path / "big.csv"
    big.write_text("pid,arrival,burst\n" + "".join(f"P{i},{i},5\n" for i in range(20_000)))
    for arguments in (["run", big, "-p", "rr", "--format", "csv"], ["policies"]):
        process = subprocess.Popen(
            [sys.executable, "-m", "schedsim", *map(str, arguments)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert process.stdout is not None and process.stderr is not None
        process.stdout.readline()
        process.stdout.close()  # the reader is gone
        stderr = process.stderr.read().decode()
        process.stderr.close()
        code = process.wait(timeout=60)
        assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
        assert code in (0, 1), (code, stderr)


def test_internal_errors_are_one_short_bug_report(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("boom " + "x" * 10_000 + "\nsecond line")

    monkeypatch.setattr("schedsim.cli.run.simulate", broken)
    result = invoke("run", CLASSIC)
    assert result.exit_code == 70
    assert result.stderr.startswith("Internal error: RuntimeError: boom xxx")
    assert result.stderr.count("\n") == 1 and len(result.stderr) < 400
    assert "This is a bug in schedsim" in result.stderr


def test_ctrl_c_exits_130_without_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("schedsim.cli.run.simulate", interrupted)
    result = invoke("run", CLASSIC)
    assert (result.exit_code, result.stderr) == (130, "Interrupted.\n")
