"""``schedsim gantt``: draw a saved result; and the chart options ``schedsim run`` shares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click

from schedsim.atomic import Outputs
from schedsim.cli.common import (
    INTEGER,
    Choice,
    check_trace_file,
    trace_option,
    trace_unit_option,
)
from schedsim.errors import OptionError
from schedsim.gantt import VIEWS, automatic_view, chart_rows, check_chart_size, image_format
from schedsim.limits import MAX_RESULT_BYTES
from schedsim.options import parse_size
from schedsim.result import Result

F = Callable[..., Any]


WIDTH_HELP = (
    "text chart width in columns (default: the terminal's); a chart that does not fit "
    "wraps onto several lines, and past 40 lines merges short slices into '~'"
)


def chart_options(function: F) -> F:
    """--gantt FILE|-, --gantt-by process|cpu, --ascii, --width (for ``schedsim run``)."""
    decorators = [
        click.option(
            "--gantt",
            metavar="FILE|-",
            default=None,
            help="draw a Gantt chart: an image (.png, .svg, .pdf) or '-' for text",
        ),
        click.option(
            "--gantt-by",
            type=Choice(VIEWS),
            default=None,
            help="chart rows: one per process (default for 1 CPU), per CPU (default for "
            "several) or per real-time task (default for tasks)",
        ),
        click.option(
            "--ascii",
            "ascii_chart",
            is_flag=True,
            help="print a text Gantt chart after the table (same as --gantt -)",
        ),
        click.option("--width", type=INTEGER, default=None, help=WIDTH_HELP),
    ]
    for decorator in reversed(decorators):
        function = decorator(function)
    return function


@dataclass(frozen=True)
class ChartRequest:
    """The charts a command was asked for, checked before any work is done."""

    image: str | None = None
    text: bool = False
    by: str | None = None
    width: int | None = None

    @classmethod
    def from_options(
        cls,
        gantt: str | None,
        gantt_by: str | None,
        ascii_chart: bool,
        *,
        output_format: str = "table",
        no_timeline: bool = False,
        width: int | None = None,
        outputs: Outputs | None = None,
    ) -> ChartRequest:
        """``outputs``: the command's outputs, which checks the image's path (not one of the
        command's inputs, nor another output's file)."""
        text = ascii_chart or gantt == "-"
        image = gantt if gantt not in (None, "-") else None
        if image is not None:
            image_format(image, text_hint=True)
            (outputs or Outputs()).check(image)
        if text and output_format != "table":
            raise OptionError(
                f"--ascii / --gantt -: the text chart goes to standard output, which "
                f"--format {output_format} keeps for data; save an image instead "
                "(--gantt chart.png) or drop --format"
            )
        if (text or image) and no_timeline:
            raise OptionError("--gantt / --ascii need the timeline; drop --no-timeline")
        if width is not None:
            from schedsim.ascii_gantt import check_width

            if not text:
                raise OptionError("--width: sets the text chart's width; add --ascii")
            check_width(width)
        return cls(image, text, gantt_by, width)

    @property
    def wanted(self) -> bool:
        return self.text or self.image is not None

    def check_rows(self, processes: int, cpus: int, tasks: int | None = None) -> None:
        """Refuse, before a run, an image chart that would have too many rows (``tasks``:
        how many real-time tasks the workload has, if any)."""
        if self.image is not None:
            default = "task" if tasks is not None else automatic_view(processes, cpus)
            view = self.by or default
            if view == "task" and tasks is None:
                raise OptionError(
                    "--gantt-by task: the workload has no real-time tasks; draw one row per "
                    "process or per CPU"
                )
            check_chart_size(chart_rows(view, processes, cpus, tasks))

    def prepare(self, result: Result, *, separated: bool = False) -> PreparedChart:
        """Render the charts asked for, in memory: the text chart (after a blank line when
        ``separated``, as it follows a table) and the image's bytes, written by ``save``."""
        text = ""
        if self.text:
            from schedsim.ascii_gantt import ascii_gantt

            text = ("\n" if separated else "") + ascii_gantt(result, width=self.width)
        image = b""
        if self.image is not None:
            from schedsim.gantt import figure_bytes, gantt_figure

            image = figure_bytes(gantt_figure(result, by=self.by), self.image)
        return PreparedChart(self.image, image, text)

    def render(self, result: Result, outputs: Outputs, *, separated: bool = False) -> str:
        """Save the image (if asked) and return the text chart (or "")."""
        chart = self.prepare(result, separated=separated)
        with outputs:
            chart.save(outputs)
        return chart.text


@dataclass(frozen=True)
class PreparedChart:
    """Charts rendered in memory and not yet written."""

    path: str | None
    image: bytes
    text: str

    def save(self, outputs: Outputs) -> None:
        """Hand the image to the command's outputs (written when they all are)."""
        if self.path is not None:
            outputs.write(self.path, self.image)


@click.command()
@click.argument("result_file", metavar="RESULT.json")
@click.option(
    "--output",
    "-o",
    metavar="FILE|-",
    default=None,
    help="image to write (.png, .svg, .pdf), or '-' for a text chart (the default)",
)
@click.option(
    "--by",
    type=Choice(VIEWS),
    default=None,
    help="rows: one per process (default for 1 CPU), one per CPU, or one per real-time task "
    "(default for tasks)",
)
@click.option("--ascii", "ascii_chart", is_flag=True, help="also print the text chart")
@click.option("--width", type=INTEGER, default=None, help=WIDTH_HELP)
@click.option(
    "--max-file-size",
    metavar="SIZE|none",
    default=None,
    help=f"refuse larger result files, e.g. 1G (default {MAX_RESULT_BYTES // 2**20}M)",
)
@trace_option
@trace_unit_option
def gantt(
    result_file: str,
    output: str | None,
    by: str | None,
    ascii_chart: bool,
    width: int | None,
    max_file_size: str | None,
    trace_file: str | None,
    trace_unit: str | None,
) -> None:
    """Draw the Gantt chart of a saved result (simulated or measured).

    \b
    Examples:
      schedsim run workloads/classic.yaml --policy rr --output rr.json
      schedsim gantt rr.json -o rr.png
      schedsim gantt rr.json --ascii
      schedsim gantt rr.json --trace rr.trace.json
    """
    from schedsim.trace_events import parse_trace_unit, run_label, trace_json

    unit_seconds = parse_trace_unit(trace_unit) if trace_unit is not None else None
    outputs = Outputs(inputs=[result_file])
    check_trace_file(trace_file, outputs)
    text_wanted = ascii_chart or output == "-" or (output is None and trace_file is None)
    request = ChartRequest.from_options(output, by, text_wanted, width=width, outputs=outputs)
    try:
        max_bytes = MAX_RESULT_BYTES if max_file_size is None else parse_size(max_file_size)
    except OptionError as error:
        raise OptionError(f"--max-file-size: {error}") from None
    result = Result.load(result_file, max_bytes=max_bytes)
    chart = request.prepare(result)
    with outputs:  # the chart and the trace, or neither
        chart.save(outputs)
        if trace_file is not None:
            outputs.write(
                trace_file, trace_json([(run_label(result), result)], unit_seconds=unit_seconds)
            )
    click.echo(chart.text, nl=False)
    from schedsim.real.compare import disturbance_warnings

    for warning in disturbance_warnings(result):
        click.echo(warning, err=True)
