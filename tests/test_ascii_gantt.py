"""The text Gantt chart (schedsim.ascii_gantt): the textbook bar, scaled to the terminal.

Rule: one ``|``-delimited segment per slice (idle ``--``, context switch ``#``), widths
proportional to time, each boundary's time printed starting under its ``|``; every line
fits the width; segments merge only when they cannot all fit.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schedsim import OptionError, Workload, simulate
from schedsim.ascii_gantt import ascii_gantt


def workload(*specs: tuple[str, Any, Any]) -> Workload:
    return Workload.from_processes(
        [
            {
                "pid": pid,
                "arrival": arrival,
                "bursts": bursts if isinstance(bursts, list) else [bursts],
            }
            for pid, arrival, bursts in specs
        ]
    )


SILBERSCHATZ_FCFS = workload(("P1", 0, 24), ("P2", 0, 3), ("P3", 0, 3))


def test_silberschatz_fcfs_is_the_textbook_bar():
    """Silberschatz §5.3.1: P1 [0,24] P2 [24,27] P3 [27,30] — two columns per time unit."""
    assert ascii_gantt(simulate(SILBERSCHATZ_FCFS, "fcfs"), width=80) == (
        "|                      P1                       | P2  | P3  |\n"
        "0                                               24    27    30\n"
    )


def test_silberschatz_round_robin_shows_every_quantum():
    """Silberschatz §5.3.4, RR q=4: 0 4 7 10 14 18 22 26 30."""
    assert ascii_gantt(simulate(SILBERSCHATZ_FCFS, "rr", quantum=4), width=80) == (
        "|  P1   | P2  | P3  |  P1   |  P1   |  P1   |  P1   |  P1   |\n"
        "0       4     7     10      14      18      22      26      30\n"
    )


def test_narrow_terminal_keeps_every_label_and_time():
    assert ascii_gantt(simulate(SILBERSCHATZ_FCFS, "fcfs"), width=20) == (
        "|  P1   | P2 | P3 |\n0       24   27   30\n"
    )


def test_idle_time_is_dashes():
    result = simulate(workload(("P1", 0, 2), ("P2", 5, 2)), "fcfs")
    assert ascii_gantt(result, width=40) == (
        "|   P1    |      --      |   P2    |\n0         2              5         7\n"
    )


def test_context_switch_time_is_hashes():
    result = simulate(SILBERSCHATZ_FCFS, "fcfs", context_switch=1)
    assert ascii_gantt(result, width=80) == (
        "|#|                      P1                       |#| P2  |#| P3  |\n"
        "0 1                                               25      29      33\n"
    )


def test_one_line_per_cpu_on_a_shared_scale():
    result = simulate(workload(("A", 0, 4), ("B", 0, 2), ("C", 1, 4)), "fcfs", cpus=2)
    assert ascii_gantt(result, width=40) == (
        "CPU 0 |         A         |   --    |\n"
        "      0                   4         6\n"
        "CPU 1 |    B    |         C         |\n"
        "      0         2                   6\n"
    )


def test_times_start_under_their_bars():
    text = ascii_gantt(simulate(SILBERSCHATZ_FCFS, "rr", quantum=4), width=80)
    bar, times = text.splitlines()
    bars = [i for i, char in enumerate(bar) if char == "|"]
    starts = [i for i, char in enumerate(times) if char != " " and (i == 0 or times[i - 1] == " ")]
    assert starts == bars


def test_crowded_schedules_merge_into_a_bar_that_fits():
    """400 one-unit slices cannot keep their labels even on 40 lines of 60 columns: short
    segments merge into ``~`` on one line, and a last line says so."""
    many = workload(*((f"P{i}", 0, 1 + i % 3) for i in range(200)))
    text = ascii_gantt(simulate(many, "rr", quantum=1), width=60)
    bar, times, note = text.splitlines()
    assert len(bar) <= 60 and len(times) <= 60
    assert "~" in bar  # several processes merged into one segment
    assert times.startswith("0 ") and times.endswith(" 399")
    assert note == "~ several short slices merged: a wider --width, or an image chart, shows them"


def test_a_chart_too_long_for_one_line_wraps_keeping_every_label():
    """Round robin with quantum 2 on Silberschatz's FCFS example at 40 columns: 16 slices
    (P1 P2 P3 P1 P2 P3, then P1's ten) need 5 columns each with their labels, and a band
    holds 7 within 40 columns, so the chart wraps onto the fewest bands, 3, every band
    starting where the one before ended; nothing is merged (it used to be all ``~``)."""
    text = ascii_gantt(simulate(SILBERSCHATZ_FCFS, "rr", quantum=2), width=40)
    bands = [band.splitlines() for band in text.rstrip("\n").split("\n\n")]
    assert len(bands) == 3 and "~" not in text
    assert all(len(band) == 2 and max(map(len, band)) <= 40 for band in bands)
    labels = [label for bar, _ in bands for label in bar.replace("|", " ").split()]
    assert labels == ["P1", "P2", "P3", "P1", "P2", "P3", *["P1"] * 10]
    firsts = [times.split()[0] for _, times in bands]
    lasts = [times.split()[-1] for _, times in bands]
    assert firsts == ["0", "12", "26"] and lasts == ["12", "26", "30"]


def test_default_width_is_the_terminal_width(monkeypatch):
    monkeypatch.setenv("COLUMNS", "24")
    text = ascii_gantt(simulate(SILBERSCHATZ_FCFS, "fcfs"))
    assert max(len(line) for line in text.splitlines()) <= 24


def test_too_narrow_a_width_is_an_option_error():
    with pytest.raises(OptionError, match="must be >= 20 columns, got 5"):
        ascii_gantt(simulate(SILBERSCHATZ_FCFS, "fcfs"), width=5)


def test_a_result_without_timeline_is_refused():
    with pytest.raises(OptionError, match="no timeline"):
        ascii_gantt(simulate(SILBERSCHATZ_FCFS, "fcfs", timeline=False), width=80)


@st.composite
def small_workloads(draw: st.DrawFn) -> Workload:
    count = draw(st.integers(1, 12))
    return Workload.from_processes(
        [
            {
                "pid": f"P{index + 1}",
                "arrival": draw(st.integers(0, 20)),
                "bursts": [draw(st.integers(1, 9)) for _ in range(draw(st.sampled_from([1, 3])))],
            }
            for index in range(count)
        ]
    )


@given(
    small_workloads(),
    st.sampled_from(["fcfs", "rr", "srtf", "mlfq"]),
    st.integers(1, 3),
    st.integers(20, 160),
)
def test_every_chart_fits_and_ends_at_the_last_event(work, policy, cpus, width):
    """One band, or bands of time one under another (at most 40 lines), each with a bar
    and a time line per CPU, all within the width; each band starts where the one before
    ended, the first at 0 and the last at the last event."""
    result = simulate(work, policy, cpus=cpus)
    text = ascii_gantt(result, width=width)
    body = text.removesuffix(
        "~ several short slices merged: a wider --width, or an image chart, shows them\n"
    )
    bands = [band.splitlines() for band in body.rstrip("\n").split("\n\n")]
    assert len(bands) == 1 or (len(text.splitlines()) <= 40 and "~" not in text)
    last = str(max(result.jobs["finish"].tolist()))
    previous_end = "0"
    for band in bands:
        assert len(band) == 2 * cpus
        assert all(len(line) <= width for line in band)
        ends = set()
        for bar, times in zip(band[::2], band[1::2], strict=True):
            assert bar.rstrip().endswith("|")
            assert times.split()[0] == previous_end
            final = times.split()[-1]
            ends.add(final)
            assert len(times) == bar.rindex("|") + len(final)  # the last time, last bar
        assert len(ends) == 1
        previous_end = ends.pop()
    assert previous_end == last
