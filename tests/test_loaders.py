"""Workload files: every rejection rule with its exact message, and save/load round trips.

Rules under test (schedsim.loaders, schedsim.schema): a process has a unique non-empty pid,
arrival >= 0, exactly one of burst (> 0) or bursts (odd length, CPU first and last, every
value > 0 and finite), integer priority, tickets >= 1, nice in -20..19, and no other keys.
Every problem is reported, each naming the file, the process (1-based position and pid)
and the field.  Whole-number times load as int64, anything else as float64.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from schedsim.errors import WorkloadError
from schedsim.limits import INT64_MAX, INT64_MIN, MAX_TIME
from schedsim.loaders import load_workload, save_workload, workload_json_schema
from schedsim.workload import Workload

CLASSIC = """\
name: classic
processes:
  - pid: P1
    arrival: 0
    burst: 24
  - pid: P2
    arrival: 2
    bursts: [5, 3, 2]
    priority: 1
  - pid: P3
    burst: 3
"""


def write(directory: Path, name: str, text: str | bytes) -> Path:
    path = directory / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path, **limits: Any) -> list[str]:
    with pytest.raises(WorkloadError) as caught:
        load_workload(path, **limits)
    return caught.value.problems


def one_problem(path: Path, **limits: Any) -> str:
    problems = problems_of(path, **limits)
    assert len(problems) == 1, problems
    return problems[0]


def process_yaml(tmp_path: Path, body: str, name: str = "x.yaml") -> Path:
    """A file whose process #1 is valid and whose process #2 has the given keys."""
    text = "processes:\n  - pid: P1\n    burst: 1\n  - " + body.strip().replace("\n", "\n    ")
    return write(tmp_path, name, text + "\n")


# ---------------------------------------------------------------------------------------
# YAML: valid files
# ---------------------------------------------------------------------------------------
def test_yaml_mapping_form_loads_columns(tmp_path: Path) -> None:
    workload = load_workload(write(tmp_path, "classic.yaml", CLASSIC))
    assert workload.name == "classic"
    assert workload.pid == ["P1", "P2", "P3"]
    assert workload.arrival.tolist() == [0, 2, 0]
    assert workload.arrival.dtype == np.int64
    assert workload.burst_values.dtype == np.int64
    assert workload.burst_offsets.tolist() == [0, 1, 4, 5]
    assert workload.burst_values.tolist() == [24, 5, 3, 2, 3]
    assert workload.priority.tolist() == [0, 1, 0]
    assert workload.tickets.tolist() == [100, 100, 100]
    assert workload.nice.tolist() == [0, 0, 0]
    assert workload.source == str(tmp_path / "classic.yaml")


def test_top_level_list_is_accepted_and_named_after_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "quick.yml", "- pid: A\n  burst: 2\n- {pid: B, arrival: 1, burst: 3}\n")
    workload = load_workload(path)
    assert workload.name == "quick"
    assert workload.pid == ["A", "B"]
    assert workload.burst_values.tolist() == [2, 3]


def test_one_float_makes_every_time_float64(tmp_path: Path) -> None:
    path = write(tmp_path, "f.yaml", "- pid: A\n  burst: 2\n- pid: B\n  arrival: 0.5\n  burst: 3\n")
    workload = load_workload(path)
    assert workload.arrival.dtype == np.float64
    assert workload.burst_values.dtype == np.float64
    assert workload.arrival.tolist() == [0.0, 0.5]


def test_integer_pids_become_strings(tmp_path: Path) -> None:
    workload = load_workload(
        write(tmp_path, "p.yaml", "- {pid: 1, burst: 2}\n- {pid: 2, burst: 1}\n")
    )
    assert workload.pid == ["1", "2"]


def test_json_is_accepted(tmp_path: Path) -> None:
    document = {
        "name": "js",
        "processes": [{"pid": "A", "arrival": 1, "bursts": [1, 2, 3], "tickets": 7, "nice": -3}],
    }
    workload = load_workload(write(tmp_path, "w.json", json.dumps(document)))
    assert workload.name == "js"
    assert workload.burst_values.tolist() == [1, 2, 3]
    assert workload.tickets.tolist() == [7]
    assert workload.nice.tolist() == [-3]


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, "bom.yaml", "\ufeff- {pid: A, burst: 2}\n".encode())
    assert load_workload(path).pid == ["A"]


