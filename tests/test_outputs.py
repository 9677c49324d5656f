"""Output files: all or nothing, never over an input, clear errors for unwritable places.

Rules (README, "Limits and guarantees"; :mod:`schedsim.atomic`):

* every output -- ``run --output``, ``--gantt``, ``compare --plot``, ``gantt -o``,
  ``generate -o``, ``save_workload`` -- is written to ``.NAME.XXXX.tmp`` in the target's
  directory and renamed into place once complete;
* an existing file is replaced atomically (a new inode appears under the name; readers see
  the old or the new content, never a mix) and keeps its permission bits;
* the checks run before any work: a missing directory, a path under a regular file, a
  directory given as the file, a non-regular file (a device, a FIFO), a directory that
  refuses new files (read-only or virtual file systems such as /proc -- root ignores
  permission bits, so schedsim tries to create a file rather than trust them), and an output
  that is the input workload (writing it would destroy the input) are each one ``Error:``
  line and exit 2, with nothing written;
* a failure after writing has started -- while encoding, rendering a chart, or on Ctrl-C --
  leaves the target untouched and no temporary file behind.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from schedsim import load_workload
from schedsim.atomic import AtomicFile, check_writable, write_atomic
from schedsim.cli import main
from schedsim.errors import OutputError
from schedsim.loaders import save_workload

ROOT = Path(__file__).resolve().parent.parent
CLASSIC = ROOT / "workloads" / "classic.yaml"


def invoke(*args: Any) -> Any:
    return CliRunner().invoke(main, [str(arg) for arg in args])


def error_of(result: Any) -> str:
    assert result.exit_code == 2, (result.exit_code, result.stderr)
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, result.stderr
    return str(result.stderr)


def names(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


@pytest.fixture
def workload_copy(tmp_path: Path) -> Path:
    path = tmp_path / "classic.yaml"
    path.write_bytes(CLASSIC.read_bytes())
    return path


# -- where an output may go --------------------------------------------------------------------
COMMANDS = [
    "run --output",
    "run --gantt",
    "compare --plot",
    "gantt -o",
    "generate -o",
    "run --trace",
    "gantt --trace",
    "report -o",
    "import -o",
]
TRACE = Path(__file__).resolve().parent / "data" / "traces" / "perf_sched_script.txt"


@pytest.fixture(scope="module")
def saved_result(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("saved") / "result.json"
    assert invoke("run", CLASSIC, "--output", path).exit_code == 0
    return path


def command_line(command: str, target: Path, saved_result: Path) -> list[Any]:
    """``command`` writing to ``target`` (with the extension it needs)."""
    if command == "run --output":
        return ["run", CLASSIC, "--output", target.with_suffix(".json")]
    if command == "run --gantt":
        return ["run", CLASSIC, "--gantt", target.with_suffix(".png")]
    if command == "compare --plot":
        return ["compare", CLASSIC, "-P", "fcfs,rr", "--plot", target.with_suffix(".svg")]
    if command == "gantt -o":
        return ["gantt", saved_result, "-o", target.with_suffix(".pdf")]
    if command == "run --trace":
        return ["run", CLASSIC, "--trace", target.with_suffix(".json")]
    if command == "gantt --trace":
        return ["gantt", saved_result, "--trace", target.with_suffix(".json")]
    if command == "report -o":
        return ["report", CLASSIC, "-P", "fcfs,rr", "-o", target.with_suffix(".html")]
    if command == "import -o":
        return ["import", TRACE, "-o", target.with_suffix(".yaml")]
    generate = ["generate", "-n", "3", "--arrivals", "batch", "--bursts", "constant:1"]
    return [*generate, "-o", target.with_suffix(".csv")]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_missing_directory(tmp_path: Path, saved_result: Path, command: str) -> None:
    arguments = command_line(command, tmp_path / "missing" / "out", saved_result)
    assert error_of(invoke(*arguments)) == (
        f"Error: {arguments[-1]}: directory '{tmp_path / 'missing'}' does not exist; create it "
        "first\n"
    )
    assert names(tmp_path) == []


@pytest.mark.parametrize("command", COMMANDS)
def test_a_path_under_a_regular_file(tmp_path: Path, saved_result: Path, command: str) -> None:
    blocker = tmp_path / "some_file.txt"
    blocker.write_text("not a directory")
    arguments = command_line(command, blocker / "out", saved_result)
    assert error_of(invoke(*arguments)) == (
        f"Error: {arguments[-1]}: '{blocker}' is a file, not a directory; give a path in an "
        "existing directory\n"
    )
    assert names(tmp_path) == ["some_file.txt"]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_directory_that_refuses_new_files(saved_result: Path, command: str) -> None:
    """/proc refuses new files even to root, though its permission bits say writable."""
    arguments = command_line(command, Path("/proc/out"), saved_result)
    assert error_of(invoke(*arguments)) == (
        f"Error: {arguments[-1]}: cannot write in directory '/proc': No such file or directory\n"
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores permission bits")
def test_a_read_only_directory(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        error = error_of(invoke("run", CLASSIC, "--output", locked / "out.json"))
        assert "cannot write in directory" in error and "Permission denied" in error
    finally:
        locked.chmod(0o700)


def test_a_directory_given_as_the_output(tmp_path: Path) -> None:
    (tmp_path / "out.png").mkdir()
    (tmp_path / "plot.svg").mkdir()
    assert error_of(invoke("run", CLASSIC, "--gantt", tmp_path / "out.png")) == (
        f"Error: {tmp_path / 'out.png'}: is a directory; give a file name inside it\n"
    )
    plot = ["compare", CLASSIC, "--plot", tmp_path / "plot.svg"]
    for arguments in (plot, ["run", CLASSIC, "--output", tmp_path]):
        result = invoke(*arguments)  # click refuses these while parsing
        assert result.exit_code == 2 and "is a directory." in result.stderr


def test_a_fifo_or_device_is_never_replaced(tmp_path: Path) -> None:
    """Renaming over ``/dev/null`` as root would replace the device with a regular file."""
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    assert error_of(invoke("run", CLASSIC, "--output", fifo)) == (
        f"Error: {fifo}: exists and is not a regular file; give another name\n"
    )
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_an_empty_output_name() -> None:
    with pytest.raises(OutputError, match=r"^output file name is empty; give a file name$"):
        check_writable("")


# -- never over the input ----------------------------------------------------------------------
@pytest.mark.parametrize("extension", [".json", ".csv"])
def test_the_output_may_not_be_the_input_workload(tmp_path: Path, extension: str) -> None:
    workload = tmp_path / f"w{extension}"
    save_workload(load_workload(CLASSIC), workload)
    before = workload.read_bytes()
    assert error_of(invoke("run", workload, "--output", workload)) == (
        f"Error: {workload}: is the input file '{workload}'; writing it would destroy the "
        "input, give another output name\n"
    )
    link = tmp_path / f"link{extension}"
    link.symlink_to(workload)
    assert "is the input file" in error_of(invoke("run", workload, "--output", link))
    relative = Path(os.path.relpath(workload))
    assert "is the input file" in error_of(invoke("run", relative, "--output", workload))
    assert workload.read_bytes() == before
    assert names(tmp_path) == sorted([workload.name, link.name])


# -- replacing an existing file -------------------------------------------------------------------
def test_an_existing_file_is_replaced_atomically_keeping_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "result.json"
    target.write_text("old content\n")
    target.chmod(0o640)
    reader = target.open()  # a reader holding the old file keeps seeing the old content
    inode = target.stat().st_ino
    assert invoke("run", CLASSIC, "--output", target).exit_code == 0
    assert json.loads(target.read_text())["policy"] == "fcfs"
    assert target.stat().st_ino != inode  # renamed into place, not rewritten in place
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert reader.read() == "old content\n"
    reader.close()
    assert names(tmp_path) == ["result.json"]


def test_a_new_file_gets_the_umask_mode_not_the_temporary_files(tmp_path: Path) -> None:
    previous = os.umask(0o027)
    try:
        write_atomic(tmp_path / "new.txt", "text")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o640


# -- failures after writing started ------------------------------------------------------------
def _explode(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("failure while producing the output")


def test_a_failure_while_encoding_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "result.json"
    target.write_text("previous result\n")
    monkeypatch.setattr("schedsim.result_file.json.dumps", _explode)
    result = invoke("run", CLASSIC, "--output", target)
    assert result.exit_code == 70
    assert target.read_text() == "previous result\n"
    assert names(tmp_path) == ["result.json"]


def test_a_failure_while_drawing_writes_neither_the_chart_nor_the_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Everything is rendered before anything is written, so a chart that fails to draw
    leaves the --output file untouched as well."""
    saved, chart = tmp_path / "result.json", tmp_path / "chart.png"
    saved.write_text("previous result\n")
    monkeypatch.setattr("schedsim.gantt.draw_gantt", _explode)
    result = invoke("run", CLASSIC, "--output", saved, "--gantt", chart)
    assert result.exit_code == 70
    assert saved.read_text() == "previous result\n"
    assert names(tmp_path) == ["result.json"]


