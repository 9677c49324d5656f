"""``schedsim examples``: list, print or copy the bundled example workloads."""

from __future__ import annotations

import click

from schedsim.examples import copy_examples, examples, find_example


@click.command("examples")
@click.argument("name", metavar="[NAME]", required=False)
@click.option(
    "--output",
    "-o",
    "directory",
    metavar="DIR",
    default=None,
    help="copy the workload (every one, without NAME) into DIR, made if missing; a file "
    "already there with other contents is never overwritten",
)
def examples_command(name: str | None, directory: str | None) -> None:
    """List the bundled example workloads; print one (NAME); or copy them into a directory
    (-o DIR), where the examples of the README and of --help can use them.

    \b
    Examples:
      schedsim examples                     # names and what each shows
      schedsim examples classic             # print workloads/classic.yaml
      schedsim examples -o workloads        # copy them all into ./workloads
      schedsim run workloads/classic.yaml --policy mlfq
    """
    chosen = [find_example(name)] if name is not None else examples()
    if directory is not None:
        for path, written in copy_examples(chosen, directory):
            click.echo(f"{path}" + ("" if written else " (already there)"))
    elif name is not None:
        click.echo(chosen[0].text(), nl=False)
    else:
        width = max(len(example.name) for example in chosen)
        for example in chosen:
            click.echo(f"{example.name:<{width}}  {example.description}".rstrip())
        click.echo(
            "\n'schedsim examples NAME' prints one; 'schedsim examples -o workloads' copies "
            "them all into ./workloads."
        )
