"""``schedsim exercise``: a seeded problem, its worked solution and the grading of answers.

The round-robin problem of seed 7 (quantum 2), worked by hand::

    P1 arrives 0 (burst 6), P2 at 2 (2), P3 at 4 (3), P4 at 6 (1)

    0-2   P1   (P1 has 4 left; P2 arrives at 2 and queues ahead of the expired P1)
    2-4   P2   finishes at 4        queue: P1, P3 (arrived at 4)
    4-6   P1   2 left               queue: P3, P4 (arrived at 6), P1
    6-8   P3   1 left               queue: P4, P1, P3
    8-9   P4   finishes at 9
    9-11  P1   finishes at 11
    11-12 P3   finishes at 12

    turnaround: P1 11, P2 2, P3 8, P4 3;  waiting: 5, 0, 5, 2;  response: 0, 0, 2, 2
    average waiting (5 + 0 + 5 + 2) / 4 = 3
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from click.testing import CliRunner

from schedsim.cli import main
from schedsim.exercise import exact_text, make_exercise
from schedsim.policies import REGISTRY, make_policy

RR7 = ["exercise", "--policy", "rr", "--quantum", "2", "--seed", "7"]
RIGHT = """\
P1: {finish: 11, turnaround: 11, waiting: 5, response: 0}
P2: {finish: 4, turnaround: 2, waiting: 0, response: 0}
P3: {finish: 12, turnaround: 8, waiting: 5, response: 2}
P4: {finish: 9, turnaround: 3, waiting: 2, response: 2}
avg_waiting: 3
"""


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def test_the_problem_shows_the_processes_and_how_to_answer():
    result = invoke(*RR7)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert (
        lines[0] == "Exercise (seed 7): schedule these 4 processes under rr(quantum=2) on one CPU."
    )
    assert lines[2:7] == [
        "  pid  arrival  CPU burst",
        "  P1   0        6",
        "  P2   2        2",
        "  P3   4        3",
        "  P4   6        1",
    ]
    assert "  P1: {finish: , turnaround: , waiting: , response: }" in lines
    assert (
        "then check it:   schedsim exercise --policy rr --quantum 2 --seed 7 --check answers.yaml"
        in lines
    )


def test_the_same_seed_poses_the_same_problem_and_another_seed_another():
    assert invoke(*RR7).output == invoke(*RR7).output
    assert invoke(*RR7[:-1], "8").output != invoke(*RR7).output


def test_the_solution_is_the_hand_worked_schedule():
    result = invoke(*RR7, "--solve")
    assert result.exit_code == 0
    text = result.output
    assert "  |    P1     |    P2     |    P1     |    P3     | P4  |    P1     | P3  |\n" in text
    for line in (
        "        0-2  P1  slice expires",
        "        2-4  P2  finishes",
        "      11-12  P3  finishes",
        "  P1: finish 11 (its last slice ends then)",
        "      turnaround = finish - arrival = 11 - 0 = 11",
        "      waiting = turnaround - CPU - I/O = 11 - 6 - 0 = 5",
        "      response = first run - arrival = 6 - 4 = 2",
        "Average waiting = (5 + 0 + 5 + 2) / 4 = 12/4 = 3",
    ):
        assert line + "\n" in text, line


def test_right_answers_score_full_marks(tmp_path):
    answers = tmp_path / "answers.yaml"
    answers.write_text(RIGHT)
    result = invoke(*RR7, "--check", str(answers))
    assert result.exit_code == 0, result.output
    assert result.output.endswith("Score: 17/17 right\n")


def test_wrong_and_missing_answers_get_feedback_and_exit_1(tmp_path):
    answers = tmp_path / "answers.yaml"
    text = RIGHT.replace("waiting: 0,", "waiting: 1,").replace(", response: 2}\nP4", "}\nP4")
    answers.write_text(text.replace("avg_waiting: 3", "avg_waiting: 13/4"))
    result = invoke(*RR7, "--check", str(answers))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert "  wrong    P2 waiting       1: expected 0 (turnaround 2 - CPU 2 - I/O 0)" in lines
    assert "  missing  P3 response      expected 2" in lines
    assert "  wrong    average waiting  13/4: expected 3" in lines
    assert lines[-1] == "Score: 14/17 right"


def test_averages_may_be_fractions_or_two_decimals(tmp_path):
    """Seed 3 of round robin with quantum 3 has an average waiting time that is not whole;
    20/3-style fractions and two-decimal roundings are both right, one decimal is not."""
    problem = make_exercise(make_policy("rr", quantum=2), seed=1, processes=3)
    values = problem.result.jobs["waiting"].tolist()
    exact = Fraction(sum(values), 3)
    assert exact.denominator == 3, "the test needs an average that is not whole"
    for written, right in (
        (f"{exact.numerator}/{exact.denominator}", True),
        (f"{float(exact):.2f}", True),
        (f"{float(exact) + 0.05:.2f}", False),
    ):
        answers = tmp_path / "answers.yaml"
        answers.write_text(f"avg_waiting: '{written}'\n")
        output = invoke(
            "exercise",
            "-p",
            "rr",
            "--quantum",
            "2",
            "--seed",
            "1",
            "-n",
            "3",
            "--check",
            str(answers),
        ).output
        assert (f"  right    average waiting  {written}" in output) == right, output


def test_exact_averages_are_worked_out():
    assert exact_text(12, 4) == "12/4 = 3"
    assert exact_text(18, 4) == "18/4 = 9/2 = 4.5"
    assert exact_text(20, 3) == "20/3 ≈ 6.667"
    assert exact_text(2.5, 2) == "1.25"


@pytest.mark.parametrize(
    "content, message",
    [
        (
            "P9: {finish: 1}\n",
            "answers.yaml: unknown key 'P9'; allowed keys: P1, P2, P3, P4, avg_waiting",
        ),
        ("P1: {finsh: 1}\n", "answers.yaml: P1: unknown key 'finsh' (did you mean 'finish'?)"),
        (
            "P1: {finish: abc}\n",
            "answers.yaml: P1 finish: expected a number or a fraction such as 20/3, got 'abc'",
        ),
        ("P1: 3\n", "answers.yaml: P1: give a mapping such as {finish: 14, turnaround: 12, ...}"),
        ("- 1\n", "answers.yaml: top level must be a mapping of pid to answers"),
        ("avg_waiting: '1e999999999'\n", "average waiting: expected a number or a fraction"),
        ("avg_waiting: .inf\n", "average waiting: expected a finite number, got inf"),
        ("a: &x 1\n", "YAML anchors and aliases"),
    ],
)
def test_bad_answer_files_are_one_error_and_exit_2(tmp_path, monkeypatch, content, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "answers.yaml").write_text(content)
    result = invoke(*RR7, "--check", "answers.yaml")
    assert result.exit_code == 2
    assert result.output.startswith("Error: ")
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_missing_answers_file_is_an_error(tmp_path):
    result = invoke(*RR7, "--check", str(tmp_path / "none.yaml"))
    assert result.exit_code == 2 and "no such file" in result.output


@pytest.mark.parametrize("name", sorted(REGISTRY))
@pytest.mark.parametrize("io", [False, True])
def test_every_policy_poses_and_solves_a_problem(name, io):
    """Every registered policy, with and without I/O: the problem, the solution and full
    marks for the solution's own numbers (read back from the solved result)."""
    args = ["exercise", "--policy", name, "--seed", "5", *(["--io"] if io else [])]
    assert invoke(*args).exit_code == 0
    solved = invoke(*args, "--solve")
    assert solved.exit_code == 0, solved.output
    assert "Average waiting = " in solved.output


def test_processes_out_of_range_are_refused():
    result = invoke(*RR7, "--processes", "11")
    assert result.exit_code == 2
