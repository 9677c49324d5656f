"""The README's examples work as shown, on a fresh checkout.

Every ``schedsim`` command of its shell blocks is run, in the README's order, in one empty
directory that sees only the repository's ``workloads/`` (what a clone has), and its visible
claims are checked:

* it exits 0, or with the code its comment names (``# exit code 3``);
* a comment's figures are what it prints (``# average waiting 17/3``, ``# offered load 0.900``);
* every file it names as an output exists afterwards, an image with its format's signature;
* an output block right after its shell block is what the block's last command prints: all
  of it for a ``text`` block, its lines in order for a plain block (an excerpt);
* each README image is made by the command above it (``scripts/make_docs_images.py`` runs
  those very commands).

Its ``python`` blocks run as written and give the values they show, and its workload example
loads.  The blocks are read out of README.md itself, never copied here.  The README's
``big.csv`` is made by its own ``generate`` command, with fewer processes to stay fast.
"""

from __future__ import annotations

import ast
import glob
import importlib.util
import re
import shlex
from collections import deque
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from schedsim import Result, load_workload, simulate
from schedsim.cli import main
from schedsim.options import time_option
from schedsim.policies import Policy

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
BIG_PROCESSES = "500"  # instead of the README's million, for big.csv

# Commands that need what a test cannot have: a Dask cluster (HOST), real processes (tested
# in tests/test_real_*.py), a kernel trace recorded with perf, a student's own answers, or
# placeholders.
SKIP = ("HOST", " FILE", "...", "[", "schedsim measure", "RESULT.json", "NAME", "…", "trace.txt")
SKIP += ("schedsim compare-executors",)
SKIP += ("answers.yaml",)
OUTPUT_FLAGS = ("-o", "--output", "--gantt", "--plot", "--trace", "--report")
SIGNATURES = {".png": b"\x89PNG\r\n\x1a\n", ".svg": b"<?xml", ".pdf": b"%PDF-"}


@dataclass
class Example:
    """One README command: as written (continuations joined), its comment, and the output
    block shown right after its shell block when it is that block's last command."""

    command: str
    comment: str
    shown: str | None = None
    exact: bool = False


def code_blocks(language: str) -> list[str]:
    """The README's fenced blocks of one language, in order."""
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.DOTALL)


def examples() -> list[Example]:
    """Every README line that runs schedsim (``a && b`` stays one entry), in order."""
    fences = list(re.finditer(r"```(\w*)\n(.*?)```", README, flags=re.DOTALL))
    found: list[Example] = []
    for index, fence in enumerate(fences):
        if fence.group(1) != "sh":
            continue
        block: list[Example] = []
        for line in fence.group(2).replace("\\\n", " ").splitlines():
            command, _, comment = line.partition(" #")
            command = command.split(" > ")[0].strip()
            if command.startswith("schedsim ") and not any(mark in command for mark in SKIP):
                block.append(Example(command, comment.strip()))
        following = fences[index + 1] if index + 1 < len(fences) else None
        if (
            block
            and following is not None
            and following.group(1) in ("", "text")
            and not README[fence.end() : following.start()].strip()
        ):
            block[-1].shown = following.group(2)
            block[-1].exact = following.group(1) == "text"
        found += block
    return found


EXAMPLES = examples()


def test_the_readme_has_runnable_examples():
    assert len(EXAMPLES) >= 30
    assert sum(example.shown is not None for example in EXAMPLES) >= 4


def claimed_exit_code(example: Example) -> int:
    match = re.search(r"exit code (\d+)", example.comment)
    return int(match.group(1)) if match else 0


def outputs_named(words: list[str]) -> list[str]:
    """The files a command says it writes."""
    return [
        words[position + 1]
        for position, word in enumerate(words[:-1])
        if word in OUTPUT_FLAGS and words[position + 1] != "-"
    ]


def check_claims(example: Example, output: str) -> int:
    """The figures a command's comment states are in what it printed; how many there were."""
    waiting = re.search(r"average waiting (\d+(?:/\d+)?(?:\.\d+)?)", example.comment)
    if waiting:
        mean = float(Fraction(waiting.group(1)))
        row = next(line for line in output.splitlines() if line.strip().startswith("waiting"))
        assert float(row.split("│")[1]) == pytest.approx(mean, abs=5e-4), example.command
    load = re.search(r"offered load (\d+\.\d+)", example.comment)
    if load:
        assert f"offered load {load.group(1)} " in output, example.command
    return bool(waiting) + bool(load)


def check_shown(example: Example, output: str) -> None:
    """The output block under the command: all of it, or (a plain block) its lines in
    order, as printed (trailing spaces aside)."""
    printed = [line.rstrip() for line in output.splitlines()]
    shown = [line.rstrip() for line in (example.shown or "").splitlines()]
    if example.exact:
        assert printed == shown, example.command
    else:
        lines = iter(printed)
        assert all(line in lines for line in shown), example.command


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """An empty directory that sees the repository's workloads, as a clone has them."""
    (tmp_path / "workloads").symlink_to(ROOT / "workloads")
    return tmp_path


def run_in(directory: Path, monkeypatch: pytest.MonkeyPatch, words: list[str]) -> Any:
    monkeypatch.chdir(directory)
    monkeypatch.setenv("COLUMNS", "80")
    arguments = [match for word in words for match in (sorted(glob.glob(word)) or [word])]
    return CliRunner().invoke(main, arguments)


def as_run(part: str) -> list[str]:
    """A command's arguments, with the README's big.csv made smaller."""
    words = shlex.split(part)[1:]
    if "big.csv" in words and "generate" in words:
        words[words.index("--processes") + 1] = BIG_PROCESSES
    return words


def test_every_readme_command_runs_and_shows_what_the_readme_says(checkout, monkeypatch):
    """In README order, in one directory (so a command finds what an earlier one wrote);
    big.csv first, as commands before its ``generate`` line use it."""
    maker = next(e.command for e in EXAMPLES if "generate" in e.command and "big.csv" in e.command)
    made = run_in(checkout, monkeypatch, as_run(maker))
    assert made.exit_code == 0 and (checkout / "big.csv").exists(), made.output
    claims = shown = 0
    for example in EXAMPLES:
        for part in example.command.split(" && "):
            words = as_run(part)
            result = run_in(checkout, monkeypatch, words)
            assert result.exit_code == claimed_exit_code(example), f"{part}\n{result.output}"
            for name in outputs_named(words):
                path = checkout / name
                assert path.is_dir() or path.stat().st_size, f"{part}: {name} not written"
                signature = SIGNATURES.get(path.suffix)
                assert signature is None or path.read_bytes().startswith(signature), name
        claims += check_claims(example, result.output)
        if example.shown is not None:
            check_shown(example, result.output)
            shown += 1
    assert claims >= 3 and shown >= 4


def test_every_readme_image_is_made_by_the_command_above_it():
    """``scripts/make_docs_images.py`` reads the README's image commands; each is a README
    command (run above) writing the image's file."""
    spec = importlib.util.spec_from_file_location(
        "make_docs_images", ROOT / "scripts" / "make_docs_images.py"
    )
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    images = re.findall(r"!\[[^\]]*\]\(docs/images/([\w.-]+)\)", README)
    found = script.image_commands(README)
    assert [name for _, name in found] == images and len(images) == 3
    commands = {example.command for example in EXAMPLES}
    for command, name in found:
        assert command in commands and name in outputs_named(shlex.split(command))
        assert (ROOT / "docs" / "images" / name).is_file()


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
