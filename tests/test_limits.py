"""Resource attacks: every one is refused up front, or handled within a documented limit.

Each attack runs in a fresh Python process that reports its own peak memory (VmHWM) and
the seconds the command took, so the guarantee -- a clear ``Error:`` and exit 2, quickly and
in bounded memory, never an out-of-memory or an hour-long run -- is measured, not assumed.
A bare schedsim command peaks at about 60 MB; the bounds below leave room for slow machines.
The default run checks the memory; the seconds are checked by each test's ``timed`` variant,
a benchmark (``pytest -m benchmark``, on an otherwise idle machine).  In-process refusals
check instead that the work they guard against never started.

The limits (README, "Limits and guarantees"):

=============================  ==============  ========================================
limit                          default         override
=============================  ==============  ========================================
YAML/JSON file size            64 MiB          --max-file-size / max_bytes=
YAML/JSON processes            200,000         --max-processes / max_processes=
YAML/JSON burst values         10 per process  (scales with the process limit)
CSV/NPZ file size              512 MiB         --max-file-size / max_bytes=
CSV/NPZ processes              10,000,000      --max-processes / max_processes=
last arrival + all bursts      2**62           (a larger time unit)
slices per run                 20 million      --max-slices / max_slices=
CPUs                           1,024           --
chart rows / slices            2,000 / 500,000 --gantt-by cpu
result file size (gantt)       128 MiB         --max-file-size
=============================  ==============  ========================================
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pytest
from click.testing import CliRunner

from schedsim import load_workload, simulate
from schedsim.cli import main
from schedsim.errors import LimitError, OptionError, WorkloadError
from schedsim.limits import MAX_BULK_BYTES, MAX_DOCUMENT_BYTES, MAX_RESULT_BYTES
from schedsim.policies import REGISTRY, make_policy
from schedsim.policies.base import Policy

pytestmark = pytest.mark.timeout(120)

ROOT = Path(__file__).resolve().parent.parent
CLASSIC = str(ROOT / "workloads" / "classic.yaml")
GIGABYTE = 10**9

MEASURE = """
import json, resource, sys, time
from click.testing import CliRunner
from schedsim.cli import main


def peak_megabytes():
    # VmHWM: this process image's peak resident memory (ru_maxrss would include the memory
    # of the pytest process that forked it, which Linux carries across exec)
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


