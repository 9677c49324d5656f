"""Published textbook results, reproduced exactly.

Sources:
- Silberschatz, Galvin, Gagne, *Operating System Concepts* (9th ed. §6.3, 10th ed. §5.3).
- Arpaci-Dusseau & Arpaci-Dusseau, *Operating Systems: Three Easy Pieces* (OSTEP),
  ch. 7 "Scheduling: Introduction" and ch. 8 "Multi-level Feedback Queue".
"""

from __future__ import annotations

from fractions import Fraction

from schedsim import simulate
from tests.helpers import slices_of, workload

SILBERSCHATZ_FCFS = workload(("P1", 0, 24), ("P2", 0, 3), ("P3", 0, 3))
SILBERSCHATZ_SJF = workload(("P1", 0, 6), ("P2", 0, 8), ("P3", 0, 7), ("P4", 0, 3))
SILBERSCHATZ_SRTF = workload(("P1", 0, 8), ("P2", 1, 4), ("P3", 2, 9), ("P4", 3, 5))
OSTEP_FIFO = workload(("A", 0, 100), ("B", 0, 10), ("C", 0, 10))
OSTEP_STCF = workload(("A", 0, 100), ("B", 10, 10), ("C", 10, 10))
OSTEP_RR = workload(("A", 0, 5), ("B", 0, 5), ("C", 0, 5))


def mean(values) -> Fraction:  # exact: integer workloads give integer metrics
    values = [int(v) for v in values]
    return Fraction(sum(values), len(values))


def test_silberschatz_fcfs_average_waiting_17():
    """Gantt: P1 [0,24] P2 [24,27] P3 [27,30]; waiting 0, 24, 27 -> 17."""
    result = simulate(SILBERSCHATZ_FCFS, "fcfs")
    assert result.jobs["waiting"].tolist() == [0, 24, 27]
    assert mean(result.jobs["waiting"]) == 17
    assert result.summary["avg_waiting"] == 17


def test_silberschatz_sjf_average_waiting_7():
    """SJF order P4 [0,3] P1 [3,9] P3 [9,16] P2 [16,24]; waiting 3, 16, 9, 0 -> 7."""
    result = simulate(SILBERSCHATZ_SJF, "sjf")
    assert result.jobs["waiting"].tolist() == [3, 16, 9, 0]
    assert mean(result.jobs["waiting"]) == 7


def test_silberschatz_rr_quantum_4_average_waiting_17_over_3():
    """RR q=4: P1 [0,4] P2 [4,7] P3 [7,10] P1 [10,30]; waiting 6, 4, 7 -> 17/3."""
    result = simulate(SILBERSCHATZ_FCFS, "rr", quantum=4)
    assert result.jobs["waiting"].tolist() == [6, 4, 7]
    assert mean(result.jobs["waiting"]) == Fraction(17, 3)
    # Once alone, P1 keeps getting fresh quanta on the same CPU: separate slices, but no
    # further context switches (P1, P2, P3, P1 = 4 in all).
    assert slices_of(result, "P1") == [(0, 4), (10, 14), (14, 18), (18, 22), (22, 26), (26, 30)]
    assert result.summary["context_switches"] == 4


def test_silberschatz_srtf_average_waiting_6_5():
    """SRTF: P1 [0,1] P2 [1,5] P4 [5,10] P1 [10,17] P3 [17,26]; waiting 9, 0, 15, 2 -> 6.5."""
    result = simulate(SILBERSCHATZ_SRTF, "srtf")
    assert result.jobs["waiting"].tolist() == [9, 0, 15, 2]
    assert mean(result.jobs["waiting"]) == Fraction(13, 2)
    assert slices_of(result, "P1") == [(0, 1), (10, 17)]


def test_ostep_fifo_average_turnaround_110_and_sjf_50():
    assert mean(simulate(OSTEP_FIFO, "fcfs").jobs["turnaround"]) == 110
    assert mean(simulate(OSTEP_FIFO, "sjf").jobs["turnaround"]) == 50


