"""Kernel mode with SCHED_DEADLINE: the kernel's EDF against the simulator's, and the
kernel settings such a run changes always put back — after a normal run, a failure,
Ctrl-C, or schedsim killed with SIGKILL (the guardian process does it then)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from schedsim import load_workload
from schedsim.cli import main
from schedsim.errors import OptionError
from schedsim.real import measure
from schedsim.real.guardian import apply_journal
from schedsim.real.kernel_settings import RT_RUNTIME, KernelSettings, cpuset_root, recover_stale
from schedsim.real.plan import allowed_cores
from schedsim.real.sched_deadline import privilege_problem

pytestmark = pytest.mark.real

ROOT = Path(__file__).resolve().parent.parent
RM_SET = ROOT / "workloads" / "silberschatz_rm.yaml"
EDF_SET = ROOT / "workloads" / "silberschatz_edf.yaml"

can_run = (
    sys.platform.startswith("linux")
    and privilege_problem() is None
    and os.geteuid() == 0
    and cpuset_root() is not None
    and len(allowed_cores()) == (os.cpu_count() or 0) >= 2
)
needs_deadline = pytest.mark.skipif(
    not can_run, reason="needs root, Linux, the cgroup v1 cpuset controller and 2+ CPUs"
)


def kernel_state() -> dict[str, object]:
    """The settings a run may change, and any cpuset a run left."""
    found = cpuset_root()
    assert found is not None
    root, prefix = found
    return {
        "load_balance": (root / f"{prefix}sched_load_balance").read_text().strip(),
        "exclusive": (root / f"{prefix}cpu_exclusive").read_text().strip(),
        "rt_runtime": Path(RT_RUNTIME).read_text().strip(),
        "cpusets": sorted(path.name for path in root.glob("schedsim-*")),
    }


def measured_cleanly(path: Path, **options):
    """A measurement not disturbed by other programs (three tries: the machine is shared)."""
    for _ in range(3):
        measurement = measure(
            load_workload(path), mode="kernel", kernel_policy="deadline", **options
        )
        if not measurement.measured.extra.get("disturbed"):
            return measurement
    pytest.skip("every run was disturbed by other programs on these CPUs")


# -- the journal and the guardian (no privilege needed) -------------------------------------------
def test_a_journal_puts_settings_back_and_removes_directories(tmp_path: Path) -> None:
    setting = tmp_path / "setting"
    setting.write_text("changed")
    directory = tmp_path / "cgroup"
    directory.mkdir()
    journal = tmp_path / "journal.json"
    journal.write_text(
        json.dumps(
            {
                "owner": 1,
                "undo": [{"rmdir": str(directory)}, {"write": str(setting), "value": "original"}],
            }
        )
    )
    assert apply_journal(str(journal))
    assert setting.read_text() == "original" and not directory.exists() and not journal.exists()
    assert not apply_journal(str(journal))  # nothing left to do


def test_the_next_run_applies_a_journal_whose_run_is_gone(tmp_path: Path) -> None:
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead = int(finished.stdout)
    setting = tmp_path / "setting"
    setting.write_text("changed")
    (tmp_path / f"kernel-settings-{dead}.json").write_text(
        json.dumps({"owner": dead, "undo": [{"write": str(setting), "value": "original"}]})
    )
    mine = tmp_path / f"kernel-settings-{os.getpid()}.json"
    mine.write_text(json.dumps({"owner": os.getpid(), "undo": []}))
    assert [path.name for path in recover_stale(tmp_path)] == [f"kernel-settings-{dead}.json"]
    assert setting.read_text() == "original" and mine.exists()


GUARDED = """
import sys, time
from pathlib import Path
from schedsim.real.kernel_settings import KernelSettings
settings = KernelSettings(Path(sys.argv[1])).__enter__()
settings.set(Path(sys.argv[2]), "changed")
print("changed", flush=True)
time.sleep(60)
"""


def test_the_guardian_puts_settings_back_when_schedsim_is_killed(tmp_path: Path) -> None:
    setting = tmp_path / "setting"
    setting.write_text("original")
    environment = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    with subprocess.Popen(
        [sys.executable, "-c", GUARDED, str(tmp_path / "journals"), str(setting)],
        stdout=subprocess.PIPE,
        text=True,
        env=environment,
    ) as run:
        assert run.stdout is not None and run.stdout.readline() == "changed\n"
        assert setting.read_text() == "changed"
        run.kill()
        run.wait()
    deadline = time.monotonic() + 10
    while setting.read_text() != "original" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert setting.read_text() == "original"
    assert list((tmp_path / "journals").glob("*.json")) == []


def test_leaving_the_settings_block_puts_everything_back(tmp_path: Path) -> None:
    setting = tmp_path / "setting"
    setting.write_text("original")
    with pytest.raises(RuntimeError), KernelSettings(tmp_path) as settings:
        settings.set(setting, "changed")
        assert setting.read_text() == "changed"
        raise RuntimeError("a run that fails")
    assert setting.read_text() == "original" and list(tmp_path.glob("*.json")) == []


# -- refusals -------------------------------------------------------------------------------------
def test_without_privilege_the_run_is_refused_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        "schedsim.real.deadline.privilege_problem",
        lambda: "SCHED_DEADLINE needs root or CAP_SYS_NICE (run as root)",
    )
    result = CliRunner().invoke(
        main, ["measure", str(RM_SET), "--mode", "kernel", "--kernel-policy", "deadline"]
    )
    assert result.exit_code == 1
    assert result.output == (
        "Error: --kernel-policy deadline: SCHED_DEADLINE needs root or CAP_SYS_NICE (run as root)\n"
    )


@needs_deadline
def test_only_one_cpu_or_every_cpu() -> None:
    with pytest.raises(OptionError) as caught:
        measure(load_workload(RM_SET), mode="kernel", kernel_policy="deadline", cpus=3)
    assert "give --cpus 1 (an exclusive one-CPU cpuset) or --cpus" in str(caught.value)


@needs_deadline
def test_periods_the_kernel_would_refuse_are_refused_first() -> None:
    with pytest.raises(OptionError) as caught:
        measure(load_workload(RM_SET), mode="kernel", kernel_policy="deadline", unit="1s")
    assert "P1: its period is 50 s with --unit 1s, outside the kernel's" in str(caught.value)


# -- real runs ------------------------------------------------------------------------------------
@needs_deadline
def test_one_cpu_sched_deadline_runs_the_textbook_set_as_edf_does() -> None:
    """Silberschatz's first set (P1 50/20, P2 100/35): EDF's mean response times are 22.5
    and 55 (P2#1 runs 20-55, tied with P1#2 at deadline 100 and released first)."""
    before = kernel_state()
    measurement = measured_cleanly(RM_SET, cpus=1, unit="10ms")
    summary = measurement.comparison.summary
    assert summary["miss_verdicts"]["matches"]
    for row in summary["tasks"]:
        assert abs(row["mean_response_time"]["relative"]) < 0.05, row
    assert measurement.measured.extra["isolated_cpu"] == allowed_cores()[-1]
    assert kernel_state() == before


@needs_deadline
def test_global_edf_over_every_cpu() -> None:
    """Two tasks on two CPUs: each job runs at once, its response time is its wcet."""
    before = kernel_state()
    cpus = len(allowed_cores())
    measurement = measured_cleanly(EDF_SET, cpus=cpus, unit="10ms")
    for row in measurement.comparison.summary["tasks"]:
        assert row["mean_response_time"]["simulated"] in (25, 35)
        assert abs(row["mean_response_time"]["relative"]) < 0.05, row
    assert kernel_state() == before


@needs_deadline
def test_abort_job_ends_late_jobs_at_their_deadlines(tmp_path: Path) -> None:
    """A needs 12 by 10 after each release: every job is ended at its deadline, on both
    sides."""
    path = tmp_path / "late.yaml"
    path.write_text("processes:\n  - {pid: A, period: 20, deadline: 10, wcet: 12, jobs: 3}\n")
    measurement = measured_cleanly(path, cpus=1, unit="10ms", on_miss="abort-job")
    assert measurement.comparison.summary["miss_verdicts"]["matches"]
    assert measurement.measured.summary["aborted"] == 3
    finishes = measurement.measured.jobs["finish"].tolist()
    assert all(abs(finish - due) < 0.2 for finish, due in zip(finishes, [10, 30, 50], strict=True))


def measure_command(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "schedsim", "measure", *arguments]


def wait_for_cpuset(timeout: float = 10.0) -> bool:
    found = cpuset_root()
    assert found is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if list(found[0].glob("schedsim-*")):
            return True
        time.sleep(0.02)
    return False


def wait_for_state(state: dict[str, object], timeout: float = 10.0) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while kernel_state() != state and time.monotonic() < deadline:
        time.sleep(0.05)
    return kernel_state()


@needs_deadline
@pytest.mark.parametrize("how", ["ctrl-c", "sigkill"])
def test_the_kernel_settings_come_back_however_the_run_ends(how: str) -> None:
    before = kernel_state()
    environment = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    command = measure_command(
        str(EDF_SET), "--mode", "kernel", "--kernel-policy", "deadline", "--unit", "10ms"
    )
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment
    ) as run:
        assert wait_for_cpuset(), "the run never set up its cpuset"
        time.sleep(0.3)
        if how == "ctrl-c":
            run.send_signal(signal.SIGINT)
            _, error = run.communicate(timeout=15)
            assert run.returncode == 130 and error.strip() == "Interrupted.", error
            assert kernel_state() == before  # put back before schedsim exited
        else:
            run.send_signal(signal.SIGKILL)
            run.communicate(timeout=15)
            assert wait_for_state(before) == before  # by the guardian
