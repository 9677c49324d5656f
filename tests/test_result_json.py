"""The JSON form of a result, written in pieces: the same document as ``to_dict``, with
the same number types, whatever the policy, the times or where the pieces are cut."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from schedsim import load_workload, result_file, simulate
from schedsim.policies import REGISTRY
from schedsim.result import Result

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = sorted((ROOT / "workloads").glob("*.yaml"))


def same_document(text: str, expected: dict) -> None:
    """Equal values *and* types: json.dumps spells 3 and 3.0 differently, == does not."""
    assert json.dumps(json.loads(text)) == json.dumps(expected)


@pytest.mark.parametrize("workload", WORKLOADS, ids=lambda path: path.stem)
@pytest.mark.parametrize("policy", sorted(REGISTRY))
def test_the_written_form_is_to_dict(monkeypatch, workload, policy):
    monkeypatch.setattr(result_file, "RECORD_CHUNK", 2)  # records cut across several pieces
    work = load_workload(workload)
    for switch in (0, 0.5):
        run = simulate(work, policy, context_switch=switch, cpus=2 if policy == "rr" else 1)
        same_document(run.to_json(), run.to_dict())
        same_document(run.to_json(include_timeline=False), run.to_dict(include_timeline=False))


def test_records_are_one_a_line_under_a_readable_outline():
    run = simulate(load_workload(ROOT / "workloads" / "classic.yaml"), "rr", quantum=4)
    lines = run.to_json().splitlines()
    assert lines[0] == "{" and lines[-1] == "}"
    jobs = lines.index('  "jobs": [')
    assert [json.loads(line.strip().rstrip(","))["pid"] for line in lines[jobs + 1 : jobs + 4]] == [
        "P1",
        "P2",
        "P3",
    ]
    assert lines[jobs + 4] == "  ],"
    assert '  "policy": "rr",' in lines


def test_non_finite_numbers_are_spelled_as_json_spells_them():
    """A hand-made or measured result may hold them; the fast path must not write ``inf``.
    NaN in a per-process column is a time that never came (a deadlock): null."""
    run = simulate(load_workload(ROOT / "workloads" / "classic.yaml"), "fcfs")
    jobs = {name: column.astype(np.float64) for name, column in run.jobs.items()}
    jobs["waiting"][1] = np.inf
    jobs["response"][2] = np.nan
    odd = Result(**{**run.__dict__, "jobs": jobs})
    assert odd.timeline is not None
    odd.timeline.end[0] = float("inf")
    text = odd.to_json()
    assert "Infinity" in text and '"response": null' in text
    assert json.dumps(json.loads(text)) == json.dumps(odd.to_dict())


def test_a_non_finite_time_in_an_integer_result_keeps_the_other_times_whole():
    run = simulate(load_workload(ROOT / "workloads" / "classic.yaml"), "rr", quantum=4)
    assert run.integer_times and run.timeline is not None
    run.timeline.end[1] = float("inf")
    text = run.to_json()
    assert json.dumps(json.loads(text)) == json.dumps(run.to_dict())
    assert '"start": 4, "end": Infinity' in text


def test_an_empty_timeline_is_an_empty_list():
    run = simulate(load_workload(ROOT / "workloads" / "classic.yaml"), "fcfs")
    empty = Result(**{**run.__dict__, "timeline": type(run.timeline)()})
    document = json.loads(empty.to_json())
    assert document["timeline"] == [] and document["io"] == []


def test_a_saved_result_loads_back_as_the_same_document(tmp_path):
    run = simulate(load_workload(ROOT / "workloads" / "interactive_batch.yaml"), "mlfq", cpus=2)
    saved = tmp_path / "run.json"
    saved.write_text(run.to_json())
    loaded = Result.load(saved)
    assert loaded.to_json() == run.to_json()
    with pytest.raises(result_file.ResultFileError) as caught:
        Result.load(saved, max_bytes=100)
    assert str(caught.value) == (
        f"{saved}: file is {saved.stat().st_size:,} bytes, over the 100-byte limit for result "
        "files; raise it with --max-file-size"
    )
