"""Stable process colours: a process's colour depends only on its position in the workload.

Every chart of a run, and the charts of every policy in a comparison, must paint the same
process the same colour, and so must a chart redrawn tomorrow from a saved result.  So the
colour is a pure function of the process's index (file order) — never of ``hash(pid)``,
which Python randomises per interpreter.

The first 18 colours are matplotlib's ``tab10`` hues and then their light ``tab20``
partners (the greys are left out: grey means idle in the charts).  Beyond that, hues step
around the colour wheel by the golden ratio, which keeps neighbours far apart for any count,
with saturation and brightness cycling so that hues that come back close stay apart.
"""

from __future__ import annotations

import colorsys

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
)

IDLE_COLOUR = "#bdbdbd"
SWITCH_COLOUR = "#222222"
BLOCKED_COLOUR = "#c07000"  # time blocked on a resource (edge; the fill is BLOCKED_FILL)
BLOCKED_FILL = "#fde8c8"
HOLD_COLOUR = "#333333"  # a lock or semaphore unit held
DEADLOCK_COLOUR = "#cc0000"

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