# ---------------------------------------------------------------------------------------
# YAML: one message per rule
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "pid: P4\nbursts: [5, 3, 2, 1]",
            "process #2 (pid P4): bursts: must have odd length (CPU first and last), got 4 values",
        ),
        ("pid: P4\narrival: -1\nburst: 2", "process #2 (pid P4): arrival: must be >= 0, got -1"),
        ("pid: P4\nburst: 0", "process #2 (pid P4): burst: must be > 0, got 0"),
        ("pid: P4\nburst: -2.5", "process #2 (pid P4): burst: must be > 0, got -2.5"),
        ("pid: P4\nburst: .nan", "process #2 (pid P4): burst: must be a finite number, got nan"),
        ("pid: P4\nburst: .inf", "process #2 (pid P4): burst: must be a finite number, got inf"),
        (
            "pid: P4\nbursts: [5, 0, 2]",
            "process #2 (pid P4): bursts[1] (I/O): must be > 0, got 0",
        ),
        (
            "pid: P4\nbursts: [5, 1, -2]",
            "process #2 (pid P4): bursts[2] (CPU): must be > 0, got -2",
        ),
        (
            "pid: P4\nbursts: []",
            "process #2 (pid P4): bursts: must not be empty: give at least one CPU burst, "
            "e.g. bursts: [5, 3, 2]",
        ),
        (
            "pid: P4\nburst: 3\nbursts: [3]",
            "process #2 (pid P4): burst, bursts, run: give only one of them (burst for one CPU "
            "burst, run for a script of steps)",
        ),
        (
            "pid: P4\narrival: 3",
            "process #2 (pid P4): burst: field required (give burst: N for one CPU burst, "
            "bursts: [cpu, io, cpu, ...], or run: [steps])",
        ),
        (
            "pid: P4\nbrust: 3",
            "process #2 (pid P4): brust: unknown key 'brust' (did you mean 'burst'?); "
            "allowed keys: pid, arrival, burst, bursts, run, daemon_of, period, deadline, wcet, "
            "phase, jobs, releases, priority, tickets, nice, slice",
        ),
        (
            "pid: P4\nburst: yes",
            "process #2 (pid P4): burst: must be a number, got boolean true (YAML reads "
            "yes/no/on/off/true/false as booleans; write a number, or quote text)",
        ),
        ("pid: P4\nburst: '5'", "process #2 (pid P4): burst: must be a number, got string '5'"),
        ("pid: P4\nburst: 5 ms", "process #2 (pid P4): burst: must be a number, got string '5 ms'"),
        (
            "pid: P4\nburst: 1\npriority: 1.5",
            "process #2 (pid P4): priority: must be an integer, got 1.5",
        ),
        (
            "pid: P4\nburst: 1\npriority: on",
            "process #2 (pid P4): priority: must be an integer, got boolean true (YAML reads "
            "yes/no/on/off/true/false as booleans; write a number, or quote text)",
        ),
        ("pid: P4\nburst: 1\ntickets: 0", "process #2 (pid P4): tickets: must be >= 1, got 0"),
        ("pid: P4\nburst: 1\nnice: 20", "process #2 (pid P4): nice: must be in -20..19, got 20"),
        ("pid: P4\nburst: 1\nnice: -21", "process #2 (pid P4): nice: must be in -20..19, got -21"),
        ("arrival: 1\nburst: 1", "process #2: pid: field required"),
        ("pid: ''\nburst: 1", "process #2: pid: must not be empty, got string ''"),
        ("pid: 1.5\nburst: 1", "process #2: pid: must be a string or an integer, got 1.5"),
        (
            "pid: [1]\nburst: 1",
            "process #2: pid: must be a string or an integer, got a list of 1 item(s)",
        ),
        (
            "pid: P4\narrival: ~\nburst: 1",
            "process #2 (pid P4): arrival: must be a number, got nothing (null)",
        ),
        (
            "pid: P4\nburst: 2000000000000000",
            f"process #2 (pid P4): burst: must be <= {MAX_TIME}, got 2000000000000000",
        ),
    ],
)
def test_each_rule_has_its_message(tmp_path: Path, body: str, message: str) -> None:
    path = process_yaml(tmp_path, body)
    assert one_problem(path) == f"{path}: {message}"


def test_integer_name_is_read_as_text(tmp_path: Path) -> None:
    path = write(tmp_path, "x.yaml", "name: 2024\nprocesses:\n  - {pid: A, burst: 1}\n")
    assert load_workload(path).name == "2024"


def test_non_text_key_is_an_unknown_key(tmp_path: Path) -> None:
    path = write(tmp_path, "x.yaml", "- {pid: A, burst: 1, 1: x}\n")
    assert one_problem(path) == (
        f"{path}: process #1 (pid A): 1: unknown key '1'; "
        "allowed keys: pid, arrival, burst, bursts, run, daemon_of, period, deadline, wcet, "
        "phase, jobs, releases, priority, tickets, nice, slice"
    )


def test_process_that_is_not_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "x.yaml", "processes:\n  - {pid: A, burst: 1}\n  - 5\n")
    assert one_problem(path) == (
        f"{path}: process #2: must be a mapping with keys pid, arrival, burst or bursts, ..., got 5"
    )


def test_duplicate_pids_name_both_positions(tmp_path: Path) -> None:
    path = write(
        tmp_path, "d.yaml", "- {pid: A, burst: 1}\n- {pid: B, burst: 1}\n- {pid: A, burst: 2}\n"
    )
    assert one_problem(path) == (
        f"{path}: process #3 (pid A): pid: duplicate of process #1; pids must be unique"
    )


def test_integer_and_string_pid_that_read_the_same_are_duplicates(tmp_path: Path) -> None:
    path = write(tmp_path, "d.yaml", "- {pid: 7, burst: 1}\n- {pid: '7', burst: 1}\n")
    assert "process #2 (pid 7): pid: duplicate of process #1" in one_problem(path)


