"""What every figure module of ``helpers.plots`` shares: colours, slide fonts, a new axes."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
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


def _positive_number(value: object, name: str) -> float:
    """``value`` as a float if it is a finite real number > 0 (a bool is not a number)."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be finite and > 0, got {value}")
    return float(value)


def _positive_values(values: object, name: str, *, meaning: str = "number",
                     allow_empty: bool = False) -> dict[str, float]:
    """A dict of non-empty names to finite numbers > 0 (``meaning``: what a number is)."""
    if not isinstance(values, dict):
        raise TypeError(f"{name} must be a dict of name -> {meaning}, "
                        f"got {type(values).__name__}")
    if not values and not allow_empty:
        raise ValueError(f"{name} must hold at least one entry")
    checked = {}
    for key, value in values.items():
        if not isinstance(key, str) or not key.strip():
            raise ValueError(f"every entry of {name} needs a non-empty name, got {key!r}")
        checked[key] = _positive_number(value, f"{name}[{key!r}]")
    return checked
