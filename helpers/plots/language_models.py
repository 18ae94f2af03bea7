"""Figures of notebook 08 (cross-entropy without the logits): soft-capping, cost vs vocabulary.

Part of ``helpers.plots``: import the functions from there.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from helpers.plots.scale import plot_cost_vs_classes
from helpers.validation import as_float_array

__all__ = ["plot_soft_capping", "plot_cost_vs_vocabulary"]


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


def plot_cost_vs_vocabulary(
    vocab_sizes: object,
    times_ms: dict[str, object],
    extra_mib: dict[str, object],
    *,
    num_tokens: int,
) -> Figure:
    """Time and extra peak memory of each loss against the vocabulary size, side by side.

    Two panels drawn with :func:`helpers.plots.plot_cost_vs_classes` (log-log axes, one
    line per method): forward + backward time in milliseconds, and the peak memory beyond
    the gradients in MiB. ``times_ms`` and ``extra_mib`` map the same method names to one
    value per vocabulary size.

    Raises
    ------
    TypeError
        If ``num_tokens`` is not an int, or the costs are not dicts.
    ValueError
        If ``num_tokens`` is not positive, the two dicts name different methods, or a
        series is invalid (see :func:`helpers.plots.plot_cost_vs_classes`).
    """
    if isinstance(num_tokens, bool) or not isinstance(num_tokens, int):
        raise TypeError(f"num_tokens must be an int, got {type(num_tokens).__name__}")
    if num_tokens < 1:
        raise ValueError(f"num_tokens must be positive, got {num_tokens}")
    for name, costs in (("times_ms", times_ms), ("extra_mib", extra_mib)):
        if not isinstance(costs, dict):
            raise TypeError(f"{name} must be a dict of method -> values, "
                            f"got {type(costs).__name__}")
    if list(times_ms) != list(extra_mib):
        raise ValueError(f"times_ms and extra_mib must name the same methods, got "
                         f"{list(times_ms)} and {list(extra_mib)}")
    figure, (time_ax, memory_ax) = plt.subplots(1, 2, figsize=(10.0, 3.6))
    plot_cost_vs_classes(vocab_sizes, times_ms, ylabel="forward + backward (ms)",
                         title=f"time, N = {num_tokens} tokens", ax=time_ax)
    plot_cost_vs_classes(vocab_sizes, extra_mib, ylabel="extra peak memory (MiB)",
                         title="memory beyond the gradients", ax=memory_ax)
    for ax in (time_ax, memory_ax):
        ax.set_xlabel("vocabulary size V (log scale)")
    figure.tight_layout()
    return figure