def test_every_problem_is_reported_in_file_order(tmp_path: Path) -> None:
    text = """\
processes:
  - pid: P1
    arrival: -1
    burst: 2
  - pid: P2
    bursts: [1, 2]
    nice: 99
  - pid: P1
    burst: 0
"""
    path = write(tmp_path, "many.yaml", text)
    assert problems_of(path) == [
        f"{path}: process #1 (pid P1): arrival: must be >= 0, got -1",
        f"{path}: process #2 (pid P2): bursts: must have odd length (CPU first and last), "
        "got 2 values",
        f"{path}: process #2 (pid P2): nice: must be in -20..19, got 99",
        f"{path}: process #3 (pid P1): pid: duplicate of process #1; pids must be unique",
        f"{path}: process #3 (pid P1): burst: must be > 0, got 0",
    ]


def test_error_message_shows_at_most_twenty_problems(tmp_path: Path) -> None:
    text = "".join(f"- {{pid: P{i}, burst: 0}}\n" for i in range(25))
    with pytest.raises(WorkloadError) as caught:
        load_workload(write(tmp_path, "x.yaml", text))
    assert len(caught.value.problems) == 25
    assert str(caught.value).endswith("... and 5 more problem(s)")


# ---------------------------------------------------------------------------------------
# YAML / JSON: file-level problems
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("processes: []\n", "processes: must not be empty; give at least one process"),
        (
            "name: x\n",
            "processes: field required (a list of processes, each with pid, arrival and "
            "burst or bursts)",
        ),
        ("processes: 5\n", "processes: must be a list of processes, got 5"),
        (
            "hello\n",
            "top level must be a mapping with a 'processes' list (or a list of processes), "
            "got string 'hello'",
        ),
        ("", "file is empty; expected a mapping with a 'processes' list"),
        ("# only a comment\n", "file is empty; expected a mapping with a 'processes' list"),
    ],
)
def test_file_level_problems(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "x.yaml", text)
    assert one_problem(path) == f"{path}: {message}"


def test_unknown_top_level_key_suggests_the_closest(tmp_path: Path) -> None:
    path = write(tmp_path, "x.yaml", "proceses:\n  - {pid: A, burst: 1}\n")
    assert problems_of(path) == [
        f"{path}: unknown key 'proceses' (did you mean 'processes'?); "
        "allowed keys: name, resources, processes",
        f"{path}: processes: field required (a list of processes, each with pid, arrival and "
        "burst or bursts)",
    ]


def test_bad_name_is_reported_with_process_problems(tmp_path: Path) -> None:
    path = write(tmp_path, "x.yaml", "name: [x]\nprocesses:\n  - {pid: A, burst: 0}\n")
    assert problems_of(path) == [
        f"{path}: name: must be a non-empty string, got a list of 1 item(s)",
        f"{path}: process #1 (pid A): burst: must be > 0, got 0",
    ]


def test_yaml_syntax_error_gives_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "x.yaml", "processes:\n  - pid: P1\n    burst: [1\n")
    assert one_problem(path) == (
        f"{path}: line 4, column 1: YAML syntax error: did not find expected ',' or ']' "
        "(while parsing a flow sequence)"
    )


def test_duplicate_yaml_key_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "x.yaml", "- pid: A\n  burst: 1\n  burst: 2\n")
    assert one_problem(path) == (
        f"{path}: line 3, column 10: duplicate key 'burst' in the same mapping; give each key once"
    )


def test_several_yaml_documents_are_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "x.yaml", "- {pid: A, burst: 1}\n---\n- {pid: B, burst: 1}\n")
    assert "more than one YAML document" in one_problem(path)


def test_yaml_tags_are_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "x.yaml", "- {pid: A, burst: !!python/object:os.system 1}\n")
    assert one_problem(path) == (
        f"{path}: line 1, column 19: YAML tag 'tag:yaml.org,2002:python/object:os.system' is "
        "not supported in workload files; write plain values"
    )


def test_non_utf8_bytes_are_rejected_with_line(tmp_path: Path) -> None:
    path = write(tmp_path, "x.yaml", b"- pid: A\n  burst: \xff\n")
    assert one_problem(path) == (
        f"{path}: line 2: not valid UTF-8 (byte 0xff at offset 18); save the file as UTF-8"
    )


def test_yaml_control_character_is_located(tmp_path: Path) -> None:
    path = write(tmp_path, "x.yaml", "- pid: A\n  burst: 1\x01\n")
    assert one_problem(path) == (
        f"{path}: line 2, column 11: character U+0001 is not allowed in YAML (control "
        "characters are not allowed); remove it"
    )


def test_yaml_tab_indentation_gets_a_hint(tmp_path: Path) -> None:
    path = write(tmp_path, "x.yaml", "processes:\n\t- pid: A\n")
    assert one_problem(path) == (
        f"{path}: line 2, column 1: YAML syntax error: found character that cannot start any "
        "token (while scanning for the next token); indent YAML with spaces, not tabs"
    )


def test_json_syntax_error_gives_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "x.json", '{"processes": [\n  {"pid": "A" "burst": 1}]}')
    assert one_problem(path) == (
        f"{path}: line 2, column 15: JSON syntax error: Expecting ',' delimiter"
    )


def test_json_duplicate_key_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "x.json", '[{"pid": "A", "burst": 1, "burst": 2}]')
    assert one_problem(path) == (
        f"{path}: duplicate key 'burst' in the same JSON object; give each key once"
    )


def test_json_nan_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "x.json", '[{"pid": "A", "burst": NaN}]')
    assert (
        one_problem(path) == f"{path}: process #1 (pid A): burst: must be a finite number, got nan"
    )


