"""The bundled workloads ship with schedsim, and ``schedsim examples`` lists, prints and
copies them, so the examples of ``--help`` work after a plain (non-editable) install."""

from __future__ import annotations

import glob
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from schedsim.cli import COMMANDS, main
from schedsim.examples import _first_phrase, examples

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = sorted(path for path in (ROOT / "workloads").iterdir() if path.is_file())


def invoke(*args: str | Path) -> object:
    return CliRunner().invoke(main, [str(arg) for arg in args])


def test_every_file_of_workloads_is_package_data_even_one_added_later(tmp_path):
    """setup.py maps workloads/ onto the package schedsim.workloads: a real build step
    (setuptools' build_py, what a wheel is made from) copies every file, and a file added
    to the directory is shipped with no other change."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("setup.py", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, project / name)
    shutil.copytree(ROOT / "workloads", project / "workloads")
    shutil.copytree(
        ROOT / "src", project / "src", ignore=shutil.ignore_patterns("*.so", "__pycache__")
    )
    (project / "workloads" / "added_later.yaml").write_text(
        "# Added after this test was written.\nprocesses: [{pid: A, burst: 1}]\n"
    )
    built = tmp_path / "lib"
    subprocess.run(
        [sys.executable, "setup.py", "-q", "build_py", "--build-lib", str(built)],
        cwd=project,
        check=True,
        capture_output=True,
    )
    shipped = sorted(path.name for path in (built / "schedsim" / "workloads").iterdir())
    assert shipped == sorted([*(path.name for path in BUNDLED), "added_later.yaml"])
    for path in BUNDLED:
        assert (built / "schedsim" / "workloads" / path.name).read_bytes() == path.read_bytes()


def test_examples_lists_every_bundled_workload_with_its_comment():
    result = invoke("examples")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    listed = [line.split()[0] for line in lines[: len(BUNDLED)]]
    assert listed == [path.stem for path in BUNDLED]
    classic = lines[[path.stem for path in BUNDLED].index("classic")]
    assert classic.split(None, 1)[1].startswith("The classic FCFS example (Silberschatz")
    assert lines[-1] == (
        "'schedsim examples NAME' prints one; 'schedsim examples -o workloads' copies them "
        "all into ./workloads."
    )


@pytest.mark.parametrize(
    ("comment", "description"),
    [
        ("A mixed workload: three interactive processes and two batch jobs.  Compare",
         "A mixed workload: three interactive processes and two batch jobs"),
        ("OSTEP ch. 7: A (100) arrives at 0, B and C (10 each) at 10.  Non-preemptive SJF",
         "OSTEP ch. 7: A (100) arrives at 0, B and C (10 each) at 10"),
        ('OSTEP ch. 7 ("Scheduling: Introduction"), the convoy effect: A needs 100',
         'OSTEP ch. 7 ("Scheduling: Introduction"), the convoy effect'),
        ("The SJF example (Silberschatz, Concepts: §5.3.2): four processes.",
         "The SJF example (Silberschatz, Concepts: §5.3.2)"),
        ("Eight processes for multi-CPU runs: try --cpus 1, 2 and 4", None),
        ("x" * 100, "x" * 75 + "…"),
    ],
)  # fmt: skip
def test_a_description_is_the_first_phrase_of_the_comment(comment, description):
    """Up to the first colon or sentence end outside brackets and quotes, running on when
    that leaves fewer than 30 characters ("OSTEP ch. 7"), at most 76 characters."""
    expected = description or comment.split(":")[0]
    assert _first_phrase(comment) == expected


def test_examples_name_prints_the_file_as_it_is():
    result = invoke("examples", "classic")
    assert result.exit_code == 0
    assert result.stdout == (ROOT / "workloads" / "classic.yaml").read_text()
    assert invoke("examples", "classic.yaml").stdout == result.stdout


def test_examples_copies_into_a_directory_and_never_overwrites_an_edit(tmp_path):
    target = tmp_path / "workloads"
    first = invoke("examples", "-o", target)
    assert first.exit_code == 0
    assert first.stdout.splitlines() == [str(target / path.name) for path in BUNDLED]
    assert sorted(path.name for path in target.iterdir()) == [path.name for path in BUNDLED]
    again = invoke("examples", "-o", target)
    assert again.stdout.splitlines() == [f"{target / p.name} (already there)" for p in BUNDLED]
    edited = target / "classic.yaml"
    edited.write_text("# my own\n" + edited.read_text())
    (target / "mlfq.yaml").unlink()
    refused = invoke("examples", "-o", target)
    assert refused.exit_code == 2
    assert refused.stderr == (
        f"Error: {edited}: already there with other contents; remove or rename it, or copy "
        "into another directory\n"
    )
    assert edited.read_text().startswith("# my own") and not (target / "mlfq.yaml").exists()
    one = invoke("examples", "mlfq", "-o", target)
    assert one.exit_code == 0 and one.stdout == f"{target / 'mlfq.yaml'}\n"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["clasic"], "Error: no bundled workload 'clasic'; did you mean 'classic'? the examples "
         "are: "),
        (["-o", "{tmp}/missing/dir"], "Error: -o {tmp}/missing/dir: directory '{tmp}/missing' "
         "does not exist"),
    ],
)  # fmt: skip
def test_examples_errors(tmp_path, arguments, message):
    result = invoke("examples", *(argument.format(tmp=tmp_path) for argument in arguments))
    assert result.exit_code == 2
    assert result.stderr.startswith(message.format(tmp=tmp_path))


def test_a_missing_bundled_workload_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("run", "workloads/mlfq.yaml")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: workloads/mlfq.yaml: no such file; it is a bundled example: 'schedsim "
        "examples mlfq -o workloads' writes it there\n"
    )


def help_examples(command: str) -> list[str]:
    """The example lines of a command's --help (continuation lines joined)."""
    text = CliRunner().invoke(main, [command, "--help"]).stdout.replace("\\\n", " ")
    block = re.search(r"\n  Examples?:\n(.*?)(?:\n\n|\Z)", text, flags=re.DOTALL)
    assert block is not None, command
    return [line.split(" #")[0].split(" > ")[0].strip() for line in block.group(1).splitlines()]


