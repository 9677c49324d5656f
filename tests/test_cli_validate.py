"""``schedsim validate``: one OK line per valid file, one Error line per problem, exit 2 when
any file is invalid, never a traceback; ``--schema`` prints the JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from schedsim.cli import main
from schedsim.loaders import workload_json_schema

CLASSIC = """\
name: classic
processes:
  - {pid: P1, arrival: 0, burst: 24}
  - {pid: P2, arrival: 2, bursts: [5, 3, 2]}
  - {pid: P3, arrival: 4, burst: 3}
"""

BAD = """\
processes:
  - {pid: P1, burst: 1}
  - {pid: P2, burst: 2}
  - {pid: P3, burst: 1}
  - {pid: P4, bursts: [5, 3, 2, 1]}
  - {pid: P1, burst: 0}
"""


def invoke(*arguments: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(arguments))
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


def test_valid_files_print_a_summary(tmp_path: Path) -> None:
    yaml_file = tmp_path / "classic.yaml"
    yaml_file.write_text(CLASSIC)
    csv_file = tmp_path / "w.csv"
    csv_file.write_text("pid,arrival,burst\nA,0,1.5\nB,1,2\n")
    code, out, err = invoke("validate", str(yaml_file), str(csv_file))
    assert code == 0
    assert out == (
        f"{yaml_file}: OK (3 processes, 1 with I/O, total CPU 34)\n"
        f"{csv_file}: OK (2 processes, 0 with I/O, total CPU 3.5)\n"
    )
    assert err == ""


def test_invalid_file_prints_every_problem_and_exits_2(tmp_path: Path) -> None:
    good = tmp_path / "classic.yaml"
    good.write_text(CLASSIC)
    bad = tmp_path / "x.yaml"
    bad.write_text(BAD)
    code, out, err = invoke("validate", str(bad), str(good))
    assert code == 2
    assert out == f"{good}: OK (3 processes, 1 with I/O, total CPU 34)\n"
    assert err == (
        f"Error: {bad}: process #4 (pid P4): bursts: must have odd length (CPU first and last), "
        "got 4 values\n"
        f"Error: {bad}: process #5 (pid P1): pid: duplicate of process #1; pids must be unique\n"
        f"Error: {bad}: process #5 (pid P1): burst: must be > 0, got 0\n"
    )


def test_every_problem_is_printed_even_past_twenty(tmp_path: Path) -> None:
    bad = tmp_path / "many.csv"
    bad.write_text("pid,arrival,burst\n" + "".join(f"P{i},0,-1\n" for i in range(30)))
    code, _, err = invoke("validate", str(bad))
    assert code == 2
    assert err.count("Error: ") == 30
    assert err.splitlines()[-1] == f"Error: {bad}: row 30 (pid P29): burst: must be > 0, got -1"


def test_missing_file_and_unknown_format(tmp_path: Path) -> None:
    text_file = tmp_path / "w.txt"
    text_file.write_text("x")
    code, out, err = invoke("validate", str(tmp_path / "nope.yaml"), str(text_file))
    assert code == 2
    assert out == ""
    assert err == (
        f"Error: {tmp_path / 'nope.yaml'}: no such file\n"
        f"Error: {text_file}: unknown workload format (extension '.txt'); use one of "
        ".yaml, .yml, .json, .csv, .npz\n"
    )


def test_npz_file(tmp_path: Path) -> None:
    path = tmp_path / "w.npz"
    np.savez(
        path,
        pid=np.array(["A", "B"]),
        arrival=np.array([0, 1]),
        burst_offsets=np.array([0, 3, 4]),
        burst_values=np.array([2, 9, 3, 4]),
    )
    code, out, _ = invoke("validate", str(path))
    assert code == 0
    assert out == f"{path}: OK (2 processes, 1 with I/O, total CPU 9)\n"


def test_alias_bomb_is_an_error_not_a_hang(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 12)]
    path.write_text("\n".join(lines) + "\n")
    code, _, err = invoke("validate", str(path))
    assert code == 2
    assert "YAML anchors and aliases (&name, *name) are not supported" in err


def test_schema_option_prints_the_json_schema() -> None:
    code, out, _ = invoke("validate", "--schema")
    assert code == 0
    assert json.loads(out) == workload_json_schema()


def test_schema_with_files_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = invoke("validate", "--schema", str(tmp_path / "x.yaml"))
    assert code == 2
    assert "Error: --schema takes no FILE arguments" in err


def test_no_files_is_a_usage_error() -> None:
    code, _, err = invoke("validate")
    assert code == 2
    assert "Error: give at least one FILE to check (or --schema)" in err


def test_help_has_an_example() -> None:
    code, out, _ = invoke("validate", "--help")
    assert code == 0
    assert "schedsim validate workloads/classic.yaml big.csv" in out
    assert "--schema" in out