# ---------------------------------------------------------------------------------------
# Files that are not there, not files, or of unknown format
# ---------------------------------------------------------------------------------------
def test_missing_file(tmp_path: Path) -> None:
    assert one_problem(tmp_path / "nope.yaml") == f"{tmp_path / 'nope.yaml'}: no such file"


def test_directory(tmp_path: Path) -> None:
    assert one_problem(tmp_path) == f"{tmp_path}: is a directory, not a workload file"


def test_unreadable_path(tmp_path: Path) -> None:
    parent = write(tmp_path, "file.yaml", "x")
    assert one_problem(parent / "inner.yaml") == (
        f"{parent / 'inner.yaml'}: cannot read: Not a directory"
    )


def test_unknown_extension_lists_the_supported_ones(tmp_path: Path) -> None:
    path = write(tmp_path, "w.txt", "x")
    assert one_problem(path) == (
        f"{path}: unknown workload format (extension '.txt'); use one of "
        ".yaml, .yml, .json, .csv, .npz"
    )


def test_extension_is_case_insensitive(tmp_path: Path) -> None:
    assert load_workload(write(tmp_path, "W.YAML", CLASSIC)).name == "classic"


# ---------------------------------------------------------------------------------------
# Limits: size, process count, alias bombs, nesting
# ---------------------------------------------------------------------------------------
def test_large_yaml_file_is_rejected_before_reading(tmp_path: Path) -> None:
    path = write(tmp_path, "big.yaml", CLASSIC)
    size = path.stat().st_size
    assert one_problem(path, max_bytes=100) == (
        f"{path}: file is {size:,} bytes, over the 100-byte limit for YAML and JSON; "
        "use CSV or NPZ for bulk workloads"
    )
    assert len(load_workload(path, max_bytes=None)) == 3


def test_too_many_yaml_processes(tmp_path: Path) -> None:
    text = "".join(f"- {{pid: P{i}, burst: 1}}\n" for i in range(6))
    path = write(tmp_path, "many.yaml", text)
    assert one_problem(path, max_processes=5) == (
        f"{path}: more than 5 processes, the limit for YAML and JSON; "
        "use CSV or NPZ for bulk workloads"
    )
    assert len(load_workload(path, max_processes=6)) == 6


def test_too_many_json_processes(tmp_path: Path) -> None:
    path = write(tmp_path, "many.json", json.dumps([{"pid": i, "burst": 1} for i in range(6)]))
    assert one_problem(path, max_processes=5) == (
        f"{path}: 6 processes, over the limit of 5 for YAML and JSON; "
        "use CSV or NPZ for bulk workloads"
    )


def test_alias_bomb_is_rejected_at_the_first_anchor(tmp_path: Path) -> None:
    """Refused at the first anchor, before anything after it is parsed: the syntax error at
    the end of the file, which a parser reading on would report first, is never reached."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    lines += [": : [ }"]
    path = write(tmp_path, "bomb.yaml", "\n".join(lines) + "\n")
    message = one_problem(path)
    assert message == (
        f"{path}: line 1, column 5: YAML anchors and aliases (&name, *name) are not supported "
        "in workload files; write each value out"
    )


def test_deep_nesting_is_rejected_without_recursion_error(tmp_path: Path) -> None:
    depth = 100_000  # libyaml's recursive composer would overflow the C stack on this
    path = write(tmp_path, "deep.yaml", "[" * depth + "]" * depth)
    # Where it stops depends on the libyaml version (our limit, or libyaml's own in its
    # scanner since PyYAML 6.0.4); the message is the same.
    message = one_problem(path)
    assert message.startswith(f"{path}: line 1, column ")
    assert message.endswith(
        ": nested deeper than 32 levels; a workload needs 4 (file, processes, process, bursts)"
    )


def test_deep_block_nesting_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "deep.yaml", "- " * 50 + "1\n")
    assert "nested deeper than 32 levels" in one_problem(path)


def test_deep_json_nesting_is_rejected(tmp_path: Path) -> None:
    depth = 100_000
    path = write(tmp_path, "deep.json", "[" * depth + "]" * depth)
    assert one_problem(path) == (
        f"{path}: nested too deeply; a workload needs 4 levels (file, processes, process, bursts)"
    )


@pytest.mark.benchmark
def test_big_yaml_loads_in_reasonable_time(tmp_path: Path) -> None:
    count = 20_000
    text = "processes:\n" + "".join(
        f"  - pid: P{i}\n    arrival: {i}\n    bursts: [3, 1, 2]\n" for i in range(count)
    )
    path = write(tmp_path, "big.yaml", text)
    start = time.perf_counter()
    workload = load_workload(path)
    elapsed = time.perf_counter() - start
    assert len(workload) == count
    assert workload.burst_offsets[-1] == 3 * count
    assert elapsed < 5.0  # about 0.5 s on a laptop; generous for loaded CI machines


# ---------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------
def test_csv_single_bursts_keep_integers(tmp_path: Path) -> None:
    path = write(tmp_path, "w.csv", "pid,arrival,burst,priority\nP1,0,24,3\nP2,2,5,1\n")
    workload = load_workload(path)
    assert workload.name == "w"
    assert workload.pid == ["P1", "P2"]
    assert workload.arrival.dtype == np.int64
    assert workload.burst_values.tolist() == [24, 5]
    assert workload.burst_offsets.tolist() == [0, 1, 2]
    assert workload.priority.tolist() == [3, 1]
    assert workload.tickets.tolist() == [100, 100]


def test_csv_columns_in_any_order_with_bursts(tmp_path: Path) -> None:
    path = write(tmp_path, "w.csv", "nice,bursts,pid,arrival\n-2,5 3 2,A,0\n4,7,B,1.5\n")
    workload = load_workload(path)
    assert workload.pid == ["A", "B"]
    assert workload.burst_offsets.tolist() == [0, 3, 4]
    assert workload.burst_values.tolist() == [5.0, 3.0, 2.0, 7.0]
    assert workload.arrival.dtype == np.float64
    assert workload.nice.tolist() == [-2, 4]


def test_csv_float_in_any_time_column_makes_float64(tmp_path: Path) -> None:
    workload = load_workload(write(tmp_path, "w.csv", "pid,arrival,burst\nA,0,2.5\nB,1,3\n"))
    assert workload.arrival.dtype == np.float64
    assert workload.arrival.tolist() == [0.0, 1.0]
    assert workload.burst_values.tolist() == [2.5, 3.0]


def test_csv_tolerates_crlf_spaces_and_trailing_blank_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "w.csv", b"pid, arrival, burst\r\nA, 0, 2\r\nB, 1, 3\r\n\r\n")
    workload = load_workload(path)
    assert workload.pid == ["A", "B"]
    assert workload.burst_values.tolist() == [2, 3]
    assert workload.arrival.dtype == np.int64


def test_csv_quoted_pids(tmp_path: Path) -> None:
    path = write(tmp_path, "w.csv", 'pid,arrival,burst\n"a,b",0,2\n"say ""hi""",1,3\n')
    assert load_workload(path).pid == ["a,b", 'say "hi"']


