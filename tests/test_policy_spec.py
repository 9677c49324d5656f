"""The policy spec language (schedsim.policy_spec).

Rules: specs separated by ``,``; ``name:key=value:key=value``; a list value uses ``/`` or
``,`` — a comma followed by a number (or inf) continues the list, anything else starts the
next spec; a flag option may stand alone; every problem is reported at once.
"""

from __future__ import annotations

import pytest

from schedsim import OptionError
from schedsim.policies import REGISTRY
from schedsim.policy_spec import PolicySpec, build_policies, parse_policy_specs, split_specs


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        ("fcfs", ["fcfs"]),
        ("fcfs,sjf,rr", ["fcfs", "sjf", "rr"]),
        ("rr:quantum=2,rr:quantum=8,mlfq", ["rr:quantum=2", "rr:quantum=8", "mlfq"]),
        ("mlfq:quantum=1,2,4", ["mlfq:quantum=1,2,4"]),
        ("mlfq:quantum=1,2,4,fcfs", ["mlfq:quantum=1,2,4", "fcfs"]),
        ("mlfq:quantum=1,2,inf:levels=3,rr", ["mlfq:quantum=1,2,inf:levels=3", "rr"]),
        ("mlfq:quantum=1/2/4,rr:quantum=0.5", ["mlfq:quantum=1/2/4", "rr:quantum=0.5"]),
        ("mlfq:quantum=[1,2,4],fcfs", ["mlfq:quantum=[1,2,4]", "fcfs"]),
        (" fcfs , rr:quantum=2 ", ["fcfs", "rr:quantum=2"]),
        ("fcfs,2", ["fcfs", "2"]),  # a number after a spec without options is not a list
    ],
)
def test_split_specs(text, pieces):
    assert split_specs(text) == pieces


def test_parse_gives_names_and_raw_options():
    specs = parse_policy_specs("FCFS,rr:Quantum=2,mlfq:levels=3:quantum=1/2/4:io-resets")
    assert [(spec.name, spec.options) for spec in specs] == [
        ("fcfs", {}),
        ("rr", {"quantum": "2"}),
        ("mlfq", {"levels": "3", "quantum": "1/2/4", "io_resets": "true"}),
    ]
    assert [spec.position for spec in specs] == [1, 2, 3]
    assert specs[1].text == "rr:Quantum=2"


def test_build_labels_with_describe_and_numbers_duplicates():
    built = build_policies("fcfs,rr:quantum=2,rr:quantum=2,rr:quantum=8,mlfq:quantum=1,2,4")
    assert [item.label for item in built] == [
        "fcfs",
        "rr(quantum=2)",
        "rr(quantum=2) #2",
        "rr(quantum=8)",
        "mlfq(levels=3, quantum=1,2,4, boost=0, io_resets=False)",
    ]
    assert built[4].policy.quanta == (1, 2, 4)
    assert built[1].policy is not built[2].policy


def test_defaults_fill_in_only_where_taken_and_unset():
    built = build_policies("fcfs,rr,rr:quantum=8,mlfq", {"quantum": "3", "levels": None})
    assert [item.label for item in built] == [
        "fcfs",
        "rr(quantum=3)",
        "rr(quantum=8)",
        "mlfq(levels=3, quantum=3, boost=0, io_resets=False)",
    ]


def test_a_default_no_policy_takes_is_an_error():
    with pytest.raises(OptionError) as caught:
        build_policies("fcfs,sjf", {"quantum": "4"})
    assert str(caught.value) == (
        "--quantum: none of the policies given (fcfs, sjf) takes this option; "
        "drop it or add a policy that does"
    )


def test_unknown_policy_lists_every_registered_policy():
    with pytest.raises(OptionError) as caught:
        parse_policy_specs("fcfs,sfj")
    message = str(caught.value)
    assert message.startswith("policy spec #2 'sfj': unknown policy 'sfj'; did you mean 'sjf'?")
    assert message.endswith("choose one of: " + ", ".join(REGISTRY))


def test_unknown_option_lists_the_policys_options():
    with pytest.raises(OptionError) as caught:
        parse_policy_specs("rr:quantm=2")
    assert str(caught.value) == (
        "policy spec #1 'rr:quantm=2': policy 'rr' has no option 'quantm' (it takes: quantum)"
    )


def test_bad_value_is_quoted():
    with pytest.raises(OptionError) as caught:
        build_policies("fcfs,rr:quantum=zero")
    assert str(caught.value) == (
        "policy spec #2 'rr:quantum=zero': policy 'rr': --quantum: expected a number, got 'zero'"
    )


def test_values_are_validated_by_the_policy():
    with pytest.raises(OptionError, match="give one value or one per level \\(3\\), got 2"):
        build_policies("mlfq:quantum=1,2")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no policy given; write for example 'fcfs,sjf,rr:quantum=4'"),
        ("  ", "no policy given; write for example 'fcfs,sjf,rr:quantum=4'"),
        ("fcfs,,rr", "policy spec #2 in 'fcfs,,rr' is empty; separate policies with one comma"),
        ("rr,", "policy spec #2 in 'rr,' is empty; separate policies with one comma"),
        (
            "rr:quantum",
            "policy spec #1 'rr:quantum': option 'quantum' needs a value: quantum=VALUE",
        ),
        ("rr:quantum=", "policy spec #1 'rr:quantum=': option 'quantum' has an empty value"),
        ("rr:=2", "policy spec #1 'rr:=2': option '=2' has no name; write key=value"),
        (
            "rr:quantum=1:quantum=2",
            "policy spec #1 'rr:quantum=1:quantum=2': option 'quantum' is given twice",
        ),
        (
            "fcfs:quantum=2",
            "policy spec #1 'fcfs:quantum=2': policy 'fcfs' has no option 'quantum' "
            "(it takes: no options)",
        ),
    ],
)
def test_malformed_specs(text, message):
    with pytest.raises(OptionError) as caught:
        parse_policy_specs(text)
    assert str(caught.value) == message


def test_every_problem_is_reported_at_once():
    with pytest.raises(OptionError) as caught:
        parse_policy_specs("xx,rr:q=1,fcfs")
    lines = str(caught.value).split("\n")
    assert len(lines) == 2
    assert lines[0].startswith("policy spec #1 'xx': unknown policy 'xx'")
    assert lines[1].strip().startswith("policy spec #2 'rr:q=1': policy 'rr' has no option 'q'")


def test_every_registered_policy_parses_with_its_defaults():
    built = build_policies(",".join(REGISTRY))
    assert [item.policy.name for item in built] == list(REGISTRY)


def test_parsed_specs_can_be_built_later():
    specs = [PolicySpec("rr", {"quantum": "5"}, "rr:quantum=5")]
    assert [item.label for item in build_policies(specs)] == ["rr(quantum=5)"]
