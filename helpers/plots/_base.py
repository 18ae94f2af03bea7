"""What every figure module of ``helpers.plots`` shares: the colours and a new axes."""

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
