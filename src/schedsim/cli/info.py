"""``schedsim policies``: the registered policies and their options."""

from __future__ import annotations

import click

from schedsim.policies import REGISTRY


@click.command()
def policies() -> None:
    """List the scheduling policies and the options each one takes.

    \b
    Example:
      schedsim policies
    """
    for name, cls in REGISTRY.items():
        click.echo(f"{name:<10} {cls.title}")
        for option in cls.options:
            flag = option.cli_flag if option.flag else f"{option.cli_flag} {option.metavar}"
            click.echo(f"    {flag:<22} {option.help}")
