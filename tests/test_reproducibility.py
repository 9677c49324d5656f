"""Every result carries the version, the options and the seed, and re-running with them
reproduces the simulated result byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from schedsim import __version__, load_workload, simulate
from schedsim.cli import main
from schedsim.policies import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = sorted((ROOT / "workloads").glob("*.yaml"))


@pytest.mark.parametrize("path", WORKLOADS, ids=lambda path: path.stem)
def test_rerunning_from_a_saved_result_reproduces_it_byte_for_byte(path):
    workload = load_workload(path)
    for name in REGISTRY:
        first = simulate(workload, name, cpus=2, seed=7).to_json()
        saved = json.loads(first)
        assert saved["schedsim"] == __version__
        assert saved["settings"]["seed"] == 7
        options = {key: value for key, value in saved["options"].items() if value is not None}
        again = simulate(workload, saved["policy"], **saved["settings"], **options).to_json()
        assert again == first, name


def test_the_table_names_version_options_and_seed():
    result = CliRunner().invoke(
        main, ["run", str(ROOT / "workloads" / "classic.yaml"), "-p", "lottery", "--seed", "3"]
    )
    assert result.exit_code == 0
    assert f"schedsim {__version__}" in result.output
    assert "lottery (quantum=1)" in result.output and "seed 3" in result.output
