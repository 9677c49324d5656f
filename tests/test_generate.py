"""Synthetic workloads: ``generate_workload`` and ``schedsim generate``.

Rules checked here: pids P1..Pn; the first process arrives at 0; Poisson gaps have mean
1/rate; ``load`` gives an offered load (total CPU / last arrival / cpus) within 5% of the
target; exactly round(fraction * n) processes do I/O, with CPU, I/O, CPU, ... bursts; times
are rounded to 4 decimals (``integer``: up to whole numbers >= 1); each column has its own
random stream; presets give valid workloads and explicit arguments override them; the same
seed gives byte-identical files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from schedsim.cli import main
from schedsim.errors import LimitError, OptionError
from schedsim.generate import (
    PRESETS,
    generate_workload,
    offered_load,
    parse_arrivals,
    parse_io,
    summary,
)
from schedsim.loaders import load_workload
from schedsim.workload import Workload


def lengths(workload: Workload) -> np.ndarray:
    return np.diff(workload.burst_offsets)


def cpu_bursts(workload: Workload) -> np.ndarray:
    owner_start = np.repeat(workload.burst_offsets[:-1], lengths(workload))
    position = np.arange(len(workload.burst_values)) - owner_start
    return workload.burst_values[position % 2 == 0]


# -- arrivals ----------------------------------------------------------------------------------


def test_pids_and_poisson_arrivals() -> None:
    """Rate 0.5: gaps are exponential with mean 2 (sd 2); 20,000 gaps give a mean within
    5 standard errors (5 * 2 / sqrt(19999) = 0.071) of 2."""
    workload = generate_workload(
        processes=20_000, arrivals="poisson:rate=0.5", bursts="constant:1", seed=3
    )
    assert workload.pid[:3] == ["P1", "P2", "P3"] and workload.pid[-1] == "P20000"
    assert workload.arrival[0] == 0
    gaps = np.diff(workload.arrival)
    assert gaps.min() >= 0
    assert abs(gaps.mean() - 2.0) < 0.071
    assert workload.name == "generated"


def test_batch_arrivals_are_all_at_zero() -> None:
    workload = generate_workload(processes=7, arrivals="batch", bursts="uniform:1..9", seed=1)
    assert workload.arrival.tolist() == [0] * 7


def test_gap_distribution_arrivals() -> None:
    workload = generate_workload(processes=5, arrivals="constant:3", bursts="constant:2", seed=0)
    assert workload.arrival.tolist() == [0, 3, 6, 9, 12]
    assert workload.is_integer  # every time is whole, so the workload keeps integer times


def test_load_sets_the_poisson_rate() -> None:
    """Exponential bursts of mean 4, half the processes with 3 I/O bursts: mean demand
    4 * (1 + 0.5 * 3) = 10 per process; load 0.9 on 4 CPUs gives rate 0.36."""
    workload = generate_workload(
        processes=40_000,
        load=0.9,
        cpus=4,
        bursts="exponential:mean=4",
        io="fraction=0.5,bursts=exponential:mean=3,count=3",
        seed=5,
    )
    measured = offered_load(workload, cpus=4)
    assert measured is not None and abs(measured - 0.9) / 0.9 < 0.05
    assert np.diff(workload.arrival).mean() == pytest.approx(1 / 0.36, rel=0.03)


def test_load_with_lognormal_bursts_uses_the_distribution_mean() -> None:
    workload = generate_workload(
        processes=40_000, load=0.7, bursts="lognormal:mean=8,sigma=1", seed=9
    )
    measured = offered_load(workload)
    assert measured is not None and abs(measured - 0.7) / 0.7 < 0.05


def test_changing_the_load_only_rescales_arrivals() -> None:
    common = {"processes": 500, "bursts": "exponential:mean=3", "seed": 4}
    light = generate_workload(load=0.5, **common)
    heavy = generate_workload(load=1.0, **common)
    assert np.array_equal(light.burst_values, heavy.burst_values)
    assert np.allclose(light.arrival, 2 * heavy.arrival, atol=2e-4)


def test_attributes_do_not_disturb_other_columns() -> None:
    common = {"processes": 300, "arrivals": "poisson:rate=1", "bursts": "exponential:mean=3"}
    plain = generate_workload(seed=8, **common)
    with_priorities = generate_workload(
        seed=8, priorities="uniform:0..7", tickets="uniform:1..100", nice="uniform:-5..5", **common
    )
    assert np.array_equal(plain.arrival, with_priorities.arrival)
    assert np.array_equal(plain.burst_values, with_priorities.burst_values)
    assert plain.priority.tolist() == [0] * 300 and plain.tickets.tolist() == [100] * 300
    assert set(with_priorities.priority.tolist()) == set(range(8))
    assert with_priorities.tickets.min() >= 1 and with_priorities.tickets.max() <= 100
    assert set(with_priorities.nice.tolist()) <= set(range(-5, 6))


def test_same_seed_same_workload_different_seed_different() -> None:
    arguments = {
        "processes": 200,
        "arrivals": "poisson:rate=0.8",
        "bursts": "lognormal:mean=8,sigma=1",
        "io": "fraction=0.3,bursts=exponential:mean=5",
    }
    first = generate_workload(seed=42, **arguments)
    second = generate_workload(seed=42, **arguments)
    other = generate_workload(seed=43, **arguments)
    assert np.array_equal(first.arrival, second.arrival)
    assert np.array_equal(first.burst_offsets, second.burst_offsets)
    assert np.array_equal(first.burst_values, second.burst_values)
    assert not np.array_equal(first.burst_values[:10], other.burst_values[:10])


# -- bursts and I/O ----------------------------------------------------------------------------


def test_io_fraction_count_and_burst_order() -> None:
    workload = generate_workload(
        processes=1000,
        arrivals="batch",
        bursts="constant:5",
        io="fraction=0.3,bursts=constant:20,count=2",
        seed=2,
    )
    sizes = lengths(workload)
    assert (sizes == 5).sum() == 300 and (sizes == 1).sum() == 700
    doing_io = int(np.flatnonzero(sizes == 5)[0])
    assert workload.bursts(doing_io) == (5, 20, 5, 20, 5)


def test_io_count_drawn_per_process_from_a_distribution() -> None:
    """count=uniform:1..4: each chosen process gets its own number of I/O bursts, 1 to 4, all
    four happen among 300 processes, and the choice of processes and the bursts are the
    same as with a fixed count (each has its own stream)."""
    spec = dict(processes=1000, arrivals="batch", bursts="constant:5", seed=2)
    varied = generate_workload(**spec, io="fraction=0.3,bursts=constant:20,count=uniform:1..4")
    fixed = generate_workload(**spec, io="fraction=0.3,bursts=constant:20,count=2")
    io_counts = (lengths(varied) - 1) // 2
    assert (io_counts > 0).sum() == 300
    assert set(io_counts[io_counts > 0].tolist()) == {1, 2, 3, 4}
    assert np.array_equal(io_counts > 0, lengths(fixed) > 1)
    doing_io = int(np.flatnonzero(io_counts == 3)[0])
    assert varied.bursts(doing_io) == (5, 20, 5, 20, 5, 20, 5)
    again = generate_workload(**spec, io="fraction=0.3,bursts=constant:20,count=uniform:1..4")
    assert np.array_equal(again.burst_offsets, varied.burst_offsets)


def test_io_defaults_fraction_one_count_one() -> None:
    workload = generate_workload(
        processes=10, arrivals="batch", bursts="constant:1", io="bursts=constant:2", seed=0
    )
    assert all(workload.bursts(i) == (1, 2, 1) for i in range(10))


def test_cpu_bursts_follow_the_burst_distribution() -> None:
    """Every CPU burst (not only the first) is drawn from --bursts: Exp(5) has sd 5, so the
    mean of 4 * 10,000 CPU bursts is within 5 * 5 / 200 = 0.125 of 5."""
    workload = generate_workload(
        processes=10_000,
        arrivals="batch",
        bursts="exponential:mean=5",
        io="fraction=1,bursts=constant:100,count=3",
        seed=6,
    )
    cpu = cpu_bursts(workload)
    assert len(cpu) == 40_000
    assert (cpu != 100).all()  # I/O values never land in CPU positions
    assert abs(cpu.mean() - 5) < 0.125
    assert (workload.io_total() == 300).all()


def test_times_are_rounded_to_four_decimals_and_never_zero() -> None:
    workload = generate_workload(
        processes=5000, arrivals="poisson:rate=10", bursts="exponential:mean=0.001", seed=1
    )
    assert workload.arrival.dtype == np.float64
    for column in (workload.arrival, workload.burst_values):
        assert np.array_equal(np.round(column, 4), column)
    assert workload.burst_values.min() == 0.0001  # tiny draws are raised to the resolution


def test_integer_rounds_times_up() -> None:
    workload = generate_workload(
        processes=2000,
        arrivals="poisson:rate=0.3",
        bursts="exponential:mean=0.5",
        io="fraction=0.5,bursts=exponential:mean=2",
        seed=3,
        integer=True,
    )
    assert workload.is_integer
    assert workload.burst_values.dtype == np.int64 and workload.burst_values.min() >= 1
    assert workload.arrival[0] == 0 and (np.diff(workload.arrival) >= 0).all()


def test_whole_number_bursts_give_an_integer_workload() -> None:
    workload = generate_workload(processes=6, arrivals="batch", bursts="uniform:1..10", seed=1)
    assert workload.is_integer
    assert workload.burst_values.min() >= 1 and workload.burst_values.max() <= 10


# -- presets -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_give_valid_workloads(name: str) -> None:
    preset = PRESETS[name]
    workload = generate_workload(preset=name, seed=1)
    assert len(workload) == preset.processes
    sizes = lengths(workload)
    assert (sizes % 2 == 1).all()
    assert workload.burst_values.min() > 0
    assert workload.arrival[0] == 0 and (np.diff(workload.arrival) >= 0).all()


def test_interactive_batch_preset_classes() -> None:
    """160 interactive processes with 4 I/O bursts each (9 bursts) and 40 batch jobs (1)."""
    workload = generate_workload(preset="interactive-batch", seed=2)
    sizes = lengths(workload)
    assert (sizes == 9).sum() == 160 and (sizes == 1).sum() == 40
    batch_mean = workload.burst_values[workload.burst_offsets[:-1][sizes == 1]].mean()
    interactive_mean = cpu_bursts(workload)[np.repeat(sizes, (sizes + 1) // 2) == 9].mean()
    assert batch_mean > 20 > 5 > interactive_mean


def test_io_bound_preset() -> None:
    sizes = lengths(generate_workload(preset="io-bound", seed=0))
    assert (sizes == 11).sum() == 180 and (sizes == 1).sum() == 20


def test_explicit_arguments_override_the_preset() -> None:
    workload = generate_workload(
        preset="interactive-batch",
        processes=50,
        arrivals="batch",
        bursts="constant:3",
        io="none",
        seed=0,
    )
    assert len(workload) == 50
    assert workload.arrival.tolist() == [0] * 50
    assert workload.burst_values.tolist() == [3] * 50


def test_preset_load_override() -> None:
    workload = generate_workload(preset="io-bound", processes=20_000, load=0.3, seed=1)
    measured = offered_load(workload)
    assert measured is not None and abs(measured - 0.3) / 0.3 < 0.05


# -- sub-spec parsing and errors ---------------------------------------------------------------


def test_parse_io_in_any_order() -> None:
    spec = parse_io("count=2, bursts=mix:0.5*constant:1,0.5*exponential:mean=3 ,fraction=0.25")
    assert spec is not None
    assert (spec.fraction, spec.count) == (0.25, 2)
    assert str(spec.bursts) == "mix:0.5*constant:1,0.5*exponential:mean=3"
    assert parse_io("none") is None


def test_parse_arrivals() -> None:
    assert str(parse_arrivals("poisson:rate=0.25")) == "poisson:rate=0.25"
    assert parse_arrivals("batch").kind == "batch"
    assert parse_arrivals("poisson").gaps is None
    assert str(parse_arrivals("uniform:low=0,high=4")) == "uniform:low=0,high=4"


BASE = {"processes": 10, "arrivals": "batch", "bursts": "constant:1", "seed": 0}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"processes": 0}, "--processes: must be a whole number >= 1, got 0"),
        (
            {"processes": 10_000_001},
            "--processes: at most 10,000,000 processes, got 10,000,001",
        ),
        ({"seed": -1}, "--seed: must be a whole number >= 0, got -1"),
        ({"cpus": 0, "arrivals": None, "load": 0.5}, "--cpus: must be a whole number >= 1, got 0"),
        (
            {"arrivals": None, "load": -0.5},
            "--load: must be a number > 0, got -0.5 (e.g. 0.8 for 80% busy)",
        ),
        (
            {"arrivals": None},
            "--arrivals or --load is required: e.g. --arrivals poisson:rate=0.5, --load 0.8, "
            "or --arrivals batch",
        ),
        (
            {"arrivals": "poisson"},
            "--arrivals 'poisson': give a rate (poisson:rate=R) or --load L",
        ),
        (
            {"arrivals": "poisson:rate=0"},
            "--arrivals 'poisson:rate=0': rate must be > 0, got 0",
        ),
        (
            {"arrivals": "poisson:mean=2"},
            "--arrivals 'poisson:mean=2': unknown parameter 'mean' for poisson; it takes rate "
            "(write poisson:rate=...)",
        ),
        (
            {"arrivals": "uniform:low=-1,high=1"},
            "--arrivals 'uniform:low=-1,high=1': inter-arrival gaps must be >= 0, but this can "
            "give -1; use batch, poisson:rate=R or a distribution of non-negative gaps",
        ),
        (
            {"arrivals": "batch", "load": 0.5},
            "--load sets a Poisson arrival rate; it cannot be combined with --arrivals 'batch' "
            "(use --arrivals poisson, or drop --load)",
        ),
        (
            {"arrivals": "poisson:rate=1", "load": 0.5},
            "--load and --arrivals 'poisson:rate=1' both set the arrival rate; give only one",
        ),
        (
            {"arrivals": None, "load": 0.5, "bursts": "pareto:alpha=1,min=2"},
            "--load: the bursts pareto:alpha=1,min=2 have an infinite mean, so no arrival rate "
            "gives a finite load; use pareto with alpha > 1, or --arrivals poisson:rate=R",
        ),
        (
            {"bursts": "uniform:0..5"},
            "--bursts 'uniform:0..5': CPU bursts must be > 0, but this can give 0; choose a "
            "distribution of positive values",
        ),
        (
            {"io": "fraction=0.5"},
            "--io 'fraction=0.5': missing bursts=DISTRIBUTION; write "
            "fraction=0.3,bursts=exponential:mean=5,count=2",
        ),
        (
            {"io": "fraction=1.5,bursts=constant:1"},
            "--io 'fraction=1.5,bursts=constant:1': fraction must be a number from 0 to 1, "
            "got '1.5'",
        ),
        (
            {"io": "bursts=constant:1,count=0"},
            "--io 'bursts=constant:1,count=0': count must be a whole number from 1 to 10,000 "
            "or a distribution of them (e.g. uniform:1..5), got '0'",
        ),
        (
            {"io": "bursts=constant:1,count=exponential:mean=2"},
            "--io 'bursts=constant:1,count=exponential:mean=2': count must be a whole number "
            "from 1 to 10,000 or a distribution of them (e.g. uniform:1..5), but "
            "'exponential:mean=2' can give values that are not whole numbers",
        ),
        (
            {"io": "bursts=constant:1,count=uniform:0..3"},
            "--io 'bursts=constant:1,count=uniform:0..3': count must be a whole number from 1 "
            "to 10,000 or a distribution of them (e.g. uniform:1..5), but 'uniform:0..3' can "
            "give values from 0 to 3",
        ),
        (
            {"io": "bursts=constant:1,count=2,foo=1"},
            "--io 'bursts=constant:1,count=2,foo=1': unknown key 'foo'; the keys are "
            "fraction, bursts and count",
        ),
        (
            {"io": "fracton=0.5,bursts=constant:1"},
            "--io 'fracton=0.5,bursts=constant:1': unknown key 'fracton'; write "
            "fraction=0.3,bursts=exponential:mean=5,count=2 (keys fraction, bursts, count) "
            "or none",
        ),
        (
            {"io": "fraction=0.5,cnt=2,bursts=constant:1"},
            "--io 'fraction=0.5,cnt=2,bursts=constant:1': unknown key 'cnt'; the keys are "
            "fraction, bursts and count",
        ),
        (
            {"io": "bursts=constant:1,bursts=constant:2"},
            "--io 'bursts=constant:1,bursts=constant:2': bursts is given twice",
        ),
        (
            {"io": "bursts=uniform:low=-1,high=1"},
            "--io bursts 'uniform:low=-1,high=1': I/O bursts must be > 0, but this can give -1; "
            "choose a distribution of positive values",
        ),
        (
            {"io": "bursts=exponential"},
            "--io bursts 'exponential': missing parameter mean; write exponential:mean=...",
        ),
        (
            {"priorities": "exponential:mean=3"},
            "--priorities 'exponential:mean=3': priorities must be whole numbers; use "
            "uniform:LOW..HIGH or constant:N",
        ),
        (
            {"tickets": "uniform:0..10"},
            "--tickets 'uniform:0..10': tickets must be >= 1, but this can give 0; "
            "e.g. uniform:1..100",
        ),
        (
            {"nice": "uniform:-30..0"},
            "--nice 'uniform:-30..0': nice values must lie in -20..19, but this can give -30..0",
        ),
        (
            {"preset": "nope"},
            "--preset: unknown preset 'nope'; known: interactive-batch, heavy-tail, io-bound",
        ),
        ({"name": " "}, "--name: must be a non-empty name, got ' '"),
    ],
)
def test_error_messages(changes: dict[str, object], message: str) -> None:
    arguments = {**BASE, **changes}
    with pytest.raises(OptionError) as caught:
        generate_workload(**arguments)  # type: ignore[arg-type]
    assert str(caught.value) == message


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(OptionError) as caught:
        generate_workload(
            processes=5,
            arrivals="poisson",
            bursts="exponential:mean=-1",
            tickets="uniform:0..3",
            seed=0,
        )
    assert str(caught.value) == (
        "--arrivals 'poisson': give a rate (poisson:rate=R) or --load L\n"
        "       --bursts 'exponential:mean=-1': mean must be > 0, got -1\n"
        "       --tickets 'uniform:0..3': tickets must be >= 1, but this can give 0; "
        "e.g. uniform:1..100"
    )


def test_runaway_heavy_tail_hits_the_time_limit() -> None:
    with pytest.raises(LimitError, match=r"^a burst drawn from pareto:alpha=0.2,min=1 is "):
        generate_workload(processes=1000, arrivals="batch", bursts="pareto:alpha=0.2,min=1", seed=0)


# -- summary -----------------------------------------------------------------------------------


def test_summary_line() -> None:
    """Constant bursts 2, 2 of 4 processes with one I/O burst: CPU total 12 over 6 CPU
    bursts; arrivals 0, 3, 6, 9: load 12 / 9 / 2 CPUs = 0.667."""
    workload = generate_workload(
        processes=4,
        arrivals="constant:3",
        bursts="constant:2",
        io="fraction=0.5,bursts=constant:7",
        seed=0,
        name="demo",
    )
    assert summary(workload, cpus=2) == (
        "demo: 4 processes (2 with I/O), mean CPU burst 2, offered load 0.667 on 2 CPUs"
    )
    batch = generate_workload(processes=3, arrivals="batch", bursts="constant:2", seed=0)
    assert summary(batch, load=0.5) == (
        "generated: 3 processes (0 with I/O), mean CPU burst 2, "
        "offered load n/a (all arrive at once) (target 0.5)"
    )


# -- command line ------------------------------------------------------------------------------

COMMAND = [
    "generate",
    "--processes",
    "200",
    "--arrivals",
    "poisson:rate=0.8",
    "--bursts",
    "lognormal:mean=8,sigma=1",
    "--io",
    "fraction=0.3,bursts=exponential:mean=5",
    "--priorities",
    "uniform:0..7",
    "--seed",
    "42",
]


@pytest.mark.parametrize("extension", [".yaml", ".csv", ".json", ".npz"])
def test_cli_same_seed_byte_identical_files(tmp_path: Path, extension: str) -> None:
    runner = CliRunner()
    first, second = tmp_path / f"a{extension}", tmp_path / f"b{extension}"
    for path in (first, second):
        result = runner.invoke(main, [*COMMAND, "-o", str(path)])
        assert result.exit_code == 0, result.output
        assert result.stdout == ""
    assert first.read_bytes() == second.read_bytes()
    third = tmp_path / f"c{extension}"
    runner.invoke(main, [*COMMAND[:-1], "43", "-o", str(third)])
    assert third.read_bytes() != first.read_bytes()


def test_cli_prints_yaml_and_a_summary(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "generate",
            "-n",
            "3",
            "--arrivals",
            "constant:2",
            "--bursts",
            "constant:5",
            "--name",
            "t",
        ],
    )
    assert result.exit_code == 0
    assert result.stdout == (
        "name: t\nprocesses:\n"
        "  - pid: P1\n    arrival: 0\n    burst: 5\n"
        "  - pid: P2\n    arrival: 2\n    burst: 5\n"
        "  - pid: P3\n    arrival: 4\n    burst: 5\n"
    )
    assert result.stderr == (
        "t: 3 processes (0 with I/O), mean CPU burst 5, offered load 3.750 on 1 CPU\n"
    )


def test_cli_stdout_is_the_yaml_file(tmp_path: Path) -> None:
    runner = CliRunner()
    yaml_path = tmp_path / "w.yaml"
    assert runner.invoke(main, [*COMMAND, "-o", str(yaml_path)]).exit_code == 0
    printed = runner.invoke(main, COMMAND)
    assert printed.exit_code == 0
    assert printed.stdout.encode() == yaml_path.read_bytes()


@pytest.mark.parametrize("extension", [".yaml", ".csv", ".json", ".npz"])
def test_cli_output_loads_back(tmp_path: Path, extension: str) -> None:

    path = tmp_path / f"w{extension}"
    assert CliRunner().invoke(main, [*COMMAND, "-o", str(path)]).exit_code == 0
    loaded = load_workload(path)
    expected = generate_workload(
        processes=200,
        arrivals="poisson:rate=0.8",
        bursts="lognormal:mean=8,sigma=1",
        io="fraction=0.3,bursts=exponential:mean=5",
        priorities="uniform:0..7",
        seed=42,
    )
    assert loaded.pid == expected.pid
    assert np.array_equal(loaded.arrival, expected.arrival)
    assert np.array_equal(loaded.burst_offsets, expected.burst_offsets)
    assert np.array_equal(loaded.burst_values, expected.burst_values)
    assert np.array_equal(loaded.priority, expected.priority)


def test_cli_load_and_cpus() -> None:
    result = CliRunner().invoke(
        main,
        ["generate", "-n", "20000", "--load", "0.8", "--cpus", "2", "--bursts", "constant:4"],
    )
    assert result.exit_code == 0
    line = result.stderr.strip()
    assert line.startswith("generated: 20,000 processes (0 with I/O), mean CPU burst 4, ")
    assert line.endswith(" on 2 CPUs (target 0.8)")
    measured = float(line.split("offered load ")[1].split()[0])
    assert abs(measured - 0.8) / 0.8 < 0.05


def test_cli_preset_and_integer(tmp_path: Path) -> None:
    path = tmp_path / "w.csv"
    result = CliRunner().invoke(
        main, ["generate", "--preset", "heavy-tail", "-n", "50", "--integer", "-o", str(path)]
    )
    assert result.exit_code == 0, result.output
    lines = path.read_text().splitlines()
    assert lines[0] == "pid,arrival,burst" and len(lines) == 51
    assert all(value.isdigit() for line in lines[1:] for value in line.split(",")[1:])
    assert result.stderr.endswith("(target 0.7)\n")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["--bursts", "expo:mean=2", "--load", "0.8"],
            "Error: --bursts 'expo:mean=2': unknown distribution 'expo'; known distributions: "
            "constant, exponential, lognormal, mix, normal, pareto, uniform\n",
        ),
        (
            ["--processes", "20000000", "--bursts", "constant:1", "--arrivals", "batch"],
            "Error: --processes: at most 10,000,000 processes, got 20,000,000\n",
        ),
        (
            ["--bursts", "constant:1", "--arrivals", "batch", "-o", "x.txt"],
            "Error: --output x.txt: unknown format; use one of .yaml, .yml, .json, .csv, .npz\n",
        ),
        (
            ["--bursts", "constant:1", "--arrivals", "batch", "-o", "missing/x.yaml"],
            "Error: missing/x.yaml: directory 'missing' does not exist; create it first\n",
        ),
    ],
)
def test_cli_errors_exit_2_with_one_line(arguments: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["generate", *arguments])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == message


def test_cli_bad_input_writes_no_file(tmp_path: Path) -> None:
    path = tmp_path / "w.yaml"
    result = CliRunner().invoke(
        main, ["generate", "--bursts", "constant:0", "--arrivals", "batch", "-o", str(path)]
    )
    assert result.exit_code == 2
    assert not path.exists()


def test_cli_help_documents_every_preset_and_distribution() -> None:
    result = CliRunner().invoke(main, ["generate", "--help"])
    assert result.exit_code == 0
    for name, preset in PRESETS.items():
        assert f"    {name}\n" in result.output
        for setting in preset.settings():
            assert setting in result.output
    for distribution in ("exponential:", "uniform:", "normal:", "lognormal:", "pareto:"):
        assert distribution in result.output
    assert "constant:V" in result.output and "mix:" in result.output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["--priorities", "uniform:0..100000000000000000000000"],
            "the range 0..100000000000000000000000 is too wide",
        ),
        (
            ["--io", "fraction=1,bursts=constant:1,count=1000000000"],
            "count must be a whole number from 1 to 10,000 or a distribution of them (e.g. "
            "uniform:1..5), got '1000000000'",
        ),
        (
            ["-n", "100000", "--io", "fraction=1,bursts=constant:1,count=1000"],
            "--io: 100,000 processes with up to 1,000 I/O bursts each would be more than "
            "50,000,000 bursts in all",
        ),
        (
            ["-n", "100000", "--io", "fraction=1,bursts=constant:1,count=uniform:1..1000"],
            "--io: 100,000 processes with up to 1,000 I/O bursts each would be more than "
            "50,000,000 bursts in all",
        ),
    ],
)
def test_oversized_requests_are_refused_before_sampling(arguments, message):
    from click.testing import CliRunner

    from schedsim.cli import main

    base = ["generate", "-n", "5", "--arrivals", "batch", "--bursts", "constant:1"]
    result = CliRunner().invoke(main, base + arguments)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_cli_bursts_default_to_exponential_mean_10(tmp_path: Path) -> None:
    """The README's ``generate --processes N --load 0.9 -o big.csv`` needs no --bursts: the
    default is the documented exponential:mean=10, byte for byte."""
    implicit, explicit = tmp_path / "big.csv", tmp_path / "explicit.csv"
    result = CliRunner().invoke(
        main, ["generate", "--processes", "3000", "--load", "0.9", "-o", str(implicit)]
    )
    assert result.exit_code == 0, result.output
    arguments = ["--processes", "3000", "--load", "0.9", "--bursts", "exponential:mean=10"]
    assert CliRunner().invoke(main, ["generate", *arguments, "-o", str(explicit)]).exit_code == 0
    assert implicit.read_bytes() == explicit.read_bytes()
    assert load_workload(implicit).burst_values.mean() == pytest.approx(10, rel=0.06)


@pytest.mark.parametrize(
    ("arguments", "cpus", "load"),
    [
        (["--preset", "interactive-batch", "--load", "0.9", "--cpus", "2"], 2, 0.9),
        (["--preset", "interactive-batch"], 1, 0.8),
        (["-n", "50", "--load", "0.7", "--bursts", "pareto:alpha=1.5,min=2"], 1, 0.7),
        (["-n", "300", "--load", "0.5", "--cpus", "4", "--integer"], 4, 0.5),
    ],
)
def test_cli_offered_load_is_the_load_asked_for(
    tmp_path: Path, arguments: list[str], cpus: int, load: float
) -> None:
    """A preset of 200 processes used to report an offered load of 1.079 for a target of
    0.9 (its bursts happened to sum to 20% over their mean): the arrivals are now scaled to
    the bursts actually drawn, so the workload offers what was asked."""
    path = tmp_path / "w.csv"
    result = CliRunner().invoke(main, ["generate", *arguments, "-o", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stderr.endswith(
        f"offered load {load:.3f} on {cpus} CPU{'s' if cpus > 1 else ''} (target {load:g})\n"
    )
    measured = offered_load(load_workload(path), cpus=cpus)
    assert measured == pytest.approx(load, rel=2e-3)