def test_csv_errors_name_row_pid_and_column(tmp_path: Path) -> None:
    rows = "".join(f"P{i},{i},{-3 if i == 17 else 1}\n" for i in range(1, 21))
    path = write(tmp_path, "big.csv", "pid,arrival,burst\n" + rows)
    assert one_problem(path) == f"{path}: row 17 (pid P17): burst: must be > 0, got -3"


def test_csv_every_problem_is_reported(tmp_path: Path) -> None:
    text = "pid,arrival,burst,tickets\nP1,0,5,1\nP2,-1,0,0\nP3,x,2,1\nP1,2,nan,1\n,3,4,1\n"
    path = write(tmp_path, "bad.csv", text)
    assert problems_of(path) == [
        f"{path}: row 2 (pid P2): arrival: must be >= 0, got -1",
        f"{path}: row 2 (pid P2): burst: must be > 0, got 0.0",
        f"{path}: row 2 (pid P2): tickets: must be >= 1, got 0",
        f"{path}: row 3 (pid P3): arrival: must be a number, got string 'x'",
        f"{path}: row 4 (pid P1): pid: duplicate of row 1; pids must be unique",
        f"{path}: row 4 (pid P1): burst: must be a finite number, got nan",
        f"{path}: row 5: pid: must not be empty",
    ]


def test_csv_bursts_column_rules(tmp_path: Path) -> None:
    text = (
        "pid,arrival,bursts,nice\nP1,0,5 3 2,0\nP2,1,5 3,25\nP3,2,,1\nP4,3,1 0 2,0\nP5,3,1 x 2,0\n"
    )
    path = write(tmp_path, "b.csv", text)
    assert problems_of(path) == [
        f"{path}: row 2 (pid P2): bursts: must have odd length (CPU first and last), got 2 values",
        f"{path}: row 2 (pid P2): nice: must be in -20..19, got 25",
        f"{path}: row 3 (pid P3): bursts: must not be empty: give at least one CPU burst",
        f"{path}: row 4 (pid P4): bursts[1] (I/O): must be > 0, got 0",
        f"{path}: row 5 (pid P5): bursts[1] (I/O): must be a number, got string 'x'",
    ]


def test_csv_non_integer_priority(tmp_path: Path) -> None:
    path = write(tmp_path, "p.csv", "pid,arrival,burst,priority\nP1,0,5,1.5\nP2,1,2,3\n")
    assert (
        one_problem(path)
        == f"{path}: row 1 (pid P1): priority: must be an integer, got string '1.5'"
    )


def test_csv_header_problems(tmp_path: Path) -> None:
    path = write(tmp_path, "h.csv", "pid,arival,brust,pid\nP1,0,5,P1\n")
    assert problems_of(path) == [
        f"{path}: header: unknown column 'arival' (did you mean 'arrival'?); allowed columns: "
        "pid, arrival, burst, bursts, priority, tickets, nice, slice",
        f"{path}: header: unknown column 'brust' (did you mean 'burst'?); allowed columns: "
        "pid, arrival, burst, bursts, priority, tickets, nice, slice",
        f"{path}: header: column 'pid' appears more than once",
        f"{path}: header: required column 'arrival' is missing",
        f"{path}: header: give exactly one of the columns 'burst' (one CPU burst) or 'bursts' "
        "(space-separated CPU, I/O, CPU, ... values)",
    ]


