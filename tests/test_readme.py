"""The README's examples work as shown: every runnable ``schedsim`` command in its shell
blocks exits 0, its ``python`` blocks run as written and give the values they show, and its
workload example loads.  The blocks are read out of README.md itself, never copied here."""

from __future__ import annotations

import ast
import glob
import re
import shlex
from collections import deque
from pathlib import Path

import pytest
from click.testing import CliRunner

from schedsim import Result, load_workload, simulate
from schedsim.cli import main
from schedsim.options import time_option
from schedsim.policies import Policy

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()

# Commands that need what a test cannot have: a big generated file, a Dask cluster, real
# processes (tested in tests/test_real_*.py), a student's answers or a trace recorded on the
# reader's machine (tests/test_exercise.py and tests/test_trace_import.py), or placeholders.
SKIP = (
    "big.csv",
    "HOST",
    " FILE",
    "...",
    "[",
    "measure",
    "compare-executors",
    "RESULT.json",
    "NAME",
    "…",
    "answers.yaml",
    "trace.txt",
)


def code_blocks(language: str) -> list[str]:
    """The README's fenced blocks of one language, in order."""
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.DOTALL)


def shell_commands() -> list[str]:
    """One entry per README line that runs schedsim (``a && b`` stays one entry)."""
    commands = []
    for block in code_blocks("sh"):
        block = block.replace("\\\n", " ")
        for line in block.splitlines():
            comment = line.split(" #", 1)[1] if " #" in line else ""
            line = line.split(" #")[0].split(" > ")[0].strip()
            if line.startswith("schedsim ") and not any(mark in line for mark in SKIP):
                commands.append(line)
                code = re.search(r"exit code (\d+)", comment)
                if code:
                    EXIT_CODES[line] = int(code.group(1))
    return commands


# Commands whose README comment says they end with another exit code (a deadlock: 3).
EXIT_CODES: dict[str, int] = {}


COMMANDS = shell_commands()


def test_the_readme_has_runnable_examples():
    assert len(COMMANDS) >= 15


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command_runs(command, tmp_path, monkeypatch):
    (tmp_path / "workloads").symlink_to(ROOT / "workloads")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "100")
    for part in command.split(" && "):
        words = shlex.split(part)[1:]
        arguments = [match for word in words for match in (sorted(glob.glob(word)) or [word])]
        result = CliRunner().invoke(main, arguments)
        assert result.exit_code == EXIT_CODES.get(command, 0), f"{part}\n{result.output}"


def test_readme_text_chart_is_what_schedsim_prints(monkeypatch):
    shown = re.search(r"--ascii {7}# or --gantt -\n(\|.*\|\n0[ 0-9]*\n)", README)
    assert shown is not None
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("COLUMNS", "80")
    result = CliRunner().invoke(main, ["run", "workloads/classic.yaml", "--ascii"])
    assert result.output.endswith("\n" + shown.group(1))


PYTHON_BLOCKS = code_blocks("python")
LIBRARY_EXAMPLE = next(block for block in PYTHON_BLOCKS if "from schedsim import" in block)
POLICY_EXAMPLE = next(block for block in PYTHON_BLOCKS if "class RoundRobin(Policy)" in block)
RECORDS_EXAMPLE = next(block for block in PYTHON_BLOCKS if "Workload.from_records" in block)


def test_every_python_block_of_the_readme_is_run_here():
    assert PYTHON_BLOCKS == [LIBRARY_EXAMPLE, RECORDS_EXAMPLE, POLICY_EXAMPLE]


def test_readme_records_example_builds_the_same_workload_twice():
    namespace: dict[str, object] = {}
    exec(compile(RECORDS_EXAMPLE, "README.md", "exec"), namespace)
    lab, same = namespace["lab"], namespace["same"]
    assert list(lab.iter_bursts()) == list(same.iter_bursts()) == [(8,), (2, 5, 2)]
    assert lab.arrival.tolist() == same.arrival.tolist() == [0, 1]


def test_readme_library_example_runs_and_shows_true_values(monkeypatch, capsys):
    """Each statement runs in turn, as in an interpreter; a statement whose comment shows a
    value (``# 5.666...``) must produce it."""
    monkeypatch.chdir(ROOT)
    namespace: dict[str, object] = {}
    lines = LIBRARY_EXAMPLE.splitlines()
    shown_values = 0
    for statement in ast.parse(LIBRARY_EXAMPLE).body:
        shown = re.search(r"#\s*(-?[0-9][0-9.]*)\.\.\.", lines[statement.end_lineno - 1])
        if isinstance(statement, ast.Expr) and shown:
            code = compile(ast.Expression(statement.value), "README.md", "eval")
            assert str(eval(code, namespace)).startswith(shown.group(1))
            shown_values += 1
        else:
            exec(compile(ast.Module([statement], []), "README.md", "exec"), namespace)
    assert shown_values >= 1
    printed = capsys.readouterr().out  # "the result format every command reads and writes"
    assert Result.from_json(printed).to_json() + "\n" == printed  # print adds a line end


def test_readme_policy_example_is_round_robin():
    """The README's RoundRobin, with the names ``policies/rr.py`` imports, schedules every
    bundled workload exactly as the registered ``rr`` does."""
    namespace: dict[str, object] = {"deque": deque, "Policy": Policy, "time_option": time_option}
    exec(compile(POLICY_EXAMPLE, "README.md", "exec"), namespace)
    example = namespace["RoundRobin"]
    assert isinstance(example, type) and issubclass(example, Policy)
    for path in sorted((ROOT / "workloads").glob("*.yaml")):
        workload = load_workload(path)
        for cpus in (1, 2):
            written = simulate(workload, example(quantum=3), cpus=cpus)
            registered = simulate(workload, "rr", quantum=3, cpus=cpus)
            assert written.to_json() == registered.to_json(), (path.name, cpus)


def test_readme_synchronisation_example_loads(tmp_path):
    (example,) = [block for block in code_blocks("yaml") if "resources:" in block]
    path = tmp_path / "scripts.yaml"
    path.write_text(example)
    workload = load_workload(path)
    assert workload.program is not None
    assert workload.pid == ["L", "producer", "consumer", "parent", "logger"]
    assert workload.program.daemon_of == (-1, -1, -1, -1, 3)
    assert workload.program.resources.queues == (("buffer", 1),)
    result = simulate(workload, "fcfs")
    assert result.deadlock is None and result.summary["ended"] == 1


def test_readme_workload_example_loads(tmp_path):
    (example,) = [block for block in code_blocks("yaml") if "name: classic" in block]
    path = tmp_path / "example.yaml"
    path.write_text(example)
    workload = load_workload(path)
    assert workload.name == "classic" and workload.pid == ["P1", "P2"]
    assert workload.arrival.tolist() == [0, 2]
    assert list(workload.iter_bursts()) == [(24,), (5, 3, 2)]
    assert workload.priority.tolist() == [3, 0]
    assert workload.tickets.tolist() == [100, 200]
    assert workload.nice.tolist() == [0, -5]
