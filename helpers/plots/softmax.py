"""Figures of notebook 01 (softmax): probabilities, logits and temperature.

Part of ``helpers.plots``: import the functions from there.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from helpers.numerics import softmax
from helpers.plots._base import HIGHLIGHT_COLOR, LOGIT_COLOR, PROB_COLOR, _new_axes
from helpers.validation import as_float_array, check_labels, check_probabilities

__all__ = ["plot_probability_bars", "plot_logits_and_probs", "plot_temperature_sweep"]


def plot_probability_bars(
    probs: object,
    labels: Sequence[str] | None = None,
    *,
    highlight: int | None = None,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Bar chart of one probability distribution, each bar annotated with its value.

    Introduced in notebook 01. ``highlight`` colours one class (e.g. the true one).

    Raises
    ------
    ValueError
        If ``probs`` is not 1-D, is outside [0, 1], does not sum to 1, or ``highlight`` is
        not a valid class index.
    """
    values = check_probabilities(as_float_array(probs, "probs", ndim=1), "probs")
    names = check_labels(labels, values.size)
    if highlight is not None and not 0 <= highlight < values.size:
        raise ValueError(f"highlight={highlight} is not a class index in 0..{values.size - 1}")
    ax = _new_axes(ax)
    colors = [HIGHLIGHT_COLOR if i == highlight else PROB_COLOR for i in range(values.size)]
    bars = ax.bar(names, values, color=colors)
    ax.bar_label(bars, labels=[f"{v:.3f}" for v in values], padding=2, fontsize=8)
    ax.set_ylim(0, 1.12)
    ax.set_ylabel("probability")
    ax.set_xlabel("class")
    if title is not None:
        ax.set_title(title)
    return ax


def plot_logits_and_probs(
    logits: object, labels: Sequence[str] | None = None
) -> tuple[Figure, np.ndarray]:
    """Two panels: the raw scores (logits) and their softmax probabilities.

    Introduced in notebook 01. Returns ``(figure, axes)`` with ``axes[0]`` the logits and
    ``axes[1]`` the probabilities.
    """
    scores = as_float_array(logits, "logits", ndim=1)
    names = check_labels(labels, scores.size)
    fig, axes = plt.subplots(1, 2, figsize=(9.0, 3.2))
    bars = axes[0].bar(names, scores, color=LOGIT_COLOR)
    axes[0].bar_label(bars, labels=[f"{v:.2f}" for v in scores], padding=2, fontsize=8)
    axes[0].axhline(0.0, color="black", linewidth=0.8)
    axes[0].set_title("logits (any real number)")
    axes[0].set_xlabel("class")
    plot_probability_bars(softmax(scores), names, ax=axes[1], title="softmax(logits)")
    fig.tight_layout()
    return fig, axes


def plot_temperature_sweep(
    logits: object,
    temperatures: object,
    labels: Sequence[str] | None = None,
    *,
    ax: Axes | None = None,
) -> Axes:
    """Each class's probability ``softmax(logits / T)`` as the temperature ``T`` varies.

    Introduced in notebook 01. The x-axis is logarithmic; one line per class.

    Raises
    ------
    ValueError
        If ``logits`` is not 1-D or a temperature is not strictly positive and finite.
    """
    scores = as_float_array(logits, "logits", ndim=1)
    temps = as_float_array(temperatures, "temperatures", ndim=1, min_size=2)
    if (temps <= 0).any():
        raise ValueError(f"temperatures must be > 0, got minimum {temps.min()}")
    names = check_labels(labels, scores.size)
    order = np.argsort(temps)
    temps = temps[order]
    probs = softmax(scores[None, :] / temps[:, None], axis=1)
    ax = _new_axes(ax, figsize=(6.0, 3.5))
    for class_index, name in enumerate(names):
        ax.plot(temps, probs[:, class_index], marker=".", label=f"class {name}")
    ax.axhline(1.0 / scores.size, color="black", linestyle=":", linewidth=1, label="uniform 1/C")
    ax.set_xscale("log")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("temperature T (log scale)")
    ax.set_ylabel("softmax(logits / T)")
    ax.legend(fontsize=8)
    return ax