start = time.perf_counter()
result = CliRunner().invoke(main, sys.argv[1:])
print(json.dumps({
    "exit_code": result.exit_code,
    "stderr": result.stderr,
    "seconds": time.perf_counter() - start,
    "peak_mb": peak_megabytes(),
    "escaped": None if isinstance(result.exception, (SystemExit, type(None)))
    else repr(result.exception),
}))
"""


def measured(*args: Any, memory_limit: int | None = None) -> dict[str, Any]:
    """Run ``schedsim ARGS`` in a fresh process; its exit code, stderr, seconds, peak MB."""

    def limit_memory() -> None:
        if memory_limit is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))

    completed = subprocess.run(
        [sys.executable, "-c", MEASURE, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=100,
        preexec_fn=limit_memory,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    report: dict[str, Any] = json.loads(completed.stdout.splitlines()[-1])
    assert report["escaped"] is None, report
    assert "Traceback" not in report["stderr"]
    return report


class Refusal(Protocol):
    def __call__(
        self, *args: Any, seconds: float = 1.0, megabytes: float = 200, contains: str = ""
    ) -> dict[str, Any]: ...


@pytest.fixture(params=["bounded", pytest.param("timed", marks=pytest.mark.benchmark)])
def refused(request: pytest.FixtureRequest) -> Refusal:
    """Checks that ``schedsim ARGS``, run in a fresh process, ends with one ``Error:`` line
    and exit 2 within ``megabytes`` of memory -- a refusal that did the work it guards
    against (parsing, allocating) would need far more.  The ``timed`` variant, a benchmark
    run only with ``pytest -m benchmark`` on an idle machine, also checks ``seconds``."""
    timed = request.param == "timed"

    def check(
        *args: Any, seconds: float = 1.0, megabytes: float = 200, contains: str = ""
    ) -> dict[str, Any]:
        report = measured(*args)
        assert report["exit_code"] == 2, report
        assert report["stderr"].startswith("Error: "), report
        assert contains in report["stderr"], report
        assert report["peak_mb"] < megabytes, report
        if timed:
            assert report["seconds"] < seconds, report
        return report

    return check


def invoke(*args: Any) -> Any:
    return CliRunner().invoke(main, [str(arg) for arg in args])


# -- YAML bombs ------------------------------------------------------------------------------
def test_billion_laughs_is_refused_at_the_first_anchor(refused: Refusal, tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    path = tmp_path / "laughs.yaml"
    path.write_text("\n".join(lines) + "\nprocesses: *a9\n")
    refused(
        "run",
        path,
        contains=f"{path}: line 1, column 5: YAML anchors and aliases (&name, *name) are not "
        "supported in workload files; write each value out",
    )


def test_an_alias_inside_a_process_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "alias.yaml"
    path.write_text("processes:\n  - {pid: A, burst: &five 5}\n  - {pid: B, burst: *five}\n")
    assert invoke("validate", path).stderr == (
        f"Error: {path}: line 2, column 21: YAML anchors and aliases (&name, *name) are not "
        "supported in workload files; write each value out\n"
    )


CODE_TAGS = [
    '!!python/object/apply:os.system ["touch {marker}"]',
    '!!python/object/apply:subprocess.check_call [["touch", "{marker}"]]',
    '!!python/object/new:subprocess.Popen [["touch", "{marker}"]]',
    "!!python/name:os.system",
    "!!python/module:os",
    '!<tag:yaml.org,2002:python/object/apply:os.system> ["touch {marker}"]',
    '!!python/object:__main__.Planted {{marker: "{marker}"}}',
    "!!binary aGVsbG8=",
    "!!set {{a, b}}",
    "!custom 5",
]


@pytest.mark.parametrize("tagged", CODE_TAGS)
def test_no_code_in_a_workload_is_ever_run(tmp_path: Path, tagged: str) -> None:
    """Only plain YAML is read: every explicit tag is refused, so nothing is constructed."""
    marker = tmp_path / "pwned"
    value = tagged.format(marker=marker)
    for text in (
        f"processes:\n  - {{pid: A, burst: {value}}}\n",
        f"processes: {value}\n",
        f"%TAG !py! tag:yaml.org,2002:python/object/apply:\n---\n- {{pid: A, burst: 1}}\n"
        f"- !py!os.system [touch {marker}]\n",
    ):
        path = tmp_path / "evil.yaml"
        path.write_text(text)
        result = invoke("run", path)
        assert result.exit_code == 2, result.stderr
        refusal = ("is not supported in workload files", "YAML syntax error")
        assert any(reason in result.stderr for reason in refusal), result.stderr
        assert not marker.exists()


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("flow.yaml", "[" * 100_000, "nested deeper than 32 levels"),
        ("mapping.yaml", "{a: " * 100_000, "nested deeper than 32 levels"),
        ("block.yaml", "".join(" " * depth + "- \n" for depth in range(0, 20_000, 2)), "nested"),
        ("deep.json", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("object.json", '{"a":' * 100_000 + "1" + "}" * 100_000, "nested too deeply"),
    ],
    ids=["flow", "mapping", "block", "json-list", "json-object"],
)
def test_deeply_nested_documents(
    refused: Refusal, tmp_path: Path, name: str, text: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    refused("validate", path, contains=message)


def test_a_mapping_with_millions_of_keys_is_refused_early(refused: Refusal, tmp_path: Path) -> None:
    path = tmp_path / "keys.yaml"
    path.write_text("- {pid: A, burst: 1, " + ", ".join(f"k{i}: 1" for i in range(500_000)) + "}\n")
    refused("validate", path, seconds=2, contains="a mapping with more than 64 keys")
    json_path = tmp_path / "keys.json"
    json_path.write_text('[{"pid": "A", ' + ", ".join(f'"k{i}": 1' for i in range(500)) + "}]")
    assert "a mapping with more than 64 keys" in invoke("validate", json_path).stderr


# -- size -------------------------------------------------------------------------------------
@pytest.fixture
def gigabyte_files(tmp_path: Path) -> Iterator[dict[str, Path]]:
    """A 1 GB sparse file per format: it takes no disk space, but reading it would take a
    gigabyte of memory."""
    files = {}
    for extension in (".yaml", ".json", ".csv", ".npz"):
        path = tmp_path / f"huge{extension}"
        with path.open("wb") as handle:
            handle.truncate(GIGABYTE)
        files[extension] = path
    yield files


def test_a_one_gigabyte_file_is_refused_by_size_before_reading(
    refused: Refusal,
    gigabyte_files: dict[str, Path],
) -> None:
    for extension, path in gigabyte_files.items():
        bulk = extension in (".csv", ".npz")
        limit = MAX_BULK_BYTES if bulk else MAX_DOCUMENT_BYTES
        kind = "CSV and NPZ" if bulk else "YAML and JSON"
        advice = "raise it with --max-file-size" if bulk else "use CSV or NPZ for bulk workloads"
        refused(
            "run",
            path,
            seconds=0.5,
            megabytes=120,
            contains=f"Error: {path}: file is 1,000,000,000 bytes, over the {limit:,}-byte "
            f"limit for {kind}; {advice}\n",
        )


def test_a_one_gigabyte_result_file_is_refused_by_size(
    refused: Refusal, gigabyte_files: dict[str, Path]
) -> None:
    path = gigabyte_files[".json"]
    refused(
        "gantt",
        path,
        seconds=0.5,
        megabytes=150,
        contains=f"{path}: file is 1,000,000,000 bytes, over the {MAX_RESULT_BYTES:,}-byte limit "
        "for result files; raise it with --max-file-size",
    )


def test_the_size_limit_is_overridable(tmp_path: Path) -> None:
    path = tmp_path / "w.csv"
    path.write_text("pid,arrival,burst\nA,0,5\n")
    assert "over the 10-byte limit" in invoke("run", path, "--max-file-size", "10").stderr
    assert invoke("run", path, "--max-file-size", "1K").exit_code == 0
    assert invoke("validate", path, "--max-file-size", "none").exit_code == 0
    assert invoke("run", path, "--max-file-size", "ten").stderr == (
        "Error: --max-file-size: expected a size such as 1000000, 64M or 2G (or none), got 'ten'\n"
    )


def test_an_npz_zip_bomb_is_refused_before_inflating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "bomb.npz"
    zeros = np.zeros(4_000_000)  # 32 MB of arrays, a few kilobytes compressed
    np.savez_compressed(
        path, pid=np.asarray(["A"]), arrival=zeros, burst_offsets=zeros, burst_values=zeros
    )
    assert path.stat().st_size < 200_000

    def inflate(*args: Any) -> None:
        raise AssertionError("an array was decompressed")

    monkeypatch.setattr(np.lib.npyio.NpzFile, "__getitem__", inflate)
    with pytest.raises(WorkloadError, match="once decompressed, over the 1,000,000-byte limit"):
        load_workload(path, max_bytes=1_000_000)


# -- counts -----------------------------------------------------------------------------------
def test_a_million_process_yaml_is_refused_without_parsing(
    refused: Refusal, tmp_path: Path
) -> None:
    path = tmp_path / "million.yaml"
    path.write_bytes(b"processes:\n" + b"  - {pid: P, burst: 1}\n" * 1_000_000)
    refused(
        "run",
        path,
        seconds=0.5,
        megabytes=150,
        contains="more than 200,000 processes, the limit for YAML and JSON",
    )


def test_a_million_process_json_is_refused_without_parsing(
    refused: Refusal, tmp_path: Path
) -> None:
    path = tmp_path / "million.json"
    path.write_bytes(b'{"processes": [' + b'{"pid": 1, "burst": 1},' * 999_999 + b"{}]}")
    refused("run", path, seconds=0.5, megabytes=150, contains="999,999 processes, over the limit")


def test_processes_without_pids_are_still_counted_while_parsing(
    refused: Refusal, tmp_path: Path
) -> None:
    path = tmp_path / "anonymous.yaml"
    path.write_bytes(b"- {burst: 1}\n" * 400_000)
    refused("validate", path, seconds=3, megabytes=200, contains="more than 200,000 processes")


def test_millions_of_bursts_in_yaml_or_json_are_refused_by_the_value_budget(
    refused: Refusal,
    tmp_path: Path,
) -> None:
    bursts = b",".join([b"1"] * 6_000_001)
    yaml_path = tmp_path / "bursts.yaml"
    yaml_path.write_bytes(b"- pid: A\n  bursts: [" + bursts + b"]\n")
    json_path = tmp_path / "bursts.json"
    json_path.write_bytes(b'[{"pid": "A", "bursts": [' + bursts + b"]}]")
    budget = "more than 5,200,000 values (numbers, strings, lists, mappings)"
    refused("validate", yaml_path, seconds=8, megabytes=300, contains=budget)
    refused("validate", json_path, seconds=1, megabytes=150, contains=budget)


def test_the_burst_limit_of_yaml_and_json(tmp_path: Path) -> None:
    path = tmp_path / "bursts.json"
    path.write_text(json.dumps([{"pid": "A", "bursts": [1] * 21}]))
    with pytest.raises(WorkloadError) as caught:
        load_workload(path, max_processes=2)
    assert caught.value.problems == [
        f"{path}: 21 burst values in all, over the limit of 20 for YAML and JSON (10 per "
        "process allowed); use CSV or NPZ for bulk workloads"
    ]


def test_csv_process_limit_is_counted_from_the_lines(tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    path.write_text("pid,arrival,burst\n" + "".join(f"P{i},0,1\n" for i in range(5000)))
    assert invoke("validate", path, "--max-processes", "4999").stderr == (
        f"Error: {path}: 5,000 data lines, over the limit of 4,999 processes; raise it with "
        "--max-processes\n"
    )
    assert invoke("validate", path, "--max-processes", "5000").exit_code == 0
    classic_rows = tmp_path / "cr.csv"
    classic_rows.write_bytes(b"pid,arrival,burst\rA,0,1\rB,0,1\rC,0,1\r")
    with pytest.raises(WorkloadError, match="3 data lines, over the limit of 2 processes"):
        load_workload(classic_rows, max_processes=2)


def test_the_total_time_must_fit_in_64_bit_integers(tmp_path: Path) -> None:
    """Ten thousand bursts of 10**15 are each valid, but their sum overflows int64."""
    path = tmp_path / "long.csv"
    path.write_text("pid,arrival,burst\n" + "".join(f"P{i},0,{10**15}\n" for i in range(10_000)))
    assert invoke("validate", path).stderr == (
        f"Error: {path}: the last arrival plus all bursts add up to 1e+19 time units, over the "
        "limit of 4.612e+18 (2**62, so that every time fits in 64-bit integers); express the "
        "times in a larger unit\n"
    )


# -- hostile numbers in every field -------------------------------------------------------------
YAML_HOSTILE = (
    """processes:
  - {pid: P1, arrival: .nan, bursts: [.inf, -.inf, .NaN]}
  - {pid: P2, burst: 1.0e-300, priority: .inf, tickets: .nan, nice: .inf}
  - {pid: P3, burst: 1.0e+300}
  - {pid: P4, burst: 1"""
    + "0" * 100
    + "}\n"
)
JSON_HOSTILE = json.dumps(
    {
        "processes": [
            {"pid": "P1", "arrival": float("nan"), "bursts": [float("inf"), -float("inf"), 0]},
            {"pid": "P2", "burst": 1e-300, "priority": float("inf"), "tickets": float("nan")},
            {"pid": "P3", "burst": 1e300, "nice": 10**100},
            {"pid": "P4", "burst": 10**100},
        ]
    }
)
CSV_HOSTILE = (
    "pid,arrival,bursts,priority,tickets,nice\n"
    "P1,nan,inf -inf NaN,0,100,0\n"
    "P2,0,1e-300,inf,nan,Infinity\n"
    "P3,0,1e300,0,100,0\n"
    f"P4,0,1{'0' * 100},0,100,1{'0' * 100}\n"
)


@pytest.mark.parametrize(
    ("name", "text", "problems"),
    [
        (
            "w.yaml",
            YAML_HOSTILE,
            [
                "process #1 (pid P1): arrival: must be a finite number, got nan",
                "process #1 (pid P1): bursts[0] (CPU): must be a finite number, got inf",
                "process #1 (pid P1): bursts[1] (I/O): must be a finite number, got -inf",
                "process #1 (pid P1): bursts[2] (CPU): must be a finite number, got nan",
                "process #2 (pid P2): priority: must be an integer, got inf",
                "process #2 (pid P2): tickets: must be an integer, got nan",
                "process #2 (pid P2): nice: must be an integer, got inf",
                "process #3 (pid P3): burst: must be <= 1000000000000000, got 1e+300",
                "process #4 (pid P4): burst: must be <= 1000000000000000, got an integer of "
                "101 digits",
            ],
        ),
        (
            "w.json",
            JSON_HOSTILE,
            [
                "process #1 (pid P1): arrival: must be a finite number, got nan",
                "process #1 (pid P1): bursts[0] (CPU): must be a finite number, got inf",
                "process #1 (pid P1): bursts[1] (I/O): must be a finite number, got -inf",
                "process #1 (pid P1): bursts[2] (CPU): must be > 0, got 0",
                "process #2 (pid P2): priority: must be an integer, got inf",
                "process #2 (pid P2): tickets: must be an integer, got nan",
                "process #3 (pid P3): burst: must be <= 1000000000000000, got 1e+300",
                "process #3 (pid P3): nice: must be in -20..19, got an integer of 101 digits",
                "process #4 (pid P4): burst: must be <= 1000000000000000, got an integer of "
                "101 digits",
            ],
        ),
        (
            "w.csv",
            CSV_HOSTILE,
            [
                "row 1 (pid P1): arrival: must be a finite number, got nan",
                "row 1 (pid P1): bursts[0] (CPU): must be a finite number, got inf",
                "row 1 (pid P1): bursts[1] (I/O): must be a finite number, got -inf",
                "row 1 (pid P1): bursts[2] (CPU): must be a finite number, got nan",
                "row 2 (pid P2): priority: must be an integer, got string 'inf'",
                "row 2 (pid P2): tickets: must be an integer, got string 'nan'",
                "row 2 (pid P2): nice: must be an integer, got string 'Infinity'",
                "row 3 (pid P3): bursts[0] (CPU): must be <= 1000000000000000, got 1e+300",
                f"row 4 (pid P4): nice: must be between {-(2**63)} and {2**63 - 1}, got "
                "an integer of 101 digits",
                "row 4 (pid P4): bursts[0] (CPU): must be <= 1000000000000000, got 1e+100",
            ],
        ),
    ],
    ids=["yaml", "json", "csv"],
)
def test_nan_inf_and_huge_numbers_in_every_field(
    tmp_path: Path, name: str, text: str, problems: list[str]
) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(WorkloadError) as caught:
        load_workload(path)
    assert caught.value.problems == [f"{path}: {problem}" for problem in problems]


def test_tiny_and_huge_bursts_within_the_limits_simulate_exactly(tmp_path: Path) -> None:
    path = tmp_path / "extremes.yaml"
    path.write_text(
        "processes:\n  - {pid: A, burst: 1.0e-300}\n  - {pid: B, burst: 1.0e+15}\n"
        "  - {pid: C, burst: 5.0e-324}\n"
    )
    result = simulate(load_workload(path), "fcfs")
    assert result.jobs["finish"].tolist() == [1e-300, 1e15, 1e15]
    assert result.jobs["cpu_time"].tolist() == [1e-300, 1e15, 5e-324]


# -- slices -------------------------------------------------------------------------------------
QUANTUM_LIKE = {
    "rr": {"quantum": 1e-9},
    "mlfq": {"quantum": 1e-9},
    "lottery": {"quantum": 1e-9},
    "stride": {"quantum": 1e-9},
    "fair": {"target_latency": 1e-9, "min_granularity": 1e-9},
    "gil": {"switch_interval": 1e-9},
    "asyncio": {"yield_every": 1e-9},
}


@pytest.mark.parametrize(("policy", "options"), QUANTUM_LIKE.items())
def test_a_tiny_quantum_is_refused_before_the_run(
    monkeypatch: pytest.MonkeyPatch, policy: str, options: dict[str, Any]
) -> None:
    """Refused from the policy's longest slice alone: the run never starts (the policy is
    never reset for it, let alone handed a job)."""
    workload = load_workload(CLASSIC)
    chosen = make_policy(policy, **options)

    def started(*args: Any) -> None:
        raise AssertionError("the run started")

    monkeypatch.setattr(chosen, "reset", started)
    with pytest.raises(LimitError) as caught:
        simulate(workload, chosen)
    assert (
        "needs at least 3e+10 slices for this workload's 30 units of CPU in 3 bursts, "
        "above the limit " in str(caught.value)
    )
    assert "use a larger quantum, or --max-slices N to allow more" in str(caught.value)


def test_every_policy_with_a_slice_option_declares_its_longest_slice() -> None:
    slice_options = {"quantum", "target_latency", "min_granularity"}
    for name, cls in REGISTRY.items():
        if slice_options & {option.name for option in cls.options}:
            assert cls.longest_slice is not Policy.longest_slice, name
            assert make_policy(name).longest_slice() < float("inf"), name
    assert set(QUANTUM_LIKE) <= set(REGISTRY)


def test_a_tiny_quantum_through_the_cli_names_the_flag_to_raise(refused: Refusal) -> None:
    """The table keeps no timeline, so the larger limit applies; JSON keeps one."""
    for flags, limit in (([], "200,000,000"), (["--format", "json"], "20,000,000")):
        report = refused("run", CLASSIC, "-p", "rr", "--quantum", "1e-9", *flags)
        assert report["stderr"] == (
            "Error: policy rr(quantum=1e-09) needs at least 3e+10 slices for this workload's "
            f"30 units of CPU in 3 bursts, above the limit of {limit}; use a larger quantum, "
            "or --max-slices N to allow more\n"
        )


def test_a_huge_number_of_io_bursts_stops_at_the_slice_limit(
    refused: Refusal, tmp_path: Path
) -> None:
    path = tmp_path / "io.csv"
    path.write_text("pid,arrival,bursts\nP1,0," + " ".join(["1"] * 2_000_001) + "\n")
    report = refused(
        "run", path, "--max-slices", "100000", "--summary-only", seconds=5, megabytes=400
    )
    assert "100,000" in report["stderr"] and "--max-slices" in report["stderr"]


# -- engine and policy options ------------------------------------------------------------------
def test_a_billion_cpus_is_refused_before_anything_is_allocated(refused: Refusal) -> None:
    report = refused("run", CLASSIC, "--cpus", str(10**9))
    assert report["stderr"] == "Error: --cpus: must be at most 1,024, got 1000000000\n"
    assert invoke("run", CLASSIC, "--cpus", "1024", "--summary-only").exit_code == 0


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--seed", "-1"], "Error: --seed: must be a whole number >= 0, got '-1'\n"),
        (["--seed", "1e3"], "Error: --seed: must be a whole number >= 0, got '1e3'\n"),
        (
            ["--context-switch", "1e308"],
            "Error: --context-switch: must be <= 1,000,000,000,000,000 (the longest time "
            "allowed), got '1e308'\n",
        ),
        (
            ["--cpus", "0", "--seed", "x"],
            "Error: --cpus: must be a whole number >= 1, got 0\n"
            "       --seed: must be a whole number >= 0, got 'x'\n",
        ),
    ],
)
def test_engine_options_out_of_range(flags: list[str], message: str) -> None:
    result = invoke("run", CLASSIC, "-p", "lottery", *flags)
    assert (result.exit_code, result.stderr) == (2, message)


def test_enormous_seeds_work_and_reproduce() -> None:
    seed = str(10**100)
    first = invoke("run", CLASSIC, "-p", "lottery", "--seed", seed, "--format", "json")
    second = invoke("run", CLASSIC, "-p", "lottery", "--seed", seed, "--format", "json")
    assert first.exit_code == 0 and first.stdout == second.stdout
    assert json.loads(first.stdout)["settings"]["seed"] == 10**100


def test_generating_a_trillion_processes_is_refused_at_once(refused: Refusal) -> None:
    report = refused(
        "generate", "--processes", str(10**12), "--arrivals", "batch", "--bursts", "constant:1"
    )
    assert report["stderr"] == (
        "Error: --processes: at most 10,000,000 processes, got 1,000,000,000,000\n"
    )


# -- policy timers and MLFQ levels are bounded too ------------------------------------------
class _Alarm(BaseException):
    """Raised by SIGALRM; a BaseException, so the engine does not wrap it as a policy
    failure."""


def _alarm(signum: int, frame: Any) -> None:
    raise _Alarm


@pytest.mark.parametrize(
    ("policy", "options"),
    [("mlfq", {"boost": 1e-9}), ("priority", {"preemptive": True, "aging": 1e-6})],
)
def test_a_tiny_timer_period_is_refused_or_stopped(
    tmp_path: Path, policy: str, options: dict[str, Any]
) -> None:
    path = tmp_path / "aging.yaml"
    path.write_text(
        "processes:\n  - {pid: A, burst: 1000, priority: -1000000000000}\n"
        "  - {pid: B, arrival: 1, burst: 10, priority: 1000000000000}\n"
    )
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(2)
    try:
        with pytest.raises(LimitError):
            simulate(load_workload(path), policy, max_slices=1000, **options)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_a_billion_levels_is_refused_before_anything_is_allocated() -> None:
    report = measured(
        "run", CLASSIC, "-p", "mlfq", "--levels", str(10**9), memory_limit=1500 * 2**20
    )
    assert report["exit_code"] == 2 and "--levels" in report["stderr"], report


def test_the_levels_cap_the_policies_should_use() -> None:
    from schedsim.limits import MAX_LEVELS
    from schedsim.options import parse_count

    assert parse_count("64", MAX_LEVELS) == 64
    with pytest.raises(OptionError, match="must be at most 64, got '65'"):
        parse_count("65", MAX_LEVELS)


# -- charts -----------------------------------------------------------------------------------
def test_a_chart_with_too_many_rows_is_refused_before_the_run(
    refused: Refusal, tmp_path: Path
) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("pid,arrival,burst\n" + "".join(f"P{i},0,1\n" for i in range(2000)))
    image = tmp_path / "chart.png"
    report = refused("run", path, "--gantt", image, "--gantt-by", "process", seconds=1)
    assert report["stderr"] == (
        "Error: a chart of 2,001 rows (one per process) is over the limit of 2,000; draw one "
        "row per CPU (--gantt-by cpu, --by cpu, --plot-by cpu) or chart a smaller workload\n"
    )
    assert not image.exists()
    assert invoke("run", path, "--gantt", image).exit_code == 0  # by default: a row per CPU
    assert image.read_bytes().startswith(b"\x89PNG")


def test_a_chart_with_too_many_slices_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("schedsim.gantt.MAX_CHART_SLICES", 20)
    image = tmp_path / "chart.png"
    for flags in (["--gantt", image], ["--ascii"]):
        result = invoke("run", CLASSIC, "-p", "rr", "--quantum", "1", *flags)
        assert (result.exit_code, result.stderr) == (
            2,
            "Error: a chart of 30 slices and I/O periods is over the limit of 20; chart a "
            "smaller workload or use a larger quantum\n",
        )
    assert not image.exists()
    plot = invoke("compare", CLASSIC, "--policies", "rr:quantum=2", "--plot", image)
    assert "a chart of 15 slices" not in plot.stderr and plot.exit_code == 0
    plot = invoke("compare", CLASSIC, "--policies", "rr:quantum=1", "--plot", image)
    assert "a chart of 30 slices and I/O periods is over the limit of 20" in plot.stderr


def test_io_periods_count_against_the_chart_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each I/O period is a shape to draw, like a slice: a workload of few slices and many
    I/O periods cannot slip past the limit."""
    workload = ROOT / "workloads" / "interactive_batch.yaml"
    result = simulate(load_workload(workload), "fcfs")
    slices, periods = len(result.timeline or []), len(result.io_periods)
    assert periods > 0
    monkeypatch.setattr("schedsim.gantt.MAX_CHART_SLICES", slices + periods - 1)
    image = tmp_path / "chart.png"
    refused = invoke("run", workload, "--gantt", image)
    assert refused.stderr == (
        f"Error: a chart of {slices + periods} slices and I/O periods is over the limit of "
        f"{slices + periods - 1}; chart a smaller workload or use a larger quantum\n"
    )
    assert not image.exists()
    monkeypatch.setattr("schedsim.gantt.MAX_CHART_SLICES", slices + periods)
    assert invoke("run", workload, "--gantt", image).exit_code == 0


