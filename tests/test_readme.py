"""The README's examples work as shown: every runnable ``schedsim`` command in its shell
blocks exits 0, and the library example prints the number the README claims."""

from __future__ import annotations

import glob
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from schedsim.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()

# Commands that need what a test cannot have: a big generated file, a Dask cluster, real
# processes (tested in tests/test_real_*.py), or placeholders.
SKIP = ("big.csv", "HOST", " FILE", "...", "[", "measure", "RESULT.json", "NAME", "…")


def shell_commands() -> list[str]:
    """One entry per README line that runs schedsim (``a && b`` stays one entry)."""
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", README, flags=re.DOTALL):
        block = block.replace("\\\n", " ")
        for line in block.splitlines():
            line = line.split(" #")[0].split(" > ")[0].strip()
            if line.startswith("schedsim ") and not any(mark in line for mark in SKIP):
                commands.append(line)
    return commands


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
        assert result.exit_code == 0, f"{part}\n{result.output}"


def test_readme_text_chart_is_what_schedsim_prints(monkeypatch):
    shown = re.search(r"--ascii {7}# or --gantt -\n(\|.*\|\n0[ 0-9]*\n)", README)
    assert shown is not None
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("COLUMNS", "80")
    result = CliRunner().invoke(main, ["run", "workloads/classic.yaml", "--ascii"])
    assert result.output.endswith("\n" + shown.group(1))


def test_readme_library_example_gives_the_stated_number(monkeypatch):
    namespace: dict[str, object] = {}
    monkeypatch.chdir(ROOT)
    exec(  # the README's own snippet, as a user would paste it
        "from schedsim import load_workload, simulate\n"
        'result = simulate(load_workload("workloads/classic.yaml"), "rr", quantum=4)\n',
        namespace,
    )
    assert 'result.summary["avg_waiting"]     # 5.666...' in README
    assert abs(namespace["result"].summary["avg_waiting"] - 17 / 3) < 1e-12  # type: ignore[attr-defined]
