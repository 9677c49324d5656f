"""Processes that synchronise: hand-worked schedules checked exactly.

Each test's docstring holds the schedule worked out by hand from the rules in
``schedsim.scripted`` and ``schedsim.sync`` (steps take no time; FIFO hand-off wake-ups
become ready in step 2; a change of effective priority makes preemption due).  ``runs``
below lists what each process executed, with zero-length slices left out and pieces a
process ran back to back (across a step that did not stop it) joined.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from schedsim import load_workload, simulate
from schedsim.cli import main
from schedsim.errors import WorkloadError
from schedsim.loaders.common import limits_for
from schedsim.loaders.documents import from_document
from schedsim.result import Result
from schedsim.workload import Workload

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = ROOT / "workloads"


def scripted(document: dict[str, Any], label: str = "test.yaml") -> Workload:
    """A workload from a YAML-shaped document, validated as a file is."""
    return from_document(document, label, "test", limits_for(False, None, None))


def runs(result: Result) -> list[tuple[str, Any, Any]]:
    """(pid, start, end) of what each CPU executed, in time order."""
    rows = sorted(
        (r for r in result.timeline_records() if r["end"] > r["start"]),
        key=lambda r: (r["start"], r["cpu"]),
    )
    out: list[list[Any]] = []
    for row in rows:
        last = next((piece for piece in reversed(out) if piece[3] == row["cpu"]), None)
        if last is not None and last[0] == row["pid"] and last[2] == row["start"]:
            last[2] = row["end"]
        else:
            out.append([row["pid"], row["start"], row["end"], row["cpu"]])
    return [(pid, start, end) for pid, start, end, _ in sorted(out, key=lambda p: p[1])]


def finishes(result: Result) -> dict[str, Any]:
    return dict(zip(result.pids, result.jobs["finish"].tolist(), strict=True))


# -- priority inversion -------------------------------------------------------------------------
def test_pathfinder_without_a_protocol_the_medium_process_delays_the_high_one() -> None:
    """workloads/pathfinder.yaml, preemptive priority, ``--locks none``:

    | t  | event                                   | runs |
    |----|-----------------------------------------|------|
    | 0  | L (3) arrives, locks bus                | L    |
    | 1  | H (1) arrives and preempts L            | H    |
    | 2  | H locks bus: held by L, H waits; M (2) arrives and beats L (3) | M |
    | 7  | M finishes                              | L    |
    | 10 | L unlocks: bus handed to H, H preempts L | H   |
    | 12 | H finishes                              | L    |
    | 13 | L finishes                              |      |

    H, the most important process, waited 8 units, 5 of them for M: priority inversion."""
    result = simulate(load_workload(WORKLOADS / "pathfinder.yaml"), "priority", preemptive=True)
    assert runs(result) == [
        ("L", 0, 1),
        ("H", 1, 2),
        ("M", 2, 7),
        ("L", 7, 10),
        ("H", 10, 12),
        ("L", 12, 13),
    ]
    assert finishes(result) == {"L": 13, "H": 12, "M": 7}
    assert result.resources is not None
    assert [w for w in result.resources["waits"] if w["to"] != w["from"]] == [
        {"resource": "bus", "kind": "lock", "pid": "H", "from": 2, "to": 10}
    ]


def test_pathfinder_with_priority_inheritance_l_runs_at_h_s_priority() -> None:
    """``--locks inherit``: at 2 H waits for bus, so L inherits priority 1 and runs before M.

    | t  | event                                      | runs |
    |----|--------------------------------------------|------|
    | 0  | L locks bus                                | L    |
    | 1  | H preempts L                               | H    |
    | 2  | H waits for bus: L inherits 1 and beats M  | L    |
    | 5  | L unlocks (back to 3): H gets bus, preempts | H   |
    | 7  | H finishes                                 | M    |
    | 12 | M finishes                                 | L    |
    | 13 | L finishes                                 |      |"""
    result = simulate(
        load_workload(WORKLOADS / "pathfinder.yaml"), "priority", preemptive=True, locks="inherit"
    )
    assert runs(result) == [
        ("L", 0, 1),
        ("H", 1, 2),
        ("L", 2, 5),
        ("H", 5, 7),
        ("M", 7, 12),
        ("L", 12, 13),
    ]
    assert finishes(result) == {"L": 13, "H": 7, "M": 12}
    assert result.jobs["blocked_time"].tolist() == [0, 3, 0]


def test_pathfinder_with_the_priority_ceiling_h_never_waits_for_the_lock() -> None:
    """``--locks ceiling``: bus's ceiling is 1 (H uses it), so from the moment L locks it L
    runs at priority 1; H arriving at 1 is not strictly better and does not preempt.

    | t | event                                          | runs |
    |---|------------------------------------------------|------|
    | 0 | L locks bus, runs at the ceiling 1             | L    |
    | 4 | L unlocks (back to 3): H preempts; at 5 it locks the free bus | H |
    | 7 | H finishes                                     | M    |
    | 12| M finishes                                     | L    |"""
    result = simulate(
        load_workload(WORKLOADS / "pathfinder.yaml"), "priority", preemptive=True, locks="ceiling"
    )
    assert runs(result) == [("L", 0, 4), ("H", 4, 7), ("M", 7, 12), ("L", 12, 13)]
    assert finishes(result) == {"L": 13, "H": 7, "M": 12}
    assert result.jobs["blocked_time"].tolist() == [0, 0, 0]


# -- producer and consumer ------------------------------------------------------------------------
def test_a_bounded_buffer_paces_the_producer_to_the_consumer() -> None:
    """workloads/producer_consumer.yaml (buffer of 2; the producer needs 1 per item, the
    consumer 3), FCFS on 2 CPUs:

    | t  | producer (CPU 0)              | consumer (CPU 1)                   | buffer |
    |----|-------------------------------|------------------------------------|--------|
    | 0  | runs                          | get: empty, waits                  | -      |
    | 1  | put i1: to the waiting getter | woken, runs i1 (1-4)               | -      |
    | 2  | put i2                        |                                    | i2     |
    | 3  | put i3                        |                                    | i2 i3  |
    | 4  | put i4: full, waits           | get i2; i4 enters: producer woken  | i3 i4  |
    | 5  | put i5: full, waits           | (runs i2, 4-7)                     | i3 i4  |
    | 7  | woken, nothing left: finishes | get i3; i5 enters                  | i4 i5  |
    | 10 |                               | get i4                             | i5     |
    | 13 |                               | get i5                             | -      |
    | 16 |                               | finishes                           |        |"""
    result = simulate(load_workload(WORKLOADS / "producer_consumer.yaml"), "fcfs", cpus=2)
    assert finishes(result) == {"producer": 7, "consumer": 16}
    assert result.jobs["blocked_time"].tolist() == [2, 1]
    assert result.resources is not None
    items = [(i["putter"], i["put"], i["getter"], i["got"]) for i in result.resources["items"]]
    assert not any(item["dropped"] for item in result.resources["items"])
    assert items == [
        ("producer", 1, "consumer", 1),
        ("producer", 2, "consumer", 4),
        ("producer", 3, "consumer", 7),
        ("producer", 4, "consumer", 10),
        ("producer", 5, "consumer", 13),
    ]


# -- semaphores, join, events -------------------------------------------------------------------
SEMAPHORE_OF_TWO = {
    "resources": {"semaphores": {"s": 2}},
    "processes": [
        {"pid": pid, "run": [{"acquire": "s"}, {"cpu": 2}, {"release": "s"}, {"cpu": 1}]}
        for pid in "ABCD"
    ],
}


def test_a_semaphore_of_two_lets_two_in_on_three_cpus() -> None:
    """Four processes [acquire s, cpu 2, release s, cpu 1], Semaphore(2), FCFS on 3 CPUs:

    | t | CPU 0              | CPU 1           | CPU 2                                   |
    |---|--------------------|-----------------|-----------------------------------------|
    | 0 | A acquires, runs   | B acquires, runs | C waits for s; then D waits for s: idle |
    | 2 | A releases: unit to C | B releases: unit to D | C runs (2-4)                    |
    | 3 | A done; D runs (3-5) | B done        |                                         |
    | 4 |                    |                 | C releases (nobody waits), runs to 5    |
    | 5 | D releases, runs to 6 |              |                                         |

    D holds its unit from 2, when B hands it over, though it runs only from 3."""
    result = simulate(scripted(SEMAPHORE_OF_TWO), "fcfs", cpus=3)
    assert finishes(result) == {"A": 3, "B": 3, "C": 5, "D": 6}
    assert result.resources is not None
    holds = [(h["pid"], h["acquired"], h["released"]) for h in result.resources["holds"]]
    assert holds == [("A", 0, 2), ("B", 0, 2), ("C", 2, 4), ("D", 2, 5)]
    assert _most_at_once(holds) == 2


def _most_at_once(holds: list[tuple[str, Any, Any]]) -> int:
    edges = sorted(
        [(a, 1) for _, a, _ in holds] + [(r, -1) for _, _, r in holds], key=lambda e: (e[0], e[1])
    )
    count = most = 0
    for _, step in edges:
        count += step
        most = max(most, count)
    return most


def test_join_waits_for_the_child_to_finish() -> None:
    """parent [cpu 1, join child, cpu 1] and child [cpu 3], FCFS on one CPU: the parent runs
    0-1, waits 1-4 while the child runs, and finishes at 5."""
    work = scripted(
        {
            "processes": [
                {"pid": "parent", "run": [{"cpu": 1}, {"join": "child"}, {"cpu": 1}]},
                {"pid": "child", "burst": 3},
            ]
        }
    )
    result = simulate(work, "fcfs")
    assert runs(result) == [("parent", 0, 1), ("child", 1, 4), ("parent", 4, 5)]
    assert result.jobs["blocked_time"].tolist() == [3, 0]


def test_an_event_releases_every_waiter_at_once() -> None:
    """W1-W3 [wait go, cpu 1] and S [cpu 2, set go, cpu 1], FCFS on one CPU: the three
    waiters block at 0, S sets go at 2 and all three wake at 2 (in the order they waited);
    S keeps the CPU to 3 (no preemption under FCFS), then W1, W2, W3 run in turn."""
    work = scripted(
        {
            "resources": {"events": ["go"]},
            "processes": [
                *({"pid": f"W{i}", "run": [{"wait": "go"}, {"cpu": 1}]} for i in (1, 2, 3)),
                {"pid": "S", "run": [{"cpu": 2}, {"set": "go"}, {"cpu": 1}]},
            ],
        }
    )
    result = simulate(work, "fcfs")
    assert result.resources is not None
    assert [(w["pid"], w["from"], w["to"]) for w in result.resources["waits"]] == [
        ("W1", 0, 2),
        ("W2", 0, 2),
        ("W3", 0, 2),
    ]
    assert runs(result) == [("S", 0, 3), ("W1", 3, 4), ("W2", 4, 5), ("W3", 5, 6)]


def test_a_step_that_may_block_ends_the_burst_sjf_sees() -> None:
    """SJF's oracle sees the CPU up to the next step that may make a process wait: B
    [cpu 1, put q, cpu 10] shows a burst of 1, so SJF picks it first (A 5, C 3); the put
    finds room and B keeps its CPU — its burst goes on, 11 in all — then C, then A."""
    work = scripted(
        {
            "resources": {"queues": {"q": 1}},
            "processes": [
                {"pid": "A", "burst": 5},
                {"pid": "B", "run": [{"cpu": 1}, {"put": "q"}, {"cpu": 10}]},
                {"pid": "C", "burst": 3},
            ],
        }
    )
    result = simulate(work, "sjf")
    assert runs(result) == [("B", 0, 11), ("C", 11, 14), ("A", 14, 19)]


# -- deadlock -------------------------------------------------------------------------------------
TWO_LOCKS = {
    "resources": {"locks": ["x", "y"]},
    "processes": [
        {
            "pid": "A",
            "run": [{"lock": "x"}, {"cpu": 2}, {"lock": "y"}, {"unlock": "y"}, {"unlock": "x"}],
        },
        {
            "pid": "B",
            "run": [{"lock": "y"}, {"cpu": 2}, {"lock": "x"}, {"unlock": "x"}, {"unlock": "y"}],
        },
    ],
}


def test_two_locks_taken_in_opposite_orders_deadlock() -> None:
    """On two CPUs A locks x and B locks y at 0; at 2 each reaches for the other's lock:
    nothing can ever proceed, and the run stops at 2 with the cycle A -> B -> A."""
    result = simulate(scripted(TWO_LOCKS), "rr", cpus=2)
    assert result.deadlock is not None
    assert result.deadlock["time"] == 2
    assert [
        {k: member[k] for k in ("pid", "holds", "waits_for")} for member in result.deadlock["cycle"]
    ] == [
        {"pid": "A", "holds": ["x"], "waits_for": "y"},
        {"pid": "B", "holds": ["y"], "waits_for": "x"},
    ]
    assert result.deadlock["message"] == (
        "deadlock at t=2: A holds x and waits for y; B holds y and waits for x"
    )
    assert result.summary["deadlocked"] == 2


def test_an_event_nobody_will_set_again_deadlocks_a_join() -> None:
    """FCFS, one CPU.  Main runs 0-2, sets go and joins W; E (arrived at 0) is dispatched
    at 2, passes go, clears it and waits on it again; W (arrived at 1) then waits on go,
    which nobody will set: Main waits for W, W and E for go — stuck at 2, with no queue in
    the workload (the wait-for graph must not look for one)."""
    document = {
        "resources": {"events": ["go"]},
        "processes": [
            {"pid": "Main", "run": [{"cpu": 2}, {"set": "go"}, {"join": "W"}, {"cpu": 1}]},
            {"pid": "E", "run": [{"wait": "go"}, {"clear": "go"}, {"wait": "go"}]},
            {"pid": "W", "arrival": 1, "run": [{"wait": "go"}, {"cpu": 2}]},
        ],
    }
    result = simulate(scripted(document), "fcfs")
    assert result.deadlock is not None
    assert result.deadlock["time"] == 2
    assert result.deadlock["message"] == (
        "deadlock at t=2: Main waits for W to finish; W waits for go"
    )
    assert result.summary["deadlocked"] == 3


def test_dining_philosophers_deadlock_in_a_cycle_of_five() -> None:
    """workloads/philosophers.yaml: each philosopher locks its left fork at 0 and thinks
    (I/O) to 1; then each waits for its right fork, held by the next: P1 -> P2 -> ... -> P5
    -> P1."""
    result = simulate(load_workload(WORKLOADS / "philosophers.yaml"), "fcfs")
    assert result.deadlock is not None
    assert result.deadlock["time"] == 1
    assert result.deadlock["kind"] == "cycle"
    members = [(m["pid"], m["holds"], m["waits_for"]) for m in result.deadlock["cycle"]]
    assert members == [(f"P{i}", [f"f{i}"], f"f{i % 5 + 1}") for i in range(1, 6)]


def test_a_daemon_ended_holding_a_lock_leaves_its_waiter_blocked_for_ever() -> None:
    """P [cpu 2]; D, daemon of P, [lock x, cpu 10, unlock x]; W [cpu 1, lock x, cpu 1,
    unlock x]; FCFS on 2 CPUs.  P and D start at 0 (D takes x); P finishes at 2, so D is
    ended at 2, still holding x; W runs 2-3 and waits for x for ever: the run stops at 3."""
    work = scripted(
        {
            "resources": {"locks": ["x"]},
            "processes": [
                {"pid": "P", "burst": 2},
                {
                    "pid": "D",
                    "daemon_of": "P",
                    "run": [{"lock": "x"}, {"cpu": 10}, {"unlock": "x"}],
                },
                {"pid": "W", "run": [{"cpu": 1}, {"lock": "x"}, {"cpu": 1}, {"unlock": "x"}]},
            ],
        }
    )
    result = simulate(work, "fcfs", cpus=2)
    assert result.resources is not None
    states = {p["pid"]: p["state"] for p in result.resources["processes"]}
    assert states == {"P": "finished", "D": "ended", "W": "deadlocked"}
    assert result.deadlock is not None
    assert result.deadlock["time"] == 3
    assert result.deadlock["ended_daemons"] == ["D"]
    assert "W waits for x" in result.deadlock["message"]
    assert "ended daemon(s) D" in result.deadlock["message"]
    assert finishes(result)["D"] == 2
    assert result.jobs["cpu_time"].tolist()[1] == 2  # D ran 2 of its 10 before it was ended


def test_a_daemon_ended_during_io_stops_its_io_there() -> None:
    """D, daemon of P, [cpu 1, io 20, cpu 1]; P [cpu 3]; FCFS on one CPU.  D runs 0-1 and
    starts 20 of I/O; P runs 1-4 and finishes, so D is ended at 4, 3 units into its I/O:
    its I/O period is 1-4 (not 1-21), its I/O time 3, and the run ends at 4."""
    work = scripted(
        {
            "processes": [
                {"pid": "D", "daemon_of": "P", "bursts": [1, 20, 1]},
                {"pid": "P", "burst": 3},
            ]
        }
    )
    result = simulate(work, "fcfs")
    assert result.io_periods == [(0, 1, 4)]
    assert result.jobs["io_time"].tolist() == [3, 0]
    assert finishes(result) == {"D": 4, "P": 4}
    assert result.summary["makespan"] == 4


def test_daemons_alone_print_no_empty_resource_table(tmp_path: Path) -> None:
    """A workload whose only synchronisation is a daemon declares no resource: the report
    has no Resources table with a heading and no rows."""
    path = tmp_path / "daemon.yaml"
    path.write_text(
        "processes:\n  - {pid: D, daemon_of: P, bursts: [1, 20, 1]}\n  - {pid: P, burst: 3}\n"
    )
    result = CliRunner().invoke(main, ["run", str(path), "--policy", "fcfs"])
    assert result.exit_code == 0, result.output
    assert "ended" in result.output
    assert "Resources" not in result.output
    declared = CliRunner().invoke(main, ["run", str(WORKLOADS / "pathfinder.yaml"), "-p", "fcfs"])
    assert "Resources" in declared.output and "lock bus" in declared.output


# -- the command line -----------------------------------------------------------------------------
def invoke(*arguments: Any) -> Any:
    return CliRunner().invoke(main, [str(argument) for argument in arguments])


def test_a_deadlock_exits_3_and_json_carries_the_cycle() -> None:
    result = invoke("run", WORKLOADS / "philosophers.yaml", "-p", "fcfs", "--format", "json")
    assert result.exit_code == 3
    import json

    document = json.loads(result.stdout)
    assert document["deadlock"]["time"] == 1
    assert document["deadlock"]["cycle"][0] == {
        "pid": "P1",
        "holds": ["f1"],
        "waits_for": "f2",
        "since": 1,
    }
    assert document["jobs"][0]["finish"] is None
    assert "Deadlock: deadlock at t=1" in result.stderr
    assert Result.from_json(result.stdout).deadlock == document["deadlock"]


def test_the_table_shows_the_deadlock_and_exits_3() -> None:
    result = invoke("run", WORKLOADS / "philosophers.yaml", "-p", "rr")
    assert result.exit_code == 3
    assert "Deadlock: deadlock at t=1: P1 holds f1 and waits for f2" in result.stdout


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {
                "resources": {"locks": ["bus"]},
                "processes": [{"pid": "A", "run": [{"lock": "buss"}]}],
            },
            "test.yaml: process #1 (pid A): run[0] (lock): unknown lock 'buss' "
            "(did you mean 'bus'?); declared locks: bus",
        ),
        (
            {
                "resources": {"locks": ["bus"]},
                "processes": [{"pid": "A", "run": [{"cpu": 1}, {"unlock": "bus"}]}],
            },
            "test.yaml: process #1 (pid A): run[1] (unlock): 'bus' is not held at this "
            "point of the script (lock it first)",
        ),
        (
            {"processes": [{"pid": "A", "run": [{"join": "A"}]}]},
            "test.yaml: process #1 (pid A): run[0] (join): a process cannot join itself",
        ),
        (
            {"processes": [{"pid": "A", "run": [{"join": "Z"}]}]},
            "test.yaml: process #1 (pid A): run[0] (join): no process with pid 'Z'",
        ),
        (
            {"resources": {"semaphores": {"s": -1}}, "processes": [{"pid": "A", "burst": 1}]},
            "test.yaml: resources: semaphores: s: initial value must be >= 0, got -1",
        ),
        (
            {"resources": {"queues": {"q": 0}}, "processes": [{"pid": "A", "burst": 1}]},
            "test.yaml: resources: queues: q: capacity must be >= 1, got 0",
        ),
        (
            {"processes": [{"pid": "A", "run": [{"cpu": -2}]}]},
            "test.yaml: process #1 (pid A): run[0] (cpu): must be > 0 and <= 1e+15, got -2",
        ),
        (
            {"processes": [{"pid": "A", "run": [{"sleep": 2}]}]},
            "test.yaml: process #1 (pid A): run[0]: unknown step 'sleep'; steps: cpu, io, "
            "lock, unlock, acquire, release, wait, set, clear, put, get, join",
        ),
        (
            {"processes": [{"pid": "A", "daemon_of": "B", "burst": 1}]},
            "test.yaml: process #1 (pid A): daemon_of: no process with pid 'B'",
        ),
    ],
)
def test_bad_scripts_are_refused_naming_file_process_step_and_field(
    document: dict[str, Any], message: str
) -> None:
    with pytest.raises(WorkloadError) as error:
        scripted(document)
    assert str(error.value) == message


def test_a_bad_script_on_the_command_line_is_one_error_line_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("resources: {locks: [bus]}\nprocesses:\n  - {pid: A, run: [{lock: bsu}]}\n")
    result = invoke("run", path, "-p", "fcfs")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(
        f"Error: {path}: process #1 (pid A): run[0] (lock): unknown lock 'bsu'"
    )


def test_every_policy_runs_the_bundled_synchronising_workloads() -> None:
    """Every registered policy, on every bundled workload with scripts, ends — finished or
    deadlocked — without an error (policies must take ready daemons out: on_removed)."""
    from schedsim.policies import REGISTRY

    for name in ("pathfinder", "producer_consumer", "semaphore", "philosophers"):
        work = load_workload(WORKLOADS / f"{name}.yaml")
        for policy in REGISTRY:
            for cpus in (1, 2):
                result = simulate(work, policy, cpus=cpus)
                assert (result.deadlock is not None) == (name == "philosophers"), (name, policy)
