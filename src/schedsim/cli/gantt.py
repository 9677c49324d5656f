"""``schedsim gantt``: draw a saved result; and the chart options ``schedsim run`` shares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click

from schedsim.atomic import check_writable, write_atomic
from schedsim.cli.common import check_trace_file, trace_option, trace_unit_option
from schedsim.errors import OptionError
from schedsim.gantt import VIEWS, chart_rows, check_chart_size, image_format
from schedsim.limits import MAX_RESULT_BYTES
from schedsim.options import parse_size
from schedsim.result import Result

F = Callable[..., Any]


def chart_options(function: F) -> F:
    """--gantt FILE|-, --gantt-by process|cpu, --ascii (for ``schedsim run``)."""
    decorators = [
        click.option(
            "--gantt",
            metavar="FILE|-",
            default=None,
            help="draw a Gantt chart: an image (.png, .svg, .pdf) or '-' for text",
        ),
        click.option(
            "--gantt-by",
            type=click.Choice(VIEWS),
            default=None,
            help="chart rows: one per process (default for 1 CPU) or per CPU",
        ),
        click.option(
            "--ascii",
            "ascii_chart",
            is_flag=True,
            help="print a text Gantt chart after the table (same as --gantt -)",
        ),
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

    @classmethod
    def from_options(
        cls,
        gantt: str | None,
        gantt_by: str | None,
        ascii_chart: bool,
        *,
        output_format: str = "table",
        no_timeline: bool = False,
    ) -> ChartRequest:
        text = ascii_chart or gantt == "-"
        image = gantt if gantt not in (None, "-") else None
        if image is not None:
            image_format(image, text_hint=True)
            check_writable(image)
        if text and output_format != "table":
            raise OptionError(
                f"--ascii / --gantt -: the text chart goes to standard output, which "
                f"--format {output_format} keeps for data; save an image instead "
                "(--gantt chart.png) or drop --format"
            )
        if (text or image) and no_timeline:
            raise OptionError("--gantt / --ascii need the timeline; drop --no-timeline")
        return cls(image, text, gantt_by)

    @property
    def wanted(self) -> bool:
        return self.text or self.image is not None

    def check_rows(self, processes: int, cpus: int) -> None:
        """Refuse, before a run, an image chart that would have too many rows."""
        if self.image is not None:
            view = self.by or ("cpu" if cpus > 1 else "process")
            check_chart_size(chart_rows(view, processes, cpus))

    def prepare(
        self, result: Result, *, width: int | None = None, separated: bool = False
    ) -> PreparedChart:
        """Render the charts asked for, in memory: the text chart (after a blank line when
        ``separated``, as it follows a table) and the image's bytes, written by ``save``."""
        text = ""
        if self.text:
            from schedsim.ascii_gantt import ascii_gantt

            text = ("\n" if separated else "") + ascii_gantt(result, width=width)
        image = b""
        if self.image is not None:
            from schedsim.gantt import figure_bytes, gantt_figure

            image = figure_bytes(gantt_figure(result, by=self.by), self.image)
        return PreparedChart(self.image, image, text)

    def render(self, result: Result, *, width: int | None = None, separated: bool = False) -> str:
        """Save the image (if asked) and return the text chart (or "")."""
        chart = self.prepare(result, width=width, separated=separated)
        chart.save()
        return chart.text


@dataclass(frozen=True)
class PreparedChart:
    """Charts rendered in memory and not yet written."""

    path: str | None
    image: bytes
    text: str

    def save(self) -> None:
        if self.path is not None:
            write_atomic(self.path, self.image)


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
    type=click.Choice(VIEWS),
    default=None,
    help="rows: one per process (default for 1 CPU) or one per CPU",
)
@click.option("--ascii", "ascii_chart", is_flag=True, help="also print the text chart")
@click.option("--width", type=int, default=None, help="text chart width (default: the terminal's)")
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
    check_trace_file(trace_file, [result_file])
    text_wanted = ascii_chart or output == "-" or (output is None and trace_file is None)
    request = ChartRequest.from_options(output, by, text_wanted)
    try:
        max_bytes = MAX_RESULT_BYTES if max_file_size is None else parse_size(max_file_size)
    except OptionError as error:
        raise OptionError(f"--max-file-size: {error}") from None
    result = Result.load(result_file, max_bytes=max_bytes)
    chart = request.prepare(result, width=width)
    timeline = None
    if trace_file is not None:
        timeline = trace_json([(run_label(result), result)], unit_seconds=unit_seconds)
    chart.save()
    if trace_file is not None and timeline is not None:
        write_atomic(trace_file, timeline)
    click.echo(chart.text, nl=False)