def test_csv_field_counts(tmp_path: Path) -> None:
    path = write(tmp_path, "f.csv", "pid,arrival,burst\nP1,0,5\nP2,1\nP3,1,2,3\n")
    assert problems_of(path) == [
        f"{path}: row 2 (line 3): expected 3 fields (pid,arrival,burst), got 2",
        f"{path}: row 3 (line 4): expected 3 fields (pid,arrival,burst), got 4",
    ]


def test_csv_compensating_field_counts_are_still_caught(tmp_path: Path) -> None:
    path = write(tmp_path, "f.csv", "pid,arrival,burst\nP1,0,5,9\nP2,1\n")
    assert len(problems_of(path)) == 2


def test_csv_empty_and_header_only(tmp_path: Path) -> None:
    empty = write(tmp_path, "e.csv", "")
    assert (
        one_problem(empty) == f"{empty}: file is empty; expected a header such as pid,arrival,burst"
    )
    header = write(tmp_path, "h.csv", "pid,arrival,burst\n")
    assert one_problem(header) == f"{header}: no rows after the header; give at least one process"


def test_csv_huge_integer_is_reported_exactly(tmp_path: Path) -> None:
    path = write(tmp_path, "x.csv", "pid,arrival,burst,priority\nA,0,1,99999999999999999999\n")
    assert one_problem(path) == (
        f"{path}: row 1 (pid A): priority: must be between {INT64_MIN} and {INT64_MAX}, "
        "got string '99999999999999999999'"
    )


def test_csv_extreme_int64_priority_is_exact(tmp_path: Path) -> None:
    path = write(
        tmp_path, "x.csv", f"pid,arrival,burst,priority\nA,0,1,{INT64_MAX}\nB,0,1,{INT64_MIN}\n"
    )
    assert load_workload(path).priority.tolist() == [INT64_MAX, INT64_MIN]


def test_csv_integers_beyond_2_53_stay_exact_beside_floats(tmp_path: Path) -> None:
    """2**53 + 1 has no float64: read in the same pass as a float column, it stays exact."""
    path = write(tmp_path, "x.csv", "pid,arrival,burst,priority\nA,0.5,1,9007199254740993\n")
    assert load_workload(path).priority.tolist() == [2**53 + 1]


@pytest.mark.benchmark
def test_csv_million_rows_is_fast(tmp_path: Path) -> None:
    count = 1_000_000
    rng = np.random.default_rng(3)
    arrival = rng.integers(0, 10**6, count)
    burst = rng.integers(1, 100, count)
    workload = Workload(
        pid=[f"P{i}" for i in range(count)],
        arrival=arrival,
        burst_offsets=np.arange(count + 1),
        burst_values=burst,
        priority=np.zeros(count, dtype=np.int64),
        tickets=np.full(count, 100),
        nice=np.zeros(count, dtype=np.int64),
    )
    path = tmp_path / "million.csv"
    save_workload(workload, path)
    start = time.perf_counter()
    loaded = load_workload(path)
    elapsed = time.perf_counter() - start
    assert loaded.pid[-1] == f"P{count - 1}"
    assert np.array_equal(loaded.arrival, arrival)
    assert np.array_equal(loaded.burst_values, burst)
    assert elapsed < 3.0  # about 0.25 s on an idle machine; generous for shared CI


# ---------------------------------------------------------------------------------------
# NPZ
# ---------------------------------------------------------------------------------------
def npz(tmp_path: Path, filename: str = "w.npz", **arrays: Any) -> Path:
    base: dict[str, Any] = {
        "pid": np.array(["P1", "P2"]),
        "arrival": np.array([0, 1]),
        "burst_offsets": np.array([0, 1, 4]),
        "burst_values": np.array([5, 3, 2, 1]),
    }
    base.update(arrays)
    path = tmp_path / filename
    np.savez(path, **{key: value for key, value in base.items() if value is not None})
    return path


def test_npz_loads(tmp_path: Path) -> None:
    workload = load_workload(npz(tmp_path, name=np.array("nm"), tickets=np.array([3, 4])))
    assert workload.name == "nm"
    assert workload.pid == ["P1", "P2"]
    assert workload.arrival.dtype == np.int64
    assert workload.bursts(1) == (3, 2, 1)
    assert workload.tickets.tolist() == [3, 4]
    assert workload.nice.tolist() == [0, 0]


def test_npz_rules_name_array_and_index(tmp_path: Path) -> None:
    path = npz(
        tmp_path,
        pid=np.array(["P1", "P1"]),
        arrival=np.array([0, -1.0]),
        burst_offsets=np.array([0, 2, 5]),
        burst_values=np.array([5, 3, 0, 1, np.nan]),
        nice=np.array([0, 40]),
    )
    assert problems_of(path) == [
        f"{path}: burst_offsets[0:2] (pid P1): bursts: must have odd length (CPU first and "
        "last), got 2 values",
        f"{path}: pid[1] (pid P1): duplicate of pid[0]; pids must be unique",
        f"{path}: arrival[1] (pid P1): must be >= 0, got -1.0",
        f"{path}: burst_values[2] (pid P1, CPU burst): must be > 0, got 0.0",
        f"{path}: burst_values[4] (pid P1, CPU burst): must be a finite number, got nan",
        f"{path}: nice[1] (pid P1): must be in -20..19, got 40",
    ]