def test_a_failure_while_plotting_a_comparison(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plot = tmp_path / "plot.png"
    plot.write_bytes(b"old plot")
    monkeypatch.setattr("schedsim.gantt.draw_gantt", _explode)
    assert invoke("compare", CLASSIC, "-P", "fcfs,sjf", "--plot", plot).exit_code == 70
    assert plot.read_bytes() == b"old plot"
    assert names(tmp_path) == ["plot.png"]


def test_a_failure_in_the_middle_of_the_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The temporary file exists and holds part of the data when the write fails."""
    target = tmp_path / "chart.png"
    target.write_bytes(b"old chart")
    seen: list[list[str]] = []

    class FailingHandle:
        def __init__(self, handle: Any) -> None:
            self.handle = handle

        def __enter__(self) -> FailingHandle:
            return self

        def __exit__(self, *exc: object) -> None:
            self.handle.close()

        def write(self, data: bytes) -> None:
            self.handle.write(data[:10])
            self.handle.flush()
            seen.append(names(tmp_path))
            raise OSError(28, "No space left on device")

    real_fdopen = os.fdopen
    monkeypatch.setattr(
        "schedsim.atomic.os.fdopen", lambda *a, **k: FailingHandle(real_fdopen(*a, **k))
    )
    result = invoke("run", CLASSIC, "--gantt", target)
    assert (result.exit_code, result.stderr) == (
        2,
        f"Error: {target}: cannot write: No space left on device\n",
    )
    assert any(name.startswith(".chart.png.") and name.endswith(".tmp") for name in seen[0])
    assert target.read_bytes() == b"old chart"
    assert names(tmp_path) == ["chart.png"]


def test_ctrl_c_during_a_write_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("schedsim.atomic.os.replace", interrupted)
    generate = ["generate", "-n", "3", "--arrivals", "batch", "--bursts", "constant:1"]
    result = invoke(*generate, "-o", tmp_path / "w.yaml")
    assert (result.exit_code, result.stderr) == (130, "Interrupted.\n")
    assert names(tmp_path) == []


def test_streamed_output_appears_only_when_complete(tmp_path: Path) -> None:
    target = tmp_path / "stream.csv"
    with pytest.raises(ValueError), AtomicFile(target) as handle:
        handle.write("half")
        raise ValueError("stop")
    assert names(tmp_path) == []
    with AtomicFile(target) as handle:
        handle.write("whole\n")
    assert target.read_text() == "whole\n" and names(tmp_path) == ["stream.csv"]


def test_the_library_checks_the_same_way(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="is the input file"):
        check_writable(CLASSIC, inputs=[CLASSIC])
    with pytest.raises(OutputError, match="does not exist; create it first"):
        save_workload(load_workload(CLASSIC), tmp_path / "no" / "w.yaml")
    assert check_writable(tmp_path / "fine.json") == tmp_path / "fine.json"
    assert names(tmp_path) == []  # the check's own probe file is gone


def test_a_run_that_fails_writes_no_output(tmp_path: Path) -> None:
    saved, chart = tmp_path / "result.json", tmp_path / "chart.png"
    saved.write_text("previous result\n")
    # 6 units of CPU in quanta of 2 could be 3 slices (so the run starts), but round robin
    # alternates A, B, A, B: the fourth slice passes the limit mid-run.
    workload = tmp_path / "pair.yaml"
    workload.write_text("- {pid: A, burst: 3}\n- {pid: B, burst: 3}\n")
    outputs = ["--output", saved, "--gantt", chart]
    result = invoke("run", workload, "-p", "rr", "--quantum", "2", "--max-slices", "3", *outputs)
    assert result.exit_code == 2 and "the run exceeded 3 slices" in result.stderr
    assert saved.read_text() == "previous result\n"
    assert names(tmp_path) == ["pair.yaml", "result.json"]


# -- several outputs: all or none -----------------------------------------------------------------
def _limit_error(*args: Any, **kwargs: Any) -> Any:
    from schedsim.errors import LimitError

    raise LimitError("the second output cannot be made")


def test_when_the_second_output_fails_the_first_is_not_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--output`` streamed first, the chart drawn second: a chart refused after the
    result's temporary file was complete leaves the result file as it was."""
    saved, chart = tmp_path / "result.json", tmp_path / "chart.png"
    saved.write_text("previous result\n")
    monkeypatch.setattr("schedsim.gantt.figure_bytes", _limit_error)
    result = invoke("run", CLASSIC, "--output", saved, "--gantt", chart)
    assert result.stderr == "Error: the second output cannot be made\n"
    assert saved.read_text() == "previous result\n"
    assert names(tmp_path) == ["result.json"]


def test_a_sweep_writes_its_table_and_plot_together_or_not_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    table, plot = tmp_path / "sweep.csv", tmp_path / "sweep.png"
    arguments = ["sweep", CLASSIC, "-p", "rr", "--vary", "quantum=1..3", "--jobs", "1"]
    monkeypatch.setattr("schedsim.gantt.figure_bytes", _limit_error)
    result = invoke(*arguments, "--plot", plot, "--output", table)
    assert result.exit_code == 2 and names(tmp_path) == []
    monkeypatch.undo()
    assert invoke(*arguments, "--plot", plot, "--output", table).exit_code == 0
    assert names(tmp_path) == ["sweep.csv", "sweep.png"]


def test_the_outputs_mechanism_renames_all_or_removes_all(tmp_path: Path) -> None:
    from schedsim.atomic import Outputs

    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    with pytest.raises(RuntimeError), Outputs() as outputs:
        outputs.write(first, "one")
        with outputs.stream(second) as handle:
            handle.write("two")
        raise RuntimeError("a later step fails")
    assert names(tmp_path) == []
    with Outputs() as outputs:
        outputs.write(first, "one")
        outputs.write(second, b"two")
    assert (first.read_text(), second.read_text()) == ("one", "two")
    assert names(tmp_path) == ["a.txt", "b.txt"]


# -- outputs that alias an input or each other -----------------------------------------------------
def test_a_link_to_the_input_is_refused_for_every_output(
    tmp_path: Path, workload_copy: Path, saved_result: Path
) -> None:
    """A symbolic link given as an output that points at an input is refused like the
    input itself (replacing the link would leave the input in place but the user's file
    gone; writing through it would destroy the input)."""
    to_workload = tmp_path / "chart.png"
    to_workload.symlink_to(workload_copy)
    to_result = tmp_path / "result.svg"
    to_result.symlink_to(saved_result)
    cases = [
        ["run", workload_copy, "--gantt", to_workload],
        ["compare", workload_copy, "-P", "fcfs", "--plot", to_workload],
        ["sweep", workload_copy, "-p", "rr", "--vary", "quantum=1,2", "--plot", to_workload],
        ["measure", workload_copy, "--gantt", to_workload],
        ["gantt", saved_result, "-o", to_result],
    ]
    for arguments in cases:
        error = error_of(invoke(*arguments))
        assert "is the input file" in error, (arguments, error)
    assert to_workload.is_symlink() and workload_copy.read_bytes() == CLASSIC.read_bytes()


def test_two_outputs_naming_one_file_are_refused(tmp_path: Path) -> None:
    saved = tmp_path / "result.json"
    saved.write_text("{}")
    alias = tmp_path / "chart.png"
    alias.symlink_to(saved)
    error = error_of(invoke("run", CLASSIC, "--output", saved, "--gantt", alias))
    assert error == f"Error: {alias}: named for two outputs; give each its own file\n"
    assert saved.read_text() == "{}"


def test_names_too_long_for_the_file_system(tmp_path: Path) -> None:
    long_name = tmp_path / ("x" * 300 + ".json")
    error = error_of(invoke("run", CLASSIC, "--output", long_name))
    assert error.endswith(": cannot write: File name too long\n"), error
    deep = tmp_path / ("d/" * 3_000 + "x.json")
    error = error_of(invoke("run", CLASSIC, "--output", deep))
    assert len(error) < 400 and "characters)" in error, error


# -- devices that fail while writing -------------------------------------------------------------
def _schedsim(*arguments: Any, **options: Any) -> Any:
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "schedsim", *map(str, arguments)],
        capture_output="stdout" not in options,
        timeout=60,
        check=False,
        **options,
    )