# What a test cannot do: real workers (tests/test_real_*.py), a Dask cluster, a student's
# own answers, a kernel trace recorded with perf, and anything that reads what a skipped line
# would have written.
SKIPPED = ("schedsim measure", "--dask", "run.json", "answers.yaml", "trace.txt", "build.yaml")


def test_every_help_example_works_in_a_directory_with_only_the_copied_examples(
    tmp_path, monkeypatch
):
    """As after ``pip install schedsim`` in an empty directory: ``schedsim examples -o
    workloads`` (the main help says so), then every command's examples, in order.  The
    big.csv of ``generate``'s example is made smaller to keep the test fast."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "100")
    main_help = CliRunner().invoke(main, ["--help"]).stdout
    assert "schedsim examples -o workloads" in main_help
    assert invoke("examples", "-o", "workloads").exit_code == 0
    order = ["examples", "generate", *sorted(set(COMMANDS) - {"examples", "generate"})]
    ran = 0
    for command in order:
        for line in help_examples(command):
            if not line.startswith("schedsim ") or any(mark in line for mark in SKIPPED):
                continue  # another program's command (perf), or one a test cannot run
            line = line.replace("--processes 100000", "--processes 300")
            words = shlex.split(line)[1:]
            arguments = [match for word in words for match in (sorted(glob.glob(word)) or [word])]
            result = CliRunner().invoke(main, arguments)
            assert result.exit_code == 0, f"{line}\n{result.output}"
            ran += 1
    assert ran >= 20
    assert len(examples()) == len(BUNDLED)