def test_vector_charts_have_a_lower_shape_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SVG and PDF write every shape out (about ten times the cost of rasterising it), so
    they stop earlier than PNG; the message says which format still works."""
    monkeypatch.setattr("schedsim.gantt.MAX_VECTOR_CHART_SHAPES", 10)
    for extension in ("svg", "pdf"):
        image = tmp_path / f"chart.{extension}"
        result = invoke("run", CLASSIC, "-p", "rr", "--quantum", "1", "--gantt", image)
        assert result.exit_code == 2
        assert result.stderr.startswith(f"Error: a .{extension} chart of ")
        assert "over the limit of 10 for vector images; draw a .png" in result.stderr
        assert not image.exists()
    assert invoke("run", CLASSIC, "-p", "rr", "--gantt", tmp_path / "chart.png").exit_code == 0


def test_a_crowded_chart_is_filled_without_hatching(monkeypatch: pytest.MonkeyPatch) -> None:
    """Agg hatches shape by shape (about half a millisecond each, a minute for 100,000 I/O
    periods); past HATCH_LIMIT shapes I/O and idle bars get a plain fill."""
    from schedsim import gantt

    result = simulate(load_workload(ROOT / "workloads" / "interactive_batch.yaml"), "rr")
    shapes = len(result.timeline or []) + len(result.io_periods)

    def hatches() -> set[str | None]:
        figure = gantt.gantt_figure(result, by="process")
        return {
            collection.get_hatch()
            for collection in figure.axes[0].collections
            if str(collection.get_gid()).startswith(("io:", "idle"))
        }

    monkeypatch.setattr(gantt, "HATCH_LIMIT", shapes)
    assert "////" in hatches()
    monkeypatch.setattr(gantt, "HATCH_LIMIT", shapes - 1)
    assert hatches() == {None}


@pytest.mark.benchmark
def test_the_largest_chart_the_limits_allow_is_drawn_within_seconds(tmp_path: Path) -> None:
    """250,000 slices and 250,000 I/O periods (the limit, half of each) as a PNG; and the
    largest SVG.  Each well under 15 seconds on an idle machine."""
    import time

    from schedsim import Workload
    from schedsim.gantt import figure_bytes, gantt_figure

    rows = [{"pid": f"P{i}", "arrival": 0, "bursts": [1, 5] * 24_999 + [1]} for i in range(10)]
    result = simulate(Workload.from_processes(rows), "fcfs", cpus=4)
    assert len(result.timeline or []) + len(result.io_periods) <= 500_000
    started = time.perf_counter()
    figure_bytes(gantt_figure(result, by="process"), tmp_path / "chart.png")
    assert time.perf_counter() - started < 15
    rows = [{"pid": f"P{i}", "arrival": 0, "bursts": [4_500]} for i in range(10)]
    result = simulate(Workload.from_processes(rows), "rr", quantum=1)
    started = time.perf_counter()
    figure_bytes(gantt_figure(result, by="cpu"), tmp_path / "chart.svg")
    assert time.perf_counter() - started < 15


def test_a_text_chart_wider_than_ten_thousand_columns_is_refused(tmp_path: Path) -> None:
    saved = tmp_path / "r.json"
    assert invoke("run", CLASSIC, "-o", saved).exit_code == 0
    result = invoke("gantt", saved, "--width", str(10**9))
    assert result.stderr == ("Error: text chart width: must be <= 10,000 columns, got 1000000000\n")
    environment = {**os.environ, "COLUMNS": str(10**9)}
    completed = subprocess.run(
        [sys.executable, "-m", "schedsim", "gantt", str(saved)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0 and len(completed.stdout.splitlines()[0]) <= 10_000


def test_a_fifo_or_device_is_refused_instead_of_read_forever(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.csv"
    zero.symlink_to("/dev/zero")  # reads never end
    for path in (fifo, zero):
        assert invoke("run", path).stderr == (
            f"Error: {path}: not a regular file; give a workload file\n"
        )
    result_fifo = tmp_path / "result.json"
    os.mkfifo(result_fifo)
    assert invoke("gantt", result_fifo).stderr == (
        f"Error: {result_fifo}: not a regular file; give a result file\n"
    )


def test_the_limits_module_imports_nothing_heavy() -> None:
    """The engine reads its limits from schedsim.limits, which must not pull in numpy or
    pydantic (the time of ``import schedsim.limits`` is the time of a few constants)."""
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, schedsim.limits; "
            "print(sorted(name for name in sys.modules if name.split('.')[0] in "
            "('numpy', 'pydantic', 'yaml', 'click', 'rich', 'matplotlib')))",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert completed.stdout == "[]\n"