def test_ostep_stcf_average_turnaround_50():
    """B and C arrive at 10: STCF preempts A; turnarounds 120, 10, 20 -> 50."""
    result = simulate(OSTEP_STCF, "srtf")
    assert result.jobs["turnaround"].tolist() == [120, 10, 20]
    assert mean(result.jobs["turnaround"]) == 50
    # Non-preemptive SJF cannot help: (100 + 100 + 110) / 3.
    assert mean(simulate(OSTEP_STCF, "sjf").jobs["turnaround"]) == Fraction(310, 3)


def test_ostep_rr_quantum_1_average_response_1():
    """Three 5-unit jobs: RR q=1 responses 0, 1, 2 -> 1; SJF/FIFO responses 0, 5, 10 -> 5."""
    assert mean(simulate(OSTEP_RR, "rr", quantum=1).jobs["response"]) == 1
    assert mean(simulate(OSTEP_RR, "fcfs").jobs["response"]) == 5


def test_ostep_mlfq_long_job_alone_sinks_level_by_level():
    """OSTEP Figure 8.2: a long job runs a quantum at each level, then stays at the bottom."""
    result = simulate(workload(("A", 0, 200)), "mlfq", levels=3, quantum=10)
    rows = [(r["start"], r["end"], r["level"]) for r in result.timeline_records()]
    assert rows[:3] == [(0, 10, 0), (10, 20, 1), (20, 30, 2)]
    assert {level for _, _, level in rows[2:]} == {2}
    assert result.jobs["finish"].tolist() == [200]
    assert result.summary["context_switches"] == 1  # alone: never switched away


def test_ostep_mlfq_short_job_arriving_at_100_finishes_at_120():
    """OSTEP Figure 8.3: B (20) arrives at 100, preempts the long job at the bottom level,
    runs one quantum at each of the two top levels and finishes at 120."""
    result = simulate(workload(("A", 0, 200), ("B", 100, 20)), "mlfq", levels=3, quantum=10)
    assert result.jobs["finish"].tolist() == [220, 120]
    b_rows = [
        (r["start"], r["end"], r["level"]) for r in result.timeline_records() if r["pid"] == "B"
    ]
    assert b_rows == [(100, 110, 0), (110, 120, 1)]


def test_ostep_mlfq_io_bound_job_stays_high_under_old_rule():
    """OSTEP Figure 8.4: an interactive job that runs 1 unit then does I/O stays at the top
    level under the old rule (--io-resets) and gets the CPU at once each time it returns."""
    interactive = [1, 9] * 10 + [1]
    w = workload(("A", 0, 200), ("B", 50, interactive))
    result = simulate(w, "mlfq", levels=3, quantum=10, io_resets=True)
    b_levels = {r["level"] for r in result.timeline_records() if r["pid"] == "B"}
    assert b_levels == {0}
    assert result.jobs["response"].tolist()[1] == 0
    # Each return from I/O preempts A at once: B never waits.
    assert result.jobs["waiting"].tolist()[1] == 0


def test_mlfq_gaming_is_cured_by_summed_accounting():
    """OSTEP §8.4: a job that yields just before its quantum ends keeps the top level under
    the old rule; with accounting summed across I/O it sinks like the CPU hog."""
    gamer = [9, 1] * 10 + [9]
    w = workload(("H", 0, 200), ("G", 20, gamer))
    old = simulate(w, "mlfq", levels=3, quantum=10, io_resets=True)
    new = simulate(w, "mlfq", levels=3, quantum=10)
    assert {r["level"] for r in old.timeline_records() if r["pid"] == "G"} == {0}
    assert max(r["level"] for r in new.timeline_records() if r["pid"] == "G") == 2
    assert old.jobs["finish"].tolist()[1] < new.jobs["finish"].tolist()[1]
