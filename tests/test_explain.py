"""``run --explain``: each instant's events, the ready structure and the rule behind every
decision, recorded from the scheduler's own events while the run happens.

Silberschatz's SRTF example (P1 0/8, P2 1/4, P3 2/9, P4 3/5), worked by hand::

    t=0  P1 is the only ready job and runs
    t=1  P2 arrives with 4 to do; P1 has 7 left: P2 preempts P1
    t=5  P2 finishes; of P1 7, P3 9, P4 5 the shortest is P4
    t=10 P4 finishes; P1 (7) before P3 (9);  t=17 P3
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from schedsim import Workload, load_workload, simulate
from schedsim.cli import main
from schedsim.engine import run as engine_run
from schedsim.errors import LimitError, OptionError
from schedsim.explain import Explainer, explain_text
from schedsim.policies import REGISTRY, make_policy
from schedsim.policies.base import Policy, overrides

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = sorted((ROOT / "workloads").glob("*.yaml"))
SRTF = str(ROOT / "workloads" / "silberschatz_srtf.yaml")


def explained(path, policy, **options):
    explainer = Explainer()
    result = simulate(load_workload(path), policy, observer=explainer, **options)
    return explainer, result


def test_srtf_explanation_is_the_hand_worked_one():
    explainer, _ = explained(SRTF, "srtf")
    text = explain_text(explainer.instants)
    assert text.startswith(
        "t=0\n"
        "  arrive   P1\n"
        "  ready    by remaining: P1 8\n"
        "  run      P1 for 8 (to the end of its burst): the only ready job (shortest remaining "
        "time 8)\n"
        "t=1\n"
        "  arrive   P2\n"
        "  running  P1 until 8\n"
        "  ready    by remaining: P2 4\n"
        "  preempt  P1: P2 has 4 left, less than P1's 7\n"
        "  run      P2 for 4 (to the end of its burst): shortest remaining time, 4 < 7 (P1)\n"
    )
    assert (
        "t=5\n  finish   P2\n  ready    by remaining: P4 5, P1 7, P3 9\n"
        "  run      P4 for 5 (to the end of its burst): shortest remaining time, 5 < 7 (P1)\n"
    ) in text


def test_mlfq_says_why_a_job_moves_down():
    """OSTEP's long job alone: quanta 1, 2, 4 and one quantum of allotment per level, so it
    is demoted after its first slice (at 1) and its second (at 3)."""
    explainer, _ = explained(ROOT / "workloads" / "mlfq.yaml", "mlfq", quantum=(1, 2, 4))
    text = explain_text(explainer.instants)
    assert "t=1\n  expire   A: its slice of 1 ran out, 199 left\n" in text
    assert "  level    A demoted to L1: used its allotment of 1 at L0\n" in text
    assert "  level    A demoted to L2: used its allotment of 2 at L1\n" in text
    assert "  ready    L0: - | L1: A | L2: -\n" in text


def test_lottery_shows_the_seeded_draws():
    """The draws shown are the run's generator's: seed 3, 300 tickets then 200."""
    explainer, _ = explained(ROOT / "workloads" / "classic.yaml", "lottery", quantum=4, seed=3)
    rng = np.random.default_rng(3)
    first, second = int(rng.integers(300)), int(rng.integers(200))
    picks = [d.text for i in explainer.instants for d in i.decisions if d.kind == "run"]
    assert picks[0].startswith(f"drew ticket {first} of 0-299: ")
    owner = first // 100  # three jobs of 100 tickets each, numbered in file order
    assert picks[0].endswith(f"P{owner + 1} holds {100 * owner}-{100 * owner + 99}")
    assert picks[1].startswith(f"drew ticket {second} of 0-199: ")


def decisions(explainer):
    return sorted(
        (instant.time + d.data.get("switch", 0), d.pid, d.data["cpu"])
        for instant in explainer.instants
        for d in instant.decisions
        if d.kind == "run"
    )


@pytest.mark.parametrize("name", sorted(REGISTRY))
@pytest.mark.parametrize("cpus", [1, 2])
def test_the_explanation_is_the_run(name, cpus):
    """On every bundled workload (and the float copy of those without scripts): the result
    is the one an unobserved run gives; each process is dispatched as often in the
    explanation as in the result; each dispatch explained starts a slice of the result
    (unless it is to steps that take no time); each preemption explained is a preempted
    slice."""
    for path in WORKLOADS:
        original = load_workload(path)
        copies = [original]
        if original.program is None:
            copies.append(
                Workload.from_records(
                    [
                        {
                            "pid": pid,
                            "arrival": float(original.arrival[i]) / 2,
                            "bursts": [value / 2 for value in original.bursts(i)],
                        }
                        for i, pid in enumerate(original.pid)
                    ]
                )
            )
        for workload in copies:
            where = (path.name, workload.is_integer)
            explainer = Explainer()
            observed = simulate(workload, name, cpus=cpus, seed=1, observer=explainer)
            plain = simulate(workload, name, cpus=cpus, seed=1)
            assert observed.to_json() == plain.to_json(), where
            runs = [
                d for instant in explainer.instants for d in instant.decisions if d.kind == "run"
            ]
            counted = {pid: sum(1 for d in runs if d.pid == pid) for pid in workload.pid}
            assert counted == dict(
                zip(workload.pid, observed.jobs["slices"].tolist(), strict=True)
            ), where
            starts = {(row["start"], row["pid"], row["cpu"]) for row in observed.timeline_records()}
            timed = {d for d in decisions(explainer)}
            steps = {
                (instant.time, d.pid, d.data["cpu"])
                for instant in explainer.instants
                for d in instant.decisions
                if d.kind == "run" and d.data["until"] == "steps"
            }
            assert timed - steps <= starts, where
            preempted = sum(1 for r in observed.timeline_records() if r["reason"] == "preempted")
            explained_preemptions = sum(
                1 for i in explainer.instants for d in i.decisions if d.kind == "preempt"
            )
            assert explained_preemptions == preempted, where


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_policy_gives_its_own_reasons(name):
    cls = REGISTRY[name]
    assert overrides(cls.__new__(cls), "explain_pick")
    assert overrides(cls.__new__(cls), "explain_ready")
    if cls.preemptive:
        assert overrides(cls.__new__(cls), "explain_preempt")


def test_a_policy_without_reasons_gets_plain_defaults():
    class Newest(Policy):
        name = "newest"

        def reset(self, jobs, clock, rng):
            super().reset(jobs, clock, rng)
            self.stack = []

        def on_ready(self, job):
            self.stack.append(job)

        def pick_next(self):
            return self.stack.pop()

    explainer = Explainer()
    simulate(load_workload(ROOT / "workloads" / "classic.yaml"), Newest(), observer=explainer)
    text = explain_text(explainer.instants)
    assert (
        "  ready    ready: P1 P2 P3\n"
        "  run      P3 for 3 (to the end of its burst): picked by newest\n" in text
    )


def test_an_observed_run_refuses_the_compiled_loop_and_long_runs():
    workload = load_workload(SRTF)
    with pytest.raises(OptionError, match="an observed run needs the Python loop"):
        engine_run(workload, make_policy("srtf"), engine="c", observer=Explainer())
    with pytest.raises(LimitError, match="more than 3 instants"):
        simulate(workload, "srtf", observer=Explainer(max_instants=3))


def test_cli_explain_prints_before_the_table_and_as_json():
    result = CliRunner().invoke(main, ["run", SRTF, "-p", "srtf", "--explain"])
    assert result.exit_code == 0
    assert result.output.startswith("t=0\n  arrive   P1\n")
    assert "\n\nsilberschatz-srtf: policy srtf\n" in result.output
    data = json.loads(
        CliRunner()
        .invoke(main, ["run", SRTF, "-p", "srtf", "--explain", "--format", "json"])
        .output
    )
    assert data["policy"] == "srtf" and data["instants"][1]["decisions"][0] == {
        "kind": "preempt",
        "pid": "P1",
        "cpu": 0,
        "by": "P2",
        "reason": "P2 has 4 left, less than P1's 7",
    }
    refused = CliRunner().invoke(main, ["run", SRTF, "--explain", "--format", "csv"])
    assert refused.exit_code == 2 and refused.output.startswith("Error: --explain")


def test_the_readme_excerpt_is_what_explain_prints():
    readme = (ROOT / "README.md").read_text()
    command = "schedsim run workloads/silberschatz_srtf.yaml -p srtf --explain\n```\n\n```\n"
    excerpt = readme[readme.index(command) + len(command) :].split("```")[0]
    output = CliRunner().invoke(main, ["run", SRTF, "-p", "srtf", "--explain"]).output
    assert output.startswith(excerpt)
