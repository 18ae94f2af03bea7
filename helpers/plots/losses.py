"""Figures of notebook 02 (cross-entropy): the -log curve and the gradient of the logits.

Part of ``helpers.plots``: import the functions from there.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes

from helpers.numerics import softmax
from helpers.plots._base import HIGHLIGHT_COLOR, PROB_COLOR, _new_axes
from helpers.validation import as_float_array, check_labels

__all__ = ["plot_neg_log_curve", "plot_logit_gradient"]


def plot_neg_log_curve(
    marked_probs: object = (),
    labels: Sequence[str] | None = None,
    *,
    min_prob: float = 1e-3,
    ax: Axes | None = None,
) -> Axes:
    """The curve ``-ln p`` for ``p`` in ``[min_prob, 1]``: the loss of one sample when the
    model gives probability ``p`` to its true class.

    Introduced in notebook 02. Each value in ``marked_probs`` is marked on the curve with its
    loss (and its label, if ``labels`` is given), e.g. a good and a bad prediction.

    Raises
    ------
    ValueError
        If ``marked_probs`` is not 1-D or has a value outside ``(0, 1]``, if ``labels`` does
        not have one entry per marked value, or if ``min_prob`` is not in ``(0, 1)``.
    """
    if not 0.0 < min_prob < 1.0:
        raise ValueError(f"min_prob must lie in (0, 1), got {min_prob}")
    marked = as_float_array(marked_probs, "marked_probs", ndim=1, min_size=0)
    if ((marked <= 0) | (marked > 1)).any():
        raise ValueError(
            f"marked_probs must lie in (0, 1], got values from {marked.min()} to {marked.max()}"
        )
    names = check_labels(labels, marked.size) if labels is not None else None
    ax = _new_axes(ax, figsize=(6.0, 3.5))
    probs = np.linspace(min_prob, 1.0, 500)
    ax.plot(probs, -np.log(probs), color=PROB_COLOR, label="loss = -ln p")
    for index, prob in enumerate(marked):
        loss = -np.log(prob)
        text = f"p={prob:g}: loss {loss:.3f}"
        if names is not None:
            text = f"{names[index]}, {text}"
        ax.plot([prob], [loss], marker="o", linestyle="", color=HIGHLIGHT_COLOR)
        ax.annotate(text, (prob, loss), textcoords="offset points", xytext=(8, 4), fontsize=8)
    ax.set_xlim(0.0, 1.02)
    ax.set_ylim(0.0, -np.log(min_prob) * 1.05)
    ax.set_xlabel("probability p given to the true class")
    ax.set_ylabel("loss -ln p")
    ax.set_title("confident and wrong costs the most")
    ax.legend(fontsize=8)
    return ax


def plot_logit_gradient(
    logits: object,
    target: int,
    labels: Sequence[str] | None = None,
    *,
    ax: Axes | None = None,
) -> Axes:
    """Bar chart of the gradient of one sample's cross-entropy with respect to its logits,
    ``softmax(logits) - one_hot(target)``.

    Introduced in notebook 02. The true class's bar (always negative: gradient descent
    raises that logit) is highlighted; every other bar is positive (those logits go down).

    Raises
    ------
    TypeError
        If ``target`` is not an integer.
    ValueError
        If ``logits`` is not a finite 1-D array or ``target`` is not a class index.
    """
    scores = as_float_array(logits, "logits", ndim=1)
    if isinstance(target, bool) or not isinstance(target, int | np.integer):
        raise TypeError(f"target must be an integer class index, got {type(target).__name__}")
    if not 0 <= target < scores.size:
        raise ValueError(f"target={target} is not a class index in 0..{scores.size - 1}")
    names = check_labels(labels, scores.size)
    gradient = softmax(scores)
    gradient[target] -= 1.0
    ax = _new_axes(ax)
    colors = [HIGHLIGHT_COLOR if i == target else PROB_COLOR for i in range(scores.size)]
    bars = ax.bar(names, gradient, color=colors)
    ax.bar_label(bars, labels=[f"{v:+.3f}" for v in gradient], padding=2, fontsize=8)
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.set_ylim(-1.15, 1.15)
    ax.set_xlabel("class (true class highlighted)")
    ax.set_ylabel("dL/dz = softmax(z) - y")
    ax.set_title("gradient of the loss with respect to each logit")
    return ax
