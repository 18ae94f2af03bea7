"""Figures of notebook 01 (softmax): probabilities, logits and temperature.

Part of ``helpers.plots``: import the functions from there.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullLocator

from helpers.numerics import softmax
from helpers.plots._base import (
    HIGHLIGHT_COLOR,
    LOGIT_COLOR,
    PROB_COLOR,
    SLIDE_FONT,
    _new_axes,
    _slide_fonts,
)
from helpers.validation import as_float_array, check_labels, check_probabilities

__all__ = [
    "plot_probability_bars",
    "plot_logits_and_probs",
    "plot_temperature_sweep",
    "plot_shift_and_scale",
    "plot_softmax_dim",
    "plot_overflow",
    "plot_soft_argmax",
]



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
    ax.bar_label(bars, labels=[f"{v:.3f}" for v in values], padding=2, fontsize=SLIDE_FONT)
    ax.set_ylim(0, 1.15)
    ax.set_ylabel("probability")
    ax.set_xlabel("class")
    if title is not None:
        ax.set_title(title)
    _slide_fonts(ax)
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
    axes[0].bar_label(bars, labels=[f"{v:.2f}" for v in scores], padding=2, fontsize=SLIDE_FONT)
    _slide_fonts(axes[0])
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
    _log_axis(ax)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("temperature T (log scale)")
    ax.set_ylabel("softmax(logits / T)")
    ax.legend(fontsize=SLIDE_FONT)
    _slide_fonts(ax)
    return ax




def _log_axis(ax: Axes, which: str = "x") -> None:
    """A logarithmic axis with plain tick labels (1, 10, 100) and no minor ticks.

    Mathtext labels (10^2) and minor ticks cost a large share of a small figure's drawing
    time, and every figure is drawn each time a notebook runs.
    """
    axis = ax.xaxis if which == "x" else ax.yaxis
    (ax.set_xscale if which == "x" else ax.set_yscale)("log")
    axis.set_minor_locator(NullLocator())
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))


def _check_finite_number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return float(value)


def plot_shift_and_scale(
    logits: object,
    labels: Sequence[str] | None = None,
    *,
    shift: float = 100.0,
    scale: float = 2.0,
    ax: Axes | None = None,
) -> Axes:
    """Grouped bars of ``softmax(z)``, ``softmax(z + shift)`` and ``softmax(scale * z)``.

    Introduced in notebook 01: the first two groups of bars are equal (a constant shift
    is ignored), the third is sharper or flatter (scale is not). Every set of bars is
    positive, sums to 1 and keeps the logits' order.

    Raises
    ------
    TypeError
        If ``shift`` or ``scale`` is not a number.
    ValueError
        If ``logits`` is not a finite 1-D array of at least 2 values, or ``shift`` or
        ``scale`` is not finite.
    """
    scores = as_float_array(logits, "logits", ndim=1, min_size=2)
    shift = _check_finite_number(shift, "shift")
    scale = _check_finite_number(scale, "scale")
    names = check_labels(labels, scores.size)
    rows = {
        "softmax(z)": softmax(scores),
        f"softmax(z + {shift:g})": softmax(scores + shift),
        f"softmax({scale:g} z)": softmax(scale * scores),
    }
    ax = _new_axes(ax, figsize=(7.0, 3.2))
    positions = np.arange(scores.size)
    width = 0.8 / len(rows)
    colors = [PROB_COLOR, "tab:cyan", HIGHLIGHT_COLOR]
    for row, ((name, probs), color) in enumerate(zip(rows.items(), colors, strict=True)):
        bars = ax.bar(positions + (row - 1) * width, probs, width, color=color, label=name)
        ax.bar_label(bars, labels=[f"{v:.2f}" for v in probs], padding=1, fontsize=SLIDE_FONT)
    ax.set_xticks(positions, names)
    ax.set_ylim(0, 1.15)
    ax.set_ylabel("probability")
    ax.set_title("a shift changes nothing, a scale sharpens")
    ax.legend(fontsize=SLIDE_FONT, loc="upper right")
    _slide_fonts(ax)
    return ax


def plot_softmax_dim(batch_logits: object) -> tuple[Figure, np.ndarray]:
    """Two heatmaps of an ``(N, C)`` batch's softmax: over ``dim=1`` (right) and ``dim=0``.

    Introduced in notebook 01. Each cell shows its probability; the row sums are written
    at the right of each panel and the column sums below it, so the panel over the
    classes (``dim=1``) has rows summing to 1 and the other has columns summing to 1.
    Returns ``(figure, axes)`` with ``axes[0]`` for ``dim=1`` and ``axes[1]`` for ``dim=0``.

    Raises
    ------
    ValueError
        If ``batch_logits`` is not a finite 2-D array with at least 2 rows and 2 columns,
        or has more than 8 of either (the numbers would not fit).
    """
    logits = as_float_array(batch_logits, "batch_logits", ndim=2)
    rows, cols = logits.shape
    if not (2 <= rows <= 8 and 2 <= cols <= 8):
        raise ValueError(f"batch_logits must be (N, C) with 2 to 8 of each, got {logits.shape}")
    fig, axes = plt.subplots(1, 2, figsize=(7.0, 3.2))
    panels = [(1, "dim=1: over classes (right)"), (0, "dim=0: over samples (wrong)")]
    for ax, (dim, title) in zip(axes, panels, strict=True):
        probs = softmax(logits, axis=dim)
        ax.imshow(probs, cmap="Blues", vmin=0.0, vmax=1.0, aspect="auto")
        for (i, j), value in np.ndenumerate(probs):
            color = "white" if value > 0.6 else "black"
            ax.text(j, i, f"{value:.2f}", ha="center", va="center", color=color,
                    fontsize=SLIDE_FONT)
        for i, total in enumerate(probs.sum(axis=1)):
            ax.text(cols - 0.4, i, f"Σ={total:.2f}", ha="left", va="center",
                    fontsize=SLIDE_FONT, color="tab:red")
        ax.set_xticks(range(cols), [f"class {j}" for j in range(cols)])
        ax.set_yticks(range(rows), [f"sample {i}" for i in range(rows)])
        ax.set_xlabel("column sums: " + "  ".join(f"{v:.2f}" for v in probs.sum(axis=0)))
        ax.set_title(title)
        _slide_fonts(ax)
    fig.tight_layout()
    return fig, axes


def plot_overflow(
    logits: object,
    scales: object,
    *,
    ax: Axes | None = None,
) -> Axes:
    """The largest class's float32 probability, naive and max-subtracted, as the logits grow.

    Introduced in notebook 01. For each ``s`` in ``scales`` the logits ``s * logits`` go
    through the textbook formula ``exp(z) / sum(exp(z))`` and through the stable softmax,
    both in float32. Where ``exp`` overflows the naive result is NaN: its line stops and the
    region is shaded; the stable line goes on. The x-axis (the largest logit) is logarithmic.

    Raises
    ------
    ValueError
        If ``logits`` is not a finite 1-D array of at least 2 values with a positive maximum,
        or ``scales`` holds fewer than 2 values or one that is not strictly positive.
    """
    scores = as_float_array(logits, "logits", ndim=1, min_size=2)
    if scores.max() <= 0:
        raise ValueError(f"the largest logit must be positive, got {scores.max()}")
    factors = np.sort(as_float_array(scales, "scales", ndim=1, min_size=2))
    if (factors <= 0).any():
        raise ValueError(f"scales must be > 0, got minimum {factors.min()}")
    batch = (factors[:, None] * scores[None, :]).astype(np.float32)
    winner = int(np.argmax(scores))
    with np.errstate(over="ignore", invalid="ignore"):
        exps = np.exp(batch)
        naive = (exps / exps.sum(axis=1, keepdims=True))[:, winner]
    stable = softmax(batch, axis=1)[:, winner]
    largest = batch[:, winner].astype(np.float64)
    ax = _new_axes(ax, figsize=(7.0, 3.2))
    ax.plot(largest, stable, color=PROB_COLOR, linewidth=3, label="max subtracted")
    ax.plot(largest, naive, color=HIGHLIGHT_COLOR, linestyle="--", marker=".",
            label="naive exp(z) / sum exp(z)")
    broken = np.isnan(naive)
    if broken.any():
        ax.axvspan(largest[broken].min(), largest.max(), color="tab:red", alpha=0.15,
                   label="naive gives NaN")
    overflow = float(np.log(np.finfo(np.float32).max))
    ax.axvline(overflow, color="tab:red", linewidth=1)
    ax.annotate(f"exp overflows float32\nabove {overflow:.2f}", (overflow, 0.5),
                xytext=(6, 0), textcoords="offset points", fontsize=SLIDE_FONT)
    _log_axis(ax)
    ax.set_ylim(0.0, 1.08)
    ax.set_xlabel("largest logit (log scale)")
    ax.set_ylabel("p(largest class), float32")
    ax.legend(fontsize=SLIDE_FONT, loc="lower left")
    _slide_fonts(ax)
    return ax


def plot_soft_argmax(
    logits: object,
    temperatures: object,
) -> tuple[Figure, np.ndarray]:
    """Softmax as a soft argmax: two panels against the temperature ``T`` (log scale).

    Introduced in notebook 01. Left: the probability of the largest class, rising to 1 as
    ``T`` falls. Right: the softmax-weighted class index ``sum_i i * softmax(z / T)_i``,
    which slides to the hard ``argmax`` (dashed line) as ``T`` falls. Returns
    ``(figure, axes)``.

    Raises
    ------
    ValueError
        If ``logits`` is not a finite 1-D array of at least 2 values with a unique maximum,
        or a temperature is not strictly positive.
    """
    scores = as_float_array(logits, "logits", ndim=1, min_size=2)
    if np.sum(scores == scores.max()) > 1:
        raise ValueError("the largest logit must be unique: the hard argmax is then one class")
    temps = np.sort(as_float_array(temperatures, "temperatures", ndim=1, min_size=2))
    if (temps <= 0).any():
        raise ValueError(f"temperatures must be > 0, got minimum {temps.min()}")
    probs = softmax(scores[None, :] / temps[:, None], axis=1)
    winner = int(np.argmax(scores))
    soft_index = probs @ np.arange(scores.size)
    fig, axes = plt.subplots(1, 2, figsize=(7.0, 3.2))
    axes[0].plot(temps, probs[:, winner], color=PROB_COLOR, marker=".")
    axes[0].axhline(1.0, color="black", linestyle="--", linewidth=1)
    axes[0].set_ylim(0.0, 1.05)
    axes[0].set_ylabel(f"p(class {winner})")
    axes[0].set_title("probability of the winner")
    axes[1].plot(temps, soft_index, color=HIGHLIGHT_COLOR, marker=".")
    axes[1].axhline(winner, color="black", linestyle="--", linewidth=1,
                    label=f"argmax = {winner}")
    axes[1].set_ylim(-0.1, scores.size - 0.9)
    axes[1].set_ylabel("weighted index Σ i·p_i")
    axes[1].set_title("softmax-weighted index")
    axes[1].legend(fontsize=SLIDE_FONT)
    for ax in axes:
        _log_axis(ax)
        ax.set_xlabel("temperature T")
        _slide_fonts(ax)
    fig.tight_layout()
    return fig, axes
