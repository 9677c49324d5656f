"""Processes that synchronise, explained, exported and reported.

Priority inversion with a lock (priorities: H 1 is the most important, M 2, L 3), worked by
hand under preemptive priority scheduling::

    L (0):  lock bus, cpu 4, unlock bus, cpu 1
    M (1):  cpu 6
    H (2):  cpu 1, lock bus, cpu 1, unlock bus

    t=0 L locks bus and runs; t=1 M preempts L; t=2 H preempts M; t=3 H waits for bus.
    Without inheritance M runs 3-8, then L 8-11 unlocks bus and H runs 11-12: H waited 8.
    With --locks inherit L takes H's priority 1 at 3, runs 3-6 and unlocks; H runs 6-7.

Two processes taking two locks in opposite orders (round robin, quantum 1) deadlock at 4::

    A: lock x (0), runs 0-1;  B: lock y (1), runs 1-2;  A runs 2-3, waits for y (3);
    B runs 3-4, waits for x (4): A holds x and waits for y, B holds y and waits for x.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from schedsim import load_workload, simulate
from schedsim.cli import main
from schedsim.compare import compare_policies
from schedsim.explain import Explainer, explain_text
from schedsim.html_report import comparison_report
from schedsim.trace_events import PROCESS_TRACK_BASE, trace_document
from tests.browser import Page, find_browser

INVERSION = """
resources:
  locks: [bus]
processes:
  - {pid: L, priority: 3, run: [{lock: bus}, {cpu: 4}, {unlock: bus}, {cpu: 1}]}
  - {pid: M, priority: 2, arrival: 1, run: [{cpu: 6}]}
  - {pid: H, priority: 1, arrival: 2, run: [{cpu: 1}, {lock: bus}, {cpu: 1}, {unlock: bus}]}
"""
DEADLOCK = """
resources:
  locks: [x, y]
processes:
  - {pid: A, run: [{lock: x}, {cpu: 2}, {lock: y}, {cpu: 1}, {unlock: y}, {unlock: x}]}
  - {pid: B, run: [{lock: y}, {cpu: 2}, {lock: x}, {cpu: 1}, {unlock: x}, {unlock: y}]}
"""


def explained(text, policy, **options):
    explainer = Explainer()
    result = simulate(load_workload(text=text), policy, observer=explainer, **options)
    return explain_text(explainer.instants), result


def test_priority_inversion_explained_with_and_without_inheritance():
    plain, _ = explained(INVERSION, "priority", preemptive=True)
    assert "t=3\n  wait     H: lock bus (it depends on L)\n" in plain
    assert "t=11\n  step     L: unlock bus\n  wake     H (its lock bus went through)\n" in plain
    inherit, _ = explained(INVERSION, "priority", preemptive=True, locks="inherit")
    assert (
        "t=3\n  wait     H: lock bus (it depends on L)\n"
        "  priority L: effective priority 1 (its own is 3)\n"
        "  ready    by priority: L 1, M 2\n"
        "  run      L for 4 (to the end of its burst): best priority, 1 < 2 (M)\n"
    ) in inherit
    assert (
        "t=6\n  step     L: unlock bus\n  priority L: effective priority 3 (its own)\n" in inherit
    )
    assert inherit.startswith(
        "t=0\n  arrive   L\n  ready    by priority: L 3\n"
        "  run      L to perform its next steps: the only ready job (priority 3)\n"
        "  step     L: lock bus\n"
    )


def test_a_deadlock_is_explained():
    text, result = explained(DEADLOCK, "rr", quantum=1)
    assert text.endswith(
        "t=4\n  wait     B: lock x (it depends on A)\n"
        "  ready    queue: -\n"
        "  deadlock deadlock at t=4: A holds x and waits for y; B holds y and waits for x\n"
    )
    assert result.deadlock["time"] == 4


@pytest.mark.parametrize("policy", ["fcfs", "rr", "sjf", "srtf", "priority", "mlfq", "fair"])
def test_explaining_a_synchronising_run_changes_nothing(policy):
    for text in (INVERSION, DEADLOCK):
        workload = load_workload(text=text)
        observed = simulate(workload, policy, observer=Explainer())
        assert observed.to_json() == simulate(workload, policy).to_json()


def test_trace_shows_waits_holds_and_the_deadlock():
    result = simulate(load_workload(text=DEADLOCK), "rr", quantum=1)
    events = trace_document([("rr", result)])["traceEvents"]
    blocked = [
        (e["tid"] - PROCESS_TRACK_BASE, e["name"], e["ts"], e["dur"])
        for e in events
        if e.get("cat") == "blocked"
    ]
    assert blocked == [(0, "blocked: lock y", 3000, 1000), (1, "blocked: lock x", 4000, 0)]
    holds = [(e["ph"], e["name"], e["ts"]) for e in events if e.get("cat") == "hold"]
    assert holds == [
        ("b", "A holds lock x", 0),
        ("e", "A holds lock x", 4000),
        ("b", "B holds lock y", 1000),
        ("e", "B holds lock y", 4000),
    ]
    (deadlock,) = [e for e in events if e["name"] == "deadlock"]
    assert deadlock["s"] == "g" and deadlock["ts"] == 4000
    assert not any(e["name"] == "finish" for e in events)  # nobody finished
    json.dumps(events, allow_nan=False)


def test_cli_explain_of_a_deadlock_exits_with_the_deadlock_code(tmp_path):
    path = tmp_path / "deadlock.yaml"
    path.write_text(DEADLOCK)
    result = CliRunner().invoke(main, ["run", str(path), "-p", "rr", "--quantum", "1", "--explain"])
    assert "  deadlock deadlock at t=4" in result.output
    assert result.exit_code == 3


@pytest.mark.skipif(find_browser() is None, reason="Chromium is not installed")
def test_report_of_a_deadlock_draws_the_waits(tmp_path):
    workload = load_workload(text=DEADLOCK)
    path = tmp_path / "deadlock.html"
    path.write_text(comparison_report(compare_policies(workload, "rr:quantum=1"), workload))
    with Page() as page:
        page.open(path.as_uri())
        waits = page.evaluate(
            "Array.from(document.querySelectorAll('rect.blocked')).map(e => [e.dataset.pid, "
            "+e.dataset.start, e.dataset.end])"
        )
        assert waits == [["A", 3, ""], ["B", 4, ""]]  # neither wait ever ends
        assert page.errors() == []