def test_npz_structure_problems(tmp_path: Path) -> None:
    path = npz(tmp_path, extra=np.array([1]), burst_values=None)
    assert problems_of(path) == [
        f"{path}: unknown array 'extra'; allowed arrays: pid, arrival, burst_offsets, "
        "burst_values, priority, tickets, nice, slice, name",
        f"{path}: required array 'burst_values' is missing",
    ]
    short = npz(tmp_path, "short.npz", arrival=np.array([0]), tickets=np.array([1.5, 2.0]))
    assert problems_of(short) == [
        f"{short}: arrival: must have 2 entries, got 1",
        f"{short}: tickets: must be a 1-D array of integers, got 1-D float64",
    ]
    booleans = npz(tmp_path, "bool.npz", arrival=np.array([True, False]))
    assert (
        one_problem(booleans)
        == f"{booleans}: arrival: must be a 1-D array of numbers, got 1-D bool"
    )
    offsets = npz(tmp_path, "offsets.npz", burst_offsets=np.array([0, 1, 3]))
    assert one_problem(offsets) == (
        f"{offsets}: burst_offsets: must start at 0, never decrease, and end at "
        "len(burst_values) = 4; got 0 .. 3"
    )


def test_npz_never_unpickles(tmp_path: Path) -> None:
    path = npz(tmp_path, pid=np.array(["P1", None], dtype=object))
    assert one_problem(path).startswith(
        f"{path}: pid: cannot be read: Object arrays cannot be loaded when allow_pickle=False"
    )


def test_npz_that_is_not_a_zip(tmp_path: Path) -> None:
    path = write(tmp_path, "junk.npz", b"\x80\x04K\x01.")
    assert one_problem(path) == f"{path}: not an .npz archive (not a zip file)"


# ---------------------------------------------------------------------------------------
# Saving: format details and round trips
# ---------------------------------------------------------------------------------------
def test_yaml_output_is_canonical(tmp_path: Path) -> None:
    workload = load_workload(write(tmp_path, "classic.yaml", CLASSIC))
    out = tmp_path / "out.yaml"
    save_workload(workload, out)
    assert out.read_text() == (
        "name: classic\n"
        "processes:\n"
        "  - pid: P1\n    arrival: 0\n    burst: 24\n"
        "  - pid: P2\n    arrival: 2\n    bursts: [5, 3, 2]\n    priority: 1\n"
        "  - pid: P3\n    arrival: 0\n    burst: 3\n"
    )
    first = out.read_bytes()
    save_workload(load_workload(out), out)
    assert out.read_bytes() == first


def test_yaml_output_quotes_what_yaml_would_misread(tmp_path: Path) -> None:
    pids = ["yes", "007", "1.5", "null", "a: b", "- x", "#c", "line\nbreak", "a\u2028b"]
    workload = Workload.from_processes([{"pid": pid, "bursts": [1]} for pid in pids], name="on")
    path = tmp_path / "q.yaml"
    save_workload(workload, path)
    assert 'pid: "yes"' in path.read_text()
    loaded = load_workload(path)
    assert loaded.pid == pids
    assert loaded.name == "on"


def test_json_output(tmp_path: Path) -> None:
    workload = load_workload(write(tmp_path, "classic.yaml", CLASSIC))
    out = tmp_path / "out.json"
    save_workload(workload, out)
    document = json.loads(out.read_text())
    assert document["name"] == "classic"
    assert document["processes"][1] == {
        "pid": "P2",
        "arrival": 2,
        "bursts": [5, 3, 2],
        "priority": 1,
    }


def test_csv_output_uses_bursts_column_only_when_needed(tmp_path: Path) -> None:
    workload = load_workload(write(tmp_path, "classic.yaml", CLASSIC))
    out = tmp_path / "out.csv"
    save_workload(workload, out)
    assert out.read_text() == "pid,arrival,bursts,priority\nP1,0,24,0\nP2,2,5 3 2,1\nP3,0,3,0\n"


def test_save_unknown_extension(tmp_path: Path) -> None:
    workload = load_workload(write(tmp_path, "classic.yaml", CLASSIC))
    with pytest.raises(WorkloadError, match="unknown workload format"):
        save_workload(workload, tmp_path / "out.txt")


pid_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=8,
).filter(lambda text: bool(text.strip()))


@st.composite
def workloads(draw: st.DrawFn) -> Workload:
    """Random workloads: odd burst lists, extreme attributes, int or float times."""
    count = draw(st.integers(1, 6))
    floating = draw(st.booleans())
    if floating:
        time_value = st.floats(1e-6, 1e6, allow_nan=False, allow_infinity=False)
        start = st.floats(0, 1e6, allow_nan=False, allow_infinity=False)
    else:
        time_value = st.integers(1, MAX_TIME)
        start = st.integers(0, MAX_TIME)
    pids = draw(st.lists(pid_text, min_size=count, max_size=count, unique=True))
    processes = [
        {
            "pid": pid,
            "arrival": draw(start),
            "bursts": [draw(time_value) for _ in range(draw(st.sampled_from([1, 1, 3, 5])))],
            "priority": draw(st.integers(INT64_MIN, INT64_MAX) | st.integers(-3, 3)),
            "tickets": draw(st.integers(1, 1000)),
            "nice": draw(st.integers(-20, 19)),
        }
        for pid in pids
    ]
    slice_value = st.integers(1, 1000) if draw(st.booleans()) else st.floats(1e-6, 1e6)
    for process in processes:
        if draw(st.booleans()):
            process["slice"] = draw(slice_value)
    name = draw(pid_text)
    return Workload.from_processes(processes, name=name)


