"""How a Gantt chart adapts to its size, decided once per chart and said in the chart.

A chart of three processes and a chart of a hundred thousand cannot be drawn the same way
and stay readable on a slide.  :func:`plan_chart` decides, from the schedule's size and the
room the chart has:

* **colours**: up to :data:`~schedsim.colors.COLOUR_BUDGET` processes each get their own
  colour, and a legend lists them all.  With more, colours would repeat and mislead: one
  row per process still colours each row (the row is labelled), but rows per CPU draw
  slices in two alternating shades, each labelled with its pid where it fits;
* **arrival markers**: drawn up to :data:`MARKER_LIMIT` processes (beyond, they merge into
  a black band); on rows per CPU, simultaneous arrivals stack instead of hiding each other;
* **row labels**: every row while rows are tall enough to read, else every k-th;
* **minimum width**: every slice is at least :data:`MIN_SLICE_POINTS` wide, so a short
  slice never vanishes -- unless so many slices share a row that drawing them that wide
  would cover its idle time (more than :data:`HIDDEN_SHARE` of the axis): such a row shows
  instead the share of each step of the time axis it was busy.

Each decision that changes what a reader would assume adds a sentence to ``notes``, which
the chart prints under its title ("300 processes: slices alternate two shades ...").
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from schedsim.colors import COLOUR_BUDGET

MARKER_LIMIT = 60  # processes whose arrivals are marked
MIN_SLICE_POINTS = 1.5  # the narrowest a slice is drawn (points; 2.3 pixels at 110 dpi)
LABEL_ROW_POINTS = 9.0  # a row this tall (points) or taller carries its own label
HIDDEN_SHARE = 0.05  # of the time axis: widened slices may cover this much idle time
DISTINCT, ROW_COLOURS, ALTERNATING = "distinct", "row colours", "alternating"


@dataclass
class ChartPlan:
    """What one chart draws and how, and the notes that say so."""

    colours: str  # DISTINCT, ROW_COLOURS (process rows) or ALTERNATING (cpu rows)
    markers: bool
    label_every: int  # label every k-th row
    label_size: float  # points
    min_width: float  # time units: the narrowest a slice is drawn
    notes: list[str] = field(default_factory=list)
    dense: bool = False  # rows show their share of time busy (see choose_density)

    def choose_density(self, rows: list[tuple[np.ndarray, np.ndarray]], span: float) -> None:
        """Decide, for the whole chart, whether rows show their share of time busy instead
        of their slices: yes if drawing any row's slices (``(starts, ends)``) at least
        :attr:`min_width` wide would cover more than :data:`HIDDEN_SHARE` of the time axis
        that row was idle.  One rule for every row, so no chart mixes the two."""
        self.dense = any(self._hides_idle(starts, ends, span) for starts, ends in rows)
        if self.dense:
            self.notes.append(
                "rows show the share of each time step busy (too many slices to draw one by one)"
            )

    def _hides_idle(self, starts: np.ndarray, ends: np.ndarray, span: float) -> bool:
        if not len(starts) or len(starts) * self.min_width <= HIDDEN_SHARE * span:
            return False
        widened = np.maximum(ends, starts + self.min_width)
        return _covered(starts, widened) - _covered(starts, ends) > HIDDEN_SHARE * span

    def alternated(self) -> None:
        """Say that slices alternate two shades rather than show their process (once)."""
        note = (
            f"more processes than {COLOUR_BUDGET} colours: slices alternate two shades, with "
            "their pid where it fits"
        )
        if self.colours == ALTERNATING and note not in self.notes:
            self.notes.append(note)

    def widened(self, shortest: float) -> None:
        """Say that slices shorter than the minimum width were drawn wider (once)."""
        note = f"slices shorter than {self.min_width:.3g} time units drawn that wide, to show"
        if shortest < self.min_width and note not in self.notes:
            self.notes.append(note)


def plan_chart(
    processes: int,
    view: str,
    rows: int,
    *,
    axes_width: float,
    axes_height: float,
    span: float,
) -> ChartPlan:
    """The plan for a chart of ``processes`` drawn as ``rows`` rows of ``view`` on axes of
    ``axes_width`` x ``axes_height`` inches covering ``span`` time units."""
    notes: list[str] = []
    if processes <= COLOUR_BUDGET:
        colours = DISTINCT
    elif view == "process":
        colours = ROW_COLOURS
    else:
        colours = ALTERNATING  # said by alternated(), when a row draws its slices
    markers = processes <= MARKER_LIMIT
    if not markers:
        notes.append(f"arrivals not marked (over {MARKER_LIMIT} processes)")
    row_points = axes_height * 72 / max(1, rows)
    label_every = max(1, math.ceil(LABEL_ROW_POINTS / row_points))
    if label_every > 1:
        notes.append(f"every {_ordinal(label_every)} row labelled")
    min_width = MIN_SLICE_POINTS * span / (axes_width * 72)
    return ChartPlan(
        colours=colours,
        markers=markers,
        label_every=label_every,
        label_size=min(8.0, max(6.0, row_points * 0.8)),
        min_width=min_width,
        notes=notes,
    )


def _covered(starts: np.ndarray, ends: np.ndarray) -> float:
    """The length of the union of the intervals [start, end]."""
    order = np.argsort(starts, kind="stable")
    starts, ends = starts[order], ends[order]
    reach = np.maximum.accumulate(ends)
    gaps = np.maximum(0.0, starts[1:] - reach[:-1])
    return float(reach[-1] - starts[0] - gaps.sum())


def _ordinal(number: int) -> str:
    if 10 <= number % 100 <= 20:
        return f"{number}th"
    return f"{number}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(number % 10, 'th') }"
