"""Saving workloads that synchronise or have real-time tasks.

``save_workload`` promises that loading the file back gives the same workload.  For a
workload with ``run:`` scripts that means the scripts, the declared resources and the
daemons; for real-time tasks it means the tasks as declared (periods, deadlines, phases,
sporadic releases) with the same jobs.  CSV and NPZ hold columns only: they refuse such a
workload instead of writing a file without its scripts or deadlines.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schedsim import load_workload, simulate
from schedsim.loaders import load_workload_text, save_workload, workload_to_json, workload_to_yaml
from schedsim.loaders.common import limits_for
from schedsim.loaders.documents import from_document
from schedsim.workload import Workload
from tests.strategies import scripts

WORKLOADS = Path(__file__).resolve().parent.parent / "workloads"
SCRIPTED = ["pathfinder", "philosophers", "producer_consumer", "semaphore"]
REALTIME = ["silberschatz_edf", "silberschatz_rm", "pathfinder_periodic"]

MIXED = """
name: mixed
resources:
  locks: ["bus lock"]
  semaphores: {slots: 2}
  events: [go]
  queues: {buffer: 1}
processes:
  - pid: parent
    run: [{cpu: 2}, {set: go}, {join: worker}, {cpu: 1}]
    priority: 2
  - pid: worker
    arrival: 1
    run: [{wait: go}, {lock: "bus lock"}, {cpu: 3}, {unlock: "bus lock"}, {put: buffer}]
  - pid: helper
    daemon_of: parent
    bursts: [1, 2, 10]
    nice: 5
  - pid: taker
    run: [{acquire: slots}, {get: buffer}, {io: 2}, {release: slots}]
  - pid: S
    period: 10
    deadline: 6
    releases: [0, 15, 40]
    wcet: 1
  - pid: T
    period: 7
    phase: 3
    bursts: [1, 1, 1]
  - pid: A
    arrival: 4
    burst: 2
    deadline: 9
"""


def _schedules(workload: Workload) -> list[object]:
    """What every policy that reads scripts, locks, priorities or deadlines makes of it."""
    runs = [
        simulate(workload, "fcfs"),
        simulate(workload, "priority", preemptive=True, locks="inherit"),
    ]
    if workload.realtime is not None:
        runs += [simulate(workload, policy) for policy in ("edf", "rm", "dm", "llf")]
    return [(run.job_records(), run.timeline_records()) for run in runs]


def _same_workload(first: Workload, second: Workload) -> None:
    assert first.pid == second.pid
    assert first.name == second.name
    assert first.program == second.program
    if first.realtime is None:
        assert second.realtime is None
    else:
        assert second.realtime is not None
        assert [task.as_record() for task in first.realtime.tasks] == [
            task.as_record() for task in second.realtime.tasks
        ]
        assert first.realtime.deadline.tolist() == second.realtime.deadline.tolist()
    assert _schedules(first) == _schedules(second)


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
@pytest.mark.parametrize("name", SCRIPTED + REALTIME)
def test_bundled_workload_survives_a_save_and_reload(
    tmp_path: Path, name: str, suffix: str
) -> None:
    original = load_workload(WORKLOADS / f"{name}.yaml")
    target = tmp_path / f"copy{suffix}"
    save_workload(original, target)
    _same_workload(original, load_workload(target))


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_every_step_resource_daemon_and_task_kind_round_trips(tmp_path: Path, suffix: str) -> None:
    """Quoted resource names, all four resource kinds, every step, a daemon, a sporadic
    task with its releases, a periodic task with I/O and a phase, an aperiodic deadline."""
    original = load_workload_text(MIXED, name="mixed")
    target = tmp_path / f"mixed{suffix}"
    save_workload(original, target)
    copy = load_workload(target)
    _same_workload(original, copy)
    assert copy.program is not None and copy.program.daemon_of[copy.pid.index("helper")] == 0


def test_a_task_cut_by_the_horizon_keeps_its_jobs(tmp_path: Path) -> None:
    """Loaded with --until 20, T (period 7, phase 3) released 3 jobs; the saved file says
    jobs: 3, so reloading without a horizon gives the same 3, not a hyperperiod's worth."""
    source = tmp_path / "mixed.yaml"
    source.write_text(MIXED)
    original = load_workload(source, until=20)
    assert [pid for pid in original.pid if pid.startswith("T#")] == ["T#1", "T#2", "T#3"]
    save_workload(original, tmp_path / "copy.yaml")
    assert "jobs: 3" in (tmp_path / "copy.yaml").read_text()
    _same_workload(original, load_workload(tmp_path / "copy.yaml"))


@given(st.integers(1, 5).flatmap(scripts))
def test_any_script_survives_yaml_and_json(document: dict[str, object]) -> None:
    """Random scripts (every step kind, nested locks, joins, daemons): the text written
    reads back as the same program, pids and arrivals."""
    original = from_document(document, "random.yaml", "random", limits_for(False, None, None))
    for text, form in ((workload_to_yaml(original), "yaml"), (workload_to_json(original), "json")):
        copy = load_workload_text(text, format=form, name="random")
        assert copy.program == original.program
        assert copy.pid == original.pid
        assert copy.arrival.tolist() == original.arrival.tolist()


@pytest.mark.parametrize("suffix", [".csv", ".npz"])
@pytest.mark.parametrize(
    ("name", "what"),
    [("producer_consumer", "run: scripts"), ("silberschatz_rm", "real-time tasks")],
)
def test_column_formats_refuse_what_they_cannot_hold(
    tmp_path: Path, suffix: str, name: str, what: str
) -> None:
    target = tmp_path / f"copy{suffix}"
    with pytest.raises(ValueError, match=f"cannot hold {what}.*save it as .yaml or .json"):
        save_workload(load_workload(WORKLOADS / f"{name}.yaml"), target)
    assert not target.exists()