def assert_same(loaded: Workload, original: Workload, *, name: bool = True) -> None:
    assert loaded.pid == original.pid
    columns = ("arrival", "burst_offsets", "burst_values", "priority", "tickets", "nice", "slice")
    for column in columns:
        got, expected = getattr(loaded, column), getattr(original, column)
        assert got.dtype == expected.dtype, column
        assert np.array_equal(got, expected), column
    if name:
        assert loaded.name == original.name


@pytest.mark.parametrize("extension", [".yaml", ".yml", ".json", ".csv", ".npz"])
@given(workload=workloads())
def test_round_trip(
    tmp_path_factory: pytest.TempPathFactory, extension: str, workload: Workload
) -> None:
    path = tmp_path_factory.mktemp("round") / f"w{extension}"
    save_workload(workload, path)
    assert_same(load_workload(path), workload, name=extension != ".csv")


@given(workload=workloads())
def test_yaml_output_is_deterministic(
    tmp_path_factory: pytest.TempPathFactory, workload: Workload
) -> None:
    directory = tmp_path_factory.mktemp("det")
    save_workload(workload, directory / "a.yaml")
    save_workload(load_workload(directory / "a.yaml"), directory / "b.yaml")
    assert (directory / "a.yaml").read_bytes() == (directory / "b.yaml").read_bytes()


def test_bulk_round_trip_with_io_and_floats(tmp_path: Path) -> None:
    count = 200_000
    rng = np.random.default_rng(5)
    lengths = rng.choice([1, 3, 5], count)
    offsets = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    workload = Workload(
        pid=[f"job-{i}" for i in range(count)],
        arrival=np.round(rng.uniform(0, 1000, count), 3),
        burst_offsets=offsets,
        burst_values=np.round(rng.uniform(0.5, 10, int(offsets[-1])), 3),
        priority=rng.integers(-5, 5, count),
        tickets=rng.integers(1, 500, count),
        nice=rng.integers(-20, 20, count),
        name="bulk",
    )
    for extension in (".csv", ".npz"):
        path = tmp_path / f"bulk{extension}"
        save_workload(workload, path)
        assert_same(load_workload(path), workload, name=extension == ".npz")


def test_slice_is_optional_in_every_format(tmp_path: Path) -> None:
    """A slice of its own for some processes: YAML omits it, CSV leaves the field empty, and
    0 stands for none in the columns (and in NPZ)."""
    yaml_path = write(tmp_path, "s.yaml", "- {pid: A, burst: 5, slice: 2}\n- {pid: B, burst: 5}\n")
    assert load_workload(yaml_path).slice.tolist() == [2, 0]
    csv_path = write(tmp_path, "s.csv", "pid,arrival,burst,slice\nA,0,5,0.5\nB,0,5,\n")
    loaded = load_workload(csv_path)
    assert loaded.slice.tolist() == [0.5, 0.0] and loaded.slice.dtype == np.float64
    assert loaded.arrival.dtype == np.int64  # a float slice leaves integer times exact
    assert load_workload(npz(tmp_path, slice=np.array([0, 3]))).slice.tolist() == [0, 3]
    assert load_workload(npz(tmp_path, filename="n.npz")).slice.tolist() == [0, 0]
    save_workload(loaded, tmp_path / "back.csv")
    assert (tmp_path / "back.csv").read_text().splitlines()[1:] == ["A,0,5,0.5", "B,0,5,"]


def test_bad_slices_are_reported_with_file_process_and_field(tmp_path: Path) -> None:
    yaml_path = write(tmp_path, "s.yaml", "- {pid: A, burst: 5, slice: 0}\n")
    assert one_problem(yaml_path) == f"{yaml_path}: process #1 (pid A): slice: must be > 0, got 0"
    csv_path = write(tmp_path, "s.csv", "pid,arrival,burst,slice\nA,0,5,-1\nB,0,5,fast\n")
    assert problems_of(csv_path) == [
        f"{csv_path}: row 1 (pid A): slice: must be > 0 (0: none), got -1",
        f"{csv_path}: row 2 (pid B): slice: must be a number, got string 'fast'",
    ]
    npz_path = npz(tmp_path, slice=np.array([1.0, np.inf]))
    assert problems_of(npz_path) == [
        f"{npz_path}: slice[1] (pid P2): must be a finite number, got inf"
    ]


# ---------------------------------------------------------------------------------------
# JSON Schema
# ---------------------------------------------------------------------------------------
def test_json_schema_describes_the_file_format() -> None:
    schema = workload_json_schema()
    assert schema["required"] == ["processes"]
    process = schema["$defs"]["Process"]
    assert process["additionalProperties"] is False
    assert set(process["properties"]) == {
        "pid",
        "arrival",
        "burst",
        "bursts",
        "run",
        "daemon_of",
        "period",
        "deadline",
        "wcet",
        "phase",
        "jobs",
        "releases",
        "priority",
        "tickets",
        "nice",
        "slice",
    }
    assert process["properties"]["nice"]["minimum"] == -20
    assert process["properties"]["nice"]["maximum"] == 19
    assert process["properties"]["tickets"]["minimum"] == 1
    json.dumps(schema)  # serialisable as is
