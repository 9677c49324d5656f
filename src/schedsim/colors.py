"""Stable process colours: a process's colour depends only on its position in the workload.

Every chart of a run, and the charts of every policy in a comparison, must paint the same
process the same colour, and so must a chart redrawn tomorrow from a saved result.  So the
colour is a pure function of the process's index (file order) — never of ``hash(pid)``,
which Python randomises per interpreter.

The first 20 colours -- the chart's colour budget -- are matplotlib's ``tab10`` hues, their
light ``tab20`` partners, then a navy and a dark olive (the greys are left out: grey means
idle in the charts).  Beyond that, hues step around the colour wheel by the golden ratio,
with saturation and brightness cycling; such colours are told apart only where something
else names the process (its labelled row), which is why a chart with more processes than
the budget draws its rows per CPU in :data:`ALTERNATING` shades instead.
"""

from __future__ import annotations

import colorsys
from typing import Any

# tab10 without its grey, then the light tab20 partners of the same hues (without grey).
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#bcbd22",
    "#17becf",
    "#aec7e8",
    "#ffbb78",
    "#98df8a",
    "#ff9896",
    "#c5b0d5",
    "#c49c94",
    "#f7b6d2",
    "#dbdb8d",
    "#9edae5",
    "#393b79",
    "#637939",
)
# Processes a chart colours apart (and lists in its legend).
COLOUR_BUDGET = len(PALETTE)
# Slices of rows per CPU when there are more processes than colours: two shades, in turn.
ALTERNATING = ("#8c9db5", "#c5d0df")

IDLE_COLOUR = "#bdbdbd"
IDLE_FILL = "#f2f2f2"
# A row of too many slices to draw: the share of time running, over a light track.
RUNNING_SHARE = "#5b6b85"
IDLE_TRACK: dict[str, Any] = {"facecolor": "#eef1f5", "edgecolor": "none", "zorder": 1.5}
# Idle time, the same in every chart and in its legend.
IDLE_STYLE: dict[str, Any] = {
    "facecolor": IDLE_FILL,
    "edgecolor": IDLE_COLOUR,
    "hatch": "xx",
    "linewidth": 0.5,
}
SWITCH_COLOUR = "#222222"
BLOCKED_COLOUR = "#c07000"  # time blocked on a resource (edge; the fill is BLOCKED_FILL)
BLOCKED_FILL = "#fde8c8"
HOLD_COLOUR = "#333333"  # a lock or semaphore unit held
DEADLOCK_COLOUR = "#cc0000"
DEADLINE_COLOUR = "#555555"  # a job's deadline (down arrow)
MISSED_COLOUR = "#e8001c"  # a missed deadline, and what its job ran after it

_GOLDEN = 0.618033988749895
_SATURATION = (0.65, 0.85, 0.45)
_VALUE = (0.85, 0.65, 0.95)


def process_colour(index: int) -> str:
    """The colour (``#rrggbb``) of the process at position ``index`` in the workload."""
    if index < 0:
        raise ValueError(f"process index must be >= 0, got {index}")
    if index < len(PALETTE):
        return PALETTE[index]
    step = index - len(PALETTE)
    hue = (0.11 + step * _GOLDEN) % 1.0
    red, green, blue = colorsys.hsv_to_rgb(hue, _SATURATION[step % 3], _VALUE[(step // 3) % 3])
    return f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}"


def text_colour(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (``#rrggbb``)."""
    red, green, blue = (int(background[i : i + 2], 16) / 255 for i in (1, 3, 5))
    luminance = 0.299 * red + 0.587 * green + 0.114 * blue
    return "black" if luminance > 0.55 else "white"


def level_colour(level: int, deepest: int) -> str:
    """The shade of an MLFQ queue level's band: the top level (0) darkest, the bottom
    ``deepest`` lightest, evenly between (greys, which no process colour uses, and lighter
    than the near-black of a context switch)."""
    if deepest <= 0:
        return "#5a5a5a"
    grey = round(0x5A + (0xDC - 0x5A) * min(level, deepest) / deepest)
    return f"#{grey:02x}{grey:02x}{grey:02x}"
