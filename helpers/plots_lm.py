"""Figures of notebook 08 (``08_cross_entropy_without_logits.ipynb``): language-model losses.

Every function validates its input, draws on a new figure or on the axes you pass, and
returns the figure. Nothing here calls ``plt.show()``.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from helpers.validation import as_float_array

__all__ = ["plot_soft_capping"]


def plot_soft_capping(
    caps: object, *, limit: float = 100.0, points: int = 401, ax: Axes | None = None
) -> Figure:
    """Soft-capped logits ``c * tanh(z / c)`` against the raw logit ``z``, one line per cap.

    Gemma 2 caps its final logits at ``c = 30``: small logits pass almost unchanged (the
    slope at 0 is 1), large ones are squeezed into ``(-c, c)``. The identity ``z`` is drawn
    dashed for comparison, and each cap's bounds ``+-c`` dotted.

    Raises
    ------
    TypeError
        If ``ax`` is not a matplotlib Axes or ``points`` is not an int.
    ValueError
        If ``caps`` is not a 1-D array of finite, strictly positive values, ``limit`` is
        not a finite positive number, or ``points`` is smaller than 2.
    """
    cap_values = as_float_array(caps, "caps", ndim=1)
    if (cap_values <= 0).any():
        raise ValueError(f"caps must be > 0, got minimum {cap_values.min()}")
    if isinstance(limit, bool) or not isinstance(limit, int | float):
        raise ValueError(f"limit must be a positive number, got {limit!r}")
    if not math.isfinite(limit) or limit <= 0:
        raise ValueError(f"limit must be a finite positive number, got {limit}")
    if isinstance(points, bool) or not isinstance(points, int):
        raise TypeError(f"points must be an int, got {type(points).__name__}")
    if points < 2:
        raise ValueError(f"points must be at least 2, got {points}")
    if ax is None:
        figure, ax = plt.subplots(figsize=(5.5, 3.5))
    elif not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    else:
        figure = ax.figure
    raw = np.linspace(-limit, limit, points)
    ax.plot(raw, raw, color="tab:gray", linestyle="--", label="no cap: z")
    for cap in cap_values:
        line = ax.plot(raw, cap * np.tanh(raw / cap), label=f"c = {cap:g}")[0]
        for bound in (-cap, cap):
            ax.axhline(bound, color=line.get_color(), linestyle=":", linewidth=0.8)
    ax.set_ylim(-1.1 * limit, 1.1 * limit)
    ax.set_xlabel("raw logit z")
    ax.set_ylabel("logit after soft-capping")
    ax.set_title("soft-capping: c · tanh(z / c)")
    ax.legend(fontsize=8)
    return figure