def test_a_streamed_output_over_the_file_size_limit(tmp_path: Path) -> None:
    """A file-size limit (or a full disk) while the result streams into its temporary file:
    one Error line naming the file, exit 2, nothing left behind."""
    import resource

    big = tmp_path / "big.csv"
    big.write_text("pid,arrival,burst\n" + "".join(f"P{i},{i},3\n" for i in range(3_000)))
    target = tmp_path / "result.json"

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))

    completed = _schedsim("run", big, "--no-timeline", "--output", target, preexec_fn=limit)
    assert completed.returncode == 2, completed.stderr
    assert completed.stderr.decode() == f"Error: {target}: cannot write: File too large\n"
    assert names(tmp_path) == ["big.csv"]


def test_standard_output_on_a_full_device() -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    with open("/dev/full", "w") as full:
        completed = _schedsim("policies", stdout=full, stderr=-1)
    assert completed.returncode == 2
    assert completed.stderr.decode() == "Error: cannot write the output: No space left on device\n"


def test_a_sweep_with_standard_error_closed() -> None:
    """No terminal, no progress bar: a closed standard error is no reason to fail."""
    import subprocess

    completed = _schedsim(
        "sweep", CLASSIC, "-p", "rr", "--vary", "quantum=1..8", "--jobs", "2",
        stdout=subprocess.PIPE, preexec_fn=lambda: os.close(2),
    )  # fmt: skip
    assert completed.returncode == 0
    assert b"quantum" in completed.stdout
