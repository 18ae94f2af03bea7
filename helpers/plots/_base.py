"""What every figure module of ``helpers.plots`` shares: colours, slide fonts, a new axes."""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.axes import Axes

PROB_COLOR = "tab:blue"
HIGHLIGHT_COLOR = "tab:orange"
LOGIT_COLOR = "tab:gray"
# Points: ticks, labels and legends as large as the code on a 1280 x 720 slide.
SLIDE_FONT = 11


def _new_axes(ax: Axes | None, figsize: tuple[float, float] = (5.0, 3.0)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    elif not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    return ax


def _slide_fonts(ax: Axes, size: int = SLIDE_FONT) -> None:
    """Ticks, axis labels, legend and offset text at ``size`` points, the title one larger:
    readable on a 1280 x 720 slide."""
    ax.tick_params(labelsize=size)
    for text in (ax.xaxis.label, ax.yaxis.label, ax.xaxis.get_offset_text(),
                 ax.yaxis.get_offset_text()):
        text.set_fontsize(size)
    ax.title.set_fontsize(size + 1)
    legend = ax.get_legend()
    if legend is not None:
        for text in legend.get_texts():
            text.set_fontsize(size)
