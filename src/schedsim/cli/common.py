"""Option bundles shared by commands (policy options, engine options), declared once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from schedsim.engine import TIES, check_run_options
from schedsim.errors import OptionError
from schedsim.options import Option, parse_nonnegative_time
from schedsim.policies import REGISTRY, Policy, make_policy

F = Callable[..., Any]


def declared_options() -> dict[str, tuple[Option, list[tuple[str, list[str]]]]]:
    """Every option any registered policy declares, with its help text per group of policies
    (policies that share a flag may differ in default, e.g. --quantum)."""
    found: dict[str, tuple[Option, list[tuple[str, list[str]]]]] = {}
    for name, cls in REGISTRY.items():
        for option in cls.options:
            _, helps = found.setdefault(option.name, (option, []))
            for text, owners in helps:
                if text == option.help:
                    owners.append(name)
                    break
            else:
                helps.append((option.help, [name]))
    return found


def policy_options(function: F) -> F:
    """Add one flag per declared policy option (``--quantum``, ``--levels``, ...).

    The flags are built from the policies' own declarations, so help cannot drift."""
    for name, (option, helps) in reversed(list(declared_options().items())):
        help_text = "; ".join(f"[{', '.join(owners)}] {text}" for text, owners in helps)
        if option.flag:
            decorator = click.option(
                option.cli_flag, name, is_flag=True, default=None, help=help_text
            )
        else:
            decorator = click.option(
                option.cli_flag, name, default=None, metavar=option.metavar, help=help_text
            )
        function = decorator(function)
    return function


def engine_options(function: F) -> F:
    """--cpus, --context-switch, --ties, --seed."""
    decorators = [
        click.option(
            "--cpus",
            type=int,
            default=1,
            show_default=True,
            help="identical CPUs sharing one ready queue",
        ),
        click.option(
            "--context-switch",
            "context_switch",
            default="0",
            metavar="C",
            show_default=True,
            help="time charged whenever a CPU switches to a different process",
        ),
        click.option(
            "--ties",
            type=click.Choice(TIES),
            default="arrivals-first",
            show_default=True,
            help="order at equal times: arrivals-first or requeue-first (see README)",
        ),
        click.option(
            "--seed", type=int, default=0, show_default=True, help="seed for randomised policies"
        ),
    ]
    for decorator in reversed(decorators):
        function = decorator(function)
    return function


def build_policy(name: str, options: dict[str, Any]) -> Policy:
    """Construct the named policy from the flags the user actually gave."""
    given = {key: value for key, value in options.items() if value is not None}
    return make_policy(name, **given)


def engine_settings(cpus: int, context_switch: str, ties: str, seed: int) -> dict[str, Any]:
    try:
        cost = parse_nonnegative_time(context_switch)
    except OptionError as error:
        raise OptionError(f"--context-switch: {error}") from None
    check_run_options(cpus, cost, ties)
    return {"cpus": cpus, "context_switch": cost, "ties": ties, "seed": seed}


def split_policy_options(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Pop the policy flags out of a command's keyword arguments."""
    return {name: kwargs.pop(name) for name in list(declared_options()) if name in kwargs}
